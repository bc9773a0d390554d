#!/usr/bin/env bash
# tests/cli_pg_verify.sh — `ladder dump` and `ladder verify` on a real
# PostgreSQL server: dumps that do not depend on build order, verify passing
# on the settings set (with its round trip) and catching broken plans (a
# baseline missing an index, a down that forgets a column, a default that
# differs, a failing post-condition) with a diff naming the object; scratch
# databases always removed. Also --ddl-lock-timeout failing fast.
#
# Usage: bash tests/cli_pg_verify.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup pg-verify "$@"
pg_setup verify

scratch_count() { psql -X -qAt "$SERVER" -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'ladder_verify_%'"; }

# --- dump: the same schema in another build order gives the same bytes ------------------
newdb one
psql -X -q -v ON_ERROR_STOP=1 "$URL" >/dev/null <<'EOF'
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, age int DEFAULT 0 CHECK (age >= 0), feeling mood);
CREATE TABLE notes (id bigserial PRIMARY KEY, user_id bigint REFERENCES users(id) ON DELETE CASCADE, body text);
CREATE INDEX notes_user ON notes (user_id);
CREATE VIEW adults AS SELECT id, email FROM users WHERE age >= 18;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER notes_touch BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION touch();
COMMENT ON TABLE users IS 'people';
EOF
newdb two
psql -X -q -v ON_ERROR_STOP=1 "$URL" >/dev/null <<'EOF'
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
ALTER TABLE users ADD COLUMN age int DEFAULT 0;
ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age >= 0);
ALTER TABLE users ADD COLUMN feeling mood;
CREATE TABLE notes (id bigserial PRIMARY KEY, body text);
COMMENT ON TABLE users IS 'people';
CREATE VIEW adults AS
    SELECT id, email
      FROM users WHERE age >= 18;
EOF
# notes.user_id added last changes column order, so build it in the same order
psql -X -q -v ON_ERROR_STOP=1 "$URL" >/dev/null <<'EOF'
DROP TABLE notes;
CREATE TABLE notes (id bigserial PRIMARY KEY, user_id bigint, body text);
ALTER TABLE notes ADD CONSTRAINT notes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE;
CREATE TRIGGER notes_touch BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION touch();
CREATE INDEX notes_user ON notes (user_id);
EOF
run -d "${SERVER%/*}/verify_one_$$" dump
expect_rc 0
one=$OUT
run -d "${SERVER%/*}/verify_two_$$" dump
expect_rc 0
eq "the same schema built in another order dumps to the same bytes" "$OUT" "$one"
for needle in "table users" "  column age integer default 0" "constraint users_age_check on users" \
	"index notes_user on notes" "view adults" "function touch()" "trigger notes_touch on notes" \
	"type mood enum" "comment on table users"; do
	if [[ $one == *"$needle"* ]]; then pass; else fail "the dump lacks ${needle@Q}" "$one"; fi
done
psql -X -q "$URL" -c "CREATE INDEX users_age ON users (age)" >/dev/null
run -d "$URL" dump
if [ "$OUT" != "$one" ]; then pass; else fail "a new index does not show in the dump"; fi

# --- verify: the settings set, with its round trip --------------------------------------------
before=$(scratch_count)
run -d "$SERVER" -m "$ROOT/examples/settings/migrations" --store comment:phoenix_kit verify
expect_rc 0
expect_out_has "ok    114 integration_uuid_keys: down restores the schema before its up"
expect_out_has "ok    114 integration_uuid_keys: up again gives the same schema"
eq "verify removes its scratch databases" "$(scratch_count)" "$before"

# --- verify catches broken plans --------------------------------------------------------
mkdir good
cat >good/1_users.up.sql <<'EOF'
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
EOF
echo 'DROP TABLE users;' >good/1_users.down.sql
echo 'ALTER TABLE users ADD COLUMN age integer NOT NULL DEFAULT 0;' >good/2_age.up.sql
echo 'ALTER TABLE users DROP COLUMN age;' >good/2_age.down.sql
echo 'CREATE INDEX users_email ON users (email);' >good/3_index.up.sql
echo 'DROP INDEX users_email;' >good/3_index.down.sql
cat >good/3_schema.baseline.sql <<'EOF'
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, age integer NOT NULL DEFAULT 0);
CREATE INDEX users_email ON users (email);
EOF
run -d "$SERVER" -m good verify
expect_rc 0
expect_out_has "ok    baseline at 3 equals the steps up to 3"

cp -r good noindex
echo 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, age integer NOT NULL DEFAULT 0);' >noindex/3_schema.baseline.sql
run -d "$SERVER" -m noindex verify
expect_rc 1
expect_out_has "FAIL  baseline at 3 equals the steps up to 3"
expect_out_has "+index users_email on users"

cp -r good baddefault
cat >baddefault/3_schema.baseline.sql <<'EOF'
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, age integer NOT NULL DEFAULT 18);
CREATE INDEX users_email ON users (email);
EOF
run -d "$SERVER" -m baddefault verify
expect_rc 1
expect_out_has "@@"
expect_out_has "table users"
expect_out_has "-  column age integer not null default 18"
expect_out_has "+  column age integer not null default 0"

cp -r good baddown
echo 'SELECT 1;' >baddown/2_age.down.sql
run -d "$SERVER" -m baddown verify
expect_rc 1
expect_out_has "FAIL  2 age: down restores the schema before its up"
expect_out_has "+  column age integer not null default 0"

cp -r good badcheck
echo 'SELECT count(*) AS users FROM users' >badcheck/2_age.check.sql
run -d "$SERVER" -m badcheck verify
expect_rc 1
expect_out_has "FAIL  2 age: up and its post-condition"
expect_out_has "post-condition failed"
eq "failed verifications remove their scratch databases too" "$(scratch_count)" "$before"

# --- --ddl-lock-timeout: a step queued behind a long transaction fails fast -------------------
newdb ddl
mkdir ddl
echo 'CREATE TABLE busy (id int);' >ddl/1_busy.up.sql
run -d "$URL" -m ddl up
expect_rc 0
echo 'ALTER TABLE busy ADD COLUMN note text;' >ddl/2_note.up.sql
mkfifo hold
(psql -X -q "$URL" <hold >/dev/null 2>&1 &)
exec 3>hold
echo "BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE; SELECT 1;" >&3
sleep 0.5
start=$(date +%s%N)
run -d "$URL" -m ddl --ddl-lock-timeout 0.3 up
elapsed=$((($(date +%s%N) - start) / 1000000))
exec 3>&-
expect_rc 1
expect_err_has "55P03"
expect_err_has "2_note.up.sql:1"
if [ "$elapsed" -lt 5000 ]; then pass; else fail "--ddl-lock-timeout 0.3 took ${elapsed} ms"; fi
eq "the timed-out step changed nothing" "$(psql -X -qAt "$URL" -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'busy'")" "1"

finish
