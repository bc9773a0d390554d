/*
 * secret.c — keeping passwords out of output, for every driver: a server's
 * message (which may quote the connection string) with the password
 * masked, and a field of a display name masked whole. One rule for all
 * engines: a short password is masked only where it stands alone, so that
 * "e" does not turn "refused" into "r****fus****d". And a secret's memory
 * wiped before it is freed.
 */
#include "ladder/sys/driver.h"

#include <openssl/crypto.h>
#include <string.h>

#define MASK "****"
#define SHORT_SECRET 4

static int word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Does secret stand at p (alone, for a short one)? */
static int secret_at(const char *text, const char *p, const char *secret, size_t secret_len)
{
	if (strncmp(p, secret, secret_len) != 0)
		return 0;
	if (secret_len >= SHORT_SECRET)
		return 1;
	return (p == text || !word_char(p[-1])) && !word_char(p[secret_len]);
}

char *ladder_mask_secret(const char *text, const char *secret)
{
	size_t secret_len = secret ? strlen(secret) : 0;
	size_t count = 0;
	const char *p;
	char *out, *w;

	if (secret_len == 0)
		return ladder_strdup(text);
	for (p = text; (p = strstr(p, secret)) != NULL; p += secret_len)
		count++;
	if ((out = ladder_malloc(strlen(text) + count * sizeof(MASK) + 1)) == NULL)
		return NULL;
	for (w = out, p = text; *p;) {
		if (secret_at(text, p, secret, secret_len)) {
			memcpy(w, MASK, sizeof(MASK) - 1);
			w += sizeof(MASK) - 1;
			p += secret_len;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	return out;
}

const char *ladder_secret_field(const char *field, const char *secret)
{
	if (field == NULL)
		return "";
	if (secret && secret[0] &&
	    (strcmp(field, secret) == 0 || (strlen(secret) >= SHORT_SECRET && strstr(field, secret))))
		return MASK;
	return field;
}

void ladder_wipe(void *secret, size_t len)
{
	if (secret != NULL)
		OPENSSL_cleanse(secret, len);
}
