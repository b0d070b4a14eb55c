/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reconcile engine: one pass over one app environment. No I/O of its own; every effect
 * goes through struct cohd_rec_ops (reconcile.h). Loop thread only.
 *
 * A pass (cohd_rec_engine_run) is a small state machine driven by port callbacks:
 *
 *   start     (a 0-delay timer, so the caller's stack is gone) forget the last pass's
 *             observations, mark what the graph wants, remember every wanted resource's type,
 *             deletion kind and dependencies (deletion protection lives here, not in the file).
 *   observe   one bulk describe per resource type in play (wanted, remembered, or named by an
 *             open journal intent), at most max_observe in flight; a type whose resources
 *             depend on another type's waits for it (its describe may need the parent's id). Items
 * are matched by their cohd:id tag; an item without it but with a wanted resource's deterministic
 * name is adopted when ManagedBy/Application say it is ours, and flagged "exists and is not ours"
 * otherwise (never touched). detail    attributes the bulk describe omits (DescribeVpcAttribute,
 * GetBucketPolicy...): one read per managed item and detail, bounded like observe. lookup
 * look-up-before-create: for each wanted resource still missing whose type can look up by name, one
 * more describe (the bulk filter may not see untagged resources). plan      resolve placeholders
 * against what is known, diff every resource field by field through the one accept-drift engine
 * (bands from autoscaling targets included), settle recovered journal intents (adopt what a crashed
 * create made), decide holds (foreign, grace period, confirmation), build the DAG and apply
 * quarantine to corrections that were already made quarantine_after times without converging.
 * Record diff and plan. A dry run stops here: every action is "skipped (dry run)". act       start
 * every action whose predecessors are done, at most max_inflight calls in flight. Each mutating
 * call: journal intent (with its idempotency token) -> call -> journal outcome. "Already gone"
 * completes a delete. Creates and deletes with a wait poll on timers (never blocking); a wait that
 * reaches its bound leaves the action "timeout" (progressing; the next pass looks again) and blocks
 * its dependents. finish    per-resource and app status (sync x health), record it, call the pass
 * callback.
 *
 * Nothing is carried from one pass to the next except what must be: quarantine counters,
 * first-seen times of unmanaged resources, remembered deletion kinds, open intents, and the
 * last status. Everything else is observed again: the loop is level-triggered (DESIGN.md §5).
 */
#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>

#include "lib/model/naming.h"
#include "lib/reconcile/reconcile.h"
#include "lib/util/log.h"
#include "lib/util/macro.h"

#define TOKEN_LEN 32 /* fits ECS clientToken and ACM IdempotencyToken (<= 32) */

/* One resource the engine knows: wanted by the graph, observed, remembered, or all three. */
struct rec_res {
	char *id;
	const struct cohd_rec_type *type;
	const struct cohd_resource *want; /* this pass's graph; NULL outside a pass */
	struct cohd_rec_item *item;	  /* observed this pass */
	struct cohd_rec_item **extra;	  /* more items with the same cohd:id: a replacement whose
					   * old half is still there (superseded, to delete) */
	size_t n_extra;
	json_t *attrs; /* known attributes: observed or returned by create */
	struct cohd_rec_res_diff diff;
	bool has_diff;
	bool created; /* by this pass: res->attrs is the new resource, res->item the old one */
	bool foreign, adopt, gone;
	char *foreign_msg;
	bool env_clash;	 /* another environment's item has its id or name */
	char *waiting;	 /* it exists, but its desired values refer to something not known yet */
	char *clash_msg; /* what, for status when nothing of ours is found */

	/* Remembered across passes. */
	enum cohd_deletion deletion;
	char **deps;
	size_t n_deps;
	usec_t unmanaged_since;
	uint64_t corr_digest;
	unsigned corr_count;
	bool quarantined;
	int64_t open_intent; /* a create left open by a crash */
	char *open_token;
	char *last_name;	    /* the physical name it was last wanted with */
	char *last_region;	    /* ... and its region (NULL = the app's) */
	char *last_pid;		    /* its physical id when last observed: a resource no longer
				     * wanted that the bulk observe cannot find (a listener rule
				     * whose listener the graph no longer names) is described by it */
	char *match;		    /* this pass: the type's match_name from the resolved props */
	/* What observe last resolved and matched by: a resource no longer wanted is observed with
	 * those props and matched by that name (a removed listener certificate's listener and ARN,
	 * a removed record's zone). Until the process ends. */
	json_t *last_props;
	char *last_match;
	struct cohd_resource ghost; /* what observe sees of it once no longer wanted */

	/* Status of the last pass. */
	enum cohd_rec_sync sync;
	enum cohd_rec_health health;
	char *message;
	const char *hold;
	char *hold_buf;
};

enum rec_phase { PHASE_IDLE, PHASE_OBSERVE, PHASE_DETAIL, PHASE_LOOKUP, PHASE_ACT, PHASE_DONE };

enum rec_call_kind { CALL_OBSERVE, CALL_DETAIL, CALL_LOOKUP, CALL_ACTION, CALL_WAIT };

/* The userdata of every port callback: survives the engine (see cohd_rec_engine_free). */
struct rec_call {
	struct cohd_rec_engine *e;
	enum rec_call_kind kind;
	const struct cohd_rec_type *type;
	size_t action; /* action index, or detail index */
	char *res_id;
	struct cohd_rec_item *item; /* detail reads: the item read (owned by its resource) */
	json_t *raw;		    /* tag reads before matching: the described items read */
};

/* Observe jobs: one per type, or per batch of observe_batch wanted resources. */
struct obs_job {
	const struct cohd_rec_type *type;
	const char *region; /* NULL = the app's; CloudFront certificates and Lambda@Edge live in
			     * us-east-1 whatever the app's region: a job per type and region */
	size_t first; /* first wanted resource of the type in this batch */
	bool started, done;
	unsigned tag_reads; /* tag reads still out before the items can be matched */
};

/* Detail reads: one per managed item (current or superseded) and detail of its type. */
struct detail_job {
	struct rec_res *res;
	struct cohd_rec_item *item;
};

struct cohd_rec_engine {
	struct cohd_rec_ops ops;
	struct cohd_rec_config cfg;

	struct rec_res **res;
	size_t n_res;
	bool confirmed;
	unsigned long mutations;

	/* The pass. */
	enum rec_phase phase;
	const struct cohd_graph *g;
	cohd_rec_pass_cb cb;
	void *cb_userdata;
	void *start_timer;
	struct obs_job *obs; /* observe: one job per type, or per batch of observe_batch */
	size_t n_obs;
	size_t *lookups; /* res indexes for the lookup phase */
	size_t n_lookups, next_lookup;
	struct detail_job *details; /* every managed item x each detail of its type */
	size_t n_details, next_job, next_detail;
	unsigned inflight;
	struct cohd_rec_band *bands;
	size_t n_bands;
	struct cohd_rec_plan plan;
	json_t *status;
	json_t *secrets; /* values made by the generate port this pass: redacted from the journal */
	json_t *tag_cache;    /* "<type>\t<physical id>" -> {"pass", "tags"}: see tag_cache_get() */
	unsigned long passes; /* passes started */

	/* Port callbacks still owed to us; a freed engine lingers until they are 0. */
	unsigned pending;
	bool dead;
};

static void dispatch(struct cohd_rec_engine *e);
static int send_step(struct cohd_rec_engine *e, struct cohd_rec_action *a);
static struct cohd_rec_resolve_ctx resolve_ctx(struct cohd_rec_engine *e, const char *self,
					       bool keep_generated);
static void finish(struct cohd_rec_engine *e, int r);
static void observe_next(struct cohd_rec_engine *e);

/* ---- small helpers ---- */

static void event(struct cohd_rec_engine *e, const char *id, const char *level, const char *kind,
		  const char *fmt, ...) _printf_(5, 6);
static void event(struct cohd_rec_engine *e, const char *id, const char *level, const char *kind,
		  const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	log_debug(RECONCILE, "%s.%s %s: %s", e->cfg.app, e->cfg.environment, strempty(id), msg);
	if (e->ops.record_event)
		e->ops.record_event(e->ops.userdata, id, level, kind, msg);
}

static void set_str(char **p, const char *fmt, ...) _printf_(2, 3);
static void set_str(char **p, const char *fmt, ...)
{
	va_list ap;

	free(*p);
	va_start(ap, fmt);
	if (vasprintf(p, fmt, ap) < 0)
		*p = NULL;
	va_end(ap);
}

/* Nothing may be decided about r this pass; fmt says why (shown in status). */
static void set_hold(struct rec_res *r, const char *fmt, ...) _printf_(2, 3);
static void set_hold(struct rec_res *r, const char *fmt, ...)
{
	va_list ap;

	free(r->hold_buf);
	va_start(ap, fmt);
	if (vasprintf(&r->hold_buf, fmt, ap) < 0)
		r->hold_buf = NULL;
	va_end(ap);
	r->hold = r->hold_buf ? r->hold_buf : "not observed";
}

static const struct cohd_rec_type *find_type(const struct cohd_rec_engine *e, const char *name)
{
	for (size_t i = 0; e->cfg.types && e->cfg.types[i]; i++)
		if (streq(e->cfg.types[i]->name, name))
			return e->cfg.types[i];
	return NULL;
}

static struct rec_res *find_res(const struct cohd_rec_engine *e, const char *id)
{
	for (size_t i = 0; i < e->n_res; i++)
		if (streq(e->res[i]->id, id))
			return e->res[i];
	return NULL;
}

static struct rec_res *get_res(struct cohd_rec_engine *e, const char *id,
			       const struct cohd_rec_type *t)
{
	struct rec_res *r = find_res(e, id), **n;

	if (r) {
		if (t)
			r->type = t;
		return r;
	}
	n = reallocarray(e->res, e->n_res + 1, sizeof(*n));
	if (!n)
		return NULL;
	e->res = n;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->id = strdup(id);
	if (!r->id) {
		free(r);
		return NULL;
	}
	r->type = t;
	r->health = COHD_REC_HEALTH_UNKNOWN;
	e->res[e->n_res++] = r;
	return r;
}

static void item_free(struct cohd_rec_item *it)
{
	if (!it)
		return;
	free(it->logical_id);
	free(it->physical_id);
	free(it->name);
	json_decref(it->attrs);
	json_decref(it->tags);
	free(it);
}

static void res_forget_pass(struct rec_res *r)
{
	r->want = NULL;
	item_free(r->item);
	r->item = NULL;
	for (size_t i = 0; i < r->n_extra; i++)
		item_free(r->extra[i]);
	free(r->extra);
	r->extra = NULL;
	r->n_extra = 0;
	json_decref(r->attrs);
	r->attrs = NULL;
	cohd_rec_res_diff_done(&r->diff);
	r->has_diff = r->foreign = r->adopt = r->gone = r->created = false;
	free(r->foreign_msg);
	r->foreign_msg = NULL;
	r->env_clash = false;
	free(r->clash_msg);
	r->clash_msg = NULL;
	r->hold = NULL;
	free(r->hold_buf);
	r->hold_buf = NULL;
	free(r->waiting);
	r->waiting = NULL;
	free(r->match);
	r->match = NULL;
}

static void res_free(struct rec_res *r)
{
	res_forget_pass(r);
	for (size_t i = 0; i < r->n_deps; i++)
		free(r->deps[i]);
	free(r->deps);
	free(r->open_token);
	free(r->last_name);
	free(r->last_region);
	free(r->last_pid);
	json_decref(r->last_props);
	free(r->last_match);
	free(r->message);
	free(r->id);
	free(r);
}

static const char *physical_id(const struct rec_res *r)
{
	const char *s;

	/* After a create in this pass the new resource is the current one. */
	if (r->item && r->item->physical_id && !r->created)
		return r->item->physical_id;
	s = json_string_value(cohd_rec_json_path(r->attrs, r->type->id_path));
	return s ? s : r->item ? r->item->physical_id : NULL;
}

static bool owned(const struct cohd_rec_engine *e, const char *id)
{
	if (!e->cfg.owned_prefixes)
		return true;
	for (size_t i = 0; e->cfg.owned_prefixes[i]; i++)
		if (strncmp(id, e->cfg.owned_prefixes[i], strlen(e->cfg.owned_prefixes[i])) == 0)
			return true;
	return false;
}

static const char *env_type_name(int t)
{
	return t == 0 ? "production" : t == 1 ? "static" : "preview";
}

/* ---- port plumbing: every callback goes through a rec_call ---- */

static struct rec_call *call_new(struct cohd_rec_engine *e, enum rec_call_kind kind,
				 const struct cohd_rec_type *t, size_t action, const char *res_id)
{
	struct rec_call *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	*c = (struct rec_call){.e = e, .kind = kind, .type = t, .action = action};
	if (res_id && !(c->res_id = strdup(res_id))) {
		free(c);
		return NULL;
	}
	return c;
}

static void call_free(struct rec_call *c)
{
	json_decref(c->raw);
	free(c->res_id);
	free(c);
}

static void engine_destroy(struct cohd_rec_engine *e)
{
	free(e);
}

/* Returns true when the engine is gone and the callback must do nothing more. */
static bool call_settle(struct rec_call *c)
{
	struct cohd_rec_engine *e = c->e;

	e->pending--;
	if (e->dead) {
		if (e->pending == 0)
			engine_destroy(e);
		return true;
	}
	return false;
}

static void *timer(struct cohd_rec_engine *e, usec_t delay, void (*cb)(void *), void *arg)
{
	void *t = e->ops.timer_start(e->ops.userdata, delay, cb, arg);

	if (t)
		e->pending++;
	return t;
}

static void stop_timer(struct cohd_rec_engine *e, void **t)
{
	if (!*t)
		return;
	e->ops.timer_stop(e->ops.userdata, *t);
	*t = NULL;
	e->pending--;
}

/* How aws() sends a call (struct cohd_rec_call). */
enum {
	AWS_ALL_PAGES = 1u << 0,
	AWS_MUTATING = 1u << 1,
	AWS_SHARED = 1u << 2,
};

static int aws(struct cohd_rec_engine *e, const struct cohd_rec_type *t, const char *region,
	       const char *op, const json_t *params, unsigned flags, cohd_rec_call_cb cb,
	       struct rec_call *c)
{
	struct cohd_rec_call call = {
		.region = region,
		.service = t->service,
		.operation = op,
		.params = params,
		.all_pages = flags & AWS_ALL_PAGES,
		.mutating = flags & AWS_MUTATING,
		.shared = flags & AWS_SHARED,
	};
	int r;

	if (call.mutating) {
		assert(!e->cfg.dry_run);
		e->mutations++;
	}
	r = e->ops.aws_call(e->ops.userdata, &call, cb, c);
	if (r >= 0)
		e->pending++;
	return r;
}

