/*
 * pg_conn.c — the PostgreSQL driver's connections: connecting with libpq
 * exactly as it reads URLs and key=value strings, wrapping an application's
 * own PGconn *, the password-free display name, session settings (schema
 * first on the search path, lock_timeout for DDL), closing, and the ops
 * table the core calls through.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* strdup under -std=c11 */
#endif

#include "pg_internal.h"
#include "pg_query_rows.h"
#include "ladder/postgres.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* --- the display name and masking ------------------------------------------ */

/* text with both passwords masked; NULL when out of memory. */
static char *mask_passwords(const char *text, const char *password, const char *used_password)
{
	char *once = ladder_mask_secret(text, password);
	char *twice = once ? ladder_mask_secret(once, used_password) : NULL;
	ladder_free(once);
	return twice;
}

/* A field of the display, or "****" when a password is in it (a user named
 * like the password, a password misread as a host): whole fields are
 * masked, never parts of the URL. */
static const char *shown(const char *field, const char *password, const char *used_password)
{
	const char *once = ladder_secret_field(field, password);
	return once == field ? ladder_secret_field(field, used_password) : once;
}

/* "postgres://user@host:port/db", built from libpq's parsed fields, so no
 * password can be in it; a socket directory is given as
 * "postgres://user@:port/db?host=/dir", which libpq reads back the same. */
static char *build_display(PGconn *pg, const char *password)
{
	const char *used = PQpass(pg);
	const char *user = shown(PQuser(pg), password, used), *host = shown(PQhost(pg), password, used);
	const char *port = shown(PQport(pg), password, used), *db = shown(PQdb(pg), password, used);
	size_t len = strlen(user) + strlen(host) + strlen(port) + strlen(db) + 64;
	char *out = ladder_malloc(len);

	if (out == NULL)
		return NULL;
	if (host[0] == '/')
		snprintf(out, len, "postgres://%s@:%s/%s?host=%s", user, port, db, host);
	else if (strchr(host, ':') != NULL) /* IPv6 */
		snprintf(out, len, "postgres://%s@[%s]:%s/%s", user, host, port, db);
	else
		snprintf(out, len, "postgres://%s@%s:%s/%s", user, host, port, db);
	return out;
}

/* A postgres:// URL whose user information holds a second '@', or a '/'
 * before its '@': libpq would take part of the password for the host or
 * port and print it in its errors. */
static int unencoded_userinfo(const char *url)
{
	const char *start = strstr(url, "://"), *end, *last_at = NULL;
	int ats = 0;

	if (start == NULL || (strncmp(url, "postgres://", 11) != 0 && strncmp(url, "postgresql://", 13) != 0))
		return 0;
	start += 3;
	end = start + strcspn(start, "?");
	for (const char *p = start; p < end; p++)
		if (*p == '@') {
			ats++;
			last_at = p;
		}
	if (ats > 1)
		return 1;
	return last_at != NULL && memchr(start, '/', (size_t)(last_at - start)) != NULL;
}

/* What libpq could not parse, said without its quote of the input. */
static const char *parse_error_in_own_words(const char *libpq_message)
{
	static const struct {
		const char *prefix, *words;
	} known[] = {
		{"invalid connection option", "it names an option libpq does not know"},
		{"invalid URI query parameter", "its query names a parameter libpq does not know"},
		{"invalid percent-encoded token", "a '%' is not followed by two hex digits (write a literal '%' as %25)"},
		{"forbidden value %00", "it holds an encoded NUL byte (%00)"},
		{"missing \"=\" after", "a word has no '=' (quote a value holding spaces: password='a b')"},
		{"unterminated quoted string", "a quoted value is not closed"},
		{"end of string reached when looking for matching \"]\"", "an IPv6 host lacks its closing ']'"},
		{"IPv6 host address may not be empty", "an IPv6 host is empty"},
		{"unexpected character", "the host is followed by something other than ':', '/' or '?'"},
		{"extra key/value separator", "a query parameter holds a second '='"},
		{"missing key/value separator", "a query parameter has no '='"},
		{"invalid URI propagated", "it is not a URL libpq reads"},
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strncmp(libpq_message, known[i].prefix, strlen(known[i].prefix)) == 0)
			return known[i].words;
	return "libpq cannot parse it";
}

