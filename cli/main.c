/*
 * main.c — the ladder command line's front door: read argv (options may
 * come before or after the command), refuse anything that does not make
 * sense for the command as a usage error (exit 2), then hand one validated
 * cli_options to the command in commands.c.
 */
#include "cli.h"
#include "output.h"

#include <ladder.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Long-only options take values past any character. */
enum {
	OPT_STORE = 256,
	OPT_SCHEMA,
	OPT_LOCK_TIMEOUT,
	OPT_DDL_LOCK_TIMEOUT,
	OPT_LOCK_RETRIES,
	OPT_LOCK,
	OPT_LEASE_EXPIRY,
	OPT_SQLITE_KEY_FILE,
	OPT_ALLOW_NEWER,
	OPT_ALLOW_FOREIGN,
	OPT_ALLOW_OUT_OF_ORDER,
	OPT_TX_PER_MIGRATION,
	OPT_TO,
	OPT_STEPS,
	OPT_JSON,
	OPT_EXIT_CODE,
	OPT_SINGLE,
	OPT_FROM,
	OPT_FROM_TABLE,
	OPT_APPLIED,
	OPT_STATEMENT_DONE,
	OPT_STATEMENT_NOT_DONE,
	OPT_PENDING,
	OPT_CHECKSUMS,
	OPT_SYMBOL,
	OPT_SEED,
	OPT_STRICT,
	OPT_NO_DOTENV,
	OPT_DRY_RUN,
	OPT_FORMAT,
	OPT_ENGINE,
	OPT_MIN_ROWS,
	OPT_APPLIED_THROUGH,
	OPT_ENGINE_VERSION,
	OPT_RULES,
	OPT_LINT,
	OPT_GLOB,
	OPT_TARGETS,
	OPT_SCHEMAS,
	OPT_SCHEMAS_FROM,
	OPT_MAX_CONNECTIONS,
	OPT_FAIL_FAST,
};

/* '+': stop at the first non-option whatever POSIXLY_CORRECT says; the loop
 * in parse_args() steps over it and carries on, so options work on either
 * side of the command and "--" is honoured exactly once. ':': report a
 * missing argument as ':' so the message can be ours. */
static const char short_options[] = "+:d:m:qvhVo:j:";

