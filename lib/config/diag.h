/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Diagnostics of the config parser: every error and warning found in a file, each with its
 * location, collected in one list so a single run reports all of them. Printed as
 *     file:line:column: message
 *     file:line:column: warning: message
 * (line and column are 1-based; 0:0 when a problem has no position, e.g. a file too large).
 * Depends only on lib/util. Pure data, no I/O except cohd_diag_list_print().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lib/util/macro.h"

enum cohd_diag_severity {
	COHD_DIAG_ERROR,
	COHD_DIAG_WARNING,
	_COHD_DIAG_SEVERITY_MAX,
	_COHD_DIAG_SEVERITY_INVALID = -EINVAL,
};

struct cohd_diag {
	enum cohd_diag_severity severity;
	char *file;	 /* as given to the parser (owned) */
	unsigned line;	 /* 1-based; 0 = no position */
	unsigned column; /* 1-based; 0 = no position */
	char *message;	 /* no location prefix, no trailing newline (owned) */
};

/* At most this many diagnostics are kept per list; one final "too many errors" entry is added
 * when the cap is hit, and later ones are only counted. */
#define COHD_DIAG_MAX 200

struct cohd_diag_list {
	struct cohd_diag *items;
	size_t n, alloc;
	size_t n_errors;   /* counted even past COHD_DIAG_MAX */
	size_t n_warnings; /* counted even past COHD_DIAG_MAX */
	bool truncated;
};

/* Add one diagnostic. Returns 0 or -ENOMEM. The list must be zero-initialised first. */
int cohd_diag_add(struct cohd_diag_list *l, enum cohd_diag_severity sev, const char *file,
		  unsigned line, unsigned column, const char *fmt, ...) _printf_(6, 7);

/* "file:line:column: [warning: ]message" (no newline); caller frees. NULL on OOM. */
char *cohd_diag_format(const struct cohd_diag *d);

/* Write every diagnostic (warnings too unless errors_only), one per line. */
void cohd_diag_list_print(const struct cohd_diag_list *l, FILE *f, bool errors_only);

/* Stable sort by file, line, column (errors before warnings at the same place). */
void cohd_diag_list_sort(struct cohd_diag_list *l);

/* Free the contents; the list may be reused afterwards. */
void cohd_diag_list_done(struct cohd_diag_list *l);

static inline bool cohd_diag_list_has_errors(const struct cohd_diag_list *l)
{
	return l && l->n_errors > 0;
}
