/*
 * plan.c — building and inspecting a plan: the ordered migrations an
 * application ships, with an optional baseline and floor. Every string is
 * copied in, checksummed once and checked before anything can run.
 */
#include "plan.h"

#include "digest.h"
#include "sqltext.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s, int *failed)
{
	char *copy;
	if (s == NULL)
		return NULL;
	copy = ladder_strdup(s);
	if (copy == NULL)
		*failed = 1;
	return copy;
}

static void step_clear(ladder_step *step)
{
	ladder_free((char *)step->def.name);
	ladder_free((char *)step->def.up_sql);
	ladder_free((char *)step->def.down_sql);
	ladder_free((char *)step->def.checksum);
	ladder_free((char *)step->def.revision);
	ladder_free((char *)step->def.check_sql);
	ladder_free((char *)step->def.source);
	ladder_free((char *)step->def.down_source);
	memset(step, 0, sizeof(*step));
}

static int is_hex64(const char *s)
{
	size_t i;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

/* Check one side's SQL and fold its annotations into *flags. */
static int check_side(const char *source, int line, const char *sql, int baseline, unsigned int *flags)
{
	unsigned int found = 0;
	int error;

	if (sql == NULL)
		return 0;
	if ((error = ladder_text_validate(source, sql, strlen(sql))) < 0)
		return error;
	if ((error = ladder_text_annotations(source, line > 0 ? line : 1, sql, baseline, &found)) < 0)
		return error;
	*flags |= found;
	return 0;
}

/* Copy def into step, validating it. `what` is "migration" or "baseline". */
static int step_init(ladder_step *step, const ladder_migration_def *def, const char *what)
{
	char fallback[64];
	const char *source;
	const char *down_sql;
	int baseline = strcmp(what, "baseline") == 0;
	int failed = 0;
	int error = 0;

	memset(step, 0, sizeof(*step));
	if (def == NULL)
		return ladder_error_set(LADDER_EINVALID, "no %s definition given", what);
	if (def->version <= 0)
		return ladder_error_set(LADDER_EPLAN, "%s '%s': version %" PRId64 " is not a positive number", what,
		                        def->name ? def->name : "", def->version);
	if (def->name == NULL || def->name[0] == '\0')
		return ladder_error_set(LADDER_EPLAN, "%s %" PRId64 " has no name", what, def->version);
	snprintf(fallback, sizeof(fallback), "%" PRId64 "_%.40s", def->version, def->name);
	source = def->source ? def->source : fallback;
	if ((def->up_sql == NULL) == (def->up_fn == NULL))
		return ladder_error_set(LADDER_EPLAN, "%s: %s %" PRId64 " needs exactly one up: SQL text or a C callback",
		                        source, what, def->version);
	if (def->down_sql != NULL && def->down_fn != NULL)
		return ladder_error_set(LADDER_EPLAN, "%s: %s %" PRId64 " has both a down SQL text and a down callback",
		                        source, what, def->version);
	/* An empty step is a placeholder that every other tool records as
	 * applied; a baseline that creates nothing is a mistake. */
	if (baseline && def->up_sql != NULL && ladder_text_is_blank(def->up_sql))
		return ladder_error_set(LADDER_EPLAN, "%s:%d: empty baseline: it holds no SQL", source,
		                        def->up_line > 0 ? def->up_line : 1);
	if (def->checksum != NULL && !is_hex64(def->checksum))
		return ladder_error_set(LADDER_EPLAN, "%s: %s %" PRId64 ": checksum '%s' is not 64 lowercase hex digits",
		                        source, what, def->version, def->checksum);

	step->def = *def;
	down_sql = def->down_sql;
	if ((error = check_side(source, def->up_line, def->up_sql, baseline, &step->def.up_flags)) < 0)
		goto fail;
	if ((error = check_side(def->down_source ? def->down_source : source, def->down_line, def->down_sql, baseline,
	                        &step->def.down_flags)) < 0)
		goto fail;

	/* `-- ladder:irreversible` (on either side) says the down cannot run: a
	 * down that still holds SQL contradicts it, and which one is meant is
	 * the author's call, not ours. */
	if ((step->def.up_flags | step->def.down_flags) & LADDER_IRREVERSIBLE) {
		if (def->down_fn != NULL) {
			error = ladder_error_set(LADDER_EPLAN,
			                         "%s: migration %" PRId64 " is marked 'ladder:irreversible' but has a down "
			                         "callback: drop one of them",
			                         source, def->version);
			goto fail;
		}
		if (def->down_sql != NULL && !ladder_text_is_blank(def->down_sql)) {
			error = ladder_error_set(LADDER_EPLAN,
			                         "%s:%d: migration %" PRId64 " is marked 'ladder:irreversible' but its down "
			                         "holds SQL: remove the SQL or the annotation",
			                         def->down_source ? def->down_source : source,
			                         def->down_line > 0 ? def->down_line : 1, def->version);
			goto fail;
		}
		down_sql = NULL;
	}

	if (def->checksum != NULL) {
		memcpy(step->checksum, def->checksum, LADDER_HASH_HEX);
	} else if (def->up_sql != NULL) {
		error = ladder_checksum_text(step->checksum, def->up_sql, strlen(def->up_sql));
	} else {
		const char *parts[3] = {"c-callback", def->name, def->revision};
		error = ladder_checksum_parts(step->checksum, parts, 3);
	}
	if (error < 0)
		goto fail;

	/* Own every string from here on. */
	step->def.name = dup_or_null(def->name, &failed);
	step->def.up_sql = dup_or_null(def->up_sql, &failed);
	step->def.down_sql = dup_or_null(down_sql, &failed);
	step->def.checksum = dup_or_null(def->checksum, &failed);
	step->def.revision = dup_or_null(def->revision, &failed);
	step->def.check_sql = dup_or_null(def->check_sql, &failed);
	step->def.source = dup_or_null(source, &failed);
	step->def.down_source = dup_or_null(def->down_source, &failed);
	if (step->def.up_line <= 0)
		step->def.up_line = 1;
	if (step->def.down_line <= 0)
		step->def.down_line = 1;
	if (failed) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory copying migration %" PRId64, def->version);
		step_clear(step);
	}
	return error;
fail:
	memset(step, 0, sizeof(*step));
	return error;
}

