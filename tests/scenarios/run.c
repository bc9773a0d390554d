/*
 * run.c — what a run does, on any engine: apply, the no-op fast path (no
 * write, no lock), atomic failure, errors that name file and line, down,
 * baselines, no-transaction steps recorded started then done, one
 * transaction per migration, C callbacks and post-conditions, wrapped
 * handles, up to a target and status. Where each DDL statement commits
 * (TU_DDL_COMMITS: MariaDB) a failing step cannot be undone: the scenarios
 * assert what ladder records there instead (the step "applying:K:stopped",
 * K statements done), and that the next run resumes after them.
 */
#include "scenarios.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void apply_then_noop_writes_nothing(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *dir = tu_three_steps();
	const char *url = e->fresh("noop");
	ladder_open_options no_wait = LADDER_OPEN_OPTIONS_INIT;
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db = tu_db_open(url, NULL, NULL);
	ladder_result result;
	char *empty, *before, *after, *mark_before, *mark_after, *mark_written;
	void *holder;

	assert_string_equal(ladder_db_engine(db), e->name);
	empty = e->snapshot(url);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.from_version, 0);
	assert_int_equal(result.to_version, 3);
	assert_int_equal(result.applied, 3);
	assert_int_equal(result.fast_path, 0);
	assert_int_equal(tu_scalar(e, url, "SELECT count(*) FROM ladder_history WHERE state = 'done'"), 3);
	assert_int_equal(tu_scalar(e, url, "SELECT count(*) FROM b"), 2);
	if (e->caps & TU_ONE_FILE) {
		/* created readable by the owner only */
		struct stat st;
		assert_int_equal(stat(strchr(url, ':') + 1, &st), 0);
		assert_int_equal(st.st_mode & 077, 0);
	}
	ladder_db_close(db);

	/* The no-op path writes nothing at all and takes no lock: it goes
	 * through while another session holds the migration lock. */
	before = e->snapshot(url);
	assert_string_not_equal(before, empty);
	holder = e->hold_lock(url);
	mark_before = e->write_mark(url);
	no_wait.lock_timeout_ms = 0;
	assert_int_equal(ladder_db_open(&db, url, &no_wait), 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
		assert_int_equal(result.fast_path, 1);
		assert_int_equal(result.applied, 0);
		assert_int_equal(result.to_version, 3);
	}
	ladder_db_close(db);
	mark_after = e->write_mark(url);
	e->release_lock(holder);
	after = e->snapshot(url);
	assert_string_equal(before, after);
	assert_string_equal(mark_before, mark_after);
	ladder_plan_free(plan);

	/* the mark does see a write */
	tu_write(dir, "4_d.up.sql", "CREATE TABLE d (id integer);\n");
	plan = tu_plan(dir);
	db = tu_db_open(url, NULL, NULL);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 1);
	ladder_db_close(db);
	mark_written = e->write_mark(url);
	assert_string_not_equal(mark_before, mark_written);
	ladder_plan_free(plan);
	free(empty);
	free(before);
	free(after);
	free(mark_before);
	free(mark_after);
	free(mark_written);
}

