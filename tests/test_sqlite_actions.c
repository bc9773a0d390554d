/*
 * test_sqlite_actions.c — the SQLite driver's read_actions and table_size,
 * on real scratch files: what each statement does as SQLite itself reads it
 * (creates, drops, the four ALTER TABLEs told apart, each ADD COLUMN flag,
 * defaults judged constant or not by SQLite's own rule), statements that
 * fail with SQLite's message at the right offset and stop the walk, what
 * is reported but never run (transaction control, foreign_keys), and the
 * scratch left usable. With LADDER_BENCH_STEPS=N it times N small steps.
 */
#include "testutil.h"

#include "db.h"

#include <ladder/sys/driver.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void run(ladder_db *db, const char *sql);

/* A scratch as the core opens one: foreign keys off, so rebuilds replay. */
static ladder_db *open_scratch(const char *name)
{
	ladder_db *db = NULL;
	assert_int_equal(ladder_db_open(&db, tu_fmt("%s/%s.db", tu_tmpdir(), name), NULL), 0);
	run(db, "PRAGMA foreign_keys = OFF");
	return db;
}

static sqlite3 *handle_of(ladder_db *db)
{
	return db->conn->driver->ops->native(db->conn);
}

static void run(ladder_db *db, const char *sql)
{
	char *message = NULL;
	if (sqlite3_exec(handle_of(db), sql, NULL, NULL, &message) != SQLITE_OK)
		fail_msg("%s: %s", sql, message);
}

static int64_t scalar(ladder_db *db, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	int64_t value = -1;
	assert_int_equal(sqlite3_prepare_v2(handle_of(db), sql, -1, &stmt, NULL), SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		value = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return value;
}

static const char *kind_name(ladder_action_kind kind)
{
	switch (kind) {
	case LADDER_ACT_CREATE_TABLE: return "CREATE_TABLE";
	case LADDER_ACT_DROP_TABLE: return "DROP_TABLE";
	case LADDER_ACT_RENAME_TABLE: return "RENAME_TABLE";
	case LADDER_ACT_ADD_COLUMN: return "ADD_COLUMN";
	case LADDER_ACT_DROP_COLUMN: return "DROP_COLUMN";
	case LADDER_ACT_RENAME_COLUMN: return "RENAME_COLUMN";
	case LADDER_ACT_CREATE_INDEX: return "CREATE_INDEX";
	case LADDER_ACT_DROP_INDEX: return "DROP_INDEX";
	case LADDER_ACT_REINDEX: return "REINDEX";
	case LADDER_ACT_PRAGMA: return "PRAGMA";
	case LADDER_ACT_FAILED: return "FAILED";
	default: return "OTHER";
	}
}

static const struct {
	unsigned int flag;
	const char *name;
} flag_names[] = {
	{LADDER_ACTF_NOT_NULL, "not_null"},   {LADDER_ACTF_DEFAULT, "default"},
	{LADDER_ACTF_VOLATILE, "volatile"},   {LADDER_ACTF_FILLS, "fills"},
	{LADDER_ACTF_FOREIGN_KEY, "fk"},      {LADDER_ACTF_UNIQUE, "unique"},
	{LADDER_ACTF_PRIMARY_KEY, "pk"},      {LADDER_ACTF_REFERENCED, "referenced"},
	{LADDER_ACTF_TEMPORARY, "temporary"}, {LADDER_ACTF_IF_EXISTS, "if_exists"},
};

/* One line per action: KIND [schema.]table[.column] [-> name] [type]
 * [flags] [detail] @offset[/stmt_offset when they differ]. */
typedef struct seen_actions {
	tu_buf text;
	int stop_after; /* return 7 from the callback after this many; 0 never */
	int count;
} seen_actions;

static int collect(void *ctx, const ladder_action *a)
{
	seen_actions *seen = ctx;
	char line[1200];
	int n = snprintf(line, sizeof(line), "%s", kind_name(a->kind));

	if (a->table[0])
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %s%s%s%s%s", a->schema, a->schema[0] ? "." : "",
		              a->table, a->column[0] ? "." : "", a->column);
	if (a->name[0])
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %s%s", a->table[0] ? "-> " : "", a->name);
	if (a->type[0])
		n += snprintf(line + n, sizeof(line) - (size_t)n, " type=%s", a->type);
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (a->flags & flag_names[i].flag)
			n += snprintf(line + n, sizeof(line) - (size_t)n, " %s", flag_names[i].name);
	if (a->detail[0])
		n += snprintf(line + n, sizeof(line) - (size_t)n, " [%s]", a->detail);
	n += snprintf(line + n, sizeof(line) - (size_t)n, " @%zu", a->offset);
	if (a->stmt_offset != a->offset)
		snprintf(line + n, sizeof(line) - (size_t)n, "/%zu", a->stmt_offset);
	tu_buf_add(&seen->text, line);
	tu_buf_add(&seen->text, "\n");
	if (seen->stop_after > 0 && ++seen->count == seen->stop_after)
		return 7;
	return 0;
}

