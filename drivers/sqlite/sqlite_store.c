/*
 * sqlite_store.c — where an SQLite database records what was applied: a
 * history table (one row per migration, chained by digest) or PRAGMA
 * user_version (the head alone). store_head is the fast path every
 * application start takes, so it reuses one prepared statement kept on the
 * connection and allocates nothing once that statement exists.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* strdup under -std=c11 */
#endif

#include "sqlite_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Table names go through sqlite3_mprintf's %w inside double quotes. */
#define HEAD_SQL "SELECT " LADDER_HISTORY_HEAD_COLUMNS " FROM \"%w\" ORDER BY version DESC LIMIT 1"
#define READ_SQL "SELECT " LADDER_HISTORY_COLUMNS " FROM \"%w\" ORDER BY version"
#define PUT_SQL \
	"INSERT OR REPLACE INTO \"%w\" (" LADDER_HISTORY_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
#define REMOVE_SQL "DELETE FROM \"%w\" WHERE version = ?1"
#define CREATE_SQL                                                                                                 \
	"CREATE TABLE IF NOT EXISTS \"%w\" (version INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, " \
	"checksum TEXT NOT NULL, chain TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('started','done')), "    \
	"applied_at TEXT NOT NULL, duration_ms INTEGER NOT NULL)"

/* PRAGMA user_version is a signed 32-bit header field. */
#define USER_VERSION_MAX INT64_C(2147483647)

/* --- statements ------------------------------------------------------------------ */

/* Prepare fmt (holding one %w) for table. With missing_ok, a table that does
 * not exist is no error: 0 is returned and *stmt left NULL. */
static int prepare_for(ladder_sqlite_conn *conn, const char *fmt, const char *table, unsigned int prep_flags,
                       int missing_ok, sqlite3_stmt **stmt)
{
	char *sql = sqlite3_mprintf(fmt, table);
	int rc, error = 0;

	*stmt = NULL;
	if (sql == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory reading '%s'", conn->path);
		goto done;
	}
	rc = sqlite3_prepare_v3(conn->db, sql, -1, prep_flags, stmt, NULL);
	if (rc == SQLITE_OK || (missing_ok && ladder_sqlite__no_such_table(conn->db, rc)))
		goto done;
	if ((rc & 0xff) == SQLITE_ERROR && strncmp(sqlite3_errmsg(conn->db), "no such column", 14) == 0)
		error = ladder_error_set(LADDER_ESTORE,
		                         "'%s': table '%s' is not a ladder history table (%s)",
		                         conn->path, table, sqlite3_errmsg(conn->db));
	else
		error = ladder_sqlite__error(conn, rc);
done:
	sqlite3_free(sql);
	return error;
}

static void forget(ladder_sqlite_cached *slot)
{
	sqlite3_finalize(slot->stmt);
	slot->stmt = NULL;
	slot->table[0] = '\0';
}

/* The statement cached in slot for table, prepared on first use or when the
 * table differs. A missing table (missing_ok) leaves the slot empty: nothing
 * is cached for it, so the table is looked for again next time. */
static int cached(ladder_sqlite_conn *conn, ladder_sqlite_cached *slot, const char *fmt, const char *table,
                  int missing_ok)
{
	int error;

	if (slot->stmt != NULL && strcmp(slot->table, table) == 0)
		return 0;
	forget(slot);
	if ((error = prepare_for(conn, fmt, table, SQLITE_PREPARE_PERSISTENT, missing_ok, &slot->stmt)) < 0)
		return error;
	if (slot->stmt != NULL)
		snprintf(slot->table, sizeof(slot->table), "%s", table);
	return 0;
}

void ladder_sqlite__store_close(ladder_sqlite_conn *conn)
{
	forget(&conn->head);
	forget(&conn->put);
	sqlite3_finalize(conn->user_version);
	conn->user_version = NULL;
}

/* --- the history table ------------------------------------------------------------ */

#define DECIMAL_MAX 24 /* an int64 in decimal, sign and NUL */

/* An integer column in decimal, without SQLite's own conversion (which
 * allocates): the history's versions and durations are read on every open. */
static const char *decimal(char *buf, sqlite3_int64 value)
{
	char *p = buf + DECIMAL_MAX - 1;
	sqlite3_uint64 magnitude = value < 0 ? 0 - (sqlite3_uint64)value : (sqlite3_uint64)value;

	*p = '\0';
	do
		*--p = (char)('0' + magnitude % 10);
	while ((magnitude /= 10) != 0);
	if (value < 0)
		*--p = '-';
	return p;
}

