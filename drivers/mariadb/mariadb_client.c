/*
 * mariadb_client.c — loading libmariadb on first use (see mariadb_client.h
 * for why). An application that linked libmariadb itself gets the same copy
 * back from dlopen, so a MYSQL * it hands to ladder_mariadb_wrap works
 * unchanged.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "ladder.h"

#define LADDER_MARIADB_NO_MACROS
#include "mariadb_client.h"

/* The one the build found (CMakeLists.txt reads its SONAME). */
#ifndef LADDER_MARIADB_SONAME
#define LADDER_MARIADB_SONAME "libmariadb.so.3"
#endif

ladder_libmariadb ladder_my;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[512];

static void load(void)
{
	const char *soname = LADDER_MARIADB_SONAME;
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
			snprintf(load_error, sizeof(load_error), "%s has no %s", soname, #name);                \
		else                                                                                        \
			*(void **)&ladder_my.name = symbol;                                                     \
	}
	LADDER_MARIADB_FUNCTIONS(LADDER_X_LOAD)
#undef LADDER_X_LOAD
	/* mysql_init would do this itself, but not thread-safely: a fleet's
	 * workers connect at once. */
	if (load_error[0] == '\0' && ladder_my.mysql_server_init(0, NULL, NULL) != 0)
		snprintf(load_error, sizeof(load_error), "%s failed to initialise", soname);
}

int ladder_libmariadb_load(void)
{
	pthread_once(&load_once, load);
	if (load_error[0] != '\0')
		return ladder_error_set(LADDER_EUNSUPPORTED, "MariaDB needs libmariadb, which could not be loaded: %s",
		                        load_error);
	return 0;
}
