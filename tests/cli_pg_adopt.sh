#!/usr/bin/env bash
# tests/cli_pg_adopt.sh — switching to ladder from another tool on a real
# PostgreSQL server (the one tests/pg/server.sh started): side by side with
# the real dbmate and sql-migrate, and with golang-migrate's and goose's
# tables written as their PostgreSQL drivers write them (tests/adopt.bash);
# a dirty golang-migrate row, goose's rolled-back versions (booleans, not
# SQLite's integers), a tool's table in another schema (--schema), and `up`
# spotting a PhoenixKit-style comment stamp.
#
# dbmate and sql-migrate are required under CI=true (scripts/deps.sh installs
# them); elsewhere their side-by-side runs are skipped with a message.
#
# Usage: bash tests/cli_pg_adopt.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
. "$(dirname "${BASH_SOURCE[0]}")/adopt.bash"
cli_setup cli-pg-adopt "$@"
pg_setup ladder_adopt

ENGINE=pg
TRUE=true FALSE=false
# golang-migrate's postgres driver and goose's postgres dialect create these.
GM_TABLE_SQL='CREATE TABLE IF NOT EXISTS "schema_migrations" (version bigint not null primary key, dirty boolean not null);'
GOOSE_TABLE_SQL='CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id));'
adb_new() {
	newdb "$1"
	ADB=$URL
}
adb_sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$1" -c "$2"; }
adb_script() { psql -X -q -v ON_ERROR_STOP=1 --single-transaction "$1" -f - >/dev/null; }
adb_has_table() { adb_sql "$1" "SELECT count(*) FROM pg_class WHERE relname = '$2'"; }
# catalog and rows; pg_dump's \restrict lines carry a random key each run
adb_snapshot() { pg_dump --no-owner "$1" | grep -Ev '^\\(un)?restrict '; }
adb_dbmate_url() { echo "$1?sslmode=disable"; }
adb_sqlmigrate_config() {
	printf 'test:\n  dialect: postgres\n  datasource: host=127.0.0.1 port=%s user=postgres dbname=%s sslmode=disable\n  dir: %s\n' \
		"$PORT" "${1##*/}" "$2"
}

# --- side by side ---------------------------------------------------------------------------
if need_tool dbmate; then side_by_side dbmate dbmate; fi
if need_tool sql-migrate; then side_by_side sql-migrate sql-migrate; fi
side_by_side golang-migrate golang-migrate
side_by_side goose goose

# --- a five-step plan ---------------------------------------------------------------------------
mkdir small
for v in 1 2 3 4 5; do
	echo "CREATE TABLE t$v (id integer);" >small/${v}_t$v.up.sql
	echo "DROP TABLE t$v;" >small/${v}_t$v.down.sql
done
tables_upto() { for ((i = 1; i <= $1; i++)); do echo "CREATE TABLE t$i (id integer);"; done; }
recorded() { adb_sql "$1" "SELECT string_agg(version || ':' || kind, ' ' ORDER BY version) FROM ${2:-ladder_history}"; }

# golang-migrate: dirty is refused, in up and in adopt, and nothing is written
adb_new gm_dirty
{ tables_upto 2; echo "$GM_TABLE_SQL"; echo "INSERT INTO schema_migrations VALUES (3, true);"; } | adb_script "$ADB"
run -m small -d "$ADB" up
expect_rc 1
expect_err_has "golang-migrate: its table \"schema_migrations\" records version 3 as dirty (a failed migration)"
expect_err_lacks "postgres://"
run -m small -d "$ADB" adopt --from golang-migrate
expect_rc 1
expect_err_has "ladder: error: golang-migrate marked version 3 dirty in \"schema_migrations\""
eq "dirty: nothing adopted" "$(adb_has_table "$ADB" ladder_history)" "0"
adb_sql "$ADB" "UPDATE schema_migrations SET version = 2, dirty = false"
run -m small -d "$ADB" adopt --from golang-migrate
expect_rc 0
expect_out "Adopted version 2 from golang-migrate: recorded 2 migration(s) in the history store.
golang-migrate's table stays as it is, at version 2: ladder never writes it, so golang-migrate and anything else that reads it keep seeing 2."
run -m small -d "$ADB" up
expect_rc 0
expect_out "Applied 3 migration(s): version 2 → 5."
eq "golang-migrate: its row is untouched" "$(adb_sql "$ADB" "SELECT version || ',' || dirty FROM schema_migrations")" "2,false"

