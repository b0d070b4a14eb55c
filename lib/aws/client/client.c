/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The call pipeline of lib/aws/client (see client.h):
 *
 *   cohd_aws_call -> call_new: service, model, endpoint, serialise (errors are delivered later,
 *                    from a timer, never from inside cohd_aws_call)
 *   step_budget   -> token from the (account, region, category) bucket, else a timer
 *   step_creds    -> current credentials, or wait for a fetch (only when none are usable)
 *   step_send     -> SigV4 sign (clock-skew corrected) and cohd_http_submit
 *   on_http_done  -> parse; retry (decision from lib/aws/retry, delay on a timer) or finish;
 *                    paginated calls serialise the next page and go round again
 *   call_finish   -> the one completion callback
 *
 * Loop thread only. Depends on lib/aws/{http,sigv4,protocols,credentials,retry}, jansson.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>

#include "lib/aws/client/client-internal.h"
#include "lib/util/log.h"
#include "lib/util/macro.h"

struct call {
	struct cohd_aws_client *c;
	struct call *prev, *next;
	struct creds_waiter waiter;
	const struct cohd_aws_service *svc;
	const struct cohd_aws_service_model *model;
	char *operation;
	json_t *params; /* this page's params (owned) */
	json_t *acc;	/* paginated: pages merged so far */
	unsigned pages, max_pages;
	struct cohd_aws_endpoint ep;
	struct cohd_aws_http_request hreq;
	bool have_hreq;
	struct cohd_aws_retry_attempt attempt;
	struct cohd_aws_budget_key bkey;
	struct cohd_aws_error err;
	int r; /* the result to deliver from the timer (errors found early) */
	struct cohd_http_timer *timer;
	void (*timer_step)(struct call *call);
	bool in_http;
	const struct cohd_aws_credentials *signed_with; /* provider creds used by the attempt */
	struct cohd_aws_credentials *creds_override;
	bool anonymous;
	cohd_aws_call_cb cb;
	void *userdata;
};

static void step_budget(struct call *call);
static void step_creds(struct call *call);
static void step_send(struct call *call);

_printf_(2, 3) static void set_msg(char **p, const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	free(*p);
	*p = m;
}

static const char *env_get(const struct cohd_aws_client *c, const char *name)
{
	return cohd_aws_env_get(c->env, name);
}

/* ---- completion ---- */

static void call_free(struct call *call)
{
	creds_waiter_cancel(&call->waiter);
	call->timer = cohd_http_timer_free(call->timer);
	free(call->operation);
	json_decref(call->params);
	json_decref(call->acc);
	cohd_aws_endpoint_done(&call->ep);
	if (call->have_hreq)
		cohd_aws_http_request_done(&call->hreq);
	cohd_aws_error_done(&call->err);
	cohd_aws_credentials_free(call->creds_override);
	free(call);
}

static void call_unlink(struct call *call)
{
	struct cohd_aws_client *c = call->c;

	if (call->prev)
		call->prev->next = call->next;
	else if (c->calls == call)
		c->calls = call->next;
	if (call->next)
		call->next->prev = call->prev;
	call->prev = call->next = NULL;
}

/* The one completion. result is borrowed by the callback. */
static void call_finish(struct call *call, int r, json_t *result)
{
	struct cohd_aws_client *c = call->c;

	call_unlink(call);
	c->stats.calls++;
	if (r < 0 && !call->err.message && r != -EREMOTEIO)
		call->err.message = strdup(strerror(-r));
	if (r < 0)
		log_debug(AWS, "%s %s failed: %s: %s", call->svc ? call->svc->cli_name : "?",
			  strempty(call->operation), strempty(call->err.code),
			  strempty(call->err.message));
	call->cb(r, r >= 0 ? result : NULL, r >= 0 ? NULL : &call->err, call->userdata);
	call_free(call);
}

static void on_timer(struct cohd_http_timer *t, void *userdata)
{
	struct call *call = userdata;

	call->timer_step(call);
}

/* Run step after delay from the loop. On failure (no memory for a timer), finish right here:
 * callers only do this from loop callbacks, except call_fail_async(), handled below. */
static int call_schedule(struct call *call, void (*step)(struct call *), usec_t delay)
{
	int r;

	if (!call->timer) {
		r = cohd_http_timer_new(call->c->http, on_timer, call, &call->timer);
		if (r < 0)
			return r;
	}
	call->timer_step = step;
	return cohd_http_timer_start(call->timer, delay);
}