/* The actions of sql on db, as lines. */
static void assert_actions(ladder_db *db, const char *sql, const char *expected)
{
	seen_actions seen = {{0}, 0, 0};
	ladder_conn *conn = db->conn;

	assert_true(conn->driver->caps & LADDER_DRIVER_ACTIONS_RUN);
	assert_int_equal(conn->driver->read_actions(conn, sql, strlen(sql), collect, &seen), 0);
	tu_assert_text_is(sql, seen.text.buf ? seen.text.buf : strdup(""), expected);
}

static void creates_and_drops(void **state)
{
	ladder_db *db = open_scratch("creates");
	(void)state;

	assert_actions(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT UNIQUE);",
	               "CREATE_TABLE t @0\n");
	assert_actions(db, "CREATE TABLE IF NOT EXISTS t (x);  CREATE TEMP TABLE scratchpad (x);",
	               "CREATE_TABLE t if_exists @0\n"
	               "CREATE_TABLE temp.scratchpad temporary @35\n");
	assert_actions(db, "CREATE UNIQUE INDEX t_email ON t (email);\nCREATE INDEX t_email_id ON t (email, id);",
	               "CREATE_INDEX t -> t_email unique @0\n"
	               "CREATE_INDEX t -> t_email_id @42\n");
	assert_actions(db, "CREATE INDEX pad_x ON scratchpad (x); DROP INDEX temp.pad_x; DROP INDEX IF EXISTS t_email_id;",
	               "CREATE_INDEX temp.scratchpad -> pad_x temporary @0\n"
	               "DROP_INDEX temp.scratchpad -> pad_x temporary @38\n"
	               "DROP_INDEX t -> t_email_id if_exists @61\n");
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 't_email%'"), 1);
	/* A view or a plain insert does nothing lint reads; REINDEX is named. */
	assert_actions(db, "CREATE VIEW v AS SELECT id FROM t; INSERT INTO t (email) VALUES ('a'); REINDEX t_email;",
	               "REINDEX t_email @71\n");
	assert_actions(db, "DROP TABLE scratchpad; DROP TABLE IF EXISTS t; DROP TABLE IF EXISTS never_was;",
	               "DROP_TABLE temp.scratchpad temporary @0\n"
	               "DROP_TABLE t if_exists @23\n");
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 't'"), 0);
	ladder_db_close(db);
}

