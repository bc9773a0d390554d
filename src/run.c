/*
 * run.c — ladder_migrate and ladder_down: the run of DESIGN.md. A fast path
 * that reads the stored head and returns; otherwise a read-only check, the
 * lock, a re-read under the lock, validation, and the steps applied and
 * recorded in one transaction (or one per step, or alone for
 * no-transaction steps, which are recorded as started, then done).
 */
#include "boundary.h"
#include "db.h"
#include "digest.h"
#include "foreign.h"
#include "plan.h"
#include "state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_LIMIT 8
/* Internal: start over holding the session lock. Negative so that it
 * travels up like an error; it never leaves this file. */
#define RETRY_RUN (-1000)

typedef struct action {
	const ladder_step *step;
	ladder_direction dir;
	step_text text; /* what runs, read before anything runs */
} action;

typedef struct run {
	ladder_db *db;
	ladder_conn *conn;
	const ladder_plan *plan;
	const ladder_run_options *opts;
	ladder_direction dir; /* LADDER_UP or LADDER_DOWN for the whole run */
	db_state st;
	action *actions;
	size_t nactions;
	int in_tx;
	int session_locked;
	int fk_off;     /* foreign keys switched off for this run */
	int fk_was_on;
	int committed;  /* some transaction of this run has committed */
	int boundary_lost; /* a step ended the run's transaction itself */
	int64_t durable_head; /* the head as committed so far */
	size_t current;       /* the action running */
	size_t tx_first;      /* the first action in the open transaction */
	int begun;      /* transactions begun in this attempt */
	size_t durable; /* steps whose transaction committed */
	int64_t unflushed; /* lowest version recorded in memory only (0: none) */
	size_t applied;
	int64_t from;
} run;

static double seconds_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static unsigned int action_flags(const action *a)
{
	return a->text.info.flags;
}

static int64_t run_current(const run *r)
{
	return db_state_current(&r->st);
}

/* The highest version whose step finished: what the database is "at" in a
 * message, where a step recorded as started does not count. */
static int64_t finished_head(const run *r)
{
	if (r->st.light)
		return r->st.light_head;
	for (size_t i = r->st.nrows; i-- > 0;)
		if (!r->st.rows[i].started)
			return r->st.rows[i].version;
	return 0;
}

/* --- recording ------------------------------------------------------------ */

/* Record a step as applied (or started) in memory. History stores chain
 * every row to the one below it, so a row inserted below others (out of
 * order) re-chains those above it. Rows reach the store in flush_rows(), just
 * before the transaction commits: one prepared statement run back to back
 * instead of one re-prepared after every step's schema change. */
static int record_up(run *r, const action *a, int started, const char *applied_at, int64_t duration_ms)
{
	ladder_row row;
	size_t at = 0;
	int error;

	memset(&row, 0, sizeof(row));
	row.version = a->step->def.version;
	row.name = (char *)a->step->def.name;
	snprintf(row.kind, sizeof(row.kind), "%s", a->dir == LADDER_BASELINE ? "baseline" : "migration");
	memcpy(row.checksum, a->step->checksum, sizeof(row.checksum));
	row.started = started;
	snprintf(row.applied_at, sizeof(row.applied_at), "%s", applied_at);
	row.duration_ms = duration_ms;
	if (r->unflushed == 0 || row.version < r->unflushed)
		r->unflushed = row.version;
	if (r->st.light) {
		r->st.light_head = row.version;
		return 0;
	}
	if ((error = db_state_insert(&r->st, &row, &at)) < 0)
		return error;
	return db_state_chain(&r->st, at);
}

static int flush_rows(run *r)
{
	int error = 0;

	if (r->unflushed == 0)
		return 0;
	if (r->st.light) {
		ladder_row head;
		memset(&head, 0, sizeof(head));
		head.version = r->st.light_head;
		head.name = "";
		error = r->conn->ops->store_put(r->conn, &r->db->store, &head);
	} else {
		size_t from = 0;
		while (from < r->st.nrows && r->st.rows[from].version < r->unflushed)
			from++;
		error = db_state_write(&r->st, r->db, from);
	}
	if (error == 0)
		r->unflushed = 0;
	return error;
}

