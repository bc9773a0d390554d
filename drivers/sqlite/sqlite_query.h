/*
 * sqlite_query.h — the SQLite driver's reading of tables it does not own
 * (sqlite_query.c): what `ladder adopt --from TOOL` and the check for
 * another tool's history need. See ladder_driver_ops.
 */
#ifndef LADDER_SQLITE_QUERY_H
#define LADDER_SQLITE_QUERY_H

#include "ladder/sys/driver.h"

int ladder_sqlite__table_has(ladder_conn *conn, const char *schema, const char *table, const char *column,
                             int *exists);
int ladder_sqlite__query_rows(ladder_conn *conn, const char *sql, ladder_row_fn fn, void *ctx);
int ladder_sqlite__stamp_find(ladder_conn *conn, const char *schema, char *spec, size_t len, int64_t *version);

#endif /* LADDER_SQLITE_QUERY_H */
