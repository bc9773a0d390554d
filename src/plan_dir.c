/*
 * plan_dir.c — a plan from a migrations directory, in either of the two
 * formats people already have: golang-migrate pairs (V_name.up.sql and
 * V_name.down.sql) and dbmate single files (V_name.sql with `-- migrate:up`
 * and `-- migrate:down` sections), plus an optional V_name.baseline.sql and
 * V_name.check.sql post-conditions.
 *
 * Every problem is refused with the file(s) it concerns, before anything
 * runs: a directory that loads is a plan that can be trusted.
 */
#include "ladder.h"
#include "ladder/sys/driver.h"

#include "sqltext.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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
		free(list->items[i].path);
		free(list->items[i].name);
	}
	free(list->items);
	memset(list, 0, sizeof(*list));
}

static char *join_path(const char *dir, const char *file)
{
	size_t dir_len = strlen(dir), file_len = strlen(file);
	int slash = dir_len > 0 && dir[dir_len - 1] != '/';
	char *path = malloc(dir_len + slash + file_len + 1);

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

static int compare_names(const void *a, const void *b)
{
	/* strcmp, not strcoll: the order must not depend on the locale. */
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int compare_versions(const void *a, const void *b)
{
	const dir_entry *x = a, *y = b;
	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return strcmp(x->base, y->base);
}

/* Read VERSION, NAME and the kind from e->base. */
static int parse_file_name(dir_entry *e)
{
	static const struct {
		const char *suffix;
		file_kind kind;
	} suffixes[] = {
		{".up.sql", FILE_UP},
		{".down.sql", FILE_DOWN},
		{".baseline.sql", FILE_BASELINE},
		{".check.sql", FILE_CHECK},
		{".sql", FILE_SINGLE},
	};
	const char *p = e->base, *digits = p, *name, *suffix;
	int64_t version = 0;
	size_t i;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p == digits || *p != '_')
		goto unreadable;
	name = ++p;
	while (*p != '\0' && *p != '.')
		p++;
	if (p == name)
		goto unreadable;
	suffix = p;
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (strcmp(suffix, suffixes[i].suffix) == 0)
			break;
	if (i == sizeof(suffixes) / sizeof(suffixes[0]))
		goto unreadable;

	for (const char *d = digits; *d != '_'; d++) {
		int digit = *d - '0';
		if (version > (INT64_MAX - digit) / 10)
			return ladder_error_set(LADDER_EPLAN, "%s: version %.*s is too large (the largest is %" PRId64 ")",
			                        e->path, (int)(name - 1 - digits), digits, INT64_MAX);
		version = version * 10 + digit;
	}
	if (version == 0)
		return ladder_error_set(LADDER_EPLAN, "%s: version 0 is not allowed (versions start at 1)", e->path);

	e->name = strndup(name, (size_t)(suffix - name));
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

/* Add DIR/base to list if it is a migration file; skip subdirectories. */
static int list_add(dir_list *list, const char *dir, const char *base)
{
	dir_entry e = {0};
	struct stat st;
	int error = 0;

	if ((e.path = join_path(dir, base)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory listing '%s'", dir);
		goto done;
	}
	e.base = e.path + strlen(e.path) - strlen(base);
	if (stat(e.path, &st) < 0) {
		error = ladder_error_set(LADDER_EIO, "%s: cannot read: %s", e.path, strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode))
		goto done;
	if (!S_ISREG(st.st_mode)) {
		error = ladder_error_set(LADDER_EIO, "%s: cannot read: not a regular file", e.path);
		goto done;
	}
	if ((error = parse_file_name(&e)) < 0)
		goto done;
	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? list->capacity * 2 : 32;
		dir_entry *grown = realloc(list->items, capacity * sizeof(*grown));
		if (grown == NULL) {
			error = ladder_error_set(LADDER_ENOMEM, "out of memory listing '%s'", dir);
			goto done;
		}
		list->items = grown;
		list->capacity = capacity;
	}
	list->items[list->count++] = e;
	memset(&e, 0, sizeof(e));
done:
	free(e.path);
	free(e.name);
	return error;
}

/* Every migration file of dir, parsed, in name order. */
static int list_dir(dir_list *list, const char *dir)
{
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL;
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
		if (de->d_name[0] == '.' || !ends_with(de->d_name, ".sql"))
			continue;
		if (count == capacity) {
			size_t grown_capacity = capacity ? capacity * 2 : 32;
			char **grown = realloc(names, grown_capacity * sizeof(*grown));
			if (grown == NULL) {
				error = ladder_error_set(LADDER_ENOMEM, "out of memory listing '%s'", dir);
				goto done;
			}
			names = grown;
			capacity = grown_capacity;
		}
		if ((names[count] = strdup(de->d_name)) == NULL) {
			error = ladder_error_set(LADDER_ENOMEM, "out of memory listing '%s'", dir);
			goto done;
		}
		count++;
	}

	/* readdir's order is the file system's; sorting makes the first error
	 * reported the same on every machine. */
	if (count > 0)
		qsort(names, count, sizeof(*names), compare_names);
	for (size_t i = 0; i < count; i++) {
		size_t before = list->count;
		const dir_entry *e;

		if ((error = list_add(list, dir, names[i])) < 0)
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
		free(names[i]);
	free(names);
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
	/* The size is a hint only: the file may change while it is read. */
	capacity = (size_t)st.st_size + 1;
	if ((buf = malloc(capacity)) == NULL)
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
			continue;
		}
		/* Full at the size fstat gave: usually the end, which a one-byte
		 * read confirms without growing the buffer. */
		if ((n = read_some(fd, &probe, 1)) < 0)
			goto read_error;
		if (n == 0)
			break;
		if (len >= MAX_FILE_SIZE) {
			error = ladder_error_set(LADDER_EPLAN, "%s: file is too large (more than %zu bytes; the limit is 64 MiB)",
			                         path, len);
			goto done;
		}
		{
			size_t grown_capacity = capacity < 4096 ? 8192 : capacity * 2;
			char *grown = realloc(buf, grown_capacity);
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
	free(buf);
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

	/* ladder_plan_add checks the up and reads both sections' annotations. */

	/* An empty .down.sql or down section is how both tools spell "this
	 * migration cannot be reverted". */
	if (def->down_sql != NULL && ladder_text_is_blank(def->down_sql)) {
		def->down_sql = NULL;
		def->down_source = NULL;
		def->down_line = 0;
		def->down_flags = 0;
	}
	if (check != NULL) {
		if ((error = read_text(check->path, &check_text, &len)) < 0)
			return error;
		if (ladder_text_is_blank(check_text)) {
			free(check_text);
			return ladder_error_set(LADDER_EPLAN, "%s:1: empty post-condition: the file holds no query", check->path);
		}
		def->check_sql = check_text;
	}
	error = ladder_plan_add(plan, def);
	free(check_text);
	return error;
}

static int load_pair(ladder_plan *plan, const dir_entry *up, const dir_entry *down, const dir_entry *check)
{
	ladder_migration_def def;
	char *up_text = NULL, *down_text = NULL;
	size_t len;
	int error;

	if ((error = read_text(up->path, &up_text, &len)) < 0)
		goto done;
	if (down != NULL && (error = read_text(down->path, &down_text, &len)) < 0)
		goto done;
	memset(&def, 0, sizeof(def));
	def.version = up->version;
	def.name = up->name;
	def.up_sql = up_text;
	def.source = up->path;
	def.up_line = 1;
	if (down != NULL) {
		def.down_sql = down_text;
		def.down_source = down->path;
		def.down_line = 1;
	}
	error = add_migration(plan, &def, check);
done:
	free(up_text);
	free(down_text);
	return error;
}

/* A `-- migrate:up` / `-- migrate:down` line in a dbmate file. */
typedef struct marker {
	int found;
	int line;         /* 1-based line of the marker */
	size_t start;     /* offset of the marker line */
	size_t body;      /* offset just past it: where the section's text begins */
	unsigned int flags;
} marker;

/* If [p, end) is a marker line, return 1 (up) or 2 (down) and set *options
 * to the text after the keyword. dbmate matches `^--\s*migrate:up`. */
static int marker_kind(const char *p, const char *end, const char **options)
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

/* dbmate's marker options: `transaction:false` runs the section outside a
 * transaction. Anything else is refused, so a typo cannot silently put a
 * CREATE INDEX CONCURRENTLY inside one. */
static int marker_options(const char *source, int line, const char *keyword, const char *p, const char *end,
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

/* Find the up and down markers of a dbmate file. */
static int find_markers(const char *source, const char *text, size_t len, marker *up, marker *down)
{
	const char *p = text;
	int line = 1;
	int error;

	memset(up, 0, sizeof(*up));
	memset(down, 0, sizeof(*down));
	while (p < text + len) {
		const char *eol = memchr(p, '\n', (size_t)(text + len - p));
		const char *end = eol ? eol : text + len;
		const char *options = NULL;
		int kind = marker_kind(p, end, &options);

		if (kind != 0) {
			marker *m = kind == 1 ? up : down;
			const char *keyword = kind == 1 ? "up" : "down";
			if (m->found)
				return ladder_error_set(LADDER_EPLAN,
				                        "%s:%d: a second '-- migrate:%s' line (the first is line %d); "
				                        "a file holds one migration",
				                        source, line, keyword, m->line);
			if ((error = marker_options(source, line, keyword, options, end, &m->flags)) < 0)
				return error;
			m->found = 1;
			m->line = line;
			m->start = (size_t)(p - text);
			m->body = eol ? (size_t)(eol + 1 - text) : len;
		}
		if (eol == NULL)
			break;
		p = eol + 1;
		line++;
	}
	return 0;
}

/* The line of the first flag annotation (`-- ladder:` but not a floor) in
 * text, read as ladder_text_annotations reads them; 1 if there is none.
 * Not strstr: "-- see ladder: docs" above it is prose, not the annotation. */
static int flag_annotation_line(const char *text)
{
	const char *p = text;
	int line = 1;

	while (*p) {
		const char *eol = strchr(p, '\n');
		const char *end = eol ? eol : p + strlen(p);
		const char *q = p;

		while (q < end && isspace((unsigned char)*q))
			q++;
		if (end - q >= 2 && q[0] == '-' && q[1] == '-') {
			q += 2;
			while (q < end && isspace((unsigned char)*q))
				q++;
			if (end - q >= 7 && strncmp(q, "ladder:", 7) == 0 && !(end - q >= 13 && strncmp(q, "ladder:floor ", 13) == 0))
				return line;
		}
		if (eol == NULL)
			break;
		p = eol + 1;
		line++;
	}
	return 1;
}

static int load_single(ladder_plan *plan, const dir_entry *e, const dir_entry *check)
{
	ladder_migration_def def;
	marker up, down;
	char *text = NULL, *head = NULL, *up_sql = NULL, *down_sql = NULL;
	size_t len, first, at, up_end;
	int error;

	if ((error = read_text(e->path, &text, &len)) < 0)
		goto done;
	if ((error = find_markers(e->path, text, len, &up, &down)) < 0)
		goto done;
	if (!up.found) {
		error = ladder_error_set(LADDER_EPLAN,
		                         "%s: neither format: a single-file migration needs a '-- migrate:up' line "
		                         "(or use V_name.up.sql / V_name.down.sql)",
		                         e->path);
		goto done;
	}
	/* dbmate refuses SQL outside both sections; dropping it silently would
	 * apply less than the author wrote. */
	first = down.found && down.start < up.start ? down.start : up.start;
	if ((at = ladder_text_skip_blank(text, first, 0)) < first) {
		error = ladder_error_set(LADDER_EPLAN,
		                         "%s:%d: SQL before the first '-- migrate:' line belongs to neither section",
		                         e->path, ladder_line_of(text, at));
		goto done;
	}

	/* An annotation up there would apply to nothing: say so rather than run
	 * a step inside a transaction its author meant to avoid. */
	if (first > 0) {
		unsigned int flags = 0;
		if ((head = strndup(text, first)) == NULL)
			goto oom;
		if ((error = ladder_text_annotations(e->path, 1, head, 0, &flags)) < 0)
			goto done;
		if (flags != 0) {
			error = ladder_error_set(LADDER_EPLAN,
			                         "%s:%d: this annotation is above the first '-- migrate:' line and applies "
			                         "to no section; move it below '-- migrate:up' or '-- migrate:down'",
			                         e->path, flag_annotation_line(head));
			goto done;
		}
	}

	up_end = down.found && down.start > up.start ? down.start : len;
	if ((up_sql = strndup(text + up.body, up_end - up.body)) == NULL)
		goto oom;
	if (down.found) {
		size_t down_end = up.start > down.start ? up.start : len;
		if ((down_sql = strndup(text + down.body, down_end - down.body)) == NULL)
			goto oom;
	}

	memset(&def, 0, sizeof(def));
	def.version = e->version;
	def.name = e->name;
	def.source = e->path;
	def.up_sql = up_sql;
	def.up_line = up.line + 1;
	def.up_flags = up.flags;
	def.down_sql = down_sql;
	def.down_line = down.found ? down.line + 1 : 0;
	def.down_flags = down.flags;
	error = add_migration(plan, &def, check);
	goto done;
oom:
	error = ladder_error_set(LADDER_ENOMEM, "%s: out of memory reading the file", e->path);
done:
	free(text);
	free(head);
	free(up_sql);
	free(down_sql);
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
	free(text);
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
		if (up != NULL && down != NULL && strcmp(up->name, down->name) != 0)
			return ladder_error_set(LADDER_EPLAN,
			                        "'%s' and '%s': the up and down of version %" PRId64 " have different names",
			                        up->path, down->path, version);
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

int ladder_plan_load_dir(ladder_plan **out, const char *path)
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
	if ((error = list_dir(&list, path)) < 0)
		goto done;
	if (list.count > 0)
		qsort(list.items, list.count, sizeof(*list.items), compare_versions);
	if ((units = calloc(list.count + 1, sizeof(*units))) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory loading '%s'", path);
		goto done;
	}
	if ((error = group_files(&list, units, &unit_count, &baseline)) < 0)
		goto done;
	if ((error = ladder_plan_new(&plan)) < 0)
		goto done;
	for (size_t i = 0; i < unit_count; i++) {
		if (units[i].up->kind == FILE_SINGLE)
			error = load_single(plan, units[i].up, units[i].check);
		else
			error = load_pair(plan, units[i].up, units[i].down, units[i].check);
		if (error < 0)
			goto done;
	}
	if (baseline != NULL && (error = load_baseline(plan, baseline)) < 0)
		goto done;
	*out = plan;
	plan = NULL;
done:
	ladder_plan_free(plan);
	free(units);
	dir_list_free(&list);
	return error;
}
