/*
 * drivers.h — the registry: one line per driver built into libladder. A
 * driver in drivers/NAME/ defines `const ladder_driver ladder_NAME_driver`.
 * Order matters only for URLs no scheme names: the first driver that
 * claims one (or, failing that, takes plain paths) gets it.
 */
#ifdef LADDER_WITH_POSTGRES
LADDER_DRIVER(postgres)
#endif
#ifdef LADDER_WITH_MARIADB
LADDER_DRIVER(mariadb)
#endif
LADDER_DRIVER(sqlite)
