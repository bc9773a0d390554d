/*
 * suite.c — runs every engine-neutral scenario, then an engine's own, on
 * one engine fixture; and the plan most scenarios start from.
 */
#include "scenarios.h"

#include <signal.h>
#include <stdlib.h>

const char *tu_three_steps(void)
{
	const char *dir = tu_tmpdir();
	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer PRIMARY KEY);\n");
	tu_write(dir, "1_a.down.sql", "DROP TABLE a;\n");
	tu_write(dir, "2_b.sql", "-- migrate:up\nCREATE TABLE b (id integer);\nINSERT INTO b VALUES (1), (2);\n"
	                         "-- migrate:down\nDROP TABLE b;\n");
	tu_write(dir, "3_c.up.sql", "CREATE TABLE c (id integer);\n");
	tu_write(dir, "3_c.down.sql", "DROP TABLE c;\n");
	return dir;
}

void tu_assert_fast_path(ladder_db *db, const ladder_plan *plan)
{
	ladder_result result;
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	assert_int_equal(result.applied, 0);
}

int tu_run_scenarios(tu_engine *e, const struct CMUnitTest *own, size_t n_own)
{
#define TU_SCENARIO_TEST(name) {#name, name, NULL, NULL, NULL},
	static const struct CMUnitTest neutral[] = {TU_SCENARIOS(TU_SCENARIO_TEST)};
#undef TU_SCENARIO_TEST
	size_t n_neutral = sizeof(neutral) / sizeof(neutral[0]);
	struct CMUnitTest *tests = calloc(n_neutral + n_own, sizeof(*tests));
	int failed;

	assert_non_null(tests);
	for (size_t i = 0; i < n_neutral + n_own; i++) {
		tests[i] = i < n_neutral ? neutral[i] : own[i - n_neutral];
		tests[i].initial_state = e;
	}
	/* a migrator child that dies must not take the suite with it */
	signal(SIGPIPE, SIG_IGN);
	failed = _cmocka_run_group_tests(e->name, tests, n_neutral + n_own, NULL, NULL);
	free(tests);
	return failed;
}
