/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Endpoint resolution (see endpoints.h). The partition and global-endpoint tables follow
 * botocore's endpoints.json (Debian 1.29.27) for the services cohd uses.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "lib/aws/client/endpoints.h"
#include "lib/util/macro.h"

struct global_endpoint {
	const char *prefix;
	const char *partition;
	const char *host; /* full host name */
	const char *region;
};

static const struct global_endpoint globals[] = {
	{"iam", "aws", "iam.amazonaws.com", "us-east-1"},
	{"iam", "aws-cn", "iam.cn-north-1.amazonaws.com.cn", "cn-north-1"},
	{"iam", "aws-us-gov", "iam.us-gov.amazonaws.com", "us-gov-west-1"},
	{"route53", "aws", "route53.amazonaws.com", "us-east-1"},
	{"route53", "aws-cn", "route53.amazonaws.com.cn", "cn-northwest-1"},
	{"route53", "aws-us-gov", "route53.us-gov.amazonaws.com", "us-gov-west-1"},
	{"cloudfront", "aws", "cloudfront.amazonaws.com", "us-east-1"},
	{"cloudfront", "aws-cn", "cloudfront.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1"},
	/* sts: regional by default (what every SDK does now); global only for "aws-global",
	 * a missing region, or AWS_STS_REGIONAL_ENDPOINTS=legacy */
	{"sts", "aws", "sts.amazonaws.com", "us-east-1"},
};

static const char *env_get(const struct cohd_aws_env *env, const char *name)
{
	const char *v;

	if (!env || !env->get)
		return NULL;
	v = env->get(env->userdata, name);
	return isempty(v) ? NULL : v;
}

bool cohd_aws_region_valid(const char *s)
{
	size_t n = 0;

	if (!s || !islower((unsigned char)s[0]))
		return false;
	for (; s[n]; n++)
		if (!islower((unsigned char)s[n]) && !isdigit((unsigned char)s[n]) && s[n] != '-')
			return false;
	return n <= 32;
}

const char *cohd_aws_partition_of(const char *region)
{
	if (!region)
		return "aws";
	if (strncmp(region, "cn-", 3) == 0)
		return "aws-cn";
	if (strncmp(region, "us-gov-", 7) == 0)
		return "aws-us-gov";
	return "aws";
}

const char *cohd_aws_partition_dns_suffix(const char *partition)
{
	return streq_ptr(partition, "aws-cn") ? "amazonaws.com.cn" : "amazonaws.com";
}

char *cohd_aws_endpoint_env_name(const char *service_id)
{
	char *s;

	if (asprintf(&s, "AWS_ENDPOINT_URL_%s", service_id) < 0)
		return NULL;
	for (char *p = s + STRLEN("AWS_ENDPOINT_URL_"); *p; p++)
		*p = *p == ' ' ? '_' : (char)toupper((unsigned char)*p);
	return s;
}

void cohd_aws_endpoint_done(struct cohd_aws_endpoint *e)
{
	if (!e)
		return;
	free(e->url);
	free(e->host);
	free(e->signing_region);
	free(e->partition);
	*e = (struct cohd_aws_endpoint){};
}

/* scheme://authority[/path]: no userinfo, query or fragment; the path loses trailing '/'. */
static int parse_override(const char *url, char **ret_url, char **ret_host)
{
	const char *a, *end;
	_cleanup_free_ char *u = NULL, *h = NULL;
	size_t n;

	if (strncasecmp(url, "https://", 8) == 0)
		a = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		a = url + 7;
	else
		return -EINVAL;
	end = a + strcspn(a, "/?#");
	if (end == a || memchr(a, '@', (size_t)(end - a)) || strpbrk(end, "?#") ||
	    strpbrk(url, " \t\r\n"))
		return -EINVAL;
	h = strndup(a, (size_t)(end - a));
	n = strlen(url);
	while (n > (size_t)(end - url) && url[n - 1] == '/')
		n--;
	u = strndup(url, n);
	if (!h || !u)
		return -ENOMEM;
	*ret_url = TAKE_PTR(u);
	*ret_host = TAKE_PTR(h);
	return 0;
}

static int fill(struct cohd_aws_endpoint *e, const char *host, const char *region,
		const char *partition)
{
	if (asprintf(&e->url, "https://%s", host) < 0)
		e->url = NULL;
	e->host = strdup(host);
	e->signing_region = strdup(region);
	e->partition = strdup(partition);
	if (!e->url || !e->host || !e->signing_region || !e->partition)
		return -ENOMEM;
	return 0;
}

