/*
 * sqlite_driver.c — the SQLite driver: opening (and privately creating, or
 * with LADDER_OPEN_NO_CREATE never creating) database files, and removing a
 * created one nothing was committed to, wrapping an application's handle,
 * running migration text,
 * transactions, the lock file for runs that commit more than once, and the
 * foreign-key switch used by table rebuilds. The version stores live in
 * sqlite_store.c.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* flock, strdup, nanosleep under -std=c11 */
#endif

#include "sqlite_internal.h"
#include "sqlite_query.h"
#include "ladder/sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 60000
#define LOCK_SUFFIX "-ladder-lock"
#define LOCK_POLL_MAX_MS 50

/* --- errors ------------------------------------------------------------------ */

int ladder_sqlite__code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return LADDER_ELOCKED;
	case SQLITE_NOMEM:
		return LADDER_ENOMEM;
	default:
		return LADDER_EDB;
	}
}

int ladder_sqlite__error(ladder_sqlite_conn *conn, int rc)
{
	return ladder_error_set(ladder_sqlite__code(rc), "'%s': %s", conn->path, sqlite3_errmsg(conn->db));
}

int ladder_sqlite__no_such_table(sqlite3 *db, int rc)
{
	/* SQLite has no result code of its own for this; its message has read
	 * "no such table: NAME" since the first releases. */
	return (rc & 0xff) == SQLITE_ERROR && strncmp(sqlite3_errmsg(db), "no such table", 13) == 0;
}

/* --- the connection ------------------------------------------------------------- */

static int conn_new(ladder_sqlite_conn **out, const char *path, int owned)
{
	ladder_sqlite_conn *conn = ladder_calloc(1, sizeof(*conn));

	*out = NULL;
	if (conn == NULL || (conn->path = ladder_strdup(path)) == NULL ||
	    (conn->display = ladder_mprintf("sqlite:%s", path)) == NULL) {
		if (conn != NULL)
			ladder_free(conn->path);
		ladder_free(conn);
		return ladder_error_set(LADDER_ENOMEM, "out of memory opening '%s'", path);
	}
	conn->base.driver = &ladder_sqlite_driver;
	conn->owned = owned;
	conn->lock_fd = -1;
	*out = conn;
	return 0;
}

/* The lock file goes with the lock: removed while still held, so that a
 * waiter that then gets the lock on the removed file sees it is gone and
 * opens the path again (sqlite_lock), and no empty file stays beside the
 * database. */
static void release_lock(ladder_sqlite_conn *conn)
{
	if (conn->lock_fd < 0)
		return;
	if (conn->lock_path != NULL)
		unlink(conn->lock_path);
	flock(conn->lock_fd, LOCK_UN);
	close(conn->lock_fd);
	conn->lock_fd = -1;
	ladder_free(conn->lock_path);
	conn->lock_path = NULL;
}

/* Is fd still the file at path (not removed by the holder we waited on)? */
static int still_linked(int fd, const char *path)
{
	struct stat held, named;
	return fstat(fd, &held) == 0 && stat(path, &named) == 0 && held.st_dev == named.st_dev &&
	       held.st_ino == named.st_ino;
}

static int exists_beside(const char *file, const char *suffix)
{
	char *path = ladder_mprintf("%s%s", file, suffix);
	int found = path == NULL || access(path, F_OK) == 0; /* unsure: say yes */

	ladder_free(path);
	return found;
}

/* Does the path no longer name the file this handle has open (removed or
 * replaced)? SQLite compares the inode it holds with the path's. */
static int path_moved(sqlite3 *db)
{
	int moved = 0;
	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK)
		return 0; /* in memory, or a VFS that cannot tell */
	return moved;
}

/* A failed first run must not leave a new empty file behind. The file this
 * connection created is removed if nothing was ever committed to it (still
 * 0 bytes, no journal or WAL beside it), and only while holding its write
 * lock: a writer inside a transaction makes BEGIN IMMEDIATE fail, and a
 * writer that commits first makes the file non-empty. Another ladder
 * connection that opened the path meanwhile and waits for that lock gets
 * it on the removed file, sees the path moved, and opens the path again
 * (sqlite_begin); any other writer's transaction on it fails with
 * SQLITE_READONLY_DBMOVED instead of vanishing (SQLite checks this before
 * it writes a rollback journal). The journal of this last transaction is
 * kept in memory: BEGIN IMMEDIATE on an empty file starts writing page 1,
 * and a journal file here would outlive the database. */
