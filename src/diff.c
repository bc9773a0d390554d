/*
 * diff.c — unified diffs of schema dumps. Common leading and trailing lines
 * are set aside first, so the longest-common-subsequence table only covers
 * the part that changed (dumps differ in a few lines, not thousands). Also
 * the column-order comparison verify uses to tell "only the order of columns
 * differs" from a real change.
 */
#include "diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CONTEXT 3
#define MAX_TABLE_CELLS (64u * 1024 * 1024)

typedef struct text_lines {
	const char **start;
	size_t *len;
	size_t count;
} text_lines;

static int split_lines(text_lines *t, const char *text)
{
	size_t count = 0, i = 0;
	const char *p;

	for (p = text; *p; p++)
		if (*p == '\n')
			count++;
	if (p > text && p[-1] != '\n')
		count++;
	t->count = count;
	t->start = ladder_calloc(count + 1, sizeof(*t->start));
	t->len = ladder_calloc(count + 1, sizeof(*t->len));
	if (t->start == NULL || t->len == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory diffing");
	for (p = text; *p && i < count; i++) {
		const char *eol = strchr(p, '\n');
		t->start[i] = p;
		t->len[i] = eol ? (size_t)(eol - p) : strlen(p);
		p = eol ? eol + 1 : p + t->len[i];
	}
	return 0;
}

static void free_lines(text_lines *t)
{
	ladder_free(t->start);
	ladder_free(t->len);
}

static int same(const text_lines *a, size_t i, const text_lines *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->start[i], b->start[j], a->len[i]) == 0;
}

/* One edit script entry: ' ' keep, '-' delete from a, '+' insert from b. */
typedef struct edit {
	char op;
	size_t a, b; /* line indexes (a for ' ' and '-', b for '+') */
} edit;

static const char *object_of(const text_lines *a, size_t line, size_t *len)
{
	while (line-- > 0) {
		if (a->len[line] > 0 && a->start[line][0] != ' ') {
			*len = a->len[line];
			return a->start[line];
		}
	}
	*len = 0;
	return "";
}

static void emit_hunks(ladder_buf *out, const text_lines *a, const text_lines *b, const edit *script, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t first, last, k, a_start, b_start, a_count = 0, b_count = 0, obj_len;
		const char *obj;

		while (i < n && script[i].op == ' ')
			i++;
		if (i == n)
			break;
		first = i > CONTEXT ? i - CONTEXT : 0;
		/* extend while changes come within 2*CONTEXT of each other */
		last = i;
		for (k = i; k < n; k++) {
			if (script[k].op != ' ')
				last = k;
			else if (k - last > 2 * CONTEXT)
				break;
		}
		last = last + CONTEXT < n - 1 ? last + CONTEXT : n - 1;
		a_start = script[first].a;
		b_start = script[first].b;
		for (k = first; k <= last; k++) {
			if (script[k].op != '+')
				a_count++;
			if (script[k].op != '-')
				b_count++;
		}
		obj = object_of(a, a_start + 1, &obj_len);
		ladder_buf_printf(out, "@@ -%zu,%zu +%zu,%zu @@%s%.*s\n", a_count ? a_start + 1 : a_start, a_count,
		                  b_count ? b_start + 1 : b_start, b_count, obj_len ? " " : "", (int)obj_len, obj);
		for (k = first; k <= last; k++) {
			const text_lines *t = script[k].op == '+' ? b : a;
			size_t line = script[k].op == '+' ? script[k].b : script[k].a;
			ladder_buf_printf(out, "%c%.*s\n", script[k].op, (int)t->len[line], t->start[line]);
		}
		i = last + 1;
	}
}