void failure_in_second_of_three_changes_nothing(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *dir = tu_tmpdir();
	const char *url = e->fresh("atomic");
	ladder_plan *plan;
	ladder_db *db = tu_db_open(url, NULL, NULL);
	char *before, *after;

	tu_write(dir, "1_base.up.sql", "CREATE TABLE base (id integer);\nINSERT INTO base VALUES (7);\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);

	tu_write(dir, "2_ok.up.sql", "CREATE TABLE ok (id integer);\nINSERT INTO base VALUES (8);\n");
	tu_write(dir, "3_bad.up.sql", "-- a comment\nCREATE TABLE bad (x integer);\n\nINSERT INTO nope VALUES (1);\n");
	tu_write(dir, "4_later.up.sql", "CREATE TABLE later (id integer);\n");
	plan = tu_plan(dir);
	before = e->snapshot(url);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EMIGRATION,
	                TU_PICK3(e, "3_bad.up.sql:4: no such table: nope",
	                         "3_bad.up.sql:4: ERROR 42P01: relation \"nope\" does not exist",
	                         "3_bad.up.sql:4: ERROR 1146 (42S02): Table '"));
	tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "migration 3 bad");
	if (e->caps & TU_DDL_COMMITS) {
		/* step 2 committed, and step 3's CREATE TABLE did: the store says
		 * so, and nothing after the failure ran */
		tu_assert_rows(e, url, TU_HISTORY_STATES, "1:done\n2:done\n3:applying:1:stopped\n");
		assert_int_equal(tu_objects(e, url, "type = 'table' AND name IN ('ok', 'bad')"), 2);
		assert_int_equal(tu_objects(e, url, "name = 'later'"), 0);
		tu_assert_rows(e, url, "SELECT id FROM base ORDER BY id", "7\n8\n");
	} else {
		tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "still at version 1");
		after = e->snapshot(url);
		assert_string_equal(before, after);
		free(after);
	}
	/* the lock went with the failed run */
	assert_int_equal(e->locks_held(url), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
}

/* A failing step, and what the message must (and must not) say on each
 * engine; a case without needles for an engine does not run there. */
static const struct {
	const char *file, *sql;
	int leaves_state; /* no-transaction: needs a database of its own */
	const char *needles[TU_ENGINES][4];
	const char *absent[TU_ENGINES];
} error_cases[] = {
	/* MariaDB reports no position within a statement: the line is the
	 * failing statement's first; it has no hints (1_hint) and no COPY */
	/* PostgreSQL counts characters: seventeen two-byte ones on line 2 would
	 * move a byte count back into line 2 */
	{"1_chars.up.sql", "SELECT 1;\n-- ééééééééééééééééé\nSELECT nope;\n", 0,
	 {{"1_chars.up.sql:3: no such column: nope"},
	  {"1_chars.up.sql:3: ERROR 42703: column \"nope\" does not exist"},
	  {"1_chars.up.sql:3: ERROR 1054 (42S22): Unknown column 'nope' in '"}}, {NULL}},
	/* no position from the engine: the failing statement's first token */
	{"1_unique.up.sql",
	 "CREATE TABLE u (id integer PRIMARY KEY);\nINSERT INTO u VALUES (1);\n\n-- again\nINSERT INTO u\n  VALUES (1);\n", 0,
	 {{"1_unique.up.sql:5: UNIQUE constraint failed: u.id"},
	  {"1_unique.up.sql:5: ERROR 23505: duplicate key value violates unique constraint",
	   "DETAIL: Key (id)=(1) already exists."},
	  {"1_unique.up.sql:5: ERROR 1062 (23000): Duplicate entry '1' for key 'PRIMARY'"}}, {NULL}},
	/* a hint comes along */
	{"1_hint.up.sql", "CREATE TABLE h (id integer);\nSELECT * FROM h\nWHERE id = now();\n", 0,
	 {{"1_hint.up.sql:3: no such function: now"},
	  {"1_hint.up.sql:3: ERROR 42883: operator does not exist: integer = timestamp with time zone",
	   "; HINT: No operator matches"}}, {NULL}},
	{"1_syntax.up.sql", "CREATE TABLE s (id integer);\n\nCREATE TABLEX t (id integer);\n", 0,
	 {{"1_syntax.up.sql:3: near \"TABLEX\": syntax error"},
	  {"1_syntax.up.sql:3: ERROR 42601: syntax error at or near \"TABLEX\""},
	  {"1_syntax.up.sql:3: ERROR 1064 (42000): You have an error in your SQL syntax", "near 'TABLEX t"}}, {NULL}},
	/* no-transaction steps: the position within a statement run alone */
	{"1_alone.up.sql", "-- ladder:no-transaction\nCREATE TABLE n1 (id integer);\n\nSELECT\n  nope FROM n1;\n", 1,
	 {{"1_alone.up.sql:5: no such column: nope", "no-transaction"},
	  {"1_alone.up.sql:5: ERROR 42703: column \"nope\" does not exist", "no-transaction"},
	  {"1_alone.up.sql:4: ERROR 1054 (42S22): Unknown column 'nope'"}}, {NULL}},
	{"1_alone.up.sql",
	 "-- ladder:no-transaction\nCREATE TABLE n2 (id integer PRIMARY KEY);\nINSERT INTO n2 VALUES (1);\n"
	 "INSERT INTO n2 VALUES (1);\n", 1,
	 {{"1_alone.up.sql:4: UNIQUE constraint failed: n2.id"}, {"1_alone.up.sql:4: ERROR 23505"},
	  {"1_alone.up.sql:4: ERROR 1062 (23000)"}}, {NULL}},
	/* PostgreSQL's parser reads the whole step first: text it cannot split
	 * runs nothing and records nothing. SQLite splits statements as it runs
	 * them: the statements before the bad one ran, and the step is
	 * recorded as started. */
	{"1_split.up.sql", "-- ladder:no-transaction\nCREATE TABLE n3 (id integer);\nCREATE TABLEX n4;\n", 1,
	 {{"1_split.up.sql:3: near \"TABLEX\": syntax error", "recorded as started"},
	  {"1_split.up.sql:3:", "cannot split", "syntax error at or near \"TABLEX\"", "Nothing was changed"},
	  {"1_split.up.sql:3: ERROR 1064 (42000)", "near 'TABLEX n4'"}},
	 {NULL, "recorded as started"}},
	/* COPY FROM STDIN has nothing to read in a migration */
	{"1_copy.up.sql", "CREATE TABLE cp (id integer);\nCOPY cp FROM STDIN;\n", 0,
	 {{NULL}, {"COPY FROM STDIN is not supported"}}, {NULL}},
};

