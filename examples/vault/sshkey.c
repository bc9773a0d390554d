/*
 * sshkey.c — read unencrypted OpenSSH private keys and re-encode them as
 * PKCS#8 DER (see sshkey.h). The format, from OpenSSH's PROTOCOL.key:
 *
 *   "openssh-key-v1\0"
 *   string ciphername ("none")      string kdfname ("none")
 *   string kdfoptions (empty)       uint32 number of keys (1)
 *   string public key blob          string private section
 *
 *   private section: uint32 check, uint32 check (equal), string key type,
 *     ssh-ed25519: string pub (32), string priv (64: seed || pub)
 *     ssh-rsa:     mpint n, e, d, iqmp, p, q
 *   then string comment and padding bytes 1, 2, 3, ... to a multiple of 8.
 *
 * Every length is checked against what is left of its buffer before it is
 * used: a key that lies about a length is refused with the byte offset (in
 * the decoded key) where it stops making sense, never read past.
 */
#include "sshkey.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ED25519_LEN 32
#define RSA_MPINT_MAX 2049 /* 16384 bits and a sign byte */
#define BLOCK_SIZE 8       /* the "none" cipher's block size */

static const char armour_begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
static const char armour_end[] = "-----END OPENSSH PRIVATE KEY-----";
static const char magic[] = "openssh-key-v1"; /* sizeof includes the NUL the format has */

/* --- messages ----------------------------------------------------------------- */

