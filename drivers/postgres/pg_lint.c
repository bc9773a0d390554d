/*
 * pg_lint.c — what each statement of a migration does, read from
 * PostgreSQL's own parse tree (libpg_query's typed protobuf tree) for
 * `ladder lint`. This file reports actions and the locks PostgreSQL takes
 * for them; which of them are dangerous, and why, is the core's call
 * (src/lint*.c). No server is needed.
 */
#include "pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct reader {
	const char *text;       /* the piece being read */
	size_t len;
	size_t base;            /* the piece's offset in the step's text */
	size_t stmt_offset;     /* in the piece, until emit() adds base */
	int failures;           /* syntax errors reported (per-statement reading) */
	ladder_action_fn fn;
	void *ctx;
	int stop;
} reader;

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "");
}

static size_t at(const reader *r, int32_t location)
{
	return location >= 0 && (size_t)location < r->len ? (size_t)location : r->stmt_offset;
}

static int emit(reader *r, ladder_action *action)
{
	if (r->stop != 0)
		return r->stop;
	action->stmt_offset = r->base + r->stmt_offset;
	action->offset += r->base;
	return r->stop = r->fn(r->ctx, action);
}

/* Per-statement reading after a syntax error: the first failure is the one
 * the whole text's parse reported already. */
static int skip_first_failure(void *ctx, const ladder_action *action)
{
	reader *whole = ctx;

	if (action->kind == LADDER_ACT_FAILED && whole->failures++ == 0)
		return 0;
	return whole->fn(whole->ctx, action);
}

static void init(ladder_action *action, const reader *r, ladder_action_kind kind, const PgQuery__RangeVar *rel)
{
	memset(action, 0, sizeof(*action));
	action->kind = kind;
	action->offset = r->stmt_offset;
	if (rel != NULL) {
		copy(action->schema, sizeof(action->schema), rel->schemaname);
		copy(action->table, sizeof(action->table), rel->relname);
		if (rel->relpersistence != NULL && rel->relpersistence[0] == 't')
			action->flags |= LADDER_ACTF_TEMPORARY;
	}
}

static const char *string_of(const PgQuery__Node *node)
{
	return node != NULL && node->node_case == PG_QUERY__NODE__NODE_STRING ? node->string->sval : NULL;
}

/* A qualified name given as a list of String nodes (DROP TABLE a.b). */
static void set_qualified(ladder_action *action, const PgQuery__Node *node)
{
	const PgQuery__List *list;

	if (node == NULL)
		return;
	if (node->node_case == PG_QUERY__NODE__NODE_STRING) {
		copy(action->table, sizeof(action->table), node->string->sval);
		return;
	}
	if (node->node_case != PG_QUERY__NODE__NODE_LIST)
		return;
	list = node->list;
	if (list->n_items >= 2)
		copy(action->schema, sizeof(action->schema), string_of(list->items[list->n_items - 2]));
	if (list->n_items >= 1)
		copy(action->table, sizeof(action->table), string_of(list->items[list->n_items - 1]));
}

