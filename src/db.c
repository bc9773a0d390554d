/*
 * db.c — opening databases: picks the driver from the URL, parses the
 * version-store spec, and keeps what is safe to print.
 */
#include "db.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_HISTORY_TABLE "ladder_history"

static int valid_table_name(const char *name)
{
	size_t len = strlen(name);
	return len > 0 && len < LADDER_NAME_MAX;
}

int ladder_store_parse(ladder_store *out, const char *spec, const char *schema)
{
	const char *table = NULL;

	memset(out, 0, sizeof(*out));
	if (spec == NULL || spec[0] == '\0' || strcmp(spec, "history") == 0) {
		out->kind = LADDER_STORE_HISTORY;
		table = DEFAULT_HISTORY_TABLE;
	} else if (strncmp(spec, "history:", 8) == 0) {
		out->kind = LADDER_STORE_HISTORY;
		table = spec + 8;
	} else if (strcmp(spec, "user_version") == 0) {
		out->kind = LADDER_STORE_USER_VERSION;
		table = "";
	} else if (strncmp(spec, "comment:", 8) == 0) {
		out->kind = LADDER_STORE_COMMENT;
		table = spec + 8;
	} else {
		return ladder_error_set(LADDER_EINVALID,
		                        "unknown version store '%s' (expected history, history:TABLE, user_version or "
		                        "comment:TABLE)",
		                        spec);
	}
	if (out->kind != LADDER_STORE_USER_VERSION && !valid_table_name(table))
		return ladder_error_set(LADDER_EINVALID, "version store '%s': the table name must be 1 to %d bytes",
		                        spec, LADDER_NAME_MAX - 1);
	if (schema != NULL && strlen(schema) >= LADDER_NAME_MAX)
		return ladder_error_set(LADDER_EINVALID, "schema name '%s' is too long", schema);
	snprintf(out->table, sizeof(out->table), "%s", table);
	snprintf(out->schema, sizeof(out->schema), "%s", schema ? schema : "");
	return 0;
}

const char *ladder_store_spec(const ladder_store *store, char *buf, size_t len)
{
	switch (store->kind) {
	case LADDER_STORE_HISTORY:
		if (strcmp(store->table, DEFAULT_HISTORY_TABLE) == 0)
			snprintf(buf, len, "history");
		else
			snprintf(buf, len, "history:%s", store->table);
		break;
	case LADDER_STORE_USER_VERSION:
		snprintf(buf, len, "user_version");
		break;
	case LADDER_STORE_COMMENT:
		snprintf(buf, len, "comment:%s", store->table);
		break;
	}
	return buf;
}

void ladder_rows_free(ladder_row *rows, size_t count)
{
	if (rows == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		ladder_free(rows[i].name);
	ladder_free(rows);
}

int ladder_db_from_conn(ladder_db **out, ladder_conn *conn, const char *display,
                        const ladder_open_options *opts)
{
	ladder_open_options defaults = LADDER_OPEN_OPTIONS_INIT;
	ladder_db *db = NULL;
	int error;

	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	db = ladder_calloc(1, sizeof(*db));
	if (db == NULL || (db->display = ladder_strdup(display ? display : "")) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory opening a database");
		goto fail;
	}
	if ((error = ladder_store_parse(&db->store, opts->store, opts->schema)) < 0)
		goto fail;
	if (db->store.kind == LADDER_STORE_USER_VERSION && strcmp(conn->ops->engine, "sqlite") != 0) {
		error = ladder_error_set(LADDER_EUNSUPPORTED, "the user_version store is SQLite-only");
		goto fail;
	}
	if (db->store.schema[0] != '\0' && strcmp(conn->ops->engine, "postgres") != 0) {
		error = ladder_error_set(LADDER_EINVALID, "a schema ('%s') is PostgreSQL-only", db->store.schema);
		goto fail;
	}
	if (db->store.kind == LADDER_STORE_COMMENT && strcmp(conn->ops->engine, "postgres") != 0) {
		error = ladder_error_set(LADDER_EUNSUPPORTED, "the comment store is PostgreSQL-only");
		goto fail;
	}
	db->lock_timeout_ms = opts->lock_timeout_ms > 0 ? opts->lock_timeout_ms : 0;
	db->conn = conn;
	*out = db;
	return 0;
fail:
	if (db)
		ladder_free(db->display);
	ladder_free(db);
	return error;
}

static int is_postgres_url(const char *url)
{
	const char *p = url;
	if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
		return 1;
	/* libpq's key=value form: "host=... dbname=..." */
	while (*p && (isalnum((unsigned char)*p) || *p == '_'))
		p++;
	while (*p == ' ')
		p++;
	return p != url && *p == '=';
}

/* The SQLite path in "sqlite:PATH", "sqlite3:PATH", "sqlite:///abs/path". */
static const char *sqlite_path(const char *url)
{
	const char *path = url;
	if (strncmp(url, "sqlite:", 7) == 0)
		path = url + 7;
	else if (strncmp(url, "sqlite3:", 8) == 0)
		path = url + 8;
	else
		return url;
	if (strncmp(path, "//", 2) == 0)
		path += 2;
	return path;
}

int ladder_db_open(ladder_db **out, const char *url, const ladder_open_options *opts)
{
	ladder_conn *conn = NULL;
	char *display = NULL;
	int error;

	if (out == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_db_open: out is NULL");
	*out = NULL;
	if (url == NULL || url[0] == '\0')
		return ladder_error_set(LADDER_EINVALID, "no database given");
	if (opts != NULL && opts->version != LADDER_OPEN_OPTIONS_VERSION)
		return ladder_error_set(LADDER_EINVALID, "ladder_open_options: unknown version %u", opts->version);

	if (is_postgres_url(url)) {
#ifdef LADDER_WITH_POSTGRES
		if ((error = ladder_postgres_connect(&conn, url, opts)) < 0)
			goto done;
		error = ladder_db_from_conn(out, conn, ladder_postgres_display(conn), opts);
#else
		error = ladder_error_set(LADDER_EUNSUPPORTED, "this ladder was built without PostgreSQL support");
#endif
	} else {
		const char *path = sqlite_path(url);
		if (path[0] == '\0') {
			error = ladder_error_set(LADDER_EINVALID, "'%s': no database file path", url);
			goto done;
		}
		if ((error = ladder_sqlite_connect(&conn, path, opts)) < 0)
			goto done;
		if ((display = ladder_malloc(strlen(path) + 8)) == NULL) {
			error = ladder_error_set(LADDER_ENOMEM, "out of memory");
			goto done;
		}
		sprintf(display, "sqlite:%s", path);
		error = ladder_db_from_conn(out, conn, display, opts);
	}
done:
	if (error < 0 && conn != NULL)
		conn->ops->close(conn);
	ladder_free(display);
	return error;
}

void ladder_db_close(ladder_db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		db->conn->ops->close(db->conn);
	ladder_free(db->display);
	ladder_free(db);
}

void *ladder_db_native(ladder_db *db)
{
	return db && db->conn ? db->conn->ops->native(db->conn) : NULL;
}

const char *ladder_db_engine(const ladder_db *db)
{
	return db && db->conn ? db->conn->ops->engine : "";
}

const char *ladder_db_display_name(const ladder_db *db)
{
	return db ? db->display : "";
}
