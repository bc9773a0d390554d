/*
 * vault.c — the writer CLI of the credential vault (seed system 1):
 *
 *   vault --db PATH add-key SCOPE KEYFILE [--comment TEXT]
 *   vault --db PATH keys SCOPE [--json]
 *   vault --db PATH set-credential SET PROVIDER JSON
 *   vault --db PATH issue-token SCOPE SUBJECT SET PROVIDER
 *   vault --db PATH revoke-token TOKEN
 *
 * Every command opens the file through vault_open(), which migrates it
 * first; an encrypted vault's passphrase comes from --passphrase-file or
 * --passphrase-command (or VAULT_PASSPHRASE_FILE / _COMMAND), read by
 * passphrase.c and wiped once the vault is open. Exit codes: 0 done,
 * 1 error (message on stderr), 2 usage.
 */
#include "json.h"
#include "passphrase.h"
#include "sshkey.h"
#include "vault_db.h"

#include <ladder.h>
#include <openssl/rand.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 2
#define TOKEN_BYTES 32

static const char usage_text[] =
	"usage: vault --db PATH [--passphrase-file PATH | --passphrase-command CMD] COMMAND ...\n"
	"  add-key SCOPE KEYFILE [--comment TEXT]   import an unencrypted OpenSSH private key\n"
	"                                           (ed25519 or RSA); prints its fingerprint\n"
	"  keys SCOPE [--json]                      list the scope's keys\n"
	"  set-credential SET PROVIDER JSON         store credential data (a JSON object)\n"
	"  issue-token SCOPE SUBJECT SET PROVIDER   issue a proxy token; prints it\n"
	"  revoke-token TOKEN                       revoke a proxy token\n"
	VAULT_PASSPHRASE_USAGE
	"exit codes: 0 done, 1 error, 2 usage\n";

typedef struct args {
	const char *db;
	const char *passphrase_file;
	const char *passphrase_command;
	const char *comment;
	int json;
	int npos;
	const char *pos[8];
} args;

static int usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "vault: %s\n", why);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static int failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int failed(const char *fmt, ...)
{
	va_list ap;
	fputs("vault: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int sql_failed(sqlite3 *db, const char *doing)
{
	fprintf(stderr, "vault: %s: %s\n", doing, sqlite3_errmsg(db));
	return 1;
}

/* The passphrase (NULL: a plain vault), read before the command runs and
 * wiped as soon as the vault is open. */
static char *passphrase;

/* Every command's one open: through vault_open, reported, the passphrase
 * wiped. Returns 0, or 1 with the reason on stderr. */
static int open_vault(const args *a, sqlite3 **db)
{
	vault_open_info info;
	int error = vault_open(db, a->db, 1, passphrase, &info);

	vault_passphrase_free(passphrase);
	passphrase = NULL;
	if (error < 0)
		return failed("%s", vault_errmsg());
	vault_report_open("vault", a->db, &info);
	return 0;
}

/* --- commands ---------------------------------------------------------------- */

static int read_file(const char *path, unsigned char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	size_t n;

	if (f == NULL)
		return -1;
	if ((buf = malloc(VAULT_KEY_TEXT_MAX + 1)) == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, VAULT_KEY_TEXT_MAX + 1, f);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	*data = buf;
	*len = n;
	return 0;
}

static int add_key(const args *a)
{
	const char *scope = a->pos[1], *keyfile = a->pos[2];
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	unsigned char *text = NULL;
	size_t text_len = 0;
	vault_key key;
	sqlite3_int64 id = 0;
	char why[600];
	int rc, status = 1;

	memset(&key, 0, sizeof(key));
	/* The key first: a file that is no key creates no vault. */
	if (read_file(keyfile, &text, &text_len) < 0) {
		failed("cannot read key file '%s': %s", keyfile, strerror(errno));
		goto done;
	}
	if (vault_key_from_openssh(&key, text, text_len, why, sizeof(why)) < 0) {
		fprintf(stderr, "vault: %s: %s\n", keyfile, why);
		goto done;
	}
	if (open_vault(a, &db) != 0)
		goto done;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		sql_failed(db, "starting a write");
		goto done;
	}
	/* A key already in the vault is assigned, not stored twice. */
	if (sqlite3_prepare_v2(db,
	                       "INSERT INTO ssh_keys (key_type, private_der, public_blob, comment, fingerprint) "
	                       "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (fingerprint) DO NOTHING",
	                       -1, &stmt, NULL) != SQLITE_OK) {
		sql_failed(db, "storing the key");
		goto done;
	}
	sqlite3_bind_text(stmt, 1, key.type, -1, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 2, key.der, (int)key.der_len, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 3, key.pub, (int)key.pub_len, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, a->comment ? a->comment : key.comment, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, key.fingerprint, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		sql_failed(db, "storing the key");
		goto done;
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (sqlite3_prepare_v2(db, "SELECT id FROM ssh_keys WHERE fingerprint = ?1", -1, &stmt, NULL) != SQLITE_OK) {
		sql_failed(db, "storing the key");
		goto done;
	}
	sqlite3_bind_text(stmt, 1, key.fingerprint, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
		sql_failed(db, "storing the key");
		goto done;
	}
	id = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO ssh_key_assignments (scope, key_id) VALUES (?1, ?2)", -1, &stmt,
	                       NULL) != SQLITE_OK) {
		sql_failed(db, "assigning the key");
		goto done;
	}
	sqlite3_bind_text(stmt, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, id);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		sql_failed(db, "assigning the key");
		goto done;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sql_failed(db, "committing");
		goto done;
	}
	printf("%s\n", key.fingerprint);
	status = 0;
