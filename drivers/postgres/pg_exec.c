/*
 * pg_exec.c — running migration text on PostgreSQL and reporting what went
 * wrong: one line with severity, SQLSTATE, message, detail and hint, and the
 * byte offset in the migration text of the failing token (the server's error
 * position, counted in characters) or of the failing statement. Text runs as
 * one multi-statement query inside the run's transaction; no-transaction
 * steps are split with libpg_query (PostgreSQL's own parser) and each
 * statement runs alone, as CREATE INDEX CONCURRENTLY requires. A step's
 * statement timeout is set and put back here too.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* strdup, strndup under -std=c11 */
#endif

#include "pg_internal.h"

#include <pg_query.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MESSAGE_MAX 6144

/* --- errors -------------------------------------------------------------------- */

/* Append s to buf (of size cap, holding *used bytes) with line breaks and
 * tabs turned into spaces, so that the message stays one line. */
static void append_flat(char *buf, size_t cap, size_t *used, const char *s)
{
	static const char ellipsis[] = "\xe2\x80\xa6";

	for (; *s && *used + 1 < cap; s++)
		buf[(*used)++] = (*s == '\n' || *s == '\r' || *s == '\t') ? ' ' : *s;
	if (*s != '\0' && cap > sizeof(ellipsis)) {
		/* Cut: say so, on a character boundary. */
		size_t at = *used < cap - sizeof(ellipsis) ? *used : cap - sizeof(ellipsis);
		while (at > 0 && ((unsigned char)buf[at] & 0xC0) == 0x80)
			at--;
		memcpy(buf + at, ellipsis, sizeof(ellipsis));
		*used = at + sizeof(ellipsis) - 1;
		return;
	}
	buf[*used] = '\0';
}

static int code_for(const char *sqlstate)
{
	if (sqlstate == NULL)
		return LADDER_EDB;
	if (strcmp(sqlstate, "55P03") == 0) /* lock_not_available: lock_timeout */
		return LADDER_ELOCK_UNAVAILABLE;
	if (strcmp(sqlstate, "57014") == 0) /* query_canceled: statement_timeout */
		return LADDER_ETIMEOUT;
	if (strcmp(sqlstate, "53200") == 0) /* out_of_memory */
		return LADDER_ENOMEM;
	return LADDER_EDB;
}

int ladder_pg__error(ladder_pg_conn *conn, const PGresult *res, const char *what)
{
	const char *sqlstate = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char message[MESSAGE_MAX];
	size_t used = 0;

	message[0] = '\0';
	if (sqlstate != NULL) {
		const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
		const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);

		append_flat(message, sizeof(message), &used, severity ? severity : "ERROR");
		append_flat(message, sizeof(message), &used, " ");
		append_flat(message, sizeof(message), &used, sqlstate);
		append_flat(message, sizeof(message), &used, ": ");
		append_flat(message, sizeof(message), &used, primary ? primary : "(no message)");
		if (detail != NULL) {
			append_flat(message, sizeof(message), &used, "; DETAIL: ");
			append_flat(message, sizeof(message), &used, detail);
		}
		if (hint != NULL) {
			append_flat(message, sizeof(message), &used, "; HINT: ");
			append_flat(message, sizeof(message), &used, hint);
		}
	} else {
		/* No server error: the connection broke, or libpq refused. */
		const char *text = res ? PQresultErrorMessage(res) : "";
		char *nl;
		if (text == NULL || text[0] == '\0')
			text = PQerrorMessage(conn->pg);
		if (text == NULL || text[0] == '\0')
			text = "unknown libpq error";
		snprintf(message, sizeof(message), "%s", text);
		if ((nl = strchr(message, '\n')) != NULL)
			*nl = '\0';
	}
	if (what != NULL)
		return ladder_error_set(code_for(sqlstate), "%s: %s", what, message);
	return ladder_error_set(code_for(sqlstate), "%s", message);
}

int ladder_pg__sqlstate_is(const PGresult *res, const char *sqlstate)
{
	const char *got = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return got != NULL && strcmp(got, sqlstate) == 0;
}

int ladder_pg__run(ladder_pg_conn *conn, PGresult **out, ExecStatusType expect, const char *what,
                   const char *sql, int nparams, const char *const *params)
{
	PGresult *res = PQexecParams(conn->pg, sql, nparams, NULL, params, NULL, NULL, 0);
	int error = 0;

	if (res == NULL || PQresultStatus(res) == PGRES_FATAL_ERROR || PQresultStatus(res) == PGRES_BAD_RESPONSE)
		error = ladder_pg__error(conn, res, what);
	else if (PQresultStatus(res) != expect)
		error = ladder_error_set(LADDER_EDB, "%s: expected %s from the server, got %s", what, PQresStatus(expect),
		                         PQresStatus(PQresultStatus(res)));
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return error;
}

/* --- identifiers ------------------------------------------------------------------ */

