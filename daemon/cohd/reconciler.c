/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The glue between the daemon and the reconcile engine (lib/reconcile): one engine per app
 * environment, its ports wired to the real AWS client (lib/aws/client), the state database
 * (lib/store) and the loop (timers), and the scheduling of passes.
 *
 * Accounts: the daemon's own credentials make the first account; an app whose x-cohd.role_arn is
 * set is reconciled in the account that role belongs to, through its own client that assumes the
 * role with the daemon's credentials (refreshed before expiry by the client). API budgets are
 * per client, so per account and region. Start-up is asynchronous: STS GetCallerIdentity names
 * each account (the daemon's is checked against the config's account_id), and each region's
 * availability zones are read (per account: zone names differ between accounts) before the
 * first pass there. Passes wait for that, never the loop.
 *
 * A pass runs on the app's accepted graph. A new generation accepted while a pass runs waits
 * for it to end; the engine is then rebuilt on the new app (its rules may have changed), told
 * the previous graph's resources so that their deletion protection is not lost. With --once,
 * each app gets passes until it converges, stops progressing, or reaches the pass bound; the
 * daemon exits 0 only if every app converged.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <limits.h>
#include <openssl/rand.h>

#include "daemon/cohd/daemon.h"
#include "daemon/cohd/shared_reads.h"
#include "daemon/cohd/zip.h"
#include "lib/aws/client/client.h"
#include "lib/config/app.h"
#include "lib/model/compile.h"
#include "lib/model/graph.h"
#include "lib/reconcile/reconcile.h"
#include "lib/resources/resources.h"
#include "lib/util/log.h"

/* --once: how many passes one app gets, and the pause between them (waits run inside a pass,
 * so more passes are needed only for what a pass left progressing). */
#define ONCE_MAX_PASSES 6
#define ONCE_PASS_DELAY_MS 2000
/* The daemon: the earliest a pass may follow the previous one of the same app. */
#define PASS_MIN_GAP_MS 1000
/* The daemon: how often it asks STS again when it could not find its account at start. */
#define STS_RETRY_SEC 30

struct region_azs {
	char *region;
	char **azs; /* sorted, NULL-terminated; NULL until known */
	bool fetching, failed;
};

struct aws_account {
	struct cohd_daemon *d;
	char *role_arn; /* NULL: the daemon's own credentials */
	struct cohd_aws_client *client;
	struct shared_reads *reads; /* every engine call goes through it */
	enum { ACCT_STARTING, ACCT_READY, ACCT_FAILED } state;
	char *account, *partition;
	struct region_azs *regions;
	size_t n_regions;
};

/* ---- ports: the loop ---- */

struct rec_timer {
	uv_timer_t t;
	void (*cb)(void *arg);
	void *arg;
};

/* t.data of every rec_timer, so that shutdown can find the ones still pending */
static const char rec_timer_tag;

static void timer_closed(uv_handle_t *h)
{
	free(container_of((uv_timer_t *)h, struct rec_timer, t));
}

static void timer_fired(uv_timer_t *h)
{
	struct rec_timer *t = container_of(h, struct rec_timer, t);

	/* the handle is invalid for the engine once cb runs; close it first so that cb may
	 * start new timers freely */
	uv_close((uv_handle_t *)h, timer_closed);
	t->cb(t->arg);
}

/* A one-shot timer that frees itself: cb(arg) runs once after delay unless stopped first. */
static void *loop_timer_start(uv_loop_t *loop, usec_t delay, void (*cb)(void *arg), void *arg)
{
	struct rec_timer *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	t->cb = cb;
	t->arg = arg;
	uv_timer_init(loop, &t->t);
	t->t.data = (void *)&rec_timer_tag;
	/* round up: a 0 < delay < 1 ms must not become "now" repeatedly */
	(void)uv_timer_start(&t->t, timer_fired, (delay + USEC_PER_MSEC - 1) / USEC_PER_MSEC, 0);
	return t;
}

static void *port_timer_start(void *userdata, usec_t delay, void (*cb)(void *arg), void *arg)
{
	struct app_entry *a = userdata;

	return loop_timer_start(&a->d->loop, delay, cb, arg);
}

static void port_timer_stop(void *userdata, void *timer)
{
	struct rec_timer *t = timer;

	(void)userdata;
	uv_timer_stop(&t->t);
	uv_close((uv_handle_t *)&t->t, timer_closed);
}

static usec_t port_now(void *userdata)
{
	(void)userdata;
	return cohd_now_monotonic();
}

/* ---- ports: AWS ---- */

static int port_aws_call(void *userdata, const struct cohd_rec_call *call, cohd_rec_call_cb cb,
			 void *cb_userdata)
{
	struct app_entry *a = userdata;
	struct cohd_aws_call_options opts = {
		.region = call->region ? call->region
				       : json_string_value(json_object_get(
						 cohd_graph_meta(a->engine_graph), "region")),
		.max_pages = call->all_pages ? UINT_MAX : 1,
	};

	return shared_reads_call(a->acct->reads, &opts, call, cb, cb_userdata);
}

/* ---- ports: the journal and randomness ---- */

static int port_journal_intent(void *userdata, const char *logical_id, const char *service,
			       const char *operation, const char *token, const json_t *request,
			       int64_t *ret_id)
{
	struct app_entry *a = userdata;
	_cleanup_free_ char *req = json_dumps(request, JSON_COMPACT | JSON_SORT_KEYS);

	if (!req)
		return -ENOMEM;
	return cohd_store_journal_intent(a->d->store, a->store_id, logical_id, service, operation,
					 token, req, ret_id);
}

static int port_journal_complete(void *userdata, int64_t id, bool succeeded,
				 const char *aws_request_id, const char *error_code,
				 const json_t *result)
{
	struct app_entry *a = userdata;
	_cleanup_free_ char *res = result ? json_dumps(result, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	return cohd_store_journal_complete(a->d->store, id, succeeded, aws_request_id, error_code,
					   res);
}

/* size-1 characters of [A-Za-z0-9], uniformly (rejection sampling), then a NUL. */
static int random_alnum(char *buf, size_t size)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	size_t i = 0;

	if (size == 0)
		return -EINVAL;
	while (i < size - 1) {
		unsigned char b[64];

		if (RAND_bytes(b, sizeof b) != 1)
			return -EIO;
		for (size_t k = 0; k < sizeof b && i < size - 1; k++)
			if (b[k] < 248) /* 248 = 4 * 62 */
				buf[i++] = alphabet[b[k] % 62];
		OPENSSL_cleanse(b, sizeof b);
	}
	buf[size - 1] = 0;
	return 0;
}

