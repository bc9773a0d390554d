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

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-pg "$@"
pg_setup ladder_cli

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
newdb basic
DB=$URL
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
newdb schema
DB=$URL
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
newdb comment
DB=$URL
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
expect_out "Adopted version 1 from comment:users: recorded 1 migration(s) in the history store.
The comment on table \"users\" stays '1': ladder records versions in its history table from now on and leaves the stamp alone, so anything that reads that comment keeps seeing 1."
run -d "$DB" history --json
expect_rc 0
json "adopted" 'eq([(m["version"], m["kind"]) for m in d["migrations"]], [(1, "adopted")])'
run -d "$DB" up
expect_rc 0
eq "history after adopt and up" "$(q "$DB" "SELECT string_agg(version || ':' || kind, ',' ORDER BY version) FROM ladder_history")" \
	"1:adopted,2:migration,3:migration"
eq "the comment stays where adopt said it would" "$(q "$DB" "SELECT obj_description('users'::regclass, 'pg_class')")" "1"

# --- --lock-timeout --------------------------------------------------------------------------
newdb lock
DB=$URL
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
expect_err_has "another migrator holds the migration lock on postgres://postgres@127.0.0.1:$PORT/$PGDB (waited 0.5 s; held by pid "
expect_err_has ", application 'psql', client 127.0.0.1)" # the holder, from pg_stat_activity
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
