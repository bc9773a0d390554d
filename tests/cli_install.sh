#!/usr/bin/env bash
# cli_install.sh — `make install PREFIX=...` as a user gets it: install the
# build into a scratch prefix with the Makefile's recipe, then build a program
# against the installed headers and shared library with nothing but
# `pkg-config --cflags --libs ladder`, and run it and the installed CLI with no
# LD_LIBRARY_PATH, from another folder; then the README's *Installing* block
# as written.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
. "$(dirname "${BASH_SOURCE[0]}")/readme.bash"
cli_setup install "$@"
BUILD=$(dirname "$(dirname "$LADDER")")
unset LD_LIBRARY_PATH

readme_install "$T/prefix"
for f in bin/ladder include/ladder.h include/ladder/sqlite.h include/ladder/sys/driver.h lib/libladder.a \
	lib/pkgconfig/ladder.pc; do
	check "installed: $f" test -e "$T/prefix/$f"
done
if ls "$T/prefix"/lib/libladder.so* >/dev/null 2>&1; then pass; else fail "no shared library installed"; fi

cat >"$T/app.c" <<'C'
#include <ladder.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	ladder_plan *plan = NULL;
	ladder_db *db = NULL;
	ladder_result r;
	static const ladder_migration_def steps[] = {{.version = 1, .name = "t", .up_sql = "CREATE TABLE t (x);"}};
	const ladder_plan_def def = {steps, 1, NULL, 0};
	(void)argc;
	if (ladder_plan_from_def(&plan, &def) < 0 || ladder_db_open(&db, argv[1], NULL) < 0 ||
	    ladder_migrate(&r, db, plan, NULL) < 0) {
		fprintf(stderr, "%s\n", ladder_error_last()->message);
		return 1;
	}
	printf("%lld %zu\n", (long long)r.to_version, r.applied);
	ladder_db_close(db);
	ladder_plan_free(plan);
	return 0;
}
C
export PKG_CONFIG_PATH="$T/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
# A library built with the sanitizers needs a program built with them too.
sanitize=()
if grep -q '^LADDER_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt"; then sanitize=(-fsanitize=address,undefined); fi
cc -Wall -Wextra -Werror "${sanitize[@]}" -o "$T/app" "$T/app.c" $(pkg-config --cflags --libs ladder)
mkdir "$T/elsewhere"
cd "$T/elsewhere"
out=$(env -u LD_LIBRARY_PATH "$T/app" "$T/app.db" 2>&1) || true
eq "the program on the installed library runs without LD_LIBRARY_PATH" "$out" "1 1"
check "it loads the installed libladder.so" sh -c "ldd '$T/app' | grep -q '=> $T/prefix/lib/pkgconfig/../../lib/libladder.so'"
out=$(env -u LD_LIBRARY_PATH "$T/prefix/bin/ladder" --version 2>&1) || true
eq "the installed CLI's --version" "$out" "ladder $(pkg-config --modversion ladder)"
out=$(env -u LD_LIBRARY_PATH "$T/prefix/bin/ladder" -q -d "$T/cli.db" -m "$ROOT/examples/basic/migrations" up 2>&1) || true
eq "the installed CLI migrates without LD_LIBRARY_PATH" "$out$(sql "$T/cli.db" 'SELECT count(*) FROM ladder_history')" "3"
check "the installed CLI needs no library ldd cannot find" sh -c "! ldd '$T/prefix/bin/ladder' | grep -q 'not found'"
cd "$T"

# The README's *Installing* block as written, into a scratch HOME. Its
# `make install PREFIX=...` is the Makefile's install recipe on this build.
mkdir "$T/home" "$T/readme"
cd "$T/readme"
check "the README's library example is there" python3 "$ROOT/tests/readme.py" files "$ROOT/README.md" library .
ln -s "$ROOT/examples" examples
export ROOT BUILD README_PRELUDE='make() {
	local recipe
	recipe=$(command make -s -n -C "$ROOT" BUILD="$BUILD" "$@" | tail -n 1)
	case "$recipe" in "cmake --install $BUILD --prefix "*) $recipe >/dev/null ;; *) echo "make: not an install: $recipe" >&2; return 1 ;; esac
}'
HOME="$T/home" readme_run install
check "the README's install block built and ran myapp" test -s app.db
eq "and its status ran on the installed CLI" "$(sql app.db 'SELECT count(*) FROM ladder_history')" "3"
finish