static void remove_if_unused(ladder_sqlite_conn *conn)
{
	sqlite3_stmt *stmt = NULL;
	const char *file;
	struct stat st;
	int memory;

	if (!conn->owned || !conn->created || conn->db == NULL || !sqlite3_get_autocommit(conn->db))
		return;
	file = sqlite3_db_filename(conn->db, "main");
	if (file == NULL || file[0] == '\0' || stat(file, &st) != 0 || st.st_size != 0 ||
	    exists_beside(file, "-journal") || exists_beside(file, "-wal"))
		return;
	if (sqlite3_prepare_v2(conn->db, "PRAGMA journal_mode = MEMORY", -1, &stmt, NULL) != SQLITE_OK)
		return;
	memory = sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != NULL &&
	         strcmp((const char *)sqlite3_column_text(stmt, 0), "memory") == 0;
	sqlite3_finalize(stmt);
	sqlite3_busy_timeout(conn->db, 0);
	if (!memory || sqlite3_exec(conn->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return;
	if (!path_moved(conn->db) && stat(file, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 &&
	    !exists_beside(file, "-wal"))
		unlink(file);
	sqlite3_exec(conn->db, "ROLLBACK", NULL, NULL, NULL);
}

static void conn_free(ladder_sqlite_conn *conn)
{
	if (conn == NULL)
		return;
	ladder_sqlite__store_close(conn);
	remove_if_unused(conn);
	release_lock(conn);
	/* close_v2: should a statement still be open, the handle is freed when
	 * it is finalized instead of leaking. */
	if (conn->owned && conn->db != NULL)
		sqlite3_close_v2(conn->db);
	for (size_t i = 0; i < conn->nstale; i++)
		sqlite3_close_v2(conn->stale[i]);
	ladder_free(conn->stale);
	ladder_free(conn->path);
	ladder_free(conn->display);
	ladder_free(conn);
}

static int timeout_from(const ladder_open_options *opts)
{
	if (opts == NULL)
		return DEFAULT_TIMEOUT_MS;
	return opts->lock_timeout_ms > 0 ? opts->lock_timeout_ms : 0;
}

static void set_busy_timeout(ladder_sqlite_conn *conn, int timeout_ms)
{
	conn->busy_timeout_ms = timeout_ms;
	sqlite3_busy_timeout(conn->db, timeout_ms);
}

/* Why `path` cannot be created (errno `saved`): its folder is missing, or
 * the system's reason. */
static int cannot_create(const char *path, int saved)
{
	struct stat st;
	char *dir = ladder_strdup(path);
	char *slash;
	int error;

	if (dir == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory opening '%s'", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (saved == ENOENT && stat(dir, &st) != 0)
		error = ladder_error_set(LADDER_EIO, "cannot create database '%s': directory '%s' does not exist", path,
		                         dir);
	else
		error = ladder_error_set(LADDER_EIO, "cannot create database '%s': %s", path, strerror(saved));
	ladder_free(dir);
	return error;
}

/* Create a missing database file ourselves so that it is readable by its
 * owner only: SQLite would create it with 0644, and its journal and WAL
 * files inherit the database file's mode. *created = 1 when this call made
 * it (and so may remove it again if nothing is ever committed). */
static int create_private(const char *path, int *created)
{
	struct stat st;
	int fd, saved;

	*created = 0;
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		*created = 1;
		return 0;
	}
	saved = errno;
	/* EEXIST: it exists, or a racing process just made it; either is fine.
	 * Other failures (a read-only file system) may still leave an existing
	 * file that SQLite can open. */
	if (saved == EEXIST || stat(path, &st) == 0)
		return 0;
	return cannot_create(path, saved);
}

/* LADDER_OPEN_NO_CREATE: *missing = 1 when path does not exist, to be
 * read as a new, empty database in memory; refused where creating it would
 * be (a missing folder). */
static int find_without_creating(const char *path, int *missing)
{
	struct stat st;
	const char *slash = strrchr(path, '/');
	char *dir;
	int error = 0;

	*missing = 0;
	if (stat(path, &st) == 0 || errno != ENOENT)
		return 0; /* what SQLite then says of it is what `up` would meet */
	*missing = 1;
	if (slash == NULL || slash == path)
		return 0;
	if ((dir = ladder_strndup(path, (size_t)(slash - path))) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory opening '%s'", path);
	if (stat(dir, &st) != 0)
		error = cannot_create(path, ENOENT);
	ladder_free(dir);
	return error;
}

/* The path in "sqlite:PATH", "sqlite3:PATH", "sqlite:///abs/path", "PATH". */
static const char *path_of(const char *url)
{
	const char *path = url;
	if (strncmp(url, "sqlite:", 7) == 0)
		path = url + 7;
	else if (strncmp(url, "sqlite3:", 8) == 0)
		path = url + 8;
	else
		return url;
	if (strncmp(path, "//", 2) == 0)
		path += 2;
	return path;
}

/* Open conn->path into conn->db, creating a missing file privately unless
 * the connection must find it existing, or must not create it (a missing
 * file is then an empty database in memory, named by its path). Nothing is
 * read here: a corrupt file is reported by the first query, and the no-op
 * run stays one small read. */
static int open_handle(ladder_sqlite_conn *conn)
{
	const char *path = conn->path;
	int rc, error = 0, missing = 0, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	conn->created = 0;
	if (strcmp(path, ":memory:") == 0) {
		/* nothing on disk to find or make */
	} else if (conn->must_exist) {
		struct stat st;
		if (stat(path, &st) != 0)
			return ladder_error_set(LADDER_EIO, "database '%s' does not exist", path);
	} else if (conn->no_create) {
		if ((error = find_without_creating(path, &missing)) < 0)
			return error;
		if (!missing)
			flags = SQLITE_OPEN_READWRITE;
	} else if ((error = create_private(path, &conn->created)) < 0) {
		return error;
	}
	rc = sqlite3_open_v2(missing ? ":memory:" : path, &conn->db, flags, NULL);
	if (rc != SQLITE_OK)
		return ladder_error_set((rc & 0xff) == SQLITE_CANTOPEN ? LADDER_EIO : ladder_sqlite__code(rc),
		                        "cannot open database '%s': %s", path,
		                        conn->db ? sqlite3_errmsg(conn->db) : sqlite3_errstr(rc));
	sqlite3_busy_timeout(conn->db, conn->busy_timeout_ms);
	return 0;
}

static int sqlite_connect(ladder_conn **out, const char *url, const ladder_open_options *opts)
{
	const char *path = path_of(url);
	ladder_sqlite_conn *conn = NULL;
	int error;

	*out = NULL;
	if (path[0] == '\0') {
		error = ladder_error_set(LADDER_EINVALID, "'%s': no database file path", url);
		goto done;
	}
	if ((error = conn_new(&conn, path, 1)) < 0)
		goto done;
	conn->must_exist = opts != NULL && (opts->flags & LADDER_OPEN_EXISTING);
	conn->no_create = opts != NULL && (opts->flags & LADDER_OPEN_NO_CREATE);
	conn->busy_timeout_ms = timeout_from(opts);
	if ((error = open_handle(conn)) < 0)
		goto done;
	*out = &conn->base;
	conn = NULL;
done:
	conn_free(conn);
	return error;
}

/* The core has checked the options first: a refused handle is left as it
 * came. */
static int sqlite_wrap(ladder_conn **out, void *native, const ladder_open_options *opts)
{
	sqlite3 *handle = native;
	ladder_sqlite_conn *conn = NULL;
	const char *file = sqlite3_db_filename(handle, "main");
	int error;

	*out = NULL;
	if ((error = conn_new(&conn, file && file[0] ? file : ":memory:", 0)) < 0)
		return error;
	conn->db = handle;
	set_busy_timeout(conn, timeout_from(opts));
	*out = &conn->base;
	return 0;
}

int ladder_sqlite_wrap(ladder_db **out, struct sqlite3 *handle, const ladder_open_options *opts)
{
	return ladder_db_wrap(out, "sqlite", handle, opts);
}

static void sqlite_close(ladder_conn *base)
{
	conn_free((ladder_sqlite_conn *)base);
}

static void *sqlite_native(ladder_conn *base)
{
	return ((ladder_sqlite_conn *)base)->db;
}

static const char *sqlite_display(ladder_conn *base)
{
	return ((ladder_sqlite_conn *)base)->display;
}

/* --- running text ---------------------------------------------------------------- */

/* Where in the text SQLite's complaint points, given the statement that
 * began at `start`: the token it names, else the statement's first token. */
static size_t prepare_error_offset(sqlite3 *db, const char *sql, size_t len, size_t start)
{
#if SQLITE_VERSION_NUMBER >= 3038000
	int offset = sqlite3_error_offset(db);
	if (offset >= 0 && start + (size_t)offset <= len)
		return start + (size_t)offset;
#else
	(void)db;
#endif
	return ladder_text_skip_blank(sql, len, start);
}

static int sqlite_exec(ladder_conn *base, const char *sql, size_t len, unsigned int flags, size_t *err_offset)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	sqlite3_stmt *stmt = NULL;
	const char *p = sql;
	const char *end = sql + len;
	const char *tail;
	int rc, error = 0;

	/* LADDER_EXEC_SEPARATE needs nothing here: outside a transaction every
	 * SQLite statement commits on its own, and any text SQLite can run it
	 * can run statement by statement (LADDER_EXEC_CHECK). */
	*err_offset = SIZE_MAX;
	if (flags & LADDER_EXEC_CHECK)
		return 0;
	if (len > INT_MAX) {
		error = ladder_error_set(LADDER_EINVALID, "%zu bytes of SQL is more than SQLite reads at once", len);
		goto done;
	}
	while (p < end) {
		size_t start = (size_t)(p - sql);

		/* The text need not end in a NUL at len: give the byte count. */
		tail = NULL;
		rc = sqlite3_prepare_v2(conn->db, p, (int)(end - p), &stmt, &tail);
		if (rc != SQLITE_OK) {
			*err_offset = prepare_error_offset(conn->db, sql, len, start);
			error = ladder_error_set(ladder_sqlite__code(rc), "%s", sqlite3_errmsg(conn->db));
			goto done;
		}
		if (tail == NULL || tail <= p) /* nothing consumed: only a blank tail was left */
			break;
		p = tail;
		if (stmt == NULL) /* white space or a comment */
			continue;
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
			;
		if (rc != SQLITE_DONE) {
			*err_offset = ladder_text_skip_blank(sql, len, start);
			error = ladder_error_set(ladder_sqlite__code(rc), "%s", sqlite3_errmsg(conn->db));
			goto done;
		}
		sqlite3_finalize(stmt);
		stmt = NULL;
	}
done:
	sqlite3_finalize(stmt);
	return error;
}

/* --- transactions ----------------------------------------------------------------- */

#define REOPEN_MAX 8

/* The path names another file than the one this connection has open: a
 * run that created it and failed removed it (remove_if_unused), or someone
 * replaced it. Open the path again, keeping the old handle alive for an
 * application that holds it and the foreign-key switch as it was. No
 * transaction is open. */
static int reopen(ladder_sqlite_conn *conn)
{
	struct stat st;
	sqlite3 **grown;
	sqlite3 *old = conn->db;
	int fk_on = 0, error;

	if (!conn->owned)
		return ladder_error_set(LADDER_EIO,
		                        "'%s': the file this handle has open was removed or replaced at its path (by "
		                        "another process, e.g. a failed run that had created it): open the path again; "
		                        "nothing was changed",
		                        conn->path);
	/* Only what a failed first run leaves: no file, or a new empty one. A
	 * database put in its place was judged by nobody (its history, another
	 * tool's table): the run stops rather than migrate it unread. */
	if (stat(conn->path, &st) == 0 && st.st_size > 0)
		return ladder_error_set(LADDER_EIO,
		                        "'%s' was replaced by another database file while ladder had it open; nothing "
		                        "was changed: run again to judge the new file",
		                        conn->path);
	if ((grown = ladder_realloc(conn->stale, (conn->nstale + 1) * sizeof(*grown))) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reopening '%s'", conn->path);
	conn->stale = grown;
	sqlite3_db_config(old, SQLITE_DBCONFIG_ENABLE_FKEY, -1, &fk_on);
	ladder_sqlite__store_close(conn);
	conn->db = NULL;
	if ((error = open_handle(conn)) < 0) {
		if (conn->db != NULL)
			sqlite3_close_v2(conn->db);
		conn->db = old;
		return error;
	}
	conn->stale[conn->nstale++] = old;
	sqlite3_db_config(conn->db, SQLITE_DBCONFIG_ENABLE_FKEY, fk_on, NULL);
	return 0;
}

static int sqlite_begin(ladder_conn *base, int write, int wait_ms)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	int rc, error;

	for (int attempt = 0;; attempt++) {
		/* IMMEDIATE takes the write lock now, so the busy timeout does the
		 * waiting here rather than a deadlock surfacing at the first write. */
		if (!write) {
			rc = sqlite3_exec(conn->db, "BEGIN", NULL, NULL, NULL);
		} else {
			sqlite3_busy_timeout(conn->db, wait_ms);
			rc = sqlite3_exec(conn->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
			sqlite3_busy_timeout(conn->db, conn->busy_timeout_ms);
		}
		if ((rc & 0xff) == SQLITE_BUSY)
			return ladder_error_set(LADDER_ELOCKED, "timed out after %d ms waiting for the write lock on '%s'",
			                        wait_ms, conn->path);
		/* With the write lock (or refused it: SQLITE_READONLY_DBMOVED),
		 * make sure it is the path's file: what is committed to a removed
		 * one is lost (remove_if_unused). */
		if (!write || !path_moved(conn->db))
			return rc == SQLITE_OK ? 0 : ladder_sqlite__error(conn, rc);
		if (!sqlite3_get_autocommit(conn->db))
			sqlite3_exec(conn->db, "ROLLBACK", NULL, NULL, NULL);
		if (attempt == REOPEN_MAX)
			return ladder_error_set(LADDER_EIO, "'%s' kept being removed or replaced while opening it; nothing "
			                                    "was changed",
			                        conn->path);
		if ((error = reopen(conn)) < 0)
			return error;
	}
}

static int sqlite_commit(ladder_conn *base)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	int rc = sqlite3_exec(conn->db, "COMMIT", NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		return 0;
	/* In rollback-journal mode readers can keep a commit waiting; the
	 * transaction stays open for the caller to roll back. */
	if ((rc & 0xff) == SQLITE_BUSY)
		return ladder_error_set(LADDER_ELOCKED, "timed out after %d ms waiting for readers of '%s' to let the commit through",
		                        conn->busy_timeout_ms, conn->path);
	return ladder_sqlite__error(conn, rc);
}

static int sqlite_rollback(ladder_conn *base)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	int rc;

	/* SQLite may already have rolled back on its own (after SQLITE_FULL,
	 * SQLITE_IOERR, ...); ROLLBACK would then fail. */
	if (sqlite3_get_autocommit(conn->db))
		return 0;
	rc = sqlite3_exec(conn->db, "ROLLBACK", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : ladder_sqlite__error(conn, rc);
}

static int sqlite_in_transaction(ladder_conn *base)
{
	return !sqlite3_get_autocommit(((ladder_sqlite_conn *)base)->db);
}

/* --- the lock file ------------------------------------------------------------------ */

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The holder's pid in the lock file, for waiters to name it. */
static void record_holder(int fd)
{
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) != len)
		(void)ftruncate(fd, 0);
}

/* A separate file, never the database: closing any descriptor of the
 * database file would drop every POSIX lock SQLite holds on it in this
 * process. flock() locks are independent of SQLite's fcntl() locks, and die
 * with the process, so a crashed migrator never leaves the lock held. The
 * holder removes the file as it lets go (release_lock); a waiter that then
 * locks the removed file sees it is gone and opens the path again. */
static int sqlite_lock(ladder_conn *base, const ladder_store *store, int timeout_ms)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	const char *file = sqlite3_db_filename(conn->db, "main");
	struct timespec start;
	char *lock_path = NULL;
	long delay_ms = 1, waited;
	int fd = -1, error = 0;

	(void)store;
	/* An in-memory or temporary database has no other process to fend off. */
	if (conn->lock_fd >= 0 || file == NULL || file[0] == '\0')
		goto done;
	if ((lock_path = ladder_malloc(strlen(file) + sizeof(LOCK_SUFFIX))) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory locking '%s'", conn->path);
		goto done;
	}
	sprintf(lock_path, "%s%s", file, LOCK_SUFFIX);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (fd < 0 && (fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
			error = ladder_error_set(LADDER_EIO, "cannot open the lock file '%s': %s", lock_path, strerror(errno));
			goto done;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (still_linked(fd, lock_path))
				break;
			/* the holder removed it as it let go: take the path's new file */
			close(fd);
			fd = -1;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			error = ladder_error_set(LADDER_EIO, "cannot lock '%s': %s", lock_path, strerror(errno));
			goto done;
		}
		waited = elapsed_ms(&start);
		if (waited >= timeout_ms) {
			error = ladder_error_set(LADDER_ELOCKED, "another migrator holds the lock '%s' (waited %ld ms)",
			                         lock_path, waited);
			goto done;
		}
		sleep_ms(delay_ms < timeout_ms - waited ? delay_ms : timeout_ms - waited);
		delay_ms = delay_ms * 2 > LOCK_POLL_MAX_MS ? LOCK_POLL_MAX_MS : delay_ms * 2;
	}
	record_holder(fd);
	conn->lock_fd = fd;
	conn->lock_path = lock_path;
	lock_path = NULL;
	fd = -1;
done:
	if (fd >= 0)
		close(fd);
	ladder_free(lock_path);
	return error;
}

/* A migrator holding the lock file recorded its pid there; a connection
 * that holds only SQLite's write lock cannot be named. */
static void sqlite_lock_holder(ladder_conn *base, const ladder_store *store, char *out, size_t len)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	const char *file = sqlite3_db_filename(conn->db, "main");
	char *lock_path, text[32];
	ssize_t got = -1;
	long pid;
	int fd;

	(void)store;
	if (file == NULL || file[0] == '\0' || (lock_path = ladder_mprintf("%s%s", file, LOCK_SUFFIX)) == NULL)
		return;
	if ((fd = open(lock_path, O_RDONLY | O_CLOEXEC)) >= 0) {
		got = read(fd, text, sizeof(text) - 1);
		close(fd);
	}
	ladder_free(lock_path);
	if (got <= 0)
		return;
	text[got] = '\0';
	pid = strtol(text, NULL, 10);
	if (pid > 0 && pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
		snprintf(out, len, "pid %ld", pid);
}

static int sqlite_unlock(ladder_conn *base, const ladder_store *store)
{
	(void)store;
	release_lock((ladder_sqlite_conn *)base);
	return 0;
}

/* --- schema questions ------------------------------------------------------------------ */

static int sqlite_is_empty(ladder_conn *base, const ladder_store *store, int *empty)
{
	/* sqlite_master rather than its newer alias sqlite_schema (3.33+).
	 * Identifiers compare ASCII-case-insensitively in SQLite, hence NOCASE. */
	static const char sql[] = "SELECT 1 FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
	                          "AND (?1 IS NULL OR tbl_name <> ?1 COLLATE NOCASE) LIMIT 1";
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	sqlite3_stmt *stmt = NULL;
	int rc, error = 0;

	*empty = 1;
	if ((rc = sqlite3_prepare_v2(conn->db, sql, -1, &stmt, NULL)) != SQLITE_OK) {
		error = ladder_sqlite__error(conn, rc);
		goto done;
	}
	if (store != NULL && store->kind == LADDER_STORE_HISTORY)
		sqlite3_bind_text(stmt, 1, store->table, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*empty = 0;
	else if (rc != SQLITE_DONE)
		error = ladder_sqlite__error(conn, rc);
done:
	sqlite3_finalize(stmt);
	return error;
}

static int sqlite_set_foreign_keys(ladder_conn *base, int on, int *was_on)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	sqlite3_stmt *stmt = NULL;
	int rc, error = 0;

	/* Inside a transaction the pragma is silently a no-op. */
	if (!sqlite3_get_autocommit(conn->db)) {
		error = ladder_error_set(LADDER_EINVALID, "'%s': foreign keys cannot be switched inside a transaction",
		                         conn->path);
		goto done;
	}
	if ((rc = sqlite3_prepare_v2(conn->db, "PRAGMA foreign_keys", -1, &stmt, NULL)) != SQLITE_OK) {
		error = ladder_sqlite__error(conn, rc);
		goto done;
	}
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		error = ladder_sqlite__error(conn, rc);
		goto done;
	}
	*was_on = sqlite3_column_int(stmt, 0) != 0;
	sqlite3_finalize(stmt);
	stmt = NULL;
	rc = sqlite3_exec(conn->db, on ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		error = ladder_sqlite__error(conn, rc);
done:
	sqlite3_finalize(stmt);
	return error;
}

static const char *column_or(sqlite3_stmt *stmt, int col, const char *fallback)
{
	const char *text = (const char *)sqlite3_column_text(stmt, col);
	return text ? text : fallback;
}

static int sqlite_foreign_key_check(ladder_conn *base)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	sqlite3_stmt *stmt = NULL;
	char table[LADDER_NAME_MAX] = "", parent[LADDER_NAME_MAX] = "", row[32] = "";
	long count = 0;
	int rc, error = 0;

	if ((rc = sqlite3_prepare_v2(conn->db, "PRAGMA foreign_key_check", -1, &stmt, NULL)) != SQLITE_OK) {
		error = ladder_sqlite__error(conn, rc);
		goto done;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count++ > 0)
			continue;
		/* Columns: table, rowid (NULL for WITHOUT ROWID), parent, fkid. */
		snprintf(table, sizeof(table), "%s", column_or(stmt, 0, "?"));
		snprintf(row, sizeof(row), "%s", column_or(stmt, 1, "(without rowid)"));
		snprintf(parent, sizeof(parent), "%s", column_or(stmt, 2, "?"));
	}
	if (rc != SQLITE_DONE) {
		error = ladder_sqlite__error(conn, rc);
		goto done;
	}
	if (count == 1)
		error = ladder_error_set(LADDER_ECHECK, "foreign key violation: table %s row %s references %s", table, row,
		                         parent);
	else if (count > 1)
		error = ladder_error_set(LADDER_ECHECK, "foreign key violation: table %s row %s references %s (and %ld more)",
		                         table, row, parent, count - 1);
