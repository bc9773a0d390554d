#!/bin/bash
# lint_bench.sh — how long `ladder lint` takes over a large plan: 10,000
# generated migrations per engine (tables created, columns added, indexes,
# constraints, renames and drops, safe and unsafe forms mixed, 1-4
# statements a file), linted without a database; prints the best of RUNS
# wall-clock times and milliseconds per 1,000 files.
#
#   bash bench/lint_bench.sh [LADDER] [FILES] [RUNS]     (defaults: build/bin/ladder 10000 3)
#
# An engine whose lint cannot run in this build (no driver, or it cannot read
# migrations) is reported and skipped.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LADDER=${1:-$ROOT/build/bin/ladder}
FILES=${2:-10000}
RUNS=${3:-3}
[ -x "$LADDER" ] || { echo "lint_bench: no ladder at $LADDER" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lint_bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# generate ENGINE DIR: FILES migrations; every tenth file creates a table
# that the next nine change (so they are all "existing" tables to lint)
generate() {
	python3 - "$1" "$2" "$FILES" <<'PY'
import os, sys
engine, out, files = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out)
pg = engine == "postgres"
ts = "timestamptz" if pg else "TEXT"
for v in range(1, files + 1):
    t = "t%d" % ((v - 1) // 10)
    k = (v - 1) % 10
    if k == 0:
        sql = ("CREATE TABLE %s (id bigint PRIMARY KEY, a text, n bigint, created_at %s);\n" % (t, ts)
               + "CREATE INDEX %s_a ON %s (a);\n" % (t, t))
    elif k == 1:
        sql = "ALTER TABLE %s ADD COLUMN b text;\n" % t
    elif k == 2:
        sql = "ALTER TABLE %s ADD COLUMN c bigint NOT NULL DEFAULT 0;\n" % t
    elif k == 3:
        sql = ("CREATE INDEX CONCURRENTLY %s_n ON %s (n);\n" % (t, t) if pg
               else "CREATE INDEX %s_n ON %s (n);\n" % (t, t))
    elif k == 4:
        sql = ("SET lock_timeout = '2s';\nALTER TABLE %s ADD CONSTRAINT %s_n_pos CHECK (n > 0) NOT VALID;\n" % (t, t)
               if pg else "UPDATE %s SET n = 0 WHERE n IS NULL;\n" % t)
    elif k == 5:
        sql = ("ALTER TABLE %s VALIDATE CONSTRAINT %s_n_pos;\n" % (t, t) if pg
               else "ALTER TABLE %s ADD COLUMN d TEXT;\n" % t)
    elif k == 6:
        sql = "ALTER TABLE %s RENAME COLUMN b TO b2;\n" % t
    elif k == 7:
        sql = ("CREATE TABLE %s_log (id bigint PRIMARY KEY, %s_id bigint REFERENCES %s (id), at %s);\n"
               "INSERT INTO %s_log (id) VALUES (1);\n" % (t, t, t, ts, t))
    elif k == 8:
        sql = ("-- ladder:lint-ignore drop-column because b2 has been unused since release %d\n"
               "ALTER TABLE %s DROP COLUMN b2;\n" % (v, t))
    else:
        sql = "DROP TABLE %s_log;\nALTER TABLE %s ADD COLUMN e text DEFAULT 'x';\n" % (t, t)
    with open(os.path.join(out, "%06d_step.up.sql" % v), "w") as f:
        f.write(sql)
PY
}

# best_ms COMMAND...: the best wall-clock time of RUNS runs, in ms
best_ms() {
	local best="" ms start
	for _ in $(seq "$RUNS"); do
		start=$(date +%s%N)
		"$@" >/dev/null 2>&1 || true
		ms=$((($(date +%s%N) - start) / 1000000))
		if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
	done
	echo "$best"
}
sqlite3_run() { sqlite3 :memory: <"$WORK/all.sql"; }
squawk_run() { squawk --assume-in-transaction --pg-version 15 "$1"/*.sql; }

printf '%-9s %7s %9s %9s %9s %9s   %-20s %9s %7s\n' engine files "best ms" "ms/1000" findings steps "same files in" "best ms" ratio
for engine in postgres sqlite; do
	dir=$WORK/$engine
	generate "$engine" "$dir"
	if ! "$LADDER" -m "$dir" lint --engine "$engine" --json >"$WORK/out" 2>"$WORK/err" && [ ! -s "$WORK/out" ]; then
		printf '%-9s skipped: %s\n' "$engine" "$(head -1 "$WORK/err")"
		continue
	fi
	best=$(best_ms "$LADDER" -m "$dir" lint --engine "$engine" --json)
	findings=$(grep -c '"event":"finding"' "$WORK/out" || true)
	steps=$(sed -n 's/.*"steps":\([0-9]*\).*/\1/p' "$WORK/out")
	if [ "$engine" = sqlite ] && command -v sqlite3 >/dev/null; then
		cat "$dir"/*.sql >"$WORK/all.sql"
		peer="sqlite3 :memory:" peer_ms=$(best_ms sqlite3_run)
	elif [ "$engine" = postgres ] && command -v squawk >/dev/null; then
		peer="squawk" peer_ms=$(best_ms squawk_run "$dir")
	else
		peer="-" peer_ms=""
	fi
	printf '%-9s %7d %9d %9.1f %9d %9s   %-20s %9s %7s\n' "$engine" "$FILES" "$best" "$(echo "$best * 1000 / $FILES" | bc -l)" \
		"$findings" "$steps" "$peer" "${peer_ms:--}" "$([ -n "$peer_ms" ] && [ "$peer_ms" -gt 0 ] && printf '%.2fx' "$(echo "$best / $peer_ms" | bc -l)" || echo -)"
done
