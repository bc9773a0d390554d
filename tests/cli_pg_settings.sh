#!/usr/bin/env bash
# tests/cli_pg_settings.sh — seed system 2: PhoenixKit-style settings V113 ->
# V114 on a real PostgreSQL server, always run through the `ladder` CLI with
# the table-comment store (examples/settings/migrations; the SQL is never
# copied here). Covers up, down, the collision-safe suffixes, round trips,
# every refusal and an injected failure leaving everything unchanged,
# --schema, 10,000 generated rows, and a fleet of 8 migrators.
#
# Usage: bash tests/cli_pg_settings.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup settings "$@"
pg_setup settings
MIGRATIONS="$ROOT/examples/settings/migrations"

q() { psql -X -qAt -v ON_ERROR_STOP=1 "$URL" -c "$1"; }
qs() { psql -X -qAt -v ON_ERROR_STOP=1 "$URL" -c "SET search_path TO \"$1\"" -c "$2"; }
ladder_up() { run -d "$URL" -m "$MIGRATIONS" --store comment:phoenix_kit "$@" up; }
ladder_down() { run -d "$URL" -m "$MIGRATIONS" --store comment:phoenix_kit "$@" down; }
comment() { q "SELECT obj_description('${1:-public}.phoenix_kit'::regclass, 'pg_class')"; }
# everything a run may change: every row and the stamp
snapshot() { q "SELECT uuid, key, value, value_json::text, module, date_added, date_updated FROM phoenix_kit_settings ORDER BY uuid"; comment; }

# at_113: a database at V113 (baseline via ladder --to 113) with the
# test's rows from stdin.
at_113() {
	newdb "$1"
	ladder_up --to 113
	expect_rc 0
	eq "a fresh database is stamped 113" "$(comment)" "113"
	psql -X -q -v ON_ERROR_STOP=1 "$URL" >/dev/null
}

# --- up ---------------------------------------------------------------------------
at_113 up <<'EOF'
INSERT INTO phoenix_kit_settings (uuid, key, value_json, module, date_added) VALUES
 ('01900000-0000-7000-8000-000000000001', 'integration:openrouter:work', '{"api_key": "k1", "extra": [1, 2]}', 'integrations', '2026-01-01'),
 ('01900000-0000-7000-8000-000000000002', 'integration:openrouter:personal', '{"name": "Personal Account"}', NULL, '2026-01-02'),
 ('01900000-0000-7000-8000-000000000003', 'integration:google', NULL, NULL, '2026-01-03'),
 ('01900000-0000-7000-8000-000000000004', 'integration:anthropic:team:eu:west', '{"name": ""}', 'integrations', '2026-01-04'),
 ('01900000-0000-7000-8000-000000000005', 'site_name', NULL, 'core', '2026-01-05'),
 ('01900000-0000-7000-8000-000000000006', 'integrations_enabled', '{"on": true}', NULL, '2026-01-06');
UPDATE phoenix_kit_settings SET value = 'My Site' WHERE key = 'site_name';
EOF
others_before=$(q "SELECT uuid, key, value, value_json::text, module, date_added, date_updated FROM phoenix_kit_settings WHERE key NOT LIKE 'integration:%' ORDER BY uuid")
ladder_up
expect_rc 0
eq "V114 stamps 114" "$(comment)" "114"
eq "keys become the row's uuid" "$(q "SELECT count(*) FROM phoenix_kit_settings WHERE module = 'integrations' AND key = uuid::text")" "4"
eq "existing JSON is kept and the pair filled" \
	"$(q "SELECT value_json FROM phoenix_kit_settings WHERE uuid = '01900000-0000-7000-8000-000000000001'")" \
	'{"name": "work", "extra": [1, 2], "api_key": "k1", "provider": "openrouter"}'
eq "a JSON name present wins over the key" \
	"$(q "SELECT value_json->>'name' FROM phoenix_kit_settings WHERE uuid = '01900000-0000-7000-8000-000000000002'")" "Personal Account"
