/*
 * ladder.h — the public API of libladder, a schema-migration engine.
 *
 * This header is the reference manual. An application builds a plan (the
 * migrations it ships), opens a database handle, and calls ladder_migrate()
 * every time it opens its database. On a current database that call writes
 * nothing, takes no write lock and costs about one small read.
 *
 * Conventions (as in libgit2):
 *   - opaque handles with open/close (or new/free) pairs;
 *   - the output parameter comes first;
 *   - functions return 0 on success or one of the negative LADDER_E* codes,
 *     and ladder_error_last() holds a message for the calling thread saying
 *     what went wrong and where (file, line, version).
 *
 * Engine-specific entry points (wrapping an application's own sqlite3 * or
 * PGconn *) live in <ladder/sqlite.h> and <ladder/postgres.h>; the interface
 * for driver authors lives in <ladder/sys/driver.h>.
 */
#ifndef LADDER_H
#define LADDER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the public API: libladder is built with hidden visibility, so only
 * what carries this mark is exported from the shared library. */
#if defined(__GNUC__) && !defined(LADDER_STATIC_ONLY)
#define LADDER_EXTERN __attribute__((visibility("default")))
#else
#define LADDER_EXTERN
#endif

#define LADDER_VERSION_STRING "0.1.0"
#define LADDER_VERSION_MAJOR 0
#define LADDER_VERSION_MINOR 1
#define LADDER_VERSION_PATCH 0

/* ---------------------------------------------------------------------------
 * Errors
 *
 * One X-macro table generates the enum and the strings (ladder_strerror).
 * ------------------------------------------------------------------------- */

#define LADDER_ERROR_TABLE(X)                                                        \
	X(OK, 0, "success")                                                              \
	X(ERROR, -1, "error")                                                            \
	X(NOMEM, -2, "out of memory")                                                    \
	X(INVALID, -3, "invalid argument")                                               \
	X(PLAN, -4, "invalid migration plan")                                            \
	X(IO, -5, "file system error")                                                   \
	X(DB, -6, "database error")                                                      \
	X(LOCKED, -7, "timed out waiting for the migration lock")                        \
	X(CHECKSUM, -8, "an applied migration was edited")                               \
	X(NEWER, -9, "the database is newer than the plan")                              \
	X(OUT_OF_ORDER, -10, "a pending migration is older than the applied head")       \
	X(BELOW_FLOOR, -11, "the database is older than the plan's floor")               \
	X(NO_DOWN, -12, "a migration to revert has no down")                             \
	X(INTERRUPTED, -13, "a no-transaction migration was interrupted")                \
	X(MIGRATION, -14, "a migration failed")                                          \
	X(CHECK, -15, "a post-condition or foreign-key check failed")                   \
	X(UNSUPPORTED, -16, "not supported by this engine or version store")             \
	X(STORE, -17, "the version store is unreadable")                               \
	X(FOREIGN, -18, "another tool's migration history must be adopted first")        \
	X(LOCK_UNAVAILABLE, -19, "a statement could not get a lock in time")              \
	X(TIMEOUT, -20, "a statement ran past its statement timeout")

typedef enum {
#define LADDER_X_ENUM(name, value, text) LADDER_E##name = value,
	LADDER_ERROR_TABLE(LADDER_X_ENUM)
#undef LADDER_X_ENUM
} ladder_error_code;

/* LADDER_OK is the success value every function returns; LADDER_ERROR is
 * the catch-all failure. */
#define LADDER_OK LADDER_EOK
#define LADDER_ERROR LADDER_EERROR

typedef struct ladder_error {
	int code;            /* one of ladder_error_code */
	const char *message; /* what and where; never NULL */
} ladder_error;

/* The last error raised on this thread; valid until the next ladder call on
 * this thread. After a success it still describes the last failure. */
LADDER_EXTERN const ladder_error *ladder_error_last(void);

/* Static text for a code ("the database is newer than the plan"). */
LADDER_EXTERN const char *ladder_strerror(int code);

/* Raise an error from inside a C migration callback: the callback then
 * returns the (negative) code, and ladder prefixes the message with the
 * migration's version and name. Returns code. */
