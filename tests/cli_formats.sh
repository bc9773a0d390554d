#!/usr/bin/env bash
# tests/cli_formats.sh — migration sets as other tools publish them, run by
# the CLI on SQLite: dotted names, differently named up/down halves, goose
# and sql-migrate files, morph's marker, diesel's folders; empty steps are
# applied and recorded as no-ops (status shows them, up warns), empty downs
# revert nothing, a missing down or -- ladder:irreversible stops `down`, and
# verify still reports an empty down that does not undo its up.
#
# Usage: bash tests/cli_formats.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-formats "$@"

recorded() { sql "$1" "SELECT group_concat(version || ':' || name, ' ') FROM (SELECT * FROM ladder_history ORDER BY version)"; }

# --- placeholders: `ladder new` left unfilled ----------------------------------------------
mkdir p
# first, in the empty directory: a timestamp (a directory of small numbers
# would give the next number)
run -m p new placeholder
expect_rc 0
printf 'CREATE TABLE a (x);\n' >p/1_a.up.sql
printf 'DROP TABLE a;\n' >p/1_a.down.sql
newest=$(ls p/*_placeholder.up.sql)
pv=$(basename "$newest" | cut -d_ -f1)
printf -- '-- migrate:up\n-- to do\n-- migrate:down\n' >p/5_later.sql

run -m p -d p.db up --to 1
expect_rc 0
run -m p -d p.db status
expect_rc 0
expect_out_has "      5  later        pending (empty)  -"
expect_out_re "$pv  placeholder  pending \\(empty\\)  -"
expect_out_has "      1  a            applied"
expect_out_lacks "applied (empty)"
run -m p -d p.db status --json
expect_rc 0
json "status --json marks empty steps" '
ms = d["migrations"]
eq([m["empty"] for m in ms], [False, True, True], "empty")
keys(ms[1], ["version", "name", "state", "kind", "applied_at", "duration_ms", "checksum", "empty", "runs", "runs_why"], "migration")'

run -m p -d p.db up
expect_rc 0
expect_out "Applied 2 migration(s): version 1 → $pv."
expect_err "ladder: warning: migration 5 later is empty: recorded as applied, nothing ran
ladder: warning: migration $pv placeholder is empty: recorded as applied, nothing ran"
eq "the placeholders are recorded" "$(recorded p.db)" "1:a 5:later $pv:placeholder"
eq "and ran nothing" "$(tables p.db)" "a,ladder_history"
run -m p -d p.db status
expect_out_has "later        applied (empty)"
# -q: errors only; -v: the step line, then the warning
run -m p -d p.db down --to 1
expect_rc 0
expect_out "Reverted 2 migration(s): version $pv → 1."
expect_err "ladder: warning: migration $pv placeholder's down is empty: recorded as reverted, nothing ran
ladder: warning: migration 5 later's down is empty: recorded as reverted, nothing ran"
run -q -m p -d p.db up
expect_rc 0
expect_out ""
expect_err ""
run -m p -d p.db down --to 1
run -v -m p -d p.db up
expect_rc 0
expect_out_re "↑ 5 later  \\([0-9.]+ ms\\)"
expect_err_has "ladder: warning: migration 5 later is empty: recorded as applied, nothing ran"

# --- empty downs revert nothing; missing or irreversible ones stop down ----------------------
mkdir d
printf 'CREATE TABLE a (x);\n' >d/1_a.up.sql
printf -- '-- nothing to undo\n' >d/1_a.down.sql
printf 'CREATE TABLE b (x);\n' >d/2_b.up.sql
printf -- '-- ladder:irreversible\n-- the rows are gone for good\n' >d/2_b.down.sql
printf 'CREATE TABLE c (x);\n' >d/3_c.up.sql
: >d/3_c.down.sql
run -m d -d d.db up
expect_rc 0
run -m d -d d.db down
expect_rc 0
expect_out "Reverted 1 migration(s): version 3 → 2."
expect_err "ladder: warning: migration 3 c's down is empty: recorded as reverted, nothing ran"
eq "an empty down ran nothing" "$(tables d.db)" "a,b,c,ladder_history"
run -m d -d d.db down
expect_rc 1
expect_err "ladder: error: migration 2 b (d/2_b.up.sql) has no down: cannot revert below version 2; nothing was changed"
rm d/2_b.down.sql
run -m d -d d.db down
expect_rc 1
expect_err_has "migration 2 b (d/2_b.up.sql) has no down"
printf 'DROP TABLE b;\n-- ladder:irreversible\n' >d/2_b.down.sql
run -m d -d d.db down --to 0
expect_rc 0
expect_out "Reverted 2 migration(s): version 2 → 0."
eq "only the real down ran" "$(tables d.db)" "a,c,ladder_history"

# verify still blames an empty down that does not undo its up
mkdir v
printf 'CREATE TABLE t (x);\n' >v/1_t.up.sql
: >v/1_t.down.sql
run -m v verify
expect_rc 1
expect_out_has "FAIL  1 t: down restores the schema before its up"

# --- other tools' files, end to end --------------------------------------------------------
mkdir g
printf 'CREATE TABLE c (id INTEGER);\n' >g/000056_upgrade_channels_v6.0.up.sql
printf 'DROP TABLE c;\n' >g/000056_upgrade_channels_v6.0.down.sql
printf 'ALTER TABLE c ADD COLUMN x TEXT;\n' >g/0057_1.10.0_schema.up.sql
printf 'ALTER TABLE c DROP COLUMN x;\n' >g/0057_revert_1.10.0.down.sql
printf -- '-- morph:nontransactional\nVACUUM;\n' >g/58_vacuum.up.sql
cat >g/00059_goose_trigger.sql <<'SQL'
-- +goose Up
-- +goose StatementBegin
CREATE TRIGGER c_x AFTER INSERT ON c BEGIN
  UPDATE c SET x = 'new' WHERE id = NEW.id;
END;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TRIGGER c_x;
-- +goose StatementEnd
SQL
cat >g/00060_goose_vacuum.sql <<'SQL'
-- +goose NO TRANSACTION
-- +goose Up
VACUUM;
-- +goose Down
VACUUM;
SQL
cat >g/61_sql_migrate.sql <<'SQL'
-- +migrate Up
CREATE TABLE people (id int);
-- +migrate Down
DROP TABLE people;
SQL
printf -- '-- +migrate Up notransaction\nVACUUM;\n-- +migrate Down\n' >g/62_sm_vacuum.sql
run -m g -d g.db up
expect_rc 0
expect_out "Applied 7 migration(s): version 0 → 62."
expect_err ""
eq "the names are the tools' names" "$(recorded g.db)" \
	"56:upgrade_channels_v6.0 57:1.10.0_schema 58:vacuum 59:goose_trigger 60:goose_vacuum 61:sql_migrate 62:sm_vacuum"
sql g.db "INSERT INTO c (id) VALUES (1)"
eq "the goose trigger runs" "$(sql g.db 'SELECT x FROM c')" "new"
run -m g -d g.db down --to 58
expect_rc 0
expect_out "Reverted 4 migration(s): version 62 → 58."
eq "every down ran" "$(tables g.db)" "c,ladder_history"
eq "the trigger is gone" "$(sql g.db "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")" "0"
run -m g -d g.db down
expect_rc 1
expect_err "ladder: error: migration 58 vacuum (g/58_vacuum.up.sql) has no down: cannot revert below version 58; nothing was changed"

# a file with two tools' markers names the line
mkdir two
printf -- '-- migrate:up\nCREATE TABLE x (a);\n-- +goose Down\nDROP TABLE x;\n' >two/7_x.sql
run -m two -d two.db up
expect_rc 1
expect_err "ladder: error: two/7_x.sql:3: a goose marker ('-- +goose Down') in a dbmate file (line 1): a file holds the markers of one tool; rewrite this line in dbmate's form"
check "nothing was created" test ! -e two.db

# --- diesel's folders ----------------------------------------------------------------------
mkdir -p dz/migrations/00000000000000_diesel_initial_setup dz/migrations/2019-01-01-000000_create_posts \
	dz/migrations/2019-01-02-000000_vacuum dz/migrations/.diesel_lock
printf -- '-- This file was automatically created by Diesel\nCREATE TABLE setup (x);\n' \
	>dz/migrations/00000000000000_diesel_initial_setup/up.sql
printf 'DROP TABLE setup;\n' >dz/migrations/00000000000000_diesel_initial_setup/down.sql
printf 'CREATE TABLE posts (id INTEGER PRIMARY KEY);\n' >dz/migrations/2019-01-01-000000_create_posts/up.sql
printf 'DROP TABLE posts;\n' >dz/migrations/2019-01-01-000000_create_posts/down.sql
printf 'VACUUM;\n' >dz/migrations/2019-01-02-000000_vacuum/up.sql
printf 'run_in_transaction = false\n' >dz/migrations/2019-01-02-000000_vacuum/metadata.toml
printf '[print_schema]\nfile = "src/schema.rs"\n' >dz/diesel.toml
run -m dz/migrations -d dz.db up
expect_rc 0
expect_out "Applied 3 migration(s): version 0 → 20190102000000."
eq "diesel's versions" "$(recorded dz.db)" "1:diesel_initial_setup 20190101000000:create_posts 20190102000000:vacuum"
run -m dz/migrations -d dz.db status
expect_out_has "20190101000000  create_posts"

finish