# goose: is_applied false after true means rolled back
adb_new goose_log
{
	tables_upto 2
	echo "$GOOSE_TABLE_SQL"
	for row in "0,true" "1,true" "2,true" "3,true" "3,false"; do
		echo "INSERT INTO goose_db_version (version_id, is_applied) VALUES ($row);"
	done
} | adb_script "$ADB"
run -m small -d "$ADB" adopt --from goose
expect_rc 0
expect_out "Adopted version 2 from goose: recorded 2 migration(s) in the history store.
goose's table stays as it is, at version 2: ladder never writes it, so goose and anything else that reads it keep seeing 2."
eq "goose: 3 was rolled back" "$(recorded "$ADB")" "1:adopted 2:adopted"
eq "goose: its table is untouched" "$(adb_sql "$ADB" "SELECT count(*) FROM goose_db_version")" "5"

# a tool's table in another schema: --schema reads it there, and ladder records there
adb_new schema
{ echo "CREATE SCHEMA app; SET search_path = app;"; tables_upto 2; echo "CREATE TABLE schema_migrations (version varchar(128) primary key);"; echo "INSERT INTO schema_migrations VALUES ('1'), ('2');"; } | adb_script "$ADB"
run -m small -d "$ADB" --schema app up
expect_rc 1
expect_err_has "this database was migrated by dbmate: its table \"schema_migrations\" records 2 applied version(s), up to 2"
run -m small -d "$ADB" up
expect_rc 0
expect_out "Applied 5 migration(s): version 0 → 5."
run -m small -d "$ADB" --schema app adopt --from dbmate
expect_rc 0
expect_out "Adopted version 2 from dbmate: recorded 2 migration(s) in the history store.
dbmate's table stays as it is, at version 2: ladder never writes it, so dbmate and anything else that reads it keep seeing 2."
eq "recorded in the schema" "$(recorded "$ADB" app.ladder_history)" "1:adopted 2:adopted"

# dbmate: versions it never applied below its head, and versions the plan lacks
adb_new dbmate_bad
{ echo "CREATE TABLE schema_migrations (version varchar(128) primary key);"; echo "INSERT INTO schema_migrations VALUES ('1'), ('3'), ('9');"; } | adb_script "$ADB"
run -m small -d "$ADB" adopt --from dbmate
expect_rc 1
expect_err_has "dbmate applied version(s) 9, which this plan does not have (its head is 5)"
adb_sql "$ADB" "DELETE FROM schema_migrations WHERE version = '9'"
run -m small -d "$ADB" adopt --from dbmate
expect_rc 1
expect_err_has "version(s) 2 are in this plan below dbmate's head 3 but dbmate never applied them"
eq "refused: nothing adopted" "$(adb_has_table "$ADB" ladder_history)" "0"

# --- a PhoenixKit-style comment stamp -----------------------------------------------------------------
adb_new stamped
{ tables_upto 2; echo "COMMENT ON TABLE t1 IS '2';"; } | adb_script "$ADB"
run -m small -d "$ADB" up
expect_rc 1
expect_err "ladder: error: table \"t1\" has the comment '2' (a version stamp) but ladder's history table does not exist: adopt the plan's migrations up to 2 from comment:t1, keep that store (comment:t1), or start a history of ladder's own (LADDER_ALLOW_FOREIGN). Nothing was changed
ladder: hint: \`ladder adopt --from comment:t1\` records those versions in ladder's history, then \`ladder up\`
ladder: hint: or keep that store: \`--store comment:t1\`
ladder: hint: or start a history of ladder's own: \`ladder up --allow-foreign\`"
run -m small -d "$ADB" status
expect_out_has "Note: table \"t1\" has the comment '2' (a version stamp)"
run -m small -d "$ADB" --store comment:t1 up
expect_rc 0
expect_out "Applied 3 migration(s): version 2 → 5."

finish
