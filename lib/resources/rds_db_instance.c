/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rds.db_instance: one database instance per environment and database resource
 * (compile_data.c), stateful: deleting it in a static or production environment needs
 * confirmation, and takes a final snapshot where the compiler asked for one. Observe is one
 * paginated DescribeDBInstances over the region; DBInstance carries its TagList. The identifier
 * is deterministic and CreateDBInstance takes no token: the bulk describe sees every instance,
 * so one with our identifier is adopted (tagged ours) or reported before any create, and
 * DBInstanceAlreadyExists after a lost answer is settled the same way on the next pass.
 *
 * Creating takes minutes: a bounded wait for "available" (botocore's DBInstanceAvailable,
 * 30 s x 60). Corrections are one ModifyDBInstance with ApplyImmediately. The instance class,
 * storage, Multi-AZ and backups are the owner's (built-in accepted drift, accept.c: the field
 * paths here are the rules' names). The master password (a reference to the generated secret)
 * is write-only: sent on create, never compared, redacted from the journal. A use_existing
 * instance ("cohd:Existing") is observed for its endpoint and never created. Pure; no I/O.
 */
#include <ctype.h>

#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

/* The project spells the members as CreateDBInstance does: "DBSubnetGroupName" and
 * "VpcSecurityGroupIds" (from DBSubnetGroup and VpcSecurityGroups[]), "Port" (Endpoint.Port
 * once there is an endpoint; DbInstancePort otherwise). */
static json_t *instance_project(const json_t *raw)
{
	json_t *o = json_deep_copy(raw), *sgs;
	const json_t *port = cohd_rec_json_path(raw, "Endpoint.Port");

	if (!o)
		return NULL;
	if (json_is_string(cohd_rec_json_path(raw, "DBSubnetGroup.DBSubnetGroupName")))
		json_object_set(o, "DBSubnetGroupName",
				cohd_rec_json_path(raw, "DBSubnetGroup.DBSubnetGroupName"));
	sgs = cohd_rds_id_list(json_object_get(raw, "VpcSecurityGroups"), "VpcSecurityGroupId");
	json_object_set_new(o, "VpcSecurityGroupIds", sgs ? sgs : json_array());
	if (!port && json_integer_value(json_object_get(raw, "DbInstancePort")) > 0)
		port = json_object_get(raw, "DbInstancePort");
	if (port)
		json_object_set(o, "Port", (json_t *)port);
	return o;
}

static int instance_by_id(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "DBInstanceIdentifier", ctx->live->physical_id);
	return *ret ? 0 : -ENOMEM;
}

/* CreateDBInstance has no AllowMajorVersionUpgrade (ModifyDBInstance has): the default
 * builder's params without it. An instance cohd binds to but does not own: never created. */
static int instance_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	int r;

	if (json_is_true(json_object_get(ctx->props, "cohd:Existing")))
		return -EPERM;
	r = cohd_rec_default_create_params(ctx, ret);
	if (r >= 0)
		json_object_del(*ret, "AllowMajorVersionUpgrade");
	return r;
}

static const char *instance_id(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live && ctx->live->physical_id ? ctx->live->physical_id
	       : ctx->resource			   ? ctx->resource->name
						   : NULL;
}

/* ModifyDBInstance: every drifted field in one call, applied now (not in the next maintenance
 * window); "Port" is "DBPortNumber" there, and a major version change must be allowed. */
static int instance_modify(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			   size_t n_fields, json_t **ret)
{
	const char *id = instance_id(ctx);
	const char *st =
		ctx->live ? json_string_value(json_object_get(ctx->live->attrs, "DBInstanceStatus"))
			  : NULL;
	json_t *p;

	if (!id)
		return -EINVAL;
	/* Still being created (no endpoint, so no port yet) or going away: ModifyDBInstance would
	 * only answer InvalidDBInstanceState. Nothing is sent; the next pass looks again. */
	if (streq_ptr(st, "creating") || streq_ptr(st, "deleting")) {
		*ret = json_array();
		return *ret ? 0 : -ENOMEM;
	}
	p = json_pack("{s:s, s:b}", "DBInstanceIdentifier", id, "ApplyImmediately", 1);
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n_fields; i++) {
		json_t *v = cohd_rec_json_path(ctx->props, fields[i]);

		if (!v) {
			json_decref(p);
			return -EINVAL;
		}
		if (streq(fields[i], "Port"))
			json_object_set(p, "DBPortNumber", v);
		else
			json_object_set(p, fields[i], v);
		if (streq(fields[i], "EngineVersion"))
			json_object_set_new(p, "AllowMajorVersionUpgrade", json_true());
	}
	*ret = p;
	return 0;
}

