/*
 * pg_lease.c — the migration lock behind a connection pooler on PostgreSQL
 * (the I/O; src/txn.c decides when): whether one is in between, the
 * transaction-scoped advisory lock (pg_try_advisory_xact_lock on the key
 * the session lock uses, so that the two exclude each other) and the lease,
 * a row of the table ladder_lock beside the store with its owner, host,
 * pid and expiry by the server's clock. Every statement is unnamed: a
 * pooled server session outlives the client.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include "pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The lock and the session it ran in (pooler detection). Whether a lease
 * table exists is asked afterwards (LEASE_TABLE_SQL): this statement's
 * view of the catalogs predates the lock. */
#define XACT_LOCK_SQL "SELECT pg_catalog.pg_try_advisory_xact_lock(" LADDER_PG_LOCK_KEY_SQL "), pg_catalog.pg_backend_pid()"

/* Whether the lease table exists ($1 its schema, NULL: the search path),
 * read from pg_class under the statement's own snapshot. Asked once the
 * lock is ours, it sees a table that the previous holder created and
 * committed before it let the lock go. to_regclass would not: it looks the
 * name up in the session's catalog cache, where "no such relation" is not
 * refreshed by a lookup that takes no lock, so a table committed while our
 * transaction ran stayed missing to it until the transaction ended (even
 * in a later statement). A migrator polling while the first lease was
 * taken then missed the new table and its live lease and took the lease
 * over; the holder's next renewal failed. */
#define LEASE_TABLE_SQL                                                                                     \
	"EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " \
	"WHERE c.relname = '" LADDER_PG_LOCK_TABLE "' AND n.nspname = ANY (CASE WHEN $1::text IS NULL THEN "    \
	"pg_catalog.current_schemas(true) ELSE ARRAY[$1::name] END))"

/* A lease of another owner that expired is taken over by deleting it (its
 * owner's next renewal then finds nothing); a live one blocks. The SELECT
 * sees the rows as before the DELETE, hence the expiry test in both. */
#define BLOCKS_SQL                                                                                        \
	"WITH gone AS (DELETE FROM %s WHERE store = $1 AND owner IS DISTINCT FROM $2 AND expires_at <= "    \
	"pg_catalog.clock_timestamp() RETURNING 1) SELECT count(*) FROM %s WHERE store = $1 AND owner IS "   \
	"DISTINCT FROM $2 AND expires_at > pg_catalog.clock_timestamp()"

#define TABLE_SQL                                                                                         \
	"SELECT $1::text IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1), "     \
	LEASE_TABLE_SQL
#define CREATE_SQL                                                                                        \
	"CREATE TABLE IF NOT EXISTS %s (store text PRIMARY KEY, owner text NOT NULL, host text NOT NULL, "   \
	"pid bigint NOT NULL, taken_at timestamptz NOT NULL, expires_at timestamptz NOT NULL)"
/* A live lease of another owner is never overwritten, whatever the
 * caller believed: the row is then left alone and none is counted. */
#define TAKE_SQL                                                                                          \
	"INSERT INTO %s AS l (store, owner, host, pid, taken_at, expires_at) VALUES ($1, $2, $3, $4::bigint, " \
	"pg_catalog.clock_timestamp(), pg_catalog.clock_timestamp() + $5::bigint * interval '1 millisecond') " \
	"ON CONFLICT (store) DO UPDATE SET owner = EXCLUDED.owner, host = EXCLUDED.host, pid = EXCLUDED.pid, " \
	"taken_at = EXCLUDED.taken_at, expires_at = EXCLUDED.expires_at WHERE l.owner = EXCLUDED.owner OR "    \
	"l.expires_at <= pg_catalog.clock_timestamp()"
#define RENEW_SQL                                                                                         \
	"UPDATE %s SET expires_at = pg_catalog.clock_timestamp() + $3::bigint * interval '1 millisecond' "    \
	"WHERE store = $1 AND owner = $2 RETURNING 1"
#define RELEASE_SQL "DELETE FROM %s WHERE store = $1 AND owner = $2"
#define HOLDER_SQL                                                                                        \
	"SELECT owner, host, pid, pg_catalog.round(EXTRACT(epoch FROM expires_at - "                         \
	"pg_catalog.clock_timestamp())::numeric, 1) FROM %s WHERE store = $1 AND expires_at > "              \
	"pg_catalog.clock_timestamp()"

