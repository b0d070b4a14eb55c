/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Endpoint resolution for the AWS client (aws-api.md §6): the URL to send a service's requests
 * to and the credential scope to sign them with. Regional https://<prefix>.<region>.<suffix>
 * for the aws, aws-cn (.amazonaws.com.cn) and aws-us-gov partitions; the global IAM, Route 53,
 * CloudFront and (legacy) STS endpoints signed for their home region; overrides from
 * AWS_ENDPOINT_URL_<SERVICE_ID> and AWS_ENDPOINT_URL (the SDKs' spelling), where S3 then uses
 * path-style addressing. Pure string work: lib/util and the environment abstraction of
 * lib/aws/credentials (struct only; no link dependency). May run inside loop callbacks.
 */
#pragma once

#include <stdbool.h>

#include "lib/aws/credentials/credentials.h"
#include "lib/util/error.h"

struct cohd_aws_endpoint {
	char *url;  /* "https://ec2.eu-west-1.amazonaws.com" + base path; no trailing '/' */
	char *host; /* "ec2.eu-west-1.amazonaws.com" or "127.0.0.1:4566": the Host header */
	char *signing_region; /* credential scope region ("us-east-1" for global endpoints) */
	char *partition;      /* "aws", "aws-cn", "aws-us-gov" */
	bool global; /* a partition-global endpoint (IAM, Route 53, CloudFront, global STS) */
	bool custom; /* from an endpoint URL override */
	bool s3_path_style; /* S3: bucket in the path, never in the host (custom endpoints) */
};

struct cohd_aws_endpoint_params {
	const char *endpoint_prefix;	/* "elasticloadbalancing" (required) */
	const char *service_id;		/* "Elastic Load Balancing v2" (AWS_ENDPOINT_URL_<ID>); may
					 * be NULL (then only AWS_ENDPOINT_URL applies) */
	const char *region;		/* NULL only for global services */
	const char *endpoint_url;	/* explicit override (--endpoint-url): wins over the env */
	const struct cohd_aws_env *env; /* AWS_ENDPOINT_URL*, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS,
					 * AWS_STS_REGIONAL_ENDPOINTS; NULL = none of them */
};

/* Resolve. Returns 0 and fills *ret (release with cohd_aws_endpoint_done()); -ENOENT when a
 * regional service has no region; -EINVAL for a malformed region or override URL (message in
 * reterr); -ENOMEM. */
int cohd_aws_endpoint_resolve(const struct cohd_aws_endpoint_params *p,
			      struct cohd_aws_endpoint *ret, struct cohd_error *reterr);
void cohd_aws_endpoint_done(struct cohd_aws_endpoint *e);

/* "Elastic Load Balancing v2" -> "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2" (upper-case,
 * spaces to '_'). New string, NULL on OOM. */
char *cohd_aws_endpoint_env_name(const char *service_id);

/* "aws", "aws-cn" or "aws-us-gov" for a region name, and the DNS suffix of the partition. */
const char *cohd_aws_partition_of(const char *region);
const char *cohd_aws_partition_dns_suffix(const char *partition);

/* Whether s looks like a region name ([a-z0-9-], 1..32 chars, starting with a letter). */
bool cohd_aws_region_valid(const char *s);

/* S3 virtual-hosted addressing (aws-api.md §6): for a bucket whose name is a valid DNS label
 * (3-63 of [a-z0-9-], no dots: dotted names break TLS there), move "/<bucket>[/key]" from path
 * into the host: "<bucket>.<host>" and "/[key]". Returns 1 with both new strings (caller frees),
 * 0 when the request stays path-style (bucket NULL or not DNS-safe, path not under it), or
 * -ENOMEM. Not used for custom endpoints (s3_path_style). */
int cohd_aws_s3_virtual_host(const char *host, const char *path, const char *bucket,
			     char **ret_host, char **ret_path);
