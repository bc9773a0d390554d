/*
 * boundary.c — reading a step's text before it runs so that nothing in it
 * can cross ladder's transaction boundary unseen (see boundary.h). The
 * engine's parser splits and sorts the statements (the driver's
 * `statements` op); every decision about them is made here.
 */
#include "boundary.h"

#include "db.h"
#include "sqltext.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_control(ladder_stmt_kind kind)
{
	return kind == LADDER_STMT_BEGIN || kind == LADDER_STMT_COMMIT || kind == LADDER_STMT_ROLLBACK ||
	       kind == LADDER_STMT_TX_OTHER;
}

static int is_pragma(ladder_stmt_kind kind)
{
	return kind == LADDER_STMT_FOREIGN_KEYS_OFF || kind == LADDER_STMT_FOREIGN_KEYS_ON;
}

/* Blank a statement out: spaces over everything but line breaks, so that
 * error positions and line numbers in the rest stay true. */
static void blank(char *text, const ladder_stmt *stmt)
{
	for (size_t i = stmt->offset; i < stmt->offset + stmt->len; i++)
		if (text[i] != '\n')
			text[i] = ' ';
}

static int refuse_control(step_text *out, const ladder_step *step, ladder_direction dir, const ladder_stmt *stmt)
{
	int down = dir == LADDER_DOWN;

	out->refused_at = stmt->offset;
	return ladder_error_set(LADDER_EPLAN,
	                        "%s:%d: %s inside migration %" PRId64 " %s (%s) would end ladder's transaction, "
	                        "committing or dropping part of the run behind its back; only one BEGIN; ... COMMIT; "
	                        "around the whole text is allowed (ladder ignores it). Remove the statement, or mark "
	                        "the step `-- ladder:no-transaction` to run your own transactions",
	                        ladder_step_source(step, down), ladder_step_line(step, down, stmt->offset), stmt->what,
	                        step->def.version, step->def.name,
	                        dir == LADDER_BASELINE ? "baseline" : down ? "down" : "up");
}

/* The statements that are neither blank nor a foreign-keys pragma, by
 * index: the wrapper is judged on these. */
static int judge_control(step_text *out, const ladder_step *step, ladder_direction dir, const ladder_stmt *stmts,
                         size_t count, size_t *begin_at, size_t *commit_at)
{
	size_t first = SIZE_MAX, last = SIZE_MAX, controls = 0;

	*begin_at = *commit_at = SIZE_MAX;
	for (size_t i = 0; i < count; i++) {
		if (is_pragma(stmts[i].kind))
			continue;
		if (first == SIZE_MAX)
			first = i;
		last = i;
		controls += is_control(stmts[i].kind);
	}
	if (controls == 0)
		return 0;
	if (controls == 2 && first != last && stmts[first].kind == LADDER_STMT_BEGIN &&
	    stmts[last].kind == LADDER_STMT_COMMIT) {
		*begin_at = first;
		*commit_at = last;
		return 0;
	}
	/* Blame the first statement that breaks the wrapper shape. */
	for (size_t i = 0; i < count; i++) {
		if (!is_control(stmts[i].kind))
			continue;
		if (i == first && stmts[i].kind == LADDER_STMT_BEGIN)
			continue;
		return refuse_control(out, step, dir, &stmts[i]);
	}
	return refuse_control(out, step, dir, &stmts[first]);
}

/* Keep the statements a step run statement by statement goes through,
 * without the wrapper set aside (taking the array over). */
static void keep_statements(step_text *out, ladder_stmt **stmts, size_t count, size_t begin_at, size_t commit_at)
{
	size_t kept = 0;

	for (size_t i = 0; i < count; i++)
		if (i != begin_at && i != commit_at)
			(*stmts)[kept++] = (*stmts)[i];
	out->stmts = *stmts;
	out->nstmts = kept;
	*stmts = NULL;
}

int step_text_prepare(step_text *out, ladder_conn *conn, const ladder_step *step, ladder_direction dir,
                      unsigned int run_flags)
{
	return step_text_read(out, conn->driver, conn, step, dir, run_flags);
}

