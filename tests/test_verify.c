/*
 * test_verify.c — ladder_dump and ladder_verify on SQLite: a schema built in
 * a different order dumps to the same bytes, and text in views and triggers
 * is kept exactly; correct plans pass; plans broken on purpose (a baseline
 * missing an index, a down that forgets a column, a default that differs, a
 * failing post-condition) are caught with a diff that names the object;
 * every broken down of a set is reported in one run, each blamed on its own
 * step, with counts that add up; a difference only in column order warns
 * (fails when strict).
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static void assert_counts_add_up(const ladder_verify_report *r);

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
	tu_assert_error(verify_dir(dir, &text), LADDER_ECHECK, "1 of 10 verification check(s) failed");
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

	/* a seed stamped at version 1 already: step 1 cannot run, and says so */
	opts.store = "user_version";
	opts.seed_sql = "CREATE TABLE legacy (id INTEGER PRIMARY KEY, subject TEXT); PRAGMA user_version = 1;";
	assert_int_equal(ladder_verify(&report, NULL, plan, &opts), 0);
	assert_contains(report->text, "skip  1 rename: up (not run: the starting point already stands at version 1)\n");
	assert_contains(report->text, "skip  1 rename: reversible (it has no down)\n");
	assert_counts_add_up(report);
	ladder_verify_report_free(report);
	opts.store = NULL;

	opts.seed_sql = "CREATE TABLE legacy (id INTEGER PRIMARY KEY, task TEXT;";
	tu_assert_error(ladder_verify(&report, NULL, plan, &opts), LADDER_EINVALID, "legacy.sql:1:");
	assert_null(report);
	ladder_plan_free(plan);
}


/* Bodies keep their text: "SELECT 1 -- c<newline>+ 1" returns 2 and
 * "SELECT 1 -- c + 1" returns 1, so their dumps must differ; a newline in a
 * string stays on the view's one line, escaped. */
