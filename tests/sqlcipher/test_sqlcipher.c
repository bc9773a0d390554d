/*
 * test_sqlcipher.c — encrypted SQLite files (SQLCipher 4) through the plain
 * libladder: this program carries SQLCipher's objects itself, as an
 * application with its own SQLCipher does, and libladder's SQLite calls
 * resolve to them. ladder_open_options.sqlite_key on fresh, legacy and
 * current files, the zero-write no-op, wrong and missing keys (file left
 * byte for byte), raw keys, the key never in a message, a wrapped handle
 * the application keyed, and 32 processes opening one encrypted file.
 */
#include "testutil.h"

#include <ladder/sqlite.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PASSPHRASE "correct horse battery staple"
#define RAW_KEY "x'2DD29CA851E7B56E4697B0E1F08507293D761A05CE4D1B628663F411A8086D99'"

static const char *steps_dir;

static ladder_db *open_keyed(const char *path, const char *key, const char *store)
{
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_db *db = NULL;

	opts.sqlite_key = key;
	opts.store = store;
	if (ladder_db_open(&db, path, &opts) < 0)
		fail_msg("opening %s: %s", path, ladder_error_last()->message);
	return db;
}

/* The raw engine's view, keyed (or not): SQLCipher's first read fails
 * with SQLITE_NOTADB when the key does not fit. Returns the rc of
 * `sql`'s first step. */
static int raw_step(const char *path, const char *key, const char *sql, int64_t *value)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	char *pragma = key ? sqlite3_mprintf("PRAGMA key = %Q", key) : NULL;
	int rc;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (pragma != NULL)
		assert_int_equal(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(pragma);
	rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && value != NULL)
		*value = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return rc;
}

static int is_plain_sqlite(const char *path)
{
	char header[16] = {0};
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(header, 1, sizeof(header), f), sizeof(header));
	fclose(f);
	return memcmp(header, "SQLite format 3", 16) == 0;
}

/* An encrypted file another program made: user_version at `version`, one
 * table of its own. */
