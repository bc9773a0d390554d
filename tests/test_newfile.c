/*
 * test_newfile.c — a run that fails on a database file it created leaves no
 * file behind (a refused plan, a failing first step, an empty run), while a
 * file that holds anything, or that ladder did not create, stays. And the
 * danger in removing it: another process that opened the new path meanwhile
 * and waits for the write lock must not commit into the removed file. It
 * opens the path again and its migration is in the file at the path
 * afterwards; a wrapped handle, which ladder cannot reopen, fails saying
 * nothing was changed.
 */
#include "testutil.h"

#include <ladder/sqlite.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* 1_a (up_sql), 2_b (a table), and 3_c (third_sql) if given. */
static ladder_plan *plan_of(const char *up_sql, const char *third_sql)
{
	const char *dir = tu_tmpdir();
	tu_write(dir, "1_a.up.sql", up_sql);
	tu_write(dir, "2_b.up.sql", "CREATE TABLE b (id INTEGER);\n");
	if (third_sql != NULL)
		tu_write(dir, "3_c.up.sql", third_sql);
	return tu_plan(dir);
}

/* Open path, migrate plan, close; the migration's result. */
static int migrate_once(const char *path, const ladder_plan *plan, unsigned int flags)
{
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	ladder_db *db = NULL;
	int error;

	opts.flags = flags;
	assert_int_equal(ladder_db_open(&db, path, NULL), 0);
	error = ladder_migrate(NULL, db, plan, &opts);
	ladder_db_close(db);
	return error;
}

static void failed_run_leaves_no_new_file(void **state)
{
	const char *dir = tu_tmpdir();
	ladder_plan *bad_sql = plan_of("CREATE TABLE a (id INTEGER);\nSELECT no_such_function();\n", NULL);
	ladder_plan *stray_commit = plan_of("CREATE TABLE a (id INTEGER);\nCOMMIT;\n", NULL);
	ladder_plan *empty = NULL;
	const char *path = tu_keep(tu_fmt("%s/new.db", dir));
	ladder_db *db = NULL;
	(void)state;

	tu_assert_error(migrate_once(path, bad_sql, 0), LADDER_EMIGRATION, "no_such_function");
	assert_false(exists(path));
	assert_false(exists(tu_fmt("%s-journal", path)));
	tu_assert_error(migrate_once(path, stray_commit, 0), LADDER_EPLAN, "COMMIT");
	assert_false(exists(path));
	/* Nothing to run: nothing committed, nothing left. */
	assert_int_equal(ladder_plan_new(&empty), 0);
	assert_int_equal(migrate_once(path, empty, 0), 0);
	assert_false(exists(path));
	assert_int_equal(ladder_db_open(&db, path, NULL), 0);
	assert_true(exists(path));
	ladder_db_close(db);
	assert_false(exists(path));

	/* A file ladder did not create stays, empty as it came. */
	tu_write(dir, "given.db", "");
	tu_assert_error(migrate_once(tu_in(dir, "given.db"), bad_sql, 0), LADDER_EMIGRATION, "no_such_function");
	assert_true(exists(tu_in(dir, "given.db")));

	/* A step committed before the failure: the file holds it and stays. */
	ladder_plan_free(bad_sql);
	bad_sql = plan_of("CREATE TABLE a (id INTEGER);\n", "SELECT no_such_function();\n");
	tu_assert_error(migrate_once(path, bad_sql, LADDER_TX_PER_MIGRATION), LADDER_EMIGRATION, "no_such_function");
	assert_true(exists(path));
	assert_int_equal(tu_int(path, "SELECT max(version) FROM ladder_history"), 2);

	ladder_plan_free(bad_sql);
	ladder_plan_free(stray_commit);
	ladder_plan_free(empty);
}

/* --- a waiter on the file that is removed ---------------------------------- */

typedef struct holder {
	int locked_fd; /* written once this run holds the write lock */
	int opened_fd; /* the other process writes a byte once it has the path open */
	int called;
} holder;

/* The first step of the failing run: it holds the write lock until the
 * other process has opened the same new file and is waiting for that lock,
 * then fails. */
static int fail_while_other_waits(void *native, void *user)
{
	holder *h = user;
	char byte;
	struct timespec wait = {0, 300 * 1000000L};

	(void)native;
	h->called = 1;
	if (write(h->locked_fd, "x", 1) != 1 || read(h->opened_fd, &byte, 1) != 1)
		return 2;
	nanosleep(&wait, NULL); /* it reads the empty file, then waits in BEGIN IMMEDIATE */
	ladder_error_set(LADDER_EMIGRATION, "this step fails on purpose");
	return 1;
}

/* In the child: open the path (wrapped: through the application's own
 * handle), say so, migrate. Exit 0 on success, 10 + the ladder code's
 * magnitude on failure, 99 if the message is not the one expected. */
