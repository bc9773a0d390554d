/*
 * lint.c — `ladder lint` (and `verify --lint`): run ladder_lint and print
 * its findings like a compiler's (file:line:col, the source line, the fix),
 * as JSON lines, or as GitHub Actions annotations.
 */
#include "cli.h"
#include "output.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *severity_name(ladder_lint_severity severity)
{
	return severity == LADDER_LINT_ERROR ? "error" : "warning";
}

/* The finding's source line, from the plan's text. */
static int source_line(const ladder_plan *plan, const ladder_lint_finding *f, const char **start, size_t *len)
{
	const ladder_migration_def *def = ladder_plan_get(plan, f->version);
	const char *p;
	int line;

	if (def == NULL || def->up_sql == NULL)
		return -1;
	p = def->up_sql;
	for (line = def->up_line > 0 ? def->up_line : 1; line < f->line && *p != '\0'; p++)
		if (*p == '\n')
			line++;
	if (line != f->line || *p == '\0')
		return -1;
	*start = p;
	*len = strcspn(p, "\n");
	return 0;
}

static void print_text(const ladder_plan *plan, const ladder_lint_finding *f, int colour, int verbose)
{
	const char *line;
	size_t len;

	if (f->suppressed && !verbose)
		return;
	printf("%s:%d:%d: ", f->file, f->line, f->column);
	if (f->suppressed)
		printf("%ssuppressed%s", colour ? "\033[2m" : "", colour ? "\033[0m" : "");
	else if (f->severity == LADDER_LINT_ERROR)
		printf("%serror%s", colour ? "\033[1;31m" : "", colour ? "\033[0m" : "");
	else
		printf("%swarning%s", colour ? "\033[1;33m" : "", colour ? "\033[0m" : "");
	printf(" [%s]: ", f->rule);
	out_text(stdout, f->message);
	putchar('\n');
	if (source_line(plan, f, &line, &len) == 0) {
		printf("%6d | %.*s\n", f->line, (int)len, line);
		printf("       | %*s^\n", f->column - 1, "");
	}
	if (f->suppressed) {
		fputs("  suppressed: ", stdout);
		out_text(stdout, f->reason);
		putchar('\n');
	} else if (f->fix[0] != '\0') {
		fputs("  fix: ", stdout);
		out_text(stdout, f->fix);
		putchar('\n');
	}
}

static void json_field(const char *name, const char *value, int comma)
{
	printf("%s\"%s\":", comma ? "," : "", name);
	out_json_string(stdout, value);
}

static void print_json(const ladder_lint_finding *f)
{
	printf("{\"event\":\"finding\"");
	json_field("rule", f->rule, 1);
	json_field("severity", severity_name(f->severity), 1);
	json_field("file", f->file, 1);
	printf(",\"line\":%d,\"column\":%d,\"version\":%" PRId64, f->line, f->column, f->version);
	json_field("migration", f->name, 1);
	json_field("message", f->message, 1);
	json_field("fix", f->fix, 1);
	json_field("table", f->table, 1);
	printf(",\"rows\":%" PRId64 ",\"bytes\":%" PRId64 ",\"suppressed\":%s", f->rows, f->bytes,
	       f->suppressed ? "true" : "false");
	if (f->suppressed)
		json_field("reason", f->reason, 1);
	puts("}");
}

/* GitHub's workflow commands: data escapes %, CR and LF; properties also
 * ':' and ','. */
static void github_escaped(const char *s, int property)
{
	for (; *s != '\0'; s++) {
		if (*s == '%')
			fputs("%25", stdout);
		else if (*s == '\r')
			fputs("%0D", stdout);
		else if (*s == '\n')
			fputs("%0A", stdout);
		else if (property && *s == ':')
			fputs("%3A", stdout);
		else if (property && *s == ',')
			fputs("%2C", stdout);
		else
			putchar(*s);
	}
}

