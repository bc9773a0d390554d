/*
 * diff.c — unified diffs of schema dumps. Common leading and trailing lines
 * are set aside first, so the longest-common-subsequence table only covers
 * the part that changed (dumps differ in a few lines, not thousands).
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
	t->start = calloc(count + 1, sizeof(*t->start));
	t->len = calloc(count + 1, sizeof(*t->len));
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
	free(t->start);
	free(t->len);
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
	table = calloc((n + 1) * (m + 1), sizeof(*table));
	script = calloc(a.count + b.count + 1, sizeof(*script));
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
			} else if (j < m && (i == n || table[i * (m + 1) + j + 1] >= table[(i + 1) * (m + 1) + j])) {
				script[steps++] = (edit){'+', prefix + i, prefix + j};
				j++;
			} else {
				script[steps++] = (edit){'-', prefix + i, prefix + j};
				i++;
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
	free(table);
	free(script);
	free_lines(&a);
	free_lines(&b);
	return error;
}
