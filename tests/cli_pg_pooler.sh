#!/usr/bin/env bash
# tests/cli_pg_pooler.sh — ladder through a real PgBouncer (tests/pg/pgbouncer.sh
# in front of the test server), in transaction and in session pooling mode,
# pool size 3: rounds of 16 migrators at once (runs that are one transaction,
# then runs with a CREATE INDEX CONCURRENTLY step that commit more than once)
# all succeed, plain no-op runs succeed in later rounds (no named statement
# left on a pooled session), every step ran exactly once, and no advisory
# lock or lease is left behind. Then a holder killed with SIGKILL in the
# middle of a no-transaction step: while its lease lives, another migrator
# names it as the holder; once it expired (--lease-expiry 6), it is taken
# over; a holder whose lease was taken over stops at its next renewal.
# --schema through the pooler; lastly --lock on a direct connection and the
# refusals of --lock.
#
# Usage: bash tests/cli_pg_pooler.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-pg-pooler "$@"
pg_setup ladder_pool

command -v pgbouncer >/dev/null || { echo "pgbouncer is not installed (scripts/deps.sh installs it)" >&2; exit 1; }
SERVER_DIR=$(dirname "$LADDER_PG_URL_FILE")
stop_pooler() { bash "$ROOT/tests/pg/pgbouncer.sh" stop "$T/pgb" >/dev/null; }
at_exit stop_pooler

# q URL QUERY: one value, as psql prints it unaligned (always direct to the server)
q() { psql -X -q -A -t "$1" -c "$2"; }

# m1: one transaction per run. m2: m1 and a no-transaction step, so runs
# commit more than once. `side` counts how often each step's body ran.
mkdir m1 m2
printf 'CREATE TABLE side (what text NOT NULL);\n' >m1/1_side.up.sql
printf 'CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL);\nINSERT INTO side VALUES (%s);\n' "'2'" \
	>m1/2_items.up.sql
