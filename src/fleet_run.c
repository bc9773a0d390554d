/*
 * fleet_run.c — ladder_fleet_run: the same command on every target of a
 * fleet, from a pool of worker threads. Each target's run is exactly the
 * single-database call (ladder_migrate, ladder_down, ladder_status_get) on
 * its own handle, so it keeps every guarantee of that call; a failure is
 * that target's alone. Schemas of one database share a worker's one
 * connection (wrapped per schema), so a fleet never holds more than its
 * connection budget. Before the workers start, the heads of every schema
 * of a database are read together (the driver's heads_read): targets
 * found current are reported from that read and never opened.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* sysconf's _SC_NPROCESSORS_ONLN */
#endif

#include "fleet.h"

#include "conn.h"
#include "db.h"
#include "error.h"
#include "history.h"
#include "plan.h"
#include "store.h"

#include "ladder/sys/alloc.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SERVER_CONNECTIONS 8
#define SKIPPED_MESSAGE "not started: an earlier target failed (fail fast)"

typedef struct fleet_run {
	const ladder_fleet *fleet;
	const ladder_plan *plan;
	ladder_fleet_options opts;
	ladder_open_options open;
	ladder_run_options run;
	char *decided;          /* per target: reported before the workers ran */
	size_t next;            /* the next target a worker takes (atomic) */
	int stop;               /* fail fast: a target failed (atomic) */
	pthread_mutex_t mutex;  /* the callback and the result */
	ladder_fleet_result result;
} fleet_run;

/* A worker's connection to one database, kept across its schemas. */
typedef struct worker {
	fleet_run *run;
	ladder_db *base;
	const char *base_url;
} worker;

/* --- targets' names ----------------------------------------------------------------- */

/* The URL as written without its password: a server URL's user:password@
 * loses the password, a password=... parameter (key=value strings and
 * query strings alike) shows ****. Paths come back as they are. */
static char *masked_url(const char *url)
{
	ladder_buf out = {0};
	const char *p = url, *scheme = strstr(url, "://");

	if (scheme != NULL) {
		const char *user = scheme + 3, *at = NULL, *colon;
		size_t span = strcspn(user, "/?");
		for (const char *q = user; q < user + span; q++)
			if (*q == '@')
				at = q;
		colon = at ? memchr(user, ':', (size_t)(at - user)) : NULL;
		if (colon != NULL) { /* user:secret@ shown as user@, as one database's name is */
			ladder_buf_put(&out, url, (size_t)(colon - url));
			p = at;
		}
	}
	while (*p) {
		const char *hit = strstr(p, "password=");
		if (hit == NULL || (hit != url && strchr(" ?&", hit[-1]) == NULL)) {
			size_t step = hit ? (size_t)(hit - p) + 1 : strlen(p);
			ladder_buf_put(&out, p, step);
			p += step;
			continue;
		}
		ladder_buf_put(&out, p, (size_t)(hit - p) + 9);
		ladder_buf_puts(&out, "****");
		p = hit + 9;
		if (*p == '\'') { /* key='quoted value' */
			for (p++; *p && *p != '\''; p++)
				if (*p == '\\' && p[1])
					p++;
			p += *p == '\'';
		} else
			p += strcspn(p, " &");
	}
	if (out.failed || out.data == NULL) {
		ladder_buf_free(&out);
		return ladder_strdup(url);
	}
	return out.data;
}

/* --- reporting -------------------------------------------------------------------- */

static void finish(fleet_run *run, const ladder_fleet_outcome *outcome)
{
	pthread_mutex_lock(&run->mutex);
	if (outcome->skipped)
		run->result.skipped++;
	else if (outcome->error < 0)
		run->result.failed++;
	else {
		run->result.ok++;
		if (outcome->applied > 0)
			run->result.migrated++;
		if (run->opts.command == LADDER_FLEET_STATUS && outcome->pending > 0)
			run->result.behind++;
	}
	if (run->opts.on_target != NULL)
		run->opts.on_target(run->opts.ctx, outcome);
	pthread_mutex_unlock(&run->mutex);
	if (outcome->error < 0 && !outcome->skipped && (run->opts.flags & LADDER_FLEET_FAIL_FAST))
		__atomic_store_n(&run->stop, 1, __ATOMIC_RELAXED);
}

static void outcome_init(ladder_fleet_outcome *out, const fleet_run *run, size_t index, const char *display)
{
	memset(out, 0, sizeof(*out));
	out->index = index;
	out->target = display;
	out->schema = run->fleet->targets[index].schema;
	out->from_version = out->to_version = out->current = -1;
	out->head = ladder_plan_head(run->plan);
}

/* --- one target ----------------------------------------------------------------------- */

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* The worker's connection to url (kept from its last schema when it is
 * the same database), wrapped for one schema. */
