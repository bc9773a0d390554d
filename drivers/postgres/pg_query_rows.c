/*
 * pg_query_rows.c — reading tables ladder does not own: whether a table (and
 * a column) exists, any read-only query with its cells handed out as text,
 * and a table comment that holds a version (PhoenixKit's stamp). adopt
 * reads another tool's history through these inside its transaction, so
 * none of them may fail on a missing table: that would abort the
 * transaction. Existence is asked of the catalog instead.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* strtoll under -std=c11 */
#endif

#include "pg_internal.h"
#include "pg_query_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* to_regclass gives NULL for a missing relation (no error), and resolves an
 * unqualified name through the search path as the tools' own queries do. */
#define TABLE_HAS_SQL                                                                                        \
	"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a ON a.attrelid = "     \
	"c.oid WHERE c.oid = pg_catalog.to_regclass($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum " \
	"> 0 AND NOT a.attisdropped AND ($2::text IS NULL OR a.attname = $2))"

/* The first table (by name) in the schema whose comment is a version
 * number above 0, as COMMENT ON TABLE t IS 'N' writes it. */
#define STAMP_SQL                                                                                          \
	"SELECT c.relname, d.description FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = " \
	"c.relnamespace JOIN pg_catalog.pg_description d ON d.objoid = c.oid AND d.classoid = "                \
	"'pg_catalog.pg_class'::regclass AND d.objsubid = 0 WHERE n.nspname = COALESCE($1, "                   \
	"pg_catalog.current_schema()) AND c.relkind IN ('r', 'p') AND d.description ~ '^0*[1-9][0-9]{0,17}$' "  \
	"ORDER BY c.relname LIMIT 1"

int ladder_pg__table_has(ladder_conn *base, const char *schema, const char *table, const char *column,
                         int *exists)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	const char *params[2] = {NULL, column};
	char *qualified = NULL;
	PGresult *res = NULL;
	int error;

	*exists = 0;
	if ((qualified = ladder_pg__qualify(conn, schema, table)) == NULL) {
		error = ladder_error_last()->code;
		goto done;
	}
	params[0] = qualified;
	if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "looking up a table", TABLE_HAS_SQL, 2, params)) < 0)
		goto done;
	*exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
done:
	PQclear(res);
	ladder_free(qualified);
	return error;
}

int ladder_pg__emit_rows(const PGresult *res, ladder_row_fn fn, void *ctx)
{
	int ncols = PQnfields(res), error = 0;
	const char **cells = ladder_malloc((size_t)(ncols > 0 ? ncols : 1) * 2 * sizeof(*cells));

	if (cells == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reading a query's rows");
	for (int i = 0; i < ncols; i++)
		cells[i] = PQfname(res, i);
	for (int row = 0, rows = PQntuples(res); row < rows && error == 0; row++) {
		for (int i = 0; i < ncols; i++)
			cells[ncols + i] = PQgetisnull(res, row, i) ? NULL : PQgetvalue(res, row, i);
		error = fn(ctx, ncols, cells, cells + ncols);
	}
	ladder_free(cells);
	return error;
}

int ladder_pg__query_rows(ladder_conn *base, const char *sql, ladder_row_fn fn, void *ctx)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	PGresult *res = NULL;
	int error;

	/* The extended protocol refuses a second statement rather than running
	 * one and silently skipping the rest. */
	if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, NULL, sql, 0, NULL)) == 0)
		error = ladder_pg__emit_rows(res, fn, ctx);
	PQclear(res);
	return error;
}

int ladder_pg__stamp_find(ladder_conn *base, const char *schema, char *spec, size_t len, int64_t *version)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	const char *params[1] = {schema && schema[0] ? schema : NULL};
	PGresult *res = NULL;
	int error;

	*version = 0;
	if (len > 0)
		spec[0] = '\0';
	if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "looking for a version comment", STAMP_SQL, 1,
	                            params)) < 0)
		goto done;
	if (PQntuples(res) == 1) {
		*version = (int64_t)strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		snprintf(spec, len, "comment:%s", PQgetvalue(res, 0, 0));
	}
done:
	PQclear(res);
	return error;
}
