/*
 * pg_internal.h — the PostgreSQL driver's private connection struct and what
 * its files share: pg_conn.c (connecting, wrapping, the ops table),
 * pg_exec.c (running migration text, errors), pg_lock.c (transactions, the
 * advisory lock, emptiness), pg_store.c (the version stores) and
 * pg_describe.c (the schema description and scratch databases verify uses).
 */
#ifndef LADDER_PG_INTERNAL_H
#define LADDER_PG_INTERNAL_H

#include "ladder.h"
#include "ladder/sys/driver.h"

#include "pg_libpq.h" /* libpq, loaded on first use */

typedef struct ladder_pg_conn {
	ladder_conn base;        /* first: the core sees only this */
	PGconn *pg;
	int owned;               /* 0: a wrapped connection the application closes */
	char *display;           /* postgres://user@host:port/db, never a password */
	char *schema;            /* opts->schema, or NULL */
	int ddl_lock_timeout_ms; /* opts->ddl_lock_timeout_ms */
	int byte_positions;      /* server counts error positions in bytes (SQL_ASCII) */

	int lock_held;
	long long lock_key;
	/* The head read prepared under a name, on a direct connection only
	 * (pg_store.c): the table it was prepared for, or NULL. */
	char head_name[32];
	char *head_table;
	unsigned long head_reads;
	/* Behind a pooler? Known after the first check (pg_lease.c). */
	int pool_checked, pooled;
	long long server_pid;    /* pg_backend_pid() last seen, 0: none yet */
	/* Wrapped connections: session settings to put back on unlock. */
	int settings_scoped;
	char *saved_search_path;
	char *saved_lock_timeout;
	/* A step's statement timeout: the setting it replaced, put back after. */
	char *saved_statement_timeout;
} ladder_pg_conn;

extern const ladder_driver ladder_postgres_driver;

/* --- pg_lint.c: what lint reads (see ladder_driver.read_actions, table_size) --- */
int ladder_pg__read_actions(ladder_conn *scratch, const char *sql, size_t len, ladder_action_fn fn, void *ctx);
int ladder_pg__table_size(ladder_conn *conn, const char *schema, const char *table, int *exists, int64_t *rows,
                          int64_t *bytes);

/* --- pg_exec.c ----------------------------------------------------------- */

/* Raise the error that `res` (or, when res carries none, the connection)
 * reports, as one line: "ERROR SQLSTATE: message; DETAIL: ...; HINT: ...",
 * prefixed by `what` when not NULL. Returns the ladder code
 * (LADDER_ELOCK_UNAVAILABLE for lock timeouts, LADDER_ETIMEOUT for statement
 * timeouts, LADDER_ENOMEM, else LADDER_EDB). */
int ladder_pg__error(ladder_pg_conn *conn, const PGresult *res, const char *what);

/* 1 if res failed with this SQLSTATE. */
int ladder_pg__sqlstate_is(const PGresult *res, const char *sqlstate);

/* Run one parameterized statement; 0 if its status is `expect`, else the
 * error raised (res is still returned when not NULL, for SQLSTATE checks;
 * the caller PQclear()s it). */
int ladder_pg__run(ladder_pg_conn *conn, PGresult **res, ExecStatusType expect, const char *what,
                   const char *sql, int nparams, const char *const *params);

int ladder_pg__exec(ladder_conn *base, const char *sql, size_t len, unsigned int flags,
                    size_t *err_offset);
/* The statement_timeout op: set_config('statement_timeout', ..., is_local)
 * with is_local inside a transaction, the old value kept to put back. */
int ladder_pg__statement_timeout(ladder_conn *base, int timeout_ms);

/* Hand every row of res to fn as text cells (pg_query_rows.c). */
int ladder_pg__emit_rows(const PGresult *res, ladder_row_fn fn, void *ctx);

/* A quoted identifier ("my schema") or qualified name ("s"."t") in malloc'd
 * memory; NULL after raising LADDER_ENOMEM. schema may be NULL or "". */
char *ladder_pg__quote_ident(ladder_pg_conn *conn, const char *ident);
char *ladder_pg__qualify(ladder_pg_conn *conn, const char *schema, const char *table);

/* --- pg_statements.c ------------------------------------------------------ */

int ladder_pg__statements(ladder_conn *base, const char *sql, size_t len, ladder_stmt **out,
                          size_t *count);

/* The migration lock's key from $1 (the store's schema, NULL: the
 * current one) and $2 (the store's spec), as ladder/postgres.h documents
 * it: the session lock, the transaction lock and the holder lookup must
 * compute it the same way. */
