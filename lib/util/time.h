/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Time in microseconds: monotonic for timeouts and intervals, wall clock (UTC) for timestamps
 * that leave the process (AWS dates, the database, status output). Depends on nothing.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t usec_t;

#define USEC_INFINITY ((usec_t)UINT64_MAX)
#define USEC_PER_MSEC ((usec_t)1000ULL)
#define USEC_PER_SEC ((usec_t)1000000ULL)
#define USEC_PER_MINUTE (60 * USEC_PER_SEC)
#define USEC_PER_HOUR (60 * USEC_PER_MINUTE)
#define USEC_PER_DAY (24 * USEC_PER_HOUR)

/* CLOCK_MONOTONIC and CLOCK_REALTIME, in microseconds. */
usec_t cohd_now_monotonic(void);
usec_t cohd_now_realtime(void);

/* Buffer sizes for the formatters, including the NUL. */
#define COHD_ISO8601_MAX sizeof("2015-08-30T12:36:00.123456Z")
#define COHD_AMZ_DATE_MAX sizeof("20150830T123600Z")
#define COHD_HTTP_DATE_MAX sizeof("Sun, 30 Aug 2015 12:36:00 GMT")

/* "2015-08-30T12:36:00Z" (UTC, whole seconds) or, with frac, "2015-08-30T12:36:00.123456Z".
 * Return buf; never fail for times between years 1970 and 9999, else write "". */
char *cohd_format_iso8601(char buf[static COHD_ISO8601_MAX], usec_t realtime, bool frac);

/* The SigV4 X-Amz-Date form "20150830T123600Z"; the first 8 bytes are the scope date. */
char *cohd_format_amz_date(char buf[static COHD_AMZ_DATE_MAX], usec_t realtime);

/* RFC 7231 IMF-fixdate "Sun, 30 Aug 2015 12:36:00 GMT" (HTTP headers). */
char *cohd_format_http_date(char buf[static COHD_HTTP_DATE_MAX], usec_t realtime);

/* Parse ISO 8601 as AWS sends it: "2015-08-30T12:36:00Z", with optional fraction
 * (".123" up to 9 digits) and a "Z", "+hh:mm", "-hhmm" offset; also the X-Amz-Date form
 * "20150830T123600Z". Returns 0 and *ret (UTC microseconds) or -EINVAL. */
int cohd_parse_iso8601(const char *s, usec_t *ret);

/* Parse an HTTP Date header (IMF-fixdate; the obsolete RFC 850 and asctime forms too).
 * Returns 0 and *ret or -EINVAL. */
int cohd_parse_http_date(const char *s, usec_t *ret);
