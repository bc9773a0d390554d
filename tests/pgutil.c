/*
 * pgutil.c — the PostgreSQL test helpers declared in pgutil.h.
 */
#define _GNU_SOURCE
#include "pgutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char server_url[512];
static int server_port;

const char *pgu_server_url(void)
{
	const char *file = getenv("LADDER_PG_URL_FILE");
	FILE *f;
	char *colon;

	if (server_url[0])
		return server_url;
	if (file == NULL || file[0] == '\0')
		fail_msg("LADDER_PG_URL_FILE is not set: run the PostgreSQL tests through ctest, which starts a "
		         "server with tests/pg/server.sh");
	if ((f = fopen(file, "r")) == NULL)
		fail_msg("cannot read %s: did tests/pg/server.sh start fail?", file);
	if (fgets(server_url, sizeof(server_url), f) == NULL)
		fail_msg("%s is empty", file);
	fclose(f);
	server_url[strcspn(server_url, "\r\n")] = '\0';
	/* postgres://postgres@127.0.0.1:PORT/postgres, as server.sh writes it */
	colon = strrchr(server_url, ':');
	if (colon == NULL || (server_port = atoi(colon + 1)) <= 0)
		fail_msg("%s: cannot read a port in '%s'", file, server_url);
	return server_url;
}

int pgu_port(void)
{
	pgu_server_url();
	return server_port;
}

const char *pgu_url(const char *user, const char *password, const char *dbname)
{
	if (password != NULL)
		return tu_fmt("postgres://%s:%s@127.0.0.1:%d/%s", user, password, pgu_port(), dbname);
	return tu_fmt("postgres://%s@127.0.0.1:%d/%s", user, pgu_port(), dbname);
}

static void quiet(void *arg, const char *message)
{
	(void)arg, (void)message;
}

PGconn *pgu_connect(const char *url)
{
	PGconn *conn = PQconnectdb(url);
	if (PQstatus(conn) != CONNECTION_OK)
		fail_msg("connecting to %s: %s", url, PQerrorMessage(conn));
	PQsetNoticeProcessor(conn, quiet, NULL);
	return conn;
}

/* Connections the tests look through, kept open: a new one costs tens of
 * milliseconds on a busy machine and the suites look thousands of times.
 * Only the process that opened one uses it (a forked child would share its
 * socket); the least recently used goes when the table is full, and a
 * database's go before it is dropped. */
#define SESSIONS 8
static struct {
	char *url;
	PGconn *conn;
	pid_t pid;
	unsigned long used;
} sessions[SESSIONS];
static unsigned long session_clock;

static void forget_session(int i)
{
	if (sessions[i].pid == getpid())
		PQfinish(sessions[i].conn);
	free(sessions[i].url);
	memset(&sessions[i], 0, sizeof(sessions[i]));
}

static void forget_sessions(void)
{
	for (int i = 0; i < SESSIONS; i++)
		if (sessions[i].url != NULL)
			forget_session(i);
}

PGconn *pgu_session(const char *url)
{
	int slot = 0;

	for (int i = 0; i < SESSIONS; i++) {
		if (sessions[i].url != NULL && sessions[i].pid == getpid() && strcmp(sessions[i].url, url) == 0 &&
		    PQstatus(sessions[i].conn) == CONNECTION_OK) {
			sessions[i].used = ++session_clock;
			return sessions[i].conn;
		}
		if (sessions[i].used < sessions[slot].used)
			slot = i;
	}
	if (session_clock == 0)
		atexit(forget_sessions);
	if (sessions[slot].url != NULL)
		forget_session(slot);
	sessions[slot].conn = pgu_connect(url);
	sessions[slot].url = strdup(url);
	assert_non_null(sessions[slot].url);
	sessions[slot].pid = getpid();
	sessions[slot].used = ++session_clock;
	return sessions[slot].conn;
}

void pgu_exec(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
}

const char *pgu_new_db(const char *tag, const char **name)
{
	static int counter;
	const char *db = tu_keep(tu_fmt("ladder_%s_%d_%d", tag, (int)getpid(), ++counter));

	pgu_exec(pgu_session(pgu_server_url()), tu_fmt("CREATE DATABASE \"%s\"", db));
	if (name)
		*name = db;
	return tu_keep(pgu_url("postgres", NULL, db));
}

