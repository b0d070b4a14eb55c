/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The curl multi <-> libuv glue, structured like curl's docs/examples/multi-uv.c (cb_socket,
 * cb_timeout, on_uv_socket, on_uv_timeout, check_multi_info) with style.md §2.6's four fixes:
 * poll errors become CURL_CSELECT_ERR; one uv_poll per fd, reused through socketp and stopped
 * before curl closes the fd (CURLOPT_CLOSESOCKETFUNCTION); no curl_multi_socket_action() or
 * completion inside curl callbacks; a shutdown order that keeps the uv context alive through
 * curl_multi_cleanup(). Also the one-shot timers of http.h. Loop thread only.
 */
#include <stdlib.h>

#include "lib/aws/http/http-internal.h"
#include "lib/util/log.h"

static void poll_close_cb(uv_handle_t *handle)
{
	struct http_poll *p = handle->data;
	struct cohd_http *h = p->http;

	free(p);
	h->pending_closes--;
	http_uv_maybe_free(h);
}

/* Stop watching p and close its handle. The fd itself stays open: curl closes it. */
static void poll_close(struct cohd_http *h, struct http_poll *p)
{
	if (p->closed)
		return;
	p->closed = true;
	if (p->prev)
		p->prev->next = p->next;
	else
		h->polls = p->next;
	if (p->next)
		p->next->prev = p->prev;
	uv_poll_stop(&p->poll);
	h->pending_closes++;
	uv_close((uv_handle_t *)&p->poll, poll_close_cb);
}

static void check_multi_info_after_action(struct cohd_http *h, curl_socket_t s, int flags)
{
	int running;

	(void)curl_multi_socket_action(h->multi, s, flags, &running);
	http_uv_check_multi_info(h);
}

/* on_uv_socket: readiness (or an error) on a socket curl asked us to watch. */
static void on_uv_socket(uv_poll_t *handle, int status, int events)
{
	struct http_poll *p = handle->data;
	int flags = 0;

	if (status < 0) /* fix 1: e.g. a peer reset arrives as an error (microsoft/CCF #7308) */
		flags = CURL_CSELECT_ERR;
	else {
		if (events & UV_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
			flags |= CURL_CSELECT_OUT;
	}
	check_multi_info_after_action(p->http, p->fd, flags);
}

static void on_uv_timeout(uv_timer_t *timer)
{
	check_multi_info_after_action(timer->data, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_TIMERFUNCTION. Runs inside curl: only touches the uv timer (fix 3). */
static int cb_timeout(CURLM *multi, long timeout_ms, void *userp)
{
	struct cohd_http *h = userp;

	if (timeout_ms < 0) {
		uv_timer_stop(&h->timer);
		return 0;
	}
	if (h->closing)
		return 0;
	/* 0 means "now", but libcurl must not be called from its own timer callback
	 * (CURLMOPT_TIMERFUNCTION.md). multi-uv.c turns 0 into 1 ms; a 0 ms libuv timer already
	 * runs on the loop's next iteration, never from inside uv_timer_start(), and does not
	 * add a millisecond to every request. */
	return uv_timer_start(&h->timer, on_uv_timeout, (uint64_t)timeout_ms, 0) < 0 ? -1 : 0;
}

/* The open poll handle of fd s, if we still have one (see POLL_REMOVE below). */
static struct http_poll *poll_find(struct cohd_http *h, curl_socket_t s)
{
	for (struct http_poll *p = h->polls; p; p = p->next)
		if (p->fd == s && !p->closed)
			return p;
	return NULL;
}

/* CURLMOPT_SOCKETFUNCTION. Runs inside curl: creates, updates or stops the socket's poll
 * handle, nothing else (fix 3); curl_multi_assign() is documented as safe here. */
static int cb_socket(CURL *easy, curl_socket_t s, int action, void *userp, void *socketp)
{
	struct cohd_http *h = userp;
	struct http_poll *p = socketp;
	int events = 0;

	switch (action) {
	case CURL_POLL_IN:
	case CURL_POLL_OUT:
	case CURL_POLL_INOUT:
		/* fix 2: one poll handle per fd, reused via socketp, or found again when curl
		 * picks up a kept-alive connection it had stopped watching */
		if (!p)
			p = poll_find(h, s);
		if (!p) {
			p = calloc(1, sizeof *p);
			if (!p)
				return -1;
			if (uv_poll_init_socket(h->loop, &p->poll, s) < 0) {
				free(p);
				return -1;
			}
			p->poll.data = p;
			p->fd = s;
			p->http = h;
			p->next = h->polls;
			if (h->polls)
				h->polls->prev = p;
			h->polls = p;
		}
		if (p != socketp && curl_multi_assign(h->multi, s, p) != CURLM_OK) {
			poll_close(h, p);
			return -1;
		}
		if (action != CURL_POLL_IN)
			events |= UV_WRITABLE;
		if (action != CURL_POLL_OUT)
			events |= UV_READABLE;
		if (uv_poll_start(&p->poll, events, on_uv_socket) < 0)
			return -1;
		break;
	case CURL_POLL_REMOVE:
		/* Stop watching, but keep the handle bound to the fd: an idle keep-alive
		 * connection comes back with POLL_IN/OUT and reuses it, and cb_close_socket
		 * closes it before curl closes the fd. */
		if (p)
			uv_poll_stop(&p->poll);
		break;
	default:
		break;
	}
	return 0;
}

/* CURLOPT_CLOSESOCKETFUNCTION: make "stop polling, then close" strict even when curl closes a
 * socket without a POLL_REMOVE first (curl #3597, #14976; libuv's poll.rst: a polled fd must
 * not be closed). Set on every easy handle; the connection keeps it. */
static int cb_close_socket(void *clientp, curl_socket_t s)
{
	struct cohd_http *h = clientp;

	for (struct http_poll *p = h->polls; p; p = p->next)
		if (p->fd == s) {
			poll_close(h, p);
			break;
		}
	return close(s);
}

int http_uv_init(struct cohd_http *h)
{
	int r;

	r = uv_timer_init(h->loop, &h->timer);
	if (r < 0)
		return r;
	h->timer.data = h;
	if (curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, cb_socket) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, cb_timeout) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) != CURLM_OK)
		return -EIO;
	return 0;
}

