/*
 * test_pg_boundary.c — the transaction boundary on a real PostgreSQL
 * server: a step's own BEGIN; ... COMMIT; wrapper is ignored (and a later
 * failure leaves catalog and rows exactly as they were, with a message that
 * says so truthfully), every other transaction control statement is refused
 * before anything runs, savepoints and procedural bodies are no transaction
 * control, statements that cannot run in a transaction make their step a
 * no-transaction step (or are refused with LADDER_STRICT), a C callback that
 * commits is reported as exactly that, long server errors end in an
 * ellipsis, and a partly committed down names the version it left.
 */
#include "pgutil.h"

#include <stdlib.h>
#include <string.h>

static const char *first_step(void)
{
	const char *dir = tu_tmpdir();
	tu_write(dir, "1_base.up.sql", "CREATE TABLE base (id integer PRIMARY KEY);\nINSERT INTO base VALUES (1);\n");
	tu_write(dir, "1_base.down.sql", "DROP TABLE base;\n");
	return dir;
}

static int up_to(const char *url, const char *dir, int64_t target, unsigned int flags, ladder_result *result)
{
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db = pgu_open(url, NULL, NULL);
	ladder_run_options run = LADDER_RUN_OPTIONS_INIT;
	int error;

	run.flags = flags;
	run.target = target;
	error = ladder_migrate(result, db, plan, &run);
	ladder_db_close(db);
	ladder_plan_free(plan);
	return error;
}

static void wrapped_step_then_failure_changes_nothing(void **state)
{
	const char *dir = first_step();
	const char *url = pgu_new_db("wrap", NULL);
	ladder_result result;
	char *before, *after;
	int error;
	(void)state;

	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id integer);\n");
	tu_write(dir, "3_wrapped.up.sql", "BEGIN;\nCREATE TABLE c (id integer);\nINSERT INTO c VALUES (1);\nCOMMIT;\n");
	tu_write(dir, "4_fails.up.sql", "CREATE TABLE d (id integer);\nINSERT INTO missing VALUES (1);\n");
	assert_int_equal(up_to(url, dir, 1, 0, NULL), 0);
	before = pgu_snapshot(url);

	error = up_to(url, dir, 0, 0, &result);
	tu_assert_error(error, LADDER_EMIGRATION, "4_fails.up.sql:2: ERROR 42P01");
	tu_assert_error(error, LADDER_EMIGRATION, "The run was rolled back: the database is still at version 1");
	assert_int_equal(result.to_version, 1);
	after = pgu_snapshot(url);
	assert_string_equal(before, after);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_tables WHERE tablename IN ('b', 'c', 'd')"), 0);

	tu_write(dir, "4_fails.up.sql", "CREATE TABLE d (id integer);\n");
	assert_int_equal(up_to(url, dir, 0, 0, &result), 0);
	assert_int_equal(result.to_version, 4);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM c"), 1);
	free(before);
	free(after);
}

