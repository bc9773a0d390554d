/*
 * digest.c — checksums and chain digests: SHA-256 (FIPS 180-4), built in.
 * A no-op `up` hashes every up file, and OpenSSL made that the dearest part
 * of a process that does nothing: loading libcrypto and setting up its
 * providers (reading openssl.cnf) cost more than the whole `sqlite3` run
 * it is measured against. Nothing else in the library needed it.
 */
#include "digest.h"

#include "ladder.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct {
	uint32_t state[8];
	uint64_t length; /* bytes hashed so far */
	unsigned char block[64];
	size_t used; /* bytes waiting in block */
} hasher;

static const uint32_t round_constants[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void compress(uint32_t state[8], const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
		       (uint32_t)p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = state[0], b = state[1], c = state[2], d = state[3];
	e = state[4], f = state[5], g = state[6], h = state[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + round_constants[i] + w[i];
		uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	state[0] += a, state[1] += b, state[2] += c, state[3] += d;
	state[4] += e, state[5] += f, state[6] += g, state[7] += h;
}

static void hasher_start(hasher *h)
{
	static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(h->state, initial, sizeof(initial));
	h->length = 0;
	h->used = 0;
}

static void hasher_add(hasher *h, const void *data, size_t len)
{
	const unsigned char *p = data;

	h->length += len;
	if (h->used > 0) {
		size_t take = 64 - h->used < len ? 64 - h->used : len;
		memcpy(h->block + h->used, p, take);
		h->used += take, p += take, len -= take;
		if (h->used < 64)
			return;
		compress(h->state, h->block);
		h->used = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		compress(h->state, p);
	memcpy(h->block, p, len);
	h->used = len;
}

static void hasher_finish(hasher *h, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t bits = h->length * 8;

	/* 0x80, zeros to 56 bytes into a block, the length in bits (big-endian) */
	h->block[h->used++] = 0x80;
	if (h->used > 56) {
		memset(h->block + h->used, 0, 64 - h->used);
		compress(h->state, h->block);
		h->used = 0;
	}
	memset(h->block + h->used, 0, 56 - h->used);
	for (int i = 0; i < 8; i++)
		h->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	compress(h->state, h->block);
	for (int i = 0; i < 32; i++) {
		unsigned char byte = (unsigned char)(h->state[i / 4] >> (24 - 8 * (i % 4)));
		out[2 * i] = hex[byte >> 4];
		out[2 * i + 1] = hex[byte & 0xf];
	}
	out[64] = '\0';
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
