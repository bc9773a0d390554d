/*
 * bench.c — ladder against the raw SQLite engine doing the same work in the
 * same run, printed as a table of medians and ratios:
 *   1. no-op migrate on a current database (200 migrations in the plan)
 *      vs a plain PRAGMA user_version read on the same connection;
 *   2. applying N = 200, 1,000, 10,000 generated migrations to a fresh file
 *      vs executing the same SQL in one transaction with the raw API;
 *   3. status over 10,000 applied migrations: time and statements executed;
 *   4. the CLI as a whole process for a no-op `up` vs `sqlite3 FILE
 *      'PRAGMA user_version'`.
 * Usage: ladder-bench [--quick]   (--quick: fewer repetitions, N <= 1,000)
 */
#define _GNU_SOURCE
#include <ladder.h>
#include <ladder/sqlite.h>

#include <ftw.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static char scratch[256];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), compare_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what)
{
	fprintf(stderr, "ladder-bench: %s: %s\n", what, ladder_error_last()->message);
	exit(1);
}

static void fresh_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", scratch, name);
	unlink(buf);
}

/* The SQL of generated migration i: a table, rows, an index. */
static char *migration_sql(int i)
{
	char *sql = NULL;
	if (asprintf(&sql,
	             "CREATE TABLE t%d (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER);\n"
	             "INSERT INTO t%d (name, n) VALUES ('a', 1), ('b', 2), ('c', 3);\n"
	             "CREATE INDEX t%d_name ON t%d (name);\n",
	             i, i, i, i) < 0)
		exit(1);
	return sql;
}

typedef struct {
	ladder_migration_def *defs;
	char **sql;
	char **names;
	int n;
} generated;

static void generate(generated *g, int n)
{
	g->n = n;
	g->defs = calloc((size_t)n, sizeof(*g->defs));
	g->sql = calloc((size_t)n, sizeof(char *));
	g->names = calloc((size_t)n, sizeof(char *));
	for (int i = 0; i < n; i++) {
		g->sql[i] = migration_sql(i + 1);
		if (asprintf(&g->names[i], "create_t%d", i + 1) < 0)
			exit(1);
		g->defs[i].version = i + 1;
		g->defs[i].name = g->names[i];
		g->defs[i].up_sql = g->sql[i];
	}
}

static void generated_free(generated *g)
{
	for (int i = 0; i < g->n; i++) {
		free(g->sql[i]);
		free(g->names[i]);
	}
	free(g->sql);
	free(g->names);
	free(g->defs);
}

static ladder_plan *plan_of(const generated *g)
{
	ladder_plan_def def = {g->defs, (size_t)g->n, NULL, 0};
	ladder_plan *plan = NULL;
	if (ladder_plan_from_def(&plan, &def) < 0)
		die("plan");
	return plan;
}

/* --- 1. no-op ---------------------------------------------------------------- */

static void bench_noop(int reps)
{
	generated g;
	ladder_plan *plan;
	ladder_db *db = NULL;
	sqlite3 *raw = NULL;
	char path[512];
	const int calls = 20000;
	double *t_ladder = calloc((size_t)reps, sizeof(double));
	double *t_raw = calloc((size_t)reps, sizeof(double));
	ladder_result result;

	generate(&g, 200);
	plan = plan_of(&g);
	fresh_path(path, sizeof(path), "noop.db");
	if (sqlite3_open(path, &raw) != SQLITE_OK)
		die("open");
	if (ladder_sqlite_wrap(&db, raw, NULL) < 0 || ladder_migrate(NULL, db, plan, NULL) < 0)
		die("migrate");
	for (int r = 0; r < reps; r++) {
		double start = now_s();
		for (int i = 0; i < calls; i++)
			if (ladder_migrate(&result, db, plan, NULL) < 0 || !result.fast_path)
				die("no-op migrate");
		t_ladder[r] = (now_s() - start) / calls;

		start = now_s();
		for (int i = 0; i < calls; i++) {
			sqlite3_stmt *stmt = NULL;
			volatile int version;
			sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &stmt, NULL);
			sqlite3_step(stmt);
			version = sqlite3_column_int(stmt, 0);
			(void)version;
			sqlite3_finalize(stmt);
		}
		t_raw[r] = (now_s() - start) / calls;
	}
	{
		double l = median(t_ladder, reps), w = median(t_raw, reps);
		printf("%-44s %12.2f us %12.2f us %8.2fx\n", "no-op migrate (200 in plan) vs user_version", l * 1e6, w * 1e6,
		       l / w);
	}
	ladder_db_close(db);
	sqlite3_close(raw);
	ladder_plan_free(plan);
	generated_free(&g);
	free(t_ladder);
	free(t_raw);
}