static char *aws_error_text(int r, const struct cohd_aws_error *err)
{
	char *s = err ? cohd_aws_error_format(err) : NULL;

	if (!s && asprintf(&s, "%s", strerror(-r)) < 0)
		return NULL;
	return s;
}

/* ---- the pass: start ---- */

static int remember_deps(struct rec_res *r, char *const *deps, size_t n)
{
	char **copy = calloc(n + 1, sizeof(char *));

	if (!copy)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!(copy[i] = strdup(deps[i]))) {
			for (size_t k = 0; k < i; k++)
				free(copy[k]);
			free(copy);
			return -ENOMEM;
		}
	for (size_t i = 0; i < r->n_deps; i++)
		free(r->deps[i]);
	free(r->deps);
	r->deps = copy;
	r->n_deps = n;
	return 0;
}

/* Remembered across passes: types found through a list of names (observe_batch) ask for
 * the resources no longer wanted by the name they had, so that they are found and deleted. */
static int remember_name(struct rec_res *r, const char *name)
{
	char *n;

	if (!name || streq_ptr(r->last_name, name))
		return 0;
	n = strdup(name);
	if (!n)
		return -ENOMEM;
	free(r->last_name);
	r->last_name = n;
	return 0;
}

static int remember_region(struct rec_res *r, const char *region)
{
	char *n = NULL;

	if (streq_ptr(r->last_region, region))
		return 0;
	if (region && !(n = strdup(region)))
		return -ENOMEM;
	free(r->last_region);
	r->last_region = n;
	return 0;
}

/* The region r lives in, NULL for the app's. */
static const char *region_of(const struct cohd_rec_engine *e, const struct rec_res *r)
{
	const char *rg = r->want ? r->want->region : r->last_region;

	return rg && !streq_ptr(rg, e->cfg.region) ? rg : NULL;
}

/* Is r asked for in the observe of type t (wanted, or remembered by name for name lists)? */
static bool observed_by_name(const struct rec_res *r, const struct cohd_rec_type *t)
{
	return r->type == t &&
	       (r->want || ((t->observe_batch || t->match_name) && r->last_name));
}

/* A resource no longer wanted as observe_params sees it: its id, type and last name. */
static const struct cohd_resource *remembered_as(struct rec_res *r)
{
	r->ghost = (struct cohd_resource){
		.id = r->id,
		.type = (char *)r->type->name,
		.name = r->last_name,
		.region = r->last_region,
		.deletion = r->deletion,
	};
	return &r->ghost;
}

/* The name an untagged item must have to be r's: the wanted name; for types without tags
 * (owned_by_name) also the name a resource no longer wanted had, so that it is deleted. */
static const char *name_to_match(const struct rec_res *r)
{
	if (r->want)
		return r->match ? r->match : r->want->name;
	if (!r->type || !r->type->owned_by_name)
		return NULL;
	return r->last_match ? r->last_match : r->last_name;
}

/* ---- observe: the tag cache ---- */

/* Tags read before matching are kept per (type, physical id) and reused for tag_reread_passes
 * passes (0 = 10), so a pass with nothing to change does not read every resource's tags again:
 * a tag changed by hand is seen within that many passes; a resource acted on is read again on
 * the next pass. Entries not seen for that long are dropped. */
static unsigned tag_reread(const struct cohd_rec_engine *e)
{
	return e->cfg.tag_reread_passes ?: 10;
}

static char *tag_cache_key(const struct cohd_rec_type *t, const char *pid)
{
	char *k = NULL;

	if (!pid || asprintf(&k, "%s\t%s", t->name, pid) < 0)
		return NULL;
	return k;
}

/* The cached tags of t's item pid (borrowed), or NULL to read them. */
static const json_t *tag_cache_get(const struct cohd_rec_engine *e, const struct cohd_rec_type *t,
				   const char *pid)
{
	_cleanup_free_ char *k = tag_cache_key(t, pid);
	const json_t *ent = k ? json_object_get(e->tag_cache, k) : NULL;

	if (!ent || e->passes - json_integer_value(json_object_get(ent, "pass")) >= tag_reread(e))
		return NULL;
	return json_object_get(ent, "tags");
}

static void tag_cache_put(struct cohd_rec_engine *e, const struct cohd_rec_type *t, const char *pid,
			  const json_t *tags)
{
	_cleanup_free_ char *k = tag_cache_key(t, pid);

	if (!k || !tags || (!e->tag_cache && !(e->tag_cache = json_object())))
		return;
	json_object_set_new(e->tag_cache, k,
			    json_pack("{s:I, s:o}", "pass", (json_int_t)e->passes, "tags",
				      json_deep_copy(tags)));
}

/* At the start of a pass: forget what the last pass acted on, and entries too old to use. */
static void tag_cache_prune(struct cohd_rec_engine *e)
{
	const char *k;
	json_t *v;
	void *tmp;

	for (size_t i = 0; e->tag_cache && i < e->plan.n; i++) {
		const struct rec_res *r = find_res(e, e->plan.actions[i].logical_id);
		_cleanup_free_ char *key = NULL;

		if (!r || !r->item || !r->type)
			continue;
		key = tag_cache_key(r->type, r->item->physical_id);
		if (key)
			json_object_del(e->tag_cache, key);
	}
	json_object_foreach_safe (e->tag_cache, tmp, k, v)
		if (e->passes - json_integer_value(json_object_get(v, "pass")) >= tag_reread(e))
			json_object_del(e->tag_cache, k);
}

static void pass_start(void *arg)
{
	struct cohd_rec_engine *e = arg;
	size_t n_graph = cohd_graph_size(e->g);

	e->pending--;
	e->start_timer = NULL;
	if (e->dead) {
		if (e->pending == 0)
			engine_destroy(e);
		return;
	}
	e->passes++;
	tag_cache_prune(e);
	for (size_t i = 0; i < e->n_res; i++)
		res_forget_pass(e->res[i]);
	cohd_rec_plan_done(&e->plan);
	json_array_clear(e->secrets);

	for (size_t i = 0; i < n_graph; i++) {
		const struct cohd_resource *w = cohd_graph_get(e->g, i);
		const struct cohd_rec_type *t = find_type(e, w->type);
		struct rec_res *r = get_res(e, w->id, t);

		if (!r)
			return finish(e, -ENOMEM);
		r->want = w;
		if (remember_name(r, w->name) < 0 || remember_region(r, w->region) < 0)
			return finish(e, -ENOMEM);
		r->deletion = w->deletion;
		if (remember_deps(r, w->depends_on, w->n_depends_on) < 0)
			return finish(e, -ENOMEM);
		if (!t) {
			set_str(&r->message, "no resource type '%s' in this build", w->type);
			event(e, r->id, "err", "type", "%s", r->message);
		}
	}

	/* Types in play: wanted, remembered, or named by an open intent. */
	free(e->obs);
	e->obs = calloc(2 * e->n_res + 1, sizeof(*e->obs));
	e->n_obs = 0;
	if (!e->obs)
		return finish(e, -ENOMEM);
	for (size_t i = 0; i < e->n_res; i++) {
		const struct cohd_rec_type *t = e->res[i]->type;
		const char *region = region_of(e, e->res[i]);
		size_t n_wanted = 0;
		bool seen = !t;

		for (size_t k = 0; k < e->n_obs && !seen; k++)
			seen = e->obs[k].type == t && streq_ptr(e->obs[k].region, region);
		if (seen)
			continue;
		for (size_t k = 0; k < e->n_res; k++)
			n_wanted += observed_by_name(e->res[k], t) &&
				    streq_ptr(region_of(e, e->res[k]), region);
		/* Batches of observe_batch wanted resources (DescribeServices takes ten). */
		for (size_t first = 0; first == 0 || (t->observe_batch && first < n_wanted);
		     first += t->observe_batch ? t->observe_batch : 1)
			e->obs[e->n_obs++] =
				(struct obs_job){ .type = t, .region = region, .first = first };
	}
	e->phase = PHASE_OBSERVE;
	observe_next(e);
}

int cohd_rec_engine_run(struct cohd_rec_engine *e, const struct cohd_graph *g, cohd_rec_pass_cb cb,
			void *userdata)
{
	cohd_assert_return(e && g && !e->dead, -EINVAL);
	if (e->phase != PHASE_IDLE)
		return -EBUSY;
	e->g = g;
	e->cb = cb;
	e->cb_userdata = userdata;
	e->phase = PHASE_OBSERVE;
	e->inflight = 0;
	/* Never call back from inside run(): start from the loop. */
	e->start_timer = timer(e, 0, pass_start, e);
	if (!e->start_timer) {
		e->phase = PHASE_IDLE;
		return -ENOMEM;
	}
	return 0;
}

/* ---- observe ---- */

static json_t *tags_from(const json_t *raw, const struct cohd_rec_type *t)
{
	const json_t *src = t->tags_path ? cohd_rec_json_path(raw, t->tags_path) : NULL;
	json_t *out = json_object(), *v;
	const char *key;
	size_t i;

	if (!out || !src)
		return out;
	if (json_is_object(src)) {
		json_object_foreach ((json_t *)src, key, v)
			if (json_is_string(v))
				json_object_set(out, key, v);
		return out;
	}
	json_array_foreach (src, i, v) {
		const json_t *k = json_object_get(v, "Key") ?: json_object_get(v, "key");
		const json_t *val = json_object_get(v, "Value") ?: json_object_get(v, "value");

		if (json_is_string(k) && json_is_string(val))
			json_object_set(out, json_string_value(k), (json_t *)val);
	}
	return out;
}

static char *text_at(const json_t *v, const char *path)
{
	const json_t *x = path ? cohd_rec_json_path(v, path) : NULL;

	return x ? cohd_rec_json_text(x) : NULL;
}

static struct cohd_rec_item *item_parse(const struct cohd_rec_type *t, const json_t *raw)
{
	struct cohd_rec_item *it = calloc(1, sizeof(*it));
	const char *lid;

	if (!it)
		return NULL;
	/* A copy: details are merged into it, and the raw item belongs to the response. */
	it->attrs = t->project ? t->project(raw) : json_deep_copy(raw);
	it->tags = tags_from(raw, t);
	it->physical_id = text_at(it->attrs, t->id_path);
	it->name = strncmp(strempty(t->name_path), "tag:", 4) == 0
			   ? text_at(it->tags, t->name_path + 4)
			   : text_at(it->attrs, t->name_path);
	lid = json_string_value(json_object_get(it->tags, "cohd:id"));
	if (lid)
		it->logical_id = strdup(lid);
	if (!it->attrs || !it->tags || (lid && !it->logical_id)) {
		item_free(it);
		return NULL;
	}
	return it;
}

/* The environment an item's cohd:environment tag names, when it is not this engine's: each
 * environment is its own engine, and another's resources are never adopted, corrected or
 * deleted here. NULL for ours and for application-wide items (they carry no such tag). */
static const char *other_env(const struct cohd_rec_engine *e, const struct cohd_rec_item *it)
{
	const char *env = json_string_value(json_object_get(it->tags, "cohd:environment"));

	return env && !streq(env, e->cfg.environment) ? env : NULL;
}

static bool tagged_ours(const struct cohd_rec_engine *e, const struct cohd_rec_item *it)
{
	return streq_ptr(json_string_value(json_object_get(it->tags, "ManagedBy")), "coherence") &&
	       streq_ptr(json_string_value(json_object_get(it->tags, "Application")), e->cfg.app) &&
	       !other_env(e, it);
}

/* Attach one observed item to the resource it belongs to (or note it is foreign). */
static void ingest(struct cohd_rec_engine *e, const struct cohd_rec_type *t, const json_t *raw)
{
	struct cohd_rec_item *it = item_parse(t, raw);
	struct rec_res *r = NULL;

	if (!it)
		return;
	if (other_env(e, it)) {
		/* Another environment's (its engine runs alone): never adopted, corrected or
		 * deleted by this one. When it carries a wanted resource's id or name, that
		 * resource is held rather than created beside it (unless ours is found too). */
		for (size_t i = 0; i < e->n_res && !r; i++) {
			struct rec_res *w = e->res[i];

			if (w->want && w->type == t &&
			    (streq_ptr(it->logical_id, w->id) ||
			     (it->name && streq_ptr(w->want->name, it->name))))
				r = w;
		}
		if (r && !r->env_clash) {
			r->env_clash = true;
			set_str(&r->clash_msg,
				"%s '%s' carries this resource's %s but belongs to environment "
				"'%s' (cohd:environment): it is never touched here, and nothing "
				"is created beside it",
				t->name, strempty(it->physical_id),
				streq_ptr(it->logical_id, r->id) ? "id" : "name", other_env(e, it));
		}
		log_debug(RECONCILE, "%s.%s: %s %s belongs to environment %s: left alone",
			  e->cfg.app, e->cfg.environment, t->name, strempty(it->physical_id),
			  other_env(e, it));
		item_free(it);
		return;
	}
	if (it->logical_id && tagged_ours(e, it)) {
		r = find_res(e, it->logical_id);
		if (!r && owned(e, it->logical_id))
			r = get_res(e, it->logical_id, t);
		if (r && r->type && !streq(r->type->name, t->name))
			r = NULL; /* same id, other type: not this one */
	} else if (it->name) {
		/* No cohd:id (or not ours): is it a wanted resource's deterministic name? */
		for (size_t i = 0; i < e->n_res && !r; i++) {
			struct rec_res *w = e->res[i];

			if (w->type == t && streq_ptr(name_to_match(w), it->name))
				r = w;
		}
		if (r && r->item)
			r = NULL;
		if (r && r->type->owned_by_name) {
			/* No tags in the API: the deterministic name (app's hashed prefix) is
			 * the ownership. Nothing to adopt: there is no cohd:id to add. */
		} else if (r && !tagged_ours(e, it)) {
			r->foreign = true;
			set_str(&r->foreign_msg,
				"%s '%s' exists and is not ours (ManagedBy/Application tags "
				"missing or different): it is never touched; rename or remove it",
				t->name, it->name);
			event(e, r->id, "err", "foreign", "%s", r->foreign_msg);
			r = NULL;
		} else if (r)
			r->adopt = true;
	}
	/* No longer wanted here and outside what this environment owns: an application-wide
	 * resource the app's other environments still use. Not ours to delete. */
	if (r && !r->want && !owned(e, r->id))
		r = NULL;
	if (!r) {
		item_free(it);
		return;
	}
	if (r->item) {
		/* A replacement in progress (or an accident): the plan decides which one is
		 * current and deletes the other once nothing depends on it. */
		struct cohd_rec_item **n = reallocarray(r->extra, r->n_extra + 1, sizeof(*n));

		if (!n) {
			item_free(it);
			return;
		}
		r->extra = n;
		r->extra[r->n_extra++] = it;
		event(e, r->id, "notice", "duplicate",
		      "two %s resources carry cohd:id=%s (%s and %s)", t->name, r->id,
		      strempty(r->item->physical_id), strempty(it->physical_id));
		return;
	}
	r->item = it;
	json_decref(r->attrs);
	r->attrs = json_incref(it->attrs);
	if (it->physical_id && !streq_ptr(r->last_pid, it->physical_id)) {
		free(r->last_pid);
		r->last_pid = strdup(it->physical_id);
	}
	if (e->ops.record_observed)
		e->ops.record_observed(e->ops.userdata, r->id, t->name, it->attrs);
}

