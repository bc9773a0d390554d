/*
 * txn.h — the write transaction and the migration lock around it, one
 * sequence for migrate, down, adopt and repair: lock (when needed), begin,
 * commit (writing the history first) or abandon, unlock. Which lock (a
 * session lock, a transaction-scoped one, a lease) is decided here, for
 * every engine alike. Clean-up keeps the error that caused it.
 */
#ifndef LADDER_TXN_H
#define LADDER_TXN_H

#include "history.h"

/* How this run keeps other migrators out, chosen by txn_lock. */
typedef enum {
	TXN_LOCK_NONE = 0, /* the engine's write transaction alone (SQLite, one commit) */
	TXN_LOCK_SESSION,  /* the driver's lock(), held across transactions */
	TXN_LOCK_XACT,     /* the transaction-scoped lock, taken by every begin */
	TXN_LOCK_LEASE,    /* a lease held across transactions, renewed and the
	                      transaction-scoped lock taken by every begin */
} txn_lock_kind;

typedef struct txn {
	ladder_db *db;
	int locked; /* a lock held across transactions (session lock or lease) */
	int open;   /* a transaction of ours is open */
	txn_lock_kind kind;
	ladder_lease lease; /* TXN_LOCK_LEASE */
	int lease_lost;     /* another migrator took the lease over: waiting
	                       cannot win it back, the run stops */
	/* Where waits for a lock are reported (NULL: nowhere). */
	const ladder_run_options *report;
	ladder_direction dir;
} txn;

/* Does a write that commits `commits` times need the session lock? The
 * engine's write transaction serialises a single commit, unless the driver
 * wants the lock for every write (PostgreSQL). */
int txn_needs_lock(const ladder_db *db, int commits_more_than_once);

/* Choose how a write that commits once or more than once keeps others out
 * (the database's lock mode; auto asks the driver whether a pooler is in
 * between) and take what is held across its transactions: the session lock
 * or the lease. Nothing to take for the engine's own write lock or the
 * transaction-scoped lock, which txn_begin takes. */
int txn_lock(txn *t, int commits_more_than_once);
/* Begin, holding the engine's write lock or the transaction-scoped lock
 * (and renewing the lease) as chosen. Both wait up to the database's lock
 * timeout for another migrator or connection to let go, reporting the wait
 * (LADDER_EVENT_LOCK_WAIT) about once a second; the timeout's error names
 * the holder when the engine can tell. */
int txn_begin(txn *t);
/* Write what h changed in memory, then commit. */
int txn_commit(txn *t, history *h);
/* Roll back whatever transaction is open (ours, or one a step left). */
void txn_abandon(txn *t, history *h);
/* Release the session lock or the lease. */
void txn_unlock(txn *t);

/* Lock retries (ladder_run_options.lock_retries): the pause before retry
 * n (1, 2, ...) of a transaction that could not get a lock, 0.2 s doubling
 * up to 10 s, less a random part of up to half, so that migrators that
 * failed together do not come back together; and the pause itself. */
double txn_retry_delay(int retry);
void txn_pause(double seconds);
/* The lock kind as a word for messages ("session", "transaction", "lease",
 * "none"). */
const char *txn_lock_kind_name(txn_lock_kind kind);

#endif /* LADDER_TXN_H */
