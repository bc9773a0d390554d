/*
 * lint.h — what ladder_lint's two halves share: the walk over the plan with
 * its context (lint.c) and the rules that judge each action (lint_rules.c).
 */
#ifndef LADDER_LINT_H
#define LADDER_LINT_H

#include "db.h"
#include "plan.h"

/* A set (value NULL) or map of names, case-insensitive as both engines
 * compare unquoted identifiers; open addressing, so a plan of ten thousand
 * tables stays linear. */
typedef struct lint_map {
	char **keys;
	char **values;
	size_t cap, count;
} lint_map;

int lint_map_put(lint_map *map, const char *key, const char *value);
const char *lint_map_get(const lint_map *map, const char *key); /* NULL: absent */
int lint_map_has(const lint_map *map, const char *key);
void lint_map_del(lint_map *map, const char *key);
void lint_map_clear(lint_map *map);

/* A `-- ladder:lint-ignore RULE[,RULE] because REASON` comment: it covers
 * the statement that follows it. */
typedef struct lint_ignore {
	size_t offset;              /* of the comment */
	size_t target;              /* the covered statement's offset; SIZE_MAX: none */
	char rules[256];            /* comma-separated */
	char reason[256];
	int used;
} lint_ignore;

/* One step as lint reads it. */
typedef struct lint_step {
	const ladder_step *step;
	const char *text;
	unsigned int flags;         /* LADDER_NO_TRANSACTION | LADDER_FOREIGN_KEYS_OFF, set or detected */
	ladder_action *actions;
	size_t count, cap;
	int lock_timeout;           /* a lock_timeout is in force at the current action */
	int lock_timeout_reported;  /* lock-timeout-missing fires once per step */
	size_t *starts;             /* statements' offsets, ascending */
	size_t nstarts;
	lint_ignore *ignores;
	size_t nignores;
} lint_step;

typedef struct linter {
	const ladder_plan *plan;
	const ladder_driver *driver;
	ladder_db *db;              /* NULL: no target */
	ladder_lint_options opts;
	ladder_lint_report *report;
	size_t cap;
	int reporting;              /* findings of this step are kept */

	lint_map new_tables;        /* created where the target has not applied it yet */
	lint_map new_indexes;
	lint_map column_types;      /* "table.column" -> type, from the plan's DDL */
	lint_map not_null_checks;   /* constraint -> "table.column" it checks */
	lint_map validated;         /* "table.column" with a validated IS NOT NULL check */
	lint_map sizes;             /* table -> "exists rows bytes" on the target */
} linter;

/* Judge action i of step (lint_rules.c), then fold it into the context. */
int lint_judge(linter *l, lint_step *step, size_t i);

/* Record a finding of `rule` for the step at byte `offset` of its text;
 * `table` may be NULL. */
int lint_add(linter *l, const lint_step *step, const char *rule, size_t offset, const char *table,
             const char *message, const char *fix);

/* The rule with this id, or NULL. */
const ladder_lint_rule *lint_rule(const char *id);

#endif /* LADDER_LINT_H */
