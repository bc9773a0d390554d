/*
 * history.h — the history model shared by every engine: what a database
 * records (rows of a history table, or a light store's head), read and
 * validated from the driver's text cells, changed in memory by runs and
 * repairs (started, done, forgotten, re-chained) and written back in one
 * batch before each commit. Drivers keep only the SQL and the binding.
 */
#ifndef LADDER_HISTORY_H
#define LADDER_HISTORY_H

#include "db.h"
#include "plan.h"

/* How far a step run statement by statement (an engine whose DDL commits
 * implicitly) has come: stored in the row's state as "applying:K" or
 * "reverting:K", with ":stopped" when the next statement is known not to
 * have run (it failed, or a repair said so). Without ":stopped" the next
 * statement may have been cut off while it ran. While a step is under
 * way its row's checksum is the digest of the text up to the end of
 * statement K (progress_prefix), so that the statements after K may be
 * fixed and run again, never the ones before. */
typedef struct step_progress {
	int dir;         /* 0: none; LADDER_UP: applying; LADDER_DOWN: reverting */
	int64_t done;    /* statements completed */
	int stopped;     /* the next one did not run */
} step_progress;

/* One row of a history store. */
typedef struct ladder_row {
	int64_t version;
	char *name;                      /* owned by the row array */
	char kind[16];                   /* "migration", "baseline", "adopted" */
	char checksum[LADDER_HASH_HEX];
	char chain[LADDER_HASH_HEX];     /* digest of every checksum up to this row */
	int started;                     /* 1: a no-transaction step began, not done */
	char applied_at[32];             /* UTC, "YYYY-MM-DDTHH:MM:SSZ" */
	int64_t duration_ms;
	step_progress progress;        /* a step run statement by statement */
} ladder_row;

/* The fast path's one small read. */
typedef struct ladder_head {
	int64_t version;              /* 0: nothing applied (or no store yet) */
	char chain[LADDER_HASH_HEX];  /* "" for light stores */
	int started;                  /* the head row is an unfinished step */
} ladder_head;

typedef struct history {
	int light;          /* the store records the head only */
	ladder_row *rows;   /* history stores: ascending by version */
	size_t nrows;
	int64_t light_head; /* light stores: the recorded version */
	int empty;          /* no objects besides the store */
	int64_t unflushed;  /* lowest version changed in memory only (0: none) */
} history;

/* The stored head of `store`: one small read, no write, no write lock. */
int history_head(ladder_db *db, const ladder_store *store, ladder_head *out);

/* A head read elsewhere (a fleet's batch): 0, or -1 when the cells are
 * not what ladder writes (the single read then says why). */
int history_head_from_cells(ladder_head *out, const char *const *cells);

/* 1 when the stored head is the plan's head, reached by the plan's own
 * steps (the chain matches): the fast path's test. Needs the plan's
 * chains (ladder_plan_prepare). */
int history_head_is_current(const ladder_head *stored, const ladder_plan *plan, const ladder_store *store);

/* One store read (plus, with emptiness, a check whether the database
 * holds objects besides the store): the state at this instant. Without
 * it h->empty reads 0; only a plan with a baseline or a floor needs it to
 * run, so a run of any other skips that round trip. */
int history_read(history *h, ladder_db *db, int emptiness);
void history_clear(history *h);

/* Highest recorded version (0: none), and the highest whose step
 * finished (a row recorded as started does not count, but for one part way
 * through its down: that step is still applied). */
int64_t history_current(const history *h);
int64_t history_finished(const history *h);
int history_has_started(const history *h);

/* Index of the row with this version, or -1. */
long history_find(const history *h, int64_t version);

/* 1 if the stored head is still what h holds (no other process has
 * committed since h was read and changed). */
int history_head_matches(const history *h, const ladder_head *head);

/* Record a step (kind "migration", "baseline", "adopted") in memory, as
 * done or started. A row inserted below others re-chains those above. */
int history_record(history *h, const ladder_step *step, const char *kind, int started, const char *applied_at,
                   int64_t duration_ms);
/* Record how far a step run statement by statement has come, in memory:
 * an up creates or replaces its row (started, the prefix digest as its
 * checksum); a down marks the applied row. */
int history_record_progress(history *h, const ladder_step *step, const step_progress *progress,
                            const char *prefix_checksum, const char *applied_at);

/* Mark a recorded row started (a no-transaction down begins) or done (a
 * repair): no-op for light stores. */
void history_set_started(history *h, size_t at, int started);
/* Replace a row's checksum (repair) and re-chain from it. */
int history_set_checksum(history *h, size_t at, const char *checksum);

/* Forget a version now, in the store too: the history table loses its row
 * (rows above are re-chained, written at the next flush); a light store
 * falls to the highest version of the plan below it. db NULL: in memory
 * only (a dry run). */
int history_forget(history *h, ladder_db *db, const ladder_plan *plan, int64_t version);

/* Write every row changed in memory (one batch), or the light head. */
int history_flush(history *h, ladder_db *db);
/* After a rollback: what was changed in memory was never stored. */
void history_drop_unflushed(history *h);

/* "now" as "YYYY-MM-DDTHH:MM:SSZ". */
void ladder_utc_now(char *buf, size_t len);

struct timespec;
/* Seconds on the monotonic clock since start (steps' durations, lock waits). */
double ladder_seconds_since(const struct timespec *start);

#endif /* LADDER_HISTORY_H */
