#!/usr/bin/env bash
# tests/cli_lint.sh — `ladder lint` on SQLite: the plan replayed on a scratch
# database (a rebuild of a referenced table, ADD COLUMN forms SQLite refuses
# on a table with rows), the target file's history and row counts
# (--pending, --min-rows), `verify --lint`, and lint never writing to the
# target. (The labelled rule catalogue is tests/cli_lint_catalogue.sh.)
#
# Usage: bash tests/cli_lint.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-lint "$@"

mkdir migrations
cat >migrations/1_init.up.sql <<'EOF'
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id) ON DELETE CASCADE);
EOF
printf 'DROP TABLE posts;\nDROP TABLE users;\n' >migrations/1_init.down.sql
cat >migrations/2_email_not_null.up.sql <<'EOF'
CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
INSERT INTO users_new SELECT id, coalesce(email, '') FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
EOF
cat >migrations/2_email_not_null.down.sql <<'EOF'
-- ladder:foreign-keys off
CREATE TABLE users_old (id INTEGER PRIMARY KEY, email TEXT);
INSERT INTO users_old SELECT id, email FROM users;
DROP TABLE users;
ALTER TABLE users_old RENAME TO users;
EOF
printf 'ALTER TABLE users ADD COLUMN age INTEGER NOT NULL;\n' >migrations/3_age.up.sql
printf 'ALTER TABLE users DROP COLUMN age;\n' >migrations/3_age.down.sql

# --- the plan alone ---------------------------------------------------------------------------
run lint --engine sqlite --json
expect_rc 1
json_lines "the rebuild of a referenced table and NOT NULL without a default" '
got = sorted((x["rule"], x["file"].split("/")[-1], x["line"]) for x in lines if x["event"] == "finding")
assert got == [("add-column-not-null-no-default", "3_age.up.sql", 1),
               ("rebuild-with-foreign-keys", "2_email_not_null.up.sql", 3)], got
assert lines[-1] == {"event": "summary", "errors": 2, "warnings": 0, "suppressed": 0, "below_min_rows": 0, "steps": 3}, lines[-1]'

# marked, the rebuild is what ladder runs safely; no drop-table either
sed -i '1i -- ladder:foreign-keys off' migrations/2_email_not_null.up.sql
run lint --engine sqlite
expect_rc 1
expect_out_lacks "rebuild-with-foreign-keys"
expect_out_lacks "drop-table"
expect_out_has "3_age.up.sql:1:1: error [add-column-not-null-no-default]"

# --- against the target file ------------------------------------------------------------------
run -d app.db up --to 2
expect_rc 0
sql app.db "INSERT INTO users (email) VALUES ('a'), ('b'), ('c');"
before=$(sha256sum app.db)
run -d app.db lint --pending
expect_rc 1
expect_out_has "ADD COLUMN \"age\" NOT NULL without a default fails as soon as \"users\" holds a row (\"users\": 3 rows"
expect_out_has "1 step(s) checked: 1 error(s), 0 warning(s)."
run -d app.db lint --pending --min-rows 10
expect_rc 0
expect_out_has "1 step(s) checked: 0 error(s), 0 warning(s), 1 on tables below --min-rows left out."
eq "lint wrote nothing to the target" "$(sha256sum app.db)" "$before"
check "and left no lock file" test ! -e app.db.lock
run -d missing.db lint
expect_rc 1
check "a missing target is not created" test ! -e missing.db

# a table the target has not created yet is new: NOT NULL there is fine
run -d fresh.db up --to 1
printf 'CREATE TABLE tags (id INTEGER PRIMARY KEY);\n' >migrations/4_tags.up.sql
printf 'ALTER TABLE tags ADD COLUMN name TEXT NOT NULL;\n' >migrations/5_tag_name.up.sql
run -d fresh.db lint --pending --json
json_lines "pending creations are new" '
got = sorted(x["file"].split("/")[-1] for x in lines if x["event"] == "finding")
assert got == ["3_age.up.sql"], got'
run lint --engine sqlite --json
json_lines "without a target, every earlier step counts as deployed" '
got = sorted(x["file"].split("/")[-1] for x in lines if x["event"] == "finding")
assert got == ["3_age.up.sql", "5_tag_name.up.sql"], got'
rm migrations/4_tags.up.sql migrations/5_tag_name.up.sql

# --- a step SQLite cannot run stops the replay, and says so -----------------------------------
printf 'ALTER TABLE users ADD COLUMN code TEXT UNIQUE;\n' >migrations/4_code.up.sql
printf 'CREATE INDEX users_code ON users (code);\n' >migrations/5_index.up.sql
run lint --engine sqlite
expect_rc 1
expect_out_has "4_code.up.sql:1:1: error [statement-fails]: Cannot add a UNIQUE column"
expect_out_has "note: 1 later step not checked: the plan could not be replayed past migration 4"
rm migrations/4_code.up.sql migrations/5_index.up.sql

# --- verify --lint: one CI line -----------------------------------------------------------------
run verify --lint
expect_rc 1
expect_out_has "check(s):"
expect_out_has "error [add-column-not-null-no-default]"
printf 'ALTER TABLE users ADD COLUMN age INTEGER NOT NULL DEFAULT 0;\n' >migrations/3_age.up.sql
run verify --lint
expect_rc 0
expect_out_has "3 step(s) checked: 0 error(s), 0 warning(s)."

finish
