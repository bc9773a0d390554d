/*
 * mariadb_lock.c — transactions, the migration lock and the emptiness check
 * on MariaDB. The lock is a named user lock, GET_LOCK(name, 0), tried and
 * polled with backoff as PostgreSQL's advisory lock is: a GET_LOCK that
 * blocks with a timeout would hold its connection in the server for the
 * whole wait, unable to say whom it waits for, and a second migrator
 * must never sit inside a metadata lock queue the first one's DDL needs.
 * User locks belong to the session, so they outlive the implicit commits
 * of DDL, and the server frees them when the session ends however it
 * ends.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* nanosleep under -std=c11 */
#endif

#include "mariadb_internal.h"
#include "digest.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* MariaDB refuses longer user lock names. */
#define LOCK_NAME_MAX 64

/* --- transactions ------------------------------------------------------------- */

static int simple(ladder_my_conn *conn, const char *sql)
{
	return ladder_my__run(conn, sql, sql, strlen(sql), NULL);
}

int ladder_my__begin(ladder_conn *base, int write, int wait_ms)
{
	/* write needs nothing more: InnoDB locks rows as statements touch
	 * them, and the named lock is the migration lock. */
	(void)write;
	(void)wait_ms;
	return simple((ladder_my_conn *)base, "START TRANSACTION");
}

int ladder_my__commit(ladder_conn *base)
{
	return simple((ladder_my_conn *)base, "COMMIT");
}

int ladder_my__rollback(ladder_conn *base)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;

	if (!ladder_my__in_tx(conn))
		return 0;
	return simple(conn, "ROLLBACK");
}

int ladder_my__in_transaction(ladder_conn *base)
{
	return ladder_my__in_tx((ladder_my_conn *)base);
}

/* --- settings scoped to a run (wrapped connections) ----------------------------------- */

/* Note the application's database, lock wait timeouts and autocommit,
 * then set ours. */
static int scope_settings(ladder_my_conn *conn)
{
	char current[LADDER_NAME_MAX * 4 + 1], sql[192];
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	int n = 0, error = 0;
	const char *query = "SELECT DATABASE(), @@SESSION.lock_wait_timeout, @@SESSION.innodb_lock_wait_timeout, "
	                    "@@SESSION.autocommit";

	if (mysql_real_query(conn->my, query, (unsigned long)strlen(query)) != 0 ||
	    (res = mysql_store_result(conn->my)) == NULL || (row = mysql_fetch_row(res)) == NULL) {
		error = ladder_my__error(conn, "saving the session's settings");
		goto done;
	}
	snprintf(current, sizeof(current), "%s", row[0] ? row[0] : "");
	ladder_free(conn->saved_database);
	if ((conn->saved_database = ladder_strdup(current)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory saving the session's settings");
		goto done;
	}
	snprintf(conn->saved_timeouts, sizeof(conn->saved_timeouts), "%s, SESSION innodb_lock_wait_timeout = %s",
	         row[1] ? row[1] : "86400", row[2] ? row[2] : "50");
	strcpy(sql, "SET ");
	if (row[3] == NULL || strcmp(row[3], "1") != 0)
		n++, strcat(sql, "autocommit = 1"); /* put back as 0 by restore_settings */
	conn->saved_valid = 1 + (n > 0);
	if (conn->ddl_lock_timeout_ms > 0) {
		int seconds = (conn->ddl_lock_timeout_ms + 999) / 1000;
		snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
		         "%sSESSION lock_wait_timeout = %d, SESSION innodb_lock_wait_timeout = %d", n ? ", " : "", seconds,
		         seconds);
		n++;
	}
	if (n > 0 && (error = ladder_my__run(conn, "setting up the session", sql, strlen(sql), NULL)) < 0)
		goto done;
	if (conn->database != NULL && strcmp(conn->database, current) != 0 &&
	    mysql_select_db(conn->my, conn->database) != 0) {
		if (mysql_errno(conn->my) == ER_BAD_DB_ERROR)
			conn->db_missing = 1; /* created by store_prepare */
		else
			error = ladder_my__error(conn, "selecting the database");
	}
done:
	mysql_free_result(res);
	return error;
}

