#!/usr/bin/env bash
# tests/cli_progress.sh — what `up` and `down` say while they work: on a
# terminal (a pty from script(1)) a live line for a step or a lock wait
# longer than a second, cleared when it ends; nothing of it when stdout is
# not a terminal, with TERM=dumb, -q or --json; and --json's one line per
# event (start, done, warning, lock_wait naming the holder, lock_taken,
# summary), also when the run fails.
#
# Usage: bash tests/cli_progress.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-progress "$@"
HOLDER=""
kill_holder() { if [ -n "$HOLDER" ]; then kill "$HOLDER" 2>/dev/null || true; wait "$HOLDER" 2>/dev/null || true; fi; }
at_exit kill_holder

# run_tty ARGS...: run ladder on a pseudo-terminal; OUT is what the terminal
# received (stdout and stderr), carriage returns kept as '\r'.
run_tty() {
	CMD="ladder $* (on a terminal)"
	RC=0
	script -qec "$(printf '%q ' "$LADDER" "$@") </dev/null" /dev/null >"$T/.out" 2>"$T/.err" || RC=$?
	OUT=$(sed 's/\r/\\r/g' "$T/.out")
	ERR=$(cat "$T/.err")
}
# events WHAT PYTHON: stdout as JSON lines, `ev` the events, `names` their kinds
events() {
	json_lines "$1" 'ev = lines
names = [e["event"] for e in ev]
'"$2"
}

ESC=$'\033'
# A step that takes about 2.5 s whatever the machine: it writes to another
# database, busy.db, whose write lock a sqlite3 process holds for that long
# (slow_next, before each run that needs it), and waits for it.
sqlite3 busy.db "CREATE TABLE junk (x INTEGER)"
BUSY=""
slow_next() {
	[ -z "$BUSY" ] || wait "$BUSY" 2>/dev/null || true
	(echo "BEGIN IMMEDIATE; INSERT INTO junk VALUES (1);"; sleep 2.5; echo "COMMIT;") | sqlite3 busy.db >/dev/null 2>&1 &
	BUSY=$!
	for _ in $(seq 100); do # until the holder has it
		sqlite3 -cmd ".timeout 0" busy.db "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1 || break
		sleep 0.05
	done
}
stop_busy() { if [ -n "$BUSY" ]; then kill "$BUSY" 2>/dev/null || true; wait "$BUSY" 2>/dev/null || true; fi; }
at_exit stop_busy
SLOW_SQL=$'-- ladder:no-transaction\nATTACH \'busy.db\' AS busy;\nINSERT INTO busy.junk VALUES (2);\nDETACH busy;'
mkdir slow
printf '%s\nCREATE TABLE t (x INTEGER);\n' "$SLOW_SQL" >slow/1_count.up.sql
printf '%s\nDROP TABLE t;\n' "$SLOW_SQL" >slow/1_count.down.sql
: >slow/2_empty.up.sql
: >slow/2_empty.down.sql

# --- a long step on a terminal: a live line with its clock, then cleared ---------------------
export TERM=xterm
slow_next
run_tty -d a.db -m slow up
expect_rc 0
expect_out_re "^\\\\r$ESC\\[K  ↑ 1 count  1\\.[0-9] s"        # shown after a second, with the time
expect_out_re "↑ 1 count  [0-9.]+ s\\\\r$ESC\\[Kladder: warning" # cleared before anything else is said
expect_out_has "Applied 2 migration(s): version 0 → 2."
expect_out_lacks "↑ 2 empty" # the quick step never shows

# a label wider than the terminal is cut, so each redraw stays on one row
mkdir wide
printf '%s\n' "$SLOW_SQL" >wide/1_a_migration_whose_name_is_much_longer_than_forty_columns.up.sql
slow_next
CMD="ladder -d w.db -m wide up (on a 40-column terminal)"
RC=0
script -qec "stty cols 40; $(printf '%q ' "$LADDER") -d w.db -m wide up </dev/null" /dev/null >"$T/.out" 2>&1 || RC=$?
OUT=$(sed 's/\r/\\r/g' "$T/.out")
expect_rc 0
expect_out_re "\\\\r$ESC\\[K  ↑ 1 a_migration_whose_name_is_  [0-9]\\.[0-9] s\\\\r"

# -v keeps its line and finishes it with the time
slow_next
run_tty -v -d a.db -m slow down --to 0
expect_rc 0
expect_out_re "↓ 1 count  [0-9.]+ s\\\\r$ESC\\[K  ↓ 1 count  \\([0-9.]+ ms\\)"

# --- nothing of it elsewhere (each on a new file: the same long step) -------------------------
slow_next
run -d b.db -m slow up # stdout a file
expect_rc 0
expect_out "Applied 2 migration(s): version 0 → 2."
slow_next
TERM=dumb run_tty -d c.db -m slow up
expect_rc 0
expect_out_lacks "$ESC"
expect_out_lacks "count  1.0 s"
slow_next
run_tty -q -d d.db -m slow up
expect_rc 0
expect_out ""

