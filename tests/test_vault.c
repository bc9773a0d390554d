/*
 * test_vault.c — the credential vault example (examples/vault, seed system
 * 1) driven through its two programs on real files, with keys made by
 * ssh-keygen: empty and missing files (the agent first), legacy v0 and v1
 * files upgraded in place, a current file opened without a write and while
 * another connection holds a write transaction, a newer file refused, a
 * corrupt key refused by name, and 32 writers and agents opening one v0
 * file at once. Every converted key is checked with OpenSSL against what
 * ssh-keygen says about the original. When the build carries SQLCipher, the
 * same for encrypted vaults (SQLCipher 4, the original's format): new and v0
 * files, a current one opened without a write, a wrong or missing
 * passphrase refused with the file untouched, 32 openers of one encrypted v0
 * file, and the passphrase options and variables of both programs — the
 * passphrase never appearing in any output.
 */
#define _GNU_SOURCE
#include "testutil.h"
#include "vault_db.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VAULT LADDER_BIN_DIR "/vault"
#define AGENT LADDER_BIN_DIR "/vault-agent"
#define PROCESSES 32

/* The v2 schema as the seed declares it; a fresh vault file must hold
 * exactly this, and so must every upgraded one. */
#define SCHEMA_V2                                                                     \
	"\n"                                                                              \
	"        CREATE TABLE IF NOT EXISTS credentials (\n"                                \
	"            credential_set TEXT NOT NULL,\n"                                       \
	"            provider       TEXT NOT NULL,\n"                                       \
	"            data           TEXT NOT NULL,\n"                                       \
	"            PRIMARY KEY (credential_set, provider)\n"                              \
	"        );\n"                                                                      \
	"        CREATE TABLE IF NOT EXISTS ssh_keys (\n"                                   \
	"            id           INTEGER PRIMARY KEY AUTOINCREMENT,\n"                     \
	"            key_type     TEXT    NOT NULL CHECK (key_type IN ('ed25519','rsa')),\n" \
	"            " PRIVATE_COL "  BLOB    NOT NULL,\n"                                   \
	"            public_blob  BLOB    NOT NULL,\n"                                      \
	"            comment      TEXT    NOT NULL DEFAULT '',\n"                           \
	"            fingerprint  TEXT    NOT NULL UNIQUE,\n"                               \
	"            created_at   TEXT    NOT NULL DEFAULT (datetime('now'))\n"             \
	"        );\n"                                                                      \
	"        CREATE TABLE IF NOT EXISTS ssh_key_assignments (\n"                        \
	"            scope        TEXT    NOT NULL,\n"                                      \
	"            key_id       INTEGER NOT NULL REFERENCES ssh_keys(id) ON DELETE CASCADE,\n" \
	"            assigned_at  TEXT    NOT NULL DEFAULT (datetime('now')),\n"            \
	"            PRIMARY KEY (scope, key_id)\n"                                         \
	"        );\n"                                                                      \
	"        CREATE TABLE IF NOT EXISTS proxy_tokens (\n"                               \
	"            token          TEXT PRIMARY KEY,\n"                                    \
	"            scope          TEXT NOT NULL,\n"                                       \
	"            " SUBJECT_COL "        TEXT NOT NULL,\n"                                \
	"            credential_set TEXT NOT NULL,\n"                                       \
	"            provider       TEXT NOT NULL\n"                                        \
	"        );\n"

/* Older files: the same declarations under the old column names (the
 * renames leave every other byte of the stored SQL as it was), plus the
 * one-row change counter v2 drops. */
#define KEY_VERSION_TABLE                                                   \
	"        CREATE TABLE IF NOT EXISTS ssh_keys_version (\n"                  \
	"            id      INTEGER PRIMARY KEY CHECK (id = 0),\n"              \
	"            version INTEGER NOT NULL\n"                                   \
	"        );\n"                                                             \
	"        INSERT INTO ssh_keys_version (id, version) VALUES (0, 7);\n"

#define PRIVATE_COL "private_pem"
#define SUBJECT_COL "task"
static const char schema_v0[] = SCHEMA_V2 KEY_VERSION_TABLE;
#undef PRIVATE_COL
#define PRIVATE_COL "private_der"
static const char schema_v1[] = SCHEMA_V2 KEY_VERSION_TABLE;
#undef SUBJECT_COL
#define SUBJECT_COL "subject"
static const char schema_v2[] = SCHEMA_V2;

#define SCHEMA_SQL "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name"

/* --- running programs ------------------------------------------------------------ */

/* Passphrases in use: no program may print one, on either stream. */
static const char *secrets[4];

static void assert_no_secret(const char *what, const char *text)
{
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (secrets[i] != NULL && strstr(text, secrets[i]) != NULL)
			fail_msg("%s shows the passphrase '%s':\n%s", what, secrets[i], text);
}

typedef struct proc {
	int status; /* exit code, or 128 + signal */
	char *out;
	char *err;
} proc;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (f == NULL)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static const char *scratch(void)
{
	static const char *dir;
	if (dir == NULL)
		dir = tu_keep(tu_tmpdir());
	return dir;
}

static void exec_with(const char *in, const char *out, const char *err, const char *const argv[])
{
	int fd0 = open(in, O_RDONLY), fd1 = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600),
	    fd2 = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd0 < 0 || fd1 < 0 || fd2 < 0 || dup2(fd0, 0) < 0 || dup2(fd1, 1) < 0 || dup2(fd2, 2) < 0)
		_exit(126);
	execvp(argv[0], (char *const *)argv);
	_exit(127);
}

