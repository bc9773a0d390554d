/*
 * pg_fleet.c — what a fleet of tenant schemas needs from PostgreSQL: the
 * schemas matching a LIKE pattern, and the fast path's head read of every
 * schema's history table in a few round trips (one to find which tables
 * exist, then one UNION ALL per 100 of them) instead of one per schema.
 */
#include "pg_internal.h"
#include "pg_query_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Heads read per query. The server's cost is per table (opening it and
 * its index, a lock on each until the statement's transaction ends), not
 * per query: a chunk of 100 costs what 500 do per table, keeps a read's
 * locks far below max_locks_per_transaction, and 1,000 schemas still take
 * a dozen round trips, not a thousand. */
#define HEADS_PER_QUERY 100

#define SCHEMAS_SQL                                                                                   \
	"SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname LIKE $1 AND nspname NOT LIKE 'pg\\_%' " \
	"AND nspname <> 'information_schema' ORDER BY nspname"

/* The index (1-based, from the arrays' order) of each store whose table
 * exists: each name looked up alone (to_regclass, then pg_class by oid),
 * where a join on the names walks every table of that name once per
 * schema (a million rows for a thousand tenants). */
#define EXISTING_SQL                                                                                       \
	"SELECT s.i FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS s(schema, tab, i) "                \
	"JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(pg_catalog.quote_ident(COALESCE(NULLIF(" \
	"s.schema, ''), pg_catalog.current_schema())) || '.' || pg_catalog.quote_ident(s.tab)) "              \
	"WHERE c.relkind IN ('r', 'p') ORDER BY s.i"

int ladder_pg__schemas_list(ladder_conn *base, const char *like, ladder_row_fn fn, void *ctx)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	const char *params[1] = {like};
	PGresult *res = NULL;
	int error;

	if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "listing the schemas", SCHEMAS_SQL, 1, params)) == 0)
		error = ladder_pg__emit_rows(res, fn, ctx);
	PQclear(res);
	return error;
}

/* text as an element of a text[] literal: "…" with " and \ escaped */
static void put_element(ladder_buf *buf, const char *text)
{
	ladder_buf_puts(buf, buf->len > 1 ? ",\"" : "\"");
	for (const char *p = text; *p; p++) {
		if (*p == '"' || *p == '\\')
			ladder_buf_put(buf, "\\", 1);
		ladder_buf_put(buf, p, 1);
	}
	ladder_buf_puts(buf, "\"");
}

/* Which stores have a table: sets exists[i]. */
static int find_tables(ladder_pg_conn *conn, const ladder_store *stores, size_t n, char *exists)
{
	ladder_buf schemas = {0}, tables = {0};
	const char *params[2];
	PGresult *res = NULL;
	int error = 0;

	ladder_buf_puts(&schemas, "{");
	ladder_buf_puts(&tables, "{");
	for (size_t i = 0; i < n; i++) {
		put_element(&schemas, stores[i].schema);
		put_element(&tables, stores[i].table);
	}
	ladder_buf_puts(&schemas, "}");
	ladder_buf_puts(&tables, "}");
	if (schemas.failed || tables.failed) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory reading the fleet's heads");
		goto done;
	}
	params[0] = schemas.data;
	params[1] = tables.data;
	if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "finding the history tables", EXISTING_SQL, 2,
	                            params)) < 0)
		goto done;
	for (int row = 0, rows = PQntuples(res); row < rows; row++) {
		long long i = strtoll(PQgetvalue(res, row, 0), NULL, 10);
		if (i >= 1 && (size_t)i <= n)
			exists[i - 1] = 1;
	}
done:
	PQclear(res);
	ladder_buf_free(&schemas);
	ladder_buf_free(&tables);
	return error;
}

/* One UNION ALL over the stores [from, to) whose table exists. */
static int read_chunk(ladder_pg_conn *conn, const ladder_store *stores, const char *exists, size_t from, size_t to,
                      ladder_row_fn fn, void *ctx)
{
	ladder_buf sql = {0};
	PGresult *res = NULL;
	int error = 0;

	for (size_t i = from; i < to; i++) {
		char *qualified;
		if (!exists[i])
			continue;
		if ((qualified = ladder_pg__qualify(conn, stores[i].schema, stores[i].table)) == NULL) {
			error = ladder_error_last()->code;
			goto done;
		}
		ladder_buf_printf(&sql, "%s(SELECT '%zu', " LADDER_HISTORY_HEAD_COLUMNS " FROM %s ORDER BY version DESC LIMIT 1)",
		                  sql.len ? " UNION ALL " : "", i, qualified);
		ladder_free(qualified);
	}
	if (sql.len == 0)
		goto done;
	if (sql.failed) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory reading the fleet's heads");
		goto done;
	}
	if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "reading the history heads", sql.data, 0, NULL)) == 0)
		error = ladder_pg__emit_rows(res, fn, ctx);
done:
	PQclear(res);
	ladder_buf_free(&sql);
	return error;
}

int ladder_pg__heads_read(ladder_conn *base, const ladder_store *stores, size_t n, ladder_row_fn fn, void *ctx)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	char *exists = NULL;
	int error = 0;

	if (n == 0)
		return 0;
	if ((exists = ladder_calloc(n, 1)) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reading the fleet's heads");
	if ((error = find_tables(conn, stores, n, exists)) < 0)
		goto done;
	for (size_t from = 0; from < n && error == 0; from += HEADS_PER_QUERY)
		error = read_chunk(conn, stores, exists, from, from + HEADS_PER_QUERY < n ? from + HEADS_PER_QUERY : n, fn,
		                   ctx);
done:
	ladder_free(exists);
	return error;
}