static void add_column_flags(void **state)
{
	ladder_db *db = open_scratch("add_column");
	(void)state;

	run(db, "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE t (id INTEGER PRIMARY KEY)");
	assert_actions(db,
	               "ALTER TABLE t ADD COLUMN plain varchar(20);\n"
	               "ALTER TABLE t ADD COLUMN n INTEGER NOT NULL DEFAULT 0;\n"
	               "ALTER TABLE t ADD COLUMN s TEXT DEFAULT 'x';\n"
	               "ALTER TABLE t ADD COLUMN m INTEGER DEFAULT -1;\n"
	               "ALTER TABLE t ADD COLUMN z DEFAULT NULL;\n"
	               "ALTER TABLE t ADD COLUMN at TEXT DEFAULT CURRENT_TIMESTAMP;\n"
	               "ALTER TABLE t ADD COLUMN at2 TEXT DEFAULT (datetime('now'));\n"
	               "ALTER TABLE t ADD COLUMN two INTEGER DEFAULT (1 + 1);\n"
	               "ALTER TABLE t ADD COLUMN p_id INTEGER REFERENCES p (id);\n"
	               "ALTER TABLE t ADD COLUMN must INTEGER NOT NULL;\n"
	               "ALTER TABLE t ADD COLUMN v AS (id * 2);\n"
	               "ALTER TABLE t ADD COLUMN st AS (id * 3) STORED;\n",
	               "ADD_COLUMN t.plain type=varchar(20) @0\n"
	               "ADD_COLUMN t.n type=INTEGER not_null default @44\n"
	               "ADD_COLUMN t.s type=TEXT default @99\n"
	               "ADD_COLUMN t.m type=INTEGER default @144\n"
	               "ADD_COLUMN t.z default @191\n"
	               "ADD_COLUMN t.at type=TEXT default volatile @232\n"
	               "ADD_COLUMN t.at2 type=TEXT default volatile @292\n"
	               "ADD_COLUMN t.two type=INTEGER default volatile @353\n"
	               "ADD_COLUMN t.p_id type=INTEGER fk @407\n"
	               "ADD_COLUMN t.must type=INTEGER not_null @464\n"
	               "ADD_COLUMN t.v @512\n"
	               "ADD_COLUMN t.st fills @552\n");
	/* Every column is there: each statement ran. */
	assert_int_equal(scalar(db, "SELECT count(*) FROM pragma_table_xinfo('t')"), 13);
	/* Defaults are judged outside the scratch: no probe is left in it. */
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_temp_master"), 0);
	ladder_db_close(db);
}

/* The core may hold a transaction open around the step on the scratch:
 * judging a default must neither end it nor need to be outside one. */
static void add_column_inside_a_transaction(void **state)
{
	ladder_db *db = open_scratch("in_tx");
	ladder_conn *conn = db->conn;
	(void)state;

	run(db, "CREATE TABLE t (id INTEGER PRIMARY KEY)");
	assert_int_equal(conn->driver->ops->begin(conn, 1, 1000), 0);
	assert_actions(db, "ALTER TABLE t ADD COLUMN at TEXT DEFAULT CURRENT_TIMESTAMP; ALTER TABLE t ADD COLUMN k DEFAULT 7;",
	               "ADD_COLUMN t.at type=TEXT default volatile @0\n"
	               "ADD_COLUMN t.k default @60\n");
	assert_true(conn->driver->ops->in_transaction(conn));
	assert_int_equal(conn->driver->ops->rollback(conn), 0);
	assert_int_equal(scalar(db, "SELECT count(*) FROM pragma_table_xinfo('t')"), 1);
	ladder_db_close(db);
}

static void alter_table_told_apart(void **state)
{
	ladder_db *db = open_scratch("alter");
	(void)state;

	run(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT)");
	assert_actions(db,
	               "ALTER TABLE t RENAME COLUMN a TO alpha;\n"
	               "ALTER TABLE t DROP COLUMN b;\n"
	               "ALTER TABLE t RENAME TO things;\n"
	               "ALTER TABLE things RENAME alpha TO \"Alpha\";\n",
	               "RENAME_COLUMN t.a -> alpha @0\n"
	               "DROP_COLUMN t.b @40\n"
	               "RENAME_TABLE t -> things @69\n"
	               "RENAME_COLUMN things.alpha -> Alpha @101\n");
	/* A rename to the very same name changes nothing and says nothing. */
	assert_actions(db, "ALTER TABLE things RENAME COLUMN id TO id; ALTER TABLE things ADD COLUMN c2;",
	               "ADD_COLUMN things.c2 @43\n");
	ladder_db_close(db);
}

