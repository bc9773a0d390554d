/*
 * mariadb_store.c — where a MariaDB database records what was applied: the
 * history table (one row per migration, chained by digest), in the
 * store's database, and the catalog questions the core asks (does a table,
 * a column, an index exist; how big is a table; which databases match).
 * MariaDB commits before and after CREATE TABLE, so the table is created
 * only when the catalog says it is missing, and a transaction open before
 * is opened again after it. The light stores (user_version, comment) are
 * SQLite's and PostgreSQL's: refused here.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include "mariadb_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CREATE_SQL                                                                                             \
	" (version BIGINT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, kind VARCHAR(16) NOT NULL, "        \
	"checksum CHAR(64) NOT NULL, chain CHAR(64) NOT NULL, state VARCHAR(32) NOT NULL, applied_at "          \
	"VARCHAR(32) NOT NULL, duration_ms BIGINT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

/* `database`.`table`, or `table` alone when the connection has no database
 * (the session's current one then, if any). */
static void put_table(ladder_my_conn *conn, ladder_buf *sql, const ladder_store *store)
{
	const char *database = ladder_my__database(conn, store);
	if (database != NULL) {
		ladder_my__put_ident(sql, database);
		ladder_buf_puts(sql, ".");
	}
	ladder_my__put_ident(sql, store->table);
}

/* A connection ladder opened without a database has nowhere to keep the
 * store: said plainly rather than as the server's "No database
 * selected". A wrapped one may have chosen one with USE. */
static int no_database(ladder_my_conn *conn, const ladder_store *store)
{
	if (!conn->owned || ladder_my__database(conn, store) != NULL)
		return 0;
	return ladder_error_set(LADDER_EINVALID,
	                        "%s names no database: give one in the URL (mariadb://USER@HOST/DATABASE) or as the "
	                        "schema (--schema)",
	                        conn->display);
}

static int out_of_memory(ladder_buf *sql, const char *what)
{
	ladder_buf_free(sql);
	return ladder_error_set(LADDER_ENOMEM, "out of memory %s", what);
}

/* WHERE clause on information_schema: COL_SCHEMA = database AND TABLE_NAME = table */
static void put_where(ladder_my_conn *conn, ladder_buf *sql, const char *schema_col, const char *database,
                      const char *table)
{
	ladder_buf_printf(sql, " WHERE %s = ", schema_col);
	ladder_my__put_database(conn, sql, database);
	ladder_buf_puts(sql, " AND TABLE_NAME = ");
	ladder_my__put_literal(conn, sql, table);
}

/* --- the history table ------------------------------------------------------------------ */

int ladder_my__store_prepare(ladder_conn *base, const ladder_store *store)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;
	const char *database = ladder_my__database(conn, store);
	ladder_buf sql = {0};
	char value[8];
	int was_in_tx, error = 0;

	if (store->kind != LADDER_STORE_HISTORY)
		return ladder_error_set(LADDER_EUNSUPPORTED, "MariaDB keeps its version in a history table only");
	if ((error = no_database(conn, store)) < 0)
		return error;
	was_in_tx = ladder_my__in_tx(conn);
	/* Creating commits: first ask the catalog, which costs nothing to the
	 * open transaction. */
	if (!ladder_my__missing(conn, database)) {
		ladder_buf_puts(&sql, "SELECT COUNT(*) FROM information_schema.TABLES");
		put_where(conn, &sql, "TABLE_SCHEMA", database, store->table);
		if (sql.failed)
			return out_of_memory(&sql, "looking up the history table");
		error = ladder_my__value(conn, "looking up the history table", sql.data, value, sizeof(value), NULL);
		ladder_buf_free(&sql);
		if (error < 0 || strcmp(value, "0") != 0)
			return error;
	}
	if (ladder_my__missing(conn, database)) {
		ladder_buf_puts(&sql, "CREATE DATABASE IF NOT EXISTS ");
		ladder_my__put_ident(&sql, database);
		ladder_buf_puts(&sql, " CHARACTER SET utf8mb4");
		if (sql.failed)
			return out_of_memory(&sql, "creating the database");
		if ((error = ladder_my__run(conn, "creating the database", sql.data, sql.len, NULL)) < 0)
			goto done;
		if (mysql_select_db(conn->my, database) != 0) {
			error = ladder_my__error(conn, "selecting the database");
			goto done;
		}
		conn->db_missing = 0;
		ladder_buf_free(&sql);
		memset(&sql, 0, sizeof(sql));
	}
	ladder_buf_puts(&sql, "CREATE TABLE IF NOT EXISTS ");
	put_table(conn, &sql, store);
	ladder_buf_puts(&sql, CREATE_SQL);
	if (sql.failed)
		return out_of_memory(&sql, "creating the history table");
	if ((error = ladder_my__run(conn, "creating the history table", sql.data, sql.len, NULL)) < 0)
		goto done;
	/* The CREATE committed what was open; the core still expects an open
	 * transaction. */
	if (was_in_tx && !ladder_my__in_tx(conn))
		error = ladder_my__run(conn, "START TRANSACTION", "START TRANSACTION", 17, NULL);
