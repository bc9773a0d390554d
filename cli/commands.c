/*
 * commands.c — one function per ladder command. Each loads what it needs
 * through the public API (plan, database, status), says what happened in a
 * line a person can act on (or JSON for a program), frees every handle on
 * every path and returns the process exit code.
 */
#define _GNU_SOURCE /* asprintf */
#include "cli.h"
#include "output.h"
#include "progress.h"

#include <ladder.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------
 * Shared steps
 * ------------------------------------------------------------------------- */

/* `up` reads the up files only: a no-op up then opens half the files, and
 * it never runs a down. Every other command reads the plan whole, so a
 * broken down file is reported by status, down and verify. */
int cli_load_plan(const cli_options *o, ladder_plan **plan)
{
	unsigned int flags = strcmp(o->command, "up") == 0 ? LADDER_LOAD_UPS_ONLY : 0;

	if (ladder_plan_load_dir_ext(plan, o->migrations, flags) < 0)
		return cli_lib_error();
	cli_hints_context(NULL, *plan);
	return CLI_EXIT_OK;
}

/* must_exist: only `up` may create a database; every other command
 * refuses a mistyped path instead of leaving an empty file behind. */
int cli_open_options(const cli_options *o, ladder_open_options *opts, int must_exist)
{
	static const ladder_open_options defaults = LADDER_OPEN_OPTIONS_INIT;

	*opts = defaults;
	if (must_exist)
		opts->flags |= LADDER_OPEN_EXISTING;
	else if (o->given & CLI_OPT_DRY_RUN)
		opts->flags |= LADDER_OPEN_NO_CREATE; /* a missing file reads as empty */
	if (o->verbosity > 0)
		opts->flags |= LADDER_OPEN_NOTICES;
	opts->store = o->store;
	opts->schema = o->schema;
	opts->lock_timeout_ms = o->lock_timeout_ms;
	opts->ddl_lock_timeout_ms = o->ddl_lock_timeout_ms;
	opts->lock = o->lock;
	opts->lease_expiry_ms = o->lease_expiry_ms;
	return cli_sqlite_key(o, &opts->sqlite_key);
}

int cli_open_db(const cli_options *o, ladder_db **db, int must_exist)
{
	ladder_open_options opts;
	int rc;

	if ((rc = cli_open_options(o, &opts, must_exist)) != CLI_EXIT_OK)
		return rc;
	if (ladder_db_open(db, o->database, &opts) < 0)
		return cli_lib_error();
	cli_hints_context(*db, NULL);
	return CLI_EXIT_OK;
}

/* The plan first: a broken migrations directory is reported without
 * touching the database at all. */
static int open_both(const cli_options *o, ladder_plan **plan, ladder_db **db, int must_exist)
{
	int rc = cli_load_plan(o, plan);

	if (rc == CLI_EXIT_OK)
		rc = cli_open_db(o, db, must_exist);
	return rc;
}

static void close_both(ladder_plan *plan, ladder_db *db)
{
	cli_hints_forget();
	if (db != NULL)
		ladder_db_close(db);
	if (plan != NULL)
		ladder_plan_free(plan);
}

/* ---------------------------------------------------------------------------
 * up, down
 * ------------------------------------------------------------------------- */

/* up and down differ only in direction: one runner serves both. */
/* One run on an open database, with progress and its summary line:
 * target for up (0: the head), target (-1: none) or steps for down. */
static int run_once(const cli_options *o, ladder_plan *plan, ladder_db *db, int down, int64_t target, int steps,
                    ladder_result *result)
{
	ladder_run_options run = LADDER_RUN_OPTIONS_INIT;
	cli_progress p;
	int error;

	run.flags = o->run_flags | ((o->given & CLI_OPT_STRICT) ? LADDER_STRICT : 0);
	run.target = target;
	run.steps = steps;
	run.lock_retries = o->lock_retries;
	memset(result, 0, sizeof(*result));
	cli_progress_init(&p, o, db, plan, &run);
	error = down ? ladder_down(result, db, plan, &run) : ladder_migrate(result, db, plan, &run);
	if (cli_progress_finish(&p, down, error, result) != CLI_EXIT_OK)
		return CLI_EXIT_ERROR;
	if (o->verbosity < 0 || (o->given & CLI_OPT_JSON))
		return CLI_EXIT_OK;
	if (result->applied > 0 && result->from_version == result->to_version)
		printf("%s %zu migration(s) below the head: the database stays at version %" PRId64 ".\n",
		       down ? "Reverted" : "Applied", result->applied, result->to_version);
	else if (result->applied > 0)
		printf("%s %zu migration(s): version %" PRId64 " \xe2\x86\x92 %" PRId64 ".\n", down ? "Reverted" : "Applied",
		       result->applied, result->from_version, result->to_version);
	else if (down)
		printf("Nothing to revert: the database is at version %" PRId64 ".\n", result->to_version);
	else
		printf("Database is up to date at version %" PRId64 ".\n", result->to_version);
	return CLI_EXIT_OK;
}