static int refuse(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Bytes from a key, made safe to print: at most 32, others as '?'. */
static const char *printable(const unsigned char *p, size_t n, char out[40])
{
	size_t i, k = 0;
	for (i = 0; i < n && k < 32; i++)
		out[k++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	if (i < n) {
		out[k++] = '.', out[k++] = '.', out[k++] = '.';
	}
	out[k] = '\0';
	return out;
}

static int bytes_are(const unsigned char *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* --- the bounded reader ---------------------------------------------------------- */

typedef struct reader {
	const unsigned char *buf;
	size_t len, pos;
	size_t base;         /* offset of buf[0] in the decoded key, for messages */
	const char *section; /* "key header", "RSA private section", ... */
	char *err;
	size_t errlen;
} reader;

static size_t left(const reader *r)
{
	return r->len - r->pos;
}

static size_t at(const reader *r)
{
	return r->base + r->pos;
}

static int rd_u32(reader *r, const char *what, uint32_t *v)
{
	const unsigned char *p;

	if (left(r) < 4)
		return refuse(r->err, r->errlen, "%s truncated at byte %zu: %s needs 4 bytes, %zu left", r->section, at(r),
		            what, left(r));
	p = r->buf + r->pos;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
	r->pos += 4;
	return 0;
}

static int rd_string(reader *r, const char *what, const unsigned char **data, size_t *n)
{
	size_t start = at(r);
	uint32_t len = 0;

	if (rd_u32(r, what, &len) < 0)
		return -1;
	if (len > left(r))
		return refuse(r->err, r->errlen, "%s truncated at byte %zu: %s claims %lu bytes, %zu left", r->section, start,
		            what, (unsigned long)len, left(r));
	*data = r->buf + r->pos;
	*n = len;
	r->pos += len;
	return 0;
}

/* A string of exactly `want` bytes. */
static int rd_fixed(reader *r, const char *what, size_t want, const unsigned char **data)
{
	size_t start = at(r), n;

	if (rd_string(r, what, data, &n) < 0)
		return -1;
	if (n != want)
		return refuse(r->err, r->errlen, "%s at byte %zu: %s is %zu bytes, expected %zu", r->section, start, what, n,
		            want);
	return 0;
}

/* A non-negative mpint: its raw bytes (as stored) and its value. */
static int rd_mpint(reader *r, const char *what, const unsigned char **raw, size_t *raw_len, BIGNUM **bn)
{
	size_t start = at(r);

	if (rd_string(r, what, raw, raw_len) < 0)
		return -1;
	if (*raw_len > 0 && ((*raw)[0] & 0x80))
		return refuse(r->err, r->errlen, "%s at byte %zu: %s is negative", r->section, start, what);
	if (*raw_len > RSA_MPINT_MAX)
		return refuse(r->err, r->errlen, "%s at byte %zu: %s is too large (%zu bytes)", r->section, start, what,
		            *raw_len);
	if ((*bn = BN_bin2bn(*raw, (int)*raw_len, NULL)) == NULL)
		return refuse(r->err, r->errlen, "out of memory reading %s", what);
	return 0;
}

/* --- small encoders ------------------------------------------------------------------ */

static unsigned char *put_string(unsigned char *p, const void *data, size_t n)
{
	p[0] = (unsigned char)(n >> 24);
	p[1] = (unsigned char)(n >> 16);
	p[2] = (unsigned char)(n >> 8);
	p[3] = (unsigned char)n;
	memcpy(p + 4, data, n);
	return p + 4 + n;
}

char *vault_base64(const unsigned char *data, size_t len, int url)
{
	char *out;
	size_t n;

	if (len > (size_t)1 << 28 || (out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	if (url) {
		n = strlen(out);
		while (n > 0 && out[n - 1] == '=')
			out[--n] = '\0';
		for (size_t i = 0; i < n; i++)
			out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	}
	return out;
}

void vault_fingerprint(char out[VAULT_FINGERPRINT_MAX], const unsigned char *blob, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char b64[64];
	unsigned int md_len = 0;
	size_t n;

	out[0] = '\0';
	if (EVP_Digest(blob, len, md, &md_len, EVP_sha256(), NULL) != 1)
		return;
	EVP_EncodeBlock(b64, md, (int)md_len); /* 44 characters for 32 bytes */
	n = strlen((char *)b64);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	snprintf(out, VAULT_FINGERPRINT_MAX, "SHA256:%.*s", (int)n, (char *)b64);
}

char *vault_public_line(const unsigned char *blob, size_t len)
{
	reader r = {blob, len, 0, 0, "public key", NULL, 0};
	const unsigned char *type;
	size_t type_len;
	char *b64, *line = NULL;

	if (rd_string(&r, "key type", &type, &type_len) < 0 || type_len == 0 || type_len > 64)
		return NULL;
	for (size_t i = 0; i < type_len; i++)
		if (type[i] <= 0x20 || type[i] >= 0x7f)
			return NULL;
	if ((b64 = vault_base64(blob, len, 0)) == NULL)
		return NULL;
	if ((line = malloc(type_len + 1 + strlen(b64) + 1)) != NULL)
		sprintf(line, "%.*s %s", (int)type_len, (const char *)type, b64);
	free(b64);
	return line;
}

void vault_key_clear(vault_key *key)
{
	if (key == NULL)
		return;
	OPENSSL_clear_free(key->der, key->der_len);
	free(key->pub);
	free(key->comment);
	memset(key, 0, sizeof(*key));
}

/* --- building the key with libcrypto ---------------------------------------------------- */

static int finish(vault_key *out, EVP_PKEY *pkey, char *err, size_t errlen)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pkey);
	unsigned char *der = NULL;
	int n;

	if (p8 == NULL)
		return refuse(err, errlen, "libcrypto cannot express the key as PKCS#8");
	n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (n <= 0)
		return refuse(err, errlen, "libcrypto cannot write the key as PKCS#8 DER");
	out->der = der;
	out->der_len = (size_t)n;
	return 0;
}

static int build_ed25519(vault_key *out, const unsigned char *pub, const unsigned char *priv, char *err,
                         size_t errlen)
{
	unsigned char derived[ED25519_LEN];
	size_t derived_len = sizeof(derived);
	EVP_PKEY *pkey;
	int error;

	/* priv is seed || pub: the seed is the private key. */
	if (CRYPTO_memcmp(priv + ED25519_LEN, pub, ED25519_LEN) != 0)
		return refuse(err, errlen, "ed25519 private section: the private key's copy of the public key differs");
	if ((pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, ED25519_LEN)) == NULL)
		return refuse(err, errlen, "libcrypto refuses the ed25519 private key");
	if (EVP_PKEY_get_raw_public_key(pkey, derived, &derived_len) != 1 || derived_len != ED25519_LEN ||
	    CRYPTO_memcmp(derived, pub, ED25519_LEN) != 0)
		error = refuse(err, errlen, "ed25519 private section: the private key does not give its public key");
	else
		error = finish(out, pkey, err, errlen);
	EVP_PKEY_free(pkey);
	return error;
}

/* n = p q, iqmp = q^-1 mod p, e d = 1 mod p-1 and mod q-1: the private key
 * belongs to the public (n, e). dmp1 and dmq1 are computed on the way. */
static int check_rsa(BIGNUM *const v[6], BIGNUM *dmp1, BIGNUM *dmq1, char *err, size_t errlen)
{
	BIGNUM *n = v[0], *e = v[1], *d = v[2], *iqmp = v[3], *p = v[4], *q = v[5];
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *t, *pm1, *qm1;
	int error = -1;

	if (ctx == NULL)
		return refuse(err, errlen, "out of memory checking the RSA key");
	BN_CTX_start(ctx);
	t = BN_CTX_get(ctx);
	pm1 = BN_CTX_get(ctx);
	qm1 = BN_CTX_get(ctx);
	if (qm1 == NULL) {
		refuse(err, errlen, "out of memory checking the RSA key");
		goto done;
	}
	if (BN_is_zero(n) || BN_is_zero(d) || BN_cmp(p, BN_value_one()) <= 0 || BN_cmp(q, BN_value_one()) <= 0 ||
	    !BN_is_odd(e) || BN_cmp(e, BN_value_one()) <= 0) {
		refuse(err, errlen, "RSA private section: a zero or out-of-range number (n, e, d, p or q)");
		goto done;
	}
	if (!BN_mul(t, p, q, ctx) || BN_cmp(t, n) != 0) {
		refuse(err, errlen, "RSA private section: p * q is not n (the private key does not match the public key)");
		goto done;
	}
	if (!BN_mod_mul(t, q, iqmp, p, ctx) || !BN_is_one(t)) {
		refuse(err, errlen, "RSA private section: iqmp is not the inverse of q mod p");
		goto done;
	}
	if (!BN_copy(pm1, p) || !BN_sub_word(pm1, 1) || !BN_copy(qm1, q) || !BN_sub_word(qm1, 1) ||
	    !BN_mod(dmp1, d, pm1, ctx) || !BN_mod(dmq1, d, qm1, ctx)) {
		refuse(err, errlen, "out of memory checking the RSA key");
		goto done;
	}
	if (!BN_mod_mul(t, e, dmp1, pm1, ctx) || !BN_is_one(t) || !BN_mod_mul(t, e, dmq1, qm1, ctx) || !BN_is_one(t)) {
		refuse(err, errlen, "RSA private section: d is not the private exponent for e");
		goto done;
	}
	error = 0;
done:
	BN_CTX_end(ctx);
	BN_CTX_free(ctx);
	return error;
}

static int build_rsa(vault_key *out, BIGNUM *const v[6], char *err, size_t errlen)
{
	static const char *const names[6] = {OSSL_PKEY_PARAM_RSA_N,       OSSL_PKEY_PARAM_RSA_E,
	                                     OSSL_PKEY_PARAM_RSA_D,       OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	                                     OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2};
	BIGNUM *dmp1 = BN_secure_new(), *dmq1 = BN_secure_new();
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	int ok = 1, error = -1;

	if (dmp1 == NULL || dmq1 == NULL) {
		refuse(err, errlen, "out of memory building the RSA key");
		goto done;
	}
	if (check_rsa(v, dmp1, dmq1, err, errlen) < 0)
		goto done;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL) {
		refuse(err, errlen, "out of memory building the RSA key");
		goto done;
	}
	for (int i = 0; i < 6; i++)
		ok &= OSSL_PARAM_BLD_push_BN(bld, names[i], v[i]);
	ok &= OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dmp1);
	ok &= OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dmq1);
	if (!ok || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1) {
		refuse(err, errlen, "libcrypto refuses the RSA key");
		goto done;
	}
	error = finish(out, pkey, err, errlen);
done:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(dmp1);
	BN_clear_free(dmq1);
	return error;
}

/* --- the private section ------------------------------------------------------------------ */

static int read_comment_and_padding(vault_key *out, reader *r)
{
	const unsigned char *comment;
	size_t comment_len, pad, start;

	if (rd_string(r, "the comment", &comment, &comment_len) < 0)
		return -1;
	pad = left(r);
	start = at(r);
	if (pad >= BLOCK_SIZE)
		return refuse(r->err, r->errlen, "%s at byte %zu: %zu bytes follow the comment (padding is at most %d)",
		            r->section, start, pad, BLOCK_SIZE - 1);
	for (size_t i = 0; i < pad; i++)
		if (r->buf[r->pos + i] != (unsigned char)(i + 1))
			return refuse(r->err, r->errlen, "%s: padding byte at byte %zu is %u, expected %zu", r->section, start + i,
			            r->buf[r->pos + i], i + 1);
	if ((out->comment = malloc(comment_len + 1)) == NULL)
		return refuse(r->err, r->errlen, "out of memory reading the comment");
	memcpy(out->comment, comment, comment_len);
	out->comment[comment_len] = '\0';
	return 0;
}

static int parse_ed25519(vault_key *out, reader *r, const unsigned char *header_pub, size_t header_pub_len)
{
	static const char type[] = "ssh-ed25519";
	const unsigned char *pub, *priv;
	unsigned char *blob;
	size_t blob_len = 4 + sizeof(type) - 1 + 4 + ED25519_LEN;

	r->section = "ed25519 private section";
	if (rd_fixed(r, "the public key", ED25519_LEN, &pub) < 0 || rd_fixed(r, "the private key", 2 * ED25519_LEN, &priv) < 0 ||
	    read_comment_and_padding(out, r) < 0)
		return -1;
	if ((blob = malloc(blob_len)) == NULL)
		return refuse(r->err, r->errlen, "out of memory");
	put_string(put_string(blob, type, sizeof(type) - 1), pub, ED25519_LEN);
	out->pub = blob;
	out->pub_len = blob_len;
	if (header_pub_len != blob_len || memcmp(header_pub, blob, blob_len) != 0)
		return refuse(r->err, r->errlen, "the key header's public key differs from the ed25519 private section's");
	snprintf(out->type, sizeof(out->type), "ed25519");
	return build_ed25519(out, pub, priv, r->err, r->errlen);
}

