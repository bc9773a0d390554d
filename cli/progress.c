/*
 * progress.c — the running commentary of up, down and redo (see progress.h).
 * The library reports events on the main thread, which is busy inside a
 * step between them, so the live line's clock is kept by a ticker thread
 * that only ever writes stdout under the mutex.
 */
#define _GNU_SOURCE /* open_memstream */
#include "progress.h"
#include "output.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Shorter steps and waits pass without a live line, so output stays calm. */
#define LIVE_AFTER_S 1.0
#define TICK_NS 100000000L

#define CLEAR_LINE "\r\033[K"

static double seconds_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static const char *arrow(ladder_direction dir)
{
	return dir == LADDER_DOWN ? "\xe2\x86\x93" : "\xe2\x86\x91"; /* ↓ ↑ */
}

static const char *direction_name(ladder_direction dir)
{
	return dir == LADDER_DOWN ? "down" : dir == LADDER_BASELINE ? "baseline" : "up";
}

/* The step as its -v line starts: "  ↑ 3 add_users [no-transaction: …]".
 * Text from files passes through out_text, so it cannot drive the
 * terminal. NULL on out of memory: the line is then left out. */
static char *step_label(const cli_progress *p, ladder_direction dir, int64_t version, const char *name)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ladder_step_info info;

	if (f == NULL)
		return NULL;
	fprintf(f, "  %s %" PRId64 " ", arrow(dir), version);
	out_text(f, name ? name : "");
	if (dir == LADDER_BASELINE)
		fputs(" (baseline)", f);
	if (p->verbose && p->db != NULL && ladder_step_inspect(&info, p->db, p->plan, version, dir, 0) == 0) {
		if (info.detected & LADDER_NO_TRANSACTION)
			fputs(" [no-transaction: ", f), out_text(f, info.reason), fputc(']', f);
		else if (info.detected & LADDER_FOREIGN_KEYS_OFF)
			fputs(" [foreign keys off: ", f), out_text(f, info.reason), fputc(']', f);
		else if (info.detected & LADDER_COMMIT_AFTER)
			fputs(" [commits after it: ", f), out_text(f, info.reason), fputc(']', f);
		if (info.unwrapped)
			fputs(" [its own BEGIN/COMMIT ignored]", f);
		if (info.unread)
			fputs(" [not read by the parser: runs as written]", f);
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* --- the live line --------------------------------------------------------------------------- */

/* How many bytes of text fit in `columns` (one column per UTF-8 character,
 * which holds for what the label carries: names, paths, arrows). */
static size_t fitting(const char *text, size_t columns)
{
	size_t at = 0, used = 0;

	while (text[at] != '\0') {
		if (((unsigned char)text[at] & 0xc0) != 0x80 && used++ == columns)
			break;
		at++;
	}
	return at;
}

/* Under the mutex. A line longer than the terminal would wrap, and the
 * next redraw clears only its last row: the label is cut to fit. */
static void draw(cli_progress *p)
{
	double s = seconds_since(&p->since);
	struct winsize ws;
	char clock[32];
	size_t len;

	if (p->label == NULL || s < LIVE_AFTER_S)
		return;
	snprintf(clock, sizeof(clock), "  %.1f s", s);
	len = strlen(p->label);
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > strlen(clock) + 1)
		len = fitting(p->label, ws.ws_col - strlen(clock) - 1);
	printf(CLEAR_LINE "%.*s%s", (int)len, p->label, clock);
	fflush(stdout);
	p->drawn = 1;
}

/* Under the mutex: take the live line off the screen (a -v line stays,
 * without its clock, to be finished). */
static void undraw(cli_progress *p)
{
	if (!p->drawn)
		return;
	fputs(CLEAR_LINE, stdout);
	if (p->line_open && p->label != NULL)
		fputs(p->label, stdout);
	fflush(stdout);
	p->drawn = 0;
}

static void *tick(void *arg)
{
	cli_progress *p = arg;
	struct timespec until;

	pthread_mutex_lock(&p->mutex);
	while (!p->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += TICK_NS;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->wake, &p->mutex, &until);
		if (!p->stop)
			draw(p);
	}
	pthread_mutex_unlock(&p->mutex);
	return NULL;
}

/* Under the mutex: the live line shows `label` from now on (NULL:
 * nothing). Takes label. */
