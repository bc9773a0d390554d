/*
 * plan_dir.c — a plan from a migrations directory, in the formats people
 * already have: golang-migrate pairs (V_name.up.sql and V_name.down.sql,
 * with morph's `-- morph:nontransactional`), single files V_name.sql with
 * dbmate, goose or sql-migrate sections, diesel's subdirectories
 * (DATE-TIME_name/up.sql and down.sql), plus an optional V_name.baseline.sql
 * and V_name.check.sql post-conditions.
 *
 * Every problem is refused with the file(s) it concerns, before anything
 * runs: a directory that loads is a plan that can be trusted. A no-op `up`
 * loads it every time, so the listing and the reads spend as few system
 * calls as they can: no stat where readdir already says what an entry is,
 * no read past the end fstat gave.
 */
#define _GNU_SOURCE /* memmem */
#include "ladder.h"
#include "ladder/sys/driver.h"
#include "plan.h"

#include "sqltext.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Migration files are hand-written SQL; anything this large is a dump or a
 * mistake, and reading it whole would only hide that. */
#define MAX_FILE_SIZE ((size_t)64 * 1024 * 1024)

typedef enum {
	FILE_UP = 1,   /* V_name.up.sql */
	FILE_DOWN,     /* V_name.down.sql */
	FILE_SINGLE,   /* V_name.sql, dbmate sections */
	FILE_BASELINE, /* V_name.baseline.sql */
	FILE_CHECK,    /* V_name.check.sql: the post-condition query */
} file_kind;

typedef struct dir_entry {
	char *path;       /* DIR/FILE, as every message names it */
	const char *base; /* FILE, inside path */
	char *name;       /* the NAME part */
	int64_t version;
	file_kind kind;
	unsigned int flags; /* diesel's metadata.toml: run_in_transaction = false */
} dir_entry;

typedef struct dir_list {
	dir_entry *items;
	size_t count, capacity;
} dir_list;

/* One migration to add: an up (or single) file and an optional down. */
typedef struct unit {
	const dir_entry *up;
	const dir_entry *down;
	const dir_entry *check;
} unit;

static void dir_list_free(dir_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		ladder_free(list->items[i].path);
		ladder_free(list->items[i].name);
	}
	ladder_free(list->items);
	memset(list, 0, sizeof(*list));
}

static char *join_path(const char *dir, const char *file)
{
	size_t dir_len = strlen(dir), file_len = strlen(file);
	int slash = dir_len > 0 && dir[dir_len - 1] != '/';
	char *path = ladder_malloc(dir_len + slash + file_len + 1);

	if (path == NULL)
		return NULL;
	memcpy(path, dir, dir_len);
	if (slash)
		path[dir_len] = '/';
	memcpy(path + dir_len + slash, file, file_len + 1);
	return path;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t len = strlen(s), suffix_len = strlen(suffix);
	return len >= suffix_len && strcmp(s + len - suffix_len, suffix) == 0;
}

/* A directory entry's name and readdir's d_type (DT_UNKNOWN: ask stat). */
typedef struct dir_name {
	char *name;
	unsigned char type;
} dir_name;

static int compare_names(const void *a, const void *b)
{
	/* strcmp, not strcoll: the order must not depend on the locale. */
	return strcmp(((const dir_name *)a)->name, ((const dir_name *)b)->name);
}

static int compare_versions(const void *a, const void *b)
{
	const dir_entry *x = a, *y = b;
	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return strcmp(x->base, y->base);
}

/* VERSION from the digits at [digits, end) (dashes skipped when `dashes`:
 * diesel's 2019-01-01-000000 is 20190101000000). */
static int parse_version(const dir_entry *e, const char *digits, const char *end, int dashes, int64_t *out)
{
	int64_t version = 0;

	for (const char *d = digits; d < end; d++) {
		int digit = *d - '0';
		if (dashes && *d == '-')
			continue;
		if (version > (INT64_MAX - digit) / 10)
			return ladder_error_set(LADDER_EPLAN, "%s: version %.*s is too large (the largest is %" PRId64 ")",
			                        e->path, (int)(end - digits), digits, INT64_MAX);
		version = version * 10 + digit;
	}
	*out = version;
	return 0;
}

/*
 * Read VERSION, NAME and the kind from e->base. golang-migrate's rule is
 * `^([0-9]+)_(.*)\.(down|up)\.(.*)$`: the name is everything between the
 * first `_` and the last `.up.` or `.down.`, dots included
 * (0015_1.10.0_schema.up.sql is "1.10.0_schema"); the other suffixes and
 * single files take their names the same way, and a `-` may stand for the
 * `_` (sql-migrate's 20170426134008-init.sql).
 */
static int parse_file_name(dir_entry *e)
{
	static const struct {
		const char *suffix;
		file_kind kind;
	} suffixes[] = {
		{".up.sql", FILE_UP},
		{".down.sql", FILE_DOWN},
		/* golang-migrate's `\.(down|up)\.(.*)$` reads a doubled dot too,
		 * and published sets hold it */
		{".up..sql", FILE_UP},
		{".down..sql", FILE_DOWN},
		{".baseline.sql", FILE_BASELINE},
		{".check.sql", FILE_CHECK},
		{".sql", FILE_SINGLE},
	};
	const char *p = e->base, *digits = p, *name, *suffix = NULL;
	size_t base_len = strlen(e->base), i;
	int64_t version = 0;
	int error;

	while (*p >= '0' && *p <= '9')
		p++;
	/* sql-migrate reads any name after the digits: 20170426134008-init.sql */
	if (p == digits || (*p != '_' && *p != '-'))
		goto unreadable;
	name = ++p;
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (ends_with(e->base, suffixes[i].suffix)) {
			suffix = e->base + base_len - strlen(suffixes[i].suffix);
			break;
		}
	if (suffix == NULL || suffix <= name)
		goto unreadable;
	/* `.UP.sql` is a typo golang-migrate would not read either: say so
	 * rather than take it for a single file named "a.UP". */
	if (suffixes[i].kind == FILE_SINGLE && suffix - name >= 3) {
		const char *dot = memrchr(name, '.', (size_t)(suffix - name));
		if (dot != NULL && (strncasecmp(dot, ".up", 3) == 0 || strncasecmp(dot, ".down", 5) == 0) &&
		    dot + (dot[1] == 'u' || dot[1] == 'U' ? 3 : 5) == suffix)
			return ladder_error_set(LADDER_EPLAN,
			                        "%s: '%.*s' is not a direction: write it in lower case (.up.sql or .down.sql)",
			                        e->path, (int)(suffix - dot), dot);
	}

	if ((error = parse_version(e, digits, name - 1, 0, &version)) < 0)
		return error;
	if (version == 0)
		return ladder_error_set(LADDER_EPLAN, "%s: version 0 is not allowed (versions start at 1)", e->path);

	e->name = ladder_strndup(name, (size_t)(suffix - name));
	if (e->name == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reading '%s'", e->path);
	e->version = version;
	e->kind = suffixes[i].kind;
	return 0;
unreadable:
	return ladder_error_set(LADDER_EPLAN,
	                        "%s: cannot read a version from the file name (expected VERSION_name.up.sql, "
	                        "VERSION_name.down.sql or VERSION_name.sql)",
	                        e->path);
}

/* A diesel migration directory is named VERSION_name, VERSION digits and
 * dashes (2019-01-01-000000, or diesel's own 00000000000000). */
static int diesel_shaped(const char *base)
{
	const char *p = base;

	if (!(*p >= '0' && *p <= '9'))
		return 0;
	while ((*p >= '0' && *p <= '9') || *p == '-')
		p++;
	return *p == '_' && p[1] != '\0';
}

static int list_push(dir_list *list, dir_entry *e, const char *dir)
{
	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? list->capacity * 2 : 32;
		dir_entry *grown = ladder_realloc(list->items, capacity * sizeof(*grown));
		if (grown == NULL)
			return ladder_error_set(LADDER_ENOMEM, "out of memory listing '%s'", dir);
		list->items = grown;
		list->capacity = capacity;
	}
	list->items[list->count++] = *e;
	memset(e, 0, sizeof(*e));
	return 0;
}

