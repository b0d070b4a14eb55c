/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS SDK "standard" retry mode (anchors.md §3.4, aws-api.md §4): bounded attempts,
 * full-jitter capped exponential backoff, and a retry quota per partition so that an outage
 * does not turn into a retry storm. Decides only; the HTTP client sleeps (a uv timer) and
 * re-sends. Pure: time is passed in, randomness comes from an injectable function; depends on
 * lib/util and lib/aws/error.h only. Single-threaded; may run inside loop callbacks.
 *
 * Figures (defaults, all overridable in struct cohd_aws_retry_config):
 *   - max attempts 3 (AWS_MAX_ATTEMPTS), first attempt included;
 *   - delay = random[0,1) * min(20 s, base * 2^(attempt-1)) with base 50 ms for transient
 *     errors and 1000 ms for throttling: the 2026 SDK retry update (opt-in May 2026, default
 *     from 10 Nov 2026, anchors.md §3.4). We take it because it is what every SDK now does
 *     and because a slow throttling base is what keeps one account's API buckets from being
 *     drained by retries (pre-2026 it was 100 ms / 500 ms in JS v3, 1 s in botocore);
 *   - retry quota 500 tokens per partition (botocore standard.py, aws-c-io standard strategy);
 *     a retry costs 5 (throttling / server errors) or 10 (timeouts and connection errors:
 *     no HTTP response); a success refunds what its own retry cost, or 1 when it succeeded at
 *     the first attempt (botocore RetryQuotaChecker: NO_RETRY_INCREMENT = 1). The 2026 update
 *     lists a transient retry cost of 14; set cost_timeout = 14 to follow it;
 *   - x-amz-retry-after / Retry-After (struct cohd_aws_error.retry_after) is honoured:
 *     delay = max(backoff, retry_after), capped at max_retry_after (default 20 s);
 *   - CLOCK_SKEW and EXPIRED_TOKEN: retried once each, immediately, at no quota cost (the
 *     caller fixes the clock offset / refreshes credentials first); AUTH, VALIDATION and the
 *     engine-level classes (NOT_FOUND, ALREADY_EXISTS, CONFLICT, OTHER) never.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/aws/error.h"
#include "lib/util/macro.h"
#include "lib/util/time.h"

struct cohd_aws_retry_config {
	unsigned max_attempts;   /* including the first; >= 1 */
	usec_t base_transient;   /* 50 ms */
	usec_t base_throttling;  /* 1000 ms */
	usec_t max_backoff;      /* 20 s */
	usec_t max_retry_after;  /* 20 s */
	unsigned quota_max;      /* 500 */
	unsigned cost_retry;     /* 5: throttling, 5xx */
	unsigned cost_timeout;   /* 10: no HTTP response (http_status == 0) */
	unsigned refund_success; /* 1: first-attempt success */
	/* Uniform random in [0, 1). NULL: an internal xorshift seeded from the clock. */
	double (*random)(void *userdata);
	void *random_userdata;
};

/* The defaults above. */
void cohd_aws_retry_config_init(struct cohd_aws_retry_config *c);

/* Apply an AWS_MAX_ATTEMPTS value (decimal 1..100; the caller reads the variable). NULL or ""
 * leaves the config unchanged. Returns 0 or -EINVAL (config unchanged). */
int cohd_aws_retry_config_set_max_attempts(struct cohd_aws_retry_config *c, const char *value);

/* Shared retry state: the config and one quota bucket per partition (e.g. per endpoint host).
 * One per process. */
struct cohd_aws_retry;

/* Copies cfg. Returns NULL on OOM. */
struct cohd_aws_retry *cohd_aws_retry_new(const struct cohd_aws_retry_config *cfg);
struct cohd_aws_retry *cohd_aws_retry_free(struct cohd_aws_retry *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cohd_aws_retry *, cohd_aws_retry_free);

/* Per-request state, embedded in the request; zero it (or cohd_aws_retry_attempt_init()) before
 * the first attempt. The partition string is borrowed and must outlive the request. */
struct cohd_aws_retry_attempt {
	const char *partition; /* quota partition, e.g. "ec2.eu-west-1.amazonaws.com"; NULL = "" */
	unsigned attempt;      /* attempts made so far (1 after the first failure is reported) */
	unsigned last_cost;    /* quota taken for the retry in flight (refunded on success) */
	bool skew_retried;
	bool token_retried;
	usec_t deadline;       /* wall/monotonic (same clock as now); 0 = none: never retry
				* when now + delay would pass it */
};

void cohd_aws_retry_attempt_init(struct cohd_aws_retry_attempt *a, const char *partition,
				 usec_t deadline);

/* An attempt failed with err (class set by cohd_aws_error_classify() or _transport()).
 * Returns 1 and *ret_delay (how long to wait before the next attempt) when it should be
 * retried, taking its cost from the partition's quota; 0 when not (not retryable, attempts
 * exhausted, quota exhausted, deadline); -EINVAL / -ENOMEM. Counts the attempt in a. */
int cohd_aws_retry_decide(struct cohd_aws_retry *r, struct cohd_aws_retry_attempt *a,
			  const struct cohd_aws_error *err, usec_t now, usec_t *ret_delay);

/* The request succeeded (any 2xx or a final non-retryable answer that is not a failure of the
 * service): refund the quota (its retry cost, or refund_success). */
void cohd_aws_retry_success(struct cohd_aws_retry *r, struct cohd_aws_retry_attempt *a);

/* Tokens left in a partition's quota (quota_max for a partition never seen). */
unsigned cohd_aws_retry_quota_available(const struct cohd_aws_retry *r, const char *partition);

/* Full-jitter backoff for attempt n (1 = the first retry) and class, without quota effects:
 * random * min(max_backoff, base * 2^(n-1)). Exposed for tests. */
usec_t cohd_aws_retry_backoff(const struct cohd_aws_retry *r, enum cohd_aws_error_class class,
			      unsigned n);
