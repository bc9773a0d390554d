/*
 * passphrase.h — where `vault` and `vault-agent` get the passphrase of an
 * encrypted vault, as the original does without a terminal: a file
 * (--passphrase-file, VAULT_PASSPHRASE_FILE) or what a command prints
 * (--passphrase-command, VAULT_PASSPHRASE_COMMAND). One place for both
 * programs; the passphrase is never printed, and wiped once used.
 */
#ifndef VAULT_PASSPHRASE_H
#define VAULT_PASSPHRASE_H

#include <ladder.h>
#include <stddef.h>

/* Longest passphrase accepted, in bytes (after one trailing newline is
 * stripped): libladder's limit for a secret. */
#define VAULT_PASSPHRASE_MAX LADDER_SECRET_MAX

/* What both programs' usage says of the passphrase. */
#define VAULT_PASSPHRASE_USAGE                                                                   \
	"  an encrypted vault (SQLCipher 4): its passphrase is the content of --passphrase-file,\n" \
	"  or what --passphrase-command prints (run by /bin/sh -c), one trailing newline\n"         \
	"  stripped; VAULT_PASSPHRASE_FILE and VAULT_PASSPHRASE_COMMAND name them when the\n"      \
	"  options are not given; without any, the vault is a plain SQLite file\n"

/* The passphrase named by file or command (the options; NULL when not
 * given), else by VAULT_PASSPHRASE_FILE or VAULT_PASSPHRASE_COMMAND: a
 * file's content or a command's standard output (run by /bin/sh -c, its
 * standard input /dev/null, its standard error passed through), one
 * trailing newline stripped. On success returns 0 and *out is the
 * passphrase (free it with vault_passphrase_free), or NULL when none is
 * named: the vault is then opened unencrypted. Returns LADDER_EINVALID when
 * both a file and a command are named (a usage error), another negative
 * ladder code when the passphrase cannot be had (an unreadable or empty
 * file, a command that fails or prints nothing); vault_passphrase_errmsg()
 * then says why, never quoting the passphrase or the command's output. */
int vault_passphrase_get(char **out, const char *file, const char *command);

/* Why the last vault_passphrase_get failed. */
const char *vault_passphrase_errmsg(void);

/* Wipe and free a passphrase (NULL is fine). */
void vault_passphrase_free(char *passphrase);

#endif /* VAULT_PASSPHRASE_H */
