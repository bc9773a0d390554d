/*
 * mariadb_exec.c — running migration text on MariaDB and reporting what
 * went wrong. The text is split by ladder's own reader (mariadb_split.c:
 * MariaDB has no client-side splitter to borrow, and a multi-statement
 * query would stop at the first error without saying which statement
 * failed), and each statement runs alone, its every result set consumed
 * (a SELECT in a migration, a CALL's several). Errors read as the mariadb
 * client prints them, "ERROR 1146 (42S02): Table ... doesn't exist", with
 * the failing statement's first token as the offset. Also here: reading
 * rows as text, quoting, and a step's statement timeout.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include "mariadb_internal.h"
#include "mariadb_sql.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ER_STATEMENT_TIMEOUT_MARIADB 1969 /* max_statement_time */
#define ER_QUERY_TIMEOUT_MYSQL 3024        /* MySQL's max_execution_time */

/* --- errors -------------------------------------------------------------------- */

static int code_for(unsigned int number)
{
	switch (number) {
	case ER_LOCK_WAIT_TIMEOUT: /* 1205: row locks (innodb_lock_wait_timeout) and
	                              metadata locks (lock_wait_timeout) alike */
		return LADDER_ELOCK_UNAVAILABLE;
	case ER_STATEMENT_TIMEOUT_MARIADB:
	case ER_QUERY_TIMEOUT_MYSQL:
		return LADDER_ETIMEOUT;
	case CR_OUT_OF_MEMORY:
		return LADDER_ENOMEM;
	default:
		return LADDER_EDB;
	}
}

/* The server quotes the statement near the error, line breaks and all:
 * the message stays one line. */
static void flatten(char *out, size_t len, const char *text)
{
	size_t i = 0;
	for (; *text && i + 1 < len; text++)
		out[i++] = (*text == '\n' || *text == '\r' || *text == '\t') ? ' ' : *text;
	out[i] = '\0';
}

int ladder_my__error(ladder_my_conn *conn, const char *what)
{
	unsigned int number = mysql_errno(conn->my);
	const char *state = mysql_sqlstate(conn->my);
	const char *prefix = what ? what : "", *colon = what ? ": " : "";
	char message[1024];

	flatten(message, sizeof(message), mysql_error(conn->my));
	if (message[0] == '\0')
		snprintf(message, sizeof(message), "unknown error");
	if (number == CR_SERVER_GONE_ERROR || number == CR_SERVER_LOST)
		return ladder_error_set(LADDER_EDB,
		                        "%s%sthe server went away: the connection to %s was lost (ERROR %u (%s): %s)",
		                        prefix, colon, conn->display ? conn->display : "mariadb", number, state, message);
	return ladder_error_set(code_for(number), "%s%sERROR %u (%s): %s", prefix, colon, number, state, message);
}

/* Read and drop every result of the statement just sent: all must be
 * read before the next command. 0, or the error of a later result (a
 * statement inside a CALL). */
static int drain(ladder_my_conn *conn, const char *what, int *more)
{
	int status, error = 0;

	*more = 0;
	for (;;) {
		MYSQL_RES *res = mysql_store_result(conn->my);
		if (res != NULL)
			mysql_free_result(res);
		else if (mysql_field_count(conn->my) != 0 && error == 0)
			error = ladder_my__error(conn, what);
		if ((status = mysql_next_result(conn->my)) < 0)
			break;
		if (status > 0) {
			if (error == 0)
				error = ladder_my__error(conn, what);
			break;
		}
		*more = 1;
	}
	return error;
}

int ladder_my__run(ladder_my_conn *conn, const char *what, const char *sql, size_t len, unsigned int *errno_out)
{
	int more, error;

	if (errno_out)
		*errno_out = 0;
	if (mysql_real_query(conn->my, sql, (unsigned long)len) != 0)
		error = ladder_my__error(conn, what);
	else
		error = drain(conn, what, &more);
	if (error < 0 && errno_out)
		*errno_out = mysql_errno(conn->my);
	return error;
}

/* A binary string column: a blob to show as its size. Numbers carry the
 * binary character set too, so the type decides. */
static int is_blob(const MYSQL_FIELD *field)
{
	if (field->charsetnr != 63)
		return 0;
	switch (field->type) {
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_BLOB:
	case MYSQL_TYPE_STRING:
	case MYSQL_TYPE_VAR_STRING:
	case MYSQL_TYPE_VARCHAR:
		return 1;
	default:
		return 0;
	}
}

