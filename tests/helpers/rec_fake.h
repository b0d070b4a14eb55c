/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fake ports for driving the real reconcile engine in unit tests (struct cohd_rec_ops):
 *   - AWS: every call is logged (RF.log: operation names; RF.mut_log: [{"op", "params"}] of the
 *     mutating ones), optionally serialised against the embedded botocore model, answered by
 *     the test's own fake service (struct rec_fake_service) and queued; the answer reaches the
 *     engine when the loop gets to it, never from inside aws_call;
 *   - a fake clock and timers: the loop jumps the clock to the next timer when no call is pending;
 *   - a fake journal (RF.journal; no secret "s3cr3t" may reach it), a fixed generator
 *     ("s3cr3t-password"), sequential tokens, counters of the record_* hooks (and, when the
 *     service asks, no observed item may show the secret either).
 * A test plugs its service in with rec_fake_init(&svc) (its own AWS state stays in the test),
 * builds its engine on &rec_fake_ops, runs passes with rec_fake_run_pass() and ends with
 * rec_fake_done(). One world per process at a time (Check forks a process per test). No
 * network, no libuv.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "lib/reconcile/reconcile.h"

#define REC_FAKE_MAX_Q 4096

/* The test's fake AWS. */
struct rec_fake_service {
	/* Answers one call: 0 with the AWS-shaped result in *ret (may stay NULL), or -errno with
	 * *err filled. */
	int (*exec)(const struct cohd_rec_call *call, json_t **ret, struct cohd_aws_error *err);
	/* Serialise every call's params against the embedded model of call->service. */
	bool serialise;
	/* Operation-name prefixes of the reads: a call's mutating flag must be false exactly for
	 * these (NULL: not checked). */
	const char *const *read_prefixes;
	/* Fail the test when an observed item (record_observed) shows the generated secret. */
	bool secret_never_observed;
};

struct rec_fake_completion {
	bool mutating;
	cohd_rec_call_cb cb;
	void *ud;
	int r;
	json_t *result;
	struct cohd_aws_error err;
};

struct rec_fake_timer {
	usec_t due;
	void (*cb)(void *);
	void *arg;
	bool active;
};

struct rec_fake_intent {
	int64_t id;
	char *logical_id, *service, *operation, *token;
	char *request; /* the request as journalled (JSON text) */
	bool open, ok;
};

struct rec_fake {
	const struct rec_fake_service *service;

	json_t *log;	 /* every operation, in order: ["DescribeNets", "CreateNet", ...] */
	json_t *mut_log; /* the mutating calls: [{"op": ..., "params": ...}] */
	unsigned mutations;
	unsigned outstanding, max_outstanding; /* mutating calls not yet answered */

	struct rec_fake_completion q[REC_FAKE_MAX_Q];
	size_t q_head, q_tail;
	bool drop_completions; /* a crash: calls happen, no answer reaches the engine */
	bool lose_mutations;   /* mutating calls never reach AWS (they time out) */

	usec_t now;
	struct rec_fake_timer timers[REC_FAKE_MAX_Q];
	size_t n_timers;

	struct rec_fake_intent journal[REC_FAKE_MAX_Q];
	size_t n_journal;

	unsigned n_rec_observed, n_rec_diff, n_rec_plan, n_rec_action, n_rec_status;
	json_t *last_plan; /* the last plan recorded */

	bool pass_done;
	int pass_r;
};

extern struct rec_fake RF;
extern const struct cohd_rec_ops rec_fake_ops;

/* A fresh world answering through svc (which must outlive it); the clock at 1000 s. */
void rec_fake_init(const struct rec_fake_service *svc);
void rec_fake_done(void);

/* One loop iteration: answer the oldest call; when none is pending, jump the clock to the next
 * timer and fire it. false when idle. */
bool rec_fake_step(void);
/* The pass callback rec_fake_run_pass() uses (sets RF.pass_done and RF.pass_r), for tests that
 * run the engine by hand. */
void rec_fake_pass_cb(struct cohd_rec_engine *e, int r, void *ud);
/* Steps until idle (aborts the test after 100000 steps). */
void rec_fake_run_loop(void);
/* One whole pass of e over g, which must succeed: returns the number of mutating calls it made;
 * *ret_status (if given) the engine's status afterwards. */
unsigned rec_fake_run_pass(struct cohd_rec_engine *e, const struct cohd_graph *g,
			   json_t **ret_status);

/* Fails the test unless params serialise for service/op against the embedded botocore model;
 * what names the caller in the message. */
void rec_fake_check_serialises(const char *service, const char *op, const json_t *params,
			       const char *what);
