/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for lib/aws/client/endpoints: regional, global, partitions, env overrides. */
#include "lib/aws/client/endpoints.h"
#include "test.h"

static const char *fake_get(void *userdata, const char *name)
{
	for (char **e = userdata; *e; e++) {
		size_t n = strlen(name);

		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	}
	return NULL;
}

static struct cohd_aws_endpoint resolve(const char *prefix, const char *id, const char *region,
					char **envp)
{
	struct cohd_aws_env env = {fake_get, envp};
	struct cohd_aws_endpoint_params p = {
		.endpoint_prefix = prefix, .service_id = id, .region = region, .env = &env};
	struct cohd_aws_endpoint e = {};
	struct cohd_error err = {};

	ck_assert_msg(cohd_aws_endpoint_resolve(&p, &e, &err) == 0, "%s", cohd_error_str(&err));
	return e;
}

static char *none[] = {NULL};

START_TEST(test_regional)
{
	struct cohd_aws_endpoint e = resolve("ec2", "EC2", "eu-west-1", none);

	ck_assert_str_eq(e.url, "https://ec2.eu-west-1.amazonaws.com");
	ck_assert_str_eq(e.host, "ec2.eu-west-1.amazonaws.com");
	ck_assert_str_eq(e.signing_region, "eu-west-1");
	ck_assert_str_eq(e.partition, "aws");
	ck_assert(!e.global && !e.custom && !e.s3_path_style);
	cohd_aws_endpoint_done(&e);

	e = resolve("elasticloadbalancing", "Elastic Load Balancing v2", "ap-southeast-2", none);
	ck_assert_str_eq(e.url, "https://elasticloadbalancing.ap-southeast-2.amazonaws.com");
	cohd_aws_endpoint_done(&e);

	e = resolve("sts", "STS", "eu-central-1", none); /* regional STS by default */
	ck_assert_str_eq(e.url, "https://sts.eu-central-1.amazonaws.com");
	ck_assert_str_eq(e.signing_region, "eu-central-1");
	cohd_aws_endpoint_done(&e);
}
END_TEST

START_TEST(test_global)
{
	char *legacy[] = {"AWS_STS_REGIONAL_ENDPOINTS=legacy", NULL};
	struct cohd_aws_endpoint e = resolve("iam", "IAM", "eu-west-1", none);

	ck_assert_str_eq(e.url, "https://iam.amazonaws.com");
	ck_assert_str_eq(e.signing_region, "us-east-1");
	ck_assert(e.global);
	cohd_aws_endpoint_done(&e);

	e = resolve("route53", "Route 53", NULL, none);
	ck_assert_str_eq(e.url, "https://route53.amazonaws.com");
	ck_assert_str_eq(e.signing_region, "us-east-1");
	cohd_aws_endpoint_done(&e);

	e = resolve("cloudfront", "CloudFront", "ap-northeast-1", none);
	ck_assert_str_eq(e.url, "https://cloudfront.amazonaws.com");
	ck_assert_str_eq(e.signing_region, "us-east-1");
	cohd_aws_endpoint_done(&e);

	e = resolve("sts", "STS", "eu-west-1", legacy);
	ck_assert_str_eq(e.url, "https://sts.amazonaws.com");
	ck_assert_str_eq(e.signing_region, "us-east-1");
	cohd_aws_endpoint_done(&e);

	e = resolve("sts", "STS", "aws-global", none);
	ck_assert_str_eq(e.url, "https://sts.amazonaws.com");
	cohd_aws_endpoint_done(&e);
}
END_TEST

