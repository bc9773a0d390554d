/*
 * myutil.h — helpers for the MariaDB tests: the server the harness started
 * (tests/mariadb/server.sh, named by LADDER_MARIADB_URL_FILE), a fresh
 * database per test, raw libmariadb queries to look at what a run changed,
 * a snapshot of everything a run may change, and the migration lock as
 * ladder/mariadb.h documents it (a GET_LOCK user lock).
 */
#ifndef LADDER_MYUTIL_H
#define LADDER_MYUTIL_H

#include "engine.h"

#include <mysql.h>

/* What tests/mariadb/server.sh gives its users. */
#define MYU_USER "ladder"
#define MYU_PASSWORD "ladder-secret-pw"
#define MYU_READER "reader"
#define MYU_READER_PASSWORD "reader-secret-pw"

/* The server's URL (mariadb://ladder:PW@127.0.0.1:PORT/, a database name
 * appended by the tests). Fails the test when LADDER_MARIADB_URL_FILE is
 * unset or unreadable: skipping is not passing. */
const char *myu_server_url(void);
int myu_port(void);

/* URL of database dbname on the test server as user (password may be NULL). */
const char *myu_url(const char *user, const char *password, const char *dbname);

/* A new empty database with a unique name (tag helps reading logs); its URL
 * is kept until exit. *name (may be NULL) gets the database name. */
const char *myu_new_db(const char *tag, const char **name);
void myu_drop_db(const char *name);

/* The database a URL names (kept until exit). */
const char *myu_db_of(const char *url);

/* The MariaDB fixture of engine.h (engine_mariadb.c). */
extern tu_engine myu_engine;

/* A connection as url says: mariadb:// or mysql://, user[:password]@,
 * host[:port], /database, ?socket=PATH; percent-escapes decoded. Its
 * sql_mode adds PIPES_AS_CONCAT and NO_BACKSLASH_ESCAPES, so the
 * engine-neutral scenarios' SQL ('a' || 'b', '\' in LIKE ... ESCAPE) means
 * what it means on the other engines; several statements per query. */
MYSQL *myu_connect(const char *url);
/* A connection to url kept open for this process to look through (never
 * close it): what the looks below use. */
MYSQL *myu_session(const char *url);
void myu_rows(MYSQL *conn, const char *sql, tu_buf *out); /* as tu_engine.rows */
void myu_exec(MYSQL *conn, const char *sql);              /* one or more statements */
int64_t myu_conn_int(MYSQL *conn, const char *sql);       /* first column of first row; -1 if none */
int64_t myu_int(const char *url, const char *sql);        /* -1 if none or NULL */
char *myu_text(const char *url, const char *sql); /* '|' between columns, '\n' after rows; free() */
void myu_assert_text(const char *url, const char *sql, const char *expected);
char *myu_snapshot(const char *url); /* free() */

/* Open with these options (store and schema may be NULL). */
ladder_db *myu_open(const char *url, const char *store, const char *schema);

/* The name of the user lock ladder takes for (database, store spec), as
 * ladder/mariadb.h documents it (kept until exit). */
const char *myu_lock_name(const char *database, const char *spec);

/* IS_USED_LOCK of that name: the holder's connection id, 0 when free. */
int64_t myu_lock_holder(const char *url, const char *database, const char *spec);

/* ladder's user locks on url's database ('ladder:DB:...', or the default
 * store's hashed name) held by sessions other than the caller's
 * (information_schema.METADATA_LOCK_INFO). */
int64_t myu_locks(const char *url);

/* Wait up to seconds for no such lock to be held; returns how many are. */
int64_t myu_wait_locks_free(const char *url, double seconds);

#endif /* LADDER_MYUTIL_H */
