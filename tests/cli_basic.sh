#!/usr/bin/env bash
# tests/cli_basic.sh — the everyday surface of the `ladder` CLI on real SQLite
# files: up, status, history and down on examples/basic/migrations, --to,
# --steps, -q, -v, --version, --help, DATABASE_URL, sqlite: URLs and plain
# paths, status --exit-code, and the exact JSON shape of status and history.
#
# Usage: bash tests/cli_basic.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-basic "$@"

V1=20261101090000 V2=20261102090000 V3=20261103090000
cp -r "$ROOT/examples/basic/migrations" migrations
SUM1=$(sha256sum <migrations/${V1}_create_users.up.sql | cut -c1-64)
# a single-file migration's checksum covers its up section: the lines
# between "-- migrate:up" and "-- migrate:down"
SUM2=$(sed -n '/^-- migrate:up$/,/^-- migrate:down$/{//!p}' migrations/${V2}_create_notes.sql | sha256sum | cut -c1-64)
SUM3=$(sha256sum <migrations/${V3}_notes_title.up.sql | cut -c1-64)
export V1 V2 V3 SUM1 SUM2 SUM3
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
ESC=$'\033'
columns() { sql "$1" "SELECT group_concat(name, ',') FROM pragma_table_info('$2')"; }
recorded() { sql "$1" "SELECT group_concat(version || ':' || name || ':' || state, ' ') FROM (SELECT * FROM ladder_history ORDER BY version)"; }

# --- --version, --help ---------------------------------------------------------
VERSION=$(sed -n 's/^#define LADDER_VERSION_STRING "\(.*\)"$/\1/p' "$ROOT/include/ladder.h")
for flag in --version -V; do
	run $flag
	expect_rc 0
	expect_out "ladder $VERSION"
	expect_err ""
done
run --help
expect_rc 0
expect_err ""
HELP=$OUT
expect_out_re '^Usage: ladder \[options\] COMMAND \[command options\]'
# shellcheck disable=SC2016 # $DATABASE_URL is text
for text in "  up [--to V]" "  down [--to V | --steps N]" "  status [--json] [--exit-code]" "  history [--json]" \
	"  new NAME [--single]" "  adopt [--from user_version|comment:TABLE]" \
	"  repair --applied V | --pending V | --checksums" "  embed [-o FILE] [--symbol NAME]" \
	"  -d, --database URL" '(default: $DATABASE_URL, else DATABASE_URL=' "      --no-dotenv" "  -m, --migrations DIR" "(default: ./migrations)" \
	"      --store SPEC" "history:TABLE, user_version" "      --lock-timeout SECONDS" "      --allow-newer" \
	"      --allow-out-of-order" "      --tx-per-migration" "  -q, --quiet" "  -v, --verbose" "  -h, --help" \
	"  -V, --version" "  0  success" "  1  error" "  2  usage error" "  3  status --exit-code: migrations are pending"; do
	expect_out_has "$text"
done
run -h
eq "-h prints what --help prints" "$OUT" "$HELP"
run help
eq "'ladder help' prints what --help prints" "$OUT" "$HELP"
# one command's help: its synopsis, options and an example, from --help's own lines
for command in up down status history new adopt repair embed dump verify; do
	run "$command" --help
	expect_rc 0
	expect_out_has "Usage: ladder [options] $command"
	expect_out_has "Example:
  ladder "
	line=$(grep -m1 "^  $command\b" <<<"$HELP")
	expect_out_has "$line"
	one=$OUT
	run help "$command"
	eq "'ladder help $command' prints what '$command --help' prints" "$OUT" "$one"
done
run up --help
expect_out_has "--strict: refuse a step whose SQL cannot run in a"
expect_out_lacks "  down [--to V"
run help frob
expect_rc 2
expect_err "ladder: no help for 'frob': not a command
Try 'ladder --help'."
run --help --bogus
expect_rc 2 # an unknown option is a usage error even beside --help
expect_out ""

# --- a fresh database: everything pending ----------------------------------------
: >app.db # an empty file is an empty SQLite database
run -d app.db status
expect_rc 0
expect_err ""
expect_out "Database: sqlite:app.db (store: history)

       VERSION  NAME          STATE    APPLIED AT