static int open_schema(worker *w, ladder_db **db, const fleet_target *t)
{
	ladder_open_options opts = fleet_database_options(&w->run->open);
	int error;

	if (w->base != NULL && strcmp(w->base_url, t->url) != 0) {
		ladder_db_close(w->base);
		w->base = NULL;
	}
	if (w->base == NULL) {
		if ((error = ladder_db_open(&w->base, t->url, &opts)) < 0)
			return error;
		w->base_url = t->url;
	}
	opts = w->run->open;
	opts.schema = t->schema;
	return ladder_db_wrap(db, ladder_db_engine(w->base), ladder_db_native(w->base), &opts);
}

static int run_command(fleet_run *run, ladder_db *db, ladder_fleet_outcome *out)
{
	ladder_result result;
	ladder_status *status = NULL;
	int error;

	switch (run->opts.command) {
	case LADDER_FLEET_STATUS:
		if ((error = ladder_status_get(&status, db, run->plan)) == 0) {
			out->current = status->current;
			out->head = status->head;
			out->pending = status->pending;
			out->problems = status->problems;
			for (size_t i = 0; i < status->count; i++)
				if (status->entries[i].state == LADDER_STATE_UNKNOWN)
					out->newer = 1;
		}
		ladder_status_free(status);
		return error;
	case LADDER_FLEET_DOWN:
		error = ladder_down(&result, db, run->plan, &run->run);
		break;
	case LADDER_FLEET_UP:
	default:
		error = ladder_migrate(&result, db, run->plan, &run->run);
		break;
	}
	out->from_version = result.from_version;
	out->to_version = result.to_version;
	out->applied = result.applied;
	out->fast_path = result.fast_path;
	return error;
}

/* The version the store records, or -1 when it cannot be read. */
static int64_t stored_version(ladder_db *db)
{
	ladder_head head;
	return history_head(db, &db->store, &head) == 0 ? head.version : -1;
}

