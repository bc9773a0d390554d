/*
 * sqlite_lock.c — the migration lock of runs that commit more than once: a
 * file beside the database, flock()ed, holding its holder's pid for waiters
 * to name, and removed as it is let go.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* flock, nanosleep under -std=c11 */
#endif

#include "sqlite_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOCK_SUFFIX "-ladder-lock"
#define LOCK_POLL_MAX_MS 50

/* The lock file goes with the lock: removed while still held, so that a
 * waiter that then gets the lock on the removed file sees it is gone and
 * opens the path again (sqlite_lock), and no empty file stays beside the
 * database. */
void ladder_sqlite__release_lock(ladder_sqlite_conn *conn)
{
	if (conn->lock_fd < 0)
		return;
	if (conn->lock_path != NULL)
		unlink(conn->lock_path);
	flock(conn->lock_fd, LOCK_UN);
	close(conn->lock_fd);
	conn->lock_fd = -1;
	ladder_free(conn->lock_path);
	conn->lock_path = NULL;
}

/* Is fd still the file at path (not removed by the holder we waited on)? */
static int still_linked(int fd, const char *path)
{
	struct stat held, named;
	return fstat(fd, &held) == 0 && stat(path, &named) == 0 && held.st_dev == named.st_dev &&
	       held.st_ino == named.st_ino;
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The holder's pid in the lock file, for waiters to name it. */
static void record_holder(int fd)
{
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) != len)
		(void)ftruncate(fd, 0);
}

/* A separate file, never the database: closing any descriptor of the
 * database file would drop every POSIX lock SQLite holds on it in this
 * process. flock() locks are independent of SQLite's fcntl() locks, and die
 * with the process, so a crashed migrator never leaves the lock held. The
 * holder removes the file as it lets go (release_lock); a waiter that then
 * locks the removed file sees it is gone and opens the path again. */
int ladder_sqlite__lock(ladder_conn *base, const ladder_store *store, int timeout_ms)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	const char *file = sqlite3_db_filename(conn->db, "main");
	struct timespec start;
	char *lock_path = NULL;
	long delay_ms = 1, waited;
	int fd = -1, error = 0;

	(void)store;
	/* An in-memory or temporary database has no other process to fend off. */
	if (conn->lock_fd >= 0 || file == NULL || file[0] == '\0')
		goto done;
	if ((lock_path = ladder_malloc(strlen(file) + sizeof(LOCK_SUFFIX))) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory locking '%s'", conn->path);
		goto done;
	}
	sprintf(lock_path, "%s%s", file, LOCK_SUFFIX);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (fd < 0 && (fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
			error = ladder_error_set(LADDER_EIO, "cannot open the lock file '%s': %s", lock_path, strerror(errno));
			goto done;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (still_linked(fd, lock_path))
				break;
			/* the holder removed it as it let go: take the path's new file */
			close(fd);
			fd = -1;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			error = ladder_error_set(LADDER_EIO, "cannot lock '%s': %s", lock_path, strerror(errno));
			goto done;
		}
		waited = elapsed_ms(&start);
		if (waited >= timeout_ms) {
			error = ladder_error_set(LADDER_ELOCKED, "another migrator holds the lock '%s' (waited %ld ms)",
			                         lock_path, waited);
			goto done;
		}
		sleep_ms(delay_ms < timeout_ms - waited ? delay_ms : timeout_ms - waited);
		delay_ms = delay_ms * 2 > LOCK_POLL_MAX_MS ? LOCK_POLL_MAX_MS : delay_ms * 2;
	}
	record_holder(fd);
	conn->lock_fd = fd;
	conn->lock_path = lock_path;
	lock_path = NULL;
	fd = -1;
done:
	if (fd >= 0)
		close(fd);
	ladder_free(lock_path);
	return error;
}

/* A migrator holding the lock file recorded its pid there; a connection
 * that holds only SQLite's write lock cannot be named. */
void ladder_sqlite__lock_holder(ladder_conn *base, const ladder_store *store, char *out, size_t len)
{
	ladder_sqlite_conn *conn = (ladder_sqlite_conn *)base;
	const char *file = sqlite3_db_filename(conn->db, "main");
	char *lock_path, text[32];
	ssize_t got = -1;
	long pid;
	int fd;

	(void)store;
	if (file == NULL || file[0] == '\0' || (lock_path = ladder_mprintf("%s%s", file, LOCK_SUFFIX)) == NULL)
		return;
	if ((fd = open(lock_path, O_RDONLY | O_CLOEXEC)) >= 0) {
		got = read(fd, text, sizeof(text) - 1);
		close(fd);
	}
	ladder_free(lock_path);
	if (got <= 0)
		return;
	text[got] = '\0';
	pid = strtol(text, NULL, 10);
	if (pid > 0 && pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
		snprintf(out, len, "pid %ld", pid);
}

int ladder_sqlite__unlock(ladder_conn *base, const ladder_store *store)
{
	(void)store;
	ladder_sqlite__release_lock((ladder_sqlite_conn *)base);
	return 0;
}
