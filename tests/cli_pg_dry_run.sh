#!/usr/bin/env bash
# tests/cli_pg_dry_run.sh — `ladder up/down --dry-run` against a real
# PostgreSQL server: the steps listed with how each would run (CREATE INDEX
# CONCURRENTLY alone, ALTER TYPE ... ADD VALUE committing after it), no
# schema, no history table and no row created or changed, no advisory lock
# taken (it answers at once while another session holds the migration lock
# that every real run takes), and refusals as the real run's.
#
# Usage: bash tests/cli_pg_dry_run.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-pg-dry-run "$@"
pg_setup ladder_dry

# q URL QUERY: one value, as psql prints it unaligned
q() { psql -X -q -A -t "$1" -c "$2"; }
# everything outside the catalogs: relations with their row versions
shape() {
	q "$1" "SELECT coalesce(string_agg(n.nspname || '.' || c.relname, ',' ORDER BY n.nspname, c.relname), '') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
	q "$1" "SELECT coalesce(string_agg(nspname, ',' ORDER BY nspname), '') FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'"
}

mkdir migrations
printf 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);\n' >migrations/1_users.up.sql
printf 'DROP TABLE users;\n' >migrations/1_users.down.sql
printf 'CREATE INDEX CONCURRENTLY users_email ON users (email);\n' >migrations/2_email_index.up.sql
printf 'DROP INDEX users_email;\n' >migrations/2_email_index.down.sql
printf "CREATE TYPE mood AS ENUM ('ok');\nALTER TYPE mood ADD VALUE 'sad';\n" >migrations/3_mood.up.sql
printf 'DROP TYPE mood;\n' >migrations/3_mood.down.sql

# --- an empty database, with --schema: nothing created --------------------------------------
newdb fresh
DB=$URL
before=$(shape "$DB")
run -d "$DB" --schema app up --dry-run --exit-code
expect_rc 3
expect_out_has "  ↑ 1 users  [in the run's transaction]"
expect_out_has "  ↑ 2 email_index  [no transaction: CREATE INDEX CONCURRENTLY at ./migrations/2_email_index.up.sql:1]"
expect_out_has "      CREATE INDEX CONCURRENTLY users_email ON users (email);"
expect_out_has "  ↑ 3 mood  [in the run's transaction; commits after it: ALTER TYPE ... ADD VALUE at ./migrations/3_mood.up.sql:2]"
expect_out_has "Would apply 3 migration(s): version 0 → 3."
eq "no schema, no history table" "$(shape "$DB")" "$before"
run -d "$DB" --schema app up --dry-run --json
lines_ok=$(python3 -c 'import json,sys; l=[json.loads(x) for x in sys.stdin]; print([(x["version"], x["runs"], x["commits_after"]) for x in l[:-1]], l[-1]["to"])' <"$T/.out")
# the run commits before and after the step that runs alone, and after ADD VALUE
eq "--json" "$lines_ok" "[(1, 'transaction', True), (2, 'no-transaction', True), (3, 'transaction', True)] 3"

# --- partly applied: the file of record unchanged, row versions included -----------------------
run -d "$DB" up --to 1
expect_rc 0
rows() { q "$DB" "SELECT string_agg(version || ':' || xmin::text, ',' ORDER BY version) FROM ladder_history"; }
before=$(shape "$DB")
before_rows=$(rows)
run -d "$DB" up --dry-run
expect_rc 0
expect_out_lacks "↑ 1 users"
expect_out_has "Would apply 2 migration(s): version 1 → 3."
run -d "$DB" down --dry-run
expect_rc 0
expect_out_has "  ↓ 1 users  [in the run's transaction]"
expect_out_has "Would revert 1 migration(s): version 1 → 0."
eq "dry runs changed nothing" "$(shape "$DB")" "$before"
eq "dry runs wrote no row" "$(rows)" "$before_rows"

# --- no advisory lock: answers while another session holds it ----------------------------------
KEY=$(q "$DB" "SELECT hashtextextended('ladder:public:history', 0)")
psql -X -q "$DB" -c "SELECT pg_advisory_lock($KEY)" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
HOLDER=$!
for _ in $(seq 100); do
	[ "$(q "$DB" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 1 ] && break
	sleep 0.05
done
START=$(date +%s%N)
run -d "$DB" --lock-timeout 60 up --dry-run
ELAPSED_MS=$((($(date +%s%N) - START) / 1000000))
expect_rc 0
expect_out_has "Would apply 2 migration(s): version 1 → 3."
check "the dry run did not wait for the advisory lock (took ${ELAPSED_MS} ms)" test "$ELAPSED_MS" -lt 3000
eq "only the holder's advisory lock" "$(q "$DB" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" "1"
run -d "$DB" --lock-timeout 0.3 up # every real run takes it, and waits
expect_rc 1
expect_err_has "another migrator holds the migration lock"
q "$DB" "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'" >/dev/null
wait "$HOLDER" 2>/dev/null || true

# --- refusals as the real run's ----------------------------------------------------------------
printf 'CREATE TABLE t4 (x int);\nCOMMIT;\n' >migrations/4_stray.up.sql
run -d "$DB" up --dry-run
dry_rc=$RC dry_err=$ERR
run -d "$DB" up
eq "stray COMMIT: exit code as the real run's" "$dry_rc" "$RC"
eq "stray COMMIT: refusal as the real run's" "$dry_err" "$ERR"
expect_err_has "COMMIT inside migration 4 stray (up)"
rm migrations/4_stray.up.sql
run -d "$DB" down --to 7 --dry-run
expect_rc 1
expect_err "ladder: error: cannot go down to version 7: the database is at version 1, below it; nothing was changed"
eq "refusals changed nothing" "$(rows)" "$before_rows"

finish
