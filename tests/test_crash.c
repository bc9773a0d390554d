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

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *make_plan_dir(void)
{
	const char *dir = tu_tmpdir();
	for (int v = 1; v <= STEPS; v++)
		tu_write(dir, tu_fmt("%04d_t%d.up.sql", v, v),
		         tu_fmt("CREATE TABLE t%d (id INTEGER PRIMARY KEY, v TEXT);\n"
		                "INSERT INTO t%d (v) VALUES ('a'), ('b'), ('c');\n"
		                "CREATE INDEX t%d_v ON t%d (v);\n",
		                v, v, v, v));
	return dir;
}

static pid_t spawn_migrator(const char *path, const ladder_plan *plan, unsigned int flags)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		ladder_db *db = NULL;
		ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
		opts.flags = flags;
		if (ladder_db_open(&db, path, NULL) < 0 || ladder_migrate(NULL, db, plan, &opts) < 0)
			_exit(1);
		ladder_db_close(db);
		_exit(0);
	}
	return pid;
}

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
	const char *dir = make_plan_dir();
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
		double start = now_ms();
		pid = spawn_migrator(path, plan, 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		full_ms = now_ms() - start;
	}
	srand((unsigned int)time(NULL));
	for (int trial = 0; trial < TRIALS; trial++) {
		const char *path = tu_keep(tu_fmt("%s/crash%d.db", scratch, trial));
		/* half the trials commit per migration, so kills land between commits too */
		unsigned int flags = trial % 2 ? LADDER_TX_PER_MIGRATION : 0;
		useconds_t delay = (useconds_t)((double)rand() / RAND_MAX * full_ms * 1.5 * 1000);
		int64_t recorded;

		pid = spawn_migrator(path, plan, flags);
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
		pid = spawn_migrator(path, plan, 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
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
