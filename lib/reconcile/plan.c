/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The planner: per-resource diffs in dependency order -> a DAG of actions. Creates and updates
 * come after every action on the resources they depend on; deletes of unmanaged resources come
 * after the deletes of what depended on them (reverse order), or, when the graph that knew
 * their dependencies is gone, after every delete of a higher tier. A replacement is create then
 * delete, or delete then create when the name must stay unique (explained in the reason).
 * Pure; loop thread only.
 */
#include <stdlib.h>

#include "lib/reconcile/plan.h"
#include "lib/util/macro.h"

static void action_done(struct cohd_rec_action *a)
{
	free(a->logical_id);
	json_decref(a->values);
	free(a->reason);
	free(a->after);
	free(a->message);
	free(a->token);
	json_decref(a->steps);
}

void cohd_rec_plan_done(struct cohd_rec_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		action_done(&plan->actions[i]);
	free(plan->actions);
	*plan = (struct cohd_rec_plan){};
}

static struct cohd_rec_action *add(struct cohd_rec_plan *p, enum cohd_rec_action_kind kind,
				   const struct cohd_rec_plan_entry *e, const char *op,
				   const char *reason)
{
	struct cohd_rec_action *a;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct cohd_rec_action *n = reallocarray(p->actions, cap, sizeof(*n));

		if (!n)
			return NULL;
		p->actions = n;
		p->cap = cap;
	}
	a = &p->actions[p->n];
	*a = (struct cohd_rec_action){.id = p->n, .kind = kind, .type = e->type, .operation = op};
	a->logical_id = strdup(e->logical_id);
	a->reason = strdup(reason);
	if (!a->logical_id || !a->reason) {
		action_done(a);
		return NULL;
	}
	p->n++;
	return a;
}

static int after(struct cohd_rec_action *a, size_t id)
{
	size_t *n;

	if (id == a->id)
		return 0;
	for (size_t i = 0; i < a->n_after; i++)
		if (a->after[i] == id)
			return 0;
	n = reallocarray(a->after, a->n_after + 1, sizeof(size_t));
	if (!n)
		return -ENOMEM;
	n[a->n_after++] = id;
	a->after = n;
	return 0;
}

/* A replacement that must delete first (unique names): a create of the same resource waits
 * for this delete. */
static bool delete_comes_first(const struct cohd_rec_plan *p, size_t del)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct cohd_rec_action *c = &p->actions[i];

		if (c->kind != COHD_REC_ACTION_CREATE ||
		    !streq(c->logical_id, p->actions[del].logical_id))
			continue;
		for (size_t k = 0; k < c->n_after; k++)
			if (c->after[k] == del)
				return true;
	}
	return false;
}

/* Every action so far on resource `id` must come before a. */
enum { AFTER_ALL, AFTER_NEW_HALF };

