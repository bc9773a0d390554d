/*
 * driver.c — the driver registry and the database handle: a URL is matched
 * to the driver whose scheme it carries (an unknown scheme is an error that
 * names the known ones), the version store is checked against the driver's
 * capabilities, and what is printed of the connection never holds a
 * password.
 */
#include "db.h"
#include "error.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define LADDER_DRIVER(name) extern const ladder_driver ladder_##name##_driver;
#include "drivers.h"
#undef LADDER_DRIVER

static const ladder_driver *const registry[] = {
#define LADDER_DRIVER(name) &ladder_##name##_driver,
#include "drivers.h"
#undef LADDER_DRIVER
	NULL,
};

const ladder_driver *ladder_driver_named(const char *name)
{
	for (size_t i = 0; registry[i] != NULL; i++)
		if (strcmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}

/* The length of a leading "scheme:" (RFC 3986 letters), or 0. */
static size_t scheme_length(const char *url)
{
	size_t n = 0;

	if (!isalpha((unsigned char)url[0]))
		return 0;
	while (isalnum((unsigned char)url[n]) || url[n] == '+' || url[n] == '-' || url[n] == '.')
		n++;
	return url[n] == ':' ? n : 0;
}

static int unknown_scheme(const char *url, size_t len)
{
	char known[256] = "";
	size_t used = 0;

	for (size_t i = 0; registry[i] != NULL; i++)
		for (const char *const *s = registry[i]->schemes; s && *s; s++)
			used += (size_t)snprintf(known + used, used < sizeof(known) ? sizeof(known) - used : 0, "%s%s",
			                         used ? ", " : "", *s);
	/* Only the scheme: the rest may hold a password. */
	return ladder_error_set(LADDER_EUNSUPPORTED,
	                        "no driver for URLs of scheme '%.*s:' (this ladder knows %s; a file path holding "
	                        "':' is written sqlite:PATH)",
	                        (int)len, url, known);
}

static int driver_for_url(const ladder_driver **out, const char *url)
{
	size_t scheme = scheme_length(url);

	*out = NULL;
	for (size_t i = 0; registry[i] != NULL; i++)
		for (const char *const *s = registry[i]->schemes; s && *s; s++)
			if (strncmp(url, *s, strlen(*s)) == 0) {
				*out = registry[i];
				return 0;
			}
	for (size_t i = 0; registry[i] != NULL; i++)
		if (registry[i]->claims != NULL && registry[i]->claims(url)) {
			*out = registry[i];
			return 0;
		}
	if (scheme > 0)
		return unknown_scheme(url, scheme);
	for (size_t i = 0; registry[i] != NULL; i++)
		if (registry[i]->caps & LADDER_DRIVER_PATHS) {
			*out = registry[i];
			return 0;
		}
	return ladder_error_set(LADDER_EUNSUPPORTED, "no driver takes a file path as a database URL");
}

int ladder_url_is_path(const char *url)
{
	const ladder_driver *driver;
	ladder_error_saved saved;
	int found;

	ladder_error_save(&saved);
	found = driver_for_url(&driver, url) == 0 && (driver->caps & LADDER_DRIVER_PATHS);
	ladder_error_restore(&saved);
	return found;
}

int ladder_open_options_read(ladder_open_options *out, const ladder_open_options *in)
{
	static const ladder_open_options defaults = LADDER_OPEN_OPTIONS_INIT;
	size_t size;

	*out = defaults;
	if (in == NULL)
		return 0;
	if (in->version < 1 || in->version > LADDER_OPEN_OPTIONS_VERSION)
		return ladder_error_set(LADDER_EINVALID, "ladder_open_options: unknown version %u", in->version);
	size = in->version == 1   ? offsetof(ladder_open_options, lock)
	       : in->version == 2 ? offsetof(ladder_open_options, sqlite_key)
	                          : sizeof(*out);
	memcpy(out, in, size);
	out->version = LADDER_OPEN_OPTIONS_VERSION;
	return 0;
}

/* A handle for a connection still to be made: the options (read into
 * *opts, the current struct) and the store are checked before anything is
 * opened or wrapped, so a refused handle is left as it came. */
static int db_new(ladder_db **out, const ladder_driver *driver, const ladder_open_options *given,
                  ladder_open_options *opts)
{
	ladder_db *db = NULL;
	int error;

	*out = NULL;
	if ((error = ladder_open_options_read(opts, given)) < 0)
		return error;
	if (driver->version != LADDER_DRIVER_VERSION)
		return ladder_error_set(LADDER_EUNSUPPORTED, "the %s driver has interface version %u, not %u",
		                        driver->name, driver->version, LADDER_DRIVER_VERSION);
	if (opts->lock < LADDER_LOCK_AUTO || opts->lock > LADDER_LOCK_LEASE)
		return ladder_error_set(LADDER_EINVALID, "ladder_open_options: unknown lock mode %d", (int)opts->lock);
	if (opts->lock > LADDER_LOCK_SESSION && driver->ops->xact_lock == NULL)
		return ladder_error_set(LADDER_EUNSUPPORTED,
		                        "the %s driver has no transaction lock or lease: only the lock modes auto and "
		                        "session apply to it",
		                        driver->name);
	if ((db = ladder_calloc(1, sizeof(*db))) == NULL)
		return ladder_error_set(LADDER_ENOMEM, "out of memory opening a database");
	if ((error = ladder_store_parse(&db->store, opts->store, opts->schema)) < 0 ||
	    (error = ladder_store_check(&db->store, driver)) < 0) {
		ladder_free(db);
		return error;
	}
	db->lock_timeout_ms = opts->lock_timeout_ms > 0 ? opts->lock_timeout_ms : 0;
	db->lock_mode = opts->lock;
	db->lease_expiry_ms = opts->lease_expiry_ms > 0 ? opts->lease_expiry_ms : 120000;
	*out = db;
	return 0;
}

int ladder_db_open(ladder_db **out, const char *url, const ladder_open_options *given)
{
	const ladder_driver *driver;
	ladder_open_options opts;
	ladder_db *db = NULL;
	int error;

	if (out == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_db_open: out is NULL");
	*out = NULL;
	if (url == NULL || url[0] == '\0')
		return ladder_error_set(LADDER_EINVALID, "no database given");
	if ((error = driver_for_url(&driver, url)) < 0 || (error = db_new(&db, driver, given, &opts)) < 0)
		return error;
	if ((error = driver->connect(&db->conn, url, &opts)) < 0) {
		ladder_free(db);
		return error;
	}
	*out = db;
	return 0;
}

int ladder_db_wrap(ladder_db **out, const char *name, void *native, const ladder_open_options *given)
{
	const ladder_driver *driver = name ? ladder_driver_named(name) : NULL;
	ladder_open_options opts;
	ladder_db *db = NULL;
	int error;

	if (out == NULL || native == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_%s_wrap: no handle given", name ? name : "db");
	*out = NULL;
	if (driver == NULL || driver->wrap == NULL)
		return ladder_error_set(LADDER_EUNSUPPORTED, "this ladder has no %s driver that wraps handles",
		                        name ? name : "(unnamed)");
	if ((error = db_new(&db, driver, given, &opts)) < 0)
		return error;
	if ((error = driver->wrap(&db->conn, native, &opts)) < 0) {
		ladder_free(db);
		return error;
	}
	*out = db;
	return 0;
}

void ladder_db_close(ladder_db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		conn_close(db->conn);
	ladder_free(db);
}

void *ladder_db_native(ladder_db *db)
{
	return db && db->conn ? conn_native(db->conn) : NULL;
}

const char *ladder_db_engine(const ladder_db *db)
{
	return db && db->conn ? conn_engine(db->conn) : "";
}

const char *ladder_db_display_name(const ladder_db *db)
{
	return db && db->conn ? conn_display(db->conn) : "";
}