static const struct option long_options[] = {
	{"database", required_argument, NULL, 'd'},
	{"migrations", required_argument, NULL, 'm'},
	{"store", required_argument, NULL, OPT_STORE},
	{"schema", required_argument, NULL, OPT_SCHEMA},
	{"lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT},
	{"ddl-lock-timeout", required_argument, NULL, OPT_DDL_LOCK_TIMEOUT},
	{"lock-retries", required_argument, NULL, OPT_LOCK_RETRIES},
	{"lock", required_argument, NULL, OPT_LOCK},
	{"lease-expiry", required_argument, NULL, OPT_LEASE_EXPIRY},
	{"sqlite-key-file", required_argument, NULL, OPT_SQLITE_KEY_FILE},
	{"allow-newer", no_argument, NULL, OPT_ALLOW_NEWER},
	{"allow-foreign", no_argument, NULL, OPT_ALLOW_FOREIGN},
	{"allow-out-of-order", no_argument, NULL, OPT_ALLOW_OUT_OF_ORDER},
	{"tx-per-migration", no_argument, NULL, OPT_TX_PER_MIGRATION},
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{"to", required_argument, NULL, OPT_TO},
	{"steps", required_argument, NULL, OPT_STEPS},
	{"json", no_argument, NULL, OPT_JSON},
	{"exit-code", no_argument, NULL, OPT_EXIT_CODE},
	{"single", no_argument, NULL, OPT_SINGLE},
	{"from", required_argument, NULL, OPT_FROM},
	{"from-table", required_argument, NULL, OPT_FROM_TABLE},
	{"applied", required_argument, NULL, OPT_APPLIED},
	{"statement-done", required_argument, NULL, OPT_STATEMENT_DONE},
	{"statement-not-done", required_argument, NULL, OPT_STATEMENT_NOT_DONE},
	/* repair --pending V; lint --pending (a flag): see OPT_PENDING */
	{"pending", optional_argument, NULL, OPT_PENDING},
	{"checksums", no_argument, NULL, OPT_CHECKSUMS},
	{"output", required_argument, NULL, 'o'},
	{"symbol", required_argument, NULL, OPT_SYMBOL},
	{"out", required_argument, NULL, 'o'},
	{"seed", required_argument, NULL, OPT_SEED},
	{"strict", no_argument, NULL, OPT_STRICT},
	{"no-dotenv", no_argument, NULL, OPT_NO_DOTENV},
	{"dry-run", no_argument, NULL, OPT_DRY_RUN},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"engine", required_argument, NULL, OPT_ENGINE},
	{"min-rows", required_argument, NULL, OPT_MIN_ROWS},
	{"applied-through", required_argument, NULL, OPT_APPLIED_THROUGH},
	{"engine-version", required_argument, NULL, OPT_ENGINE_VERSION},
	{"rules", no_argument, NULL, OPT_RULES},
	{"lint", no_argument, NULL, OPT_LINT},
	{"glob", required_argument, NULL, OPT_GLOB},
	{"targets", required_argument, NULL, OPT_TARGETS},
	{"schemas", required_argument, NULL, OPT_SCHEMAS},
	{"schemas-from", required_argument, NULL, OPT_SCHEMAS_FROM},
	{"jobs", required_argument, NULL, 'j'},
	{"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
	{"fail-fast", no_argument, NULL, OPT_FAIL_FAST},
	{NULL, 0, NULL, 0},
};

/* How a command option is spelled, for "does not apply" messages. */
static const struct {
	unsigned int bit;
	const char *spelling;
} command_option_names[] = {
	{CLI_OPT_TO, "--to"},
	{CLI_OPT_STEPS, "--steps"},
	{CLI_OPT_JSON, "--json"},
	{CLI_OPT_EXIT_CODE, "--exit-code"},
	{CLI_OPT_SINGLE, "--single"},
	{CLI_OPT_FROM, "--from"},
	{CLI_OPT_FROM_TABLE, "--from-table"},
	{CLI_OPT_APPLIED, "--applied"},
	{CLI_OPT_STATEMENT_DONE, "--statement-done"},
	{CLI_OPT_STATEMENT_NOT_DONE, "--statement-not-done"},
	{CLI_OPT_PENDING, "--pending"},
	{CLI_OPT_CHECKSUMS, "--checksums"},
	{CLI_OPT_OUTPUT, "-o/--output"},
	{CLI_OPT_SYMBOL, "--symbol"},
	{CLI_OPT_SEED, "--seed"},
	{CLI_OPT_STRICT, "--strict"},
	{CLI_OPT_DRY_RUN, "--dry-run"},
	{CLI_OPT_PENDING_ONLY, "--pending"},
	{CLI_OPT_FORMAT, "--format"},
	{CLI_OPT_ENGINE, "--engine"},
	{CLI_OPT_MIN_ROWS, "--min-rows"},
	{CLI_OPT_APPLIED_THROUGH, "--applied-through"},
	{CLI_OPT_ENGINE_VERSION, "--engine-version"},
	{CLI_OPT_RULES, "--rules"},
	{CLI_OPT_LINT, "--lint"},
};

static const char help_up[] =
	"  up [--to V] [--strict] [--json] [--dry-run [--exit-code]]\n"
	"                           apply pending migrations (up to version V);\n"
	"                           --strict: refuse a step whose SQL cannot run in a\n"
	"                           transaction (CREATE INDEX CONCURRENTLY, VACUUM)\n"
	"                           unless it is marked no-transaction, instead of\n"
	"                           running it as a no-transaction step; --json: one\n"
	"                           JSON line per event (start, done, warning,\n"
	"                           lock_wait, lock_taken, summary);\n"
	"                           --dry-run: show the steps that would run, in\n"
	"                           order, with their SQL and how each would run, or\n"
	"                           the refusal the run would meet; nothing is\n"
	"                           locked, created or changed (--json: one object\n"
	"                           per step and a summary; --exit-code: 3 when a\n"
	"                           step would run)\n";
static const char help_down[] =
	"  down [--to V | --steps N] [--strict] [--json] [--dry-run [--exit-code]]\n"
	"                           revert N applied migrations (default 1), or down\n"
	"                           to version V (--to 0 reverts everything);\n"
	"                           --dry-run: show what would be reverted, as up\n"
	"                           --dry-run does\n";
static const char help_status[] =
	"  status [--json] [--exit-code]\n"
	"                           the plan merged with what the database records\n";
static const char help_history[] =
	"  history [--json]         what the database's version store records\n";
static const char help_new[] =
	"  new NAME [--single]      create VERSION_NAME.up.sql and .down.sql (or one\n"
	"                           VERSION_NAME.sql with --single); VERSION is the\n"
	"                           next number where the directory numbers its\n"
	"                           steps (0007 after 0006), else the current UTC\n"
	"                           time; NAME is [A-Za-z0-9_-]+\n";
static const char help_adopt[] =
	"  adopt [--from user_version|comment:TABLE]\n"
	"  adopt --from golang-migrate|dbmate|goose|sql-migrate [--from-table NAME]\n"
	"                           record in the history table what a light store\n"
	"                           (default: user_version) or another tool applied,\n"
	"                           in one transaction; the stamp or the tool's own\n"
	"                           table (or a renamed one: --from-table) is left\n"
	"                           as it is, at that version (--json: as JSON)\n";
static const char help_repair[] =
	"  repair --applied V | --pending V | --checksums\n"
	"                           mark an interrupted migration finished or undone,\n"
	"                           or accept the plan's checksums for edited ones\n"
	"  repair --statement-done V | --statement-not-done V\n"
	"                           the statement a migration run statement by\n"
	"                           statement (MariaDB) was running when it stopped\n"
	"                           took effect, or did not\n";
static const char help_embed[] =
	"  embed [-o FILE] [--symbol NAME]\n"
	"                           write the migrations as C source (to FILE, or\n"
	"                           stdout by default or with -o -; the symbol\n"
	"                           defaults to ladder_migrations)\n";
static const char help_dump[] =
	"  dump [-o|--out FILE]     a normalised description of the schema (not\n"
	"                           ladder's store): same schema, same bytes\n";
static const char help_lint[] =
	"  lint [--json | --format text|json|github] [--pending] [--engine E]\n"
	"       [--min-rows N] [--applied-through V] [--engine-version X.Y.Z] [--rules]\n"
	"                           find the migrations that lock production tables\n"
	"                           or lose data, with the safe rewrite; a table the\n"
	"                           target has not created yet is new and exempt.\n"
	"                           With -d: pending steps (--pending: only those)\n"
	"                           and table sizes (--min-rows: skip smaller\n"
	"                           tables); without: --engine sqlite|postgres, and\n"
	"                           --applied-through V for what is deployed.\n"
	"                           `-- ladder:lint-ignore RULE because REASON`\n"
	"                           before a statement suppresses a finding. Exit 1\n"
	"                           on errors; --rules lists the rules\n";
static const char help_verify[] =
	"  verify [--seed FILE] [--strict] [--lint]\n"
	"                           on scratch databases, check that the baseline\n"
	"                           equals the steps and every down undoes its up;\n"
	"                           --seed: SQL for the legacy schema the first steps\n"
	"                           upgrade; --strict: a difference only in column\n"
	"                           order fails instead of warning. SQLite by default;\n"
	"                           -d postgres://... to make temporary databases on\n"
	"                           that server; --lint: lint the plan too\n";

static const char help_redo[] =
	"  redo [--strict] [--json] revert the last applied migration and apply it\n"
	"                           again (two runs: a failing up leaves it reverted)\n";
static const char help_version[] =
	"  version                  the database's current version, one line\n";
static const char help_fleet[] =
	"\n"
	"Fleets: up, down and status over many databases or schemas at once\n"
	"      --glob PATTERN       every SQLite file matching the pattern (quote it)\n"
	"      --targets FILE       one URL or path per line (# comments)\n"
	"      --schemas LIKE       with -d postgres://...: each schema whose name\n"
	"                           matches, with its own store and lock\n"
	"      --schemas-from SQL   with -d: the schemas the query's rows name\n"
	"  -j, --jobs N             workers (default: the CPUs; 8 for servers)\n"
	"      --max-connections N  servers: at most N connections at once (default 8)\n"
	"      --fail-fast          after a target failed, start no other\n"
	"                           Each target runs exactly as alone; a summary\n"
	"                           groups them by version (--json: a line each);\n"
	"                           exit 1 if any failed, status --exit-code 3 if\n"
	"                           any is behind\n";

static const char usage_head[] =
	"Usage: ladder [options] COMMAND [command options]\n"
	"\n"
	"Schema migrations for SQLite and PostgreSQL. Options may come before or\n"
	"after the command.\n"
	"\n"
	"Commands:\n";

static const char usage_tail[] =
	"\n"
	"Options:\n"
	"  -d, --database URL       sqlite:PATH, a file path, or postgres://...\n"
	"                           (default: $DATABASE_URL, else DATABASE_URL=\n"
	"                           in ./.env)\n"
	"      --no-dotenv          do not read ./.env\n"
	"  -m, --migrations DIR     the migrations directory (default: ./migrations)\n"
	"      --store SPEC         where versions are recorded: history (default),\n"
	"                           history:TABLE, user_version (SQLite),\n"
	"                           comment:TABLE (PostgreSQL)\n"
	"      --schema NAME        PostgreSQL schema for the store and search path\n"
	"      --lock-timeout SECONDS\n"
	"                           wait this long for the migration lock (default 60)\n"
	"      --ddl-lock-timeout SECONDS\n"
	"                           PostgreSQL: a step waiting longer than this for a\n"
	"                           table lock fails instead of queueing (default: wait)\n"
	"      --lock-retries N     up/down/redo: a step that failed that way is rolled\n"
	"                           back and run again, after a growing pause, at most\n"
	"                           N times in the run (default 0); a no-transaction\n"
	"                           step never is\n"
	"      --lock MODE          PostgreSQL: how migrators exclude one another:\n"
	"                           auto (default: session, or transaction behind a\n"
	"                           pooler such as PgBouncer), session, transaction\n"
	"                           (a lease for runs that commit more than once),\n"
	"                           lease\n"
	"      --lease-expiry SECONDS\n"
	"                           a lease not renewed this long may be taken over\n"
	"                           (default 120)\n"
	"      --sqlite-key-file FILE\n"
	"                           the key of an encrypted SQLite file (ladder-sqlcipher;\n"
	"                           else the output of $LADDER_SQLITE_KEY_COMMAND)\n"
	"      --allow-newer        accept applied versions the plan does not know\n"
	"      --allow-foreign      up: start ladder's history even where another\n"
	"                           tool's version table or a stamp is found\n"
	"      --allow-out-of-order apply pending versions below the applied head\n"
	"      --tx-per-migration   one transaction per migration, not one per run\n"
	"  -q, --quiet              print nothing but errors (and --json output)\n"
	"  -v, --verbose            print each migration as it runs\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show the version\n"
	"\n"
	"Exit codes:\n"
	"  0  success\n"
	"  1  error (the message says what and where)\n"
	"  2  usage error\n"
	"  3  status --exit-code: migrations are pending; up/down --dry-run\n"
	"     --exit-code: a step would run\n"
	"     (status --exit-code exits 1 when there are problems)\n";

typedef struct command {
	const char *name;
	int (*run)(const cli_options *o);
	unsigned int allowed; /* CLI_OPT_* it accepts */
	int needs_db;
	int takes_name;       /* one positional argument: NAME */
	const char *help;     /* its lines of --help */
	const char *example;
} command;

static const command commands[] = {
	{"up", cli_cmd_up, CLI_OPT_TO | CLI_OPT_STRICT | CLI_OPT_DRY_RUN | CLI_OPT_JSON | CLI_OPT_EXIT_CODE, 1, 0, help_up,
	 "ladder -d app.db up --dry-run"},
	{"down", cli_cmd_down, CLI_OPT_TO | CLI_OPT_STEPS | CLI_OPT_STRICT | CLI_OPT_DRY_RUN | CLI_OPT_JSON | CLI_OPT_EXIT_CODE,
	 1, 0, help_down, "ladder -d app.db down --steps 2"},
	{"status", cli_cmd_status, CLI_OPT_JSON | CLI_OPT_EXIT_CODE, 1, 0, help_status, "ladder -d app.db status --exit-code"},
	{"history", cli_cmd_history, CLI_OPT_JSON, 1, 0, help_history, "ladder -d app.db history --json"},
	{"new", cli_cmd_new, CLI_OPT_SINGLE, 0, 1, help_new, "ladder -m migrations new add_users"},
	{"adopt", cli_cmd_adopt, CLI_OPT_FROM | CLI_OPT_FROM_TABLE | CLI_OPT_JSON, 1, 0, help_adopt, "ladder -d app.db adopt --from dbmate"},
	{"repair", cli_cmd_repair, CLI_OPT_APPLIED | CLI_OPT_PENDING | CLI_OPT_CHECKSUMS | CLI_OPT_STATEMENT_DONE | CLI_OPT_STATEMENT_NOT_DONE, 1, 0, help_repair, "ladder -d app.db repair --applied 20240101120000"},
	{"embed", cli_cmd_embed, CLI_OPT_OUTPUT | CLI_OPT_SYMBOL, 0, 0, help_embed, "ladder -m migrations embed -o app_plan.c --symbol app_plan"},
	{"dump", cli_cmd_dump, CLI_OPT_OUTPUT, 1, 0, help_dump, "ladder -d app.db dump --out schema.txt"},
	{"redo", cli_cmd_redo, CLI_OPT_STRICT | CLI_OPT_JSON, 1, 0, help_redo, "ladder -d app.db redo"},
	{"version", cli_cmd_version, 0, 1, 0, help_version, "ladder -d app.db version"},
	{"verify", cli_cmd_verify, CLI_OPT_SEED | CLI_OPT_STRICT | CLI_OPT_LINT | CLI_OPT_ENGINE, 0, 0, help_verify,
	 "ladder -m migrations verify --lint"},
	{"lint", cli_cmd_lint,
	 CLI_OPT_JSON | CLI_OPT_FORMAT | CLI_OPT_PENDING_ONLY | CLI_OPT_ENGINE | CLI_OPT_MIN_ROWS | CLI_OPT_APPLIED_THROUGH |
	     CLI_OPT_ENGINE_VERSION | CLI_OPT_RULES,
	 0, 0, help_lint, "ladder -m migrations lint --engine postgres --format github"},
};

/* What bare `ladder` prints: the commands, one line each. */
static const char short_help[] =
	"Usage: ladder [options] COMMAND [command options]\n"
	"\n"
	"  up        apply pending migrations        down      revert applied migrations\n"
	"  status    what is applied and pending     history   what the store records\n"
	"  new NAME  create a migration file         adopt     record another tool's versions\n"
	"  repair    mend the recorded history       dump      the schema, normalised\n"
	"  verify    check the plan on scratch DBs   embed     compile the plan into C\n"
	"  redo      revert the last step, reapply   version   the current version\n"
	"  lint      find locking and lossy steps\n"
	"\n"
	"Common options: -d URL (or DATABASE_URL), -m DIR (default ./migrations).\n"
	"Run 'ladder --help' for every option.\n";

/* Edit distance (with adjacent swaps) between a and b, stopping at 3. */
static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int d[16][16];

	if (la >= 16 || lb >= 16)
		return 3;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb] < 3 ? d[la][lb] : 3;
}


