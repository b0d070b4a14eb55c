/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for lib/aws/retry: the standard retry mode (retry.h: backoff bounds, attempts,
 * per-class decisions, retry quota exhaustion and refunds, retry-after, deadlines) and the
 * client-side budgets (budget.h: burst then refill rate, share, categories, and never more than
 * the bucket allows over any window).
 */
#include <math.h>

#include "lib/aws/retry/budget.h"
#include "lib/aws/retry/retry.h"
#include "test.h"

static double fixed_random(void *userdata)
{
	return *(double *)userdata;
}

static struct cohd_aws_retry *make_retry(double *rnd)
{
	struct cohd_aws_retry_config c;

	cohd_aws_retry_config_init(&c);
	if (rnd) {
		c.random = fixed_random;
		c.random_userdata = rnd;
	}
	return cohd_aws_retry_new(&c);
}

static struct cohd_aws_error err_of(enum cohd_aws_error_class class, int status)
{
	return (struct cohd_aws_error){ .class = class, .http_status = status };
}

START_TEST(test_config)
{
	struct cohd_aws_retry_config c;

	cohd_aws_retry_config_init(&c);
	ck_assert_uint_eq(c.max_attempts, 3);
	ck_assert_uint_eq(c.base_transient, 50 * USEC_PER_MSEC);
	ck_assert_uint_eq(c.base_throttling, USEC_PER_SEC);
	ck_assert_uint_eq(c.max_backoff, 20 * USEC_PER_SEC);
	ck_assert_uint_eq(c.quota_max, 500);
	ck_assert_uint_eq(c.cost_retry, 5);
	ck_assert_uint_eq(c.cost_timeout, 10);
	ck_assert_uint_eq(c.refund_success, 1);
	ck_assert_int_eq(cohd_aws_retry_config_set_max_attempts(&c, NULL), 0);
	ck_assert_int_eq(cohd_aws_retry_config_set_max_attempts(&c, "25"), 0);
	ck_assert_uint_eq(c.max_attempts, 25);
	ck_assert_int_eq(cohd_aws_retry_config_set_max_attempts(&c, "0"), -EINVAL);
	ck_assert_int_eq(cohd_aws_retry_config_set_max_attempts(&c, "-1"), -EINVAL);
	ck_assert_int_eq(cohd_aws_retry_config_set_max_attempts(&c, "3x"), -EINVAL);
	ck_assert_int_eq(cohd_aws_retry_config_set_max_attempts(&c, "1000"), -EINVAL);
	ck_assert_uint_eq(c.max_attempts, 25);
}
END_TEST

