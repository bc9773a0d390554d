/*
 * alloc.c — every allocation libladder makes goes through here, so that an
 * application can supply its own allocator and a test can fail the Nth
 * allocation (the fault seam that walks every out-of-memory path).
 */
#include "ladder.h"
#include "ladder/sys/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

static void *libc_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void *libc_resize(void *ctx, void *pointer, size_t size)
{
	(void)ctx;
	return realloc(pointer, size);
}

static void libc_release(void *ctx, void *pointer)
{
	(void)ctx;
	free(pointer);
}

static ladder_allocator current = {LADDER_ALLOCATOR_VERSION, libc_alloc, libc_resize, libc_release, NULL};

int ladder_config_allocator(const ladder_allocator *allocator)
{
	if (allocator == NULL) {
		current.alloc = libc_alloc;
		current.resize = libc_resize;
		current.release = libc_release;
		current.ctx = NULL;
		return 0;
	}
	if (allocator->version != LADDER_ALLOCATOR_VERSION)
		return ladder_error_set(LADDER_EINVALID, "ladder_allocator: unknown version %u", allocator->version);
	if (allocator->alloc == NULL || allocator->resize == NULL || allocator->release == NULL)
		return ladder_error_set(LADDER_EINVALID, "ladder_allocator: alloc, resize and release are all needed");
	current = *allocator;
	return 0;
}

void *ladder_malloc(size_t size)
{
	return current.alloc(current.ctx, size ? size : 1);
}

void *ladder_calloc(size_t count, size_t size)
{
	void *pointer;

	if (size != 0 && count > SIZE_MAX / size)
		return NULL;
	if ((pointer = ladder_malloc(count * size)) != NULL)
		memset(pointer, 0, count * size);
	return pointer;
}

void *ladder_realloc(void *pointer, size_t size)
{
	return current.resize(current.ctx, pointer, size ? size : 1);
}

void *ladder_array_grow(void *items, size_t *cap, size_t count, size_t size, size_t first)
{
	size_t want;
	void *grown;

	if (count < *cap)
		return items;
	want = *cap ? *cap * 2 : first;
	if (want <= count || want > SIZE_MAX / size)
		return NULL;
	if ((grown = ladder_realloc(items, want * size)) != NULL)
		*cap = want;
	return grown;
}

void ladder_free(void *pointer)
{
	if (pointer != NULL)
		current.release(current.ctx, pointer);
}

char *ladder_strndup(const char *text, size_t len)
{
	size_t n = strnlen(text, len);
	char *copy = ladder_malloc(n + 1);

	if (copy != NULL) {
		memcpy(copy, text, n);
		copy[n] = '\0';
	}
	return copy;
}

char *ladder_strdup(const char *text)
{
	return ladder_strndup(text, SIZE_MAX);
}

char *ladder_mprintf(const char *fmt, ...)
{
	va_list ap;
	char *text;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || (text = ladder_malloc((size_t)len + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(text, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return text;
}
