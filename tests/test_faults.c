/*
 * test_faults.c — every allocation libladder makes, failed in turn: the
 * fault seam of ladder_config_allocator, as SQLite's tests use
 * SQLITE_CONFIG_MALLOC. The allocator here counts the calls, fails exactly
 * the Nth (or, "sticky", the Nth and every later one) and tracks the live
 * blocks and bytes, so the test proves no leak even without ASan.
 *
 * For each operation (plan loads of every file format and a refused one, a
 * plan from a definition, open, migrate from empty, from part way, with a
 * baseline, in the user_version store, to a failing step and over another
 * tool's table, down, status, history, step inspect, a wrapped handle,
 * adopt, repair, dump and verify) a clean run counts its K allocations;
 * then for N = 1..K the call runs on a fresh copy of the same SQLite file
 * with allocation N failing, and must
 *   - return LADDER_ENOMEM with a message saying "out of memory", or the
 *     clean run's outcome exactly (an allocation it could do without);
 *   - leak no block once its objects are freed, and set its output to NULL;
 *   - leave no transaction open, and the file's schema, every table's rows
 *     and user_version exactly as they were;
 *   - with failures off, give the clean outcome on the same handle.
 * Runs that commit part way (a transaction per step, no-transaction steps)
 * are held to what they promise instead: the file stands at a version the
 * status and the message name, or at a step recorded as started that the
 * message names with its repair (walk_committing).
 *
 * LADDER_FAULT_STRIDE=S walks every Sth N only (default 1: every N);
 * LADDER_FAULT_VERBOSE=1 prints each run's outcome.
 */
#define _GNU_SOURCE /* vasprintf */
#include "testutil.h"

#include <ladder/sqlite.h>
#include <ladder/sys/alloc.h>
#include <dirent.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- the fault allocator ---------------------------------------------------------- */

#define BLOCK_MAGIC 0x1adde5u
#define HEADER_SIZE (alignof(max_align_t) > 16 ? alignof(max_align_t) : 16)

typedef struct header {
	size_t size;
	unsigned int magic;
} header;

static struct {
	long calls;        /* alloc and resize calls since the last fault_arm */
	long fail_at;      /* 0: fail nothing */
	int sticky;        /* fail fail_at and every later call */
	long failed;       /* calls failed since the last fault_arm */
	long live;         /* blocks handed out and not released */
	size_t live_bytes;
} F;

static int should_fail(void)
{
	long n = ++F.calls;
	if (F.fail_at > 0 && (n == F.fail_at || (F.sticky && n > F.fail_at))) {
		F.failed++;
		return 1;
	}
	return 0;
}

static header *header_of(void *pointer)
{
	header *h = (header *)((char *)pointer - HEADER_SIZE);
	if (h->magic != BLOCK_MAGIC) {
		fprintf(stderr, "test_faults: ladder released or resized %p, which its allocator never handed out\n",
		        pointer);
		abort();
	}
	return h;
}

static void *fault_alloc(void *ctx, size_t size)
{
	header *h;
	(void)ctx;
	if (should_fail() || (h = malloc(HEADER_SIZE + size)) == NULL)
		return NULL;
	h->size = size;
	h->magic = BLOCK_MAGIC;
	F.live++;
	F.live_bytes += size;
	return (char *)h + HEADER_SIZE;
}

static void *fault_resize(void *ctx, void *pointer, size_t size)
{
	header *h, *grown;
	size_t old;

	if (pointer == NULL)
		return fault_alloc(ctx, size);
	h = header_of(pointer);
	old = h->size;
	if (should_fail() || (grown = realloc(h, HEADER_SIZE + size)) == NULL)
		return NULL;
	grown->size = size;
	F.live_bytes = F.live_bytes - old + size;
	return (char *)grown + HEADER_SIZE;
}

static void fault_release(void *ctx, void *pointer)
{
	header *h = header_of(pointer);
	(void)ctx;
	F.live--;
	F.live_bytes -= h->size;
	h->magic = 0;
	free(h);
}

static const ladder_allocator fault_allocator = {LADDER_ALLOCATOR_VERSION, fault_alloc, fault_resize,
                                                 fault_release, NULL};

/* Count from zero again, failing call n (0: none), and every later one when sticky. */
static void fault_arm(long n, int sticky)
{
	F.calls = 0;
	F.failed = 0;
	F.fail_at = n;
	F.sticky = sticky;
}

static void fault_off(void)
{
	F.fail_at = 0;
}

/* --- the migrations ------------------------------------------------------------------ */

/* Four transactional steps in three file formats: a pair with rows, a
 * dbmate file, a step wrapped in BEGIN; ... COMMIT; with a post-condition,
 * and a foreign-keys-off table rebuild. Every one has a down. */
static void write_steps(const char *dir)
{
	tu_write(dir, "1_users.up.sql",
	         "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n"
	         "INSERT INTO users (email) VALUES ('a@example.org'), ('b@example.org');\n");
	tu_write(dir, "1_users.down.sql", "DROP TABLE users;\n");
	tu_write(dir, "2_notes.sql",
	         "-- migrate:up\n"
	         "CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), body TEXT);\n"
	         "INSERT INTO notes (user_id, body) VALUES (1, 'hello; world'), (2, 'bye');\n"
	         "-- migrate:down\n"
	         "DROP TABLE notes;\n");
	tu_write(dir, "3_names.up.sql",
	         "BEGIN;\n"
	         "ALTER TABLE users ADD COLUMN name TEXT;\n"
	         "UPDATE users SET name = 'user ' || id;\n"
	         "COMMIT;\n");
	tu_write(dir, "3_names.check.sql", "SELECT id FROM users WHERE name IS NULL");
	tu_write(dir, "3_names.down.sql", "ALTER TABLE users DROP COLUMN name;\n");
	tu_write(dir, "4_rebuild.up.sql",
	         "-- ladder:foreign-keys off\n"
	         "CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);\n"
	         "INSERT INTO users_new SELECT id, email, name FROM users;\n"
	         "DROP TABLE users;\n"
	         "ALTER TABLE users_new RENAME TO users;\n");
	tu_write(dir, "4_rebuild.down.sql",
	         "PRAGMA foreign_keys = OFF;\n"
	         "CREATE TABLE users_old (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);\n"
	         "INSERT INTO users_old SELECT id, email, name FROM users;\n"
	         "DROP TABLE users;\n"
	         "ALTER TABLE users_old RENAME TO users;\n"
	         "PRAGMA foreign_keys = ON;\n");
}

