/*
 * test_pg_migrate.c — the run on a real PostgreSQL server: apply, the no-op
 * fast path (no write, no transaction ID), atomic failure with file:line and
 * SQLSTATE, every refusal (edited, unknown, out of order, below floor, no
 * down), down, baselines, no-transaction steps (CREATE INDEX CONCURRENTLY)
 * recorded started then done, one transaction per migration, C callbacks
 * receiving the PGconn *, post-conditions, and status. Each test works in a
 * database of its own.
 */
#include "pgutil.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *three_steps(void)
{
	const char *dir = tu_tmpdir();
	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer PRIMARY KEY);\n");
	tu_write(dir, "1_a.down.sql", "DROP TABLE a;\n");
	tu_write(dir, "2_b.sql", "-- migrate:up\nCREATE TABLE b (id integer);\nINSERT INTO b VALUES (1), (2);\n"
	                         "-- migrate:down\nDROP TABLE b;\n");
	tu_write(dir, "3_c.up.sql", "CREATE TABLE c (id integer);\n");
	tu_write(dir, "3_c.down.sql", "DROP TABLE c;\n");
	return dir;
}

static void apply_then_noop_writes_nothing(void **state)
{
	const char *url = pgu_new_db("noop", NULL);
	ladder_plan *plan = tu_plan(three_steps());
	ladder_db *db = pgu_open(url, NULL, NULL);
	ladder_result result;
	PGconn *watch;
	char *before, *after, *rows_before, *rows_after;
	int64_t xid_before, xid_after;
	(void)state;

	assert_string_equal(ladder_db_engine(db), "postgres");
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.from_version, 0);
	assert_int_equal(result.to_version, 3);
	assert_int_equal(result.applied, 3);
	assert_int_equal(result.fast_path, 0);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM ladder_history WHERE state = 'done'"), 3);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM b"), 2);
	ladder_db_close(db);

	/* Rows keep their physical versions (xmin, ctid) and no transaction ID
	 * is handed out between two of ours: nothing was written at all. */
	before = pgu_snapshot(url);
	rows_before = pgu_text(url, "SELECT xmin, ctid, version FROM ladder_history ORDER BY version");
	watch = pgu_connect(url);
	xid_before = pgu_conn_int(watch, "SELECT pg_current_xact_id()::text::bigint");
	db = pgu_open(url, NULL, NULL);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
		assert_int_equal(result.fast_path, 1);
		assert_int_equal(result.applied, 0);
		assert_int_equal(result.to_version, 3);
	}
	ladder_db_close(db);
	xid_after = pgu_conn_int(watch, "SELECT pg_current_xact_id()::text::bigint");
	assert_int_equal(xid_after, xid_before + 1);
	PQfinish(watch);
	after = pgu_snapshot(url);
	rows_after = pgu_text(url, "SELECT xmin, ctid, version FROM ladder_history ORDER BY version");
	assert_string_equal(before, after);
	assert_string_equal(rows_before, rows_after);
	ladder_plan_free(plan);
	free(before);
	free(after);
	free(rows_before);
	free(rows_after);
}

static void failure_in_second_of_three_changes_nothing(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = pgu_new_db("atomic", NULL);
	ladder_plan *plan;
	ladder_db *db = pgu_open(url, NULL, NULL);
	char *before, *after;
	(void)state;

	tu_write(dir, "1_base.up.sql", "CREATE TABLE base (id integer);\nINSERT INTO base VALUES (7);\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);

	tu_write(dir, "2_ok.up.sql", "CREATE TABLE ok (id integer);\nINSERT INTO base VALUES (8);\n");
	tu_write(dir, "3_bad.up.sql", "-- a comment\nCREATE TABLE bad (x integer);\n\nINSERT INTO nope VALUES (1);\n");
	tu_write(dir, "4_later.up.sql", "CREATE TABLE later (id integer);\n");
	plan = tu_plan(dir);
	before = pgu_snapshot(url);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EMIGRATION,
	                "3_bad.up.sql:4: ERROR 42P01: relation \"nope\" does not exist");
	tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "migration 3 bad");
	tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "still at version 1");
	after = pgu_snapshot(url);
	assert_string_equal(before, after);
	/* the lock went with the failed run */
	assert_int_equal(pgu_advisory_locks(url), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);
}