$V1  create_users  pending  -
$V2  create_notes  pending  -
$V3  notes_title   pending  -

Version 0 of $V3: 3 pending."
expect_out_lacks "$ESC" # not a terminal: no colour

run -d app.db status --json
expect_rc 0
expect_err ""
json "status --json on a fresh database" '
keys(d, ["database", "store", "current", "head", "pending", "problems", "empty", "below_floor", "migrations"], "status")
eq(d["database"], "sqlite:app.db", "database")
eq(d["store"], "history", "store")
eq(d["current"], 0, "current")
eq(d["head"], int(E["V3"]), "head")
eq(d["pending"], 3, "pending")
eq(d["problems"], 0, "problems")
eq(d["empty"], True, "empty")
eq(d["below_floor"], False, "below_floor")
eq(len(d["migrations"]), 3, "number of migrations")
want = [(int(E["V1"]), "create_users", E["SUM1"]), (int(E["V2"]), "create_notes", E["SUM2"]),
        (int(E["V3"]), "notes_title", E["SUM3"])]
for m, (version, name, checksum) in zip(d["migrations"], want):
    keys(m, ["version", "name", "state", "kind", "applied_at", "duration_ms", "checksum", "empty", "runs", "runs_why"], "migration")
    eq(m["version"], version, "version")
    eq(m["name"], name, "name")
    eq(m["state"], "pending", "state")
    eq(m["kind"], "migration", "kind")
    eq(m["applied_at"], None, "applied_at of a pending migration")
    eq(m["duration_ms"], None, "duration_ms of a pending migration")
    eq(m["checksum"], checksum, "checksum (SHA-256 of the up text)")
'
run -d app.db status --exit-code
expect_rc 3
expect_out_has "Version 0 of $V3: 3 pending."
run -d app.db -q status --exit-code
expect_rc 3
expect_out ""
expect_err ""
run -d app.db status --json --exit-code
expect_rc 3
json "status --json --exit-code still prints JSON" 'eq(d["pending"], 3, "pending")'

run -d app.db history
expect_rc 0
expect_out "Database: sqlite:app.db (store: history)

No migrations recorded."
run -d app.db history --json
expect_rc 0
expect_out '{"database":"sqlite:app.db","store":"history","migrations":[]}'
json "history --json on a fresh database" 'keys(d, ["database", "store", "migrations"], "history"); eq(d["migrations"], [], "migrations")'
eq "status and history write nothing to a fresh database" "$(stat -c %s app.db)" "0"

# --- up --to, then the rest -----------------------------------------------------
run -d app.db up --to $V2
expect_rc 0
expect_err ""
expect_out "Applied 2 migration(s): version 0 → $V2."
eq "tables after up --to $V2" "$(tables app.db)" "ladder_history,notes,users"
eq "notes before the rebuild" "$(columns app.db notes)" "id,user_id,body"
eq "history rows after up --to $V2" "$(recorded app.db)" "$V1:create_users:done $V2:create_notes:done"

run -d app.db status --exit-code
expect_rc 3
expect_out_re "^Database: sqlite:app\.db \(store: history\)

       VERSION  NAME          STATE    APPLIED AT
$V1  create_users  applied  $TS
$V2  create_notes  applied  $TS
$V3  notes_title   pending  -

Version $V2 of $V3: 1 pending\.\$"

run -d app.db status --json
expect_rc 0
json "status --json part way" '
tsre = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
eq(d["current"], int(E["V2"]), "current")
eq(d["head"], int(E["V3"]), "head")
eq(d["pending"], 1, "pending")
eq(d["empty"], False, "empty")
eq([m["state"] for m in d["migrations"]], ["applied", "applied", "pending"], "states")
for m in d["migrations"][:2]:
    keys(m, ["version", "name", "state", "kind", "applied_at", "duration_ms", "checksum", "empty", "runs", "runs_why"], "migration")
    eq(type(m["applied_at"]), str, "applied_at type")
    eq(bool(tsre.match(m["applied_at"])), True, "applied_at format " + m["applied_at"])
    eq(type(m["duration_ms"]), int, "duration_ms type")
    eq(m["duration_ms"] >= 0, True, "duration_ms >= 0")
    eq(m["kind"], "migration", "kind")
