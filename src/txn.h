/*
 * txn.h — the write transaction and the session lock around it, one
 * sequence for migrate, down, adopt and repair: lock (when needed), begin,
 * commit (writing the history first) or abandon, unlock. Clean-up keeps
 * the error that caused it.
 */
#ifndef LADDER_TXN_H
#define LADDER_TXN_H

#include "history.h"

typedef struct txn {
	ladder_db *db;
	int locked; /* the session lock is held */
	int open;   /* a transaction of ours is open */
	/* Where waits for a lock are reported (NULL: nowhere). */
	const ladder_run_options *report;
	ladder_direction dir;
} txn;

/* Does a write that commits `commits` times need the session lock? The
 * engine's write transaction serialises a single commit, unless the driver
 * wants the lock for every write (PostgreSQL). */
int txn_needs_lock(const ladder_db *db, int commits_more_than_once);

/* Both wait up to the database's lock timeout for another connection to
 * let go, reporting the wait (LADDER_EVENT_LOCK_WAIT) about once a second;
 * the timeout's error names the holder when the engine can tell. */
int txn_lock(txn *t);
int txn_begin(txn *t);
/* Write what h changed in memory, then commit. */
int txn_commit(txn *t, history *h);
/* Roll back whatever transaction is open (ours, or one a step left). */
void txn_abandon(txn *t, history *h);
void txn_unlock(txn *t);

/* Lock retries (ladder_run_options.lock_retries): the pause before retry
 * n (1, 2, ...) of a transaction that could not get a lock, 0.2 s doubling
 * up to 10 s, less a random part of up to half, so that migrators that
 * failed together do not come back together; and the pause itself. */
double txn_retry_delay(int retry);
void txn_pause(double seconds);

#endif /* LADDER_TXN_H */
