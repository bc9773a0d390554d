/*
 * lint.c — ladder_lint: walk the plan's ups in order, have the driver read
 * what each statement does (replaying the plan on a scratch database where
 * the engine needs it), keep what the plan and the target say about each
 * table, and collect the rules' findings (lint_rules.c) with their place,
 * the table's size and any `-- ladder:lint-ignore` that covers them.
 */
#include "lint.h"

#include "boundary.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- names --------------------------------------------------------------------------- */

static size_t name_hash(const char *key)
{
	size_t h = 14695981039346656037u;
	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)tolower((unsigned char)*key)) * 1099511628211u;
	return h;
}

static size_t slot_of(const lint_map *map, const char *key)
{
	size_t i = name_hash(key) & (map->cap - 1);
	while (map->keys[i] != NULL && strcasecmp(map->keys[i], key) != 0)
		i = (i + 1) & (map->cap - 1);
	return i;
}

static int grow(lint_map *map)
{
	lint_map bigger = {0};
	size_t cap = map->cap ? map->cap * 2 : 64;

	if ((bigger.keys = ladder_calloc(cap, sizeof(char *))) == NULL ||
	    (bigger.values = ladder_calloc(cap, sizeof(char *))) == NULL) {
		ladder_free(bigger.keys);
		return ladder_error_set(LADDER_ENOMEM, "out of memory linting");
	}
	bigger.cap = cap;
	for (size_t i = 0; i < map->cap; i++) {
		if (map->keys[i] == NULL)
			continue;
		size_t j = slot_of(&bigger, map->keys[i]);
		bigger.keys[j] = map->keys[i];
		bigger.values[j] = map->values[i];
	}
	bigger.count = map->count;
	ladder_free(map->keys);
	ladder_free(map->values);
	*map = bigger;
	return 0;
}

int lint_map_put(lint_map *map, const char *key, const char *value)
{
	char *copy = NULL;
	size_t i;
	int error;

	if ((map->count + 1) * 2 > map->cap && (error = grow(map)) < 0)
		return error;
	if (value != NULL && (copy = ladder_strdup(value)) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory linting");
	i = slot_of(map, key);
	if (map->keys[i] == NULL) {
		if ((map->keys[i] = ladder_strdup(key)) == NULL) {
			ladder_free(copy);
			return ladder_error_set(LADDER_ENOMEM, "out of memory linting");
		}
		map->count++;
	}
	ladder_free(map->values[i]);
	map->values[i] = copy;
	return 0;
}

const char *lint_map_get(const lint_map *map, const char *key)
{
	return map->cap > 0 ? map->values[slot_of(map, key)] : NULL;
}

int lint_map_has(const lint_map *map, const char *key)
{
	return map->cap > 0 && map->keys[slot_of(map, key)] != NULL;
}

void lint_map_del(lint_map *map, const char *key)
{
	size_t i, j;

	if (map->cap == 0 || map->keys[i = slot_of(map, key)] == NULL)
		return;
	ladder_free(map->keys[i]);
	ladder_free(map->values[i]);
	map->keys[i] = map->values[i] = NULL;
	map->count--;
	/* Put back the entries of the run after the hole. */
	for (j = (i + 1) & (map->cap - 1); map->keys[j] != NULL; j = (j + 1) & (map->cap - 1)) {
		char *k = map->keys[j], *v = map->values[j];
		size_t to;
		map->keys[j] = map->values[j] = NULL;
		to = slot_of(map, k);
		map->keys[to] = k;
		map->values[to] = v;
	}
}

void lint_map_clear(lint_map *map)
{
	for (size_t i = 0; i < map->cap; i++) {
		ladder_free(map->keys[i]);
		ladder_free(map->values[i]);
	}
	ladder_free(map->keys);
	ladder_free(map->values);
	memset(map, 0, sizeof(*map));
}

/* --- findings ------------------------------------------------------------------------ */

static int column_of(const char *text, size_t offset)
{
	size_t start = offset;
	int column = 1;

	while (start > 0 && text[start - 1] != '\n')
		start--;
	for (size_t i = start; i < offset; i++)
		if (((unsigned char)text[i] & 0xc0) != 0x80)
			column++;
	return column;
}

/* The statement holding byte `offset`: the last start at or before it. */
static size_t statement_at(const lint_step *step, size_t offset)
{
	size_t found = SIZE_MAX;

	for (size_t i = 0; i < step->nstarts && step->starts[i] <= offset; i++)
		found = step->starts[i];
	return found;
}

static int names_rule(const char *list, const char *rule)
{
	size_t len = strlen(rule);

	for (const char *p = list; *p != '\0';) {
		size_t n = strcspn(p, ",");
		if (n == len && strncmp(p, rule, len) == 0)
			return 1;
		p += n + (p[n] == ',');
	}
	return 0;
}

static const char *size_of(linter *l, const char *schema, const char *table, int64_t *rows, int64_t *bytes)
{
	char cell[64];
	const char *known;
	int exists = 0;

	*rows = *bytes = -1;
	if (l->db == NULL || table == NULL || table[0] == '\0' || l->db->conn->driver->ops->table_size == NULL)
		return NULL;
	if ((known = lint_map_get(&l->sizes, table)) == NULL) {
		/* Best effort: a table the target cannot size is no error. */
		if (l->db->conn->driver->ops->table_size(l->db->conn, schema, table, &exists, rows, bytes) < 0)
			exists = 0;
		snprintf(cell, sizeof(cell), "%d %" PRId64 " %" PRId64, exists, *rows, *bytes);
		if (lint_map_put(&l->sizes, table, cell) < 0)
			return NULL;
		known = lint_map_get(&l->sizes, table);
	}
	if (known == NULL || sscanf(known, "%d %" SCNd64 " %" SCNd64, &exists, rows, bytes) != 3 || !exists) {
		*rows = *bytes = -1;
		return NULL;
	}
	return known;
}

static void human_size(char *out, size_t size, int64_t rows, int64_t bytes)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
	double value = (double)bytes;
	size_t unit = 0, used;

	while (value >= 1024 && unit + 1 < sizeof(units) / sizeof(units[0])) {
		value /= 1024;
		unit++;
	}
	if (rows >= 0)
		snprintf(out, size, "%" PRId64 " rows", rows);
	else
		snprintf(out, size, "rows unknown (never analyzed)");
	used = strlen(out);
	if (bytes >= 0)
		snprintf(out + used, size - used, unit == 0 ? ", %.0f %s" : ", %.1f %s", value, units[unit]);
}