done:
	ladder_buf_free(&sql);
	return error;
}

/* One round trip whether or not the table exists: a missing table (1146)
 * reads as no rows, inside a transaction too (MariaDB's errors do not end
 * it). */
int ladder_my__history_read(ladder_conn *base, const ladder_store *store, int newest_only, ladder_row_fn fn,
                            void *ctx)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;
	ladder_buf sql = {0};
	int error;

	if (store->kind != LADDER_STORE_HISTORY)
		return ladder_error_set(LADDER_EUNSUPPORTED, "MariaDB keeps its version in a history table only");
	if (ladder_my__missing(conn, ladder_my__database(conn, store)))
		return 0;
	if ((error = no_database(conn, store)) < 0)
		return error;
	ladder_buf_puts(&sql, newest_only ? "SELECT " LADDER_HISTORY_HEAD_COLUMNS " FROM "
	                                  : "SELECT " LADDER_HISTORY_COLUMNS " FROM ");
	put_table(conn, &sql, store);
	ladder_buf_puts(&sql, newest_only ? " ORDER BY version DESC LIMIT 1" : " ORDER BY version");
	if (sql.failed)
		return out_of_memory(&sql, "reading the history table");
	error = ladder_my__rows(conn, "reading the history table", sql.data, 1, fn, ctx);
	ladder_buf_free(&sql);
	return error;
}

/* Every row in one statement: the core records a step just before
 * committing, and a round trip per row would cost as much again as a
 * small migration. version and duration_ms go as literals too: the
 * server converts them, and refuses text that is no number. */
int ladder_my__history_write(ladder_conn *base, const ladder_store *store, const char *const *cells, size_t nrows)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;
	ladder_buf sql = {0};
	int error;

	if (nrows == 0)
		return 0;
	ladder_buf_puts(&sql, "INSERT INTO ");
	put_table(conn, &sql, store);
	ladder_buf_puts(&sql, " (" LADDER_HISTORY_COLUMNS ") VALUES ");
	for (size_t row = 0; row < nrows; row++) {
		ladder_buf_puts(&sql, row ? ", (" : "(");
		for (size_t c = 0; c < LADDER_HISTORY_NCOLS; c++) {
			const char *cell = cells[row * LADDER_HISTORY_NCOLS + c];
			if (c > 0)
				ladder_buf_puts(&sql, ", ");
			if (cell == NULL)
				ladder_buf_puts(&sql, "NULL");
			else
				ladder_my__put_literal(conn, &sql, cell);
		}
		ladder_buf_puts(&sql, ")");
	}
	ladder_buf_puts(&sql, " ON DUPLICATE KEY UPDATE name = VALUES(name), kind = VALUES(kind), checksum = "
	                      "VALUES(checksum), chain = VALUES(chain), state = VALUES(state), applied_at = "
	                      "VALUES(applied_at), duration_ms = VALUES(duration_ms)");
	if (sql.failed)
		return out_of_memory(&sql, "recording in the history table");
	error = ladder_my__run(conn, "recording in the history table", sql.data, sql.len, NULL);
	ladder_buf_free(&sql);
	return error;
}

int ladder_my__history_delete(ladder_conn *base, const ladder_store *store, int64_t version)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;
	ladder_buf sql = {0};
	int error;

	ladder_buf_puts(&sql, "DELETE FROM ");
	put_table(conn, &sql, store);
	ladder_buf_printf(&sql, " WHERE version = %" PRId64, version);
	if (sql.failed)
		return out_of_memory(&sql, "removing from the history table");
	error = ladder_my__run(conn, "removing from the history table", sql.data, sql.len, NULL);
	ladder_buf_free(&sql);
	return error;
}

