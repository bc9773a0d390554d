/*
 * pg_store.c — where a PostgreSQL database records what was applied: a
 * history table (one row per migration, chained by digest) or PhoenixKit's
 * table comment (COMMENT ON TABLE schema.t IS 'N', the head alone).
 * The head read is the fast path every application start takes: one round
 * trip. Statements are unnamed (PQexecParams): a named prepared statement
 * outlives the client on a pooled server connection (PgBouncer in
 * transaction mode), where the next client's PREPARE of the same name
 * fails with 42P05, and parse, bind and execute of an unnamed one travel
 * in one round trip anyway. The one exception is the head read on a
 * connection proven direct (head_named).
 *
 * A missing table reads as version 0 (no rows). Outside a transaction the
 * query is simply tried and SQLSTATE 42P01 taken as "missing"; inside one an
 * error would abort the transaction, so the table is looked up first.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* strdup under -std=c11 */
#endif

#include "pg_internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNDEFINED_TABLE "42P01"

#define HEAD_SQL "SELECT " LADDER_HISTORY_HEAD_COLUMNS " FROM %s ORDER BY version DESC LIMIT 1"
#define READ_SQL "SELECT " LADDER_HISTORY_COLUMNS " FROM %s ORDER BY version"
/* A batch of rows in one statement: one array per column. */
#define PUT_SQL                                                                      \
	"INSERT INTO %s (" LADDER_HISTORY_COLUMNS ") SELECT * FROM ROWS " \
	"FROM (pg_catalog.unnest($1::bigint[]), pg_catalog.unnest($2::text[]), pg_catalog.unnest($3::text[]), "    \
	"pg_catalog.unnest($4::text[]), pg_catalog.unnest($5::text[]), pg_catalog.unnest($6::text[]), "            \
	"pg_catalog.unnest($7::text[]), pg_catalog.unnest($8::bigint[])) ON CONFLICT (version) DO UPDATE SET "     \
	"name = EXCLUDED.name, kind = EXCLUDED.kind, checksum = EXCLUDED.checksum, chain = EXCLUDED.chain, state "  \
	"= EXCLUDED.state, applied_at = EXCLUDED.applied_at, duration_ms = EXCLUDED.duration_ms"
#define REMOVE_SQL "DELETE FROM %s WHERE version = $1"
#define CREATE_SQL                                                                                               \
	"CREATE TABLE IF NOT EXISTS %s (version bigint PRIMARY KEY, name text NOT NULL, kind text NOT NULL, "       \
	"checksum text NOT NULL, chain text NOT NULL, state text NOT NULL CHECK (state IN ('started', 'done')), " \
	"applied_at text NOT NULL, duration_ms bigint NOT NULL)"
#define EXISTS_SQL                                                                                      \
	"SELECT $1::text IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1), "   \
	"pg_catalog.to_regclass($2) IS NOT NULL"
#define COMMENT_HEAD_SQL                                                                                        \
	"SELECT c.oid IS NOT NULL, pg_catalog.obj_description(c.oid, 'pg_class'), n.nspname FROM (SELECT "         \
	"pg_catalog.to_regclass($1) AS oid) c LEFT JOIN pg_catalog.pg_class r ON r.oid = c.oid LEFT JOIN "          \
	"pg_catalog.pg_namespace n ON n.oid = r.relnamespace"

/* Anything printf'd into SQL here is a quoted identifier or an integer. */
static char *format_sql(const char *fmt, const char *table)
{
	size_t len = strlen(fmt) + strlen(table) + 1;
	char *sql = ladder_malloc(len);
	if (sql == NULL) {
		ladder_error_set(LADDER_ENOMEM, "out of memory building a query");
		return NULL;
	}
	snprintf(sql, len, fmt, table);
	return sql;
}

static const char *schema_of(const ladder_store *store)
{
	return store->schema[0] ? store->schema : NULL;
}

/* For messages: schema.table as the user named them. */
static const char *display_name(const ladder_store *store, char *buf, size_t len)
{
	if (store->schema[0])
		snprintf(buf, len, "%s.%s", store->schema, store->table);
	else
		snprintf(buf, len, "%s", store->table);
	return buf;
}

/* Do the store's schema and table exist? */
static int lookup(ladder_pg_conn *conn, const ladder_store *store, const char *qualified, int *schema_exists,
                  int *table_exists)
{
	const char *params[2] = {schema_of(store), qualified};
	PGresult *res = NULL;
	int error;

	if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "looking up the version store", EXISTS_SQL, 2,
	                            params)) < 0)
		goto done;
	if (schema_exists)
		*schema_exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	if (table_exists)
		*table_exists = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
done:
	PQclear(res);
	return error;
}

