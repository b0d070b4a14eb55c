/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for lib/aws/error: the one classifier every AWS failure goes through. */
#include "lib/aws/error.h"
#include "test.h"

START_TEST(test_classify_codes)
{
	static const struct {
		const char *code;
		int status;
		const char *message;
		enum cohd_aws_error_class class;
	} cases[] = {
		{ "RequestLimitExceeded", 503, NULL, COHD_AWS_ERROR_THROTTLING },
		{ "Throttling", 400, "Rate exceeded", COHD_AWS_ERROR_THROTTLING },
		{ "ThrottlingException", 400, NULL, COHD_AWS_ERROR_THROTTLING },
		{ "SlowDown", 503, NULL, COHD_AWS_ERROR_THROTTLING },
		{ "TooManyRequestsException", 429, NULL, COHD_AWS_ERROR_THROTTLING },
		{ "PriorRequestNotComplete", 400, NULL, COHD_AWS_ERROR_THROTTLING },
		{ "InternalError", 500, NULL, COHD_AWS_ERROR_TRANSIENT },
		{ "ServiceUnavailable", 503, NULL, COHD_AWS_ERROR_TRANSIENT },
		{ "RequestTimeTooSkewed", 403, NULL, COHD_AWS_ERROR_CLOCK_SKEW },
		{ "RequestExpired", 400, NULL, COHD_AWS_ERROR_CLOCK_SKEW },
		{ "InvalidSignatureException", 400, "Signature expired: 20150830T123600Z is now earlier",
		  COHD_AWS_ERROR_CLOCK_SKEW },
		{ "SignatureDoesNotMatch", 403, "The request signature we calculated does not match",
		  COHD_AWS_ERROR_AUTH },
		{ "ExpiredToken", 400, NULL, COHD_AWS_ERROR_EXPIRED_TOKEN },
		{ "AccessDenied", 403, NULL, COHD_AWS_ERROR_AUTH },
		{ "UnauthorizedOperation", 403, NULL, COHD_AWS_ERROR_AUTH },
		{ "ValidationError", 400, NULL, COHD_AWS_ERROR_VALIDATION },
		{ "InvalidParameterValue", 400, NULL, COHD_AWS_ERROR_VALIDATION },
		{ "InvalidVpcID.NotFound", 400, NULL, COHD_AWS_ERROR_NOT_FOUND },
		{ "DBInstanceNotFound", 404, NULL, COHD_AWS_ERROR_NOT_FOUND },
		{ "DBClusterNotFoundFault", 404, NULL, COHD_AWS_ERROR_NOT_FOUND },
		{ "ServiceNotFoundException", 400, NULL, COHD_AWS_ERROR_NOT_FOUND },
		{ "NoSuchEntity", 404, NULL, COHD_AWS_ERROR_NOT_FOUND },
		{ "NoSuchBucket", 404, NULL, COHD_AWS_ERROR_NOT_FOUND },
		{ "EntityAlreadyExists", 409, NULL, COHD_AWS_ERROR_ALREADY_EXISTS },
		{ "InvalidPermission.Duplicate", 400, NULL, COHD_AWS_ERROR_ALREADY_EXISTS },
		{ "DependencyViolation", 400, NULL, COHD_AWS_ERROR_CONFLICT },
		{ "DeleteConflict", 409, NULL, COHD_AWS_ERROR_CONFLICT },
		{ "SomethingNew", 400, NULL, COHD_AWS_ERROR_OTHER },
		/* no code at all: decided by the status */
		{ NULL, 429, NULL, COHD_AWS_ERROR_THROTTLING },
		{ NULL, 502, NULL, COHD_AWS_ERROR_TRANSIENT },
		{ "", 404, NULL, COHD_AWS_ERROR_NOT_FOUND },
		{ NULL, 403, NULL, COHD_AWS_ERROR_AUTH },
		{ NULL, 400, NULL, COHD_AWS_ERROR_OTHER },
		/* an unknown code on a 5xx is still transient */
		{ "Weird", 503, NULL, COHD_AWS_ERROR_TRANSIENT },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		ck_assert_msg(cohd_aws_error_classify(cases[i].code, cases[i].status,
						      cases[i].message) == cases[i].class,
			      "%s/%d: got %s, want %s", strempty(cases[i].code), cases[i].status,
			      cohd_aws_error_class_to_string(cohd_aws_error_classify(
				      cases[i].code, cases[i].status, cases[i].message)),
			      cohd_aws_error_class_to_string(cases[i].class));
}
END_TEST

START_TEST(test_retryable_and_format)
{
	struct cohd_aws_error e = { .http_status = 400 };
	_cleanup_free_ char *s = NULL, *t = NULL;

	e.code = strdup("ThrottlingException");
	e.message = strdup("Rate exceeded");
	e.request_id = strdup("abc-123");
	e.class = cohd_aws_error_classify(e.code, e.http_status, e.message);
	ck_assert(cohd_aws_error_retryable(&e));
	s = cohd_aws_error_format(&e);
	ck_assert_str_eq(s, "ThrottlingException: Rate exceeded (HTTP 400, request id abc-123)");

	ck_assert_int_eq(cohd_aws_error_transport(&e, -ETIMEDOUT, "Operation timed out"), -ETIMEDOUT);
	ck_assert_ptr_null(e.code);
	ck_assert_int_eq(e.class, COHD_AWS_ERROR_TRANSIENT);
	ck_assert(cohd_aws_error_retryable(&e));
	t = cohd_aws_error_format(&e);
	ck_assert_str_eq(t, "Operation timed out (no response)");

	cohd_aws_error_done(&e);
	ck_assert_ptr_null(e.message);
	e.class = COHD_AWS_ERROR_AUTH;
	ck_assert(!cohd_aws_error_retryable(&e));
	cohd_aws_error_done(NULL);
}
END_TEST

static Suite *aws_error_suite(void)
{
	Suite *s = suite_create("aws_error");
	TCase *tc = tcase_create("classify");

	tcase_add_test(tc, test_classify_codes);
	tcase_add_test(tc, test_retryable_and_format);
	suite_add_tcase(s, tc);
	return s;
}

COHD_TEST_MAIN(aws_error_suite)
