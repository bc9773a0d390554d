/*
 * test_crash.c — SIGKILL a process in the middle of applying a few hundred
 * migrations, many times at random moments. Afterwards the schema must
 * always agree with what the store records (never "between"), the file must
 * pass integrity_check, and a re-run must complete.
 */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STEPS 300
#define TRIALS 40

/* The schema agrees with the store: table tN exists exactly for recorded N. */
static void assert_consistent(const char *path)
{
	int64_t recorded = tu_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'ladder_history'") > 0
	                       ? tu_int(path, "SELECT count(*) FROM ladder_history WHERE state = 'done'")
	                       : 0;
	int64_t tables = tu_int(path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name GLOB 't[0-9]*'");
	char *check = tu_text(path, "PRAGMA integrity_check");

	assert_string_equal(check, "ok\n");
	free(check);
	assert_int_equal(recorded, tables);
	if (recorded > 0) {
		assert_int_equal(tu_int(path, "SELECT max(version) FROM ladder_history"), recorded);
		assert_int_equal(tu_int(path, "SELECT count(*) FROM ladder_history h WHERE NOT EXISTS "
		                              "(SELECT 1 FROM sqlite_schema s WHERE s.name = 't' || h.version)"),
		                 0);
	}
}

static void kill_at_random_moments(void **state)
{
	const char *dir = tu_table_steps_dir(STEPS, "INTEGER", "TEXT");
	const char *scratch = tu_tmpdir();
	ladder_plan *plan = tu_plan(dir);
	double full_ms;
	int killed_midway = 0;
	pid_t pid;
	int status;
	(void)state;

	/* How long a whole run takes here, to spread the kills over it. */
	{
		const char *path = tu_keep(tu_fmt("%s/timing.db", scratch));
		double start = tu_now_ms();
		tu_migrate_in_child(path, plan);
		full_ms = tu_now_ms() - start;
	}
	srand((unsigned int)time(NULL));
	for (int trial = 0; trial < TRIALS; trial++) {
		const char *path = tu_keep(tu_fmt("%s/crash%d.db", scratch, trial));
		/* half the trials commit per migration, so kills land between commits too */
		unsigned int flags = trial % 2 ? LADDER_TX_PER_MIGRATION : 0;
		useconds_t delay = (useconds_t)((double)rand() / RAND_MAX * full_ms * 1.5 * 1000);
		int64_t recorded;

		pid = tu_spawn_migrator(path, plan, flags);
		usleep(delay);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (access(path, F_OK) != 0)
			continue; /* killed before the file existed */
		assert_consistent(path);
		recorded = tu_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'ladder_history'") > 0
		               ? tu_int(path, "SELECT count(*) FROM ladder_history")
		               : 0;
		if (recorded > 0 && recorded < STEPS)
			killed_midway++;
		/* a re-run completes */
		tu_migrate_in_child(path, plan);
		assert_consistent(path);
		assert_int_equal(tu_int(path, "SELECT count(*) FROM ladder_history"), STEPS);
	}
	fprintf(stderr, "crash: %d trials, a whole run takes %.0f ms, %d kills landed between commits\n", TRIALS,
	        full_ms, killed_midway);
	ladder_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kill_at_random_moments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
