/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "lib/util/buf.h"

void cohd_buf_init(struct cohd_buf *b, size_t cap)
{
	*b = (struct cohd_buf){ .cap = cap };
}

/* Make room for len + n + 1 bytes, doubling, never beyond cap + 1. */
static int buf_reserve(struct cohd_buf *b, size_t n)
{
	size_t need, want;
	char *p;

	if (n > b->cap || b->len > b->cap - n)
		return -EMSGSIZE;
	need = b->len + n + 1;
	if (need <= b->alloc)
		return 0;
	want = b->alloc ? b->alloc : 64;
	while (want < need)
		want *= 2;
	if (want > b->cap + 1)
		want = b->cap + 1;
	if (b->secret) {
		/* realloc could leave a copy behind: move by hand and wipe the old block */
		p = malloc(want);
		if (!p)
			return -ENOMEM;
		if (b->data) {
			memcpy(p, b->data, b->len + 1);
			explicit_bzero(b->data, b->alloc);
			free(b->data);
		}
	} else {
		p = realloc(b->data, want);
		if (!p)
			return -ENOMEM;
	}
	b->data = p;
	b->alloc = want;
	return 0;
}

int cohd_buf_append(struct cohd_buf *b, const void *p, size_t n)
{
	int r = buf_reserve(b, n);

	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return 0;
}

int cohd_buf_append_str(struct cohd_buf *b, const char *s)
{
	return cohd_buf_append(b, s, strlen(s));
}

int cohd_buf_vprintf(struct cohd_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n, r;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -EINVAL;
	r = buf_reserve(b, (size_t)n);
	if (r < 0)
		return r;
	(void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int cohd_buf_printf(struct cohd_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = cohd_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

void cohd_buf_reset(struct cohd_buf *b)
{
	if (b->data) {
		if (b->secret)
			explicit_bzero(b->data, b->len);
		b->data[0] = 0;
	}
	b->len = 0;
}

char *cohd_buf_steal(struct cohd_buf *b)
{
	char *p = b->data ? b->data : strdup("");

	b->data = NULL;
	b->len = b->alloc = 0;
	return p;
}

void cohd_buf_done(struct cohd_buf *b)
{
	if (b->data && b->secret)
		explicit_bzero(b->data, b->alloc);
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}
