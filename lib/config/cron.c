/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 5-field cron -> EventBridge ScheduleExpression (see normalise.h). Every field is parsed into a
 * set of values, validated against its range, and written back in the plainest form
 * EventBridge accepts: "*", "START/STEP" for "*\/STEP", else a list of values and ranges. cnc
 * copies the day-of-week numbers unchanged, so its "1" (cron Monday) runs on Sundays; here
 * day-of-week is translated (cron 0..7 with 0 and 7 = Sunday -> EventBridge 1..7 with
 * 1 = Sunday). Pure functions, no I/O.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/config/normalise.h"
#include "lib/util/buf.h"

/* Write the reason (truncated to COHD_NORM_WHY_MAX) and return -EINVAL. */
_printf_(2, 3) static int why_set(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, COHD_NORM_WHY_MAX, fmt, ap);
	va_end(ap);
	return -EINVAL;
}
#define WHY(...) why_set(why, __VA_ARGS__)

struct field_def {
	const char *name;
	unsigned min, max;
	const char *const *names; /* names[i] = value min+i, or NULL */
};

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
					  "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const dow_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"};

static const struct field_def fields[5] = {
	{"minute", 0, 59, NULL},	  {"hour", 0, 23, NULL},
	{"day-of-month", 1, 31, NULL},	  {"month", 1, 12, month_names},
	{"day-of-week", 0, 7, dow_names},
};

static int parse_value(const struct field_def *f, const char *s, size_t n, unsigned *ret)
{
	unsigned v = 0;

	if (n == 0)
		return -EINVAL;
	if (isdigit((unsigned char)s[0])) {
		if (n > 3)
			return -EINVAL;
		for (size_t i = 0; i < n; i++) {
			if (!isdigit((unsigned char)s[i]))
				return -EINVAL;
			v = v * 10 + (unsigned)(s[i] - '0');
		}
	} else if (f->names && n == 3) {
		size_t i, count = f->max - f->min + 1;

		for (i = 0; i < count; i++)
			if (strncasecmp(s, f->names[i], 3) == 0)
				break;
		if (i == count)
			return -EINVAL;
		v = f->min + (unsigned)i;
	} else {
		return -EINVAL;
	}
	if (v < f->min || v > f->max)
		return -ERANGE;
	*ret = v;
	return 0;
}

/* Parse one field into a bit set; *ret_star when it is exactly "*" (or "?"); *ret_step and
 * *ret_every when it is exactly "*\/N". */
static int parse_field(const struct field_def *f, const char *s, uint64_t *ret_set, bool *ret_star,
		       unsigned *ret_every, char why[static COHD_NORM_WHY_MAX])
{
	uint64_t set = 0;
	const char *p = s;

	*ret_star = streq(s, "*") || streq(s, "?");
	*ret_every = 0;
	if (*ret_star) {
		for (unsigned v = f->min; v <= f->max; v++)
			set |= UINT64_C(1) << v;
		*ret_set = set;
		return 0;
	}
	for (;;) {
		size_t n = strcspn(p, ",");
		const char *slash = memchr(p, '/', n), *dash;
		size_t rn = slash ? (size_t)(slash - p) : n;
		unsigned lo, hi, step = 1;
		int r;

		if (n == 0)
			return WHY("%s field '%s': empty list item", f->name, s);
		if (slash) {
			const char *q = slash + 1;
			size_t sn = n - rn - 1;

			step = 0;
			if (sn == 0 || sn > 3)
				return WHY("%s field '%s': bad step", f->name, s);
			for (size_t i = 0; i < sn; i++) {
				if (!isdigit((unsigned char)q[i]))
					return WHY("%s field '%s': bad step", f->name, s);
				step = step * 10 + (unsigned)(q[i] - '0');
			}
			if (step == 0 || step > f->max)
				return WHY("%s field '%s': step must be 1..%u", f->name, s, f->max);
		}
		dash = memchr(p, '-', rn);
		if (rn == 1 && p[0] == '*') {
			lo = f->min;
			hi = f->max == 7 ? 6 : f->max;
			if (slash && n == strlen(s))
				*ret_every = step;
		} else if (dash) {
			r = parse_value(f, p, (size_t)(dash - p), &lo);
			if (r == 0)
				r = parse_value(f, dash + 1, rn - (size_t)(dash - p) - 1, &hi);
			if (r == -ERANGE)
				return WHY("%s field '%s': value out of range %u-%u", f->name, s,
					   f->min, f->max);
			if (r < 0)
				return WHY("%s field '%s': '%.*s' is not a value or range", f->name,
					   s, (int)rn, p);
			if (lo > hi)
				return WHY("%s field '%s': range %u-%u goes backwards", f->name, s,
					   lo, hi);
		} else {
			r = parse_value(f, p, rn, &lo);
			if (r == -ERANGE)
				return WHY("%s field '%s': value out of range %u-%u", f->name, s,
					   f->min, f->max);
			if (r < 0)
				return WHY("%s field '%s': '%.*s' is not a value (cron extensions "
					   "like "
					   "L, W and # are not supported)",
					   f->name, s, (int)rn, p);
			hi = slash ? (f->max == 7 ? 6 : f->max) : lo;
		}
		for (unsigned v = lo; v <= hi; v += step)
			set |= UINT64_C(1) << v;
		p += n;
		if (!*p)
			break;
		p++;
	}
	*ret_set = set;
	return 0;
}

