#!/usr/bin/env bash
# cli_verify.sh — `ladder dump` and `ladder verify` through the CLI on SQLite:
# dump to stdout and --out, deterministic bytes, verify passing on the
# bundled examples, failing (exit 1, a diff naming the object) on a broken
# plan, and --seed giving the legacy starting point.
set -euo pipefail
LADDER=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
has() { if grep -qF -- "$2" <<<"$1"; then ok; else bad "output lacks '$2':"; echo "$1" | sed 's/^/    | /'; fi; }
rc_is() { if [ "$1" = "$2" ]; then ok; else bad "exit code $1, want $2 ($3)"; fi; }

cp -r "$SRC/examples/basic/migrations" basic
"$LADDER" -q -d app.db -m basic up
out=$("$LADDER" -d app.db dump); rc=$?
rc_is $rc 0 "dump"
has "$out" "table notes"
has "$out" "  check (length(title) <= 200)"
has "$out" "index notes_user on notes (user_id)"
if grep -q ladder_history <<<"$out"; then bad "the dump shows ladder's own store"; else ok; fi
"$LADDER" -d app.db dump --out schema.txt
if [ "$(cat schema.txt)" = "$out" ]; then ok; else bad "--out differs from stdout"; fi
if [ "$(stat -c %a schema.txt)" = 640 ]; then ok; else bad "schema.txt mode $(stat -c %a schema.txt)"; fi
set +e
"$LADDER" -d missing.db dump >/dev/null 2>err.txt; rc=$?
set -e
rc_is $rc 1 "dump of a missing database"
has "$(cat err.txt)" "database 'missing.db' does not exist"

out=$("$LADDER" -m basic verify); rc=$?
rc_is $rc 0 "verify of the bundled examples"
has "$out" "ok    20261103090000 notes_title: down restores the schema before its up"
has "$out" "9 check(s): 9 passed, 0 failed, 0 skipped."

# a down that forgets to drop an index
mkdir broken
printf 'CREATE TABLE t (id INTEGER, v TEXT);\n' >broken/1_t.up.sql
printf 'DROP TABLE t;\n' >broken/1_t.down.sql
printf 'CREATE INDEX t_v ON t (v);\n' >broken/2_ix.up.sql
printf 'SELECT 1;\n' >broken/2_ix.down.sql
set +e
out=$("$LADDER" -m broken verify 2>err.txt); rc=$?
set -e
rc_is $rc 1 "verify of a broken plan"
has "$out" "FAIL  2 ix: down restores the schema before its up"
has "$out" "+index t_v on t (v)"
has "$(cat err.txt)" "ladder: error: 2 of 6 verification check(s) failed"

# --seed: the legacy table the first step upgrades
mkdir legacy
printf 'ALTER TABLE tokens RENAME COLUMN task TO subject;\n' >legacy/1_rename.up.sql
printf 'CREATE TABLE tokens (token TEXT PRIMARY KEY, subject TEXT);\n' >legacy/1_schema.baseline.sql
printf 'CREATE TABLE tokens (token TEXT PRIMARY KEY, task TEXT);\nINSERT INTO tokens VALUES ('"'"'a'"'"', '"'"'b'"'"');\n' >v0.sql
out=$("$LADDER" -m legacy verify --seed v0.sql); rc=$?
rc_is $rc 0 "verify --seed"
has "$out" "ok    baseline at 1 equals the steps up to 1"
set +e
"$LADDER" -m legacy verify --seed nope.sql >/dev/null 2>err.txt; rc=$?
set -e
rc_is $rc 1 "verify --seed with a missing file"
has "$(cat err.txt)" "cannot read 'nope.sql'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
