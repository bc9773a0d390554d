/*
 * test_vault_sshkey.c — the vault's OpenSSH private key reader
 * (examples/vault/sshkey.c, compiled in here) on keys made by ssh-keygen and
 * on every way of breaking them: each truncation, each length field lying,
 * each flipped byte. Buffers are allocated to the exact size, so under the
 * sanitizers any read past a length shows up; a broken key must be refused
 * with a message, and only a change inside the comment may still parse.
 */
#define _GNU_SOURCE
/* Before cmocka, whose fail() macro would otherwise rewrite the file. */
#include "../examples/vault/sshkey.c"

#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct genkey {
	char path[512];
	char *text;
	size_t text_len;
	unsigned char *bin; /* the decoded body */
	size_t bin_len;
	char fp[128];       /* ssh-keygen -lf */
	const char *comment;
} genkey;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	assert_non_null(f);
	buf = malloc(VAULT_KEY_TEXT_MAX + 1);
	assert_non_null(buf);
	n = fread(buf, 1, VAULT_KEY_TEXT_MAX, f);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Run a shell command, return its first line of output. */
static void first_line(char *out, size_t size, const char *cmd)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, (int)size, p));
	assert_int_equal(pclose(p), 0);
	out[strcspn(out, "\n")] = '\0';
}

static void generate(genkey *k, const char *type, const char *comment)
{
	const char *dir = tu_tmpdir();
	char line[512];
	vault_key key;
	char err[256];

	memset(k, 0, sizeof(*k));
	k->comment = comment;
	snprintf(k->path, sizeof(k->path), "%s/key", dir);
	assert_int_equal(system(tu_fmt("ssh-keygen -q -t %s%s -N '' -C '%s' -f '%s'", type,
	                               strcmp(type, "rsa") == 0 ? " -b 2048" : "", comment, k->path)),
	                 0);
	k->text = slurp(k->path, &k->text_len);
	first_line(line, sizeof(line), tu_fmt("ssh-keygen -l -f '%s'", k->path));
	sscanf(line, "%*s %127s", k->fp);
	/* The binary, through the reader's own base64 (checked by the parse). */
	{
		const char *body = strchr(k->text, '\n') + 1;
		const char *end = strstr(k->text, "-----END");
		assert_int_equal(b64_decode((const unsigned char *)body, (size_t)(end - body), 0, &k->bin, &k->bin_len, err,
		                            sizeof(err)),
		                 0);
	}
	assert_int_equal(vault_key_from_openssh_binary(&key, k->bin, k->bin_len, err, sizeof(err)), 0);
	vault_key_clear(&key);
}

static void release(genkey *k)
{
	free(k->text);
	free(k->bin);
}

/* Parse bin[0..len) from an exact-size copy. 0 or -1; a refusal must say
 * why. */
static int parse_copy(const unsigned char *bin, size_t len, vault_key *key, char *err, size_t errlen)
{
	unsigned char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, bin, len);
	err[0] = '\0';
	rc = vault_key_from_openssh_binary(key, copy, len, err, errlen);
	free(copy);
	if (rc < 0) {
		assert_true(err[0] != '\0');
		assert_null(key->der);
		assert_null(key->pub);
	}
	return rc;
}

