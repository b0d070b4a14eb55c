/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rds.db_proxy: the RDS Proxy in front of an environment's Postgres instance (compile_data.c),
 * authenticating with the database's credentials secret through its own IAM role. Observe is
 * one paginated DescribeDBProxies over the region; DBProxy carries no tags, so a
 * ListTagsForResource per proxy under the app's name prefix reads them before matching
 * (rds_common.c). CreateDBProxy takes no token: the name is deterministic and the bulk describe
 * sees every proxy (DBProxyAlreadyExistsFault after a lost answer is settled on the next pass
 * by ownership). Creating takes minutes: a bounded wait for "available" (no botocore waiter;
 * 20 s x 45). Auth, role, security groups, TLS, idle timeout and debug logging are corrected
 * with one ModifyDBProxy; the engine family and the subnets cannot change: replace.
 * Registering the instance is rds.db_proxy_target. Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int proxy_by_name(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "DBProxyName", ctx->live->physical_id);
	return *ret ? 0 : -ENOMEM;
}

static const char *proxy_name(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live && ctx->live->physical_id ? ctx->live->physical_id
	       : ctx->resource			   ? ctx->resource->name
						   : NULL;
}

/* ModifyDBProxy: the security groups are "SecurityGroups" there. */
static int proxy_modify(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			size_t n_fields, json_t **ret)
{
	const char *name = proxy_name(ctx);
	json_t *p;

	if (!name)
		return -EINVAL;
	p = json_pack("{s:s}", "DBProxyName", name);
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n_fields; i++) {
		json_t *v = cohd_rec_json_path(ctx->props, fields[i]);

		if (!v) {
			json_decref(p);
			return -EINVAL;
		}
		json_object_set(
			p, streq(fields[i], "VpcSecurityGroupIds") ? "SecurityGroups" : fields[i],
			v);
	}
	*ret = p;
	return 0;
}

static int cmp_secret(const void *a, const void *b)
{
	return strcmp(
		strempty(json_string_value(json_object_get(*(json_t *const *)a, "SecretArn"))),
		strempty(json_string_value(json_object_get(*(json_t *const *)b, "SecretArn"))));
}

/* Auth entries as CreateDBProxy takes them: AWS adds Description, UserName and (newer APIs)
 * ClientPasswordAuthType; only scheme, secret and IAM auth are ours. Sorted by secret. */
static json_t *auth_normalise(const json_t *v)
{
	size_t n = json_array_size(v), i;
	_cleanup_free_ json_t **entries = NULL;
	json_t *out, *item;

	if (!json_is_array(v))
		return json_incref((json_t *)v);
	entries = calloc(n + 1, sizeof(json_t *));
	out = json_array();
	if (!entries || !out) {
		json_decref(out);
		return NULL;
	}
	json_array_foreach (v, i, item) {
		const char *scheme = json_string_value(json_object_get(item, "AuthScheme"));
		const char *iam = json_string_value(json_object_get(item, "IAMAuth"));
		const json_t *secret = json_object_get(item, "SecretArn");

		entries[i] = json_pack("{s:s, s:s, s:O*}", "AuthScheme", scheme ?: "SECRETS",
				       "IAMAuth", iam ?: "DISABLED", "SecretArn", secret);
	}
	qsort(entries, n, sizeof(json_t *), cmp_secret);
	for (i = 0; i < n; i++)
		if (entries[i])
			json_array_append_new(out, entries[i]);
	return out;
}

static json_t *sorted_strings(const json_t *v)
{
	return cohd_rds_id_list(v, "");
}

static const struct cohd_rec_field proxy_fields[] = {
	{.path = "EngineFamily", .flags = COHD_REC_F_REPLACE},
	{.path = "VpcSubnetIds", .flags = COHD_REC_F_REPLACE, .normalise = sorted_strings},
	{.path = "Auth", .normalise = auth_normalise},
	{.path = "RoleArn"},
	{.path = "VpcSecurityGroupIds", .normalise = sorted_strings},
	{.path = "RequireTLS", .default_json = "false"},
	{.path = "IdleClientTimeout", .default_json = "1800"},
	{.path = "DebugLogging", .default_json = "false"},
};

static const char *const proxy_available[] = {"available", NULL};
static const char *const proxy_failed[] = {"incompatible-network", "insufficient-resource-limits",
					   NULL};

static const struct cohd_rec_wait proxy_create_wait = {
	.what = "DB proxy available",
	.state_path = "Status",
	.done = proxy_available,
	.failed = proxy_failed,
	.interval = 20 * USEC_PER_SEC,
	.max_polls = 45,
};

static const struct cohd_rec_wait proxy_delete_wait = {
	.what = "DB proxy deleted",
	.state_path = "Status",
	.gone_is_done = true,
	.interval = 20 * USEC_PER_SEC,
	.max_polls = 45,
};

static enum cohd_rec_health proxy_health(const struct cohd_rec_item *item)
{
	const char *st = json_string_value(json_object_get(item->attrs, "Status"));

	if (!st)
		return COHD_REC_HEALTH_UNKNOWN;
	if (streq(st, "available"))
		return COHD_REC_HEALTH_HEALTHY;
	for (size_t i = 0; proxy_failed[i]; i++)
		if (streq(st, proxy_failed[i]))
			return COHD_REC_HEALTH_DEGRADED;
	if (streq(st, "suspended") || streq(st, "suspending"))
		return COHD_REC_HEALTH_DEGRADED;
	return COHD_REC_HEALTH_PROGRESSING;
}

const struct cohd_rec_type cohd_resource_rds_db_proxy = {
	.name = "rds.db_proxy",
	.service = "rds",
	.tier = 5,
	.unique_name = true,

	.describe_op = "DescribeDBProxies",
	.observe_params = cohd_rds_observe_all,
	.list_path = "DBProxies",
	.id_path = "DBProxyName", /* RDS addresses proxies by name; tags by ARN */
	.name_path = "DBProxyName",
	.tags_path = "TagList",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.tag_read_prefix = true, /* the describe lists the whole region */
	.by_id_params = proxy_by_name,
	.details = &cohd_rds_tags_detail,
	.n_details = 1,
	.health = proxy_health,

	.fields = proxy_fields,
	.n_fields = ELEMENTSOF(proxy_fields),

	.create_op = "CreateDBProxy",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "DBProxy",
	.create_wait = &proxy_create_wait,

	.update_op = "ModifyDBProxy",
	.update_params = proxy_modify,
	.id_member = "DBProxyName",
	.tag_op = "AddTagsToResource",
	.tag_params = cohd_rds_tag_params,
	.untag_op = "RemoveTagsFromResource",
	.untag_params = cohd_rds_untag_params,
	.delete_op = "DeleteDBProxy",
	/* DBProxyNotFoundFault is in the NOT_FOUND class. */
	.delete_wait = &proxy_delete_wait,
};
