/*
 * buf.c — a growing text buffer: dumps, diffs and generated code are built
 * in memory and written (or compared) whole.
 */
#include "ladder/sys/driver.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(ladder_buf *buf, size_t extra)
{
	size_t need;
	char *data;

	if (buf->failed)
		return -1;
	need = buf->len + extra + 1;
	if (need <= buf->cap)
		return 0;
	if (need < buf->cap * 2)
		need = buf->cap * 2;
	if (need < 256)
		need = 256;
	data = ladder_realloc(buf->data, need);
	if (data == NULL) {
		buf->failed = 1;
		return -1;
	}
	buf->data = data;
	buf->cap = need;
	return 0;
}

void ladder_buf_put(ladder_buf *buf, const char *text, size_t len)
{
	if (grow(buf, len) < 0)
		return;
	memcpy(buf->data + buf->len, text, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

void ladder_buf_puts(ladder_buf *buf, const char *text)
{
	ladder_buf_put(buf, text, strlen(text));
}

void ladder_buf_put_escaped(ladder_buf *buf, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (text[i]) {
		case '\\': ladder_buf_put(buf, "\\\\", 2); break;
		case '\n': ladder_buf_put(buf, "\\n", 2); break;
		case '\t': ladder_buf_put(buf, "\\t", 2); break;
		case '\r': ladder_buf_put(buf, "\\r", 2); break;
		default: ladder_buf_put(buf, text + i, 1); break;
		}
	}
}

void ladder_buf_printf(ladder_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || grow(buf, (size_t)len) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf->data + buf->len, (size_t)len + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t)len;
}

void ladder_buf_free(ladder_buf *buf)
{
	ladder_free(buf->data);
	memset(buf, 0, sizeof(*buf));
}
