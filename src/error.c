/*
 * error.c — the per-thread last error: a code and a message saying what went
 * wrong and where. Every failing ladder call leaves one here.
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char error_message[LADDER_ERROR_MAX];
static _Thread_local ladder_error last_error = {0, ""};

const char *ladder_strerror(int code)
{
	switch (code) {
#define LADDER_X_CASE(name, value, text) case value: return text;
		LADDER_ERROR_TABLE(LADDER_X_CASE)
#undef LADDER_X_CASE
	}
	return "unknown error";
}

const ladder_error *ladder_error_last(void)
{
	if (last_error.message == NULL)
		last_error.message = "";
	return &last_error;
}

/* End a cut message with "…" (3 bytes), on a UTF-8 character boundary. */
static void mark_cut(char *message, size_t size)
{
	static const char ellipsis[] = "\xe2\x80\xa6";
	size_t at = size - sizeof(ellipsis);

	while (at > 0 && ((unsigned char)message[at] & 0xC0) == 0x80)
		at--;
	memcpy(message + at, ellipsis, sizeof(ellipsis));
}

int ladder_error_set(int code, const char *fmt, ...)
{
	/* The message may be built from the previous message (a prefix added
	 * by the caller), so format into a scratch buffer first. */
	char scratch[LADDER_ERROR_MAX];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(scratch, sizeof(scratch), fmt, ap);
	va_end(ap);
	if (len >= (int)sizeof(scratch))
		mark_cut(scratch, sizeof(scratch));
	memcpy(error_message, scratch, sizeof(scratch));
	last_error.code = code;
	last_error.message = error_message;
	return code;
}

void ladder_error_clear(void)
{
	error_message[0] = '\0';
	last_error.code = 0;
	last_error.message = error_message;
}

void ladder_error_save(ladder_error_saved *saved)
{
	saved->code = last_error.code;
	memcpy(saved->message, ladder_error_last()->message, strlen(ladder_error_last()->message) + 1);
}

void ladder_error_restore(const ladder_error_saved *saved)
{
	memcpy(error_message, saved->message, strlen(saved->message) + 1);
	last_error.code = saved->code;
	last_error.message = error_message;
}
