/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A growable byte buffer with a mandatory size cap (curl's dynbuf idea): every buffer that grows
 * from input (HTTP bodies, files, socket messages) has one. Contents are always NUL-terminated,
 * so text can be used as a C string. Depends on nothing.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/util/macro.h"

struct cohd_buf {
	char *data;   /* NULL until the first append; then NUL-terminated */
	size_t len;   /* bytes used, not counting the terminating NUL */
	size_t alloc; /* bytes allocated */
	size_t cap;   /* the most len may ever be */
	bool secret;  /* wipe memory on growth and on cohd_buf_done() */
};

/* Start empty with the given cap (> 0). No allocation happens here. */
void cohd_buf_init(struct cohd_buf *b, size_t cap);

/* Append n bytes. Returns 0, -EMSGSIZE if the result would exceed the cap (the buffer is then
 * left unchanged), or -ENOMEM. */
int cohd_buf_append(struct cohd_buf *b, const void *p, size_t n);
int cohd_buf_append_str(struct cohd_buf *b, const char *s);
int cohd_buf_printf(struct cohd_buf *b, const char *fmt, ...) _printf_(2, 3);
int cohd_buf_vprintf(struct cohd_buf *b, const char *fmt, va_list ap) _printf_(2, 0);

/* Empty the buffer but keep its memory. */
void cohd_buf_reset(struct cohd_buf *b);

/* Hand the contents to the caller (free() them) and leave the buffer empty. Returns "" copied
 * into fresh memory when the buffer never grew; NULL only on OOM. */
char *cohd_buf_steal(struct cohd_buf *b);

/* Free the memory (wiped first when b->secret). The buffer may be initialised again. */
void cohd_buf_done(struct cohd_buf *b);

/* The contents as a string: "" when empty. */
static inline const char *cohd_buf_str(const struct cohd_buf *b)
{
	return b->data ? b->data : "";
}