static void drop_table_referenced(void **state)
{
	ladder_db *db = open_scratch("referenced");
	(void)state;

	run(db, "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
	        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES Parent (id));"
	        "CREATE TABLE tree (id INTEGER PRIMARY KEY, up INTEGER REFERENCES tree (id));"
	        "CREATE TABLE lone (id INTEGER PRIMARY KEY)");
	/* Checked before each drop runs: once child is gone, parent is free. */
	assert_actions(db, "DROP TABLE parent; DROP TABLE tree; DROP TABLE lone;",
	               "DROP_TABLE parent referenced @0\n"
	               "DROP_TABLE tree @19\n"
	               "DROP_TABLE lone @36\n");
	run(db, "CREATE TABLE parent (id INTEGER PRIMARY KEY)");
	assert_actions(db, "DROP TABLE child; DROP TABLE parent;",
	               "DROP_TABLE child @0\n"
	               "DROP_TABLE parent @18\n");
	ladder_db_close(db);
}

static void failing_statements_stop_the_walk(void **state)
{
	ladder_db *db = open_scratch("failing");
	(void)state;

	run(db, "CREATE TABLE t (id INTEGER PRIMARY KEY); CREATE TABLE full (x); INSERT INTO full VALUES (1)");
	/* A syntax error points at its token; nothing after it runs. */
	assert_actions(db, "CREATE TABLE a (x);\nCREATE TABEL b (x);\nCREATE TABLE c (x);",
	               "CREATE_TABLE a @0\n"
	               "FAILED [near \"TABEL\": syntax error] @27/20\n");
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'c'"), 0);
	/* SQLite 3.40 gives no error offset for a missing table: the statement. */
	assert_actions(db, "  DROP TABLE nosuch;", "FAILED [no such table: nosuch] @2\n");
	assert_actions(db, "ALTER TABLE t ADD COLUMN u TEXT UNIQUE;", "FAILED [Cannot add a UNIQUE column] @0\n");
	assert_actions(db, "ALTER TABLE t ADD COLUMN k INTEGER PRIMARY KEY;",
	               "FAILED [Cannot add a PRIMARY KEY column] @0\n");
	/* Refused only for a table with rows: the scratch has them here. */
	assert_actions(db, "SELECT 1;\nALTER TABLE full ADD COLUMN at DEFAULT CURRENT_TIMESTAMP; CREATE TABLE d (x);",
	               "FAILED [Cannot add a column with non-constant default] @10\n");
	assert_actions(db, "ALTER TABLE full ADD COLUMN g AS (x + 1) STORED;",
	               "FAILED [cannot add a STORED column] @0\n");
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'd'"), 0);
	assert_int_equal(scalar(db, "SELECT count(*) FROM pragma_table_xinfo('full')"), 1);
	ladder_db_close(db);
}

/* The rebuild SQLite's documentation prescribes for changes ALTER TABLE
 * cannot make: four actions, in order. */
