/*
 * sqlite_lint.c — what each statement of a step does, for `ladder lint`,
 * and how big a table is. SQLite offers no parse tree, so each statement is
 * prepared on a scratch database (in the state before it) with an
 * authorizer that records the first schema action SQLite checks, then run
 * there; where the authorizer names only the table (ALTER TABLE) the schema
 * before and after tells ADD from DROP from RENAME. Questions that have an
 * SQLite rule (is a default constant?) are put to SQLite itself, never
 * answered by a rule written here.
 */
#include "sqlite_internal.h"

#include "sqlwords.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first schema action the authorizer saw while a statement was
 * prepared. */
typedef struct seen {
	int code; /* 0: none */
	char arg1[LADDER_NAME_MAX];
	char arg2[LADDER_NAME_MAX];
	char db[LADDER_NAME_MAX];
} seen;

static void copy_name(char *dst, const char *src)
{
	snprintf(dst, LADDER_NAME_MAX, "%s", src ? src : "");
}

static int schema_code(int code)
{
	switch (code) {
	case SQLITE_CREATE_TABLE: case SQLITE_CREATE_TEMP_TABLE:
	case SQLITE_DROP_TABLE: case SQLITE_DROP_TEMP_TABLE:
	case SQLITE_ALTER_TABLE:
	case SQLITE_CREATE_INDEX: case SQLITE_CREATE_TEMP_INDEX:
	case SQLITE_DROP_INDEX: case SQLITE_DROP_TEMP_INDEX:
	case SQLITE_CREATE_VIEW: case SQLITE_CREATE_TEMP_VIEW:
	case SQLITE_DROP_VIEW: case SQLITE_DROP_TEMP_VIEW:
	case SQLITE_CREATE_TRIGGER: case SQLITE_CREATE_TEMP_TRIGGER:
	case SQLITE_DROP_TRIGGER: case SQLITE_DROP_TEMP_TRIGGER:
	case SQLITE_CREATE_VTABLE: case SQLITE_DROP_VTABLE:
	case SQLITE_PRAGMA: case SQLITE_TRANSACTION: case SQLITE_SAVEPOINT:
	case SQLITE_ATTACH: case SQLITE_DETACH: case SQLITE_REINDEX:
		return 1;
	default:
		return 0;
	}
}

/* A pragma that would change how the scratch replays (foreign_keys: the
 * core keeps them off so that rebuilds replay; journal_mode). */
static int kept_pragma(const char *name)
{
	return sqlite3_stricmp(name, "foreign_keys") == 0 || sqlite3_stricmp(name, "journal_mode") == 0;
}

/* Records; refuses nothing. The first schema action is the statement's
 * own: CREATE TABLE checks CREATE_TABLE before the CREATE_INDEX of its
 * UNIQUE constraints, and reads of sqlite_schema are not schema actions.
 * A kept pragma is made a no-op: flag pragmas take effect while the
 * statement is prepared, not when it runs. */
static int authorize(void *ctx, int code, const char *arg1, const char *arg2, const char *db, const char *trigger)
{
	seen *s = ctx;

	if (s->code == 0 && trigger == NULL && schema_code(code)) {
		s->code = code;
		copy_name(s->arg1, arg1);
		copy_name(s->arg2, arg2);
		copy_name(s->db, db);
		if (code == SQLITE_PRAGMA && kept_pragma(s->arg1))
			return SQLITE_IGNORE;
	}
	return SQLITE_OK;
}

/* --- small queries ----------------------------------------------------------------- */

/* A growing list of names, in the order read. */
typedef struct names {
	char **items;
	size_t count, cap;
} names;

static void names_free(names *n)
{
	for (size_t i = 0; i < n->count; i++)
		ladder_free(n->items[i]);
	ladder_free(n->items);
	memset(n, 0, sizeof(*n));
}

