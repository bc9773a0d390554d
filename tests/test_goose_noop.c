/*
 * test_goose_noop.c — a current SQLite database of 200 goose-format files
 * (`-- +goose Up` / `Down`, StatementBegin/End around a trigger, one
 * NO TRANSACTION step) stays on the fast path: a no-op `up` writes nothing,
 * not a byte and not the mtime, however the files are marked.
 */
#include "testutil.h"

#include <stdio.h>
#include <unistd.h>

#define STEPS 200

static const char *goose_dir(void)
{
	const char *dir = tu_tmpdir();

	for (int i = 1; i <= STEPS; i++) {
		char name[64], text[1024];
		if (i == 100)
			snprintf(text, sizeof(text),
			         "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX t99_v ON t99 (v);\n"
			         "-- +goose Down\nDROP INDEX t99_v;\n");
		else if (i % 50 == 0)
			snprintf(text, sizeof(text),
			         "-- +goose Up\nCREATE TABLE t%d (id INTEGER PRIMARY KEY, v TEXT);\n"
			         "-- +goose StatementBegin\nCREATE TRIGGER t%d_ai AFTER INSERT ON t%d BEGIN\n"
			         "  UPDATE t%d SET v = 'x' WHERE id = NEW.id;\nEND;\n-- +goose StatementEnd\n"
			         "-- +goose Down\nDROP TABLE t%d;\n",
			         i, i, i, i, i);
		else
			snprintf(text, sizeof(text),
			         "-- +goose Up\nCREATE TABLE t%d (id INTEGER PRIMARY KEY, v TEXT);\n"
			         "INSERT INTO t%d (v) VALUES ('a; b');\n-- +goose Down\nDROP TABLE t%d;\n",
			         i, i, i);
		snprintf(name, sizeof(name), "%05d_step_%d.sql", i, i);
		tu_write(dir, name, text);
	}
	return dir;
}

static void noop_up_over_goose_files_writes_nothing(void **state)
{
	const char *path = tu_keep(tu_fmt("%s/app.db", tu_tmpdir()));
	ladder_plan *plan = tu_plan(goose_dir());
	ladder_db *db = tu_open(path);
	ladder_result result;
	char before[65], after[65];
	struct timespec mtime_before, mtime_after;
	(void)state;

	assert_int_equal(ladder_plan_count(plan), STEPS);
	assert_true(ladder_plan_at(plan, 99)->up_flags & LADDER_NO_TRANSACTION);
	assert_false(ladder_plan_at(plan, 98)->up_flags & LADDER_NO_TRANSACTION);
	assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
	assert_int_equal(result.applied, STEPS);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM ladder_history WHERE state = 'done'"), STEPS);
	assert_int_equal(tu_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 't99_v'"), 1);
	ladder_db_close(db);

	tu_file_fingerprint(path, before, &mtime_before);
	sleep(1); /* so a write would move the mtime */
	for (int i = 0; i < 3; i++) {
		db = tu_open(path);
		assert_int_equal(ladder_migrate(&result, db, plan, NULL), 0);
		assert_int_equal(result.fast_path, 1);
		assert_int_equal(result.applied, 0);
		assert_int_equal(result.to_version, STEPS);
		ladder_db_close(db);
	}
	tu_file_fingerprint(path, after, &mtime_after);
	assert_string_equal(before, after);
	assert_int_equal(mtime_before.tv_sec, mtime_after.tv_sec);
	assert_int_equal(mtime_before.tv_nsec, mtime_after.tv_nsec);
	ladder_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(noop_up_over_goose_files_writes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