static void rebuild_in_order(void **state)
{
	ladder_db *db = open_scratch("rebuild");
	(void)state;

	run(db, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ann')");
	assert_actions(db,
	               "PRAGMA foreign_keys = OFF;\n"
	               "CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
	               "INSERT INTO users_new SELECT id, name FROM users;\n"
	               "DROP TABLE users;\n"
	               "ALTER TABLE users_new RENAME TO users;\n"
	               "PRAGMA main.foreign_keys = ON;\n",
	               "PRAGMA foreign_keys [OFF] @0\n"
	               "CREATE_TABLE users_new @27\n"
	               "DROP_TABLE users @146\n"
	               "RENAME_TABLE users_new -> users @164\n"
	               "PRAGMA foreign_keys [ON] @203\n"); /* SQLite names no schema for a pragma */
	assert_int_equal(scalar(db, "SELECT count(*) FROM users WHERE name = 'ann'"), 1);
	assert_int_equal(scalar(db, "SELECT \"notnull\" FROM pragma_table_info('users') WHERE name = 'name'"), 1);
	/* Reported, not run: the scratch replays with foreign keys off. */
	assert_int_equal(scalar(db, "PRAGMA foreign_keys"), 0);
	ladder_db_close(db);
}

static void transaction_control_is_not_run(void **state)
{
	ladder_db *db = open_scratch("tx");
	ladder_conn *conn = db->conn;
	(void)state;

	assert_actions(db,
	               "BEGIN;\nSAVEPOINT s;\nCREATE TABLE t (x);\nRELEASE s;\nPRAGMA journal_mode = WAL;\n"
	               "PRAGMA user_version = 5;\nVACUUM;\nCOMMIT;\nEND;\nROLLBACK;\n",
	               "CREATE_TABLE t @20\n"
	               "PRAGMA journal_mode [WAL] @51\n"
	               "PRAGMA user_version [5] @78\n");
	assert_false(conn->driver->ops->in_transaction(conn));
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 't'"), 1);
	assert_int_equal(scalar(db, "PRAGMA user_version"), 5);
	assert_int_equal(scalar(db, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 0);
	ladder_db_close(db);
}

static int count_and_stop(void *ctx, const ladder_action *a)
{
	(void)a;
	return ++*(int *)ctx == 1 ? 7 : 0;
}

/* The callback's nonzero return ends the walk before anything more runs,
 * and the scratch (its authorizer gone) keeps working. */
static void callback_stops_and_scratch_stays_usable(void **state)
{
	ladder_db *db = open_scratch("stop");
	ladder_conn *conn = db->conn;
	const char *sql = "CREATE TABLE a (x); CREATE TABLE b (x);";
	size_t err_offset;
	int calls = 0;
	(void)state;

	assert_int_equal(conn->driver->read_actions(conn, sql, strlen(sql), count_and_stop, &calls), 7);
	assert_int_equal(calls, 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('a', 'b')"), 1);
	assert_int_equal(conn->driver->ops->exec(conn, "CREATE TABLE b (x); DROP TABLE a", 32, 0, &err_offset), 0);
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('a', 'b')"), 1);
	ladder_db_close(db);
}

static void table_size_counts(void **state)
{
	ladder_db *db = open_scratch("size");
	ladder_conn *conn = db->conn;
	int exists = -1;
	int64_t rows = 0, bytes = 0, small_bytes;
	(void)state;

	run(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT); CREATE INDEX t_body ON t (body);"
	        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3)"
	        " INSERT INTO t (body) SELECT 'row ' || i FROM n");
	assert_int_equal(conn->driver->ops->table_size(conn, "", "T", &exists, &rows, &bytes), 0);
	assert_int_equal(exists, 1);
	assert_int_equal(rows, 3);
	assert_true(bytes >= 2 * 4096 || bytes >= 2 * scalar(db, "PRAGMA page_size")); /* table and index */
	small_bytes = bytes;
	run(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)"
	        " INSERT INTO t (body) SELECT printf('%0100d', i) FROM n");
	assert_int_equal(conn->driver->ops->table_size(conn, "main", "t", &exists, &rows, &bytes), 0);
	assert_int_equal(rows, 5003);
	assert_true(bytes > 5000 * 100);
	assert_true(bytes > small_bytes);
	assert_int_equal(conn->driver->ops->table_size(conn, NULL, "nosuch", &exists, &rows, &bytes), 0);
	assert_int_equal(exists, 0);
	assert_int_equal(rows, -1);
	run(db, "CREATE VIEW v AS SELECT 1");
	assert_int_equal(conn->driver->ops->table_size(conn, NULL, "v", &exists, &rows, &bytes), 0);
	assert_int_equal(exists, 0);
	ladder_db_close(db);
}