eq "integration:google gets name default" \
	"$(q "SELECT value_json->>'provider' || '/' || (value_json->>'name') FROM phoenix_kit_settings WHERE uuid = '01900000-0000-7000-8000-000000000003'")" "google/default"
eq "an empty JSON name is filled from the key; names keep their ':'" \
	"$(q "SELECT value_json->>'name' FROM phoenix_kit_settings WHERE uuid = '01900000-0000-7000-8000-000000000004'")" "team:eu:west"
eq "NULL module becomes integrations" \
	"$(q "SELECT module FROM phoenix_kit_settings WHERE uuid = '01900000-0000-7000-8000-000000000003'")" "integrations"
eq "non-integration rows are byte-identical" \
	"$(q "SELECT uuid, key, value, value_json::text, module, date_added, date_updated FROM phoenix_kit_settings WHERE key NOT LIKE '01900000%' ORDER BY uuid")" "$others_before"
before=$(snapshot)
psql -X -q -v ON_ERROR_STOP=1 "$URL" -f "$MIGRATIONS/114_integration_uuid_keys.up.sql" >/dev/null
eq "running up's effect again changes nothing" "$(snapshot)" "$before"
ladder_up
expect_rc 0
eq "a second ladder up changes nothing" "$(snapshot)" "$before"

# --- down -------------------------------------------------------------------------
ladder_down
expect_rc 0
eq "down stamps 113" "$(comment)" "113"
eq "integration:openrouter:work comes back" \
	"$(q "SELECT key FROM phoenix_kit_settings WHERE uuid = '01900000-0000-7000-8000-000000000001'")" "integration:openrouter:work"
eq "the legacy row comes back with its default name" \
	"$(q "SELECT key FROM phoenix_kit_settings WHERE uuid = '01900000-0000-7000-8000-000000000003'")" "integration:google:default"
eq "names with ':' survive the round trip" \
	"$(q "SELECT key FROM phoenix_kit_settings WHERE uuid = '01900000-0000-7000-8000-000000000004'")" "integration:anthropic:team:eu:west"
eq "non-integration rows are still byte-identical" \
	"$(q "SELECT uuid, key, value, value_json::text, module, date_added, date_updated FROM phoenix_kit_settings WHERE key NOT LIKE 'integration:%' ORDER BY uuid")" "$others_before"

# --- collisions ----------------------------------------------------------------------
at_113 collide <<'EOF'
INSERT INTO phoenix_kit_settings (uuid, key, value_json, date_added) VALUES
 ('01900000-0000-7000-8000-a100000000ff', 'integration:openrouter:work', NULL, '2026-01-01'),
 ('01900000-0000-7000-8000-b100000000ff', 'integration:openrouter:solo', NULL, '2026-01-01'),
 ('01900000-0000-7000-8000-c100000000ff', 'integration:openai:main', NULL, '2026-01-01');
EOF
ladder_up
expect_rc 0
# after V114 names are free text: make duplicates the old shape cannot hold
q "INSERT INTO phoenix_kit_settings (uuid, key, value_json, module, date_added) VALUES
 ('01900000-0000-7000-8000-a200000000ff', '01900000-0000-7000-8000-a200000000ff', '{\"provider\":\"openrouter\",\"name\":\"work\"}', 'integrations', '2026-02-01'),
 ('01900000-0000-7000-8000-c200000000ff', '01900000-0000-7000-8000-c200000000ff', '{\"provider\":\"openai\",\"name\":\"main\"}', 'integrations', '2026-02-01'),
 ('01900000-0000-7000-8000-c300000000ff', '01900000-0000-7000-8000-c300000000ff', '{\"provider\":\"openai\",\"name\":\"main\"}', 'integrations', '2026-02-01')" >/dev/null
