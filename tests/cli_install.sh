#!/usr/bin/env bash
# cli_install.sh — `make install` as a user gets it: install the build into a
# scratch prefix, then build and run a program against the installed
# headers and shared library found through pkg-config, and the installed CLI.
set -euo pipefail
LADDER=$(realpath "$1")
BUILD=$(dirname "$(dirname "$LADDER")")
T=$(mktemp -d "${TMPDIR:-/tmp}/ladder-install.XXXXXX")
trap 'rm -rf "$T"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

cmake --install "$BUILD" --prefix "$T/prefix" >/dev/null
for f in bin/ladder include/ladder.h include/ladder/sqlite.h include/ladder/sys/driver.h lib/libladder.a \
	lib/pkgconfig/ladder.pc; do
	if [ -e "$T/prefix/$f" ]; then ok; else bad "not installed: $f"; fi
done
if ls "$T/prefix"/lib/libladder.so* >/dev/null 2>&1; then ok; else bad "no shared library installed"; fi

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
cc -Wall -Wextra -Werror -o "$T/app" "$T/app.c" $(pkg-config --cflags --libs ladder) -Wl,-rpath,"$T/prefix/lib"
out=$("$T/app" "$T/app.db")
if [ "$out" = "1 1" ]; then ok; else bad "the installed library migrated '$out', want '1 1'"; fi
out=$("$T/prefix/bin/ladder" --version)
if [ "$out" = "ladder $(pkg-config --modversion ladder)" ]; then ok; else bad "installed CLI says '$out'"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
