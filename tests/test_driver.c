/*
 * test_driver.c — the driver registry as an application meets it: URLs go
 * to the driver whose scheme they carry, an unknown scheme is refused by
 * name (never taken for a file, never echoing a password), a store the
 * driver cannot hold is refused before anything is opened or wrapped, and
 * the allocator hook is checked and balanced.
 */
#include "testutil.h"

#include <ladder/sqlite.h>
#include <ladder/sys/driver.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void unknown_scheme_is_refused_by_name(void **state)
{
	ladder_db *db = NULL;
	(void)state;

	assert_int_equal(chdir(tu_tmpdir()), 0);
	tu_assert_error(ladder_db_open(&db, "oracle://app:s3cret@db.example/app", NULL), LADDER_EUNSUPPORTED,
	                "no driver for URLs of scheme 'oracle:'");
	assert_null(db);
	assert_non_null(strstr(ladder_error_last()->message, "sqlite:"));
	assert_null(strstr(ladder_error_last()->message, "s3cret"));
	assert_null(strstr(ladder_error_last()->message, "db.example"));
	/* Before the registry this became an SQLite file named "oracle:app.db". */
	tu_assert_error(ladder_db_open(&db, "oracle:app.db", NULL), LADDER_EUNSUPPORTED, "scheme 'oracle:'");
	assert_int_equal(access("oracle:app.db", F_OK), -1);
}

static void sqlite_urls_and_paths_reach_one_file(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/same.db", tu_tmpdir()));
	const char *urls[] = {path, tu_fmt("sqlite:%s", path), tu_fmt("sqlite3:%s", path), tu_fmt("sqlite://%s", path)};
	ladder_plan *plan = tu_plan(tu_table_steps_dir(2, "INTEGER", "TEXT"));
	(void)state;

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		ladder_db *db = NULL;
		ladder_result result;
		assert_int_equal(ladder_db_open(&db, urls[i], NULL), 0);
		assert_string_equal(ladder_db_engine(db), "sqlite");
		assert_string_equal(ladder_db_display_name(db), tu_fmt("sqlite:%s", path));
		assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
		/* The first URL applies both steps; the others find them applied. */
		assert_int_equal(result.applied, i == 0 ? 2 : 0);
		ladder_db_close(db);
	}
	tu_assert_error(ladder_db_open(NULL, path, NULL), LADDER_EINVALID, NULL);
	ladder_plan_free(plan);
}

