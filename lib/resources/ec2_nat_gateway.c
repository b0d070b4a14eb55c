/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ec2.nat_gateway: the application's one NAT gateway in the first public subnet, with its
 * Elastic IP (coherence-resources.md §2.4, §5.13). CreateNatGateway takes a ClientToken, so a
 * retried or recovered create never makes a second gateway; the create waits for "available"
 * (botocore NatGatewayAvailable: 15 s x 40) and the delete for "deleted". Observe is one
 * DescribeNatGateways (whose filter member is spelled "Filter") by our tags, limited to the states
 * pending and available: a deleted gateway stays listed for about an hour and a failed one is
 * removed by AWS itself, so neither counts as existing (a failed create is created anew by the
 * next pass, with a new token). Subnet, address and connectivity type cannot change in place:
 * they force a replacement (create first, then delete: the private route moves to the new one).
 * Pure; no I/O.
 */
#include "lib/resources/ec2_common.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int nat_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	(void)ctx; /* every app's gateways: one call shared by the account's engines */
	*ret = json_pack("{s:[{s:s, s:[s]}, {s:s, s:[s, s]}]}", "Filter", "Name", "tag:ManagedBy",
			 "Values", "coherence", "Name", "state", "Values", "pending", "available");
	return *ret ? 0 : -ENOMEM;
}

/* Look-up-before-create by the Name tag, among gateways that exist (DescribeNatGateways spells
 * the member "Filter"). */
static int nat_lookup(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->resource || !ctx->resource->name)
		return -EINVAL;
	*ret = json_pack("{s:[{s:s, s:[s]}, {s:s, s:[s, s]}]}", "Filter", "Name", "tag:Name",
			 "Values", ctx->resource->name, "Name", "state", "Values", "pending",
			 "available");
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_field nat_fields[] = {
	{ .path = "SubnetId", .flags = COHD_REC_F_REPLACE },
	{ .path = "AllocationId", .live_path = "NatGatewayAddresses.0.AllocationId",
	  .flags = COHD_REC_F_REPLACE },
	{ .path = "ConnectivityType", .flags = COHD_REC_F_REPLACE | COHD_REC_F_LOWER,
	  .default_json = "\"public\"" },
};

static const char *const nat_available[] = { "available", NULL };
static const char *const nat_failed[] = { "failed", "deleting", "deleted", NULL };
static const char *const nat_deleted[] = { "deleted", NULL };

static const struct cohd_rec_wait nat_create_wait = {
	.what = "NAT gateway available", .state_path = "State", .done = nat_available,
	.failed = nat_failed, .interval = 15 * USEC_PER_SEC, .max_polls = 40,
};

/* botocore has no NatGatewayDeleted waiter; deleting takes about a minute. */
static const struct cohd_rec_wait nat_delete_wait = {
	.what = "NAT gateway deleted", .state_path = "State", .done = nat_deleted,
	.gone_is_done = true, .interval = 15 * USEC_PER_SEC, .max_polls = 40,
};

static const char *const nat_gone[] = {
	"NatGatewayNotFound", "InvalidNatGatewayID.NotFound", NULL,
};

static enum cohd_rec_health nat_health(const struct cohd_rec_item *item)
{
	const char *state = json_string_value(json_object_get(item->attrs, "State"));

	if (streq_ptr(state, "available"))
		return COHD_REC_HEALTH_HEALTHY;
	if (streq_ptr(state, "pending"))
		return COHD_REC_HEALTH_PROGRESSING;
	return COHD_REC_HEALTH_DEGRADED;
}

const struct cohd_rec_type cohd_resource_ec2_nat_gateway = {
	.name = "ec2.nat_gateway",
	.service = "ec2",
	.tier = 2,

	.describe_op = "DescribeNatGateways",
	.observe_params = nat_observe,
	.list_path = "NatGateways",
	.id_path = "NatGatewayId",
	.name_path = "tag:Name",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.lookup_params = nat_lookup,
	.id_list_member = "NatGatewayIds",
	.health = nat_health,

	.fields = nat_fields,
	.n_fields = ELEMENTSOF(nat_fields),

	.create_op = "CreateNatGateway",
	.token_member = "ClientToken",
	.create_tag_style = COHD_REC_TAGS_EC2_SPEC,
	.tag_resource_type = "natgateway",
	.create_result_path = "NatGateway",
	.create_wait = &nat_create_wait,

	.id_member = "NatGatewayId",
	.tag_op = "CreateTags",
	.untag_op = "DeleteTags", /* cohd-owned tags no longer desired */
	.delete_op = "DeleteNatGateway",
	.gone_codes = nat_gone,
	.delete_wait = &nat_delete_wait,
};
