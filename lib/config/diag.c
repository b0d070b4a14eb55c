/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Diagnostics list of the config parser (see diag.h). Plain data; the only I/O is printing to
 * a caller-given FILE. No loop context.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "lib/config/diag.h"

int cohd_diag_add(struct cohd_diag_list *l, enum cohd_diag_severity sev, const char *file,
		  unsigned line, unsigned column, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL, *f = NULL;
	va_list ap;
	int r;

	if (sev == COHD_DIAG_ERROR)
		l->n_errors++;
	else
		l->n_warnings++;
	if (l->truncated)
		return 0;
	if (l->n >= COHD_DIAG_MAX) {
		/* One last entry, then only counting. */
		l->truncated = true;
		sev = COHD_DIAG_ERROR;
		msg = strdup("too many diagnostics; the rest are not shown");
		line = column = 0;
	} else {
		va_start(ap, fmt);
		r = vasprintf(&msg, fmt, ap);
		va_end(ap);
		if (r < 0) {
			msg = NULL;
			return -ENOMEM;
		}
	}
	if (!msg)
		return -ENOMEM;
	f = strdup(strempty(file));
	if (!f)
		return -ENOMEM;
	if (l->n == l->alloc) {
		size_t na = l->alloc ? l->alloc * 2 : 8;
		struct cohd_diag *ni = reallocarray(l->items, na, sizeof *ni);

		if (!ni)
			return -ENOMEM;
		l->items = ni;
		l->alloc = na;
	}
	l->items[l->n++] = (struct cohd_diag){
		.severity = sev,
		.file = TAKE_PTR(f),
		.line = line,
		.column = column,
		.message = TAKE_PTR(msg),
	};
	return 0;
}

char *cohd_diag_format(const struct cohd_diag *d)
{
	char *s;

	if (asprintf(&s, "%s:%u:%u: %s%s", d->file, d->line, d->column,
		     d->severity == COHD_DIAG_WARNING ? "warning: " : "", d->message) < 0)
		return NULL;
	return s;
}

void cohd_diag_list_print(const struct cohd_diag_list *l, FILE *f, bool errors_only)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct cohd_diag *d = &l->items[i];

		if (errors_only && d->severity != COHD_DIAG_ERROR)
			continue;
		fprintf(f, "%s:%u:%u: %s%s\n", d->file, d->line, d->column,
			d->severity == COHD_DIAG_WARNING ? "warning: " : "", d->message);
	}
}

static int diag_cmp(const struct cohd_diag *a, const struct cohd_diag *b)
{
	int r = strcmp(a->file, b->file);

	if (r)
		return r;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->column != b->column)
		return a->column < b->column ? -1 : 1;
	if (a->severity != b->severity)
		return a->severity < b->severity ? -1 : 1;
	return 0;
}

void cohd_diag_list_sort(struct cohd_diag_list *l)
{
	/* Insertion sort: stable, and lists are short (capped). */
	for (size_t i = 1; i < l->n; i++) {
		struct cohd_diag t = l->items[i];
		size_t j = i;

		while (j > 0 && diag_cmp(&l->items[j - 1], &t) > 0) {
			l->items[j] = l->items[j - 1];
			j--;
		}
		l->items[j] = t;
	}
}

void cohd_diag_list_done(struct cohd_diag_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].file);
		free(l->items[i].message);
	}
	free(l->items);
	*l = (struct cohd_diag_list){};
}
