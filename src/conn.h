/*
 * conn.h — the core's calls into a driver: one small function per op, so
 * that no core file reaches into the vtable, and optional ops are handled
 * in one place (a missing one either has a neutral answer or says which
 * driver lacks it).
 */
#ifndef LADDER_CONN_H
#define LADDER_CONN_H

#include "ladder.h"
#include "ladder/sys/driver.h"

#include <stdint.h>

#define OPS(c) ((c)->driver->ops)

static inline int conn_can(const ladder_conn *c, unsigned int cap)
{
	return (c->driver->caps & cap) != 0;
}

static inline const char *conn_engine(const ladder_conn *c)
{
	return c->driver->name;
}

static inline int conn_lacks(const ladder_conn *c, const char *what)
{
	return ladder_error_set(LADDER_EUNSUPPORTED, "the %s driver cannot %s", c->driver->name, what);
}

static inline void conn_close(ladder_conn *c)
{
	OPS(c)->close(c);
}

static inline void *conn_native(ladder_conn *c)
{
	return OPS(c)->native(c);
}

static inline const char *conn_display(ladder_conn *c)
{
	return OPS(c)->display(c);
}

static inline int conn_exec(ladder_conn *c, const char *sql, size_t len, unsigned int flags, size_t *err_offset)
{
	return OPS(c)->exec(c, sql, len, flags, err_offset);
}

static inline int conn_query_rows(ladder_conn *c, const char *sql, ladder_row_fn fn, void *ctx)
{
	return OPS(c)->query_rows(c, sql, fn, ctx);
}

static inline int conn_begin(ladder_conn *c, int write, int wait_ms)
{
	return OPS(c)->begin(c, write, wait_ms);
}

static inline int conn_commit(ladder_conn *c)
{
	return OPS(c)->commit(c);
}

static inline int conn_rollback(ladder_conn *c)
{
	return OPS(c)->rollback(c);
}

static inline int conn_in_transaction(ladder_conn *c)
{
	return OPS(c)->in_transaction(c);
}

/* "" where the engine cannot name its transaction. */
static inline int conn_transaction_mark(ladder_conn *c, char *mark, size_t len)
{
	if (len > 0)
		mark[0] = '\0';
	return OPS(c)->transaction_mark ? OPS(c)->transaction_mark(c, mark, len) : 0;
}

static inline int conn_lock(ladder_conn *c, const ladder_store *store, int timeout_ms)
{
	return OPS(c)->lock(c, store, timeout_ms);
}

static inline int conn_unlock(ladder_conn *c, const ladder_store *store)
{
	return OPS(c)->unlock(c, store);
}

/* "" where the driver cannot tell who holds the lock. */
static inline void conn_lock_holder(ladder_conn *c, const ladder_store *store, char *out, size_t len)
{
	if (len > 0)
		out[0] = '\0';
	if (OPS(c)->lock_holder)
		OPS(c)->lock_holder(c, store, out, len);
}

/* The pooler ops (driver.h): all or none. */
static inline int conn_has_pooler_locks(const ladder_conn *c)
{
	return OPS(c)->xact_lock != NULL && OPS(c)->lease_take != NULL && OPS(c)->lease_renew != NULL &&
	       OPS(c)->lease_release != NULL;
}

static inline int conn_pooled(ladder_conn *c, int *pooled)
{
	*pooled = 0;
	return OPS(c)->pooled ? OPS(c)->pooled(c, pooled) : 0;
}

static inline int conn_xact_lock(ladder_conn *c, const ladder_store *store, const char *owner, int *got)
{
	return OPS(c)->xact_lock(c, store, owner, got);
}

static inline int conn_lease_take(ladder_conn *c, const ladder_store *store, const ladder_lease *lease)
{
	return OPS(c)->lease_take(c, store, lease);
}

static inline int conn_lease_renew(ladder_conn *c, const ladder_store *store, const ladder_lease *lease, int *kept)
{
	return OPS(c)->lease_renew(c, store, lease, kept);
}

static inline int conn_lease_release(ladder_conn *c, const ladder_store *store, const ladder_lease *lease)
{
	return OPS(c)->lease_release(c, store, lease);
}

static inline int conn_is_empty(ladder_conn *c, const ladder_store *store, int *empty)
{
	return OPS(c)->is_empty(c, store, empty);
}