/* ---- observe: responses, "nothing there", tag reads before matching ---- */

/* The items of a describe response: the list at list_path, or the whole response as one item
 * when the type has no list_path (DescribeTaskDefinition). New reference, never NULL on success. */
static json_t *described_items(const struct cohd_rec_type *t, const json_t *result)
{
	const json_t *list;

	if (!t->list_path)
		return json_is_object(result) && json_object_size(result) > 0
			       ? json_pack("[O]", result)
			       : json_array();
	list = cohd_rec_json_path(result, t->list_path);
	return json_is_array(list) ? json_incref((json_t *)list) : json_array();
}

/* Does err mean "nothing there" for t's describe ("Code" or "Code:message prefix")? */
static bool observe_absent(const struct cohd_rec_type *t, const struct cohd_aws_error *err)
{
	for (size_t i = 0;
	     err && err->code && t->observe_absent_codes && t->observe_absent_codes[i]; i++) {
		const char *s = t->observe_absent_codes[i], *colon = strchr(s, ':');
		size_t n = colon ? (size_t)(colon - s) : strlen(s);

		if (strlen(err->code) != n || strncmp(err->code, s, n) != 0)
			continue;
		if (!colon || strncmp(strempty(err->message), colon + 1, strlen(colon + 1)) == 0)
			return true;
	}
	return false;
}

/* A detail whose merge_as is the type's tags_path reads the tags the describe lacks: it runs
 * for every described item before matching (ownership and cohd:id come from it). */
static const struct cohd_rec_detail *tag_detail(const struct cohd_rec_type *t)
{
	for (size_t i = 0; t->tags_path && i < t->n_details; i++)
		if (t->details[i].merge_as && streq(t->details[i].merge_as, t->tags_path))
			return &t->details[i];
	return NULL;
}

/* Types whose describe lists the whole region: is the item's name under the app's prefix
 * ("<app slug>-<6 hex>", the start of the environment's name prefix)? */
static bool under_app_prefix(const struct cohd_rec_engine *e, const char *name)
{
	_cleanup_free_ char *slug = cohd_naming_slug(strempty(e->cfg.app), 20);
	const char *np = strempty(e->cfg.name_prefix);
	size_t n = slug ? strlen(slug) + 7 : 0;

	if (!name)
		return false;
	if (slug && strlen(np) >= n && strncmp(np, slug, n - 7) == 0 && np[n - 7] == '-')
		return strncmp(name, np, n) == 0;
	return strncmp(name, np, strlen(np)) == 0;
}

/* Is name one of our resources' deterministic names (wanted or last wanted)? A name cut to
 * fit a short limit (32 for ELBv2) may have lost part of the app prefix to its hash. */
static bool known_name(const struct cohd_rec_engine *e, const struct cohd_rec_type *t,
		       const char *name)
{
	for (size_t i = 0; name && i < e->n_res; i++)
		if (e->res[i]->type == t && streq_ptr(e->res[i]->last_name, name))
			return true;
	return false;
}

static void tag_reads_hold(struct cohd_rec_engine *e, const struct cohd_rec_type *t, const char *op,
			   const char *msg)
{
	for (size_t k = 0; k < e->n_res; k++)
		if (e->res[k]->type == t)
			set_hold(e->res[k], "not observed: %s failed: %s", op, strempty(msg));
}

/* The entry of a batched tag read's response that belongs to item it. */
static const json_t *batch_entry(const struct cohd_rec_detail *d, const json_t *result,
				 const struct cohd_rec_item *it)
{
	const json_t *x;
	size_t i;

	json_array_foreach (cohd_rec_json_path(result, d->batch_list_path), i, x)
		if (it->physical_id &&
		    streq_ptr(json_string_value(cohd_rec_json_path(x, d->batch_id_path)),
			      it->physical_id))
			return x;
	return NULL;
}

/* Does err mean "not set" for detail d (its absent_codes)? */
static bool detail_absent(const struct cohd_rec_detail *d, const struct cohd_aws_error *err)
{
	for (size_t k = 0; err && d->absent_codes && d->absent_codes[k]; k++)
		if (streq_ptr(err->code, d->absent_codes[k]))
			return true;
	return false;
}

static void tag_read_done(int r, json_t *result, const struct cohd_aws_error *err, void *userdata)
{
	struct rec_call *c = userdata;
	struct cohd_rec_engine *e = c->e;
	const struct cohd_rec_detail *d = tag_detail(c->type);
	bool batched = d->batch_max > 0 && d->batch_params;
	json_t *raw;
	size_t i;

	if (call_settle(c)) {
		call_free(c);
		return;
	}
	e->inflight--;
	if (r >= 0) {
		json_array_foreach (c->raw, i, raw) {
			struct cohd_rec_item *it = item_parse(c->type, raw);
			const json_t *src = !batched ? result
					    : it     ? batch_entry(d, result, it)
						     : NULL;
			const json_t *v = src && d->result_path
						  ? cohd_rec_json_path(src, d->result_path)
						  : src;

			if (v) {
				cohd_rec_json_set_path(raw, c->type->tags_path, json_deep_copy(v));
				if (it)
					tag_cache_put(e, c->type, it->physical_id, v);
			}
			item_free(it);
			ingest(e, c->type, raw);
		}
	} else if (batched || !err || err->class != COHD_AWS_ERROR_NOT_FOUND) {
		/* One item gone since the describe is not an error; anything else is. */
		_cleanup_free_ char *msg = aws_error_text(r, err);

		tag_reads_hold(e, c->type, d->operation, msg);
	}
	if (--e->obs[c->action].tag_reads == 0)
		e->obs[c->action].done = true;
	call_free(c);
	observe_next(e);
}

/* One tag read for the described items in chunk (stolen): one item, or up to batch_max. */
static int tag_read_start(struct cohd_rec_engine *e, const struct cohd_rec_type *t, size_t job,
			  json_t *chunk)
{
	const struct cohd_rec_detail *d = tag_detail(t);
	size_t n = json_array_size(chunk);
	_cleanup_free_ struct cohd_rec_item **items = calloc(n + 1, sizeof(*items));
	json_auto_t *params = NULL;
	struct rec_call *c;
	json_t *raw;
	size_t i;
	int r = items ? 0 : -ENOMEM;

	json_array_foreach (chunk, i, raw)
		if (r >= 0 && !(items[i] = item_parse(t, raw)))
			r = -ENOMEM;
	if (r >= 0)
		r = d->batch_max > 0 && d->batch_params
			    ? d->batch_params((const struct cohd_rec_item *const *)items, n,
					      &params)
			    : d->params(items[0], &params);
	for (i = 0; items && i < n; i++)
		item_free(items[i]);
	if (r >= 0 && !params)
		r = -EINVAL;
	c = r >= 0 ? call_new(e, CALL_DETAIL, t, job, NULL) : NULL;
	if (!c) {
		json_decref(chunk);
		return r < 0 ? r : -ENOMEM;
	}
	c->raw = chunk;
	r = aws(e, t, e->obs[job].region, d->operation, params, 0, tag_read_done, c);
	if (r < 0) {
		call_free(c);
		return r;
	}
	e->inflight++;
	e->obs[job].tag_reads++;
	e->obs[job].done = false;
	return 0;
}

/* Match the described items of observe job `job`; types whose describe lacks tags read them
 * first (one call per item, or per batch_max items), only for items under the app's prefix
 * when the describe lists the whole region. */
static void observe_items(struct cohd_rec_engine *e, const struct cohd_rec_type *t, size_t job,
			  const json_t *list)
{
	const struct cohd_rec_detail *d = tag_detail(t);
	size_t per = d && d->batch_max > 0 && d->batch_params ? d->batch_max : 1;
	json_auto_t *todo = json_array();
	const json_t *item;
	size_t i;

	json_array_foreach (list, i, item) {
		struct cohd_rec_item *it = d || t->tag_read_prefix ? item_parse(t, item) : NULL;
		const json_t *cached = d && it ? tag_cache_get(e, t, it->physical_id) : NULL;
		bool ours = !t->tag_read_prefix ||
			    (it && (under_app_prefix(e, it->name) || known_name(e, t, it->name)));

		if ((d || t->tag_read_prefix) && !it)
			continue; /* dropped by project (a listener's default rule) */
		item_free(it);
		if (!ours)
			continue; /* another app's, or nobody's: not ours to judge */
		if (!d)
			ingest(e, t, item);
		else if (cached) {
			json_auto_t *copy = json_deep_copy(item);

			if (copy &&
			    cohd_rec_json_set_path(copy, t->tags_path, json_deep_copy(cached)) >= 0)
				ingest(e, t, copy);
		} else
			json_array_append_new(todo, json_deep_copy(item));
	}
	for (i = 0; i < json_array_size(todo); i += per) {
		json_t *chunk = json_array();
		int r;

		for (size_t k = i; chunk && k < i + per && k < json_array_size(todo); k++)
			json_array_append(chunk, json_array_get(todo, k));
		r = chunk ? tag_read_start(e, t, job, chunk) : -ENOMEM;
		if (r < 0)
			tag_reads_hold(e, t, d->operation, strerror(-r));
	}
}

static void observe_done(int r, json_t *result, const struct cohd_aws_error *err, void *userdata)
{
	struct rec_call *c = userdata;
	struct cohd_rec_engine *e = c->e;

	if (call_settle(c)) {
		call_free(c);
		return;
	}
	e->inflight--;
	e->obs[c->action].done = true;
	if (r < 0 && observe_absent(c->type, err))
		r = 0, result = NULL; /* "nothing there": observed, and empty */
	if (r < 0) {
		_cleanup_free_ char *msg = aws_error_text(r, err);

		/* Without a full observation of a type nothing of it may be planned: a missing
		 * item would look like "create" and produce a duplicate. */
		event(e, NULL, "err", "observe", "%s %s failed: %s", c->type->service,
		      c->type->describe_op, strempty(msg));
		for (size_t k = 0; k < e->n_res; k++)
			if (e->res[k]->type == c->type) {
				set_hold(e->res[k], "not observed: %s %s failed: %s",
					 c->type->service, c->type->describe_op, strempty(msg));
			}
	} else {
		json_auto_t *described = described_items(c->type, result);
		/* A copy when members are added: the response may be shared by other engines. */
		json_auto_t *list = c->type->observe_keep ? json_deep_copy(described)
							  : json_incref(described);
		const json_t *v;
		json_t *item;
		size_t i;

		/* What the describe was asked about but does not echo (observe_keep). */
		for (size_t k = 0; c->type->observe_keep && c->type->observe_keep[k]; k++)
			if ((v = json_object_get(c->raw, c->type->observe_keep[k])))
				json_array_foreach (list, i, item)
					if (json_is_object(item))
						json_object_set(item, c->type->observe_keep[k],
								(json_t *)v);
		observe_items(e, c->type, c->action, list);
	}
	call_free(c);
	observe_next(e);
}

/* Does a wanted resource of type t depend on one of type u? */
static bool type_depends(const struct cohd_rec_engine *e, const struct cohd_rec_type *t,
			 const struct cohd_rec_type *u)
{
	for (size_t i = 0; i < e->n_res; i++) {
		const struct rec_res *r = e->res[i];

		if (!r->want || r->type != t)
			continue;
		for (size_t d = 0; d < r->want->n_depends_on; d++) {
			const struct rec_res *x = find_res(e, r->want->depends_on[d]);

			if (x && x->type == u)
				return true;
		}
	}
	return false;
}

static bool obs_ready(const struct cohd_rec_engine *e, size_t k)
{
	for (size_t j = 0; j < e->n_obs; j++)
		if (!e->obs[j].done && e->obs[j].type != e->obs[k].type &&
		    type_depends(e, e->obs[k].type, e->obs[j].type))
			return false;
	return true;
}

/* Desired properties resolved as far as what is observed so far allows: a top-level member
 * whose placeholders wait for something not known yet (a record's name from a certificate's
 * detail, read after every describe) is left out, the rest is there (the record's zone). NULL
 * when nothing resolves. New reference. */
static json_t *resolve_known(const struct cohd_rec_resolve_ctx *rc, const json_t *props)
{
	json_t *p = NULL, *v, *x;
	const char *key;

	if (cohd_rec_resolve(rc, props, &p, NULL) >= 0)
		return p;
	if (!json_is_object(props) || !(p = json_object()))
		return NULL;
	json_object_foreach ((json_t *)props, key, v)
		if (cohd_rec_resolve(rc, v, &x, NULL) >= 0)
			json_object_set_new(p, key, x);
	if (json_object_size(p) == 0) {
		json_decref(p);
		return NULL;
	}
	return p;
}

static int start_observe(struct cohd_rec_engine *e, size_t k)
{
	struct obs_job *job = &e->obs[k];
	const struct cohd_rec_type *t = job->type;
	_cleanup_free_ const struct cohd_resource **wanted = calloc(e->n_res + 1, sizeof(void *));
	_cleanup_free_ const json_t **props = calloc(e->n_res + 1, sizeof(json_t *));
	json_auto_t *resolved = json_array();
	struct cohd_rec_observe_ctx ctx = {
		.app = e->cfg.app,
		.environment = e->cfg.environment,
		.region = job->region ?: e->cfg.region,
		.name_prefix = e->cfg.name_prefix,
		.wanted = wanted,
		.props = props,
	};
	json_auto_t *params = NULL;
	struct rec_call *c;
	int r;

	job->started = job->done = true; /* done again below when a call is made */
	if (!wanted || !props || !resolved)
		return -ENOMEM;
	for (size_t i = 0, n = 0; i < e->n_res; i++) {
		struct cohd_rec_resolve_ctx rc;
		json_t *p = NULL;

		if (!observed_by_name(e->res[i], t) ||
		    !streq_ptr(region_of(e, e->res[i]), job->region))
			continue;
		if (n++ < job->first)
			continue;
		if (t->observe_batch && ctx.n_wanted == t->observe_batch)
			break;
		if (!e->res[i]->want) {
			props[ctx.n_wanted] = e->res[i]->last_props;
			wanted[ctx.n_wanted++] = remembered_as(e->res[i]);
			continue;
		}
		/* Resolved against what is observed so far (the parents, observed first). */
		rc = resolve_ctx(e, e->res[i]->id, true);
		p = resolve_known(&rc, e->res[i]->want->properties);
		json_array_append_new(resolved, p ? p : json_null());
		props[ctx.n_wanted] = p;
		wanted[ctx.n_wanted++] = e->res[i]->want;
		free(e->res[i]->match);
		e->res[i]->match = t->match_name && p ? t->match_name(e->res[i]->want, p) : NULL;
		if (p && (t->match_name || t->observe_keep)) {
			json_decref(e->res[i]->last_props);
			e->res[i]->last_props = json_incref(p);
		}
		if (e->res[i]->match) {
			free(e->res[i]->last_match);
			e->res[i]->last_match = strdup(e->res[i]->match);
		}
	}
	r = (t->observe_params ?: cohd_rec_default_observe_params)(&ctx, &params);
	if (r < 0)
		return r;
	if (!params)
		return 0; /* nothing to ask (a batch-only type with nothing wanted) */
	c = call_new(e, CALL_OBSERVE, t, k, NULL);
	if (!c)
		return -ENOMEM;
	c->raw = json_incref(params); /* observe_keep */
	r = aws(e, t, job->region, t->describe_op, params, AWS_ALL_PAGES | AWS_SHARED, observe_done,
		c);
	if (r < 0) {
		call_free(c);
		return r;
	}
	job->done = false;
	e->inflight++;
	return 0;
}

