#!/usr/bin/env bash
# tests/cli_errors.sh — how the `ladder` CLI fails: every usage error exits 2
# with "Try 'ladder --help'"; every library error exits 1 with
# "ladder: error: ..." (a failing statement named by file and line); the
# refusals (edited, newer, out of order, no down) change nothing and the
# allow-flags do what they say; bad paths, corrupt files and a held lock
# fail cleanly and quickly.
#
# Usage: bash tests/cli_errors.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-errors "$@"
HOLDER=""
kill_holder() { if [ -n "$HOLDER" ]; then kill "$HOLDER" 2>/dev/null || true; wait "$HOLDER" 2>/dev/null || true; fi; }
at_exit kill_holder

# usage ARGS...: a usage error: exit 2, one message, the hint, nothing on stdout
usage() {
	local message=$1
	shift
	run "$@"
	expect_rc 2
	expect_out ""
	expect_err "ladder: $message
Try 'ladder --help'."
}
# error MESSAGE-PART ARGS...: a library or I/O error: exit 1, "ladder: error: "
error() {
	local part=$1
	shift
	run "$@"
	expect_rc 1
	expect_out ""
	if [[ $ERR == "ladder: error: "*"$part"* ]]; then pass; else
		fail "want 'ladder: error: ...$part...'"
	fi
	expect_one_error_line
}
fingerprint() { printf '%s %s\n' "$(sha256sum <"$1")" "$(stat -c %Y "$1")"; }
recorded() { sqlite3 -batch "$1" "SELECT group_concat(version || ':' || state, ' ') FROM (SELECT * FROM ladder_history ORDER BY version)"; }
# plan DIR VERSION...: DIR with VERSION_tVERSION.up.sql / .down.sql for each
plan() {
	local dir=$1 v
	shift
	mkdir -p "$dir"
	for v in "$@"; do
		echo "CREATE TABLE t$v (id INTEGER);" >"$dir/${v}_t$v.up.sql"
		echo "DROP TABLE t$v;" >"$dir/${v}_t$v.down.sql"
	done
}

plan m 1 2 3
ladder_up() { "$LADDER" "$@" >/dev/null; } # setup steps, not assertions

# --- usage errors: exit 2 ------------------------------------------------------
# bare ladder: the short help, on stderr, exit 2
for args in "" "-d app.db"; do
	run $args
	expect_rc 2
	expect_out ""
	expect_err_has "Usage: ladder [options] COMMAND [command options]"
	expect_err_has "  status    what is applied and pending"
	expect_err_has "Run 'ladder --help' for every option."
done
usage "unknown command 'frob'" -d app.db frob
usage "unknown command 'stauts': did you mean 'status'?" -d app.db stauts
usage "unknown command 'dwon': did you mean 'down'?" -d app.db dwon
usage "unknown command 'verfiy': did you mean 'verify'?" verfiy
usage "unknown command 'st'" st
usage "unexpected argument '2': to revert 2 step(s), write 'down --steps 2' (or 'down --to V' for a version)" -d app.db down 2
usage "unexpected argument '5': to apply up to version 5, write 'up --to 5'" -d app.db up 5
usage "unknown command 'fr?[2Job'" $'fr\033[2Job' # no escape sequence reaches the terminal
usage "no database: pass -d URL, set DATABASE_URL, or put DATABASE_URL= in ./.env" up
usage "no database: pass -d URL, set DATABASE_URL, or put DATABASE_URL= in ./.env" status --json
DATABASE_URL="" usage "no database: pass -d URL, set DATABASE_URL, or put DATABASE_URL= in ./.env" up
usage "no database: pass -d URL, set DATABASE_URL, or put DATABASE_URL= in ./.env" -d "" up
usage "unknown or ambiguous option '--bogus'" -d app.db up --bogus
usage "unknown or ambiguous option '--allow'" -d app.db up --allow # newer? out-of-order?
usage "unknown option '-x'" -x
usage "option '-d' needs a value" status -d
usage "option '--to' needs a value" -d app.db up --to
usage "option '--json' takes no value" -d app.db status --json=yes
usage "option '--steps' does not apply to 'up'" -d app.db up --steps 2
usage "option '--json' does not apply to 'new'" -m m new x --json
usage "option '--exit-code' does not apply to 'history'" -d app.db history --exit-code
usage "option '--to' does not apply to 'status'" -d app.db status --to 1
usage "option '--single' does not apply to 'up'" -d app.db up --single
usage "option '-o/--output' does not apply to 'status'" -d app.db status -o x.c
usage "option '--checksums' does not apply to 'down'" -d app.db down --checksums
usage "'down' takes --to or --steps, not both" -d app.db down --to 1 --steps 1
usage "invalid version 'x' for --to" -d app.db up --to x
usage "invalid version '-1' for --to" -d app.db down --to -1
usage "invalid version '1.5' for --to" -d app.db up --to 1.5
usage "invalid version '99999999999999999999' for --to" -d app.db up --to 99999999999999999999
usage "invalid version '0' for 'up --to': omit --to to apply everything" -d app.db up --to 0
usage "invalid --steps '0': expected a positive number" -d app.db down --steps 0
usage "invalid --steps '-2': expected a positive number" -d app.db down --steps -2
usage "invalid --steps '3000000000': expected a positive number" -d app.db down --steps 3000000000
for bad in abc -1 1e3 inf nan 0x10 1.2.3 "" 99999999; do
	usage "invalid --lock-timeout '$bad': expected seconds, e.g. 30 or 2.5" -d app.db --lock-timeout "$bad" up
