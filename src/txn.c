/*
 * txn.c — lock, begin, commit, abandon, unlock (see txn.h).
 */
#include "txn.h"

#include "error.h"

#include <errno.h>
#include <stdint.h>
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

/* Who holds the lock, where the engine can tell: only the session lock
 * has a holder ladder can name (SQLite's write lock may be anyone's). */
static const char *holder_of(txn *t, int session_lock, char *buf, size_t len)
{
	buf[0] = '\0';
	if (session_lock)
		conn_lock_holder(t->db->conn, &t->db->store, buf, len);
	return buf[0] ? buf : NULL;
}

/* The lock op or BEGIN IMMEDIATE. With a progress callback, tried a slice
 * of about a second at a time, the wait reported between slices; without
 * one, in one call, as the driver polls with its own backoff. The timeout's
 * message covers the whole wait and names who held the lock. */
static int wait_for(txn *t, int session_lock)
{
	ladder_conn *conn = t->db->conn;
	const int timeout_ms = t->db->lock_timeout_ms;
	const int listening = t->report != NULL && t->report->progress != NULL;
	char holder[256];
	struct timespec start;
	double waited = 0;
	int reported = 0, error;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int remaining = timeout_ms - (int)(waited * 1000), slice;
		double before = waited;
		if (remaining < 0)
			remaining = 0;
		slice = listening && remaining > WAIT_SLICE_MS ? WAIT_SLICE_MS : remaining;
		error = session_lock ? conn_lock(conn, &t->db->store, slice) : conn_begin(conn, 1, slice);
		waited = ladder_seconds_since(&start);
		if (error != LADDER_ELOCKED)
			break;
		if (waited * 1000 >= timeout_ms) {
			/* the timeout, not the clock: the wait ran out at it, and the
			 * message stays the same on a slow machine */
			const char *who = holder_of(t, session_lock, holder, sizeof(holder));
			error = ladder_error_set(LADDER_ELOCKED, "another %s holds the %s lock on %s (waited %.1f s%s%s)",
			                         session_lock ? "migrator" : "connection", session_lock ? "migration" : "write",
			                         conn_display(conn), timeout_ms / 1000.0, who ? "; held by " : "", who ? who : "");
			break;
		}
		/* an engine that answered "busy" without waiting is not spun on */
		if ((waited - before) * 1000 < slice / 2)
			pause_ms(remaining < 50 ? remaining : 50);
		/* about once a second (a slice may end a hair before it) */
		if (listening && (int)(waited + 0.1) > reported) {
			reported = (int)(waited + 0.1);
			report(t, LADDER_EVENT_LOCK_WAIT, holder_of(t, session_lock, holder, sizeof(holder)), waited);
		}
	}
	if (error == 0 && reported)
		report(t, LADDER_EVENT_LOCK_TAKEN, NULL, waited);
	return error;
}

int txn_lock(txn *t)
{
	int error = wait_for(t, 1);
	if (error == 0)
		t->locked = 1;
	return error;
}

int txn_begin(txn *t)
{
	int error = wait_for(t, 0);
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
		conn_unlock(t->db->conn, &t->db->store);
		ladder_error_restore(&saved);
		t->locked = 0;
	}
}

#define RETRY_FIRST_S 0.2
#define RETRY_MAX_S 10.0

/* splitmix64 over the clock and the process: no shared state to guard,
 * and two processes that retry at the same instant still differ. */
static double jitter(int retry)
{
	struct timespec now;
	uint64_t x;

	clock_gettime(CLOCK_REALTIME, &now);
	x = ((uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)retry;
	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	x ^= x >> 31;
	return (double)(x >> 11) / (double)(UINT64_C(1) << 53); /* [0, 1) */
}

double txn_retry_delay(int retry)
{
	double nominal = RETRY_FIRST_S;

	for (int i = 1; i < retry && nominal < RETRY_MAX_S; i++)
		nominal *= 2;
	if (nominal > RETRY_MAX_S)
		nominal = RETRY_MAX_S;
	return nominal * (1.0 - 0.5 * jitter(retry));
}

void txn_pause(double seconds)
{
	pause_ms((int)(seconds * 1000 + 0.5));
}
