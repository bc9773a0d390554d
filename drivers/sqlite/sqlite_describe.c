/*
 * sqlite_describe.c — a normalised description of an SQLite schema for
 * `ladder dump` and `ladder verify`: tables with their columns, constraints
 * and indexes, views and triggers, read from sqlite_schema and the table,
 * index and foreign-key pragmas rather than from the CREATE text, so that a
 * table declared whole and one grown by ALTER TABLE describe the same.
 */
#include "sqlite_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct lines {
	char **items;
	size_t count, cap;
	int failed;
} lines;

static void lines_add(lines *l, const char *text)
{
	char *copy, **items;
	if (l->failed)
		return;
	if ((items = ladder_array_grow(l->items, &l->cap, l->count, sizeof(*items), 8)) == NULL) {
		l->failed = 1;
		return;
	}
	l->items = items;
	if ((copy = ladder_strdup(text)) == NULL) {
		l->failed = 1;
		return;
	}
	l->items[l->count++] = copy;
}

static int compare_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append the lines sorted, each indented, then free them. */
static void lines_flush(lines *l, ladder_buf *out, const char *indent)
{
	if (!l->failed && l->count > 1)
		qsort(l->items, l->count, sizeof(*l->items), compare_text);
	for (size_t i = 0; i < l->count; i++) {
		if (!l->failed)
			ladder_buf_printf(out, "%s%s\n", indent, l->items[i]);
		ladder_free(l->items[i]);
	}
	if (l->failed)
		out->failed = 1;
	ladder_free(l->items);
	memset(l, 0, sizeof(*l));
}

/* Length of the quoted token (string or identifier) at p, or 0. */
static size_t quoted_length(const char *p)
{
	char close;
	size_t i;

	switch (*p) {
	case '\'': close = '\''; break;
	case '"': close = '"'; break;
	case '`': close = '`'; break;
	case '[': close = ']'; break;
	default: return 0;
	}
	for (i = 1; p[i]; i++) {
		if (p[i] == close) {
			if (close != ']' && p[i + 1] == close) {
				i++; /* doubled quote */
				continue;
			}
			return i + 1;
		}
	}
	return i;
}

/* SQL text with comments dropped, white space between tokens collapsed,
 * and no space next to punctuation: "CREATE VIEW v AS\n  SELECT a ,b" and
 * "CREATE VIEW v AS SELECT a, b" normalise alike. A -- comment ends at its
 * newline, so "1 -- c<newline>+ 1" keeps its "+ 1"; quoted text is kept
 * byte for byte (escaped). */
static void normalise_sql(ladder_buf *out, const char *sql, size_t len)
{
	int pending_space = 0;
	char last = '(';
	size_t i = 0;

	while (i < len) {
		size_t q;
		if (isspace((unsigned char)sql[i])) {
			pending_space = 1;
			i++;
		} else if (sql[i] == '-' && i + 1 < len && sql[i + 1] == '-') {
			while (i < len && sql[i] != '\n')
				i++;
			pending_space = 1;
		} else if (sql[i] == '/' && i + 1 < len && sql[i + 1] == '*') {
			const char *end = strstr(sql + i + 2, "*/");
			i = end && (size_t)(end - sql) < len ? (size_t)(end - sql) + 2 : len;
			pending_space = 1;
		} else {
			int punct = strchr("(),;", sql[i]) != NULL;
			if (pending_space && !punct && !strchr("(,", last))
				ladder_buf_put(out, " ", 1);
			pending_space = 0;
			q = quoted_length(sql + i);
			if (q > 0) {
				if (i + q > len)
					q = len - i;
				/* quoted text kept exactly: 'a<newline>b' and 'a b' differ */
				ladder_buf_put_escaped(out, sql + i, q);
				i += q;
				last = 'q';
			} else {
				ladder_buf_put(out, sql + i, 1);
				last = sql[i];
				i++;
			}
		}
	}
}

static int keyword_at(const char *sql, size_t i, const char *word)
{
	size_t n = strlen(word);
	if (strncasecmp(sql + i, word, n) != 0)
		return 0;
	if (i > 0 && (isalnum((unsigned char)sql[i - 1]) || sql[i - 1] == '_'))
		return 0;
	return !(isalnum((unsigned char)sql[i + n]) || sql[i + n] == '_');
}