CURLcode http_uv_setup_easy(struct cohd_http *h, CURL *easy)
{
	CURLcode c = curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, cb_close_socket);

	if (c == CURLE_OK)
		c = curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, h);
	return c;
}

/* check_multi_info: the only place completions run (fix 3). A completion may submit new
 * requests (curl_multi_add_handle only arms the timer) or start timers. */
void http_uv_check_multi_info(struct cohd_http *h)
{
	CURLMsg *msg;
	int pending;

	while ((msg = curl_multi_info_read(h->multi, &pending))) {
		struct cohd_http_req *req = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		(void)curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&req);
		http_req_done(req, msg->data.result);
	}
}

static void timer_close_cb(uv_handle_t *handle)
{
	struct cohd_http *h = handle->data;

	h->pending_closes--;
	http_uv_maybe_free(h);
}

/* Fix 4: called after in-flight requests were cancelled. curl_multi_cleanup() may still call
 * cb_socket (POLL_IN then REMOVE was seen by CCF) and cb_close_socket, so the uv context must be
 * alive; afterwards close whatever poll handles remain, then the timer. */
void http_uv_shutdown(struct cohd_http *h)
{
	if (h->multi) {
		(void)curl_multi_cleanup(h->multi);
		h->multi = NULL;
	}
	while (h->polls)
		poll_close(h, h->polls);
	uv_timer_stop(&h->timer);
	h->pending_closes++;
	uv_close((uv_handle_t *)&h->timer, timer_close_cb);
}

void http_uv_maybe_free(struct cohd_http *h)
{
	if (h->closing && h->pending_closes == 0 && !h->multi)
		http_free_final(h);
}

/* ---- one-shot timers ---- */

struct cohd_http_timer {
	uv_timer_t timer; /* timer.data = this */
	cohd_http_timer_cb cb;
	void *userdata;
};

static void timer_fire(uv_timer_t *timer)
{
	struct cohd_http_timer *t = timer->data;

	t->cb(t, t->userdata);
}

int cohd_http_timer_new(struct cohd_http *h, cohd_http_timer_cb cb, void *userdata,
			struct cohd_http_timer **ret)
{
	struct cohd_http_timer *t;
	int r;

	cohd_assert_return(h && cb && ret, -EINVAL);
	t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	r = uv_timer_init(h->loop, &t->timer);
	if (r < 0) {
		free(t);
		return r;
	}
	t->timer.data = t;
	t->cb = cb;
	t->userdata = userdata;
	*ret = t;
	return 0;
}

int cohd_http_timer_start(struct cohd_http_timer *t, usec_t after)
{
	uint64_t ms = (after + USEC_PER_MSEC - 1) / USEC_PER_MSEC;

	cohd_assert_return(t, -EINVAL);
	return uv_timer_start(&t->timer, timer_fire, ms, 0);
}

void cohd_http_timer_stop(struct cohd_http_timer *t)
{
	if (t)
		uv_timer_stop(&t->timer);
}

bool cohd_http_timer_active(const struct cohd_http_timer *t)
{
	return t && uv_is_active((const uv_handle_t *)&t->timer);
}

static void timer_free_cb(uv_handle_t *handle)
{
	free(handle->data);
}

struct cohd_http_timer *cohd_http_timer_free(struct cohd_http_timer *t)
{
	if (!t)
		return NULL;
	uv_timer_stop(&t->timer);
	uv_close((uv_handle_t *)&t->timer, timer_free_cb);
	return NULL;
}