/* Write the set (values lo..hi) as "a,b,c-d"; runs of 3 or more become ranges. */
static int write_set(struct cohd_buf *b, uint64_t set, unsigned lo, unsigned hi)
{
	bool first = true;
	int r;

	for (unsigned v = lo; v <= hi; v++) {
		unsigned e = v;

		if (!(set & (UINT64_C(1) << v)))
			continue;
		while (e + 1 <= hi && (set & (UINT64_C(1) << (e + 1))))
			e++;
		if (e - v >= 2)
			r = cohd_buf_printf(b, "%s%u-%u", first ? "" : ",", v, e);
		else if (e - v == 1)
			r = cohd_buf_printf(b, "%s%u,%u", first ? "" : ",", v, e);
		else
			r = cohd_buf_printf(b, "%s%u", first ? "" : ",", v);
		if (r < 0)
			return r;
		first = false;
		v = e;
	}
	return 0;
}

static int check_rate(const char *s, char why[static COHD_NORM_WHY_MAX])
{
	const char *p = s + STRLEN("rate(");
	unsigned long n;
	char *e;
	size_t ul;

	if (!isdigit((unsigned char)*p))
		return WHY("schedule '%s': expected rate(N minutes|hours|days)", s);
	errno = 0;
	n = strtoul(p, &e, 10);
	if (errno || n == 0 || n > 1000000 || *e != ' ')
		return WHY("schedule '%s': expected rate(N minutes|hours|days) with N > 0", s);
	e++;
	ul = strlen(e);
	if (ul == 0 || e[ul - 1] != ')')
		return WHY("schedule '%s': missing ')'", s);
	ul--;
	if (n == 1 ? !((ul == 6 && strncmp(e, "minute", 6) == 0) ||
		       (ul == 4 && strncmp(e, "hour", 4) == 0) ||
		       (ul == 3 && strncmp(e, "day", 3) == 0))
		   : !((ul == 7 && strncmp(e, "minutes", 7) == 0) ||
		       (ul == 5 && strncmp(e, "hours", 5) == 0) ||
		       (ul == 4 && strncmp(e, "days", 4) == 0)))
		return WHY("schedule '%s': the unit must be minute(s), hour(s) or day(s) "
			   "(singular only for 1)",
			   s);
	return 0;
}

static int split_fields(const char *s, char f[][64], size_t max, size_t *ret_n)
{
	size_t n = 0;

	for (const char *p = s;;) {
		size_t l;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		l = strcspn(p, " \t");
		if (n >= max || l >= 64)
			return -EINVAL;
		memcpy(f[n], p, l);
		f[n][l] = 0;
		n++;
		p += l;
	}
	*ret_n = n;
	return 0;
}

