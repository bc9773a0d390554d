/*
 * benchutil.c — the helpers the benchmark programs share (see benchutil.h):
 * clock, median, dying, generated migrations and a timed migrate, the
 * PostgreSQL server's URL.
 */
#define _GNU_SOURCE
#include "benchutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double bench_now(void)
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

double bench_median(const double *values, int n)
{
	double *v = malloc((size_t)n * sizeof(*v)), m;
	if (v == NULL)
		exit(1);
	memcpy(v, values, (size_t)n * sizeof(*v));
	qsort(v, (size_t)n, sizeof(*v), compare_double);
	m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	free(v);
	return m;
}

void bench_die(const char *what, const char *why)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, why);
	exit(1);
}

void bench_die_ladder(const char *what)
{
	bench_die(what, ladder_error_last()->message);
}

/* --- generated migrations ------------------------------------------------------ */

char *bench_migration_sql(const char *sql_template, int i)
{
	char *sql = NULL;
	if (asprintf(&sql, sql_template, i, i, i, i) < 0)
		exit(1);
	return sql;
}

void bench_plan_generate(bench_plan *g, const char *sql_template, int n)
{
	g->n = n;
	g->defs = calloc((size_t)n, sizeof(*g->defs));
	g->sql = calloc((size_t)n, sizeof(char *));
	g->names = calloc((size_t)n, sizeof(char *));
	if (g->defs == NULL || g->sql == NULL || g->names == NULL)
		exit(1);
	for (int i = 0; i < n; i++) {
		g->sql[i] = bench_migration_sql(sql_template, i + 1);
		if (asprintf(&g->names[i], "create_t%d", i + 1) < 0)
			exit(1);
		g->defs[i].version = i + 1;
		g->defs[i].name = g->names[i];
		g->defs[i].up_sql = g->sql[i];
	}
}

void bench_plan_free(bench_plan *g)
{
	for (int i = 0; i < g->n; i++) {
		free(g->sql[i]);
		free(g->names[i]);
	}
	free(g->sql);
	free(g->names);
	free(g->defs);
}

ladder_plan *bench_plan_build(const bench_plan *g)
{
	ladder_plan_def def = {g->defs, (size_t)g->n, NULL, 0};
	ladder_plan *plan = NULL;
	if (ladder_plan_from_def(&plan, &def) < 0)
		bench_die_ladder("plan");
	return plan;
}

double bench_migrate_timed(const ladder_plan *plan, const char *target)
{
	ladder_db *db = NULL;
	ladder_result result;
	double start = bench_now();
	if (ladder_db_open(&db, target, NULL) < 0 || ladder_migrate(&result, db, plan, NULL) < 0)
		bench_die_ladder("apply");
	ladder_db_close(db);
	return bench_now() - start;
}

/* --- the PostgreSQL server ------------------------------------------------------ */

static char server_url[512];
static char base_url[512]; /* server_url without the database name */

const char *bench_pg_url(void)
{
	const char *file;
	FILE *f;
	char *slash;

	if (server_url[0] != '\0')
		return server_url;
	file = getenv("LADDER_PG_URL_FILE");
	if (file == NULL || file[0] == '\0')
		bench_die("LADDER_PG_URL_FILE",
		          "not set (start a server with tests/pg/server.sh start DIR and point it at DIR/url)");
	if ((f = fopen(file, "r")) == NULL || fgets(server_url, sizeof(server_url), f) == NULL)
		bench_die(file, "cannot read the server's URL");
	fclose(f);
	server_url[strcspn(server_url, "\r\n")] = '\0';
	snprintf(base_url, sizeof(base_url), "%s", server_url);
	if ((slash = strrchr(base_url, '/')) == NULL || slash[-1] == '/')
		bench_die(file, "expected postgres://USER@HOST:PORT/DBNAME");
	*slash = '\0';
	return server_url;
}

void bench_pg_db_url(char *url, size_t len, const char *name)
{
	bench_pg_url();
	snprintf(url, len, "%s/%s", base_url, name);
}
