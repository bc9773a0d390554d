/*
 * mariadb_describe.c — a normalised description of the schema ladder
 * manages on MariaDB, for `ladder dump` and `ladder verify`, read from
 * information_schema of the store's database (every object but the
 * history table): tables with their engine and columns, indexes, foreign
 * keys and checks, views, triggers, routines and events, each sorted by
 * name so build order never matters, each value one escaped line as
 * pg_describe.c writes them. The database's own name is left out of view
 * bodies and foreign keys, so a scratch database built from the plan
 * describes alike. Also the scratch databases verify builds plans in.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* random under -std=c11 */
#endif

#include "mariadb_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Each query returns (object line, detail line) pairs in a deterministic
 * order; @D is replaced by the database as a literal, @T by the history
 * table's name as a literal. */
static const char *const describe_queries[] = {
	/* tables: engine and collation, then columns in their order */
	"SELECT CONCAT('table ', t.TABLE_NAME) AS o, CONCAT('  engine ', COALESCE(t.ENGINE, ''), "
	"  COALESCE(CONCAT(' collate ', t.TABLE_COLLATION), ''), "
	"  IF(t.CREATE_OPTIONS <> '', CONCAT(' options ', t.CREATE_OPTIONS), ''), "
	"  IF(t.TABLE_COMMENT <> '', CONCAT(' comment ', QUOTE(t.TABLE_COMMENT)), '')) AS d, 0 AS k "
	"FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = @D AND t.TABLE_TYPE = 'BASE TABLE' AND t.TABLE_NAME <> @T "
	"UNION ALL "
	"SELECT CONCAT('table ', c.TABLE_NAME), CONCAT('  column ', c.COLUMN_NAME, ' ', c.COLUMN_TYPE, "
	"  IF(c.IS_NULLABLE = 'NO', ' not null', ''), "
	"  IF(c.IS_GENERATED = 'ALWAYS', CONCAT(' generated ', COALESCE(c.GENERATION_EXPRESSION, '')), "
	"     COALESCE(CONCAT(' default ', c.COLUMN_DEFAULT), '')), "
	"  IF(c.EXTRA <> '', CONCAT(' ', LOWER(c.EXTRA)), ''), "
	"  IF(c.COLLATION_NAME IS NOT NULL AND c.COLLATION_NAME <> t.TABLE_COLLATION, CONCAT(' collate ', c.COLLATION_NAME), ''), "
	"  IF(c.COLUMN_COMMENT <> '', CONCAT(' comment ', QUOTE(c.COLUMN_COMMENT)), '')), c.ORDINAL_POSITION "
	"FROM information_schema.COLUMNS c JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA "
	"  AND t.TABLE_NAME = c.TABLE_NAME "
	"WHERE c.TABLE_SCHEMA = @D AND t.TABLE_TYPE = 'BASE TABLE' AND c.TABLE_NAME <> @T "
	"ORDER BY 1, 3",

	/* indexes (primary and unique keys among them), columns in order */
	"SELECT CONCAT('index ', s.INDEX_NAME, ' on ', s.TABLE_NAME), CONCAT('  ', IF(s.NON_UNIQUE = 0, 'unique ', ''), "
	"  LOWER(s.INDEX_TYPE), ' (', GROUP_CONCAT(CONCAT(s.COLUMN_NAME, COALESCE(CONCAT('(', s.SUB_PART, ')'), ''), "
	"  IF(s.COLLATION = 'D', ' desc', '')) ORDER BY s.SEQ_IN_INDEX SEPARATOR ', '), ')', "
	"  IF(MAX(s.INDEX_COMMENT) <> '', CONCAT(' comment ', QUOTE(MAX(s.INDEX_COMMENT))), '')) "
	"FROM information_schema.STATISTICS s WHERE s.TABLE_SCHEMA = @D AND s.TABLE_NAME <> @T "
	"GROUP BY s.TABLE_NAME, s.INDEX_NAME, s.NON_UNIQUE, s.INDEX_TYPE ORDER BY s.TABLE_NAME, s.INDEX_NAME",

	/* foreign keys */
	"SELECT CONCAT('constraint ', r.CONSTRAINT_NAME, ' on ', r.TABLE_NAME), CONCAT('  foreign key (', "
	"  (SELECT GROUP_CONCAT(k.COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR ', ') FROM "
	"   information_schema.KEY_COLUMN_USAGE k WHERE k.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA AND k.TABLE_NAME = "
	"   r.TABLE_NAME AND k.CONSTRAINT_NAME = r.CONSTRAINT_NAME), ') references ', "
	"  IF(r.UNIQUE_CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA, '', CONCAT(r.UNIQUE_CONSTRAINT_SCHEMA, '.')), "
	"  r.REFERENCED_TABLE_NAME, ' (', "
	"  (SELECT GROUP_CONCAT(k.REFERENCED_COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR ', ') FROM "
	"   information_schema.KEY_COLUMN_USAGE k WHERE k.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA AND k.TABLE_NAME = "
	"   r.TABLE_NAME AND k.CONSTRAINT_NAME = r.CONSTRAINT_NAME), ') on delete ', LOWER(r.DELETE_RULE), "
	"  ' on update ', LOWER(r.UPDATE_RULE)) "
	"FROM information_schema.REFERENTIAL_CONSTRAINTS r WHERE r.CONSTRAINT_SCHEMA = @D AND r.TABLE_NAME <> @T "
	"ORDER BY r.TABLE_NAME, r.CONSTRAINT_NAME",

	/* check constraints (a column's own CHECK is named after the column) */
	"SELECT CONCAT('check ', c.CONSTRAINT_NAME, ' on ', c.TABLE_NAME), CONCAT('  ', c.CHECK_CLAUSE) "
	"FROM information_schema.CHECK_CONSTRAINTS c WHERE c.CONSTRAINT_SCHEMA = @D AND c.TABLE_NAME <> @T "
	"ORDER BY c.TABLE_NAME, c.CONSTRAINT_NAME",

	/* views: the server's text, this database's name taken out */
	"SELECT CONCAT('view ', v.TABLE_NAME), CONCAT('  ', REPLACE(v.VIEW_DEFINITION, CONCAT('`', @D, '`.'), ''), "
	"  IF(v.CHECK_OPTION <> 'NONE', CONCAT(' with ', LOWER(v.CHECK_OPTION), ' check option'), ''), "
	"  ' security ', LOWER(v.SECURITY_TYPE)) "
	"FROM information_schema.VIEWS v WHERE v.TABLE_SCHEMA = @D ORDER BY v.TABLE_NAME",

	/* triggers */
	"SELECT CONCAT('trigger ', t.TRIGGER_NAME, ' on ', t.EVENT_OBJECT_TABLE), CONCAT('  ', t.ACTION_TIMING, ' ', "
	"  t.EVENT_MANIPULATION, ' for each ', t.ACTION_ORIENTATION, ' order ', t.ACTION_ORDER, ' ', t.ACTION_STATEMENT) "
	"FROM information_schema.TRIGGERS t WHERE t.TRIGGER_SCHEMA = @D "
	"ORDER BY t.EVENT_OBJECT_TABLE, t.TRIGGER_NAME",

	/* routines: signature, what they return, their body */
	"SELECT CONCAT(LOWER(r.ROUTINE_TYPE), ' ', r.ROUTINE_NAME, '(', COALESCE((SELECT GROUP_CONCAT(CONCAT_WS(' ', "
	"  p.PARAMETER_MODE, p.PARAMETER_NAME, p.DTD_IDENTIFIER) ORDER BY p.ORDINAL_POSITION SEPARATOR ', ') FROM "
	"  information_schema.PARAMETERS p WHERE p.SPECIFIC_SCHEMA = r.ROUTINE_SCHEMA AND p.SPECIFIC_NAME = "
	"  r.SPECIFIC_NAME AND p.ROUTINE_TYPE = r.ROUTINE_TYPE AND p.ORDINAL_POSITION > 0), ''), ')') AS o, "
	"  CONCAT('  ', IF(r.ROUTINE_TYPE = 'FUNCTION', CONCAT('returns ', r.DTD_IDENTIFIER, ' '), ''), "
	"  IF(r.IS_DETERMINISTIC = 'YES', 'deterministic ', ''), LOWER(r.SQL_DATA_ACCESS), ' security ', "
	"  LOWER(r.SECURITY_TYPE)) AS d, 0 AS k "
	"FROM information_schema.ROUTINES r WHERE r.ROUTINE_SCHEMA = @D "
	"UNION ALL "
	"SELECT CONCAT(LOWER(r.ROUTINE_TYPE), ' ', r.ROUTINE_NAME, '(', COALESCE((SELECT GROUP_CONCAT(CONCAT_WS(' ', "
	"  p.PARAMETER_MODE, p.PARAMETER_NAME, p.DTD_IDENTIFIER) ORDER BY p.ORDINAL_POSITION SEPARATOR ', ') FROM "
	"  information_schema.PARAMETERS p WHERE p.SPECIFIC_SCHEMA = r.ROUTINE_SCHEMA AND p.SPECIFIC_NAME = "
	"  r.SPECIFIC_NAME AND p.ROUTINE_TYPE = r.ROUTINE_TYPE AND p.ORDINAL_POSITION > 0), ''), ')'), "
	"  CONCAT('  ', r.ROUTINE_DEFINITION), 1 "
	"FROM information_schema.ROUTINES r WHERE r.ROUTINE_SCHEMA = @D ORDER BY 1, 3",

	/* events: schedule (not its start, a time of creation) and body */
	"SELECT CONCAT('event ', e.EVENT_NAME), CONCAT('  ', IF(e.EVENT_TYPE = 'RECURRING', CONCAT('every ', "
	"  e.INTERVAL_VALUE, ' ', LOWER(e.INTERVAL_FIELD)), 'once'), ' ', LOWER(e.STATUS), ' on completion ', "
	"  LOWER(e.ON_COMPLETION), ' ', e.EVENT_DEFINITION) "
	"FROM information_schema.EVENTS e WHERE e.EVENT_SCHEMA = @D ORDER BY e.EVENT_NAME",
};

