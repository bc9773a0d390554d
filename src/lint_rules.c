/*
 * lint_rules.c — lint's rules: for each action a statement takes (as the
 * driver reports it), whether it locks production or loses data on the
 * target, what to say, and the safe rewrite; then the action is folded into
 * what later statements know (tables created, checks validated, types).
 */
#include "lint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define E LADDER_LINT_ERROR
#define W LADDER_LINT_WARNING
static const ladder_lint_rule rules[] = {
	{"index-not-concurrent", E, "CREATE INDEX without CONCURRENTLY on an existing table blocks its writes", 1},
	{"drop-index-not-concurrent", E, "DROP INDEX without CONCURRENTLY blocks the table's reads and writes", 1},
	{"reindex-not-concurrent", E, "REINDEX without CONCURRENTLY blocks writes, and reads that use the index", 1},
	{"add-column-not-null-no-default", E, "ADD COLUMN ... NOT NULL without a default fails on a table with rows", 1},
	{"add-column-volatile-default", E, "ADD COLUMN with a volatile default rewrites the table under an exclusive lock", 1},
	{"add-column-non-constant-default", E, "ADD COLUMN with a non-constant default: SQLite refuses it on a table with rows", 1},
	{"add-column-rewrite", E, "ADD COLUMN serial/identity/GENERATED STORED rewrites the table under an exclusive lock", 1},
	{"set-not-null", E, "SET NOT NULL scans the table under an exclusive lock unless a validated CHECK proves it", 1},
	{"constraint-not-valid", E, "a foreign key or CHECK without NOT VALID scans the table while holding its lock", 1},
	{"unique-without-index", E, "a UNIQUE or PRIMARY KEY constraint builds its index under an exclusive lock", 1},
	{"alter-column-type", E, "ALTER COLUMN TYPE rewrites the table (and its indexes) under an exclusive lock", 1},
	{"vacuum-full", E, "VACUUM FULL rewrites the table under an exclusive lock", 1},
	{"cluster", E, "CLUSTER rewrites the table under an exclusive lock", 1},
	{"lock-timeout-missing", W, "a statement takes an ACCESS EXCLUSIVE lock with no lock_timeout in force", 1},
	{"rename-column", W, "renaming a column breaks code that still uses the old name", 0},
	{"rename-table", W, "renaming a table breaks code that still uses the old name", 0},
	{"drop-column", E, "dropping a column loses its data and breaks code that still reads it", 0},
	{"drop-table", E, "dropping a table loses its data and breaks code that still reads it", 0},
	{"drop-schema", E, "dropping a schema loses everything in it", 0},
	{"transaction-control", E, "BEGIN/COMMIT/ROLLBACK inside a step would end ladder's transaction", 0},
	{"concurrently-in-transaction", E, "a statement that cannot run in a transaction shares its step with others", 0},
	{"rebuild-with-foreign-keys", E, "a referenced table dropped (or rebuilt) with foreign keys on cascades or fails", 0},
	{"pragma-foreign-keys", W, "PRAGMA foreign_keys does nothing inside a transaction", 0},
	{"needs-newer-engine", E, "the statement needs a newer engine library than the target's", 0},
	{"statement-fails", E, "the statement fails (syntax error, or refused by the engine)", 0},
	{"prefer-timestamptz", W, "timestamp without time zone stores local times that shift with the server's zone", 0},
	{"prefer-text", W, "char(n) pads with blanks and is no faster than text", 0},
	{"prefer-bigint-pk", W, "an int primary key runs out at 2,147,483,647 rows", 0},
	{"lint-ignore-invalid", E, "a `-- ladder:lint-ignore` without a known rule or a reason", 0},
	{"lint-ignore-unused", W, "a `-- ladder:lint-ignore` that suppresses nothing", 0},
};
#undef E
#undef W

#define RULE_COUNT (sizeof(rules) / sizeof(rules[0]))

const ladder_lint_rule *ladder_lint_rules(size_t *count)
{
	if (count != NULL)
		*count = RULE_COUNT;
	return rules;
}

const ladder_lint_rule *lint_rule(const char *id)
{
	for (size_t i = 0; i < RULE_COUNT; i++)
		if (strcmp(rules[i].id, id) == 0)
			return &rules[i];
	return NULL;
}

/* --- context ------------------------------------------------------------------------ */

static void column_key(char *out, size_t size, const char *table, const char *column)
{
	snprintf(out, size, "%s.%s", table, column);
}