/* 1 if path is a regular file (following links), 0 if it does not exist;
 * anything else there is refused. */
static int regular_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return ladder_error_set(LADDER_EIO, "%s: cannot read: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return ladder_error_set(LADDER_EIO, "%s: cannot read: not a regular file", path);
	return 1;
}

static int read_text(const char *path, char **out, size_t *out_len);

/* diesel's metadata.toml: `run_in_transaction = false` runs the migration
 * (both directions) outside a transaction. Comments and blank lines aside,
 * anything else is refused: ladder would silently ignore it otherwise. */
static int diesel_metadata(const char *path, unsigned int *flags)
{
	char *text = NULL;
	size_t len, at = 0;
	int line = 1, error;

	*flags = 0;
	if ((error = read_text(path, &text, &len)) < 0)
		return error;
	while (at < len) {
		const char *p = text + at, *eol = memchr(p, '\n', len - at), *end = eol ? eol : text + len;
		const char *key, *key_end, *value, *value_end;

		at = eol ? (size_t)(eol + 1 - text) : len;
		while (p < end && isspace((unsigned char)*p))
			p++;
		/* a comment ends the line's content (no value here holds a '#') */
		for (value_end = p; value_end < end && *value_end != '#'; value_end++)
			;
		while (value_end > p && isspace((unsigned char)value_end[-1]))
			value_end--;
		if (p < value_end) {
			key = p;
			while (p < value_end && (isalnum((unsigned char)*p) || *p == '_'))
				p++;
			key_end = p;
			while (p < value_end && (*p == ' ' || *p == '\t'))
				p++;
			if (p < value_end && *p == '=') {
				for (value = p + 1; value < value_end && (*value == ' ' || *value == '\t'); value++)
					;
				if (key_end - key == 18 && strncmp(key, "run_in_transaction", 18) == 0 &&
				    value_end - value == 5 && strncmp(value, "false", 5) == 0) {
					*flags |= LADDER_NO_TRANSACTION;
					goto next;
				}
				if (key_end - key == 18 && strncmp(key, "run_in_transaction", 18) == 0 &&
				    value_end - value == 4 && strncmp(value, "true", 4) == 0)
					goto next;
			}
			error = ladder_error_set(LADDER_EPLAN,
			                         "%s:%d: '%.*s' is not a setting ladder knows (known: run_in_transaction = "
			                         "true or false)",
			                         path, line, (int)(value_end - key), key);
			goto done;
		}
	next:
		line++;
	}
done:
	ladder_free(text);
	return error;
}

/* A subdirectory: diesel's DIR/VERSION_name/up.sql (+ down.sql), or
 * anything else, which is skipped as before. */
static int list_diesel(dir_list *list, const char *dir, const char *sub, const char *base)
{
	dir_entry up = {0}, down = {0};
	char *meta = NULL;
	unsigned int flags = 0;
	const char *name = strchr(base, '_') + 1;
	size_t dir_len = strlen(dir);
	int has_up, has_down, error = 0;

	if ((up.path = join_path(sub, "up.sql")) == NULL || (down.path = join_path(sub, "down.sql")) == NULL ||
	    (meta = join_path(sub, "metadata.toml")) == NULL)
		goto oom;
	if ((error = has_up = regular_file(up.path)) < 0 || (error = has_down = regular_file(down.path)) < 0)
		goto done;
	error = 0;
	if (!has_up && !has_down)
		goto done; /* not a migration: an archive, a fixtures folder... */
	if (!has_up) {
		error = ladder_error_set(LADDER_EPLAN, "%s: a down migration without its up (expected up.sql beside it)",
		                         down.path);
		goto done;
	}
	if ((error = regular_file(meta)) < 0 || (error > 0 && (error = diesel_metadata(meta, &flags)) < 0))
		goto done;
	error = 0;
	if ((error = parse_version(&up, base, name - 1, 1, &up.version)) < 0)
		goto done;
	/* diesel's own first migration, 00000000000000_diesel_initial_setup, is
	 * version 0; ladder's versions start at 1 (0 means "nothing applied"),
	 * and diesel's timestamps are far above it. */
	if (up.version == 0)
		up.version = 1;
	up.base = up.path + dir_len + (dir_len > 0 && dir[dir_len - 1] != '/');
	up.kind = FILE_UP;
	up.flags = flags;
	if ((up.name = ladder_strdup(name)) == NULL)
		goto oom;
	if (has_down) {
		down.base = down.path + dir_len + (dir_len > 0 && dir[dir_len - 1] != '/');
		down.kind = FILE_DOWN;
		down.version = up.version;
		down.flags = flags;
		if ((down.name = ladder_strdup(name)) == NULL)
			goto oom;
	}
	if ((error = list_push(list, &up, dir)) < 0)
		goto done;
	if (has_down && (error = list_push(list, &down, dir)) < 0)
		goto done;
	goto done;
oom:
	error = ladder_error_set(LADDER_ENOMEM, "out of memory listing '%s'", dir);
done:
	ladder_free(up.path);
	ladder_free(up.name);
	ladder_free(down.path);
	ladder_free(down.name);
	ladder_free(meta);
	return error;
}