done
usage "unexpected argument 'extra'" -d app.db up extra

# --- down --to above the database's version is a mistake, like up --to beyond the plan ------
plan dt 1 2
ladder_up -m dt -d dt.db up
before=$(fingerprint dt.db)
error "cannot go down to version 5: the database is at version 2, below it; nothing was changed" -m dt -d dt.db down --to 5
eq "down --to above the head changes nothing" "$(fingerprint dt.db)" "$before"
run -m dt -d dt.db down --to 2
expect_rc 0
expect_out "Nothing to revert: the database is at version 2."

# --- URLs: a mistyped or unknown scheme is refused by name, never taken for a file ---------
for url in "postgress://app:S3cret@db/shop" "mysql:x.db" "file:new.db?mode=rwc"; do
	scheme=${url%%:*}
	error "no driver for URLs of scheme '$scheme:' (this ladder knows " -m m -d "$url" up
	expect_err_lacks "S3cret"
	if [ -e "$url" ] || [ -e "x.db" ] || [ -e "new.db" ]; then fail "a file was created for $url"; else pass; fi
done
# a plain path verifies like sqlite:PATH (scratch files, not a server)
ladder_up -m m -d plain.db up
run -m m -d plain.db verify
expect_rc 0
expect_out_has "check(s):"
run -m m -d sqlite:plain.db verify
expect_rc 0
usage "unexpected argument 'two'" -d app.db status one two
usage "'new' needs a NAME" new
usage "invalid migration name 'bad name': use letters, digits, '_' and '-'" new "bad name"
usage "unexpected argument 'b'" new a b
usage "'repair' needs exactly one of --applied V, --pending V, --checksums, --statement-done V or --statement-not-done V" -d app.db repair
usage "'repair' needs exactly one of --applied V, --pending V, --checksums, --statement-done V or --statement-not-done V" -d app.db repair --applied 1 --checksums
usage "'repair' needs exactly one of --applied V, --pending V, --checksums, --statement-done V or --statement-not-done V" -d app.db repair --applied 1 --pending 1
usage "invalid version '0' for --applied" -d app.db repair --applied 0
usage "invalid version 'x' for --pending" -d app.db repair --pending x
usage "invalid --symbol '1abc': expected a C identifier" embed --symbol 1abc
usage "invalid --symbol 'a-b': expected a C identifier" embed --symbol a-b
usage "option '--from' needs a value" -d app.db adopt --from
check "no usage error creates a database or a migrations folder" test ! -e app.db -a ! -e migrations

