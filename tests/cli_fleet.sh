#!/usr/bin/env bash
# tests/cli_fleet.sh — fleets of SQLite files (issue 13): `up --glob` over 500
# files in mixed states (empty, behind, current, corrupt, newer than the plan,
# locked by another process) migrates every healthy one, names each bad one
# with its own error and leaves it byte for byte as it was; status over a
# fleet (--json states, --exit-code 3 then 0), --targets FILE, --fail-fast,
# down, -j 1 and -j 4 ending alike, the fast path touching no file, the
# usage errors, and a fleet killed (kill -9) at a random moment whose re-run
# ends every file current with each step's body run exactly once.
#
# Usage: bash tests/cli_fleet.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-fleet "$@"
# The JSON checks start Python often: start the interpreter itself, not a
# version manager's shim (pyenv's costs a second a call on a busy machine).
mkdir "$T/.bin"
ln -s "$(python3 -c 'import sys; print(sys.executable)')" "$T/.bin/python3"
PATH="$T/.bin:$PATH"

HOLDER=""
stop_holder() {
	if [ -n "$HOLDER" ]; then
		exec 3>&- || true
		kill "$HOLDER" 2>/dev/null || true
		wait "$HOLDER" 2>/dev/null || true
		HOLDER=""
	fi
}
at_exit stop_holder
KILLED=""
stop_killed() { if [ -n "$KILLED" ]; then kill -9 "$KILLED" 2>/dev/null || true; fi; }
at_exit stop_killed

# --- the plans -------------------------------------------------------------------
# Every step records its run in the table runs: a file whose runs are 1,2,3
# ran each body exactly once.
mkdir m
printf 'CREATE TABLE runs (version INTEGER NOT NULL);\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\nINSERT INTO runs VALUES (1);\n' >m/1_users.up.sql
printf 'DROP TABLE users;\nDROP TABLE runs;\n' >m/1_users.down.sql
printf 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\nINSERT INTO runs VALUES (2);\n' >m/2_notes.up.sql
printf 'DROP TABLE notes;\nDELETE FROM runs WHERE version = 2;\n' >m/2_notes.down.sql
printf 'CREATE INDEX users_email ON users (email);\nINSERT INTO runs VALUES (3);\n' >m/3_email.up.sql
printf 'DROP INDEX users_email;\nDELETE FROM runs WHERE version = 3;\n' >m/3_email.down.sql
# the same plan and one step more: what a newer program wrote
cp -r m m4
printf 'CREATE TABLE tags (id INTEGER PRIMARY KEY);\nINSERT INTO runs VALUES (4);\n' >m4/4_tags.up.sql

# --- templates, copied into fleets by fleet.py -----------------------------------------
mkdir tpl
for v in 1 2 3; do
	"$LADDER" -q -d tpl/v$v.db -m m up --to $v
done
"$LADDER" -q -d tpl/v4.db -m m4 up
head -c 8192 /dev/urandom >tpl/corrupt.db
: >tpl/empty.db

# fleet.py: building fleets and reading them back in one process each (500
# sqlite3 shells would take longer than the fleet itself).
#   build DIR N [I=KIND ...]  DIR/NNN/app.db for I in 1..N; KIND by I % 4
#                             (0 empty, 1 v1, 2 v2, 3 v3) unless given
#   states DIR                "COUNT STATE" lines: STATE is h=<history>
#                             r=<runs> [b=<rows of big tables>], "empty"
#                             or "unreadable"
cat >fleet.py <<'PY'
import collections, glob, os, shutil, sqlite3, sys
def kind(i, over):
    return over.get(i, ["empty", "v1", "v2", "v3"][i % 4])
