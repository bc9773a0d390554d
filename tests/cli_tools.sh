#!/usr/bin/env bash
# tests/cli_tools.sh — the `ladder` CLI's tools: new (both formats, modes,
# version bumps, refused names), embed (stdout, -o, --symbol; the output
# compiles), adopt from user_version, repair (--checksums, --applied,
# --pending on an interrupted no-transaction step), --store history:TABLE,
# and colour: never off a terminal, on a pseudo-terminal unless NO_COLOR or TERM=dumb.
#
# Usage: bash tests/cli_tools.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-tools "$@"

export T
ESC=$'\033'
ladder_up() { "$LADDER" "$@" >/dev/null; } # setup steps, not assertions
utc_now() { date -u +%Y%m%d%H%M%S; }
listing() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | tr '\n' ' '); }
recorded() { sqlite3 -batch "$1" "SELECT group_concat(version || ':' || kind || ':' || state, ' ') FROM (SELECT * FROM ${2:-ladder_history} ORDER BY version)"; }
sha() { sha256sum <"$1" | cut -c1-64; }

# --- new: a pair, or one file with --single ----------------------------------
mkdir proj && cd proj
before=$(utc_now)
run new add_users
after=$(utc_now)
expect_rc 0
expect_err ""
up_file=$(ls migrations/*_add_users.up.sql 2>/dev/null || true)
version=$(basename "${up_file:-none}" | cut -d_ -f1)
expect_out "./migrations/${version}_add_users.up.sql
./migrations/${version}_add_users.down.sql"
check "the version is the UTC time of the call ($before <= $version <= $after)" \
	test "$version" -ge "$before" -a "$version" -le "$after"
eq "new writes exactly the pair" "$(listing migrations)" "./${version}_add_users.down.sql ./${version}_add_users.up.sql "
eq "the up file's text" "$(cat "migrations/${version}_add_users.up.sql")" "-- ${version}_add_users (up)"
eq "the down file's text" "$(cat "migrations/${version}_add_users.down.sql")" "-- ${version}_add_users (down)"
eq "new files are 0640" "$(stat -c %a "migrations/${version}_add_users.up.sql" "migrations/${version}_add_users.down.sql" | tr '\n' ' ')" "640 640 "
eq "a created migrations folder is 0750" "$(stat -c %a migrations)" "750"

run new seed-data --single
expect_rc 0
single=$(ls migrations/*_seed-data.sql 2>/dev/null || echo migrations/none_seed-data.sql)
sversion=$(basename "$single" | cut -d_ -f1)
expect_out "./migrations/${sversion}_seed-data.sql"
check "the second migration gets a later version ($sversion > $version)" test "$sversion" -gt "$version"
eq "the --single template" "$(cat "$single")" "-- migrate:up

-- migrate:down"
eq "--single files are 0640" "$(stat -c %a "$single")" "640"

run -q -m deep/er/plan new quiet_one
expect_rc 0
expect_out ""
check "-q new still writes, and -m folders are created" test -f deep/er/plan/*_quiet_one.up.sql
eq "each created level is 0750" "$(stat -c %a deep deep/er deep/er/plan | tr '\n' ' ')" "750 750 750 "

# the templates hold no SQL (placeholders, applied as no-ops: cli_formats.sh);
# written, they run; a file without a down section cannot be reverted
echo "CREATE TABLE users (id INTEGER);" >>"migrations/${version}_add_users.up.sql"
echo "DROP TABLE users;" >>"migrations/${version}_add_users.down.sql"
printf -- '-- migrate:up\nCREATE TABLE seeds (id INTEGER);\n' >"$single"
run -d new.db up
expect_rc 0
expect_out "Applied 2 migration(s): version 0 → $sversion."
run -d new.db down
expect_rc 1
expect_err "ladder: error: migration $sversion seed-data (./migrations/${sversion}_seed-data.sql) has no down: cannot revert below version $sversion; nothing was changed"
cd "$T"

# versions in use are skipped: stubs hold the next 30 seconds' worth. `new`
# starts from the clock: should the minute turn between here and there, it
# would start past the stubs, so keep clear of the minute's last seconds.
mkdir bump
second=$(date -u +%S)
if [ "${second#0}" -ge 50 ]; then sleep $((61 - ${second#0})); fi
now=$(utc_now)
for i in $(seq 0 29); do echo "SELECT 1;" >"bump/$((now + i))_stub.up.sql"; done
run -m bump new bumped
expect_rc 0
expect_out "bump/$((now + 30))_bumped.up.sql
bump/$((now + 30))_bumped.down.sql"
run -m bump new bumped --single
expect_rc 0
expect_out "bump/$((now + 31))_bumped.sql"

# a directory that numbers its steps gets the next number, as wide as the last
mkdir seq
touch seq/0005_a.up.sql seq/0006_b.up.sql seq/0006_b.down.sql seq/notes.txt
run -m seq new c
expect_rc 0
expect_out "seq/0007_c.up.sql
seq/0007_c.down.sql"
run -m seq new d --single
expect_out "seq/0008_d.sql"
mkdir seq2
touch seq2/9_x.up.sql
run -m seq2 new y
expect_out "seq2/10_y.up.sql
seq2/10_y.down.sql"

# refused names: exit 2, nothing written
mkdir names
for bad in "has space" "semi;colon" "dot.name" "slash/name" "é" "" "quote'd" $'tab\tname'; do
	run -m names new "$bad"
	expect_rc 2
	expect_out ""
	shown=${bad//$'\t'/?}
	expect_err "ladder: invalid migration name '$shown': use letters, digits, '_' and '-'
Try 'ladder --help'."
done
long=$(printf 'n%.0s' $(seq 200))
run -m names new "$long"
expect_rc 2
expect_err "ladder: migration name '${long:0:40}...' is too long
Try 'ladder --help'."
eq "no refused name wrote anything" "$(listing names)" ""
: >not-a-dir
run -m not-a-dir new thing
expect_rc 1
expect_err_has "ladder: error: "
expect_err_has "not-a-dir"
eq "-m naming a file stays a file" "$(stat -c %s not-a-dir)" "0"

# --- embed ---------------------------------------------------------------------
cp -r "$ROOT/examples/basic/migrations" migrations
run embed
expect_rc 0
expect_err ""
cp "$T/.out" stdout.c
# shellcheck disable=SC2016 # the backquotes are text
expect_out_re '^/\*
 \* Generated by `ladder embed` from the migrations in \./migrations:
 \* 3 migrations \(versions 20261101090000 to 20261103090000\)\.'
expect_out_has "#include <ladder.h>"
expect_out_has "const ladder_plan_def ladder_migrations = {"
expect_out_has $'\t.count = 3,'
for f in migrations/20261101090000_create_users.up.sql migrations/20261103090000_notes_title.up.sql; do
	expect_out_has ".checksum = \"$(sha "$f")\","
done
expect_out_has ".version = 20261102090000LL,"
expect_out_has '.name = "notes_title",'
expect_out_has '.up_flags = LADDER_FOREIGN_KEYS_OFF,'
check "the generated C compiles (cc -std=c99 -Wall -Wextra -Werror)" \
	cc -std=c99 -Wall -Wextra -Werror -c -I"$ROOT/include" stdout.c -o stdout.o
check "and defines ladder_migrations" sh -c "nm stdout.o | grep -Eq ' [DR] ladder_migrations\$'"

run embed -o gen.c
expect_rc 0
expect_err ""
expect_out "Wrote 3 migration(s) to gen.c as ladder_migrations."
check "-o FILE holds what stdout got" cmp -s gen.c stdout.c
check "the generated file is not world-readable" test "$(($(stat -c '0%a' gen.c) & 07))" -eq 0
echo "stale" >gen.c
run -q embed -o gen.c
expect_rc 0
expect_out ""
check "-o replaces an existing file" cmp -s gen.c stdout.c
gen_files=(gen.c*)
eq "no temporary file is left beside it" "${gen_files[*]}" "gen.c"

run -m migrations embed --symbol app_plan -o plan.c
expect_rc 0
expect_out "Wrote 3 migration(s) to plan.c as app_plan."
check "--symbol names the variable" grep -q '^const ladder_plan_def app_plan = {$' plan.c
check "and nothing else is called ladder_migrations" sh -c "! grep -q 'ladder_migrations\\b' plan.c"
check "the --symbol output compiles" cc -std=c99 -Wall -Wextra -Werror -c -I"$ROOT/include" plan.c -o plan.o
check "and defines app_plan" sh -c "nm plan.o | grep -Eq ' [DR] app_plan\$'"
run -m migrations embed -o - --symbol app_plan
expect_rc 0
eq "-o - is standard output" "$OUT" "$(cat plan.c)"

mkdir noplan
run -m noplan embed
expect_rc 0
expect_out_has $'\t.count = 0,'
run -m nope embed
expect_rc 1
expect_err "ladder: error: migrations directory 'nope' does not exist"
run embed -o missing/dir/gen.c
expect_rc 1
expect_err_has "ladder: error: cannot write 'missing/dir/gen.c'"
run embed -o "$T"
expect_rc 1
expect_err "ladder: error: refusing to write '$T': it is not a regular file (write to standard output and redirect instead)"
mkfifo pipe
run embed -o pipe
expect_rc 1
expect_err_has "refusing to write 'pipe': it is not a regular file"
check "the FIFO is still a FIFO" test -p pipe
"$LADDER" embed >/dev/full 2>"$T/.err" && RC=0 || RC=$?
OUT="" ERR=$(cat "$T/.err") CMD="ladder embed >/dev/full"
expect_rc 1
expect_err_has "ladder: error: cannot write to standard output"

# --- adopt: from PRAGMA user_version into the history table ----------------------
mkdir small
for v in 1 2 3; do
	echo "CREATE TABLE t$v (id INTEGER);" >small/${v}_t$v.up.sql
	echo "DROP TABLE t$v;" >small/${v}_t$v.down.sql
done
run -m small -d uv.db --store user_version up --to 2
expect_rc 0
expect_out "Applied 2 migration(s): version 0 → 2."
eq "user_version records 2" "$(sqlite3 uv.db 'PRAGMA user_version')" "2"
eq "the user_version store makes no table" "$(tables uv.db)" "t1,t2"
run -m small -d uv.db --store user_version status --json
json "status with --store user_version" '
eq((d["store"], d["current"], d["head"], d["pending"]), ("user_version", 2, 3, 1), "store, current, head, pending")
eq([(m["version"], m["state"], m["applied_at"], m["duration_ms"]) for m in d["migrations"]],
   [(1, "applied", None, None), (2, "applied", None, None), (3, "pending", None, None)], "entries")
'
run -m small -d uv.db --store user_version history --json
expect_rc 0
expect_out '{"database":"sqlite:uv.db","store":"user_version","migrations":[{"version":2,"name":"","state":"applied","kind":"user_version","applied_at":null,"duration_ms":null,"checksum":null}]}'
run -m small -d uv.db --store user_version down
expect_rc 0
expect_out "Reverted 1 migration(s): version 2 → 1."
eq "user_version after down" "$(sqlite3 uv.db 'PRAGMA user_version')" "1"
ladder_up -m small -d uv.db --store user_version up --to 2

run -m small -d uv.db history --json
expect_out '{"database":"sqlite:uv.db","store":"history","migrations":[]}'
run -m small -d uv.db adopt
expect_rc 0
expect_err ""
expect_out "Adopted version 2 from user_version: recorded 2 migration(s) in the history store.
PRAGMA user_version stays 2: ladder records versions in its history table from now on and leaves the stamp alone, so anything that reads user_version keeps seeing 2."
eq "adopted rows" "$(recorded uv.db)" "1:adopted:done 2:adopted:done"
run -m small -d uv.db history --json
SUMS="$(sha small/1_t1.up.sql) $(sha small/2_t2.up.sql)" json "history after adopt" '
eq([(m["version"], m["name"], m["state"], m["kind"], m["checksum"]) for m in d["migrations"]],
   [(1, "t1", "applied", "adopted", E["SUMS"].split()[0]), (2, "t2", "applied", "adopted", E["SUMS"].split()[1])], "entries")
for m in d["migrations"]:
    eq(type(m["applied_at"]), str, "applied_at type")
'
run -m small -d uv.db status --exit-code
expect_rc 3
expect_out_has "Version 2 of 3: 1 pending."
run -m small -d uv.db adopt
expect_rc 1
expect_err "ladder: error: the history table already records 2 migration(s) (up to version 2): nothing to adopt"
run -m small -d uv.db up
expect_rc 0
expect_out "Applied 1 migration(s): version 2 → 3."
eq "history after up" "$(recorded uv.db)" "1:adopted:done 2:adopted:done 3:migration:done"
eq "user_version stays where adopt said it would" "$(sqlite3 uv.db 'PRAGMA user_version')" "2"

ladder_up -m small -d plain.db --store user_version up --to 1
run -m small -d plain.db adopt --from user_version
expect_rc 0
expect_out "Adopted version 1 from user_version: recorded 1 migration(s) in the history store.
PRAGMA user_version stays 1: ladder records versions in its history table from now on and leaves the stamp alone, so anything that reads user_version keeps seeing 1."
ladder_up -m small -d plainj.db --store user_version up --to 1
run -m small -d plainj.db -q adopt --json
expect_rc 0
expect_err ""
json "adopt --json says the stamp stays" '
eq((d["database"], d["from"], d["version"], d["recorded"]), ("sqlite:plainj.db", "user_version", 1, 1), "adopted")
eq((d["source_version"], d["source_kept_in_step"]), (1, False), "the stamp left")
eq(d["note"], "PRAGMA user_version stays 1: ladder records versions in its history table from now on and leaves the stamp alone, so anything that reads user_version keeps seeing 1", "note")
'
ladder_up -m small -d zero.db up --to 1
sqlite3 zero.db "DROP TABLE ladder_history"
run -m small -d zero.db adopt
expect_rc 1
expect_err "ladder: error: nothing to adopt: the user_version store records no version"
run -m small -d zero.db adopt --from comment:versions
expect_rc 1
expect_err_has "PostgreSQL-only"

# --- repair --checksums ------------------------------------------------------------
mkdir rc
cp small/* rc/
ladder_up -m rc -d rc.db up
old_sum=$(sha rc/2_t2.up.sql)
echo "-- a comment added after the fact" >>rc/2_t2.up.sql
new_sum=$(sha rc/2_t2.up.sql)
run -m rc -d rc.db up
expect_rc 1
expect_err_has "migration 2 t2 (rc/2_t2.up.sql) was edited after it was applied: the database recorded checksum ${old_sum:0:12}…, the file now gives ${new_sum:0:12}…"
run -m rc -d rc.db repair --checksums
expect_rc 0
expect_err ""
expect_out "Accepted the plan's checksums for 1 migration(s)."
run -m rc -d rc.db status --json --exit-code
expect_rc 0
NEW="$new_sum" json "the new checksum is recorded" 'eq(d["migrations"][1]["checksum"], E["NEW"], "checksum"); eq(d["problems"], 0, "problems")'
eq "the stored checksum" "$(sqlite3 rc.db 'SELECT checksum FROM ladder_history WHERE version = 2')" "$new_sum"
run -m rc -d rc.db up
expect_rc 0
expect_out "Database is up to date at version 3."
run -m rc -d rc.db repair --checksums
expect_rc 0
expect_out "Every applied checksum matches the plan: nothing to repair."

# --- repair --applied / --pending: an interrupted no-transaction step ----------------
mkdir nt
echo "CREATE TABLE a (id INTEGER);" >nt/1_a.up.sql
printf -- '-- ladder:no-transaction\nCREATE TABLE half (id INTEGER);\nINSERT INTO nope VALUES (1);\n' >nt/2_half.up.sql
run -m nt -d nt.db up
expect_rc 1
expect_err "ladder: error: nt/2_half.up.sql:3: no such table: nope (migration 2 half, up, no-transaction). It is recorded as started: fix the database by hand, then repair its record, as applied if it took effect or as pending to run it again. Steps committed before it stay applied: the database is now at version 1
ladder: hint: after checking the database by hand: \`ladder repair --applied 2\` if it holds migration 2's changes, \`ladder repair --pending 2\` if it does not"
eq "the half step's table stays" "$(tables nt.db)" "a,half,ladder_history"
eq "and it is recorded as started" "$(recorded nt.db)" "1:migration:done 2:migration:started"
check "the lock file goes with the lock (none stays beside the database)" test ! -e nt.db-ladder-lock
cp nt.db nt2.db
run -m nt -d nt.db status --exit-code
expect_rc 1
expect_out_has "      2  half  interrupted  "
expect_out_has "Version 2 of 2: not up to date, 1 problem(s).
! 2 half was interrupted (it ran outside a transaction): fix the database by hand, then run 'ladder repair --applied 2' or 'ladder repair --pending 2'."
run -m nt -d nt.db status --json
json "an interrupted step in status --json" '
eq([(m["version"], m["state"]) for m in d["migrations"]], [(1, "applied"), (2, "interrupted")], "states")
eq(d["problems"], 1, "problems")
eq(type(d["migrations"][1]["applied_at"]), str, "applied_at of a started step")
'
run -m nt -d nt.db up
expect_rc 1
expect_err_has "migration 2 half (nt/2_half.up.sql) was started at "
expect_err_has "but never finished"
run -m nt -d nt.db repair --pending 1
expect_rc 1
expect_err "ladder: error: migration 1 is not recorded as interrupted (it finished)"
run -m nt -d nt.db repair --applied 9
expect_rc 1
expect_err_has "ladder: error: "
# the operator finished it by hand: --applied
sqlite3 nt.db "INSERT INTO a VALUES (1)"
run -m nt -d nt.db repair --applied 2
expect_rc 0
expect_out "Marked migration 2 as applied."
eq "2 is done" "$(recorded nt.db)" "1:migration:done 2:migration:done"
run -m nt -d nt.db status --exit-code
expect_rc 0
run -m nt -d nt.db repair --applied 2
expect_rc 1
expect_err "ladder: error: migration 2 is not recorded as interrupted (it finished)"
# or undid it: --pending, fix the file, run again
sqlite3 nt2.db "DROP TABLE half"
run -m nt -d nt2.db repair --pending 2
expect_rc 0
expect_out "Marked migration 2 as pending: 'ladder up' will run it again."
run -m nt -d nt2.db status --json --exit-code
expect_rc 3
json "a step marked pending" 'eq([m["state"] for m in d["migrations"]], ["applied", "pending"], "states")'
printf -- '-- ladder:no-transaction\nCREATE TABLE half (id INTEGER);\n' >nt/2_half.up.sql
run -m nt -d nt2.db up
expect_rc 0
expect_out "Applied 1 migration(s): version 1 → 2."
eq "2 ran again" "$(recorded nt2.db)" "1:migration:done 2:migration:done"
eq "its table is back" "$(tables nt2.db)" "a,half,ladder_history"

# --- --store history:TABLE -------------------------------------------------------------
run -m small -d ht.db --store history:schema_versions up
expect_rc 0
expect_out "Applied 3 migration(s): version 0 → 3."
eq "the named table holds the history" "$(tables ht.db)" "schema_versions,t1,t2,t3"
eq "its rows" "$(recorded ht.db schema_versions)" "1:migration:done 2:migration:done 3:migration:done"
run -m small -d ht.db --store history:schema_versions status --json
json "status with history:TABLE" 'eq((d["store"], d["current"], d["pending"]), ("history:schema_versions", 3, 0), "store, current, pending")'
run -m small -d ht.db --store history:schema_versions history
expect_out_re "^Database: sqlite:ht\.db \(store: history:schema_versions\)"
run -m small -d ht.db --store history:schema_versions down --to 1
expect_rc 0
expect_out "Reverted 2 migration(s): version 3 → 1."
run -m small -d ht.db status --json # the default store is another table
json "the default store knows nothing of it" 'eq((d["store"], d["current"], d["pending"]), ("history", 0, 3), "store, current, pending")'
check "status did not create ladder_history" test "$(tables ht.db)" = "schema_versions,t1"
run -m small -d odd.db --store 'history:odd "name"' up
expect_rc 0
eq "an odd table name is quoted, not injected" "$(tables odd.db)" 'odd "name",t1,t2,t3'

# --- version and redo -------------------------------------------------------------------
mkdir rd
printf 'CREATE TABLE a (id INTEGER);\n' >rd/1_a.up.sql
printf 'DROP TABLE a;\n' >rd/1_a.down.sql
printf 'CREATE TABLE b (id INTEGER);\n' >rd/2_b.up.sql
printf 'DROP TABLE b;\n' >rd/2_b.down.sql
run -m rd -d rd.db up
expect_rc 0
run -m rd -d rd.db version
expect_rc 0
expect_out "2"
run -m rd -d rd.db redo
expect_rc 0
expect_out "Reverted 1 migration(s): version 2 → 1.
Applied 1 migration(s): version 1 → 2."
eq "redo applies the step again" "$(sqlite3 rd.db 'SELECT version FROM ladder_history ORDER BY 1' | tr '\n' ' ')" "1 2 "
# an up that fails after the down leaves the step reverted, and says so
# (a sloppy down that leaves c behind makes the second up fail)
mkdir rf
printf 'CREATE TABLE b (id INTEGER);\nCREATE TABLE c (id INTEGER);\n' >rf/1_b.up.sql
printf 'DROP TABLE b;\n' >rf/1_b.down.sql
run -m rf -d rf.db up
expect_rc 0
run -m rf -d rf.db redo
expect_rc 1
expect_out "Reverted 1 migration(s): version 1 → 0."
expect_err_has "rf/1_b.up.sql:2: table c already exists"
expect_err_has "ladder: migration 1 stays reverted: the database is at version 0"
run -m rf -d rf.db version
expect_out "0"
run -d missing.db version
expect_rc 1
expect_err "ladder: error: database 'missing.db' does not exist"

# --- colour: only on a terminal, never with NO_COLOR or TERM=dumb ---------------------------------
ladder_up -m small -d colour.db up --to 2
run -m small -d colour.db status
expect_out_lacks "$ESC"
run -m small -d colour.db history
expect_out_lacks "$ESC"
if command -v script >/dev/null; then
	# on_tty [ENV=VALUE...] -- ARGS...: run ladder on a pseudo-terminal
	on_tty() {
		local envs=()
		while [ "$1" != "--" ]; do envs+=("$1"); shift; done
		shift
		CMD="(on a terminal) ${envs[*]} ladder $*"
		RC=0
		env "${envs[@]}" script -qec "$(printf '%q ' "$LADDER" "$@")" /dev/null </dev/null >"$T/.out" 2>"$T/.err" || RC=$?
		OUT=$(tr -d '\r' <"$T/.out")
		ERR=$(cat "$T/.err")
		if grep -Eq 'Sanitizer|runtime error:' "$T/.out" "$T/.err"; then
			fail "sanitizer report"
		fi
	}
	on_tty TERM=xterm -- -m small -d colour.db status
	expect_rc 0
	expect_out_has "${ESC}[1mVERSION${ESC}[0m"
	expect_out_has "      1  t1    ${ESC}[32mapplied${ESC}[0m  "
	expect_out_has "      3  t3    ${ESC}[33mpending${ESC}[0m  -"
	on_tty TERM=xterm -- -m small -d colour.db status --exit-code
	expect_rc 3
	on_tty TERM=xterm -- -m small -d colour.db history
	expect_out_has "${ESC}[32mapplied${ESC}[0m"
	on_tty TERM=xterm NO_COLOR= -- -m small -d colour.db status
	expect_out_has "${ESC}[32mapplied${ESC}[0m" # an empty NO_COLOR does not count
	on_tty TERM=xterm NO_COLOR=1 -- -m small -d colour.db status
	expect_rc 0
	expect_out_has "      1  t1    applied  "
	expect_out_lacks "$ESC"
	on_tty TERM=xterm NO_COLOR=1 -- -m small -d colour.db history
	expect_out_lacks "$ESC"
	on_tty TERM=dumb -- -m small -d colour.db status # a terminal that cannot show colour
	expect_rc 0
	expect_out_has "      1  t1    applied  "
	expect_out_lacks "$ESC"
	on_tty TERM=xterm -- -m small -d colour.db status --json
	expect_out_lacks "$ESC"
	expect_out_re '^\{"database":"sqlite:colour\.db",'
	echo "-- edited" >>small/1_t1.up.sql
	on_tty TERM=xterm -- -m small -d colour.db status
	expect_out_has "${ESC}[31medited${ESC}[0m"
	expect_out_has "${ESC}[31m!${ESC}[0m 1 t1 was edited after it was applied"
	on_tty TERM=xterm NO_COLOR=1 -- -m small -d colour.db status
	expect_out_has "! 1 t1 was edited after it was applied"
	expect_out_lacks "$ESC"
else
	echo "note: script(1) (util-linux) not found: colour on a terminal is not tested, only its absence off one"
fi

finish
