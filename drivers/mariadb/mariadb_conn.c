/*
 * mariadb_conn.c — the MariaDB driver's connections: mariadb:// and
 * mysql:// URLs read here (libmariadb has no URL syntax of its own),
 * connecting, wrapping an application's own MYSQL *, the password-free
 * display name, the session set up at connect (autocommit, utf8mb4, lock
 * wait timeouts), closing, and the ops table the core calls through.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* strcasecmp under -std=c11 */
#endif

#include "mariadb_internal.h"
#include "mariadb_sql.h"
#include "ladder/mariadb.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_PORT 3306

/* --- URLs -------------------------------------------------------------------- */

void ladder_my__params_free(ladder_my_params *p)
{
	ladder_free(p->user);
	ladder_free(p->password);
	ladder_free(p->host);
	ladder_free(p->database);
	ladder_free(p->socket);
	ladder_free(p->ssl_mode);
	ladder_free(p->ssl_ca);
	ladder_free(p->ssl_cert);
	ladder_free(p->ssl_key);
	memset(p, 0, sizeof(*p));
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* text[0..len) percent-decoded into *out (NULL when len is 0 and
 * empty_is_null); the error never quotes the text, which may be a
 * password. */
static int decode(char **out, const char *text, size_t len, const char *what, int empty_is_null)
{
	char *w;

	*out = NULL;
	if (len == 0 && empty_is_null)
		return 0;
	if ((*out = w = ladder_malloc(len + 1)) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reading the URL");
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '%') {
			*w++ = text[i];
			continue;
		}
		if (i + 2 >= len || hex_value(text[i + 1]) < 0 || hex_value(text[i + 2]) < 0 ||
		    (text[i + 1] == '0' && text[i + 2] == '0')) {
			ladder_free(*out);
			*out = NULL;
			return ladder_error_set(LADDER_EINVALID,
			                        "cannot connect to mariadb: the URL's %s holds a '%%' not followed by two hex "
			                        "digits, or an encoded NUL (write a literal '%%' as %%25); nothing of the URL "
			                        "is repeated here",
			                        what);
		}
		*w++ = (char)(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
		i += 2;
	}
	*w = '\0';
	return 0;
}

static int parse_number(const char *text, unsigned int max, unsigned int *out)
{
	unsigned long value = 0;

	if (text == NULL || *text == '\0')
		return -1;
	for (const char *p = text; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		value = value * 10 + (unsigned long)(*p - '0');
		if (value > max)
			return -1;
	}
	*out = (unsigned int)value;
	return 0;
}

/* One query parameter, key=value (value decoded). */
static int parse_param(ladder_my_params *p, const char *item, size_t len)
{
	static const char *const modes[] = {"DISABLED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"};
	const char *eq = memchr(item, '=', len);
	size_t key_len = eq ? (size_t)(eq - item) : len;
	char key[32], *value = NULL;
	char **slot = NULL;
	int error;

	if (key_len == 0 || key_len >= sizeof(key) || eq == NULL)
		return ladder_error_set(LADDER_EINVALID,
		                        "cannot connect to mariadb: a URL parameter is not KEY=VALUE (known: socket, "
		                        "ssl-mode, ssl-ca, ssl-cert, ssl-key, connect-timeout)");
	memcpy(key, item, key_len);
	key[key_len] = '\0';
	for (char *k = key; *k; k++)
		if (*k == '_')
			*k = '-';
	if ((error = decode(&value, eq + 1, len - key_len - 1, "parameter", 0)) < 0)
		return error;
	if (strcmp(key, "socket") == 0)
		slot = &p->socket;
	else if (strcmp(key, "ssl-ca") == 0)
		slot = &p->ssl_ca;
	else if (strcmp(key, "ssl-cert") == 0)
		slot = &p->ssl_cert;
	else if (strcmp(key, "ssl-key") == 0)
		slot = &p->ssl_key;
	else if (strcmp(key, "ssl-mode") == 0) {
		size_t i;
		for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (strcasecmp(value, modes[i]) == 0)
				break;
		if (i == sizeof(modes) / sizeof(modes[0])) {
			error = ladder_error_set(LADDER_EINVALID,
			                         "cannot connect to mariadb: ssl-mode '%.40s' is none of DISABLED, REQUIRED, "
			                         "VERIFY_CA, VERIFY_IDENTITY",
			                         value);
			goto done;
		}
		strcpy(value, modes[i]);
		slot = &p->ssl_mode;
	} else if (strcmp(key, "connect-timeout") == 0) {
		if (parse_number(value, 86400, &p->connect_timeout) < 0)
			error = ladder_error_set(LADDER_EINVALID,
			                         "cannot connect to mariadb: connect-timeout '%.40s' is not a number of "
			                         "seconds",
			                         value);
		goto done;
	} else {
		error = ladder_error_set(LADDER_EINVALID,
		                         "cannot connect to mariadb: unknown URL parameter '%s' (known: socket, ssl-mode, "
		                         "ssl-ca, ssl-cert, ssl-key, connect-timeout)",
		                         key);
		goto done;
	}
	ladder_free(*slot);
	*slot = value;
	value = NULL;
done:
	ladder_free(value);
	return error;
}

int ladder_my__parse_url(ladder_my_params *p, const char *url)
{
	const char *rest, *query, *end, *at = NULL, *slash, *hostport, *colon;
	int error = 0;

	memset(p, 0, sizeof(*p));
	if (strncmp(url, "mariadb://", 10) == 0)
		rest = url + 10;
	else if (strncmp(url, "mysql://", 8) == 0)
		rest = url + 8;
	else
		return ladder_error_set(LADDER_EINVALID, "a MariaDB URL begins with mariadb:// or mysql://");
	query = rest + strcspn(rest, "?");
	/* The user information ends at the last '@' before the query: a
	 * password holding '@' or '/' then still reads as a password. */
	for (const char *c = rest; c < query; c++)
		if (*c == '@')
			at = c;
	if (at != NULL) {
		const char *sep = memchr(rest, ':', (size_t)(at - rest));
		if ((error = decode(&p->user, rest, (size_t)((sep ? sep : at) - rest), "user", 1)) < 0 ||
		    (sep && (error = decode(&p->password, sep + 1, (size_t)(at - sep - 1), "password", 0)) < 0))
			goto done;
		hostport = at + 1;
	} else {
		hostport = rest;
	}
	slash = memchr(hostport, '/', (size_t)(query - hostport));
	end = slash ? slash : query;
	if (*hostport == '[') { /* IPv6 */
		const char *close = memchr(hostport, ']', (size_t)(end - hostport));
		if (close == NULL) {
			error = ladder_error_set(LADDER_EINVALID, "cannot connect to mariadb: an IPv6 host lacks its closing ']'");
			goto done;
		}
		if ((error = decode(&p->host, hostport + 1, (size_t)(close - hostport - 1), "host", 1)) < 0)
			goto done;
		colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
		if (close + 1 < end && colon == NULL) {
			error = ladder_error_set(LADDER_EINVALID,
			                         "cannot connect to mariadb: the IPv6 host is followed by something other "
			                         "than ':', '/' or '?'");
			goto done;
		}
	} else {
		colon = memchr(hostport, ':', (size_t)(end - hostport));
		if ((error = decode(&p->host, hostport, (size_t)((colon ? colon : end) - hostport), "host", 1)) < 0)
			goto done;
	}
	if (colon != NULL) {
		char port[16];
		size_t len = (size_t)(end - colon - 1);
		if (len == 0 || len >= sizeof(port)) {
			error = ladder_error_set(LADDER_EINVALID, "cannot connect to mariadb: the URL's port is not a number");
			goto done;
		}
		memcpy(port, colon + 1, len);
		port[len] = '\0';
		if (parse_number(port, 65535, &p->port) < 0 || p->port == 0) {
			error = ladder_error_set(LADDER_EINVALID, "cannot connect to mariadb: port '%s' is not a port number",
			                         port);
			goto done;
		}
	}
	if (slash != NULL && (error = decode(&p->database, slash + 1, (size_t)(query - slash - 1), "database", 1)) < 0)
		goto done;
	if (p->database != NULL && strchr(p->database, '/') != NULL) {
		error = ladder_error_set(LADDER_EINVALID, "cannot connect to mariadb: the database name '%s' holds a '/'",
		                         p->database);
		goto done;
	}
	if (*query == '?') {
		const char *item = query + 1;
		while (*item) {
			size_t len = strcspn(item, "&");
			if (len > 0 && (error = parse_param(p, item, len)) < 0)
				goto done;
			item += len;
			if (*item == '&')
				item++;
		}
	}
done:
	if (error < 0)
		ladder_my__params_free(p);
	return error;
}

/* text with the characters a URL component cannot hold as they are
 * percent-encoded. */
static void put_encoded(ladder_buf *b, const char *text)
{
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (isalnum(*c) || strchr("-._~!$'()*+,;", *c) != NULL)
			ladder_buf_put(b, (const char *)c, 1);
		else
			ladder_buf_printf(b, "%%%02X", *c);
	}
}

