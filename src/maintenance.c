/*
 * maintenance.c — the explicit fixes: adopting into the history table a
 * database stamped by a light store or migrated by another tool
 * (golang-migrate, dbmate, goose, sql-migrate; their tables are read in
 * foreign.c), and repairing what validation refuses (interrupted
 * no-transaction steps, deliberately edited migrations). Each runs under
 * the same lock and in one transaction, like a migration run.
 */
#include "foreign.h"
#include "state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lock (where the engine wants it for every write), begin, read the state. */
static int maintenance_begin(ladder_db *db, db_state *st, int *locked)
{
	ladder_conn *conn = db->conn;
	int error;

	*locked = 0;
	if (conn->ops->in_transaction(conn))
		return ladder_error_set(LADDER_EINVALID, "the connection has an open transaction");
	if (conn->ops->lock_always) {
		if ((error = conn->ops->lock(conn, &db->store, db->lock_timeout_ms)) < 0)
			return error;
		*locked = 1;
	}
	if ((error = conn->ops->begin(conn, 1)) < 0)
		return error;
	return db_state_read(st, db);
}

static int maintenance_end(ladder_db *db, db_state *st, int locked, int error)
{
	ladder_conn *conn = db->conn;

	if (error == 0)
		error = conn->ops->commit(conn);
	if (conn->ops->in_transaction(conn)) {
		char message[2048];
		int code = ladder_error_last()->code;
		snprintf(message, sizeof(message), "%s", ladder_error_last()->message);
		conn->ops->rollback(conn);
		ladder_error_set(code, "%s", message);
	}
	if (locked)
		conn->ops->unlock(conn, &db->store);
	db_state_clear(st);
	return error;
}