static const char *steps_dir(void)
{
	static const char *dir;
	if (dir == NULL) {
		dir = tu_tmpdir();
		write_steps(dir);
	}
	return dir;
}

/* The steps, a baseline at 4 and a no-transaction step 5. */
static const char *full_dir(void)
{
	static const char *dir;
	if (dir == NULL) {
		dir = tu_tmpdir();
		write_steps(dir);
		tu_write(dir, "4_schema.baseline.sql",
		         "-- ladder:floor 1\n"
		         "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);\n"
		         "CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), body TEXT);\n");
		tu_write(dir, "5_by_body.up.sql",
		         "-- ladder:no-transaction\n"
		         "CREATE INDEX notes_body ON notes (body);\n"
		         "VACUUM;\n");
		tu_write(dir, "5_by_body.down.sql", "-- ladder:no-transaction\nDROP INDEX notes_body;\n");
	}
	return dir;
}

/* Every other shape the loader reads, mixed in one directory: goose and
 * sql-migrate files, a doubled dot, a dash after the version, morph's
 * marker, a placeholder, an irreversible step and a diesel folder. */
static const char *formats_dir(void)
{
	const char *dir = tu_tmpdir();
	const char *diesel = tu_keep(tu_fmt("%s/2019-01-01-000000_diesel", dir));

	tu_write(dir, "1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
	tu_write(dir, "1_drop_a.down.sql", "DROP TABLE a;\n");
	tu_write(dir, "2_goose.sql",
	         "-- Thank you for giving goose a try!\n"
	         "-- +goose NO TRANSACTION\n"
	         "-- +goose Up\n"
	         "CREATE TABLE g (x);\n"
	         "-- +goose StatementBegin\n"
	         "CREATE TRIGGER g_t AFTER INSERT ON g BEGIN\n  UPDATE g SET x = 1; SELECT 2;\nEND;\n"
	         "-- +goose StatementEnd\n"
	         "-- +goose Down\n"
	         "DROP TABLE g;\n");
	tu_write(dir, "3-sql_migrate.sql",
	         "-- +migrate Up notransaction\nCREATE TABLE s (x);\n-- +migrate Down\nDROP TABLE s;\n");
	tu_write(dir, "4_dotted_v1.2.up..sql", "CREATE TABLE d (x);\n");
	tu_write(dir, "5_morph.up.sql", "-- morph:nontransactional\nCREATE TABLE m (x);\n");
	tu_write(dir, "6_placeholder.up.sql", "-- nothing yet\n");
	tu_write(dir, "7_final.up.sql", "-- ladder:irreversible\nCREATE TABLE f (x);\n");
	tu_write(dir, "7_final.down.sql", "");
	assert_int_equal(mkdir(diesel, 0700), 0);
	tu_write(diesel, "up.sql", "CREATE TABLE e (x);\n");
	tu_write(diesel, "down.sql", "DROP TABLE e;\n");
	tu_write(diesel, "metadata.toml", "run_in_transaction = false\n");
	return dir;
}

/* --- database files ---------------------------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long size;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	data = malloc((size_t)size + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	*len = (size_t)size;
	return data;
}

/* Put the file at path back to the bytes of template (no journal left). */
static void reset_file(const char *path, const char *template_path)
{
	size_t len;
	char *data = read_file(template_path, &len);

	unlink(tu_fmt("%s-journal", path));
	unlink(tu_fmt("%s-wal", path));
	unlink(tu_fmt("%s-shm", path));
	tu_write_bytes(path, data, len);
	free(data);
}

static void exec_raw(const char *path, const char *sql)
{
	sqlite3 *db = tu_sqlite(path);
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	sqlite3_close(db);
}

/* tu_snapshot with the history's applied_at and duration_ms masked: what
 * two runs of the same steps at different times agree on. */
static char *masked_snapshot(const char *path)
{
	char *text = tu_snapshot(path);
	char *history = strstr(text, "-- table ladder_history\n");
	tu_buf out = {0};
	char *line, *end, saved;

	if (history == NULL)
		return text;
	line = strchr(history, '\n') + 1;
	saved = *line;
	*line = '\0';
	tu_buf_add(&out, text);
	*line = saved;
	/* version|name|kind|checksum|chain|state|applied_at|duration_ms */
	for (; *line != '\0' && strncmp(line, "-- ", 3) != 0; line = end + 1) {
		char *bar = line;
		end = strchr(line, '\n');
		assert_non_null(end);
		*end = '\0';
		for (int i = 0; i < 6 && bar != NULL; i++)
			bar = strchr(bar, '|') ? strchr(bar, '|') + 1 : NULL;
		assert_non_null(bar);
		*bar = '\0';
		tu_buf_add(&out, line);
		tu_buf_add(&out, "*|*\n");
	}
	tu_buf_add(&out, line);
	free(text);
	return out.buf;
}

/* --- operations ------------------------------------------------------------------------ */

/* One walked call. run() makes it (with whatever fails failing), frees
 * everything it got, and returns its code with a text describing its
 * result in *out (malloc'd, only on success) to compare with the clean run. */
typedef struct op op;
struct op {
	const char *name;
	const char *template_db;  /* the starting file, or NULL: no database */
	const char *store;        /* version store spec, NULL: history */
	int keep_handle;          /* the call runs on a handle opened before it */
	int fails;                /* the clean call fails (a broken plan or step) */
	int (*run)(op *o, char **out);
	ladder_plan *plan;
	ladder_run_options opts;
	const char *from;              /* adopt; plan load: the directory */
	const ladder_plan_def *def;    /* plan from a definition */
	ladder_repair_action action;   /* repair */
	int64_t version;               /* repair */
	/* set by the walk */
	const char *path;
	ladder_db *db;
};

static char *text_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *text_of(const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	assert_non_null(text);
	return text;
}

static char *result_text(const ladder_result *r)
{
	return text_of("from %lld to %lld applied %zu fast %d", (long long)r->from_version, (long long)r->to_version,
	               r->applied, r->fast_path);
}

static void add_def(tu_buf *b, const ladder_migration_def *d, const char *checksum)
{
	char line[4096];
	snprintf(line, sizeof(line), "%lld %s [%s] up %s|%s down %s|%s flags %u/%u check %s src %s:%d %s:%d\n",
	         (long long)d->version, d->name, checksum, d->up_sql ? d->up_sql : "-", d->up_fn ? "fn" : "",
	         d->down_sql ? d->down_sql : "-", d->down_fn ? "fn" : "", d->up_flags, d->down_flags,
	         d->check_sql ? d->check_sql : "-", d->source ? d->source : "-", d->up_line,
	         d->down_source ? d->down_source : "-", d->down_line);
	tu_buf_add(b, line);
}

static char *plan_text(const ladder_plan *plan)
{
	tu_buf b = {0};
	tu_buf_add(&b, tu_fmt("head %lld floor %lld\n", (long long)ladder_plan_head(plan),
	                      (long long)ladder_plan_floor(plan)));
	for (size_t i = 0; i < ladder_plan_count(plan); i++)
		add_def(&b, ladder_plan_at(plan, i), ladder_plan_checksum(plan, i));
	if (ladder_plan_baseline(plan) != NULL)
		add_def(&b, ladder_plan_baseline(plan), ladder_plan_baseline_checksum(plan));
	return b.buf;
}

static char *status_text(const ladder_status *s)
{
	tu_buf b = {0};
	tu_buf_add(&b, tu_fmt("current %lld head %lld pending %zu problems %zu empty %d store %s floor %d note %s\n",
	                      (long long)s->current, (long long)s->head, s->pending, s->problems, s->empty, s->store,
	                      s->below_floor, s->note ? s->note : "-"));
	for (size_t i = 0; i < s->count; i++) {
		const ladder_status_entry *e = &s->entries[i];
		tu_buf_add(&b, tu_fmt("%lld %s %s %s %lld %s %s %d\n", (long long)e->version, e->name,
		                      ladder_state_name(e->state), e->applied_at ? e->applied_at : "-",
		                      (long long)e->duration_ms, e->checksum ? e->checksum : "-", e->kind, e->empty));
	}
	return b.buf;
}

/* What a call that hands out an object gave: on failure it must have set
 * its output to NULL (the caller had put a sentinel there); on success the
 * object's text, after which the object is freed. */
static int with_plan(int error, ladder_plan *plan, char **out)
{
	if (error < 0) {
		assert_null(plan);
		return error;
	}
	*out = plan_text(plan);
	ladder_plan_free(plan);
	return 0;
}

static int with_status(int error, ladder_status *status, char **out)
{
	if (error < 0) {
		assert_null(status);
		return error;
	}
	*out = status_text(status);
	ladder_status_free(status);
	return 0;
}

static int with_result(int error, const ladder_result *r, char **out)
{
	if (error == 0)
		*out = result_text(r);
	return error;
}

/* A sentinel that a failed call must replace with NULL. */
#define SENTINEL(type, var) type *var = (type *)&var

static int run_load(op *o, char **out)
{
	SENTINEL(ladder_plan, plan);
	int error = ladder_plan_load_dir(&plan, o->from);
	return with_plan(error, plan, out);
}

static int run_plan_from_def(op *o, char **out)
{
	SENTINEL(ladder_plan, plan);
	int error = ladder_plan_from_def(&plan, o->def);
	return with_plan(error, plan, out);
}

static int run_open(op *o, char **out)
{
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	SENTINEL(ladder_db, db);
	int error;

	opts.store = o->store;
	opts.flags = LADDER_OPEN_EXISTING;
	error = ladder_db_open(&db, tu_fmt("sqlite:%s", o->path), &opts);
	if (error < 0) {
		assert_null(db);
		return error;
	}
	*out = text_of("%s %s", ladder_db_engine(db), ladder_db_display_name(db));
	ladder_db_close(db);
	return 0;
}

static int run_migrate(op *o, char **out)
{
	ladder_result r;
	int error = ladder_migrate(&r, o->db, o->plan, &o->opts);
	return with_result(error, &r, out);
}

static int run_down(op *o, char **out)
{
	ladder_result r;
	int error = ladder_down(&r, o->db, o->plan, &o->opts);
	return with_result(error, &r, out);
}

static int run_adopt(op *o, char **out)
{
	ladder_result r;
	int error = ladder_adopt(&r, o->db, o->plan, o->from);
	return with_result(error, &r, out);
}

static int run_repair(op *o, char **out)
{
	ladder_result r;
	int error = ladder_repair(&r, o->db, o->plan, o->action, o->version);
	return with_result(error, &r, out);
}

static int run_status(op *o, char **out)
{
	SENTINEL(ladder_status, status);
	int error = ladder_status_get(&status, o->db, o->plan);
	return with_status(error, status, out);
}

static int run_history(op *o, char **out)
{
	SENTINEL(ladder_status, status);
	int error = ladder_history_get(&status, o->db);
	return with_status(error, status, out);
}

static int run_dump(op *o, char **out)
{
	SENTINEL(char, text);
	int error = ladder_dump(&text, o->db);

	if (error < 0) {
		assert_null(text);
		return error;
	}
	*out = strdup(text);
	ladder_free(text);
	return 0;
}

/* How every step of the plan runs, both ways. */
static int run_inspect(op *o, char **out)
{
	tu_buf b = {0};
	int error = 0;

	tu_buf_add(&b, "");
	for (size_t i = 0; i < ladder_plan_count(o->plan) && error == 0; i++) {
		for (int down = 0; down < 2 && error == 0; down++) {
			ladder_step_info info;
			int64_t v = ladder_plan_at(o->plan, i)->version;
			if ((error = ladder_step_inspect(&info, o->db, o->plan, v, down ? LADDER_DOWN : LADDER_UP, 0)) == 0)
				tu_buf_add(&b, tu_fmt("%lld %s: %u %u %d %d %s\n", (long long)v, down ? "down" : "up", info.flags,
				                      info.detected, info.unwrapped, info.unread, info.reason));
		}
	}
	if (error == 0)
		*out = b.buf;
	else
		free(b.buf);
	return error;
}

/* An application's own handle, wrapped, migrated and handed back. */
static int run_wrap(op *o, char **out)
{
	sqlite3 *handle = tu_sqlite(o->path);
	SENTINEL(ladder_db, db);
	ladder_result r;
	int error = ladder_sqlite_wrap(&db, handle, NULL);

	if (error < 0)
		assert_null(db);
	else if ((error = ladder_migrate(&r, db, o->plan, NULL)) == 0)
		*out = result_text(&r);
	ladder_db_close(db);
	/* The handle is the application's: open, and outside any transaction. */
	if (!sqlite3_get_autocommit(handle))
		fail_msg("%s: the wrapped handle was left inside a transaction", o->name);
	assert_int_equal(sqlite3_close(handle), SQLITE_OK);
	return error;
}

/* Verify makes its scratch databases under $TMPDIR, which walk_verify()
 * points at a directory of its own: every run must leave it empty. */
static const char *verify_tmp;

static void assert_dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			fail_msg("verify left %s/%s behind", dir, e->d_name);
	closedir(d);
}