static int restore_settings(ladder_my_conn *conn)
{
	char sql[160];
	int error = 0;

	if (!conn->saved_valid)
		return 0;
	snprintf(sql, sizeof(sql), "SET %sSESSION lock_wait_timeout = %s", conn->saved_valid == 2 ? "autocommit = 0, " : "",
	         conn->saved_timeouts);
	error = ladder_my__run(conn, "restoring the session's settings", sql, strlen(sql), NULL);
	/* A session without a database cannot go back to none. */
	if (error == 0 && conn->saved_database != NULL && conn->saved_database[0] != '\0' &&
	    (conn->database == NULL || strcmp(conn->database, conn->saved_database) != 0) &&
	    mysql_select_db(conn->my, conn->saved_database) != 0)
		error = ladder_my__error(conn, "restoring the session's database");
	if (error == 0) {
		conn->saved_valid = 0;
		ladder_free(conn->saved_database);
		conn->saved_database = NULL;
	}
	return error;
}

/* --- the named lock ----------------------------------------------------------------- */

/* 'ladder:' DATABASE ':' STORE, or, when longer than MariaDB allows,
 * 'ladder:' and the first 57 hex digits of its SHA-256 (see
 * ladder/mariadb.h). */
static void lock_name(ladder_my_conn *conn, const ladder_store *store, char *out, size_t len)
{
	const char *database = ladder_my__database(conn, store);
	char spec[LADDER_NAME_MAX + 32], full[3 * LADDER_NAME_MAX + 64], hex[LADDER_HASH_HEX];
	const char *parts[1] = {full};

	snprintf(full, sizeof(full), "ladder:%s:%s", database ? database : "", ladder_store_spec(store, spec, sizeof(spec)));
	if (strlen(full) <= LOCK_NAME_MAX || ladder_checksum_parts(hex, parts, 1) < 0) {
		snprintf(out, len, "%s", full);
		return;
	}
	snprintf(out, len, "ladder:%.*s", LOCK_NAME_MAX - 7, hex);
}

static int lock_query(ladder_my_conn *conn, ladder_buf *sql, const char *fn, const char *name, const char *tail)
{
	ladder_buf_printf(sql, "SELECT %s(", fn);
	ladder_my__put_literal(conn, sql, name);
	ladder_buf_puts(sql, tail);
	if (sql->failed)
		return ladder_error_set(LADDER_ENOMEM, "out of memory taking the migration lock");
	return 0;
}

static int try_lock(ladder_my_conn *conn, const char *name, int *got)
{
	ladder_buf sql = {0};
	char value[8];
	int is_null, error;

	*got = 0;
	if ((error = lock_query(conn, &sql, "GET_LOCK", name, ", 0)")) == 0 &&
	    (error = ladder_my__value(conn, "taking the migration lock", sql.data, value, sizeof(value), &is_null)) == 0) {
		if (is_null)
			error = ladder_error_set(LADDER_EDB, "taking the migration lock: GET_LOCK('%s') failed", name);
		*got = strcmp(value, "1") == 0;
	}
	ladder_buf_free(&sql);
	return error;
}

static int release_name(ladder_my_conn *conn)
{
	ladder_buf sql = {0};
	char value[8];
	int error;

	/* NULL or 0 (not ours, or gone): either way it is not held by us now. */
	if ((error = lock_query(conn, &sql, "RELEASE_LOCK", conn->lock_name, ")")) == 0 &&
	    (error = ladder_my__value(conn, "releasing the migration lock", sql.data, value, sizeof(value), NULL)) == 0)
		conn->lock_held = 0;
	ladder_buf_free(&sql);
	return error;
}

typedef struct lock_attempt {
	ladder_my_conn *conn;
	const char *name;
} lock_attempt;

static int try_once(void *ctx, int *got)
{
	lock_attempt *attempt = ctx;
	return try_lock(attempt->conn, attempt->name, got);
}

int ladder_my__lock(ladder_conn *base, const ladder_store *store, int timeout_ms)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;
	char name[sizeof(conn->lock_name)];
	lock_attempt attempt = {conn, name};
	int error;

	if (conn->lock_held)
		return 0;
	lock_name(conn, store, name, sizeof(name));
	if ((error = ladder_lock_poll(try_once, &attempt, timeout_ms, conn->display)) < 0)
		return error;
	snprintf(conn->lock_name, sizeof(conn->lock_name), "%s", name);
	conn->lock_held = 1;
	if (conn->settings_scoped && (error = scope_settings(conn)) < 0) {
		ladder_error_saved saved;
		ladder_error_save(&saved);
		restore_settings(conn);
		release_name(conn);
		ladder_error_restore(&saved);
	}
	return error;
}

