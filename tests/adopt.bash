# tests/adopt.bash — what tests/cli_adopt.sh (SQLite) and
# tests/cli_pg_adopt.sh (PostgreSQL) share; sourced after clitest.bash, not a
# test itself. The scripts set ENGINE (sqlite or pg) and the engine
# functions (adb_new TAG, adb_sql DB SQL, adb_script DB < SQL, adb_snapshot DB
# (everything a run may change), adb_dbmate_url DB, adb_sqlmigrate_config DB DIR), then call side_by_side for each tool:
#
#   a 40-step migration set in the tool's own format (tables, indexes, an
#   added column, rows, views); the tool applies the first 20 to database A;
#   `ladder up` refuses and `ladder status` notes the foreign history;
#   `ladder adopt --from TOOL` records 20; `ladder up` applies the other 20;
#   the tool's table is unchanged; `ladder dump` of A equals that of B, where
#   the tool applied all 40 itself.
#
# dbmate and sql-migrate are the real programs (scripts/deps.sh installs
# them); golang-migrate and goose are not packaged here, so their tables are
# written by hand exactly as their drivers create and fill them.
# shellcheck shell=bash

STEPS=40
HALF=20
version_of() { echo $((1000 + $1)); } # 1001..1040: string order = number order, as dbmate sorts

# up_sql I / down_sql I: step I, the same SQL on both engines
up_sql() {
	local g=$((($1 - 1) / 5 + 1))
	case $(($1 % 5)) in
	1) echo "CREATE TABLE g${g}_items (id integer PRIMARY KEY, name text NOT NULL);" ;;
	2) echo "CREATE INDEX g${g}_items_name ON g${g}_items (name);" ;;
	3) echo "ALTER TABLE g${g}_items ADD COLUMN note text DEFAULT 'none';" ;;
	4) printf "INSERT INTO g%s_items (id, name) VALUES (1, 'one'), (2, 'two');\nUPDATE g%s_items SET note = 'n' || id;\n" "$g" "$g" ;;
	0) echo "CREATE VIEW g${g}_names AS SELECT id, name, note FROM g${g}_items;" ;;
	esac
}
down_sql() {
	local g=$((($1 - 1) / 5 + 1))
	case $(($1 % 5)) in
	1) echo "DROP TABLE g${g}_items;" ;;
	2) echo "DROP INDEX g${g}_items_name;" ;;
	3) echo "ALTER TABLE g${g}_items DROP COLUMN note;" ;;
	4) echo "DELETE FROM g${g}_items;" ;;
	0) echo "DROP VIEW g${g}_names;" ;;
	esac
}

# write_steps FORMAT DIR FROM TO: steps FROM..TO as FORMAT's files
write_steps() {
	local format=$1 dir=$2 i v
	mkdir -p "$dir"
	for ((i = $3; i <= $4; i++)); do
		v=$(version_of "$i")
		case $format in
		dbmate) printf -- '-- migrate:up\n%s\n\n-- migrate:down\n%s\n' "$(up_sql "$i")" "$(down_sql "$i")" >"$dir/${v}_step$i.sql" ;;
		sql-migrate) printf -- '-- +migrate Up\n%s\n\n-- +migrate Down\n%s\n' "$(up_sql "$i")" "$(down_sql "$i")" >"$dir/${v}_step$i.sql" ;;
		goose) printf -- '-- +goose Up\n%s\n\n-- +goose Down\n%s\n' "$(up_sql "$i")" "$(down_sql "$i")" >"$dir/${v}_step$i.sql" ;;
		golang-migrate)
			up_sql "$i" >"$dir/${v}_step$i.up.sql"
			down_sql "$i" >"$dir/${v}_step$i.down.sql"
			;;
		esac
	done
}

# The directory ladder reads: the tool's own, when this ladder reads that
# format; otherwise the same steps as .up.sql/.down.sql files (reading every
# tool's file format is tested on its own; here the history table is).
LADDER_DIR=""
pick_ladder_dir() {
	local format=$1 dir=$2
	LADDER_DIR=$dir
	if ! "$LADDER" -m "$dir" embed >/dev/null 2>&1; then
		echo "note: this ladder does not read $format files; it is given the same steps as .up.sql/.down.sql" >&2
		LADDER_DIR="$dir.ladder"
		rm -rf "$LADDER_DIR"
	fi
}
# add_steps FORMAT FROM TO: more steps in the tool's directory (and ladder's copy)
add_steps() {
	write_steps "$1" "$TOOL_DIR" "$2" "$3"
	if [ "$LADDER_DIR" != "$TOOL_DIR" ]; then write_steps golang-migrate "$LADDER_DIR" "$2" "$3"; fi
}

# --- the tools -------------------------------------------------------------------------

# need_tool NAME: the tool's path in TOOL, or: fail under CI, skip otherwise
need_tool() {
	TOOL=$(command -v "$1" || true)
	if [ -n "$TOOL" ]; then return 0; fi
	if [ "${CI:-}" = "true" ]; then
		fail "$1 is not installed (scripts/deps.sh installs it); CI must run the side-by-side test"
	else
		echo "SKIP: $1 is not installed (run scripts/deps.sh as root); its side-by-side test did not run" >&2
	fi
	return 1
}