char *ladder_pg__quote_ident(ladder_pg_conn *conn, const char *ident)
{
	char *quoted = PQescapeIdentifier(conn->pg, ident, strlen(ident));
	char *copy;

	if (quoted == NULL) {
		ladder_error_set(LADDER_EINVALID, "cannot quote the identifier '%s': %s", ident, PQerrorMessage(conn->pg));
		return NULL;
	}
	if ((copy = ladder_strdup(quoted)) == NULL)
		ladder_error_set(LADDER_ENOMEM, "out of memory quoting '%s'", ident);
	PQfreemem(quoted);
	return copy;
}

char *ladder_pg__qualify(ladder_pg_conn *conn, const char *schema, const char *table)
{
	char *qs = NULL, *qt = NULL, *out = NULL;

	if ((qt = ladder_pg__quote_ident(conn, table)) == NULL)
		goto done;
	if (schema == NULL || schema[0] == '\0') {
		out = qt;
		qt = NULL;
		goto done;
	}
	if ((qs = ladder_pg__quote_ident(conn, schema)) == NULL)
		goto done;
	if ((out = ladder_malloc(strlen(qs) + strlen(qt) + 2)) == NULL) {
		ladder_error_set(LADDER_ENOMEM, "out of memory quoting '%s'", table);
		goto done;
	}
	sprintf(out, "%s.%s", qs, qt);
done:
	ladder_free(qs);
	ladder_free(qt);
	return out;
}

/* --- positions ------------------------------------------------------------------------ */

/* The byte offset in text[0..len) of 1-based character `position` (how the
 * server counts), or SIZE_MAX when it lies outside. */
static size_t position_to_offset(const ladder_pg_conn *conn, const char *text, size_t len, long position)
{
	size_t i = 0;
	long chars = 1;

	if (position < 1)
		return SIZE_MAX;
	if (conn->byte_positions)
		return (size_t)(position - 1) <= len ? (size_t)(position - 1) : SIZE_MAX;
	while (i < len && chars < position) {
		i++;
		/* continuation bytes belong to the character before them */
		while (i < len && ((unsigned char)text[i] & 0xC0) == 0x80)
			i++;
		chars++;
	}
	/* one past the end: "syntax error at end of input" */
	return chars == position ? i : SIZE_MAX;
}

static long statement_position(const PGresult *res)
{
	const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
	return pos ? strtol(pos, NULL, 10) : 0;
}

/* --- running text ------------------------------------------------------------------------ */

/* Send text as one simple query and collect every statement's result.
 * *done counts the statements that completed before the first failure, which
 * *failed gets (the caller clears it); the server skips the rest. */
static int run_text(ladder_pg_conn *conn, const char *text, int *done, PGresult **failed)
{
	PGresult *res;

	*done = 0;
	*failed = NULL;
	if (!PQsendQuery(conn->pg, text))
		return ladder_pg__error(conn, NULL, NULL);
	while ((res = PQgetResult(conn->pg)) != NULL) {
		switch (PQresultStatus(res)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
			if (*failed == NULL)
				(*done)++;
			break;
		case PGRES_EMPTY_QUERY:
			break;
		case PGRES_COPY_IN:
			/* Nothing to feed it from a file of SQL: make the server fail it. */
			PQputCopyEnd(conn->pg, "COPY FROM STDIN is not supported in a migration");
			break;
		case PGRES_COPY_OUT: {
			char *row = NULL;
			while (PQgetCopyData(conn->pg, &row, 0) > 0) {
				PQfreemem(row);
				row = NULL;
			}
			break;
		}
		default:
			if (*failed == NULL) {
				*failed = res;
				res = NULL;
			}
			break;
		}
		PQclear(res);
	}
	if (*failed == NULL && PQstatus(conn->pg) == CONNECTION_BAD)
		return ladder_pg__error(conn, NULL, NULL);
	return *failed ? ladder_pg__error(conn, *failed, NULL) : 0;
}

/* The whole text in one round trip, inside the caller's transaction. A
 * failure without a server position points at the statement that failed:
 * the count of statements completed before it, looked up in libpg_query's
 * split (only on this error path). */
static int exec_whole(ladder_pg_conn *conn, const char *text, size_t len, size_t *err_offset)
{
	PGresult *failed = NULL;
	PgQuerySplitResult split;
	long position;
	int done = 0, error;

	if ((error = run_text(conn, text, &done, &failed)) == 0 || failed == NULL)
		goto done;
	if ((position = statement_position(failed)) > 0) {
		*err_offset = position_to_offset(conn, text, len, position);
		goto done;
	}
	split = pg_query_split_with_parser(text);
	if (split.error == NULL && done >= 0 && done < split.n_stmts)
		*err_offset = ladder_text_skip_blank(text, len, (size_t)split.stmts[done]->stmt_location);
	pg_query_free_split_result(split);
done:
	PQclear(failed);
	return error;
}

/* Can the text be run statement by statement? Checked before a
 * no-transaction step is recorded as started, so a text that cannot be
 * split fails with nothing recorded and nothing run. */
static int check_separate(ladder_pg_conn *conn, const char *text, size_t len, size_t *err_offset)
{
	PgQuerySplitResult split = pg_query_split_with_parser(text);
	int error = 0;

	if (split.error != NULL) {
		if (split.error->cursorpos > 0)
			*err_offset = position_to_offset(conn, text, len, split.error->cursorpos);
		error = ladder_error_set(LADDER_EDB, "cannot split the no-transaction migration into statements: %s",
		                         split.error->message ? split.error->message : "parse error");
	}
	pg_query_free_split_result(split);
	return error;
}