static int run_verify(op *o, char **out)
{
	SENTINEL(ladder_verify_report, report);
	int error = ladder_verify(&report, NULL, o->plan, NULL);

	assert_dir_empty(verify_tmp);
	if (error < 0 && error != LADDER_ECHECK) {
		assert_null(report);
		return error;
	}
	*out = text_of("%d %zu %zu %zu %zu %zu\n%s", error, report->checks, report->passed, report->warnings,
	               report->failures, report->skipped, report->text);
	ladder_verify_report_free(report);
	return 0;
}

/* --- the walk -------------------------------------------------------------------------- */

static long stride(void)
{
	const char *s = getenv("LADDER_FAULT_STRIDE");
	long n = s ? strtol(s, NULL, 10) : 1;
	return n > 0 ? n : 1;
}

static void start(op *o)
{
	if (o->template_db != NULL)
		reset_file(o->path, o->template_db);
	if (o->keep_handle)
		o->db = tu_open_store(o->path, o->store);
}

static void finish(op *o)
{
	ladder_db_close(o->db);
	o->db = NULL;
}

/* A call's outcome: its code and the text of its result, or its message. */
typedef struct outcome {
	int code;
	char *text;
} outcome;

static void run_once(op *o, outcome *out)
{
	out->text = NULL;
	out->code = o->run(o, &out->text);
	if (out->code < 0) {
		out->text = strdup(ladder_error_last()->message);
		assert_non_null(out->text);
	}
}