/* --- 2. apply N ------------------------------------------------------------------ */

static double apply_with_ladder(const ladder_plan *plan, const char *path)
{
	ladder_db *db = NULL;
	ladder_result result;
	double start = now_s();
	if (ladder_db_open(&db, path, NULL) < 0 || ladder_migrate(&result, db, plan, NULL) < 0)
		die("apply");
	ladder_db_close(db);
	return now_s() - start;
}

static double apply_raw(const generated *g, const char *path)
{
	sqlite3 *db = NULL;
	double start = now_s();
	if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		exit(1);
	for (int i = 0; i < g->n; i++)
		if (sqlite3_exec(db, g->sql[i], NULL, NULL, NULL) != SQLITE_OK) {
			fprintf(stderr, "raw: %s\n", sqlite3_errmsg(db));
			exit(1);
		}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		exit(1);
	sqlite3_close(db);
	return now_s() - start;
}

static void bench_apply(int n, int reps)
{
	generated g;
	ladder_plan *plan;
	char path[512], label[96];
	double *t_ladder = calloc((size_t)reps, sizeof(double));
	double *t_raw = calloc((size_t)reps, sizeof(double));
	double plan_start, plan_s;

	generate(&g, n);
	plan_start = now_s();
	plan = plan_of(&g);
	plan_s = now_s() - plan_start;
	for (int r = 0; r < reps; r++) {
		/* alternate the order so neither side always runs on a warmer cache */
		if (r % 2 == 0) {
			fresh_path(path, sizeof(path), "apply-ladder.db");
			t_ladder[r] = apply_with_ladder(plan, path);
			fresh_path(path, sizeof(path), "apply-raw.db");
			t_raw[r] = apply_raw(&g, path);
		} else {
			fresh_path(path, sizeof(path), "apply-raw.db");
			t_raw[r] = apply_raw(&g, path);
			fresh_path(path, sizeof(path), "apply-ladder.db");
			t_ladder[r] = apply_with_ladder(plan, path);
		}
	}
	{
		double l = median(t_ladder, reps), w = median(t_raw, reps);
		snprintf(label, sizeof(label), "apply %d migrations vs raw one transaction", n);
		printf("%-44s %12.2f ms %12.2f ms %8.2fx   (%.1f us/migration; plan build %.1f ms)\n", label, l * 1e3,
		       w * 1e3, l / w, l / n * 1e6, plan_s * 1e3);
	}
	ladder_plan_free(plan);
	generated_free(&g);
	free(t_ladder);
	free(t_raw);
}

/* --- 3. status over 10,000 --------------------------------------------------------- */

static int count_statements(unsigned int type, void *ctx, void *p, void *x)
{
	(void)type, (void)p, (void)x;
	(*(int *)ctx)++;
	return 0;
}

