/*
 * sqltext.c — checks on migration text that need no SQL parser: encoding,
 * `-- ladder:` (and morph's `-- morph:`) annotations, blank sections,
 * offsets to line numbers.
 */
#include "sqltext.h"

#include "ladder.h"
#include "ladder/sys/driver.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int ladder_line_of(const char *text, size_t offset)
{
	int line = 1;
	for (size_t i = 0; i < offset && text[i] != '\0'; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

/* Length of the valid UTF-8 sequence at s (at most `avail` bytes), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t avail)
{
	size_t need;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (need > avail)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

int ladder_text_validate(const char *source, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	int line = 1;

	for (size_t i = 0; i < len;) {
		size_t n;
		if (s[i] == '\0')
			return ladder_error_set(LADDER_EPLAN, "%s:%d: the file holds a NUL byte (byte %zu): not SQL text",
			                        source, line, i + 1);
		n = utf8_sequence(s + i, len - i);
		if (n == 0)
			return ladder_error_set(LADDER_EPLAN, "%s:%d: invalid UTF-8 (byte %zu is 0x%02x); save the file as UTF-8",
			                        source, line, i + 1, s[i]);
		if (s[i] == '\n')
			line++;
		i += n;
	}
	return 0;
}

size_t ladder_text_skip_blank(const char *text, size_t len, size_t offset)
{
	size_t i = offset;

	while (i < len) {
		if (isspace((unsigned char)text[i])) {
			i++;
		} else if (text[i] == '-' && i + 1 < len && text[i + 1] == '-') {
			while (i < len && text[i] != '\n')
				i++;
		} else if (text[i] == '/' && i + 1 < len && text[i + 1] == '*') {
			const char *end = NULL;
			for (size_t j = i + 2; j + 1 < len; j++)
				if (text[j] == '*' && text[j + 1] == '/') {
					end = text + j + 2;
					break;
				}
			if (end == NULL)
				return len;
			i = (size_t)(end - text);
		} else {
			break;
		}
	}
	return i;
}

int ladder_text_is_blank(const char *text)
{
	size_t len = strlen(text);
	return ladder_text_skip_blank(text, len, 0) >= len;
}

/* Walk the leading `--` comment lines of text, handing each directive
 * (trimmed) to visit(): `ladder:...`, and `morph:...` (Mattermost's morph
 * reads `-- morph:nontransactional` there). Stops at the first statement. */
typedef int (*directive_fn)(void *ctx, const char *source, int line, const char *tool, const char *directive,
                            size_t len);

static int walk_directives(const char *source, int first_line, const char *text, directive_fn visit,
                           void *ctx)
{
	static const char *const tools[] = {"ladder", "morph"};
	const char *p = text;
	int line = first_line;

	for (;;) {
		if (*p == '\n') {
			line++;
			p++;
		} else if (isspace((unsigned char)*p)) {
			p++;
		} else if (p[0] == '/' && p[1] == '*') {
			/* a block comment may come before the annotations */
			for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
				if (*p == '\n')
					line++;
			if (*p == '\0')
				return 0;
			p += 2;
		} else if (p[0] == '-' && p[1] == '-') {
			const char *end = strchr(p, '\n');
			const char *q = p + 2;
			if (end == NULL)
				end = p + strlen(p);
			while (q < end && isspace((unsigned char)*q))
				q++;
			for (size_t t = 0; t < sizeof(tools) / sizeof(tools[0]); t++) {
				size_t n = strlen(tools[t]);
				if ((size_t)(end - q) > n && strncmp(q, tools[t], n) == 0 && q[n] == ':') {
					const char *d = q + n + 1;
					const char *d_end = end;
					int error;
					while (d_end > d && isspace((unsigned char)d_end[-1]))
						d_end--;
					if ((error = visit(ctx, source, line, tools[t], d, (size_t)(d_end - d))) < 0)
						return error;
					break;
				}
			}
			p = end;
		} else {
			return 0; /* the first statement: annotations end here */
		}
	}
}

static int directive_is(const char *d, size_t len, const char *word)
{
	return strlen(word) == len && strncmp(d, word, len) == 0;
}

/* `statement-timeout VALUE`: VALUE is a number and a unit (ms, s or min),
 * e.g. 500ms, 30s, 1.5min; *ms is at least 1. */
#define STATEMENT_TIMEOUT "statement-timeout "

static int is_statement_timeout(const char *d, size_t len)
{
	return len >= strlen(STATEMENT_TIMEOUT) && strncmp(d, STATEMENT_TIMEOUT, strlen(STATEMENT_TIMEOUT)) == 0;
}

static int parse_statement_timeout(const char *source, int line, const char *d, size_t len, int *ms)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"min", 60000}};
	char value[64];
	size_t n = len - strlen(STATEMENT_TIMEOUT);
	const char *unit;
	char *end = NULL;
	double number;

	if (n == 0 || n >= sizeof(value))
		goto bad;
	memcpy(value, d + strlen(STATEMENT_TIMEOUT), n);
	value[n] = '\0';
	if (!isdigit((unsigned char)value[0]))
		goto bad;
	errno = 0;
	number = strtod(value, &end);
	if (errno != 0 || end == value)
		goto bad;
	for (unit = end; *unit == ' '; unit++)
		;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		double total = number * units[i].ms;
		if (strcmp(unit, units[i].unit) != 0)
			continue;
		if (total < 1 || total > 2147483647.0)
			goto bad;
		*ms = (int)(total + 0.5);
		return 0;
	}