/* A final snapshot named after the instance and its resource id (unique per instance, so a
 * re-created instance never collides with an older snapshot). Lower case: snapshot
 * identifiers allow letters, digits and single hyphens. */
static char *snapshot_name(const char *id, const json_t *attrs)
{
	const char *dbi = json_string_value(json_object_get(attrs, "DbiResourceId"));
	char *s;

	if (asprintf(&s, "%s-final-%s", id, dbi ? dbi : "snapshot") < 0)
		return NULL;
	for (char *p = s; *p; p++) {
		*p = (char)tolower((unsigned char)*p);
		if (!isalnum((unsigned char)*p))
			*p = '-';
	}
	return s;
}

/* DeletionProtection must be off before DeleteDBInstance (InvalidParameterCombination
 * otherwise): one action, two steps. A final snapshot where the compiler asked for one
 * ("cohd:FinalSnapshot", static and production); an orphan whose resource left the graph gets
 * one unless it was a preview's. */
static int instance_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const json_t *attrs = ctx->live ? ctx->live->attrs : NULL;
	const char *id = ctx->live ? ctx->live->physical_id : NULL;
	const json_t *fs =
		ctx->resource ? json_object_get(ctx->resource->properties, "cohd:FinalSnapshot")
			      : NULL;
	bool final = fs ? json_is_true(fs) : !streq_ptr(ctx->env_type, "preview");
	json_t *steps, *del;

	if (!id)
		return -EINVAL;
	if (ctx->resource &&
	    json_is_true(json_object_get(ctx->resource->properties, "cohd:Existing")))
		return -EPERM;
	steps = json_array();
	if (!steps)
		return -ENOMEM;
	if (json_is_true(json_object_get(attrs, "DeletionProtection")))
		json_array_append_new(
			steps, json_pack("{s:s, s:{s:s, s:b, s:b}}", "Operation",
					 "ModifyDBInstance", "Params", "DBInstanceIdentifier", id,
					 "DeletionProtection", 0, "ApplyImmediately", 1));
	if (final) {
		_cleanup_free_ char *snap = snapshot_name(id, attrs);

		if (!snap) {
			json_decref(steps);
			return -ENOMEM;
		}
		del = json_pack("{s:s, s:b, s:s}", "DBInstanceIdentifier", id, "SkipFinalSnapshot",
				0, "FinalDBSnapshotIdentifier", snap);
	} else
		del = json_pack("{s:s, s:b}", "DBInstanceIdentifier", id, "SkipFinalSnapshot", 1);
	json_array_append_new(
		steps, json_pack("{s:s, s:o}", "Operation", "DeleteDBInstance", "Params", del));
	*ret = steps;
	return 0;
}

/* "16" wants any 16.x; "15.4" pins a minor but AWS reports what it runs: compare the major
 * version (the first number from 10 on, the first two below: "9.6", MySQL "8.0"). */
static json_t *major_version(const json_t *v)
{
	const char *s = json_string_value(v), *dot;
	char *end;
	long first;

	if (!s)
		return json_incref((json_t *)v);
	first = strtol(s, &end, 10);
	if (end == s || (*end && *end != '.'))
		return json_incref((json_t *)v);
	if (first >= 10 || !*end)
		return json_stringn(s, (size_t)(end - s));
	dot = strchr(end + 1, '.');
	return dot ? json_stringn(s, (size_t)(dot - s)) : json_string(s);
}

static json_t *sorted_groups(const json_t *v)
{
	return cohd_rds_id_list(v, "VpcSecurityGroupId");
}

