/*
 * plan.h — the plan's private layout, shared by the run, status and
 * maintenance code: steps sorted by version, each with its checksum and the
 * chain digest the fast path compares against.
 */
#ifndef LADDER_PLAN_H
#define LADDER_PLAN_H

#include "ladder.h"
#include "digest.h"
#include "ladder/sys/driver.h"

#include <pthread.h>

typedef struct ladder_step {
	ladder_migration_def def; /* every string owned by the plan */
	char checksum[LADDER_HASH_HEX];
	char chain[LADDER_HASH_HEX]; /* step path: digest of steps up to here */
} ladder_step;

struct ladder_plan {
	ladder_step *steps; /* ascending by version */
	size_t count, capacity;
	int has_baseline;
	ladder_step baseline;
	int64_t floor;
	int ups_only; /* LADDER_LOAD_UPS_ONLY: down files listed, not read */

	/* Chains are derived once, on first use, under the mutex: a plan is
	 * usually built once and shared by every open in the process. */
	pthread_mutex_t mutex;
	int chains_ready;
	char head_chain[LADDER_HASH_HEX];          /* step path at the head */
	char baseline_head_chain[LADDER_HASH_HEX]; /* baseline path at the head */
};

/* LADDER_EINVALID if plan was loaded without its downs: `what` needs them. */
int ladder_plan_needs_downs(const ladder_plan *plan, const char *what);

/* Compute chains if not yet done. */
int ladder_plan_prepare(const ladder_plan *plan);

/* The step with this version, or NULL (binary search). */
const ladder_step *ladder_plan_find(const ladder_plan *plan, int64_t version);

/* "FILE" for messages: the source of a direction, or "V_name". */
const char *ladder_step_source(const ladder_step *step, int down);

/* The line of that source holding byte `offset` of the direction's SQL. */
int ladder_step_line(const ladder_step *step, int down, size_t offset);

#endif /* LADDER_PLAN_H */
