/*
 * fleet_raw_pg.c — the raw engine's side of bench/pg/fleet_bench.sh: the
 * same migrations applied to every schema of a database over CONNECTIONS raw
 * libpq connections, one thread each, with nothing of ladder in it. It is
 * what a careful hand-written tenant migrator does:
 *
 *   schemas: SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 (the
 *            fleet's --schemas question), in name order;
 *   each:    BEGIN; SET LOCAL search_path TO "schema"; each migration file's
 *            text in one PQexec (the file's statements together, in file
 *            order); COMMIT — one transaction per schema, as ladder's `up`
 *            runs by default. It records nothing of what it applied (ladder
 *            writes its history rows and takes an advisory lock besides).
 *
 * The files are DIR's *.up.sql in name order, read once before the clock
 * starts as ladder reads its plan once. Any failed statement fails the run.
 *
 *   ladder-fleet-raw-pg URL DIR LIKE CONNECTIONS
 * prints "schemas N connections C files F seconds S" (connecting included).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
	const char *url;
	char **schemas;
	size_t nschemas;
	char **sql; /* the files' text, in order */
	size_t nfiles;
	atomic_size_t next;
	atomic_int failed;
} shared_work;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static _Noreturn void die(const char *what, const char *why)
{
	fprintf(stderr, "ladder-fleet-raw-pg: %s: %s\n", what, why);
	exit(1);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	long size;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (text = malloc((size_t)size + 1)) == NULL || fread(text, 1, (size_t)size, f) != (size_t)size)
		die(path, "cannot read");
	text[size] = '\0';
	fclose(f);
	return text;
}

/* DIR's *.up.sql, in name order. */
static void read_plan(shared_work *w, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (d == NULL)
		die(dir, "cannot open");
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len <= 7 || strcmp(e->d_name + len - 7, ".up.sql") != 0)
			continue;
		if ((names = realloc(names, (n + 1) * sizeof(*names))) == NULL ||
		    asprintf(&names[n], "%s/%s", dir, e->d_name) < 0)
			die(dir, "out of memory");
		n++;
	}
	closedir(d);
	if (n == 0)
		die(dir, "no *.up.sql files");
	qsort(names, n, sizeof(*names), compare_names);
	if ((w->sql = calloc(n, sizeof(*w->sql))) == NULL)
		die(dir, "out of memory");
	for (size_t i = 0; i < n; i++) {
		w->sql[i] = read_text(names[i]);
		free(names[i]);
	}
	free(names);
	w->nfiles = n;
}

static void list_schemas(shared_work *w, PGconn *conn, const char *like)
{
	const char *params[1] = {like};
	PGresult *res = PQexecParams(conn, "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 ORDER BY 1", 1, NULL,
	                             params, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die("list schemas", PQerrorMessage(conn));
	w->nschemas = (size_t)PQntuples(res);
	if ((w->schemas = calloc(w->nschemas + 1, sizeof(*w->schemas))) == NULL)
		die("list schemas", "out of memory");
	for (size_t i = 0; i < w->nschemas; i++)
		if ((w->schemas[i] = strdup(PQgetvalue(res, (int)i, 0))) == NULL)
			die("list schemas", "out of memory");
	PQclear(res);
}

/* One statement or file; 0 when it succeeded. */
static int run(PGconn *conn, const char *schema, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "ladder-fleet-raw-pg: %s: %s", schema, PQerrorMessage(conn));
	PQclear(res);
	return ok ? 0 : -1;
}

/* One schema, in one transaction; 0 when it committed. */
static int migrate_schema(shared_work *w, PGconn *conn, const char *schema)
{
	char *ident = PQescapeIdentifier(conn, schema, strlen(schema)), *set = NULL;
	int error = -1;

	if (ident == NULL || asprintf(&set, "SET LOCAL search_path TO %s", ident) < 0)
		goto done;
	if (run(conn, schema, "BEGIN") < 0)
		goto done;
	if (run(conn, schema, set) < 0)
		goto rollback;
	for (size_t f = 0; f < w->nfiles; f++)
		if (run(conn, schema, w->sql[f]) < 0)
			goto rollback;
	error = run(conn, schema, "COMMIT");
	goto done;
rollback:
	run(conn, schema, "ROLLBACK");
done:
	free(set);
	PQfreemem(ident);
	return error;
}

static void *worker(void *arg)
{
	shared_work *w = arg;
	PGconn *conn = PQconnectdb(w->url);
	size_t i;

	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "ladder-fleet-raw-pg: connect: %s", PQerrorMessage(conn));
		atomic_fetch_add(&w->failed, 1);
		PQfinish(conn);
		return NULL;
	}
	while ((i = atomic_fetch_add(&w->next, 1)) < w->nschemas)
		if (migrate_schema(w, conn, w->schemas[i]) < 0)
			atomic_fetch_add(&w->failed, 1);
	PQfinish(conn);
	return NULL;
}

int main(int argc, char **argv)
{
	shared_work w;
	pthread_t *threads;
	PGconn *conn;
	int nconn;
	double start, seconds;

	if (argc != 5 || (nconn = atoi(argv[4])) < 1) {
		fprintf(stderr, "usage: ladder-fleet-raw-pg URL DIR LIKE CONNECTIONS\n");
		return 2;
	}
	memset(&w, 0, sizeof(w));
	w.url = argv[1];
	read_plan(&w, argv[2]);
	if ((threads = calloc((size_t)nconn, sizeof(*threads))) == NULL)
		die("threads", "out of memory");

	start = now();
	conn = PQconnectdb(w.url);
	if (PQstatus(conn) != CONNECTION_OK)
		die("connect", PQerrorMessage(conn));
	list_schemas(&w, conn, argv[3]);
	PQfinish(conn);
	for (int t = 0; t < nconn; t++)
		if (pthread_create(&threads[t], NULL, worker, &w) != 0)
			die("threads", "cannot start one");
	for (int t = 0; t < nconn; t++)
		pthread_join(threads[t], NULL);
	seconds = now() - start;

	printf("schemas %zu connections %d files %zu seconds %.6f\n", w.nschemas, nconn, w.nfiles, seconds);
	for (size_t i = 0; i < w.nschemas; i++)
		free(w.schemas[i]);
	for (size_t f = 0; f < w.nfiles; f++)
		free(w.sql[f]);
	free(w.schemas);
	free(w.sql);
	free(threads);
	if (atomic_load(&w.failed)) {
		fprintf(stderr, "ladder-fleet-raw-pg: %d schemas failed\n", atomic_load(&w.failed));
		return 1;
	}
	return 0;
}
