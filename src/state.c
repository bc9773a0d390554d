/*
 * state.c — reading a database's migration state and classifying it against
 * a plan. The rules for what counts as applied, pending, edited, unknown,
 * interrupted, out of order or below the floor live here and nowhere else.
 */
#include "state.h"


#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int push(analysis *a, size_t *capacity, entry e)
{
	if (a->count == *capacity) {
		size_t grown_cap = *capacity ? *capacity * 2 : 16;
		entry *grown = ladder_realloc(a->entries, grown_cap * sizeof(*grown));
		if (grown == NULL)
			return ladder_error_set(LADDER_ENOMEM, "out of memory classifying migrations");
		a->entries = grown;
		*capacity = grown_cap;
	}
	a->entries[a->count++] = e;
	if (e.state == LADDER_STATE_PENDING || e.state == LADDER_STATE_OUT_OF_ORDER)
		a->pending++;
	if (e.state == LADDER_STATE_EDITED || e.state == LADDER_STATE_UNKNOWN ||
	    e.state == LADDER_STATE_INTERRUPTED || e.state == LADDER_STATE_OUT_OF_ORDER)
		a->problems++;
	return 0;
}

static ladder_state classify_applied(const ladder_row *row, const ladder_step *step)
{
	if (row->started)
		return LADDER_STATE_INTERRUPTED;
	if (strcmp(row->kind, "baseline") == 0)
		return LADDER_STATE_BASELINE;
	if (step == NULL)
		return LADDER_STATE_UNKNOWN;
	return strcmp(row->checksum, step->checksum) == 0 ? LADDER_STATE_APPLIED : LADDER_STATE_EDITED;
}

static int build_history(analysis *a, size_t *cap, const ladder_plan *plan, const history *st)
{
	size_t i = 0, j = 0;
	int error = 0;

	for (size_t k = 0; k < st->nrows; k++) {
		if (strcmp(st->rows[k].kind, "baseline") == 0 && st->rows[k].version > a->anchor)
			a->anchor = st->rows[k].version;
		if (st->rows[k].started)
			a->has_started = 1;
	}
	if (a->use_baseline) {
		entry e = {plan->baseline.def.version, LADDER_STATE_PENDING, &plan->baseline, NULL, 1};
		if ((error = push(a, cap, e)) < 0)
			return error;
	}
	/* Merge the sorted rows with the sorted steps. */
	while (error == 0 && (i < st->nrows || j < plan->count)) {
		const ladder_row *row = i < st->nrows ? &st->rows[i] : NULL;
		const ladder_step *step = j < plan->count ? &plan->steps[j] : NULL;
		entry e = {0, 0, NULL, NULL, 0};

		if (row && (!step || row->version <= step->def.version)) {
			int same = step && row->version == step->def.version;
			e.version = row->version;
			e.row = row;
			e.step = same ? step : NULL;
			e.state = classify_applied(row, e.step);
			if (e.state == LADDER_STATE_BASELINE) {
				/* The step the baseline stands in for is listed apart. */
				e.step = NULL;
				e.baseline = 1;
				same = 0;
			} else if (e.state == LADDER_STATE_UNKNOWN && plan->floor > 0 && row->version < plan->floor) {
				e.state = LADDER_STATE_APPLIED; /* squashed below the floor */
			}
			i++;
			if (same)
				j++;
		} else {
			e.version = step->def.version;
			e.step = step;
			if (step->def.version <= a->anchor || (a->use_baseline && step->def.version <= plan->baseline.def.version))
				e.state = LADDER_STATE_SKIPPED;
			else if (step->def.version < a->current)
				e.state = LADDER_STATE_OUT_OF_ORDER;
			else
				e.state = LADDER_STATE_PENDING;
			j++;
		}
		error = push(a, cap, e);
	}
	return error;
}

static int build_light(analysis *a, size_t *cap, const ladder_plan *plan, const history *st)
{
	int error = 0;

	if (a->use_baseline) {
		entry e = {plan->baseline.def.version, LADDER_STATE_PENDING, &plan->baseline, NULL, 1};
		if ((error = push(a, cap, e)) < 0)
			return error;
	}
	for (size_t j = 0; j < plan->count && error == 0; j++) {
		const ladder_step *step = &plan->steps[j];
		entry e = {step->def.version, LADDER_STATE_PENDING, step, NULL, 0};
		if (step->def.version <= st->light_head)
			e.state = LADDER_STATE_APPLIED;
		else if (a->use_baseline && step->def.version <= plan->baseline.def.version)
			e.state = LADDER_STATE_SKIPPED;
		error = push(a, cap, e);
	}
	if (error == 0 && st->light_head > ladder_plan_head(plan)) {
		entry e = {st->light_head, LADDER_STATE_UNKNOWN, NULL, NULL, 0};
		error = push(a, cap, e);
	}
	return error;
}

int analysis_build(analysis *a, const ladder_plan *plan, const history *st)
{
	size_t capacity = 0;
	int error;

	memset(a, 0, sizeof(*a));
	a->current = history_current(st);
	a->use_baseline = plan->has_baseline && st->empty && a->current == 0 && st->nrows == 0;
	if (plan->floor > 0 && !st->empty && a->current < plan->floor)
		a->below_floor = 1;
	error = st->light ? build_light(a, &capacity, plan, st) : build_history(a, &capacity, plan, st);
	if (error < 0)
		analysis_clear(a);
	return error;
}

void analysis_clear(analysis *a)
{
	ladder_free(a->entries);
	memset(a, 0, sizeof(*a));
}

