/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SDK standard retry mode: attempts, full-jitter backoff, per-partition retry quota. The figures
 * and their sources are in retry.h. Pure: no clock reads except to seed the default random
 * source; depends on lib/util and lib/aws/error.h.
 */
#include <math.h>
#include <stdint.h>

#include "lib/aws/retry/retry.h"
#include "lib/util/log.h"

#define MAX_ATTEMPTS_LIMIT 100u

struct quota {
	char *partition;
	unsigned available;
};

struct cohd_aws_retry {
	struct cohd_aws_retry_config cfg;
	struct quota *quotas;
	size_t n_quotas, alloc_quotas;
	uint64_t rng; /* xorshift64* state for the default random source */
};

void cohd_aws_retry_config_init(struct cohd_aws_retry_config *c)
{
	*c = (struct cohd_aws_retry_config){
		.max_attempts = 3,
		.base_transient = 50 * USEC_PER_MSEC,
		.base_throttling = 1000 * USEC_PER_MSEC,
		.max_backoff = 20 * USEC_PER_SEC,
		.max_retry_after = 20 * USEC_PER_SEC,
		.quota_max = 500,
		.cost_retry = 5,
		.cost_timeout = 10,
		.refund_success = 1,
	};
}

int cohd_aws_retry_config_set_max_attempts(struct cohd_aws_retry_config *c, const char *value)
{
	unsigned long v;
	char *end;

	cohd_assert_return(c, -EINVAL);
	if (isempty(value))
		return 0;
	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno || *end || value[0] < '0' || value[0] > '9' || v < 1 || v > MAX_ATTEMPTS_LIMIT)
		return -EINVAL;
	c->max_attempts = (unsigned)v;
	return 0;
}

struct cohd_aws_retry *cohd_aws_retry_new(const struct cohd_aws_retry_config *cfg)
{
	struct cohd_aws_retry *r;

	if (!cfg || cfg->max_attempts < 1)
		return NULL;
	r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->cfg = *cfg;
	r->rng = cohd_now_monotonic() ^ ((uint64_t)(uintptr_t)r << 17) ^ 0x9e3779b97f4a7c15ULL;
	if (!r->rng)
		r->rng = 1;
	return r;
}

struct cohd_aws_retry *cohd_aws_retry_free(struct cohd_aws_retry *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_quotas; i++)
		free(r->quotas[i].partition);
	free(r->quotas);
	free(r);
	return NULL;
}

void cohd_aws_retry_attempt_init(struct cohd_aws_retry_attempt *a, const char *partition,
				 usec_t deadline)
{
	*a = (struct cohd_aws_retry_attempt){ .partition = partition, .deadline = deadline };
}