START_TEST(test_backoff_bounds)
{
	double one = nextafter(1.0, 0.0), zero = 0.0;
	_cleanup_(cohd_aws_retry_freep) struct cohd_aws_retry *hi = make_retry(&one);
	_cleanup_(cohd_aws_retry_freep) struct cohd_aws_retry *lo = make_retry(&zero);
	_cleanup_(cohd_aws_retry_freep) struct cohd_aws_retry *rnd = make_retry(NULL);

	/* upper bound: base * 2^(n-1), capped at 20 s */
	ck_assert_uint_le(cohd_aws_retry_backoff(hi, COHD_AWS_ERROR_TRANSIENT, 1), 50000);
	ck_assert_uint_ge(cohd_aws_retry_backoff(hi, COHD_AWS_ERROR_TRANSIENT, 1), 49999);
	ck_assert_uint_ge(cohd_aws_retry_backoff(hi, COHD_AWS_ERROR_TRANSIENT, 3), 199999);
	ck_assert_uint_le(cohd_aws_retry_backoff(hi, COHD_AWS_ERROR_TRANSIENT, 3), 200000);
	ck_assert_uint_ge(cohd_aws_retry_backoff(hi, COHD_AWS_ERROR_THROTTLING, 1), 999999);
	ck_assert_uint_le(cohd_aws_retry_backoff(hi, COHD_AWS_ERROR_THROTTLING, 5), 16000000);
	ck_assert_uint_ge(cohd_aws_retry_backoff(hi, COHD_AWS_ERROR_THROTTLING, 5), 15999999);
	ck_assert_uint_le(cohd_aws_retry_backoff(hi, COHD_AWS_ERROR_THROTTLING, 6), 20000000);
	ck_assert_uint_le(cohd_aws_retry_backoff(hi, COHD_AWS_ERROR_THROTTLING, 1000), 20000000);
	ck_assert_uint_ge(cohd_aws_retry_backoff(hi, COHD_AWS_ERROR_THROTTLING, 1000), 19999999);
	ck_assert_uint_eq(cohd_aws_retry_backoff(lo, COHD_AWS_ERROR_THROTTLING, 4), 0);
	/* the default random source stays in [0, cap) and is not constant */
	{
		usec_t min = USEC_INFINITY, max = 0;

		for (int i = 0; i < 1000; i++) {
			usec_t d = cohd_aws_retry_backoff(rnd, COHD_AWS_ERROR_THROTTLING, 2);

			ck_assert_uint_lt(d, 2000000);
			min = MIN(min, d);
			max = MAX(max, d);
		}
		ck_assert_uint_lt(min, 200000);
		ck_assert_uint_gt(max, 1800000);
	}
}
END_TEST

START_TEST(test_attempts_and_classes)
{
	double half = 0.5;
	_cleanup_(cohd_aws_retry_freep) struct cohd_aws_retry *r = make_retry(&half);
	struct cohd_aws_retry_attempt a;
	struct cohd_aws_error e;
	usec_t d = 12345;

	/* throttling: 3 attempts in total */
	cohd_aws_retry_attempt_init(&a, "ec2.eu-west-1", 0);
	e = err_of(COHD_AWS_ERROR_THROTTLING, 400);
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &e, 0, &d), 1);
	ck_assert_uint_eq(d, 500000); /* 0.5 * 1000 ms */
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &e, 0, &d), 1);
	ck_assert_uint_eq(d, 1000000); /* 0.5 * 2000 ms */
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &e, 0, &d), 0);

	/* transient: base 50 ms */
	cohd_aws_retry_attempt_init(&a, "ec2.eu-west-1", 0);
	e = err_of(COHD_AWS_ERROR_TRANSIENT, 503);
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &e, 0, &d), 1);
	ck_assert_uint_eq(d, 25000);

	/* never retried */
	{
		static const enum cohd_aws_error_class never[] = {
			COHD_AWS_ERROR_AUTH,      COHD_AWS_ERROR_VALIDATION,
			COHD_AWS_ERROR_OTHER,     COHD_AWS_ERROR_NOT_FOUND,
			COHD_AWS_ERROR_CONFLICT,  COHD_AWS_ERROR_ALREADY_EXISTS,
		};

		for (size_t i = 0; i < ELEMENTSOF(never); i++) {
			cohd_aws_retry_attempt_init(&a, "p", 0);
			e = err_of(never[i], 400);
			ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &e, 0, &d), 0);
		}
	}

	/* clock skew and expired token: exactly once each, immediately, free */
	cohd_aws_retry_attempt_init(&a, "free", 0);
	e = err_of(COHD_AWS_ERROR_CLOCK_SKEW, 403);
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &e, 0, &d), 1);
	ck_assert_uint_eq(d, 0);
	e = err_of(COHD_AWS_ERROR_EXPIRED_TOKEN, 400);
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &e, 0, &d), 1);
	ck_assert_uint_eq(d, 0);
	ck_assert_uint_eq(cohd_aws_retry_quota_available(r, "free"), 500);
	/* third attempt failed: out of attempts anyway */
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &e, 0, &d), 0);
	cohd_aws_retry_attempt_init(&a, "free", 0);
	e = err_of(COHD_AWS_ERROR_CLOCK_SKEW, 403);
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &e, 0, &d), 1);
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &e, 0, &d), 0); /* not twice */
}
END_TEST