int lint_add(linter *l, const lint_step *step, const char *rule, size_t offset, const char *table,
             const char *message, const char *fix)
{
	const ladder_lint_rule *def = lint_rule(rule);
	const ladder_step *s = step->step;
	ladder_lint_finding *f, *bigger;
	lint_ignore *ignore = NULL;
	size_t stmt = statement_at(step, offset);
	char sized[96] = "", *full = NULL;
	int64_t rows, bytes;

	if (!l->reporting || def == NULL)
		return 0;
	if (size_of(l, NULL, table, &rows, &bytes) != NULL) {
		if (def->sized && l->opts.min_rows > 0 && rows >= 0 && rows < l->opts.min_rows) {
			l->report->below_min_rows++;
			return 0;
		}
		human_size(sized, sizeof(sized), rows, bytes);
	}
	for (size_t i = 0; i < step->nignores && stmt != SIZE_MAX; i++)
		if (step->ignores[i].target == stmt && names_rule(step->ignores[i].rules, rule))
			ignore = &step->ignores[i];
	if ((bigger = ladder_array_grow(l->report->findings, &l->cap, l->report->count, sizeof(*bigger), 16)) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory linting");
	l->report->findings = bigger;
	if (sized[0] != '\0')
		full = ladder_mprintf("%s (\"%s\": %s)", message, table, sized);
	else
		full = ladder_strdup(message);
	f = &l->report->findings[l->report->count];
	memset(f, 0, sizeof(*f));
	f->rule = def->id;
	f->severity = def->severity;
	f->version = s->def.version;
	f->line = ladder_step_line(s, 0, offset);
	f->column = column_of(step->text, offset);
	f->rows = rows;
	f->bytes = bytes;
	f->name = ladder_strdup(s->def.name);
	f->file = ladder_strdup(ladder_step_source(s, 0));
	f->message = full;
	f->fix = ladder_strdup(fix != NULL ? fix : "");
	f->table = ladder_strdup(table != NULL ? table : "");
	if (ignore != NULL) {
		ignore->used = 1;
		f->suppressed = 1;
		f->reason = ladder_strdup(ignore->reason);
	}
	l->report->count++;
	if (f->name == NULL || f->file == NULL || f->message == NULL || f->fix == NULL || f->table == NULL ||
	    (ignore != NULL && f->reason == NULL))
		return ladder_error_set(LADDER_ENOMEM, "out of memory linting");
	if (f->suppressed)
		l->report->suppressed++;
	else if (f->severity == LADDER_LINT_ERROR)
		l->report->errors++;
	else
		l->report->warnings++;
	return 0;
}

/* --- one step ------------------------------------------------------------------------ */

static int collect(void *ctx, const ladder_action *action)
{
	lint_step *step = ctx;
	ladder_action *bigger = ladder_array_grow(step->actions, &step->cap, step->count, sizeof(*bigger), 8);

	if (bigger == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory linting");
	step->actions = bigger;
	step->actions[step->count++] = *action;
	return 0;
}

/* `-- ladder:lint-ignore RULE[,RULE] because REASON`, anywhere in the text. */
static int read_ignores(linter *l, lint_step *step)
{
	static const char tag[] = "ladder:lint-ignore";
	const char *text = step->text;
	int error = 0;

	for (const char *line = text; *line != '\0';) {
		const char *end = line + strcspn(line, "\n"), *p = line, *rules, *reason;
		lint_ignore *ignore;
		char problem[200] = "";
		size_t n;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p < 2 || p[0] != '-' || p[1] != '-')
			goto next;
		p += 2;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '-'))
			p++;
		if ((size_t)(end - p) < sizeof(tag) - 1 || strncmp(p, tag, sizeof(tag) - 1) != 0 ||
		    (p + sizeof(tag) - 1 < end && !isspace((unsigned char)p[sizeof(tag) - 1])))
			goto next;
		if ((ignore = ladder_realloc(step->ignores, (step->nignores + 1) * sizeof(*ignore))) == NULL)
			return ladder_error_set(LADDER_ENOMEM, "out of memory linting");
		step->ignores = ignore;
		ignore = &step->ignores[step->nignores];
		memset(ignore, 0, sizeof(*ignore));
		ignore->offset = (size_t)(line - text);
		ignore->target = SIZE_MAX;
		ignore->used = 1; /* until it proves valid */
		p += sizeof(tag) - 1;
		while (p < end && isspace((unsigned char)*p))
			p++;
		rules = p;
		while (p < end && !isspace((unsigned char)*p))
			p++;
		n = (size_t)(p - rules);
		snprintf(ignore->rules, sizeof(ignore->rules), "%.*s", (int)n, rules);
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (n == 0)
			snprintf(problem, sizeof(problem), "names no rule");
		else if (end - p < 8 || strncmp(p, "because", 7) != 0 || !isspace((unsigned char)p[7]))
			snprintf(problem, sizeof(problem), "gives no reason (write `because ...` after the rule)");
		for (const char *r = ignore->rules; problem[0] == '\0' && *r != '\0';) {
			size_t len = strcspn(r, ",");
			char id[128];
			snprintf(id, sizeof(id), "%.*s", (int)len, r);
			if (lint_rule(id) == NULL)
				snprintf(problem, sizeof(problem), "names unknown rule '%.100s' (`ladder lint --rules` lists them)",
				         id);
			r += len + (r[len] == ',');
		}
		if (problem[0] == '\0') {
			reason = p + 7;
			while (reason < end && isspace((unsigned char)*reason))
				reason++;
			snprintf(ignore->reason, sizeof(ignore->reason), "%.*s", (int)(end - reason), reason);
			while (ignore->reason[0] != '\0' && isspace((unsigned char)ignore->reason[strlen(ignore->reason) - 1]))
				ignore->reason[strlen(ignore->reason) - 1] = '\0';
			for (size_t i = 0; i < step->nstarts; i++)
				if (step->starts[i] > ignore->offset) {
					ignore->target = step->starts[i];
					break;
				}
			ignore->used = 0;
			step->nignores++;
		} else {
			char message[300];
			snprintf(message, sizeof(message), "this `-- ladder:lint-ignore` %s", problem);
			if ((error = lint_add(l, step, "lint-ignore-invalid", (size_t)(line - text), NULL, message,
			                      "write `-- ladder:lint-ignore RULE because REASON` on the line before the "
			                      "statement")) < 0)
				return error;
		}
	next:
		line = *end == '\n' ? end + 1 : end;
	}
	return 0;
}

