/*
 * fleet.c — up, down and status over a fleet (--glob, --targets,
 * --schemas, --schemas-from): the fleet built and run through the
 * library's ladder_fleet_run, a live progress line on a terminal, one JSON
 * line per target with --json, and a summary that groups the targets by
 * the version they ended at and lists every failure with its own message.
 */
#include "cli.h"
#include "output.h"

#include <ladder.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Failures listed by name in the text summary; --json lists every one. */
#define FAILURES_LISTED 50

typedef enum {
	FATE_OK = 0,  /* up/down ran; status: current */
	FATE_BEHIND,  /* status: pending steps */
	FATE_NEWER,   /* status: versions the plan lacks */
	FATE_PROBLEMS,
	FATE_FAILED,
	FATE_SKIPPED,
} target_fate;

typedef struct record {
	int done;
	target_fate fate;
	int64_t version; /* -1: unknown */
	char *name;      /* the schema, or the target's masked URL */
	char *message;   /* failed: the target's own error */
} record;

typedef struct fleet_cli {
	const cli_options *o;
	ladder_fleet_command command;
	int64_t head;
	int json, live;
	record *records;
	size_t count, done, failed;
	char *database; /* schema fleets: the database's masked URL */
	struct timespec start, drawn_at;
} fleet_cli;

static double since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static const char *command_name(ladder_fleet_command c)
{
	return c == LADDER_FLEET_STATUS ? "status" : c == LADDER_FLEET_DOWN ? "down" : "up";
}

static target_fate fate_of(const fleet_cli *f, const ladder_fleet_outcome *r)
{
	if (r->skipped)
		return FATE_SKIPPED;
	if (r->error < 0)
		return FATE_FAILED;
	if (f->command != LADDER_FLEET_STATUS)
		return FATE_OK;
	if (r->newer)
		return FATE_NEWER;
	if (r->problems > 0)
		return FATE_PROBLEMS;
	return r->pending > 0 ? FATE_BEHIND : FATE_OK;
}

static const char *state_name(target_fate fate)
{
	switch (fate) {
	case FATE_BEHIND: return "behind";
	case FATE_NEWER: return "ahead";
	case FATE_PROBLEMS: return "problems";
	case FATE_FAILED:
	case FATE_SKIPPED: return "failed";
	case FATE_OK:
	default: return "current";
	}
}

static void json_version(const char *key, int64_t v)
{
	if (v < 0)
		printf(",\"%s\":null", key);
	else
		printf(",\"%s\":%" PRId64, key, v);
}

static void print_json(const fleet_cli *f, const ladder_fleet_outcome *r, target_fate fate)
{
	fputs("{\"target\":", stdout);
	out_json_string(stdout, r->target);
	fputs(",\"schema\":", stdout);
	out_json_string(stdout, r->schema);
	printf(",\"ok\":%s", r->error < 0 ? "false" : "true");
	if (r->skipped)
		fputs(",\"skipped\":true", stdout);
	if (f->command == LADDER_FLEET_STATUS) {
		json_version("current", r->current);
		printf(",\"head\":%" PRId64 ",\"pending\":%zu,\"problems\":%zu,\"state\":", r->head, r->pending,
		       r->problems);
		out_json_string(stdout, state_name(fate));
	} else {
		json_version("from", r->from_version);
		json_version("to", r->to_version);
		printf(",\"applied\":%zu,\"fast_path\":%s", r->applied, r->fast_path ? "true" : "false");
	}
	printf(",\"duration_ms\":%.0f,\"error\":", r->seconds * 1000);
	out_json_string(stdout, r->error < 0 ? r->message : NULL);
	fputs("}\n", stdout);
}

/* The live line: redrawn at most ten times a second. */
static void draw(fleet_cli *f, int force)
{
	double elapsed = since(&f->start), rate;
	size_t left = f->count - f->done;

	if (!force && since(&f->drawn_at) < 0.1)
		return;
	clock_gettime(CLOCK_MONOTONIC, &f->drawn_at);
	rate = elapsed > 0 ? (double)f->done / elapsed : 0;
	fprintf(stderr, "\rfleet: %zu/%zu done, %zu failed, %zu left, %.1f/s", f->done, f->count, f->failed, left, rate);
	if (rate > 0 && left > 0)
		fprintf(stderr, ", ETA %.0f s", (double)left / rate);
	fputs("\033[K", stderr);
	fflush(stderr);
}

static void on_target(void *ctx, const ladder_fleet_outcome *r)
{
	fleet_cli *f = ctx;
	record *rec = &f->records[r->index];
	target_fate fate = fate_of(f, r);

	rec->done = 1;
	rec->fate = fate;
	rec->version = f->command == LADDER_FLEET_STATUS ? r->current : r->to_version;
	rec->name = strdup(r->schema ? r->schema : r->target);
	if (r->error < 0 && r->message)
		rec->message = strdup(r->message);
	if (f->database == NULL && r->schema != NULL)
		f->database = strdup(r->target);
	f->done++;
	f->failed += fate == FATE_FAILED;
	if (f->json)
		print_json(f, r, fate);
	if (f->live)
		draw(f, 0);
}

