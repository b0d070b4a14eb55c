/* SPDX-License-Identifier: Apache-2.0 */
/*
 * application_autoscaling.scalable_target: the desired count of each ECS service, between its
 * minimum and maximum (compile_ecs.c). Observe is DescribeScalableTargets naming the wanted
 * ResourceIds ("service/<cluster>/<service>", up to 50 per call). RegisterScalableTarget is an
 * upsert: it creates and corrects. The target governs the service's desiredCount (band folding:
 * the engine accepts any count inside [MinCapacity, MaxCapacity] and corrects only to the
 * nearest bound outside it).
 *
 * This API version has no tags: ownership is the deterministic name (owned_by_name; the
 * ResourceId carries the app prefix and its hash). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

#define RESOURCE_IDS_MAX 50

static int target_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	json_t *ids;

	if (ctx->n_wanted == 0) {
		*ret = NULL;
		return 0;
	}
	ids = json_array();
	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < ctx->n_wanted && i < RESOURCE_IDS_MAX; i++)
		json_array_append_new(ids, json_string(ctx->wanted[i]->name));
	*ret = json_pack("{s:s, s:o}", "ServiceNamespace", "ecs", "ResourceIds", ids);
	return *ret ? 0 : -ENOMEM;
}

static const json_t *member(const struct cohd_rec_type_ctx *ctx, const char *key)
{
	const json_t *v = ctx->props ? json_object_get(ctx->props, key) : NULL;

	return v ? v : ctx->live ? json_object_get(ctx->live->attrs, key) : NULL;
}

/* The identity of a target: namespace, resource, dimension. */
static json_t *identity(const struct cohd_rec_type_ctx *ctx)
{
	const json_t *ns = member(ctx, "ServiceNamespace"), *id = member(ctx, "ResourceId"),
		     *dim = member(ctx, "ScalableDimension");

	if (!json_is_string(ns) || !json_is_string(id) || !json_is_string(dim))
		return NULL;
	return json_pack("{s:O, s:O, s:O}", "ServiceNamespace", ns, "ResourceId", id,
			 "ScalableDimension", dim);
}

static int target_register(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			   size_t n_fields, json_t **ret)
{
	json_t *p = identity(ctx);

	if (!p)
		return -EINVAL;
	json_object_set(p, "MinCapacity", (json_t *)member(ctx, "MinCapacity"));
	json_object_set(p, "MaxCapacity", (json_t *)member(ctx, "MaxCapacity"));
	*ret = p;
	return 0;
}

static int target_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	*ret = identity(ctx);
	return *ret ? 0 : -EINVAL;
}

static const struct cohd_rec_field target_fields[] = {
	{.path = "ServiceNamespace", .flags = COHD_REC_F_REPLACE},
	{.path = "ScalableDimension", .flags = COHD_REC_F_REPLACE},
	{.path = "MinCapacity"},
	{.path = "MaxCapacity"},
};

static const char *const target_gone[] = {"ObjectNotFoundException", NULL};

const struct cohd_rec_type cohd_resource_autoscaling_scalable_target = {
	.name = "application_autoscaling.scalable_target",
	.service = "application-autoscaling",
	.tier = 5,

	.describe_op = "DescribeScalableTargets",
	.observe_params = target_observe,
	.observe_batch = RESOURCE_IDS_MAX,
	.list_path = "ScalableTargets",
	.id_path = "ResourceId",
	.name_path = "ResourceId",
	.tag_style = COHD_REC_TAGS_NONE,
	.owned_by_name = true,

	.fields = target_fields,
	.n_fields = ELEMENTSOF(target_fields),

	.create_op = "RegisterScalableTarget",
	.create_tag_style = COHD_REC_TAGS_NONE,

	.update_op = "RegisterScalableTarget", /* an upsert */
	.update_params = target_register,
	.id_member = "ResourceId",
	.delete_op = "DeregisterScalableTarget",
	.delete_params = target_delete,
	.gone_codes = target_gone,

	.governs_type = "ecs.service",
	.governs_field = "desiredCount",
	.min_path = "MinCapacity",
	.max_path = "MaxCapacity",
};