static void print_github(const ladder_lint_finding *f)
{
	if (f->suppressed)
		return;
	printf("::%s file=", severity_name(f->severity));
	/* GitHub matches paths from the repository's root, written plainly. */
	github_escaped(strncmp(f->file, "./", 2) == 0 ? f->file + 2 : f->file, 1);
	printf(",line=%d,col=%d,title=", f->line, f->column);
	github_escaped("ladder lint ", 1);
	github_escaped(f->rule, 1);
	fputs("::", stdout);
	github_escaped(f->message, 0);
	if (f->fix[0] != '\0') {
		github_escaped("\nfix: ", 0);
		github_escaped(f->fix, 0);
	}
	putchar('\n');
}

static void print_summary(const cli_options *o, const ladder_lint_report *r, const char *format)
{
	if (strcmp(format, "json") == 0) {
		printf("{\"event\":\"summary\",\"errors\":%zu,\"warnings\":%zu,\"suppressed\":%zu,\"below_min_rows\":%zu,"
		       "\"steps\":%zu",
		       r->errors, r->warnings, r->suppressed, r->below_min_rows, r->steps);
		if (r->note != NULL)
			json_field("note", r->note, 1);
		puts("}");
		return;
	}
	if (o->verbosity < 0 && r->errors == 0 && r->warnings == 0)
		return;
	if (r->note != NULL)
		printf("note: %s\n", r->note);
	printf("%zu step(s) checked: %zu error(s), %zu warning(s)", r->steps, r->errors, r->warnings);
	if (r->suppressed > 0)
		printf(", %zu suppressed", r->suppressed);
	if (r->below_min_rows > 0)
		printf(", %zu on tables below --min-rows left out", r->below_min_rows);
	puts(".");
}

int cli_lint(const cli_options *o, const ladder_plan *plan, ladder_db *db)
{
	ladder_lint_options opts = LADDER_LINT_OPTIONS_INIT;
	ladder_lint_report *report = NULL;
	const char *format = o->format != NULL ? o->format : (o->given & CLI_OPT_JSON) ? "json" : "text";
	int colour = out_colour_wanted(stdout);

	opts.engine = o->engine;
	if (o->given & CLI_OPT_PENDING_ONLY)
		opts.flags |= LADDER_LINT_PENDING;
	opts.applied_through = o->applied_through;
	opts.min_rows = o->min_rows;
	opts.ddl_lock_timeout_ms = o->ddl_lock_timeout_ms;
	opts.engine_version = o->engine_version;
	if (ladder_lint(&report, plan, db, &opts) < 0)
		return cli_lib_error();
	for (size_t i = 0; i < report->count; i++) {
		if (strcmp(format, "json") == 0)
			print_json(&report->findings[i]);
		else if (strcmp(format, "github") == 0)
			print_github(&report->findings[i]);
		else if (o->verbosity >= 0 || report->findings[i].severity == LADDER_LINT_ERROR)
			print_text(plan, &report->findings[i], colour, o->verbosity > 0);
	}
	print_summary(o, report, format);
	int rc = report->errors > 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
	ladder_lint_report_free(report);
	return rc;
}

static int print_rules(void)
{
	size_t count;
	const ladder_lint_rule *rules = ladder_lint_rules(&count);

	for (size_t i = 0; i < count; i++)
		printf("%-32s %-8s %s\n", rules[i].id, rules[i].severity == LADDER_LINT_ERROR ? "error" : "warning",
		       rules[i].summary);
	return CLI_EXIT_OK;
}

int cli_cmd_lint(const cli_options *o)
{
	ladder_plan *plan = NULL;
	ladder_db *db = NULL;
	int rc;

	if (o->given & CLI_OPT_RULES)
		return print_rules();
	if (o->engine == NULL && (o->database == NULL || o->database[0] == '\0'))
		return cli_usage_error("lint needs the engine the migrations are written for: pass --engine sqlite or "
		                       "--engine postgres, or -d URL to lint against that database");
	if ((rc = cli_load_plan(o, &plan)) != CLI_EXIT_OK)
		goto done;
	if (o->database != NULL && o->database[0] != '\0' && (rc = cli_open_db(o, &db, 1)) != CLI_EXIT_OK)
		goto done;
	rc = cli_lint(o, plan, db);
done:
	cli_hints_forget();
	if (db != NULL)
		ladder_db_close(db);
	ladder_plan_free(plan);
	return rc;
}
