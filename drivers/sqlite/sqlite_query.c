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
#include <string.h>

/* Other tools' version tables have at most four columns; leave room. */
#define MAX_COLUMNS 16

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

int ladder_sqlite__query_rows(ladder_conn *base, const char *sql,
                              int (*fn)(void *ctx, int ncols, const char *const *cells), void *ctx)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	sqlite3_stmt *stmt = NULL;
	const char *cells[MAX_COLUMNS];
	int ncols, rc, error = 0;

	rc = sqlite3_prepare_v2(conn->db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK) {
		error = ladder_sqlite__error(conn, rc);
		goto done;
	}
	if (!sqlite3_stmt_readonly(stmt)) {
		error = ladder_error_set(LADDER_EINVALID, "query_rows runs read-only queries only");
		goto done;
	}
	ncols = sqlite3_column_count(stmt);
	if (ncols > MAX_COLUMNS) {
		error = ladder_error_set(LADDER_EINVALID, "query_rows reads at most %d columns", MAX_COLUMNS);
		goto done;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		for (int i = 0; i < ncols; i++) {
			cells[i] = (const char *)sqlite3_column_text(stmt, i);
			if (cells[i] == NULL && sqlite3_column_type(stmt, i) != SQLITE_NULL) {
				error = ladder_error_set(LADDER_ENOMEM, "out of memory reading '%s'", conn->path);
				goto done;
			}
		}
		if ((error = fn(ctx, ncols, cells)) != 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		error = ladder_sqlite__error(conn, rc);
done:
	sqlite3_finalize(stmt);
	return error;
}

int ladder_sqlite__light_stamp(ladder_conn *base, const char *schema, char *spec, size_t len, int64_t *version)
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
