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
#define HEAD_SQL "SELECT version, chain, state FROM \"%w\" ORDER BY version DESC LIMIT 1"
#define READ_SQL                                                                                           \
	"SELECT version, name, kind, checksum, chain, state, applied_at, duration_ms FROM \"%w\" ORDER BY " \
	"version"
#define PUT_SQL                                                                                              \
	"INSERT OR REPLACE INTO \"%w\" (version, name, kind, checksum, chain, state, applied_at, duration_ms) " \
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
#define REMOVE_SQL "DELETE FROM \"%w\" WHERE version = ?1"
#define CREATE_SQL                                                                                                 \
	"CREATE TABLE IF NOT EXISTS \"%w\" (version INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, " \
	"checksum TEXT NOT NULL, chain TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('started','done')), "    \
	"applied_at TEXT NOT NULL, duration_ms INTEGER NOT NULL)"

/* PRAGMA user_version is a signed 32-bit header field. */
#define USER_VERSION_MAX INT64_C(2147483647)

static int not_here(const ladder_store *store)
{
	if (store->kind == LADDER_STORE_COMMENT)
		return ladder_error_set(LADDER_EUNSUPPORTED, "the comment store is PostgreSQL-only");
	return ladder_error_set(LADDER_EINVALID, "unknown version store kind %d", (int)store->kind);
}

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
		                         "'%s': table '%s' is not a ladder history table (%s); name another with "
		                         "--store history:TABLE",
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

/* --- reading rows ------------------------------------------------------------------ */

/* Copy a text column into buf; -1 when it is not text or does not fit. */
static int copy_text(sqlite3_stmt *stmt, int col, char *buf, size_t size)
{
	const unsigned char *text;
	size_t bytes;

	if (sqlite3_column_type(stmt, col) != SQLITE_TEXT)
		return -1;
	text = sqlite3_column_text(stmt, col);
	bytes = (size_t)sqlite3_column_bytes(stmt, col);
	if (text == NULL || bytes >= size)
		return -1;
	memcpy(buf, text, bytes);
	buf[bytes] = '\0';
	return 0;
}

static int read_state(sqlite3_stmt *stmt, int col, int *started)
{
	const char *state = (const char *)sqlite3_column_text(stmt, col);

	if (sqlite3_column_type(stmt, col) != SQLITE_TEXT || state == NULL)
		return -1;
	if (strcmp(state, "started") == 0)
		*started = 1;
	else if (strcmp(state, "done") == 0)
		*started = 0;
	else
		return -1;
	return 0;
}

static int malformed(ladder_sqlite_conn *conn, const ladder_store *store, int64_t version, const char *why)
{
	return ladder_error_set(LADDER_ESTORE,
	                        "'%s': the history table \"%s\" holds a malformed row at version %" PRId64 " (%s)",
	                        conn->path, store->table, version, why);
}

static int read_version(sqlite3_stmt *stmt, int64_t *version)
{
	*version = sqlite3_column_int64(stmt, 0);
	return sqlite3_column_type(stmt, 0) == SQLITE_INTEGER && *version > 0 ? 0 : -1;
}

/* version, name, kind, checksum, chain, state, applied_at, duration_ms */
static int parse_row(ladder_sqlite_conn *conn, const ladder_store *store, sqlite3_stmt *stmt, ladder_row *row)
{
	const char *why = NULL;
	const unsigned char *applied_at;

	memset(row, 0, sizeof(*row));
	if (read_version(stmt, &row->version) < 0)
		why = "the version is not a positive integer";
	else if (sqlite3_column_type(stmt, 1) == SQLITE_NULL)
		why = "the name is NULL";
	else if (copy_text(stmt, 2, row->kind, sizeof(row->kind)) < 0)
		why = "the kind is not a short text";
	else if (copy_text(stmt, 3, row->checksum, sizeof(row->checksum)) < 0)
		why = "the checksum is not text of at most 64 characters";
	else if (copy_text(stmt, 4, row->chain, sizeof(row->chain)) < 0)
		why = "the chain is not text of at most 64 characters";
	else if (read_state(stmt, 5, &row->started) < 0)
		why = "the state is neither 'started' nor 'done'";
	if (why != NULL)
		return malformed(conn, store, row->version, why);

	/* Informational only: kept as stored, cut to fit. */
	applied_at = sqlite3_column_text(stmt, 6);
	snprintf(row->applied_at, sizeof(row->applied_at), "%s", applied_at ? (const char *)applied_at : "");
	row->duration_ms = sqlite3_column_int64(stmt, 7);

	/* Last, so that a refused row owns nothing. */
	if ((row->name = ladder_strdup((const char *)sqlite3_column_text(stmt, 1))) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reading '%s'", conn->path);
	return 0;
}

/* --- the history table ------------------------------------------------------------ */

static int history_head(ladder_sqlite_conn *conn, const ladder_store *store, ladder_head *out)
{
	sqlite3_stmt *stmt = NULL;
	int rc, error;

	if ((error = cached(conn, &conn->head, HEAD_SQL, store->table, 1)) < 0 || conn->head.stmt == NULL)
		goto done; /* no table yet: version 0 */
	stmt = conn->head.stmt;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		if (read_version(stmt, &out->version) < 0)
			error = malformed(conn, store, out->version, "the version is not a positive integer");
		else if (copy_text(stmt, 1, out->chain, sizeof(out->chain)) < 0)
			error = malformed(conn, store, out->version, "the chain is not text of at most 64 characters");
		else if (read_state(stmt, 2, &out->started) < 0)
			error = malformed(conn, store, out->version, "the state is neither 'started' nor 'done'");
		if (error < 0)
			memset(out, 0, sizeof(*out));
	} else if (rc == SQLITE_DONE) {
		/* an empty table: nothing applied */
	} else if (ladder_sqlite__no_such_table(conn->db, rc)) {
		/* Dropped since the statement was prepared. */
		forget(&conn->head);
		stmt = NULL;
	} else {
		error = ladder_sqlite__error(conn, rc);
	}
done:
	/* A statement left stepped would hold a read transaction open. */
	if (stmt != NULL)
		sqlite3_reset(stmt);
	return error;
}