static void bench_status(int n, int reps)
{
	generated g;
	ladder_plan *plan;
	ladder_db *db = NULL;
	sqlite3 *raw = NULL;
	ladder_status *status = NULL;
	char path[512], label[96];
	double *t = calloc((size_t)reps, sizeof(double));
	double *t_raw = calloc((size_t)reps, sizeof(double));
	int statements = 0;

	generate(&g, n);
	plan = plan_of(&g);
	fresh_path(path, sizeof(path), "status.db");
	if (sqlite3_open(path, &raw) != SQLITE_OK || ladder_sqlite_wrap(&db, raw, NULL) < 0 ||
	    ladder_migrate(NULL, db, plan, NULL) < 0)
		die("status setup");
	sqlite3_trace_v2(raw, SQLITE_TRACE_STMT, count_statements, &statements);
	for (int r = 0; r < reps; r++) {
		double start = now_s();
		statements = 0;
		if (ladder_status_get(&status, db, plan) < 0)
			die("status");
		t[r] = now_s() - start;
		if (status->count != (size_t)n || status->pending != 0)
			die("status count");
		ladder_status_free(status);

		/* the raw engine reading the same rows */
		start = now_s();
		{
			sqlite3_stmt *stmt = NULL;
			int saved = statements;
			sqlite3_prepare_v2(raw, "SELECT * FROM ladder_history ORDER BY version", -1, &stmt, NULL);
			while (sqlite3_step(stmt) == SQLITE_ROW)
				;
			sqlite3_finalize(stmt);
			statements = saved;
		}
		t_raw[r] = now_s() - start;
	}
	{
		double l = median(t, reps), w = median(t_raw, reps);
		snprintf(label, sizeof(label), "status over %d applied vs raw SELECT", n);
		printf("%-44s %12.2f ms %12.2f ms %8.2fx   (%d SQL statements per status)\n", label, l * 1e3, w * 1e3,
		       l / w, statements);
	}
	ladder_db_close(db);
	sqlite3_close(raw);
	ladder_plan_free(plan);
	generated_free(&g);
	free(t);
	free(t_raw);
}

/* --- 4. the CLI as a process ----------------------------------------------------------- */

static double run_process(char *const argv[])
{
	pid_t pid;
	int status;
	posix_spawn_file_actions_t actions;
	double start = now_s();

	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", 1, 0);
	if (posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ) != 0) {
		fprintf(stderr, "ladder-bench: cannot run %s\n", argv[0]);
		exit(1);
	}
	posix_spawn_file_actions_destroy(&actions);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "ladder-bench: %s failed\n", argv[0]);
		exit(1);
	}
	return now_s() - start;
}

static void bench_cli(const char *cli, int reps)
{
	char dir[512], path[512], db_arg[600];
	double *t_cli = calloc((size_t)reps, sizeof(double));
	double *t_raw = calloc((size_t)reps, sizeof(double));

	snprintf(dir, sizeof(dir), "%s/cli-migrations", scratch);
	mkdir(dir, 0700);
	for (int i = 1; i <= 200; i++) {
		char file[700];
		char *sql = migration_sql(i);
		FILE *f;
		snprintf(file, sizeof(file), "%s/%04d_create_t%d.up.sql", dir, i, i);
		f = fopen(file, "w");
		fputs(sql, f);
		fclose(f);
		free(sql);
	}
	fresh_path(path, sizeof(path), "cli.db");
	snprintf(db_arg, sizeof(db_arg), "sqlite:%s", path);
	{
		char *up[] = {(char *)cli, "-q", "-d", db_arg, "-m", dir, "up", NULL};
		char *raw[] = {"sqlite3", path, "PRAGMA user_version", NULL};
		run_process(up);
		for (int r = 0; r < reps; r++) {
			t_cli[r] = run_process(up);
			t_raw[r] = run_process(raw);
		}
	}
	{
		double l = median(t_cli, reps), w = median(t_raw, reps);
		printf("%-44s %12.2f ms %12.2f ms %8.2fx\n", "CLI no-op up (200 files) vs sqlite3 process", l * 1e3, w * 1e3,
		       l / w);
	}
	free(t_cli);
	free(t_raw);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

int main(int argc, char **argv)
{
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	int reps = quick ? 3 : 7;
	char cli[1024];
	ssize_t len;

	snprintf(scratch, sizeof(scratch), "%s/ladder-bench-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(scratch) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	/* the CLI sits beside this binary in build/bin */
	len = readlink("/proc/self/exe", cli, sizeof(cli) - 1);
	if (len <= 0)
		return 1;
	cli[len] = '\0';
	strcpy(strrchr(cli, '/') + 1, "ladder");

	printf("ladder %s, SQLite %s; medians of %d runs\n\n", LADDER_VERSION_STRING, sqlite3_libversion(), reps);
	printf("%-44s %15s %15s %9s\n", "benchmark", "ladder", "raw engine", "ratio");
	bench_noop(reps);
	bench_apply(200, reps);
	bench_apply(1000, reps);
	if (!quick)
		bench_apply(10000, 3);
	bench_status(quick ? 1000 : 10000, reps);
	bench_cli(cli, quick ? 5 : 21);
	nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