static int run_direction(const cli_options *o, int down)
{
	ladder_plan *plan = NULL;
	ladder_db *db = NULL;
	ladder_result result;
	int rc;

	/* only up may create the database */
	if ((rc = open_both(o, &plan, &db, down)) != CLI_EXIT_OK && (o->given & CLI_OPT_JSON)) {
		/* a run that never started still ends its JSON with a summary */
		memset(&result, 0, sizeof(result));
		cli_progress_json_summary(down, (o->given & CLI_OPT_DRY_RUN) != 0, cli_last_error(), &result);
	} else if (rc == CLI_EXIT_OK) {
		if (o->given & CLI_OPT_DRY_RUN)
			rc = cli_dry_run(o, plan, db, down);
		else if (down)
			rc = run_once(o, plan, db, 1, (o->given & CLI_OPT_TO) ? o->to : -1, o->steps, &result);
		else
			rc = run_once(o, plan, db, 0, o->to, 0, &result);
	}
	close_both(plan, db);
	return rc;
}

/* The last step reverted and applied again: two runs, each atomic (a
 * failed up leaves the step reverted, and says so). */
int cli_cmd_redo(const cli_options *o)
{
	ladder_plan *plan = NULL;
	ladder_db *db = NULL;
	ladder_result down, up;
	int rc;

	if ((rc = open_both(o, &plan, &db, 1)) == CLI_EXIT_OK && (rc = run_once(o, plan, db, 1, -1, 1, &down)) == 0 &&
	    down.applied > 0 && (rc = run_once(o, plan, db, 0, down.from_version, 0, &up)) != CLI_EXIT_OK)
		fprintf(stderr, "ladder: migration %" PRId64 " stays reverted: the database is at version %" PRId64 "\n",
		        down.from_version, down.to_version);
	close_both(plan, db);
	return rc;
}

/* The current version, one line: what scripts compare. */
int cli_cmd_version(const cli_options *o)
{
	ladder_db *db = NULL;
	ladder_status *st = NULL;
	int rc;

	if ((rc = cli_open_db(o, &db, 1)) == CLI_EXIT_OK) {
		if (ladder_history_get(&st, db) < 0)
			rc = cli_lib_error();
		else
			printf("%" PRId64 "\n", st->current);
	}
	ladder_status_free(st);
	close_both(NULL, db);
	return rc;
}

int cli_cmd_up(const cli_options *o)
{
	return run_direction(o, 0);
}

int cli_cmd_down(const cli_options *o)
{
	return run_direction(o, 1);
}

/* ---------------------------------------------------------------------------
 * status, history
 * ------------------------------------------------------------------------- */

static out_colour state_colour(ladder_state state)
{
	switch (state) {
	case LADDER_STATE_APPLIED: return OUT_GREEN;
	case LADDER_STATE_PENDING: return OUT_YELLOW;
	case LADDER_STATE_EDITED:
	case LADDER_STATE_UNKNOWN:
	case LADDER_STATE_INTERRUPTED:
	case LADDER_STATE_OUT_OF_ORDER: return OUT_RED;
	case LADDER_STATE_BASELINE:
	case LADDER_STATE_SKIPPED: return OUT_DIM;
	}
	return OUT_PLAIN;
}

/* How a pending step runs, for status: NULL runs for every other state. */
typedef struct pending_run {
	const char *runs; /* "transaction", "no-transaction", "refused" */
	char *why;        /* the statement that makes it run alone, or the refusal */
} pending_run;

static void json_entry(FILE *f, const ladder_status_entry *e, int with_empty, const pending_run *how)
{
	fprintf(f, "{\"version\":%" PRId64 ",\"name\":", e->version);
	out_json_string(f, e->name);
	fputs(",\"state\":", f);
	out_json_string(f, ladder_state_name(e->state));
	fputs(",\"kind\":", f);
	out_json_string(f, e->kind);
	fputs(",\"applied_at\":", f);
	out_json_string(f, e->applied_at);
	if (e->duration_ms < 0)
		fputs(",\"duration_ms\":null", f);
	else
		fprintf(f, ",\"duration_ms\":%" PRId64, e->duration_ms);
	fputs(",\"checksum\":", f);
	out_json_string(f, e->checksum);
	if (with_empty)
		fprintf(f, ",\"empty\":%s", e->empty ? "true" : "false");
	if (e->progress != 0) {
		fprintf(f, ",\"progress\":{\"direction\":\"%s\",\"statements_done\":%" PRId64 ",\"statements\":%" PRId64
		        ",\"next\":\"%s\",\"next_statement\":",
		        e->progress == LADDER_DOWN ? "down" : "up", e->statements_done, e->statements,
		        e->next_not_run ? "not-run" : "may-have-run");
		out_json_string(f, e->next_statement);
		fputc('}', f);
	}
	if (how != NULL) {
		fputs(",\"runs\":", f);
		out_json_string(f, how->runs);
		fputs(",\"runs_why\":", f);
		out_json_string(f, how->why);
	}
	fputc('}', f);
}