/* "int4", "varchar(20)", "timestamptz", "numeric(10,2)", "text[]". */
static void type_text(char *out, size_t size, const PgQuery__TypeName *type)
{
	const char *name = NULL;
	size_t used;

	out[0] = '\0';
	if (type == NULL || type->n_names == 0)
		return;
	name = string_of(type->names[type->n_names - 1]);
	snprintf(out, size, "%s", name != NULL ? name : "");
	for (size_t i = 0; i < type->n_typmods; i++) {
		const PgQuery__Node *mod = type->typmods[i];
		used = strlen(out);
		if (mod->node_case == PG_QUERY__NODE__NODE_A_CONST &&
		    mod->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
			snprintf(out + used, size - used, "%s%d", i == 0 ? "(" : ",", mod->a_const->ival->ival);
		else
			snprintf(out + used, size - used, "%s?", i == 0 ? "(" : ",");
	}
	used = strlen(out);
	if (type->n_typmods > 0)
		snprintf(out + used, size - used, ")");
	used = strlen(out);
	if (type->n_array_bounds > 0)
		snprintf(out + used, size - used, "[]");
}

/* Functions whose value changes per row: a default calling one makes
 * ADD COLUMN fill every row. Stable ones (now(), current_timestamp) are
 * evaluated once and stored in the catalog instead (PostgreSQL 11+). */
static int is_volatile_function(const char *name)
{
	static const char *const names[] = {"random",           "gen_random_uuid", "uuid_generate_v1",
	                                    "uuid_generate_v1mc", "uuid_generate_v4", "clock_timestamp",
	                                    "timeofday",          "nextval",         "txid_current",
	                                    "statement_timestamp", "random_normal",  NULL};
	for (size_t i = 0; names[i] != NULL; i++)
		if (strcasecmp(name, names[i]) == 0)
			return 1;
	return 0;
}

static int has_volatile_call(const PgQuery__Node *node)
{
	if (node == NULL)
		return 0;
	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_FUNC_CALL: {
		const PgQuery__FuncCall *call = node->func_call;
		const char *name = call->n_funcname > 0 ? string_of(call->funcname[call->n_funcname - 1]) : NULL;
		if (name != NULL && is_volatile_function(name))
			return 1;
		for (size_t i = 0; i < call->n_args; i++)
			if (has_volatile_call(call->args[i]))
				return 1;
		return 0;
	}
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		return has_volatile_call(node->type_cast->arg);
	case PG_QUERY__NODE__NODE_A_EXPR:
		return has_volatile_call(node->a_expr->lexpr) || has_volatile_call(node->a_expr->rexpr);
	case PG_QUERY__NODE__NODE_COALESCE_EXPR:
		for (size_t i = 0; i < node->coalesce_expr->n_args; i++)
			if (has_volatile_call(node->coalesce_expr->args[i]))
				return 1;
		return 0;
	default:
		return 0;
	}
}

static int is_serial(const char *type)
{
	return strcmp(type, "serial") == 0 || strcmp(type, "bigserial") == 0 || strcmp(type, "smallserial") == 0 ||
	       strcmp(type, "serial4") == 0 || strcmp(type, "serial8") == 0 || strcmp(type, "serial2") == 0;
}