int cohd_aws_endpoint_resolve(const struct cohd_aws_endpoint_params *p,
			      struct cohd_aws_endpoint *ret, struct cohd_error *reterr)
{
	_cleanup_(cohd_aws_endpoint_done) struct cohd_aws_endpoint e = {};
	const char *region = p ? p->region : NULL, *override = NULL, *partition, *sts_mode;
	const struct global_endpoint *g = NULL;
	bool want_global;
	int r;

	cohd_assert_return(p && p->endpoint_prefix && ret, -EINVAL);
	if (region && streq(region, "aws-global"))
		region = NULL;
	if (region && !cohd_aws_region_valid(region))
		return cohd_error_set(reterr, -EINVAL, "invalid region name '%s'", region);
	partition = cohd_aws_partition_of(region);

	/* overrides: explicit, then AWS_ENDPOINT_URL_<SERVICE_ID>, then AWS_ENDPOINT_URL */
	override = p->endpoint_url;
	if (!override &&
	    !streq_ptr(env_get(p->env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true")) {
		if (p->service_id) {
			_cleanup_free_ char *name = cohd_aws_endpoint_env_name(p->service_id);

			if (!name)
				return -ENOMEM;
			override = env_get(p->env, name);
		}
		if (!override)
			override = env_get(p->env, "AWS_ENDPOINT_URL");
	}

	sts_mode = env_get(p->env, "AWS_STS_REGIONAL_ENDPOINTS");
	for (size_t i = 0; i < ELEMENTSOF(globals); i++) {
		if (!streq(globals[i].prefix, p->endpoint_prefix) ||
		    !streq(globals[i].partition, partition))
			continue;
		g = &globals[i];
	}
	want_global = g && (!streq(p->endpoint_prefix, "sts") || !region ||
			    streq_ptr(sts_mode, "legacy"));
	if (!want_global)
		g = NULL;

	if (override) {
		r = parse_override(override, &e.url, &e.host);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return cohd_error_set(
				reterr, -EINVAL,
				"invalid endpoint URL '%s' (want http(s)://host[:port][/path])",
				override);
		e.signing_region = strdup(g ? g->region : region ? region : "us-east-1");
		e.partition = strdup(partition);
		if (!e.signing_region || !e.partition)
			return -ENOMEM;
		e.custom = true;
		e.global = g != NULL;
		e.s3_path_style = true;
	} else if (g) {
		r = fill(&e, g->host, g->region, partition);
		if (r < 0)
			return r;
		e.global = true;
	} else {
		_cleanup_free_ char *host = NULL;

		if (!region)
			return cohd_error_set(
				reterr, -ENOENT,
				"no region configured for %s (set AWS_REGION or --region)",
				p->endpoint_prefix);
		if (asprintf(&host, "%s.%s.%s", p->endpoint_prefix, region,
			     cohd_aws_partition_dns_suffix(partition)) < 0)
			return -ENOMEM;
		r = fill(&e, host, region, partition);
		if (r < 0)
			return r;
	}
	*ret = e;
	e = (struct cohd_aws_endpoint){};
	return 0;
}

static bool bucket_dns_safe(const char *b)
{
	size_t n = strlen(b);

	if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)b[i]) && !isdigit((unsigned char)b[i]) && b[i] != '-')
			return false;
	return true;
}

int cohd_aws_s3_virtual_host(const char *host, const char *path, const char *bucket,
			     char **ret_host, char **ret_path)
{
	size_t bl;
	const char *rest;
	_cleanup_free_ char *h = NULL, *p = NULL;

	if (!host || !path || !bucket || !bucket_dns_safe(bucket))
		return 0;
	bl = strlen(bucket);
	if (path[0] != '/' || strncmp(path + 1, bucket, bl) != 0 ||
	    (path[bl + 1] != '/' && path[bl + 1] != 0))
		return 0;
	rest = path + 1 + bl;
	if (asprintf(&h, "%s.%s", bucket, host) < 0)
		return -ENOMEM;
	p = strdup(*rest ? rest : "/");
	if (!p)
		return -ENOMEM;
	*ret_host = TAKE_PTR(h);
	*ret_path = TAKE_PTR(p);
	return 1;
}
