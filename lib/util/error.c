/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>

#include "lib/util/error.h"

int cohd_error_set(struct cohd_error *e, int r, const char *fmt, ...)
{
	va_list ap;
	char *m = NULL;

	if (!e)
		return r;
	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	free(e->message);
	e->message = m;
	e->code = r;
	return r;
}

void cohd_error_done(struct cohd_error *e)
{
	if (!e)
		return;
	free(e->message);
	e->message = NULL;
	e->code = 0;
}

const char *cohd_error_str(const struct cohd_error *e)
{
	if (e && e->message)
		return e->message;
	return strerror(e && e->code ? -e->code : EIO);
}