static const struct cohd_rec_field instance_fields[] = {
	{.path = "Engine", .flags = COHD_REC_F_REPLACE | COHD_REC_F_LOWER},
	{.path = "EngineVersion", .normalise = major_version},
	/* Accepted drift by the built-in rules (accept.c): shown, never corrected. */
	{.path = "DBInstanceClass"},
	{.path = "AllocatedStorage"},
	{.path = "MaxAllocatedStorage"},
	{.path = "StorageType"},
	{.path = "Iops"},
	{.path = "StorageThroughput"},
	{.path = "MultiAZ", .default_json = "false"},
	{.path = "BackupRetentionPeriod"},
	{.path = "PreferredBackupWindow"},
	{.path = "PreferredMaintenanceWindow"},
	/* Fixed at create time. */
	{.path = "StorageEncrypted", .flags = COHD_REC_F_REPLACE, .default_json = "false"},
	{.path = "DBName", .flags = COHD_REC_F_REPLACE},
	{.path = "MasterUsername", .flags = COHD_REC_F_REPLACE},
	/* "alias/aws/rds" comes back as the key's ARN: sent on create, not compared (and no
	 * ModifyDBInstance member changes it). */
	{.path = "KmsKeyId", .flags = COHD_REC_F_REPLACE | COHD_REC_F_WRITE_ONLY},
	{.path = "MasterUserPassword", .flags = COHD_REC_F_WRITE_ONLY},
	/* AllowMajorVersionUpgrade is not in DescribeDBInstances nor in CreateDBInstance: not
	 * managed; ModifyDBInstance sends it with a new engine version. */
	/* Corrected in place. */
	{.path = "DBSubnetGroupName"},
	{.path = "VpcSecurityGroupIds", .normalise = sorted_groups},
	{.path = "PubliclyAccessible", .default_json = "false"},
	{.path = "DeletionProtection", .default_json = "false"},
	{.path = "CopyTagsToSnapshot", .default_json = "false"},
	{.path = "AutoMinorVersionUpgrade", .default_json = "true"},
	{.path = "Port"},
};

static const char *const instance_available[] = {"available", NULL};
static const char *const instance_failed[] = {"failed",
					      "incompatible-network",
					      "incompatible-option-group",
					      "incompatible-parameters",
					      "incompatible-restore",
					      "inaccessible-encryption-credentials",
					      "storage-full",
					      NULL};

/* botocore's DBInstanceAvailable / DBInstanceDeleted: 30 s x 60. */
static const struct cohd_rec_wait instance_create_wait = {
	.what = "DB instance available",
	.state_path = "DBInstanceStatus",
	.done = instance_available,
	.failed = instance_failed,
	.interval = 30 * USEC_PER_SEC,
	.max_polls = 60,
};

static const struct cohd_rec_wait instance_delete_wait = {
	.what = "DB instance deleted",
	.state_path = "DBInstanceStatus",
	.gone_is_done = true,
	.interval = 30 * USEC_PER_SEC,
	.max_polls = 60,
};

static enum cohd_rec_health instance_health(const struct cohd_rec_item *item)
{
	const char *st = json_string_value(json_object_get(item->attrs, "DBInstanceStatus"));

	if (!st)
		return COHD_REC_HEALTH_UNKNOWN;
	if (streq(st, "available") || streq(st, "backing-up") || streq(st, "storage-optimization"))
		return COHD_REC_HEALTH_HEALTHY;
	for (size_t i = 0; instance_failed[i]; i++)
		if (streq(st, instance_failed[i]))
			return COHD_REC_HEALTH_DEGRADED;
	if (streq(st, "stopped") || streq(st, "stopping"))
		return COHD_REC_HEALTH_DEGRADED;
	return COHD_REC_HEALTH_PROGRESSING; /* creating, modifying, rebooting, upgrading... */
}

const struct cohd_rec_type cohd_resource_rds_db_instance = {
	.name = "rds.db_instance",
	.service = "rds",
	.tier = 4,
	.stateful = true,
	.unique_name = true,

	.describe_op = "DescribeDBInstances",
	.observe_params = cohd_rds_observe_all,
	.list_path = "DBInstances",
	.id_path = "DBInstanceIdentifier", /* RDS addresses instances by identifier */
	.name_path = "DBInstanceIdentifier",
	.tags_path = "TagList",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.project = instance_project,
	.by_id_params = instance_by_id,
	.health = instance_health,

	.fields = instance_fields,
	.n_fields = ELEMENTSOF(instance_fields),

	.create_op = "CreateDBInstance",
	.create_params = instance_create,
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "DBInstance",
	.create_wait = &instance_create_wait,

	.update_op = "ModifyDBInstance",
	.update_params = instance_modify,
	.id_member = "DBInstanceIdentifier",
	.tag_op = "AddTagsToResource",
	.tag_params = cohd_rds_tag_params,
	.untag_op = "RemoveTagsFromResource",
	.untag_params = cohd_rds_untag_params,
	.delete_op = "DeleteDBInstance",
	.delete_params = instance_delete,
	/* DBInstanceNotFound is in the NOT_FOUND class. */
	.delete_wait = &instance_delete_wait,
};
