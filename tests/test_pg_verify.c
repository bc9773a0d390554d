/*
 * test_pg_verify.c — ladder_verify through the library on a real PostgreSQL
 * server, for what plans built in C can say and files cannot: a down given
 * as empty text runs and is reported when it leaves the schema changed; an
 * up whose schema differs the second time is blamed on its own step (a C
 * callback); and the counts of every report add up to its lines.
 */
#include "pgutil.h"

#include <stdlib.h>
#include <string.h>

static void assert_contains(const char *text, const char *needle)
{
	if (strstr(text, needle) == NULL)
		fail_msg("report lacks \"%s\":\n%s", needle, text);
}

/* The counts agree with each other and with the report's lines. */
static void assert_counts_add_up(const ladder_verify_report *r)
{
	size_t ok = 0, warn = 0, failed = 0, skipped = 0;
	for (const char *line = r->text; line && *line;) {
		const char *eol = strchr(line, '\n');
		ok += strncmp(line, "ok    ", 6) == 0;
		warn += strncmp(line, "warn  ", 6) == 0;
		failed += strncmp(line, "FAIL  ", 6) == 0;
		skipped += strncmp(line, "skip  ", 6) == 0;
		line = eol ? eol + 1 : line + strlen(line);
	}
	assert_int_equal(r->checks, r->passed + r->warnings + r->failures + r->skipped);
	assert_int_equal(r->passed, ok);
	assert_int_equal(r->warnings, warn);
	assert_int_equal(r->failures, failed);
	assert_int_equal(r->skipped, skipped);
}

static ladder_verify_report *verify_def(const ladder_migration_def *steps, size_t count, int expected)
{
	const ladder_plan_def def = {steps, count, NULL, 0};
	ladder_plan *plan = NULL;
	ladder_verify_report *report = NULL;

	assert_int_equal(ladder_plan_from_def(&plan, &def), 0);
	tu_assert_error(ladder_verify(&report, pgu_server_url(), plan, NULL), expected, NULL);
	assert_non_null(report);
	assert_counts_add_up(report);
	ladder_plan_free(plan);
	return report;
}

static void empty_down_runs_and_is_reported(void **state)
{
	const ladder_migration_def steps[] = {
		{.version = 1, .name = "t", .up_sql = "CREATE TABLE t (id int);", .down_sql = ""},
		{.version = 2, .name = "u", .up_sql = "CREATE TABLE u (id int);", .down_sql = "DROP TABLE u;"},
	};
	ladder_verify_report *r;
	(void)state;

	r = verify_def(steps, 2, LADDER_ECHECK);
	assert_contains(r->text, "FAIL  1 t: down restores the schema before its up\n");
	assert_contains(r->text, "+table t\n+  column id integer\n");
	assert_contains(r->text, "skip  1 t: up again gives the same schema (not run: its down did not restore the schema)\n");
	assert_contains(r->text, "ok    2 u: down restores the schema before its up\n");
	assert_contains(r->text, "ok    2 u: up again gives the same schema\n");
	assert_int_equal(r->checks, 6);
	assert_int_equal(r->failures, 1);
	assert_int_equal(r->skipped, 1);
	ladder_verify_report_free(r);
}

/* The first run makes t (a), every later run t (a, b). */
static int uneven_up(void *native, void *user)
{
	int *runs = user;
	const char *sql = (*runs)++ == 0 ? "CREATE TABLE t (a int)" : "CREATE TABLE t (a int, b int)";
	PGresult *res = PQexec(native, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	return ok ? 0 : ladder_error_set(LADDER_EMIGRATION, "%s", PQerrorMessage(native));
}

static void up_again_difference_is_blamed_on_its_step(void **state)
{
	static int runs;
	const ladder_migration_def steps[] = {
		{.version = 1, .name = "one", .up_sql = "CREATE TABLE one (id int);", .down_sql = "DROP TABLE one;"},
		{.version = 2, .name = "uneven", .up_fn = uneven_up, .down_sql = "DROP TABLE t;", .user = &runs},
		{.version = 3, .name = "ix", .up_sql = "CREATE INDEX t_a ON t (a);", .down_sql = "DROP INDEX t_a;"},
	};
	ladder_verify_report *r;
	(void)state;

	runs = 0;
	r = verify_def(steps, 3, LADDER_ECHECK);
	assert_contains(r->text, "ok    2 uneven: down restores the schema before its up\n");
	assert_contains(r->text, "FAIL  2 uneven: up again gives the same schema\n--- after 2 up\n+++ after 2 down and up\n");
	assert_contains(r->text, "+  column b integer\n");
	assert_contains(r->text, "ok    3 ix: down restores the schema before its up\n");
	assert_contains(r->text, "ok    3 ix: up again gives the same schema\n");
	assert_int_equal(r->failures, 1);
	ladder_verify_report_free(r);
}

/* A down that fails inside its transaction leaves the scratch database as
 * the up left it; one that leaves another schema gets it rebuilt. Either
 * way the next step is checked on what its predecessor really made. */
static void later_steps_are_checked_after_broken_downs(void **state)
{
	const ladder_migration_def steps[] = {
		{.version = 1, .name = "a", .up_sql = "CREATE TABLE a (id int);", .down_sql = "DROP TABLE nope;"},
		{.version = 2, .name = "b", .up_sql = "CREATE TABLE b (id int);", .down_sql = "SELECT 1;"},
		{.version = 3, .name = "c", .up_sql = "ALTER TABLE b ADD COLUMN n int;", .down_sql = "ALTER TABLE b DROP COLUMN n;"},
		{.version = 4, .name = "d", .up_sql = "CREATE TABLE d (id int);"},
	};
	ladder_verify_report *r;
	(void)state;

	r = verify_def(steps, 4, LADDER_ECHECK);
	assert_contains(r->text, "FAIL  1 a: down restores the schema before its up\n      1_a:1: ERROR 42P01: table \"nope\" does not exist (migration 1 a, down)");
	assert_contains(r->text, "FAIL  2 b: down restores the schema before its up\n--- before 2 up\n+++ after 2 down\n");
	assert_contains(r->text, "ok    3 c: down restores the schema before its up\n");
	assert_contains(r->text, "ok    3 c: up again gives the same schema\n");
	assert_contains(r->text, "ok    4 d: up\n");
	assert_contains(r->text, "skip  4 d: reversible (it has no down)\n");
	assert_int_equal(r->checks, 11);
	assert_int_equal(r->failures, 2);
	assert_int_equal(r->skipped, 3);
	assert_int_equal(r->passed, 6);
	ladder_verify_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_down_runs_and_is_reported),
		cmocka_unit_test(up_again_difference_is_blamed_on_its_step),
		cmocka_unit_test(later_steps_are_checked_after_broken_downs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
