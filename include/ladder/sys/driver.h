/*
 * ladder/sys/driver.h — the interface between ladder's engine-neutral core and
 * one database engine. Only driver authors need this header.
 *
 * A driver is one folder (drivers/NAME/) that defines a `ladder_driver`
 * named ladder_NAME_driver, and one line in the registry (src/drivers.h).
 * Its connection struct embeds `ladder_conn` first. The core never includes
 * an engine's header and never decides by engine name: it asks through the
 * ops and reads the capability flags. A driver does engine I/O only. Every
 * op returns 0 or a negative LADDER_E* code after ladder_error_set() with
 * the engine's own message. Memory handed to the core comes from
 * ladder_malloc (ladder/sys/alloc.h).
 */
#ifndef LADDER_SYS_DRIVER_H
#define LADDER_SYS_DRIVER_H

#include "../../ladder.h"
#include "alloc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where a database records what was applied. */
typedef enum {
	LADDER_STORE_HISTORY = 1,  /* one row per applied migration */
	LADDER_STORE_USER_VERSION, /* SQLite PRAGMA user_version: the head alone */
	LADDER_STORE_COMMENT,      /* PostgreSQL COMMENT ON TABLE t IS 'N' */
} ladder_store_kind;

#define LADDER_NAME_MAX 128

typedef struct ladder_store {
	ladder_store_kind kind;
	char table[LADDER_NAME_MAX];  /* history table, or the commented table */
	char schema[LADDER_NAME_MAX]; /* "" = the engine's default */
} ladder_store;

/* The store as its spec ("history", "comment:phoenix_kit"): a stable name,
 * e.g. for an advisory-lock key. */
LADDER_EXTERN const char *ladder_store_spec(const ladder_store *store, char *buf, size_t len);

/* The history table's columns, in the order a driver reads and writes them.
 * Every cell travels as text; the core renders and validates rows, so a
 * driver knows only its SQL and its binding. */
#define LADDER_HISTORY_COLUMNS "version, name, kind, checksum, chain, state, applied_at, duration_ms"
#define LADDER_HISTORY_NCOLS 8
/* The newest row alone, the fast path's read: just what it compares. */
#define LADDER_HISTORY_HEAD_COLUMNS "version, chain, state"
#define LADDER_HISTORY_HEAD_NCOLS 3

/* One row of a query: ncols cells as text (NULL for SQL NULL; a blob as
 * "<N-byte blob>"), and the columns' names. A nonzero return stops the
 * query and is returned as is. */
typedef int (*ladder_row_fn)(void *ctx, int ncols, const char *const *names, const char *const *cells);

/* exec flags */
#define LADDER_EXEC_SEPARATE 0x1u /* run each statement on its own, outside
                                     any transaction (no-transaction steps) */
#define LADDER_EXEC_CHECK 0x2u    /* with SEPARATE: only check that the text
                                     splits into statements; run nothing */

typedef struct ladder_conn ladder_conn;

/* What one statement of a migration does to the transaction around it, as
 * the engine's own parser reads it. The core decides what follows: a
 * driver only reports. */
typedef enum {
	LADDER_STMT_PLAIN = 0,    /* runs inside a transaction like any other */
	LADDER_STMT_BEGIN,        /* BEGIN, START TRANSACTION */
	LADDER_STMT_COMMIT,       /* COMMIT, END */
	LADDER_STMT_ROLLBACK,     /* ROLLBACK or ABORT without TO SAVEPOINT */
	LADDER_STMT_TX_OTHER,     /* ends or hands off a transaction otherwise:
	                             PREPARE TRANSACTION, COMMIT AND CHAIN, ... */
	LADDER_STMT_SAVEPOINT,    /* SAVEPOINT, RELEASE, ROLLBACK TO: stays inside */
	LADDER_STMT_NO_TX,        /* cannot run inside a transaction block
	                             (CREATE INDEX CONCURRENTLY, VACUUM, ...) */
	LADDER_STMT_FOREIGN_KEYS_OFF, /* SQLite PRAGMA foreign_keys = OFF: a no-op
	                                 inside a transaction */
	LADDER_STMT_FOREIGN_KEYS_ON,  /* PRAGMA foreign_keys = ON */
	LADDER_STMT_NEEDS_COMMIT, /* runs inside a transaction, but what it makes
	                             is usable only after a commit (PostgreSQL
	                             ALTER TYPE ... ADD VALUE) */
	LADDER_STMT_IMPLICIT_COMMIT, /* commits the open transaction before and
	                                after itself (MariaDB DDL): the core runs
	                                it alone, and after a crash only the
	                                catalog can tell whether it took effect */
} ladder_stmt_kind;