static int port_random_token(void *userdata, char *buf, size_t size)
{
	(void)userdata;
	return random_alnum(buf, size);
}

/* Listener rule priorities. Each environment's rules on a listener get a block of 100 from a
 * hash of the listener and the group (the environment), so that environments sharing the
 * app's listener rarely meet; inside the block they take consecutive slots in Rank order (the
 * compiler ranks longer paths first), ties broken by logical id, so that no two rules of one
 * environment ever ask for the same priority. Deterministic: the same graph, the same numbers. */
static int allocate_priority(const struct app_entry *a, const char *logical_id, const json_t *p,
			     json_t **ret)
{
	const char *listener = json_string_value(json_object_get(p, "Listener"));
	const char *group = json_string_value(json_object_get(p, "Group"));
	json_int_t rank = json_integer_value(json_object_get(p, "Rank"));
	const struct cohd_graph *g = a->engine_graph ? a->engine_graph : a->graph;
	uint32_t h = 2166136261u;
	json_int_t before = 0;

	for (const char *s = strempty(group); *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	for (const char *s = strempty(listener); *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	/* how many rules of the same listener and group come before this one */
	for (size_t i = 0; g && i < cohd_graph_size(g); i++) {
		const struct cohd_resource *res = cohd_graph_get(g, i);
		const json_t *q = json_object_get(res->properties, "Priority");
		json_int_t qr = json_integer_value(json_object_get(q, "Rank"));

		if (!json_object_get(q, "Allocate") || streq(res->id, logical_id) ||
		    !streq_ptr(json_string_value(json_object_get(q, "Listener")), listener) ||
		    !streq_ptr(json_string_value(json_object_get(q, "Group")), group))
			continue;
		if (qr < rank || (qr == rank && strcmp(res->id, logical_id) < 0))
			before++;
	}
	/* 490 blocks of 100 priorities (1..49000); beyond 100 rules they share the last slot */
	*ret = json_integer(1 + (json_int_t)(h % 490) * 100 + MIN(before, 99));
	return *ret ? 0 : -ENOMEM;
}

static int port_generate(void *userdata, const char *logical_id, const json_t *placeholder,
			 json_t **ret_value)
{
	const char *kind = json_string_value(json_object_get(placeholder, "Generate"));
	struct app_entry *a = userdata;

	if (kind && streq(kind, "password")) {
		json_int_t len = json_integer_value(json_object_get(placeholder, "Length"));
		json_t *known = json_object_get(a->generated, logical_id);
		char buf[129];
		int r;

		/* the same value until the resource exists: a create that is retried (or re-sent
		 * after a crash in this run) must not carry a different secret */
		if (known) {
			*ret_value = json_incref(known);
			return 0;
		}
		if (len < 16 || len > 128)
			len = 32;
		r = random_alnum(buf, (size_t)len + 1);
		if (r < 0)
			return r;
		*ret_value = json_string(buf);
		OPENSSL_cleanse(buf, sizeof buf);
		if (!*ret_value)
			return -ENOMEM;
		if (!a->generated)
			a->generated = json_object();
		if (a->generated)
			(void)json_object_set(a->generated, logical_id, *ret_value);
		return 0;
	}
	if (json_object_get(placeholder, "Allocate"))
		return allocate_priority(a, logical_id, placeholder, ret_value);
	if (json_object_get(placeholder, "Zip"))
		return cohd_zip_generate(placeholder, ret_value);
	log_debug(RECONCILE, "%s: no generator for this placeholder", logical_id);
	return -EOPNOTSUPP;
}

/* ---- generated values AWS already keeps ----
 *
 * A generated password lives in the secret that owns it, and other resources refer to it (the
 * database's MasterUserPassword). The port above remembers what it made only while cohd runs:
 * after a restart between creating the secret and creating the database, a new value would be
 * made for the database and the secret would no longer open it. So before the first pass on a
 * graph, each secret holding a Generate placeholder is read once (GetSecretValue) and the value
 * AWS keeps becomes the port's. Not found: the secret is still to be made. Any other failure
 * holds the passes (they would risk a mismatched secret) until a read succeeds. The value goes
 * only into memory: never logged, recorded or sent anywhere but where the graph refers to it. */

struct secret_read {
	struct app_entry *a;
	char *logical_id, *key;
};

static void kick_later(void *arg);
static void pass_fail(struct app_entry *a, const char *fmt, ...) _printf_(2, 3);

static void on_secret_value(int r, json_t *result, const struct cohd_aws_error *err,
			    void *userdata)
{
	struct secret_read *sr = userdata;
	struct app_entry *a = sr->a;

	a->secret_reads--;
	if (r >= 0) {
		json_auto_t *doc = json_loads(
			strempty(json_string_value(json_object_get(result, "SecretString"))), 0, NULL);
		json_t *v = json_object_get(doc, sr->key);

		if (json_is_string(v)) {
			if (!a->generated)
				a->generated = json_object();
			if (a->generated)
				(void)json_object_set(a->generated, sr->logical_id, v);
		}
	} else if (!err || err->class != COHD_AWS_ERROR_NOT_FOUND) {
		_cleanup_free_ char *m = err ? cohd_aws_error_format(err) : NULL;

		a->secret_read_failed = true;
		daemon_event(a->d, a, sr->logical_id, LOG_ERR, "secret-read",
			     "cannot read the generated value the secret keeps (%s); passes wait, "
			     "so that nothing is made with a different one",
			     m ? m : strerror(-r));
	}
	free(sr->logical_id);
	free(sr->key);
	free(sr);
	if (a->secret_reads > 0 || a->d->stopping)
		return;
	if (!a->secret_read_failed) {
		a->secrets_read = true;
		rec_kick(a);
	} else if (a->d->once)
		pass_fail(a, "the generated values of existing secrets could not be read");
	else
		(void)port_timer_start(a, STS_RETRY_SEC * USEC_PER_SEC, kick_later, a);
}

/* Start the reads; returns how many are in flight (the pass starts when they end). */
static unsigned read_generated_secrets(struct app_entry *a, const char *region)
{
	struct cohd_aws_call_options opts = { .region = region };

	a->secret_read_failed = false;
	for (size_t i = 0; i < cohd_graph_size(a->engine_graph); i++) {
		const struct cohd_resource *res = cohd_graph_get(a->engine_graph, i);
		const json_t *ss = json_object_get(res->properties, "SecretString");
		json_auto_t *params = NULL;
		struct secret_read *sr;
		const char *k;
		json_t *v;

		if (!streq(res->type, "secretsmanager.secret") || !res->name ||
		    json_object_get(a->generated, res->id))
			continue;
		json_object_foreach((json_t *)ss, k, v)
			if (json_object_get(v, "Generate"))
				break;
		if (!k)
			continue;
		params = json_pack("{s:s}", "SecretId", res->name);
		sr = calloc(1, sizeof *sr);
		if (!params || !sr || !(sr->logical_id = strdup(res->id)) || !(sr->key = strdup(k))) {
			if (sr) {
				free(sr->logical_id);
				free(sr);
			}
			a->secret_read_failed = true;
			continue;
		}
		sr->a = a;
		if (cohd_aws_call_ex(a->acct->client, &opts, "secretsmanager", "GetSecretValue",
				     params, on_secret_value, sr) < 0) {
			free(sr->logical_id);
			free(sr->key);
			free(sr);
			a->secret_read_failed = true;
			continue;
		}
		a->secret_reads++;
	}
	return a->secret_reads;
}

/* ---- ports: recording ---- */

/* Observed items and diffs arrive one by one during a pass; they are written together with the
 * pass's status, in one transaction (one fsync per pass, not one per resource). */
static void remember(json_t **obj, const char *key, const json_t *value)
{
	if (!*obj)
		*obj = json_object();
	if (*obj)
		(void)json_object_set_new(*obj, key, json_deep_copy(value));
}

static void port_record_observed(void *userdata, const char *logical_id, const char *type,
				 const json_t *item)
{
	struct app_entry *a = userdata;

	(void)type;
	remember(&a->pass_observed, logical_id, item);
}

static void port_record_diff(void *userdata, const char *logical_id, const json_t *diff)
{
	struct app_entry *a = userdata;

	remember(&a->pass_diffs, logical_id, diff);
}

/* The fields of one resource's diff that differ, as store rows (values as JSON text). */
static int write_drift(struct app_entry *a, const char *logical_id, const json_t *diff)
{
	const json_t *fields = json_object_get(diff, "fields"), *f;
	size_t i, n = 0, count = json_array_size(fields);
	_cleanup_free_ struct cohd_store_drift *rows = calloc(count ? count : 1, sizeof *rows);
	_cleanup_free_ char **texts = calloc(2 * (count ? count : 1), sizeof *texts);
	int r;

	if (!rows || !texts)
		return -ENOMEM;
	json_array_foreach(fields, i, f) {
		const char *state = json_string_value(json_object_get(f, "state"));
		const json_t *desired = json_object_get(f, "desired"), *live = json_object_get(f, "live");

		if (!state || (!streq(state, "drift") && !streq(state, "accepted")))
			continue;
		texts[2 * n] = desired ? json_dumps(desired, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
		texts[2 * n + 1] = live ? json_dumps(live, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
		rows[n] = (struct cohd_store_drift){
			.field = json_string_value(json_object_get(f, "field")),
			.status = state,
			.desired = texts[2 * n],
			.observed = texts[2 * n + 1],
			.rule = json_string_value(json_object_get(f, "rule")),
		};
		if (rows[n].field)
			n++;
	}
	r = cohd_store_drift_replace(a->d->store, a->store_id, logical_id, rows, n);
	for (size_t k = 0; k < 2 * count; k++)
		free(texts[k]);
	return r;
}

/* One resource of the pass's status: what was observed, its status and correction counters. */
static int write_resource(struct app_entry *a, const json_t *res)
{
	const char *id = json_string_value(json_object_get(res, "id"));
	const json_t *corr = json_object_get(res, "corrections");
	const json_t *item = json_object_get(a->pass_observed, id);
	_cleanup_free_ char *props = item ? json_dumps(item, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	struct cohd_store_observed o = {
		.logical_id = id,
		.type = json_string_value(json_object_get(res, "type")),
		.aws_id = json_string_value(json_object_get(res, "physical_id")),
		.properties = props,
		.sync = json_string_value(json_object_get(res, "sync")),
		.health = json_string_value(json_object_get(res, "health")),
		.corrections = (unsigned)json_integer_value(json_object_get(corr, "count")),
		.correction_digest = json_string_value(json_object_get(corr, "digest")),
		.quarantined = json_is_true(json_object_get(corr, "quarantined")),
	};
	const json_t *diff = json_object_get(a->pass_diffs, id);
	int r;

	if (!id || !o.type || !o.sync || !o.health)
		return 0;
	r = cohd_store_observed_put(a->d->store, a->store_id, &o);
	if (r >= 0)
		r = write_drift(a, id, diff);
	return r;
}

static void port_record_status(void *userdata, const json_t *status)
{
	struct app_entry *a = userdata;
	struct cohd_store *st = a->d->store;
	_cleanup_free_ char *doc = json_dumps(status, JSON_COMPACT | JSON_SORT_KEYS);
	const json_t *res;
	size_t i;
	int r;

	json_decref(a->rec_status);
	a->rec_status = json_deep_copy(status);
	if (!a->store_id)
		return;
	r = cohd_store_begin(st);
	json_array_foreach(json_object_get(status, "resources"), i, res) {
		if (r < 0)
			break;
		r = write_resource(a, res);
	}
	if (r >= 0)
		r = cohd_store_app_env_set_status(
			st, a->store_id, NULL, json_string_value(json_object_get(status, "sync")),
			json_string_value(json_object_get(status, "health")), NULL);
	if (r >= 0)
		r = cohd_store_app_env_set_pass_status(st, a->store_id, doc);
	if (r >= 0)
		r = cohd_store_commit(st);
	if (r < 0) {
		cohd_store_rollback(st);
		log_warning_errno(STORE, r, "%s.%s: cannot record the pass's results: %m, ignoring",
				  a->app, a->environment);
	}
	a->pass_observed = (json_decref(a->pass_observed), NULL);
	a->pass_diffs = (json_decref(a->pass_diffs), NULL);
}

static void port_record_event(void *userdata, const char *logical_id, const char *level,
			      const char *kind, const char *message)
{
	struct app_entry *a = userdata;
	int l = cohd_log_level_from_string(level);

	daemon_event(a->d, a, logical_id, l < 0 ? LOG_INFO : l, kind, "%s", message);
}

static void port_record_action(void *userdata, const json_t *action)
{
	struct app_entry *a = userdata;
	const char *state = json_string_value(json_object_get(action, "state"));
	const char *message = json_string_value(json_object_get(action, "message"));
	json_t *op = json_object_get(action, "operation");
	json_auto_t *d = op ? json_pack("{s:O}", "operation", op) : NULL;
	_cleanup_free_ char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
	int r;

	if (!a->pass_id)
		return;
	r = cohd_store_action_put(a->d->store, a->pass_id,
				  json_integer_value(json_object_get(action, "id")),
				  strempty(json_string_value(json_object_get(action, "resource"))),
				  strempty(json_string_value(json_object_get(action, "kind"))),
				  strempty(state),
				  detail, streq_ptr(state, "failed") ? message : NULL);
	if (r < 0)
		log_debug_errno(STORE, r, "%s.%s: action not recorded: %m", a->app, a->environment);
}

static const struct cohd_rec_ops rec_ops = {
	.aws_call = port_aws_call,
	.now = port_now,
	.timer_start = port_timer_start,
	.timer_stop = port_timer_stop,
	.journal_intent = port_journal_intent,
	.journal_complete = port_journal_complete,
	.random_token = port_random_token,
	.generate = port_generate,
	.record_observed = port_record_observed,
	.record_diff = port_record_diff,
	.record_status = port_record_status,
	.record_event = port_record_event,
	.record_action = port_record_action,
};

/* ---- accounts and their regions ---- */

static struct region_azs *region_get(struct aws_account *acct, const char *region)
{
	struct region_azs *v;

	for (size_t i = 0; i < acct->n_regions; i++)
		if (streq(acct->regions[i].region, region))
			return &acct->regions[i];
	v = reallocarray(acct->regions, acct->n_regions + 1, sizeof *v);
	if (!v)
		return NULL;
	acct->regions = v;
	v = &acct->regions[acct->n_regions];
	*v = (struct region_azs){ .region = strdup(region) };
	if (!v->region)
		return NULL;
	acct->n_regions++;
	return v;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct az_call {
	struct aws_account *acct;
	char *region;
};

static void on_azs(int r, json_t *result, const struct cohd_aws_error *err, void *userdata)
{
	struct az_call *c = userdata;
	struct region_azs *ra = region_get(c->acct, c->region);
	json_t *zones = json_object_get(result, "AvailabilityZones"), *z;
	size_t i, n = 0;

	if (ra) {
		ra->fetching = false;
		if (r < 0) {
			_cleanup_free_ char *m = cohd_aws_error_format(err);

			ra->failed = true;
			log_error(AWS, "DescribeAvailabilityZones in %s failed: %s", c->region,
				  m ? m : strerror(-r));
		} else {
			ra->azs = calloc(json_array_size(zones) + 1, sizeof *ra->azs);
			json_array_foreach(zones, i, z) {
				const char *name = json_string_value(json_object_get(z, "ZoneName"));
				const char *state = json_string_value(json_object_get(z, "State"));

				if (ra->azs && name && streq(strempty(state), "available"))
					ra->azs[n++] = strdup(name);
			}
			if (ra->azs)
				qsort(ra->azs, n, sizeof *ra->azs, cmp_str);
			log_info(AWS, "%s: %zu availability zones", c->region, n);
		}
	}
	rec_kick_all(c->acct->d);
	free(c->region);
	free(c);
}

/* The zones of a region, or NULL while they are being read (a pass is kicked when they are). */
static const char *const *region_azs(struct aws_account *acct, const char *region,
				     bool *ret_failed)
{
	struct region_azs *ra = region_get(acct, region);
	struct cohd_aws_call_options opts = { .region = region };
	struct az_call *c;
	json_auto_t *params = NULL;

	*ret_failed = !ra || ra->failed;
	if (!ra || ra->azs || ra->fetching || ra->failed)
		return ra ? (const char *const *)ra->azs : NULL;
	c = calloc(1, sizeof *c);
	params = json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Name", "zone-type", "Values",
			   "availability-zone");
	if (!c || !params || !(c->region = strdup(region))) {
		free(c);
		*ret_failed = ra->failed = true;
		return NULL;
	}
	c->acct = acct;
	ra->fetching = true;
	if (cohd_aws_call_ex(acct->client, &opts, "ec2", "DescribeAvailabilityZones", params, on_azs,
			     c) < 0) {
		ra->fetching = false;
		*ret_failed = ra->failed = true;
		free(c->region);
		free(c);
	}
	return NULL;
}

static const char *partition_of(const char *region)
{
	if (region && strncmp(region, "cn-", 3) == 0)
		return "aws-cn";
	if (region && strncmp(region, "us-gov-", 7) == 0)
		return "aws-us-gov";
	return "aws";
}

static void finish_once_if_done(struct cohd_daemon *d);
static void find_account(void *arg);

static void on_caller_identity(int r, json_t *result, const struct cohd_aws_error *err,
			       void *userdata)
{
	struct aws_account *acct = userdata;
	struct cohd_daemon *d = acct->d;
	const char *account = json_string_value(json_object_get(result, "Account"));
	const char *who = acct->role_arn ? acct->role_arn : "the daemon's credentials";

	if (r < 0 || !account) {
		_cleanup_free_ char *m = r < 0 ? cohd_aws_error_format(err) : NULL;

		log_error(AWS, "STS GetCallerIdentity with %s failed: %s; not reconciling there",
			  who, m ? m : (r < 0 ? strerror(-r) : "no Account in the answer"));
		acct->state = ACCT_FAILED;
	} else if (!acct->role_arn && d->config->account_id &&
		   !streq(d->config->account_id, account)) {
		log_error(AWS, "the credentials are for account %s, but the config says %s; "
			       "not reconciling", account, d->config->account_id);
		acct->state = ACCT_FAILED;
	} else {
		acct->account = strdup(account);
		acct->partition = strdup(partition_of(d->config->region));
		acct->state = acct->account && acct->partition ? ACCT_READY : ACCT_FAILED;
		log_notice(AWS, "reconciling in account %s as %s", account,
			   strempty(json_string_value(json_object_get(result, "Arn"))));
	}
	if (acct->state == ACCT_FAILED && !d->once && !d->stopping) {
		/* the network, the instance role or the trust policy may come up later */
		log_notice(AWS, "trying STS again in %u s", STS_RETRY_SEC);
		(void)loop_timer_start(&d->loop, STS_RETRY_SEC * USEC_PER_SEC, find_account, acct);
		return;
	}
	if (acct->state == ACCT_FAILED && !d->stopping) /* cancelled by a stop: not a failure */
		d->exit_code = EXIT_FAILURE;
	rec_kick_all(d);
}

static void find_account(void *arg)
{
	struct aws_account *acct = arg;
	int r;

	acct->state = ACCT_STARTING;
	r = cohd_aws_call(acct->client, "sts", "GetCallerIdentity", NULL, on_caller_identity, acct);
	if (r < 0) {
		log_error_errno(AWS, r, "cannot call STS: %m");
		acct->state = ACCT_FAILED;
	}
}

static struct aws_account *account_free(struct aws_account *acct)
{
	if (!acct)
		return NULL;
	/* answers queued for engines first; the client's cancelled calls still come back
	 * through the shared reads, which go last */
	shared_reads_cancel(acct->reads);
	acct->client = cohd_aws_client_free(acct->client);
	acct->reads = shared_reads_free(acct->reads);
	for (size_t i = 0; i < acct->n_regions; i++) {
		for (char **z = acct->regions[i].azs; z && *z; z++)
			free(*z);
		free(acct->regions[i].azs);
		free(acct->regions[i].region);
	}
	free(acct->regions);
	free(acct->role_arn);
	free(acct->account);
	free(acct->partition);
	free(acct);
	return NULL;
}

/* The account reconciled with the daemon's credentials (role_arn NULL), or through the role.
 * Created on first use; NULL when its client cannot be set up (logged). */
static struct aws_account *account_get(struct cohd_daemon *d, const char *role_arn)
{
	struct cohd_aws_client_config cfg = {
		.region = d->config->region,
		.budget_share = d->config->api_budget_share,
	};
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *src = NULL;
	struct cohd_error e = { 0 };
	struct aws_account *acct, **v;
	int r;

	for (size_t i = 0; i < d->n_accounts; i++)
		if (streq_ptr(d->accounts[i]->role_arn, role_arn))
			return d->accounts[i];
	v = reallocarray(d->accounts, d->n_accounts + 1, sizeof *v);
	if (!v)
		return NULL;
	d->accounts = v;
	acct = calloc(1, sizeof *acct);
	if (!acct || (role_arn && !(acct->role_arn = strdup(role_arn)))) {
		free(acct);
		return NULL;
	}
	acct->d = d;
	if (role_arn) {
		/* AssumeRole signed with whatever the daemon's own chain yields */
		src = calloc(1, sizeof *src);
		if (!src)
			return account_free(acct);
		src->kind = COHD_AWS_CREDENTIALS_ASSUME_ROLE;
		src->role_arn = strdup(role_arn);
		src->session_name = strdup("cohd");
		src->origin = strdup("x-cohd.role_arn");
		r = cohd_aws_credentials_resolve(&cohd_aws_env_process, &src->source, &e);
		if (r < 0 || !src->role_arn || !src->session_name || !src->origin) {
			log_error(AWS, "%s: no credentials to assume it with: %s", role_arn,
				  cohd_error_str(&e));
			cohd_error_done(&e);
			return account_free(acct);
		}
		cfg.credentials = TAKE_PTR(src);
		cfg.credentials_steal = true;
	} else
		cfg.account = d->config->account_id;
	r = cohd_aws_client_new(&d->loop, &cfg, &acct->client, &e);
	if (r < 0) {
		log_error_errno(AWS, r, "cannot set up the AWS client%s%s: %s",
				role_arn ? " for " : "", strempty(role_arn), cohd_error_str(&e));
		cohd_error_done(&e);
		return account_free(acct);
	}
	acct->reads = shared_reads_new(&d->loop, acct->client);
	if (!acct->reads)
		return account_free(acct);
	d->accounts[d->n_accounts++] = acct;
	find_account(acct);
	return acct;
}

int rec_start(struct cohd_daemon *d)
{
	struct aws_account *acct = account_get(d, NULL);

	return !acct || acct->state == ACCT_FAILED ? -EIO : 0;
}

static void close_pending_timer(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (h->type == UV_TIMER && h->data == &rec_timer_tag && !uv_is_closing(h))
		uv_close(h, timer_closed);
}

void rec_stop(struct cohd_daemon *d)
{
	/* engines first: their calls in flight complete into tombstones the client frees */
	for (size_t i = 0; i < d->n_apps; i++)
		rec_entry_done(d->apps[i]);
	/* timers that would have started passes or asked STS again: never fire them now */
	uv_walk(&d->loop, close_pending_timer, NULL);
	for (size_t i = 0; i < d->n_accounts; i++)
		account_free(d->accounts[i]);
	free(d->accounts);
	d->accounts = NULL;
	d->n_accounts = 0;
}

/* ---- per app ---- */

static void strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

void rec_entry_done(struct app_entry *a)
{
	a->engine = cohd_rec_engine_free(a->engine);
	if (a->engine_graph != a->graph)
		cohd_graph_free(a->engine_graph);
	if (a->engine_app != a->app_doc)
		cohd_app_free(a->engine_app);
	a->engine_graph = NULL;
	a->engine_app = NULL;
	a->graph = cohd_graph_free(a->graph);
	a->app_doc = cohd_app_free(a->app_doc);
	strv_free(a->owned);
	a->owned = NULL;
	json_decref(a->rec_status);
	a->rec_status = NULL;
	json_decref(a->generated); /* jansson frees the strings; they were never copied elsewhere */
	a->generated = NULL;
	a->pass_observed = (json_decref(a->pass_observed), NULL);
	a->pass_diffs = (json_decref(a->pass_diffs), NULL);
	a->running = false;
}

void rec_set_desired(struct app_entry *a, struct cohd_app *app, struct cohd_graph *graph)
{
	if (a->graph != a->engine_graph)
		cohd_graph_free(a->graph);
	if (a->app_doc != a->engine_app)
		cohd_app_free(a->app_doc);
	a->app_doc = app;
	a->graph = graph;
	a->delete_confirmed = false; /* the store cleared it with the new generation */
	a->secrets_read = false;     /* the new graph may hold other generated secrets */
	a->done = false;
	a->passes = 0;
}

/* The app file is gone (DESIGN.md §6): from now on the environment wants nothing. Its passes go
 * on with an empty graph (same region and names), so the engine, which remembers what the last
 * graph had, takes every resource through the grace period and, for stateful ones, the
 * confirmation, then deletes it. When nothing is left the environment is marked deleted. */
void rec_removed(struct app_entry *a)
{
	struct cohd_graph *g;

	if (!a->graph)
		return; /* never compiled here: nothing is known to delete */
	g = cohd_graph_new();
	if (!g || json_object_update(cohd_graph_meta(g), cohd_graph_meta(a->graph)) < 0) {
		cohd_graph_free(g);
		log_error(MAIN, "%s.%s: out of memory, the deletion path waits", a->app,
			  a->environment);
		return;
	}
	if (!a->engine_graph)
		a->engine_graph = a->graph; /* after a restart: remembered by engine_build */
	else if (a->graph != a->engine_graph)
		cohd_graph_free(a->graph);
	a->graph = g;
	a->done = false;
	a->passes = 0;
}

/* The ids this environment owns: its own "env/<env>/" resources (its services' included), and
 * the application-wide ones ("app/") only while it is the app's only environment, so that one
 * environment's removal never deletes what the others still use. */
static int compute_owned(struct app_entry *a)
{
	struct cohd_daemon *d = a->d;
	bool alone = true;
	char **v;

	for (size_t i = 0; i < d->n_apps; i++) {
		struct app_entry *o = d->apps[i];

		if (o != a && o->app && streq(o->app, a->app) && o->present)
			alone = false;
	}
	v = calloc(3, sizeof *v);
	if (!v)
		return -ENOMEM;
	if (cohd_model_env_id_prefix(a->environment, &v[0]) < 0 ||
	    (alone && !(v[1] = strdup("app/")))) {
		strv_free(v);
		return -ENOMEM;
	}
	strv_free(a->owned);
	a->owned = v;
	return 0;
}

struct intents_ctx {
	int64_t app_env_id;
	struct cohd_rec_intent *v;
	size_t n;
	char **strings;
	size_t n_strings;
};

static int keep_string(struct intents_ctx *c, const char *s, const char **ret)
{
	char **v = reallocarray(c->strings, c->n_strings + 1, sizeof *v);

	if (!v)
		return -ENOMEM;
	c->strings = v;
	*ret = NULL;
	if (!s)
		return 0;
	v[c->n_strings] = strdup(s);
	if (!v[c->n_strings])
		return -ENOMEM;
	*ret = v[c->n_strings++];
	return 0;
}

static int collect_intent(const struct cohd_store_journal_entry *e, void *userdata)
{
	struct intents_ctx *c = userdata;
	struct cohd_rec_intent *v, *it;

	if (e->app_env_id != c->app_env_id)
		return 0;
	v = reallocarray(c->v, c->n + 1, sizeof *v);
	if (!v)
		return -ENOMEM;
	c->v = v;
	it = &v[c->n++];
	*it = (struct cohd_rec_intent){ .id = e->id };
	if (keep_string(c, e->logical_id, &it->logical_id) < 0 ||
	    keep_string(c, e->service, &it->service) < 0 ||
	    keep_string(c, e->operation, &it->operation) < 0 ||
	    keep_string(c, e->idempotency_token, &it->token) < 0)
		return -ENOMEM;
	return 0;
}

static int restore_one(const struct cohd_store_observed *o, void *userdata)
{
	struct app_entry *a = userdata;

	if (o->aws_id)
		(void)cohd_rec_engine_remember_physical_id(a->engine, o->logical_id, o->aws_id);
	if (o->corrections == 0 || !o->correction_digest)
		return 0;
	return cohd_rec_engine_restore_corrections(a->engine, o->logical_id, o->type,
						   strtoull(o->correction_digest, NULL, 16),
						   o->corrections, o->quarantined);
}

/* Intents a crash left open for this app environment: the new engine settles them; and the
 * correction counters, so that a quarantine survives the restart. */
static int recover(struct app_entry *a)
{
	struct intents_ctx c = { .app_env_id = a->store_id };
	int r;

	r = cohd_store_journal_foreach_open(a->d->store, collect_intent, &c);
	if (r >= 0 && c.n > 0) {
		log_notice(RECONCILE, "%s.%s: %zu calls were in flight when cohd stopped; "
				      "settling them", a->app, a->environment, c.n);
		r = cohd_rec_engine_recover(a->engine, c.v, c.n);
	}
	for (size_t i = 0; i < c.n_strings; i++)
		free(c.strings[i]);
	free(c.strings);
	free(c.v);
	if (r >= 0)
		r = cohd_store_observed_foreach(a->d->store, a->store_id, restore_one, a);
	return r;
}

/* A resource of the graph before this one, from the store (after a restart). */
static int remember_stored(const struct cohd_store_resource *res, void *userdata)
{
	struct cohd_rec_engine *e = userdata;
	json_auto_t *deps = json_loads(strempty(res->depends_on), 0, NULL);
	const char **v = calloc(json_array_size(deps) + 1, sizeof *v);
	size_t i, n = 0;
	json_t *dep;
	int r;

	if (!v)
		return -ENOMEM;
	json_array_foreach(deps, i, dep)
		if (json_is_string(dep))
			v[n++] = json_string_value(dep);
	r = cohd_rec_engine_remember(e, res->logical_id, res->type,
				     streq_ptr(res->deletion, "confirm") ? COHD_DELETION_CONFIRM
									 : COHD_DELETION_DEFAULT,
				     v, n);
	if (r >= 0)
		r = cohd_rec_engine_remember_name(e, res->logical_id, res->physical_name,
						  res->region);
	free(v);
	return r < 0 && r != -ENOMEM ? 0 : r; /* a type this build lacks: nothing to remember */
}

/* (Re)build the engine on the accepted app; the previous graph's resources are remembered so
 * that what left the file keeps its deletion protection. */
static int engine_build(struct app_entry *a, const char *const *azs)
{
	struct cohd_daemon *d = a->d;
	json_t *meta = cohd_graph_meta(a->graph);
	struct cohd_rec_ops ops = rec_ops;
	struct cohd_rec_config cfg = {
		.app = a->app,
		.environment = a->environment,
		.env_type = (int)a->app_doc->env_type,
		.region = json_string_value(json_object_get(meta, "region")),
		.account = a->acct->account,
		.partition = a->acct->partition,
		.image_tag = "latest",
		.name_prefix = json_string_value(json_object_get(meta, "name_prefix")),
		.azs = azs,
		.types = cohd_resource_types,
		.config_rules = d->config->accept_drift,
		.n_config_rules = d->config->n_accept_drift,
		.app_rules = a->app_doc->accept_drift,
		.n_app_rules = a->app_doc->n_accept_drift,
		.dry_run = d->config->dry_run,
	};
	struct cohd_rec_engine *e = NULL;
	bool first = !a->engine;
	int r;

	switch (a->app_doc->env_type) {
	case COHD_APP_ENV_PREVIEW:
		cfg.deletion_grace = d->config->deletion_grace_preview;
		break;
	case COHD_APP_ENV_STATIC:
		cfg.deletion_grace = d->config->deletion_grace_static;
		break;
	default:
		cfg.deletion_grace = d->config->deletion_grace_production;
	}
	r = compute_owned(a);
	if (r < 0)
		return r;
	cfg.owned_prefixes = (const char *const *)a->owned;
	ops.userdata = a;
	r = cohd_rec_engine_new(&ops, &cfg, &e);
	if (r < 0)
		return r;
	/* what the previous engine ran keeps its protection (and is found by its name) in the
	 * new one; after a restart, the previous graph comes from the store */
	for (size_t i = 0; a->engine_graph && i < cohd_graph_size(a->engine_graph); i++) {
		const struct cohd_resource *res = cohd_graph_get(a->engine_graph, i);

		if (cohd_rec_engine_remember(e, res->id, res->type, res->deletion,
					     (const char *const *)res->depends_on,
					     res->n_depends_on) >= 0)
			(void)cohd_rec_engine_remember_name(e, res->id, res->name, res->region);
	}
	if (!a->engine_graph && a->store_id)
		(void)cohd_store_desired_foreach_previous(d->store, a->store_id, a->generation,
							  remember_stored, e);
	if (a->delete_confirmed)
		cohd_rec_engine_confirm_delete(e);
	cohd_rec_engine_free(a->engine);
	if (a->engine_graph != a->graph)
		cohd_graph_free(a->engine_graph);
	if (a->engine_app != a->app_doc)
		cohd_app_free(a->engine_app);
	a->engine = e;
	a->engine_graph = a->graph;
	a->engine_app = a->app_doc;
	return first ? recover(a) : 0;
}

static void kick_later(void *arg)
{
	rec_kick(arg);
}

static bool converged(const struct app_entry *a)
{
	const char *sync = json_string_value(json_object_get(a->rec_status, "sync"));

	return sync && streq(sync, "synced");
}

/* --once: done with this app: converged, or for a removed file, deleted */
static bool finished(const struct app_entry *a)
{
	return a->removed ? a->deleted : converged(a);
}

static void on_pass_done(struct cohd_rec_engine *e, int r, void *userdata)
{
	struct app_entry *a = userdata;
	struct cohd_daemon *d = a->d;
	const char *sync = json_string_value(json_object_get(a->rec_status, "sync"));
	const char *health = json_string_value(json_object_get(a->rec_status, "health"));

	a->running = false;
	a->passes++;
	a->last_pass = cohd_now_monotonic();
	if (a->pass_id &&
	    cohd_store_pass_end(d->store, a->pass_id,
				r < 0 ? "failed" : converged(a) ? "converged" : "progressing", 0,
				(unsigned)(cohd_rec_engine_mutations(e) - a->pass_mutations)) < 0)
		log_warning(STORE, "%s.%s: cannot record the pass's end, ignoring", a->app,
			    a->environment);
	if (r < 0)
		daemon_event(d, a, NULL, LOG_ERR, "pass-failed", "reconcile pass could not run: %s",
			     strerror(-r));
	else
		log_info(RECONCILE, "%s.%s: pass %u ended %s, %s", a->app, a->environment, a->passes,
			 strempty(sync), strempty(health));

	if (a->removed && r >= 0 && converged(a) &&
	    json_array_size(json_object_get(a->rec_status, "resources")) == 0 &&
	    cohd_rec_engine_mutations(e) == a->pass_mutations) {
		/* the deletion path is complete: a pass that had nothing left to do found
		 * nothing of this environment (a delete done in steps, like a CloudFront
		 * distribution's disable, then delete, shows up again in the next pass) */
		if (cohd_store_app_env_set_status(d->store, a->store_id, "deleted", "synced",
						  "healthy", NULL) < 0)
			log_warning(STORE, "%s.%s: cannot mark it deleted, ignoring", a->app,
				    a->environment);
		daemon_event(d, a, NULL, LOG_NOTICE, "deleted",
			     "every resource of %s.%s is deleted", a->app, a->environment);
		a->deleted = a->done = true;
	}

	/* siblings that waited for this pass */
	for (size_t i = 0; i < d->n_apps; i++)
		if (d->apps[i] != a && d->apps[i]->wanted && streq_ptr(d->apps[i]->app, a->app))
			(void)port_timer_start(d->apps[i], 0, kick_later, d->apps[i]);

	if (d->once) {
		/* another pass for what is still on its way, and after a pass that changed
		 * something but did not converge (an error a dependency's change may clear) */
		bool changed = cohd_rec_engine_mutations(e) > a->pass_mutations;

		if (a->done || r < 0 || finished(a) || !sync ||
		    !(streq(sync, "progressing") || changed) || a->passes >= ONCE_MAX_PASSES) {
			a->done = true;
			finish_once_if_done(d);
			return;
		}
		(void)port_timer_start(a, ONCE_PASS_DELAY_MS * USEC_PER_MSEC, kick_later, a);
		return;
	}
	if (a->wanted && !a->done) {
		a->wanted = false;
		(void)port_timer_start(a, PASS_MIN_GAP_MS * USEC_PER_MSEC, kick_later, a);
	}
}

static void pass_fail(struct app_entry *a, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	daemon_event(a->d, a, NULL, LOG_ERR, "pass-failed", "%s", msg ? msg : "out of memory");
	a->done = true;
	if (a->d->once)
		a->d->exit_code = EXIT_FAILURE;
	finish_once_if_done(a->d);
}

static void pass_start(struct app_entry *a)
{
	const char *region = json_string_value(json_object_get(cohd_graph_meta(a->graph), "region"));
	const char *role = a->app_doc->role_arn;
	const char *const *azs;
	bool failed;
	int r;

	if (!a->acct || !streq_ptr(a->acct->role_arn, role)) {
		if (a->engine && a->running)
			return;
		a->acct = account_get(a->d, role);
		if (!a->acct)
			return pass_fail(a, "cannot reach the account of %s", role);
		a->engine = cohd_rec_engine_free(a->engine); /* another account: start afresh */
	}
	if (a->acct->state == ACCT_STARTING) {
		a->wanted = true; /* kicked when STS answers */
		return;
	}
	if (a->acct->state == ACCT_FAILED) {
		if (a->d->once)
			pass_fail(a, "the account of %s is not usable", role ? role : "cohd");
		return;
	}
	azs = region_azs(a->acct, region, &failed);
	if (!azs) {
		if (failed)
			pass_fail(a, "the availability zones of %s are unknown", region);
		return; /* kicked again when they are known */
	}
	if (!a->engine || a->engine_app != a->app_doc || a->engine_graph != a->graph) {
		r = engine_build(a, azs);
		if (r < 0)
			return pass_fail(a, "cannot set up the reconcile engine: %s", strerror(-r));
	}
	if (!a->secrets_read) {
		if (a->secret_reads > 0 || read_generated_secrets(a, region) > 0)
			return; /* the pass starts when the reads end */
		if (a->secret_read_failed)
			return pass_fail(a, "cannot read the generated values of existing secrets");
		a->secrets_read = true;
	}
	a->pass_id = 0;
	a->pass_mutations = cohd_rec_engine_mutations(a->engine);
	if (cohd_store_pass_begin(a->d->store, a->store_id, a->generation,
				  a->passes ? "sweep" : "file", a->d->config->dry_run, &a->pass_id) < 0)
		log_warning(STORE, "%s.%s: cannot record the pass, ignoring", a->app, a->environment);
	r = cohd_rec_engine_run(a->engine, a->engine_graph, on_pass_done, a);
	if (r < 0)
		return pass_fail(a, "cannot start a pass: %s", strerror(-r));
	a->running = true;
}

/* Another environment of the same app in a pass: they share the application-wide resources
 * (VPC, ALB, cluster), so their passes never overlap. */
static bool sibling_running(const struct app_entry *a)
{
	for (size_t i = 0; i < a->d->n_apps; i++) {
		const struct app_entry *o = a->d->apps[i];

		if (o != a && o->running && streq_ptr(o->app, a->app))
			return true;
	}
	return false;
}

void rec_kick(struct app_entry *a)
{
	if (!a->graph || !(a->present || a->removed) || a->done || a->d->stopping)
		return;
	if (a->running || sibling_running(a)) {
		a->wanted = true;
		return;
	}
	a->wanted = false;
	pass_start(a);
}

void rec_kick_all(struct cohd_daemon *d)
{
	for (size_t i = 0; i < d->n_apps; i++)
		if (d->apps[i]->wanted || !d->apps[i]->passes)
			rec_kick(d->apps[i]);
	finish_once_if_done(d);
}

/* --dry-run: what the pass would have done, one action per line. */
static void print_plan(const json_t *plan)
{
	const json_t *act;
	size_t i;

	json_array_foreach(json_object_get(plan, "actions"), i, act) {
		const char *reason = json_string_value(json_object_get(act, "reason"));
		const char *op = json_string_value(json_object_get(act, "operation"));

		printf("  would %s %s %s%s%s%s\n",
		       strempty(json_string_value(json_object_get(act, "kind"))),
		       strempty(json_string_value(json_object_get(act, "type"))),
		       strempty(json_string_value(json_object_get(act, "resource"))),
		       op ? " (" : "", op ? op : "", op ? ")" : "");
		if (reason)
			printf("        %s\n", reason);
	}
}

/* --once: print a summary and stop the loop when every app is done. */
static void finish_once_if_done(struct cohd_daemon *d)
{
	size_t n = 0, good = 0;

	if (!d->once || d->stopping)
		return;
	for (size_t i = 0; i < d->n_apps; i++) {
		struct app_entry *a = d->apps[i];

		if (!a->present && !a->removed)
			continue;
		n++;
		if (!a->done && a->graph)
			return; /* still working on this one */
	}
	for (size_t i = 0; i < d->n_apps; i++) {
		struct app_entry *a = d->apps[i];
		const json_t *counts = json_object_get(a->rec_status, "counts");
		const char *k, *sep;
		json_t *v;

		if (!a->present && !a->removed)
			continue;
		if (json_array_size(a->errors) || !a->graph) {
			printf("%s: rejected (%zu errors)\n", a->path, json_array_size(a->errors));
			continue;
		}
		printf("%s.%s: %s, %s after %u passes (", a->app, a->environment,
		       strempty(json_string_value(json_object_get(a->rec_status, "sync"))),
		       strempty(json_string_value(json_object_get(a->rec_status, "health"))),
		       a->passes);
		sep = "";
		json_object_foreach((json_t *)counts, k, v) {
			printf("%s%lld %s", sep, json_integer_value(v), k);
			sep = ", ";
		}
		printf(")%s\n", !a->removed ? ""
				 : a->deleted ? ", file removed: deleted"
					      : ", file removed: deleting");
		if (d->config->dry_run)
			print_plan(json_object_get(a->rec_status, "plan"));
		if (finished(a))
			good++;
	}
	printf("%zu of %zu app environments converged\n", good, n);
	if (good != n)
		d->exit_code = EXIT_FAILURE;
	d->stopping = true;
	uv_stop(&d->loop);
}