static void run_one(worker *w, size_t index)
{
	fleet_run *run = w->run;
	const fleet_target *t = &run->fleet->targets[index];
	ladder_fleet_outcome out;
	char *display = masked_url(t->url), *message = NULL;
	struct timespec start, end;
	ladder_db *db = NULL;
	int error;

	outcome_init(&out, run, index, display ? display : "(out of memory)");
	if (__atomic_load_n(&run->stop, __ATOMIC_RELAXED)) {
		out.skipped = 1;
		out.error = LADDER_EERROR;
		out.message = SKIPPED_MESSAGE;
		finish(run, &out);
		ladder_free(display);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	if (t->schema != NULL)
		error = open_schema(w, &db, t);
	else
		error = ladder_db_open(&db, t->url, &run->open);
	if (error == 0)
		error = run_command(run, db, &out);
	/* this thread's message, copied before closing can set another */
	if (error < 0)
		message = ladder_strdup(ladder_error_last()->message);
	/* where a failed target stands is what its store says now: the run's
	 * own figures are zeros when it failed before reading the state */
	if (error < 0 && run->opts.command != LADDER_FLEET_STATUS) {
		out.to_version = db != NULL ? stored_version(db) : -1;
		if (out.applied == 0)
			out.from_version = out.to_version;
	}
	ladder_db_close(db);
	/* after a failure the shared connection may be in any state: start
	 * the next schema on a fresh one */
	if (error < 0 && w->base != NULL) {
		ladder_db_close(w->base);
		w->base = NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	out.seconds = seconds_between(&start, &end);
	out.error = error < 0 ? error : 0;
	out.message = error < 0 ? (message ? message : "out of memory copying the error") : NULL;
	finish(run, &out);
	ladder_free(message);
	ladder_free(display);
}

static void *work(void *arg)
{
	worker *w = arg;
	fleet_run *run = w->run;

	for (;;) {
		size_t i = __atomic_fetch_add(&run->next, 1, __ATOMIC_RELAXED);
		if (i >= run->fleet->count)
			break;
		if (!run->decided[i])
			run_one(w, i);
	}
	ladder_db_close(w->base);
	w->base = NULL;
	return NULL;
}

/* --- the heads of a database's schemas, read together ------------------------------------ */

typedef struct head_batch {
	size_t n;
	ladder_head *heads; /* in the order of the stores read */
	char *found;
} head_batch;

static int on_head(void *ctx, int ncols, const char *const *names, const char *const *cells)
{
	head_batch *b = ctx;
	long long i;

	(void)names;
	if (ncols != 1 + LADDER_HISTORY_HEAD_NCOLS || cells[0] == NULL)
		return 0;
	i = strtoll(cells[0], NULL, 10);
	/* unreadable cells are left to the target's own read, which says why */
	if (i >= 0 && (size_t)i < b->n && history_head_from_cells(&b->heads[i], cells + 1) == 0)
		b->found[i] = 1;
	return 0;
}

/* A head reached by the plan's own steps below its head (the chain is
 * the step's, nothing started, at or above the floor): status can say
 * from it alone what ladder_status_get would, as every step up to it is
 * applied in order and every one above it is pending. *pending gets
 * their number. */
static int cleanly_behind(const ladder_head *stored, const ladder_plan *plan, const ladder_store *store,
                          size_t *pending)
{
	const ladder_step *step = ladder_plan_find(plan, stored->version);

	if (store->kind != LADDER_STORE_HISTORY || stored->started || step == NULL ||
	    strcmp(stored->chain, step->chain) != 0 || stored->version < ladder_plan_floor(plan))
		return 0;
	*pending = plan->count - (size_t)(step - plan->steps) - 1;
	return 1;
}

/* Report every schema of url (the targets [first, ...) with that URL)
 * that is current, or for status cleanly behind, from one batch read, if
 * the driver has one. Anything else (a failed read, a store without rows,
 * a head the plan does not explain) is left to the workers, who read
 * again and decide as the single run does. */
static void decide_schemas(fleet_run *run, const char *url, const size_t *targets, size_t n)
{
	ladder_open_options opts = fleet_database_options(&run->open);
	ladder_store *stores = ladder_calloc(n ? n : 1, sizeof(*stores));
	ladder_head *heads = ladder_calloc(n ? n : 1, sizeof(*heads));
	char *found = ladder_calloc(n ? n : 1, 1);
	char *display = masked_url(url);
	head_batch batch = {n, heads, found};
	ladder_db *db = NULL;
	ladder_error_saved saved;

	ladder_error_save(&saved);
	if (stores == NULL || heads == NULL || found == NULL || display == NULL || ladder_db_open(&db, url, &opts) < 0 ||
	    !conn_can_read_heads(db->conn) || db->store.kind != LADDER_STORE_HISTORY)
		goto done;
	for (size_t k = 0; k < n; k++)
		if (ladder_store_parse(&stores[k], run->open.store, run->fleet->targets[targets[k]].schema) < 0)
			goto done;
	if (conn_heads_read(db->conn, stores, n, on_head, &batch) < 0)
		goto done;
	for (size_t k = 0; k < n; k++) {
		size_t i = targets[k], pending = 0;
		ladder_fleet_outcome out;
		if (!found[k])
			continue;
		if (!history_head_is_current(&heads[k], run->plan, &stores[k]) &&
		    (run->opts.command != LADDER_FLEET_STATUS ||
		     !cleanly_behind(&heads[k], run->plan, &stores[k], &pending)))
			continue;
		outcome_init(&out, run, i, display);
		out.from_version = out.to_version = out.current = heads[k].version;
		out.fast_path = pending == 0;
		out.pending = pending;
		run->decided[i] = 1;
		finish(run, &out);
	}
done:
	ladder_db_close(db);
	ladder_free(display);
	ladder_free(stores);
	ladder_free(heads);
	ladder_free(found);
	ladder_error_restore(&saved);
}

/* Batch the schemas of each database when the command would take the
 * fast path on a current target: status, and up to the head. */
static int decide_current_schemas(fleet_run *run)
{
	const ladder_fleet *fleet = run->fleet;
	size_t *targets = NULL;
	char *grouped = NULL;
	int error = 0;

	if (run->opts.command == LADDER_FLEET_DOWN ||
	    (run->opts.command == LADDER_FLEET_UP && run->run.target != 0 && run->run.target != ladder_plan_head(run->plan)))
		return 0;
	if ((targets = ladder_malloc((fleet->count ? fleet->count : 1) * sizeof(*targets))) == NULL ||
	    (grouped = ladder_calloc(fleet->count ? fleet->count : 1, 1)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory running a fleet");
		goto done;
	}
	for (size_t i = 0; i < fleet->count; i++) {
		size_t n = 0;
		if (grouped[i] || fleet->targets[i].schema == NULL)
			continue;
		for (size_t j = i; j < fleet->count; j++)
			if (!grouped[j] && fleet->targets[j].schema != NULL && strcmp(fleet->targets[j].url, fleet->targets[i].url) == 0) {
				grouped[j] = 1;
				targets[n++] = j;
			}
		decide_schemas(run, fleet->targets[i].url, targets, n);
	}
done:
	ladder_free(targets);
	ladder_free(grouped);
	return error;
}

/* --- the run ------------------------------------------------------------------------ */

static int workers_for(const fleet_run *run, size_t pending)
{
	const ladder_fleet *fleet = run->fleet;
	int servers = 0, workers = run->opts.workers, budget;
	long cpus;

	for (size_t i = 0; i < fleet->count && !servers; i++)
		servers = fleet->targets[i].schema != NULL || !ladder_url_is_path(fleet->targets[i].url);
	if (workers <= 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		workers = servers ? DEFAULT_SERVER_CONNECTIONS : cpus > 0 ? (int)cpus : 1;
	}
	budget = run->opts.max_connections > 0 ? run->opts.max_connections : DEFAULT_SERVER_CONNECTIONS;
	if (servers && workers > budget)
		workers = budget;
	if ((size_t)workers > pending)
		workers = pending > 0 ? (int)pending : 1;
	return workers;
}

/* The options checked, and the open options read into *open (any
 * version, as the current struct). */
static int check_options(const ladder_fleet *fleet, const ladder_plan *plan, const ladder_fleet_options *opts,
                         ladder_open_options *open)
{
	int error;

	if (fleet == NULL || plan == NULL || opts == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_fleet_run: no fleet, plan or options given");
	if (opts->version != LADDER_FLEET_OPTIONS_VERSION)
		return ladder_error_set(LADDER_EINVALID, "ladder_fleet_options: unknown version %u", opts->version);
	if (opts->command != 0 && opts->command != LADDER_FLEET_UP && opts->command != LADDER_FLEET_DOWN &&
	    opts->command != LADDER_FLEET_STATUS)
		return ladder_error_set(LADDER_EINVALID, "ladder_fleet_options: unknown command %d", (int)opts->command);
	if (opts->workers < 0 || opts->max_connections < 0)
		return ladder_error_set(LADDER_EINVALID, "ladder_fleet_options: workers and max_connections cannot be negative");
	if ((error = ladder_open_options_read(open, opts->open)) < 0)
		return error;
	if (opts->run != NULL && opts->run->version != 1 && opts->run->version != LADDER_RUN_OPTIONS_VERSION)
		return ladder_error_set(LADDER_EINVALID, "ladder_run_options: unknown version %u", opts->run->version);
	return ladder_plan_prepare(plan);
}

int ladder_fleet_run(ladder_fleet_result *out, const ladder_fleet *fleet, const ladder_plan *plan,
                     const ladder_fleet_options *opts)
{
	static const ladder_run_options run_defaults = LADDER_RUN_OPTIONS_INIT;
	ladder_open_options open;
	fleet_run run;
	worker *workers = NULL;
	pthread_t *threads = NULL;
	struct timespec start, end;
	size_t pending = 0;
	int nworkers = 0, started = 0, mutex_ready = 0, error;

	if (out)
		memset(out, 0, sizeof(*out));
	if ((error = check_options(fleet, plan, opts, &open)) < 0)
		return error;
	clock_gettime(CLOCK_MONOTONIC, &start);
	memset(&run, 0, sizeof(run));
	run.fleet = fleet;
	run.plan = plan;
	run.opts = *opts;
	if (run.opts.command == 0)
		run.opts.command = LADDER_FLEET_UP;
	run.open = open;
	run.run = run_defaults;
	if (opts->run != NULL)
		memcpy(&run.run, opts->run, opts->run->version == 1 ? offsetof(ladder_run_options, lock_retries) : sizeof(run.run));
	run.run.version = LADDER_RUN_OPTIONS_VERSION;
	run.run.progress = NULL; /* events of many targets at once mean nothing */
	run.run.progress_ctx = NULL;
	run.result.targets = fleet->count;
	if (pthread_mutex_init(&run.mutex, NULL) != 0) {
		error = ladder_error_set(LADDER_ERROR, "cannot make a mutex for the fleet");
		goto done;
	}
	mutex_ready = 1;
	if ((run.decided = ladder_calloc(fleet->count ? fleet->count : 1, 1)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory running a fleet");
		goto done;
	}
	if ((error = decide_current_schemas(&run)) < 0)
		goto done;
	for (size_t i = 0; i < fleet->count; i++)
		pending += !run.decided[i];
	nworkers = workers_for(&run, pending);
	run.result.workers = pending > 0 ? nworkers : 0;
	if ((workers = ladder_calloc((size_t)nworkers, sizeof(*workers))) == NULL ||
	    (threads = ladder_calloc((size_t)nworkers, sizeof(*threads))) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory running a fleet");
		goto done;
	}
	for (int i = 0; i < nworkers; i++)
		workers[i].run = &run;
	if (pending == 0)
		goto done;
	/* A thread that cannot start leaves its share to the others; with
	 * none at all, this thread does the work. */
	for (; started < nworkers; started++)
		if (pthread_create(&threads[started], NULL, work, &workers[started]) != 0)
			break;
	if (started == 0)
		work(&workers[0]);
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
done:
	clock_gettime(CLOCK_MONOTONIC, &end);
	run.result.seconds = seconds_between(&start, &end);
	if (out && error == 0)
		*out = run.result;
	if (mutex_ready)
		pthread_mutex_destroy(&run.mutex);
	ladder_free(run.decided);
	ladder_free(workers);
	ladder_free(threads);
	return error;
}
