/*
 * pg_describe.c — a normalised description of the schema ladder manages on
 * PostgreSQL, for `ladder dump` and `ladder verify`, read from the catalogs
 * of the target schema with the server's own pg_get_*def functions (their
 * text kept exactly, one escaped line per value); and the scratch databases
 * verify builds plans in.
 */
#include "pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Each query takes $1 = the schema (NULL: current_schema()), $2 = the
 * history table to leave out (and the lease table, ladder_lock), $3 = the comment-store table whose comment
 * is the version stamp, and returns (object line, detail line) pairs in a
 * deterministic order. Objects that belong to extensions are left out:
 * the extension line stands for them. */
#define PARAMS "WITH p AS (SELECT $1::text AS schema, $2::text AS history, $3::text AS stamped) "
#define SCHEMA "(SELECT COALESCE(p.schema, current_schema()) FROM p)"
#define HISTORY "(SELECT COALESCE(p.history, '') FROM p)"
#define STAMPED "(SELECT COALESCE(p.stamped, '') FROM p)"
#define NOT_EXTENSION(oid, catalog)                                                                       \
	"NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '" catalog "'::regclass AND e.objid = " oid \
	" AND e.deptype = 'e')"

static const char *const describe_queries[] = {
	/* extensions installed in the schema */
	PARAMS "SELECT 'extension ' || x.extname, NULL FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace "
	"WHERE n.nspname = " SCHEMA " ORDER BY 1",

	/* types: enums, domains */
	PARAMS "SELECT 'type ' || t.typname || ' enum', "
	"  '  values ' || (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) "
	"                  FROM pg_enum e WHERE e.enumtypid = t.oid) "
	"FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
	"WHERE n.nspname = " SCHEMA " AND t.typtype = 'e' AND " NOT_EXTENSION("t.oid", "pg_type") " "
	"UNION ALL "
	"SELECT 'type ' || t.typname || ' domain', '  over ' || format_type(t.typbasetype, t.typtypmod) || "
	"  CASE WHEN t.typnotnull THEN ' not null' ELSE '' END || "
	"  COALESCE(' default ' || t.typdefault, '') "
	"FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
	"WHERE n.nspname = " SCHEMA " AND t.typtype = 'd' AND " NOT_EXTENSION("t.oid", "pg_type") " "
	"ORDER BY 1, 2",

	/* sequences */
	PARAMS "SELECT 'sequence ' || c.relname, '  ' || format_type(s.seqtypid, NULL) || ' start ' || s.seqstart || "
	"  ' increment ' || s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax || "
	"  CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END "
	"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid "
	"WHERE n.nspname = " SCHEMA " AND c.relkind = 'S' AND " NOT_EXTENSION("c.oid", "pg_class") " ORDER BY 1",

	/* tables with their columns, in column order */
	PARAMS "SELECT 'table ' || c.relname, '  column ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || "
	"  CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || "
	"  CASE WHEN a.attgenerated = 's' THEN ' generated ' || pg_get_expr(d.adbin, d.adrelid) "
	"       ELSE COALESCE(' default ' || pg_get_expr(d.adbin, d.adrelid), '') END || "
	"  CASE a.attidentity WHEN 'a' THEN ' identity always' WHEN 'd' THEN ' identity by default' ELSE '' END || "
	"  COALESCE(' collate ' || NULLIF(co.collname, 'default'), '') "
	"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	"JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
	"LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum "
	"LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0 "
	"  AND a.attcollation <> (SELECT typcollation FROM pg_type WHERE oid = a.atttypid) "
	"WHERE n.nspname = " SCHEMA " AND c.relkind IN ('r', 'p') AND c.relname NOT IN (" HISTORY ", '" LADDER_PG_LOCK_TABLE "') "
	"  AND " NOT_EXTENSION("c.oid", "pg_class") " "
	"ORDER BY c.relname, a.attnum",

	/* constraints, by table then name */
	PARAMS "SELECT 'constraint ' || con.conname || ' on ' || c.relname, '  ' || pg_get_constraintdef(con.oid, true) "
	"FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
	"JOIN pg_namespace n ON n.oid = c.relnamespace "
	"WHERE n.nspname = " SCHEMA " AND c.relname NOT IN (" HISTORY ", '" LADDER_PG_LOCK_TABLE "') AND " NOT_EXTENSION("c.oid", "pg_class") " "
	"ORDER BY c.relname, con.conname",

	/* indexes that no constraint owns */
	PARAMS "SELECT 'index ' || ic.relname || ' on ' || c.relname, '  ' || pg_get_indexdef(i.indexrelid) "
	"FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid "
	"JOIN pg_namespace n ON n.oid = c.relnamespace "
	"WHERE n.nspname = " SCHEMA " AND c.relname NOT IN (" HISTORY ", '" LADDER_PG_LOCK_TABLE "') "
	"  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.conrelid = c.oid) "
	"  AND " NOT_EXTENSION("c.oid", "pg_class") " "
	"ORDER BY ic.relname",

	/* views and materialized views */
	PARAMS "SELECT CASE c.relkind WHEN 'v' THEN 'view ' ELSE 'materialized view ' END || c.relname, "
	"  '  ' || pg_get_viewdef(c.oid, true) "
	"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	"WHERE n.nspname = " SCHEMA " AND c.relkind IN ('v', 'm') AND " NOT_EXTENSION("c.oid", "pg_class") " "
	"ORDER BY c.relname",

	/* functions and procedures */
	PARAMS "SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', "
	"  '  ' || pg_get_functiondef(p.oid) "
	"FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
	"WHERE n.nspname = " SCHEMA " AND p.prokind IN ('f', 'p') AND " NOT_EXTENSION("p.oid", "pg_proc") " "
	"ORDER BY 1",

	/* triggers */
	PARAMS "SELECT 'trigger ' || t.tgname || ' on ' || c.relname, '  ' || pg_get_triggerdef(t.oid, true) "
	"FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
	"WHERE n.nspname = " SCHEMA " AND NOT t.tgisinternal AND c.relname NOT IN (" HISTORY ", '" LADDER_PG_LOCK_TABLE "') ORDER BY c.relname, t.tgname",

	/* comments on tables, columns and functions, but not the comment store's
	 * version stamp */
	PARAMS "SELECT 'comment on ' || CASE c.relkind WHEN 'r' THEN 'table ' WHEN 'p' THEN 'table ' WHEN 'v' THEN 'view ' "
	"  ELSE 'relation ' END || c.relname || COALESCE('.' || a.attname, ''), '  ' || quote_literal(d.description) "
	"FROM pg_description d JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid "
	"JOIN pg_namespace n ON n.oid = c.relnamespace "
	"LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0 "
	"WHERE n.nspname = " SCHEMA " AND c.relname NOT IN (" HISTORY ", '" LADDER_PG_LOCK_TABLE "') "
	"  AND NOT (d.objsubid = 0 AND c.relname = " STAMPED ") AND " NOT_EXTENSION("c.oid", "pg_class") " "
	"UNION ALL "
	"SELECT 'comment on function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', "
	"  '  ' || quote_literal(d.description) "
	"FROM pg_description d JOIN pg_proc p ON d.classoid = 'pg_proc'::regclass AND d.objoid = p.oid "
	"JOIN pg_namespace n ON n.oid = p.pronamespace "
	"WHERE n.nspname = " SCHEMA " AND " NOT_EXTENSION("p.oid", "pg_proc") " "
	"ORDER BY 1, 2",
};

