/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fake ports for the reconcile engine (see rec_fake.h): the call queue and log, the clock and
 * timers, the journal and the record_* hooks, and the loop that runs a pass to its end. The
 * AWS behind the calls is the test's (struct rec_fake_service). Test code only: failures are
 * Check assertions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/aws/protocols/protocols.h"
#include "rec_fake.h"
#include "test.h"

struct rec_fake RF;

void rec_fake_check_serialises(const char *service, const char *op, const json_t *params,
			       const char *what)
{
	const struct cohd_aws_service *svc = cohd_aws_service_find(service);
	const struct cohd_aws_service_model *m = NULL;
	struct cohd_aws_http_request req = {};
	struct cohd_error err = {};
	_cleanup_free_ char *text = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
	int r;

	ck_assert_msg(svc, "no built-in model for %s", service);
	ck_assert_int_eq(cohd_aws_service_model(svc, &m), 0);
	r = cohd_aws_serialize(m, op, params, &req, &err);
	ck_assert_msg(r == 0, "%s: %s %s does not serialise: %s\n  params: %s", what, service, op,
		      cohd_error_str(&err), text);
	cohd_aws_http_request_done(&req);
	cohd_error_done(&err);
}

static bool is_read(const char *op)
{
	for (const char *const *p = RF.service->read_prefixes; *p; p++)
		if (strncmp(op, *p, strlen(*p)) == 0)
			return true;
	return false;
}

static int f_aws_call(void *ud, const struct cohd_rec_call *call, cohd_rec_call_cb cb, void *cbud)
{
	struct rec_fake_completion *c;

	ck_assert_uint_lt(RF.q_tail, REC_FAKE_MAX_Q);
	/* What the real client would send: every member must exist in the real model. */
	if (RF.service->serialise)
		rec_fake_check_serialises(call->service, call->operation, call->params,
					  "engine call");
	/* The engine's own flag must agree with the operation's name. */
	if (RF.service->read_prefixes)
		ck_assert_int_eq(call->mutating, !is_read(call->operation));
	json_array_append_new(RF.log, json_string(call->operation));
	if (call->mutating) {
		RF.mutations++;
		json_array_append_new(RF.mut_log, json_pack("{s:s, s:O}", "op", call->operation,
							    "params", call->params));
	}
	if (call->mutating && getenv("DEBUG_CALLS")) {
		_cleanup_free_ char *t = json_dumps(call->params, JSON_COMPACT);

		fprintf(stderr, "%s %s\n", call->operation, t);
	}
	c = &RF.q[RF.q_tail++];
	*c = (struct rec_fake_completion){.cb = cb, .ud = cbud, .mutating = call->mutating};
	if (call->mutating && ++RF.outstanding > RF.max_outstanding)
		RF.max_outstanding = RF.outstanding;
	if (call->mutating && RF.lose_mutations)
		c->r = -ETIMEDOUT, c->err.message = strdup("lost"),
		c->err.class = COHD_AWS_ERROR_TRANSIENT;
	else
		c->r = RF.service->exec(call, &c->result, &c->err);
	return 0;
}

static usec_t f_now(void *ud)
{
	return RF.now;
}

static void *f_timer_start(void *ud, usec_t delay, void (*cb)(void *), void *arg)
{
	struct rec_fake_timer *t;

	ck_assert_uint_lt(RF.n_timers, REC_FAKE_MAX_Q);
	t = &RF.timers[RF.n_timers++];
	*t = (struct rec_fake_timer){.due = RF.now + delay, .cb = cb, .arg = arg, .active = true};
	return t;
}

static void f_timer_stop(void *ud, void *timer)
{
	((struct rec_fake_timer *)timer)->active = false;
}

static int f_journal_intent(void *ud, const char *logical_id, const char *service,
			    const char *operation, const char *token, const json_t *request,
			    int64_t *ret_id)
{
	struct rec_fake_intent *in = &RF.journal[RF.n_journal];
	char *req = json_dumps(request, 0);

	ck_assert_uint_lt(RF.n_journal, ELEMENTSOF(RF.journal));
	/* Secrets never reach the journal. */
	ck_assert_ptr_null(strstr(req, "s3cr3t"));
	*in = (struct rec_fake_intent){.id = (int64_t)RF.n_journal + 1, .open = true};
	in->logical_id = strdup(logical_id);
	in->service = strdup(service);
	in->operation = strdup(operation);
	in->token = token ? strdup(token) : NULL;
	in->request = req;
	RF.n_journal++;
	*ret_id = in->id;
	return 0;
}

static int f_journal_complete(void *ud, int64_t id, bool ok, const char *rid, const char *code,
			      const json_t *result)
{
	ck_assert_int_gt(id, 0);
	ck_assert_int_le(id, (int64_t)RF.n_journal);
	ck_assert_msg(RF.journal[id - 1].open, "intent %lld completed twice", (long long)id);
	RF.journal[id - 1].open = false;
	RF.journal[id - 1].ok = ok;
	return 0;
}

