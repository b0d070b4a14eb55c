/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rds.db_proxy_target: the database registered in its proxy's "default" target group
 * (compile_data.c), named "<proxy>/<target group>". The item is one DescribeDBProxyTargets
 * answer (one call per proxy: the API reads one proxy at a time), the proxy and group it was
 * asked about copied in (observe_keep) so that an orphan can be deregistered; the desired
 * DBInstanceIdentifiers / DBClusterIdentifiers are compared with its targets of type
 * RDS_INSTANCE / TRACKED_CLUSTER. Targets carry no tags: the name (which embeds the app prefix
 * and its hash) is the ownership. A proxy that does not exist yet is not asked about: the
 * target is created (RegisterDBProxyTargets) after the proxy in the same pass; once the proxy
 * exists the item exists too (maybe with no target), and a missing registration is a drift
 * corrected the same way. Changes register what is missing and deregister what is extra;
 * deleting deregisters every target (the group itself goes with its proxy). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

/* "<proxy>/<group>" -> its two halves (new strings); -EINVAL for anything else. */
static int split_name(const char *name, char **ret_proxy, char **ret_group)
{
	const char *slash = name ? strchr(name, '/') : NULL;

	if (!slash || slash == name || !slash[1])
		return -EINVAL;
	*ret_proxy = strndup(name, (size_t)(slash - name));
	*ret_group = strdup(slash + 1);
	if (!*ret_proxy || !*ret_group) {
		free(*ret_proxy);
		free(*ret_group);
		return -ENOMEM;
	}
	return 0;
}

/* One proxy per call (observe_batch 1). Its name from the resolved properties; a resource that
 * left the graph (no properties) by its last name; a wanted one whose proxy is missing: nothing
 * to ask (the proxy is created first). */
static int target_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	_cleanup_free_ char *proxy = NULL, *group = NULL;
	const json_t *p;
	int r;

	*ret = NULL;
	if (ctx->n_wanted == 0)
		return 0;
	p = ctx->props ? ctx->props[0] : NULL;
	if (p && json_is_string(json_object_get(p, "DBProxyName"))) {
		const json_t *g = json_object_get(p, "TargetGroupName");

		*ret = json_pack("{s:O, s:s}", "DBProxyName", json_object_get(p, "DBProxyName"),
				 "TargetGroupName",
				 json_is_string(g) ? json_string_value(g) : "default");
		return *ret ? 0 : -ENOMEM;
	}
	if (ctx->wanted[0]->properties)
		return 0;
	r = split_name(ctx->wanted[0]->name, &proxy, &group);
	if (r < 0)
		return r == -EINVAL ? 0 : r;
	*ret = json_pack("{s:s, s:s}", "DBProxyName", proxy, "TargetGroupName", group);
	return *ret ? 0 : -ENOMEM;
}

/* The name the graph gives the resource: "<proxy>/<group>", from the observe params
 * (observe_keep) or, for a create's answer, nothing (the name comes from the graph). */
static json_t *group_project(const json_t *raw)
{
	const char *proxy = json_string_value(json_object_get(raw, "DBProxyName"));
	const char *group = json_string_value(json_object_get(raw, "TargetGroupName"));
	_cleanup_free_ char *name = NULL;
	json_t *o;

	if (!proxy || !group || asprintf(&name, "%s/%s", proxy, group) < 0)
		return NULL;
	o = json_deep_copy(raw);
	if (o)
		json_object_set_new(o, "cohd:Name", json_string(name));
	return o;
}

/* Sorted ids of the targets of one type (objects) or the desired ids (strings). */
static json_t *ids_of_type(const json_t *v, const char *type)
{
	json_t *filtered = json_array(), *item, *out;
	size_t i;

	if (!v) /* no target registered */
		return filtered;
	if (!filtered || !json_is_array(v)) {
		json_decref(filtered);
		return json_incref((json_t *)v);
	}
	json_array_foreach (v, i, item) {
		if (json_is_string(item))
			json_array_append(filtered, item);
		else if (streq_ptr(json_string_value(json_object_get(item, "Type")), type) &&
			 json_is_string(json_object_get(item, "RdsResourceId")))
			json_array_append(filtered, json_object_get(item, "RdsResourceId"));
	}
	out = cohd_rds_id_list(filtered, "");
	json_decref(filtered);
	return out;
}

static json_t *instance_ids(const json_t *v)
{
	return ids_of_type(v, "RDS_INSTANCE");
}

static json_t *cluster_ids(const json_t *v)
{
	return ids_of_type(v, "TRACKED_CLUSTER");
}

/* What is registered (live) and what should be (desired), as sorted id lists. */
static int target_sets(const struct cohd_rec_type_ctx *ctx, const char *member, json_t **ret_want,
		       json_t **ret_have)
{
	bool cluster = streq(member, "DBClusterIdentifiers");
	const json_t *live = ctx->live ? json_object_get(ctx->live->attrs, "Targets") : NULL;

	*ret_want = cluster ? cluster_ids(json_object_get(ctx->props, member))
			    : instance_ids(json_object_get(ctx->props, member));
	*ret_have = live ? (cluster ? cluster_ids(live) : instance_ids(live)) : json_array();
	if (!json_is_array(*ret_want) || !json_is_array(*ret_have)) {
		json_decref(*ret_want);
		json_decref(*ret_have);
		return -EINVAL;
	}
	return 0;
}

static bool contains(const json_t *list, const json_t *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach (list, i, v)
		if (json_equal(v, s))
			return true;
	return false;
}

static json_t *step(const char *op, const json_t *proxy, const json_t *group, const char *member,
		    json_t *ids, const char *ignore)
{
	return json_pack("{s:s, s:{s:O, s:O, s:o}, s:[s]}", "Operation", op, "Params",
			 "DBProxyName", proxy, "TargetGroupName", group, member, ids, "IgnoreCodes",
			 ignore);
}