/* Nothing in flight and no unstarted job ready: types that depend on each other both ways
 * (CloudFront distribution <-> Route 53 records: validation records before, alias records after)
 * wait for each other. Start one of that cycle, never a job merely waiting for it (a listener
 * rule whose listener waits for the cycle would ask nothing and find its rules "missing").
 * Walk from an unstarted job to a job it waits for until one repeats: that one is on the cycle. */
static size_t obs_cycle_member(const struct cohd_rec_engine *e)
{
	_cleanup_free_ bool *seen = calloc(e->n_obs + 1, sizeof(bool));
	size_t j = e->n_obs;

	for (size_t i = 0; i < e->n_obs && j == e->n_obs; i++)
		if (!e->obs[i].started)
			j = i;
	if (!seen || j == e->n_obs)
		return j;
	for (;;) {
		size_t next = e->n_obs;

		seen[j] = true;
		for (size_t u = 0; u < e->n_obs && next == e->n_obs; u++)
			if (!e->obs[u].done && e->obs[u].type != e->obs[j].type &&
			    type_depends(e, e->obs[j].type, e->obs[u].type))
				next = u;
		if (next == e->n_obs || seen[next])
			return next == e->n_obs ? j : next;
		j = next;
	}
}

static void plan_pass(struct cohd_rec_engine *e);
static void lookup_next(struct cohd_rec_engine *e);
static void detail_next(struct cohd_rec_engine *e);

/* A resource of ours no longer wanted that the bulk observe did not find, but that can be
 * described by the physical id it last had: its delete must not depend on what the graph no
 * longer says (a listener rule is listed per listener; a removed environment names none). */
static bool recallable(const struct cohd_rec_engine *e, const struct rec_res *r)
{
	return !r->want && r->type && !r->item && !r->hold && r->last_pid && owned(e, r->id) &&
	       (r->type->by_id_params || r->type->id_list_member);
}

static void observe_next(struct cohd_rec_engine *e)
{
	unsigned max = e->cfg.max_observe ?: 8;

	while (e->inflight < max) {
		size_t k = e->n_obs;
		int r;

		/* Types whose resources depend on other types' resources wait for those: their
		 * describe may need a parent's id (DescribeRules needs the listener's ARN). */
		for (size_t j = 0; j < e->n_obs && k == e->n_obs; j++)
			if (!e->obs[j].started && obs_ready(e, j))
				k = j;
		if (k == e->n_obs && e->inflight == 0)
			k = obs_cycle_member(e);
		if (k == e->n_obs)
			break;
		r = start_observe(e, k);
		if (r < 0)
			for (size_t i = 0; i < e->n_res; i++)
				if (e->res[i]->type == e->obs[k].type)
					set_hold(e->res[i], "not observed: %s could not start: %s",
						 e->obs[k].type->describe_op, strerror(-r));
	}
	if (e->inflight > 0 || e->phase != PHASE_OBSERVE)
		return;

	/* Per-item details of the resources we manage (attributes bulk describes omit), for
	 * every item: the current one and a replacement's other half alike. */
	e->phase = PHASE_DETAIL;
	e->n_details = e->next_job = e->next_detail = 0;
	for (size_t i = 0; i < e->n_res; i++)
		e->n_details += 1 + e->res[i]->n_extra;
	free(e->details);
	e->details = calloc(e->n_details + 1, sizeof(*e->details));
	e->n_details = 0;
	for (size_t i = 0; e->details && i < e->n_res; i++) {
		struct rec_res *r = e->res[i];

		/* Unwanted items of ours too: their delete may need what only a detail reads
		 * (CloudFront's ETag for If-Match, a distribution's whole config to disable it). */
		if (!r->item || r->hold || r->type->n_details == 0)
			continue;
		e->details[e->n_details++] = (struct detail_job){r, r->item};
		for (size_t k = 0; k < r->n_extra; k++)
			e->details[e->n_details++] = (struct detail_job){r, r->extra[k]};
	}
	detail_next(e);
}

static void detail_done(int r, json_t *result, const struct cohd_aws_error *err, void *userdata)
{
	struct rec_call *c = userdata;
	struct cohd_rec_engine *e = c->e;
	struct rec_res *res;
	const struct cohd_rec_detail *d;

	if (call_settle(c)) {
		call_free(c);
		return;
	}
	e->inflight--;
	res = find_res(e, c->res_id);
	d = &c->type->details[c->action];
	if (res && r >= 0) {
		json_t *v = d->result_path ? cohd_rec_json_path(result, d->result_path) : result;

		if (v)
			cohd_rec_json_set_path(c->item->attrs, d->merge_as, json_deep_copy(v));
	} else if (res) {
		if (!detail_absent(d, err)) {
			_cleanup_free_ char *msg = aws_error_text(r, err);

			set_hold(res, "not observed: %s failed: %s", d->operation, strempty(msg));
		}
	}
	call_free(c);
	detail_next(e);
}

/* Walk (item, detail) pairs in order: next_job is the item, next_detail the detail. */
/* Is detail d worth reading for r? Not when every managed field it feeds (live path under
 * d->merge_as) is one r's desired resource does not set: a field not set is not managed (a
 * bucket without CORS needs no GetBucketCors). A detail no field reads is always read. */
static bool detail_needed(const struct rec_res *r, const struct cohd_rec_detail *d)
{
	size_t n = d->merge_as ? strlen(d->merge_as) : 0;
	bool feeds = false;

	if (!r->want)
		return true; /* to delete: whatever the delete may need */

	for (size_t i = 0; n > 0 && i < r->type->n_fields; i++) {
		const struct cohd_rec_field *f = &r->type->fields[i];
		const char *lp = f->live_path ? f->live_path : f->path;

		if (strncmp(lp, d->merge_as, n) != 0 || (lp[n] != '\0' && lp[n] != '.'))
			continue;
		feeds = true;
		if (cohd_rec_json_path(r->want->properties, f->path))
			return true;
	}
	return !feeds;
}

static void detail_next(struct cohd_rec_engine *e)
{
	unsigned max = e->cfg.max_observe ?: 8;

	while (e->next_job < e->n_details && e->inflight < max) {
		struct detail_job *job = &e->details[e->next_job];
		struct rec_res *r = job->res;
		size_t k = e->next_detail++;
		const struct cohd_rec_detail *d;
		json_auto_t *params = NULL;
		struct rec_call *c;

		if (k + 1 >= r->type->n_details) {
			e->next_job++;
			e->next_detail = 0;
		}
		d = &r->type->details[k];
		if (d == tag_detail(r->type))
			continue; /* read before matching */
		if (!detail_needed(r, d))
			continue;
		if (d->params(job->item, &params) < 0 || !params)
			continue;
		c = call_new(e, CALL_DETAIL, r->type, k, r->id);
		if (!c)
			continue;
		c->item = job->item;
		if (aws(e, r->type, region_of(e, r), d->operation, params, 0, detail_done, c) < 0) {
			call_free(c);
			set_hold(r, "not observed: %s could not start", d->operation);
			continue;
		}
		e->inflight++;
	}
	if (e->inflight > 0 || e->phase != PHASE_DETAIL)
		return;

	/* Look-up-before-create for what the bulk describe did not find. */
	e->phase = PHASE_LOOKUP;
	free(e->lookups);
	e->lookups = calloc(e->n_res + 1, sizeof(size_t));
	e->n_lookups = e->next_lookup = 0;
	for (size_t i = 0; e->lookups && i < e->n_res; i++) {
		struct rec_res *r = e->res[i];

		if (r->want && r->type && !r->item && !r->foreign && !r->hold &&
		    r->type->lookup_params)
			e->lookups[e->n_lookups++] = i;
		else if (recallable(e, r))
			e->lookups[e->n_lookups++] = i;
	}
	lookup_next(e);
}

static void lookup_done(int r, json_t *result, const struct cohd_aws_error *err, void *userdata)
{
	struct rec_call *c = userdata;
	struct cohd_rec_engine *e = c->e;
	struct rec_res *res;
	const json_t *item;
	size_t i;

	if (call_settle(c)) {
		call_free(c);
		return;
	}
	e->inflight--;
	res = find_res(e, c->res_id);
	if (res && !res->want) {
		/* A recall: the item with the physical id we recorded is this resource whatever
		 * its tags say (only that one: a describe may ignore the id and list others).
		 * Not there: it is gone. */
		json_auto_t *items = r >= 0 ? described_items(c->type, result) : NULL;

		json_array_foreach (items, i, item) {
			struct cohd_rec_item *it = res->item ? NULL : item_parse(c->type, item);

			if (it && streq_ptr(it->physical_id, res->last_pid))
				res->item = it;
			else
				item_free(it);
		}
		if (res->item) {
			json_decref(res->attrs);
			res->attrs = json_incref(res->item->attrs);
		} else if (r >= 0 || (err && err->class == COHD_AWS_ERROR_NOT_FOUND)) {
			free(res->last_pid); /* gone: not asked for again */
			res->last_pid = NULL;
		} else {
			_cleanup_free_ char *msg = aws_error_text(r, err);

			set_hold(res, "not observed: %s by id failed: %s", c->type->describe_op,
				 strempty(msg));
		}
	} else if (r >= 0)
		json_array_foreach (cohd_rec_json_path(result, c->type->list_path), i, item)
			ingest(e, c->type, item);
	else if (res && (!err || err->class != COHD_AWS_ERROR_NOT_FOUND)) {
		_cleanup_free_ char *msg = aws_error_text(r, err);

		set_hold(res, "look-up-before-create failed: %s", strempty(msg));
	}
	call_free(c);
	lookup_next(e);
}

static void lookup_next(struct cohd_rec_engine *e)
{
	unsigned max = e->cfg.max_observe ?: 8;

	while (e->next_lookup < e->n_lookups && e->inflight < max) {
		struct rec_res *r = e->res[e->lookups[e->next_lookup++]];
		struct cohd_rec_type_ctx ctx = {
			.type = r->type,
			.app = e->cfg.app,
			.environment = e->cfg.environment,
			.region = e->cfg.region,
			.account = e->cfg.account,
			.resource = r->want,
			.tags = r->want ? r->want->tags : NULL,
		};
		json_auto_t *params = NULL;
		struct rec_call *c;

		if (!r->want) {
			/* A recall (recallable()): by the physical id, as waits poll. */
			struct cohd_rec_item live = { .physical_id = r->last_pid };

			ctx.live = &live;
			ctx.resource = remembered_as(r);
			if (r->type->by_id_params)
				(void)r->type->by_id_params(&ctx, &params);
			else
				params = json_pack("{s:[s]}", r->type->id_list_member, r->last_pid);
		} else if (r->type->lookup_params(&ctx, &params) < 0)
			continue;
		if (!params)
			continue;
		c = call_new(e, CALL_LOOKUP, r->type, 0, r->id);
		if (!c)
			continue;
		if (aws(e, r->type, region_of(e, r), r->type->describe_op, params, AWS_ALL_PAGES,
			lookup_done, c) < 0) {
			call_free(c);
			set_hold(r, "look-up-before-create could not start");
			continue;
		}
		e->inflight++;
	}
	if (e->inflight == 0 && e->phase == PHASE_LOOKUP)
		plan_pass(e);
}

/* ---- plan ---- */

static const json_t *attrs_of(void *userdata, const char *id)
{
	struct rec_res *r = find_res(userdata, id);

	return r ? r->attrs : NULL;
}

static const json_t *desired_of(void *userdata, const char *id)
{
	struct rec_res *r = find_res(userdata, id);

	return r && r->want ? r->want->properties : NULL;
}

/* The generate port, remembering what it made so that no journal entry ever holds it. */
static int generate(void *userdata, const char *logical_id, const json_t *placeholder, json_t **ret)
{
	struct cohd_rec_engine *e = userdata;
	int r = e->ops.generate(e->ops.userdata, logical_id, placeholder, ret);

	if (r >= 0 && json_is_string(*ret) && strlen(json_string_value(*ret)) >= 4)
		json_array_append(e->secrets, *ret);
	return r;
}

static struct cohd_rec_resolve_ctx resolve_ctx(struct cohd_rec_engine *e, const char *self,
					       bool keep_generated)
{
	return (struct cohd_rec_resolve_ctx){
		.account = e->cfg.account,
		.partition = e->cfg.partition,
		.image_tag = e->cfg.image_tag,
		.azs = e->cfg.azs,
		.attrs = attrs_of,
		.desired = desired_of,
		.generate = e->ops.generate ? generate : NULL,
		.userdata = e,
		.self = self,
		.keep_generated = keep_generated,
	};
}

