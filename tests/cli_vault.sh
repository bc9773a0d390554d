#!/usr/bin/env bash
# cli_vault.sh — the walk-through in examples/vault/README.md, run as
# written: a legacy v0 file made with the sqlite3 shell from ssh-keygen keys,
# upgraded by the first `vault` command, read by `vault-agent`; a damaged
# copy and a newer file refused untouched.
#   bash cli_vault.sh LADDER_BINARY REPO_ROOT
set -euo pipefail
bin=$(dirname "$1")
PATH=$bin:$PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/vault-cli-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [[ "$1" == "$2" ]] || fail "$3: expected '$2', got '$1'"; }

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
expect_eq "$(sqlite3 legacy.db 'PRAGMA user_version')" 0 "v0 user_version"

fp_alice=$(ssh-keygen -lf alice | cut -d' ' -f2)
fp_deploy=$(ssh-keygen -lf deploy | cut -d' ' -f2)
out=$(vault --db legacy.db keys team 2>err)
expect_eq "$out" "$fp_alice ed25519 alice@laptop
$fp_deploy rsa deploy@ci" "keys after the upgrade"
expect_eq "$(cat err)" "vault: upgraded vault 'legacy.db' from schema version 0 to 2" "upgrade notice"
expect_eq "$(sqlite3 legacy.db 'PRAGMA user_version')" 2 "v2 user_version"
expect_eq "$(sqlite3 legacy.db "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name)")" \
  "credentials proxy_tokens sqlite_sequence ssh_key_assignments ssh_keys" "tables"
# PKCS#8 DER: a SEQUENCE (OpenSSL loads every key in test_vault.c).
expect_eq "$(sqlite3 legacy.db "SELECT group_concat(substr(hex(private_der), 1, 2), ' ') FROM ssh_keys")" "30 30" "DER keys"

out=$(printf 'token tok-1\nkeys team\ntoken nope\n' | vault-agent --db legacy.db 2>err)
expect_eq "$(sed -n 1p <<<"$out")" \
  '{"found":true,"scope":"team","subject":"build-42","credential_set":"ci","provider":"github","credentials":{"token":"gho_example"}}' \
  "agent token"
grep -qF "\"public_key\":\"$(ssh-keygen -y -f alice | cut -d' ' -f1,2)\"" <<<"$out" || fail "agent keys: $out"
expect_eq "$(sed -n 3p <<<"$out")" '{"found":false}' "agent miss"
expect_eq "$(cat err)" "" "agent on a current file is silent"

sqlite3 broken.db "UPDATE ssh_keys SET private_pem = substr(private_pem, 1, 604) || '-----END OPENSSH PRIVATE KEY-----' || char(10) WHERE id = 2"
before=$(sha256sum broken.db)
status=0; vault --db broken.db keys team 2>err || status=$?
expect_eq "$status" 1 "damaged key exit code"
grep -qF "key 2 (fingerprint $(sha256sum deploy.blob | cut -c1-64)): key header truncated at byte" err || fail "damaged key: $(cat err)"
expect_eq "$(sha256sum broken.db)" "$before" "damaged file untouched"

sqlite3 legacy.db 'PRAGMA user_version = 3'
before=$(sha256sum legacy.db)
status=0; vault --db legacy.db keys team 2>err || status=$?
expect_eq "$status" 1 "newer file exit code"
grep -qF "is at schema version 3, newer than this program understands (2)" err || fail "newer: $(cat err)"
status=0; echo 'keys team' | vault-agent --db legacy.db >out 2>err || status=$?
expect_eq "$status" 1 "newer file, agent exit code"
expect_eq "$(cat out)" "" "newer file, agent output"
expect_eq "$(sha256sum legacy.db)" "$before" "newer file untouched"

status=0; vault keys team 2>/dev/null || status=$?
expect_eq "$status" 2 "usage exit code"
echo "cli_vault: ok"