/* Register what is missing, then deregister what is extra, per member that drifted. */
static int target_update(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			 size_t n_fields, json_t **ret)
{
	const json_t *proxy = json_object_get(ctx->props, "DBProxyName");
	const json_t *group = json_object_get(ctx->props, "TargetGroupName");
	json_t *steps = json_array();
	int r = 0;

	if (!steps)
		return -ENOMEM;
	if (!json_is_string(proxy) || !json_is_string(group)) {
		json_decref(steps);
		return -EINVAL;
	}
	for (size_t f = 0; f < n_fields && r >= 0; f++) {
		json_t *want = NULL, *have = NULL, *add, *del, *v;
		size_t i;

		r = target_sets(ctx, fields[f], &want, &have);
		if (r < 0)
			break;
		add = json_array();
		del = json_array();
		json_array_foreach (want, i, v)
			if (!contains(have, v))
				json_array_append(add, v);
		json_array_foreach (have, i, v)
			if (!contains(want, v))
				json_array_append(del, v);
		if (json_array_size(add) > 0)
			json_array_append_new(steps, step("RegisterDBProxyTargets", proxy, group,
							  fields[f], json_incref(add),
							  "DBProxyTargetAlreadyRegisteredFault"));
		if (json_array_size(del) > 0)
			json_array_append_new(steps, step("DeregisterDBProxyTargets", proxy, group,
							  fields[f], json_incref(del),
							  "DBProxyTargetNotFoundFault"));
		json_decref(add);
		json_decref(del);
		json_decref(want);
		json_decref(have);
	}
	if (r < 0) {
		json_decref(steps);
		return r;
	}
	*ret = steps;
	return 0;
}

/* RegisterDBProxyTargets; "already registered" (a create whose answer was lost) is success. */
static int target_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	json_t *p = json_object();
	const char *key;
	json_t *v;

	if (!p)
		return -ENOMEM;
	json_object_foreach ((json_t *)ctx->props, key, v)
		if (strncmp(key, "cohd:", 5) != 0)
			json_object_set(p, key, v);
	*ret = json_pack("[{s:s, s:o, s:[s]}]", "Operation", "RegisterDBProxyTargets", "Params", p,
			 "IgnoreCodes", "DBProxyTargetAlreadyRegisteredFault");
	return *ret ? 0 : -ENOMEM;
}

/* Deregister every target found (the target group itself belongs to the proxy). */
static int target_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const json_t *attrs = ctx->live ? ctx->live->attrs : NULL;
	const json_t *proxy = json_object_get(attrs, "DBProxyName");
	const json_t *group = json_object_get(attrs, "TargetGroupName");
	json_t *steps, *inst, *clus;

	if (!json_is_string(proxy) || !json_is_string(group))
		return -EINVAL;
	steps = json_array();
	inst = instance_ids(json_object_get(attrs, "Targets"));
	clus = cluster_ids(json_object_get(attrs, "Targets"));
	if (!steps || !inst || !clus) {
		json_decref(steps);
		json_decref(inst);
		json_decref(clus);
		return -ENOMEM;
	}
	if (json_array_size(clus) > 0)
		json_array_append_new(steps, step("DeregisterDBProxyTargets", proxy, group,
						  "DBClusterIdentifiers", json_incref(clus),
						  "DBProxyTargetNotFoundFault"));
	else if (json_array_size(inst) > 0)
		json_array_append_new(steps, step("DeregisterDBProxyTargets", proxy, group,
						  "DBInstanceIdentifiers", json_incref(inst),
						  "DBProxyTargetNotFoundFault"));
	json_decref(inst);
	json_decref(clus);
	*ret = steps; /* empty: nothing registered, nothing to send */
	return 0;
}

static const struct cohd_rec_field target_fields[] = {
	{.path = "TargetGroupName", .flags = COHD_REC_F_REPLACE},
	{.path = "DBInstanceIdentifiers",
	 .live_path = "Targets",
	 .default_json = "[]",
	 .normalise = instance_ids},
	{.path = "DBClusterIdentifiers",
	 .live_path = "Targets",
	 .default_json = "[]",
	 .normalise = cluster_ids},
};

/* A proxy or group already gone takes its targets with it. */
static const char *const target_keep[] = {"DBProxyName", "TargetGroupName", NULL};

static const char *const target_gone[] = {"DBProxyNotFoundFault", "DBProxyTargetGroupNotFoundFault",
					  "DBProxyTargetNotFoundFault", NULL};

const struct cohd_rec_type cohd_resource_rds_db_proxy_target = {
	.name = "rds.db_proxy_target",
	.service = "rds",
	.tier = 6,

	.describe_op = "DescribeDBProxyTargets",
	.observe_params = target_observe,
	.observe_batch = 1,
	.list_path = NULL, /* the answer is the item: {"Targets": [...]} */
	.id_path = "cohd:Name",
	.name_path = "cohd:Name",
	.tag_style = COHD_REC_TAGS_NONE,
	.owned_by_name = true,
	.observe_keep = target_keep,
	.observe_absent_codes = target_gone,
	.project = group_project,

	.fields = target_fields,
	.n_fields = ELEMENTSOF(target_fields),

	.create_op = "RegisterDBProxyTargets",
	.create_params = target_create,
	.create_tag_style = COHD_REC_TAGS_NONE,

	.update_op = "RegisterDBProxyTargets",
	.update_params = target_update,
	.id_member = "DBProxyName",
	.delete_op = "DeregisterDBProxyTargets",
	.delete_params = target_delete,
	.gone_codes = target_gone,
};
