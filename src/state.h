/*
 * state.h — what a database holds, read in one pass, and its classification
 * against a plan: which steps are applied, pending, edited, unknown or
 * interrupted. migrate, down, status and the maintenance commands all judge
 * a database through this one piece of code.
 */
#ifndef LADDER_STATE_H
#define LADDER_STATE_H

#include "db.h"
#include "plan.h"

typedef struct db_state {
	int light;          /* the store records the head only */
	ladder_row *rows;   /* history stores: ascending by version */
	size_t nrows;
	int64_t light_head; /* light stores: the recorded version */
	int empty;          /* no objects besides the store */
} db_state;

/* One store read (plus an emptiness check): the state at this instant. */
int db_state_read(db_state *st, ladder_db *db);
void db_state_clear(db_state *st);

/* Highest recorded version (0: none). */
int64_t db_state_current(const db_state *st);

/* Index of the row with this version, or -1. */
long db_state_find(const db_state *st, int64_t version);

/* Insert or replace a row (copying its name), keeping version order;
 * *at gets its index. */
int db_state_insert(db_state *st, const ladder_row *row, size_t *at);
void db_state_remove(db_state *st, int64_t version);

/* Recompute the chains of rows[from..] in memory: each row digests the one
 * below it, so a change at `from` changes every chain above it. */
int db_state_chain(db_state *st, size_t from);

/* Write rows[from..] to the store. */
int db_state_write(const db_state *st, ladder_db *db, size_t from);

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

int analysis_build(analysis *a, const ladder_plan *plan, const db_state *st);
void analysis_clear(analysis *a);

/* The first refusal for an up run to `target` under `flags`, as an error
 * (with message), or 0. */
int analysis_refuse_up(const analysis *a, const ladder_plan *plan, int64_t target, unsigned int flags);

/* "now" as "YYYY-MM-DDTHH:MM:SSZ". */
void ladder_utc_now(char *buf, size_t len);

#endif /* LADDER_STATE_H */
