/*
 * sqlite_internal.h — the SQLite driver's private connection struct and what
 * sqlite_driver.c (connection, transactions, locks) shares with
 * sqlite_store.c (the version stores).
 */
#ifndef LADDER_SQLITE_INTERNAL_H
#define LADDER_SQLITE_INTERNAL_H

#include "ladder.h"
#include "ladder/sys/driver.h"

#include <sqlite3.h>

/* A prepared statement kept for the life of the connection, with the table
 * it was prepared for: the store's table can differ between calls (adopt
 * reads one store while recording into another). */
typedef struct ladder_sqlite_cached {
	sqlite3_stmt *stmt;
	char table[LADDER_NAME_MAX];
} ladder_sqlite_cached;

typedef struct ladder_sqlite_conn {
	ladder_conn base;       /* first: the core sees only this */
	sqlite3 *db;
	int owned;              /* 0: a wrapped handle the application closes */
	int must_exist;         /* opened with LADDER_OPEN_EXISTING */
	int no_create;          /* opened with LADDER_OPEN_NO_CREATE (dry runs) */
	int created;            /* this connection created the file it has open:
	                           removed at close if nothing was ever committed */
	sqlite3 **stale;        /* handles replaced by a reopen, kept open until
	                           close: the application may hold one (native) */
	size_t nstale;
	int busy_timeout_ms;
	int lock_fd;            /* the held lock file, or -1 */
	char *lock_path;        /* its path, removed when the lock goes */
	char *key;              /* ladder_open_options.sqlite_key, applied at each
	                           open of the path; wiped at close */
	char *path;             /* as the user named it, for messages */
	char *display;          /* "sqlite:PATH" */
	ladder_sqlite_cached head;   /* history: the newest row */
	ladder_sqlite_cached put;    /* history: INSERT OR REPLACE */
	sqlite3_stmt *user_version;  /* PRAGMA user_version */
	sqlite3 *lint_probe;         /* a private in-memory database in which lint
	                                judges defaults (sqlite_lint.c), or NULL */
} ladder_sqlite_conn;

extern const ladder_driver ladder_sqlite_driver;

/* Raise the connection's current SQLite error as "'PATH': message" with the
 * ladder code for rc. Returns that (negative) code. */
int ladder_sqlite__error(ladder_sqlite_conn *conn, int rc);

/* The ladder code for an SQLite result code (extended codes allowed). */
int ladder_sqlite__code(int rc);

/* 1 if the last error on db says a table is missing. */
int ladder_sqlite__no_such_table(sqlite3 *db, int rc);

/* The version stores (sqlite_store.c); see ladder_driver_ops. */
int ladder_sqlite__store_prepare(ladder_conn *conn, const ladder_store *store);
int ladder_sqlite__history_read(ladder_conn *conn, const ladder_store *store, int newest_only, ladder_row_fn fn,
                                void *ctx);
int ladder_sqlite__history_write(ladder_conn *conn, const ladder_store *store, const char *const *cells,
                                 size_t nrows);
int ladder_sqlite__history_delete(ladder_conn *conn, const ladder_store *store, int64_t version);
int ladder_sqlite__stamp_read(ladder_conn *conn, const ladder_store *store, int64_t *version);
int ladder_sqlite__stamp_write(ladder_conn *conn, const ladder_store *store, int64_t version, int after_down);

/* The normalised schema description (sqlite_describe.c). */
int ladder_sqlite__describe(ladder_conn *conn, const ladder_store *store, ladder_buf *out);

/* Split and classify migration text (sqlite_statements.c). */
int ladder_sqlite__statements(ladder_conn *conn, const char *sql, size_t len, ladder_stmt **out,
                              size_t *count);

/* Lint (sqlite_lint.c): what each statement does, learnt by running it on
 * a scratch database (see ladder_driver.read_actions), and a table's size
 * (ladder_driver_ops.table_size). */
int ladder_sqlite__read_actions(ladder_conn *scratch, const char *sql, size_t len, ladder_action_fn fn, void *ctx);
int ladder_sqlite__table_size(ladder_conn *conn, const char *schema, const char *table, int *exists, int64_t *rows,
                              int64_t *bytes);

/* The database file (sqlite_file.c): open conn->path into conn->db as the
 * connection's flags say; open it again after the path was removed (no
 * file, or a new empty one, is all it accepts); remove a file this
 * connection created and nothing was committed to (at close); has the path
 * stopped naming the file db has open? */
int ladder_sqlite__open_handle(ladder_sqlite_conn *conn);
int ladder_sqlite__reopen(ladder_sqlite_conn *conn);
void ladder_sqlite__remove_if_unused(ladder_sqlite_conn *conn);
int ladder_sqlite__path_moved(sqlite3 *db);

/* The lock file (sqlite_lock.c); see ladder_driver_ops. release_lock lets
 * go of it at close. */
int ladder_sqlite__lock(ladder_conn *conn, const ladder_store *store, int timeout_ms);
int ladder_sqlite__unlock(ladder_conn *conn, const ladder_store *store);
void ladder_sqlite__lock_holder(ladder_conn *conn, const ladder_store *store, char *out, size_t len);
void ladder_sqlite__release_lock(ladder_sqlite_conn *conn);

/* Finalize the statements the stores cached (before closing the handle). */
void ladder_sqlite__store_close(ladder_sqlite_conn *conn);

/* Where in the text SQLite's complaint points, given the statement that
 * began at `start`: the token it names, else the statement's first token
 * (sqlite_driver.c). */
size_t ladder_sqlite__error_offset(sqlite3 *db, const char *sql, size_t len, size_t start);

#endif /* LADDER_SQLITE_INTERNAL_H */
