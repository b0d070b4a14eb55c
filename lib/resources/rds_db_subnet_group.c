/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rds.db_subnet_group: the application's DB subnet group over its private subnets, named after
 * the app prefix and shared by every environment's RDS instance (compile_network.c). Observe is
 * one paginated DescribeDBSubnetGroups over the region; DBSubnetGroup carries no tags, so a
 * ListTagsForResource per group under the app's name prefix reads them before matching
 * (rds_common.c). CreateDBSubnetGroup takes no token: the name is deterministic and the bulk
 * describe sees every group, so one with our name is found (adopted when tagged ours, reported
 * otherwise) before any create; DBSubnetGroupAlreadyExists after a lost answer is settled the
 * same way on the next pass. ModifyDBSubnetGroup needs the subnet list on every call, so it
 * always sends the description and the subnets together. Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

/* "SubnetIds" as CreateDBSubnetGroup spells them, from Subnets[].SubnetIdentifier. */
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
	*ret = json_pack("{s:s}", "DBSubnetGroupName", ctx->live->physical_id);
	return *ret ? 0 : -ENOMEM;
}

static const char *group_name(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live && ctx->live->physical_id ? ctx->live->physical_id
	       : ctx->resource			   ? ctx->resource->name
						   : NULL;
}

/* ModifyDBSubnetGroup: SubnetIds is required on every call, whatever changed. */
static int group_modify(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			size_t n_fields, json_t **ret)
{
	const json_t *subnets = json_object_get(ctx->props, "SubnetIds");
	const json_t *desc = json_object_get(ctx->props, "DBSubnetGroupDescription");
	const char *name = group_name(ctx);

	if (!name || !json_is_array(subnets))
		return -EINVAL;
	*ret = json_pack("{s:s, s:O}", "DBSubnetGroupName", name, "SubnetIds", subnets);
	if (*ret && json_is_string(desc))
		json_object_set(*ret, "DBSubnetGroupDescription", (json_t *)desc);
	return *ret ? 0 : -ENOMEM;
}

static json_t *sorted_ids(const json_t *v)
{
	return cohd_rds_id_list(v, "SubnetIdentifier");
}

static const struct cohd_rec_field group_fields[] = {
	{.path = "DBSubnetGroupDescription"},
	{.path = "SubnetIds", .normalise = sorted_ids},
};

const struct cohd_rec_type cohd_resource_rds_db_subnet_group = {
	.name = "rds.db_subnet_group",
	.service = "rds",
	.tier = 2,
	.unique_name = true,

	.describe_op = "DescribeDBSubnetGroups",
	.observe_params = cohd_rds_observe_all,
	.list_path = "DBSubnetGroups",
	.id_path = "DBSubnetGroupName", /* RDS addresses groups by name; tags by ARN */
	.name_path = "DBSubnetGroupName",
	.tags_path = "TagList",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.tag_read_prefix = true, /* the describe lists the whole region */
	.project = group_project,
	.by_id_params = group_by_name,
	.details = &cohd_rds_tags_detail,
	.n_details = 1,

	.fields = group_fields,
	.n_fields = ELEMENTSOF(group_fields),

	.create_op = "CreateDBSubnetGroup",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "DBSubnetGroup",

	.update_op = "ModifyDBSubnetGroup",
	.update_params = group_modify,
	.id_member = "DBSubnetGroupName",
	.tag_op = "AddTagsToResource",
	.tag_params = cohd_rds_tag_params,
	.untag_op = "RemoveTagsFromResource",
	.untag_params = cohd_rds_untag_params,
	.delete_op = "DeleteDBSubnetGroup",
	/* DBSubnetGroupNotFoundFault is in the NOT_FOUND class; InvalidDBSubnetGroupStateFault
	 * (instances still in it) fails the delete, retried next pass after they are gone. */
};