static void show(cli_progress *p, char *label)
{
	undraw(p);
	free(p->label);
	p->label = label;
	clock_gettime(CLOCK_MONOTONIC, &p->since);
	if (label != NULL && !p->ticking && pthread_create(&p->ticker, NULL, tick, p) == 0)
		p->ticking = 1;
}

/* --- events ---------------------------------------------------------------------------------- */

/* An empty up is applied and an empty down reverts with nothing run: both
 * are what the set says, and both are worth a warning. */
static void warn_if_empty(const cli_progress *p, ladder_direction dir, int64_t version, const char *name)
{
	const ladder_migration_def *def = dir == LADDER_BASELINE ? NULL : ladder_plan_get(p->plan, version);
	const char *sql = def == NULL ? NULL : dir == LADDER_DOWN ? def->down_sql : def->up_sql;
	const char *what = dir == LADDER_DOWN ? "'s down is empty: recorded as reverted, nothing ran"
	                                      : " is empty: recorded as applied, nothing ran";

	if (sql == NULL || !ladder_text_is_blank(sql))
		return;
	if (p->json) {
		printf("{\"event\":\"warning\",\"version\":%" PRId64 ",\"name\":", version);
		out_json_string(stdout, name);
		printf(",\"message\":\"migration %" PRId64 "%s\"}\n", version, what);
	} else {
		fprintf(stderr, "ladder: warning: migration %" PRId64 " ", version);
		out_text(stderr, name ? name : "");
		fprintf(stderr, "%s\n", what);
	}
}

/* "step 3 add_index: lock not available (lock_timeout 200 ms), retry 2 of
 * 20 in 0.4 s" (the n-th retry event is retry n). */
static void retry_line(const cli_progress *p, int64_t version, const char *name, double seconds)
{
	fprintf(stderr, "ladder: step %" PRId64 " ", version);
	out_text(stderr, name ? name : "");
	fputs(": lock not available", stderr);
	if (p->ddl_lock_timeout_ms > 0)
		fprintf(stderr, " (lock_timeout %d ms)", p->ddl_lock_timeout_ms);
	fprintf(stderr, ", retry %d of %d in %.1f s\n", p->retried, p->lock_retries, seconds);
	fflush(stderr);
}

static void json_event(const cli_progress *p, ladder_event event, ladder_direction dir, int64_t version,
                       const char *name, double seconds)
{
	switch (event) {
	case LADDER_EVENT_START:
	case LADDER_EVENT_DONE:
		printf("{\"event\":\"%s\",\"direction\":\"%s\",\"version\":%" PRId64 ",\"name\":",
		       event == LADDER_EVENT_START ? "start" : "done", direction_name(dir), version);
		out_json_string(stdout, name);
		if (event == LADDER_EVENT_DONE)
			printf(",\"duration_ms\":%.3f", seconds * 1000.0);
		break;
	case LADDER_EVENT_LOCK_WAIT:
		fputs("{\"event\":\"lock_wait\",\"holder\":", stdout);
		out_json_string(stdout, name);
		printf(",\"waited_ms\":%.0f", seconds * 1000.0);
		break;
	case LADDER_EVENT_LOCK_TAKEN:
		printf("{\"event\":\"lock_taken\",\"waited_ms\":%.0f", seconds * 1000.0);
		break;
	case LADDER_EVENT_LOCK_RETRY:
		printf("{\"event\":\"lock_retry\",\"direction\":\"%s\",\"version\":%" PRId64 ",\"name\":",
		       direction_name(dir), version);
		out_json_string(stdout, name);
		printf(",\"retry\":%d,\"retries\":%d,\"delay_ms\":%.0f", p->retried, p->lock_retries, seconds * 1000.0);
		if (p->ddl_lock_timeout_ms > 0)
			printf(",\"lock_timeout_ms\":%d", p->ddl_lock_timeout_ms);
		break;
	default:
		return; /* an event this ladder does not know yet */
	}
	fputs("}\n", stdout);
	fflush(stdout);
}

