/*
 * fleet.c — building a fleet: targets added one by one, by a glob of
 * SQLite files, from a file of URLs, or as the schemas of a database that
 * match a LIKE pattern or that a query names. fleet_run.c runs them.
 */
#include "fleet.h"

#include "conn.h"
#include "db.h"
#include "error.h"

#include "ladder/sys/alloc.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

int ladder_fleet_new(ladder_fleet **out)
{
	if (out == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_fleet_new: out is NULL");
	if ((*out = ladder_calloc(1, sizeof(**out))) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory making a fleet");
	return 0;
}

void ladder_fleet_free(ladder_fleet *fleet)
{
	if (fleet == NULL)
		return;
	for (size_t i = 0; i < fleet->count; i++) {
		ladder_free(fleet->targets[i].url);
		ladder_free(fleet->targets[i].schema);
	}
	ladder_free(fleet->targets);
	ladder_free(fleet);
}

size_t ladder_fleet_count(const ladder_fleet *fleet)
{
	return fleet ? fleet->count : 0;
}

static int add_target(ladder_fleet *fleet, const char *url, size_t url_len, const char *schema)
{
	fleet_target *t;

	if ((t = ladder_array_grow(fleet->targets, &fleet->cap, fleet->count, sizeof(*t), 64)) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory adding to a fleet");
	fleet->targets = t;
	t = &fleet->targets[fleet->count];
	memset(t, 0, sizeof(*t));
	if ((t->url = ladder_malloc(url_len + 1)) == NULL ||
	    (schema != NULL && (t->schema = ladder_strdup(schema)) == NULL)) {
		ladder_free(t->url);
		return ladder_error_set(LADDER_ENOMEM, "out of memory adding to a fleet");
	}
	memcpy(t->url, url, url_len);
	t->url[url_len] = '\0';
	fleet->count++;
	return 0;
}

ladder_open_options fleet_database_options(const ladder_open_options *opts)
{
	ladder_open_options own;

	if (ladder_open_options_read(&own, opts) < 0) /* refused again when opened */
		own.version = 0;
	own.schema = NULL;
	own.flags |= LADDER_OPEN_EXISTING;
	return own;
}

int ladder_fleet_add(ladder_fleet *fleet, const char *url)
{
	if (fleet == NULL || url == NULL || url[0] == '\0')
		return ladder_error_set(LADDER_EINVALID, "ladder_fleet_add: no fleet or no URL given");
	return add_target(fleet, url, strlen(url), NULL);
}

/* A folder the pattern names that does not exist matches nothing, as in
 * a shell; one that cannot be read stops the match: a fleet silently
 * missing the targets behind a permission would look complete. */
static int unreadable_folder(const char *path, int error)
{
	(void)path;
	return error != ENOENT && error != ENOTDIR;
}

int ladder_fleet_add_glob(ladder_fleet *fleet, const char *pattern, size_t *added)
{
	glob_t found;
	size_t before = fleet ? fleet->count : 0;
	int rc, error = 0;

	if (added)
		*added = 0;
	if (fleet == NULL || pattern == NULL || pattern[0] == '\0')
		return ladder_error_set(LADDER_EINVALID, "ladder_fleet_add_glob: no fleet or no pattern given");
	memset(&found, 0, sizeof(found));
	rc = glob(pattern, 0, unreadable_folder, &found);
	if (rc == GLOB_NOMATCH)
		error = ladder_error_set(LADDER_EINVALID, "no file matches '%s'", pattern);
	else if (rc == GLOB_NOSPACE)
		error = ladder_error_set(LADDER_ENOMEM, "out of memory matching '%s'", pattern);
	else if (rc != 0)
		error = ladder_error_set(LADDER_EIO, "cannot read a folder while matching '%s': %s", pattern,
		                         strerror(errno ? errno : EIO));
	/* glob(3) sorts: a fleet runs, and reports, in a stable order */
	for (size_t i = 0; error == 0 && i < found.gl_pathc; i++)
		error = add_target(fleet, found.gl_pathv[i], strlen(found.gl_pathv[i]), NULL);
	if (rc != GLOB_NOMATCH)
		globfree(&found);
	if (error == 0 && added)
		*added = fleet->count - before;
	return error;
}

int ladder_fleet_add_file(ladder_fleet *fleet, const char *path, size_t *added)
{
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0, before = fleet ? fleet->count : 0;
	long number = 0;
	ssize_t len;
	int error = 0;

	if (added)
		*added = 0;
	if (fleet == NULL || path == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_fleet_add_file: no fleet or no path given");
	if ((f = fopen(path, "r")) == NULL)
		return ladder_error_set(LADDER_EIO, "cannot open the targets file %s: %s", path, strerror(errno));
	while (error == 0 && (len = getline(&line, &cap, f)) >= 0) {
		const char *start = line;
		number++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
		                   line[len - 1] == '\t'))
			line[--len] = '\0';
		start += strspn(start, " \t");
		if (*start == '\0' || *start == '#')
			continue;
		if (strlen(start) != (size_t)(len - (start - line)))
			error = ladder_error_set(LADDER_EINVALID, "%s:%ld: a NUL byte in the line", path, number);
		else
			error = add_target(fleet, start, strlen(start), NULL);
	}
	if (error == 0 && ferror(f))
		error = ladder_error_set(LADDER_EIO, "cannot read the targets file %s: %s", path, strerror(errno));
	free(line); /* getline's, from libc */
	fclose(f);
	if (error == 0 && added)
		*added = fleet->count - before;
	return error;
}

typedef struct schema_adder {
	ladder_fleet *fleet;
	const char *url;
} schema_adder;

static int on_schema(void *ctx, int ncols, const char *const *names, const char *const *cells)
{
	schema_adder *a = ctx;

	(void)names;
	if (ncols < 1 || cells[0] == NULL || cells[0][0] == '\0')
		return ladder_error_set(LADDER_EINVALID, "the schemas query returned a row without a schema name");
	return add_target(a->fleet, a->url, strlen(a->url), cells[0]);
}

int ladder_fleet_add_schemas(ladder_fleet *fleet, const char *url, const char *like, const char *sql,
                             const ladder_open_options *opts, size_t *added)
{
	ladder_open_options own;
	schema_adder adder = {fleet, url};
	ladder_db *db = NULL;
	size_t before = fleet ? fleet->count : 0;
	int error;

	if (added)
		*added = 0;
	if (fleet == NULL || url == NULL || (like == NULL) == (sql == NULL))
		return ladder_error_set(LADDER_EINVALID,
		                        "ladder_fleet_add_schemas: needs a fleet, a URL, and either a LIKE pattern or a query");
	own = fleet_database_options(opts);
	if ((error = ladder_db_open(&db, url, &own)) < 0)
		goto done;
	if (like != NULL)
		error = conn_schemas_list(db->conn, like, on_schema, &adder);
	else
		error = conn_query_rows(db->conn, sql, on_schema, &adder);
	if (error < 0)
		goto done;
	if (fleet->count == before && like != NULL)
		error = ladder_error_set(LADDER_EINVALID, "no schema of %s matches '%s'", ladder_db_display_name(db), like);
	else if (fleet->count == before)
		error = ladder_error_set(LADDER_EINVALID, "the schemas query named no schema of %s",
		                         ladder_db_display_name(db));
done:
	if (error < 0 && fleet != NULL) {
		/* all or nothing: a half-listed fleet would run on the wrong set */
		while (fleet->count > before) {
			fleet->count--;
			ladder_free(fleet->targets[fleet->count].url);
			ladder_free(fleet->targets[fleet->count].schema);
		}
	}
	if (error == 0 && added)
		*added = fleet->count - before;
	ladder_db_close(db);
	return error;
}