typedef struct ladder_stmt {
	size_t offset;        /* of the statement's first token in the text */
	size_t len;           /* up to and including its semicolon, if any */
	ladder_stmt_kind kind;
	char what[48];        /* for messages: "COMMIT", "CREATE INDEX CONCURRENTLY" */
} ladder_stmt;

/* A growing text buffer for drivers and the core. After an allocation
 * failure `failed` is set and further appends do nothing. */
typedef struct ladder_buf {
	char *data; /* NUL-terminated once anything was appended */
	size_t len, cap;
	int failed;
} ladder_buf;

LADDER_EXTERN void ladder_buf_put(ladder_buf *buf, const char *text, size_t len);
LADDER_EXTERN void ladder_buf_puts(ladder_buf *buf, const char *text);
/* text on one line, exactly: newline, tab, carriage return and backslash
 * spelled \n, \t, \r and \\ (schema descriptions keep bodies distinct). */
LADDER_EXTERN void ladder_buf_put_escaped(ladder_buf *buf, const char *text, size_t len);
LADDER_EXTERN void ladder_buf_printf(ladder_buf *buf, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
LADDER_EXTERN void ladder_buf_free(ladder_buf *buf);

/* --- lint: what each statement of a step does ------------------------------------ */

/* One thing a statement does to the schema, as the engine's parser (or,
 * where the engine has no parse tree to offer, the engine itself on a
 * scratch database) reads it. Drivers report; every rule, severity and
 * message is the core's (src/lint*.c). */
typedef enum {
	LADDER_ACT_CREATE_TABLE = 1,  /* table */
	LADDER_ACT_DROP_TABLE,        /* table */
	LADDER_ACT_RENAME_TABLE,      /* table -> name */
	LADDER_ACT_COLUMN,            /* a column defined in CREATE TABLE: table.column, type */
	LADDER_ACT_ADD_COLUMN,        /* table.column, type */
	LADDER_ACT_DROP_COLUMN,       /* table.column */
	LADDER_ACT_RENAME_COLUMN,     /* table.column -> name */
	LADDER_ACT_ALTER_COLUMN_TYPE, /* table.column, type: the new one */
	LADDER_ACT_SET_NOT_NULL,      /* table.column */
	LADDER_ACT_ADD_CONSTRAINT,    /* table, name; column when it has one; flags say which kind */
	LADDER_ACT_VALIDATE_CONSTRAINT, /* table, name */
	LADDER_ACT_CREATE_INDEX,      /* table, name */
	LADDER_ACT_DROP_INDEX,        /* name (table when the engine knows it) */
	LADDER_ACT_REINDEX,           /* table or name */
	LADDER_ACT_DROP_SCHEMA,       /* name */
	LADDER_ACT_VACUUM_FULL,       /* table, or "" for the whole database */
	LADDER_ACT_CLUSTER,           /* table, or "" */
	LADDER_ACT_LOCK_TABLE,        /* any other statement that locks table against reads
	                                 and writes (TRUNCATE, LOCK TABLE, ALTER TABLE ...) */
	LADDER_ACT_SET_LOCK_TIMEOUT,  /* detail: the value ("0" = none) */
	LADDER_ACT_PRAGMA,            /* name = the pragma, detail = its argument */
	LADDER_ACT_FAILED,            /* the statement cannot run: detail = the engine's message */
} ladder_action_kind;

#define LADDER_ACTF_CONCURRENTLY 0x0001u   /* CONCURRENTLY: no write lock held while it works */
#define LADDER_ACTF_NOT_NULL 0x0002u       /* column: NOT NULL */
#define LADDER_ACTF_DEFAULT 0x0004u        /* column: has a DEFAULT */
#define LADDER_ACTF_VOLATILE 0x0008u       /* column: the default is not a constant (a volatile
                                              function; SQLite: not a constant expression) */