static int in_transaction(ladder_pg_conn *conn)
{
	return PQtransactionStatus(conn->pg) != PQTRANS_IDLE;
}

static int parse_int64(const char *text, int64_t *out)
{
	char *end = NULL;
	long long value;

	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0')
		return -1;
	*out = (int64_t)value;
	return 0;
}

/* --- the history table ------------------------------------------------------------------ */

/* --- the fast path's named statement --------------------------------------------- */

/* On a connection proven direct (the server session's pid is the one libpq
 * was told at connect, so no pooler is in between), the head read runs as
 * a statement prepared under a name from the connection's second read on:
 * an application that migrates on every start of a long-lived connection
 * then does not have the server parse and plan it each time (as long again
 * as the read itself). A one-shot run never pays for the check or the
 * PREPARE; behind a pooler, where a named statement outlives its client on
 * the pooled session, it stays unnamed. NULL: use the unnamed statement
 * (also after any failure here, which that one then reports). */
static PGresult *head_named(ladder_pg_conn *conn, const char *sql, const char *qualified)
{
	ladder_error_saved saved;
	PGresult *res = NULL;
	int pooled = 1;

	if (in_transaction(conn) || conn->head_reads++ == 0)
		return NULL;
	if (!conn->pool_checked) {
		ladder_error_save(&saved);
		if (ladder_pg__pooled(&conn->base, &pooled) < 0)
			pooled = 1;
		ladder_error_restore(&saved);
	}
	if (conn->pooled || !conn->pool_checked)
		return NULL;
	if (conn->head_table == NULL || strcmp(conn->head_table, qualified) != 0) {
		ladder_pg__store_close(conn);
		if ((conn->head_table = ladder_strdup(qualified)) == NULL)
			return NULL;
		res = PQprepare(conn->pg, conn->head_name, sql, 0, NULL);
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
			ladder_free(conn->head_table); /* a missing table, say */
			conn->head_table = NULL;
			PQclear(res);
			return NULL;
		}
		PQclear(res);
	}
	res = PQexecPrepared(conn->pg, conn->head_name, 0, NULL, NULL, NULL, 0);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		/* DEALLOCATE ALL or DISCARD ALL by the application, a dropped table:
		 * prepared again next time, and the unnamed read says what is wrong */
		ladder_free(conn->head_table);
		conn->head_table = NULL;
		PQclear(res);
		return NULL;
	}
	return res;
}

void ladder_pg__store_close(ladder_pg_conn *conn)
{
	/* Our own sessions end with PQfinish; an application's keeps going, so
	 * leave no statement behind in it. */
	if (conn->head_table != NULL && !conn->owned && PQstatus(conn->pg) == CONNECTION_OK &&
	    PQtransactionStatus(conn->pg) == PQTRANS_IDLE) {
		char sql[64];
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", conn->head_name);
		PQclear(PQexec(conn->pg, sql));
	}
	ladder_free(conn->head_table);
	conn->head_table = NULL;
}

/* The newest row is the fast path: one round trip. Inside a transaction a
 * missing table would abort it, so the table is looked up first; outside,
 * its absence is SQLSTATE 42P01. */
static int history_read(ladder_pg_conn *conn, const ladder_store *store, const char *qualified, int newest_only,
                        ladder_row_fn fn, void *ctx)
{
	PGresult *res = NULL;
	char *sql = NULL;
	int exists = 1, error = 0;

	if (in_transaction(conn) && ((error = lookup(conn, store, qualified, NULL, &exists)) < 0 || !exists))
		goto done;
	if ((sql = format_sql(newest_only ? HEAD_SQL : READ_SQL, qualified)) == NULL) {
		error = LADDER_ENOMEM;
		goto done;
	}
	if (!newest_only || (res = head_named(conn, sql, qualified)) == NULL)
		res = PQexecParams(conn->pg, sql, 0, NULL, NULL, NULL, NULL, 0);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		/* No table: nothing applied. */
		if (!in_transaction(conn) && ladder_pg__sqlstate_is(res, UNDEFINED_TABLE))
			goto done;
		error = ladder_pg__error(conn, res, "reading the history table");
		goto done;
	}
	error = ladder_pg__emit_rows(res, fn, ctx);
done:
	PQclear(res);
	ladder_free(sql);
	return error;
}

/* Create the store's schema when one is set and missing. Looked up first:
 * CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the
 * database, and IF NOT EXISTS on an existing object prints a notice. */
static int create_schema(ladder_pg_conn *conn, const ladder_store *store)
{
	char *schema = NULL, *sql = NULL;
	int error = 0;

	if ((schema = ladder_pg__quote_ident(conn, store->schema)) == NULL) {
		error = ladder_error_last()->code;
		goto done;
	}
	if ((sql = format_sql("CREATE SCHEMA IF NOT EXISTS %s", schema)) == NULL) {
		error = LADDER_ENOMEM;
		goto done;
	}
	error = ladder_pg__run(conn, NULL, PGRES_COMMAND_OK, "creating the schema", sql, 0, NULL);
done:
	ladder_free(schema);
	ladder_free(sql);
	return error;
}

