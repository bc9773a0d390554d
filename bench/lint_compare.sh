#!/bin/bash
# lint_compare.sh — `ladder lint` and squawk side by side on the labelled
# PostgreSQL catalogue (tests/lint/catalogue/postgres), counted against its
# labels.
#
#   bash bench/lint_compare.sh [LADDER] [CATALOGUE]    (needs squawk: npm install -g squawk-cli)
#
# Labels. Each case is a migrations folder whose `expect` lists the findings
# it must produce, `RULE FILE:LINE`, in ladder's rule names (an empty file:
# a safe form that must produce none). Only the (case, rule) pairs count
# here, not lines: squawk reports lines from 0 and places some findings on
# the statement, others on a token.
#
# Running. ladder: `ladder -m CASE lint --engine postgres --json ARGS` (ARGS
# from the case's `args`), its unsuppressed findings. squawk: `squawk
# --reporter json --assume-in-transaction --pg-version PGVERSION FILES`
# with every .sql file of the case (squawk reads each file on its own and
# knows nothing of the others or of `args`: that is how it works, and the
# cases where whole-plan knowledge matters are counted as they fall).
# Cases that exercise ladder's own `-- ladder:lint-ignore` comments are left
# out: squawk has its own ignore comments, so they prove nothing about it.
#
# Mapping. Each squawk rule below maps to the ladder rule(s) that judge the
# same thing; a squawk finding is a true positive when one of them is
# labelled for the case (the first labelled one is credited), otherwise a
# false positive charged to the first. Squawk rules not in the table have no
# ladder counterpart and are not counted (prefer-robust-stmts,
# require-statement-timeout, prefer-text-field, prefer-identity,
# ban-drop-database, ban-truncate-cascade, ...). Not mapped on purpose:
# ban-concurrent-index-creation-in-transaction — with
# --assume-in-transaction it fires on every CREATE INDEX CONCURRENTLY, while
# ladder runs a step holding only that statement outside a transaction; its
# fair counterpart (concurrently-in-transaction) is therefore left to ladder.
#
# Counting, per tool, over (case, rule) pairs:
#   true pos   reported and labelled
#   false pos  reported, not labelled
#   misses     labelled, not reported — for squawk only labels of a ladder
#              rule that some squawk rule maps to ("outside" counts the rest)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LADDER=${1:-$ROOT/build/bin/ladder}
CATALOGUE=${2:-$ROOT/tests/lint/catalogue/postgres}
PGVERSION=${PGVERSION:-15}

if ! command -v squawk >/dev/null; then
	echo "lint_compare: squawk is missing: npm install -g squawk-cli" >&2
	exit 2
fi
[ -x "$LADDER" ] || { echo "lint_compare: no ladder at $LADDER" >&2; exit 2; }

