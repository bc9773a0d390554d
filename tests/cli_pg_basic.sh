#!/usr/bin/env bash
# tests/cli_pg_basic.sh — the `ladder` CLI against a real PostgreSQL server
# (the one tests/pg/server.sh started, named by $LADDER_PG_URL_FILE): up with
# a CREATE INDEX CONCURRENTLY no-transaction step, the no-op, status --json,
# history --json, down, --schema, --store comment:TABLE, adopting a comment
# into the history table, --lock-timeout, and connection failures that print
# one line each and never the password.
#
# Usage: bash tests/cli_pg_basic.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

LADDER=$(realpath "$1")
[ -n "${LADDER_PG_URL_FILE:-}" ] && [ -s "$LADDER_PG_URL_FILE" ] ||
	{ echo "LADDER_PG_URL_FILE is not set or empty: run through ctest (tests/pg/server.sh)" >&2; exit 1; }
SERVER=$(cat "$LADDER_PG_URL_FILE")
PORT=${SERVER##*:}
PORT=${PORT%%/*}
T=$(mktemp -d "${TMPDIR:-/tmp}/ladder-cli-pg.XXXXXX")
DBS=()
cleanup() {
	for db in "${DBS[@]}"; do psql -X -q "$SERVER" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true; done
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T"
unset DATABASE_URL NO_COLOR PGPASSWORD

# --- helpers (each cli_*.sh carries its own copy) ----------------------------
PASS=0 FAIL=0 RC=0 OUT="" ERR="" CMD=""
trap 'echo "ABORTED at line $LINENO (after $PASS passed, $FAIL failed): $BASH_COMMAND" >&2' ERR

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
}

fail() {
	FAIL=$((FAIL + 1))
	{
		printf 'FAIL: %s\n  command: %s\n  exit code: %s\n  stdout:\n' "$1" "$CMD" "$RC"
		printf '%s\n' "$OUT" | sed 's/^/    | /'
		printf '  stderr:\n'
		printf '%s\n' "$ERR" | sed 's/^/    | /'
		if [ $# -gt 1 ]; then printf '%s\n' "${@:2}" | sed 's/^/  /'; fi
	} >&2
}
pass() { PASS=$((PASS + 1)); }

expect_rc() { if [ "$RC" -eq "$1" ]; then pass; else fail "exit code: want $1"; fi; }
expect_out() { if [ "$OUT" == "$1" ]; then pass; else fail "stdout differs" "want:" "$1"; fi; }
expect_err() { if [ "$ERR" == "$1" ]; then pass; else fail "stderr differs" "want:" "$1"; fi; }
expect_err_has() { if [[ $ERR == *"$1"* ]]; then pass; else fail "stderr lacks: ${1@Q}"; fi; }
expect_err_lacks() { if [[ $ERR != *"$1"* ]]; then pass; else fail "stderr has: ${1@Q}"; fi; }
expect_out_lacks() { if [[ $OUT != *"$1"* ]]; then pass; else fail "stdout has: ${1@Q}"; fi; }
expect_one_line_err() { if [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ]; then pass; else fail "stderr is not one line"; fi; }
# eq WHAT GOT WANT
eq() { if [ "$2" == "$3" ]; then pass; else fail "$1" "got:  $2" "want: $3"; fi; }
# json WHAT PYTHON: run PYTHON with `d` = stdout parsed as JSON (duplicate
# keys refused), eq(got, want, what) comparing value and type, and E =
# os.environ. Output must be exactly one line.
cat >"$T/.json_check.py" <<'PY'
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
E = os.environ
text = sys.stdin.read()
try:
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
json() {
	local msg
	if msg=$(python3 "$T/.json_check.py" "$2" <"$T/.out" 2>&1); then pass; else fail "$1" "$msg"; fi
}
finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
# -----------------------------------------------------------------------------

# newdb TAG: a fresh database; prints its URL
newdb() {
	local name="ladder_cli_$1_$$"
	psql -X -q "$SERVER" -c "CREATE DATABASE \"$name\"" >/dev/null
	DBS+=("$name")
	echo "postgres://postgres@127.0.0.1:$PORT/$name"
}
# q URL QUERY: one value, as psql prints it unaligned
q() { psql -X -q -A -t "$1" -c "$2"; }

mkdir migrations
printf 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);\n' >migrations/1_users.up.sql
printf 'DROP TABLE users;\n' >migrations/1_users.down.sql
printf -- '-- ladder:no-transaction\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n' \
	>migrations/2_email_index.up.sql
printf 'DROP INDEX users_email;\n' >migrations/2_email_index.down.sql
printf -- '-- migrate:up\nCREATE TABLE notes (id serial PRIMARY KEY, body text);\n-- migrate:down\nDROP TABLE notes;\n' \
	>migrations/3_notes.sql
export PGDB PORT

# --- up, the no-op, status, history, down ------------------------------------------
DB=$(newdb basic)
PGDB=${DB##*/}
run -d "$DB" up
expect_rc 0
eq "tables after up" "$(q "$DB" "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relname IN ('users','notes','users_email','ladder_history')")" \
	"ladder_history,notes,users,users_email"
eq "index is valid" "$(q "$DB" "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email'::regclass")" "t"
XMIN=$(q "$DB" "SELECT string_agg(xmin::text, ',' ORDER BY version) FROM ladder_history")
run -q -d "$DB" up
expect_rc 0
expect_out ""
expect_err ""
eq "no-op wrote nothing" "$(q "$DB" "SELECT string_agg(xmin::text, ',' ORDER BY version) FROM ladder_history")" "$XMIN"
DATABASE_URL=$DB run status --json
expect_rc 0
json "status --json" '
eq(d["database"], "postgres://postgres@127.0.0.1:%s/%s" % (E["PORT"], E["PGDB"]), "database")
eq(d["store"], "history", "store")
eq(d["current"], 3, "current")
eq(d["pending"], 0, "pending")
eq([m["state"] for m in d["migrations"]], ["applied"] * 3, "states")
eq([m["version"] for m in d["migrations"]], [1, 2, 3], "versions")'
run -d "$DB" history --json
expect_rc 0
json "history --json" '
eq([(m["version"], m["name"], m["kind"]) for m in d["migrations"]], [(1, "users", "migration"), (2, "email_index", "migration"), (3, "notes", "migration")])'
run -d "$DB" down --steps 2
expect_rc 0
eq "after down 2" "$(q "$DB" "SELECT string_agg(version::text, ',') FROM ladder_history")" "1"
eq "index dropped" "$(q "$DB" "SELECT count(*) FROM pg_class WHERE relname IN ('users_email', 'notes')")" "0"
run -d "$DB" down --to 0
expect_rc 0
eq "after down --to 0" "$(q "$DB" "SELECT count(*) FROM ladder_history")" "0"
run -d "$DB" up
expect_rc 0

# --- a failing migration names file, line and SQLSTATE; nothing changes -------------
printf 'CREATE TABLE tags (id integer);\n\nINSERT INTO nope VALUES (1);\n' >migrations/4_tags.up.sql
run -d "$DB" up
expect_rc 1
expect_err_has "4_tags.up.sql:3: ERROR 42P01: relation \"nope\" does not exist"
expect_err_has "still at version 3"
eq "rolled back" "$(q "$DB" "SELECT count(*) FROM pg_class WHERE relname = 'tags'")" "0"
rm migrations/4_tags.up.sql

# --- --schema --------------------------------------------------------------------------
DB=$(newdb schema)
PGDB=${DB##*/}
run -d "$DB" --schema "my app" up
expect_rc 0
eq "tables in the schema" "$(q "$DB" "SELECT string_agg(n.nspname || '.' || c.relname, ',' ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')")" \
	"my app.ladder_history,my app.notes,my app.users"
run -d "$DB" --schema "my app" status --json
expect_rc 0
json "status --json with --schema" 'eq(d["current"], 3); eq(d["pending"], 0)'
run -d "$DB" status --json
expect_rc 0
json "public knows nothing" 'eq(d["current"], 0); eq(d["pending"], 3)'

# --- --store comment:TABLE, then adopt into history --------------------------------------
DB=$(newdb comment)
PGDB=${DB##*/}
run -d "$DB" --store comment:users up --to 1
expect_rc 0
eq "comment stamped" "$(q "$DB" "SELECT obj_description('users'::regclass, 'pg_class')")" "1"
eq "no history table" "$(q "$DB" "SELECT count(*) FROM pg_class WHERE relname = 'ladder_history'")" "0"
run -d "$DB" --store comment:users status --json
expect_rc 0
json "status with the comment store" 'eq(d["store"], "comment:users"); eq(d["current"], 1); eq(d["pending"], 2)'
q "$DB" "COMMENT ON TABLE users IS 'v1'" >/dev/null
run -d "$DB" --store comment:users up
expect_rc 1
expect_err_has "has the comment 'v1', which is not a version"
q "$DB" "COMMENT ON TABLE users IS '1'" >/dev/null
run -d "$DB" adopt --from comment:users
expect_rc 0
run -d "$DB" history --json
expect_rc 0
json "adopted" 'eq([(m["version"], m["kind"]) for m in d["migrations"]], [(1, "adopted")])'
run -d "$DB" up
expect_rc 0
eq "history after adopt and up" "$(q "$DB" "SELECT string_agg(version || ':' || kind, ',' ORDER BY version) FROM ladder_history")" \
	"1:adopted,2:migration,3:migration"

# --- --lock-timeout --------------------------------------------------------------------------
DB=$(newdb lock)
PGDB=${DB##*/}
KEY=$(q "$DB" "SELECT hashtextextended('ladder:public:history', 0)")
psql -X -q "$DB" -c "SELECT pg_advisory_lock($KEY)" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
HOLDER=$!
for _ in $(seq 100); do
	[ "$(q "$DB" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 1 ] && break
	sleep 0.05
done
START=$(date +%s%N)
run -d "$DB" --lock-timeout 0.5 up
ELAPSED_MS=$((($(date +%s%N) - START) / 1000000))
expect_rc 1
expect_err_has "another migrator holds the migration lock on postgres://postgres@127.0.0.1:$PORT/$PGDB (waited 0.5 s)"
if [ "$ELAPSED_MS" -lt 5000 ]; then pass; else fail "--lock-timeout 0.5 took ${ELAPSED_MS} ms"; fi
eq "nothing created" "$(q "$DB" "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'")" "0"
q "$DB" "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'" >/dev/null
wait "$HOLDER" 2>/dev/null || true
run -d "$DB" --lock-timeout 5 up
expect_rc 0

# --- connection failures: one line, never the password ---------------------------------------
SECRET="Cli-Wr0ng-Pass"
run -d "postgres://ladder_pw:$SECRET@127.0.0.1:$PORT/postgres" status
expect_rc 1
expect_one_line_err
expect_err_has "cannot connect to postgres://ladder_pw@127.0.0.1:$PORT/postgres: "
expect_err_has "password authentication failed for user \"ladder_pw\""
expect_err_lacks "$SECRET"
expect_out_lacks "$SECRET"
DATABASE_URL="host=127.0.0.1 port=$PORT user=ladder_pw password=$SECRET dbname=postgres" run up
expect_rc 1
expect_one_line_err
expect_err_lacks "$SECRET"
run -d "postgres://postgres@127.0.0.1:1/postgres" status
expect_rc 1
expect_one_line_err
expect_err_has "cannot connect to postgres://postgres@127.0.0.1:1/postgres: connection to server at \"127.0.0.1\", port 1 failed: Connection refused"
run -d "postgres://postgres@127.0.0.1:$PORT/no_such_database_here" status
expect_rc 1
expect_one_line_err
expect_err_has "database \"no_such_database_here\" does not exist"
run -d "postgres://ladder_pw:ladder-pw-s3cret@127.0.0.1:$PORT/postgres" status --json
expect_rc 0
json "a good password is not shown either" 'eq(d["database"], "postgres://ladder_pw@127.0.0.1:%s/postgres" % E["PORT"])'
expect_out_lacks "ladder-pw-s3cret"

finish