# three more as if created in one millisecond: UUIDv7s with one timestamp
# prefix and their own random rest
q "INSERT INTO phoenix_kit_settings (uuid, key, value_json, module)
   SELECT overlay(uuid_generate_v7()::text PLACING '01900000-0001' FROM 1 FOR 13)::uuid, 'tmp' || i,
          '{\"provider\":\"mistral\",\"name\":\"burst\"}', 'integrations'
     FROM generate_series(1, 3) i" >/dev/null
q "UPDATE phoenix_kit_settings SET key = uuid::text WHERE key LIKE 'tmp%'" >/dev/null
eq "the burst shares one timestamp prefix" \
	"$(q "SELECT count(DISTINCT left(uuid::text, 13)) FROM phoenix_kit_settings WHERE value_json->>'name' = 'burst'")" "1"
ladder_down
expect_rc 0
eq "two rows with one pair: one plain key, one suffixed" \
	"$(q "SELECT key FROM phoenix_kit_settings WHERE value_json->>'name' = 'work' ORDER BY key")" \
	"integration:openrouter:work
integration:openrouter:work-a2000000"
eq "the first by date_added keeps the plain key" \
	"$(q "SELECT key FROM phoenix_kit_settings WHERE uuid = '01900000-0000-7000-8000-a100000000ff'")" "integration:openrouter:work"
eq "three rows: one plain and distinct suffixed keys" \
	"$(q "SELECT count(*) || ' ' || count(DISTINCT key) || ' ' || sum((key = 'integration:openai:main')::int) FROM phoenix_kit_settings WHERE value_json->>'name' = 'main'")" \
	"3 3 1"
eq "suffixes are characters 25-32 of the uuid" \
	"$(q "SELECT bool_and(key = 'integration:openai:main-' || substring(uuid::text FROM 25 FOR 8)) FROM phoenix_kit_settings WHERE value_json->>'name' = 'main' AND key <> 'integration:openai:main'")" "t"
eq "rows from the same millisecond get distinct suffixes" \
	"$(q "SELECT count(DISTINCT key) FROM phoenix_kit_settings WHERE value_json->>'name' = 'burst'")" "3"
first_down=$(q "SELECT uuid, key FROM phoenix_kit_settings ORDER BY uuid")
ladder_up
expect_rc 0
eq "up after down leaves JSON names unsuffixed" \
	"$(q "SELECT count(*) FROM phoenix_kit_settings WHERE value_json->>'name' LIKE '%-%'")" "0"
ladder_down
expect_rc 0
eq "down -> up -> down: names change only by the documented suffix" \
	"$(q "SELECT uuid, key FROM phoenix_kit_settings ORDER BY uuid")" "$first_down"

# --- refusals: each lists the offending rows and changes nothing ---------------------------
refuse_up() { # NAME SQL NEEDLE...
	local name=$1 sql=$2
	shift 2
	at_113 "$name" </dev/null
	q "$sql" >/dev/null
	local before
	before=$(snapshot)
	ladder_up
	expect_rc 1
	for needle in "$@"; do expect_err_has "$needle"; done
	eq "refused up ($name) changed nothing" "$(snapshot)" "$before"
}
refuse_up noprovider \
	"INSERT INTO phoenix_kit_settings (uuid, key) VALUES ('01900000-0000-7000-8000-0000000000e1', 'integration:'), ('01900000-0000-7000-8000-0000000000e2', 'integration::x'), ('01900000-0000-7000-8000-0000000000e3', 'integration:ok:fine')" \
	"integration keys without a provider" "01900000-0000-7000-8000-0000000000e1 (key 'integration:')" \
	"01900000-0000-7000-8000-0000000000e2 (key 'integration::x')" "114_integration_uuid_keys.up.sql"
