/*
 * digest.c — checksums and chain digests, with OpenSSL's libcrypto doing the
 * hashing.
 */
#include "digest.h"

#include "ladder.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

static void to_hex(char *out, const unsigned char *md, unsigned int len)
{
	static const char hex[] = "0123456789abcdef";
	for (unsigned int i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * len] = '\0';
}

typedef struct {
	EVP_MD_CTX *ctx;
} hasher;

static int hasher_start(hasher *h)
{
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(h->ctx);
		h->ctx = NULL;
		return ladder_error_set(LADDER_ENOMEM, "cannot start a SHA-256 digest");
	}
	return 0;
}

static int hasher_add(hasher *h, const void *data, size_t len)
{
	if (len > 0 && EVP_DigestUpdate(h->ctx, data, len) != 1)
		return ladder_error_set(LADDER_ERROR, "SHA-256 update failed");
	return 0;
}

static int hasher_finish(hasher *h, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	int error = 0;

	if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1)
		error = ladder_error_set(LADDER_ERROR, "SHA-256 finish failed");
	else
		to_hex(out, md, len);
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
	return error;
}

int ladder_checksum_text(char *out, const char *text, size_t len)
{
	hasher h;
	size_t run_start = 0;
	int error;

	if ((error = hasher_start(&h)) < 0)
		return error;
	/* Hash the runs between CRs that precede an LF, skipping those CRs. */
	for (size_t i = 0; i < len && error == 0; i++) {
		if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n') {
			error = hasher_add(&h, text + run_start, i - run_start);
			run_start = i + 1;
		}
	}
	if (error == 0)
		error = hasher_add(&h, text + run_start, len - run_start);
	if (error == 0)
		return hasher_finish(&h, out);
	EVP_MD_CTX_free(h.ctx);
	return error;
}

int ladder_checksum_parts(char *out, const char *const *parts, size_t count)
{
	hasher h;
	int error;

	if ((error = hasher_start(&h)) < 0)
		return error;
	for (size_t i = 0; i < count && error == 0; i++) {
		const char *part = parts[i] ? parts[i] : "";
		if (i > 0)
			error = hasher_add(&h, "\n", 1);
		if (error == 0)
			error = hasher_add(&h, part, strlen(part));
	}
	if (error == 0)
		return hasher_finish(&h, out);
	EVP_MD_CTX_free(h.ctx);
	return error;
}

int ladder_chain_next(char *out, const char *prev, int64_t version, const char *checksum)
{
	char buf[256];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	int len = snprintf(buf, sizeof(buf), "%s\n%" PRId64 " %s", prev, version, checksum);

	if (len < 0 || (size_t)len >= sizeof(buf))
		return ladder_error_set(LADDER_EINVALID, "chain input too long");
	/* One-shot EVP_Digest: this runs once per recorded step. */
	if (EVP_Digest(buf, (size_t)len, md, &md_len, EVP_sha256(), NULL) != 1)
		return ladder_error_set(LADDER_ERROR, "SHA-256 failed");
	to_hex(out, md, md_len);
	return 0;
}

int ladder_chain_baseline(char *out, int64_t version)
{
	return ladder_chain_next(out, "baseline", version, "");
}