/* hows: one per entry (status), or NULL (history). */
static void json_entries(FILE *f, const ladder_status *st, int with_empty, const pending_run *hows)
{
	fputs("\"migrations\":[", f);
	for (size_t i = 0; i < st->count; i++) {
		if (i > 0)
			fputc(',', f);
		json_entry(f, &st->entries[i], with_empty, hows ? &hows[i] : NULL);
	}
	fputc(']', f);
}

static void print_status_json(ladder_db *db, const ladder_status *st, const pending_run *hows, size_t refused)
{
	fputs("{\"database\":", stdout);
	out_json_string(stdout, ladder_db_display_name(db));
	fputs(",\"store\":", stdout);
	out_json_string(stdout, st->store);
	printf(",\"current\":%" PRId64 ",\"head\":%" PRId64 ",\"pending\":%zu,\"problems\":%zu", st->current, st->head,
	       st->pending, st->problems + refused);
	printf(",\"empty\":%s,\"below_floor\":%s,", st->empty ? "true" : "false", st->below_floor ? "true" : "false");
	if (st->note != NULL) {
		fputs("\"note\":", stdout);
		out_json_string(stdout, st->note);
		fputc(',', stdout);
	}
	if (st->adopt_from != NULL) {
		fputs("\"adopt_from\":", stdout);
		out_json_string(stdout, st->adopt_from);
		fputc(',', stdout);
	}
	json_entries(stdout, st, 1, hows);
	fputs("}\n", stdout);
}

static void print_header(ladder_db *db, const char *store)
{
	fputs("Database: ", stdout);
	out_text(stdout, ladder_db_display_name(db));
	fputs(" (store: ", stdout);
	out_text(stdout, store ? store : "?");
	fputs(")\n\n", stdout);
}

/* A step run statement by statement that stopped part way: exactly
 * where, and what the next run does about it. */
static void print_progress(const ladder_status_entry *e, const char *label)
{
	const char *side = e->progress == LADDER_DOWN ? " (down)" : "";
	const char *command = e->progress == LADDER_DOWN ? "down" : "up";

	printf("%sstep %" PRId64 " ", label, e->version);
	out_text(stdout, e->name ? e->name : "");
	if (e->statements_done == 0)
		printf("%s: no statement done", side);
	else if (e->statements > 0 && e->statements_done == 1)
		printf("%s: statement 1 of %" PRId64 " done", side, e->statements);
	else if (e->statements > 0)
		printf("%s: statements 1-%" PRId64 " of %" PRId64 " done", side, e->statements_done, e->statements);
	else
		printf("%s: %" PRId64 " statement%s done", side, e->statements_done, e->statements_done > 1 ? "s" : "");
	if (e->next_statement == NULL)
		printf("; 'ladder %s' finishes it.\n", command);
	else if (e->next_not_run)
		printf(", stopped before %s: 'ladder %s' runs it.\n", e->next_statement, command);
	else
		printf(", %s in flight: 'ladder %s' checks whether it took effect and goes on.\n", e->next_statement,
		       command);
}

/* One line a person can act on, per problem. */
static void print_problem(const ladder_status_entry *e, int colour)
{
	const char *name = e->name ? e->name : "";
	const char *label = colour ? "\033[31m!\033[0m " : "! ";

	switch (e->state) {
	case LADDER_STATE_EDITED:
		printf("%s%" PRId64 " ", label, e->version);
		out_text(stdout, name);
		fputs(" was edited after it was applied: review the change, then run 'ladder repair --checksums'.\n",
		      stdout);
		break;
	case LADDER_STATE_INTERRUPTED:
		if (e->progress != 0) {
			print_progress(e, label);
			break;
		}
		printf("%s%" PRId64 " ", label, e->version);
		out_text(stdout, name);
		printf(" was interrupted (it ran outside a transaction): fix the database by hand, then run "
		       "'ladder repair --applied %" PRId64 "' or 'ladder repair --pending %" PRId64 "'.\n",
		       e->version, e->version);
		break;
	case LADDER_STATE_UNKNOWN:
		printf("%s%" PRId64 " ", label, e->version);
		out_text(stdout, name);
		fputs(" is applied but not in the plan: the database is newer than this code "
		      "(--allow-newer runs anyway).\n",
		      stdout);
		break;
	case LADDER_STATE_OUT_OF_ORDER:
		printf("%s%" PRId64 " ", label, e->version);
		out_text(stdout, name);
		fputs(" is pending but older than the applied head: pass --allow-out-of-order to apply it.\n", stdout);
		break;
	default:
		break;
	}
}

