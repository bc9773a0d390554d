/*
 * db.h — the database handle's private layout: a driver connection plus the
 * version store this application records into.
 */
#ifndef LADDER_DB_H
#define LADDER_DB_H

#include "ladder.h"
#include "ladder/sys/driver.h"

struct ladder_db {
	ladder_conn *conn;
	ladder_store store;
	char *display;
	int lock_timeout_ms;
};

#endif /* LADDER_DB_H */
