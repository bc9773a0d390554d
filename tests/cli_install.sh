#!/usr/bin/env bash
# cli_install.sh — `make install` as a user gets it: install the build into a
# scratch prefix, then build and run a program against the installed
# headers and shared library found through pkg-config, and the installed CLI.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup install "$@"
BUILD=$(dirname "$(dirname "$LADDER")")

cmake --install "$BUILD" --prefix "$T/prefix" >/dev/null
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
cc -Wall -Wextra -Werror "${sanitize[@]}" -o "$T/app" "$T/app.c" $(pkg-config --cflags --libs ladder) -Wl,-rpath,"$T/prefix/lib"
out=$("$T/app" "$T/app.db")
eq "what the program on the installed library migrated" "$out" "1 1"
out=$("$T/prefix/bin/ladder" --version)
eq "the installed CLI's --version" "$out" "ladder $(pkg-config --modversion ladder)"
finish