/* One value on one dump line, kept exactly: the server's text of a view or
 * function spans lines, and folding its white space would make
 * "SELECT 1 -- c<newline>+ 1" and "SELECT 1 -- c + 1" (which return 2 and
 * 1) dump alike. Newlines, tabs and carriage returns are spelled \n, \t,
 * \r, and a backslash \\, so distinct texts stay distinct. */
static void put_line(ladder_buf *out, const char *text)
{
	ladder_buf_put_escaped(out, text, strlen(text));
	ladder_buf_put(out, "\n", 1);
}

int ladder_pg__describe(ladder_conn *base, const ladder_store *store, ladder_buf *out)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	const char *schema = store->schema[0] ? store->schema : conn->schema;
	const char *history = store->kind == LADDER_STORE_HISTORY ? store->table : NULL;
	const char *stamped = store->kind == LADDER_STORE_COMMENT ? store->table : NULL;
	const char *params[3] = {schema, history, stamped};
	int error = 0;

	for (size_t q = 0; q < sizeof(describe_queries) / sizeof(describe_queries[0]) && error == 0; q++) {
		PGresult *res = NULL;
		const char *last = "";

		error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "describing the schema", describe_queries[q], 3, params);
		for (int row = 0; error == 0 && row < PQntuples(res); row++) {
			const char *object = PQgetvalue(res, row, 0);
			/* consecutive rows of one object share its header line */
			if (strcmp(object, last) != 0)
				put_line(out, object);
			last = object;
			if (!PQgetisnull(res, row, 1))
				put_line(out, PQgetvalue(res, row, 1));
		}
		PQclear(res);
	}
	if (error == 0 && out->failed)
		error = ladder_error_set(LADDER_ENOMEM, "out of memory describing %s", conn->display);
	return error;
}