/* Bands: an autoscaling target governs a field of the resource it depends on. */
static void compute_bands(struct cohd_rec_engine *e)
{
	free(e->bands);
	e->n_bands = 0;
	e->bands = calloc(e->n_res + 1, sizeof(*e->bands));
	if (!e->bands)
		return;
	for (size_t i = 0; i < e->n_res; i++) {
		struct rec_res *g = e->res[i];
		const json_t *src;
		const json_t *mn, *mx;

		if (!g->want || !g->type || !g->type->governs_type)
			continue;
		/* the band cohd keeps (and puts back in this pass), not one widened by hand */
		src = g->want->properties;
		mn = cohd_rec_json_path(src, g->type->min_path);
		mx = cohd_rec_json_path(src, g->type->max_path);
		if ((!json_is_number(mn) || !json_is_number(mx)) && g->item) {
			src = g->item->attrs;
			mn = cohd_rec_json_path(src, g->type->min_path);
			mx = cohd_rec_json_path(src, g->type->max_path);
		}
		if (!json_is_number(mn) || !json_is_number(mx))
			continue;
		for (size_t d = 0; d < g->want->n_depends_on; d++) {
			struct rec_res *t = find_res(e, g->want->depends_on[d]);
			struct cohd_rec_band *b;

			if (!t || !t->type || !streq(t->type->name, g->type->governs_type))
				continue;
			b = &e->bands[e->n_bands++];
			*b = (struct cohd_rec_band){
				.logical_id = t->id,
				.field = g->type->governs_field,
				.min = json_number_value(mn),
				.max = json_number_value(mx),
				.by = g->id,
			};
			snprintf(b->text, sizeof b->text, "autoscaling target %s: %g..%g", g->id,
				 b->min, b->max);
			break;
		}
	}
}

static enum cohd_deletion deletion_of(const struct cohd_rec_engine *e, const struct rec_res *r)
{
	/* Stateful types of static and production environments always need confirmation, even
	 * when nothing was remembered (a lost database must not lose the protection). */
	if (r->type && r->type->stateful && e->cfg.env_type != 2)
		return COHD_DELETION_CONFIRM;
	return r->deletion;
}

/* Diff one resource and decide whether it may be acted on. */
static int diff_one(struct cohd_rec_engine *e, struct rec_res *r, const struct cohd_rec_accept *a)
{
	usec_t now = e->ops.now(e->ops.userdata);

	if (r->want && !r->item && r->env_clash && !r->foreign) {
		/* Only another environment's item answers to it: hold, never a duplicate. */
		r->foreign = true;
		free(r->foreign_msg);
		r->foreign_msg = TAKE_PTR(r->clash_msg);
		event(e, r->id, "err", "foreign", "%s", strempty(r->foreign_msg));
	}
	if (r->want && r->foreign) {
		r->diff.state = COHD_REC_RES_FOREIGN;
		r->has_diff = true;
		r->hold = r->foreign_msg ? r->foreign_msg : "exists and is not ours";
		return 0;
	}
	if (r->want && !r->item) {
		r->diff.state = COHD_REC_RES_MISSING;
		r->has_diff = true;
		return 0;
	}
	if (r->want) {
		struct cohd_rec_resolve_ctx rc = resolve_ctx(e, r->id, true);
		json_auto_t *props = NULL;
		_cleanup_free_ char *missing = NULL;
		int k = cohd_rec_resolve(&rc, r->want->properties, &props, &missing);

		if (k < 0 && k != -EAGAIN)
			return k;
		/* Nothing can be compared until it is known (a rule's target whose task definition
		 * is still to come): progressing, not synced. */
		if (k == -EAGAIN)
			set_str(&r->waiting, "exists; its desired values wait for %s",
				strempty(missing));
		k = cohd_rec_diff_resource(r->type, a, r->id, k < 0 ? NULL : props, r->want->tags,
					   r->item, &r->diff);
		if (k < 0)
			return k;
		/* Several items with our id: the current one is the one that needs no
		 * replacement (the new half of a replacement); the others are superseded. */
		for (size_t i = 0; i < r->n_extra && r->diff.replace; i++) {
			struct cohd_rec_res_diff d2;
			struct cohd_rec_item *swap;

			k = cohd_rec_diff_resource(r->type, a, r->id, props, r->want->tags,
						   r->extra[i], &d2);
			if (k < 0)
				return k;
			if (d2.replace) {
				cohd_rec_res_diff_done(&d2);
				continue;
			}
			cohd_rec_res_diff_done(&r->diff);
			r->diff = d2;
			swap = r->item;
			r->item = r->extra[i];
			r->extra[i] = swap;
			json_decref(r->attrs);
			r->attrs = json_incref(r->item->attrs);
		}
		r->has_diff = true;
		r->unmanaged_since = 0;
		if (r->diff.replace && deletion_of(e, r) == COHD_DELETION_CONFIRM && !e->confirmed)
			r->hold =
				"a field that forces replacement drifted; replacing would destroy "
				"data: needs `cohd-status delete --confirm`";
		return 0;
	}
	if (!r->item)
		return 0;
	/* Observed, ours, not wanted: the deletion path (DESIGN.md §6). */
	r->diff.state = COHD_REC_RES_UNMANAGED;
	r->has_diff = true;
	if (!r->unmanaged_since)
		r->unmanaged_since = now;
	if (deletion_of(e, r) == COHD_DELETION_CONFIRM && !e->confirmed) {
		set_str(&r->hold_buf,
			"waiting for confirmation: cohd-status delete %s.%s --confirm (stateful)",
			e->cfg.app, e->cfg.environment);
		r->hold = r->hold_buf;
	} else if (now < r->unmanaged_since + e->cfg.deletion_grace) {
		set_str(&r->hold_buf, "deletion grace period: %llu s left",
			(unsigned long long)((r->unmanaged_since + e->cfg.deletion_grace - now) /
					     USEC_PER_SEC));
		r->hold = r->hold_buf;
	}
	return 0;
}

/* Open journal intents from before a crash, now that we know what exists. */
static void settle_recovered(struct cohd_rec_engine *e, struct rec_res *r)
{
	json_auto_t *res = NULL;

	if (!r->open_intent || !r->item)
		return;
	/* The create happened before the crash: adopt, never duplicate. */
	res = json_pack("{s:s, s:s?}", "adopted", "observed after restart", "id",
			r->item->physical_id);
	if (e->ops.journal_complete)
		e->ops.journal_complete(e->ops.userdata, r->open_intent, true, NULL, NULL, res);
	event(e, r->id, "notice", "recovered",
	      "a create interrupted by a restart had happened: %s adopted",
	      strempty(r->item->physical_id));
	r->open_intent = 0;
	free(r->open_token);
	r->open_token = NULL;
}

/* Quarantine (anchors.md §4.2): the same correction made quarantine_after times without the
 * live value converging stops being made. */
static void apply_quarantine(struct cohd_rec_engine *e)
{
	unsigned limit = e->cfg.quarantine_after ?: 3;

	for (size_t i = 0; i < e->n_res; i++) {
		struct rec_res *r = e->res[i];
		bool corrects = false;

		for (size_t k = 0; k < e->plan.n; k++) {
			struct cohd_rec_action *a = &e->plan.actions[k];

			if (a->kind != COHD_REC_ACTION_UPDATE || !streq(a->logical_id, r->id))
				continue;
			corrects = true;
			if (r->quarantined && a->digest != r->corr_digest) {
				/* The desired value changed: a new correction, a new chance. */
				r->quarantined = false;
				r->corr_count = 0;
				event(e, r->id, "notice", "quarantine",
				      "released: desired value changed");
			}
			if (!r->quarantined && a->digest == r->corr_digest &&
			    r->corr_count >= limit) {
				r->quarantined = true;
				event(e, r->id, "warning", "quarantine",
				      "the same correction was made %u times and the live value "
				      "did not converge (something else writes it?): quarantined, "
				      "no more corrections until the desired value changes or it "
				      "is released",
				      r->corr_count);
			}
			if (r->quarantined) {
				a->state = COHD_REC_ACTION_SKIPPED;
				set_str(&a->message, "quarantined after %u identical corrections",
					r->corr_count);
			}
		}
		if (!corrects && r->has_diff && r->diff.state == COHD_REC_RES_PRESENT &&
		    r->diff.n_drift == 0) {
			/* Converged (or fixed by hand): forget the counter. */
			r->corr_count = 0;
			r->quarantined = false;
		}
	}
}

/* A wanted resource that depends on `id` and is held this pass (not observed, foreign, a
 * replacement waiting for confirmation): whatever of `id` it uses must stay. */
static struct rec_res *held_dependent(const struct cohd_rec_engine *e, const char *id)
{
	for (size_t i = 0; i < e->n_res; i++) {
		struct rec_res *x = e->res[i];

		if (!x->want || !x->hold || streq(x->id, id))
			continue;
		for (size_t d = 0; d < x->want->n_depends_on; d++)
			if (streq(x->want->depends_on[d], id))
				return x;
	}
	return NULL;
}

/* Is r replaced by this pass's plan (a new one created, the old one deleted)? */
static bool replacing(const struct rec_res *r)
{
	return r && r->type && r->has_diff && !r->hold && r->diff.state == COHD_REC_RES_PRESENT &&
	       r->diff.replace;
}

/* Dependents of a replaced resource were diffed against the old one's attributes (its id): a
 * route to the old NAT gateway matches. Every managed field whose desired value refers to a
 * resource replaced in this pass is set again after the successor's create, with the value
 * resolved then (the plan puts the update after that create, and the old half's delete after
 * every action on its dependents); a field that cannot change in place replaces the dependent
 * too, and its own dependents follow. Topological order, so replacements cascade in one walk. */
static int follow_replacements(struct cohd_rec_engine *e, const size_t *order)
{
	static const char why[] =
		"refers to a resource replaced in this pass: set again once its successor exists";

	for (size_t i = 0; i < cohd_graph_size(e->g); i++) {
		const struct cohd_resource *w = cohd_graph_get(e->g, order[i]);
		struct rec_res *res = find_res(e, w->id);
		struct cohd_rec_res_diff *d;

		if (!res || !res->type || !res->has_diff || res->hold ||
		    res->diff.state != COHD_REC_RES_PRESENT)
			continue;
		d = &res->diff;
		for (size_t k = 0; k < d->n_fields; k++) {
			struct cohd_rec_field_diff *fd = &d->fields[k];
			const struct cohd_rec_field *f = fd->spec;
			const json_t *want = cohd_rec_json_path(w->properties, f->path);
			bool moves = false;

			if (!want || fd->state == COHD_REC_FIELD_UNCHECKED ||
			    fd->state == COHD_REC_FIELD_ACCEPTED)
				continue;
			for (size_t j = 0; j < w->n_depends_on && !moves; j++)
				moves = !streq(w->depends_on[j], w->id) &&
					replacing(find_res(e, w->depends_on[j])) &&
					cohd_rec_refers_to(want, w->depends_on[j]);
			if (!moves)
				continue;
			if (f->flags & COHD_REC_F_REPLACE)
				d->replace = true;
			else if ((f->flags & COHD_REC_F_OBSERVE_ONLY) ||
				 !(f->update_op ?: res->type->update_op))
				continue;
			if (fd->state == COHD_REC_FIELD_MATCH)
				d->n_drift++;
			fd->state = COHD_REC_FIELD_DRIFT;
			json_decref(fd->target);
			fd->target = json_deep_copy(want); /* resolved when the update starts */
			if (!fd->target)
				return -ENOMEM;
			fd->reason = why;
		}
		if (d->replace && deletion_of(e, res) == COHD_DELETION_CONFIRM && !e->confirmed)
			res->hold =
				"it refers to a resource replaced in this pass and cannot follow "
				"in place; replacing it would destroy data: needs `cohd-status "
				"delete --confirm`";
	}
	return 0;
}

static void plan_pass(struct cohd_rec_engine *e)
{
	struct cohd_rec_accept accept = {
		.config_rules = e->cfg.config_rules,
		.n_config_rules = e->cfg.n_config_rules,
		.app_rules = e->cfg.app_rules,
		.n_app_rules = e->cfg.n_app_rules,
		.env_bit = 1u << e->cfg.env_type,
	};
	_cleanup_free_ size_t *order = NULL;
	_cleanup_free_ struct cohd_rec_plan_entry *entries = NULL;
	size_t n = 0;
	json_auto_t *plan_json = NULL;
	int r;

	compute_bands(e);
	accept.bands = e->bands;
	accept.n_bands = e->n_bands;

	for (size_t i = 0; i < e->n_res; i++) {
		struct rec_res *res = e->res[i];

		if (!res->type)
			continue;
		settle_recovered(e, res);
		if (res->hold && !res->foreign)
			continue; /* not observed: nothing about it may be decided */
		r = diff_one(e, res, &accept);
		if (r < 0)
			return finish(e, r);
		if (res->has_diff && e->ops.record_diff) {
			json_auto_t *d = cohd_rec_res_diff_to_json(&res->diff);

			e->ops.record_diff(e->ops.userdata, res->id, d);
		}
	}

	/* Entries: wanted resources in topological order, then the unmanaged ones. */
	r = cohd_graph_toposort(e->g, &order, NULL);
	if (r < 0)
		return finish(e, r);
	r = follow_replacements(e, order);
	if (r < 0)
		return finish(e, r);
	entries = calloc(e->n_res + 1, sizeof(*entries));
	if (!entries)
		return finish(e, -ENOMEM);
	for (size_t i = 0; i < cohd_graph_size(e->g); i++) {
		const struct cohd_resource *w = cohd_graph_get(e->g, order[i]);
		struct rec_res *res = find_res(e, w->id);
		const struct rec_res *held;

		if (!res || !res->type || !res->has_diff)
			continue;
		held = (res->diff.replace && !res->hold) || res->n_extra > 0
			       ? held_dependent(e, res->id)
			       : NULL;
		if (held && res->diff.replace && res->type->unique_name)
			set_hold(res,
				 "a replacement would delete it first, and %s, which uses it, is "
				 "held: %s",
				 held->id, held->hold);
		entries[n++] = (struct cohd_rec_plan_entry){
			.logical_id = res->id,
			.type = res->type,
			.diff = &res->diff,
			.depends_on = (const char *const *)w->depends_on,
			.n_depends_on = w->n_depends_on,
			.hold = res->hold,
			.adopt = res->adopt,
			.props = w->properties,
			.superseded = (const struct cohd_rec_item *const *)res->extra,
			.n_superseded = res->n_extra,
			.keep_old = held != NULL,
		};
		if (held && !res->hold)
			event(e, res->id, "notice", "replace",
			      "the old %s stays: %s, which uses it, is held (%s)", res->type->name,
			      held->id, held->hold);
		if (res->n_extra > 0 && deletion_of(e, res) == COHD_DELETION_CONFIRM &&
		    !e->confirmed) {
			/* Two databases with one id: never delete either without a human. */
			entries[n - 1].n_superseded = 0;
			event(e, res->id, "warning", "duplicate",
			      "%zu more %s carry this id; not deleted without `cohd-status delete "
			      "--confirm`",
			      res->n_extra, res->type->name);
		}
	}
	for (size_t i = 0; i < e->n_res; i++) {
		struct rec_res *res = e->res[i];

		if (res->has_diff && res->diff.state == COHD_REC_RES_UNMANAGED)
			entries[n++] = (struct cohd_rec_plan_entry){
				.logical_id = res->id,
				.type = res->type,
				.diff = &res->diff,
				.depends_on = (const char *const *)res->deps,
				.n_depends_on = res->n_deps,
				.hold = res->hold,
			};
	}
	r = cohd_rec_plan_build(entries, n, &e->plan);
	if (r < 0)
		return finish(e, r);
	apply_quarantine(e);
	if (e->cfg.dry_run)
		for (size_t k = 0; k < e->plan.n; k++)
			if (e->plan.actions[k].state == COHD_REC_ACTION_PENDING) {
				e->plan.actions[k].state = COHD_REC_ACTION_SKIPPED;
				set_str(&e->plan.actions[k].message, "dry run");
			}
	plan_json = cohd_rec_plan_to_json(&e->plan);
	if (plan_json && e->ops.record_plan)
		e->ops.record_plan(e->ops.userdata, plan_json);

	e->phase = PHASE_ACT;
	dispatch(e);
}

