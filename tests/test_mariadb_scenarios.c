/*
 * test_mariadb_scenarios.c — the engine-neutral scenarios (tests/scenarios/)
 * on a real MariaDB server, then what only MariaDB has: DDL that commits
 * statement by statement (a failing step leaves its earlier statements
 * applied, the history row says how many, and the next run resumes after
 * them once the rest is fixed), the migration lock as the user lock
 * ladder/mariadb.h names, MySQL's own objects (triggers and procedures with
 * BEGIN ... END bodies, views, AUTO_INCREMENT), and a user that may only
 * read. Each scenario works in databases of its own.
 */
#include "scenarios/scenarios.h"

#include "myutil.h"

#include <stdlib.h>
#include <string.h>

/* A step of five statements whose fourth fails: the DDL before it
 * committed, the DML group it belongs to (statements 3 and 4) is rolled
 * back; the history row says 2 statements are done. After the fix the
 * next run starts at statement 3, and never runs 1 and 2 again. */
static void failed_step_resumes_after_its_committed_statements(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = myu_new_db("resume", NULL);
	ladder_plan *plan;
	ladder_db *db = myu_open(url, NULL, NULL);
	ladder_status *status = NULL;
	ladder_result result;
	char *before;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer PRIMARY KEY);\n");
	tu_write(dir, "2_p.up.sql",
	         "CREATE TABLE p1 (id integer);\n"
	         "CREATE TABLE p2 (id integer);\n"
	         "INSERT INTO p1 VALUES (1);\n"
	         "INSERT INTO nope VALUES (1);\n"
	         "CREATE TABLE p3 (id integer);\n");
	tu_write(dir, "3_q.up.sql", "CREATE TABLE q (id integer);\n");
	plan = tu_plan(dir);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EMIGRATION,
	                "2_p.up.sql:4: ERROR 1146 (42S02): Table '");
	tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "nope' doesn't exist");
	/* the message says what stays committed and where the next run goes on */
	tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION,
	                "Statements 1-2 of it stay committed (mariadb commits each DDL statement)");
	tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "recorded as stopped before statement 3: fix statement 4");
	myu_assert_text(url, TU_HISTORY_STATES, "1:done\n2:applying:2:stopped\n");
	assert_int_equal(tu_objects(&myu_engine, url, "type = 'table' AND name IN ('p1', 'p2')"), 2);
	assert_int_equal(tu_objects(&myu_engine, url, "type = 'table' AND name IN ('p3', 'q')"), 0);
	assert_int_equal(myu_int(url, "SELECT count(*) FROM p1"), 0);
	assert_int_equal(myu_locks(url), 0);

	/* status shows the step interrupted */
	assert_int_equal(ladder_status_get(&status, db, plan), 0);
	assert_int_equal(status->entries[1].state, LADDER_STATE_INTERRUPTED);
	assert_true(status->problems >= 1);
	ladder_status_free(status);

	/* the same text fails the same way, changing nothing more */
	before = myu_snapshot(url);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EMIGRATION, "2_p.up.sql:4: ERROR 1146 (42S02)");
	{
		char *after = myu_snapshot(url);
		assert_string_equal(before, after);
		free(after);
	}
	free(before);
	ladder_plan_free(plan);

	/* an edit of a committed statement is refused: it ran as it was */
	tu_write(dir, "2_p.up.sql",
	         "CREATE TABLE p1 (id bigint);\n"
	         "CREATE TABLE p2 (id integer);\n"
	         "INSERT INTO p1 VALUES (1);\n"
	         "INSERT INTO a VALUES (1);\n"
	         "CREATE TABLE p3 (id integer);\n");
	plan = tu_plan(dir);
	before = myu_snapshot(url);
	tu_assert_error(tu_up(db, plan, 0), LADDER_ECHECKSUM, "put statements 1-2 back as they were");
	{
		char *after = myu_snapshot(url);
		assert_string_equal(before, after);
		free(after);
	}
	free(before);
	ladder_plan_free(plan);

	/* the fix from statement 3 on: the run resumes there */
	tu_write(dir, "2_p.up.sql",
	         "CREATE TABLE p1 (id integer);\n"
	         "CREATE TABLE p2 (id integer);\n"
	         "INSERT INTO p1 VALUES (1);\n"
	         "INSERT INTO a VALUES (1);\n"
	         "CREATE TABLE p3 (id integer);\n");
	plan = tu_plan(dir);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.to_version, 3);
	myu_assert_text(url, TU_HISTORY_STATES, "1:done\n2:done\n3:done\n");
	assert_int_equal(myu_int(url, "SELECT count(*) FROM p1"), 1);
	assert_int_equal(myu_int(url, "SELECT count(*) FROM a"), 1);
	assert_int_equal(tu_objects(&myu_engine, url, "type = 'table' AND name IN ('p3', 'q')"), 2);
	tu_assert_fast_path(db, plan);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