int ladder_my__stamp_read(ladder_conn *base, const ladder_store *store, int64_t *version)
{
	(void)base;
	(void)store;
	*version = 0;
	return ladder_error_set(LADDER_EUNSUPPORTED,
	                        "MariaDB keeps its version in a history table only (\"user_version\" is SQLite's, "
	                        "\"comment:TABLE\" PostgreSQL's)");
}

int ladder_my__stamp_write(ladder_conn *base, const ladder_store *store, int64_t version, int after_down)
{
	(void)version;
	(void)after_down;
	return ladder_my__stamp_read(base, store, &version);
}

/* --- catalog questions --------------------------------------------------------------------- */

static const char *schema_or_default(ladder_my_conn *conn, const char *schema)
{
	return schema != NULL && schema[0] != '\0' ? schema : conn->database;
}

static int count_query(ladder_my_conn *conn, ladder_buf *sql, const char *what, int *exists)
{
	char value[24];
	int error;

	*exists = 0;
	if (sql->failed)
		return out_of_memory(sql, what);
	if ((error = ladder_my__value(conn, what, sql->data, value, sizeof(value), NULL)) == 0)
		*exists = strcmp(value, "0") != 0;
	ladder_buf_free(sql);
	return error;
}

int ladder_my__table_has(ladder_conn *base, const char *schema, const char *table, const char *column, int *exists)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;
	ladder_buf sql = {0};

	ladder_buf_puts(&sql, column ? "SELECT COUNT(*) FROM information_schema.COLUMNS"
	                             : "SELECT COUNT(*) FROM information_schema.TABLES");
	put_where(conn, &sql, "TABLE_SCHEMA", schema_or_default(conn, schema), table);
	if (column != NULL) {
		ladder_buf_puts(&sql, " AND COLUMN_NAME = ");
		ladder_my__put_literal(conn, &sql, column);
	}
	return count_query(conn, &sql, "looking up a table", exists);
}

int ladder_my__index_has(ladder_conn *base, const char *schema, const char *table, const char *index, int *exists)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;
	ladder_buf sql = {0};

	ladder_buf_puts(&sql, "SELECT COUNT(*) FROM information_schema.STATISTICS");
	put_where(conn, &sql, "TABLE_SCHEMA", schema_or_default(conn, schema), table);
	ladder_buf_puts(&sql, " AND INDEX_NAME = ");
	ladder_my__put_literal(conn, &sql, index);
	return count_query(conn, &sql, "looking up an index", exists);
}

typedef struct {
	int *exists;
	int64_t *rows, *bytes;
} size_ctx;

static int on_size(void *ctx, int ncols, const char *const *names, const char *const *cells)
{
	size_ctx *s = ctx;
	(void)names;
	if (ncols < 2)
		return 0;
	*s->exists = 1;
	*s->rows = cells[0] ? (int64_t)strtoll(cells[0], NULL, 10) : -1;
	*s->bytes = cells[1] ? (int64_t)strtoll(cells[1], NULL, 10) : -1;
	return 0;
}

/* TABLE_ROWS is InnoDB's estimate, as reltuples is PostgreSQL's. */
int ladder_my__table_size(ladder_conn *base, const char *schema, const char *table, int *exists, int64_t *rows,
                          int64_t *bytes)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;
	size_ctx s = {exists, rows, bytes};
	ladder_buf sql = {0};
	int error;

	*exists = 0;
	*rows = *bytes = -1;
	ladder_buf_puts(&sql, "SELECT TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES");
	put_where(conn, &sql, "TABLE_SCHEMA", schema_or_default(conn, schema), table);
	if (sql.failed)
		return out_of_memory(&sql, "reading a table's size");
	error = ladder_my__rows(conn, "reading a table's size", sql.data, 0, on_size, &s);
	ladder_buf_free(&sql);
	return error;
}

/* Databases are MariaDB's schemas; the server's own are left out. */
int ladder_my__schemas_list(ladder_conn *base, const char *like, ladder_row_fn fn, void *ctx)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;
	ladder_buf sql = {0};
	int error;

	ladder_buf_puts(&sql, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ");
	ladder_my__put_literal(conn, &sql, like);
	ladder_buf_puts(&sql, " AND SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') "
	                      "ORDER BY SCHEMA_NAME");
	if (sql.failed)
		return out_of_memory(&sql, "listing the databases");
	error = ladder_my__rows(conn, "listing the databases", sql.data, 0, fn, ctx);
	ladder_buf_free(&sql);
	return error;
}