refuse_up notobject \
	"INSERT INTO phoenix_kit_settings (uuid, key, value_json) VALUES ('01900000-0000-7000-8000-0000000000f1', 'integration:a:b', '[1, 2]'), ('01900000-0000-7000-8000-0000000000f2', 'integration:a:c', '\"text\"')" \
	"value_json is not a JSON object" "01900000-0000-7000-8000-0000000000f1 (key 'integration:a:b', value_json is array)" \
	"01900000-0000-7000-8000-0000000000f2 (key 'integration:a:c', value_json is string)"

refuse_down() { # NAME SQL NEEDLE...
	local name=$1 sql=$2
	shift 2
	at_113 "$name" </dev/null
	ladder_up
	q "$sql" >/dev/null
	local before
	before=$(snapshot)
	ladder_down
	expect_rc 1
	for needle in "$@"; do expect_err_has "$needle"; done
	eq "refused down ($name) changed nothing" "$(snapshot)" "$before"
}
long=$(printf 'n%.0s' {1..250})
refuse_down toolong \
	"INSERT INTO phoenix_kit_settings (uuid, key, value_json, module) VALUES ('01900000-0000-7000-8000-000000000101', '01900000-0000-7000-8000-000000000101', '{\"provider\":\"openrouter\",\"name\":\"$long\"}', 'integrations')" \
	"rebuilt keys longer than 255 characters" "01900000-0000-7000-8000-000000000101"
refuse_down clash \
	"INSERT INTO phoenix_kit_settings (uuid, key, value_json, module) VALUES
	 ('01900000-0000-7000-8000-000000000201', '01900000-0000-7000-8000-000000000201', '{\"provider\":\"x\",\"name\":\"y\"}', 'integrations'),
	 ('01900000-0000-7000-8000-000000000202', 'integration:x:y', NULL, 'legacy-copy')" \
	"rebuilt keys collide with other keys" "01900000-0000-7000-8000-000000000201 (key 'integration:x:y')"
refuse_down suffixclash \
	"INSERT INTO phoenix_kit_settings (uuid, key, value_json, module, date_added) VALUES
	 ('01900000-0000-7000-8000-000000000301', '01900000-0000-7000-8000-000000000301', '{\"provider\":\"x\",\"name\":\"y\"}', 'integrations', '2026-01-01'),
	 ('01900000-0000-7000-8000-000000000302', '01900000-0000-7000-8000-000000000302', '{\"provider\":\"x\",\"name\":\"y\"}', 'integrations', '2026-01-02'),
	 ('01900000-0000-7000-8000-000000000303', 'integration:x:y-00000000', NULL, 'other', '2026-01-03')" \
	"rebuilt keys collide with other keys" "01900000-0000-7000-8000-000000000302 (key 'integration:x:y-00000000')"
refuse_down downnoprovider \
	"INSERT INTO phoenix_kit_settings (uuid, key, value_json, module) VALUES ('01900000-0000-7000-8000-000000000401', '01900000-0000-7000-8000-000000000401', '{\"name\":\"orphan\"}', 'integrations')" \
	"integration rows without a provider in value_json: 01900000-0000-7000-8000-000000000401"

# --- a failure injected midway: rows and comment exactly as before ---------------------
at_113 inject <<'EOF'
INSERT INTO phoenix_kit_settings (key, value_json) SELECT 'integration:p' || i || ':n', NULL FROM generate_series(1, 500) i;
CREATE FUNCTION fail_midway() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.key <> OLD.key AND OLD.key = 'integration:p250:n' THEN
        RAISE EXCEPTION 'injected failure at row 250';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER fail_midway BEFORE UPDATE ON phoenix_kit_settings FOR EACH ROW EXECUTE FUNCTION fail_midway();
EOF
before=$(snapshot)
ladder_up
expect_rc 1
expect_err_has "injected failure at row 250"
expect_err_has "114_integration_uuid_keys.up.sql"
eq "an injected failure leaves rows and comment exactly as before" "$(snapshot)" "$before"