static void step_deliver_error(struct call *call)
{
	call_finish(call, call->r, NULL);
}

/* An error found before anything went out: deliver it from the loop. */
static int call_fail_async(struct call *call, int r)
{
	call->r = r;
	return call_schedule(call, step_deliver_error, 0);
}

/* From a loop callback: fail now. */
static void call_fail(struct call *call, int r, const char *fmt, ...) _printf_(3, 4);
static void call_fail(struct call *call, int r, const char *fmt, ...)
{
	va_list ap;

	if (fmt && !call->err.message) {
		va_start(ap, fmt);
		if (vasprintf(&call->err.message, fmt, ap) < 0)
			call->err.message = NULL;
		va_end(ap);
	}
	call_finish(call, r, NULL);
}

/* ---- preparing a page ---- */

static int call_serialize(struct call *call, struct cohd_error *e)
{
	int r;

	if (call->have_hreq) {
		cohd_aws_http_request_done(&call->hreq);
		call->have_hreq = false;
	}
	r = cohd_aws_serialize(call->model, call->operation, call->params, &call->hreq, e);
	if (r < 0)
		return r;
	call->have_hreq = true;
	cohd_aws_retry_attempt_init(&call->attempt, call->ep.host, 0);
	return 0;
}

static void error_from_cohd_error(struct call *call, struct cohd_error *e, const char *code)
{
	free(call->err.message);
	call->err.message = e->message ? strdup(e->message) : NULL;
	free(call->err.code);
	call->err.code = code ? strdup(code) : NULL;
	call->err.class = COHD_AWS_ERROR_VALIDATION;
}

/* ---- the pipeline ---- */

static void step_budget(struct call *call)
{
	struct cohd_aws_client *c = call->c;
	usec_t wait = 0;
	int r;

	if (c->budget) {
		r = cohd_aws_budget_take(c->budget, &call->bkey, cohd_now_monotonic(), &wait);
		if (r < 0)
			wait = 0; /* an unknown category must not stop the call */
		if (wait > 0) {
			c->stats.budget_waits++;
			r = call_schedule(call, step_budget, wait);
			if (r < 0)
				call_fail(call, r, NULL);
			return;
		}
	}
	step_creds(call);
}

static void on_creds(struct creds_waiter *w, int r, const struct cohd_aws_error *err)
{
	struct call *call = container_of(w, struct call, waiter);

	if (r < 0) {
		if (err) {
			cohd_aws_error_done(&call->err);
			call->err.http_status = err->http_status;
			call->err.code = err->code ? strdup(err->code) : NULL;
			call->err.request_id = err->request_id ? strdup(err->request_id) : NULL;
			set_msg(&call->err.message, "cannot get credentials: %s",
				strempty(err->message));
			call->err.class = err->class;
		}
		call_finish(call, r, NULL);
		return;
	}
	step_send(call);
}

static void step_creds(struct call *call)
{
	int r;

	if (call->anonymous || call->creds_override) {
		step_send(call);
		return;
	}
	call->waiter.cb = on_creds;
	r = creds_provider_get(call->c->root, &call->waiter);
	if (r == 0)
		step_send(call);
	else if (r < 0)
		call_fail(call, r, "cannot get credentials");
	/* else: on_creds runs later */
}

static void on_http_done(int r, struct cohd_http_response *resp, void *userdata);