static int same_outcome(const outcome *a, const outcome *b)
{
	return a->code == b->code && strcmp(a->text, b->text) == 0;
}

/* "allocation 7 failed (and later)", or "the clean run" for n = 0. */
static const char *which(long n, int sticky)
{
	return n == 0 ? "the clean run" : tu_fmt("allocation %ld failed%s", n, sticky ? " (and every later one)" : "");
}

/* Run o with allocation n failing (0: none), and every later one when
 * sticky: whatever it returns, it leaks no block and leaves no transaction
 * open. Returns how many allocations it asked for. */
static long run_faulty(op *o, long n, int sticky, outcome *got)
{
	long blocks = F.live;
	size_t bytes = F.live_bytes;

	fault_arm(n, sticky);
	run_once(o, got);
	fault_off();
	if (getenv("LADDER_FAULT_VERBOSE") != NULL)
		print_message("  %s %ld%s: %d %s\n", o->name, n, sticky ? "+" : "", got->code, got->text);
	if (n > 0 && F.failed == 0)
		fail_msg("%s: allocation %ld never happened", o->name, n);
	if (F.live != blocks || F.live_bytes != bytes)
		fail_msg("%s: %s: %ld block(s), %ld byte(s) leaked (%d: %s)", o->name, which(n, sticky), F.live - blocks,
		         (long)(F.live_bytes - bytes), got->code, got->text);
	if (o->db != NULL && !sqlite3_get_autocommit(ladder_db_native(o->db)))
		fail_msg("%s: %s: a transaction was left open (%s)", o->name, which(n, sticky), got->text);
	return F.calls;
}

static void print_summary(const op *o, int sticky, long k, double t0)
{
	print_message("%-34s %-6s K = %4ld, walked in %6.0f ms\n", o->name, sticky ? "sticky" : "once", k, tu_now_ms() - t0);
}

/* Run o once cleanly, then with each allocation failing in turn. The clean
 * run may fail (o->fails): every faulty run then fails the same way or for
 * want of memory, and changes nothing either way. Returns K. */
static long walk(op *o, int sticky)
{
	outcome want, got;
	char *want_after = NULL;
	long k, every = stride();
	double t0 = tu_now_ms();

	if (o->template_db != NULL)
		o->path = tu_keep(tu_fmt("%s/walk.db", tu_tmpdir()));

	/* The clean run: its outcome, its allocations, the file it leaves. */
	start(o);
	k = run_faulty(o, 0, 0, &want);
	if ((want.code < 0) != o->fails)
		fail_msg("%s: the clean run returned %d: %s", o->name, want.code, want.text);
	finish(o);
	if (o->template_db != NULL)
		want_after = masked_snapshot(o->path);
	assert_true(k > 0);

	for (long n = 1; n <= k; n += every) {
		char *before = NULL, *after;

		start(o);
		if (o->template_db != NULL)
			before = tu_snapshot(o->path);
		run_faulty(o, n, sticky, &got);
		/* The clean outcome (the allocation was optional), or out of memory. */
		if (!same_outcome(&got, &want) && (got.code != LADDER_ENOMEM || strstr(got.text, "out of memory") == NULL)) {
			fprintf(stderr, "got %d (%s):\n%s\ninstead of %d (%s):\n%s\n", got.code, ladder_strerror(got.code), got.text,
			              want.code, ladder_strerror(want.code), want.text);
			fail_msg("%s: %s: another outcome than the clean one or out of memory", o->name, which(n, sticky));
		}
		if (before != NULL && got.code < 0) {
			after = tu_snapshot(o->path);
			if (strcmp(before, after) != 0)
				fail_msg("%s: allocation %ld failed (%s) and the database changed:\n%s\ninstead of\n%s", o->name, n,
				         got.text, after, before);
			free(after);
		}
		free(before);
		/* Failures off: the same call on the same handle has the clean outcome. */
		if (!same_outcome(&got, &want)) {
			free(got.text);
			run_faulty(o, 0, 0, &got);
			if (!same_outcome(&got, &want))
				fail_msg("%s: after allocation %ld failed, the call gave %d: %s\ninstead of %d: %s", o->name, n,
				         got.code, got.text, want.code, want.text);
		}
		free(got.text);
		finish(o);
		if (want_after != NULL) {
			after = masked_snapshot(o->path);
			assert_string_equal(after, want_after);
			free(after);
		}
	}
	print_summary(o, sticky, k, t0);
	free(want.text);
	free(want_after);
	return k;
}