static int history_read(ladder_sqlite_conn *conn, const ladder_store *store, ladder_row **rows, size_t *count)
{
	sqlite3_stmt *stmt = NULL;
	ladder_row *list = NULL;
	size_t n = 0, cap = 0;
	int rc, error;

	if ((error = prepare_for(conn, READ_SQL, store->table, 0, 1, &stmt)) < 0 || stmt == NULL)
		goto done; /* no table yet: no rows */
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			size_t grown_cap = cap ? cap * 2 : 16;
			ladder_row *grown = ladder_realloc(list, grown_cap * sizeof(*grown));
			if (grown == NULL) {
				error = ladder_error_set(LADDER_ENOMEM, "out of memory reading '%s'", conn->path);
				goto done;
			}
			list = grown;
			cap = grown_cap;
		}
		if ((error = parse_row(conn, store, stmt, &list[n])) < 0)
			goto done;
		n++;
	}
	if (rc != SQLITE_DONE) {
		error = ladder_sqlite__error(conn, rc);
		goto done;
	}
	*rows = list;
	*count = n;
	list = NULL;
	n = 0;
done:
	sqlite3_finalize(stmt);
	ladder_rows_free(list, n);
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

static int history_put(ladder_sqlite_conn *conn, const ladder_store *store, const ladder_row *row)
{
	sqlite3_stmt *stmt = NULL;
	int rc, error;

	if ((error = cached(conn, &conn->put, PUT_SQL, store->table, 0)) < 0)
		goto done;
	stmt = conn->put.stmt;
	/* SQLITE_STATIC: row outlives the step, and the bindings are cleared
	 * before returning. */
	sqlite3_bind_int64(stmt, 1, row->version);
	sqlite3_bind_text(stmt, 2, row->name ? row->name : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, row->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, row->checksum, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, row->chain, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, row->started ? "started" : "done", -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, row->applied_at, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 8, row->duration_ms);
	if ((rc = sqlite3_step(stmt)) != SQLITE_DONE)
		error = ladder_sqlite__error(conn, rc);
done:
	if (stmt != NULL) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
	return error;
}

static int history_remove(ladder_sqlite_conn *conn, const ladder_store *store, int64_t version)
{
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

static int user_version_head(ladder_sqlite_conn *conn, ladder_head *out)
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
		out->version = value;
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

int ladder_sqlite__store_head(ladder_conn *base, const ladder_store *store, ladder_head *out)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;

	memset(out, 0, sizeof(*out));
	switch (store->kind) {
	case LADDER_STORE_HISTORY:
		return history_head(conn, store, out);
	case LADDER_STORE_USER_VERSION:
		return user_version_head(conn, out);
	default:
		return not_here(store);
	}
}

int ladder_sqlite__store_read(ladder_conn *base, const ladder_store *store, ladder_row **rows, size_t *count)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;

	*rows = NULL;
	*count = 0;
	switch (store->kind) {
	case LADDER_STORE_HISTORY:
		return history_read(conn, store, rows, count);
	case LADDER_STORE_USER_VERSION:
		return 0; /* the head alone: no rows */
	default:
		return not_here(store);
	}
}

int ladder_sqlite__store_prepare(ladder_conn *base, const ladder_store *store)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;

	switch (store->kind) {
	case LADDER_STORE_HISTORY:
		return history_prepare(conn, store);
	case LADDER_STORE_USER_VERSION:
		return 0; /* the header field always exists */
	default:
		return not_here(store);
	}
}

int ladder_sqlite__store_put(ladder_conn *base, const ladder_store *store, const ladder_row *row)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;

	switch (store->kind) {
	case LADDER_STORE_HISTORY:
		return history_put(conn, store, row);
	case LADDER_STORE_USER_VERSION:
		return set_user_version(conn, row->version);
	default:
		return not_here(store);
	}
}

int ladder_sqlite__store_remove(ladder_conn *base, const ladder_store *store, int64_t version, int64_t new_head)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;

	switch (store->kind) {
	case LADDER_STORE_HISTORY:
		return history_remove(conn, store, version);
	case LADDER_STORE_USER_VERSION:
		return set_user_version(conn, new_head);
	default:
		return not_here(store);
	}
}
