/*
 * dry_run.c — `ladder up --dry-run` and `ladder down --dry-run`: what the run
 * would do, in order, with each step's SQL and how it would run, and nothing
 * changed. The library decides (LADDER_DRY_RUN: the same reading, judging
 * and refusals as the run, then one LADDER_EVENT_PLANNED per step); this file
 * only collects those events and prints them, for a person or as JSON lines.
 */
#include "cli.h"
#include "output.h"
#include "progress.h"

#include <ladder.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct planned {
	ladder_direction dir;
	int64_t version;
	char *name;
	int commits_after; /* the run commits right after it (LADDER_EVENT_PLANNED_COMMIT) */
} planned;

typedef struct plan_list {
	planned *steps;
	size_t count;
	int failed; /* out of memory while collecting */
} plan_list;

static void on_planned(void *ctx, ladder_event event, ladder_direction dir, int64_t version, const char *name,
                       double seconds)
{
	plan_list *l = ctx;
	planned *grown;

	(void)seconds;
	if (event == LADDER_EVENT_PLANNED_COMMIT && l->count > 0 && l->steps[l->count - 1].version == version)
		l->steps[l->count - 1].commits_after = 1;
	if (event != LADDER_EVENT_PLANNED || l->failed)
		return;
	if ((grown = realloc(l->steps, (l->count + 1) * sizeof(*grown))) == NULL) {
		l->failed = 1;
		return;
	}
	l->steps = grown;
	grown[l->count].dir = dir;
	grown[l->count].version = version;
	grown[l->count].commits_after = 0;
	if ((grown[l->count].name = strdup(name ? name : "")) == NULL) {
		l->failed = 1;
		return;
	}
	l->count++;
}

static void plan_list_free(plan_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->steps[i].name);
	free(l->steps);
}

/* The plan's definition of a planned step (the baseline's for LADDER_BASELINE). */
static const ladder_migration_def *find_def(const ladder_plan *plan, const planned *p)
{
	return p->dir == LADDER_BASELINE ? ladder_plan_baseline(plan) : ladder_plan_get(plan, p->version);
}

/* How one planned step would run, as the library reads it. */
typedef struct step_mode {
	ladder_step_info info;
	const char *sql;   /* the step's text, NULL for a C callback */
} step_mode;

static int read_mode(step_mode *m, ladder_db *db, const ladder_plan *plan, const planned *p, unsigned int run_flags)
{
	const ladder_migration_def *def = find_def(plan, p);

	memset(m, 0, sizeof(*m));
	if (def == NULL)
		return ladder_error_set(LADDER_EINVALID, "version %" PRId64 " is not in the plan", p->version);
	m->sql = p->dir == LADDER_DOWN ? def->down_sql : def->up_sql;
	if (ladder_step_inspect(&m->info, db, plan, p->version, p->dir, run_flags & LADDER_STRICT) < 0)
		return ladder_error_last()->code;
	return 0;
}

static const char *direction_name(ladder_direction dir)
{
	return dir == LADDER_DOWN ? "down" : dir == LADDER_BASELINE ? "baseline" : "up";
}

/* The notes that say how a step would run, "; " between them. */
static void print_mode(const step_mode *m, unsigned int run_flags)
{
	const ladder_step_info *info = &m->info;

	fputs("  [", stdout);
	if (info->flags & LADDER_NO_TRANSACTION) {
		fputs("no transaction: ", stdout);
		out_text(stdout, (info->detected & LADDER_NO_TRANSACTION) ? info->reason : "marked ladder:no-transaction");
	} else if (run_flags & LADDER_TX_PER_MIGRATION) {
		fputs("in its own transaction (--tx-per-migration)", stdout);
	} else {
		fputs("in the run's transaction", stdout);
	}
	if (info->flags & LADDER_FOREIGN_KEYS_OFF) {
		fputs("; foreign keys off", stdout);
		if (info->detected & LADDER_FOREIGN_KEYS_OFF) {
			fputs(": ", stdout);
			out_text(stdout, info->reason);
		}
	}
	if ((info->flags & LADDER_COMMIT_AFTER) && !(run_flags & LADDER_TX_PER_MIGRATION)) {
		fputs("; commits after it: ", stdout);
		out_text(stdout, info->reason);
	}
	if (info->unwrapped)
		fputs("; its own BEGIN/COMMIT ignored", stdout);
	if (info->unread)
		fputs("; not read by the parser: runs as written", stdout);
	fputs("]\n", stdout);
}

/* The SQL, indented, as written: tabs kept, other control characters
 * shown as '?' (text from files must not drive the terminal). */
static void print_sql(const char *sql)
{
	size_t len = strlen(sql);
	int at_line_start = 1;

	while (len > 0 && (sql[len - 1] == '\n' || sql[len - 1] == '\r' || sql[len - 1] == ' ' || sql[len - 1] == '\t'))
		len--;
	if (ladder_text_is_blank(sql)) {
		fputs("      (empty: nothing runs)\n", stdout);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)sql[i];
		if (at_line_start)
			fputs("      ", stdout);
		at_line_start = c == '\n';
		if (c == '\n' || c == '\t')
			fputc(c, stdout);
		else if (c == '\r')
			continue;
		else
			fputc(c < 0x20 || c == 0x7f ? '?' : c, stdout);
	}
	fputc('\n', stdout);
}

