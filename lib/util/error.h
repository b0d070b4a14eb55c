/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The detail half of "negative errno plus a detail struct": functions that fail for reasons a
 * user must read take an optional `struct cohd_error *reterr` and fill it only on failure.
 * Depends on nothing.
 */
#pragma once

#include "lib/util/macro.h"

struct cohd_error {
	int code;      /* the negative errno that was returned */
	char *message; /* human-readable, never holds secrets; NULL if none */
};

/* Set *e (if e is not NULL) to code r and the formatted message, replacing what it held.
 * Returns r (which must be negative), so callers can `return cohd_error_set(e, -EINVAL, ...)`.
 * If formatting runs out of memory the message stays NULL and the code is still set. */
int cohd_error_set(struct cohd_error *e, int r, const char *fmt, ...) _printf_(3, 4);

/* Free the message; e may be NULL or already cleared. */
void cohd_error_done(struct cohd_error *e);

/* The message, or strerror of the code when there is none. Never NULL. */
const char *cohd_error_str(const struct cohd_error *e);