/* A no-transaction down is recorded as started too, so that an interrupted
 * one shows in status instead of leaving a half-reverted step unrecorded. */
static int mark_down_started(run *r, const action *a)
{
	long at = db_state_find(&r->st, a->step->def.version);

	if (at < 0)
		return 0; /* light stores: refused before the run for no-transaction steps */
	r->st.rows[at].started = 1;
	if (r->unflushed == 0 || a->step->def.version < r->unflushed)
		r->unflushed = a->step->def.version;
	return 0;
}

static int64_t light_head_below(const ladder_plan *plan, int64_t version)
{
	int64_t head = 0;
	for (size_t i = 0; i < plan->count && plan->steps[i].def.version < version; i++)
		head = plan->steps[i].def.version;
	if (plan->has_baseline && plan->baseline.def.version < version && plan->baseline.def.version > head)
		head = plan->baseline.def.version;
	return head;
}

static int record_down(run *r, const action *a)
{
	int64_t version = a->step->def.version;
	int64_t new_head;

	if (r->st.light) {
		new_head = light_head_below(r->plan, version);
		r->st.light_head = new_head;
	} else {
		db_state_remove(&r->st, version);
		new_head = run_current(r);
	}
	return r->conn->ops->store_remove(r->conn, &r->db->store, version, new_head);
}

/* --- transactions ------------------------------------------------------------ */

/* After a commit mid-run, a process that needs no session lock (its own
 * run is one transaction) may have slipped in and applied what we were
 * about to: if the stored head is not what we recorded, plan again. */
static int head_unchanged(run *r)
{
	ladder_head head;
	const ladder_row *top = r->st.nrows > 0 ? &r->st.rows[r->st.nrows - 1] : NULL;
	int error = r->conn->ops->store_head(r->conn, &r->db->store, &head);

	if (error < 0)
		return error;
	if (r->st.light)
		return head.version == r->st.light_head ? 0 : RETRY_RUN;
	if (top == NULL)
		return head.version == 0 ? 0 : RETRY_RUN;
	return head.version == top->version && head.started == top->started && strcmp(head.chain, top->chain) == 0
	           ? 0
	           : RETRY_RUN;
}

static int tx_begin(run *r)
{
	int error = r->conn->ops->begin(r->conn, 1);
	if (error < 0)
		return error;
	r->in_tx = 1;
	r->tx_first = r->current;
	return r->begun++ > 0 ? head_unchanged(r) : 0;
}

/* Name the steps of this transaction that ran with foreign keys off: one
 * of them left the violation. ladder_error_set formats before it stores,
 * so the last message can be an argument. */
static int fk_check_failed(run *r, int error)
{
	const action *first = NULL;
	size_t others = 0;

	for (size_t i = r->tx_first; i <= r->current && i < r->nactions; i++) {
		if (!(action_flags(&r->actions[i]) & LADDER_FOREIGN_KEYS_OFF))
			continue;
		if (first == NULL)
			first = &r->actions[i];
		else
			others++;
	}
	if (first == NULL)
		return ladder_error_set(error, "a migration run with foreign keys off left %s", ladder_error_last()->message);
	return ladder_error_set(error, "%s: migration %" PRId64 " %s%s, run with foreign keys off, left %s",
	                        ladder_step_source(first->step, first->dir == LADDER_DOWN), first->step->def.version,
	                        first->step->def.name, others ? " (or a later step run the same way)" : "",
	                        ladder_error_last()->message);
}

static int tx_commit(run *r)
{
	int error;

	if ((error = flush_rows(r)) < 0)
		return error;
	if (r->fk_off && (error = r->conn->ops->foreign_key_check(r->conn)) < 0)
		return fk_check_failed(r, error);
	if ((error = r->conn->ops->commit(r->conn)) < 0)
		return error;
	r->in_tx = 0;
	r->committed = 1;
	r->durable = r->applied;
	r->durable_head = finished_head(r);
	return 0;
}

/* Clean-up calls keep the error that got us here, not their own. */
typedef struct saved_error {
	int code;
	char *message;
} saved_error;