/* ---- act ---- */

static int default_update_params(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
				 size_t n, json_t **ret)
{
	json_t *p = json_object();
	const char *id = ctx->live ? ctx->live->physical_id : NULL;

	if (!p)
		return -ENOMEM;
	if (ctx->type->id_member && id)
		json_object_set_new(p, ctx->type->id_member, json_string(id));
	for (size_t i = 0; i < n; i++) {
		json_t *v = cohd_rec_json_path(ctx->props, fields[i]);

		if (v && cohd_rec_json_set_path(p, fields[i], json_deep_copy(v)) < 0) {
			json_decref(p);
			return -ENOMEM;
		}
	}
	*ret = p;
	return 0;
}

static int default_id_params(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *id = ctx->live ? ctx->live->physical_id : NULL;

	if (!id || !ctx->type->id_member)
		return -EINVAL;
	*ret = json_pack("{s:s}", ctx->type->id_member, id);
	return *ret ? 0 : -ENOMEM;
}

static int default_tag_params(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *id = ctx->live ? ctx->live->physical_id : NULL;

	if (!id)
		return -EINVAL;
	*ret = json_pack("{s:[s], s:o}", "Resources", id, "Tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	return *ret ? 0 : -ENOMEM;
}

static int default_untag_params(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *id = ctx->live ? ctx->live->physical_id : NULL;
	json_t *keys = json_array(), *v;
	const char *key;

	if (!id || !keys) {
		json_decref(keys);
		return id ? -ENOMEM : -EINVAL;
	}
	json_object_foreach ((json_t *)ctx->tags, key, v)
		json_array_append_new(keys, json_pack("{s:s}", "Key", key));
	*ret = json_pack("{s:[s], s:o}", "Resources", id, "Tags", keys);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_field *field_spec(const struct cohd_rec_type *t, const char *path)
{
	for (size_t i = 0; i < t->n_fields; i++)
		if (streq(t->fields[i].path, path))
			return &t->fields[i];
	return NULL;
}

/* Replace every string that contains a generated secret (also inside serialised documents
 * such as SecretString) with "(redacted)". */
static void redact_walk(json_t *v, const json_t *secrets)
{
	const char *key;
	json_t *item, *sec;
	size_t i, k;

	if (json_is_object(v)) {
		json_object_foreach (v, key, item) {
			if (json_is_string(item)) {
				json_array_foreach (secrets, k, sec)
					if (strstr(json_string_value(item),
						   json_string_value(sec))) {
						json_object_set_new(v, key,
								    json_string("(redacted)"));
						break;
					}
			} else
				redact_walk(item, secrets);
		}
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, item) {
			if (json_is_string(item)) {
				json_array_foreach (secrets, k, sec)
					if (strstr(json_string_value(item),
						   json_string_value(sec))) {
						json_array_set_new(v, i, json_string("(redacted)"));
						break;
					}
			} else
				redact_walk(item, secrets);
		}
	}
}

/* A copy of params fit for the journal: write-only fields and generated values out. */
static json_t *redacted(const struct cohd_rec_engine *e, const struct rec_res *r,
			const json_t *params)
{
	json_t *c = json_deep_copy(params);

	if (!c)
		return NULL;
	for (size_t i = 0; i < r->type->n_fields; i++)
		if ((r->type->fields[i].flags & COHD_REC_F_WRITE_ONLY) &&
		    cohd_rec_json_path(c, r->type->fields[i].path))
			cohd_rec_json_set_path(c, r->type->fields[i].path,
					       json_string("(redacted)"));
	redact_walk(c, e->secrets);
	return c;
}

static bool is_gone(const struct cohd_rec_type *t, const struct cohd_aws_error *err)
{
	if (!err)
		return false;
	if (err->class == COHD_AWS_ERROR_NOT_FOUND)
		return true;
	for (size_t i = 0; t->gone_codes && t->gone_codes[i]; i++)
		if (streq_ptr(err->code, t->gone_codes[i]))
			return true;
	return false;
}

static void record_action(struct cohd_rec_engine *e, const struct cohd_rec_action *a)
{
	json_auto_t *o = NULL;

	if (!e->ops.record_action)
		return;
	o = json_pack("{s:I, s:s, s:s, s:s?, s:s, s:s?}", "id", (json_int_t)a->id, "kind",
		      cohd_rec_action_kind_to_string(a->kind), "resource", a->logical_id,
		      "operation", a->operation, "state", cohd_rec_action_state_to_string(a->state),
		      "message", a->message);
	if (o)
		e->ops.record_action(e->ops.userdata, o);
}

static void action_end(struct cohd_rec_engine *e, struct cohd_rec_action *a,
		       enum cohd_rec_action_state s)
{
	a->state = s;
	record_action(e, a);
}

static void wait_poll(void *arg);

/* What an action's wait looks for: the item a delete removes, else the current resource. */
static const char *target_id(const struct cohd_rec_action *a, const struct rec_res *res)
{
	if (a->target)
		return a->target->physical_id;
	if (a->kind == COHD_REC_ACTION_DELETE && res->item)
		return res->item->physical_id;
	return physical_id(res);
}

static void wait_start(struct cohd_rec_engine *e, struct cohd_rec_action *a,
		       const struct cohd_rec_wait *w)
{
	struct rec_call *c = call_new(e, CALL_WAIT, a->type, a->id, a->logical_id);

	a->state = COHD_REC_ACTION_WAITING;
	set_str(&a->message, "waiting for %s (every %llu s, at most %u polls)", w->what,
		(unsigned long long)(w->interval / USEC_PER_SEC), w->max_polls);
	a->timer = c ? timer(e, w->interval, wait_poll, c) : NULL;
	a->timer_arg = c;
	if (!a->timer) {
		if (c)
			call_free(c);
		set_str(&a->message, "cannot start the wait for %s", w->what);
		action_end(e, a, COHD_REC_ACTION_FAILED);
	}
}

static const struct cohd_rec_wait *action_wait(const struct cohd_rec_action *a)
{
	return a->kind == COHD_REC_ACTION_CREATE   ? a->type->create_wait
	       : a->kind == COHD_REC_ACTION_DELETE ? a->type->delete_wait
						   : NULL;
}

static void wait_done(int r, json_t *result, const struct cohd_aws_error *err, void *userdata)
{
	struct rec_call *c = userdata;
	struct cohd_rec_engine *e = c->e;
	struct cohd_rec_action *a;
	const struct cohd_rec_wait *w;
	const json_t *item = NULL, *x;
	const char *state = NULL, *want_id;
	struct rec_res *res;
	size_t i;

	if (call_settle(c)) {
		call_free(c);
		return;
	}
	e->inflight--;
	a = &e->plan.actions[c->action];
	w = action_wait(a);
	res = find_res(e, a->logical_id);
	want_id = target_id(a, res);
	if (r >= 0)
		json_array_foreach (cohd_rec_json_path(result, a->type->list_path), i, x) {
			_cleanup_free_ char *id = text_at(x, a->type->id_path);

			if (streq_ptr(id, want_id))
				item = x;
		}
	call_free(c);
	if (r < 0 && !is_gone(a->type, err)) {
		_cleanup_free_ char *msg = aws_error_text(r, err);

		set_str(&a->message, "waiting for %s: poll failed: %s", w->what, strempty(msg));
	} else if (!item && w->gone_is_done) {
		set_str(&a->message, "%s: gone", w->what);
		action_end(e, a, COHD_REC_ACTION_DONE);
		return dispatch(e);
	} else if (item) {
		state = json_string_value(cohd_rec_json_path(item, w->state_path));
		for (size_t k = 0; state && w->done && w->done[k]; k++)
			if (streq(state, w->done[k])) {
				if (a->kind == COHD_REC_ACTION_CREATE) {
					json_decref(res->attrs);
					res->attrs = json_incref((json_t *)item);
				}
				set_str(&a->message, "%s: %s", w->what, state);
				action_end(e, a, COHD_REC_ACTION_DONE);
				return dispatch(e);
			}
		for (size_t k = 0; state && w->failed && w->failed[k]; k++)
			if (streq(state, w->failed[k])) {
				set_str(&a->message, "%s failed: state %s", w->what, state);
				action_end(e, a, COHD_REC_ACTION_FAILED);
				return dispatch(e);
			}
	}
	/* Not there yet (eventual consistency counts as "not yet" too). */
	if (++a->polls >= w->max_polls) {
		set_str(&a->message,
			"gave up waiting for %s of %s after %u polls (%llu s): last state %s; "
			"the next pass looks again",
			w->what, a->logical_id, a->polls,
			(unsigned long long)(a->polls * w->interval / USEC_PER_SEC),
			state  ? state
			: item ? "unknown"
			       : "not listed");
		action_end(e, a, COHD_REC_ACTION_TIMEOUT);
		return dispatch(e);
	}
	c = call_new(e, CALL_WAIT, a->type, a->id, a->logical_id);
	a->timer = c ? timer(e, w->interval, wait_poll, c) : NULL;
	a->timer_arg = c;
	if (!a->timer) {
		if (c)
			call_free(c);
		action_end(e, a, COHD_REC_ACTION_FAILED);
		dispatch(e);
	}
}

static void wait_poll(void *arg)
{
	struct rec_call *c = arg;
	struct cohd_rec_engine *e = c->e;
	struct cohd_rec_action *a;
	struct rec_res *res;
	struct cohd_rec_item live = {};
	struct cohd_rec_type_ctx ctx = {};
	json_auto_t *params = NULL;
	int r;

	if (call_settle(c)) {
		call_free(c);
		return;
	}
	a = &e->plan.actions[c->action];
	a->timer = NULL;
	a->timer_arg = NULL;
	res = find_res(e, a->logical_id);
	live.physical_id = (char *)target_id(a, res);
	ctx = (struct cohd_rec_type_ctx){.type = a->type,
					 .app = e->cfg.app,
					 .environment = e->cfg.environment,
					 .live = &live,
					 .resource = res->want};
	if (a->type->by_id_params)
		r = a->type->by_id_params(&ctx, &params);
	else {
		params = live.physical_id && a->type->id_list_member
				 ? json_pack("{s:[s]}", a->type->id_list_member, live.physical_id)
				 : NULL;
		r = params ? 0 : -EINVAL;
	}
	if (r >= 0)
		r = aws(e, a->type, region_of(e, res), a->type->describe_op,
			params, AWS_ALL_PAGES, wait_done, c);
	if (r < 0) {
		call_free(c);
		set_str(&a->message, "cannot poll %s: %s", action_wait(a)->what, strerror(-r));
		action_end(e, a, COHD_REC_ACTION_FAILED);
		return dispatch(e);
	}
	e->inflight++;
}

static bool code_in(const struct cohd_aws_error *err, const json_t *codes)
{
	const json_t *c;
	size_t i;

	json_array_foreach (codes, i, c)
		if (err && streq_ptr(err->code, json_string_value(c)))
			return true;
	return false;
}

/* The answer to one step of an action: settle its journal intent, then the next step, the
 * wait, or the end of the action. */
/* What a create answered, as the type's `project` turns a described item into the attributes
 * the graph refers to (Secrets Manager answers "ARN", the compiler refers to "Arn"), so a
 * resource created this pass can be referenced in the same pass. New reference. */
static json_t *created_attrs(const struct cohd_rec_type *t, const json_t *item)
{
	json_t *v = t->project ? t->project(item) : NULL;

	return v ? v : json_deep_copy(item);
}

static void action_done_cb(int r, json_t *result, const struct cohd_aws_error *err, void *userdata)
{
	struct rec_call *c = userdata;
	struct cohd_rec_engine *e = c->e;
	size_t idx = c->action;
	struct cohd_rec_action *a;
	struct rec_res *res;
	const struct cohd_rec_wait *w;
	const json_t *st;
	const char *op;
	bool creates, last, gone, ignored;

	if (call_settle(c)) {
		/* The engine is gone (a crash, as far as the journal knows): no outcome is
		 * written; recovery settles the open intent on the next start. */
		call_free(c);
		return;
	}
	call_free(c);
	e->inflight--;
	a = &e->plan.actions[idx];
	res = find_res(e, a->logical_id);
	w = action_wait(a);
	st = json_array_get(a->steps, a->step);
	op = json_string_value(json_object_get(st, "Operation"));
	creates = a->kind == COHD_REC_ACTION_CREATE && streq_ptr(op, a->type->create_op);
	last = a->step + 1 >= json_array_size(a->steps);
	/* "Already gone" at any step completes a delete (DESIGN.md §6). */
	gone = r < 0 && a->kind == COHD_REC_ACTION_DELETE && is_gone(a->type, err);
	ignored = r < 0 && code_in(err, json_object_get(st, "IgnoreCodes"));

	if (r < 0 && creates && res->open_intent &&
	    (!err || err->class == COHD_AWS_ERROR_TRANSIENT)) {
		/* No answer (timeout, connection lost after the retries): the create may have
		 * happened. The intent stays open with its token: the next pass observes first,
		 * then re-sends with the same token, exactly as after a crash. */
		_cleanup_free_ char *msg = aws_error_text(r, err);

		set_str(&a->message,
			"%s: outcome unknown (%s); the next pass looks before re-sending with the "
			"same token",
			op, strempty(msg));
		a->intent_id = 0;
		action_end(e, a, COHD_REC_ACTION_FAILED);
		return dispatch(e);
	}
	if (creates) {
		res->open_intent = 0; /* answered: the intent is settled below */
		free(res->open_token);
		res->open_token = NULL;
	}
	if (a->intent_id > 0 && e->ops.journal_complete)
		e->ops.journal_complete(e->ops.userdata, a->intent_id, r >= 0 || gone || ignored,
					err ? err->request_id : NULL,
					r < 0 && err ? err->code : NULL, NULL);
	a->intent_id = 0;
	if (r < 0 && !gone && !ignored) {
		_cleanup_free_ char *msg = aws_error_text(r, err);

		if (creates && err && err->class == COHD_AWS_ERROR_ALREADY_EXISTS)
			set_str(&a->message,
				"%s: already exists; the next pass checks ownership by tags and "
				"adopts it or reports it",
				strempty(msg));
		else
			set_str(&a->message, "%s failed: %s", op, strempty(msg));
		event(e, a->logical_id, "err", "action", "%s", a->message);
		action_end(e, a, COHD_REC_ACTION_FAILED);
		return dispatch(e);
	}
	if (r >= 0 && creates) {
		const json_t *item =
			a->type->create_result_path
				? cohd_rec_json_path(result, a->type->create_result_path)
				: result;

		if (item) {
			json_decref(res->attrs);
			res->attrs = created_attrs(a->type, item);
		}
		res->created = true;
		event(e, a->logical_id, "notice", "created", "%s %s", a->type->name,
		      strempty(physical_id(res)));
	}
	if (!last && !gone) {
		int k;

		a->step++;
		k = send_step(e, a);
		if (k < 0) {
			set_str(&a->message, "step %zu (%s) could not start: %s", a->step + 1,
				json_string_value(json_object_get(json_array_get(a->steps, a->step),
								  "Operation")),
				strerror(-k));
			action_end(e, a, COHD_REC_ACTION_FAILED);
		}
		return dispatch(e);
	}

	if (a->kind == COHD_REC_ACTION_UPDATE) {
		if (a->digest == res->corr_digest)
			res->corr_count++;
		else {
			res->corr_digest = a->digest;
			res->corr_count = 1;
		}
	}
	if (w && !(gone && w->gone_is_done)) {
		wait_start(e, a, w);
		record_action(e, a);
	} else
		action_end(e, a, COHD_REC_ACTION_DONE);
	dispatch(e);
}

#define STRIPPED "cohd:stripped"

/* Remove the values marked STRIPPED from objects and lists. */
static void drop_stripped(json_t *v)
{
	const char *key;
	json_t *item;
	void *tmp;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach_safe (v, tmp, key, item) {
			if (json_object_get(item, STRIPPED))
				json_object_del(v, key);
			else
				drop_stripped(item);
		}
	} else if (json_is_array(v)) {
		for (i = json_array_size(v); i-- > 0;) {
			item = json_array_get(v, i);
			if (json_object_get(item, STRIPPED))
				json_array_remove(v, i);
			else
				drop_stripped(item);
		}
	}
}

