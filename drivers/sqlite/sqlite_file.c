/*
 * sqlite_file.c — the database file itself: opening it (created privately,
 * or with LADDER_OPEN_NO_CREATE never created), removing a new one that
 * nothing was ever committed to, and opening the path again when a failed
 * first run in another process removed the file this connection has open.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* strdup under -std=c11 */
#endif

#include "sqlite_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int exists_beside(const char *file, const char *suffix)
{
	char *path = ladder_mprintf("%s%s", file, suffix);
	int found = path == NULL || access(path, F_OK) == 0; /* unsure: say yes */

	ladder_free(path);
	return found;
}

/* Does the path no longer name the file this handle has open (removed or
 * replaced)? SQLite compares the inode it holds with the path's. */
int ladder_sqlite__path_moved(sqlite3 *db)
{
	int moved = 0;
	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK)
		return 0; /* in memory, or a VFS that cannot tell */
	return moved;
}

/* A failed first run must not leave a new empty file behind. The file this
 * connection created is removed if nothing was ever committed to it (still
 * 0 bytes, no journal or WAL beside it), and only while holding its write
 * lock: a writer inside a transaction makes BEGIN IMMEDIATE fail, and a
 * writer that commits first makes the file non-empty. Another ladder
 * connection that opened the path meanwhile and waits for that lock gets
 * it on the removed file, sees the path moved, and opens the path again
 * (sqlite_begin); any other writer's transaction on it fails with
 * SQLITE_READONLY_DBMOVED instead of vanishing (SQLite checks this before
 * it writes a rollback journal). The journal of this last transaction is
 * kept in memory: BEGIN IMMEDIATE on an empty file starts writing page 1,
 * and a journal file here would outlive the database. */