static int build_and_submit(struct call *call)
{
	struct cohd_aws_client *c = call->c;
	const struct cohd_aws_credentials *creds;
	struct cohd_sigv4_params sp;
	_cleanup_(cohd_sigv4_result_done) struct cohd_sigv4_result res = {};
	_cleanup_free_ struct cohd_http_header *sh = NULL;
	_cleanup_free_ struct cohd_http_field *fields = NULL;
	_cleanup_free_ char *host = NULL, *path = NULL, *url = NULL;
	const char *base, *scheme_end;
	size_t n = 0, nf = 0;
	int r;

	/* URL parts: the endpoint's base path (custom endpoints) + the operation's path; S3 on
	 * AWS's own endpoints moves DNS-safe bucket names into the host */
	scheme_end = strstr(call->ep.url, "://");
	base = strchr(scheme_end + 3, '/');
	if (streq(call->svc->endpoint_prefix, "s3") && !call->ep.s3_path_style) {
		r = cohd_aws_s3_virtual_host(
			call->ep.host, call->hreq.path,
			json_string_value(json_object_get(call->params, "Bucket")), &host, &path);
		if (r < 0)
			return r;
	}
	if (host) {
		/* virtual-hosted S3 */
	} else if (call->hreq.host_prefix && !call->ep.custom) {
		if (asprintf(&host, "%s%s", call->hreq.host_prefix, call->ep.host) < 0)
			return -ENOMEM;
	} else if (!(host = strdup(call->ep.host)))
		return -ENOMEM;
	if (!path &&
	    asprintf(&path, "%s%s", base ? base : "", call->hreq.path ? call->hreq.path : "/") < 0)
		return -ENOMEM;
	if (asprintf(&url, "%.*s%s%s%s%s", (int)(scheme_end + 3 - call->ep.url), call->ep.url, host,
		     path, isempty(call->hreq.query) ? "" : "?", strempty(call->hreq.query)) < 0)
		return -ENOMEM;

	sh = calloc(call->hreq.n_headers + 1, sizeof *sh);
	if (!sh)
		return -ENOMEM;
	sh[n++] = (struct cohd_http_header){(char *)"Host", host};
	for (size_t i = 0; i < call->hreq.n_headers; i++)
		sh[n++] = (struct cohd_http_header){call->hreq.headers[i].name,
						    call->hreq.headers[i].value};

	if (!call->anonymous) {
		creds = call->creds_override ? call->creds_override : c->root->creds;
		if (!creds)
			return -ENOKEY;
		cohd_sigv4_params_init(&sp, call->svc->signing_name, call->ep.signing_region,
				       (usec_t)((int64_t)cohd_now_realtime() + c->skew));
		sp.access_key_id = creds->access_key_id;
		sp.secret_access_key = creds->secret_access_key;
		sp.session_token = creds->session_token;
		sp.cache = c->keys;
		r = cohd_sigv4_sign(
			&(struct cohd_sigv4_request){
				.method = call->hreq.method,
				.path = path,
				.query = call->hreq.query,
				.headers = sh,
				.n_headers = n,
				.body = call->hreq.body.data,
				.body_len = call->hreq.body.len,
			},
			&sp, &res);
		if (r < 0)
			return r;
		call->signed_with = call->creds_override ? NULL : creds;
	}

	fields = calloc(n + res.n_headers, sizeof *fields);
	if (!fields)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		fields[nf++] = (struct cohd_http_field){sh[i].name, sh[i].value};
	for (size_t i = 0; i < res.n_headers; i++)
		fields[nf++] = (struct cohd_http_field){res.headers[i].name, res.headers[i].value};

	r = cohd_http_submit(c->http,
			     &(struct cohd_http_request){
				     .method = call->hreq.method,
				     .url = url,
				     .headers = fields,
				     .n_headers = nf,
				     .body = call->hreq.body.data,
				     .body_len = call->hreq.body.len,
			     },
			     on_http_done, call);
	if (r < 0)
		return r;
	call->in_http = true;
	c->stats.attempts++;
	return 0;
}

static void step_send(struct call *call)
{
	int r = build_and_submit(call);

	if (r < 0) {
		if (r == -EPERM)
			call_fail(call, r, "refusing to send to %s (https only)", call->ep.url);
		else if (r == -ENOKEY)
			call_fail(call, -ENOKEY, "no credentials");
		else
			call_fail(call, r, "cannot send the request: %s", strerror(-r));
	}
}

/* x-amz-retry-after (ms) or Retry-After (s) */
static usec_t retry_after(const struct cohd_http_response *resp)
{
	const char *v = cohd_http_response_header(resp, "x-amz-retry-after");
	char *end;
	unsigned long long n;

	if (v) {
		n = strtoull(v, &end, 10);
		if (end != v && !*end)
			return (usec_t)n * USEC_PER_MSEC;
	}
	v = cohd_http_response_header(resp, "retry-after");
	if (v) {
		n = strtoull(v, &end, 10);
		if (end != v && !*end && n < 3600)
			return (usec_t)n * USEC_PER_SEC;
	}
	return 0;
}

