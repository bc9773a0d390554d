/*
 * ladder/sqlite.h — SQLite-specific entry points: hand ladder an application's
 * own sqlite3 * instead of a URL. Needs no SQLite header: the handle type is
 * only declared here.
 */
#ifndef LADDER_SQLITE_H
#define LADDER_SQLITE_H

#include "../ladder.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sqlite3;

/* Wrap `handle` (still owned by the caller: ladder_db_close() leaves it open).
 * ladder sets no pragmas on it, but it does replace the handle's busy handler
 * with sqlite3_busy_timeout(opts->lock_timeout_ms) for good (SQLite cannot
 * give back the previous handler): concurrent migrators wait on it. opts may
 * be NULL. An encrypted (SQLCipher) handle is keyed by the application
 * before it is wrapped (PRAGMA key, and any cipher settings after it);
 * opts->sqlite_key is refused here. The plain libladder serves it when the
 * program carries SQLCipher: its SQLite calls resolve to the program's. */
LADDER_EXTERN int ladder_sqlite_wrap(ladder_db **out, struct sqlite3 *handle, const ladder_open_options *opts);

#ifdef __cplusplus
}
#endif
#endif /* LADDER_SQLITE_H */
