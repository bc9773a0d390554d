/*
 * test_migrate.c — the run on real SQLite files: apply, the no-op fast path,
 * atomic failure, every refusal (edited, unknown, out of order, below floor,
 * no down), baselines, the user_version store, adopt, repair,
 * no-transaction steps, foreign-key rebuilds, C callbacks, wrapped handles.
 */
#include "testutil.h"

#include <ladder/sqlite.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *three_steps(void)
{
	const char *dir = tu_tmpdir();
	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);\n");
	tu_write(dir, "1_a.down.sql", "DROP TABLE a;\n");
	tu_write(dir, "2_b.sql", "-- migrate:up\nCREATE TABLE b (id INTEGER);\nINSERT INTO b VALUES (1), (2);\n"
	                         "-- migrate:down\nDROP TABLE b;\n");
	tu_write(dir, "3_c.up.sql", "CREATE TABLE c (id INTEGER);\n");
	tu_write(dir, "3_c.down.sql", "DROP TABLE c;\n");
	return dir;
}

static void apply_then_noop_writes_nothing(void **state)
{
	const char *dir = three_steps();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db = tu_open(path);
	ladder_result result;
	char before[65], after[65];
	struct timespec mtime_before, mtime_after;
	struct stat st;
	(void)state;

	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.from_version, 0);
	assert_int_equal(result.to_version, 3);
	assert_int_equal(result.applied, 3);
	assert_int_equal(result.fast_path, 0);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM ladder_history WHERE state = 'done'"), 3);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM b"), 2);
	/* created readable by the owner only */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	ladder_db_close(db);

	tu_file_fingerprint(path, before, &mtime_before);
	sleep(1); /* so a write would move the mtime */
	db = tu_open(path);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	assert_int_equal(result.applied, 0);
	assert_int_equal(result.to_version, 3);
	ladder_db_close(db);
	tu_file_fingerprint(path, after, &mtime_after);
	assert_string_equal(before, after);
	assert_int_equal(mtime_before.tv_sec, mtime_after.tv_sec);
	assert_int_equal(mtime_before.tv_nsec, mtime_after.tv_nsec);
	ladder_plan_free(plan);
}

static void failure_in_second_of_three_changes_nothing(void **state)
{
	const char *dir = tu_tmpdir();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan;
	ladder_db *db;
	char *before, *after;
	(void)state;

	tu_write(dir, "1_base.up.sql", "CREATE TABLE base (id INTEGER);\nINSERT INTO base VALUES (7);\n");
	plan = tu_plan(dir);
	db = tu_open(path);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);

	tu_write(dir, "2_ok.up.sql", "CREATE TABLE ok (id INTEGER);\nINSERT INTO base VALUES (8);\n");
	tu_write(dir, "3_bad.up.sql", "-- a comment\nCREATE TABLE bad (x);\n\nINSERT INTO nope VALUES (1);\n");
	tu_write(dir, "4_later.up.sql", "CREATE TABLE later (id INTEGER);\n");
	plan = tu_plan(dir);
	before = tu_snapshot(path);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EMIGRATION, "3_bad.up.sql:4: no such table: nope");
	tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "migration 3 bad");
	tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "still at version 1");
	after = tu_snapshot(path);
	assert_string_equal(before, after);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);
}

static void edited_migration_is_refused_then_repaired(void **state)
{
	const char *dir = three_steps();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db = tu_open(path);
	ladder_result result;
	char *before, *after;
	(void)state;

	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);
	tu_write(dir, "4_d.up.sql", "CREATE TABLE d (id INTEGER);\n");
	tu_write(dir, "2_b.sql", "-- migrate:up\nCREATE TABLE b (id INTEGER, extra TEXT);\n-- migrate:down\nDROP TABLE b;\n");
	plan = tu_plan(dir);
	before = tu_snapshot(path);
	tu_assert_error(tu_up(db, plan, 0), LADDER_ECHECKSUM, "migration 2 b");
	tu_assert_error(LADDER_ECHECKSUM, LADDER_ECHECKSUM, "was edited");
	after = tu_snapshot(path);
	assert_string_equal(before, after);

	assert_int_equal(ladder_repair(&result, db, plan, LADDER_REPAIR_CHECKSUMS, 0), 0);
	assert_int_equal(result.applied, 1);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 1);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);
}