/* --- the summary ---------------------------------------------------------------------------- */

typedef struct group {
	target_fate fate;
	int64_t version;
	size_t count;
} group;

static int by_count(const void *a, const void *b)
{
	const group *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->fate != y->fate)
		return x->fate < y->fate ? -1 : 1;
	return x->version < y->version ? 1 : x->version > y->version ? -1 : 0;
}

static void print_group(const fleet_cli *f, const group *g, int width)
{
	printf("  %*zu ", width, g->count);
	if (g->fate == FATE_SKIPPED) {
		puts("not started (--fail-fast)");
		return;
	}
	if (g->version < 0)
		fputs("at an unknown version", stdout);
	else
		printf("at version %" PRId64, g->version);
	switch (g->fate) {
	case FATE_FAILED: puts(", failed"); break;
	case FATE_BEHIND: printf(", behind (head %" PRId64 ")\n", f->head); break;
	case FATE_NEWER: puts(", newer than the plan"); break;
	case FATE_PROBLEMS: puts(", with problems (run status on it)"); break;
	default: puts(g->version == f->head ? " (head)" : ""); break;
	}
}

static int print_summary(const fleet_cli *f, const ladder_fleet_result *res)
{
	group *groups = calloc(f->count ? f->count : 1, sizeof(*groups));
	size_t ngroups = 0, listed = 0, counts[FATE_SKIPPED + 1] = {0};
	int width = 1;

	if (groups == NULL)
		return cli_error("out of memory");
	for (size_t i = 0; i < f->count; i++) {
		const record *r = &f->records[i];
		size_t g = 0;
		if (!r->done)
			continue;
		counts[r->fate]++;
		while (g < ngroups && !(groups[g].fate == r->fate && groups[g].version == r->version))
			g++;
		if (g == ngroups)
			groups[ngroups++] = (group){r->fate, r->version, 0};
		groups[g].count++;
	}
	qsort(groups, ngroups, sizeof(*groups), by_count);
	for (size_t n = ngroups ? groups[0].count : 0; n >= 10; n /= 10)
		width++;
	printf("Fleet %s%s%s: %zu %s in %.2f s ", command_name(f->command), f->database ? " on " : "",
	       f->database ? f->database : "", f->count, f->database ? "schemas" : "targets", res->seconds);
	if (res->workers == 0)
		fputs("(every head read in one batch): ", stdout);
	else
		printf("(%d worker%s): ", res->workers, res->workers == 1 ? "" : "s");
	if (f->command == LADDER_FLEET_STATUS) {
		printf("%zu current, %zu behind", counts[FATE_OK], counts[FATE_BEHIND]);
		if (counts[FATE_NEWER])
			printf(", %zu newer than the plan", counts[FATE_NEWER]);
		if (counts[FATE_PROBLEMS])
			printf(", %zu with problems", counts[FATE_PROBLEMS]);
	} else
		printf("%zu ok (%zu %s, %zu %s)", res->ok, res->migrated, f->command == LADDER_FLEET_DOWN ? "reverted" : "migrated",
		       res->ok - res->migrated, f->command == LADDER_FLEET_DOWN ? "with nothing to revert" : "already current");
	printf(", %zu failed", res->failed);
	if (res->skipped)
		printf(", %zu not started", res->skipped);
	putchar('\n');
	for (size_t g = 0; g < ngroups; g++)
		print_group(f, &groups[g], width);
	if (res->failed > 0)
		puts("Failed:");
	for (size_t i = 0; i < f->count && listed < FAILURES_LISTED; i++) {
		const record *r = &f->records[i];
		if (!r->done || r->fate != FATE_FAILED)
			continue;
		printf("  %s: %s\n", r->name ? r->name : "?", r->message ? r->message : "(no message)");
		listed++;
	}
	if (res->failed > listed)
		printf("  ... and %zu more (--json lists every one)\n", res->failed - listed);
	free(groups);
	return CLI_EXIT_OK;
}

/* --- the command -------------------------------------------------------------------------- */

int cli_is_fleet(const cli_options *o)
{
	return o->fleet_glob || o->fleet_targets || o->fleet_schemas || o->fleet_schemas_from;
}

static int build(const cli_options *o, ladder_fleet *fleet, const ladder_open_options *open)
{
	int error;

	if (o->fleet_glob) {
		/* a pattern that matches nothing is a mistyped command, as a
		 * missing -d would be */
		if ((error = ladder_fleet_add_glob(fleet, o->fleet_glob, NULL)) == LADDER_EINVALID)
			return cli_usage_error("%s", ladder_error_last()->message);
	} else if (o->fleet_targets)
		error = ladder_fleet_add_file(fleet, o->fleet_targets, NULL);
	else
		error = ladder_fleet_add_schemas(fleet, o->database, o->fleet_schemas, o->fleet_schemas_from, open, NULL);
	if (error == 0 && ladder_fleet_count(fleet) == 0)
		return cli_error("the targets file %s names no target", o->fleet_targets);
	return error < 0 ? cli_lib_error() : CLI_EXIT_OK;
}

