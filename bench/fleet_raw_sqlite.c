/*
 * fleet_raw_sqlite.c — the raw engine's side of bench/fleet_bench.sh: what a
 * hand-written "is every database current?" loop costs, in one process with
 * nothing of ladder in it. It expands the same glob(3) pattern the fleet
 * gets, then for every file: sqlite3_open_v2 (read-write, as ladder opens it),
 * one read of where the file is, sqlite3_close. THREADS threads share the
 * list (one atomic cursor), as the fleet's workers do.
 *
 * Where the file is, by MODE:
 *   pragma  PRAGMA user_version (a header field: no schema parse), the
 *           cheapest question SQLite answers and the baseline the fleet's goal
 *           is stated against;
 *   head    SELECT version, chain, state FROM ladder_history ORDER BY version
 *           DESC LIMIT 1, the very read ladder's no-op `up` makes (it parses
 *           the schema, as ladder's must).
 * A file whose answer is not EXPECT is counted as wrong, so the work cannot be
 * skipped unnoticed; the program fails if any file fails or is wrong.
 *
 *   ladder-fleet-raw-sqlite PATTERN THREADS pragma|head EXPECT
 * prints "files N threads T mode M seconds S" (the loop alone, glob included).
 */
#define _GNU_SOURCE
#include <glob.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char head_sql[] = "SELECT version, chain, state FROM ladder_history ORDER BY version DESC LIMIT 1";

typedef struct {
	char **paths;
	size_t n;
	int head; /* mode head, else pragma */
	long long expect;
	atomic_size_t next;
	atomic_size_t failed, wrong;
} shared_work;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One file: open, one statement, close. Returns -1 when SQLite failed, 1 when
 * the file answered something else than expect, 0 when it is current. */
static int check_one(const char *path, int head, long long expect)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	int result = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		goto done;
	if (sqlite3_prepare_v2(db, head ? head_sql : "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
		goto done;
	if (sqlite3_step(stmt) != SQLITE_ROW)
		goto done;
	result = sqlite3_column_int64(stmt, 0) == expect ? 0 : 1;
done:
	if (result < 0)
		fprintf(stderr, "ladder-fleet-raw-sqlite: %s: %s\n", path, db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return result;
}

static void *worker(void *arg)
{
	shared_work *w = arg;
	size_t i;

	while ((i = atomic_fetch_add(&w->next, 1)) < w->n) {
		int r = check_one(w->paths[i], w->head, w->expect);
		if (r < 0)
			atomic_fetch_add(&w->failed, 1);
		else if (r > 0)
			atomic_fetch_add(&w->wrong, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	glob_t g;
	shared_work w;
	pthread_t *threads;
	int nthreads, rc;
	double start, seconds;

	if (argc != 5 || (nthreads = atoi(argv[2])) < 1 ||
	    (strcmp(argv[3], "pragma") != 0 && strcmp(argv[3], "head") != 0)) {
		fprintf(stderr, "usage: ladder-fleet-raw-sqlite PATTERN THREADS pragma|head EXPECT\n");
		return 2;
	}
	memset(&w, 0, sizeof(w));
	w.head = strcmp(argv[3], "head") == 0;
	w.expect = atoll(argv[4]);
	if ((threads = calloc((size_t)nthreads, sizeof(*threads))) == NULL)
		return 1;

	start = now();
	if ((rc = glob(argv[1], 0, NULL, &g)) != 0) {
		fprintf(stderr, "ladder-fleet-raw-sqlite: %s: %s\n", argv[1], rc == GLOB_NOMATCH ? "no match" : "glob failed");
		free(threads);
		return 1;
	}
	w.paths = g.gl_pathv;
	w.n = g.gl_pathc;
	for (int t = 0; t < nthreads; t++)
		if (pthread_create(&threads[t], NULL, worker, &w) != 0) {
			fprintf(stderr, "ladder-fleet-raw-sqlite: cannot start thread %d\n", t);
			return 1;
		}
	for (int t = 0; t < nthreads; t++)
		pthread_join(threads[t], NULL);
	seconds = now() - start;

	printf("files %zu threads %d mode %s seconds %.6f\n", w.n, nthreads, argv[3], seconds);
	rc = 0;
	if (atomic_load(&w.failed) || atomic_load(&w.wrong)) {
		fprintf(stderr, "ladder-fleet-raw-sqlite: %zu failed, %zu not at version %lld\n", atomic_load(&w.failed),
		        atomic_load(&w.wrong), w.expect);
		rc = 1;
	}
	globfree(&g);
	free(threads);
	return rc;
}