/* A non-negative decimal integer, digits only: no sign, no blanks. */
static int parse_int64(const char *s, int64_t *out)
{
	int64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (INT64_MAX - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

/* Seconds as "5", "0.5" or "2.25": digits and at most one dot, so strtod
 * never sees "inf", "nan", hex or an exponent. */
static int parse_seconds(const char *s, int *out_ms)
{
	int digits = 0, dots = 0;
	double seconds, ms;

	for (const char *p = s; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p == '.')
			dots++;
		else
			return -1;
	}
	if (digits == 0 || dots > 1)
		return -1;
	errno = 0;
	seconds = strtod(s, NULL);
	ms = seconds * 1000.0 + 0.5; /* non-negative: truncation rounds, and no libm */
	if (errno != 0 || !isfinite(ms) || ms > (double)INT_MAX)
		return -1;
	*out_ms = (int)ms;
	return 0;
}

static int valid_migration_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-'))
			return 0;
	return 1;
}

static int valid_c_identifier(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* The long option `name` (len bytes, no "--") names, as getopt_long
 * matches it: exactly, or as the unique prefix of one. */
static const struct option *find_long_option(const char *name, size_t len)
{
	const struct option *found = NULL;
	size_t matches = 0;

	for (const struct option *lo = long_options; lo->name; lo++) {
		if (strncmp(lo->name, name, len) != 0)
			continue;
		if (lo->name[len] == '\0')
			return lo;
		found = lo;
		matches++;
	}
	return matches == 1 ? found : NULL;
}

/* getopt said '?': name what it did not like, in our own words. */
static int bad_option(char *const argv[], int at)
{
	const char *arg = at > 0 ? argv[at - 1] : "";

	if (strncmp(arg, "--", 2) == 0) {
		const char *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		const struct option *lo = find_long_option(arg + 2, len - 2);
		if (eq && lo && lo->has_arg == no_argument)
			return cli_usage_error("option '--%s' takes no value", lo->name);
		return cli_usage_error("unknown or ambiguous option '%.*s'", (int)len, arg);
	}
	return cli_usage_error("unknown option '-%c'", optopt);
}

typedef struct parsed {
	int help, version;
	int no_dotenv;
	const char *positional[2]; /* the command and its NAME */
	size_t npositional;
	const char *extra;         /* the first positional nobody takes */
} parsed;

static void add_positional(parsed *p, const char *arg)
{
	if (p->npositional < 2)
		p->positional[p->npositional++] = arg;
	else if (p->extra == NULL)
		p->extra = arg;
}

/* Fill o and p from argv; returns 0 or a usage exit code. */
static int is_command(const char *word)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, word) == 0)
			return 1;
	return strcmp(word, "help") == 0;
}

