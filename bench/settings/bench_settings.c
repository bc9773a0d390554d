/*
 * bench_settings.c — V114 of examples/settings (PhoenixKit settings: rekey
 * integration rows by uuid) run by ladder, against the same single UPDATE
 * run directly over libpq, in the same run and on identical data:
 *
 *   1. database A is brought to 113 by ladder (the baseline, comment store
 *      "comment:phoenix_kit"), filled with N generated rows in a mix of
 *      shapes, VACUUM ANALYZEd, then copied byte for byte into database B
 *      (CREATE DATABASE b TEMPLATE a, with nobody connected to A);
 *   2. on A, ladder_migrate to the head: V114 up as ladder runs it (lock,
 *      validation scans, the UPDATE, the '114' comment stamp, one
 *      transaction); on B, over a raw connection: BEGIN, the UPDATE
 *      statement of 114_integration_uuid_keys.up.sql (read from the file:
 *      its last line starting with "UPDATE" to the end), COMMIT. Both sides
 *      are timed on a connection that is already open, after a CHECKPOINT;
 *   3. both databases must then hold the same rows, every integration row
 *      rekeyed: otherwise the program fails.
 *
 * Repeated on fresh databases (3 runs, 1 with --quick), alternating which
 * side runs first; prints medians, rows per second and the ratio. The
 * server is the one tests/pg/server.sh starts, named by LADDER_PG_URL_FILE.
 *
 * Usage: ladder-bench-settings [ROWS | --quick]   (default 1000000; --quick:
 * 100000 rows, one run)
 */
#define _GNU_SOURCE
#include <ladder.h>

#include "benchutil.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef LADDER_SOURCE_DIR
#error "LADDER_SOURCE_DIR (the repository root) must be defined"
#endif

#define MIGRATIONS_DIR LADDER_SOURCE_DIR "/examples/settings/migrations"
#define UP_FILE MIGRATIONS_DIR "/114_integration_uuid_keys.up.sql"
#define STORE "comment:phoenix_kit"
#define BASE_VERSION 113
#define HEAD_VERSION 114

static PGconn *admin;

/* Databases this run created and has not dropped yet (dropped at exit). */
static char live_dbs[4][96];

/* --- the server -------------------------------------------------------------- */

static void exec_ok(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		char what[160];
		snprintf(what, sizeof(what), "%.*s%s", 120, sql, strlen(sql) > 120 ? "..." : "");
		bench_die(what, PQerrorMessage(conn));
	}
	PQclear(res);
}

/* The single value of a one-row, one-column query (malloc'd). */
static char *query_value(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	char *value;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) != 1)
		bench_die(sql, PQresultStatus(res) == PGRES_TUPLES_OK ? "expected one value" : PQerrorMessage(conn));
	value = strdup(PQgetisnull(res, 0, 0) ? "(null)" : PQgetvalue(res, 0, 0));
	PQclear(res);
	if (value == NULL)
		exit(1);
	return value;
}

static PGconn *connect_url(const char *url)
{
	PGconn *conn = PQconnectdb(url);
	if (PQstatus(conn) != CONNECTION_OK)
		bench_die(url, PQerrorMessage(conn));
	return conn;
}

static void remember_db(const char *name)
{
	for (size_t i = 0; i < sizeof(live_dbs) / sizeof(live_dbs[0]); i++)
		if (live_dbs[i][0] == '\0') {
			snprintf(live_dbs[i], sizeof(live_dbs[i]), "%s", name);
			return;
		}
	bench_die(name, "too many live databases");
}

static void drop_db(const char *name)
{
	char sql[512];
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	exec_ok(admin, sql);
	for (size_t i = 0; i < sizeof(live_dbs) / sizeof(live_dbs[0]); i++)
		if (strcmp(live_dbs[i], name) == 0)
			live_dbs[i][0] = '\0';
}

/* At exit, even after a failure: drop what is left, without dying again. */
static void drop_live_dbs(void)
{
	if (admin == NULL || PQstatus(admin) != CONNECTION_OK)
		return;
	for (size_t i = 0; i < sizeof(live_dbs) / sizeof(live_dbs[0]); i++) {
		if (live_dbs[i][0] != '\0') {
			char sql[512];
			snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", live_dbs[i]);
			PQclear(PQexec(admin, sql));
			live_dbs[i][0] = '\0';
		}
	}
}

/* --- the UPDATE, from the migration file itself -------------------------------- */

/* The last statement of V114 up: from its last line starting with "UPDATE"
 * to the end of the file, trailing blanks removed. */
