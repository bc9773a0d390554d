#!/usr/bin/env bash
# tests/cli_kill_mariadb.sh — SIGKILL at random instants while `ladder up`
# applies 300 steps that mix DDL (which MariaDB commits one statement at a
# time) and DML, on a real MariaDB server this script starts. After each
# kill: `status` names the exact position (the step, and for one left part
# way the statements done and the one in flight or stopped before); `up`
# then goes on, asking for a repair only where the catalog cannot tell
# whether the statement in flight took effect (this script answers it from
# the catalog as a person would). Every trial must end with the schema and
# every row equal to an uninterrupted run's: a statement applied twice or
# skipped shows as a duplicate log row, a wrong counter, a failed DDL or a
# different dump. Prints how many trials resumed by themselves and how many
# needed a repair. Before the trials, two cuts made on purpose: the
# server ending the connection mid-step, and ladder killed during a MODIFY
# the catalog cannot judge (the repair path, on every run).
#
# Usage: bash tests/cli_kill_mariadb.sh PATH/TO/ladder REPO_ROOT [TRIALS]
set -euo pipefail

LADDER=$(readlink -f "$1")
ROOT=$(readlink -f "$2")
TRIALS=${3:-${LADDER_KILL_TRIALS:-100}}
STEPS=300
WORK=$(mktemp -d /tmp/ladder-kill-XXXXXX)
SERVER=$WORK/server
cleanup() {
  bash "$ROOT/tests/mariadb/server.sh" stop "$SERVER" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

bash "$ROOT/tests/mariadb/server.sh" start "$SERVER" >/dev/null
BASE=$(cat "$SERVER/url")
SOCK=$(cat "$SERVER/socket")
sql() { mariadb -S "$SOCK" -uroot -N -B "$@"; }

# --- the 300 steps ----------------------------------------------------------------------
# Tables t1..tN are made, grown, indexed, retyped and renamed; `log` gets a
# row from every DML statement and `counters` is bumped, so that running a
# DML statement twice or not at all changes the rows. MODIFY (a column's
# type) is a change the catalog check does not model: a kill while it runs
# asks for a repair.
M=$WORK/migrations
mkdir -p "$M"
{
  echo "CREATE TABLE log (step INT NOT NULL, stmt INT NOT NULL) ENGINE=InnoDB;"
  echo "CREATE TABLE counters (name VARCHAR(20) PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB;"
  echo "INSERT INTO counters VALUES ('runs', 0);"
} >"$M/0001_base.up.sql"
for ((i = 2; i <= STEPS; i++)); do
  t=t$(( (i - 2) / 6 + 1 ))
  f=$(printf '%s/%04d_step.up.sql' "$M" "$i")
  case $(( (i - 2) % 6 )) in
  0) printf 'CREATE TABLE %s (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB;\nINSERT INTO %s VALUES (1, %d), (2, %d);\nINSERT INTO log VALUES (%d, 2);\nUPDATE counters SET n = n + 1;\n' \
       "$t" "$t" "$i" "$i" "$i" >"$f" ;;
  1) printf 'ALTER TABLE %s ADD COLUMN c%d INT NOT NULL DEFAULT 0;\nUPDATE %s SET c%d = v + 1;\nINSERT INTO log VALUES (%d, 3);\nALTER TABLE %s ADD COLUMN d%d VARCHAR(10);\n' \
       "$t" "$i" "$t" "$i" "$i" "$t" "$i" >"$f" ;;
  2) printf 'CREATE INDEX %s_v ON %s (v);\nINSERT INTO log VALUES (%d, 2);\nUPDATE counters SET n = n + 1;\nCREATE UNIQUE INDEX %s_id_v ON %s (id, v);\n' \
       "$t" "$t" "$i" "$t" "$t" >"$f" ;;
  3) printf -- '-- a comment; with a semicolon\nINSERT INTO log VALUES (%d, 1);\nUPDATE %s SET v = v * 2 WHERE id = 1;\nINSERT INTO %s (id, v) VALUES (3, %d);\n' \
       "$i" "$t" "$t" "$i" >"$f" ;;
  4) printf 'ALTER TABLE %s MODIFY v BIGINT NOT NULL;\nINSERT INTO log VALUES (%d, 2);\nALTER TABLE %s DROP INDEX %s_id_v;\n' \
       "$t" "$i" "$t" "$t" >"$f" ;;
  5) printf 'RENAME TABLE %s TO %s_r;\nINSERT INTO log VALUES (%d, 2);\nALTER TABLE %s_r RENAME COLUMN v TO w;\nUPDATE counters SET n = n + 1;\n' \
       "$t" "$t" "$i" "$t" >"$f" ;;
  esac