/* The migration's error as the run reports it. */
static const char *failure_of(const char *file, const char *sql)
{
	const char *dir = tu_tmpdir();
	const char *url = pgu_new_db("errors", NULL);
	ladder_plan *plan;
	ladder_db *db = pgu_open(url, NULL, NULL);
	const char *message;

	tu_write(dir, file, sql);
	plan = tu_plan(dir);
	assert_true(tu_up(db, plan, 0) < 0);
	message = tu_keep(ladder_error_last()->message);
	ladder_db_close(db);
	ladder_plan_free(plan);
	assert_null(strchr(message, '\n'));
	return message;
}

static void assert_contains(const char *message, const char *needle)
{
	if (strstr(message, needle) == NULL)
		fail_msg("message lacks \"%s\": %s", needle, message);
}

static void errors_carry_sqlstate_and_file_line(void **state)
{
	const char *m;
	(void)state;

	/* The server counts characters: seventeen two-byte ones on line 2 would
	 * move a byte count back into line 2. */
	m = failure_of("1_chars.up.sql", "SELECT 1;\n-- ééééééééééééééééé\nSELECT nope;\n");
	assert_contains(m, "1_chars.up.sql:3: ERROR 42703: column \"nope\" does not exist");

	/* No position from the server: the failing statement's first token. */
	m = failure_of("1_unique.up.sql",
	               "CREATE TABLE u (id integer PRIMARY KEY);\nINSERT INTO u VALUES (1);\n\n-- again\n"
	               "INSERT INTO u\n  VALUES (1);\n");
	assert_contains(m, "1_unique.up.sql:5: ERROR 23505: duplicate key value violates unique constraint");
	assert_contains(m, "DETAIL: Key (id)=(1) already exists.");

	/* A hint comes along. */
	m = failure_of("1_hint.up.sql", "CREATE TABLE h (id integer);\nSELECT * FROM h\nWHERE id = now();\n");
	assert_contains(m, "1_hint.up.sql:3: ERROR 42883: operator does not exist: integer = timestamp with time zone");
	assert_contains(m, "; HINT: No operator matches");

	/* A syntax error. */
	m = failure_of("1_syntax.up.sql", "CREATE TABLE s (id integer);\n\nCREATE TABLEX t (id integer);\n");
	assert_contains(m, "1_syntax.up.sql:3: ERROR 42601: syntax error at or near \"TABLEX\"");

	/* no-transaction steps: the position within a statement run alone */
	m = failure_of("1_alone.up.sql",
	               "-- ladder:no-transaction\nCREATE TABLE n1 (id integer);\n\nSELECT\n  nope FROM n1;\n");
	assert_contains(m, "1_alone.up.sql:5: ERROR 42703: column \"nope\" does not exist");
	assert_contains(m, "no-transaction");
	m = failure_of("1_alone.up.sql",
	               "-- ladder:no-transaction\nCREATE TABLE n2 (id integer PRIMARY KEY);\nINSERT INTO n2 VALUES (1);\n"
	               "INSERT INTO n2 VALUES (1);\n");
	assert_contains(m, "1_alone.up.sql:4: ERROR 23505");
	/* text the parser cannot split runs nothing */
	m = failure_of("1_split.up.sql", "-- ladder:no-transaction\nCREATE TABLE n3 (id integer);\nCREATE TABLEX n4;\n");
	assert_contains(m, "1_split.up.sql:3:");
	assert_contains(m, "cannot split");
	assert_contains(m, "syntax error at or near \"TABLEX\"");
	/* ... and records nothing: no started step to repair */
	assert_contains(m, "Nothing was changed");
	if (strstr(m, "recorded as started") != NULL)
		fail_msg("an unsplittable step was recorded as started: %s", m);

	/* COPY FROM STDIN has nothing to read in a migration */
	m = failure_of("1_copy.up.sql", "CREATE TABLE cp (id integer);\nCOPY cp FROM STDIN;\n");
	assert_contains(m, "COPY FROM STDIN is not supported");
}

static void edited_migration_is_refused_then_repaired(void **state)
{
	const char *dir = three_steps();
	const char *url = pgu_new_db("edited", NULL);
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db = pgu_open(url, NULL, NULL);
	ladder_result result;
	char *before, *after;
	(void)state;

	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);
	tu_write(dir, "4_d.up.sql", "CREATE TABLE d (id integer);\n");
	tu_write(dir, "2_b.sql", "-- migrate:up\nCREATE TABLE b (id integer, extra text);\n-- migrate:down\nDROP TABLE b;\n");
	plan = tu_plan(dir);
	before = pgu_snapshot(url);
	tu_assert_error(tu_up(db, plan, 0), LADDER_ECHECKSUM, "migration 2 b");
	tu_assert_error(LADDER_ECHECKSUM, LADDER_ECHECKSUM, "was edited");
	after = pgu_snapshot(url);
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

