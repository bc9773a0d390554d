#!/usr/bin/env bash
# tests/cli_adopt.sh — switching to ladder from another tool on SQLite:
# side by side with the real dbmate and sql-migrate, and with golang-migrate's
# and goose's tables written as their drivers write them (tests/adopt.bash);
# then what adopt refuses (a dirty golang-migrate row, versions the plan
# lacks, plan versions the tool skipped, a table of the wrong tool), goose's
# rolled-back versions, renamed tables (--from-table), and `up`/`status`
# spotting another tool's history or a PRAGMA user_version stamp.
#
# dbmate and sql-migrate are required under CI=true (scripts/deps.sh installs
# them); elsewhere their side-by-side runs are skipped with a message.
#
# Usage: bash tests/cli_adopt.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
. "$(dirname "${BASH_SOURCE[0]}")/adopt.bash"
cli_setup cli-adopt "$@"

ENGINE=sqlite
TRUE=1 FALSE=0
# golang-migrate's sqlite3 driver and goose's SQLite dialect create these.
GM_TABLE_SQL='CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool);
CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);'
GOOSE_TABLE_SQL="CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));"
adb_new() { ADB="$T/$1.db"; rm -f "$ADB"; }
adb_sql() { sqlite3 -batch "$1" "$2"; }
adb_script() { { echo "BEGIN;"; cat; echo "COMMIT;"; } | sqlite3 -batch -bail "$1"; }
adb_has_table() { sqlite3 -batch "$1" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '$2'"; }
adb_snapshot() { sha256sum <"$1"; }  # the file's bytes
adb_dbmate_url() { echo "sqlite:$1"; }
adb_sqlmigrate_config() { printf 'test:\n  dialect: sqlite3\n  datasource: %s\n  dir: %s\n' "$1" "$2"; }

# --- side by side ---------------------------------------------------------------------------
if need_tool dbmate; then side_by_side dbmate dbmate; fi
if need_tool sql-migrate; then side_by_side sql-migrate sql-migrate; fi
side_by_side golang-migrate golang-migrate
side_by_side goose goose

# --- what adopt reads and refuses, on a five-step plan -----------------------------------------
mkdir small
for v in 1 2 3 4 5; do
	echo "CREATE TABLE t$v (id INTEGER);" >small/${v}_t$v.up.sql
	echo "DROP TABLE t$v;" >small/${v}_t$v.down.sql
done
# hand DB SQL: the tables of steps 1..N and a tool's table, as one script
tables_upto() { for ((i = 1; i <= $1; i++)); do echo "CREATE TABLE t$i (id INTEGER);"; done; }
recorded() { sqlite3 -batch "$1" "SELECT group_concat(version || ':' || kind, ' ') FROM (SELECT * FROM ladder_history ORDER BY version)"; }

# golang-migrate: a dirty row is refused, naming the version and the way out
adb_new gm_dirty
{ tables_upto 2; echo "$GM_TABLE_SQL"; echo "INSERT INTO schema_migrations VALUES (3, 1);"; } | adb_script "$ADB"
run -m small -d "$ADB" up
expect_rc 1
expect_err_has "golang-migrate: its table \"schema_migrations\" records version 3 as dirty (a failed migration)"
run -m small -d "$ADB" adopt --from golang-migrate
expect_rc 1
expect_err "ladder: error: golang-migrate marked version 3 dirty in \"schema_migrations\": that migration failed part-way and the database may hold half of it. Check what it did, finish or undo it by hand, record the truth with \`migrate force 3\` (it completed) or \`migrate force PREVIOUS\` (it did not), then adopt again"
eq "dirty: nothing adopted" "$(adb_has_table "$ADB" ladder_history)" "0"
eq "dirty: the row is untouched" "$(adb_sql "$ADB" "SELECT version || ',' || dirty FROM schema_migrations")" "3,1"
# once forced clean (as `migrate force 2` does), everything up to it is adopted
adb_sql "$ADB" "UPDATE schema_migrations SET version = 2, dirty = 0"
run -m small -d "$ADB" adopt --from golang-migrate
expect_rc 0
expect_out "Adopted version 2 from golang-migrate: recorded 2 migration(s) in the history store.
golang-migrate's table stays as it is, at version 2: ladder never writes it, so golang-migrate and anything else that reads it keep seeing 2."
eq "golang-migrate: versions up to the head" "$(recorded "$ADB")" "1:adopted 2:adopted"
run -m small -d "$ADB" adopt --from golang-migrate
expect_rc 1
expect_err "ladder: error: the history table already records 2 migration(s) (up to version 2): nothing to adopt"
run -m small -d "$ADB" up
expect_rc 0
expect_out "Applied 3 migration(s): version 2 → 5."

# golang-migrate: a head the plan lacks
adb_new gm_newer
{ echo "$GM_TABLE_SQL"; echo "INSERT INTO schema_migrations VALUES (9, 0);"; } | adb_script "$ADB"
run -m small -d "$ADB" adopt --from golang-migrate
expect_rc 1
expect_err "ladder: error: golang-migrate applied version(s) 9, which this plan does not have (its head is 5): point ladder at the migrations golang-migrate ran (-m DIR), or add them; nothing was adopted"

# the wrong tool for a schema_migrations table, both ways
adb_new dbmate_small
{ tables_upto 2; echo "CREATE TABLE schema_migrations (version varchar(128) primary key);"; echo "INSERT INTO schema_migrations VALUES ('1'), ('2');"; } | adb_script "$ADB"
run -m small -d "$ADB" adopt --from golang-migrate
expect_rc 1
expect_err "ladder: error: table \"schema_migrations\" has no dirty column, so it is not golang-migrate's (dbmate keeps one row per version in a table of that name: use --from dbmate)"
run -m small -d "$ADB" status
expect_out_has "Note: this database was migrated by dbmate: its table \"schema_migrations\" records 2 applied version(s), up to 2"
adb_new gm_wrong
{ echo "$GM_TABLE_SQL"; echo "INSERT INTO schema_migrations VALUES (1, 0);"; } | adb_script "$ADB"
run -m small -d "$ADB" adopt --from dbmate
expect_rc 1
expect_err "ladder: error: table \"schema_migrations\" has golang-migrate's columns (version, dirty), not dbmate's: use --from golang-migrate"

# dbmate: a plan version below the head that dbmate never applied
adb_new dbmate_gap
{ tables_upto 2; echo "CREATE TABLE t4 (id INTEGER);"; echo "CREATE TABLE schema_migrations (version varchar(128) primary key);"; echo "INSERT INTO schema_migrations VALUES ('1'), ('2'), ('4');"; } | adb_script "$ADB"
run -m small -d "$ADB" adopt --from dbmate
expect_rc 1
expect_err "ladder: error: version(s) 3 are in this plan below dbmate's head 4 but dbmate never applied them: adopting would record them as applied without running them. Apply them with dbmate first (or remove them from the plan if they were meant to be skipped); nothing was adopted"
eq "gap: nothing adopted" "$(adb_has_table "$ADB" ladder_history)" "0"

# dbmate: applied versions the plan lacks
adb_new dbmate_newer
{ echo "CREATE TABLE schema_migrations (version varchar(128) primary key);"; echo "INSERT INTO schema_migrations VALUES ('1'), ('2'), ('7'), ('8');"; } | adb_script "$ADB"
run -m small -d "$ADB" adopt --from dbmate
expect_rc 1
expect_err "ladder: error: dbmate applied version(s) 7, 8, which this plan does not have (its head is 5): point ladder at the migrations dbmate ran (-m DIR), or add them; nothing was adopted"

# dbmate: a renamed table (dbmate --migrations-table), by --from-table or TOOL:TABLE
adb_new dbmate_renamed
{ tables_upto 3; echo "CREATE TABLE migrations_log (version varchar(128) primary key);"; echo "INSERT INTO migrations_log VALUES ('1'), ('2'), ('3');"; } | adb_script "$ADB"
cp "$ADB" "$T/dbmate_renamed2.db"
run -m small -d "$ADB" adopt --from dbmate
expect_rc 1
expect_err "ladder: error: there is no table \"schema_migrations\": this database was not migrated by dbmate (if its table was renamed, name it: --from-table NAME, or \"dbmate:NAME\")"
run -m small -d "$ADB" adopt --from dbmate --from-table migrations_log
expect_rc 0
expect_out "Adopted version 3 from dbmate:migrations_log: recorded 3 migration(s) in the history store.
dbmate's table \"migrations_log\" stays as it is, at version 3: ladder never writes it, so dbmate and anything else that reads it keep seeing 3."
run -m small -d "$T/dbmate_renamed2.db" adopt --from dbmate:migrations_log
expect_rc 0
eq "TOOL:TABLE" "$(recorded "$T/dbmate_renamed2.db")" "1:adopted 2:adopted 3:adopted"

# goose: the last row per version (by id) decides; 0 is goose's own row
adb_new goose_log
{
	tables_upto 2
	echo "$GOOSE_TABLE_SQL"
	for row in "0,1" "1,1" "2,1" "3,1" "3,0" "2,0" "2,1"; do
		echo "INSERT INTO goose_db_version (version_id, is_applied) VALUES ($row);"
	done
} | adb_script "$ADB"
GOOSE_ROWS=$(adb_sql "$ADB" "SELECT * FROM goose_db_version ORDER BY id")
run -m small -d "$ADB" status
expect_out_has "Note: this database was migrated by goose: its table \"goose_db_version\" records 2 applied version(s), up to 2"
run -m small -d "$ADB" adopt --from goose
expect_rc 0
expect_out "Adopted version 2 from goose: recorded 2 migration(s) in the history store.
goose's table stays as it is, at version 2: ladder never writes it, so goose and anything else that reads it keep seeing 2."
eq "goose: 3 was rolled back, 2 applied again" "$(recorded "$ADB")" "1:adopted 2:adopted"
run -m small -d "$ADB" up
expect_rc 0
expect_out "Applied 3 migration(s): version 2 → 5."
eq "goose: its table is untouched" "$(adb_sql "$ADB" "SELECT * FROM goose_db_version ORDER BY id")" "$GOOSE_ROWS"

adb_new goose_none
{ tables_upto 1; echo "$GOOSE_TABLE_SQL"; echo "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (1, 1), (1, 0);"; } | adb_script "$ADB"
run -m small -d "$ADB" adopt --from goose
expect_rc 1
expect_err "ladder: error: nothing to adopt: goose's table \"goose_db_version\" records no applied version"
run -m small -d "$ADB" adopt --from sql-migrate
expect_rc 1
expect_err_has "there is no table \"gorp_migrations\": this database was not migrated by sql-migrate"
# a goose table holding only goose's own row has no history to keep: up just runs
adb_new goose_fresh
{ echo "$GOOSE_TABLE_SQL"; echo "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1);"; } | adb_script "$ADB"
run -m small -d "$ADB" up
expect_rc 0
expect_out "Applied 5 migration(s): version 0 → 5."

# sql-migrate: the id is a file name; its leading digits are the version
adb_new sqlmig
{ tables_upto 2; echo 'CREATE TABLE gorp_migrations ("id" varchar(255) not null primary key, "applied_at" datetime);'; echo "INSERT INTO gorp_migrations VALUES ('1_t1.sql', '2026-01-01'), ('2_t2.sql', '2026-01-02');"; } | adb_script "$ADB"
run -m small -d "$ADB" adopt --from sql-migrate
expect_rc 0
expect_out "Adopted version 2 from sql-migrate: recorded 2 migration(s) in the history store.
sql-migrate's table stays as it is, at version 2: ladder never writes it, so sql-migrate and anything else that reads it keep seeing 2."
adb_new sqlmig_bad
{ echo 'CREATE TABLE gorp_migrations ("id" varchar(255) not null primary key, "applied_at" datetime);'; echo "INSERT INTO gorp_migrations VALUES ('init.sql', NULL);"; } | adb_script "$ADB"
run -m small -d "$ADB" adopt --from sql-migrate
expect_rc 1
expect_err "ladder: error: sql-migrate's table \"gorp_migrations\" holds the value 'init.sql' in column id: the file name does not start with a version number"
adb_sql "$ADB" "DELETE FROM gorp_migrations; INSERT INTO gorp_migrations VALUES ('2_a.sql', NULL), ('2_b.sql', NULL);"
run -m small -d "$ADB" adopt --from sql-migrate
expect_rc 1
expect_err "ladder: error: sql-migrate's table \"gorp_migrations\" holds two files with version 2: ladder needs one migration per version"

# --- the CLI's spelling ------------------------------------------------------------------------
run -m small -d x.db adopt --from user_version --from-table t
expect_rc 2
expect_err_has "--from-table names another tool's renamed table: use it with --from golang-migrate, dbmate, goose or sql-migrate"
run -m small -d x.db adopt --from-table t
expect_rc 2
run -m small -d x.db up --from-table t
expect_rc 2
run -m small -d "$T/sqlmig.db" adopt --from flyway
expect_rc 1
expect_err "ladder: error: adopt cannot read 'flyway': expected user_version, comment:TABLE, golang-migrate, dbmate, goose or sql-migrate (a tool's renamed table: TOOL:TABLE)"

# --- spotting a PRAGMA user_version stamp; a light store is never foreign ----------------------
adb_new stamped
{ tables_upto 3; } | adb_script "$ADB"
adb_sql "$ADB" "PRAGMA user_version = 3"
run -m small -d "$ADB" up
expect_rc 1
expect_err "ladder: error: this database's PRAGMA user_version is 3 but ladder's history table does not exist: adopt the plan's migrations up to 3 from user_version, keep that store (user_version), or start a history of ladder's own (LADDER_ALLOW_FOREIGN). Nothing was changed
ladder: hint: \`ladder adopt --from user_version\` records those versions in ladder's history, then \`ladder up\`
ladder: hint: or keep that store: \`--store user_version\`
ladder: hint: or start a history of ladder's own: \`ladder up --allow-foreign\`"
run -m small -d "$ADB" status --json
json "user_version: the note" 'eq(d["note"].startswith("this database'"'"'s PRAGMA user_version is 3"), True); eq(d["current"], 0); eq(d["adopt_from"], "user_version")'
run -m small -d "$ADB" --store user_version up
expect_rc 0
expect_out "Applied 2 migration(s): version 3 → 5."

# --- a table that only bears a tool's name is noted, never refused; --allow-foreign overrides ----
mkdir lookalike
printf 'CREATE TABLE own_t (id INTEGER);\n' >lookalike/1_own.up.sql
sqlite3 named.db "CREATE TABLE schema_migrations (version varchar(255) PRIMARY KEY); INSERT INTO schema_migrations VALUES ('v1.2')"
run -m lookalike -d named.db status --json
json "a look-alike table: a note" 'eq("\"schema_migrations\" exists but cannot be read as dbmate" in d["note"], True, "note")'
run -m lookalike -d named.db up
expect_rc 0
expect_out "Applied 1 migration(s): version 0 → 1."
sqlite3 dbm.db "CREATE TABLE schema_migrations (version varchar(255) PRIMARY KEY); INSERT INTO schema_migrations VALUES ('20240101000000')"
run -m lookalike -d dbm.db up
expect_rc 1
expect_err_has "ladder: hint: or start a history of ladder's own: \`ladder up --allow-foreign\`"
run -m lookalike -d dbm.db up --allow-foreign
expect_rc 0
expect_out "Applied 1 migration(s): version 0 → 1."
eq "the other tool's table is left as it was" "$(sqlite3 dbm.db 'SELECT version FROM schema_migrations')" 20240101000000

# --- a plan that makes its own schema_migrations is not foreign once ladder records -------------
mkdir own
echo "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);" >own/1_own.up.sql
run -m own -d own.db up
expect_rc 0
echo "CREATE TABLE goose_db_version (id INTEGER);" >own/2_goose_name.up.sql
run -m own -d own.db up
expect_rc 0
expect_out "Applied 1 migration(s): version 1 → 2."
run -m own -d own.db status
expect_out_lacks "Note:"

finish
