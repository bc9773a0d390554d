/*
 * sqlite_statements.c — migration text split into statements the way SQLite
 * splits it (sqlite3_complete: its own tokenizer, which knows quotes,
 * comments and trigger bodies) and sorted by what each does to the
 * transaction around it. Nothing is prepared: a step's tables need not
 * exist yet when its text is read.
 */
#include "sqlite_internal.h"

#include "sqlwords.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* `PRAGMA [schema.]foreign_keys = value`: 1 off, 2 on, 0 something else. */
static int foreign_keys_pragma(const char *text, size_t len)
{
	char words[4][32];
	size_t n = ladder_sql_words(text, len, words, 4);
	const char *value;

	if (n < 3 || strcmp(words[0], "PRAGMA") != 0)
		return 0;
	/* The words skip the '.' and '=': PRAGMA main . foreign_keys = off */
	if (strcmp(words[1], "FOREIGN_KEYS") == 0)
		value = words[2];
	else if (n == 4 && strcmp(words[2], "FOREIGN_KEYS") == 0)
		value = words[3];
	else
		return 0;
	if (strcmp(value, "OFF") == 0 || strcmp(value, "0") == 0 || strcmp(value, "FALSE") == 0 ||
	    strcmp(value, "NO") == 0)
		return 1;
	if (strcmp(value, "ON") == 0 || strcmp(value, "1") == 0 || strcmp(value, "TRUE") == 0 ||
	    strcmp(value, "YES") == 0)
		return 2;
	return 0;
}

static void classify(ladder_stmt *stmt, const char *text)
{
	char words[3][32];
	size_t n = ladder_sql_words(text + stmt->offset, stmt->len, words, 3);
	const char *first = n > 0 ? words[0] : "";
	int pragma;

	stmt->kind = LADDER_STMT_PLAIN;
	snprintf(stmt->what, sizeof(stmt->what), "%s", first);
	if (strcmp(first, "BEGIN") == 0) {
		stmt->kind = LADDER_STMT_BEGIN;
	} else if (strcmp(first, "COMMIT") == 0 || strcmp(first, "END") == 0) {
		stmt->kind = LADDER_STMT_COMMIT;
	} else if (strcmp(first, "ROLLBACK") == 0) {
		/* ROLLBACK [TRANSACTION] TO [SAVEPOINT] name stays inside. */
		int to = (n > 1 && strcmp(words[1], "TO") == 0) || (n > 2 && strcmp(words[2], "TO") == 0);
		stmt->kind = to ? LADDER_STMT_SAVEPOINT : LADDER_STMT_ROLLBACK;
		if (to)
			snprintf(stmt->what, sizeof(stmt->what), "ROLLBACK TO");
	} else if (strcmp(first, "SAVEPOINT") == 0 || strcmp(first, "RELEASE") == 0) {
		stmt->kind = LADDER_STMT_SAVEPOINT;
	} else if (strcmp(first, "VACUUM") == 0 || strcmp(first, "ATTACH") == 0 || strcmp(first, "DETACH") == 0) {
		/* "cannot VACUUM from within a transaction", and likewise ATTACH. */
		stmt->kind = LADDER_STMT_NO_TX;
	} else if ((pragma = foreign_keys_pragma(text + stmt->offset, stmt->len)) != 0) {
		stmt->kind = pragma == 1 ? LADDER_STMT_FOREIGN_KEYS_OFF : LADDER_STMT_FOREIGN_KEYS_ON;
		snprintf(stmt->what, sizeof(stmt->what), "PRAGMA foreign_keys = %s", pragma == 1 ? "OFF" : "ON");
	} else if (n > 1 && strcmp(first, "PRAGMA") == 0 &&
	           (strcmp(words[1], "JOURNAL_MODE") == 0 || (n > 2 && strcmp(words[2], "JOURNAL_MODE") == 0))) {
		/* "cannot change into wal mode from within a transaction" */
		stmt->kind = LADDER_STMT_NO_TX;
		snprintf(stmt->what, sizeof(stmt->what), "PRAGMA journal_mode");
	}
}

/* If text[i] opens a string, a quoted name or a comment (as SQLite's
 * tokenizer reads them: '' and "" and `` doubled inside, [names], -- to
 * the end of the line, block comments that do not nest), the index of its
 * last byte (len if it never closes); else i. */
static size_t skip_quoted(const char *text, size_t len, size_t i)
{
	char close;

	if (text[i] == '-' && i + 1 < len && text[i + 1] == '-') {
		while (i < len && text[i] != '\n')
			i++;
		return i;
	}
	if (text[i] == '/' && i + 1 < len && text[i + 1] == '*') {
		for (i += 2; i + 1 < len; i++)
			if (text[i] == '*' && text[i + 1] == '/')
				return i + 1;
		return len;
	}
	if (text[i] == '\'' || text[i] == '"' || text[i] == '`')
		close = text[i];
	else if (text[i] == '[')
		close = ']';
	else
		return i;
	for (i++; i < len; i++) {
		if (text[i] != close)
			continue;
		if (close != ']' && i + 1 < len && text[i + 1] == close) {
			i++; /* a doubled quote stands for itself */
			continue;
		}
		return i;
	}
	return len;
}

static int push(ladder_stmt **list, size_t *count, size_t *capacity, const char *text, size_t start,
                size_t end)
{
	size_t first = ladder_text_skip_blank(text, end, start);

	if (first >= end)
		return 0; /* white space and comments only */
	if (*count == *capacity) {
		size_t grown_capacity = *capacity ? *capacity * 2 : 16;
		ladder_stmt *grown = ladder_realloc(*list, grown_capacity * sizeof(*grown));
		if (grown == NULL)
			return ladder_error_set(LADDER_ENOMEM, "out of memory reading a migration's statements");
		*list = grown;
		*capacity = grown_capacity;
	}
	memset(&(*list)[*count], 0, sizeof(ladder_stmt));
	(*list)[*count].offset = first;
	(*list)[*count].len = end - first;
	classify(&(*list)[*count], text);
	(*count)++;
	return 0;
}

int ladder_sqlite__statements(ladder_conn *base, const char *sql, size_t len, ladder_stmt **out, size_t *count)
{
	ladder_stmt *list = NULL;
	size_t n = 0, capacity = 0, start = 0;
	char *copy = NULL;
	int error = 0;

	(void)base;
	*out = NULL;
	*count = 0;
	/* sqlite3_complete reads NUL-terminated text: a copy in which each
	 * candidate end is NUL-terminated in turn. */
	if ((copy = ladder_malloc(len + 1)) == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory reading a migration's statements");
		goto done;
	}
	memcpy(copy, sql, len);
	copy[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		char saved;
		int complete;

		/* A ';' in a string, quoted name or comment ends nothing: skip
		 * those whole, so sqlite3_complete (which re-reads the statement
		 * from its start) is asked only at a ';' that may end it, and a
		 * string of many semicolons costs one pass, not one per ';'. */
		i = skip_quoted(copy, len, i);
		if (i >= len || copy[i] != ';')
			continue;
		saved = copy[i + 1];
		copy[i + 1] = '\0';
		complete = sqlite3_complete(copy + start);
		copy[i + 1] = saved;
		if (!complete)
			continue;
		if ((error = push(&list, &n, &capacity, copy, start, i + 1)) < 0)
			goto done;
		start = i + 1;
	}
	if ((error = push(&list, &n, &capacity, copy, start, len)) < 0)
		goto done;
	*out = list;
	*count = n;
	list = NULL;
done:
	ladder_free(list);
	ladder_free(copy);
	return error;
}