/* How each pending step will run, read with the engine's parser as `up`
 * will read it: in a transaction, alone (and why), or refused (a stray
 * COMMIT, say). *refused counts the refused ones. NULL on no memory. */
static pending_run *read_pending_runs(ladder_db *db, const ladder_plan *plan, const ladder_status *st,
                                      size_t *refused)
{
	pending_run *hows = calloc(st->count + 1, sizeof(*hows));

	*refused = 0;
	for (size_t i = 0; hows != NULL && i < st->count; i++) {
		const ladder_status_entry *e = &st->entries[i];
		ladder_step_info info;

		if (e->state != LADDER_STATE_PENDING && e->state != LADDER_STATE_OUT_OF_ORDER)
			continue;
		if (ladder_step_inspect(&info, db, plan, e->version, LADDER_UP, 0) < 0) {
			hows[i].runs = "refused";
			hows[i].why = strdup(ladder_error_last()->message);
			(*refused)++;
		} else if (info.flags & LADDER_NO_TRANSACTION) {
			hows[i].runs = "no-transaction";
			if (info.detected & LADDER_NO_TRANSACTION)
				hows[i].why = strdup(info.reason);
		} else if (info.flags & LADDER_COMMIT_AFTER) {
			hows[i].runs = "transaction, then commit";
			hows[i].why = strdup(info.reason);
		} else {
			hows[i].runs = "transaction";
		}
	}
	return hows;
}

static void pending_runs_free(pending_run *hows, size_t count)
{
	for (size_t i = 0; hows != NULL && i < count; i++)
		free(hows[i].why);
	free(hows);
}

/* After the summary: the pending steps that run alone because of what
 * their SQL holds, and those `up` would refuse. */
static void print_how_pending_run(const ladder_status *st, const pending_run *hows, int colour)
{
	for (size_t i = 0; i < st->count; i++) {
		const ladder_status_entry *e = &st->entries[i];

		if (hows[i].runs == NULL || hows[i].why == NULL)
			continue;
		if (strcmp(hows[i].runs, "refused") == 0)
			printf("%s%" PRId64 " ", colour ? "\033[31m!\033[0m " : "! ", e->version);
		else
			printf("  %" PRId64 " ", e->version);
		out_text(stdout, e->name ? e->name : "");
		if (strcmp(hows[i].runs, "refused") == 0) {
			fputs(" will be refused by up: ", stdout);
			out_text(stdout, hows[i].why);
			fputs("\n", stdout);
		} else if (strcmp(hows[i].runs, "no-transaction") != 0) {
			fputs(" commits before the next step: ", stdout);
			out_text(stdout, hows[i].why);
			fputs(" adds a value that later steps can use only after a commit.\n", stdout);
		} else {
			fputs(" runs as a no-transaction step: ", stdout);
			out_text(stdout, hows[i].why);
			fputs(" cannot run inside a transaction (up --strict refuses it).\n", stdout);
		}
	}
}

