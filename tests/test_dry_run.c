/*
 * test_dry_run.c — LADDER_DRY_RUN on real SQLite files: one
 * LADDER_EVENT_PLANNED per step the run would take, in the run's order (a
 * baseline first, downs newest first), no step run (a C callback is never
 * called), no byte of the file written, a ladder_result equal to the real
 * run's, the real run's refusals with the same code and message, and with
 * LADDER_OPEN_NO_CREATE a missing file read as empty and never created.
 */
#include "testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct events {
	char text[1024]; /* "planned up 2 two; ..." */
	int count;
} events;

static void on_event(void *ctx, ladder_event event, ladder_direction dir, int64_t version, const char *name,
                     double seconds)
{
	events *e = ctx;
	size_t used = strlen(e->text);
	const char *what = event == LADDER_EVENT_PLANNED          ? "planned"
	                   : event == LADDER_EVENT_PLANNED_COMMIT ? "commit"
	                   : event == LADDER_EVENT_START          ? "start"
	                                                          : "done";
	const char *way = dir == LADDER_DOWN ? "down" : dir == LADDER_BASELINE ? "baseline" : "up";

	(void)seconds;
	snprintf(e->text + used, sizeof(e->text) - used, "%s%s %s %" PRId64 " %s", used ? "; " : "", what, way, version,
	         name);
	e->count++;
}

static int callback_calls;

