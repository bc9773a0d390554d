/*
 * bench.c — ladder against the raw SQLite engine doing the same work in the
 * same run, printed as a table of medians and ratios:
 *   1. no-op migrate on a current database (200 migrations in the plan)
 *      vs a plain PRAGMA user_version read on the same connection;
 *   2. applying N = 200, 1,000, 10,000 generated migrations to a fresh file
 *      vs executing the same SQL in one transaction with the raw API;
 *   3. status over 10,000 applied migrations: time and statements executed;
 *   4. the CLI as a whole process for a no-op `up` over 200 migrations
 *      (400 files: ups and downs) vs `sqlite3 FILE 'PRAGMA user_version'`,
 *      and its start-up alone (`ladder --version` vs `sqlite3 -version`).
 * Usage: ladder-bench [--quick | --cli]   (--quick: fewer repetitions,
 * N <= 1,000; --cli: section 4 alone)
 */
#define _GNU_SOURCE
#include <ladder.h>
#include <ladder/sqlite.h>

#include "benchutil.h"

#include <ftw.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char scratch[256];

static void fresh_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", scratch, name);
	unlink(buf);
}

/* The SQL of generated migration i (the %d are i): a table, rows, an index. */
static const char migration_template[] =
	"CREATE TABLE t%d (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER);\n"
	"INSERT INTO t%d (name, n) VALUES ('a', 1), ('b', 2), ('c', 3);\n"
	"CREATE INDEX t%d_name ON t%d (name);\n";

/* --- 1. no-op ---------------------------------------------------------------- */

static void bench_noop(int reps)
{
	bench_plan g;
	ladder_plan *plan;
	ladder_db *db = NULL;
	sqlite3 *raw = NULL;
	char path[512];
	const int calls = 20000;
	double *t_ladder = calloc((size_t)reps, sizeof(double));
	double *t_raw = calloc((size_t)reps, sizeof(double));
	ladder_result result;

	bench_plan_generate(&g, migration_template, 200);
	plan = bench_plan_build(&g);
	fresh_path(path, sizeof(path), "noop.db");
	if (sqlite3_open(path, &raw) != SQLITE_OK)
		bench_die_ladder("open");
	if (ladder_sqlite_wrap(&db, raw, NULL) < 0 || ladder_migrate(NULL, db, plan, NULL) < 0)
		bench_die_ladder("migrate");
	for (int r = 0; r < reps; r++) {
		double start = bench_now();
		for (int i = 0; i < calls; i++)
			if (ladder_migrate(&result, db, plan, NULL) < 0 || !result.fast_path)
				bench_die_ladder("no-op migrate");
		t_ladder[r] = (bench_now() - start) / calls;

		start = bench_now();
		for (int i = 0; i < calls; i++) {
			sqlite3_stmt *stmt = NULL;
			volatile int version;
			sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &stmt, NULL);
			sqlite3_step(stmt);
			version = sqlite3_column_int(stmt, 0);
			(void)version;
			sqlite3_finalize(stmt);
		}
		t_raw[r] = (bench_now() - start) / calls;
	}
	{
		double l = bench_median(t_ladder, reps), w = bench_median(t_raw, reps);
		printf("%-44s %12.2f us %12.2f us %8.2fx\n", "no-op migrate (200 in plan) vs user_version", l * 1e6, w * 1e6,
		       l / w);
	}
	ladder_db_close(db);
	sqlite3_close(raw);
	ladder_plan_free(plan);
	bench_plan_free(&g);
	free(t_ladder);
	free(t_raw);
}

/* --- 2. apply N ------------------------------------------------------------------ */

static double apply_raw(const bench_plan *g, const char *path)
{
	sqlite3 *db = NULL;
	double start = bench_now();
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
	return bench_now() - start;
}

