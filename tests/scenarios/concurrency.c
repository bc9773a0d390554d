/*
 * concurrency.c — a fleet of processes migrating one database at the same
 * moment (the vault's failure: 33 of 320 opens failed), on any engine: none
 * may fail and each step runs once, on a fresh database with a
 * no-transaction step building indexes the way that does not block writers
 * (PostgreSQL's CREATE INDEX CONCURRENTLY deadlocks migrators that wait
 * inside pg_advisory_lock), and on a database that is behind, with a slow C
 * step. And the lock itself: a migrator that cannot get it within its
 * timeout fails cleanly and changes nothing; it is gone after every run.
 */
#include "scenarios.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLEET_STEPS 20
#define NO_TX_STEP 7

/* Half the fleet runs in one transaction, half commits per migration. */
static const unsigned int both_modes[] = {0, LADDER_TX_PER_MIGRATION};

void fresh_database_many_openers(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *dir = tu_tmpdir();
	const char *url = e->fresh("fleet");
	ladder_plan *plan;

	tu_write(dir, "01_log.up.sql", "CREATE TABLE log (step integer NOT NULL);\nINSERT INTO log (step) VALUES (1);\n");
	for (int v = 2; v <= FLEET_STEPS; v++) {
		if (v == NO_TX_STEP)
			tu_write(dir, tu_fmt("%02d_index.up.sql", v),
			         tu_fmt("-- ladder:no-transaction\n%s t2_body ON t2 (body);\n"
			                "INSERT INTO log (step) VALUES (%d);\nINSERT INTO log (step) VALUES (%d);\n"
			                "%s t3_body ON t3 (body);\n",
			                e->concurrent_index, v, v, e->concurrent_index));
		else if (e->id == TU_MARIADB)
			/* no WITH before INSERT, || is OR, and recursion stops at
			 * 1000: the Sequence engine's table of numbers */
			tu_write(dir, tu_fmt("%02d_t.up.sql", v),
			         tu_fmt("CREATE TABLE t%d (id %s PRIMARY KEY, body text);\n"
			                "INSERT INTO t%d (body) SELECT CONCAT('row ', seq) FROM seq_1_to_2000;\n"
			                "INSERT INTO log (step) VALUES (%d);\n",
			                v, e->serial_type, v, v));
		else
			tu_write(dir, tu_fmt("%02d_t.up.sql", v),
			         tu_fmt("CREATE TABLE t%d (id %s PRIMARY KEY, body text);\n"
			                "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 2000)\n"
			                "INSERT INTO t%d (body) SELECT 'row ' || n FROM g;\n"
			                "INSERT INTO log (step) VALUES (%d);\n",
			                v, e->serial_type, v, v));
	}
	plan = tu_plan(dir);
	assert_int_equal(tu_migrate_many(e->fleet, url, plan, both_modes, 2), FLEET_STEPS);
	/* every step once; the no-transaction step's two rows once */
	assert_int_equal(tu_scalar(e, url, "SELECT count(*) FROM log"), FLEET_STEPS + 1);
	assert_int_equal(tu_scalar(e, url, "SELECT count(DISTINCT step) FROM log"), FLEET_STEPS);
	assert_int_equal(tu_scalar(e, url, tu_fmt("SELECT count(*) FROM log WHERE step = %d", NO_TX_STEP)), 2);
	assert_int_equal(tu_scalar(e, url, "SELECT count(*) FROM ladder_history WHERE state = 'done'"), FLEET_STEPS);
	assert_int_equal(tu_scalar(e, url, "SELECT count(*) FROM t5"), 2000);
	assert_int_equal(tu_objects(e, url, "type = 'index' AND name IN ('t2_body', 't3_body')"), 2);
	assert_int_equal(e->locks_held(url), 0);
	ladder_plan_free(plan);
}

static int slow_step(void *native, void *user)
{
	const tu_engine *e = user;
	usleep(300 * 1000);
	return e->native_exec(native, "INSERT INTO log VALUES (3)");
}

void behind_database_with_slow_step(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const ladder_migration_def steps[] = {
		{.version = 1, .name = "log", .up_sql = "CREATE TABLE log (step integer NOT NULL);"},
		{.version = 2, .name = "two", .up_sql = "INSERT INTO log VALUES (2);"},
		{.version = 3, .name = "slow", .up_fn = slow_step, .user = (void *)e},
		{.version = 4, .name = "index", .up_sql = tu_keep(tu_fmt("%s log_step ON log (step);", e->concurrent_index)),
		 .up_flags = LADDER_NO_TRANSACTION},
		{.version = 5, .name = "five", .up_sql = "INSERT INTO log VALUES (5);"},
	};
	const ladder_plan_def old_def = {steps, 2, NULL, 0};
	const ladder_plan_def new_def = {steps, 5, NULL, 0};
	const char *url = e->fresh("behind");
	ladder_plan *plan = NULL;
	ladder_db *db;

	assert_int_equal(ladder_plan_from_def(&plan, &old_def), 0);
	db = tu_db_open(url, NULL, NULL);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);

	assert_int_equal(ladder_plan_from_def(&plan, &new_def), 0);
	assert_int_equal(tu_migrate_many(e->fleet, url, plan, both_modes, 2), 3);
	assert_int_equal(tu_scalar(e, url, "SELECT count(*) FROM log WHERE step = 3"), 1);
	assert_int_equal(tu_scalar(e, url, "SELECT count(*) FROM log"), 3);
	assert_int_equal(tu_scalar(e, url, "SELECT max(version) FROM ladder_history"), 5);
	assert_int_equal(tu_objects(e, url, "type = 'index' AND name = 'log_step'"), 1);
	ladder_plan_free(plan);
}

