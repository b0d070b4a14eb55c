/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared reads (shared_reads.h): one request for identical bulk describes of several engines.
 *
 * An entry is one distinct call (region, service, operation, pages, params). It is listed while
 * it may be joined: in flight (new askers wait with the first) or answered less than
 * SHARED_READ_FRESH_MS ago (new askers get the kept answer on the next loop iteration, never
 * from inside their own call). A mutating call to its service and region unlists it, or, when
 * it is still in flight, marks it stale: its answer still goes to those who asked, but nobody
 * else joins it and it is not kept. Entries are counted references: the list, the request in
 * flight and each queued answer hold one.
 */
#include <stdlib.h>
#include <uv.h>

#include "daemon/cohd/shared_reads.h"
#include "lib/util/log.h"
#include "lib/util/macro.h"
#include "lib/util/time.h"

/* How long an answer serves other engines: about the burst of passes one sweep starts. Drift
 * made outside cohd is seen at most this much later; cohd's own changes at once. */
#define SHARED_READ_FRESH_MS 10000
/* Distinct answers kept at most (types x regions is a few dozen). Beyond it, calls go alone. */
#define SHARED_READ_MAX 256

struct waiter {
	cohd_rec_call_cb cb;
	void *userdata;
};

struct entry {
	unsigned ref;
	struct shared_reads *s;
	char *key, *region, *service;
	bool listed, in_flight, stale;
	usec_t done_at;
	json_t *result;		  /* the kept answer, once done */
	struct waiter *waiters; /* in flight: who asked, first one included */
	size_t n_waiters;
};

struct delivery {
	struct entry *e;
	struct waiter w;
};

struct shared_reads {
	uv_loop_t *loop;
	struct cohd_aws_client *client;
	struct entry **entries;
	size_t n_entries;
	struct delivery *queue;
	size_t n_queue;
	uv_timer_t *timer;
	unsigned long sent, served;
};

/* A mutating call in flight: its answer makes earlier reads unusable once more. */
struct mutation {
	struct shared_reads *s;
	char *region, *service;
	cohd_rec_call_cb cb;
	void *userdata;
};

static void entry_unref(struct entry *e)
{
	if (!e || --e->ref > 0)
		return;
	json_decref(e->result);
	free(e->waiters);
	free(e->key);
	free(e->region);
	free(e->service);
	free(e);
}

static void unlist(struct shared_reads *s, size_t i)
{
	struct entry *e = s->entries[i];

	s->entries[i] = s->entries[--s->n_entries];
	e->listed = false;
	entry_unref(e);
}

/* Everything answered or asked before now about (region, service) is unusable for new askers. */
static void invalidate(struct shared_reads *s, const char *region, const char *service)
{
	for (size_t i = s->n_entries; i-- > 0;) {
		struct entry *e = s->entries[i];

		if (!streq(e->service, service) || !streq(e->region, region))
			continue;
		if (e->in_flight)
			e->stale = true;
		else
			unlist(s, i);
	}
}

static struct entry *find(struct shared_reads *s, const char *key)
{
	usec_t now = cohd_now_monotonic();

	for (size_t i = s->n_entries; i-- > 0;) {
		struct entry *e = s->entries[i];

		if (!e->in_flight && now - e->done_at > SHARED_READ_FRESH_MS * USEC_PER_MSEC)
			unlist(s, i);
		else if (!e->stale && streq(e->key, key))
			return e;
	}
	return NULL;
}

static void deliver_queued(uv_timer_t *t)
{
	struct shared_reads *s = t->data;
	struct delivery *q = TAKE_PTR(s->queue);
	size_t n = s->n_queue;

	s->n_queue = 0;
	for (size_t i = 0; i < n; i++) {
		q[i].w.cb(0, q[i].e->result, NULL, q[i].w.userdata);
		entry_unref(q[i].e);
	}
	free(q);
}