static void bench_apply(int n, int reps)
{
	bench_plan g;
	ladder_plan *plan;
	char path[512], label[96];
	double *t_ladder = calloc((size_t)reps, sizeof(double));
	double *t_raw = calloc((size_t)reps, sizeof(double));
	double plan_start, plan_s;

	bench_plan_generate(&g, migration_template, n);
	plan_start = bench_now();
	plan = bench_plan_build(&g);
	plan_s = bench_now() - plan_start;
	for (int r = 0; r < reps; r++) {
		/* alternate the order so neither side always runs on a warmer cache */
		if (r % 2 == 0) {
			fresh_path(path, sizeof(path), "apply-ladder.db");
			t_ladder[r] = bench_migrate_timed(plan, path);
			fresh_path(path, sizeof(path), "apply-raw.db");
			t_raw[r] = apply_raw(&g, path);
		} else {
			fresh_path(path, sizeof(path), "apply-raw.db");
			t_raw[r] = apply_raw(&g, path);
			fresh_path(path, sizeof(path), "apply-ladder.db");
			t_ladder[r] = bench_migrate_timed(plan, path);
		}
	}
	{
		double l = bench_median(t_ladder, reps), w = bench_median(t_raw, reps);
		snprintf(label, sizeof(label), "apply %d migrations vs raw one transaction", n);
		printf("%-44s %12.2f ms %12.2f ms %8.2fx   (%.1f us/migration; plan build %.1f ms)\n", label, l * 1e3,
		       w * 1e3, l / w, l / n * 1e6, plan_s * 1e3);
	}
	ladder_plan_free(plan);
	bench_plan_free(&g);
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
	bench_plan g;
	ladder_plan *plan;
	ladder_db *db = NULL;
	sqlite3 *raw = NULL;
	ladder_status *status = NULL;
	char path[512], label[96];
	double *t = calloc((size_t)reps, sizeof(double));
	double *t_raw = calloc((size_t)reps, sizeof(double));
	int statements = 0;

	bench_plan_generate(&g, migration_template, n);
	plan = bench_plan_build(&g);
	fresh_path(path, sizeof(path), "status.db");
	if (sqlite3_open(path, &raw) != SQLITE_OK || ladder_sqlite_wrap(&db, raw, NULL) < 0 ||
	    ladder_migrate(NULL, db, plan, NULL) < 0)
		bench_die_ladder("status setup");
	sqlite3_trace_v2(raw, SQLITE_TRACE_STMT, count_statements, &statements);
	for (int r = 0; r < reps; r++) {
		double start = bench_now();
		statements = 0;
		if (ladder_status_get(&status, db, plan) < 0)
			bench_die_ladder("status");
		t[r] = bench_now() - start;
		if (status->count != (size_t)n || status->pending != 0)
			bench_die_ladder("status count");
		ladder_status_free(status);

		/* the raw engine reading the same rows */
		start = bench_now();
		{
			sqlite3_stmt *stmt = NULL;
			int saved = statements;
			sqlite3_prepare_v2(raw, "SELECT * FROM ladder_history ORDER BY version", -1, &stmt, NULL);
			while (sqlite3_step(stmt) == SQLITE_ROW)
				;
			sqlite3_finalize(stmt);
			statements = saved;
		}
		t_raw[r] = bench_now() - start;
	}
	{
		double l = bench_median(t, reps), w = bench_median(t_raw, reps);
		snprintf(label, sizeof(label), "status over %d applied vs raw SELECT", n);
		printf("%-44s %12.2f ms %12.2f ms %8.2fx   (%d SQL statements per status)\n", label, l * 1e3, w * 1e3,
		       l / w, statements);
	}
	ladder_db_close(db);
	sqlite3_close(raw);
	ladder_plan_free(plan);
	bench_plan_free(&g);
	free(t);
	free(t_raw);
}

/* --- 4. the CLI as a process ----------------------------------------------------------- */

/* Wall time of one run of argv (output to /dev/null), and in *cpu (unless
 * NULL) the CPU time it used, which a busy machine disturbs less; dies
 * unless it exits 0. */
static double run_process(char *const argv[], double *cpu)
{
	pid_t pid;
	int status;
	struct rusage usage;
	posix_spawn_file_actions_t actions;
	double start = bench_now();

	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", 1, 0);
	if (posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ) != 0) {
		fprintf(stderr, "ladder-bench: cannot run %s\n", argv[0]);
		exit(1);
	}
	posix_spawn_file_actions_destroy(&actions);
	wait4(pid, &status, 0, &usage);
	if (cpu != NULL)
		*cpu = (double)usage.ru_utime.tv_sec + (double)usage.ru_stime.tv_sec +
		       ((double)usage.ru_utime.tv_usec + (double)usage.ru_stime.tv_usec) / 1e6;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "ladder-bench: %s failed\n", argv[0]);
		exit(1);
	}
	return bench_now() - start;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		fprintf(stderr, "ladder-bench: cannot write %s\n", path);
		exit(1);
	}
}