static void error_save(saved_error *saved)
{
	saved->code = ladder_error_last()->code;
	saved->message = ladder_strdup(ladder_error_last()->message);
}

static void error_restore(saved_error *saved)
{
	ladder_error_set(saved->code, "%s", saved->message ? saved->message : "(out of memory keeping the error)");
	ladder_free(saved->message);
	saved->message = NULL;
}

static void tx_abandon(run *r)
{
	if (r->in_tx || r->conn->ops->in_transaction(r->conn)) {
		saved_error saved;
		error_save(&saved);
		r->conn->ops->rollback(r->conn);
		error_restore(&saved);
	}
	r->in_tx = 0;
	r->unflushed = 0;
}

/* --- running one step ---------------------------------------------------------- */

static int step_failed(const action *a, int code, size_t offset, int no_tx)
{
	const ladder_step *step = a->step;
	int down = a->dir == LADDER_DOWN;
	const char *sql = down ? step->def.down_sql : step->def.up_sql;
	const char *source = ladder_step_source(step, down);
	const char *what = a->dir == LADDER_BASELINE ? "baseline" : down ? "down" : "up";
	const char *engine_message = ladder_error_last()->message;
	char where[512];

	if (sql != NULL && offset != (size_t)-1) {
		int line = ladder_step_line(step, down, offset);
		snprintf(where, sizeof(where), "%s:%d", source, line);
	} else if (sql != NULL) {
		snprintf(where, sizeof(where), "%s", source);
	} else {
		snprintf(where, sizeof(where), "%s (C callback)", source);
	}
	if (code != LADDER_ECHECK && code != LADDER_ELOCKED && code != LADDER_ENOMEM)
		code = LADDER_EMIGRATION;
	if (no_tx && down)
		return ladder_error_set(code,
		                        "%s: %s (migration %" PRId64 " %s, down, no-transaction). It is recorded as "
		                        "started: fix the database by hand, then `ladder repair --pending %" PRId64
		                        "` if the down took effect or `ladder repair --applied %" PRId64
		                        "` if the migration still stands",
		                        where, engine_message, step->def.version, step->def.name, step->def.version,
		                        step->def.version);
	if (no_tx)
		return ladder_error_set(code,
		                        "%s: %s (migration %" PRId64 " %s, %s, no-transaction). It is recorded as "
		                        "started: fix the database by hand, then `ladder repair --applied %" PRId64
		                        "` or `ladder repair --pending %" PRId64 "`",
		                        where, engine_message, step->def.version, step->def.name, what, step->def.version,
		                        step->def.version);
	return ladder_error_set(code, "%s: %s (migration %" PRId64 " %s, %s)", where, engine_message,
	                        step->def.version, step->def.name, what);
}

static int run_step_body(run *r, const action *a, int no_tx)
{
	const ladder_step *step = a->step;
	int down = a->dir == LADDER_DOWN;
	const char *sql = a->text.sql;
	ladder_step_fn fn = down ? step->def.down_fn : step->def.up_fn;
	size_t offset = (size_t)-1;
	int error;

	if (sql != NULL) {
		error = r->conn->ops->exec(r->conn, sql, strlen(sql), no_tx ? LADDER_EXEC_SEPARATE : 0, &offset);
	} else {
		ladder_error_clear();
		error = fn(r->conn->ops->native(r->conn), step->def.user);
		if (error != 0 && ladder_error_last()->message[0] == '\0')
			ladder_error_set(LADDER_EMIGRATION, "the callback returned %d", error);
		if (error > 0)
			error = LADDER_EMIGRATION;
	}
	if (error == 0 && !down && step->def.check_sql != NULL) {
		int empty = 1;
		char first[256] = "";
		if ((error = r->conn->ops->query_is_empty(r->conn, step->def.check_sql, &empty, first, sizeof(first))) == 0 &&
		    !empty)
			error = ladder_error_set(LADDER_ECHECK, "post-condition failed: the check query returned a row (%s)",
			                         first);
	}
	return error < 0 ? step_failed(a, error, offset, no_tx) : 0;
}