static int parse_args(cli_options *o, parsed *p, int argc, char *argv[])
{
	int64_t n;
	int c;

	opterr = 0;
	optind = 1;
	for (;;) {
		int before = optind;

		c = getopt_long(argc, argv, short_options, long_options, NULL);
		if (c == -1) {
			if (optind >= argc)
				break;
			if (optind == before + 1 && strcmp(argv[before], "--") == 0) {
				/* "--": everything after it is a plain argument. */
				while (optind < argc)
					add_positional(p, argv[optind++]);
				break;
			}
			add_positional(p, argv[optind++]);
			continue;
		}
		switch (c) {
		case 'd':
			o->database = optarg;
			o->database_given = 1;
			break;
		case OPT_GLOB: o->fleet_glob = optarg; break;
		case OPT_TARGETS: o->fleet_targets = optarg; break;
		case OPT_SCHEMAS: o->fleet_schemas = optarg; break;
		case OPT_SCHEMAS_FROM: o->fleet_schemas_from = optarg; break;
		case OPT_FAIL_FAST: o->fail_fast = 1; break;
		case 'j':
		case OPT_MAX_CONNECTIONS:
			if (parse_int64(optarg, &n) < 0 || n < 1 || n > 1024)
				return cli_usage_error("invalid %s '%s': expected a number from 1 to 1024",
				                       c == 'j' ? "-j" : "--max-connections", optarg);
			*(c == 'j' ? &o->workers : &o->max_connections) = (int)n;
			break;
		case 'm': o->migrations = optarg; break;
		case OPT_STORE: o->store = optarg; break;
		case OPT_SCHEMA: o->schema = optarg; break;
		case OPT_LOCK_TIMEOUT:
			if (parse_seconds(optarg, &o->lock_timeout_ms) < 0)
				return cli_usage_error("invalid --lock-timeout '%s': expected seconds, e.g. 30 or 2.5", optarg);
			break;
		case OPT_LOCK:
			if (strcmp(optarg, "auto") == 0)
				o->lock = LADDER_LOCK_AUTO;
			else if (strcmp(optarg, "session") == 0)
				o->lock = LADDER_LOCK_SESSION;
			else if (strcmp(optarg, "transaction") == 0)
				o->lock = LADDER_LOCK_TRANSACTION;
			else if (strcmp(optarg, "lease") == 0)
				o->lock = LADDER_LOCK_LEASE;
			else
				return cli_usage_error("invalid --lock '%s': expected auto, session, transaction or lease", optarg);
			break;
		case OPT_SQLITE_KEY_FILE:
			o->sqlite_key_file = optarg;
			break;
		case OPT_LEASE_EXPIRY:
			if (parse_seconds(optarg, &o->lease_expiry_ms) < 0 || o->lease_expiry_ms <= 0)
				return cli_usage_error("invalid --lease-expiry '%s': expected seconds above 0, e.g. 120 or 2.5",
				                       optarg);
			break;
		case OPT_DDL_LOCK_TIMEOUT:
			if (parse_seconds(optarg, &o->ddl_lock_timeout_ms) < 0)
				return cli_usage_error("invalid --ddl-lock-timeout '%s': expected seconds, e.g. 5 or 0.5", optarg);
			break;
		case OPT_LOCK_RETRIES:
			if (parse_int64(optarg, &n) < 0 || n < 0 || n > 1000)
				return cli_usage_error("invalid --lock-retries '%s': expected a number from 0 to 1000", optarg);
			o->lock_retries = (int)n;
			break;
		case OPT_ALLOW_NEWER: o->run_flags |= LADDER_ALLOW_NEWER; break;
		case OPT_ALLOW_FOREIGN: o->run_flags |= LADDER_ALLOW_FOREIGN; break;
		case OPT_NO_DOTENV: p->no_dotenv = 1; break;
		case OPT_ALLOW_OUT_OF_ORDER: o->run_flags |= LADDER_ALLOW_OUT_OF_ORDER; break;
		case OPT_TX_PER_MIGRATION: o->run_flags |= LADDER_TX_PER_MIGRATION; break;
		case 'q': o->verbosity = -1; break;
		case 'v': o->verbosity = 1; break;
		case 'h': p->help = 1; break;
		case 'V': p->version = 1; break;
		case OPT_TO:
			if (parse_int64(optarg, &o->to) < 0)
				return cli_usage_error("invalid version '%s' for --to", optarg);
			o->given |= CLI_OPT_TO;
			break;
		case OPT_STEPS:
			if (parse_int64(optarg, &n) < 0 || n < 1 || n > INT_MAX)
				return cli_usage_error("invalid --steps '%s': expected a positive number", optarg);
			o->steps = (int)n;
			o->given |= CLI_OPT_STEPS;
			break;
		case OPT_JSON: o->given |= CLI_OPT_JSON; break;
		case OPT_EXIT_CODE: o->given |= CLI_OPT_EXIT_CODE; break;
		case OPT_SINGLE: o->given |= CLI_OPT_SINGLE; break;
		case OPT_FROM:
			o->from = optarg;
			o->given |= CLI_OPT_FROM;
			break;
		case OPT_FROM_TABLE:
			o->from_table = optarg;
			o->given |= CLI_OPT_FROM_TABLE;
			break;
		case OPT_PENDING:
			/* `repair --pending V` takes a version; `lint --pending` is a flag. */
			if (optarg == NULL && optind < argc && argv[optind][0] != '-' && !is_command(argv[optind]))
				optarg = argv[optind++];
			if (optarg == NULL) {
				o->given |= CLI_OPT_PENDING_ONLY;
				break;
			}
			/* fall through */
		case OPT_APPLIED:
			if (parse_int64(optarg, &o->repair_version) < 0 || o->repair_version < 1)
				return cli_usage_error("invalid version '%s' for --%s", optarg,
				                       c == OPT_APPLIED ? "applied" : "pending");
			o->repair = c == OPT_APPLIED ? LADDER_REPAIR_MARK_APPLIED : LADDER_REPAIR_MARK_PENDING;
			o->given |= c == OPT_APPLIED ? CLI_OPT_APPLIED : CLI_OPT_PENDING;
			break;
		case OPT_STATEMENT_DONE:
		case OPT_STATEMENT_NOT_DONE:
			if (parse_int64(optarg, &o->repair_version) < 0 || o->repair_version < 1)
				return cli_usage_error("invalid version '%s' for --%s", optarg,
				                       c == OPT_STATEMENT_DONE ? "statement-done" : "statement-not-done");
			o->repair = c == OPT_STATEMENT_DONE ? LADDER_REPAIR_STATEMENT_DONE : LADDER_REPAIR_STATEMENT_NOT_DONE;
			o->given |= c == OPT_STATEMENT_DONE ? CLI_OPT_STATEMENT_DONE : CLI_OPT_STATEMENT_NOT_DONE;
			break;
		case OPT_CHECKSUMS:
			o->repair = LADDER_REPAIR_CHECKSUMS;
			o->given |= CLI_OPT_CHECKSUMS;
			break;
		case 'o':
			o->output = optarg;
			o->given |= CLI_OPT_OUTPUT;
			break;
		case OPT_SEED:
			o->seed = optarg;
			o->given |= CLI_OPT_SEED;
			break;
		case OPT_STRICT:
			o->given |= CLI_OPT_STRICT;
			break;
		case OPT_DRY_RUN:
			o->given |= CLI_OPT_DRY_RUN;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0 && strcmp(optarg, "github") != 0)
				return cli_usage_error("invalid --format '%s': expected text, json or github", optarg);
			o->format = optarg;
			o->given |= CLI_OPT_FORMAT;
			break;
		case OPT_ENGINE:
			o->engine = optarg;
			o->given |= CLI_OPT_ENGINE;
			break;
		case OPT_MIN_ROWS:
			if (parse_int64(optarg, &o->min_rows) < 0)
				return cli_usage_error("invalid --min-rows '%s': expected a number of rows", optarg);
			o->given |= CLI_OPT_MIN_ROWS;
			break;
		case OPT_APPLIED_THROUGH:
			if (parse_int64(optarg, &o->applied_through) < 0)
				return cli_usage_error("invalid version '%s' for --applied-through", optarg);
			o->given |= CLI_OPT_APPLIED_THROUGH;
			break;
		case OPT_ENGINE_VERSION: {
			unsigned major = 0, minor = 0, patch = 0;
			char tail;
			int fields = sscanf(optarg, "%u.%u.%u%c", &major, &minor, &patch, &tail);
			if ((fields != 2 && fields != 3) || major > 999 || minor > 999 || patch > 999)
				return cli_usage_error("invalid --engine-version '%s': expected X.Y or X.Y.Z, e.g. 3.31.1", optarg);
			o->engine_version = (int)(major * 1000000 + minor * 1000 + patch);
			o->given |= CLI_OPT_ENGINE_VERSION;
			break;
		}
		case OPT_RULES:
			o->given |= CLI_OPT_RULES;
			break;
		case OPT_LINT:
			o->given |= CLI_OPT_LINT;
			break;
		case OPT_SYMBOL:
			if (!valid_c_identifier(optarg))
				return cli_usage_error("invalid --symbol '%s': expected a C identifier", optarg);
			o->symbol = optarg;
			o->given |= CLI_OPT_SYMBOL;
			break;
		case ':':
			return cli_usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return bad_option(argv, optind);
		}
	}
	return 0;
}

