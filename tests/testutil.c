/*
 * testutil.c — the shared test helpers declared in testutil.h.
 */
#define _GNU_SOURCE
#include "testutil.h"

#include <ftw.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dirs[256];
static int ndirs;
static char *kept[1024];
static int nkept;
static pid_t owner_pid;

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static void remove_dirs(void)
{
	/* Forked children exit through here too: only the creator cleans. */
	if (getpid() != owner_pid)
		return;
	for (int i = 0; i < ndirs; i++) {
		nftw(dirs[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(dirs[i]);
	}
	ndirs = 0;
	for (int i = 0; i < nkept; i++)
		free(kept[i]);
	nkept = 0;
}

const char *tu_keep(const char *s)
{
	if (nkept == 0 && ndirs == 0) {
		owner_pid = getpid();
		atexit(remove_dirs);
	}
	assert_true(nkept < 1024);
	kept[nkept] = strdup(s);
	assert_non_null(kept[nkept]);
	return kept[nkept++];
}

const char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if (asprintf(&dir, "%s/ladder-test-XXXXXX", base) < 0 || mkdtemp(dir) == NULL)
		fail_msg("cannot create a scratch directory under %s", base);
	if (ndirs == 0 && nkept == 0) {
		owner_pid = getpid();
		atexit(remove_dirs);
	}
	assert_true(ndirs < 256);
	dirs[ndirs++] = dir;
	return dir;
}

const char *tu_fmt(const char *fmt, ...)
{
	static char ring[16][4096];
	static int next;
	char *buf = ring[next++ % 16];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(ring[0]), fmt, ap);
	va_end(ap);
	return buf;
}

void tu_write_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		fail_msg("cannot write %s", path);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

void tu_write(const char *dir, const char *name, const char *content)
{
	tu_write_bytes(tu_fmt("%s/%s", dir, name), content, strlen(content));
}

ladder_plan *tu_plan(const char *dir)
{
	ladder_plan *plan = NULL;
	int error = ladder_plan_load_dir(&plan, dir);
	if (error < 0)
		fail_msg("loading %s: %s", dir, ladder_error_last()->message);
	return plan;
}

ladder_db *tu_open_store(const char *path, const char *store)
{
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_db *db = NULL;
	opts.store = store;
	if (ladder_db_open(&db, tu_fmt("sqlite:%s", path), &opts) < 0)
		fail_msg("opening %s: %s", path, ladder_error_last()->message);
	return db;
}

ladder_db *tu_open(const char *path)
{
	return tu_open_store(path, NULL);
}

int tu_up(ladder_db *db, const ladder_plan *plan, unsigned int flags)
{
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	opts.flags = flags;
	return ladder_migrate(NULL, db, plan, &opts);
}

sqlite3 *tu_sqlite(const char *path)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		fail_msg("sqlite3_open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_busy_timeout(db, 30000);
	return db;
}

typedef struct {
	char *buf;
	size_t len, cap;
} strbuf;

static void sb_add(strbuf *sb, const char *s)
{
	size_t n = strlen(s);
	if (sb->len + n + 1 > sb->cap) {
		sb->cap = (sb->len + n + 1) * 2;
		sb->buf = realloc(sb->buf, sb->cap);
		assert_non_null(sb->buf);
	}
	memcpy(sb->buf + sb->len, s, n + 1);
	sb->len += n;
}

static void rows_into(sqlite3 *db, const char *sql, strbuf *sb)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(stmt); i++) {
			const unsigned char *v = sqlite3_column_text(stmt, i);
			if (i > 0)
				sb_add(sb, "|");
			sb_add(sb, v ? (const char *)v : "NULL");
		}
		sb_add(sb, "\n");
	}
	if (rc != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
}

char *tu_text(const char *path, const char *sql)
{
	sqlite3 *db = tu_sqlite(path);
	strbuf sb = {0};
	sb_add(&sb, "");
	rows_into(db, sql, &sb);
	sqlite3_close(db);
	return sb.buf;
}

void tu_assert_text(const char *path, const char *sql, const char *expected)
{
	char *text = tu_text(path, sql);
	if (strcmp(text, expected) != 0) {
		fprintf(stderr, "%s\n  expected: %s\n  got:      %s\n", sql, expected, text);
		free(text);
		fail();
	}
	free(text);
}

int64_t tu_int(const char *path, const char *sql)
{
	sqlite3 *db = tu_sqlite(path);
	sqlite3_stmt *stmt = NULL;
	int64_t value = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(stmt) == SQLITE_ROW)
		value = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return value;
}

char *tu_snapshot(const char *path)
{
	sqlite3 *db = tu_sqlite(path);
	sqlite3_stmt *stmt = NULL;
	strbuf sb = {0};

	sb_add(&sb, "-- schema\n");
	rows_into(db, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name", &sb);
	sb_add(&sb, "-- user_version\n");
	rows_into(db, "PRAGMA user_version", &sb);
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name", -1, &stmt,
	                       NULL) != SQLITE_OK)
		fail_msg("snapshot: %s", sqlite3_errmsg(db));
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		char *sql = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY 1", (const char *)sqlite3_column_text(stmt, 0));
		sb_add(&sb, "-- table ");
		sb_add(&sb, (const char *)sqlite3_column_text(stmt, 0));
		sb_add(&sb, "\n");
		rows_into(db, sql, &sb);
		sqlite3_free(sql);
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return sb.buf;
}

void tu_file_fingerprint(const char *path, char hex[65], struct timespec *mtime)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	struct stat st;
	FILE *f = fopen(path, "rb");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char buf[65536];
	size_t n;

	assert_non_null(f);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		EVP_DigestUpdate(ctx, buf, n);
	EVP_DigestFinal_ex(ctx, md, &md_len);
	EVP_MD_CTX_free(ctx);
	fclose(f);
	for (unsigned int i = 0; i < md_len; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	assert_int_equal(stat(path, &st), 0);
	*mtime = st.st_mtim;
}

void tu_assert_error(int code, int expected, const char *needle)
{
	const char *message = ladder_error_last()->message;
	if (code != expected)
		fail_msg("expected code %d (%s), got %d: %s", expected, ladder_strerror(expected), code, message);
	if (needle != NULL && strstr(message, needle) == NULL)
		fail_msg("error message lacks \"%s\": %s", needle, message);
}
