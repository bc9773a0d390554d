/*
 * test_fleet.c — ladder_fleet from C on real SQLite files (issue 13): the
 * outcome of each target as on_target reports it (from, to, applied, the
 * fast path, a corrupt file's error and message, a newer file's status),
 * one callback at a time; targets added one by one, by glob and from a
 * file; LADDER_FLEET_FAIL_FAST leaving the targets it skips untouched; and
 * two fleets run from two threads at once, each ending every file current,
 * and one fleet from two threads at once, each step still run once.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- plans and files ---------------------------------------------------------------- */

/* Three steps, each noting its run in the table runs; with extra, a fourth. */
static ladder_plan *plan_of(int extra)
{
	const char *dir = tu_tmpdir();
	tu_write(dir, "1_users.up.sql",
	         "CREATE TABLE runs (version INTEGER NOT NULL);\n"
	         "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\nINSERT INTO runs VALUES (1);\n");
	tu_write(dir, "2_notes.up.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY);\nINSERT INTO runs VALUES (2);\n");
	tu_write(dir, "3_email.up.sql", "CREATE INDEX users_email ON users (email);\nINSERT INTO runs VALUES (3);\n");
	if (extra)
		tu_write(dir, "4_tags.up.sql", "CREATE TABLE tags (id INTEGER);\nINSERT INTO runs VALUES (4);\n");
	return tu_plan(dir);
}

/* A file at path migrated to version (0: left as it is). */
static void migrate_to(const char *path, const ladder_plan *plan, int64_t version)
{
	ladder_run_options run = LADDER_RUN_OPTIONS_INIT;
	ladder_db *db = NULL;

	if (version == 0)
		return;
	run.target = version;
	assert_int_equal(ladder_db_open(&db, path, NULL), 0);
	assert_int_equal(ladder_migrate(NULL, db, plan, &run), 0);
	ladder_db_close(db);
}

/* 8 KiB that are not a SQLite database. */
static void write_corrupt(const char *path)
{
	unsigned char bytes[8192];
	size_t i;
	for (i = 0; i < sizeof bytes; i++)
		bytes[i] = (unsigned char)(i * 131 + 7);
	tu_write_bytes(path, bytes, sizeof bytes);
}

/* --- what on_target saw ------------------------------------------------------------ */

#define MAX_TARGETS 64

typedef struct seen {
	int called;
	char *target, *schema, *message;
	int error, skipped, fast_path, newer;
	int64_t from, to, current, head;
	size_t applied, pending, problems;
	double seconds;
} seen;

typedef struct recorder {
	seen at[MAX_TARGETS];
	int calls;
	int bad_index;   /* an index out of range, or reported twice */
	int overlapped;  /* two calls at once */
	int inside;
} recorder;

