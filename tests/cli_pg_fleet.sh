#!/usr/bin/env bash
# tests/cli_pg_fleet.sh — fleets of PostgreSQL schemas (issue 13) on a real
# server (the one tests/pg/server.sh started, named by $LADDER_PG_URL_FILE):
# 200 tenant schemas migrated by two fleets started at once (each schema
# migrated exactly once, no advisory lock left), status of them all in a
# handful of transactions rather than one per schema, --max-connections
# bounding the connections actually open, a schema whose step fails rolling
# back alone while the others end current, --schemas-from, and a password in
# the URL never printed.
#
# Usage: bash tests/cli_pg_fleet.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-pg-fleet "$@"
pg_setup ladder_fleet
# The JSON checks start Python often: start the interpreter itself, not a
# version manager's shim (pyenv's costs a second a call on a busy machine).
mkdir "$T/.bin"
ln -s "$(python3 -c 'import sys; print(sys.executable)')" "$T/.bin/python3"
PATH="$T/.bin:$PATH"

# q URL QUERY: one value, as psql prints it unaligned
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$1" -c "$2"; }
# out_line WHAT REGEX: some line of stdout matches the extended REGEX
out_line() { if printf '%s\n' "$OUT" | grep -E -- "$2" >/dev/null; then pass; else fail "$1: no stdout line matches: $2"; fi; }
after_failed() { printf '%s\n' "$OUT" | sed -n '/^Failed:$/,$p' | tail -n +2; }
# schemas URL PREFIX N [OWNER]: schemas PREFIX001..PREFIXN
schemas() {
	psql -X -q -v ON_ERROR_STOP=1 "$1" >/dev/null <<SQL
SELECT format('CREATE SCHEMA %I${4:+ AUTHORIZATION $4}', '$2' || lpad(i::text, 3, '0')) FROM generate_series(1, $3) i
\gexec
SQL
}
# idle_wait DB: until no session is open on database DB (5 s at most)
idle_wait() {
	for _ in $(seq 100); do
		[ "$(q "$SERVER" "SELECT count(*) FROM pg_stat_activity WHERE datname = '$1'")" -eq 0 ] && return 0
		sleep 0.05
	done
	return 1
}
# commits DB: the database's committed transactions once every session
# on it ended and their statistics reached pg_stat_database (a backend
# reports them as it exits; read from the postgres database so that the
# reading is not counted).
commits() {
	local last="" now
	idle_wait "$1" || true
	for _ in $(seq 40); do
		now=$(q "$SERVER" "SELECT xact_commit FROM pg_stat_database WHERE datname = '$1'")
		[ "$now" == "$last" ] && break
		last=$now
		sleep 0.25
	done
	echo "$now"
}

# Every step notes its run in public.fleet_runs, with the schema it ran in
# (the first of its search_path): one row per (schema, version) means each
# body ran exactly once.
mkdir m
printf 'CREATE TABLE items (id serial PRIMARY KEY, name text);\nINSERT INTO public.fleet_runs VALUES (current_schema(), 1);\n' >m/1_items.up.sql
printf 'CREATE TABLE notes (id serial PRIMARY KEY, item integer REFERENCES items);\nINSERT INTO public.fleet_runs VALUES (current_schema(), 2);\n' >m/2_notes.up.sql
printf 'CREATE INDEX items_name ON items (name);\nINSERT INTO public.fleet_runs VALUES (current_schema(), 3);\n' >m/3_index.up.sql

