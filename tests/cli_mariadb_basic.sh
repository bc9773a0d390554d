#!/usr/bin/env bash
# tests/cli_mariadb_basic.sh — the `ladder` CLI against a real MariaDB server
# (the one tests/mariadb/server.sh started, named by $LADDER_MARIADB_URL_FILE):
# a MySQL-flavoured migration set (AUTO_INCREMENT, ENGINE=InnoDB, a trigger
# and a procedure with BEGIN ... END bodies, the client's DELIMITER form, a
# view) through up, the no-op, status, history, down, dump and verify;
# examples/basic (written for SQLite) refused cleanly; a syntax error naming
# file and line; a user that may only read; --schema naming the database;
# the migration lock; and no output ever showing the password (every `run`
# greps for it: CLI_SECRET).
#
# Usage: bash tests/cli_mariadb_basic.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-mariadb "$@"
my_setup ladder_cli

mkdir migrations
cat >migrations/1_users.up.sql <<'SQL'
-- People, with a key the server numbers.
CREATE TABLE users (
    id    INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email VARCHAR(190) NOT NULL,
    UNIQUE KEY users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO users (email) VALUES ('ada@example.com'), ('bob@example.com');
SQL
printf 'DROP TABLE users;\n' >migrations/1_users.down.sql
cat >migrations/2_audit.sql <<'SQL'
-- migrate:up
CREATE TABLE audit (
    id      BIGINT NOT NULL AUTO_INCREMENT,
    user_id INT UNSIGNED NOT NULL,
    what    VARCHAR(40) NOT NULL,
    PRIMARY KEY (id),
    KEY audit_user (user_id)
) ENGINE=InnoDB;
-- a body with semicolons: the statement ends at END;
CREATE TRIGGER users_ai AFTER INSERT ON users FOR EACH ROW
BEGIN
    INSERT INTO audit (user_id, what) VALUES (NEW.id, 'created');
    IF NEW.email LIKE '%@example.com' THEN
        INSERT INTO audit (user_id, what) VALUES (NEW.id, 'example');
    END IF;
END;
-- migrate:down
DROP TRIGGER users_ai;
DROP TABLE audit;
SQL
cat >migrations/3_proc.up.sql <<'SQL'
DELIMITER $$
CREATE PROCEDURE add_user(IN address VARCHAR(190))
BEGIN
    DECLARE n INT DEFAULT 0;
    INSERT INTO users (email) VALUES (address);
    SELECT count(*) INTO n FROM users;
END$$
DELIMITER ;
CREATE VIEW user_activity AS
    SELECT u.email, count(a.id) AS events FROM users u LEFT JOIN audit a ON a.user_id = u.id GROUP BY u.email;
CALL add_user('cy@example.com');
SQL
printf 'DROP VIEW user_activity;\nDROP PROCEDURE add_user;\nDELETE FROM users WHERE email = %s;\n' \
	"'cy@example.com'" >migrations/3_proc.down.sql
export MYDB MY_PORT

# --- up, the no-op, status, history -----------------------------------------------------
mydb basic
DB=$URL
BASIC=$MYDB
run -d "$DB" up
expect_rc 0
expect_out "Applied 3 migration(s): version 0 → 3."
eq "tables after up" "$(myq "$MYDB" "SELECT group_concat(table_name ORDER BY BINARY table_name) FROM information_schema.tables WHERE table_schema = DATABASE()")" \
	"audit,ladder_history,user_activity,users"
eq "the trigger fired for the procedure's row" "$(myq "$MYDB" "SELECT group_concat(what ORDER BY id) FROM audit")" "created,example"
eq "the procedure and the trigger" "$(myq "$MYDB" "SELECT (SELECT count(*) FROM information_schema.routines WHERE routine_schema = DATABASE()), (SELECT count(*) FROM information_schema.triggers WHERE trigger_schema = DATABASE())")" \
	"1	1"
eq "history" "$(myq "$MYDB" "SELECT group_concat(version, ':', state ORDER BY version) FROM ladder_history")" "1:done,2:done,3:done"
HIST=$(myq "$MYDB" "SELECT * FROM ladder_history ORDER BY version")
run -q -d "$DB" up
expect_rc 0
expect_out ""
expect_err ""
eq "the no-op wrote nothing" "$(myq "$MYDB" "SELECT * FROM ladder_history ORDER BY version")" "$HIST"
DATABASE_URL=$DB run status --json
expect_rc 0
json "status --json" '
eq(d["database"], "mariadb://ladder@127.0.0.1:%s/%s" % (E["MY_PORT"], E["MYDB"]), "database")
eq(d["store"], "history", "store")
eq(d["current"], 3, "current")
eq(d["pending"], 0, "pending")
eq([m["state"] for m in d["migrations"]], ["applied"] * 3, "states")'
run -d "$DB" status
expect_rc 0
expect_out_has "Database: mariadb://ladder@127.0.0.1:$MY_PORT/$MYDB (store: history)"
run -d "$DB" history --json
expect_rc 0
json "history --json" '
eq([(m["version"], m["name"], m["kind"]) for m in d["migrations"]], [(1, "users", "migration"), (2, "audit", "migration"), (3, "proc", "migration")])'
run -d "$DB" version
expect_rc 0
expect_out "3"

# --- dump: the schema, not ladder's store; same schema, same bytes ------------------------
run -d "$DB" dump -o "$T/basic.dump"
expect_rc 0
DUMP=$(cat "$T/basic.dump")
has "dump: the table" "$DUMP" "users"
has "dump: the trigger" "$DUMP" "users_ai"
has "dump: the view" "$DUMP" "user_activity"
if [[ $DUMP == *ladder_history* ]]; then fail "dump shows ladder's store"; else pass; fi
mydb again
run -d "$URL" up
expect_rc 0
run -d "$URL" dump -o "$T/again.dump"
expect_rc 0
if cmp -s "$T/basic.dump" "$T/again.dump"; then pass; else fail "two databases with the same steps dump differently" "$(diff -u "$T/basic.dump" "$T/again.dump" | head -30)"; fi
MYDB=$BASIC

# --- down ----------------------------------------------------------------------------------
run -d "$DB" down --steps 2
expect_rc 0
eq "after down 2" "$(myq "$MYDB" "SELECT group_concat(version) FROM ladder_history")" "1"
eq "objects of steps 2 and 3 gone" "$(myq "$MYDB" "SELECT (SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN ('audit', 'user_activity')) + (SELECT count(*) FROM information_schema.routines WHERE routine_schema = DATABASE()) + (SELECT count(*) FROM information_schema.triggers WHERE trigger_schema = DATABASE())")" "0"
run -d "$DB" down --to 0
expect_rc 0
eq "after down --to 0" "$(myq "$MYDB" "SELECT count(*) FROM ladder_history")" "0"
run -d "$DB" up
expect_rc 0

# --- verify on scratch databases of the same server ----------------------------------------
run -d "$DB" verify
expect_rc 0
expect_out_has "3"
eq "verify left no scratch database" "$(myq "SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'ladder%verify%' OR schema_name LIKE 'ladder\\_scratch%'")" "0"

# --- a syntax error names file and line; what committed is recorded -------------------------
printf 'CREATE TABLE tags (id INT);\n\nCREATE TABLEX t2 (id INT);\n' >migrations/4_tags.up.sql
run -d "$DB" up
expect_rc 1
expect_err_has "4_tags.up.sql:3: ERROR 1064 (42000): You have an error in your SQL syntax"
expect_err_has "near 'TABLEX t2"
expect_err_has "Statement 1 of it stays committed (mariadb commits each DDL statement); it is recorded as stopped before statement 2: fix statement 2 (or a later one)"
expect_one_error_line
eq "the DDL before it committed" "$(myq "$MYDB" "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'tags'")" "1"
eq "the store says how far step 4 got" "$(myq "$MYDB" "SELECT state FROM ladder_history WHERE version = 4")" "applying:1:stopped"
run -d "$DB" status
expect_rc 0
expect_out_has "      4  tags   interrupted"
expect_out_has "! step 4 tags: statement 1 of 2 done, stopped before statement 2 of 2 (\`CREATE TABLEX t2 (id INT)\`, line 3): 'ladder up' runs it."
run -d "$DB" status --json
expect_rc 0
json "status --json: the step's progress" '
m = d["migrations"][3]
eq(m["state"], "interrupted")
eq(m["progress"], {"direction": "up", "statements_done": 1, "statements": 2, "next": "not-run",
                   "next_statement": "statement 2 of 2 (`CREATE TABLEX t2 (id INT)`, line 3)"})'
# fixed from statement 2 on: the next up resumes there
printf 'CREATE TABLE tags (id INT);\n\nCREATE TABLE t2 (id INT);\n' >migrations/4_tags.up.sql
run -d "$DB" up
expect_rc 0
eq "step 4 done" "$(myq "$MYDB" "SELECT state FROM ladder_history WHERE version = 4")" "done"
run -d "$DB" status --exit-code
expect_rc 0
printf 'DROP TABLE t2;\nDROP TABLE tags;\n' >migrations/4_tags.down.sql
run -d "$DB" down
expect_rc 0
rm migrations/4_tags.up.sql migrations/4_tags.down.sql

# --- examples/basic is SQLite's: refused before anything runs -------------------------------
mydb example
run -m "$ROOT/examples/basic/migrations" -d "$URL" up
expect_rc 1
expect_err "ladder: error: the mariadb driver cannot switch foreign keys off (ladder:foreign-keys off)"
eq "examples/basic: nothing created" "$(myq "$MYDB" "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE()")" "0"
run -m "$ROOT/examples/basic/migrations" -d "$URL" up --to 20261101090000
expect_rc 1
expect_err_has "20261101090000_create_users.up.sql:5: ERROR 1064 (42000)"
expect_err_has "near '('now'))"
run -m "$ROOT/examples/basic/migrations" -d "$URL" status
expect_rc 0
# nothing of the failed step committed: it stays pending
expect_out_has "Version 0 of 20261103090000: 3 pending."

# --- a user that may only read: a clear error, nothing changes ------------------------------
mydb readonly
READER_URL="mariadb://reader:reader-secret-pw@127.0.0.1:$MY_PORT/$MYDB"
CLI_SECRET=reader-secret-pw run -d "$READER_URL" up
expect_rc 1
expect_one_error_line
expect_err_has "CREATE command denied to user 'reader'@'127.0.0.1'"
eq "read-only: nothing created" "$(myq "$MYDB" "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE()")" "0"
CLI_SECRET=reader-secret-pw run -d "$READER_URL" status
expect_rc 0
expect_out_has "Version 0 of 3: 3 pending."

# --- --schema: the store and the objects in that database ------------------------------------
mydb url_db
OTHER="${MY_PREFIX}_schema_$$"
MY_DBS+=("$OTHER")
run -d "$URL" --schema "$OTHER" up
expect_rc 0
eq "objects in the --schema database" "$(myq "$OTHER" "SELECT group_concat(table_name ORDER BY BINARY table_name) FROM information_schema.tables WHERE table_schema = DATABASE()")" \
	"audit,ladder_history,user_activity,users"
eq "the URL's database untouched" "$(myq "$MYDB" "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE()")" "0"
run -d "$URL" --schema "$OTHER" status --json
expect_rc 0
json "status with --schema" 'eq(d["current"], 3); eq(d["pending"], 0)'
run -d "$URL" status --json
expect_rc 0
json "the URL's database knows nothing" 'eq(d["current"], 0); eq(d["pending"], 3)'

# --- the migration lock: a holder makes --lock-timeout fail, naming it -------------------------
mydb lock
LOCKDB=$MYDB
mariadb --no-defaults -uroot -S "$MY_SOCKET" -N -B -e "SELECT GET_LOCK('ladder:$LOCKDB:history', 0); SELECT SLEEP(60)" >/dev/null 2>&1 &
HOLDER=$!
for _ in $(seq 100); do
	[ "$(myq "SELECT IS_USED_LOCK('ladder:$LOCKDB:history') IS NOT NULL")" = 1 ] && break
	sleep 0.05
done
START=$(date +%s%N)
run -d "$URL" --lock-timeout 0.5 up
ELAPSED_MS=$((($(date +%s%N) - START) / 1000000))
expect_rc 1
expect_err_has "another migrator holds the migration lock on mariadb://ladder@127.0.0.1:$MY_PORT/$LOCKDB (waited 0.5 s; held by connection "
expect_err_has "user 'root'"
if [ "$ELAPSED_MS" -lt 5000 ]; then pass; else fail "--lock-timeout 0.5 took ${ELAPSED_MS} ms"; fi
eq "locked: nothing created" "$(myq "$LOCKDB" "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE()")" "0"
kill "$HOLDER" 2>/dev/null || true
wait "$HOLDER" 2>/dev/null || true
myq "SELECT 1" >/dev/null # the client's session may outlive it a moment: wait for the lock instead
for _ in $(seq 100); do
	[ "$(myq "SELECT IS_USED_LOCK('ladder:$LOCKDB:history') IS NULL")" = 1 ] && break
	myq "KILL (SELECT IS_USED_LOCK('ladder:$LOCKDB:history'))" >/dev/null 2>&1 || true
	sleep 0.05
done
run -d "$URL" --lock-timeout 5 up
expect_rc 0

# --- connection failures: one line, never the password ----------------------------------------
SECRET="Cli-Wr0ng-Pass"
CLI_SECRET=$SECRET run -d "mariadb://ladder:$SECRET@127.0.0.1:$MY_PORT/$LOCKDB" status
expect_rc 1
expect_one_line_err
expect_err_has "cannot connect to mariadb://ladder@127.0.0.1:$MY_PORT/$LOCKDB: "
expect_err_has "Access denied for user 'ladder'@'"
run -d "mariadb://ladder@127.0.0.1:1/$LOCKDB" status
expect_rc 1
expect_one_line_err
expect_err_has "cannot connect to mariadb://ladder@127.0.0.1:1/$LOCKDB: "
run -d "mariadb://ladder:$MY_PASSWORD@127.0.0.1:$MY_PORT/no_such_database_here" status
expect_rc 1
expect_one_line_err
expect_err_has "Unknown database 'no_such_database_here'"
run -d "mysql://ladder:$MY_PASSWORD@127.0.0.1:$MY_PORT/$LOCKDB" status --json
expect_rc 0
json "mysql:// reads the same" 'eq(d["current"], 3)'
run -d "mariadb://ladder:$MY_PASSWORD@localhost/$LOCKDB?socket=$MY_SOCKET" status
expect_rc 0
expect_out_has "Database: mariadb://ladder@localhost/$LOCKDB?socket=$MY_SOCKET (store: history)"

finish