static void stray_control_is_refused_before_anything_runs(void **state)
{
	static const struct {
		const char *text;
		const char *needle;
	} cases[] = {
		{"CREATE TABLE c (id integer);\nCOMMIT;\nCREATE TABLE d (id integer);\n", "3_stray.up.sql:2: COMMIT inside"},
		{"CREATE TABLE c (id integer);\nEND;\n", "3_stray.up.sql:2: COMMIT inside"},
		{"START TRANSACTION;\nCREATE TABLE c (id integer);\nABORT;\n", "3_stray.up.sql:3: ROLLBACK inside"},
		{"CREATE TABLE c (id integer);\nCOMMIT AND CHAIN;\nCREATE TABLE d (id integer);\n",
		 "3_stray.up.sql:2: COMMIT AND CHAIN"},
		{"BEGIN;\nCREATE TABLE c (id integer);\nPREPARE TRANSACTION 'x';\n", "3_stray.up.sql:3: PREPARE TRANSACTION"},
		{"CREATE TABLE c (id integer);\n/* a comment */ BEGIN ISOLATION LEVEL SERIALIZABLE;\n"
		 "CREATE TABLE d (id integer);\nCOMMIT;\n",
		 "3_stray.up.sql:2: BEGIN inside"},
		{"BEGIN;\nCREATE TABLE c (id integer);\nCOMMIT;\nCREATE TABLE d (id integer);\n", "3_stray.up.sql:3: COMMIT"},
		/* PostgreSQL's block comments nest: the COMMIT is the statement */
		{"CREATE TABLE c (id integer);\n/* outer /* inner */ still a comment */ COMMIT;\nSELECT 1/0;\n",
		 "3_stray.up.sql:2: COMMIT inside"},
		/* run alone for CONCURRENTLY, its own BEGIN would put it back in a block */
		{"BEGIN;\nCREATE TABLE c (id integer);\nCREATE INDEX CONCURRENTLY c_id ON c (id);\nCOMMIT;\n",
		 "3_stray.up.sql:1: BEGIN inside migration 3 stray, which must run outside a transaction because of "
		 "CREATE INDEX CONCURRENTLY at line 3"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *dir = first_step();
		const char *url = pgu_new_db("stray", NULL);
		char *before, *after;
		int error;

		tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id integer);\n");
		tu_write(dir, "3_stray.up.sql", cases[i].text);
		assert_int_equal(up_to(url, dir, 1, 0, NULL), 0);
		before = pgu_snapshot(url);
		error = up_to(url, dir, 0, 0, NULL);
		tu_assert_error(error, LADDER_EPLAN, cases[i].needle);
		tu_assert_error(error, LADDER_EPLAN, "Nothing was changed: the database is still at version 1");
		error = up_to(url, dir, 0, LADDER_TX_PER_MIGRATION, NULL);
		tu_assert_error(error, LADDER_EPLAN, cases[i].needle);
		after = pgu_snapshot(url);
		assert_string_equal(before, after);
		free(before);
		free(after);
	}
}

static void savepoints_and_bodies_are_no_control(void **state)
{
	const char *dir = first_step();
	const char *url = pgu_new_db("bodies", NULL);
	(void)state;

	tu_write(dir, "2_inside.up.sql",
	         "CREATE TABLE notes (body text);\n"
	         "SAVEPOINT s1;\nINSERT INTO notes VALUES ('BEGIN; COMMIT;');\nROLLBACK TO SAVEPOINT s1;\n"
	         "RELEASE SAVEPOINT s1;\n"
	         "-- COMMIT; in a comment\n"
	         "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
	         "  INSERT INTO base VALUES ((SELECT max(id) + 1 FROM base));\n  RETURN NEW;\nEND;\n$$;\n"
	         "CREATE TRIGGER notes_touch AFTER INSERT ON notes FOR EACH ROW EXECUTE FUNCTION touch();\n"
	         "DO $$ BEGIN INSERT INTO notes VALUES ('kept; END;'); END $$;\n"
	         "CREATE FUNCTION one() RETURNS integer LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n");
	assert_int_equal(up_to(url, dir, 0, LADDER_STRICT, NULL), 0);
	pgu_assert_text(url, "SELECT body FROM notes", "kept; END;\n");
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM base"), 2);
}

static void concurrent_statements_run_alone_or_are_refused_when_strict(void **state)
{
	const char *dir = first_step();
	const char *url = pgu_new_db("alone", NULL);
	ladder_plan *plan;
	ladder_db *db;
	ladder_step_info info;
	char *before, *after;
	int error;
	(void)state;

	tu_write(dir, "2_index.up.sql", "CREATE TABLE big (id integer);\n"
	                                "CREATE INDEX CONCURRENTLY big_id ON big (id);\n");
	tu_write(dir, "2_index.down.sql", "DROP INDEX CONCURRENTLY big_id;\nDROP TABLE big;\n");
	tu_write(dir, "3_reindex.up.sql", "REINDEX INDEX CONCURRENTLY big_id;\nVACUUM big;\n");
	tu_write(dir, "3_reindex.down.sql", "SELECT 1;\n");
	assert_int_equal(up_to(url, dir, 1, 0, NULL), 0);
	before = pgu_snapshot(url);
	error = up_to(url, dir, 0, LADDER_STRICT, NULL);
	tu_assert_error(error, LADDER_EPLAN, "2_index.up.sql:2: CREATE INDEX CONCURRENTLY cannot run inside a transaction");
	after = pgu_snapshot(url);
	assert_string_equal(before, after);

	plan = tu_plan(dir);
	db = pgu_open(url, NULL, NULL);
	assert_int_equal(ladder_step_inspect(&info, db, plan, 3, LADDER_UP, 0), 0);
	assert_true(info.detected & LADDER_NO_TRANSACTION);
	assert_non_null(strstr(info.reason, "REINDEX CONCURRENTLY at "));
	assert_int_equal(ladder_step_inspect(&info, db, plan, 2, LADDER_DOWN, 0), 0);
	assert_non_null(strstr(info.reason, "DROP INDEX CONCURRENTLY at "));
	ladder_db_close(db);
	ladder_plan_free(plan);

	assert_int_equal(up_to(url, dir, 0, 0, NULL), 0);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_index WHERE indexrelid = 'big_id'::regclass AND indisvalid"),
	                 1);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM ladder_history WHERE state = 'done'"), 3);

	plan = tu_plan(dir);
	db = pgu_open(url, NULL, NULL);
	{
		ladder_run_options run = LADDER_RUN_OPTIONS_INIT;
		run.target = 1;
		assert_int_equal(ladder_down(NULL, db, plan, &run), 0);
	}
	ladder_db_close(db);
	ladder_plan_free(plan);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_class WHERE relname IN ('big', 'big_id')"), 0);
	free(before);
	free(after);
}

