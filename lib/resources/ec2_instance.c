/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ec2.instance: the bastion host (coherence-resources.md §2.4: an SSM Session Manager host in a
 * private subnet, IMDSv2 only). RunInstances takes a ClientToken, so a retried or recovered
 * create never starts a second instance; the create waits for "running" (botocore
 * InstanceRunning: 15 s x 40) and TerminateInstances waits for "terminated".
 *
 * Observe is one DescribeInstances by our tags, limited to instances that are not shutting down
 * or terminated. DescribeInstances lists reservations, each with its instances, and the engine
 * reads one list: the items are the reservations (one instance each: RunInstances with
 * MinCount = MaxCount = 1), and `project` lifts the instance to the top while keeping
 * "Instances.0" so that the id path works on raw and projected items alike (waits read raw
 * items). Instance type, subnet and instance profile force a replacement (the bastion holds no
 * data); security groups are corrected with ModifyInstanceAttribute, the metadata options with
 * ModifyInstanceMetadataOptions. The image is given as "resolve:ssm:..." and EC2 answers with
 * the AMI id: it is never compared. Pure; no I/O.
 */
#include <stdlib.h>

#include "lib/reconcile/diff.h"
#include "lib/resources/ec2_common.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int instance_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	(void)ctx; /* every app's instances: one call shared by the account's engines */
	*ret = json_pack("{s:[{s:s, s:[s]}, {s:s, s:[s, s, s, s]}]}", "Filters", "Name",
			 "tag:ManagedBy", "Values", "coherence", "Name", "instance-state-name",
			 "Values", "pending", "running", "stopping", "stopped");
	return *ret ? 0 : -ENOMEM;
}

static int instance_lookup(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->resource || !ctx->resource->name)
		return -EINVAL;
	*ret = json_pack("{s:[{s:s, s:[s]}, {s:s, s:[s, s, s, s]}]}", "Filters", "Name",
			 "tag:Name", "Values", ctx->resource->name, "Name", "instance-state-name",
			 "Values", "pending", "running", "stopping", "stopped");
	return *ret ? 0 : -ENOMEM;
}

/* A reservation -> its (first) instance, with "Instances": [instance] kept. */
static json_t *instance_project(const json_t *raw)
{
	json_t *inst = json_array_get(json_object_get(raw, "Instances"), 0), *out;

	if (!inst)
		return json_deep_copy(raw);
	out = json_deep_copy(inst);
	if (out)
		json_object_set_new(out, "Instances", json_pack("[O]", inst));
	return out;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* SecurityGroupIds ["sg-1"] and SecurityGroups [{"GroupId": "sg-1", "GroupName": ...}] -> sorted
 * ids. */
static json_t *groups_normalise(const json_t *v)
{
	json_t *ids = json_array(), *sorted;
	const json_t *g;
	size_t i, n;
	_cleanup_free_ const char **s = NULL;

	if (!ids)
		return NULL;
	json_array_foreach(v, i, g) {
		const json_t *id = json_is_string(g) ? g : json_object_get(g, "GroupId");

		if (json_is_string(id))
			json_array_append(ids, (json_t *)id);
	}
	n = json_array_size(ids);
	s = calloc(n + 1, sizeof(char *));
	if (!s) {
		json_decref(ids);
		return NULL;
	}
	for (i = 0; i < n; i++)
		s[i] = json_string_value(json_array_get(ids, i));
	qsort(s, n, sizeof(char *), cmp_str);
	sorted = json_array();
	for (i = 0; sorted && i < n; i++)
		json_array_append_new(sorted, json_string(s[i]));
	json_decref(ids);
	return sorted;
}

static const char *instance_id(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live ? ctx->live->physical_id : NULL;
}

/* ModifyInstanceAttribute: {"InstanceId": id, "Groups": [...]} (replaces the set). */
static int groups_params(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			 size_t n_fields, json_t **ret)
{
	const json_t *groups = cohd_ec2_prop(ctx, "SecurityGroupIds");

	if (!instance_id(ctx) || !json_is_array(groups) || json_array_size(groups) == 0)
		return -EINVAL;
	*ret = json_pack("{s:s, s:O}", "InstanceId", instance_id(ctx), "Groups", groups);
	return *ret ? 0 : -ENOMEM;
}

/* ModifyInstanceMetadataOptions: {"InstanceId": id, "HttpTokens": .., "HttpEndpoint": ..}. */
static int metadata_params(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			   size_t n_fields, json_t **ret)
{
	const json_t *opts = cohd_ec2_prop(ctx, "MetadataOptions");
	const char *key;
	json_t *v;

	if (!instance_id(ctx) || !json_is_object(opts))
		return -EINVAL;
	*ret = json_pack("{s:s}", "InstanceId", instance_id(ctx));
	if (!*ret)
		return -ENOMEM;
	json_object_foreach((json_t *)opts, key, v)
		json_object_set(*ret, key, v);
	return 0;
}

static const struct cohd_rec_field instance_fields[] = {
	{ .path = "InstanceType", .flags = COHD_REC_F_REPLACE },
	{ .path = "SubnetId", .flags = COHD_REC_F_REPLACE },
	{ .path = "IamInstanceProfile.Arn", .flags = COHD_REC_F_REPLACE },
	{ .path = "SecurityGroupIds", .live_path = "SecurityGroups", .normalise = groups_normalise,
	  .update_op = "ModifyInstanceAttribute", .update_params = groups_params },
	{ .path = "MetadataOptions.HttpTokens", .flags = COHD_REC_F_LOWER,
	  .default_json = "\"optional\"", .update_op = "ModifyInstanceMetadataOptions",
	  .update_params = metadata_params },
	{ .path = "MetadataOptions.HttpEndpoint", .flags = COHD_REC_F_LOWER,
	  .default_json = "\"enabled\"", .update_op = "ModifyInstanceMetadataOptions",
	  .update_params = metadata_params },
};

/* RunInstances: the properties, the token, and tags on the instance and its volumes. */
static int instance_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	json_t *p = json_object(), *v;
	const char *key;

	if (!p)
		return -ENOMEM;
	json_object_foreach((json_t *)ctx->props, key, v)
		if (strncmp(key, "cohd:", 5) != 0)
			json_object_set(p, key, v);
	if (ctx->token)
		json_object_set(p, "ClientToken", (json_t *)ctx->token);
	json_object_set_new(p, "TagSpecifications",
			    json_pack("[{s:s, s:o}, {s:s, s:o}]", "ResourceType", "instance", "Tags",
				      cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE),
				      "ResourceType", "volume", "Tags",
				      cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE)));
	*ret = p;
	return 0;
}

