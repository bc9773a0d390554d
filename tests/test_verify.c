/*
 * test_verify.c — ladder_dump and ladder_verify on SQLite: a schema built in
 * a different order dumps to the same bytes; correct plans pass; plans
 * broken on purpose (a baseline missing an index, a down that forgets a
 * column, a default that differs, a failing post-condition) are caught with
 * a diff that names the object.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static char *dump_of(const char *path)
{
	ladder_db *db = tu_open(path);
	char *text = NULL;
	if (ladder_dump(&text, db) < 0)
		fail_msg("dump: %s", ladder_error_last()->message);
	ladder_db_close(db);
	return text;
}

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *db = tu_sqlite(path);
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	sqlite3_close(db);
}

static void dump_is_stable_across_build_order(void **state)
{
	const char *scratch = tu_tmpdir();
	const char *a = tu_keep(tu_fmt("%s/a.db", scratch));
	const char *b = tu_keep(tu_fmt("%s/b.db", scratch));
	char *dump_a, *dump_b;
	(void)state;

	/* declared whole, in one order */
	exec_sql(a, "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, age INTEGER DEFAULT 0 CHECK (age >= 0));"
	            "CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id) ON DELETE CASCADE, body TEXT);"
	            "CREATE INDEX notes_user ON notes (user_id);"
	            "CREATE VIEW adults AS SELECT id, email FROM users WHERE age >= 18;"
	            "CREATE TRIGGER notes_touch AFTER INSERT ON notes BEGIN SELECT 1; END;");
	/* grown step by step, in another order, with other spacing */
	exec_sql(b, "CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id) ON DELETE CASCADE);"
	            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);"
	            "CREATE TRIGGER notes_touch AFTER INSERT ON notes BEGIN SELECT 1; END;"
	            "ALTER TABLE users ADD COLUMN age INTEGER DEFAULT 0 CHECK (age >= 0);"
	            "CREATE VIEW adults AS\n  SELECT id ,  email\n  FROM users WHERE age >= 18;"
	            "ALTER TABLE notes ADD COLUMN body TEXT;"
	            "CREATE INDEX notes_user ON notes(user_id);");
	dump_a = dump_of(a);
	dump_b = dump_of(b);
	assert_string_equal(dump_a, dump_b);
	assert_non_null(strstr(dump_a, "table users\n"));
	assert_non_null(strstr(dump_a, "  column age INTEGER default 0\n"));
	assert_non_null(strstr(dump_a, "  check (age>=0)") ? "" : strstr(dump_a, "  check (age >= 0)"));
	assert_non_null(strstr(dump_a, "index notes_user on notes (user_id)\n"));
	assert_non_null(strstr(dump_a, "foreign key (user_id) references users (id)"));
	ladder_free(dump_a);
	ladder_free(dump_b);

	/* a real difference shows */
	exec_sql(b, "CREATE INDEX users_age ON users (age);");
	dump_a = dump_of(a);
	dump_b = dump_of(b);
	assert_string_not_equal(dump_a, dump_b);
	ladder_free(dump_a);
	ladder_free(dump_b);
}