static void newer_database_is_refused_unless_allowed(void **state)
{
	const char *dir = three_steps();
	const char *url = pgu_new_db("newer", NULL);
	ladder_plan *plan = tu_plan(dir);
	ladder_db *db = pgu_open(url, NULL, NULL);
	char *before, *after;
	(void)state;

	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);
	unlink(tu_fmt("%s/3_c.up.sql", dir));
	unlink(tu_fmt("%s/3_c.down.sql", dir));
	plan = tu_plan(dir);
	before = pgu_snapshot(url);
	tu_assert_error(tu_up(db, plan, 0), LADDER_ENEWER, "newer than this program");
	after = pgu_snapshot(url);
	assert_string_equal(before, after);
	assert_int_equal(tu_up(db, plan, LADDER_ALLOW_NEWER), 0);
	free(after);
	after = pgu_snapshot(url);
	assert_string_equal(before, after);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);
}

static void out_of_order_is_refused_unless_allowed(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = pgu_new_db("order", NULL);
	ladder_plan *plan;
	ladder_db *db = pgu_open(url, NULL, NULL);
	ladder_result result;
	char *before, *after;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\n");
	tu_write(dir, "3_c.up.sql", "CREATE TABLE c (id integer);\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id integer);\n");
	plan = tu_plan(dir);
	before = pgu_snapshot(url);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EOUT_OF_ORDER, "migration 2 b");
	after = pgu_snapshot(url);
	assert_string_equal(before, after);
	assert_int_equal(tu_up(db, plan, LADDER_ALLOW_OUT_OF_ORDER), 0);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM ladder_history"), 3);
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
	const char *url = pgu_new_db("floor", NULL);
	ladder_plan *plan;
	ladder_db *db = pgu_open(url, NULL, NULL);
	char *before, *after;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\n");
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_plan_free(plan);
	unlink(tu_fmt("%s/1_a.up.sql", dir));
	tu_write(dir, "5_schema.baseline.sql",
	         "-- ladder:floor 5\nCREATE TABLE a (id integer);\nCREATE TABLE e (id integer);\n");
	tu_write(dir, "6_f.up.sql", "CREATE TABLE f (id integer);\n");
	plan = tu_plan(dir);
	before = pgu_snapshot(url);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EBELOW_FLOOR, "below this plan's floor 5");
	after = pgu_snapshot(url);
	assert_string_equal(before, after);
	ladder_db_close(db);

	url = pgu_new_db("floor_fresh", NULL);
	db = pgu_open(url, NULL, NULL);
	assert_int_equal(tu_up(db, plan, 0), 0);
	pgu_assert_text(url, "SELECT version || ':' || kind FROM ladder_history ORDER BY version",
	                "5:baseline\n6:migration\n");
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);
}

static void down_by_steps_and_to_target(void **state)
{
	const char *url = pgu_new_db("down", NULL);
	ladder_plan *plan = tu_plan(three_steps());
	ladder_db *db = pgu_open(url, NULL, NULL);
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	ladder_result result;
	(void)state;

	assert_int_equal(tu_up(db, plan, 0), 0);
	opts.target = -1;
	opts.steps = 1;
	assert_int_equal(ladder_down(&result, db, plan, &opts), 0);
	assert_int_equal(result.to_version, 2);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_class WHERE relname = 'c'"), 0);
	opts.target = 0;
	assert_int_equal(ladder_down(&result, db, plan, &opts), 0);
	assert_int_equal(result.applied, 2);
	assert_int_equal(result.to_version, 0);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_class WHERE relname IN ('a', 'b')"), 0);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM ladder_history"), 0);
	opts.target = -1;
	opts.steps = 1;
	tu_assert_error(ladder_down(&result, db, plan, &opts), LADDER_EINVALID, "only 0 applied");
	assert_int_equal(tu_up(db, plan, 0), 0);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM ladder_history"), 3);
	assert_int_equal(pgu_advisory_locks(url), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void missing_down_stops_before_anything_changes(void **state)
{
	const char *dir = three_steps();
	const char *url = pgu_new_db("nodown", NULL);
	ladder_plan *plan;
	ladder_db *db = pgu_open(url, NULL, NULL);
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	char *before, *after;
	(void)state;

	unlink(tu_fmt("%s/1_a.down.sql", dir));
	plan = tu_plan(dir);
	assert_int_equal(tu_up(db, plan, 0), 0);
	before = pgu_snapshot(url);
	opts.target = 0;
	tu_assert_error(ladder_down(NULL, db, plan, &opts), LADDER_ENO_DOWN, "migration 1 a");
	after = pgu_snapshot(url);
	assert_string_equal(before, after);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);
}