static int is_new(const linter *l, const ladder_action *a)
{
	return (a->flags & LADDER_ACTF_TEMPORARY) || (a->table[0] != '\0' && lint_map_has(&l->new_tables, a->table));
}

static int online_ddl(const linter *l)
{
	return (l->driver->caps & LADDER_DRIVER_ONLINE_DDL) != 0;
}

/* Is `type` a change PostgreSQL makes without a rewrite, from `old`?
 * varchar(n) to a longer varchar, varchar or text; text to varchar;
 * numeric(p,s) to numeric with more precision and the same scale. */
static int binary_compatible(const char *old, const char *type)
{
	int n = 0, m = 0, s1 = 0, s2 = 0;

	if (old == NULL)
		return 0;
	if (strcmp(old, type) == 0)
		return 1;
	if (strcmp(type, "text") == 0)
		return strncmp(old, "varchar", 7) == 0 || strcmp(old, "text") == 0;
	if (strcmp(type, "varchar") == 0)
		return strncmp(old, "varchar", 7) == 0 || strcmp(old, "text") == 0;
	if (sscanf(type, "varchar(%d)", &m) == 1)
		return sscanf(old, "varchar(%d)", &n) == 1 && m >= n;
	if (strcmp(type, "numeric") == 0)
		return strncmp(old, "numeric", 7) == 0;
	if (sscanf(type, "numeric(%d,%d)", &m, &s2) == 2)
		return sscanf(old, "numeric(%d,%d)", &n, &s1) == 2 && m >= n && s1 == s2;
	return 0;
}

/* A DROP TABLE followed, in the same step, by a rename of another table
 * to the dropped name: SQLite's table rebuild, which keeps the data. */
static int rebuilt_later(const lint_step *step, size_t i)
{
	const ladder_action *drop = &step->actions[i];

	for (size_t j = i + 1; j < step->count; j++)
		if (step->actions[j].kind == LADDER_ACT_RENAME_TABLE &&
		    strcasecmp(step->actions[j].name, drop->table) == 0)
			return 1;
	return 0;
}

/* Set on a step's DROP TABLE of a table that held data (not new): a
 * rename onto its name later in the step is a rebuild, whose table holds
 * that data too. Lint's own mark, above every LADDER_ACTF_*. */
#define DROPPED_EXISTING 0x80000000u

static int rebuilds_existing(const lint_step *step, const ladder_action *rename)
{
	for (size_t i = 0; i < step->count && &step->actions[i] != rename; i++)
		if (step->actions[i].kind == LADDER_ACT_DROP_TABLE && (step->actions[i].flags & DROPPED_EXISTING) &&
		    strcasecmp(step->actions[i].table, rename->name) == 0)
			return 1;
	return 0;
}

static int fold(linter *l, lint_step *step, ladder_action *a)
{
	char key[2 * LADDER_NAME_MAX + 2];
	const char *value;
	int error = 0;

	switch (a->kind) {
	case LADDER_ACT_CREATE_TABLE:
		error = lint_map_put(&l->new_tables, a->table, NULL);
		break;
	case LADDER_ACT_DROP_TABLE:
		if (!is_new(l, a))
			a->flags |= DROPPED_EXISTING;
		lint_map_del(&l->new_tables, a->table);
		break;
	case LADDER_ACT_RENAME_TABLE:
		if (lint_map_has(&l->new_tables, a->table)) {
			lint_map_del(&l->new_tables, a->table);
			if (!rebuilds_existing(step, a))
				error = lint_map_put(&l->new_tables, a->name, NULL);
		}
		break;
	case LADDER_ACT_COLUMN:
	case LADDER_ACT_ADD_COLUMN:
	case LADDER_ACT_ALTER_COLUMN_TYPE:
		column_key(key, sizeof(key), a->table, a->column);
		if (a->type[0] != '\0')
			error = lint_map_put(&l->column_types, key, a->type);
		break;
	case LADDER_ACT_CREATE_INDEX:
		if (a->name[0] != '\0' && is_new(l, a))
			error = lint_map_put(&l->new_indexes, a->name, NULL);
		break;
	case LADDER_ACT_ADD_CONSTRAINT:
		if (!(a->flags & LADDER_ACTF_IS_NOT_NULL))
			break;
		column_key(key, sizeof(key), a->table, a->column);
		if (a->name[0] != '\0')
			error = lint_map_put(&l->not_null_checks, a->name, key);
		if (error == 0 && !(a->flags & LADDER_ACTF_NOT_VALID))
			error = lint_map_put(&l->validated, key, NULL);
		break;
	case LADDER_ACT_VALIDATE_CONSTRAINT:
		if ((value = lint_map_get(&l->not_null_checks, a->name)) != NULL)
			error = lint_map_put(&l->validated, value, NULL);
		break;
	default:
		break;
	}
	return error;
}

