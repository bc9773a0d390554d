/*
 * agent.c — vault-agent, the long-running reader of the credential vault
 * (seed system 1's daemon). It opens the file once at start, through
 * vault_open() like every opener, then answers one lookup per input line
 * with one JSON object per output line, flushed, until end of input:
 *
 *   token TOKEN  -> {"found":true,"scope":..,"subject":..,"credential_set":..,
 *                    "provider":..,"credentials":{...} or null}
 *   keys SCOPE   -> {"found":true,"scope":..,"keys":[{"id":..,"key_type":..,
 *                    "fingerprint":..,"comment":..,"public_key":"ssh-..."}]}
 *   nothing      -> {"found":false}
 *   bad request  -> {"error":"..."}
 *
 * An encrypted vault's passphrase comes as the CLI's does (passphrase.c)
 * and is wiped once the vault is open. Exit codes: 0 at end of input,
 * 1 when the vault cannot be opened, 2 usage.
 */
#define _GNU_SOURCE /* getline */
#include "json.h"
#include "passphrase.h"
#include "sshkey.h"
#include "vault_db.h"

#include <ladder.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: vault-agent --db PATH [--passphrase-file PATH | --passphrase-command CMD]\n"
	"  reads lines 'token TOKEN' or 'keys SCOPE' on standard input and writes one\n"
	"  JSON object per line; exit codes: 0 end of input, 1 error, 2 usage\n"
	VAULT_PASSPHRASE_USAGE;

static void put_field(const char *name, const char *value, int first)
{
	printf("%s\"%s\":", first ? "" : ",", name);
	if (value == NULL)
		fputs("null", stdout);
	else
		vault_json_string(stdout, value, strlen(value));
}

static void put_error(const char *what, sqlite3 *db)
{
	char message[512];
	snprintf(message, sizeof(message), "%s: %s", what, sqlite3_errmsg(db));
	fputs("{\"error\":", stdout);
	vault_json_string(stdout, message, strlen(message));
	puts("}");
}

