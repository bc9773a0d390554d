/*
 * vault_db.c — vault_open (see vault_db.h) and the migration plan compiled
 * into both programs. user_version is the version store, so files written by
 * the original system open unchanged:
 *
 *   baseline (v2): the whole current schema, for empty files, in one step;
 *   v1: a C data migration: every OpenSSH private key re-encoded as PKCS#8
 *       DER, fingerprints recomputed as SHA256:base64, column renamed;
 *   v2: proxy_tokens.task renamed subject, the orphan counter table dropped.
 *
 * ladder runs all pending steps and the new user_version in one
 * transaction under its lock, so of many processes opening one old file at
 * once exactly one converts the keys and the others find nothing to do; a
 * current file costs one read of user_version and writes nothing.
 *
 * An encrypted vault (SQLCipher 4, as the original keeps it) gets its
 * passphrase with PRAGMA key before anything reads the file; the rest is
 * the same.
 */
#include "vault_db.h"

#include "sshkey.h"

#include <ladder.h>
#include <ladder/sqlite.h>
#include <ladder/sys/driver.h> /* ladder_wipe */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The v2 schema exactly as the original system declares it (same text, so
 * files created by either program have one shape in sqlite_schema). */
static const char schema_v2[] =
	"\n"
	"        CREATE TABLE IF NOT EXISTS credentials (\n"
	"            credential_set TEXT NOT NULL,\n"
	"            provider       TEXT NOT NULL,\n"
	"            data           TEXT NOT NULL,\n"
	"            PRIMARY KEY (credential_set, provider)\n"
	"        );\n"
	"        CREATE TABLE IF NOT EXISTS ssh_keys (\n"
	"            id           INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"            key_type     TEXT    NOT NULL CHECK (key_type IN ('ed25519','rsa')),\n"
	"            private_der  BLOB    NOT NULL,\n"
	"            public_blob  BLOB    NOT NULL,\n"
	"            comment      TEXT    NOT NULL DEFAULT '',\n"
	"            fingerprint  TEXT    NOT NULL UNIQUE,\n"
	"            created_at   TEXT    NOT NULL DEFAULT (datetime('now'))\n"
	"        );\n"
	"        CREATE TABLE IF NOT EXISTS ssh_key_assignments (\n"
	"            scope        TEXT    NOT NULL,\n"
	"            key_id       INTEGER NOT NULL REFERENCES ssh_keys(id) ON DELETE CASCADE,\n"
	"            assigned_at  TEXT    NOT NULL DEFAULT (datetime('now')),\n"
	"            PRIMARY KEY (scope, key_id)\n"
	"        );\n"
	"        CREATE TABLE IF NOT EXISTS proxy_tokens (\n"
	"            token          TEXT PRIMARY KEY,\n"
	"            scope          TEXT NOT NULL,\n"
	"            subject        TEXT NOT NULL,\n"
	"            credential_set TEXT NOT NULL,\n"
	"            provider       TEXT NOT NULL\n"
	"        );\n";

static char error_text[2048];

const char *vault_errmsg(void)
{
	return error_text;
}

/* --- v0 -> v1: OpenSSH private keys become PKCS#8 DER ------------------------- */

static int sql_failed(sqlite3 *db, const char *doing)
{
	return ladder_error_set(LADDER_EDB, "%s: %s", doing, sqlite3_errmsg(db));
}

/* One key: parse, check against its row, write DER and the new fingerprint.
 * The row's values are read before `next` is reset (they die with it). */
static int convert_key(sqlite3 *db, sqlite3_stmt *next, sqlite3_stmt *update, sqlite3_int64 *id)
{
	const unsigned char *pem = sqlite3_column_blob(next, 2);
	size_t pem_len = (size_t)sqlite3_column_bytes(next, 2);
	const unsigned char *stored_pub = sqlite3_column_blob(next, 3);
	size_t stored_pub_len = (size_t)sqlite3_column_bytes(next, 3);
	const unsigned char *column_type = sqlite3_column_text(next, 1);
	const unsigned char *stored_fp = sqlite3_column_text(next, 4);
	char fp[160], why[600];
	vault_key key;
	int error = 0;

	*id = sqlite3_column_int64(next, 0);
	snprintf(fp, sizeof(fp), "%.128s", stored_fp ? (const char *)stored_fp : "(none)");
	if (vault_key_from_openssh(&key, pem ? pem : (const unsigned char *)"", pem_len, why, sizeof(why)) < 0)
		return ladder_error_set(LADDER_EMIGRATION, "key %lld (fingerprint %s): %s", (long long)*id, fp, why);
	if (column_type == NULL || strcmp((const char *)column_type, key.type) != 0)
		error = ladder_error_set(LADDER_EMIGRATION, "key %lld (fingerprint %s): key_type says '%.16s' but the key is %s",
		                         (long long)*id, fp, column_type ? (const char *)column_type : "NULL", key.type);
	else if (stored_pub == NULL || stored_pub_len != key.pub_len || memcmp(stored_pub, key.pub, key.pub_len) != 0)
		error = ladder_error_set(LADDER_EMIGRATION,
		                         "key %lld (fingerprint %s): the private key does not match the stored public_blob",
		                         (long long)*id, fp);
	sqlite3_reset(next);
	if (error == 0) {
		sqlite3_bind_blob(update, 1, key.der, (int)key.der_len, SQLITE_STATIC);
		sqlite3_bind_text(update, 2, key.fingerprint, -1, SQLITE_STATIC);
		sqlite3_bind_int64(update, 3, *id);
		if (sqlite3_step(update) != SQLITE_DONE)
			error = sql_failed(db, "updating ssh_keys");
		sqlite3_reset(update);
		sqlite3_clear_bindings(update);
	}
	vault_key_clear(&key);
	return error;
}

