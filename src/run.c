/*
 * run.c — ladder_migrate and ladder_down: the run of DESIGN.md. A fast path
 * that reads the stored head and returns; otherwise a read-only check, the
 * lock, a re-read under the lock, validation, and the steps applied and
 * recorded in one transaction (or one per step, or alone for
 * no-transaction steps, which are recorded as started, then done). A dry
 * run (LADDER_DRY_RUN) judges the same way, then reports the steps instead
 * of locking and running them.
 */
#include "boundary.h"
#include "error.h"
#include "foreign.h"
#include "progress.h"
#include "state.h"
#include "txn.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_LIMIT 8
/* Internal: start over holding the session lock. Negative so that it
 * travels up like an error; it never leaves this file. */
#define RETRY_RUN (-1000)
/* Internal: the run's first transaction could not get a lock and was rolled
 * back whole; run it again from the start (ladder_run_options.lock_retries). */
#define RETRY_LOCK (-1001)

typedef struct action {
	const ladder_step *step;
	ladder_direction dir;
	step_text text; /* what runs, read before anything runs */
	step_progress resume; /* a step run statement by statement that an
	                         earlier run left part way (dir != 0) */
	char resume_prefix[LADDER_HASH_HEX]; /* its row's checksum then */
	int recorded_ahead; /* the step before recorded this one's start with
	                       its own end (one commit less) */
} action;

typedef struct run {
	ladder_db *db;
	ladder_conn *conn;
	const ladder_plan *plan;
	const ladder_run_options *opts;
	ladder_direction dir; /* LADDER_UP or LADDER_DOWN for the whole run */
	history st;
	txn tx;
	action *actions;
	size_t nactions;
	int fk_off;     /* foreign keys switched off for this run */
	int fk_was_on;
	int committed;  /* some transaction of this run has committed */
	int boundary_lost; /* a step ended the run's transaction itself */
	int started_left;  /* a no-transaction step ran but stays recorded as started */
	int64_t durable_head; /* the head as committed so far */
	size_t current;       /* the action running */
	size_t tx_first;      /* the first action in the open transaction */
	int begun;      /* transactions begun in this attempt */
	size_t recorded; /* steps recorded as finished, in memory or stored */
	size_t durable;  /* of those, the ones whose transaction committed */
	size_t applied;
	size_t tx_applied; /* r->applied when the open transaction began */
	int64_t from;
	int lock_unavailable; /* the last step failed: a statement could not get a lock */
	int lock_retries;     /* lock retries made in this run */
} run;

static unsigned int action_flags(const action *a)
{
	return a->text.info.flags;
}

static int64_t run_current(const run *r)
{
	return history_current(&r->st);
}

/* --- recording ------------------------------------------------------------ */

/* In memory; the rows reach the store in one batch just before the
 * transaction commits (txn_commit). */
static int record_up(run *r, const action *a, int started, const char *applied_at, int64_t duration_ms)
{
	int error = history_record(&r->st, a->step, a->dir == LADDER_BASELINE ? "baseline" : "migration", started,
	                           applied_at, duration_ms);
	if (error == 0 && !started)
		r->recorded++;
	return error;
}

/* A no-transaction down is recorded as started too, so that an interrupted
 * one shows in status instead of leaving a half-reverted step unrecorded
 * (light stores refuse no-transaction steps before the run). */
static void mark_down_started(run *r, const action *a)
{
	long at = history_find(&r->st, a->step->def.version);
	if (at >= 0)
		history_set_started(&r->st, (size_t)at, 1);
}

static int record_down(run *r, const action *a)
{
	int error = history_forget(&r->st, r->db, r->plan, a->step->def.version);
	if (error == 0)
		r->recorded++;
	return error;
}

/* --- transactions ------------------------------------------------------------ */

/* After a commit mid-run, a process that needs no session lock (its own
 * run is one transaction) may have slipped in and applied what we were
 * about to: if the stored head is not what we recorded, plan again. */
static int head_unchanged(run *r)
{
	ladder_head head;
	int error = history_head(r->db, &r->db->store, &head);

	if (error < 0)
		return error;
	return history_head_matches(&r->st, &head) ? 0 : RETRY_RUN;
}

static int tx_begin(run *r)
{
	int error = txn_begin(&r->tx);
	if (error < 0)
		return error;
	r->tx_first = r->current;
	r->tx_applied = r->applied;
	/* Holding the session lock that every writer takes, nobody can have
	 * slipped in: no re-read (a statement-by-statement step begins many
	 * transactions). */
	if (r->tx.kind == TXN_LOCK_SESSION && conn_can(r->conn, LADDER_DRIVER_LOCK_ALWAYS)) {
		r->begun++;
		return 0;
	}
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

	if (r->fk_off && (error = conn_foreign_key_check(r->conn)) < 0)
		return fk_check_failed(r, error);
	if ((error = txn_commit(&r->tx, &r->st)) < 0)
		return error;
	r->committed = 1;
	r->durable = r->recorded;
	r->durable_head = history_finished(&r->st);
	return 0;
}

/* --- running one step ---------------------------------------------------------- */

static void trim_utf8(char *buf, size_t len);

/* ": `SELECT pg_sleep(5)` ran past the step's statement timeout of 500 ms
 * (-- ladder:statement-timeout, line 1)": the statement's start, on one
 * line, cut to fit. */
