/*
 * myutil.c — the MariaDB test helpers declared in myutil.h.
 */
#define _GNU_SOURCE
#include "myutil.h"

#include <ctype.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char server_url[512];
static int server_port;

const char *myu_server_url(void)
{
	const char *file = getenv("LADDER_MARIADB_URL_FILE");
	FILE *f;
	char *colon;

	if (server_url[0])
		return server_url;
	if (file == NULL || file[0] == '\0')
		fail_msg("LADDER_MARIADB_URL_FILE is not set: run the MariaDB tests through ctest, which starts a "
		         "server with tests/mariadb/server.sh");
	if ((f = fopen(file, "r")) == NULL)
		fail_msg("cannot read %s: did tests/mariadb/server.sh start fail?", file);
	if (fgets(server_url, sizeof(server_url), f) == NULL)
		fail_msg("%s is empty", file);
	fclose(f);
	server_url[strcspn(server_url, "\r\n")] = '\0';
	/* mariadb://ladder:PW@127.0.0.1:PORT/, as server.sh writes it */
	colon = strrchr(server_url, ':');
	if (colon == NULL || (server_port = atoi(colon + 1)) <= 0)
		fail_msg("%s: cannot read a port in '%s'", file, server_url);
	return server_url;
}

int myu_port(void)
{
	myu_server_url();
	return server_port;
}

const char *myu_url(const char *user, const char *password, const char *dbname)
{
	if (password != NULL)
		return tu_fmt("mariadb://%s:%s@127.0.0.1:%d/%s", user, password, myu_port(), dbname);
	return tu_fmt("mariadb://%s@127.0.0.1:%d/%s", user, myu_port(), dbname);
}

/* --- connecting ------------------------------------------------------- */

typedef struct {
	char user[128], password[128], host[256], database[256], socket[512];
	unsigned int port;
} url_parts;