# --- --json: one line per event -----------------------------------------------------------------
run -d e.db -m slow up --json
expect_rc 0
events "up --json" '
eq(names, ["start", "done", "start", "done", "warning", "summary"], "events")
eq(ev[0], {"event": "start", "direction": "up", "version": 1, "name": "count"}, "start")
eq(sorted(ev[1]), ["direction", "duration_ms", "event", "name", "version"], "done keys")
assert ev[1]["duration_ms"] > 0
eq(ev[4]["message"], "migration 2 is empty: recorded as applied, nothing ran", "warning")
eq(ev[5], {"event": "summary", "direction": "up", "dry_run": False, "ok": True, "from": 0, "to": 2, "applied": 2, "fast_path": False}, "summary")'
run -q -d e.db -m slow up --json # -q silences people's lines, not the JSON
expect_rc 0
events "no-op --json" 'eq(ev, [{"event": "summary", "direction": "up", "dry_run": False, "ok": True, "from": 2, "to": 2, "applied": 0, "fast_path": True}], "no-op")'
run -d b.db -m slow down --json --steps 2
expect_rc 0
events "down --json" 'eq([(e["event"], e.get("direction"), e.get("version")) for e in ev],
  [("start", "down", 2), ("done", "down", 2), ("warning", None, 2), ("start", "down", 1), ("done", "down", 1),
   ("summary", "down", None)], "down events")'
# a failed run: the summary says so (and what stays), the error is on stderr as always
mkdir bad
echo "CREATE TABLE a (x);" >bad/1_a.up.sql
echo "CREATE TABLE b (x); INSERT INTO nowhere VALUES (1);" >bad/2_b.up.sql
run -d bad.db -m bad up --json
expect_rc 1
expect_err_has "ladder: error: "
events "failed up --json" '
eq(names, ["start", "done", "start", "summary"], "events")
s = ev[-1]
eq((s["ok"], s["from"], s["to"], s["applied"]), (False, 0, 0, 0), "failed summary")
assert "no such table: nowhere" in s["error"], s["error"]'

# a run that never starts still ends with a summary
run -m nope -d never.db up --json
expect_rc 1
events "no plan --json" 'eq(ev, [{"event": "summary", "direction": "up", "dry_run": False, "ok": False, "from": 0, "to": 0,
  "applied": 0, "fast_path": False, "error": "migrations directory '"'nope'"' does not exist"}], "summary")'
# redo is two runs, two summaries
run -d bad.db -m bad redo --json
expect_rc 1
mkdir one && echo "CREATE TABLE o (x);" >one/1_o.up.sql && echo "DROP TABLE o;" >one/1_o.down.sql
"$LADDER" -q -d one.db -m one up
run -d one.db -m one redo --json
expect_rc 0
events "redo --json" 'eq([(e["event"], e.get("direction"), e.get("to")) for e in ev],
  [("start", "down", None), ("done", "down", None), ("summary", "down", 0), ("start", "up", None), ("done", "up", None),
   ("summary", "up", 1)], "down then up")'

# --- waiting for the lock: who holds it, and for how long -------------------------------------
mkdir two
for v in 1 2 3; do
	echo "CREATE TABLE t$v (x);" >two/${v}_t$v.up.sql
	echo "DROP TABLE t$v;" >two/${v}_t$v.down.sql
done
"$LADDER" -q -d lock.db -m two up --to 1
# a migrator holding the lock file records its pid there
flock lock.db-ladder-lock sh -c 'echo $$ >lock.db-ladder-lock; exec sleep 2.5' &
HOLDER=$!
for _ in $(seq 100); do [ -s lock.db-ladder-lock ] && break; sleep 0.02; done
PID=$(cat lock.db-ladder-lock) # the shell's, under flock's
run -d lock.db -m two --tx-per-migration up --json
expect_rc 0
events "lock wait --json" '
import os
eq(names[-6:], ["lock_taken", "start", "done", "start", "done", "summary"], "after the wait")
waits = [e for e in ev if e["event"] == "lock_wait"]
assert len(waits) >= 1, ev
eq(waits[0]["holder"], "pid '"$PID"'", "holder")
assert 900 <= waits[0]["waited_ms"] <= 1500, waits[0]
assert ev[names.index("lock_taken")]["waited_ms"] >= 1500, ev'
wait "$HOLDER" || true
"$LADDER" -q -d lock.db -m two down --to 1
flock lock.db-ladder-lock sh -c 'echo $$ >lock.db-ladder-lock; exec sleep 2.5' &
HOLDER=$!
for _ in $(seq 100); do [ -s lock.db-ladder-lock ] && break; sleep 0.02; done
PID=$(cat lock.db-ladder-lock) # the shell's, under flock's
run_tty -d lock.db -m two --tx-per-migration up
expect_rc 0
expect_out_re "^\\\\r$ESC\\[Kladder: waiting for the migration lock held by pid $PID  1\\.[0-9] s"
expect_out_re "held by pid $PID  [0-9.]+ s\\\\r$ESC\\[KApplied 2 migration\\(s\\)"
wait "$HOLDER" || true
# timed out: the error names the holder
"$LADDER" -q -d lock.db -m two down --to 1
flock lock.db-ladder-lock sh -c 'echo $$ >lock.db-ladder-lock; exec sleep 3' &
HOLDER=$!
for _ in $(seq 100); do [ -s lock.db-ladder-lock ] && break; sleep 0.02; done
PID=$(cat lock.db-ladder-lock) # the shell's, under flock's
run -d lock.db -m two --tx-per-migration --lock-timeout 0.4 up
expect_rc 1
expect_err "ladder: error: another migrator holds the migration lock on sqlite:lock.db (waited 0.4 s; held by pid $PID)"
kill_holder
HOLDER=""

finish
