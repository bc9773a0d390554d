/*
 * test_adopt.c — the library side of switching from another tool, on real
 * SQLite files: ladder_adopt with "dbmate", "goose", "golang-migrate" and
 * "sql-migrate" specs (and "TOOL:TABLE"), the codes of its refusals, the
 * LADDER_EFOREIGN refusal of ladder_migrate and the status note, and that a
 * database with ladder's history never pays for the check.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static const char *four_steps(void)
{
	const char *dir = tu_tmpdir();
	for (int v = 1; v <= 4; v++) {
		tu_write(dir, tu_fmt("%d_t%d.up.sql", v, v), tu_fmt("CREATE TABLE t%d (id INTEGER);\n", v));
		tu_write(dir, tu_fmt("%d_t%d.down.sql", v, v), tu_fmt("DROP TABLE t%d;\n", v));
	}
	return dir;
}

/* A fresh database file holding `sql`. */
static const char *database_with(const char *sql)
{
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	sqlite3 *raw = tu_sqlite(path);
	char *message = NULL;

	if (sqlite3_exec(raw, sql, NULL, NULL, &message) != SQLITE_OK)
		fail_msg("setup SQL failed: %s", message);
	sqlite3_close(raw);
	return path;
}

static void dbmate_is_adopted_and_up_continues(void **state)
{
	const char *path = database_with("CREATE TABLE t1 (id INTEGER); CREATE TABLE t2 (id INTEGER);"
	                                 "CREATE TABLE schema_migrations (version varchar(128) primary key);"
	                                 "INSERT INTO schema_migrations VALUES ('1'), ('2');");
	ladder_plan *plan = tu_plan(four_steps());
	ladder_db *db = tu_open(path);
	ladder_status *status = NULL;
	ladder_result result;
	(void)state;

	tu_assert_error(ladder_migrate(&result, db, plan, NULL), LADDER_EFOREIGN,
	                "Adopt those versions from dbmate into ladder's history first");
	assert_int_equal(tu_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'ladder_history'"), 0);
	assert_int_equal(ladder_status_get(&status, db, plan), 0);
	assert_non_null(status->note);
	assert_non_null(strstr(status->note, "records 2 applied version(s), up to 2"));
	assert_string_equal(status->adopt_from, "dbmate");
	ladder_status_free(status);

	assert_int_equal(ladder_adopt(&result, db, plan, "dbmate"), 0);
	assert_int_equal(result.applied, 2);
	assert_int_equal(result.to_version, 2);
	tu_assert_text(path, "SELECT version || ':' || kind FROM ladder_history ORDER BY version", "1:adopted\n2:adopted\n");
	tu_assert_error(ladder_adopt(&result, db, plan, "dbmate"), LADDER_EINVALID, "already records");
	assert_int_equal(ladder_status_get(&status, db, plan), 0);
	assert_null(status->note);
	ladder_status_free(status);

	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 2);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	tu_assert_text(path, "SELECT version FROM schema_migrations ORDER BY version", "1\n2\n");
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void refusals_name_versions_and_write_nothing(void **state)
{
	const char *path = database_with("CREATE TABLE schema_migrations (version varchar(128) primary key);"
	                                 "INSERT INTO schema_migrations VALUES ('1'), ('3'), ('9');");
	ladder_plan *plan = tu_plan(four_steps());
	ladder_db *db = tu_open(path);
	ladder_result result;
	sqlite3 *raw;
	(void)state;

	tu_assert_error(ladder_adopt(&result, db, plan, "dbmate"), LADDER_ENEWER, "dbmate applied version(s) 9,");
	raw = tu_sqlite(path);
	sqlite3_exec(raw, "DELETE FROM schema_migrations WHERE version = '9'", NULL, NULL, NULL);
	sqlite3_close(raw);
	tu_assert_error(ladder_adopt(&result, db, plan, "dbmate"), LADDER_EOUT_OF_ORDER,
	                "version(s) 2 are in this plan below dbmate's head 3");
	assert_int_equal(tu_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'ladder_history'"), 0);
	tu_assert_error(ladder_adopt(&result, db, plan, "goose"), LADDER_EINVALID,
	                "there is no table \"goose_db_version\"");
	tu_assert_error(ladder_adopt(&result, db, plan, "golang-migrate"), LADDER_EINVALID, "use --from dbmate");
	tu_assert_error(ladder_adopt(&result, db, plan, "flyway"), LADDER_EINVALID, "expected user_version");
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void golang_migrate_dirty_and_goose_log(void **state)
{
	const char *path = database_with(
		"CREATE TABLE schema_migrations (version uint64, dirty bool);"
		"CREATE UNIQUE INDEX version_unique ON schema_migrations (version);"
		"INSERT INTO schema_migrations VALUES (2, 1);"
		"CREATE TABLE versions_log (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, "
		"is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));"
		"INSERT INTO versions_log (version_id, is_applied) VALUES (0, 1), (1, 1), (2, 1), (3, 1), (3, 0);");
	ladder_plan *plan = tu_plan(four_steps());
	ladder_db *db = tu_open(path);
	ladder_result result;
	(void)state;

	tu_assert_error(ladder_migrate(&result, db, plan, NULL), LADDER_EFOREIGN, "as dirty");
	tu_assert_error(ladder_adopt(&result, db, plan, "golang-migrate"), LADDER_ESTORE,
	                "golang-migrate marked version 2 dirty");
	/* a renamed goose table: TOOL:TABLE; 3 was rolled back */
	assert_int_equal(ladder_adopt(&result, db, plan, "goose:versions_log"), 0);
	assert_int_equal(result.applied, 2);
	assert_int_equal(result.to_version, 2);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void light_stores_are_never_foreign(void **state)
{
	const char *path = database_with("CREATE TABLE t1 (id INTEGER); PRAGMA user_version = 1;");
	ladder_plan *plan = tu_plan(four_steps());
	ladder_db *db = tu_open(path);
	ladder_result result;
	(void)state;

	tu_assert_error(ladder_migrate(&result, db, plan, NULL), LADDER_EFOREIGN, "PRAGMA user_version is 1");
	ladder_db_close(db);
	db = tu_open_store(path, "user_version");
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 3);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

/* After adopt the stamp is left where it was (ladder_adopt's contract):
 * later runs record in the history alone, and a fast-path open reads only
 * the history, whatever the stamp says. */
static void adopted_stamp_stays_where_it_was(void **state)
{
	const char *path = database_with("CREATE TABLE t1 (id INTEGER); CREATE TABLE t2 (id INTEGER); "
	                                 "PRAGMA user_version = 2;");
	ladder_plan *plan = tu_plan(four_steps());
	ladder_db *db = tu_open(path);
	ladder_result result;
	(void)state;

	assert_int_equal(ladder_adopt(&result, db, plan, "user_version"), 0);
	assert_int_equal(result.to_version, 2);
	assert_int_equal(tu_int(path, "PRAGMA user_version"), 2);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.to_version, 4);
	assert_int_equal(tu_int(path, "PRAGMA user_version"), 2);
	assert_int_equal(tu_int(path, "SELECT max(version) FROM ladder_history"), 4);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_true(result.fast_path);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dbmate_is_adopted_and_up_continues),
		cmocka_unit_test(refusals_name_versions_and_write_nothing),
		cmocka_unit_test(golang_migrate_dirty_and_goose_log),
		cmocka_unit_test(light_stores_are_never_foreign),
		cmocka_unit_test(adopted_stamp_stays_where_it_was),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