/* Add DIR/base to list if it is a migration file or a diesel migration
 * directory; skip other subdirectories. type is readdir's d_type: a plain
 * file or directory needs no stat (one system call per file saved); a
 * link, or a file system that does not say, is asked. */
static int list_add(dir_list *list, const char *dir, const char *base, unsigned char type)
{
	dir_entry e = {0};
	struct stat st;
	int error = 0;

	if ((e.path = join_path(dir, base)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory listing '%s'", dir);
		goto done;
	}
	e.base = e.path + strlen(e.path) - strlen(base);
	if (type == DT_REG) {
		st.st_mode = S_IFREG;
	} else if (type == DT_DIR) {
		st.st_mode = S_IFDIR;
	} else if (stat(e.path, &st) < 0) {
		error = ladder_error_set(LADDER_EIO, "%s: cannot read: %s", e.path, strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		if (diesel_shaped(base))
			error = list_diesel(list, dir, e.path, base);
		goto done;
	}
	if (!ends_with(base, ".sql"))
		goto done; /* a diesel-shaped name that is a plain file */
	if (!S_ISREG(st.st_mode)) {
		error = ladder_error_set(LADDER_EIO, "%s: cannot read: not a regular file", e.path);
		goto done;
	}
	if ((error = parse_file_name(&e)) < 0)
		goto done;
	error = list_push(list, &e, dir);
done:
	ladder_free(e.path);
	ladder_free(e.name);
	return error;
}

/* Every migration file of dir, parsed, in name order. */
static int list_dir(dir_list *list, const char *dir)
{
	DIR *d = NULL;
	struct dirent *de;
	dir_name *names = NULL;
	size_t count = 0, capacity = 0;
	size_t baseline = SIZE_MAX;
	int error = 0;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			error = ladder_error_set(LADDER_EIO, "migrations directory '%s' does not exist", dir);
		else
			error = ladder_error_set(LADDER_EIO, "migrations directory '%s': %s", dir, strerror(errno));
		goto done;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				error = ladder_error_set(LADDER_EIO, "migrations directory '%s': %s", dir, strerror(errno));
				goto done;
			}
			break;
		}
		/* Dotfiles are editor swap files and the like; README, scripts and
		 * other non-SQL files may live beside the migrations. */
		if (de->d_name[0] == '.' || !(ends_with(de->d_name, ".sql") || diesel_shaped(de->d_name)))
			continue;
		if (count == capacity) {
			size_t grown_capacity = capacity ? capacity * 2 : 32;
			dir_name *grown = ladder_realloc(names, grown_capacity * sizeof(*grown));
			if (grown == NULL) {
				error = ladder_error_set(LADDER_ENOMEM, "out of memory listing '%s'", dir);
				goto done;
			}
			names = grown;
			capacity = grown_capacity;
		}
		if ((names[count].name = ladder_strdup(de->d_name)) == NULL) {
			error = ladder_error_set(LADDER_ENOMEM, "out of memory listing '%s'", dir);
			goto done;
		}
		names[count++].type = de->d_type;
	}

	/* readdir's order is the file system's; sorting makes the first error
	 * reported the same on every machine. */
	if (count > 0)
		qsort(names, count, sizeof(*names), compare_names);
	for (size_t i = 0; i < count; i++) {
		size_t before = list->count;
		const dir_entry *e;

		if ((error = list_add(list, dir, names[i].name, names[i].type)) < 0)
			goto done;
		if (list->count == before)
			continue; /* a subdirectory */
		e = &list->items[list->count - 1];
		if (e->kind != FILE_BASELINE)
			continue;
		/* An index, not a pointer: the list may move as it grows. */
		if (baseline != SIZE_MAX) {
			error = ladder_error_set(LADDER_EPLAN, "two baseline files: '%s' and '%s' (a plan has at most one)",
			                         list->items[baseline].path, e->path);
			goto done;
		}
		baseline = list->count - 1;
	}
done:
	for (size_t i = 0; i < count; i++)
		ladder_free(names[i].name);
	ladder_free(names);
	if (d != NULL)
		closedir(d);
	return error;
}

static ssize_t read_some(int fd, void *buf, size_t len)
{
	ssize_t n;
	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/* The whole of path as text (NUL-terminated), checked for NUL bytes and
 * invalid UTF-8. */
static int read_text(const char *path, char **out, size_t *out_len)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, capacity;
	int fd = -1;
	int error = 0;

	*out = NULL;
	*out_len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0 || fstat(fd, &st) < 0) {
		error = ladder_error_set(LADDER_EIO, "%s: cannot read: %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		error = ladder_error_set(LADDER_EIO, "%s: cannot read: not a regular file", path);
		goto done;
	}
	if ((uintmax_t)st.st_size > MAX_FILE_SIZE) {
		error = ladder_error_set(LADDER_EPLAN, "%s: file is too large (%jd bytes; the limit is 64 MiB)", path,
		                         (intmax_t)st.st_size);
		goto done;
	}
	/* The size is a hint only: the file may change while it is read. One
	 * byte more than it is asked for, so a file that grew shows it. */
	capacity = (size_t)st.st_size + 2;
	if ((buf = ladder_malloc(capacity)) == NULL)
		goto oom;
	for (;;) {
		char probe;
		ssize_t n;

		if (len + 1 < capacity) {
			if ((n = read_some(fd, buf + len, capacity - 1 - len)) < 0)
				goto read_error;
			if (n == 0)
				break;
			len += (size_t)n;
			/* A read of a regular file comes back short only at its end:
			 * short by that byte, at the size fstat gave, it is the end,
			 * and the read that would return 0 is saved. */
			if (len == (size_t)st.st_size)
				break;
			continue;
		}
		/* Full, one byte past the size fstat gave: the file grew while it
		 * was read. A one-byte read says whether it ends here before the
		 * buffer grows. */
		if ((n = read_some(fd, &probe, 1)) < 0)
			goto read_error;
		if (n == 0 && len <= MAX_FILE_SIZE)
			break;
		if (len >= MAX_FILE_SIZE) {
			error = ladder_error_set(LADDER_EPLAN, "%s: file is too large (more than %zu bytes; the limit is 64 MiB)",
			                         path, len);
			goto done;
		}
		{
			size_t grown_capacity = capacity < 4096 ? 8192 : capacity * 2;
			char *grown = ladder_realloc(buf, grown_capacity);
			if (grown == NULL)
				goto oom;
			buf = grown;
			capacity = grown_capacity;
		}
		buf[len++] = probe;
	}
	buf[len] = '\0';
	if ((error = ladder_text_validate(path, buf, len)) < 0)
		goto done;
	*out = buf;
	*out_len = len;
	buf = NULL;
	goto done;
read_error:
	error = ladder_error_set(LADDER_EIO, "%s: cannot read: %s", path, strerror(errno));
	goto done;
oom:
	error = ladder_error_set(LADDER_ENOMEM, "%s: out of memory reading the file", path);
done:
	ladder_free(buf);
	if (fd >= 0)
		close(fd);
	return error;
}