/* The lease table, quoted and qualified like the store. */
static char *lock_table(ladder_pg_conn *conn, const ladder_store *store)
{
	return ladder_pg__qualify(conn, store->schema, LADDER_PG_LOCK_TABLE);
}

/* sql_fmt with every %s the table; NULL after raising LADDER_ENOMEM. */
static char *with_table(const char *fmt, const char *table)
{
	ladder_buf b = {0};
	const char *p = fmt, *at;

	while ((at = strstr(p, "%s")) != NULL) {
		ladder_buf_put(&b, p, (size_t)(at - p));
		ladder_buf_puts(&b, table);
		p = at + 2;
	}
	ladder_buf_puts(&b, p);
	if (b.failed) {
		ladder_buf_free(&b);
		ladder_error_set(LADDER_ENOMEM, "out of memory building a query");
		return NULL;
	}
	return b.data;
}

/* Run fmt (the lease table in it) with params. */
static int run_on_table(ladder_pg_conn *conn, const ladder_store *store, PGresult **res, ExecStatusType expect,
                        const char *what, const char *fmt, int nparams, const char *const *params)
{
	char *table = lock_table(conn, store), *sql = NULL;
	int error;

	if (res != NULL)
		*res = NULL;
	if (table == NULL)
		return ladder_error_last()->code;
	if ((sql = with_table(fmt, table)) == NULL)
		error = LADDER_ENOMEM;
	else
		error = ladder_pg__run(conn, res, expect, what, sql, nparams, params);
	ladder_free(table);
	ladder_free(sql);
	return error;
}

void ladder_pg__saw_pid(ladder_pg_conn *conn, const char *pid)
{
	long long seen = strtoll(pid, NULL, 10);

	if (conn->server_pid != 0 && seen != conn->server_pid)
		conn->pooled = 1;
	conn->server_pid = seen;
}

/* PgBouncer hands its clients a made-up backend key, so the pid libpq was
 * told at connect is not the server session's; and a session that changes
 * between two transactions is pooled whatever the pooler said. */
int ladder_pg__pooled(ladder_conn *base, int *pooled)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	PGresult *res = NULL;
	int error = 0;

	if (!conn->pool_checked) {
		if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "asking for the server session",
		                            "SELECT pg_catalog.pg_backend_pid()", 0, NULL)) < 0)
			goto done;
		ladder_pg__saw_pid(conn, PQgetvalue(res, 0, 0));
		if (conn->server_pid != (long long)PQbackendPID(conn->pg))
			conn->pooled = 1;
		conn->pool_checked = 1;
	}
done:
	*pooled = conn->pooled;
	PQclear(res);
	return error;
}

int ladder_pg__lease_blocks(ladder_pg_conn *conn, const ladder_store *store, const char *owner, int *blocked)
{
	char spec[LADDER_NAME_MAX + 32];
	const char *params[2];
	PGresult *res = NULL;
	int error;

	*blocked = 0;
	params[0] = store->schema[0] ? store->schema : NULL;
	if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "looking up the lease table", "SELECT " LEASE_TABLE_SQL,
	                            1, params)) < 0 ||
	    strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		goto done;
	PQclear(res);
	res = NULL;
	params[0] = ladder_store_spec(store, spec, sizeof(spec));
	params[1] = owner;
	if ((error = run_on_table(conn, store, &res, PGRES_TUPLES_OK, "reading the migration lease", BLOCKS_SQL, 2,
	                          params)) == 0)
		*blocked = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
done:
	PQclear(res);
	return error;
}

int ladder_pg__xact_lock(ladder_conn *base, const ladder_store *store, const char *owner, int *got)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	char spec[LADDER_NAME_MAX + 32];
	const char *params[2];
	PGresult *res = NULL;
	int blocked = 0, error;

	*got = 0;
	params[0] = store->schema[0] ? store->schema : NULL;
	params[1] = ladder_store_spec(store, spec, sizeof(spec));
	if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "taking the migration lock", XACT_LOCK_SQL, 2,
	                            params)) < 0)
		goto done;
	ladder_pg__saw_pid(conn, PQgetvalue(res, 0, 1));
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		goto done;
	if ((error = ladder_pg__lease_blocks(conn, store, owner, &blocked)) < 0)
		goto done;
	*got = !blocked;
	if (*got)
		error = ladder_pg__apply_settings(conn, 1);
done:
	PQclear(res);
	return error;
}

