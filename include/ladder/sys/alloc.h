/*
 * ladder/sys/alloc.h — the allocation calls every part of libladder makes,
 * drivers included: they go through the allocator an application may set
 * with ladder_config_allocator(), so that memory a driver hands the core
 * (rows, statement lists, URLs) is freed by the same allocator, and a test
 * can make any one allocation fail.
 */
#ifndef LADDER_SYS_ALLOC_H
#define LADDER_SYS_ALLOC_H

#include "../../ladder.h"

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

LADDER_EXTERN void *ladder_malloc(size_t size);
LADDER_EXTERN void *ladder_calloc(size_t count, size_t size);
LADDER_EXTERN void *ladder_realloc(void *pointer, size_t size);
LADDER_EXTERN char *ladder_strdup(const char *text);
LADDER_EXTERN char *ladder_strndup(const char *text, size_t len);
/* printf into fresh memory; NULL when out of memory. */
LADDER_EXTERN char *ladder_mprintf(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;
/* Room for one more item in a growing array of `count` items of `size`
 * bytes that has room for *cap: the array itself when count < *cap, else
 * a bigger copy (the capacity doubles, starting at `first`) and *cap
 * updated. NULL when out of memory: the array and *cap are left as they
 * were. */
LADDER_EXTERN void *ladder_array_grow(void *items, size_t *cap, size_t count, size_t size, size_t first);
/* ladder_free (in ladder.h) releases all of these. */

#ifdef __cplusplus
}
#endif
#endif /* LADDER_SYS_ALLOC_H */
