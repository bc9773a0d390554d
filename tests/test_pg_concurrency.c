/*
 * test_pg_concurrency.c — a fleet of processes migrating one PostgreSQL
 * database at the same moment, with a CREATE INDEX CONCURRENTLY step that
 * deadlocks migrators waiting in pg_advisory_lock: none may fail, each step
 * runs once. And the lock itself: a migrator that cannot get it within its
 * timeout fails cleanly and changes nothing; applications in other schemas
 * or with other stores are not blocked; the lock is gone after every run.
 */
#include "pgutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROCESSES 24

static void fleet_with_create_index_concurrently(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = pgu_new_db("fleet", NULL);
	ladder_plan *plan;
	(void)state;

	tu_write(dir, "01_log.up.sql", "CREATE TABLE log (step integer NOT NULL, at timestamptz DEFAULT now());\n"
	                               "INSERT INTO log (step) VALUES (1);\n");
	for (int v = 2; v <= 6; v++)
		tu_write(dir, tu_fmt("%02d_t.up.sql", v),
		         tu_fmt("CREATE TABLE t%d (id serial PRIMARY KEY, body text);\n"
		                "INSERT INTO t%d (body) SELECT md5(g::text) FROM generate_series(1, 2000) g;\n"
		                "INSERT INTO log (step) VALUES (%d);\n",
		                v, v, v));
	tu_write(dir, "07_index.up.sql", "-- ladder:no-transaction\nCREATE INDEX CONCURRENTLY t2_body ON t2 (body);\n"
	                                 "INSERT INTO log (step) VALUES (7);\n"
	                                 "CREATE INDEX CONCURRENTLY t3_body ON t3 (body);\n");
	for (int v = 8; v <= 10; v++)
		tu_write(dir, tu_fmt("%02d_t.up.sql", v),
		         tu_fmt("CREATE TABLE t%d (id integer);\nINSERT INTO log (step) VALUES (%d);\n", v, v));
	plan = tu_plan(dir);
	assert_int_equal(tu_migrate_many(PROCESSES, url, plan, 0), 10);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM log"), 10);
	assert_int_equal(pgu_int(url, "SELECT count(DISTINCT step) FROM log"), 10);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM ladder_history WHERE state = 'done'"), 10);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
	                              "WHERE c.relname IN ('t2_body', 't3_body') AND i.indisvalid AND i.indisready"),
	                 2);
	assert_int_equal(pgu_advisory_locks(url), 0);
	ladder_plan_free(plan);
}

static int slow_step(void *native, void *user)
{
	PGresult *res = PQexec(native, "SELECT pg_sleep(0.3); INSERT INTO log (step) VALUES (3)");
	int error = 0;
	(void)user;
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		error = ladder_error_set(LADDER_EMIGRATION, "%s", PQerrorMessage(native));
	PQclear(res);
	return error;
}

static void behind_database_with_slow_step(void **state)
{
	static const ladder_migration_def steps[] = {
		{.version = 1, .name = "log", .up_sql = "CREATE TABLE log (step integer NOT NULL);"},
		{.version = 2, .name = "two", .up_sql = "INSERT INTO log VALUES (2);"},
		{.version = 3, .name = "slow", .up_fn = slow_step},
		{.version = 4, .name = "index", .up_sql = "CREATE INDEX CONCURRENTLY log_step ON log (step);",
		 .up_flags = LADDER_NO_TRANSACTION},
		{.version = 5, .name = "five", .up_sql = "INSERT INTO log VALUES (5);"},
	};
	const ladder_plan_def old_def = {steps, 2, NULL, 0};
	const ladder_plan_def new_def = {steps, 5, NULL, 0};
	const char *url = pgu_new_db("behind", NULL);
	ladder_plan *plan = NULL;
	ladder_db *db;
	(void)state;

	assert_int_equal(ladder_plan_from_def(&plan, &old_def), 0);
	db = pgu_open(url, NULL, NULL);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);

	assert_int_equal(ladder_plan_from_def(&plan, &new_def), 0);
	assert_int_equal(tu_migrate_many(PROCESSES, url, plan, LADDER_TX_PER_MIGRATION), 3);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM log WHERE step = 3"), 1);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM log"), 3);
	assert_int_equal(pgu_int(url, "SELECT max(version) FROM ladder_history"), 5);
	ladder_plan_free(plan);
}

