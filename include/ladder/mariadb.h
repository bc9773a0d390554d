/*
 * ladder/mariadb.h — MariaDB-specific entry points: hand ladder an
 * application's own MYSQL * instead of a URL, and what the MariaDB driver
 * does on a connection. Needs no libmariadb header: the handle type is only
 * declared here (libmariadb's MYSQL is `struct st_mysql`). The driver also
 * speaks to MySQL servers, as far as they share MariaDB's SQL.
 *
 * URLs. ladder_db_open() reads
 *
 *     mariadb://USER[:PASSWORD]@HOST[:PORT]/DATABASE?PARAM=VALUE&...
 *     mysql://...  (the same)
 *
 * with every part percent-decoded (write '@' in a password as %40, '%'
 * as %25; an unencoded '@' or '/' in the password still reads, as the
 * user information ends at the last '@'). HOST may be [IPv6]. PORT is 3306
 * by default. Parameters: socket=PATH (a Unix socket), ssl-mode=DISABLED |
 * REQUIRED | VERIFY_CA | VERIFY_IDENTITY (any but DISABLED refuses a
 * connection left unencrypted; libmariadb checks the server's certificate
 * and its host name together: VERIFY_CA is as strict as VERIFY_IDENTITY),
 * ssl-ca=FILE, ssl-cert=FILE, ssl-key=FILE,
 * connect-timeout=SECONDS; any other parameter is an error naming it. Host
 * `localhost` (or none) without a socket uses libmariadb's default socket.
 * Option files (~/.my.cnf) are not read. Passwords never appear in
 * ladder's output: the display name is "mariadb://USER@HOST:PORT/DATABASE"
 * (or "mariadb://USER@localhost/DATABASE?socket=PATH"), and a connection
 * failure reads "cannot connect to <display name>: <libmariadb's message>"
 * with any occurrence of the password replaced by "****".
 *
 * Databases are MariaDB's schemas (ladder_open_options.schema): the store
 * lives in the schema option's database when given, else in the URL's,
 * and the connection uses that database. A schema's database that does
 * not exist yet is created (CREATE DATABASE, utf8mb4) by the first run
 * that writes; reads see it as empty. Fleets list databases (LIKE),
 * leaving out mysql, information_schema, performance_schema and sys.
 *
 * The session. Connections ladder opens talk utf8mb4 (set in the
 * handshake), run with autocommit = 1 (set only if the server's default
 * differs), and, with ladder_open_options.ddl_lock_timeout_ms > 0, with
 * lock_wait_timeout (metadata locks: DDL queued behind a long transaction)
 * and innodb_lock_wait_timeout set to it, in seconds rounded up; a
 * statement that times out waiting (ERROR 1205) fails with
 * LADDER_ELOCK_UNAVAILABLE. All of it in one SET, or none.
 *
 * DDL commits. MariaDB commits before and after every DDL statement, so a
 * migration cannot be undone as one transaction: ladder runs each step
 * statement by statement and records in the history row how many
 * completed (see the README). The history table (`ladder_history`, or the
 * store's table) is InnoDB, utf8mb4, created when the catalog says it is
 * missing. Only the history store exists on MariaDB ("user_version" is
 * SQLite's, "comment:TABLE" PostgreSQL's).
 *
 * Locking. Every run that writes takes a named user lock with
 * GET_LOCK(name, 0), polled with backoff (5 ms doubling to 200 ms, with
 * jitter) until ladder_open_options.lock_timeout_ms, then fails with
 * LADDER_ELOCKED; a GET_LOCK that blocks is never used. The name is
 *
 *     'ladder:' DATABASE ':' STORE
 *
 * where DATABASE is the store's database and STORE the store spec
 * ("history", "history:TABLE"), or, when that is longer than the 64
 * characters MariaDB allows, 'ladder:' followed by the first 57 hex digits
 * of its SHA-256. It shows with IS_USED_LOCK(name) and in
 * information_schema.METADATA_LOCK_INFO (plugin); a waiting migrator names
 * the holder as "connection ID, user 'U', client HOST:PORT" from
 * information_schema.PROCESSLIST (other users' sessions need the PROCESS
 * privilege). The lock is released when the run ends, however it ends, by
 * ladder_db_close(), and by the server when the session ends.
 *
 * A step's `-- ladder:statement-timeout T` sets the session's
 * max_statement_time for its statements and puts back the previous value
 * right after; a statement stopped by it (ERROR 1969) fails with
 * LADDER_ETIMEOUT. A lost connection (ERROR 2006, 2013) is reported as
 * the server going away.
 */
#ifndef LADDER_MARIADB_H
#define LADDER_MARIADB_H

#include "../ladder.h"

#ifdef __cplusplus
extern "C" {
#endif

struct st_mysql;

/* Wrap `conn` (still owned by the caller: ladder_db_close() leaves it
 * open); it must be connected. Its display name is built from the
 * handle's user, host, port and database. While a run holds the migration
 * lock, ladder selects opts->schema's database, sets autocommit = 1 and
 * the lock wait timeouts (opts->ddl_lock_timeout_ms) on the session, and
 * puts back the previous values when it releases the lock (a session that
 * had no database keeps the one selected). Statements run one at a time,
 * each result read to its end, so the connection may or may not have
 * CLIENT_MULTI_STATEMENTS. opts may be NULL. */
LADDER_EXTERN int ladder_mariadb_wrap(ladder_db **out, struct st_mysql *conn, const ladder_open_options *opts);

#ifdef __cplusplus
}
#endif
#endif /* LADDER_MARIADB_H */