/* Every CHECK (...) in a CREATE TABLE text, normalised. */
static void collect_checks(const char *sql, lines *out)
{
	size_t len = strlen(sql);
	size_t i = 0;

	while (i < len) {
		size_t q = quoted_length(sql + i);
		if (q > 0) {
			i += q;
		} else if (keyword_at(sql, i, "check")) {
			size_t j = i + 5, start, depth = 0;
			while (j < len && isspace((unsigned char)sql[j]))
				j++;
			if (j >= len || sql[j] != '(') {
				i = j;
				continue;
			}
			start = j;
			for (; j < len; j++) {
				size_t jq = quoted_length(sql + j);
				if (jq > 0) {
					j += jq - 1;
					continue;
				}
				if (sql[j] == '(')
					depth++;
				else if (sql[j] == ')' && --depth == 0)
					break;
			}
			{
				ladder_buf text = {0};
				ladder_buf_puts(&text, "check ");
				normalise_sql(&text, sql + start, (j < len ? j + 1 : len) - start);
				if (text.failed)
					out->failed = 1;
				else
					lines_add(out, text.data);
				ladder_buf_free(&text);
			}
			i = j + 1;
		} else {
			i++;
		}
	}
}

static const char *text_or(sqlite3_stmt *stmt, int column, const char *fallback)
{
	const unsigned char *value = sqlite3_column_text(stmt, column);
	return value ? (const char *)value : fallback;
}

static void upper_into(ladder_buf *out, const char *text)
{
	for (; *text; text++) {
		char c = (char)toupper((unsigned char)*text);
		ladder_buf_put(out, &c, 1);
	}
}

/* Run a pragma-style query with one %w (a quoted name) and hand each row
 * to visit(). */
typedef void (*row_fn)(sqlite3_stmt *stmt, void *ctx);

