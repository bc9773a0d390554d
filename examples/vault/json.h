/*
 * json.h — the little JSON the vault needs: check that credential data is a
 * JSON object (RFC 8259 syntax, nothing else is judged) and write strings
 * escaped for JSON output.
 */
#ifndef VAULT_JSON_H
#define VAULT_JSON_H

#include <stddef.h>
#include <stdio.h>

/* 1 when text[0..len) is one JSON value (surrounded by optional
 * whitespace), 0 otherwise; *is_object says whether it is an object. Nesting
 * deeper than 64 levels is refused. */
int vault_json_valid(const char *text, size_t len, int *is_object);

/* Write s[0..len) as a JSON string literal, quotes included. Bytes >= 0x80
 * are passed through (the vault stores UTF-8); control characters are
 * escaped. */
void vault_json_string(FILE *out, const char *s, size_t len);

#endif /* VAULT_JSON_H */