START_TEST(test_partitions)
{
	struct cohd_aws_endpoint e = resolve("ec2", "EC2", "cn-north-1", none);

	ck_assert_str_eq(e.url, "https://ec2.cn-north-1.amazonaws.com.cn");
	ck_assert_str_eq(e.partition, "aws-cn");
	cohd_aws_endpoint_done(&e);

	e = resolve("iam", "IAM", "cn-northwest-1", none);
	ck_assert_str_eq(e.url, "https://iam.cn-north-1.amazonaws.com.cn");
	ck_assert_str_eq(e.signing_region, "cn-north-1");
	cohd_aws_endpoint_done(&e);

	e = resolve("ecs", "ECS", "us-gov-west-1", none);
	ck_assert_str_eq(e.url, "https://ecs.us-gov-west-1.amazonaws.com");
	ck_assert_str_eq(e.partition, "aws-us-gov");
	cohd_aws_endpoint_done(&e);

	e = resolve("iam", "IAM", "us-gov-east-1", none);
	ck_assert_str_eq(e.url, "https://iam.us-gov.amazonaws.com");
	ck_assert_str_eq(e.signing_region, "us-gov-west-1");
	cohd_aws_endpoint_done(&e);

	e = resolve("route53", "Route 53", "cn-north-1", none);
	ck_assert_str_eq(e.url, "https://route53.amazonaws.com.cn");
	ck_assert_str_eq(e.signing_region, "cn-northwest-1");
	cohd_aws_endpoint_done(&e);
}
END_TEST

START_TEST(test_overrides)
{
	char *env[] = {"AWS_ENDPOINT_URL=http://127.0.0.1:4566/",
		       "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2=https://elb.test:8443/base/",
		       "AWS_ENDPOINT_URL_S3=http://localhost:9000", NULL};
	char *ignore[] = {"AWS_ENDPOINT_URL=http://127.0.0.1:4566",
			  "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true", NULL};
	struct cohd_aws_env fake = {fake_get, env};
	struct cohd_aws_endpoint e = resolve("ec2", "EC2", "eu-west-1", env);
	struct cohd_error err = {};
	_cleanup_free_ char *name = cohd_aws_endpoint_env_name("Elastic Load Balancing v2");

	ck_assert_str_eq(name, "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2");
	ck_assert_str_eq(e.url, "http://127.0.0.1:4566");
	ck_assert_str_eq(e.host, "127.0.0.1:4566");
	ck_assert_str_eq(e.signing_region, "eu-west-1");
	ck_assert(e.custom);
	cohd_aws_endpoint_done(&e);

	e = resolve("elasticloadbalancing", "Elastic Load Balancing v2", "eu-west-1", env);
	ck_assert_str_eq(e.url, "https://elb.test:8443/base");
	ck_assert_str_eq(e.host, "elb.test:8443");
	cohd_aws_endpoint_done(&e);

	e = resolve("s3", "S3", "eu-west-1", env);
	ck_assert_str_eq(e.url, "http://localhost:9000");
	ck_assert(e.s3_path_style);
	cohd_aws_endpoint_done(&e);

	e = resolve("iam", "IAM", "eu-west-1", env); /* global service, custom URL: us-east-1 */
	ck_assert_str_eq(e.url, "http://127.0.0.1:4566");
	ck_assert_str_eq(e.signing_region, "us-east-1");
	cohd_aws_endpoint_done(&e);

	e = resolve("ec2", "EC2", "eu-west-1", ignore);
	ck_assert_str_eq(e.url, "https://ec2.eu-west-1.amazonaws.com");
	cohd_aws_endpoint_done(&e);

	/* the explicit override wins over the environment */
	ck_assert_int_eq(
		cohd_aws_endpoint_resolve(
			&(struct cohd_aws_endpoint_params){.endpoint_prefix = "ec2",
							   .service_id = "EC2",
							   .region = "eu-west-1",
							   .env = &fake,
							   .endpoint_url = "https://x.example"},
			&e, NULL),
		0);
	ck_assert_str_eq(e.url, "https://x.example");
	cohd_aws_endpoint_done(&e);

	ck_assert_int_eq(cohd_aws_endpoint_resolve(
				 &(struct cohd_aws_endpoint_params){.endpoint_prefix = "ec2",
								    .region = "eu-west-1",
								    .endpoint_url = "ftp://x"},
				 &e, &err),
			 -EINVAL);
	cohd_error_done(&err);
	ck_assert_int_eq(
		cohd_aws_endpoint_resolve(
			&(struct cohd_aws_endpoint_params){.endpoint_prefix = "ec2",
							   .region = "eu-west-1",
							   .endpoint_url = "https://user@host/"},
			&e, NULL),
		-EINVAL);
}
END_TEST