/* Create the schema (when one is set) and the table, inside the run's
 * transaction. */
static int history_prepare(ladder_pg_conn *conn, const ladder_store *store, const char *qualified)
{
	char *create = NULL;
	int schema_exists = 1, table_exists = 1, error;

	if ((error = lookup(conn, store, qualified, &schema_exists, &table_exists)) < 0 || table_exists)
		goto done;
	if (!schema_exists && (error = create_schema(conn, store)) < 0)
		goto done;
	if ((create = format_sql(CREATE_SQL, qualified)) == NULL) {
		error = LADDER_ENOMEM;
		goto done;
	}
	error = ladder_pg__run(conn, NULL, PGRES_COMMAND_OK, "creating the history table", create, 0, NULL);
done:
	ladder_free(create);
	return error;
}

/* The comment store's table is the migrations' to create; its schema is
 * created here, as for the history store, should the core ask. */
static int comment_prepare(ladder_pg_conn *conn, const ladder_store *store, const char *qualified)
{
	int schema_exists = 1, error;

	if ((error = lookup(conn, store, qualified, &schema_exists, NULL)) < 0 || schema_exists)
		return error;
	return create_schema(conn, store);
}

/* One array literal per column: {"a","b"}, each element double-quoted
 * with " and \ escaped. */
static void put_array(ladder_buf *b, const char *const *cells, size_t nrows, int column)
{
	for (size_t row = 0; row < nrows; row++) {
		const char *value = cells[row * LADDER_HISTORY_NCOLS + (size_t)column];
		ladder_buf_puts(b, row == 0 ? "{\"" : ",\"");
		for (const char *p = value; *p; p++) {
			if (*p == '"' || *p == '\\')
				ladder_buf_put(b, "\\", 1);
			ladder_buf_put(b, p, 1);
		}
		ladder_buf_put(b, "\"", 1);
	}
	ladder_buf_put(b, "}", 1);
}

/* Every row in one statement: the core records each step just before
 * committing, and one round trip per row would cost as much again as a
 * small migration. */
static int history_write(ladder_pg_conn *conn, const char *qualified, const char *const *cells, size_t nrows)
{
	ladder_buf columns[LADDER_HISTORY_NCOLS];
	const char *params[LADDER_HISTORY_NCOLS];
	char *sql = NULL;
	int error = 0;

	memset(columns, 0, sizeof(columns));
	for (int c = 0; c < LADDER_HISTORY_NCOLS; c++) {
		put_array(&columns[c], cells, nrows, c);
		if (columns[c].failed && error == 0)
			error = ladder_error_set(LADDER_ENOMEM, "out of memory recording in the history table");
		params[c] = columns[c].data;
	}
	if (error < 0)
		goto done;
	if ((sql = format_sql(PUT_SQL, qualified)) == NULL) {
		error = LADDER_ENOMEM;
		goto done;
	}
	error = ladder_pg__run(conn, NULL, PGRES_COMMAND_OK, "recording in the history table", sql,
	                       LADDER_HISTORY_NCOLS, params);
done:
	for (int c = 0; c < LADDER_HISTORY_NCOLS; c++)
		ladder_buf_free(&columns[c]);
	ladder_free(sql);
	return error;
}

static int history_remove(ladder_pg_conn *conn, const char *qualified, int64_t version)
{
	char number[32];
	const char *params[1] = {number};
	char *sql = NULL;
	int error;

	snprintf(number, sizeof(number), "%" PRId64, version);
	if ((sql = format_sql(REMOVE_SQL, qualified)) == NULL)
		return LADDER_ENOMEM;
	error = ladder_pg__run(conn, NULL, PGRES_COMMAND_OK, "removing from the history table", sql, 1, params);
	ladder_free(sql);
	return error;
}

/* --- the table comment ------------------------------------------------------------------- */

/* A plain non-negative integer: digits only, as COMMENT ... IS 'N' writes. */
static int comment_version(const char *comment, int64_t *version)
{
	size_t len = strlen(comment);
	if (len == 0 || len > 18)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)comment[i]))
			return -1;
	return parse_int64(comment, version);
}

