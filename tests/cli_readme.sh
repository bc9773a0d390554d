#!/usr/bin/env bash
# tests/cli_readme.sh — the README and the public headers say only what is
# true: every repository path and README section they name exists, and the
# library example (the blocks marked `readme-test: library`) compiles as
# written against the installed library without a warning, runs, and prints
# what the README shows. The PostgreSQL walk-through is cli_pg_readme.sh's.
#
# Usage: bash tests/cli_readme.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
. "$(dirname "${BASH_SOURCE[0]}")/readme.bash"
cli_setup readme "$@"
BUILD=$(dirname "$(dirname "$LADDER")")

# --- references: paths and sections that exist ------------------------------------
docs=("$ROOT/README.md" "$ROOT/include/ladder.h" "$ROOT"/include/ladder/*.h "$ROOT"/include/ladder/sys/*.h
	"$ROOT/examples/vault/README.md")
if OUT=$(python3 "$ROOT/tests/readme.py" paths "$ROOT" "${docs[@]}"); then pass; else
	fail "the README and headers name files or README sections that do not exist" "$OUT"
fi
# the check itself finds what is missing
cat >"$T/bad.h" <<'EOF'
/* the run of DESIGN.md; see src/nope.c, docs/api.txt's <ladder/nope.h> and
 * README: "No such section", or see *Verifying plans* and tests/cli_*.sh */
EOF
RC=0
OUT=$(python3 "$ROOT/tests/readme.py" paths "$ROOT" "$T/bad.h") || RC=$?
eq "a missing file or section fails the check" "$RC" "1"
eq "each missing reference is named, nothing else" "$(printf '%s\n' "$OUT" | sed 's/^[^:]*:[0-9]*: //' | sort)" \
	"<ladder/nope.h>
DESIGN.md
README section 'No such section'
src/nope.c"

# --- the library example ---------------------------------------------------------------
check "the README's library example is marked for this test" python3 "$ROOT/tests/readme.py" files "$ROOT/README.md" library "$T"
check "the example program is there" test -s myapp.c
check "the embedded-plan example is there" test -s app_plan_load.c
readme_install "$T/prefix"
export PKG_CONFIG_PATH="$T/prefix/lib/pkgconfig"
unset LD_LIBRARY_PATH
read -r -a cflags <<<"$(readme_cflags)"
# shellcheck disable=SC2046 # pkg-config's words
check "myapp.c compiles as C11 with -Wall -Wextra -pedantic and no warning" \
	cc -std=c11 -Wall -Wextra -Wpedantic -Werror "${cflags[@]}" -o "$T/myapp-strict" myapp.c $(pkg-config --cflags --libs ladder)

# The embedded plan: app_plan_load.c with what `ladder embed` writes and a
# main that migrates through it.
run -m "$ROOT/examples/basic/migrations" embed --symbol app_plan -o app_plan.c
expect_rc 0
cat >"$T/embed_main.c" <<'EOF'
#include <ladder.h>
#include <stdio.h>
int app_plan_load(ladder_plan **out);
int main(int argc, char **argv)
{
	ladder_plan *plan = NULL;
	ladder_db *db = NULL;
	ladder_result r;
	int error;
	if ((error = app_plan_load(&plan)) < 0 || (error = ladder_db_open(&db, argc > 1 ? argv[1] : "", NULL)) < 0 ||
	    (error = ladder_migrate(&r, db, plan, NULL)) < 0)
		fprintf(stderr, "%s\n", ladder_error_last()->message);
	else
		printf("%zu\n", r.applied);
	ladder_db_close(db);
	ladder_plan_free(plan);
	return error < 0;
}
EOF
# shellcheck disable=SC2046
check "app_plan_load.c compiles with ladder embed's output and no warning" \
	cc -std=c11 -Wall -Wextra -Wpedantic -Werror "${cflags[@]}" -o "$T/embedded" embed_main.c app_plan_load.c app_plan.c \
	$(pkg-config --cflags --libs ladder)
eq "the embedded plan migrates a new file" "$("$T/embedded" embedded.db 2>&1)" "3"
eq "the embedded plan finds nothing left to do" "$("$T/embedded" embedded.db 2>&1)" "0"

# The console block, as written: compile with pkg-config alone, run.
ln -s "$ROOT/examples" examples
readme_run library
eq "the example's database holds the plan's tables" "$(tables app.db)" "ladder_history,notes,users"
eq "and is at the plan's head" "$(sql app.db 'SELECT max(version) FROM ladder_history')" "20261103090000"
check "the program the README builds runs without LD_LIBRARY_PATH" \
	env -u LD_LIBRARY_PATH ./myapp app.db examples/basic/migrations >/dev/null

# --- the fleet example: four files in mixed states, status and up over the glob ---------
mkdir "$T/fleet-example"
cd "$T/fleet-example"
ln -s "$ROOT/examples" examples
PATH="$(dirname "$LADDER"):$PATH" readme_run fleet
eq "the fleet example leaves the stray file as it was" "$(cat tenants/umbrella/app.db)" "a stray file that is not a database"
eq "and brought the fresh file to the head" "$(sql tenants/initech/app.db 'SELECT max(version) FROM ladder_history')" "20261103090000"
check "the README's fleet library example is marked for this test" python3 "$ROOT/tests/readme.py" files "$ROOT/README.md" fleet-library "$T/fleet-example"
# shellcheck disable=SC2046
check "tenants.c compiles as C11 with -Wall -Wextra -pedantic and no warning" \
	cc -std=c11 -Wall -Wextra -Wpedantic -Werror "${cflags[@]}" -c -o "$T/tenants.o" tenants.c $(pkg-config --cflags ladder)
cd "$T"

# --- the lint example: its sh block makes the directory, its console block lints it ------
mkdir "$T/lint-example"
cd "$T/lint-example"
PATH="$(dirname "$LADDER"):$PATH" readme_run lint-example
cd "$T"

finish