# --- 200 tenants: half at version 2, status of them all ----------------------------------
newdb tenants
DB=$URL
DBNAME=${DB##*/}
export PORT DBNAME
q "$DB" "CREATE TABLE public.fleet_runs (schema text NOT NULL, version integer NOT NULL)" >/dev/null
schemas "$DB" tenant_ 200
run -d "$DB" -m m --schemas 'tenant_1%' up --to 2 -j 4 --json
expect_rc 0
json_lines "up --to 2: tenant_100..199" '
eq(len(lines), 101, "lines")
eq(sorted(o["schema"] for o in lines[:-1]), ["tenant_%d" % i for i in range(100, 200)], "schemas")
for o in lines[:-1]:
    eq((o["ok"], o["from"], o["to"], o["applied"], o["error"]), (True, 0, 2, 2, None), o["schema"])
eq(lines[-1]["fleet"]["migrated"], 100, "migrated")'
eq "runs after --to 2" "$(q "$DB" "SELECT count(*) || ' ' || count(DISTINCT schema) || ' ' || max(version) FROM public.fleet_runs")" "200 100 2"

BEFORE=$(commits "$DBNAME")
run -d "$DB" -m m --schemas 'tenant_%' status --json --exit-code
AFTER=$(commits "$DBNAME")
expect_rc 3
json_lines "status of 200 schemas, half at 2" '
import collections
eq(len(lines), 201, "lines")
for o in lines[:-1]:
    keys(o, ["target", "schema", "ok", "current", "head", "pending", "problems", "state", "duration_ms", "error"], str(o["schema"]))
    assert "s3cret" not in o["target"], o
c = collections.Counter((o["state"], o["current"], o["head"], o["pending"], o["ok"]) for o in lines[:-1])
eq(sorted(c.items()), [(("behind", 0, 3, 3, True), 100), (("behind", 2, 3, 1, True), 100)], "states")
eq(sorted(o["schema"] for o in lines[:-1]), ["tenant_%03d" % i for i in range(1, 201)], "every tenant, nothing else")
s = lines[-1]["fleet"]
eq([s[k] for k in ["command", "targets", "ok", "failed", "behind"]], ["status", 200, 200, 0, 200], "summary")'
STATUS_MIXED=$((AFTER - BEFORE))
if [ "$STATUS_MIXED" -lt 40 ]; then pass; else fail "status of 200 schemas (half without a store) took $STATUS_MIXED transactions"; fi
run -d "$DB" -m m --schemas 'tenant_%' status
expect_rc 0
expect_out_re "^Fleet status on postgres://postgres@127\.0\.0\.1:$PORT/$DBNAME: 200 schemas in [0-9.]+ s \(8 workers\): 0 current, 200 behind, 0 failed"
out_line "grouped: at 2" '^ +100 at version 2, behind \(head 3\)$'
out_line "grouped: at 0" '^ +100 at version 0, behind \(head 3\)$'

# --- two fleets at once: every schema migrated exactly once -------------------------------
"$LADDER" -d "$DB" -m m --schemas 'tenant_%' up -j 4 --json >fleet1.json 2>fleet1.err &
P1=$!
"$LADDER" -d "$DB" -m m --schemas 'tenant_%' up -j 4 --json >fleet2.json 2>fleet2.err &
P2=$!
RC1=0 RC2=0
wait $P1 || RC1=$?
wait $P2 || RC2=$?
eq "first fleet's exit code" "$RC1" 0
eq "second fleet's exit code" "$RC2" 0
if grep -qi error fleet1.err fleet2.err; then fail "errors from the fleets" "$(cat fleet1.err fleet2.err)"; else pass; fi
cat fleet1.json fleet2.json >"$T/.out"
json_lines "two fleets: each schema migrated once" '
import collections
eq(len(lines), 402, "lines")
applied = collections.Counter()
for o in lines:
    if "fleet" in o:
        eq((o["fleet"]["targets"], o["fleet"]["ok"], o["fleet"]["failed"]), (200, 200, 0), "summary")
        continue
    eq((o["ok"], o["to"]), (True, 3), o["schema"])
    applied[o["schema"]] += o["applied"]
want = {"tenant_%03d" % i: (1 if 100 <= i <= 199 else 3) for i in range(1, 201)}
eq(dict(applied), want, "steps applied per schema, both fleets together")
eq(sum(l["fleet"]["migrated"] for l in lines if "fleet" in l), 200, "migrated, both fleets together")'
eq "each body ran once per schema" \
	"$(q "$DB" "SELECT count(*) || ' ' || count(DISTINCT (schema, version)) || ' ' || count(DISTINCT schema) FROM public.fleet_runs")" "600 600 200"
eq "each body ran in its schema" "$(q "$DB" "SELECT count(*) FROM public.fleet_runs WHERE schema NOT LIKE 'tenant\_%'")" 0
eq "every schema's history" "$(q "$DB" "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname IN ('items', 'notes', 'items_name', 'ladder_history') AND n.nspname LIKE 'tenant\_%'")" 800
HISTORY=$(q "$DB" "SELECT string_agg(format('SELECT %L || '':'' || string_agg(version::text, '','' ORDER BY version) FROM %I.ladder_history', nspname, nspname), ' UNION ALL ') FROM pg_namespace WHERE nspname LIKE 'tenant\_%'")
eq "every history at 1,2,3" "$(q "$DB" "SELECT count(*) FROM ($HISTORY) h(v) WHERE v LIKE '%:1,2,3'")" 200
eq "no advisory lock left" "$(q "$DB" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" 0
eq "no session left" "$(idle_wait "$DBNAME" && echo gone)" gone

BEFORE=$(commits "$DBNAME")
run -d "$DB" -m m --schemas 'tenant_%' status --exit-code --json
AFTER=$(commits "$DBNAME")
expect_rc 0
json_lines "status: all current" '
for o in lines[:-1]:
    eq((o["state"], o["current"], o["head"], o["pending"], o["problems"], o["ok"]), ("current", 3, 3, 0, 0, True), o["schema"])
eq([lines[-1]["fleet"][k] for k in ["targets", "ok", "behind"]], [200, 200, 0], "summary")'
STATUS_CURRENT=$((AFTER - BEFORE))
if [ "$STATUS_CURRENT" -lt 40 ]; then pass; else fail "status of 200 current schemas took $STATUS_CURRENT transactions"; fi
# the measure can tell: one transaction a schema is counted as such
BEFORE=$(commits "$DBNAME")
q "$DB" "SELECT 1 FROM generate_series(1, 200)" >/dev/null
for i in 1 2 3; do q "$DB" "SELECT $i" >/dev/null; done
AFTER=$(commits "$DBNAME")
if [ $((AFTER - BEFORE)) -ge 4 ]; then pass; else fail "pg_stat_database counted $((AFTER - BEFORE)) of 4 transactions"; fi
echo "status of 200 schemas: $STATUS_MIXED transactions (half unmigrated), $STATUS_CURRENT (all current)"
# the fast path: nothing written, nothing applied
XMINS=$(q "$DB" "SELECT string_agg(format('SELECT string_agg(xmin::text, '','') FROM %I.ladder_history', nspname), ' UNION ALL ') FROM pg_namespace WHERE nspname LIKE 'tenant\_%'")
XMIN=$(q "$DB" "SELECT md5(string_agg(x, ';' ORDER BY x)) FROM ($XMINS) h(x)")
run -q -d "$DB" -m m --schemas 'tenant_%' up
expect_rc 0
expect_out ""
expect_err ""
eq "runs after the no-op" "$(q "$DB" "SELECT count(*) FROM public.fleet_runs")" 600
eq "the no-op wrote no history" "$(q "$DB" "SELECT md5(string_agg(x, ';' ORDER BY x)) FROM ($XMINS) h(x)")" "$XMIN"

# --- --max-connections: never more than that many at once ----------------------------------
# A step sleeping 0.1 s in each of 16 schemas; a sampler in the same
# database counts the other sessions named ladder every 10 ms.
mkdir slow
printf 'CREATE TABLE t (id integer);\nSELECT pg_sleep(0.1);\n' >slow/1_t.up.sql
printf 'CREATE TABLE u (id integer);\nSELECT pg_sleep(0.1);\n' >slow/2_u.up.sql
newdb conns
CDB=$URL
schemas "$CDB" a_ 16
schemas "$CDB" b_ 16
q "$CDB" "CREATE FUNCTION public.sample(seconds float) RETURNS text LANGUAGE plpgsql AS \$\$
DECLARE n integer; top integer := 0; busy integer := 0; stop timestamptz := clock_timestamp() + seconds * interval '1 second';
BEGIN
	WHILE clock_timestamp() < stop LOOP
		PERFORM pg_stat_clear_snapshot();
		SELECT count(*) INTO n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = 'ladder';
		top := greatest(top, n);
		IF n > 0 THEN busy := busy + 1; END IF;
		PERFORM pg_sleep(0.01);
	END LOOP;
	RETURN top || ' ' || busy;
END \$\$" >/dev/null
# sampled PREFIX ARGS...: run the fleet on PREFIX% under the sampler; sets
# MOST, the most ladder sessions seen at once, and BUSY, in how many
# samples there were any
sampled() {
	local prefix=$1 sampler
	shift
	q "$CDB" "SELECT public.sample(3)" >sample.out &
	sampler=$!
	sleep 0.2
	run -d "$CDB" -m slow --schemas "$prefix%" up "$@"
	wait $sampler
	read -r MOST BUSY <sample.out
}
sampled a_ -j 8 --max-connections 2
expect_rc 0
expect_out_re "\(2 workers\)"
if [ "$MOST" -le 2 ]; then pass; else fail "--max-connections 2: $MOST ladder sessions at once"; fi
if [ "$BUSY" -ge 20 ]; then pass; else fail "the sampler saw the fleet in $BUSY samples only"; fi
MOST_LIMITED=$MOST BUSY_LIMITED=$BUSY
sampled b_ -j 8 --max-connections 8
expect_rc 0
expect_out_re "\(8 workers\)"
if [ "$MOST" -gt 2 ]; then pass; else fail "the sampler never saw more than $MOST sessions with 8 workers"; fi
eq "every schema migrated" "$(q "$CDB" "SELECT count(*) FROM pg_class WHERE relname = 'u'")" 32
echo "ladder sessions seen at once: at most $MOST_LIMITED with --max-connections 2 ($BUSY_LIMITED samples), $MOST with 8"

# --- one schema fails: it alone rolls back; a password never printed ------------------------
newdb fail
FDB=$URL
FDBNAME=${FDB##*/}
SECRET=ladder-pw-s3cret
export SECRET
PWURL="postgres://ladder_pw:$SECRET@127.0.0.1:$PORT/$FDBNAME"
q "$FDB" "ALTER DATABASE \"$FDBNAME\" OWNER TO ladder_pw; CREATE TABLE public.fleet_runs (schema text NOT NULL, version integer NOT NULL); ALTER TABLE public.fleet_runs OWNER TO ladder_pw" >/dev/null
schemas "$FDB" s_ 30 ladder_pw
run -d "$PWURL" -m m --schemas 's_%' up --to 1
expect_rc 0
expect_out_lacks "$SECRET"
# step 2 creates notes: a table of that name makes it fail in s_013 only
q "$FDB" "CREATE TABLE s_013.notes (x integer); ALTER TABLE s_013.notes OWNER TO ladder_pw" >/dev/null
snapshot() {
	q "$FDB" "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 's_013'"
	q "$FDB" "SELECT string_agg(version || ':' || xmin::text, ',' ORDER BY version) FROM s_013.ladder_history"
	q "$FDB" "SELECT count(*) FROM public.fleet_runs WHERE schema = 's_013'"
}
SNAP=$(snapshot)
run -d "$PWURL" -m m --schemas 's_%' up -j 4
expect_rc 1
# the password masked, or left out as a single database's name leaves it
expect_out_re "^Fleet up on postgres://ladder_pw(:\*+)?@127\.0\.0\.1:$PORT/$FDBNAME: 30 schemas in [0-9.]+ s \(4 workers\): 29 ok \(29 migrated, 0 already current\), 1 failed"
out_line "grouped: the others" '^ +29 at version 3 \(head\)$'
out_line "grouped: the failed one" '^ +1 at version 1, failed$'
eq "one failed line" "$(after_failed | wc -l)" 1
has "the schema, by name, with PostgreSQL's error" "$(after_failed)" "  s_013: "
has "PostgreSQL's error" "$(after_failed)" "ERROR 42P07: relation \"notes\" already exists"
expect_out_lacks "$SECRET"
expect_err_lacks "$SECRET"
eq "s_013 rolled back alone" "$(snapshot)" "$SNAP"
eq "the others at 3" "$(q "$FDB" "SELECT count(DISTINCT schema) FROM public.fleet_runs WHERE version = 3")" 29
run -d "$PWURL" -m m --schemas 's_%' up --json
expect_rc 1
json_lines "--json: the failed schema" '
bad = [o for o in lines[:-1] if not o["ok"]]
eq([(o["schema"], o["from"], o["to"]) for o in bad], [("s_013", 1, 1)], "failed")
assert "relation \"notes\" already exists" in bad[0]["error"], bad
for o in lines[:-1]:
    assert E["SECRET"] not in o["target"], o
    if o["ok"]:
        eq((o["from"], o["to"], o["applied"], o["fast_path"]), (3, 3, 0, True), o["schema"])
eq([lines[-1]["fleet"][k] for k in ["targets", "ok", "failed"]], [30, 29, 1], "summary")' 
expect_out_lacks "$SECRET"
expect_err_lacks "$SECRET"
eq "s_013 still as it was" "$(snapshot)" "$SNAP"
run -d "$PWURL" -m m --schemas 's_%' status --json
json_lines "status: the failed schema behind" '
o = [o for o in lines[:-1] if o["schema"] == "s_013"][0]
eq((o["state"], o["current"], o["pending"]), ("behind", 1, 2), "s_013")'
expect_out_lacks "$SECRET"

# --- --schemas-from: the schemas a query names ------------------------------------------------
q "$FDB" "DROP TABLE s_013.notes" >/dev/null
run -d "$PWURL" -m m --schemas-from "SELECT nspname FROM pg_namespace WHERE nspname IN ('s_013', 's_001') ORDER BY 1" up --json
expect_rc 0
json_lines "--schemas-from" '
eq(sorted((o["schema"], o["from"], o["applied"]) for o in lines[:-1]), [("s_001", 3, 0), ("s_013", 1, 2)])'
eq "s_013 at 3" "$(q "$FDB" "SELECT string_agg(version::text, ',' ORDER BY version) FROM s_013.ladder_history")" "1,2,3"
eq "s_013's runs" "$(q "$FDB" "SELECT string_agg(version::text, ',' ORDER BY version) FROM public.fleet_runs WHERE schema = 's_013'")" "1,2,3"
run -d "$PWURL" -m m --schemas 's_%' status --exit-code
expect_rc 0
expect_out_lacks "$SECRET"
# no schema matches; a wrong password: one line each, no password
run -d "$PWURL" -m m --schemas 'nothing%' up
expect_rc 1
expect_one_error_line
expect_err_has "no schema of postgres://ladder_pw@127.0.0.1:$PORT/$FDBNAME matches 'nothing%'"
expect_err_lacks "$SECRET"
run -d "postgres://ladder_pw:Wr0ng-$SECRET@127.0.0.1:$PORT/$FDBNAME" -m m --schemas 's_%' status
expect_rc 1
expect_one_error_line
expect_err_has "password authentication failed"
expect_err_lacks "$SECRET"
expect_out_lacks "$SECRET"

finish