static int print_status_human(ladder_db *db, const ladder_plan *plan, const ladder_status *st,
                              const pending_run *hows)
{
	static const char *const headers[] = {">VERSION", "NAME", "STATE", "APPLIED AT"};
	int colour = out_colour_wanted(stdout);
	out_table *table = NULL;
	int rc = CLI_EXIT_OK;

	print_header(db, st->store);
	if (st->count > 0) {
		if ((table = out_table_new(4, headers)) == NULL)
			goto oom;
		for (size_t i = 0; i < st->count; i++) {
			const ladder_status_entry *e = &st->entries[i];
			char version[24], state[48];
			const char *cells[4];

			snprintf(version, sizeof(version), "%" PRId64, e->version);
			cells[0] = version;
			cells[1] = e->name;
			cells[2] = ladder_state_name(e->state);
			/* a placeholder nobody filled in is visible before it is applied */
			if (e->empty) {
				snprintf(state, sizeof(state), "%s (empty)", ladder_state_name(e->state));
				cells[2] = state;
			}
			cells[3] = e->applied_at;
			if (out_table_add(table, cells, 2, state_colour(e->state)) < 0)
				goto oom;
		}
		if (out_table_print(table, stdout, colour) < 0)
			goto oom;
		fputc('\n', stdout);
	} else {
		fputs("No migrations.\n\n", stdout);
	}

	printf("Version %" PRId64 " of %" PRId64 ": ", st->current, st->head);
	/* "up to date" only when nothing is wrong: an interrupted step or an
	 * applied version the plan lacks is not up to date. */
	if (st->pending > 0 && st->problems > 0)
		printf("%zu pending, %zu problem(s)", st->pending, st->problems);
	else if (st->pending > 0)
		printf("%zu pending", st->pending);
	else if (st->problems > 0)
		printf("not up to date, %zu problem(s)", st->problems);
	else
		fputs("up to date", stdout);
	fputs(".\n", stdout);
	for (size_t i = 0; i < st->count; i++)
		print_problem(&st->entries[i], colour);
	print_how_pending_run(st, hows, colour);
	if (st->below_floor)
		printf("%sThe database is at version %" PRId64 ", older than this plan's floor %" PRId64
		       ": this release cannot upgrade it; upgrade it with an older release first.\n",
		       colour ? "\033[31m!\033[0m " : "! ", st->current, ladder_plan_floor(plan));
	if (st->note != NULL) {
		fputs("Note: ", stdout);
		out_text(stdout, st->note);
		fputs(".\n", stdout);
		cli_adopt_advice(stdout, "  ", st->adopt_from);
	}
	goto done;

oom:
	rc = cli_error("out of memory");
done:
	out_table_free(table);
	return rc;
}

int cli_cmd_status(const cli_options *o)
{
	ladder_plan *plan = NULL;
	ladder_db *db = NULL;
	ladder_status *st = NULL;
	pending_run *hows = NULL;
	size_t refused = 0;
	int rc;

	if ((rc = open_both(o, &plan, &db, 1)) != CLI_EXIT_OK)
		goto done;
	if (ladder_status_get(&st, db, plan) < 0) {
		rc = cli_lib_error();
		goto done;
	}
	if ((hows = read_pending_runs(db, plan, st, &refused)) == NULL) {
		rc = cli_error("out of memory");
		goto done;
	}
	if (o->given & CLI_OPT_JSON)
		print_status_json(db, st, hows, refused);
	else if (o->verbosity >= 0 && (rc = print_status_human(db, plan, st, hows)) != CLI_EXIT_OK)
		goto done;
	if (o->given & CLI_OPT_EXIT_CODE) {
		/* Problems win: pending work is routine, a problem is not. */
		if (st->problems > 0 || st->below_floor || refused > 0)
			rc = CLI_EXIT_ERROR;
		else if (st->pending > 0)
			rc = CLI_EXIT_PENDING;
	}

done:
	pending_runs_free(hows, st ? st->count : 0);
	ladder_status_free(st);
	close_both(plan, db);
	return rc;
}

static int print_history_human(ladder_db *db, const ladder_status *st)
{
	static const char *const headers[] = {">VERSION", "NAME", "STATE", "KIND", "APPLIED AT", ">DURATION"};
	out_table *table = NULL;
	int rc = CLI_EXIT_OK;

	print_header(db, st->store);
	if (st->count == 0) {
		fputs("No migrations recorded.\n", stdout);
		goto done;
	}
	if ((table = out_table_new(6, headers)) == NULL)
		goto oom;
	for (size_t i = 0; i < st->count; i++) {
		const ladder_status_entry *e = &st->entries[i];
		char version[24], duration[32];
		const char *cells[6];

		snprintf(version, sizeof(version), "%" PRId64, e->version);
		snprintf(duration, sizeof(duration), "%" PRId64 " ms", e->duration_ms);
		cells[0] = version;
		cells[1] = e->name && e->name[0] ? e->name : NULL;
		cells[2] = ladder_state_name(e->state);
		cells[3] = e->kind;
		cells[4] = e->applied_at;
		cells[5] = e->duration_ms >= 0 ? duration : NULL;
		if (out_table_add(table, cells, 2, state_colour(e->state)) < 0)
			goto oom;
	}
	if (out_table_print(table, stdout, out_colour_wanted(stdout)) < 0)
		goto oom;
	goto done;

oom:
	rc = cli_error("out of memory");
done:
	out_table_free(table);
	return rc;
}