static int emit(MYSQL_RES *res, int blobs, ladder_row_fn fn, void *ctx)
{
	unsigned int ncols = mysql_num_fields(res);
	MYSQL_FIELD *fields = mysql_fetch_fields(res);
	const char **cells = ladder_malloc((size_t)(ncols > 0 ? ncols : 1) * 2 * sizeof(*cells));
	char (*sizes)[32] = blobs ? ladder_malloc((size_t)(ncols > 0 ? ncols : 1) * sizeof(*sizes)) : NULL;
	MYSQL_ROW row;
	int error = 0;

	if (cells == NULL || (blobs && sizes == NULL)) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory reading a query's rows");
		goto done;
	}
	for (unsigned int i = 0; i < ncols; i++)
		cells[i] = fields[i].name;
	while (error == 0 && (row = mysql_fetch_row(res)) != NULL) {
		unsigned long *lengths = mysql_fetch_lengths(res);
		for (unsigned int i = 0; i < ncols; i++) {
			cells[ncols + i] = row[i];
			if (blobs && row[i] != NULL && is_blob(&fields[i])) {
				snprintf(sizes[i], sizeof(sizes[i]), "<%lu-byte blob>", lengths[i]);
				cells[ncols + i] = sizes[i];
			}
		}
		error = fn(ctx, (int)ncols, cells, cells + ncols);
	}
done:
	ladder_free(cells);
	ladder_free(sizes);
	return error;
}

/* One query's first result set to fn; a second result set (a second
 * statement on a connection that allows them) is refused, read to the end. */
static int rows(ladder_my_conn *conn, const char *what, const char *sql, size_t len, int missing_ok, int blobs,
                ladder_row_fn fn, void *ctx)
{
	MYSQL_RES *res = NULL;
	int more = 0, error = 0, drained;

	if (mysql_real_query(conn->my, sql, (unsigned long)len) != 0) {
		if (missing_ok && mysql_errno(conn->my) == ER_NO_SUCH_TABLE)
			return 0;
		return ladder_my__error(conn, what);
	}
	res = mysql_store_result(conn->my);
	if (res == NULL && mysql_field_count(conn->my) != 0)
		error = ladder_my__error(conn, what);
	else if (res != NULL)
		error = emit(res, blobs, fn, ctx);
	mysql_free_result(res);
	/* a result set's end is not the statement's: read the rest */
	if (mysql_more_results(conn->my)) {
		ladder_error_saved saved;
		ladder_error_save(&saved);
		mysql_next_result(conn->my);
		drained = drain(conn, what, &more);
		ladder_error_restore(&saved);
		if (error == 0 && drained < 0)
			error = drained;
		else if (error == 0)
			error = ladder_error_set(LADDER_EINVALID, "%s%sthe query is more than one statement",
			                         what ? what : "", what ? ": " : "");
	}
	return error;
}

int ladder_my__rows(ladder_my_conn *conn, const char *what, const char *sql, int missing_ok, ladder_row_fn fn,
                    void *ctx)
{
	return rows(conn, what, sql, strlen(sql), missing_ok, 0, fn, ctx);
}

typedef struct {
	char *out;
	size_t len;
	int *is_null;
	int seen;
} value_ctx;

static int on_value(void *ctx, int ncols, const char *const *names, const char *const *cells)
{
	value_ctx *v = ctx;
	(void)names;
	if (v->seen++ || ncols < 1)
		return 0;
	if (v->is_null)
		*v->is_null = cells[0] == NULL;
	snprintf(v->out, v->len, "%s", cells[0] ? cells[0] : "");
	return 0;
}

int ladder_my__value(ladder_my_conn *conn, const char *what, const char *sql, char *out, size_t len, int *is_null)
{
	value_ctx v = {out, len, is_null, 0};

	if (len > 0)
		out[0] = '\0';
	if (is_null)
		*is_null = 1;
	return ladder_my__rows(conn, what, sql, 0, on_value, &v);
}

int ladder_my__query_rows(ladder_conn *base, const char *sql, ladder_row_fn fn, void *ctx)
{
	return rows((ladder_my_conn *)base, NULL, sql, strlen(sql), 0, 1, fn, ctx);
}

/* --- quoting ------------------------------------------------------------------------ */

void ladder_my__put_literal(ladder_my_conn *conn, ladder_buf *buf, const char *text)
{
	size_t len = strlen(text);
	char *escaped = ladder_malloc(len * 2 + 1);
	unsigned long n;

	if (escaped == NULL) {
		buf->failed = 1;
		return;
	}
	/* escaped as the session's sql_mode reads it (NO_BACKSLASH_ESCAPES) */
	n = mysql_real_escape_string(conn->my, escaped, text, (unsigned long)len);
	if (n == (unsigned long)-1)
		buf->failed = 1;
	else {
		ladder_buf_put(buf, "'", 1);
		ladder_buf_put(buf, escaped, n);
		ladder_buf_put(buf, "'", 1);
	}
	ladder_free(escaped);
}

void ladder_my__put_ident(ladder_buf *buf, const char *ident)
{
	ladder_buf_put(buf, "`", 1);
	for (const char *p = ident; *p; p++) {
		ladder_buf_put(buf, p, 1);
		if (*p == '`') /* doubled inside backticks */
			ladder_buf_put(buf, "`", 1);
	}
	ladder_buf_put(buf, "`", 1);
}

const char *ladder_my__database(ladder_my_conn *conn, const ladder_store *store)
{
	if (store != NULL && store->schema[0] != '\0')
		return store->schema;
	return conn->database;
}

int ladder_my__missing(ladder_my_conn *conn, const char *database)
{
	return conn->db_missing && database != NULL && conn->database != NULL && strcmp(database, conn->database) == 0;
}