int ladder_diff(ladder_buf *out, const char *label_a, const char *a_text, const char *label_b, const char *b_text)
{
	text_lines a = {0}, b = {0};
	size_t prefix = 0, suffix = 0, n, m, steps = 0;
	uint32_t *table = NULL;
	edit *script = NULL;
	int error;

	if ((error = split_lines(&a, a_text)) < 0 || (error = split_lines(&b, b_text)) < 0)
		goto done;
	while (prefix < a.count && prefix < b.count && same(&a, prefix, &b, prefix))
		prefix++;
	while (suffix < a.count - prefix && suffix < b.count - prefix &&
	       same(&a, a.count - 1 - suffix, &b, b.count - 1 - suffix))
		suffix++;
	n = a.count - prefix - suffix;
	m = b.count - prefix - suffix;
	if ((n + 1) * (m + 1) > MAX_TABLE_CELLS) {
		error = ladder_error_set(LADDER_ENOMEM, "the schemas differ in too many lines to diff (%zu and %zu)", n, m);
		goto done;
	}
	table = ladder_calloc((n + 1) * (m + 1), sizeof(*table));
	script = ladder_calloc(a.count + b.count + 1, sizeof(*script));
	if (table == NULL || script == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory diffing");
		goto done;
	}
	/* table[i][j]: LCS length of a[prefix+i..] and b[prefix+j..] (middle part) */
	for (size_t i = n; i-- > 0;)
		for (size_t j = m; j-- > 0;)
			table[i * (m + 1) + j] = same(&a, prefix + i, &b, prefix + j)
			                             ? table[(i + 1) * (m + 1) + j + 1] + 1
			                             : (table[(i + 1) * (m + 1) + j] > table[i * (m + 1) + j + 1]
			                                    ? table[(i + 1) * (m + 1) + j]
			                                    : table[i * (m + 1) + j + 1]);
	for (size_t k = 0; k < prefix; k++)
		script[steps++] = (edit){' ', k, k};
	{
		size_t i = 0, j = 0;
		while (i < n || j < m) {
			if (i < n && j < m && same(&a, prefix + i, &b, prefix + j)) {
				script[steps++] = (edit){' ', prefix + i, prefix + j};
				i++, j++;
			} else if (i < n && (j == m || table[(i + 1) * (m + 1) + j] >= table[i * (m + 1) + j + 1])) {
				/* on a tie the old line goes first, as diff(1) shows it */
				script[steps++] = (edit){'-', prefix + i, prefix + j};
				i++;
			} else {
				script[steps++] = (edit){'+', prefix + i, prefix + j};
				j++;
			}
		}
	}
	for (size_t k = 0; k < suffix; k++)
		script[steps++] = (edit){' ', prefix + n + k, prefix + m + k};
	ladder_buf_printf(out, "--- %s\n+++ %s\n", label_a, label_b);
	emit_hunks(out, &a, &b, script, steps);
	if (out->failed)
		error = ladder_error_set(LADDER_ENOMEM, "out of memory diffing");
done:
	ladder_free(table);
	ladder_free(script);
	free_lines(&a);
	free_lines(&b);
	return error;
}

/* --- column order ------------------------------------------------------------ */

static int is_column(const text_lines *t, size_t i)
{
	return t->len[i] > 9 && memcmp(t->start[i], "  column ", 9) == 0;
}

static int compare_lines(const void *x, const void *y)
{
	const char *const *a = x, *const *b = y;
	/* lines of one dump, split in place: compare up to the newline */
	size_t la = strcspn(*a, "\n"), lb = strcspn(*b, "\n");
	int c = memcmp(*a, *b, la < lb ? la : lb);
	return c != 0 ? c : (la > lb) - (la < lb);
}

int ladder_dump_sort_columns(char **out, const char *dump)
{
	text_lines t = {0};
	ladder_buf buf = {0};
	int error;

	*out = NULL;
	if ((error = split_lines(&t, dump)) < 0)
		goto done;
	for (size_t i = 0; i < t.count;) {
		size_t end = i;
		while (end < t.count && is_column(&t, end))
			end++;
		if (end == i) {
			ladder_buf_printf(&buf, "%.*s\n", (int)t.len[i], t.start[i]);
			i++;
			continue;
		}
		qsort(t.start + i, end - i, sizeof(*t.start), compare_lines);
		for (; i < end; i++)
			ladder_buf_printf(&buf, "%.*s\n", (int)strcspn(t.start[i], "\n"), t.start[i]);
	}
	ladder_buf_puts(&buf, "");
	if (buf.failed) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory comparing column order");
		goto done;
	}
	*out = buf.data;
	buf.data = NULL;
done:
	ladder_buf_free(&buf);
	free_lines(&t);
	return error;
}

/* The column names of the table whose header is line i: "(a, b, c)". */
static void column_names(ladder_buf *out, const text_lines *t, size_t i)
{
	ladder_buf_puts(out, "(");
	for (size_t k = i + 1; k < t->count && is_column(t, k); k++) {
		const char *name = t->start[k] + 9;
		size_t len = 0;
		while (9 + len < t->len[k] && name[len] != ' ')
			len++;
		ladder_buf_printf(out, "%s%.*s", k > i + 1 ? ", " : "", (int)len, name);
	}
	ladder_buf_puts(out, ")");
}

int ladder_column_order(ladder_buf *out, const char *indent, const char *a_text, const char *b_text)
{
	text_lines a = {0}, b = {0};
	int error;

	if ((error = split_lines(&a, a_text)) < 0 || (error = split_lines(&b, b_text)) < 0)
		goto done;
	/* Equal once sorted: the same lines, tables at the same places. */
	for (size_t i = 0; i + 1 < a.count && i + 1 < b.count; i++) {
		ladder_buf names_a = {0}, names_b = {0};
		if (is_column(&a, i) || !is_column(&a, i + 1))
			continue;
		column_names(&names_a, &a, i);
		column_names(&names_b, &b, i);
		if (names_a.data && names_b.data && strcmp(names_a.data, names_b.data) != 0)
			ladder_buf_printf(out, "%s%.*s: %s vs %s\n", indent, (int)a.len[i], a.start[i], names_a.data,
			                  names_b.data);
		if (names_a.failed || names_b.failed)
			out->failed = 1;
		ladder_buf_free(&names_a);
		ladder_buf_free(&names_b);
	}
	if (out->failed)
		error = ladder_error_set(LADDER_ENOMEM, "out of memory comparing column order");
done:
	free_lines(&a);
	free_lines(&b);
	return error;
}
