/*
 * pg_lock.c — transactions, the migration lock and the emptiness check on
 * PostgreSQL. The session lock is a session-level advisory lock taken with
 * pg_try_advisory_lock and polled with backoff: a migrator blocked inside
 * pg_advisory_lock (or waiting on a transaction-scoped lock) holds a
 * snapshot that CREATE INDEX CONCURRENTLY in the lock holder waits for,
 * and neither would ever finish. Behind a pooler the core takes the
 * transaction-scoped lock and the lease of pg_lease.c instead.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* strdup, nanosleep under -std=c11 */
#endif

#include "pg_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


/* The key is computed by the server so that anyone can compute it the same
 * way (see ladder/postgres.h); it is returned so that unlock names it
 * exactly even if the search path changes meanwhile. */
#define TRY_LOCK_SQL                                                                                       \
	"SELECT s.k, pg_catalog.pg_try_advisory_lock(s.k), pg_catalog.pg_backend_pid() FROM (SELECT " \
	LADDER_PG_LOCK_KEY_SQL " AS k) s"

/* The session holding the key this store's lock uses: a bigint advisory
 * key shows in pg_locks as classid (high half), objid (low half) and
 * objsubid 1. */
#define HOLDER_SQL                                                                                              \
	"WITH s AS (SELECT " LADDER_PG_LOCK_KEY_SQL " AS k) "                                                      \
	"SELECT a.pid, COALESCE(a.application_name, ''), COALESCE(host(a.client_addr), '') "                        \
	"FROM s, pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "                        \
	"WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "                                             \
	"AND l.classid = ((s.k >> 32) & 4294967295)::oid AND l.objid = (s.k & 4294967295)::oid "                   \
	"AND l.pid <> pg_catalog.pg_backend_pid() LIMIT 1"

/* Whether the schema holds tables, views, sequences, functions or types
 * besides the store (and the lease table). A schema made by a user is
 * asked through pg_depend's index on what objects reference: everything
 * created in it records a dependency on it, and no catalog has an index
 * that leads with the namespace, so scanning pg_class, pg_proc and pg_type
 * costs tens of milliseconds in a database of a thousand tenant schemas.
 * A schema made by initdb (public) is pinned, and dependencies on pinned
 * objects are not recorded: it is scanned. A standalone composite type
 * records its dependency on its pg_type row, not its pg_class one. */
#define USER_SCHEMA_EMPTY                                                                                     \
	"NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.refclassid = "                                  \
	"'pg_catalog.pg_namespace'::pg_catalog.regclass AND d.refobjid = (SELECT oid FROM s) AND "                \
	"d.refobjsubid = 0 AND ((d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND EXISTS (SELECT 1 "   \
	"FROM pg_catalog.pg_class c WHERE c.oid = d.objid AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND "  \
	"c.relname IS DISTINCT FROM $2 AND c.relname <> '" LADDER_PG_LOCK_TABLE "')) OR d.classid = "           \
	"'pg_catalog.pg_proc'::pg_catalog.regclass OR (d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass "   \
	"AND EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.oid = d.objid AND t.typcategory <> 'A'))))"
#define PINNED_SCHEMA_EMPTY                                                                                   \
	"NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN s ON c.relnamespace = s.oid "                      \
	"WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND c.relname IS DISTINCT FROM $2 "               \
	"AND c.relname <> '" LADDER_PG_LOCK_TABLE "') "                                                         \
	"AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN s ON p.pronamespace = s.oid) "                   \
	"AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type t JOIN s ON t.typnamespace = s.oid "                    \
	"WHERE t.typrelid = 0 AND t.typcategory <> 'A')"
/* 16384 is FirstNormalObjectId: what initdb made is below it. */
#define IS_EMPTY_SQL                                                                                          \
	"WITH s AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = COALESCE($1, "                       \
	"pg_catalog.current_schema())) "                                                                          \
	"SELECT CASE WHEN (SELECT oid FROM s) >= 16384 THEN " USER_SCHEMA_EMPTY " ELSE " PINNED_SCHEMA_EMPTY " END"

/* --- transactions ------------------------------------------------------------- */

static int simple(ladder_pg_conn *conn, const char *sql)
{
	return ladder_pg__run(conn, NULL, PGRES_COMMAND_OK, sql, sql, 0, NULL);
}

int ladder_pg__begin(ladder_conn *base, int write, int wait_ms)
{
	/* write needs nothing more: the advisory lock is the migration lock, and
	 * row and table locks are taken by the statements themselves. */
	ladder_pg_conn *conn = (ladder_pg_conn *)base;

	(void)write;
	(void)wait_ms;
	return simple(conn, "BEGIN");
}

int ladder_pg__commit(ladder_conn *base)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	PGresult *res = NULL;
	int error;

	/* COMMIT of a failed transaction "succeeds" by rolling back. */
	if (PQtransactionStatus(conn->pg) == PQTRANS_INERROR) {
		error = ladder_error_set(LADDER_EDB, "COMMIT: the transaction failed earlier and can only be rolled back");
		goto done;
	}
	if ((error = ladder_pg__run(conn, &res, PGRES_COMMAND_OK, "COMMIT", "COMMIT", 0, NULL)) < 0)
		goto done;
	if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0)
		error = ladder_error_set(LADDER_EDB, "COMMIT: the server rolled the transaction back");