#define LADDER_PG_LOCK_KEY_SQL                                                                       \
	"pg_catalog.hashtextextended('ladder:' || COALESCE($1, pg_catalog.current_schema(), '') || ':' " \
	"|| $2, 0)"

/* The search path and lock_timeout the connection's options ask for
 * (and UTF-8, at connect), for the session or, local, for the open
 * transaction alone (pg_conn.c). */
int ladder_pg__apply_settings(ladder_pg_conn *conn, int local);

/* --- pg_fleet.c ------------------------------------------------------------ */

int ladder_pg__schemas_list(ladder_conn *base, const char *like, ladder_row_fn fn, void *ctx);
int ladder_pg__heads_read(ladder_conn *base, const ladder_store *stores, size_t n, ladder_row_fn fn, void *ctx);

/* --- pg_lock.c ------------------------------------------------------------ */

int ladder_pg__begin(ladder_conn *base, int write, int wait_ms);
int ladder_pg__commit(ladder_conn *base);
int ladder_pg__rollback(ladder_conn *base);
int ladder_pg__in_transaction(ladder_conn *base);
int ladder_pg__transaction_mark(ladder_conn *base, char *mark, size_t len);
int ladder_pg__lock(ladder_conn *base, const ladder_store *store, int timeout_ms);
void ladder_pg__lock_holder(ladder_conn *base, const ladder_store *store, char *out, size_t len);
int ladder_pg__unlock(ladder_conn *base, const ladder_store *store);
int ladder_pg__is_empty(ladder_conn *base, const ladder_store *store, int *empty);

/* Release the advisory lock and put back scoped settings if still held
 * (close()); errors are ignored. */
void ladder_pg__release(ladder_pg_conn *conn);

/* --- pg_lease.c ----------------------------------------------------------- */

/* The leases of every store of a schema: one row per store, beside the
 * history table. is_empty and describe leave it out. */
#define LADDER_PG_LOCK_TABLE "ladder_lock"

int ladder_pg__pooled(ladder_conn *base, int *pooled);
int ladder_pg__xact_lock(ladder_conn *base, const ladder_store *store, const char *owner, int *got);
int ladder_pg__lease_take(ladder_conn *base, const ladder_store *store, const ladder_lease *lease);
int ladder_pg__lease_renew(ladder_conn *base, const ladder_store *store, const ladder_lease *lease, int *kept);
int ladder_pg__lease_release(ladder_conn *base, const ladder_store *store, const ladder_lease *lease);
/* *blocked = 1 when a live lease of an owner other than `owner` (NULL: any)
 * is in the way; an expired one of another owner is deleted on the way.
 * No lease table: nothing in the way. Asked once the advisory lock is ours,
 * so that it sees what the previous holder committed. */
int ladder_pg__lease_blocks(ladder_pg_conn *conn, const ladder_store *store, const char *owner, int *blocked);
/* A live lease's holder for people, "" if none. */
void ladder_pg__lease_holder(ladder_pg_conn *conn, const ladder_store *store, char *out, size_t len);
/* Note the server session seen: a change means a pooler in between. */
void ladder_pg__saw_pid(ladder_pg_conn *conn, const char *pid);

/* --- pg_store.c ----------------------------------------------------------- */

int ladder_pg__store_prepare(ladder_conn *base, const ladder_store *store);
int ladder_pg__history_read(ladder_conn *base, const ladder_store *store, int newest_only, ladder_row_fn fn,
                            void *ctx);
int ladder_pg__history_write(ladder_conn *base, const ladder_store *store, const char *const *cells,
                             size_t nrows);
int ladder_pg__history_delete(ladder_conn *base, const ladder_store *store, int64_t version);
int ladder_pg__stamp_read(ladder_conn *base, const ladder_store *store, int64_t *version);
int ladder_pg__stamp_write(ladder_conn *base, const ladder_store *store, int64_t version, int after_down);

/* Deallocate the named head read (wrapped connections: the application's
 * session goes on) and free its memory. */
void ladder_pg__store_close(ladder_pg_conn *conn);

/* --- pg_describe.c ------------------------------------------------------- */

/* The normalised schema description, and scratch databases for verify. */
int ladder_pg__describe(ladder_conn *base, const ladder_store *store, ladder_buf *out);
int ladder_pg__scratch_create(ladder_conn *base, char **url);
int ladder_pg__scratch_drop(ladder_conn *base, const char *url);

#endif /* LADDER_PG_INTERNAL_H */