START_TEST(test_max_attempts_one)
{
	struct cohd_aws_retry_config c;
	_cleanup_(cohd_aws_retry_freep) struct cohd_aws_retry *r = NULL;
	struct cohd_aws_retry_attempt a;
	struct cohd_aws_error e = err_of(COHD_AWS_ERROR_THROTTLING, 400);
	usec_t d;

	cohd_aws_retry_config_init(&c);
	ck_assert_int_eq(cohd_aws_retry_config_set_max_attempts(&c, "1"), 0);
	r = cohd_aws_retry_new(&c);
	cohd_aws_retry_attempt_init(&a, NULL, 0);
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &e, 0, &d), 0);
	c.max_attempts = 0;
	ck_assert_ptr_null(cohd_aws_retry_new(&c));
}
END_TEST

START_TEST(test_quota)
{
	double zero = 0.0;
	_cleanup_(cohd_aws_retry_freep) struct cohd_aws_retry *r = make_retry(&zero);
	struct cohd_aws_retry_attempt a;
	struct cohd_aws_error thr = err_of(COHD_AWS_ERROR_THROTTLING, 400);
	struct cohd_aws_error timeout = err_of(COHD_AWS_ERROR_TRANSIENT, 0);
	usec_t d;
	int granted = 0;

	/* 500 tokens, 5 per throttling retry: exactly 100 retries, then refused */
	for (int i = 0; i < 150; i++) {
		cohd_aws_retry_attempt_init(&a, "ecs", 0);
		if (cohd_aws_retry_decide(r, &a, &thr, 0, &d) == 1)
			granted++;
	}
	ck_assert_int_eq(granted, 100);
	ck_assert_uint_eq(cohd_aws_retry_quota_available(r, "ecs"), 0);
	/* other partitions are independent */
	ck_assert_uint_eq(cohd_aws_retry_quota_available(r, "ec2"), 500);
	cohd_aws_retry_attempt_init(&a, "ec2", 0);
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &timeout, 0, &d), 1);
	ck_assert_uint_eq(cohd_aws_retry_quota_available(r, "ec2"), 490); /* timeouts cost 10 */
	/* a successful retry refunds its cost */
	cohd_aws_retry_success(r, &a);
	ck_assert_uint_eq(cohd_aws_retry_quota_available(r, "ec2"), 500);

	/* exhausted partition: first-attempt successes refund 1 each */
	cohd_aws_retry_attempt_init(&a, "ecs", 0);
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &thr, 0, &d), 0);
	for (int i = 0; i < 4; i++) {
		cohd_aws_retry_attempt_init(&a, "ecs", 0);
		cohd_aws_retry_success(r, &a);
	}
	ck_assert_uint_eq(cohd_aws_retry_quota_available(r, "ecs"), 4);
	cohd_aws_retry_attempt_init(&a, "ecs", 0);
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &thr, 0, &d), 0); /* 4 < 5 */
	cohd_aws_retry_success(r, &a);
	ck_assert_uint_eq(cohd_aws_retry_quota_available(r, "ecs"), 5);
	cohd_aws_retry_attempt_init(&a, "ecs", 0);
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &thr, 0, &d), 1);
	ck_assert_uint_eq(cohd_aws_retry_quota_available(r, "ecs"), 0);
	/* refunds never exceed the maximum */
	for (int i = 0; i < 1000; i++) {
		cohd_aws_retry_attempt_init(&a, "ecs", 0);
		cohd_aws_retry_success(r, &a);
	}
	ck_assert_uint_eq(cohd_aws_retry_quota_available(r, "ecs"), 500);
}
END_TEST