done:
	PQclear(res);
	return error;
}

int ladder_pg__rollback(ladder_conn *base)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;

	if (PQtransactionStatus(conn->pg) == PQTRANS_IDLE)
		return 0;
	return simple(conn, "ROLLBACK");
}

int ladder_pg__transaction_mark(ladder_conn *base, char *mark, size_t len)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	PGresult *res = NULL;
	int error;

	/* microseconds: a COMMIT and a BEGIN in between take longer than that */
	if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "reading the transaction's start",
	                            "SELECT pg_catalog.transaction_timestamp()::text", 0, NULL)) == 0)
		snprintf(mark, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return error;
}

int ladder_pg__in_transaction(ladder_conn *base)
{
	PGTransactionStatusType status = PQtransactionStatus(((ladder_pg_conn *)base)->pg);
	/* PQTRANS_UNKNOWN is a broken connection: its next query says so. */
	return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

/* --- settings scoped to a run (wrapped connections) ----------------------------------- */

/* Note the application's values, then set ours; both in one round trip.
 * The MATERIALIZED CTE reads the old values before set_config runs. */
static int scope_settings(ladder_pg_conn *conn)
{
	char sql[768], timeout[32];
	const char *params[2] = {NULL, NULL};
	char *quoted = NULL;
	PGresult *res = NULL;
	int nparams = 0, error = 0;

	snprintf(sql, sizeof(sql),
	         "WITH old AS MATERIALIZED (SELECT pg_catalog.current_setting('search_path') AS sp, "
	         "pg_catalog.current_setting('lock_timeout') AS lt) SELECT old.sp, old.lt");
	if (conn->schema != NULL) {
		if ((quoted = ladder_pg__quote_ident(conn, conn->schema)) == NULL) {
			error = ladder_error_last()->code;
			goto done;
		}
		params[nparams++] = quoted;
		strcat(sql, ", pg_catalog.set_config('search_path', CASE old.sp WHEN '' THEN $1 ELSE $1 || ', ' || "
		            "old.sp END, false)");
	}
	if (conn->ddl_lock_timeout_ms > 0) {
		snprintf(timeout, sizeof(timeout), "%dms", conn->ddl_lock_timeout_ms);
		params[nparams++] = timeout;
		strcat(sql, nparams == 2 ? ", pg_catalog.set_config('lock_timeout', $2, false)"
		                         : ", pg_catalog.set_config('lock_timeout', $1, false)");
	}
	strcat(sql, " FROM old");
	if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "saving the session's settings", sql, nparams,
	                            params)) < 0)
		goto done;
	ladder_free(conn->saved_search_path);
	ladder_free(conn->saved_lock_timeout);
	conn->saved_search_path = ladder_strdup(PQgetvalue(res, 0, 0));
	conn->saved_lock_timeout = ladder_strdup(PQgetvalue(res, 0, 1));
	if (conn->saved_search_path == NULL || conn->saved_lock_timeout == NULL)
		error = ladder_error_set(LADDER_ENOMEM, "out of memory saving the session's settings");
done:
	PQclear(res);
	ladder_free(quoted);
	return error;
}

static int restore_settings(ladder_pg_conn *conn)
{
	const char *params[2];
	int error;

	if (conn->saved_search_path == NULL || conn->saved_lock_timeout == NULL)
		return 0;
	params[0] = conn->saved_search_path;
	params[1] = conn->saved_lock_timeout;
	error = ladder_pg__run(conn, NULL, PGRES_TUPLES_OK, "restoring the session's settings",
	                       "SELECT pg_catalog.set_config('search_path', $1, false), "
	                       "pg_catalog.set_config('lock_timeout', $2, false)",
	                       2, params);
	if (error == 0) {
		ladder_free(conn->saved_search_path);
		ladder_free(conn->saved_lock_timeout);
		conn->saved_search_path = conn->saved_lock_timeout = NULL;
	}
	return error;
}

/* --- the advisory lock ----------------------------------------------------------------- */

static int unlock_key(ladder_pg_conn *conn);

/* One attempt: *got = 1 when the lock is now ours. A live lease of a
 * migrator behind a pooler (pg_lease.c) keeps it from us all the same. */
