/*
 * test_concurrency.c — many processes migrating one SQLite file at the same
 * moment (the vault's failure: 33 of 320 opens failed). Every process must
 * succeed and each migration must be applied exactly once: on a fresh file,
 * and on a file that is behind, with a deliberately slow C step.
 */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROCESSES 32

static void fresh_file_many_openers(void **state)
{
	const char *dir = tu_tmpdir();
	const char *path = tu_keep(tu_fmt("%s/fresh.db", tu_tmpdir()));
	ladder_plan *plan;
	(void)state;

	tu_write(dir, "1_log.up.sql", "CREATE TABLE log (step INTEGER NOT NULL);\nINSERT INTO log VALUES (1);\n");
	for (int v = 2; v <= 20; v++)
		tu_write(dir, tu_fmt("%d_step.up.sql", v),
		         tu_fmt("CREATE TABLE t%d (id INTEGER PRIMARY KEY, body TEXT);\nINSERT INTO log VALUES (%d);\n", v, v));
	plan = tu_plan(dir);
	assert_int_equal(tu_migrate_many(PROCESSES, path, plan, 0), 20);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM log"), 20);
	assert_int_equal(tu_int(path, "SELECT count(DISTINCT step) FROM log"), 20);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM ladder_history WHERE state = 'done'"), 20);
	ladder_plan_free(plan);
}

static int slow_step(void *native, void *user)
{
	(void)user;
	usleep(300 * 1000);
	if (sqlite3_exec(native, "INSERT INTO log VALUES (3)", NULL, NULL, NULL) != SQLITE_OK)
		return ladder_error_set(LADDER_EMIGRATION, "%s", sqlite3_errmsg(native));
	return 0;
}

static void behind_file_with_slow_step(void **state)
{
	static const ladder_migration_def steps[] = {
		{.version = 1, .name = "log", .up_sql = "CREATE TABLE log (step INTEGER NOT NULL);"},
		{.version = 2, .name = "two", .up_sql = "INSERT INTO log VALUES (2);"},
		{.version = 3, .name = "slow", .up_fn = slow_step},
		{.version = 4, .name = "four", .up_sql = "INSERT INTO log VALUES (4);"},
	};
	const ladder_plan_def old_def = {steps, 2, NULL, 0};
	const ladder_plan_def new_def = {steps, 4, NULL, 0};
	const char *path = tu_keep(tu_fmt("%s/behind.db", tu_tmpdir()));
	ladder_plan *plan = NULL;
	ladder_db *db;
	(void)state;

	assert_int_equal(ladder_plan_from_def(&plan, &old_def), 0);
	db = tu_open(path);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);

	assert_int_equal(ladder_plan_from_def(&plan, &new_def), 0);
	assert_int_equal(tu_migrate_many(PROCESSES, path, plan, 0), 2);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM log WHERE step = 3"), 1);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM log"), 3);
	assert_int_equal(tu_int(path, "SELECT max(version) FROM ladder_history"), 4);
	ladder_plan_free(plan);
}

static void no_transaction_steps_under_concurrency(void **state)
{
	const char *dir = tu_tmpdir();
	const char *path = tu_keep(tu_fmt("%s/notx.db", tu_tmpdir()));
	ladder_plan *plan;
	(void)state;

	tu_write(dir, "1_log.up.sql", "CREATE TABLE log (step INTEGER NOT NULL);\n");
	tu_write(dir, "2_alone.up.sql", "-- ladder:no-transaction\nINSERT INTO log VALUES (2);\nINSERT INTO log VALUES (2);\n");
	tu_write(dir, "3_after.up.sql", "INSERT INTO log VALUES (3);\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_migrate_many(PROCESSES, path, plan, 0), 3);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM log WHERE step = 2"), 2);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM log WHERE step = 3"), 1);
	ladder_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fresh_file_many_openers),
		cmocka_unit_test(behind_file_with_slow_step),
		cmocka_unit_test(no_transaction_steps_under_concurrency),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
