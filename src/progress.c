/*
 * progress.c — the engine-neutral half of running a step statement by
 * statement (see progress.h). After a crash, the one thing the record
 * cannot say is whether an implicitly committing statement that was
 * running took effect; this file asks the catalog, and answers only when
 * every thing the statement does is a thing the catalog shows.
 */
#include "progress.h"

#include "conn.h"
#include "digest.h"

#include <stdio.h>
#include <string.h>

int progress_is_alone(const step_text *text, size_t i)
{
	return text->stmts[i].kind == LADDER_STMT_IMPLICIT_COMMIT;
}

size_t progress_unit_end(const step_text *text, size_t first)
{
	size_t end = first + 1;

	if (progress_is_alone(text, first))
		return end;
	while (end < text->nstmts && !progress_is_alone(text, end))
		end++;
	return end;
}

int progress_prefix(char *out, const step_text *text, int64_t done)
{
	size_t len = 0;

	if (done > 0 && (size_t)done <= text->nstmts)
		len = text->stmts[done - 1].offset + text->stmts[done - 1].len;
	return ladder_checksum_text(out, text->sql, len);
}

/* --- the catalog check ----------------------------------------------------------- */

#define ACTIONS_MAX 16

typedef struct effects {
	ladder_action actions[ACTIONS_MAX];
	size_t count;
	int overflow;
} effects;

static int collect(void *ctx, const ladder_action *action)
{
	effects *e = ctx;

	if (e->count == ACTIONS_MAX) {
		e->overflow = 1;
		return 0;
	}
	e->actions[e->count++] = *action;
	return 0;
}

/* What the catalog shows of one action: 1 done, 0 not done, -1 it cannot
 * tell (why set), or an error. A column defined inside CREATE TABLE is
 * part of the table: no answer of its own (2). */
static int action_done(ladder_conn *conn, const ladder_action *act, char *why, size_t why_len)
{
	int there = 0, other = 0, error = 0;

	switch (act->kind) {
	case LADDER_ACT_COLUMN:
		return 2;
	case LADDER_ACT_CREATE_TABLE:
		if ((error = conn_table_has(conn, act->schema, act->table, NULL, &there)) < 0)
			return error;
		return there;
	case LADDER_ACT_DROP_TABLE:
		if ((error = conn_table_has(conn, act->schema, act->table, NULL, &there)) < 0)
			return error;
		return !there;
	case LADDER_ACT_RENAME_TABLE:
		if ((error = conn_table_has(conn, act->schema, act->table, NULL, &there)) < 0 ||
		    (error = conn_table_has(conn, act->schema, act->name, NULL, &other)) < 0)
			return error;
		if (there != other)
			return other;
		snprintf(why, why_len, "tables %s and %s %s", act->table, act->name, there ? "both exist" : "are both missing");
		return -1;
	case LADDER_ACT_ADD_COLUMN:
	case LADDER_ACT_DROP_COLUMN:
		if ((error = conn_table_has(conn, act->schema, act->table, NULL, &there)) < 0)
			return error;
		if (!there) {
			snprintf(why, why_len, "table %s is missing", act->table);
			return -1;
		}
		if ((error = conn_table_has(conn, act->schema, act->table, act->column, &there)) < 0)
			return error;
		return act->kind == LADDER_ACT_ADD_COLUMN ? there : !there;
	case LADDER_ACT_RENAME_COLUMN:
		if ((error = conn_table_has(conn, act->schema, act->table, act->column, &there)) < 0 ||
		    (error = conn_table_has(conn, act->schema, act->table, act->name, &other)) < 0)
			return error;
		if (there != other)
			return other;
		snprintf(why, why_len, "columns %s.%s and %s.%s %s", act->table, act->column, act->table, act->name,
		         there ? "both exist" : "are both missing");
		return -1;
	case LADDER_ACT_CREATE_INDEX:
	case LADDER_ACT_DROP_INDEX:
		if (act->name[0] == '\0' || act->table[0] == '\0' || !conn_can_check_indexes(conn)) {
			snprintf(why, why_len, "an index without a name or table cannot be looked up");
			return -1;
		}
		if ((error = conn_index_has(conn, act->schema, act->table, act->name, &there)) < 0)
			return error;
		return act->kind == LADDER_ACT_CREATE_INDEX ? there : !there;
	default:
		snprintf(why, why_len, "the catalog does not show what this kind of statement does");
		return -1;
	}
}

int progress_check(progress_outcome *out, ladder_conn *conn, const step_text *text, size_t i, char *why,
                   size_t why_len)
{
	const ladder_stmt *stmt = &text->stmts[i];
	effects e;
	int done = 0, not_done = 0, error;

	*out = PROGRESS_UNKNOWN;
	why[0] = '\0';
	memset(&e, 0, sizeof(e));
	if (conn->driver->read_actions == NULL) {
		snprintf(why, why_len, "the %s driver cannot read what a statement does", conn->driver->name);
		return 0;
	}
	if ((error = conn->driver->read_actions(NULL, text->sql + stmt->offset, stmt->len, collect, &e)) < 0)
		return error;
	for (size_t k = 0; k < e.count && why[0] == '\0'; k++) {
		int answer = e.actions[k].kind == LADDER_ACT_FAILED ? -1 : action_done(conn, &e.actions[k], why, why_len);
		if (answer < -1)
			return answer;
		if (answer == -1 && why[0] == '\0')
			snprintf(why, why_len, "the statement could not be read");
		done += answer == 1;
		not_done += answer == 0;
	}
	if (why[0] != '\0')
		return 0;
	if (e.overflow || done + not_done == 0) {
		snprintf(why, why_len, "the catalog does not show what this kind of statement does");
		return 0;
	}
	/* A DDL statement is atomic: all of its changes or none. */
	if (done > 0 && not_done > 0) {
		snprintf(why, why_len, "the catalog shows part of its changes");
		return 0;
	}
	*out = done > 0 ? PROGRESS_RAN : PROGRESS_NOT_RUN;
	return 0;
}

/* --- words ------------------------------------------------------------------------ */

/* The statement's start on one line, cut to fit with an ellipsis. */
static void excerpt(char *buf, size_t len, const char *sql, const ladder_stmt *stmt)
{
	size_t used = 0, max = len > 64 ? 60 : len - 4;
	int space = 0;

	for (size_t i = 0; i < stmt->len && used < max; i++) {
		char c = sql[stmt->offset + i];
		if (c == ';' && i + 1 == stmt->len)
			break;
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
			space = used > 0;
			continue;
		}
		if (space && used < max)
			buf[used++] = ' ';
		space = 0;
		buf[used++] = c;
	}
	buf[used] = '\0';
	if (used >= max && len >= used + 4)
		memcpy(buf + used, "\xE2\x80\xA6", 4); /* … */
}

void progress_statement(char *buf, size_t len, const ladder_step *step, ladder_direction dir,
                        const step_text *text, size_t i)
{
	char quoted[128];

	excerpt(quoted, sizeof(quoted), text->sql, &text->stmts[i]);
	snprintf(buf, len, "statement %zu of %zu (`%s`, line %d)", i + 1, text->nstmts, quoted,
	         ladder_step_line(step, dir == LADDER_DOWN, text->stmts[i].offset));
}
