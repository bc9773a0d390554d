/*
 * ladder/sys/driver.h — the interface between ladder's engine-neutral core and
 * one database engine. Only driver authors need this header.
 *
 * A driver allocates a struct that embeds `ladder_conn` as its first member
 * and fills `ops`. The core never includes an engine's header: everything it
 * asks of an engine goes through these function pointers. Every op returns 0
 * or a negative LADDER_E* code after ladder_error_set() with the engine's
 * own message.
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

/* Parse "history", "history:TABLE", "user_version", "comment:TABLE". */
LADDER_EXTERN int ladder_store_parse(ladder_store *out, const char *spec, const char *schema);

/* Format a store back to its spec ("history", "comment:phoenix_kit"). */
LADDER_EXTERN const char *ladder_store_spec(const ladder_store *store, char *buf, size_t len);

#define LADDER_HASH_HEX 65 /* 64 hex chars and a NUL */

/* One row of a history store. Light stores (user_version, comment) have none. */
typedef struct ladder_row {
	int64_t version;
	char *name;                      /* owned by the row array */
	char kind[16];                   /* "migration", "baseline", "adopted" */
	char checksum[LADDER_HASH_HEX];
	char chain[LADDER_HASH_HEX];     /* digest of every checksum up to this row */
	int started;                     /* 1: a no-transaction step began, not done */
	char applied_at[32];             /* UTC, "YYYY-MM-DDTHH:MM:SSZ" */
	int64_t duration_ms;
} ladder_row;

LADDER_EXTERN void ladder_rows_free(ladder_row *rows, size_t count);

/* The fast path's one small read. */
typedef struct ladder_head {
	int64_t version;              /* 0: nothing applied (or no store yet) */
	char chain[LADDER_HASH_HEX];  /* "" for light stores */
	int started;                  /* the head row is an unfinished step */
} ladder_head;

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

typedef struct ladder_driver_ops {
	const char *engine; /* "sqlite", "postgres" */
	/* 1: every write run takes lock() (PostgreSQL's advisory lock); 0: only
	 * runs that commit more than once do (SQLite, whose BEGIN IMMEDIATE is
	 * the lock for single-transaction runs). */
	int lock_always;
	/* 1: after some errors the engine ends the transaction itself (SQLite:
	 * RAISE(ROLLBACK) in a trigger, SQLITE_FULL), so a transaction gone after
	 * a failed step was rolled back; 0: it stays open until ladder ends it
	 * (PostgreSQL), so a transaction gone means the step ended it. */
	int rolls_back_on_error;

	void (*close)(ladder_conn *conn);
	void *(*native)(ladder_conn *conn);

	/* Run every statement of sql[0..len). On failure set the error message
	 * (the engine's text) and *err_offset to the byte offset in sql of the
	 * failing token, or of the failing statement's first token, or SIZE_MAX. */
	int (*exec)(ladder_conn *conn, const char *sql, size_t len, unsigned int flags,
	            size_t *err_offset);

	/* Run a query and report whether it returned no rows (post-conditions).
	 * *first_row gets a short text rendering of the first row, or "". */
	int (*query_is_empty)(ladder_conn *conn, const char *sql, int *empty, char *first_row,
	                      size_t first_row_len);

	/* Transactions. write=1 takes the engine's write lock at once (SQLite
	 * BEGIN IMMEDIATE, waiting up to the busy timeout). */
	int (*begin)(ladder_conn *conn, int write);
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
	 * after timeout_ms. */
	int (*lock)(ladder_conn *conn, const ladder_store *store, int timeout_ms);
	int (*unlock)(ladder_conn *conn, const ladder_store *store);

	/* Does the database hold no objects besides ladder's own store? */
	int (*is_empty)(ladder_conn *conn, const ladder_store *store, int *empty);

	/* SQLite table rebuilds: switch foreign-key enforcement (outside any
	 * transaction) and report violations. NULL where unsupported. */
	int (*set_foreign_keys)(ladder_conn *conn, int on, int *was_on);
	int (*foreign_key_check)(ladder_conn *conn);

	/* --- the version store --- */

	/* The fast path: one small read, no write lock, no write. A missing store
	 * reads as version 0. */
	int (*store_head)(ladder_conn *conn, const ladder_store *store, ladder_head *out);
	/* Every row in ascending version order, in one query (history stores;
	 * light stores return none). A missing store reads as no rows. */
	int (*store_read)(ladder_conn *conn, const ladder_store *store, ladder_row **rows,
	                  size_t *count);
	/* Create the store if missing (inside the open write transaction). */
	int (*store_prepare)(ladder_conn *conn, const ladder_store *store);
	/* Insert or replace one row; light stores record row->version as head. */
	int (*store_put)(ladder_conn *conn, const ladder_store *store, const ladder_row *row);
	/* Forget one row; light stores record new_head as head. */
	int (*store_remove)(ladder_conn *conn, const ladder_store *store, int64_t version,
	                    int64_t new_head);

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
	 * classify each (malloc'd array in *out, freed by the caller; blank
	 * statements are left out). Runs nothing and reads no schema. A text
	 * the parser cannot read is no error: *count is then SIZE_MAX and the
	 * core falls back on checking the transaction after the step. */
	int (*statements)(ladder_conn *conn, const char *sql, size_t len, ladder_stmt **out,
	                  size_t *count);

	/* --- other tools' version tables (adopt, and the check that spots them) --- */

	/* Does `table` exist in `schema` ("" = where unqualified names resolve)
	 * and, when column is not NULL, does it have that column? Safe inside
	 * an open transaction: a missing table is an answer, not an error. */
	int (*table_has)(ladder_conn *conn, const char *schema, const char *table, const char *column,
	                 int *exists);
	/* Run one read-only query and hand each row to fn: ncols cells as text
	 * (NULL for SQL NULL). A nonzero return from fn stops the query and is
	 * returned as is. */
	int (*query_rows)(ladder_conn *conn, const char *sql,
	                  int (*fn)(void *ctx, int ncols, const char *const *cells), void *ctx);
	/* A light store's stamp in a database ladder has not recorded into:
	 * SQLite `user_version` above 0 ("user_version"), PostgreSQL a table in
	 * `schema` ("" = the current schema) whose comment is a version number
	 * ("comment:TABLE"). *version 0: none. */
	int (*light_stamp)(ladder_conn *conn, const char *schema, char *spec, size_t len, int64_t *version);
} ladder_driver_ops;

/* Drivers embed this first in their own connection struct. */
struct ladder_conn {
	const ladder_driver_ops *ops;
};

/* Driver entry points, called by ladder_db_open() for matching URLs. */
LADDER_EXTERN int ladder_sqlite_connect(ladder_conn **out, const char *path, const ladder_open_options *opts);
LADDER_EXTERN int ladder_postgres_connect(ladder_conn **out, const char *conninfo,
                            const ladder_open_options *opts);
/* The connection described without its password, for printing. */
LADDER_EXTERN const char *ladder_postgres_display(ladder_conn *conn);

/* Wrap a connection that a driver made (used by the engine headers'
 * ladder_*_wrap functions). display: what to print for it. */
LADDER_EXTERN int ladder_db_from_conn(ladder_db **out, ladder_conn *conn, const char *display,
                        const ladder_open_options *opts);

/* The byte offset -> "file:line" helper every driver error can use. */
LADDER_EXTERN int ladder_line_of(const char *text, size_t offset);

#ifdef __cplusplus
}
#endif
#endif /* LADDER_SYS_DRIVER_H */
