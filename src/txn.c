/*
 * txn.c — lock, begin, commit, abandon, unlock (see txn.h): which lock a run
 * takes (session, transaction-scoped, lease), how long a lease lasts and
 * when it is renewed (whenever the run begins a transaction), the polling
 * and the reports of a wait. The driver does the I/O.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* gethostname under -std=c11 */
#endif

#include "txn.h"

#include "error.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int txn_needs_lock(const ladder_db *db, int commits_more_than_once)
{
	return commits_more_than_once || conn_can(db->conn, LADDER_DRIVER_LOCK_ALWAYS);
}

/* Long enough not to poll the engine for the holder needlessly, short
 * enough for a person watching. */
#define WAIT_SLICE_MS 1000

static void report(const txn *t, ladder_event event, const char *holder, double seconds)
{
	if (t->report != NULL && t->report->progress != NULL)
		t->report->progress(t->report->progress_ctx, event, t->dir, 0, holder, seconds);
}

static void pause_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* What wait_for waits for. */
typedef enum {
	WAIT_WRITE,   /* the engine's write lock: begin(write) */
	WAIT_SESSION, /* the driver's session lock: lock() */
	WAIT_XACT,    /* begin, then the transaction-scoped lock (and the lease renewed) */
	WAIT_LEASE,   /* a transaction that takes the lease under that lock */
} wait_kind;

/* Who holds the lock, where the engine can tell: only ladder's own locks
 * have a holder ladder can name (SQLite's write lock may be anyone's). */
static const char *holder_of(txn *t, wait_kind what, char *buf, size_t len)
{
	buf[0] = '\0';
	if (what != WAIT_WRITE)
		conn_lock_holder(t->db->conn, &t->db->store, buf, len);
	return buf[0] ? buf : NULL;
}

/* Backoff between tries of the transaction-scoped lock: from 5 ms to 200 ms,
 * with jitter so that a fleet started at one instant does not poll in
 * lockstep (the driver's lock() polls the same way). */
#define POLL_FIRST_MS 5
#define POLL_MAX_MS 200

/* splitmix64 over the clock and the process: no shared state to guard,
 * and two processes that retry at the same instant still differ. */
static double random_unit(uint64_t salt)
{
	struct timespec now;
	uint64_t x;

	clock_gettime(CLOCK_REALTIME, &now);
	x = ((uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec) ^ ((uint64_t)getpid() << 32) ^ salt;
	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	x ^= x >> 31;
	return (double)(x >> 11) / (double)(UINT64_C(1) << 53); /* [0, 1) */
}

typedef struct poll_state {
	double delay_ms;
	uint64_t tries;
} poll_state;

/* 0.8 to 1.2 */
static double jitter(poll_state *p)
{
	return 0.8 + 0.4 * random_unit(++p->tries);
}

/* One try at the transaction-scoped lock inside a transaction of ours:
 * *got = 0 leaves no transaction open, so that a waiting migrator holds no
 * snapshot (CREATE INDEX CONCURRENTLY in the holder waits for every older
 * one) and, behind a pooler, no server connection. */
static int try_xact(txn *t, int take_lease, int *got)
{
	ladder_conn *conn = t->db->conn;
	const ladder_store *store = &t->db->store;
	const char *owner = t->kind == TXN_LOCK_LEASE ? t->lease.owner : NULL;
	int kept = 1, error;

	*got = 0;
	if ((error = conn_begin(conn, 1, 0)) < 0)
		return error;
	if ((error = conn_xact_lock(conn, store, owner, got)) < 0 || !*got)
		goto done;
	if (take_lease) {
		if ((error = conn_lease_take(conn, store, &t->lease)) == 0)
			error = conn_commit(conn);
	} else if (t->kind == TXN_LOCK_LEASE && t->locked) {
		if ((error = conn_lease_renew(conn, store, &t->lease, &kept)) == 0 && !kept) {
			t->lease_lost = 1;
			error = ladder_error_set(LADDER_ELOCKED,
			                         "this run's lease on the migration lock on %s expired (not renewed for "
			                         "%.1f s) and another migrator took it over: stopping here",
			                         conn_display(conn), t->lease.expiry_ms / 1000.0);
		}
	}
done:
	if (error < 0 || !*got || take_lease) {
		ladder_error_saved saved;
		ladder_error_save(&saved);
		if (conn_in_transaction(conn))
			conn_rollback(conn);
		ladder_error_restore(&saved);
	}
	if (error < 0)
		*got = 0;
	return error;
}

/* Try the transaction-scoped lock (or the lease) until it is ours or
 * slice_ms passed: LADDER_ELOCKED then, as the driver's lock() says. */
static int poll_xact(txn *t, int take_lease, int slice_ms, poll_state *p)
{
	struct timespec start;
	int got = 0, error;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		double waited_ms, pause;
		if ((error = try_xact(t, take_lease, &got)) < 0)
			return error;
		if (got)
			return 0;
		waited_ms = ladder_seconds_since(&start) * 1000;
		if (waited_ms >= slice_ms)
			return LADDER_ELOCKED;
		pause = p->delay_ms * jitter(p);
		if (pause > slice_ms - waited_ms)
			pause = slice_ms - waited_ms;
		pause_ms((int)pause + 1);
		p->delay_ms = p->delay_ms * 2 > POLL_MAX_MS ? POLL_MAX_MS : p->delay_ms * 2;
	}
}