/* Where each statement starts, from the engine's splitter. */
static int read_starts(linter *l, lint_step *step, ladder_conn *conn)
{
	ladder_stmt *stmts = NULL;
	size_t count = SIZE_MAX;
	int error;

	if (l->driver->ops->statements == NULL)
		return 0;
	if ((error = l->driver->ops->statements(conn, step->text, strlen(step->text), &stmts, &count)) < 0)
		return error;
	if (count != SIZE_MAX && count > 0) {
		if ((step->starts = ladder_malloc(count * sizeof(size_t))) == NULL) {
			ladder_free(stmts);
			return ladder_error_set(LADDER_ENOMEM, "out of memory linting");
		}
		for (size_t i = 0; i < count; i++)
			step->starts[i] = stmts[i].offset;
		step->nstarts = count;
	}
	ladder_free(stmts);
	return 0;
}

/* What ladder's run would refuse, or change, about the step's text. */
static int judge_boundary(linter *l, lint_step *step, const step_text *text, int refused)
{
	const ladder_step *s = step->step;
	const char *message = ladder_error_last()->message, *colon;
	char prefix[64];

	if (refused) {
		/* The run's own message, without its "file:line: " (the finding has both). */
		snprintf(prefix, sizeof(prefix), ":%d: ", ladder_step_line(s, 0, text->refused_at));
		if ((colon = strstr(message, prefix)) != NULL)
			message = colon + strlen(prefix);
		return lint_add(l, step, "transaction-control", text->refused_at != SIZE_MAX ? text->refused_at : 0, NULL,
		                message,
		                "remove the statement (ladder runs each step in its own transaction), or mark the step "
		                "`-- ladder:no-transaction`");
	}
	if ((text->info.detected & LADDER_NO_TRANSACTION) && text->statements > 1)
		return lint_add(l, step, "concurrently-in-transaction", text->detected_at, NULL,
		                "this statement cannot run inside a transaction, so ladder runs the whole step without one: "
		                "its other statements commit one by one, and a failure leaves the step half applied",
		                "move the statement into a step of its own marked `-- ladder:no-transaction`");
	if ((text->info.detected & LADDER_FOREIGN_KEYS_OFF) && !(s->def.up_flags & LADDER_FOREIGN_KEYS_OFF))
		return lint_add(l, step, "pragma-foreign-keys", text->detected_at, NULL,
		                "PRAGMA foreign_keys inside a transaction does nothing; ladder honours it by switching "
		                "enforcement off around the step, but other tools and a plain sqlite3 run do not",
		                "replace the pragmas with `-- ladder:foreign-keys off` at the top of the file");
	return 0;
}