int cli_cmd_history(const cli_options *o)
{
	ladder_db *db = NULL;
	ladder_status *st = NULL;
	int rc;

	if ((rc = cli_open_db(o, &db, 1)) != CLI_EXIT_OK)
		goto done;
	if (ladder_history_get(&st, db) < 0) {
		rc = cli_lib_error();
		goto done;
	}
	if (o->given & CLI_OPT_JSON) {
		fputs("{\"database\":", stdout);
		out_json_string(stdout, ladder_db_display_name(db));
		fputs(",\"store\":", stdout);
		out_json_string(stdout, st->store);
		fputc(',', stdout);
		json_entries(stdout, st, 0, NULL);
		fputs("}\n", stdout);
	} else if (o->verbosity >= 0) {
		rc = print_history_human(db, st);
	}

done:
	ladder_status_free(st);
	close_both(NULL, db);
	return rc;
}

/* ---------------------------------------------------------------------------
 * new
 * ------------------------------------------------------------------------- */

/* mkdir -p, each missing level private to the owner's group (0750). */
static int make_dirs(const char *dir)
{
	char *path = strdup(dir);
	struct stat sb;
	int rc = 0;

	if (path == NULL)
		return cli_error("out of memory");
	for (char *p = path + 1; *p && rc == 0; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0750) < 0 && errno != EEXIST)
			rc = cli_error("cannot create directory '%s': %s", path, strerror(errno));
		*p = '/';
	}
	if (rc == 0 && mkdir(path, 0750) < 0 && errno != EEXIST)
		rc = cli_error("cannot create directory '%s': %s", path, strerror(errno));
	if (rc == 0 && (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode)))
		rc = cli_error("'%s' is not a directory", path);
	free(path);
	return rc;
}

/* The version a migration file name starts with: digits, then '_'. */
static int leading_version(const char *name, int64_t *out)
{
	int64_t v = 0;
	const char *s = name;

	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (INT64_MAX - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (s == name || *s != '_')
		return -1;
	*out = v;
	return 0;
}

/* The versions dir's files use: whether `version` is among them, the
 * highest, and how many digits its name spells it with ("0006_" gives 4).
 * A missing dir uses none. */
typedef struct versions_seen {
	int in_use;
	int64_t highest;
	int width;
} versions_seen;

static int scan_versions(const char *dir, int64_t version, versions_seen *seen)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	int64_t v;

	memset(seen, 0, sizeof(*seen));
	if (d == NULL)
		return errno == ENOENT ? 0 : cli_error("cannot read directory '%s': %s", dir, strerror(errno));
	while ((ent = readdir(d)) != NULL) {
		if (leading_version(ent->d_name, &v) < 0)
			continue;
		seen->in_use |= v == version;
		if (v >= seen->highest) {
			seen->highest = v;
			seen->width = (int)strspn(ent->d_name, "0123456789");
		}
	}
	closedir(d);
	return 0;
}

/* Below this the directory numbers its steps (0001_, 42_); above, it uses
 * timestamps (YYYYMMDDHHMMSS). */
#define SEQUENCE_MAX INT64_C(10000000000)

/* LADDER_WRITE_EXCLUSIVE: an existing file is never overwritten, even one
 * that appeared after the directory was scanned. */
static int create_file(const char *path, const char *content)
{
	if (ladder_file_write(path, content, strlen(content), LADDER_WRITE_EXCLUSIVE) < 0)
		return cli_lib_error();
	return CLI_EXIT_OK;
}

static int64_t utc_version_now(void)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	return (int64_t)(tm.tm_year + 1900) * 10000000000 + (int64_t)(tm.tm_mon + 1) * 100000000 +
	       (int64_t)tm.tm_mday * 1000000 + (int64_t)tm.tm_hour * 10000 + (int64_t)tm.tm_min * 100 + tm.tm_sec;
}

