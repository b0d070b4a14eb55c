/* SPDX-License-Identifier: Apache-2.0 */
/*
 * elbv2.target_group: one IP target group per public backend service and environment
 * (compile_ecs.c), health-checked on the container port. Observe is one paginated
 * DescribeTargetGroups without a filter (asking by Names fails the whole call when one is
 * missing, which would hold every create); ELBv2 describes carry no tags, so they come from a
 * DescribeTags detail (merge_as = tags_path "Tags"). The health check settings are corrected by
 * one ModifyTargetGroup; protocol, port, VPC, target type and protocol version force a
 * replacement (the name is unique: delete first, which AWS refuses while a listener rule or
 * service uses it).
 *
 * The tag read runs before matching (the engine reads a detail whose merge_as is tags_path for
 * each described item first). CreateTargetGroup takes no token; the
 * bulk describe is the look-up before create (and CreateTargetGroup is idempotent for identical
 * settings). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int tg_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	*ret = json_object();
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_field tg_fields[] = {
	{.path = "Protocol", .flags = COHD_REC_F_REPLACE},
	{.path = "ProtocolVersion", .flags = COHD_REC_F_REPLACE, .default_json = "\"HTTP1\""},
	{.path = "Port", .flags = COHD_REC_F_REPLACE},
	{.path = "VpcId", .flags = COHD_REC_F_REPLACE},
	{.path = "TargetType", .flags = COHD_REC_F_REPLACE, .default_json = "\"instance\""},
	{.path = "HealthCheckEnabled", .default_json = "true"},
	{.path = "HealthCheckProtocol"},
	{.path = "HealthCheckPath"},
	{.path = "HealthCheckIntervalSeconds"},
	{.path = "HealthCheckTimeoutSeconds"},
	{.path = "HealthyThresholdCount"},
	{.path = "UnhealthyThresholdCount"},
	{.path = "Matcher.HttpCode"},
};

static const char *const tg_gone[] = {"TargetGroupNotFound", NULL};

const struct cohd_rec_type cohd_resource_elbv2_target_group = {
	.name = "elbv2.target_group",
	.service = "elbv2",
	.tier = 3,
	.unique_name = true,

	.describe_op = "DescribeTargetGroups",
	.observe_params = tg_observe,
	.list_path = "TargetGroups",
	.id_path = "TargetGroupArn",
	.name_path = "TargetGroupName",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.tag_read_prefix = true, /* the describe lists the whole region */
	.id_list_member = "TargetGroupArns",
	.details = &cohd_elbv2_tags_detail,
	.n_details = 1,

	.fields = tg_fields,
	.n_fields = ELEMENTSOF(tg_fields),

	.create_op = "CreateTargetGroup",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "TargetGroups.0",

	.update_op = "ModifyTargetGroup", /* default builder: {TargetGroupArn, fields...} */
	.id_member = "TargetGroupArn",
	.tag_op = "AddTags",
	.tag_params = cohd_elbv2_tag_params,
	.delete_op = "DeleteTargetGroup",
	.gone_codes = tg_gone,
};