#define LADDER_ACTF_FILLS 0x0010u          /* column: computed for every row when added (serial,
                                              identity, GENERATED ... STORED) */
#define LADDER_ACTF_NOT_VALID 0x0020u      /* constraint: NOT VALID (existing rows not checked) */
#define LADDER_ACTF_FOREIGN_KEY 0x0040u    /* constraint or column: REFERENCES */
#define LADDER_ACTF_CHECK 0x0080u          /* constraint: CHECK */
#define LADDER_ACTF_UNIQUE 0x0100u         /* constraint or index: UNIQUE */
#define LADDER_ACTF_PRIMARY_KEY 0x0200u    /* constraint or column: PRIMARY KEY */
#define LADDER_ACTF_USING_INDEX 0x0400u    /* constraint: built on an existing index */
#define LADDER_ACTF_BLOCKS_ALL 0x0800u     /* holds a lock that blocks reads and writes of table
                                              (PostgreSQL ACCESS EXCLUSIVE) until commit */
#define LADDER_ACTF_IS_NOT_NULL 0x1000u    /* CHECK constraint: exactly `column IS NOT NULL` */
#define LADDER_ACTF_REFERENCED 0x2000u     /* drop table: other tables' foreign keys point at it */
#define LADDER_ACTF_TEMPORARY 0x4000u      /* a temporary object: nothing lasting */
#define LADDER_ACTF_IF_EXISTS 0x8000u      /* IF [NOT] EXISTS */
#define LADDER_ACTF_CASCADE 0x10000u       /* CASCADE */

typedef struct ladder_action {
	ladder_action_kind kind;
	unsigned int flags;        /* LADDER_ACTF_* */
	size_t offset;             /* in the step's text: the clause, else the statement */
	size_t stmt_offset;        /* the statement's first token */
	char schema[LADDER_NAME_MAX]; /* "" = unqualified */
	char table[LADDER_NAME_MAX];
	char column[LADDER_NAME_MAX];
	char name[LADDER_NAME_MAX];   /* index, constraint, schema, new name, pragma */
	char type[64];             /* a column's type, normalised by the engine ("int4",
	                              "timestamp", "bpchar(10)", "varchar(20)", "text") */
	char detail[256];          /* see the kind */
	int needs_version;         /* the oldest engine library that runs this form, as
	                              its version number (SQLite DROP COLUMN: 3035000);
	                              0: any */
} ladder_action;

/* Returns nonzero to stop the walk (returned as is). */
typedef int (*ladder_action_fn)(void *ctx, const ladder_action *action);

/* What a driver can do beyond the ops every driver has. */
#define LADDER_DRIVER_USER_VERSION 0x01 /* the user_version store */
#define LADDER_DRIVER_COMMENT 0x02      /* the comment store */
#define LADDER_DRIVER_SCHEMAS 0x04      /* a store in a named schema */
#define LADDER_DRIVER_LOCK_ALWAYS 0x08  /* every write run takes lock() (PostgreSQL's
                                           advisory lock); without it only runs that
                                           commit more than once do (SQLite, whose
                                           BEGIN IMMEDIATE locks single-transaction
                                           runs) */
#define LADDER_DRIVER_ENDS_TX_ON_ERROR 0x10 /* after some errors the engine ends the
                                               transaction itself (SQLite: RAISE(ROLLBACK),
                                               SQLITE_FULL), so a transaction gone after a
                                               failed step was rolled back; without it
                                               (PostgreSQL) a transaction gone means the
                                               step ended it */
#define LADDER_DRIVER_PATHS 0x20        /* takes a plain file path as its URL */
#define LADDER_DRIVER_ACTIONS_RUN 0x40  /* read_actions learns what a statement does by
                                           running it on a scratch database (SQLite, whose
                                           parse tree is not public): the core hands it one
                                           in the state before the step */
#define LADDER_DRIVER_ONLINE_DDL 0x80   /* PostgreSQL-like DDL, where lint's lock rules
                                           apply: indexes built and dropped CONCURRENTLY,
                                           constraints added NOT VALID and validated
                                           later, ALTER TABLE holding table locks to
                                           commit, typed columns */
