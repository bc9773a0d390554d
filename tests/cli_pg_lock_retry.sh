#!/usr/bin/env bash
# tests/cli_pg_lock_retry.sh — runtime lock safety on a real PostgreSQL
# server: another session holds ACCESS EXCLUSIVE on a table while `ladder up
# --ddl-lock-timeout 0.2` needs it. Without --lock-retries the run fails
# cleanly and changes nothing (schema and history as before); with it, the
# rolled-back transaction runs again until the lock is free, each retry
# reported (text and --json): the whole run when it is one transaction, the
# failing step alone with --tx-per-migration (the step before it committed
# once). Retries run out with their count in the error; a no-transaction
# step is never retried. `-- ladder:statement-timeout` limits one step's
# statements (the error names step, file, statement and timeout), and the
# steps after it, transactional or not, run without it. Bounded: about 15 s.
#
# Usage: bash tests/cli_pg_lock_retry.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-pg-lock-retry "$@"
pg_setup ladder_retry

q() { psql -X -qAt -v ON_ERROR_STOP=1 "$URL" -c "$1"; }
# what a run may change: the schema as ladder describes it, and the history
state() {
	"$LADDER" -d "$URL" dump
	q "SELECT version, name, checksum, state, applied_at FROM ladder_history ORDER BY version"
}

# hold_table_lock TABLE SECONDS: another session takes ACCESS EXCLUSIVE on
# TABLE and keeps it SECONDS; returns once the lock is granted. HOLDER: pid.
hold_table_lock() {
	psql -X -q "$URL" -c "BEGIN" -c "LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep($2)" \
		-c "COMMIT" >/dev/null 2>&1 &
	HOLDER=$!
	for _ in $(seq 200); do
		if [ "$(q "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
		           WHERE c.relname = '$1' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ]; then
			return 0
		fi
		sleep 0.02
	done
	echo "the lock on $1 was never taken" >&2
	exit 1
}

mkdir m
printf 'CREATE TABLE users (id int PRIMARY KEY);\n' >m/1_users.up.sql
printf 'CREATE TABLE audit (id int);\n' >m/2_audit.up.sql
printf 'ALTER TABLE users ADD COLUMN email text;\n' >m/3_email.up.sql

# --- without retries: fails at once, changes nothing -------------------------------------
newdb none
run -d "$URL" -m m up --to 1
expect_rc 0
before=$(state)
hold_table_lock users 1.5
started=$(date +%s%N)
run -d "$URL" -m m --ddl-lock-timeout 0.2 up
took_ms=$((($(date +%s%N) - started) / 1000000))
expect_rc 1
expect_err_has "m/3_email.up.sql:1: ERROR 55P03: canceling statement due to lock timeout (migration 3 email, up)"
expect_err_has "The run was rolled back: the database is still at version 1"
expect_err_lacks "retry"
eq "it fails within the lock timeout, without waiting for the holder (${took_ms} ms)" \
	"$([ "$took_ms" -lt 1200 ] && echo fast)" "fast"
eq "schema and history are as before" "$(state)" "$before"
eq "step 2, in the same transaction, was rolled back too" "$(q "SELECT to_regclass('audit') IS NULL")" "t"
wait "$HOLDER"

# --- one transaction: the whole run again, until the lock is free ------------------------
newdb whole
run -d "$URL" -m m up --to 1
expect_rc 0
hold_table_lock users 2
started=$(date +%s%N)
run -d "$URL" -m m --ddl-lock-timeout 0.2 --lock-retries 20 up
took_ms=$((($(date +%s%N) - started) / 1000000))
expect_rc 0
expect_err_has "ladder: step 3 email: lock not available (lock_timeout 200 ms), retry 1 of 20 in 0."
expect_err_has "retry 2 of 20 in "
expect_err_lacks "step 2 audit: lock"
expect_out_has "Applied 2 migration(s): version 1 → 3."
eq "the run ended once the holder let go (${took_ms} ms)" \
	"$([ "$took_ms" -ge 1500 ] && [ "$took_ms" -lt 12000 ] && echo bounded)" "bounded"
eq "both steps are applied once" "$(q "SELECT string_agg(version::text, ',' ORDER BY version) FROM ladder_history")" "1,2,3"
eq "the column is there" "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email'")" "1"
wait "$HOLDER"

# --- a transaction per migration: step 2 committed once, step 3 retried alone ------------
newdb per_step
run -d "$URL" -m m up --to 1
expect_rc 0
hold_table_lock users 2
run -d "$URL" -m m --ddl-lock-timeout 0.2 --lock-retries 20 --tx-per-migration up --json
expect_rc 0
json_lines "--json: retries of step 3 alone, step 2 started once" '
retries = [l for l in lines if l["event"] == "lock_retry"]
assert len(retries) >= 2, retries
eq([r["version"] for r in retries], [3] * len(retries), "retried versions")
eq([r["retry"] for r in retries], list(range(1, len(retries) + 1)), "retry numbers")
eq({(r["retries"], r["lock_timeout_ms"], r["name"], r["direction"]) for r in retries}, {(20, 200, "email", "up")}, "fields")
assert all(0 < r["delay_ms"] <= 10000 for r in retries), retries
starts = [l["version"] for l in lines if l["event"] == "start"]
eq(starts.count(2), 1, "step 2 starts")
eq(starts.count(3), len(retries) + 1, "step 3 starts")
eq(lines[-1]["ok"], True, "ok")
eq(lines[-1]["applied"], 2, "applied")'
# step 2 committed before step 3 first failed: its row is older than the
# retries' wait, step 3's newer
eq "step 2 committed before step 3's retries" \
	"$(q "SELECT (SELECT applied_at FROM ladder_history WHERE version = 3)::timestamptz - (SELECT applied_at FROM ladder_history WHERE version = 2)::timestamptz >= interval '1 second'")" "t"
