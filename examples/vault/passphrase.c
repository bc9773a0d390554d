/*
 * passphrase.c — where `vault` and `vault-agent` find the passphrase of an
 * encrypted vault (see passphrase.h): an option, else an environment
 * variable, naming a file or a command. libladder reads it
 * (ladder_secret_read), as the ladder CLI reads its --sqlite-key-file:
 * never printed, wiped once used.
 */
#include "passphrase.h"

#include <ladder.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
	ladder_secret_free(passphrase);
}

static const char *from_env(const char *name)
{
	const char *value = getenv(name);
	return value != NULL && value[0] != '\0' ? value : NULL;
}

int vault_passphrase_get(char **out, const char *file, const char *command)
{
	const char *file_source = "--passphrase-file", *command_source = "--passphrase-command";
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
	if ((error = ladder_secret_read(out, file, command, "passphrase", file != NULL ? file_source : command_source)) < 0)
		return fail(error, "%s", ladder_error_last()->message);
	return 0;
}
