#!/usr/bin/env bash
# cli_verify.sh — `ladder dump` and `ladder verify` through the CLI on SQLite:
# dump to stdout and --out, deterministic bytes, verify passing on the
# bundled examples, failing (exit 1, a diff naming the object) on a broken
# plan, and --seed giving the legacy starting point.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-verify "$@"

cp -r "$ROOT/examples/basic/migrations" basic
"$LADDER" -q -d app.db -m basic up
run -d app.db dump
expect_rc 0
expect_out_has "table notes"
expect_out_has "  check (length(title) <= 200)"
expect_out_has "index notes_user on notes (user_id)"
expect_out_lacks ladder_history # the dump never shows ladder's own store
dump=$OUT
"$LADDER" -d app.db dump --out schema.txt
eq "--out holds what stdout got" "$(cat schema.txt)" "$dump"
eq "schema.txt's mode" "$(stat -c %a schema.txt)" 640
run -d missing.db dump
expect_rc 1
expect_err_has "database 'missing.db' does not exist"

run -m basic verify
expect_rc 0
expect_out_has "ok    20261103090000 notes_title: down restores the schema before its up"
expect_out_has "9 check(s): 9 passed, 0 failed, 0 skipped."

# a down that forgets to drop an index
mkdir broken
printf 'CREATE TABLE t (id INTEGER, v TEXT);\n' >broken/1_t.up.sql
printf 'DROP TABLE t;\n' >broken/1_t.down.sql
printf 'CREATE INDEX t_v ON t (v);\n' >broken/2_ix.up.sql
printf 'SELECT 1;\n' >broken/2_ix.down.sql
run -m broken verify
expect_rc 1
expect_out_has "FAIL  2 ix: down restores the schema before its up"
expect_out_has "+index t_v on t (v)"
expect_err_has "ladder: error: 2 of 6 verification check(s) failed"

# --seed: the legacy table the first step upgrades
mkdir legacy
printf 'ALTER TABLE tokens RENAME COLUMN task TO subject;\n' >legacy/1_rename.up.sql
printf 'CREATE TABLE tokens (token TEXT PRIMARY KEY, subject TEXT);\n' >legacy/1_schema.baseline.sql
printf 'CREATE TABLE tokens (token TEXT PRIMARY KEY, task TEXT);\nINSERT INTO tokens VALUES ('"'"'a'"'"', '"'"'b'"'"');\n' >v0.sql
run -m legacy verify --seed v0.sql
expect_rc 0
expect_out_has "ok    baseline at 1 equals the steps up to 1"
run -m legacy verify --seed nope.sql
expect_rc 1
expect_err_has "cannot read 'nope.sql'"

finish