static int comment_head(ladder_pg_conn *conn, const ladder_store *store, const char *qualified, int64_t *version)
{
	const char *params[1] = {qualified};
	const char *schema;
	char name[2 * LADDER_NAME_MAX + 2];
	PGresult *res = NULL;
	int error;

	if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "reading the version comment", COMMENT_HEAD_SQL, 1,
	                            params)) < 0)
		goto done;
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		goto done; /* no table: version 0 */
	/* Name the table where it was found (the search path's choice). */
	schema = PQgetisnull(res, 0, 2) ? "" : PQgetvalue(res, 0, 2);
	snprintf(name, sizeof(name), "%s%s%s", schema, schema[0] ? "." : "", store->table);
	if (PQgetisnull(res, 0, 1))
		error = ladder_error_set(LADDER_ESTORE,
		                         "table %s has no comment: refusing to guess its version (the comment store "
		                         "reads COMMENT ON TABLE %s IS 'N')",
		                         name, name);
	else if (comment_version(PQgetvalue(res, 0, 1), version) < 0)
		error = ladder_error_set(LADDER_ESTORE,
		                         "table %s has the comment '%.200s', which is not a version (a plain "
		                         "non-negative integer): refusing to guess",
		                         name, PQgetvalue(res, 0, 1));
	if (error < 0)
		*version = 0;
done:
	PQclear(res);
	return error;
}

static int comment_put(ladder_pg_conn *conn, const ladder_store *store, const char *qualified, int64_t version)
{
	char name[2 * LADDER_NAME_MAX + 2], what[3 * LADDER_NAME_MAX];
	char *sql = NULL;
	int error;

	if (version < 0)
		return ladder_error_set(LADDER_EINVALID, "version %" PRId64 " is negative", version);
	if ((sql = ladder_malloc(strlen(qualified) + 64)) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory recording the version");
	/* DDL takes no parameters; the value is a checked integer. */
	sprintf(sql, "COMMENT ON TABLE %s IS '%" PRId64 "'", qualified, version);
	snprintf(what, sizeof(what), "recording version %" PRId64 " in the comment of table %s", version,
	         display_name(store, name, sizeof(name)));
	error = ladder_pg__run(conn, NULL, PGRES_COMMAND_OK, what, sql, 0, NULL);
	ladder_free(sql);
	return error;
}

static int comment_remove(ladder_pg_conn *conn, const ladder_store *store, const char *qualified, int64_t new_head)
{
	int exists = 0, error;

	/* The down just run may have dropped the table: then there is nothing
	 * to stamp, and its absence reads as version 0. */
	if ((error = lookup(conn, store, qualified, NULL, &exists)) < 0 || !exists)
		return error;
	return comment_put(conn, store, qualified, new_head);
}

/* --- the ops ---------------------------------------------------------------------------------- */

/* The store's name quoted for SQL, in memory from ladder_malloc. */
static char *qualified_name(ladder_pg_conn *conn, const ladder_store *store)
{
	return ladder_pg__qualify(conn, store->schema, store->table);
}

int ladder_pg__history_read(ladder_conn *base, const ladder_store *store, int newest_only, ladder_row_fn fn,
                            void *ctx)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	char *qualified = qualified_name(conn, store);
	int error = qualified ? history_read(conn, store, qualified, newest_only, fn, ctx) : ladder_error_last()->code;

	ladder_free(qualified);
	return error;
}

int ladder_pg__history_write(ladder_conn *base, const ladder_store *store, const char *const *cells, size_t nrows)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	char *qualified = qualified_name(conn, store);
	int error = qualified ? history_write(conn, qualified, cells, nrows) : ladder_error_last()->code;

	ladder_free(qualified);
	return error;
}

int ladder_pg__history_delete(ladder_conn *base, const ladder_store *store, int64_t version)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	char *qualified = qualified_name(conn, store);
	int error = qualified ? history_remove(conn, qualified, version) : ladder_error_last()->code;

	ladder_free(qualified);
	return error;
}

int ladder_pg__stamp_read(ladder_conn *base, const ladder_store *store, int64_t *version)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	char *qualified = qualified_name(conn, store);
	int error;

	*version = 0;
	error = qualified ? comment_head(conn, store, qualified, version) : ladder_error_last()->code;

	ladder_free(qualified);
	return error;
}

int ladder_pg__stamp_write(ladder_conn *base, const ladder_store *store, int64_t version, int after_down)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	char *qualified = qualified_name(conn, store);
	int error;

	if (qualified == NULL)
		return ladder_error_last()->code;
	error = after_down ? comment_remove(conn, store, qualified, version) : comment_put(conn, store, qualified, version);
	ladder_free(qualified);
	return error;
}

int ladder_pg__store_prepare(ladder_conn *base, const ladder_store *store)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	char *qualified = qualified_name(conn, store);
	int error;

	if (qualified == NULL)
		return ladder_error_last()->code;
	if (store->kind == LADDER_STORE_HISTORY)
		error = history_prepare(conn, store, qualified);
	else
		error = comment_prepare(conn, store, qualified);
	ladder_free(qualified);
	return error;
}
