/*
 * sqlwords.c — the leading keywords of a statement, for drivers that sort
 * statements before parsing the few that matter (see sqlwords.h).
 */
#include "sqlwords.h"

#include "sqltext.h"

#include <ctype.h>
#include <string.h>

static int is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

size_t ladder_sql_words(const char *text, size_t len, char words[][32], size_t max)
{
	size_t at = 0, count = 0;

	while (count < max) {
		size_t n = 0;

		at = ladder_text_skip_blank(text, len, at);
		/* PRAGMA main.foreign_keys = 'off': the punctuation and quotes
		 * between words are no words themselves. */
		while (at < len && strchr(".=()'\"", text[at]) != NULL && text[at] != '\0')
			at = ladder_text_skip_blank(text, len, at + 1);
		if (at >= len || !is_word_char(text[at]))
			break;
		while (at < len && is_word_char(text[at])) {
			if (n < 31)
				words[count][n++] = (char)toupper((unsigned char)text[at]);
			at++;
		}
		words[count++][n] = '\0';
	}
	return count;
}

int ladder_sql_mentions(const char *text, size_t len, const char *word)
{
	size_t word_len = strlen(word);

	for (size_t i = 0; i + word_len <= len; i++) {
		size_t j = 0;
		while (j < word_len && toupper((unsigned char)text[i + j]) == word[j])
			j++;
		if (j == word_len)
			return 1;
	}
	return 0;
}