cp m1/* m2/
printf 'CREATE INDEX CONCURRENTLY items_name ON items (name);\n' >m2/3_items_name.up.sql
printf 'ALTER TABLE items ADD COLUMN qty integer;\nINSERT INTO side VALUES (%s);\n' "'4'" >m2/4_qty.up.sql

# migrators N DB DIR [ARGS...]: N ladder up at once through URL DB; each
# one's exit code and output in $T/mig.I. Sets FAILED to how many failed.
# The lock timeout is a bound, not a measure: sixteen sanitized processes
# on two cores, queued behind one pool of three connections and a CREATE
# INDEX CONCURRENTLY, took over 30 s.
migrators() {
	local n=$1 db=$2 dir=$3 i pids=()
	shift 3
	for i in $(seq "$n"); do
		"$LADDER" -q -d "$db" -m "$dir" --lock-timeout 180 "$@" up >"$T/mig.$i" 2>&1 </dev/null &
		pids+=($!)
	done
	FAILED=0
	for i in $(seq "$n"); do
		if ! wait "${pids[$((i - 1))]}"; then
			FAILED=$((FAILED + 1))
			sed "s/^/    mig.$i | /" "$T/mig.$i" >&2
		fi
	done
}

# locks_left DBNAME: advisory locks held in that database, by anyone
locks_left() {
	q "$SERVER" "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = '$1'"
}
leases_left() { q "$1" "SELECT count(*) FROM ladder_lock"; }

for mode in transaction session; do
	bash "$ROOT/tests/pg/pgbouncer.sh" start "$T/pgb" "$SERVER_DIR" "$mode" >/dev/null
	POOLER=$(cat "$T/pgb/url")
	for round in 1 2 3; do
		newdb "${mode}_$round"
		name=${URL##*/}
		VIA=${POOLER%/*}/$name

		migrators 16 "$VIA" m1
		eq "$mode round $round: 16 one-transaction migrators succeed" "$FAILED" 0
		eq "$mode round $round: m1 recorded once" "$(q "$URL" "SELECT string_agg(version::text, ',' ORDER BY version) FROM ladder_history")" "1,2"
		eq "$mode round $round: m1 bodies ran once" "$(q "$URL" "SELECT string_agg(what, ',' ORDER BY what) FROM side")" "2"

		migrators 16 "$VIA" m2
		eq "$mode round $round: 16 migrators with a no-transaction step succeed" "$FAILED" 0
		eq "$mode round $round: m2 recorded once, all done" \
			"$(q "$URL" "SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM ladder_history")" \
			"1:done,2:done,3:done,4:done"
		eq "$mode round $round: m2 bodies ran once" "$(q "$URL" "SELECT string_agg(what, ',' ORDER BY what) FROM side")" "2,4"
		eq "$mode round $round: the concurrent index is valid" \
			"$(q "$URL" "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_name'::regclass")" "t"

		# plain no-op runs, one after another and all at once
		for _ in 1 2; do
			run -d "$VIA" -m m2 up
			expect_rc 0
			expect_out "Database is up to date at version 4."
		done
		migrators 16 "$VIA" m2
		eq "$mode round $round: 16 no-op runs succeed" "$FAILED" 0
		eq "$mode round $round: no advisory lock left" "$(locks_left "$name")" 0
		eq "$mode round $round: no lease left" "$(leases_left "$URL")" 0
		XMIN=$(q "$URL" "SELECT string_agg(xmin::text, ',' ORDER BY version) FROM ladder_history")
		run -d "$VIA" -m m2 status
		expect_rc 0
		eq "$mode round $round: no-op runs wrote nothing" \
			"$(q "$URL" "SELECT string_agg(xmin::text, ',' ORDER BY version) FROM ladder_history")" "$XMIN"
	done
	stop_pooler
done

# --- --schema behind a transaction pooler: set again in every transaction -----------
bash "$ROOT/tests/pg/pgbouncer.sh" start "$T/pgb" "$SERVER_DIR" transaction >/dev/null
POOLER=$(cat "$T/pgb/url")
newdb schema
VIA=${POOLER%/*}/${URL##*/}
migrators 8 "$VIA" m1 --schema billing
eq "--schema: 8 migrators succeed" "$FAILED" 0
eq "--schema: the tables and the store are in billing" \
	"$(q "$URL" "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'billing' AND c.relkind = 'r'")" \
	"items,ladder_history,side"
eq "--schema: nothing in public" "$(q "$URL" "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'")" 0
stop_pooler

