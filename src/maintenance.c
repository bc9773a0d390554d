/*
 * maintenance.c — the explicit fixes: adopting into the history table a
 * database stamped by a light store or migrated by another tool
 * (golang-migrate, dbmate, goose, sql-migrate; their tables are read in
 * foreign.c), and repairing what validation refuses (interrupted
 * no-transaction steps, deliberately edited migrations). Each runs under
 * the same lock and in one transaction, like a migration run.
 */
#include "foreign.h"
#include "progress.h"
#include "txn.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The sequence of a run that commits once: the lock where the driver wants
 * it for every write, begin, read the history. */
static int maintenance_begin(txn *t, ladder_db *db, history *h)
{
	int error;

	memset(t, 0, sizeof(*t));
	t->db = db;
	if (conn_in_transaction(db->conn))
		return ladder_error_set(LADDER_EINVALID, "the connection has an open transaction");
	if ((error = txn_lock(t, 0)) < 0)
		return error;
	if ((error = txn_begin(t)) < 0)
		return error;
	return history_read(h, db, 1);
}

static int maintenance_end(txn *t, history *h, int error)
{
	if (error == 0)
		error = txn_commit(t, h);
	txn_abandon(t, h);
	txn_unlock(t);
	history_clear(h);
	return error;
}

static int already_recorded(const history *st)
{
	return ladder_error_set(LADDER_EINVALID,
	                        "the history table already records %zu migration(s) (up to version %" PRId64
	                        "): nothing to adopt",
	                        st->nrows, history_current(st));
}

/* Create the store for the rows gathered in st (written at commit) and
 * report them. */
static int record_adopted(ladder_result *out, ladder_db *db, history *st, int64_t head)
{
	int error = conn_store_prepare(db->conn, &db->store);

	if (error == 0 && out) {
		out->from_version = head;
		out->to_version = head;
		out->applied = st->nrows;
	}
	return error;
}

/* adopt --from TOOL: the versions the tool applied, by its own rules. */
static int adopt_foreign(ladder_result *out, ladder_db *db, const ladder_plan *plan, const foreign_source *src)
{
	history st;
	txn t;
	size_t *steps = NULL, count = 0;
	int64_t head = 0;
	char now[32];
	int error;

	memset(&st, 0, sizeof(st));
	if ((error = maintenance_begin(&t, db, &st)) < 0)
		goto done;
	if (st.nrows > 0) {
		error = already_recorded(&st);
		goto done;
	}
	if ((error = foreign_applied(&steps, &count, &head, db, src, plan)) < 0)
		goto done;
	ladder_utc_now(now, sizeof(now));
	for (size_t i = 0; i < count && error == 0; i++)
		error = history_record(&st, &plan->steps[steps[i]], "adopted", 0, now, 0);
	if (error == 0 && st.nrows == 0 && plan->has_baseline && plan->baseline.def.version <= head)
		error = history_record(&st, &plan->baseline, "baseline", 0, now, 0);
	if (error == 0 && st.nrows == 0)
		error = ladder_error_set(LADDER_EPLAN, "the plan has no migration at or below %s's version %" PRId64,
		                         src->name, head);
	if (error == 0)
		error = record_adopted(out, db, &st, head);
done:
	ladder_free(steps);
	return maintenance_end(&t, &st, error);
}

