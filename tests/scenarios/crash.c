/*
 * crash.c — SIGKILL a migrator in the middle of a run of a few hundred
 * steps, many times at random moments, on any engine. Afterwards the schema
 * must agree with what the store records (never "between"), the database
 * must be sound with no lock left, and a re-run must complete. A migrator
 * killed inside a no-transaction step leaves it visible as interrupted,
 * never silently "dirty". Where each DDL statement commits (MariaDB) the
 * step in flight may be half done: the store says how far it got
 * ("applying:K"), and the next run finishes it.
 */
#include "scenarios.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Table tN and its index tN_v exist exactly for each recorded N, and each
 * recorded step is done (one query for the schema, one for the store).
 * Where DDL commits, one step may be in flight instead: recorded but not
 * done, its table there or not, its index only after its table. Returns
 * how many are done. */
static int64_t assert_consistent(const tu_engine *e, const char *url)
{
	long long tables = -1, indexes = -1, has_store = -1, recorded = 0, not_done = 0, max = 0, missing = 0;
	char *text;

	e->assert_sound(url);
	text = tu_query_text(e, url,
	                     tu_fmt("SELECT (SELECT count(*) FROM (%s) o WHERE type = 'table' AND name LIKE 't%%'), "
	                            "(SELECT count(*) FROM (%s) o WHERE type = 'index' AND name LIKE 't%%\\_v' ESCAPE '\\'), "
	                            "(SELECT count(*) FROM (%s) o WHERE type = 'table' AND name = 'ladder_history')",
	                            e->catalog, e->catalog, e->catalog));
	assert_int_equal(sscanf(text, "%lld|%lld|%lld", &tables, &indexes, &has_store), 3);
	free(text);
	if (has_store) {
		text = tu_query_text(e, url,
		                     tu_fmt("SELECT count(*), COALESCE(sum(CASE WHEN state = 'done' THEN 0 ELSE 1 END), 0), "
		                            "COALESCE(max(version), 0), (SELECT count(*) FROM ladder_history h WHERE NOT "
		                            "EXISTS (SELECT 1 FROM (%s) o WHERE o.type = 'table' AND o.name = 't' || h.version)) "
		                            "FROM ladder_history",
		                            e->catalog));
		assert_int_equal(sscanf(text, "%lld|%lld|%lld|%lld", &recorded, &not_done, &max, &missing), 4);
		free(text);
	}
	if ((e->caps & TU_DDL_COMMITS) && not_done > 0) {
		/* the last recorded step is in flight; the others are whole */
		long long done = recorded - not_done;
		char *state = tu_query_text(e, url, "SELECT state FROM ladder_history WHERE state <> 'done'");
		assert_int_equal(not_done, 1);
		if (strncmp(state, "applying:", 9) != 0 && strcmp(state, "started\n") != 0)
			fail_msg("the step in flight is recorded as %s", state);
		free(state);
		assert_int_equal(max, recorded);
		assert_true(tables == done || tables == recorded);
		assert_true(indexes >= done && indexes <= tables);
		assert_true(missing <= 1);
		return done;
	}
	assert_int_equal(tables, recorded);
	assert_int_equal(indexes, recorded); /* each recorded step is whole: its rows and its index */
	assert_int_equal(not_done, 0);
	assert_int_equal(max, recorded);
	assert_int_equal(missing, 0);
	return recorded;
}

void kill_at_random_moments(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	ladder_plan *plan = tu_plan(tu_table_steps_dir(e->crash_steps, e->serial_type, "text"));
	int killed_midway = 0;
	double full_ms;

	/* How long a whole run takes here, to spread the kills over it. */
	{
		const char *url = e->fresh("crash_timing");
		double start = tu_now_ms();
		tu_migrate_in_child(url, plan);
		full_ms = tu_now_ms() - start;
		e->drop(url);
	}
	srand((unsigned int)time(NULL));
	for (int trial = 0; trial < e->crash_trials; trial++) {
		const char *url = e->fresh("crash");
		/* half the trials commit per migration, so kills land between commits too */
		unsigned int flags = trial % 2 ? LADDER_TX_PER_MIGRATION : 0;
		useconds_t delay = (useconds_t)((double)rand() / RAND_MAX * full_ms * 1.3 * 1000);
		int64_t recorded;
		int status;
		pid_t pid = tu_spawn_migrator(url, plan, flags);

		usleep(delay);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		recorded = assert_consistent(e, url);
		if (recorded > 0 && recorded < e->crash_steps)
			killed_midway++;
		/* a re-run completes */
		tu_migrate_in_child(url, plan);
		assert_int_equal(assert_consistent(e, url), e->crash_steps);
		e->drop(url);
	}
	fprintf(stderr, "%s crash: %d trials, a whole run takes %.0f ms, %d kills left some steps committed\n", e->name,
	        e->crash_trials, full_ms, killed_midway);
	ladder_plan_free(plan);
}

void killed_no_transaction_step_shows_as_interrupted(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *dir = tu_tmpdir();
	const char *url = e->fresh("crash_notx");
	ladder_plan *plan;
	ladder_db *db;
	ladder_status *status = NULL;
	ladder_result result;
	double start;
	char *before, *after;
	pid_t pid;
	int wstatus;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\n");
	tu_write(dir, "2_slow.up.sql",
	         tu_fmt("-- ladder:no-transaction\nCREATE TABLE slow_marker (id integer);\n%s;\n%s a_id ON a (id);\n",
	                e->slow_statement, e->concurrent_index));
	plan = tu_plan(dir);
	pid = tu_spawn_migrator(url, plan, 0);
	/* kill it while the step is half done */
	start = tu_now_ms();
	/* where DDL commits, once the store records the marker's statement
	 * done: the kill lands in the sleep, not between the two */
	while (tu_objects(e, url, "name = 'slow_marker'") == 0 ||
	       ((e->caps & TU_DDL_COMMITS) &&
	        tu_scalar(e, url, "SELECT count(*) FROM ladder_history WHERE state = 'applying:1'") < 1)) {
		assert_true(tu_now_ms() - start < 20000);
		usleep(10 * 1000);
	}
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &wstatus, 0), pid);
	e->assert_sound(url);

	tu_assert_rows(e, url, TU_HISTORY_STATES,
	               e->caps & TU_DDL_COMMITS ? "1:done\n2:applying:1\n" : "1:done\n2:started\n");
	assert_int_equal(tu_objects(e, url, "name = 'a_id'"), 0);
	db = tu_db_open(url, NULL, NULL);
	assert_int_equal(ladder_status_get(&status, db, plan), 0);
	assert_int_equal(status->count, 2);
	assert_int_equal(status->entries[1].state, LADDER_STATE_INTERRUPTED);
	assert_int_equal(status->problems, 1);
	ladder_status_free(status);
	if (e->caps & TU_DDL_COMMITS) {
		/* the store knows statement 1 is done and the one in flight (the
		 * sleep) died with its session: the next run goes on from it */
		assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
		tu_assert_rows(e, url, TU_HISTORY_STATES, "1:done\n2:done\n");
		assert_int_equal(tu_objects(e, url, "name IN ('a_id', 'slow_marker')"), 2);
		assert_int_equal(e->locks_held(url), 0);
		ladder_db_close(db);
		ladder_plan_free(plan);
		return;
	}
	before = e->snapshot(url);
	tu_assert_error(ladder_migrate(&result, db, plan, NULL), LADDER_EINTERRUPTED, "repair its record, as applied if it completed");
	after = e->snapshot(url);
	assert_string_equal(before, after);
	assert_int_equal(e->locks_held(url), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);
}