/* --- scratch databases ------------------------------------------------------ */

/* Append key='value' with libpq's quoting (backslash and quote escaped). */
static void conninfo_add(ladder_buf *out, const char *key, const char *value)
{
	ladder_buf_printf(out, "%s%s='", out->len ? " " : "", key);
	for (; *value; value++) {
		if (*value == '\\' || *value == '\'')
			ladder_buf_put(out, "\\", 1);
		ladder_buf_put(out, value, 1);
	}
	ladder_buf_put(out, "'", 1);
}

int ladder_pg__scratch_create(ladder_conn *base, char **url)
{
	static unsigned int counter;
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	PQconninfoOption *options = NULL;
	ladder_buf info = {0};
	char name[64], *quoted = NULL, *sql = NULL;
	PGresult *res = NULL;
	int error;

	*url = NULL;
	snprintf(name, sizeof(name), "ladder_verify_%ld_%u_%ld", (long)getpid(), ++counter, random() % 100000);
	if ((quoted = ladder_pg__quote_ident(conn, name)) == NULL)
		return LADDER_ENOMEM;
	if ((sql = ladder_malloc(strlen(quoted) + 64)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory");
		goto done;
	}
	sprintf(sql, "CREATE DATABASE %s TEMPLATE template0", quoted);
	if ((error = ladder_pg__run(conn, &res, PGRES_COMMAND_OK, "creating a scratch database", sql, 0, NULL)) < 0)
		goto done;
	/* The same server, user and settings as this connection, as libpq
	 * itself parsed them, with only the database changed. */
	if ((options = PQconninfo(conn->pg)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory");
		goto done;
	}
	for (PQconninfoOption *o = options; o->keyword != NULL; o++)
		if (o->val != NULL && o->val[0] != '\0' && strcmp(o->keyword, "dbname") != 0)
			conninfo_add(&info, o->keyword, o->val);
	conninfo_add(&info, "dbname", name);
	if (info.failed) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory");
		goto done;
	}
	*url = info.data;
	info.data = NULL;
done:
	PQconninfoFree(options);
	ladder_buf_free(&info);
	PQclear(res);
	ladder_free(quoted);
	ladder_free(sql);
	return error;
}

int ladder_pg__scratch_drop(ladder_conn *base, const char *url)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	PQconninfoOption *options = PQconninfoParse(url, NULL);
	const char *name = NULL;
	char *quoted = NULL, *sql = NULL;
	PGresult *res = NULL;
	int error = 0;

	for (PQconninfoOption *o = options; o && o->keyword != NULL; o++)
		if (strcmp(o->keyword, "dbname") == 0)
			name = o->val;
	if (name == NULL || strncmp(name, "ladder_verify_", 14) != 0) {
		error = ladder_error_set(LADDER_EINVALID, "not a scratch database");
		goto done;
	}
	if ((quoted = ladder_pg__quote_ident(conn, name)) == NULL || (sql = ladder_malloc(strlen(quoted) + 64)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory");
		goto done;
	}
	sprintf(sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", quoted);
	error = ladder_pg__run(conn, &res, PGRES_COMMAND_OK, "dropping a scratch database", sql, 0, NULL);
done:
	PQconninfoFree(options);
	PQclear(res);
	ladder_free(quoted);
	ladder_free(sql);
	return error;
}