char *ladder_my__params_url(const ladder_my_params *p, const char *database)
{
	ladder_buf b = {0};
	const char *sep = "?";

	ladder_buf_puts(&b, "mariadb://");
	if (p->user != NULL) {
		put_encoded(&b, p->user);
		if (p->password != NULL) {
			ladder_buf_puts(&b, ":");
			put_encoded(&b, p->password);
		}
		ladder_buf_puts(&b, "@");
	}
	if (p->host != NULL) {
		if (strchr(p->host, ':') != NULL)
			ladder_buf_printf(&b, "[%s]", p->host);
		else
			put_encoded(&b, p->host);
	}
	if (p->port != 0)
		ladder_buf_printf(&b, ":%u", p->port);
	ladder_buf_puts(&b, "/");
	if (database != NULL)
		put_encoded(&b, database);
#define PARAM(name, value)                                                                           \
	if ((value) != NULL) {                                                                          \
		ladder_buf_printf(&b, "%s" name "=", sep);                                                  \
		put_encoded(&b, value);                                                                     \
		sep = "&";                                                                                  \
	}
	PARAM("socket", p->socket)
	PARAM("ssl-mode", p->ssl_mode)
	PARAM("ssl-ca", p->ssl_ca)
	PARAM("ssl-cert", p->ssl_cert)
	PARAM("ssl-key", p->ssl_key)
#undef PARAM
	if (p->connect_timeout != 0)
		ladder_buf_printf(&b, "%sconnect-timeout=%u", sep, p->connect_timeout);
	if (b.failed) {
		ladder_buf_free(&b);
		ladder_error_set(LADDER_ENOMEM, "out of memory building a URL");
		return NULL;
	}
	return b.data;
}