int cli_cmd_new(const cli_options *o)
{
	int64_t version = utc_version_now();
	versions_seen seen;
	int width = 0;
	size_t dir_len = strlen(o->migrations);
	/* "DIR/FILE", without doubling a slash the user gave */
	const char *slash = dir_len > 0 && o->migrations[dir_len - 1] != '/' ? "/" : "";
	char base[128], content[256];
	char *paths[2] = {NULL, NULL};
	size_t created = 0;
	int rc;

	/* The directory's own scheme: the next number, as wide as the last;
	 * else the time, moved past any version already taken. */
	if ((rc = scan_versions(o->migrations, version, &seen)) != 0)
		goto done;
	if (seen.highest > 0 && seen.highest < SEQUENCE_MAX) {
		version = seen.highest + 1;
		width = seen.width;
	}
	while (seen.in_use && seen.highest >= SEQUENCE_MAX) {
		version++;
		if ((rc = scan_versions(o->migrations, version, &seen)) != 0)
			goto done;
	}
	/* The name is short by construction ([A-Za-z0-9_-]+ from argv), but a
	 * 100 KiB argument must not overflow anything. */
	if ((size_t)snprintf(base, sizeof(base), "%0*" PRId64 "_%s", width, version, o->name) >= sizeof(base)) {
		rc = cli_usage_error("migration name '%.40s...' is too long", o->name);
		goto done;
	}
	if ((rc = make_dirs(o->migrations)) != 0)
		goto done;

	if (o->given & CLI_OPT_SINGLE) {
		if (asprintf(&paths[0], "%s%s%s.sql", o->migrations, slash, base) < 0) {
			paths[0] = NULL;
			goto oom;
		}
		if ((rc = create_file(paths[0], "-- migrate:up\n\n-- migrate:down\n")) != 0)
			goto done;
		created = 1;
	} else {
		static const char *const sides[2] = {"up", "down"};
		for (size_t i = 0; i < 2; i++) {
			snprintf(content, sizeof(content), "-- %s (%s)\n\n", base, sides[i]);
			if (asprintf(&paths[i], "%s%s%s.%s.sql", o->migrations, slash, base, sides[i]) < 0) {
				paths[i] = NULL;
				goto oom;
			}
			if ((rc = create_file(paths[i], content)) != 0)
				goto done;
			created++;
		}
	}
	if (o->verbosity >= 0)
		for (size_t i = 0; i < created; i++)
			printf("%s\n", paths[i]);
	goto done;

oom:
	rc = cli_error("out of memory");
done:
	/* Half a migration is worse than none: remove what this run created. */
	if (rc != 0)
		for (size_t i = 0; i < created; i++)
			unlink(paths[i]);
	free(paths[0]);
	free(paths[1]);
	return rc;
}

/* ---------------------------------------------------------------------------
 * adopt, repair
 * ------------------------------------------------------------------------- */

int cli_cmd_adopt(const cli_options *o)
{
	ladder_plan *plan = NULL;
	ladder_db *db = NULL;
	ladder_result result;
	char spec[512];
	const char *from = o->from ? o->from : "user_version";
	int rc;

	/* --from TOOL --from-table NAME is the library's "TOOL:NAME". */
	if (o->from_table != NULL) {
		snprintf(spec, sizeof(spec), "%s:%s", from, o->from_table);
		from = spec;
	}
	if ((rc = open_both(o, &plan, &db, 1)) != CLI_EXIT_OK)
		goto done;
	if (ladder_adopt(&result, db, plan, from) < 0) {
		rc = cli_lib_error();
		goto done;
	}
	cli_adopt_report(db, from, &result, (o->given & CLI_OPT_JSON) != 0, o->verbosity < 0);

done:
	close_both(plan, db);
	return rc;
}

int cli_cmd_repair(const cli_options *o)
{
	ladder_plan *plan = NULL;
	ladder_db *db = NULL;
	ladder_result result;
	int rc;

	if ((rc = open_both(o, &plan, &db, 1)) != CLI_EXIT_OK)
		goto done;
	if (ladder_repair(&result, db, plan, o->repair, o->repair_version) < 0) {
		rc = cli_lib_error();
		goto done;
	}
	if (o->verbosity < 0)
		goto done;
	switch (o->repair) {
	case LADDER_REPAIR_MARK_APPLIED:
		printf("Marked migration %" PRId64 " as applied.\n", o->repair_version);
		break;
	case LADDER_REPAIR_MARK_PENDING:
		printf("Marked migration %" PRId64 " as pending: 'ladder up' will run it again.\n", o->repair_version);
		break;
	case LADDER_REPAIR_STATEMENT_DONE:
		printf("Recorded that the statement migration %" PRId64 " was running took effect: the next run goes on "
		       "after it.\n", o->repair_version);
		break;
	case LADDER_REPAIR_STATEMENT_NOT_DONE:
		printf("Recorded that the statement migration %" PRId64 " was running did not take effect: the next run "
		       "runs it again.\n", o->repair_version);
		break;
	case LADDER_REPAIR_CHECKSUMS:
		if (result.applied > 0)
			printf("Accepted the plan's checksums for %zu migration(s).\n", result.applied);
		else
			printf("Every applied checksum matches the plan: nothing to repair.\n");
		break;
	}

done:
	close_both(plan, db);
	return rc;
}

/* ---------------------------------------------------------------------------
 * embed
 * ------------------------------------------------------------------------- */

/* text to path through ladder_file_write() (whole or not at all), or to
 * standard output for NULL and "-": the library never prints. */