/* 1 if table has column, 0 if not, negative on error. */
static int has_column(sqlite3 *db, const char *table, const char *column)
{
	sqlite3_stmt *stmt = NULL;
	int rc, found;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &stmt, NULL) != SQLITE_OK)
		return sql_failed(db, "reading the table layout");
	sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, column, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : sql_failed(db, "reading the table layout");
	sqlite3_finalize(stmt);
	return found;
}

static int up_keys_to_pkcs8(void *native, void *user)
{
	sqlite3 *db = native;
	sqlite3_stmt *next = NULL, *update = NULL;
	sqlite3_int64 id = 0;
	int first = 1, rc, error = 0;
	(void)user;

	/* The original created the current shape before it stamped the version,
	 * so a file it left unstamped (a crash, or its check-then-migrate race)
	 * may already hold DER keys: nothing to convert then. */
	if ((error = has_column(db, "ssh_keys", "private_pem")) <= 0)
		return error;

	/* Key by key in id order, one row in memory at a time. */
	if (sqlite3_prepare_v2(db,
	                       "SELECT id, key_type, private_pem, public_blob, fingerprint FROM ssh_keys "
	                       "WHERE ?1 IS NULL OR id > ?1 ORDER BY id LIMIT 1",
	                       -1, &next, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE ssh_keys SET private_pem = ?1, fingerprint = ?2 WHERE id = ?3", -1, &update,
	                       NULL) != SQLITE_OK) {
		error = sql_failed(db, "reading ssh_keys");
		goto done;
	}
	for (;;) {
		if (first)
			sqlite3_bind_null(next, 1);
		else
			sqlite3_bind_int64(next, 1, id);
		first = 0;
		rc = sqlite3_step(next);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			error = sql_failed(db, "reading ssh_keys");
			goto done;
		}
		if ((error = convert_key(db, next, update, &id)) < 0)
			goto done;
	}
	if (sqlite3_exec(db, "ALTER TABLE ssh_keys RENAME COLUMN private_pem TO private_der", NULL, NULL, NULL) !=
	    SQLITE_OK)
		error = sql_failed(db, "renaming ssh_keys.private_pem");
done:
	sqlite3_finalize(next);
	sqlite3_finalize(update);
	return error;
}

static int up_token_subject(void *native, void *user)
{
	sqlite3 *db = native;
	int found;
	(void)user;

	if ((found = has_column(db, "proxy_tokens", "task")) < 0)
		return found;
	if (found && sqlite3_exec(db, "ALTER TABLE proxy_tokens RENAME COLUMN task TO subject", NULL, NULL, NULL) != SQLITE_OK)
		return sql_failed(db, "renaming proxy_tokens.task");
	if (sqlite3_exec(db, "DROP TABLE IF EXISTS ssh_keys_version", NULL, NULL, NULL) != SQLITE_OK)
		return sql_failed(db, "dropping ssh_keys_version");
	return 0;
}

/* --- the plan -------------------------------------------------------------------- */

static const ladder_migration_def vault_steps[] = {
	{
		.version = 1,
		.name = "ssh_keys_pkcs8_der",
		.up_fn = up_keys_to_pkcs8,
		.revision = "1",
		.source = "examples/vault/vault_db.c",
	},
	{
		.version = 2,
		.name = "token_subject",
		.up_fn = up_token_subject,
		.revision = "1",
		.source = "examples/vault/vault_db.c",
	},
};

static const ladder_migration_def vault_baseline = {
	.version = 2,
	.name = "vault_schema",
	.up_sql = schema_v2,
	.source = "examples/vault/vault_db.c",
};

