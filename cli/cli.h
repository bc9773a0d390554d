/*
 * cli.h — what the ladder command line hands from argument parsing (main.c)
 * to the commands (commands.c): one struct of already-validated options, so
 * a command never looks at argv and never has to re-check a combination.
 */
#ifndef LADDER_CLI_H
#define LADDER_CLI_H

#include <ladder.h>

#include <stdint.h>

/* Exit codes, as documented in --help. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_ERROR 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_PENDING 3

/* Command options, one bit each: main.c records which were given so it can
 * refuse one the command does not take. */
#define CLI_OPT_TO (1u << 0)
#define CLI_OPT_STEPS (1u << 1)
#define CLI_OPT_JSON (1u << 2)
#define CLI_OPT_EXIT_CODE (1u << 3)
#define CLI_OPT_SINGLE (1u << 4)
#define CLI_OPT_FROM (1u << 5)
#define CLI_OPT_FROM_TABLE (1u << 13)
#define CLI_OPT_APPLIED (1u << 6)
#define CLI_OPT_PENDING (1u << 7)
#define CLI_OPT_CHECKSUMS (1u << 8)
#define CLI_OPT_OUTPUT (1u << 9)
#define CLI_OPT_SYMBOL (1u << 10)
#define CLI_OPT_SEED (1u << 11)
#define CLI_OPT_STRICT (1u << 12)
#define CLI_OPT_DRY_RUN (1u << 14)
#define CLI_OPT_PENDING_ONLY (1u << 15) /* lint --pending */
#define CLI_OPT_FORMAT (1u << 16)
#define CLI_OPT_ENGINE (1u << 17)
#define CLI_OPT_MIN_ROWS (1u << 18)
#define CLI_OPT_APPLIED_THROUGH (1u << 19)
#define CLI_OPT_ENGINE_VERSION (1u << 20)
#define CLI_OPT_RULES (1u << 21)
#define CLI_OPT_LINT (1u << 22)
#define CLI_OPT_STATEMENT_DONE (1u << 23)     /* repair --statement-done V */
#define CLI_OPT_STATEMENT_NOT_DONE (1u << 24) /* repair --statement-not-done V */

typedef struct cli_options {
	/* global */
	const char *database;   /* -d, else DATABASE_URL; NULL when neither */
	const char *migrations; /* -m, default "./migrations" */
	const char *store;      /* --store, NULL: the library's default */
	const char *schema;     /* --schema */
	int lock_timeout_ms;    /* --lock-timeout, in milliseconds */
	int ddl_lock_timeout_ms; /* --ddl-lock-timeout, 0: none */
	int lock_retries;       /* --lock-retries, 0: none */
	ladder_lock_mode lock;  /* --lock, default auto */
	int lease_expiry_ms;    /* --lease-expiry, 0: the library's default */
	const char *sqlite_key_file; /* --sqlite-key-file (key.c reads it) */
	unsigned int run_flags; /* LADDER_ALLOW_* | LADDER_TX_PER_MIGRATION */
	int verbosity;          /* -1 quiet, 0 normal, 1 verbose */

	/* the command and what it was given */
	const char *command;
	const char *name;       /* new: NAME */
	unsigned int given;     /* CLI_OPT_* */
	int64_t to;             /* up/down --to */
	int steps;              /* down --steps (default 1) */
	const char *from;       /* adopt --from (default "user_version") */
	const char *from_table; /* adopt --from-table: the tool's renamed table */
	ladder_repair_action repair;
	int64_t repair_version; /* repair --applied/--pending */
	const char *output;     /* embed -o, NULL: stdout */
	const char *symbol;     /* embed --symbol */
	const char *seed;       /* verify --seed FILE */
	const char *format;     /* lint --format: "text", "json", "github"; NULL: text */
	const char *engine;     /* lint --engine */
	int64_t min_rows;       /* lint --min-rows */
	int64_t applied_through; /* lint --applied-through */
	int engine_version;     /* lint --engine-version, as X*1000000+Y*1000+Z */

	/* fleets (up, down, status over many targets): at most one of these */
	const char *fleet_glob;         /* --glob PATTERN */
	const char *fleet_targets;      /* --targets FILE */
	const char *fleet_schemas;      /* --schemas LIKE (of -d) */
	const char *fleet_schemas_from; /* --schemas-from SQL (of -d) */
	int workers;                    /* -j, 0: the library's default */
	int max_connections;            /* --max-connections, 0: default */
	int fail_fast;                  /* --fail-fast */
	int database_given;             /* -d was on the command line */
} cli_options;

/* The commands; each returns the process exit code. */
int cli_cmd_up(const cli_options *o);
int cli_cmd_down(const cli_options *o);
int cli_cmd_status(const cli_options *o);
int cli_cmd_history(const cli_options *o);
int cli_cmd_new(const cli_options *o);
int cli_cmd_adopt(const cli_options *o);
int cli_cmd_repair(const cli_options *o);
int cli_cmd_embed(const cli_options *o);
int cli_cmd_dump(const cli_options *o);
int cli_cmd_verify(const cli_options *o);
int cli_cmd_redo(const cli_options *o);
int cli_cmd_version(const cli_options *o);
int cli_cmd_lint(const cli_options *o);

/* Shared by the commands (commands.c): load the plan (up: its ups only);
 * open the database (must_exist: never create one). Exit codes. */
int cli_load_plan(const cli_options *o, ladder_plan **plan);
int cli_open_db(const cli_options *o, ladder_db **db, int must_exist);
/* The options cli_open_db opens with, for callers that open many. */
int cli_open_options(const cli_options *o, ladder_open_options *opts, int must_exist);

/* The key of an encrypted SQLite file (key.c): from --sqlite-key-file,
 * else from what LADDER_SQLITE_KEY_COMMAND prints, read at the first call;
 * *out is NULL when neither is given. CLI_EXIT_OK, or the error printed. */
int cli_sqlite_key(const cli_options *o, const char **out);

/* 1 when o names a fleet (--glob, --targets, --schemas, --schemas-from). */
int cli_is_fleet(const cli_options *o);

/* up, down or status over the fleet o names (fleet.c). */
int cli_fleet(const cli_options *o);

/* Lint the plan and print the findings as o asks (lint.c); db may be NULL.
 * Exit 0, 1 when an error-severity finding stands, or the library's error. */
int cli_lint(const cli_options *o, const ladder_plan *plan, ladder_db *db);

/* up/down --dry-run on an open database (dry_run.c): what the run would do,
 * nothing changed. Exit 0, 3 with --exit-code when some step would run, or
 * the run's own refusal (1). */
int cli_dry_run(const cli_options *o, ladder_plan *plan, ladder_db *db, int down);

#endif /* LADDER_CLI_H */