static int write_output(const char *path, const char *text)
{
	if (path == NULL || strcmp(path, "-") == 0) {
		if (fputs(text, stdout) < 0 || fflush(stdout) != 0)
			return cli_error("cannot write to standard output: %s", strerror(errno));
		return CLI_EXIT_OK;
	}
	if (ladder_file_write(path, text, strlen(text), 0) < 0)
		return cli_lib_error();
	return CLI_EXIT_OK;
}

int cli_cmd_embed(const cli_options *o)
{
	ladder_plan *plan = NULL;
	char *text = NULL;
	int rc;

	if ((rc = cli_load_plan(o, &plan)) != CLI_EXIT_OK)
		goto done;
	if (ladder_plan_render_c(&text, plan, o->symbol) < 0) {
		rc = cli_lib_error();
		goto done;
	}
	if ((rc = write_output(o->output, text)) != CLI_EXIT_OK)
		goto done;
	if (o->output != NULL && strcmp(o->output, "-") != 0 && o->verbosity >= 0) {
		printf("Wrote %zu migration(s) to ", ladder_plan_count(plan));
		out_text(stdout, o->output);
		fputs(" as ", stdout);
		out_text(stdout, o->symbol);
		fputs(".\n", stdout);
	}

done:
	ladder_free(text);
	close_both(plan, NULL);
	return rc;
}

int cli_cmd_dump(const cli_options *o)
{
	ladder_db *db = NULL;
	char *text = NULL;
	int rc;

	if ((rc = cli_open_db(o, &db, 1)) != CLI_EXIT_OK)
		goto done;
	if (ladder_dump(&text, db) < 0) {
		rc = cli_lib_error();
		goto done;
	}
	rc = write_output(o->output, text);
done:
	ladder_free(text);
	close_both(NULL, db);
	return rc;
}

/* Read a whole file for --seed (the library refuses what is not SQL). */
static int read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[65536];

	*out = NULL;
	if (f == NULL)
		return cli_error("cannot read '%s': %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n + 1 > cap) {
			char *grown;
			cap = (len + n + 1) * 2;
			if ((grown = realloc(text, cap)) == NULL) {
				free(text);
				fclose(f);
				return cli_error("out of memory reading '%s'", path);
			}
			text = grown;
		}
		memcpy(text + len, chunk, n);
		len += n;
	}
	if (ferror(f) || memchr(text ? text : "", '\0', len) != NULL) {
		const char *why = ferror(f) ? strerror(errno) : "it holds a NUL byte";
		free(text);
		fclose(f);
		return cli_error("cannot read '%s': %s", path, why);
	}
	fclose(f);
	if (text == NULL && (text = malloc(1)) == NULL)
		return cli_error("out of memory");
	text[len] = '\0';
	*out = text;
	return CLI_EXIT_OK;
}

int cli_cmd_verify(const cli_options *o)
{
	ladder_plan *plan = NULL;
	ladder_verify_options opts = LADDER_VERIFY_OPTIONS_INIT;
	ladder_verify_report *report = NULL;
	char *seed = NULL;
	int error, rc;

	if ((rc = cli_load_plan(o, &plan)) != CLI_EXIT_OK)
		goto done;
	if (o->seed != NULL && (rc = read_file(o->seed, &seed)) != CLI_EXIT_OK)
		goto done;
	opts.seed_sql = seed;
	opts.seed_source = o->seed;
	opts.store = o->store;
	opts.schema = o->schema;
	if (o->given & CLI_OPT_STRICT)
		opts.flags |= LADDER_VERIFY_STRICT;
	error = ladder_verify(&report, o->database, plan, &opts);
	if (report != NULL && o->verbosity >= 0) {
		fputs(report->text, stdout);
		printf("%zu check(s): %zu passed, %zu warning(s), %zu failed, %zu skipped.\n", report->checks,
		       report->passed, report->warnings, report->failures, report->skipped);
	}
	rc = error < 0 ? cli_lib_error() : CLI_EXIT_OK;
	if (rc == CLI_EXIT_OK && (o->given & CLI_OPT_LINT)) {
		/* verify's -d is a server to make scratch databases on, not a
		 * target: lint reads the plan for that engine alone. */
		cli_options lint = *o;
		ladder_db *server = NULL;
		if (lint.engine == NULL && o->database == NULL)
			lint.engine = "sqlite";
		if (lint.engine == NULL && (rc = cli_open_db(o, &server, 1)) == CLI_EXIT_OK)
			lint.engine = ladder_db_engine(server);
		if (rc == CLI_EXIT_OK)
			rc = cli_lint(&lint, plan, NULL);
		ladder_db_close(server);
	}
done:
	ladder_verify_report_free(report);
	free(seed);
	close_both(plan, NULL);
	return rc;
}
