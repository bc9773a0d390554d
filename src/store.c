/*
 * store.c — reading and printing version store specs, and checking one
 * against the capabilities of the driver that would hold it.
 */
#include "store.h"

#include <stdio.h>
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

int ladder_store_check(const ladder_store *store, const ladder_driver *driver)
{
	if (store->kind == LADDER_STORE_USER_VERSION && !(driver->caps & LADDER_DRIVER_USER_VERSION))
		return ladder_error_set(LADDER_EUNSUPPORTED, "the user_version store is SQLite-only: the %s driver has none",
		                        driver->name);
	if (store->kind == LADDER_STORE_COMMENT && !(driver->caps & LADDER_DRIVER_COMMENT))
		return ladder_error_set(LADDER_EUNSUPPORTED, "the comment store is PostgreSQL-only: the %s driver has none",
		                        driver->name);
	if (store->schema[0] != '\0' && !(driver->caps & LADDER_DRIVER_SCHEMAS))
		return ladder_error_set(LADDER_EINVALID, "a schema ('%s') is PostgreSQL-only: the %s driver has none",
		                        store->schema, driver->name);
	return 0;
}