static void check_good_key(const genkey *k, const char *type)
{
	vault_key key;
	char err[512];
	const unsigned char *p;
	EVP_PKEY *pkey;
	unsigned char *text = malloc(k->text_len);

	assert_non_null(text);
	memcpy(text, k->text, k->text_len);
	if (vault_key_from_openssh(&key, text, k->text_len, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	free(text);
	assert_string_equal(key.type, type);
	assert_string_equal(key.fingerprint, k->fp);
	assert_string_equal(key.comment, k->comment);
	p = key.der;
	pkey = d2i_AutoPrivateKey(NULL, &p, (long)key.der_len);
	assert_non_null(pkey);
	assert_true(p == key.der + key.der_len);
	assert_true(EVP_PKEY_is_a(pkey, strcmp(type, "rsa") == 0 ? "RSA" : "ED25519"));
	if (strcmp(type, "rsa") == 0) {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
		assert_int_equal(EVP_PKEY_check(ctx), 1); /* OpenSSL agrees the key is whole */
		EVP_PKEY_CTX_free(ctx);
	}
	EVP_PKEY_free(pkey);
	{
		/* The same public line ssh-keygen -y gives. */
		char line[2048], *mine = vault_public_line(key.pub, key.pub_len);
		first_line(line, sizeof(line), tu_fmt("ssh-keygen -y -f '%s' | cut -d' ' -f1,2", k->path));
		assert_non_null(mine);
		assert_string_equal(mine, line);
		free(mine);
	}
	vault_key_clear(&key);
}

static void keys_from_ssh_keygen_parse(void **state)
{
	genkey ed, rsa;
	(void)state;

	generate(&ed, "ed25519", "ed@fuzz");
	generate(&rsa, "rsa", "rsa@fuzz");
	check_good_key(&ed, "ed25519");
	check_good_key(&rsa, "rsa");
	release(&ed);
	release(&rsa);
}

static void every_truncation_is_refused(void **state)
{
	const char *types[2] = {"ed25519", "rsa"};
	(void)state;

	for (int t = 0; t < 2; t++) {
		genkey k;
		generate(&k, types[t], "cut");
		for (size_t len = 0; len < k.bin_len; len++) {
			vault_key key;
			char err[512];
			if (parse_copy(k.bin, len, &key, err, sizeof(err)) == 0)
				fail_msg("%s key cut to %zu of %zu bytes parsed", types[t], len, k.bin_len);
		}
		release(&k);
	}
}

static void lying_lengths_are_refused_without_overread(void **state)
{
	static const uint32_t lies[] = {0xffffffffu, 0x7fffffffu, 0x80000000u, 0x00010000u, 0, 1, 0xfffffffcu};
	const char *types[2] = {"ed25519", "rsa"};
	(void)state;

	for (int t = 0; t < 2; t++) {
		genkey k;
		unsigned char *bin;
		generate(&k, types[t], "lie");
		bin = malloc(k.bin_len);
		assert_non_null(bin);
		for (size_t at = 0; at + 4 <= k.bin_len; at++) {
			for (size_t l = 0; l < sizeof(lies) / sizeof(lies[0]); l++) {
				vault_key key;
				char err[512];
				memcpy(bin, k.bin, k.bin_len);
				bin[at] = (unsigned char)(lies[l] >> 24);
				bin[at + 1] = (unsigned char)(lies[l] >> 16);
				bin[at + 2] = (unsigned char)(lies[l] >> 8);
				bin[at + 3] = (unsigned char)lies[l];
				if (parse_copy(bin, k.bin_len, &key, err, sizeof(err)) == 0)
					vault_key_clear(&key);
			}
		}
		free(bin);
		release(&k);
	}
}

/* A flipped bit either makes the key refused or leaves the key itself as it
 * was (a flip in the comment, or in its length when that swallows a padding
 * byte): never a different key. */
static void flipped_bits_never_give_another_key(void **state)
{
	const char *types[2] = {"ed25519", "rsa"};
	(void)state;

	for (int t = 0; t < 2; t++) {
		genkey k;
		vault_key good;
		unsigned char *bin;
		char err[512];
		int parsed = 0;
		generate(&k, types[t], "flip-comment");
		assert_int_equal(vault_key_from_openssh_binary(&good, k.bin, k.bin_len, err, sizeof(err)), 0);
		bin = malloc(k.bin_len);
		assert_non_null(bin);
		for (size_t i = 0; i < k.bin_len; i++) {
			for (int bit = 0; bit < 8; bit += 7) {
				vault_key key;
				memcpy(bin, k.bin, k.bin_len);
				bin[i] ^= (unsigned char)(1u << bit);
				if (parse_copy(bin, k.bin_len, &key, err, sizeof(err)) < 0)
					continue;
				parsed++;
				if (key.der_len != good.der_len || memcmp(key.der, good.der, good.der_len) != 0 ||
				    key.pub_len != good.pub_len || memcmp(key.pub, good.pub, good.pub_len) != 0)
					fail_msg("%s key with bit %d of byte %zu flipped parsed as another key", types[t], bit, i);
				vault_key_clear(&key);
			}
		}
		/* The comment's own bytes, at least, still parse. */
		assert_true(parsed >= (int)strlen(k.comment));
		vault_key_clear(&good);
		free(bin);
		release(&k);
	}
}

static void expect_refusal(const char *text, const char *needle)
{
	vault_key key;
	char err[512];
	size_t len = strlen(text);
	unsigned char *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, text, len);
	if (vault_key_from_openssh(&key, copy, len, err, sizeof(err)) == 0)
		fail_msg("parsed: %s", text);
	free(copy);
	if (strstr(err, needle) == NULL)
		fail_msg("expected \"%s\" in: %s", needle, err);
}

static void armour_and_format_errors_say_what_is_wrong(void **state)
{
	genkey ed;
	char *text;
	const char *dir = tu_tmpdir();
	size_t len;
	(void)state;

	generate(&ed, "ed25519", "armour");
	expect_refusal("", "no \"-----BEGIN OPENSSH PRIVATE KEY-----\" line");
	expect_refusal("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
	               "the armour says \"RSA PRIVATE KEY\"");
	expect_refusal("0\x82\x01", "looks like DER");
	expect_refusal("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n", "no \"-----END");
	expect_refusal("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn*zaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n",
	               "unexpected character 0x2a");
	expect_refusal("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n",
	               "key header truncated at byte 15");
	expect_refusal("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
	               "magic is missing");
	text = malloc(ed.text_len + 16);
	assert_non_null(text);
	snprintf(text, ed.text_len + 16, "%sjunk\n", ed.text);
	expect_refusal(text, "unexpected text after the END line");
	free(text);

	/* A key with a passphrase: said plainly, not a parse failure. */
	assert_int_equal(system(tu_fmt("ssh-keygen -q -t ed25519 -N 'secret words' -f '%s/locked'", dir)), 0);
	text = slurp(tu_fmt("%s/locked", dir), &len);
	expect_refusal(text, "the key is encrypted (cipher aes256-ctr)");
	free(text);
	/* The PKCS#8 form ssh-keygen can also write is not this format. */
	assert_int_equal(system(tu_fmt("ssh-keygen -q -t rsa -b 1024 -m PKCS8 -N '' -f '%s/pkcs8'", dir)), 0);
	text = slurp(tu_fmt("%s/pkcs8", dir), &len);
	expect_refusal(text, "the armour says \"PRIVATE KEY\"");
	free(text);
	release(&ed);
}

static void fingerprints_and_base64(void **state)
{
	static const unsigned char bytes[] = {0xfb, 0xff, 0xfe};
	char fp[VAULT_FINGERPRINT_MAX];
	char *s;
	(void)state;

	vault_fingerprint(fp, (const unsigned char *)"", 0);
	/* SHA-256("") = e3b0c442...: base64 without the trailing '=' */
	assert_string_equal(fp, "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
	s = vault_base64(bytes, sizeof(bytes), 0);
	assert_string_equal(s, "+//+");
	free(s);
	s = vault_base64(bytes, sizeof(bytes), 1);
	assert_string_equal(s, "-__-");
	free(s);
	s = vault_base64(bytes, 1, 1);
	assert_string_equal(s, "-w");
	free(s);
	assert_null(vault_public_line((const unsigned char *)"\0\0\0\x09ssh", 7)); /* a lying length */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys_from_ssh_keygen_parse),
		cmocka_unit_test(every_truncation_is_refused),
		cmocka_unit_test(lying_lengths_are_refused_without_overread),
		cmocka_unit_test(flipped_bits_never_give_another_key),
		cmocka_unit_test(armour_and_format_errors_say_what_is_wrong),
		cmocka_unit_test(fingerprints_and_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