static void make_encrypted(const char *path, const char *key, int version)
{
	sqlite3 *db = NULL;
	char *sql = sqlite3_mprintf("PRAGMA key = %Q; CREATE TABLE kept (id INTEGER PRIMARY KEY, note TEXT);"
	                            "INSERT INTO kept (note) VALUES ('secret row'); PRAGMA user_version = %d;",
	                            key, version);
	unlink(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(sql);
	sqlite3_close(db);
}

/* ladder_db_open refused with `needle`: a key is judged as it is applied. */
static void assert_open_refused(const char *path, const char *key, const char *needle)
{
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_db *db = NULL;

	opts.sqlite_key = key;
	opts.store = "user_version";
	tu_assert_error(ladder_db_open(&db, path, &opts), LADDER_EDB, needle);
	assert_null(db);
	assert_null(strstr(ladder_error_last()->message, key));
}

static void this_sqlite_is_sqlcipher(void **state)
{
	int64_t ignored;
	(void)state;
	/* the library's calls land in this program's SQLCipher, not libsqlite3 */
	assert_int_equal(raw_step(":memory:", NULL, "PRAGMA cipher_version", &ignored), SQLITE_ROW);
}

static void fresh_file_is_created_encrypted(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/fresh.db", tu_tmpdir()));
	ladder_plan *plan = tu_plan(steps_dir);
	ladder_db *db = open_keyed(path, PASSPHRASE, NULL);
	int64_t version = 0, rows = -1;
	(void)state;

	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	assert_false(is_plain_sqlite(path));
	/* SQLCipher 4 defaults: what any SQLCipher 4 program reads with the key */
	assert_int_equal(raw_step(path, PASSPHRASE, "SELECT max(version) FROM ladder_history", &version), SQLITE_ROW);
	assert_int_equal(version, 3);
	assert_int_equal(raw_step(path, PASSPHRASE, "SELECT count(*) FROM t3", &rows), SQLITE_ROW);
	assert_int_equal(rows, 3);
	assert_int_equal(raw_step(path, NULL, "SELECT count(*) FROM sqlite_schema", NULL), SQLITE_NOTADB);
	ladder_plan_free(plan);
}

static void legacy_file_is_migrated_in_place(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/legacy.db", tu_tmpdir()));
	ladder_plan *plan = tu_plan(steps_dir);
	ladder_db *db;
	int64_t version = 0, kept = 0;
	(void)state;

	make_encrypted(path, PASSPHRASE, 1);
	db = open_keyed(path, PASSPHRASE, "user_version");
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	assert_false(is_plain_sqlite(path));
	assert_int_equal(raw_step(path, PASSPHRASE, "PRAGMA user_version", &version), SQLITE_ROW);
	assert_int_equal(version, 3);
	assert_int_equal(raw_step(path, PASSPHRASE, "SELECT count(*) FROM kept", &kept), SQLITE_ROW);
	assert_int_equal(kept, 1);
	/* steps 2 and 3 ran; step 1 was the other program's */
	assert_int_equal(raw_step(path, PASSPHRASE, "SELECT count(*) FROM t3", NULL), SQLITE_ROW);
	assert_int_equal(raw_step(path, PASSPHRASE, "SELECT count(*) FROM t1", NULL), SQLITE_ERROR);
	ladder_plan_free(plan);
}

static void current_file_opens_with_zero_writes(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/current.db", tu_tmpdir()));
	ladder_plan *plan = tu_plan(steps_dir);
	ladder_result result;
	char before[65], after[65];
	struct timespec t1, t2;
	ladder_db *db;
	(void)state;

	db = open_keyed(path, RAW_KEY, NULL);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	tu_file_fingerprint(path, before, &t1);
	for (int i = 0; i < 3; i++) {
		db = open_keyed(path, RAW_KEY, NULL);
		assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
		assert_int_equal(result.applied, 0);
		assert_int_equal(result.to_version, 3);
		ladder_db_close(db);
	}
	tu_file_fingerprint(path, after, &t2);
	assert_string_equal(before, after);
	assert_true(t1.tv_sec == t2.tv_sec && t1.tv_nsec == t2.tv_nsec);
	assert_int_equal(access(tu_fmt("%s-journal", path), F_OK), -1);
	assert_int_equal(access(tu_fmt("%s-wal", path), F_OK), -1);
	ladder_plan_free(plan);
}

/* A wrong key, no key, a key for a plain file: refused at the first read,
 * the file byte for byte as it was, the key in no message. */
static void wrong_or_missing_key_changes_nothing(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/locked.db", tu_tmpdir()));
	const char *plain = tu_keep(tu_fmt("%s/plain.db", tu_tmpdir()));
	ladder_plan *plan = tu_plan(steps_dir);
	char before[65], after[65];
	struct timespec t1, t2;
	ladder_db *db;
	(void)state;

	make_encrypted(path, PASSPHRASE, 1);
	tu_file_fingerprint(path, before, &t1);

	assert_open_refused(path, "not the passphrase", "the key given does not open it");

	db = open_keyed(path, NULL, "user_version");
	tu_assert_error(tu_up(db, plan, 0), LADDER_EDB, "file is encrypted, or not a database: a key is needed");
	ladder_db_close(db);

	db = open_keyed(path, NULL, "user_version");
	{
		ladder_status *status = NULL;
		tu_assert_error(ladder_status_get(&status, db, plan), LADDER_EDB, "a key is needed");
		ladder_status_free(status);
	}
	ladder_db_close(db);

	tu_file_fingerprint(path, after, &t2);
	assert_string_equal(before, after);
	assert_true(t1.tv_sec == t2.tv_sec && t1.tv_nsec == t2.tv_nsec);

	/* a plain file read with a key: SQLCipher cannot decrypt it either */
	db = open_keyed(plain, NULL, NULL);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	tu_file_fingerprint(plain, before, &t1);
	assert_open_refused(plain, PASSPHRASE, "not encrypted");
	tu_file_fingerprint(plain, after, &t2);
	assert_string_equal(before, after);
	assert_true(is_plain_sqlite(plain));
	ladder_plan_free(plan);
}

static void empty_key_and_keyed_wrap_are_refused(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/refused.db", tu_tmpdir()));
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_db *db = NULL;
	sqlite3 *handle = NULL;
	(void)state;

	opts.sqlite_key = "";
	tu_assert_error(ladder_db_open(&db, path, &opts), LADDER_EINVALID, "the key given is empty");
	assert_null(db);
	assert_int_equal(access(path, F_OK), -1);

	assert_int_equal(sqlite3_open(path, &handle), SQLITE_OK);
	opts.sqlite_key = PASSPHRASE;
	tu_assert_error(ladder_sqlite_wrap(&db, handle, &opts), LADDER_EINVALID, "keyed by its application");
	assert_null(db);
	sqlite3_close(handle);
	unlink(path);
}

/* The application keys its own handle and wraps it: ladder reads and
 * writes through it as through any other. Not keyed: the message says the
 * application has to. */
static void wrapped_handle_keyed_by_the_application(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/wrapped.db", tu_tmpdir()));
	ladder_plan *plan = tu_plan(steps_dir);
	ladder_db *db = NULL;
	sqlite3 *handle = NULL;
	int64_t version = 0;
	(void)state;

	make_encrypted(path, PASSPHRASE, 0);
	assert_int_equal(sqlite3_open(path, &handle), SQLITE_OK);
	assert_int_equal(ladder_sqlite_wrap(&db, handle, NULL), 0);
	tu_assert_error(tu_up(db, plan, 0), LADDER_EDB, "the application applies PRAGMA key before wrapping");
	ladder_db_close(db);
	sqlite3_close(handle);

	assert_int_equal(sqlite3_open(path, &handle), SQLITE_OK);
	assert_int_equal(sqlite3_exec(handle, "PRAGMA key = '" PASSPHRASE "'", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(ladder_sqlite_wrap(&db, handle, NULL), 0);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	sqlite3_close(handle);
	assert_int_equal(raw_step(path, PASSPHRASE, "SELECT max(version) FROM ladder_history", &version), SQLITE_ROW);
	assert_int_equal(version, 3);
	ladder_plan_free(plan);
}

/* A file in SQLCipher 3's format (its defaults: SHA-1, 64,000 PBKDF2
 * iterations, 1024-byte pages): libladder's key applies SQLCipher 4's
 * defaults and is refused; an application that sets the compatibility on
 * its own handle and wraps it is served, and the file stays in format 3. */
static void sqlcipher3_file_through_a_wrapped_handle(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/v3.db", tu_tmpdir()));
	ladder_plan *plan = tu_plan(steps_dir);
	char before[65], after[65];
	struct timespec t1, t2;
	sqlite3 *handle = NULL;
	ladder_db *db = NULL;
	int64_t version = 0;
	(void)state;

	unlink(path);
	assert_int_equal(sqlite3_open(path, &handle), SQLITE_OK);
	assert_int_equal(sqlite3_exec(handle,
	                              "PRAGMA key = '" PASSPHRASE "'; PRAGMA cipher_compatibility = 3;"
	                              "CREATE TABLE kept (id INTEGER PRIMARY KEY); PRAGMA user_version = 1;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(handle);
	tu_file_fingerprint(path, before, &t1);
	assert_open_refused(path, PASSPHRASE, "not in this SQLCipher's format");
	tu_file_fingerprint(path, after, &t2);
	assert_string_equal(before, after);

	assert_int_equal(sqlite3_open(path, &handle), SQLITE_OK);
	assert_int_equal(sqlite3_exec(handle, "PRAGMA key = '" PASSPHRASE "'; PRAGMA cipher_compatibility = 3;", NULL,
	                              NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(ladder_sqlite_wrap(&db, handle, &(ladder_open_options){.version = 3, .store = "user_version"}),
	                 0);
	assert_int_equal(tu_up(db, plan, 0), 0);
	ladder_db_close(db);
	sqlite3_close(handle);
	assert_int_equal(raw_step(path, PASSPHRASE, "PRAGMA user_version", &version), SQLITE_NOTADB);
	assert_int_equal(sqlite3_open(path, &handle), SQLITE_OK);
	assert_int_equal(sqlite3_exec(handle, "PRAGMA key = '" PASSPHRASE "'; PRAGMA cipher_compatibility = 3;", NULL,
	                              NULL, NULL),
	                 SQLITE_OK);
	{
		sqlite3_stmt *stmt = NULL;
		assert_int_equal(sqlite3_prepare_v2(handle, "PRAGMA user_version", -1, &stmt, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int64(stmt, 0), 3);
		sqlite3_finalize(stmt);
	}
	sqlite3_close(handle);
	ladder_plan_free(plan);
}

typedef struct opener {
	const char *path;
	const ladder_plan *plan;
} opener;

/* In a child: open with the key, migrate; exit with the steps applied
 * (100 on failure). */
static int open_and_migrate(int i, void *ctx)
{
	opener *o = ctx;
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_result result;
	ladder_db *db = NULL;
	int rc;
	(void)i;

	opts.sqlite_key = RAW_KEY;
	opts.store = "user_version";
	if (ladder_db_open(&db, o->path, &opts) < 0)
		return 100;
	rc = ladder_migrate(&result, db, o->plan, NULL);
	ladder_db_close(db);
	return rc < 0 ? 100 : (int)result.applied;
}

static void many_openers_of_one_encrypted_file(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/many.db", tu_tmpdir()));
	ladder_plan *plan = tu_plan(steps_dir);
	opener o = {path, plan};
	int statuses[32], appliers = 0;
	int64_t version = 0;
	(void)state;

	make_encrypted(path, RAW_KEY, 0);
	assert_int_equal(tu_fork_many(32, open_and_migrate, &o, statuses), 1);
	for (int i = 0; i < 32; i++) {
		int code = WIFEXITED(statuses[i]) ? WEXITSTATUS(statuses[i]) : -1;
		if (code != 0 && code != 3)
			fail_msg("opener %d exited %d", i, code);
		appliers += code == 3;
	}
	assert_int_equal(appliers, 1);
	assert_int_equal(raw_step(path, RAW_KEY, "PRAGMA user_version", &version), SQLITE_ROW);
	assert_int_equal(version, 3);
	ladder_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(this_sqlite_is_sqlcipher),
		cmocka_unit_test(fresh_file_is_created_encrypted),
		cmocka_unit_test(legacy_file_is_migrated_in_place),
		cmocka_unit_test(current_file_opens_with_zero_writes),
		cmocka_unit_test(wrong_or_missing_key_changes_nothing),
		cmocka_unit_test(empty_key_and_keyed_wrap_are_refused),
		cmocka_unit_test(wrapped_handle_keyed_by_the_application),
		cmocka_unit_test(sqlcipher3_file_through_a_wrapped_handle),
		cmocka_unit_test(many_openers_of_one_encrypted_file),
	};
	steps_dir = tu_keep(tu_table_steps_dir(3, "INTEGER", "TEXT"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