/* Each statement on its own, outside any transaction block: one
 * multi-statement query would be one implicit transaction. */
static int exec_separate(ladder_pg_conn *conn, const char *text, size_t len, size_t *err_offset)
{
	PgQuerySplitResult split = pg_query_split_with_parser(text);
	PGresult *failed = NULL;
	char *statement = NULL;
	int error = 0;

	if (split.error != NULL) {
		if (split.error->cursorpos > 0)
			*err_offset = position_to_offset(conn, text, len, split.error->cursorpos);
		error = ladder_error_set(LADDER_EDB,
		                         "cannot split the no-transaction migration into statements (nothing was run): %s",
		                         split.error->message ? split.error->message : "parse error");
		goto done;
	}
	for (int i = 0; i < split.n_stmts; i++) {
		size_t start = (size_t)split.stmts[i]->stmt_location;
		size_t stmt_len = split.stmts[i]->stmt_len > 0 ? (size_t)split.stmts[i]->stmt_len : len - start;
		long position;
		int done;

		if (start >= len || ladder_text_skip_blank(text, start + stmt_len, start) >= start + stmt_len)
			continue;
		if ((statement = ladder_strndup(text + start, stmt_len)) == NULL) {
			error = ladder_error_set(LADDER_ENOMEM, "out of memory running a migration");
			goto done;
		}
		if ((error = run_text(conn, statement, &done, &failed)) < 0) {
			if (failed != NULL && (position = statement_position(failed)) > 0)
				*err_offset = position_to_offset(conn, statement, stmt_len, position);
			else
				*err_offset = SIZE_MAX;
			if (*err_offset != SIZE_MAX)
				*err_offset += start;
			else
				*err_offset = ladder_text_skip_blank(text, len, start);
			goto done;
		}
		ladder_free(statement);
		statement = NULL;
	}
done:
	PQclear(failed);
	ladder_free(statement);
	pg_query_free_split_result(split);
	return error;
}

int ladder_pg__exec(ladder_conn *base, const char *sql, size_t len, unsigned int flags, size_t *err_offset)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	char *copy = NULL;
	const char *text = sql;
	int error;

	*err_offset = SIZE_MAX;
	if (memchr(sql, '\0', len) != NULL) {
		error = ladder_error_set(LADDER_EINVALID, "the SQL text holds a NUL byte");
		goto done;
	}
	/* libpq and libpg_query read NUL-terminated text, and sql[len] may lie
	 * past the caller's buffer. */
	if ((copy = ladder_strndup(sql, len)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory running a migration");
		goto done;
	}
	text = copy;
	if (flags & LADDER_EXEC_CHECK)
		error = check_separate(conn, text, len, err_offset);
	else if (flags & LADDER_EXEC_SEPARATE)
		error = exec_separate(conn, text, len, err_offset);
	else
		error = exec_whole(conn, text, len, err_offset);
done:
	ladder_free(copy);
	return error;
}

/* --- a step's statement timeout ----------------------------------------------------------- */

int ladder_pg__statement_timeout(ladder_conn *base, int timeout_ms)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	PGTransactionStatusType status = PQtransactionStatus(conn->pg);
	const char *in_tx = status == PQTRANS_INTRANS || status == PQTRANS_INERROR ? "true" : "false";
	const char *params[2];
	char value[32];
	PGresult *res = NULL;
	int error = 0;

	if (timeout_ms > 0) {
		/* The MATERIALIZED CTE reads the old value before set_config runs. */
		snprintf(value, sizeof(value), "%dms", timeout_ms);
		params[0] = value;
		params[1] = in_tx;
		if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "setting the step's statement timeout",
		                            "WITH old AS MATERIALIZED (SELECT pg_catalog.current_setting('statement_timeout') "
		                            "AS st) SELECT old.st, pg_catalog.set_config('statement_timeout', $1, $2::boolean) "
		                            "FROM old",
		                            2, params)) < 0)
			goto done;
		ladder_free(conn->saved_statement_timeout);
		if ((conn->saved_statement_timeout = ladder_strdup(PQgetvalue(res, 0, 0))) == NULL)
			error = ladder_error_set(LADDER_ENOMEM, "out of memory setting the step's statement timeout");
		goto done;
	}
	if (conn->saved_statement_timeout == NULL)
		goto done;
	/* A failed transaction takes the setting with it when it rolls back. */
	if (status != PQTRANS_INERROR) {
		params[0] = conn->saved_statement_timeout;
		params[1] = in_tx;
		error = ladder_pg__run(conn, NULL, PGRES_TUPLES_OK, "putting back the statement timeout",
		                       "SELECT pg_catalog.set_config('statement_timeout', $1, $2::boolean)", 2, params);
	}
	ladder_free(conn->saved_statement_timeout);
	conn->saved_statement_timeout = NULL;
done:
	PQclear(res);
	return error;
}