static int each_row(ladder_sqlite_conn *conn, const char *fmt, const char *name, row_fn visit, void *ctx)
{
	char *sql = sqlite3_mprintf(fmt, name);
	sqlite3_stmt *stmt = NULL;
	int rc, error = 0;

	if (sql == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory describing '%s'", conn->path);
	rc = sqlite3_prepare_v2(conn->db, sql, -1, &stmt, NULL);
	if (rc == SQLITE_OK)
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
			visit(stmt, ctx);
	if (rc != SQLITE_DONE)
		error = ladder_sqlite__error(conn, rc);
	sqlite3_finalize(stmt);
	sqlite3_free(sql);
	return error;
}

static void column_line(sqlite3_stmt *stmt, void *ctx)
{
	ladder_buf *out = ctx;
	int notnull = sqlite3_column_int(stmt, 3);
	int pk = sqlite3_column_int(stmt, 5);
	int hidden = sqlite3_column_int(stmt, 6);

	ladder_buf_printf(out, "  column %s ", text_or(stmt, 1, ""));
	upper_into(out, text_or(stmt, 2, ""));
	if (notnull)
		ladder_buf_puts(out, " not null");
	if (sqlite3_column_type(stmt, 4) != SQLITE_NULL) {
		const char *dflt = text_or(stmt, 4, "");
		ladder_buf_puts(out, " default ");
		normalise_sql(out, dflt, strlen(dflt));
	}
	if (pk > 0)
		ladder_buf_printf(out, " primary key %d", pk);
	if (hidden == 1)
		ladder_buf_puts(out, " hidden");
	else if (hidden == 2)
		ladder_buf_puts(out, " generated virtual");
	else if (hidden == 3)
		ladder_buf_puts(out, " generated stored");
	ladder_buf_puts(out, "\n");
}

static void table_options(sqlite3_stmt *stmt, void *ctx)
{
	ladder_buf *out = ctx;
	if (sqlite3_column_int(stmt, 0))
		ladder_buf_puts(out, " without rowid");
	if (sqlite3_column_int(stmt, 1))
		ladder_buf_puts(out, " strict");
}

typedef struct fk_state {
	lines *out;
	ladder_buf current;
	ladder_buf from, to;
	int id;
} fk_state;

static void fk_finish(fk_state *fk)
{
	/* A column list cut short by a failed allocation must not pass for the key. */
	if (fk->current.failed || fk->from.failed || fk->to.failed)
		fk->out->failed = 1;
	else if (fk->id >= 0 && fk->current.data) {
		ladder_buf line = {0};
		ladder_buf_printf(&line, "foreign key (%s) references %s", fk->from.data ? fk->from.data : "",
		                  fk->current.data);
		if (line.failed)
			fk->out->failed = 1;
		else
			lines_add(fk->out, line.data);
		ladder_buf_free(&line);
	}
	ladder_buf_free(&fk->current);
	ladder_buf_free(&fk->from);
	ladder_buf_free(&fk->to);
}

/* foreign_key_list rows: id, seq, table, from, to, on_update, on_delete, match */
static void fk_row(sqlite3_stmt *stmt, void *ctx)
{
	fk_state *fk = ctx;
	int id = sqlite3_column_int(stmt, 0);

	if (id != fk->id) {
		fk_finish(fk);
		fk->id = id;
	}
	if (fk->from.len > 0)
		ladder_buf_puts(&fk->from, ", ");
	ladder_buf_puts(&fk->from, text_or(stmt, 3, ""));
	if (fk->to.len > 0)
		ladder_buf_puts(&fk->to, ", ");
	ladder_buf_puts(&fk->to, text_or(stmt, 4, "(primary key)"));
	ladder_buf_free(&fk->current);
	ladder_buf_printf(&fk->current, "%s (%s) on update %s on delete %s match %s", text_or(stmt, 2, ""),
	                  fk->to.data, text_or(stmt, 5, ""), text_or(stmt, 6, ""), text_or(stmt, 7, ""));
}

/* index_xinfo rows: seqno, cid, name, desc, coll, key */
static void index_column(sqlite3_stmt *stmt, void *ctx)
{
	ladder_buf *out = ctx;
	if (!sqlite3_column_int(stmt, 5))
		return; /* the rowid tail, not a key column */
	if (out->len > 0)
		ladder_buf_puts(out, ", ");
	ladder_buf_puts(out, sqlite3_column_int(stmt, 1) == -2 ? "<expression>" : text_or(stmt, 2, "rowid"));
	if (sqlite3_column_int(stmt, 3))
		ladder_buf_puts(out, " desc");
	if (strcmp(text_or(stmt, 4, "BINARY"), "BINARY") != 0)
		ladder_buf_printf(out, " collate %s", text_or(stmt, 4, ""));
}

typedef struct index_state {
	ladder_sqlite_conn *conn;
	const char *table;
	lines *constraints; /* unique (...) of the table */
	lines *indexes;     /* named CREATE INDEX */
	int error;
} index_state;

/* The WHERE of a partial index, or the expressions of an expression index,
 * come from its CREATE text: the pragmas do not give them. */
static void index_text_tail(ladder_sqlite_conn *conn, const char *name, ladder_buf *out)
{
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(conn->db, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1", -1, &stmt,
	                       NULL) == SQLITE_OK) {
		sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
			const char *sql = text_or(stmt, 0, "");
			const char *on = NULL;
			for (size_t i = 0; sql[i]; i++) {
				size_t q = quoted_length(sql + i);
				if (q > 0) {
					i += q - 1;
				} else if (keyword_at(sql, i, "on")) {
					on = sql + i;
					break;
				}
			}
			if (on) {
				ladder_buf_puts(out, " -- ");
				normalise_sql(out, on, strlen(on));
			}
		}
	}
	sqlite3_finalize(stmt);
}