/* --- the display name and masking ------------------------------------------ */

/* "mariadb://user@host:port/db", or "mariadb://user@localhost/db?socket=PATH"
 * for a Unix socket (libmariadb takes host localhost, or none, as its
 * default socket). */
static char *build_display(const ladder_my_params *p, const char *database)
{
	const char *pw = p->password;
	const char *user = ladder_secret_field(p->user, pw), *db = ladder_secret_field(database, pw);
	const char *host = p->host ? ladder_secret_field(p->host, pw) : "localhost";
	int local = strcmp(host, "localhost") == 0;

	if (local && p->socket != NULL)
		return ladder_mprintf("mariadb://%s@localhost/%s?socket=%s", user, db, ladder_secret_field(p->socket, pw));
	if (local && p->port == 0)
		return ladder_mprintf("mariadb://%s@localhost/%s", user, db);
	if (strchr(host, ':') != NULL)
		return ladder_mprintf("mariadb://%s@[%s]:%u/%s", user, host, p->port ? p->port : DEFAULT_PORT, db);
	return ladder_mprintf("mariadb://%s@%s:%u/%s", user, host, p->port ? p->port : DEFAULT_PORT, db);
}

/* --- the connection -------------------------------------------------------------- */

static void conn_free(ladder_my_conn *conn)
{
	if (conn == NULL)
		return;
	if (conn->my != NULL) {
		ladder_my__release(conn);
		if (conn->owned)
			mysql_close(conn->my);
	}
	ladder_free(conn->display);
	ladder_free(conn->database);
	ladder_free(conn->saved_database);
	ladder_my__params_free(&conn->params);
	ladder_free(conn);
}

