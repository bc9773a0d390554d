#!/bin/bash
# fleet_bench.sh — a fleet of SQLite files, all current, checked in one run
# (`ladder up --glob`, `status --glob`) against the two ways of doing it
# without a fleet, measured in the same run: a raw C loop in one process
# (ladder-fleet-raw-sqlite: sqlite3_open_v2 + one read + close per file, on
# one thread and on as many threads as the fleet's default workers) and a
# shell loop starting one `ladder -d FILE up` process per file.
#
#   bash bench/fleet_bench.sh [BINDIR]          (default: build/bin)
#   FLEET_FILES=10000  files in the fleet
#   FLEET_SAMPLE=1000  files the process loop runs over; its time is scaled
#                      to FLEET_FILES (the output says so)
#   FLEET_RUNS=3       runs of each fleet and raw measurement, taken in turns;
#                      the best wall-clock time is kept
#
# The files: one database migrated by ladder with a 4-step plan (tables,
# a column, an index), then copied FLEET_FILES times as DIR/NNNNN/app.db. The
# copy also carries PRAGMA user_version = 4, so the raw loop's cheapest
# question (a header field, no schema parse) has an answer to check. ladder
# runs with its default store, the history table, whose newest row it reads
# (SQLite parses the schema for that; the raw loop's "history head" rows make
# the same read), and once with --store user_version, the raw loop's own
# question. Every measurement is a whole process timed from outside, the raw
# ones included; CPU time (user + system) beside wall time.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${1:-$ROOT/build/bin}
FILES=${FLEET_FILES:-10000}
SAMPLE=${FLEET_SAMPLE:-1000}
RUNS=${FLEET_RUNS:-3}
LADDER=$BIN/ladder
RAW=$BIN/ladder-fleet-raw-sqlite
for p in "$LADDER" "$RAW"; do
	[ -x "$p" ] || { echo "fleet_bench: no $p (build first)" >&2; exit 2; }
done
[ "$SAMPLE" -le "$FILES" ] || SAMPLE=$FILES

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fleet_bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
M=$WORK/migrations D=$WORK/fleet
GLOB="$D/*/app.db"
mkdir -p "$M"
cat >"$M/0001_create_users.up.sql" <<'SQL'
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
SQL
cat >"$M/0002_create_notes.up.sql" <<'SQL'
CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), body TEXT NOT NULL);
INSERT INTO users (email) VALUES ('first@example.com');
SQL
cat >"$M/0003_notes_title.up.sql" <<'SQL'
ALTER TABLE notes ADD COLUMN title TEXT;
SQL
cat >"$M/0004_notes_user_index.up.sql" <<'SQL'
CREATE INDEX notes_user_id ON notes (user_id);
SQL
HEAD=4

"$LADDER" -d "$WORK/seed.db" -m "$M" up -q
python3 - "$WORK/seed.db" "$D" "$FILES" "$HEAD" <<'PY'
import os, shutil, sqlite3, sys
seed, out, files, head = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
db = sqlite3.connect(seed)
db.execute("PRAGMA user_version = %d" % head)
db.close()
for i in range(1, files + 1):
    d = os.path.join(out, "%05d" % i)
    os.makedirs(d)
    shutil.copyfile(seed, os.path.join(d, "app.db"))
PY

now_ns() { date +%s%N; }

# A fleet run must find every file current: checked once on its JSON summary.
check_fleet() {
	local command=$1 summary
	summary=$("$LADDER" -m "$M" "$command" --glob "$GLOB" --json | tail -n 1)
	case "$summary" in
	*"\"targets\":$FILES,\"ok\":$FILES,\"failed\":0,"*) ;;
	*) echo "fleet_bench: $command --glob did not find $FILES current files: $summary" >&2; exit 1 ;;
	esac
}
check_fleet up
check_fleet status
WORKERS=$("$LADDER" -m "$M" status --glob "$GLOB" --json | tail -n 1 | sed -n 's/.*"workers":\([0-9]*\).*/\1/p')
[ -n "$WORKERS" ] || WORKERS=$(nproc)

# The measurements, by name: each a command run RUNS times in turns with the
# others; best[NAME] keeps its best wall-clock time in ns and cpu[NAME] its
# least CPU time (user + system, every thread) in ms, which a busy machine
# disturbs less than wall time.
declare -A best cpu
declare -a names=()
declare -A cmd
add() { names+=("$1"); cmd[$1]=$2; }
add fleet_j1 "\"\$LADDER\" -m \"\$M\" up --glob \"\$GLOB\" -j 1"
add fleet_jd "\"\$LADDER\" -m \"\$M\" up --glob \"\$GLOB\""
add fleet_uv_j1 "\"\$LADDER\" -m \"\$M\" up --glob \"\$GLOB\" --store user_version -j 1"
add status_jd "\"\$LADDER\" -m \"\$M\" status --glob \"\$GLOB\""
add raw_pragma_1 "\"\$RAW\" \"\$GLOB\" 1 pragma $HEAD"
add raw_pragma_w "\"\$RAW\" \"\$GLOB\" $WORKERS pragma $HEAD"
add raw_head_1 "\"\$RAW\" \"\$GLOB\" 1 head $HEAD"
add raw_head_w "\"\$RAW\" \"\$GLOB\" $WORKERS head $HEAD"

