/* SPDX-License-Identifier: Apache-2.0 */
/*
 * elbv2.load_balancer: the application's internet-facing ALB, shared by all its environments
 * (compile_network.c). Observe is one paginated DescribeLoadBalancers without a filter (Names
 * fails the whole call when one is missing); tags come from a DescribeTags detail. Subnets are
 * compared as the set of AvailabilityZones[].SubnetId (SetSubnets), security groups as a set
 * (SetSecurityGroups), the address type with SetIpAddressType; scheme and type force a
 * replacement. Creating waits for State.Code "active" (botocore's LoadBalancerAvailable,
 * 15 s x 40), deleting until it is gone.
 *
 * The tag read runs before matching (the engine reads a detail whose merge_as is tags_path for
 * each described item first). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int lb_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	*ret = json_object();
	return *ret ? 0 : -ENOMEM;
}

/* "Subnets" as CreateLoadBalancer spells them, from AvailabilityZones. */
static json_t *lb_project(const json_t *raw)
{
	json_t *o = json_deep_copy(raw), *subnets = json_array(), *az;
	size_t i;

	if (!o || !subnets) {
		json_decref(o);
		json_decref(subnets);
		return NULL;
	}
	json_array_foreach (json_object_get(raw, "AvailabilityZones"), i, az)
		if (json_is_string(json_object_get(az, "SubnetId")))
			json_array_append(subnets, json_object_get(az, "SubnetId"));
	json_object_set_new(o, "Subnets", subnets);
	return o;
}

/* Each Set* call takes one field: the default builder writes {LoadBalancerArn, <field>}. */
static const struct cohd_rec_field lb_fields[] = {
	{.path = "Type", .flags = COHD_REC_F_REPLACE, .default_json = "\"application\""},
	{.path = "Scheme", .flags = COHD_REC_F_REPLACE, .default_json = "\"internet-facing\""},
	{.path = "IpAddressType",
	 .update_op = "SetIpAddressType",
	 .flags = COHD_REC_F_ONE_PER_CALL},
	{.path = "Subnets",
	 .flags = COHD_REC_F_SORT | COHD_REC_F_ONE_PER_CALL,
	 .update_op = "SetSubnets"},
	{.path = "SecurityGroups",
	 .flags = COHD_REC_F_SORT | COHD_REC_F_ONE_PER_CALL,
	 .update_op = "SetSecurityGroups"},
};

static const char *const lb_active[] = {"active", NULL};
static const char *const lb_failed[] = {"failed", NULL};

static const struct cohd_rec_wait lb_create_wait = {
	.what = "load balancer active",
	.state_path = "State.Code",
	.done = lb_active,
	.failed = lb_failed,
	.interval = 15 * USEC_PER_SEC,
	.max_polls = 40,
};

static const struct cohd_rec_wait lb_delete_wait = {
	.what = "load balancer deleted",
	.state_path = "State.Code",
	.gone_is_done = true,
	.interval = 15 * USEC_PER_SEC,
	.max_polls = 40,
};

static enum cohd_rec_health lb_health(const struct cohd_rec_item *item)
{
	const char *s = json_string_value(cohd_rec_json_path(item->attrs, "State.Code"));

	return streq_ptr(s, "active")		 ? COHD_REC_HEALTH_HEALTHY
	       : streq_ptr(s, "failed")		 ? COHD_REC_HEALTH_DEGRADED
	       : streq_ptr(s, "active_impaired") ? COHD_REC_HEALTH_DEGRADED
						 : COHD_REC_HEALTH_PROGRESSING;
}

const struct cohd_rec_type cohd_resource_elbv2_load_balancer = {
	.name = "elbv2.load_balancer",
	.service = "elbv2",
	.tier = 2,
	.unique_name = true,

	.describe_op = "DescribeLoadBalancers",
	.observe_params = lb_observe,
	.list_path = "LoadBalancers",
	.id_path = "LoadBalancerArn",
	.name_path = "LoadBalancerName",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.tag_read_prefix = true, /* the describe lists the whole region */
	.project = lb_project,
	.id_list_member = "LoadBalancerArns",
	.details = &cohd_elbv2_tags_detail,
	.n_details = 1,
	.health = lb_health,

	.fields = lb_fields,
	.n_fields = ELEMENTSOF(lb_fields),

	.create_op = "CreateLoadBalancer",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "LoadBalancers.0",
	.create_wait = &lb_create_wait,

	.id_member = "LoadBalancerArn",
	.tag_op = "AddTags",
	.tag_params = cohd_elbv2_tag_params,
	.delete_op = "DeleteLoadBalancer",
	.delete_wait = &lb_delete_wait,
};