void errors_name_file_and_line(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *shared = e->fresh("errors");

	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const char *const *needles = error_cases[i].needles[e->id];
		const char *dir = tu_tmpdir();
		/* where DDL commits, every failing step leaves its state */
		const char *url = error_cases[i].leaves_state || (e->caps & TU_DDL_COMMITS) ? e->fresh("errors") : shared;
		const char *message;
		ladder_plan *plan;
		ladder_db *db;

		if (needles[0] == NULL)
			continue;
		tu_write(dir, error_cases[i].file, error_cases[i].sql);
		plan = tu_plan(dir);
		db = tu_db_open(url, NULL, NULL);
		assert_true(tu_up(db, plan, 0) < 0);
		message = ladder_error_last()->message;
		if (strchr(message, '\n') != NULL)
			fail_msg("a message of more than one line: %s", message);
		for (int n = 0; n < 4 && needles[n] != NULL; n++)
			if (strstr(message, needles[n]) == NULL)
				fail_msg("message lacks \"%s\": %s", needles[n], message);
		if (error_cases[i].absent[e->id] != NULL && strstr(message, error_cases[i].absent[e->id]) != NULL)
			fail_msg("message says \"%s\": %s", error_cases[i].absent[e->id], message);
		ladder_db_close(db);
		ladder_plan_free(plan);
	}
}

