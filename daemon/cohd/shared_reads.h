/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared reads: the engines of one account send their calls through here, so that identical
 * bulk describes of several app environments (DescribeVpcs filtered on ManagedBy, ELBv2
 * DescribeLoadBalancers of the region, IAM GetAccountAuthorizationDetails) become one request.
 * A shared call (struct cohd_rec_call.shared) joins an identical one in flight, or takes the
 * answer of one completed less than SHARED_READ_FRESH_MS ago; any mutating call to the same
 * service and region, when sent and again when answered, makes earlier answers unusable, so an
 * engine never reads a state older than its own last change. Waits, look-ups and per-resource
 * reads are not shared. Loop thread only.
 */
#pragma once

#include "lib/aws/client/client.h"
#include "lib/reconcile/reconcile.h"

struct uv_loop_s;
struct shared_reads;

struct shared_reads *shared_reads_new(struct uv_loop_s *loop, struct cohd_aws_client *client);

/* Send call (the engine's aws_call port contract: 0 and cb runs later exactly once, or < 0
 * and cb never runs). opts carries the resolved region and pages. */
int shared_reads_call(struct shared_reads *s, const struct cohd_aws_call_options *opts,
		      const struct cohd_rec_call *call, cohd_rec_call_cb cb, void *userdata);

/* Answers waiting for their turn on the loop get -ECANCELED now. Call before freeing the client
 * (whose cancelled calls still come back here), and shared_reads_free after it. */
void shared_reads_cancel(struct shared_reads *s);
struct shared_reads *shared_reads_free(struct shared_reads *s);

/* Requests sent and answers served from another engine's request, for metrics and benchmarks. */
void shared_reads_stats(const struct shared_reads *s, unsigned long *ret_sent,
			unsigned long *ret_served);
