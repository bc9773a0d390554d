/*
 * progress.h — steps run statement by statement, on engines whose DDL
 * commits implicitly (LADDER_DRIVER_DDL_COMMITS: MariaDB, MySQL). What is
 * engine-neutral about it lives here: the units a step runs in (each
 * implicitly committing statement alone, the statements between them in
 * one transaction), the digest that ties a recorded position to the text
 * that ran, the catalog check that tells whether a statement cut off by a
 * crash took effect, and the words for where a step stands.
 */
#ifndef LADDER_PROGRESS_H
#define LADDER_PROGRESS_H

#include "boundary.h"
#include "history.h"

/* The unit that starts at statement `first`: its end (exclusive). An
 * implicitly committing statement is a unit of its own. */
size_t progress_unit_end(const step_text *text, size_t first);

/* 1 when statement i commits implicitly (runs alone). */
int progress_is_alone(const step_text *text, size_t i);

/* The digest of the step's text up to the end of statement `done`
 * (statements 1..done as written, with what precedes them): what a
 * progress row records as its checksum. out: LADDER_HASH_HEX bytes. */
int progress_prefix(char *out, const step_text *text, int64_t done);

typedef enum {
	PROGRESS_NOT_RUN = 0, /* the catalog shows the statement did not take effect */
	PROGRESS_RAN,         /* it did */
	PROGRESS_UNKNOWN,     /* the catalog cannot tell (why says why) */
} progress_outcome;

/* Did statement i of text, cut off by a crash, take effect? Asks the
 * driver what the statement does (read_actions) and the catalog whether
 * that is so (table_has, index_has): tables, columns and indexes created,
 * dropped or renamed. Anything else is PROGRESS_UNKNOWN. */
int progress_check(progress_outcome *out, ladder_conn *conn, const step_text *text, size_t i, char *why,
                   size_t why_len);

/* "statement 3 of 5 (`ALTER TABLE orders ADD …`, line 12)" */
void progress_statement(char *buf, size_t len, const ladder_step *step, ladder_direction dir,
                        const step_text *text, size_t i);

#endif /* LADDER_PROGRESS_H */