static void dump_keeps_body_text(void **state)
{
	const char *scratch = tu_tmpdir();
	const char *a = tu_keep(tu_fmt("%s/a.db", scratch));
	const char *b = tu_keep(tu_fmt("%s/b.db", scratch));
	char *dump_a, *dump_b;
	(void)state;

	exec_sql(a, "CREATE TABLE t (n INTEGER);"
	            "CREATE VIEW v AS SELECT 1 -- c\n+ 1 AS n;"
	            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1 -- c\n+ 1; END;"
	            "CREATE VIEW s AS SELECT 'a\nb\\\tc' AS x;");
	exec_sql(b, "CREATE TABLE t (n INTEGER);"
	            "CREATE VIEW v AS SELECT 1 -- c + 1 AS n;\n;"
	            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1 -- c + 1\n; END;"
	            "CREATE VIEW s AS SELECT 'a b\\\tc' AS x;");
	assert_int_equal(tu_int(a, "SELECT n FROM v"), 2);
	dump_a = dump_of(a);
	dump_b = dump_of(b);
	assert_string_not_equal(dump_a, dump_b);
	assert_contains(dump_a, "view v on v\n  CREATE VIEW v AS SELECT 1 + 1 AS n\n");
	assert_contains(dump_b, "view v on v\n  CREATE VIEW v AS SELECT 1\n");
	/* one line, the string kept byte for byte */
	assert_contains(dump_a, "view s on s\n  CREATE VIEW s AS SELECT 'a\\nb\\\\\\tc' AS x\n");
	assert_contains(dump_b, "view s on s\n  CREATE VIEW s AS SELECT 'a b\\\\\\tc' AS x\n");
	ladder_free(dump_a);
	ladder_free(dump_b);
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

static ladder_verify_report *verify_plan(ladder_plan *plan, unsigned int flags, int expected)
{
	ladder_verify_options opts = LADDER_VERIFY_OPTIONS_INIT;
	ladder_verify_report *report = NULL;
	opts.flags = flags;
	tu_assert_error(ladder_verify(&report, NULL, plan, &opts), expected, NULL);
	assert_non_null(report);
	assert_counts_add_up(report);
	return report;
}

/* Downs as real sets have them: a typo (the down errors), a forgotten
 * index, the wrong order; all are reported in one run, each on its own
 * step, and the good steps after them are still checked. */
static void every_broken_down_is_reported_in_one_run(void **state)
{
	const char *dir = tu_tmpdir();
	ladder_plan *plan;
	ladder_verify_report *r;
	(void)state;

	tu_write(dir, "1_users.up.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n");
	tu_write(dir, "1_users.down.sql", "DROP TABLE users;\n");
	tu_write(dir, "2_notes.up.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n");
	tu_write(dir, "2_notes.down.sql", "DROP TABEL notes;\n"); /* typo */
	tu_write(dir, "3_ix.up.sql", "CREATE INDEX notes_body ON notes (body);\n");
	tu_write(dir, "3_ix.down.sql", "SELECT 1;\n"); /* forgot the index */
	tu_write(dir, "4_age.up.sql", "ALTER TABLE users ADD COLUMN age INTEGER;\nCREATE INDEX users_age ON users (age);\n");
	tu_write(dir, "4_age.down.sql", "ALTER TABLE users DROP COLUMN age;\nDROP INDEX users_age;\n"); /* wrong order */
	tu_write(dir, "5_tags.up.sql", "CREATE TABLE tags (name TEXT PRIMARY KEY);\n");
	tu_write(dir, "5_tags.down.sql", "DROP TABLE tags;\n");
	tu_write(dir, "6_seen.up.sql", "ALTER TABLE notes ADD COLUMN seen INTEGER;\n");
	plan = tu_plan(dir);
	r = verify_plan(plan, 0, LADDER_ECHECK);
	assert_contains(r->text, "ok    1 users: down restores the schema before its up\n");
	assert_contains(r->text, "FAIL  2 notes: down restores the schema before its up\n"
	                         "      ");
	assert_contains(r->text, "2_notes.down.sql:1: ");
	assert_contains(r->text, "skip  2 notes: up again gives the same schema (not run: its down failed)\n");
	assert_contains(r->text, "FAIL  3 ix: down restores the schema before its up\n--- before 3 up\n+++ after 3 down\n");
	assert_contains(r->text, "+index notes_body on notes (body)\n");
	assert_contains(r->text, "skip  3 ix: up again gives the same schema (not run: its down did not restore the schema)\n");
	assert_contains(r->text, "FAIL  4 age: down restores the schema before its up\n");
	assert_contains(r->text, "4_age.down.sql:1: ");
	assert_contains(r->text, "ok    5 tags: down restores the schema before its up\n");
	assert_contains(r->text, "ok    5 tags: up again gives the same schema\n");
	assert_contains(r->text, "ok    6 seen: up\n");
	assert_contains(r->text, "skip  6 seen: reversible (it has no down)\n");
	/* 6 ups, 5 downs, 5 up-agains, 1 without down */
	assert_int_equal(r->checks, 17);
	assert_int_equal(r->failures, 3);
	assert_int_equal(r->skipped, 4);
	assert_int_equal(r->passed, 10);
	assert_null(strstr(r->text, "FAIL  5"));
	assert_null(strstr(r->text, "FAIL  6"));
	ladder_verify_report_free(r);
	ladder_plan_free(plan);
}

/* An up that fails leaves the later steps nothing to stand on: each of
 * their checks is counted as skipped with the reason, never dropped. */
static void checks_after_a_failed_up_are_skipped_with_the_reason(void **state)
{
	const char *dir = tu_tmpdir();
	ladder_plan *plan;
	ladder_verify_report *r;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
	tu_write(dir, "1_a.down.sql", "DROP TABLE a;\n");
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id INTEGER);\nCREATE INDEX b_x ON b (nope);\n");
	tu_write(dir, "2_b.down.sql", "DROP TABLE b;\n");
	tu_write(dir, "3_c.up.sql", "CREATE TABLE c (id INTEGER);\n");
	tu_write(dir, "3_c.down.sql", "DROP TABLE c;\n");
	tu_write(dir, "4_d.up.sql", "CREATE TABLE d (id INTEGER);\n");
	plan = tu_plan(dir);
	r = verify_plan(plan, 0, LADDER_ECHECK);
	assert_contains(r->text, "FAIL  2 b: up\n      ");
	assert_contains(r->text, "2_b.up.sql:2: ");
	assert_contains(r->text, "skip  2 b: down restores the schema before its up (not run: its up failed)\n");
	assert_contains(r->text, "skip  3 c: up (not run: the up of 2 b failed)\n");
	assert_contains(r->text, "skip  3 c: down restores the schema before its up (not run: the up of 2 b failed)\n");
	assert_contains(r->text, "skip  3 c: up again gives the same schema (not run: the up of 2 b failed)\n");
	assert_contains(r->text, "skip  4 d: up (not run: the up of 2 b failed)\n");
	assert_contains(r->text, "skip  4 d: reversible (it has no down)\n");
	assert_int_equal(r->checks, 11);
	assert_int_equal(r->passed, 3);
	assert_int_equal(r->failures, 1);
	assert_int_equal(r->skipped, 7);
	ladder_verify_report_free(r);
	ladder_plan_free(plan);
}

/* An up whose schema depends on what an earlier down left behind: the
 * first run makes t (a), every later run t (a, b). */
static int uneven_up(void *native, void *user)
{
	int *runs = user;
	const char *sql = (*runs)++ == 0 ? "CREATE TABLE t (a INTEGER)" : "CREATE TABLE t (a INTEGER, b INTEGER)";
	return sqlite3_exec(native, sql, NULL, NULL, NULL) == SQLITE_OK ? 0
	       : ladder_error_set(LADDER_EMIGRATION, "%s", sqlite3_errmsg(native));
}

/* "Up again" differs: step 2 is blamed, and step 3's down is compared with
 * what step 2 really left (t with b), so step 3 passes. */