bad:
	return ladder_error_set(LADDER_EPLAN,
	                        "%s:%d: 'ladder:%.*s': the statement timeout must be a number with a unit, ms, s or min "
	                        "(e.g. 'ladder:statement-timeout 30s'), from 1 ms to 24 days",
	                        source, line, (int)len, d);
}

typedef struct flag_walk {
	unsigned int flags;
	int baseline;
	int line; /* of the first annotation that set a flag; 0: none yet */
} flag_walk;

static void set_flag(flag_walk *walk, unsigned int flag, int line)
{
	walk->flags |= flag;
	if (walk->line == 0)
		walk->line = line;
}

static int collect_flags(void *ctx, const char *source, int line, const char *tool, const char *d, size_t len)
{
	flag_walk *walk = ctx;

	if (strcmp(tool, "morph") == 0) {
		/* morph knows one directive; a typo must not silently keep the
		 * transaction around a CREATE INDEX CONCURRENTLY. */
		if (!directive_is(d, len, "nontransactional"))
			return ladder_error_set(LADDER_EPLAN,
			                        "%s:%d: unknown annotation 'morph:%.*s' (morph knows only "
			                        "'-- morph:nontransactional')",
			                        source, line, (int)len, d);
		set_flag(walk, LADDER_NO_TRANSACTION, line);
	} else if (directive_is(d, len, "no-transaction"))
		set_flag(walk, LADDER_NO_TRANSACTION, line);
	else if (directive_is(d, len, "foreign-keys off"))
		set_flag(walk, LADDER_FOREIGN_KEYS_OFF, line);
	else if (directive_is(d, len, "irreversible"))
		set_flag(walk, LADDER_IRREVERSIBLE, line);
	else if (is_statement_timeout(d, len)) {
		int ms; /* checked at load; read by ladder_text_statement_timeout */
		return parse_statement_timeout(source, line, d, len, &ms);
	} else if (len >= 6 && strncmp(d, "floor ", 6) == 0 && !walk->baseline)
		return ladder_error_set(LADDER_EPLAN, "%s:%d: 'ladder:floor' belongs in the baseline file", source, line);
	else if (len >= 6 && strncmp(d, "floor ", 6) == 0)
		; /* read by ladder_text_floor */
	else if (len >= 11 && strncmp(d, "lint-ignore", 11) == 0 && (len == 11 || d[11] == ' '))
		; /* read (and judged) by ladder lint, wherever it stands */
	else
		return ladder_error_set(LADDER_EPLAN,
		                        "%s:%d: unknown annotation 'ladder:%.*s' (known: ladder:no-transaction, "
		                        "ladder:foreign-keys off, ladder:irreversible, ladder:floor N, ladder:statement-timeout T, ladder:lint-ignore RULE because ...)",
		                        source, line, (int)len, d);
	return 0;
}

int ladder_text_annotations_line(const char *source, int first_line, const char *text, int baseline,
                                 unsigned int *flags, int *line)
{
	flag_walk walk = {0, baseline, 0};
	int error = walk_directives(source, first_line, text, collect_flags, &walk);
	*flags = walk.flags;
	*line = walk.line;
	return error;
}

int ladder_text_annotations(const char *source, int first_line, const char *text, int baseline,
                            unsigned int *flags)
{
	int line;
	return ladder_text_annotations_line(source, first_line, text, baseline, flags, &line);
}

static int collect_floor(void *ctx, const char *source, int line, const char *tool, const char *d, size_t len)
{
	int64_t *floor = ctx;
	char number[32];
	char *end = NULL;
	long long value;

	if (strcmp(tool, "ladder") != 0 || len < 6 || strncmp(d, "floor ", 6) != 0)
		return 0;
	if (len - 6 >= sizeof(number))
		goto bad;
	memcpy(number, d + 6, len - 6);
	number[len - 6] = '\0';
	errno = 0;
	value = strtoll(number, &end, 10);
	if (errno != 0 || end == number || *end != '\0' || value < 0)
		goto bad;
	*floor = value;
	return 0;
bad:
	return ladder_error_set(LADDER_EPLAN, "%s:%d: 'ladder:%.*s': the floor must be a version number",
	                        source, line, (int)len, d);
}

int ladder_text_floor(const char *source, int first_line, const char *text, int64_t *floor)
{
	*floor = 0;
	return walk_directives(source, first_line, text, collect_floor, floor);
}

typedef struct timeout_walk {
	int ms;
	int line;
} timeout_walk;

static int collect_statement_timeout(void *ctx, const char *source, int line, const char *tool, const char *d,
                                     size_t len)
{
	timeout_walk *walk = ctx;

	if (strcmp(tool, "ladder") != 0 || !is_statement_timeout(d, len))
		return 0;
	walk->line = line;
	return parse_statement_timeout(source, line, d, len, &walk->ms);
}

int ladder_text_statement_timeout(const char *source, int first_line, const char *text, int *ms, int *line)
{
	timeout_walk walk = {0, 0};
	int error = walk_directives(source, first_line, text, collect_statement_timeout, &walk);
	*ms = walk.ms;
	*line = walk.line;
	return error;
}