static int commits_behind_ladders_back(void *native, void *user)
{
	PGresult *res = PQexec(native, "CREATE TABLE sneaky (id integer); COMMIT;");
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	(void)user;
	PQclear(res);
	return ok ? 0 : ladder_error_set(LADDER_EMIGRATION, "the callback's SQL failed");
}

/* COMMIT; BEGIN leaves a transaction open, just not ladder's. */
static int commits_and_begins_again(void *native, void *user)
{
	PGresult *res = PQexec(native, "CREATE TABLE sneaky (id integer); COMMIT; BEGIN;");
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	(void)user;
	PQclear(res);
	return ok ? ladder_error_set(LADDER_EMIGRATION, "gave up after committing") : -1;
}

static void callback_that_commits_is_never_reported_as_rolled_back(void **state)
{
	ladder_step_fn callbacks[] = {commits_behind_ladders_back, commits_and_begins_again};
	(void)state;

	for (size_t i = 0; i < 2; i++) {
		const char *url = pgu_new_db("sneaky", NULL);
		ladder_plan *plan = NULL;
		ladder_db *db = pgu_open(url, NULL, NULL);
		ladder_migration_def first = {0}, second = {0};
		ladder_result result;
		int error;

		first.version = 1;
		first.name = "base";
		first.up_sql = "CREATE TABLE base (id integer);";
		second.version = 2;
		second.name = "sneaky";
		second.up_fn = callbacks[i];
		assert_int_equal(ladder_plan_new(&plan), 0);
		assert_int_equal(ladder_plan_add(plan, &first), 0);
		assert_int_equal(ladder_plan_add(plan, &second), 0);
		error = ladder_migrate(&result, db, plan, NULL);
		tu_assert_error(error, LADDER_EMIGRATION, "migration 2 sneaky (up) ended ladder's transaction (a COMMIT or ROLLBACK inside the step");
		tu_assert_error(error, LADDER_EMIGRATION, "the history still says version 0");
		assert_null(strstr(ladder_error_last()->message, "rolled back"));
		assert_int_equal(result.to_version, 0);
		ladder_db_close(db);
		ladder_plan_free(plan);
		/* what the message warns of: committed, and not recorded */
		assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_tables WHERE tablename IN ('base', 'sneaky')"), 2);
		assert_int_equal(pgu_int(url, "SELECT count(*) FROM ladder_history"), 0);
	}
}

static void long_server_error_ends_in_an_ellipsis(void **state)
{
	const char *dir = first_step();
	const char *url = pgu_new_db("long", NULL);
	const char *message;
	int error;
	(void)state;

	tu_write(dir, "2_loud.up.sql", "DO $$ BEGIN RAISE EXCEPTION '%', repeat('x', 9000) || 'END'; END $$;\n");
	error = up_to(url, dir, 0, 0, NULL);
	tu_assert_error(error, LADDER_EMIGRATION, "2_loud.up.sql:1: ERROR P0001: xxxx");
	message = ladder_error_last()->message;
	assert_non_null(strstr(message, "x\xe2\x80\xa6"));
	assert_null(strstr(message, "xEND"));
	/* cut inside the server's text, never the context around it */
	assert_non_null(strstr(message, "(migration 2 loud, up)"));
	assert_non_null(strstr(message, "still at version 0"));
}

