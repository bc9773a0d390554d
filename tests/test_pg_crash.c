/*
 * test_pg_crash.c — SIGKILL a process that is migrating a PostgreSQL
 * database, many times at random moments. Afterwards the schema must agree
 * with what the store records (never "between"), the advisory lock must be
 * free again, and a re-run must complete. A migrator killed inside a
 * no-transaction step leaves it visible as interrupted, never silently
 * "dirty".
 */
#include "pgutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STEPS 150
#define TRIALS 30

/* Table tN exists exactly for each recorded N; returns how many are. */
static int64_t assert_consistent(const char *url)
{
	PGconn *conn = pgu_connect(url);
	int has_store = pgu_conn_int(conn, "SELECT count(*) FROM pg_class WHERE relname = 'ladder_history'") > 0;
	int64_t recorded = has_store ? pgu_conn_int(conn, "SELECT count(*) FROM ladder_history") : 0;
	int64_t tables = pgu_conn_int(conn, "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relname ~ '^t[0-9]+$'");

	assert_int_equal(recorded, tables);
	if (recorded > 0) {
		assert_int_equal(pgu_conn_int(conn, "SELECT count(*) FROM ladder_history WHERE state <> 'done'"), 0);
		assert_int_equal(pgu_conn_int(conn, "SELECT max(version) FROM ladder_history"), recorded);
		assert_int_equal(pgu_conn_int(conn, "SELECT count(*) FROM ladder_history h WHERE to_regclass('t' || "
		                                    "h.version) IS NULL"),
		                 0);
		/* each recorded step is whole: its rows and its index */
		assert_int_equal(pgu_conn_int(conn, "SELECT count(*) FROM pg_indexes WHERE indexname ~ '^t[0-9]+_v$'"),
		                 recorded);
	}
	PQfinish(conn);
	return recorded;
}

static void kill_at_random_moments(void **state)
{
	ladder_plan *plan = tu_plan(tu_table_steps_dir(STEPS, "serial", "text"));
	int killed_midway = 0;
	double full_ms;
	(void)state;

	{
		const char *name;
		const char *url = pgu_new_db("crash_timing", &name);
		double start = tu_now_ms();
		tu_migrate_in_child(url, plan);
		full_ms = tu_now_ms() - start;
		pgu_drop_db(name);
	}
	srand((unsigned int)time(NULL));
	for (int trial = 0; trial < TRIALS; trial++) {
		const char *name;
		const char *url = pgu_new_db("crash", &name);
		/* half the trials commit per migration, so kills land between commits */
		unsigned int flags = trial % 2 ? LADDER_TX_PER_MIGRATION : 0;
		useconds_t delay = (useconds_t)((double)rand() / RAND_MAX * full_ms * 1.2 * 1000);
		int64_t recorded;
		int status;
		pid_t pid = tu_spawn_migrator(url, plan, flags);

		usleep(delay);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		/* the server notices the dead client once its statement ends */
		assert_int_equal(pgu_wait_locks_free(url, 30.0), 0);
		recorded = assert_consistent(url);
		if (recorded > 0 && recorded < STEPS)
			killed_midway++;
		tu_migrate_in_child(url, plan);
		assert_int_equal(assert_consistent(url), STEPS);
		assert_int_equal(pgu_advisory_locks(url), 0);
		pgu_drop_db(name);
	}
	fprintf(stderr, "pg crash: %d trials, a whole run takes %.0f ms, %d kills left some steps committed\n", TRIALS,
	        full_ms, killed_midway);
	ladder_plan_free(plan);
}

static void killed_no_transaction_step_shows_as_interrupted(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = pgu_new_db("crash_notx", NULL);
	ladder_plan *plan;
	ladder_db *db;
	ladder_status *status = NULL;
	ladder_result result;
	double start;
	char *before, *after;
	pid_t pid;
	int wstatus;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\n");
	tu_write(dir, "2_slow.up.sql", "-- ladder:no-transaction\nCREATE TABLE slow_marker (id integer);\n"
	                               "SELECT pg_sleep(2);\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n");
	plan = tu_plan(dir);
	pid = tu_spawn_migrator(url, plan, 0);
	/* kill it while the step is half done */
	start = tu_now_ms();
	while (pgu_int(url, "SELECT count(*) FROM pg_class WHERE relname = 'slow_marker'") == 0) {
		assert_true(tu_now_ms() - start < 20000);
		usleep(10 * 1000);
	}
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &wstatus, 0), pid);
	assert_int_equal(pgu_wait_locks_free(url, 30.0), 0);

	pgu_assert_text(url, "SELECT version || ':' || state FROM ladder_history ORDER BY version", "1:done\n2:started\n");
	db = pgu_open(url, NULL, NULL);
	assert_int_equal(ladder_status_get(&status, db, plan), 0);
	assert_int_equal(status->count, 2);
	assert_int_equal(status->entries[1].state, LADDER_STATE_INTERRUPTED);
	assert_int_equal(status->problems, 1);
	ladder_status_free(status);
	before = pgu_snapshot(url);
	tu_assert_error(ladder_migrate(&result, db, plan, NULL), LADDER_EINTERRUPTED, "repair its record, as applied if it completed");
	after = pgu_snapshot(url);
	assert_string_equal(before, after);
	assert_int_equal(pgu_advisory_locks(url), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kill_at_random_moments),
		cmocka_unit_test(killed_no_transaction_step_shows_as_interrupted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