#define LADDER_DRIVER_DDL_COMMITS 0x100 /* DDL commits implicitly (MariaDB, MySQL): a run
                                           cannot be one transaction, so the core runs each
                                           step statement by statement (statements marked
                                           LADDER_STMT_IMPLICIT_COMMIT alone, the others
                                           grouped in transactions) and records in the
                                           history row how many have completed */
#define LADDER_DRIVER_BACKTICKS 0x200   /* identifiers are quoted `like this` (MariaDB, MySQL:
                                           "..." is a string there); without it, "like this" */

/* A run's lease on the migration lock (see the pooler ops below): who holds it, so
 * that another migrator can say whom it waits for, and how long it lasts
 * without renewal. The core fills it. */
typedef struct ladder_lease {
	char owner[64]; /* unique to the run: "HOST:PID:RANDOM" */
	char host[64];
	long pid;
	int expiry_ms;
} ladder_lease;

typedef struct ladder_driver_ops {
	void (*close)(ladder_conn *conn);
	void *(*native)(ladder_conn *conn);
	/* The connection as printed: never a password. Owned by conn. */
	const char *(*display)(ladder_conn *conn);

	/* Run every statement of sql[0..len). On failure set the error message
	 * (the engine's text) and *err_offset to the byte offset in sql of the
	 * failing token, or of the failing statement's first token, or SIZE_MAX.
	 * Two failures are classified for the core, which decides what follows:
	 * LADDER_ELOCK_UNAVAILABLE when a statement could not get a lock in
	 * time and the engine cancelled it (PostgreSQL 55P03 lock_not_available,
	 * raised by lock_timeout; MariaDB's lock-wait timeout 1205 would be the
	 * same), so that running it again later may succeed; LADDER_ETIMEOUT when
	 * a statement ran past the statement timeout (PostgreSQL 57014). */
	int (*exec)(ladder_conn *conn, const char *sql, size_t len, unsigned int flags,
	            size_t *err_offset);

	/* Run one read-only query (one statement: a second one is refused, not
	 * skipped) and hand each row to fn. */
	int (*query_rows)(ladder_conn *conn, const char *sql, ladder_row_fn fn, void *ctx);

	/* Transactions. write=1 takes the engine's write lock at once (SQLite
	 * BEGIN IMMEDIATE), waiting at most wait_ms for it; LADDER_ELOCKED when
	 * another holds it still. The core waits in slices of about a second
	 * so that it can say whom it waits for. */
	int (*begin)(ladder_conn *conn, int write, int wait_ms);
	int (*commit)(ladder_conn *conn);
	int (*rollback)(ladder_conn *conn);
	int (*in_transaction)(ladder_conn *conn);
	/* Something that names the open transaction and changes when another
	 * one begins (PostgreSQL: its start time), so that a C callback that
	 * commits and begins again is noticed: `COMMIT; BEGIN` leaves a
	 * transaction open, just not ladder's. NULL where the engine has none. */
	int (*transaction_mark)(ladder_conn *conn, char *mark, size_t len);

	/* A lock held across transactions, for runs that commit more than once
	 * (PostgreSQL: session advisory lock polled with pg_try_advisory_lock;
	 * SQLite: a lock file beside the database). Returns LADDER_ELOCKED
	 * after timeout_ms (a slice of the whole wait, as for begin). */
	int (*lock)(ladder_conn *conn, const ladder_store *store, int timeout_ms);
	int (*unlock)(ladder_conn *conn, const ladder_store *store);
	/* Who holds the lock (or write lock) this connection waits for, as a
	 * short text for people: "pid 4242, application 'ladder', client
	 * 10.0.0.7", or a live lease's owner, host and pid. "" when the engine
	 * cannot tell; NULL op: never. Best effort: a failure to find out is
	 * no error. */
	void (*lock_holder)(ladder_conn *conn, const ladder_store *store, char *out, size_t len);

	/* Does the database hold no objects besides ladder's own store? */
	int (*is_empty)(ladder_conn *conn, const ladder_store *store, int *empty);

	/* SQLite table rebuilds: switch foreign-key enforcement (outside any
	 * transaction) and report violations. NULL where unsupported. */
	int (*set_foreign_keys)(ladder_conn *conn, int on, int *was_on);
	int (*foreign_key_check)(ladder_conn *conn);

	/* --- the version store --- */

	/* Create the store if missing, inside the open write transaction (the
	 * history table; for the comment store, its schema). */
	int (*store_prepare)(ladder_conn *conn, const ladder_store *store);

	/* History stores. read: the rows in ascending version order, in one
	 * query; newest_only: LADDER_HISTORY_HEAD_COLUMNS of the newest row
	 * alone, the fast path's one small read (no write, no write lock). A
	 * missing table reads as no rows.
	 * write: insert or replace nrows rows of LADDER_HISTORY_NCOLS cells, in
	 * as few round trips as the engine allows. */
	int (*history_read)(ladder_conn *conn, const ladder_store *store, int newest_only, ladder_row_fn fn,
	                    void *ctx);
	int (*history_write)(ladder_conn *conn, const ladder_store *store, const char *const *cells,
	                     size_t nrows);
	int (*history_delete)(ladder_conn *conn, const ladder_store *store, int64_t version);

	/* Light stores (user_version, comment): the head alone. A missing
	 * comment table reads as 0. stamp_write after a down (after_down = 1)
	 * stamps nothing when the down dropped the table. */
	int (*stamp_read)(ladder_conn *conn, const ladder_store *store, int64_t *version);
	int (*stamp_write)(ladder_conn *conn, const ladder_store *store, int64_t version, int after_down);
	/* A light store's stamp in a database ladder has not recorded into:
	 * SQLite `user_version` above 0 ("user_version"), PostgreSQL a table in
	 * `schema` ("" = the current schema) whose comment is a version number
	 * ("comment:TABLE"). *version 0: none. */
	int (*stamp_find)(ladder_conn *conn, const char *schema, char *spec, size_t len, int64_t *version);

	/* --- verification --- */

	/* A normalised, deterministic text describing the schema ladder manages
	 * (everything but the store's own table): the same schema gives the same
	 * bytes whatever order it was built in. Appended to *out. */
	int (*describe)(ladder_conn *conn, const ladder_store *store, struct ladder_buf *out);

	/* An empty scratch database on the same engine (and server), as a URL
	 * ladder_db_open accepts; scratch_drop removes it. NULL: the core makes
	 * temporary SQLite files itself. */
	int (*scratch_create)(ladder_conn *conn, char **url);
	int (*scratch_drop)(ladder_conn *conn, const char *url);

	/* --- reading migration text --- */

	/* Split sql[0..len) into statements with the engine's own parser and
	 * classify each (array in *out from ladder_malloc, freed by the caller;
	 * blank statements are left out). Runs nothing and reads no schema. A
	 * text the parser cannot read is no error: *count is then SIZE_MAX and
	 * the core falls back on checking the transaction after the step. conn
	 * is NULL when lint reads a plan without a database (drivers without
	 * LADDER_DRIVER_ACTIONS_RUN): classify for the newest server known. */
	int (*statements)(ladder_conn *conn, const char *sql, size_t len, ladder_stmt **out,
	                  size_t *count);

	/* --- other tools' version tables (adopt, and the check that spots them) --- */

	/* Does `table` exist in `schema` ("" = where unqualified names resolve)
	 * and, when column is not NULL, does it have that column? Safe inside
	 * an open transaction: a missing table is an answer, not an error. */
	int (*table_has)(ladder_conn *conn, const char *schema, const char *table, const char *column,
	                 int *exists);

	/* --- lint's context from the target --- */

	/* How big a table is: *rows (an estimate where the engine keeps one,
	 * PostgreSQL reltuples; -1 unknown) and *bytes (-1 unknown). *exists 0
	 * for a missing table. Reads only. NULL op: sizes are never known. */
	int (*table_size)(ladder_conn *conn, const char *schema, const char *table, int *exists, int64_t *rows,
	                  int64_t *bytes);

	/* --- limits on one step --- */

	/* `-- ladder:statement-timeout`: from now on each statement may run at
	 * most timeout_ms (> 0) before the engine cancels it (exec then fails
	 * with LADDER_ETIMEOUT); timeout_ms = 0 puts back the setting the last
	 * call replaced. Inside an open transaction the setting is the
	 * transaction's (PostgreSQL SET LOCAL), so a rollback also ends it;
	 * outside one (a no-transaction step) it is the session's until put
	 * back. Putting back inside a failed transaction may do nothing: the
	 * rollback that follows does it. NULL: the engine has no such limit,
	 * and the core refuses a step that asks for one before anything runs. */
	int (*statement_timeout)(ladder_conn *conn, int timeout_ms);

	/* --- the migration lock behind a connection pooler (version 3) ---
	 * A pooler in transaction mode (PgBouncer) may run each transaction of
	 * one client connection on another server session: a session lock
	 * taken on one is released on another, or never. The core then takes
	 * a lock scoped to each transaction and, for runs that commit more
	 * than once, a lease: a row naming its owner that expires unless
	 * renewed. Every way of locking respects a live lease of another
	 * owner (lock() too), so they exclude one another. NULL ops: the
	 * engine has none of this and only lock() is used. */

	/* *pooled = 1 when consecutive transactions of this connection may run
	 * in different server sessions, as far as the engine can tell. */
	int (*pooled)(ladder_conn *conn, int *pooled);
	/* Inside the open transaction, try once for the migration lock scoped
	 * to that transaction (released by its commit or rollback). *got = 1
	 * when it is ours and no live lease of an owner other than `owner`
	 * (NULL: any) exists; an expired lease of another is removed, taken
	 * over. When got, the session settings the driver makes at connect
	 * (search path, lock timeout) are made again for this transaction: a
	 * pooler may run it in a session that never had them. */
	int (*xact_lock)(ladder_conn *conn, const ladder_store *store, const char *owner, int *got);
	/* Inside the open transaction that holds xact_lock: record the lease
	 * (creating its table if needed), expiring lease->expiry_ms from now
	 * by the engine's clock. */
	int (*lease_take)(ladder_conn *conn, const ladder_store *store, const ladder_lease *lease);
	/* Inside the open transaction that holds xact_lock: push the lease's
	 * expiry to expiry_ms from now; *kept = 0 when it is no longer ours
	 * (expired and taken over). */
	int (*lease_renew)(ladder_conn *conn, const ladder_store *store, const ladder_lease *lease, int *kept);
	/* Outside any transaction: drop the lease if it is still ours. */
	int (*lease_release)(ladder_conn *conn, const ladder_store *store, const ladder_lease *lease);

	/* --- fleets: many schemas of one database (version 4) --- */

	/* One row per schema whose name matches the LIKE pattern, its name
	 * the only cell, leaving out the engine's own schemas. NULL: the
	 * engine has no schemas to list. */
	int (*schemas_list)(ladder_conn *conn, const char *like, ladder_row_fn fn, void *ctx);
	/* The fast path's read of n history stores at once, in a few round
	 * trips whatever n is: for each store holding a row, one call of fn
	 * with the store's index in stores[] as the first cell, then the
	 * newest row's LADDER_HISTORY_HEAD_COLUMNS. A store without a table
	 * or rows gets no call. Outside any transaction. NULL: the core reads
	 * the stores one at a time. */
	int (*heads_read)(ladder_conn *conn, const ladder_store *stores, size_t n, ladder_row_fn fn, void *ctx);

	/* --- statement-level progress (version 5) --- */

	/* Does the index `index` exist on `table` in `schema` ("" = the
	 * connection's default)? As table_has: a missing table is an answer
	 * (*exists 0). What the core asks, with table_has, to learn whether a
	 * DDL statement cut off by a crash took effect. NULL: never asked. */
	int (*index_has)(ladder_conn *conn, const char *schema, const char *table, const char *index, int *exists);
} ladder_driver_ops;

