/*
 * pg_statements.c — migration text split into statements by PostgreSQL's
 * own parser (libpg_query) and sorted by what each does to the transaction
 * around it: transaction control, savepoints, and the statements the server
 * refuses inside a transaction block (CREATE INDEX CONCURRENTLY, VACUUM,
 * CREATE DATABASE, ...). Only statements whose first words can name one of
 * those are parsed a second time, alone, for their parse tree.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* strndup under -std=c11 */
#endif

#include "pg_internal.h"
#include "sqlwords.h"

#include <pg_query.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Statement nodes the server never runs inside a transaction block. */
static const struct {
	const char *node;
	const char *what;
} always_alone[] = {
	{"CreatedbStmt", "CREATE DATABASE"},
	{"DropdbStmt", "DROP DATABASE"},
	{"AlterSystemStmt", "ALTER SYSTEM"},
	{"CreateTableSpaceStmt", "CREATE TABLESPACE"},
	{"DropTableSpaceStmt", "DROP TABLESPACE"},
	{"CreateSubscriptionStmt", "CREATE SUBSCRIPTION"},
	{"DropSubscriptionStmt", "DROP SUBSCRIPTION"},
};

/* Could the statement be one the parse tree must decide on? Each such
 * statement holds one of these keywords (keywords cannot be quoted), so a
 * statement that mentions none of them anywhere, comments and strings
 * included, needs no second parse; one that does is parsed, and the parser
 * decides. Not the first word alone: PostgreSQL's block comments nest,
 * so a COMMIT after a nested comment would hide behind a first word taken
 * from inside the comment. */
static int worth_parsing(const char *text, size_t len)
{
	static const char *const keywords[] = {"BEGIN",   "START",     "COMMIT",     "END",          "ROLLBACK",
	                                       "ABORT",   "SAVEPOINT", "RELEASE",    "PREPARE",      "VACUUM",
	                                       "REINDEX", "CLUSTER",   "CONCURRENTLY", "DATABASE",   "TABLESPACE",
	                                       "SUBSCRIPTION", "SYSTEM", "TYPE"};

	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (ladder_sql_mentions(text, len, keywords[i]))
			return 1;
	return 0;
}

/* The top node of a one-statement parse tree: {"stmts":[{"stmt":{"Node":. */
static int node_is(const char *tree, const char *node)
{
	const char *at = strstr(tree, "\"stmt\":{\"");
	size_t len = strlen(node);
	return at != NULL && strncmp(at + 9, node, len) == 0 && at[9 + len] == '"';
}

/* JSON keys are written by the parser, and string values escape their
 * quotes, so a key:value pair cannot come from the user's text. */
static int tree_has(const char *tree, const char *pair)
{
	return strstr(tree, pair) != NULL;
}

static void classify_transaction(ladder_stmt *stmt, const char *tree)
{
	static const struct {
		const char *kind;
		ladder_stmt_kind as;
		const char *what;
	} kinds[] = {
		{"TRANS_STMT_BEGIN\"", LADDER_STMT_BEGIN, "BEGIN"},
		{"TRANS_STMT_START\"", LADDER_STMT_BEGIN, "START TRANSACTION"},
		{"TRANS_STMT_COMMIT\"", LADDER_STMT_COMMIT, "COMMIT"},
		{"TRANS_STMT_ROLLBACK\"", LADDER_STMT_ROLLBACK, "ROLLBACK"},
		{"TRANS_STMT_SAVEPOINT\"", LADDER_STMT_SAVEPOINT, "SAVEPOINT"},
		{"TRANS_STMT_RELEASE\"", LADDER_STMT_SAVEPOINT, "RELEASE SAVEPOINT"},
		{"TRANS_STMT_ROLLBACK_TO\"", LADDER_STMT_SAVEPOINT, "ROLLBACK TO SAVEPOINT"},
		{"TRANS_STMT_PREPARE\"", LADDER_STMT_TX_OTHER, "PREPARE TRANSACTION"},
		{"TRANS_STMT_COMMIT_PREPARED\"", LADDER_STMT_TX_OTHER, "COMMIT PREPARED"},
		{"TRANS_STMT_ROLLBACK_PREPARED\"", LADDER_STMT_TX_OTHER, "ROLLBACK PREPARED"},
	};
	const char *kind = strstr(tree, "\"kind\":\"");

	for (size_t i = 0; kind != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strncmp(kind + 8, kinds[i].kind, strlen(kinds[i].kind)) != 0)
			continue;
		stmt->kind = kinds[i].as;
		snprintf(stmt->what, sizeof(stmt->what), "%s", kinds[i].what);
		break;
	}
	/* COMMIT AND CHAIN ends ladder's transaction and opens another. */
	if ((stmt->kind == LADDER_STMT_COMMIT || stmt->kind == LADDER_STMT_ROLLBACK) && tree_has(tree, "\"chain\":true")) {
		stmt->kind = LADDER_STMT_TX_OTHER;
		snprintf(stmt->what, sizeof(stmt->what), "%s AND CHAIN",
		         strncmp(kind + 8, "TRANS_STMT_COMMIT", 17) == 0 ? "COMMIT" : "ROLLBACK");
	}
}