static int exit_code(const cli_options *o, const fleet_cli *f, const ladder_fleet_result *res)
{
	size_t troubled = 0, behind = 0;

	if (res->failed > 0 || res->skipped > 0)
		return CLI_EXIT_ERROR;
	if (f->command != LADDER_FLEET_STATUS || !(o->given & CLI_OPT_EXIT_CODE))
		return CLI_EXIT_OK;
	for (size_t i = 0; i < f->count; i++) {
		troubled += f->records[i].fate == FATE_NEWER || f->records[i].fate == FATE_PROBLEMS;
		behind += f->records[i].fate == FATE_BEHIND;
	}
	/* as for one database: problems win over pending work */
	return troubled ? CLI_EXIT_ERROR : behind ? CLI_EXIT_PENDING : CLI_EXIT_OK;
}

int cli_fleet(const cli_options *o)
{
	ladder_fleet_options opts = LADDER_FLEET_OPTIONS_INIT;
	ladder_open_options open;
	ladder_run_options run = LADDER_RUN_OPTIONS_INIT;
	ladder_fleet_result res;
	ladder_fleet *fleet = NULL;
	ladder_plan *plan = NULL;
	fleet_cli f;
	const char *term = getenv("TERM");
	int rc;

	memset(&f, 0, sizeof(f));
	f.o = o;
	f.command = strcmp(o->command, "status") == 0 ? LADDER_FLEET_STATUS
	            : strcmp(o->command, "down") == 0 ? LADDER_FLEET_DOWN
	                                              : LADDER_FLEET_UP;
	f.json = (o->given & CLI_OPT_JSON) != 0;
	f.live = !f.json && o->verbosity >= 0 && isatty(STDERR_FILENO) && term != NULL && term[0] != '\0' &&
	         strcmp(term, "dumb") != 0;
	/* only up may create a database, as for one */
	if ((rc = cli_open_options(o, &open, f.command != LADDER_FLEET_UP)) != CLI_EXIT_OK ||
	    (rc = cli_load_plan(o, &plan)) != CLI_EXIT_OK)
		goto done;
	if (ladder_fleet_new(&fleet) < 0) {
		rc = cli_lib_error();
		goto done;
	}
	if ((rc = build(o, fleet, &open)) != CLI_EXIT_OK)
		goto done;
	f.count = ladder_fleet_count(fleet);
	f.head = ladder_plan_head(plan);
	if ((f.records = calloc(f.count, sizeof(*f.records))) == NULL) {
		rc = cli_error("out of memory");
		goto done;
	}
	run.flags = o->run_flags | ((o->given & CLI_OPT_STRICT) ? LADDER_STRICT : 0);
	run.lock_retries = o->lock_retries;
	if (f.command == LADDER_FLEET_DOWN) {
		run.target = (o->given & CLI_OPT_TO) ? o->to : -1;
		run.steps = o->steps;
	} else
		run.target = o->to;
	opts.command = f.command;
	opts.workers = o->workers;
	opts.max_connections = o->max_connections;
	opts.flags = o->fail_fast ? LADDER_FLEET_FAIL_FAST : 0;
	opts.open = &open;
	opts.run = &run;
	opts.on_target = on_target;
	opts.ctx = &f;
	clock_gettime(CLOCK_MONOTONIC, &f.start);
	if (ladder_fleet_run(&res, fleet, plan, &opts) < 0) {
		if (f.live)
			fputs("\r\033[K", stderr);
		rc = cli_lib_error();
		goto done;
	}
	if (f.live)
		fputs("\r\033[K", stderr);
	if (f.json) {
		printf("{\"fleet\":{\"command\":\"%s\",\"targets\":%zu,\"ok\":%zu,\"failed\":%zu,\"skipped\":%zu,"
		       "\"migrated\":%zu,\"behind\":%zu,\"workers\":%d,\"seconds\":%.3f}}\n",
		       command_name(f.command), res.targets, res.ok, res.failed, res.skipped, res.migrated, res.behind,
		       res.workers, res.seconds);
	} else if (o->verbosity >= 0 && (rc = print_summary(&f, &res)) != CLI_EXIT_OK)
		goto done;
	/* -q hides the summary, never the failures */
	if (!f.json && o->verbosity < 0)
		for (size_t i = 0; i < f.count; i++)
			if (f.records[i].done && f.records[i].fate == FATE_FAILED)
				fprintf(stderr, "ladder: %s: %s\n", f.records[i].name ? f.records[i].name : "?",
				        f.records[i].message ? f.records[i].message : "(no message)");
	rc = exit_code(o, &f, &res);
done:
	for (size_t i = 0; f.records != NULL && i < f.count; i++) {
		free(f.records[i].name);
		free(f.records[i].message);
	}
	free(f.records);
	free(f.database);
	ladder_fleet_free(fleet);
	ladder_plan_free(plan);
	return rc;
}