void down_by_steps_and_to_target(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *url = e->fresh("down");
	ladder_plan *plan = tu_plan(tu_three_steps());
	ladder_db *db = tu_db_open(url, NULL, NULL);
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	ladder_result result;

	assert_int_equal(tu_up(db, plan, 0), 0);
	opts.target = -1;
	opts.steps = 1;
	assert_int_equal(ladder_down(&result, db, plan, &opts), 0);
	assert_int_equal(result.to_version, 2);
	assert_int_equal(tu_objects(e, url, "name = 'c'"), 0);
	opts.target = 0;
	assert_int_equal(ladder_down(&result, db, plan, &opts), 0);
	assert_int_equal(result.applied, 2);
	assert_int_equal(result.to_version, 0);
	assert_int_equal(tu_objects(e, url, "name IN ('a', 'b')"), 0);
	assert_int_equal(tu_scalar(e, url, "SELECT count(*) FROM ladder_history"), 0);
	opts.target = -1;
	opts.steps = 1;
	tu_assert_error(ladder_down(&result, db, plan, &opts), LADDER_EINVALID, "only 0 applied");
	assert_int_equal(tu_up(db, plan, 0), 0);
	assert_int_equal(tu_scalar(e, url, "SELECT count(*) FROM ladder_history"), 3);
	assert_int_equal(e->locks_held(url), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

/* A database that already holds `object` (SQL) walks the steps. */
static void walks_the_steps(const tu_engine *e, const ladder_plan *plan, const char *object)
{
	const char *url = e->fresh("baseline_legacy");
	ladder_db *db;
	ladder_result result;

	e->exec(url, object);
	db = tu_db_open(url, NULL, NULL);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 3);
	assert_int_equal(tu_objects(e, url, "type = 'table' AND name = 'path_steps'"), 1);
	tu_assert_fast_path(db, plan);
	ladder_db_close(db);
}

void baseline_only_for_empty_databases(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *dir = tu_tmpdir();
	const char *fresh = e->fresh("baseline_fresh");
	ladder_plan *plan;
	ladder_db *db;
	ladder_result result;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\nCREATE TABLE path_steps (n integer);\n");
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id integer);\n");
	tu_write(dir, "2_schema.baseline.sql", "CREATE TABLE a (id integer);\nCREATE TABLE b (id integer);\n");
	tu_write(dir, "3_c.up.sql", "CREATE TABLE c (id integer);\n");
	plan = tu_plan(dir);

	db = tu_db_open(fresh, NULL, NULL);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 2); /* baseline + step 3 */
	assert_int_equal(tu_objects(e, fresh, "name = 'path_steps'"), 0);
	tu_assert_rows(e, fresh, "SELECT version || ':' || kind FROM ladder_history ORDER BY version",
	               "2:baseline\n3:migration\n");
	tu_assert_fast_path(db, plan);
	ladder_db_close(db);

	/* a database that already holds something is not empty: a table, or
	 * only an object that is not one */
	walks_the_steps(e, plan, "CREATE TABLE app_data (x integer)");
	walks_the_steps(e, plan, e->lone_object);
	ladder_plan_free(plan);
}

