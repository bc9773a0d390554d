/*
 * history.c — the history model (see history.h): one reading and
 * validation of stored rows for every engine, one way of recording steps
 * as started or done, re-chaining, and one batched write before each
 * commit.
 */
#include "history.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STATE_STARTED "started"
#define STATE_DONE "done"
#define STATE_APPLYING "applying:"
#define STATE_REVERTING "reverting:"
#define STATE_STOPPED ":stopped"
#define STATE_MAX 48

enum { COL_VERSION, COL_NAME, COL_KIND, COL_CHECKSUM, COL_CHAIN, COL_STATE, COL_APPLIED_AT, COL_DURATION };
/* The head read's columns (LADDER_HISTORY_HEAD_COLUMNS). */
enum { HEAD_VERSION, HEAD_CHAIN, HEAD_STATE };

void ladder_utc_now(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

double ladder_seconds_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* --- reading ------------------------------------------------------------------------ */

typedef struct reader {
	ladder_db *db;
	const ladder_store *store;
	ladder_row *rows; /* all rows; NULL when reading the head */
	size_t count, cap;
	ladder_head *head;
} reader;

static int malformed(const reader *r, const char *version, const char *why)
{
	return ladder_error_set(LADDER_ESTORE, "%s: the history table %s%s%s holds a malformed row at version %s (%s)",
	                        ladder_db_display_name(r->db), r->store->schema, r->store->schema[0] ? "." : "",
	                        r->store->table, version ? version : "NULL", why);
}

static int parse_int64(const char *text, int64_t *out)
{
	char *end = NULL;
	long long value;

	if (text == NULL)
		return -1;
	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0')
		return -1;
	*out = (int64_t)value;
	return 0;
}

static int copy_cell(char *buf, size_t size, const char *cell)
{
	size_t len;

	if (cell == NULL || (len = strlen(cell)) >= size)
		return -1;
	memcpy(buf, cell, len + 1);
	return 0;
}

/* "applying:K[:stopped]" or "reverting:K[:stopped]": 0, else -1. */
static int parse_progress(const char *state, step_progress *out)
{
	const char *rest;
	char *end = NULL;
	long long done;

	memset(out, 0, sizeof(*out));
	if (strncmp(state, STATE_APPLYING, strlen(STATE_APPLYING)) == 0) {
		out->dir = LADDER_UP;
		rest = state + strlen(STATE_APPLYING);
	} else if (strncmp(state, STATE_REVERTING, strlen(STATE_REVERTING)) == 0) {
		out->dir = LADDER_DOWN;
		rest = state + strlen(STATE_REVERTING);
	} else {
		return -1;
	}
	errno = 0;
	done = strtoll(rest, &end, 10);
	if (errno != 0 || end == rest || done < 0 || (*end != '\0' && strcmp(end, STATE_STOPPED) != 0)) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	out->done = (int64_t)done;
	out->stopped = *end != '\0';
	return 0;
}

/* The state cell of a row: buf holds a progress state. */
static const char *format_state(const ladder_row *row, char *buf, size_t len)
{
	if (row->progress.dir == 0)
		return row->started ? STATE_STARTED : STATE_DONE;
	snprintf(buf, len, "%s%" PRId64 "%s", row->progress.dir == LADDER_DOWN ? STATE_REVERTING : STATE_APPLYING,
	         row->progress.done, row->progress.stopped ? STATE_STOPPED : "");
	return buf;
}

/* Why the columns every read has are not what ladder wrote, or NULL. */
static const char *check_common(const char *version, const char *chain, const char *state, ladder_row *row)
{
	if (parse_int64(version, &row->version) < 0 || row->version <= 0)
		return "the version is not a positive integer";
	if (copy_cell(row->chain, sizeof(row->chain), chain) < 0)
		return "the chain is not text of at most 64 characters";
	if (state != NULL && parse_progress(state, &row->progress) == 0) {
		row->started = 1;
		return NULL;
	}
	if (state == NULL || (strcmp(state, STATE_STARTED) != 0 && strcmp(state, STATE_DONE) != 0))
		return "the state is none of 'started', 'done', 'applying:N', 'reverting:N'";
	row->started = strcmp(state, STATE_STARTED) == 0;
	return NULL;
}

/* The head's cells (LADDER_HISTORY_HEAD_COLUMNS) into out; why not, or NULL. */
static const char *head_parse(ladder_head *out, const char *const *cells)
{
	ladder_row row;
	const char *why;

	memset(&row, 0, sizeof(row));
	if ((why = check_common(cells[HEAD_VERSION], cells[HEAD_CHAIN], cells[HEAD_STATE], &row)) != NULL)
		return why;
	out->version = row.version;
	memcpy(out->chain, row.chain, sizeof(row.chain));
	out->started = row.started;
	return NULL;
}

int history_head_from_cells(ladder_head *out, const char *const *cells)
{
	memset(out, 0, sizeof(*out));
	return head_parse(out, cells) == NULL ? 0 : -1;
}

int history_head_is_current(const ladder_head *stored, const ladder_plan *plan, const ladder_store *store)
{
	return stored->version == ladder_plan_head(plan) && !stored->started &&
	       (store->kind != LADDER_STORE_HISTORY || strcmp(stored->chain, plan->head_chain) == 0 ||
	        (plan->has_baseline && strcmp(stored->chain, plan->baseline_head_chain) == 0));
}

/* Every column but the name, which the caller copies last. */
static int parse_row(const reader *r, const char *const *cells, ladder_row *row)
{
	const char *why = check_common(cells[COL_VERSION], cells[COL_CHAIN], cells[COL_STATE], row);

	if (why == NULL && cells[COL_NAME] == NULL)
		why = "the name is NULL";
	else if (why == NULL && copy_cell(row->kind, sizeof(row->kind), cells[COL_KIND]) < 0)
		why = "the kind is not a short text";
	else if (why == NULL && copy_cell(row->checksum, sizeof(row->checksum), cells[COL_CHECKSUM]) < 0)
		why = "the checksum is not text of at most 64 characters";
	if (why != NULL)
		return malformed(r, cells[COL_VERSION], why);
	/* Informational only: kept as stored, cut to fit. */
	snprintf(row->applied_at, sizeof(row->applied_at), "%s", cells[COL_APPLIED_AT] ? cells[COL_APPLIED_AT] : "");
	if (parse_int64(cells[COL_DURATION], &row->duration_ms) < 0)
		row->duration_ms = 0;
	return 0;
}

static int on_row(void *ctx, int ncols, const char *const *names, const char *const *cells)
{
	reader *r = ctx;
	int want = r->head ? LADDER_HISTORY_HEAD_NCOLS : LADDER_HISTORY_NCOLS;
	ladder_row row, *grown;
	const char *why;
	int error;

	(void)names;
	memset(&row, 0, sizeof(row));
	if (ncols != want)
		return ladder_error_set(LADDER_ESTORE, "%s: the history table %s read as %d columns, not %d",
		                        ladder_db_display_name(r->db), r->store->table, ncols, want);
	/* The fast path: the newest row's version, chain and state. */
	if (r->head != NULL) {
		if ((why = head_parse(r->head, cells)) != NULL)
			return malformed(r, cells[HEAD_VERSION], why);
		return 0;
	}
	if ((error = parse_row(r, cells, &row)) < 0)
		return error;
	if (r->count > 0 && row.version <= r->rows[r->count - 1].version)
		return malformed(r, cells[COL_VERSION], "the rows do not come in ascending version order");
	if ((grown = ladder_array_grow(r->rows, &r->cap, r->count, sizeof(*grown), 16)) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reading the history table");
	r->rows = grown;
	if ((row.name = ladder_strdup(cells[COL_NAME])) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory reading the history table");
	r->rows[r->count++] = row;
	return 0;
}

static void rows_free(ladder_row *rows, size_t count)
{
	for (size_t i = 0; rows != NULL && i < count; i++)
		ladder_free(rows[i].name);
	ladder_free(rows);
}

int history_head(ladder_db *db, const ladder_store *store, ladder_head *out)
{
	reader r = {db, store, NULL, 0, 0, out};
	int error;

	memset(out, 0, sizeof(*out));
	if (store->kind != LADDER_STORE_HISTORY)
		error = conn_stamp_read(db->conn, store, &out->version);
	else
		error = conn_history_read(db->conn, store, 1, on_row, &r);
	if (error < 0)
		memset(out, 0, sizeof(*out));
	return error;
}

int history_read(history *h, ladder_db *db, int emptiness)
{
	reader r = {db, &db->store, NULL, 0, 0, NULL};
	int error;

	memset(h, 0, sizeof(*h));
	h->light = db->store.kind != LADDER_STORE_HISTORY;
	if (h->light)
		error = conn_stamp_read(db->conn, &db->store, &h->light_head);
	else if ((error = conn_history_read(db->conn, &db->store, 0, on_row, &r)) < 0)
		rows_free(r.rows, r.count);
	else {
		h->rows = r.rows;
		h->nrows = r.count;
	}
	if (error == 0 && emptiness)
		error = conn_is_empty(db->conn, &db->store, &h->empty);
	return error;
}

void history_clear(history *h)
{
	rows_free(h->rows, h->nrows);
	memset(h, 0, sizeof(*h));
}

/* --- questions --------------------------------------------------------------------- */

int64_t history_current(const history *h)
{
	if (h->light)
		return h->light_head;
	return h->nrows > 0 ? h->rows[h->nrows - 1].version : 0;
}

int64_t history_finished(const history *h)
{
	if (h->light)
		return h->light_head;
	/* A step part way through its down is still applied. */
	for (size_t i = h->nrows; i-- > 0;)
		if (!h->rows[i].started || h->rows[i].progress.dir == LADDER_DOWN)
			return h->rows[i].version;
	return 0;
}

int history_has_started(const history *h)
{
	for (size_t i = 0; i < h->nrows; i++)
		if (h->rows[i].started)
			return 1;
	return 0;
}

long history_find(const history *h, int64_t version)
{
	size_t lo = 0, hi = h->nrows;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->rows[mid].version < version)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->nrows && h->rows[lo].version == version ? (long)lo : -1;
}

int history_head_matches(const history *h, const ladder_head *head)
{
	const ladder_row *top = h->nrows > 0 ? &h->rows[h->nrows - 1] : NULL;

	if (h->light)
		return head->version == h->light_head;
	if (top == NULL)
		return head->version == 0;
	return head->version == top->version && head->started == top->started && strcmp(head->chain, top->chain) == 0;
}

/* --- changing in memory ------------------------------------------------------------ */

static void touched(history *h, int64_t version)
{
	if (h->unflushed == 0 || version < h->unflushed)
		h->unflushed = version;
}

/* Each row digests the one below it, so a change at `from` changes every
 * chain above it. */
static int rechain(history *h, size_t from)
{
	int error = 0;

	for (size_t i = from; i < h->nrows && error == 0; i++) {
		ladder_row *cur = &h->rows[i];
		if (strcmp(cur->kind, "baseline") == 0)
			error = ladder_chain_baseline(cur->chain, cur->version);
		else
			error = ladder_chain_next(cur->chain, i > 0 ? h->rows[i - 1].chain : "", cur->version, cur->checksum);
	}
	if (error == 0 && from < h->nrows)
		touched(h, h->rows[from].version);
	return error;
}

int history_record(history *h, const ladder_step *step, const char *kind, int started, const char *applied_at,
                   int64_t duration_ms)
{
	long found;
	size_t at;
	ladder_row row;

	if (h->light) {
		h->light_head = step->def.version;
		touched(h, step->def.version);
		return 0;
	}
	memset(&row, 0, sizeof(row));
	row.version = step->def.version;
	snprintf(row.kind, sizeof(row.kind), "%s", kind);
	memcpy(row.checksum, step->checksum, sizeof(row.checksum));
	row.started = started;
	snprintf(row.applied_at, sizeof(row.applied_at), "%s", applied_at);
	row.duration_ms = duration_ms;
	if ((row.name = ladder_strdup(step->def.name)) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory recording migration %" PRId64, row.version);
	if ((found = history_find(h, row.version)) >= 0) {
		at = (size_t)found;
		ladder_free(h->rows[at].name);
	} else {
		ladder_row *grown = ladder_realloc(h->rows, (h->nrows + 1) * sizeof(*grown));
		if (grown == NULL) {
			ladder_free(row.name);
			return ladder_error_set(LADDER_ENOMEM, "out of memory recording migration %" PRId64, row.version);
		}
		h->rows = grown;
		for (at = h->nrows; at > 0 && h->rows[at - 1].version > row.version; at--)
			h->rows[at] = h->rows[at - 1];
		h->nrows++;
	}
	h->rows[at] = row;
	return rechain(h, at);
}

int history_record_progress(history *h, const ladder_step *step, const step_progress *progress,
                            const char *prefix_checksum, const char *applied_at)
{
	long at = history_find(h, step->def.version);
	int error;

	if (progress->dir == LADDER_UP &&
	    (at < 0 || h->rows[at].progress.dir != LADDER_UP) &&
	    (error = history_record(h, step, "migration", 1, applied_at, 0)) < 0)
		return error;
	if ((at = history_find(h, step->def.version)) < 0)
		return ladder_error_set(LADDER_ESTORE, "migration %" PRId64 " is not recorded", step->def.version);
	h->rows[at].started = 1;
	h->rows[at].progress = *progress;
	return history_set_checksum(h, (size_t)at, prefix_checksum);
}

void history_set_started(history *h, size_t at, int started)
{
	if (h->light || at >= h->nrows)
		return;
	h->rows[at].started = started;
	if (!started)
		memset(&h->rows[at].progress, 0, sizeof(h->rows[at].progress));
	touched(h, h->rows[at].version);
}

int history_set_checksum(history *h, size_t at, const char *checksum)
{
	snprintf(h->rows[at].checksum, sizeof(h->rows[at].checksum), "%s", checksum);
	return rechain(h, at);
}

/* The highest version of the plan below `version`: a light store's head
 * after that step is reverted. */
static int64_t plan_head_below(const ladder_plan *plan, int64_t version)
{
	int64_t head = 0;
	for (size_t i = 0; i < plan->count && plan->steps[i].def.version < version; i++)
		head = plan->steps[i].def.version;
	if (plan->has_baseline && plan->baseline.def.version < version && plan->baseline.def.version > head)
		head = plan->baseline.def.version;
	return head;
}

int history_forget(history *h, ladder_db *db, const ladder_plan *plan, int64_t version)
{
	long at;
	int error;

	if (h->light) {
		h->light_head = plan_head_below(plan, version);
		return db == NULL ? 0 : conn_stamp_write(db->conn, &db->store, h->light_head, 1);
	}
	if ((at = history_find(h, version)) < 0)
		return 0;
	if (db != NULL && (error = conn_history_delete(db->conn, &db->store, version)) < 0)
		return error;
	ladder_free(h->rows[at].name);
	memmove(&h->rows[at], &h->rows[at + 1], (h->nrows - (size_t)at - 1) * sizeof(ladder_row));
	h->nrows--;
	return rechain(h, (size_t)at);
}

/* --- writing ------------------------------------------------------------------------ */

#define NUMBER_MAX 24 /* an int64_t in decimal, with sign and NUL */
#define ROW_TEXT (2 * NUMBER_MAX + STATE_MAX) /* a row's version, duration and state */

int history_flush(history *h, ladder_db *db)
{
	const char **cells = NULL;
	char *numbers;
	size_t from = 0, count;
	int error = 0;

	if (h->unflushed == 0)
		return 0;
	if (h->light) {
		error = conn_stamp_write(db->conn, &db->store, h->light_head, 0);
		goto done;
	}
	while (from < h->nrows && h->rows[from].version < h->unflushed)
		from++;
	if ((count = h->nrows - from) == 0)
		goto done;
	/* One block: the cell pointers, then each row's numbers and state. */
	cells = ladder_malloc(count * (LADDER_HISTORY_NCOLS * sizeof(*cells) + ROW_TEXT));
	if (cells == NULL) {
		error = ladder_error_set(LADDER_ENOMEM, "out of memory recording in the history table");
		goto done;
	}
	numbers = (char *)(cells + count * LADDER_HISTORY_NCOLS);
	for (size_t i = 0; i < count; i++) {
		const ladder_row *row = &h->rows[from + i];
		const char **c = cells + i * LADDER_HISTORY_NCOLS;
		char *version = numbers + i * ROW_TEXT, *duration = version + NUMBER_MAX, *state = duration + NUMBER_MAX;
		snprintf(version, NUMBER_MAX, "%" PRId64, row->version);
		snprintf(duration, NUMBER_MAX, "%" PRId64, row->duration_ms);
		c[COL_VERSION] = version;
		c[COL_NAME] = row->name;
		c[COL_KIND] = row->kind;
		c[COL_CHECKSUM] = row->checksum;
		c[COL_CHAIN] = row->chain;
		c[COL_STATE] = format_state(row, state, STATE_MAX);
		c[COL_APPLIED_AT] = row->applied_at;
		c[COL_DURATION] = duration;
	}
	error = conn_history_write(db->conn, &db->store, cells, count);
done:
	if (error == 0)
		h->unflushed = 0;
	ladder_free(cells);
	return error;
}

void history_drop_unflushed(history *h)
{
	h->unflushed = 0;
}