static void page_done(struct call *call, json_t *page)
{
	json_t *next = NULL;
	struct cohd_error e = {};
	int r;

	call->pages++;
	if (call->max_pages <= 1) {
		call_finish(call, 0, page);
		return;
	}
	if (!call->acc && !(call->acc = json_object())) {
		call_fail(call, -ENOMEM, NULL);
		return;
	}
	r = cohd_aws_paginate_merge(call->model, call->operation, call->acc, page);
	if (r == -ENOENT) { /* not paged: this is the whole answer */
		call_finish(call, 0, page);
		return;
	}
	if (r < 0) {
		call_fail(call, r, "cannot merge pages");
		return;
	}
	r = call->pages < call->max_pages ? cohd_aws_paginate_next(call->model, call->operation,
								   call->params, page, &next)
					  : 0;
	if (r <= 0) {
		call_finish(call, 0, call->acc);
		return;
	}
	json_decref(call->params);
	call->params = next;
	r = call_serialize(call, &e);
	if (r < 0) {
		error_from_cohd_error(call, &e, NULL);
		cohd_error_done(&e);
		call_fail(call, r, NULL);
		return;
	}
	step_budget(call);
}

static void on_http_done(int r, struct cohd_http_response *resp, void *userdata)
{
	struct call *call = userdata;
	struct cohd_aws_client *c = call->c;
	_cleanup_free_ struct cohd_aws_header *hdr = NULL;
	json_t *page = NULL;
	usec_t delay = 0, date;
	const char *d;

	call->in_http = false;
	if (c->closing || r == -ECANCELED) {
		call_finish(call, -ECANCELED, NULL);
		return;
	}
	cohd_aws_error_done(&call->err);
	if (r < 0) {
		(void)cohd_aws_error_transport(&call->err, r, resp->error);
		/* a certificate that does not verify or an oversized answer will not get better */
		if (r == -EPERM || r == -EMSGSIZE)
			call->err.class = COHD_AWS_ERROR_OTHER;
	} else {
		hdr = calloc(resp->n_headers ? resp->n_headers : 1, sizeof *hdr);
		if (!hdr) {
			call_fail(call, -ENOMEM, NULL);
			return;
		}
		for (size_t i = 0; i < resp->n_headers; i++)
			hdr[i] = (struct cohd_aws_header){(char *)resp->headers[i].name,
							  (char *)resp->headers[i].value};
		log_debug(AWS, "%s %s: HTTP %ld (attempt %u%s)", call->svc->cli_name,
			  call->operation, resp->status, call->attempt.attempt + 1,
			  resp->reused_connection ? ", reused connection" : "");
		r = cohd_aws_parse_response(call->model, call->operation, (int)resp->status, hdr,
					    resp->n_headers, resp->body.data, resp->body.len, &page,
					    &call->err);
		if (r >= 0) {
			cohd_aws_retry_success(c->retry, &call->attempt);
			page_done(call, page);
			json_decref(page);
			return;
		}
		if (r != -EREMOTEIO) {
			/* a success status with a body we cannot read: not retried */
			if (!call->err.message)
				call->err.message = strdup("malformed response");
			call->err.http_status = (int)resp->status;
			call_finish(call, r, NULL);
			return;
		}
		call->err.retry_after = retry_after(resp);
		if (call->err.class == COHD_AWS_ERROR_CLOCK_SKEW) {
			d = cohd_http_response_header(resp, "date");
			if (d && cohd_parse_http_date(d, &date) == 0) {
				c->skew = (int64_t)date - (int64_t)cohd_now_realtime();
				c->stats.skew_corrections++;
				c->stats.clock_skew_usec = c->skew;
				log_debug(AWS, "clock skew %+lld ms from the Date header",
					  (long long)(c->skew / 1000));
			}
		}
		if (call->err.class == COHD_AWS_ERROR_EXPIRED_TOKEN &&
		    (!call->signed_with ||
		     !creds_provider_invalidate(c->root, call->signed_with))) {
			call_finish(call, -EREMOTEIO, NULL); /* nothing to refresh */
			return;
		}
	}
	if (cohd_aws_retry_decide(c->retry, &call->attempt, &call->err, cohd_now_monotonic(),
				  &delay) == 1) {
		c->stats.retries++;
		log_debug(AWS, "%s %s: %s, retrying in %llu ms (attempt %u)", call->svc->cli_name,
			  call->operation, strempty(call->err.code ?: call->err.message),
			  (unsigned long long)(delay / USEC_PER_MSEC), call->attempt.attempt + 1);
		r = call_schedule(call, step_budget, delay);
		if (r < 0)
			call_fail(call, r, NULL);
		return;
	}
	call_finish(call, call->err.http_status ? -EREMOTEIO : (r < 0 ? r : -EIO), NULL);
}

/* ---- public ---- */