OUT=$(mktemp -d "${TMPDIR:-/tmp}/lint_compare.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

cases=0
for dir in "$CATALOGUE"/*/; do
	name=$(basename "$dir")
	if grep -q 'ladder:lint-ignore' "$dir"/*.sql; then
		continue
	fi
	cases=$((cases + 1))
	args=()
	if [ -f "$dir/args" ]; then read -ra args <"$dir/args"; fi
	mkdir -p "$OUT/$name"
	cp "$dir/expect" "$OUT/$name/expect"
	"$LADDER" -m "$dir" lint --engine postgres --json "${args[@]}" >"$OUT/$name/ladder.json" 2>"$OUT/$name/ladder.err" || true
	(cd "$dir" && squawk --reporter json --assume-in-transaction --pg-version "$PGVERSION" ./*.sql) \
		>"$OUT/$name/squawk.json" 2>"$OUT/$name/squawk.err" || true
done

squawk --version | sed 's/^/  /' >"$OUT/version"
python3 - "$OUT" "$cases" <<'PY'
import json, os, sys

out, ncases = sys.argv[1], int(sys.argv[2])

# squawk rule -> ladder rules judging the same thing (first is charged for
# a false positive)
MAP = {
    "require-concurrent-index-creation": ["index-not-concurrent"],
    "require-concurrent-index-deletion": ["drop-index-not-concurrent"],
    "adding-required-field": ["add-column-not-null-no-default"],
    "adding-not-nullable-field": ["set-not-null"],
    "adding-field-with-default": ["add-column-volatile-default", "add-column-rewrite"],
    "constraint-missing-not-valid": ["constraint-not-valid"],
    "adding-foreign-key-constraint": ["constraint-not-valid"],
    "disallowed-unique-constraint": ["unique-without-index"],
    "adding-serial-primary-key-field": ["unique-without-index"],
    "changing-column-type": ["alter-column-type"],
    "renaming-column": ["rename-column"],
    "renaming-table": ["rename-table"],
    "ban-drop-column": ["drop-column"],
    "ban-drop-table": ["drop-table"],
    "transaction-nesting": ["transaction-control"],
    "ban-uncommitted-transaction": ["transaction-control"],
    "prefer-timestamptz": ["prefer-timestamptz"],
    "prefer-timestamp-tz": ["prefer-timestamptz"],
    "ban-char-field": ["prefer-text"],
    "prefer-bigint-over-int": ["prefer-bigint-pk"],
    "prefer-bigint-over-smallint": ["prefer-bigint-pk"],
    "prefer-big-int": ["prefer-bigint-pk"],
    "require-lock-timeout": ["lock-timeout-missing"],
    "require-timeout-settings": ["lock-timeout-missing"],
    "syntax-error": ["statement-fails"],
}
SQUAWK_RULES = {r for rules in MAP.values() for r in rules}

labels, ladder, squawk = set(), set(), set()
for case in sorted(os.listdir(out)):
    d = os.path.join(out, case)
    if not os.path.isdir(d):
        continue
    want = set()
    for line in open(os.path.join(d, "expect")):
        if line.strip():
            want.add(line.split()[0])
    labels |= {(case, r) for r in want}
    for line in open(os.path.join(d, "ladder.json")):
        f = json.loads(line)
        if f.get("event") == "finding" and not f["suppressed"]:
            ladder.add((case, f["rule"]))
    text = open(os.path.join(d, "squawk.json")).read().strip()
    for f in json.loads(text) if text else []:
        rules = MAP.get(f.get("rule_name"))
        if rules is None:
            continue
        hit = next((r for r in rules if r in want), rules[0])
        squawk.add((case, hit))

def count(found, universe):
    tp = found & labels
    fp = found - labels
    miss = {p for p in labels - found if p[1] in universe}
    return tp, fp, miss

all_rules = {p[1] for p in labels | ladder}
results = {"ladder": count(ladder, all_rules), "squawk": count(squawk, SQUAWK_RULES)}
outside = {"ladder": 0, "squawk": len({p for p in labels if p[1] not in SQUAWK_RULES})}

print("ladder lint vs squawk on %d labelled PostgreSQL cases (%d labelled findings)" % (ncases, len(labels)))
print(open(os.path.join(out, "version")).read().rstrip())
print()
print("%-8s %9s %10s %7s %9s" % ("tool", "true pos", "false pos", "misses", "outside"))
for tool in ("ladder", "squawk"):
    tp, fp, miss = results[tool]
    print("%-8s %9d %10d %7d %9d" % (tool, len(tp), len(fp), len(miss), outside[tool]))
print()
print("per ladder rule (labelled: pairs in the labels; squawk '-': no squawk rule maps to it)")
print("%-31s %5s  %-13s %-13s" % ("rule", "label", "ladder tp/fp/miss", "squawk tp/fp/miss"))
for rule in sorted(all_rules | {p[1] for p in squawk}):
    n = len({p for p in labels if p[1] == rule})
    cells = []
    for tool in ("ladder", "squawk"):
        tp, fp, miss = results[tool]
        if tool == "squawk" and rule not in SQUAWK_RULES:
            cells.append("-")
            continue
        cells.append("%d/%d/%d" % tuple(len({p for p in s if p[1] == rule}) for s in (tp, fp, miss)))
    print("%-31s %5d  %-17s %-17s" % (rule, n, cells[0], cells[1]))
print()
for tool in ("ladder", "squawk"):
    tp, fp, miss = results[tool]
    for what, pairs in (("false positive", fp), ("miss", miss)):
        for case, rule in sorted(pairs):
            print("%s %s: %s %s" % (tool, what, case, rule))
PY
