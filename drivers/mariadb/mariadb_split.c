/*
 * mariadb_split.c — MariaDB migration text cut into statements without a
 * server: a tokenizer that knows the server's quoting and comments (and
 * the executable comments mysqldump writes, whose content is SQL), the
 * client's DELIMITER command, and the nesting of compound statements, so
 * that only the semicolons that end statements split them; then each
 * statement classified by what it does to the transaction around it.
 * MariaDB's parser is not a library, hence the hand-written reader.
 */
#include "mariadb_sql.h"

#include <stdio.h>
#include <string.h>

/* --- the tokenizer ---------------------------------------------------------------- */

typedef struct lexer {
	const char *sql;
	size_t len, pos;
	char delimiter[16]; /* "" while it is ';' */
	size_t delimiter_len;
	int in_exec;        /* inside an executable comment */
	size_t exec_start;
	int parens;         /* so that a column named `delimiter` is no command */
} lexer;

static void lexer_init(lexer *lx, const char *sql, size_t from, size_t to)
{
	memset(lx, 0, sizeof(*lx));
	lx->sql = sql;
	lx->len = to;
	lx->pos = from;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Bytes of an unquoted name: MariaDB allows $ and any non-ASCII byte. */
static int is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '$' || c >= 0x80;
}

static int upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

static int same_word(const char *text, size_t len, const char *word)
{
	size_t i;
	for (i = 0; i < len && word[i] != '\0'; i++)
		if (upper((unsigned char)text[i]) != word[i])
			return 0;
	return i == len && word[i] == '\0';
}

int ladder_mariadb__is(const char *sql, const ladder_mariadb__token *tok, const char *word)
{
	return tok->kind == LADDER_MDB_WORD && same_word(sql + tok->offset, tok->len, word);
}

/* The custom delimiter ends a word too: END$$ is END, then $$. */
static int delimiter_at(const lexer *lx, size_t at)
{
	return lx->delimiter_len > 0 && lx->len - at >= lx->delimiter_len &&
	       memcmp(lx->sql + at, lx->delimiter, lx->delimiter_len) == 0;
}

static int at_line_start(const lexer *lx, size_t at)
{
	while (at > 0 && (lx->sql[at - 1] == ' ' || lx->sql[at - 1] == '\t'))
		at--;
	return at == 0 || lx->sql[at - 1] == '\n';
}

/* A quoted run from the quote at `at`: backslash escapes (not in
 * backticks) and the quote doubled. Returns the offset after it, or 0. */
static size_t skip_quoted(const lexer *lx, size_t at)
{
	char quote = lx->sql[at];
	for (size_t p = at + 1; p < lx->len; p++) {
		if (lx->sql[p] == '\\' && quote != '`') {
			p++;
			continue;
		}
		if (lx->sql[p] != quote)
			continue;
		if (p + 1 < lx->len && lx->sql[p + 1] == quote) {
			p++;
			continue;
		}
		return p + 1;
	}
	return 0;
}

static int unterminated(size_t *bad_offset, size_t at, const char *what)
{
	*bad_offset = at;
	return ladder_error_set(LADDER_EPLAN, "unterminated %s", what);
}

/* `DELIMITER x` at a line's start: x (up to white space) becomes the
 * terminator; the rest of the line is the command's. */
static int delimiter_command(lexer *lx, size_t start, size_t after_word, ladder_mariadb__token *tok, size_t *bad_offset)
{
	size_t p = after_word, arg;

	while (p < lx->len && (lx->sql[p] == ' ' || lx->sql[p] == '\t'))
		p++;
	arg = p;
	while (p < lx->len && !is_space((unsigned char)lx->sql[p]))
		p++;
	if (p == arg || p - arg >= sizeof(lx->delimiter)) {
		*bad_offset = start;
		return ladder_error_set(LADDER_EPLAN, p == arg ? "DELIMITER without a delimiter"
		                                               : "DELIMITER longer than %zu bytes",
		                        sizeof(lx->delimiter) - 1);
	}
	if (p - arg == 1 && lx->sql[arg] == ';') {
		lx->delimiter_len = 0;
	} else {
		memcpy(lx->delimiter, lx->sql + arg, p - arg);
		lx->delimiter_len = p - arg;
	}
	while (p < lx->len && lx->sql[p] != '\n')
		p++;
	lx->pos = p < lx->len ? p + 1 : p;
	tok->kind = LADDER_MDB_DELIMITER_LINE;
	tok->offset = start;
	tok->len = lx->pos - start;
	return 0;
}

static void finish(lexer *lx, ladder_mariadb__token *tok, ladder_mariadb__kind kind, size_t start, size_t end)
{
	tok->kind = kind;
	tok->offset = start;
	tok->len = end - start;
	lx->pos = end;
}