/* A failing DDL statement: the statements before it are committed, each
 * alone; K counts them. */
static void failed_ddl_statement_records_progress(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = myu_new_db("ddl_progress", NULL);
	ladder_plan *plan;
	ladder_db *db = myu_open(url, NULL, NULL);
	(void)state;

	tu_write(dir, "1_a.up.sql",
	         "CREATE TABLE a (id integer PRIMARY KEY AUTO_INCREMENT, v varchar(20)) ENGINE=InnoDB;\n"
	         "INSERT INTO a (v) VALUES ('x'), ('y');\n"
	         "ALTER TABLE a ADD COLUMN w integer;\n"
	         "ALTER TABLE a ADD COLUMN w integer;\n");
	plan = tu_plan(dir);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EMIGRATION, "1_a.up.sql:4: ERROR 1060 (42S21): Duplicate column name 'w'");
	myu_assert_text(url, TU_HISTORY_STATES, "1:applying:3:stopped\n");
	assert_int_equal(myu_int(url, "SELECT count(*) FROM a"), 2);
	assert_int_equal(myu_int(url, "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
	                              "DATABASE() AND table_name = 'a' AND column_name = 'w'"),
	                 1);
	ladder_plan_free(plan);

	tu_write(dir, "1_a.up.sql",
	         "CREATE TABLE a (id integer PRIMARY KEY AUTO_INCREMENT, v varchar(20)) ENGINE=InnoDB;\n"
	         "INSERT INTO a (v) VALUES ('x'), ('y');\n"
	         "ALTER TABLE a ADD COLUMN w integer;\n"
	         "ALTER TABLE a ADD COLUMN z integer;\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	myu_assert_text(url, TU_HISTORY_STATES, "1:done\n");
	/* the rows went in once */
	assert_int_equal(myu_int(url, "SELECT count(*) FROM a"), 2);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

typedef struct {
	const char *url, *db;
	int64_t holder;
} lock_seen;

static int look_at_lock(void *native, void *user)
{
	lock_seen *seen = user;
	int64_t mine = myu_conn_int(native, "SELECT CONNECTION_ID()");
	/* seen from another session: held, and by the migrator's session */
	seen->holder = myu_lock_holder(seen->url, seen->db, "history");
	if (seen->holder != mine)
		return ladder_error_set(LADDER_EMIGRATION, "lock held by %lld, migrator is %lld", (long long)seen->holder,
		                        (long long)mine);
	return 0;
}

static void migration_lock_is_the_documented_user_lock(void **state)
{
	const char *db_name;
	const char *url = myu_new_db("lock_name", &db_name);
	lock_seen seen = {url, db_name, 0};
	const ladder_migration_def steps[] = {
		{.version = 1, .name = "look", .up_fn = look_at_lock, .user = &seen},
	};
	const ladder_plan_def def = {steps, 1, NULL, 0};
	ladder_plan *plan = NULL;
	ladder_db *db = myu_open(url, NULL, NULL);
	(void)state;

	assert_int_equal(ladder_plan_from_def(&plan, &def), 0);
	assert_int_equal(tu_up(db, plan, 0), 0);
	assert_true(seen.holder > 0);
	/* and let go after the run */
	assert_int_equal(myu_lock_holder(url, db_name, "history"), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

/* MySQL's own objects: bodies with semicolons inside BEGIN ... END split
 * where the server would, and down takes them away again. */
static void triggers_procedures_and_views(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = myu_new_db("objects", NULL);
	ladder_plan *plan;
	ladder_db *db = myu_open(url, NULL, NULL);
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	ladder_result result;
	(void)state;

	tu_write(dir, "1_orders.up.sql",
	         "CREATE TABLE orders (\n  id integer PRIMARY KEY AUTO_INCREMENT,\n  total decimal(10,2) NOT NULL,\n"
	         "  audited integer NOT NULL DEFAULT 0\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"
	         "CREATE TABLE audit (order_id integer, note varchar(50));\n"
	         "CREATE TRIGGER orders_ai AFTER INSERT ON orders FOR EACH ROW\nBEGIN\n"
	         "  INSERT INTO audit VALUES (NEW.id, 'created');\n"
	         "  IF NEW.total > 100 THEN\n    INSERT INTO audit VALUES (NEW.id, 'big');\n  END IF;\nEND;\n"
	         "CREATE PROCEDURE add_order(IN t decimal(10,2))\nBEGIN\n  DECLARE n integer DEFAULT 0;\n"
	         "  INSERT INTO orders (total) VALUES (t);\n  SET n = n + 1;\nEND;\n"
	         "CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;\n"
	         "CALL add_order(150);\nCALL add_order(5);\n");
	tu_write(dir, "1_orders.down.sql",
	         "DROP VIEW big_orders;\nDROP PROCEDURE add_order;\nDROP TRIGGER orders_ai;\nDROP TABLE audit;\n"
	         "DROP TABLE orders;\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	myu_assert_text(url, "SELECT order_id, note FROM audit ORDER BY 1, 2", "1|big\n1|created\n2|created\n");
	myu_assert_text(url, "SELECT id FROM big_orders", "1\n");
	assert_int_equal(tu_objects(&myu_engine, url, "type IN ('trigger', 'procedure', 'view')"), 3);
	opts.target = 0;
	assert_int_equal(ladder_down(&result, db, plan, &opts), 0);
	assert_int_equal(tu_objects(&myu_engine, url, "name <> 'ladder_history'"), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

/* A user that may only read: a clear refusal, nothing created. */
static void read_only_user_is_refused(void **state)
{
	const char *dir = tu_tmpdir();
	const char *name;
	const char *url = myu_new_db("reader", &name);
	const char *reader_url = tu_keep(myu_url(MYU_READER, MYU_READER_PASSWORD, name));
	ladder_plan *plan;
	ladder_db *db = NULL;
	const char *message;
	int code;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\n");
	plan = tu_plan(dir);
	if (ladder_db_open(&db, reader_url, NULL) == 0) {
		code = tu_up(db, plan, 0);
		ladder_db_close(db);
	} else {
		code = ladder_error_last()->code;
	}
	assert_true(code < 0);
	message = ladder_error_last()->message;
	if (strstr(message, "denied") == NULL)
		fail_msg("the refusal does not say access was denied: %s", message);
	if (strstr(message, MYU_READER_PASSWORD) != NULL)
		fail_msg("the message shows the password: %s", message);
	assert_int_equal(tu_objects(&myu_engine, url, "1 = 1"), 0);
	ladder_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest own[] = {
		cmocka_unit_test(failed_step_resumes_after_its_committed_statements),
		cmocka_unit_test(failed_ddl_statement_records_progress),
		cmocka_unit_test(migration_lock_is_the_documented_user_lock),
		cmocka_unit_test(triggers_procedures_and_views),
		cmocka_unit_test(read_only_user_is_refused),
	};
	return tu_run_scenarios(&myu_engine, own, sizeof(own) / sizeof(own[0]));
}
