/*
 * test_boundary.c — the transaction boundary on real SQLite files: a step's
 * own BEGIN; ... COMMIT; wrapper is ignored, any other transaction control
 * is refused before anything runs (file and line), savepoints, strings,
 * comments and trigger bodies are no transaction control, VACUUM makes a
 * step no-transaction (or is refused with LADDER_STRICT), PRAGMA
 * foreign_keys = OFF becomes ladder's checked foreign-keys-off run, and a C
 * callback that commits is reported as exactly that, never as a rollback.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A database at version 1 (table base with a row), its fingerprint taken. */
static const char *seeded_db(const char *dir, char fingerprint[65])
{
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db = tu_open(path);
	ladder_run_options run = LADDER_RUN_OPTIONS_INIT;
	struct timespec mtime;

	run.target = 1;
	assert_int_equal(ladder_migrate(NULL, db, plan, &run), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
	tu_file_fingerprint(path, fingerprint, &mtime);
	return path;
}

static const char *first_step(void)
{
	const char *dir = tu_tmpdir();
	tu_write(dir, "1_base.up.sql", "CREATE TABLE base (id INTEGER PRIMARY KEY);\nINSERT INTO base VALUES (1);\n");
	return dir;
}

static int up(const char *path, const char *dir, unsigned int flags, ladder_result *result)
{
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db = tu_open(path);
	ladder_run_options run = LADDER_RUN_OPTIONS_INIT;
	int error;

	run.flags = flags;
	error = ladder_migrate(result, db, plan, &run);
	ladder_db_close(db);
	ladder_plan_free(plan);
	return error;
}

static void assert_unchanged(const char *path, const char fingerprint[65])
{
	char now[65];
	struct timespec mtime;
	tu_file_fingerprint(path, now, &mtime);
	assert_string_equal(now, fingerprint);
}

static void wrapped_step_then_failure_leaves_the_file_as_it_was(void **state)
{
	const char *dir = first_step();
	char fingerprint[65];
	const char *path;
	ladder_result result;
	int error;
	(void)state;

	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id INTEGER);\n");
	tu_write(dir, "3_wrapped.up.sql", "-- written for a tool that does not wrap\nBEGIN TRANSACTION;\n"
	                                  "CREATE TABLE c (id INTEGER);\nINSERT INTO c VALUES (1);\nCOMMIT;\n");
	tu_write(dir, "4_fails.up.sql", "CREATE TABLE d (id INTEGER);\nINSERT INTO missing VALUES (1);\n");
	path = seeded_db(dir, fingerprint);

	error = up(path, dir, 0, &result);
	tu_assert_error(error, LADDER_EMIGRATION, "4_fails.up.sql:2: no such table: missing");
	tu_assert_error(error, LADDER_EMIGRATION, "The run was rolled back: the database is still at version 1");
	assert_int_equal(result.to_version, 1);
	assert_unchanged(path, fingerprint);

	/* Without the failing step the wrapped one runs inside ladder's
	 * transaction, as if the wrapper were not there. */
	unlink(tu_in(dir, "4_fails.up.sql"));
	assert_int_equal(up(path, dir, 0, &result), 0);
	assert_int_equal(result.to_version, 3);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM c"), 1);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM ladder_history"), 3);
}

static void stray_control_is_refused_before_anything_runs(void **state)
{
	static const struct {
		const char *text;
		const char *needle;
	} cases[] = {
		{"CREATE TABLE c (id INTEGER);\nCOMMIT;\nCREATE TABLE d (id INTEGER);\n", "3_stray.up.sql:2: COMMIT"},
		{"CREATE TABLE c (id INTEGER);\nEND TRANSACTION;\n", "3_stray.up.sql:2: END"},
		{"BEGIN;\nCREATE TABLE c (id INTEGER);\nROLLBACK;\n", "3_stray.up.sql:3: ROLLBACK"},
		{"BEGIN;\nCREATE TABLE c (id INTEGER);\nCOMMIT;\nCREATE TABLE d (id INTEGER);\n", "3_stray.up.sql:3: COMMIT"},
		{"CREATE TABLE c (id INTEGER);\nBEGIN;\nCREATE TABLE d (id INTEGER);\nCOMMIT;\n", "3_stray.up.sql:2: BEGIN"},
		{"BEGIN IMMEDIATE;\nCREATE TABLE c (id INTEGER);\n", "3_stray.up.sql:1: BEGIN"},
		{"BEGIN;\nCOMMIT;\nBEGIN;\nCREATE TABLE c (id INTEGER);\nCOMMIT;\n", "3_stray.up.sql:2: COMMIT"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *dir = first_step();
		char fingerprint[65];
		const char *path;
		int error;

		tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id INTEGER);\n");
		tu_write(dir, "3_stray.up.sql", cases[i].text);
		path = seeded_db(dir, fingerprint);
		error = up(path, dir, 0, NULL);
		tu_assert_error(error, LADDER_EPLAN, cases[i].needle);
		tu_assert_error(error, LADDER_EPLAN, "Nothing was changed: the database is still at version 1");
		assert_unchanged(path, fingerprint);
		/* ... in one transaction per migration too: refused before step 2. */
		error = up(path, dir, LADDER_TX_PER_MIGRATION, NULL);
		tu_assert_error(error, LADDER_EPLAN, cases[i].needle);
		assert_unchanged(path, fingerprint);
	}
}