void no_transaction_steps_are_recorded_and_repaired(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *dir = tu_tmpdir();
	const char *url = e->fresh("notx");
	ladder_plan *plan;
	ladder_db *db = tu_db_open(url, NULL, NULL);
	ladder_status *status = NULL;
	ladder_result result;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\nINSERT INTO a VALUES (1), (2), (3);\n");
	/* MariaDB has no VACUUM (OPTIMIZE TABLE, which commits and returns
	 * rows) and no index on an expression */
	tu_write(dir, "2_index.up.sql",
	         e->id == TU_MARIADB
	                 ? "-- ladder:no-transaction\nOPTIMIZE TABLE a;\nCREATE INDEX a_id ON a (id);\n"
	                   "CREATE INDEX a_id2 ON a (id DESC);\n"
	                 : tu_fmt("-- ladder:no-transaction\nVACUUM;\n%s a_id ON a (id);\n%s a_id2 ON a ((id * 2));\n",
	                          e->concurrent_index, e->concurrent_index));
	tu_write(dir, "3_half.up.sql",
	         "-- ladder:no-transaction\nCREATE TABLE half (id integer);\nINSERT INTO nope VALUES (1);\n");
	plan = tu_plan(dir);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EMIGRATION,
	                TU_PICK3(e, "3_half.up.sql:3: no such table: nope", "3_half.up.sql:3: ERROR 42P01",
	                         "3_half.up.sql:3: ERROR 1146 (42S02)"));
	if (e->caps & TU_DDL_COMMITS) {
		/* every step runs statement by statement there: the marker changes
		 * nothing; the store records the one statement done, and once the
		 * rest of the file is fixed the next run resumes after it */
		tu_assert_rows(e, url, TU_HISTORY_STATES, "1:done\n2:done\n3:applying:1:stopped\n");
		assert_int_equal(tu_objects(e, url, "type = 'index' AND name IN ('a_id', 'a_id2')"), 2);
		assert_int_equal(tu_objects(e, url, "type = 'table' AND name = 'half'"), 1);
		assert_int_equal(e->locks_held(url), 0);
		assert_int_equal(ladder_status_get(&status, db, plan), 0);
		assert_int_equal(status->entries[2].state, LADDER_STATE_INTERRUPTED);
		assert_int_equal(status->problems, 1);
		ladder_status_free(status);
		ladder_plan_free(plan);
		tu_write(dir, "3_half.up.sql", "-- ladder:no-transaction\nCREATE TABLE half (id integer);\n");
		plan = tu_plan(dir);
		assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
		assert_int_equal(result.applied, 1);
		tu_assert_rows(e, url, TU_HISTORY_STATES, "1:done\n2:done\n3:done\n");
		tu_assert_fast_path(db, plan);
		ladder_db_close(db);
		ladder_plan_free(plan);
		return;
	}
	tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "It is recorded as started: fix the database by hand, then repair its record");
	tu_assert_rows(e, url, TU_HISTORY_STATES, "1:done\n2:done\n3:started\n");
	assert_int_equal(tu_objects(e, url, "type = 'index' AND name IN ('a_id', 'a_id2')"), 2);
	assert_int_equal(e->locks_held(url), 0);
	assert_int_equal(ladder_status_get(&status, db, plan), 0);
	assert_int_equal(status->entries[2].state, LADDER_STATE_INTERRUPTED);
	assert_int_equal(status->problems, 1);
	ladder_status_free(status);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EINTERRUPTED, "was started at");

	/* the operator undoes the half step, marks it pending, fixes the file */
	e->exec(url, "DROP TABLE half");
	assert_int_equal(ladder_repair(&result, db, plan, LADDER_REPAIR_MARK_PENDING, 3), 0);
	tu_assert_error(ladder_repair(&result, db, plan, LADDER_REPAIR_MARK_PENDING, 3), LADDER_EINVALID,
	                "not recorded as interrupted");
	ladder_plan_free(plan);
	tu_write(dir, "3_half.up.sql", "-- ladder:no-transaction\nCREATE TABLE half (id integer);\n");
	plan = tu_plan(dir);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 1);
	tu_assert_rows(e, url, TU_HISTORY_STATES, "1:done\n2:done\n3:done\n");
	tu_assert_fast_path(db, plan);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