/* Copy s[0..n) into out (size) decoding %XX. */
static void decode(char *out, size_t size, const char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < size; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = {s[i + 1], s[i + 2], 0};
			out[o++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

static void parse_url(const char *url, url_parts *p)
{
	const char *s, *at, *slash, *colon, *query, *end;

	memset(p, 0, sizeof(*p));
	if (strncmp(url, "mariadb://", 10) == 0)
		s = url + 10;
	else if (strncmp(url, "mysql://", 8) == 0)
		s = url + 8;
	else {
		fail_msg("not a MariaDB URL: %s", url);
		return;
	}
	end = s + strlen(s);
	query = strchr(s, '?');
	if (query != NULL)
		end = query;
	slash = memchr(s, '/', (size_t)(end - s));
	if (slash == NULL)
		slash = end;
	at = NULL;
	for (const char *c = s; c < slash; c++)
		if (*c == '@')
			at = c;
	if (at != NULL) {
		colon = memchr(s, ':', (size_t)(at - s));
		if (colon != NULL) {
			decode(p->user, sizeof(p->user), s, (size_t)(colon - s));
			decode(p->password, sizeof(p->password), colon + 1, (size_t)(at - colon - 1));
		} else {
			decode(p->user, sizeof(p->user), s, (size_t)(at - s));
		}
		s = at + 1;
	}
	colon = memchr(s, ':', (size_t)(slash - s));
	if (colon != NULL) {
		p->port = (unsigned int)atoi(colon + 1);
		decode(p->host, sizeof(p->host), s, (size_t)(colon - s));
	} else {
		decode(p->host, sizeof(p->host), s, (size_t)(slash - s));
	}
	if (slash < end)
		decode(p->database, sizeof(p->database), slash + 1, (size_t)(end - slash - 1));
	for (const char *q = query; q != NULL && *q != '\0';) {
		const char *next = strchr(q + 1, '&');
		const char *stop = next ? next : q + strlen(q);
		if (strncmp(q + 1, "socket=", 7) == 0)
			decode(p->socket, sizeof(p->socket), q + 8, (size_t)(stop - q - 8));
		q = next;
	}
}

MYSQL *myu_connect(const char *url)
{
	url_parts p;
	MYSQL *conn = mysql_init(NULL);
	unsigned int timeout = 30;

	assert_non_null(conn);
	parse_url(url, &p);
	mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (mysql_real_connect(conn, p.host[0] ? p.host : NULL, p.user[0] ? p.user : NULL, p.password,
	                       p.database[0] ? p.database : NULL, p.port, p.socket[0] ? p.socket : NULL,
	                       CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS) == NULL)
		fail_msg("connecting to %s: %s", url, mysql_error(conn));
	if (mysql_query(conn, "SET SESSION sql_mode = CONCAT(@@sql_mode, ',PIPES_AS_CONCAT,NO_BACKSLASH_ESCAPES')") != 0)
		fail_msg("setting sql_mode on %s: %s", url, mysql_error(conn));
	return conn;
}

/* Connections the tests look through, kept open (as pgutil.c does, for
 * the same reasons): only the process that opened one uses it, the least
 * recently used goes when the table is full, and a database's go before it
 * is dropped. */
#define SESSIONS 8
static struct {
	char *url;
	MYSQL *conn;
	pid_t pid;
	unsigned long used;
} sessions[SESSIONS];
static unsigned long session_clock;

static void forget_session(int i)
{
	if (sessions[i].pid == getpid())
		mysql_close(sessions[i].conn);
	free(sessions[i].url);
	memset(&sessions[i], 0, sizeof(sessions[i]));
}

static void forget_sessions(void)
{
	for (int i = 0; i < SESSIONS; i++)
		if (sessions[i].url != NULL)
			forget_session(i);
}

MYSQL *myu_session(const char *url)
{
	int slot = 0;

	for (int i = 0; i < SESSIONS; i++) {
		if (sessions[i].url != NULL && sessions[i].pid == getpid() && strcmp(sessions[i].url, url) == 0) {
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
	sessions[slot].conn = myu_connect(url);
	sessions[slot].url = strdup(url);
	assert_non_null(sessions[slot].url);
	sessions[slot].pid = getpid();
	sessions[slot].used = ++session_clock;
	return sessions[slot].conn;
}

/* Run sql and hand each result set to out (NULL: discard them). */
static void run(MYSQL *conn, const char *sql, tu_buf *out)
{
	int status;

	if (mysql_query(conn, sql) != 0)
		fail_msg("%s: %s", sql, mysql_error(conn));
	do {
		MYSQL_RES *res = mysql_store_result(conn);
		if (res != NULL) {
			unsigned int n = mysql_num_fields(res);
			MYSQL_ROW row;
			while (out != NULL && (row = mysql_fetch_row(res)) != NULL) {
				for (unsigned int c = 0; c < n; c++)
					tu_buf_add_field(out, (int)c, row[c]);
				tu_buf_add(out, "\n");
			}
			mysql_free_result(res);
		} else if (mysql_field_count(conn) != 0) {
			fail_msg("%s: %s", sql, mysql_error(conn));
		}
		if ((status = mysql_next_result(conn)) > 0)
			fail_msg("%s: %s", sql, mysql_error(conn));
	} while (status == 0);
}

void myu_exec(MYSQL *conn, const char *sql)
{
	run(conn, sql, NULL);
}

void myu_rows(MYSQL *conn, const char *sql, tu_buf *out)
{
	run(conn, sql, out);
}

int64_t myu_conn_int(MYSQL *conn, const char *sql)
{
	tu_buf out = {0};
	int64_t value = -1;

	tu_buf_add(&out, "");
	run(conn, sql, &out);
	if (out.len > 0 && strncmp(out.buf, "NULL", 4) != 0 && out.buf[0] != '\n' && out.buf[0] != '|')
		value = strtoll(out.buf, NULL, 10);
	free(out.buf);
	return value;
}

int64_t myu_int(const char *url, const char *sql)
{
	return tu_scalar(&myu_engine, url, sql);
}

char *myu_text(const char *url, const char *sql)
{
	return tu_query_text(&myu_engine, url, sql);
}

void myu_assert_text(const char *url, const char *sql, const char *expected)
{
	tu_assert_rows(&myu_engine, url, sql, expected);
}

/* --- databases ------------------------------------------------------- */

const char *myu_db_of(const char *url)
{
	url_parts p;
	parse_url(url, &p);
	return tu_keep(p.database);
}

const char *myu_new_db(const char *tag, const char **name)
{
	static int counter;
	/* 64 characters at most: MariaDB's limit on a database name */
	const char *db = tu_keep(tu_fmt("ladder_%.30s_%d_%d", tag, (int)getpid(), ++counter));

	myu_exec(myu_session(myu_server_url()), tu_fmt("CREATE DATABASE `%s`", db));
	if (name)
		*name = db;
	return tu_keep(myu_url(MYU_USER, MYU_PASSWORD, db));
}

void myu_drop_db(const char *name)
{
	for (int i = 0; i < SESSIONS; i++)
		if (sessions[i].url != NULL && strcmp(myu_db_of(sessions[i].url), name) == 0)
			forget_session(i);
	myu_exec(myu_session(myu_server_url()), tu_fmt("DROP DATABASE IF EXISTS `%s`", name));
}

/* --- snapshot ------------------------------------------------------- */

static int compare_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rows of one table, sorted as text (a table need not have a key). */
static void sorted_rows(MYSQL *conn, const char *table, tu_buf *sb)
{
	tu_buf rows = {0};
	char **lines = NULL;
	size_t n = 0, cap = 0;

	tu_buf_add(&rows, "");
	myu_rows(conn, tu_fmt("SELECT * FROM `%s`", table), &rows);
	for (char *line = rows.buf, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			lines = realloc(lines, cap * sizeof(*lines));
			assert_non_null(lines);
		}
		lines[n++] = line;
	}
	if (n > 1)
		qsort(lines, n, sizeof(*lines), compare_lines);
	for (size_t i = 0; i < n; i++) {
		tu_buf_add(sb, lines[i]);
		tu_buf_add(sb, "\n");
	}
	free(lines);
	free(rows.buf);
}

char *myu_snapshot(const char *url)
{
	MYSQL *conn = myu_session(url);
	tu_buf sb = {0}, tables = {0};

	tu_buf_add(&sb, "-- relations\n");
	myu_rows(conn,
	         "SELECT table_name, table_type, engine, table_comment FROM information_schema.tables "
	         "WHERE table_schema = DATABASE() ORDER BY 1",
	         &sb);
	tu_buf_add(&sb, "-- columns\n");
	myu_rows(conn,
	         "SELECT table_name, column_name, column_type, is_nullable, column_default, extra, column_comment "
	         "FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY 1, ordinal_position",
	         &sb);
	tu_buf_add(&sb, "-- indexes\n");
	myu_rows(conn,
	         "SELECT table_name, index_name, non_unique, seq_in_index, column_name, sub_part, index_type "
	         "FROM information_schema.statistics WHERE table_schema = DATABASE() ORDER BY 1, 2, 4",
	         &sb);
	tu_buf_add(&sb, "-- constraints\n");
	myu_rows(conn,
	         "SELECT table_name, constraint_name, constraint_type FROM information_schema.table_constraints "
	         "WHERE constraint_schema = DATABASE() ORDER BY 1, 2",
	         &sb);
	tu_buf_add(&sb, "-- views\n");
	myu_rows(conn,
	         "SELECT table_name, view_definition FROM information_schema.views WHERE table_schema = DATABASE() "
	         "ORDER BY 1",
	         &sb);
	tu_buf_add(&sb, "-- routines and triggers\n");
	myu_rows(conn,
	         "SELECT routine_type, routine_name, routine_definition FROM information_schema.routines "
	         "WHERE routine_schema = DATABASE() ORDER BY 1, 2",
	         &sb);
	myu_rows(conn,
	         "SELECT trigger_name, event_manipulation, event_object_table, action_statement "
	         "FROM information_schema.triggers WHERE trigger_schema = DATABASE() ORDER BY 1",
	         &sb);
	tu_buf_add(&tables, "");
	myu_rows(conn,
	         "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
	         "AND table_type = 'BASE TABLE' ORDER BY 1",
	         &tables);
	for (char *name = tables.buf, *nl; (nl = strchr(name, '\n')) != NULL; name = nl + 1) {
		*nl = '\0';
		tu_buf_add(&sb, "-- rows of ");
		tu_buf_add(&sb, name);
		tu_buf_add(&sb, "\n");
		sorted_rows(conn, name, &sb);
	}
	free(tables.buf);
	return sb.buf;
}

ladder_db *myu_open(const char *url, const char *store, const char *schema)
{
	return tu_db_open(url, store, schema);
}

/* --- the migration lock ------------------------------------------------ */

const char *myu_lock_name(const char *database, const char *spec)
{
	const char *name = tu_fmt("ladder:%s:%s", database, spec);
	unsigned char digest[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];

	/* MariaDB's user-lock names end at 64 characters: a longer one is
	 * 'ladder:' and the first 57 hex digits of its SHA-256 */
	if (strlen(name) <= 64)
		return tu_keep(name);
	SHA256((const unsigned char *)name, strlen(name), digest);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		sprintf(hex + 2 * i, "%02x", digest[i]);
	return tu_keep(tu_fmt("ladder:%.57s", hex));
}

int64_t myu_lock_holder(const char *url, const char *database, const char *spec)
{
	int64_t holder = myu_conn_int(myu_session(url), tu_fmt("SELECT IS_USED_LOCK('%s')", myu_lock_name(database, spec)));
	return holder < 0 ? 0 : holder;
}

int64_t myu_locks(const char *url)
{
	const char *db = myu_db_of(url);
	/* '_' in a database name is LIKE's any-character: escaped */
	tu_buf pattern = {0};
	int64_t n;

	tu_buf_add(&pattern, "ladder:");
	for (const char *c = db; *c != '\0'; c++) {
		char one[3] = {0};
		if (*c == '_' || *c == '%' || *c == '\\')
			one[0] = '\\', one[1] = *c;
		else
			one[0] = *c;
		tu_buf_add(&pattern, one);
	}
	tu_buf_add(&pattern, ":%");
	n = myu_conn_int(myu_session(url),
	                 tu_fmt("SELECT count(*) FROM information_schema.metadata_lock_info WHERE lock_type = 'User lock' "
	                        "AND thread_id <> CONNECTION_ID() AND (table_schema LIKE '%s' ESCAPE '\\' "
	                        "OR table_schema = '%s')",
	                        pattern.buf, myu_lock_name(db, "history")));
	free(pattern.buf);
	return n;
}

int64_t myu_wait_locks_free(const char *url, double seconds)
{
	double start = tu_now_ms();
	int64_t held;

	for (;;) {
		if ((held = myu_locks(url)) == 0)
			return 0;
		if ((tu_now_ms() - start) / 1e3 > seconds)
			return held;
		usleep(20 * 1000);
	}
}