static const char *entry_name(const entry *e)
{
	if (e->step)
		return e->step->def.name;
	if (e->row)
		return e->row->name;
	return "(recorded by the version store)";
}

int analysis_refuse_up(const analysis *a, const ladder_plan *plan, int64_t target, unsigned int flags)
{
	const entry *found;

	for (size_t i = 0; i < a->count; i++) {
		const entry *e = &a->entries[i];
		/* A dry run takes no lock: the step may be running right now, and
		 * repair advice could break a run in progress. */
		const char *judgement =
			(flags & LADDER_DRY_RUN)
				? "and is not recorded as finished: another run may be applying it now, or it was "
				  "interrupted (a dry run takes no lock, so it cannot tell); a real run waits for the lock "
				  "and then knows"
				: "but never finished (a no-transaction step was interrupted): check what it did by hand, "
				  "then repair its record, as applied if it completed or as pending to run it again";
		/* A step run statement by statement goes on where it stopped. */
		if (e->state == LADDER_STATE_INTERRUPTED && e->row->progress.dir == LADDER_UP && e->step != NULL)
			continue;
		if (e->state == LADDER_STATE_INTERRUPTED && e->row->progress.dir == LADDER_UP)
			return ladder_error_set(LADDER_EINTERRUPTED,
			                        "migration %" PRId64 " %s is part way through its up (%" PRId64 " statement%s done) "
			                        "but is no longer in the plan: run the program that ships it, or check the "
			                        "database and repair its record; nothing was changed",
			                        e->version, entry_name(e), e->row->progress.done,
			                        e->row->progress.done == 1 ? "" : "s");
		if (e->state == LADDER_STATE_INTERRUPTED && e->row->progress.dir == LADDER_DOWN)
			return ladder_error_set(LADDER_EINTERRUPTED,
			                        "migration %" PRId64 " %s is part way through its down (%" PRId64 " statement%s "
			                        "done): run `ladder down` to finish reverting it, or check the database and "
			                        "repair its record; nothing was changed",
			                        e->version, entry_name(e), e->row->progress.done,
			                        e->row->progress.done == 1 ? "" : "s");
		if (e->state == LADDER_STATE_INTERRUPTED)
			return ladder_error_set(LADDER_EINTERRUPTED, "migration %" PRId64 " %s%s%s%s was started at %s %s",
			                        e->version, entry_name(e), e->step ? " (" : "",
			                        e->step ? ladder_step_source(e->step, 0) : "", e->step ? ")" : "",
			                        e->row->applied_at, judgement);
	}
	if (a->below_floor) {
		if (a->current > 0)
			return ladder_error_set(LADDER_EBELOW_FLOOR,
			                        "the database is at version %" PRId64 ", below this plan's floor %" PRId64
			                        ": this program can no longer upgrade it (upgrade it first with an older "
			                        "release that still ships the steps in between)",
			                        a->current, plan->floor);
		return ladder_error_set(LADDER_EBELOW_FLOOR,
		                        "the database holds tables but no recorded version, and this plan's floor is %" PRId64
		                        ": it cannot tell what the database holds (if it is at a known version, adopt "
		                        "that version)",
		                        plan->floor);
	}
	for (size_t i = 0; i < a->count; i++) {
		const entry *e = &a->entries[i];
		if (e->state == LADDER_STATE_EDITED)
			return ladder_error_set(LADDER_ECHECKSUM,
			                        "migration %" PRId64 " %s (%s) was edited after it was applied: the database "
			                        "recorded checksum %.12s…, the file now gives %.12s…; revert the edit, or "
			                        "after review repair the recorded checksums",
			                        e->version, e->step->def.name, ladder_step_source(e->step, 0), e->row->checksum,
			                        e->step->checksum);
	}
	found = NULL;
	for (size_t i = 0; i < a->count && !(flags & LADDER_ALLOW_NEWER); i++)
		if (a->entries[i].state == LADDER_STATE_UNKNOWN) {
			found = &a->entries[i];
			break;
		}
	if (found != NULL) {
		int64_t head = ladder_plan_head(plan);
		if (found->version > head)
			return ladder_error_set(LADDER_ENEWER,
			                        "the database is newer than this program: it has version %" PRId64
			                        " %s applied, and this plan ends at %" PRId64
			                        "; upgrade the program (an operator who knows the newer steps are harmless "
			                        "can allow them: LADDER_ALLOW_NEWER)",
			                        found->version, entry_name(found), head);
		return ladder_error_set(LADDER_ENEWER,
		                        "applied migration %" PRId64 " %s is not in this plan (its file was removed or "
		                        "renamed, or another branch applied it); restore it, or allow it "
		                        "(LADDER_ALLOW_NEWER)",
		                        found->version, entry_name(found));
	}
	for (size_t i = 0; i < a->count && !(flags & LADDER_ALLOW_OUT_OF_ORDER); i++) {
		const entry *e = &a->entries[i];
		if (e->state == LADDER_STATE_OUT_OF_ORDER && (target == 0 || e->version <= target))
			return ladder_error_set(LADDER_EOUT_OF_ORDER,
			                        "migration %" PRId64 " %s (%s) is pending but the database is already at "
			                        "version %" PRId64 ": it was added out of order (a merged branch?); renumber "
			                        "it above %" PRId64 ", or allow it (LADDER_ALLOW_OUT_OF_ORDER)",
			                        e->version, e->step->def.name, ladder_step_source(e->step, 0), a->current,
			                        a->current);
	}
	return 0;
}