int cohd_aws_call_ex(struct cohd_aws_client *c, const struct cohd_aws_call_options *opts,
		     const char *service, const char *operation, const json_t *params,
		     cohd_aws_call_cb cb, void *userdata)
{
	static const struct cohd_aws_call_options none = {};
	struct cohd_error e = {};
	struct call *call;
	const char *region;
	int r;

	cohd_assert_return(c && service && operation && cb, -EINVAL);
	if (c->closing)
		return -ESHUTDOWN;
	if (!opts)
		opts = &none;

	call = calloc(1, sizeof *call);
	if (!call)
		return -ENOMEM;
	call->c = c;
	call->cb = cb;
	call->userdata = userdata;
	call->max_pages = opts->max_pages;
	call->anonymous = opts->anonymous;
	call->operation = strdup(operation);
	call->params = params ? json_deep_copy(params) : json_object();
	if (!call->operation || !call->params)
		goto oom;
	if (opts->credentials &&
	    cohd_aws_credentials_copy(opts->credentials, &call->creds_override) < 0)
		goto oom;
	/* linked from here on: cohd_aws_client_free() sees it */
	call->next = c->calls;
	if (c->calls)
		c->calls->prev = call;
	c->calls = call;

	call->svc = cohd_aws_service_find(service);
	if (!call->svc) {
		set_msg(&call->err.message, "unknown service '%s'", service);
		r = -ENOENT;
		goto fail;
	}
	r = cohd_aws_service_model(call->svc, &call->model);
	if (r < 0) {
		set_msg(&call->err.message, "cannot load the %s model", call->svc->cli_name);
		goto fail;
	}
	region = opts->region ? opts->region : c->region;
	r = cohd_aws_endpoint_resolve(
		&(struct cohd_aws_endpoint_params){
			.endpoint_prefix = call->svc->endpoint_prefix,
			.service_id = call->svc->service_id,
			.region = region,
			.endpoint_url = opts->endpoint_url ? opts->endpoint_url : c->endpoint_url,
			.env = c->env,
		},
		&call->ep, &e);
	if (r < 0) {
		error_from_cohd_error(call, &e, NULL);
		goto fail;
	}
	r = call_serialize(call, &e);
	if (r < 0) {
		error_from_cohd_error(call, &e, r == -EINVAL ? "ValidationError" : NULL);
		goto fail;
	}
	call->bkey = (struct cohd_aws_budget_key){
		.account = c->account,
		.region = call->ep.global ? NULL : call->ep.signing_region,
		.category = cohd_aws_budget_category_for(call->svc->signing_name, operation)->name,
	};
	cohd_error_done(&e);
	/* budget -> creds -> submit, all without calling back: errors found on the way are
	 * delivered through the call's timer by call_fail() only from loop callbacks, so here we
	 * go through step_budget's non-failing path and let send errors go async */
	if (c->budget) {
		usec_t wait = 0;

		if (cohd_aws_budget_take(c->budget, &call->bkey, cohd_now_monotonic(), &wait) ==
			    0 &&
		    wait > 0) {
			c->stats.budget_waits++;
			r = call_schedule(call, step_budget, wait);
			if (r < 0)
				goto fail;
			return 0;
		}
	}
	/* step_creds / step_send may complete the call on error: do them from the loop then */
	if (!call->anonymous && !call->creds_override) {
		call->waiter.cb = on_creds;
		r = creds_provider_get(c->root, &call->waiter);
		if (r == 1)
			return 0;
		if (r < 0)
			goto fail;
	}
	r = build_and_submit(call);
	if (r < 0) {
		if (r == -EPERM)
			set_msg(&call->err.message, "refusing to send to %s (https only)",
				call->ep.url);
		goto fail;
	}
	return 0;
oom:
	r = -ENOMEM;
	if (call->prev || call->next || c->calls == call) {
		r = call_fail_async(call, r);
		if (r >= 0)
			return 0;
		call_unlink(call);
	}
	call_free(call);
	return -ENOMEM;
fail:
	cohd_error_done(&e);
	if (call_fail_async(call, r) < 0) {
		call_unlink(call);
		call_free(call);
		return -ENOMEM;
	}
	return 0;
}

int cohd_aws_call(struct cohd_aws_client *c, const char *service, const char *operation,
		  const json_t *params, cohd_aws_call_cb cb, void *userdata)
{
	return cohd_aws_call_ex(c, NULL, service, operation, params, cb, userdata);
}

int cohd_aws_call_paginated(struct cohd_aws_client *c, const char *service, const char *operation,
			    const json_t *params, cohd_aws_call_cb cb, void *userdata)
{
	return cohd_aws_call_ex(c, &(struct cohd_aws_call_options){.max_pages = UINT_MAX}, service,
				operation, params, cb, userdata);
}

