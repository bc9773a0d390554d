/*
 * test_pg_store.c — where PostgreSQL records versions: PhoenixKit's table
 * comment (stamps inside the run's transaction, 0 for an absent table,
 * refusing a missing or garbage comment, down), adopting a comment-stamped
 * database into the history table, and --schema other than public with
 * schema and table names that need quoting, for both stores.
 */
#include "pgutil.h"

#include <stdlib.h>
#include <string.h>

#define COMMENT_OF(table) "SELECT coalesce(obj_description(to_regclass('" table "'), 'pg_class'), 'NULL')"

static const char *phoenix_plan(void)
{
	const char *dir = tu_tmpdir();
	tu_write(dir, "1_create.up.sql", "CREATE TABLE phoenix_kit (id integer PRIMARY KEY);\n");
	tu_write(dir, "1_create.down.sql", "DROP TABLE phoenix_kit;\n");
	tu_write(dir, "2_name.up.sql", "ALTER TABLE phoenix_kit ADD COLUMN name text;\n");
	tu_write(dir, "2_name.down.sql", "ALTER TABLE phoenix_kit DROP COLUMN name;\n");
	tu_write(dir, "3_other.up.sql", "CREATE TABLE other (id integer);\n");
	tu_write(dir, "3_other.down.sql", "DROP TABLE other;\n");
	return dir;
}