# --- a failing statement: file and line, nothing changed -----------------------------
ladder_up -m m -d fail.db up --to 1
mkdir -p f && cp m/1_* f/
printf 'CREATE TABLE t2 (id INTEGER);\n' >f/2_t2.up.sql
printf -- '-- migrate:up\nCREATE TABLE t3 (id INTEGER);\n\nINSERT INTO t3 VALUES (1);\nINSERT INTO missing VALUES (2);\n-- migrate:down\nDROP TABLE t3;\n' >f/3_t3.sql
printf 'CREATE TABLE t4 (id INTEGER);\n' >f/4_t4.up.sql
before=$(fingerprint fail.db)
dump_before=$(sqlite3 fail.db .dump)
run -m f -d fail.db up
expect_rc 1
expect_out ""
expect_err "ladder: error: f/3_t3.sql:5: no such table: missing (migration 3 t3, up). The run was rolled back: the database is still at version 1"
eq "a failed run leaves the file as it was" "$(fingerprint fail.db)" "$before"
eq "a failed run leaves schema and store as they were" "$(sqlite3 fail.db .dump)" "$dump_before"
run -m f -d fail.db -v up
expect_rc 1
# -v: the failing step is the last line, left unfinished
expect_out_re $'^  ↑ 2 t2  \\([0-9.]+ ms\\)\n  ↑ 3 t3$'
expect_err_has "f/3_t3.sql:5: no such table: missing"
run -m f -d fail.db --tx-per-migration up
expect_rc 1
expect_err "ladder: error: f/3_t3.sql:5: no such table: missing (migration 3 t3, up). Steps committed before it stay applied: the database is now at version 2"
eq "--tx-per-migration keeps the steps before the failure" "$(recorded fail.db)" "1:done 2:done"
eq "and nothing of the failed one" "$(tables fail.db)" "ladder_history,t1,t2"
run -m f -d fail.db status --json
json "status after a --tx-per-migration failure" 'eq((d["current"], d["pending"]), (2, 2), "current, pending")'

# a down that fails names its own file and line
printf 'DROP TABLE t2;\nDROP TABLE nope;\n' >f/2_t2.down.sql
before=$(fingerprint fail.db)
run -m f -d fail.db down
expect_rc 1
expect_err_has "f/2_t2.down.sql:2: no such table: nope (migration 2 t2, down)"
eq "a failed down leaves the file as it was" "$(fingerprint fail.db)" "$before"

