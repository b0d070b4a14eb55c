/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ec2.subnet: the public and private subnets of the application's VPC (coherence-resources.md
 * §2.4). Observe is one DescribeSubnets filtered by our tags; CreateSubnet takes VpcId,
 * CidrBlock and AvailabilityZone (the {"Az": n} placeholder is resolved by the engine) but not
 * MapPublicIpOnLaunch, which is set right after the create with ModifySubnetAttribute. VPC, CIDR
 * and zone cannot change in place: they force a replacement. No idempotency token: tag-on-create
 * plus look-up-before-create by the Name tag (aws-api.md §3). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/ec2_common.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

/* ModifySubnetAttribute: {"SubnetId": id, "MapPublicIpOnLaunch": {"Value": bool}}; AWS takes one
 * attribute per call. */
static int modify_attribute(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			    size_t n_fields, json_t **ret)
{
	const json_t *v;

	if (n_fields != 1 || !ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	v = cohd_rec_json_path(ctx->props, fields[0]);
	if (!json_is_boolean(v))
		return -EINVAL;
	*ret = json_pack("{s:s, s:{s:O}}", "SubnetId", ctx->live->physical_id, fields[0], "Value",
			 v);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_field subnet_fields[] = {
	{ .path = "VpcId", .flags = COHD_REC_F_REPLACE },
	{ .path = "CidrBlock", .flags = COHD_REC_F_REPLACE, .normalise = cohd_ec2_cidr_normalise },
	{ .path = "AvailabilityZone", .flags = COHD_REC_F_REPLACE | COHD_REC_F_LOWER },
	{ .path = "MapPublicIpOnLaunch", .default_json = "false",
	  .update_op = "ModifySubnetAttribute", .update_params = modify_attribute,
	  .flags = COHD_REC_F_AFTER_CREATE | COHD_REC_F_ONE_PER_CALL },
};

static const char *const subnet_gone[] = { "InvalidSubnetID.NotFound", NULL };

static enum cohd_rec_health subnet_health(const struct cohd_rec_item *item)
{
	const char *state = json_string_value(json_object_get(item->attrs, "State"));

	return streq_ptr(state, "available") ? COHD_REC_HEALTH_HEALTHY
					     : COHD_REC_HEALTH_PROGRESSING;
}

const struct cohd_rec_type cohd_resource_ec2_subnet = {
	.name = "ec2.subnet",
	.service = "ec2",
	.tier = 1,

	.describe_op = "DescribeSubnets", /* default params: tag:ManagedBy */
	.list_path = "Subnets",
	.id_path = "SubnetId",
	.name_path = "tag:Name",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.lookup_params = cohd_ec2_lookup_by_name,
	.id_list_member = "SubnetIds",
	.health = subnet_health,

	.fields = subnet_fields,
	.n_fields = ELEMENTSOF(subnet_fields),

	.create_op = "CreateSubnet",
	.create_tag_style = COHD_REC_TAGS_EC2_SPEC,
	.tag_resource_type = "subnet",
	.create_result_path = "Subnet",
	/* No wait: a subnet can be used (NAT gateway, associations) while still "pending". */

	.id_member = "SubnetId",
	.tag_op = "CreateTags",
	.untag_op = "DeleteTags", /* cohd-owned tags no longer desired */
	.delete_op = "DeleteSubnet",
	.gone_codes = subnet_gone,
};
