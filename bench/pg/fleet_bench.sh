#!/bin/bash
# fleet_bench.sh — a fleet of PostgreSQL schemas (one tenant each) migrated
# from empty in one run (`ladder --schemas 'tenant_%' up -j 8`), against the
# same SQL over 8 raw libpq connections (ladder-fleet-raw-pg) and against a
# loop of one `ladder --schema S up` process per schema, all in the same run
# on a throwaway server (tests/pg/server.sh); then `status` of the whole fleet
# against one `ladder status` process per schema: wall time and round trips.
#
#   bash bench/pg/fleet_bench.sh [BINDIR]       (default: build/bin)
#   FLEET_SCHEMAS=1000  tenant schemas per database
#   FLEET_SAMPLE=100    schemas the process loops run over; their figures are
#                       scaled to FLEET_SCHEMAS (the output says so)
#   FLEET_JOBS=8        fleet workers and raw connections
#   FLEET_RUNS=1        rounds of the migrate-from-empty pair (fresh databases
#                       each round, ladder and raw in turns; best kept)
#
# The plan: 20 migrations of a small multi-tenant application (tables with
# keys and foreign keys, columns added, indexes, a partial index, an enum, a
# view, a CHECK constraint, rows inserted and updated), read by both sides
# from the same files. Each side gets its own database with the same empty
# schemas tenant_00001..; after the run both must hold the same tables (bar
# ladder's history) and the same number of rows.
#
# Round trips are counted as the client's sends (sendto(2) calls, which is
# how libpq writes to its socket), under `strace -f`: each is one message
# batch the client then waits on, connection start-ups (SSL request, startup
# packet) and the goodbye on close included. strace slows a run, so times are
# always taken from runs without it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${1:-$ROOT/build/bin}
SCHEMAS=${FLEET_SCHEMAS:-1000}
SAMPLE=${FLEET_SAMPLE:-100}
JOBS=${FLEET_JOBS:-8}
RUNS=${FLEET_RUNS:-1}
LADDER=$BIN/ladder
RAW=$BIN/ladder-fleet-raw-pg
for p in "$LADDER" "$RAW"; do
	[ -x "$p" ] || { echo "pg/fleet_bench: no $p (build with PostgreSQL first)" >&2; exit 2; }