static double random_unit(struct cohd_aws_retry *r)
{
	double v;

	if (r->cfg.random) {
		v = r->cfg.random(r->cfg.random_userdata);
		if (!(v >= 0.0)) /* also catches NaN */
			v = 0.0;
		if (v >= 1.0)
			v = nextafter(1.0, 0.0);
		return v;
	}
	/* xorshift64*: plenty for jitter, and no global state */
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return (double)((r->rng * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0; /* 2^53 */
}

static usec_t backoff_cap(const struct cohd_aws_retry_config *c, enum cohd_aws_error_class class,
			  unsigned n)
{
	usec_t base = class == COHD_AWS_ERROR_THROTTLING ? c->base_throttling : c->base_transient;
	usec_t v = base;

	if (n < 1)
		n = 1;
	for (unsigned i = 1; i < n && v < c->max_backoff; i++)
		v = v > c->max_backoff / 2 ? c->max_backoff : v * 2;
	return MIN(v, c->max_backoff);
}

usec_t cohd_aws_retry_backoff(const struct cohd_aws_retry *r, enum cohd_aws_error_class class,
			      unsigned n)
{
	/* the random state advances even through a const handle: it is not observable state */
	struct cohd_aws_retry *m = (struct cohd_aws_retry *)r;

	return (usec_t)(random_unit(m) * (double)backoff_cap(&r->cfg, class, n));
}

static struct quota *quota_find(const struct cohd_aws_retry *r, const char *partition)
{
	for (size_t i = 0; i < r->n_quotas; i++)
		if (streq(r->quotas[i].partition, partition))
			return &r->quotas[i];
	return NULL;
}

static struct quota *quota_get(struct cohd_aws_retry *r, const char *partition)
{
	struct quota *q = quota_find(r, partition);
	char *p;

	if (q)
		return q;
	if (r->n_quotas == r->alloc_quotas) {
		size_t na = r->alloc_quotas ? r->alloc_quotas * 2 : 8;
		struct quota *nq = reallocarray(r->quotas, na, sizeof *nq);

		if (!nq)
			return NULL;
		r->quotas = nq;
		r->alloc_quotas = na;
	}
	p = strdup(partition);
	if (!p)
		return NULL;
	r->quotas[r->n_quotas] = (struct quota){ .partition = p, .available = r->cfg.quota_max };
	return &r->quotas[r->n_quotas++];
}

unsigned cohd_aws_retry_quota_available(const struct cohd_aws_retry *r, const char *partition)
{
	const struct quota *q;

	if (!r)
		return 0;
	q = quota_find(r, strempty(partition));
	return q ? q->available : r->cfg.quota_max;
}

int cohd_aws_retry_decide(struct cohd_aws_retry *r, struct cohd_aws_retry_attempt *a,
			  const struct cohd_aws_error *err, usec_t now, usec_t *ret_delay)
{
	const char *partition;
	struct quota *q;
	usec_t delay;
	unsigned cost;

	cohd_assert_return(r && a && err && ret_delay, -EINVAL);
	partition = strempty(a->partition);
	a->attempt++;
	a->last_cost = 0;

	if (a->attempt >= r->cfg.max_attempts) {
		log_debug(AWS, "retry: %s: attempt %u of %u failed (%s), giving up", partition,
			  a->attempt, r->cfg.max_attempts,
			  cohd_aws_error_class_to_string(err->class));
		return 0;
	}

	switch (err->class) {
	case COHD_AWS_ERROR_CLOCK_SKEW:
		if (a->skew_retried)
			return 0;
		a->skew_retried = true;
		*ret_delay = 0;
		return 1;
	case COHD_AWS_ERROR_EXPIRED_TOKEN:
		if (a->token_retried)
			return 0;
		a->token_retried = true;
		*ret_delay = 0;
		return 1;
	case COHD_AWS_ERROR_THROTTLING:
	case COHD_AWS_ERROR_TRANSIENT:
		break;
	default:
		return 0;
	}

	/* n-th retry: attempt counts failures so far, so the first retry has n = 1 */
	delay = cohd_aws_retry_backoff(r, err->class, a->attempt);
	if (err->retry_after > 0)
		delay = MAX(delay, MIN(err->retry_after, r->cfg.max_retry_after));
	if (a->deadline && (now >= a->deadline || delay > a->deadline - now)) {
		log_debug(AWS, "retry: %s: next attempt would pass the deadline, giving up",
			  partition);
		return 0;
	}

	cost = err->http_status == 0 ? r->cfg.cost_timeout : r->cfg.cost_retry;
	q = quota_get(r, partition);
	if (!q)
		return -ENOMEM;
	if (q->available < cost) {
		log_debug(AWS, "retry: %s: retry quota exhausted (%u left, %u needed)", partition,
			  q->available, cost);
		return 0;
	}
	q->available -= cost;
	a->last_cost = cost;
	*ret_delay = delay;
	return 1;
}

void cohd_aws_retry_success(struct cohd_aws_retry *r, struct cohd_aws_retry_attempt *a)
{
	struct quota *q;
	unsigned refund;

	if (!r || !a)
		return;
	q = quota_get(r, strempty(a->partition));
	if (!q)
		return; /* OOM: the quota just refills later */
	refund = a->last_cost ? a->last_cost : r->cfg.refund_success;
	q->available = MIN(r->cfg.quota_max, q->available + refund);
	a->last_cost = 0;
}