/* A word, a number, or a string with an introducer (N'..', X'..', _latin1'..'). */
static int lex_word(lexer *lx, ladder_mariadb__token *tok, size_t *bad_offset)
{
	const char *s = lx->sql;
	size_t start = lx->pos, p = start;
	int number = is_digit((unsigned char)s[p]);

	if (number) {
		if (s[p] == '0' && p + 1 < lx->len && (s[p + 1] == 'x' || s[p + 1] == 'b'))
			p += 2;
		while (p < lx->len && is_digit((unsigned char)s[p]))
			p++;
		if (p + 1 < lx->len && s[p] == '.' && is_digit((unsigned char)s[p + 1]))
			for (p++; p < lx->len && is_digit((unsigned char)s[p]);)
				p++;
		if (p + 1 < lx->len && (s[p] == 'e' || s[p] == 'E') &&
		    (is_digit((unsigned char)s[p + 1]) ||
		     ((s[p + 1] == '+' || s[p + 1] == '-') && p + 2 < lx->len && is_digit((unsigned char)s[p + 2]))))
			for (p += 2; p < lx->len && is_digit((unsigned char)s[p]);)
				p++;
		/* 0x1F is a number; 1abc a name (MariaDB allows it). */
		if (p < lx->len && is_word_byte((unsigned char)s[p]) && !(s[start] == '0' && p > start + 1 &&
		                                                          (s[start + 1] == 'x' || s[start + 1] == 'b')))
			number = 0;
	}
	while (p < lx->len && is_word_byte((unsigned char)s[p]) && !delimiter_at(lx, p))
		p++;
	if (number) {
		finish(lx, tok, LADDER_MDB_NUMBER, start, p);
		return 0;
	}
	if (p < lx->len && s[p] == '\'' &&
	    ((p - start == 1 && strchr("NnXxBb", s[start]) != NULL) || s[start] == '_')) {
		size_t end = skip_quoted(lx, p);
		if (end == 0)
			return unterminated(bad_offset, start, "string");
		finish(lx, tok, LADDER_MDB_STRING, start, end);
		return 0;
	}
	if (!lx->in_exec && lx->parens == 0 && p - start == 9 && same_word(s + start, 9, "DELIMITER") &&
	    (p == lx->len || is_space((unsigned char)s[p])) && at_line_start(lx, start))
		return delimiter_command(lx, start, p, tok, bad_offset);
	finish(lx, tok, LADDER_MDB_WORD, start, p);
	return 0;
}

/* @name, @@name, @@session.name, @'name', @`name`; a lone @ is an operator. */
static void lex_variable(lexer *lx, ladder_mariadb__token *tok)
{
	const char *s = lx->sql;
	size_t start = lx->pos, p = start + 1;

	if (p < lx->len && s[p] == '@')
		p++;
	if (p < lx->len && (s[p] == '\'' || s[p] == '"' || s[p] == '`')) {
		size_t end = skip_quoted(lx, p);
		if (end != 0) {
			finish(lx, tok, LADDER_MDB_VARIABLE, start, end);
			return;
		}
	}
	while (p < lx->len && (is_word_byte((unsigned char)s[p]) || (s[p] == '.' && s[start + 1] == '@')))
		p++;
	if (p == start + 1 || (p == start + 2 && s[start + 1] == '@'))
		finish(lx, tok, LADDER_MDB_OP, start, start + 1);
	else
		finish(lx, tok, LADDER_MDB_VARIABLE, start, p);
}

static void lex_operator(lexer *lx, ladder_mariadb__token *tok)
{
	static const char *const ops[] = {"<=>", "->>", ":=", "<=", ">=", "<>", "!=", "||", "&&", "<<", ">>", "->"};
	const char *s = lx->sql + lx->pos;
	size_t room = lx->len - lx->pos;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i]);
		if (n <= room && memcmp(s, ops[i], n) == 0) {
			finish(lx, tok, LADDER_MDB_OP, lx->pos, lx->pos + n);
			return;
		}
	}
	if (*s == '(')
		lx->parens++;
	else if (*s == ')' && lx->parens > 0)
		lx->parens--;
	finish(lx, tok, LADDER_MDB_OP, lx->pos, lx->pos + 1);
}

