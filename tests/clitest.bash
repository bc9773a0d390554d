# tests/clitest.bash — the helpers every tests/cli_*.sh shares, sourced at the
# top of each script; not a test itself (ctest registers tests/cli_*.sh only):
#
#   . "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
#   cli_setup NAME "$@"   # LADDER, ROOT, a scratch folder T as the cwd
#   pg_setup PREFIX       # PostgreSQL scripts: SERVER, PORT, newdb
#   my_setup PREFIX       # MariaDB scripts: MY_SERVER, MY_PORT, mydb, myq
#   ...run/expect_*/eq/check/json...
#   finish                # "N passed, N failed"; fails if any failed
#
# Every assertion counts a pass or a failure and carries on; a failure prints
# what was asserted with the last `run`'s command, exit code and output.
# shellcheck shell=bash disable=SC2034 # LADDER, ROOT, URL, ... are for the scripts

PASS=0 FAIL=0 RC=0 OUT="" ERR="" CMD=""
CLI_AT_EXIT=()

# cli_setup NAME LADDER ROOT: LADDER and ROOT as absolute paths, a fresh
# scratch folder T (removed on exit, after the at_exit hooks) as the working
# directory, umask 022, and no DATABASE_URL or NO_COLOR from outside.
cli_setup() {
	LADDER=$(realpath "$2")
	ROOT=$(realpath "$3")
	T=$(mktemp -d "${TMPDIR:-/tmp}/ladder-$1.XXXXXX")
	trap cli_cleanup EXIT
	trap 'echo "ABORTED at line $LINENO (after $PASS passed, $FAIL failed): $BASH_COMMAND" >&2' ERR
	cd "$T" || exit 1
	umask 022
	unset DATABASE_URL NO_COLOR
}
# at_exit FUNCTION: call FUNCTION on exit, before T is removed
at_exit() { CLI_AT_EXIT+=("$1"); }
cli_cleanup() {
	local hook
	for hook in "${CLI_AT_EXIT[@]}"; do "$hook" || true; done
	rm -rf "$T"
}

# run ARGS...: run ladder; keep its exit code, stdout and stderr. Never trips
# set -e. Sanitizer reports (ASan, UBSan, LSan) are failures on their own.
run() {
	CMD="ladder $*"
	RC=0
	"$LADDER" "$@" >"$T/.out" 2>"$T/.err" </dev/null || RC=$?
	OUT=$(cat "$T/.out")
	ERR=$(cat "$T/.err")
	if grep -Eq 'Sanitizer|runtime error:' "$T/.err"; then
		fail "sanitizer report"
	fi
	# a script that sets CLI_SECRET (a password) asserts no output shows it
	if [ -n "${CLI_SECRET:-}" ] && grep -qF -- "$CLI_SECRET" "$T/.out" "$T/.err"; then
		fail "the output shows the password"
	fi
}