static int f_random_token(void *ud, char *buf, size_t size)
{
	static unsigned n;

	snprintf(buf, size, "tok%029u", ++n);
	return 0;
}

static int f_generate(void *ud, const char *id, const json_t *ph, json_t **ret)
{
	*ret = json_string("s3cr3t-password");
	return 0;
}

static void f_rec_observed(void *ud, const char *id, const char *type, const json_t *item)
{
	if (RF.service->secret_never_observed) {
		_cleanup_free_ char *s = json_dumps(item, 0);

		ck_assert_ptr_null(strstr(s, "s3cr3t"));
	}
	RF.n_rec_observed++;
}

static void f_rec_diff(void *ud, const char *id, const json_t *diff)
{
	RF.n_rec_diff++;
}

static void f_rec_plan(void *ud, const json_t *plan)
{
	RF.n_rec_plan++;
	json_decref(RF.last_plan);
	RF.last_plan = json_deep_copy(plan);
}

static void f_rec_action(void *ud, const json_t *action)
{
	RF.n_rec_action++;
}

static void f_rec_status(void *ud, const json_t *status)
{
	RF.n_rec_status++;
}

const struct cohd_rec_ops rec_fake_ops = {
	.record_observed = f_rec_observed,
	.record_diff = f_rec_diff,
	.record_plan = f_rec_plan,
	.record_action = f_rec_action,
	.record_status = f_rec_status,
	.aws_call = f_aws_call,
	.now = f_now,
	.timer_start = f_timer_start,
	.timer_stop = f_timer_stop,
	.journal_intent = f_journal_intent,
	.journal_complete = f_journal_complete,
	.random_token = f_random_token,
	.generate = f_generate,
};

bool rec_fake_step(void)
{
	struct rec_fake_timer *next = NULL;

	if (RF.q_head < RF.q_tail) {
		struct rec_fake_completion c = RF.q[RF.q_head++];

		if (c.mutating)
			RF.outstanding--;
		if (!RF.drop_completions)
			c.cb(c.r, c.result, c.r < 0 ? &c.err : NULL, c.ud);
		else
			c.cb(-ECANCELED, NULL, NULL, c.ud); /* into the tombstone */
		json_decref(c.result);
		cohd_aws_error_done(&c.err);
		return true;
	}
	for (size_t i = 0; i < RF.n_timers; i++)
		if (RF.timers[i].active && (!next || RF.timers[i].due < next->due))
			next = &RF.timers[i];
	if (!next)
		return false;
	if (next->due > RF.now)
		RF.now = next->due;
	next->active = false;
	next->cb(next->arg);
	return true;
}

void rec_fake_run_loop(void)
{
	for (unsigned guard = 0; guard < 100000; guard++)
		if (!rec_fake_step())
			return;
	ck_abort_msg("the loop never went idle");
}

void rec_fake_pass_cb(struct cohd_rec_engine *e, int r, void *ud)
{
	RF.pass_done = true;
	RF.pass_r = r;
}

unsigned rec_fake_run_pass(struct cohd_rec_engine *e, const struct cohd_graph *g,
			   json_t **ret_status)
{
	unsigned before = RF.mutations;

	RF.pass_done = false;
	ck_assert_int_eq(cohd_rec_engine_run(e, g, rec_fake_pass_cb, NULL), 0);
	ck_assert(!RF.pass_done); /* never from inside run() */
	ck_assert_int_eq(cohd_rec_engine_run(e, g, rec_fake_pass_cb, NULL), -EBUSY);
	rec_fake_run_loop();
	ck_assert(RF.pass_done);
	ck_assert_int_eq(RF.pass_r, 0);
	if (ret_status)
		*ret_status = cohd_rec_engine_status(e);
	return RF.mutations - before;
}

void rec_fake_init(const struct rec_fake_service *svc)
{
	RF = (struct rec_fake){.service = svc};
	RF.log = json_array();
	RF.mut_log = json_array();
	RF.now = 1000 * USEC_PER_SEC;
}

void rec_fake_done(void)
{
	/* Answers never delivered (a test that stopped early). */
	for (size_t i = RF.q_head; i < RF.q_tail; i++) {
		json_decref(RF.q[i].result);
		cohd_aws_error_done(&RF.q[i].err);
	}
	json_decref(RF.log);
	json_decref(RF.mut_log);
	json_decref(RF.last_plan);
	for (size_t i = 0; i < RF.n_journal; i++) {
		free(RF.journal[i].logical_id);
		free(RF.journal[i].service);
		free(RF.journal[i].operation);
		free(RF.journal[i].token);
		free(RF.journal[i].request);
	}
	RF = (struct rec_fake){};
}
