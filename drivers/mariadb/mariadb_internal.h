/*
 * mariadb_internal.h — the MariaDB driver's private connection struct and
 * what its files share: mariadb_conn.c (URLs, connecting, wrapping, the ops
 * table), mariadb_exec.c (running migration text, errors, queries, the
 * statement timeout), mariadb_lock.c (transactions, the named lock,
 * emptiness), mariadb_store.c (the history table and catalog questions)
 * and mariadb_describe.c (the schema description and scratch databases).
 */
#ifndef LADDER_MARIADB_INTERNAL_H
#define LADDER_MARIADB_INTERNAL_H

#include "ladder.h"
#include "ladder/sys/driver.h"

#include "mariadb_client.h" /* libmariadb, loaded on first use */

/* What a URL says, decoded; also what a scratch database's URL repeats. */
typedef struct ladder_my_params {
	char *user, *password, *host, *database, *socket;
	char *ssl_mode, *ssl_ca, *ssl_cert, *ssl_key;
	unsigned int port;           /* 0: libmariadb's default */
	unsigned int connect_timeout; /* seconds, 0: libmariadb's default */
} ladder_my_params;

struct ladder_my_conn {
	ladder_conn base;        /* first: the core sees only this */
	MYSQL *my;
	int owned;               /* 0: a wrapped connection the application closes */
	char *display;           /* mariadb://user@host:port/db, never a password */
	ladder_my_params params; /* how to reach the server again (scratch databases) */
	char *database;          /* the store's database: opts->schema, else the URL's; NULL: none */
	int db_missing;          /* opts->schema names a database not created yet */
	int ddl_lock_timeout_ms; /* opts->ddl_lock_timeout_ms */

	int lock_held;
	char lock_name[72];
	/* Wrapped connections: the session's settings while a run holds the
	 * lock, put back on unlock. */
	int settings_scoped;
	char *saved_database;    /* "" for none */
	char saved_timeouts[64]; /* "lock_wait_timeout, innodb_lock_wait_timeout" */
	int saved_valid;
	/* A step's statement timeout: the max_statement_time it replaced. */
	char saved_statement_time[32];
};

typedef struct ladder_my_conn ladder_my_conn;

extern const ladder_driver ladder_mariadb_driver;

/* --- mariadb_exec.c ------------------------------------------------------ */

/* Raise the connection's last error as "ERROR errno (sqlstate): message",
 * prefixed by `what` when not NULL. Returns the ladder code
 * (LADDER_ELOCK_UNAVAILABLE for lock-wait timeouts, LADDER_ETIMEOUT for
 * max_statement_time, LADDER_ENOMEM, else LADDER_EDB). */
int ladder_my__error(ladder_my_conn *conn, const char *what);

/* Run one statement and discard whatever it returns (every result set of
 * a CALL included). 0 or the error raised; *errno_out (may be NULL) the
 * server's error number, 0 on success. */
int ladder_my__run(ladder_my_conn *conn, const char *what, const char *sql, size_t len, unsigned int *errno_out);

/* Run one query and hand each row of its first result set to fn as text
 * cells. A missing table (1146) when missing_ok: no rows, no error. */
int ladder_my__rows(ladder_my_conn *conn, const char *what, const char *sql, int missing_ok, ladder_row_fn fn,
                    void *ctx);

/* The first cell of the first row, copied into out (NULL: "" and
 * *is_null = 1), for one-value queries. */
int ladder_my__value(ladder_my_conn *conn, const char *what, const char *sql, char *out, size_t len, int *is_null);

/* `text` as a quoted string literal ('…', escaped for the session's
 * sql_mode) or a quoted identifier (`…`), appended to buf. */
void ladder_my__put_literal(ladder_my_conn *conn, ladder_buf *buf, const char *text);
void ladder_my__put_ident(ladder_buf *buf, const char *ident);

/* The database a store lives in: the store's schema, else the connection's
 * database; NULL: the session's current one (DATABASE()). */