static void walk_both(op *o)
{
	walk(o, 0);
	walk(o, 1);
}

static void walk_and_free(op *o)
{
	walk_both(o);
	ladder_plan_free(o->plan);
}

/* --- runs that commit part way ------------------------------------------------------- */

/* A run that commits before its end (a transaction per step, or a
 * no-transaction step, which commits what came before, records itself as
 * started, runs alone and records itself as done) cannot leave the file as
 * it was after every failure. It must leave it at a version it names: the
 * file equals the clean run's file at the version the status reports, and
 * the message says which; or, when the failure came between a
 * no-transaction step's "started" and "done", the step is recorded as
 * started, the message says so and names the repair, and after that repair
 * the file equals the clean file on one side of the step. */

#define MAX_VERSIONS 8

typedef struct reference {
	int64_t version[MAX_VERSIONS];
	char *snapshot[MAX_VERSIONS]; /* masked */
	char *user[MAX_VERSIONS];     /* without the history's rows */
	size_t count;
} reference;

/* The snapshot without the history table's rows (a started row differs
 * from any clean file's). */
static char *user_part(const char *snapshot)
{
	char *text = strdup(snapshot);
	char *history, *next;

	assert_non_null(text);
	if ((history = strstr(text, "-- table ladder_history\n")) == NULL)
		return text;
	next = strstr(history + 1, "\n-- ");
	if (next == NULL)
		*history = '\0';
	else
		memmove(history, next + 1, strlen(next + 1) + 1);
	return text;
}

static void reference_add(reference *ref, int64_t version, const char *path)
{
	assert_true(ref->count < MAX_VERSIONS);
	ref->version[ref->count] = version;
	ref->snapshot[ref->count] = masked_snapshot(path);
	ref->user[ref->count] = user_part(ref->snapshot[ref->count]);
	ref->count++;
}

/* The clean file at each version from o's start to its target. */
static void reference_build(reference *ref, op *o, int down, int64_t from, int64_t to)
{
	const char *path = tu_keep(tu_fmt("%s/reference.db", tu_tmpdir()));

	memset(ref, 0, sizeof(*ref));
	reset_file(path, o->template_db);
	reference_add(ref, from, path);
	for (size_t i = 0; i < ladder_plan_count(o->plan); i++) {
		size_t at = down ? ladder_plan_count(o->plan) - 1 - i : i;
		int64_t v = ladder_plan_at(o->plan, at)->version;
		int64_t below = at > 0 ? ladder_plan_at(o->plan, at - 1)->version : 0;
		ladder_run_options opts = o->opts;
		ladder_db *db;

		if (down ? (v > from || below < to) : (v <= from || v > to))
			continue;
		reset_file(path, o->template_db);
		db = tu_open_store(path, o->store);
		opts.target = down ? below : v;
		opts.steps = 0;
		if ((down ? ladder_down(NULL, db, o->plan, &opts) : ladder_migrate(NULL, db, o->plan, &opts)) < 0)
			fail_msg("reference at %lld: %s", (long long)opts.target, ladder_error_last()->message);
		ladder_db_close(db);
		reference_add(ref, opts.target, path);
	}
}

static void reference_clear(reference *ref)
{
	for (size_t i = 0; i < ref->count; i++) {
		free(ref->snapshot[i]);
		free(ref->user[i]);
	}
}

static long reference_find(const reference *ref, char *const *texts, const char *text)
{
	for (size_t i = 0; i < ref->count; i++)
		if (strcmp(texts[i], text) == 0)
			return (long)i;
	return -1;
}

/* After the failure of allocation n with message: the file stands where the
 * status and the message say, or a started step is repaired by what the
 * file shows. */
static void judge_committed(op *o, const reference *ref, long n, int64_t from, const char *message)
{
	ladder_status *status = NULL;
	int64_t started = 0;
	char *now;
	long at;

	if (ladder_status_get(&status, o->db, o->plan) < 0)
		fail_msg("%s: after allocation %ld failed, status failed: %s", o->name, n, ladder_error_last()->message);
	for (size_t i = 0; i < status->count; i++)
		if (status->entries[i].state == LADDER_STATE_INTERRUPTED)
			started = status->entries[i].version;
	now = masked_snapshot(o->path);
	if (started == 0) {
		at = reference_find(ref, ref->snapshot, now);
		if (at < 0 || ref->version[at] != status->current)
			fail_msg("%s: allocation %ld failed (%s) and left the file at no version it names (status: %lld):\n%s",
			         o->name, n, message, (long long)status->current, now);
		if (status->current != from && strstr(message, tu_fmt("now at version %lld", (long long)status->current)) == NULL)
			fail_msg("%s: allocation %ld failed, the file is at version %lld, the message says otherwise: %s",
			         o->name, n, (long long)status->current, message);
		if (status->current == from && strstr(message, "now at version") != NULL)
			fail_msg("%s: allocation %ld failed, the file is still at version %lld, the message says otherwise: %s",
			         o->name, n, (long long)from, message);
	} else {
		char *user = user_part(now);
		ladder_result r;
		if (strstr(message, "recorded as started") == NULL || strstr(message, "repair") == NULL)
			fail_msg("%s: allocation %ld failed and left migration %lld recorded as started, which the message "
			         "does not say: %s",
			         o->name, n, (long long)started, message);
		at = reference_find(ref, ref->user, user);
		if (at < 0)
			fail_msg("%s: allocation %ld failed (%s) and left a file matching no version:\n%s", o->name, n, message,
			         now);
		/* The step took effect: applied (up) or still there (down) as the file says. */
		if (ladder_repair(&r, o->db, o->plan,
		                  ref->version[at] >= started ? LADDER_REPAIR_MARK_APPLIED : LADDER_REPAIR_MARK_PENDING,
		                  started) < 0)
			fail_msg("%s: repair after allocation %ld: %s", o->name, n, ladder_error_last()->message);
		free(now);
		now = masked_snapshot(o->path);
		if (strcmp(now, ref->snapshot[at]) != 0)
			fail_msg("%s: after allocation %ld failed and the repair, the file is\n%s\ninstead of\n%s", o->name, n,
			         now, ref->snapshot[at]);
		free(user);
	}
	free(now);
	ladder_status_free(status);
}

