/*
 * status.c — ladder_status_get and ladder_history_get: the plan merged with
 * what the store records, read in one query and handed out as plain data.
 */
#include "foreign.h"
#include "progress.h"
#include "state.h"

#include "db.h"

#include "sqltext.h"

#include <stdlib.h>
#include <string.h>

const char *ladder_state_name(ladder_state state)
{
	switch (state) {
	case LADDER_STATE_PENDING: return "pending";
	case LADDER_STATE_APPLIED: return "applied";
	case LADDER_STATE_EDITED: return "edited";
	case LADDER_STATE_UNKNOWN: return "unknown";
	case LADDER_STATE_INTERRUPTED: return "interrupted";
	case LADDER_STATE_OUT_OF_ORDER: return "out-of-order";
	case LADDER_STATE_BASELINE: return "baseline";
	case LADDER_STATE_SKIPPED: return "skipped";
	}
	return "?";
}

void ladder_status_free(ladder_status *status)
{
	if (status == NULL)
		return;
	for (size_t i = 0; i < status->count; i++) {
		ladder_free((char *)status->entries[i].name);
		ladder_free((char *)status->entries[i].applied_at);
		ladder_free((char *)status->entries[i].checksum);
		ladder_free((char *)status->entries[i].kind);
		ladder_free((char *)status->entries[i].next_statement);
	}
	ladder_free((char *)status->store);
	ladder_free((char *)status->note);
	ladder_free((char *)status->adopt_from);
	ladder_free(status->entries);
	ladder_free(status);
}

static int set_string(const char **field, const char *value, int *failed)
{
	if (value == NULL) {
		*field = NULL;
		return 0;
	}
	*field = ladder_strdup(value);
	if (*field == NULL)
		*failed = 1;
	return 0;
}

static ladder_status *status_new(ladder_db *db, size_t count, int *failed)
{
	char spec[LADDER_NAME_MAX + 16];
	ladder_status *status = ladder_calloc(1, sizeof(*status));

	if (status == NULL) {
		*failed = 1;
		return NULL;
	}
	status->entries = count ? ladder_calloc(count, sizeof(*status->entries)) : NULL;
	if (count && status->entries == NULL)
		*failed = 1;
	set_string(&status->store, ladder_store_spec(&db->store, spec, sizeof(spec)), failed);
	return status;
}

static void fill_entry(ladder_status_entry *out, const entry *e, int *failed)
{
	const char *kind = e->baseline ? "baseline" : e->row ? e->row->kind : "migration";
	const char *name = e->step ? e->step->def.name : e->row ? e->row->name : "";
	const char *checksum = e->row ? e->row->checksum : e->step ? e->step->checksum : NULL;

	out->version = e->version;
	out->state = e->state;
	out->duration_ms = e->row ? e->row->duration_ms : -1;
	set_string(&out->name, name, failed);
	set_string(&out->applied_at, e->row ? e->row->applied_at : NULL, failed);
	set_string(&out->checksum, checksum, failed);
	set_string(&out->kind, kind, failed);
	/* A placeholder (an up of nothing but comments) is worth showing: it
	 * will be recorded as applied without running anything. The check stops
	 * at the first token, so it costs nothing on real steps. */
	out->empty = e->step != NULL && !e->baseline && e->step->def.up_sql != NULL &&
	             ladder_text_is_blank(e->step->def.up_sql);
	if (e->row != NULL && e->row->progress.dir != 0) {
		out->progress = (ladder_direction)e->row->progress.dir;
		out->statements_done = e->row->progress.done;
		out->next_not_run = e->row->progress.stopped;
	}
}

/* Where a step run statement by statement stands: its text read as the
 * run reads it, so that the next statement can be named. A text that
 * cannot be read leaves the count unknown. */