static int after_resource(struct cohd_rec_plan *p, struct cohd_rec_action *a, const char *id,
			  int which)
{
	size_t self = a->id;

	for (size_t i = 0; i < p->n; i++) {
		if (i == self || !streq(p->actions[i].logical_id, id))
			continue;
		/* Dependents need the new half of a replacement, not the old one's removal. */
		if (which == AFTER_NEW_HALF && p->actions[i].kind == COHD_REC_ACTION_DELETE &&
		    p->actions[i].replace && !delete_comes_first(p, i))
			continue;
		if (after(&p->actions[self], i) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int after_deps(struct cohd_rec_plan *p, size_t self, const struct cohd_rec_plan_entry *e)
{
	for (size_t d = 0; d < e->n_depends_on; d++)
		if (after_resource(p, &p->actions[self], e->depends_on[d], AFTER_NEW_HALF) < 0)
			return -ENOMEM;
	return 0;
}

static const char *field_op(const struct cohd_rec_type *t, const struct cohd_rec_field *f)
{
	if (f->flags & (COHD_REC_F_OBSERVE_ONLY | COHD_REC_F_REPLACE))
		return NULL;
	return f->update_op ? f->update_op : t->update_op;
}

static int plan_updates(struct cohd_rec_plan *p, const struct cohd_rec_plan_entry *e)
{
	const struct cohd_rec_res_diff *d = e->diff;
	bool *used = calloc(d->n_fields + 1, sizeof(bool));
	int r = 0;

	if (!used)
		return -ENOMEM;
	/* Group drifted fields by operation (one call per field for ONE_PER_CALL ops). */
	for (size_t i = 0; i < d->n_fields && r >= 0; i++) {
		const struct cohd_rec_field_diff *f = &d->fields[i];
		const char *op = field_op(e->type, f->spec);
		struct cohd_rec_action *a;
		json_t *values;
		size_t self;

		if (used[i] || f->state != COHD_REC_FIELD_DRIFT || !op)
			continue;
		values = json_object();
		if (!values) {
			r = -ENOMEM;
			break;
		}
		for (size_t j = i; j < d->n_fields; j++) {
			const struct cohd_rec_field_diff *g = &d->fields[j];
			const char *gop = field_op(e->type, g->spec);

			if (used[j] || g->state != COHD_REC_FIELD_DRIFT || !gop || !streq(gop, op))
				continue;
			if (j != i && ((f->spec->flags | g->spec->flags) & COHD_REC_F_ONE_PER_CALL))
				continue;
			used[j] = true;
			json_object_set(values, g->spec->path, g->target ? g->target : json_null());
		}
		a = add(p, COHD_REC_ACTION_UPDATE, e, op, "correct drift");
		if (!a) {
			json_decref(values);
			r = -ENOMEM;
			break;
		}
		a->values = values;
		a->digest = cohd_rec_json_digest(values);
		for (const char *c = op; *c; c++)
			a->digest = (a->digest ^ (unsigned char)*c) * 0x100000001b3ULL;
		self = a->id;
		r = after_deps(p, self, e);
	}
	free(used);
	return r;
}

/* Does an update already hold a field that its operation changes alone? */
static bool one_per_call(const struct cohd_rec_type *t, const json_t *values)
{
	const char *key;
	json_t *v;

	json_object_foreach ((json_t *)values, key, v)
		for (size_t i = 0; i < t->n_fields; i++)
			if (streq(t->fields[i].path, key) &&
			    (t->fields[i].flags & COHD_REC_F_ONE_PER_CALL))
				return true;
	return false;
}

/* Fields the create call cannot set: one update per operation, right after the create. Those
 * are the type's AFTER_CREATE fields, and the fields whose desired value refers to the resource
 * itself (its own id is only known after the create: the engine creates it without them). */
static int plan_after_create(struct cohd_rec_plan *p, const struct cohd_rec_plan_entry *e,
			     size_t create)
{
	const struct cohd_rec_type *t = e->type;

	for (size_t i = 0; i < t->n_fields; i++) {
		const struct cohd_rec_field *f = &t->fields[i];
		const char *op = f->update_op ? f->update_op : t->update_op;
		const json_t *v = e->props ? cohd_rec_json_path(e->props, f->path) : NULL;
		struct cohd_rec_action *a = NULL;
		bool grouped = false;

		if (!op || !v)
			continue;
		if (!(f->flags & COHD_REC_F_AFTER_CREATE) &&
		    ((f->flags & (COHD_REC_F_REPLACE | COHD_REC_F_OBSERVE_ONLY)) ||
		     !cohd_rec_refers_to(v, e->logical_id)))
			continue;
		for (size_t k = create + 1; k < p->n && !(f->flags & COHD_REC_F_ONE_PER_CALL); k++)
			if (p->actions[k].kind == COHD_REC_ACTION_UPDATE &&
			    streq(p->actions[k].operation, op) &&
			    streq(p->actions[k].logical_id, e->logical_id) &&
			    !one_per_call(t, p->actions[k].values))
				a = &p->actions[k], grouped = true;
		if (!grouped) {
			a = add(p, COHD_REC_ACTION_UPDATE, e, op,
				(f->flags & COHD_REC_F_AFTER_CREATE)
					? "set after create (the create call does not take it)"
					: "set after create (it refers to the resource itself)");
			if (!a)
				return -ENOMEM;
			a->values = json_object();
			if (!a->values || after(a, create) < 0)
				return -ENOMEM;
		}
		json_object_set(a->values, f->path, (json_t *)v);
	}
	return 0;
}

static int plan_create(struct cohd_rec_plan *p, const struct cohd_rec_plan_entry *e,
		       const char *reason, bool replace)
{
	struct cohd_rec_action *a = add(p, COHD_REC_ACTION_CREATE, e, e->type->create_op, reason);
	size_t id;
	int r;

	if (!a)
		return -ENOMEM;
	a->replace = replace;
	id = a->id;
	r = after_deps(p, id, e);
	if (r < 0)
		return r;
	return plan_after_create(p, e, id);
}

static int plan_desired(struct cohd_rec_plan *p, const struct cohd_rec_plan_entry *e)
{
	const struct cohd_rec_res_diff *d = e->diff;
	struct cohd_rec_action *a;
	int r;

	if (d->state == COHD_REC_RES_MISSING)
		return plan_create(p, e, "missing", false);
	if (d->state != COHD_REC_RES_PRESENT)
		return 0;
	if (d->replace) {
		size_t del, cre;

		if (e->type->unique_name) {
			/* The name must stay the same and AWS allows it once: the old one goes
			 * first, so the resource is absent for a while. */
			a = add(p, COHD_REC_ACTION_DELETE, e, e->type->delete_op,
				"replace: a field AWS cannot change in place drifted; the name is "
				"unique, so delete first, then create");
			if (!a)
				return -ENOMEM;
			a->replace = true;
			del = a->id;
			cre = p->n;
			r = plan_create(p, e, "replace: create after the delete", true);
			if (r < 0)
				return r;
			return after(&p->actions[cre], del);
		}
		cre = p->n;
		r = plan_create(p, e,
				"replace: a field AWS cannot change in place drifted; create the "
				"new one first, then delete the old",
				true);
		if (r < 0 || e->keep_old)
			return r;
		a = add(p, COHD_REC_ACTION_DELETE, e, e->type->delete_op,
			"replace: delete the old one after its successor exists");
		if (!a)
			return -ENOMEM;
		a->replace = true;
		return after(a, cre);
	}
	for (size_t i = 0; i < (e->keep_old ? 0 : e->n_superseded); i++) {
		a = add(p, COHD_REC_ACTION_DELETE, e, e->type->delete_op,
			"superseded by its replacement: delete once nothing depends on it");
		if (!a)
			return -ENOMEM;
		a->replace = true;
		a->target = e->superseded[i];
	}
	r = plan_updates(p, e);
	if (r < 0)
		return r;
	if ((d->tags_wrong || e->adopt) && e->type->tag_op) {
		a = add(p, COHD_REC_ACTION_TAG, e, e->type->tag_op,
			e->adopt ? "adopt: found by name with our ownership tags, add cohd:id"
				 : "tags missing or changed");
		if (!a)
			return -ENOMEM;
		a->adopt = e->adopt;
		a->values = json_incref(d->tags_wrong);
		r = after_deps(p, a->id, e);
		if (r < 0)
			return r;
	}
	if (d->tags_extra && e->type->untag_op) {
		a = add(p, COHD_REC_ACTION_TAG, e, e->type->untag_op,
			"tags cohd owns that are no longer desired");
		if (!a)
			return -ENOMEM;
		a->untag = true;
		a->values = json_incref(d->tags_extra);
		return after_deps(p, a->id, e);
	}
	return 0;
}

int cohd_rec_plan_build(const struct cohd_rec_plan_entry *entries, size_t n,
			struct cohd_rec_plan *plan)
{
	size_t first_delete;
	int r;

	for (size_t i = 0; i < n; i++) {
		if (entries[i].hold || entries[i].diff->state == COHD_REC_RES_UNMANAGED)
			continue;
		r = plan_desired(plan, &entries[i]);
		if (r < 0)
			return r;
	}

	/* The old half of a replacement goes after every action on what depends on it (those
	 * move to the new half first). */
	for (size_t i = 0; i < plan->n; i++) {
		struct cohd_rec_action *a = &plan->actions[i];

		if (a->kind != COHD_REC_ACTION_DELETE || !a->replace || delete_comes_first(plan, i))
			continue;
		for (size_t k = 0; k < n; k++)
			for (size_t d = 0; d < entries[k].n_depends_on; d++)
				if (streq(entries[k].depends_on[d], a->logical_id) &&
				    after_resource(plan, a, entries[k].logical_id, AFTER_ALL) < 0)
					return -ENOMEM;
	}

	/* Deletes of unmanaged resources, reverse order: walk the entries backwards so that
	 * dependents are planned first, then link each delete after the deletes of resources
	 * that depended on it (known edges) or of higher tiers (unknown edges). */
	first_delete = plan->n;
	for (size_t k = n; k-- > 0;) {
		const struct cohd_rec_plan_entry *e = &entries[k];

		if (e->hold || e->diff->state != COHD_REC_RES_UNMANAGED)
			continue;
		if (!add(plan, COHD_REC_ACTION_DELETE, e, e->type->delete_op,
			 "no longer desired; grace period over"))
			return -ENOMEM;
	}
	for (size_t i = first_delete; i < plan->n; i++) {
		struct cohd_rec_action *a = &plan->actions[i];
		const struct cohd_rec_plan_entry *ea = NULL;

		for (size_t k = 0; k < n && !ea; k++)
			if (streq(entries[k].logical_id, a->logical_id))
				ea = &entries[k];
		for (size_t j = first_delete; j < plan->n; j++) {
			struct cohd_rec_action *b = &plan->actions[j];
			const struct cohd_rec_plan_entry *eb = NULL;
			bool b_depends_on_a = false;

			if (i == j)
				continue;
			for (size_t k = 0; k < n && !eb; k++)
				if (streq(entries[k].logical_id, b->logical_id))
					eb = &entries[k];
			if (eb->n_depends_on > 0 || ea->n_depends_on > 0) {
				for (size_t d = 0; d < eb->n_depends_on; d++)
					if (streq(eb->depends_on[d], a->logical_id))
						b_depends_on_a = true;
			} else
				b_depends_on_a = b->type->tier > a->type->tier;
			if (b_depends_on_a && after(a, j) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

const char *cohd_rec_action_kind_to_string(enum cohd_rec_action_kind k)
{
	static const char *const t[_COHD_REC_ACTION_KIND_MAX] = {
		[COHD_REC_ACTION_CREATE] = "create",
		[COHD_REC_ACTION_UPDATE] = "update",
		[COHD_REC_ACTION_TAG] = "tag",
		[COHD_REC_ACTION_DELETE] = "delete",
	};

	return k >= 0 && k < _COHD_REC_ACTION_KIND_MAX ? t[k] : NULL;
}

const char *cohd_rec_action_state_to_string(enum cohd_rec_action_state s)
{
	static const char *const t[_COHD_REC_ACTION_STATE_MAX] = {
		[COHD_REC_ACTION_PENDING] = "pending", [COHD_REC_ACTION_RUNNING] = "running",
		[COHD_REC_ACTION_WAITING] = "waiting", [COHD_REC_ACTION_DONE] = "done",
		[COHD_REC_ACTION_FAILED] = "failed",   [COHD_REC_ACTION_BLOCKED] = "blocked",
		[COHD_REC_ACTION_SKIPPED] = "skipped", [COHD_REC_ACTION_TIMEOUT] = "timeout",
	};

	return s >= 0 && s < _COHD_REC_ACTION_STATE_MAX ? t[s] : NULL;
}

static bool write_only(const struct cohd_rec_type *t, const char *path)
{
	for (size_t i = 0; i < t->n_fields; i++)
		if (streq(t->fields[i].path, path))
			return t->fields[i].flags & COHD_REC_F_WRITE_ONLY;
	return false;
}

json_t *cohd_rec_plan_to_json(const struct cohd_rec_plan *plan)
{
	json_t *actions = json_array();

	for (size_t i = 0; actions && i < plan->n; i++) {
		const struct cohd_rec_action *a = &plan->actions[i];
		json_t *o = json_pack(
			"{s:I, s:s, s:s, s:s, s:s?, s:s, s:s}", "id", (json_int_t)a->id, "kind",
			cohd_rec_action_kind_to_string(a->kind), "resource", a->logical_id, "type",
			a->type->name, "operation", a->operation, "reason", a->reason, "state",
			cohd_rec_action_state_to_string(a->state));
		json_t *after_ids = json_array();
		const char *key;
		json_t *v;

		if (!o || !after_ids) {
			json_decref(o);
			json_decref(after_ids);
			continue;
		}
		for (size_t j = 0; j < a->n_after; j++)
			json_array_append_new(after_ids, json_integer((json_int_t)a->after[j]));
		json_object_set_new(o, "after", after_ids);
		if (a->kind == COHD_REC_ACTION_UPDATE && a->values) {
			json_t *vals = json_object();

			json_object_foreach (a->values, key, v)
				json_object_set_new(vals, key,
						    write_only(a->type, key)
							    ? json_string("(secret)")
							    : json_incref(v));
			json_object_set_new(o, "values", vals);
		}
		if (a->kind == COHD_REC_ACTION_TAG && a->values)
			json_object_set(o, a->untag ? "remove_tags" : "tags", a->values);
		if (a->message)
			json_object_set_new(o, "message", json_string(a->message));
		json_array_append_new(actions, o);
	}
	return json_pack("{s:o}", "actions", actions);
}