/* The desired properties a create sends: without the fields whose value refers to the resource
 * itself (a security group's rule naming its own GroupId). They are set right after the create
 * through the field's update path (plan_after_create), resolved against what the create
 * returned. Only fields that have an update path can wait; anything else that refers to the
 * resource itself stays, and the create waits for it (shown in status). New reference. */
static json_t *without_self_refs(const struct cohd_rec_type *t, const char *self,
				 const json_t *props)
{
	json_t *c = json_deep_copy(props);
	bool any = false;

	if (!c)
		return NULL;
	for (size_t i = 0; i < t->n_fields; i++) {
		const struct cohd_rec_field *f = &t->fields[i];
		const char *op = f->update_op ? f->update_op : t->update_op;
		const json_t *v = cohd_rec_json_path(c, f->path);

		if (!v || !op || !cohd_rec_refers_to(v, self))
			continue;
		if (!(f->flags & COHD_REC_F_AFTER_CREATE) &&
		    (f->flags & (COHD_REC_F_REPLACE | COHD_REC_F_OBSERVE_ONLY)))
			continue;
		if (cohd_rec_json_set_path(c, f->path, json_pack("{s:b}", STRIPPED, true)) < 0) {
			json_decref(c);
			return NULL;
		}
		any = true;
	}
	if (any)
		drop_stripped(c);
	return c;
}

/* Build the call of one action and send it: journal intent first. */
static int start_action(struct cohd_rec_engine *e, struct cohd_rec_action *a)
{
	struct rec_res *res = find_res(e, a->logical_id);
	struct cohd_rec_resolve_ctx rc = resolve_ctx(e, a->logical_id, false);
	struct cohd_rec_type_ctx ctx = {
		.type = a->type,
		.app = e->cfg.app,
		.environment = e->cfg.environment,
		.env_type = env_type_name(e->cfg.env_type),
		.region = e->cfg.region,
		.account = e->cfg.account,
		.partition = e->cfg.partition ?: "aws",
		.resource = res->want,
		.live = res->item,
		.tags = res->want ? res->want->tags : NULL,
	};
	json_auto_t *props = NULL, *params = NULL, *token = NULL;
	_cleanup_free_ char *missing = NULL;
	struct cohd_rec_item made = {};
	char tok[TOKEN_LEN + 1];
	int r;

	/* Created earlier in this pass (maybe as the new half of a replacement): address it by
	 * what the create returned. A delete without a target removes the old half. */
	if ((!res->item || res->created) && a->kind != COHD_REC_ACTION_CREATE &&
	    a->kind != COHD_REC_ACTION_DELETE) {
		made.physical_id = (char *)physical_id(res);
		made.attrs = res->attrs;
		ctx.live = &made;
	}

	if (a->kind == COHD_REC_ACTION_CREATE || a->kind == COHD_REC_ACTION_UPDATE) {
		json_auto_t *want =
			a->kind == COHD_REC_ACTION_CREATE
				? without_self_refs(a->type, a->logical_id, res->want->properties)
				: json_incref(res->want->properties);

		if (!want)
			return -ENOMEM;
		r = cohd_rec_resolve(&rc, want, &props, &missing);
		if (r == -EAGAIN) {
			set_str(&a->message, "waiting for %s", strempty(missing));
			a->state = COHD_REC_ACTION_BLOCKED;
			return 0;
		}
		if (r < 0)
			return r;
		ctx.props = props;
	}

	switch (a->kind) {
	case COHD_REC_ACTION_CREATE:
		if (a->type->token_member) {
			if (res->open_token)
				snprintf(tok, sizeof tok, "%s", res->open_token);
			else if (!e->ops.random_token ||
				 e->ops.random_token(e->ops.userdata, tok, sizeof tok) < 0)
				return -EIO;
			token = json_string(tok);
			ctx.token = token;
		}
		ctx.live = NULL;
		a->started = e->ops.now(e->ops.userdata);
		r = a->type->create_params ? a->type->create_params(&ctx, &params)
					   : cohd_rec_default_create_params(&ctx, &params);
		break;
	case COHD_REC_ACTION_UPDATE: {
		_cleanup_free_ const char **fields =
			calloc(json_object_size(a->values) + 1, sizeof(char *));
		const struct cohd_rec_field *f = NULL;
		cohd_rec_update_fn fn;
		const char *key;
		json_t *v;
		size_t n = 0;

		json_auto_t *values = NULL;

		if (!fields)
			return -ENOMEM;
		/* Write the targets (desired, or clamped into a governing band); after-create
		 * values may still hold placeholders. */
		r = cohd_rec_resolve(&rc, a->values, &values, &missing);
		if (r == -EAGAIN) {
			set_str(&a->message, "waiting for %s", strempty(missing));
			a->state = COHD_REC_ACTION_BLOCKED;
			return 0;
		}
		if (r < 0)
			return r;
		json_object_foreach (values, key, v) {
			fields[n++] = key;
			f = f ?: field_spec(a->type, key);
			if (!json_is_null(v))
				cohd_rec_json_set_path(props, key, json_incref(v));
		}
		fn = f && f->update_params    ? f->update_params
		     : a->type->update_params ? a->type->update_params
					      : default_update_params;
		r = fn(&ctx, fields, n, &params);
		break;
	}
	case COHD_REC_ACTION_TAG:
		if (a->untag) {
			ctx.tags = a->values;
			r = (a->type->untag_params ?: default_untag_params)(&ctx, &params);
			break;
		}
		ctx.tags = a->adopt || !a->values ? res->want->tags : a->values;
		r = (a->type->tag_params ?: default_tag_params)(&ctx, &params);
		break;
	case COHD_REC_ACTION_DELETE:
		if (a->target)
			ctx.live = a->target;
		r = (a->type->delete_params ?: default_id_params)(&ctx, &params);
		break;
	default:
		r = -EINVAL;
	}
	if (r < 0)
		return r;

	/* A builder returns one call's params, or a sequence of calls ([{"Operation", "Params",
	 * "IgnoreCodes"}]) when the change takes more than one (detach, then delete; authorize
	 * some rules, revoke others). */
	if (json_is_array(params)) {
		const json_t *st;
		size_t i;

		json_array_foreach (params, i, st)
			if (!json_is_string(json_object_get(st, "Operation")) ||
			    !json_is_object(json_object_get(st, "Params")))
				return -EINVAL;
		if (json_array_size(params) == 0) {
			/* The builder found nothing it can send: the drift stays (shown). */
			set_str(&a->message, "%s: nothing the type can send for this change",
				a->operation);
			action_end(e, a, COHD_REC_ACTION_SKIPPED);
			return 0;
		}
		a->steps = json_incref(params);
	} else
		a->steps = json_pack("[{s:s, s:O}]", "Operation", a->operation, "Params", params);
	if (!a->steps)
		return -ENOMEM;
	a->step = 0;
	if (token && !(a->token = strdup(tok)))
		return -ENOMEM;
	return send_step(e, a);
}

/* Send the current step of an action. The journal first: a crash from here on is recovered from
 * the intent. A create recovered from a crash reuses its open intent and its token. */
static int send_step(struct cohd_rec_engine *e, struct cohd_rec_action *a)
{
	struct rec_res *res = find_res(e, a->logical_id);
	const json_t *st = json_array_get(a->steps, a->step);
	const char *op = json_string_value(json_object_get(st, "Operation"));
	const json_t *params = json_object_get(st, "Params");
	bool creates = a->kind == COHD_REC_ACTION_CREATE && streq_ptr(op, a->type->create_op);
	json_auto_t *journal = NULL;
	struct rec_call *c;
	int r;

	a->intent_id = 0;
	if (creates && res->open_intent)
		a->intent_id = res->open_intent;
	else if (e->ops.journal_intent) {
		journal = redacted(e, res, params);
		r = e->ops.journal_intent(e->ops.userdata, a->logical_id, a->type->service, op,
					  creates ? a->token : NULL, journal, &a->intent_id);
		if (r < 0)
			return r;
		if (creates && a->token) {
			res->open_intent = a->intent_id;
			free(res->open_token);
			res->open_token = strdup(a->token);
		}
	}
	c = call_new(e, CALL_ACTION, a->type, a->id, a->logical_id);
	if (!c)
		return -ENOMEM;
	r = aws(e, a->type, region_of(e, res), op, params, AWS_MUTATING,
		action_done_cb, c);
	if (r < 0) {
		/* Never sent: settle the intent now. */
		call_free(c);
		if (a->intent_id > 0 && e->ops.journal_complete)
			e->ops.journal_complete(e->ops.userdata, a->intent_id, false, NULL,
						"NotSent", NULL);
		if (creates) {
			res->open_intent = 0;
			free(res->open_token);
			res->open_token = NULL;
		}
		a->intent_id = 0;
		return r;
	}
	a->state = COHD_REC_ACTION_RUNNING;
	e->inflight++;
	return 0;
}

/* Start whatever is ready; finish the pass when nothing is left to do. */
static void dispatch(struct cohd_rec_engine *e)
{
	unsigned max = e->cfg.max_inflight ?: 8;
	bool busy = false, changed = true;

	if (e->phase != PHASE_ACT)
		return;
	/* Block what can no longer run, until nothing changes. */
	while (changed) {
		changed = false;
		for (size_t i = 0; i < e->plan.n; i++) {
			struct cohd_rec_action *a = &e->plan.actions[i];

			if (a->state != COHD_REC_ACTION_PENDING)
				continue;
			for (size_t k = 0; k < a->n_after; k++) {
				const struct cohd_rec_action *d = &e->plan.actions[a->after[k]];

				if (d->state == COHD_REC_ACTION_FAILED ||
				    d->state == COHD_REC_ACTION_BLOCKED ||
				    d->state == COHD_REC_ACTION_TIMEOUT) {
					set_str(&a->message, "waiting for %s (%s %s)",
						d->logical_id,
						cohd_rec_action_kind_to_string(d->kind),
						cohd_rec_action_state_to_string(d->state));
					action_end(e, a, COHD_REC_ACTION_BLOCKED);
					changed = true;
					break;
				}
			}
		}
	}
	for (size_t i = 0; i < e->plan.n; i++) {
		struct cohd_rec_action *a = &e->plan.actions[i];
		bool ready = true;
		int r;

		if (a->state == COHD_REC_ACTION_RUNNING || a->state == COHD_REC_ACTION_WAITING)
			busy = true;
		if (a->state != COHD_REC_ACTION_PENDING)
			continue;
		for (size_t k = 0; k < a->n_after && ready; k++) {
			enum cohd_rec_action_state s = e->plan.actions[a->after[k]].state;

			ready = s == COHD_REC_ACTION_DONE || s == COHD_REC_ACTION_SKIPPED;
		}
		if (!ready) {
			busy = true;
			continue;
		}
		if (e->inflight >= max) {
			busy = true;
			continue;
		}
		r = start_action(e, a);
		if (r < 0) {
			set_str(&a->message, "%s could not start: %s", a->operation, strerror(-r));
			action_end(e, a, COHD_REC_ACTION_FAILED);
			return dispatch(e); /* dependents are now blocked */
		}
		if (a->state != COHD_REC_ACTION_RUNNING)
			return dispatch(e); /* blocked, or ended without a call */
		busy = true;
	}
	if (!busy)
		finish(e, 0);
}

/* ---- status ---- */

static const enum cohd_rec_sync sync_rank[] = {
	COHD_REC_SYNC_SYNCED,  COHD_REC_SYNC_DELETING,	  COHD_REC_SYNC_PROGRESSING,
	COHD_REC_SYNC_DRIFTED, COHD_REC_SYNC_QUARANTINED, COHD_REC_SYNC_ERROR,
};
static const enum cohd_rec_health health_rank[] = {
	COHD_REC_HEALTH_HEALTHY,
	COHD_REC_HEALTH_UNKNOWN,
	COHD_REC_HEALTH_PROGRESSING,
	COHD_REC_HEALTH_DEGRADED,
};

static size_t rank_sync(enum cohd_rec_sync s)
{
	for (size_t i = 0; i < ELEMENTSOF(sync_rank); i++)
		if (sync_rank[i] == s)
			return i;
	return 0;
}

static size_t rank_health(enum cohd_rec_health h)
{
	for (size_t i = 0; i < ELEMENTSOF(health_rank); i++)
		if (health_rank[i] == h)
			return i;
	return 0;
}