static void crlf_checkout_is_not_an_edit(void **state)
{
	const char *dir = tu_tmpdir();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan;
	ladder_db *db = tu_open(path);
	ladder_result result;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id INTEGER);\nCREATE TABLE b (id INTEGER);\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);
	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id INTEGER);\r\nCREATE TABLE b (id INTEGER);\r\n");
	plan = tu_plan(dir);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void newer_database_is_refused_unless_allowed(void **state)
{
	const char *dir = three_steps();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db = tu_open(path);
	char *before, *after;
	(void)state;

	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);
	unlink(tu_fmt("%s/3_c.up.sql", dir));
	unlink(tu_fmt("%s/3_c.down.sql", dir));
	plan = tu_plan(dir);
	before = tu_snapshot(path);
	tu_assert_error(tu_up(db, plan, 0), LADDER_ENEWER, "newer than this program");
	after = tu_snapshot(path);
	assert_string_equal(before, after);
	assert_int_equal(tu_up(db, plan, LADDER_ALLOW_NEWER), 0);
	free(after);
	after = tu_snapshot(path);
	assert_string_equal(before, after);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);
}

static void out_of_order_is_refused_unless_allowed(void **state)
{
	const char *dir = tu_tmpdir();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan;
	ladder_db *db = tu_open(path);
	ladder_result result;
	char *before, *after;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
	tu_write(dir, "3_c.up.sql", "CREATE TABLE c (id INTEGER);\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id INTEGER);\n");
	plan = tu_plan(dir);
	before = tu_snapshot(path);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EOUT_OF_ORDER, "migration 2 b");
	after = tu_snapshot(path);
	assert_string_equal(before, after);
	assert_int_equal(tu_up(db, plan, LADDER_ALLOW_OUT_OF_ORDER), 0);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM ladder_history"), 3);
	/* the chain was rebuilt: the next open is the fast path again */
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);
}

static void below_floor_is_refused(void **state)
{
	const char *dir = tu_tmpdir();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan;
	ladder_db *db = tu_open(path);
	char *before, *after;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);
	/* squash: a baseline at 5 with floor 5 replaces steps 1..5 */
	unlink(tu_fmt("%s/1_a.up.sql", dir));
	tu_write(dir, "5_schema.baseline.sql", "-- ladder:floor 5\nCREATE TABLE a (id INTEGER);\nCREATE TABLE e (id INTEGER);\n");
	tu_write(dir, "6_f.up.sql", "CREATE TABLE f (id INTEGER);\n");
	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_floor(plan), 5);
	before = tu_snapshot(path);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EBELOW_FLOOR, "below this plan's floor 5");
	after = tu_snapshot(path);
	assert_string_equal(before, after);
	ladder_db_close(db);

	/* a fresh database lands on the baseline, then steps above it */
	path = tu_keep(tu_fmt("%s/fresh.db", tu_tmpdir()));
	db = tu_open(path);
	assert_int_equal(tu_up(db, plan, 0), 0);
	tu_assert_text(path, "SELECT version || ':' || kind FROM ladder_history ORDER BY version",
	                    "5:baseline\n6:migration\n");
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);
}

static void down_by_steps_and_to_target(void **state)
{
	const char *dir = three_steps();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db = tu_open(path);
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	ladder_result result;
	(void)state;

	assert_int_equal(tu_up(db, plan, 0), 0);
	opts.target = -1;
	opts.steps = 1;
	assert_int_equal(ladder_down(&result, db, plan, &opts), 0);
	assert_int_equal(result.to_version, 2);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'c'"), 0);
	opts.target = 0;
	assert_int_equal(ladder_down(&result, db, plan, &opts), 0);
	assert_int_equal(result.applied, 2);
	assert_int_equal(result.to_version, 0);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM sqlite_schema WHERE name IN ('a','b')"), 0);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM ladder_history"), 0);
	opts.target = -1;
	opts.steps = 1;
	tu_assert_error(ladder_down(&result, db, plan, &opts), LADDER_EINVALID, "only 0 applied");
	assert_int_equal(tu_up(db, plan, 0), 0);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM ladder_history"), 3);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void missing_down_stops_before_anything_changes(void **state)
{
	const char *dir = three_steps();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan;
	ladder_db *db = tu_open(path);
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	char *before, *after;
	(void)state;

	unlink(tu_fmt("%s/1_a.down.sql", dir));
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	before = tu_snapshot(path);
	opts.target = 0;
	tu_assert_error(ladder_down(NULL, db, plan, &opts), LADDER_ENO_DOWN, "migration 1 a");
	after = tu_snapshot(path);
	assert_string_equal(before, after);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);
}