# --- --schema other than public ------------------------------------------------------------
newdb schema
run -d "$URL" -m "$MIGRATIONS" --store comment:phoenix_kit --schema "phoenix kit" --to 113 up
expect_rc 0
qs "phoenix kit" "INSERT INTO phoenix_kit_settings (key) VALUES ('integration:github:ci'), ('theme')" >/dev/null
run -d "$URL" -m "$MIGRATIONS" --store comment:phoenix_kit --schema "phoenix kit" up
expect_rc 0
eq "the stamp lives on the schema's table" "$(q "SELECT obj_description('\"phoenix kit\".phoenix_kit'::regclass, 'pg_class')")" "114"
eq "public is untouched" "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" "0"
eq "rows in the schema are migrated" "$(qs "phoenix kit" "SELECT key = uuid::text FROM phoenix_kit_settings WHERE module = 'integrations'")" "t"
run -d "$URL" -m "$MIGRATIONS" --store comment:phoenix_kit --schema "phoenix kit" down
expect_rc 0
eq "down in the schema" "$(qs "phoenix kit" "SELECT string_agg(key, ',' ORDER BY key) FROM phoenix_kit_settings")" "integration:github:ci,theme"

# --- 10,000 generated rows, every shape, and a fleet of 8 migrators ---------------------------
at_113 fleet <<'EOF'
INSERT INTO phoenix_kit_settings (key, value_json, module)
SELECT CASE i % 5
         WHEN 0 THEN 'integration:prov' || (i % 37) || ':name' || i
         WHEN 1 THEN 'integration:legacy' || i
         WHEN 2 THEN 'integration:prov' || (i % 11) || ':with:colons:' || i
         WHEN 3 THEN 'setting_' || i
         ELSE 'integration:prov' || (i % 7) || ':json' || i END,
       CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN '{"name": "from-json"}' WHEN 2 THEN '{"name": ""}' ELSE '{"k": 1}' END::jsonb,
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'integrations' END
  FROM generate_series(1, 10000) i;
EOF
others_before=$(q "SELECT md5(string_agg(uuid || key || coalesce(value_json::text, '') || coalesce(module, ''), ',' ORDER BY uuid)) FROM phoenix_kit_settings WHERE key NOT LIKE 'integration:%'")
pids=()
for i in 1 2 3 4 5 6 7 8; do
	"$LADDER" -q -d "$URL" -m "$MIGRATIONS" --store comment:phoenix_kit up >"$T/fleet$i.out" 2>&1 &
	pids+=($!)
done
fleet_failures=0
for pid in "${pids[@]}"; do wait "$pid" || fleet_failures=$((fleet_failures + 1)); done
eq "8 migrators at once: none fails" "$fleet_failures" "0"
[ "$fleet_failures" -eq 0 ] || cat "$T"/fleet*.out >&2
eq "the fleet stamps 114" "$(comment)" "114"
eq "every integration row is migrated exactly once" \
	"$(q "SELECT count(*) FILTER (WHERE key = uuid::text AND module = 'integrations' AND value_json ? 'provider' AND value_json ? 'name') || '/' || count(*) FILTER (WHERE key LIKE 'integration:%') FROM phoenix_kit_settings")" "8000/0"
eq "JSON names win, empty ones are filled" \
	"$(q "SELECT count(*) FILTER (WHERE value_json->>'name' = 'from-json') > 0 AND count(*) FILTER (WHERE value_json->>'name' = '') = 0 FROM phoenix_kit_settings WHERE key = uuid::text")" "t"
eq "the 2,000 settings are untouched" \
	"$(q "SELECT md5(string_agg(uuid || key || coalesce(value_json::text, '') || coalesce(module, ''), ',' ORDER BY uuid)) FROM phoenix_kit_settings WHERE key NOT LIKE '%-%-%-%-%'")" "$others_before"
ladder_down
expect_rc 0
eq "down over 10,000 rows restores distinct keys" "$(q "SELECT count(DISTINCT key) FROM phoenix_kit_settings")" "10000"

finish
