/*
 * sqlite_driver.c — the SQLite driver: connecting by URL, wrapping an
 * application's handle, running migration text, transactions and the
 * foreign-key switch used by table rebuilds, and the ops table. The file
 * itself is sqlite_file.c's, the lock file sqlite_lock.c's, the version
 * stores sqlite_store.c's, what lint reads of a step sqlite_lint.c's.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* strdup under -std=c11 */
#endif

#include "sqlite_internal.h"
#include "sqlite_query.h"
#include "ladder/sqlite.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS 60000

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

/* SQLITE_NOTADB is what SQLCipher answers the first read of a file it
 * cannot decrypt, and what SQLite answers the first read of an encrypted
 * file: say which of the two this connection is in. */
static int not_a_database(ladder_sqlite_conn *conn)
{
	if (conn->key != NULL)
		return ladder_error_set(LADDER_EDB,
		                        "'%s': the key given does not open it: a wrong key, or a file that is not "
		                        "encrypted, not in this SQLCipher's format, or not a database",
		                        conn->path);
	return ladder_error_set(LADDER_EDB, "'%s': file is encrypted, or not a database: a key is needed%s", conn->path,
	                        conn->owned ? "" : " (the application applies PRAGMA key before wrapping the handle)");
}

int ladder_sqlite__error(ladder_sqlite_conn *conn, int rc)
{
	if ((rc & 0xff) == SQLITE_NOTADB)
		return not_a_database(conn);
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

static void conn_free(ladder_sqlite_conn *conn)
{
	if (conn == NULL)
		return;
	ladder_sqlite__store_close(conn);
	sqlite3_close_v2(conn->lint_probe);
	ladder_sqlite__remove_if_unused(conn);
	ladder_sqlite__release_lock(conn);
	/* close_v2: should a statement still be open, the handle is freed when
	 * it is finalized instead of leaking. */
	if (conn->owned && conn->db != NULL)
		sqlite3_close_v2(conn->db);
	for (size_t i = 0; i < conn->nstale; i++)
		sqlite3_close_v2(conn->stale[i]);
	ladder_free(conn->stale);
	if (conn->key != NULL)
		ladder_wipe(conn->key, strlen(conn->key));
	ladder_free(conn->key);
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
	if (opts != NULL && opts->sqlite_key != NULL) {
		if (opts->sqlite_key[0] == '\0') {
			error = ladder_error_set(LADDER_EINVALID, "'%s': the key given is empty", path);
			goto done;
		}
		if ((conn->key = ladder_strdup(opts->sqlite_key)) == NULL) {
			error = ladder_error_set(LADDER_ENOMEM, "out of memory opening '%s'", path);
			goto done;
		}
	}
	if ((error = ladder_sqlite__open_handle(conn)) < 0)
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
	if (opts != NULL && opts->sqlite_key != NULL)
		return ladder_error_set(LADDER_EINVALID,
		                        "ladder_sqlite_wrap: a wrapped handle is keyed by its application (PRAGMA key "
		                        "before wrapping it); sqlite_key is for ladder_db_open");
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
size_t ladder_sqlite__error_offset(sqlite3 *db, const char *sql, size_t len, size_t start)
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
			*err_offset = ladder_sqlite__error_offset(conn->db, sql, len, start);
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
		if (!write || !ladder_sqlite__path_moved(conn->db))
			return rc == SQLITE_OK ? 0 : ladder_sqlite__error(conn, rc);
		if (!sqlite3_get_autocommit(conn->db))
			sqlite3_exec(conn->db, "ROLLBACK", NULL, NULL, NULL);
		if (attempt == REOPEN_MAX)
			return ladder_error_set(LADDER_EIO, "'%s' kept being removed or replaced while opening it; nothing "
			                                    "was changed",
			                        conn->path);
		if ((error = ladder_sqlite__reopen(conn)) < 0)
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
	.lock = ladder_sqlite__lock,
	.unlock = ladder_sqlite__unlock,
	.lock_holder = ladder_sqlite__lock_holder,
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
	.table_size = ladder_sqlite__table_size,
};

static const char *const sqlite_schemes[] = {"sqlite:", "sqlite3:", NULL};

const ladder_driver ladder_sqlite_driver = {
	.version = LADDER_DRIVER_VERSION,
	.name = "sqlite",
	.schemes = sqlite_schemes,
	.caps = LADDER_DRIVER_USER_VERSION | LADDER_DRIVER_ENDS_TX_ON_ERROR | LADDER_DRIVER_PATHS |
	        LADDER_DRIVER_ACTIONS_RUN,
	.connect = sqlite_connect,
	.wrap = sqlite_wrap,
	.read_actions = ladder_sqlite__read_actions,
	.ops = &sqlite_ops,
};