static void unsupported_store_is_refused_before_opening(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/never.db", tu_tmpdir()));
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_db *db = NULL;
	sqlite3 *handle = NULL;
	(void)state;

	opts.store = "comment:versions";
	tu_assert_error(ladder_db_open(&db, path, &opts), LADDER_EUNSUPPORTED, "the comment store is PostgreSQL-only");
	assert_int_equal(access(path, F_OK), -1); /* nothing was created */
	opts.store = NULL;
	opts.schema = "app";
	tu_assert_error(ladder_db_open(&db, path, &opts), LADDER_EINVALID, "a schema ('app') is PostgreSQL-only");
	assert_int_equal(access(path, F_OK), -1);

	/* A wrapped handle that is refused stays the application's, usable. */
	assert_int_equal(sqlite3_open(":memory:", &handle), SQLITE_OK);
	tu_assert_error(ladder_sqlite_wrap(&db, handle, &opts), LADDER_EINVALID, "PostgreSQL-only");
	assert_null(db);
	assert_int_equal(sqlite3_exec(handle, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	tu_assert_error(ladder_db_wrap(&db, "nosuch", handle, NULL), LADDER_EUNSUPPORTED, "no nosuch driver");
	tu_assert_error(ladder_sqlite_wrap(&db, NULL, NULL), LADDER_EINVALID, "no handle given");
	sqlite3_close(handle);
}

/* ladder_open_options version 2 added the lock mode: a version 1 struct
 * (an application built before it) still opens, and SQLite, which has no
 * transaction lock or lease, refuses those modes before creating anything. */
static void open_options_lock_mode(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/lockmode.db", tu_tmpdir()));
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_db *db = NULL;
	struct {
		unsigned int version;
		const char *store, *schema;
		int lock_timeout_ms, ddl_lock_timeout_ms;
		unsigned int flags;
	} v1 = {1, NULL, NULL, 1000, 0, 0};
	(void)state;

	opts.lock = LADDER_LOCK_LEASE;
	tu_assert_error(ladder_db_open(&db, path, &opts), LADDER_EUNSUPPORTED,
	                "the sqlite driver has no transaction lock or lease");
	assert_int_equal(access(path, F_OK), -1);
	opts.lock = LADDER_LOCK_TRANSACTION;
	tu_assert_error(ladder_db_open(&db, path, &opts), LADDER_EUNSUPPORTED, "only the lock modes auto and session");
	opts.lock = (ladder_lock_mode)42;
	tu_assert_error(ladder_db_open(&db, path, &opts), LADDER_EINVALID, "unknown lock mode 42");
	opts.lock = LADDER_LOCK_SESSION;
	assert_int_equal(ladder_db_open(&db, path, &opts), 0);
	ladder_db_close(db);
	db = NULL;
	assert_int_equal(ladder_db_open(&db, path, (const ladder_open_options *)(const void *)&v1), 0);
	ladder_db_close(db);
	opts.version = LADDER_OPEN_OPTIONS_VERSION + 1;
	tu_assert_error(ladder_db_open(&db, path, &opts), LADDER_EINVALID, "unknown version 4");
}

typedef struct counting {
	long live;
	long calls;
} counting;

static void *counted_alloc(void *ctx, size_t size)
{
	counting *c = ctx;
	void *p = malloc(size);
	if (p) {
		c->live++;
		c->calls++;
	}
	return p;
}

static void *counted_resize(void *ctx, void *pointer, size_t size)
{
	counting *c = ctx;
	void *p = realloc(pointer, size);
	if (p && pointer == NULL) {
		c->live++;
		c->calls++;
	}
	return p;
}

static void counted_release(void *ctx, void *pointer)
{
	counting *c = ctx;
	if (pointer)
		c->live--;
	free(pointer);
}

static void allocator_hook_sees_every_allocation(void **state)
{
	counting counts = {0, 0};
	ladder_allocator bad = {LADDER_ALLOCATOR_VERSION + 1, counted_alloc, counted_resize, counted_release, &counts};
	ladder_allocator good = {LADDER_ALLOCATOR_VERSION, counted_alloc, counted_resize, counted_release, &counts};
	const char *dir = tu_table_steps_dir(3, "INTEGER", "TEXT");
	ladder_plan *plan = NULL;
	ladder_db *db = NULL;
	ladder_status *status = NULL;
	char *dump = NULL;
	(void)state;

	tu_assert_error(ladder_config_allocator(&bad), LADDER_EINVALID, "unknown version");
	good.release = NULL;
	tu_assert_error(ladder_config_allocator(&good), LADDER_EINVALID, "are all needed");
	good.release = counted_release;
	assert_int_equal(ladder_config_allocator(&good), 0);
	assert_int_equal(ladder_plan_load_dir(&plan, dir), 0);
	assert_int_equal(ladder_db_open(&db, tu_fmt("%s/counted.db", tu_tmpdir()), NULL), 0);
	assert_int_equal(ladder_migrate(NULL, db, plan, NULL), 0);
	assert_int_equal(ladder_status_get(&status, db, plan), 0);
	assert_int_equal(ladder_dump(&dump, db), 0);
	assert_true(counts.calls > 0);
	ladder_free(dump);
	ladder_status_free(status);
	ladder_db_close(db);
	ladder_plan_free(plan);
	assert_int_equal(ladder_config_allocator(NULL), 0);
	assert_int_equal(counts.live, 0); /* every block came back */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_scheme_is_refused_by_name),
		cmocka_unit_test(sqlite_urls_and_paths_reach_one_file),
		cmocka_unit_test(unsupported_store_is_refused_before_opening),
		cmocka_unit_test(open_options_lock_mode),
		cmocka_unit_test(allocator_hook_sees_every_allocation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