/* --- the rules ------------------------------------------------------------------------- */

#define ADD(rule, table, ...)                                                                      \
	do {                                                                                           \
		char message_[512];                                                                        \
		snprintf(message_, sizeof(message_), __VA_ARGS__);                                         \
		if ((error = lint_add(l, step, rule, a->offset, table, message_, fix)) < 0)                \
			return error;                                                                          \
	} while (0)

static int judge_locks(linter *l, lint_step *step, const ladder_action *a)
{
	const char *fix;
	int error = 0;

	if (!(a->flags & LADDER_ACTF_BLOCKS_ALL) || is_new(l, a) || step->lock_timeout || step->lock_timeout_reported ||
	    (a->kind == LADDER_ACT_DROP_INDEX && lint_map_has(&l->new_indexes, a->name)))
		return 0;
	/* DROP SCHEMA ... CASCADE locks every table in the schema. */
	if (a->table[0] == '\0' && a->kind != LADDER_ACT_DROP_INDEX &&
	    !(a->kind == LADDER_ACT_DROP_SCHEMA && (a->flags & LADDER_ACTF_CASCADE)))
		return 0;
	step->lock_timeout_reported = 1;
	fix = "set a lock timeout so the statement gives up instead of queueing every other query behind it: "
	      "`ladder up --ddl-lock-timeout 5 --lock-retries 10`, or `SET lock_timeout = '5s';` first in the step";
	ADD("lock-timeout-missing", a->table,
	    "this statement waits for an ACCESS EXCLUSIVE lock on %s\"%s\" with no lock_timeout: while it waits behind a "
	    "long query, every read and write of the table queues behind it",
	    a->kind == LADDER_ACT_DROP_SCHEMA ? "every table in schema " : a->kind == LADDER_ACT_DROP_INDEX ? "the table of index " : "",
	    a->table[0] != '\0' ? a->table : a->name);
	return 0;
}

