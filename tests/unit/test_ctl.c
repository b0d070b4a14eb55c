/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for lib/ctl: framing with a cap, request and response round trips. */
#include "lib/ctl/ctl.h"
#include "test.h"

START_TEST(test_reader_framing)
{
	/* two messages split across reads, then a bad one, then one of another version */
	const char *part1 = "{\"v\":1,\"a\":";
	const char *part2 = "1}\n{\"v\":1,\"a\":2}\nnot json\n{\"v\":2}\n";
	struct cohd_ctl_reader r;
	struct cohd_error e = { 0 };
	json_t *m = NULL;

	cohd_ctl_reader_init(&r);
	ck_assert_int_eq(cohd_ctl_reader_next(&r, &m, &e), 0);
	ck_assert_int_eq(cohd_ctl_reader_feed(&r, part1, strlen(part1)), 0);
	ck_assert_int_eq(cohd_ctl_reader_next(&r, &m, &e), 0);
	ck_assert_int_eq(cohd_ctl_reader_feed(&r, part2, strlen(part2)), 0);
	ck_assert_int_eq(cohd_ctl_reader_next(&r, &m, &e), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "a")), 1);
	json_decref(m);
	ck_assert_int_eq(cohd_ctl_reader_next(&r, &m, &e), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "a")), 2);
	json_decref(m);
	ck_assert_int_eq(cohd_ctl_reader_next(&r, &m, &e), -EBADMSG);
	ck_assert_int_eq(cohd_ctl_reader_next(&r, &m, &e), -EBADMSG); /* wrong version */
	ck_assert_ptr_nonnull(strstr(cohd_error_str(&e), "version 1"));
	ck_assert_int_eq(cohd_ctl_reader_next(&r, &m, &e), 0);
	cohd_error_done(&e);
	cohd_ctl_reader_done(&r);
}
END_TEST

START_TEST(test_reader_cap)
{
	struct cohd_ctl_reader r;
	_cleanup_free_ char *big = malloc(COHD_CTL_MAX_LINE + 2);

	memset(big, 'x', COHD_CTL_MAX_LINE + 1);
	cohd_ctl_reader_init(&r);
	/* an unterminated line longer than the cap is refused at once, without a newline */
	ck_assert_int_eq(cohd_ctl_reader_feed(&r, big, COHD_CTL_MAX_LINE + 1), -EMSGSIZE);
	cohd_ctl_reader_done(&r);
}
END_TEST

START_TEST(test_request_roundtrip)
{
	struct cohd_ctl_reader r;
	struct cohd_ctl_request req;
	struct cohd_error e = { 0 };
	json_auto_t *args = json_pack("{s:b}", "follow", 1);
	json_auto_t *m = cohd_ctl_request_new(COHD_CTL_EVENTS, "shop.pr-1", args);
	json_auto_t *got = NULL, *bare = NULL, *bad = NULL;
	_cleanup_free_ char *line = cohd_ctl_format(m);

	ck_assert_str_eq(line, "{\"args\":{\"follow\":true},\"command\":\"events\",\"target\":\"shop.pr-1\",\"v\":1}\n");
	cohd_ctl_reader_init(&r);
	ck_assert_int_eq(cohd_ctl_reader_feed(&r, line, strlen(line)), 0);
	ck_assert_int_eq(cohd_ctl_reader_next(&r, &got, &e), 1);
	ck_assert_int_eq(cohd_ctl_request_parse(got, &req, &e), 0);
	ck_assert_int_eq(req.command, COHD_CTL_EVENTS);
	ck_assert_str_eq(req.target, "shop.pr-1");
	ck_assert(json_is_true(json_object_get(req.args, "follow")));
	cohd_ctl_reader_done(&r);

	bare = cohd_ctl_request_new(COHD_CTL_METRICS, NULL, NULL);
	ck_assert_int_eq(cohd_ctl_request_parse(bare, &req, &e), 0);
	ck_assert(json_is_object(req.args));
	ck_assert(!cohd_ctl_command_mutates(COHD_CTL_METRICS));
	ck_assert(cohd_ctl_command_mutates(COHD_CTL_DELETE));

	bad = cohd_ctl_request_new(COHD_CTL_RECONCILE, NULL, NULL);
	ck_assert_int_eq(cohd_ctl_request_parse(bad, &req, &e), -EINVAL);
	ck_assert_str_eq(cohd_error_str(&e), "\"reconcile\" needs a target APP.ENV");
	json_object_set_new(bad, "command", json_string("explode"));
	ck_assert_int_eq(cohd_ctl_request_parse(bad, &req, &e), -EINVAL);
	ck_assert_str_eq(cohd_error_str(&e), "unknown command \"explode\"");
	cohd_error_done(&e);
}
END_TEST

START_TEST(test_response)
{
	json_auto_t *result = json_pack("{s:[]}", "apps");
	json_auto_t *ok = cohd_ctl_response_ok(result);
	json_auto_t *err = cohd_ctl_response_error("not-found", "no app environment %s", "x.y");
	struct cohd_error e = { 0 };
	const char *code = NULL;
	json_t *got;

	ck_assert_int_eq(cohd_ctl_response_parse(ok, &got, &code, &e), 0);
	ck_assert(json_equal(got, result));
	ck_assert_int_eq(cohd_ctl_response_parse(err, &got, &code, &e), -EREMOTEIO);
	ck_assert_str_eq(code, "not-found");
	ck_assert_str_eq(cohd_error_str(&e), "no app environment x.y");
	json_object_del(err, "ok");
	ck_assert_int_eq(cohd_ctl_response_parse(err, &got, &code, &e), -EBADMSG);
	cohd_error_done(&e);
}
END_TEST

static Suite *ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_reader_framing);
	tcase_add_test(tc, test_reader_cap);
	tcase_add_test(tc, test_request_roundtrip);
	tcase_add_test(tc, test_response);
	suite_add_tcase(s, tc);
	return s;
}

COHD_TEST_MAIN(ctl_suite)