static void lock_timeout_changes_nothing(void **state)
{
	const char *dir = tu_tmpdir(), *dir2 = tu_tmpdir();
	const char *name;
	const char *url = pgu_new_db("lock", &name);
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_plan *plan, *plan2;
	ladder_db *db = NULL, *other;
	ladder_result result;
	PGconn *holder;
	double start;
	char *before, *after;
	double took;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\n");
	tu_write(dir, "1_a.down.sql", "DROP TABLE a;\n");
	plan = tu_plan(dir);

	/* another migrator holds the lock this application would take */
	holder = pgu_connect(url);
	pgu_exec(holder, tu_fmt("SELECT pg_advisory_lock(%lld)", (long long)pgu_lock_key(url, NULL, "history")));
	opts.lock_timeout_ms = 700;
	assert_int_equal(ladder_db_open(&db, url, &opts), 0);
	before = pgu_snapshot(url);
	start = tu_now_ms();
	tu_assert_error(ladder_migrate(&result, db, plan, NULL), LADDER_ELOCKED,
	                tu_fmt("another migrator holds the migration lock on postgres://postgres@127.0.0.1:%d/%s "
	                       "(waited 0.7 s)",
	                       pgu_port(), name));
	took = (tu_now_ms() - start) / 1e3;
	assert_true(took >= 0.65 && took < 3.0);
	after = pgu_snapshot(url);
	assert_string_equal(before, after);
	free(after);

	/* other schemas and other stores are other locks */
	other = pgu_open(url, NULL, "elsewhere");
	assert_int_equal(ladder_migrate(&result, other, plan, NULL), 0);
	assert_int_equal(result.applied, 1);
	ladder_db_close(other);
	tu_write(dir2, "1_b.up.sql", "CREATE TABLE b (id integer);\n");
	plan2 = tu_plan(dir2);
	other = pgu_open(url, "history:other_history", NULL);
	assert_int_equal(ladder_migrate(&result, other, plan2, NULL), 0);
	assert_int_equal(result.applied, 1);
	ladder_db_close(other);

	/* maintenance waits for the same lock */
	tu_assert_error(ladder_repair(&result, db, plan, LADDER_REPAIR_CHECKSUMS, 0), LADDER_ELOCKED,
	                "another migrator");

	/* the holder lets go: the same handle goes through */
	pgu_exec(holder, "SELECT pg_advisory_unlock_all()");
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 1);
	assert_int_equal(pgu_conn_int(holder, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), 0);
	PQfinish(holder);
	ladder_db_close(db);
	ladder_plan_free(plan);
	ladder_plan_free(plan2);
	free(before);
}

static int hold_then_fail(void *native, void *user)
{
	int64_t held;
	(void)user;
	/* the callback's own session holds the migration lock */
	held = pgu_conn_int(native, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = "
	                            "pg_backend_pid()");
	return ladder_error_set(LADDER_EMIGRATION, "failing on purpose with %lld advisory lock(s)", (long long)held);
}

static void lock_is_released_on_every_exit_path(void **state)
{
	static const ladder_migration_def fails[] = {
		{.version = 1, .name = "ok", .up_sql = "CREATE TABLE ok (id integer);"},
		{.version = 2, .name = "fails", .up_fn = hold_then_fail},
	};
	const ladder_plan_def def = {fails, 2, NULL, 0};
	const char *url = pgu_new_db("release", NULL);
	ladder_run_options per_step = LADDER_RUN_OPTIONS_INIT;
	ladder_plan *plan = NULL;
	ladder_db *db = pgu_open(url, NULL, NULL);
	ladder_result result;
	(void)state;

	assert_int_equal(ladder_plan_from_def(&plan, &def), 0);
	tu_assert_error(ladder_migrate(&result, db, plan, NULL), LADDER_EMIGRATION, "with 1 advisory lock(s)");
	assert_int_equal(pgu_advisory_locks(url), 0);
	per_step.flags = LADDER_TX_PER_MIGRATION;
	tu_assert_error(ladder_migrate(&result, db, plan, &per_step), LADDER_EMIGRATION, "failing on purpose");
	assert_int_equal(pgu_advisory_locks(url), 0);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM ladder_history"), 1);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fleet_with_create_index_concurrently),
		cmocka_unit_test(behind_database_with_slow_step),
		cmocka_unit_test(lock_timeout_changes_nothing),
		cmocka_unit_test(lock_is_released_on_every_exit_path),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
