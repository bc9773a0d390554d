/*
 * output.c — the command line's voice: usage and error messages, tables
 * aligned for people (with colour only where it helps), and JSON strings
 * escaped for programs.
 */
#include "output.h"

#include <ladder.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Messages echo file names, URLs and argv: a control character in one
 * (an escape sequence, a newline) must not reach the terminal, nor split
 * the one-line message. Each becomes '?', as out_text() does. */
static void vprint_message(FILE *f, const char *fmt, va_list ap)
{
	char small[512];
	char *text = small;
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (n < 0) {
		fputs("(unprintable message)", f);
		return;
	}
	if ((size_t)n >= sizeof(small)) {
		if ((text = malloc((size_t)n + 1)) == NULL) {
			text = small; /* out of memory: the truncated text still helps */
		} else {
			va_copy(copy, ap);
			vsnprintf(text, (size_t)n + 1, fmt, copy);
			va_end(copy);
		}
	}
	for (const char *p = text; *p; p++)
		fputc(is_control((unsigned char)*p) ? '?' : *p, f);
	if (text != small)
		free(text);
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ladder: ", stderr);
	va_start(ap, fmt);
	vprint_message(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'ladder --help'.\n", stderr);
	return 2;
}

int cli_error(const char *fmt, ...)
{
	va_list ap;

	/* Whatever the command printed so far must come out before the error,
	 * or a terminal shows them interleaved in the wrong order. */
	fflush(stdout);
	fputs("ladder: error: ", stderr);
	va_start(ap, fmt);
	vprint_message(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* The last library error printed, for --json summaries written after
 * the hints (which call the library again). */
static char last_printed[8192];

const char *cli_last_error(void)
{
	return last_printed;
}

int cli_lib_error(void)
{
	const ladder_error *e = ladder_error_last();
	int code = e->code;
	char *message = strdup(e->message[0] ? e->message : ladder_strerror(code));
	int rc = cli_error("%s", message ? message : e->message);

	snprintf(last_printed, sizeof(last_printed), "%s", message ? message : e->message);
	cli_hint(code, message ? message : "");
	free(message);
	return rc;
}

int out_colour_wanted(FILE *f)
{
	const char *no_colour = getenv("NO_COLOR");

	const char *term = getenv("TERM");

	if (no_colour != NULL && no_colour[0] != '\0')
		return 0;
	if (term != NULL && strcmp(term, "dumb") == 0)
		return 0;
	return isatty(fileno(f));
}

static const char *colour_code(out_colour colour)
{
	switch (colour) {
	case OUT_GREEN: return "\033[32m";
	case OUT_YELLOW: return "\033[33m";
	case OUT_RED: return "\033[31m";
	case OUT_DIM: return "\033[2m";
	case OUT_BOLD: return "\033[1m";
	case OUT_PLAIN: break;
	}
	return "";
}

void out_text(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(is_control((unsigned char)*s) ? '?' : *s, f);
}

void out_json_string(FILE *f, const char *s)
{
	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (c < 0x20)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f); /* UTF-8 passes through: the library refuses anything else */
		}
	}
	fputc('"', f);
}

/* Columns line up by characters on screen, not bytes: count UTF-8 lead
 * bytes. (Wide CJK glyphs would still drift; names are rarely those.) */
static size_t display_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

struct out_table {
	size_t ncols;
	char **headers;
	int *right;         /* per column: right-aligned */
	size_t nrows, cap;
	char **cells;       /* nrows * ncols */
	size_t *colour_col; /* per row */
	out_colour *colour; /* per row */
};

static char *copy_cell(const char *s)
{
	char *copy;

	if (s == NULL)
		s = "-";
	copy = strdup(s);
	if (copy == NULL)
		return NULL;
	for (char *p = copy; *p; p++)
		if (is_control((unsigned char)*p))
			*p = '?';
	return copy;
}

out_table *out_table_new(size_t ncols, const char *const *headers)
{
	out_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->ncols = ncols;
	t->headers = calloc(ncols, sizeof(*t->headers));
	t->right = calloc(ncols, sizeof(*t->right));
	if (t->headers == NULL || t->right == NULL)
		goto fail;
	for (size_t c = 0; c < ncols; c++) {
		const char *h = headers[c];
		if (h[0] == '>') {
			t->right[c] = 1;
			h++;
		}
		if ((t->headers[c] = copy_cell(h)) == NULL)
			goto fail;
	}
	return t;
fail:
	out_table_free(t);
	return NULL;
}

static int table_grow(out_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 16;
	char **cells;
	size_t *colour_col;
	out_colour *colour;

	/* Each array is replaced as soon as it is grown, so a failure part way
	 * leaves the table consistent (just with more room in some arrays). */
	if ((cells = realloc(t->cells, cap * t->ncols * sizeof(*cells))) == NULL)
		return -1;
	t->cells = cells;
	if ((colour_col = realloc(t->colour_col, cap * sizeof(*colour_col))) == NULL)
		return -1;
	t->colour_col = colour_col;
	if ((colour = realloc(t->colour, cap * sizeof(*colour))) == NULL)
		return -1;
	t->colour = colour;
	t->cap = cap;
	return 0;
}

int out_table_add(out_table *t, const char *const *cells, size_t colour_col, out_colour colour)
{
	char **row;
	size_t c;

	if (t->nrows == t->cap && table_grow(t) < 0)
		return -1;
	row = &t->cells[t->nrows * t->ncols];
	for (c = 0; c < t->ncols; c++) {
		if ((row[c] = copy_cell(cells[c])) == NULL)
			goto fail;
	}
	t->colour_col[t->nrows] = colour_col;
	t->colour[t->nrows] = colour;
	t->nrows++;
	return 0;
fail:
	while (c-- > 0)
		free(row[c]);
	return -1;
}

static void print_cell(FILE *f, const char *text, size_t width, int right, int last, const char *on)
{
	size_t pad = width - display_width(text);

	if (right)
		fprintf(f, "%*s", (int)pad, "");
	if (on[0]) {
		fputs(on, f);
		fputs(text, f);
		fputs("\033[0m", f);
	} else {
		fputs(text, f);
	}
	/* No trailing blanks after the last column: they only annoy diff. */
	if (!right && !last)
		fprintf(f, "%*s", (int)pad, "");
	if (!last)
		fputs("  ", f);
}

int out_table_print(const out_table *t, FILE *f, int colour)
{
	size_t *width = calloc(t->ncols ? t->ncols : 1, sizeof(*width));
	size_t r, c;

	if (width == NULL)
		return -1;
	for (c = 0; c < t->ncols; c++)
		width[c] = display_width(t->headers[c]);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			size_t w = display_width(t->cells[r * t->ncols + c]);
			if (w > width[c])
				width[c] = w;
		}

	for (c = 0; c < t->ncols; c++)
		print_cell(f, t->headers[c], width[c], t->right[c], c + 1 == t->ncols,
		           colour ? colour_code(OUT_BOLD) : "");
	fputc('\n', f);
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *on = colour && c == t->colour_col[r] ? colour_code(t->colour[r]) : "";
			print_cell(f, t->cells[r * t->ncols + c], width[c], t->right[c], c + 1 == t->ncols, on);
		}
		fputc('\n', f);
	}
	free(width);
	return 0;
}

void out_table_free(out_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	if (t->headers != NULL)
		for (size_t c = 0; c < t->ncols; c++)
			free(t->headers[c]);
	free(t->headers);
	free(t->right);
	free(t->cells);
	free(t->colour_col);
	free(t->colour);
	free(t);
}
