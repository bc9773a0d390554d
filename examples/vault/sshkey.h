/*
 * sshkey.h — the vault's key handling: read an unencrypted OpenSSH private
 * key (the "-----BEGIN OPENSSH PRIVATE KEY-----" format, which OpenSSL does
 * not read) with a bounds check on every length, rebuild it with libcrypto
 * and write it as unencrypted PKCS#8 DER; fingerprints as `ssh-keygen -l`
 * prints them; the base64 flavours the vault prints.
 *
 * Used by `vault add-key` and by the v0 -> v1 data migration, so a key the
 * CLI accepts today and a key written by the original system years ago go
 * through the same parser.
 */
#ifndef VAULT_SSHKEY_H
#define VAULT_SSHKEY_H

#include <stddef.h>

/* Room for "SHA256:" + 43 base64 characters + NUL. */
#define VAULT_FINGERPRINT_MAX 64

/* Largest key file text accepted (an RSA 16384-bit key is about 12 KiB). */
#define VAULT_KEY_TEXT_MAX (64 * 1024)

typedef struct vault_key {
	char type[8];        /* "ed25519" or "rsa": the ssh_keys.key_type value */
	unsigned char *der;  /* unencrypted PKCS#8 PrivateKeyInfo (OPENSSL_malloc) */
	size_t der_len;
	unsigned char *pub;  /* the SSH wire-format public key blob (malloc) */
	size_t pub_len;
	char *comment;       /* the comment stored in the key (malloc, never NULL) */
	char fingerprint[VAULT_FINGERPRINT_MAX]; /* "SHA256:..." */
} vault_key;

/* Parse OpenSSH private key text (armour + base64). On failure returns -1
 * with a message in err saying what is wrong and at which byte of the
 * decoded key ("RSA private section truncated at byte 1234: ..."); *out is
 * then empty. Never reads outside text[0..len). */
int vault_key_from_openssh(vault_key *out, const unsigned char *text, size_t len, char *err, size_t errlen);

/* The same for the decoded binary ("openssh-key-v1\0" ...). */
int vault_key_from_openssh_binary(vault_key *out, const unsigned char *bin, size_t len, char *err, size_t errlen);

/* Free what a key holds (secrets are wiped first); safe on an empty key. */
void vault_key_clear(vault_key *key);

/* "SHA256:" + unpadded base64 of SHA-256(blob): what `ssh-keygen -lf` prints. */
void vault_fingerprint(char out[VAULT_FINGERPRINT_MAX], const unsigned char *blob, size_t len);

/* "ssh-ed25519 AAAA..." (authorized_keys form, no comment) of a public key
 * blob, or NULL when the blob names no key type or memory runs out; free(). */
char *vault_public_line(const unsigned char *blob, size_t len);

/* Base64 (standard alphabet, padded) of data into a new string; free().
 * url != 0: the URL-safe alphabet without padding. NULL on out of memory. */
char *vault_base64(const unsigned char *data, size_t len, int url);

#endif /* VAULT_SSHKEY_H */