static void timeout_detail(char *buf, size_t len, const action *a, const char *sql, size_t offset)
{
	char statement[96];
	size_t n = 0;

	statement[0] = '\0';
	if (sql != NULL && offset != (size_t)-1 && offset < strlen(sql)) {
		const char *p = sql + offset;
		int space = 0;
		for (; *p && *p != ';' && n + 4 < sizeof(statement); p++) {
			if (*p == '\n' || *p == '\r' || *p == '\t' || *p == ' ') {
				space = n > 0;
				continue;
			}
			if (space)
				statement[n++] = ' ';
			space = 0;
			statement[n++] = *p;
		}
		statement[n] = '\0';
		if (*p && *p != ';') {
			/* cut: on a character boundary, and say so */
			trim_utf8(statement, n);
			strcat(statement, "...");
		}
	}
	snprintf(buf, len, ": %s%s%sran past the step's statement timeout of %d ms (-- ladder:statement-timeout, line %d)",
	         statement[0] ? "`" : "", statement, statement[0] ? "` " : "the statement ", a->text.statement_timeout_ms,
	         a->text.statement_timeout_line);
}

static int step_failed(const action *a, int code, size_t offset, int no_tx)
{
	const ladder_step *step = a->step;
	int down = a->dir == LADDER_DOWN;
	const char *sql = down ? step->def.down_sql : step->def.up_sql;
	const char *source = ladder_step_source(step, down);
	const char *what = a->dir == LADDER_BASELINE ? "baseline" : down ? "down" : "up";
	const char *engine_message = ladder_error_last()->message;
	char where[512], timeout[256] = "";

	if (sql != NULL && offset != (size_t)-1) {
		int line = ladder_step_line(step, down, offset);
		snprintf(where, sizeof(where), "%s:%d", source, line);
	} else if (sql != NULL) {
		snprintf(where, sizeof(where), "%s", source);
	} else {
		snprintf(where, sizeof(where), "%s (C callback)", source);
	}
	if (code == LADDER_ETIMEOUT && a->text.statement_timeout_ms > 0)
		timeout_detail(timeout, sizeof(timeout), a, sql, offset);
	if (code != LADDER_ECHECK && code != LADDER_ELOCKED && code != LADDER_ENOMEM &&
	    code != LADDER_ELOCK_UNAVAILABLE && code != LADDER_ETIMEOUT)
		code = LADDER_EMIGRATION;
	if (no_tx && down)
		return ladder_error_set(code,
		                        "%s: %s (migration %" PRId64 " %s, down, no-transaction)%s. It is recorded as "
		                        "started: fix the database by hand, then repair its record, as pending if the "
		                        "down took effect or as applied if the migration still stands",
		                        where, engine_message, step->def.version, step->def.name, timeout);
	if (no_tx)
		return ladder_error_set(code,
		                        "%s: %s (migration %" PRId64 " %s, %s, no-transaction)%s. It is recorded as "
		                        "started: fix the database by hand, then repair its record, as applied if it "
		                        "took effect or as pending to run it again",
		                        where, engine_message, step->def.version, step->def.name, what, timeout);
	return ladder_error_set(code, "%s: %s (migration %" PRId64 " %s, %s)%s", where, engine_message,
	                        step->def.version, step->def.name, what, timeout);
}

/* Back up to the start of a UTF-8 sequence cut by truncation at buf[len]. */
static void trim_utf8(char *buf, size_t len)
{
	size_t i = len, need;
	unsigned char lead;

	while (i > 0 && ((unsigned char)buf[i - 1] & 0xC0) == 0x80)
		i--;
	if (i == 0)
		return;
	lead = (unsigned char)buf[i - 1];
	need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (len - (i - 1) < need)
		buf[i - 1] = '\0';
}

#define FIRST_ROW_MAX 256
#define CHECK_FOUND_ROW 1 /* stops the query at its first row */

/* The first row a post-condition returned, "col=value, col=value", cut to fit. */
static int render_first_row(void *ctx, int ncols, const char *const *names, const char *const *cells)
{
	char *buf = ctx;
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < ncols; i++) {
		int n = snprintf(buf + used, FIRST_ROW_MAX - used, "%s%s=%s", i ? ", " : "", names[i] ? names[i] : "?",
		                 cells[i] ? cells[i] : "NULL");
		if (n < 0 || (size_t)n >= FIRST_ROW_MAX - used) {
			trim_utf8(buf, FIRST_ROW_MAX - 1);
			break;
		}
		used += (size_t)n;
	}
	return CHECK_FOUND_ROW;
}

/* A post-condition holds when its query returns no row. */
static int check_post_condition(run *r, const char *sql)
{
	char first[FIRST_ROW_MAX] = "";
	int error = conn_query_rows(r->conn, sql, render_first_row, first);

	if (error == CHECK_FOUND_ROW)
		return ladder_error_set(LADDER_ECHECK, "post-condition failed: the check query returned a row (%s)", first);
	if (error < 0)
		return ladder_error_set(error, "post-condition query: %s", ladder_error_last()->message);
	return 0;
}

static int run_step_body(run *r, const action *a, int no_tx)
{
	const ladder_step *step = a->step;
	int down = a->dir == LADDER_DOWN;
	const char *sql = a->text.sql;
	ladder_step_fn fn = down ? step->def.down_fn : step->def.up_fn;
	size_t offset = (size_t)-1;
	int timeout_ms = a->text.statement_timeout_ms;
	int error;

	r->lock_unavailable = 0;
	/* -- ladder:statement-timeout holds for the step's own statements only:
	 * set before them, put back right after (a failed transaction puts it
	 * back when it rolls back). */
	if (timeout_ms > 0 && (error = conn_statement_timeout(r->conn, timeout_ms)) < 0)
		return step_failed(a, error, offset, no_tx);
	if (sql != NULL) {
		error = conn_exec(r->conn, sql, strlen(sql), no_tx ? LADDER_EXEC_SEPARATE : 0, &offset);
	} else {
		ladder_error_clear();
		error = fn(conn_native(r->conn), step->def.user);
		if (error != 0 && ladder_error_last()->message[0] == '\0')
			ladder_error_set(LADDER_EMIGRATION, "the callback returned %d", error);
		if (error > 0)
			error = LADDER_EMIGRATION;
	}
	if (timeout_ms > 0) {
		ladder_error_saved saved;
		int put_back;
		ladder_error_save(&saved);
		put_back = conn_statement_timeout(r->conn, 0);
		if (error < 0)
			ladder_error_restore(&saved);
		else
			error = put_back;
	}
	if (error == 0 && !down && step->def.check_sql != NULL)
		error = check_post_condition(r, step->def.check_sql);
	r->lock_unavailable = error == LADDER_ELOCK_UNAVAILABLE;
	return error < 0 ? step_failed(a, error, offset, no_tx) : 0;
}