static void answer_token(sqlite3 *db, sqlite3_stmt *stmt, const char *token)
{
	int rc;

	sqlite3_bind_text(stmt, 1, token, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		const char *data = (const char *)sqlite3_column_text(stmt, 4);
		int is_object;
		fputs("{\"found\":true,", stdout);
		put_field("scope", (const char *)sqlite3_column_text(stmt, 0), 1);
		put_field("subject", (const char *)sqlite3_column_text(stmt, 1), 0);
		put_field("credential_set", (const char *)sqlite3_column_text(stmt, 2), 0);
		put_field("provider", (const char *)sqlite3_column_text(stmt, 3), 0);
		fputs(",\"credentials\":", stdout);
		/* Data the CLI stored is a JSON object; anything else written by
		 * other hands is returned as a string rather than as broken JSON. */
		if (data == NULL)
			fputs("null", stdout);
		else if (vault_json_valid(data, strlen(data), &is_object))
			fputs(data, stdout);
		else
			vault_json_string(stdout, data, strlen(data));
		puts("}");
	} else if (rc == SQLITE_DONE) {
		puts("{\"found\":false}");
	} else {
		put_error("token lookup", db);
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

static void answer_keys(sqlite3 *db, sqlite3_stmt *stmt, const char *scope)
{
	int rc, n = 0;

	sqlite3_bind_text(stmt, 1, scope, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		char *line = vault_public_line(sqlite3_column_blob(stmt, 4), (size_t)sqlite3_column_bytes(stmt, 4));
		if (n == 0) {
			fputs("{\"found\":true,", stdout);
			put_field("scope", scope, 1);
			fputs(",\"keys\":[", stdout);
		}
		printf("%s{\"id\":%lld,", n ? "," : "", (long long)sqlite3_column_int64(stmt, 0));
		put_field("key_type", (const char *)sqlite3_column_text(stmt, 1), 1);
		put_field("fingerprint", (const char *)sqlite3_column_text(stmt, 2), 0);
		put_field("comment", (const char *)sqlite3_column_text(stmt, 3), 0);
		put_field("public_key", line, 0);
		putchar('}');
		free(line);
		n++;
	}
	if (rc != SQLITE_DONE) {
		if (n > 0)
			puts("]}"); /* close the object begun; the error follows on its own line */
		put_error("key lookup", db);
	} else if (n == 0) {
		puts("{\"found\":false}");
	} else {
		puts("]}");
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

int main(int argc, char **argv)
{
	const char *path = NULL, *passphrase_file = NULL, *passphrase_command = NULL;
	char *passphrase = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *token_stmt = NULL, *keys_stmt = NULL;
	vault_open_info info;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc, status = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (strncmp(argv[i], "--db=", 5) == 0) {
			path = argv[i] + 5;
		} else if (strcmp(argv[i], "--passphrase-file") == 0 && i + 1 < argc) {
			passphrase_file = argv[++i];
		} else if (strncmp(argv[i], "--passphrase-file=", 18) == 0) {
			passphrase_file = argv[i] + 18;
		} else if (strcmp(argv[i], "--passphrase-command") == 0 && i + 1 < argc) {
			passphrase_command = argv[++i];
		} else if (strncmp(argv[i], "--passphrase-command=", 21) == 0) {
			passphrase_command = argv[i] + 21;
		} else {
			fprintf(stderr, "vault-agent: unexpected argument '%s'\n%s", argv[i], usage_text);
			return 2;
		}
	}
	if (path == NULL || path[0] == '\0') {
		fprintf(stderr, "vault-agent: --db PATH is required\n%s", usage_text);
		return 2;
	}
	if ((status = vault_passphrase_get(&passphrase, passphrase_file, passphrase_command)) < 0) {
		fprintf(stderr, "vault-agent: %s\n", vault_passphrase_errmsg());
		if (status == LADDER_EINVALID)
			fputs(usage_text, stderr);
		return status == LADDER_EINVALID ? 2 : 1;
	}
	status = 1;
	/* Once, at start: every later lookup runs on a current schema. The
	 * passphrase is wiped as soon as the file is open. */
	rc = vault_open(&db, path, 1, passphrase, &info);
	vault_passphrase_free(passphrase);
	if (rc < 0) {
		fprintf(stderr, "vault-agent: %s\n", vault_errmsg());
		goto done;
	}
	vault_report_open("vault-agent", path, &info);
	if (sqlite3_prepare_v3(db,
	                       "SELECT t.scope, t.subject, t.credential_set, t.provider, c.data FROM proxy_tokens t "
	                       "LEFT JOIN credentials c ON c.credential_set = t.credential_set AND c.provider = t.provider "
	                       "WHERE t.token = ?1",
	                       -1, SQLITE_PREPARE_PERSISTENT, &token_stmt, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db,
	                       VAULT_SCOPE_KEYS_SQL,
	                       -1, SQLITE_PREPARE_PERSISTENT, &keys_stmt, NULL) != SQLITE_OK) {
		fprintf(stderr, "vault-agent: preparing lookups on '%s': %s\n", path, sqlite3_errmsg(db));
		goto done;
	}
	while ((len = getline(&line, &cap, stdin)) >= 0) {
		char *arg;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		arg = strchr(line, ' ');
		if (arg != NULL)
			*arg++ = '\0';
		if (arg != NULL && arg[0] != '\0' && strcmp(line, "token") == 0)
			answer_token(db, token_stmt, arg);
		else if (arg != NULL && arg[0] != '\0' && strcmp(line, "keys") == 0)
			answer_keys(db, keys_stmt, arg);
		else
			puts("{\"error\":\"unknown request: expected 'token TOKEN' or 'keys SCOPE'\"}");
		if (fflush(stdout) != 0)
			goto done;
	}
	status = 0;
done:
	free(line);
	sqlite3_finalize(token_stmt);
	sqlite3_finalize(keys_stmt);
	sqlite3_close(db);
	vault_plan_release();
	return status;
}
