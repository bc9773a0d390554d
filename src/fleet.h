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

#endif /* LADDER_FLEET_H */
