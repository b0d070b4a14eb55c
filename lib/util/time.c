/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdio.h>
#include <time.h>

#include "lib/util/macro.h"
#include "lib/util/time.h"

static usec_t now(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		abort(); /* cannot fail for these clocks */
	return (usec_t)ts.tv_sec * USEC_PER_SEC + (usec_t)ts.tv_nsec / 1000;
}

usec_t cohd_now_monotonic(void)
{
	return now(CLOCK_MONOTONIC);
}

usec_t cohd_now_realtime(void)
{
	return now(CLOCK_REALTIME);
}

static bool utc(usec_t t, struct tm *tm)
{
	time_t s = (time_t)(t / USEC_PER_SEC);

	return gmtime_r(&s, tm) && tm->tm_year + 1900 <= 9999;
}

char *cohd_format_iso8601(char buf[static COHD_ISO8601_MAX], usec_t t, bool frac)
{
	struct tm tm;
	size_t n;

	buf[0] = 0;
	if (!utc(t, &tm))
		return buf;
	n = strftime(buf, COHD_ISO8601_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac)
		snprintf(buf + n, COHD_ISO8601_MAX - n, ".%06uZ", (unsigned)(t % USEC_PER_SEC) % 1000000u);
	else
		memcpy(buf + n, "Z", 2);
	return buf;
}

char *cohd_format_amz_date(char buf[static COHD_AMZ_DATE_MAX], usec_t t)
{
	struct tm tm;

	buf[0] = 0;
	if (utc(t, &tm))
		strftime(buf, COHD_AMZ_DATE_MAX, "%Y%m%dT%H%M%SZ", &tm);
	return buf;
}

char *cohd_format_http_date(char buf[static COHD_HTTP_DATE_MAX], usec_t t)
{
	static const char days[][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	buf[0] = 0;
	if (!utc(t, &tm))
		return buf;
	/* %a and %b follow the locale, HTTP wants English: put the names in by hand */
	strftime(buf, COHD_HTTP_DATE_MAX, "Day, %d Mon %Y %H:%M:%S GMT", &tm);
	memcpy(buf, days[tm.tm_wday], 3);
	memcpy(buf + 8, months[tm.tm_mon], 3);
	return buf;
}

/* Read exactly n digits into *ret. */
static bool digits(const char **s, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return false;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*ret = v;
	return true;
}

static bool accept(const char **s, char c)
{
	if (**s != c)
		return false;
	(*s)++;
	return true;
}

static int from_tm(struct tm *tm, usec_t frac, long offset_sec, usec_t *ret)
{
	time_t secs;

	if (tm->tm_mon < 0 || tm->tm_mon > 11 || tm->tm_mday < 1 || tm->tm_mday > 31 ||
	    tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60)
		return -EINVAL;
	secs = timegm(tm);
	if (secs == (time_t)-1)
		return -EINVAL;
	secs -= offset_sec;
	if (secs < 0)
		return -EINVAL;
	*ret = (usec_t)secs * USEC_PER_SEC + frac;
	return 0;
}

int cohd_parse_iso8601(const char *s, usec_t *ret)
{
	struct tm tm = { 0 };
	usec_t frac = 0;
	long offset = 0;
	bool basic;
	int y, oh, om = 0;

	if (!s || !digits(&s, 4, &y))
		return -EINVAL;
	tm.tm_year = y - 1900;
	basic = *s != '-';
	if (basic) {
		/* 20150830T123600Z */
		if (!digits(&s, 2, &tm.tm_mon) || !digits(&s, 2, &tm.tm_mday) || !accept(&s, 'T') ||
		    !digits(&s, 2, &tm.tm_hour) || !digits(&s, 2, &tm.tm_min) ||
		    !digits(&s, 2, &tm.tm_sec))
			return -EINVAL;
	} else if (!accept(&s, '-') || !digits(&s, 2, &tm.tm_mon) || !accept(&s, '-') ||
		   !digits(&s, 2, &tm.tm_mday) || !(accept(&s, 'T') || accept(&s, 't') || accept(&s, ' ')) ||
		   !digits(&s, 2, &tm.tm_hour) || !accept(&s, ':') || !digits(&s, 2, &tm.tm_min) ||
		   !accept(&s, ':') || !digits(&s, 2, &tm.tm_sec))
		return -EINVAL;
	tm.tm_mon--;

	if (!basic && accept(&s, '.')) {
		usec_t scale = 100000;
		int n = 0;

		for (; isdigit((unsigned char)*s); s++, n++) {
			if (n >= 9)
				return -EINVAL;
			frac += (usec_t)(*s - '0') * scale;
			scale /= 10;
		}
		if (n == 0)
			return -EINVAL;
	}

	if (accept(&s, 'Z') || accept(&s, 'z'))
		offset = 0;
	else if (!basic && (*s == '+' || *s == '-')) {
		int sign = *s++ == '-' ? -1 : 1;

		if (!digits(&s, 2, &oh))
			return -EINVAL;
		(void)accept(&s, ':');
		if (*s && !digits(&s, 2, &om))
			return -EINVAL;
		if (oh > 23 || om > 59)
			return -EINVAL;
		offset = sign * (oh * 3600L + om * 60L);
	} else
		return -EINVAL;
	if (*s)
		return -EINVAL;
	return from_tm(&tm, frac, offset, ret);
}

int cohd_parse_http_date(const char *s, usec_t *ret)
{
	static const char *const formats[] = {
		"%a, %d %b %Y %H:%M:%S GMT", /* IMF-fixdate */
		"%A, %d-%b-%y %H:%M:%S GMT", /* RFC 850 */
		"%a %b %e %H:%M:%S %Y",      /* asctime */
	};

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(formats); i++) {
		struct tm tm = { 0 };
		const char *end = strptime(s, formats[i], &tm);

		if (end && !*end)
			return from_tm(&tm, 0, 0, ret);
	}
	return -EINVAL;
}