eq([m["checksum"] for m in d["migrations"]], [E["SUM1"], E["SUM2"], E["SUM3"]], "checksums")
eq(d["migrations"][2]["applied_at"], None, "applied_at of the pending one")
eq(d["migrations"][2]["duration_ms"], None, "duration_ms of the pending one")
'

run -d app.db history --json
expect_rc 0
json "history --json" '
keys(d, ["database", "store", "migrations"], "history")
eq(d["database"], "sqlite:app.db", "database")
eq(d["store"], "history", "store")
eq([(m["version"], m["name"], m["state"], m["kind"], m["checksum"]) for m in d["migrations"]],
   [(int(E["V1"]), "create_users", "applied", "migration", E["SUM1"]),
    (int(E["V2"]), "create_notes", "applied", "migration", E["SUM2"])], "entries")
for m in d["migrations"]:
    keys(m, ["version", "name", "state", "kind", "applied_at", "duration_ms", "checksum"], "entry")
    eq(bool(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", m["applied_at"])), True, "applied_at")
    eq(type(m["duration_ms"]), int, "duration_ms type")
'
run -d app.db history
expect_rc 0
expect_out_re "^Database: sqlite:app\.db \(store: history\)

       VERSION  NAME          STATE    KIND       APPLIED AT            DURATION
$V1  create_users  applied  migration  $TS +[0-9]+ ms
$V2  create_notes  applied  migration  $TS +[0-9]+ ms\$"

run -d app.db -v up
expect_rc 0
expect_err ""
expect_out_re "^  ↑ $V3 notes_title  \([0-9]+\.[0-9] ms\)
Applied 1 migration\(s\): version $V2 → $V3\.\$"
eq "notes after the rebuild" "$(columns app.db notes)" "id,user_id,title,body"
eq "history rows after up" "$(recorded app.db)" "$V1:create_users:done $V2:create_notes:done $V3:notes_title:done"

run -d app.db status --exit-code
expect_rc 0
expect_out_re "
Version $V3 of $V3: up to date\.\$"
run -d app.db status --json
json "status --json when current" '
eq((d["current"], d["head"], d["pending"], d["problems"]), (int(E["V3"]), int(E["V3"]), 0, 0), "current, head, pending, problems")
eq([m["state"] for m in d["migrations"]], ["applied"] * 3, "states")
'

# --- the second up changes nothing: same bytes, same mtime ------------------------
sum_before=$(sha256sum app.db)
mtime_before=$(stat -c '%Y %y' app.db)
sleep 1
run -d app.db up
expect_rc 0
expect_err ""
expect_out "Database is up to date at version $V3."
run -d app.db -v up
expect_out "Database is up to date at version $V3."
run -d app.db up --to $V2 # a target below the head is not a way down
expect_rc 0
expect_out "Database is up to date at version $V3."
run -d app.db status --exit-code
expect_rc 0
run -d app.db history --json
expect_rc 0
eq "the no-op up leaves the bytes alone" "$(sha256sum app.db)" "$sum_before"
eq "the no-op up leaves the mtime alone" "$(stat -c '%Y %y' app.db)" "$mtime_before"
check "no journal is left behind" test ! -e app.db-journal -a ! -e app.db-wal

# --- down: 1 step by default, --steps N, --to V, --to 0 -----------------------------
run -d app.db down
expect_rc 0
expect_err ""
expect_out "Reverted 1 migration(s): version $V3 → $V2."
eq "notes after down" "$(columns app.db notes)" "id,user_id,body"
eq "history rows after down" "$(recorded app.db)" "$V1:create_users:done $V2:create_notes:done"

run -d app.db -v down --steps 1
expect_rc 0
expect_out_re "^  ↓ $V2 create_notes  \([0-9]+\.[0-9] ms\)
Reverted 1 migration\(s\): version $V2 → $V1\.\$"
eq "tables after down --steps 1" "$(tables app.db)" "ladder_history,users"

run -d app.db down --to $V2 # above the current version: a mistake, like up --to beyond the plan
expect_rc 1
expect_err "ladder: error: cannot go down to version $V2: the database is at version $V1, below it; nothing was changed"
eq "down --to above the current version changes nothing" "$(recorded app.db)" "$V1:create_users:done"

run -d app.db up -q
run -d app.db down --steps 2
expect_rc 0
expect_out "Reverted 2 migration(s): version $V3 → $V1."
eq "history rows after down --steps 2" "$(recorded app.db)" "$V1:create_users:done"

run -d app.db up -q
run -d app.db down --to $V1
expect_rc 0
expect_out "Reverted 2 migration(s): version $V3 → $V1."
eq "tables after down --to $V1" "$(tables app.db)" "ladder_history,users"

run -d app.db up -q
run -d app.db --verbose down --to 0
expect_rc 0
expect_out_re "^  ↓ $V3 notes_title  \([0-9.]+ ms\)
  ↓ $V2 create_notes  \([0-9.]+ ms\)
  ↓ $V1 create_users  \([0-9.]+ ms\)
Reverted 3 migration\(s\): version $V3 → 0\.\$"
eq "down --to 0 leaves only the history table" "$(tables app.db)" "ladder_history"
run -d app.db history --json
expect_out '{"database":"sqlite:app.db","store":"history","migrations":[]}'
run -d app.db status --json
json "status after down --to 0" '
eq((d["current"], d["pending"], d["empty"]), (0, 3, True), "current, pending, empty")
eq([m["state"] for m in d["migrations"]], ["pending"] * 3, "states")
eq([m["applied_at"] for m in d["migrations"]], [None] * 3, "applied_at")
'
run -d app.db down --to 0
expect_rc 0
expect_out "Nothing to revert: the database is at version 0."

# --- -q / --quiet: nothing but errors (and JSON) -------------------------------------
run -d app.db -q up
expect_rc 0
expect_out ""
expect_err ""
eq "-q up still applies" "$(recorded app.db)" "$V1:create_users:done $V2:create_notes:done $V3:notes_title:done"
run --quiet -d app.db down --to $V1
expect_rc 0
expect_out ""
expect_err ""
eq "--quiet down still reverts" "$(recorded app.db)" "$V1:create_users:done"
for cmd in status history; do
	run -q -d app.db $cmd
	expect_rc 0
	expect_out ""
done
run -q -d app.db status --json
expect_rc 0
json "-q keeps --json output" 'eq(d["current"], int(E["V1"]), "current")'
run -q -d app.db -m no-such-dir up
expect_rc 1
expect_out ""
expect_err "ladder: error: migrations directory 'no-such-dir' does not exist"

# --- --lock-timeout takes seconds, whole or not ------------------------------------------
for seconds in 0 2 2.5 .25 10.; do
	run -d app.db --lock-timeout "$seconds" status --exit-code
	expect_rc 3
done

# --- options on either side of the command, --opt=value, -m ---------------------------
run status --json -d app.db
expect_rc 0
json "options after the command" 'eq(d["current"], int(E["V1"]), "current")'
run up --to=$V2 --database=app.db
expect_rc 0
expect_out "Applied 1 migration(s): version $V1 → $V2."
mkdir elsewhere && mv migrations elsewhere/plan
run -d app.db status
expect_rc 1
expect_err "ladder: error: migrations directory './migrations' does not exist"
run -d app.db history --json # history reads the database alone
expect_rc 0
json "history needs no migrations folder" 'eq([m["version"] for m in d["migrations"]], [int(E["V1"]), int(E["V2"])], "versions")'
run -d app.db -m elsewhere/plan up
expect_rc 0
expect_out "Applied 1 migration(s): version $V2 → $V3."
run -d app.db --migrations=elsewhere/plan status --exit-code
expect_rc 0
mv elsewhere/plan migrations

# --- how the database is named: sqlite:PATH, a plain path, DATABASE_URL ------------------
run -d sqlite:pre.db up -q
expect_rc 0
check "sqlite:pre.db creates pre.db" test -f pre.db
eq "a database ladder creates is private to its owner (0600)" "$(stat -c %a pre.db)" "600"
run -d pre.db status --json
json "the plain path names the same file" 'eq((d["database"], d["current"]), ("sqlite:pre.db", int(E["V3"])), "database, current")'
run -d "sqlite:$T/abs.db" up --to $V1
expect_rc 0
export T
run -d "$T/abs.db" status --json
json "absolute plain path" 'eq((d["database"], d["current"]), ("sqlite:" + E["T"] + "/abs.db", int(E["V1"])), "database, current")'
run -d "sqlite://$T/abs.db" status --json
json "sqlite://ABSOLUTE is the same file" 'eq((d["database"], d["current"]), ("sqlite:" + E["T"] + "/abs.db", int(E["V1"])), "database, current")'

DATABASE_URL=sqlite:env.db run up
expect_rc 0
expect_out "Applied 3 migration(s): version 0 → $V3."
check "DATABASE_URL names the database" test -f env.db
DATABASE_URL=env.db run status --json
json "DATABASE_URL as a plain path" 'eq((d["database"], d["current"]), ("sqlite:env.db", int(E["V3"])), "database, current")'
DATABASE_URL=sqlite:absent.db run -d app.db status --json
expect_rc 0
json "-d wins over DATABASE_URL" 'eq(d["database"], "sqlite:app.db", "database")'
check "the overridden DATABASE_URL is never opened" test ! -e absent.db

# ./.env, as dbmate reads it: only when neither -d nor DATABASE_URL names one
printf '# settings\nOTHER=1\nexport DATABASE_URL="sqlite:env.db"\n' >.env
run status --json
json ".env names the database" 'eq(d["database"], "sqlite:env.db", "database")'
DATABASE_URL=sqlite:app.db run status --json
json "DATABASE_URL wins over .env" 'eq(d["database"], "sqlite:app.db", "database")'
run -d app.db status --json
json "-d wins over .env" 'eq(d["database"], "sqlite:app.db", "database")'
run --no-dotenv status
expect_rc 2
expect_err_has "no database: pass -d URL, set DATABASE_URL, or put DATABASE_URL= in ./.env"
printf "DATABASE_URL='sqlite:absent2.db'\n" >.env
run status
expect_rc 1
expect_err "ladder: error: database 'absent2.db' does not exist"
rm .env

# a path JSON must escape, and one with a control character
odd='q"uo\te.db'
run -d "$odd" up -q
expect_rc 0
run -d "$odd" status --json
ODD=$odd json "a database path with a quote and a backslash" 'eq(d["database"], "sqlite:" + E["ODD"], "database")'
nl=$'new\nline.db'
run -d "$nl" up -q
expect_rc 0
run -d "$nl" status --json
NL=$nl json "a database path with a newline" 'eq(d["database"], "sqlite:" + E["NL"], "database")'
run -d "$nl" status
expect_out_has "Database: sqlite:new?line.db (store: history)"

# --- status --exit-code: 0 current, 3 pending, 1 problems ---------------------------------
cp -r migrations m2
run -d ex.db -m m2 up -q
run -d ex.db -m m2 status --exit-code
expect_rc 0
echo "-- an edit after the fact" >>m2/${V1}_create_users.up.sql
run -d ex.db -m m2 status --exit-code
expect_rc 1
expect_out_has "$V1  create_users  edited   "
expect_out_has "Version $V3 of $V3: not up to date, 1 problem(s).
! $V1 create_users was edited after it was applied: review the change, then run 'ladder repair --checksums'."
run -d ex.db -m m2 -q status --exit-code
expect_rc 1
expect_out ""
run -d ex.db -m m2 status --json --exit-code
expect_rc 1
json "an edited migration in status --json" '
eq((d["problems"], d["pending"]), (1, 0), "problems, pending")
eq(d["migrations"][0]["state"], "edited", "state")
eq(d["migrations"][0]["checksum"], E["SUM1"], "the stored checksum, not the edited file")
'
run -d ex.db -m m2 down --to $V1 -q
run -d ex.db -m m2 status --exit-code
expect_rc 1 # a problem wins over pending work
expect_out_has "Version $V1 of $V3: 2 pending, 1 problem(s)."

finish