static void savepoints_strings_comments_and_triggers_are_no_control(void **state)
{
	const char *dir = first_step();
	char fingerprint[65];
	const char *path;
	(void)state;

	tu_write(dir, "2_inside.up.sql",
	         "CREATE TABLE notes (body TEXT);\n"
	         "SAVEPOINT s1;\nINSERT INTO notes VALUES ('BEGIN; COMMIT;');\nROLLBACK TO SAVEPOINT s1;\n"
	         "RELEASE s1;\n"
	         "-- COMMIT; in a comment\n/* ROLLBACK; in a block comment */\n"
	         "INSERT INTO notes VALUES ('kept; END;');\n"
	         "CREATE TABLE \"odd;name\" ([semi;colon] TEXT, `back;tick` TEXT);\n"
	         "INSERT INTO \"odd;name\" VALUES ('it''s; COMMIT;', 'x');\n"
	         "CREATE TRIGGER notes_copy AFTER INSERT ON notes BEGIN\n"
	         "  INSERT INTO base VALUES (NULL);\nEND;\n"
	         "INSERT INTO notes VALUES ('fires the trigger');\n");
	path = seeded_db(dir, fingerprint);
	assert_int_equal(up(path, dir, LADDER_STRICT, NULL), 0);
	tu_assert_text(path, "SELECT body FROM notes ORDER BY rowid", "kept; END;\nfires the trigger\n");
	assert_int_equal(tu_int(path, "SELECT count(*) FROM base"), 2);
}

static void vacuum_runs_alone_or_is_refused_when_strict(void **state)
{
	const char *dir = first_step();
	char fingerprint[65];
	const char *path;
	ladder_plan *plan;
	ladder_db *db;
	ladder_step_info info;
	int error;
	(void)state;

	tu_write(dir, "2_compact.up.sql", "DELETE FROM base;\nVACUUM;\n");
	path = seeded_db(dir, fingerprint);

	error = up(path, dir, LADDER_STRICT, NULL);
	tu_assert_error(error, LADDER_EPLAN, "2_compact.up.sql:2: VACUUM cannot run inside a transaction");
	assert_unchanged(path, fingerprint);

	plan = tu_plan(dir);
	db = tu_open(path);
	assert_int_equal(ladder_step_inspect(&info, db, plan, 2, LADDER_UP, 0), 0);
	assert_true(info.flags & LADDER_NO_TRANSACTION);
	assert_true(info.detected & LADDER_NO_TRANSACTION);
	assert_non_null(strstr(info.reason, "VACUUM at "));
	assert_non_null(strstr(info.reason, "2_compact.up.sql:2"));
	tu_assert_error(ladder_step_inspect(&info, db, plan, 2, LADDER_UP, LADDER_STRICT), LADDER_EPLAN, "VACUUM");
	ladder_db_close(db);
	ladder_plan_free(plan);

	assert_int_equal(up(path, dir, 0, NULL), 0);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM base"), 0);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM ladder_history WHERE state = 'done'"), 2);
}

static void foreign_keys_pragma_becomes_a_checked_rebuild(void **state)
{
	const char *dir = tu_tmpdir();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	sqlite3 *raw;
	int error;
	(void)state;

	tu_write(dir, "1_base.up.sql",
	         "CREATE TABLE parent (id INTEGER PRIMARY KEY);\n"
	         "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) ON DELETE CASCADE);\n"
	         "INSERT INTO parent VALUES (1);\nINSERT INTO child VALUES (10, 1);\n");
	/* SQLite's documented table rebuild, as people write it for tools that
	 * do not wrap: inside ladder's transaction the pragmas would do nothing
	 * and DROP TABLE parent would cascade into child. */
	tu_write(dir, "2_rebuild.up.sql",
	         "PRAGMA foreign_keys=off;\nBEGIN TRANSACTION;\n"
	         "CREATE TABLE parent_new (id INTEGER PRIMARY KEY, label TEXT);\n"
	         "INSERT INTO parent_new (id) SELECT id FROM parent;\nDROP TABLE parent;\n"
	         "ALTER TABLE parent_new RENAME TO parent;\nCOMMIT;\nPRAGMA foreign_keys=on;\n");
	raw = tu_sqlite(path);
	sqlite3_close(raw);
	assert_int_equal(up(path, dir, 0, NULL), 0);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM child"), 1);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM ladder_history"), 2);

	/* A rebuild that loses the parent row is caught before it commits. */
	tu_write(dir, "3_lossy.up.sql",
	         "PRAGMA foreign_keys = OFF;\n"
	         "CREATE TABLE parent_new (id INTEGER PRIMARY KEY, label TEXT);\nDROP TABLE parent;\n"
	         "ALTER TABLE parent_new RENAME TO parent;\nPRAGMA foreign_keys = ON;\n");
	error = up(path, dir, 0, NULL);
	tu_assert_error(error, LADDER_ECHECK, "3_lossy.up.sql: migration 3 lossy, run with foreign keys off, left foreign key violation");
	tu_assert_error(error, LADDER_ECHECK, "still at version 2");
	assert_int_equal(tu_int(path, "SELECT count(*) FROM parent"), 1);
}

