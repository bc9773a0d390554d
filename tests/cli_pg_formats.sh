#!/usr/bin/env bash
# tests/cli_pg_formats.sh — other tools' migration sets on a real PostgreSQL
# server: goose's NO TRANSACTION and StatementBegin/End around a plpgsql
# function, morph's nontransactional CREATE INDEX CONCURRENTLY, sql-migrate's
# notransaction, diesel's metadata.toml, and empty steps (an empty up is
# recorded as applied, an empty down reverts nothing) through the server.
#
# Usage: bash tests/cli_pg_formats.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-pg-formats "$@"
pg_setup ladder_formats

q() { psql -X -q -A -t "$1" -c "$2"; }

mkdir m
cat >m/00001_users.sql <<'SQL'
-- +goose Up
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, seen int NOT NULL DEFAULT 0);
-- +goose StatementBegin
CREATE FUNCTION touch() RETURNS trigger AS $$
BEGIN
  NEW.seen := NEW.seen + 1;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER users_touch BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION touch();

-- +goose Down
DROP TABLE users;
DROP FUNCTION touch();
SQL
cat >m/00002_email_index.sql <<'SQL'
-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY users_email ON users (email);
-- +goose Down
DROP INDEX CONCURRENTLY users_email;
SQL
printf -- '-- morph:nontransactional\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_seen ON users (seen);\n' \
	>m/000003_users_seen_v1.0.up.sql
printf -- '-- morph:nontransactional\nDROP INDEX CONCURRENTLY IF EXISTS users_seen;\n' >m/000003_drop_seen.down.sql
printf -- '-- +migrate Up notransaction\nCREATE INDEX CONCURRENTLY users_id_email ON users (id, email);\n-- +migrate Down\nDROP INDEX users_id_email;\n' \
	>m/4_sm_index.sql
printf -- '-- 5_placeholder (up)\n\n' >m/5_placeholder.up.sql
printf -- '-- 5_placeholder (down)\n\n' >m/5_placeholder.down.sql
mkdir m/2019-01-01-000000_diesel_index
printf 'CREATE INDEX CONCURRENTLY users_id_seen ON users (id, seen);\n' >m/2019-01-01-000000_diesel_index/up.sql
printf 'DROP INDEX CONCURRENTLY users_id_seen;\n' >m/2019-01-01-000000_diesel_index/down.sql
printf 'run_in_transaction = false\n' >m/2019-01-01-000000_diesel_index/metadata.toml

newdb formats
run -m m -d "$URL" up
expect_rc 0
expect_out "Applied 6 migration(s): version 0 → 20190101000000."
expect_err "ladder: warning: migration 5 placeholder is empty: recorded as applied, nothing ran"
eq "the indexes were built" "$(q "$URL" "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'users'")" \
	"users_email,users_id_email,users_id_seen,users_pkey,users_seen"
eq "and are valid" "$(q "$URL" "SELECT count(*) FROM pg_index WHERE NOT indisvalid")" "0"
q "$URL" "INSERT INTO users (email) VALUES ('a@example.com')" >/dev/null
eq "goose's grouped function runs" "$(q "$URL" "SELECT seen FROM users")" "1"
eq "every step is recorded" "$(q "$URL" "SELECT string_agg(version || ':' || name, ' ' ORDER BY version) FROM ladder_history")" \
	"1:users 2:email_index 3:users_seen_v1.0 4:sm_index 5:placeholder 20190101000000:diesel_index"
run -m m -d "$URL" status --json
expect_rc 0
json "status --json: the placeholder is empty" 'eq([m["empty"] for m in d["migrations"]], [False, False, False, False, True, False])'

run -m m -d "$URL" down --to 0
expect_rc 0
expect_out "Reverted 6 migration(s): version 20190101000000 → 0."
eq "everything is gone" "$(q "$URL" "SELECT count(*) FROM pg_class WHERE relname LIKE 'users%'")" "0"
eq "and the function" "$(q "$URL" "SELECT count(*) FROM pg_proc WHERE proname = 'touch'")" "0"

finish