static int other_process(const char *path, const ladder_plan *plan, int wrapped, int locked_fd, int tell_fd)
{
	ladder_db *db = NULL;
	sqlite3 *handle = NULL;
	char byte;
	int error;

	if (read(locked_fd, &byte, 1) != 1)
		return 95;
	if (wrapped) {
		if (sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
		    ladder_sqlite_wrap(&db, handle, NULL) < 0)
			return 98;
	} else if (ladder_db_open(&db, path, NULL) < 0) {
		return 97;
	}
	if (write(tell_fd, "x", 1) != 1)
		return 96;
	error = ladder_migrate(NULL, db, plan, NULL);
	if (error < 0 && wrapped &&
	    (strstr(ladder_error_last()->message, "removed or replaced") == NULL ||
	     strstr(ladder_error_last()->message, "nothing was changed") == NULL))
		error = -89;
	ladder_db_close(db);
	if (handle != NULL)
		sqlite3_close(handle);
	return error < 0 ? 10 - error : 0;
}

/* Returns the child's exit status; *created_ino: the inode of the file the
 * failing run created. */
static int race(const char *path, const ladder_plan *good, int wrapped, ino_t *created_ino)
{
	ladder_migration_def def = {.version = 1, .name = "fails", .up_fn = fail_while_other_waits};
	ladder_plan *failing = NULL;
	ladder_db *db = NULL;
	holder h = {0};
	struct stat st;
	int fds[2], locked[2], status = -1;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(pipe(locked), 0);
	h.opened_fd = fds[0];
	h.locked_fd = locked[1];
	def.user = &h;
	assert_int_equal(ladder_plan_new(&failing), 0);
	assert_int_equal(ladder_plan_add(failing, &def), 0);
	assert_int_equal(ladder_db_open(&db, path, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	*created_ino = st.st_ino;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		close(locked[1]);
		_exit(other_process(path, good, wrapped, locked[0], fds[1]));
	}
	close(fds[1]);
	close(locked[0]);
	tu_assert_error(ladder_migrate(NULL, db, failing, NULL), LADDER_EMIGRATION, "fails on purpose");
	assert_true(h.called);
	ladder_db_close(db);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(fds[0]);
	close(locked[1]);
	ladder_plan_free(failing);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void waiter_on_removed_file_migrates_the_path(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/shared.db", tu_tmpdir()));
	ladder_plan *good = plan_of("CREATE TABLE a (id INTEGER);\nINSERT INTO a VALUES (42);\n", NULL);
	struct stat st;
	ino_t first;
	(void)state;

	assert_int_equal(race(path, good, 0, &first), 0);
	/* The waiter's migration is durable in the file at the path, a new
	 * one: the file it first opened was removed under it. */
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_ino != first);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM ladder_history"), 2);
	assert_int_equal(tu_int(path, "SELECT id FROM a"), 42);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM b"), 0);
	assert_false(exists(tu_fmt("%s-ladder-lock", path)));
	ladder_plan_free(good);
}

static void wrapped_waiter_on_removed_file_changes_nothing(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/wrapped.db", tu_tmpdir()));
	ladder_plan *good = plan_of("CREATE TABLE a (id INTEGER);\n", NULL);
	ino_t first;
	(void)state;

	/* LADDER_EIO is -5: exit 15. */
	assert_int_equal(race(path, good, 1, &first), 10 - LADDER_EIO);
	assert_false(exists(path));
	ladder_plan_free(good);
}

/* The path made to name another database while ladder has the new, empty
 * file open: that database was judged by nobody (its history, another
 * tool's table), so the run stops, and it keeps every byte. */
static void path_replaced_by_a_database_changes_nothing(void **state)
{
	const char *dir = tu_tmpdir();
	const char *path = tu_keep(tu_fmt("%s/replaced.db", dir));
	const char *other = tu_keep(tu_fmt("%s/other.db", dir));
	ladder_plan *good = plan_of("CREATE TABLE a (id INTEGER);\n", NULL);
	ladder_db *db = NULL;
	char before[65], after[65];
	struct timespec mtime;
	(void)state;

	assert_int_equal(ladder_db_open(&db, path, NULL), 0); /* creates it, empty */
	{
		sqlite3 *raw = tu_sqlite(other);
		assert_int_equal(sqlite3_exec(raw, "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY); "
		                                   "INSERT INTO schema_migrations VALUES ('7')",
		                              NULL, NULL, NULL),
		                 SQLITE_OK);
		sqlite3_close(raw);
	}
	tu_file_fingerprint(other, before, &mtime);
	assert_int_equal(rename(other, path), 0);
	tu_assert_error(ladder_migrate(NULL, db, good, NULL), LADDER_EIO,
	                "was replaced by another database file while ladder had it open; nothing was changed");
	ladder_db_close(db);
	tu_file_fingerprint(path, after, &mtime);
	assert_string_equal(after, before);
	ladder_plan_free(good);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(failed_run_leaves_no_new_file),
		cmocka_unit_test(waiter_on_removed_file_migrates_the_path),
		cmocka_unit_test(wrapped_waiter_on_removed_file_changes_nothing),
		cmocka_unit_test(path_replaced_by_a_database_changes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
