#!/usr/bin/env bash
# tests/cli_mariadb_adopt.sh — switching to ladder from another tool on a
# real MariaDB server (the one tests/mariadb/server.sh started): side by side
# with the real dbmate (its MySQL driver) and with golang-migrate's table
# written as its mysql driver writes it (tests/adopt.bash): the tool applies
# 20 steps, `ladder up` refuses, `ladder adopt` records them, `ladder up`
# applies 20 more, and the schema equals the tool's own run of all 40. Then
# a dirty golang-migrate row refused, and dbmate versions the plan lacks.
#
# dbmate is required under CI=true (scripts/deps.sh installs it); elsewhere
# its side-by-side run is skipped with a message.
#
# Usage: bash tests/cli_mariadb_adopt.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
. "$(dirname "${BASH_SOURCE[0]}")/adopt.bash"
cli_setup cli-mariadb-adopt "$@"
my_setup ladder_adopt

ENGINE=mariadb
TRUE=true FALSE=false
# golang-migrate's mysql driver creates this (database/mysql/mysql.go).
GM_TABLE_SQL='CREATE TABLE IF NOT EXISTS `schema_migrations` (version bigint not null primary key, dirty boolean not null);'
adb_new() {
	mydb "$1"
	ADB=$URL
}
adb_name() { echo "${1##*/}"; }
# || concatenates, as adopt.bash's queries mean it (in MariaDB it is OR)
adb_sql() { myq "$(adb_name "$1")" "SET SESSION sql_mode = CONCAT(@@sql_mode, ',PIPES_AS_CONCAT'); $2"; }
adb_script() { mariadb --no-defaults -uroot -S "$MY_SOCKET" "$(adb_name "$1")" >/dev/null; }
adb_has_table() { adb_sql "$1" "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '$2'"; }
# the catalog and the rows, as the server's own dump says them
adb_snapshot() {
	mariadb-dump --no-defaults -uroot -S "$MY_SOCKET" --skip-dump-date --skip-comments --routines --triggers \
		"$(adb_name "$1")"
}
# dbmate's MySQL URL: mysql://user:pass@host:port/db
adb_dbmate_url() { echo "mysql://ladder:$MY_PASSWORD@127.0.0.1:$MY_PORT/$(adb_name "$1")"; }

# The steps in MariaDB's dialect: || is OR there, and DROP INDEX names its
# table; otherwise as adopt.bash writes them.
up_sql() {
	local g=$((($1 - 1) / 5 + 1))
	case $(($1 % 5)) in
	1) echo "CREATE TABLE g${g}_items (id integer PRIMARY KEY, name varchar(100) NOT NULL) ENGINE=InnoDB;" ;;
	2) echo "CREATE INDEX g${g}_items_name ON g${g}_items (name);" ;;
	3) echo "ALTER TABLE g${g}_items ADD COLUMN note varchar(20) DEFAULT 'none';" ;;
	4) printf "INSERT INTO g%s_items (id, name) VALUES (1, 'one'), (2, 'two');\nUPDATE g%s_items SET note = CONCAT('n', id);\n" "$g" "$g" ;;
	0) echo "CREATE VIEW g${g}_names AS SELECT id, name, note FROM g${g}_items;" ;;
	esac
}
down_sql() {
	local g=$((($1 - 1) / 5 + 1))
	case $(($1 % 5)) in
	1) echo "DROP TABLE g${g}_items;" ;;
	2) echo "DROP INDEX g${g}_items_name ON g${g}_items;" ;;
	3) echo "ALTER TABLE g${g}_items DROP COLUMN note;" ;;
	4) echo "DELETE FROM g${g}_items;" ;;
	0) echo "DROP VIEW g${g}_names;" ;;
	esac
}

# --- side by side ---------------------------------------------------------------------------
if need_tool dbmate; then side_by_side dbmate dbmate; fi
side_by_side golang-migrate golang-migrate

# status after adopt + up: every step applied, the adopted ones as such
GM_A="${MY_SERVER%/}/${MY_PREFIX}_golang_migrate_a_$$"
run -d "$GM_A" -m "$LADDER_DIR" status --json
expect_rc 0
json "golang-migrate: status after adopt and up" '
eq(d["current"], 1040); eq(d["pending"], 0); eq(d["problems"], 0)
eq([m["kind"] for m in d["migrations"]], ["adopted"] * 20 + ["migration"] * 20)'

# --- a five-step plan ---------------------------------------------------------------------------
mkdir small
for v in 1 2 3 4 5; do
	echo "CREATE TABLE t$v (id integer);" >small/${v}_t$v.up.sql
	echo "DROP TABLE t$v;" >small/${v}_t$v.down.sql
done
tables_upto() { for ((i = 1; i <= $1; i++)); do echo "CREATE TABLE t$i (id integer);"; done; }
recorded() { adb_sql "$1" "SELECT group_concat(version, ':', kind ORDER BY version SEPARATOR ' ') FROM ladder_history"; }

# golang-migrate: dirty is refused, in up and in adopt, and nothing is written
adb_new gm_dirty
{ tables_upto 2; echo "$GM_TABLE_SQL"; echo "INSERT INTO schema_migrations VALUES (3, true);"; } | adb_script "$ADB"
run -m small -d "$ADB" up
expect_rc 1
expect_err_has "golang-migrate: its table \"schema_migrations\" records version 3 as dirty (a failed migration)"
run -m small -d "$ADB" adopt --from golang-migrate
expect_rc 1
expect_err_has "ladder: error: golang-migrate marked version 3 dirty in \"schema_migrations\""
eq "dirty: nothing adopted" "$(adb_has_table "$ADB" ladder_history)" "0"
# once forced clean (as `migrate force 2` does), everything up to it is adopted
adb_sql "$ADB" "UPDATE schema_migrations SET version = 2, dirty = false"
run -m small -d "$ADB" adopt --from golang-migrate
expect_rc 0
expect_out "Adopted version 2 from golang-migrate: recorded 2 migration(s) in the history store.
golang-migrate's table stays as it is, at version 2: ladder never writes it, so golang-migrate and anything else that reads it keep seeing 2."
eq "golang-migrate: versions up to the head" "$(recorded "$ADB")" "1:adopted 2:adopted"
run -m small -d "$ADB" up
expect_rc 0
expect_out "Applied 3 migration(s): version 2 → 5."
eq "golang-migrate: its row is untouched" "$(adb_sql "$ADB" "SELECT CONCAT(version, ',', dirty) FROM schema_migrations")" "2,0"
run -m small -d "$ADB" status --exit-code
expect_rc 0

# dbmate: versions the plan lacks, and versions it never applied below its head
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

finish