static void step_free(lint_step *step)
{
	ladder_free(step->actions);
	ladder_free(step->starts);
	ladder_free(step->ignores);
	memset(step, 0, sizeof(*step));
}

/* A step's findings by position; stable, so one place keeps rule order. */
static void sort_findings(ladder_lint_finding *f, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		ladder_lint_finding key = f[i];
		size_t j = i;
		while (j > 0 && (f[j - 1].line > key.line || (f[j - 1].line == key.line && f[j - 1].column > key.column))) {
			f[j] = f[j - 1];
			j--;
		}
		f[j] = key;
	}
}

/* Lint one step; *broken set when the replay can go no further. */
static int lint_one(linter *l, const ladder_step *s, ladder_conn *scratch, int *broken)
{
	lint_step step = {0};
	step_text text = {0};
	size_t first = l->report->count;
	int error = 0, refused;

	step.step = s;
	step.text = s->def.up_sql;
	step.lock_timeout = l->opts.ddl_lock_timeout_ms > 0;
	refused = step_text_read(&text, l->driver, scratch, s, LADDER_UP, 0) < 0;
	if (refused && ladder_error_last()->code != LADDER_EPLAN) {
		error = ladder_error_last()->code;
		goto done;
	}
	step.flags = refused ? s->def.up_flags : text.info.flags;
	if ((error = read_starts(l, &step, scratch)) < 0 || (error = read_ignores(l, &step)) < 0 ||
	    (error = judge_boundary(l, &step, &text, refused)) < 0)
		goto done;
	/* The text as the run would send it: a wrapping BEGIN/COMMIT and
	 * foreign-key pragmas blanked (same offsets). */
	if ((error = l->driver->read_actions(scratch, refused || text.sql == NULL ? step.text : text.sql,
	                                     strlen(step.text), collect, &step)) < 0)
		goto done;
	for (size_t i = 0; i < step.count; i++) {
		if ((error = lint_judge(l, &step, i)) < 0)
			goto done;
		if (step.actions[i].kind == LADDER_ACT_FAILED && scratch != NULL)
			*broken = 1;
	}
	for (size_t i = 0; i < step.nignores; i++) {
		lint_ignore *ignore = &step.ignores[i];
		char message[400];
		if (ignore->used)
			continue;
		snprintf(message, sizeof(message), "`-- ladder:lint-ignore %s` suppresses nothing in the statement after it",
		         ignore->rules);
		if ((error = lint_add(l, &step, "lint-ignore-unused", ignore->offset, NULL, message,
		                      "remove it, or move it to the line before the statement it is meant for")) < 0)
			goto done;
	}
	l->report->steps += l->reporting;
	sort_findings(l->report->findings + first, l->report->count - first);
done:
	step_text_clear(&text);
	step_free(&step);
	return error;
}