wait "$HOLDER"

# --- retries run out: the count is in the error, nothing changed ------------------------
newdb out
run -d "$URL" -m m up --to 1
expect_rc 0
before=$(state)
hold_table_lock users 4
run -d "$URL" -m m --ddl-lock-timeout 0.2 --lock-retries 2 up
expect_rc 1
expect_err_has "retry 2 of 2 in "
expect_err_has "ERROR 55P03: canceling statement due to lock timeout (migration 3 email, up). Gave up after 2 lock retries. The run was rolled back: the database is still at version 1"
eq "schema and history are as before" "$(state)" "$before"
kill "$HOLDER" 2>/dev/null || true
wait "$HOLDER" 2>/dev/null || true
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null

# --- a no-transaction step is never retried --------------------------------------------
mkdir m_ci
cp m/1_users.up.sql m_ci/
printf 'CREATE INDEX CONCURRENTLY users_id ON users (id);\n' >m_ci/2_index.up.sql
newdb no_tx
run -d "$URL" -m m_ci up --to 1
expect_rc 0
hold_table_lock users 1.5
run -d "$URL" -m m_ci --ddl-lock-timeout 0.2 --lock-retries 5 up
expect_rc 1
expect_err_lacks "retry 1 of"
expect_err_has "ERROR 55P03"
expect_err_has "Not retried: a no-transaction step is never run again, as its statements commit one by one"
eq "no index was left behind" "$(q "SELECT count(*) FROM pg_indexes WHERE indexname = 'users_id'")" "0"
wait "$HOLDER"

# --- -- ladder:statement-timeout ----------------------------------------------------------
mkdir m_to
printf -- '-- ladder:statement-timeout 300ms\nCREATE TABLE seen AS SELECT current_setting('"'"'statement_timeout'"'"') AS st;\n' \
	>m_to/1_limited.up.sql
printf 'CREATE TABLE after_tx AS SELECT current_setting('"'"'statement_timeout'"'"') AS st;\n' >m_to/2_after.up.sql
printf -- '-- ladder:no-transaction\n-- ladder:statement-timeout 2s\nCREATE INDEX CONCURRENTLY seen_st ON seen (st);\n' \
	>m_to/3_alone.up.sql
printf 'CREATE TABLE after_alone AS SELECT current_setting('"'"'statement_timeout'"'"') AS st;\n' >m_to/4_after.up.sql
printf -- '-- a slow one\n-- ladder:statement-timeout 0.3 s\nCREATE TABLE slow (x int);\nSELECT pg_sleep(3);\n' \
	>m_to/5_slow.up.sql
newdb timeout
run -d "$URL" -m m_to up --to 4
expect_rc 0
eq "the step runs under its timeout" "$(q "SELECT st FROM seen")" "300ms"
eq "the next step in the same transaction does not inherit it" "$(q "SELECT st FROM after_tx")" "0"
eq "nor does the step after a no-transaction step that had one" "$(q "SELECT st FROM after_alone")" "0"
before=$(state)
started=$(date +%s%N)
run -d "$URL" -m m_to up
took_ms=$((($(date +%s%N) - started) / 1000000))
expect_rc 1
expect_err_has "m_to/5_slow.up.sql:4: ERROR 57014: canceling statement due to statement timeout (migration 5 slow, up): \`SELECT pg_sleep(3)\` ran past the step's statement timeout of 300 ms (-- ladder:statement-timeout, line 2). Nothing was changed: the database is still at version 4"
expect_one_error_line
eq "it stops at the timeout, not after the statement (${took_ms} ms)" "$([ "$took_ms" -lt 2500 ] && echo stopped)" "stopped"
eq "nothing of the step stays" "$(q "SELECT to_regclass('slow') IS NULL")" "t"
eq "schema and history as they were" "$(state)" "$before"
eq "the database's own setting is untouched" "$(q "SELECT current_setting('statement_timeout')")" "0"

# a bad value is refused at load, with file and line
mkdir m_bad
printf -- '-- ladder:statement-timeout 30 parsecs\nSELECT 1;\n' >m_bad/1_bad.up.sql
run -d "$URL" -m m_bad up
expect_rc 1
expect_err_has "m_bad/1_bad.up.sql:1: 'ladder:statement-timeout 30 parsecs': the statement timeout must be a number with a unit, ms, s or min"

# SQLite has no statement timeout: refused before anything runs
run -d "$T/lite.db" -m m_to up
expect_rc 1
expect_err_has "m_to/1_limited.up.sql:1: migration 1 limited asks for a statement timeout (-- ladder:statement-timeout), which the sqlite driver cannot set"
expect_err_has "Nothing was changed"

# usage errors
run -d "$URL" -m m --lock-retries -1 up
expect_rc 2
expect_err_has "invalid --lock-retries '-1'"

finish
