/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ec2.internet_gateway: the application VPC's internet gateway and its attachment, which the
 * compiler models as the gateway's "VpcId" (coherence-resources.md §2.4). CreateInternetGateway
 * takes only TagSpecifications; the attachment is made right after it with
 * AttachInternetGateway, and a gateway found detached is attached again. Observe is one
 * DescribeInternetGateways by our tags; the attachment is read from Attachments[0]. No
 * idempotency token: tag-on-create plus look-up-before-create by the Name tag (aws-api.md §3).
 *
 * Delete: AWS refuses DeleteInternetGateway while the gateway is attached, so the delete is two
 * steps, DetachInternetGateway (already detached counts as done) then DeleteInternetGateway.
 * While addresses in the VPC are still mapped (a NAT gateway being deleted) the detach answers
 * DependencyViolation and the next pass tries again. Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/ec2_common.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

/* AttachInternetGateway: {"InternetGatewayId": id, "VpcId": vpc}; a gateway attached to another
 * VPC is detached from it first (one action, two calls). */
static int attach_params(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			 size_t n_fields, json_t **ret)
{
	const char *vpc = json_string_value(cohd_ec2_prop(ctx, "VpcId"));
	const char *id = ctx->live ? ctx->live->physical_id : NULL;
	const char *other = json_string_value(cohd_rec_json_path(ctx->live ? ctx->live->attrs : NULL,
								 "Attachments.0.VpcId"));

	if (!id || !vpc)
		return -EINVAL;
	if (other && !streq(other, vpc))
		*ret = json_pack("[{s:s, s:{s:s, s:s}, s:[s]}, {s:s, s:{s:s, s:s}}]", "Operation",
				 "DetachInternetGateway", "Params", "InternetGatewayId", id,
				 "VpcId", other, "IgnoreCodes", "Gateway.NotAttached", "Operation",
				 "AttachInternetGateway", "Params", "InternetGatewayId", id, "VpcId",
				 vpc);
	else
		*ret = json_pack("{s:s, s:s}", "InternetGatewayId", id, "VpcId", vpc);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_field igw_fields[] = {
	{ .path = "VpcId", .live_path = "Attachments.0.VpcId", .update_op = "AttachInternetGateway",
	  .update_params = attach_params, .flags = COHD_REC_F_AFTER_CREATE },
};

/* [DetachInternetGateway (when attached), DeleteInternetGateway] */
static int igw_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *id = ctx->live ? ctx->live->physical_id : NULL;
	const json_t *att;
	json_auto_t *steps = json_array();
	size_t i;

	if (!id || !steps)
		return -EINVAL;
	json_array_foreach(json_object_get(ctx->live->attrs, "Attachments"), i, att) {
		const char *vpc = json_string_value(json_object_get(att, "VpcId"));

		if (vpc)
			json_array_append_new(steps,
					      json_pack("{s:s, s:{s:s, s:s}, s:[s]}", "Operation",
							"DetachInternetGateway", "Params",
							"InternetGatewayId", id, "VpcId", vpc,
							"IgnoreCodes", "Gateway.NotAttached"));
	}
	json_array_append_new(steps, json_pack("{s:s, s:{s:s}}", "Operation",
					       "DeleteInternetGateway", "Params",
					       "InternetGatewayId", id));
	*ret = TAKE_PTR(steps);
	return 0;
}

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
	.untag_op = "DeleteTags", /* cohd-owned tags no longer desired */
	.delete_op = "DeleteInternetGateway",
	.delete_params = igw_delete,
	.gone_codes = igw_gone,
};
