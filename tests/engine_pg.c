/*
 * engine_pg.c — the PostgreSQL fixture of engine.h: each database is a new
 * database on the server the harness started, looked at through libpq; the
 * migration lock is the session advisory lock ladder/postgres.h documents.
 */
#include "pgutil.h"

#include <ladder/postgres.h>
#include <stdlib.h>
#include <string.h>

static const char *pg_fresh(const char *tag)
{
	return pgu_new_db(tag, NULL);
}

static void pg_drop(const char *url)
{
	pgu_drop_db(strrchr(url, '/') + 1);
}

static void pg_rows(const char *url, const char *sql, tu_buf *out)
{
	pgu_rows(pgu_session(url), sql, out);
}

static void pg_exec(const char *url, const char *sql)
{
	pgu_exec(pgu_session(url), sql);
}

/* The next transaction ID (taking none: any write takes one) and the
 * physical versions of the history rows. */
static char *pg_write_mark(const char *url)
{
	PGconn *conn = pgu_session(url);
	tu_buf mark = {0};

	pgu_rows(conn, "SELECT pg_snapshot_xmax(pg_current_snapshot())", &mark);
	if (pgu_conn_int(conn, "SELECT count(*) FROM pg_class WHERE relname = 'ladder_history'") > 0)
		pgu_rows(conn, "SELECT xmin, ctid, version FROM ladder_history ORDER BY version", &mark);
	return mark.buf;
}

static void pg_assert_sound(const char *url)
{
	/* the server notices a dead client once its statement ends */
	assert_int_equal(pgu_wait_locks_free(url, 30.0), 0);
}

static void *pg_hold_lock(const char *url)
{
	PGconn *holder = pgu_connect(url);
	pgu_exec(holder, tu_fmt("SELECT pg_advisory_lock(%lld)", (long long)pgu_lock_key(url, NULL, "history")));
	return holder;
}

static void pg_release_lock(void *holder)
{
	pgu_exec(holder, "SELECT pg_advisory_unlock_all()");
	PQfinish(holder);
}

static ladder_db *pg_wrap(const char *url, const ladder_open_options *opts, void **native)
{
	PGconn *raw = pgu_connect(url);
	ladder_db *db = NULL;

	if (ladder_postgres_wrap(&db, raw, opts) < 0)
		fail_msg("wrapping %s: %s", url, ladder_error_last()->message);
	*native = raw;
	return db;
}

static int pg_native_exec(void *native, const char *sql)
{
	PGresult *res = PQexec(native, sql);
	int error = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		error = ladder_error_set(LADDER_EMIGRATION, "%s: %s", sql, PQerrorMessage(native));
	PQclear(res);
	return error;
}

static int pg_native_in_transaction(void *native)
{
	return PQtransactionStatus(native) == PQTRANS_INTRANS;
}

static void pg_native_close(void *native)
{
	PQfinish(native);
}

tu_engine pgu_engine = {
	.id = TU_POSTGRES,
	.name = "postgres",
	.caps = TU_LOCK_PER_STORE | TU_SCHEMAS,
	.fresh = pg_fresh,
	.drop = pg_drop,
	.rows = pg_rows,
	.exec = pg_exec,
	.snapshot = pgu_snapshot,
	.write_mark = pg_write_mark,
	.locks_held = pgu_advisory_locks,
	.assert_sound = pg_assert_sound,
	.hold_lock = pg_hold_lock,
	.release_lock = pg_release_lock,
	.wrap = pg_wrap,
	.native_exec = pg_native_exec,
	.native_in_transaction = pg_native_in_transaction,
	.native_close = pg_native_close,
	.catalog = "SELECT CASE WHEN c.relkind IN ('r', 'p') THEN 'table' "
	           "WHEN c.relkind = 'i' AND i.indisvalid AND i.indisready THEN 'index' "
	           "WHEN c.relkind = 'i' THEN 'invalid index' WHEN c.relkind = 'v' THEN 'view' "
	           "WHEN c.relkind = 'S' THEN 'sequence' ELSE c.relkind::text END AS type, c.relname::text AS name "
	           "FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid "
	           "WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())",
	.serial_type = "serial",
	.concurrent_index = "CREATE INDEX CONCURRENTLY",
	.lone_object = "CREATE TYPE mood AS ENUM ('ok')",
	.slow_statement = "SELECT pg_sleep(2)",
	.fleet = 24,
	.crash_steps = 150,
	.crash_trials = 30,
};