/* index_list rows: seq, name, unique, origin, partial */
static void index_row(sqlite3_stmt *stmt, void *ctx)
{
	index_state *st = ctx;
	const char *name = text_or(stmt, 1, "");
	const char *origin = text_or(stmt, 3, "c");
	int unique = sqlite3_column_int(stmt, 2);
	int partial = sqlite3_column_int(stmt, 4);
	ladder_buf columns = {0}, line = {0};
	int error;

	if (st->error < 0 || strcmp(origin, "pk") == 0)
		return;
	error = each_row(st->conn, "PRAGMA index_xinfo(\"%w\")", name, index_column, &columns);
	if (error < 0) {
		st->error = error;
		goto done;
	}
	if (strcmp(origin, "u") == 0) {
		ladder_buf_printf(&line, "unique (%s)", columns.data ? columns.data : "");
		lines_add(st->constraints, line.data ? line.data : "");
	} else {
		ladder_buf_printf(&line, "index %s on %s (%s)%s", name, st->table, columns.data ? columns.data : "",
		                  unique ? " unique" : "");
		if (partial || (columns.data && strstr(columns.data, "<expression>")))
			index_text_tail(st->conn, name, &line);
		lines_add(st->indexes, line.data ? line.data : "");
	}
	if (line.failed || columns.failed)
		st->indexes->failed = 1;
done:
	ladder_buf_free(&columns);
	ladder_buf_free(&line);
}

static int describe_table(ladder_sqlite_conn *conn, const char *name, const char *sql, lines *indexes,
                          ladder_buf *out)
{
	lines constraints = {0};
	fk_state fk = {&constraints, {0}, {0}, {0}, -1};
	index_state ix = {conn, name, &constraints, indexes, 0};
	int error;

	ladder_buf_printf(out, "table %s", name);
	if ((error = each_row(conn, "SELECT wr, strict FROM pragma_table_list WHERE schema = 'main' AND name = '%q'",
	                      name, table_options, out)) < 0)
		goto done;
	ladder_buf_puts(out, "\n");
	if ((error = each_row(conn, "PRAGMA table_xinfo(\"%w\")", name, column_line, out)) < 0)
		goto done;
	if (sql)
		collect_checks(sql, &constraints);
	error = each_row(conn, "PRAGMA foreign_key_list(\"%w\")", name, fk_row, &fk);
	fk_finish(&fk);
	if (error < 0)
		goto done;
	if ((error = each_row(conn, "PRAGMA index_list(\"%w\")", name, index_row, &ix)) < 0)
		goto done;
	error = ix.error;
done:
	lines_flush(&constraints, out, "  ");
	return error;
}

int ladder_sqlite__describe(ladder_conn *base, const ladder_store *store, ladder_buf *out)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	const char *skip = store->kind == LADDER_STORE_HISTORY ? store->table : "";
	sqlite3_stmt *stmt = NULL;
	lines indexes = {0}, others = {0};
	int rc, error = 0;

	rc = sqlite3_prepare_v2(conn->db,
	                        "SELECT type, name, tbl_name, sql FROM sqlite_master "
	                        "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND tbl_name <> ?1 COLLATE NOCASE "
	                        "ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, name",
	                        -1, &stmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(stmt, 1, skip, -1, SQLITE_STATIC);
		rc = sqlite3_step(stmt);
	}
	for (; rc == SQLITE_ROW && error == 0; rc = sqlite3_step(stmt)) {
		const char *type = text_or(stmt, 0, "");
		const char *name = text_or(stmt, 1, "");
		const char *sql = text_or(stmt, 3, NULL);
		if (strcmp(type, "table") == 0) {
			error = describe_table(conn, name, sql, &indexes, out);
		} else if (strcmp(type, "view") == 0 || strcmp(type, "trigger") == 0) {
			ladder_buf line = {0};
			ladder_buf_printf(&line, "%s %s on %s\n  ", type, name, text_or(stmt, 2, ""));
			if (sql)
				normalise_sql(&line, sql, strlen(sql));
			if (line.failed)
				others.failed = 1;
			else
				lines_add(&others, line.data);
			ladder_buf_free(&line);
		}
		/* indexes come through their tables' index_list */
	}
	if (error == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		error = ladder_sqlite__error(conn, rc);
	sqlite3_finalize(stmt);
	lines_flush(&indexes, out, "");
	lines_flush(&others, out, "");
	if (error == 0 && out->failed)
		error = ladder_error_set(LADDER_ENOMEM, "out of memory describing '%s'", conn->path);
	return error;
}
