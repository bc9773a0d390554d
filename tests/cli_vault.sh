#!/usr/bin/env bash
# cli_vault.sh — the walk-through in examples/vault/README.md, run as
# written: a legacy v0 file made with the sqlite3 shell from ssh-keygen keys,
# upgraded by the first `vault` command, read by `vault-agent`; a damaged
# copy and a newer file refused untouched; an encrypted vault opened with its
# passphrase and refused without it, or with a wrong one.
#   bash cli_vault.sh LADDER_BINARY REPO_ROOT
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup vault-cli "$@"
PATH=$(dirname "$LADDER"):$PATH

ssh-keygen -q -t ed25519 -N '' -C alice@laptop -f alice
ssh-keygen -q -t rsa -b 2048 -N '' -C deploy@ci -f deploy
for k in alice deploy; do cut -d' ' -f2 $k.pub | base64 -d > $k.blob; done
sqlite3 legacy.db <<SQL
CREATE TABLE credentials (credential_set TEXT NOT NULL, provider TEXT NOT NULL, data TEXT NOT NULL,
                          PRIMARY KEY (credential_set, provider));
CREATE TABLE ssh_keys (id INTEGER PRIMARY KEY AUTOINCREMENT,
                       key_type TEXT NOT NULL CHECK (key_type IN ('ed25519','rsa')),
                       private_pem BLOB NOT NULL, public_blob BLOB NOT NULL,
                       comment TEXT NOT NULL DEFAULT '', fingerprint TEXT NOT NULL UNIQUE,
                       created_at TEXT NOT NULL DEFAULT (datetime('now')));
CREATE TABLE ssh_key_assignments (scope TEXT NOT NULL,
                                  key_id INTEGER NOT NULL REFERENCES ssh_keys(id) ON DELETE CASCADE,
                                  assigned_at TEXT NOT NULL DEFAULT (datetime('now')),
                                  PRIMARY KEY (scope, key_id));
CREATE TABLE ssh_keys_version (id INTEGER PRIMARY KEY CHECK (id = 0), version INTEGER NOT NULL);
CREATE TABLE proxy_tokens (token TEXT PRIMARY KEY, scope TEXT NOT NULL, task TEXT NOT NULL,
                           credential_set TEXT NOT NULL, provider TEXT NOT NULL);
INSERT INTO ssh_keys (key_type, private_pem, public_blob, comment, fingerprint) VALUES
  ('ed25519', readfile('alice'), readfile('alice.blob'), 'alice@laptop', '$(sha256sum alice.blob | cut -c1-64)'),
  ('rsa', readfile('deploy'), readfile('deploy.blob'), 'deploy@ci', '$(sha256sum deploy.blob | cut -c1-64)');
INSERT INTO ssh_key_assignments (scope, key_id) VALUES ('team', 1), ('team', 2);
INSERT INTO ssh_keys_version VALUES (0, 2);
INSERT INTO credentials VALUES ('ci', 'github', '{"token":"gho_example"}');
INSERT INTO proxy_tokens VALUES ('tok-1', 'team', 'build-42', 'ci', 'github');
SQL
cp legacy.db broken.db
eq "v0 user_version" "$(sqlite3 legacy.db 'PRAGMA user_version')" 0

fp_alice=$(ssh-keygen -lf alice | cut -d' ' -f2)
fp_deploy=$(ssh-keygen -lf deploy | cut -d' ' -f2)
out=$(vault --db legacy.db keys team 2>err)
eq "keys after the upgrade" "$out" "$fp_alice ed25519 alice@laptop
$fp_deploy rsa deploy@ci"
eq "upgrade notice" "$(cat err)" "vault: upgraded vault 'legacy.db' from schema version 0 to 2"
eq "v2 user_version" "$(sqlite3 legacy.db 'PRAGMA user_version')" 2
eq "tables" "$(sqlite3 legacy.db "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name)")" \
  "credentials proxy_tokens sqlite_sequence ssh_key_assignments ssh_keys"
# PKCS#8 DER: a SEQUENCE (OpenSSL loads every key in test_vault.c).
eq "DER keys" "$(sqlite3 legacy.db "SELECT group_concat(substr(hex(private_der), 1, 2), ' ') FROM ssh_keys")" "30 30"

out=$(printf 'token tok-1\nkeys team\ntoken nope\n' | vault-agent --db legacy.db 2>err)
eq "agent token" "$(sed -n 1p <<<"$out")" \
  '{"found":true,"scope":"team","subject":"build-42","credential_set":"ci","provider":"github","credentials":{"token":"gho_example"}}'
