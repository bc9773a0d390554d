/*
 * sqlite_query.c — reading tables ladder does not own: whether a table (and
 * a column) exists, any read-only query with its cells handed out as text,
 * and PRAGMA user_version as a stamp. adopt reads another tool's history
 * through these; the check that refuses to run over such a history asks
 * them before anything is written.
 */
#include "sqlite_internal.h"
#include "sqlite_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pragma_table_info returns no rows for a table that does not exist, so a
 * missing table is an answer here, never an error. */
#define TABLE_SQL "SELECT count(*) FROM pragma_table_info(?1, ?2)"
#define COLUMN_SQL "SELECT count(*) FROM pragma_table_info(?1, ?2) WHERE name = ?3 COLLATE NOCASE"

int ladder_sqlite__table_has(ladder_conn *base, const char *schema, const char *table, const char *column,
                             int *exists)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	sqlite3_stmt *stmt = NULL;
	int rc, error = 0;

	*exists = 0;
	rc = sqlite3_prepare_v2(conn->db, column ? COLUMN_SQL : TABLE_SQL, -1, &stmt, NULL);
	if (rc != SQLITE_OK) {
		error = ladder_sqlite__error(conn, rc);
		goto done;
	}
	sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, schema && schema[0] ? schema : "main", -1, SQLITE_STATIC);
	if (column)
		sqlite3_bind_text(stmt, 3, column, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		error = ladder_sqlite__error(conn, rc);
		goto done;
	}
	*exists = sqlite3_column_int(stmt, 0) > 0;
done:
	sqlite3_finalize(stmt);
	return error;
}

#define BLOB_TEXT_MAX 32 /* "<N-byte blob>" */

/* The cells of the row stmt stands on, as text; a blob is described, not
 * copied. blobs: ncols buffers of BLOB_TEXT_MAX. */
static int row_cells(ladder_sqlite_conn *conn, sqlite3_stmt *stmt, int ncols, const char **cells, char *blobs)
{
	for (int i = 0; i < ncols; i++) {
		int type = sqlite3_column_type(stmt, i);
		if (type == SQLITE_BLOB) {
			char *text = blobs + (size_t)i * BLOB_TEXT_MAX;
			snprintf(text, BLOB_TEXT_MAX, "<%d-byte blob>", sqlite3_column_bytes(stmt, i));
			cells[i] = text;
			continue;
		}
		cells[i] = (const char *)sqlite3_column_text(stmt, i);
		if (cells[i] == NULL && type != SQLITE_NULL)
			return ladder_error_set(LADDER_ENOMEM, "out of memory reading '%s'", conn->path);
	}
	return 0;
}

int ladder_sqlite__query_rows(ladder_conn *base, const char *sql, ladder_row_fn fn, void *ctx)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	sqlite3_stmt *stmt = NULL;
	const char **cells = NULL;
	const char *tail = NULL;
	char *blobs;
	int ncols, rc, error = 0;

	rc = sqlite3_prepare_v2(conn->db, sql, -1, &stmt, &tail);
	if (rc != SQLITE_OK) {
		error = ladder_sqlite__error(conn, rc);
		goto done;
	}
	/* A second statement would be silently skipped: refuse it instead. */
	if (tail != NULL && !ladder_text_is_blank(tail)) {
		error = ladder_error_set(LADDER_EINVALID, "the query holds more than one statement (the second begins '%.40s')",
		                         tail + ladder_text_skip_blank(tail, strlen(tail), 0));
		goto done;
	}
	if (stmt == NULL) /* a blank query returns nothing */
		goto done;
	if (!sqlite3_stmt_readonly(stmt)) {
		error = ladder_error_set(LADDER_EINVALID, "'%s': the query writes; only read-only queries are run here",
		                         conn->path);
		goto done;
	}
	ncols = sqlite3_column_count(stmt);
	/* One block: the names, the cells, then room to describe blobs. */
	if ((cells = ladder_malloc((size_t)ncols * (2 * sizeof(*cells) + BLOB_TEXT_MAX))) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory reading '%s'", conn->path);
		goto done;
	}
	blobs = (char *)(cells + 2 * ncols);
	for (int i = 0; i < ncols; i++)
		if ((cells[i] = sqlite3_column_name(stmt, i)) == NULL) {
			error = ladder_error_set(LADDER_ENOMEM, "out of memory reading '%s'", conn->path);
			goto done;
		}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((error = row_cells(conn, stmt, ncols, cells + ncols, blobs)) != 0 ||
		    (error = fn(ctx, ncols, cells, cells + ncols)) != 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		error = ladder_sqlite__error(conn, rc);
done:
	ladder_free(cells);
	sqlite3_finalize(stmt);
	return error;
}

int ladder_sqlite__stamp_find(ladder_conn *base, const char *schema, char *spec, size_t len, int64_t *version)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	sqlite3_stmt *stmt = NULL;
	int rc, error = 0;

	(void)schema;
	*version = 0;
	if (len > 0)
		spec[0] = '\0';
	rc = sqlite3_prepare_v2(conn->db, "PRAGMA user_version", -1, &stmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*version = sqlite3_column_int64(stmt, 0);
		if (*version > 0)
			snprintf(spec, len, "user_version");
		else
			*version = 0;
	} else {
		error = ladder_sqlite__error(conn, rc);
	}
	sqlite3_finalize(stmt);
	return error;
}