static void partly_committed_down_names_the_version_it_left(void **state)
{
	const char *dir = first_step();
	const char *url = pgu_new_db("partdown", NULL);
	ladder_plan *plan;
	ladder_db *db;
	ladder_run_options run = LADDER_RUN_OPTIONS_INIT;
	ladder_result result;
	int error;
	(void)state;

	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id integer);\n");
	tu_write(dir, "2_b.down.sql", "DROP TABLE no_such_table;\n");
	tu_write(dir, "3_c.up.sql", "CREATE TABLE c (id integer);\n");
	tu_write(dir, "3_c.down.sql", "DROP TABLE c;\n");
	assert_int_equal(up_to(url, dir, 0, 0, NULL), 0);
	plan = tu_plan(dir);
	db = pgu_open(url, NULL, NULL);
	run.target = 0;
	run.flags = LADDER_TX_PER_MIGRATION;
	error = ladder_down(&result, db, plan, &run);
	tu_assert_error(error, LADDER_EMIGRATION, "2_b.down.sql:1");
	tu_assert_error(error, LADDER_EMIGRATION, "Steps committed before it stay reverted: the database is now at version 2");
	assert_int_equal(result.to_version, 2);
	ladder_db_close(db);
	ladder_plan_free(plan);
	assert_int_equal(pgu_int(url, "SELECT max(version) FROM ladder_history"), 2);
}

/* Tools that commit after every migration let a later one use an enum
 * value an earlier one added; in one transaction that fails (55P04), so the
 * run commits right after the ADD VALUE step, and says so. */
static void added_enum_value_is_committed_before_later_steps(void **state)
{
	const char *dir = first_step();
	const char *url = pgu_new_db("enum", NULL);
	ladder_plan *plan;
	ladder_db *db;
	ladder_step_info info;
	ladder_result result;
	int error;
	(void)state;

	tu_write(dir, "2_mood.up.sql", "CREATE TYPE mood AS ENUM ('calm');\n");
	tu_write(dir, "3_angry.up.sql", "ALTER TYPE mood ADD VALUE 'angry';\n");
	tu_write(dir, "4_use.up.sql", "CREATE TABLE feelings (m mood DEFAULT 'angry');\nINSERT INTO feelings DEFAULT VALUES;\n");
	tu_write(dir, "5_fails.up.sql", "INSERT INTO missing VALUES (1);\n");

	plan = tu_plan(dir);
	db = pgu_open(url, NULL, NULL);
	assert_int_equal(ladder_step_inspect(&info, db, plan, 3, LADDER_UP, 0), 0);
	assert_true(info.flags & LADDER_COMMIT_AFTER);
	assert_false(info.flags & LADDER_NO_TRANSACTION);
	assert_non_null(strstr(info.reason, "ALTER TYPE ... ADD VALUE at "));
	assert_int_equal(ladder_step_inspect(&info, db, plan, 2, LADDER_UP, 0), 0);
	assert_false(info.flags & LADDER_COMMIT_AFTER);
	error = ladder_migrate(&result, db, plan, NULL);
	tu_assert_error(error, LADDER_EMIGRATION, "5_fails.up.sql:1");
	tu_assert_error(error, LADDER_EMIGRATION, "Steps committed before it stay applied: the database is now at version 3");
	assert_int_equal(result.to_version, 3);
	ladder_db_close(db);
	ladder_plan_free(plan);
	/* committed up to and including the ADD VALUE step; 4 went with 5 */
	assert_int_equal(pgu_int(url, "SELECT max(version) FROM ladder_history"), 3);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_enum WHERE enumlabel = 'angry'"), 1);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_class WHERE relname = 'feelings'"), 0);

	tu_write(dir, "5_fails.up.sql", "SELECT 1;\n");
	assert_int_equal(up_to(url, dir, 0, 0, &result), 0);
	assert_int_equal(result.to_version, 5);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM feelings WHERE m = 'angry'"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wrapped_step_then_failure_changes_nothing),
		cmocka_unit_test(stray_control_is_refused_before_anything_runs),
		cmocka_unit_test(savepoints_and_bodies_are_no_control),
		cmocka_unit_test(concurrent_statements_run_alone_or_are_refused_when_strict),
		cmocka_unit_test(callback_that_commits_is_never_reported_as_rolled_back),
		cmocka_unit_test(long_server_error_ends_in_an_ellipsis),
		cmocka_unit_test(partly_committed_down_names_the_version_it_left),
		cmocka_unit_test(added_enum_value_is_committed_before_later_steps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
