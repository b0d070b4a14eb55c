/* SPDX-License-Identifier: Apache-2.0 */
/*
 * elasticache.replication_group: one Redis per environment, a one-node replication group
 * (compile_data.c). Observe is one paginated DescribeReplicationGroups over the region;
 * ReplicationGroup carries no tags, so a ListTagsForResource per group under the app's name
 * prefix reads them before matching (rds_common.c). CreateReplicationGroup takes no token: the
 * id is deterministic and the bulk describe sees every group, so one with our id is adopted
 * (tagged ours) or reported before any create; ReplicationGroupAlreadyExists after a lost
 * answer is settled the same way on the next pass. Creating is a bounded wait for "available"
 * (botocore's ReplicationGroupAvailable, 15 s x 40), deleting one until it is gone.
 *
 * The describe spells some members differently ("Description", "AutomaticFailover" and
 * "MultiAZ" as enabled/disabled, the node count as MemberClusters): the project gives them
 * CreateReplicationGroup's names. Engine, version, subnet group and security groups are not in
 * ReplicationGroup (only in each member's DescribeCacheClusters): sent on create, not compared
 * (a DescribeCacheClusters detail on the first member would read them; moto does not model the
 * member clusters).
 * Description, node type, failover and Multi-AZ are corrected with ModifyReplicationGroup
 * (ApplyImmediately); the port and encryption at rest and in transit cannot change: replace
 * (stateful: only after confirmation). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static json_t *enabled(const json_t *v)
{
	const char *s = json_string_value(v);

	return json_boolean(s && (streq(s, "enabled") || streq(s, "enabling")));
}

static json_t *group_project(const json_t *raw)
{
	json_t *o = json_deep_copy(raw);
	const json_t *port = cohd_rec_json_path(raw, "NodeGroups.0.PrimaryEndpoint.Port");

	if (!o)
		return NULL;
	if (json_object_get(raw, "Description"))
		json_object_set(o, "ReplicationGroupDescription",
				json_object_get(raw, "Description"));
	if (json_object_get(raw, "AutomaticFailover"))
		json_object_set_new(o, "AutomaticFailoverEnabled",
				    enabled(json_object_get(raw, "AutomaticFailover")));
	if (json_object_get(raw, "MultiAZ"))
		json_object_set_new(o, "MultiAZEnabled", enabled(json_object_get(raw, "MultiAZ")));
	if (json_is_array(json_object_get(raw, "MemberClusters")))
		json_object_set_new(o, "NumCacheClusters",
				    json_integer((json_int_t)json_array_size(
					    json_object_get(raw, "MemberClusters"))));
	if (port)
		json_object_set(o, "Port", (json_t *)port);
	return o;
}

static int group_by_id(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "ReplicationGroupId", ctx->live->physical_id);
	return *ret ? 0 : -ENOMEM;
}

static int group_modify(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			size_t n_fields, json_t **ret)
{
	const char *id = ctx->live && ctx->live->physical_id ? ctx->live->physical_id
			 : ctx->resource		     ? ctx->resource->name
							     : NULL;
	json_t *p;

	if (!id)
		return -EINVAL;
	p = json_pack("{s:s, s:b}", "ReplicationGroupId", id, "ApplyImmediately", 1);
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n_fields; i++) {
		json_t *v = cohd_rec_json_path(ctx->props, fields[i]);

		if (!v) {
			json_decref(p);
			return -EINVAL;
		}
		json_object_set(p, fields[i], v);
	}
	*ret = p;
	return 0;
}

static const struct cohd_rec_field group_fields[] = {
	{.path = "ReplicationGroupDescription"},
	{.path = "CacheNodeType"},
	{.path = "AutomaticFailoverEnabled", .default_json = "false"},
	{.path = "MultiAZEnabled", .default_json = "false"},
	/* Adding or removing replicas is Increase/DecreaseReplicaCount: shown, not corrected. */
	{.path = "NumCacheClusters", .flags = COHD_REC_F_OBSERVE_ONLY},
	{.path = "Port", .flags = COHD_REC_F_REPLACE},
	{.path = "AtRestEncryptionEnabled", .flags = COHD_REC_F_REPLACE, .default_json = "false"},
	{.path = "TransitEncryptionEnabled", .flags = COHD_REC_F_REPLACE, .default_json = "false"},
	/* Per member cluster, not in DescribeReplicationGroups: sent on create, not compared.
	 * Listed (write-only) so that a replaced subnet group replaces the group and a replaced
	 * security group is set again; Engine and EngineVersion are simply not managed. */
	{.path = "CacheSubnetGroupName", .flags = COHD_REC_F_REPLACE | COHD_REC_F_WRITE_ONLY},
	{.path = "SecurityGroupIds", .flags = COHD_REC_F_WRITE_ONLY},
};

static const char *const group_available[] = {"available", NULL};
static const char *const group_failed[] = {"create-failed", NULL};

static const struct cohd_rec_wait group_create_wait = {
	.what = "replication group available",
	.state_path = "Status",
	.done = group_available,
	.failed = group_failed,
	.interval = 15 * USEC_PER_SEC,
	.max_polls = 40,
};

static const struct cohd_rec_wait group_delete_wait = {
	.what = "replication group deleted",
	.state_path = "Status",
	.gone_is_done = true,
	.interval = 15 * USEC_PER_SEC,
	.max_polls = 40,
};

static enum cohd_rec_health group_health(const struct cohd_rec_item *item)
{
	const char *st = json_string_value(json_object_get(item->attrs, "Status"));

	if (!st)
		return COHD_REC_HEALTH_UNKNOWN;
	if (streq(st, "available"))
		return COHD_REC_HEALTH_HEALTHY;
	if (streq(st, "create-failed"))
		return COHD_REC_HEALTH_DEGRADED;
	return COHD_REC_HEALTH_PROGRESSING; /* creating, modifying, snapshotting, deleting */
}

const struct cohd_rec_type cohd_resource_elasticache_replication_group = {
	.name = "elasticache.replication_group",
	.service = "elasticache",
	.tier = 4,
	.stateful = true,
	.unique_name = true,

	.describe_op = "DescribeReplicationGroups",
	.observe_params = cohd_rds_observe_all,
	.list_path = "ReplicationGroups",
	.id_path = "ReplicationGroupId", /* addressed by id; tags by ARN */
	.name_path = "ReplicationGroupId",
	.tags_path = "TagList",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.tag_read_prefix = true, /* the describe lists the whole region */
	.project = group_project,
	.by_id_params = group_by_id,
	.details = &cohd_rds_tags_detail,
	.n_details = 1,
	.health = group_health,

	.fields = group_fields,
	.n_fields = ELEMENTSOF(group_fields),

	.create_op = "CreateReplicationGroup",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "ReplicationGroup",
	.create_wait = &group_create_wait,

	.update_op = "ModifyReplicationGroup",
	.update_params = group_modify,
	.id_member = "ReplicationGroupId",
	.tag_op = "AddTagsToResource",
	.tag_params = cohd_rds_tag_params,
	.untag_op = "RemoveTagsFromResource",
	.untag_params = cohd_rds_untag_params,
	.delete_op = "DeleteReplicationGroup",
	/* ReplicationGroupNotFoundFault is in the NOT_FOUND class. */
	.delete_wait = &group_delete_wait,
};
