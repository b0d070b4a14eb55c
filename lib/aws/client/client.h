/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/aws/client: the AWS client that ties lib/aws together. One call is: endpoint (endpoints.h)
 * -> serialise (protocols) -> budget wait (a timer, never blocking) -> sign (sigv4, current
 * credentials, clock-skew corrected) -> HTTPS (lib/aws/http) -> parse (protocols) -> retry
 * (retry: full-jitter backoff on timers, quota; skew and expired tokens fixed and retried once)
 * -> exactly one completion callback. Also the credential fetchers that execute lib/aws/credentials
 * descriptors (IMDSv2, ECS container endpoint, STS AssumeRole / AssumeRoleWithWebIdentity through
 * this client), refreshing temporary credentials ahead of expiry without stalling calls.
 *
 * Does not include curl.h or uv.h (only lib/aws/http does): the loop is a forward-declared
 * struct uv_loop_s. Loop thread only; every callback runs from the loop, never from inside the
 * function that started the work.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "lib/aws/credentials/credentials.h"
#include "lib/aws/error.h"
#include "lib/aws/http/http.h"
#include "lib/util/error.h"

struct uv_loop_s;
struct cohd_aws_client;

struct cohd_aws_client_config {
	const char *region; /* default region; NULL = AWS_REGION, AWS_DEFAULT_REGION, profile */
	const char *endpoint_url; /* override for every service; NULL = AWS_ENDPOINT_URL[_<ID>] */
	const char *account;	  /* budget key (account id); NULL = "" */
	const struct cohd_aws_env *env; /* NULL = the process environment */
	/* Where credentials come from; NULL = cohd_aws_credentials_resolve(env). Borrowed for
	 * cohd_aws_client_new() only (copied by re-resolving is not possible: the client takes
	 * ownership when credentials_steal is true, else the caller keeps it alive). */
	struct cohd_aws_credential_source *credentials;
	bool credentials_steal;
	double budget_share;		  /* 0 = the default share; < 0 = no budgets */
	unsigned max_attempts;		  /* 0 = AWS_MAX_ATTEMPTS, else 3 */
	usec_t min_refresh_interval;	  /* between background credential refreshes; 0 = 60 s */
	double (*random)(void *userdata); /* retry jitter; NULL = internal (tests inject) */
	void *random_userdata;
	struct cohd_http_config http;
};

/* Create a client on loop. Resolves the credential chain (not fetching anything yet) and the
 * region. Returns 0, -ENOENT when no credentials are configured (message in reterr), another
 * -errno with reterr for a broken AWS configuration, -ENOMEM. */
int cohd_aws_client_new(struct uv_loop_s *loop, const struct cohd_aws_client_config *config,
			struct cohd_aws_client **ret, struct cohd_error *reterr);

/* Shut down: refuse new calls, complete every pending call with -ECANCELED (callbacks run from
 * inside this call), cancel credential fetches, then free. uv handles close asynchronously: run
 * the loop until uv_loop_close() == 0. Must not be called from a callback of this client.
 * Accepts NULL; returns NULL. */
struct cohd_aws_client *cohd_aws_client_free(struct cohd_aws_client *c);

/* The default region (NULL when none is configured) and the credentials' origin for status. */
const char *cohd_aws_client_region(const struct cohd_aws_client *c);
const char *cohd_aws_client_credentials_origin(const struct cohd_aws_client *c);

/* The completion: r == 0 and result (the parsed output; for paginated calls all pages merged),
 * or r < 0 and err: -EREMOTEIO for an AWS error (code, message, request id, HTTP status), a
 * transport errno (-ETIMEDOUT, -ECONNREFUSED, -EPERM, -EIO ...; err->message has the detail),
 * -EINVAL for parameters the model rejects (err->message names the member), -ENOENT for an
 * unknown service or operation, -ECANCELED on shutdown, or a credentials error. result and err
 * are borrowed for the call (json_incref() to keep result). */
typedef void (*cohd_aws_call_cb)(int r, json_t *result, const struct cohd_aws_error *err,
				 void *userdata);

struct cohd_aws_call_options {
	const char *region;	  /* NULL = the client's */
	const char *endpoint_url; /* NULL = the client's */
	unsigned max_pages;	  /* 0 or 1 = one request; > 1 = follow the paginator up to that
				   * many pages (UINT_MAX = all) and merge them */
	/* Credential fetchers: sign with these instead of the client's (copied), or send unsigned
	 * (AssumeRoleWithWebIdentity). */
	const struct cohd_aws_credentials *credentials;
	bool anonymous;
};

/* Call service ("ec2" as the aws CLI names it, or an endpointPrefix) operation ("DescribeVpcs")
 * with params (an object in AWS member names, NULL = {}; borrowed for this call only). Returns 0:
 * cb runs exactly once, later, from the loop. Returns -ESHUTDOWN after cohd_aws_client_free()
 * started, -EINVAL for NULL arguments, -ENOMEM; cb never runs then. */
int cohd_aws_call(struct cohd_aws_client *c, const char *service, const char *operation,
		  const json_t *params, cohd_aws_call_cb cb, void *userdata);
int cohd_aws_call_ex(struct cohd_aws_client *c, const struct cohd_aws_call_options *opts,
		     const char *service, const char *operation, const json_t *params,
		     cohd_aws_call_cb cb, void *userdata);

/* All pages of a paginated operation, merged (result_key lists appended). Unpaged operations
 * are one request. Same contract as cohd_aws_call(). */
int cohd_aws_call_paginated(struct cohd_aws_client *c, const char *service, const char *operation,
			    const json_t *params, cohd_aws_call_cb cb, void *userdata);

/* Counters for tests, benchmarks and status. */
struct cohd_aws_client_stats {
	unsigned long calls;	/* completed calls */
	unsigned long attempts; /* HTTP requests sent for calls */
	unsigned long retries;
	unsigned long budget_waits;
	unsigned long skew_corrections;
	unsigned long credential_fetches;
	long long clock_skew_usec; /* current correction applied to X-Amz-Date */
};
void cohd_aws_client_stats(const struct cohd_aws_client *c, struct cohd_aws_client_stats *ret);