void interrupted_no_transaction_down_is_recorded(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *dir = tu_tmpdir();
	const char *url = e->fresh("notx_down");
	ladder_plan *plan;
	ladder_db *db = tu_db_open(url, NULL, NULL);
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	ladder_status *status = NULL;
	ladder_result result;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\nCREATE TABLE b (id integer);\n");
	tu_write(dir, "1_a.down.sql", "-- ladder:no-transaction\nDROP TABLE b;\nDROP TABLE nope;\nDROP TABLE a;\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	opts.target = 0;
	tu_assert_error(ladder_down(&result, db, plan, &opts), LADDER_EMIGRATION,
	                TU_PICK3(e, "1_a.down.sql:3: no such table: nope",
	                         "1_a.down.sql:3: ERROR 42P01: table \"nope\" does not exist",
	                         "1_a.down.sql:3: ERROR 1051 (42S02): Unknown table '"));
	/* half reverted, and the store says so */
	assert_int_equal(tu_objects(e, url, "type = 'table' AND name IN ('a', 'b')"), 1);
	if (e->caps & TU_DDL_COMMITS) {
		/* one statement of the down done; fixed from the second on, the
		 * down resumes there */
		tu_assert_rows(e, url, TU_HISTORY_STATES, "1:reverting:1:stopped\n");
		assert_int_equal(e->locks_held(url), 0);
		assert_int_equal(ladder_status_get(&status, db, plan), 0);
		assert_int_equal(status->entries[0].state, LADDER_STATE_INTERRUPTED);
		ladder_status_free(status);
		ladder_plan_free(plan);
		tu_write(dir, "1_a.down.sql",
		         "-- ladder:no-transaction\nDROP TABLE b;\nDROP TABLE IF EXISTS nope;\nDROP TABLE a;\n");
		plan = tu_plan(dir);
		assert_int_equal(ladder_down(&result, db, plan, &opts), 0);
		assert_int_equal(tu_objects(e, url, "type = 'table' AND name IN ('a', 'b')"), 0);
		assert_int_equal(tu_scalar(e, url, "SELECT count(*) FROM ladder_history"), 0);
		assert_int_equal(tu_up(db, plan, 0), 0);
		ladder_db_close(db);
		ladder_plan_free(plan);
		return;
	}
	tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "repair its record, as pending if the down took effect");
	tu_assert_rows(e, url, TU_HISTORY_STATES, "1:started\n");
	assert_int_equal(e->locks_held(url), 0);
	assert_int_equal(ladder_status_get(&status, db, plan), 0);
	assert_int_equal(status->entries[0].state, LADDER_STATE_INTERRUPTED);
	ladder_status_free(status);
	tu_assert_error(ladder_down(&result, db, plan, &opts), LADDER_EINTERRUPTED, "was started at");

	/* the operator finishes the down by hand and says so */
	e->exec(url, "DROP TABLE a");
	assert_int_equal(ladder_repair(&result, db, plan, LADDER_REPAIR_MARK_PENDING, 1), 0);
	assert_int_equal(tu_scalar(e, url, "SELECT count(*) FROM ladder_history"), 0);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

void tx_per_migration_keeps_earlier_steps(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *dir = tu_tmpdir();
	const char *url = e->fresh("txper");
	ladder_plan *plan;
	ladder_db *db = tu_db_open(url, NULL, NULL);

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\n");
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id integer);\n");
	tu_write(dir, "3_bad.up.sql", "CREATE TABLE a (id integer);\n");
	plan = tu_plan(dir);
	tu_assert_error(tu_up(db, plan, LADDER_TX_PER_MIGRATION), LADDER_EMIGRATION,
	                TU_PICK3(e, "3_bad.up.sql:1: table a already exists",
	                         "3_bad.up.sql:1: ERROR 42P07: relation \"a\" already exists",
	                         "3_bad.up.sql:1: ERROR 1050 (42S01): Table 'a' already exists"));
	if (e->caps & TU_DDL_COMMITS) {
		/* step 3 failed at its first statement: nothing of it committed,
		 * so it stays pending (as everywhere), and the next run must not
		 * take the table that made it fail for its work */
		tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "Nothing of the step's up was committed");
		tu_assert_rows(e, url, TU_HISTORY_STATES, "1:done\n2:done\n");
		tu_assert_error(tu_up(db, plan, LADDER_TX_PER_MIGRATION), LADDER_EMIGRATION,
		                "3_bad.up.sql:1: ERROR 1050 (42S01): Table 'a' already exists");
		tu_assert_rows(e, url, TU_HISTORY_STATES, "1:done\n2:done\n");
	} else
		assert_int_equal(tu_scalar(e, url, "SELECT max(version) FROM ladder_history"), 2);
	assert_int_equal(tu_objects(e, url, "type = 'table' AND name = 'b'"), 1);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static int insert_rows(void *native, void *user)
{
	const tu_engine *e = user;
	/* the callback runs inside the migration's transaction */
	if (!e->native_in_transaction(native))
		return ladder_error_set(LADDER_EMIGRATION, "not in a transaction");
	return e->native_exec(native, "INSERT INTO t VALUES (1), (2), (3)");
}

static int refuse_bad_row(void *native, void *user)
{
	(void)native, (void)user;
	return ladder_error_set(LADDER_EMIGRATION, "row 2 holds a corrupt key");
}

