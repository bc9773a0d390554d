/*
 * digest.c — checksums and chain digests: SHA-256 from OpenSSL's libcrypto.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co: see hasher below */
#include "digest.h"

#include "ladder.h"

#include <inttypes.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

/* OpenSSL's SHA-256 itself, not its EVP layer: the first EVP call sets up
 * providers and reads openssl.cnf, which cost more (4 to 13 ms) than the
 * whole no-op run it serves. The direct functions are deprecated in
 * OpenSSL 3 in favour of EVP, and kept for exactly this use. */
typedef SHA256_CTX hasher;

static void hasher_start(hasher *h)
{
	SHA256_Init(h);
}

static void hasher_add(hasher *h, const void *data, size_t len)
{
	SHA256_Update(h, data, len);
}

static void hasher_finish(hasher *h, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256_Final(md, h);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * SHA256_DIGEST_LENGTH] = '\0';
}

int ladder_checksum_text(char *out, const char *text, size_t len)
{
	hasher h;
	size_t run_start = 0;

	hasher_start(&h);
	/* Hash the runs between CRs that precede an LF, skipping those CRs. */
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n') {
			hasher_add(&h, text + run_start, i - run_start);
			run_start = i + 1;
		}
	}
	hasher_add(&h, text + run_start, len - run_start);
	hasher_finish(&h, out);
	return 0;
}

int ladder_checksum_parts(char *out, const char *const *parts, size_t count)
{
	hasher h;

	hasher_start(&h);
	for (size_t i = 0; i < count; i++) {
		const char *part = parts[i] ? parts[i] : "";
		if (i > 0)
			hasher_add(&h, "\n", 1);
		hasher_add(&h, part, strlen(part));
	}
	hasher_finish(&h, out);
	return 0;
}

int ladder_chain_next(char *out, const char *prev, int64_t version, const char *checksum)
{
	char buf[256];
	hasher h;
	int len = snprintf(buf, sizeof(buf), "%s\n%" PRId64 " %s", prev, version, checksum);

	if (len < 0 || (size_t)len >= sizeof(buf))
		return ladder_error_set(LADDER_EINVALID, "chain input too long");
	hasher_start(&h);
	hasher_add(&h, buf, (size_t)len);
	hasher_finish(&h, out);
	return 0;
}

int ladder_chain_baseline(char *out, int64_t version)
{
	return ladder_chain_next(out, "baseline", version, "");
}