START_TEST(test_retry_after_and_deadline)
{
	double small = 0.1;
	_cleanup_(cohd_aws_retry_freep) struct cohd_aws_retry *r = make_retry(&small);
	struct cohd_aws_retry_attempt a;
	struct cohd_aws_error e = err_of(COHD_AWS_ERROR_THROTTLING, 429);
	usec_t d;

	/* retry-after longer than the backoff wins */
	e.retry_after = 3 * USEC_PER_SEC;
	cohd_aws_retry_attempt_init(&a, "p", 0);
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &e, 0, &d), 1);
	ck_assert_uint_eq(d, 3 * USEC_PER_SEC);
	/* shorter than the backoff: the backoff stays */
	e.retry_after = 1;
	cohd_aws_retry_attempt_init(&a, "p", 0);
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &e, 0, &d), 1);
	ck_assert_uint_eq(d, 100000);
	/* absurd values are capped at 20 s */
	e.retry_after = 3600 * USEC_PER_SEC;
	cohd_aws_retry_attempt_init(&a, "p", 0);
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &e, 0, &d), 1);
	ck_assert_uint_eq(d, 20 * USEC_PER_SEC);
	/* deadline: no retry that would end after it */
	e.retry_after = 3 * USEC_PER_SEC;
	cohd_aws_retry_attempt_init(&a, "p", 1000 * USEC_PER_SEC + 2 * USEC_PER_SEC);
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &e, 1000 * USEC_PER_SEC, &d), 0);
	cohd_aws_retry_attempt_init(&a, "p", 1000 * USEC_PER_SEC + 4 * USEC_PER_SEC);
	ck_assert_int_eq(cohd_aws_retry_decide(r, &a, &e, 1000 * USEC_PER_SEC, &d), 1);
	/* a refused retry costs nothing */
	ck_assert_uint_eq(cohd_aws_retry_quota_available(r, "p"), 500 - 4 * 5);
}
END_TEST

/* ---- budget ---- */

START_TEST(test_categories)
{
	static const struct {
		const char *service, *op, *cat;
	} t[] = {
		{ "ec2", "DescribeVpcs", "ec2:describe" },
		{ "ec2", "DescribeSubnets", "ec2:describe" },
		{ "ec2", "GetConsoleOutput", "ec2:describe" },
		{ "ec2", "DescribeInstances", "ec2:describe-unfiltered" },
		{ "ec2", "CreateVpc", "ec2:mutate" },
		{ "ec2", "RunInstances", "ec2:mutate" },
		{ "ec2", "TerminateInstances", "ec2:mutate" },
		{ "ec2", "CreateTags", "ec2:tags" },
		{ "ec2", "AuthorizeSecurityGroupIngress", "ec2:resource-intensive" },
		{ "ec2", "CreateVpcEndpoint", "ec2:vpc-endpoint" },
		{ "ecs", "DescribeServices", "ecs:service-read" },
		{ "ecs", "UpdateService", "ecs:service-modify" },
		{ "ecs", "ListClusters", "ecs:cluster-read" },
		{ "ecs", "RegisterTaskDefinition", "ecs:task-definition-modify" },
		{ "ecs", "RunTask", "ecs:default" },
		{ "elasticloadbalancing", "DescribeTargetHealth", "elbv2:describe" },
		{ "elasticloadbalancing", "CreateListener", "elasticloadbalancing:default" },
		{ "route53", "ChangeResourceRecordSets", "route53:account" },
		{ "route53", "CreateHostedZone", "route53:create-hosted-zone" },
		{ "secretsmanager", "GetSecretValue", "secretsmanager:get-secret-value" },
		{ "secretsmanager", "PutSecretValue", "secretsmanager:write" },
		{ "iam", "GetRole", "iam:default" },
		{ "iam", "CreateRole", "iam:default" },
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		const struct cohd_aws_budget_category *c =
			cohd_aws_budget_category_for(t[i].service, t[i].op);

		ck_assert_ptr_nonnull(c);
		ck_assert_msg(streq(c->name, t[i].cat), "%s %s -> %s", t[i].service, t[i].op,
			      c->name);
		ck_assert_ptr_eq(cohd_aws_budget_category_by_name(c->name), c);
	}
	ck_assert(cohd_aws_budget_category_by_name("ec2:describe")->published);
	ck_assert_double_eq(cohd_aws_budget_category_by_name("ec2:describe")->burst, 100);
	ck_assert_double_eq(cohd_aws_budget_category_by_name("ec2:describe")->refill, 20);
	ck_assert(!cohd_aws_budget_category_by_name("iam:default")->published);
	/* the same default category object every time */
	ck_assert_ptr_eq(cohd_aws_budget_category_for("iam", "X"),
			 cohd_aws_budget_category_for("iam", "Y"));
	ck_assert_ptr_null(cohd_aws_budget_category_by_name("nope:nothing"));
}
END_TEST