static void up_again_difference_is_blamed_on_its_step(void **state)
{
	static int runs;
	const ladder_migration_def steps[] = {
		{.version = 1, .name = "one", .up_sql = "CREATE TABLE one (id INTEGER);", .down_sql = "DROP TABLE one;"},
		{.version = 2, .name = "uneven", .up_fn = uneven_up, .down_sql = "DROP TABLE t;", .user = &runs},
		{.version = 3, .name = "ix", .up_sql = "CREATE INDEX t_a ON t (a);", .down_sql = "DROP INDEX t_a;"},
	};
	const ladder_plan_def def = {steps, 3, NULL, 0};
	ladder_plan *plan = NULL;
	ladder_verify_report *r;
	(void)state;

	runs = 0;
	assert_int_equal(ladder_plan_from_def(&plan, &def), 0);
	r = verify_plan(plan, 0, LADDER_ECHECK);
	assert_contains(r->text, "ok    2 uneven: down restores the schema before its up\n");
	assert_contains(r->text, "FAIL  2 uneven: up again gives the same schema\n--- after 2 up\n+++ after 2 down and up\n");
	assert_contains(r->text, "+  column b INTEGER\n");
	assert_contains(r->text, "ok    3 ix: down restores the schema before its up\n");
	assert_contains(r->text, "ok    3 ix: up again gives the same schema\n");
	assert_int_equal(r->failures, 1);
	ladder_verify_report_free(r);
	ladder_plan_free(plan);
}

/* A down given as empty text runs (it does nothing) and is reported for
 * leaving the table behind. */
static void empty_down_runs_and_is_reported(void **state)
{
	const ladder_migration_def steps[] = {
		{.version = 1, .name = "t", .up_sql = "CREATE TABLE t (id INTEGER);", .down_sql = ""},
		{.version = 2, .name = "u", .up_sql = "CREATE TABLE u (id INTEGER);", .down_sql = "DROP TABLE u;"},
	};
	const ladder_plan_def def = {steps, 2, NULL, 0};
	ladder_plan *plan = NULL;
	ladder_verify_report *r;
	(void)state;

	assert_int_equal(ladder_plan_from_def(&plan, &def), 0);
	r = verify_plan(plan, 0, LADDER_ECHECK);
	assert_contains(r->text, "FAIL  1 t: down restores the schema before its up\n");
	assert_contains(r->text, "+table t\n");
	assert_contains(r->text, "ok    2 u: down restores the schema before its up\n");
	ladder_verify_report_free(r);
	ladder_plan_free(plan);
}

/* A column dropped by the up and added back by the down comes back last:
 * the same schema but for the order of columns, a warning unless strict. */
static void column_order_only_warns_unless_strict(void **state)
{
	const char *dir = tu_tmpdir();
	ladder_plan *plan;
	ladder_verify_report *r;
	(void)state;

	tu_write(dir, "1_users.up.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);\n");
	tu_write(dir, "1_users.down.sql", "DROP TABLE users;\n");
	tu_write(dir, "2_no_email.up.sql", "ALTER TABLE users DROP COLUMN email;\n");
	tu_write(dir, "2_no_email.down.sql", "ALTER TABLE users ADD COLUMN email TEXT;\n");
	tu_write(dir, "3_ix.up.sql", "CREATE INDEX users_age ON users (age);\n");
	tu_write(dir, "3_ix.down.sql", "DROP INDEX users_age;\n");
	plan = tu_plan(dir);

	r = verify_plan(plan, 0, 0);
	assert_contains(r->text, "warn  2 no_email: down restores the schema before its up: column order differs\n"
	                         "      table users: (id, email, age) vs (id, age, email)\n");
	assert_contains(r->text, "ok    2 no_email: up again gives the same schema\n");
	assert_contains(r->text, "ok    3 ix: down restores the schema before its up\n");
	assert_int_equal(r->warnings, 1);
	assert_int_equal(r->failures, 0);
	ladder_verify_report_free(r);

	r = verify_plan(plan, LADDER_VERIFY_STRICT, LADDER_ECHECK);
	assert_contains(r->text, "FAIL  2 no_email: down restores the schema before its up\n"
	                         "      column order differs (strict)\n"
	                         "      table users: (id, email, age) vs (id, age, email)\n");
	assert_contains(r->text, "ok    2 no_email: up again gives the same schema\n");
	assert_int_equal(r->warnings, 0);
	assert_int_equal(r->failures, 1);
	ladder_verify_report_free(r);
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
		cmocka_unit_test(dump_keeps_body_text),
		cmocka_unit_test(every_broken_down_is_reported_in_one_run),
		cmocka_unit_test(checks_after_a_failed_up_are_skipped_with_the_reason),
		cmocka_unit_test(up_again_difference_is_blamed_on_its_step),
		cmocka_unit_test(empty_down_runs_and_is_reported),
		cmocka_unit_test(column_order_only_warns_unless_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