done
[ "$SAMPLE" -le "$SCHEMAS" ] || SAMPLE=$SCHEMAS

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pg_fleet_bench.XXXXXX")
cleanup() { bash "$ROOT/tests/pg/server.sh" stop "$WORK/pg" >/dev/null 2>&1; rm -rf "$WORK"; }
trap cleanup EXIT
bash "$ROOT/tests/pg/server.sh" start "$WORK/pg" >/dev/null
URL=$(cat "$WORK/pg/url")
BASE=${URL%/*}
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

M=$WORK/migrations
mkdir -p "$M"
python3 - "$M" <<'PY'
import os, sys
steps = [
 ("create_accounts", "CREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());"),
 ("accounts_email", "CREATE UNIQUE INDEX accounts_email ON accounts (email);"),
 ("seed_accounts", "INSERT INTO accounts (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 20) g;"),
 ("create_projects", "CREATE TABLE projects (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id), name text NOT NULL);"),
 ("projects_account", "CREATE INDEX projects_account_id ON projects (account_id);"),
 ("seed_projects", "INSERT INTO projects (account_id, name) SELECT id, 'project ' || id FROM accounts;"),
 ("accounts_display_name", "ALTER TABLE accounts ADD COLUMN display_name text;"),
 ("fill_display_name", "UPDATE accounts SET display_name = split_part(email, '@', 1);"),
 ("create_tasks", "CREATE TABLE tasks (id bigserial PRIMARY KEY, project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,\n  title text NOT NULL, done boolean NOT NULL DEFAULT false);"),
 ("tasks_project", "CREATE INDEX tasks_project_id ON tasks (project_id);"),
 ("seed_tasks", "INSERT INTO tasks (project_id, title) SELECT p.id, 'task ' || g FROM projects p, generate_series(1, 5) g;"),
 ("tasks_due_at", "ALTER TABLE tasks ADD COLUMN due_at timestamptz;"),
 ("tasks_open", "CREATE INDEX tasks_open ON tasks (project_id) WHERE NOT done;"),
 ("create_settings", "CREATE TABLE settings (key text PRIMARY KEY, value jsonb NOT NULL);\nINSERT INTO settings VALUES ('theme', '\"light\"'), ('locale', '\"en\"');"),
 ("projects_archived", "ALTER TABLE projects ADD COLUMN archived boolean NOT NULL DEFAULT false;"),
 ("task_priority", "CREATE TYPE task_priority AS ENUM ('low', 'normal', 'high');\nALTER TABLE tasks ADD COLUMN priority task_priority NOT NULL DEFAULT 'normal';"),
 ("create_comments", "CREATE TABLE comments (id bigserial PRIMARY KEY, task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,\n  body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());"),
 ("comments_task", "CREATE INDEX comments_task_id ON comments (task_id);"),
 ("open_tasks_view", "CREATE VIEW open_tasks AS SELECT t.id, t.title, p.name AS project FROM tasks t JOIN projects p ON p.id = t.project_id WHERE NOT t.done;"),
 ("close_some_tasks", "UPDATE tasks SET done = true WHERE id % 3 = 0;\nALTER TABLE accounts ADD CONSTRAINT accounts_email_at CHECK (email LIKE '%@%');"),
]
for i, (name, sql) in enumerate(steps, 1):
    with open(os.path.join(sys.argv[1], "%04d_%s.up.sql" % (i, name)), "w") as f:
        f.write(sql + "\n")
PY
NFILES=$(ls "$M" | wc -l)

# fresh_db NAME COUNT: database NAME (dropped first) with empty schemas
# tenant_00001..tenant_COUNT.
fresh_db() {
	"${PSQL[@]}" -d "$URL" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
	echo "SELECT format('CREATE SCHEMA tenant_%s', lpad(g::text, 5, '0')) FROM generate_series(1, $2) g \\gexec" |
		"${PSQL[@]}" -d "$BASE/$1" >/dev/null
}
schema_name() { printf 'tenant_%05d' "$1"; }

# What a migrated database holds: tables (ladder's history aside) and rows.
contents() {
	"${PSQL[@]}" -d "$BASE/$1" -At -c "SELECT count(*) FROM pg_tables WHERE schemaname LIKE 'tenant\\_%' AND tablename <> 'ladder_history'" \
		-c "SELECT sum((xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.tasks', nspname), false, true, '')))[1]::text::bigint) FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'" | paste -sd' '
}

now_ns() { date +%s%N; }
declare -A best
keep() { if [ -z "${best[$1]:-}" ] || [ "$2" -lt "${best[$1]}" ]; then best[$1]=$2; fi; }

# --- migrate from empty: the fleet, the raw connections -------------------------
for _ in $(seq "$RUNS"); do
	fresh_db fleet_ladder "$SCHEMAS"
	fresh_db fleet_raw "$SCHEMAS"

	start=$(now_ns)
	"$LADDER" -d "$BASE/fleet_ladder" --schemas 'tenant_%' -m "$M" up -j "$JOBS" --json >"$WORK/up.json" ||
		{ tail -n 3 "$WORK/up.json" >&2; echo "pg/fleet_bench: fleet up failed" >&2; exit 1; }
	keep fleet_up $(($(now_ns) - start))
	summary=$(tail -n 1 "$WORK/up.json")
	case "$summary" in
	*"\"targets\":$SCHEMAS,\"ok\":$SCHEMAS,\"failed\":0,\"skipped\":0,\"migrated\":$SCHEMAS,"*) ;;
	*) echo "pg/fleet_bench: the fleet did not migrate $SCHEMAS schemas: $summary" >&2; exit 1 ;;
	esac

	start=$(now_ns)
	"$RAW" "$BASE/fleet_raw" "$M" 'tenant_%' "$JOBS" >/dev/null
	keep raw_up $(($(now_ns) - start))

	ladder_has=$(contents fleet_ladder) raw_has=$(contents fleet_raw)
	if [ "$ladder_has" != "$raw_has" ]; then
		echo "pg/fleet_bench: ladder's schemas hold '$ladder_has' (tables, task rows), raw's '$raw_has'" >&2
		exit 1
	fi
done

# --- the process loop: one `ladder --schema S up` per schema, over SAMPLE -----------
fresh_db fleet_procs "$SAMPLE"
start=$(now_ns)
for i in $(seq "$SAMPLE"); do
	"$LADDER" -d "$BASE/fleet_procs" --schema "$(schema_name "$i")" -m "$M" up -q ||
		{ echo "pg/fleet_bench: up of $(schema_name "$i") failed" >&2; exit 1; }
done
best[loop_up]=$((($(now_ns) - start) * SCHEMAS / SAMPLE))
procs_has=$(contents fleet_procs)
[ "${procs_has%% *}" -eq $((${ladder_has%% *} * SAMPLE / SCHEMAS)) ] ||
	{ echo "pg/fleet_bench: the process loop's schemas hold '$procs_has'" >&2; exit 1; }

# --- status of the current fleet, and of one process per schema -----------------
status_fleet() { "$LADDER" -d "$BASE/fleet_ladder" --schemas 'tenant_%' -m "$M" status -j "$JOBS" "$@"; }
summary=$(status_fleet --json | tail -n 1)
case "$summary" in
*"\"targets\":$SCHEMAS,\"ok\":$SCHEMAS,\"failed\":0,"*"\"behind\":0,"*) ;;
*) echo "pg/fleet_bench: status did not find $SCHEMAS current schemas: $summary" >&2; exit 1 ;;
esac
for _ in 1 2 3; do
	start=$(now_ns)
	status_fleet >/dev/null
	keep fleet_status $(($(now_ns) - start))
done
start=$(now_ns)
for i in $(seq "$SAMPLE"); do
	"$LADDER" -d "$BASE/fleet_ladder" --schema "$(schema_name "$i")" -m "$M" status >/dev/null
done
best[loop_status]=$((($(now_ns) - start) * SCHEMAS / SAMPLE))

# sends COMMAND...: the client's sendto(2) calls while COMMAND runs.
sends() {
	strace -f -qq -e trace=sendto -o "$WORK/strace" "$@" >/dev/null 2>&1 || true
	grep -c 'sendto(' "$WORK/strace" || true
}
if command -v strace >/dev/null && strace -f -qq -e trace=sendto -o /dev/null true 2>/dev/null; then
	rt_fleet=$(sends "$LADDER" -d "$BASE/fleet_ladder" --schemas 'tenant_%' -m "$M" status -j "$JOBS")
	rt_loop=0
	for i in $(seq "$SAMPLE"); do
		n=$(sends "$LADDER" -d "$BASE/fleet_ladder" --schema "$(schema_name "$i")" -m "$M" status)
		rt_loop=$((rt_loop + n))
	done
	rt_one=$(echo "$rt_loop / $SAMPLE" | bc -l)
	rt_loop=$((rt_loop * SCHEMAS / SAMPLE))
else
	rt_fleet=- rt_loop=- rt_one=-
fi

sec() { printf '%.2f' "$(echo "${best[$1]} / 1000000000" | bc -l)"; }
per() { printf '%.2f' "$(echo "${best[$1]} / 1000000 / $SCHEMAS" | bc -l)"; }
ratio() { printf '%.2fx' "$(echo "${best[$1]} / ${best[$2]}" | bc -l)"; }
row() { printf '  %-66s %8s s %8s ms\n' "$1" "$(sec "$2")" "$(per "$2")"; }
scale="$SAMPLE run, scaled x$(echo "$SCHEMAS / $SAMPLE" | bc -l | sed 's/\.0*$//;s/\(\.[0-9]\{0,2\}\)[0-9]*$/\1/')"

echo "Fleet of $SCHEMAS PostgreSQL schemas x $NFILES migrations from empty ($(psql -X -At -d "$URL" -c 'SHOW server_version')), wall clock per whole process, best of $RUNS:"
row "ladder --schemas 'tenant_%' up -j $JOBS" fleet_up
row "raw libpq, $JOBS connections, one transaction per schema" raw_up
row "loop of \`ladder --schema S up\` processes ($scale)" loop_up
echo "Status of the $SCHEMAS current schemas (best of 3):"
row "ladder --schemas 'tenant_%' status -j $JOBS" fleet_status
row "loop of \`ladder --schema S status\` processes ($scale)" loop_status
echo "Round trips of status (client sendto(2) calls under strace -f, start-ups included):"
printf '  %-66s %10s\n' "ladder --schemas 'tenant_%' status -j $JOBS" "$rt_fleet"
printf '  %-66s %10s\n' "loop of \`ladder --schema S status\` processes ($scale)" "$rt_loop"
[ "$rt_one" = - ] || printf '  %-66s %10.1f\n' "  one such process" "$rt_one"
echo "Ratios:"
printf '  %-66s %8s   (goal <= 1.3x)\n' "fleet up / raw libpq" "$(ratio fleet_up raw_up)"
printf '  %-66s %8s\n' "process loop up / fleet up" "$(ratio loop_up fleet_up)"
printf '  %-66s %8s\n' "process loop status / fleet status" "$(ratio loop_status fleet_status)"
if [ "$rt_fleet" != - ] && [ "$rt_fleet" -gt 0 ]; then
	printf '  %-66s %7.1fx\n' "process loop status round trips / fleet status round trips" "$(echo "$rt_loop / $rt_fleet" | bc -l)"
fi
