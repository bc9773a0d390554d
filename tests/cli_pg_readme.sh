#!/usr/bin/env bash
# tests/cli_pg_readme.sh — the README's PostgreSQL settings walk-through
# (the blocks marked `readme-test: settings`), run as written on a real
# server: a `shop` database created from nothing, taken to V113 with its
# rows, up to V114 and down again, every command printing what the README
# shows. Only the README's port (5432) becomes the test server's.
#
# Usage: bash tests/cli_pg_readme.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
. "$(dirname "${BASH_SOURCE[0]}")/readme.bash"
cli_setup pg_readme "$@"
pg_setup readme
BUILD=$(dirname "$(dirname "$LADDER")")

# The walk-through's database is `shop`, as the README says; the pg tests
# take turns on the server (RESOURCE_LOCK pg), so the name is free.
drop_shop() { psql -X -q "$SERVER" -c "DROP DATABASE IF EXISTS shop WITH (FORCE)" >/dev/null 2>&1; }
drop_shop
at_exit drop_shop

# From the repository's top folder, with this build's ladder on the PATH and
# the reader's environment: no psqlrc, no libpq defaults from outside.
ln -s "$ROOT/examples" examples
PATH="$(dirname "$LADDER"):$PATH"
export PATH PSQLRC=/dev/null
unset PGHOST PGPORT PGUSER PGDATABASE PGSERVICE PGOPTIONS
readme_run settings "127.0.0.1:5432=127.0.0.1:$PORT"

URL="${SERVER%/*}/shop"
eq "the walk-through ends at V113" \
	"$(psql -X -qAt "$URL" -c "SELECT obj_description('phoenix_kit'::regclass, 'pg_class')")" "113"
eq "with the rows it made, keys rebuilt" \
	"$(psql -X -qAt "$URL" -c "SELECT string_agg(key, ',' ORDER BY key) FROM phoenix_kit_settings")" \
	"integration:google:default,integration:openrouter:work,integration:openrouter:work-e8e551af,site_name"

finish
