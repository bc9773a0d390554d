/*
 * pg_query_rows.h — the PostgreSQL driver's reading of tables it does not
 * own (pg_query_rows.c): what `ladder adopt --from TOOL` and the check for
 * another tool's history need. See ladder_driver_ops.
 */
#ifndef LADDER_PG_QUERY_ROWS_H
#define LADDER_PG_QUERY_ROWS_H

#include "ladder/sys/driver.h"

int ladder_pg__table_has(ladder_conn *base, const char *schema, const char *table, const char *column,
                         int *exists);
int ladder_pg__query_rows(ladder_conn *base, const char *sql, ladder_row_fn fn, void *ctx);
int ladder_pg__stamp_find(ladder_conn *base, const char *schema, char *spec, size_t len, int64_t *version);

#endif /* LADDER_PG_QUERY_ROWS_H */