/* Medians of `reps` runs of a and b, taken in turns (which goes first
 * alternates), so that a noisy machine slows both alike; one row. */
static void compare_processes(const char *label, char *const a[], char *const b[], int reps)
{
	double *t_a = calloc((size_t)reps, sizeof(double)), *cpu_a = calloc((size_t)reps, sizeof(double));
	double *t_b = calloc((size_t)reps, sizeof(double)), *cpu_b = calloc((size_t)reps, sizeof(double));

	run_process(a, NULL); /* warm the page cache and the file */
	run_process(b, NULL);
	for (int r = 0; r < reps; r++) {
		if (r % 2 == 0) {
			t_a[r] = run_process(a, &cpu_a[r]);
			t_b[r] = run_process(b, &cpu_b[r]);
		} else {
			t_b[r] = run_process(b, &cpu_b[r]);
			t_a[r] = run_process(a, &cpu_a[r]);
		}
	}
	{
		double l = bench_median(t_a, reps), w = bench_median(t_b, reps);
		double cl = bench_median(cpu_a, reps), cw = bench_median(cpu_b, reps);
		printf("%-44s %12.2f ms %12.2f ms %8.2fx   (CPU time %.2f vs %.2f ms: %.2fx)\n", label, l * 1e3, w * 1e3,
		       l / w, cl * 1e3, cw * 1e3, cw > 0 ? cl / cw : 0.0);
	}
	free(t_a);
	free(t_b);
	free(cpu_a);
	free(cpu_b);
}

static void bench_cli(const char *cli, int reps)
{
	char dir[512], path[512], db_arg[600];

	snprintf(dir, sizeof(dir), "%s/cli-migrations", scratch);
	mkdir(dir, 0700);
	for (int i = 1; i <= 200; i++) {
		char file[700], down[64];
		char *sql = bench_migration_sql(migration_template, i);
		snprintf(file, sizeof(file), "%s/%04d_create_t%d.up.sql", dir, i, i);
		write_file(file, sql);
		snprintf(file, sizeof(file), "%s/%04d_create_t%d.down.sql", dir, i, i);
		snprintf(down, sizeof(down), "DROP TABLE t%d;\n", i);
		write_file(file, down);
		free(sql);
	}
	fresh_path(path, sizeof(path), "cli.db");
	snprintf(db_arg, sizeof(db_arg), "sqlite:%s", path);
	{
		char *up[] = {(char *)cli, "-q", "-d", db_arg, "-m", dir, "up", NULL};
		char *raw[] = {"sqlite3", path, "PRAGMA user_version", NULL};
		char *version[] = {(char *)cli, "--version", NULL};
		char *raw_version[] = {"sqlite3", "-version", NULL};
		run_process(up, NULL); /* applies the 200: every later run is a no-op */
		compare_processes("CLI no-op up (200 pairs) vs sqlite3 process", up, raw, reps);
		compare_processes("CLI start-up (--version) vs sqlite3 -version", version, raw_version, reps);
	}
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

int main(int argc, char **argv)
{
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	int cli_only = argc > 1 && strcmp(argv[1], "--cli") == 0;
	int reps = quick ? 3 : 7;
	int cli_reps = quick ? 11 : 51;
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

	printf("ladder %s, SQLite %s; medians of %d runs (the CLI rows: %d, taken in turns)\n\n", LADDER_VERSION_STRING,
	       sqlite3_libversion(), reps, cli_reps);
	printf("%-44s %15s %15s %9s\n", "benchmark", "ladder", "raw engine", "ratio");
	if (!cli_only) {
		bench_noop(reps);
		bench_apply(200, reps);
		bench_apply(1000, reps);
		if (!quick)
			bench_apply(10000, 3);
		bench_status(quick ? 1000 : 10000, reps);
	}
	bench_cli(cli, cli_reps);
	nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