static char *copy(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

/* Only records: cmocka's asserts must stay on the test's own thread. */
static void on_target(void *ctx, const ladder_fleet_outcome *o)
{
	recorder *r = ctx;
	seen *s;

	if (__atomic_fetch_add(&r->inside, 1, __ATOMIC_SEQ_CST) != 0)
		r->overlapped = 1;
	usleep(200); /* widen the window an overlap would need */
	r->calls++;
	if (o->index >= MAX_TARGETS || r->at[o->index].called) {
		r->bad_index = 1;
	} else {
		s = &r->at[o->index];
		s->called = 1;
		s->target = copy(o->target);
		s->schema = copy(o->schema);
		s->message = copy(o->message);
		s->error = o->error;
		s->skipped = o->skipped;
		s->from = o->from_version;
		s->to = o->to_version;
		s->applied = o->applied;
		s->fast_path = o->fast_path;
		s->current = o->current;
		s->head = o->head;
		s->pending = o->pending;
		s->problems = o->problems;
		s->newer = o->newer;
		s->seconds = o->seconds;
	}
	__atomic_fetch_sub(&r->inside, 1, __ATOMIC_SEQ_CST);
}

static void recorder_free(recorder *r)
{
	int i;
	for (i = 0; i < MAX_TARGETS; i++) {
		free(r->at[i].target);
		free(r->at[i].schema);
		free(r->at[i].message);
	}
	free(r);
}

static recorder *recorder_new(void)
{
	recorder *r = calloc(1, sizeof *r);
	assert_non_null(r);
	return r;
}

/* One run of fleet with these options; asserts it ran. */
static ladder_fleet_result run_fleet(ladder_fleet *fleet, const ladder_plan *plan, ladder_fleet_command command,
                                     int workers, unsigned int flags, recorder *r)
{
	ladder_fleet_options opts = LADDER_FLEET_OPTIONS_INIT;
	ladder_fleet_result result;

	memset(&result, 0xff, sizeof result);
	opts.command = command;
	opts.workers = workers;
	opts.flags = flags;
	opts.on_target = on_target;
	opts.ctx = r;
	assert_int_equal(ladder_fleet_run(&result, fleet, plan, &opts), 0);
	assert_int_equal(r->bad_index, 0);
	assert_int_equal(r->overlapped, 0);
	assert_int_equal(r->calls, (int)result.targets);
	if (workers > 0 && (size_t)workers <= result.targets)
		assert_int_equal(result.workers, workers);
	assert_true(result.workers >= 1);
	return result;
}

static void assert_result(const ladder_fleet_result *got, size_t targets, size_t ok, size_t failed, size_t skipped,
                          size_t migrated, size_t behind)
{
	assert_int_equal(got->targets, targets);
	assert_int_equal(got->ok, ok);
	assert_int_equal(got->failed, failed);
	assert_int_equal(got->skipped, skipped);
	assert_int_equal(got->migrated, migrated);
	assert_int_equal(got->behind, behind);
	assert_true(got->seconds >= 0.0);
}

static void assert_up(const seen *s, const char *target, int64_t from, int64_t to, size_t applied, int fast_path)
{
	assert_true(s->called);
	assert_string_equal(s->target, target);
	assert_null(s->schema);
	if (s->error != 0)
		fail_msg("%s: %d %s", target, s->error, s->message ? s->message : "(no message)");
	assert_null(s->message);
	assert_int_equal(s->skipped, 0);
	assert_int_equal(s->from, from);
	assert_int_equal(s->to, to);
	assert_int_equal(s->applied, applied);
	assert_int_equal(s->fast_path, fast_path);
	assert_true(s->seconds >= 0.0);
}

/* --- outcomes ---------------------------------------------------------------------- */

/* A new file, one behind, one current, a corrupt one and one newer than
 * the plan: each outcome as it happened, the failures named with their own
 * messages, and the bad files left byte for byte. Then status. */
static void outcomes_of_up_and_status(void **state)
{
	ladder_plan *plan = plan_of(0), *newer_plan = plan_of(1);
	const char *dir = tu_tmpdir();
	const char *fresh = tu_in(dir, "fresh.db"), *behind = tu_in(dir, "behind.db"), *current = tu_in(dir, "current.db");
	const char *corrupt = tu_in(dir, "corrupt.db"), *newer = tu_in(dir, "newer.db");
	const char *paths[5];
	char hex[2][65], after[65];
	struct timespec mtime[2], mtime_after;
	ladder_fleet *fleet = NULL;
	ladder_fleet_result result;
	recorder *r = recorder_new();
	int i;
	(void)state;

	migrate_to(behind, plan, 1);
	migrate_to(current, plan, 3);
	write_corrupt(corrupt);
	migrate_to(newer, newer_plan, 4);
	tu_file_fingerprint(corrupt, hex[0], &mtime[0]);
	tu_file_fingerprint(newer, hex[1], &mtime[1]);

	paths[0] = fresh;
	paths[1] = behind;
	paths[2] = current;
	paths[3] = corrupt;
	paths[4] = newer;
	assert_int_equal(ladder_fleet_new(&fleet), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(ladder_fleet_add(fleet, paths[i]), 0);
	assert_int_equal(ladder_fleet_count(fleet), 5);

	result = run_fleet(fleet, plan, LADDER_FLEET_UP, 2, 0, r);
	assert_result(&result, 5, 3, 2, 0, 2, 0);
	assert_up(&r->at[0], fresh, 0, 3, 3, 0);
	assert_up(&r->at[1], behind, 1, 3, 2, 0);
	assert_up(&r->at[2], current, 3, 3, 0, 1);
	/* the corrupt file: its own error, the engine's words */
	assert_string_equal(r->at[3].target, corrupt);
	assert_true(r->at[3].error < 0);
	assert_non_null(r->at[3].message);
	if (strstr(r->at[3].message, "file is encrypted, or not a database") == NULL)
		fail_msg("corrupt: %s", r->at[3].message);
	assert_int_equal(r->at[3].applied, 0);
	assert_int_equal(r->at[3].skipped, 0);
	/* the newer one: refused as the single-database run refuses it */
	assert_string_equal(r->at[4].target, newer);
	assert_int_equal(r->at[4].error, LADDER_ENEWER);
	assert_non_null(r->at[4].message);
	assert_non_null(strstr(r->at[4].message, "newer"));
	assert_int_equal(r->at[4].from, 4);
	assert_int_equal(r->at[4].applied, 0);
	tu_file_fingerprint(corrupt, after, &mtime_after);
	assert_string_equal(after, hex[0]);
	assert_true(mtime_after.tv_sec == mtime[0].tv_sec && mtime_after.tv_nsec == mtime[0].tv_nsec);
	tu_file_fingerprint(newer, after, &mtime_after);
	assert_string_equal(after, hex[1]);
	assert_true(mtime_after.tv_sec == mtime[1].tv_sec && mtime_after.tv_nsec == mtime[1].tv_nsec);
	for (i = 0; i < 3; i++)
		tu_assert_text(paths[i], "SELECT version FROM runs ORDER BY version", "1\n2\n3\n");
	recorder_free(r);

	/* status: the same fleet, read only */
	r = recorder_new();
	result = run_fleet(fleet, plan, LADDER_FLEET_STATUS, 3, 0, r);
	assert_int_equal(result.targets, 5);
	assert_int_equal(result.behind, 0);
	assert_int_equal(result.migrated, 0);
	assert_true(result.failed >= 1);
	for (i = 0; i < 3; i++) {
		assert_int_equal(r->at[i].error, 0);
		assert_int_equal(r->at[i].current, 3);
		assert_int_equal(r->at[i].head, 3);
		assert_int_equal(r->at[i].pending, 0);
		assert_int_equal(r->at[i].problems, 0);
		assert_int_equal(r->at[i].newer, 0);
	}
	assert_true(r->at[3].error < 0);
	assert_non_null(strstr(r->at[3].message, "file is encrypted, or not a database"));
	assert_int_equal(r->at[4].current, 4);
	assert_int_equal(r->at[4].head, 3);
	assert_int_equal(r->at[4].newer, 1);
	tu_file_fingerprint(newer, after, &mtime_after);
	assert_string_equal(after, hex[1]);
	recorder_free(r);

	ladder_fleet_free(fleet);
	ladder_plan_free(plan);
	ladder_plan_free(newer_plan);
}

/* Status counts a target behind; the file is not written. */
static void status_behind(void **state)
{
	ladder_plan *plan = plan_of(0);
	const char *dir = tu_tmpdir();
	const char *path = tu_in(dir, "behind.db");
	char hex[65], after[65];
	struct timespec mtime, mtime_after;
	ladder_fleet *fleet = NULL;
	ladder_fleet_result result;
	recorder *r = recorder_new();
	(void)state;

	migrate_to(path, plan, 2);
	tu_file_fingerprint(path, hex, &mtime);
	assert_int_equal(ladder_fleet_new(&fleet), 0);
	assert_int_equal(ladder_fleet_add(fleet, path), 0);
	result = run_fleet(fleet, plan, LADDER_FLEET_STATUS, 0, 0, r);
	assert_result(&result, 1, 1, 0, 0, 0, 1);
	assert_int_equal(r->at[0].error, 0);
	assert_int_equal(r->at[0].current, 2);
	assert_int_equal(r->at[0].head, 3);
	assert_int_equal(r->at[0].pending, 1);
	tu_file_fingerprint(path, after, &mtime_after);
	assert_string_equal(after, hex);
	assert_true(mtime_after.tv_sec == mtime.tv_sec && mtime_after.tv_nsec == mtime.tv_nsec);
	recorder_free(r);
	ladder_fleet_free(fleet);
	ladder_plan_free(plan);
}

/* --- adding targets ---------------------------------------------------------------- */

static void add_glob_and_file(void **state)
{
	ladder_plan *plan = plan_of(0);
	const char *dir = tu_tmpdir();
	ladder_fleet *fleet = NULL;
	ladder_fleet_result result;
	recorder *r = recorder_new();
	size_t added = 99;
	int i;
	(void)state;

	for (i = 0; i < 6; i++) {
		const char *sub = tu_keep(tu_fmt("%s/t%d", dir, i));
		assert_int_equal(mkdir(sub, 0700), 0);
		tu_write(sub, "app.db", ""); /* empty: a new database */
	}
	tu_write(dir, "other.db", "");
	tu_write(dir, "list",
	         tu_fmt("# two of them\n\n%s/t0/app.db\n# a new one\nsqlite:%s/new.db\n\n", dir, dir));

	assert_int_equal(ladder_fleet_new(&fleet), 0);
	assert_int_equal(ladder_fleet_add_glob(fleet, tu_fmt("%s/t*/app.db", dir), &added), 0);
	assert_int_equal(added, 6);
	added = 99;
	assert_int_equal(ladder_fleet_add_file(fleet, tu_in(dir, "list"), &added), 0);
	assert_int_equal(added, 2);
	assert_int_equal(ladder_fleet_count(fleet), 8);
	/* no match is an error, and adds nothing */
	added = 99;
	tu_assert_error(ladder_fleet_add_glob(fleet, tu_fmt("%s/t*/none.db", dir), &added), LADDER_EINVALID,
	                "no file matches");
	assert_int_equal(ladder_fleet_count(fleet), 8);

	/* t0 twice: whether the fleet keeps both or not, each run ends current */
	result = run_fleet(fleet, plan, LADDER_FLEET_UP, 4, 0, r);
	assert_int_equal(result.failed, 0);
	assert_int_equal(result.ok, result.targets);
	for (i = 0; i < 6; i++) {
		assert_string_equal(r->at[i].target, tu_fmt("%s/t%d/app.db", dir, i)); /* glob(3) order */
		tu_assert_text(tu_keep(tu_fmt("%s/t%d/app.db", dir, i)), "SELECT version FROM runs ORDER BY version", "1\n2\n3\n");
	}
	assert_string_equal(r->at[7].target, tu_fmt("sqlite:%s/new.db", dir));
	assert_int_equal(r->at[7].from, 0);
	assert_int_equal(r->at[7].applied, 3);
	tu_assert_text(tu_in(dir, "new.db"), "SELECT version FROM runs ORDER BY version", "1\n2\n3\n");
	tu_assert_text(tu_in(dir, "other.db"), "SELECT count(*) FROM sqlite_master", "0\n");
	recorder_free(r);
	ladder_fleet_free(fleet);
	ladder_plan_free(plan);
}

/* --- LADDER_FLEET_FAIL_FAST ---------------------------------------------------------- */

static void fail_fast_skips_the_rest(void **state)
{
	ladder_plan *plan = plan_of(0);
	const char *dir = tu_tmpdir();
	const char *paths[6];
	char hex[6][65], after[65];
	struct timespec mtime[6], mtime_after;
	ladder_fleet *fleet = NULL;
	ladder_fleet_result result;
	recorder *r = recorder_new();
	int i;
	(void)state;

	assert_int_equal(ladder_fleet_new(&fleet), 0);
	for (i = 0; i < 6; i++) {
		paths[i] = tu_keep(tu_fmt("%s/%d.db", dir, i));
		if (i == 0)
			write_corrupt(paths[i]);
		else
			migrate_to(paths[i], plan, 1);
		tu_file_fingerprint(paths[i], hex[i], &mtime[i]);
		assert_int_equal(ladder_fleet_add(fleet, paths[i]), 0);
	}
	/* one worker: the corrupt file first, nothing else started after it */
	result = run_fleet(fleet, plan, LADDER_FLEET_UP, 1, LADDER_FLEET_FAIL_FAST, r);
	assert_result(&result, 6, 0, 1, 5, 0, 0);
	assert_true(r->at[0].error < 0);
	assert_int_equal(r->at[0].skipped, 0);
	for (i = 1; i < 6; i++) {
		assert_true(r->at[i].called);
		assert_int_equal(r->at[i].skipped, 1);
		assert_int_equal(r->at[i].applied, 0);
		assert_string_equal(r->at[i].target, paths[i]);
	}
	for (i = 0; i < 6; i++) {
		tu_file_fingerprint(paths[i], after, &mtime_after);
		assert_string_equal(after, hex[i]);
		assert_true(mtime_after.tv_sec == mtime[i].tv_sec && mtime_after.tv_nsec == mtime[i].tv_nsec);
	}
	recorder_free(r);

	/* without it the others run */
	r = recorder_new();
	result = run_fleet(fleet, plan, LADDER_FLEET_UP, 1, 0, r);
	assert_result(&result, 6, 5, 1, 0, 5, 0);
	for (i = 1; i < 6; i++)
		assert_up(&r->at[i], paths[i], 1, 3, 2, 0);
	recorder_free(r);
	ladder_fleet_free(fleet);
	ladder_plan_free(plan);
}

/* --- two fleets from two threads at once ---------------------------------------------- */

#define PER_FLEET 40

typedef struct job {
	ladder_fleet *fleet;
	const ladder_plan *plan;
	recorder *r;
	ladder_fleet_result result;
	int code;
	pthread_barrier_t *gate;
} job;

static void *run_job(void *arg)
{
	job *j = arg;
	ladder_fleet_options opts = LADDER_FLEET_OPTIONS_INIT;

	opts.command = LADDER_FLEET_UP;
	opts.workers = 4;
	opts.on_target = on_target;
	opts.ctx = j->r;
	pthread_barrier_wait(j->gate);
	j->code = ladder_fleet_run(&j->result, j->fleet, j->plan, &opts);
	return NULL;
}

static void two_threads_two_fleets(void **state)
{
	ladder_plan *plan = plan_of(0);
	const char *dirs[2] = {tu_tmpdir(), tu_tmpdir()};
	pthread_barrier_t gate;
	pthread_t threads[2];
	job jobs[2];
	int f, i;
	(void)state;

	assert_int_equal(pthread_barrier_init(&gate, NULL, 2), 0);
	for (f = 0; f < 2; f++) {
		memset(&jobs[f], 0, sizeof jobs[f]);
		jobs[f].plan = plan;
		jobs[f].r = recorder_new();
		jobs[f].gate = &gate;
		assert_int_equal(ladder_fleet_new(&jobs[f].fleet), 0);
		for (i = 0; i < PER_FLEET; i++) {
			const char *path = tu_keep(tu_fmt("%s/%02d.db", dirs[f], i));
			migrate_to(path, plan, i % 4);
			if (i % 4 == 0)
				tu_write(dirs[f], tu_fmt("%02d.db", i), "");
			assert_int_equal(ladder_fleet_add(jobs[f].fleet, path), 0);
		}
	}
	for (f = 0; f < 2; f++)
		assert_int_equal(pthread_create(&threads[f], NULL, run_job, &jobs[f]), 0);
	for (f = 0; f < 2; f++)
		assert_int_equal(pthread_join(threads[f], NULL), 0);
	pthread_barrier_destroy(&gate);

	for (f = 0; f < 2; f++) {
		recorder *r = jobs[f].r;
		assert_int_equal(jobs[f].code, 0);
		assert_result(&jobs[f].result, PER_FLEET, PER_FLEET, 0, 0, PER_FLEET - PER_FLEET / 4, 0);
		assert_int_equal(r->calls, PER_FLEET);
		assert_int_equal(r->bad_index, 0);
		assert_int_equal(r->overlapped, 0);
		for (i = 0; i < PER_FLEET; i++) {
			const char *path = tu_keep(tu_fmt("%s/%02d.db", dirs[f], i));
			int64_t from = i % 4;
			assert_up(&r->at[i], path, from, 3, (size_t)(3 - from), from == 3);
			tu_assert_text(path, "SELECT version FROM runs ORDER BY version", "1\n2\n3\n");
			tu_assert_text(path, "SELECT version || state FROM ladder_history ORDER BY version", "1done\n2done\n3done\n");
		}
		recorder_free(r);
		ladder_fleet_free(jobs[f].fleet);
	}
	ladder_plan_free(plan);
}

/* The same fleet from two threads at once: each file's steps run once in
 * all, the other run finding them done. */
static void two_threads_one_fleet(void **state)
{
	ladder_plan *plan = plan_of(0);
	const char *dir = tu_tmpdir();
	ladder_fleet *fleet = NULL;
	pthread_barrier_t gate;
	pthread_t threads[2];
	job jobs[2];
	int f, i;
	(void)state;

	assert_int_equal(ladder_fleet_new(&fleet), 0);
	for (i = 0; i < PER_FLEET; i++) {
		const char *path = tu_keep(tu_fmt("%s/%02d.db", dir, i));
		migrate_to(path, plan, i % 4);
		assert_int_equal(ladder_fleet_add(fleet, path), 0);
	}
	assert_int_equal(pthread_barrier_init(&gate, NULL, 2), 0);
	for (f = 0; f < 2; f++) {
		memset(&jobs[f], 0, sizeof jobs[f]);
		jobs[f].fleet = fleet;
		jobs[f].plan = plan;
		jobs[f].r = recorder_new();
		jobs[f].gate = &gate;
	}
	for (f = 0; f < 2; f++)
		assert_int_equal(pthread_create(&threads[f], NULL, run_job, &jobs[f]), 0);
	for (f = 0; f < 2; f++)
		assert_int_equal(pthread_join(threads[f], NULL), 0);
	pthread_barrier_destroy(&gate);

	for (f = 0; f < 2; f++) {
		assert_int_equal(jobs[f].code, 0);
		assert_int_equal(jobs[f].result.ok, PER_FLEET);
		assert_int_equal(jobs[f].r->calls, PER_FLEET);
		assert_int_equal(jobs[f].r->overlapped, 0);
	}
	for (i = 0; i < PER_FLEET; i++) {
		const char *path = tu_keep(tu_fmt("%s/%02d.db", dir, i));
		assert_int_equal(jobs[0].r->at[i].error, 0);
		assert_int_equal(jobs[1].r->at[i].error, 0);
		assert_int_equal(jobs[0].r->at[i].applied + jobs[1].r->at[i].applied, (size_t)(3 - i % 4));
		tu_assert_text(path, "SELECT version FROM runs ORDER BY version", "1\n2\n3\n");
	}
	for (f = 0; f < 2; f++)
		recorder_free(jobs[f].r);
	ladder_fleet_free(fleet);
	ladder_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(outcomes_of_up_and_status),
		cmocka_unit_test(status_behind),
		cmocka_unit_test(add_glob_and_file),
		cmocka_unit_test(fail_fast_skips_the_rest),
		cmocka_unit_test(two_threads_two_fleets),
		cmocka_unit_test(two_threads_one_fleet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
