/*
 * engine.h — the fixture the engine-neutral scenarios run against
 * (tests/scenarios/), one per engine: tu_sqlite_engine (testutil.c),
 * pgu_engine (pgutil.c) and myu_engine (engine_mariadb.c). A fixture gives
 * fresh databases by URL, looks at them from outside ladder (rows, a
 * snapshot of everything a run may change, a mark that moves on any write,
 * the migration lock), holds the engine's native handle for wrapped
 * databases and C steps, and the few SQL snippets where the engines differ.
 * Built on it, once for every engine: scalar and text queries, catalog
 * counts, and the suite runner.
 */
#ifndef LADDER_ENGINE_H
#define LADDER_ENGINE_H

#include "testutil.h"

/* Which engine: indexes per-engine tables in scenarios (expected messages). */
typedef enum { TU_SQLITE = 0, TU_POSTGRES = 1, TU_MARIADB = 2, TU_ENGINES } tu_engine_id;

/* Capabilities: what a scenario checks only where the engine has it. */
#define TU_ONE_FILE 0x1u        /* the database is one file: created owner-only */
#define TU_LOCK_PER_STORE 0x2u  /* the migration lock is per schema and store, not per database */
#define TU_SCHEMAS 0x4u         /* ladder_open_options.schema */
/* Each DDL statement commits (MariaDB): a run cannot be one transaction;
 * ladder runs a step statement by statement and records its progress, so a
 * failure leaves the statements before it applied and the step's history
 * row "applying:K:stopped" (K statements done). */
#define TU_DDL_COMMITS 0x8u

typedef struct tu_engine tu_engine;
struct tu_engine {
	tu_engine_id id;
	const char *name; /* what ladder_db_engine() says */
	unsigned int caps;

	/* A new empty database: its URL, kept until exit (tag names it). */
	const char *(*fresh)(const char *tag);
	/* Forget a database made by fresh (a loop's trials). */
	void (*drop)(const char *url);

	/* Every row sql returns, '|' between columns, '\n' after each row,
	 * NULL as "NULL", appended to out; fails the test on error. */
	void (*rows)(const char *url, const char *sql, tu_buf *out);
	/* Run sql (one or more statements) on a connection of its own. */
	void (*exec)(const char *url, const char *sql);
	/* Everything a run may change: schema and every table's rows (free()). */
	char *(*snapshot)(const char *url);
	/* Moves on any write at all, even one that leaves the same rows (free()).
	 * Waits first for whatever a write needs in order to show. */
	char *(*write_mark)(const char *url);
	/* Migration locks held on the database by sessions other than the
	 * caller's: 0 when a migrator could take the lock at once. */
	int64_t (*locks_held)(const char *url);
	/* The database is whole and no migration lock is left (after a killed
	 * migrator: waits for the engine to notice). Asserts. */
	void (*assert_sound)(const char *url);
	/* Take the migration lock ladder takes on url's default store, from
	 * another session, and let it go. */
	void *(*hold_lock)(const char *url);
	void (*release_lock)(void *holder);

	/* The engine's own handle: open one and hand it to ladder (opts may be
	 * NULL); what C steps receive. exec returns 0 or a ladder_error_set code. */
	ladder_db *(*wrap)(const char *url, const ladder_open_options *opts, void **native);
	int (*native_exec)(void *native, const char *sql);
	int (*native_in_transaction)(void *native);
	void (*native_close)(void *native);

	/* SQL: (type, name) of every object in the default schema, type one of
	 * table, index (usable: PostgreSQL's invalid ones say "invalid index"),
	 * view, ... */
	const char *catalog;
	const char *serial_type;      /* an integer key the engine fills in */
	const char *concurrent_index; /* CREATE INDEX that does not block writers */
	const char *lone_object;      /* an object that is not a table (and needs none) */
	const char *slow_statement;   /* one statement running for seconds */

	int fleet;        /* processes opening one database at once */
	int crash_steps;  /* steps of the run that is killed */
	int crash_trials; /* kills */
};

extern tu_engine tu_sqlite_engine;

/* The engine's text for a message or snippet, from a { sqlite, postgres }
 * pair, or a { sqlite, postgres, mariadb } triple. */
#define TU_PICK(e, sqlite, postgres) ((e)->id == TU_SQLITE ? (sqlite) : (postgres))
#define TU_PICK3(e, sqlite, postgres, mariadb)                                                                   \
	((e)->id == TU_SQLITE ? (sqlite) : (e)->id == TU_POSTGRES ? (postgres) : (mariadb))

/* Open url with a store (NULL: history) and a schema (NULL: none). */
ladder_db *tu_db_open(const char *url, const char *store, const char *schema);

/* rows as one text (free()); the first column of the first row as an
 * integer, -1 when there is no row or it is NULL; rows equal expected. */
char *tu_query_text(const tu_engine *e, const char *url, const char *sql);
int64_t tu_scalar(const tu_engine *e, const char *url, const char *sql);
void tu_assert_rows(const tu_engine *e, const char *url, const char *sql, const char *expected);

/* How many objects of the engine's catalog satisfy where (on type, name). */
int64_t tu_objects(const tu_engine *e, const char *url, const char *where);

/* The engine-neutral scenarios (tests/scenarios/) then own (engine-specific
 * ones), each given e as its state; returns cmocka's result. */
int tu_run_scenarios(tu_engine *e, const struct CMUnitTest *own, size_t n_own);

#endif /* LADDER_ENGINE_H */