static unsigned int server_status(MYSQL *my)
{
	unsigned int status = 0;
	mariadb_get_infov(my, MARIADB_CONNECTION_SERVER_STATUS, &status);
	return status;
}

/* Migrations must not run inside an implicit transaction (autocommit=0
 * from the server's configuration), and DDL queued behind a long
 * transaction should give up after ddl_lock_timeout_ms: one SET, or
 * nothing when nothing differs from the server's defaults. The character
 * set was settled in the handshake. */
static int setup_session(ladder_my_conn *conn)
{
	char sql[192] = "SET ";
	int n = 0;

	if (!(server_status(conn->my) & SERVER_STATUS_AUTOCOMMIT))
		n++, strcat(sql, "autocommit = 1");
	if (conn->ddl_lock_timeout_ms > 0) {
		int seconds = (conn->ddl_lock_timeout_ms + 999) / 1000;
		snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
		         "%sSESSION lock_wait_timeout = %d, SESSION innodb_lock_wait_timeout = %d", n ? ", " : "", seconds,
		         seconds);
		n++;
	}
	if (n == 0)
		return 0;
	return ladder_my__run(conn, "setting up the session", sql, strlen(sql), NULL);
}

/* One attempt at the server with `database` selected (NULL: none). *my
 * is the handle, connected or not (the caller reads its error); 1 when it
 * connected without the TLS the ssl-mode asks for. */