def state(path):
    if os.path.getsize(path) == 0:
        return "empty"
    try:
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        q = lambda sql: db.execute(sql).fetchall()
        hist = ",".join("%d%s" % (v, "" if s == "done" else s) for v, s in
                        q("SELECT version, state FROM ladder_history ORDER BY version"))
        names = [r[0] for r in q("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        runs = ",".join(str(r[0]) for r in q("SELECT version FROM runs ORDER BY version")) if "runs" in names else "-"
        s = "h=%s r=%s" % (hist, runs)
        big = [str(q("SELECT count(*) FROM %s" % n)[0][0]) for n in names if n.startswith("big")]
        if big:
            s += " b=" + ",".join(big)
        db.close()
        return s
    except sqlite3.DatabaseError:
        return "unreadable"
cmd, d = sys.argv[1], sys.argv[2]
if cmd == "build":
    over = {int(a.split("=")[0]): a.split("=")[1] for a in sys.argv[4:]}
    for i in range(1, int(sys.argv[3]) + 1):
        os.makedirs("%s/%03d" % (d, i))
        shutil.copyfile("tpl/%s.db" % kind(i, over), "%s/%03d/app.db" % (d, i))
elif cmd == "states":
    c = collections.Counter(state(p) for p in glob.glob(d + "/*/app.db"))
    for s in sorted(c):
        print(c[s], s)
PY
build() { python3 fleet.py build "$@"; }
states() { python3 fleet.py states "$1"; }
# fingerprint DIR: every file under DIR (journals too) with its mtime in
# nanoseconds, size and SHA-256
fingerprint() {
	find "$1" -type f -printf '%p %T@ %s\n' | sort
	find "$1" -type f -print0 | sort -z | xargs -0 sha256sum
}
# KIND(i) for the JSON checks, as fleet.py builds them
PYKIND='
def kind(target):
    i = int(target.split("/")[-2])
    return {7: "corrupt", 123: "v4", 250: "locked"}.get(i, ["empty", "v1", "v2", "v3"][i % 4])
FROM = {"empty": 0, "v1": 1, "v2": 2, "v3": 3}
'
# out_line WHAT REGEX: some line of stdout matches the extended REGEX
out_line() { if printf '%s\n' "$OUT" | grep -E -- "$2" >/dev/null; then pass; else fail "$1: no stdout line matches: $2"; fi; }
# after_failed: the lines of stdout after "Failed:"
after_failed() { printf '%s\n' "$OUT" | sed -n '/^Failed:$/,$p' | tail -n +2; }

# hold DB...: one sqlite3 shell holds an EXCLUSIVE lock on every DB (the first
# opened, the others attached) without writing, until stop_holder. Nobody
# can read or write them meanwhile.
hold() {
	local first=$1 n=0 db
	shift
	rm -f hold.fifo
	mkfifo hold.fifo
	sqlite3 "$first" <hold.fifo >/dev/null 2>&1 &
	HOLDER=$!
	exec 3>hold.fifo
	for db in "$@"; do
		n=$((n + 1))
		echo "ATTACH '$db' AS a$n;" >&3
	done
	echo "BEGIN EXCLUSIVE;" >&3
	for db in "$first" "$@"; do
		for _ in $(seq 100); do
			locked "$db" && break
			sleep 0.05
		done
		check "$db is locked" locked "$db"
	done
}
# (a path that names no file is not locked: sqlite3 failing to open it must
# not pass for a lock)
locked() { [ -e "$1" ] && ! sqlite3 -cmd ".timeout 0" "$1" "SELECT count(*) FROM sqlite_master" >/dev/null 2>&1; }

# 500 files: 125 empty, 125 at version 1, 124 at 2, 123 current (the
# healthy ones); 007 corrupt, 123 newer (version 4), 250 at version 1 and
# locked by another process.
build proto 500 7=corrupt 123=v4 250=v1
COUNT_EMPTY=125 COUNT_V1=125 COUNT_V2=124 COUNT_V3=123
HEALTHY=$((COUNT_EMPTY + COUNT_V1 + COUNT_V2 + COUNT_V3))
MIGRATED=$((COUNT_EMPTY + COUNT_V1 + COUNT_V2))
eq "healthy files" "$HEALTHY" 497
export HEALTHY MIGRATED COUNT_V3

# --- up --glob over 500 files: text output ---------------------------------------------
cp -a proto A
# the JSON run on 131 of them, the bad ones among them
mkdir B
cp -a proto/{001..130} proto/250 B/
BAD="007 123 250"
for n in $BAD; do sha256sum "A/$n/app.db" "B/$n/app.db"; done >bad.sum
hold A/250/app.db B/250/app.db
run --lock-timeout 1 -m m up --glob 'A/*/app.db'
expect_rc 1
expect_out_re "^Fleet up: 500 targets in [0-9]+\.[0-9]+ s \(([0-9]+) workers?\): 497 ok \($MIGRATED migrated, $COUNT_V3 already current\), 3 failed"
out_line "the healthy ones at the head" '^ +497 at version 3 \(head\)$'
out_line "the corrupt and the locked one: version unknown" '^ +2 at an unknown version, failed$'
out_line "the newer one at version 4" '^ +1 at version 4, failed$'
eq "three failed targets" "$(after_failed | wc -l)" 3
has "the corrupt one, by path" "$(after_failed)" "  A/007/app.db: "
has "with its own error" "$(after_failed | grep '^  A/007/app.db: ')" "file is encrypted, or not a database"
has "the newer one, by path" "$(after_failed | grep '^  A/123/app.db: ' || true)" "newer than"
has "the locked one, by path" "$(after_failed | grep '^  A/250/app.db: ' || true)" "locked"
expect_err_lacks "ETA"
# the JSON run, the lock still held
run --lock-timeout 1 -m m up --glob 'B/*/app.db' --json
expect_rc 1
json_lines "up --json: one line per target and the summary" "$PYKIND"'
eq(len(lines), 132, "lines")
for o in lines[:-1]:
    keys(o, ["target", "schema", "ok", "from", "to", "applied", "fast_path", "duration_ms", "error"], o["target"])
    k = kind(o["target"])
    eq(o["schema"], None, "schema")
    assert isinstance(o["duration_ms"], int) and o["duration_ms"] >= 0, o
    if k in FROM:
        eq((o["ok"], o["from"], o["to"], o["applied"], o["fast_path"], o["error"]),
           (True, FROM[k], 3, 3 - FROM[k], k == "v3", None), o["target"])
    else:
        eq(o["ok"], False, o["target"])
        assert isinstance(o["error"], str) and o["error"], o
        assert "\n" not in o["error"], o
numbers = list(range(1, 131)) + [250]
eq(sorted(o["target"] for o in lines[:-1]), ["B/%03d/app.db" % i for i in numbers], "every file once")
migrated = len([i for i in numbers if kind("B/%03d/x" % i) in ("empty", "v1", "v2")])
errors = {kind(o["target"]): o["error"] for o in lines[:-1] if not o["ok"]}
eq(sorted(errors), ["corrupt", "locked", "v4"], "failed")
assert "file is encrypted, or not a database" in errors["corrupt"], errors
assert "newer than" in errors["v4"], errors
assert "locked" in errors["locked"], errors
ahead = [o for o in lines[:-1] if kind(o["target"]) == "v4"][0]
eq((ahead["from"], ahead["to"]), (4, 4), "the newer one is known to be at 4")
s = lines[-1]
keys(s, ["fleet"])
keys(s["fleet"], ["command", "targets", "ok", "failed", "skipped", "migrated", "behind", "workers", "seconds"], "summary")
assert isinstance(s["fleet"]["workers"], int) and s["fleet"]["workers"] >= 1, s
eq(s["fleet"]["command"], "up")
eq([s["fleet"][k] for k in ["targets", "ok", "failed", "skipped", "migrated", "behind"]],
   [131, 128, 3, 0, migrated, 0], "summary counts")
assert isinstance(s["fleet"]["seconds"], float), s'
eq "bad files untouched while locked" "$(sha256sum -c --quiet bad.sum 2>&1)" ""
stop_holder
eq "bad files untouched" "$(sha256sum -c --quiet bad.sum 2>&1)" ""
eq "fleet A after up" "$(states A)" "1 h=1 r=1
497 h=1,2,3 r=1,2,3
1 h=1,2,3,4 r=1,2,3,4
1 unreadable"
eq "fleet B after up" "$(states B)" "1 h=1 r=1
128 h=1,2,3 r=1,2,3
1 h=1,2,3,4 r=1,2,3,4
1 unreadable"

# --- status over the fleet ------------------------------------------------------------
run -m m status --glob 'A/*/app.db' --json
expect_rc 1
json_lines "status --json: states" "$PYKIND"'
eq(len(lines), 501, "lines")
for o in lines[:-1]:
    keys(o, ["target", "schema", "ok", "current", "head", "pending", "problems", "state", "duration_ms", "error"], o["target"])
    k = kind(o["target"])
    if k == "corrupt":
        eq((o["ok"], o["state"]), (False, "failed"), o["target"])
        assert "file is encrypted, or not a database" in o["error"], o
    elif k == "v4":
        eq((o["state"], o["current"], o["head"]), ("ahead", 4, 3), o["target"])
    elif k == "locked":
        eq((o["ok"], o["state"], o["current"], o["head"], o["pending"], o["problems"], o["error"]),
           (True, "behind", 1, 3, 2, 0, None), o["target"])
    else:
        eq((o["ok"], o["state"], o["current"], o["head"], o["pending"], o["problems"], o["error"]),
           (True, "current", 3, 3, 0, 0, None), o["target"])
s = lines[-1]["fleet"]
eq((s["command"], s["targets"], s["behind"], s["migrated"]), ("status", 500, 1, 0), "summary")
assert s["failed"] >= 1, s'
run -m m status --glob 'A/*/app.db' --exit-code
expect_rc 1 # a failure wins over "behind"
expect_out_re "^Fleet status: 500 targets in [0-9.]+ s \([0-9]+ workers?\): [0-9]+ current, 1 behind, [^
]*failed"
out_line "grouped: the head" '^ +497 at version 3 \(head\)$'
out_line "grouped: the locked one, behind" '^ +1 at version 1, behind \(head 3\)$'
out_line "grouped: the newer one" '^ +1 at version 4, newer than the plan$'
has "failed: the corrupt one" "$(after_failed)" "  A/007/app.db: "
rm -r A/007 A/123
run -m m status --glob 'A/*/app.db' --json --exit-code
expect_rc 3
json_lines "status: one behind" '
s = lines[-1]["fleet"]
eq([s[k] for k in ["targets", "ok", "failed", "behind"]], [498, 498, 0, 1], "summary")
behind = [o for o in lines[:-1] if o["state"] != "current"]
eq([(o["target"], o["state"], o["current"], o["pending"]) for o in behind], [("A/250/app.db", "behind", 1, 2)])'
run -q -m m up --glob 'A/*/app.db'
expect_rc 0
expect_out ""
run -m m status --glob 'A/*/app.db' --exit-code
expect_rc 0
expect_out_re "^Fleet status: 498 targets in [0-9.]+ s \([0-9]+ workers?\): 498 current"

# status of the untouched proto fleet (no bad files): counts, and nothing written
cp -a proto C
rm -r C/007 C/123 C/250
BEFORE=$(fingerprint C)
run -m m status --glob 'C/*/app.db' --json --exit-code
expect_rc 3
json_lines "status of a mixed fleet" "$PYKIND"'
import collections
c = collections.Counter((o["state"], o["current"], o["pending"]) for o in lines[:-1])
eq(sorted(c.items()), sorted({("behind", 0, 3): 125, ("behind", 1, 2): 125, ("behind", 2, 1): 124, ("current", 3, 0): 123}.items()), "states")
s = lines[-1]["fleet"]
eq([s[k] for k in ["targets", "ok", "failed", "skipped", "migrated", "behind"]], [497, 497, 0, 0, 0, 374], "summary")'
run -m m status --glob 'C/*/app.db'
expect_rc 0
expect_out_re "^Fleet status: 497 targets in [0-9.]+ s \([0-9]+ workers?\): 123 current, 374 behind"
out_line "grouped: current" '^ +123 at version 3 \(head\)$'
out_line "grouped: at 2" '^ +124 at version 2, behind \(head 3\)$'
out_line "grouped: at 1" '^ +125 at version 1, behind \(head 3\)$'
out_line "grouped: at 0" '^ +125 at version 0, behind \(head 3\)$'
eq "status wrote nothing" "$(fingerprint C)" "$BEFORE"

# --- usage errors: exit 2, nothing touched -----------------------------------------------
run -m m up --glob 'C/*/nothing.db'
expect_rc 2
expect_err_has "C/*/nothing.db"
expect_out ""
# a folder that is not there matches nothing either, as in the shell
run -m m up --glob 'nowhere/*/app.db'
expect_rc 2
expect_err_has "nowhere/*/app.db"
expect_out ""
for command in history redo verify "repair --applied 1" "adopt"; do
	# shellcheck disable=SC2086 # the command's words
	run -m m $command --glob 'C/*/app.db'
	expect_rc 2
	expect_err_has "${command%% *}"
done
run -m m up --dry-run --glob 'C/*/app.db'
expect_rc 2
expect_err_has "--dry-run"
printf 'C/001/app.db\n' >one.list
run -m m up --glob 'C/*/app.db' --targets one.list
expect_rc 2
run -m m up -d C/001/app.db --glob 'C/*/app.db'
expect_rc 2
run -m m up --glob 'C/*/app.db' -j 0
expect_rc 2
expect_err_has "-j"
run -m m up --schemas 'tenant_%'
expect_rc 2
expect_err_has "-d"
eq "usage errors wrote nothing" "$(fingerprint C)" "$BEFORE"

# --- --targets FILE: comments, blank lines, sqlite: URLs, a file not there yet ----------
mkdir D
cp -a C/001 C/002 C/004 D/
cat >targets.list <<'EOF'
# the fleet of this test

D/001/app.db
sqlite:D/002/app.db

# a comment after a blank line; the next file does not exist yet
D/new.db

EOF
printf '# only a comment\n' >>targets.list
run -m m up --targets targets.list --json
expect_rc 0
json_lines "up --targets" '
eq(sorted((o["target"], o["from"], o["to"], o["applied"]) for o in lines[:-1]),
   [("D/001/app.db", 1, 3, 2), ("D/new.db", 0, 3, 3), ("sqlite:D/002/app.db", 2, 3, 1)])
eq(lines[-1]["fleet"]["targets"], 3, "targets")'
eq "D/004 is not in the list" "$(states D)" "1 empty
2 h=1,2,3 r=1,2,3"
eq "the new file" "$(sql D/new.db "SELECT group_concat(version) FROM runs")" "1,2,3"

# status and down never create a file a list names
printf 'D/001/app.db\nD/ghost.db\n' >ghost.list
run -m m status --targets ghost.list --json
expect_rc 1
json_lines "status of a file not there" '
eq(sorted((o["target"], o["ok"]) for o in lines[:-1]), [("D/001/app.db", True), ("D/ghost.db", False)])
assert "does not exist" in [o for o in lines if o.get("target") == "D/ghost.db"][0]["error"]'
run -m m down --targets ghost.list --steps 1
expect_rc 1
check "status and down created no file" test ! -e D/ghost.db
eq "down ran on the other" "$(sql D/001/app.db "SELECT group_concat(version) FROM runs")" "1,2"
# --allow-newer applies to every target
mkdir N
cp tpl/v4.db N/a.db
cp tpl/v1.db N/b.db
run -m m --allow-newer up --glob 'N/*.db' --json
expect_rc 0
json_lines "--allow-newer for every target" '
eq(sorted((o["target"], o["ok"], o["applied"]) for o in lines[:-1]), [("N/a.db", True, 0), ("N/b.db", True, 2)])'

# --- --fail-fast: after the corrupt first target, nothing else starts ---------------------
mkdir F
cp tpl/corrupt.db F/0.db
for n in 1 2 3 4 5; do cp tpl/v1.db F/$n.db; done
printf 'F/%s.db\n' 0 1 2 3 4 5 >ff.list
BEFORE=$(fingerprint F)
run -m m up --targets ff.list --fail-fast -j 1 --json
expect_rc 1
json_lines "--fail-fast: the rest skipped" '
eq(len(lines), 7, "lines")
eq((lines[0]["target"], lines[0]["ok"]), ("F/0.db", False), "the first fails")
assert "file is encrypted, or not a database" in lines[0]["error"], lines[0]
skipped = [o for o in lines[1:-1]]
eq(sorted(o["target"] for o in skipped), ["F/%d.db" % n for n in range(1, 6)], "skipped")
for o in skipped:
    eq((o["ok"], o.get("skipped")), (False, True), o["target"])
    assert o["error"].startswith("not started"), o
s = lines[-1]["fleet"]
eq([s[k] for k in ["targets", "ok", "failed", "skipped", "migrated"]], [6, 0, 1, 5, 0], "summary")'
eq "skipped files untouched" "$(fingerprint F)" "$BEFORE"
run -m m up --targets ff.list --fail-fast -j 1
expect_rc 1
expect_out_has "5 not started"
has "the failure named" "$(after_failed)" "  F/0.db: "
eq "skipped files untouched (text)" "$(fingerprint F)" "$BEFORE"
# without --fail-fast the others are migrated
run -q -m m up --targets ff.list -j 1
expect_rc 1
expect_out ""
expect_err_has "F/0.db: 'F/0.db': file is encrypted, or not a database"
eq "without --fail-fast" "$(sql F/5.db "SELECT group_concat(version) FROM runs")" "1,2,3"

# --- on a terminal: the live progress line, cleared at the end ------------------------------
# run_tty ARGS...: ladder on a pseudo-terminal (script(1)); OUT is what the
# terminal received, stdout and stderr, carriage returns shown as '\r'
# shellcheck disable=SC2034 # CMD, RC, OUT and ERR are what clitest.bash reads
run_tty() {
	CMD="ladder $* (on a terminal)"
	RC=0
	script -qec "$(printf '%q ' "$LADDER" "$@") </dev/null" /dev/null >"$T/.out" 2>"$T/.err" || RC=$?
	OUT=$(sed 's/\r/\\r/g' "$T/.out")
	ERR=$(cat "$T/.err")
}
mkdir P
for i in $(seq -w 1 12); do cp tpl/v1.db "P/$i.db"; done
hold P/12.db # the last one waits a second for its lock: the line is drawn before
run_tty -m m --lock-timeout 1 up --glob 'P/*.db' -j 2
expect_rc 1
expect_out_re '\\rfleet: [0-9]+/12 done, [0-9]+ failed, [0-9]+ left, [0-9.]+/s'
expect_out_has "\\r"$'\033'"[KFleet up: 12 targets"
has "the locked one failed" "$OUT" "P/12.db: 'P/12.db': database is locked"
cp tpl/v1.db P/11.db
run_tty -q -m m --lock-timeout 1 up --glob 'P/*.db' -j 2
expect_rc 1
expect_out_lacks "fleet: "
expect_out_lacks "Fleet up"
expect_out_has "ladder: P/12.db: 'P/12.db': database is locked" # -q: the errors only
stop_holder

# --- -j 1 and -j 4 end alike; the fast path writes nothing; down ---------------------------
build J1 120 7=corrupt 50=v4
cp -a J1 J4
norm() { python3 -c '
import json, sys
rows = []
for line in open(sys.argv[1]):
    o = json.loads(line.replace("J1/", "J/").replace("J4/", "J/"))
    o.pop("duration_ms", None)
    if "fleet" in o:
        o["fleet"].pop("seconds")
        o["fleet"].pop("workers")
    rows.append(json.dumps(o, sort_keys=True))
print("\n".join(sorted(rows)))' "$1"; }
run -m m up --glob 'J1/*/app.db' -j 1 --json
expect_rc 1
cp .out j1.json
json_lines "-j 1 runs the targets in order" '
eq([o["target"] for o in lines[:-1]], ["J1/%03d/app.db" % i for i in range(1, 121)])'
run -m m up --glob 'J4/*/app.db' -j 4 --json
expect_rc 1
cp .out j4.json
eq "-j 1 and -j 4: the same outcomes" "$(norm j4.json)" "$(norm j1.json)"
eq "-j 1 and -j 4: the same files" "$(states J4)" "$(states J1)"
run -m m up --glob 'J4/*/app.db' -j 4
expect_rc 1
expect_out_re "^Fleet up: 120 targets in [0-9.]+ s \(4 workers\): 118 ok \(0 migrated, 118 already current\), 2 failed"
rm -r J4/007 J4/050
BEFORE=$(fingerprint J4)
run -m m up --glob 'J4/*/app.db' -j 4 --json
expect_rc 0
json_lines "re-run: every target on the fast path" '
eq(len(lines), 119, "lines")
for o in lines[:-1]:
    eq((o["ok"], o["from"], o["to"], o["applied"], o["fast_path"]), (True, 3, 3, 0, True), o["target"])
eq((lines[-1]["fleet"]["migrated"], lines[-1]["fleet"]["ok"]), (0, 118), "summary")'
eq "the fast path wrote nothing (bytes, mtimes, no journal)" "$(fingerprint J4)" "$BEFORE"
run -m m down --glob 'J4/*/app.db' --steps 1 --json
expect_rc 0
json_lines "down --steps 1" '
for o in lines[:-1]:
    eq((o["ok"], o["from"], o["to"], o["applied"]), (True, 3, 2, 1), o["target"])
eq(lines[-1]["fleet"]["command"], "down", "command")'
eq "after down" "$(states J4)" "118 h=1,2 r=1,2"

# --- a fleet killed at a random moment, then run again -------------------------------------
# Each step fills a table of 5000 rows and counts a million rows of a cross
# join (CPU, not disk, and no allocation a row: sanitizers slow it little),
# about 0.05 s a file. Two of the 60 files are locked by another process
# while the fleet runs, so however fast the others go the fleet is still
# running when it is killed (two workers end up waiting there), and it is
# killed twice: in one transaction per file, then one per step.
mkdir slow
for v in 1 2 3; do
	{
		[ $v -eq 1 ] && echo "CREATE TABLE runs (version INTEGER NOT NULL);"
		echo "CREATE TABLE big$v (i INTEGER, pad TEXT);"
		echo "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 5000)"
		echo "INSERT INTO big$v SELECT i, hex(randomblob(16)) FROM c;"
		echo "INSERT INTO runs SELECT $v FROM (WITH d(x) AS (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9))"
		echo "  SELECT count(*) FROM d a, d b, d c, d e, d f, d g);"
	} >slow/${v}_big$v.up.sql
done
mkdir K
for i in $(seq -w 1 60); do mkdir "K/$i" && : >"K/$i/app.db"; done
hold K/30/app.db K/45/app.db
for mode in "" --tx-per-migration; do
	# shellcheck disable=SC2086 # no option at all, or one
	"$LADDER" -q -m slow up --glob 'K/*/app.db' -j 2 --lock-timeout 60 $mode >/dev/null 2>&1 &
	KILLED=$!
	ms=$((200 + RANDOM % 1301)) # 0.2 to 1.5 s
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	echo "killing the fleet ($mode) after $ms ms"
	kill -9 "$KILLED" 2>/dev/null || true
	KRC=0
	wait "$KILLED" 2>/dev/null || KRC=$?
	eq "the fleet still ran when killed ($mode)" "$KRC" 137
	KILLED=""
done
stop_holder
KSTATES=$(states K)
if [[ $KSTATES != "60 h=1,2,3 "* ]]; then pass; else fail "the kills left nothing to do" "$KSTATES"; fi
run -m slow up --glob 'K/*/app.db' -j 2
expect_rc 0
expect_out_re "^Fleet up: 60 targets in [0-9.]+ s \(2 workers\): 60 ok"
eq "after the re-run: every file current, each body run once" "$(states K)" "60 h=1,2,3 r=1,2,3 b=5000,5000,5000"
eq "no journal left" "$(find K -name '*-journal' -o -name '*-wal' | wc -l)" 0

finish
