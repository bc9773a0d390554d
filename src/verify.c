/*
 * verify.c — ladder_dump and ladder_verify: prove on scratch databases that
 * the baseline and the steps build the same schema, that every down undoes
 * its up, and that post-conditions hold, reporting each failure as the
 * engine's message or a unified diff of schema dumps. Real sets hold many
 * broken downs, so one failure never stops the run: the scratch database
 * is rebuilt and every step is checked, or counted as skipped with why.
 */
#define _GNU_SOURCE /* asprintf, nftw */
#include "history.h"
#include "diff.h"
#include "plan.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ladder_dump(char **out, ladder_db *db)
{
	ladder_buf buf = {0};
	int error;

	if (out == NULL || db == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_dump: NULL argument");
	*out = NULL;
	if ((error = conn_describe(db->conn, &db->store, &buf)) < 0) {
		ladder_buf_free(&buf);
		return error;
	}
	if (buf.data == NULL)
		ladder_buf_puts(&buf, "");
	if (buf.failed) {
		ladder_buf_free(&buf);
		return ladder_error_set(LADDER_ENOMEM, "out of memory dumping the schema");
	}
	*out = buf.data;
	return 0;
}

/* --- scratch databases ---------------------------------------------------- */

#define MAX_SCRATCH 4

typedef struct verifier {
	const ladder_plan *plan;
	const ladder_verify_options *opts;
	ladder_db *admin;       /* PostgreSQL: where scratch databases are made */
	char *dir;              /* SQLite: the folder holding scratch files */
	char *urls[MAX_SCRATCH];
	ladder_db *dbs[MAX_SCRATCH];
	unsigned int serial;    /* SQLite: scratch file names never repeat */
	ladder_buf report;
	size_t checks, passed, warnings, failures, skipped;
} verifier;

static int scratch_open(verifier *v, const char *name, ladder_db **out)
{
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	char *url = NULL;
	int slot = 0, error;

	*out = NULL;
	while (slot < MAX_SCRATCH && v->urls[slot] != NULL)
		slot++;
	if (slot == MAX_SCRATCH)
		return ladder_error_set(LADDER_ERROR, "too many scratch databases");
	if (v->admin != NULL) {
		if ((error = conn_scratch_create(v->admin->conn, &url)) < 0)
			return error;
	} else if ((url = ladder_mprintf("%s/%s-%u.db", v->dir, name, ++v->serial)) == NULL) {
		return ladder_error_set(LADDER_ENOMEM, "out of memory");
	}
	v->urls[slot] = url;
	opts.store = v->opts->store;
	opts.schema = v->opts->schema;
	if ((error = ladder_db_open(&v->dbs[slot], url, &opts)) < 0)
		return error;
	*out = v->dbs[slot];
	return 0;
}

/* Close and remove one scratch database (slot i). */
static void scratch_drop(verifier *v, int i)
{
	ladder_db_close(v->dbs[i]);
	v->dbs[i] = NULL;
	if (v->urls[i] == NULL)
		return;
	if (v->admin != NULL)
		conn_scratch_drop(v->admin->conn, v->urls[i]);
	else
		remove(v->urls[i]);
	ladder_free(v->urls[i]);
	v->urls[i] = NULL;
}

/* A scratch database that a broken down left in an unknown state goes
 * away at once, so rebuilds never run out of slots. */
static void scratch_discard(verifier *v, ladder_db *db)
{
	for (int i = 0; i < MAX_SCRATCH; i++)
		if (db != NULL && v->dbs[i] == db)
			scratch_drop(v, i);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static void scratch_close_all(verifier *v)
{
	for (int i = 0; i < MAX_SCRATCH; i++)
		scratch_drop(v, i);
	if (v->dir != NULL) {
		nftw(v->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
		ladder_free(v->dir);
		v->dir = NULL;
	}
}

/* --- reporting ------------------------------------------------------------------ */

/* Every check ends in exactly one of these, so the lines of the report add
 * up to the counts. */
static void pass(verifier *v, const char *what)
{
	v->checks++;
	v->passed++;
	ladder_buf_printf(&v->report, "ok    %s\n", what);
}

static void skip(verifier *v, const char *what, const char *why)
{
	v->checks++;
	v->skipped++;
	ladder_buf_printf(&v->report, "skip  %s (%s)\n", what, why);
}

static void warn(verifier *v, const char *what, const char *why)
{
	v->checks++;
	v->warnings++;
	ladder_buf_printf(&v->report, "warn  %s: %s\n", what, why);
}

static void fail(verifier *v, const char *what, const char *why)
{
	v->checks++;
	v->failures++;
	ladder_buf_printf(&v->report, "FAIL  %s\n", what);
	if (why != NULL)
		ladder_buf_printf(&v->report, "      %s\n", why);
}

typedef enum { SAME, COLUMN_ORDER, DIFFERENT } outcome;

/* Compare two dumps: pass; warn (or fail when strict) when only the order
 * of some table's columns differs, naming the tables; otherwise fail with a
 * unified diff. *result says which, for the caller's next move. */
static int compare(verifier *v, outcome *result, const char *what, const char *label_a, const char *a,
                   const char *label_b, const char *b)
{
	char *sorted_a = NULL, *sorted_b = NULL;
	int error = 0;

	*result = SAME;
	if (strcmp(a, b) == 0) {
		pass(v, what);
		return 0;
	}
	if ((error = ladder_dump_sort_columns(&sorted_a, a)) < 0 || (error = ladder_dump_sort_columns(&sorted_b, b)) < 0)
		goto done;
	if (strcmp(sorted_a, sorted_b) == 0) {
		*result = COLUMN_ORDER;
		if (v->opts->flags & LADDER_VERIFY_STRICT)
			fail(v, what, "column order differs (strict)");
		else
			warn(v, what, "column order differs");
		error = ladder_column_order(&v->report, "      ", a, b);
		goto done;
	}
	*result = DIFFERENT;
	fail(v, what, NULL);
	error = ladder_diff(&v->report, label_a, a, label_b, b);
done:
	ladder_free(sorted_a);
	ladder_free(sorted_b);
	return error;
}

/* A failed run inside verification is a failed check, not an abort; but
 * running out of memory is no fault of the step: verification stops with
 * that error (returned) rather than blame it. */
static int failed_run(verifier *v, const char *what, int error)
{
	if (error == LADDER_ENOMEM)
		return error;
	fail(v, what, ladder_error_last()->message);
	return 0;
}

static int migrate_to(ladder_db *db, const ladder_plan *plan, int64_t target, unsigned int flags)
{
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	opts.target = target;
	opts.flags = flags;
	return ladder_migrate(NULL, db, plan, &opts);
}

static int seed(verifier *v, ladder_db *db)
{
	size_t offset = (size_t)-1;
	int error;

	if (v->opts->seed_sql == NULL)
		return 0;
	error = conn_exec(db->conn, v->opts->seed_sql, strlen(v->opts->seed_sql), 0, &offset);
	/* ladder_error_set formats before it stores: the last message can be
	 * an argument. */
	if (error < 0)
		return ladder_error_set(LADDER_EINVALID, "%s:%d: %s (the seed SQL)",
		                        v->opts->seed_source ? v->opts->seed_source : "seed",
		                        offset == (size_t)-1 ? 1 : ladder_line_of(v->opts->seed_sql, offset),
		                        ladder_error_last()->message);
	return 0;
}

/* --- the checks -------------------------------------------------------------------- */

static int check_baseline(verifier *v)
{
	const ladder_plan *plan = v->plan;
	int64_t b = plan->baseline.def.version;
	int64_t head = ladder_plan_head(plan);
	ladder_db *base = NULL, *steps = NULL;
	char *base_dump = NULL, *steps_dump = NULL;
	char what[256], at_head[256];
	outcome result;
	int error = 0;

	if (!plan->has_baseline)
		return 0;
	snprintf(at_head, sizeof(at_head), "baseline path equals step path at the head %" PRId64, head);
	if (plan->count == 0 || plan->steps[0].def.version > b) {
		snprintf(what, sizeof(what), "baseline at %" PRId64 " equals the steps up to it", b);
		skip(v, what, "the plan holds no steps up to it");
		return 0;
	}
	if ((error = scratch_open(v, "baseline", &base)) < 0 || (error = scratch_open(v, "steps", &steps)) < 0 ||
	    (error = seed(v, steps)) < 0)
		goto done;
	snprintf(what, sizeof(what), "baseline at %" PRId64 " equals the steps up to %" PRId64, b, b);
	if ((error = migrate_to(base, plan, b, 0)) < 0 || (error = migrate_to(steps, plan, b, LADDER_STEPS_ONLY)) < 0) {
		if ((error = failed_run(v, what, error)) < 0)
			goto done;
		if (head > b)
			skip(v, at_head, "the paths to the baseline did not both run");
		goto done;
	}
	if ((error = ladder_dump(&base_dump, base)) < 0 || (error = ladder_dump(&steps_dump, steps)) < 0)
		goto done;
	if ((error = compare(v, &result, what, "baseline", base_dump, "steps", steps_dump)) < 0)
		goto done;
	if (head > b) {
		ladder_free(base_dump);
		ladder_free(steps_dump);
		base_dump = steps_dump = NULL;
		if ((error = migrate_to(base, plan, 0, 0)) < 0 || (error = migrate_to(steps, plan, 0, 0)) < 0) {
			error = failed_run(v, at_head, error);
			goto done;
		}
		if ((error = ladder_dump(&base_dump, base)) < 0 || (error = ladder_dump(&steps_dump, steps)) < 0)
			goto done;
		error = compare(v, &result, at_head, "baseline path", base_dump, "step path", steps_dump);
	}
done:
	/* The step checks need the slots; these two are done with. */
	scratch_discard(v, base);
	scratch_discard(v, steps);
	ladder_free(base_dump);
	ladder_free(steps_dump);
	return error;
}

/* The version a scratch database stands at (0 if unreadable). */
static int64_t db_head(ladder_db *db)
{
	ladder_head head;
	if (history_head(db, &db->store, &head) < 0)
		return 0;
	return head.version;
}

static int has_down(const ladder_step *step)
{
	return step->def.down_sql != NULL || step->def.down_fn != NULL;
}

/* Why a step without a down has none, for its skip line. */
static const char *no_down_reason(const ladder_step *step)
{
	return ((step->def.up_flags | step->def.down_flags) & LADDER_IRREVERSIBLE) ? "it is marked irreversible"
	                                                                            : "it has no down";
}

/* Count every check of a step that cannot run, with the reason. */
static void skip_step(verifier *v, const ladder_step *step, const char *why)
{
	char what[512];
	int64_t version = step->def.version;

	snprintf(what, sizeof(what), "%" PRId64 " %s: up%s", version, step->def.name,
	         step->def.check_sql ? " and its post-condition" : "");
	skip(v, what, why);
	if (!has_down(step)) {
		snprintf(what, sizeof(what), "%" PRId64 " %s: reversible", version, step->def.name);
		skip(v, what, no_down_reason(step));
		return;
	}
	snprintf(what, sizeof(what), "%" PRId64 " %s: down restores the schema before its up", version, step->def.name);
	skip(v, what, why);
	snprintf(what, sizeof(what), "%" PRId64 " %s: up again gives the same schema", version, step->def.name);
	skip(v, what, why);
}

/* Whether the plan's first steps stand on the baseline: without a seed,
 * steps above the baseline (the older ones squashed into it) do. */
static int starts_on_baseline(const verifier *v)
{
	const ladder_plan *plan = v->plan;
	return v->opts->seed_sql == NULL && plan->has_baseline &&
	       (plan->count == 0 || plan->steps[0].def.version > plan->baseline.def.version);
}

/* A fresh scratch database at version (0: the start), as the step path
 * builds it: seed or baseline, then every step. Used after a down broke the
 * previous one. Returns 1 with *why set when a run failed. */
static int rebuild(verifier *v, ladder_db **db, int64_t version, char *why, size_t size)
{
	int error;

	scratch_discard(v, *db);
	*db = NULL;
	if ((error = scratch_open(v, "reversible", db)) < 0 || (error = seed(v, *db)) < 0)
		return error;
	if ((starts_on_baseline(v) && (error = migrate_to(*db, v->plan, v->plan->baseline.def.version, 0)) < 0) ||
	    (error = migrate_to(*db, v->plan, version, LADDER_STEPS_ONLY)) < 0) {
		if (error == LADDER_ENOMEM)
			return error;
		snprintf(why, size, "the scratch database could not be rebuilt at %" PRId64 ": %s", version,
		         ladder_error_last()->message);
		return 1;
	}
	return 0;
}

/* After a down that failed, the database is reusable only if the down's
 * transaction rolled back to exactly what the up had left. */
static int untouched(ladder_db *db, const ladder_step *step, const char *after)
{
	char *now = NULL;
	int same;

	if (step->def.down_flags & LADDER_NO_TRANSACTION)
		return 0;
	if (db_head(db) != step->def.version || ladder_dump(&now, db) < 0)
		return 0;
	same = strcmp(now, after) == 0;
	ladder_free(now);
	return same;
}

/* Check one step on db, which stands just before it with schema *before.
 * On return db stands at the step (rebuilt if its down broke it) and
 * *before is replaced by its schema there; *blocked says why the next steps
 * cannot run. */
static int check_step(verifier *v, ladder_db **db, const ladder_step *step, char **before, char *blocked,
                      size_t blocked_size)
{
	const ladder_plan *plan = v->plan;
	int64_t version = step->def.version;
	ladder_run_options down = LADDER_RUN_OPTIONS_INIT;
	char *after = NULL, *again = NULL, *current = NULL;
	char what[512], label_a[128], label_b[128];
	outcome result;
	int broken = 0, error = 0;

	snprintf(what, sizeof(what), "%" PRId64 " %s: up%s", version, step->def.name,
	         step->def.check_sql ? " and its post-condition" : "");
	if ((error = migrate_to(*db, plan, version, LADDER_STEPS_ONLY)) < 0) {
		if ((error = failed_run(v, what, error)) < 0)
			return error;
		snprintf(blocked, blocked_size, "not run: the up of %" PRId64 " %s failed", version, step->def.name);
		if (has_down(step)) {
			snprintf(what, sizeof(what), "%" PRId64 " %s: down restores the schema before its up", version,
			         step->def.name);
			skip(v, what, "not run: its up failed");
			snprintf(what, sizeof(what), "%" PRId64 " %s: up again gives the same schema", version, step->def.name);
			skip(v, what, "not run: its up failed");
		} else {
			snprintf(what, sizeof(what), "%" PRId64 " %s: reversible", version, step->def.name);
			skip(v, what, no_down_reason(step));
		}
		return 0;
	}
	pass(v, what);
	if ((error = ladder_dump(&after, *db)) < 0)
		goto done;
	if (!has_down(step)) {
		snprintf(what, sizeof(what), "%" PRId64 " %s: reversible", version, step->def.name);
		skip(v, what, no_down_reason(step));
		current = after;
		after = NULL;
		goto done;
	}

	snprintf(what, sizeof(what), "%" PRId64 " %s: down restores the schema before its up", version, step->def.name);
	down.target = -1;
	down.steps = 1;
	if ((error = ladder_down(NULL, *db, plan, &down)) < 0) {
		if ((error = failed_run(v, what, error)) < 0)
			goto done;
		broken = !untouched(*db, step, after);
		snprintf(what, sizeof(what), "%" PRId64 " %s: up again gives the same schema", version, step->def.name);
		skip(v, what, "not run: its down failed");
		goto settle;
	}
	if ((error = ladder_dump(&again, *db)) < 0)
		goto done;
	snprintf(label_a, sizeof(label_a), "before %" PRId64 " up", version);
	snprintf(label_b, sizeof(label_b), "after %" PRId64 " down", version);
	if ((error = compare(v, &result, what, label_a, *before, label_b, again)) < 0)
		goto done;
	ladder_free(again);
	again = NULL;
	if (result == DIFFERENT) {
		/* Up again would stumble on what the down left behind and
		 * blame the same step twice. */
		broken = 1;
		snprintf(what, sizeof(what), "%" PRId64 " %s: up again gives the same schema", version, step->def.name);
		skip(v, what, "not run: its down did not restore the schema");
		goto settle;
	}

	snprintf(what, sizeof(what), "%" PRId64 " %s: up again gives the same schema", version, step->def.name);
	if ((error = migrate_to(*db, plan, version, LADDER_STEPS_ONLY)) < 0) {
		if ((error = failed_run(v, what, error)) < 0)
			goto done;
		broken = 1;
		goto settle;
	}
	if ((error = ladder_dump(&again, *db)) < 0)
		goto done;
	snprintf(label_a, sizeof(label_a), "after %" PRId64 " up", version);
	snprintf(label_b, sizeof(label_b), "after %" PRId64 " down and up", version);
	if ((error = compare(v, &result, what, label_a, after, label_b, again)) < 0)
		goto done;
	/* The next step's down must restore what this step really left,
	 * so that a difference here is never blamed on the next one. */
	current = again;
	again = NULL;

settle:
	if (broken) {
		int rc = rebuild(v, db, version, blocked, blocked_size);
		if (rc < 0) {
			error = rc;
			goto done;
		}
		if (rc > 0)
			goto done;
		if ((error = ladder_dump(&current, *db)) < 0)
			goto done;
	} else if (current == NULL) {
		current = after;
		after = NULL;
	}
done:
	if (current != NULL) {
		ladder_free(*before);
		*before = current;
	}
	ladder_free(after);
	ladder_free(again);
	return error;
}

static int check_steps(verifier *v)
{
	const ladder_plan *plan = v->plan;
	ladder_db *db = NULL;
	char *before = NULL;
	char what[512], blocked[2048] = "";
	size_t first = 0;
	int error;

	if ((error = scratch_open(v, "reversible", &db)) < 0 || (error = seed(v, db)) < 0)
		return error;
	if (starts_on_baseline(v)) {
		snprintf(what, sizeof(what), "baseline at %" PRId64 " applies", plan->baseline.def.version);
		if ((error = migrate_to(db, plan, plan->baseline.def.version, 0)) < 0) {
			if ((error = failed_run(v, what, error)) < 0)
				goto done;
			snprintf(blocked, sizeof(blocked), "not run: the baseline does not apply");
		} else {
			pass(v, what);
		}
	}
	/* A seed may stand at a version already (a legacy file stamped by
	 * user_version): the steps up to it never run here, and say so. */
	while (first < plan->count && plan->steps[first].def.version <= db_head(db)) {
		char why[128];
		snprintf(why, sizeof(why), "not run: the starting point already stands at version %" PRId64, db_head(db));
		skip_step(v, &plan->steps[first], why);
		first++;
	}
	if (blocked[0] == '\0' && (error = ladder_dump(&before, db)) < 0)
		goto done;
	for (size_t i = first; i < plan->count; i++) {
		if (blocked[0] != '\0')
			skip_step(v, &plan->steps[i], blocked);
		else if ((error = check_step(v, &db, &plan->steps[i], &before, blocked, sizeof(blocked))) < 0)
			goto done;
	}
done:
	ladder_free(before);
	return error;
}

void ladder_verify_report_free(ladder_verify_report *report)
{
	if (report == NULL)
		return;
	ladder_free(report->text);
	ladder_free(report);
}

int ladder_verify(ladder_verify_report **out, const char *url, const ladder_plan *plan,
                  const ladder_verify_options *opts)
{
	static const ladder_verify_options defaults = LADDER_VERIFY_OPTIONS_INIT;
	verifier v;
	ladder_verify_report *report = NULL;
	int error = 0;

	memset(&v, 0, sizeof(v));
	if (out == NULL || plan == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_verify: NULL argument");
	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if (opts->version != LADDER_VERIFY_OPTIONS_VERSION)
		return ladder_error_set(LADDER_EINVALID, "ladder_verify_options: unknown version %u", opts->version);
	if ((error = ladder_plan_needs_downs(plan, "ladder_verify")) < 0)
		return error;
	v.plan = plan;
	v.opts = opts;
	if ((error = ladder_plan_prepare(plan)) < 0)
		return error;

	/* A server engine makes scratch databases beside the one named; an
	 * engine of files gets scratch files in a folder of their own. */
	if (url != NULL && !ladder_url_is_path(url)) {
		ladder_open_options admin_opts = LADDER_OPEN_OPTIONS_INIT;
		admin_opts.flags = LADDER_OPEN_EXISTING;
		if ((error = ladder_db_open(&v.admin, url, &admin_opts)) < 0)
			goto done;
		if (!conn_makes_scratch(v.admin->conn)) {
			error = conn_lacks(v.admin->conn, "make scratch databases");
			goto done;
		}
	} else {
		const char *tmp = getenv("TMPDIR");
		if ((v.dir = ladder_mprintf("%s/ladder-verify-XXXXXX", tmp && tmp[0] ? tmp : "/tmp")) == NULL) {
			error = ladder_error_set(LADDER_ENOMEM, "out of memory");
			goto done;
		}
		if (mkdtemp(v.dir) == NULL) {
			error = ladder_error_set(LADDER_EIO, "cannot create a scratch folder '%s'", v.dir);
			ladder_free(v.dir);
			v.dir = NULL;
			goto done;
		}
	}

	if ((error = check_baseline(&v)) < 0 || (error = check_steps(&v)) < 0)
		goto done;
	if (v.report.failed) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory writing the report");
		goto done;
	}
	if ((report = ladder_calloc(1, sizeof(*report))) == NULL ||
	    (report->text = v.report.data ? v.report.data : ladder_strdup("")) == NULL) {
		ladder_free(report);
		error = ladder_error_set(LADDER_ENOMEM, "out of memory");
		goto done;
	}
	report->checks = v.checks;
	report->passed = v.passed;
	report->warnings = v.warnings;
	report->failures = v.failures;
	report->skipped = v.skipped;
	v.report.data = NULL;
	*out = report;
	if (v.failures > 0)
		error = ladder_error_set(LADDER_ECHECK, "%zu of %zu verification check(s) failed", v.failures, v.checks);
done:
	scratch_close_all(&v);
	ladder_db_close(v.admin);
	ladder_buf_free(&v.report);
	return error;
}