/* The next token, comments skipped. */
static int lex(lexer *lx, ladder_mariadb__token *tok, size_t *bad_offset)
{
	const char *s = lx->sql;

	for (;;) {
		size_t p = lx->pos;
		while (p < lx->len && is_space((unsigned char)s[p]))
			p++;
		lx->pos = p;
		if (p >= lx->len) {
			if (lx->in_exec)
				return unterminated(bad_offset, lx->exec_start, "executable comment");
			finish(lx, tok, LADDER_MDB_END, p, p);
			return 0;
		}
		if (delimiter_at(lx, p)) {
			lx->parens = 0;
			finish(lx, tok, LADDER_MDB_DELIMITER, p, p + lx->delimiter_len);
			return 0;
		}
		/* `--` is a comment only before white space or a control
		 * character: 1--1 is arithmetic. */
		if (s[p] == '#' || (s[p] == '-' && p + 1 < lx->len && s[p + 1] == '-' &&
		                    (p + 2 == lx->len || (unsigned char)s[p + 2] <= ' '))) {
			while (p < lx->len && s[p] != '\n')
				p++;
			lx->pos = p;
			continue;
		}
		if (s[p] == '/' && p + 1 < lx->len && s[p + 1] == '*') {
			size_t q = p + 2;
			int exec = !lx->in_exec && q < lx->len &&
			           (s[q] == '!' || (s[q] == 'M' && q + 1 < lx->len && s[q + 1] == '!'));
			if (exec) {
				size_t digits = 0;
				q += s[q] == 'M' ? 2 : 1;
				while (q + digits < lx->len && digits < 6 && is_digit((unsigned char)s[q + digits]))
					digits++;
				/* The server reads a version of 5 or 6 digits, else none. */
				if (digits >= 5)
					q += digits;
				lx->in_exec = 1;
				lx->exec_start = p;
				finish(lx, tok, LADDER_MDB_EXEC_OPEN, p, q);
				return 0;
			}
			for (; q + 1 < lx->len && !(s[q] == '*' && s[q + 1] == '/'); q++)
				;
			if (q + 1 >= lx->len)
				return unterminated(bad_offset, p, "comment");
			lx->pos = q + 2;
			continue;
		}
		break;
	}
	{
		size_t p = lx->pos;
		unsigned char c = (unsigned char)s[p];

		if (lx->in_exec && c == '*' && p + 1 < lx->len && s[p + 1] == '/') {
			lx->in_exec = 0;
			finish(lx, tok, LADDER_MDB_EXEC_CLOSE, p, p + 2);
			return 0;
		}
		if (c == '\'' || c == '"' || c == '`') {
			size_t end = skip_quoted(lx, p);
			if (end == 0)
				return unterminated(bad_offset, p, c == '`' ? "quoted name" : "string");
			finish(lx, tok, c == '`' ? LADDER_MDB_QUOTED : LADDER_MDB_STRING, p, end);
			return 0;
		}
		if (is_word_byte(c))
			return lex_word(lx, tok, bad_offset);
		if (c == '.' && p + 1 < lx->len && is_digit((unsigned char)s[p + 1])) {
			/* .5 is a number, but t.5col names a column: only after
			 * something that cannot be a qualifier. */
			if (p == 0 || !(is_word_byte((unsigned char)s[p - 1]) || s[p - 1] == '`')) {
				size_t q = p + 1;
				while (q < lx->len && is_digit((unsigned char)s[q]))
					q++;
				finish(lx, tok, LADDER_MDB_NUMBER, p, q);
				return 0;
			}
		}
		if (c == '@') {
			lex_variable(lx, tok);
			return 0;
		}
		if (c == ';') {
			lx->parens = 0;
			finish(lx, tok, LADDER_MDB_SEMICOLON, p, p + 1);
			return 0;
		}
		lex_operator(lx, tok);
		return 0;
	}
}

int ladder_mariadb__tokens(const char *sql, size_t from, size_t to, ladder_mariadb__token **tokens, size_t *count,
                           size_t *cap, size_t *bad_offset)
{
	lexer lx;
	ladder_mariadb__token tok;
	int error;

	lexer_init(&lx, sql, from, to);
	*count = 0;
	for (;;) {
		ladder_mariadb__token *grown;
		if ((error = lex(&lx, &tok, bad_offset)) < 0)
			return error;
		if (tok.kind == LADDER_MDB_END)
			return 0;
		if (tok.kind == LADDER_MDB_EXEC_OPEN || tok.kind == LADDER_MDB_EXEC_CLOSE ||
		    tok.kind == LADDER_MDB_DELIMITER_LINE)
			continue;
		if ((grown = ladder_array_grow(*tokens, cap, *count, sizeof(**tokens), 64)) == NULL)
			return ladder_error_set(LADDER_ENOMEM, "out of memory reading a migration's statements");
		*tokens = grown;
		(*tokens)[(*count)++] = tok;
	}
}

/* --- compound statements ------------------------------------------------------- */

/* What a statement's tokens so far say about blocks: a routine's body or
 * a compound statement's (BEGIN NOT ATOMIC, IF, ...) holds semicolons that
 * do not end it, up to the END that closes its outermost block. */
enum { MODE_PLAIN, MODE_ROUTINE, MODE_COMPOUND };
enum { BLK_BEGIN, BLK_IF, BLK_CASE, BLK_CASE_EXPR, BLK_LOOP, BLK_WHILE, BLK_REPEAT };
#define MAX_DEPTH 64

typedef struct tracker {
	int mode;
	size_t ntok;         /* tokens of the statement that carry meaning */
	int first_begin;     /* its first word is BEGIN (BEGIN NOT ATOMIC?) */
	int first_word;      /* its first token is a word or quoted name (a label?) */
	int object_pending;  /* CREATE/ALTER read, the object's kind not yet */
	unsigned char stack[MAX_DEPTH];
	size_t depth;
	int parens;
	int at_start;        /* the next word may open a statement of the body */
	int after_end;       /* the last word was END: IF, CASE, ... may follow */
	int after_dot;       /* the last token was '.': a word is a name */
	int handler;         /* 1 DECLARE, 2 ... HANDLER, 3 ... FOR: conditions */
	char prev[12];       /* the last word, upper case (if short) */
	int body_ddl;        /* a body statement commits implicitly */
	int body_tx;         /* a body statement controls the transaction */
} tracker;