int ladder_plan_new(ladder_plan **out)
{
	ladder_plan *plan;

	if (out == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_plan_new: out is NULL");
	*out = NULL;
	plan = ladder_calloc(1, sizeof(*plan));
	if (plan == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory creating a plan");
	pthread_mutex_init(&plan->mutex, NULL);
	*out = plan;
	return 0;
}

void ladder_plan_free(ladder_plan *plan)
{
	if (plan == NULL)
		return;
	for (size_t i = 0; i < plan->count; i++)
		step_clear(&plan->steps[i]);
	if (plan->has_baseline)
		step_clear(&plan->baseline);
	ladder_free(plan->steps);
	pthread_mutex_destroy(&plan->mutex);
	ladder_free(plan);
}

/* Index of the first step with version >= v. */
static size_t lower_bound(const ladder_plan *plan, int64_t v)
{
	size_t lo = 0, hi = plan->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (plan->steps[mid].def.version < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const ladder_step *ladder_plan_find(const ladder_plan *plan, int64_t version)
{
	size_t i = lower_bound(plan, version);
	return i < plan->count && plan->steps[i].def.version == version ? &plan->steps[i] : NULL;
}

int ladder_plan_add(ladder_plan *plan, const ladder_migration_def *def)
{
	ladder_step step;
	size_t at;
	int error;

	if (plan == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_plan_add: plan is NULL");
	if ((error = step_init(&step, def, "migration")) < 0)
		return error;
	at = lower_bound(plan, step.def.version);
	if (at < plan->count && plan->steps[at].def.version == step.def.version) {
		error = ladder_error_set(LADDER_EPLAN, "duplicate version %" PRId64 ": '%s' and '%s'", step.def.version,
		                         plan->steps[at].def.source, step.def.source);
		step_clear(&step);
		return error;
	}
	if (plan->count == plan->capacity) {
		size_t capacity = plan->capacity ? plan->capacity * 2 : 16;
		ladder_step *grown = ladder_realloc(plan->steps, capacity * sizeof(*grown));
		if (grown == NULL) {
			step_clear(&step);
			return ladder_error_set(LADDER_ENOMEM, "out of memory growing the plan");
		}
		plan->steps = grown;
		plan->capacity = capacity;
	}
	memmove(&plan->steps[at + 1], &plan->steps[at], (plan->count - at) * sizeof(step));
	plan->steps[at] = step;
	plan->count++;
	plan->chains_ready = 0;
	return 0;
}

int ladder_plan_set_baseline(ladder_plan *plan, const ladder_migration_def *def)
{
	ladder_step step;
	int error;

	if (plan == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_plan_set_baseline: plan is NULL");
	if ((error = step_init(&step, def, "baseline")) < 0)
		return error;
	if (plan->has_baseline)
		step_clear(&plan->baseline);
	plan->baseline = step;
	plan->has_baseline = 1;
	plan->chains_ready = 0;
	return 0;
}

int ladder_plan_set_floor(ladder_plan *plan, int64_t floor)
{
	if (plan == NULL || floor < 0)
		return ladder_error_set(LADDER_EINVALID, "ladder_plan_set_floor: the floor must be >= 0");
	plan->floor = floor;
	return 0;
}

int ladder_plan_from_def(ladder_plan **out, const ladder_plan_def *def)
{
	ladder_plan *plan = NULL;
	int error;

	if (out == NULL || def == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_plan_from_def: NULL argument");
	*out = NULL;
	if ((error = ladder_plan_new(&plan)) < 0)
		return error;
	for (size_t i = 0; i < def->count; i++)
		if ((error = ladder_plan_add(plan, &def->migrations[i])) < 0)
			goto done;
	if (def->baseline != NULL && (error = ladder_plan_set_baseline(plan, def->baseline)) < 0)
		goto done;
	if ((error = ladder_plan_set_floor(plan, def->floor)) < 0)
		goto done;
	*out = plan;
	plan = NULL;
done:
	ladder_plan_free(plan);
	return error;
}

int ladder_plan_prepare(const ladder_plan *cplan)
{
	/* The chains are a cache derived from const data; computing them lazily
	 * keeps ladder_plan_add cheap for plans built one step at a time. */
	ladder_plan *plan = (ladder_plan *)cplan;
	char chain[LADDER_HASH_HEX] = "";
	char base_chain[LADDER_HASH_HEX] = "";
	int error = 0;

	pthread_mutex_lock(&plan->mutex);
	if (plan->chains_ready)
		goto done;
	if (plan->has_baseline && (error = ladder_chain_baseline(base_chain, plan->baseline.def.version)) < 0)
		goto done;
	for (size_t i = 0; i < plan->count; i++) {
		ladder_step *step = &plan->steps[i];
		if ((error = ladder_chain_next(step->chain, chain, step->def.version, step->checksum)) < 0)
			goto done;
		memcpy(chain, step->chain, sizeof(chain));
		if (plan->has_baseline && step->def.version > plan->baseline.def.version &&
		    (error = ladder_chain_next(base_chain, base_chain, step->def.version, step->checksum)) < 0)
			goto done;
	}
	memcpy(plan->head_chain, chain, sizeof(chain));
	memcpy(plan->baseline_head_chain, base_chain, sizeof(base_chain));
	plan->chains_ready = 1;
done:
	pthread_mutex_unlock(&plan->mutex);
	return error;
}

const char *ladder_step_source(const ladder_step *step, int down)
{
	if (down && step->def.down_source != NULL)
		return step->def.down_source;
	return step->def.source;
}

int ladder_step_line(const ladder_step *step, int down, size_t offset)
{
	const char *sql = down ? step->def.down_sql : step->def.up_sql;
	return (down ? step->def.down_line : step->def.up_line) + ladder_line_of(sql, offset) - 1;
}

size_t ladder_plan_count(const ladder_plan *plan)
{
	return plan ? plan->count : 0;
}

const ladder_migration_def *ladder_plan_at(const ladder_plan *plan, size_t index)
{
	return plan && index < plan->count ? &plan->steps[index].def : NULL;
}

const ladder_migration_def *ladder_plan_get(const ladder_plan *plan, int64_t version)
{
	const ladder_step *step = plan ? ladder_plan_find(plan, version) : NULL;
	return step ? &step->def : NULL;
}

const ladder_migration_def *ladder_plan_baseline(const ladder_plan *plan)
{
	return plan && plan->has_baseline ? &plan->baseline.def : NULL;
}

int64_t ladder_plan_floor(const ladder_plan *plan)
{
	return plan ? plan->floor : 0;
}

int64_t ladder_plan_head(const ladder_plan *plan)
{
	int64_t head = 0;
	if (plan == NULL)
		return 0;
	if (plan->count > 0)
		head = plan->steps[plan->count - 1].def.version;
	if (plan->has_baseline && plan->baseline.def.version > head)
		head = plan->baseline.def.version;
	return head;
}

const char *ladder_plan_checksum(const ladder_plan *plan, size_t index)
{
	return plan && index < plan->count ? plan->steps[index].checksum : NULL;
}

const char *ladder_plan_baseline_checksum(const ladder_plan *plan)
{
	return plan && plan->has_baseline ? plan->baseline.checksum : NULL;
}

int ladder_plan_needs_downs(const ladder_plan *plan, const char *what)
{
	if (plan != NULL && plan->ups_only)
		return ladder_error_set(LADDER_EINVALID,
		                        "%s needs the plan's downs, and this plan was loaded without them "
		                        "(LADDER_LOAD_UPS_ONLY)",
		                        what);
	return 0;
}
