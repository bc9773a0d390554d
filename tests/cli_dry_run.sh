#!/usr/bin/env bash
# tests/cli_dry_run.sh — `ladder up --dry-run` and `ladder down --dry-run` on
# SQLite: the steps the run would take, in order, with their SQL and how each
# would run; nothing created (not even the file), nothing changed (the file's
# bytes), no lock taken (answers while another process holds the write lock
# or the lock file); every refusal the very one the real run gives; exit 3
# with --exit-code when a step would run; --json as one object per line.
#
# Usage: bash tests/cli_dry_run.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-dry-run "$@"

digest() { sha256sum "$1" | cut -d' ' -f1; }
# same_as_real WHAT ARGS...: the dry run's exit code and stderr, then the
# real run's (ARGS without --dry-run) must be the same
same_as_real() {
	local what=$1 dry_rc dry_err
	shift
	run "$@" --dry-run
	dry_rc=$RC dry_err=$ERR
	run "$@"
	eq "$what: exit code as the real run's" "$dry_rc" "$RC"
	eq "$what: refusal as the real run's" "$dry_err" "$ERR"
}

mkdir m
printf 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n' >m/1_users.up.sql
printf 'DROP TABLE users;\n' >m/1_users.down.sql
printf 'ALTER TABLE users ADD COLUMN name TEXT;\nCREATE INDEX users_name ON users (name);\n' >m/2_name.up.sql
printf 'DROP INDEX users_name;\nALTER TABLE users DROP COLUMN name;\n' >m/2_name.down.sql
printf 'BEGIN;\nCREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\nCOMMIT;\n' >m/3_notes.up.sql
printf 'DROP TABLE notes;\n' >m/3_notes.down.sql

