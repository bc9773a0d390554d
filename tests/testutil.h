/*
 * testutil.h — helpers shared by ladder's tests: scratch directories that
 * clean themselves up, migration files, and looks into real SQLite files
 * (schema, rows, bytes, mtime) to prove what a run changed or did not.
 */
#ifndef LADDER_TESTUTIL_H
#define LADDER_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ladder.h>
#include <sqlite3.h>
#include <sys/stat.h>

/* A fresh directory under $TMPDIR (or /tmp), removed at exit. */
const char *tu_tmpdir(void);

/* printf into a static ring of buffers: fine for a few paths at a time. */
const char *tu_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A copy of s that lives until exit: for paths held across tu_fmt calls. */
const char *tu_keep(const char *s);

/* Write a file (dir/name), failing the test on error. */
void tu_write(const char *dir, const char *name, const char *content);
void tu_write_bytes(const char *path, const void *data, size_t len);

/* Load a plan from dir, failing the test on error. */
ladder_plan *tu_plan(const char *dir);

/* Open a ladder database on a file path (sqlite:PATH), default options. */
ladder_db *tu_open(const char *path);
ladder_db *tu_open_store(const char *path, const char *store);

/* Run up to the head; return the code. */
int tu_up(ladder_db *db, const ladder_plan *plan, unsigned int flags);

/* Raw SQLite on the same file. */
sqlite3 *tu_sqlite(const char *path);
int64_t tu_int(const char *path, const char *sql);    /* first column of first row; -1 if none */
char *tu_text(const char *path, const char *sql);     /* all rows, '|' between columns, '\n' between rows; free() */

/* tu_text(path, sql) equals expected (freeing it). */
void tu_assert_text(const char *path, const char *sql, const char *expected);

/* Everything a run may change: schema, every table's rows, user_version. */
char *tu_snapshot(const char *path); /* free() */

/* SHA-256 of the file's bytes and its mtime, to prove nothing was written. */
void tu_file_fingerprint(const char *path, char hex[65], struct timespec *mtime);

/* The error message contains needle (asserts, printing the message). */
void tu_assert_error(int code, int expected, const char *needle);

#endif /* LADDER_TESTUTIL_H */