static int instance_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!instance_id(ctx))
		return -EINVAL;
	*ret = json_pack("{s:[s]}", "InstanceIds", instance_id(ctx));
	return *ret ? 0 : -ENOMEM;
}

static const char *const running[] = { "running", NULL };
static const char *const not_running[] = { "shutting-down", "terminated", "stopping", "stopped",
					   NULL };
static const char *const terminated[] = { "terminated", NULL };

static const struct cohd_rec_wait instance_running = {
	.what = "bastion instance running", .state_path = "Instances.0.State.Name",
	.done = running, .failed = not_running, .interval = 15 * USEC_PER_SEC, .max_polls = 40,
};

/* botocore InstanceTerminated: 15 s x 40. */
static const struct cohd_rec_wait instance_terminated = {
	.what = "bastion instance terminated", .state_path = "Instances.0.State.Name",
	.done = terminated, .gone_is_done = true, .interval = 15 * USEC_PER_SEC, .max_polls = 40,
};

static const char *const instance_gone[] = { "InvalidInstanceID.NotFound", NULL };

static enum cohd_rec_health instance_health(const struct cohd_rec_item *item)
{
	const char *state = json_string_value(cohd_rec_json_path(item->attrs, "State.Name"));

	if (streq_ptr(state, "running"))
		return COHD_REC_HEALTH_HEALTHY;
	if (streq_ptr(state, "pending"))
		return COHD_REC_HEALTH_PROGRESSING;
	return COHD_REC_HEALTH_DEGRADED;
}

const struct cohd_rec_type cohd_resource_ec2_instance = {
	.name = "ec2.instance",
	.service = "ec2",
	.tier = 4,

	.describe_op = "DescribeInstances",
	.observe_params = instance_observe,
	.list_path = "Reservations",
	.id_path = "Instances.0.InstanceId",
	.name_path = "tag:Name",
	.tags_path = "Instances.0.Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.project = instance_project,
	.lookup_params = instance_lookup,
	.id_list_member = "InstanceIds",
	.health = instance_health,

	.fields = instance_fields,
	.n_fields = ELEMENTSOF(instance_fields),

	.create_op = "RunInstances",
	.create_params = instance_create,
	.token_member = "ClientToken",
	.create_tag_style = COHD_REC_TAGS_EC2_SPEC,
	.tag_resource_type = "instance",
	.create_result_path = NULL, /* the reservation: {"ReservationId", "Instances": [...]} */
	.create_wait = &instance_running,

	.id_member = "InstanceId",
	.tag_op = "CreateTags",
	.untag_op = "DeleteTags", /* cohd-owned tags no longer desired */
	.delete_op = "TerminateInstances",
	.delete_params = instance_delete,
	.gone_codes = instance_gone,
	.delete_wait = &instance_terminated,
};