# fail WHAT [DETAIL...]: count a failure and say why
fail() {
	FAIL=$((FAIL + 1))
	{
		printf 'FAIL: %s\n' "$1"
		if [ -n "$CMD" ]; then
			printf '  command: %s\n  exit code: %s\n  stdout:\n' "$CMD" "$RC"
			printf '%s\n' "$OUT" | sed 's/^/    | /'
			printf '  stderr:\n'
			printf '%s\n' "$ERR" | sed 's/^/    | /'
		fi
		if [ $# -gt 1 ]; then printf '%s\n' "${@:2}" | sed 's/^/  /'; fi
	} >&2
}
pass() { PASS=$((PASS + 1)); }

expect_rc() { if [ "$RC" -eq "$1" ]; then pass; else fail "exit code: want $1"; fi; }
expect_out() { if [ "$OUT" == "$1" ]; then pass; else fail "stdout differs" "want:" "$1"; fi; }
expect_err() { if [ "$ERR" == "$1" ]; then pass; else fail "stderr differs" "want:" "$1"; fi; }
expect_out_has() { if [[ $OUT == *"$1"* ]]; then pass; else fail "stdout lacks: ${1@Q}"; fi; }
expect_out_lacks() { if [[ $OUT != *"$1"* ]]; then pass; else fail "stdout has: ${1@Q}"; fi; }
expect_err_has() { if [[ $ERR == *"$1"* ]]; then pass; else fail "stderr lacks: ${1@Q}"; fi; }
expect_err_lacks() { if [[ $ERR != *"$1"* ]]; then pass; else fail "stderr has: ${1@Q}"; fi; }
expect_out_re() { if [[ $OUT =~ $1 ]]; then pass; else fail "stdout does not match: $1"; fi; }
expect_one_line_err() { if [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ]; then pass; else fail "stderr is not one line"; fi; }
# The error on one line, then only the CLI's own advice ("ladder: hint:").
expect_one_error_line() {
	if [ "$(printf '%s\n' "$ERR" | grep -c '^ladder: error: ')" -eq 1 ] &&
		[ "$(printf '%s\n' "$ERR" | grep -vc '^ladder: \(error\|hint\): ')" -eq 0 ]; then pass; else
		fail "want one 'ladder: error:' line and 'ladder: hint:' lines only"
	fi
}
# eq WHAT GOT WANT
eq() { if [ "$2" == "$3" ]; then pass; else fail "$1" "got:  $2" "want: $3"; fi; }
# has WHAT TEXT PART: TEXT must contain PART
has() { if [[ $2 == *"$3"* ]]; then pass; else fail "$1: lacks ${3@Q}" "$2"; fi; }
# check WHAT COMMAND...: the command must succeed
check() {
	local what=$1
	shift
	if "$@"; then pass; else fail "$what"; fi
}

# json WHAT PYTHON: run PYTHON with `d` = stdout parsed as JSON (duplicate
# keys refused), eq(got, want, what) comparing value and type, keys(obj,
# want, what) for the keys in order, and E = os.environ. Output must be
# exactly one line.
CLI_JSON_CHECK=$(
	cat <<'PY'
import json, os, re, sys
class Fail(Exception):
    pass
def pairs(kv):
    keys = [k for k, _ in kv]
    if len(keys) != len(set(keys)):
        raise Fail("duplicate keys: %r" % keys)
    return dict(kv)
def eq(got, want, what="value"):
    if got != want or type(got) is not type(want):
        raise Fail("%s: got %r, want %r" % (what, got, want))
def keys(obj, want, what="object"):
    eq(list(obj), want, what + " keys in order")
E = os.environ
text = sys.stdin.read()
try:
    if E.get("CLI_JSON_LINES"):
        if not text.endswith("\n"):
            raise Fail("JSON lines output must end with a newline")
        lines = [json.loads(line, object_pairs_hook=pairs) for line in text.splitlines()]
    else:
        if text.count("\n") != 1 or not text.endswith("\n"):
            raise Fail("JSON output must be exactly one line")
        d = json.loads(text, object_pairs_hook=pairs)
    exec(sys.argv[1])
except Fail as e:
    print(e)
    sys.exit(1)
except Exception as e:
    print("%s: %s" % (type(e).__name__, e))
    sys.exit(1)
PY
)
json() {
	local msg
	if msg=$(python3 -c "$CLI_JSON_CHECK" "$2" <"$T/.out" 2>&1); then pass; else fail "$1" "$msg"; fi
}
# json_lines WHAT PYTHON: as json, for one JSON object per line (events,
# dry-run steps): `lines` holds them, in order
json_lines() {
	local msg
	if msg=$(CLI_JSON_LINES=1 python3 -c "$CLI_JSON_CHECK" "$2" <"$T/.out" 2>&1); then pass; else fail "$1" "$msg"; fi
}

# hold_write_lock FILE: another process (the sqlite3 shell) takes FILE's
# write lock (BEGIN IMMEDIATE and a row in a table junk, made if missing)
# and keeps it until the script runs `exec 3>&-`; HOLDER is its pid.
hold_write_lock() {
	sqlite3 "$1" "CREATE TABLE IF NOT EXISTS junk (x INTEGER)"
	rm -f "$T/hold.fifo"
	mkfifo "$T/hold.fifo"
	sqlite3 "$1" <"$T/hold.fifo" >/dev/null 2>&1 &
	HOLDER=$!
	exec 3>"$T/hold.fifo"
	echo "BEGIN IMMEDIATE; INSERT INTO junk VALUES (1);" >&3
	for _ in $(seq 100); do # until the holder has it
		sqlite3 -cmd ".timeout 0" "$1" "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1 || break
		sleep 0.05
	done
}

# sql FILE QUERY: what the sqlite3 shell prints
sql() { sqlite3 -batch "$1" "$2"; }
# tables FILE: the SQLite database's tables, sorted, comma-separated
tables() { sql "$1" "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name)"; }

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

# --- PostgreSQL --------------------------------------------------------------
# pg_setup PREFIX: the server tests/pg/server.sh started (its URL in
# $LADDER_PG_URL_FILE) as SERVER, its PORT, no PGPASSWORD from outside, and
# newdb naming databases PREFIX_TAG_PID, all dropped on exit.
pg_setup() {
	if [ -z "${LADDER_PG_URL_FILE:-}" ] || [ ! -s "$LADDER_PG_URL_FILE" ]; then
		echo "LADDER_PG_URL_FILE is not set or empty: run through ctest (tests/pg/server.sh)" >&2
		exit 1
	fi
	SERVER=$(cat "$LADDER_PG_URL_FILE")
	PORT=${SERVER##*:}
	PORT=${PORT%%/*}
	PG_PREFIX=$1
	DBS=()
	at_exit pg_drop_databases
	unset PGPASSWORD
}
# newdb TAG: a fresh database PREFIX_TAG_PID; sets URL to it
newdb() {
	local name="${PG_PREFIX}_$1_$$"
	psql -X -q "$SERVER" -c "CREATE DATABASE \"$name\"" >/dev/null
	DBS+=("$name")
	URL="${SERVER%/*}/$name"
}
pg_drop_databases() {
	local db
	for db in "${DBS[@]}"; do psql -X -q "$SERVER" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true; done
}

# --- MariaDB -------------------------------------------------------------------
# my_setup PREFIX: the server tests/mariadb/server.sh started (its URL in
# $LADDER_MARIADB_URL_FILE: mariadb://ladder:PW@127.0.0.1:PORT/) as
# MY_SERVER, its MY_PORT, MY_SOCKET and password MY_PASSWORD (CLI_SECRET:
# every `run` asserts its output never shows it), and mydb naming databases
# PREFIX_TAG_PID, all dropped on exit.
my_setup() {
	if [ -z "${LADDER_MARIADB_URL_FILE:-}" ] || [ ! -s "$LADDER_MARIADB_URL_FILE" ]; then
		echo "LADDER_MARIADB_URL_FILE is not set or empty: run through ctest (tests/mariadb/server.sh)" >&2
		exit 1
	fi
	MY_SERVER=$(cat "$LADDER_MARIADB_URL_FILE")
	MY_PORT=${MY_SERVER##*:}
	MY_PORT=${MY_PORT%%/*}
	MY_SOCKET=$(cat "$(dirname "$LADDER_MARIADB_URL_FILE")/socket")
	MY_PASSWORD=${MY_SERVER#*://*:}
	MY_PASSWORD=${MY_PASSWORD%%@*}
	CLI_SECRET=$MY_PASSWORD
	MY_PREFIX=$1
	MY_DBS=()
	at_exit my_drop_databases
}
# myq [DB] SQL: what the mariadb client prints (tab-separated, no headers),
# as root over the socket, in database DB when given
myq() {
	if [ $# -eq 2 ]; then
		mariadb --no-defaults -uroot -S "$MY_SOCKET" -N -B "$1" -e "$2"
	else
		mariadb --no-defaults -uroot -S "$MY_SOCKET" -N -B -e "$1"
	fi
}
# mydb TAG: a fresh database PREFIX_TAG_PID; sets URL to it and MYDB to its name
mydb() {
	MYDB="${MY_PREFIX}_$1_$$"
	myq "CREATE DATABASE \`$MYDB\`"
	MY_DBS+=("$MYDB")
	URL="${MY_SERVER%/}/$MYDB"
}
my_drop_databases() {
	local db
	for db in "${MY_DBS[@]}"; do myq "DROP DATABASE IF EXISTS \`$db\`" >/dev/null 2>&1 || true; done
}
