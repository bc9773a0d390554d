/*
 * vault_db.h — the one way into a vault file, shared by `vault` and
 * `vault-agent`: open (creating new files owner-only), then bring the file
 * to the current schema with ladder before any query.
 */
#ifndef VAULT_DB_H
#define VAULT_DB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* A scope's keys, as both programs list them: in assignment order
 * (assigned_at, then id), as the original returns them; ?1 is the scope. */
#define VAULT_SCOPE_KEYS_SQL                                                                                   \
	"SELECT k.id, k.key_type, k.fingerprint, k.comment, k.public_blob FROM ssh_key_assignments a "         \
	"JOIN ssh_keys k ON k.id = a.key_id WHERE a.scope = ?1 ORDER BY a.assigned_at, k.id"

/* The schema this program reads and writes (PRAGMA user_version). */
#define VAULT_SCHEMA_VERSION 2

typedef struct vault_open_info {
	int64_t from_version; /* user_version found */
	int64_t to_version;   /* user_version now */
	size_t applied;       /* steps run: 0 on the fast path */
	int baseline;         /* an empty file got the whole schema in one step */
} vault_open_info;

/* Open the vault at path and migrate it. create: a missing file is created
 * (mode 0600) instead of refused. passphrase: NULL for a plain file, else
 * the key of a SQLCipher 4 file (PRAGMA key, applied before anything reads
 * the file; a new file is created encrypted); it is not kept, and the
 * caller wipes it. On success *out is ready for queries (foreign keys on,
 * busy timeout set) and info (may be NULL) says what was done; on failure
 * returns a negative ladder code, *out is NULL and vault_errmsg() says why.
 * A file newer than this program (LADDER_ENEWER), one whose upgrade fails,
 * one the passphrase does not open or that needs one is left exactly as it
 * was; a passphrase given to a build without SQLCipher is refused
 * (LADDER_EUNSUPPORTED) before any file is made. */
int vault_open(sqlite3 **out, const char *path, int create, const char *passphrase, vault_open_info *info);

/* Why the last vault_open failed. */
const char *vault_errmsg(void);

/* On stderr, "PROG: upgraded 'PATH' from schema version 0 to 2" when the open
 * changed the file; nothing on the fast path. */
void vault_report_open(const char *prog, const char *path, const vault_open_info *info);

/* The vault's compiled-in plan, built once per process (for ladder_verify
 * in the tests); NULL on failure, with vault_errmsg() saying why. */
struct ladder_plan;
const struct ladder_plan *vault_plan_get(void);

/* Free the plan vault_open builds once per process (call before exit). */
void vault_plan_release(void);

#endif /* VAULT_DB_H */
