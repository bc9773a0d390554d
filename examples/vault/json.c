/*
 * json.c — a recursive-descent JSON syntax check and a string escaper
 * (see json.h). The check reads within [text, text + len) only.
 */
#include "json.h"

#include <string.h>

#define DEPTH_MAX 64

typedef struct cursor {
	const char *p, *end;
} cursor;

static void skip_space(cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int literal(cursor *c, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return 0;
	c->p += n;
	return 1;
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int digits(cursor *c)
{
	const char *start = c->p;
	while (c->p < c->end && is_digit(*c->p))
		c->p++;
	return c->p > start;
}

static int number(cursor *c)
{
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (!digits(c))
		return 0;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (!digits(c))
			return 0;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!digits(c))
			return 0;
	}
	return 1;
}

static int string(cursor *c)
{
	if (c->p >= c->end || *c->p != '"')
		return 0;
	c->p++;
	while (c->p < c->end) {
		unsigned char ch = (unsigned char)*c->p++;
		if (ch == '"')
			return 1;
		if (ch < 0x20)
			return 0;
		if (ch != '\\')
			continue;
		if (c->p >= c->end)
			return 0;
		ch = (unsigned char)*c->p++;
		if (ch == 'u') {
			for (int i = 0; i < 4; i++, c->p++)
				if (c->p >= c->end || !strchr("0123456789abcdefABCDEF", *c->p) || *c->p == '\0')
					return 0;
		} else if (!strchr("\"\\/bfnrt", ch) || ch == '\0') {
			return 0;
		}
	}
	return 0;
}

static int value(cursor *c, int depth);

static int members(cursor *c, int depth, char close, int keyed)
{
	c->p++; /* the opening bracket */
	skip_space(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return 1;
	}
	for (;;) {
		skip_space(c);
		if (keyed) {
			if (!string(c))
				return 0;
			skip_space(c);
			if (c->p >= c->end || *c->p != ':')
				return 0;
			c->p++;
		}
		if (!value(c, depth + 1))
			return 0;
		skip_space(c);
		if (c->p >= c->end)
			return 0;
		if (*c->p == close) {
			c->p++;
			return 1;
		}
		if (*c->p != ',')
			return 0;
		c->p++;
	}
}

static int value(cursor *c, int depth)
{
	if (depth > DEPTH_MAX)
		return 0;
	skip_space(c);
	if (c->p >= c->end)
		return 0;
	switch (*c->p) {
	case '{':
		return members(c, depth, '}', 1);
	case '[':
		return members(c, depth, ']', 0);
	case '"':
		return string(c);
	case 't':
		return literal(c, "true");
	case 'f':
		return literal(c, "false");
	case 'n':
		return literal(c, "null");
	default:
		return number(c);
	}
}

int vault_json_valid(const char *text, size_t len, int *is_object)
{
	cursor c = {text, text + len};

	skip_space(&c);
	*is_object = c.p < c.end && *c.p == '{';
	if (!value(&c, 0))
		return 0;
	skip_space(&c);
	return c.p == c.end;
}

void vault_json_string(FILE *out, const char *s, size_t len)
{
	putc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		switch (ch) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (ch < 0x20 || ch == 0x7f)
				fprintf(out, "\\u%04x", ch);
			else
				putc(ch, out);
		}
	}
	putc('"', out);
}