static void dump_leaves_out_the_store(void **state)
{
	const char *dir = tu_tmpdir();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan;
	ladder_db *db;
	char *text;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
	plan = tu_plan(dir);
	db = tu_open(path);
	assert_int_equal(tu_up(db, plan, 0), 0);
	assert_int_equal(ladder_dump(&text, db), 0);
	assert_string_equal(text, "table a\n  column id INTEGER\n");
	ladder_free(text);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

/* Run verify on a plan directory; return the code, report text in *text. */
static int verify_dir(const char *dir, char **text)
{
	ladder_plan *plan = tu_plan(dir);
	ladder_verify_report *report = NULL;
	int error = ladder_verify(&report, NULL, plan, NULL);
	*text = NULL;
	if (report != NULL) {
		*text = strdup(report->text);
		ladder_verify_report_free(report);
	} else if (error < 0) {
		*text = strdup(ladder_error_last()->message);
	}
	ladder_plan_free(plan);
	return error;
}

static void assert_contains(const char *text, const char *needle)
{
	if (strstr(text, needle) == NULL)
		fail_msg("report lacks \"%s\":\n%s", needle, text);
}

static const char *good_plan(void)
{
	const char *dir = tu_tmpdir();
	tu_write(dir, "1_users.up.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n");
	tu_write(dir, "1_users.down.sql", "DROP TABLE users;\n");
	tu_write(dir, "2_age.up.sql", "ALTER TABLE users ADD COLUMN age INTEGER NOT NULL DEFAULT 0;\n");
	tu_write(dir, "2_age.down.sql", "ALTER TABLE users DROP COLUMN age;\n");
	tu_write(dir, "3_index.up.sql", "CREATE INDEX users_email ON users (email);\n");
	tu_write(dir, "3_index.down.sql", "DROP INDEX users_email;\n");
	tu_write(dir, "3_schema.baseline.sql",
	         "CREATE TABLE users (\n    id INTEGER PRIMARY KEY,\n    email TEXT NOT NULL,\n"
	         "    age INTEGER NOT NULL DEFAULT 0\n);\nCREATE INDEX users_email ON users(email);\n");
	return dir;
}

static void correct_plan_passes(void **state)
{
	char *text;
	(void)state;
	assert_int_equal(verify_dir(good_plan(), &text), 0);
	assert_contains(text, "ok    baseline at 3 equals the steps up to 3");
	assert_contains(text, "ok    2 age: down restores the schema before its up");
	assert_contains(text, "ok    3 index: up again gives the same schema");
	assert_null(strstr(text, "FAIL"));
	free(text);
}

static void baseline_missing_an_index_is_caught(void **state)
{
	const char *dir = good_plan();
	char *text;
	(void)state;
	tu_write(dir, "3_schema.baseline.sql",
	         "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, age INTEGER NOT NULL DEFAULT 0);\n");
	tu_assert_error(verify_dir(dir, &text), LADDER_ECHECK, "1 of");
	assert_contains(text, "FAIL  baseline at 3 equals the steps up to 3");
	assert_contains(text, "--- baseline\n+++ steps\n");
	assert_contains(text, "+index users_email on users (email)\n");
	free(text);
}

static void default_that_differs_is_caught(void **state)
{
	const char *dir = good_plan();
	char *text;
	(void)state;
	tu_write(dir, "3_schema.baseline.sql",
	         "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, age INTEGER NOT NULL DEFAULT 18);\n"
	         "CREATE INDEX users_email ON users (email);\n");
	tu_assert_error(verify_dir(dir, &text), LADDER_ECHECK, NULL);
	assert_contains(text, "@@ -1,");
	assert_contains(text, "table users");
	assert_contains(text, "-  column age INTEGER not null default 18\n");
	assert_contains(text, "+  column age INTEGER not null default 0\n");
	free(text);
}

static void down_that_forgets_a_column_is_caught(void **state)
{
	const char *dir = good_plan();
	char *text;
	(void)state;
	tu_write(dir, "2_age.down.sql", "SELECT 1;\n");
	tu_assert_error(verify_dir(dir, &text), LADDER_ECHECK, NULL);
	assert_contains(text, "FAIL  2 age: down restores the schema before its up");
	assert_contains(text, "--- before 2 up\n+++ after 2 down\n");
	assert_contains(text, "@@ -1,3 +1,4 @@ table users");
	assert_contains(text, "+  column age INTEGER not null default 0\n");
	free(text);
}

static void failing_post_condition_is_caught(void **state)
{
	static const ladder_migration_def steps[] = {
		{.version = 1, .name = "t", .up_sql = "CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (-1);",
		 .down_sql = "DROP TABLE t;", .check_sql = "SELECT n FROM t WHERE n < 0"},
	};
	const ladder_plan_def def = {steps, 1, NULL, 0};
	ladder_plan *plan = NULL;
	ladder_verify_report *report = NULL;
	(void)state;

	assert_int_equal(ladder_plan_from_def(&plan, &def), 0);
	tu_assert_error(ladder_verify(&report, NULL, plan, NULL), LADDER_ECHECK, NULL);
	assert_non_null(report);
	assert_contains(report->text, "FAIL  1 t: up and its post-condition");
	assert_contains(report->text, "post-condition failed");
	assert_contains(report->text, "n=-1");
	ladder_verify_report_free(report);
	ladder_plan_free(plan);
}

static void seed_sql_gives_the_legacy_starting_point(void **state)
{
	const char *dir = tu_tmpdir();
	ladder_plan *plan;
	ladder_verify_report *report = NULL;
	ladder_verify_options opts = LADDER_VERIFY_OPTIONS_INIT;
	(void)state;

	/* step 1 upgrades a legacy table the application created before ladder */
	tu_write(dir, "1_rename.up.sql", "ALTER TABLE legacy RENAME COLUMN task TO subject;\n");
	tu_write(dir, "1_schema.baseline.sql", "CREATE TABLE legacy (id INTEGER PRIMARY KEY, subject TEXT);\n");
	plan = tu_plan(dir);
	opts.seed_sql = "CREATE TABLE legacy (id INTEGER PRIMARY KEY, task TEXT); INSERT INTO legacy VALUES (1, 'x');";
	opts.seed_source = "legacy.sql";
	assert_int_equal(ladder_verify(&report, NULL, plan, &opts), 0);
	assert_contains(report->text, "ok    baseline at 1 equals the steps up to 1");
	ladder_verify_report_free(report);

	opts.seed_sql = "CREATE TABLE legacy (id INTEGER PRIMARY KEY, task TEXT, extra TEXT);";
	tu_assert_error(ladder_verify(&report, NULL, plan, &opts), LADDER_ECHECK, NULL);
	assert_contains(report->text, "+  column extra TEXT\n");
	ladder_verify_report_free(report);

	opts.seed_sql = "CREATE TABLE legacy (id INTEGER PRIMARY KEY, task TEXT;";
	tu_assert_error(ladder_verify(&report, NULL, plan, &opts), LADDER_EINVALID, "legacy.sql:1:");
	assert_null(report);
	ladder_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dump_is_stable_across_build_order),
		cmocka_unit_test(dump_leaves_out_the_store),
		cmocka_unit_test(correct_plan_passes),
		cmocka_unit_test(baseline_missing_an_index_is_caught),
		cmocka_unit_test(default_that_differs_is_caught),
		cmocka_unit_test(down_that_forgets_a_column_is_caught),
		cmocka_unit_test(failing_post_condition_is_caught),
		cmocka_unit_test(seed_sql_gives_the_legacy_starting_point),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