static void classify_tree(ladder_stmt *stmt, const char *tree, int server_version)
{
	if (node_is(tree, "TransactionStmt")) {
		classify_transaction(stmt, tree);
		return;
	}
	stmt->kind = LADDER_STMT_NO_TX;
	if (node_is(tree, "IndexStmt") && tree_has(tree, "\"concurrent\":true"))
		snprintf(stmt->what, sizeof(stmt->what), "CREATE INDEX CONCURRENTLY");
	else if (node_is(tree, "DropStmt") && tree_has(tree, "\"concurrent\":true"))
		snprintf(stmt->what, sizeof(stmt->what), "DROP INDEX CONCURRENTLY");
	else if (node_is(tree, "ReindexStmt") &&
	         (tree_has(tree, "\"defname\":\"concurrently\"") || tree_has(tree, "\"concurrent\":true")))
		snprintf(stmt->what, sizeof(stmt->what), "REINDEX CONCURRENTLY");
	else if (node_is(tree, "ReindexStmt") &&
	         (tree_has(tree, "\"kind\":\"REINDEX_OBJECT_DATABASE\"") ||
	          tree_has(tree, "\"kind\":\"REINDEX_OBJECT_SCHEMA\"") || tree_has(tree, "\"kind\":\"REINDEX_OBJECT_SYSTEM\"")))
		snprintf(stmt->what, sizeof(stmt->what), "REINDEX DATABASE/SCHEMA/SYSTEM");
	else if (node_is(tree, "ClusterStmt") && !tree_has(tree, "\"relation\":"))
		snprintf(stmt->what, sizeof(stmt->what), "CLUSTER of every table");
	else if (node_is(tree, "AlterDatabaseStmt") && tree_has(tree, "\"defname\":\"tablespace\""))
		snprintf(stmt->what, sizeof(stmt->what), "ALTER DATABASE ... SET TABLESPACE");
	else if (node_is(tree, "AlterSubscriptionStmt") && tree_has(tree, "\"kind\":\"ALTER_SUBSCRIPTION_REFRESH\""))
		snprintf(stmt->what, sizeof(stmt->what), "ALTER SUBSCRIPTION ... REFRESH PUBLICATION");
	else if (node_is(tree, "AlterTableStmt") && tree_has(tree, "\"concurrent\":true"))
		snprintf(stmt->what, sizeof(stmt->what), "DETACH PARTITION CONCURRENTLY");
	else if (node_is(tree, "VacuumStmt") && tree_has(tree, "\"is_vacuumcmd\":true"))
		snprintf(stmt->what, sizeof(stmt->what), "VACUUM");
	else if (node_is(tree, "AlterEnumStmt") && tree_has(tree, "\"newVal\":") && !tree_has(tree, "\"oldVal\":")) {
		/* Allowed inside a transaction block from PostgreSQL 12 on, but
		 * the new value cannot be used before a commit. */
		snprintf(stmt->what, sizeof(stmt->what), "ALTER TYPE ... ADD VALUE");
		if (server_version == 0 || server_version >= 120000)
			stmt->kind = LADDER_STMT_NEEDS_COMMIT;
	}
	else
		stmt->kind = LADDER_STMT_PLAIN;
	for (size_t i = 0; stmt->kind == LADDER_STMT_PLAIN && i < sizeof(always_alone) / sizeof(always_alone[0]); i++)
		if (node_is(tree, always_alone[i].node)) {
			stmt->kind = LADDER_STMT_NO_TX;
			snprintf(stmt->what, sizeof(stmt->what), "%s", always_alone[i].what);
		}
}