static int in_list(const char *text, size_t len, const char *const *words)
{
	for (; *words != NULL; words++)
		if (same_word(text, len, *words))
			return 1;
	return 0;
}

static const char *const implicit_first_words[] = {
	"ALTER", "CREATE", "DROP", "RENAME", "TRUNCATE", "GRANT", "REVOKE", "LOCK", "ANALYZE", "OPTIMIZE", "REPAIR",
	"FLUSH", "RESET", "INSTALL", "UNINSTALL", "CALL", "EXECUTE", "CACHE", NULL};

static void push(tracker *t, int block)
{
	if (t->depth < MAX_DEPTH)
		t->stack[t->depth] = (unsigned char)block;
	t->depth++;
}

static int top(const tracker *t)
{
	return t->depth == 0 ? -1 : t->depth <= MAX_DEPTH ? t->stack[t->depth - 1] : BLK_BEGIN;
}

static void track_word(tracker *t, const char *w, size_t n)
{
	static const char *const openers[] = {"BEGIN", "IF", "CASE", "LOOP", "WHILE", "REPEAT", NULL};
	static const char *const body_words[] = {"SET",    "SELECT", "INSERT", "UPDATE",  "DELETE", "REPLACE",
	                                         "CALL",   "SIGNAL", "RESIGNAL", "RETURN", "LEAVE", "ITERATE",
	                                         "COMMIT", "ROLLBACK", "DO",   NULL};

	if (t->after_end) {
		t->after_end = 0;
		if (in_list(w, n, openers) && !same_word(w, n, "BEGIN"))
			return; /* END IF, END LOOP, ... */
	}
	/* DECLARE ... HANDLER FOR conditions body: the body follows the
	 * conditions (SQLEXCEPTION, NOT FOUND, SQLSTATE '..', names). */
	if (t->at_start && same_word(w, n, "DECLARE"))
		t->handler = 1;
	else if (t->handler == 1 && same_word(w, n, "HANDLER"))
		t->handler = 2;
	else if (t->handler == 2 && same_word(w, n, "FOR")) {
		t->handler = 3;
		t->at_start = 0;
		return;
	} else if (t->handler == 3) {
		if (in_list(w, n, openers)) {
			t->handler = 0;
			t->at_start = 1;
		} else if (in_list(w, n, body_words)) {
			t->handler = 0;
		}
	}
	if (same_word(w, n, "BEGIN")) {
		push(t, BLK_BEGIN);
		t->at_start = 1;
	} else if ((same_word(w, n, "NOT") && strcmp(t->prev, "BEGIN") == 0) ||
	           (same_word(w, n, "ATOMIC") && strcmp(t->prev, "NOT") == 0)) {
		/* BEGIN NOT ATOMIC: the body still starts after it. */
	} else if (same_word(w, n, "END")) {
		if (t->depth > 0)
			t->depth--;
		t->after_end = 1;
		t->at_start = 0;
	} else if (t->at_start && in_list(w, n, openers)) {
		int loops = same_word(w, n, "LOOP") || same_word(w, n, "REPEAT");
		push(t, same_word(w, n, "IF")      ? BLK_IF
		        : same_word(w, n, "CASE")  ? BLK_CASE
		        : same_word(w, n, "LOOP")  ? BLK_LOOP
		        : same_word(w, n, "WHILE") ? BLK_WHILE
		                                   : BLK_REPEAT);
		t->at_start = loops;
	} else if (same_word(w, n, "CASE")) {
		push(t, BLK_CASE_EXPR); /* CASE WHEN ... END inside an expression */
		t->at_start = 0;
	} else if (same_word(w, n, "THEN") || same_word(w, n, "ELSE")) {
		t->at_start = top(t) != BLK_CASE_EXPR;
	} else if (same_word(w, n, "DO") || (same_word(w, n, "ROW") && strcmp(t->prev, "EACH") == 0)) {
		/* WHILE ... DO, EVENT ... DO, FOR EACH ROW; a DO that opens a
		 * statement is the DO statement, whose IF( is a function */
		t->at_start = !t->at_start || !same_word(w, n, "DO");
	} else {
		if (t->at_start && t->mode == MODE_COMPOUND) {
			if (in_list(w, n, implicit_first_words))
				t->body_ddl = 1;
			else if (same_word(w, n, "START") || same_word(w, n, "COMMIT") || same_word(w, n, "ROLLBACK") ||
			         same_word(w, n, "XA"))
				t->body_tx = 1;
		}
		t->at_start = 0;
	}
}

