/*
 * state.h — a database's history classified against a plan: which steps are applied, pending, edited, unknown or
 * interrupted. migrate, down, status and the maintenance commands all judge
 * a database through this one piece of code.
 */
#ifndef LADDER_STATE_H
#define LADDER_STATE_H

#include "history.h"

typedef struct entry {
	int64_t version;
	ladder_state state;
	const ladder_step *step; /* the plan's step, or NULL */
	const ladder_row *row;   /* the stored row, or NULL */
	int baseline;            /* this entry is the baseline (stored or to run) */
} entry;

typedef struct analysis {
	entry *entries; /* ascending by version; a baseline comes before its step */
	size_t count;
	int64_t current;
	int64_t anchor;     /* version of the baseline row the database came from */
	int use_baseline;   /* empty database and a baseline: run it first */
	int below_floor;
	int has_started;    /* a row is marked started */
	size_t pending;
	size_t problems;
} analysis;

int analysis_build(analysis *a, const ladder_plan *plan, const history *st);
void analysis_clear(analysis *a);

/* The first refusal for an up run to `target` under `flags`, as an error
 * (with message), or 0. */
int analysis_refuse_up(const analysis *a, const ladder_plan *plan, int64_t target, unsigned int flags);

#endif /* LADDER_STATE_H */
