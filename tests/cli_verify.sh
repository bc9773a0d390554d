#!/usr/bin/env bash
# cli_verify.sh — `ladder dump` and `ladder verify` through the CLI on SQLite:
# dump to stdout and --out, deterministic bytes, verify passing on the
# bundled examples, failing (exit 1, a diff naming the object) on a broken
# plan, every broken down of a set reported in one run with a summary that
# adds up, column order warning (failing with --strict), and --seed giving
# the legacy starting point.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-verify "$@"

# The summary line states every number, they add up, and so do the lines.
counts_add_up() {
	local re='([0-9]+) check\(s\): ([0-9]+) passed, ([0-9]+) warning\(s\), ([0-9]+) failed, ([0-9]+) skipped\.'
	if [[ $OUT =~ $re ]]; then
		local total=${BASH_REMATCH[1]} ok=${BASH_REMATCH[2]} warn=${BASH_REMATCH[3]} failed=${BASH_REMATCH[4]}
		local skipped=${BASH_REMATCH[5]}
		eq "checks = passed + warnings + failed + skipped" "$total" "$((ok + warn + failed + skipped))"
		eq "ok lines" "$(grep -c '^ok    ' <<<"$OUT" || true)" "$ok"
		eq "warn lines" "$(grep -c '^warn  ' <<<"$OUT" || true)" "$warn"
		eq "FAIL lines" "$(grep -c '^FAIL  ' <<<"$OUT" || true)" "$failed"
		eq "skip lines" "$(grep -c '^skip  ' <<<"$OUT" || true)" "$skipped"
	else
		fail "no summary line" "$OUT"
	fi
}

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
# --out writes whole or not at all (ladder_file_write, as embed -o): what is
# not a regular file is refused and left alone, the old file stays as it was
echo "the reviewed schema" >reviewed.txt
ln -s reviewed.txt linked.txt
mkdir out-dir
for target in linked.txt out-dir missing/schema.txt; do
	run -d app.db dump --out "$target"
	expect_rc 1
	expect_err_has "ladder: error: "
	expect_err_has "'$target'"
done
eq "the symlink's file is untouched" "$(cat reviewed.txt)" "the reviewed schema"
check "the symlink is still a symlink" test -L linked.txt
eq "nothing was written into the directory" "$(ls -A out-dir)" ""
eq "no temporary file is left" "$(ls -A | grep -c '\.tmp-' || true)" 0
run -d app.db dump --out -
expect_rc 0
eq "--out - is standard output" "$OUT" "$dump"
run -d missing.db dump
expect_rc 1
expect_err_has "database 'missing.db' does not exist"

run -m basic verify
expect_rc 0
expect_out_has "ok    20261103090000 notes_title: down restores the schema before its up"
expect_out_has "9 check(s): 9 passed, 0 warning(s), 0 failed, 0 skipped."
counts_add_up

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
expect_out_has "skip  2 ix: up again gives the same schema (not run: its down did not restore the schema)"
expect_out_has "6 check(s): 4 passed, 0 warning(s), 1 failed, 1 skipped."
expect_err_has "ladder: error: 1 of 6 verification check(s) failed"
counts_add_up

# a set as they come: a typo, a forgotten index, the wrong order, then good
# steps; every broken down is reported in one run, each on its own step
mkdir real
echo 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);' >real/1_users.up.sql
echo 'DROP TABLE users;' >real/1_users.down.sql
echo 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);' >real/2_notes.up.sql
echo 'DROP TABEL notes;' >real/2_notes.down.sql
echo 'CREATE INDEX notes_body ON notes (body);' >real/3_ix.up.sql
echo 'SELECT 1;' >real/3_ix.down.sql
printf 'ALTER TABLE users ADD COLUMN age INTEGER;\nCREATE INDEX users_age ON users (age);\n' >real/4_age.up.sql
printf 'ALTER TABLE users DROP COLUMN age;\nDROP INDEX users_age;\n' >real/4_age.down.sql
echo 'CREATE TABLE tags (name TEXT PRIMARY KEY);' >real/5_tags.up.sql
echo 'DROP TABLE tags;' >real/5_tags.down.sql
run -m real verify
expect_rc 1
expect_out_has "FAIL  2 notes: down restores the schema before its up
      real/2_notes.down.sql:1: near \"TABEL\": syntax error"
expect_out_has "FAIL  3 ix: down restores the schema before its up
--- before 3 up
+++ after 3 down"
expect_out_has "FAIL  4 age: down restores the schema before its up
      real/4_age.down.sql:1: "
expect_out_has "ok    5 tags: down restores the schema before its up"
expect_out_has "ok    5 tags: up again gives the same schema"
expect_out_has "15 check(s): 9 passed, 0 warning(s), 3 failed, 3 skipped."
expect_err_has "ladder: error: 3 of 15 verification check(s) failed"
counts_add_up

# a column dropped and added back returns last: only the order differs, a
# warning (exit 0) unless --strict
mkdir order
echo 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);' >order/1_users.up.sql
echo 'DROP TABLE users;' >order/1_users.down.sql
echo 'ALTER TABLE users DROP COLUMN email;' >order/2_no_email.up.sql
echo 'ALTER TABLE users ADD COLUMN email TEXT;' >order/2_no_email.down.sql
run -m order verify
expect_rc 0
expect_out_has "warn  2 no_email: down restores the schema before its up: column order differs
      table users: (id, email, age) vs (id, age, email)"
expect_out_has "6 check(s): 5 passed, 1 warning(s), 0 failed, 0 skipped."
counts_add_up
run -m order verify --strict
expect_rc 1
expect_out_has "FAIL  2 no_email: down restores the schema before its up
      column order differs (strict)
      table users: (id, email, age) vs (id, age, email)"
expect_out_has "6 check(s): 5 passed, 0 warning(s), 1 failed, 0 skipped."
expect_err_has "ladder: error: 1 of 6 verification check(s) failed"
counts_add_up
run -d app.db dump --strict
expect_rc 2
expect_err_has "--strict"

# an empty down file is a down that does nothing: it runs, and leaving the
# table behind is reported; a step marked irreversible is skipped as such
mkdir empty
echo 'CREATE TABLE a (id INTEGER);' >empty/1_a.up.sql
: >empty/1_a.down.sql
echo 'CREATE TABLE b (id INTEGER);' >empty/2_b.up.sql
echo '-- ladder:irreversible' >empty/2_b.down.sql
run -m empty verify
expect_rc 1
expect_out_has "FAIL  1 a: down restores the schema before its up
--- before 1 up
+++ after 1 down
@@ -0,0 +1,2 @@
+table a
+  column id INTEGER"
expect_out_has "skip  2 b: reversible (it is marked irreversible)"
expect_out_has "5 check(s): 2 passed, 0 warning(s), 1 failed, 2 skipped."
counts_add_up

# dump keeps body text: these two views return 2 and 1
sqlite3 body1.db "CREATE VIEW v AS SELECT 1 -- c
+ 1 AS n;"
sqlite3 body2.db "CREATE VIEW v AS SELECT 1 -- c + 1 AS n
;"
eq "the views differ" "$(sqlite3 body1.db 'SELECT * FROM v') $(sqlite3 body2.db 'SELECT * FROM v')" "2 1"
run -d body1.db dump
body1=$OUT
run -d body2.db dump
if [ "$OUT" != "$body1" ]; then pass; else fail "two views that differ dump alike" "$OUT"; fi

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