/* A fleet's target options: one kind of target, for up, down or status. */
static int check_fleet(const cli_options *o, const command *cmd)
{
	int kinds = (o->fleet_glob != NULL) + (o->fleet_targets != NULL) + (o->fleet_schemas != NULL) +
	            (o->fleet_schemas_from != NULL);
	int schemas = o->fleet_schemas != NULL || o->fleet_schemas_from != NULL;

	if (kinds > 1)
		return cli_usage_error("a fleet is named one way: give one of --glob, --targets, --schemas and "
		                       "--schemas-from");
	if ((o->fleet_glob && !o->fleet_glob[0]) || (o->fleet_targets && !o->fleet_targets[0]) ||
	    (o->fleet_schemas && !o->fleet_schemas[0]) || (o->fleet_schemas_from && !o->fleet_schemas_from[0]))
		return cli_usage_error("an empty %s names no target",
		                       o->fleet_glob ? "--glob" : o->fleet_targets ? "--targets"
		                                                : o->fleet_schemas ? "--schemas" : "--schemas-from");
	if (kinds == 0) {
		if (o->workers || o->max_connections || o->fail_fast)
			return cli_usage_error("%s applies to fleets: add --glob, --targets, --schemas or --schemas-from",
			                       o->workers ? "-j" : o->max_connections ? "--max-connections" : "--fail-fast");
		return 0;
	}
	if (strcmp(cmd->name, "up") != 0 && strcmp(cmd->name, "down") != 0 && strcmp(cmd->name, "status") != 0)
		return cli_usage_error("'%s' works on one database; a fleet (--glob, --targets, --schemas) takes up, "
		                       "down and status",
		                       cmd->name);
	if (o->given & CLI_OPT_DRY_RUN)
		return cli_usage_error("--dry-run works on one database, not on a fleet: run it with -d on one target");
	if (!schemas && o->database_given)
		return cli_usage_error("-d and %s both name targets: give one (-d with --schemas names the database "
		                       "whose schemas to migrate)",
		                       o->fleet_glob ? "--glob" : "--targets");
	if (schemas && (o->database == NULL || o->database[0] == '\0'))
		return cli_usage_error("%s needs the database whose schemas to migrate: pass -d URL",
		                       o->fleet_schemas ? "--schemas" : "--schemas-from");
	if (schemas && o->schema != NULL)
		return cli_usage_error("--schema names one schema and %s many: give one",
		                       o->fleet_schemas ? "--schemas" : "--schemas-from");
	return 0;
}