/* The first token at or after `at` in text[0..end): white space, `--`
 * comments and block comments skipped, the latter nested as PostgreSQL
 * nests them (the split's locations may point at a comment before a
 * statement). */
static size_t skip_blank(const char *text, size_t end, size_t at)
{
	while (at < end) {
		if (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r' || text[at] == '\f' ||
		    text[at] == '\v') {
			at++;
		} else if (text[at] == '-' && at + 1 < end && text[at + 1] == '-') {
			while (at < end && text[at] != '\n')
				at++;
		} else if (text[at] == '/' && at + 1 < end && text[at + 1] == '*') {
			int depth = 0;
			do {
				if (text[at] == '/' && at + 1 < end && text[at + 1] == '*') {
					depth++;
					at += 2;
				} else if (text[at] == '*' && at + 1 < end && text[at + 1] == '/') {
					depth--;
					at += 2;
				} else {
					at++;
				}
			} while (depth > 0 && at < end);
		} else {
			break;
		}
	}
	return at < end ? at : end;
}

static int classify(ladder_stmt *stmt, const char *text, int server_version)
{
	PgQueryParseResult parsed;
	char *alone;

	stmt->kind = LADDER_STMT_PLAIN;
	if (!worth_parsing(text + stmt->offset, stmt->len))
		return 0;
	if ((alone = ladder_strndup(text + stmt->offset, stmt->len)) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reading a migration's statements");
	parsed = pg_query_parse(alone);
	if (parsed.error == NULL && parsed.parse_tree != NULL)
		classify_tree(stmt, parsed.parse_tree, server_version);
	pg_query_free_parse_result(parsed);
	ladder_free(alone);
	return 0;
}

int ladder_pg__statements(ladder_conn *base, const char *sql, size_t len, ladder_stmt **out, size_t *count)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	PgQuerySplitResult split = {0};
	ladder_stmt *list = NULL;
	char *text = NULL;
	size_t n = 0;
	int error = 0;

	*out = NULL;
	*count = 0;
	/* Without a connection (lint), libpg_query may not be loaded yet. */
	if (conn == NULL && (error = ladder_pg_query_load()) < 0)
		goto done;
	if ((text = ladder_strndup(sql, len)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory reading a migration's statements");
		goto done;
	}
	split = pg_query_split_with_parser(text);
	if (split.error != NULL) {
		/* Newer syntax than this libpg_query knows, or a plain typo the
		 * server will name: nothing to judge by before the run. */
		*count = SIZE_MAX;
		goto done;
	}
	if (split.n_stmts > 0 && (list = ladder_calloc((size_t)split.n_stmts, sizeof(*list))) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory reading a migration's statements");
		goto done;
	}
	for (int i = 0; i < split.n_stmts; i++) {
		size_t start = (size_t)split.stmts[i]->stmt_location;
		size_t end = split.stmts[i]->stmt_len > 0 ? start + (size_t)split.stmts[i]->stmt_len : len;
		ladder_stmt *stmt = &list[n];

		if (end > len)
			end = len;
		stmt->offset = skip_blank(text, end, start);
		if (stmt->offset >= end)
			continue;
		/* The parser's length stops short of the semicolon. */
		if (end < len && text[end] == ';')
			end++;
		stmt->len = end - stmt->offset;
		if ((error = classify(stmt, text, conn != NULL ? PQserverVersion(conn->pg) : 0)) < 0)
			goto done;
		n++;
	}
	*out = list;
	*count = n;
	list = NULL;
done:
	pg_query_free_split_result(split);
	ladder_free(list);
	ladder_free(text);
	return error;
}