done:
	sqlite3_finalize(stmt);
	return error;
}

static const ladder_driver_ops sqlite_ops = {
	.close = sqlite_close,
	.native = sqlite_native,
	.display = sqlite_display,
	.exec = sqlite_exec,
	.query_rows = ladder_sqlite__query_rows,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.in_transaction = sqlite_in_transaction,
	.lock = sqlite_lock,
	.unlock = sqlite_unlock,
	.lock_holder = sqlite_lock_holder,
	.is_empty = sqlite_is_empty,
	.set_foreign_keys = sqlite_set_foreign_keys,
	.foreign_key_check = sqlite_foreign_key_check,
	.store_prepare = ladder_sqlite__store_prepare,
	.history_read = ladder_sqlite__history_read,
	.history_write = ladder_sqlite__history_write,
	.history_delete = ladder_sqlite__history_delete,
	.stamp_read = ladder_sqlite__stamp_read,
	.stamp_write = ladder_sqlite__stamp_write,
	.stamp_find = ladder_sqlite__stamp_find,
	.describe = ladder_sqlite__describe,
	.statements = ladder_sqlite__statements,
	.table_has = ladder_sqlite__table_has,
};

static const char *const sqlite_schemes[] = {"sqlite:", "sqlite3:", NULL};

const ladder_driver ladder_sqlite_driver = {
	.version = LADDER_DRIVER_VERSION,
	.name = "sqlite",
	.schemes = sqlite_schemes,
	.caps = LADDER_DRIVER_USER_VERSION | LADDER_DRIVER_ENDS_TX_ON_ERROR | LADDER_DRIVER_PATHS,
	.connect = sqlite_connect,
	.wrap = sqlite_wrap,
	.ops = &sqlite_ops,
};