const char *ladder_my__database(ladder_my_conn *conn, const ladder_store *store);
/* 1 when database is the connection's and it does not exist yet
 * (created by store_prepare). */
int ladder_my__missing(ladder_my_conn *conn, const char *database);
/* The database as SQL: a literal, or DATABASE() when NULL. */
void ladder_my__put_database(ladder_my_conn *conn, ladder_buf *buf, const char *database);

int ladder_my__exec(ladder_conn *base, const char *sql, size_t len, unsigned int flags, size_t *err_offset);
int ladder_my__query_rows(ladder_conn *base, const char *sql, ladder_row_fn fn, void *ctx);
int ladder_my__statement_timeout(ladder_conn *base, int timeout_ms);
int ladder_my__statements(ladder_conn *base, const char *sql, size_t len, ladder_stmt **out, size_t *count);

/* 1 while the server says a transaction is open. */
int ladder_my__in_tx(ladder_my_conn *conn);

/* --- mariadb_lock.c ------------------------------------------------------ */

int ladder_my__begin(ladder_conn *base, int write, int wait_ms);
int ladder_my__commit(ladder_conn *base);
int ladder_my__rollback(ladder_conn *base);
int ladder_my__in_transaction(ladder_conn *base);
int ladder_my__lock(ladder_conn *base, const ladder_store *store, int timeout_ms);
int ladder_my__unlock(ladder_conn *base, const ladder_store *store);
void ladder_my__lock_holder(ladder_conn *base, const ladder_store *store, char *out, size_t len);
int ladder_my__is_empty(ladder_conn *base, const ladder_store *store, int *empty);
/* Release the named lock and put back scoped settings if still held
 * (close()); errors are ignored. */
void ladder_my__release(ladder_my_conn *conn);

/* --- mariadb_store.c ----------------------------------------------------- */

int ladder_my__store_prepare(ladder_conn *base, const ladder_store *store);
int ladder_my__history_read(ladder_conn *base, const ladder_store *store, int newest_only, ladder_row_fn fn,
                            void *ctx);
int ladder_my__history_write(ladder_conn *base, const ladder_store *store, const char *const *cells, size_t nrows);
int ladder_my__history_delete(ladder_conn *base, const ladder_store *store, int64_t version);
int ladder_my__stamp_read(ladder_conn *base, const ladder_store *store, int64_t *version);
int ladder_my__stamp_write(ladder_conn *base, const ladder_store *store, int64_t version, int after_down);
int ladder_my__table_has(ladder_conn *base, const char *schema, const char *table, const char *column, int *exists);
int ladder_my__index_has(ladder_conn *base, const char *schema, const char *table, const char *index, int *exists);
int ladder_my__table_size(ladder_conn *base, const char *schema, const char *table, int *exists, int64_t *rows,
                          int64_t *bytes);
int ladder_my__schemas_list(ladder_conn *base, const char *like, ladder_row_fn fn, void *ctx);

/* --- mariadb_describe.c -------------------------------------------------- */

int ladder_my__describe(ladder_conn *base, const ladder_store *store, ladder_buf *out);
int ladder_my__scratch_create(ladder_conn *base, char **url);
int ladder_my__scratch_drop(ladder_conn *base, const char *url);

/* --- mariadb_conn.c ------------------------------------------------------ */

/* Parse a mariadb:// or mysql:// URL into p (fields from ladder_malloc;
 * free with ladder_my__params_free). LADDER_EINVALID naming what is wrong,
 * never repeating the password. */
int ladder_my__parse_url(ladder_my_params *p, const char *url);
void ladder_my__params_free(ladder_my_params *p);
/* The URL that reaches p's server as p's user, database `database`
 * (password included: for ladder_db_open, never for printing). */
char *ladder_my__params_url(const ladder_my_params *p, const char *database);

#endif /* LADDER_MARIADB_INTERNAL_H */