# tool_apply TOOL DB TO: the tool (or, for golang-migrate and goose, what
# their drivers do, by hand) applies steps 1..TO of $TOOL_DIR to DB
tool_apply() {
	local tool=$1 db=$2 to=$3 i
	case $tool in
	dbmate)
		dbmate --url "$(adb_dbmate_url "$db")" --migrations-dir "$TOOL_DIR" --no-dump-schema up >"$T/.tool" 2>&1 ||
			{ cat "$T/.tool" >&2; return 1; }
		;;
	sql-migrate)
		adb_sqlmigrate_config "$db" "$TOOL_DIR" >"$T/dbconfig.yml"
		sql-migrate up -config="$T/dbconfig.yml" -env=test -limit="$to" >"$T/.tool" 2>&1 ||
			{ cat "$T/.tool" >&2; return 1; }
		;;
	golang-migrate)
		# Its driver creates the table, then per migration writes
		# (version, dirty=true), runs it, writes (version, false): one row.
		{
			echo "$GM_TABLE_SQL"
			for ((i = 1; i <= to; i++)); do up_sql "$i"; done
			echo "DELETE FROM schema_migrations;"
			echo "INSERT INTO schema_migrations (version, dirty) VALUES ($(version_of "$to"), $FALSE);"
		} | adb_script "$db"
		;;
	goose)
		# Its first run creates the table and inserts (0, true); then one
		# row per applied version, in id order.
		{
			echo "$GOOSE_TABLE_SQL"
			echo "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, $TRUE);"
			for ((i = 1; i <= to; i++)); do
				up_sql "$i"
				echo "INSERT INTO goose_db_version (version_id, is_applied) VALUES ($(version_of "$i"), $TRUE);"
			done
		} | adb_script "$db"
		;;
	esac
}

tool_table() {
	case $1 in
	dbmate | golang-migrate) echo schema_migrations ;;
	goose) echo goose_db_version ;;
	sql-migrate) echo gorp_migrations ;;
	esac
}

# --- the side-by-side run ------------------------------------------------------------------

# side_by_side TOOL FORMAT
side_by_side() {
	local tool=$1 format=$2 table A B snapshot before head half
	table=$(tool_table "$tool")
	TOOLNAME=$tool
	head=$(version_of $STEPS)
	half=$(version_of $HALF)
	TOOL_DIR="$T/$tool-migrations"
	rm -rf "$TOOL_DIR" "$TOOL_DIR.ladder"
	write_steps "$format" "$TOOL_DIR" 1 $HALF
	pick_ladder_dir "$format" "$TOOL_DIR"
	if [ "$LADDER_DIR" != "$TOOL_DIR" ]; then write_steps golang-migrate "$LADDER_DIR" 1 $HALF; fi

	adb_new "${tool//-/_}_a"
	A=$ADB
	check "$tool applies $HALF steps" tool_apply "$tool" "$A" $HALF
	snapshot=$(adb_sql "$A" "SELECT * FROM $table ORDER BY 1")
	before=$(adb_snapshot "$A")

	run -d "$A" -m "$LADDER_DIR" up
	expect_rc 1
	eq "$tool: the refused up changed nothing" "$(adb_snapshot "$A")" "$before"
	expect_err_has "this database was migrated by $tool: its table \"$table\""
	expect_err_has "Adopt those versions from $tool into ladder's history first"
	expect_err_has "Nothing was changed"
	expect_err_has "ladder: hint: \`ladder adopt --from $tool\` records those versions in ladder's history, then \`ladder up\`"
	expect_err_has "ladder: hint: or start a history of ladder's own: \`ladder up --allow-foreign\`"
	expect_one_error_line
	eq "$tool: up refused before creating anything" "$(adb_has_table "$A" ladder_history)" "0"
	run -d "$A" -m "$LADDER_DIR" status
	expect_rc 0
	expect_out_has "Note: this database was migrated by $tool"
	expect_out_has "ladder adopt --from $tool"
	run -d "$A" -m "$LADDER_DIR" status --json
	json "$tool: the note in status --json" 'eq(d["note"].startswith("this database was migrated by " + E["TOOLNAME"]), True)'

	run -d "$A" -m "$LADDER_DIR" adopt --from "$tool"
	expect_rc 0
	expect_out "Adopted version $half from $tool: recorded $HALF migration(s) in the history store.
$tool's table stays as it is, at version $half: ladder never writes it, so $tool and anything else that reads it keep seeing $half."
	eq "$tool: adopted rows" "$(adb_sql "$A" "SELECT count(*) || ' ' || min(version) || ' ' || max(version) || ' ' || min(kind) || ' ' || max(kind) FROM ladder_history")" \
		"$HALF $(version_of 1) $half adopted adopted"

	add_steps "$format" $((HALF + 1)) $STEPS
	run -d "$A" -m "$LADDER_DIR" up
	expect_rc 0
	expect_out "Applied $((STEPS - HALF)) migration(s): version $half → $head."
	run -d "$A" -m "$LADDER_DIR" status --exit-code
	expect_rc 0
	eq "$tool: its table is untouched" "$(adb_sql "$A" "SELECT * FROM $table ORDER BY 1")" "$snapshot"

	adb_new "${tool//-/_}_b"
	B=$ADB
	check "$tool applies all $STEPS steps" tool_apply "$tool" "$B" $STEPS
	run -d "$A" dump -o "$T/$tool-a.dump"
	expect_rc 0
	run -d "$B" dump -o "$T/$tool-b.dump"
	expect_rc 0
	if cmp -s "$T/$tool-a.dump" "$T/$tool-b.dump"; then pass; else fail "$tool: adopt + up and the tool alone give different schemas" "$(diff -u "$T/$tool-a.dump" "$T/$tool-b.dump" | head -40)"; fi
	has "$tool: the dump holds the last step" "$(cat "$T/$tool-a.dump")" "g8_names"
}
export TOOLNAME
