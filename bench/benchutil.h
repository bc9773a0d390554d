/*
 * benchutil.h — what the benchmark programs (ladder-bench, ladder-bench-pg,
 * ladder-bench-settings) share: the clock, the median of repeated timings,
 * dying with the program's name, a plan of generated migrations and a timed
 * migrate, and the PostgreSQL server's URL from $LADDER_PG_URL_FILE. Nothing
 * here needs libpq, so the SQLite-only ladder-bench links it too.
 */
#ifndef LADDER_BENCHUTIL_H
#define LADDER_BENCHUTIL_H

#include <ladder.h>

#include <stddef.h>

/* Seconds on the monotonic clock. */
double bench_now(void);

/* The median of values[0..n-1]; values is left as it was. */
double bench_median(const double *values, int n);

/* "PROGRAM: what: why" on stderr, then exit(1). */
_Noreturn void bench_die(const char *what, const char *why);

/* bench_die with ladder's last error as the why. */
_Noreturn void bench_die_ladder(const char *what);

/* N generated migrations, version i named create_t<i>, each the SQL of a
 * printf template that takes the table number four times (four %d). */
typedef struct {
	ladder_migration_def *defs;
	char **sql;
	char **names;
	int n;
} bench_plan;

/* The SQL of generated migration i (malloc'd). */
char *bench_migration_sql(const char *sql_template, int i);

void bench_plan_generate(bench_plan *g, const char *sql_template, int n);
void bench_plan_free(bench_plan *g);

/* A ladder plan of the generated migrations; dies if ladder refuses it. */
ladder_plan *bench_plan_build(const bench_plan *g);

/* Seconds to open `target` (a path or URL), migrate it to the head of `plan`
 * and close it; dies ("apply: ...") if ladder fails. */
double bench_migrate_timed(const ladder_plan *plan, const char *target);

/* The server's URL, read once from the file $LADDER_PG_URL_FILE names
 * (tests/pg/server.sh writes DIR/url); dies if unset or unreadable. */
const char *bench_pg_url(void);

/* The URL of database `name` on that server. */
void bench_pg_db_url(char *url, size_t len, const char *name);

#endif