static void print_step_human(const planned *p, const step_mode *m, unsigned int run_flags)
{
	printf("  %s %" PRId64 " ", p->dir == LADDER_DOWN ? "\xe2\x86\x93" : "\xe2\x86\x91", p->version); /* ↓ ↑ */
	out_text(stdout, p->name);
	if (p->dir == LADDER_BASELINE)
		fputs(" (baseline)", stdout);
	print_mode(m, run_flags);
	if (m->sql != NULL)
		print_sql(m->sql);
	else
		fputs("      C callback\n", stdout);
}

static void json_bool(const char *key, int value)
{
	printf(",\"%s\":%s", key, value ? "true" : "false");
}

static void print_step_json(const planned *p, const step_mode *m)
{
	const ladder_step_info *info = &m->info;
	const char *why = NULL;

	if ((info->flags & LADDER_NO_TRANSACTION) && (info->detected & LADDER_NO_TRANSACTION))
		why = info->reason;
	else if (info->flags & LADDER_NO_TRANSACTION)
		why = "marked ladder:no-transaction";
	else if (info->detected & (LADDER_COMMIT_AFTER | LADDER_FOREIGN_KEYS_OFF))
		why = info->reason;
	fputs("{\"event\":\"planned\",\"direction\":", stdout);
	out_json_string(stdout, direction_name(p->dir));
	printf(",\"version\":%" PRId64 ",\"name\":", p->version);
	out_json_string(stdout, p->name);
	fputs(",\"runs\":", stdout);
	out_json_string(stdout, (info->flags & LADDER_NO_TRANSACTION) ? "no-transaction" : "transaction");
	fputs(",\"why\":", stdout);
	out_json_string(stdout, why);
	json_bool("commits_after", p->commits_after);
	json_bool("foreign_keys_off", (info->flags & LADDER_FOREIGN_KEYS_OFF) != 0);
	json_bool("own_transaction_ignored", info->unwrapped);
	json_bool("unread", info->unread);
	json_bool("callback", m->sql == NULL);
	fputs(",\"sql\":", stdout);
	out_json_string(stdout, m->sql);
	fputs("}\n", stdout);
}

static void print_summary_human(const ladder_result *r, int down)
{
	const char *verb = down ? "revert" : "apply";

	if (r->applied > 0 && r->from_version == r->to_version)
		printf("Would %s %zu migration(s) below the head: the database would stay at version %" PRId64 ".\n", verb,
		       r->applied, r->to_version);
	else if (r->applied > 0)
		printf("Would %s %zu migration(s): version %" PRId64 " \xe2\x86\x92 %" PRId64 ".\n", verb, r->applied,
		       r->from_version, r->to_version);
	else
		printf("Nothing to %s: the database is at version %" PRId64 ".\n", verb, r->to_version);
}

int cli_dry_run(const cli_options *o, ladder_plan *plan, ladder_db *db, int down)
{
	ladder_run_options run = LADDER_RUN_OPTIONS_INIT;
	ladder_result result;
	plan_list list = {0};
	int json = (o->given & CLI_OPT_JSON) != 0;
	int rc = CLI_EXIT_OK, error;

	run.flags = o->run_flags | LADDER_DRY_RUN | ((o->given & CLI_OPT_STRICT) ? LADDER_STRICT : 0);
	run.target = down ? ((o->given & CLI_OPT_TO) ? o->to : -1) : o->to;
	run.steps = down ? o->steps : 0;
	run.progress = on_planned;
	run.progress_ctx = &list;
	memset(&result, 0, sizeof(result));
	error = down ? ladder_down(&result, db, plan, &run) : ladder_migrate(&result, db, plan, &run);
	if (error < 0) {
		if (json)
			cli_progress_json_summary(down, 1, cli_progress_error(), &result);
		rc = cli_lib_error();
		goto done;
	}
	if (list.failed) {
		rc = cli_error("out of memory");
		goto done;
	}
	if (!json && o->verbosity >= 0) {
		printf("Dry run: %s on ", down ? "down" : "up");
		out_text(stdout, ladder_db_display_name(db));
		fputs(" (nothing is changed)\n", stdout);
	}
	for (size_t i = 0; i < list.count; i++) {
		step_mode m;
		if (read_mode(&m, db, plan, &list.steps[i], run.flags) < 0) {
			rc = cli_lib_error();
			goto done;
		}
		if (json)
			print_step_json(&list.steps[i], &m);
		else if (o->verbosity >= 0) {
			print_step_human(&list.steps[i], &m, run.flags);
			/* where the run's transactions end, as the library plans them:
			 * a step that fails later leaves what is above this line */
			if (list.steps[i].commits_after && i + 1 < list.count && !(run.flags & LADDER_TX_PER_MIGRATION))
				fputs("  (the run commits here)\n", stdout);
		}
	}
	if (json)
		cli_progress_json_summary(down, 1, NULL, &result);
	else if (o->verbosity >= 0)
		print_summary_human(&result, down);
	if ((o->given & CLI_OPT_EXIT_CODE) && result.applied > 0)
		rc = CLI_EXIT_PENDING;
done:
	plan_list_free(&list);
	return rc;
}
