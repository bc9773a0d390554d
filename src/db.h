/*
 * db.h — the database handle's private layout: a driver connection plus the
 * version store this application records into.
 */
#ifndef LADDER_DB_H
#define LADDER_DB_H

#include "conn.h"
#include "store.h"

struct ladder_db {
	ladder_conn *conn;
	ladder_store store;
	int lock_timeout_ms;
	ladder_lock_mode lock_mode;
	int lease_expiry_ms;
};

/* 1 if url names a file for a driver of files (or a path no scheme
 * names), 0 for a server's URL or an unknown scheme. */
int ladder_url_is_path(const char *url);

/* The registry's driver of that name ("sqlite"), or NULL. */
const ladder_driver *ladder_driver_named(const char *name);

/* Any version of the open options as the current struct in *out: fields an
 * older struct lacks get their defaults, and nothing is read past its end.
 * NULL reads as the defaults; an unknown version is LADDER_EINVALID. */
int ladder_open_options_read(ladder_open_options *out, const ladder_open_options *in);

#endif /* LADDER_DB_H */
