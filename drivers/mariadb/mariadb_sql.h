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
 * MariaDB commits around (CREATE/ALTER/DROP/RENAME/TRUNCATE of anything,
 * GRANT, REVOKE, LOCK TABLES, ...; `what` names it: "ALTER TABLE");
 * BEGIN / START TRANSACTION, COMMIT, ROLLBACK, SAVEPOINT / RELEASE /
 * ROLLBACK TO, and LADDER_STMT_TX_OTHER for what otherwise ends or changes
 * the transaction (SET autocommit, XA, UNLOCK TABLES, COMMIT AND CHAIN);
 * LADDER_STMT_PLAIN for the rest (DML, SET, SELECT, DO). CALL counts as
 * IMPLICIT_COMMIT: a procedure may run DDL. *out from ladder_malloc.
 * An unterminated quote, comment or compound statement: LADDER_EPLAN with
 * a message saying what is unterminated, *bad_offset its start. */
int ladder_mariadb_split(const char *sql, size_t len, ladder_stmt **out, size_t *count, size_t *bad_offset);

/* The driver's `read_actions` (parse only; scratch is NULL): what each
 * statement does, as ladder_action (CREATE/DROP/RENAME TABLE, ADD/DROP/
 * RENAME/CHANGE/MODIFY COLUMN, ADD/DROP INDEX and KEY, CREATE/DROP INDEX,
 * ADD CONSTRAINT, columns of CREATE TABLE), names unquoted and, as MariaDB
 * stores them, lowercased only where the server folds case (never: table
 * names keep their case; column and index names compare without case). A
 * statement it does not model reports nothing. */
int ladder_mariadb_read_actions(ladder_conn *scratch, const char *sql, size_t len, ladder_action_fn fn, void *ctx);

#endif /* LADDER_MARIADB_SQL_H */
