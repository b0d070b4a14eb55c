/* SPDX-License-Identifier: Apache-2.0 */
/*
 * application_autoscaling.scaling_policy: the step scaling policies (one up, one down) of each
 * ECS service's scalable target (compile_ecs.c); the CPU alarm calls them by PolicyARN.
 * Observe is DescribeScalingPolicies naming the wanted policies (up to 50 per call).
 * PutScalingPolicy is an upsert: it creates and corrects (the whole configuration per call).
 *
 * No tags in this API version: ownership is the deterministic name (owned_by_name; see
 * autoscaling_scalable_target.c). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

#define POLICY_NAMES_MAX 50

static int policy_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	json_t *names;

	if (ctx->n_wanted == 0) {
		*ret = NULL;
		return 0;
	}
	names = json_array();
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < ctx->n_wanted && i < POLICY_NAMES_MAX; i++)
		json_array_append_new(names, json_string(ctx->wanted[i]->name));
	*ret = json_pack("{s:s, s:o}", "ServiceNamespace", "ecs", "PolicyNames", names);
	return *ret ? 0 : -ENOMEM;
}

/* PutScalingPolicy with the whole desired configuration. */
static int policy_put(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
		      size_t n_fields, json_t **ret)
{
	const char *key;
	json_t *p = json_object(), *v;

	if (!p || !ctx->props) {
		json_decref(p);
		return -EINVAL;
	}
	json_object_foreach ((json_t *)ctx->props, key, v)
		if (strncmp(key, "cohd:", 5) != 0)
			json_object_set(p, key, v);
	*ret = p;
	return 0;
}

static int policy_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const json_t *a = ctx->live ? ctx->live->attrs : NULL;

	*ret = json_pack("{s:O, s:O, s:O, s:O}", "PolicyName", json_object_get(a, "PolicyName"),
			 "ServiceNamespace", json_object_get(a, "ServiceNamespace"), "ResourceId",
			 json_object_get(a, "ResourceId"), "ScalableDimension",
			 json_object_get(a, "ScalableDimension"));
	return *ret ? 0 : -EINVAL;
}

static const struct cohd_rec_field policy_fields[] = {
	{.path = "ServiceNamespace", .flags = COHD_REC_F_REPLACE},
	{.path = "ResourceId", .flags = COHD_REC_F_REPLACE},
	{.path = "ScalableDimension", .flags = COHD_REC_F_REPLACE},
	{.path = "PolicyType"},
	{.path = "StepScalingPolicyConfiguration"},
	{.path = "TargetTrackingScalingPolicyConfiguration"},
};

static const char *const policy_gone[] = {"ObjectNotFoundException", NULL};

const struct cohd_rec_type cohd_resource_autoscaling_scaling_policy = {
	.name = "application_autoscaling.scaling_policy",
	.service = "application-autoscaling",
	.tier = 6,

	.describe_op = "DescribeScalingPolicies",
	.observe_params = policy_observe,
	.observe_batch = POLICY_NAMES_MAX,
	.list_path = "ScalingPolicies",
	.id_path = "PolicyARN",
	.name_path = "PolicyName",
	.tag_style = COHD_REC_TAGS_NONE,
	.owned_by_name = true,

	.fields = policy_fields,
	.n_fields = ELEMENTSOF(policy_fields),

	.create_op = "PutScalingPolicy",
	.create_tag_style = COHD_REC_TAGS_NONE,

	.update_op = "PutScalingPolicy", /* an upsert */
	.update_params = policy_put,
	.id_member = "PolicyName",
	.delete_op = "DeleteScalingPolicy",
	.delete_params = policy_delete,
	.gone_codes = policy_gone,
};
