/*
 * store.h — the version store spec an application names ("history",
 * "history:TABLE", "user_version", "comment:TABLE") read into a
 * ladder_store, and checked against what the driver can do.
 */
#ifndef LADDER_STORE_H
#define LADDER_STORE_H

#include "ladder/sys/driver.h"

int ladder_store_parse(ladder_store *out, const char *spec, const char *schema);

/* Refuse a store (or schema) the driver does not support. */
int ladder_store_check(const ladder_store *store, const ladder_driver *driver);

#endif /* LADDER_STORE_H */
