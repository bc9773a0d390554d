#!/usr/bin/env bash
# tests/cli_pg_lint.sh — `ladder lint` with and against a real PostgreSQL
# server: what the target has applied decides which tables are new (an index
# on a table a pending step creates is no finding), findings name the
# table's size from the catalog, --min-rows leaves small tables out,
# --pending checks only what `up` would run, the three output formats and
# exit codes, usage errors, and lint changes nothing on the target.
# (The labelled rule catalogue is tests/cli_lint_catalogue.sh.)
#
# Usage: bash tests/cli_pg_lint.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-pg-lint "$@"
pg_setup ladder_lint

q() { psql -X -q -A -t "$1" -c "$2"; }

mkdir migrations
printf 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n' >migrations/1_users.up.sql
printf 'CREATE INDEX users_email ON users (email);\n' >migrations/2_email.up.sql
printf 'CREATE TABLE items (id bigint PRIMARY KEY, name text);\n' >migrations/3_items.up.sql
printf 'CREATE INDEX items_name ON items (name);\n' >migrations/4_items_name.up.sql
printf 'ALTER TABLE users ADD COLUMN age int NOT NULL;\n' >migrations/5_age.up.sql

newdb target
DB=$URL
run -d "$DB" up --to 2
expect_rc 0
q "$DB" "INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 1000) g; ANALYZE users;"
before=$(q "$DB" "SELECT string_agg(xmin::text || ':' || version, ',' ORDER BY version) FROM ladder_history")

# --- the target decides what is new ---------------------------------------------------------
run -d "$DB" lint --json
expect_rc 1
json_lines "findings with the target's context" '
f = [l for l in lines if l["event"] == "finding"]
got = sorted((x["rule"], x["file"].split("/")[-1], x["line"]) for x in f if not x["suppressed"])
assert got == [("add-column-not-null-no-default", "5_age.up.sql", 1), ("index-not-concurrent", "2_email.up.sql", 1),
               ("lock-timeout-missing", "5_age.up.sql", 1)], got
add = [x for x in f if x["rule"] == "add-column-not-null-no-default"][0]
assert add["table"] == "users" and add["rows"] == 1000 and add["bytes"] > 0, add
assert "\"users\": 1000 rows" in add["message"], add["message"]
s = lines[-1]
assert s["event"] == "summary" and s["errors"] == 2 and s["warnings"] == 1 and s["steps"] == 5, s'

# Without a target, each step is checked as if the earlier ones were
# deployed: items (created in step 3) is then an existing table.
run -m migrations lint --engine postgres --json
expect_rc 1
json_lines "without a target" '
got = sorted((x["rule"], x["file"].split("/")[-1]) for x in lines if x["event"] == "finding")
assert ("index-not-concurrent", "4_items_name.up.sql") in got, got
assert all(x["rows"] == -1 for x in lines if x["event"] == "finding")'
# ... unless --applied-through says what is deployed
run lint --engine postgres --applied-through 2 --json
json_lines "--applied-through" '
got = sorted((x["rule"], x["file"].split("/")[-1]) for x in lines if x["event"] == "finding")
assert ("index-not-concurrent", "4_items_name.up.sql") not in got, got
assert ("index-not-concurrent", "2_email.up.sql") in got, got'

# --- --pending: only what up would run; --min-rows ------------------------------------------
run -d "$DB" lint --pending
expect_rc 1
expect_out_has "5_age.up.sql:1:30: error [add-column-not-null-no-default]: ADD COLUMN \"age\" NOT NULL without a default fails as soon as \"users\" holds a row (\"users\": 1000 rows"
expect_out_has "     1 | ALTER TABLE users ADD COLUMN age int NOT NULL;"
expect_out_has "  fix: add the column nullable (or with a DEFAULT), backfill it, then add NOT NULL"
expect_out_lacks "2_email"
expect_out_has "3 step(s) checked: 1 error(s), 1 warning(s)."
run -d "$DB" lint --pending --min-rows 5000
expect_rc 0
expect_out_has "3 step(s) checked: 0 error(s), 0 warning(s), 2 on tables below --min-rows left out."
run -d "$DB" --ddl-lock-timeout 2 lint --pending --min-rows 10
expect_rc 1
expect_out_lacks "lock-timeout-missing"

# lint took no lock and wrote nothing
eq "history after lint" "$(q "$DB" "SELECT string_agg(xmin::text || ':' || version, ',' ORDER BY version) FROM ladder_history")" "$before"
eq "tables after lint" "$(q "$DB" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" "2"

# --- suppression and formats ----------------------------------------------------------------
cat >migrations/5_age.up.sql <<'EOF'
SET lock_timeout = '2s';
-- ladder:lint-ignore add-column-not-null-no-default because users is emptied by step 4 in production
ALTER TABLE users ADD COLUMN age int NOT NULL;
EOF
run -d "$DB" lint --pending --json
expect_rc 0
json_lines "suppressed, with its reason" '
f = [l for l in lines if l["event"] == "finding"]
assert len(f) == 1 and f[0]["suppressed"] is True, f
assert f[0]["reason"] == "users is emptied by step 4 in production", f[0]
assert lines[-1]["suppressed"] == 1 and lines[-1]["errors"] == 0'
run -d "$DB" lint --pending
expect_out_lacks "add-column-not-null-no-default"
expect_out_has "0 error(s), 0 warning(s), 1 suppressed."

printf '%s\n' '-- ladder:lint-ignore add-column-not-null-no-default' 'ALTER TABLE users ADD COLUMN age int NOT NULL;' \
	>migrations/5_age.up.sql
run -d "$DB" lint --pending --format github
expect_rc 1
expect_out_has "::error file=migrations/5_age.up.sql,line=1,col=1,title=ladder lint lint-ignore-invalid::this \`-- ladder:lint-ignore\` gives no reason"
expect_out_has "::error file=migrations/5_age.up.sql,line=2,col=30,title=ladder lint add-column-not-null-no-default::ADD COLUMN"
expect_out_has "%0Afix: add the column nullable"

printf 'CREATE TABLE fine (id bigint PRIMARY KEY);\n' >migrations/5_age.up.sql
run -d "$DB" lint --pending
expect_rc 0
expect_out_has "3 step(s) checked: 0 error(s), 0 warning(s)."

# --- usage ----------------------------------------------------------------------------------
run lint
expect_rc 2
expect_err_has "lint needs the engine the migrations are written for"
run lint --engine postgres --pending
expect_rc 2
expect_err_has "'lint --pending' needs the database"
run lint --engine postgres --format yaml
expect_rc 2
run lint --engine postgres --json --format github
expect_rc 2
run lint --engine oracle
expect_rc 1
expect_err_has "no driver for engine 'oracle'"
run lint --rules
expect_rc 0
expect_out_has "index-not-concurrent"
run repair --pending
expect_rc 2
expect_err_has "needs a version for 'repair'"

finish
