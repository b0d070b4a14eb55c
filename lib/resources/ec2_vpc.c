/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ec2.vpc: the application's VPC (coherence-resources.md §2.4), the pattern every type file
 * follows: a static table plus small callbacks. Observe is one DescribeVpcs filtered by our tags;
 * the DNS attributes are not in DescribeVpcs, so two detail reads (DescribeVpcAttribute) add them;
 * CreateVpc takes neither, so they are set right after the create, one ModifyVpcAttribute per
 * attribute (AWS allows one per call). CreateVpc has no idempotency token: tag-on-create
 * (TagSpecifications) plus look-up-before-create by the Name tag (aws-api.md §3). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

/* Look-up-before-create: anything carrying our deterministic name, whoever tagged it (the engine
 * adopts it when ManagedBy/Application say it is ours, else reports it and never touches it). */
static int vpc_lookup(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	*ret = json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Name", "tag:Name", "Values",
			 ctx->resource->name);
	return *ret ? 0 : -ENOMEM;
}

static int attr_params(const struct cohd_rec_item *item, const char *attribute, json_t **ret)
{
	if (!item->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s, s:s}", "VpcId", item->physical_id, "Attribute", attribute);
	return *ret ? 0 : -ENOMEM;
}

static int dns_hostnames_params(const struct cohd_rec_item *item, json_t **ret)
{
	return attr_params(item, "enableDnsHostnames", ret);
}

static int dns_support_params(const struct cohd_rec_item *item, json_t **ret)
{
	return attr_params(item, "enableDnsSupport", ret);
}

static const struct cohd_rec_detail vpc_details[] = {
	{ .operation = "DescribeVpcAttribute", .params = dns_hostnames_params,
	  .result_path = "EnableDnsHostnames", .merge_as = "EnableDnsHostnames" },
	{ .operation = "DescribeVpcAttribute", .params = dns_support_params,
	  .result_path = "EnableDnsSupport", .merge_as = "EnableDnsSupport" },
};

/* ModifyVpcAttribute: {"VpcId": id, "<Field>": {"Value": bool}}, one attribute per call. */
static int modify_attribute(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			    size_t n_fields, json_t **ret)
{
	const json_t *v;

	if (n_fields != 1 || !ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	v = cohd_rec_json_path(ctx->props, fields[0]);
	if (!json_is_boolean(v))
		return -EINVAL;
	*ret = json_pack("{s:s, s:{s:O}}", "VpcId", ctx->live->physical_id, fields[0], "Value", v);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_field vpc_fields[] = {
	{ .path = "CidrBlock", .flags = COHD_REC_F_REPLACE },
	/* ModifyVpcTenancy can only go back to "default": treat any change as a replacement. */
	{ .path = "InstanceTenancy", .flags = COHD_REC_F_REPLACE | COHD_REC_F_LOWER,
	  .default_json = "\"default\"" },
	{ .path = "EnableDnsHostnames", .live_path = "EnableDnsHostnames.Value",
	  .default_json = "false", .update_op = "ModifyVpcAttribute",
	  .update_params = modify_attribute,
	  .flags = COHD_REC_F_AFTER_CREATE | COHD_REC_F_ONE_PER_CALL },
	{ .path = "EnableDnsSupport", .live_path = "EnableDnsSupport.Value",
	  .default_json = "true", .update_op = "ModifyVpcAttribute",
	  .update_params = modify_attribute,
	  .flags = COHD_REC_F_AFTER_CREATE | COHD_REC_F_ONE_PER_CALL },
};

static const char *const vpc_available[] = { "available", NULL };

/* botocore's VpcAvailable waiter: 15 s x 40. */
static const struct cohd_rec_wait vpc_wait = {
	.what = "VPC available", .state_path = "State", .done = vpc_available,
	.interval = 15 * USEC_PER_SEC, .max_polls = 40,
};

static const char *const vpc_gone[] = { "InvalidVpcID.NotFound", NULL };

static enum cohd_rec_health vpc_health(const struct cohd_rec_item *item)
{
	const char *state = json_string_value(json_object_get(item->attrs, "State"));

	return streq_ptr(state, "available") ? COHD_REC_HEALTH_HEALTHY
					     : COHD_REC_HEALTH_PROGRESSING;
}

const struct cohd_rec_type cohd_resource_ec2_vpc = {
	.name = "ec2.vpc",
	.service = "ec2",
	.tier = 0,

	.describe_op = "DescribeVpcs", /* default params: tag:ManagedBy */
	.list_path = "Vpcs",
	.id_path = "VpcId",
	.name_path = "tag:Name",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.lookup_params = vpc_lookup,
	.id_list_member = "VpcIds",
	.details = vpc_details,
	.n_details = ELEMENTSOF(vpc_details),
	.health = vpc_health,

	.fields = vpc_fields,
	.n_fields = ELEMENTSOF(vpc_fields),

	.create_op = "CreateVpc",
	.create_tag_style = COHD_REC_TAGS_EC2_SPEC,
	.tag_resource_type = "vpc",
	.create_result_path = "Vpc",
	.create_wait = &vpc_wait,

	.id_member = "VpcId",
	.tag_op = "CreateTags",
	.untag_op = "DeleteTags", /* cohd-owned tags no longer desired */
	.delete_op = "DeleteVpc",
	.gone_codes = vpc_gone,
};
