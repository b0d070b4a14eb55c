/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for lib/util: cleanup helpers, capped buffers, time formats, logging, errors. */
#include <fcntl.h>
#include <sys/stat.h>

#include "lib/util/buf.h"
#include "lib/util/error.h"
#include "lib/util/log.h"
#include "lib/util/macro.h"
#include "lib/util/time.h"
#include "test.h"

static int freed;
static void count_free(int *p)
{
	freed++;
	free(p);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(int *, count_free);

static int *make_and_take(void)
{
	_cleanup_(count_freep) int *p = malloc(sizeof *p);

	*p = 7;
	return TAKE_PTR(p);
}

START_TEST(test_cleanup_and_take)
{
	int *kept;

	freed = 0;
	{
		_cleanup_(count_freep) int *p = malloc(sizeof *p);
		ck_assert_ptr_nonnull(p);
	}
	ck_assert_int_eq(freed, 1);
	kept = make_and_take();
	ck_assert_int_eq(freed, 1); /* TAKE_PTR moved ownership out */
	ck_assert_int_eq(*kept, 7);
	count_free(kept);

	{
		_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int taken;

		ck_assert_int_ge(fd, 0);
		taken = TAKE_FD(fd);
		ck_assert_int_eq(fd, -1);
		ck_assert_int_eq(close(taken), 0);
	}
}
END_TEST

START_TEST(test_buf_cap)
{
	struct cohd_buf b;

	cohd_buf_init(&b, 10);
	ck_assert_str_eq(cohd_buf_str(&b), "");
	ck_assert_int_eq(cohd_buf_append_str(&b, "hello"), 0);
	ck_assert_int_eq(cohd_buf_printf(&b, "%d%s", 12, "34"), 0);
	ck_assert_str_eq(b.data, "hello1234");
	ck_assert_uint_eq(b.len, 9);
	/* one more byte fits exactly, two do not, and a failed append changes nothing */
	ck_assert_int_eq(cohd_buf_append(&b, "xy", 2), -EMSGSIZE);
	ck_assert_str_eq(b.data, "hello1234");
	ck_assert_int_eq(cohd_buf_printf(&b, "%s", "yz"), -EMSGSIZE);
	ck_assert_int_eq(cohd_buf_append(&b, "x", 1), 0);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_uint_le(b.alloc, 11);
	ck_assert_int_eq(cohd_buf_append(&b, "", 0), 0);
	ck_assert_int_eq(cohd_buf_append(&b, "z", 1), -EMSGSIZE);
	cohd_buf_reset(&b);
	ck_assert_str_eq(cohd_buf_str(&b), "");
	cohd_buf_done(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(test_buf_grow_and_steal)
{
	struct cohd_buf b;
	_cleanup_free_ char *s = NULL, *empty = NULL;

	cohd_buf_init(&b, 1 << 20);
	b.secret = true; /* exercises the wipe-on-move path */
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(cohd_buf_append(&b, "0123456789", 10), 0);
	ck_assert_uint_eq(b.len, 10000);
	ck_assert_uint_eq(strlen(b.data), 10000);
	s = cohd_buf_steal(&b);
	ck_assert_uint_eq(strlen(s), 10000);
	ck_assert_ptr_null(b.data);
	empty = cohd_buf_steal(&b);
	ck_assert_str_eq(empty, "");
	/* overflow of len + n must be caught, not wrap */
	ck_assert_int_eq(cohd_buf_append(&b, "", SIZE_MAX), -EMSGSIZE);
	cohd_buf_done(&b);
}
END_TEST

START_TEST(test_time_format)
{
	char iso[COHD_ISO8601_MAX], amz[COHD_AMZ_DATE_MAX], http[COHD_HTTP_DATE_MAX];
	usec_t t = 1440938160 * USEC_PER_SEC; /* the SigV4 suite's 2015-08-30T12:36:00Z */

	ck_assert_str_eq(cohd_format_iso8601(iso, t, false), "2015-08-30T12:36:00Z");
	ck_assert_str_eq(cohd_format_iso8601(iso, t + 123456, true), "2015-08-30T12:36:00.123456Z");
	ck_assert_str_eq(cohd_format_amz_date(amz, t), "20150830T123600Z");
	ck_assert_str_eq(cohd_format_http_date(http, t), "Sun, 30 Aug 2015 12:36:00 GMT");
	ck_assert_str_eq(cohd_format_iso8601(iso, 0, false), "1970-01-01T00:00:00Z");
}
END_TEST

START_TEST(test_time_parse)
{
	usec_t t, ref = 1440938160 * USEC_PER_SEC;

	ck_assert_int_eq(cohd_parse_iso8601("2015-08-30T12:36:00Z", &t), 0);
	ck_assert_uint_eq(t, ref);
	ck_assert_int_eq(cohd_parse_iso8601("20150830T123600Z", &t), 0);
	ck_assert_uint_eq(t, ref);
	ck_assert_int_eq(cohd_parse_iso8601("2015-08-30T12:36:00.5Z", &t), 0);
	ck_assert_uint_eq(t, ref + 500000);
	ck_assert_int_eq(cohd_parse_iso8601("2015-08-30T12:36:00.123456789Z", &t), 0);
	ck_assert_uint_eq(t, ref + 123456);
	ck_assert_int_eq(cohd_parse_iso8601("2015-08-30T14:36:00+02:00", &t), 0);
	ck_assert_uint_eq(t, ref);
	ck_assert_int_eq(cohd_parse_iso8601("2015-08-30T07:36:00-0500", &t), 0);
	ck_assert_uint_eq(t, ref);
	ck_assert_int_eq(cohd_parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT", &t), 0);
	ck_assert_uint_eq(t, ref);
	ck_assert_int_eq(cohd_parse_http_date("Sunday, 30-Aug-15 12:36:00 GMT", &t), 0);
	ck_assert_uint_eq(t, ref);

	ck_assert_int_eq(cohd_parse_iso8601("2015-08-30T12:36:00", &t), -EINVAL); /* no zone */
	ck_assert_int_eq(cohd_parse_iso8601("2015-13-30T12:36:00Z", &t), -EINVAL);
	ck_assert_int_eq(cohd_parse_iso8601("2015-08-30T12:36:00Zjunk", &t), -EINVAL);
	ck_assert_int_eq(cohd_parse_iso8601("2015-08-30T12:36:00.Z", &t), -EINVAL);
	ck_assert_int_eq(cohd_parse_iso8601("", &t), -EINVAL);
	ck_assert_int_eq(cohd_parse_iso8601(NULL, &t), -EINVAL);
	ck_assert_int_eq(cohd_parse_http_date("yesterday", &t), -EINVAL);
}
END_TEST

START_TEST(test_time_clocks)
{
	usec_t a = cohd_now_monotonic(), b = cohd_now_monotonic();

	ck_assert_uint_ge(b, a);
	ck_assert_uint_gt(cohd_now_realtime(), 1700000000 * USEC_PER_SEC);
}
END_TEST

/* Run f with stderr sent to a temporary file; return what it wrote. */
static char *capture_stderr(void (*f)(void))
{
	char path[] = "/tmp/cohd-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	char *out;

	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	f();
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	close(fd);
	out = test_read_file(path, NULL);
	unlink(path);
	return out;
}

static int log_result;
static void log_some(void)
{
	struct cohd_log_fields f = { .app = "shop.pr-1", .resource = "ec2.vpc.main",
				     .request_id = "req-1" };

	unsetenv("JOURNAL_STREAM");
	cohd_log_set_target(COHD_LOG_TARGET_AUTO);
	cohd_log_set_max_level(LOG_NOTICE);
	log_info(AWS, "hidden at notice level");
	log_notice(MAIN, "starting %d apps", 3);
	log_result = log_error_errno(AWS, -ENOENT, "open failed: %m");
	log_full_errno_fields(LOG_WARNING, RECONCILE, 0, &f, "drift on %s", "CidrBlock");
	cohd_log_set_group_debug(COHD_LOG_AWS, true);
	log_debug(AWS, "now visible");
	log_debug(STORE, "still hidden");
	cohd_log_set_group_debug(COHD_LOG_AWS, false);
}

START_TEST(test_log_stderr)
{
	_cleanup_free_ char *out = capture_stderr(log_some);

	ck_assert_int_eq(log_result, -ENOENT);
	ck_assert_str_eq(out, "<5>[main] starting 3 apps\n"
			      "<3>[aws] open failed: No such file or directory\n"
			      "<4>[reconcile] shop.pr-1: ec2.vpc.main: drift on CidrBlock (request id req-1)\n"
			      "<7>[aws] now visible\n");
}
END_TEST

START_TEST(test_log_names)
{
	ck_assert_int_eq(cohd_log_level_from_string("debug"), LOG_DEBUG);
	ck_assert_int_eq(cohd_log_level_from_string("error"), LOG_ERR);
	ck_assert_int_eq(cohd_log_level_from_string("4"), LOG_WARNING);
	ck_assert_int_eq(cohd_log_level_from_string("loud"), -EINVAL);
	ck_assert_str_eq(cohd_log_level_to_string(LOG_NOTICE), "notice");
	ck_assert_int_eq(cohd_log_group_from_string("reconcile"), COHD_LOG_RECONCILE);
	ck_assert_int_eq(cohd_log_group_from_string("nope"), -EINVAL);
	/* the errno-returning form stays negative whichever sign it is given */
	cohd_log_set_max_level(LOG_ERR);
	ck_assert_int_eq(log_debug_errno(MAIN, EIO, "x"), -EIO);
	ck_assert_int_eq(log_debug_errno(MAIN, -EIO, "x"), -EIO);
}
END_TEST

START_TEST(test_error_detail)
{
	struct cohd_error e = { 0 };

	ck_assert_int_eq(cohd_error_set(NULL, -EINVAL, "ignored"), -EINVAL);
	ck_assert_str_eq(cohd_error_str(&e), strerror(EIO));
	ck_assert_int_eq(cohd_error_set(&e, -EINVAL, "bad %s", "cpu"), -EINVAL);
	ck_assert_int_eq(e.code, -EINVAL);
	ck_assert_str_eq(cohd_error_str(&e), "bad cpu");
	ck_assert_int_eq(cohd_error_set(&e, -ENOENT, "second"), -ENOENT);
	ck_assert_str_eq(e.message, "second");
	cohd_error_done(&e);
	ck_assert_ptr_null(e.message);
	cohd_error_done(&e);
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc;

	tc = tcase_create("cleanup");
	tcase_add_test(tc, test_cleanup_and_take);
	suite_add_tcase(s, tc);
	tc = tcase_create("buf");
	tcase_add_test(tc, test_buf_cap);
	tcase_add_test(tc, test_buf_grow_and_steal);
	suite_add_tcase(s, tc);
	tc = tcase_create("time");
	tcase_add_test(tc, test_time_format);
	tcase_add_test(tc, test_time_parse);
	tcase_add_test(tc, test_time_clocks);
	suite_add_tcase(s, tc);
	tc = tcase_create("log");
	tcase_add_test(tc, test_log_stderr);
	tcase_add_test(tc, test_log_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("error");
	tcase_add_test(tc, test_error_detail);
	suite_add_tcase(s, tc);
	return s;
}

COHD_TEST_MAIN(util_suite)
