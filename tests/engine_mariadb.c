/*
 * engine_mariadb.c — the MariaDB fixture of engine.h: each database is a
 * new database on the server the harness started (tests/mariadb/server.sh),
 * looked at through libmariadb; the migration lock is the GET_LOCK user
 * lock ladder/mariadb.h documents. MariaDB commits around every DDL
 * statement: no TU_ATOMIC_DDL, and the scenarios assert what ladder records
 * statement by statement instead.
 */
#include "myutil.h"

#include <ladder/mariadb.h>
#include <stdlib.h>
#include <string.h>

static const char *my_fresh(const char *tag)
{
	return myu_new_db(tag, NULL);
}

static void my_drop(const char *url)
{
	myu_drop_db(myu_db_of(url));
}

static void my_rows(const char *url, const char *sql, tu_buf *out)
{
	myu_rows(myu_session(url), sql, out);
}

static void my_exec(const char *url, const char *sql)
{
	myu_exec(myu_session(url), sql);
}

/* The server's counters of statements that write and of rows written
 * (global: only one test runs against the server at a time), and the
 * history rows as they are. A statement that writes the same rows again
 * still counts. */
static char *my_write_mark(const char *url)
{
	MYSQL *conn = myu_session(url);
	tu_buf mark = {0};

	myu_rows(conn,
	         "SELECT variable_name, variable_value FROM information_schema.global_status WHERE variable_name IN "
	         "('COM_INSERT', 'COM_INSERT_SELECT', 'COM_UPDATE', 'COM_UPDATE_MULTI', 'COM_DELETE', "
	         "'COM_DELETE_MULTI', 'COM_REPLACE', 'COM_REPLACE_SELECT', 'COM_TRUNCATE', 'COM_RENAME_TABLE', "
	         "'INNODB_ROWS_INSERTED', 'INNODB_ROWS_UPDATED', 'INNODB_ROWS_DELETED') "
	         "OR variable_name LIKE 'COM\\_CREATE\\_%' ESCAPE '\\' OR variable_name LIKE 'COM\\_ALTER\\_%' ESCAPE '\\' "
	         "OR variable_name LIKE 'COM\\_DROP\\_%' ESCAPE '\\' ORDER BY 1",
	         &mark);
	if (myu_conn_int(conn, "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
	                       "AND table_name = 'ladder_history'") > 0)
		myu_rows(conn, "SELECT * FROM ladder_history ORDER BY version", &mark);
	return mark.buf;
}

static void my_assert_sound(const char *url)
{
	/* the server lets a dead client's locks go when its socket closes */
	assert_int_equal(myu_wait_locks_free(url, 30.0), 0);
	/* every table opens and checks clean */
	{
		tu_buf tables = {0};
		tu_buf_add(&tables, "");
		myu_rows(myu_session(url),
		         "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
		         "AND table_type = 'BASE TABLE'",
		         &tables);
		for (char *name = tables.buf, *nl; (nl = strchr(name, '\n')) != NULL; name = nl + 1) {
			char *status;
			*nl = '\0';
			status = myu_text(url, tu_fmt("CHECK TABLE `%s`", name));
			if (strstr(status, "|status|OK") == NULL)
				fail_msg("CHECK TABLE %s: %s", name, status);
			free(status);
		}
		free(tables.buf);
	}
}

static void *my_hold_lock(const char *url)
{
	MYSQL *holder = myu_connect(url);
	if (myu_conn_int(holder, tu_fmt("SELECT GET_LOCK('%s', 10)", myu_lock_name(myu_db_of(url), "history"))) != 1)
		fail_msg("could not take the migration lock of %s", url);
	return holder;
}

static void my_release_lock(void *holder)
{
	myu_exec(holder, "SELECT RELEASE_ALL_LOCKS()");
	mysql_close(holder);
}

static ladder_db *my_wrap(const char *url, const ladder_open_options *opts, void **native)
{
	MYSQL *raw = myu_connect(url);
	ladder_db *db = NULL;

	if (ladder_mariadb_wrap(&db, raw, opts) < 0)
		fail_msg("wrapping %s: %s", url, ladder_error_last()->message);
	*native = raw;
	return db;
}

static int my_native_exec(void *native, const char *sql)
{
	MYSQL *conn = native;
	int error = 0, status;

	if (mysql_query(conn, sql) != 0)
		return ladder_error_set(LADDER_EMIGRATION, "%s: %s", sql, mysql_error(conn));
	do {
		MYSQL_RES *res = mysql_store_result(conn);
		if (res != NULL)
			mysql_free_result(res);
		if ((status = mysql_next_result(conn)) > 0)
			error = ladder_error_set(LADDER_EMIGRATION, "%s: %s", sql, mysql_error(conn));
	} while (status == 0);
	return error;
}

static int my_native_in_transaction(void *native)
{
	return (((MYSQL *)native)->server_status & SERVER_STATUS_IN_TRANS) != 0;
}

static void my_native_close(void *native)
{
	mysql_close(native);
}

tu_engine myu_engine = {
	.id = TU_MARIADB,
	.name = "mariadb",
	.caps = TU_LOCK_PER_STORE | TU_SCHEMAS | TU_DDL_COMMITS,
	.fresh = my_fresh,
	.drop = my_drop,
	.rows = my_rows,
	.exec = my_exec,
	.snapshot = myu_snapshot,
	.write_mark = my_write_mark,
	.locks_held = myu_locks,
	.assert_sound = my_assert_sound,
	.hold_lock = my_hold_lock,
	.release_lock = my_release_lock,
	.wrap = my_wrap,
	.native_exec = my_native_exec,
	.native_in_transaction = my_native_in_transaction,
	.native_close = my_native_close,
	.catalog = "SELECT CASE table_type WHEN 'BASE TABLE' THEN 'table' WHEN 'VIEW' THEN 'view' "
	           "WHEN 'SEQUENCE' THEN 'sequence' ELSE lower(table_type) END AS type, table_name AS name "
	           "FROM information_schema.tables WHERE table_schema = DATABASE() "
	           "UNION ALL SELECT DISTINCT 'index', index_name FROM information_schema.statistics "
	           "WHERE table_schema = DATABASE() AND index_name <> 'PRIMARY' "
	           "UNION ALL SELECT lower(routine_type), routine_name FROM information_schema.routines "
	           "WHERE routine_schema = DATABASE() "
	           "UNION ALL SELECT 'trigger', trigger_name FROM information_schema.triggers "
	           "WHERE trigger_schema = DATABASE()",
	.serial_type = "integer AUTO_INCREMENT",
	/* InnoDB builds an index in place, letting writers through */
	.concurrent_index = "CREATE INDEX",
	.lone_object = "CREATE PROCEDURE lone() SELECT 1",
	.slow_statement = "DO SLEEP(2)",
	.fleet = 24,
	.crash_steps = 150,
	.crash_trials = 30,
};