static int enqueue(struct shared_reads *s, struct entry *e, cohd_rec_call_cb cb, void *userdata)
{
	struct delivery *q = reallocarray(s->queue, s->n_queue + 1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	s->queue = q;
	q[s->n_queue++] = (struct delivery){ .e = e, .w = { cb, userdata } };
	e->ref++;
	if (!uv_is_active((uv_handle_t *)s->timer))
		(void)uv_timer_start(s->timer, deliver_queued, 0, 0);
	return 0;
}

static int add_waiter(struct entry *e, cohd_rec_call_cb cb, void *userdata)
{
	struct waiter *w = reallocarray(e->waiters, e->n_waiters + 1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	e->waiters = w;
	w[e->n_waiters++] = (struct waiter){ cb, userdata };
	return 0;
}

static void read_done(int r, json_t *result, const struct cohd_aws_error *err, void *userdata)
{
	struct entry *e = userdata;
	struct waiter *w = TAKE_PTR(e->waiters);
	size_t n = e->n_waiters;

	e->n_waiters = 0;
	e->in_flight = false;
	if (r >= 0 && !e->stale && e->listed) {
		e->result = json_incref(result);
		e->done_at = cohd_now_monotonic();
	} else if (e->listed) {
		for (size_t i = 0; i < e->s->n_entries; i++)
			if (e->s->entries[i] == e) {
				unlist(e->s, i);
				break;
			}
	}
	for (size_t i = 0; i < n; i++)
		w[i].cb(r, result, err, w[i].userdata);
	free(w);
	entry_unref(e);
}

static void mutation_done(int r, json_t *result, const struct cohd_aws_error *err,
			  void *userdata)
{
	struct mutation *m = userdata;

	invalidate(m->s, m->region, m->service);
	m->cb(r, result, err, m->userdata);
	free(m->region);
	free(m->service);
	free(m);
}

static int send_mutation(struct shared_reads *s, const struct cohd_aws_call_options *opts,
			 const struct cohd_rec_call *call, cohd_rec_call_cb cb, void *userdata)
{
	struct mutation *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	*m = (struct mutation){ .s = s, .cb = cb, .userdata = userdata,
				.region = strdup(strempty(opts->region)),
				.service = strdup(call->service) };
	if (!m->region || !m->service) {
		r = -ENOMEM;
		goto fail;
	}
	invalidate(s, m->region, m->service);
	r = cohd_aws_call_ex(s->client, opts, call->service, call->operation, call->params,
			     mutation_done, m);
	if (r >= 0)
		return r;
fail:
	free(m->region);
	free(m->service);
	free(m);
	return r;
}

static int send_shared(struct shared_reads *s, const struct cohd_aws_call_options *opts,
		       const struct cohd_rec_call *call, cohd_rec_call_cb cb, void *userdata)
{
	_cleanup_free_ char *params = NULL, *key = NULL;
	struct entry *e, **list;
	int r;

	params = call->params ? json_dumps(call->params, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (asprintf(&key, "%s\n%s\n%s\n%u\n%s", strempty(opts->region), call->service,
		     call->operation, opts->max_pages, strempty(params)) < 0) {
		key = NULL;
		return -ENOMEM;
	}
	e = find(s, key);
	if (e && e->in_flight) {
		r = add_waiter(e, cb, userdata);
		if (r >= 0)
			s->served++;
		return r;
	}
	if (e) {
		r = enqueue(s, e, cb, userdata);
		if (r >= 0)
			s->served++;
		return r;
	}
	if (s->n_entries >= SHARED_READ_MAX)
		return cohd_aws_call_ex(s->client, opts, call->service, call->operation,
					call->params, cb, userdata);

	list = reallocarray(s->entries, s->n_entries + 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	s->entries = list;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	*e = (struct entry){ .ref = 1, .s = s, .key = TAKE_PTR(key),
			     .region = strdup(strempty(opts->region)),
			     .service = strdup(call->service) };
	if (!e->region || !e->service || add_waiter(e, cb, userdata) < 0) {
		entry_unref(e);
		return -ENOMEM;
	}
	r = cohd_aws_call_ex(s->client, opts, call->service, call->operation, call->params,
			     read_done, e);
	if (r < 0) {
		entry_unref(e);
		return r;
	}
	s->sent++;
	e->in_flight = true;
	e->listed = true;
	e->ref++; /* the list's; the request in flight holds the first */
	s->entries[s->n_entries++] = e;
	return 0;
}

int shared_reads_call(struct shared_reads *s, const struct cohd_aws_call_options *opts,
		      const struct cohd_rec_call *call, cohd_rec_call_cb cb, void *userdata)
{
	if (call->mutating)
		return send_mutation(s, opts, call, cb, userdata);
	if (call->shared)
		return send_shared(s, opts, call, cb, userdata);
	return cohd_aws_call_ex(s->client, opts, call->service, call->operation, call->params, cb,
				userdata);
}

struct shared_reads *shared_reads_new(struct uv_loop_s *loop, struct cohd_aws_client *client)
{
	struct shared_reads *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->timer = calloc(1, sizeof(*s->timer));
	if (!s->timer) {
		free(s);
		return NULL;
	}
	s->loop = loop;
	s->client = client;
	uv_timer_init(loop, s->timer);
	s->timer->data = s;
	return s;
}

void shared_reads_cancel(struct shared_reads *s)
{
	struct cohd_aws_error err = { 0 };
	struct delivery *q;
	size_t n;

	if (!s)
		return;
	uv_timer_stop(s->timer);
	q = TAKE_PTR(s->queue);
	n = s->n_queue;
	s->n_queue = 0;
	cohd_aws_error_transport(&err, -ECANCELED, "cohd is stopping");
	for (size_t i = 0; i < n; i++) {
		q[i].w.cb(-ECANCELED, NULL, &err, q[i].w.userdata);
		entry_unref(q[i].e);
	}
	free(q);
	cohd_aws_error_done(&err);
}

static void timer_closed(uv_handle_t *h)
{
	free(h);
}

struct shared_reads *shared_reads_free(struct shared_reads *s)
{
	if (!s)
		return NULL;
	shared_reads_cancel(s);
	while (s->n_entries > 0)
		unlist(s, s->n_entries - 1);
	free(s->entries);
	uv_close((uv_handle_t *)s->timer, timer_closed);
	free(s);
	return NULL;
}

void shared_reads_stats(const struct shared_reads *s, unsigned long *ret_sent,
			unsigned long *ret_served)
{
	*ret_sent = s ? s->sent : 0;
	*ret_served = s ? s->served : 0;
}
