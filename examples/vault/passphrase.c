/*
 * passphrase.c — the passphrase of an encrypted vault, read in one place
 * for `vault` and `vault-agent` (see passphrase.h): from a file, or from
 * the standard output of a command. Read with read(2), not stdio, so no
 * buffer of the C library keeps a copy; never printed; every copy made here
 * is wiped (ladder_wipe) before it is freed.
 */
#define _GNU_SOURCE /* pipe2 */
#include "passphrase.h"

#include <ladder.h>
#include <ladder/sys/driver.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A passphrase and its newline fit; one byte more shows a longer one. */
#define BUF_SIZE (VAULT_PASSPHRASE_MAX + 2)

static char error_text[1024];

const char *vault_passphrase_errmsg(void)
{
	return error_text;
}

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(error_text, sizeof(error_text), fmt, ap);
	va_end(ap);
	return code;
}

void vault_passphrase_free(char *passphrase)
{
	if (passphrase != NULL) {
		ladder_wipe(passphrase, BUF_SIZE);
		free(passphrase);
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
		if (got < 0) {
			ladder_wipe(sink, sizeof(sink));
			return -1;
		}
		if (got == 0)
			break;
		if (n < BUF_SIZE - 1)
			n += (size_t)got;
	}
	ladder_wipe(sink, sizeof(sink));
	return (long)n;
}

/* buf holds n bytes read from `what`: strip one trailing newline, check
 * what is left is a passphrase. 0, or a negative code with the reason. */
static int finish(char *buf, long n, const char *what)
{
	size_t len = (size_t)n;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	if (len > VAULT_PASSPHRASE_MAX)
		return fail(LADDER_EERROR, "%s holds more than a passphrase (%d bytes at most)", what,
		            VAULT_PASSPHRASE_MAX);
	if (len == 0)
		return fail(LADDER_EERROR, "%s holds no passphrase (it is empty)", what);
	if (memchr(buf, '\0', len) != NULL)
		return fail(LADDER_EERROR, "%s holds a NUL byte, which a passphrase cannot", what);
	return 0;
}

static int from_file(char *buf, const char *path, const char *source)
{
	char what[640];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long n;
	int saved;

	if (fd < 0)
		return fail(LADDER_EIO, "cannot read the passphrase file '%s' (%s): %s", path, source, strerror(errno));
	n = read_all(fd, buf);
	saved = errno;
	close(fd);
	if (n < 0)
		return fail(LADDER_EIO, "cannot read the passphrase file '%s' (%s): %s", path, source, strerror(saved));
	snprintf(what, sizeof(what), "the passphrase file '%s' (%s)", path, source);
	return finish(buf, n, what);
}

/* The command's standard output is the passphrase; its standard error
 * passes through, and its standard input is /dev/null (the agent's is its
 * request stream, not the command's to read). Its output is never quoted:
 * a failing command may still have printed the passphrase. */
static int from_command(char *buf, const char *command, const char *source)
{
	char what[128];
	int fds[2], status = 0, saved = 0;
	long n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return fail(LADDER_EIO, "cannot run the passphrase command (%s): %s", source, strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		saved = errno;
		close(fds[0]);
		close(fds[1]);
		return fail(LADDER_EIO, "cannot run the passphrase command (%s): %s", source, strerror(saved));
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
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return fail(LADDER_EIO, "the passphrase command (%s): %s", source, strerror(errno));
	}
	if (WIFSIGNALED(status))
		return fail(LADDER_EIO, "the passphrase command (%s) was killed by signal %d; nothing was opened", source,
		            WTERMSIG(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return fail(LADDER_EIO, "the passphrase command (%s) failed with exit status %d; nothing was opened",
		            source, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	if (n < 0)
		return fail(LADDER_EIO, "reading the passphrase command's output (%s): %s", source, strerror(saved));
	snprintf(what, sizeof(what), "the passphrase command's output (%s)", source);
	return finish(buf, n, what);
}

static const char *from_env(const char *name)
{
	const char *value = getenv(name);
	return value != NULL && value[0] != '\0' ? value : NULL;
}

int vault_passphrase_get(char **out, const char *file, const char *command)
{
	const char *file_source = "--passphrase-file", *command_source = "--passphrase-command";
	char *buf;
	int error;

	*out = NULL;
	error_text[0] = '\0';
	if (file != NULL && file[0] == '\0')
		return fail(LADDER_EINVALID, "--passphrase-file needs a path");
	if (command != NULL && command[0] == '\0')
		return fail(LADDER_EINVALID, "--passphrase-command needs a command");
	if (file != NULL && command != NULL)
		return fail(LADDER_EINVALID, "give --passphrase-file or --passphrase-command, not both");
	/* An option wins over the environment. */
	if (file == NULL && command == NULL) {
		file = from_env("VAULT_PASSPHRASE_FILE");
		command = from_env("VAULT_PASSPHRASE_COMMAND");
		if (file != NULL && command != NULL)
			return fail(LADDER_EINVALID,
			            "VAULT_PASSPHRASE_FILE and VAULT_PASSPHRASE_COMMAND are both set: set one, or give "
			            "--passphrase-file or --passphrase-command");
		file_source = "VAULT_PASSPHRASE_FILE";
		command_source = "VAULT_PASSPHRASE_COMMAND";
	}
	if (file == NULL && command == NULL)
		return 0;
	if ((buf = malloc(BUF_SIZE)) == NULL)
		return fail(LADDER_ENOMEM, "out of memory reading the passphrase");
	error = file != NULL ? from_file(buf, file, file_source) : from_command(buf, command, command_source);
	if (error < 0) {
		vault_passphrase_free(buf);
		return error;
	}
	*out = buf;
	return 0;
}