/* "waiting for the migration lock held by pid 4242, application 'ladder' …" */
static char *wait_label(const char *holder)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	fputs("ladder: waiting for the migration lock held by ", f);
	if (holder != NULL)
		out_text(f, holder);
	else
		fputs("another connection", f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void on_event(void *ctx, ladder_event event, ladder_direction dir, int64_t version, const char *name,
                     double seconds)
{
	cli_progress *p = ctx;

	if (event == LADDER_EVENT_LOCK_RETRY)
		p->retried++;
	if (p->json) {
		json_event(p, event, dir, version, name, seconds);
		if (event == LADDER_EVENT_DONE)
			warn_if_empty(p, dir, version, name);
		return;
	}
	pthread_mutex_lock(&p->mutex);
	switch (event) {
	case LADDER_EVENT_START: {
		char *label = step_label(p, dir, version, name);
		if (p->verbose) {
			if (p->line_open)
				fputc('\n', stdout);
			if (label != NULL)
				fputs(label, stdout);
			p->line_open = 1;
			fflush(stdout);
		}
		if (p->live)
			show(p, label);
		else
			free(label);
		break;
	}
	case LADDER_EVENT_DONE:
		if (p->live)
			show(p, NULL);
		if (p->verbose) {
			if (!p->line_open) {
				char *label = step_label(p, dir, version, name);
				fputs(label ? label : "", stdout);
				free(label);
			}
			printf("  (%.1f ms)\n", seconds * 1000.0);
			p->line_open = 0;
			fflush(stdout);
		}
		warn_if_empty(p, dir, version, name);
		break;
	case LADDER_EVENT_LOCK_WAIT:
		/* reported about once a second: the live line counts from the
		 * start of the wait */
		if (p->live && p->label == NULL) {
			show(p, wait_label(name));
			p->since.tv_sec -= (time_t)seconds;
		}
		break;
	case LADDER_EVENT_LOCK_TAKEN:
		if (p->live)
			show(p, NULL);
		break;
	case LADDER_EVENT_LOCK_RETRY:
		/* the step's -v line and live line end here; it starts again */
		if (p->live)
			show(p, NULL);
		if (p->line_open) {
			fputs("  (rolled back)\n", stdout);
			fflush(stdout);
			p->line_open = 0;
		}
		retry_line(p, version, name, seconds);
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&p->mutex);
}

void cli_progress_init(cli_progress *p, const cli_options *o, ladder_db *db, const ladder_plan *plan,
                       ladder_run_options *run)
{
	const char *term = getenv("TERM");

	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mutex, NULL);
	pthread_cond_init(&p->wake, NULL);
	p->plan = plan;
	p->lock_retries = o->lock_retries;
	p->ddl_lock_timeout_ms = o->ddl_lock_timeout_ms;
	p->json = (o->given & CLI_OPT_JSON) != 0;
	p->verbose = o->verbosity > 0 && !p->json;
	if (p->verbose)
		p->db = db;
	p->live = !p->json && o->verbosity >= 0 && isatty(STDOUT_FILENO) && term != NULL && term[0] != '\0' &&
	          strcmp(term, "dumb") != 0;
	if (p->json || o->verbosity >= 0) {
		run->progress = on_event;
		run->progress_ctx = p;
	}
}

static void stop_ticker(cli_progress *p)
{
	pthread_mutex_lock(&p->mutex);
	p->stop = 1;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->mutex);
	if (p->ticking)
		pthread_join(p->ticker, NULL);
	p->ticking = 0;
	undraw(p);
	free(p->label);
	p->label = NULL;
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->mutex);
}

void cli_progress_json_summary(int down, int dry_run, const char *error, const ladder_result *r)
{
	printf("{\"event\":\"summary\",\"direction\":\"%s\",\"dry_run\":%s,\"ok\":%s,\"from\":%" PRId64
	       ",\"to\":%" PRId64 ",\"applied\":%zu,\"fast_path\":%s",
	       down ? "down" : "up", dry_run ? "true" : "false", error != NULL ? "false" : "true", r->from_version,
	       r->to_version, r->applied, r->fast_path ? "true" : "false");
	if (error != NULL) {
		fputs(",\"error\":", stdout);
		out_json_string(stdout, error);
	}
	fputs("}\n", stdout);
}

const char *cli_progress_error(void)
{
	const ladder_error *e = ladder_error_last();
	return e->message[0] ? e->message : ladder_strerror(e->code);
}

int cli_progress_finish(cli_progress *p, int down, int error, const ladder_result *result)
{
	stop_ticker(p);
	/* a step that failed: its -v line ends here, the error below it */
	if (p->line_open)
		fputc('\n', stdout);
	p->line_open = 0;
	if (p->json)
		cli_progress_json_summary(down, 0, error < 0 ? cli_progress_error() : NULL, result);
	fflush(stdout);
	if (error < 0)
		return cli_lib_error();
	return CLI_EXIT_OK;
}