START_TEST(test_burst_then_refill)
{
	_cleanup_(cohd_aws_budget_freep) struct cohd_aws_budget *b = cohd_aws_budget_new(0.5);
	struct cohd_aws_budget_key k = { "123456789012", "eu-west-1", "ec2:describe" };
	usec_t now = 1000 * USEC_PER_SEC, wait = 1;
	int taken = 0;

	/* share 0.5 of 100 burst: 50 immediately */
	ck_assert_double_eq(cohd_aws_budget_available(b, &k, now), 50);
	for (int i = 0; i < 60; i++) {
		ck_assert_int_eq(cohd_aws_budget_take(b, &k, now, &wait), 0);
		if (wait == 0)
			taken++;
	}
	ck_assert_int_eq(taken, 50);
	/* refill 0.5 * 20 = 10/s: next token in 100 ms */
	ck_assert_int_eq(cohd_aws_budget_take(b, &k, now, &wait), 0);
	ck_assert_uint_eq(wait, 100000);
	ck_assert_int_eq(cohd_aws_budget_take(b, &k, now + 99999, &wait), 0);
	ck_assert_uint_gt(wait, 0);
	ck_assert_int_eq(cohd_aws_budget_take(b, &k, now + 100000, &wait), 0);
	ck_assert_uint_eq(wait, 0);
	/* other regions / accounts / categories are separate buckets */
	k.region = "us-east-1";
	ck_assert_int_eq(cohd_aws_budget_take(b, &k, now, &wait), 0);
	ck_assert_uint_eq(wait, 0);
	k.region = "eu-west-1";
	k.account = "210987654321";
	ck_assert_int_eq(cohd_aws_budget_take(b, &k, now, &wait), 0);
	ck_assert_uint_eq(wait, 0);
	/* refund */
	k.account = "123456789012";
	ck_assert_int_eq(cohd_aws_budget_take(b, &k, now + 100000, &wait), 0);
	ck_assert_uint_gt(wait, 0);
	cohd_aws_budget_refund(b, &k);
	ck_assert_int_eq(cohd_aws_budget_take(b, &k, now + 100000, &wait), 0);
	ck_assert_uint_eq(wait, 0);
	/* a default category by name, never looked up before */
	k.category = "kms:default";
	ck_assert_int_eq(cohd_aws_budget_take(b, &k, now, &wait), 0);
	ck_assert_uint_eq(wait, 0);
	ck_assert_double_eq(cohd_aws_budget_available(b, &k, now), 9); /* 0.5 * 20 - 1 */
	/* errors */
	k.category = ":default";
	ck_assert_int_eq(cohd_aws_budget_take(b, &k, now, &wait), -EINVAL);
	k.category = "nope";
	ck_assert_int_eq(cohd_aws_budget_take(b, &k, now, &wait), -EINVAL);
	ck_assert_ptr_null(cohd_aws_budget_new(0));
	ck_assert_ptr_null(cohd_aws_budget_new(1.5));
	ck_assert_ptr_null(cohd_aws_budget_new(NAN));
}
END_TEST