/* One slice of the wait, whatever is waited for. */
static int try_slice(txn *t, wait_kind what, int slice_ms, poll_state *p)
{
	ladder_conn *conn = t->db->conn;

	switch (what) {
	case WAIT_SESSION:
		return conn_lock(conn, &t->db->store, slice_ms);
	case WAIT_XACT:
		return poll_xact(t, 0, slice_ms, p);
	case WAIT_LEASE:
		return poll_xact(t, 1, slice_ms, p);
	case WAIT_WRITE:
	default:
		return conn_begin(conn, 1, slice_ms);
	}
}

/* The lock op, BEGIN IMMEDIATE, or the transaction-scoped lock. With a
 * progress callback, tried a slice of about a second at a time, the wait
 * reported between slices; without one, in one call, as the driver (or
 * poll_xact) polls with its own backoff. The timeout's message covers the
 * whole wait and names who held the lock. */
static int wait_for(txn *t, wait_kind what)
{
	ladder_conn *conn = t->db->conn;
	const int timeout_ms = t->db->lock_timeout_ms;
	const int listening = t->report != NULL && t->report->progress != NULL;
	const int migration = what != WAIT_WRITE;
	char holder[256];
	struct timespec start;
	poll_state poll;
	double waited = 0;
	int reported = 0, error;

	clock_gettime(CLOCK_MONOTONIC, &start);
	poll.delay_ms = POLL_FIRST_MS;
	poll.tries = (uint64_t)(uintptr_t)t;
	for (;;) {
		int remaining = timeout_ms - (int)(waited * 1000), slice;
		double before = waited;
		if (remaining < 0)
			remaining = 0;
		slice = listening && remaining > WAIT_SLICE_MS ? WAIT_SLICE_MS : remaining;
		error = try_slice(t, what, slice, &poll);
		waited = ladder_seconds_since(&start);
		/* a lost lease is LADDER_ELOCKED too, but no wait ends it */
		if (error != LADDER_ELOCKED || t->lease_lost)
			break;
		if (waited * 1000 >= timeout_ms) {
			/* the timeout, not the clock: the wait ran out at it, and the
			 * message stays the same on a slow machine */
			const char *who = holder_of(t, what, holder, sizeof(holder));
			error = ladder_error_set(LADDER_ELOCKED, "another %s holds the %s lock on %s (waited %.1f s%s%s)",
			                         migration ? "migrator" : "connection", migration ? "migration" : "write",
			                         conn_display(conn), timeout_ms / 1000.0, who ? "; held by " : "", who ? who : "");
			break;
		}
		/* an engine that answered "busy" without waiting is not spun on */
		if ((waited - before) * 1000 < slice / 2)
			pause_ms(remaining < 50 ? remaining : 50);
		/* about once a second (a slice may end a hair before it) */
		if (listening && (int)(waited + 0.1) > reported) {
			reported = (int)(waited + 0.1);
			report(t, LADDER_EVENT_LOCK_WAIT, holder_of(t, what, holder, sizeof(holder)), waited);
		}
	}
	if (error == 0 && reported)
		report(t, LADDER_EVENT_LOCK_TAKEN, NULL, waited);
	return error;
}

const char *txn_lock_kind_name(txn_lock_kind kind)
{
	switch (kind) {
	case TXN_LOCK_SESSION: return "session";
	case TXN_LOCK_XACT: return "transaction";
	case TXN_LOCK_LEASE: return "lease";
	case TXN_LOCK_NONE:
	default: return "none";
	}
}

/* Who this run is, for the lease row: another migrator names it when it
 * waits, and only this run may renew or release it. */
