/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credential fetchers: execute the descriptors of lib/aws/credentials (credentials.h).
 *   STATIC        copied once, never refreshed
 *   IMDS          IMDSv2: PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds), GET the
 *                 role name, GET its credentials; 1 s timeouts, one retry per request
 *   ECS           GET the container endpoint with the Authorization token (or token file)
 *   ASSUME_ROLE   STS AssumeRole through this client, signed with the source's credentials
 *   WEB_IDENTITY  STS AssumeRoleWithWebIdentity through this client, unsigned
 * Each provider keeps its current credentials. Calls use them until they are expired
 * (cohd_aws_credentials_expired); once refresh is due a background fetch starts (at most one
 * a minute by default) and calls keep going with the old ones; only calls issued after expiry (or
 * after AWS said ExpiredToken) queue until the fetch ends. Loop thread only; secrets are wiped and
 * never logged (HTTP bodies are fetched with COHD_HTTP_SECRET).
 */
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/aws/client/client-internal.h"
#include "lib/util/log.h"
#include "lib/util/macro.h"

#define METADATA_TIMEOUT (1 * USEC_PER_SEC)
#define METADATA_BODY_MAX (64u << 10)
#define TOKEN_FILE_MAX (64u << 10)
#define IMDS_TOKEN_TTL "21600"

static void provider_start_fetch(struct creds_provider *p);

/* ---- waiters ---- */

void creds_waiter_cancel(struct creds_waiter *w)
{
	struct creds_provider *p = w->provider;

	if (!p)
		return;
	if (w->prev)
		w->prev->next = w->next;
	else
		p->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		p->waiters_tail = w->prev;
	w->prev = w->next = NULL;
	w->provider = NULL;
}

static void waiter_enqueue(struct creds_provider *p, struct creds_waiter *w)
{
	creds_waiter_cancel(w);
	w->provider = p;
	w->next = NULL;
	w->prev = p->waiters_tail;
	if (p->waiters_tail)
		p->waiters_tail->next = w;
	else
		p->waiters = w;
	p->waiters_tail = w;
}

/* The fetch ended: swap in the new credentials (if any) and wake every waiter. */
static void provider_fetch_done(struct creds_provider *p, int r, struct cohd_aws_credentials *creds,
				const struct cohd_aws_error *err)
{
	struct creds_waiter *w;

	p->fetching = false;
	p->step = p->tries = 0;
	if (p->imds_token) {
		OPENSSL_cleanse(p->imds_token, strlen(p->imds_token));
		free(p->imds_token);
		p->imds_token = NULL;
	}
	free(p->imds_role);
	p->imds_role = NULL;
	if (r >= 0) {
		cohd_aws_credentials_free(p->creds);
		p->creds = creds;
		p->invalid = false;
		log_debug(AWS, "credentials from %s refreshed (%s), expire %llu",
			  strempty(p->src->origin),
			  cohd_aws_credential_kind_to_string(p->src->kind),
			  (unsigned long long)(creds->expiration / USEC_PER_SEC));
	} else
		log_debug(AWS, "fetching credentials from %s failed: %s", strempty(p->src->origin),
			  err && err->message ? err->message : strerror(-r));
	/* usable old credentials keep serving if a background refresh failed */
	if (r < 0 && p->creds && !p->invalid &&
	    !cohd_aws_credentials_expired(p->creds, cohd_now_realtime()))
		r = 0;
	while ((w = p->waiters)) {
		creds_waiter_cancel(w);
		w->cb(w, r, err);
	}
}

static void provider_fail(struct creds_provider *p, int r, const char *fmt, ...) _printf_(3, 4);
static void provider_fail(struct creds_provider *p, int r, const char *fmt, ...)
{
	struct cohd_aws_error err = {.class = COHD_AWS_ERROR_AUTH};
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&err.message, fmt, ap) < 0)
		err.message = NULL;
	va_end(ap);
	provider_fetch_done(p, r, NULL, &err);
	cohd_aws_error_done(&err);
}