# --- a failed up on a new path leaves no file behind ------------------------------------
# (the SQLite driver creates the file at open; nothing committed, it goes)
mkdir -p nf-commit nf-sql nf-second
printf 'CREATE TABLE a (id INTEGER);\nCOMMIT;\n' >nf-commit/1_a.up.sql
printf 'CREATE TABLE a (id INTEGER);\nINSERT INTO missing VALUES (1);\n' >nf-sql/1_a.up.sql
printf 'CREATE TABLE a (id INTEGER);\n' >nf-second/1_a.up.sql
printf 'INSERT INTO missing VALUES (1);\n' >nf-second/2_b.up.sql
run -m nf-commit -d sqlite:new.db up
expect_rc 1
expect_err_has "COMMIT inside migration 1 a (up)"
if [ -e new.db ] || [ -e new.db-journal ]; then fail "a refused plan left new.db behind"; else pass; fi
run -m nf-sql -d new.db up
expect_rc 1
expect_err "ladder: error: nf-sql/1_a.up.sql:2: no such table: missing (migration 1 a, up). Nothing was changed: the database is still at version 0"
if [ -e new.db ] || [ -e new.db-journal ]; then fail "a failing first step left new.db behind"; else pass; fi
# a step committed before the failure stays, in the file
run -m nf-second -d new.db --tx-per-migration up
expect_rc 1
eq "what committed before the failure stays" "$(recorded new.db)" "1:done"
rm -f new.db
# an existing empty file is not ladder's to remove
: >given.db
run -m nf-sql -d given.db up
expect_rc 1
if [ -f given.db ] && [ ! -s given.db ]; then pass; else fail "an existing empty file was removed or changed"; fi
# disk full, on a 64 KiB file system in a private mount namespace (root only)
mkdir -p nf-big full
printf 'CREATE TABLE big (b BLOB);\nWITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100)\nINSERT INTO big SELECT randomblob(4000) FROM g;\n' >nf-big/1_big.up.sql
if command -v unshare >/dev/null && unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs full' 2>/dev/null; then
	run_full() { unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs full && "$@"; rc=$?; ls -A full >full.ls; exit $rc' sh "$@"; }
	RC=0
	ERR=$(run_full "$LADDER" -m nf-big -d full/new.db up 2>&1 >/dev/null) || RC=$?
	expect_rc 1
	expect_err "ladder: error: 'full/new.db': database or disk is full. The run was rolled back: the database is still at version 0"
	eq "a full disk leaves no file behind" "$(cat full.ls)" ""
else
	echo "note: cannot mount a small tmpfs here: the disk-full case is not tested"
fi

# --- edited: refused until repaired --------------------------------------------------
plan e 1 2
ladder_up -m e -d edit.db up
echo "-- reviewed" >>e/1_t1.up.sql
before=$(fingerprint edit.db)
for cmd in "up" "--allow-newer --allow-out-of-order up"; do
	# shellcheck disable=SC2086 # word splitting wanted
	run -m e -d edit.db $cmd
	expect_rc 1
	expect_err_has "migration 1 t1 (e/1_t1.up.sql) was edited after it was applied"
	expect_err_has "ladder repair --checksums"
done
plan e 3
run -m e -d edit.db up
expect_rc 1
expect_err_has "was edited after it was applied"
eq "an edited migration stops the run before anything changes" "$(fingerprint edit.db)" "$before"
eq "and 3 is not applied" "$(recorded edit.db)" "1:done 2:done"

# --- newer: applied versions the plan does not know -------------------------------------
plan n 1 2 3
ladder_up -m n -d newer.db up
rm n/3_*
before=$(fingerprint newer.db)
run -m n -d newer.db up
expect_rc 1
expect_err "ladder: error: the database is newer than this program: it has version 3 t3 applied, and this plan ends at 2; upgrade the program (an operator who knows the newer steps are harmless can allow them: LADDER_ALLOW_NEWER)
ladder: hint: \`--allow-newer\` runs anyway, when the newer steps are known to be harmless"
run -m n -d newer.db status --exit-code
expect_rc 1
expect_out_has "  3  t3    unknown  "
expect_out_has "! 3 t3 is applied but not in the plan: the database is newer than this code (--allow-newer runs anyway)."
run -m n -d newer.db --allow-newer up
expect_rc 0
expect_out "Database is up to date at version 3."
run -m n -d newer.db down
expect_rc 1
expect_err_has "applied migration 3 t3 is not in this plan, so its down is unknown"
run -m n -d newer.db --allow-newer down
expect_rc 1
expect_err_has "applied migration 3 t3 is not in this plan, so its down is unknown"
expect_err_lacks "--allow-newer\` runs anyway" # it would not: the down is unknown
eq "refused runs leave the newer database alone" "$(fingerprint newer.db)" "$before"
plan n 4
run -m n -d newer.db up
expect_rc 1
expect_err_has "applied migration 3 t3 is not in this plan"
expect_err_has "ladder: hint: \`--allow-newer\` runs anyway"
eq "4 waits while 3 is unknown" "$(recorded newer.db)" "1:done 2:done 3:done"
run -m n -d newer.db up --allow-newer
expect_rc 0
expect_out "Applied 1 migration(s): version 3 → 4."
eq "--allow-newer applies 4" "$(recorded newer.db)" "1:done 2:done 3:done 4:done"

# --- out of order: a pending version below the applied head -----------------------------
plan o 1 3
ladder_up -m o -d order.db up
plan o 2
before=$(fingerprint order.db)
run -m o -d order.db up
expect_rc 1
expect_err "ladder: error: migration 2 t2 (o/2_t2.up.sql) is pending but the database is already at version 3: it was added out of order (a merged branch?); renumber it above 3, or allow it (LADDER_ALLOW_OUT_OF_ORDER)
ladder: hint: \`--allow-out-of-order\` applies it anyway"
eq "out of order: nothing changed" "$(fingerprint order.db)" "$before"
run -m o -d order.db status --exit-code
expect_rc 1
expect_out_has "  2  t2    out-of-order  -"
expect_out_has "! 2 t2 is pending but older than the applied head: pass --allow-out-of-order to apply it."
run -m o -d order.db status --json
json "out-of-order in status --json" '
eq([(m["version"], m["state"]) for m in d["migrations"]], [(1, "applied"), (2, "out-of-order"), (3, "applied")], "states")
eq((d["current"], d["pending"], d["problems"]), (3, 1, 1), "current, pending, problems")
'
run -m o -d order.db --allow-out-of-order -v up
expect_rc 0
expect_out_re $'^  ↑ 2 t2  \\([0-9.]+ ms\\)\nApplied 1 migration\\(s\\) below the head: the database stays at version 3\\.$'
eq "--allow-out-of-order applies 2" "$(recorded order.db)" "1:done 2:done 3:done"
run -m o -d order.db status --exit-code
expect_rc 0

# --- no down: the run stops before anything changes ----------------------------------------
plan d 1 3
echo "CREATE TABLE t2 (id INTEGER);" >d/2_t2.up.sql # no down beside it
ladder_up -m d -d nodown.db up
before=$(fingerprint nodown.db)
for args in "down --to 0" "down --steps 2" "down --to 1"; do
	# shellcheck disable=SC2086
	run -m d -d nodown.db $args
	expect_rc 1
	expect_err "ladder: error: migration 2 t2 (d/2_t2.up.sql) has no down: cannot revert below version 2; nothing was changed"
done
eq "no down: 3 was not reverted either" "$(fingerprint nodown.db)" "$before"
run -m d -d nodown.db down
expect_rc 0
expect_out "Reverted 1 migration(s): version 3 → 2."
run -m d -d nodown.db down --steps 5
expect_rc 1
expect_err_has "has no down"
plan d5 1
ladder_up -m d5 -d steps.db up
run -m d5 -d steps.db down --steps 2
expect_rc 1
expect_err "ladder: error: cannot revert 2 step(s): only 1 applied step(s) can be reverted"
run -m d5 -d steps.db up --to 7
expect_rc 1
expect_err "ladder: error: target version 7 is not in the plan"

# --- broken migrations directories ----------------------------------------------------------
error "migrations directory 'nope' does not exist" -m nope -d dir.db up
check "a broken plan never creates the database" test ! -e dir.db
error "migrations directory './migrations' does not exist" -d dir.db up
: >a-file
error "migrations directory 'a-file': Not a directory" -m a-file -d dir.db up
mkdir dup
echo "CREATE TABLE x (id INTEGER);" >dup/1_one.up.sql
printf -- '-- migrate:up\nCREATE TABLE x (id INTEGER);\n' >dup/1_other.sql
error "duplicate version 1: 'dup/" -m dup -d dir.db up
if [[ $ERR == *"'dup/1_one.up.sql'"* && $ERR == *"'dup/1_other.sql'"* ]]; then pass; else
	fail "the duplicate error names both files"
fi
mkdir noversion && echo "SELECT 1;" >noversion/create_things.up.sql
error "noversion/create_things.up.sql: cannot read a version from the file name" -m noversion -d dir.db status
mkdir orphan && echo "DROP TABLE x;" >orphan/1_x.down.sql
error "orphan/1_x.down.sql: a down migration without its up (expected 1_x.up.sql beside it)" -m orphan -d dir.db up
check "still no database after all of those" test ! -e dir.db
# up reads only the ups: a broken down file does not stop it, and every
# command that reads the plan whole names it
plan brokendown 1 2
printf 'DROP TABLE t2;\n\001\000' >brokendown/2_t2.down.sql
run -m brokendown -d bd.db up
expect_rc 0
expect_out "Applied 2 migration(s): version 0 → 2."
for cmd in status down redo verify; do
	error "brokendown/2_t2.down.sql:2: the file holds a NUL byte (byte 17): not SQL text" -m brokendown -d bd.db $cmd
done
eq "down and redo changed nothing" "$(sql bd.db "SELECT group_concat(version) FROM ladder_history")" "1,2"

# --- bad databases ----------------------------------------------------------------------------
error "cannot create database '$T/no/such/dir/app.db': directory '$T/no/such/dir' does not exist" -m m -d "sqlite:$T/no/such/dir/app.db" up
check "the missing folder is not created" test ! -e "$T/no"
error "cannot create database 'new?line/app.db'" -m m -d $'new\nline/app.db' up # one line, no raw control bytes
for cmd in status history down adopt "repair --checksums"; do
	# shellcheck disable=SC2086
	error "database 'typo.db' does not exist" -m m -d typo.db $cmd
done
check "only up creates a database" test ! -e typo.db
head -c 4096 /dev/urandom >corrupt.db
before=$(fingerprint corrupt.db)
for cmd in up status "status --json" history down adopt "repair --checksums"; do
	# shellcheck disable=SC2086
	error "'corrupt.db': file is encrypted, or not a database" -m m -d corrupt.db $cmd
done
eq "a corrupt file is left as it was" "$(fingerprint corrupt.db)" "$before"
sqlite3 alien.db "CREATE TABLE ladder_history (x INTEGER)"
error "'alien.db': table 'ladder_history' is not a ladder history table (no such column: version)" -m m -d alien.db status
error "'alien.db': table 'ladder_history' is not a ladder history table (no such column: version)" -m m -d alien.db up
error "unknown version store 'bogus' (expected history, history:TABLE, user_version or comment:TABLE)" -m m -d fail.db --store bogus status
error "the comment store is PostgreSQL-only" -m m -d fail.db --store comment:versions status
error "version store 'history:': the table name must be 1 to 127 bytes" -m m -d fail.db --store history: status
error "does not fit in PRAGMA user_version (32-bit). The run was rolled back: the database is still at version 0" \
	-m "$ROOT/examples/basic/migrations" -d uv.db --store user_version up
eq "user_version is untouched" "$(sqlite3 uv.db 'PRAGMA user_version')" "0"
"$LADDER" -m m -d fail.db status >/dev/full 2>"$T/.err" && RC=0 || RC=$?
ERR=$(cat "$T/.err") OUT="" CMD="ladder status >/dev/full"
expect_rc 1
expect_err "ladder: error: writing to standard output failed"

# --- lock timeout: another process holds the write lock ----------------------------------------
plan l 1 2
ladder_up -m l -d lock.db up --to 1
sqlite3 lock.db "CREATE TABLE junk (x INTEGER)"
before=$(sqlite3 lock.db .dump)
hold_write_lock lock.db
start=$(date +%s%N)
run -m l -d lock.db --lock-timeout 0.5 up
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
expect_rc 1
expect_out ""
expect_err "ladder: error: another connection holds the write lock on sqlite:lock.db (waited 0.5 s)"
check "--lock-timeout 0.5 waits about half a second (took ${elapsed_ms} ms)" test "$elapsed_ms" -ge 450 -a "$elapsed_ms" -lt 3000
run -m l -d lock.db --lock-timeout 0.5 up --to 1 # current: the no-op takes no write lock
expect_rc 0
expect_out "Database is up to date at version 1."
run -m l -d lock.db --lock-timeout 0.5 status --json # reads wait for nobody
expect_rc 0
json "status while another process writes" 'eq((d["current"], d["pending"]), (1, 1), "current, pending")'
exec 3>&- # end of input: the holder rolls back and exits
wait "$HOLDER" || true
HOLDER=""
eq "the timed-out run changed nothing" "$(sqlite3 lock.db .dump)" "$before"
run -m l -d lock.db --lock-timeout 0.5 up
expect_rc 0
expect_out "Applied 1 migration(s): version 1 → 2."

# the lock file that runs committing more than once take (--tx-per-migration
# with two steps to run)
if command -v flock >/dev/null; then
	ladder_up -m l -d lock.db down --to 0
	exec 4>lock.db-ladder-lock
	flock 4
	run -m l -d lock.db --lock-timeout 0.3 --tx-per-migration up
	expect_rc 1
	expect_err "ladder: error: another migrator holds the migration lock on sqlite:lock.db (waited 0.3 s)"
	exec 4>&-
	run -m l -d lock.db --lock-timeout 0.3 --tx-per-migration up
	expect_rc 0
	expect_out "Applied 2 migration(s): version 0 → 2."
else
	echo "note: flock(1) not found: the lock-file case is not tested"
fi

finish