static int open_session(MYSQL **my, const ladder_my_params *p, const char *database)
{
	my_bool yes = 1, no = 0;

	if ((*my = mysql_init(NULL)) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory connecting to mariadb");
	mysql_options(*my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (p->connect_timeout > 0)
		mysql_options(*my, MYSQL_OPT_CONNECT_TIMEOUT, &p->connect_timeout);
	if (p->ssl_ca != NULL)
		mysql_options(*my, MYSQL_OPT_SSL_CA, p->ssl_ca);
	if (p->ssl_cert != NULL)
		mysql_options(*my, MYSQL_OPT_SSL_CERT, p->ssl_cert);
	if (p->ssl_key != NULL)
		mysql_options(*my, MYSQL_OPT_SSL_KEY, p->ssl_key);
	if (p->ssl_mode != NULL) {
		int verify = strncmp(p->ssl_mode, "VERIFY_", 7) == 0;
		int enforce = strcmp(p->ssl_mode, "DISABLED") != 0;
		mysql_options(*my, MYSQL_OPT_SSL_ENFORCE, enforce ? &yes : &no);
		mysql_options(*my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, verify ? &yes : &no);
	}
	if (mysql_real_connect(*my, p->host, p->user, p->password, database, p->port, p->socket, CLIENT_MULTI_RESULTS) ==
	    NULL)
		return LADDER_EDB;
	/* libmariadb 3.3 falls back to plain text when the server offers no
	 * TLS unless it verifies the certificate: REQUIRED is checked here. */
	if (p->ssl_mode != NULL && strcmp(p->ssl_mode, "DISABLED") != 0) {
		const char *cipher = NULL;
		mariadb_get_infov(*my, MARIADB_CONNECTION_SSL_CIPHER, &cipher);
		if (cipher == NULL || cipher[0] == '\0')
			return 1; /* the caller's message */
	}
	return 0;
}

static int conn_new(ladder_my_conn **out, MYSQL *my, int owned, const ladder_open_options *opts)
{
	ladder_my_conn *conn = ladder_calloc(1, sizeof(*conn));

	*out = NULL;
	if (conn == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory connecting to mariadb");
	conn->base.driver = &ladder_mariadb_driver;
	conn->my = my;
	conn->owned = owned;
	conn->ddl_lock_timeout_ms = opts != NULL && opts->ddl_lock_timeout_ms > 0 ? opts->ddl_lock_timeout_ms : 0;
	*out = conn;
	return 0;
}

static int my_connect(ladder_conn **out, const char *url, const ladder_open_options *opts)
{
	const char *schema = opts != NULL && opts->schema != NULL && opts->schema[0] ? opts->schema : NULL;
	ladder_my_params params;
	ladder_my_conn *conn = NULL;
	MYSQL *my = NULL;
	char *display = NULL, *message = NULL;
	int db_missing = 0, error;

	*out = NULL;
	memset(&params, 0, sizeof(params));
	if ((error = ladder_libmariadb_load()) < 0)
		return error;
	if ((error = ladder_my__parse_url(&params, url)) < 0)
		goto done;
	if ((display = build_display(&params, schema ? schema : params.database)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory connecting to mariadb");
		goto done;
	}
	error = open_session(&my, &params, schema ? schema : params.database);
	/* A store's database not created yet: the first run that writes
	 * creates it (store_prepare), as PostgreSQL's driver does a schema. */
	if (error == LADDER_EDB && schema != NULL && mysql_errno(my) == ER_BAD_DB_ERROR) {
		mysql_close(my);
		db_missing = 1;
		error = open_session(&my, &params, params.database);
	}
	if (error == 1) {
		error = ladder_error_set(LADDER_EDB,
		                         "cannot connect to %s: ssl-mode=%s, but the connection is not encrypted (the "
		                         "server offers no TLS)",
		                         display, params.ssl_mode);
		goto done;
	}
	if (error == LADDER_EDB) {
		if ((message = ladder_mask_secret(mysql_error(my), params.password)) == NULL)
			error = ladder_error_set(LADDER_ENOMEM, "out of memory connecting to mariadb");
		else
			error = ladder_error_set(LADDER_EDB, "cannot connect to %s: %s", display, message);
	}
	if (error < 0)
		goto done;
	if ((error = conn_new(&conn, my, 1, opts)) < 0)
		goto done;
	my = NULL; /* conn owns it */
	conn->params = params;
	memset(&params, 0, sizeof(params));
	conn->display = display;
	display = NULL;
	conn->db_missing = db_missing;
	if ((schema || conn->params.database) &&
	    (conn->database = ladder_strdup(schema ? schema : conn->params.database)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory connecting to mariadb");
		goto done;
	}
	if ((error = setup_session(conn)) < 0)
		goto done;
	*out = &conn->base;
	conn = NULL;
done:
	conn_free(conn);
	if (my != NULL)
		mysql_close(my);
	ladder_my__params_free(&params);
	ladder_free(display);
	ladder_free(message);
	return error;
}

static char *copy_or_null(const char *text, int *failed)
{
	char *copy;
	if (text == NULL)
		return NULL;
	if ((copy = ladder_strdup(text)) == NULL)
		*failed = 1;
	return copy;
}

static int my_wrap(ladder_conn **out, void *native, const ladder_open_options *opts)
{
	MYSQL *my = native;
	const char *schema = opts != NULL && opts->schema != NULL && opts->schema[0] ? opts->schema : NULL;
	ladder_my_conn *conn = NULL;
	int failed = 0, error;

	*out = NULL;
	if ((error = ladder_libmariadb_load()) < 0)
		return error;
	if (my == NULL || mysql_thread_id(my) == 0)
		return ladder_error_set(LADDER_EINVALID, "ladder_mariadb_wrap: the connection is not open");
	if ((error = conn_new(&conn, my, 0, opts)) < 0)
		return error;
	/* How to reach the server again (scratch databases for verify): what
	 * the handle was connected with. */
	conn->params.user = copy_or_null(my->user, &failed);
	conn->params.password = copy_or_null(my->passwd, &failed);
	conn->params.host = copy_or_null(my->host, &failed);
	conn->params.socket = copy_or_null(my->unix_socket, &failed);
	conn->params.database = copy_or_null(my->db, &failed);
	conn->params.port = my->unix_socket != NULL ? 0 : my->port;
	conn->database = copy_or_null(schema ? schema : my->db, &failed);
	if (!failed && (conn->display = build_display(&conn->params, conn->database)) == NULL)
		failed = 1;
	if (failed) {
		conn_free(conn);
		return ladder_error_set(LADDER_ENOMEM, "out of memory wrapping a MariaDB connection");
	}
	/* The application's session keeps its own settings; a run sets ours
	 * while it holds the lock (mariadb_lock.c). */
	conn->settings_scoped = 1;
	*out = &conn->base;
	return 0;
}

int ladder_mariadb_wrap(ladder_db **out, struct st_mysql *my, const ladder_open_options *opts)
{
	return ladder_db_wrap(out, "mariadb", my, opts);
}

static const char *my_display(ladder_conn *base)
{
	return ((ladder_my_conn *)base)->display;
}

static void my_close(ladder_conn *base)
{
	conn_free((ladder_my_conn *)base);
}

static void *my_native(ladder_conn *base)
{
	return ((ladder_my_conn *)base)->my;
}

static const ladder_driver_ops mariadb_ops = {
	.close = my_close,
	.native = my_native,
	.display = my_display,
	.exec = ladder_my__exec,
	.query_rows = ladder_my__query_rows,
	.begin = ladder_my__begin,
	.commit = ladder_my__commit,
	.rollback = ladder_my__rollback,
	.in_transaction = ladder_my__in_transaction,
	.lock = ladder_my__lock,
	.unlock = ladder_my__unlock,
	.lock_holder = ladder_my__lock_holder,
	.is_empty = ladder_my__is_empty,
	.store_prepare = ladder_my__store_prepare,
	.history_read = ladder_my__history_read,
	.history_write = ladder_my__history_write,
	.history_delete = ladder_my__history_delete,
	.stamp_read = ladder_my__stamp_read,
	.stamp_write = ladder_my__stamp_write,
	.describe = ladder_my__describe,
	.scratch_create = ladder_my__scratch_create,
	.scratch_drop = ladder_my__scratch_drop,
	.statements = ladder_my__statements,
	.table_has = ladder_my__table_has,
	.table_size = ladder_my__table_size,
	.statement_timeout = ladder_my__statement_timeout,
	.schemas_list = ladder_my__schemas_list,
	.index_has = ladder_my__index_has,
};

static const char *const my_schemes[] = {"mariadb://", "mysql://", NULL};

const ladder_driver ladder_mariadb_driver = {
	.version = LADDER_DRIVER_VERSION,
	.name = "mariadb",
	.schemes = my_schemes,
	.caps = LADDER_DRIVER_SCHEMAS | LADDER_DRIVER_LOCK_ALWAYS | LADDER_DRIVER_DDL_COMMITS | LADDER_DRIVER_BACKTICKS,
	.connect = my_connect,
	.wrap = my_wrap,
	.read_actions = ladder_mariadb_read_actions,
	.ops = &mariadb_ops,
};