void ladder_my__put_database(ladder_my_conn *conn, ladder_buf *buf, const char *database)
{
	if (database != NULL)
		ladder_my__put_literal(conn, buf, database);
	else
		ladder_buf_puts(buf, "DATABASE()");
}

/* --- running text ------------------------------------------------------------------------ */

int ladder_my__in_tx(ladder_my_conn *conn)
{
	unsigned int status = 0;
	mariadb_get_infov(conn->my, MARIADB_CONNECTION_SERVER_STATUS, &status);
	return (status & SERVER_STATUS_IN_TRANS) != 0;
}

/* The reader's split; a text it cannot read fails with nothing run,
 * *err_offset at what is unterminated. */
static int split(const char *sql, size_t len, ladder_stmt **stmts, size_t *count, size_t *err_offset)
{
	size_t bad = SIZE_MAX;
	int error = ladder_mariadb_split(sql, len, stmts, count, &bad);

	if (error < 0 && error != LADDER_ENOMEM) {
		*err_offset = bad;
		error = ladder_error_set(error, "cannot split the migration into statements (nothing was run): %s",
		                         ladder_error_last()->message);
	}
	return error;
}

/* The server names the line of a syntax error within the statement it
 * was sent ("... near 'x' at line 3"): the offset of that line's first
 * token, so that the message points at the line, not at the statement's
 * start. Without one (most errors), the statement's start. */
static size_t error_line_offset(const char *sql, size_t start, size_t len)
{
	const char *message = ladder_error_last()->message, *at = NULL, *p;
	long line;
	size_t i = start;

	for (p = strstr(message, " at line "); p != NULL; p = strstr(p + 1, " at line "))
		at = p;
	if (at == NULL || (line = strtol(at + 9, NULL, 10)) < 2)
		return start;
	for (; i < start + len && line > 1; i++)
		if (sql[i] == '\n')
			line--;
	return line > 1 ? start : ladder_text_skip_blank(sql, start + len, i);
}

int ladder_my__exec(ladder_conn *base, const char *sql, size_t len, unsigned int flags, size_t *err_offset)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;
	ladder_stmt *stmts = NULL;
	size_t count = 0;
	int error;

	*err_offset = SIZE_MAX;
	if (memchr(sql, '\0', len) != NULL) {
		error = ladder_error_set(LADDER_EINVALID, "the SQL text holds a NUL byte");
		goto done;
	}
	/* Every statement runs alone, so SEPARATE changes nothing here: each
	 * one commits or not as MariaDB decides, and the core has chosen
	 * where transactions begin and end. */
	if ((error = split(sql, len, &stmts, &count, err_offset)) < 0 || (flags & LADDER_EXEC_CHECK))
		goto done;
	for (size_t i = 0; i < count; i++) {
		size_t stmt_len = stmts[i].len;
		/* without CLIENT_MULTI_STATEMENTS the server wants no ';' */
		if (stmt_len > 0 && sql[stmts[i].offset + stmt_len - 1] == ';')
			stmt_len--;
		if ((error = ladder_my__run(conn, NULL, sql + stmts[i].offset, stmt_len, NULL)) < 0) {
			*err_offset = error_line_offset(sql, stmts[i].offset, stmt_len);
			goto done;
		}
	}
done:
	ladder_free(stmts);
	return error;
}

int ladder_my__statements(ladder_conn *base, const char *sql, size_t len, ladder_stmt **out, size_t *count)
{
	size_t bad = SIZE_MAX;
	int error;

	(void)base;
	*out = NULL;
	*count = 0;
	error = ladder_mariadb_split(sql, len, out, count, &bad);
	if (error == LADDER_ENOMEM)
		return error;
	if (error < 0) {
		/* not readable: the core falls back on checking after the step */
		ladder_free(*out);
		*out = NULL;
		*count = SIZE_MAX;
	}
	return 0;
}

/* --- a step's statement timeout ----------------------------------------------------------- */

/* max_statement_time is the session's, in seconds (fractions allowed),
 * whether or not a transaction is open: put back explicitly, never by a
 * rollback. */
int ladder_my__statement_timeout(ladder_conn *base, int timeout_ms)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;
	char sql[96], old[32];
	int error;

	if (timeout_ms > 0) {
		if ((error = ladder_my__value(conn, "setting the step's statement timeout",
		                              "SELECT @@SESSION.max_statement_time", old, sizeof(old), NULL)) < 0)
			return error;
		snprintf(sql, sizeof(sql), "SET SESSION max_statement_time = %d.%03d", timeout_ms / 1000, timeout_ms % 1000);
		if ((error = ladder_my__run(conn, "setting the step's statement timeout", sql, strlen(sql), NULL)) == 0)
			snprintf(conn->saved_statement_time, sizeof(conn->saved_statement_time), "%s", old);
		return error;
	}
	if (conn->saved_statement_time[0] == '\0')
		return 0;
	/* the value the server printed: digits and a point */
	snprintf(sql, sizeof(sql), "SET SESSION max_statement_time = %s", conn->saved_statement_time);
	conn->saved_statement_time[0] = '\0';
	return ladder_my__run(conn, "putting back the statement timeout", sql, strlen(sql), NULL);
}
