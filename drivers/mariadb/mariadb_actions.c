/*
 * mariadb_actions.c — what each DDL statement of a MariaDB step does to the
 * schema, read from its tokens (mariadb_split.c cuts the statements and
 * tokenizes them): tables created, dropped and renamed, columns added,
 * dropped, renamed and retyped, indexes and constraints, for lint and for
 * the catalog check after a crash. Parse only: a statement it does not
 * model reports nothing, never a guess.
 */
#include "mariadb_sql.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct parser {
	const char *sql;
	const ladder_mariadb__token *t;
	size_t n, i;          /* the statement's tokens, the next one */
	size_t stmt_offset;
	char schema[LADDER_NAME_MAX], table[LADDER_NAME_MAX]; /* the statement's table */
	ladder_action_fn fn;
	void *ctx;
	int stop;             /* what fn returned, once nonzero */
} parser;

/* --- reading tokens ----------------------------------------------------------------- */

static const ladder_mariadb__token *peek(const parser *p, size_t ahead)
{
	return p->i + ahead < p->n ? &p->t[p->i + ahead] : NULL;
}

static int is_word(const parser *p, size_t ahead, const char *word)
{
	const ladder_mariadb__token *tok = peek(p, ahead);
	return tok != NULL && ladder_mariadb__is(p->sql, tok, word);
}

static int is_op(const parser *p, size_t ahead, char op)
{
	const ladder_mariadb__token *tok = peek(p, ahead);
	return tok != NULL && tok->kind == LADDER_MDB_OP && tok->len == 1 && p->sql[tok->offset] == op;
}

static int accept(parser *p, const char *word)
{
	if (!is_word(p, 0, word))
		return 0;
	p->i++;
	return 1;
}

static int accept_op(parser *p, char op)
{
	if (!is_op(p, 0, op))
		return 0;
	p->i++;
	return 1;
}

/* IF EXISTS / IF NOT EXISTS */
static int accept_if_exists(parser *p)
{
	if (is_word(p, 0, "IF") && is_word(p, 1, "EXISTS")) {
		p->i += 2;
		return 1;
	}
	if (is_word(p, 0, "IF") && is_word(p, 1, "NOT") && is_word(p, 2, "EXISTS")) {
		p->i += 3;
		return 1;
	}
	return 0;
}

static size_t offset_here(const parser *p)
{
	return p->i < p->n ? p->t[p->i].offset : p->stmt_offset;
}

/* A name: a word, or a `quoted` one (backticks taken off, doubled ones
 * halved). 0 when the next token is neither. */
static int name(parser *p, char *out, size_t size)
{
	const ladder_mariadb__token *tok = peek(p, 0);
	size_t at = 0;

	out[0] = '\0';
	if (tok == NULL || (tok->kind != LADDER_MDB_WORD && tok->kind != LADDER_MDB_QUOTED))
		return 0;
	if (tok->kind == LADDER_MDB_WORD) {
		snprintf(out, size, "%.*s", (int)tok->len, p->sql + tok->offset);
	} else {
		for (size_t k = tok->offset + 1; k + 1 < tok->offset + tok->len && at + 1 < size; k++) {
			out[at++] = p->sql[k];
			if (p->sql[k] == '`')
				k++;
		}
		out[at] = '\0';
	}
	p->i++;
	return 1;
}

/* [schema.]name */
static int qualified(parser *p, char *schema, char *table)
{
	schema[0] = '\0';
	if (!name(p, table, LADDER_NAME_MAX))
		return 0;
	if (is_op(p, 0, '.')) {
		p->i++;
		memcpy(schema, table, LADDER_NAME_MAX);
		if (!name(p, table, LADDER_NAME_MAX))
			return 0;
	}
	return 1;
}

/* Past the balanced parentheses that open here. */
static void skip_parens(parser *p)
{
	int depth = 0;
	for (; p->i < p->n; p->i++) {
		if (is_op(p, 0, '('))
			depth++;
		else if (is_op(p, 0, ')') && --depth <= 0) {
			p->i++;
			return;
		}
	}
}

