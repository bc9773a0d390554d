/*
 * pg_libpq.c — loading libpq and libpg_query on first use (see pg_libpq.h
 * for why). An application that linked libpq itself gets the same copy back
 * from dlopen, so connections it hands to ladder_postgres_wrap work
 * unchanged.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "ladder.h"

#define LADDER_LIBPQ_NO_MACROS
#include "pg_libpq.h"

#define LIBPQ_SONAME "libpq.so.5"
/* The one the build found (CMakeLists.txt reads its SONAME): libpg_query's
 * carries the PostgreSQL version of its parser. */
#ifndef LADDER_PG_QUERY_SONAME
#error "LADDER_PG_QUERY_SONAME: the build names libpg_query's shared object"
#endif

ladder_libpq ladder_pq;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[512];
static const char *load_missing = "libpq";

static void load(void)
{
	const char *soname = LIBPQ_SONAME;
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (lib == NULL) {
		snprintf(load_error, sizeof(load_error), "%s", dlerror());
		return;
	}
	/* Each symbol through a void pointer: ISO C has no cast from object
	 * to function pointer, POSIX guarantees this one works. */
#define LADDER_X_LOAD(name)                                                                         \
	if (load_error[0] == '\0') {                                                                   \
		void *symbol = dlsym(lib, #name);                                                           \
		if (symbol == NULL)                                                                         \
			snprintf(load_error, sizeof(load_error), "%s has no %s", soname, #name);              \
		else                                                                                        \
			*(void **)&ladder_pq.name = symbol;                                                     \
	}
	LADDER_LIBPQ_FUNCTIONS(LADDER_X_LOAD)
	if (load_error[0] != '\0')
		return;
	soname = LADDER_PG_QUERY_SONAME;
	load_missing = "libpg_query";
	if ((lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(load_error, sizeof(load_error), "%s", dlerror());
		return;
	}
	LADDER_PG_QUERY_FUNCTIONS(LADDER_X_LOAD)
#undef LADDER_X_LOAD
}

int ladder_libpq_load(void)
{
	pthread_once(&load_once, load);
	if (load_error[0] != '\0')
		return ladder_error_set(LADDER_EUNSUPPORTED, "PostgreSQL needs %s, which could not be loaded: %s",
		                        load_missing, load_error);
	return 0;
}