/* Refuse what the chosen command cannot use; returns 0 or a usage code. */
static int check_command(const cli_options *o, const command *cmd, const parsed *p)
{
	unsigned int stray = o->given & ~cmd->allowed;
	int rc;

	if (strcmp(cmd->name, "repair") == 0 && (o->given & CLI_OPT_PENDING_ONLY))
		return cli_usage_error("option '--pending' needs a version for 'repair': --pending V");
	unsigned int repair_actions = o->given & (CLI_OPT_APPLIED | CLI_OPT_PENDING | CLI_OPT_CHECKSUMS |
	                                          CLI_OPT_STATEMENT_DONE | CLI_OPT_STATEMENT_NOT_DONE);

	for (size_t i = 0; stray && i < sizeof(command_option_names) / sizeof(command_option_names[0]); i++)
		if (stray & command_option_names[i].bit)
			return cli_usage_error("option '%s' does not apply to '%s'", command_option_names[i].spelling,
			                       cmd->name);
	/* up and down exit 3 only for what they would do. */
	if ((cmd->allowed & CLI_OPT_DRY_RUN) && !(o->given & CLI_OPT_DRY_RUN) && (o->given & CLI_OPT_EXIT_CODE))
		return cli_usage_error("option '--exit-code' applies to '%s' only with --dry-run", cmd->name);
	if (cmd->takes_name && p->npositional < 2)
		return cli_usage_error("'%s' needs a NAME", cmd->name);
	/* `down 2`, `up 5`: golang-migrate's spelling of a step count or target. */
	if (p->extra == NULL && !cmd->takes_name && p->npositional == 2 && p->positional[1][0] >= '0' &&
	    p->positional[1][0] <= '9' && strspn(p->positional[1], "0123456789") == strlen(p->positional[1])) {
		if (strcmp(cmd->name, "down") == 0)
			return cli_usage_error("unexpected argument '%s': to revert %s step(s), write 'down --steps %s' "
			                       "(or 'down --to V' for a version)",
			                       p->positional[1], p->positional[1], p->positional[1]);
		if (strcmp(cmd->name, "up") == 0)
			return cli_usage_error("unexpected argument '%s': to apply up to version %s, write 'up --to %s'",
			                       p->positional[1], p->positional[1], p->positional[1]);
	}
	if (p->extra != NULL || (!cmd->takes_name && p->npositional > 1))
		return cli_usage_error("unexpected argument '%s'", p->extra ? p->extra : p->positional[1]);
	if (cmd->takes_name && !valid_migration_name(o->name))
		return cli_usage_error("invalid migration name '%s': use letters, digits, '_' and '-'", o->name);
	if ((o->given & CLI_OPT_TO) && (o->given & CLI_OPT_STEPS))
		return cli_usage_error("'down' takes --to or --steps, not both");
	/* The library reads target 0 as "the head": `up --to 0` would apply
	 * everything, the opposite of what it says. */
	if (strcmp(cmd->name, "up") == 0 && (o->given & CLI_OPT_TO) && o->to == 0)
		return cli_usage_error("invalid version '0' for 'up --to': omit --to to apply everything");
	if ((o->given & CLI_OPT_JSON) && (o->given & CLI_OPT_FORMAT) && strcmp(o->format, "json") != 0)
		return cli_usage_error("--json and --format %s contradict each other", o->format);
	if ((o->given & CLI_OPT_PENDING_ONLY) && (o->database == NULL || o->database[0] == '\0'))
		return cli_usage_error("'lint --pending' needs the database whose pending steps to check: pass -d URL");
	if ((o->given & CLI_OPT_MIN_ROWS) && (o->database == NULL || o->database[0] == '\0'))
		return cli_usage_error("--min-rows needs a database to count rows in: pass -d URL");
	if (strcmp(cmd->name, "repair") == 0 && repair_actions != CLI_OPT_APPLIED &&
	    repair_actions != CLI_OPT_PENDING && repair_actions != CLI_OPT_CHECKSUMS &&
	    repair_actions != CLI_OPT_STATEMENT_DONE && repair_actions != CLI_OPT_STATEMENT_NOT_DONE)
		return cli_usage_error("'repair' needs exactly one of --applied V, --pending V, --checksums, "
		                       "--statement-done V or --statement-not-done V");
	if ((o->given & CLI_OPT_FROM_TABLE) &&
	    (o->from == NULL || strchr(o->from, ':') != NULL || strcmp(o->from, "user_version") == 0))
		return cli_usage_error("--from-table names another tool's renamed table: use it with --from "
		                       "golang-migrate, dbmate, goose or sql-migrate");
	if ((rc = check_fleet(o, cmd)) != 0)
		return rc;
	if (cmd->needs_db && !(o->fleet_glob || o->fleet_targets) && (o->database == NULL || o->database[0] == '\0'))
		return cli_usage_error("no database: pass -d URL, set DATABASE_URL, or put DATABASE_URL= in ./.env");
	return 0;
}