int ladder_my__unlock(ladder_conn *base, const ladder_store *store)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;
	int error, restored;

	(void)store;
	if (!conn->lock_held)
		return 0;
	/* Settings first: while the lock is ours nobody else migrates through
	 * this session, and the lock goes even if they cannot be put back. */
	restored = restore_settings(conn);
	error = release_name(conn);
	return error < 0 ? error : restored;
}

typedef struct {
	char *out;
	size_t len;
} holder_ctx;

static int on_holder(void *ctx, int ncols, const char *const *names, const char *const *cells)
{
	holder_ctx *h = ctx;
	size_t used;

	(void)names;
	if (ncols < 3 || cells[0] == NULL)
		return 0;
	snprintf(h->out, h->len, "connection %s", cells[0]);
	used = strlen(h->out);
	if (cells[1] != NULL && used < h->len)
		snprintf(h->out + used, h->len - used, ", user '%s'", cells[1]);
	used = strlen(h->out);
	if (cells[2] != NULL && cells[2][0] != '\0' && used < h->len)
		snprintf(h->out + used, h->len - used, ", client %s", cells[2]);
	return 0;
}

void ladder_my__lock_holder(ladder_conn *base, const ladder_store *store, char *out, size_t len)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;
	char name[sizeof(conn->lock_name)];
	ladder_buf sql = {0};
	holder_ctx h = {out, len};
	ladder_error_saved saved;

	/* Best effort: a failure here must not replace the error being waited
	 * out. PROCESSLIST shows other users' sessions only with the PROCESS
	 * privilege; the connection id alone is still something. */
	ladder_error_save(&saved);
	if (len > 0)
		out[0] = '\0';
	lock_name(conn, store, name, sizeof(name));
	ladder_buf_puts(&sql, "SELECT h.id, p.USER, p.HOST FROM (SELECT IS_USED_LOCK(");
	ladder_my__put_literal(conn, &sql, name);
	ladder_buf_puts(&sql, ") AS id) h LEFT JOIN information_schema.PROCESSLIST p ON p.ID = h.id");
	if (!sql.failed)
		ladder_my__rows(conn, "finding the lock holder", sql.data, 0, on_holder, &h);
	ladder_buf_free(&sql);
	ladder_error_restore(&saved);
}

void ladder_my__release(ladder_my_conn *conn)
{
	ladder_error_saved saved;

	/* Our own sessions end with mysql_close, which frees the lock; an
	 * application's keeps going. */
	if (conn->owned || (!conn->lock_held && !conn->saved_valid))
		return;
	ladder_error_save(&saved);
	restore_settings(conn);
	if (conn->lock_held)
		release_name(conn);
	ladder_error_restore(&saved);
}

/* --- emptiness ---------------------------------------------------------------------------- */

int ladder_my__is_empty(ladder_conn *base, const ladder_store *store, int *empty)
{
	ladder_my_conn *conn = (ladder_my_conn *)base;
	const char *database = ladder_my__database(conn, store);
	const char *table = store != NULL && store->kind == LADDER_STORE_HISTORY ? store->table : "";
	ladder_buf sql = {0};
	char value[8];
	int error;

	*empty = 1;
	if (ladder_my__missing(conn, database))
		return 0; /* not created yet */
#define DB(col) ladder_buf_puts(&sql, col " = "), ladder_my__put_database(conn, &sql, database)
	ladder_buf_puts(&sql, "SELECT NOT EXISTS (SELECT 1 FROM information_schema.TABLES WHERE ");
	DB("TABLE_SCHEMA");
	ladder_buf_puts(&sql, " AND TABLE_NAME <> ");
	ladder_my__put_literal(conn, &sql, table);
	ladder_buf_puts(&sql, ") AND NOT EXISTS (SELECT 1 FROM information_schema.ROUTINES WHERE ");
	DB("ROUTINE_SCHEMA");
	ladder_buf_puts(&sql, ") AND NOT EXISTS (SELECT 1 FROM information_schema.EVENTS WHERE ");
	DB("EVENT_SCHEMA");
	ladder_buf_puts(&sql, ") AND NOT EXISTS (SELECT 1 FROM information_schema.TRIGGERS WHERE ");
	DB("TRIGGER_SCHEMA");
	ladder_buf_puts(&sql, ")");
#undef DB
	if (sql.failed)
		error = ladder_error_set(LADDER_ENOMEM, "out of memory checking whether the database is empty");
	else if ((error = ladder_my__value(conn, "checking whether the database is empty", sql.data, value, sizeof(value),
	                                   NULL)) == 0)
		*empty = strcmp(value, "1") == 0;
	ladder_buf_free(&sql);
	return error;
}