/* libpq's message cut to its first line, which names the host and the cause;
 * the rest is advice ("Is the server running...") or a repeat per host. */
static void first_line(char *text)
{
	char *nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
}

/* --- notices ------------------------------------------------------------------ */

/* Connections ladder opens pass warnings on to stderr, and notices ("table
 * ... does not exist, skipping", a migration's RAISE NOTICE) too when opened
 * with LADDER_OPEN_NOTICES; otherwise notices are dropped. arg: non-NULL
 * for every notice. */
static const int print_every_notice = 1;

static void on_notice(void *arg, const PGresult *res)
{
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	if ((severity != NULL && strcmp(severity, "WARNING") == 0) || arg != NULL)
		fprintf(stderr, "ladder: postgres %s", PQresultErrorMessage(res));
}

/* --- the connection -------------------------------------------------------------- */

static void conn_free(ladder_pg_conn *conn)
{
	if (conn == NULL)
		return;
	if (conn->pg != NULL) {
		ladder_pg__release(conn);
		ladder_pg__store_close(conn);
		if (conn->owned)
			PQfinish(conn->pg);
	}
	ladder_free(conn->display);
	ladder_free(conn->schema);
	ladder_free(conn->saved_search_path);
	ladder_free(conn->saved_lock_timeout);
	ladder_free(conn->saved_statement_timeout);
	ladder_free(conn);
}

static int conn_new(ladder_pg_conn **out, PGconn *pg, int owned, const ladder_open_options *opts)
{
	static unsigned long next_id; /* names of the head read, unique in the process */
	ladder_pg_conn *conn = ladder_calloc(1, sizeof(*conn));
	const char *encoding;
	int error = 0;

	*out = NULL;
	if (conn == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory connecting to postgres");
		goto done;
	}
	conn->base.driver = &ladder_postgres_driver;
	snprintf(conn->head_name, sizeof(conn->head_name), "ladder_head_%lu",
	         __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED));
	conn->pg = pg;
	conn->owned = owned;
	if (opts != NULL && opts->schema != NULL && opts->schema[0] != '\0' &&
	    (conn->schema = ladder_strdup(opts->schema)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory connecting to postgres");
		goto done;
	}
	conn->ddl_lock_timeout_ms = opts != NULL && opts->ddl_lock_timeout_ms > 0 ? opts->ddl_lock_timeout_ms : 0;
	/* The user who asks for a pooler's lock says there is a pooler, even
	 * one that passes the server's pid through: nothing named, ever. */
	if (opts != NULL && opts->version >= 2 && (opts->lock == LADDER_LOCK_TRANSACTION || opts->lock == LADDER_LOCK_LEASE))
		conn->pool_checked = conn->pooled = 1;
	/* Error positions count characters in the server's encoding; under
	 * SQL_ASCII every byte is one. */
	encoding = PQparameterStatus(pg, "server_encoding");
	conn->byte_positions = encoding != NULL && strcmp(encoding, "SQL_ASCII") == 0;
	if ((conn->display = build_display(pg, NULL)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory connecting to postgres");
		goto done;
	}
	*out = conn;
	conn = NULL;
done:
	if (conn != NULL)
		conn->pg = NULL; /* the caller still owns pg */
	conn_free(conn);
	return error;
}

/* Migrations read UTF-8 files: have the server send and read UTF-8, and put
 * the schema first on the search path and DDL under lock_timeout, in one
 * round trip (none when there is nothing to set). local: for the open
 * transaction alone (behind a pooler, whose server sessions the client's
 * transactions move between), and the encoding, made at connect, is left. */
int ladder_pg__apply_settings(ladder_pg_conn *conn, int local)
{
	const char *utf8 = pg_encoding_to_char(PQclientEncoding(conn->pg));
	const char *scope = local ? "true" : "false";
	char sql[512], timeout[32];
	const char *params[2] = {NULL, NULL};
	char *quoted = NULL;
	PGresult *res = NULL;
	int nparams = 0, error = 0;

	snprintf(sql, sizeof(sql), "SELECT 1");
	if (!local && strcmp(utf8, "UTF8") != 0)
		strcat(sql, ", pg_catalog.set_config('client_encoding', 'UTF8', false)");
	if (conn->schema != NULL) {
		if ((quoted = ladder_pg__quote_ident(conn, conn->schema)) == NULL) {
			error = LADDER_ENOMEM;
			goto done;
		}
		params[nparams++] = quoted;
		snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
		         ", pg_catalog.set_config('search_path', CASE pg_catalog.current_setting('search_path') "
		         "WHEN '' THEN $1 ELSE $1 || ', ' || pg_catalog.current_setting('search_path') END, %s)",
		         scope);
	}
	if (conn->ddl_lock_timeout_ms > 0) {
		snprintf(timeout, sizeof(timeout), "%dms", conn->ddl_lock_timeout_ms);
		params[nparams++] = timeout;
		snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), ", pg_catalog.set_config('lock_timeout', $%d, %s)",
		         nparams, scope);
	}
	if (strcmp(sql, "SELECT 1") == 0)
		goto done;
	error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, local ? "setting up the transaction" : "setting up the session",
	                       sql, nparams, params);
