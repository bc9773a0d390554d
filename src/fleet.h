/*
 * fleet.h — a fleet's private layout: the list of targets fleet.c builds
 * (databases by URL, schemas of a database) that fleet_run.c runs.
 */
#ifndef LADDER_FLEET_H
#define LADDER_FLEET_H

#include "ladder.h"

#include <stddef.h>

typedef struct fleet_target {
	char *url;    /* as ladder_db_open takes it */
	char *schema; /* NULL: the whole database */
} fleet_target;

struct ladder_fleet {
	fleet_target *targets;
	size_t count, cap;
};

/* Options for a connection to the database whose schemas are targets
 * (listing them, the batch read, a worker's shared connection): opts
 * without a schema of its own, never creating anything. */
ladder_open_options fleet_database_options(const ladder_open_options *opts);

#endif /* LADDER_FLEET_H */
