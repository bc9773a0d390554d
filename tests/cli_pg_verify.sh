#!/usr/bin/env bash
# tests/cli_pg_verify.sh — `ladder dump` and `ladder verify` on a real
# PostgreSQL server: dumps that do not depend on build order, verify passing
# on the settings set (with its round trip) and catching broken plans (a
# baseline missing an index, a down that forgets a column, a default that
# differs, a failing post-condition) with a diff naming the object; every
# broken down of a set reported in one run, each on its own step, with a
# summary that adds up; column order warning (failing with --strict);
# function and view text kept exactly; scratch databases always removed.
# Also --ddl-lock-timeout failing fast.
#
# Usage: bash tests/cli_pg_verify.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup pg-verify "$@"
pg_setup verify

# The summary line states every number, they add up, and so do the lines.
counts_add_up() {
	local re='([0-9]+) check\(s\): ([0-9]+) passed, ([0-9]+) warning\(s\), ([0-9]+) failed, ([0-9]+) skipped\.'
	if [[ $OUT =~ $re ]]; then
		local total=${BASH_REMATCH[1]} ok=${BASH_REMATCH[2]} warn=${BASH_REMATCH[3]} failed=${BASH_REMATCH[4]}
		local skipped=${BASH_REMATCH[5]}
		eq "checks = passed + warnings + failed + skipped" "$total" "$((ok + warn + failed + skipped))"
		eq "ok lines" "$(grep -c '^ok    ' <<<"$OUT" || true)" "$ok"
		eq "warn lines" "$(grep -c '^warn  ' <<<"$OUT" || true)" "$warn"
		eq "FAIL lines" "$(grep -c '^FAIL  ' <<<"$OUT" || true)" "$failed"
		eq "skip lines" "$(grep -c '^skip  ' <<<"$OUT" || true)" "$skipped"
	else
		fail "no summary line" "$OUT"
	fi
}

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

# --- a set as they come: every broken down in one run, each on its own step ---------------
mkdir real
echo 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);' >real/1_users.up.sql
echo 'DROP TABLE users;' >real/1_users.down.sql
echo 'CREATE TABLE notes (id bigint PRIMARY KEY, body text);' >real/2_notes.up.sql
echo 'DROP TABEL notes;' >real/2_notes.down.sql
echo 'CREATE INDEX notes_body ON notes (body);' >real/3_ix.up.sql
echo 'SELECT 1;' >real/3_ix.down.sql
printf 'CREATE TABLE tags (name text PRIMARY KEY);\nCREATE VIEW tag_names AS SELECT name FROM tags;\n' >real/4_tags.up.sql
printf 'DROP TABLE tags;\nDROP VIEW tag_names;\n' >real/4_tags.down.sql
echo 'ALTER TABLE users ADD COLUMN age integer;' >real/5_age.up.sql
echo 'ALTER TABLE users DROP COLUMN age;' >real/5_age.down.sql
run -d "$SERVER" -m real verify
expect_rc 1
expect_out_has "FAIL  2 notes: down restores the schema before its up
      real/2_notes.down.sql:1: ERROR 42601: syntax error at or near \"TABEL\""
expect_out_has "skip  2 notes: up again gives the same schema (not run: its down failed)"
expect_out_has "FAIL  3 ix: down restores the schema before its up
--- before 3 up
+++ after 3 down"
expect_out_has "+index notes_body on notes"
expect_out_has "skip  3 ix: up again gives the same schema (not run: its down did not restore the schema)"
expect_out_has "FAIL  4 tags: down restores the schema before its up
      real/4_tags.down.sql:1: ERROR 2BP01: cannot drop table tags because other objects depend on it"
expect_out_has "ok    5 age: down restores the schema before its up"
expect_out_has "ok    5 age: up again gives the same schema"
expect_out_has "15 check(s): 9 passed, 0 warning(s), 3 failed, 3 skipped."
expect_err_has "ladder: error: 3 of 15 verification check(s) failed"
counts_add_up

# --- "up again" that differs is blamed on its step, not the next one ------------------------
mkdir uneven
echo 'CREATE TABLE marks (n int);' >uneven/1_marks.up.sql
echo 'DROP TABLE marks;' >uneven/1_marks.down.sql
cat >uneven/2_t.up.sql <<'EOF2'
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM marks) THEN CREATE TABLE t (a int, b int); ELSE CREATE TABLE t (a int); END IF;
  INSERT INTO marks VALUES (1);
