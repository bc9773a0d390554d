/*
 * key.c — the key of an encrypted SQLite file, for ladder-sqlcipher: read
 * from --sqlite-key-file or from what LADDER_SQLITE_KEY_COMMAND prints,
 * never from the command line (where ps and shell history would show it),
 * and never printed. Read once, when a database is first opened, so that
 * a command that opens none never runs the key command; wiped at exit.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* popen under -std=c11 */
#endif

#include "cli.h"
#include "output.h"

#include <ladder/sys/driver.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* A passphrase, or "x'…'" with 64 to 96 hex digits: far below this. */
#define KEY_MAX 4096

static char key[KEY_MAX + 2];
static int key_state; /* 0 not read yet, 1 read (key[0] may be '\0': none) */

static void wipe_key(void)
{
	ladder_wipe(key, sizeof(key));
}

/* Read what `in` holds into key, without one trailing newline (what a
 * passphrase file or `pass show` ends with). Returns the length, or -1
 * when it is longer than KEY_MAX; errno set by a failed read. */
static long read_key(FILE *in)
{
	size_t len = fread(key, 1, sizeof(key) - 1, in);

	if (len > KEY_MAX)
		return -1;
	key[len] = '\0';
	if (len > 0 && key[len - 1] == '\n')
		key[--len] = '\0';
	if (len > 0 && key[len - 1] == '\r')
		key[--len] = '\0';
	return (long)len;
}

static int from_file(const char *path)
{
	FILE *in = fopen(path, "rb");
	long len;
	int saved;

	if (in == NULL)
		return cli_error("cannot read --sqlite-key-file '%s': %s", path, strerror(errno));
	len = read_key(in);
	saved = ferror(in) ? errno : 0;
	fclose(in);
	if (saved != 0)
		return cli_error("cannot read --sqlite-key-file '%s': %s", path, strerror(saved));
	if (len < 0)
		return cli_error("--sqlite-key-file '%s' is longer than a key (%d bytes at most)", path, KEY_MAX);
	if (len == 0)
		return cli_error("--sqlite-key-file '%s' holds no key (it is empty)", path);
	return CLI_EXIT_OK;
}

/* The command's output is the key; its standard error and its prompts
 * (a password manager asking on the terminal) pass through. */
static int from_command(const char *command)
{
	FILE *in = popen(command, "r");
	long len;
	int status;

	if (in == NULL)
		return cli_error("cannot run LADDER_SQLITE_KEY_COMMAND: %s", strerror(errno));
	len = read_key(in);
	if (len < 0) /* read the rest so the command is not killed by SIGPIPE */
		while (fread(key, 1, sizeof(key), in) > 0)
			;
	status = pclose(in);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		wipe_key();
		if (status != -1 && WIFEXITED(status))
			return cli_error("LADDER_SQLITE_KEY_COMMAND failed (exit status %d); nothing was opened",
			                 WEXITSTATUS(status));
		return cli_error("LADDER_SQLITE_KEY_COMMAND did not finish normally; nothing was opened");
	}
	if (len < 0) {
		wipe_key();
		return cli_error("LADDER_SQLITE_KEY_COMMAND printed more than a key (%d bytes at most)", KEY_MAX);
	}
	if (len == 0)
		return cli_error("LADDER_SQLITE_KEY_COMMAND printed no key");
	return CLI_EXIT_OK;
}

int cli_sqlite_key(const cli_options *o, const char **out)
{
	const char *command = getenv("LADDER_SQLITE_KEY_COMMAND");
	int rc = CLI_EXIT_OK;

	*out = NULL;
	if (key_state == 0) {
		key_state = 1;
		atexit(wipe_key);
		if (o->sqlite_key_file != NULL)
			rc = from_file(o->sqlite_key_file);
		else if (command != NULL && command[0] != '\0')
			rc = from_command(command);
		if (rc != CLI_EXIT_OK) {
			wipe_key();
			key_state = 0;
			return rc;
		}
	}
	if (key[0] != '\0')
		*out = key;
	return CLI_EXIT_OK;
}
