/*
 * foreign.c — reading the history tables of golang-migrate, dbmate, goose
 * and sql-migrate as each tool reads its own, for `ladder adopt --from
 * TOOL`, and spotting them (or a light store's stamp) in a database ladder
 * has not recorded into yet. Everything here only reads: adopt writes
 * ladder's own rows, and the other tool's table is never touched, so the
 * switch can be undone by dropping ladder's history table.
 *
 * The SQL is plain enough for every engine (quoted identifiers, CASE
 * over booleans, which SQLite stores as integers and PostgreSQL as bool);
 * what differs between engines goes through the driver's table_has,
 * query_rows and light_stamp.
 */
#include "foreign.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How many versions a message names before "and N more". */
#define NAMED_MAX 10

typedef struct tool_info {
	foreign_tool tool;
	const char *name;
	const char *table; /* its default table */
} tool_info;

static const tool_info tools[] = {
	{FOREIGN_GOLANG_MIGRATE, "golang-migrate", "schema_migrations"},
	{FOREIGN_DBMATE, "dbmate", "schema_migrations"},
	{FOREIGN_GOOSE, "goose", "goose_db_version"},
	{FOREIGN_SQL_MIGRATE, "sql-migrate", "gorp_migrations"},
};

int foreign_parse(foreign_source *out, const char *from)
{
	memset(out, 0, sizeof(*out));
	if (from == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		size_t len = strlen(tools[i].name);
		const char *table;
		if (strncmp(from, tools[i].name, len) != 0 || (from[len] != '\0' && from[len] != ':'))
			continue;
		table = from[len] == ':' ? from + len + 1 : tools[i].table;
		if (table[0] == '\0' || strlen(table) >= LADDER_NAME_MAX)
			return ladder_error_set(LADDER_EINVALID, "'%s': the %s table name must be 1 to %d bytes", from,
			                        tools[i].name, LADDER_NAME_MAX - 1);
		out->tool = tools[i].tool;
		out->name = tools[i].name;
		snprintf(out->table, sizeof(out->table), "%s", table);
		return 1;
	}
	return 0;
}

/* --- reading a tool's table ------------------------------------------------------- */

/* One row as read: a version and whether it counts as applied. `seq` keeps
 * the table's own order (goose: by id) through sorting. */
typedef struct seen {
	int64_t version;
	int applied;
	size_t seq;
} seen;

typedef struct reader {
	const foreign_source *src;
	seen *rows;
	size_t count, cap;
	int dirty;       /* golang-migrate */
	int error;
} reader;

/* A decimal integer, digits only after an optional '-' (golang-migrate
 * writes -1 for "nothing applied"). */
static int parse_version(const char *text, int64_t *out)
{
	int64_t v = 0;
	int negative = 0;

	if (text == NULL)
		return -1;
	if (*text == '-') {
		negative = 1;
		text++;
	}
	if (*text == '\0')
		return -1;
	for (; *text; text++) {
		if (*text < '0' || *text > '9' || v > (INT64_MAX - (*text - '0')) / 10)
			return -1;
		v = v * 10 + (*text - '0');
	}
	*out = negative ? -v : v;
	return 0;
}

/* A boolean as the CASE in every query renders it. */
static int truth(const char *text)
{
	return text != NULL && strcmp(text, "1") == 0;
}