/* The walk for runs that commit part way: migrate or down from `from` to `to`. */
static long walk_committing(op *o, int down, int64_t from, int64_t to, int sticky)
{
	reference ref;
	outcome got;
	char *want_after, *after;
	double t0 = tu_now_ms();
	long k, every = stride();

	o->path = tu_keep(tu_fmt("%s/walk.db", tu_tmpdir()));
	reference_build(&ref, o, down, from, to);
	start(o);
	if ((k = run_faulty(o, 0, 0, &got)) <= 0 || got.code < 0)
		fail_msg("%s: the clean run failed: %s", o->name, got.text);
	free(got.text);
	finish(o);
	want_after = masked_snapshot(o->path);

	for (long n = 1; n <= k; n += every) {
		start(o);
		run_faulty(o, n, sticky, &got);
		if (got.code < 0) {
			if (got.code != LADDER_ENOMEM || strstr(got.text, "out of memory") == NULL)
				fail_msg("%s: %s: code %d (%s), message: %s", o->name, which(n, sticky), got.code,
				         ladder_strerror(got.code), got.text);
			judge_committed(o, &ref, n, from, got.text);
			free(got.text);
			run_faulty(o, 0, 0, &got);
			if (got.code < 0)
				fail_msg("%s: after allocation %ld failed, the call failed again: %s", o->name, n, got.text);
		}
		free(got.text);
		finish(o);
		after = masked_snapshot(o->path);
		assert_string_equal(after, want_after);
		free(after);
	}
	print_summary(o, sticky, k, t0);
	reference_clear(&ref);
	free(want_after);
	return k;
}

static void walk_committing_and_free(op *o, int down, int64_t from, int64_t to)
{
	walk_committing(o, down, from, to, 0);
	walk_committing(o, down, from, to, 1);
	ladder_plan_free(o->plan);
}

/* --- templates ------------------------------------------------------------------------- */

/* A database file at version `to` of dir's plan (0: an empty file). */
static const char *template_at(const char *dir, int64_t to, const char *store)
{
	const char *path = tu_keep(tu_fmt("%s/template.db", tu_tmpdir()));
	ladder_run_options opts = LADDER_RUN_OPTIONS_INIT;
	ladder_plan *plan;
	ladder_db *db;

	tu_write_bytes(path, "", 0);
	if (to == 0)
		return path;
	plan = tu_plan(dir);
	db = tu_open_store(path, store);
	opts.target = to;
	opts.flags = LADDER_STEPS_ONLY;
	if (ladder_migrate(NULL, db, plan, &opts) < 0)
		fail_msg("template: %s", ladder_error_last()->message);
	ladder_db_close(db);
	ladder_plan_free(plan);
	return path;
}

/* A file golang-migrate took to `version` of the steps (its table, and
 * the first step's table). */
static const char *golang_migrated(int version)
{
	const char *path = template_at(steps_dir(), 0, NULL);
	exec_raw(path, tu_fmt("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);"
	                      "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);"
	                      "INSERT INTO schema_migrations VALUES (%d, 0);",
	                      version));
	return path;
}

static op handle_op(const char *name, int (*run)(op *, char **), const char *template_db, const char *dir)
{
	op o;
	ladder_run_options defaults = LADDER_RUN_OPTIONS_INIT;

	memset(&o, 0, sizeof(o));
	o.name = name;
	o.run = run;
	o.template_db = template_db;
	o.keep_handle = 1;
	o.opts = defaults;
	o.plan = tu_plan(dir);
	return o;
}

/* --- the tests --------------------------------------------------------------------------- */

static void plan_load(void **state)
{
	op o = {.name = "plan load", .run = run_load};
	(void)state;
	o.from = full_dir();
	walk_both(&o);
}

static void plan_load_formats(void **state)
{
	op o = {.name = "plan load, every format", .run = run_load};
	(void)state;
	o.from = formats_dir();
	walk_both(&o);
}

static void plan_load_refused(void **state)
{
	op o = {.name = "plan load, refused", .run = run_load, .fails = 1};
	(void)state;
	o.from = tu_tmpdir();
	write_steps(o.from);
	tu_write(o.from, "3_again.sql", "-- migrate:up\nCREATE TABLE again (x);\n");
	walk_both(&o);
}

static int fill_up(void *native, void *user)
{
	(void)user;
	return sqlite3_exec(native, "INSERT INTO users (email) VALUES ('c@example.org')", NULL, NULL, NULL) == SQLITE_OK
	           ? 0
	           : ladder_error_set(LADDER_EMIGRATION, "insert failed");
}

static int fill_down(void *native, void *user)
{
	(void)user;
	return sqlite3_exec(native, "DELETE FROM users WHERE email = 'c@example.org'", NULL, NULL, NULL) == SQLITE_OK
	           ? 0
	           : ladder_error_set(LADDER_EMIGRATION, "delete failed");
}

static const ladder_migration_def defined_steps[] = {
	{.version = 1, .name = "users", .up_sql = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);",
	 .down_sql = "DROP TABLE users;", .check_sql = "SELECT 1 WHERE 0", .source = "app.c", .up_line = 10},
	{.version = 2, .name = "fill", .up_fn = fill_up, .down_fn = fill_down, .revision = "2"},
	{.version = 3, .name = "ix", .up_sql = "-- ladder:no-transaction\nCREATE INDEX users_email ON users (email);",
	 .checksum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
};
static const ladder_migration_def defined_baseline = {
	.version = 2, .name = "schema", .up_sql = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);"};
