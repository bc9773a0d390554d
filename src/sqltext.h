/*
 * sqltext.h — engine-neutral checks and helpers on migration text: encoding
 * checks, annotations in a section's leading comment, blank detection
 * (ladder_text_is_blank, in <ladder.h>), and mapping byte offsets to lines. No SQL is parsed here; statement splitting
 * is the engine's job (SQLite's prepare tail, libpg_query).
 */
#ifndef LADDER_SQLTEXT_H
#define LADDER_SQLTEXT_H

#include <stddef.h>
#include <stdint.h>

/* Refuse text that cannot be a migration: a NUL byte or invalid UTF-8.
 * The error (LADDER_EPLAN) names source and the line. */
int ladder_text_validate(const char *source, const char *text, size_t len);

/* Read `-- ladder:...` annotations (and morph's `-- morph:nontransactional`)
 * from the leading comments of text (comments and blank lines before the
 * first statement). Sets *flags (LADDER_NO_TRANSACTION,
 * LADDER_FOREIGN_KEYS_OFF, LADDER_IRREVERSIBLE). An unknown `ladder:` or
 * `morph:` annotation is refused (LADDER_EPLAN, "source:line: unknown
 * annotation"),
 * and so is `ladder:floor` outside a baseline. first_line: the line of
 * source where text begins. */
int ladder_text_annotations(const char *source, int first_line, const char *text, int baseline,
                            unsigned int *flags);

/* The same, and *line: the line of source holding the first annotation
 * that set a flag (0 when none did), to point at it. */
int ladder_text_annotations_line(const char *source, int first_line, const char *text, int baseline,
                                 unsigned int *flags, int *line);

/* Read `-- ladder:floor N` from the leading comment of a baseline; *floor
 * is 0 when there is none. */
int ladder_text_floor(const char *source, int first_line, const char *text, int64_t *floor);

/* Read `-- ladder:statement-timeout T` (T: 500ms, 30s, 2min) from the
 * leading comment of text: *ms is 0 when there is none (the last one wins),
 * *line the line of source that holds it. A bad value is refused
 * (LADDER_EPLAN, naming source and line), as ladder_text_annotations does
 * at load. */
int ladder_text_statement_timeout(const char *source, int first_line, const char *text, int *ms, int *line);

/* ladder_text_is_blank() is public: <ladder.h>. */

/* Offset of the first token at or after `offset` (skipping white space and
 * comments), so an error points at the statement, not the blank before it. */
size_t ladder_text_skip_blank(const char *text, size_t len, size_t offset);

#endif /* LADDER_SQLTEXT_H */
