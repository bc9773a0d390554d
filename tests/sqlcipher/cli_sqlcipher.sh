#!/usr/bin/env bash
# cli_sqlcipher.sh — ladder-sqlcipher (libladder with SQLCipher 4 inside) on
# encrypted files: the key from --sqlite-key-file or LADDER_SQLITE_KEY_COMMAND,
# every command through it, the key in no output; wrong, missing and empty
# keys and a failing key command refused with the file left byte for byte;
# the plain ladder refusing a key rather than write an unencrypted file.
#   bash cli_sqlcipher.sh LADDER_SQLCIPHER_BINARY REPO_ROOT PLAIN_LADDER_BINARY
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../clitest.bash"
cli_setup sqlcipher-cli "$1" "$2"
PLAIN=$(realpath "$3")

PASSPHRASE='tr0ub4dor&3 plus a long tail'
CLI_SECRET=$PASSPHRASE # run() fails any output that shows it
printf '%s\n' "$PASSPHRASE" >key
printf 'not the passphrase\n' >wrong
: >empty
mkdir m
cat >m/001_people.up.sql <<'SQL'
CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO people (name) VALUES ('ada'), ('grace');
SQL
echo 'DROP TABLE people;' >m/001_people.down.sql
cat >m/002_notes.up.sql <<'SQL'
CREATE TABLE notes (id INTEGER PRIMARY KEY, person INTEGER REFERENCES people (id), body TEXT);
SQL
echo 'DROP TABLE notes;' >m/002_notes.down.sql

header() { head -c 16 "$1" | tr -d '\0'; }
fingerprint() { sha256sum "$1" | cut -c1-64; }

# --- a fresh file, created encrypted --------------------------------------
run -d app.db -m m --sqlite-key-file key up
expect_rc 0
expect_out_has "Applied 2 migration(s)"
check "the new file is encrypted" test "$(header app.db)" != "SQLite format 3"
eq "the sqlite3 shell cannot read it" "$(sqlite3 app.db 'SELECT count(*) FROM sqlite_master' 2>&1 || true)" \
	"Error: in prepare, file is not a database (26)"

run -d app.db -m m --sqlite-key-file key up
expect_rc 0
expect_out_has "up to date"
run -d app.db -m m --sqlite-key-file key status
expect_rc 0
expect_out_has "notes   applied"
run -d app.db -m m --sqlite-key-file key history
expect_rc 0
expect_out_has "people"
run -d app.db -m m --sqlite-key-file key dump
expect_rc 0
expect_out_has "table notes"
run -d app.db -m m --sqlite-key-file key verify
expect_rc 0

# --- the key from a command -------------------------------------------------
export LADDER_SQLITE_KEY_COMMAND="cat '$T/key'"
run -d app.db -m m status
expect_rc 0
expect_out_has "up to date"
run -d app.db -m m down
expect_rc 0
run -d app.db -m m --sqlite-key-file key status # the option wins over the command
expect_rc 0
expect_out_has "pending"
LADDER_SQLITE_KEY_COMMAND="echo 'vault locked' >&2; echo '$PASSPHRASE'; exit 7"
run -d app.db -m m up
expect_rc 1
expect_err_has "vault locked" # the command's own messages pass through
expect_err_has "the key command (LADDER_SQLITE_KEY_COMMAND) failed with exit status 7; nothing was opened"
LADDER_SQLITE_KEY_COMMAND="true"
run -d app.db -m m up
expect_rc 1
expect_err_has "the key command's output (LADDER_SQLITE_KEY_COMMAND) holds no key (it is empty)"
unset LADDER_SQLITE_KEY_COMMAND
run -d app.db -m m new third # opens no database: no key is asked for
expect_rc 0
rm -f m/*third*

# --- wrong, missing, empty keys: refused, the file as it was ---------------
before=$(fingerprint app.db)
run -d app.db -m m --sqlite-key-file wrong up
expect_rc 1
expect_err_has "'app.db': the key given does not open it: a wrong key"
expect_one_error_line
run -d app.db -m m up
expect_rc 1
expect_err_has "'app.db': file is encrypted, or not a database: a key is needed"
run -d app.db -m m --sqlite-key-file empty up
expect_rc 1
expect_err_has "the key file 'empty' (--sqlite-key-file) holds no key (it is empty)"
run -d app.db -m m --sqlite-key-file missing-file up
expect_rc 1
expect_err_has "cannot read the key file 'missing-file' (--sqlite-key-file): No such file or directory"
eq "a refused key leaves the file byte for byte" "$(fingerprint app.db)" "$before"
check "and leaves no journal" test ! -e app.db-journal -a ! -e app.db-wal

# --- a plain file is not read with a key ------------------------------------
run -d plain.db -m m up
expect_rc 0
eq "no key, no encryption" "$(header plain.db)" "SQLite format 3"
before=$(fingerprint plain.db)
run -d plain.db -m m --sqlite-key-file key status
expect_rc 1
expect_err_has "not encrypted"
eq "the plain file is left as it was" "$(fingerprint plain.db)" "$before"

# --- the plain ladder refuses a key -----------------------------------------
plain() {
	local sqlcipher=$LADDER
	LADDER=$PLAIN
	run "$@"
	LADDER=$sqlcipher
}
plain -d new.db -m m --sqlite-key-file key up
expect_rc 1
expect_err_has "a key was given, but this ladder is built with plain SQLite"
expect_err_has "nothing was changed"
check "it leaves no file behind" test ! -e new.db
before=$(fingerprint app.db)
plain -d app.db -m m --sqlite-key-file key up
expect_rc 1
expect_err_has "a key was given, but this ladder is built with plain SQLite"
expect_err_has "nothing was changed"
plain -d app.db -m m status
expect_rc 1
expect_err_has "file is encrypted, or not a database: a key is needed"
eq "the plain ladder leaves the encrypted file as it was" "$(fingerprint app.db)" "$before"

check "no output anywhere showed the passphrase" true
finish