/* One value on one dump line, kept exactly (see pg_describe.c). */
static void put_line(ladder_buf *out, const char *text)
{
	ladder_buf_put_escaped(out, text, strlen(text));
	ladder_buf_put(out, "\n", 1);
}

typedef struct {
	ladder_buf *out;
	char *last;
	int failed;
} describe_ctx;

static int on_row(void *ctx, int ncols, const char *const *names, const char *const *cells)
{
	describe_ctx *d = ctx;
	(void)names;
	if (ncols < 2 || cells[0] == NULL)
		return 0;
	/* consecutive rows of one object share its header line */
	if (d->last == NULL || strcmp(d->last, cells[0]) != 0) {
		put_line(d->out, cells[0]);
		ladder_free(d->last);
		if ((d->last = ladder_strdup(cells[0])) == NULL)
			return ladder_error_set(LADDER_ENOMEM, "out of memory describing the database");
	}
	if (cells[1] != NULL)
		put_line(d->out, cells[1]);
	return 0;
}

/* query with @D and @T replaced by literals */
static void expand(ladder_my_conn *conn, ladder_buf *sql, const char *query, const char *database, const char *table)
{
	for (const char *p = query; *p;) {
		const char *at = strchr(p, '@');
		if (at == NULL) {
			ladder_buf_puts(sql, p);
			break;
		}
		ladder_buf_put(sql, p, (size_t)(at - p));
		if (at[1] == 'D')
			ladder_my__put_database(conn, sql, database);
		else if (at[1] == 'T')
			ladder_my__put_literal(conn, sql, table);
		else
			ladder_buf_put(sql, at, 2);
		p = at + 2;
	}
}