static int push_seen(reader *r, int64_t version, int applied)
{
	seen *rows = ladder_array_grow(r->rows, &r->cap, r->count, sizeof(*rows), 64);

	if (rows == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reading %s's table", r->src->name);
	r->rows = rows;
	r->rows[r->count].version = version;
	r->rows[r->count].applied = applied;
	r->rows[r->count].seq = r->count;
	r->count++;
	return 0;
}

static int bad_cell(reader *r, const char *column, const char *value, const char *why)
{
	return ladder_error_set(LADDER_ESTORE, "%s's table \"%s\" holds %s '%.100s' in column %s: %s", r->src->name,
	                        r->src->table, value ? "the value" : "NULL", value ? value : "", column, why);
}

static int on_row(void *ctx, int ncols, const char *const *names, const char *const *cells)
{
	reader *r = ctx;
	const char *id = cells[0];
	int64_t version = 0;
	size_t digits = 0;
	char buf[24];

	(void)ncols;
	(void)names;
	switch (r->src->tool) {
	case FOREIGN_GOLANG_MIGRATE:
		if (parse_version(id, &version) < 0)
			return bad_cell(r, "version", id, "not an integer");
		r->dirty |= truth(cells[1]);
		/* -1 is golang-migrate's "no version": present only when dirty. */
		return version >= 0 ? push_seen(r, version, 1) : 0;
	case FOREIGN_DBMATE:
		if (parse_version(id, &version) < 0 || version <= 0)
			return bad_cell(r, "version", id, "not a positive integer");
		return push_seen(r, version, 1);
	case FOREIGN_GOOSE:
		if (parse_version(id, &version) < 0 || version < 0)
			return bad_cell(r, "version_id", id, "not a non-negative integer");
		return push_seen(r, version, truth(cells[1]));
	case FOREIGN_SQL_MIGRATE:
		/* The id is the file name; its version is the leading digits, as
		 * sql-migrate itself sorts by them. */
		while (id != NULL && id[digits] >= '0' && id[digits] <= '9')
			digits++;
		if (digits == 0 || digits >= sizeof(buf))
			return bad_cell(r, "id", id, "the file name does not start with a version number");
		memcpy(buf, id, digits);
		buf[digits] = '\0';
		if (parse_version(buf, &version) < 0 || version <= 0)
			return bad_cell(r, "id", id, "the file name does not start with a positive version number");
		return push_seen(r, version, 1);
	}
	return 0;
}

static int by_version_then_seq(const void *a, const void *b)
{
	const seen *x = a, *y = b;
	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The query reading the tool's table, its name quoted as the engine quotes. */
static int build_query(char *sql, size_t len, const ladder_db *db, const foreign_source *src)
{
	char name[4 * LADDER_NAME_MAX + 8];
	size_t at = 0;
	const char *parts[2] = {db->store.schema, src->table};
	char quote = conn_can(db->conn, LADDER_DRIVER_BACKTICKS) ? '`' : '"';

	for (int p = 0; p < 2; p++) {
		if (parts[p][0] == '\0')
			continue;
		if (at > 0)
			name[at++] = '.';
		name[at++] = quote;
		for (const char *c = parts[p]; *c; c++) {
			if (*c == quote)
				name[at++] = quote;
			name[at++] = *c;
		}
		name[at++] = quote;
	}
	name[at] = '\0';
	switch (src->tool) {
	case FOREIGN_GOLANG_MIGRATE:
		return snprintf(sql, len, "SELECT version, CASE WHEN dirty THEN 1 ELSE 0 END FROM %s", name);
	case FOREIGN_DBMATE:
		return snprintf(sql, len, "SELECT version FROM %s", name);
	case FOREIGN_GOOSE:
		return snprintf(sql, len, "SELECT version_id, CASE WHEN is_applied THEN 1 ELSE 0 END FROM %s ORDER BY id",
		                name);
	case FOREIGN_SQL_MIGRATE:
		return snprintf(sql, len, "SELECT id FROM %s", name);
	}
	return 0;
}

/* golang-migrate and dbmate share the name schema_migrations; the dirty
 * column tells them apart. */
static int check_table(ladder_db *db, const foreign_source *src)
{
	ladder_conn *conn = db->conn;
	int exists = 0, dirty = 0;
	int error;

	if ((error = conn_table_has(conn, db->store.schema, src->table, NULL, &exists)) < 0)
		return error;
	if (!exists)
		return ladder_error_set(LADDER_EINVALID,
		                        "there is no table \"%s\": this database was not migrated by %s (if its table "
		                        "was renamed, name it: --from-table NAME, or \"%s:NAME\")",
		                        src->table, src->name, src->name);
	if (src->tool != FOREIGN_GOLANG_MIGRATE && src->tool != FOREIGN_DBMATE)
		return 0;
	if ((error = conn_table_has(conn, db->store.schema, src->table, "dirty", &dirty)) < 0)
		return error;
	if (src->tool == FOREIGN_DBMATE && dirty)
		return ladder_error_set(LADDER_EINVALID,
		                        "table \"%s\" has golang-migrate's columns (version, dirty), not dbmate's: use "
		                        "--from golang-migrate",
		                        src->table);
	if (src->tool == FOREIGN_GOLANG_MIGRATE && !dirty)
		return ladder_error_set(LADDER_EINVALID,
		                        "table \"%s\" has no dirty column, so it is not golang-migrate's (dbmate keeps one "
		                        "row per version in a table of that name: use --from dbmate)",
		                        src->table);
	return 0;
}

/* Read the table into r: for golang-migrate its one row; for the others the
 * applied versions, ascending and unique (goose: the last row per version
 * by id decides, and version 0 is goose's own first row). */
static int read_table(reader *r, ladder_db *db, const foreign_source *src)
{
	char sql[6 * LADDER_NAME_MAX + 128];
	size_t kept = 0;
	int error;

	memset(r, 0, sizeof(*r));
	r->src = src;
	if ((error = check_table(db, src)) < 0)
		return error;
	build_query(sql, sizeof(sql), db, src);
	if ((error = conn_query_rows(db->conn, sql, on_row, r)) < 0)
		return error;
	if (src->tool == FOREIGN_GOLANG_MIGRATE) {
		if (r->count > 1)
			return ladder_error_set(LADDER_ESTORE,
			                        "golang-migrate's table \"%s\" holds %zu rows; golang-migrate keeps exactly one "
			                        "(the current version): refusing to guess which counts",
			                        src->table, r->count);
		return 0;
	}
	qsort(r->rows, r->count, sizeof(*r->rows), by_version_then_seq);
	for (size_t i = 0; i < r->count; i++) {
		int last = i + 1 == r->count || r->rows[i + 1].version != r->rows[i].version;
		if (!last && src->tool == FOREIGN_SQL_MIGRATE)
			return ladder_error_set(LADDER_ESTORE,
			                        "sql-migrate's table \"%s\" holds two files with version %" PRId64
			                        ": ladder needs one migration per version",
			                        src->table, r->rows[i].version);
		if (!last || !r->rows[i].applied || r->rows[i].version == 0)
			continue;
		r->rows[kept++] = r->rows[i];
	}
	r->count = kept;
	return 0;
}

static void reader_clear(reader *r)
{
	ladder_free(r->rows);
	memset(r, 0, sizeof(*r));
}

static int64_t reader_head(const reader *r)
{
	return r->count > 0 ? r->rows[r->count - 1].version : 0;
}

/* --- adopting --------------------------------------------------------------------- */

/* "3, 7, 12", or the first NAMED_MAX and "and 5 more" */
static void name_versions(char *buf, size_t len, const int64_t *versions, size_t count)
{
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < count && i < NAMED_MAX && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%" PRId64, i ? ", " : "", versions[i]);
	if (count > NAMED_MAX && at < len)
		snprintf(buf + at, len - at, " and %zu more", count - NAMED_MAX);
}

int foreign_applied(size_t **steps, size_t *count, int64_t *head, ladder_db *db, const foreign_source *src,
                    const ladder_plan *plan)
{
	reader r;
	int64_t *unknown = NULL, *missing = NULL;
	size_t nunknown = 0, nmissing = 0, n = 0, j = 0;
	size_t *out = NULL;
	int error;

	*steps = NULL;
	*count = 0;
	*head = 0;
	if ((error = read_table(&r, db, src)) < 0)
		goto done;
	if (r.dirty) {
		int64_t v = r.count ? r.rows[0].version : -1;
		error = ladder_error_set(LADDER_ESTORE,
		                         "golang-migrate marked version %" PRId64 " dirty in \"%s\": that migration failed "
		                         "part-way and the database may hold half of it. Check what it did, finish or undo "
		                         "it by hand, record the truth with `migrate force %" PRId64 "` (it completed) or "
		                         "`migrate force PREVIOUS` (it did not), then adopt again",
		                         v, src->table, v);
		goto done;
	}
	if (r.count == 0) {
		error = ladder_error_set(LADDER_EINVALID, "nothing to adopt: %s's table \"%s\" records no applied version",
		                         src->name, src->table);
		goto done;
	}
	*head = reader_head(&r);
	unknown = ladder_calloc(r.count, sizeof(*unknown));
	missing = ladder_calloc(plan->count + 1, sizeof(*missing));
	out = ladder_calloc(plan->count + 1, sizeof(*out));
	if (unknown == NULL || missing == NULL || out == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory adopting from %s", src->name);
		goto done;
	}
	if (src->tool == FOREIGN_GOLANG_MIGRATE) {
		/* It records the head alone and applies in order: everything up to
		 * the head is applied, and the head must be a version we know. */
		if (ladder_plan_find(plan, *head) == NULL && !(plan->floor > 0 && *head < plan->floor))
			unknown[nunknown++] = *head;
		for (size_t i = 0; i < plan->count && plan->steps[i].def.version <= *head; i++)
			out[n++] = i;
	} else {
		/* Merge the tool's applied versions with the plan's steps. */
		for (size_t i = 0; i < r.count; i++) {
			int64_t v = r.rows[i].version;
			while (j < plan->count && plan->steps[j].def.version < v)
				missing[nmissing++] = plan->steps[j++].def.version;
			if (j < plan->count && plan->steps[j].def.version == v)
				out[n++] = j++;
			else if (!(plan->floor > 0 && v < plan->floor))
				unknown[nunknown++] = v; /* below the floor: squashed away, fine */
		}
	}
	if (nunknown > 0) {
		char list[NAMED_MAX * 24 + 32];
		name_versions(list, sizeof(list), unknown, nunknown);
		error = ladder_error_set(LADDER_ENEWER,
		                         "%s applied version(s) %s, which this plan does not have (its head is %" PRId64
		                         "): point ladder at the migrations %s ran (-m DIR), or add them; nothing was "
		                         "adopted",
		                         src->name, list, ladder_plan_head(plan), src->name);
		goto done;
	}
	if (nmissing > 0) {
		char list[NAMED_MAX * 24 + 32];
		name_versions(list, sizeof(list), missing, nmissing);
		error = ladder_error_set(LADDER_EOUT_OF_ORDER,
		                         "version(s) %s are in this plan below %s's head %" PRId64 " but %s never applied "
		                         "them: adopting would record them as applied without running them. Apply them with "
		                         "%s first (or remove them from the plan if they were meant to be skipped); "
		                         "nothing was adopted",
		                         list, src->name, *head, src->name, src->name);
		goto done;
	}
	*steps = out;
	*count = n;
	out = NULL;
done:
	ladder_free(out);
	ladder_free(unknown);
	ladder_free(missing);
	reader_clear(&r);
	return error;
}

/* --- spotting ----------------------------------------------------------------------- */

/* What the tool's table says, for the note: "records 20 applied version(s),
 * up to 20" or why it could not be read. 0: it records nothing at all (a
 * tool that made its table and applied nothing has no history to keep). */
/* 1: the table records applied versions, described in buf; 2: it cannot
 * be read as the tool's (a table of the application's own that happens to
 * bear the name), described in buf; 0: it records nothing; negative: the
 * table could not be read at all just now (out of memory, locked), which
 * says nothing about whose it is. */
static int summarise(char *buf, size_t len, ladder_db *db, const foreign_source *src)
{
	reader r;
	/* A table that is not the tool's is a note, not an error: the last
	 * error stays what it was. */
	ladder_error_saved saved;
	int found = 1;
	int error;

	ladder_error_save(&saved);
	if ((error = read_table(&r, db, src)) == LADDER_ENOMEM || error == LADDER_ELOCKED ||
	    error == LADDER_ELOCK_UNAVAILABLE) {
		reader_clear(&r);
		return error;
	}
	if (error < 0) {
		snprintf(buf, len, "cannot be read as %s's (%s)", src->name, ladder_error_last()->message);
		found = 2;
	}
	else if (r.dirty)
		snprintf(buf, len, "records version %" PRId64 " as dirty (a failed migration)",
		         r.count ? r.rows[0].version : -1);
	else if (r.count == 0)
		found = 0;
	else if (src->tool == FOREIGN_GOLANG_MIGRATE)
		snprintf(buf, len, "records version %" PRId64, reader_head(&r));
	else
		snprintf(buf, len, "records %zu applied version(s), up to %" PRId64, r.count, reader_head(&r));
	reader_clear(&r);
	ladder_error_restore(&saved);
	return found;
}

int foreign_detect(foreign_finding *out, ladder_db *db)
{
	ladder_conn *conn = db->conn;
	const char *schema = db->store.schema;
	char *note = out->note;
	size_t len = sizeof(out->note);
	char *spec = out->source;
	int64_t stamp = 0;
	int exists = 0, dirty = 0, found;
	int error;

	memset(out, 0, sizeof(*out));
	/* A light store is the stamp itself; a history store that exists has
	 * been recorded into: nothing foreign either way. */
	if (db->store.kind != LADDER_STORE_HISTORY)
		return 0;
	if ((error = conn_table_has(conn, schema, db->store.table, NULL, &exists)) < 0 || exists)
		return error;
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		foreign_source src;
		char summary[512];
		if ((error = conn_table_has(conn, schema, tools[i].table, NULL, &exists)) < 0)
			return error;
		if (!exists)
			continue;
		if (tools[i].tool == FOREIGN_GOLANG_MIGRATE || tools[i].tool == FOREIGN_DBMATE) {
			if ((error = conn_table_has(conn, schema, tools[i].table, "dirty", &dirty)) < 0)
				return error;
			if (dirty != (tools[i].tool == FOREIGN_GOLANG_MIGRATE))
				continue;
		}
		foreign_parse(&src, tools[i].name);
		if ((found = summarise(summary, sizeof(summary), db, &src)) < 0)
			return found;
		if (found == 0)
			continue;
		if (found == 2) {
			/* Not that tool's after all: worth a note, never a refusal. */
			snprintf(note, len, "a table named \"%s\" exists but %s: ladder does not take it for a history",
			         src.table, summary);
			continue;
		}
		out->refuse = 1;
		snprintf(out->source, sizeof(out->source), "%s", src.name);
		snprintf(note, len,
		         "this database was migrated by %s: its table \"%s\" %s, and ladder has recorded nothing yet. "
		         "Adopt those versions from %s into ladder's history first (\"%s\" is left as it is), or start "
		         "a history of ladder's own (LADDER_ALLOW_FOREIGN)",
		         src.name, src.table, summary, src.name, src.table);
		return 0;
	}
	if ((error = conn_stamp_find(conn, schema, spec, sizeof(out->source), &stamp)) < 0 || stamp <= 0) {
		out->source[0] = '\0';
		return error;
	}
	out->refuse = 1;
	if (strcmp(spec, "user_version") == 0)
		snprintf(note, len,
		         "this database's PRAGMA user_version is %" PRId64 " but ladder's history table does not exist: "
		         "adopt the plan's migrations up to %" PRId64 " from user_version, keep that store "
		         "(user_version), or start a history of ladder's own (LADDER_ALLOW_FOREIGN)",
		         stamp, stamp);
	else
		snprintf(note, len,
		         "table \"%s\" has the comment '%" PRId64 "' (a version stamp) but ladder's history table does not "
		         "exist: adopt the plan's migrations up to %" PRId64 " from %s, keep that store (%s), or start a "
		         "history of ladder's own (LADDER_ALLOW_FOREIGN)",
		         spec + 8, stamp, stamp, spec, spec);
	return 0;
}

int foreign_refuse(ladder_db *db)
{
	foreign_finding found;
	int error = foreign_detect(&found, db);

	if (error < 0 || !found.refuse)
		return error;
	return ladder_error_set(LADDER_EFOREIGN, "%s. Nothing was changed", found.note);
}
