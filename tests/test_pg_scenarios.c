/*
 * test_pg_scenarios.c — the engine-neutral scenarios (tests/scenarios/) on a
 * real PostgreSQL server, then what only PostgreSQL has: SQLite's
 * foreign-keys-off rebuild refused, the DDL lock timeout failing a step
 * queued behind a long transaction, and the library's lock retries running
 * it again once that transaction ends. Each scenario works in databases of
 * its own.
 */
#include "scenarios/scenarios.h"

#include "pgutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void foreign_keys_off_is_sqlite_only(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = pgu_new_db("fk", NULL);
	ladder_plan *plan;
	ladder_db *db = pgu_open(url, NULL, NULL);
	(void)state;

	tu_write(dir, "1_a.up.sql", "-- ladder:foreign-keys off\nCREATE TABLE a (id integer);\n");
	plan = tu_plan(dir);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EUNSUPPORTED, "foreign-keys off");
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_class WHERE relname = 'a'"), 0);
	assert_int_equal(pgu_advisory_locks(url), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void ddl_lock_timeout_fails_fast(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = pgu_new_db("ddl_timeout", NULL);
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_plan *plan;
	ladder_db *db = NULL;
	PGconn *reader;
	double t0;
	char *before, *after;
	double took;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\n");
	plan = tu_plan(dir);
	db = pgu_open(url, NULL, NULL);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);

	/* a long transaction reads the table and keeps it locked */
	reader = pgu_connect(url);
	pgu_exec(reader, "BEGIN");
	pgu_exec(reader, "SELECT * FROM a");
	tu_write(dir, "2_alter.up.sql", "ALTER TABLE a ADD COLUMN z integer;\n");
	plan = tu_plan(dir);
	opts.ddl_lock_timeout_ms = 300;
	assert_int_equal(ladder_db_open(&db, url, &opts), 0);
	before = pgu_snapshot(url);
	t0 = tu_now_ms();
	tu_assert_error(tu_up(db, plan, 0), LADDER_ELOCK_UNAVAILABLE, "2_alter.up.sql:1: ERROR 55P03");
	took = (tu_now_ms() - t0) / 1e3;
	assert_true(took < 5.0);
	after = pgu_snapshot(url);
	assert_string_equal(before, after);
	pgu_exec(reader, "COMMIT");
	PQfinish(reader);
	/* once the reader is gone the same handle goes through */
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);
}

typedef struct retries_seen {
	int count;
	int64_t version;
	char name[32];
	double delays;
} retries_seen;

static void count_retries(void *ctx, ladder_event event, ladder_direction dir, int64_t version, const char *name,
                          double seconds)
{
	retries_seen *seen = ctx;
	(void)dir;
	if (event != LADDER_EVENT_LOCK_RETRY)
		return;
	seen->count++;
	seen->version = version;
	snprintf(seen->name, sizeof(seen->name), "%s", name);
	seen->delays += seconds;
}

/* The reader's transaction ends after a second, from another thread. */
static void *commit_later(void *reader)
{
	struct timespec second = {1, 0};
	nanosleep(&second, NULL);
	pgu_exec(reader, "COMMIT");
	return NULL;
}

static void lock_retries_wait_for_the_lock(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = pgu_new_db("lock_retries", NULL);
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_run_options run = LADDER_RUN_OPTIONS_INIT;
	retries_seen seen;
	ladder_result result;
	ladder_plan *plan;
	ladder_db *db = NULL;
	PGconn *reader;
	pthread_t committer;
	char *before, *after;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\n");
	plan = tu_plan(dir);
	db = pgu_open(url, NULL, NULL);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);

	reader = pgu_connect(url);
	pgu_exec(reader, "BEGIN");
	pgu_exec(reader, "SELECT * FROM a");
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id integer);\n");
	tu_write(dir, "3_alter.up.sql", "ALTER TABLE a ADD COLUMN z integer;\n");
	plan = tu_plan(dir);
	opts.ddl_lock_timeout_ms = 100;
	assert_int_equal(ladder_db_open(&db, url, &opts), 0);
	before = pgu_snapshot(url);

	/* a caller built against version 1 of the options gets no retries */
	run.version = 1;
	run.lock_retries = 5;
	tu_assert_error(ladder_migrate(&result, db, plan, &run), LADDER_ELOCK_UNAVAILABLE,
	                "3_alter.up.sql:1: ERROR 55P03");
	assert_null(strstr(ladder_error_last()->message, "retr"));
	after = pgu_snapshot(url);
	assert_string_equal(before, after);
	free(after);

	/* retries run out: the error counts them, nothing changed */
	memset(&seen, 0, sizeof(seen));
	run.version = LADDER_RUN_OPTIONS_VERSION;
	run.lock_retries = 2;
	run.progress = count_retries;
	run.progress_ctx = &seen;
	tu_assert_error(ladder_migrate(&result, db, plan, &run), LADDER_ELOCK_UNAVAILABLE,
	                "Gave up after 2 lock retries. The run was rolled back: the database is still at version 1");
	assert_int_equal(seen.count, 2);
	after = pgu_snapshot(url);
	assert_string_equal(before, after);
	free(after);

	/* enough retries: the run waits out the reader */
	memset(&seen, 0, sizeof(seen));
	run.lock_retries = 30;
	assert_int_equal(pthread_create(&committer, NULL, commit_later, reader), 0);
	assert_int_equal(ladder_migrate(&result, db, plan, &run), 0);
	pthread_join(committer, NULL);
	assert_true(seen.count >= 2);
	assert_int_equal(seen.version, 3);
	assert_string_equal(seen.name, "alter");
	assert_true(seen.delays > 0.5);
	assert_int_equal(result.from_version, 1);
	assert_int_equal(result.to_version, 3);
	assert_int_equal(result.applied, 2);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM ladder_history"), 3);
	assert_int_equal(pgu_advisory_locks(url), 0);
	PQfinish(reader);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
}

int main(void)
{
	const struct CMUnitTest own[] = {
		cmocka_unit_test(foreign_keys_off_is_sqlite_only),
		cmocka_unit_test(ddl_lock_timeout_fails_fast),
		cmocka_unit_test(lock_retries_wait_for_the_lock),
	};
	return tu_run_scenarios(&pgu_engine, own, sizeof(own) / sizeof(own[0]));
}