int creds_provider_get(struct creds_provider *p, struct creds_waiter *w)
{
	usec_t now = cohd_now_realtime();

	if (p->creds && !p->invalid && !cohd_aws_credentials_expired(p->creds, now)) {
		if (!p->fetching && cohd_aws_credentials_refresh_due(p->creds, now) &&
		    p->src->kind != COHD_AWS_CREDENTIALS_STATIC &&
		    cohd_now_monotonic() >= p->last_fetch + p->client->min_refresh_interval)
			provider_start_fetch(p); /* in the background: keep using p->creds */
		return 0;
	}
	if (p->src->kind == COHD_AWS_CREDENTIALS_STATIC)
		return -ENOKEY; /* expired static credentials cannot be renewed */
	waiter_enqueue(p, w);
	if (!p->fetching)
		provider_start_fetch(p);
	return 1;
}

bool creds_provider_invalidate(struct creds_provider *p, const struct cohd_aws_credentials *used)
{
	if (p->src->kind == COHD_AWS_CREDENTIALS_STATIC)
		return false;
	if (p->creds == used)
		p->invalid = true;
	return true;
}

/* ---- helpers ---- */

static int read_small_file(const char *path, char **ret)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	struct cohd_buf b;
	char chunk[4096];
	size_t n;
	int r = 0;

	if (!f)
		return negative_errno();
	cohd_buf_init(&b, TOKEN_FILE_MAX);
	b.secret = true;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		r = cohd_buf_append(&b, chunk, n);
		if (r < 0)
			break;
	}
	OPENSSL_cleanse(chunk, sizeof chunk);
	if (r >= 0 && ferror(f))
		r = -EIO;
	if (r < 0) {
		cohd_buf_done(&b);
		return r;
	}
	while (b.len &&
	       (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = 0;
	*ret = cohd_buf_steal(&b);
	cohd_buf_done(&b);
	return *ret ? 0 : -ENOMEM;
}

static void free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* ---- IMDSv2 and ECS (plain HTTP GETs) ---- */

static void imds_next(struct creds_provider *p);

static bool retry_metadata(struct creds_provider *p, int r, long status)
{
	if (p->client->closing || r == -ECANCELED)
		return false;
	if ((r < 0 || status >= 500) && p->tries++ < 1) /* one retry per request */
		return true;
	return false;
}

static void on_imds(int r, struct cohd_http_response *resp, void *userdata)
{
	struct creds_provider *p = userdata;
	struct cohd_aws_credentials *creds = NULL;
	struct cohd_error e = {};
	char *nl;

	if (r == 0 && resp->status == 401 && p->step > 0 && p->tries++ < 1) {
		/* the token went stale between requests: get another */
		p->step = 0;
		imds_next(p);
		return;
	}
	if (retry_metadata(p, r, r < 0 ? 0 : resp->status)) {
		imds_next(p);
		return;
	}
	if (r < 0) {
		provider_fail(p, r == -ECANCELED ? r : -EHOSTUNREACH, "IMDS at %s: %s",
			      p->src->endpoint, r == -ECANCELED ? "cancelled" : resp->error);
		return;
	}
	if (resp->status != 200) {
		provider_fail(p, -EACCES, "IMDS at %s: HTTP %ld on step %u", p->src->endpoint,
			      resp->status, p->step);
		return;
	}
	p->tries = 0;
	switch (p->step) {
	case 0:
		p->imds_token = cohd_buf_steal(&resp->body);
		break;
	case 1:
		nl = strchr(cohd_buf_str(&resp->body), '\n');
		if (nl)
			*nl = 0;
		if (isempty(cohd_buf_str(&resp->body))) {
			provider_fail(p, -ENOENT, "IMDS at %s: no IAM role attached",
				      p->src->endpoint);
			return;
		}
		p->imds_role = strdup(cohd_buf_str(&resp->body));
		break;
	default:
		r = cohd_aws_credentials_from_json(resp->body.data, resp->body.len, &creds, &e);
		if (r < 0) {
			provider_fail(p, r, "IMDS at %s: %s", p->src->endpoint, cohd_error_str(&e));
			cohd_error_done(&e);
			return;
		}
		provider_fetch_done(p, 0, creds, NULL);
		return;
	}
	if (!p->imds_token || (p->step == 1 && !p->imds_role)) {
		provider_fail(p, -ENOMEM, "out of memory");
		return;
	}
	p->step++;
	imds_next(p);
}

static void imds_next(struct creds_provider *p)
{
	const char *base = p->src->endpoint;
	size_t bl = strlen(base);
	_cleanup_free_ char *url = NULL;
	struct cohd_http_field h[1];
	struct cohd_http_request req = {
		.headers = h,
		.n_headers = 1,
		.connect_timeout = METADATA_TIMEOUT,
		.timeout = METADATA_TIMEOUT,
		.max_body = METADATA_BODY_MAX,
		.flags = COHD_HTTP_METADATA | COHD_HTTP_SECRET,
	};
	int r;

	while (bl && base[bl - 1] == '/')
		bl--;
	if (p->step == 0) {
		r = asprintf(&url, "%.*s/latest/api/token", (int)bl, base);
		req.method = "PUT";
		h[0] = (struct cohd_http_field){"X-aws-ec2-metadata-token-ttl-seconds",
						IMDS_TOKEN_TTL};
	} else {
		r = asprintf(&url, "%.*s/latest/meta-data/iam/security-credentials/%s", (int)bl,
			     base, p->step == 1 ? "" : p->imds_role);
		req.method = "GET";
		h[0] = (struct cohd_http_field){"X-aws-ec2-metadata-token", p->imds_token};
	}
	if (r < 0) {
		provider_fail(p, -ENOMEM, "out of memory");
		return;
	}
	req.url = url;
	r = cohd_http_submit(p->client->http, &req, on_imds, p);
	if (r < 0)
		provider_fail(p, r, "IMDS at %s: %s", base, strerror(-r));
}

static void ecs_next(struct creds_provider *p);

static void on_ecs(int r, struct cohd_http_response *resp, void *userdata)
{
	struct creds_provider *p = userdata;
	struct cohd_aws_credentials *creds = NULL;
	struct cohd_error e = {};

	if (retry_metadata(p, r, r < 0 ? 0 : resp->status)) {
		ecs_next(p);
		return;
	}
	if (r < 0) {
		provider_fail(p, r == -ECANCELED ? r : -EHOSTUNREACH,
			      "container credentials at %s: %s", p->src->endpoint,
			      r == -ECANCELED ? "cancelled" : resp->error);
		return;
	}
	if (resp->status != 200) {
		provider_fail(p, -EACCES, "container credentials at %s: HTTP %ld", p->src->endpoint,
			      resp->status);
		return;
	}
	r = cohd_aws_credentials_from_json(resp->body.data, resp->body.len, &creds, &e);
	if (r < 0) {
		provider_fail(p, r, "container credentials at %s: %s", p->src->endpoint,
			      cohd_error_str(&e));
		cohd_error_done(&e);
		return;
	}
	provider_fetch_done(p, 0, creds, NULL);
}

static void ecs_next(struct creds_provider *p)
{
	char *token = NULL;
	struct cohd_http_field h[1];
	struct cohd_http_request req = {
		.method = "GET",
		.url = p->src->endpoint,
		.headers = h,
		.connect_timeout = 2 * METADATA_TIMEOUT,
		.timeout = 2 * METADATA_TIMEOUT,
		.max_body = METADATA_BODY_MAX,
		.flags = COHD_HTTP_METADATA | COHD_HTTP_SECRET,
	};
	int r;

	if (p->src->auth_token_file) {
		r = read_small_file(p->src->auth_token_file, &token);
		if (r < 0) {
			provider_fail(p, r, "cannot read %s: %s", p->src->auth_token_file,
				      strerror(-r));
			return;
		}
	}
	if (token || p->src->auth_token) {
		h[0] = (struct cohd_http_field){"Authorization",
						token ? token : p->src->auth_token};
		req.n_headers = 1;
	}
	r = cohd_http_submit(p->client->http, &req, on_ecs, p);
	free_secret(token);
	if (r < 0)
		provider_fail(p, r, "container credentials at %s: %s", p->src->endpoint,
			      strerror(-r));
}

/* ---- STS (through the client) ---- */

static int creds_from_sts(json_t *result, struct cohd_aws_credentials **ret)
{
	json_t *cr = json_object_get(result, "Credentials");
	const char *ak = json_string_value(json_object_get(cr, "AccessKeyId"));
	const char *sk = json_string_value(json_object_get(cr, "SecretAccessKey"));
	const char *st = json_string_value(json_object_get(cr, "SessionToken"));
	json_t *exp = json_object_get(cr, "Expiration");
	struct cohd_aws_credentials *c;

	if (!ak || !sk || !st)
		return -EBADMSG;
	c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->access_key_id = strdup(ak);
	c->secret_access_key = strdup(sk);
	c->session_token = strdup(st);
	if (json_is_number(exp))
		c->expiration = (usec_t)(json_number_value(exp) * (double)USEC_PER_SEC);
	else if (json_is_string(exp) &&
		 cohd_parse_iso8601(json_string_value(exp), &c->expiration) < 0)
		c->expiration = 0;
	if (!c->access_key_id || !c->secret_access_key || !c->session_token) {
		cohd_aws_credentials_free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

static void on_sts(int r, json_t *result, const struct cohd_aws_error *err, void *userdata)
{
	struct creds_provider *p = userdata;
	struct cohd_aws_credentials *creds = NULL;

	if (r < 0) {
		provider_fetch_done(p, r, NULL, err);
		return;
	}
	r = creds_from_sts(result, &creds);
	if (r < 0) {
		provider_fail(p, r, "STS returned no credentials");
		return;
	}
	provider_fetch_done(p, 0, creds, NULL);
}

static int sts_params(struct creds_provider *p, json_t **ret)
{
	const struct cohd_aws_credential_source *s = p->src;
	json_t *o = json_object();
	char name[64];

	if (!o)
		return -ENOMEM;
	if (s->session_name)
		snprintf(name, sizeof name, "%s", s->session_name);
	else
		snprintf(name, sizeof name, "cohd-%llu",
			 (unsigned long long)(cohd_now_realtime() / USEC_PER_SEC));
	if (json_object_set_new(o, "RoleArn", json_string(s->role_arn)) < 0 ||
	    json_object_set_new(o, "RoleSessionName", json_string(name)) < 0 ||
	    (s->external_id &&
	     json_object_set_new(o, "ExternalId", json_string(s->external_id)) < 0) ||
	    (s->duration_seconds &&
	     json_object_set_new(o, "DurationSeconds", json_integer(s->duration_seconds)) < 0)) {
		json_decref(o);
		return -ENOMEM;
	}
	*ret = o;
	return 0;
}

static void assume_role_with(struct creds_provider *p, const struct cohd_aws_credentials *src)
{
	json_t *params = NULL;
	int r = sts_params(p, &params);

	if (r >= 0)
		r = cohd_aws_call_ex(p->client, &(struct cohd_aws_call_options){.credentials = src},
				     "sts", "AssumeRole", params, on_sts, p);
	json_decref(params);
	if (r < 0)
		provider_fail(p, r, "AssumeRole %s: %s", p->src->role_arn, strerror(-r));
}

static void on_source_creds(struct creds_waiter *w, int r, const struct cohd_aws_error *err)
{
	struct creds_provider *p = container_of(w, struct creds_provider, source_waiter);

	if (r < 0) {
		provider_fetch_done(p, r, NULL, err);
		return;
	}
	assume_role_with(p, p->source->creds);
}

static void web_identity(struct creds_provider *p)
{
	char *token = NULL;
	json_t *params = NULL;
	int r;

	r = read_small_file(p->src->token_file, &token);
	if (r < 0) {
		provider_fail(p, r, "cannot read the web identity token %s: %s", p->src->token_file,
			      strerror(-r));
		return;
	}
	r = sts_params(p, &params);
	if (r >= 0 && json_object_set_new(params, "WebIdentityToken", json_string(token)) < 0)
		r = -ENOMEM;
	free_secret(token);
	if (r >= 0)
		r = cohd_aws_call_ex(p->client, &(struct cohd_aws_call_options){.anonymous = true},
				     "sts", "AssumeRoleWithWebIdentity", params, on_sts, p);
	if (params) {
		/* the token is a secret: wipe our copy of the params */
		json_t *t = json_object_get(params, "WebIdentityToken");

		if (json_string_value(t))
			OPENSSL_cleanse((char *)json_string_value(t), json_string_length(t));
		json_decref(params);
	}
	if (r < 0)
		provider_fail(p, r, "AssumeRoleWithWebIdentity %s: %s", p->src->role_arn,
			      strerror(-r));
}

static void provider_start_fetch(struct creds_provider *p)
{
	int r;

	if (p->fetching || p->client->closing)
		return;
	p->fetching = true;
	p->step = p->tries = 0;
	p->last_fetch = cohd_now_monotonic();
	p->client->stats.credential_fetches++;
	log_debug(AWS, "fetching credentials: %s from %s",
		  cohd_aws_credential_kind_to_string(p->src->kind), strempty(p->src->origin));
	switch (p->src->kind) {
	case COHD_AWS_CREDENTIALS_IMDS:
		imds_next(p);
		break;
	case COHD_AWS_CREDENTIALS_ECS:
		ecs_next(p);
		break;
	case COHD_AWS_CREDENTIALS_WEB_IDENTITY:
		web_identity(p);
		break;
	case COHD_AWS_CREDENTIALS_ASSUME_ROLE:
		p->source_waiter.cb = on_source_creds;
		r = creds_provider_get(p->source, &p->source_waiter);
		if (r == 0)
			assume_role_with(p, p->source->creds);
		else if (r < 0)
			provider_fail(p, r, "no credentials for AssumeRole %s", p->src->role_arn);
		break;
	default:
		provider_fail(p, -ENOKEY, "credentials of kind %s cannot be fetched",
			      cohd_aws_credential_kind_to_string(p->src->kind));
	}
}

/* ---- the provider tree ---- */

static int provider_new(struct cohd_aws_client *c, const struct cohd_aws_credential_source *src,
			unsigned depth, struct creds_provider **ret)
{
	struct creds_provider *p, **np;
	int r;

	if (depth > COHD_AWS_PROFILE_CHAIN_MAX)
		return -ELOOP;
	p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	np = realloc(c->providers, (c->n_providers + 1) * sizeof *np);
	if (!np) {
		free(p);
		return -ENOMEM;
	}
	c->providers = np;
	c->providers[c->n_providers++] = p;
	p->client = c;
	p->src = src;
	if (src->kind == COHD_AWS_CREDENTIALS_STATIC) {
		if (!src->creds)
			return -EINVAL;
		r = cohd_aws_credentials_copy(src->creds, &p->creds);
		if (r < 0)
			return r;
	}
	if (src->kind == COHD_AWS_CREDENTIALS_ASSUME_ROLE) {
		if (!src->source)
			return -EINVAL;
		r = provider_new(c, src->source, depth + 1, &p->source);
		if (r < 0)
			return r;
	}
	*ret = p;
	return 0;
}

int creds_providers_new(struct cohd_aws_client *c)
{
	return provider_new(c, c->src, 0, &c->root);
}

void creds_providers_free(struct cohd_aws_client *c)
{
	for (size_t i = 0; i < c->n_providers; i++) {
		struct creds_provider *p = c->providers[i];

		creds_waiter_cancel(&p->source_waiter);
		while (p->waiters)
			creds_waiter_cancel(p->waiters);
		cohd_aws_credentials_free(p->creds);
		free_secret(p->imds_token);
		free(p->imds_role);
		free(p);
	}
	free(c->providers);
	c->providers = NULL;
	c->n_providers = 0;
	c->root = NULL;
}
