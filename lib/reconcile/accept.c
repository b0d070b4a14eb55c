/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one accept-drift rule engine (DESIGN.md §5.3, anchors.md pain 11): built-in rules, the
 * daemon config's rules and the app file's rules, plus band folding for fields another resource
 * governs (an autoscaling target owns an ECS service's DesiredCount inside [min, max]). The diff
 * calls it; the planner and the status read the diff, so they can never disagree. Pure; loop
 * thread only.
 */
#include "lib/reconcile/diff.h"
#include "lib/util/macro.h"

#define BUILTIN(t, f, why)                                                                         \
	{                                                                                          \
		.resource = (char *)(t), .field = (char *)(f), .env_mask = COHD_DRIFT_ENV_ALL,     \
		.reason = (char *)(why), .source = (char *)"built-in: " t ":" f,                   \
	}

/* DESIGN.md §5 and coherence-resources.md §2.8: size, storage, availability, backups and
 * windows belong to the database's owner; the Environment tag of application-wide resources
 * belongs to whichever environment wrote it last. ECS DesiredCount is not here: it is accepted only
 * inside the band of the autoscaling target that governs it (below), and corrected outside. */
static const struct cohd_drift_rule builtin_rules[] = {
	BUILTIN("rds.db_instance", "DBInstanceClass", "instance size is the owner's choice"),
	BUILTIN("rds.db_instance", "AllocatedStorage", "storage size is the owner's choice"),
	BUILTIN("rds.db_instance", "MaxAllocatedStorage", "storage autoscaling is the owner's"),
	BUILTIN("rds.db_instance", "StorageType", "storage type is the owner's choice"),
	BUILTIN("rds.db_instance", "Iops", "provisioned IOPS are the owner's choice"),
	BUILTIN("rds.db_instance", "StorageThroughput", "storage throughput is the owner's"),
	BUILTIN("rds.db_instance", "MultiAZ", "high availability is the owner's choice"),
	BUILTIN("rds.db_instance", "BackupRetentionPeriod", "backups are the owner's choice"),
	BUILTIN("rds.db_instance", "PreferredBackupWindow", "backups are the owner's choice"),
	BUILTIN("rds.db_instance", "PreferredMaintenanceWindow",
		"the maintenance window is AWS's or the owner's"),
	/* The cache's capacity and availability likewise (cnc ignores every ElastiCache change;
	 * cohd keeps encryption, port and network managed). */
	BUILTIN("elasticache.replication_group", "CacheNodeType", "node size is the owner's choice"),
	BUILTIN("elasticache.replication_group", "NumCacheClusters",
		"replica count is the owner's choice"),
	BUILTIN("elasticache.replication_group", "AutomaticFailoverEnabled",
		"high availability is the owner's choice"),
	BUILTIN("elasticache.replication_group", "MultiAZEnabled",
		"high availability is the owner's choice"),
	/* Application-wide resources ("app/...": VPC, ALB, cluster) are in every environment's
	 * graph, and each environment's file compiles their Environment tag as production or
	 * review: two environments in one account would flip it forever. Any value is accepted
	 * once one is there ("?*": a missing tag is still added). */
	{
		.resource = (char *)"*",
		.field = (char *)"Tags.Environment",
		.id = (char *)"app/*",
		.op = COHD_DRIFT_OP_MATCH,
		.operand = (char *)"?*",
		.env_mask = COHD_DRIFT_ENV_ALL,
		.reason = (char *)"application-wide resources are shared by every environment of "
				  "the app; each environment's file names its own",
		.source = (char *)"built-in: app/*:Tags.Environment",
	},
};

const struct cohd_drift_rule *cohd_rec_builtin_rules(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(builtin_rules);
	return builtin_rules;
}

static const struct cohd_drift_rule *first_match(const struct cohd_drift_rule *rules, size_t n,
						 const char *type, const char *logical_id,
						 const char *field, const char *live_text,
						 unsigned env_bit)
{
	for (size_t i = 0; i < n; i++)
		if (cohd_drift_rule_matches(&rules[i], type, field, logical_id, env_bit) &&
		    cohd_drift_rule_value_ok(&rules[i], live_text))
			return &rules[i];
	return NULL;
}

enum cohd_rec_verdict cohd_rec_accept_check(const struct cohd_rec_accept *a, const char *type,
					    const char *logical_id, const char *field,
					    const json_t *live, const char **ret_rule,
					    const char **ret_reason,
					    const struct cohd_rec_band **ret_band)
{
	_cleanup_free_ char *text = cohd_rec_json_text(live);
	const struct cohd_drift_rule *r;
	unsigned env_bit = a->env_bit ? a->env_bit : COHD_DRIFT_ENV_ALL;

	*ret_rule = NULL;
	*ret_reason = NULL;
	*ret_band = NULL;

	/* A governed field: the governing resource decides, inside its band only. */
	for (size_t i = 0; i < a->n_bands; i++) {
		const struct cohd_rec_band *b = &a->bands[i];

		if (!streq(b->logical_id, logical_id) || !streq(b->field, field))
			continue;
		*ret_band = b;
		if (json_is_number(live) && json_number_value(live) >= b->min &&
		    json_number_value(live) <= b->max) {
			*ret_rule = b->text;
			*ret_reason = "governed by an autoscaling target";
			return COHD_REC_VERDICT_ACCEPTED;
		}
		return COHD_REC_VERDICT_OUTSIDE_BAND;
	}

	r = first_match(builtin_rules, ELEMENTSOF(builtin_rules), type, logical_id, field, text,
			env_bit);
	if (!r)
		r = first_match(a->config_rules, a->n_config_rules, type, logical_id, field, text,
				env_bit);
	if (!r)
		r = first_match(a->app_rules, a->n_app_rules, type, logical_id, field, text,
				env_bit);
	if (!r)
		return COHD_REC_VERDICT_DRIFT;
	*ret_rule = r->source ? r->source : "accept_drift";
	*ret_reason = r->reason;
	return COHD_REC_VERDICT_ACCEPTED;
}