END $$;
EOF2
echo 'DROP TABLE t;' >uneven/2_t.down.sql
echo 'CREATE INDEX t_a ON t (a);' >uneven/3_ix.up.sql
echo 'DROP INDEX t_a;' >uneven/3_ix.down.sql
run -d "$SERVER" -m uneven verify
expect_rc 1
expect_out_has "ok    2 t: down restores the schema before its up"
expect_out_has "FAIL  2 t: up again gives the same schema
--- after 2 up
+++ after 2 down and up"
expect_out_has "+  column b integer"
expect_out_has "ok    3 ix: down restores the schema before its up"
expect_out_has "ok    3 ix: up again gives the same schema"
expect_out_has "9 check(s): 8 passed, 0 warning(s), 1 failed, 0 skipped."
counts_add_up

# --- a correct down + up of a column that was not last changes only the order ---------------
mkdir order
echo 'CREATE TABLE users (id bigint PRIMARY KEY, email text, age int);' >order/1_users.up.sql
echo 'DROP TABLE users;' >order/1_users.down.sql
echo 'ALTER TABLE users DROP COLUMN email;' >order/2_no_email.up.sql
echo 'ALTER TABLE users ADD COLUMN email text;' >order/2_no_email.down.sql
run -d "$SERVER" -m order verify
expect_rc 0
expect_out_has "warn  2 no_email: down restores the schema before its up: column order differs
      table users: (id, email, age) vs (id, age, email)"
expect_out_has "6 check(s): 5 passed, 1 warning(s), 0 failed, 0 skipped."
counts_add_up
run -d "$SERVER" -m order verify --strict
expect_rc 1
expect_out_has "FAIL  2 no_email: down restores the schema before its up
      column order differs (strict)
      table users: (id, email, age) vs (id, age, email)"
expect_err_has "ladder: error: 1 of 6 verification check(s) failed"
counts_add_up

# --- bodies keep their text: these two functions return 2 and 1 ------------------------------
newdb body1
psql -X -q -v ON_ERROR_STOP=1 "$URL" >/dev/null <<'EOF2'
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$SELECT 1 -- c
+ 1$$;
CREATE VIEW v AS SELECT 1 -- c
+ 1 AS n;
EOF2
body1_url=$URL
newdb body2
psql -X -q -v ON_ERROR_STOP=1 "$URL" >/dev/null <<'EOF2'
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$SELECT 1 -- c + 1$$;
CREATE VIEW v AS SELECT 1 -- c + 1 AS n
;
EOF2
eq "the functions differ" "$(psql -X -qAt "$body1_url" -c 'SELECT f()') $(psql -X -qAt "$URL" -c 'SELECT f()')" "2 1"
run -d "$body1_url" dump
expect_rc 0
body1=$OUT
expect_out_has 'AS $function$SELECT 1 -- c\n+ 1$function$\n'
run -d "$URL" dump
expect_out_has 'AS $function$SELECT 1 -- c + 1$function$\n'
if [ "$OUT" != "$body1" ]; then pass; else fail "two functions that differ dump alike" "$OUT"; fi
body_fn=$(grep -A1 '^function f()' <<<"$OUT" | tail -1)
body1_fn=$(grep -A1 '^function f()' <<<"$body1" | tail -1)
if [ "$body_fn" != "$body1_fn" ]; then pass; else fail "the function lines are the same" "$body_fn"; fi
view_b=$(grep -A1 '^view v$' <<<"$OUT" | tail -1)
view_a=$(grep -A1 '^view v$' <<<"$body1" | tail -1)
if [ "$view_a" != "$view_b" ]; then pass; else fail "the view lines are the same" "$view_a"; fi
# and verify sees a down that puts the function back folded on one line
mkdir fold
printf 'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$SELECT 1 -- c\n+ 1$$;\n' >fold/1_f.up.sql
echo 'DROP FUNCTION f();' >fold/1_f.down.sql
echo 'CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$SELECT 3$$;' >fold/2_three.up.sql
echo 'CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$SELECT 1 -- c + 1$$;' >fold/2_three.down.sql
run -d "$SERVER" -m fold verify
expect_rc 1
expect_out_has "FAIL  2 three: down restores the schema before its up"
expect_out_has '-  CREATE OR REPLACE FUNCTION public.f()\n RETURNS integer\n LANGUAGE sql\nAS $function$SELECT 1 -- c\n+ 1$function$\n'
counts_add_up
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
