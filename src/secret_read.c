/*
 * secret_read.c — a secret (a passphrase, a key) read from a file or from
 * what a command prints, as ladder's CLI takes the key of an encrypted
 * SQLite file and as an application embedding libladder may take it too.
 * read(2), not stdio, so no C library buffer keeps a copy; messages never
 * quote the secret or the command's output; every copy made here is wiped.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2 */
#endif

#include "error.h"

#include "ladder/sys/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A secret and its newline fit; one byte more shows a longer one. */
#define BUF_SIZE (LADDER_SECRET_MAX + 2)

void ladder_secret_free(char *secret)
{
	if (secret != NULL) {
		ladder_wipe(secret, BUF_SIZE);
		ladder_free(secret);
	}
}

/* Read fd to its end into buf (BUF_SIZE bytes): up to BUF_SIZE - 1 bytes
 * kept, the rest read and dropped (so a command is not killed writing).
 * Returns the bytes kept, BUF_SIZE - 1 meaning "too long", or -1 (errno). */
static long read_all(int fd, char *buf)
{
	char sink[512];
	size_t n = 0;
	ssize_t got;

	for (;;) {
		if (n < BUF_SIZE - 1)
			got = read(fd, buf + n, BUF_SIZE - 1 - n);
		else
			got = read(fd, sink, sizeof(sink));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (n < BUF_SIZE - 1)
			n += (size_t)got;
	}
	ladder_wipe(sink, sizeof(sink));
	return got < 0 ? -1 : (long)n;
}

/* buf holds n bytes read from `what`: strip one trailing newline, check
 * what is left is a secret. */
static int check(char *buf, long n, const char *noun, const char *what)
{
	size_t len = (size_t)n;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	if (len > LADDER_SECRET_MAX)
		return ladder_error_set(LADDER_EERROR, "%s holds more than a %s (%d bytes at most)", what, noun,
		                        LADDER_SECRET_MAX);
	if (len == 0)
		return ladder_error_set(LADDER_EERROR, "%s holds no %s (it is empty)", what, noun);
	if (memchr(buf, '\0', len) != NULL)
		return ladder_error_set(LADDER_EERROR, "%s holds a NUL byte, which a %s cannot", what, noun);
	return 0;
}

static int from_file(char *buf, const char *path, const char *noun, const char *source)
{
	char what[640];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long n;
	int saved;

	if (fd < 0)
		return ladder_error_set(LADDER_EIO, "cannot read the %s file '%s' (%s): %s", noun, path, source,
		                        strerror(errno));
	n = read_all(fd, buf);
	saved = errno;
	close(fd);
	if (n < 0)
		return ladder_error_set(LADDER_EIO, "cannot read the %s file '%s' (%s): %s", noun, path, source,
		                        strerror(saved));
	snprintf(what, sizeof(what), "the %s file '%s' (%s)", noun, path, source);
	return check(buf, n, noun, what);
}

/* Standard error passes through (a password manager's prompt or its
 * complaint); standard input is /dev/null: a program's own input (the
 * vault agent's requests) is not the command's to read. */
static int from_command(char *buf, const char *command, const char *noun, const char *source)
{
	char what[256];
	int fds[2], status = 0, saved;
	long n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return ladder_error_set(LADDER_EIO, "cannot run the %s command (%s): %s", noun, source, strerror(errno));
	fflush(NULL);
	if ((pid = fork()) < 0) {
		saved = errno;
		close(fds[0]);
		close(fds[1]);
		return ladder_error_set(LADDER_EIO, "cannot run the %s command (%s): %s", noun, source, strerror(saved));
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0 || dup2(fds[1], 1) < 0)
			_exit(126);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	n = read_all(fds[0], buf);
	saved = errno;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return ladder_error_set(LADDER_EIO, "the %s command (%s): %s", noun, source, strerror(errno));
	if (WIFSIGNALED(status))
		return ladder_error_set(LADDER_EIO, "the %s command (%s) was killed by signal %d; nothing was opened",
		                        noun, source, WTERMSIG(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ladder_error_set(LADDER_EIO, "the %s command (%s) failed with exit status %d; nothing was opened",
		                        noun, source, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	if (n < 0)
		return ladder_error_set(LADDER_EIO, "reading the %s command's output (%s): %s", noun, source,
		                        strerror(saved));
	snprintf(what, sizeof(what), "the %s command's output (%s)", noun, source);
	return check(buf, n, noun, what);
}

int ladder_secret_read(char **out, const char *file, const char *command, const char *noun, const char *source)
{
	char *buf;
	int error;

	if (out == NULL || (file == NULL) == (command == NULL) || noun == NULL || source == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_secret_read: give a file or a command, a noun and a source");
	*out = NULL;
	if ((buf = ladder_malloc(BUF_SIZE)) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reading the %s", noun);
	error = file != NULL ? from_file(buf, file, noun, source) : from_command(buf, command, noun, source);
	if (error < 0) {
		ladder_secret_free(buf);
		return error;
	}
	*out = buf;
	return 0;
}
