/*
 * mariadb_client.h — libmariadb (MariaDB Connector/C), loaded when the
 * first MariaDB connection is made rather than linked: a program that only
 * ever opens SQLite files should not pay for loading it and its TLS
 * library on every run (as pg_libpq.h does for libpq). Every function the
 * driver calls goes through one table filled by dlsym; the macros at the
 * end keep the driver's code written as ordinary libmariadb calls.
 */
#ifndef LADDER_MARIADB_CLIENT_H
#define LADDER_MARIADB_CLIENT_H

#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>

#define LADDER_MARIADB_FUNCTIONS(X)                                                                    \
	X(mariadb_get_infov) X(mysql_close) X(mysql_errno) X(mysql_error) X(mysql_fetch_fields)           \
	X(mysql_fetch_lengths) X(mysql_fetch_row) X(mysql_field_count) X(mysql_free_result) X(mysql_init) \
	X(mysql_more_results) X(mysql_next_result) X(mysql_num_fields) X(mysql_options)                   \
	X(mysql_real_connect) X(mysql_real_escape_string) X(mysql_real_query) X(mysql_select_db)          \
	X(mysql_server_init) X(mysql_sqlstate) X(mysql_store_result) X(mysql_thread_id)

typedef struct ladder_libmariadb {
#define LADDER_X_POINTER(name) __typeof__(name) *name;
	LADDER_MARIADB_FUNCTIONS(LADDER_X_POINTER)
#undef LADDER_X_POINTER
} ladder_libmariadb;

extern ladder_libmariadb ladder_my;

/* Load libmariadb once per process (thread-safe) and initialise it; 0, or
 * LADDER_EUNSUPPORTED with a message naming the library when it cannot be
 * loaded. */
int ladder_libmariadb_load(void);

/* mariadb_client.c itself names the real functions. */
#ifndef LADDER_MARIADB_NO_MACROS
#define mariadb_get_infov (ladder_my.mariadb_get_infov)
#define mysql_close (ladder_my.mysql_close)
#define mysql_errno (ladder_my.mysql_errno)
#define mysql_error (ladder_my.mysql_error)
#define mysql_fetch_fields (ladder_my.mysql_fetch_fields)
#define mysql_fetch_lengths (ladder_my.mysql_fetch_lengths)
#define mysql_fetch_row (ladder_my.mysql_fetch_row)
#define mysql_field_count (ladder_my.mysql_field_count)
#define mysql_free_result (ladder_my.mysql_free_result)
#define mysql_init (ladder_my.mysql_init)
#define mysql_more_results (ladder_my.mysql_more_results)
#define mysql_next_result (ladder_my.mysql_next_result)
#define mysql_num_fields (ladder_my.mysql_num_fields)
#define mysql_options (ladder_my.mysql_options)
#define mysql_real_connect (ladder_my.mysql_real_connect)
#define mysql_real_escape_string (ladder_my.mysql_real_escape_string)
#define mysql_real_query (ladder_my.mysql_real_query)
#define mysql_select_db (ladder_my.mysql_select_db)
#define mysql_server_init (ladder_my.mysql_server_init)
#define mysql_sqlstate (ladder_my.mysql_sqlstate)
#define mysql_store_result (ladder_my.mysql_store_result)
#define mysql_thread_id (ladder_my.mysql_thread_id)
#endif

#endif /* LADDER_MARIADB_CLIENT_H */