void ladder_sqlite__remove_if_unused(ladder_sqlite_conn *conn)
{
	sqlite3_stmt *stmt = NULL;
	const char *file;
	struct stat st;
	int memory;

	if (!conn->owned || !conn->created || conn->db == NULL || !sqlite3_get_autocommit(conn->db))
		return;
	file = sqlite3_db_filename(conn->db, "main");
	if (file == NULL || file[0] == '\0' || stat(file, &st) != 0 || st.st_size != 0 ||
	    exists_beside(file, "-journal") || exists_beside(file, "-wal"))
		return;
	if (sqlite3_prepare_v2(conn->db, "PRAGMA journal_mode = MEMORY", -1, &stmt, NULL) != SQLITE_OK)
		return;
	memory = sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != NULL &&
	         strcmp((const char *)sqlite3_column_text(stmt, 0), "memory") == 0;
	sqlite3_finalize(stmt);
	sqlite3_busy_timeout(conn->db, 0);
	if (!memory || sqlite3_exec(conn->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return;
	if (!ladder_sqlite__path_moved(conn->db) && stat(file, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 &&
	    !exists_beside(file, "-wal"))
		unlink(file);
	sqlite3_exec(conn->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Why `path` cannot be created (errno `saved`): its folder is missing, or
 * the system's reason. */
static int cannot_create(const char *path, int saved)
{
	struct stat st;
	char *dir = ladder_strdup(path);
	char *slash;
	int error;

	if (dir == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory opening '%s'", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (saved == ENOENT && stat(dir, &st) != 0)
		error = ladder_error_set(LADDER_EIO, "cannot create database '%s': directory '%s' does not exist", path,
		                         dir);
	else
		error = ladder_error_set(LADDER_EIO, "cannot create database '%s': %s", path, strerror(saved));
	ladder_free(dir);
	return error;
}

/* Create a missing database file ourselves so that it is readable by its
 * owner only: SQLite would create it with 0644, and its journal and WAL
 * files inherit the database file's mode. *created = 1 when this call made
 * it (and so may remove it again if nothing is ever committed). */
static int create_private(const char *path, int *created)
{
	struct stat st;
	int fd, saved;

	*created = 0;
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		*created = 1;
		return 0;
	}
	saved = errno;
	/* EEXIST: it exists, or a racing process just made it; either is fine.
	 * Other failures (a read-only file system) may still leave an existing
	 * file that SQLite can open. */
	if (saved == EEXIST || stat(path, &st) == 0)
		return 0;
	return cannot_create(path, saved);
}

/* LADDER_OPEN_NO_CREATE: *missing = 1 when path does not exist, to be
 * read as a new, empty database in memory; refused where creating it would
 * be (a missing folder). */
static int find_without_creating(const char *path, int *missing)
{
	struct stat st;
	const char *slash = strrchr(path, '/');
	char *dir;
	int error = 0;

	*missing = 0;
	if (stat(path, &st) == 0 || errno != ENOENT)
		return 0; /* what SQLite then says of it is what `up` would meet */
	*missing = 1;
	if (slash == NULL || slash == path)
		return 0;
	if ((dir = ladder_strndup(path, (size_t)(slash - path))) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory opening '%s'", path);
	if (stat(dir, &st) != 0)
		error = cannot_create(path, ENOENT);
	ladder_free(dir);
	return error;
}

/* PRAGMA key, before anything reads the file: SQLCipher answers "ok"; a
 * plain SQLite answers nothing, and would go on to write an unencrypted
 * file for a caller who asked for an encrypted one. Then one read of page
 * 1 (PRAGMA schema_version reads its header, parsing no schema, whose size
 * a no-op open with the user_version store would otherwise pay for):
 * SQLCipher says SQLITE_NOTADB only to the first read a wrong key makes,
 * and "out of memory" to every later one, so the key is judged here,
 * where the answer is known to be the first. */
static int apply_key(ladder_sqlite_conn *conn)
{
	sqlite3_stmt *stmt = NULL;
	char *sql = sqlite3_mprintf("PRAGMA key = %Q", conn->key);
	int rc, error = 0;

	if (sql == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory opening '%s'", conn->path);
	rc = sqlite3_prepare_v2(conn->db, sql, -1, &stmt, NULL);
	ladder_wipe(sql, strlen(sql));
	sqlite3_free(sql);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE)
		return ladder_error_set(LADDER_EUNSUPPORTED,
		                        "'%s': a key was given, but this ladder is built with plain SQLite, which "
		                        "cannot read or write encrypted files: use libladder-sqlcipher or "
		                        "ladder-sqlcipher (SQLCipher); nothing was changed",
		                        conn->path);
	if (rc != SQLITE_ROW)
		return ladder_error_set(ladder_sqlite__code(rc), "'%s': applying the key: %s", conn->path,
		                        sqlite3_errmsg(conn->db));
	rc = sqlite3_exec(conn->db, "PRAGMA schema_version", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		error = ladder_sqlite__error(conn, rc);
	return error;
}

/* Open conn->path into conn->db, creating a missing file privately unless
 * the connection must find it existing, or must not create it (a missing
 * file is then an empty database in memory, named by its path). Nothing is
 * read here: a corrupt file is reported by the first query, and the no-op
 * run stays one small read. */
int ladder_sqlite__open_handle(ladder_sqlite_conn *conn)
{
	const char *path = conn->path;
	int rc, error = 0, missing = 0, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	conn->created = 0;
	if (strcmp(path, ":memory:") == 0) {
		/* nothing on disk to find or make */
	} else if (conn->must_exist) {
		struct stat st;
		if (stat(path, &st) != 0)
			return ladder_error_set(LADDER_EIO, "database '%s' does not exist", path);
	} else if (conn->no_create) {
		if ((error = find_without_creating(path, &missing)) < 0)
			return error;
		if (!missing)
			flags = SQLITE_OPEN_READWRITE;
	} else if ((error = create_private(path, &conn->created)) < 0) {
		return error;
	}
	rc = sqlite3_open_v2(missing ? ":memory:" : path, &conn->db, flags, NULL);
	if (rc != SQLITE_OK)
		return ladder_error_set((rc & 0xff) == SQLITE_CANTOPEN ? LADDER_EIO : ladder_sqlite__code(rc),
		                        "cannot open database '%s': %s", path,
		                        conn->db ? sqlite3_errmsg(conn->db) : sqlite3_errstr(rc));
	sqlite3_busy_timeout(conn->db, conn->busy_timeout_ms);
	if (conn->key != NULL && !missing)
		return apply_key(conn);
	return 0;
}

/* The path names another file than the one this connection has open: a
 * run that created it and failed removed it (remove_if_unused), or someone
 * replaced it. Open the path again, keeping the old handle alive for an
 * application that holds it and the foreign-key switch as it was. No
 * transaction is open. */
int ladder_sqlite__reopen(ladder_sqlite_conn *conn)
{
	struct stat st;
	sqlite3 **grown;
	sqlite3 *old = conn->db;
	int fk_on = 0, error;

	if (!conn->owned)
		return ladder_error_set(LADDER_EIO,
		                        "'%s': the file this handle has open was removed or replaced at its path (by "
		                        "another process, e.g. a failed run that had created it): open the path again; "
		                        "nothing was changed",
		                        conn->path);
	/* Only what a failed first run leaves: no file, or a new empty one. A
	 * database put in its place was judged by nobody (its history, another
	 * tool's table): the run stops rather than migrate it unread. */
	if (stat(conn->path, &st) == 0 && st.st_size > 0)
		return ladder_error_set(LADDER_EIO,
		                        "'%s' was replaced by another database file while ladder had it open; nothing "
		                        "was changed: run again to judge the new file",
		                        conn->path);
	if ((grown = ladder_realloc(conn->stale, (conn->nstale + 1) * sizeof(*grown))) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reopening '%s'", conn->path);
	conn->stale = grown;
	sqlite3_db_config(old, SQLITE_DBCONFIG_ENABLE_FKEY, -1, &fk_on);
	ladder_sqlite__store_close(conn);
	conn->db = NULL;
	if ((error = ladder_sqlite__open_handle(conn)) < 0) {
		if (conn->db != NULL)
			sqlite3_close_v2(conn->db);
		conn->db = old;
		return error;
	}
	conn->stale[conn->nstale++] = old;
	sqlite3_db_config(conn->db, SQLITE_DBCONFIG_ENABLE_FKEY, fk_on, NULL);
	return 0;
}