static const ladder_plan_def vault_plan_def = {vault_steps, sizeof(vault_steps) / sizeof(vault_steps[0]),
                                               &vault_baseline, 0};

static ladder_plan *vault_plan;

const ladder_plan *vault_plan_get(void)
{
	if (vault_plan == NULL && ladder_plan_from_def(&vault_plan, &vault_plan_def) < 0) {
		snprintf(error_text, sizeof(error_text), "the vault's migration plan: %s", ladder_error_last()->message);
		return NULL;
	}
	return vault_plan;
}

void vault_plan_release(void)
{
	ladder_plan_free(vault_plan);
	vault_plan = NULL;
}

/* --- the passphrase ---------------------------------------------------------------- */

/* PRAGMA key: SQLCipher answers one row, "ok"; a plain SQLite answers none
 * and would go on to read and write the file unencrypted. Returns 1 (keyed),
 * 0 (no SQLCipher in this build) or a negative code with error_text set.
 * The statement text holds the passphrase: it is wiped, and prepared with
 * sqlite3_prepare, which keeps no copy of it (sqlite3_prepare_v2 would). */
static int apply_key(sqlite3 *db, const char *path, const char *passphrase)
{
	sqlite3_stmt *stmt = NULL;
	char *sql = sqlite3_mprintf("PRAGMA key = %Q", passphrase);
	const unsigned char *answer;
	int rc, keyed = 0;

	if (sql == NULL) {
		snprintf(error_text, sizeof(error_text), "cannot open vault '%s': out of memory", path);
		return LADDER_ENOMEM;
	}
	rc = sqlite3_prepare(db, sql, -1, &stmt, NULL);
	ladder_wipe(sql, strlen(sql));
	sqlite3_free(sql);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && (answer = sqlite3_column_text(stmt, 0)) != NULL && strcmp((const char *)answer, "ok") == 0)
		keyed = 1;
	else if (rc != SQLITE_DONE) {
		snprintf(error_text, sizeof(error_text), "cannot open vault '%s': applying the passphrase: %s", path,
		         rc == SQLITE_ROW ? "an unexpected answer to PRAGMA key" : sqlite3_errmsg(db));
		keyed = LADDER_EDB;
	}
	sqlite3_finalize(stmt);
	return keyed;
}

static int built_without_sqlcipher(const char *path)
{
	snprintf(error_text, sizeof(error_text),
	         "cannot open vault '%s': this vault was built without SQLCipher: it cannot open an encrypted vault; "
	         "nothing was changed",
	         path);
	return LADDER_EUNSUPPORTED;
}

/* Asked before any file is made: a build without SQLCipher creates no
 * file for a passphrase it cannot use. SQLCipher's build lists HAS_CODEC
 * among its compile options; a plain SQLite does not. */
static int can_encrypt(const char *path)
{
	return sqlite3_compileoption_used("HAS_CODEC") ? 0 : built_without_sqlcipher(path);
}

/* The first read of the file answered SQLITE_NOTADB: SQLCipher could not
 * decrypt it with the passphrase, or it is encrypted and none was given
 * (or it is no database at all). Said in the vault's words; the file is
 * as it was, nothing having been read from it. */
static int key_refused(sqlite3 *db)
{
	return (sqlite3_extended_errcode(db) & 0xff) == SQLITE_NOTADB;
}

static int say_key_refused(const char *path, const char *passphrase)
{
	if (passphrase != NULL)
		snprintf(error_text, sizeof(error_text),
		         "cannot open vault '%s': the passphrase does not open it (a wrong passphrase, or a file that is "
		         "not an encrypted vault); nothing was changed",
		         path);
	else
		snprintf(error_text, sizeof(error_text),
		         "cannot open vault '%s': the file is encrypted, or not a database: a passphrase is needed "
		         "(--passphrase-file, --passphrase-command); nothing was changed",
		         path);
	return LADDER_EDB;
}

/* --- opening --------------------------------------------------------------------- */

static void on_progress(void *ctx, ladder_event event, ladder_direction dir, int64_t version, const char *name,
                        double seconds)
{
	vault_open_info *info = ctx;
	(void)version, (void)name, (void)seconds;
	if (event == LADDER_EVENT_DONE && dir == LADDER_BASELINE)
		info->baseline = 1;
}

/* New files are made here, owner-only, before SQLite sees the path: SQLite
 * would create them 0644, and its journal inherits the file's mode. */
static int make_file(const char *path, int create)
{
	struct stat st;
	int fd;

	if (!create) {
		if (stat(path, &st) == 0)
			return 0;
		snprintf(error_text, sizeof(error_text), "cannot open vault '%s': %s", path, strerror(errno));
		return LADDER_EIO;
	}
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == EEXIST) /* there already, or a racing opener just made it */
		return 0;
	snprintf(error_text, sizeof(error_text), "cannot create vault '%s': %s", path, strerror(errno));
	return LADDER_EIO;
}

