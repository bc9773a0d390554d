/*
 * boundary.h — the transaction boundary belongs to ladder alone. Before a
 * step runs, its text is read with the engine's own parser: an outer
 * BEGIN; ... COMMIT; wrapper is set aside, any other statement that would
 * end ladder's transaction is refused naming file and line, a statement that
 * cannot run inside a transaction makes the step a no-transaction step, and
 * SQLite's PRAGMA foreign_keys = OFF (a no-op inside a transaction) becomes
 * ladder's own foreign-keys-off run. A step's statement timeout is read
 * here too, and refused on an engine that has none.
 */
#ifndef LADDER_BOUNDARY_H
#define LADDER_BOUNDARY_H

#include "plan.h"

/* The text one side of a step runs, and how. */
typedef struct step_text {
	const char *sql;        /* what to run: the step's own text, or `owned` */
	char *owned;            /* the text with set-aside statements blanked
	                           (same length and lines, so positions hold) */
	ladder_step_info info;
	int prepared;           /* 1: filled by step_text_prepare */
	int read;               /* 1: the engine's parser read the whole text, so
	                           nothing in it can end the transaction */
	size_t refused_at;      /* on refusal: the offending statement's offset */
	size_t statements;      /* how many the parser found (when read) */
	size_t detected_at;     /* the statement that set a detected flag */
	int statement_timeout_ms; /* -- ladder:statement-timeout; 0: none */
	int statement_timeout_line; /* where the annotation is */
	ladder_stmt *stmts;     /* on an engine whose DDL commits implicitly
	                           (LADDER_DRIVER_DDL_COMMITS): the statements the
	                           step runs one unit at a time, a set-aside
	                           wrapper left out */
	size_t nstmts;
} step_text;

/* Read the `dir` side of step for conn's engine. run_flags: LADDER_STRICT
 * refuses a step that would need to become no-transaction. On refusal
 * (LADDER_EPLAN) nothing has run. */
int step_text_prepare(step_text *out, ladder_conn *conn, const ladder_step *step, ladder_direction dir,
                      unsigned int run_flags);

/* The same for an engine without a connection (lint reading a plan with no
 * database): conn may be NULL where the driver's `statements` allows it. */
int step_text_read(step_text *out, const ladder_driver *driver, ladder_conn *conn, const ladder_step *step,
                   ladder_direction dir, unsigned int run_flags);

void step_text_clear(step_text *text);

#endif /* LADDER_BOUNDARY_H */
