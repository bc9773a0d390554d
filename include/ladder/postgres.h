/*
 * ladder/postgres.h — PostgreSQL-specific entry points: hand ladder an
 * application's own PGconn * instead of a URL, and what the PostgreSQL
 * driver does on a connection. Needs no libpq header: the handle type is
 * only declared here (libpq's PGconn is `struct pg_conn`).
 *
 * URLs. ladder_db_open() passes "postgres://", "postgresql://" and libpq's
 * "key=value ..." strings to PQconnectdb unchanged, so everything libpq
 * understands works (PGHOST, PGPASSWORD, ~/.pgpass, sslmode, service files,
 * several hosts). Passwords never appear in ladder's output: the display
 * name is "postgres://USER@HOST:PORT/DBNAME", and a connection failure reads
 * "cannot connect to postgres://USER@HOST:PORT/DBNAME: <libpq's message>"
 * with any occurrence of the password replaced by "****".
 *
 * Schema (ladder_open_options.schema). The history table lives in that
 * schema, created by the first run that writes (CREATE SCHEMA IF NOT EXISTS
 * inside the migration transaction), and migrations run with the schema
 * first on the search path. Without it, the history table lives in
 * current_schema(). Identifiers are always quoted with libpq's escaping.
 *
 * Locking. Every run that writes takes a session-level advisory lock with
 * pg_try_advisory_lock, polled with backoff (5 ms doubling to 200 ms, with
 * jitter) until ladder_open_options.lock_timeout_ms, then fails with
 * LADDER_ELOCKED. A blocking or transaction-scoped lock is never used: a
 * migrator blocked inside pg_advisory_lock holds a snapshot that
 * CREATE INDEX CONCURRENTLY in the lock holder waits for, a deadlock. The
 * key is computed by the server as
 *
 *     hashtextextended('ladder:' || SCHEMA || ':' || STORE, 0)
 *
 * where SCHEMA is the schema option (else current_schema()) and STORE the
 * store spec ("history", "history:TABLE", "comment:TABLE"), so two
 * applications in one database, or one application in two schemas, do not
 * block each other. It shows in pg_locks as locktype 'advisory' with
 * classid = key >> 32 and objid = key & 0xffffffff. The lock is released
 * when the run ends, however it ends, and by ladder_db_close().
 *
 * DDL lock timeout (ladder_open_options.ddl_lock_timeout_ms > 0): the
 * session's lock_timeout, so DDL queued behind a long transaction fails
 * with SQLSTATE 55P03 (LADDER_ELOCK_UNAVAILABLE) instead of blocking all
 * traffic to the table while it waits; ladder_run_options.lock_retries
 * rolls such a step's transaction back and runs it again.
 *
 * A step's `-- ladder:statement-timeout T` sets statement_timeout for its
 * statements alone (set_config(..., true) in its transaction, or on the
 * session around a no-transaction step), put back right after the step; a
 * statement cancelled by it fails with LADDER_ETIMEOUT (57014).
 *
 * Version stores: "history" / "history:TABLE" (one row per migration) and
 * "comment:TABLE", PhoenixKit's COMMENT ON TABLE SCHEMA.TABLE IS 'N':
 * a missing table reads as version 0; a table with no comment, or with a
 * comment that is not a plain non-negative integer, is refused
 * (LADDER_ESTORE), never guessed at. "user_version" is SQLite-only.
 *
 * Server notices (DROP ... IF EXISTS "skipping" and the like) on
 * connections ladder opens are dropped; warnings go to stderr.
 */
#ifndef LADDER_POSTGRES_H
#define LADDER_POSTGRES_H

#include "../ladder.h"

#ifdef __cplusplus
extern "C" {
#endif

struct pg_conn;

/* Wrap `conn` (still owned by the caller: ladder_db_close() leaves it
 * open). Its display name is built from PQuser/PQhost/PQport/PQdb. While a
 * run holds the migration lock, ladder sets search_path (opts->schema) and
 * lock_timeout (opts->ddl_lock_timeout_ms) on the session and puts back the
 * previous values when it releases the lock; it leaves nothing else behind
 * on the connection (its prepared statements are deallocated on close).
 * opts may be NULL. */
LADDER_EXTERN int ladder_postgres_wrap(ladder_db **out, struct pg_conn *conn, const ladder_open_options *opts);

#ifdef __cplusplus
}
#endif
#endif /* LADDER_POSTGRES_H */
