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

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char server_url[512];
static char base_url[512]; /* server_url without the database name */
static PGconn *admin;
static int db_counter;

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

static void die(const char *what, const char *why)
{
	fprintf(stderr, "ladder-bench-pg: %s: %s\n", what, why);
	exit(1);
}

static void admin_exec(const char *sql)
{
	PGresult *res = PQexec(admin, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die(sql, PQerrorMessage(admin));
	PQclear(res);
}

/* A fresh database; its URL goes to url. */
static void fresh_db(char *url, size_t len, char *name, size_t name_len)
{
	char sql[256];
	snprintf(name, name_len, "ladder_bench_%d_%d", (int)getpid(), ++db_counter);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	admin_exec(sql);
	snprintf(url, len, "%s/%s", base_url, name);
}

static void drop_db(const char *name)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	admin_exec(sql);
}

/* The SQL of generated migration i: a table, rows, an index. */
static char *migration_sql(int i)
{
	char *sql = NULL;
	if (asprintf(&sql,
	             "CREATE TABLE t%d (id serial PRIMARY KEY, name text NOT NULL, n integer);\n"
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
	if (g->defs == NULL || g->sql == NULL || g->names == NULL)
		exit(1);
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
		die("plan", ladder_error_last()->message);
	return plan;
}

/* --- 1. apply N ------------------------------------------------------------- */

static double apply_with_ladder(const ladder_plan *plan, const char *url)
{
	ladder_db *db = NULL;
	ladder_result result;
	double start = now_s();
	if (ladder_db_open(&db, url, NULL) < 0 || ladder_migrate(&result, db, plan, NULL) < 0)
		die("apply", ladder_error_last()->message);
	ladder_db_close(db);
	return now_s() - start;
}

static void raw_exec(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("raw", PQerrorMessage(conn));
	PQclear(res);
}

static double apply_raw(const generated *g, const char *url)
{
	double start = now_s();
	PGconn *conn = PQconnectdb(url);
	if (PQstatus(conn) != CONNECTION_OK)
		die("raw connect", PQerrorMessage(conn));
	raw_exec(conn, "BEGIN");
	for (int i = 0; i < g->n; i++)
		raw_exec(conn, g->sql[i]);
	raw_exec(conn, "COMMIT");
	PQfinish(conn);
	return now_s() - start;
}

static void bench_apply(int n, int reps)
{
	generated g;
	ladder_plan *plan;
	char url[768], name[128], label[96];
	double *t_ladder = calloc((size_t)reps, sizeof(double));
	double *t_raw = calloc((size_t)reps, sizeof(double));

	generate(&g, n);
	plan = plan_of(&g);
	for (int r = 0; r < reps; r++) {
		/* alternate the order so neither side always runs on a warmer server */
		for (int side = 0; side < 2; side++) {
			fresh_db(url, sizeof(url), name, sizeof(name));
			if ((side == 0) == (r % 2 == 0))
				t_ladder[r] = apply_with_ladder(plan, url);
			else
				t_raw[r] = apply_raw(&g, url);
			drop_db(name);
		}
	}
	{
		double l = median(t_ladder, reps), w = median(t_raw, reps);
		snprintf(label, sizeof(label), "apply %d migrations vs raw one transaction", n);
		printf("%-46s %12.2f ms %12.2f ms %8.2fx   (%.1f us/migration)\n", label, l * 1e3, w * 1e3, l / w,
		       l / n * 1e6);
	}
	ladder_plan_free(plan);
	generated_free(&g);
	free(t_ladder);
	free(t_raw);
}

/* --- 2. no-op ------------------------------------------------------------------ */

static void bench_noop(int reps)
{
	generated g;
	ladder_plan *plan;
	ladder_db *db = NULL;
	ladder_result result;
	PGconn *conn;
	char url[768], name[128];
	const int calls = 2000;
	double *t_ladder = calloc((size_t)reps, sizeof(double));
	double *t_raw = calloc((size_t)reps, sizeof(double));

	generate(&g, 200);
	plan = plan_of(&g);
	fresh_db(url, sizeof(url), name, sizeof(name));
	if (ladder_db_open(&db, url, NULL) < 0 || ladder_migrate(NULL, db, plan, NULL) < 0)
		die("no-op setup", ladder_error_last()->message);
	conn = ladder_db_native(db);
	/* Small blocks taken in turn, so that both sides see the same load on a
	 * busy machine. */
	for (int r = 0; r < reps; r++) {
		for (int block = 0; block < calls / 100; block++) {
			double start = now_s();
			for (int i = 0; i < 100; i++)
				if (ladder_migrate(&result, db, plan, NULL) < 0 || !result.fast_path)
					die("no-op migrate", ladder_error_last()->message);
			t_ladder[r] += now_s() - start;

			start = now_s();
			for (int i = 0; i < 100; i++) {
				PGresult *res = PQexec(conn, "SELECT 1");
				if (PQresultStatus(res) != PGRES_TUPLES_OK)
					die("SELECT 1", PQerrorMessage(conn));
				PQclear(res);
			}
			t_raw[r] += now_s() - start;
		}
		t_ladder[r] /= calls;
		t_raw[r] /= calls;
	}
	{
		double l = median(t_ladder, reps), w = median(t_raw, reps);
		printf("%-46s %12.2f us %12.2f us %8.2fx\n", "no-op migrate (200 in plan) vs SELECT 1", l * 1e6, w * 1e6,
		       l / w);
	}
	ladder_db_close(db);
	drop_db(name);
	ladder_plan_free(plan);
	generated_free(&g);
	free(t_ladder);
	free(t_raw);
}

static void read_url(void)
{
	const char *file = getenv("LADDER_PG_URL_FILE");
	FILE *f;
	char *slash;

	if (file == NULL || file[0] == '\0')
		die("LADDER_PG_URL_FILE", "not set (start a server with tests/pg/server.sh start DIR and point it at DIR/url)");
	if ((f = fopen(file, "r")) == NULL || fgets(server_url, sizeof(server_url), f) == NULL)
		die(file, "cannot read the server's URL");
	fclose(f);
	server_url[strcspn(server_url, "\r\n")] = '\0';
	snprintf(base_url, sizeof(base_url), "%s", server_url);
	if ((slash = strrchr(base_url, '/')) == NULL || slash[-1] == '/')
		die(file, "expected postgres://USER@HOST:PORT/DBNAME");
	*slash = '\0';
}

int main(int argc, char **argv)
{
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	int reps = quick ? 3 : 7;

	read_url();
	admin = PQconnectdb(server_url);
	if (PQstatus(admin) != CONNECTION_OK)
		die(server_url, PQerrorMessage(admin));
	printf("ladder %s, PostgreSQL %d (libpq %d); medians of %d runs, each on a fresh database\n\n",
	       LADDER_VERSION_STRING, PQserverVersion(admin), PQlibVersion(), reps);
	printf("%-46s %15s %15s %9s\n", "benchmark", "ladder", "raw libpq", "ratio");
	bench_apply(200, reps);
	bench_apply(1000, quick ? 3 : 5);
	bench_noop(reps);
	PQfinish(admin);
	return 0;
}