static void track(tracker *t, const char *sql, const ladder_mariadb__token *tok)
{
	static const char *const object_kinds[] = {"PROCEDURE", "FUNCTION", "TRIGGER", "EVENT", "PACKAGE", NULL};
	static const char *const other_objects[] = {
		"TABLE", "VIEW",       "INDEX",   "DATABASE", "SCHEMA",   "USER",     "ROLE",  "SEQUENCE",
		"SERVER", "TABLESPACE", "LOGFILE", "UNIQUE",   "FULLTEXT", "SPATIAL", "TEMPORARY", NULL};
	const char *w = sql + tok->offset;
	size_t n = tok->len, index = t->ntok++;
	int word = tok->kind == LADDER_MDB_WORD && !t->after_dot;

	t->after_dot = 0;
	if (index == 0) {
		t->first_word = tok->kind == LADDER_MDB_WORD || tok->kind == LADDER_MDB_QUOTED;
		if (word && in_list(w, n, (const char *const[]){"IF", "CASE", "LOOP", "WHILE", "REPEAT", NULL})) {
			t->mode = MODE_COMPOUND;
			t->at_start = 1;
		} else if (word && (same_word(w, n, "CREATE") || same_word(w, n, "ALTER"))) {
			t->object_pending = 1;
		} else if (word && same_word(w, n, "BEGIN")) {
			t->first_begin = 1;
		}
	} else if (index == 1) {
		if (t->first_begin && word && same_word(w, n, "NOT")) {
			t->mode = MODE_COMPOUND;
			push(t, BLK_BEGIN);
			t->at_start = 1;
		} else if (t->first_word && tok->kind == LADDER_MDB_OP && n == 1 && *w == ':') {
			t->mode = MODE_COMPOUND; /* label: BEGIN ... END label */
		}
	}
	if (t->object_pending && word && t->parens == 0) {
		if (in_list(w, n, object_kinds)) {
			t->object_pending = 0;
			t->mode = MODE_ROUTINE;
			goto remember;
		}
		if (in_list(w, n, other_objects) || index > 16)
			t->object_pending = 0;
	}
	if (t->mode == MODE_PLAIN)
		goto remember;
	if (tok->kind == LADDER_MDB_OP) {
		if (*w == '(')
			t->parens++;
		else if (*w == ')' && t->parens > 0)
			t->parens--;
		t->after_dot = n == 1 && *w == '.';
		t->after_end = 0;
		/* label: opens a statement (a block) of the body */
		t->at_start = t->parens == 0 && n == 1 && *w == ':';
	} else if (tok->kind == LADDER_MDB_SEMICOLON) {
		t->at_start = 1;
		t->after_end = 0;
		t->handler = 0;
	} else if (word && t->parens == 0) {
		track_word(t, w, n);
	} else if (t->parens == 0) {
		t->at_start = 0;
		t->after_end = 0;
	}
remember:
	if (tok->kind == LADDER_MDB_WORD && n < sizeof(t->prev)) {
		for (size_t i = 0; i < n; i++)
			t->prev[i] = (char)upper((unsigned char)w[i]);
		t->prev[n] = '\0';
	} else {
		t->prev[0] = '\0';
	}
	if (tok->kind == LADDER_MDB_OP && n == 1 && *w == '.')
		t->after_dot = 1;
}

/* --- classification ------------------------------------------------------------- */

typedef struct words {
	const char *sql;
	const ladder_mariadb__token *t;
	size_t n;
} words;

static int is_at(const words *w, size_t i, const char *word)
{
	return i < w->n && ladder_mariadb__is(w->sql, &w->t[i], word);
}

static void set_what(ladder_stmt *stmt, const char *what)
{
	snprintf(stmt->what, sizeof(stmt->what), "%s", what);
}

/* Append word i (upper case) to stmt->what. */
static void add_word(ladder_stmt *stmt, const words *w, size_t i)
{
	size_t at = strlen(stmt->what);
	if (i >= w->n || w->t[i].kind != LADDER_MDB_WORD)
		return;
	if (at > 0 && at + 1 < sizeof(stmt->what))
		stmt->what[at++] = ' ';
	for (size_t k = 0; k < w->t[i].len && at + 1 < sizeof(stmt->what); k++)
		stmt->what[at++] = (char)upper((unsigned char)w->sql[w->t[i].offset + k]);
	stmt->what[at] = '\0';
}

/* CREATE/ALTER/DROP/RENAME [OR REPLACE] [DEFINER = u@h] [TEMPORARY]
 * [UNIQUE] ... OBJECT: "CREATE INDEX"; TEMPORARY TABLE commits nothing. */