static void lease_init(txn *t)
{
	static unsigned int counter;
	struct timespec now;
	unsigned int nonce;

	memset(&t->lease, 0, sizeof(t->lease));
	t->lease_lost = 0;
	if (gethostname(t->lease.host, sizeof(t->lease.host) - 1) != 0 || t->lease.host[0] == '\0')
		snprintf(t->lease.host, sizeof(t->lease.host), "unknown");
	t->lease.pid = (long)getpid();
	clock_gettime(CLOCK_REALTIME, &now);
	nonce = (unsigned int)now.tv_nsec ^ ((unsigned int)now.tv_sec << 7) ^ (unsigned int)(uintptr_t)t ^
	        (__atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) * 2654435761u);
	snprintf(t->lease.owner, sizeof(t->lease.owner), "%.40s:%ld:%08x", t->lease.host, t->lease.pid, nonce);
	t->lease.expiry_ms = t->db->lease_expiry_ms;
}

/* The lock for this run, engine-neutral: a driver without the pooler ops
 * has its lock() (when the run needs one) and nothing else; otherwise the
 * database's mode decides, auto asking whether a pooler is in between. */
static int choose(txn *t, int several, txn_lock_kind *kind)
{
	ladder_db *db = t->db;
	ladder_lock_mode mode = db->lock_mode;
	int pooled = 0, error;

	*kind = TXN_LOCK_NONE;
	if (!txn_needs_lock(db, several))
		return 0;
	if (!conn_has_pooler_locks(db->conn)) {
		*kind = TXN_LOCK_SESSION;
		return 0;
	}
	if (mode == LADDER_LOCK_AUTO) {
		if ((error = conn_pooled(db->conn, &pooled)) < 0)
			return error;
		mode = pooled ? LADDER_LOCK_TRANSACTION : LADDER_LOCK_SESSION;
	}
	if (mode == LADDER_LOCK_SESSION)
		*kind = TXN_LOCK_SESSION;
	else if (mode == LADDER_LOCK_LEASE || several)
		*kind = TXN_LOCK_LEASE;
	else
		*kind = TXN_LOCK_XACT;
	return 0;
}

int txn_lock(txn *t, int commits_more_than_once)
{
	int error;

	if (t->locked)
		return 0;
	if ((error = choose(t, commits_more_than_once, &t->kind)) < 0)
		return error;
	switch (t->kind) {
	case TXN_LOCK_SESSION:
		error = wait_for(t, WAIT_SESSION);
		break;
	case TXN_LOCK_LEASE:
		lease_init(t);
		error = wait_for(t, WAIT_LEASE);
		break;
	default:
		return 0;
	}
	if (error == 0)
		t->locked = 1;
	return error;
}

int txn_begin(txn *t)
{
	int error = wait_for(t, t->kind == TXN_LOCK_XACT || t->kind == TXN_LOCK_LEASE ? WAIT_XACT : WAIT_WRITE);
	if (error == 0)
		t->open = 1;
	return error;
}

int txn_commit(txn *t, history *h)
{
	int error;

	if ((error = history_flush(h, t->db)) < 0 || (error = conn_commit(t->db->conn)) < 0)
		return error;
	t->open = 0;
	return 0;
}

void txn_abandon(txn *t, history *h)
{
	if (t->open || conn_in_transaction(t->db->conn)) {
		ladder_error_saved saved;
		ladder_error_save(&saved);
		conn_rollback(t->db->conn);
		ladder_error_restore(&saved);
	}
	t->open = 0;
	if (h != NULL)
		history_drop_unflushed(h);
}

void txn_unlock(txn *t)
{
	if (t->locked) {
		ladder_error_saved saved;
		ladder_error_save(&saved);
		if (t->kind == TXN_LOCK_LEASE)
			conn_lease_release(t->db->conn, &t->db->store, &t->lease);
		else
			conn_unlock(t->db->conn, &t->db->store);
		ladder_error_restore(&saved);
		t->locked = 0;
	}
}

#define RETRY_FIRST_S 0.2
#define RETRY_MAX_S 10.0

double txn_retry_delay(int retry)
{
	double nominal = RETRY_FIRST_S;

	for (int i = 1; i < retry && nominal < RETRY_MAX_S; i++)
		nominal *= 2;
	if (nominal > RETRY_MAX_S)
		nominal = RETRY_MAX_S;
	return nominal * (1.0 - 0.5 * random_unit((uint64_t)retry));
}

void txn_pause(double seconds)
{
	pause_ms((int)(seconds * 1000 + 0.5));
}
