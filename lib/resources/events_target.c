/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events.target: the targets of one EventBridge rule, a Fargate RunTask of the scheduled task's
 * task definition on the app's cluster with the events role, the private subnets and the
 * service's security groups (compile_ecs.c). Targets have no identity of their own, no ARN and no
 * tags: they belong to their rule, and the compiler names the resource "<rule name>/task". So
 * the observed item is the rule (the same ListRules by the app's name prefix as events.rule),
 * named "<rule name>/task" by `project`, owned by that deterministic name (owned_by_name), and
 * its targets are a detail (ListTargetsByRule). PutTargets is an upsert by target Id: it creates
 * and corrects; a rule without our target shows as drift of "Targets" and gets them back.
 * Delete is RemoveTargets of the Ids we put. Subnets and security groups are compared as sets,
 * with what EventBridge fills in. Pure; no I/O.
 */
#include "lib/model/naming.h"
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

#define TARGETS_SUFFIX "/task" /* compile_ecs.c: model_str(c, "%s/task", rule) */

static int target_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	_cleanup_free_ char *slug = cohd_naming_slug(strempty(ctx->app), 20);
	const char *np = strempty(ctx->name_prefix);
	size_t n = slug ? strlen(slug) + 7 : 0;

	if (!slug)
		return -ENOMEM;
	/* Also with nothing wanted: a removed scheduled task's targets are found by their last
	 * name and removed before their rule. */
	if (strlen(np) >= n && strncmp(np, slug, strlen(slug)) == 0 && np[n - 7] == '-')
		*ret = json_pack("{s:s%, s:i}", "NamePrefix", np, n, "Limit", 100);
	else
		*ret = json_pack("{s:s, s:i}", "NamePrefix", np, "Limit", 100);
	return *ret ? 0 : -ENOMEM;
}

/* The rule as the item of its targets: "cohd:Name" = "<rule>/task". */
static json_t *target_project(const json_t *raw)
{
	const char *name = json_string_value(json_object_get(raw, "Name"));
	json_t *o;

	if (!name)
		return NULL; /* a PutTargets answer: nothing to read from it */
	o = json_deep_copy(raw);
	if (o)
		json_object_set_new(o, "cohd:Name", json_sprintf("%s" TARGETS_SUFFIX, name));
	return o;
}

static int targets_params(const struct cohd_rec_item *item, json_t **ret)
{
	if (!item->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "Rule", item->physical_id);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_detail target_details[] = {
	{.operation = "ListTargetsByRule",
	 .params = targets_params,
	 .result_path = "Targets",
	 .merge_as = "Targets"},
};

static int put_targets(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const json_t *rule = json_object_get(ctx->props, "Rule");
	const json_t *targets = json_object_get(ctx->props, "Targets");

	if (!json_is_string(rule) || !json_is_array(targets))
		return -EINVAL;
	*ret = json_pack("{s:O, s:O}", "Rule", rule, "Targets", targets);
	return *ret ? 0 : -ENOMEM;
}

static int update_targets(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			  size_t n_fields, json_t **ret)
{
	return put_targets(ctx, ret);
}

/* The Ids we put: as observed, else as desired, else the compiler's one ("task"). */
static int target_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const json_t *live = ctx->live ? json_object_get(ctx->live->attrs, "Targets") : NULL;
	const json_t *want =
		ctx->resource ? json_object_get(ctx->resource->properties, "Targets") : NULL;
	json_t *ids = json_array(), *t;
	size_t i;

	if (!ctx->live || !ctx->live->physical_id || !ids) {
		json_decref(ids);
		return ids ? -EINVAL : -ENOMEM;
	}
	json_array_foreach (json_array_size(live) > 0 ? live : want, i, t)
		if (json_is_string(json_object_get(t, "Id")))
			json_array_append(ids, json_object_get(t, "Id"));
	if (json_array_size(ids) == 0)
		json_array_append_new(ids, json_string("task"));
	*ret = json_pack("{s:s, s:o}", "Rule", ctx->live->physical_id, "Ids", ids);
	return *ret ? 0 : -ENOMEM;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(strempty(json_string_value(*(json_t *const *)a)),
		      strempty(json_string_value(*(json_t *const *)b)));
}

static void sort_strings(json_t *a)
{
	size_t n = json_array_size(a);
	_cleanup_free_ json_t **v = n ? calloc(n, sizeof(json_t *)) : NULL;

	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(a, i));
	qsort(v, n, sizeof(json_t *), cmp_str);
	json_array_clear(a);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, v[i]);
}

/* Subnets and security groups are sets; EventBridge fills in DISABLED, a count of 1 and the
 * ECS options left false. */
static json_t *targets_normalise(const json_t *v)
{
	json_t *o = json_deep_copy(v), *t, *ecs, *aws;
	static const char *const falses[] = {"EnableECSManagedTags", "EnableExecuteCommand"};
	size_t i;

	json_array_foreach (o, i, t) {
		ecs = json_object_get(t, "EcsParameters");
		if (!json_is_object(ecs))
			continue;
		if (!json_object_get(ecs, "TaskCount"))
			json_object_set_new(ecs, "TaskCount", json_integer(1));
		for (size_t k = 0; k < ELEMENTSOF(falses); k++)
			if (json_is_false(json_object_get(ecs, falses[k])))
				json_object_del(ecs, falses[k]);
		aws = cohd_rec_json_path(ecs, "NetworkConfiguration.awsvpcConfiguration");
		if (!json_is_object(aws))
			continue;
		sort_strings(json_object_get(aws, "Subnets"));
		sort_strings(json_object_get(aws, "SecurityGroups"));
		if (!json_object_get(aws, "AssignPublicIp"))
			json_object_set_new(aws, "AssignPublicIp", json_string("DISABLED"));
	}
	return o;
}

static const struct cohd_rec_field target_fields[] = {
	{.path = "Rule", .live_path = "Name", .flags = COHD_REC_F_REPLACE},
	{.path = "Targets", .normalise = targets_normalise},
};

const struct cohd_rec_type cohd_resource_events_target = {
	.name = "events.target",
	.service = "events",
	.tier = 6, /* before its rule */

	.describe_op = "ListRules",
	.observe_params = target_observe,
	.list_path = "Rules",
	.id_path = "Name", /* RemoveTargets/PutTargets address the rule */
	.name_path = "cohd:Name",
	.tag_style = COHD_REC_TAGS_NONE,
	.owned_by_name = true, /* no tags: the rule's name embeds the app's hashed prefix */
	.project = target_project,
	.details = target_details,
	.n_details = ELEMENTSOF(target_details),

	.fields = target_fields,
	.n_fields = ELEMENTSOF(target_fields),

	.create_op = "PutTargets",
	.create_params = put_targets,
	.create_tag_style = COHD_REC_TAGS_NONE,

	.update_op = "PutTargets", /* an upsert by target Id */
	.update_params = update_targets,
	.id_member = "Rule",
	.delete_op = "RemoveTargets",
	.delete_params = target_delete,
	/* ResourceNotFoundException (the rule is gone) is in the NOT_FOUND class already. */
};