done:
	sqlite3_finalize(stmt);
	if (db != NULL && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	vault_key_clear(&key);
	free(text);
	return status;
}

static int list_keys(const args *a)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	int rc, n = 0, status = 1;

	if (open_vault(a, &db) != 0)
		goto done;
	if (sqlite3_prepare_v2(db,
	                       VAULT_SCOPE_KEYS_SQL,
	                       -1, &stmt, NULL) != SQLITE_OK) {
		sql_failed(db, "listing keys");
		goto done;
	}
	sqlite3_bind_text(stmt, 1, a->pos[1], -1, SQLITE_STATIC);
	if (a->json)
		putchar('[');
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(stmt, 1);
		const char *fp = (const char *)sqlite3_column_text(stmt, 2);
		const char *comment = (const char *)sqlite3_column_text(stmt, 3);
		char *line = vault_public_line(sqlite3_column_blob(stmt, 4), (size_t)sqlite3_column_bytes(stmt, 4));
		type = type ? type : "";
		fp = fp ? fp : "";
		comment = comment ? comment : "";
		if (a->json) {
			printf("%s{\"id\":%lld,\"key_type\":", n ? "," : "", (long long)sqlite3_column_int64(stmt, 0));
			vault_json_string(stdout, type, strlen(type));
			fputs(",\"fingerprint\":", stdout);
			vault_json_string(stdout, fp, strlen(fp));
			fputs(",\"comment\":", stdout);
			vault_json_string(stdout, comment, strlen(comment));
			fputs(",\"public_key\":", stdout);
			if (line)
				vault_json_string(stdout, line, strlen(line));
			else
				fputs("null", stdout);
			putchar('}');
		} else {
			printf("%s %s %s\n", fp, type, comment);
		}
		free(line);
		n++;
	}
	if (a->json)
		puts("]");
	if (rc != SQLITE_DONE) {
		sql_failed(db, "listing keys");
		goto done;
	}
	status = 0;
done:
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return status;
}

/* Run one statement with text parameters; *changes gets the rows changed. */
static int write_one(const args *a, const char *sql, const char *const *params, int nparams, int *changes)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	int status = 1;

	if (open_vault(a, &db) != 0)
		goto done;
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		sql_failed(db, "writing");
		goto done;
	}
	for (int i = 0; i < nparams; i++)
		sqlite3_bind_text(stmt, i + 1, params[i], -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		sql_failed(db, "writing");
		goto done;
	}
	if (changes)
		*changes = sqlite3_changes(db);
	status = 0;
done:
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return status;
}

static int set_credential(const args *a)
{
	const char *json = a->pos[3];
	int is_object = 0;

	/* Checked for JSON syntax and for being an object; stored as given. */
	if (!vault_json_valid(json, strlen(json), &is_object) || !is_object)
		return failed("credential data must be a JSON object, got: %.200s", json);
	return write_one(a,
	                 "INSERT INTO credentials (credential_set, provider, data) VALUES (?1, ?2, ?3) "
	                 "ON CONFLICT (credential_set, provider) DO UPDATE SET data = excluded.data",
	                 a->pos + 1, 3, NULL);
}

