/*
 * refusals.c — what a run refuses before anything changes, on any engine:
 * an edited migration (until repaired; a CRLF checkout is no edit), a
 * database newer than the plan, an out-of-order step, a database below the
 * floor, a down without its down.
 */
#include "scenarios.h"

#include <stdlib.h>
#include <unistd.h>

/* The database as it was before: the refused call changed nothing. */
static void assert_unchanged(const tu_engine *e, const char *url, const char *before)
{
	char *after = e->snapshot(url);
	assert_string_equal(before, after);
	free(after);
}

void edited_migration_is_refused_then_repaired(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *dir = tu_three_steps();
	const char *url = e->fresh("edited");
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db = tu_db_open(url, NULL, NULL);
	ladder_result result;
	char *before;

	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);
	tu_write(dir, "4_d.up.sql", "CREATE TABLE d (id integer);\n");
	tu_write(dir, "2_b.sql", "-- migrate:up\nCREATE TABLE b (id integer, extra text);\n-- migrate:down\nDROP TABLE b;\n");
	plan = tu_plan(dir);
	before = e->snapshot(url);
	tu_assert_error(tu_up(db, plan, 0), LADDER_ECHECKSUM, "migration 2 b");
	tu_assert_error(LADDER_ECHECKSUM, LADDER_ECHECKSUM, "was edited");
	assert_unchanged(e, url, before);

	assert_int_equal(ladder_repair(&result, db, plan, LADDER_REPAIR_CHECKSUMS, 0), 0);
	assert_int_equal(result.applied, 1);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 1);
	tu_assert_fast_path(db, plan);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
}

void crlf_checkout_is_not_an_edit(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *dir = tu_tmpdir();
	const char *url = e->fresh("crlf");
	ladder_plan *plan;
	ladder_db *db = tu_db_open(url, NULL, NULL);

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\nCREATE TABLE b (id integer);\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);
	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\r\nCREATE TABLE b (id integer);\r\n");
	plan = tu_plan(dir);
	tu_assert_fast_path(db, plan);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

void newer_database_is_refused_unless_allowed(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *dir = tu_three_steps();
	const char *url = e->fresh("newer");
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db = tu_db_open(url, NULL, NULL);
	char *before;

	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);
	unlink(tu_fmt("%s/3_c.up.sql", dir));
	unlink(tu_fmt("%s/3_c.down.sql", dir));
	plan = tu_plan(dir);
	before = e->snapshot(url);
	tu_assert_error(tu_up(db, plan, 0), LADDER_ENEWER, "newer than this program");
	assert_unchanged(e, url, before);
	assert_int_equal(tu_up(db, plan, LADDER_ALLOW_NEWER), 0);
	assert_unchanged(e, url, before);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
}

void out_of_order_is_refused_unless_allowed(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *dir = tu_tmpdir();
	const char *url = e->fresh("order");
	ladder_plan *plan;
	ladder_db *db = tu_db_open(url, NULL, NULL);
	char *before;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\n");
	tu_write(dir, "3_c.up.sql", "CREATE TABLE c (id integer);\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id integer);\n");
	plan = tu_plan(dir);
	before = e->snapshot(url);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EOUT_OF_ORDER, "migration 2 b");
	assert_unchanged(e, url, before);
	assert_int_equal(tu_up(db, plan, LADDER_ALLOW_OUT_OF_ORDER), 0);
	assert_int_equal(tu_scalar(e, url, "SELECT count(*) FROM ladder_history"), 3);
	/* the chain was rebuilt: the next open is the fast path again */
	tu_assert_fast_path(db, plan);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
}

void below_floor_is_refused(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *dir = tu_tmpdir();
	const char *url = e->fresh("floor");
	ladder_plan *plan;
	ladder_db *db = tu_db_open(url, NULL, NULL);
	char *before;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);
	/* squash: a baseline at 5 with floor 5 replaces steps 1..5 */
	unlink(tu_fmt("%s/1_a.up.sql", dir));
	tu_write(dir, "5_schema.baseline.sql",
	         "-- ladder:floor 5\nCREATE TABLE a (id integer);\nCREATE TABLE e (id integer);\n");
	tu_write(dir, "6_f.up.sql", "CREATE TABLE f (id integer);\n");
	plan = tu_plan(dir);
	assert_int_equal(ladder_plan_floor(plan), 5);
	before = e->snapshot(url);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EBELOW_FLOOR, "below this plan's floor 5");
	assert_unchanged(e, url, before);
	ladder_db_close(db);

	/* a fresh database lands on the baseline, then steps above it */
	url = e->fresh("floor_fresh");
	db = tu_db_open(url, NULL, NULL);
	assert_int_equal(tu_up(db, plan, 0), 0);
	tu_assert_rows(e, url, "SELECT version || ':' || kind FROM ladder_history ORDER BY version",
	               "5:baseline\n6:migration\n");
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
}

void missing_down_stops_before_anything_changes(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *dir = tu_three_steps();
	const char *url = e->fresh("nodown");
	ladder_plan *plan;
	ladder_db *db = tu_db_open(url, NULL, NULL);
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	char *before;

	unlink(tu_fmt("%s/1_a.down.sql", dir));
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	before = e->snapshot(url);
	opts.target = 0;
	tu_assert_error(ladder_down(NULL, db, plan, &opts), LADDER_ENO_DOWN, "migration 1 a");
	assert_unchanged(e, url, before);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
}