static void comment_store_stamps(void **state)
{
	const char *url = pgu_new_db("comment", NULL);
	ladder_plan *plan = tu_plan(phoenix_plan());
	ladder_db *db = pgu_open(url, "comment:phoenix_kit", NULL);
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	ladder_status *status = NULL;
	ladder_result result;
	(void)state;

	/* no table: version 0 */
	assert_int_equal(ladder_status_get(&status, db, plan), 0);
	assert_int_equal(status->current, 0);
	assert_int_equal(status->pending, 3);
	assert_string_equal(status->store, "comment:phoenix_kit");
	ladder_status_free(status);

	opts.target = 2;
	assert_int_equal(ladder_migrate(&result, db, plan, &opts), 0);
	assert_int_equal(result.applied, 2);
	pgu_assert_text(url, COMMENT_OF("phoenix_kit"), "2\n");
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 1);
	pgu_assert_text(url, COMMENT_OF("phoenix_kit"), "3\n");
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_class WHERE relname = 'ladder_history'"), 0);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);

	opts.target = 1;
	assert_int_equal(ladder_down(&result, db, plan, &opts), 0);
	pgu_assert_text(url, COMMENT_OF("phoenix_kit"), "1\n");
	/* the down of 1 drops the commented table: nothing left to stamp */
	opts.target = 0;
	assert_int_equal(ladder_down(&result, db, plan, &opts), 0);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_class WHERE relname = 'phoenix_kit'"), 0);
	assert_int_equal(ladder_status_get(&status, db, plan), 0);
	assert_int_equal(status->current, 0);
	ladder_status_free(status);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 3);
	pgu_assert_text(url, COMMENT_OF("phoenix_kit"), "3\n");
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void comment_store_refuses_to_guess(void **state)
{
	static const struct {
		const char *comment_sql;
		const char *needle;
	} cases[] = {
		{"COMMENT ON TABLE phoenix_kit IS NULL", "table public.phoenix_kit has no comment: refusing to guess"},
		{"COMMENT ON TABLE phoenix_kit IS 'v2'", "comment 'v2', which is not a version"},
		{"COMMENT ON TABLE phoenix_kit IS '-1'", "comment '-1', which is not a version"},
		{"COMMENT ON TABLE phoenix_kit IS ' 2'", "comment ' 2', which is not a version"},
		{"COMMENT ON TABLE phoenix_kit IS '2.0'", "comment '2.0', which is not a version"},
		{"COMMENT ON TABLE phoenix_kit IS '99999999999999999999'", "which is not a version"},
	};
	const char *url = pgu_new_db("garbage", NULL);
	ladder_plan *plan = tu_plan(phoenix_plan());
	ladder_db *db = pgu_open(url, "comment:phoenix_kit", NULL);
	ladder_status *status = NULL;
	ladder_result result;
	PGconn *raw = pgu_connect(url);
	(void)state;

	pgu_exec(raw, "CREATE TABLE phoenix_kit (id integer PRIMARY KEY, name text)");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *before, *after;
		pgu_exec(raw, cases[i].comment_sql);
		before = pgu_snapshot(url);
		tu_assert_error(ladder_migrate(&result, db, plan, NULL), LADDER_ESTORE, cases[i].needle);
		tu_assert_error(ladder_status_get(&status, db, plan), LADDER_ESTORE, cases[i].needle);
		assert_null(status);
		after = pgu_snapshot(url);
		assert_string_equal(before, after);
		free(before);
		free(after);
	}
	/* a real stamp: the steps above it run */
	pgu_exec(raw, "COMMENT ON TABLE phoenix_kit IS '2'");
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.from_version, 2);
	assert_int_equal(result.applied, 1);
	pgu_assert_text(url, COMMENT_OF("phoenix_kit"), "3\n");
	PQfinish(raw);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void comment_is_written_in_the_same_transaction(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = pgu_new_db("comment_tx", NULL);
	ladder_plan *plan;
	ladder_db *db = pgu_open(url, "comment:phoenix_kit", NULL);
	char *before, *after;
	(void)state;

	/* a plan whose first step does not create the commented table: the
	 * stamp fails, and the step goes with it */
	tu_write(dir, "1_elsewhere.up.sql", "CREATE TABLE elsewhere (id integer);\n");
	plan = tu_plan(dir);
	before = pgu_snapshot(url);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EDB, "recording version 1 in the comment of table phoenix_kit");
	tu_assert_error(LADDER_EDB, LADDER_EDB, "42P01");
	after = pgu_snapshot(url);
	assert_string_equal(before, after);
	ladder_db_close(db);
	ladder_plan_free(plan);
	free(before);
	free(after);

	/* no-transaction steps need the history store */
	dir = tu_tmpdir();
	tu_write(dir, "1_create.up.sql", "CREATE TABLE phoenix_kit (id integer);\n");
	tu_write(dir, "2_index.up.sql", "-- ladder:no-transaction\nCREATE INDEX CONCURRENTLY pk_id ON phoenix_kit (id);\n");
	plan = tu_plan(dir);
	db = pgu_open(url, "comment:phoenix_kit", NULL);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EUNSUPPORTED, "needs the history store");
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void comment_store_in_a_quoted_schema(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = pgu_new_db("comment_schema", NULL);
	ladder_plan *plan;
	ladder_db *db;
	ladder_result result;
	PGconn *raw = pgu_connect(url);
	(void)state;

	/* PhoenixKit's prefix schema exists before its migrations run */
	pgu_exec(raw, "CREATE SCHEMA \"my schema\"");
	tu_write(dir, "1_create.up.sql", "CREATE TABLE \"Weird\"\"Name\" (id integer);\n");
	tu_write(dir, "2_more.up.sql", "CREATE TABLE more (id integer);\n");
	plan = tu_plan(dir);
	db = pgu_open(url, "comment:Weird\"Name", "my schema");
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 2);
	pgu_assert_text(url,
	                "SELECT n.nspname || '.' || c.relname || '=' || coalesce(obj_description(c.oid, 'pg_class'), '') "
	                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND "
	                "n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
	                "my schema.Weird\"Name=2\nmy schema.more=\n");
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	/* a table of that name in public is another application's */
	pgu_exec(raw, "CREATE TABLE public.\"Weird\"\"Name\" (id integer)");
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	pgu_exec(raw, "COMMENT ON TABLE \"my schema\".\"Weird\"\"Name\" IS 'two'");
	tu_assert_error(ladder_migrate(&result, db, plan, NULL), LADDER_ESTORE,
	                "table my schema.Weird\"Name has the comment 'two'");
	PQfinish(raw);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void history_store_in_quoted_schemas(void **state)
{
	const char *dir = tu_tmpdir();
	const char *url = pgu_new_db("history_schema", NULL);
	ladder_plan *plan;
	ladder_db *one, *two;
	ladder_result result;
	(void)state;

	tu_write(dir, "1_t.up.sql", "CREATE TABLE t (id integer);\nCREATE FUNCTION f() RETURNS integer LANGUAGE sql AS "
	                            "$$ SELECT 1 $$;\n");
	tu_write(dir, "2_u.up.sql", "CREATE TABLE \"U\" (id integer);\n");
	plan = tu_plan(dir);
	/* two tenants of one application in one database, each its own schema
	 * (created by the first run) and its own history table */
	one = pgu_open(url, "history:Hist\"ory", "tenant one");
	two = pgu_open(url, "history:Hist\"ory", "Tenant'Two");
	assert_int_equal(ladder_migrate(&result, one, plan, NULL), 0);
	assert_int_equal(result.applied, 2);
	assert_int_equal(ladder_migrate(&result, two, plan, NULL), 0);
	assert_int_equal(result.applied, 2);
	pgu_assert_text(url,
	                "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
	                "c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', "
	                "'information_schema') ORDER BY 1",
	                "Tenant'Two.Hist\"ory\nTenant'Two.U\nTenant'Two.t\ntenant one.Hist\"ory\ntenant one.U\n"
	                "tenant one.t\n");
	pgu_assert_text(url, "SELECT version || ':' || state FROM \"tenant one\".\"Hist\"\"ory\" ORDER BY 1",
	                "1:done\n2:done\n");
	assert_int_equal(ladder_migrate(&result, one, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	ladder_db_close(one);
	ladder_db_close(two);

	/* the default schema, public, stayed empty */
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	                              "WHERE n.nspname = 'public'"),
	                 0);
	ladder_plan_free(plan);
}