START_TEST(test_errors)
{
	struct cohd_aws_endpoint e = {};
	struct cohd_error err = {};

	ck_assert_int_eq(
		cohd_aws_endpoint_resolve(
			&(struct cohd_aws_endpoint_params){.endpoint_prefix = "ec2"}, &e, &err),
		-ENOENT);
	ck_assert_ptr_nonnull(strstr(cohd_error_str(&err), "region"));
	cohd_error_done(&err);
	ck_assert_int_eq(cohd_aws_endpoint_resolve(
				 &(struct cohd_aws_endpoint_params){.endpoint_prefix = "ec2",
								    .region = "evil.com/x"},
				 &e, &err),
			 -EINVAL);
	cohd_error_done(&err);
	ck_assert(cohd_aws_region_valid("us-east-1"));
	ck_assert(!cohd_aws_region_valid("US-EAST-1"));
	ck_assert(!cohd_aws_region_valid(""));
	ck_assert_str_eq(cohd_aws_partition_of("cn-north-1"), "aws-cn");
	ck_assert_str_eq(cohd_aws_partition_of("us-gov-west-1"), "aws-us-gov");
	ck_assert_str_eq(cohd_aws_partition_of("eu-west-1"), "aws");
}
END_TEST

START_TEST(test_s3_virtual_host)
{
	char *h = NULL, *p = NULL;

	ck_assert_int_eq(cohd_aws_s3_virtual_host("s3.eu-west-1.amazonaws.com",
						  "/my-bucket/a/b%20c", "my-bucket", &h, &p),
			 1);
	ck_assert_str_eq(h, "my-bucket.s3.eu-west-1.amazonaws.com");
	ck_assert_str_eq(p, "/a/b%20c");
	free(h);
	free(p);
	ck_assert_int_eq(cohd_aws_s3_virtual_host("s3.eu-west-1.amazonaws.com", "/my-bucket",
						  "my-bucket", &h, &p),
			 1);
	ck_assert_str_eq(p, "/");
	free(h);
	free(p);
	/* dots break TLS, capitals and short names are not DNS-safe: stay path-style */
	ck_assert_int_eq(
		cohd_aws_s3_virtual_host("s3.amazonaws.com", "/my.bucket/k", "my.bucket", &h, &p),
		0);
	ck_assert_int_eq(
		cohd_aws_s3_virtual_host("s3.amazonaws.com", "/MyBucket", "MyBucket", &h, &p), 0);
	ck_assert_int_eq(cohd_aws_s3_virtual_host("s3.amazonaws.com", "/ab", "ab", &h, &p), 0);
	ck_assert_int_eq(cohd_aws_s3_virtual_host("s3.amazonaws.com", "/", NULL, &h, &p), 0);
	ck_assert_int_eq(cohd_aws_s3_virtual_host("s3.amazonaws.com", "/other/k", "bucket", &h, &p),
			 0);
	ck_assert_int_eq(
		cohd_aws_s3_virtual_host("s3.amazonaws.com", "/bucketx/k", "bucket", &h, &p), 0);
}
END_TEST

static Suite *endpoints_suite(void)
{
	Suite *s = suite_create("endpoints");
	TCase *tc = tcase_create("resolve");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_regional);
	tcase_add_test(tc, test_global);
	tcase_add_test(tc, test_partitions);
	tcase_add_test(tc, test_overrides);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_s3_virtual_host);
	suite_add_tcase(s, tc);
	return s;
}

COHD_TEST_MAIN(endpoints_suite)
