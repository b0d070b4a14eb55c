/* SPDX-License-Identifier: Apache-2.0 */
/*
 * elasticache.cache_subnet_group: the application's cache subnet group over its private
 * subnets, named after the app prefix and shared by every environment's Redis
 * (compile_network.c). Observe is one paginated DescribeCacheSubnetGroups over the region;
 * CacheSubnetGroup carries no tags, so a ListTagsForResource per group under the app's name
 * prefix reads them before matching (rds_common.c: the call is the same as RDS's).
 * CreateCacheSubnetGroup takes no token: the name is deterministic and the bulk describe sees
 * every group, so one with our name is adopted (tagged ours) or reported before any create;
 * CacheSubnetGroupAlreadyExists after a lost answer is settled the same way on the next pass.
 * ModifyCacheSubnetGroup corrects the description and the subnets. Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

/* "SubnetIds" as CreateCacheSubnetGroup spells them, from Subnets[].SubnetIdentifier. */
static json_t *group_project(const json_t *raw)
{
	json_t *o = json_deep_copy(raw), *ids;

	if (!o)
		return NULL;
	ids = cohd_rds_id_list(json_object_get(raw, "Subnets"), "SubnetIdentifier");
	json_object_set_new(o, "SubnetIds", ids ? ids : json_array());
	return o;
}

static int group_by_name(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "CacheSubnetGroupName", ctx->live->physical_id);
	return *ret ? 0 : -ENOMEM;
}

static json_t *sorted_ids(const json_t *v)
{
	return cohd_rds_id_list(v, "SubnetIdentifier");
}

/* The default builder: {CacheSubnetGroupName, <drifted fields>} for ModifyCacheSubnetGroup. */
static const struct cohd_rec_field group_fields[] = {
	{.path = "CacheSubnetGroupDescription"},
	{.path = "SubnetIds", .normalise = sorted_ids},
};

const struct cohd_rec_type cohd_resource_elasticache_cache_subnet_group = {
	.name = "elasticache.cache_subnet_group",
	.service = "elasticache",
	.tier = 2,
	.unique_name = true,

	.describe_op = "DescribeCacheSubnetGroups",
	.observe_params = cohd_rds_observe_all,
	.list_path = "CacheSubnetGroups",
	.id_path = "CacheSubnetGroupName", /* addressed by name; tags by ARN */
	.name_path = "CacheSubnetGroupName",
	.tags_path = "TagList",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.tag_read_prefix = true, /* the describe lists the whole region */
	.project = group_project,
	.by_id_params = group_by_name,
	.details = &cohd_rds_tags_detail,
	.n_details = 1,

	.fields = group_fields,
	.n_fields = ELEMENTSOF(group_fields),

	.create_op = "CreateCacheSubnetGroup",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "CacheSubnetGroup",

	.update_op = "ModifyCacheSubnetGroup",
	.id_member = "CacheSubnetGroupName",
	.tag_op = "AddTagsToResource",
	.tag_params = cohd_rds_tag_params,
	.untag_op = "RemoveTagsFromResource",
	.untag_params = cohd_rds_untag_params,
	.delete_op = "DeleteCacheSubnetGroup",
	/* CacheSubnetGroupNotFoundFault is in the NOT_FOUND class; CacheSubnetGroupInUse fails
	 * the delete until the replication groups in it are gone. */
};