static void adopt_comment_into_history(void **state)
{
	const char *url = pgu_new_db("adopt", NULL);
	ladder_plan *plan = tu_plan(phoenix_plan());
	ladder_db *db = pgu_open(url, "comment:phoenix_kit", NULL);
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	ladder_result result;
	(void)state;

	opts.target = 2;
	assert_int_equal(ladder_migrate(&result, db, plan, &opts), 0);
	ladder_db_close(db);

	db = pgu_open(url, NULL, NULL);
	assert_int_equal(ladder_adopt(&result, db, plan, "comment:phoenix_kit"), 0);
	assert_int_equal(result.applied, 2);
	pgu_assert_text(url, "SELECT version || ':' || kind FROM ladder_history ORDER BY version",
	                "1:adopted\n2:adopted\n");
	tu_assert_error(ladder_adopt(&result, db, plan, "comment:phoenix_kit"), LADDER_EINVALID, "already records");
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, 1);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	assert_int_equal(pgu_advisory_locks(url), 0);
	ladder_db_close(db);

	/* adopting from a garbage comment refuses and changes nothing */
	url = pgu_new_db("adopt_garbage", NULL);
	{
		PGconn *raw = pgu_connect(url);
		pgu_exec(raw, "CREATE TABLE phoenix_kit (id integer); COMMENT ON TABLE phoenix_kit IS 'V114'");
		PQfinish(raw);
	}
	db = pgu_open(url, NULL, NULL);
	tu_assert_error(ladder_adopt(&result, db, plan, "comment:phoenix_kit"), LADDER_ESTORE, "'V114'");
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM pg_class WHERE relname = 'ladder_history'"), 0);
	assert_int_equal(pgu_advisory_locks(url), 0);
	ladder_db_close(db);
	ladder_plan_free(plan);
}

static void history_rows_round_trip(void **state)
{
	enum { MANY = 2500 };
	static const char *odd_name = "we\"ird \\ name, {with} 'quotes' and é€ NULL";
	ladder_migration_def *defs = calloc(MANY, sizeof(*defs));
	char **names = calloc(MANY, sizeof(char *));
	const char *url = pgu_new_db("round_trip", NULL);
	ladder_db *db = pgu_open(url, NULL, NULL);
	ladder_status *status = NULL;
	ladder_plan *plan = NULL;
	ladder_result result;
	ladder_plan_def def;
	(void)state;

	assert_non_null(defs);
	assert_non_null(names);
	for (int i = 0; i < MANY; i++) {
		names[i] = strdup(tu_fmt("step_%d", i + 1));
		defs[i].version = 1000 + i;
		defs[i].name = i == 7 ? odd_name : names[i];
		defs[i].up_sql = "SELECT 1;";
	}
	def.migrations = defs;
	def.count = MANY;
	def.baseline = NULL;
	def.floor = 0;
	assert_int_equal(ladder_plan_from_def(&plan, &def), 0);
	/* every row is recorded by one statement at commit */
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, MANY);
	assert_int_equal(pgu_int(url, "SELECT count(*) FROM ladder_history WHERE state = 'done' AND kind = 'migration' "
	                              "AND length(checksum) = 64 AND length(chain) = 64 AND applied_at ~ "
	                              "'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'"),
	                 MANY);
	assert_int_equal(ladder_history_get(&status, db), 0);
	assert_int_equal(status->count, MANY);
	assert_string_equal(status->entries[7].name, odd_name);
	assert_int_equal(status->entries[MANY - 1].version, 1000 + MANY - 1);
	ladder_status_free(status);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.fast_path, 1);
	ladder_db_close(db);
	ladder_plan_free(plan);
	for (int i = 0; i < MANY; i++)
		free(names[i]);
	free(names);
	free(defs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(comment_store_stamps),
		cmocka_unit_test(comment_store_refuses_to_guess),
		cmocka_unit_test(comment_is_written_in_the_same_transaction),
		cmocka_unit_test(comment_store_in_a_quoted_schema),
		cmocka_unit_test(history_store_in_quoted_schemas),
		cmocka_unit_test(adopt_comment_into_history),
		cmocka_unit_test(history_rows_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