/* DATABASE_URL from ./.env, as dbmate reads it: `[export] DATABASE_URL=VALUE`,
 * the value optionally in single or double quotes; '#' starts a comment
 * line. NULL when there is no such file or line. Kept until exit. */
static const char *dotenv_database_url(void)
{
	static char value[4096];
	char line[sizeof(value) + 64];
	FILE *f = fopen(".env", "r");
	const char *found = NULL;

	if (f == NULL)
		return NULL;
	while (found == NULL && fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *end;
		size_t len;
		line[strcspn(line, "\r\n")] = '\0';
		p += strspn(p, " \t");
		if (strncmp(p, "export ", 7) == 0)
			p += 7 + strspn(p + 7, " \t");
		if (strncmp(p, "DATABASE_URL", 12) != 0)
			continue;
		p += 12 + strspn(p + 12, " \t");
		if (*p++ != '=')
			continue;
		p += strspn(p, " \t");
		len = strlen(p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len >= 2 && (p[0] == '"' || p[0] == '\'') && p[len - 1] == p[0]) {
			p++;
			len -= 2;
		}
		end = p + len;
		*end = '\0';
		if (len > 0 && len < sizeof(value)) {
			memcpy(value, p, len + 1);
			found = value;
		}
	}
	fclose(f);
	return found;
}