done:
	PQclear(res);
	ladder_free(quoted); /* ladder_pg__quote_ident's copy, from ladder_malloc */
	return error;
}

static int pg_connect(ladder_conn **out, const char *conninfo, const ladder_open_options *opts)
{
	/* The string as libpq reads it, and a name in pg_stat_activity (which
	 * a migrator waiting for the lock shows) unless the string sets one. */
	const char *const keywords[] = {"dbname", "fallback_application_name", NULL};
	const char *values[] = {NULL, "ladder", NULL};
	PQconninfoOption *options = NULL;
	ladder_pg_conn *conn = NULL;
	PGconn *pg = NULL;
	char *parse_error = NULL, *display = NULL, *message = NULL;
	const char *password = NULL;
	int error = 0;

	*out = NULL;
	if ((error = ladder_libpq_load()) < 0)
		return error;
	if (conninfo == NULL || conninfo[0] == '\0') {
		error = ladder_error_set(LADDER_EINVALID, "no PostgreSQL connection string given");
		goto done;
	}
	if (unencoded_userinfo(conninfo)) {
		error = ladder_error_set(LADDER_EINVALID,
		                         "cannot connect to postgres: the URL's user or password holds an '@' or '/' "
		                         "that is not percent-encoded (write %%40 and %%2F), so its password would be "
		                         "read as a host; nothing of the URL is repeated here");
		goto done;
	}
	/* Parsed only to learn the password, so that it can be masked. libpq's
	 * parse errors quote the input, password and all: never repeated. */
	if ((options = PQconninfoParse(conninfo, &parse_error)) == NULL) {
		if (parse_error == NULL)
			error = ladder_error_set(LADDER_ENOMEM, "out of memory connecting to postgres");
		else
			error = ladder_error_set(LADDER_EINVALID,
			                         "cannot connect to postgres: invalid connection string: %s (nothing of "
			                         "the string is repeated here, as it may hold a password)",
			                         parse_error_in_own_words(parse_error));
		goto done;
	}
	for (PQconninfoOption *o = options; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0)
			password = o->val;

	values[0] = conninfo;
	pg = PQconnectdbParams(keywords, values, 1);
	if (pg == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory connecting to postgres");
		goto done;
	}
	if (PQstatus(pg) != CONNECTION_OK) {
		char *why = ladder_strdup(PQerrorMessage(pg));
		if (why == NULL) {
			error = ladder_error_set(LADDER_ENOMEM, "out of memory connecting to postgres");
			goto done;
		}
		first_line(why);
		display = build_display(pg, password);
		message = mask_passwords(why, password, PQpass(pg));
		ladder_free(why);
		if (display == NULL || message == NULL)
			error = ladder_error_set(LADDER_ENOMEM, "out of memory connecting to postgres");
		else
			error = ladder_error_set(LADDER_EDB, "cannot connect to %s: %s", display, message);
		goto done;
	}
	PQsetNoticeReceiver(pg, on_notice,
	                    opts != NULL && (opts->flags & LADDER_OPEN_NOTICES) ? (void *)&print_every_notice : NULL);
	if ((error = conn_new(&conn, pg, 1, opts)) < 0)
		goto done;
	pg = NULL; /* conn owns it */
	if ((error = ladder_pg__apply_settings(conn, 0)) < 0)
		goto done;
	*out = &conn->base;
	conn = NULL;
done:
	conn_free(conn);
	if (pg != NULL)
		PQfinish(pg);
	PQconninfoFree(options);
	PQfreemem(parse_error);
	ladder_free(display);
	ladder_free(message);
	return error;
}