done

# A database's schema and rows, as one text to compare.
fingerprint() {
  local db=$1 tables
  "$LADDER" -d "$BASE$db" dump
  tables=$(sql -e "SELECT GROUP_CONCAT(table_name ORDER BY table_name) FROM information_schema.tables WHERE table_schema = '$db' AND table_name <> 'ladder_history'")
  sql "$db" -e "CHECKSUM TABLE ${tables//,/, }" | sed "s/^$db\\.//"
  sql "$db" -e "SELECT step, stmt, COUNT(*) FROM log GROUP BY step, stmt HAVING COUNT(*) > 1"
  sql "$db" -e "SELECT n FROM counters"
}

# --- the server ends the connection mid-run ---------------------------------------------------
# The connection is killed while step 2 waits in a SELECT between two DDL
# statements: the run fails saying what is committed, status names the
# position, and the next up goes on from the statement that was cut off.
G=$WORK/gone
mkdir -p "$G"
printf 'CREATE TABLE a (id INT);\n' >"$G/1_a.up.sql"
printf 'CREATE TABLE b (id INT);\nSELECT SLEEP(20);\nCREATE TABLE c (id INT);\n' >"$G/2_bc.up.sql"
sql -e "CREATE DATABASE gone"
"$LADDER" -d "${BASE}gone" -m "$G" up >"$WORK/gone.out" 2>"$WORK/gone.err" &
pid=$!
for _ in $(seq 1 200); do
  conn=$(sql -e "SELECT id FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP%'")
  [ -n "$conn" ] && break
  sleep 0.05
done
[ -n "$conn" ] || fail "the run never reached its SELECT SLEEP"
sql -e "KILL $conn"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 1 ] || fail "a run whose connection was killed exited $rc"
grep -q "2_bc.up.sql:2: .*migration 2 bc, up.*Statement 1 of it stays committed" "$WORK/gone.err" ||
  fail "the message does not say what is committed: $(cat "$WORK/gone.err")"
