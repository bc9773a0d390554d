/*
 * testutil.h — helpers shared by ladder's tests: scratch directories that
 * clean themselves up, migration files, and looks into real SQLite files
 * (schema, rows, bytes, mtime) to prove what a run changed or did not; and,
 * for any engine, migrators in child processes (one, many behind a gate, or
 * one running as nobody) and a growing string buffer.
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
#include <sys/types.h>

/* A growing NUL-terminated string; {0} is empty, buf is NULL until the
 * first tu_buf_add and is malloc'd: the caller frees it. */
typedef struct {
	char *buf;
	size_t len, cap;
} tu_buf;

/* A fresh directory under $TMPDIR (or /tmp), removed at exit. */
const char *tu_tmpdir(void);

/* printf into a static ring of buffers: fine for a few paths at a time. */
const char *tu_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A copy of s that lives until exit: for paths held across tu_fmt calls. */
const char *tu_keep(const char *s);

/* dir/name, kept until exit. */
const char *tu_in(const char *dir, const char *name);

/* Write a file (dir/name), failing the test on error. */
void tu_write(const char *dir, const char *name, const char *content);
void tu_write_bytes(const char *path, const void *data, size_t len);

/* A fresh directory of steps migrations: NNNN_tN.up.sql creates table tN
 * (id id_type PRIMARY KEY, v text_type) with three rows and index tN_v. */
const char *tu_table_steps_dir(int steps, const char *id_type, const char *text_type);

/* Load a plan from dir, failing the test on error. */
ladder_plan *tu_plan(const char *dir);

/* Open a ladder database on a file path (sqlite:PATH), default options. */
ladder_db *tu_open(const char *path);
ladder_db *tu_open_store(const char *path, const char *store);

/* Run up to the head; return the code. */
int tu_up(ladder_db *db, const ladder_plan *plan, unsigned int flags);

/* Raw SQLite on the same file. */
sqlite3 *tu_sqlite(const char *path);
void tu_sqlite_rows(sqlite3 *db, const char *sql, tu_buf *out); /* as tu_engine.rows */
int64_t tu_int(const char *path, const char *sql);    /* first column of first row; -1 if none or NULL */
char *tu_text(const char *path, const char *sql);     /* all rows, '|' between columns, '\n' after rows; free() */

/* tu_text(path, sql) equals expected (freeing it). */
void tu_assert_text(const char *path, const char *sql, const char *expected);

/* Everything a run may change: schema, every table's rows, user_version. */
char *tu_snapshot(const char *path); /* free() */

/* SHA-256 of the file's bytes and its mtime, to prove nothing was written. */
void tu_file_fingerprint(const char *path, char hex[65], struct timespec *mtime);

/* A string appended to a tu_buf. */
void tu_buf_add(tu_buf *b, const char *s);

/* One field of a row as the tests print rows: '|' before every column but
 * the first (0), NULL as "NULL". */
void tu_buf_add_field(tu_buf *b, int column, const char *value);

/* text (freed here) equals expected; on a mismatch prints what (the query)
 * with both and fails. */
void tu_assert_text_is(const char *what, char *text, const char *expected);

/* A monotonic clock in milliseconds, to time runs. */
double tu_now_ms(void);

/* Fork n children that wait behind a gate pipe until all exist, then each
 * returns child(i, ctx) as its exit code. Waits for all; statuses (n of
 * them, may be NULL) get each waitpid status. Returns how many children did
 * not exit 0. */
int tu_fork_many(int n, int (*child)(int i, void *ctx), void *ctx, int *statuses);

/* n processes, started at once by tu_fork_many, each opening target (a
 * sqlite: path or a postgres URL) and migrating plan, child i with
 * flags[i % nflags]. Returns the sum of steps they applied; asserts every
 * one succeeded. */
size_t tu_migrate_many(int n, const char *target, const ladder_plan *plan, const unsigned int *flags, int nflags);

/* A child process that opens target and migrates plan with flags: exits 0,
 * or 1 printing the error. */
pid_t tu_spawn_migrator(const char *target, const ladder_plan *plan, unsigned int flags);

/* tu_spawn_migrator with no flags, waited for: asserts it exited 0. */
void tu_migrate_in_child(const char *target, const ladder_plan *plan);

/* Run fn(ctx) in a child that chmod cannot fool: as nobody (65534) when the
 * suite runs as root, as ourselves otherwise. Returns fn's code (0 or a
 * negative ladder code); the error message comes back through a pipe into
 * message. who names the child in failures ("loading", "writing"). */
int tu_as_nobody(int (*fn)(void *ctx), void *ctx, const char *who, char *message, size_t size);

/* The error message contains needle (asserts, printing the message). */
void tu_assert_error(int code, int expected, const char *needle);

/* The same for a code and message that came from elsewhere (a child). */
void tu_assert_message(int code, int expected, const char *message, const char *needle);

#endif /* LADDER_TESTUTIL_H */