static int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Run argv with `input` on standard input; collect exit code and output. */
static proc run(const char *input, const char *const argv[])
{
	static int counter;
	char in[512], out[512], err[512];
	proc p;
	pid_t pid;
	int status = 0;

	counter++;
	snprintf(in, sizeof(in), "%s/run%d.in", scratch(), counter);
	snprintf(out, sizeof(out), "%s/run%d.out", scratch(), counter);
	snprintf(err, sizeof(err), "%s/run%d.err", scratch(), counter);
	tu_write_bytes(in, input ? input : "", input ? strlen(input) : 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		exec_with(in, out, err, argv);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	p.status = exit_code(status);
	p.out = slurp(out, NULL);
	p.err = slurp(err, NULL);
	assert_non_null(p.out);
	assert_non_null(p.err);
	/* Under LADDER_SANITIZE a leak or UB in the programs fails here, even on
	 * paths that exit 1 anyway. */
	if (strstr(p.err, "Sanitizer") != NULL || strstr(p.err, "runtime error:") != NULL)
		fail_msg("%s: sanitizer report:\n%s", argv[0], p.err);
	assert_no_secret("standard output", p.out);
	assert_no_secret("standard error", p.err);
	return p;
}

#define RUN(input, ...) run(input, (const char *const[]){__VA_ARGS__, NULL})

static void proc_free(proc *p)
{
	free(p->out);
	free(p->err);
}

/* Run and expect exit code `code`, printing the output otherwise. */
static proc expect(int code, proc p)
{
	if (p.status != code)
		fail_msg("exit %d, expected %d\nstdout: %s\nstderr: %s", p.status, code, p.out, p.err);
	return p;
}

static void assert_contains(const char *text, const char *needle)
{
	if (strstr(text, needle) == NULL)
		fail_msg("expected \"%s\" in:\n%s", needle, text);
}

static int count_lines(const char *text)
{
	int n = 0;
	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* --- keys made by ssh-keygen ----------------------------------------------------------- */

typedef struct testkey {
	const char *type;      /* "ed25519" or "rsa" */
	char path[512];
	char *text;            /* the OpenSSH private key file */
	size_t text_len;
	unsigned char pub[1024]; /* public blob from the .pub file */
	size_t pub_len;
	char hexfp[65];        /* v0 fingerprint: lowercase hex SHA-256 of pub */
	char fp[128];          /* what ssh-keygen -lf prints */
	char line[1024];       /* "TYPE BASE64" as ssh-keygen -y prints */
} testkey;

/* The first `fields` space-separated fields of the first line of s. */
static void fields_of(char *dst, size_t size, const char *s, int fields)
{
	size_t n = 0;
	int seen = 0;
	while (s[n] && s[n] != '\n') {
		if (s[n] == ' ' && ++seen == fields)
			break;
		n++;
	}
	assert_true(n < size);
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static size_t b64_decode(unsigned char *out, size_t size, const char *in)
{
	size_t len = strlen(in), pad = 0;
	int n;
	assert_true(len / 4 * 3 <= size);
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	assert_true(n >= 0);
	while (len > 0 && in[len - 1] == '=')
		len--, pad++;
	return (size_t)n - pad;
}

static char *b64_encode(const unsigned char *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	assert_non_null(out);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

static void sha256_hex(char hex[65], const unsigned char *data, size_t len)
{
	unsigned char md[32];
	unsigned int n = 0;
	assert_int_equal(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
	for (unsigned int i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

static void make_key(testkey *k, const char *type, const char *comment)
{
	static int counter;
	char b64[1024], *pub_text;
	proc p;

	memset(k, 0, sizeof(*k));
	k->type = type;
	snprintf(k->path, sizeof(k->path), "%s/key%d_%s", scratch(), ++counter, type);
	if (strcmp(type, "rsa") == 0)
		p = expect(0, RUN(NULL, "ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", comment, "-f", k->path));
	else
		p = expect(0, RUN(NULL, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", k->path));
	proc_free(&p);
	k->text = slurp(k->path, &k->text_len);
	assert_non_null(k->text);
	pub_text = slurp(tu_fmt("%s.pub", k->path), NULL);
	assert_non_null(pub_text);
	fields_of(b64, sizeof(b64), strchr(pub_text, ' ') + 1, 1);
	free(pub_text);
	k->pub_len = b64_decode(k->pub, sizeof(k->pub), b64);
	sha256_hex(k->hexfp, k->pub, k->pub_len);
	p = expect(0, RUN(NULL, "ssh-keygen", "-l", "-f", k->path));
	fields_of(k->fp, sizeof(k->fp), strchr(p.out, ' ') + 1, 1);
	proc_free(&p);
	p = expect(0, RUN(NULL, "ssh-keygen", "-y", "-f", k->path));
	fields_of(k->line, sizeof(k->line), p.out, 2);
	proc_free(&p);
	assert_int_equal(strncmp(k->fp, "SHA256:", 7), 0);
}

static void free_key(testkey *k)
{
	free(k->text);
	k->text = NULL;
}

/* "ssh-ed25519 AAAA..." for a key OpenSSL loaded: built here from the key's
 * own numbers, not by the vault's code. */
static void put_ssh_string(unsigned char *buf, size_t *n, const unsigned char *data, size_t len)
{
	buf[(*n)++] = (unsigned char)(len >> 24);
	buf[(*n)++] = (unsigned char)(len >> 16);
	buf[(*n)++] = (unsigned char)(len >> 8);
	buf[(*n)++] = (unsigned char)len;
	memcpy(buf + *n, data, len);
	*n += len;
}

static void put_mpint(unsigned char *buf, size_t *n, const BIGNUM *bn)
{
	unsigned char tmp[1100];
	int len = BN_bn2bin(bn, tmp + 1);
	tmp[0] = 0;
	assert_true(len > 0 && len < 1090);
	if (tmp[1] & 0x80)
		put_ssh_string(buf, n, tmp, (size_t)len + 1);
	else
		put_ssh_string(buf, n, tmp + 1, (size_t)len);
}

static void openssl_public_line(char *out, size_t size, EVP_PKEY *pkey)
{
	unsigned char blob[1200];
	size_t n = 0;
	const char *name;
	char *b64;

	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		unsigned char raw[32];
		size_t raw_len = sizeof(raw);
		name = "ssh-ed25519";
		assert_int_equal(EVP_PKEY_get_raw_public_key(pkey, raw, &raw_len), 1);
		put_ssh_string(blob, &n, (const unsigned char *)name, strlen(name));
		put_ssh_string(blob, &n, raw, raw_len);
	} else {
		BIGNUM *bn_n = NULL, *bn_e = NULL;
		assert_true(EVP_PKEY_is_a(pkey, "RSA"));
		name = "ssh-rsa";
		assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &bn_n), 1);
		assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &bn_e), 1);
		put_ssh_string(blob, &n, (const unsigned char *)name, strlen(name));
		put_mpint(blob, &n, bn_e);
		put_mpint(blob, &n, bn_n);
		BN_free(bn_n);
		BN_free(bn_e);
	}
	b64 = b64_encode(blob, n);
	snprintf(out, size, "%s %s", name, b64);
	free(b64);
}

/* The PKCS#8 DER of an RSA key as ssh-keygen -m PKCS8 exports it. */
static unsigned char *pkcs8_der_of(const testkey *k, int *len)
{
	char copy[600];
	unsigned char *der = NULL;
	EVP_PKEY *pkey;
	FILE *f;
	proc p;

	snprintf(copy, sizeof(copy), "%s.pkcs8", k->path);
	tu_write_bytes(copy, k->text, k->text_len);
	assert_int_equal(chmod(copy, 0600), 0); /* ssh-keygen will not touch a readable key */
	p = expect(0, RUN(NULL, "ssh-keygen", "-q", "-p", "-m", "PKCS8", "-P", "", "-N", "", "-f", copy));
	proc_free(&p);
	assert_non_null(f = fopen(copy, "r"));
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(pkey);
	{
		PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pkey);
		assert_non_null(p8);
		*len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
		PKCS8_PRIV_KEY_INFO_free(p8);
	}
	EVP_PKEY_free(pkey);
	assert_true(*len > 0);
	return der;
}

/* --- encrypted files ------------------------------------------------------------------- */

/* Whether this build carries SQLCipher: it answers PRAGMA key with "ok", a
 * plain SQLite with no row. */
static int have_sqlcipher(void)
{
	static int known = -1;
	if (known < 0) {
		sqlite3 *db = NULL;
		tu_buf rows = {0};
		assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
		tu_sqlite_rows(db, "PRAGMA key = 'probe'", &rows);
		known = rows.buf != NULL && strcmp(rows.buf, "ok\n") == 0;
		free(rows.buf);
		sqlite3_close(db);
	}
	return known;
}

/* The passphrases of the encrypted-vault tests: a quote inside, to be
 * quoted right in PRAGMA key. */
#define PASSPHRASE "correct horse 'battery' staple"
#define WRONG_PASSPHRASE "a wrong 'passphrase' entirely"

/* A connection to path, keyed with passphrase first when there is one. */
static sqlite3 *keyed_sqlite(const char *path, const char *passphrase)
{
	sqlite3 *db = tu_sqlite(path);
	if (passphrase != NULL) {
		char *sql = sqlite3_mprintf("PRAGMA key = %Q", passphrase);
		tu_buf rows = {0};
		tu_sqlite_rows(db, sql, &rows);
		assert_non_null(rows.buf);
		assert_string_equal(rows.buf, "ok\n");
		free(rows.buf);
		sqlite3_free(sql);
	}
	return db;
}

/* As tu_text and tu_int, through keyed_sqlite. */
static char *keyed_text(const char *path, const char *passphrase, const char *sql)
{
	sqlite3 *db = keyed_sqlite(path, passphrase);
	tu_buf rows = {0};
	tu_sqlite_rows(db, sql, &rows);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	if (rows.buf == NULL)
		tu_buf_add(&rows, "");
	return rows.buf;
}

static long long keyed_int(const char *path, const char *passphrase, const char *sql)
{
	char *text = keyed_text(path, passphrase, sql);
	long long n = text[0] ? strtoll(text, NULL, 10) : -1;
	free(text);
	return n;
}

static void assert_keyed_text(const char *path, const char *passphrase, const char *sql, const char *expected)
{
	tu_assert_text_is(sql, keyed_text(path, passphrase, sql), expected);
}

/* The file's first 16 bytes are not SQLite's header: SQLCipher 4 puts the
 * key derivation's random salt there, and nothing of the file is plain. */
static void assert_encrypted(const char *path)
{
	unsigned char head[16];
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(head, 1, sizeof(head), f), sizeof(head));
	fclose(f);
	assert_memory_not_equal(head, "SQLite format 3", 16);
}

/* A passphrase file holding text (written as given: newline or not). */
static const char *passphrase_file(const char *name, const char *text)
{
	const char *path = tu_keep(tu_fmt("%s/%s", scratch(), name));
	tu_write_bytes(path, text, strlen(text));
	return path;
}

/* --- building legacy files ------------------------------------------------------------- */

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *message = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
		fail_msg("%s: %s", sql, message);
}

/* One key row: v0 stores the OpenSSH text and a hex fingerprint, v1 the
 * PKCS#8 DER (as ssh-keygen exports it) and ssh-keygen's fingerprint. */
static void insert_key(sqlite3 *db, int version, const testkey *k, const char *comment, const char *created_at)
{
	sqlite3_stmt *stmt = NULL;
	unsigned char *der = NULL;
	int der_len = 0;

	assert_int_equal(sqlite3_prepare_v2(db,
	                                    version == 0
	                                        ? "INSERT INTO ssh_keys (key_type, private_pem, public_blob, comment, "
	                                          "fingerprint, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	                                        : "INSERT INTO ssh_keys (key_type, private_der, public_blob, comment, "
	                                          "fingerprint, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	                                    -1, &stmt, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(stmt, 1, k->type, -1, SQLITE_STATIC);
	if (version == 0) {
		sqlite3_bind_blob(stmt, 2, k->text, (int)k->text_len, SQLITE_STATIC);
	} else {
		der = pkcs8_der_of(k, &der_len);
		sqlite3_bind_blob(stmt, 2, der, der_len, SQLITE_STATIC);
	}
	sqlite3_bind_blob(stmt, 3, k->pub, (int)k->pub_len, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, comment, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, version == 0 ? k->hexfp : k->fp, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, created_at, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
	sqlite3_finalize(stmt);
	OPENSSL_free(der);
}

/* A legacy file (version 0 or 1) holding keys[0..n) as ids 1..n, scope-a
 * with keys 1 and 2, scope-b with key 3 (if any), two tokens and a
 * credential; encrypted with passphrase unless it is NULL. */
static const char *legacy_file_keyed(int version, const testkey *keys, int n, const char *passphrase)
{
	const char *path = tu_keep(tu_fmt("%s/legacy%d-%d.db", scratch(), version, rand()));
	sqlite3 *db = keyed_sqlite(path, passphrase);

	exec_sql(db, "BEGIN");
	exec_sql(db, version == 0 ? schema_v0 : schema_v1);
	for (int i = 0; i < n; i++)
		insert_key(db, version, &keys[i], tu_fmt("comment %d", i + 1), tu_fmt("2024-01-0%d 10:00:00", i + 1));
	exec_sql(db, "INSERT INTO ssh_key_assignments (scope, key_id, assigned_at) VALUES "
	             "('scope-a', 1, '2024-02-01 09:00:00'), ('scope-a', 2, '2024-02-01 09:00:01')");
	if (n >= 3)
		exec_sql(db, "INSERT INTO ssh_key_assignments (scope, key_id, assigned_at) VALUES "
		             "('scope-b', 3, '2024-02-02 09:00:00')");
	exec_sql(db, "INSERT INTO credentials VALUES ('set1', 'github', '{\"token\":\"gho_legacy\",\"user\":\"ci\"}')");
	exec_sql(db, "INSERT INTO proxy_tokens VALUES ('tok-1', 'scope-a', 'build-42', 'set1', 'github'), "
	             "('tok-2', 'scope-b', 'deploy', 'set1', 'missing')");
	if (version > 0)
		exec_sql(db, tu_fmt("PRAGMA user_version = %d", version));
	exec_sql(db, "COMMIT");
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(keyed_int(path, passphrase, "PRAGMA user_version"), version);
	return path;
}

static const char *legacy_file(int version, const testkey *keys, int n)
{
	return legacy_file_keyed(version, keys, n, NULL);
}

/* The schema a brand-new vault file gets. */
static char *fresh_schema(void)
{
	const char *path = tu_fmt("%s/fresh-%d.db", scratch(), rand());
	proc p = expect(0, RUN(NULL, VAULT, "--db", path, "keys", "nobody"));
	proc_free(&p);
	return tu_text(path, SCHEMA_SQL);
}

/* Key `id` of an upgraded file is k: PKCS#8 DER that OpenSSL loads as the
 * same key ssh-keygen -y derives, the fingerprint ssh-keygen -l prints, the
 * public blob unchanged. */
static void assert_converted_keyed(const char *path, const char *passphrase, int id, const testkey *k)
{
	sqlite3 *db = keyed_sqlite(path, passphrase);
	sqlite3_stmt *stmt = NULL;
	const unsigned char *der, *p;
	PKCS8_PRIV_KEY_INFO *p8;
	EVP_PKEY *pkey;
	char line[1024];
	long len;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT private_der, fingerprint, public_blob, key_type FROM ssh_keys "
	                                        "WHERE id = ?1",
	                                    -1, &stmt, NULL),
	                 SQLITE_OK);
	sqlite3_bind_int(stmt, 1, id);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	der = sqlite3_column_blob(stmt, 0);
	len = sqlite3_column_bytes(stmt, 0);
	p = der;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len); /* PKCS#8, not PKCS#1 */
	assert_non_null(p8);
	assert_true(p == der + len);
	PKCS8_PRIV_KEY_INFO_free(p8);
	p = der;
	pkey = d2i_AutoPrivateKey(NULL, &p, len);
	if (pkey == NULL)
		fail_msg("key %d: OpenSSL cannot load private_der", id);
	openssl_public_line(line, sizeof(line), pkey);
	EVP_PKEY_free(pkey);
	assert_string_equal(line, k->line);
	assert_string_equal((const char *)sqlite3_column_text(stmt, 1), k->fp);
	assert_int_equal(sqlite3_column_bytes(stmt, 2), (int)k->pub_len);
	assert_memory_equal(sqlite3_column_blob(stmt, 2), k->pub, k->pub_len);
	assert_string_equal((const char *)sqlite3_column_text(stmt, 3), k->type);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

static void assert_converted(const char *path, int id, const testkey *k)
{
	assert_converted_keyed(path, NULL, id, k);
}

static void assert_schema_is_fresh_keyed(const char *path, const char *passphrase)
{
	char *fresh = fresh_schema();
	char *got = keyed_text(path, passphrase, SCHEMA_SQL);
	assert_string_equal(got, fresh);
	free(fresh);
	free(got);
	assert_int_equal(keyed_int(path, passphrase, "PRAGMA user_version"), 2);
}

static void assert_schema_is_fresh(const char *path)
{
	assert_schema_is_fresh_keyed(path, NULL);
}

/* --- tests ----------------------------------------------------------------------------- */

static void agent_first_on_missing_and_empty_files(void **state)
{
	const char *missing = tu_keep(tu_fmt("%s/missing.db", scratch()));
	const char *empty = tu_keep(tu_fmt("%s/empty.db", scratch()));
	int to_agent[2], from_agent[2];
	char buf[256];
	FILE *in, *out;
	struct stat st;
	pid_t pid;
	int status;
	proc p;
	(void)state;

	/* The agent starts first, on no file at all, and is driven line by
	 * line: each answer arrives before the next question is asked. */
	umask(022);
	assert_int_equal(pipe(to_agent), 0);
	assert_int_equal(pipe(from_agent), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(to_agent[0], 0);
		dup2(from_agent[1], 1);
		close(to_agent[1]);
		close(from_agent[0]);
		execl(AGENT, AGENT, "--db", missing, (char *)NULL);
		_exit(127);
	}
	close(to_agent[0]);
	close(from_agent[1]);
	in = fdopen(to_agent[1], "w");
	out = fdopen(from_agent[0], "r");
	fputs("token no-such-token\n", in);
	fflush(in);
	assert_non_null(fgets(buf, sizeof(buf), out));
	assert_string_equal(buf, "{\"found\":false}\n");
	fputs("keys no-such-scope\n", in);
	fflush(in);
	assert_non_null(fgets(buf, sizeof(buf), out));
	assert_string_equal(buf, "{\"found\":false}\n");
	fclose(in);
	assert_null(fgets(buf, sizeof(buf), out));
	fclose(out);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(exit_code(status), 0);

	/* At v2 in one step (the baseline), owner-only. */
	assert_int_equal(tu_int(missing, "PRAGMA user_version"), 2);
	assert_int_equal(stat(missing, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(tu_int(missing, "SELECT count(*) FROM sqlite_schema WHERE name = 'ladder_history'"), 0);
	tu_assert_text(missing, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
	               "credentials\nproxy_tokens\nsqlite_sequence\nssh_key_assignments\nssh_keys\n");

	/* An existing empty (0-byte) file: the same, and the agent says so. */
	tu_write_bytes(empty, "", 0);
	p = expect(0, RUN("keys x\ntoken y\n", AGENT, "--db", empty));
	assert_string_equal(p.out, "{\"found\":false}\n{\"found\":false}\n");
	assert_contains(p.err, "created vault");
	assert_contains(p.err, "at schema version 2");
	proc_free(&p);
	{
		char *want = tu_text(missing, SCHEMA_SQL);
		tu_assert_text(empty, SCHEMA_SQL, want);
		free(want);
	}

	/* The baseline is the seed's schema, byte for byte. */
	{
		const char *seed = tu_fmt("%s/seed.db", scratch());
		sqlite3 *db = tu_sqlite(seed);
		char *want;
		exec_sql(db, schema_v2);
		sqlite3_close(db);
		want = tu_text(seed, SCHEMA_SQL);
		tu_assert_text(missing, SCHEMA_SQL, want);
		free(want);
	}
}

static void programs_work_and_refuse_bad_input(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/cli.db", scratch()));
	const char *nokey = tu_keep(tu_fmt("%s/nokey.db", scratch()));
	testkey ed, rsa, locked;
	struct stat st;
	char *token;
	proc p;
	(void)state;

	make_key(&ed, "ed25519", "ed@host");
	make_key(&rsa, "rsa", "rsa@host");

	p = expect(0, RUN(NULL, VAULT, "--db", path, "add-key", "web", ed.path));
	assert_string_equal(p.out, tu_fmt("%s\n", ed.fp));
	assert_contains(p.err, "created vault");
	proc_free(&p);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	p = expect(0, RUN(NULL, VAULT, "--db", path, "add-key", "web", rsa.path, "--comment", "deploy key"));
	assert_string_equal(p.out, tu_fmt("%s\n", rsa.fp));
	assert_string_equal(p.err, "");
	proc_free(&p);
	/* The same key for another scope is assigned, not stored twice. */
	p = expect(0, RUN(NULL, VAULT, "--db", path, "add-key", "db", ed.path));
	proc_free(&p);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM ssh_keys"), 2);
	assert_converted(path, 1, &ed);
	assert_converted(path, 2, &rsa);

	p = expect(0, RUN(NULL, VAULT, "--db", path, "keys", "web"));
	assert_string_equal(p.out, tu_fmt("%s ed25519 ed@host\n%s rsa deploy key\n", ed.fp, rsa.fp));
	proc_free(&p);
	p = expect(0, RUN(NULL, VAULT, "--db", path, "keys", "db", "--json"));
	assert_string_equal(p.out, tu_fmt("[{\"id\":1,\"key_type\":\"ed25519\",\"fingerprint\":\"%s\",\"comment\":"
	                                  "\"ed@host\",\"public_key\":\"%s\"}]\n",
	                                  ed.fp, ed.line));
	proc_free(&p);

	p = expect(0, RUN(NULL, VAULT, "--db", path, "set-credential", "team", "gitlab", "{\"token\": \"glpat-\\\"x\"}"));
	proc_free(&p);
	p = expect(1, RUN(NULL, VAULT, "--db", path, "set-credential", "team", "gitlab", "{\"token\": }"));
	assert_contains(p.err, "must be a JSON object");
	proc_free(&p);
	p = expect(0, RUN(NULL, VAULT, "--db", path, "issue-token", "web", "job 7", "team", "gitlab"));
	assert_int_equal(strlen(p.out), 44); /* 32 random bytes, base64url, newline */
	token = strndup(p.out, 43);
	proc_free(&p);
	p = expect(0, RUN(tu_fmt("token %s\nkeys web\n", token), AGENT, "--db", path));
	assert_string_equal(p.out,
	                    tu_fmt("{\"found\":true,\"scope\":\"web\",\"subject\":\"job 7\",\"credential_set\":\"team\","
	                           "\"provider\":\"gitlab\",\"credentials\":{\"token\": \"glpat-\\\"x\"}}\n"
	                           "{\"found\":true,\"scope\":\"web\",\"keys\":[{\"id\":1,\"key_type\":\"ed25519\","
	                           "\"fingerprint\":\"%s\",\"comment\":\"ed@host\",\"public_key\":\"%s\"},{\"id\":2,"
	                           "\"key_type\":\"rsa\",\"fingerprint\":\"%s\",\"comment\":\"deploy key\","
	                           "\"public_key\":\"%s\"}]}\n",
	                           ed.fp, ed.line, rsa.fp, rsa.line));
	proc_free(&p);
	p = expect(0, RUN(NULL, VAULT, "--db", path, "revoke-token", token));
	proc_free(&p);
	p = expect(1, RUN(NULL, VAULT, "--db", path, "revoke-token", token));
	assert_contains(p.err, "no such token");
	proc_free(&p);
	p = expect(0, RUN(tu_fmt("token %s\nwhat\n", token), AGENT, "--db", path));
	assert_string_equal(p.out, "{\"found\":false}\n{\"error\":\"unknown request: expected 'token TOKEN' or "
	                           "'keys SCOPE'\"}\n");
	proc_free(&p);
	free(token);

	/* Usage errors exit 2; keys that cannot be read exit 1, creating nothing. */
	p = expect(2, RUN(NULL, VAULT, "keys", "web"));
	proc_free(&p);
	p = expect(2, RUN(NULL, VAULT, "--db", path, "frobnicate"));
	proc_free(&p);
	p = expect(2, RUN(NULL, VAULT, "--db", path, "keys"));
	proc_free(&p);
	p = expect(2, RUN(NULL, AGENT));
	proc_free(&p);
	p = expect(1, RUN(NULL, VAULT, "--db", nokey, "add-key", "web", tu_fmt("%s.pub", ed.path)));
	assert_contains(p.err, "not an OpenSSH private key");
	proc_free(&p);
	memset(&locked, 0, sizeof(locked));
	snprintf(locked.path, sizeof(locked.path), "%s/locked_key", scratch());
	p = expect(0, RUN(NULL, "ssh-keygen", "-q", "-t", "ed25519", "-N", "a passphrase", "-f", locked.path));
	proc_free(&p);
	p = expect(1, RUN(NULL, VAULT, "--db", nokey, "add-key", "web", locked.path));
	assert_contains(p.err, "is encrypted");
	proc_free(&p);
	assert_int_equal(access(nokey, F_OK), -1);
	free_key(&ed);
	free_key(&rsa);
}

/* ladder verify on the vault's own plan: its baseline (the seed's v2
 * schema) equals v0 -> v1 -> v2 walked on a v0 file holding keys, tokens
 * and assignments. The v0 file is handed to verify as its SQL dump. */
static void baseline_equals_the_steps_on_a_v0_file_with_data(void **state)
{
	testkey keys[2];
	ladder_verify_options opts = LADDER_VERIFY_OPTIONS_INIT;
	ladder_verify_report *report = NULL;
	const char *path;
	FILE *dump;
	char *seed = NULL;
	size_t seed_len = 0;
	char chunk[4096];
	size_t n;
	(void)state;

	make_key(&keys[0], "ed25519", "alice@laptop");
	make_key(&keys[1], "rsa", "deploy@ci");
	path = legacy_file(0, keys, 2);
	dump = popen(tu_fmt("sqlite3 '%s' .dump", path), "r");
	assert_non_null(dump);
	while ((n = fread(chunk, 1, sizeof(chunk), dump)) > 0) {
		seed = realloc(seed, seed_len + n + 1);
		assert_non_null(seed);
		memcpy(seed + seed_len, chunk, n);
		seed_len += n;
	}
	assert_int_equal(pclose(dump), 0);
	assert_non_null(seed);
	seed[seed_len] = '\0';
	assert_non_null(strstr(seed, "private_pem"));

	opts.seed_sql = seed;
	opts.seed_source = "v0 dump";
	opts.store = "user_version";
	assert_non_null(vault_plan_get());
	if (ladder_verify(&report, NULL, vault_plan_get(), &opts) < 0)
		fail_msg("verify: %s\n%s", ladder_error_last()->message, report ? report->text : "");
	assert_contains(report->text, "ok    baseline at 2 equals the steps up to 2");
	assert_contains(report->text, "ok    1 ssh_keys_pkcs8_der: up");
	assert_int_equal(report->failures, 0);
	ladder_verify_report_free(report);
	vault_plan_release();
	free(seed);
	for (int i = 0; i < 2; i++)
		free_key(&keys[i]);
}

static void v0_file_is_upgraded_in_place(void **state)
{
	testkey keys[3];
	const char *path;
	proc p;
	(void)state;

	make_key(&keys[0], "ed25519", "alice@laptop");
	make_key(&keys[1], "rsa", "deploy@ci");
	make_key(&keys[2], "ed25519", "bob@desk");
	path = legacy_file(0, keys, 3);

	p = expect(0, RUN(NULL, VAULT, "--db", path, "keys", "scope-a"));
	assert_string_equal(p.out, tu_fmt("%s ed25519 comment 1\n%s rsa comment 2\n", keys[0].fp, keys[1].fp));
	assert_contains(p.err, "upgraded vault");
	assert_contains(p.err, "from schema version 0 to 2");
	proc_free(&p);

	for (int i = 0; i < 3; i++)
		assert_converted(path, i + 1, &keys[i]);
	/* Everything else survives as it was. */
	tu_assert_text(path, "SELECT id, comment, created_at FROM ssh_keys ORDER BY id",
	               "1|comment 1|2024-01-01 10:00:00\n2|comment 2|2024-01-02 10:00:00\n3|comment 3|2024-01-03 10:00:00\n");
	tu_assert_text(path, "SELECT scope, key_id, assigned_at FROM ssh_key_assignments ORDER BY 1, 2",
	               "scope-a|1|2024-02-01 09:00:00\nscope-a|2|2024-02-01 09:00:01\nscope-b|3|2024-02-02 09:00:00\n");
	tu_assert_text(path, "SELECT token, scope, subject, credential_set, provider FROM proxy_tokens ORDER BY token",
	               "tok-1|scope-a|build-42|set1|github\ntok-2|scope-b|deploy|set1|missing\n");
	tu_assert_text(path, "SELECT * FROM credentials", "set1|github|{\"token\":\"gho_legacy\",\"user\":\"ci\"}\n");
	tu_assert_text(path, "SELECT name, seq FROM sqlite_sequence", "ssh_keys|3\n");
	/* No table of ladder's, the counter gone, one shape with fresh files. */
	assert_schema_is_fresh(path);
	assert_int_equal(tu_int(path, "PRAGMA foreign_key_check"), -1);
	tu_assert_text(path, "PRAGMA integrity_check", "ok\n");

	p = expect(0, RUN("token tok-1\ntoken tok-2\nkeys scope-b\n", AGENT, "--db", path));
	assert_string_equal(p.out,
	                    tu_fmt("{\"found\":true,\"scope\":\"scope-a\",\"subject\":\"build-42\",\"credential_set\":"
	                           "\"set1\",\"provider\":\"github\",\"credentials\":{\"token\":\"gho_legacy\",\"user\":"
	                           "\"ci\"}}\n"
	                           "{\"found\":true,\"scope\":\"scope-b\",\"subject\":\"deploy\",\"credential_set\":"
	                           "\"set1\",\"provider\":\"missing\",\"credentials\":null}\n"
	                           "{\"found\":true,\"scope\":\"scope-b\",\"keys\":[{\"id\":3,\"key_type\":\"ed25519\","
	                           "\"fingerprint\":\"%s\",\"comment\":\"comment 3\",\"public_key\":\"%s\"}]}\n",
	                           keys[2].fp, keys[2].line));
	assert_string_equal(p.err, ""); /* already current: nothing to report */
	proc_free(&p);
	for (int i = 0; i < 3; i++)
		free_key(&keys[i]);
}

/* The original declared the current shape (CREATE TABLE IF NOT EXISTS) on
 * every open and stamped user_version only after its migration: a crash in
 * between, or its check-then-migrate race, left v2-shaped files at
 * user_version 0. They open and are stamped, rows untouched. */
static void unstamped_current_shape_file_opens(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/unstamped-%d.db", scratch(), rand()));
	sqlite3 *db = tu_sqlite(path);
	char *before;
	proc p;
	(void)state;

	exec_sql(db, schema_v2);
	exec_sql(db, "INSERT INTO proxy_tokens VALUES ('tok-9', 'scope-z', 'job', 'set9', 'gh')");
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(tu_int(path, "PRAGMA user_version"), 0);
	before = tu_text(path, "SELECT * FROM proxy_tokens");

	p = expect(0, RUN("token tok-9\n", AGENT, "--db", path));
	assert_contains(p.out, "\"subject\":\"job\"");
	proc_free(&p);
	assert_int_equal(tu_int(path, "PRAGMA user_version"), 2);
	tu_assert_text(path, "SELECT * FROM proxy_tokens", before);
	assert_schema_is_fresh(path);
	free(before);
}

static void v1_file_gets_the_token_rename(void **state)
{
	testkey keys[2];
	const char *path;
	char *before_keys;
	proc p;
	(void)state;

	make_key(&keys[0], "rsa", "old@box");
	make_key(&keys[1], "rsa", "older@box");
	path = legacy_file(1, keys, 2);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM pragma_table_info('proxy_tokens') WHERE name = 'task'"), 1);
	before_keys = tu_text(path, "SELECT id, hex(private_der), fingerprint, hex(public_blob) FROM ssh_keys ORDER BY id");

	p = expect(0, RUN("token tok-1\ntoken tok-2\nkeys scope-a\n", AGENT, "--db", path));
	assert_string_equal(p.out,
	                    tu_fmt("{\"found\":true,\"scope\":\"scope-a\",\"subject\":\"build-42\",\"credential_set\":"
	                           "\"set1\",\"provider\":\"github\",\"credentials\":{\"token\":\"gho_legacy\",\"user\":"
	                           "\"ci\"}}\n"
	                           "{\"found\":true,\"scope\":\"scope-b\",\"subject\":\"deploy\",\"credential_set\":"
	                           "\"set1\",\"provider\":\"missing\",\"credentials\":null}\n"
	                           "{\"found\":true,\"scope\":\"scope-a\",\"keys\":[{\"id\":1,\"key_type\":\"rsa\","
	                           "\"fingerprint\":\"%s\",\"comment\":\"comment 1\",\"public_key\":\"%s\"},{\"id\":2,"
	                           "\"key_type\":\"rsa\",\"fingerprint\":\"%s\",\"comment\":\"comment 2\","
	                           "\"public_key\":\"%s\"}]}\n",
	                           keys[0].fp, keys[0].line, keys[1].fp, keys[1].line));
	assert_contains(p.err, "from schema version 1 to 2");
	proc_free(&p);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM pragma_table_info('proxy_tokens') WHERE name = 'subject'"), 1);
	tu_assert_text(path, "SELECT token, scope, subject, credential_set, provider FROM proxy_tokens ORDER BY token",
	               "tok-1|scope-a|build-42|set1|github\ntok-2|scope-b|deploy|set1|missing\n");
	/* v1 -> v2 leaves the keys alone, byte for byte. */
	tu_assert_text(path, "SELECT id, hex(private_der), fingerprint, hex(public_blob) FROM ssh_keys ORDER BY id",
	               before_keys);
	free(before_keys);
	assert_converted(path, 1, &keys[0]);
	assert_converted(path, 2, &keys[1]);
	assert_schema_is_fresh(path);
	for (int i = 0; i < 2; i++)
		free_key(&keys[i]);
}

/* Back-date the file so that any write would show in its mtime. */
static void backdate(const char *path)
{
	struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

static void assert_untouched(const char *path, const char hex[65], const struct timespec *mtime, int no_journal)
{
	char now[65];
	struct timespec now_mtime;
	tu_file_fingerprint(path, now, &now_mtime);
	assert_string_equal(now, hex);
	assert_int_equal(now_mtime.tv_sec, mtime->tv_sec);
	assert_int_equal(now_mtime.tv_nsec, mtime->tv_nsec);
	if (no_journal)
		assert_int_equal(access(tu_fmt("%s-journal", path), F_OK), -1);
}

/* A current file opens with zero writes: its bytes and mtime stay, no
 * journal appears, and another connection holding a write transaction
 * does not stop the open. Plain, or encrypted (pf: a passphrase file the
 * programs are given through VAULT_PASSPHRASE_FILE). */
static void assert_current_file_opens_untouched(const char *name, const char *pf)
{
	const char *path = tu_keep(tu_fmt("%s/%s", scratch(), name));
	testkey ed;
	char hex[65];
	struct timespec mtime, start, end;
	sqlite3 *other;
	proc p;

	if (pf != NULL)
		setenv("VAULT_PASSPHRASE_FILE", pf, 1);
	make_key(&ed, "ed25519", "current@host");
	p = expect(0, RUN(NULL, VAULT, "--db", path, "add-key", "s", ed.path));
	proc_free(&p);
	backdate(path);
	tu_file_fingerprint(path, hex, &mtime);

	p = expect(0, RUN(NULL, VAULT, "--db", path, "keys", "s"));
	assert_string_equal(p.out, tu_fmt("%s ed25519 current@host\n", ed.fp));
	assert_string_equal(p.err, "");
	proc_free(&p);
	p = expect(0, RUN("keys s\ntoken t\n", AGENT, "--db", path));
	assert_int_equal(count_lines(p.out), 2);
	assert_string_equal(p.err, "");
	proc_free(&p);
	assert_untouched(path, hex, &mtime, 1);
	assert_int_equal(access(tu_fmt("%s-wal", path), F_OK), -1);
	assert_int_equal(access(tu_fmt("%s-shm", path), F_OK), -1);

	/* Another connection holds the write lock with an uncommitted insert:
	 * opening (and reading) still succeeds at once. */
	other = keyed_sqlite(path, pf != NULL ? PASSPHRASE : NULL);
	exec_sql(other, "BEGIN IMMEDIATE");
	exec_sql(other, "INSERT INTO credentials VALUES ('held', 'x', '{}')");
	clock_gettime(CLOCK_MONOTONIC, &start);
	p = expect(0, RUN(NULL, VAULT, "--db", path, "keys", "s"));
	assert_string_equal(p.out, tu_fmt("%s ed25519 current@host\n", ed.fp));
	proc_free(&p);
	p = expect(0, RUN("keys s\n", AGENT, "--db", path));
	assert_contains(p.out, ed.fp);
	proc_free(&p);
	clock_gettime(CLOCK_MONOTONIC, &end);
	assert_true(end.tv_sec - start.tv_sec < 10); /* no waiting on the busy timeout */
	assert_untouched(path, hex, &mtime, 0); /* the journal or WAL is the other connection's */
	exec_sql(other, "ROLLBACK");
	sqlite3_close(other);
	free_key(&ed);
	unsetenv("VAULT_PASSPHRASE_FILE");
}

static void current_file_open_writes_nothing(void **state)
{
	(void)state;
	assert_current_file_opens_untouched("current.db", NULL);
}

/* Journal mode: new and upgraded files are WAL, as the original's openers
 * leave them; a reader answers while a writer holds an exclusive write
 * transaction (in rollback-journal mode it would wait and fail). */
static void files_are_wal_and_reads_never_wait(void **state)
{
	const char *fresh = tu_keep(tu_fmt("%s/wal-new.db", scratch()));
	testkey keys[2];
	const char *legacy;
	struct timespec start, end;
	sqlite3 *writer;
	proc p;
	(void)state;

	make_key(&keys[0], "ed25519", "wal@one");
	make_key(&keys[1], "ed25519", "wal@two");
	p = expect(0, RUN(NULL, VAULT, "--db", fresh, "add-key", "s", keys[0].path));
	proc_free(&p);
	tu_assert_text(fresh, "PRAGMA journal_mode", "wal\n");

	legacy = legacy_file(0, keys, 2);
	tu_assert_text(legacy, "PRAGMA journal_mode", "delete\n");
	p = expect(0, RUN(NULL, VAULT, "--db", legacy, "keys", "scope-a"));
	assert_contains(p.err, "from schema version 0 to 2");
	proc_free(&p);
	tu_assert_text(legacy, "PRAGMA journal_mode", "wal\n");

	writer = tu_sqlite(fresh);
	exec_sql(writer, "BEGIN EXCLUSIVE");
	exec_sql(writer, "INSERT INTO credentials VALUES ('held', 'x', '{}')");
	clock_gettime(CLOCK_MONOTONIC, &start);
	p = expect(0, RUN(NULL, VAULT, "--db", fresh, "keys", "s"));
	assert_string_equal(p.out, tu_fmt("%s ed25519 wal@one\n", keys[0].fp));
	proc_free(&p);
	p = expect(0, RUN("keys s\n", AGENT, "--db", fresh));
	assert_contains(p.out, keys[0].fp);
	proc_free(&p);
	clock_gettime(CLOCK_MONOTONIC, &end);
	assert_true(end.tv_sec - start.tv_sec < 4); /* never the 5 s busy timeout */
	exec_sql(writer, "ROLLBACK");
	sqlite3_close(writer);
	for (int i = 0; i < 2; i++)
		free_key(&keys[i]);
}

/* A scope's keys come in assignment order (assigned_at, then id), as the
 * original returns them: its callers take the last as the newest. Here the
 * assignment times run opposite to the ids. */
static void keys_come_in_assignment_order(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/order.db", scratch()));
	testkey keys[3];
	sqlite3 *db;
	proc p;
	(void)state;

	make_key(&keys[0], "ed25519", "first@id");
	make_key(&keys[1], "ed25519", "second@id");
	make_key(&keys[2], "ed25519", "third@id");
	for (int i = 0; i < 3; i++) {
		p = expect(0, RUN(NULL, VAULT, "--db", path, "add-key", "s", keys[i].path));
		proc_free(&p);
	}
	db = tu_sqlite(path);
	exec_sql(db, "UPDATE ssh_key_assignments SET assigned_at = '2026-03-01 00:00:00' WHERE key_id = 1");
	exec_sql(db, "UPDATE ssh_key_assignments SET assigned_at = '2026-02-01 00:00:00' WHERE key_id = 2");
	exec_sql(db, "UPDATE ssh_key_assignments SET assigned_at = '2026-01-01 00:00:00' WHERE key_id = 3");
	sqlite3_close(db);
	p = expect(0, RUN(NULL, VAULT, "--db", path, "keys", "s"));
	assert_string_equal(p.out, tu_fmt("%s ed25519 third@id\n%s ed25519 second@id\n%s ed25519 first@id\n",
	                                  keys[2].fp, keys[1].fp, keys[0].fp));
	proc_free(&p);
	p = expect(0, RUN("keys s\n", AGENT, "--db", path));
	assert_true(strstr(p.out, keys[2].fp) < strstr(p.out, keys[1].fp));
	assert_true(strstr(p.out, keys[1].fp) < strstr(p.out, keys[0].fp));
	proc_free(&p);
	/* the same time: the id decides */
	db = tu_sqlite(path);
	exec_sql(db, "UPDATE ssh_key_assignments SET assigned_at = '2026-01-01 00:00:00'");
	sqlite3_close(db);
	p = expect(0, RUN(NULL, VAULT, "--db", path, "keys", "s"));
	assert_string_equal(p.out, tu_fmt("%s ed25519 first@id\n%s ed25519 second@id\n%s ed25519 third@id\n",
	                                  keys[0].fp, keys[1].fp, keys[2].fp));
	proc_free(&p);
	for (int i = 0; i < 3; i++)
		free_key(&keys[i]);
}

static void newer_file_is_refused_untouched(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/newer.db", scratch()));
	char hex[65];
	struct timespec mtime;
	sqlite3 *db;
	proc p;
	(void)state;

	p = expect(0, RUN(NULL, VAULT, "--db", path, "set-credential", "s", "p", "{}"));
	proc_free(&p);
	db = tu_sqlite(path);
	exec_sql(db, "PRAGMA user_version = 3");
	sqlite3_close(db);
	backdate(path);
	tu_file_fingerprint(path, hex, &mtime);

	p = expect(1, RUN(NULL, VAULT, "--db", path, "keys", "s"));
	assert_string_equal(p.out, "");
	assert_contains(p.err, "newer than this program understands (2)");
	assert_contains(p.err, "the file was not changed");
	proc_free(&p);
	p = expect(1, RUN(NULL, VAULT, "--db", path, "issue-token", "a", "b", "c", "d"));
	assert_contains(p.err, "is at schema version 3, newer");
	proc_free(&p);
	p = expect(1, RUN("keys s\n", AGENT, "--db", path));
	assert_string_equal(p.out, "");
	assert_contains(p.err, "vault-agent: vault '");
	assert_contains(p.err, "newer than this program understands (2)");
	proc_free(&p);
	assert_untouched(path, hex, &mtime, 1);
	assert_int_equal(tu_int(path, "PRAGMA user_version"), 3);
}

static size_t skip_string(const unsigned char *b, size_t len, size_t pos)
{
	uint32_t n;
	assert_true(pos + 4 <= len);
	n = (uint32_t)b[pos] << 24 | (uint32_t)b[pos + 1] << 16 | (uint32_t)b[pos + 2] << 8 | b[pos + 3];
	assert_true(n <= len - pos - 4);
	return pos + 4 + n;
}

/* Offset of the length field of the mpint `which` (0 = n ... 5 = q) in an
 * RSA key's decoded binary. */
static size_t rsa_mpint_offset(const unsigned char *b, size_t len, int which)
{
	size_t pos = 15; /* "openssh-key-v1\0" */
	for (int i = 0; i < 3; i++) /* cipher, kdf, kdf options */
		pos = skip_string(b, len, pos);
	pos += 4; /* number of keys */
	pos = skip_string(b, len, pos); /* public key */
	pos += 4 + 8; /* private section length, check integers */
	pos = skip_string(b, len, pos); /* "ssh-rsa" */
	for (int i = 0; i < which; i++)
		pos = skip_string(b, len, pos);
	return pos;
}

/* k with the length of q claiming far more bytes than there are. */
static char *corrupt_rsa_text(const testkey *k, size_t *at)
{
	const char *begin = strchr(k->text, '\n') + 1;
	const char *end = strstr(k->text, "-----END");
	char *b64 = strndup(begin, (size_t)(end - begin)), *r, *w, *enc, *text;
	unsigned char bin[4096];
	size_t len, pos, n;

	for (r = w = b64; *r; r++)
		if (*r != '\n')
			*w++ = *r;
	*w = '\0';
	len = b64_decode(bin, sizeof(bin), b64);
	free(b64);
	pos = rsa_mpint_offset(bin, len, 5);
	bin[pos] = 0x00, bin[pos + 1] = 0x01, bin[pos + 2] = 0x00, bin[pos + 3] = 0x00; /* 65536 bytes */
	*at = pos;
	enc = b64_encode(bin, len);
	n = strlen(enc);
	text = malloc(n + n / 70 + 128);
	assert_non_null(text);
	w = text + sprintf(text, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
	for (size_t i = 0; i < n; i += 70)
		w += sprintf(w, "%.70s\n", enc + i);
	sprintf(w, "-----END OPENSSH PRIVATE KEY-----\n");
	free(enc);
	return text;
}

static void corrupt_key_is_refused_by_name(void **state)
{
	testkey keys[3];
	const char *path;
	char hex[65], *before;
	struct timespec mtime;
	size_t at;
	sqlite3 *db;
	proc p;
	(void)state;

	make_key(&keys[0], "ed25519", "fine@one");
	make_key(&keys[1], "rsa", "broken@two");
	make_key(&keys[2], "ed25519", "fine@three");
	{
		char *corrupt = corrupt_rsa_text(&keys[1], &at);
		free(keys[1].text);
		keys[1].text = corrupt;
	}
	keys[1].text_len = strlen(keys[1].text);
	path = legacy_file(0, keys, 3);
	/* The vault refuses the same file as a key to import. */
	tu_write_bytes(keys[1].path, keys[1].text, keys[1].text_len);
	p = expect(1, RUN(NULL, VAULT, "--db", tu_fmt("%s/never.db", scratch()), "add-key", "s", keys[1].path));
	assert_contains(p.err, tu_fmt("RSA private section truncated at byte %zu: q claims 65536 bytes", at));
	proc_free(&p);

	backdate(path);
	tu_file_fingerprint(path, hex, &mtime);
	before = tu_snapshot(path);
	p = expect(1, RUN(NULL, VAULT, "--db", path, "keys", "scope-a"));
	assert_string_equal(p.out, "");
	assert_contains(p.err, tu_fmt("key 2 (fingerprint %s): RSA private section truncated at byte %zu: q claims "
	                              "65536 bytes",
	                              keys[1].hexfp, at));
	assert_contains(p.err, "Nothing was changed");
	assert_null(strstr(p.err, "passphrase"));
	proc_free(&p);
	p = expect(1, RUN("keys scope-a\n", AGENT, "--db", path));
	assert_string_equal(p.out, "");
	assert_contains(p.err, tu_fmt("key 2 (fingerprint %s)", keys[1].hexfp));
	proc_free(&p);
	assert_untouched(path, hex, &mtime, 1);
	{
		char *after = tu_snapshot(path);
		assert_string_equal(before, after);
		free(after);
	}
	free(before);

	/* A key whose type column lies, and one whose public blob is another
	 * key's, are refused by name too. */
	db = tu_sqlite(path);
	exec_sql(db, tu_fmt("UPDATE ssh_keys SET private_pem = (SELECT private_pem FROM ssh_keys WHERE id = 1) "
	                    "WHERE id = 2"));
	sqlite3_close(db);
	p = expect(1, RUN(NULL, VAULT, "--db", path, "keys", "scope-a"));
	assert_contains(p.err, tu_fmt("key 2 (fingerprint %s): key_type says 'rsa' but the key is ed25519", keys[1].hexfp));
	proc_free(&p);
	db = tu_sqlite(path);
	exec_sql(db, "UPDATE ssh_keys SET private_pem = (SELECT private_pem FROM ssh_keys WHERE id = 1), "
	             "key_type = 'ed25519' WHERE id = 2");
	sqlite3_close(db);
	p = expect(1, RUN(NULL, VAULT, "--db", path, "keys", "scope-a"));
	assert_contains(p.err, tu_fmt("key 2 (fingerprint %s): the private key does not match the stored public_blob",
	                              keys[1].hexfp));
	proc_free(&p);
	assert_int_equal(tu_int(path, "PRAGMA user_version"), 0);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM pragma_table_info('ssh_keys') WHERE name = 'private_pem'"), 1);
	for (int i = 0; i < 3; i++)
		free_key(&keys[i]);
}

/* What each child of many_open_one_v0_file runs. */
typedef struct {
	const char *input;
	char (*out)[512], (*err)[512];
	const char *(*argv)[12];
} many_ctx;

static int exec_many(int i, void *arg)
{
	const many_ctx *m = arg;
	exec_with(m->input, m->out[i], m->err[i], m->argv[i]);
	return 127; /* exec_with does not return */
}

/* PROCESSES writers and agents open one v0 file at once (encrypted with
 * passphrase, given to each in pass_file, unless they are NULL). */
static void many_open_one_v0_file(const char *passphrase, const char *pass_file)
{
	testkey keys[3];
	const char *path, *input;
	char out[PROCESSES][512], err[PROCESSES][512];
	const char *argv[PROCESSES][12];
	int statuses[PROCESSES], upgraded = 0, writers = 0;
	many_ctx ctx = {NULL, out, err, argv};

	make_key(&keys[0], "ed25519", "a");
	make_key(&keys[1], "rsa", "b");
	make_key(&keys[2], "ed25519", "c");
	path = legacy_file_keyed(0, keys, 3, passphrase);
	if (passphrase != NULL)
		assert_encrypted(path);
	input = tu_keep(tu_fmt("%s/agent.in", scratch()));
	tu_write(scratch(), "agent.in", "keys scope-a\ntoken tok-1\n");

	/* Everything a child needs is ready before the fork. */
	for (int i = 0; i < PROCESSES; i++) {
		const char **a = argv[i];
		snprintf(out[i], sizeof(out[i]), "%s/many%d.out", scratch(), i);
		snprintf(err[i], sizeof(err[i]), "%s/many%d.err", scratch(), i);
		memset(argv[i], 0, sizeof(argv[i]));
		switch (i % 4) {
		case 0: /* a writer */
			a[0] = VAULT, a[1] = "--db", a[2] = path, a[3] = "issue-token", a[4] = "scope-a",
			a[5] = tu_keep(tu_fmt("job-%d", i)), a[6] = "set1", a[7] = "github";
			writers++;
			break;
		case 1: /* a reader through the CLI */
			a[0] = VAULT, a[1] = "--db", a[2] = path, a[3] = "keys", a[4] = "scope-a";
			break;
		default: /* the agent */
			a[0] = AGENT, a[1] = "--db", a[2] = path;
		}
		if (pass_file != NULL) { /* after the arguments: both programs take options anywhere */
			int n = 0;
			while (a[n] != NULL)
				n++;
			a[n] = "--passphrase-file", a[n + 1] = pass_file;
		}
	}
	ctx.input = input;
	tu_fork_many(PROCESSES, exec_many, &ctx, statuses); /* every child starts at once */
	for (int i = 0; i < PROCESSES; i++) {
		int status = statuses[i];
		char *o, *e;
		o = slurp(out[i], NULL);
		e = slurp(err[i], NULL);
		if (exit_code(status) != 0)
			fail_msg("process %d (%s) exited %d: %s", i, i % 4 >= 2 ? "agent" : argv[i][3], exit_code(status), e);
		if (strstr(e, "Sanitizer") != NULL || strstr(e, "runtime error:") != NULL)
			fail_msg("process %d: sanitizer report:\n%s", i, e);
		assert_no_secret("standard output", o);
		assert_no_secret("standard error", e);
		if (strstr(e, "upgraded vault") != NULL)
			upgraded++;
		/* Each saw the converted keys, whoever converted them. */
		switch (i % 4) {
		case 0:
			assert_int_equal(strlen(o), 44);
			break;
		case 1:
			assert_string_equal(o, tu_fmt("%s ed25519 comment 1\n%s rsa comment 2\n", keys[0].fp, keys[1].fp));
			break;
		default:
			assert_int_equal(count_lines(o), 2);
			assert_contains(o, keys[0].fp);
			assert_contains(o, keys[1].fp);
			assert_contains(o, "\"subject\":\"build-42\"");
		}
		free(o);
		free(e);
	}
	/* Exactly one process converted the keys: converting a second time
	 * would have failed, the DER being no OpenSSH key. */
	assert_int_equal(upgraded, 1);
	for (int i = 0; i < 3; i++)
		assert_converted_keyed(path, passphrase, i + 1, &keys[i]);
	assert_int_equal(keyed_int(path, passphrase, "SELECT count(*) FROM proxy_tokens"), 2 + writers);
	assert_schema_is_fresh_keyed(path, passphrase);
	if (passphrase != NULL)
		assert_encrypted(path);
	for (int i = 0; i < 3; i++)
		free_key(&keys[i]);
}

static void many_processes_open_one_v0_file(void **state)
{
	(void)state;
	many_open_one_v0_file(NULL, NULL);
}

/* --- encrypted vaults ---------------------------------------------------------------- */


/* Skip unless this build carries SQLCipher; else the passphrase file
 * (the passphrase and a newline), and both passphrases watched for in
 * every program's output. */
static const char *encrypted_setup(void)
{
	if (!have_sqlcipher())
		skip();
	secrets[0] = PASSPHRASE;
	secrets[1] = WRONG_PASSPHRASE;
	return passphrase_file("passphrase.txt", PASSPHRASE "\n");
}

static void assert_no_wal_files(const char *path)
{
	assert_int_equal(access(tu_fmt("%s-wal", path), F_OK), -1);
	assert_int_equal(access(tu_fmt("%s-shm", path), F_OK), -1);
}

static void encrypted_new_file_is_encrypted_and_reopens(void **state)
{
	const char *pf = encrypted_setup();
	const char *path = tu_keep(tu_fmt("%s/enc-new.db", scratch()));
	testkey ed;
	struct stat st;
	sqlite3 *db;
	tu_buf rows = {0};
	proc p;
	(void)state;

	make_key(&ed, "ed25519", "enc@host");
	p = expect(0, RUN(NULL, VAULT, "--db", path, "--passphrase-file", pf, "add-key", "s", ed.path));
	assert_string_equal(p.out, tu_fmt("%s\n", ed.fp));
	assert_string_equal(p.err, tu_fmt("vault: created vault '%s' at schema version 2\n", path));
	proc_free(&p);
	assert_encrypted(path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* SQLCipher 4's defaults, the original's format: a connection held to
	 * them reads it; one without the key reads nothing. */
	db = keyed_sqlite(path, PASSPHRASE);
	exec_sql(db, "PRAGMA cipher_compatibility = 4");
	tu_sqlite_rows(db, "PRAGMA user_version", &rows);
	assert_string_equal(rows.buf, "2\n");
	free(rows.buf);
	sqlite3_close(db);
	db = tu_sqlite(path);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version", NULL, NULL, NULL), SQLITE_NOTADB);
	sqlite3_close(db);

	assert_keyed_text(path, PASSPHRASE, "PRAGMA journal_mode", "wal\n");
	assert_schema_is_fresh_keyed(path, PASSPHRASE);
	assert_converted_keyed(path, PASSPHRASE, 1, &ed);

	/* Reopened by both programs with the passphrase: silent, current. */
	p = expect(0, RUN(NULL, VAULT, "--db", path, "--passphrase-file", pf, "keys", "s"));
	assert_string_equal(p.out, tu_fmt("%s ed25519 enc@host\n", ed.fp));
	assert_string_equal(p.err, "");
	proc_free(&p);
	p = expect(0, RUN("keys s\n", AGENT, "--db", path, "--passphrase-file", pf));
	assert_string_equal(p.out, tu_fmt("{\"found\":true,\"scope\":\"s\",\"keys\":[{\"id\":1,\"key_type\":\"ed25519\","
	                                  "\"fingerprint\":\"%s\",\"comment\":\"enc@host\",\"public_key\":\"%s\"}]}\n",
	                                  ed.fp, ed.line));
	assert_string_equal(p.err, "");
	proc_free(&p);
	assert_encrypted(path);
	free_key(&ed);
}

/* A v0 file encrypted as the original left it: upgraded in place, every
 * key converted as in a plain file, still encrypted, in WAL mode. */
static void encrypted_v0_file_is_upgraded_in_place(void **state)
{
	const char *pf = encrypted_setup();
	testkey keys[3];
	const char *path;
	proc p;
	(void)state;

	make_key(&keys[0], "ed25519", "alice@laptop");
	make_key(&keys[1], "rsa", "deploy@ci");
	make_key(&keys[2], "ed25519", "bob@desk");
	path = legacy_file_keyed(0, keys, 3, PASSPHRASE);
	assert_encrypted(path);

	p = expect(0, RUN(NULL, VAULT, "--db", path, "--passphrase-file", pf, "keys", "scope-a"));
	assert_string_equal(p.out, tu_fmt("%s ed25519 comment 1\n%s rsa comment 2\n", keys[0].fp, keys[1].fp));
	assert_string_equal(p.err, tu_fmt("vault: upgraded vault '%s' from schema version 0 to 2\n", path));
	proc_free(&p);

	assert_encrypted(path);
	for (int i = 0; i < 3; i++)
		assert_converted_keyed(path, PASSPHRASE, i + 1, &keys[i]);
	assert_keyed_text(path, PASSPHRASE,
	                  "SELECT token, scope, subject, credential_set, provider FROM proxy_tokens ORDER BY token",
	                  "tok-1|scope-a|build-42|set1|github\ntok-2|scope-b|deploy|set1|missing\n");
	assert_schema_is_fresh_keyed(path, PASSPHRASE);
	assert_keyed_text(path, PASSPHRASE, "PRAGMA journal_mode", "wal\n");

	p = expect(0, RUN("token tok-1\n", "env", tu_fmt("VAULT_PASSPHRASE_FILE=%s", pf), AGENT, "--db", path));
	assert_contains(p.out, "\"subject\":\"build-42\"");
	assert_contains(p.out, "\"credentials\":{\"token\":\"gho_legacy\",\"user\":\"ci\"}");
	assert_string_equal(p.err, "");
	proc_free(&p);
	for (int i = 0; i < 3; i++)
		free_key(&keys[i]);
}

/* As current_file_open_writes_nothing, on an encrypted file. */
static void encrypted_current_file_open_writes_nothing(void **state)
{
	(void)state;
	assert_current_file_opens_untouched("enc-current.db", encrypted_setup());
}

/* A wrong passphrase, none, or one for a plain file: refused in the
 * vault's words, naming the file, which stays byte for byte as it was. */
static void wrong_or_missing_passphrase_changes_nothing(void **state)
{
	const char *pf = encrypted_setup();
	const char *wrong = passphrase_file("wrong.txt", WRONG_PASSPHRASE "\n");
	const char *path = tu_keep(tu_fmt("%s/enc-refused.db", scratch()));
	const char *plain = tu_keep(tu_fmt("%s/plain-refused.db", scratch()));
	const char *wrong_msg = "the passphrase does not open it (a wrong passphrase, or a file that is not an "
	                        "encrypted vault); nothing was changed\n";
	const char *missing_msg = "the file is encrypted, or not a database: a passphrase is needed "
	                          "(--passphrase-file, --passphrase-command); nothing was changed\n";
	char hex[65], plain_hex[65];
	struct timespec mtime, plain_mtime;
	proc p;
	(void)state;

	p = expect(0, RUN(NULL, VAULT, "--db", path, "--passphrase-file", pf, "set-credential", "s", "p", "{}"));
	proc_free(&p);
	p = expect(0, RUN(NULL, VAULT, "--db", plain, "set-credential", "s", "p", "{}"));
	proc_free(&p);
	backdate(path);
	backdate(plain);
	tu_file_fingerprint(path, hex, &mtime);
	tu_file_fingerprint(plain, plain_hex, &plain_mtime);

	p = expect(1, RUN(NULL, VAULT, "--db", path, "--passphrase-file", wrong, "keys", "s"));
	assert_string_equal(p.out, "");
	assert_string_equal(p.err, tu_fmt("vault: cannot open vault '%s': %s", path, wrong_msg));
	proc_free(&p);
	p = expect(1, RUN(NULL, VAULT, "--db", path, "--passphrase-file", wrong, "issue-token", "a", "b", "c", "d"));
	assert_string_equal(p.out, "");
	assert_string_equal(p.err, tu_fmt("vault: cannot open vault '%s': %s", path, wrong_msg));
	proc_free(&p);
	p = expect(1, RUN("keys s\n", AGENT, "--db", path, "--passphrase-file", wrong));
	assert_string_equal(p.out, "");
	assert_string_equal(p.err, tu_fmt("vault-agent: cannot open vault '%s': %s", path, wrong_msg));
	proc_free(&p);

	p = expect(1, RUN(NULL, VAULT, "--db", path, "set-credential", "s", "p", "{}"));
	assert_string_equal(p.out, "");
	assert_string_equal(p.err, tu_fmt("vault: cannot open vault '%s': %s", path, missing_msg));
	proc_free(&p);
	p = expect(1, RUN("keys s\n", AGENT, "--db", path));
	assert_string_equal(p.out, "");
	assert_string_equal(p.err, tu_fmt("vault-agent: cannot open vault '%s': %s", path, missing_msg));
	proc_free(&p);
	assert_untouched(path, hex, &mtime, 1);
	assert_no_wal_files(path);

	/* A passphrase for a plain vault: refused too, not encrypted behind
	 * the user's back. */
	p = expect(1, RUN(NULL, VAULT, "--db", plain, "--passphrase-file", pf, "keys", "s"));
	assert_string_equal(p.err, tu_fmt("vault: cannot open vault '%s': %s", plain, wrong_msg));
	proc_free(&p);
	assert_untouched(plain, plain_hex, &plain_mtime, 1);
	assert_no_wal_files(plain);
	assert_int_equal(tu_int(plain, "SELECT count(*) FROM credentials"), 1);
	assert_keyed_text(path, PASSPHRASE, "SELECT * FROM credentials", "s|p|{}\n");
}

static void many_processes_open_one_encrypted_v0_file(void **state)
{
	const char *pf = encrypted_setup();
	(void)state;
	many_open_one_v0_file(PASSPHRASE, pf);
}

/* The passphrase options and variables of both programs, their
 * precedence and their errors. Every open here, refused or not, leaves
 * the (current) file as it was. */
static void passphrase_options_and_variables(void **state)
{
	const char *pf = encrypted_setup();
	const char *bare = passphrase_file("bare.txt", PASSPHRASE); /* no newline */
	const char *two = passphrase_file("two-newlines.txt", PASSPHRASE "\n\n");
	const char *wrong = passphrase_file("wrong-option.txt", WRONG_PASSPHRASE "\n");
	const char *empty = passphrase_file("empty.txt", "");
	const char *newline = passphrase_file("newline.txt", "\n");
	const char *path = tu_keep(tu_fmt("%s/enc-options.db", scratch()));
	const char *marker = tu_keep(tu_fmt("%s/command-ran", scratch()));
	const char *cat = tu_keep(tu_fmt("cat '%s'", pf));
	const char *file_env = tu_keep(tu_fmt("VAULT_PASSPHRASE_FILE=%s", pf));
	const char *wrong_env = tu_keep(tu_fmt("VAULT_PASSPHRASE_FILE=%s", wrong));
	const char *command_env = tu_keep(tu_fmt("VAULT_PASSPHRASE_COMMAND=%s", cat));
	const char *marking_env = tu_keep(tu_fmt("VAULT_PASSPHRASE_COMMAND=touch '%s'; %s", marker, cat));
	char hex[65];
	struct timespec mtime;
	testkey ed;
	proc p;
	(void)state;

	make_key(&ed, "ed25519", "opt@host");
	p = expect(0, RUN(NULL, VAULT, "--db", path, "--passphrase-command", cat, "add-key", "s", ed.path));
	assert_string_equal(p.out, tu_fmt("%s\n", ed.fp));
	proc_free(&p);
	assert_encrypted(path);
	backdate(path);
	tu_file_fingerprint(path, hex, &mtime);

	/* Each source opens it; a file without a newline is the same passphrase. */
	p = expect(0, RUN(NULL, VAULT, "--db", path, "--passphrase-file", bare, "keys", "s"));
	assert_string_equal(p.out, tu_fmt("%s ed25519 opt@host\n", ed.fp));
	proc_free(&p);
	p = expect(0, RUN(NULL, "env", file_env, VAULT, "--db", path, "keys", "s"));
	assert_string_equal(p.out, tu_fmt("%s ed25519 opt@host\n", ed.fp));
	proc_free(&p);
	p = expect(0, RUN("keys s\n", "env", command_env, AGENT, "--db", path));
	assert_contains(p.out, ed.fp);
	proc_free(&p);
	p = expect(0, RUN("keys s\n", AGENT, "--db", path, "--passphrase-command", cat));
	assert_contains(p.out, ed.fp);
	proc_free(&p);
	/* The command's standard input is not the agent's request stream. */
	p = expect(0, RUN("keys s\n", AGENT, "--db", path, "--passphrase-command", tu_fmt("%s; cat >/dev/null", cat)));
	assert_contains(p.out, ed.fp);
	proc_free(&p);

	/* An option wins over both variables; the variable's command is not run. */
	p = expect(0, RUN(NULL, "env", wrong_env, marking_env, VAULT, "--db", path, "--passphrase-file", pf, "keys", "s"));
	assert_string_equal(p.out, tu_fmt("%s ed25519 opt@host\n", ed.fp));
	proc_free(&p);
	p = expect(0, RUN("keys s\n", "env", wrong_env, AGENT, "--db", path, "--passphrase-command", cat));
	assert_contains(p.out, ed.fp);
	proc_free(&p);
	assert_int_equal(access(marker, F_OK), -1);

	/* Both: a usage error, before anything runs. */
	p = expect(2, RUN(NULL, VAULT, "--db", path, "--passphrase-file", pf, "--passphrase-command",
	                  tu_fmt("touch '%s'", marker), "keys", "s"));
	assert_contains(p.err, "vault: give --passphrase-file or --passphrase-command, not both\nusage: vault");
	proc_free(&p);
	p = expect(2, RUN("keys s\n", AGENT, "--db", path, "--passphrase-file", pf, "--passphrase-command", cat));
	assert_contains(p.err, "vault-agent: give --passphrase-file or --passphrase-command, not both\nusage: vault-agent");
	assert_string_equal(p.out, "");
	proc_free(&p);
	p = expect(2, RUN(NULL, "env", file_env, marking_env, VAULT, "--db", path, "keys", "s"));
	assert_contains(p.err, "VAULT_PASSPHRASE_FILE and VAULT_PASSPHRASE_COMMAND are both set");
	proc_free(&p);
	assert_int_equal(access(marker, F_OK), -1);

	/* Files that hold no passphrase, or not this one. */
	p = expect(1, RUN(NULL, VAULT, "--db", path, "--passphrase-file", empty, "keys", "s"));
	assert_string_equal(p.err, tu_fmt("vault: the passphrase file '%s' (--passphrase-file) holds no passphrase (it "
	                                  "is empty)\n",
	                                  empty));
	proc_free(&p);
	p = expect(1, RUN("keys s\n", "env", tu_fmt("VAULT_PASSPHRASE_FILE=%s", newline), AGENT, "--db", path));
	assert_string_equal(p.err, tu_fmt("vault-agent: the passphrase file '%s' (VAULT_PASSPHRASE_FILE) holds no "
	                                  "passphrase (it is empty)\n",
	                                  newline));
	proc_free(&p);
	p = expect(1, RUN(NULL, VAULT, "--db", path, "--passphrase-file", tu_fmt("%s/none.txt", scratch()), "keys", "s"));
	assert_contains(p.err, "cannot read the passphrase file");
	assert_contains(p.err, "No such file or directory");
	proc_free(&p);
	p = expect(1, RUN(NULL, VAULT, "--db", path, "--passphrase-file", two, "keys", "s")); /* one newline stripped */
	assert_contains(p.err, "the passphrase does not open it");
	proc_free(&p);

	/* Commands that fail: their exit status said, their output never;
	 * their standard error passes through. */
	p = expect(1, RUN(NULL, VAULT, "--db", path, "--passphrase-command",
	                  tu_fmt("%s; echo 'the command speaks' >&2; exit 3", cat), "keys", "s"));
	assert_string_equal(p.out, "");
	assert_string_equal(p.err, "the command speaks\nvault: the passphrase command (--passphrase-command) failed "
	                           "with exit status 3; nothing was opened\n");
	proc_free(&p);
	p = expect(1, RUN("keys s\n", "env", "VAULT_PASSPHRASE_COMMAND=exit 4", AGENT, "--db", path));
	assert_string_equal(p.out, "");
	assert_string_equal(p.err, "vault-agent: the passphrase command (VAULT_PASSPHRASE_COMMAND) failed with exit "
	                           "status 4; nothing was opened\n");
	proc_free(&p);
	p = expect(1, RUN(NULL, VAULT, "--db", path, "--passphrase-command", "true", "keys", "s"));
	assert_contains(p.err, "the passphrase command's output (--passphrase-command) holds no passphrase");
	proc_free(&p);

	p = expect(0, RUN(NULL, VAULT, "--help"));
	assert_contains(p.out, "--passphrase-file PATH | --passphrase-command CMD");
	assert_contains(p.out, "VAULT_PASSPHRASE_FILE and VAULT_PASSPHRASE_COMMAND");
	proc_free(&p);
	p = expect(0, RUN(NULL, AGENT, "--help"));
	assert_contains(p.out, "--passphrase-file PATH | --passphrase-command CMD");
	proc_free(&p);
	assert_untouched(path, hex, &mtime, 1);
	assert_no_wal_files(path);
	free_key(&ed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(agent_first_on_missing_and_empty_files),
		cmocka_unit_test(programs_work_and_refuse_bad_input),
		cmocka_unit_test(v0_file_is_upgraded_in_place),
		cmocka_unit_test(baseline_equals_the_steps_on_a_v0_file_with_data),
		cmocka_unit_test(unstamped_current_shape_file_opens),
		cmocka_unit_test(v1_file_gets_the_token_rename),
		cmocka_unit_test(current_file_open_writes_nothing),
		cmocka_unit_test(files_are_wal_and_reads_never_wait),
		cmocka_unit_test(keys_come_in_assignment_order),
		cmocka_unit_test(newer_file_is_refused_untouched),
		cmocka_unit_test(corrupt_key_is_refused_by_name),
		cmocka_unit_test(many_processes_open_one_v0_file),
		cmocka_unit_test(encrypted_new_file_is_encrypted_and_reopens),
		cmocka_unit_test(encrypted_v0_file_is_upgraded_in_place),
		cmocka_unit_test(encrypted_current_file_open_writes_nothing),
		cmocka_unit_test(wrong_or_missing_passphrase_changes_nothing),
		cmocka_unit_test(many_processes_open_one_encrypted_v0_file),
		cmocka_unit_test(passphrase_options_and_variables),
	};
	signal(SIGPIPE, SIG_IGN);
	srand((unsigned)getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