/* Check def's sections, read their annotations and add it to the plan.
 * def's SQL is borrowed: ladder_plan_add copies it. */
static int add_migration(ladder_plan *plan, ladder_migration_def *def, const dir_entry *check)
{
	char *check_text = NULL;
	size_t len;
	int error;

	/* ladder_plan_add checks the up and reads both sections' annotations.
	 * An empty up or down stays an empty text, not a missing one: every
	 * tool runs it as a no-op (a placeholder, a revert with nothing to
	 * undo). Only a missing down, or `-- ladder:irreversible`, cannot be
	 * reverted. */
	if (check != NULL) {
		if ((error = read_text(check->path, &check_text, &len)) < 0)
			return error;
		if (ladder_text_is_blank(check_text)) {
			ladder_free(check_text);
			return ladder_error_set(LADDER_EPLAN, "%s:1: empty post-condition: the file holds no query", check->path);
		}
		def->check_sql = check_text;
	}
	error = ladder_plan_add(plan, def);
	ladder_free(check_text);
	return error;
}

static int refuse_section_markers(const char *source, const char *text, size_t len);

static int load_pair(ladder_plan *plan, const dir_entry *up, const dir_entry *down, const dir_entry *check,
                     unsigned int flags)
{
	ladder_migration_def def;
	char *up_text = NULL, *down_text = NULL;
	size_t len;
	int error;

	if ((error = read_text(up->path, &up_text, &len)) < 0 ||
	    (error = refuse_section_markers(up->path, up_text, len)) < 0)
		goto done;
	if ((flags & LADDER_LOAD_UPS_ONLY) && down != NULL)
		down = NULL; /* listed: a run that needs it loads the plan whole */
	if (down != NULL && ((error = read_text(down->path, &down_text, &len)) < 0 ||
	                     (error = refuse_section_markers(down->path, down_text, len)) < 0))
		goto done;
	memset(&def, 0, sizeof(def));
	def.version = up->version;
	def.name = up->name;
	def.up_sql = up_text;
	def.up_flags = up->flags;
	def.source = up->path;
	def.up_line = 1;
	if (down != NULL) {
		def.down_sql = down_text;
		def.down_flags = down->flags;
		def.down_source = down->path;
		def.down_line = 1;
	}
	error = add_migration(plan, &def, check);
done:
	ladder_free(up_text);
	ladder_free(down_text);
	return error;
}

/* --- single files: dbmate, goose and sql-migrate sections ----------------- */

/* The tools whose single-file format ladder reads. A file is written for one
 * of them; morph appears here only to refuse its marker in such a file. */
typedef enum {
	TOOL_NONE = 0,
	TOOL_DBMATE,      /* -- migrate:up / -- migrate:down [transaction:false] */
	TOOL_GOOSE,       /* -- +goose Up / Down / StatementBegin / StatementEnd / NO TRANSACTION */
	TOOL_SQL_MIGRATE, /* -- +migrate Up / Down [notransaction], StatementBegin / StatementEnd */
	TOOL_MORPH,       /* -- morph:nontransactional (golang-migrate pairs only) */
} tool;

static const char *const tool_names[] = {"", "dbmate", "goose", "sql-migrate", "morph"};
/* How each tool's section lines begin, for messages. */
static const char *const tool_prefixes[] = {"", "-- migrate:", "-- +goose", "-- +migrate", "-- morph:"};

/* An up or down section marker. */
typedef struct marker {
	int found;
	int line;     /* 1-based line of the marker */
	size_t start; /* offset of the marker line */
	size_t body;  /* offset just past it: where the section's text begins */
	unsigned int flags;
} marker;

typedef struct sections {
	tool tool;
	int tool_line;        /* the first marker's line */
	marker up, down;
	unsigned int flags;   /* both directions (goose's NO TRANSACTION) */
} sections;

/* One line of text: [p, end), its number, and its offset. */
typedef struct text_line {
	const char *p, *end;
	int number;
	size_t offset;
	size_t next; /* offset of the following line */
} text_line;

static int next_line(const char *text, size_t len, size_t at, int number, text_line *l)
{
	const char *eol;

	if (at >= len)
		return 0;
	eol = memchr(text + at, '\n', len - at);
	l->p = text + at;
	l->end = eol ? eol : text + len;
	/* a CRLF checkout: the CR is not part of the line */
	if (l->end > l->p && l->end[-1] == '\r')
		l->end--;
	l->number = number;
	l->offset = at;
	l->next = eol ? (size_t)(eol + 1 - text) : len;
	return 1;
}

/* p after `--` and blanks, when the line (after leading blanks) is a `--`
 * comment; NULL otherwise. */
