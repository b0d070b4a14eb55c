/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client-side API budgets: a token bucket per (account, region, API category) so that cohd alone
 * never throttles an AWS account, whatever else shares it (anchors.md §3.3). Each bucket is a
 * configurable share (default 0.5) of AWS's own bucket: burst capacity and refill rate per
 * second, per account per Region. The SDK retry quota (retry.h) limits retries only; this limits
 * first attempts too. One struct per process, shared by every caller.
 *
 * Pure: time is passed in (monotonic usec); depends on lib/util only. Single-threaded; may run
 * inside loop callbacks.
 */
#pragma once

#include <stdbool.h>

#include "lib/util/macro.h"
#include "lib/util/time.h"

/* An API category with AWS's figures (before the share is applied). */
struct cohd_aws_budget_category {
	const char *name; /* "ec2:describe", "ec2:mutate", "ecs:service-read", ... */
	double burst;     /* AWS's bucket capacity */
	double refill;    /* AWS's refill, tokens per second */
	bool published;   /* false: no AWS figure found; a conservative cohd assumption */
};

/* The category of an operation, e.g. ("ec2", "DescribeVpcs") -> "ec2:describe",
 * ("ec2", "DescribeInstances") -> "ec2:describe-unfiltered" (the smaller bucket: cohd pages and
 * filters, but AWS counts DescribeInstances there unless filtered; we assume the worst),
 * ("ec2", "CreateTags") -> "ec2:tags", ("ec2", "RunInstances") -> "ec2:mutate",
 * ("ecs", "DescribeServices") -> "ecs:service-read", ("elasticloadbalancing", "Describe...")
 * -> "elbv2:describe". service is the signing name (aws-api.md §1). Unknown operations map to
 * "<service>:default" (a cohd assumption); never NULL. The result points into a static table
 * or into a per-process table of defaults (valid for the life of the process). */
const struct cohd_aws_budget_category *cohd_aws_budget_category_for(const char *service,
								     const char *operation);

/* Look a category up by name; NULL when unknown. */
const struct cohd_aws_budget_category *cohd_aws_budget_category_by_name(const char *name);

struct cohd_aws_budget;

/* share: fraction of AWS's bucket cohd may use, 0 < share <= 1 (default 0.5; callers pass
 * COHD_AWS_BUDGET_SHARE_DEFAULT). Returns NULL on OOM or an invalid share. */
#define COHD_AWS_BUDGET_SHARE_DEFAULT 0.5
struct cohd_aws_budget *cohd_aws_budget_new(double share);
struct cohd_aws_budget *cohd_aws_budget_free(struct cohd_aws_budget *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cohd_aws_budget *, cohd_aws_budget_free);

/* A bucket key. Strings are borrowed for the call (copied when a bucket is created). account
 * may be NULL ("" = the only account), region NULL for global services ("global"). */
struct cohd_aws_budget_key {
	const char *account;
	const char *region;
	const char *category; /* a name from cohd_aws_budget_category_for(); any
			       * "<service>:default" name is accepted too */
};

/* Take one token. Returns 0 with *ret_wait == 0 when a token was taken; 0 with *ret_wait > 0
 * (usec) when the bucket is empty: nothing was taken, call again after that long. -EINVAL for
 * an unknown category or bad arguments, -ENOMEM. A new bucket starts full (share * burst).
 * now is monotonic and must not go backwards (an earlier now is treated as the last one). */
int cohd_aws_budget_take(struct cohd_aws_budget *b, const struct cohd_aws_budget_key *key,
			 usec_t now, usec_t *ret_wait);

/* Give a token back (the request was never sent, e.g. cancelled while queued). */
void cohd_aws_budget_refund(struct cohd_aws_budget *b, const struct cohd_aws_budget_key *key);

/* Tokens currently available in the bucket at now (share * burst for a bucket never used);
 * -1 for an unknown category. For status output and tests. */
double cohd_aws_budget_available(struct cohd_aws_budget *b, const struct cohd_aws_budget_key *key,
				 usec_t now);