static int judge_column(linter *l, lint_step *step, const ladder_action *a)
{
	const char *fix;
	int error = 0;

	if (a->kind == LADDER_ACT_COLUMN || a->kind == LADDER_ACT_ADD_COLUMN) {
		if (online_ddl(l) && strcmp(a->type, "timestamp") == 0) {
			fix = "use timestamptz (timestamp with time zone)";
			ADD("prefer-timestamptz", a->table,
			    "column \"%s\" is timestamp without time zone: its values carry no zone and are read back in "
			    "whatever zone the session has",
			    a->column);
		}
		if (online_ddl(l) && strncmp(a->type, "bpchar", 6) == 0) {
			fix = "use text (or varchar) with a CHECK on the length if one is needed";
			ADD("prefer-text", a->table, "column \"%s\" is char(n): values are padded with blanks", a->column);
		}
		if (online_ddl(l) && (a->flags & LADDER_ACTF_PRIMARY_KEY) &&
		    (strcmp(a->type, "int4") == 0 || strcmp(a->type, "int2") == 0 || strcmp(a->type, "serial") == 0 ||
		     strcmp(a->type, "serial4") == 0 || strcmp(a->type, "smallserial") == 0)) {
			fix = "use bigint (bigserial, or bigint GENERATED ALWAYS AS IDENTITY)";
			ADD("prefer-bigint-pk", a->table,
			    "primary key \"%s\" is %s: it runs out at 2,147,483,647, and widening it later rewrites the "
			    "table and every table that references it",
			    a->column, a->type);
		}
	}
	if (a->kind != LADDER_ACT_ADD_COLUMN || is_new(l, a))
		return 0;
	if ((a->flags & LADDER_ACTF_NOT_NULL) && !(a->flags & (LADDER_ACTF_DEFAULT | LADDER_ACTF_FILLS))) {
		fix = "add the column nullable (or with a DEFAULT), backfill it, then add NOT NULL";
		ADD("add-column-not-null-no-default", a->table,
		    "ADD COLUMN \"%s\" NOT NULL without a default fails as soon as \"%s\" holds a row", a->column, a->table);
	}
	if ((a->flags & LADDER_ACTF_VOLATILE) && online_ddl(l)) {
		fix = "add the column with no default (or a constant one), then backfill in batches and set the "
		      "default afterwards";
		ADD("add-column-volatile-default", a->table,
		    "ADD COLUMN \"%s\" with a volatile default computes it for every row: \"%s\" is rewritten while an "
		    "ACCESS EXCLUSIVE lock blocks all reads and writes",
		    a->column, a->table);
	} else if (a->flags & LADDER_ACTF_VOLATILE) {
		fix = "add the column with a constant default (or none) and fill it with an UPDATE, or rebuild the "
		      "table with the new column";
		ADD("add-column-non-constant-default", a->table,
		    "ADD COLUMN \"%s\" with a non-constant default is refused by SQLite (\"Cannot add a column with "
		    "non-constant default\") as soon as \"%s\" holds a row",
		    a->column, a->table);
	}
	if ((a->flags & LADDER_ACTF_UNIQUE) && online_ddl(l)) {
		fix = "add the column plain, CREATE UNIQUE INDEX CONCURRENTLY in its own step, then ADD CONSTRAINT ... "
		      "UNIQUE (or PRIMARY KEY) USING INDEX";
		ADD("unique-without-index", a->table,
		    "ADD COLUMN \"%s\" %s builds its index while an ACCESS EXCLUSIVE lock blocks all reads and writes of "
		    "\"%s\"",
		    a->column, (a->flags & LADDER_ACTF_PRIMARY_KEY) ? "PRIMARY KEY" : "UNIQUE", a->table);
	}
	if ((a->flags & LADDER_ACTF_FILLS) && online_ddl(l)) {
		fix = "add a plain nullable column, backfill it in batches, then attach the sequence, identity or "
		      "expression";
		ADD("add-column-rewrite", a->table,
		    "ADD COLUMN \"%s\" (%s) fills every existing row: \"%s\" is rewritten while an ACCESS EXCLUSIVE lock "
		    "blocks all reads and writes",
		    a->column, a->type[0] != '\0' ? a->type : "generated", a->table);
	}
	return 0;
}

static int judge_constraint(linter *l, lint_step *step, const ladder_action *a)
{
	char key[2 * LADDER_NAME_MAX + 2];
	const char *fix;
	int error = 0;

	if (!online_ddl(l) || is_new(l, a))
		return 0;
	switch (a->kind) {
	case LADDER_ACT_ADD_CONSTRAINT:
		if ((a->flags & (LADDER_ACTF_FOREIGN_KEY | LADDER_ACTF_CHECK)) && !(a->flags & LADDER_ACTF_NOT_VALID)) {
			fix = "add it NOT VALID (new rows are checked at once), then VALIDATE CONSTRAINT in a later step, "
			      "which takes a lock that lets reads and writes go on";
			ADD("constraint-not-valid", a->table,
			    "%s %s%s%s on \"%s\" checks every existing row while holding a lock that blocks %s",
			    (a->flags & LADDER_ACTF_FOREIGN_KEY) ? "foreign key" : "CHECK constraint",
			    a->name[0] != '\0' ? "\"" : "", a->name, a->name[0] != '\0' ? "\"" : "", a->table,
			    (a->flags & LADDER_ACTF_FOREIGN_KEY) ? "writes to it (and to the referenced table)"
			                                         : "all reads and writes");
		}
		if ((a->flags & LADDER_ACTF_UNIQUE) && !(a->flags & LADDER_ACTF_USING_INDEX)) {
			fix = "CREATE UNIQUE INDEX CONCURRENTLY in its own step, then ADD CONSTRAINT ... UNIQUE (or PRIMARY "
			      "KEY) USING INDEX";
			ADD("unique-without-index", a->table,
			    "adding a %s constraint to \"%s\" builds its index while an ACCESS EXCLUSIVE lock blocks all "
			    "reads and writes",
			    (a->flags & LADDER_ACTF_PRIMARY_KEY) ? "PRIMARY KEY" : "UNIQUE", a->table);
		}
		return 0;
	case LADDER_ACT_SET_NOT_NULL:
		column_key(key, sizeof(key), a->table, a->column);
		if (lint_map_has(&l->validated, key))
			return 0;
		fix = "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c in a later step; then SET "
		      "NOT NULL, which uses the validated check instead of scanning (PostgreSQL 12+)";
		ADD("set-not-null", a->table,
		    "SET NOT NULL on \"%s\".\"%s\" scans every row while an ACCESS EXCLUSIVE lock blocks all reads and "
		    "writes",
		    a->table, a->column);
		return 0;
	case LADDER_ACT_ALTER_COLUMN_TYPE:
		column_key(key, sizeof(key), a->table, a->column);
		if (binary_compatible(lint_map_get(&l->column_types, key), a->type))
			return 0;
		fix = "add a new column of the new type, backfill it in batches, switch the code over, then drop the old "
		      "one";
		ADD("alter-column-type", a->table,
		    "changing \"%s\".\"%s\" to %s rewrites the table and its indexes while an ACCESS EXCLUSIVE lock blocks "
		    "all reads and writes",
		    a->table, a->column, a->type);
		return 0;
	default:
		return 0;
	}
}