static void classify_ddl(ladder_stmt *stmt, const words *w, size_t i)
{
	static const char *const objects[] = {
		"TABLE",   "TABLES", "INDEX",  "VIEW",   "PROCEDURE", "FUNCTION", "TRIGGER", "EVENT",   "DATABASE",
		"SCHEMA",  "SERVER", "TABLESPACE", "USER", "ROLE",    "SEQUENCE", "PACKAGE", "LOGFILE", "PREPARE",
		"DATABASES", NULL};
	int temporary = 0;

	stmt->kind = LADDER_STMT_IMPLICIT_COMMIT;
	add_word(stmt, w, i);
	for (size_t k = i + 1; k < w->n && k < i + 24; k++) {
		const ladder_mariadb__token *tok = &w->t[k];
		if (tok->kind == LADDER_MDB_OP && w->sql[tok->offset] == '(')
			break;
		if (ladder_mariadb__is(w->sql, tok, "TEMPORARY"))
			temporary = 1;
		if (tok->kind != LADDER_MDB_WORD || !in_list(w->sql + tok->offset, tok->len, objects))
			continue;
		if (ladder_mariadb__is(w->sql, tok, "PREPARE")) { /* DROP PREPARE: DEALLOCATE */
			stmt->kind = LADDER_STMT_PLAIN;
			set_what(stmt, "DEALLOCATE PREPARE");
			return;
		}
		if (temporary && (is_at(w, i, "CREATE") || is_at(w, i, "DROP")) && ladder_mariadb__is(w->sql, tok, "TABLE")) {
			stmt->kind = LADDER_STMT_PLAIN;
			snprintf(stmt->what + strlen(stmt->what), sizeof(stmt->what) - strlen(stmt->what), " TEMPORARY");
		}
		if (ladder_mariadb__is(w->sql, tok, "TABLES"))
			snprintf(stmt->what + strlen(stmt->what), sizeof(stmt->what) - strlen(stmt->what), " TABLE");
		else
			add_word(stmt, w, k);
		if (is_at(w, k + 1, "BODY") || is_at(w, k + 1, "GROUP"))
			add_word(stmt, w, k + 1);
		return;
	}
}

/* SET a = 1, @@session.autocommit = 0: does any assignment set autocommit?
 * (SET @old = @@autocommit only reads it.) */
static int sets_autocommit(const words *w, size_t i)
{
	int parens = 0, target = 1;
	for (size_t k = i + 1; k < w->n; k++) {
		const ladder_mariadb__token *tok = &w->t[k];
		const char *text = w->sql + tok->offset;
		if (tok->kind == LADDER_MDB_OP && *text == '(')
			parens++;
		else if (tok->kind == LADDER_MDB_OP && *text == ')')
			parens--;
		else if (tok->kind == LADDER_MDB_OP && *text == ',' && parens == 0) {
			target = 1;
			continue;
		}
		if (!target)
			continue;
		if (tok->kind == LADDER_MDB_WORD && in_list(text, tok->len, (const char *const[]){"GLOBAL", "SESSION",
		                                                                                   "LOCAL", NULL}))
			continue;
		if (ladder_mariadb__is(w->sql, tok, "AUTOCOMMIT") ||
		    (tok->kind == LADDER_MDB_VARIABLE &&
		     (same_word(text, tok->len, "@@AUTOCOMMIT") || same_word(text, tok->len, "@@SESSION.AUTOCOMMIT") ||
		      same_word(text, tok->len, "@@LOCAL.AUTOCOMMIT") || same_word(text, tok->len, "@@GLOBAL.AUTOCOMMIT"))))
			return 1;
		target = 0;
	}
	return 0;
}

static void classify_commit(ladder_stmt *stmt, const words *w, size_t i)
{
	int rollback = is_at(w, i, "ROLLBACK");
	stmt->kind = rollback ? LADDER_STMT_ROLLBACK : LADDER_STMT_COMMIT;
	set_what(stmt, rollback ? "ROLLBACK" : "COMMIT");
	for (size_t k = i + 1; k < w->n; k++) {
		if (rollback && is_at(w, k, "TO")) {
			stmt->kind = LADDER_STMT_SAVEPOINT;
			set_what(stmt, "ROLLBACK TO SAVEPOINT");
			return;
		}
		/* AND CHAIN opens another transaction, RELEASE ends the
		 * session: not a plain end of ladder's transaction. */
		if ((is_at(w, k, "CHAIN") && !is_at(w, k - 1, "NO")) || (is_at(w, k, "RELEASE") && !is_at(w, k - 1, "NO"))) {
			stmt->kind = LADDER_STMT_TX_OTHER;
			set_what(stmt, rollback ? "ROLLBACK" : "COMMIT");
			add_word(stmt, w, is_at(w, k, "CHAIN") ? k - 1 : k);
			if (is_at(w, k, "CHAIN"))
				add_word(stmt, w, k);
			return;
		}
	}
}