static void no_transaction_step_keeps_its_own_transactions(void **state)
{
	const char *dir = first_step();
	char fingerprint[65];
	const char *path;
	(void)state;

	tu_write(dir, "2_own.up.sql", "-- ladder:no-transaction\nBEGIN;\nCREATE TABLE own (id INTEGER);\nCOMMIT;\n"
	                              "BEGIN;\nINSERT INTO own VALUES (1);\nROLLBACK;\n");
	path = seeded_db(dir, fingerprint);
	assert_int_equal(up(path, dir, 0, NULL), 0);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM own"), 0);
}

static int commits_behind_ladders_back(void *native, void *user)
{
	(void)user;
	if (sqlite3_exec(native, "CREATE TABLE sneaky (id INTEGER); COMMIT;", NULL, NULL, NULL) != SQLITE_OK)
		return ladder_error_set(LADDER_EMIGRATION, "%s", sqlite3_errmsg(native));
	return 0;
}

static int commits_then_fails(void *native, void *user)
{
	commits_behind_ladders_back(native, user);
	return ladder_error_set(LADDER_EMIGRATION, "gave up after committing");
}

static void callback_that_commits_is_never_reported_as_rolled_back(void **state)
{
	ladder_step_fn callbacks[] = {commits_behind_ladders_back, commits_then_fails};
	(void)state;

	for (size_t i = 0; i < 2; i++) {
		const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
		ladder_plan *plan = NULL;
		ladder_db *db = tu_open(path);
		ladder_migration_def first = {0}, second = {0};
		ladder_result result;
		int error;

		first.version = 1;
		first.name = "base";
		first.up_sql = "CREATE TABLE base (id INTEGER);";
		second.version = 2;
		second.name = "sneaky";
		second.up_fn = callbacks[i];
		assert_int_equal(ladder_plan_new(&plan), 0);
		assert_int_equal(ladder_plan_add(plan, &first), 0);
		assert_int_equal(ladder_plan_add(plan, &second), 0);
		error = ladder_migrate(&result, db, plan, NULL);
		tu_assert_error(error, LADDER_EMIGRATION, "migration 2 sneaky (up) ended ladder's transaction (a COMMIT or ROLLBACK inside the step");
		tu_assert_error(error, LADDER_EMIGRATION, "from migration 1 on, may have been committed");
		tu_assert_error(error, LADDER_EMIGRATION, "the history still says version 0");
		assert_null(strstr(ladder_error_last()->message, "rolled back"));
		assert_null(strstr(ladder_error_last()->message, "Nothing was changed"));
		if (i == 1)
			tu_assert_error(error, LADDER_EMIGRATION, "gave up after committing");
		/* and it was indeed committed, unrecorded */
		assert_int_equal(tu_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'sneaky'"), 1);
		assert_int_equal(result.to_version, 0);
		ladder_db_close(db);
		ladder_plan_free(plan);
	}
}

/* SQLite ends the transaction itself when a trigger says RAISE(ROLLBACK):
 * that is a rollback, and the message may say so. */
static void engine_rollback_is_reported_as_rolled_back(void **state)
{
	const char *dir = first_step();
	char fingerprint[65];
	const char *path;
	int error;
	(void)state;

	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id INTEGER);\n");
	tu_write(dir, "3_guard.up.sql",
	         "CREATE TABLE guarded (id INTEGER);\n"
	         "CREATE TRIGGER no_rows BEFORE INSERT ON guarded BEGIN SELECT RAISE(ROLLBACK, 'no rows here'); END;\n"
	         "INSERT INTO guarded VALUES (1);\n");
	path = seeded_db(dir, fingerprint);
	error = up(path, dir, 0, NULL);
	tu_assert_error(error, LADDER_EMIGRATION, "3_guard.up.sql:3: no rows here");
	tu_assert_error(error, LADDER_EMIGRATION, "The run was rolled back: the database is still at version 1");
	assert_null(strstr(ladder_error_last()->message, "ended ladder's transaction"));
	assert_unchanged(path, fingerprint);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wrapped_step_then_failure_leaves_the_file_as_it_was),
		cmocka_unit_test(stray_control_is_refused_before_anything_runs),
		cmocka_unit_test(savepoints_strings_comments_and_triggers_are_no_control),
		cmocka_unit_test(vacuum_runs_alone_or_is_refused_when_strict),
		cmocka_unit_test(foreign_keys_pragma_becomes_a_checked_rebuild),
		cmocka_unit_test(no_transaction_step_keeps_its_own_transactions),
		cmocka_unit_test(callback_that_commits_is_never_reported_as_rolled_back),
		cmocka_unit_test(engine_rollback_is_reported_as_rolled_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