/* Hand the row stmt stands on to fn as text cells (names: read once per
 * statement, as SQLite takes its mutex for each). */
static int emit_row(ladder_sqlite_conn *conn, sqlite3_stmt *stmt, int ncols, const char *const *names,
                    ladder_row_fn fn, void *ctx)
{
	const char *cells[LADDER_HISTORY_NCOLS];
	char numbers[LADDER_HISTORY_NCOLS][DECIMAL_MAX];

	for (int i = 0; i < ncols; i++) {
		int type = sqlite3_column_type(stmt, i);
		if (type == SQLITE_INTEGER) {
			cells[i] = decimal(numbers[i], sqlite3_column_int64(stmt, i));
			continue;
		}
		cells[i] = (const char *)sqlite3_column_text(stmt, i);
		if (cells[i] == NULL && type != SQLITE_NULL)
			return ladder_error_set(LADDER_ENOMEM, "out of memory reading '%s'", conn->path);
	}
	return fn(ctx, ncols, names, cells);
}

static int history_read(ladder_sqlite_conn *conn, const ladder_store *store, int newest_only, ladder_row_fn fn,
                        void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	const char *names[LADDER_HISTORY_NCOLS];
	int ncols, rc = SQLITE_DONE, error;

	/* The newest row is the fast path: a statement kept on the connection. */
	if (newest_only) {
		if ((error = cached(conn, &conn->head, HEAD_SQL, store->table, 1)) < 0 || conn->head.stmt == NULL)
			return error; /* no table yet: nothing applied */
		stmt = conn->head.stmt;
	} else if ((error = prepare_for(conn, READ_SQL, store->table, 0, 1, &stmt)) < 0 || stmt == NULL) {
		return error; /* no table yet: no rows */
	}
	ncols = newest_only ? LADDER_HISTORY_HEAD_NCOLS : LADDER_HISTORY_NCOLS;
	for (int i = 0; i < ncols; i++)
		names[i] = sqlite3_column_name(stmt, i);
	while (error == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		error = emit_row(conn, stmt, ncols, names, fn, ctx);
	if (error == 0 && rc != SQLITE_DONE) {
		if (newest_only && ladder_sqlite__no_such_table(conn->db, rc)) {
			/* Dropped since the statement was prepared. */
			forget(&conn->head);
			return 0;
		}
		error = ladder_sqlite__error(conn, rc);
	}
	/* A statement left stepped would hold a read transaction open. */
	if (newest_only)
		sqlite3_reset(stmt);
	else
		sqlite3_finalize(stmt);
	return error;
}

static int history_prepare(ladder_sqlite_conn *conn, const ladder_store *store)
{
	char *sql = sqlite3_mprintf(CREATE_SQL, store->table);
	int rc, error = 0;

	if (sql == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory writing '%s'", conn->path);
		goto done;
	}
	if ((rc = sqlite3_exec(conn->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		error = ladder_sqlite__error(conn, rc);
done:
	sqlite3_free(sql);
	return error;
}

int ladder_sqlite__history_write(ladder_conn *base, const ladder_store *store, const char *const *cells,
                                 size_t nrows)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	sqlite3_stmt *stmt = NULL;
	int rc, error;

	if ((error = cached(conn, &conn->put, PUT_SQL, store->table, 0)) < 0)
		return error;
	stmt = conn->put.stmt;
	/* Text into INTEGER columns: SQLite's column affinity stores numbers.
	 * SQLITE_STATIC: the cells outlive each step, and the bindings are
	 * cleared before returning. */
	for (size_t row = 0; row < nrows && error == 0; row++) {
		for (int i = 0; i < LADDER_HISTORY_NCOLS; i++)
			sqlite3_bind_text(stmt, i + 1, cells[row * LADDER_HISTORY_NCOLS + (size_t)i], -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
			error = ladder_sqlite__error(conn, rc);
		sqlite3_reset(stmt);
	}
	sqlite3_clear_bindings(stmt);
	return error;
}

int ladder_sqlite__history_delete(ladder_conn *base, const ladder_store *store, int64_t version)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	sqlite3_stmt *stmt = NULL;
	int rc, error;

	if ((error = prepare_for(conn, REMOVE_SQL, store->table, 0, 0, &stmt)) < 0)
		goto done;
	sqlite3_bind_int64(stmt, 1, version);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		error = ladder_sqlite__error(conn, rc);
done:
	sqlite3_finalize(stmt);
	return error;
}

/* --- PRAGMA user_version ---------------------------------------------------------------- */

static int user_version_read(ladder_sqlite_conn *conn, int64_t *out)
{
	sqlite3_stmt *stmt = NULL;
	int64_t value;
	int rc, error = 0;

	if (conn->user_version == NULL &&
	    (rc = sqlite3_prepare_v3(conn->db, "PRAGMA user_version", -1, SQLITE_PREPARE_PERSISTENT,
	                             &conn->user_version, NULL)) != SQLITE_OK) {
		error = ladder_sqlite__error(conn, rc);
		goto done;
	}
	stmt = conn->user_version;
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
		error = ladder_sqlite__error(conn, rc);
		goto done;
	}
	value = sqlite3_column_int64(stmt, 0);
	if (value < 0)
		error = ladder_error_set(LADDER_ESTORE, "'%s': user_version is %" PRId64 ", not a version", conn->path,
		                         value);
	else
		*out = value;
done:
	if (stmt != NULL)
		sqlite3_reset(stmt);
	return error;
}

static int set_user_version(ladder_sqlite_conn *conn, int64_t version)
{
	char sql[64];
	int rc;

	if (version > USER_VERSION_MAX)
		return ladder_error_set(LADDER_EUNSUPPORTED, "version %" PRId64 " does not fit in PRAGMA user_version (32-bit)",
		                        version);
	if (version < 0)
		return ladder_error_set(LADDER_EINVALID, "version %" PRId64 " is negative", version);
	/* A pragma takes no parameters; the value is a checked integer. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %" PRId64, version);
	if ((rc = sqlite3_exec(conn->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return ladder_sqlite__error(conn, rc);
	return 0;
}

/* --- the ops ------------------------------------------------------------------------ */

/* The fast path's read in one read transaction: preparing the statement
 * loads the schema and stepping it reads the table, each in a
 * transaction of its own (locks taken and dropped, the journal looked
 * for, the file's change counter read) unless one is open around both:
 * a quarter of the system calls of a no-op open. */
static int read_head(ladder_sqlite_conn *conn, const ladder_store *store, ladder_row_fn fn, void *ctx)
{
	int error;

	/* a statement already prepared loads no schema: one transaction as it is */
	if (!sqlite3_get_autocommit(conn->db) || (conn->head.stmt != NULL && strcmp(conn->head.table, store->table) == 0))
		return history_read(conn, store, 1, fn, ctx);
	/* BEGIN alone takes no lock: reading the header opens the read
	 * transaction that loading the schema then joins. Should that fail
	 * (a writer holds the file), the read runs as it would alone and
	 * reports what it meets. */
	if (sqlite3_exec(conn->db, "BEGIN; PRAGMA schema_version", NULL, NULL, NULL) != SQLITE_OK) {
		if (!sqlite3_get_autocommit(conn->db))
			sqlite3_exec(conn->db, "ROLLBACK", NULL, NULL, NULL);
		return history_read(conn, store, 1, fn, ctx);
	}
	error = history_read(conn, store, 1, fn, ctx);
	/* a read commits without writing anything; should it fail, the
	 * rollback ends the transaction all the same */
	if (sqlite3_exec(conn->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK && !sqlite3_get_autocommit(conn->db))
		sqlite3_exec(conn->db, "ROLLBACK", NULL, NULL, NULL);
	return error;
}

int ladder_sqlite__history_read(ladder_conn *base, const ladder_store *store, int newest_only, ladder_row_fn fn,
                                void *ctx)
{
	if (newest_only)
		return read_head((ladder_sqlite_conn *)base, store, fn, ctx);
	return history_read((ladder_sqlite_conn *)base, store, newest_only, fn, ctx);
}

int ladder_sqlite__stamp_read(ladder_conn *base, const ladder_store *store, int64_t *version)
{
	(void)store;
	*version = 0;
	return user_version_read((ladder_sqlite_conn *)base, version);
}

int ladder_sqlite__stamp_write(ladder_conn *base, const ladder_store *store, int64_t version, int after_down)
{
	(void)store;
	(void)after_down; /* the header field cannot be dropped */
	return set_user_version((ladder_sqlite_conn *)base, version);
}

int ladder_sqlite__store_prepare(ladder_conn *base, const ladder_store *store)
{
	/* user_version: the header field always exists */
	return store->kind == LADDER_STORE_HISTORY ? history_prepare((ladder_sqlite_conn *)base, store) : 0;
}
