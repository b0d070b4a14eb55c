/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ec2.eip: the NAT gateway's Elastic IP (coherence-resources.md §2.4). Observe is one
 * DescribeAddresses filtered by our tags (the operation is unpaged); AllocateAddress with
 * Domain=vpc and TagSpecifications (ResourceType elastic-ip) creates it, ReleaseAddress by
 * AllocationId deletes it. AllocateAddress takes no idempotency token: tag-on-create plus
 * look-up-before-create by the Name tag (aws-api.md §3). The association is the NAT gateway's
 * business (CreateNatGateway takes the AllocationId), so it is never compared here. While a NAT
 * gateway that used the address is still being deleted, ReleaseAddress answers
 * InvalidIPAddress.InUse (a CONFLICT): the delete fails and the next pass retries it. Pure; no I/O.
 */
#include "lib/resources/ec2_common.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static const struct cohd_rec_field eip_fields[] = {
	/* "standard" (EC2-Classic) addresses cannot become VPC ones in place. */
	{ .path = "Domain", .flags = COHD_REC_F_REPLACE | COHD_REC_F_LOWER,
	  .default_json = "\"vpc\"" },
};

static const char *const eip_gone[] = {
	"InvalidAllocationID.NotFound", "InvalidAddress.NotFound", NULL,
};

const struct cohd_rec_type cohd_resource_ec2_eip = {
	.name = "ec2.eip",
	.service = "ec2",
	.tier = 1,

	.describe_op = "DescribeAddresses", /* unpaged; default tag filters */
	.list_path = "Addresses",
	.id_path = "AllocationId",
	.name_path = "tag:Name",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.lookup_params = cohd_ec2_lookup_by_name,
	.id_list_member = "AllocationIds",

	.fields = eip_fields,
	.n_fields = ELEMENTSOF(eip_fields),

	.create_op = "AllocateAddress",
	.create_tag_style = COHD_REC_TAGS_EC2_SPEC,
	.tag_resource_type = "elastic-ip",
	.create_result_path = NULL, /* AllocationId, PublicIp, Domain at the top level */

	.id_member = "AllocationId",
	.tag_op = "CreateTags",
	.untag_op = "DeleteTags", /* cohd-owned tags no longer desired */
	.delete_op = "ReleaseAddress",
	.gone_codes = eip_gone,
};
