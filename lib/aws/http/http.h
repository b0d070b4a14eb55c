/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/aws/http: HTTPS for the AWS client. One libcurl multi handle driven by one libuv loop
 * (curl's docs/examples/multi-uv.c with the four fixes of style.md §2.6), plus one-shot timers on
 * the same loop for retries and budgets. This is the only lib code that includes curl.h and uv.h;
 * callers see a forward-declared loop and opaque handles. Depends on lib/util only.
 *
 * Loop context: everything here runs on the loop's thread. Completion and timer callbacks run
 * from the loop, never from inside cohd_http_submit() or a curl callback; they may submit new
 * requests and start or free timers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/util/buf.h"
#include "lib/util/time.h"

struct uv_loop_s; /* uv_loop_t */
struct cohd_http;
struct cohd_http_req;
struct cohd_http_timer;

struct cohd_http_config {
	unsigned max_host_connections; /* CURLMOPT_MAX_HOST_CONNECTIONS; 0 = 16 */
	usec_t connect_timeout;	       /* default per request; 0 = 5 s */
	usec_t timeout;		       /* whole transfer; 0 = 60 s */
	size_t max_body;	       /* response body cap; 0 = 16 MiB */
	const char *ca_bundle;	       /* CAINFO; NULL = $AWS_CA_BUNDLE or the system */
	const char *user_agent;	       /* NULL = "cohd/<version>" */
};

struct cohd_http_field {
	const char *name;
	const char *value;
};

enum {
	/* The URL may be http:// to one of the link-local credential endpoints (IMDS
	 * 169.254.169.254 and [fd00:ec2::254], ECS 169.254.170.2 and 169.254.170.23). Credential
	 * fetches only. */
	COHD_HTTP_METADATA = 1 << 0,
	/* The response body holds secrets: wiped when freed, never traced. */
	COHD_HTTP_SECRET = 1 << 1,
};

struct cohd_http_request {
	const char *method; /* "GET", "PUT", "POST", "DELETE", "HEAD", "PATCH" */
	const char *url;    /* https://...; http:// only to 127.0.0.1, [::1], localhost (tests) */
	const struct cohd_http_field *headers; /* sent as given (Host, Content-Type, ...) */
	size_t n_headers;
	const void *body; /* copied by submit; may be NULL */
	size_t body_len;
	usec_t connect_timeout; /* 0 = the client's default */
	usec_t timeout;		/* 0 = the client's default */
	size_t max_body;	/* 0 = the client's default */
	unsigned flags;		/* COHD_HTTP_* */
};

struct cohd_http_response {
	long status;			 /* 0 when no response arrived */
	struct cohd_buf body;		 /* capped; the callback may cohd_buf_steal() it */
	struct cohd_http_field *headers; /* the final response's headers, in order */
	size_t n_headers;
	bool reused_connection; /* no new connection was opened for this transfer */
	const char *error;	/* curl's error text when r < 0 (and not -ECANCELED), else "" */
};

/* Called exactly once per submitted request: r == 0 with resp->status set (any HTTP status is
 * success at this layer), or r < 0: -ETIMEDOUT, -ECONNREFUSED, -EPERM (TLS peer verification),
 * -EMSGSIZE (body or headers over the cap), -ECANCELED (client shut down), -ENOMEM, -EIO. resp
 * is valid only during the call. */
typedef void (*cohd_http_cb)(int r, struct cohd_http_response *resp, void *userdata);

/* Create the client on loop. Returns 0, -ENOMEM, or -EIO if libcurl could not initialise. */
int cohd_http_new(struct uv_loop_s *loop, const struct cohd_http_config *config,
		  struct cohd_http **ret);

/* Start a request. Everything in req is copied. Returns 0 (cb will run exactly once, later, from
 * the loop), -EPERM for a URL whose scheme/host the rules above refuse, -EINVAL for a malformed
 * URL or method, -ESHUTDOWN after cohd_http_free() started, -ENOMEM. On error cb never runs. */
int cohd_http_submit(struct cohd_http *h, const struct cohd_http_request *req, cohd_http_cb cb,
		     void *userdata);

/* Whether cohd_http_submit() would accept url with these flags (0, -EPERM, -EINVAL). */
int cohd_http_check_url(const char *url, unsigned flags);

/* Requests submitted and not yet completed. */
unsigned cohd_http_in_flight(const struct cohd_http *h);

/* The loop the client runs on. */
struct uv_loop_s *cohd_http_loop(const struct cohd_http *h);

/* Shut down (style.md §2.6 item 4): refuse new submits, complete every in-flight request with
 * -ECANCELED (callbacks run from inside this call), curl_multi_cleanup() while the uv handles are
 * alive, then close them. The memory is released from the last close callback: the owner must
 * run the loop until uv_loop_close() returns 0. Must not be called from a completion callback of
 * this client (stop the loop there and free after uv_run returns). Accepts NULL; returns NULL. */
struct cohd_http *cohd_http_free(struct cohd_http *h);

/* The value of the last response header named name (case-insensitive), or NULL. */
const char *cohd_http_response_header(const struct cohd_http_response *resp, const char *name);

/* One-shot timers on the client's loop (retries, backoff, budgets). cb runs from the loop. */
typedef void (*cohd_http_timer_cb)(struct cohd_http_timer *t, void *userdata);
int cohd_http_timer_new(struct cohd_http *h, cohd_http_timer_cb cb, void *userdata,
			struct cohd_http_timer **ret);
/* (Re)arm: cb runs once, after `after` microseconds (rounded up to ms). */
int cohd_http_timer_start(struct cohd_http_timer *t, usec_t after);
void cohd_http_timer_stop(struct cohd_http_timer *t);
bool cohd_http_timer_active(const struct cohd_http_timer *t);
/* Stop and close; the memory goes from the close callback (run the loop). Accepts NULL. */
struct cohd_http_timer *cohd_http_timer_free(struct cohd_http_timer *t);