static const ladder_plan_def defined_plan = {defined_steps, 3, &defined_baseline, 1};

static void plan_from_def(void **state)
{
	op o = {.name = "plan from a definition", .run = run_plan_from_def, .def = &defined_plan};
	(void)state;
	walk_both(&o);
}

/* 20 steps, the last with 25 statements: every array that grows by
 * doubling (plan, rows, actions, statements) grows at least once. */
static const char *many_steps_dir(void)
{
	static const char *dir;
	tu_buf many = {0};

	if (dir != NULL)
		return dir;
	dir = tu_tmpdir();
	for (int v = 1; v < 20; v++) {
		tu_write(dir, tu_fmt("%02d_t%d.up.sql", v, v),
		         tu_fmt("CREATE TABLE t%d (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO t%d (v) VALUES ('a');\n", v, v));
		tu_write(dir, tu_fmt("%02d_t%d.down.sql", v, v), tu_fmt("DROP TABLE t%d;\n", v));
	}
	tu_buf_add(&many, "CREATE TABLE many (n INTEGER);\n");
	for (int i = 0; i < 24; i++)
		tu_buf_add(&many, tu_fmt("INSERT INTO many VALUES (%d);\n", i));
	tu_write(dir, "20_many.up.sql", many.buf);
	tu_write(dir, "20_many.down.sql", "DROP TABLE many;\n");
	free(many.buf);
	return dir;
}

static void many_steps(void **state)
{
	op up = handle_op("migrate 20 steps", run_migrate, template_at(many_steps_dir(), 0, NULL), many_steps_dir());
	op down = handle_op("down 20 steps", run_down, template_at(many_steps_dir(), 20, NULL), many_steps_dir());
	op status = handle_op("status of 20 steps", run_status, template_at(many_steps_dir(), 17, NULL),
	                      many_steps_dir());
	op load = {.name = "plan load, 20 steps", .run = run_load};
	(void)state;
	load.from = many_steps_dir();
	walk_both(&load);
	walk_and_free(&up);
	down.opts.target = 0;
	walk_and_free(&down);
	walk_and_free(&status);
}

static void inspect_and_wrap(void **state)
{
	op i = handle_op("step inspect", run_inspect, template_at(steps_dir(), 0, NULL), full_dir());
	op w = handle_op("wrap a handle and migrate", run_wrap, template_at(steps_dir(), 1, NULL), steps_dir());
	(void)state;
	w.keep_handle = 0;
	walk_and_free(&i);
	walk_and_free(&w);
}

static void db_open(void **state)
{
	op o = {.name = "open", .run = run_open};
	(void)state;
	o.template_db = template_at(steps_dir(), 2, NULL);
	walk_both(&o);
}

static void migrate_from_empty(void **state)
{
	op o = handle_op("migrate from empty", run_migrate, template_at(steps_dir(), 0, NULL), steps_dir());
	(void)state;
	walk_and_free(&o);
}

static void migrate_from_partly_migrated(void **state)
{
	op o = handle_op("migrate from version 1", run_migrate, template_at(steps_dir(), 1, NULL), steps_dir());
	(void)state;
	walk_and_free(&o);
}

static void migrate_failing_step(void **state)
{
	const char *dir = tu_tmpdir();
	op o;
	(void)state;
	write_steps(dir);
	tu_write(dir, "5_broken.up.sql", "CREATE TABLE fine (x);\nINSERT INTO nowhere VALUES (1);\n");
	o = handle_op("migrate to a failing step", run_migrate, template_at(dir, 1, NULL), dir);
	o.fails = 1;
	walk_and_free(&o);
}

static void migrate_refused_foreign(void **state)
{
	/* golang-migrate's table and nothing of ladder's: migrate refuses, and
	 * no failed allocation may turn that into a run over the other tool's
	 * database. */
	op o = handle_op("migrate over golang-migrate's table", run_migrate, golang_migrated(1), steps_dir());
	(void)state;
	o.fails = 1;
	walk_and_free(&o);
}

static void migrate_tx_per_step(void **state)
{
	op o = handle_op("migrate, a transaction per step", run_migrate, template_at(steps_dir(), 1, NULL),
	                 steps_dir());
	(void)state;
	o.opts.flags = LADDER_TX_PER_MIGRATION;
	walk_committing_and_free(&o, 0, 1, 4);
}

static void migrate_no_transaction_step(void **state)
{
	op o = handle_op("migrate through a no-tx step", run_migrate, template_at(full_dir(), 2, NULL), full_dir());
	(void)state;
	walk_committing_and_free(&o, 0, 2, 5);
}

static void down_no_transaction_step(void **state)
{
	op o = handle_op("down through a no-tx step", run_down, template_at(full_dir(), 5, NULL), full_dir());
	(void)state;
	o.opts.target = 2;
	walk_committing_and_free(&o, 1, 5, 2);
}

static void migrate_baseline(void **state)
{
	const char *dir = tu_tmpdir();
	op o;
	(void)state;
	write_steps(dir);
	tu_write(dir, "3_schema.baseline.sql",
	         "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);\n"
	         "CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), body TEXT);\n");
	o = handle_op("migrate from empty with a baseline", run_migrate, template_at(dir, 0, NULL), dir);
	walk_and_free(&o);
}

static void migrate_user_version(void **state)
{
	op o = handle_op("migrate, user_version store", run_migrate, template_at(steps_dir(), 1, "user_version"),
	                 steps_dir());
	(void)state;
	o.store = "user_version";
	walk_and_free(&o);
}

static void down_to_zero(void **state)
{
	op o = handle_op("down to 0", run_down, template_at(steps_dir(), 4, NULL), steps_dir());
	(void)state;
	o.opts.target = 0;
	walk_and_free(&o);
}

static void down_user_version(void **state)
{
	op o = handle_op("down 2 steps, user_version store", run_down, template_at(steps_dir(), 4, "user_version"),
	                 steps_dir());
	(void)state;
	o.store = "user_version";
	o.opts.target = -1;
	o.opts.steps = 2;
	walk_and_free(&o);
}