void pgu_drop_db(const char *name)
{
	for (int i = 0; i < SESSIONS; i++)
		if (sessions[i].url != NULL && strcmp(strrchr(sessions[i].url, '/') + 1, name) == 0)
			forget_session(i);
	pgu_exec(pgu_session(pgu_server_url()), tu_fmt("DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name));
}

int64_t pgu_conn_int(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	int64_t value = -1;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(conn));
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		value = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return value;
}

int64_t pgu_int(const char *url, const char *sql)
{
	return tu_scalar(&pgu_engine, url, sql);
}

void pgu_rows(PGconn *conn, const char *sql, tu_buf *sb)
{
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(conn));
	for (int r = 0; r < PQntuples(res); r++) {
		for (int c = 0; c < PQnfields(res); c++)
			tu_buf_add_field(sb, c, PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c));
		tu_buf_add(sb, "\n");
	}
	PQclear(res);
}

char *pgu_text(const char *url, const char *sql)
{
	return tu_query_text(&pgu_engine, url, sql);
}

void pgu_assert_text(const char *url, const char *sql, const char *expected)
{
	tu_assert_rows(&pgu_engine, url, sql, expected);
}

#define USER_SCHEMAS "n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"

char *pgu_snapshot(const char *url)
{
	PGconn *conn = pgu_session(url);
	PGresult *tables;
	tu_buf sb = {0};

	tu_buf_add(&sb, "-- schemas\n");
	pgu_rows(conn, "SELECT n.nspname FROM pg_namespace n WHERE " USER_SCHEMAS " ORDER BY 1", &sb);
	tu_buf_add(&sb, "-- relations\n");
	pgu_rows(conn,
	         "SELECT n.nspname, c.relname, c.relkind, obj_description(c.oid, 'pg_class') FROM pg_class c "
	         "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " USER_SCHEMAS " ORDER BY 1, 2",
	         &sb);
	tu_buf_add(&sb, "-- columns\n");
	pgu_rows(conn,
	         "SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default FROM "
	         "information_schema.columns WHERE table_schema NOT LIKE 'pg\\_%' AND table_schema <> "
	         "'information_schema' ORDER BY 1, 2, ordinal_position",
	         &sb);
	tu_buf_add(&sb, "-- indexes\n");
	pgu_rows(conn,
	         "SELECT schemaname, indexname, indexdef FROM pg_indexes WHERE schemaname NOT LIKE 'pg\\_%' "
	         "AND schemaname <> 'information_schema' ORDER BY 1, 2",
	         &sb);
	tu_buf_add(&sb, "-- functions and types\n");
	pgu_rows(conn,
	         "SELECT n.nspname, p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
	         "WHERE " USER_SCHEMAS " ORDER BY 1, 2",
	         &sb);
	pgu_rows(conn,
	         "SELECT n.nspname, t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
	         "WHERE " USER_SCHEMAS " ORDER BY 1, 2",
	         &sb);
	tables = PQexec(conn, "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n "
	                      "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND " USER_SCHEMAS
	                      " ORDER BY 1");
	if (PQresultStatus(tables) != PGRES_TUPLES_OK)
		fail_msg("snapshot: %s", PQerrorMessage(conn));
	for (int i = 0; i < PQntuples(tables); i++) {
		const char *name = PQgetvalue(tables, i, 0);
		tu_buf_add(&sb, "-- rows of ");
		tu_buf_add(&sb, name);
		tu_buf_add(&sb, "\n");
		pgu_rows(conn, tu_fmt("SELECT t::text FROM %s t ORDER BY 1", name), &sb);
	}
	PQclear(tables);
	return sb.buf;
}

ladder_db *pgu_open(const char *url, const char *store, const char *schema)
{
	return tu_db_open(url, store, schema);
}

int64_t pgu_lock_key(const char *url, const char *schema, const char *spec)
{
	PGconn *conn = pgu_session(url);
	const char *params[2] = {schema, spec};
	PGresult *res = PQexecParams(conn,
	                             "SELECT hashtextextended('ladder:' || COALESCE($1, current_schema(), '') || ':' "
	                             "|| $2, 0)",
	                             2, NULL, params, NULL, NULL, 0);
	int64_t key;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("lock key: %s", PQerrorMessage(conn));
	key = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return key;
}

int64_t pgu_advisory_locks(const char *url)
{
	return pgu_int(url, "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
	                    "WHERE l.locktype = 'advisory' AND d.datname = current_database() AND l.granted "
	                    "AND l.pid <> pg_backend_pid()");
}

int64_t pgu_wait_locks_free(const char *url, double seconds)
{
	double start = tu_now_ms();
	int64_t held;

	for (;;) {
		if ((held = pgu_advisory_locks(url)) == 0)
			return 0;
		if ((tu_now_ms() - start) / 1e3 > seconds)
			return held;
		usleep(20 * 1000);
	}
}