int cohd_aws_client_new(struct uv_loop_s *loop, const struct cohd_aws_client_config *config,
			struct cohd_aws_client **ret, struct cohd_error *reterr)
{
	static const struct cohd_aws_client_config defaults = {};
	struct cohd_aws_retry_config rc;
	struct cohd_http_config http_cfg;
	struct cohd_aws_client *c;
	char *region = NULL;
	int r;

	cohd_assert_return(loop && ret, -EINVAL);
	if (!config)
		config = &defaults;
	c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->env = config->env ? config->env : &cohd_aws_env_process;
	c->min_refresh_interval =
		config->min_refresh_interval ? config->min_refresh_interval : 60 * USEC_PER_SEC;

	if (config->region)
		region = strdup(config->region);
	else {
		r = cohd_aws_config_region(c->env, &region, reterr);
		if (r < 0 && r != -ENOENT)
			goto fail;
	}
	c->region = region;
	if (config->endpoint_url && !(c->endpoint_url = strdup(config->endpoint_url)))
		goto oom;
	if (!(c->account = strdup(config->account ? config->account : "")))
		goto oom;

	if (config->credentials) {
		c->src = config->credentials;
		c->src_owned = config->credentials_steal;
	} else {
		r = cohd_aws_credentials_resolve(c->env, &c->src, reterr);
		if (r < 0) {
			if (r == -ENOENT && reterr && !reterr->message)
				cohd_error_set(reterr, r, "no AWS credentials configured");
			goto fail;
		}
		c->src_owned = true;
	}
	if (!c->region && c->src->region && !(c->region = strdup(c->src->region)))
		goto oom;

	cohd_aws_retry_config_init(&rc);
	if (cohd_aws_retry_config_set_max_attempts(&rc, env_get(c, "AWS_MAX_ATTEMPTS")) < 0)
		log_debug(AWS, "ignoring invalid AWS_MAX_ATTEMPTS");
	if (config->max_attempts)
		rc.max_attempts = config->max_attempts;
	rc.random = config->random;
	rc.random_userdata = config->random_userdata;
	c->retry = cohd_aws_retry_new(&rc);
	c->keys = cohd_sigv4_key_cache_new();
	if (!c->retry || !c->keys)
		goto oom;
	if (config->budget_share >= 0) {
		c->budget = cohd_aws_budget_new(config->budget_share > 0
							? config->budget_share
							: COHD_AWS_BUDGET_SHARE_DEFAULT);
		if (!c->budget)
			goto oom;
	}
	http_cfg = config->http;
	if (!http_cfg.ca_bundle) /* the SDKs' variable, read through our environment */
		http_cfg.ca_bundle = env_get(c, "AWS_CA_BUNDLE");
	r = cohd_http_new(loop, &http_cfg, &c->http);
	if (r < 0)
		goto fail;
	r = creds_providers_new(c);
	if (r < 0)
		goto fail;
	*ret = c;
	return 0;
oom:
	r = -ENOMEM;
fail:
	c->closing = true;
	cohd_aws_client_free(c);
	return r;
}

struct cohd_aws_client *cohd_aws_client_free(struct cohd_aws_client *c)
{
	if (!c)
		return NULL;
	/* refuse new calls; cancel the HTTP requests in flight (their completions finish their
	 * calls and credential fetches with -ECANCELED); then whatever waits on a timer or on
	 * credentials */
	c->closing = true;
	c->http = cohd_http_free(c->http);
	while (c->calls)
		call_finish(c->calls, -ECANCELED, NULL);
	creds_providers_free(c);
	if (c->src_owned)
		cohd_aws_credential_source_free(c->src);
	cohd_sigv4_key_cache_free(c->keys);
	cohd_aws_retry_free(c->retry);
	cohd_aws_budget_free(c->budget);
	free(c->region);
	free(c->endpoint_url);
	free(c->account);
	free(c);
	return NULL;
}

const char *cohd_aws_client_region(const struct cohd_aws_client *c)
{
	return c ? c->region : NULL;
}

const char *cohd_aws_client_credentials_origin(const struct cohd_aws_client *c)
{
	return c && c->src ? c->src->origin : NULL;
}

void cohd_aws_client_stats(const struct cohd_aws_client *c, struct cohd_aws_client_stats *ret)
{
	*ret = c->stats;
}
