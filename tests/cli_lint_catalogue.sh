#!/usr/bin/env bash
# tests/cli_lint_catalogue.sh — `ladder lint` on the labelled catalogue
# (tests/lint/catalogue/ENGINE/CASE): each case is a migrations folder, its
# `expect` the sorted `RULE FILE:LINE` of every unsuppressed finding it must
# produce (empty: a safe form that must produce none), its optional `args`
# extra lint arguments. Every case runs with --json, no database; any
# difference fails, and all the differing cases are listed.
#
# tests/lint/catalogue/KNOWN_GAPS names cases ladder is known to get wrong
# (`ENGINE/CASE why`): they are reported, not failed, and fail as soon as
# they pass, so the list cannot go stale.
#
# Usage: bash tests/cli_lint_catalogue.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-lint-catalogue "$@"

export LC_ALL=C
CATALOGUE=$ROOT/tests/lint/catalogue
KNOWN=$(sed -e 's/[[:space:]].*//' -e '/^#/d' -e '/^$/d' "$CATALOGUE/KNOWN_GAPS" 2>/dev/null || true)

# findings: the unsuppressed findings of the JSON lines in $T/.out, as
# sorted `RULE BASENAME:LINE` lines
findings() {
	python3 -c '
import json, os, sys
rows = []
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d.get("event") == "finding" and not d["suppressed"]:
        rows.append("%s %s:%d" % (d["rule"], os.path.basename(d["file"]), d["line"]))
print("\n".join(sorted(rows)))' "$T/.out"
}

# (a here-string: grep -q quitting early must not fail a pipe under pipefail)
is_known() { grep -qxF "$1" <<<"$KNOWN"; }

mismatched=() gaps=() fixed=()
for engine in postgres sqlite; do
	[ -d "$CATALOGUE/$engine" ] || continue
	cases=0
	for dir in "$CATALOGUE/$engine"/*/; do
		dir=${dir%/}
		name=$engine/$(basename "$dir")
		args=()
		if [ -f "$dir/args" ]; then read -ra args <"$dir/args"; fi
		run -m "$dir" lint --engine "$engine" --json "${args[@]}"
		cases=$((cases + 1))
		# exit 0 without errors, 1 with: anything else is lint failing to run
		if [ "$RC" -gt 1 ] || [ -n "$ERR" ]; then
			fail "$name: lint did not run"
			mismatched+=("$name (lint did not run: ${ERR%%$'\n'*})")
			continue
		fi
		got=$(findings)
		want=$(cat "$dir/expect")
		if [ "$got" == "$want" ]; then
			if is_known "$name"; then
				fail "$name is listed in KNOWN_GAPS but passes: remove it from the list"
				fixed+=("$name")
			else
				pass
			fi
		elif is_known "$name"; then
			gaps+=("$name")
		else
			fail "$name: findings differ" "got:" "${got:-(none)}" "want:" "${want:-(none)}"
			mismatched+=("$name")
		fi
	done
	echo "$engine: $cases cases"
	check "the $engine catalogue is not empty" test "$cases" -gt 0
done

if [ ${#gaps[@]} -gt 0 ]; then
	echo "known gaps (tests/lint/catalogue/KNOWN_GAPS), not counted: ${gaps[*]}"
fi
if [ ${#mismatched[@]} -gt 0 ]; then
	echo "mismatching cases:" >&2
	printf '  %s\n' "${mismatched[@]}" >&2
fi
if [ ${#fixed[@]} -gt 0 ]; then
	echo "known gaps that now pass: ${fixed[*]}" >&2
fi
finish