static const command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* The whole help, or one command's: its synopsis, options and an example. */
static int print_help(const char *topic)
{
	const command *cmd = topic ? find_command(topic) : NULL;

	if (topic != NULL && cmd == NULL)
		return cli_usage_error("no help for '%s': not a command", topic);
	if (cmd == NULL) {
		fputs(usage_head, stdout);
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			fputs(commands[i].help, stdout);
		fputs(help_fleet, stdout);
		fputs(usage_tail, stdout);
		return CLI_EXIT_OK;
	}
	printf("Usage: ladder [options] %s\n\n%s\nExample:\n  %s\n\n", cmd->name, cmd->help, cmd->example);
	puts("Every command takes -d URL (or $DATABASE_URL) and -m DIR (default ./migrations);\n"
	     "run 'ladder --help' for all options.");
	return CLI_EXIT_OK;
}

int main(int argc, char *argv[])
{
	cli_options o;
	parsed p;
	const command *cmd = NULL;
	const char *env_url = getenv("DATABASE_URL");
	int rc;

	memset(&o, 0, sizeof(o));
	memset(&p, 0, sizeof(p));
	o.migrations = "./migrations";
	o.lock_timeout_ms = 60000;
	o.steps = 1;
	o.from = "user_version";
	o.symbol = "ladder_migrations";
	o.applied_through = -1;

	if ((rc = parse_args(&o, &p, argc, argv)) != 0)
		goto done;
	if (p.help || (p.npositional > 0 && strcmp(p.positional[0], "help") == 0)) {
		/* `ladder up --help`, `ladder help up`: that command alone. */
		const char *topic = p.npositional == 0 ? NULL
		                    : strcmp(p.positional[0], "help") != 0 ? p.positional[0]
		                    : p.npositional > 1 ? p.positional[1] : NULL;
		rc = print_help(topic);
		goto done;
	}
	if (p.version) {
		printf("ladder %s\n", LADDER_VERSION_STRING);
		goto done;
	}
	if (p.npositional == 0) {
		fputs(short_help, stderr);
		rc = CLI_EXIT_USAGE;
		goto done;
	}
	o.command = p.positional[0];
	o.name = p.npositional > 1 ? p.positional[1] : NULL;
	if (o.database == NULL && env_url != NULL && env_url[0] != '\0')
		o.database = env_url;
	if (o.database == NULL && !p.no_dotenv)
		o.database = dotenv_database_url();
	if ((cmd = find_command(o.command)) == NULL) {
		const command *near = NULL;
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (distance(o.command, commands[i].name) <= (strlen(o.command) > 3 ? 2 : 1) &&
			    (near == NULL || distance(o.command, commands[i].name) < distance(o.command, near->name)))
				near = &commands[i];
		if (near != NULL)
			rc = cli_usage_error("unknown command '%s': did you mean '%s'?", o.command, near->name);
		else
			rc = cli_usage_error("unknown command '%s'", o.command);
		goto done;
	}
	if ((rc = check_command(&o, cmd, &p)) != 0)
		goto done;
	rc = cli_is_fleet(&o) ? cli_fleet(&o) : cmd->run(&o);

done:
	/* A full disk or a closed pipe must not pass for success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (rc == CLI_EXIT_OK || rc == CLI_EXIT_PENDING)
			rc = cli_error("writing to standard output failed");
	}
	return rc;
}