/* 4 -> 5: LADDER_DRIVER_DDL_COMMITS, LADDER_DRIVER_BACKTICKS, LADDER_STMT_IMPLICIT_COMMIT,
 * index_has.
 * 3 -> 4: schemas_list and heads_read (fleets).
 * 2 -> 3: the pooler ops (pooled .. lease_release), statement_timeout,
 * table_size, and the driver's read_actions (lint). */
#define LADDER_DRIVER_VERSION 5

/* One engine, as the registry (src/drivers.h) lists it. */
typedef struct ladder_driver {
	unsigned int version;        /* LADDER_DRIVER_VERSION */
	const char *name;            /* "sqlite", "postgres": ladder_db_engine() */
	const char *const *schemes;  /* URL prefixes it owns, NULL-terminated */
	unsigned int caps;           /* LADDER_DRIVER_* */
	/* 1 if a URL without a known scheme is this driver's (libpq's
	 * "host=... dbname=..."); NULL: none is. */
	int (*claims)(const char *url);
	/* Open a connection for url (which may carry one of `schemes`). */
	int (*connect)(ladder_conn **out, const char *url, const ladder_open_options *opts);
	/* Wrap an application's own handle (sqlite3 *, PGconn *), which stays
	 * the application's to close. */
	int (*wrap)(ladder_conn **out, void *native, const ladder_open_options *opts);
	/* Report what each statement of sql[0..len) does, in order (lint).
	 * Drivers with LADDER_DRIVER_ACTIONS_RUN run the statements on scratch,
	 * a connection to a scratch database in the state before the step, and
	 * report a statement that fails as LADDER_ACT_FAILED and stop; others
	 * parse only and get NULL. A text the parser cannot read is reported as
	 * LADDER_ACT_FAILED too. NULL: the engine cannot be linted. */
	int (*read_actions)(ladder_conn *scratch, const char *sql, size_t len, ladder_action_fn fn, void *ctx);
	const ladder_driver_ops *ops;
} ladder_driver;