int ladder_adopt(ladder_result *out, ladder_db *db, const ladder_plan *plan, const char *from)
{
	foreign_source tool;
	ladder_store source;
	ladder_head head;
	history st;
	txn t;
	char now[32];
	int error;

	memset(&st, 0, sizeof(st));
	if (out)
		memset(out, 0, sizeof(*out));
	if (db == NULL || plan == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_adopt: no database or plan");
	if (db->store.kind != LADDER_STORE_HISTORY)
		return ladder_error_set(LADDER_EINVALID, "adopt moves a version into the history store; the database is "
		                                         "opened with a light store");
	if ((error = foreign_parse(&tool, from)) < 0)
		return error;
	if (error == 1) {
		if ((error = ladder_plan_prepare(plan)) < 0)
			return error;
		return adopt_foreign(out, db, plan, &tool);
	}
	if ((error = ladder_store_parse(&source, from ? from : "user_version", db->store.schema)) < 0 &&
	    strncmp(from, "comment:", 8) == 0)
		return error;
	if (error < 0)
		return ladder_error_set(error,
		                        "adopt cannot read '%s': expected user_version, comment:TABLE, golang-migrate, "
		                        "dbmate, goose or sql-migrate (a tool's renamed table: TOOL:TABLE)",
		                        from);
	if (source.kind == LADDER_STORE_HISTORY)
		return ladder_error_set(LADDER_EINVALID,
		                        "adopt reads a light store (user_version or comment:TABLE) or another tool's table "
		                        "(golang-migrate, dbmate, goose, sql-migrate), not '%s'",
		                        from);
	if ((error = ladder_store_check(&source, db->conn->driver)) < 0 || (error = ladder_plan_prepare(plan)) < 0)
		return error;
	if ((error = maintenance_begin(&t, db, &st)) < 0)
		goto done;
	if ((error = history_head(db, &source, &head)) < 0)
		goto done;
	if (st.nrows > 0) {
		error = already_recorded(&st);
		goto done;
	}
	if (head.version <= 0) {
		error = ladder_error_set(LADDER_EINVALID, "nothing to adopt: the %s store records no version", from);
		goto done;
	}
	if (head.version > ladder_plan_head(plan)) {
		error = ladder_error_set(LADDER_ENEWER,
		                         "the %s store records version %" PRId64 ", newer than this plan's head %" PRId64,
		                         from, head.version, ladder_plan_head(plan));
		goto done;
	}
	ladder_utc_now(now, sizeof(now));
	for (size_t i = 0; i < plan->count && plan->steps[i].def.version <= head.version && error == 0; i++)
		error = history_record(&st, &plan->steps[i], "adopted", 0, now, 0);
	if (error == 0 && st.nrows == 0 && plan->has_baseline && plan->baseline.def.version <= head.version)
		error = history_record(&st, &plan->baseline, "baseline", 0, now, 0);
	if (error == 0 && st.nrows == 0)
		error = ladder_error_set(LADDER_EPLAN, "the plan has no migration at or below version %" PRId64,
		                         head.version);
	if (error == 0)
		error = record_adopted(out, db, &st, head.version);
done:
	return maintenance_end(&t, &st, error);
}

/* The statement a step run statement by statement was running when it
 * stopped: took effect (the record moves past it) or did not (the next
 * run runs it again). */
static int repair_statement(history *st, ladder_db *db, const ladder_plan *plan, int64_t version, int done)
{
	long at = history_find(st, version);
	const ladder_step *step = ladder_plan_find(plan, version);
	ladder_row *row = at >= 0 ? &st->rows[at] : NULL;
	char prefix[LADDER_HASH_HEX];
	step_text text;
	step_progress moved;
	int error;

	if (row == NULL || row->progress.dir == 0)
		return ladder_error_set(LADDER_EINVALID,
		                        "migration %" PRId64 " is not recorded as part way through its statements%s", version,
		                        row == NULL ? " (it is not recorded at all)" : "");
	if (row->progress.stopped)
		return ladder_error_set(LADDER_EINVALID,
		                        "migration %" PRId64 " stopped before statement %" PRId64 ", which is known not to "
		                        "have run: there is nothing to repair; `ladder %s` runs it",
		                        version, row->progress.done + 1, row->progress.dir == LADDER_DOWN ? "down" : "up");
	if (step == NULL)
		return ladder_error_set(LADDER_EINVALID, "migration %" PRId64 " is not in the plan", version);
	memset(&text, 0, sizeof(text));
	if ((error = step_text_prepare(&text, db->conn, step, (ladder_direction)row->progress.dir, 0)) < 0)
		return error;
	if (text.stmts == NULL || (size_t)row->progress.done >= text.nstmts)
		error = ladder_error_set(LADDER_EINVALID,
		                         "migration %" PRId64 " has no statement %" PRId64 " in its %s: the record says it "
		                         "stopped after the last one; `ladder %s` finishes it",
		                         version, row->progress.done + 1, row->progress.dir == LADDER_DOWN ? "down" : "up",
		                         row->progress.dir == LADDER_DOWN ? "down" : "up");
	else if ((error = progress_prefix(prefix, &text, row->progress.done)) == 0 && strcmp(prefix, row->checksum) != 0)
		error = ladder_error_set(LADDER_ECHECKSUM,
		                         "migration %" PRId64 ": the text up to statement %" PRId64 " has changed since "
		                         "it ran; put it back as it was before repairing",
		                         version, row->progress.done);
	if (error == 0) {
		moved = row->progress;
		if (done)
			moved.done++;
		else
			moved.stopped = 1;
		if ((error = progress_prefix(prefix, &text, moved.done)) == 0)
			error = history_record_progress(st, step, &moved, prefix, row->applied_at);
	}
	step_text_clear(&text);
	return error;
}

int ladder_repair(ladder_result *out, ladder_db *db, const ladder_plan *plan, ladder_repair_action action,
                  int64_t version)
{
	history st;
	txn t;
	long at;
	size_t changed = 0;
	int error;

	memset(&st, 0, sizeof(st));
	if (out)
		memset(out, 0, sizeof(*out));
	if (db == NULL || plan == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_repair: no database or plan");
	if (db->store.kind != LADDER_STORE_HISTORY)
		return ladder_error_set(LADDER_EUNSUPPORTED,
		                        "repair needs the history store: a light store records neither checksums nor "
		                        "started steps");
	if ((error = ladder_plan_prepare(plan)) < 0)
		return error;
	if ((error = maintenance_begin(&t, db, &st)) < 0)
		goto done;

	switch (action) {
	case LADDER_REPAIR_MARK_APPLIED:
	case LADDER_REPAIR_MARK_PENDING:
		at = history_find(&st, version);
		if (at < 0 || !st.rows[at].started) {
			error = ladder_error_set(LADDER_EINVALID, "migration %" PRId64 " is not recorded as interrupted%s",
			                         version, at < 0 ? " (it is not recorded at all)" : " (it finished)");
			goto done;
		}
		if (action == LADDER_REPAIR_MARK_APPLIED) {
			const ladder_step *step = ladder_plan_find(plan, version);
			/* part way, statement by statement, the row held a prefix's digest */
			if (st.rows[at].progress.dir != 0 && step != NULL)
				error = history_set_checksum(&st, (size_t)at, step->checksum);
			history_set_started(&st, (size_t)at, 0);
		} else
			error = history_forget(&st, db, plan, version);
		changed = 1;
		break;
	case LADDER_REPAIR_CHECKSUMS:
		for (size_t i = 0; i < st.nrows; i++) {
			const ladder_step *step = ladder_plan_find(plan, st.rows[i].version);
			if (step == NULL || strcmp(st.rows[i].kind, "baseline") == 0 ||
			    strcmp(st.rows[i].checksum, step->checksum) == 0)
				continue;
			if ((error = history_set_checksum(&st, i, step->checksum)) < 0)
				break;
			changed++;
		}
		break;
	case LADDER_REPAIR_STATEMENT_DONE:
	case LADDER_REPAIR_STATEMENT_NOT_DONE:
		error = repair_statement(&st, db, plan, version, action == LADDER_REPAIR_STATEMENT_DONE);
		changed = error == 0;
		break;
	default:
		error = ladder_error_set(LADDER_EINVALID, "unknown repair action %d", (int)action);
	}
	if (error == 0 && out) {
		out->applied = changed;
		out->to_version = history_current(&st);
	}
done:
	return maintenance_end(&t, &st, error);
}