static int append_row(db_state *st, const ladder_step *step, const char *kind, const char *now)
{
	ladder_row *grown = ladder_realloc(st->rows, (st->nrows + 1) * sizeof(*grown));
	ladder_row *row;

	if (grown == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory");
	st->rows = grown;
	row = &st->rows[st->nrows];
	memset(row, 0, sizeof(*row));
	if ((row->name = ladder_strdup(step->def.name)) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory");
	st->nrows++;
	row->version = step->def.version;
	snprintf(row->kind, sizeof(row->kind), "%s", kind);
	memcpy(row->checksum, step->checksum, sizeof(row->checksum));
	snprintf(row->applied_at, sizeof(row->applied_at), "%s", now);
	return 0;
}

static int already_recorded(const db_state *st)
{
	return ladder_error_set(LADDER_EINVALID,
	                        "the history table already records %zu migration(s) (up to version %" PRId64
	                        "): nothing to adopt",
	                        st->nrows, db_state_current(st));
}

/* Write the rows gathered in st (none stored yet) and report them. */
static int record_adopted(ladder_result *out, ladder_db *db, db_state *st, int64_t head)
{
	int error = db->conn->ops->store_prepare(db->conn, &db->store);

	if (error == 0)
		error = db_state_chain(st, 0);
	if (error == 0)
		error = db_state_write(st, db, 0);
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
	db_state st;
	size_t *steps = NULL, count = 0;
	int64_t head = 0;
	char now[32];
	int locked = 0;
	int error;

	memset(&st, 0, sizeof(st));
	if ((error = maintenance_begin(db, &st, &locked)) < 0)
		goto done;
	if (st.nrows > 0) {
		error = already_recorded(&st);
		goto done;
	}
	if ((error = foreign_applied(&steps, &count, &head, db, src, plan)) < 0)
		goto done;
	ladder_utc_now(now, sizeof(now));
	for (size_t i = 0; i < count && error == 0; i++)
		error = append_row(&st, &plan->steps[steps[i]], "adopted", now);
	if (error == 0 && st.nrows == 0 && plan->has_baseline && plan->baseline.def.version <= head)
		error = append_row(&st, &plan->baseline, "baseline", now);
	if (error == 0 && st.nrows == 0)
		error = ladder_error_set(LADDER_EPLAN, "the plan has no migration at or below %s's version %" PRId64,
		                         src->name, head);
	if (error == 0)
		error = record_adopted(out, db, &st, head);
done:
	ladder_free(steps);
	return maintenance_end(db, &st, locked, error);
}

int ladder_adopt(ladder_result *out, ladder_db *db, const ladder_plan *plan, const char *from)
{
	foreign_source tool;
	ladder_store source;
	ladder_head head;
	db_state st;
	char now[32];
	int locked = 0;
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
		                        "adopt --from '%s': expected user_version, comment:TABLE, golang-migrate, dbmate, "
		                        "goose or sql-migrate (a tool's renamed table: TOOL:TABLE)",
		                        from);
	if (source.kind == LADDER_STORE_HISTORY)
		return ladder_error_set(LADDER_EINVALID,
		                        "adopt reads a light store (user_version or comment:TABLE) or another tool's table "
		                        "(golang-migrate, dbmate, goose, sql-migrate), not '%s'",
		                        from);
	if ((error = ladder_plan_prepare(plan)) < 0)
		return error;
	if ((error = maintenance_begin(db, &st, &locked)) < 0)
		goto done;
	if ((error = db->conn->ops->store_head(db->conn, &source, &head)) < 0)
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
		error = append_row(&st, &plan->steps[i], "adopted", now);
	if (error == 0 && st.nrows == 0 && plan->has_baseline && plan->baseline.def.version <= head.version)
		error = append_row(&st, &plan->baseline, "baseline", now);
	if (error == 0 && st.nrows == 0)
		error = ladder_error_set(LADDER_EPLAN, "the plan has no migration at or below version %" PRId64,
		                         head.version);
	if (error == 0)
		error = record_adopted(out, db, &st, head.version);
done:
	return maintenance_end(db, &st, locked, error);
}

int ladder_repair(ladder_result *out, ladder_db *db, const ladder_plan *plan, ladder_repair_action action,
                  int64_t version)
{
	db_state st;
	int locked = 0;
	long at;
	size_t changed = 0, first = (size_t)-1;
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
	if ((error = maintenance_begin(db, &st, &locked)) < 0)
		goto done;

	switch (action) {
	case LADDER_REPAIR_MARK_APPLIED:
	case LADDER_REPAIR_MARK_PENDING:
		at = db_state_find(&st, version);
		if (at < 0 || !st.rows[at].started) {
			error = ladder_error_set(LADDER_EINVALID, "migration %" PRId64 " is not recorded as interrupted%s",
			                         version, at < 0 ? " (it is not recorded at all)" : " (it finished)");
			goto done;
		}
		if (action == LADDER_REPAIR_MARK_APPLIED) {
			st.rows[at].started = 0;
			error = db->conn->ops->store_put(db->conn, &db->store, &st.rows[at]);
		} else {
			db_state_remove(&st, version);
			error = db->conn->ops->store_remove(db->conn, &db->store, version, db_state_current(&st));
			if (error == 0 && (size_t)at < st.nrows)
				error = db_state_chain(&st, (size_t)at);
			if (error == 0 && (size_t)at < st.nrows)
				error = db_state_write(&st, db, (size_t)at);
		}
		changed = 1;
		break;
	case LADDER_REPAIR_CHECKSUMS:
		for (size_t i = 0; i < st.nrows; i++) {
			const ladder_step *step = ladder_plan_find(plan, st.rows[i].version);
			if (step == NULL || strcmp(st.rows[i].kind, "baseline") == 0 ||
			    strcmp(st.rows[i].checksum, step->checksum) == 0)
				continue;
			memcpy(st.rows[i].checksum, step->checksum, sizeof(st.rows[i].checksum));
			if (first == (size_t)-1)
				first = i;
			changed++;
		}
		if (first != (size_t)-1)
			error = db_state_chain(&st, first);
		if (error == 0 && first != (size_t)-1)
			error = db_state_write(&st, db, first);
		break;
	default:
		error = ladder_error_set(LADDER_EINVALID, "unknown repair action %d", (int)action);
	}
	if (error == 0 && out) {
		out->applied = changed;
		out->to_version = db_state_current(&st);
	}
done:
	return maintenance_end(db, &st, locked, error);
}