static int pg_wrap(ladder_conn **out, void *native, const ladder_open_options *opts)
{
	PGconn *pg = native;
	ladder_pg_conn *conn = NULL;
	int error;

	*out = NULL;
	if ((error = ladder_libpq_load()) < 0)
		return error;
	if (PQstatus(pg) != CONNECTION_OK)
		return ladder_error_set(LADDER_EINVALID, "ladder_postgres_wrap: the connection is not open");
	if ((error = conn_new(&conn, pg, 0, opts)) < 0)
		return error;
	/* The application's session keeps its own settings; a run sets ours
	 * while it holds the lock (pg_lock.c). */
	conn->settings_scoped = conn->schema != NULL || conn->ddl_lock_timeout_ms > 0;
	*out = &conn->base;
	return 0;
}

int ladder_postgres_wrap(ladder_db **out, struct pg_conn *pg, const ladder_open_options *opts)
{
	return ladder_db_wrap(out, "postgres", pg, opts);
}

static const char *pg_display(ladder_conn *base)
{
	return ((ladder_pg_conn *)base)->display;
}

/* libpq's key=value form: "host=... dbname=...". */
static int pg_claims(const char *url)
{
	const char *p = url;
	while (*p && (isalnum((unsigned char)*p) || *p == '_'))
		p++;
	while (*p == ' ')
		p++;
	return p != url && *p == '=';
}

static void pg_close(ladder_conn *base)
{
	conn_free((ladder_pg_conn *)base);
}

static void *pg_native(ladder_conn *base)
{
	return ((ladder_pg_conn *)base)->pg;
}

static const ladder_driver_ops postgres_ops = {
	.close = pg_close,
	.native = pg_native,
	.display = pg_display,
	.exec = ladder_pg__exec,
	.query_rows = ladder_pg__query_rows,
	.begin = ladder_pg__begin,
	.commit = ladder_pg__commit,
	.rollback = ladder_pg__rollback,
	.in_transaction = ladder_pg__in_transaction,
	.transaction_mark = ladder_pg__transaction_mark,
	.lock = ladder_pg__lock,
	.unlock = ladder_pg__unlock,
	.lock_holder = ladder_pg__lock_holder,
	.is_empty = ladder_pg__is_empty,
	.store_prepare = ladder_pg__store_prepare,
	.history_read = ladder_pg__history_read,
	.history_write = ladder_pg__history_write,
	.history_delete = ladder_pg__history_delete,
	.stamp_read = ladder_pg__stamp_read,
	.stamp_write = ladder_pg__stamp_write,
	.stamp_find = ladder_pg__stamp_find,
	.describe = ladder_pg__describe,
	.scratch_create = ladder_pg__scratch_create,
	.scratch_drop = ladder_pg__scratch_drop,
	.statements = ladder_pg__statements,
	.table_has = ladder_pg__table_has,
	.table_size = ladder_pg__table_size,
	.statement_timeout = ladder_pg__statement_timeout,
	.pooled = ladder_pg__pooled,
	.xact_lock = ladder_pg__xact_lock,
	.lease_take = ladder_pg__lease_take,
	.lease_renew = ladder_pg__lease_renew,
	.lease_release = ladder_pg__lease_release,
	.schemas_list = ladder_pg__schemas_list,
	.heads_read = ladder_pg__heads_read,
};

static const char *const pg_schemes[] = {"postgres://", "postgresql://", NULL};

const ladder_driver ladder_postgres_driver = {
	.version = LADDER_DRIVER_VERSION,
	.name = "postgres",
	.schemes = pg_schemes,
	.caps = LADDER_DRIVER_COMMENT | LADDER_DRIVER_SCHEMAS | LADDER_DRIVER_LOCK_ALWAYS | LADDER_DRIVER_ONLINE_DDL,
	.claims = pg_claims,
	.connect = pg_connect,
	.read_actions = ladder_pg__read_actions,
	.wrap = pg_wrap,
	.ops = &postgres_ops,
};