/* --- the plan ------------------------------------------------------------------------- */

static int pending_versions(linter *l, lint_map *pending)
{
	ladder_status *status = NULL;
	char key[32];
	int error;

	if ((error = ladder_status_get(&status, l->db, l->plan)) < 0)
		return error;
	for (size_t i = 0; i < status->count && error == 0; i++) {
		ladder_state state = status->entries[i].state;
		if (state != LADDER_STATE_PENDING && state != LADDER_STATE_OUT_OF_ORDER)
			continue;
		snprintf(key, sizeof(key), "%" PRId64, status->entries[i].version);
		error = lint_map_put(pending, key, NULL);
	}
	ladder_status_free(status);
	return error;
}

static int open_scratch(linter *l, ladder_conn **out)
{
	ladder_open_options opts = LADDER_OPEN_OPTIONS_INIT;
	int was_on, error;

	*out = NULL;
	if (!(l->driver->caps & LADDER_DRIVER_ACTIONS_RUN))
		return 0;
	if ((error = l->driver->connect(out, ":memory:", &opts)) < 0)
		return error;
	/* Rebuilds replay; foreign keys are lint's to judge, not to enforce. */
	if (l->driver->ops->set_foreign_keys != NULL && (error = l->driver->ops->set_foreign_keys(*out, 0, &was_on)) < 0) {
		l->driver->ops->close(*out);
		*out = NULL;
	}
	return error;
}

void ladder_lint_report_free(ladder_lint_report *report)
{
	if (report == NULL)
		return;
	for (size_t i = 0; i < report->count; i++) {
		ladder_lint_finding *f = &report->findings[i];
		ladder_free((char *)f->name);
		ladder_free((char *)f->file);
		ladder_free((char *)f->message);
		ladder_free((char *)f->fix);
		ladder_free((char *)f->table);
		ladder_free((char *)f->reason);
	}
	ladder_free(report->findings);
	ladder_free((char *)report->note);
	ladder_free(report);
}