/* A column definition's flags, from its inline constraints. */
static unsigned int column_flags(const PgQuery__ColumnDef *def, const char *type)
{
	unsigned int flags = 0;

	if (def->is_not_null)
		flags |= LADDER_ACTF_NOT_NULL;
	if (def->raw_default != NULL) {
		flags |= LADDER_ACTF_DEFAULT;
		if (has_volatile_call(def->raw_default))
			flags |= LADDER_ACTF_VOLATILE;
	}
	if (is_serial(type))
		flags |= LADDER_ACTF_FILLS | LADDER_ACTF_DEFAULT | LADDER_ACTF_NOT_NULL;
	for (size_t i = 0; i < def->n_constraints; i++) {
		const PgQuery__Constraint *c;
		if (def->constraints[i]->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		c = def->constraints[i]->constraint;
		switch (c->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
			flags |= LADDER_ACTF_NOT_NULL;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
			flags |= LADDER_ACTF_DEFAULT;
			if (has_volatile_call(c->raw_expr))
				flags |= LADDER_ACTF_VOLATILE;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
			flags |= LADDER_ACTF_FILLS | LADDER_ACTF_NOT_NULL | LADDER_ACTF_DEFAULT;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
			flags |= LADDER_ACTF_FILLS; /* STORED is the only kind PostgreSQL has */
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
			flags |= LADDER_ACTF_PRIMARY_KEY | LADDER_ACTF_UNIQUE | LADDER_ACTF_NOT_NULL;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
			flags |= LADDER_ACTF_UNIQUE;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
			flags |= LADDER_ACTF_FOREIGN_KEY;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
			flags |= LADDER_ACTF_CHECK;
			break;
		default:
			break;
		}
	}
	return flags;
}

static int column(reader *r, ladder_action_kind kind, const PgQuery__RangeVar *rel, const PgQuery__ColumnDef *def,
                  unsigned int extra)
{
	ladder_action action;

	init(&action, r, kind, rel);
	copy(action.column, sizeof(action.column), def->colname);
	type_text(action.type, sizeof(action.type), def->type_name);
	action.flags |= column_flags(def, action.type) | extra;
	action.offset = at(r, def->location);
	return emit(r, &action);
}

/* The column a CHECK constraint tests for IS NOT NULL, when that is all
 * it tests. */
static const char *not_null_check_column(const PgQuery__Constraint *c)
{
	const PgQuery__NullTest *test;
	const PgQuery__ColumnRef *ref;

	if (c->raw_expr == NULL || c->raw_expr->node_case != PG_QUERY__NODE__NODE_NULL_TEST)
		return NULL;
	test = c->raw_expr->null_test;
	if (test->nulltesttype != PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL || test->arg == NULL ||
	    test->arg->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return NULL;
	ref = test->arg->column_ref;
	return ref->n_fields == 1 ? string_of(ref->fields[0]) : NULL;
}

static const char *first_key(PgQuery__Node *const *keys, size_t n)
{
	return n == 1 ? string_of(keys[0]) : NULL;
}

static int constraint(reader *r, const PgQuery__RangeVar *rel, const PgQuery__Constraint *c, unsigned int extra)
{
	ladder_action action;
	const char *col = NULL;

	init(&action, r, LADDER_ACT_ADD_CONSTRAINT, rel);
	action.flags |= extra;
	action.offset = at(r, c->location);
	copy(action.name, sizeof(action.name), c->conname);
	switch (c->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
		action.flags |= LADDER_ACTF_PRIMARY_KEY | LADDER_ACTF_UNIQUE;
		col = first_key(c->keys, c->n_keys);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
		action.flags |= LADDER_ACTF_UNIQUE;
		col = first_key(c->keys, c->n_keys);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		action.flags |= LADDER_ACTF_FOREIGN_KEY;
		col = first_key(c->fk_attrs, c->n_fk_attrs);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		action.flags |= LADDER_ACTF_CHECK;
		if ((col = not_null_check_column(c)) != NULL)
			action.flags |= LADDER_ACTF_IS_NOT_NULL;
		break;
	default:
		return 0;
	}
	if (c->indexname != NULL && c->indexname[0] != '\0')
		action.flags |= LADDER_ACTF_USING_INDEX;
	if (c->skip_validation)
		action.flags |= LADDER_ACTF_NOT_VALID;
	copy(action.column, sizeof(action.column), col);
	return emit(r, &action);
}

static int create_table(reader *r, const PgQuery__CreateStmt *stmt)
{
	ladder_action action;
	const char *pk = NULL;

	init(&action, r, LADDER_ACT_CREATE_TABLE, stmt->relation);
	action.offset = at(r, stmt->relation->location);
	if (stmt->if_not_exists)
		action.flags |= LADDER_ACTF_IF_EXISTS;
	if (emit(r, &action) != 0)
		return r->stop;
	/* A one-column PRIMARY KEY (id) is the column's. */
	for (size_t i = 0; i < stmt->n_table_elts; i++) {
		const PgQuery__Node *elt = stmt->table_elts[i];
		if (elt->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    elt->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
			pk = first_key(elt->constraint->keys, elt->constraint->n_keys);
	}
	for (size_t i = 0; i < stmt->n_table_elts && r->stop == 0; i++) {
		const PgQuery__Node *elt = stmt->table_elts[i];
		if (elt->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
			continue;
		column(r, LADDER_ACT_COLUMN, stmt->relation, elt->column_def,
		       (action.flags & LADDER_ACTF_TEMPORARY) |
		           (pk != NULL && elt->column_def->colname != NULL && strcmp(pk, elt->column_def->colname) == 0
		                ? LADDER_ACTF_PRIMARY_KEY
		                : 0));
	}
	return r->stop;
}

/* ALTER TABLE forms that do not take ACCESS EXCLUSIVE (PostgreSQL's
 * documentation of ALTER TABLE, "lock level" of each form). */
static int weaker_lock(const PgQuery__AlterTableCmd *cmd)
{
	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ClusterOn:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropCluster:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableAlwaysTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableReplicaTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigAll:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigAll:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigUser:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigUser:
		return 1;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
		/* A foreign key takes SHARE ROW EXCLUSIVE: writes wait, reads go on. */
		return cmd->def != NULL && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		       cmd->def->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN;
	default:
		return 0;
	}
}

static int alter_table(reader *r, const PgQuery__AlterTableStmt *stmt)
{
	const PgQuery__RangeVar *rel = stmt->relation;
	ladder_action action;

	if (stmt->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || rel == NULL)
		return 0;
	for (size_t i = 0; i < stmt->n_cmds && r->stop == 0; i++) {
		const PgQuery__AlterTableCmd *cmd;
		unsigned int lock;

		if (stmt->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		cmd = stmt->cmds[i]->alter_table_cmd;
		lock = weaker_lock(cmd) ? 0 : LADDER_ACTF_BLOCKS_ALL;
		init(&action, r, LADDER_ACT_LOCK_TABLE, rel);
		action.flags |= lock;
		action.offset = at(r, rel->location);
		copy(action.column, sizeof(action.column), cmd->name);
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			if (cmd->def != NULL && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				column(r, LADDER_ACT_ADD_COLUMN, rel, cmd->def->column_def,
				       lock | (cmd->missing_ok ? LADDER_ACTF_IF_EXISTS : 0));
			continue;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
			action.kind = LADDER_ACT_DROP_COLUMN;
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
			action.kind = LADDER_ACT_ALTER_COLUMN_TYPE;
			if (cmd->def != NULL && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
				type_text(action.type, sizeof(action.type), cmd->def->column_def->type_name);
				action.offset = at(r, cmd->def->column_def->location);
			}
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
			action.kind = LADDER_ACT_SET_NOT_NULL;
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
			if (cmd->def != NULL && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
				constraint(r, rel, cmd->def->constraint, lock);
			continue;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
			action.kind = LADDER_ACT_VALIDATE_CONSTRAINT;
			copy(action.name, sizeof(action.name), cmd->name);
			action.column[0] = '\0';
			break;
		default:
			if (!lock)
				continue;
			action.column[0] = '\0';
			break;
		}
		emit(r, &action);
	}
	return r->stop;
}

static int drop(reader *r, const PgQuery__DropStmt *stmt)
{
	ladder_action action;
	ladder_action_kind kind;

	switch (stmt->remove_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		kind = LADDER_ACT_DROP_TABLE;
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		kind = LADDER_ACT_DROP_INDEX;
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
		kind = LADDER_ACT_DROP_SCHEMA;
		break;
	default:
		return 0;
	}
	for (size_t i = 0; i < stmt->n_objects && r->stop == 0; i++) {
		init(&action, r, kind, NULL);
		set_qualified(&action, stmt->objects[i]);
		if (kind != LADDER_ACT_DROP_TABLE) {
			/* An index or schema is named, not a table. */
			memcpy(action.name, action.table, sizeof(action.name));
			action.table[0] = '\0';
		}
		if (kind == LADDER_ACT_DROP_SCHEMA)
			action.schema[0] = '\0';
		if (stmt->concurrent)
			action.flags |= LADDER_ACTF_CONCURRENTLY;
		if (stmt->missing_ok)
			action.flags |= LADDER_ACTF_IF_EXISTS;
		if (stmt->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
			action.flags |= LADDER_ACTF_CASCADE;
		if (!stmt->concurrent)
			action.flags |= LADDER_ACTF_BLOCKS_ALL;
		emit(r, &action);
	}
	return r->stop;
}

static int has_option(PgQuery__Node *const *options, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (options[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM && options[i]->def_elem->defname != NULL &&
		    strcasecmp(options[i]->def_elem->defname, name) == 0) {
			const PgQuery__Node *arg = options[i]->def_elem->arg;
			/* VACUUM (FULL false) */
			if (arg != NULL && arg->node_case == PG_QUERY__NODE__NODE_BOOLEAN && !arg->boolean->boolval)
				return 0;
			return 1;
		}
	return 0;
}

static int vacuum(reader *r, const PgQuery__VacuumStmt *stmt)
{
	ladder_action action;

	if (!stmt->is_vacuumcmd || !has_option(stmt->options, stmt->n_options, "full"))
		return 0;
	if (stmt->n_rels == 0) {
		init(&action, r, LADDER_ACT_VACUUM_FULL, NULL);
		action.flags |= LADDER_ACTF_BLOCKS_ALL;
		return emit(r, &action);
	}
	for (size_t i = 0; i < stmt->n_rels && r->stop == 0; i++) {
		const PgQuery__Node *rel = stmt->rels[i];
		init(&action, r, LADDER_ACT_VACUUM_FULL,
		     rel->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION ? rel->vacuum_relation->relation : NULL);
		action.flags |= LADDER_ACTF_BLOCKS_ALL;
		emit(r, &action);
	}
	return r->stop;
}

static int set_variable(reader *r, const PgQuery__VariableSetStmt *stmt)
{
	ladder_action action;
	const PgQuery__Node *arg;

	if (stmt->name == NULL || strcasecmp(stmt->name, "lock_timeout") != 0)
		return 0;
	init(&action, r, LADDER_ACT_SET_LOCK_TIMEOUT, NULL);
	copy(action.name, sizeof(action.name), "lock_timeout");
	if (stmt->kind != PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE || stmt->n_args == 0) {
		copy(action.detail, sizeof(action.detail), "default");
		return emit(r, &action);
	}
	arg = stmt->args[0];
	if (arg->node_case == PG_QUERY__NODE__NODE_A_CONST) {
		if (arg->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
			snprintf(action.detail, sizeof(action.detail), "%d", arg->a_const->ival->ival);
		else if (arg->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL)
			copy(action.detail, sizeof(action.detail), arg->a_const->sval->sval);
	}
	return emit(r, &action);
}

static int relations(reader *r, PgQuery__Node *const *rels, size_t n)
{
	ladder_action action;

	for (size_t i = 0; i < n && r->stop == 0; i++) {
		if (rels[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
			continue;
		init(&action, r, LADDER_ACT_LOCK_TABLE, rels[i]->range_var);
		action.flags |= LADDER_ACTF_BLOCKS_ALL;
		emit(r, &action);
	}
	return r->stop;
}

static int statement(reader *r, const PgQuery__Node *node)
{
	ladder_action action;

	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		return create_table(r, node->create_stmt);
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		if (node->create_table_as_stmt->into == NULL || node->create_table_as_stmt->into->rel == NULL)
			return 0;
		init(&action, r, LADDER_ACT_CREATE_TABLE, node->create_table_as_stmt->into->rel);
		return emit(r, &action);
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		return alter_table(r, node->alter_table_stmt);
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return drop(r, node->drop_stmt);
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *stmt = node->index_stmt;
		init(&action, r, LADDER_ACT_CREATE_INDEX, stmt->relation);
		copy(action.name, sizeof(action.name), stmt->idxname);
		if (stmt->concurrent)
			action.flags |= LADDER_ACTF_CONCURRENTLY;
		if (stmt->unique || stmt->primary)
			action.flags |= LADDER_ACTF_UNIQUE;
		if (stmt->if_not_exists)
			action.flags |= LADDER_ACTF_IF_EXISTS;
		return emit(r, &action);
	}
	case PG_QUERY__NODE__NODE_RENAME_STMT: {
		const PgQuery__RenameStmt *stmt = node->rename_stmt;
		if (stmt->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN &&
		    stmt->relation_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
			init(&action, r, LADDER_ACT_RENAME_COLUMN, stmt->relation);
			copy(action.column, sizeof(action.column), stmt->subname);
		} else if (stmt->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
			init(&action, r, LADDER_ACT_RENAME_TABLE, stmt->relation);
		} else {
			return 0;
		}
		copy(action.name, sizeof(action.name), stmt->newname);
		action.flags |= LADDER_ACTF_BLOCKS_ALL;
		return emit(r, &action);
	}
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		return vacuum(r, node->vacuum_stmt);
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
		init(&action, r, LADDER_ACT_CLUSTER, node->cluster_stmt->relation);
		action.flags |= LADDER_ACTF_BLOCKS_ALL;
		return emit(r, &action);
	case PG_QUERY__NODE__NODE_REINDEX_STMT: {
		const PgQuery__ReindexStmt *stmt = node->reindex_stmt;
		init(&action, r, LADDER_ACT_REINDEX, stmt->relation);
		copy(action.name, sizeof(action.name), stmt->name);
		if (has_option(stmt->params, stmt->n_params, "concurrently"))
			action.flags |= LADDER_ACTF_CONCURRENTLY;
		return emit(r, &action);
	}
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
		return set_variable(r, node->variable_set_stmt);
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
		return relations(r, node->truncate_stmt->relations, node->truncate_stmt->n_relations);
	case PG_QUERY__NODE__NODE_LOCK_STMT:
		/* mode 8: AccessExclusiveLock, what LOCK TABLE takes by default */
		if (node->lock_stmt->mode < 8)
			return 0;
		return relations(r, node->lock_stmt->relations, node->lock_stmt->n_relations);
	default:
		return 0;
	}
}

/* Parse text[base..) (NUL-terminated at its end) and report its
 * statements; offsets count from the step's start. A syntax error is
 * reported as LADDER_ACT_FAILED at its position; *failed tells the caller. */
static int read_piece(reader *r, char *piece, size_t base, int *failed)
{
	PgQueryProtobufParseResult parsed = pg_query_parse_protobuf(piece);
	PgQuery__ParseResult *tree = NULL;
	size_t len = strlen(piece);
	int error = 0;

	*failed = 0;
	r->base = base;
	r->text = piece;
	r->len = len;
	if (parsed.error != NULL) {
		ladder_action action;
		/* cursorpos counts characters from 1; the text is UTF-8. */
		size_t offset = 0;
		for (int chars = 0; offset < len; offset++)
			if (((unsigned char)piece[offset] & 0xc0) != 0x80 && ++chars == parsed.error->cursorpos)
				break;
		*failed = 1;
		r->stmt_offset = ladder_text_skip_blank(piece, len, 0);
		init(&action, r, LADDER_ACT_FAILED, NULL);
		action.offset = parsed.error->cursorpos > 0 && offset < len ? offset : r->stmt_offset;
		snprintf(action.detail, sizeof(action.detail), "%s", parsed.error->message);
		error = emit(r, &action);
		goto done;
	}
	tree = pg_query__parse_result__unpack(NULL, parsed.parse_tree.len, (const uint8_t *)parsed.parse_tree.data);
	if (tree == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory reading a migration's parse tree");
		goto done;
	}
	/* Locations in the tree count from the piece's start. */
	for (size_t i = 0; i < tree->n_stmts && r->stop == 0; i++) {
		const PgQuery__RawStmt *raw = tree->stmts[i];
		if (raw->stmt == NULL)
			continue;
		r->stmt_offset = ladder_text_skip_blank(piece, len, (size_t)raw->stmt_location);
		statement(r, raw->stmt);
	}
	error = r->stop;
done:
	if (tree != NULL)
		pg_query__parse_result__free_unpacked(tree, NULL);
	pg_query_free_protobuf_parse_result(parsed);
	return error;
}

int ladder_pg__read_actions(ladder_conn *scratch, const char *sql, size_t len, ladder_action_fn fn, void *ctx)
{
	PgQuerySplitResult split = {0};
	reader r = {0};
	char *text = NULL;
	int error, failed;

	(void)scratch;
	if ((error = ladder_pg_query_load()) < 0)
		return error;
	if ((text = ladder_strndup(sql, len)) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reading a migration");
	r.fn = fn;
	r.ctx = ctx;
	if ((error = read_piece(&r, text, 0, &failed)) != 0 || !failed)
		goto done;
	/* A syntax error hides nothing else: the scanner (which reads what the
	 * parser cannot) splits the text, and each statement is read alone.
	 * The whole text's error was reported; only the others' are new. */
	split = pg_query_split_with_scanner(text);
	if (split.error != NULL)
		goto done;
	for (int i = 0; i < split.n_stmts && error == 0; i++) {
		size_t start = (size_t)split.stmts[i]->stmt_location;
		size_t end = split.stmts[i]->stmt_len > 0 ? start + (size_t)split.stmts[i]->stmt_len : len;
		char *piece;
		reader one = r;

		if (end > len || start >= end)
			continue;
		if ((piece = ladder_strndup(text + start, end - start)) == NULL) {
			error = ladder_error_set(LADDER_ENOMEM, "out of memory reading a migration");
			break;
		}
		/* The first failing statement was reported by the whole parse. */
		one.fn = skip_first_failure;
		one.ctx = &r;
		error = read_piece(&one, piece, start, &failed);
		ladder_free(piece);
	}
done:
	if (split.stmts != NULL || split.error != NULL)
		pg_query_free_split_result(split);
	ladder_free(text);
	return error;
}

int ladder_pg__table_size(ladder_conn *base, const char *schema, const char *table, int *exists, int64_t *rows,
                          int64_t *bytes)
{
	ladder_pg_conn *conn = (ladder_pg_conn *)base;
	const char *params[2] = {schema != NULL ? schema : "", table};
	PGresult *res = NULL;
	int error;

	*exists = 0;
	*rows = *bytes = -1;
	/* reltuples is -1 until the table is first vacuumed or analyzed. */
	error = ladder_pg__run(conn, &res, PGRES_TUPLES_OK, "reading a table's size",
	                       "SELECT c.reltuples::bigint, pg_catalog.pg_total_relation_size(c.oid) "
	                       "FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass("
	                       "CASE $1 WHEN '' THEN '' ELSE pg_catalog.quote_ident($1) || '.' END || "
	                       "pg_catalog.quote_ident($2))",
	                       2, params);
	if (error == 0 && PQntuples(res) == 1) {
		*exists = 1;
		*rows = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		*bytes = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	}
	PQclear(res);
	return error;
}