static int issue_token(const args *a)
{
	unsigned char raw[TOKEN_BYTES];
	const char *params[5];
	char *token;
	int status;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return failed("%s", "no randomness for the token");
	if ((token = vault_base64(raw, sizeof(raw), 1)) == NULL)
		return failed("%s", "out of memory");
	params[0] = token;
	for (int i = 0; i < 4; i++)
		params[i + 1] = a->pos[i + 1];
	status = write_one(a,
	                   "INSERT INTO proxy_tokens (token, scope, subject, credential_set, provider) "
	                   "VALUES (?1, ?2, ?3, ?4, ?5)",
	                   params, 5, NULL);
	if (status == 0)
		printf("%s\n", token);
	free(token);
	return status;
}

static int revoke_token(const args *a)
{
	int changes = 0;
	int status = write_one(a, "DELETE FROM proxy_tokens WHERE token = ?1", a->pos + 1, 1, &changes);

	if (status == 0 && changes == 0)
		return failed("no such token: %.200s", a->pos[1]);
	return status;
}

/* --- main --------------------------------------------------------------------------- */

static const struct command {
	const char *name;
	int nargs; /* positional arguments after the command */
	int (*run)(const args *);
} commands[] = {
	{"add-key", 2, add_key},         {"keys", 1, list_keys},           {"set-credential", 3, set_credential},
	{"issue-token", 4, issue_token}, {"revoke-token", 1, revoke_token},
};

int main(int argc, char **argv)
{
	args a;
	int status;

	memset(&a, 0, sizeof(a));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else if (strcmp(arg, "--db") == 0 || strcmp(arg, "--comment") == 0) {
			if (i + 1 >= argc)
				return usage(arg[2] == 'd' ? "--db needs a path" : "--comment needs a text");
			*(arg[2] == 'd' ? &a.db : &a.comment) = argv[++i];
		} else if (strncmp(arg, "--db=", 5) == 0) {
			a.db = arg + 5;
		} else if (strcmp(arg, "--passphrase-file") == 0 || strcmp(arg, "--passphrase-command") == 0) {
			int file = arg[13] == 'f';
			if (i + 1 >= argc)
				return usage(file ? "--passphrase-file needs a path" : "--passphrase-command needs a command");
			*(file ? &a.passphrase_file : &a.passphrase_command) = argv[++i];
		} else if (strncmp(arg, "--passphrase-file=", 18) == 0) {
			a.passphrase_file = arg + 18;
		} else if (strncmp(arg, "--passphrase-command=", 21) == 0) {
			a.passphrase_command = arg + 21;
		} else if (strcmp(arg, "--json") == 0) {
			a.json = 1;
		} else if (strcmp(arg, "--") == 0) {
			while (++i < argc && a.npos < 8)
				a.pos[a.npos++] = argv[i];
		} else if (arg[0] == '-' && arg[1] == '-') {
			fprintf(stderr, "vault: unknown option %s\n", arg);
			return usage(NULL);
		} else if (a.npos < 8) {
			a.pos[a.npos++] = arg;
		} else {
			return usage("too many arguments");
		}
	}
	if (a.db == NULL || a.db[0] == '\0')
		return usage("--db PATH is required");
	if (a.npos == 0)
		return usage("no command given");
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
		if (strcmp(a.pos[0], commands[c].name) != 0)
			continue;
		if (a.npos - 1 != commands[c].nargs) {
			fprintf(stderr, "vault: %s takes %d argument(s), got %d\n", commands[c].name, commands[c].nargs,
			        a.npos - 1);
			return usage(NULL);
		}
		if (a.comment != NULL && commands[c].run != add_key)
			return usage("--comment is for add-key");
		if (a.json && commands[c].run != list_keys)
			return usage("--json is for keys");
		if ((status = vault_passphrase_get(&passphrase, a.passphrase_file, a.passphrase_command)) < 0)
			return status == LADDER_EINVALID ? usage(vault_passphrase_errmsg())
			                                 : failed("%s", vault_passphrase_errmsg());
		status = commands[c].run(&a);
		vault_passphrase_free(passphrase); /* a command that failed before opening */
		passphrase = NULL;
		vault_plan_release();
		if (fflush(stdout) != 0)
			status = 1;
		return status;
	}
	fprintf(stderr, "vault: unknown command '%s'\n", a.pos[0]);
	return usage(NULL);
}