/* Defence in depth: a step ended the run's transaction although its text
 * was read before the run (a C callback that commits, a statement the
 * parser could not see). What ran before that point is committed or rolled
 * back outside ladder's control: say so, never "rolled back". */
static int boundary_lost(run *r, const action *a, int error)
{
	const ladder_step *step = a->step;
	int down = a->dir == LADDER_DOWN;
	const char *how = a->text.sql == NULL ? " (C callback)" : "";
	int64_t first = r->actions[r->tx_first].step->def.version;

	r->in_tx = 0;
	r->unflushed = 0;
	r->boundary_lost = 1;
	return ladder_error_set(error < 0 ? error : LADDER_EMIGRATION,
	                        "%s%s: migration %" PRId64 " %s (%s) ended ladder's transaction (a COMMIT or "
	                        "ROLLBACK inside the step, or the connection was lost)%s%s. What ran before that point, from migration %" PRId64
	                        " on, may have been committed without being recorded: the history still says version %" PRId64
	                        ". Compare the database with the plan by hand before running ladder again",
	                        ladder_step_source(step, down), how, step->def.version, step->def.name,
	                        a->dir == LADDER_BASELINE ? "baseline" : down ? "down" : "up",
	                        error < 0 ? "; then it failed: " : "", error < 0 ? ladder_error_last()->message : "",
	                        first, r->durable_head);
}

static void notify(run *r, ladder_event event, const action *a, double seconds)
{
	if (r->opts->progress)
		r->opts->progress(r->opts->progress_ctx, event, a->dir, a->step->def.version, a->step->def.name, seconds);
}

static int run_action(run *r, const action *a)
{
	char mark_before[64] = "", mark_after[64] = "";
	int no_tx = (action_flags(a) & LADDER_NO_TRANSACTION) != 0;
	char applied_at[32];
	struct timespec start;
	double took;
	int error;

	ladder_utc_now(applied_at, sizeof(applied_at));
	clock_gettime(CLOCK_MONOTONIC, &start);
	notify(r, LADDER_EVENT_START, a, 0);

	if (no_tx) {
		const char *sql = a->text.sql;
		size_t offset = (size_t)-1;

		/* A text the engine cannot run statement by statement fails here,
		 * before anything is recorded as started. */
		if (sql != NULL &&
		    (error = r->conn->ops->exec(r->conn, sql, strlen(sql), LADDER_EXEC_SEPARATE | LADDER_EXEC_CHECK, &offset)) < 0)
			return step_failed(a, error, offset, 0);
		/* Alone: commit what came before, record "started" durably, run
		 * each statement on its own, then record "done". */
		if (r->in_tx && (error = tx_commit(r)) < 0)
			return error;
		if ((error = tx_begin(r)) < 0 ||
		    (error = a->dir == LADDER_DOWN ? mark_down_started(r, a) : record_up(r, a, 1, applied_at, 0)) < 0 ||
		    (error = tx_commit(r)) < 0)
			return error;
		if ((error = run_step_body(r, a, 1)) < 0)
			return error;
		took = seconds_since(&start);
		if ((error = tx_begin(r)) < 0)
			return error;
		error = a->dir == LADDER_DOWN ? record_down(r, a) : record_up(r, a, 0, applied_at, (int64_t)(took * 1000));
		if (error == 0)
			error = tx_commit(r);
	} else {
		if (!r->in_tx && (error = tx_begin(r)) < 0)
			return error;
		if (a->text.sql == NULL && r->conn->ops->transaction_mark != NULL &&
		    (error = r->conn->ops->transaction_mark(r->conn, mark_before, sizeof(mark_before))) < 0)
			return error;
		error = run_step_body(r, a, 0);
		/* A callback that ran COMMIT; BEGIN left a transaction open, but
		 * not ladder's: what ran before it is committed. */
		if (mark_before[0] != '\0' && r->conn->ops->in_transaction(r->conn)) {
			/* After a failed statement the mark cannot be read: keep the
			 * step's error either way. */
			saved_error saved;
			int unread;
			error_save(&saved);
			unread = r->conn->ops->transaction_mark(r->conn, mark_after, sizeof(mark_after)) < 0;
			error_restore(&saved);
			if (!unread && strcmp(mark_before, mark_after) != 0)
				return boundary_lost(r, a, error);
		}
		/* A text the parser read cannot have ended the transaction: gone
		 * after an error on an engine that ends it itself, it was rolled
		 * back (SQLite: RAISE(ROLLBACK), SQLITE_FULL). */
		if (!r->conn->ops->in_transaction(r->conn) &&
		    !(error < 0 && a->text.read && r->conn->ops->rolls_back_on_error))
			return boundary_lost(r, a, error);
		if (error < 0)
			return error;
		took = seconds_since(&start);
		error = a->dir == LADDER_DOWN ? record_down(r, a) : record_up(r, a, 0, applied_at, (int64_t)(took * 1000));
		/* ALTER TYPE ... ADD VALUE: later steps may use the value only
		 * once it is committed. */
		if (error == 0 && ((r->opts->flags & LADDER_TX_PER_MIGRATION) || (action_flags(a) & LADDER_COMMIT_AFTER)))
			error = tx_commit(r);
	}
	if (error == 0) {
		r->applied++;
		notify(r, LADDER_EVENT_DONE, a, took);
	}
	return error;
}

