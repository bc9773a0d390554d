/*
 * pgutil.h — helpers for the PostgreSQL tests: the server the harness
 * started (tests/pg/server.sh, named by LADDER_PG_URL_FILE), a fresh
 * database per test, raw libpq queries to look at what a run changed, and a
 * snapshot of everything a run may change (schemas, tables, columns,
 * indexes, comments, rows).
 */
#ifndef LADDER_PGUTIL_H
#define LADDER_PGUTIL_H

#include "engine.h"

#include <libpq-fe.h>

/* What tests/pg/server.sh gives the role that logs in with a password. */
#define PGU_PW_USER "ladder_pw"
#define PGU_PW_PASSWORD "ladder-pw-s3cret"

/* The server's URL (postgres://postgres@127.0.0.1:PORT/postgres). Fails the
 * test when LADDER_PG_URL_FILE is unset or unreadable: skipping is not
 * passing. */
const char *pgu_server_url(void);
int pgu_port(void);

/* URL of database dbname on the test server as user (password may be NULL). */
const char *pgu_url(const char *user, const char *password, const char *dbname);

/* A new empty database with a unique name (tag helps reading logs); its URL
 * is kept until exit. *name (may be NULL) gets the database name. */
const char *pgu_new_db(const char *tag, const char **name);
void pgu_drop_db(const char *name);

/* The PostgreSQL fixture of engine.h (engine_pg.c). */
extern tu_engine pgu_engine;

PGconn *pgu_connect(const char *url);
/* A connection to url kept open for this process to look through (never
 * PQfinish it): what the looks below use. */
PGconn *pgu_session(const char *url);
void pgu_rows(PGconn *conn, const char *sql, tu_buf *out); /* as tu_engine.rows */
void pgu_exec(PGconn *conn, const char *sql);
int64_t pgu_conn_int(PGconn *conn, const char *sql); /* first column of first row; -1 if none */
int64_t pgu_int(const char *url, const char *sql);    /* -1 if none or NULL */
char *pgu_text(const char *url, const char *sql); /* '|' between columns, '\n' after rows; free() */
void pgu_assert_text(const char *url, const char *sql, const char *expected);
char *pgu_snapshot(const char *url); /* free() */

/* Open with these options (store and schema may be NULL). */
ladder_db *pgu_open(const char *url, const char *store, const char *schema);

/* The advisory lock key ladder takes for (schema or NULL, store spec), as
 * ladder/postgres.h documents it, computed by the server at url. */
int64_t pgu_lock_key(const char *url, const char *schema, const char *spec);

/* Advisory locks held in the database behind url by sessions other than
 * the caller's (pg_locks). */
int64_t pgu_advisory_locks(const char *url);

/* Wait up to seconds for no advisory lock to be held; returns how many are. */
int64_t pgu_wait_locks_free(const char *url, double seconds);

#endif /* LADDER_PGUTIL_H */
