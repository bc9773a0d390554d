/*
 * sqlwords.h — reading the leading keywords of one statement that an
 * engine's parser has already delimited. Drivers use it to decide which
 * statements are worth handing to the full parser: keywords cannot be
 * quoted, so the first words of a statement are plain text.
 */
#ifndef LADDER_SQLWORDS_H
#define LADDER_SQLWORDS_H

#include <stddef.h>

/* The statement's words, up to `max` of them, each at most 31 bytes and
 * upper-cased into words[i]; comments, white space and the punctuation
 * . = ( ) ' " between them are skipped, and reading stops at any other
 * character that is neither a letter, digit nor underscore. Returns how
 * many were read. */
size_t ladder_sql_words(const char *text, size_t len, char words[][32], size_t max);

/* 1 if text[0..len) holds `word` (upper case) in any case, anywhere. */
int ladder_sql_mentions(const char *text, size_t len, const char *word);

#endif /* LADDER_SQLWORDS_H */