/* --- choosing the steps ---------------------------------------------------------- */

static int push_action(run *r, const ladder_step *step, ladder_direction dir)
{
	action *grown = ladder_realloc(r->actions, (r->nactions + 1) * sizeof(*grown));
	if (grown == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory planning the run");
	r->actions = grown;
	memset(&r->actions[r->nactions], 0, sizeof(r->actions[r->nactions]));
	r->actions[r->nactions].step = step;
	r->actions[r->nactions].dir = dir;
	r->nactions++;
	return 0;
}

static int plan_up(run *r)
{
	analysis a;
	int64_t target = r->opts->target;
	int use_baseline;
	int error;

	r->nactions = 0;
	if ((error = analysis_build(&a, r->plan, &r->st)) < 0)
		return error;
	/* A started row seen without the session lock may be another process's
	 * no-transaction step still running: only the lock holder can judge. */
	if (a.has_started && !r->session_locked) {
		analysis_clear(&a);
		return RETRY_RUN;
	}
	if ((error = analysis_refuse_up(&a, r->plan, target, r->opts->flags)) < 0)
		goto done;
	/* The baseline serves an empty database going at least as far as it;
	 * otherwise (or when asked) the steps it stands in for are pending. */
	use_baseline = a.use_baseline && !(r->opts->flags & LADDER_STEPS_ONLY) &&
	               (target == 0 || target >= r->plan->baseline.def.version);
	for (size_t i = 0; i < a.count && error == 0; i++) {
		const entry *e = &a.entries[i];
		int pending = e->state == LADDER_STATE_PENDING || e->state == LADDER_STATE_OUT_OF_ORDER ||
		              (e->state == LADDER_STATE_SKIPPED && a.use_baseline && !use_baseline);
		if (e->baseline) {
			if (use_baseline)
				error = push_action(r, e->step, LADDER_BASELINE);
			continue;
		}
		if (!pending || (target != 0 && e->version > target))
			continue;
		error = push_action(r, e->step, LADDER_UP);
	}
done:
	analysis_clear(&a);
	return error;
}

static int plan_down(run *r)
{
	analysis a;
	int64_t target = r->opts->target;
	int error;

	r->nactions = 0;
	if ((error = analysis_build(&a, r->plan, &r->st)) < 0)
		return error;
	if (a.has_started && !r->session_locked) {
		analysis_clear(&a);
		return RETRY_RUN;
	}
	/* Applied entries, newest first. */
	for (size_t k = a.count; k-- > 0 && error == 0;) {
		const entry *e = &a.entries[k];
		int applied = e->state == LADDER_STATE_APPLIED || e->state == LADDER_STATE_EDITED ||
		              e->state == LADDER_STATE_UNKNOWN || e->state == LADDER_STATE_BASELINE ||
		              e->state == LADDER_STATE_INTERRUPTED;
		const char *name = e->step ? e->step->def.name : e->row ? e->row->name : "";
		if (!applied)
			continue;
		if (target >= 0 ? e->version <= target : (int)r->nactions >= r->opts->steps)
			break;
		if (e->state == LADDER_STATE_INTERRUPTED)
			error = analysis_refuse_up(&a, r->plan, 0, LADDER_ALLOW_NEWER | LADDER_ALLOW_OUT_OF_ORDER);
		else if (e->state == LADDER_STATE_BASELINE)
			error = ladder_error_set(LADDER_ENO_DOWN,
			                         "the database was created from the baseline at version %" PRId64
			                         ", which has no down: it cannot go below %" PRId64,
			                         e->version, e->version);
		else if (e->state == LADDER_STATE_UNKNOWN)
			error = ladder_error_set(LADDER_ENEWER,
			                         "applied migration %" PRId64 " %s is not in this plan, so its down is unknown: "
			                         "the database is newer than this program",
			                         e->version, name);
		else if (e->state == LADDER_STATE_EDITED)
			error = analysis_refuse_up(&a, r->plan, 0, 0);
		else if (e->step->def.down_sql == NULL && e->step->def.down_fn == NULL)
			error = ladder_error_set(LADDER_ENO_DOWN,
			                         "migration %" PRId64 " %s (%s) has no down: cannot revert below version %" PRId64
			                         "; nothing was changed",
			                         e->version, name, ladder_step_source(e->step, 0), e->version);
		else
			error = push_action(r, e->step, LADDER_DOWN);
	}
	if (error == 0 && target < 0 && (int)r->nactions < r->opts->steps)
		error = ladder_error_set(LADDER_EINVALID, "cannot revert %d step(s): only %zu applied step(s) can be reverted",
		                         r->opts->steps, r->nactions);
	if (error < 0)
		r->nactions = 0;
	analysis_clear(&a);
	return error;
}

static void clear_actions(action *actions, size_t count)
{
	for (size_t i = 0; i < count; i++)
		step_text_clear(&actions[i].text);
	ladder_free(actions);
}

/* Plan the steps, then read each one's text for this engine, so that a
 * text that would cross the transaction boundary is refused before
 * anything runs. A re-plan under the lock usually finds the same steps:
 * what was read for them is kept. */
static int plan_run(run *r)
{
	action *before = r->actions;
	size_t nbefore = r->nactions;
	int error;

	r->actions = NULL;
	r->nactions = 0;
	error = r->dir == LADDER_DOWN ? plan_down(r) : plan_up(r);
	for (size_t i = 0; error == 0 && i < r->nactions; i++) {
		action *a = &r->actions[i];
		if (i < nbefore && before[i].step == a->step && before[i].dir == a->dir && before[i].text.prepared) {
			a->text = before[i].text;
			memset(&before[i].text, 0, sizeof(before[i].text));
			continue;
		}
		if ((error = step_text_prepare(&a->text, r->conn, a->step, a->dir, r->opts->flags)) < 0)
			error = ladder_error_set(error, "%s. Nothing was changed: the database is still at version %" PRId64,
			                         ladder_error_last()->message, run_current(r));
	}
	clear_actions(before, nbefore);
	return error;
}

/* --- the run ---------------------------------------------------------------------------- */

static int needs_session_lock(const run *r)
{
	int has_started = 0;
	if (r->conn->ops->lock_always)
		return 1;
	if ((r->opts->flags & LADDER_TX_PER_MIGRATION) && r->nactions > 1)
		return 1;
	for (size_t i = 0; i < r->nactions; i++)
		if (action_flags(&r->actions[i]) & (LADDER_NO_TRANSACTION | LADDER_COMMIT_AFTER))
			return 1;
	for (size_t i = 0; i < r->st.nrows; i++)
		has_started |= r->st.rows[i].started;
	return has_started;
}

static int refuse_light_no_tx(const action *a)
{
	const ladder_step *step = a->step;

	if (a->text.info.detected & LADDER_NO_TRANSACTION)
		return ladder_error_set(LADDER_EUNSUPPORTED,
		                        "migration %" PRId64 " %s must run as a no-transaction step (%s), which needs the "
		                        "history store: a light store cannot record a started step",
		                        step->def.version, step->def.name, a->text.info.reason);
	return ladder_error_set(LADDER_EUNSUPPORTED,
	                        "migration %" PRId64 " %s is marked no-transaction, which needs the history store: a light "
	                        "store cannot record a started step",
	                        step->def.version, step->def.name);
}

static int needs_fk_off(const run *r)
{
	for (size_t i = 0; i < r->nactions; i++)
		if (action_flags(&r->actions[i]) & LADDER_FOREIGN_KEYS_OFF)
			return 1;
	return 0;
}

static void run_cleanup(run *r)
{
	tx_abandon(r);
	if (r->fk_off) {
		int ignored;
		saved_error saved;
		error_save(&saved);
		r->conn->ops->set_foreign_keys(r->conn, r->fk_was_on, &ignored);
		error_restore(&saved);
		r->fk_off = 0;
	}
	if (r->session_locked) {
		r->conn->ops->unlock(r->conn, &r->db->store);
		r->session_locked = 0;
	}
}

/* Say what state a failure left behind. */
static int explain_failure(run *r, int error)
{
	const char *message = ladder_error_last()->message;
	if (r->boundary_lost)
		return error; /* boundary_lost() said what is known */
	if (r->applied == 0 && !r->committed)
		return ladder_error_set(error, "%s. Nothing was changed: the database is still at version %" PRId64, message,
		                        r->from);
	if (!r->committed)
		return ladder_error_set(error, "%s. The run was rolled back: the database is still at version %" PRId64,
		                        message, r->from);
	return ladder_error_set(error, "%s. Steps committed before it stay %s: the database is now at version %" PRId64,
	                        message, r->dir == LADDER_DOWN ? "reverted" : "applied", r->durable_head);
}

static int run_locked(run *r, int force_session_lock, int first_attempt)
{
	int error;

	if ((error = db_state_read(&r->st, r->db)) < 0)
		return error;
	if (first_attempt)
		r->from = run_current(r);
	r->durable_head = finished_head(r);
	if ((error = plan_run(r)) == RETRY_RUN)
		force_session_lock = 1;
	else if (error < 0)
		return error;
	else if (r->nactions == 0)
		return 0;

	if (force_session_lock || needs_session_lock(r)) {
		if ((error = r->conn->ops->lock(r->conn, &r->db->store, r->db->lock_timeout_ms)) < 0)
			return error;
		r->session_locked = 1;
	}
	if (needs_fk_off(r)) {
		if (r->conn->ops->set_foreign_keys == NULL)
			return ladder_error_set(LADDER_EUNSUPPORTED, "ladder:foreign-keys off is not supported by the %s driver",
			                        r->conn->ops->engine);
		if ((error = r->conn->ops->set_foreign_keys(r->conn, 0, &r->fk_was_on)) < 0)
			return error;
		r->fk_off = 1;
	}
	if ((error = tx_begin(r)) < 0)
		return error;
	/* Another process may have migrated while we waited: judge again. */
	db_state_clear(&r->st);
	if ((error = db_state_read(&r->st, r->db)) < 0)
		return error;
	if ((error = plan_run(r)) != 0)
		return error;
	/* Create the store (and a PostgreSQL schema) before the steps, so they
	 * land in it whatever the store's kind. */
	if (r->nactions > 0 && (error = r->conn->ops->store_prepare(r->conn, &r->db->store)) < 0)
		return error;
	if (r->st.light) {
		for (size_t i = 0; i < r->nactions; i++)
			if (action_flags(&r->actions[i]) & LADDER_NO_TRANSACTION)
				return refuse_light_no_tx(&r->actions[i]);
	}
	for (size_t i = 0; i < r->nactions; i++) {
		r->current = i;
		if ((error = run_action(r, &r->actions[i])) < 0)
			return error == RETRY_RUN ? error : explain_failure(r, error);
	}
	if (r->in_tx && (error = tx_commit(r)) < 0)
		return explain_failure(r, error);
	return 0;
}

static int run_with_retries(ladder_result *out, run *r)
{
	int error = 0;
	int force_lock = 0;

	for (int attempt = 0; attempt < RETRY_LIMIT; attempt++) {
		r->begun = 0;
		error = run_locked(r, force_lock, attempt == 0);
		run_cleanup(r);
		if (error != RETRY_RUN)
			break;
		force_lock = 1;
		db_state_clear(&r->st);
	}
	if (error == RETRY_RUN)
		error = ladder_error_set(LADDER_ELOCKED, "the migration state kept changing under the lock");
	if (out) {
		out->from_version = r->from;
		out->to_version = error < 0 ? r->durable_head : run_current(r);
		out->applied = error < 0 ? r->durable : r->applied;
		out->fast_path = 0;
	}
	db_state_clear(&r->st);
	clear_actions(r->actions, r->nactions);
	return error;
}

static int check_args(ladder_db *db, const ladder_plan *plan, const ladder_run_options *opts)
{
	if (db == NULL || plan == NULL)
		return ladder_error_set(LADDER_EINVALID, "no database or no plan given");
	if (opts->version != LADDER_RUN_OPTIONS_VERSION)
		return ladder_error_set(LADDER_EINVALID, "ladder_run_options: unknown version %u", opts->version);
	if (db->conn->ops->in_transaction(db->conn))
		return ladder_error_set(LADDER_EINVALID,
		                        "the connection has an open transaction: migrate before starting one");
	return ladder_plan_prepare(plan);
}

int ladder_migrate(ladder_result *out, ladder_db *db, const ladder_plan *plan, const ladder_run_options *opts)
{
	static const ladder_run_options defaults = LADDER_RUN_OPTIONS_INIT;
	int64_t head = ladder_plan_head(plan);
	run r;
	int error;

	if (opts == NULL)
		opts = &defaults;
	if (out)
		memset(out, 0, sizeof(*out));
	if ((error = check_args(db, plan, opts)) < 0)
		return error;
	if (opts->target < 0 || (opts->target != 0 && ladder_plan_find(plan, opts->target) == NULL &&
	                         !(plan->has_baseline && plan->baseline.def.version == opts->target)))
		return ladder_error_set(LADDER_EINVALID, "target version %" PRId64 " is not in the plan", opts->target);

	/* The fast path: one small read, nothing written, no write lock. */
	if (opts->target == 0 || opts->target == head) {
		ladder_head stored;
		if ((error = db->conn->ops->store_head(db->conn, &db->store, &stored)) < 0)
			return error;
		if (stored.version == head && !stored.started &&
		    (db->store.kind != LADDER_STORE_HISTORY || strcmp(stored.chain, plan->head_chain) == 0 ||
		     (plan->has_baseline && strcmp(stored.chain, plan->baseline_head_chain) == 0))) {
			if (out) {
				out->from_version = out->to_version = head;
				out->fast_path = 1;
			}
			return 0;
		}
	}

	/* No ladder history yet but another tool's (or a light stamp): say
	 * which adopt to run, before anything runs. Never on the fast path. */
	if (!(opts->flags & LADDER_ALLOW_FOREIGN) && (error = foreign_refuse(db)) < 0)
		return error;
	memset(&r, 0, sizeof(r));
	r.db = db;
	r.conn = db->conn;
	r.plan = plan;
	r.opts = opts;
	r.dir = LADDER_UP;
	return run_with_retries(out, &r);
}

int ladder_down(ladder_result *out, ladder_db *db, const ladder_plan *plan, const ladder_run_options *opts)
{
	run r;
	int error;

	if (out)
		memset(out, 0, sizeof(*out));
	if (opts == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_down needs options: a target version or a step count");
	if ((error = check_args(db, plan, opts)) < 0)
		return error;
	if (opts->target < 0 && opts->steps <= 0)
		return ladder_error_set(LADDER_EINVALID, "ladder_down: give a target version >= 0 or steps > 0");
	memset(&r, 0, sizeof(r));
	r.db = db;
	r.conn = db->conn;
	r.plan = plan;
	r.opts = opts;
	r.dir = LADDER_DOWN;
	return run_with_retries(out, &r);
}