static char *read_update_statement(int *line_out)
{
	FILE *f = fopen(UP_FILE, "rb");
	char *text, *p, *start = NULL, *end;
	long size;
	int line = 1, start_line = 0;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		bench_die(UP_FILE, "cannot read");
	if ((text = malloc((size_t)size + 1)) == NULL)
		exit(1);
	if (fread(text, 1, (size_t)size, f) != (size_t)size)
		bench_die(UP_FILE, "cannot read");
	fclose(f);
	text[size] = '\0';

	for (p = text; *p != '\0'; line++) {
		if (strncmp(p, "UPDATE", 6) == 0) {
			start = p;
			start_line = line;
		}
		if ((p = strchr(p, '\n')) == NULL)
			break;
		p++;
	}
	if (start == NULL)
		bench_die(UP_FILE, "no line starts with UPDATE");
	end = start + strlen(start);
	while (end > start && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	memmove(text, start, (size_t)(end - start) + 1);
	*line_out = start_line;
	return text;
}

/* --- building the two databases ---------------------------------------------- */

/* N rows in the shapes V114 meets, by i % 100:
 *   0-19  non-integration settings (module general/billing/email/NULL; JSON
 *         NULL, object, array, string or number: never touched by V114);
 *   20-24 legacy integration:<provider> (name 'default'; providers must be
 *         unique here, the key being unique);
 *   25-34 integration:<provider>:team:<i>:prod (a name holding ':');
 *   35-99 integration:<provider>:account-<i>.
 * Integration value_json by i % 7: NULL (2 in 7), with a name, with an empty
 * name, without a name, with provider and name, with an empty provider;
 * module by i % 3: NULL, 'integrations', 'settings'. */
static const char *fill_sql =
	"INSERT INTO phoenix_kit_settings (key, value, value_json, module, date_added, date_updated)\n"
	"SELECT CASE WHEN s < 20 THEN (ARRAY['site', 'email', 'billing', 'seo', 'auth'])[1 + i % 5] || '_setting_' || i\n"
	"            WHEN s < 25 THEN 'integration:' || p || '_' || i\n"
	"            WHEN s < 35 THEN 'integration:' || p || ':team:' || i || ':prod'\n"
	"            ELSE 'integration:' || p || ':account-' || i END,\n"
	"       CASE WHEN s < 20 THEN 'value ' || i WHEN i % 5 = 0 THEN 'enabled' END,\n"
	"       CASE WHEN s < 20 THEN\n"
	"                 CASE i % 7 WHEN 3 THEN jsonb_build_object('enabled', true, 'limit', i)\n"
	"                            WHEN 4 THEN '[\"a\", \"b\"]'::jsonb\n"
	"                            WHEN 5 THEN to_jsonb('text ' || i)\n"
	"                            WHEN 6 THEN to_jsonb(i) END\n"
	"            ELSE CASE i % 7 WHEN 2 THEN jsonb_build_object('name', 'Work ' || i, 'api_key', md5(i::text))\n"
	"                            WHEN 3 THEN jsonb_build_object('name', '', 'api_key', md5(i::text))\n"
	"                            WHEN 4 THEN jsonb_build_object('api_key', md5(i::text), 'enabled', true)\n"
	"                            WHEN 5 THEN jsonb_build_object('provider', p, 'name', 'Main',\n"
	"                                                           'base_url', 'https://api.example.com/v1')\n"
	"                            WHEN 6 THEN jsonb_build_object('provider', '', 'name', 'Ops ' || i,\n"
	"                                                           'token', md5(i::text)) END END,\n"
	"       CASE WHEN s < 20 THEN (ARRAY['general', 'billing', 'email', NULL])[1 + i % 4]\n"
	"            ELSE (ARRAY[NULL, 'integrations', 'settings'])[1 + i % 3] END,\n"
	"       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second',\n"
	"       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second'\n"
	"  FROM (SELECT i, i % 100 AS s,\n"
	"               (ARRAY['google', 'openrouter', 'openai', 'anthropic', 'stripe', 'mailgun', 'slack', 'github'])\n"
	"                 [1 + (i / 100) % 8] AS p\n"
	"          FROM generate_series(1, %ld) AS i) AS g";

/* Database `a` at 113 with `rows` rows, then `b` copied from it. Returns the
 * number of integration rows. */
static long build_pair(const ladder_plan *plan, const char *a, const char *b, long rows, double *setup_s)
{
	char url[768], sql[4096];
	ladder_db *db = NULL;
	ladder_open_options open_opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_run_options run_opts = LADDER_RUN_OPTIONS_INIT;
	ladder_result result;
	PGconn *conn;
	char *value;
	long integrations;
	double start = bench_now();

	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", a);
	exec_ok(admin, sql);
	remember_db(a);
	bench_pg_db_url(url, sizeof(url), a);

	open_opts.store = STORE;
	run_opts.target = BASE_VERSION;
	if (ladder_db_open(&db, url, &open_opts) < 0)
		bench_die_ladder("open A");
	if (ladder_migrate(&result, db, plan, &run_opts) < 0)
		bench_die_ladder("migrate A to 113");
	if (result.to_version != BASE_VERSION)
		bench_die("migrate A to 113", "the database did not end at 113");
	ladder_db_close(db);

	conn = connect_url(url);
	snprintf(sql, sizeof(sql), fill_sql, rows);
	exec_ok(conn, sql);
	exec_ok(conn, "VACUUM ANALYZE phoenix_kit_settings");
	value = query_value(conn, "SELECT count(*) FILTER (WHERE key LIKE 'integration:%') || ' ' || count(*) "
	                          "FROM phoenix_kit_settings");
	{
		long total = 0;
		if (sscanf(value, "%ld %ld", &integrations, &total) != 2 || total != rows)
			bench_die("fill", value);
	}
	free(value);
	PQfinish(conn); /* nobody may be connected to A while it is copied */

	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE %s", b, a);
	exec_ok(admin, sql);
	remember_db(b);
	*setup_s = bench_now() - start;
	return integrations;
}

/* --- the two sides -------------------------------------------------------------- */

static void on_progress(void *ctx, ladder_event event, ladder_direction dir, int64_t version, const char *name,
                        double seconds)
{
	if (event == LADDER_EVENT_DONE && dir == LADDER_UP && version == HEAD_VERSION)
		*(double *)ctx = seconds;
}

/* V114 up by ladder on `name`; *step_s gets the step's own time as ladder
 * reports it. */
static double run_ladder(const ladder_plan *plan, const char *name, double *step_s)
{
	char url[768];
	ladder_db *db = NULL;
	ladder_open_options open_opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_run_options run_opts = LADDER_RUN_OPTIONS_INIT;
	ladder_result result;
	double start, elapsed;

	bench_pg_db_url(url, sizeof(url), name);
	open_opts.store = STORE;
	run_opts.progress = on_progress;
	run_opts.progress_ctx = step_s;
	*step_s = 0;
	if (ladder_db_open(&db, url, &open_opts) < 0)
		bench_die_ladder("open A");
	exec_ok(admin, "CHECKPOINT");

	start = bench_now();
	if (ladder_migrate(&result, db, plan, &run_opts) < 0)
		bench_die_ladder("V114 up");
	elapsed = bench_now() - start;

	if (result.from_version != BASE_VERSION || result.to_version != HEAD_VERSION || result.applied != 1)
		bench_die("V114 up", "expected one step from 113 to 114");
	ladder_db_close(db);
	return elapsed;
}

/* BEGIN; the UPDATE; COMMIT on `name` over a raw connection. */
static double run_raw(const char *update, const char *name)
{
	char url[768];
	PGconn *conn;
	double start, elapsed;

	bench_pg_db_url(url, sizeof(url), name);
	conn = connect_url(url);
	exec_ok(admin, "CHECKPOINT");

	start = bench_now();
	exec_ok(conn, "BEGIN");
	exec_ok(conn, update);
	exec_ok(conn, "COMMIT");
	elapsed = bench_now() - start;

	PQfinish(conn);
	return elapsed;
}

/* --- the check ------------------------------------------------------------------ */

/* Every column of every row, in uuid order. */
static const char *digest_sql =
	"SELECT md5(string_agg(md5(s::text), '' ORDER BY s.uuid)) || ' ' || count(*)\n"
	"       || ' ' || count(*) FILTER (WHERE key LIKE 'integration:%')\n"
	"       || ' ' || count(*) FILTER (WHERE module = 'integrations' AND key = uuid::text\n"
	"                                    AND COALESCE(value_json ->> 'provider', '') <> ''\n"
	"                                    AND COALESCE(value_json ->> 'name', '') <> '')\n"
	"  FROM phoenix_kit_settings AS s";

static void check_same(const char *a, const char *b, long rows, long integrations)
{
	char url[768], expect_tail[96];
	char *digest_a, *digest_b, *comment;
	const char *names[2] = {a, b};
	char **digests[2] = {&digest_a, &digest_b};

	for (int i = 0; i < 2; i++) {
		PGconn *conn;
		bench_pg_db_url(url, sizeof(url), names[i]);
		conn = connect_url(url);
		*digests[i] = query_value(conn, digest_sql);
		if (i == 0) {
			comment = query_value(conn, "SELECT obj_description('phoenix_kit'::regclass, 'pg_class')");
			if (strcmp(comment, "114") != 0)
				bench_die("check", "ladder's database is not stamped 114");
			free(comment);
		}
		PQfinish(conn);
	}
	if (strcmp(digest_a, digest_b) != 0) {
		fprintf(stderr, "ladder-bench-settings: ladder's database: md5 rows integration-keys rekeyed = %s\n",
		        digest_a);
		fprintf(stderr, "ladder-bench-settings: raw libpq's database: md5 rows integration-keys rekeyed = %s\n",
		        digest_b);
		bench_die("check", "the two databases ended with different rows");
	}
	snprintf(expect_tail, sizeof(expect_tail), " %ld 0 %ld", rows, integrations);
	if (strlen(digest_a) < strlen(expect_tail) ||
	    strcmp(digest_a + strlen(digest_a) - strlen(expect_tail), expect_tail) != 0) {
		fprintf(stderr, "ladder-bench-settings: md5 rows integration-keys rekeyed = %s, expected *%s\n", digest_a,
		        expect_tail);
		bench_die("check", "the integration rows were not all rekeyed");
	}
	free(digest_a);
	free(digest_b);
}

/* --- main ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	long rows = quick ? 100000 : 1000000;
	int reps = quick ? 1 : 3, update_line = 0;
	double t_ladder[16], t_step[16], t_raw[16];
	long integrations = 0;
	ladder_plan *plan = NULL;
	char *update;

	if (argc > 1 && !quick) {
		char *end;
		rows = strtol(argv[1], &end, 10);
		if (*end != '\0' || rows < 100)
			bench_die(argv[1], "usage: ladder-bench-settings [ROWS (at least 100) | --quick]");
	}
	if (ladder_plan_load_dir(&plan, MIGRATIONS_DIR) < 0)
		bench_die_ladder("plan");
	if (ladder_plan_head(plan) != HEAD_VERSION)
		bench_die(MIGRATIONS_DIR, "expected the plan's head at 114");
	update = read_update_statement(&update_line);

	admin = connect_url(bench_pg_url());
	atexit(drop_live_dbs);
	setvbuf(stdout, NULL, _IOLBF, 0);

	printf("ladder %s, PostgreSQL %d (libpq %d); V114 up on %ld rows, %s%d run%s, each on a fresh pair of\n"
	       "databases copied from one template; the raw side runs the UPDATE of %s:%d\n\n",
	       LADDER_VERSION_STRING, PQserverVersion(admin), PQlibVersion(), rows, reps > 1 ? "medians of " : "",
	       reps, reps > 1 ? "s" : "", "114_integration_uuid_keys.up.sql", update_line);

	for (int r = 0; r < reps; r++) {
		char a[96], b[96];
		double setup_s;
		int ladder_first = r % 2 == 0;

		snprintf(a, sizeof(a), "ladder_bench_settings_%d_%d_a", (int)getpid(), r + 1);
		snprintf(b, sizeof(b), "ladder_bench_settings_%d_%d_b", (int)getpid(), r + 1);
		integrations = build_pair(plan, a, b, rows, &setup_s);
		/* alternate the order so neither side always runs on a warmer server */
		for (int side = 0; side < 2; side++) {
			if ((side == 0) == ladder_first)
				t_ladder[r] = run_ladder(plan, a, &t_step[r]);
			else
				t_raw[r] = run_raw(update, b);
		}
		check_same(a, b, rows, integrations);
		printf("run %d (%s first): ladder %10.1f ms  raw libpq %10.1f ms  %6.3fx   (setup %.1f s; rows identical)\n",
		       r + 1, ladder_first ? "ladder" : "raw", t_ladder[r] * 1e3, t_raw[r] * 1e3, t_ladder[r] / t_raw[r],
		       setup_s);
		drop_db(a);
		drop_db(b);
	}

	{
		double l = bench_median(t_ladder, reps), s = bench_median(t_step, reps), w = bench_median(t_raw, reps);
		char label[96];
		printf("\n%-52s %13s %13s %9s\n", "benchmark", "ladder", "raw libpq", "ratio");
		snprintf(label, sizeof(label), "V114 up vs the single UPDATE, %ld rows", rows);
		printf("%-52s %10.1f ms %10.1f ms %8.3fx\n", label, l * 1e3, w * 1e3, l / w);
		printf("%-52s %10.0f /s %10.0f /s\n", "  rows per second (all rows)", rows / l, rows / w);
		printf("%-52s %10.0f /s %10.0f /s\n", "  integration rows rekeyed per second", integrations / l,
		       integrations / w);
		printf("%-52s %10.1f ms\n", "  of which the V114 step (ladder's progress clock)", s * 1e3);
		if (reps > 1) {
			double ratios[16];
			for (int r = 0; r < reps; r++)
				ratios[r] = t_ladder[r] / t_raw[r];
			printf("%-52s %40.3fx\n", "  median of the per-run ratios", bench_median(ratios, reps));
		}
		printf("\n%ld of %ld rows are integration rows; ladder's time covers the lock, validation scans,\n"
		       "the UPDATE, the '114' comment stamp and the commit; raw is BEGIN, UPDATE, COMMIT.\n",
		       integrations, rows);
	}

	free(update);
	ladder_plan_free(plan);
	drop_live_dbs();
	PQfinish(admin);
	admin = NULL;
	return 0;
}