static void classify(ladder_stmt *stmt, const words *w, const tracker *t)
{
	static const char *const maintenance[] = {"ANALYZE", "CHECK", "OPTIMIZE", "REPAIR", NULL};
	static const char *const alone[] = {"GRANT", "REVOKE", "FLUSH", "RESET", "CALL", "EXECUTE", NULL};
	size_t i = 0;
	const ladder_mariadb__token *first;

	stmt->kind = LADDER_STMT_PLAIN;
	stmt->what[0] = '\0';
	/* SET STATEMENT var = value FOR statement: the statement decides. */
	if (is_at(w, 0, "SET") && is_at(w, 1, "STATEMENT")) {
		int parens = 0;
		for (size_t k = 2; k < w->n; k++) {
			const char *text = w->sql + w->t[k].offset;
			if (w->t[k].kind == LADDER_MDB_OP && *text == '(')
				parens++;
			else if (w->t[k].kind == LADDER_MDB_OP && *text == ')')
				parens--;
			else if (parens == 0 && is_at(w, k, "FOR")) {
				i = k + 1;
				break;
			}
		}
	}
	if (i >= w->n)
		return;
	first = &w->t[i];
	if (t->mode == MODE_COMPOUND) {
		stmt->kind = t->body_ddl ? LADDER_STMT_IMPLICIT_COMMIT : t->body_tx ? LADDER_STMT_TX_OTHER : LADDER_STMT_PLAIN;
		if (is_at(w, i, "BEGIN"))
			set_what(stmt, "BEGIN NOT ATOMIC");
		else if (first->kind == LADDER_MDB_WORD &&
		         !(i + 1 < w->n && w->t[i + 1].kind == LADDER_MDB_OP && w->sql[w->t[i + 1].offset] == ':'))
			add_word(stmt, w, i);
		else
			set_what(stmt, "labelled block");
		return;
	}
	if (first->kind != LADDER_MDB_WORD) {
		/* (SELECT ...) UNION ...: the first word says what it is */
		for (; i < w->n && w->t[i].kind != LADDER_MDB_WORD; i++)
			;
		add_word(stmt, w, i);
		return;
	}
	if (is_at(w, i, "CREATE") || is_at(w, i, "ALTER") || is_at(w, i, "DROP") || is_at(w, i, "RENAME")) {
		classify_ddl(stmt, w, i);
	} else if (is_at(w, i, "BEGIN")) {
		stmt->kind = LADDER_STMT_BEGIN;
		set_what(stmt, "BEGIN");
	} else if (is_at(w, i, "START") && is_at(w, i + 1, "TRANSACTION")) {
		stmt->kind = LADDER_STMT_BEGIN;
		set_what(stmt, "START TRANSACTION");
	} else if ((is_at(w, i, "START") || is_at(w, i, "STOP")) &&
	           (is_at(w, i + 1, "SLAVE") || is_at(w, i + 1, "REPLICA") || is_at(w, i + 1, "ALL"))) {
		stmt->kind = LADDER_STMT_IMPLICIT_COMMIT;
		add_word(stmt, w, i);
		add_word(stmt, w, i + 1);
	} else if (is_at(w, i, "CHANGE") && is_at(w, i + 1, "MASTER")) {
		stmt->kind = LADDER_STMT_IMPLICIT_COMMIT;
		set_what(stmt, "CHANGE MASTER");
	} else if (is_at(w, i, "COMMIT") || is_at(w, i, "ROLLBACK")) {
		classify_commit(stmt, w, i);
	} else if (is_at(w, i, "SAVEPOINT")) {
		stmt->kind = LADDER_STMT_SAVEPOINT;
		set_what(stmt, "SAVEPOINT");
	} else if (is_at(w, i, "RELEASE") && is_at(w, i + 1, "SAVEPOINT")) {
		stmt->kind = LADDER_STMT_SAVEPOINT;
		set_what(stmt, "RELEASE SAVEPOINT");
	} else if (is_at(w, i, "XA")) {
		stmt->kind = LADDER_STMT_TX_OTHER;
		add_word(stmt, w, i);
		add_word(stmt, w, i + 1);
	} else if (is_at(w, i, "UNLOCK")) {
		stmt->kind = LADDER_STMT_TX_OTHER;
		set_what(stmt, "UNLOCK TABLES");
	} else if (is_at(w, i, "LOCK") && (is_at(w, i + 1, "TABLES") || is_at(w, i + 1, "TABLE"))) {
		stmt->kind = LADDER_STMT_IMPLICIT_COMMIT;
		set_what(stmt, "LOCK TABLES");
	} else if (is_at(w, i, "TRUNCATE")) {
		stmt->kind = LADDER_STMT_IMPLICIT_COMMIT;
		set_what(stmt, "TRUNCATE TABLE");
	} else if (is_at(w, i, "SET") && is_at(w, i + 1, "PASSWORD")) {
		stmt->kind = LADDER_STMT_IMPLICIT_COMMIT;
		set_what(stmt, "SET PASSWORD");
	} else if (is_at(w, i, "SET") && sets_autocommit(w, i)) {
		stmt->kind = LADDER_STMT_TX_OTHER;
		set_what(stmt, "SET autocommit");
	} else if (in_list(w->sql + first->offset, first->len, maintenance) &&
	           (is_at(w, i + 1, "TABLE") || is_at(w, i + 2, "TABLE"))) {
		stmt->kind = LADDER_STMT_IMPLICIT_COMMIT;
		add_word(stmt, w, i);
		snprintf(stmt->what + strlen(stmt->what), sizeof(stmt->what) - strlen(stmt->what), " TABLE");
	} else if ((is_at(w, i, "CACHE") || is_at(w, i, "LOAD")) && is_at(w, i + 1, "INDEX")) {
		stmt->kind = LADDER_STMT_IMPLICIT_COMMIT;
		set_what(stmt, is_at(w, i, "CACHE") ? "CACHE INDEX" : "LOAD INDEX INTO CACHE");
	} else if ((is_at(w, i, "INSTALL") || is_at(w, i, "UNINSTALL")) &&
	           (is_at(w, i + 1, "PLUGIN") || is_at(w, i + 1, "SONAME"))) {
		stmt->kind = LADDER_STMT_IMPLICIT_COMMIT;
		add_word(stmt, w, i);
		add_word(stmt, w, i + 1);
	} else if (in_list(w->sql + first->offset, first->len, alone)) {
		stmt->kind = LADDER_STMT_IMPLICIT_COMMIT;
		add_word(stmt, w, i);
	} else {
		add_word(stmt, w, i);
		if (is_at(w, i, "LOAD") || (is_at(w, i, "DEALLOCATE") && is_at(w, i + 1, "PREPARE")))
			add_word(stmt, w, i + 1);
	}
}

