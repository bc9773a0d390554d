/*
 * engine_sqlite.c — the SQLite fixture of engine.h: each database is a file
 * in one scratch directory, looked at through sqlite3 directly; the
 * migration lock is the write lock (BEGIN IMMEDIATE) and, for runs that
 * commit more than once, the lock file beside the database.
 */
#define _GNU_SOURCE
#include "engine.h"

#include <fcntl.h>
#include <ladder/sqlite.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* File timestamps move in clock ticks (at most 10 ms on Linux): wait longer
 * than one before a mark, so a write after it shows in the mtime. */
#define MTIME_TICK_US (20 * 1000)

static const char *path_of(const char *url)
{
	return strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
}

static const char *sqlite_fresh(const char *tag)
{
	static const char *dir;
	static int counter;

	if (dir == NULL)
		dir = tu_tmpdir();
	return tu_keep(tu_fmt("sqlite:%s/%s-%d.db", dir, tag, ++counter));
}

static void sqlite_drop(const char *url)
{
	unlink(path_of(url));
}

static void sqlite_rows(const char *url, const char *sql, tu_buf *out)
{
	sqlite3 *db = tu_sqlite(path_of(url));
	tu_sqlite_rows(db, sql, out);
	sqlite3_close(db);
}

static void sqlite_exec(const char *url, const char *sql)
{
	sqlite3 *db = tu_sqlite(path_of(url));
	char *message = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
		fail_msg("%s: %s", sql, message);
	sqlite3_close(db);
}

static char *sqlite_snapshot(const char *url)
{
	return tu_snapshot(path_of(url));
}

static char *sqlite_write_mark(const char *url)
{
	char hex[65];
	struct timespec mtime;
	char *mark;

	usleep(MTIME_TICK_US);
	tu_file_fingerprint(path_of(url), hex, &mtime);
	assert_true(asprintf(&mark, "sha256 %s mtime %lld.%09ld", hex, (long long)mtime.tv_sec, mtime.tv_nsec) > 0);
	return mark;
}

static int64_t sqlite_locks_held(const char *url)
{
	const char *path = path_of(url);
	sqlite3 *db = tu_sqlite(path);
	int held = 0, fd;

	sqlite3_busy_timeout(db, 0);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	else
		held = 1;
	sqlite3_close(db);
	/* the lock file is named in ladder's "another migrator holds the lock" */
	fd = open(tu_fmt("%s-ladder-lock", path), O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) != 0)
			held = 1;
		close(fd); /* lets go of ours, never of another descriptor's */
	}
	return held;
}

static void sqlite_assert_sound(const char *url)
{
	tu_assert_rows(&tu_sqlite_engine, url, "PRAGMA integrity_check", "ok\n");
	assert_int_equal(sqlite_locks_held(url), 0);
}

static void *sqlite_hold_lock(const char *url)
{
	sqlite3 *db = tu_sqlite(path_of(url));
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("BEGIN IMMEDIATE on %s: %s", url, sqlite3_errmsg(db));
	return db;
}

static void sqlite_release_lock(void *holder)
{
	assert_int_equal(sqlite3_exec(holder, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(holder);
}

static ladder_db *sqlite_wrap(const char *url, const ladder_open_options *opts, void **native)
{
	sqlite3 *raw = tu_sqlite(path_of(url));
	ladder_db *db = NULL;

	if (ladder_sqlite_wrap(&db, raw, opts) < 0)
		fail_msg("wrapping %s: %s", url, ladder_error_last()->message);
	*native = raw;
	return db;
}

static int sqlite_native_exec(void *native, const char *sql)
{
	if (sqlite3_exec(native, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ladder_error_set(LADDER_EMIGRATION, "%s: %s", sql, sqlite3_errmsg(native));
	return 0;
}

static int sqlite_native_in_transaction(void *native)
{
	return !sqlite3_get_autocommit(native);
}

static void sqlite_native_close(void *native)
{
	assert_int_equal(sqlite3_close(native), SQLITE_OK);
}

tu_engine tu_sqlite_engine = {
	.id = TU_SQLITE,
	.name = "sqlite",
	.caps = TU_ONE_FILE,
	.fresh = sqlite_fresh,
	.drop = sqlite_drop,
	.rows = sqlite_rows,
	.exec = sqlite_exec,
	.snapshot = sqlite_snapshot,
	.write_mark = sqlite_write_mark,
	.locks_held = sqlite_locks_held,
	.assert_sound = sqlite_assert_sound,
	.hold_lock = sqlite_hold_lock,
	.release_lock = sqlite_release_lock,
	.wrap = sqlite_wrap,
	.native_exec = sqlite_native_exec,
	.native_in_transaction = sqlite_native_in_transaction,
	.native_close = sqlite_native_close,
	.catalog = "SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
	.serial_type = "INTEGER",
	.concurrent_index = "CREATE INDEX",
	.lone_object = "CREATE VIEW lone AS SELECT 1 AS one",
	/* about two seconds: long enough to be caught in the middle */
	.slow_statement = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000) "
	                  "SELECT count(*) FROM c",
	.fleet = 32,
	.crash_steps = 300,
	.crash_trials = 40,
};