int ladder_lint(ladder_lint_report **out, const ladder_plan *plan, ladder_db *db, const ladder_lint_options *opts)
{
	ladder_lint_options defaults = LADDER_LINT_OPTIONS_INIT;
	linter l = {0};
	lint_map pending = {0};
	ladder_conn *scratch = NULL;
	int error = 0, broken = 0;
	int64_t broken_at = 0;

	if (out == NULL || plan == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_lint: NULL argument");
	*out = NULL;
	l.opts = opts != NULL ? *opts : defaults;
	l.plan = plan;
	l.db = db;
	if (l.opts.engine != NULL && (l.driver = ladder_driver_named(l.opts.engine)) == NULL)
		return ladder_error_set(LADDER_EUNSUPPORTED, "no driver for engine '%s'", l.opts.engine);
	if (l.driver == NULL && db != NULL)
		l.driver = db->conn->driver;
	if (l.driver == NULL)
		return ladder_error_set(LADDER_EINVALID, "lint needs an engine: a database, or the engine's name");
	if (db != NULL && db->conn->driver != l.driver)
		return ladder_error_set(LADDER_EINVALID, "lint: the database is %s, not %s", db->conn->driver->name,
		                        l.driver->name);
	if (l.driver->read_actions == NULL)
		return ladder_error_set(LADDER_EUNSUPPORTED, "the %s driver cannot read migrations for lint",
		                        l.driver->name);
	if ((l.opts.flags & LADDER_LINT_PENDING) && db == NULL)
		return ladder_error_set(LADDER_EINVALID, "lint: only the pending steps needs a database");
	if ((l.report = ladder_calloc(1, sizeof(*l.report))) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory linting");
	if ((db != NULL && (error = pending_versions(&l, &pending)) < 0) || (error = open_scratch(&l, &scratch)) < 0)
		goto done;
	/* A baseline-started plan replays from its baseline. */
	if (scratch != NULL && plan->has_baseline && plan->baseline.def.up_sql != NULL &&
	    (plan->count == 0 || plan->steps[0].def.version > plan->baseline.def.version)) {
		lint_step ignore = {0};
		ignore.step = &plan->baseline;
		if ((error = l.driver->read_actions(scratch, plan->baseline.def.up_sql, strlen(plan->baseline.def.up_sql),
		                                    collect, &ignore)) < 0) {
			step_free(&ignore);
			goto done;
		}
		for (size_t i = 0; i < ignore.count; i++)
			if (ignore.actions[i].kind == LADDER_ACT_FAILED)
				broken = 1;
		step_free(&ignore);
		broken_at = plan->baseline.def.version;
	}
	for (size_t i = 0; i < plan->count && !broken; i++) {
		const ladder_step *s = &plan->steps[i];
		char key[32];
		int is_pending;

		if (s->def.up_sql == NULL)
			continue;
		snprintf(key, sizeof(key), "%" PRId64, s->def.version);
		if (db != NULL)
			is_pending = lint_map_has(&pending, key);
		else if (l.opts.applied_through >= 0)
			is_pending = s->def.version > l.opts.applied_through;
		else
			is_pending = 1;
		/* A table counts as new only where the target has not applied its
		 * creation: without a database or applied_through, every earlier
		 * step counts as applied. */
		if ((db == NULL && l.opts.applied_through < 0) || !is_pending)
			lint_map_clear(&l.new_tables), lint_map_clear(&l.new_indexes);
		l.reporting = !(l.opts.flags & LADDER_LINT_PENDING) || is_pending;
		if ((error = lint_one(&l, s, scratch, &broken)) < 0)
			goto done;
		if (!is_pending)
			lint_map_clear(&l.new_tables), lint_map_clear(&l.new_indexes);
		broken_at = s->def.version;
	}
	if (broken) {
		size_t left = 0;
		for (size_t i = 0; i < plan->count; i++)
			left += plan->steps[i].def.version > broken_at && plan->steps[i].def.up_sql != NULL;
		if (left > 0 &&
		    (l.report->note = ladder_mprintf("%zu later step%s not checked: the plan could not be replayed past "
		                                     "migration %" PRId64,
		                                     left, left == 1 ? "" : "s", broken_at)) == NULL)
			error = ladder_error_set(LADDER_ENOMEM, "out of memory linting");
	}
done:
	if (scratch != NULL)
		l.driver->ops->close(scratch);
	lint_map_clear(&pending);
	lint_map_clear(&l.new_tables);
	lint_map_clear(&l.new_indexes);
	lint_map_clear(&l.column_types);
	lint_map_clear(&l.not_null_checks);
	lint_map_clear(&l.validated);
	lint_map_clear(&l.sizes);
	if (error < 0) {
		ladder_lint_report_free(l.report);
		return error;
	}
	*out = l.report;
	return 0;
}
