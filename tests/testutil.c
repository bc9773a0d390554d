/*
 * testutil.c — the shared test helpers declared in testutil.h.
 */
#define _GNU_SOURCE
#include "engine.h"

#include <ftw.h>
#include <grp.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOBODY 65534

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

const char *tu_in(const char *dir, const char *name)
{
	return tu_keep(tu_fmt("%s/%s", dir, name));
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

const char *tu_table_steps_dir(int steps, const char *id_type, const char *text_type)
{
	const char *dir = tu_tmpdir();
	for (int v = 1; v <= steps; v++)
		tu_write(dir, tu_fmt("%04d_t%d.up.sql", v, v),
		         tu_fmt("CREATE TABLE t%d (id %s PRIMARY KEY, v %s);\n"
		                "INSERT INTO t%d (v) VALUES ('a'), ('b'), ('c');\n"
		                "CREATE INDEX t%d_v ON t%d (v);\n",
		                v, id_type, text_type, v, v, v));
	return dir;
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
	return tu_db_open(tu_fmt("sqlite:%s", path), store, NULL);
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

void tu_buf_add(tu_buf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->buf = realloc(b->buf, b->cap);
		assert_non_null(b->buf);
	}
	memcpy(b->buf + b->len, s, n + 1);
	b->len += n;
}

void tu_buf_add_field(tu_buf *b, int column, const char *value)
{
	if (column > 0)
		tu_buf_add(b, "|");
	tu_buf_add(b, value ? value : "NULL");
}

void tu_assert_text_is(const char *what, char *text, const char *expected)
{
	if (strcmp(text, expected) != 0) {
		fprintf(stderr, "%s\n  expected: %s\n  got:      %s\n", what, expected, text);
		free(text);
		fail();
	}
	free(text);
}

void tu_sqlite_rows(sqlite3 *db, const char *sql, tu_buf *sb)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(stmt); i++)
			tu_buf_add_field(sb, i, (const char *)sqlite3_column_text(stmt, i));
		tu_buf_add(sb, "\n");
	}
	if (rc != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
}

char *tu_text(const char *path, const char *sql)
{
	return tu_query_text(&tu_sqlite_engine, path, sql);
}

void tu_assert_text(const char *path, const char *sql, const char *expected)
{
	tu_assert_rows(&tu_sqlite_engine, path, sql, expected);
}

int64_t tu_int(const char *path, const char *sql)
{
	return tu_scalar(&tu_sqlite_engine, path, sql);
}

char *tu_snapshot(const char *path)
{
	sqlite3 *db = tu_sqlite(path);
	sqlite3_stmt *stmt = NULL;
	tu_buf sb = {0};

	tu_buf_add(&sb, "-- schema\n");
	tu_sqlite_rows(db, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name", &sb);
	tu_buf_add(&sb, "-- user_version\n");
	tu_sqlite_rows(db, "PRAGMA user_version", &sb);
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name", -1, &stmt,
	                       NULL) != SQLITE_OK)
		fail_msg("snapshot: %s", sqlite3_errmsg(db));
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		char *sql = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY 1", (const char *)sqlite3_column_text(stmt, 0));
		tu_buf_add(&sb, "-- table ");
		tu_buf_add(&sb, (const char *)sqlite3_column_text(stmt, 0));
		tu_buf_add(&sb, "\n");
		tu_sqlite_rows(db, sql, &sb);
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
	tu_assert_message(code, expected, ladder_error_last()->message, needle);
}

void tu_assert_message(int code, int expected, const char *message, const char *needle)
{
	if (code != expected)
		fail_msg("expected code %d (%s), got %d: %s", expected, ladder_strerror(expected), code, message);
	if (needle != NULL && strstr(message, needle) == NULL)
		fail_msg("error message lacks \"%s\": %s", needle, message);
}

double tu_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int tu_fork_many(int n, int (*child)(int i, void *ctx), void *ctx, int *statuses)
{
	int gate[2];
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	int failures = 0;

	assert_non_null(pids);
	assert_int_equal(pipe(gate), 0);
	fflush(NULL);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char byte;
			close(gate[1]);
			(void)!read(gate[0], &byte, 1); /* EOF when the parent opens the gate */
			_exit(child(i, ctx));
		}
	}
	close(gate[0]);
	close(gate[1]); /* open the gate: every child starts at once */
	for (int i = 0; i < n; i++) {
		int status = 0;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failures++;
		if (statuses != NULL)
			statuses[i] = status;
	}
	free(pids);
	return failures;
}

typedef struct {
	const char *target;
	const ladder_plan *plan;
	const unsigned int *flags;
	int nflags;
	int results[2];
} migrate_many_ctx;

static int migrate_one(int i, void *arg)
{
	migrate_many_ctx *m = arg;
	ladder_db *db = NULL;
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	ladder_result result;
	unsigned long long applied;
	int error;

	close(m->results[0]);
	opts.flags = m->flags[i % m->nflags];
	error = ladder_db_open(&db, m->target, NULL);
	if (error == 0)
		error = ladder_migrate(&result, db, m->plan, &opts);
	if (error < 0) {
		fprintf(stderr, "child %d: %s\n", i, ladder_error_last()->message);
		return 1;
	}
	ladder_db_close(db);
	applied = result.applied;
	(void)!write(m->results[1], &applied, sizeof(applied));
	return 0;
}

size_t tu_migrate_many(int n, const char *target, const ladder_plan *plan, const unsigned int *flags, int nflags)
{
	migrate_many_ctx m = {target, plan, flags, nflags, {-1, -1}};
	size_t total = 0;
	int failures;

	assert_int_equal(pipe(m.results), 0);
	failures = tu_fork_many(n, migrate_one, &m, NULL);
	close(m.results[1]);
	for (;;) {
		unsigned long long applied;
		if (read(m.results[0], &applied, sizeof(applied)) != (ssize_t)sizeof(applied))
			break;
		total += applied;
	}
	close(m.results[0]);
	assert_int_equal(failures, 0);
	return total;
}

pid_t tu_spawn_migrator(const char *target, const ladder_plan *plan, unsigned int flags)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		ladder_db *db = NULL;
		ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
		opts.flags = flags;
		if (ladder_db_open(&db, target, NULL) < 0 || ladder_migrate(NULL, db, plan, &opts) < 0) {
			fprintf(stderr, "migrator: %s\n", ladder_error_last()->message);
			_exit(1);
		}
		ladder_db_close(db);
		_exit(0);
	}
	return pid;
}

void tu_migrate_in_child(const char *target, const ladder_plan *plan)
{
	int status;
	pid_t pid = tu_spawn_migrator(target, plan, 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int tu_as_nobody(int (*fn)(void *ctx), void *ctx, const char *who, char *message, size_t size)
{
	int fds[2];
	pid_t pid;
	int status = 0;
	size_t len = 0;
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int code;
		close(fds[0]);
		if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0))
			_exit(100);
		code = fn(ctx);
		if (code < 0) {
			const char *m = ladder_error_last()->message;
			if (write(fds[1], m, strlen(m)) < 0)
				_exit(101);
		}
		close(fds[1]);
		_exit(code < 0 ? -code : 0);
	}
	close(fds[1]);
	while (len + 1 < size && (n = read(fds[0], message + len, size - 1 - len)) > 0)
		len += (size_t)n;
	message[len] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status))
		fail_msg("the %s child died (status %d)", who, status);
	if (WEXITSTATUS(status) >= 100)
		fail_msg("the %s child could not become nobody (%d) or report back", who, NOBODY);
	return -WEXITSTATUS(status);
}