static void baseline_only_for_empty_databases(void **state)
{
	const char *dir = tu_tmpdir();
	const char *fresh = tu_keep(tu_fmt("%s/fresh.db", tu_tmpdir()));
	const char *legacy = tu_keep(tu_fmt("%s/legacy.db", tu_tmpdir()));
	ladder_plan *plan;
	ladder_db *db;
	ladder_result result;
	sqlite3 *raw;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id INTEGER);\nCREATE TABLE path_steps (n INTEGER);\n");
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id INTEGER);\n");
	tu_write(dir, "2_schema.baseline.sql", "CREATE TABLE a (id INTEGER);\nCREATE TABLE b (id INTEGER);\n");
	tu_write(dir, "3_c.up.sql", "CREATE TABLE c (id INTEGER);\n");
	plan = tu_plan(dir);

	db = tu_open(fresh);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 2); /* baseline + step 3 */
	assert_int_equal(tu_int(fresh, "SELECT count(*) FROM sqlite_schema WHERE name = 'path_steps'"), 0);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	ladder_db_close(db);

	/* a database that already holds tables walks the steps */
	raw = tu_sqlite(legacy);
	assert_int_equal(sqlite3_exec(raw, "CREATE TABLE app_data (x INTEGER)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	db = tu_open(legacy);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 3);
	assert_int_equal(tu_int(legacy, "SELECT count(*) FROM sqlite_schema WHERE name = 'path_steps'"), 1);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void user_version_store_and_adopt(void **state)
{
	const char *dir = three_steps();
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

static void no_transaction_steps_are_recorded_and_repaired(void **state)
{
	const char *dir = tu_tmpdir();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan;
	ladder_db *db = tu_open(path);
	ladder_status *status = NULL;
	ladder_result result;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
	tu_write(dir, "2_vacuum.up.sql", "-- ladder:no-transaction\nVACUUM;\n");
	tu_write(dir, "3_half.up.sql", "-- ladder:no-transaction\nCREATE TABLE half (id INTEGER);\nINSERT INTO nope VALUES (1);\n");
	plan = tu_plan(dir);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EMIGRATION, "3_half.up.sql:3: no such table: nope");
	tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "It is recorded as started");
	tu_assert_text(path, "SELECT version || ':' || state FROM ladder_history ORDER BY version",
	                    "1:done\n2:done\n3:started\n");
	assert_int_equal(ladder_status_get(&status, db, plan), 0);
	assert_int_equal(status->entries[2].state, LADDER_STATE_INTERRUPTED);
	assert_int_equal(status->problems, 1);
	ladder_status_free(status);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EINTERRUPTED, "was started at");

	/* the operator undoes the half step, marks it pending, fixes the file */
	{
		sqlite3 *raw = tu_sqlite(path);
		assert_int_equal(sqlite3_exec(raw, "DROP TABLE half", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(raw);
	}
	assert_int_equal(ladder_repair(&result, db, plan, LADDER_REPAIR_MARK_PENDING, 3), 0);
	tu_assert_error(ladder_repair(&result, db, plan, LADDER_REPAIR_MARK_PENDING, 3), LADDER_EINVALID,
	                "not recorded as interrupted");
	ladder_plan_free(plan);
	tu_write(dir, "3_half.up.sql", "-- ladder:no-transaction\nCREATE TABLE half (id INTEGER);\n");
	plan = tu_plan(dir);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 1);
	tu_assert_text(path, "SELECT version || ':' || state FROM ladder_history ORDER BY version",
	                    "1:done\n2:done\n3:done\n");
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void interrupted_no_transaction_down_is_recorded(void **state)
{
	const char *dir = tu_tmpdir();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan;
	ladder_db *db = tu_open(path);
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	ladder_status *status = NULL;
	ladder_result result;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id INTEGER);\nCREATE TABLE b (id INTEGER);\n");
	tu_write(dir, "1_a.down.sql", "-- ladder:no-transaction\nDROP TABLE b;\nDROP TABLE nope;\nDROP TABLE a;\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	opts.target = 0;
	tu_assert_error(ladder_down(&result, db, plan, &opts), LADDER_EMIGRATION, "1_a.down.sql:3: no such table: nope");
	tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "repair its record, as pending if the down took effect");
	/* half reverted, and the store says so */
	assert_int_equal(tu_int(path, "SELECT count(*) FROM sqlite_schema WHERE name IN ('a', 'b')"), 1);
	tu_assert_text(path, "SELECT version || ':' || state FROM ladder_history", "1:started\n");
	assert_int_equal(ladder_status_get(&status, db, plan), 0);
	assert_int_equal(status->entries[0].state, LADDER_STATE_INTERRUPTED);
	ladder_status_free(status);
	tu_assert_error(ladder_down(&result, db, plan, &opts), LADDER_EINTERRUPTED, "was started at");

	/* the operator finishes the down by hand and says so */
	{
		sqlite3 *raw = tu_sqlite(path);
		assert_int_equal(sqlite3_exec(raw, "DROP TABLE a", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(raw);
	}
	assert_int_equal(ladder_repair(&result, db, plan, LADDER_REPAIR_MARK_PENDING, 1), 0);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM ladder_history"), 0);
	assert_int_equal(tu_up(db, plan, 0), 0);
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

static void tx_per_migration_keeps_earlier_steps(void **state)
{
	const char *dir = tu_tmpdir();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan;
	ladder_db *db = tu_open(path);
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id INTEGER);\n");
	tu_write(dir, "3_bad.up.sql", "CREATE TABLE a (id INTEGER);\n");
	plan = tu_plan(dir);
	tu_assert_error(tu_up(db, plan, LADDER_TX_PER_MIGRATION), LADDER_EMIGRATION, "table a already exists");
	assert_int_equal(tu_int(path, "SELECT max(version) FROM ladder_history"), 2);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static int insert_rows(void *native, void *user)
{
	sqlite3 *db = native;
	(void)user;
	if (sqlite3_exec(db, "INSERT INTO t VALUES (1), (2), (3)", NULL, NULL, NULL) != SQLITE_OK)
		return ladder_error_set(LADDER_EMIGRATION, "insert failed: %s", sqlite3_errmsg(db));
	return 0;
}

static int refuse_bad_row(void *native, void *user)
{
	(void)native, (void)user;
	return ladder_error_set(LADDER_EMIGRATION, "row 2 holds a corrupt key");
}

static void c_callbacks_and_static_plans(void **state)
{
	static const ladder_migration_def steps[] = {
		{.version = 1, .name = "create_t", .up_sql = "CREATE TABLE t (n INTEGER);", .down_sql = "DROP TABLE t;"},
		{.version = 2, .name = "fill_t", .up_fn = insert_rows},
		{.version = 3, .name = "check_t", .up_sql = "CREATE TABLE u (n INTEGER);",
		 .check_sql = "SELECT n FROM t WHERE n > 2"},
	};
	static const ladder_migration_def broken[] = {
		{.version = 1, .name = "create_t", .up_sql = "CREATE TABLE t (n INTEGER);", .down_sql = "DROP TABLE t;"},
		{.version = 2, .name = "fill_t", .up_fn = refuse_bad_row},
	};
	const ladder_plan_def def = {steps, 2, NULL, 0};
	const ladder_plan_def def_check = {steps, 3, NULL, 0};
	const ladder_plan_def def_broken = {broken, 2, NULL, 0};
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	const char *path2 = tu_keep(tu_fmt("%s/broken.db", tu_tmpdir()));
	ladder_plan *plan = NULL;
	ladder_db *db = tu_open(path);
	char *before, *after;
	(void)state;

	assert_int_equal(ladder_plan_from_def(&plan, &def), 0);
	assert_int_equal(tu_up(db, plan, 0), 0);
	assert_int_equal(tu_int(path, "SELECT sum(n) FROM t"), 6);
	ladder_plan_free(plan);

	/* a post-condition that does not hold rolls its step back */
	assert_int_equal(ladder_plan_from_def(&plan, &def_check), 0);
	before = tu_snapshot(path);
	tu_assert_error(tu_up(db, plan, 0), LADDER_ECHECK, "post-condition failed");
	after = tu_snapshot(path);
	assert_string_equal(before, after);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);

	/* a refusing callback names itself and changes nothing */
	assert_int_equal(ladder_plan_from_def(&plan, &def_broken), 0);
	db = tu_open(path2);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EMIGRATION, "row 2 holds a corrupt key");
	tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "migration 2 fill_t");
	assert_int_equal(tu_int(path2, "SELECT count(*) FROM sqlite_schema"), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void wrapped_handle_stays_open_and_refuses_open_transaction(void **state)
{
	const char *dir = three_steps();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan = tu_plan(dir);
	sqlite3 *raw = tu_sqlite(path);
	ladder_db *db = NULL;
	(void)state;

	assert_int_equal(ladder_sqlite_wrap(&db, raw, NULL), 0);
	assert_ptr_equal(ladder_db_native(db), raw);
	assert_string_equal(ladder_db_engine(db), "sqlite");
	assert_int_equal(sqlite3_exec(raw, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EINVALID, "open transaction");
	assert_int_equal(sqlite3_exec(raw, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	assert_int_equal(sqlite3_exec(raw, "INSERT INTO c VALUES (1)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	ladder_plan_free(plan);
}

static void bad_databases_fail_cleanly(void **state)
{
	const char *dir = three_steps();
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
	tu_assert_error(tu_up(db, plan, 0), LADDER_EDB, "file is not a database");
	tu_assert_error(LADDER_EDB, LADDER_EDB, corrupt);
	ladder_db_close(db);
	tu_file_fingerprint(corrupt, after, &t2);
	assert_string_equal(before, after);
	ladder_plan_free(plan);
}

static void up_to_target_and_status(void **state)
{
	const char *dir = three_steps();
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db = tu_open(path);
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	ladder_status *status = NULL;
	ladder_result result;
	(void)state;

	opts.target = 2;
	assert_int_equal(ladder_migrate(&result, db, plan, &opts), 0);
	assert_int_equal(result.to_version, 2);
	opts.target = 7;
	tu_assert_error(ladder_migrate(&result, db, plan, &opts), LADDER_EINVALID, "not in the plan");
	assert_int_equal(ladder_status_get(&status, db, plan), 0);
	assert_int_equal(status->current, 2);
	assert_int_equal(status->head, 3);
	assert_int_equal(status->pending, 1);
	assert_int_equal(status->problems, 0);
	assert_int_equal(status->count, 3);
	assert_int_equal(status->entries[0].state, LADDER_STATE_APPLIED);
	assert_non_null(status->entries[0].applied_at);
	assert_int_equal(status->entries[2].state, LADDER_STATE_PENDING);
	assert_null(status->entries[2].applied_at);
	assert_string_equal(status->store, "history");
	ladder_status_free(status);
	assert_int_equal(ladder_history_get(&status, db), 0);
	assert_int_equal(status->count, 2);
	assert_string_equal(status->entries[1].name, "b");
	ladder_status_free(status);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(apply_then_noop_writes_nothing),
		cmocka_unit_test(failure_in_second_of_three_changes_nothing),
		cmocka_unit_test(edited_migration_is_refused_then_repaired),
		cmocka_unit_test(crlf_checkout_is_not_an_edit),
		cmocka_unit_test(newer_database_is_refused_unless_allowed),
		cmocka_unit_test(out_of_order_is_refused_unless_allowed),
		cmocka_unit_test(below_floor_is_refused),
		cmocka_unit_test(down_by_steps_and_to_target),
		cmocka_unit_test(missing_down_stops_before_anything_changes),
		cmocka_unit_test(baseline_only_for_empty_databases),
		cmocka_unit_test(user_version_store_and_adopt),
		cmocka_unit_test(no_transaction_steps_are_recorded_and_repaired),
		cmocka_unit_test(interrupted_no_transaction_down_is_recorded),
		cmocka_unit_test(foreign_keys_off_rebuild_is_checked),
		cmocka_unit_test(tx_per_migration_keeps_earlier_steps),
		cmocka_unit_test(c_callbacks_and_static_plans),
		cmocka_unit_test(wrapped_handle_stays_open_and_refuses_open_transaction),
		cmocka_unit_test(bad_databases_fail_cleanly),
		cmocka_unit_test(up_to_target_and_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