/* --- the split ------------------------------------------------------------------- */

typedef struct splitter {
	const char *sql;
	ladder_stmt *list;
	size_t count, cap;
	ladder_mariadb__token *tokens;
	size_t ntokens, tokens_cap;
	size_t *bad_offset;
} splitter;

static int add_statement(splitter *s, const tracker *t, size_t start, size_t end)
{
	ladder_stmt *grown;
	words w;
	int error;

	if (t->ntok == 0)
		return 0; /* only an executable comment's brackets */
	if ((error = ladder_mariadb__tokens(s->sql, start, end, &s->tokens, &s->ntokens, &s->tokens_cap,
	                                    s->bad_offset)) < 0)
		return error;
	if ((grown = ladder_array_grow(s->list, &s->cap, s->count, sizeof(*grown), 16)) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reading a migration's statements");
	s->list = grown;
	memset(&grown[s->count], 0, sizeof(*grown));
	grown[s->count].offset = start;
	grown[s->count].len = end - start;
	w.sql = s->sql;
	w.t = s->tokens;
	w.n = s->ntokens;
	classify(&grown[s->count], &w, t);
	s->count++;
	return 0;
}

static int unterminated_body(size_t *bad_offset, size_t start)
{
	*bad_offset = start;
	return ladder_error_set(LADDER_EPLAN, "unterminated compound statement (BEGIN ... END, IF ... END IF, ...)");
}

int ladder_mariadb_split(const char *sql, size_t len, ladder_stmt **out, size_t *count, size_t *bad_offset)
{
	splitter s = {0};
	tracker t = {0};
	lexer lx;
	ladder_mariadb__token tok;
	size_t start = 0, end = 0, ignored;
	int open = 0, error = 0;

	*out = NULL;
	*count = 0;
	if (bad_offset == NULL)
		bad_offset = &ignored;
	s.sql = sql;
	s.bad_offset = bad_offset;
	lexer_init(&lx, sql, 0, len);
	for (;;) {
		if ((error = lex(&lx, &tok, bad_offset)) < 0)
			goto done;
		switch (tok.kind) {
		case LADDER_MDB_END:
		case LADDER_MDB_DELIMITER_LINE:
			/* the end of the text, or a DELIMITER command, ends a
			 * statement that has no terminator */
			if (open && t.depth > 0) {
				error = unterminated_body(bad_offset, start);
				goto done;
			}
			if (open && (error = add_statement(&s, &t, start, end)) < 0)
				goto done;
			open = 0;
			memset(&t, 0, sizeof(t));
			if (tok.kind == LADDER_MDB_END)
				goto finished;
			continue;
		case LADDER_MDB_DELIMITER:
			/* The user's delimiter ends the statement, whatever the
			 * nesting reads; the server is not sent the delimiter. */
			if (open && (error = add_statement(&s, &t, start, end)) < 0)
				goto done;
			open = 0;
			memset(&t, 0, sizeof(t));
			continue;
		case LADDER_MDB_SEMICOLON:
			if (!open)
				continue; /* an empty statement: ;; */
			/* Inside a body a semicolon ends a body statement; with a
			 * custom delimiter, a routine ends only at that. */
			if (t.mode != MODE_PLAIN && (t.depth > 0 || lx.delimiter_len > 0)) {
				track(&t, sql, &tok);
				end = tok.offset + tok.len;
				continue;
			}
			if ((error = add_statement(&s, &t, start, tok.offset + tok.len)) < 0)
				goto done;
			open = 0;
			memset(&t, 0, sizeof(t));
			continue;
		case LADDER_MDB_EXEC_OPEN:
		case LADDER_MDB_EXEC_CLOSE:
			/* Part of the statement's text, not of its meaning. A
			 * closing bracket after a semicolon inside the comment
			 * opens nothing. */
			if (!open && tok.kind == LADDER_MDB_EXEC_CLOSE)
				continue;
			if (!open) {
				open = 1;
				start = tok.offset;
			}
			end = tok.offset + tok.len;
			continue;
		default:
			if (!open) {
				open = 1;
				start = tok.offset;
			}
			track(&t, sql, &tok);
			end = tok.offset + tok.len;
			continue;
		}
	}
finished:
	*out = s.list;
	*count = s.count;
	s.list = NULL;
done:
	ladder_free(s.list);
	ladder_free(s.tokens);
	return error;
}
