/*
 * output.h — how the ladder command line talks: error and usage messages on
 * stderr, aligned tables and optional colour for people, escaped JSON for
 * programs. Nothing here knows about migrations.
 */
#ifndef LADDER_CLI_OUTPUT_H
#define LADDER_CLI_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include <ladder.h>

#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLI_PRINTF(f, a)
#endif

/* "ladder: MESSAGE" and "Try 'ladder --help'." on stderr; returns 2. */
int cli_usage_error(const char *fmt, ...) CLI_PRINTF(1, 2);

/* "ladder: error: MESSAGE" on stderr; returns 1. */
int cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);

/* The library's last error, as cli_error() prints it, then the hints for
 * it (hints.c); returns 1. */
int cli_lib_error(void);

/* The message cli_lib_error last printed ("" before any). */
const char *cli_last_error(void);

/* What the hints may read: the database and plan of the command (either
 * may be NULL: the other is kept). */
void cli_hints_context(ladder_db *db, const ladder_plan *plan);
void cli_hints_forget(void);
void cli_hint(int code, const char *message);
/* How to adopt what ladder_status's adopt_from names, one line each. */
void cli_adopt_advice(FILE *out, const char *prefix, const char *adopt_from);
/* What adopt recorded, and that the stamp or table it read stays at that
 * version (hints.c): text unless quiet, or JSON. */
void cli_adopt_report(ladder_db *db, const char *from, const ladder_result *result, int json, int quiet);

typedef enum {
	OUT_PLAIN = 0,
	OUT_GREEN,
	OUT_YELLOW,
	OUT_RED,
	OUT_DIM,
	OUT_BOLD,
} out_colour;

/* Whether to colour what goes to `f`: a terminal that is not TERM=dumb,
 * and NO_COLOR unset or empty (https://no-color.org). */
int out_colour_wanted(FILE *f);

/* Write s for a person to read: control characters become '?', so text
 * from a database cannot drive the terminal. */
void out_text(FILE *f, const char *s);

/* Write s as a JSON string with its quotes (RFC 8259), or null for NULL. */
void out_json_string(FILE *f, const char *s);

/* An aligned table: add rows, print it once, free it. Cells are copied. */
typedef struct out_table out_table;

/* ncols headers follow; a header starting with '>' is right-aligned (the
 * '>' is not printed). NULL on out of memory. */
out_table *out_table_new(size_t ncols, const char *const *headers);

/* Add a row of ncols cells (NULL prints as "-"), colouring cell
 * `colour_col` with `colour`. Returns 0, or -1 on out of memory. */
int out_table_add(out_table *t, const char *const *cells, size_t colour_col, out_colour colour);

/* Returns 0, or -1 on out of memory (nothing printed). */
int out_table_print(const out_table *t, FILE *f, int colour);
void out_table_free(out_table *t);

#endif /* LADDER_CLI_OUTPUT_H */
