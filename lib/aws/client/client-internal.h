/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to lib/aws/client: the client, call and credential-provider structs shared by
 * client.c (the call pipeline) and creds.c (the credential fetchers). Loop thread only.
 */
#pragma once

#include "lib/aws/client/client.h"
#include "lib/aws/client/endpoints.h"
#include "lib/aws/protocols/protocols.h"
#include "lib/aws/retry/budget.h"
#include "lib/aws/retry/retry.h"
#include "lib/aws/sigv4/sigv4.h"

struct creds_provider;

/* Someone waiting for credentials: a call, or an AssumeRole provider waiting for its source. */
struct creds_waiter {
	struct creds_waiter *prev, *next;
	struct creds_provider *provider; /* non-NULL while queued */
	void (*cb)(struct creds_waiter *w, int r, const struct cohd_aws_error *err);
};

struct creds_provider {
	struct cohd_aws_client *client;
	const struct cohd_aws_credential_source *src; /* borrowed from the client's tree */
	struct creds_provider *source;		      /* ASSUME_ROLE: signs the STS call */
	struct creds_waiter source_waiter;	      /* queued on source while we wait */
	struct cohd_aws_credentials *creds;	      /* current, or NULL */
	bool invalid; /* AWS said the token expired: wait for a fetch before using creds */
	bool fetching;
	usec_t last_fetch; /* monotonic start of the last fetch; rate-limits background refresh */
	struct creds_waiter *waiters, *waiters_tail;

	/* the fetch in progress (IMDS / ECS steps) */
	unsigned step;
	unsigned tries;
	char *imds_token; /* secret */
	char *imds_role;
};

struct call;

struct cohd_aws_client {
	struct cohd_http *http;
	const struct cohd_aws_env *env;
	char *region;
	char *endpoint_url;
	char *account;
	struct cohd_aws_credential_source *src; /* owned when src_owned */
	bool src_owned;
	struct creds_provider *root;	   /* for src */
	struct creds_provider **providers; /* every provider of the tree (root first) */
	size_t n_providers;
	struct cohd_sigv4_key_cache *keys;
	struct cohd_aws_retry *retry;
	struct cohd_aws_budget *budget; /* NULL = no budgets */
	int64_t skew;			/* usec added to the wall clock when signing */
	usec_t min_refresh_interval;
	struct call *calls; /* pending, doubly linked */
	bool closing;
	struct cohd_aws_client_stats stats;
};

/* creds.c */
int creds_providers_new(struct cohd_aws_client *c);
void creds_providers_free(struct cohd_aws_client *c);
/* 0: p->creds usable now (a background refresh may have been started); 1: w is queued and its
 * cb runs (from the loop) once a fetch finished; < 0: error (nothing queued). */
int creds_provider_get(struct creds_provider *p, struct creds_waiter *w);
void creds_waiter_cancel(struct creds_waiter *w);
/* AWS rejected used as expired: stop using them until a new fetch. false when they cannot be
 * refreshed (static credentials). */
bool creds_provider_invalidate(struct creds_provider *p, const struct cohd_aws_credentials *used);