static int fill_progress(ladder_status_entry *out, ladder_db *db, const entry *e, int *failed)
{
	char statement[256];
	step_text text;

	if (out->progress == 0 || e->step == NULL)
		return 0;
	if (step_text_prepare(&text, db->conn, e->step, out->progress, 0) < 0) {
		ladder_error_clear();
		return 0;
	}
	if (text.stmts != NULL) {
		out->statements = (int64_t)text.nstmts;
		if ((size_t)out->statements_done < text.nstmts) {
			/* a transaction's statements roll back with the run that died */
			if (!progress_is_alone(&text, (size_t)out->statements_done))
				out->next_not_run = 1;
			progress_statement(statement, sizeof(statement), e->step, out->progress, &text,
			                   (size_t)out->statements_done);
			set_string(&out->next_statement, statement, failed);
		}
	}
	step_text_clear(&text);
	return 0;
}

int ladder_status_get(ladder_status **out, ladder_db *db, const ladder_plan *plan)
{
	history st;
	analysis a;
	ladder_status *status = NULL;
	foreign_finding found;
	int failed = 0;
	int error;

	if (out == NULL || db == NULL || plan == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_status_get: NULL argument");
	*out = NULL;
	if ((error = ladder_plan_prepare(plan)) < 0)
		return error;
	if ((error = history_read(&st, db, 1)) < 0)
		return error;
	/* Nothing recorded: is another tool's history there? */
	memset(&found, 0, sizeof(found));
	if (st.nrows == 0 && (error = foreign_detect(&found, db)) < 0)
		goto done;
	if ((error = analysis_build(&a, plan, &st)) < 0)
		goto done;
	status = status_new(db, a.count, &failed);
	if (status != NULL && !failed) {
		status->current = a.current;
		status->head = ladder_plan_head(plan);
		status->pending = a.pending;
		status->problems = a.problems;
		status->empty = st.empty;
		status->below_floor = a.below_floor;
		status->count = a.count;
		for (size_t i = 0; i < a.count; i++) {
			fill_entry(&status->entries[i], &a.entries[i], &failed);
			fill_progress(&status->entries[i], db, &a.entries[i], &failed);
		}
		set_string(&status->note, found.note[0] ? found.note : NULL, &failed);
		set_string(&status->adopt_from, found.source[0] ? found.source : NULL, &failed);
	}
	if (failed) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory building the status");
		ladder_status_free(status);
	} else {
		*out = status;
	}
	analysis_clear(&a);
done:
	history_clear(&st);
	return error;
}

int ladder_history_get(ladder_status **out, ladder_db *db)
{
	history st;
	ladder_status *status = NULL;
	size_t count;
	int failed = 0;
	int error;

	if (out == NULL || db == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_history_get: NULL argument");
	*out = NULL;
	if ((error = history_read(&st, db, 1)) < 0)
		return error;
	count = st.light ? (st.light_head > 0) : st.nrows;
	status = status_new(db, count, &failed);
	if (status != NULL && !failed) {
		status->current = history_current(&st);
		status->empty = st.empty;
		status->count = count;
		for (size_t i = 0; i < count && st.light; i++) {
			status->entries[i].version = st.light_head;
			status->entries[i].state = LADDER_STATE_APPLIED;
			status->entries[i].duration_ms = -1;
			set_string(&status->entries[i].name, "", &failed);
			set_string(&status->entries[i].kind, status->store, &failed);
		}
		for (size_t i = 0; i < count && !st.light; i++) {
			const ladder_row *row = &st.rows[i];
			entry e = {row->version, LADDER_STATE_APPLIED, NULL, row, 0};
			if (row->started)
				e.state = LADDER_STATE_INTERRUPTED;
			else if (strcmp(row->kind, "baseline") == 0)
				e.state = LADDER_STATE_BASELINE;
			fill_entry(&status->entries[i], &e, &failed);
		}
	}
	if (failed) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory reading the history");
		ladder_status_free(status);
	} else {
		*out = status;
	}
	history_clear(&st);
	return error;
}