/* url as a driver names it in messages: user@host, never the password. */
static const char *without_password(const char *url)
{
	const char *user = strstr(url, "://");
	const char *at = user ? strchr(user + 3, '@') : NULL;
	const char *colon = user ? strchr(user + 3, ':') : NULL;

	if (at == NULL || colon == NULL || colon > at)
		return url;
	return tu_keep(tu_fmt("%.*s%s", (int)(colon - url), url, at));
}

void lock_timeout_changes_nothing(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *dir = tu_tmpdir();
	const char *url = e->fresh("lock");
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_plan *plan;
	ladder_db *db = NULL;
	ladder_result result;
	void *holder;
	double start, took;
	char *before, *after;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\n");
	tu_write(dir, "1_a.down.sql", "DROP TABLE a;\n");
	plan = tu_plan(dir);

	/* another migrator holds the lock this application would take */
	holder = e->hold_lock(url);
	opts.lock_timeout_ms = 700;
	assert_int_equal(ladder_db_open(&db, url, &opts), 0);
	before = e->snapshot(url);
	start = tu_now_ms();
	tu_assert_error(ladder_migrate(&result, db, plan, NULL), LADDER_ELOCKED,
	                TU_PICK3(e, tu_fmt("another connection holds the write lock on %s (waited 0.7 s)", url),
	                         tu_fmt("another migrator holds the migration lock on %s (waited 0.7 s; held by pid ",
	                                url),
	                         tu_fmt("another migrator holds the migration lock on %s (waited 0.7 s; held by ",
	                                without_password(url))));
	took = (tu_now_ms() - start) / 1e3;
	assert_true(took >= 0.65 && took < 3.0);
	after = e->snapshot(url);
	assert_string_equal(before, after);
	free(after);

	if (e->caps & TU_LOCK_PER_STORE) {
		/* other schemas and other stores are other locks (on MariaDB a
		 * schema is a database of the server: one of this run's own) */
		const char *dir2 = tu_tmpdir();
		ladder_plan *plan2;
		ladder_db *other = tu_db_open(
		        url, NULL, e->id == TU_MARIADB ? tu_keep(tu_fmt("elsewhere_%d", (int)getpid())) : "elsewhere");

		assert_int_equal(ladder_migrate(&result, other, plan, NULL), 0);
		assert_int_equal(result.applied, 1);
		ladder_db_close(other);
		tu_write(dir2, "1_b.up.sql", "CREATE TABLE b (id integer);\n");
		plan2 = tu_plan(dir2);
		other = tu_db_open(url, "history:other_history", NULL);
		assert_int_equal(ladder_migrate(&result, other, plan2, NULL), 0);
		assert_int_equal(result.applied, 1);
		ladder_db_close(other);
		ladder_plan_free(plan2);
	}

	/* maintenance waits for the same lock */
	tu_assert_error(ladder_repair(&result, db, plan, LADDER_REPAIR_CHECKSUMS, 0), LADDER_ELOCKED,
	                TU_PICK(e, "another connection holds the write lock", "another migrator"));

	/* the holder lets go: the same handle goes through */
	e->release_lock(holder);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 1);
	assert_int_equal(e->locks_held(url), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
}

typedef struct {
	const tu_engine *e;
	const char *url;
} lock_probe;

static int hold_then_fail(void *native, void *user)
{
	const lock_probe *probe = user;
	(void)native;
	/* seen from another session, the migrator holds the lock */
	return ladder_error_set(LADDER_EMIGRATION, "failing on purpose with %lld lock(s) held",
	                        (long long)probe->e->locks_held(probe->url));
}

void lock_is_released_on_every_exit_path(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *url = e->fresh("release");
	lock_probe probe = {e, url};
	const ladder_migration_def fails[] = {
		{.version = 1, .name = "ok", .up_sql = "CREATE TABLE ok (id integer);"},
		{.version = 2, .name = "fails", .up_fn = hold_then_fail, .user = &probe},
	};
	const ladder_plan_def def = {fails, 2, NULL, 0};
	ladder_run_options per_step = LADDER_RUN_OPTIONS_INIT;
	ladder_plan *plan = NULL;
	ladder_db *db = tu_db_open(url, NULL, NULL);
	ladder_result result;

	assert_int_equal(ladder_plan_from_def(&plan, &def), 0);
	tu_assert_error(ladder_migrate(&result, db, plan, NULL), LADDER_EMIGRATION, "with 1 lock(s) held");
	assert_int_equal(e->locks_held(url), 0);
	per_step.flags = LADDER_TX_PER_MIGRATION;
	tu_assert_error(ladder_migrate(&result, db, plan, &per_step), LADDER_EMIGRATION, "with 1 lock(s) held");
	assert_int_equal(e->locks_held(url), 0);
	assert_int_equal(tu_scalar(e, url, "SELECT count(*) FROM ladder_history"), 1);
	ladder_db_close(db);
	ladder_plan_free(plan);
}
