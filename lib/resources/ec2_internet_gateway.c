/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ec2.internet_gateway: the application VPC's internet gateway and its attachment, which the
 * compiler models as the gateway's "VpcId" (coherence-resources.md §2.4). CreateInternetGateway
 * takes only TagSpecifications; the attachment is made right after it with
 * AttachInternetGateway, and a gateway found detached is attached again. Observe is one
 * DescribeInternetGateways by our tags; the attachment is read from Attachments[0]. No
 * idempotency token: tag-on-create plus look-up-before-create by the Name tag (aws-api.md §3).
 *
 * Delete: AWS refuses DeleteInternetGateway while the gateway is attached (DependencyViolation,
 * retried by the next pass). The engine's delete is a single call, so the detach that must come
 * first cannot be expressed here (see the report on the reconcile interface): until it can,
 * deleting an attached gateway needs a DetachInternetGateway by hand. Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/ec2_common.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

/* AttachInternetGateway: {"InternetGatewayId": id, "VpcId": vpc}. */
static int attach_params(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			 size_t n_fields, json_t **ret)
{
	const char *vpc = json_string_value(cohd_ec2_prop(ctx, "VpcId"));

	if (!ctx->live || !ctx->live->physical_id || !vpc)
		return -EINVAL;
	*ret = json_pack("{s:s, s:s}", "InternetGatewayId", ctx->live->physical_id, "VpcId", vpc);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_field igw_fields[] = {
	{ .path = "VpcId", .live_path = "Attachments.0.VpcId", .update_op = "AttachInternetGateway",
	  .update_params = attach_params, .flags = COHD_REC_F_AFTER_CREATE },
};

static const char *const igw_gone[] = { "InvalidInternetGatewayID.NotFound", NULL };

static enum cohd_rec_health igw_health(const struct cohd_rec_item *item)
{
	const char *state = json_string_value(cohd_rec_json_path(item->attrs,
								  "Attachments.0.State"));

	/* AWS reports an attached internet gateway's attachment as "available". */
	if (streq_ptr(state, "available") || streq_ptr(state, "attached"))
		return COHD_REC_HEALTH_HEALTHY;
	if (streq_ptr(state, "attaching"))
		return COHD_REC_HEALTH_PROGRESSING;
	return COHD_REC_HEALTH_DEGRADED;
}

const struct cohd_rec_type cohd_resource_ec2_internet_gateway = {
	.name = "ec2.internet_gateway",
	.service = "ec2",
	.tier = 1,

	.describe_op = "DescribeInternetGateways", /* default params: our tags */
	.list_path = "InternetGateways",
	.id_path = "InternetGatewayId",
	.name_path = "tag:Name",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.lookup_params = cohd_ec2_lookup_by_name,
	.id_list_member = "InternetGatewayIds",
	.health = igw_health,

	.fields = igw_fields,
	.n_fields = ELEMENTSOF(igw_fields),

	.create_op = "CreateInternetGateway",
	.create_tag_style = COHD_REC_TAGS_EC2_SPEC,
	.tag_resource_type = "internet-gateway",
	.create_result_path = "InternetGateway",

	.id_member = "InternetGatewayId",
	.tag_op = "CreateTags",
	.delete_op = "DeleteInternetGateway",
	.gone_codes = igw_gone,
};
