/*
 * digest.h — SHA-256 checksums of migration text and the chain digest that
 * lets the no-op path compare a whole applied history in one small read.
 */
#ifndef LADDER_DIGEST_H
#define LADDER_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define LADDER_HASH_HEX 65 /* 64 hex chars and a NUL */

/* Hex SHA-256 of text with every CRLF folded to LF, so a checkout on
 * Windows does not look like an edit. out: 65 bytes. */
int ladder_checksum_text(char *out, const char *text, size_t len);

/* Hex SHA-256 of arbitrary parts joined by '\n' (callback checksums). */
int ladder_checksum_parts(char *out, const char *const *parts, size_t count);

/* chain = SHA-256(prev "\n" version " " checksum): the digest of every
 * checksum up to and including this step. prev "" starts a chain. */
int ladder_chain_next(char *out, const char *prev, int64_t version, const char *checksum);

/* The chain a baseline row starts: independent of the baseline text, so a
 * regenerated (reformatted) baseline keeps old databases on the fast path. */
int ladder_chain_baseline(char *out, int64_t version);

#endif /* LADDER_DIGEST_H */