/* To the ',' or ')' that ends the current element (not past it). */
static void skip_element(parser *p)
{
	int depth = 0;
	for (; p->i < p->n; p->i++) {
		if (is_op(p, 0, '('))
			depth++;
		else if (is_op(p, 0, ')')) {
			if (depth-- == 0)
				return;
		} else if (is_op(p, 0, ',') && depth == 0)
			return;
	}
}

/* --- reporting ---------------------------------------------------------------------- */

static void init(const parser *p, ladder_action *action, ladder_action_kind kind, size_t offset)
{
	memset(action, 0, sizeof(*action));
	action->kind = kind;
	action->offset = offset;
	action->stmt_offset = p->stmt_offset;
	memcpy(action->schema, p->schema, sizeof(action->schema));
	memcpy(action->table, p->table, sizeof(action->table));
}

static void emit(parser *p, const ladder_action *action)
{
	if (p->stop == 0)
		p->stop = p->fn(p->ctx, action);
}

/* --- column definitions --------------------------------------------------------------- */

/* A type as MariaDB names it: lower case, synonyms folded, arguments kept
 * ("varchar(20)", "decimal(10,2)", "enum('a','b')"), then unsigned or
 * zerofill. */
static void column_type(parser *p, char *out, size_t size)
{
	static const struct {
		const char *as, *is;
	} synonyms[] = {
		{"INTEGER", "int"},   {"INT4", "int"},        {"INT1", "tinyint"},  {"INT2", "smallint"},
		{"INT3", "mediumint"}, {"MIDDLEINT", "mediumint"}, {"INT8", "bigint"}, {"BOOL", "tinyint(1)"},
		{"BOOLEAN", "tinyint(1)"}, {"DEC", "decimal"}, {"NUMERIC", "decimal"}, {"FIXED", "decimal"},
		{"REAL", "double"},   {"FLOAT8", "double"},    {"FLOAT4", "float"},  {"CHARACTER", "char"},
		{"NCHAR", "char"},    {"NVARCHAR", "varchar"},
	};
	const ladder_mariadb__token *tok = peek(p, 0);
	size_t at = 0;

	out[0] = '\0';
	if (tok == NULL || tok->kind != LADDER_MDB_WORD)
		return;
	p->i++;
	/* types of two words */
	if (ladder_mariadb__is(p->sql, tok, "DOUBLE") && accept(p, "PRECISION"))
		at = (size_t)snprintf(out, size, "double");
	else if ((ladder_mariadb__is(p->sql, tok, "CHARACTER") || ladder_mariadb__is(p->sql, tok, "CHAR")) &&
	         accept(p, "VARYING"))
		at = (size_t)snprintf(out, size, "varchar");
	else if (ladder_mariadb__is(p->sql, tok, "LONG"))
		at = (size_t)snprintf(out, size, accept(p, "VARBINARY") ? "mediumblob" : (accept(p, "VARCHAR"), "mediumtext"));
	else if (ladder_mariadb__is(p->sql, tok, "NATIONAL") && accept(p, "VARCHAR"))
		at = (size_t)snprintf(out, size, "varchar");
	else if (ladder_mariadb__is(p->sql, tok, "NATIONAL") && (accept(p, "CHAR") || accept(p, "CHARACTER")))
		at = (size_t)snprintf(out, size, accept(p, "VARYING") ? "varchar" : "char");
	if (at == 0) {
		for (size_t k = 0; k < sizeof(synonyms) / sizeof(synonyms[0]); k++)
			if (ladder_mariadb__is(p->sql, tok, synonyms[k].as)) {
				at = (size_t)snprintf(out, size, "%s", synonyms[k].is);
				break;
			}
	}
	if (at == 0) {
		for (size_t k = 0; k < tok->len && at + 1 < size; k++) {
			char c = p->sql[tok->offset + k];
			out[at++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
		}
		out[at] = '\0';
	}
	if (at >= size)
		at = size - 1;
	/* (20), (10,2), ('a','b'): the tokens as written, white space out */
	if (is_op(p, 0, '(')) {
		size_t from = p->i;
		skip_parens(p);
		for (size_t k = from; k < p->i && at + 1 < size; k++) {
			const ladder_mariadb__token *arg = &p->t[k];
			int fold = arg->kind == LADDER_MDB_WORD;
			for (size_t c = 0; c < arg->len && at + 1 < size; c++) {
				char ch = p->sql[arg->offset + c];
				out[at++] = (char)(fold && ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
			}
		}
		out[at] = '\0';
	}
	for (;;) {
		const char *word = accept(p, "UNSIGNED") ? " unsigned" : accept(p, "ZEROFILL") ? " zerofill"
		                  : accept(p, "SIGNED")  ? ""
		                                         : NULL;
		if (word == NULL)
			break;
		at += (size_t)snprintf(out + at, at < size ? size - at : 0, "%s", word);
		if (at >= size)
			at = size - 1;
	}
}

/* The attributes after a column's type, up to the element's end: what
 * lint needs to know. */
static unsigned int column_attributes(parser *p)
{
	unsigned int flags = 0;
	int depth = 0;

	for (; p->i < p->n; p->i++) {
		if (is_op(p, 0, '(')) {
			depth++;
			continue;
		}
		if (is_op(p, 0, ')')) {
			if (depth-- == 0)
				break;
			continue;
		}
		if (depth > 0)
			continue;
		if (is_op(p, 0, ','))
			break;
		if (is_word(p, 0, "NOT") && is_word(p, 1, "NULL"))
			flags |= LADDER_ACTF_NOT_NULL;
		else if (is_word(p, 0, "DEFAULT"))
			flags |= LADDER_ACTF_DEFAULT;
		else if (is_word(p, 0, "AUTO_INCREMENT"))
			flags |= LADDER_ACTF_FILLS | LADDER_ACTF_NOT_NULL;
		else if (is_word(p, 0, "STORED") || is_word(p, 0, "PERSISTENT"))
			flags |= LADDER_ACTF_FILLS; /* a generated column computed for every row */
		else if (is_word(p, 0, "PRIMARY") && is_word(p, 1, "KEY"))
			flags |= LADDER_ACTF_PRIMARY_KEY | LADDER_ACTF_UNIQUE | LADDER_ACTF_NOT_NULL;
		else if (is_word(p, 0, "UNIQUE"))
			flags |= LADDER_ACTF_UNIQUE;
		else if (is_word(p, 0, "REFERENCES"))
			flags |= LADDER_ACTF_FOREIGN_KEY;
		else if (is_word(p, 0, "CHECK"))
			flags |= LADDER_ACTF_CHECK;
	}
	return flags;
}

/* name type attributes: one action of `kind` for it. */
static void column(parser *p, ladder_action_kind kind, size_t offset, unsigned int flags)
{
	ladder_action action;

	init(p, &action, kind, offset);
	if (!name(p, action.column, sizeof(action.column))) {
		skip_element(p);
		return;
	}
	column_type(p, action.type, sizeof(action.type));
	action.flags = flags | column_attributes(p);
	emit(p, &action);
}

/* ( col [(len)] [ASC|DESC], ... ): *count and the first column's name. */
static void key_columns(parser *p, char *first, size_t *count)
{
	int depth = 0;

	*count = 0;
	first[0] = '\0';
	if (!is_op(p, 0, '('))
		return;
	for (; p->i < p->n; p->i++) {
		if (is_op(p, 0, '(')) {
			if (depth++ == 0) {
				p->i++;
				if (name(p, first, LADDER_NAME_MAX))
					(*count)++;
				p->i--;
			}
		} else if (is_op(p, 0, ')')) {
			if (--depth == 0) {
				p->i++;
				return;
			}
		} else if (is_op(p, 0, ',') && depth == 1) {
			(*count)++;
		}
	}
}

/* --- statements --------------------------------------------------------------------- */

/* A table element or ALTER TABLE ... ADD: the index and constraint forms.
 * `constraint` when CONSTRAINT [name] was read (then UNIQUE is a
 * constraint, not an index). Returns 0 when the element is a column. */
static int add_key(parser *p, size_t offset, int report)
{
	ladder_action action;
	char symbol[LADDER_NAME_MAX] = "", column1[LADDER_NAME_MAX];
	size_t columns = 0;
	int constraint = 0;

	init(p, &action, LADDER_ACT_ADD_CONSTRAINT, offset);
	if (accept(p, "CONSTRAINT")) {
		constraint = 1;
		if (!is_word(p, 0, "PRIMARY") && !is_word(p, 0, "UNIQUE") && !is_word(p, 0, "FOREIGN") &&
		    !is_word(p, 0, "CHECK"))
			name(p, symbol, sizeof(symbol));
	}
	if (accept(p, "PRIMARY")) {
		accept(p, "KEY");
		action.flags |= LADDER_ACTF_PRIMARY_KEY | LADDER_ACTF_UNIQUE;
		snprintf(action.name, sizeof(action.name), "PRIMARY"); /* MariaDB's name for it, always */
	} else if (accept(p, "FOREIGN")) {
		accept(p, "KEY");
		action.flags |= LADDER_ACTF_FOREIGN_KEY;
		if (accept_if_exists(p))
			action.flags |= LADDER_ACTF_IF_EXISTS;
		if (!is_op(p, 0, '('))
			name(p, action.name, sizeof(action.name));
		if (symbol[0] != '\0')
			memcpy(action.name, symbol, sizeof(action.name));
	} else if (accept(p, "CHECK")) {
		action.flags |= LADDER_ACTF_CHECK;
		memcpy(action.name, symbol, sizeof(action.name));
	} else if (is_word(p, 0, "UNIQUE") || is_word(p, 0, "INDEX") || is_word(p, 0, "KEY") ||
	           is_word(p, 0, "FULLTEXT") || is_word(p, 0, "SPATIAL")) {
		if (accept(p, "UNIQUE"))
			action.flags |= LADDER_ACTF_UNIQUE;
		else if (!accept(p, "FULLTEXT"))
			accept(p, "SPATIAL");
		if (!accept(p, "INDEX"))
			accept(p, "KEY");
		if (accept_if_exists(p))
			action.flags |= LADDER_ACTF_IF_EXISTS;
		if (!is_op(p, 0, '(') && !is_word(p, 0, "USING"))
			name(p, action.name, sizeof(action.name));
		if (action.name[0] == '\0')
			memcpy(action.name, symbol, sizeof(action.name));
		/* ADD UNIQUE/INDEX is an index; ADD CONSTRAINT c UNIQUE a constraint */
		if (!constraint)
			action.kind = LADDER_ACT_CREATE_INDEX;
	} else {
		return 0;
	}
	if (accept(p, "USING"))
		p->i++;
	if (!(action.flags & LADDER_ACTF_CHECK))
		key_columns(p, column1, &columns);
	if (columns == 1 && action.kind == LADDER_ACT_ADD_CONSTRAINT)
		memcpy(action.column, column1, sizeof(action.column));
	if ((action.flags & LADDER_ACTF_FOREIGN_KEY) && accept(p, "REFERENCES")) {
		char schema[LADDER_NAME_MAX], table[LADDER_NAME_MAX];
		if (qualified(p, schema, table))
			snprintf(action.detail, sizeof(action.detail), "REFERENCES %.100s%s%.100s", schema, schema[0] ? "." : "",
			         table);
	}
	skip_element(p);
	if (report)
		emit(p, &action);
	return 1;
}

static int is_key_start(const parser *p)
{
	return is_word(p, 0, "CONSTRAINT") || (is_word(p, 0, "PRIMARY") && is_word(p, 1, "KEY")) ||
	       (is_word(p, 0, "FOREIGN") && is_word(p, 1, "KEY")) || is_word(p, 0, "UNIQUE") ||
	       is_word(p, 0, "INDEX") || is_word(p, 0, "KEY") || is_word(p, 0, "FULLTEXT") ||
	       is_word(p, 0, "SPATIAL") || (is_word(p, 0, "CHECK") && is_op(p, 1, '('));
}

/* CREATE [OR REPLACE] [TEMPORARY] TABLE [IF NOT EXISTS] t (...) | LIKE | AS */
static void create_table(parser *p, unsigned int flags)
{
	ladder_action action;

	if (accept_if_exists(p))
		flags |= LADDER_ACTF_IF_EXISTS;
	if (!qualified(p, p->schema, p->table))
		return;
	init(p, &action, LADDER_ACT_CREATE_TABLE, p->stmt_offset);
	action.flags = flags;
	emit(p, &action);
	if (!accept_op(p, '(') || is_word(p, 0, "LIKE") || is_word(p, 0, "SELECT"))
		return;
	flags &= LADDER_ACTF_TEMPORARY;
	while (p->i < p->n && p->stop == 0) {
		if (is_key_start(p) || (is_word(p, 0, "PERIOD") && is_word(p, 1, "FOR")))
			skip_element(p);
		else
			column(p, LADDER_ACT_COLUMN, offset_here(p), flags);
		if (!accept_op(p, ','))
			break;
	}
}

/* CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX [IF NOT EXISTS] name ON t (...) */
static void create_index(parser *p, unsigned int flags)
{
	ladder_action action;
	char index[LADDER_NAME_MAX];

	if (accept_if_exists(p))
		flags |= LADDER_ACTF_IF_EXISTS;
	if (!name(p, index, sizeof(index)))
		return;
	if (accept(p, "USING"))
		p->i++;
	if (!accept(p, "ON") || !qualified(p, p->schema, p->table))
		return;
	init(p, &action, LADDER_ACT_CREATE_INDEX, p->stmt_offset);
	action.flags = flags;
	memcpy(action.name, index, sizeof(action.name));
	emit(p, &action);
}

/* DROP [TEMPORARY] TABLE [IF EXISTS] a, b: one action each, at its name */
static void drop_tables(parser *p, unsigned int flags)
{
	if (accept_if_exists(p))
		flags |= LADDER_ACTF_IF_EXISTS;
	do {
		ladder_action action;
		size_t at = offset_here(p);
		if (!qualified(p, p->schema, p->table))
			return;
		init(p, &action, LADDER_ACT_DROP_TABLE, at);
		action.flags = flags;
		emit(p, &action);
	} while (accept_op(p, ',') && p->stop == 0);
}

/* DROP INDEX [IF EXISTS] name ON t */
static void drop_index(parser *p)
{
	ladder_action action;
	char index[LADDER_NAME_MAX];
	unsigned int flags = accept_if_exists(p) ? LADDER_ACTF_IF_EXISTS : 0;

	if (!name(p, index, sizeof(index)))
		return;
	if (accept(p, "ON"))
		qualified(p, p->schema, p->table);
	init(p, &action, LADDER_ACT_DROP_INDEX, p->stmt_offset);
	action.flags = flags;
	memcpy(action.name, index, sizeof(action.name));
	emit(p, &action);
}

/* RENAME TABLE [IF EXISTS] a [WAIT n | NOWAIT] TO b, c TO d */
static void rename_tables(parser *p)
{
	unsigned int flags = accept_if_exists(p) ? LADDER_ACTF_IF_EXISTS : 0;
	do {
		ladder_action action;
		char schema[LADDER_NAME_MAX], table[LADDER_NAME_MAX];
		size_t at = offset_here(p);
		if (!qualified(p, p->schema, p->table))
			return;
		if (accept(p, "WAIT"))
			p->i++;
		else
			accept(p, "NOWAIT");
		if (!accept(p, "TO") || !qualified(p, schema, table))
			return;
		init(p, &action, LADDER_ACT_RENAME_TABLE, at);
		action.flags = flags;
		memcpy(action.name, table, sizeof(action.name));
		emit(p, &action);
	} while (accept_op(p, ',') && p->stop == 0);
}

/* One clause of ALTER TABLE, at p->i; the caller skips to its end. */
static void alter_clause(parser *p)
{
	ladder_action action;
	size_t at = offset_here(p);

	if (accept(p, "ADD")) {
		int said_column = accept(p, "COLUMN");
		unsigned int flags = accept_if_exists(p) ? LADDER_ACTF_IF_EXISTS : 0;
		if (accept_op(p, '(')) {
			/* ADD (a INT, b INT) */
			while (p->i < p->n && p->stop == 0) {
				if (is_key_start(p))
					add_key(p, offset_here(p), 1);
				else
					column(p, LADDER_ACT_ADD_COLUMN, offset_here(p), flags);
				if (!accept_op(p, ','))
					break;
			}
			accept_op(p, ')');
			return;
		}
		if (!said_column && (is_key_start(p) || is_word(p, 0, "PARTITION") || is_word(p, 0, "PERIOD") ||
		                     is_word(p, 0, "SYSTEM"))) {
			if (!is_word(p, 0, "PARTITION") && !is_word(p, 0, "PERIOD") && !is_word(p, 0, "SYSTEM"))
				add_key(p, at, 1);
			return;
		}
		column(p, LADDER_ACT_ADD_COLUMN, at, flags);
		return;
	}
	if (accept(p, "DROP")) {
		int said_column = accept(p, "COLUMN");
		unsigned int flags;
		if (!said_column && (accept(p, "INDEX") || accept(p, "KEY"))) {
			flags = accept_if_exists(p) ? LADDER_ACTF_IF_EXISTS : 0;
			init(p, &action, LADDER_ACT_DROP_INDEX, at);
			action.flags = flags;
			if (name(p, action.name, sizeof(action.name)))
				emit(p, &action);
			return;
		}
		if (!said_column && is_word(p, 0, "PRIMARY") && is_word(p, 1, "KEY")) {
			init(p, &action, LADDER_ACT_DROP_INDEX, at);
			action.flags = LADDER_ACTF_PRIMARY_KEY;
			snprintf(action.name, sizeof(action.name), "PRIMARY");
			emit(p, &action);
			return;
		}
		/* DROP FOREIGN KEY, CONSTRAINT, CHECK, PARTITION, ...: no action fits */
		if (!said_column && (is_word(p, 0, "FOREIGN") || is_word(p, 0, "CONSTRAINT") || is_word(p, 0, "CHECK") ||
		                     is_word(p, 0, "PARTITION") || is_word(p, 0, "SYSTEM") || is_word(p, 0, "PERIOD")))
			return;
		flags = accept_if_exists(p) ? LADDER_ACTF_IF_EXISTS : 0;
		init(p, &action, LADDER_ACT_DROP_COLUMN, at);
		action.flags = flags;
		if (name(p, action.column, sizeof(action.column)))
			emit(p, &action);
		return;
	}
	if (accept(p, "CHANGE")) {
		char old[LADDER_NAME_MAX];
		unsigned int flags;
		accept(p, "COLUMN");
		flags = accept_if_exists(p) ? LADDER_ACTF_IF_EXISTS : 0;
		if (!name(p, old, sizeof(old)))
			return;
		init(p, &action, LADDER_ACT_ALTER_COLUMN_TYPE, at);
		if (!name(p, action.column, sizeof(action.column)))
			return;
		column_type(p, action.type, sizeof(action.type));
		action.flags = flags | column_attributes(p);
		/* column names compare without case: CHANGE a A retypes only */
		if (strcasecmp(old, action.column) != 0) {
			ladder_action rename;
			init(p, &rename, LADDER_ACT_RENAME_COLUMN, at);
			rename.flags = flags;
			memcpy(rename.column, old, sizeof(rename.column));
			memcpy(rename.name, action.column, sizeof(rename.name));
			emit(p, &rename);
		}
		emit(p, &action);
		return;
	}
	if (accept(p, "MODIFY")) {
		accept(p, "COLUMN");
		column(p, LADDER_ACT_ALTER_COLUMN_TYPE, at, accept_if_exists(p) ? LADDER_ACTF_IF_EXISTS : 0);
		return;
	}
	if (accept(p, "RENAME")) {
		if (accept(p, "COLUMN")) {
			init(p, &action, LADDER_ACT_RENAME_COLUMN, at);
			if (name(p, action.column, sizeof(action.column)) && accept(p, "TO") &&
			    name(p, action.name, sizeof(action.name)))
				emit(p, &action);
			return;
		}
		if (is_word(p, 0, "INDEX") || is_word(p, 0, "KEY"))
			return;
		if (!accept(p, "TO") && !accept(p, "AS"))
			accept_op(p, '=');
		{
			char schema[LADDER_NAME_MAX];
			init(p, &action, LADDER_ACT_RENAME_TABLE, at);
			if (qualified(p, schema, action.name))
				emit(p, &action);
		}
	}
}

/* ALTER [ONLINE] [IGNORE] TABLE [IF EXISTS] t clause, clause, ... */
static void alter_table(parser *p)
{
	accept_if_exists(p);
	if (!qualified(p, p->schema, p->table))
		return;
	/* ALTER TABLE t WAIT n / NOWAIT */
	if (accept(p, "WAIT"))
		p->i++;
	else
		accept(p, "NOWAIT");
	while (p->i < p->n && p->stop == 0) {
		alter_clause(p);
		skip_element(p);
		if (!accept_op(p, ','))
			break;
	}
}

static void statement(parser *p)
{
	unsigned int flags = 0;

	/* SET STATEMENT max_statement_time = 10 FOR ALTER TABLE ... */
	if (is_word(p, 0, "SET") && is_word(p, 1, "STATEMENT")) {
		while (p->i < p->n && !is_word(p, 0, "FOR")) {
			if (is_op(p, 0, '('))
				skip_parens(p);
			else
				p->i++;
		}
		p->i++;
	}
	if (accept(p, "CREATE")) {
		if (is_word(p, 0, "OR") && is_word(p, 1, "REPLACE"))
			p->i += 2;
		if (accept(p, "TEMPORARY"))
			flags |= LADDER_ACTF_TEMPORARY;
		if (accept(p, "TABLE")) {
			create_table(p, flags);
			return;
		}
		if (!accept(p, "ONLINE"))
			accept(p, "OFFLINE");
		if (accept(p, "UNIQUE"))
			flags |= LADDER_ACTF_UNIQUE;
		else if (!accept(p, "FULLTEXT"))
			accept(p, "SPATIAL");
		if (accept(p, "INDEX"))
			create_index(p, flags);
	} else if (accept(p, "DROP")) {
		if (accept(p, "TEMPORARY"))
			flags |= LADDER_ACTF_TEMPORARY;
		if (accept(p, "TABLE") || accept(p, "TABLES")) {
			drop_tables(p, flags);
		} else if (accept(p, "INDEX")) {
			drop_index(p);
		} else if (accept(p, "DATABASE") || accept(p, "SCHEMA")) {
			ladder_action action;
			flags = accept_if_exists(p) ? LADDER_ACTF_IF_EXISTS : 0;
			init(p, &action, LADDER_ACT_DROP_SCHEMA, p->stmt_offset);
			action.flags = flags;
			if (name(p, action.name, sizeof(action.name)))
				emit(p, &action);
		}
	} else if (accept(p, "ALTER")) {
		if (!accept(p, "ONLINE"))
			accept(p, "OFFLINE");
		accept(p, "IGNORE");
		if (accept(p, "TABLE"))
			alter_table(p);
	} else if (accept(p, "RENAME")) {
		if (accept(p, "TABLE") || accept(p, "TABLES"))
			rename_tables(p);
	} else if (accept(p, "TRUNCATE")) {
		ladder_action action;
		accept(p, "TABLE");
		if (qualified(p, p->schema, p->table)) {
			init(p, &action, LADDER_ACT_LOCK_TABLE, p->stmt_offset);
			emit(p, &action);
		}
	}
}

int ladder_mariadb_read_actions(ladder_conn *scratch, const char *sql, size_t len, ladder_action_fn fn, void *ctx)
{
	ladder_stmt *stmts = NULL;
	ladder_mariadb__token *tokens = NULL;
	size_t count = 0, ntokens = 0, cap = 0, bad = 0;
	int error;

	(void)scratch;
	if ((error = ladder_mariadb_split(sql, len, &stmts, &count, &bad)) == LADDER_EPLAN) {
		/* the text cannot run: say so where it goes wrong */
		ladder_action action;
		memset(&action, 0, sizeof(action));
		action.kind = LADDER_ACT_FAILED;
		action.offset = action.stmt_offset = bad;
		snprintf(action.detail, sizeof(action.detail), "%s", ladder_error_last()->message);
		ladder_error_clear();
		return fn(ctx, &action);
	}
	if (error < 0)
		return error;
	for (size_t k = 0; k < count && error == 0; k++) {
		parser p;
		if ((error = ladder_mariadb__tokens(sql, stmts[k].offset, stmts[k].offset + stmts[k].len, &tokens, &ntokens,
		                                   &cap, &bad)) < 0)
			break;
		memset(&p, 0, sizeof(p));
		p.sql = sql;
		p.t = tokens;
		p.n = ntokens;
		p.stmt_offset = stmts[k].offset;
		p.fn = fn;
		p.ctx = ctx;
		statement(&p);
		error = p.stop;
	}
	ladder_free(tokens);
	ladder_free(stmts);
	return error;
}
