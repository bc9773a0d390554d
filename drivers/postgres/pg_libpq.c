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

static pthread_once_t libpq_once = PTHREAD_ONCE_INIT, pg_query_once = PTHREAD_ONCE_INIT;
static char libpq_error[512], pg_query_error[512];

/* Each symbol through a void pointer: ISO C has no cast from object to
 * function pointer, POSIX guarantees this one works. */
#define LADDER_X_LOAD(name)                                                                         \
	if (*error == '\0') {                                                                          \
		void *symbol = dlsym(lib, #name);                                                           \
		if (symbol == NULL)                                                                         \
			snprintf(error, 512, "%s has no %s", soname, #name);                                    \
		else                                                                                        \
			*(void **)&ladder_pq.name = symbol;                                                     \
	}

static void load_libpq(void)
{
	const char *soname = LIBPQ_SONAME;
	char *error = libpq_error;
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (lib == NULL) {
		snprintf(error, 512, "%s", dlerror());
		return;
	}
	LADDER_LIBPQ_FUNCTIONS(LADDER_X_LOAD)
}

static void load_pg_query(void)
{
	const char *soname = LADDER_PG_QUERY_SONAME;
	char *error = pg_query_error;
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (lib == NULL) {
		snprintf(error, 512, "%s", dlerror());
		return;
	}
	LADDER_PG_QUERY_FUNCTIONS(LADDER_X_LOAD)
}
#undef LADDER_X_LOAD

int ladder_pg_query_load(void)
{
	pthread_once(&pg_query_once, load_pg_query);
	if (pg_query_error[0] != '\0')
		return ladder_error_set(LADDER_EUNSUPPORTED, "PostgreSQL needs libpg_query, which could not be loaded: %s",
		                        pg_query_error);
	return 0;
}

int ladder_libpq_load(void)
{
	pthread_once(&libpq_once, load_libpq);
	if (libpq_error[0] != '\0')
		return ladder_error_set(LADDER_EUNSUPPORTED, "PostgreSQL needs libpq, which could not be loaded: %s",
		                        libpq_error);
	return ladder_pg_query_load();
}