#define BUSY_TIMEOUT_MS 5000

static int journal_is_wal(void *ctx, int ncols, char **cells, char **names)
{
	(void)names;
	*(int *)ctx = ncols == 1 && cells[0] != NULL && strcmp(cells[0], "wal") == 0;
	return 0;
}

/* WAL, as the original's openers set it: the agent's reads never wait for
 * a CLI write. The journal mode cannot change inside a transaction, so it
 * is set here, after the migration committed, once: asking costs no write,
 * and a file already in WAL is left alone. Another opener switching it at
 * the same instant is no failure: one of them does. */
static int use_wal(sqlite3 *db, const char *path)
{
	int wal = 0;
	int rc = sqlite3_exec(db, "PRAGMA journal_mode", journal_is_wal, &wal, NULL);

	if (rc == SQLITE_OK && !wal)
		rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", journal_is_wal, &wal, NULL);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return 0;
	if (rc != SQLITE_OK) {
		snprintf(error_text, sizeof(error_text), "cannot open vault '%s': setting WAL mode: %s", path,
		         sqlite3_errmsg(db));
		return LADDER_EDB;
	}
	return 0;
}

int vault_open(sqlite3 **out, const char *path, int create, const char *passphrase, vault_open_info *info)
{
	ladder_open_options open_opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_run_options run_opts = LADDER_RUN_OPTIONS_INIT;
	vault_open_info local;
	ladder_result result = {0, 0, 0, 0};
	ladder_db *ldb = NULL;
	sqlite3 *db = NULL;
	int rc, error;

	*out = NULL;
	error_text[0] = '\0';
	if (info == NULL)
		info = &local;
	memset(info, 0, sizeof(*info));
	if (vault_plan_get() == NULL)
		return ladder_error_last()->code;
	if (passphrase != NULL && passphrase[0] == '\0') {
		snprintf(error_text, sizeof(error_text), "cannot open vault '%s': the passphrase is empty", path);
		return LADDER_EINVALID;
	}
	if (passphrase != NULL && (error = can_encrypt(path)) < 0)
		return error;
	if ((error = make_file(path, create)) < 0)
		return error;
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0), NULL);
	if (rc != SQLITE_OK) {
		snprintf(error_text, sizeof(error_text), "cannot open vault '%s': %s", path,
		         db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		error = LADDER_EIO;
		goto done;
	}
	/* The key before anything reads the file (ladder's first read is
	 * user_version); a new file is then written encrypted. */
	if (passphrase != NULL && (error = apply_key(db, path, passphrase)) <= 0) {
		if (error == 0)
			error = built_without_sqlcipher(path);
		goto done;
	}
	/* The version store is PRAGMA user_version, as the original used. */
	open_opts.store = "user_version";
	run_opts.progress = on_progress;
	run_opts.progress_ctx = info;
	if ((error = ladder_sqlite_wrap(&ldb, db, &open_opts)) < 0 ||
	    (error = ladder_migrate(&result, ldb, vault_plan, &run_opts)) < 0) {
		if (error == LADDER_EDB && key_refused(db))
			say_key_refused(path, passphrase);
		/* ladder's own advice (--allow-newer) is not the vault's to give. */
		else if (error == LADDER_ENEWER)
			snprintf(error_text, sizeof(error_text),
			         "vault '%s' is at schema version %" PRId64 ", newer than this program understands (%d): "
			         "upgrade the vault programs; the file was not changed",
			         path, result.from_version, VAULT_SCHEMA_VERSION);
		else
			snprintf(error_text, sizeof(error_text), "cannot open vault '%s': %s", path,
			         ladder_error_last()->message);
		goto done;
	}
	info->from_version = result.from_version;
	info->to_version = result.to_version;
	info->applied = result.applied;
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	if ((error = use_wal(db, path)) < 0)
		goto done;
	if (sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(error_text, sizeof(error_text), "cannot open vault '%s': %s", path, sqlite3_errmsg(db));
		error = LADDER_EDB;
		goto done;
	}
	*out = db;
	db = NULL;
done:
	ladder_db_close(ldb); /* leaves the wrapped handle open */
	sqlite3_close(db);
	return error;
}

void vault_report_open(const char *prog, const char *path, const vault_open_info *info)
{
	if (info->applied == 0)
		return;
	if (info->baseline)
		fprintf(stderr, "%s: created vault '%s' at schema version %" PRId64 "\n", prog, path, info->to_version);
	else
		fprintf(stderr, "%s: upgraded vault '%s' from schema version %" PRId64 " to %" PRId64 "\n", prog, path,
		        info->from_version, info->to_version);
}
