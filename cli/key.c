/*
 * key.c — the key of an encrypted SQLite file, for ladder-sqlcipher: read
 * from --sqlite-key-file or from what LADDER_SQLITE_KEY_COMMAND prints
 * (ladder_secret_read), never from the command line, where ps and shell
 * history would show it. Read once, when a database is first opened, so a
 * command that opens none never runs the key command; wiped at exit.
 */
#include "cli.h"
#include "output.h"

#include <stdlib.h>

static char *key;
static int key_read;

static void free_key(void)
{
	ladder_secret_free(key);
	key = NULL;
}

int cli_sqlite_key(const cli_options *o, const char **out)
{
	const char *command = getenv("LADDER_SQLITE_KEY_COMMAND");
	int error = 0;

	*out = NULL;
	if (!key_read) {
		if (o->sqlite_key_file != NULL)
			error = ladder_secret_read(&key, o->sqlite_key_file, NULL, "key", "--sqlite-key-file");
		else if (command != NULL && command[0] != '\0')
			error = ladder_secret_read(&key, NULL, command, "key", "LADDER_SQLITE_KEY_COMMAND");
		if (error < 0)
			return cli_lib_error();
		key_read = 1;
		atexit(free_key);
	}
	*out = key;
	return CLI_EXIT_OK;
}