static const char *comment_body(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (end - p < 2 || p[0] != '-' || p[1] != '-')
		return NULL;
	p += 2;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* word at p, followed by white space or the end of the line */
static int starts_word(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(end - p) >= n && strncmp(p, word, n) == 0 && (p + n == end || isspace((unsigned char)p[n]));
}

/* If [p, end) is a dbmate marker line, return 1 (up) or 2 (down) and set
 * *options to the text after the keyword. dbmate matches `^--\s*migrate:up`. */
static int dbmate_kind(const char *p, const char *end, const char **options)
{
	static const char prefix[] = "migrate:";
	const char *q = p;
	int kind;

	if (end - q < 2 || q[0] != '-' || q[1] != '-')
		return 0;
	q += 2;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if ((size_t)(end - q) < sizeof(prefix) - 1 || strncmp(q, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	q += sizeof(prefix) - 1;
	if (end - q >= 2 && strncmp(q, "up", 2) == 0) {
		kind = 1;
		q += 2;
	} else if (end - q >= 4 && strncmp(q, "down", 4) == 0) {
		kind = 2;
		q += 4;
	} else {
		return 0;
	}
	/* `-- migrate:upgrade` is a comment, not a marker. */
	if (q < end && !isspace((unsigned char)*q))
		return 0;
	*options = q;
	return kind;
}

/* Which tool's marker the line is, read strictly enough that prose in a
 * comment is not taken for one. */
static tool line_tool(const char *p, const char *end)
{
	const char *options, *body;

	if (dbmate_kind(p, end, &options) != 0)
		return TOOL_DBMATE;
	if ((body = comment_body(p, end)) == NULL)
		return TOOL_NONE;
	if (starts_word(body, end, "+goose"))
		return TOOL_GOOSE;
	if (starts_word(body, end, "+migrate"))
		return TOOL_SQL_MIGRATE;
	if ((size_t)(end - body) > 6 && strncmp(body, "morph:", 6) == 0)
		return TOOL_MORPH;
	return TOOL_NONE;
}

/* The file's tool: the one of its first marker. A marker of another tool is
 * refused: which tool's rules the author meant cannot be guessed. */
static int detect_tool(const char *source, const char *text, size_t len, sections *s)
{
	text_line l;
	size_t at = 0;
	int number = 1;

	for (; next_line(text, len, at, number, &l); at = l.next, number++) {
		tool t = line_tool(l.p, l.end);
		if (t == TOOL_NONE)
			continue;
		if (s->tool == TOOL_NONE && t != TOOL_MORPH) {
			s->tool = t;
			s->tool_line = l.number;
		} else if (s->tool != TOOL_NONE && t != s->tool) {
			return ladder_error_set(LADDER_EPLAN,
			                        "%s:%d: a %s marker ('%.*s') in a %s file (line %d): a file holds the "
			                        "markers of one tool; rewrite this line in %s's form",
			                        source, l.number, tool_names[t], (int)(l.end - l.p), l.p, tool_names[s->tool],
			                        s->tool_line, tool_names[s->tool]);
		}
	}
	/* morph above any section marker: found on the second look below */
	if (s->tool != TOOL_NONE) {
		at = 0;
		number = 1;
		for (; next_line(text, len, at, number, &l) && l.number < s->tool_line; at = l.next, number++)
			if (line_tool(l.p, l.end) == TOOL_MORPH)
				return ladder_error_set(LADDER_EPLAN,
				                        "%s:%d: a morph marker ('%.*s') in a %s file (line %d): a file holds the "
				                        "markers of one tool; rewrite this line in %s's form",
				                        source, l.number, (int)(l.end - l.p), l.p, tool_names[s->tool],
				                        s->tool_line, tool_names[s->tool]);
	}
	return 0;
}

static int set_marker(const char *source, const text_line *l, marker *m, const char *what)
{
	if (m->found)
		return ladder_error_set(LADDER_EPLAN, "%s:%d: a second '%s' line (the first is line %d); a file holds one migration",
		                        source, l->number, what, m->line);
	m->found = 1;
	m->line = l->number;
	m->start = l->offset;
	m->body = l->next;
	return 0;
}

/* dbmate's marker options: `transaction:false` runs the section outside a
 * transaction. Anything else is refused, so a typo cannot silently put a
 * CREATE INDEX CONCURRENTLY inside one. */
static int dbmate_options(const char *source, int line, const char *keyword, const char *p, const char *end,
                          unsigned int *flags)
{
	*flags = 0;
	for (;;) {
		const char *word;
		size_t len;

		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p == end)
			return 0;
		word = p;
		while (p < end && !isspace((unsigned char)*p))
			p++;
		len = (size_t)(p - word);
		if (len == 17 && strncmp(word, "transaction:false", len) == 0)
			*flags |= LADDER_NO_TRANSACTION;
		else if (!(len == 16 && strncmp(word, "transaction:true", len) == 0))
			return ladder_error_set(LADDER_EPLAN,
			                        "%s:%d: unknown option '%.*s' on the '-- migrate:%s' line "
			                        "(known: transaction:false, transaction:true)",
			                        source, line, (int)len, word, keyword);
	}
}

static int parse_dbmate(const char *source, const char *text, size_t len, sections *s)
{
	text_line l;
	size_t at = 0;
	int number = 1;
	int error;

	for (; next_line(text, len, at, number, &l); at = l.next, number++) {
		const char *options = NULL;
		int kind = dbmate_kind(l.p, l.end, &options);
		marker *m = kind == 1 ? &s->up : &s->down;
		const char *keyword = kind == 1 ? "up" : "down";

		if (kind == 0)
			continue;
		if ((error = set_marker(source, &l, m, kind == 1 ? "-- migrate:up" : "-- migrate:down")) < 0 ||
		    (error = dbmate_options(source, l.number, keyword, options, l.end, &m->flags)) < 0)
			return error;
	}
	return 0;
}

/* goose's annotation words, matched case-insensitively as goose does. */
enum { GOOSE_UP = 1, GOOSE_DOWN, GOOSE_BEGIN, GOOSE_END, GOOSE_NO_TX, GOOSE_ENVSUB_ON, GOOSE_ENVSUB_OFF };

/* goose (v3.2x, sqlparser.extractAnnotation) takes a line for an annotation
 * when, trimmed, it starts with `--` and holds `+goose`; it must not be
 * indented, and what is left once every `--` and the one `+goose` are
 * removed must be a known word. */
static int goose_annotation(const char *source, const text_line *l, int *out)
{
	static const struct {
		const char *word;
		int kind;
	} words[] = {
		{"up", GOOSE_UP},
		{"down", GOOSE_DOWN},
		{"statementbegin", GOOSE_BEGIN},
		{"statementend", GOOSE_END},
		{"no transaction", GOOSE_NO_TX},
		{"envsub on", GOOSE_ENVSUB_ON},
		{"envsub off", GOOSE_ENVSUB_OFF},
	};
	size_t n = (size_t)(l->end - l->p);
	char *cmd = NULL, *w, *r, *goose, *first, *last;
	int error = 0;

	*out = 0;
	if (comment_body(l->p, l->end) == NULL || memmem(l->p, n, "+goose", 6) == NULL)
		return 0;
	if (l->p[0] == ' ' || l->p[0] == '\t')
		return ladder_error_set(LADDER_EPLAN,
		                        "%s:%d: an indented goose annotation: goose refuses white space before '--'",
		                        source, l->number);
	if ((cmd = ladder_strndup(l->p, n)) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "%s: out of memory reading the file", source);
	for (r = w = cmd; *r;) {
		if (r[0] == '-' && r[1] == '-') {
			r += 2;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	goose = strstr(cmd, "+goose");
	memmove(goose, goose + 6, strlen(goose + 6) + 1);
	if (strstr(cmd, "+goose") != NULL) {
		error = ladder_error_set(LADDER_EPLAN, "%s:%d: two '+goose' annotations on one line", source, l->number);
		goto done;
	}
	for (first = cmd; isspace((unsigned char)*first); first++)
		;
	for (last = first + strlen(first); last > first && isspace((unsigned char)last[-1]); last--)
		;
	*last = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(first, words[i].word) == 0)
			*out = words[i].kind;
	if (*out == 0)
		error = ladder_error_set(LADDER_EPLAN,
		                         "%s:%d: unknown goose annotation '%s' (known: Up, Down, StatementBegin, "
		                         "StatementEnd, NO TRANSACTION)",
		                         source, l->number, first);
	else if (*out == GOOSE_ENVSUB_ON)
		error = ladder_error_set(LADDER_EPLAN,
		                         "%s:%d: '-- +goose ENVSUB ON' asks for ${VAR} substitution, which ladder does not "
		                         "do: write the values into the SQL and remove the line",
		                         source, l->number);
done:
	ladder_free(cmd);
	return error;
}

/* goose: Up first, then an optional Down; StatementBegin/StatementEnd pair
 * up inside a section (they only group statements for goose's splitter:
 * ladder's engines split with their own parsers, so they stay as comments);
 * NO TRANSACTION anywhere makes both directions run without a transaction. */
static int parse_goose(const char *source, const char *text, size_t len, sections *s)
{
	text_line l;
	size_t at = 0;
	int number = 1, block = 0;
	int error;

	for (; next_line(text, len, at, number, &l); at = l.next, number++) {
		int kind;

		if ((error = goose_annotation(source, &l, &kind)) < 0)
			return error;
		switch (kind) {
		case GOOSE_UP:
			if ((error = set_marker(source, &l, &s->up, "-- +goose Up")) < 0)
				return error;
			break;
		case GOOSE_DOWN:
			if (block)
				goto unclosed;
			if (!s->up.found)
				return ladder_error_set(LADDER_EPLAN, "%s:%d: '-- +goose Down' before '-- +goose Up' (goose "
				                        "reads the up first)", source, l.number);
			if ((error = set_marker(source, &l, &s->down, "-- +goose Down")) < 0)
				return error;
			break;
		case GOOSE_BEGIN:
			if (!s->up.found)
				return ladder_error_set(LADDER_EPLAN, "%s:%d: '-- +goose StatementBegin' outside a section (it "
				                        "belongs below '-- +goose Up' or '-- +goose Down')", source, l.number);
			if (block)
				return ladder_error_set(LADDER_EPLAN, "%s:%d: '-- +goose StatementBegin' inside the one at line %d "
				                        "(close it with '-- +goose StatementEnd' first)", source, l.number, block);
			block = l.number;
			break;
		case GOOSE_END:
			if (!block)
				return ladder_error_set(LADDER_EPLAN, "%s:%d: '-- +goose StatementEnd' without a "
				                        "'-- +goose StatementBegin' above it", source, l.number);
			block = 0;
			break;
		case GOOSE_NO_TX:
			s->flags |= LADDER_NO_TRANSACTION;
			break;
		default:
			break;
		}
	}
	if (block)
		goto unclosed;
	return 0;
unclosed:
	return ladder_error_set(LADDER_EPLAN, "%s:%d: '-- +goose StatementBegin' has no '-- +goose StatementEnd'", source,
	                        block);
}

/* sql-migrate (sqlparse.ParseMigration) reads `-- +migrate ` at the start of
 * a line, exactly; the first word is the command (case-sensitive), the rest
 * its options. Up and Down may come in either order. */
static int parse_sql_migrate(const char *source, const char *text, size_t len, sections *s)
{
	static const char prefix[] = "-- +migrate";
	text_line l;
	size_t at = 0;
	int number = 1, block = 0;
	int error;

	for (; next_line(text, len, at, number, &l); at = l.next, number++) {
		const char *p = l.p + sizeof(prefix) - 1, *cmd, *cmd_end;
		marker *m = NULL;
		size_t n;

		if (line_tool(l.p, l.end) != TOOL_SQL_MIGRATE)
			continue;
		if (!((size_t)(l.end - l.p) > sizeof(prefix) - 1 && strncmp(l.p, prefix, sizeof(prefix) - 1) == 0 &&
		      (*p == ' ')))
			return ladder_error_set(LADDER_EPLAN,
			                        "%s:%d: sql-migrate reads a command only from a line that starts with exactly "
			                        "'-- +migrate ' (it would take this one for a comment)",
			                        source, l.number);
		while (p < l.end && isspace((unsigned char)*p))
			p++;
		cmd = p;
		while (p < l.end && !isspace((unsigned char)*p))
			p++;
		cmd_end = p;
		n = (size_t)(cmd_end - cmd);
		if (n == 2 && strncmp(cmd, "Up", 2) == 0)
			m = &s->up;
		else if (n == 4 && strncmp(cmd, "Down", 4) == 0)
			m = &s->down;
		else if (n == 14 && strncmp(cmd, "StatementBegin", 14) == 0) {
			if (block)
				return ladder_error_set(LADDER_EPLAN, "%s:%d: '-- +migrate StatementBegin' inside the one at line "
				                        "%d (close it with '-- +migrate StatementEnd' first)", source, l.number,
				                        block);
			block = l.number;
		} else if (n == 12 && strncmp(cmd, "StatementEnd", 12) == 0) {
			block = 0;
		} else {
			return ladder_error_set(LADDER_EPLAN,
			                        "%s:%d: unknown sql-migrate command '%.*s' (known: Up, Down, StatementBegin, "
			                        "StatementEnd)",
			                        source, l.number, (int)n, cmd);
		}
		for (;;) {
			const char *word;
			while (p < l.end && isspace((unsigned char)*p))
				p++;
			if (p == l.end)
				break;
			word = p;
			while (p < l.end && !isspace((unsigned char)*p))
				p++;
			if (m != NULL && (size_t)(p - word) == 13 && strncmp(word, "notransaction", 13) == 0) {
				m->flags |= LADDER_NO_TRANSACTION;
				continue;
			}
			return ladder_error_set(LADDER_EPLAN,
			                        "%s:%d: unknown option '%.*s' on the '-- +migrate %.*s' line%s", source,
			                        l.number, (int)(p - word), word, (int)n, cmd,
			                        m != NULL ? " (known: notransaction)" : " (it takes none)");
		}
		if (m != NULL) {
			if (block)
				return ladder_error_set(LADDER_EPLAN, "%s:%d: '-- +migrate StatementBegin' has no "
				                        "'-- +migrate StatementEnd' before this section", source, block);
			if ((error = set_marker(source, &l, m, m == &s->up ? "-- +migrate Up" : "-- +migrate Down")) < 0)
				return error;
		}
	}
	if (block)
		return ladder_error_set(LADDER_EPLAN, "%s:%d: '-- +migrate StatementBegin' has no '-- +migrate StatementEnd'",
		                        source, block);
	return 0;
}

/* A section marker (dbmate's, goose's or sql-migrate's Up or Down) in a
 * .up.sql or .down.sql file would be a comment to golang-migrate, which runs
 * the whole file: a renamed dbmate file would create and drop in one go.
 * Which the author meant cannot be guessed, so it is refused. */
static int refuse_section_markers(const char *source, const char *text, size_t len)
{
	text_line l;
	size_t at = 0;
	int number = 1;

	for (; next_line(text, len, at, number, &l); at = l.next, number++) {
		tool t = line_tool(l.p, l.end);
		const char *word;
		int found = 0;

		if (t == TOOL_DBMATE) {
			found = 1;
		} else if (t == TOOL_GOOSE || t == TOOL_SQL_MIGRATE) {
			word = comment_body(l.p, l.end) + (t == TOOL_GOOSE ? 6 : 8);
			while (word < l.end && isspace((unsigned char)*word))
				word++;
			if (t == TOOL_GOOSE)
				found = (l.end - word == 2 && strncasecmp(word, "up", 2) == 0) ||
				         (l.end - word == 4 && strncasecmp(word, "down", 4) == 0);
			else
				found = starts_word(word, l.end, "Up") || starts_word(word, l.end, "Down");
		}
		if (found)
			return ladder_error_set(LADDER_EPLAN,
			                        "%s:%d: a %s section marker ('%.*s') in an up or down file, which runs "
			                        "whole: name the file V_name.sql to have it read as %s sections, or remove "
			                        "the line",
			                        source, l.number, tool_names[t], (int)(l.end - l.p), l.p, tool_names[t]);
	}
	return 0;
}

static int load_single(ladder_plan *plan, const dir_entry *e, const dir_entry *check)
{
	ladder_migration_def def;
	sections s;
	char *text = NULL, *head = NULL, *up_sql = NULL, *down_sql = NULL;
	const char *label;
	size_t len, first, at, up_end;
	int error;

	memset(&s, 0, sizeof(s));
	if ((error = read_text(e->path, &text, &len)) < 0)
		goto done;
	if ((error = detect_tool(e->path, text, len, &s)) < 0)
		goto done;
	switch (s.tool) {
	case TOOL_GOOSE: error = parse_goose(e->path, text, len, &s); break;
	case TOOL_SQL_MIGRATE: error = parse_sql_migrate(e->path, text, len, &s); break;
	default: error = parse_dbmate(e->path, text, len, &s); break;
	}
	if (error < 0)
		goto done;
	if (!s.up.found) {
		error = ladder_error_set(LADDER_EPLAN,
		                         "%s: neither format: a single-file migration needs an up marker: "
		                         "'-- migrate:up' (dbmate), '-- +goose Up' (goose) or '-- +migrate Up' "
		                         "(sql-migrate); or use V_name.up.sql / V_name.down.sql",
		                         e->path);
		goto done;
	}
	label = tool_prefixes[s.tool];
	/* The tools refuse (dbmate, goose) or drop (sql-migrate) SQL outside the
	 * sections; running it, or dropping it silently, would apply other than
	 * what the author's tool applied. */
	first = s.down.found && s.down.start < s.up.start ? s.down.start : s.up.start;
	if ((at = ladder_text_skip_blank(text, first, 0)) < first) {
		error = ladder_error_set(LADDER_EPLAN, "%s:%d: SQL before the first '%s' line belongs to neither section",
		                         e->path, ladder_line_of(text, at), label);
		goto done;
	}

	/* An annotation up there would apply to nothing: say so rather than run
	 * a step inside a transaction its author meant to avoid. */
	if (first > 0) {
		unsigned int flags = 0;
		int line = 0;
		if ((head = ladder_strndup(text, first)) == NULL)
			goto oom;
		if ((error = ladder_text_annotations_line(e->path, 1, head, 0, &flags, &line)) < 0)
			goto done;
		if (flags != 0) {
			error = ladder_error_set(LADDER_EPLAN,
			                         "%s:%d: this annotation is above the first '%s' line and applies to no "
			                         "section; move it below the up or down marker",
			                         e->path, line, label);
			goto done;
		}
	}

	up_end = s.down.found && s.down.start > s.up.start ? s.down.start : len;
	if ((up_sql = ladder_strndup(text + s.up.body, up_end - s.up.body)) == NULL)
		goto oom;
	if (s.down.found) {
		size_t down_end = s.up.start > s.down.start ? s.up.start : len;
		if ((down_sql = ladder_strndup(text + s.down.body, down_end - s.down.body)) == NULL)
			goto oom;
	}

	memset(&def, 0, sizeof(def));
	def.version = e->version;
	def.name = e->name;
	def.source = e->path;
	def.up_sql = up_sql;
	def.up_line = s.up.line + 1;
	def.up_flags = s.up.flags | s.flags;
	def.down_sql = down_sql;
	def.down_line = s.down.found ? s.down.line + 1 : 0;
	def.down_flags = s.down.found ? s.down.flags | s.flags : 0;
	error = add_migration(plan, &def, check);
	goto done;
oom:
	error = ladder_error_set(LADDER_ENOMEM, "%s: out of memory reading the file", e->path);
done:
	ladder_free(text);
	ladder_free(head);
	ladder_free(up_sql);
	ladder_free(down_sql);
	return error;
}

static int load_baseline(ladder_plan *plan, const dir_entry *e)
{
	ladder_migration_def def;
	char *text = NULL;
	size_t len;
	int64_t floor = 0;
	unsigned int flags = 0;
	int error;

	if ((error = read_text(e->path, &text, &len)) < 0)
		goto done;
	if (ladder_text_is_blank(text)) {
		error = ladder_error_set(LADDER_EPLAN, "%s:1: empty baseline: the file holds no SQL", e->path);
		goto done;
	}
	if ((error = ladder_text_annotations(e->path, 1, text, 1, &flags)) < 0)
		goto done;
	if ((error = ladder_text_floor(e->path, 1, text, &floor)) < 0)
		goto done;
	memset(&def, 0, sizeof(def));
	def.version = e->version;
	def.name = e->name;
	def.up_sql = text;
	def.up_flags = flags;
	def.source = e->path;
	def.up_line = 1;
	if ((error = ladder_plan_set_baseline(plan, &def)) < 0)
		goto done;
	if (floor > 0)
		error = ladder_plan_set_floor(plan, floor);
done:
	ladder_free(text);
	return error;
}

/* Pair the files of each version, refusing duplicates and orphans. list is
 * sorted by version, then name. */
static int group_files(const dir_list *list, unit *units, size_t *unit_count, const dir_entry **baseline)
{
	size_t i = 0, n = 0;

	*baseline = NULL;
	while (i < list->count) {
		int64_t version = list->items[i].version;
		const dir_entry *up = NULL, *down = NULL, *single = NULL, *check = NULL;

		for (; i < list->count && list->items[i].version == version; i++) {
			const dir_entry *e = &list->items[i];
			const dir_entry *clash = NULL;

			switch (e->kind) {
			case FILE_BASELINE:
				/* A baseline shares its version with the migration it
				 * summarises up to; that is no clash. */
				*baseline = e;
				continue;
			case FILE_UP:
				clash = up ? up : single;
				up = e;
				break;
			case FILE_DOWN:
				clash = down ? down : single;
				down = e;
				break;
			case FILE_SINGLE:
				clash = up ? up : single ? single : down;
				single = e;
				break;
			case FILE_CHECK:
				clash = check;
				check = e;
				break;
			}
			if (clash != NULL)
				return ladder_error_set(LADDER_EPLAN, "duplicate version %" PRId64 ": '%s' and '%s'", version,
				                        clash->path, e->path);
		}
		if (down != NULL && up == NULL && single == NULL)
			return ladder_error_set(LADDER_EPLAN, "%s: a down migration without its up (expected %.*s.up.sql beside it)",
			                        down->path, (int)(strlen(down->base) - strlen(".down.sql")), down->base);
		/* An up and a down of one version pair up whatever their names
		 * (30_add_x.up.sql + 30_drop_x.down.sql, as golang-migrate pairs
		 * them); the migration is named after its up. */
		if (check != NULL && up == NULL && single == NULL)
			return ladder_error_set(LADDER_EPLAN, "%s: a post-condition without its migration", check->path);
		if (up != NULL || single != NULL) {
			units[n].up = up ? up : single;
			units[n].down = down;
			units[n].check = check;
			n++;
		}
	}
	*unit_count = n;
	return 0;
}

/* A directory that holds no migration but whose subfolders hold .sql files
 * is most likely one level too high (-m db instead of -m db/migrations):
 * an empty plan there would report "up to date" and migrate nothing. */
static int refuse_nested_only(const char *path)
{
	DIR *d = opendir(path), *sub = NULL;
	struct dirent *de, *inner;
	char *subpath = NULL;
	int error = 0;

	while (d != NULL && error == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || (subpath = join_path(path, de->d_name)) == NULL)
			continue;
		if ((sub = opendir(subpath)) != NULL) {
			while ((inner = readdir(sub)) != NULL)
				if (inner->d_name[0] != '.' && ends_with(inner->d_name, ".sql")) {
					error = ladder_error_set(LADDER_EPLAN,
					                         "migrations directory '%s' holds no migration, but its subfolder "
					                         "'%s' holds .sql files (%s): point -m at the folder that holds them",
					                         path, subpath, inner->d_name);
					break;
				}
			closedir(sub);
		}
		ladder_free(subpath);
		subpath = NULL;
	}
	if (d != NULL)
		closedir(d);
	return error;
}

int ladder_plan_load_dir(ladder_plan **out, const char *path)
{
	return ladder_plan_load_dir_ext(out, path, 0);
}

int ladder_plan_load_dir_ext(ladder_plan **out, const char *path, unsigned int flags)
{
	dir_list list = {0};
	unit *units = NULL;
	size_t unit_count = 0;
	const dir_entry *baseline = NULL;
	ladder_plan *plan = NULL;
	int error;

	if (out == NULL || path == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_plan_load_dir: NULL argument");
	*out = NULL;
	if (flags & ~LADDER_LOAD_UPS_ONLY)
		return ladder_error_set(LADDER_EINVALID, "ladder_plan_load_dir_ext: unknown flags 0x%x", flags);
	if ((error = list_dir(&list, path)) < 0)
		goto done;
	if (list.count == 0 && (error = refuse_nested_only(path)) < 0)
		goto done;
	if (list.count > 0)
		qsort(list.items, list.count, sizeof(*list.items), compare_versions);
	if ((units = ladder_calloc(list.count + 1, sizeof(*units))) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory loading '%s'", path);
		goto done;
	}
	if ((error = group_files(&list, units, &unit_count, &baseline)) < 0)
		goto done;
	if ((error = ladder_plan_new(&plan)) < 0)
		goto done;
	plan->ups_only = (flags & LADDER_LOAD_UPS_ONLY) != 0;
	for (size_t i = 0; i < unit_count; i++) {
		if (units[i].up->kind == FILE_SINGLE)
			error = load_single(plan, units[i].up, units[i].check);
		else
			error = load_pair(plan, units[i].up, units[i].down, units[i].check, flags);
		if (error < 0)
			goto done;
	}
	if (baseline != NULL && (error = load_baseline(plan, baseline)) < 0)
		goto done;
	*out = plan;
	plan = NULL;
done:
	ladder_plan_free(plan);
	ladder_free(units);
	dir_list_free(&list);
	return error;
}