static void status_and_history(void **state)
{
	op o = handle_op("status", run_status, template_at(steps_dir(), 2, NULL), steps_dir());
	op h = handle_op("history", run_history, o.template_db, steps_dir());
	op u = handle_op("history, user_version store", run_history, template_at(steps_dir(), 3, "user_version"),
	                 steps_dir());
	op us = handle_op("status, user_version store", run_status, u.template_db, steps_dir());
	(void)state;
	walk_and_free(&o);
	walk_and_free(&h);
	u.store = us.store = "user_version";
	walk_and_free(&u);
	walk_and_free(&us);
}

static void status_foreign_note(void **state)
{
	/* Nothing recorded, and a golang-migrate table: status adds a note. */
	op o = handle_op("status with a foreign note", run_status, golang_migrated(1), steps_dir());
	(void)state;
	walk_and_free(&o);
}

static void adopt(void **state)
{
	const char *from_stamp = template_at(steps_dir(), 3, "user_version");
	const char *from_dbmate = template_at(steps_dir(), 0, NULL);
	op o = handle_op("adopt user_version", run_adopt, from_stamp, steps_dir());
	op d = handle_op("adopt dbmate", run_adopt, from_dbmate, steps_dir());
	(void)state;
	o.from = "user_version";
	walk_and_free(&o);
	exec_raw(from_dbmate, "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);"
	                      "INSERT INTO schema_migrations VALUES ('1'), ('2');");
	d.from = "dbmate";
	walk_and_free(&d);
}

static void repair(void **state)
{
	const char *edited = template_at(steps_dir(), 4, NULL);
	const char *started = template_at(steps_dir(), 4, NULL);
	op c = handle_op("repair checksums", run_repair, edited, steps_dir());
	op s = handle_op("repair --pending", run_repair, started, steps_dir());
	(void)state;
	exec_raw(edited, "UPDATE ladder_history SET checksum = '" "0123456789abcdef0123456789abcdef"
	                 "0123456789abcdef0123456789abcdef' WHERE version IN (2, 3)");
	c.action = LADDER_REPAIR_CHECKSUMS;
	walk_and_free(&c);
	exec_raw(started, "UPDATE ladder_history SET state = 'started' WHERE version = 4");
	s.action = LADDER_REPAIR_MARK_PENDING;
	s.version = 4;
	walk_and_free(&s);
}

static void dump(void **state)
{
	op o = handle_op("dump", run_dump, template_at(steps_dir(), 4, NULL), steps_dir());
	(void)state;
	walk_and_free(&o);
}

/* A plan with something for every kind of report line: a baseline that
 * forgets an index (a diff), a down that changes the column order (a
 * warning), a down that forgets an index (a diff, then a rebuild), a down
 * that fails, a step without a down. */
static const char *broken_dir(void)
{
	const char *dir = tu_tmpdir();
	tu_write(dir, "1_users.up.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);\n");
	tu_write(dir, "1_users.down.sql", "DROP TABLE users;\n");
	tu_write(dir, "2_no_email.up.sql", "ALTER TABLE users DROP COLUMN email;\n");
	tu_write(dir, "2_no_email.down.sql", "ALTER TABLE users ADD COLUMN email TEXT;\n");
	tu_write(dir, "3_ix.up.sql", "CREATE INDEX users_age ON users (age);\n");
	tu_write(dir, "3_ix.down.sql", "SELECT 1;\n");
	tu_write(dir, "3_schema.baseline.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, age INTEGER);\n");
	tu_write(dir, "4_t.up.sql", "CREATE TABLE t (x);\n");
	tu_write(dir, "4_t.down.sql", "DROP TABEL t;\n");
	tu_write(dir, "5_z.up.sql", "CREATE TABLE z (x);\n");
	return dir;
}

/* Verify's scratch files go to a $TMPDIR of the walk's own, which every
 * run must leave empty. */
static void walk_verify(const char *name, const char *dir, int both)
{
	op o = {.name = name, .run = run_verify};
	const char *tmpdir = getenv("TMPDIR");
	char *saved = tmpdir ? strdup(tmpdir) : NULL;

	o.plan = tu_plan(dir);
	verify_tmp = tu_tmpdir();
	setenv("TMPDIR", verify_tmp, 1);
	if (both)
		walk_both(&o);
	else
		walk(&o, 0);
	if (saved != NULL)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	ladder_plan_free(o.plan);
}

static void verify(void **state)
{
	(void)state;
	/* Once only: the broken plan walks both ways, through more. */
	walk_verify("verify", steps_dir(), 0);
	walk_verify("verify a broken plan", broken_dir(), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plan_load),
		cmocka_unit_test(plan_load_formats),
		cmocka_unit_test(plan_load_refused),
		cmocka_unit_test(plan_from_def),
		cmocka_unit_test(db_open),
		cmocka_unit_test(migrate_from_empty),
		cmocka_unit_test(migrate_from_partly_migrated),
		cmocka_unit_test(migrate_failing_step),
		cmocka_unit_test(migrate_refused_foreign),
		cmocka_unit_test(migrate_tx_per_step),
		cmocka_unit_test(migrate_no_transaction_step),
		cmocka_unit_test(down_no_transaction_step),
		cmocka_unit_test(migrate_baseline),
		cmocka_unit_test(migrate_user_version),
		cmocka_unit_test(down_to_zero),
		cmocka_unit_test(down_user_version),
		cmocka_unit_test(many_steps),
		cmocka_unit_test(inspect_and_wrap),
		cmocka_unit_test(status_and_history),
		cmocka_unit_test(status_foreign_note),
		cmocka_unit_test(adopt),
		cmocka_unit_test(repair),
		cmocka_unit_test(dump),
		cmocka_unit_test(verify),
	};

	/* Each walk runs its call K times, each commit synced: without a TMPDIR
	 * of its own the test keeps its files in memory where it can. */
	if (getenv("TMPDIR") == NULL && access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	if (ladder_config_allocator(&fault_allocator) < 0) {
		fprintf(stderr, "test_faults: %s\n", ladder_error_last()->message);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