static void baseline_only_for_empty_databases(void **state)
{
	const char *dir = tu_tmpdir();
	const char *fresh = pgu_new_db("baseline_fresh", NULL);
	const char *legacy = pgu_new_db("baseline_legacy", NULL);
	ladder_plan *plan;
	ladder_db *db;
	ladder_result result;
	PGconn *raw;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\nCREATE TABLE path_steps (n integer);\n");
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id integer);\n");
	tu_write(dir, "2_schema.baseline.sql", "CREATE TABLE a (id integer);\nCREATE TABLE b (id integer);\n");
	tu_write(dir, "3_c.up.sql", "CREATE TABLE c (id integer);\n");
	plan = tu_plan(dir);

	db = pgu_open(fresh, NULL, NULL);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 2);
	assert_int_equal(pgu_int(fresh, "SELECT count(*) FROM pg_class WHERE relname = 'path_steps'"), 0);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	ladder_db_close(db);

	/* a database that already holds something walks the steps: a table,
	 * or only a function or a type */
	raw = pgu_connect(legacy);
	pgu_exec(raw, "CREATE TYPE mood AS ENUM ('ok')");
	PQfinish(raw);
	db = pgu_open(legacy, NULL, NULL);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 3);
	assert_int_equal(pgu_int(legacy, "SELECT count(*) FROM pg_class WHERE relname = 'path_steps'"), 1);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void no_transaction_steps_are_recorded_and_repaired(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = pgu_new_db("notx", NULL);
	ladder_plan *plan;
	ladder_db *db = pgu_open(url, NULL, NULL);
	ladder_status *status = NULL;
	ladder_result result;
	PGconn *raw;
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\nINSERT INTO a SELECT generate_series(1, 100);\n");
	tu_write(dir, "2_index.up.sql", "-- ladder:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n"
	                                "CREATE INDEX CONCURRENTLY a_id2 ON a ((id * 2));\n");
	tu_write(dir, "3_half.up.sql",
	         "-- ladder:no-transaction\nCREATE TABLE half (id integer);\nINSERT INTO nope VALUES (1);\n");
	plan = tu_plan(dir);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EMIGRATION, "3_half.up.sql:3: ERROR 42P01");
	tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "It is recorded as started");
	pgu_assert_text(url, "SELECT version || ':' || state FROM ladder_history ORDER BY version",
	                "1:done\n2:done\n3:started\n");
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
	                              "WHERE c.relname IN ('a_id', 'a_id2') AND i.indisvalid"),
	                 2);
	assert_int_equal(pgu_advisory_locks(url), 0);
	assert_int_equal(ladder_status_get(&status, db, plan), 0);
	assert_int_equal(status->entries[2].state, LADDER_STATE_INTERRUPTED);
	assert_int_equal(status->problems, 1);
	ladder_status_free(status);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EINTERRUPTED, "was started at");

	raw = pgu_connect(url);
	pgu_exec(raw, "DROP TABLE half");
	PQfinish(raw);
	assert_int_equal(ladder_repair(&result, db, plan, LADDER_REPAIR_MARK_PENDING, 3), 0);
	ladder_plan_free(plan);
	tu_write(dir, "3_half.up.sql", "-- ladder:no-transaction\nCREATE TABLE half (id integer);\n");
	plan = tu_plan(dir);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 1);
	pgu_assert_text(url, "SELECT version || ':' || state FROM ladder_history ORDER BY version",
	                "1:done\n2:done\n3:done\n");
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

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

static void tx_per_migration_keeps_earlier_steps(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = pgu_new_db("txper", NULL);
	ladder_plan *plan;
	ladder_db *db = pgu_open(url, NULL, NULL);
	(void)state;

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id integer);\n");
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id integer);\n");
	tu_write(dir, "3_bad.up.sql", "CREATE TABLE a (id integer);\n");
	plan = tu_plan(dir);
	tu_assert_error(tu_up(db, plan, LADDER_TX_PER_MIGRATION), LADDER_EMIGRATION,
	                "3_bad.up.sql:1: ERROR 42P07: relation \"a\" already exists");
	assert_int_equal(pgu_int(url, "SELECT max(version) FROM ladder_history"), 2);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_class WHERE relname = 'b'"), 1);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static int insert_rows(void *native, void *user)
{
	PGconn *conn = native;
	PGresult *res;
	int error = 0;
	(void)user;
	/* the callback runs inside the migration's transaction */
	if (PQtransactionStatus(conn) != PQTRANS_INTRANS)
		return ladder_error_set(LADDER_EMIGRATION, "not in a transaction");
	res = PQexec(conn, "INSERT INTO t VALUES (1), (2), (3)");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		error = ladder_error_set(LADDER_EMIGRATION, "insert failed: %s", PQerrorMessage(conn));
	PQclear(res);
	return error;
}