static int callback_step(void *native, void *user)
{
	(void)user;
	callback_calls++;
	return sqlite3_exec(native, "CREATE TABLE from_callback (x)", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* Steps 1..3 as SQL with downs, and 4 as a C callback. */
static ladder_plan *callback_plan(void)
{
	ladder_plan *plan = NULL;
	ladder_migration_def defs[4] = {
		{.version = 1, .name = "one", .up_sql = "CREATE TABLE one (x);", .down_sql = "DROP TABLE one;"},
		{.version = 2, .name = "two", .up_sql = "CREATE TABLE two (x);", .down_sql = "DROP TABLE two;"},
		{.version = 3, .name = "three", .up_sql = "CREATE TABLE three (x);", .down_sql = "DROP TABLE three;"},
		{.version = 4, .name = "four", .up_fn = callback_step, .revision = "1"},
	};

	assert_int_equal(ladder_plan_new(&plan), 0);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(ladder_plan_add(plan, &defs[i]), 0);
	return plan;
}

static int go(ladder_result *result, events *ev, ladder_db *db, const ladder_plan *plan, int down, unsigned int flags,
              int64_t target, int steps)
{
	ladder_run_options run = LADDER_RUN_OPTIONS_INIT;

	run.flags = flags;
	run.target = target;
	run.steps = steps;
	run.progress = on_event;
	run.progress_ctx = ev;
	return down ? ladder_down(result, db, plan, &run) : ladder_migrate(result, db, plan, &run);
}

static void assert_fingerprint(const char *path, const char expected[65])
{
	char now[65];
	struct timespec mtime;

	tu_file_fingerprint(path, now, &mtime);
	assert_string_equal(now, expected);
}

static void assert_same_result(const ladder_result *dry, const ladder_result *real)
{
	assert_int_equal(dry->from_version, real->from_version);
	assert_int_equal(dry->to_version, real->to_version);
	assert_int_equal(dry->applied, real->applied);
	assert_int_equal(dry->fast_path, real->fast_path);
}

static void test_up_reports_then_runs_the_same(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/up.db", tu_tmpdir()));
	ladder_plan *plan = callback_plan();
	ladder_db *db = tu_open(path);
	ladder_result dry, real;
	events ev = {{0}, 0}, real_ev = {{0}, 0};
	char before[65];
	struct timespec mtime;

	(void)state;
	assert_int_equal(go(&real, &real_ev, db, plan, 0, 0, 1, 0), 0);
	tu_file_fingerprint(path, before, &mtime);
	callback_calls = 0;

	assert_int_equal(go(&dry, &ev, db, plan, 0, LADDER_DRY_RUN, 0, 0), 0);
	assert_string_equal(ev.text, "planned up 2 two; planned up 3 three; planned up 4 four; commit up 4 four");
	assert_int_equal(callback_calls, 0);
	assert_int_equal(dry.from_version, 1);
	assert_int_equal(dry.to_version, 4);
	assert_int_equal(dry.applied, 3);
	assert_int_equal(dry.fast_path, 0);
	assert_fingerprint(path, before);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM sqlite_master WHERE name IN ('two', 'three')"), 0);

	/* --to: as far as the real run would go */
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(go(&dry, &ev, db, plan, 0, LADDER_DRY_RUN, 2, 0), 0);
	assert_string_equal(ev.text, "planned up 2 two; commit up 2 two");
	assert_int_equal(dry.to_version, 2);

	/* the real run then takes exactly those steps and ends where it said */
	assert_int_equal(go(&dry, &ev, db, plan, 0, LADDER_DRY_RUN, 0, 0), 0);
	memset(&real_ev, 0, sizeof(real_ev));
	assert_int_equal(go(&real, &real_ev, db, plan, 0, 0, 0, 0), 0);
	assert_string_equal(real_ev.text, "start up 2 two; done up 2 two; start up 3 three; done up 3 three; "
	                                  "start up 4 four; done up 4 four");
	assert_int_equal(callback_calls, 1);
	assert_same_result(&dry, &real);

	/* current: the fast path, nothing planned */
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(go(&dry, &ev, db, plan, 0, LADDER_DRY_RUN, 0, 0), 0);
	assert_int_equal(ev.count, 0);
	assert_int_equal(dry.applied, 0);
	assert_int_equal(dry.to_version, 4);
	assert_int_equal(dry.fast_path, 1);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void test_down_newest_first(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/down.db", tu_tmpdir()));
	ladder_plan *plan = callback_plan();
	ladder_db *db = tu_open(path);
	ladder_result dry, real;
	events ev = {{0}, 0};
	char before[65];
	struct timespec mtime;

	(void)state;
	assert_int_equal(go(&real, &ev, db, plan, 0, 0, 3, 0), 0);
	tu_file_fingerprint(path, before, &mtime);

	memset(&ev, 0, sizeof(ev));
	assert_int_equal(go(&dry, &ev, db, plan, 1, LADDER_DRY_RUN, -1, 2), 0);
	assert_string_equal(ev.text, "planned down 3 three; planned down 2 two; commit down 2 two");
	assert_int_equal(dry.from_version, 3);
	assert_int_equal(dry.to_version, 1);
	assert_int_equal(dry.applied, 2);
	assert_fingerprint(path, before);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM ladder_history"), 3);

	memset(&ev, 0, sizeof(ev));
	assert_int_equal(go(&dry, &ev, db, plan, 1, LADDER_DRY_RUN, 0, 0), 0);
	assert_string_equal(ev.text, "planned down 3 three; planned down 2 two; planned down 1 one; commit down 1 one");
	assert_int_equal(dry.to_version, 0);

	/* the real down to 1 ends where the dry one said */
	assert_int_equal(go(&dry, &ev, db, plan, 1, LADDER_DRY_RUN, 1, 0), 0);
	assert_int_equal(go(&real, &ev, db, plan, 1, 0, 1, 0), 0);
	assert_same_result(&dry, &real);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

/* A light store falls to the plan's version below the reverted step. */
static void test_light_store_down(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/light.db", tu_tmpdir()));
	ladder_plan *plan = callback_plan();
	ladder_db *db = tu_open_store(path, "user_version");
	ladder_result dry, real;
	events ev = {{0}, 0};
	char before[65];
	struct timespec mtime;

	(void)state;
	assert_int_equal(go(&real, &ev, db, plan, 0, 0, 3, 0), 0);
	tu_file_fingerprint(path, before, &mtime);
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(go(&dry, &ev, db, plan, 1, LADDER_DRY_RUN, -1, 1), 0);
	assert_string_equal(ev.text, "planned down 3 three; commit down 3 three");
	assert_int_equal(dry.from_version, 3);
	assert_int_equal(dry.to_version, 2);
	assert_fingerprint(path, before);
	assert_int_equal(tu_int(path, "PRAGMA user_version"), 3);
	assert_int_equal(go(&real, &ev, db, plan, 1, 0, -1, 1), 0);
	assert_same_result(&dry, &real);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

/* An empty database and a baseline: the baseline first, then the steps
 * above it, as the run goes; LADDER_STEPS_ONLY walks every step. */
static void test_baseline_first(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/baseline.db", tu_tmpdir()));
	ladder_plan *plan = callback_plan();
	ladder_migration_def base = {.version = 2, .name = "base", .up_sql = "CREATE TABLE one (x); CREATE TABLE two (x);"};
	ladder_db *db = tu_open(path);
	ladder_result dry, real;
	events ev = {{0}, 0};

	(void)state;
	assert_int_equal(ladder_plan_set_baseline(plan, &base), 0);
	assert_int_equal(go(&dry, &ev, db, plan, 0, LADDER_DRY_RUN, 0, 0), 0);
	assert_string_equal(ev.text, "planned baseline 2 base; planned up 3 three; planned up 4 four; commit up 4 four");
	assert_int_equal(dry.to_version, 4);
	assert_int_equal(dry.applied, 3);
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(go(&dry, &ev, db, plan, 0, LADDER_DRY_RUN | LADDER_STEPS_ONLY, 0, 0), 0);
	assert_string_equal(ev.text, "planned up 1 one; planned up 2 two; planned up 3 three; planned up 4 four; commit up 4 four");
	assert_int_equal(tu_int(path, "SELECT count(*) FROM sqlite_master"), 0);
	assert_int_equal(go(&real, &ev, db, plan, 0, 0, 0, 0), 0);
	assert_int_equal(real.applied, 3);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

/* Run the same thing dry and for real: the same code and message. */
static void assert_same_refusal(ladder_db *db, const ladder_plan *plan, int down, unsigned int flags, int64_t target,
                                int steps, int code, const char *needle)
{
	ladder_result result;
	events ev = {{0}, 0};
	char message[1024];

	assert_int_equal(go(&result, &ev, db, plan, down, flags | LADDER_DRY_RUN, target, steps), code);
	tu_assert_error(code, code, needle);
	assert_int_equal(ev.count, 0);
	snprintf(message, sizeof(message), "%s", ladder_error_last()->message);
	assert_int_equal(go(&result, &ev, db, plan, down, flags, target, steps), code);
	assert_string_equal(ladder_error_last()->message, message);
}

static void test_refusals_are_the_runs(void **state)
{
	const char *dir = tu_tmpdir();
	const char *path = tu_keep(tu_fmt("%s/refuse.db", tu_tmpdir()));
	ladder_plan *plan;
	ladder_db *db = tu_open(path);
	char before[65];
	struct timespec mtime;

	(void)state;
	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (x);\n");
	tu_write(dir, "2_b.down.sql", "DROP TABLE b;\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);
	tu_file_fingerprint(path, before, &mtime);

	plan = tu_plan(dir);
	assert_same_refusal(db, plan, 1, 0, 5, 0, LADDER_EINVALID, "cannot go down to version 5");
	assert_same_refusal(db, plan, 1, 0, 0, 0, LADDER_ENO_DOWN, "has no down");
	ladder_plan_free(plan);

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (x, y);\n"); /* edited */
	plan = tu_plan(dir);
	assert_same_refusal(db, plan, 0, 0, 0, 0, LADDER_ECHECKSUM, "was edited");
	ladder_plan_free(plan);
	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (x);\n");

	tu_write(dir, "3_c.up.sql", "CREATE TABLE c (x);\nCOMMIT;\n"); /* a stray COMMIT */
	plan = tu_plan(dir);
	assert_same_refusal(db, plan, 0, 0, 0, 0, LADDER_EPLAN, "COMMIT inside migration 3 c");
	ladder_plan_free(plan);

	tu_write(dir, "3_c.up.sql", "VACUUM;\n");
	plan = tu_plan(dir);
	assert_same_refusal(db, plan, 0, LADDER_STRICT, 0, 0, LADDER_EPLAN, "VACUUM");
	ladder_plan_free(plan);
	assert_fingerprint(path, before);

	/* an interrupted step: judged as it stands, without the lock the real
	 * run takes to judge it */
	assert_int_equal(unlink(tu_in(dir, "3_c.up.sql")), 0);
	{
		sqlite3 *raw = tu_sqlite(path);
		assert_int_equal(sqlite3_exec(raw, "UPDATE ladder_history SET state = 'started' WHERE version = 2", NULL,
		                              NULL, NULL),
		                 SQLITE_OK);
		sqlite3_close(raw);
	}
	plan = tu_plan(dir);
	{
		/* the same refusal, but without the real run's repair advice: the
		 * step may be another run's, in progress */
		ladder_result result;
		events ev = {{0}, 0};
		tu_assert_error(go(&result, &ev, db, plan, 0, LADDER_DRY_RUN, 0, 0), LADDER_EINTERRUPTED,
		                "is not recorded as finished: another run may be applying it now, or it was interrupted");
		assert_null(strstr(ladder_error_last()->message, "repair"));
		tu_assert_error(go(&result, &ev, db, plan, 0, 0, 0, 0), LADDER_EINTERRUPTED, "never finished");
	}
	ladder_plan_free(plan);
	ladder_db_close(db);
}

/* LADDER_OPEN_NO_CREATE: a missing file is an empty database that is never
 * created; a missing folder is refused as creating the file would be. */
static void test_missing_file_not_created(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/missing.db", tu_tmpdir()));
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_plan *plan = callback_plan();
	ladder_db *db = NULL;
	ladder_result dry;
	events ev = {{0}, 0};

	(void)state;
	opts.flags = LADDER_OPEN_NO_CREATE;
	assert_int_equal(ladder_db_open(&db, tu_fmt("sqlite:%s", path), &opts), 0);
	assert_string_equal(ladder_db_display_name(db), tu_fmt("sqlite:%s", path));
	assert_int_equal(go(&dry, &ev, db, plan, 0, LADDER_DRY_RUN, 0, 0), 0);
	assert_string_equal(ev.text, "planned up 1 one; planned up 2 two; planned up 3 three; planned up 4 four; commit up 4 four");
	assert_int_equal(dry.from_version, 0);
	assert_int_equal(dry.to_version, 4);
	ladder_db_close(db);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(access(tu_fmt("%s-ladder-lock", path), F_OK), -1);

	db = NULL;
	tu_assert_error(ladder_db_open(&db, tu_fmt("%s/no/such/dir.db", tu_tmpdir()), &opts), LADDER_EIO,
	                "does not exist");
	assert_null(db);
	ladder_plan_free(plan);
}

/* Where the run would commit, as the run itself decides: before and after
 * a step that runs alone, after every step with LADDER_TX_PER_MIGRATION,
 * and at the end. */
static void test_commit_points_are_the_runs(void **state)
{
	const char *dir = tu_tmpdir();
	const char *path = tu_keep(tu_fmt("%s/commits.db", tu_tmpdir()));
	ladder_plan *plan;
	ladder_db *db = tu_open(path);
	ladder_result dry;
	events ev = {{0}, 0};

	(void)state;
	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (x);\n");
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (x);\n");
	tu_write(dir, "3_vac.up.sql", "VACUUM;\n");
	tu_write(dir, "4_c.up.sql", "CREATE TABLE c (x);\n");
	tu_write(dir, "5_d.up.sql", "CREATE TABLE d (x);\n");
	plan = tu_plan(dir);
	assert_int_equal(go(&dry, &ev, db, plan, 0, LADDER_DRY_RUN, 0, 0), 0);
	assert_string_equal(ev.text, "planned up 1 a; planned up 2 b; commit up 2 b; planned up 3 vac; commit up 3 vac; "
	                             "planned up 4 c; planned up 5 d; commit up 5 d");
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(go(&dry, &ev, db, plan, 0, LADDER_DRY_RUN | LADDER_TX_PER_MIGRATION, 2, 0), 0);
	assert_string_equal(ev.text, "planned up 1 a; commit up 1 a; planned up 2 b; commit up 2 b");
	/* and the real run commits there: a failure in step 4 keeps 1-3 */
	tu_write(dir, "4_c.up.sql", "CREATE TABLE c (x);\nINSERT INTO nowhere VALUES (1);\n");
	ladder_plan_free(plan);
	plan = tu_plan(dir);
	assert_true(go(&dry, &ev, db, plan, 0, 0, 0, 0) < 0);
	assert_int_equal(dry.to_version, 3);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_up_reports_then_runs_the_same),
		cmocka_unit_test(test_down_newest_first),
		cmocka_unit_test(test_light_store_down),
		cmocka_unit_test(test_baseline_first),
		cmocka_unit_test(test_refusals_are_the_runs),
		cmocka_unit_test(test_commit_points_are_the_runs),
		cmocka_unit_test(test_missing_file_not_created),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
