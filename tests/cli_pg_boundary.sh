#!/usr/bin/env bash
# tests/cli_pg_boundary.sh — what the operator sees of the transaction
# boundary on a real PostgreSQL server: `up -v` says which step runs as a
# no-transaction step and why and which wrapper it ignores, `up --strict`
# refuses instead, a stray COMMIT is refused with file and line before
# anything runs (and status says both beforehand), and the server's NOTICEs are printed under -v while its
# WARNINGs always are.
#
# Usage: bash tests/cli_pg_boundary.sh PATH/TO/ladder REPO_ROOT   (ctest runs it)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/clitest.bash"
cli_setup cli-pg-boundary "$@"
pg_setup ladder_boundary

q() { psql -X -q -A -t "$1" -c "$2"; }

mkdir m
printf 'BEGIN;\nCREATE TABLE users (id serial PRIMARY KEY, email text);\nCOMMIT;\n' >m/1_users.up.sql
printf 'CREATE INDEX CONCURRENTLY users_email ON users (email);\n' >m/2_email.up.sql
printf "CREATE TYPE mood AS ENUM ('calm');\nALTER TYPE mood ADD VALUE 'angry';\n" >m/5_mood.up.sql
printf "CREATE TABLE feelings (m mood DEFAULT 'angry');\nINSERT INTO feelings DEFAULT VALUES;\n" >m/6_use.up.sql
printf "DO \$\$ BEGIN RAISE NOTICE 'hello from a notice'; RAISE WARNING 'careful: a warning'; END \$\$;\n" \
	>m/3_talk.up.sql

newdb status
run -d "$URL" -m m status
expect_rc 0
expect_out_has "  2 email runs as a no-transaction step: CREATE INDEX CONCURRENTLY at m/2_email.up.sql:1 cannot run inside a transaction"
expect_out_lacks "will be refused"
expect_out_has "  5 mood commits before the next step: ALTER TYPE ... ADD VALUE at m/5_mood.up.sql:2 adds a value"
run -d "$URL" -m m status --json
json "status --json: how each pending step runs" '
ms = d["migrations"]
eq([m["runs"] for m in ms], ["transaction", "no-transaction", "transaction", "transaction, then commit", "transaction"], "runs")
eq(ms[1]["runs_why"], "CREATE INDEX CONCURRENTLY at m/2_email.up.sql:1", "why")
eq(ms[0]["runs_why"], None, "why")
eq(d["problems"], 0, "problems")'

newdb strict
run -d "$URL" -m m up --strict
expect_rc 1
expect_err_has "m/2_email.up.sql:1: CREATE INDEX CONCURRENTLY cannot run inside a transaction"
expect_err_has "Nothing was changed: the database is still at version 0"
eq "nothing ran under --strict" "$(q "$URL" "SELECT count(*) FROM pg_class WHERE relname IN ('users', 'ladder_history')")" 0

newdb verbose
run -d "$URL" -m m up -v
expect_rc 0
expect_out_has "1 users [its own BEGIN/COMMIT ignored]"
expect_out_has "2 email [no-transaction: CREATE INDEX CONCURRENTLY at m/2_email.up.sql:1]"
expect_out_has "5 mood [commits after it: ALTER TYPE ... ADD VALUE at m/5_mood.up.sql:2]"
expect_err_has "NOTICE:  hello from a notice"
expect_err_has "WARNING:  careful: a warning"
eq "index valid" "$(q "$URL" "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email'::regclass")" t
eq "recorded done" "$(q "$URL" "SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM ladder_history")" \
	"1:done,2:done,3:done,5:done,6:done"

newdb quiet
run -d "$URL" -m m up
expect_rc 0
expect_err_lacks "hello from a notice"
expect_err_has "WARNING:  careful: a warning"

printf 'CREATE TABLE late (id integer);\nCOMMIT;\n' >m/9_stray.up.sql
run -d "$URL" -m m status --exit-code
expect_rc 1
expect_out_has "! 9 stray will be refused by up: m/9_stray.up.sql:2: COMMIT inside migration 9 stray"
run -d "$URL" -m m status --json
json "status --json says how pending steps run" '
ms = d["migrations"]
eq(d["problems"], 1, "a refused step is a problem")
eq([m["runs"] for m in ms], [None, None, None, None, None, "refused"], "runs")
eq(ms[0]["runs_why"], None, "applied steps have no runs_why")
eq(ms[5]["runs_why"].startswith("m/9_stray.up.sql:2: COMMIT inside migration 9 stray"), True, "refusal")'
run -d "$URL" -m m up
expect_rc 1
expect_err_has "m/9_stray.up.sql:2: COMMIT inside migration 9 stray (up) would end ladder's transaction"
expect_err_has "Nothing was changed: the database is still at version 6"
eq "nothing of step 4 ran" "$(q "$URL" "SELECT count(*) FROM pg_class WHERE relname = 'late'")" 0

# The same on SQLite, whose statements SQLite's own tokenizer splits.
mkdir s
printf 'BEGIN TRANSACTION;\nCREATE TABLE t (id INTEGER);\nCREATE TRIGGER t_ai AFTER INSERT ON t BEGIN SELECT 1; END;\nCOMMIT;\n' \
	>s/1_t.up.sql
printf 'DELETE FROM t;\nVACUUM;\n' >s/2_compact.up.sql
: >lite.db # an empty file is an empty SQLite database
run -d lite.db -m s status
expect_out_has "  2 compact runs as a no-transaction step: VACUUM at s/2_compact.up.sql:2"
run -d lite.db -m s up -v
expect_rc 0
expect_out_has "1 t [its own BEGIN/COMMIT ignored]"
expect_out_has "2 compact [no-transaction: VACUUM at s/2_compact.up.sql:2]"
printf 'INSERT INTO t VALUES (1);\nEND;\n' >s/3_end.up.sql
run -d lite.db -m s up
expect_rc 1
expect_err_has "s/3_end.up.sql:2: END inside migration 3 end (up)"
eq "nothing of step 3 ran" "$(sqlite3 lite.db 'SELECT count(*) FROM t')" 0

finish