# --- a holder killed with SIGKILL in a no-transaction step ------------------------
bash "$ROOT/tests/pg/pgbouncer.sh" start "$T/pgb" "$SERVER_DIR" transaction >/dev/null
POOLER=$(cat "$T/pgb/url")
newdb killed
name=${URL##*/}
VIA=${POOLER%/*}/$name
cp -r m2 m3
printf -- '-- ladder:no-transaction\nSELECT pg_sleep(10);\n' >m3/5_slow.up.sql
run -d "$VIA" -m m2 up
expect_rc 0
"$LADDER" -q -d "$VIA" -m m3 --lease-expiry 6 up >"$T/holder.out" 2>&1 </dev/null &
HOLDER=$!
for _ in $(seq 100); do
	[ "$(q "$URL" "SELECT count(*) FROM ladder_history WHERE version = 5 AND state = 'started'")" = 1 ] && break
	sleep 0.05
done
eq "the holder is in its slow step" "$(q "$URL" "SELECT state FROM ladder_history WHERE version = 5")" "started"
eq "the holder's lease names its pid" "$(q "$URL" "SELECT pid FROM ladder_lock")" "$HOLDER"
# while the holder lives, its lease keeps others out and is named
run -d "$VIA" -m m3 --lock-timeout 0.3 up
expect_rc 1
expect_err_has "another migrator holds the migration lock on"
expect_err_has "held by a lease of host $(hostname), pid $HOLDER, owner $(hostname | cut -c1-40):$HOLDER:"
kill -9 "$HOLDER"
wait "$HOLDER" 2>/dev/null || true
START=$(date +%s.%N)
run -d "$VIA" -m m3 --lock-timeout 10 --json up
END=$(date +%s.%N)
expect_rc 1
# the wait was reported with the lease's holder, then the lock was taken
expect_out_has '"event":"lock_wait","holder":"a lease of host'
expect_out_has '"event":"lock_taken"'
# taken over: the run got past the lock and judged the killed step
expect_err_has "migration 5 slow (m3/5_slow.up.sql) was started at"
expect_err_has "but never finished"
eq "takeover waited for the rest of the lease" "$(awk -v a="$START" -v b="$END" 'BEGIN { w = b - a; print (w >= 1 && w < 14) ? "yes" : w }')" "yes"
run -d "$VIA" -m m3 repair --applied 5
expect_rc 0
run -d "$VIA" -m m3 up
expect_rc 0
expect_out "Database is up to date at version 5."
eq "after the takeover: no lease left" "$(leases_left "$URL")" 0
eq "after the takeover: no advisory lock left" "$(locks_left "$name")" 0

# --- a holder that outlived its lease stops at its next renewal --------------------
# Its lease (--lease-expiry 1) runs out during a 5 s no-transaction step;
# another migrator takes it over, finds the step started and stops. The
# holder's renewal when it records the step finds its lease gone: it stops
# at once with that, not after its own lock timeout with a wait on nobody.
newdb outlived
VIA=${POOLER%/*}/${URL##*/}
cp -r m2 m4
printf -- '-- ladder:no-transaction\nSELECT pg_sleep(5);\n' >m4/5_slow.up.sql
run -d "$VIA" -m m2 up
expect_rc 0
START=$(date +%s.%N)
"$LADDER" -q -d "$VIA" -m m4 --lease-expiry 1 --lock-timeout 60 up >"$T/outlived.out" 2>&1 </dev/null &
HOLDER=$!
for _ in $(seq 100); do
	[ "$(q "$URL" "SELECT count(*) FROM ladder_history WHERE version = 5 AND state = 'started'")" = 1 ] && break
	sleep 0.05
done
run -d "$VIA" -m m4 --lock-timeout 20 up
expect_rc 1
expect_err_has "but never finished"
HOLDER_RC=0
wait "$HOLDER" || HOLDER_RC=$?
END=$(date +%s.%N)
eq "the outlived holder fails" "$HOLDER_RC" 1
eq "the outlived holder says its lease was taken over" \
	"$(grep -c "this run's lease on the migration lock on .* expired (not renewed for 1.0 s) and another migrator took it over: stopping here" "$T/outlived.out")" 1
eq "the outlived holder stopped well before its lock timeout" \
	"$(awk -v a="$START" -v b="$END" 'BEGIN { w = b - a; print w < 30 ? "yes" : w }')" "yes"
eq "the outlived holder left no lease" "$(leases_left "$URL")" 0
stop_pooler

# --- --lock on a direct connection, and its refusals --------------------------------
newdb direct
for lock in session transaction lease auto; do
	run -d "$URL" -m m2 --lock "$lock" status
	expect_rc 0
done
run -d "$URL" -m m1 --lock lease up
expect_rc 0
eq "direct --lock lease: nothing left" "$(leases_left "$URL"),$(locks_left "${URL##*/}")" "0,0"
run -d "$URL" -m m2 --lock transaction up
expect_rc 0
eq "direct --lock transaction with a no-transaction step: lease released" "$(leases_left "$URL")" 0
eq "direct: the schema holds ladder_lock, which verify and emptiness ignore" \
	"$(q "$URL" "SELECT count(*) FROM pg_class WHERE relname = 'ladder_lock'")" 1
run -d "$URL" -m m2 --lock bogus up
expect_rc 2
expect_err_has "invalid --lock 'bogus': expected auto, session, transaction or lease"
run -d "$URL" -m m2 --lease-expiry 0 up
expect_rc 2
expect_err_has "invalid --lease-expiry '0'"
run -d "$T/x.db" -m m1 --lock lease up
expect_rc 1
expect_err_has "the sqlite driver has no transaction lock or lease: only the lock modes auto and session apply to it"

finish