# --- a path that does not exist: read as empty, never created ---------------------------------
run -m m -d new.db up --dry-run
expect_rc 0
expect_out "Dry run: up on sqlite:new.db (nothing is changed)
  ↑ 1 users  [in the run's transaction]
      CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
  ↑ 2 name  [in the run's transaction]
      ALTER TABLE users ADD COLUMN name TEXT;
      CREATE INDEX users_name ON users (name);
  ↑ 3 notes  [in the run's transaction; its own BEGIN/COMMIT ignored]
      BEGIN;
      CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
      COMMIT;
Would apply 3 migration(s): version 0 → 3."
expect_err ""
eq "nothing created" "$(ls -A | tr '\n' ' ')" ".err .out m "
run -m m -d new.db up --dry-run --exit-code
expect_rc 3
run -q -m m -d sqlite:new.db up --dry-run --exit-code
expect_rc 3
expect_out ""
eq "still nothing created" "$(ls -A | tr '\n' ' ')" ".err .out m "
# as the real runs: down needs the file, up needs its folder
same_as_real "down on a missing file" -m m -d new.db down
expect_err "ladder: error: database 'new.db' does not exist"
same_as_real "up in a missing folder" -m m -d nodir/new.db up
expect_err "ladder: error: cannot create database 'nodir/new.db': directory 'nodir' does not exist"
eq "nothing created by the refusals" "$(ls -A | tr '\n' ' ')" ".err .out m "

# --- partly applied: exactly the pending steps, the file byte for byte -----------------------
run -m m -d app.db up --to 1
expect_rc 0
before=$(digest app.db)
run -m m -d app.db up --dry-run
expect_rc 0
expect_out "Dry run: up on sqlite:app.db (nothing is changed)
  ↑ 2 name  [in the run's transaction]
      ALTER TABLE users ADD COLUMN name TEXT;
      CREATE INDEX users_name ON users (name);
  ↑ 3 notes  [in the run's transaction; its own BEGIN/COMMIT ignored]
      BEGIN;
      CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
      COMMIT;
Would apply 2 migration(s): version 1 → 3."
run -m m -d app.db up --dry-run --to 2 --exit-code
expect_rc 3
expect_out_has "  ↑ 2 name  [in the run's transaction]"
expect_out_lacks "notes"
expect_out_has "Would apply 1 migration(s): version 1 → 2."
run -m m -d app.db --tx-per-migration up --dry-run
expect_out_has "  ↑ 2 name  [in its own transaction (--tx-per-migration)]"
run -m m -d app.db up --dry-run --json --exit-code
expect_rc 3
json_lines "up --dry-run --json" '
eq(len(lines), 3, "lines")
eq(list(lines[0]), ["event", "direction", "version", "name", "runs", "why", "commits_after", "foreign_keys_off",
                    "own_transaction_ignored", "unread", "callback", "sql"], "step keys")
eq([(l["event"], l["direction"], l["version"], l["name"], l["runs"]) for l in lines[:2]],
   [("planned", "up", 2, "name", "transaction"), ("planned", "up", 3, "notes", "transaction")], "steps")
eq(lines[0]["sql"], "ALTER TABLE users ADD COLUMN name TEXT;\nCREATE INDEX users_name ON users (name);\n", "sql")
eq([l["own_transaction_ignored"] for l in lines[:2]], [False, True], "own BEGIN/COMMIT")
eq(lines[2], {"event": "summary", "direction": "up", "dry_run": True, "ok": True, "from": 1, "to": 3, "applied": 2,
              "fast_path": False}, "summary")'
eq "up --dry-run changed no byte" "$(digest app.db)" "$before"
eq "no lock file, no journal" "$(ls -A | tr '\n' ' ')" ".err .out app.db m "
# the real run then does what the dry run said
run -m m -d app.db up
expect_out "Applied 2 migration(s): version 1 → 3."
run -m m -d app.db up --dry-run --exit-code
expect_rc 0
expect_out "Dry run: up on sqlite:app.db (nothing is changed)
Nothing to apply: the database is at version 3."
run -m m -d app.db up --dry-run --json
json_lines "nothing to do, as JSON" '
eq(lines, [{"event": "summary", "direction": "up", "dry_run": True, "ok": True, "from": 3, "to": 3, "applied": 0,
            "fast_path": True}])'

# --- down --dry-run -------------------------------------------------------------------------
before=$(digest app.db)
run -m m -d app.db down --dry-run --steps 2
expect_rc 0
expect_out "Dry run: down on sqlite:app.db (nothing is changed)
  ↓ 3 notes  [in the run's transaction]
      DROP TABLE notes;
  ↓ 2 name  [in the run's transaction]
      DROP INDEX users_name;
      ALTER TABLE users DROP COLUMN name;
Would revert 2 migration(s): version 3 → 1."
run -m m -d app.db down --dry-run --to 0 --json --exit-code
expect_rc 3
json_lines "down --dry-run --json" '
eq([(l["direction"], l["version"]) for l in lines[:-1]], [("down", 3), ("down", 2), ("down", 1)], "steps")
eq((lines[-1]["from"], lines[-1]["to"], lines[-1]["applied"]), (3, 0, 3), "summary")'
run -m m -d app.db down --dry-run --to 3
expect_rc 0
expect_out_has "Nothing to revert: the database is at version 3."
eq "down --dry-run changed no byte" "$(digest app.db)" "$before"

# --- refusals: the real run's own, and nothing changed -----------------------------------------
same_as_real "down above the head" -m m -d app.db down --to 9
expect_rc 1
expect_err "ladder: error: cannot go down to version 9: the database is at version 3, below it; nothing was changed"
cp m/2_name.up.sql name.keep
printf -- '-- edited\n' >>m/2_name.up.sql
same_as_real "edited migration" -m m -d app.db up
expect_rc 1
expect_err_has "migration 2 name (m/2_name.up.sql) was edited after it was applied"
same_as_real "edited migration, down" -m m -d app.db down --steps 2
expect_err_has "was edited after it was applied"
mv name.keep m/2_name.up.sql
printf 'CREATE TABLE t4 (x);\nCOMMIT;\nCREATE TABLE t5 (y);\n' >m/4_stray.up.sql
same_as_real "a stray COMMIT" -m m -d app.db up
expect_rc 1
expect_err_has "m/4_stray.up.sql:2: COMMIT inside migration 4 stray (up) would end ladder's transaction"
rm m/4_stray.up.sql
printf 'CREATE TABLE t4 (x);\n' >m/4_no_down.up.sql
run -m m -d app.db up
same_as_real "a missing down" -m m -d app.db down --steps 2
expect_rc 1
expect_err "ladder: error: migration 4 no_down (m/4_no_down.up.sql) has no down: cannot revert below version 4; nothing was changed"
cp app.db newer.db
sqlite3 newer.db "INSERT INTO ladder_history SELECT 9, 'future', kind, checksum, chain, state, applied_at, duration_ms FROM ladder_history WHERE version = 4"
same_as_real "an applied version the plan lacks" -m m -d newer.db up
expect_err_has "the database is newer than this program: it has version 9 future applied"
run -m m -d newer.db --allow-newer up --dry-run
expect_rc 0
expect_out_has "Nothing to apply: the database is at version 9."
cp app.db interrupted.db
sqlite3 interrupted.db "UPDATE ladder_history SET state = 'started' WHERE version = 4"
run -m m -d interrupted.db up --dry-run # the step may be another run's, in progress: no repair advice
expect_rc 1
expect_err_has "is not recorded as finished: another run may be applying it now, or it was interrupted"
expect_err_lacks "repair"
expect_err_has "migration 4 no_down (m/4_no_down.up.sql) was started at"
run -m m -d interrupted.db up # the real run holds the lock, so it knows, and advises
expect_rc 1
expect_err_has "but never finished"
expect_err_has "ladder repair"
sqlite3 foreign.db "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY); INSERT INTO schema_migrations VALUES ('1')"
same_as_real "another tool's history" -m m -d foreign.db up
expect_err_has "this database was migrated by dbmate"
eq "the foreign database keeps its tables" "$(tables foreign.db)" "schema_migrations"
run -m m -d foreign.db --allow-foreign up --dry-run --exit-code
expect_rc 3
expect_out_has "Would apply 4 migration(s): version 0 → 4."

# how steps that do not run in the transaction are shown, and --strict
mkdir n
printf 'CREATE TABLE a (x);\n' >n/1_a.up.sql
printf -- '-- ladder:no-transaction\nCREATE TABLE b (y);\n' >n/2_b.up.sql
printf 'VACUUM;\n' >n/3_vacuum.up.sql
printf 'PRAGMA foreign_keys = OFF;\nCREATE TABLE c (z);\nPRAGMA foreign_keys = ON;\n' >n/4_c.up.sql
run -m n -d n.db up --dry-run
expect_rc 0
expect_out "Dry run: up on sqlite:n.db (nothing is changed)
  ↑ 1 a  [in the run's transaction]
      CREATE TABLE a (x);
  (the run commits here)
  ↑ 2 b  [no transaction: marked ladder:no-transaction]
      -- ladder:no-transaction
      CREATE TABLE b (y);
  (the run commits here)
  ↑ 3 vacuum  [no transaction: VACUUM at n/3_vacuum.up.sql:1]
      VACUUM;
  (the run commits here)
  ↑ 4 c  [in the run's transaction; foreign keys off: PRAGMA foreign_keys = OFF at n/4_c.up.sql:1]
      PRAGMA foreign_keys = OFF;
      CREATE TABLE c (z);
      PRAGMA foreign_keys = ON;
Would apply 4 migration(s): version 0 → 4."
same_as_real "--strict" -m n -d n.db up --strict
expect_rc 1
expect_err_has "VACUUM"
same_as_real "a light store cannot record a no-transaction step" -m n -d light.db --store user_version up
expect_rc 1
expect_err_has "needs the history store"
rm -f n.db light.db

# --- no lock: answers at once while another process writes ----------------------------------
run -m m -d locked.db up --to 1
hold_write_lock locked.db
start=$(date +%s%N)
run -m m -d locked.db --lock-timeout 60 up --dry-run --exit-code
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
expect_rc 3
expect_out_has "Would apply 3 migration(s): version 1 → 4."
check "the dry run did not wait for the write lock (took ${elapsed_ms} ms)" test "$elapsed_ms" -lt 3000
run -m m -d locked.db --lock-timeout 0.3 up # the real run waits, and can fail
expect_rc 1
expect_err_has "another connection holds the write lock on sqlite:locked.db"
exec 3>&-
wait "$HOLDER" || true
if command -v flock >/dev/null; then
	# the lock file a run committing more than once takes (--tx-per-migration)
	exec 4>locked.db-ladder-lock
	flock 4
	start=$(date +%s%N)
	run -m m -d locked.db --lock-timeout 60 --tx-per-migration up --dry-run
	elapsed_ms=$((($(date +%s%N) - start) / 1000000))
	expect_rc 0
	expect_out_has "Would apply 3 migration(s): version 1 → 4."
	check "the dry run did not wait for the lock file (took ${elapsed_ms} ms)" test "$elapsed_ms" -lt 3000
	run -m m -d locked.db --lock-timeout 0.3 --tx-per-migration up
	expect_rc 1
	expect_err_has "another migrator holds the migration lock on sqlite:locked.db"
	exec 4>&-
else
	echo "note: flock(1) not found: the lock-file case is not tested"
fi

# --- usage ----------------------------------------------------------------------------------
run -m m -d app.db up --exit-code
expect_rc 2
expect_err_has "option '--exit-code' applies to 'up' only with --dry-run"
run -m m -d app.db down --exit-code
expect_rc 2
expect_err_has "option '--exit-code' applies to 'down' only with --dry-run"
run -m m -d app.db status --dry-run
expect_rc 2
expect_err_has "option '--dry-run' does not apply to 'status'"
run up --help
expect_out_has "--dry-run: show the steps that would run"

finish
