/*
 * mariadb_sql.h — MariaDB's SQL text read without a server: a tokenizer
 * that knows its quoting ('…' "…" `…`, backslash escapes, doubled quotes),
 * comments (-- , #, C-style, and the executable C-style comments whose
 * opening is followed by ! or M!, which hold SQL), and compound statements (BEGIN … END
 * bodies of CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT and BEGIN NOT ATOMIC,
 * with their IF/CASE/LOOP/WHILE/REPEAT … END nesting), so that a step splits
 * at the semicolons that end statements and nowhere else, without the
 * client's DELIMITER command. On top of it: each statement classified for
 * the core (which commit implicitly), and what a DDL statement does to the
 * schema (lint, and the catalog check after a crash).
 */
#ifndef LADDER_MARIADB_SQL_H
#define LADDER_MARIADB_SQL_H

#include "ladder/sys/driver.h"

/* Split sql[0..len) into statements (blank ones and bare comments left
 * out), each classified: LADDER_STMT_IMPLICIT_COMMIT for every statement
 * MariaDB commits around (CREATE/ALTER/DROP/RENAME/TRUNCATE of anything
 * but CREATE/DROP TEMPORARY TABLE, GRANT, REVOKE, SET PASSWORD, LOCK
 * TABLES, ANALYZE/CHECK/OPTIMIZE/REPAIR TABLE, FLUSH, RESET, ...; `what`
 * names it: "ALTER TABLE"); BEGIN / START TRANSACTION, COMMIT, ROLLBACK,
 * SAVEPOINT / RELEASE SAVEPOINT / ROLLBACK TO, and LADDER_STMT_TX_OTHER
 * for what otherwise ends or changes the transaction (SET autocommit, XA,
 * UNLOCK TABLES, COMMIT AND CHAIN, COMMIT RELEASE); LADDER_STMT_PLAIN for
 * the rest (DML, SET, SELECT, DO, LOAD DATA). CALL and EXECUTE count as
 * IMPLICIT_COMMIT: a procedure or a prepared statement may run DDL; so
 * does a compound statement run outside a routine (BEGIN NOT ATOMIC, IF,
 * ...) whose body holds DDL. SET STATEMENT ... FOR s is classified as s.
 *
 * A statement inside an executable comment is classified by that content
 * (its offset is the comment's opening). The client's DELIMITER command
 * (a line `DELIMITER $$`) is obeyed and never returned: a statement that a
 * custom delimiter ends stops before it (len leaves the delimiter out, so
 * the text sent to the server is plain SQL), and inside a compound
 * statement only that delimiter ends it. *out from ladder_malloc.
 * An unterminated quote, comment or compound statement: LADDER_EPLAN with
 * a message saying what is unterminated, *bad_offset its start. */
int ladder_mariadb_split(const char *sql, size_t len, ladder_stmt **out, size_t *count, size_t *bad_offset);

/* The driver's `read_actions` (parse only; scratch is NULL): what each
 * statement does, as ladder_action (CREATE/DROP/RENAME TABLE, ADD/DROP/
 * RENAME/CHANGE/MODIFY COLUMN, ADD/DROP INDEX and KEY, CREATE/DROP INDEX,
 * ADD CONSTRAINT, DROP PRIMARY KEY (DROP_INDEX "PRIMARY"), DROP DATABASE,
 * TRUNCATE (LOCK_TABLE), columns of CREATE TABLE with their type in lower
 * case: "int", "varchar(20)", "int unsigned"), names unquoted and, as
 * MariaDB stores them, lowercased only where the server folds case
 * (never: table names keep their case; column and index names compare
 * without case). An unnamed index is named "", a primary key "PRIMARY".
 * A statement it does not model reports nothing (DROP FOREIGN KEY and
 * DROP CONSTRAINT among them: no action kind fits). Text the splitter
 * refuses (an unterminated quote) is reported as LADDER_ACT_FAILED at the
 * quote, and the walk ends there. */
int ladder_mariadb_read_actions(ladder_conn *scratch, const char *sql, size_t len, ladder_action_fn fn, void *ctx);

/* --- the tokenizer both files share (not part of the driver interface) --- */

typedef enum {
	LADDER_MDB_END = 0,   /* end of the text */
	LADDER_MDB_WORD,      /* keyword or unquoted name */
	LADDER_MDB_QUOTED,    /* `name` */
	LADDER_MDB_STRING,    /* '...', "...", N'...', X'...', B'...', _utf8mb4'...' */
	LADDER_MDB_NUMBER,
	LADDER_MDB_VARIABLE,  /* @name, @@name, @@session.name, @'name' */
	LADDER_MDB_OP,        /* operator or punctuation: ( ) , . : := <= ... */
	LADDER_MDB_SEMICOLON,
	LADDER_MDB_DELIMITER, /* the terminator a DELIMITER command set */
	LADDER_MDB_EXEC_OPEN, /* the opening of an executable comment, version included */
	LADDER_MDB_EXEC_CLOSE,
	LADDER_MDB_DELIMITER_LINE, /* a whole `DELIMITER x` line, already obeyed */
} ladder_mariadb__kind;

typedef struct ladder_mariadb__token {
	ladder_mariadb__kind kind;
	size_t offset, len;
} ladder_mariadb__token;

/* The tokens of sql[from..to) that carry meaning (no comments, no
 * executable comments' brackets, no DELIMITER lines), with the default
 * terminator, into *tokens: an array grown with ladder_array_grow (*cap its
 * room), reused across calls. Offsets count from sql. LADDER_EPLAN as for
 * ladder_mariadb_split, *bad_offset set. */
int ladder_mariadb__tokens(const char *sql, size_t from, size_t to, ladder_mariadb__token **tokens, size_t *count,
                           size_t *cap, size_t *bad_offset);

/* 1 when tok is the unquoted word `word` (given in upper case), in any case. */
int ladder_mariadb__is(const char *sql, const ladder_mariadb__token *tok, const char *word);

#endif /* LADDER_MARIADB_SQL_H */
