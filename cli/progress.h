/*
 * progress.h — what `up`, `down` and `redo` say while a run works: -v lines,
 * a live line on a terminal for a step (or a lock wait) that lasts longer
 * than a second, warnings about empty steps, a line per lock retry, and with --json one JSON line
 * per event and a summary for CI systems and log pipelines.
 */
#ifndef LADDER_CLI_PROGRESS_H
#define LADDER_CLI_PROGRESS_H

#include "cli.h"

#include <pthread.h>
#include <time.h>

typedef struct cli_progress {
	const ladder_plan *plan;
	ladder_db *db;      /* -v: to say how each step runs */
	int verbose;        /* -v: one line per step */
	int json;           /* --json: events on stdout, nothing else */
	int live;           /* stdout is a terminal that can redraw a line */
	int line_open;      /* a -v line is started, not finished */
	int lock_retries;   /* --lock-retries: the most the run makes */
	int retried;        /* LADDER_EVENT_LOCK_RETRY events so far */
	int ddl_lock_timeout_ms; /* --ddl-lock-timeout, for the retry line */

	/* The live line, drawn by a ticker thread while the library works on
	 * the main thread; mutex guards everything below and stdout. */
	pthread_mutex_t mutex;
	pthread_cond_t wake;
	pthread_t ticker;
	int ticking, stop;
	char *label;        /* the running step's line, NULL between steps */
	struct timespec since;
	int drawn;          /* the live line is on screen */
} cli_progress;

/* Set up for a run of o's command and hook the callback into run. */
void cli_progress_init(cli_progress *p, const cli_options *o, ladder_db *db, const ladder_plan *plan,
                       ladder_run_options *run);

/* The run's outcome: its summary line (or JSON summary), and the error on
 * stderr through cli_lib_error. Returns the exit code. Stops the ticker. */
int cli_progress_finish(cli_progress *p, int down, int error, const ladder_result *result);

/* --json's last line: how the run (or the dry run) ended. A failed run's
 * has "ok":false and its message as "error" (NULL: it succeeded). */
void cli_progress_json_summary(int down, int dry_run, const char *error, const ladder_result *r);

/* The library's last error message, as a failed summary gives it. */
const char *cli_progress_error(void);

#endif /* LADDER_CLI_PROGRESS_H */