/* Drivers embed this first in their own connection struct. */
struct ladder_conn {
	const ladder_driver *driver;
};

/* A ladder_db around an application's handle, through the driver named
 * `driver` (what an engine header's ladder_*_wrap calls). */
LADDER_EXTERN int ladder_db_wrap(ladder_db **out, const char *driver, void *native,
                                 const ladder_open_options *opts);

/* Room for a server's long message with its context; a longer one is cut
 * and ends in an ellipsis, never silently. */
#define LADDER_ERROR_MAX 8192

/* The last error, kept whole while clean-up (rollback, unlock, putting
 * settings back) may raise errors of its own; no allocation, so keeping it
 * cannot fail. */
typedef struct ladder_error_saved {
	int code;
	char message[LADDER_ERROR_MAX];
} ladder_error_saved;

LADDER_EXTERN void ladder_error_save(ladder_error_saved *saved);
LADDER_EXTERN void ladder_error_restore(const ladder_error_saved *saved);

/* A lock the engine offers only as "try once", waited for as every
 * driver waits: try_once sets *got; polled with backoff (5 ms doubling to
 * 200 ms, with jitter) until timeout_ms, then LADDER_ELOCKED naming
 * display. Returns 0 once got, or try_once's error. */
typedef int (*ladder_lock_try_fn)(void *ctx, int *got);
LADDER_EXTERN int ladder_lock_poll(ladder_lock_try_fn try_once, void *ctx, int timeout_ms, const char *display);

/* Passwords out of output. text with every occurrence of secret replaced
 * by "****" (a secret shorter than 4 characters only where it stands
 * alone), from ladder_malloc; NULL when out of memory. And a field of a
 * display name (user, host, database) as shown: "****" whole when the
 * secret is in it, never a part of it. */
LADDER_EXTERN char *ladder_mask_secret(const char *text, const char *secret);
LADDER_EXTERN const char *ladder_secret_field(const char *field, const char *secret);

/* Overwrite a secret's bytes (a key, a password) before its memory is
 * freed, in a way the compiler cannot drop as a dead store. */
LADDER_EXTERN void ladder_wipe(void *secret, size_t len);

/* Helpers for drivers' messages and splitting: the line of a byte offset
 * (1-based) and the offset of the first token at or after `offset`
 * (ladder_text_is_blank is in ladder.h). */
LADDER_EXTERN int ladder_line_of(const char *text, size_t offset);
LADDER_EXTERN size_t ladder_text_skip_blank(const char *text, size_t len, size_t offset);

#ifdef __cplusplus
}
#endif
#endif /* LADDER_SYS_DRIVER_H */