int ladder_my__describe(ladder_conn *base, const ladder_store *store, ladder_buf *out)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;
	const char *database = ladder_my__database(conn, store);
	const char *table = store->kind == LADDER_STORE_HISTORY ? store->table : "";
	int error = 0;

	if (ladder_my__missing(conn, database))
		return 0; /* nothing there yet */
	for (size_t q = 0; q < sizeof(describe_queries) / sizeof(describe_queries[0]) && error == 0; q++) {
		describe_ctx d = {out, NULL, 0};
		ladder_buf sql = {0};

		expand(conn, &sql, describe_queries[q], database, table);
		if (sql.failed)
			error = ladder_error_set(LADDER_ENOMEM, "out of memory describing %s", conn->display);
		else
			error = ladder_my__rows(conn, "describing the database", sql.data, 0, on_row, &d);
		ladder_buf_free(&sql);
		ladder_free(d.last);
	}
	if (error == 0 && out->failed)
		error = ladder_error_set(LADDER_ENOMEM, "out of memory describing %s", conn->display);
	return error;
}

/* --- scratch databases ------------------------------------------------------ */

#define SCRATCH_PREFIX "ladder_scratch_"

int ladder_my__scratch_create(ladder_conn *base, char **url)
{
	static unsigned int counter;
	ladder_my_conn *conn = (ladder_my_conn *)base;
	struct timespec now;
	char name[64], charset[160];
	ladder_buf sql = {0};
	int error;

	*url = NULL;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(name, sizeof(name), SCRATCH_PREFIX "%08lx%04x%06lx", (unsigned long)getpid() & 0xffffffffUL,
	         __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) & 0xffff,
	         ((unsigned long)now.tv_nsec ^ (unsigned long)random()) & 0xffffffUL);
	/* The database's own default character set and collation, which
	 * every table made without one takes, and describe shows. */
	ladder_buf_puts(&sql, "SELECT CONCAT('CHARACTER SET ', DEFAULT_CHARACTER_SET_NAME, ' COLLATE ', "
	                      "DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ");
	ladder_my__put_database(conn, &sql, conn->database);
	if (sql.failed)
		return ladder_error_set(LADDER_ENOMEM, "out of memory");
	error = ladder_my__value(conn, "creating a scratch database", sql.data, charset, sizeof(charset), NULL);
	ladder_buf_free(&sql);
	memset(&sql, 0, sizeof(sql));
	if (error < 0)
		return error;
	ladder_buf_puts(&sql, "CREATE DATABASE ");
	ladder_my__put_ident(&sql, name);
	ladder_buf_puts(&sql, " ");
	ladder_buf_puts(&sql, charset[0] ? charset : "CHARACTER SET utf8mb4");
	if (sql.failed)
		return ladder_error_set(LADDER_ENOMEM, "out of memory");
	error = ladder_my__run(conn, "creating a scratch database", sql.data, sql.len, NULL);
	ladder_buf_free(&sql);
	if (error < 0)
		return error;
	/* The same server, user and settings as this connection, with only
	 * the database changed. */
	if ((*url = ladder_my__params_url(&conn->params, name)) == NULL) {
		ladder_error_saved saved;
		ladder_error_save(&saved);
		ladder_buf_puts(&sql, "DROP DATABASE IF EXISTS ");
		ladder_my__put_ident(&sql, name);
		if (!sql.failed)
			ladder_my__run(conn, NULL, sql.data, sql.len, NULL);
		ladder_buf_free(&sql);
		ladder_error_restore(&saved);
		return LADDER_ENOMEM;
	}
	return 0;
}

int ladder_my__scratch_drop(ladder_conn *base, const char *url)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;
	ladder_my_params params;
	ladder_buf sql = {0};
	int error;

	if ((error = ladder_my__parse_url(&params, url)) < 0)
		return error;
	if (params.database == NULL || strncmp(params.database, SCRATCH_PREFIX, strlen(SCRATCH_PREFIX)) != 0) {
		error = ladder_error_set(LADDER_EINVALID, "not a scratch database");
		goto done;
	}
	ladder_buf_puts(&sql, "DROP DATABASE IF EXISTS ");
	ladder_my__put_ident(&sql, params.database);
	if (sql.failed)
		error = ladder_error_set(LADDER_ENOMEM, "out of memory");
	else
		error = ladder_my__run(conn, "dropping a scratch database", sql.data, sql.len, NULL);
done:
	ladder_buf_free(&sql);
	ladder_my__params_free(&params);
	return error;
}