int step_text_read(step_text *out, const ladder_driver *driver, ladder_conn *conn, const ladder_step *step,
                   ladder_direction dir, unsigned int run_flags)
{
	int down = dir == LADDER_DOWN;
	const char *sql = down ? step->def.down_sql : step->def.up_sql;
	const char *source = ladder_step_source(step, down);
	ladder_stmt *stmts = NULL;
	size_t count = 0, begin_at = SIZE_MAX, commit_at = SIZE_MAX, no_tx = SIZE_MAX, fk_off = SIZE_MAX, needs_commit = SIZE_MAX;
	int error = 0;

	memset(out, 0, sizeof(*out));
	out->prepared = 1;
	out->refused_at = SIZE_MAX;
	out->sql = sql;
	out->info.flags = down ? step->def.down_flags : step->def.up_flags;
	/* C callbacks: nothing to read; the check after the step stands guard. */
	if (sql == NULL)
		return 0;
	if ((error = ladder_text_statement_timeout(source, ladder_step_line(step, down, 0), sql,
	                                           &out->statement_timeout_ms, &out->statement_timeout_line)) < 0)
		goto done;
	/* Refused before anything runs rather than run without the limit the
	 * author asked for. */
	if (out->statement_timeout_ms > 0 && driver->ops->statement_timeout == NULL) {
		error = ladder_error_set(LADDER_EUNSUPPORTED,
		                         "%s:%d: migration %" PRId64 " %s asks for a statement timeout "
		                         "(-- ladder:statement-timeout), which the %s driver cannot set",
		                         source, out->statement_timeout_line, step->def.version, step->def.name,
		                         driver->name);
		goto done;
	}
	if (driver->ops->statements != NULL &&
	    (error = driver->ops->statements(conn, sql, strlen(sql), &stmts, &count)) < 0)
		goto done;
	if (driver->ops->statements == NULL)
		count = SIZE_MAX;
	if (count == SIZE_MAX) {
		count = 0;
		out->info.unread = 1;
		goto done;
	}
	out->read = 1;
	out->statements = count;
	for (size_t i = 0; i < count; i++) {
		if (stmts[i].kind == LADDER_STMT_NO_TX && no_tx == SIZE_MAX)
			no_tx = i;
		if (stmts[i].kind == LADDER_STMT_FOREIGN_KEYS_OFF && fk_off == SIZE_MAX)
			fk_off = i;
		if (stmts[i].kind == LADDER_STMT_NEEDS_COMMIT && needs_commit == SIZE_MAX)
			needs_commit = i;
	}
	if (needs_commit != SIZE_MAX && !(out->info.flags & LADDER_NO_TRANSACTION)) {
		out->info.flags |= LADDER_COMMIT_AFTER;
		out->info.detected |= LADDER_COMMIT_AFTER;
		snprintf(out->info.reason, sizeof(out->info.reason), "%s at %s:%d", stmts[needs_commit].what, source,
		         ladder_step_line(step, down, stmts[needs_commit].offset));
	}

	/* A step its author runs alone keeps its text as written. */
	if (out->info.flags & LADDER_NO_TRANSACTION)
		goto done;
	if (no_tx != SIZE_MAX) {
		int line = ladder_step_line(step, down, stmts[no_tx].offset);
		if (run_flags & LADDER_STRICT) {
			out->refused_at = stmts[no_tx].offset;
			error = ladder_error_set(LADDER_EPLAN,
			                         "%s:%d: %s cannot run inside a transaction, and migration %" PRId64
			                         " %s is not marked `-- ladder:no-transaction` (outside strict mode ladder "
			                         "runs it as a no-transaction step)",
			                         source, line, stmts[no_tx].what, step->def.version, step->def.name);
			goto done;
		}
		/* Run alone, the step's own BEGIN would put the statement back
		 * inside a transaction block, where it fails half way. */
		for (size_t i = 0; i < count; i++) {
			if (!is_control(stmts[i].kind))
				continue;
			out->refused_at = stmts[i].offset;
			error = ladder_error_set(LADDER_EPLAN,
			                         "%s:%d: %s inside migration %" PRId64 " %s, which must run outside a "
			                         "transaction because of %s at line %d; mark the step "
			                         "`-- ladder:no-transaction` to run its own transactions as written, or remove it",
			                         source, ladder_step_line(step, down, stmts[i].offset), stmts[i].what,
			                         step->def.version, step->def.name, stmts[no_tx].what, line);
			goto done;
		}
		out->info.flags |= LADDER_NO_TRANSACTION;
		out->info.detected |= LADDER_NO_TRANSACTION;
		out->detected_at = stmts[no_tx].offset;
		snprintf(out->info.reason, sizeof(out->info.reason), "%s at %s:%d", stmts[no_tx].what, source, line);
		goto done;
	}

	if ((error = judge_control(out, step, dir, stmts, count, &begin_at, &commit_at)) < 0)
		goto done;
	if (begin_at == SIZE_MAX && fk_off == SIZE_MAX)
		goto done;
	if ((out->owned = ladder_strdup(sql)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory reading migration %" PRId64, step->def.version);
		goto done;
	}
	out->sql = out->owned;
	if (begin_at != SIZE_MAX) {
		blank(out->owned, &stmts[begin_at]);
		blank(out->owned, &stmts[commit_at]);
		out->info.unwrapped = 1;
	}
	if (fk_off != SIZE_MAX) {
		/* ladder switches foreign keys off around the transaction and checks
		 * them before it commits: the pragmas inside would do nothing. */
		for (size_t i = 0; i < count; i++)
			if (is_pragma(stmts[i].kind))
				blank(out->owned, &stmts[i]);
		out->info.flags |= LADDER_FOREIGN_KEYS_OFF;
		out->info.detected |= LADDER_FOREIGN_KEYS_OFF;
		out->detected_at = stmts[fk_off].offset;
		snprintf(out->info.reason, sizeof(out->info.reason), "%s at %s:%d", stmts[fk_off].what, source,
		         ladder_step_line(step, down, stmts[fk_off].offset));
	}
done:
	if (error == 0 && out->read && (driver->caps & LADDER_DRIVER_DDL_COMMITS))
		keep_statements(out, &stmts, count, begin_at, commit_at);
	ladder_free(stmts);
	if (error < 0) {
		size_t refused_at = out->refused_at;
		step_text_clear(out);
		out->refused_at = refused_at;
	}
	return error;
}

void step_text_clear(step_text *text)
{
	ladder_free(text->stmts);
	ladder_free(text->owned);
	memset(text, 0, sizeof(*text));
}

int ladder_step_inspect(ladder_step_info *out, ladder_db *db, const ladder_plan *plan, int64_t version,
                        ladder_direction dir, unsigned int flags)
{
	const ladder_step *step;
	step_text text;
	int error;

	if (out == NULL || db == NULL || plan == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_step_inspect: NULL argument");
	memset(out, 0, sizeof(*out));
	if (dir == LADDER_DOWN && (error = ladder_plan_needs_downs(plan, "inspecting a down")) < 0)
		return error;
	if (dir == LADDER_BASELINE)
		step = plan->has_baseline && plan->baseline.def.version == version ? &plan->baseline : NULL;
	else
		step = ladder_plan_find(plan, version);
	if (step == NULL)
		return ladder_error_set(LADDER_EINVALID, "version %" PRId64 " is not in the plan", version);
	if (dir == LADDER_DOWN && step->def.down_sql == NULL && step->def.down_fn == NULL)
		return ladder_error_set(LADDER_ENO_DOWN, "migration %" PRId64 " %s has no down", version, step->def.name);
	if ((error = step_text_prepare(&text, db->conn, step, dir, flags)) < 0)
		return error;
	*out = text.info;
	step_text_clear(&text);
	return 0;
}