# children_ms: CHILD_MS = the CPU time of this shell's finished children so
# far, in ms; builtins only and no $(...) (a subshell or a child process has
# children of its own).
children_ms() {
	local t
	times >"$WORK/times"
	mapfile -t t <"$WORK/times"
	[[ ${t[1]} =~ ^([0-9]+)m([0-9]+)\.([0-9]+)s\ ([0-9]+)m([0-9]+)\.([0-9]+)s$ ]] ||
		{ echo "fleet_bench: cannot read times: ${t[1]}" >&2; exit 1; }
	local r=("${BASH_REMATCH[@]}")
	CHILD_MS=$(((10#${r[1]} + 10#${r[4]}) * 60000 + (10#${r[2]} + 10#${r[5]}) * 1000 + 10#${r[3]:0:3} + 10#${r[6]:0:3}))
}
keep() {
	if [ -z "${best[$1]:-}" ] || [ "$2" -lt "${best[$1]}" ]; then best[$1]=$2; fi
	if [ -z "${cpu[$1]:-}" ] || [ "$3" -lt "${cpu[$1]}" ]; then cpu[$1]=$3; fi
}
for _ in $(seq "$RUNS"); do
	for name in "${names[@]}"; do
		children_ms
		c0=$CHILD_MS start=$(now_ns)
		eval "${cmd[$name]}" >/dev/null || { echo "fleet_bench: $name failed" >&2; exit 1; }
		ns=$(($(now_ns) - start))
		children_ms
		keep "$name" "$ns" $((CHILD_MS - c0))
	done
done

# The process loop: one `ladder -d FILE up` per file, over the first SAMPLE.
children_ms
c0=$CHILD_MS start=$(now_ns)
for i in $(seq -f %05.0f 1 "$SAMPLE"); do
	"$LADDER" -d "$D/$i/app.db" -m "$M" up -q || { echo "fleet_bench: up of $i failed" >&2; exit 1; }
done
best[loop]=$((($(now_ns) - start) * FILES / SAMPLE))
children_ms
cpu[loop]=$(((CHILD_MS - c0) * FILES / SAMPLE))

sec() { printf '%.3f' "$(echo "${best[$1]} / 1000000000" | bc -l)"; }
per() { printf '%.1f' "$(echo "${best[$1]} / 1000 / $FILES" | bc -l)"; }
cpus() { printf '%.3f' "$(echo "${cpu[$1]} / 1000" | bc -l)"; }
ratio() {
	printf '%.2fx' "$(echo "${best[$1]} / ${best[$2]}" | bc -l)"
	[ "${cpu[$2]}" -gt 0 ] && printf ' (cpu %.2fx)' "$(echo "${cpu[$1]} / ${cpu[$2]}" | bc -l)"
}
row() { printf '  %-62s %9s %9s %9s\n' "$1" "$(sec "$2")" "$(per "$2")" "$(cpus "$2")"; }

echo "Fleet of $FILES current SQLite files ($HEAD migrations each), best of $RUNS runs, per whole process:"
printf '  %-62s %9s %9s %9s\n' "" "wall s" "µs/file" "cpu s"
row "ladder up --glob, -j 1" fleet_j1
row "ladder up --glob, default workers ($WORKERS)" fleet_jd
row "ladder up --glob --store user_version, -j 1" fleet_uv_j1
row "ladder status --glob, default workers ($WORKERS)" status_jd
row "raw C loop, open + PRAGMA user_version, 1 thread" raw_pragma_1
row "raw C loop, open + PRAGMA user_version, $WORKERS threads" raw_pragma_w
row "raw C loop, open + history head row, 1 thread" raw_head_1
row "raw C loop, open + history head row, $WORKERS threads" raw_head_w
row "loop of \`ladder -d FILE up\` processes ($SAMPLE run, scaled x$(echo "$FILES / $SAMPLE" | bc -l | sed 's/\.0*$//;s/\(\.[0-9]\{0,2\}\)[0-9]*$/\1/'))" loop
echo "Ratios:"
printf '  %-62s %-22s (goal <= 2x)\n' "fleet -j 1 / raw user_version, 1 thread" "$(ratio fleet_j1 raw_pragma_1)"
printf '  %-62s %-22s (goal <= 2x)\n' "fleet default / raw user_version, $WORKERS threads" "$(ratio fleet_jd raw_pragma_w)"
printf '  %-62s %-22s (goal <= 2x)\n' "fleet --store user_version -j 1 / raw user_version, 1 thread" "$(ratio fleet_uv_j1 raw_pragma_1)"
printf '  %-62s %-22s\n' "fleet -j 1 / raw history head, 1 thread" "$(ratio fleet_j1 raw_head_1)"
printf '  %-62s %-22s\n' "fleet default / raw history head, $WORKERS threads" "$(ratio fleet_jd raw_head_w)"
printf '  %-62s %-22s\n' "status --glob / raw history head, $WORKERS threads" "$(ratio status_jd raw_head_w)"
printf '  %-62s %-22s (goal >= 20x)\n' "process loop / fleet default" "$(ratio loop fleet_jd)"