has "agent keys" "$out" "\"public_key\":\"$(ssh-keygen -y -f alice | cut -d' ' -f1,2)\""
eq "agent miss" "$(sed -n 3p <<<"$out")" '{"found":false}'
eq "agent on a current file is silent" "$(cat err)" ""

sqlite3 broken.db "UPDATE ssh_keys SET private_pem = substr(private_pem, 1, 604) || '-----END OPENSSH PRIVATE KEY-----' || char(10) WHERE id = 2"
before=$(sha256sum broken.db)
status=0; vault --db broken.db keys team 2>err || status=$?
eq "damaged key exit code" "$status" 1
has "damaged key" "$(cat err)" "key 2 (fingerprint $(sha256sum deploy.blob | cut -c1-64)): key header truncated at byte"
eq "damaged file untouched" "$(sha256sum broken.db)" "$before"

sqlite3 legacy.db 'PRAGMA user_version = 3'
before=$(sha256sum legacy.db)
status=0; vault --db legacy.db keys team 2>err || status=$?
eq "newer file exit code" "$status" 1
has "newer" "$(cat err)" "is at schema version 3, newer than this program understands (2)"
status=0; echo 'keys team' | vault-agent --db legacy.db >out 2>err || status=$?
eq "newer file, agent exit code" "$status" 1
eq "newer file, agent output" "$(cat out)" ""
eq "newer file untouched" "$(sha256sum legacy.db)" "$before"

# Encrypted vaults, as the README's section runs them. A build without
# SQLCipher refuses the passphrase and makes no file; CI builds with it.
# vrun keeps each run's exit code, stdout and stderr, and all of its output
# in `seen`, which must never show the passphrase.
vrun() { status=0; "$@" >out 2>err || status=$?; cat out err >> seen; }
secret='correct horse battery staple'
printf '%s\n' "$secret" > vault.pass
chmod 600 vault.pass
: > seen
vrun vault --db enc.db --passphrase-file vault.pass add-key team alice
if grep -q 'built without SQLCipher' err; then
  eq "no SQLCipher: exit code" "$status" 1
  check "no SQLCipher: no file made" test ! -e enc.db
else
  eq "encrypted add-key" "$status $(cat out)" "0 $fp_alice"
  eq "encrypted create notice" "$(cat err)" "vault: created vault 'enc.db' at schema version 2"
  check "not SQLite's header" test "$(head -c 15 enc.db | tr -d '\0')" != "SQLite format 3"
  vrun vault --db enc.db --passphrase-command 'cat vault.pass' keys team
  eq "keys by command" "$status $(cat out)$(cat err)" "0 $fp_alice ed25519 alice@laptop"
  vrun env VAULT_PASSPHRASE_FILE=vault.pass vault-agent --db enc.db <<<'keys team'
  has "agent by variable" "$(cat out)" "\"fingerprint\":\"$fp_alice\""
  eq "agent: a current file opens silently" "$status $(cat err)" "0 "
  before=$(sha256sum enc.db)
  printf 'tr0ub4dor\n' > wrong.pass
  vrun vault --db enc.db --passphrase-file wrong.pass keys team
  eq "wrong passphrase" "$status $(cat out)$(cat err)" "1 vault: cannot open vault 'enc.db': the passphrase does not open it (a wrong passphrase, or a file that is not an encrypted vault); nothing was changed"
  vrun vault --db enc.db keys team
  eq "no passphrase" "$status $(cat out)$(cat err)" "1 vault: cannot open vault 'enc.db': the file is encrypted, or not a database: a passphrase is needed (--passphrase-file, --passphrase-command); nothing was changed"
  vrun vault-agent --db enc.db <<<'keys team'
  eq "agent, no passphrase" "$status $(cat out)$(cat err)" "1 vault-agent: cannot open vault 'enc.db': the file is encrypted, or not a database: a passphrase is needed (--passphrase-file, --passphrase-command); nothing was changed"
  vrun vault --db enc.db --passphrase-command 'cat vault.pass; exit 3' keys team
  eq "failing command" "$status $(cat out)$(cat err)" "1 vault: the passphrase command (--passphrase-command) failed with exit status 3; nothing was opened"
  vrun vault --db enc.db --passphrase-file vault.pass --passphrase-command 'cat vault.pass' keys team
  eq "both passphrase sources: usage" "$status $(head -1 err)" "2 vault: give --passphrase-file or --passphrase-command, not both"
  eq "refused opens change nothing" "$(sha256sum enc.db)" "$before"
fi
check "no output shows the passphrase" test "$(grep -cF -- "$secret" seen)" = 0

status=0; vault keys team 2>/dev/null || status=$?
eq "usage exit code" "$status" 2
finish