START_TEST(test_never_above_rate)
{
	/* Greedy caller on a slow bucket (ec2:vpc-endpoint 4 / 0.3 per s, share 1.0 -> burst 4):
	 * over any window of length T, tokens taken <= burst + rate * T. */
	_cleanup_(cohd_aws_budget_freep) struct cohd_aws_budget *b = cohd_aws_budget_new(1.0);
	struct cohd_aws_budget_key k = { NULL, "eu-west-1", "ec2:vpc-endpoint" };
	usec_t times[256], now = 5 * USEC_PER_SEC;
	size_t n = 0;

	while (n < ELEMENTSOF(times)) {
		usec_t wait;

		ck_assert_int_eq(cohd_aws_budget_take(b, &k, now, &wait), 0);
		if (wait == 0)
			times[n++] = now;
		else
			now += wait; /* sleep exactly as told */
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i; j < n; j++) {
			double window = (double)(times[j] - times[i]) / (double)USEC_PER_SEC;

			ck_assert_msg((double)(j - i + 1) <= 4 + 0.3 * window + 1e-6,
				      "%zu calls in %.3f s", j - i + 1, window);
		}
	/* and the rate is actually reached: 256 calls take about (256 - 4) / 0.3 s */
	ck_assert_uint_le((times[n - 1] - times[0]) / USEC_PER_SEC, 841);
	ck_assert_uint_ge((times[n - 1] - times[0]) / USEC_PER_SEC, 838);
}
END_TEST

START_TEST(test_share)
{
	_cleanup_(cohd_aws_budget_freep) struct cohd_aws_budget *b = cohd_aws_budget_new(0.25);
	struct cohd_aws_budget_key k = { "a", "r", "ecs:task-definition-modify" }; /* 20 / 1 */
	usec_t wait;

	ck_assert_double_eq(cohd_aws_budget_available(b, &k, 0), 5);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(cohd_aws_budget_take(b, &k, 0, &wait), 0);
		ck_assert_uint_eq(wait, 0);
	}
	ck_assert_int_eq(cohd_aws_budget_take(b, &k, 0, &wait), 0);
	ck_assert_uint_eq(wait, 4 * USEC_PER_SEC); /* 0.25 tokens/s */
	/* tiny buckets still hold one token */
	{
		_cleanup_(cohd_aws_budget_freep) struct cohd_aws_budget *t = cohd_aws_budget_new(0.1);
		struct cohd_aws_budget_key v = { "a", "r", "ec2:vpc-endpoint" }; /* 4 / 0.3 */

		ck_assert_double_eq(cohd_aws_budget_available(t, &v, 0), 1);
		ck_assert_int_eq(cohd_aws_budget_take(t, &v, 0, &wait), 0);
		ck_assert_uint_eq(wait, 0);
		ck_assert_int_eq(cohd_aws_budget_take(t, &v, 0, &wait), 0);
		ck_assert_uint_ge(wait, 33 * USEC_PER_SEC);
		ck_assert_uint_le(wait, 34 * USEC_PER_SEC);
	}
	/* time going backwards does not mint tokens */
	ck_assert_int_eq(cohd_aws_budget_take(b, &k, 0, &wait), 0);
	ck_assert_uint_gt(wait, 0);
}
END_TEST

static Suite *retry_suite(void)
{
	Suite *s = suite_create("retry");
	TCase *tc;

	tc = tcase_create("retry");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_backoff_bounds);
	tcase_add_test(tc, test_attempts_and_classes);
	tcase_add_test(tc, test_max_attempts_one);
	tcase_add_test(tc, test_quota);
	tcase_add_test(tc, test_retry_after_and_deadline);
	suite_add_tcase(s, tc);

	tc = tcase_create("budget");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_categories);
	tcase_add_test(tc, test_burst_then_refill);
	tcase_add_test(tc, test_never_above_rate);
	tcase_add_test(tc, test_share);
	suite_add_tcase(s, tc);
	return s;
}

COHD_TEST_MAIN(retry_suite)
