/*
 * verify.c — ladder_dump and ladder_verify: prove on scratch databases that
 * the baseline and the steps build the same schema, that every down undoes
 * its up, and that post-conditions hold, reporting each failure as a
 * unified diff of schema dumps.
 */
#define _GNU_SOURCE /* asprintf, nftw */
#include "db.h"
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
	if (db->conn->ops->describe == NULL)
		return ladder_error_set(LADDER_EUNSUPPORTED, "the %s driver cannot describe a schema", db->conn->ops->engine);
	if ((error = db->conn->ops->describe(db->conn, &db->store, &buf)) < 0) {
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

void ladder_free(void *pointer)
{
	free(pointer);
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
	int count;
	ladder_buf report;
	size_t checks, failures, skipped;
} verifier;

static int scratch_open(verifier *v, const char *name, ladder_db **out)
{
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	char *url = NULL;
	int error;

	*out = NULL;
	if (v->count == MAX_SCRATCH)
		return ladder_error_set(LADDER_ERROR, "too many scratch databases");
	if (v->admin != NULL) {
		if ((error = v->admin->conn->ops->scratch_create(v->admin->conn, &url)) < 0)
			return error;
	} else if (asprintf(&url, "sqlite:%s/%s.db", v->dir, name) < 0) {
		return ladder_error_set(LADDER_ENOMEM, "out of memory");
	}
	v->urls[v->count] = url;
	opts.store = v->opts->store;
	opts.schema = v->opts->schema;
	if ((error = ladder_db_open(&v->dbs[v->count], url, &opts)) < 0) {
		v->count++;
		return error;
	}
	*out = v->dbs[v->count++];
	return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static void scratch_close_all(verifier *v)
{
	for (int i = 0; i < v->count; i++) {
		ladder_db_close(v->dbs[i]);
		if (v->admin != NULL && v->urls[i] != NULL)
			v->admin->conn->ops->scratch_drop(v->admin->conn, v->urls[i]);
		free(v->urls[i]);
	}
	v->count = 0;
	if (v->dir != NULL) {
		nftw(v->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
		free(v->dir);
		v->dir = NULL;
	}
}

/* --- reporting ------------------------------------------------------------------ */

static void pass(verifier *v, const char *what)
{
	v->checks++;
	ladder_buf_printf(&v->report, "ok    %s\n", what);
}

static void skip(verifier *v, const char *what)
{
	v->skipped++;
	ladder_buf_printf(&v->report, "skip  %s\n", what);
}

static void fail(verifier *v, const char *what, const char *why)
{
	v->checks++;
	v->failures++;
	ladder_buf_printf(&v->report, "FAIL  %s\n", what);
	if (why != NULL)
		ladder_buf_printf(&v->report, "      %s\n", why);
}

/* Compare two dumps: pass, or fail with a unified diff. */
static int compare(verifier *v, const char *what, const char *label_a, const char *a, const char *label_b,
                   const char *b)
{
	if (strcmp(a, b) == 0) {
		pass(v, what);
		return 0;
	}
	fail(v, what, NULL);
	return ladder_diff(&v->report, label_a, a, label_b, b);
}

/* A failed run inside verification is a failed check, not an abort. */
static void failed_run(verifier *v, const char *what)
{
	fail(v, what, ladder_error_last()->message);
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
	error = db->conn->ops->exec(db->conn, v->opts->seed_sql, strlen(v->opts->seed_sql), 0, &offset);
	if (error < 0) {
		char message[1024];
		snprintf(message, sizeof(message), "%s", ladder_error_last()->message);
		return ladder_error_set(LADDER_EINVALID, "%s:%d: %s (the seed SQL)",
		                        v->opts->seed_source ? v->opts->seed_source : "seed",
		                        offset == (size_t)-1 ? 1 : ladder_line_of(v->opts->seed_sql, offset), message);
	}
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
	char what[256];
	int error = 0;

	if (!plan->has_baseline)
		return 0;
	if (plan->count == 0 || plan->steps[0].def.version > b) {
		snprintf(what, sizeof(what), "baseline at %" PRId64 " equals the steps up to it: the plan holds no steps up to it",
		         b);
		skip(v, what);
		return 0;
	}
	if ((error = scratch_open(v, "baseline", &base)) < 0 || (error = scratch_open(v, "steps", &steps)) < 0 ||
	    (error = seed(v, steps)) < 0)
		return error;
	snprintf(what, sizeof(what), "baseline at %" PRId64 " equals the steps up to %" PRId64, b, b);
	if (migrate_to(base, plan, b, 0) < 0 || migrate_to(steps, plan, b, LADDER_STEPS_ONLY) < 0) {
		failed_run(v, what);
		return 0;
	}
	if ((error = ladder_dump(&base_dump, base)) < 0 || (error = ladder_dump(&steps_dump, steps)) < 0)
		goto done;
	if ((error = compare(v, what, "baseline", base_dump, "steps", steps_dump)) < 0)
		goto done;
	if (head > b) {
		free(base_dump);
		free(steps_dump);
		base_dump = steps_dump = NULL;
		snprintf(what, sizeof(what), "baseline path equals step path at the head %" PRId64, head);
		if (migrate_to(base, plan, 0, 0) < 0 || migrate_to(steps, plan, 0, 0) < 0) {
			failed_run(v, what);
			goto done;
		}
		if ((error = ladder_dump(&base_dump, base)) < 0 || (error = ladder_dump(&steps_dump, steps)) < 0)
			goto done;
		error = compare(v, what, "baseline path", base_dump, "step path", steps_dump);
	}
done:
	free(base_dump);
	free(steps_dump);
	return error;
}

/* The version a scratch database stands at (0 if unreadable). */
static int64_t db_head(ladder_db *db)
{
	ladder_head head;
	if (db->conn->ops->store_head(db->conn, &db->store, &head) < 0)
		return 0;
	return head.version;
}

static int check_steps(verifier *v)
{
	const ladder_plan *plan = v->plan;
	ladder_db *db = NULL;
	char *before = NULL, *after = NULL, *again = NULL;
	char what[512], label_a[128], label_b[128];
	int error;

	size_t first = 0;

	if ((error = scratch_open(v, "reversible", &db)) < 0 || (error = seed(v, db)) < 0)
		return error;
	/* Without a seed, steps that start above the baseline (the older ones
	 * were squashed into it) stand on the baseline's schema. */
	if (v->opts->seed_sql == NULL && plan->has_baseline && (plan->count == 0 || plan->steps[0].def.version > plan->baseline.def.version)) {
		snprintf(what, sizeof(what), "baseline at %" PRId64 " applies", plan->baseline.def.version);
		if (migrate_to(db, plan, plan->baseline.def.version, 0) < 0) {
			failed_run(v, what);
			return 0;
		}
		pass(v, what);
	}
	while (first < plan->count && plan->steps[first].def.version <= db_head(db))
		first++;
	if ((error = ladder_dump(&before, db)) < 0)
		return error;
	for (size_t i = first; i < plan->count; i++) {
		const ladder_step *step = &plan->steps[i];
		int64_t version = step->def.version;
		ladder_run_options down = LADDER_RUN_OPTIONS_INIT;

		snprintf(what, sizeof(what), "%" PRId64 " %s: up%s", version, step->def.name,
		         step->def.check_sql ? " and its post-condition" : "");
		if (migrate_to(db, plan, version, LADDER_STEPS_ONLY) < 0) {
			failed_run(v, what);
			break; /* later steps stand on this one */
		}
		pass(v, what);
		if ((error = ladder_dump(&after, db)) < 0)
			break;
		if (step->def.down_sql == NULL && step->def.down_fn == NULL) {
			snprintf(what, sizeof(what), "%" PRId64 " %s: reversible (it has no down)", version, step->def.name);
			skip(v, what);
		} else {
			snprintf(what, sizeof(what), "%" PRId64 " %s: down restores the schema before its up", version,
			         step->def.name);
			down.target = -1;
			down.steps = 1;
			if (ladder_down(NULL, db, plan, &down) < 0) {
				failed_run(v, what);
				break;
			}
			if ((error = ladder_dump(&again, db)) < 0)
				break;
			snprintf(label_a, sizeof(label_a), "before %" PRId64 " up", version);
			snprintf(label_b, sizeof(label_b), "after %" PRId64 " down", version);
			if ((error = compare(v, what, label_a, before, label_b, again)) < 0)
				break;
			free(again);
			again = NULL;
			snprintf(what, sizeof(what), "%" PRId64 " %s: up again gives the same schema", version, step->def.name);
			if (migrate_to(db, plan, version, LADDER_STEPS_ONLY) < 0) {
				failed_run(v, what);
				break;
			}
			if ((error = ladder_dump(&again, db)) < 0)
				break;
			snprintf(label_a, sizeof(label_a), "after %" PRId64 " up", version);
			snprintf(label_b, sizeof(label_b), "after %" PRId64 " down and up", version);
			if ((error = compare(v, what, label_a, after, label_b, again)) < 0)
				break;
			free(again);
			again = NULL;
		}
		free(before);
		before = after;
		after = NULL;
	}
	free(before);
	free(after);
	free(again);
	return error;
}

void ladder_verify_report_free(ladder_verify_report *report)
{
	if (report == NULL)
		return;
	free(report->text);
	free(report);
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
	v.plan = plan;
	v.opts = opts;
	if ((error = ladder_plan_prepare(plan)) < 0)
		return error;

	if (url != NULL && strncmp(url, "sqlite", 6) != 0) {
		ladder_open_options admin_opts = LADDER_OPEN_OPTIONS_INIT;
		admin_opts.flags = LADDER_OPEN_EXISTING;
		if ((error = ladder_db_open(&v.admin, url, &admin_opts)) < 0)
			goto done;
		if (v.admin->conn->ops->scratch_create == NULL) {
			error = ladder_error_set(LADDER_EUNSUPPORTED, "the %s driver cannot make scratch databases",
			                         v.admin->conn->ops->engine);
			goto done;
		}
	} else {
		const char *tmp = getenv("TMPDIR");
		if (asprintf(&v.dir, "%s/ladder-verify-XXXXXX", tmp && tmp[0] ? tmp : "/tmp") < 0) {
			v.dir = NULL;
			error = ladder_error_set(LADDER_ENOMEM, "out of memory");
			goto done;
		}
		if (mkdtemp(v.dir) == NULL) {
			error = ladder_error_set(LADDER_EIO, "cannot create a scratch folder '%s'", v.dir);
			free(v.dir);
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
	if ((report = calloc(1, sizeof(*report))) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory");
		goto done;
	}
	report->checks = v.checks;
	report->failures = v.failures;
	report->skipped = v.skipped;
	report->text = v.report.data ? v.report.data : strdup("");
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