int cohd_norm_cron(const char *s, char **ret_expr, char why[static COHD_NORM_WHY_MAX])
{
	static const struct {
		const char *name, *cron;
	} macros[] = {
		{"@hourly", "0 * * * *"},   {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
		{"@weekly", "0 0 * * 0"},   {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
		{"@annually", "0 0 1 1 *"},
	};
	_cleanup_(cohd_buf_done) struct cohd_buf b;
	char f[7][64];
	uint64_t set[5];
	bool star[5];
	unsigned every[5];
	const char *in = s;
	size_t n;
	int r;

	why[0] = 0;
	cohd_buf_init(&b, 256);
	if (isempty(s))
		return WHY("schedule is empty");
	if (strncmp(s, "rate(", 5) == 0) {
		r = check_rate(s, why);
		if (r < 0)
			return r;
		*ret_expr = strdup(s);
		return *ret_expr ? 0 : -ENOMEM;
	}
	if (strncmp(s, "cron(", 5) == 0) {
		char inner[256];
		size_t l = strlen(s);

		if (l < 7 || s[l - 1] != ')' || l - 6 >= sizeof inner)
			return WHY("schedule '%s': expected cron(m h dom mon dow year)", s);
		memcpy(inner, s + 5, l - 6);
		inner[l - 6] = 0;
		if (split_fields(inner, f, 7, &n) < 0 || n != 6)
			return WHY("schedule '%s': EventBridge cron() takes 6 fields", s);
		if ((strcmp(f[2], "?") == 0) == (strcmp(f[4], "?") == 0))
			return WHY(
				"schedule '%s': exactly one of day-of-month and day-of-week must "
				"be '?'",
				s);
		*ret_expr = strdup(s);
		return *ret_expr ? 0 : -ENOMEM;
	}
	if (s[0] == '@') {
		size_t i;

		for (i = 0; i < ELEMENTSOF(macros); i++)
			if (streq(s, macros[i].name))
				break;
		if (i == ELEMENTSOF(macros))
			return WHY("schedule '%s': unknown macro (use @hourly, @daily, @weekly, "
				   "@monthly or @yearly)",
				   s);
		in = macros[i].cron;
	}
	if (split_fields(in, f, 7, &n) < 0 || n != 5)
		return WHY("schedule '%s' must have 5 fields: minute hour day-of-month month "
			   "day-of-week",
			   s);

	for (size_t i = 0; i < 5; i++) {
		r = parse_field(&fields[i], f[i], &set[i], &star[i], &every[i], why);
		if (r < 0)
			return r;
	}
	/* Day-of-week: fold 7 into 0 (both Sunday). */
	if (set[4] & (UINT64_C(1) << 7))
		set[4] = (set[4] & ~(UINT64_C(1) << 7)) | 1;
	if (!star[4] && set[4] == 0x7f)
		star[4] = true; /* every day of the week */
	if (!star[2] && set[2] == (((UINT64_C(1) << 32) - 1) & ~UINT64_C(1)))
		star[2] = true;
	if (!star[2] && !star[4])
		return WHY("schedule '%s' restricts both day-of-month and day-of-week; cron runs "
			   "when either matches, which EventBridge cannot express: use two tasks",
			   s);

	r = cohd_buf_append_str(&b, "cron(");
	for (size_t i = 0; r >= 0 && i < 4; i++) {
		if (i == 2 && !star[4])
			r = cohd_buf_append_str(&b, "?");
		else if (star[i] && every[i] == 0)
			r = cohd_buf_append_str(&b, "*");
		else if (every[i])
			r = cohd_buf_printf(&b, "%u/%u", fields[i].min, every[i]);
		else
			r = write_set(&b, set[i], fields[i].min, fields[i].max);
		if (r >= 0)
			r = cohd_buf_append_str(&b, " ");
	}
	if (r >= 0) {
		if (star[4]) {
			r = cohd_buf_append_str(&b, "?");
		} else {
			/* cron 0..6 (0 = Sunday) -> EventBridge 1..7 (1 = Sunday) */
			r = write_set(&b, set[4] << 1, 1, 7);
		}
	}
	if (r >= 0)
		r = cohd_buf_append_str(&b, " *)");
	if (r == -EMSGSIZE)
		return WHY("schedule '%s' is too long once written for EventBridge (256 chars)", s);
	if (r < 0)
		return r;
	*ret_expr = cohd_buf_steal(&b);
	return *ret_expr ? 0 : -ENOMEM;
}
