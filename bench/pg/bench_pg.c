/*
 * bench_pg.c — ladder on PostgreSQL against raw libpq doing the same work in
 * the same run, printed as a table of medians and ratios:
 *   1. applying N = 200 and 1,000 generated migrations to a fresh database
 *      vs executing the same SQL in one transaction over a raw connection
 *      (both sides connect, run and disconnect; target at most 1.1x);
 *   2. no-op migrate on a current database (200 migrations in the plan) vs
 *      one `SELECT 1` round trip on the same connection (target 1.5x).
 * The server is the one tests/pg/server.sh starts (`make bench` does), named
 * by LADDER_PG_URL_FILE. Usage: ladder-bench-pg [--quick]
 */
#define _GNU_SOURCE
#include <ladder.h>

#include "benchutil.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static PGconn *admin;
static int db_counter;

static void admin_exec(const char *sql)
{
	PGresult *res = PQexec(admin, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		bench_die(sql, PQerrorMessage(admin));
	PQclear(res);
}

/* A fresh database; its URL goes to url. */
static void fresh_db(char *url, size_t len, char *name, size_t name_len)
{
	char sql[256];
	snprintf(name, name_len, "ladder_bench_%d_%d", (int)getpid(), ++db_counter);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	admin_exec(sql);
	bench_pg_db_url(url, len, name);
}

static void drop_db(const char *name)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	admin_exec(sql);
}

/* The SQL of generated migration i (the %d are i): a table, rows, an index. */
static const char migration_template[] =
	"CREATE TABLE t%d (id serial PRIMARY KEY, name text NOT NULL, n integer);\n"
	"INSERT INTO t%d (name, n) VALUES ('a', 1), ('b', 2), ('c', 3);\n"
	"CREATE INDEX t%d_name ON t%d (name);\n";

/* --- 1. apply N ------------------------------------------------------------- */

static void raw_exec(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		bench_die("raw", PQerrorMessage(conn));
	PQclear(res);
}

static double apply_raw(const bench_plan *g, const char *url)
{
	double start = bench_now();
	PGconn *conn = PQconnectdb(url);
	if (PQstatus(conn) != CONNECTION_OK)
		bench_die("raw connect", PQerrorMessage(conn));
	raw_exec(conn, "BEGIN");
	for (int i = 0; i < g->n; i++)
		raw_exec(conn, g->sql[i]);
	raw_exec(conn, "COMMIT");
	PQfinish(conn);
	return bench_now() - start;
}

static void bench_apply(int n, int reps)
{
	bench_plan g;
	ladder_plan *plan;
	char url[768], name[128], label[96];
	double *t_ladder = calloc((size_t)reps, sizeof(double));
	double *t_raw = calloc((size_t)reps, sizeof(double));

	bench_plan_generate(&g, migration_template, n);
	plan = bench_plan_build(&g);
	for (int r = 0; r < reps; r++) {
		/* alternate the order so neither side always runs on a warmer server */
		for (int side = 0; side < 2; side++) {
			fresh_db(url, sizeof(url), name, sizeof(name));
			if ((side == 0) == (r % 2 == 0))
				t_ladder[r] = bench_migrate_timed(plan, url);
			else
				t_raw[r] = apply_raw(&g, url);
			drop_db(name);
		}
	}
	{
		double l = bench_median(t_ladder, reps), w = bench_median(t_raw, reps);
		snprintf(label, sizeof(label), "apply %d migrations vs raw one transaction", n);
		printf("%-46s %12.2f ms %12.2f ms %8.2fx   (%.1f us/migration)\n", label, l * 1e3, w * 1e3, l / w,
		       l / n * 1e6);
	}
	ladder_plan_free(plan);
	bench_plan_free(&g);
	free(t_ladder);
	free(t_raw);
}

/* --- 2. no-op ------------------------------------------------------------------ */

static void bench_noop(int reps)
{
	bench_plan g;
	ladder_plan *plan;
	ladder_db *db = NULL;
	ladder_result result;
	PGconn *conn;
	char url[768], name[128];
	const int calls = 2000;
	double *t_ladder = calloc((size_t)reps, sizeof(double));
	double *t_raw = calloc((size_t)reps, sizeof(double));

	bench_plan_generate(&g, migration_template, 200);
	plan = bench_plan_build(&g);
	fresh_db(url, sizeof(url), name, sizeof(name));
	if (ladder_db_open(&db, url, NULL) < 0 || ladder_migrate(NULL, db, plan, NULL) < 0)
		bench_die_ladder("no-op setup");
	conn = ladder_db_native(db);
	/* Small blocks taken in turn, so that both sides see the same load on a
	 * busy machine. */
	for (int r = 0; r < reps; r++) {
		for (int block = 0; block < calls / 100; block++) {
			double start = bench_now();
			for (int i = 0; i < 100; i++)
				if (ladder_migrate(&result, db, plan, NULL) < 0 || !result.fast_path)
					bench_die_ladder("no-op migrate");
			t_ladder[r] += bench_now() - start;

			start = bench_now();
			for (int i = 0; i < 100; i++) {
				PGresult *res = PQexec(conn, "SELECT 1");
				if (PQresultStatus(res) != PGRES_TUPLES_OK)
					bench_die("SELECT 1", PQerrorMessage(conn));
				PQclear(res);
			}
			t_raw[r] += bench_now() - start;
		}
		t_ladder[r] /= calls;
		t_raw[r] /= calls;
	}
	{
		double l = bench_median(t_ladder, reps), w = bench_median(t_raw, reps);
		printf("%-46s %12.2f us %12.2f us %8.2fx\n", "no-op migrate (200 in plan) vs SELECT 1", l * 1e6, w * 1e6,
		       l / w);
	}
	ladder_db_close(db);
	drop_db(name);
	ladder_plan_free(plan);
	bench_plan_free(&g);
	free(t_ladder);
	free(t_raw);
}

int main(int argc, char **argv)
{
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	int reps = quick ? 3 : 7;

	admin = PQconnectdb(bench_pg_url());
	if (PQstatus(admin) != CONNECTION_OK)
		bench_die(bench_pg_url(), PQerrorMessage(admin));
	printf("ladder %s, PostgreSQL %d (libpq %d); medians of %d runs, each on a fresh database\n\n",
	       LADDER_VERSION_STRING, PQserverVersion(admin), PQlibVersion(), reps);
	printf("%-46s %15s %15s %9s\n", "benchmark", "ladder", "raw libpq", "ratio");
	bench_apply(200, reps);
	bench_apply(1000, quick ? 3 : 5);
	bench_noop(reps);
	PQfinish(admin);
	return 0;
}