/* A no-transaction step ran, but recording it as done failed: it stays
 * recorded as started, and only a person can tell what it did. */
static int done_unrecorded(run *r, const action *a, int error)
{
	const ladder_step *step = a->step;
	int down = a->dir == LADDER_DOWN;

	r->started_left = 1;
	return ladder_error_set(error,
	                        "%s: migration %" PRId64 " %s (%s, no-transaction) ran, but recording it as done failed: "
	                        "%s. It is recorded as started: check the database, then repair its record as %s",
	                        ladder_step_source(step, down), step->def.version, step->def.name, down ? "down" : "up",
	                        ladder_error_last()->message, down ? "pending" : "applied");
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

	r->tx.open = 0;
	history_drop_unflushed(&r->st);
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

/* A no-transaction step's text must split into statements the engine can
 * run one by one: checked before anything is recorded as started. */
static int check_runs_alone(run *r, const action *a)
{
	const char *sql = a->text.sql;
	size_t offset = (size_t)-1;
	int error;

	if (sql != NULL &&
	    (error = conn_exec(r->conn, sql, strlen(sql), LADDER_EXEC_SEPARATE | LADDER_EXEC_CHECK, &offset)) < 0)
		return step_failed(a, error, offset, 0);
	return 0;
}

/* Does the run commit right after this step (in its transaction)? A step
 * per transaction, or an enum value later steps may use only once it is
 * committed (ALTER TYPE ... ADD VALUE). The dry run reports the same. */
static int commits_after(const run *r, const action *a)
{
	return (r->opts->flags & LADDER_TX_PER_MIGRATION) || (action_flags(a) & LADDER_COMMIT_AFTER);
}


/* --- statement by statement ---------------------------------------------------------- */

/* A step runs statement by statement where DDL commits implicitly: the
 * run cannot be one transaction there, so each unit commits with a record
 * of how far the step has come. */
static int by_statement(const run *r, const action *a)
{
	return conn_can(r->conn, LADDER_DRIVER_DDL_COMMITS) && a->text.stmts != NULL;
}

/* Where the step stands, in memory (written with the next flush). */
static int record_progress(run *r, const action *a, int64_t done, int stopped, const char *applied_at)
{
	step_progress p = {a->dir == LADDER_DOWN ? LADDER_DOWN : LADDER_UP, done, stopped};
	char prefix[LADDER_HASH_HEX];
	int error;

	if ((error = progress_prefix(prefix, &a->text, done)) < 0)
		return error;
	return history_record_progress(&r->st, a->step, &p, prefix, applied_at);
}

/* Record where the step stands, durably: in the open transaction's commit,
 * or on its own. */
static int progress_commit(run *r, const action *a, int64_t done, int stopped, const char *applied_at)
{
	int error;

	if ((error = record_progress(r, a, done, stopped, applied_at)) < 0)
		return error;
	if (r->tx.open)
		return tx_commit(r);
	/* Alone, the record is one statement, and one statement is atomic
	 * under autocommit: no transaction around it, two round trips less
	 * for every DDL statement. */
	if ((error = history_flush(&r->st, r->db)) < 0)
		return error;
	/* a handed-in connection with autocommit off opened a transaction */
	if (conn_in_transaction(r->conn) && (error = conn_commit(r->conn)) < 0)
		return error;
	r->committed = 1;
	return 0;
}

static const char *step_direction(const action *a)
{
	return a->dir == LADDER_DOWN ? "down" : "up";
}

/* A step that stopped before its first statement completed is where it
 * was before: an up pending (its row goes), a down applied. */
static int progress_undo(run *r, const action *a)
{
	long at;
	int error;

	if ((error = tx_begin(r)) < 0)
		return error;
	if (a->dir != LADDER_DOWN)
		error = history_forget(&r->st, r->db, r->plan, a->step->def.version);
	else if ((at = history_find(&r->st, a->step->def.version)) >= 0 &&
	         (error = history_set_checksum(&r->st, (size_t)at, a->step->checksum)) == 0)
		history_set_started(&r->st, (size_t)at, 0);
	return error < 0 ? error : tx_commit(r);
}

/* A unit failed at statement `failed`, with the statements before `done`
 * committed: roll back what is open, record that the step stopped before
 * statement done + 1 (when there is anything to record), and say exactly
 * what is committed. */
static int statement_failed(run *r, const action *a, int error, size_t offset, size_t done, size_t failed,
                            int row_stored, const char *applied_at)
{
	const char *engine = r->conn->driver->name;
	int down = a->dir == LADDER_DOWN;
	ladder_error_saved saved;
	char committed[256];
	int recorded = 0, record_error = 0;

	error = step_failed(a, error, offset, 0);
	ladder_error_save(&saved);
	txn_abandon(&r->tx, &r->st);
	r->recorded = r->durable;
	if (done == 0 && row_stored) {
		record_error = progress_undo(r, a);
		row_stored = record_error < 0;
	} else if (done > 0) {
		record_error = progress_commit(r, a, (int64_t)done, 1, applied_at);
		recorded = record_error == 0;
	}
	if (record_error < 0)
		txn_abandon(&r->tx, &r->st);
	ladder_error_restore(&saved);
	if (recorded)
		r->started_left = 1;
	if (done == 0)
		snprintf(committed, sizeof(committed), "Nothing of %s %s was committed", down ? "its" : "the step's",
		         step_direction(a));
	else if (done == 1)
		snprintf(committed, sizeof(committed), "Statement 1 of %s stays committed (%s commits each DDL statement)",
		         down ? "its down" : "it", engine);
	else
		snprintf(committed, sizeof(committed), "Statements 1-%zu of %s stay committed (%s commits each DDL statement)",
		         done, down ? "its down" : "it", engine);
	if (recorded)
		return ladder_error_set(saved.code,
		                        "%s. %s; it is recorded as stopped before statement %zu: fix statement %zu (or a later "
		                        "one), keeping statements before it as they are, then run %s again to continue from it",
		                        saved.message, committed, done + 1, failed + 1, step_direction(a));
	if (done == 0 && !row_stored)
		return ladder_error_set(saved.code, "%s. %s: it is %s", saved.message, committed,
		                        down ? "still applied" : "still pending");
	return ladder_error_set(saved.code,
	                        "%s. %s, and recording that failed too: the record says statement %zu may have been "
	                        "running, so the next %s checks where the step stands before going on",
	                        saved.message, committed, done + 1, step_direction(a));
}

/* The step the record left part way: is the text up to where it stopped
 * still what ran? */
static int resume_matches(const action *a)
{
	char prefix[LADDER_HASH_HEX];

	if ((size_t)a->resume.done > a->text.nstmts)
		return 0;
	if (progress_prefix(prefix, &a->text, a->resume.done) < 0)
		return -1;
	return strcmp(prefix, a->resume_prefix) == 0;
}

/* Where a step left part way goes on: the first statement not known to be
 * done. The statement that was running when the last run stopped is
 * looked up in the catalog where it commits implicitly (a transaction's
 * statements rolled back with it); where the catalog cannot tell, the run
 * is refused before anything changes. */
static int resume_at(run *r, const action *a, size_t *first)
{
	const ladder_step *step = a->step;
	size_t done = (size_t)a->resume.done;
	char statement[256], why[256];
	progress_outcome outcome;
	int matches, error;

	*first = done;
	if ((matches = resume_matches(a)) < 0)
		return ladder_error_set(LADDER_ENOMEM, "out of memory checking migration %" PRId64, step->def.version);
	if (!matches)
		return ladder_error_set(LADDER_ECHECKSUM,
		                        "%s: migration %" PRId64 " %s stopped after %" PRId64 " of its %s statements, and "
		                        "the text up to there has changed since they ran: put statements 1-%" PRId64
		                        " back as they were (later ones may change), or check the database by hand and "
		                        "repair its record",
		                        ladder_step_source(step, a->dir == LADDER_DOWN), step->def.version, step->def.name,
		                        a->resume.done, step_direction(a), a->resume.done);
	if (a->resume.stopped || done >= a->text.nstmts || !progress_is_alone(&a->text, done))
		return 0;
	if ((error = progress_check(&outcome, r->conn, &a->text, done, why, sizeof(why))) < 0)
		return error;
	if (outcome == PROGRESS_RAN)
		*first = done + 1;
	if (outcome != PROGRESS_UNKNOWN)
		return 0;
	progress_statement(statement, sizeof(statement), step, a->dir, &a->text, done);
	return ladder_error_set(LADDER_EINTERRUPTED,
	                        "%s: migration %" PRId64 " %s (%s): %s was running when the last run stopped, and the "
	                        "database cannot say whether it took effect (%s). Check by hand, then run `ladder repair "
	                        "--statement-done %" PRId64 "` if it did or `ladder repair --statement-not-done %" PRId64
	                        "` if it did not; `ladder %s` then goes on",
	                        ladder_step_source(step, a->dir == LADDER_DOWN), step->def.version, step->def.name,
	                        step_direction(a), statement, why, step->def.version, step->def.version,
	                        step_direction(a));
}

/* A next step that opens with a statement that must run alone needs its
 * start on record first: it rides on this step's last commit. */
static int record_next_start(run *r, const action *a)
{
	action *next = (size_t)(a - r->actions) + 1 < r->nactions ? (action *)a + 1 : NULL;
	char applied_at[32];
	int error;

	if (next == NULL || !by_statement(r, next) || next->resume.dir != 0 || next->text.nstmts == 0 ||
	    !progress_is_alone(&next->text, 0))
		return 0;
	ladder_utc_now(applied_at, sizeof(applied_at));
	if ((error = record_progress(r, next, 0, 0, applied_at)) == 0)
		next->recorded_ahead = 1;
	return error;
}

static int finish_by_statement(run *r, const action *a, const char *applied_at, double took)
{
	int error;

	if (!r->tx.open && (error = tx_begin(r)) < 0)
		return error;
	if (a->dir != LADDER_DOWN && a->step->def.check_sql != NULL &&
	    (error = check_post_condition(r, a->step->def.check_sql)) < 0)
		return error;
	if ((error = a->dir == LADDER_DOWN ? record_down(r, a) : record_up(r, a, 0, applied_at, (int64_t)(took * 1000))) < 0)
		return error;
	if ((error = record_next_start(r, a)) < 0)
		return error;
	return tx_commit(r);
}

static int run_by_statement(run *r, const action *a, const char *applied_at, const struct timespec *start)
{
	const step_text *text = &a->text;
	const char *sql = text->sql;
	int timeout_ms = text->statement_timeout_ms;
	/* the position the store holds */
	int64_t durable = a->resume.dir != 0 ? a->resume.done : a->recorded_ahead ? 0 : -1;
	size_t k = 0, offset = (size_t)-1;
	int error;

	/* Judged before the open transaction commits: a refusal here changes
	 * nothing. */
	if (a->resume.dir != 0 && (error = resume_at(r, a, &k)) < 0)
		return error;
	if (r->tx.open && (error = tx_commit(r)) < 0)
		return error;
	if (timeout_ms > 0 && (error = conn_statement_timeout(r->conn, timeout_ms)) < 0)
		return step_failed(a, error, offset, 0);
	error = 0;
	while (k < text->nstmts && error == 0) {
		size_t end = progress_unit_end(text, k);
		size_t from = text->stmts[k].offset;
		size_t len = text->stmts[end - 1].offset + text->stmts[end - 1].len - from;

		r->lock_unavailable = 0;
		if (progress_is_alone(text, k)) {
			/* The store must say where the step stands before a statement
			 * that cannot share its transaction runs. */
			if (durable != (int64_t)k && (error = progress_commit(r, a, (int64_t)k, 0, applied_at)) < 0)
				break;
			durable = (int64_t)k;
			if ((error = conn_exec(r->conn, sql + from, len, 0, &offset)) < 0) {
				offset = offset == (size_t)-1 ? from : from + offset;
				error = statement_failed(r, a, error, offset, k, k, durable >= 0, applied_at);
				break;
			}
		} else {
			if ((error = tx_begin(r)) < 0)
				break;
			if ((error = conn_exec(r->conn, sql + from, len, 0, &offset)) < 0) {
				size_t failed = k;
				offset = offset == (size_t)-1 ? from : from + offset;
				while (failed + 1 < end && text->stmts[failed + 1].offset <= offset)
					failed++;
				error = statement_failed(r, a, error, offset, k, failed, durable >= 0, applied_at);
				break;
			}
		}
		k = end;
		if (k < text->nstmts) {
			if ((error = progress_commit(r, a, (int64_t)k, 0, applied_at)) == 0)
				durable = (int64_t)k;
		}
	}
	if (timeout_ms > 0) {
		ladder_error_saved saved;
		int put_back;
		ladder_error_save(&saved);
		put_back = conn_statement_timeout(r->conn, 0);
		if (error < 0)
			ladder_error_restore(&saved);
		else
			error = put_back;
	}
	if (error < 0)
		return error;
	if ((error = finish_by_statement(r, a, applied_at, ladder_seconds_since(start))) < 0) {
		int recorded;
		ladder_error_saved saved;
		ladder_error_save(&saved);
		txn_abandon(&r->tx, &r->st);
		recorded = progress_commit(r, a, (int64_t)text->nstmts, 1, applied_at) == 0;
		ladder_error_restore(&saved);
		r->started_left = recorded;
		return ladder_error_set(saved.code,
		                        "%s (migration %" PRId64 " %s, %s). Its %zu statements are committed; it is recorded as "
		                        "stopped after the last one: set things right, then run %s again to finish it",
		                        saved.message, a->step->def.version, a->step->def.name, step_direction(a),
		                        text->nstmts, step_direction(a));
	}
	return 0;
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

	if (by_statement(r, a)) {
		if ((error = run_by_statement(r, a, applied_at, &start)) < 0)
			return error;
		took = ladder_seconds_since(&start);
	} else if (no_tx) {
		if ((error = check_runs_alone(r, a)) < 0)
			return error;
		/* Alone: commit what came before, record "started" durably, run
		 * each statement on its own, then record "done". */
		if (r->tx.open && (error = tx_commit(r)) < 0)
			return error;
		if ((error = tx_begin(r)) < 0)
			return error;
		if (a->dir == LADDER_DOWN)
			mark_down_started(r, a);
		else if ((error = record_up(r, a, 1, applied_at, 0)) < 0)
			return error;
		if ((error = tx_commit(r)) < 0)
			return error;
		if ((error = run_step_body(r, a, 1)) < 0)
			return error;
		took = ladder_seconds_since(&start);
		if ((error = tx_begin(r)) == 0)
			error = a->dir == LADDER_DOWN ? record_down(r, a) : record_up(r, a, 0, applied_at, (int64_t)(took * 1000));
		if (error == 0)
			error = tx_commit(r);
		if (error < 0)
			return done_unrecorded(r, a, error);
	} else {
		if (!r->tx.open && (error = tx_begin(r)) < 0)
			return error;
		if (a->text.sql == NULL && (error = conn_transaction_mark(r->conn, mark_before, sizeof(mark_before))) < 0)
			return error;
		error = run_step_body(r, a, 0);
		/* A callback that ran COMMIT; BEGIN left a transaction open, but
		 * not ladder's: what ran before it is committed. */
		if (mark_before[0] != '\0' && conn_in_transaction(r->conn)) {
			/* After a failed statement the mark cannot be read: keep the
			 * step's error either way. */
			ladder_error_saved saved;
			int unread;
			ladder_error_save(&saved);
			unread = conn_transaction_mark(r->conn, mark_after, sizeof(mark_after)) < 0;
			ladder_error_restore(&saved);
			if (!unread && strcmp(mark_before, mark_after) != 0)
				return boundary_lost(r, a, error);
		}
		/* A text the parser read cannot have ended the transaction: gone
		 * after an error on an engine that ends it itself, it was rolled
		 * back (SQLite: RAISE(ROLLBACK), SQLITE_FULL). */
		if (!conn_in_transaction(r->conn) &&
		    !(error < 0 && a->text.read && conn_can(r->conn, LADDER_DRIVER_ENDS_TX_ON_ERROR)))
			return boundary_lost(r, a, error);
		if (error < 0)
			return error;
		took = ladder_seconds_since(&start);
		error = a->dir == LADDER_DOWN ? record_down(r, a) : record_up(r, a, 0, applied_at, (int64_t)(took * 1000));
		if (error == 0 && commits_after(r, a))
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

/* The state classified against the plan. A started row seen without the
 * session lock may be another process's no-transaction step still running:
 * only the lock holder can judge (RETRY_RUN). A dry run, which never
 * locks, judges it as it stands. */
static int analyse(run *r, analysis *a)
{
	int error;

	r->nactions = 0;
	if ((error = analysis_build(a, r->plan, &r->st)) < 0)
		return error;
	if (a->has_started && !r->tx.locked && !(r->opts->flags & LADDER_DRY_RUN)) {
		analysis_clear(a);
		return RETRY_RUN;
	}
	return 0;
}

/* A step an earlier run left part way, statement by statement, that this
 * direction goes on with. */
static int resumes(const entry *e, ladder_direction dir)
{
	return e->state == LADDER_STATE_INTERRUPTED && e->row != NULL && e->step != NULL && e->row->progress.dir == (int)dir;
}

static int resumes_up(const entry *e)
{
	return resumes(e, LADDER_UP);
}

static void set_resume(action *a, const ladder_row *row)
{
	a->resume = row->progress;
	memcpy(a->resume_prefix, row->checksum, sizeof(a->resume_prefix));
}

/* Statement-by-statement progress the other way: finish it first. */
static int refuse_other_direction(const entry *e, ladder_direction dir)
{
	const ladder_row *row = e->row;

	return ladder_error_set(LADDER_EINTERRUPTED,
	                        "migration %" PRId64 " %s is part way through its %s (%" PRId64 " statement%s done%s): run "
	                        "`ladder %s` to finish that first, or check the database and repair its record; nothing "
	                        "was changed",
	                        e->version, row->name, dir == LADDER_UP ? "down" : "up", row->progress.done,
	                        row->progress.done == 1 ? "" : "s", row->progress.stopped ? ", then it stopped" : "",
	                        dir == LADDER_UP ? "down" : "up");
}

static int plan_up(run *r)
{
	analysis a;
	int64_t target = r->opts->target;
	int use_baseline;
	int error;

	if ((error = analyse(r, &a)) != 0)
		return error;
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
		if (!pending && !resumes_up(e))
			continue;
		if (target != 0 && e->version > target)
			continue;
		if ((error = push_action(r, e->step, LADDER_UP)) == 0 && resumes_up(e))
			set_resume(&r->actions[r->nactions - 1], e->row);
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

	if ((error = analyse(r, &a)) != 0)
		return error;
	/* Like up --to a version the plan lacks: a target above where the
	 * database stands is a mistake, not nothing to do. */
	if (target > a.current) {
		error = ladder_error_set(LADDER_EINVALID,
		                         "cannot go down to version %" PRId64 ": the database is at version %" PRId64
		                         ", below it; nothing was changed",
		                         target, a.current);
		analysis_clear(&a);
		return error;
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
		if (resumes(e, LADDER_DOWN)) {
			if ((error = push_action(r, e->step, LADDER_DOWN)) == 0)
				set_resume(&r->actions[r->nactions - 1], e->row);
		} else if (e->state == LADDER_STATE_INTERRUPTED && e->row && e->row->progress.dir != 0)
			error = refuse_other_direction(e, LADDER_DOWN);
		else if (e->state == LADDER_STATE_INTERRUPTED)
			error = analysis_refuse_up(&a, r->plan, 0, LADDER_ALLOW_NEWER | LADDER_ALLOW_OUT_OF_ORDER | (r->opts->flags & LADDER_DRY_RUN));
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
			error = analysis_refuse_up(&a, r->plan, 0, r->opts->flags & LADDER_DRY_RUN);
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

/* A run that commits more than once, or may meet another process's
 * no-transaction step, holds a lock across its transactions (txn_lock
 * chooses which). */
static int commits_more_than_once(const run *r)
{
	int several = ((r->opts->flags & LADDER_TX_PER_MIGRATION) && r->nactions > 1) || history_has_started(&r->st) ||
	              conn_can(r->conn, LADDER_DRIVER_DDL_COMMITS);
	for (size_t i = 0; i < r->nactions && !several; i++)
		several = (action_flags(&r->actions[i]) & (LADDER_NO_TRANSACTION | LADDER_COMMIT_AFTER)) != 0;
	return several;
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

/* Foreign keys off for the run where a step needs it (before any
 * transaction: the switch is a no-op inside one); run_cleanup restores it. */
static int foreign_keys_off_for_run(run *r)
{
	int error;

	if (!needs_fk_off(r))
		return 0;
	if ((error = conn_set_foreign_keys(r->conn, 0, &r->fk_was_on)) < 0)
		return error;
	r->fk_off = 1;
	return 0;
}

/* A light store records nothing until the commit, so it cannot hold a
 * step that runs alone. */
static int refuse_no_tx_in_light_store(const run *r)
{
	if (r->st.light)
		for (size_t i = 0; i < r->nactions; i++)
			if (action_flags(&r->actions[i]) & LADDER_NO_TRANSACTION)
				return refuse_light_no_tx(&r->actions[i]);
	return 0;
}

static void run_cleanup(run *r)
{
	txn_abandon(&r->tx, &r->st);
	r->recorded = r->durable; /* what was rolled back is not recorded */
	if (r->fk_off) {
		int ignored;
		ladder_error_saved saved;
		ladder_error_save(&saved);
		conn_set_foreign_keys(r->conn, r->fk_was_on, &ignored);
		ladder_error_restore(&saved);
		r->fk_off = 0;
	}
	txn_unlock(&r->tx);
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
	/* Committed, but no step finished: an empty transaction, or a
	 * no-transaction step's started mark. */
	if (r->durable == 0)
		return r->started_left ? error
		                       : ladder_error_set(error, "%s. No step finished: the database is still at version %" PRId64,
		                                          message, r->from);
	return ladder_error_set(error, "%s. Steps committed before it stay %s: the database is now at version %" PRId64,
	                        message, r->dir == LADDER_DOWN ? "reverted" : "applied", r->durable_head);
}

/* --- a dry run ------------------------------------------------------------------------------ */

/* LADDER_DRY_RUN: the steps were chosen and read as the run chooses and
 * reads them. Meet every refusal the run would meet before its first step,
 * then report each step and record it in memory only, so that the result
 * says where the run would end. No lock, no transaction, nothing written
 * (the foreign-key switch is the connection's, and run_cleanup restores
 * it). */
static int dry_run(run *r)
{
	int error;

	if ((error = foreign_keys_off_for_run(r)) < 0 || (error = refuse_no_tx_in_light_store(r)) < 0)
		return error;
	for (size_t i = 0; i < r->nactions; i++) {
		const action *a = &r->actions[i];
		if ((action_flags(a) & LADDER_NO_TRANSACTION) && (error = check_runs_alone(r, a)) < 0)
			return explain_failure(r, error);
	}
	for (size_t i = 0; i < r->nactions; i++) {
		const action *a = &r->actions[i];
		int no_tx = (action_flags(a) & LADDER_NO_TRANSACTION) != 0;
		if (a->dir == LADDER_DOWN)
			error = history_forget(&r->st, NULL, r->plan, a->step->def.version);
		else
			error = history_record(&r->st, a->step, a->dir == LADDER_BASELINE ? "baseline" : "migration", 0, "", 0);
		if (error < 0)
			return error;
		/* where run_action commits: before a step that runs alone (what came
		 * before it), after it (recorded done), after commits_after steps,
		 * and at the end of the run */
		if (no_tx && i > 0 && !commits_after(r, &r->actions[i - 1]) &&
		    !(action_flags(&r->actions[i - 1]) & LADDER_NO_TRANSACTION))
			notify(r, LADDER_EVENT_PLANNED_COMMIT, &r->actions[i - 1], 0);
		notify(r, LADDER_EVENT_PLANNED, a, 0);
		if (no_tx || commits_after(r, a) || i + 1 == r->nactions)
			notify(r, LADDER_EVENT_PLANNED_COMMIT, a, 0);
		r->applied++;
	}
	return 0;
}

/* --- lock retries ------------------------------------------------------------------------ */

/* A version 1 struct ends before lock_retries. */
static int max_lock_retries(const run *r)
{
	return r->opts->version >= 2 && r->opts->lock_retries > 0 ? r->opts->lock_retries : 0;
}

/* May the failed action's transaction be rolled back and run again? Only
 * when a statement of the step could not get a lock, the transaction is
 * still ladder's and open (so that rolling it back undoes exactly the steps
 * from r->tx_first on), and the step ran inside it: a no-transaction
 * step's statements are committed one by one, and a failed CREATE INDEX
 * CONCURRENTLY leaves an invalid index behind, so it is never run again. */
static int may_retry(run *r, const action *a, int error)
{
	return error == LADDER_ELOCK_UNAVAILABLE && r->lock_unavailable && !r->boundary_lost && r->tx.open &&
	       conn_in_transaction(r->conn) && !(action_flags(a) & LADDER_NO_TRANSACTION) &&
	       r->lock_retries < max_lock_retries(r);
}

/* The failure stands: say how many retries were made, or why none was. */
static int lock_gave_up(run *r, const action *a, int error)
{
	if (error != LADDER_ELOCK_UNAVAILABLE || !r->lock_unavailable || max_lock_retries(r) == 0)
		return error;
	if (action_flags(a) & LADDER_NO_TRANSACTION)
		return ladder_error_set(error,
		                        "%s. Not retried: a no-transaction step is never run again, as its statements "
		                        "commit one by one",
		                        ladder_error_last()->message);
	if (r->lock_retries >= max_lock_retries(r))
		return ladder_error_set(error, "%s. Gave up after %d lock retr%s", ladder_error_last()->message,
		                        r->lock_retries, r->lock_retries == 1 ? "y" : "ies");
	return error;
}

/* Back off before running the rolled-back transaction again; the wait is
 * reported first. */
static void lock_backoff(run *r, const action *a)
{
	double delay = txn_retry_delay(++r->lock_retries);

	notify(r, LADDER_EVENT_LOCK_RETRY, a, delay);
	txn_pause(delay);
}

/* Roll back the open transaction (the steps from r->tx_first to the one
 * that failed), back off, and begin again at r->tx_first. What committed
 * before it stays; the session lock is held throughout. */
static int retry_in_place(run *r, const action *a)
{
	txn_abandon(&r->tx, &r->st);
	r->recorded = r->durable;
	r->applied = r->tx_applied;
	lock_backoff(r, a);
	r->current = r->tx_first;
	return tx_begin(r);
}

/* Emptiness decides whether a baseline applies and whether a floor
 * refuses; a plan with neither never asks. */
static int needs_emptiness(const ladder_plan *plan)
{
	return plan->has_baseline || plan->floor > 0;
}

static int run_locked(run *r, int force_session_lock, int first_attempt)
{
	int error;

	if ((error = history_read(&r->st, r->db, needs_emptiness(r->plan))) < 0)
		return error;
	if (first_attempt)
		r->from = history_finished(&r->st);
	r->durable_head = history_finished(&r->st);
	if ((error = plan_run(r)) == RETRY_RUN)
		force_session_lock = 1;
	else if (error < 0)
		return error;
	else if (r->nactions == 0)
		return 0;
	if (r->opts->flags & LADDER_DRY_RUN)
		return dry_run(r);

	if ((error = txn_lock(&r->tx, force_session_lock || commits_more_than_once(r))) < 0)
		return error;
	r->current = 0;
	if ((error = foreign_keys_off_for_run(r)) < 0 || (error = tx_begin(r)) < 0)
		return error;
	/* Another process may have migrated while we waited: judge again. */
	history_clear(&r->st);
	if ((error = history_read(&r->st, r->db, needs_emptiness(r->plan))) < 0)
		return error;
	if ((error = plan_run(r)) != 0)
		return error;
	/* Create the store (and a PostgreSQL schema) before the steps, so they
	 * land in it whatever the store's kind. */
	if (r->nactions > 0 && (error = conn_store_prepare(r->conn, &r->db->store)) < 0)
		return error;
	if ((error = refuse_no_tx_in_light_store(r)) < 0)
		return error;
	for (size_t i = 0; i < r->nactions;) {
		const action *a = &r->actions[i];
		r->current = i;
		if ((error = run_action(r, a)) == 0) {
			i++;
			continue;
		}
		if (error == RETRY_RUN)
			return error;
		if (!may_retry(r, a, error))
			return explain_failure(r, lock_gave_up(r, a, error));
		/* The run's first transaction also created the store: run it all
		 * again, from the re-read under the lock. */
		if (r->begun == 1)
			return RETRY_LOCK;
		if ((error = retry_in_place(r, a)) < 0)
			return error == RETRY_RUN ? error : explain_failure(r, error);
		i = r->tx_first;
	}
	if (r->tx.open && (error = tx_commit(r)) < 0)
		return explain_failure(r, error);
	return 0;
}

static int run_with_retries(ladder_result *out, ladder_db *db, const ladder_plan *plan,
                            const ladder_run_options *opts, ladder_direction dir)
{
	run whole, *r = &whole;
	int error = 0;
	int force_lock = 0;

	memset(r, 0, sizeof(*r));
	r->db = db;
	r->tx.db = db;
	r->tx.report = opts;
	r->tx.dir = dir;
	r->conn = db->conn;
	r->plan = plan;
	r->opts = opts;
	r->dir = dir;

	for (int attempt = 0, first = 1; attempt < RETRY_LIMIT; first = 0) {
		r->begun = 0;
		error = run_locked(r, force_lock, first);
		run_cleanup(r);
		if (error == RETRY_LOCK) {
			/* rolled back whole (run_cleanup): nothing of it is applied */
			r->applied = r->tx_applied;
			lock_backoff(r, &r->actions[r->current]);
			history_clear(&r->st);
			continue;
		}
		if (error != RETRY_RUN)
			break;
		attempt++;
		force_lock = 1;
		history_clear(&r->st);
	}
	if (error == RETRY_RUN)
		error = ladder_error_set(LADDER_ELOCKED, "the migration state kept changing under the lock");
	if (out) {
		out->from_version = r->from;
		out->to_version = error < 0 ? r->durable_head : run_current(r);
		out->applied = error < 0 ? r->durable : r->applied;
		out->fast_path = 0;
	}
	history_clear(&r->st);
	clear_actions(r->actions, r->nactions);
	return error;
}

static int check_args(ladder_db *db, const ladder_plan *plan, const ladder_run_options *opts)
{
	if (db == NULL || plan == NULL)
		return ladder_error_set(LADDER_EINVALID, "no database or no plan given");
	if (opts->version != LADDER_RUN_OPTIONS_VERSION && opts->version != 1)
		return ladder_error_set(LADDER_EINVALID, "ladder_run_options: unknown version %u", opts->version);
	if (conn_in_transaction(db->conn))
		return ladder_error_set(LADDER_EINVALID,
		                        "the connection has an open transaction: migrate before starting one");
	return ladder_plan_prepare(plan);
}

int ladder_migrate(ladder_result *out, ladder_db *db, const ladder_plan *plan, const ladder_run_options *opts)
{
	static const ladder_run_options defaults = LADDER_RUN_OPTIONS_INIT;
	int64_t head = ladder_plan_head(plan);
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
		if ((error = history_head(db, &db->store, &stored)) < 0)
			return error;
		if (history_head_is_current(&stored, plan, &db->store)) {
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
	return run_with_retries(out, db, plan, opts, LADDER_UP);
}

int ladder_down(ladder_result *out, ladder_db *db, const ladder_plan *plan, const ladder_run_options *opts)
{
	int error;

	if (out)
		memset(out, 0, sizeof(*out));
	if (opts == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_down needs options: a target version or a step count");
	if ((error = check_args(db, plan, opts)) < 0 || (error = ladder_plan_needs_downs(plan, "ladder_down")) < 0)
		return error;
	if (opts->target < 0 && opts->steps <= 0)
		return ladder_error_set(LADDER_EINVALID, "ladder_down: give a target version >= 0 or steps > 0");
	return run_with_retries(out, db, plan, opts, LADDER_DOWN);
}