static int parse_rsa(vault_key *out, reader *r, const unsigned char *header_pub, size_t header_pub_len)
{
	static const char type[] = "ssh-rsa";
	static const char *const what[6] = {"n", "e", "d", "iqmp", "p", "q"};
	const unsigned char *raw[6];
	size_t raw_len[6], blob_len;
	BIGNUM *v[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
	unsigned char *blob;
	int error = -1;

	r->section = "RSA private section";
	for (int i = 0; i < 6; i++)
		if (rd_mpint(r, what[i], &raw[i], &raw_len[i], &v[i]) < 0)
			goto done;
	if (read_comment_and_padding(out, r) < 0)
		goto done;
	/* The public blob is string "ssh-rsa", mpint e, mpint n, as stored. */
	blob_len = 4 + sizeof(type) - 1 + 4 + raw_len[1] + 4 + raw_len[0];
	if ((blob = malloc(blob_len)) == NULL) {
		refuse(r->err, r->errlen, "out of memory");
		goto done;
	}
	put_string(put_string(put_string(blob, type, sizeof(type) - 1), raw[1], raw_len[1]), raw[0], raw_len[0]);
	out->pub = blob;
	out->pub_len = blob_len;
	if (header_pub_len != blob_len || memcmp(header_pub, blob, blob_len) != 0) {
		refuse(r->err, r->errlen, "the key header's public key differs from the RSA private section's");
		goto done;
	}
	snprintf(out->type, sizeof(out->type), "rsa");
	error = build_rsa(out, v, r->err, r->errlen);
done:
	for (int i = 0; i < 6; i++)
		BN_clear_free(v[i]);
	return error;
}

static int parse_private(vault_key *out, reader *r, const unsigned char *header_pub, size_t header_pub_len)
{
	const unsigned char *type;
	size_t type_len;
	uint32_t check1, check2;
	char shown[40];

	if (r->len % BLOCK_SIZE != 0)
		return refuse(r->err, r->errlen, "private section at byte %zu: its length %zu is not a multiple of %d", r->base,
		            r->len, BLOCK_SIZE);
	if (rd_u32(r, "the first check integer", &check1) < 0 || rd_u32(r, "the second check integer", &check2) < 0)
		return -1;
	if (check1 != check2)
		return refuse(r->err, r->errlen, "private section at byte %zu: the check integers differ (the section is corrupt)",
		            r->base);
	if (rd_string(r, "the key type", &type, &type_len) < 0)
		return -1;
	if (bytes_are(type, type_len, "ssh-ed25519"))
		return parse_ed25519(out, r, header_pub, header_pub_len);
	if (bytes_are(type, type_len, "ssh-rsa"))
		return parse_rsa(out, r, header_pub, header_pub_len);
	return refuse(r->err, r->errlen, "unsupported key type '%s' (the vault holds ssh-ed25519 and ssh-rsa keys)",
	            printable(type, type_len, shown));
}

int vault_key_from_openssh_binary(vault_key *out, const unsigned char *bin, size_t len, char *err, size_t errlen)
{
	reader r = {bin, len, 0, 0, "key header", err, errlen};
	reader priv;
	const unsigned char *cipher, *kdf, *kdfopts, *pub, *section;
	size_t cipher_len, kdf_len, kdfopts_len, pub_len, section_len, section_at;
	uint32_t nkeys;
	char shown[40];

	memset(out, 0, sizeof(*out));
	if (len < sizeof(magic) || memcmp(bin, magic, sizeof(magic)) != 0)
		return refuse(err, errlen, "not an OpenSSH private key: the \"openssh-key-v1\" magic is missing");
	r.pos = sizeof(magic);
	if (rd_string(&r, "the cipher name", &cipher, &cipher_len) < 0 ||
	    rd_string(&r, "the KDF name", &kdf, &kdf_len) < 0 ||
	    rd_string(&r, "the KDF options", &kdfopts, &kdfopts_len) < 0)
		goto fail;
	if (!bytes_are(cipher, cipher_len, "none")) {
		refuse(err, errlen, "the key is encrypted (cipher %s): remove its passphrase first (ssh-keygen -p -f KEYFILE)",
		     printable(cipher, cipher_len, shown));
		goto fail;
	}
	if (!bytes_are(kdf, kdf_len, "none") || kdfopts_len != 0) {
		refuse(err, errlen, "key header: KDF '%s' with %zu option bytes on an unencrypted key",
		     printable(kdf, kdf_len, shown), kdfopts_len);
		goto fail;
	}
	if (rd_u32(&r, "the number of keys", &nkeys) < 0)
		goto fail;
	if (nkeys != 1) {
		refuse(err, errlen, "key header: the file holds %lu keys; exactly one is supported", (unsigned long)nkeys);
		goto fail;
	}
	if (rd_string(&r, "the public key", &pub, &pub_len) < 0)
		goto fail;
	section_at = at(&r) + 4;
	if (rd_string(&r, "the private section", &section, &section_len) < 0)
		goto fail;
	if (left(&r) != 0) {
		refuse(err, errlen, "key header: %zu unexpected bytes after the private section at byte %zu", left(&r), at(&r));
		goto fail;
	}
	priv = (reader){section, section_len, 0, section_at, "private section", err, errlen};
	if (parse_private(out, &priv, pub, pub_len) < 0)
		goto fail;
	vault_fingerprint(out->fingerprint, out->pub, out->pub_len);
	return 0;
fail:
	vault_key_clear(out);
	return -1;
}

/* --- the armour ---------------------------------------------------------------------------- */

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Where needle first occurs in hay[0..len), or (size_t)-1. */
static size_t find(const unsigned char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return i;
	return (size_t)-1;
}

/* Decode base64 text (whitespace ignored, padding only at the end) into
 * *out (malloc, wiped and freed by the caller). */
static int b64_decode(const unsigned char *text, size_t len, size_t text_at, unsigned char **out, size_t *out_len,
                      char *err, size_t errlen)
{
	unsigned char *buf = malloc(len / 4 * 3 + 3);
	uint32_t acc = 0;
	size_t n = 0, digits = 0, pads = 0;

	if (buf == NULL)
		return refuse(err, errlen, "out of memory decoding the key");
	for (size_t i = 0; i < len; i++) {
		int v;
		if (is_space(text[i]))
			continue;
		if (text[i] == '=') {
			pads++;
			continue;
		}
		if ((v = b64_value(text[i])) < 0 || pads > 0) {
			free(buf);
			return refuse(err, errlen, "base64 body: unexpected character 0x%02x at offset %zu of the key text", text[i],
			            text_at + i);
		}
		acc = acc << 6 | (uint32_t)v;
		if (++digits % 4 == 0) {
			buf[n++] = (unsigned char)(acc >> 16);
			buf[n++] = (unsigned char)(acc >> 8);
			buf[n++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if (digits % 4 == 1 || pads > 2 || (pads > 0 && (digits + pads) % 4 != 0)) {
		OPENSSL_cleanse(buf, n);
		free(buf);
		return refuse(err, errlen, "base64 body: %zu digits and %zu padding characters do not make whole bytes", digits,
		            pads);
	}
	if (digits % 4 == 2) {
		buf[n++] = (unsigned char)(acc >> 4);
	} else if (digits % 4 == 3) {
		buf[n++] = (unsigned char)(acc >> 10);
		buf[n++] = (unsigned char)(acc >> 2);
	}
	OPENSSL_cleanse(&acc, sizeof(acc));
	*out = buf;
	*out_len = n;
	return 0;
}

int vault_key_from_openssh(vault_key *out, const unsigned char *text, size_t len, char *err, size_t errlen)
{
	size_t start = 0, body, end;
	unsigned char *bin = NULL;
	size_t bin_len = 0;
	int error;

	memset(out, 0, sizeof(*out));
	if (len > VAULT_KEY_TEXT_MAX)
		return refuse(err, errlen, "the key text is %zu bytes, more than %d", len, VAULT_KEY_TEXT_MAX);
	while (start < len && is_space(text[start]))
		start++;
	if (len - start < sizeof(armour_begin) - 1 || memcmp(text + start, armour_begin, sizeof(armour_begin) - 1) != 0) {
		if (len - start > 11 && memcmp(text + start, "-----BEGIN ", 11) == 0) {
			size_t label = start + 11, stop = label;
			char shown[40];
			while (stop < len && text[stop] != '-' && stop - label < 40)
				stop++;
			return refuse(err, errlen, "not an OpenSSH private key: the armour says \"%s\"; write it with "
			            "ssh-keygen's default format",
			            printable(text + label, stop - label, shown));
		}
		return refuse(err, errlen, "not an OpenSSH private key: no \"%s\" line at the start%s", armour_begin,
		            len > 0 && text[0] == 0x30 ? " (it looks like DER)" : "");
	}
	body = start + sizeof(armour_begin) - 1;
	if ((end = find(text + body, len - body, armour_end)) == (size_t)-1)
		return refuse(err, errlen, "OpenSSH private key armour: no \"%s\" line", armour_end);
	for (size_t i = body + end + sizeof(armour_end) - 1; i < len; i++)
		if (!is_space(text[i]))
			return refuse(err, errlen, "OpenSSH private key armour: unexpected text after the END line");
	if (b64_decode(text + body, end, body, &bin, &bin_len, err, errlen) < 0)
		return -1;
	error = vault_key_from_openssh_binary(out, bin, bin_len, err, errlen);
	OPENSSL_cleanse(bin, bin_len);
	free(bin);
	return error;
}