static int refuse_bad_row(void *native, void *user)
{
	(void)native, (void)user;
	return ladder_error_set(LADDER_EMIGRATION, "row 2 holds a corrupt key");
}

static void c_callbacks_and_post_conditions(void **state)
{
	static const ladder_migration_def steps[] = {
		{.version = 1, .name = "create_t", .up_sql = "CREATE TABLE t (n integer);", .down_sql = "DROP TABLE t;"},
		{.version = 2, .name = "fill_t", .up_fn = insert_rows},
		{.version = 3, .name = "check_t", .up_sql = "CREATE TABLE u (n integer);",
		 .check_sql = "SELECT n, 'big' AS why FROM t WHERE n > 2"},
	};
	static const ladder_migration_def broken[] = {
		{.version = 1, .name = "create_t", .up_sql = "CREATE TABLE t (n integer);", .down_sql = "DROP TABLE t;"},
		{.version = 2, .name = "fill_t", .up_fn = refuse_bad_row},
	};
	const ladder_plan_def def = {steps, 2, NULL, 0};
	const ladder_plan_def def_check = {steps, 3, NULL, 0};
	const ladder_plan_def def_broken = {broken, 2, NULL, 0};
	const char *url = pgu_new_db("callbacks", NULL);
	const char *url2 = pgu_new_db("callbacks_broken", NULL);
	ladder_plan *plan = NULL;
	ladder_db *db = pgu_open(url, NULL, NULL);
	char *before, *after;
	(void)state;

	assert_int_equal(ladder_plan_from_def(&plan, &def), 0);
	assert_int_equal(tu_up(db, plan, 0), 0);
	assert_int_equal(pgu_int(url, "SELECT sum(n) FROM t"), 6);
	ladder_plan_free(plan);

	assert_int_equal(ladder_plan_from_def(&plan, &def_check), 0);
	before = pgu_snapshot(url);
	tu_assert_error(tu_up(db, plan, 0), LADDER_ECHECK, "post-condition failed");
	tu_assert_error(LADDER_ECHECK, LADDER_ECHECK, "n=3, why=big");
	after = pgu_snapshot(url);
	assert_string_equal(before, after);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);

	assert_int_equal(ladder_plan_from_def(&plan, &def_broken), 0);
	db = pgu_open(url2, NULL, NULL);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EMIGRATION, "row 2 holds a corrupt key");
	tu_assert_error(LADDER_EMIGRATION, LADDER_EMIGRATION, "migration 2 fill_t");
	assert_int_equal(pgu_int(url2, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	                               "WHERE n.nspname = 'public'"),
	                 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void up_to_target_and_status(void **state)
{
	const char *url = pgu_new_db("status", NULL);
	ladder_plan *plan = tu_plan(three_steps());
	ladder_db *db = pgu_open(url, NULL, NULL);
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	ladder_status *status = NULL;
	ladder_result result;
	(void)state;

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
	assert_string_equal(status->store, "history");
	ladder_status_free(status);
	assert_int_equal(ladder_history_get(&status, db), 0);
	assert_int_equal(status->count, 2);
	assert_string_equal(status->entries[1].name, "b");
	ladder_status_free(status);
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
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(apply_then_noop_writes_nothing),
		cmocka_unit_test(failure_in_second_of_three_changes_nothing),
		cmocka_unit_test(errors_carry_sqlstate_and_file_line),
		cmocka_unit_test(edited_migration_is_refused_then_repaired),
		cmocka_unit_test(newer_database_is_refused_unless_allowed),
		cmocka_unit_test(out_of_order_is_refused_unless_allowed),
		cmocka_unit_test(below_floor_is_refused),
		cmocka_unit_test(down_by_steps_and_to_target),
		cmocka_unit_test(missing_down_stops_before_anything_changes),
		cmocka_unit_test(baseline_only_for_empty_databases),
		cmocka_unit_test(no_transaction_steps_are_recorded_and_repaired),
		cmocka_unit_test(foreign_keys_off_is_sqlite_only),
		cmocka_unit_test(tx_per_migration_keeps_earlier_steps),
		cmocka_unit_test(c_callbacks_and_post_conditions),
		cmocka_unit_test(up_to_target_and_status),
		cmocka_unit_test(ddl_lock_timeout_fails_fast),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