int ladder_pg__lease_take(ladder_conn *base, const ladder_store *store, const ladder_lease *lease)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	char spec[LADDER_NAME_MAX + 32], pid[32], expiry[32];
	const char *params[5];
	char *schema = NULL, *sql = NULL;
	PGresult *res = NULL;
	int error;

	params[0] = store->schema[0] ? store->schema : NULL;
	/* Looked up first: IF NOT EXISTS on an existing object prints a
	 * notice, and CREATE SCHEMA needs a privilege the store may not. */
	if ((error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "looking up the lease table", TABLE_SQL, 1,
	                            params)) < 0)
		goto done;
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		if ((schema = ladder_pg__quote_ident(conn, store->schema)) == NULL) {
			error = ladder_error_last()->code;
			goto done;
		}
		if ((sql = with_table("CREATE SCHEMA IF NOT EXISTS %s", schema)) == NULL ||
		    (error = ladder_pg__run(conn, NULL, PGRES_COMMAND_OK, "creating the schema", sql, 0, NULL)) < 0) {
			error = sql == NULL ? LADDER_ENOMEM : error;
			goto done;
		}
	}
	if (strcmp(PQgetvalue(res, 0, 1), "t") != 0 &&
	    (error = run_on_table(conn, store, NULL, PGRES_COMMAND_OK, "creating the lease table", CREATE_SQL, 0,
	                          NULL)) < 0)
		goto done;
	snprintf(pid, sizeof(pid), "%ld", lease->pid);
	snprintf(expiry, sizeof(expiry), "%d", lease->expiry_ms);
	params[0] = ladder_store_spec(store, spec, sizeof(spec));
	params[1] = lease->owner;
	params[2] = lease->host;
	params[3] = pid;
	params[4] = expiry;
	PQclear(res);
	res = NULL;
	if ((error = run_on_table(conn, store, &res, PGRES_COMMAND_OK, "taking the migration lease", TAKE_SQL, 5,
	                          params)) == 0 &&
	    strcmp(PQcmdTuples(res), "1") != 0)
		error = ladder_error_set(LADDER_ELOCKED, "another migrator's lease on the migration lock is live");
done:
	PQclear(res);
	ladder_free(schema);
	ladder_free(sql);
	return error;
}

int ladder_pg__lease_renew(ladder_conn *base, const ladder_store *store, const ladder_lease *lease, int *kept)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	char spec[LADDER_NAME_MAX + 32], expiry[32];
	const char *params[3];
	PGresult *res = NULL;
	int error;

	*kept = 0;
	snprintf(expiry, sizeof(expiry), "%d", lease->expiry_ms);
	params[0] = ladder_store_spec(store, spec, sizeof(spec));
	params[1] = lease->owner;
	params[2] = expiry;
	if ((error = run_on_table(conn, store, &res, PGRES_TUPLES_OK, "renewing the migration lease", RENEW_SQL, 3,
	                          params)) == 0)
		*kept = PQntuples(res) == 1;
	PQclear(res);
	return error;
}

int ladder_pg__lease_release(ladder_conn *base, const ladder_store *store, const ladder_lease *lease)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	char spec[LADDER_NAME_MAX + 32];
	const char *params[2];

	params[0] = ladder_store_spec(store, spec, sizeof(spec));
	params[1] = lease->owner;
	return run_on_table(conn, store, NULL, PGRES_COMMAND_OK, "releasing the migration lease", RELEASE_SQL, 2,
	                    params);
}

void ladder_pg__lease_holder(ladder_pg_conn *conn, const ladder_store *store, char *out, size_t len)
{
	char spec[LADDER_NAME_MAX + 32];
	const char *params[2];
	PGresult *res = NULL;

	out[0] = '\0';
	params[0] = store->schema[0] ? store->schema : NULL;
	if (ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "looking up the lease table", "SELECT " LEASE_TABLE_SQL, 1,
	                   params) < 0 ||
	    strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		goto done;
	PQclear(res);
	res = NULL;
	params[0] = ladder_store_spec(store, spec, sizeof(spec));
	if (run_on_table(conn, store, &res, PGRES_TUPLES_OK, "finding the lease holder", HOLDER_SQL, 1, params) == 0 &&
	    PQntuples(res) == 1)
		snprintf(out, len, "a lease of host %s, pid %s, owner %s, expiring in %s s", PQgetvalue(res, 0, 1),
		         PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 3));
done:
	PQclear(res);
}