static int names_add(names *n, const char *name)
{
	char **items = ladder_array_grow(n->items, &n->cap, n->count, sizeof(*items), 16);

	if (items == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reading a scratch schema");
	n->items = items;
	if ((n->items[n->count] = ladder_strdup(name ? name : "")) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reading a scratch schema");
	n->count++;
	return 0;
}

static int names_has(const names *n, const char *name)
{
	for (size_t i = 0; i < n->count; i++)
		if (strcmp(n->items[i], name) == 0)
			return 1;
	return 0;
}

/* Prepare sql (which sqlite3_mprintf built when `built`: freed here) and
 * bind up to three text parameters. */
static int prepare(ladder_sqlite_conn *conn, sqlite3_stmt **stmt, char *sql, int built, const char *a1,
                   const char *a2, const char *a3)
{
	int rc;

	*stmt = NULL;
	if (sql == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reading a scratch schema");
	rc = sqlite3_prepare_v2(conn->db, sql, -1, stmt, NULL);
	if (built)
		sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return ladder_sqlite__error(conn, rc);
	if (a1)
		sqlite3_bind_text(*stmt, 1, a1, -1, SQLITE_STATIC);
	if (a2)
		sqlite3_bind_text(*stmt, 2, a2, -1, SQLITE_STATIC);
	if (a3)
		sqlite3_bind_text(*stmt, 3, a3, -1, SQLITE_STATIC);
	return 0;
}

/* Does the query return a row? */
static int has_row(ladder_sqlite_conn *conn, char *sql, int built, const char *a1, const char *a2,
                   const char *a3, int *found)
{
	sqlite3_stmt *stmt = NULL;
	int rc, error;

	*found = 0;
	if ((error = prepare(conn, &stmt, sql, built, a1, a2, a3)) < 0)
		goto done;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*found = 1;
	else if (rc != SQLITE_DONE)
		error = ladder_sqlite__error(conn, rc);
done:
	sqlite3_finalize(stmt);
	return error;
}

/* The first column of every row, in order. */
static int read_names(ladder_sqlite_conn *conn, char *sql, int built, const char *a1, const char *a2, names *out)
{
	sqlite3_stmt *stmt = NULL;
	int rc, error;

	if ((error = prepare(conn, &stmt, sql, built, a1, a2, NULL)) < 0)
		goto done;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if ((error = names_add(out, (const char *)sqlite3_column_text(stmt, 0))) < 0)
			goto done;
	if (rc != SQLITE_DONE)
		error = ladder_sqlite__error(conn, rc);
done:
	sqlite3_finalize(stmt);
	return error;
}

static int read_columns(ladder_sqlite_conn *conn, const char *db, const char *table, names *out)
{
	return read_names(conn, "SELECT name FROM pragma_table_xinfo(?1, ?2) ORDER BY cid", 0, table, db, out);
}

/* The rowid of db.table's row in sqlite_schema, which ALTER TABLE updates
 * in place (a rename too): 0 if there is none. */
static int table_rowid(ladder_sqlite_conn *conn, const char *db, const char *table, int64_t *rowid)
{
	char *sql = sqlite3_mprintf("SELECT rowid FROM \"%w\".sqlite_master WHERE type = 'table' AND name = ?1 "
	                            "COLLATE NOCASE", db);
	sqlite3_stmt *stmt = NULL;
	int rc, error;

	*rowid = 0;
	if ((error = prepare(conn, &stmt, sql, 1, table, NULL, NULL)) < 0)
		goto done;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		*rowid = sqlite3_column_int64(stmt, 0);
	else if (rc != SQLITE_DONE)
		error = ladder_sqlite__error(conn, rc);
done:
	sqlite3_finalize(stmt);
	return error;
}

/* Do other tables' foreign keys point at db.table? SQLite's foreign keys
 * name a parent in the child's own database, so db alone is searched. */
static int is_referenced(ladder_sqlite_conn *conn, const char *db, const char *table, int *referenced)
{
	char *sql = sqlite3_mprintf("SELECT 1 FROM \"%w\".sqlite_master AS s, pragma_foreign_key_list(s.name, ?2) AS f "
	                            "WHERE s.type = 'table' AND s.name <> ?1 COLLATE NOCASE "
	                            "AND f.\"table\" = ?1 COLLATE NOCASE LIMIT 1",
	                            db);
	return has_row(conn, sql, 1, table, db, NULL, referenced);
}

/* Is `dflt` (a default's text as pragma_table_xinfo gives it) a constant
 * in SQLite's own judgement? SQLite adds a column with a non-constant
 * default only to an empty table, so add one with it to a one-row table
 * and see. The table is in a private in-memory database, not the scratch:
 * rolling back a schema change makes SQLite parse every schema of the
 * connection again, which on a scratch grown by a long plan costs more than
 * the step (and ATTACH is refused inside a transaction). The judgement
 * reads the expression alone, so no schema is missing there. A probe that
 * fails otherwise says nothing: constant. */
static int default_is_constant(ladder_sqlite_conn *conn, const char *dflt, int *constant)
{
	sqlite3 *probe = conn->lint_probe;
	sqlite3_stmt *stmt = NULL;
	char *alter = NULL;
	int rc, error = 0, opened = 0;

	*constant = 1;
	if (probe == NULL) {
		rc = sqlite3_open_v2(":memory:", &probe, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(probe, "CREATE TABLE probe (a); INSERT INTO probe VALUES (1)", NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			error = ladder_error_set(ladder_sqlite__code(rc), "opening an in-memory database: %s",
			                         probe ? sqlite3_errmsg(probe) : sqlite3_errstr(rc));
			sqlite3_close_v2(probe);
			goto done;
		}
		conn->lint_probe = probe;
	}
	if ((rc = sqlite3_exec(probe, "SAVEPOINT probe", NULL, NULL, NULL)) != SQLITE_OK) {
		error = ladder_error_set(ladder_sqlite__code(rc), "in-memory database: %s", sqlite3_errmsg(probe));
		goto done;
	}
	opened = 1;
	/* One statement prepared, never sqlite3_exec: the text is SQLite's own
	 * span of one expression, and parentheses keep it one. */
	if ((alter = sqlite3_mprintf("ALTER TABLE probe ADD COLUMN b DEFAULT (%s)", dflt)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory reading a scratch schema");
		goto done;
	}
	rc = sqlite3_prepare_v2(probe, alter, -1, &stmt, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc != SQLITE_OK && rc != SQLITE_DONE && strstr(sqlite3_errmsg(probe), "non-constant default") != NULL)
		*constant = 0;
done:
	sqlite3_finalize(stmt);
	sqlite3_free(alter);
	if (opened) {
		sqlite3_exec(probe, "ROLLBACK TO probe", NULL, NULL, NULL);
		sqlite3_exec(probe, "RELEASE probe", NULL, NULL, NULL);
	}
	return error;
}

/* Flags and type of db.table's column, as pragma_table_xinfo reads it. */
static int describe_column(ladder_sqlite_conn *conn, const char *db, ladder_action *act)
{
	sqlite3_stmt *stmt = NULL;
	char *dflt = NULL;
	int rc, error, found, constant;

	error = prepare(conn, &stmt, "SELECT type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1, ?2) "
	                "WHERE name = ?3",
	                0, act->table, db, act->column);
	if (error < 0)
		goto done;
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
		error = rc == SQLITE_DONE ? 0 : ladder_sqlite__error(conn, rc);
		goto done;
	}
	snprintf(act->type, sizeof(act->type), "%s", (const char *)sqlite3_column_text(stmt, 0));
	if (sqlite3_column_int(stmt, 1))
		act->flags |= LADDER_ACTF_NOT_NULL;
	if (sqlite3_column_type(stmt, 2) != SQLITE_NULL) {
		act->flags |= LADDER_ACTF_DEFAULT;
		if ((dflt = ladder_strdup((const char *)sqlite3_column_text(stmt, 2))) == NULL) {
			error = ladder_error_set(LADDER_ENOMEM, "out of memory reading a scratch schema");
			goto done;
		}
	}
	if (sqlite3_column_int(stmt, 3) > 0)
		act->flags |= LADDER_ACTF_PRIMARY_KEY;
	/* hidden 3: GENERATED ... STORED, which SQLite adds only to an empty
	 * table (it would have to compute every row). */
	if (sqlite3_column_int(stmt, 4) == 3)
		act->flags |= LADDER_ACTF_FILLS;
	sqlite3_finalize(stmt);
	stmt = NULL;
	error = has_row(conn, "SELECT 1 FROM pragma_foreign_key_list(?1, ?2) WHERE \"from\" = ?3 COLLATE NOCASE", 0,
	                act->table, db, act->column, &found);
	if (error < 0)
		goto done;
	if (found)
		act->flags |= LADDER_ACTF_FOREIGN_KEY;
	if (dflt != NULL) {
		if ((error = default_is_constant(conn, dflt, &constant)) < 0)
			goto done;
		if (!constant)
			act->flags |= LADDER_ACTF_VOLATILE;
	}
done:
	sqlite3_finalize(stmt);
	ladder_free(dflt);
	return error;
}

/* --- one statement ------------------------------------------------------------------ */

/* What the schema looked like before an ALTER TABLE ran. */
typedef struct before_alter {
	int64_t rowid; /* the table's row in sqlite_schema */
	names columns; /* the table's columns, in order */
} before_alter;

/* ALTER TABLE: the authorizer names the table; the schema after says what
 * became of it. Fills *act and sets *report, or leaves *report 0 when
 * nothing changed (a rename to the same name). */
static int read_alter(ladder_sqlite_conn *conn, const char *db, const before_alter *before, ladder_action *act,
                      int *report)
{
	names columns = {0}, renamed = {0};
	char *sql;
	int error;

	*report = 0;
	sql = sqlite3_mprintf("SELECT name FROM \"%w\".sqlite_master WHERE rowid = %lld", db, (long long)before->rowid);
	if ((error = read_names(conn, sql, 1, NULL, NULL, &renamed)) < 0)
		goto done;
	if (renamed.count == 1 && strcmp(renamed.items[0], act->table) != 0) {
		act->kind = LADDER_ACT_RENAME_TABLE;
		copy_name(act->name, renamed.items[0]);
		*report = 1;
		goto done;
	}
	if ((error = read_columns(conn, db, act->table, &columns)) < 0)
		goto done;
	if (columns.count > before->columns.count) {
		for (size_t i = 0; i < columns.count; i++)
			if (!names_has(&before->columns, columns.items[i])) {
				act->kind = LADDER_ACT_ADD_COLUMN;
				copy_name(act->column, columns.items[i]);
				*report = 1;
				break;
			}
		if (*report)
			error = describe_column(conn, db, act);
	} else if (columns.count < before->columns.count) {
		for (size_t i = 0; i < before->columns.count; i++)
			if (!names_has(&columns, before->columns.items[i])) {
				act->kind = LADDER_ACT_DROP_COLUMN;
				act->needs_version = 3035000; /* ALTER TABLE DROP COLUMN: SQLite 3.35.0 */
				copy_name(act->column, before->columns.items[i]);
				*report = 1;
				break;
			}
	} else {
		for (size_t i = 0; i < columns.count; i++)
			if (strcmp(columns.items[i], before->columns.items[i]) != 0) {
				act->kind = LADDER_ACT_RENAME_COLUMN;
				act->needs_version = 3025000; /* ALTER TABLE RENAME COLUMN: SQLite 3.25.0 */
				copy_name(act->column, before->columns.items[i]);
				copy_name(act->name, columns.items[i]);
				*report = 1;
				break;
			}
	}
done:
	names_free(&columns);
	names_free(&renamed);
	return error;
}

/* IF EXISTS / IF NOT EXISTS among a statement's first words. */
static int says_if_exists(const char *text, size_t len)
{
	char words[8][32];
	size_t n = ladder_sql_words(text, len, words, 8);

	for (size_t i = 0; i + 1 < n; i++)
		if (strcmp(words[i], "IF") == 0 &&
		    (strcmp(words[i + 1], "EXISTS") == 0 || (i + 2 < n && strcmp(words[i + 1], "NOT") == 0 &&
		                                              strcmp(words[i + 2], "EXISTS") == 0)))
			return 1;
	return 0;
}

/* Statements not run on the scratch: transaction control would end or open
 * the core's transaction around the step; foreign_keys and journal_mode
 * would change how the scratch replays; ATTACH would open (or create) a
 * file; VACUUM rewrites the file to no end. */
static int skipped(const seen *s, const char *first_word)
{
	switch (s->code) {
	case SQLITE_TRANSACTION:
	case SQLITE_SAVEPOINT:
	case SQLITE_ATTACH:
	case SQLITE_DETACH:
		return 1;
	case SQLITE_PRAGMA:
		return kept_pragma(s->arg1);
	default:
		return strcmp(first_word, "VACUUM") == 0;
	}
}

static int is_temp(const seen *s, const char *db)
{
	switch (s->code) {
	case SQLITE_CREATE_TEMP_TABLE: case SQLITE_DROP_TEMP_TABLE:
	case SQLITE_CREATE_TEMP_INDEX: case SQLITE_DROP_TEMP_INDEX:
		return 1;
	default:
		return strcmp(db, "temp") == 0;
	}
}

static int report_failed(sqlite3 *db, size_t offset, size_t stmt_offset, ladder_action_fn fn, void *ctx)
{
	ladder_action act;

	memset(&act, 0, sizeof(act));
	act.kind = LADDER_ACT_FAILED;
	act.offset = offset;
	act.stmt_offset = stmt_offset;
	snprintf(act.detail, sizeof(act.detail), "%s", sqlite3_errmsg(db));
	return fn(ctx, &act);
}

int ladder_sqlite__read_actions(ladder_conn *base, const char *sql, size_t len, ladder_action_fn fn, void *ctx)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	sqlite3_stmt *stmt = NULL;
	before_alter before = {0, {0}};
	const char *p = sql, *end = sql + len, *tail;
	ladder_action act;
	int rc, error = 0;

	if (len > INT_MAX) {
		error = ladder_error_set(LADDER_EINVALID, "%zu bytes of SQL is more than SQLite reads at once", len);
		goto done;
	}
	while (p < end) {
		size_t start = (size_t)(p - sql), first;
		char word[1][32] = {""};
		const char *db;
		seen s;
		int report = 0, referenced = 0;

		memset(&s, 0, sizeof(s));
		tail = NULL;
		/* The authorizer is the scratch's only while preparing: whatever
		 * happens it is gone before anything runs or returns. */
		sqlite3_set_authorizer(conn->db, authorize, &s);
		rc = sqlite3_prepare_v2(conn->db, p, (int)(end - p), &stmt, &tail);
		sqlite3_set_authorizer(conn->db, NULL, NULL);
		first = ladder_text_skip_blank(sql, len, start);
		if (rc != SQLITE_OK) {
			error = report_failed(conn->db, ladder_sqlite__error_offset(conn->db, sql, len, start), first, fn, ctx);
			goto done;
		}
		if (tail == NULL || tail <= p) /* nothing consumed: only a blank tail was left */
			break;
		p = tail;
		if (stmt == NULL) /* white space or a comment */
			continue;
		ladder_sql_words(sql + first, (size_t)(tail - sql) - first, word, 1);

		memset(&act, 0, sizeof(act));
		act.offset = act.stmt_offset = first;
		db = s.code == SQLITE_ALTER_TABLE ? s.arg1 : s.db;
		if (db[0] == '\0')
			db = "main";
		if (strcmp(db, "main") != 0)
			copy_name(act.schema, db);
		if (is_temp(&s, db))
			act.flags |= LADDER_ACTF_TEMPORARY;
		switch (s.code) {
		case SQLITE_CREATE_TABLE: case SQLITE_CREATE_TEMP_TABLE:
		case SQLITE_DROP_TABLE: case SQLITE_DROP_TEMP_TABLE:
			act.kind = s.code == SQLITE_CREATE_TABLE || s.code == SQLITE_CREATE_TEMP_TABLE ? LADDER_ACT_CREATE_TABLE
			                                                                              : LADDER_ACT_DROP_TABLE;
			copy_name(act.table, s.arg1);
			report = 1;
			break;
		case SQLITE_CREATE_INDEX: case SQLITE_CREATE_TEMP_INDEX:
		case SQLITE_DROP_INDEX: case SQLITE_DROP_TEMP_INDEX:
			act.kind = s.code == SQLITE_CREATE_INDEX || s.code == SQLITE_CREATE_TEMP_INDEX ? LADDER_ACT_CREATE_INDEX
			                                                                              : LADDER_ACT_DROP_INDEX;
			copy_name(act.name, s.arg1);
			copy_name(act.table, s.arg2);
			report = 1;
			break;
		case SQLITE_REINDEX:
			act.kind = LADDER_ACT_REINDEX;
			copy_name(act.name, s.arg1);
			report = 1;
			break;
		case SQLITE_PRAGMA:
			act.kind = LADDER_ACT_PRAGMA;
			for (size_t i = 0; s.arg1[i] && i + 1 < sizeof(act.name); i++)
				act.name[i] = (char)(s.arg1[i] >= 'A' && s.arg1[i] <= 'Z' ? s.arg1[i] + 'a' - 'A' : s.arg1[i]);
			snprintf(act.detail, sizeof(act.detail), "%s", s.arg2);
			report = 1;
			break;
		case SQLITE_ALTER_TABLE:
			copy_name(act.table, s.arg2);
			if ((error = table_rowid(conn, db, act.table, &before.rowid)) < 0 ||
			    (error = read_columns(conn, db, act.table, &before.columns)) < 0)
				goto done;
			break;
		default:
			break;
		}
		if (report && act.kind != LADDER_ACT_PRAGMA && act.kind != LADDER_ACT_REINDEX &&
		    says_if_exists(sql + first, (size_t)(tail - sql) - first))
			act.flags |= LADDER_ACTF_IF_EXISTS;
		/* Whether others point at a table can be asked only before it goes. */
		if (act.kind == LADDER_ACT_DROP_TABLE) {
			if ((error = is_referenced(conn, db, act.table, &referenced)) < 0)
				goto done;
			if (referenced)
				act.flags |= LADDER_ACTF_REFERENCED;
		}

		if (!skipped(&s, word[0])) {
			while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
				;
			if (rc != SQLITE_DONE) {
				error = report_failed(conn->db, first, first, fn, ctx);
				goto done;
			}
		}
		sqlite3_finalize(stmt);
		stmt = NULL;

		if (s.code == SQLITE_ALTER_TABLE) {
			error = read_alter(conn, db, &before, &act, &report);
			names_free(&before.columns);
			if (error < 0)
				goto done;
		} else if (act.kind == LADDER_ACT_CREATE_INDEX) {
			int unique;
			error = has_row(conn, "SELECT 1 FROM pragma_index_list(?1, ?2) WHERE name = ?3 AND \"unique\"", 0,
			                act.table, db, act.name, &unique);
			if (error < 0)
				goto done;
			if (unique)
				act.flags |= LADDER_ACTF_UNIQUE;
		}
		if (report && (error = fn(ctx, &act)) != 0)
			goto done;
	}
done:
	sqlite3_finalize(stmt);
	names_free(&before.columns);
	return error;
}

/* --- table_size ------------------------------------------------------------------------ */

/* Rows: an exact count (SQLite keeps no estimate). Bytes: the pages of the
 * table and its indexes, what a rebuild rewrites, from dbstat when the
 * library has it. */
int ladder_sqlite__table_size(ladder_conn *base, const char *schema, const char *table, int *exists, int64_t *rows,
                              int64_t *bytes)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	const char *db = schema && schema[0] ? schema : "main";
	sqlite3_stmt *stmt = NULL;
	char *sql;
	int rc, error;

	*exists = 0;
	*rows = -1;
	*bytes = -1;
	sql = sqlite3_mprintf("SELECT 1 FROM \"%w\".sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE", db);
	if ((error = has_row(conn, sql, 1, table, NULL, NULL, exists)) < 0 || !*exists)
		goto done;
	sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\".\"%w\"", db, table);
	if ((error = prepare(conn, &stmt, sql, 1, NULL, NULL, NULL)) < 0)
		goto done;
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
		error = ladder_sqlite__error(conn, rc);
		goto done;
	}
	*rows = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	stmt = NULL;
	/* No dbstat in this build of SQLite: bytes unknown, no error. */
	sql = sqlite3_mprintf("SELECT sum(pgsize) FROM dbstat(?1) WHERE name IN (SELECT name FROM \"%w\".sqlite_master "
	                      "WHERE tbl_name = ?2 COLLATE NOCASE AND type IN ('table', 'index'))",
	                      db);
	if (sql == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory reading a table's size");
		goto done;
	}
	rc = sqlite3_prepare_v2(conn->db, sql, -1, &stmt, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		goto done;
	sqlite3_bind_text(stmt, 1, db, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, table, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL)
		*bytes = sqlite3_column_int64(stmt, 0);
	else if (rc != SQLITE_ROW)
		error = ladder_sqlite__error(conn, rc);
done:
	sqlite3_finalize(stmt);
	return error;
}