void c_callbacks_and_post_conditions(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const ladder_migration_def steps[] = {
		{.version = 1, .name = "create_t", .up_sql = "CREATE TABLE t (n integer);", .down_sql = "DROP TABLE t;"},
		{.version = 2, .name = "fill_t", .up_fn = insert_rows, .user = (void *)e},
		{.version = 3, .name = "check_t", .up_sql = "CREATE TABLE u (n integer);",
		 .check_sql = "SELECT n, 'big' AS why FROM t WHERE n > 2"},
	};
	const ladder_migration_def broken[] = {
		{.version = 1, .name = "create_t", .up_sql = "CREATE TABLE t (n integer);", .down_sql = "DROP TABLE t;"},
		{.version = 2, .name = "fill_t", .up_fn = refuse_bad_row},
	};
	const ladder_plan_def def = {steps, 2, NULL, 0};
	const ladder_plan_def def_check = {steps, 3, NULL, 0};
	const ladder_plan_def def_broken = {broken, 2, NULL, 0};
	const char *url = e->fresh("callbacks");
	const char *url2 = e->fresh("callbacks_broken");
	ladder_plan *plan = NULL;
	ladder_db *db = tu_db_open(url, NULL, NULL);
	char *before, *after;

	assert_int_equal(ladder_plan_from_def(&plan, &def), 0);
	assert_int_equal(tu_up(db, plan, 0), 0);
	assert_int_equal(tu_scalar(e, url, "SELECT sum(n) FROM t"), 6);
	ladder_plan_free(plan);

	/* a post-condition that does not hold rolls its step back, naming the row */
	assert_int_equal(ladder_plan_from_def(&plan, &def_check), 0);
	before = e->snapshot(url);
	tu_assert_error(tu_up(db, plan, 0), LADDER_ECHECK, "post-condition failed");
	tu_assert_error(LADDER_ECHECK, LADDER_ECHECK, "n=3, why=big");
	if (e->caps & TU_DDL_COMMITS) {
		/* the step's one statement committed before the check ran */
		tu_assert_rows(e, url, TU_HISTORY_STATES, "1:done\n2:done\n3:applying:1:stopped\n");
		assert_int_equal(tu_objects(e, url, "type = 'table' AND name = 'u'"), 1);
	} else {
		after = e->snapshot(url);
		assert_string_equal(before, after);
		free(after);
	}
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);

	/* a refusing callback names itself and changes nothing (where DDL
	 * commits: nothing after step 1) */
	assert_int_equal(ladder_plan_from_def(&plan, &def_broken), 0);
	db = tu_db_open(url2, NULL, NULL);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EMIGRATION, "row 2 holds a corrupt key");
	tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "migration 2 fill_t");
	if (e->caps & TU_DDL_COMMITS)
		/* a C step is one transaction there too: step 1 stays */
		tu_assert_rows(e, url2, TU_HISTORY_STATES, "1:done\n");
	else
		assert_int_equal(tu_objects(e, url2, "1 = 1"), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

void wrapped_handle_stays_open_and_refuses_open_transaction(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *url = e->fresh("wrap");
	ladder_plan *plan = tu_plan(tu_three_steps());
	void *raw = NULL;
	ladder_db *db = e->wrap(url, NULL, &raw);

	assert_ptr_equal(ladder_db_native(db), raw);
	assert_string_equal(ladder_db_engine(db), e->name);
	assert_int_equal(e->native_exec(raw, "BEGIN"), 0);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EINVALID, "open transaction");
	assert_int_equal(e->native_exec(raw, "COMMIT"), 0);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	/* still the application's, and open */
	assert_int_equal(e->native_exec(raw, "INSERT INTO c VALUES (1)"), 0);
	e->native_close(raw);
	assert_int_equal(tu_scalar(e, url, "SELECT count(*) FROM c"), 1);
	ladder_plan_free(plan);
}

void up_to_target_and_status(void **state)
{
	const tu_engine *e = TU_ENGINE(state);
	const char *url = e->fresh("status");
	ladder_plan *plan = tu_plan(tu_three_steps());
	ladder_db *db = tu_db_open(url, NULL, NULL);
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	ladder_status *status = NULL;
	ladder_result result;

	/* status on a database that has no store yet */
	assert_int_equal(ladder_status_get(&status, db, plan), 0);
	assert_int_equal(status->current, 0);
	assert_int_equal(status->pending, 3);
	assert_int_equal(status->empty, 1);
	ladder_status_free(status);

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
	assert_int_equal(status->empty, 0);
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