static enum cohd_rec_sync action_sync(const struct cohd_rec_action *a, const struct rec_res *r)
{
	switch (a->state) {
	case COHD_REC_ACTION_FAILED:
		return COHD_REC_SYNC_ERROR;
	case COHD_REC_ACTION_SKIPPED: /* dry run or quarantine: the drift is still there */
		return r->quarantined ? COHD_REC_SYNC_QUARANTINED : COHD_REC_SYNC_DRIFTED;
	case COHD_REC_ACTION_DONE:
		return COHD_REC_SYNC_SYNCED;
	default: /* pending, running, waiting, blocked, timeout: on its way */
		return COHD_REC_SYNC_PROGRESSING;
	}
}

/* One resource's sync and health (DESIGN.md §7) from what this pass found and did. The first
 * rule that applies wins; a worse action outcome always shows. */
static void res_status(struct cohd_rec_engine *e, struct rec_res *r)
{
	enum cohd_rec_sync s = COHD_REC_SYNC_SYNCED, want;
	const char *msg = NULL;
	char *msg_copy;
	bool acted = false, deleted = false, created = false;

	for (size_t k = 0; k < e->plan.n; k++) {
		const struct cohd_rec_action *a = &e->plan.actions[k];
		enum cohd_rec_sync as;

		if (!streq(a->logical_id, r->id))
			continue;
		acted = true;
		if (a->state == COHD_REC_ACTION_DONE) {
			deleted |= a->kind == COHD_REC_ACTION_DELETE && !a->replace;
			created |= a->kind == COHD_REC_ACTION_CREATE;
		}
		as = action_sync(a, r);
		if (rank_sync(as) > rank_sync(s)) {
			s = as;
			msg = a->message ? a->message : a->reason;
		}
	}

	if (!r->type) {
		want = COHD_REC_SYNC_ERROR;
		msg = r->message; /* "no resource type ..." */
	} else if (r->foreign) {
		want = COHD_REC_SYNC_ERROR;
		msg = r->foreign_msg;
	} else if (r->hold && !r->has_diff) {
		want = COHD_REC_SYNC_ERROR; /* not observed: nothing could be decided */
		msg = r->hold;
	} else if (r->has_diff && r->diff.state == COHD_REC_RES_UNMANAGED && !deleted) {
		want = COHD_REC_SYNC_DELETING; /* grace period, confirmation, or on its way */
		msg = msg ? msg : r->hold;
	} else if (r->hold) {
		want = COHD_REC_SYNC_DRIFTED; /* e.g. a replacement that needs confirmation */
		msg = r->hold;
	} else if (r->quarantined) {
		want = COHD_REC_SYNC_QUARANTINED;
	} else if (r->waiting) {
		want = COHD_REC_SYNC_PROGRESSING;
		msg = r->waiting;
	} else if (!acted && r->has_diff && r->diff.n_drift > 0) {
		want = COHD_REC_SYNC_DRIFTED;
		msg = "drift that no operation corrects (observe-only field)";
	} else
		want = COHD_REC_SYNC_SYNCED;
	if (rank_sync(want) >= rank_sync(s))
		s = want;

	msg_copy = msg ? strdup(msg) : NULL; /* msg may be r->message itself */
	free(r->message);
	r->message = msg_copy;
	r->gone = deleted;
	r->sync = s;
	if (!r->type || (!r->item && !created))
		r->health = COHD_REC_HEALTH_UNKNOWN;
	else if (s == COHD_REC_SYNC_PROGRESSING)
		r->health = COHD_REC_HEALTH_PROGRESSING;
	else if (r->item && r->type->health)
		r->health = r->type->health(r->item);
	else
		r->health = COHD_REC_HEALTH_HEALTHY;
}

static json_t *build_status(struct cohd_rec_engine *e)
{
	enum cohd_rec_sync app_sync = COHD_REC_SYNC_SYNCED;
	enum cohd_rec_health app_health = COHD_REC_HEALTH_HEALTHY;
	json_t *resources = json_array(), *counts = json_object(), *o;
	unsigned n_sync[_COHD_REC_SYNC_MAX] = {}, n_health[_COHD_REC_HEALTH_MAX] = {};
	json_t *health_counts = json_object();

	for (size_t i = 0; i < e->n_res; i++) {
		struct rec_res *r = e->res[i];
		json_t *ro;

		/* What this pass knows about: wanted, or found and ours, or remembered and not
		 * observed (its describe failed: it may still exist, say so). */
		if (!r->want && !r->item && !r->hold)
			continue;
		res_status(e, r);
		if (r->gone)
			continue;
		n_sync[r->sync]++;
		n_health[r->health]++;
		if (rank_sync(r->sync) > rank_sync(app_sync))
			app_sync = r->sync;
		if (rank_health(r->health) > rank_health(app_health))
			app_health = r->health;
		ro = json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s?}", "id", r->id, "type",
			       r->type ? r->type->name : r->want->type, "physical_id",
			       r->type ? physical_id(r) : NULL, "sync",
			       cohd_rec_sync_to_string(r->sync), "health",
			       cohd_rec_health_to_string(r->health), "message", r->message);
		if (ro && r->has_diff)
			json_object_set_new(ro, "diff", cohd_rec_res_diff_to_json(&r->diff));
		if (ro && r->corr_count > 0) {
			char digest[17];

			/* The daemon keeps this to restore it after a restart. */
			snprintf(digest, sizeof digest, "%016llx",
				 (unsigned long long)r->corr_digest);
			json_object_set_new(ro, "corrections",
					    json_pack("{s:s, s:i, s:b}", "digest", digest, "count",
						      (int)r->corr_count, "quarantined",
						      r->quarantined));
		}
		json_array_append_new(resources, ro);
	}
	for (int s = 0; s < _COHD_REC_SYNC_MAX; s++)
		json_object_set_new(counts, cohd_rec_sync_to_string(s), json_integer(n_sync[s]));
	for (int h = 0; h < _COHD_REC_HEALTH_MAX; h++)
		json_object_set_new(health_counts, cohd_rec_health_to_string(h),
				    json_integer(n_health[h]));
	o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o}", "app", e->cfg.app,
		      "environment", e->cfg.environment, "sync", cohd_rec_sync_to_string(app_sync),
		      "health", cohd_rec_health_to_string(app_health), "dry_run", e->cfg.dry_run,
		      "counts", counts, "health_counts", health_counts, "resources", resources,
		      "plan", cohd_rec_plan_to_json(&e->plan));
	return o;
}

static void finish(struct cohd_rec_engine *e, int r)
{
	cohd_rec_pass_cb cb = e->cb;
	void *ud = e->cb_userdata;

	if (e->phase == PHASE_DONE || e->phase == PHASE_IDLE)
		return;
	e->phase = PHASE_DONE;
	if (r >= 0) {
		json_decref(e->status);
		e->status = build_status(e);
		if (e->status && e->ops.record_status)
			e->ops.record_status(e->ops.userdata, e->status);
	}
	/* A confirmation covers the deletions it was given for: once nothing that needs one is
	 * left, the next stateful deletion or replacement needs a new one. */
	if (e->confirmed) {
		bool pending = false;

		for (size_t i = 0; i < e->n_res; i++) {
			struct rec_res *x = e->res[i];

			if (x->has_diff && !x->gone && deletion_of(e, x) == COHD_DELETION_CONFIRM &&
			    (x->diff.state == COHD_REC_RES_UNMANAGED || x->diff.replace ||
			     x->n_extra > 0))
				pending = true;
		}
		e->confirmed = pending;
	}
	/* The graph is the caller's again: forget pointers into it. */
	for (size_t i = 0; i < e->n_res; i++)
		e->res[i]->want = NULL;
	e->g = NULL;
	e->phase = PHASE_IDLE;
	e->cb = NULL;
	if (cb)
		cb(e, r, ud);
}

/* ---- lifecycle ---- */

int cohd_rec_engine_new(const struct cohd_rec_ops *ops, const struct cohd_rec_config *config,
			struct cohd_rec_engine **ret)
{
	struct cohd_rec_engine *e;

	cohd_assert_return(ops && config && ret, -EINVAL);
	cohd_assert_return(ops->aws_call && ops->now && ops->timer_start && ops->timer_stop,
			   -EINVAL);
	cohd_assert_return(config->app && config->environment, -EINVAL);
	cohd_assert_return(config->env_type >= 0 && config->env_type < 3, -EINVAL);
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->ops = *ops;
	e->cfg = *config;
	e->secrets = json_array();
	if (!e->secrets) {
		free(e);
		return -ENOMEM;
	}
	*ret = e;
	return 0;
}

struct cohd_rec_engine *cohd_rec_engine_free(struct cohd_rec_engine *e)
{
	if (!e)
		return NULL;
	stop_timer(e, &e->start_timer);
	for (size_t i = 0; i < e->plan.n; i++)
		if (e->plan.actions[i].timer) {
			stop_timer(e, &e->plan.actions[i].timer);
			call_free(e->plan.actions[i].timer_arg);
		}
	for (size_t i = 0; i < e->n_res; i++)
		res_free(e->res[i]);
	free(e->res);
	cohd_rec_plan_done(&e->plan);
	free(e->obs);
	free(e->lookups);
	free(e->details);
	free(e->bands);
	json_decref(e->status);
	json_decref(e->secrets);
	e->secrets = NULL;
	json_decref(e->tag_cache);
	e->tag_cache = NULL;
	if (e->pending > 0) {
		/* AWS calls still in flight hold e as their userdata: keep a tombstone. */
		e->dead = true;
		e->res = NULL;
		e->n_res = 0;
		return NULL;
	}
	engine_destroy(e);
	return NULL;
}

int cohd_rec_engine_recover(struct cohd_rec_engine *e, const struct cohd_rec_intent *intents,
			    size_t n)
{
	cohd_assert_return(e, -EINVAL);
	for (size_t i = 0; i < n; i++) {
		const struct cohd_rec_intent *in = &intents[i];
		const struct cohd_rec_type *t = NULL;
		struct rec_res *r;
		bool create = false;

		for (size_t k = 0; e->cfg.types && e->cfg.types[k]; k++)
			if (streq(e->cfg.types[k]->service, in->service) &&
			    streq_ptr(e->cfg.types[k]->create_op, in->operation)) {
				t = e->cfg.types[k];
				create = true;
			}
		if (!create || !in->logical_id) {
			/* Updates, tags and deletes are level-triggered: the next diff redoes
			 * what is still needed. */
			if (e->ops.journal_complete)
				e->ops.journal_complete(e->ops.userdata, in->id, false, NULL,
							"Interrupted", NULL);
			continue;
		}
		r = get_res(e, in->logical_id, t);
		if (!r)
			return -ENOMEM;
		r->open_intent = in->id;
		free(r->open_token);
		r->open_token = in->token ? strdup(in->token) : NULL;
		event(e, r->id, "notice", "recovering",
		      "%s %s was interrupted by a restart: observing before deciding", in->service,
		      in->operation);
	}
	return 0;
}

int cohd_rec_engine_remember(struct cohd_rec_engine *e, const char *logical_id, const char *type,
			     enum cohd_deletion deletion, const char *const *depends_on, size_t n)
{
	struct rec_res *r;

	cohd_assert_return(e && logical_id && type, -EINVAL);
	r = get_res(e, logical_id, find_type(e, type));
	if (!r)
		return -ENOMEM;
	r->deletion = deletion;
	return remember_deps(r, (char *const *)depends_on, n);
}

int cohd_rec_engine_remember_name(struct cohd_rec_engine *e, const char *logical_id,
				  const char *name, const char *region)
{
	struct rec_res *r;

	cohd_assert_return(e && logical_id, -EINVAL);
	r = find_res(e, logical_id);
	if (!r)
		return -ENOENT;
	return remember_name(r, name) < 0 || remember_region(r, region) < 0 ? -ENOMEM : 0;
}

int cohd_rec_engine_remember_physical_id(struct cohd_rec_engine *e, const char *logical_id,
					 const char *physical_id)
{
	struct rec_res *r;
	char *n;

	cohd_assert_return(e && logical_id && physical_id, -EINVAL);
	r = find_res(e, logical_id);
	if (!r)
		return -ENOENT;
	n = strdup(physical_id);
	if (!n)
		return -ENOMEM;
	free(r->last_pid);
	r->last_pid = n;
	return 0;
}

void cohd_rec_engine_confirm_delete(struct cohd_rec_engine *e)
{
	if (e)
		e->confirmed = true;
}

int cohd_rec_engine_restore_corrections(struct cohd_rec_engine *e, const char *logical_id,
					const char *type, uint64_t digest, unsigned count,
					bool quarantined)
{
	struct rec_res *r;

	cohd_assert_return(e && logical_id && type, -EINVAL);
	r = get_res(e, logical_id, find_type(e, type));
	if (!r)
		return -ENOMEM;
	r->corr_digest = digest;
	r->corr_count = count;
	r->quarantined = quarantined;
	return 0;
}

int cohd_rec_engine_release(struct cohd_rec_engine *e, const char *logical_id)
{
	struct rec_res *r;

	cohd_assert_return(e && logical_id, -EINVAL);
	r = find_res(e, logical_id);
	if (!r || !r->quarantined)
		return -ENOENT;
	r->quarantined = false;
	r->corr_count = 0;
	event(e, r->id, "notice", "quarantine", "released by request");
	return 0;
}

json_t *cohd_rec_engine_status(const struct cohd_rec_engine *e)
{
	if (!e || !e->status)
		return NULL;
	return json_incref(e->status);
}

unsigned long cohd_rec_engine_mutations(const struct cohd_rec_engine *e)
{
	return e ? e->mutations : 0;
}

const char *cohd_rec_sync_to_string(enum cohd_rec_sync s)
{
	static const char *const t[_COHD_REC_SYNC_MAX] = {
		[COHD_REC_SYNC_SYNCED] = "synced",
		[COHD_REC_SYNC_DRIFTED] = "drifted",
		[COHD_REC_SYNC_PROGRESSING] = "progressing",
		[COHD_REC_SYNC_QUARANTINED] = "quarantined",
		[COHD_REC_SYNC_ERROR] = "error",
		[COHD_REC_SYNC_DELETING] = "deleting",
	};

	return s >= 0 && s < _COHD_REC_SYNC_MAX ? t[s] : NULL;
}

const char *cohd_rec_health_to_string(enum cohd_rec_health h)
{
	static const char *const t[_COHD_REC_HEALTH_MAX] = {
		[COHD_REC_HEALTH_HEALTHY] = "healthy",
		[COHD_REC_HEALTH_PROGRESSING] = "progressing",
		[COHD_REC_HEALTH_DEGRADED] = "degraded",
		[COHD_REC_HEALTH_UNKNOWN] = "unknown",
	};

	return h >= 0 && h < _COHD_REC_HEALTH_MAX ? t[h] : NULL;
}