if grep -q "ladder-secret-pw" "$WORK/gone.err" "$WORK/gone.out"; then fail "the password reached the output"; fi
status=$("$LADDER" -d "${BASE}gone" -m "$G" status 2>&1 || true)
grep -q '^! step 2 bc: statement 1 of 3 done' <<<"$status" || fail "status after the killed connection: $status"
sed -i 's/SELECT SLEEP(20)/SELECT 1/' "$G/2_bc.up.sql"
"$LADDER" -q -d "${BASE}gone" -m "$G" up || fail "up after the killed connection failed"
[ "$(sql -e "SELECT GROUP_CONCAT(table_name ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'gone'")" = "a,b,c,ladder_history" ] ||
  fail "tables after the resumed run"
[ "$(sql -e "SELECT GROUP_CONCAT(state) FROM gone.ladder_history")" = "done,done" ] || fail "history after the resumed run"
echo "a killed connection: reported, resumed"

# --- a statement the catalog cannot judge, cut off: the repair path, every run ---------------
# ladder is killed while a MODIFY (a column's type, which the catalog check
# does not model) runs on a table big enough to take a while, and the
# server's statement is ended too: status says it is in flight, up refuses
# naming both repairs and changes nothing, the right repair (read from the
# catalog) is taken and a second one refused, up finishes, and a finished
# step refuses a statement repair.
R=$WORK/repair
mkdir -p "$R"
printf 'CREATE TABLE big (id INT PRIMARY KEY, v INT NOT NULL);\nINSERT INTO big SELECT seq, seq FROM seq_1_to_400000;\nALTER TABLE big MODIFY v BIGINT NOT NULL;\nCREATE TABLE after_it (id INT);\n' >"$R/1_big.up.sql"
sql -e "CREATE DATABASE rep"
"$LADDER" -q -d "${BASE}rep" -m "$R" up >/dev/null 2>&1 &
pid=$!
seen=
for _ in $(seq 1 600); do
  seen=$(sql -e "SELECT id FROM information_schema.processlist WHERE info LIKE 'ALTER TABLE big MODIFY%'")
  [ -n "$seen" ] && break
  sleep 0.01
done
[ -n "$seen" ] || fail "the run never reached its MODIFY"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
# Left alone the server finishes the statement; ended too, it rolls it back
# (atomic DDL): the repair is then the other one.
sql -e "KILL $seen" 2>/dev/null || true
for _ in $(seq 1 600); do
  [ -z "$(sql -e "SELECT id FROM information_schema.processlist WHERE info LIKE 'ALTER TABLE big MODIFY%'")" ] && break
  sleep 0.05
done
status=$("$LADDER" -d "${BASE}rep" -m "$R" status 2>&1 || true)
grep -q '^! step 1 big: statements 1-2 of 4 done, statement 3 of 4 (`ALTER TABLE big MODIFY v BIGINT NOT NULL`, line 3) in flight' <<<"$status" ||
  fail "status of a MODIFY cut off: $status"
if out=$("$LADDER" -d "${BASE}rep" -m "$R" up 2>&1); then fail "up went on over a MODIFY it cannot judge"; fi
grep -q 'statement 3 of 4 (`ALTER TABLE big MODIFY v BIGINT NOT NULL`, line 3) was running when the last run stopped.*`ladder repair --statement-done 1`.*`ladder repair --statement-not-done 1`.*Nothing was changed' <<<"$out" ||
  fail "the refusal does not name the statement and both repairs: $out"
[ "$(sql -e "SELECT state FROM rep.ladder_history")" = "applying:2" ] || fail "the refusal changed the record"
if [ "$(sql -e "SELECT data_type FROM information_schema.columns WHERE table_schema = 'rep' AND table_name = 'big' AND column_name = 'v'")" = bigint ]; then
  right=--statement-done
else
  right=--statement-not-done
fi
"$LADDER" -q -d "${BASE}rep" -m "$R" repair "$right" 1 || fail "repair $right failed"
if [ "$right" = --statement-not-done ]; then
  if out=$("$LADDER" -d "${BASE}rep" -m "$R" repair --statement-done 1 2>&1); then fail "a second repair was taken"; fi
  grep -q "known not to have run: there is nothing to repair" <<<"$out" || fail "a repair of a statement known not to have run: $out"
fi
"$LADDER" -q -d "${BASE}rep" -m "$R" up || fail "up after the repair failed"
[ "$(sql -e "SELECT CONCAT(state, ' ', (SELECT COUNT(*) FROM rep.big), ' ', (SELECT data_type FROM information_schema.columns WHERE table_schema = 'rep' AND table_name = 'big' AND column_name = 'v'), ' ', (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'rep' AND table_name = 'after_it')) FROM rep.ladder_history")" = "done 400000 bigint 1" ] ||
  fail "the step did not end done, with every row, the new type and the table after it"
if out=$("$LADDER" -d "${BASE}rep" -m "$R" repair --statement-done 1 2>&1); then fail "a repair of a finished step was taken"; fi
grep -q "is not recorded as part way through its statements" <<<"$out" || fail "a repair of a finished step: $out"
echo "a MODIFY cut off: refused with both repairs, repaired ($right), finished"

# --- the uninterrupted run ----------------------------------------------------------------
sql -e "CREATE DATABASE ref"
start=$(date +%s%N)
"$LADDER" -q -d "${BASE}ref" -m "$M" up || fail "the uninterrupted run failed"
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
REF=$(fingerprint ref)
[ "$(sql ref -e 'SELECT COUNT(*) FROM ladder_history WHERE state = "done"')" = "$STEPS" ] || fail "reference: not $STEPS steps done"
echo "uninterrupted run of $STEPS steps: $took_ms ms"

# The in-flight statement the catalog check cannot judge is a MODIFY of
# column v to BIGINT: it took effect when the column is bigint.
answer_repair() {
  local db=$1 message=$2 version table
  version=$(sed -n 's/.*repair --statement-done \([0-9]*\).*/\1/p' <<<"$message" | head -1)
  [ -n "$version" ] || fail "trial $trial: refused without a repair to run: $message"
  table=$(sed -n 's/.*ALTER TABLE \(t[0-9]*\) MODIFY.*/\1/p' <<<"$message" | head -1)
  [ -n "$table" ] || fail "trial $trial: a repair asked for a statement other than MODIFY: $message"
  if [ "$(sql -e "SELECT data_type FROM information_schema.columns WHERE table_schema = '$db' AND table_name = '$table' AND column_name = 'v'")" = bigint ]; then
    "$LADDER" -q -d "$BASE$db" -m "$M" repair --statement-done "$version"
  else
    "$LADDER" -q -d "$BASE$db" -m "$M" repair --statement-not-done "$version"
  fi
}

resumed=0 repaired=0 before=0 after=0 part_way=0
for ((trial = 1; trial <= TRIALS; trial++)); do
  db=kill$trial
  sql -e "CREATE DATABASE $db"
  "$LADDER" -q -d "$BASE$db" -m "$M" up >/dev/null 2>&1 &
  pid=$!
  sleep "$(awk -v r="$RANDOM" -v t="$took_ms" 'BEGIN { printf "%.3f", r / 32768 * t / 1000 }')"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true

  # status names where the run stopped
  status=$("$LADDER" -d "$BASE$db" -m "$M" status 2>&1 || true)
  state=$(sql -e "SELECT state FROM $db.ladder_history WHERE state <> 'done'" 2>/dev/null || true)
  if [ -n "$state" ]; then
    part_way=$((part_way + 1))
    grep -Eq '^! step [0-9]+ [a-z]+: (statements? 1(-[0-9]+)? of [0-9]+ done|no statement done), (statement [0-9]+ of [0-9]+ \(`.*`, line [0-9]+\) in flight|stopped before statement [0-9]+ of [0-9]+)' <<<"$status" ||
      fail "trial $trial: status does not name the position (state $state): $(grep "^!" <<<"$status")"
  fi

  if out=$("$LADDER" -q -d "$BASE$db" -m "$M" up 2>&1); then
    resumed=$((resumed + 1))
  else
    grep -q 'repair --statement-done' <<<"$out" || fail "trial $trial: up failed: $out"
    answer_repair "$db" "$out"
    "$LADDER" -q -d "$BASE$db" -m "$M" up >/dev/null || fail "trial $trial: up after the repair failed"
    repaired=$((repaired + 1))
  fi
  got=$(fingerprint "$db")
  [ "$got" = "$REF" ] || { diff <(echo "$REF") <(echo "$got") | head -20 >&2; fail "trial $trial: the result differs from the uninterrupted run"; }
  sql -e "DROP DATABASE $db"
done
echo "kill trials: $TRIALS, left a step part way: $part_way, resumed by themselves: $resumed, needed a repair: $repaired, ended different from the uninterrupted run: 0"
[ "$resumed" -gt 0 ] || fail "no trial resumed by itself"