static int try_lock(ladder_pg_conn *conn, const ladder_store *store, int *got)
{
	char spec[LADDER_NAME_MAX + 32];
	const char *params[2];
	PGresult *res = NULL;
	int blocked = 0, error;

	*got = 0;
	params[0] = store->schema[0] ? store->schema : NULL;
	params[1] = ladder_store_spec(store, spec, sizeof(spec));
	if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "taking the migration lock", TRY_LOCK_SQL, 2,
	                            params)) < 0)
		goto done;
	ladder_pg__saw_pid(conn, PQgetvalue(res, 0, 2));
	if (strcmp(PQgetvalue(res, 0, 1), "t") != 0)
		goto done;
	conn->lock_key = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	conn->lock_held = 1;
	/* asked now that the lock is ours (see pg_lease.c: LEASE_TABLE_SQL) */
	if ((error = ladder_pg__lease_blocks(conn, store, NULL, &blocked)) < 0) {
		ladder_error_saved saved;
		ladder_error_save(&saved);
		unlock_key(conn);
		ladder_error_restore(&saved);
		goto done;
	}
	if (blocked && (error = unlock_key(conn)) < 0)
		goto done;
	*got = !blocked;
done:
	PQclear(res);
	return error;
}

static int unlock_key(ladder_pg_conn *conn)
{
	char key[32];
	const char *params[1] = {key};
	int error;

	snprintf(key, sizeof(key), "%lld", conn->lock_key);
	/* false means it was not held (pg_advisory_unlock_all by a callback):
	 * either way it is free now. */
	error = ladder_pg__run(conn, NULL, PGRES_TUPLES_OK, "releasing the migration lock",
	                       "SELECT pg_catalog.pg_advisory_unlock($1::bigint)", 1, params);
	if (error == 0)
		conn->lock_held = 0;
	return error;
}

typedef struct lock_attempt {
	ladder_pg_conn *conn;
	const ladder_store *store;
} lock_attempt;

static int try_once(void *ctx, int *got)
{
	lock_attempt *attempt = ctx;
	return try_lock(attempt->conn, attempt->store, got);
}

int ladder_pg__lock(ladder_conn *base, const ladder_store *store, int timeout_ms)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	lock_attempt attempt = {conn, store};
	int error;

	if (conn->lock_held)
		return 0;
	error = ladder_lock_poll(try_once, &attempt, timeout_ms, conn->display);
	if (error == 0 && conn->settings_scoped && (error = scope_settings(conn)) < 0) {
		ladder_error_saved saved;
		ladder_error_save(&saved);
		unlock_key(conn);
		ladder_error_restore(&saved);
	}
	return error;
}

void ladder_pg__lock_holder(ladder_conn *base, const ladder_store *store, char *out, size_t len)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	char spec[LADDER_NAME_MAX + 32];
	const char *params[2];
	PGresult *res = NULL;
	ladder_error_saved saved;
	size_t used;

	/* Best effort: a failure here must not replace the error being waited out. */
	ladder_error_save(&saved);
	ladder_pg__lease_holder(conn, store, out, len);
	if (out[0] != '\0')
		goto done;
	params[0] = store->schema[0] ? store->schema : NULL;
	params[1] = ladder_store_spec(store, spec, sizeof(spec));
	if (ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "finding the lock holder", HOLDER_SQL, 2, params) == 0 &&
	    PQntuples(res) == 1) {
		snprintf(out, len, "pid %s", PQgetvalue(res, 0, 0));
		used = strlen(out);
		if (PQgetvalue(res, 0, 1)[0] != '\0' && used < len)
			snprintf(out + used, len - used, ", application '%s'", PQgetvalue(res, 0, 1));
		used = strlen(out);
		if (PQgetvalue(res, 0, 2)[0] != '\0' && used < len)
			snprintf(out + used, len - used, ", client %s", PQgetvalue(res, 0, 2));
	}
done:
	PQclear(res);
	ladder_error_restore(&saved);
}

int ladder_pg__unlock(ladder_conn *base, const ladder_store *store)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	int error = 0, restored;

	(void)store;
	if (!conn->lock_held)
		return 0;
	/* Settings first: while the lock is ours nobody else migrates through
	 * this session, and the lock goes even if they cannot be put back. */
	restored = restore_settings(conn);
	error = unlock_key(conn);
	return error < 0 ? error : restored;
}

void ladder_pg__release(ladder_pg_conn *conn)
{
	ladder_error_saved saved;

	if (!conn->lock_held && conn->saved_search_path == NULL)
		return;
	/* close() keeps the caller's error. A session that is gone, or inside a
	 * failed transaction, cannot run the unlock; for our own connections
	 * PQfinish ends the session, which frees the lock. */
	ladder_error_save(&saved);
	if (PQstatus(conn->pg) == CONNECTION_OK && PQtransactionStatus(conn->pg) == PQTRANS_IDLE) {
		restore_settings(conn);
		if (conn->lock_held)
			unlock_key(conn);
	}
	ladder_error_restore(&saved);
}

/* --- emptiness ---------------------------------------------------------------------------- */

int ladder_pg__is_empty(ladder_conn *base, const ladder_store *store, int *empty)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	const char *params[2];
	PGresult *res = NULL;
	int error;

	*empty = 1;
	params[0] = store != NULL && store->schema[0] ? store->schema : NULL;
	params[1] = store != NULL && store->kind == LADDER_STORE_HISTORY ? store->table : NULL;
	if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "checking whether the schema is empty", IS_EMPTY_SQL,
	                            2, params)) < 0)
		goto done;
	*empty = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
done:
	PQclear(res);
	return error;
}