static int judge_maintenance(linter *l, lint_step *step, const ladder_action *a)
{
	const char *fix;
	int error = 0;

	if (!online_ddl(l) || (a->table[0] != '\0' && is_new(l, a)))
		return 0;
	switch (a->kind) {
	case LADDER_ACT_CREATE_INDEX:
		if (a->flags & LADDER_ACTF_CONCURRENTLY)
			return 0;
		fix = "CREATE INDEX CONCURRENTLY, alone in a step (ladder runs it outside a transaction)";
		ADD("index-not-concurrent", a->table,
		    "CREATE INDEX%s%s%s on \"%s\" blocks every write to it until the index is built", a->name[0] ? " \"" : "",
		    a->name, a->name[0] ? "\"" : "", a->table);
		return 0;
	case LADDER_ACT_DROP_INDEX:
		if ((a->flags & LADDER_ACTF_CONCURRENTLY) || lint_map_has(&l->new_indexes, a->name))
			return 0;
		fix = "DROP INDEX CONCURRENTLY, alone in a step";
		ADD("drop-index-not-concurrent", a->table,
		    "DROP INDEX \"%s\" takes an ACCESS EXCLUSIVE lock on its table, blocking all reads and writes while it "
		    "waits for running queries",
		    a->name);
		return 0;
	case LADDER_ACT_REINDEX:
		if (a->flags & LADDER_ACTF_CONCURRENTLY)
			return 0;
		fix = "REINDEX ... CONCURRENTLY, alone in a step (PostgreSQL 12+)";
		ADD("reindex-not-concurrent", a->table, "REINDEX \"%s\" blocks writes to the table while it rebuilds",
		    a->table[0] ? a->table : a->name);
		return 0;
	case LADDER_ACT_VACUUM_FULL:
		fix = "plain VACUUM (or pg_repack, which rebuilds online), outside migrations";
		ADD("vacuum-full", a->table, "VACUUM FULL%s%s%s rewrites while an ACCESS EXCLUSIVE lock blocks all reads "
		    "and writes", a->table[0] ? " \"" : "", a->table, a->table[0] ? "\"" : "");
		return 0;
	case LADDER_ACT_CLUSTER:
		fix = "pg_repack (online), outside migrations";
		ADD("cluster", a->table, "CLUSTER%s%s%s rewrites while an ACCESS EXCLUSIVE lock blocks all reads and writes",
		    a->table[0] ? " \"" : "", a->table, a->table[0] ? "\"" : "");
		return 0;
	default:
		return 0;
	}
}