/* LADDER_BENCH_STEPS=N: N steps of create table + add column + create
 * index, each read on one scratch, timed per 1,000 steps: with each
 * statement committing on its own (a sync each), with each step in one
 * transaction (as the core may run it), with synchronous = OFF, and, for
 * comparison, the same text run plainly (exec) with synchronous = OFF. */
static void bench_mode(const char *mode, int steps)
{
	ladder_db *db = open_scratch(mode);
	ladder_conn *conn = db->conn;
	seen_actions seen = {{0}, 0, 0};
	int in_tx = strcmp(mode, "transaction") == 0;
	int exec_only = strcmp(mode, "exec") == 0; /* the same text run plainly: SQLite's own share */
	size_t err_offset;
	double start, elapsed, chunk = 0;

	if (strcmp(mode, "nosync") == 0 || exec_only)
		run(db, "PRAGMA synchronous = OFF");
	start = tu_now_ms();
	for (int i = 0; i < steps; i++) {
		const char *sql = tu_fmt("CREATE TABLE t%d (id INTEGER PRIMARY KEY, name TEXT);\n"
		                         "ALTER TABLE t%d ADD COLUMN created TEXT DEFAULT CURRENT_TIMESTAMP;\n"
		                         "CREATE INDEX t%d_name ON t%d (name);\n",
		                         i, i, i, i);
		if (in_tx)
			assert_int_equal(conn->driver->ops->begin(conn, 1, 1000), 0);
		if (exec_only) {
			assert_int_equal(conn->driver->ops->exec(conn, sql, strlen(sql), 0, &err_offset), 0);
			tu_buf_add(&seen.text, "volatile");
		} else {
			assert_int_equal(conn->driver->read_actions(conn, sql, strlen(sql), collect, &seen), 0);
		}
		if (in_tx)
			assert_int_equal(conn->driver->ops->commit(conn), 0);
		assert_non_null(strstr(seen.text.buf, "volatile"));
		free(seen.text.buf);
		memset(&seen, 0, sizeof(seen));
		/* Each ALTER TABLE makes SQLite parse the whole schema again, so a
		 * step costs more as the scratch grows: every 1,000th says how. */
		if ((i + 1) % 1000 == 0) {
			printf("# read_actions (%s): steps %d-%d: %.0f ms\n", mode, i - 998, i + 1,
			       tu_now_ms() - start - chunk);
			chunk = tu_now_ms() - start;
		}
	}
	elapsed = tu_now_ms() - start;
	printf("# read_actions (%s): %d steps in %.0f ms: %.0f ms per 1,000 steps\n", mode, steps, elapsed,
	       elapsed * 1000.0 / steps);
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"), steps);
	ladder_db_close(db);
}

static void bench_steps(void **state)
{
	const char *env = getenv("LADDER_BENCH_STEPS");
	const char *only = getenv("LADDER_BENCH_MODE");
	const char *modes[] = {"autocommit", "transaction", "nosync", "exec"};
	int steps = env ? atoi(env) : 20;
	(void)state;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (only == NULL || strcmp(only, modes[i]) == 0)
			bench_mode(modes[i], steps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(creates_and_drops),
		cmocka_unit_test(add_column_flags),
		cmocka_unit_test(add_column_inside_a_transaction),
		cmocka_unit_test(alter_table_told_apart),
		cmocka_unit_test(drop_table_referenced),
		cmocka_unit_test(failing_statements_stop_the_walk),
		cmocka_unit_test(rebuild_in_order),
		cmocka_unit_test(transaction_control_is_not_run),
		cmocka_unit_test(callback_stops_and_scratch_stays_usable),
		cmocka_unit_test(table_size_counts),
		cmocka_unit_test(bench_steps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
