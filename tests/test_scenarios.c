/*
 * test_scenarios.c — the engine-neutral scenarios (tests/scenarios/) on real
 * SQLite files, then what only SQLite has: the user_version store and its
 * adoption into the history table, foreign-keys-off rebuilds checked before
 * commit, and files that are missing or not databases.
 */
#include "scenarios/scenarios.h"

#include <ladder/sqlite.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void user_version_store_and_adopt(void **state)
{
	const char *dir = tu_three_steps();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db = tu_open_store(path, "user_version");
	ladder_result result;
	(void)state;

	opts.target = 2;
	assert_int_equal(ladder_migrate(&result, db, plan, &opts), 0);
	assert_int_equal(tu_int(path, "PRAGMA user_version"), 2);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'ladder_history'"), 0);
	ladder_db_close(db);

	/* adopt into the history table, then the history store takes over */
	db = tu_open(path);
	assert_int_equal(ladder_adopt(&result, db, plan, "user_version"), 0);
	assert_int_equal(result.applied, 2);
	tu_assert_text(path, "SELECT version || ':' || kind FROM ladder_history ORDER BY version",
	                    "1:adopted\n2:adopted\n");
	tu_assert_error(ladder_adopt(&result, db, plan, "user_version"), LADDER_EINVALID, "already records");
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 1);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	ladder_db_close(db);

	/* a user_version above the plan's head is a newer database */
	db = tu_open_store(path, "user_version");
	{
		sqlite3 *raw = tu_sqlite(path);
		sqlite3_exec(raw, "PRAGMA user_version = 9", NULL, NULL, NULL);
		sqlite3_close(raw);
	}
	tu_assert_error(ladder_migrate(&result, db, plan, NULL), LADDER_ENEWER, "newer");
	assert_int_equal(tu_int(path, "PRAGMA user_version"), 9);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void foreign_keys_off_rebuild_is_checked(void **state)
{
	const char *dir = tu_tmpdir();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	sqlite3 *raw = tu_sqlite(path);
	ladder_db *db = NULL;
	ladder_plan *plan;
	char *before, *after;
	(void)state;

	/* the application runs with foreign keys on, as it should */
	assert_int_equal(sqlite3_exec(raw, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(ladder_sqlite_wrap(&db, raw, NULL), 0);
	tu_write(dir, "1_a.up.sql", "CREATE TABLE parent (id INTEGER PRIMARY KEY);\n"
	                            "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));\n"
	                            "INSERT INTO parent VALUES (1);\nINSERT INTO child VALUES (10, 1);\n");
	tu_write(dir, "2_rebuild.up.sql", "-- ladder:foreign-keys off\n"
	                                  "CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');\n"
	                                  "INSERT INTO parent_new (id) SELECT id FROM parent;\n"
	                                  "DROP TABLE parent;\nALTER TABLE parent_new RENAME TO parent;\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM child"), 1);
	{
		sqlite3_stmt *stmt;
		sqlite3_prepare_v2(raw, "PRAGMA foreign_keys", -1, &stmt, NULL);
		assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(stmt, 0), 1); /* restored */
		sqlite3_finalize(stmt);
	}
	ladder_plan_free(plan);

	/* a rebuild that loses a parent row is caught before commit */
	tu_write(dir, "3_lossy.up.sql", "-- ladder:foreign-keys off\n"
	                                "CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');\n"
	                                "DROP TABLE parent;\nALTER TABLE parent_new RENAME TO parent;\n");
	plan = tu_plan(dir);
	before = tu_snapshot(path);
	tu_assert_error(tu_up(db, plan, 0), LADDER_ECHECK, "foreign key");
	after = tu_snapshot(path);
	assert_string_equal(before, after);
	ladder_db_close(db);
	sqlite3_close(raw);
	ladder_plan_free(plan);
	free(before);
	free(after);
}

static void bad_databases_fail_cleanly(void **state)
{
	const char *dir = tu_three_steps();
	const char *corrupt = tu_keep(tu_fmt("%s/corrupt.db", tu_tmpdir()));
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db = NULL;
	char junk[4096];
	char before[65], after[65];
	struct timespec t1, t2;
	(void)state;

	tu_assert_error(ladder_db_open(&db, tu_fmt("sqlite:%s/no/such/dir/app.db", tu_tmpdir()), NULL), LADDER_EIO,
	                "does not exist");
	assert_null(db);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 3);
	tu_write_bytes(corrupt, junk, sizeof(junk));
	tu_file_fingerprint(corrupt, before, &t1);
	assert_int_equal(ladder_db_open(&db, corrupt, NULL), 0);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EDB, "file is encrypted, or not a database");
	tu_assert_error(LADDER_EDB, LADDER_EDB, corrupt);
	ladder_db_close(db);
	tu_file_fingerprint(corrupt, after, &t2);
	assert_string_equal(before, after);
	ladder_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest own[] = {
		cmocka_unit_test(user_version_store_and_adopt),
		cmocka_unit_test(foreign_keys_off_rebuild_is_checked),
		cmocka_unit_test(bad_databases_fail_cleanly),
	};
	return tu_run_scenarios(&tu_sqlite_engine, own, sizeof(own) / sizeof(own[0]));
}