static int judge_loss(linter *l, lint_step *step, size_t i)
{
	const ladder_action *a = &step->actions[i];
	const char *fix;
	int error = 0;

	switch (a->kind) {
	case LADDER_ACT_DROP_TABLE:
		if ((a->flags & LADDER_ACTF_REFERENCED) && !(step->flags & LADDER_FOREIGN_KEYS_OFF) &&
		    l->driver->ops->set_foreign_keys != NULL) {
			fix = "mark the step `-- ladder:foreign-keys off`: ladder turns enforcement off around it and runs "
			      "PRAGMA foreign_key_check before it commits";
			ADD("rebuild-with-foreign-keys", a->table,
			    "\"%s\" is referenced by other tables' foreign keys: with enforcement on, dropping it%s deletes "
			    "its rows first, which cascades into (or fails on) every referencing table",
			    a->table, rebuilt_later(step, i) ? " to rebuild it" : "");
		}
		if (is_new(l, a) || rebuilt_later(step, i))
			return 0;
		fix = "stop using the table in a release first; keep a backup; suppress with `-- ladder:lint-ignore "
		      "drop-table because ...`";
		ADD("drop-table", a->table, "DROP TABLE \"%s\" deletes its data for good", a->table);
		return 0;
	case LADDER_ACT_DROP_COLUMN:
		if (is_new(l, a))
			return 0;
		fix = "stop reading and writing the column in a release first; suppress with `-- ladder:lint-ignore "
		      "drop-column because ...`";
		ADD("drop-column", a->table, "dropping \"%s\".\"%s\" deletes its data for good", a->table, a->column);
		return 0;
	case LADDER_ACT_DROP_SCHEMA:
		fix = "move what should survive out first; suppress with `-- ladder:lint-ignore drop-schema because ...`";
		ADD("drop-schema", NULL, "DROP SCHEMA \"%s\"%s deletes %s", a->name,
		    (a->flags & LADDER_ACTF_CASCADE) ? " CASCADE" : "",
		    (a->flags & LADDER_ACTF_CASCADE) ? "every table in it, with its data" : "the schema");
		return 0;
	case LADDER_ACT_RENAME_COLUMN:
		if (is_new(l, a))
			return 0;
		fix = "add the new column, write both, move readers over, then drop the old one (or a view keeping the "
		      "old name)";
		ADD("rename-column", a->table,
		    "renaming \"%s\".\"%s\" to \"%s\" breaks every running query that uses the old name until the new "
		    "code is deployed",
		    a->table, a->column, a->name);
		return 0;
	case LADDER_ACT_RENAME_TABLE:
		if (is_new(l, a))
			return 0;
		fix = "create the new table (or a view under the old name) and move code over before removing the old name";
		ADD("rename-table", a->table,
		    "renaming \"%s\" to \"%s\" breaks every running query that uses the old name until the new code is "
		    "deployed",
		    a->table, a->name);
		return 0;
	default:
		return 0;
	}
}

static int judge_engine(linter *l, lint_step *step, const ladder_action *a)
{
	const char *fix;
	int error = 0;

	switch (a->kind) {
	case LADDER_ACT_FAILED:
		fix = "correct the statement; `ladder verify` runs the plan on a scratch database";
		ADD("statement-fails", NULL, "%s", a->detail);
		return 0;
	case LADDER_ACT_PRAGMA:
		/* PRAGMA journal_mode makes ladder run its step without a
		 * transaction, where it takes effect; a step it shares is
		 * concurrently-in-transaction's. foreign_keys: judge_boundary. */
		return 0;
	default:
		break;
	}
	if (a->needs_version > 0 && l->opts.engine_version > 0 && a->needs_version > l->opts.engine_version) {
		fix = "rebuild the table instead (create new, copy, drop old, rename), or raise the minimum library version";
		ADD("needs-newer-engine", a->table, "%s needs %s %d.%d.%d or newer; the target's library is %d.%d.%d",
		    a->kind == LADDER_ACT_DROP_COLUMN     ? "ALTER TABLE ... DROP COLUMN"
		    : a->kind == LADDER_ACT_RENAME_COLUMN ? "ALTER TABLE ... RENAME COLUMN"
		                                          : "this statement",
		    l->driver->name, a->needs_version / 1000000, a->needs_version / 1000 % 1000, a->needs_version % 1000,
		    l->opts.engine_version / 1000000, l->opts.engine_version / 1000 % 1000, l->opts.engine_version % 1000);
	}
	return 0;
}

int lint_judge(linter *l, lint_step *step, size_t i)
{
	ladder_action *a = &step->actions[i];
	int error;

	if (a->kind == LADDER_ACT_SET_LOCK_TIMEOUT)
		step->lock_timeout = strcmp(a->detail, "0") != 0 && strcasecmp(a->detail, "0ms") != 0 &&
		                     strcmp(a->detail, "") != 0 &&
		                     (strcasecmp(a->detail, "default") != 0 || l->opts.ddl_lock_timeout_ms > 0);
	if ((error = judge_engine(l, step, a)) < 0 || (error = judge_column(l, step, a)) < 0 ||
	    (error = judge_constraint(l, step, a)) < 0 || (error = judge_maintenance(l, step, a)) < 0 ||
	    (error = judge_loss(l, step, i)) < 0)
		return error;
	if (online_ddl(l) && (error = judge_locks(l, step, a)) < 0)
		return error;
	return fold(l, step, a);
}
