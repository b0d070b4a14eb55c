/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small macros used everywhere: scope-bound cleanup (_cleanup_, TAKE_PTR), array sizes,
 * attributes and assertion helpers for public entry points. Depends on nothing.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _pure_ __attribute__((pure))
#define _warn_unused_result_ __attribute__((warn_unused_result))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)
#define COHD_EXPORT __attribute__((visibility("default")))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#undef MIN /* <sys/param.h> has its own; ours wins, whichever comes first */
#undef MAX
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define STRLEN(s) (sizeof("" s "") - 1)

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* Take ownership out of a _cleanup_ variable: returns the value and leaves NULL behind. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) *_pp_ = &(p);                                                        \
		__typeof__(p) _p_ = *_pp_;                                                         \
		*_pp_ = NULL;                                                                      \
		_p_;                                                                               \
	})

/* Same for file descriptors: returns the fd and leaves -1 behind. */
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int *_pfd_ = &(fd);                                                                \
		int _fd_ = *_pfd_;                                                                 \
		*_pfd_ = -1;                                                                       \
		_fd_;                                                                              \
	})

/* Define name##p(type **p) that calls func(*p) when *p is not NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
	static inline void func##p(type *p)                                                        \
	{                                                                                          \
		if (*p)                                                                            \
			func(*p);                                                                  \
	}

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		(void)close(*fd);
		errno = saved;
	}
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
	if (*f)
		(void)fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* For public lib entry points: reject programmer errors without aborting (systemd's
 * assert_return). Never use it on data that comes from the network, a file or the database. */
#define cohd_assert_return(expr, r)                                                                \
	do {                                                                                       \
		if (_unlikely_(!(expr)))                                                           \
			return (r);                                                                \
	} while (0)

static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

static inline int streq_ptr(const char *a, const char *b)
{
	if (a && b)
		return strcmp(a, b) == 0;
	return a == b;
}
#define streq(a, b) (strcmp((a), (b)) == 0)

static inline const char *strempty(const char *s)
{
	return s ? s : "";
}

static inline int isempty(const char *s)
{
	return !s || !*s;
}
