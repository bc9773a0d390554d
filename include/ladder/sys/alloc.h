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
/* ladder_free (in ladder.h) releases all of these. */

#ifdef __cplusplus
}
#endif
#endif /* LADDER_SYS_ALLOC_H */