static inline int conn_set_foreign_keys(ladder_conn *c, int on, int *was_on)
{
	if (OPS(c)->set_foreign_keys == NULL)
		return conn_lacks(c, "switch foreign keys off (ladder:foreign-keys off)");
	return OPS(c)->set_foreign_keys(c, on, was_on);
}

static inline int conn_foreign_key_check(ladder_conn *c)
{
	return OPS(c)->foreign_key_check ? OPS(c)->foreign_key_check(c) : 0;
}

static inline int conn_store_prepare(ladder_conn *c, const ladder_store *store)
{
	return OPS(c)->store_prepare(c, store);
}

static inline int conn_history_read(ladder_conn *c, const ladder_store *store, int newest_only, ladder_row_fn fn,
                                    void *ctx)
{
	return OPS(c)->history_read(c, store, newest_only, fn, ctx);
}

static inline int conn_history_write(ladder_conn *c, const ladder_store *store, const char *const *cells,
                                     size_t nrows)
{
	return OPS(c)->history_write(c, store, cells, nrows);
}

static inline int conn_history_delete(ladder_conn *c, const ladder_store *store, int64_t version)
{
	return OPS(c)->history_delete(c, store, version);
}

static inline int conn_stamp_read(ladder_conn *c, const ladder_store *store, int64_t *version)
{
	return OPS(c)->stamp_read(c, store, version);
}

static inline int conn_stamp_write(ladder_conn *c, const ladder_store *store, int64_t version, int after_down)
{
	return OPS(c)->stamp_write(c, store, version, after_down);
}

/* *version 0 where the driver knows no light stamp. */
static inline int conn_stamp_find(ladder_conn *c, const char *schema, char *spec, size_t len, int64_t *version)
{
	*version = 0;
	if (len > 0)
		spec[0] = '\0';
	return OPS(c)->stamp_find ? OPS(c)->stamp_find(c, schema, spec, len, version) : 0;
}

static inline int conn_describe(ladder_conn *c, const ladder_store *store, ladder_buf *out)
{
	if (OPS(c)->describe == NULL)
		return conn_lacks(c, "describe a schema");
	return OPS(c)->describe(c, store, out);
}

/* 0 where the core makes scratch SQLite files itself instead. */
static inline int conn_makes_scratch(const ladder_conn *c)
{
	return OPS(c)->scratch_create != NULL;
}

static inline int conn_scratch_create(ladder_conn *c, char **url)
{
	return OPS(c)->scratch_create(c, url);
}

static inline int conn_scratch_drop(ladder_conn *c, const char *url)
{
	return OPS(c)->scratch_drop(c, url);
}

/* *count SIZE_MAX (unread) where the driver has no parser. */
static inline int conn_table_has(ladder_conn *c, const char *schema, const char *table, const char *column,
                                 int *exists)
{
	*exists = 0;
	if (OPS(c)->table_has == NULL)
		return conn_lacks(c, "look up tables");
	return OPS(c)->table_has(c, schema, table, column, exists);
}

/* timeout_ms > 0 sets the limit for what follows; 0 puts back the old one. */
static inline int conn_statement_timeout(ladder_conn *c, int timeout_ms)
{
	if (OPS(c)->statement_timeout == NULL)
		return conn_lacks(c, "limit how long a statement runs");
	return OPS(c)->statement_timeout(c, timeout_ms);
}

/* Fleets (driver.h, version 4). */
static inline int conn_schemas_list(ladder_conn *c, const char *like, ladder_row_fn fn, void *ctx)
{
	return OPS(c)->schemas_list ? OPS(c)->schemas_list(c, like, fn, ctx) : conn_lacks(c, "list schemas");
}

static inline int conn_can_read_heads(const ladder_conn *c)
{
	return OPS(c)->heads_read != NULL;
}

static inline int conn_heads_read(ladder_conn *c, const ladder_store *stores, size_t n, ladder_row_fn fn, void *ctx)
{
	return OPS(c)->heads_read(c, stores, n, fn, ctx);
}

/* Statement-level progress (driver.h, version 5). */
static inline int conn_can_check_indexes(const ladder_conn *c)
{
	return OPS(c)->index_has != NULL;
}

static inline int conn_index_has(ladder_conn *c, const char *schema, const char *table, const char *index,
                                 int *exists)
{
	*exists = 0;
	return OPS(c)->index_has(c, schema, table, index, exists);
}

#undef OPS

#endif /* LADDER_CONN_H */
