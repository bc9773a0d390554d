/*
 * test_pg_scenarios.c — the engine-neutral scenarios (tests/scenarios/) on a
 * real PostgreSQL server, then what only PostgreSQL has: SQLite's
 * foreign-keys-off rebuild refused, and the DDL lock timeout failing a step
 * queued behind a long transaction. Each scenario works in databases of its
 * own.
 */
#include "scenarios/scenarios.h"

#include "pgutil.h"

#include <stdlib.h>

static void foreign_keys_off_is_sqlite_only(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = pgu_new_db("fk", NULL);
	ladder_plan *plan;
	ladder_db *db = pgu_open(url, NULL, NULL);
	(void)state;

	tu_write(dir, "1_a.up.sql", "-- ladder:foreign-keys off\nCREATE TABLE a (id integer);\n");
	plan = tu_plan(dir);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EUNSUPPORTED, "foreign-keys off");
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_class WHERE relname = 'a'"), 0);
	assert_int_equal(pgu_advisory_locks(url), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void ddl_lock_timeout_fails_fast(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = pgu_new_db("ddl_timeout", NULL);
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_plan *plan;
	ladder_db *db = NULL;
	PGconn *reader;
	double t0;
	char *before, *after;
	double took;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\n");
	plan = tu_plan(dir);
	db = pgu_open(url, NULL, NULL);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);

	/* a long transaction reads the table and keeps it locked */
	reader = pgu_connect(url);
	pgu_exec(reader, "BEGIN");
	pgu_exec(reader, "SELECT * FROM a");
	tu_write(dir, "2_alter.up.sql", "ALTER TABLE a ADD COLUMN z integer;\n");
	plan = tu_plan(dir);
	opts.ddl_lock_timeout_ms = 300;
	assert_int_equal(ladder_db_open(&db, url, &opts), 0);
	before = pgu_snapshot(url);
	t0 = tu_now_ms();
	tu_assert_error(tu_up(db, plan, 0), LADDER_ELOCKED, "2_alter.up.sql:1: ERROR 55P03");
	took = (tu_now_ms() - t0) / 1e3;
	assert_true(took < 5.0);
	after = pgu_snapshot(url);
	assert_string_equal(before, after);
	pgu_exec(reader, "COMMIT");
	PQfinish(reader);
	/* once the reader is gone the same handle goes through */
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);
}

int main(void)
{
	const struct CMUnitTest own[] = {
		cmocka_unit_test(foreign_keys_off_is_sqlite_only),
		cmocka_unit_test(ddl_lock_timeout_fails_fast),
	};
	return tu_run_scenarios(&pgu_engine, own, sizeof(own) / sizeof(own[0]));
}
