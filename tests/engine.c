/*
 * engine.c — what engine.h builds once on any fixture: opening by URL,
 * queries as text or one integer, catalog counts.
 */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

ladder_db *tu_db_open(const char *url, const char *store, const char *schema)
{
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	ladder_db *db = NULL;

	opts.store = store;
	opts.schema = schema;
	if (ladder_db_open(&db, url, &opts) < 0)
		fail_msg("opening %s: %s", url, ladder_error_last()->message);
	return db;
}

char *tu_query_text(const tu_engine *e, const char *url, const char *sql)
{
	tu_buf out = {0};
	tu_buf_add(&out, "");
	e->rows(url, sql, &out);
	return out.buf;
}

int64_t tu_scalar(const tu_engine *e, const char *url, const char *sql)
{
	char *text = tu_query_text(e, url, sql);
	size_t len = strcspn(text, "|\n");
	int64_t value = -1;

	if (len > 0 && !(len == 4 && strncmp(text, "NULL", 4) == 0))
		value = strtoll(text, NULL, 10);
	free(text);
	return value;
}

void tu_assert_rows(const tu_engine *e, const char *url, const char *sql, const char *expected)
{
	tu_assert_text_is(sql, tu_query_text(e, url, sql), expected);
}

int64_t tu_objects(const tu_engine *e, const char *url, const char *where)
{
	return tu_scalar(e, url, tu_fmt("SELECT count(*) FROM (%s) o WHERE %s", e->catalog, where));
}