LADDER_EXTERN int ladder_error_set(int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

LADDER_EXTERN void ladder_error_clear(void);

/* ---------------------------------------------------------------------------
 * Memory
 *
 * Every allocation libladder makes (its drivers' included) goes through one
 * allocator, the C library's unless the application sets its own, as with
 * sqlite3_config(SQLITE_CONFIG_MALLOC). Set it before any other ladder
 * call, from one thread, and keep it until every ladder object is freed.
 * ------------------------------------------------------------------------- */

#define LADDER_ALLOCATOR_VERSION 1

typedef struct ladder_allocator {
	unsigned int version; /* LADDER_ALLOCATOR_VERSION */
	void *(*alloc)(void *ctx, size_t size);                   /* like malloc */
	void *(*resize)(void *ctx, void *pointer, size_t size);   /* like realloc */
	void (*release)(void *ctx, void *pointer);                /* like free */
	void *ctx;
} ladder_allocator;

/* NULL puts the C library's allocator back. */
LADDER_EXTERN int ladder_config_allocator(const ladder_allocator *allocator);

/* Release memory libladder handed out (ladder_dump's text, ...). */
LADDER_EXTERN void ladder_free(void *pointer);

/* ---------------------------------------------------------------------------
 * Plans
 * ------------------------------------------------------------------------- */

/* A C migration step. `native` is the engine's own handle (sqlite3 * for
 * SQLite, PGconn * for PostgreSQL, MYSQL * for MariaDB) with the migration's
 * transaction open (unless the step is marked no-transaction). Return 0, or a negative code
 * after ladder_error_set(). Do not commit or roll back. */
typedef int (*ladder_step_fn)(void *native, void *user);

/* Per-direction flags; in SQL text they come from annotations in the
 * section's leading comment (see README: "File formats"). */
#define LADDER_NO_TRANSACTION 0x1u  /* -- ladder:no-transaction */
#define LADDER_FOREIGN_KEYS_OFF 0x2u /* -- ladder:foreign-keys off (SQLite) */
#define LADDER_IRREVERSIBLE 0x4u    /* -- ladder:irreversible: the step has no down,
                                       whatever down text it carries */
#define LADDER_COMMIT_AFTER 0x8u    /* commit the run's transaction right after this
                                       step (set by ladder for ALTER TYPE ... ADD
                                       VALUE, whose value later steps may use) */

/* One migration as an application declares it (or as `ladder embed`
 * generates it). Each side is SQL text or a C callback; a side with neither
 * is missing (a down without either cannot be reverted). */
typedef struct ladder_migration_def {
	int64_t version;          /* > 0, unique within the plan */
	const char *name;         /* human name, e.g. "create_users" */
	const char *up_sql;       /* SQL text, or NULL when up_fn is set */
	ladder_step_fn up_fn;
	const char *down_sql;     /* SQL text, or NULL */
	ladder_step_fn down_fn;
	void *user;               /* passed to up_fn / down_fn */
	unsigned int up_flags;    /* LADDER_NO_TRANSACTION | LADDER_FOREIGN_KEYS_OFF */
	unsigned int down_flags;
	const char *checksum;     /* 64 hex chars; NULL: SHA-256 of up_sql (CRLF
	                             folded to LF), or for a callback of its name
	                             and `revision` */
	const char *revision;     /* callbacks: bump to mark an edited callback */
	const char *check_sql;    /* post-condition: a query that must return no
	                             rows after up, inside the same transaction */
	const char *source;       /* file for error messages; NULL: "V_name" */
	int up_line;              /* line of `source` where up_sql begins (1) */
	int down_line;            /* line of `source` (or down_source) for down */
	const char *down_source;  /* file holding the down; NULL: source */
} ladder_migration_def;

/* A whole plan as a static value: what `ladder embed` generates. */
typedef struct ladder_plan_def {
	const ladder_migration_def *migrations;
	size_t count;
	const ladder_migration_def *baseline; /* or NULL; its version is B */
	int64_t floor;                        /* 0: no floor */
} ladder_plan_def;

typedef struct ladder_plan ladder_plan;

/* An empty plan; fill it with ladder_plan_add(). */
LADDER_EXTERN int ladder_plan_new(ladder_plan **out);

/* A plan from a static definition (copies nothing the definition owns:
 * the strings must outlive the plan, as static data does). */
LADDER_EXTERN int ladder_plan_from_def(ladder_plan **out, const ladder_plan_def *def);

/* A plan from a migrations directory in either format:
 *   VERSION_name.up.sql + VERSION_name.down.sql       (golang-migrate)
 *   VERSION_name.sql with -- migrate:up / -- migrate:down (dbmate)
 *   VERSION_name.baseline.sql                        (the baseline)
 * Duplicate versions, unparsable names and files in neither format are
 * refused with LADDER_EPLAN naming the file(s). */
LADDER_EXTERN int ladder_plan_load_dir(ladder_plan **out, const char *path);

/* Read only what ladder_migrate needs: every up (with its checksum),
 * baseline and post-condition; down files are listed, never opened. A
 * no-op run then reads half the files. Such a plan serves ladder_migrate
 * alone: ladder_down, ladder_verify and a down's ladder_step_inspect refuse
 * it (LADDER_EINVALID), and a broken down file goes unnoticed until a
 * whole load reads it (status, down, verify). */
#define LADDER_LOAD_UPS_ONLY 0x1u

/* ladder_plan_load_dir with flags: 0 or LADDER_LOAD_UPS_ONLY. */
LADDER_EXTERN int ladder_plan_load_dir_ext(ladder_plan **out, const char *path, unsigned int flags);

/* Add one migration (copied). Refuses a duplicate version (LADDER_EPLAN). */
LADDER_EXTERN int ladder_plan_add(ladder_plan *plan, const ladder_migration_def *def);

/* The baseline: the whole schema as of def->version, applied only to an
 * empty database instead of every step up to that version. */
LADDER_EXTERN int ladder_plan_set_baseline(ladder_plan *plan, const ladder_migration_def *def);

/* The oldest applied version that can still be upgraded. A database whose
 * head is above 0 and below the floor is refused (LADDER_EBELOW_FLOOR). */
LADDER_EXTERN int ladder_plan_set_floor(ladder_plan *plan, int64_t floor);

LADDER_EXTERN void ladder_plan_free(ladder_plan *plan);

/* Read-only views of a plan, for tools. */
LADDER_EXTERN size_t ladder_plan_count(const ladder_plan *plan);
LADDER_EXTERN const ladder_migration_def *ladder_plan_at(const ladder_plan *plan, size_t index);
LADDER_EXTERN const ladder_migration_def *ladder_plan_baseline(const ladder_plan *plan);
/* The migration of `version`, or NULL when the plan has none. */
LADDER_EXTERN const ladder_migration_def *ladder_plan_get(const ladder_plan *plan, int64_t version);
LADDER_EXTERN int64_t ladder_plan_floor(const ladder_plan *plan);
LADDER_EXTERN int64_t ladder_plan_head(const ladder_plan *plan); /* highest version, 0 if empty */
/* The checksum recorded for migration `index` (64 hex chars). */
LADDER_EXTERN const char *ladder_plan_checksum(const ladder_plan *plan, size_t index);

/* The baseline's checksum, or NULL without a baseline. */
LADDER_EXTERN const char *ladder_plan_baseline_checksum(const ladder_plan *plan);

/* The C source that defines `const ladder_plan_def SYMBOL` holding `plan`
 * (what `ladder embed` writes): deterministic (no dates, no host names),
 * one string literal per SQL line, the checksums precomputed. Only SQL
 * plans can be rendered (a callback: LADDER_EUNSUPPORTED); symbol must be a
 * C identifier that <ladder.h> does not declare (LADDER_EINVALID). *out is
 * NUL-terminated; release it with ladder_free(). */
LADDER_EXTERN int ladder_plan_render_c(char **out, const ladder_plan *plan, const char *symbol);

/* ladder_plan_render_c() written to the file out_path with
 * ladder_file_write(): a failure never leaves half a file. libladder never
 * prints: "-" and NULL are refused (LADDER_EINVALID); to write to standard
 * output, render and print the text. */
LADDER_EXTERN int ladder_plan_write_c(const ladder_plan *plan, const char *symbol, const char *out_path);

/* 1 if text holds no SQL statement, only white space and comments (what
 * `ladder new` writes); 0 otherwise. An up like that is an empty step:
 * applied and recorded with nothing run (ladder_status_entry.empty), and a
 * down like that reverts with nothing run. */
LADDER_EXTERN int ladder_text_is_blank(const char *text);

/* ---------------------------------------------------------------------------
 * Files
 * ------------------------------------------------------------------------- */

/* ladder_file_write: refuse a path that exists (LADDER_EIO, "File exists"),
 * even one that appears while the file is being written. */
#define LADDER_WRITE_EXCLUSIVE 0x1u

/* Write len bytes of data as the whole content of the file path (what
 * ladder_plan_write_c() and the ladder command's `dump --out`, `embed -o`
 * and `new` use): the bytes go to a temporary file in the same directory
 * (mode 0640 before the umask), which is flushed to disk and renamed over
 * path (linked to it with LADDER_WRITE_EXCLUSIVE), then the directory is
 * flushed. A reader, or a crash at any instant, sees the old file or the
 * new one, never half of one. A path that exists and is not a regular file
 * (a directory, a FIFO, a device, a symlink) is refused rather than
 * replaced. On every failure the temporary file is removed and path is as
 * it was (only a failed flush of the directory comes after the rename);
 * the error (LADDER_EIO; LADDER_EINVALID for an empty path) names the path
 * and the system's reason. flags: 0 or LADDER_WRITE_EXCLUSIVE. */
LADDER_EXTERN int ladder_file_write(const char *path, const char *data, size_t len, unsigned int flags);

/* ---------------------------------------------------------------------------
 * Databases
 * ------------------------------------------------------------------------- */

typedef struct ladder_db ladder_db;

/* How a run keeps other migrators out (ladder_open_options.lock):
 *   AUTO         SESSION on a direct connection; behind a pooler that may
 *                run consecutive transactions in different server sessions
 *                (PgBouncer in transaction mode, detected), TRANSACTION;
 *   SESSION      a session lock held for the whole run (PostgreSQL's session
 *                advisory lock): what a direct connection or a pooler in
 *                session mode needs;
 *   TRANSACTION  a lock scoped to each transaction (PostgreSQL
 *                pg_try_advisory_xact_lock, polled) for runs that are one
 *                transaction; a run that commits more than once (no-
 *                transaction steps, one transaction per migration) also
 *                holds a LEASE across its transactions;
 *   LEASE        every write run holds a lease: a row in the table
 *                ladder_lock beside the store naming its owner, host and
 *                pid, renewed whenever the run begins a transaction and
 *                taken over by another migrator only after it expired.
 * SQLite's own locks are used whatever this says; TRANSACTION and LEASE
 * are refused there. */
typedef enum {
	LADDER_LOCK_AUTO = 0,
	LADDER_LOCK_SESSION,
	LADDER_LOCK_TRANSACTION,
	LADDER_LOCK_LEASE,
} ladder_lock_mode;

/* Version 2 added lock and lease_expiry_ms, version 3 sqlite_key; an older
 * struct (without them) is still accepted and gets their defaults. */
#define LADDER_OPEN_OPTIONS_VERSION 3
typedef struct ladder_open_options {
	unsigned int version;    /* LADDER_OPEN_OPTIONS_VERSION */
	const char *store;       /* "history" (default), "history:TABLE",
	                            "user_version" (SQLite), "comment:TABLE"
	                            (PostgreSQL) */
	const char *schema;      /* PostgreSQL: schema for store and search path;
	                            MariaDB: the database */
	int lock_timeout_ms;     /* wait this long for the migration lock
	                            (60000 in LADDER_OPEN_OPTIONS_INIT and for
	                            NULL options; 0 = do not wait) */
	int ddl_lock_timeout_ms; /* PostgreSQL lock_timeout for DDL (MariaDB:
	                            lock_wait_timeout); 0 = none */
	unsigned int flags;      /* LADDER_OPEN_EXISTING | LADDER_OPEN_NOTICES |
	                            LADDER_OPEN_NO_CREATE */
	ladder_lock_mode lock;   /* LADDER_LOCK_AUTO (default) .. LEASE */
	int lease_expiry_ms;     /* a lease not renewed for this long may be
	                            taken over (0: 120000) */
	const char *sqlite_key;  /* SQLite: the passphrase of an encrypted
	                            (SQLCipher) file, or "x'HEX'" for a raw
	                            64-hex-digit key, applied with PRAGMA key
	                            before anything reads the file; NULL: none.
	                            Needs libladder linked with SQLCipher
	                            (libladder-sqlcipher); ladder keeps no copy
	                            beyond the connection and wipes that one. A
	                            wrapped handle is keyed by its application */
} ladder_open_options;

/* Refuse a database that does not exist yet instead of creating it (what
 * read-only tools want: a mistyped path is an error, not a new file). */
#define LADDER_OPEN_EXISTING 0x1u

/* Print the engine's notices (PostgreSQL NOTICE and INFO, a migration's
 * RAISE NOTICE) to stderr as well as its warnings, which connections ladder
 * opens always print. */
#define LADDER_OPEN_NOTICES 0x2u

/* Never create the database: a SQLite file that does not exist is read as
 * a new, empty database kept in memory, and no file is left behind (what a
 * dry run wants: what `up` would do to the file it would create). A
 * missing folder is refused as creating the file would be. */
#define LADDER_OPEN_NO_CREATE 0x4u

#define LADDER_OPEN_OPTIONS_INIT {LADDER_OPEN_OPTIONS_VERSION, NULL, NULL, 60000, 0, 0, LADDER_LOCK_AUTO, 0, NULL}

/* Open a database by URL: "sqlite:PATH", a plain file path,
 * "postgres://..." / "postgresql://..." / "key=value ..." as libpq reads it,
 * or "mariadb://..." / "mysql://..." (ladder/mariadb.h). opts may be NULL. A new SQLite file is created readable by its owner only. */
LADDER_EXTERN int ladder_db_open(ladder_db **out, const char *url, const ladder_open_options *opts);

/* Close the handle; a wrapped native handle is left open. */
LADDER_EXTERN void ladder_db_close(ladder_db *db);

/* The engine's own handle (sqlite3 * / PGconn *). */
LADDER_EXTERN void *ladder_db_native(ladder_db *db);

/* "sqlite" or "postgres". */
LADDER_EXTERN const char *ladder_db_engine(const ladder_db *db);

/* The URL with any password masked, for printing. */
LADDER_EXTERN const char *ladder_db_display_name(const ladder_db *db);

/* A secret (a passphrase, a key such as sqlite_key) read as the ladder CLI
 * reads --sqlite-key-file and LADDER_SQLITE_KEY_COMMAND: the contents of
 * `file`, or what `command` prints (run by /bin/sh -c with standard input
 * /dev/null and standard error passed through); exactly one is given. One
 * trailing newline is dropped; an empty secret, one over LADDER_SECRET_MAX
 * bytes or one holding a NUL byte is refused, as is a command that fails.
 * Messages name the source as "the NOUN file 'PATH' (SOURCE)" or "the NOUN
 * command (SOURCE)" (noun "key", source "--sqlite-key-file", say) and never
 * quote the secret or the command's output. *out is wiped and freed by
 * ladder_secret_free(). */
#define LADDER_SECRET_MAX 4096
LADDER_EXTERN int ladder_secret_read(char **out, const char *file, const char *command, const char *noun,
                                     const char *source);
LADDER_EXTERN void ladder_secret_free(char *secret);

/* ---------------------------------------------------------------------------
 * Running migrations
 * ------------------------------------------------------------------------- */

#define LADDER_ALLOW_NEWER 0x1u        /* applied versions unknown to the plan are fine */
#define LADDER_ALLOW_OUT_OF_ORDER 0x2u /* apply pending versions below the head */
#define LADDER_TX_PER_MIGRATION 0x4u   /* one transaction per migration, not per run */
#define LADDER_STEPS_ONLY 0x10u        /* never use the baseline: walk every step */
#define LADDER_ALLOW_FOREIGN 0x40u     /* start ladder's history in a database that
                                          another tool's table or a light stamp says
                                          was migrated already, instead of refusing
                                          with the adopt command to run */
#define LADDER_STRICT 0x20u            /* refuse a step whose SQL cannot run inside a
                                          transaction instead of running it as a
                                          no-transaction step */
#define LADDER_DRY_RUN 0x80u           /* read the state and judge it exactly as the
                                          run would, refuse what it would refuse, then
                                          report each step it would run (in order,
                                          LADDER_EVENT_PLANNED) instead of running it:
                                          no lock, no transaction, nothing written.
                                          ladder_result says where the run would end
                                          and how many steps it would run */

/* What a run reports to opts->progress, as it happens, on the calling
 * thread:
 *   START      a step is about to run: version, name;
 *   DONE       it ran (not yet committed in one-tx runs); seconds it took;
 *   PLANNED    LADDER_DRY_RUN: the run would run this step next;
 *   PLANNED_COMMIT LADDER_DRY_RUN: the run would commit here, after the
 *              step just planned (what came before it is then durable);
 *   LOCK_WAIT  another connection holds the migration lock (or the engine's
 *              write lock) the run needs: about once a second while it
 *              waits; name says who holds it ("pid 4242, application
 *              'ladder', client 10.0.0.7"; NULL when the engine cannot
 *              tell), seconds how long the run has waited so far, version 0;
 *   LOCK_TAKEN the lock came after a wait that was reported: seconds waited;
 *   LOCK_RETRY a step could not get a lock in time (LADDER_ELOCK_UNAVAILABLE:
 *              PostgreSQL's lock_timeout), its transaction was rolled back
 *              and will run again (opts->lock_retries): version and name of
 *              the step, seconds until the retry. The n-th LOCK_RETRY of a
 *              run is its retry n.
 * A callback must not call back into ladder on the same database. */
typedef enum {
	LADDER_EVENT_START = 1,
	LADDER_EVENT_DONE,
	LADDER_EVENT_PLANNED,
	LADDER_EVENT_PLANNED_COMMIT,
	LADDER_EVENT_LOCK_WAIT = 16,
	LADDER_EVENT_LOCK_TAKEN,
	LADDER_EVENT_LOCK_RETRY,
} ladder_event;

typedef enum {
	LADDER_UP = 1,
	LADDER_DOWN = 2,
	LADDER_BASELINE = 3,
} ladder_direction;

typedef void (*ladder_progress_fn)(void *ctx, ladder_event event, ladder_direction dir,
                                   int64_t version, const char *name, double seconds);

/* Version 1 ended at progress_ctx; a version 1 struct is still accepted
 * (lock_retries then reads as 0). */
#define LADDER_RUN_OPTIONS_VERSION 2
typedef struct ladder_run_options {
	unsigned int version; /* LADDER_RUN_OPTIONS_VERSION */
	unsigned int flags;   /* LADDER_ALLOW_* | LADDER_TX_PER_MIGRATION | LADDER_STEPS_ONLY */
	int64_t target;       /* up: stop at this version (0 = head);
	                         down: go down to this version (-1 = use steps) */
	int steps;            /* down: revert this many applied steps */
	ladder_progress_fn progress;
	void *progress_ctx;
	int lock_retries;     /* a step whose statement could not get a lock in
	                         time (LADDER_ELOCK_UNAVAILABLE: PostgreSQL's
	                         lock_timeout, see ddl_lock_timeout_ms) has its
	                         transaction rolled back and run again, after a
	                         jittered exponential backoff (0.2 s, 0.4 s, ...,
	                         at most 10 s), at most this many times in the
	                         whole run (0: never). What runs again is exactly
	                         what was rolled back: the whole run when it is
	                         one transaction, the failing step's transaction
	                         with LADDER_TX_PER_MIGRATION (steps committed
	                         before it stay). A no-transaction step is never
	                         run again: what its statements did is not rolled
	                         back (a failed CREATE INDEX CONCURRENTLY leaves
	                         an invalid index behind). */
} ladder_run_options;

#define LADDER_RUN_OPTIONS_INIT {LADDER_RUN_OPTIONS_VERSION, 0, 0, 0, NULL, NULL, 0}

typedef struct ladder_result {
	int64_t from_version; /* head before the run */
	int64_t to_version;   /* head after the run */
	size_t applied;       /* steps run (up, down or baseline) */
	int fast_path;        /* 1: nothing to do, decided in one small read */
} ladder_result;

/* Bring the database to the plan's head (or opts->target): the run of
 * README: "How a run works". Safe to call from many processes at once;
 * exactly one applies each step, the others wait for the lock and find
 * nothing to do.
 * out and opts may be NULL. Must not be called inside an open transaction. */
LADDER_EXTERN int ladder_migrate(ladder_result *out, ladder_db *db, const ladder_plan *plan,
                   const ladder_run_options *opts);

/* Revert to opts->target (>= 0) or by opts->steps applied steps. A step
 * without a down stops the run before anything changes (LADDER_ENO_DOWN). */
LADDER_EXTERN int ladder_down(ladder_result *out, ladder_db *db, const ladder_plan *plan,
                const ladder_run_options *opts);

/* How one side of a migration runs on a database's engine. Before a run,
 * ladder reads every step's SQL with the engine's own parser (libpg_query,
 * SQLite's tokenizer):
 *   - one outer BEGIN; (or START TRANSACTION;) ... COMMIT; around the whole
 *     text is ignored: the step runs inside ladder's transaction;
 *   - any other statement that starts or ends a transaction (BEGIN, COMMIT,
 *     END, ROLLBACK without TO, PREPARE TRANSACTION, COMMIT AND CHAIN, ...)
 *     is refused before anything runs (LADDER_EPLAN, naming file and line);
 *     savepoints stay inside and are fine;
 *   - a statement that cannot run inside a transaction (CREATE INDEX
 *     CONCURRENTLY, VACUUM, ...) makes the step a no-transaction step, or is
 *     refused with LADDER_STRICT;
 *   - SQLite's PRAGMA foreign_keys = OFF / ON, a silent no-op inside a
 *     transaction, makes the step run with ladder:foreign-keys off;
 *   - PostgreSQL's ALTER TYPE ... ADD VALUE makes the run commit right after
 *     the step (LADDER_COMMIT_AFTER): a new enum value can be used only
 *     after a commit, and later steps (written for tools that commit after
 *     every migration) use it.
 * A step marked no-transaction runs its text as written, its own
 * transactions included. */
typedef struct ladder_step_info {
	unsigned int flags;    /* LADDER_NO_TRANSACTION | LADDER_FOREIGN_KEYS_OFF |
	                          LADDER_COMMIT_AFTER, as it runs */
	unsigned int detected; /* the flags ladder set from the SQL itself */
	int unwrapped;         /* 1: an outer BEGIN; ... COMMIT; is ignored */
	char reason[256];      /* why, e.g. "CREATE INDEX CONCURRENTLY at 3_idx.up.sql:4" */
	int unread;            /* 1: the engine's parser could not read the text
	                          (newer syntax than it knows, or an error the
	                          server will name): it runs as written, and only
	                          the check after the step guards the boundary */
} ladder_step_info;

/* Read how migration `version` runs in direction dir (LADDER_UP,
 * LADDER_DOWN or LADDER_BASELINE) on db's engine. Returns the refusal a run
 * would meet (LADDER_EPLAN) if the step's text crosses the boundary; flags
 * may hold LADDER_STRICT. Runs nothing. */
LADDER_EXTERN int ladder_step_inspect(ladder_step_info *out, ladder_db *db, const ladder_plan *plan, int64_t version,
                        ladder_direction dir, unsigned int flags);

/* ---------------------------------------------------------------------------
 * Status and history
 * ------------------------------------------------------------------------- */

typedef enum {
	LADDER_STATE_PENDING = 1,  /* in the plan, not applied */
	LADDER_STATE_APPLIED,      /* applied, checksum matches */
	LADDER_STATE_EDITED,       /* applied, but the plan's text changed since */
	LADDER_STATE_UNKNOWN,      /* applied, not in the plan (database newer) */
	LADDER_STATE_INTERRUPTED,  /* no-transaction step started, never finished */
	LADDER_STATE_OUT_OF_ORDER, /* pending, but below the applied head */
	LADDER_STATE_BASELINE,     /* the baseline that created this database */
	LADDER_STATE_SKIPPED,      /* below a baseline or floor: never needed */
} ladder_state;

LADDER_EXTERN const char *ladder_state_name(ladder_state state); /* "pending", "applied", ... */

typedef struct ladder_status_entry {
	int64_t version;
	const char *name;
	ladder_state state;
	const char *applied_at;  /* "YYYY-MM-DDTHH:MM:SSZ", or NULL if not applied */
	int64_t duration_ms;     /* -1 if not applied */
	const char *checksum;    /* the stored checksum, else the plan's */
	const char *kind;        /* "migration", "baseline", "adopted" */
	int empty;               /* 1: the plan's up for this step holds no SQL
	                            (a placeholder: applying it runs nothing) */
	/* A step run statement by statement (an engine whose DDL commits
	 * implicitly: MariaDB) that stopped part way; state interrupted. */
	ladder_direction progress;  /* 0, or LADDER_UP (applying) / LADDER_DOWN (reverting) */
	int64_t statements_done;    /* statements of that side completed */
	int64_t statements;         /* statements in that side's text (0: unknown) */
	int next_not_run;           /* the next one is known not to have run (it
	                               failed, or a repair said so); else it may
	                               have been cut off while running */
	const char *next_statement; /* "statement 3 of 5 (`ALTER TABLE orders ADD …`,
	                               line 12)", or NULL */
} ladder_status_entry;

typedef struct ladder_status {
	int64_t current;         /* highest applied version (0: none) */
	int64_t head;            /* the plan's head */
	size_t pending;          /* steps `up` would run */
	size_t problems;         /* edited + unknown + interrupted + out-of-order */
	int empty;               /* the database holds no objects yet */
	const char *store;       /* "history", "user_version", ... */
	int below_floor;         /* current is above 0 and below the floor */
	size_t count;
	ladder_status_entry *entries; /* ascending by version */
	const char *note;        /* NULL, or: ladder has recorded nothing yet and
	                            the database holds another tool's history or
	                            a light store's stamp; says what was found
	                            (ladder_migrate refuses such a database:
	                            LADDER_EFOREIGN) */
	const char *adopt_from;  /* with a refusing note: what ladder_adopt's
	                            `from` takes to record it ("dbmate",
	                            "user_version", "comment:TABLE"), else NULL */
} ladder_status;

/* The plan merged with what the store records: one read of the store. */
LADDER_EXTERN int ladder_status_get(ladder_status **out, ladder_db *db, const ladder_plan *plan);
LADDER_EXTERN void ladder_status_free(ladder_status *status);

/* What the store records, in version order (plan may be NULL). */
LADDER_EXTERN int ladder_history_get(ladder_status **out, ladder_db *db);

/* ---------------------------------------------------------------------------
 * Maintenance
 * ------------------------------------------------------------------------- */

/* Record in the db's history store what another version store or tool
 * applied, in one transaction, leaving the other table untouched. `from`:
 *   "user_version", "comment:TABLE"  a light store: every plan migration at
 *                                    or below its version;
 *   "golang-migrate[:TABLE]"  schema_migrations(version, dirty), one row:
 *                             every plan migration up to that version; a
 *                             dirty row is refused (LADDER_ESTORE);
 *   "dbmate[:TABLE]"          schema_migrations(version), one row each;
 *   "goose[:TABLE]"           goose_db_version(id, version_id, is_applied):
 *                             the last row per version_id (by id) decides,
 *                             version 0 is goose's own first row;
 *   "sql-migrate[:TABLE]"     gorp_migrations(id, applied_at): the id is
 *                             the file name, its leading digits the version.
 * An applied version the plan lacks is refused (LADDER_ENEWER), and so is a
 * plan version below the tool's head that the tool never applied
 * (LADDER_EOUT_OF_ORDER); both name the versions. Refuses if the history
 * already holds rows. out->to_version: the head; out->applied: rows written.
 * The stamp or table read is left as it is, at out->to_version, for good:
 * later runs record in the history alone, so whatever reads the old stamp
 * (user_version, the comment, the tool) keeps seeing that version. */
LADDER_EXTERN int ladder_adopt(ladder_result *out, ladder_db *db, const ladder_plan *plan, const char *from);

typedef enum {
	LADDER_REPAIR_MARK_APPLIED = 1, /* an interrupted step finished by hand */
	LADDER_REPAIR_MARK_PENDING,     /* an interrupted step undone by hand: run again */
	LADDER_REPAIR_CHECKSUMS,        /* accept the plan's checksums for applied steps */
	LADDER_REPAIR_STATEMENT_DONE,   /* a step run statement by statement (MariaDB): the
	                                   statement that was running when it stopped took
	                                   effect; the next run goes on after it */
	LADDER_REPAIR_STATEMENT_NOT_DONE, /* ... it did not: the next run runs it again */
} ladder_repair_action;

/* Explicit fixes for what validation refuses. version: the interrupted
 * step for MARK_* and STATEMENT_*, ignored for CHECKSUMS. */
LADDER_EXTERN int ladder_repair(ladder_result *out, ladder_db *db, const ladder_plan *plan,
                  ladder_repair_action action, int64_t version);

/* ---------------------------------------------------------------------------
 * Verification
 * ------------------------------------------------------------------------- */

/* A normalised, deterministic description of the schema ladder manages
 * (tables, columns with types, defaults and nullability, constraints,
 * indexes, views, triggers, functions, comments), without ladder's own
 * store: the same schema gives the same bytes whatever order it was built
 * in. *out is malloc'd; release it with ladder_free(). */
LADDER_EXTERN int ladder_dump(char **out, ladder_db *db);

#define LADDER_VERIFY_OPTIONS_VERSION 1
typedef struct ladder_verify_options {
	unsigned int version;     /* LADDER_VERIFY_OPTIONS_VERSION */
	const char *seed_sql;     /* SQL run on each scratch database before the
	                             step path: a legacy schema (with data) that
	                             the first steps upgrade. NULL: empty. */
	const char *seed_source;  /* its file name, for messages */
	const char *store;        /* version store spec for the scratch databases */
	const char *schema;       /* PostgreSQL schema */
	unsigned int flags;       /* LADDER_VERIFY_STRICT */
} ladder_verify_options;

/* Schemas that differ only in the order of a table's columns fail the check
 * instead of passing it with a warning. */
#define LADDER_VERIFY_STRICT 0x1u

#define LADDER_VERIFY_OPTIONS_INIT {LADDER_VERIFY_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0}

typedef struct ladder_verify_report {
	size_t checks;   /* every check: passed + warnings + failures + skipped */
	size_t failures; /* checks that failed ("FAIL" lines) */
	size_t skipped;  /* checks that could not run, each with its reason
	                    ("skip" lines: a step without down, an earlier up
	                    that failed) */
	char *text;      /* one line per check, and a unified diff per failure */
	size_t passed;   /* checks that passed ("ok" lines) */
	size_t warnings; /* checks that passed with a warning ("warn" lines:
	                    only the column order differs, without
	                    LADDER_VERIFY_STRICT) */
} ladder_verify_report;

/* Prove the plan on scratch databases that ladder creates and always
 * removes (SQLite: temporary files; PostgreSQL: temporary databases on the
 * server `url` points at; url NULL means SQLite):
 *   1. the baseline's schema equals the schema after every step up to it,
 *      and both paths agree at the head;
 *   2. every down restores the schema its up started from, and up again
 *      gives the same schema as the first time;
 *   3. post-conditions hold (they run inside every real migrate too).
 * A failing check does not stop verification: a down that fails or leaves
 * another schema is blamed on its step, the scratch database is rebuilt
 * at that step, and the next steps are checked; checks that cannot run
 * (after an up that failed) are counted as skipped, with the reason.
 * Returns 0 when no check failed (warnings and skipped checks included),
 * LADDER_ECHECK when some failed (the report says which, with diffs),
 * another code when verification could not run. *out is set in both of the
 * first two cases. */
LADDER_EXTERN int ladder_verify(ladder_verify_report **out, const char *url, const ladder_plan *plan,
                  const ladder_verify_options *opts);
LADDER_EXTERN void ladder_verify_report_free(ladder_verify_report *report);

/* ---------------------------------------------------------------------------
 * Lint: the migrations that lock production or lose data
 *
 * Every rule reads what each statement does as the engine's own parser
 * sees it (PostgreSQL: libpg_query's parse tree; SQLite: the plan replayed
 * on a scratch database in memory) and knows the whole plan: a table
 * created in the same step, or in an earlier step not yet applied on the
 * target, is new, and rules about locking or rewriting existing rows do not
 * fire on it. With a database, findings name the table's size.
 * ------------------------------------------------------------------------- */

typedef enum {
	LADDER_LINT_WARNING = 1,
	LADDER_LINT_ERROR = 2,
} ladder_lint_severity;

typedef struct ladder_lint_rule {
	const char *id;                /* "index-not-concurrent" */
	ladder_lint_severity severity;
	const char *summary;           /* one line, for `ladder lint --rules` */
	int sized;                     /* 1: the hazard grows with the table, so
	                                  min_rows may leave a finding out */
} ladder_lint_rule;

typedef struct ladder_lint_finding {
	const char *rule;              /* a rule id, or "lint-ignore-invalid" ... */
	ladder_lint_severity severity;
	int64_t version;
	const char *name;              /* the migration's name */
	const char *file;              /* its source */
	int line, column;              /* 1-based; column in characters */
	const char *message;           /* what locks or breaks, and for how long */
	const char *fix;               /* the safe rewrite */
	const char *table;             /* "" when none */
	int64_t rows;                  /* with a database: the table's rows (an
	                                  estimate on PostgreSQL), else -1 */
	int64_t bytes;                 /* likewise its size on disk, else -1 */
	int suppressed;                /* 1: a `-- ladder:lint-ignore` covers it */
	const char *reason;            /* the reason given there, else NULL */
} ladder_lint_finding;

#define LADDER_LINT_OPTIONS_VERSION 1
typedef struct ladder_lint_options {
	unsigned int version;          /* LADDER_LINT_OPTIONS_VERSION */
	const char *engine;            /* "postgres", "sqlite"; NULL: the database's */
	unsigned int flags;            /* LADDER_LINT_PENDING */
	int64_t applied_through;       /* without a database: the steps up to this
	                                  version are applied on the target. -1: each
	                                  step is checked as if every earlier one
	                                  were applied (the safe assumption) */
	int64_t min_rows;              /* with a database: leave out findings that
	                                  depend on a table's size when it holds
	                                  fewer rows; 0: keep all */
	int ddl_lock_timeout_ms;       /* the lock_timeout the run will set
	                                  (ladder_open_options.ddl_lock_timeout_ms) */
	int engine_version;            /* the target's engine library, as its version
	                                  number (SQLite 3031001); 0: unknown, forms
	                                  this build runs are accepted */
} ladder_lint_options;

/* Check only the steps the database has not applied (needs a database). */
#define LADDER_LINT_PENDING 0x1u

#define LADDER_LINT_OPTIONS_INIT {LADDER_LINT_OPTIONS_VERSION, NULL, 0, -1, 0, 0, 0}

typedef struct ladder_lint_report {
	size_t count;                  /* findings, suppressed ones included */
	ladder_lint_finding *findings; /* in plan order, then by position */
	size_t errors, warnings;       /* not suppressed */
	size_t suppressed;
	size_t below_min_rows;         /* left out by min_rows */
	size_t steps;                  /* steps checked */
	const char *note;              /* NULL, or what could not be checked and why */
} ladder_lint_report;

/* Lint plan's ups (and a baseline's). db may be NULL: then opts->engine
 * names the engine. Returns 0 with *out set whatever was found (the report
 * counts errors), or a negative code when lint could not run. */
LADDER_EXTERN int ladder_lint(ladder_lint_report **out, const ladder_plan *plan, ladder_db *db,
                              const ladder_lint_options *opts);
LADDER_EXTERN void ladder_lint_report_free(ladder_lint_report *report);

/* Every rule, for documentation; *count gets their number. */
LADDER_EXTERN const ladder_lint_rule *ladder_lint_rules(size_t *count);

/* ---------------------------------------------------------------------------
 * Fleets: many databases, or many schemas of one, in one call
 *
 * A fleet is a list of targets: databases by URL (SQLite files by path or
 * glob) and schemas of a PostgreSQL database, each with its own store and
 * its own migration lock. ladder_fleet_run runs the same command on every
 * target from a pool of worker threads; each target's run is exactly the
 * single-database run, and one target's failure stops no other (unless
 * LADDER_FLEET_FAIL_FAST). Current targets cost the fast path's one read;
 * the heads of a database's schemas are read together, in a few round
 * trips whatever their number.
 * ------------------------------------------------------------------------- */

typedef struct ladder_fleet ladder_fleet;

LADDER_EXTERN int ladder_fleet_new(ladder_fleet **out);
LADDER_EXTERN void ladder_fleet_free(ladder_fleet *fleet);

/* One database by URL (as ladder_db_open takes it). */
LADDER_EXTERN int ladder_fleet_add(ladder_fleet *fleet, const char *url);

/* Every file matching a glob(3) pattern, in sorted order; *added (may be
 * NULL) gets their number. No match is LADDER_EINVALID. */
LADDER_EXTERN int ladder_fleet_add_glob(ladder_fleet *fleet, const char *pattern, size_t *added);

/* One URL or path per line of a file; blank lines and lines whose first
 * non-blank character is '#' are skipped. */
LADDER_EXTERN int ladder_fleet_add_file(ladder_fleet *fleet, const char *path, size_t *added);

/* The schemas of the database at url whose names match the SQL LIKE
 * pattern `like` (the engine's own schemas left out), or, when `sql` is
 * given instead, those named by the first column of its rows. opts (may
 * be NULL) opens the connection that lists them. */
LADDER_EXTERN int ladder_fleet_add_schemas(ladder_fleet *fleet, const char *url, const char *like, const char *sql,
                                           const ladder_open_options *opts, size_t *added);

LADDER_EXTERN size_t ladder_fleet_count(const ladder_fleet *fleet);

typedef enum {
	LADDER_FLEET_UP = 1,
	LADDER_FLEET_DOWN,
	LADDER_FLEET_STATUS,
} ladder_fleet_command;

/* What became of one target. Valid during the callback only. */
typedef struct ladder_fleet_outcome {
	size_t index;            /* the target's position in the fleet */
	const char *target;      /* its URL (password masked) or path */
	const char *schema;      /* the schema of a schema target, else NULL */
	int error;               /* 0, or the target's negative LADDER_E* */
	const char *message;     /* with error: the target's own message */
	int skipped;             /* LADDER_FLEET_FAIL_FAST: never started */
	/* up and down, as ladder_result: */
	int64_t from_version;    /* -1 when unknown (the target failed first) */
	int64_t to_version;      /* -1 when unknown */
	size_t applied;
	int fast_path;
	/* status, as ladder_status: */
	int64_t current;         /* -1 when unknown */
	int64_t head;
	size_t pending;
	size_t problems;
	int newer;               /* versions applied that the plan lacks */
	double seconds;          /* this target's wall time */
} ladder_fleet_outcome;

/* Called from the worker threads, one call at a time, as each target ends. */
typedef void (*ladder_fleet_fn)(void *ctx, const ladder_fleet_outcome *outcome);

#define LADDER_FLEET_FAIL_FAST 0x1u /* after a target failed, start no other */

#define LADDER_FLEET_OPTIONS_VERSION 1
typedef struct ladder_fleet_options {
	unsigned int version;           /* LADDER_FLEET_OPTIONS_VERSION */
	ladder_fleet_command command;   /* LADDER_FLEET_UP (0 reads as UP) */
	int workers;                    /* threads; 0: the online CPUs, or 8
	                                   when any target is a server's */
	int max_connections;            /* server targets: at most this many
	                                   connections at once (0: 8) */
	unsigned int flags;             /* LADDER_FLEET_FAIL_FAST */
	const ladder_open_options *open; /* for every target (schema targets
	                                   get their schema); NULL: defaults */
	const ladder_run_options *run;  /* for every up or down; its progress
	                                   callback is not called */
	ladder_fleet_fn on_target;
	void *ctx;
} ladder_fleet_options;

#define LADDER_FLEET_OPTIONS_INIT {LADDER_FLEET_OPTIONS_VERSION, LADDER_FLEET_UP, 0, 0, 0, NULL, NULL, NULL, NULL}

typedef struct ladder_fleet_result {
	size_t targets;
	size_t ok;        /* ran (or, for status, were read) without error */
	size_t failed;
	size_t skipped;   /* LADDER_FLEET_FAIL_FAST */
	size_t migrated;  /* up/down: targets where at least one step ran */
	size_t behind;    /* status: targets with pending steps */
	int workers;      /* threads the fleet ran on */
	double seconds;
} ladder_fleet_result;

/* Run the command on every target of the fleet. Returns 0 when the fleet
 * ran, whatever became of each target (see out->failed and on_target),
 * or a negative code when it could not run at all. Safe to call from
 * several threads at once, on different fleets or the same one. */
LADDER_EXTERN int ladder_fleet_run(ladder_fleet_result *out, const ladder_fleet *fleet, const ladder_plan *plan,
                                   const ladder_fleet_options *opts);

#ifdef __cplusplus
}
#endif
#endif /* LADDER_H */
