/*
 * hints.c — the advice the library leaves to the command. libladder says
 * what went wrong and where; which `ladder` command or flag mends it is
 * the CLI's own language, printed here as "ladder: hint:" lines after the
 * error. Versions come from the database's status, never from parsing the
 * message.
 */
#include "cli.h"
#include "output.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static ladder_db *hint_db;
static const ladder_plan *hint_plan;

void cli_hints_context(ladder_db *db, const ladder_plan *plan)
{
	if (db != NULL)
		hint_db = db;
	if (plan != NULL)
		hint_plan = plan;
}

void cli_hints_forget(void)
{
	hint_db = NULL;
	hint_plan = NULL;
}

static void hint(const char *fmt, ...) CLI_PRINTF(1, 2);

static void hint(const char *fmt, ...)
{
	va_list ap;

	fputs("ladder: hint: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The status the advice is about; NULL when it cannot be read. The
 * library's error is kept: the caller prints it first. */
static ladder_status *read_status(void)
{
	ladder_status *status = NULL;

	if (hint_db == NULL || hint_plan == NULL || ladder_status_get(&status, hint_db, hint_plan) < 0)
		return NULL;
	return status;
}

static void interrupted_hints(const ladder_status *status)
{
	/* A step run statement by statement has its own advice in its message. */
	for (size_t i = 0; i < status->count; i++)
		if (status->entries[i].state == LADDER_STATE_INTERRUPTED && status->entries[i].progress == 0)
			hint("after checking the database by hand: `ladder repair --applied %" PRId64
			     "` if it holds migration %" PRId64 "'s changes, `ladder repair --pending %" PRId64
			     "` if it does not",
			     status->entries[i].version, status->entries[i].version, status->entries[i].version);
}

void cli_adopt_advice(FILE *out, const char *prefix, const char *adopt_from)
{
	if (adopt_from == NULL)
		return;
	fprintf(out, "%s`ladder adopt --from %s` records those versions in ladder's history, then `ladder up`\n", prefix,
	        adopt_from);
	if (strcmp(adopt_from, "user_version") == 0 || strncmp(adopt_from, "comment:", 8) == 0)
		fprintf(out, "%sor keep that store: `--store %s`\n", prefix, adopt_from);
	fprintf(out, "%sor start a history of ladder's own: `ladder up --allow-foreign`\n", prefix);
}

/* ladder writes only its history from now on: the stamp or the other
 * tool's table it adopted from stays at the adopted version, and whatever
 * reads it (an older build of the application, the tool itself, a script)
 * keeps seeing that. Said once, here, rather than found out later. */
static void frozen_note(char *buf, size_t len, const char *from, int64_t version)
{
	const char *colon = strchr(from, ':');

	if (strcmp(from, "user_version") == 0)
		snprintf(buf, len,
		         "PRAGMA user_version stays %" PRId64 ": ladder records versions in its history table from now "
		         "on and leaves the stamp alone, so anything that reads user_version keeps seeing %" PRId64,
		         version, version);
	else if (strncmp(from, "comment:", 8) == 0)
		snprintf(buf, len,
		         "The comment on table \"%s\" stays '%" PRId64 "': ladder records versions in its history "
		         "table from now on and leaves the stamp alone, so anything that reads that comment keeps "
		         "seeing %" PRId64,
		         from + 8, version, version);
	else
		snprintf(buf, len,
		         "%.*s's table%s%s%s stays as it is, at version %" PRId64 ": ladder never writes it, so %.*s and "
		         "anything else that reads it keep seeing %" PRId64,
		         colon ? (int)(colon - from) : (int)strlen(from), from, colon ? " \"" : "", colon ? colon + 1 : "",
		         colon ? "\"" : "", version, colon ? (int)(colon - from) : (int)strlen(from), from, version);
}

void cli_adopt_report(ladder_db *db, const char *from, const ladder_result *result, int json, int quiet)
{
	char note[1024];

	frozen_note(note, sizeof(note), from, result->to_version);
	if (json) {
		fputs("{\"database\":", stdout);
		out_json_string(stdout, ladder_db_display_name(db));
		fputs(",\"from\":", stdout);
		out_json_string(stdout, from);
		printf(",\"version\":%" PRId64 ",\"recorded\":%zu,\"source_version\":%" PRId64
		       ",\"source_kept_in_step\":false,\"note\":",
		       result->to_version, result->applied, result->to_version);
		out_json_string(stdout, note);
		fputs("}\n", stdout);
		return;
	}
	if (quiet)
		return;
	printf("Adopted version %" PRId64 " from ", result->to_version);
	out_text(stdout, from);
	printf(": recorded %zu migration(s) in the history store.\n", result->applied);
	out_text(stdout, note);
	fputs(".\n", stdout);
}

void cli_hint(int code, const char *message)
{
	ladder_status *status = NULL;

	switch (code) {
	case LADDER_ECHECKSUM:
		hint("revert the edit, or after review accept it: `ladder repair --checksums`");
		return;
	case LADDER_ENEWER:
		/* A down cannot run a step it does not have, allowed or not. */
		if ((strstr(message, "is newer than this program") != NULL || strstr(message, "not in this plan") != NULL) &&
		    strstr(message, "its down is unknown") == NULL)
			hint("`--allow-newer` runs anyway, when the newer steps are known to be harmless");
		return;
	case LADDER_EOUT_OF_ORDER:
		if (strstr(message, "added out of order") != NULL)
			hint("`--allow-out-of-order` applies it anyway");
		return;
	case LADDER_EBELOW_FLOOR:
		if (strstr(message, "no recorded version") != NULL)
			hint("`ladder adopt --from user_version|comment:TABLE|TOOL` records the version it is at");
		return;
	case LADDER_ESTORE:
		if (strstr(message, "is not a ladder history table") != NULL)
			hint("name another table for ladder's history: `--store history:TABLE`");
		return;
	case LADDER_EPLAN:
		if (strstr(message, "outside strict mode") != NULL)
			hint("mark it `-- ladder:no-transaction`, or run without `--strict`");
		return;
	case LADDER_EFOREIGN:
		if ((status = read_status()) != NULL)
			cli_adopt_advice(stderr, "ladder: hint: ", status->adopt_from);
		break;
	default:
		/* A step recorded as started: a failed no-transaction step, or
		 * one found interrupted (LADDER_EINTERRUPTED). Not to a dry run:
		 * without the lock, the step may be another run's, in progress. */
		if ((code == LADDER_EINTERRUPTED || strstr(message, "recorded as started") != NULL) &&
		    strstr(message, "a dry run takes no lock") == NULL && (status = read_status()) != NULL)
			interrupted_hints(status);
		break;
	}
	ladder_status_free(status);
}
