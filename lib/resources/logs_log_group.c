/* SPDX-License-Identifier: Apache-2.0 */
/*
 * logs.log_group: one CloudWatch Logs group per backend service and environment
 * ("/ecs/<app prefix>/<env>/<service>", compile_ecs.c) with a retention of 90/30/7 days
 * (production/static/preview). Observe is one paginated DescribeLogGroups by the app's name
 * prefix. DescribeLogGroups carries no tags, so they come from one ListTagsLogGroup per group, a
 * detail whose merge_as is the type's tags_path ("tags").
 *
 * The engine reads that detail for each described group before matching (ownership and cohd:id
 * come from it). CreateLogGroup takes no token: the bulk describe by prefix is
 * the look-up before create. Retention is not a CreateLogGroup parameter: PutRetentionPolicy right
 * after the create, and on drift. Pure; no I/O.
 */
#include "lib/model/naming.h"
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

/* "/ecs/<app prefix>/": every group of the app (other environments' are not ours to judge: the
 * engine's owned prefixes keep them apart). The app prefix "<app slug>-<6 hex>" begins the
 * environment's name prefix. */
static int group_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	_cleanup_free_ char *slug = cohd_naming_slug(strempty(ctx->app), 20), *p = NULL;
	const char *np = strempty(ctx->name_prefix);
	size_t n = slug ? strlen(slug) + 7 : 0;
	int k;

	if (!slug)
		return -ENOMEM;
	if (strlen(np) >= n && strncmp(np, slug, strlen(slug)) == 0 && np[n - 7] == '-')
		k = asprintf(&p, "/ecs/%.*s/", (int)n, np);
	else
		k = asprintf(&p, "/ecs/%s", np);
	if (k < 0)
		return -ENOMEM;
	*ret = json_pack("{s:s}", "logGroupNamePrefix", p);
	return *ret ? 0 : -ENOMEM;
}

static int tags_params(const struct cohd_rec_item *item, json_t **ret)
{
	if (!item->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "logGroupName", item->physical_id);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_detail group_details[] = {
	{.operation = "ListTagsLogGroup",
	 .params = tags_params,
	 .result_path = "tags",
	 .merge_as = "tags"},
};

static const char *group_name(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live && ctx->live->physical_id ? ctx->live->physical_id
	       : ctx->resource			   ? ctx->resource->name
						   : NULL;
}

/* CreateLogGroup spells its tag map "tags" (the default builder's MAP style writes "Tags"). */
static int group_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const json_t *kms = json_object_get(ctx->props, "kmsKeyId");

	*ret = json_pack("{s:O, s:o}", "logGroupName", json_object_get(ctx->props, "logGroupName"),
			 "tags", cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_MAP));
	if (*ret && kms)
		json_object_set(*ret, "kmsKeyId", (json_t *)kms);
	return *ret ? 0 : -ENOMEM;
}

static int put_retention(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			 size_t n_fields, json_t **ret)
{
	const json_t *days = cohd_rec_json_path(ctx->props, "retentionInDays");
	const char *name = group_name(ctx);

	if (!name || !json_is_integer(days))
		return -EINVAL;
	*ret = json_pack("{s:s, s:O}", "logGroupName", name, "retentionInDays", days);
	return *ret ? 0 : -ENOMEM;
}

static int group_tag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *name = group_name(ctx);

	if (!name)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "logGroupName", name, "tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_MAP));
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_field group_fields[] = {
	/* Absent = kept forever: any desired retention differs from that. */
	{.path = "retentionInDays",
	 .flags = COHD_REC_F_AFTER_CREATE,
	 .update_op = "PutRetentionPolicy",
	 .update_params = put_retention},
	/* AssociateKmsKey exists, but re-encrypting old events does not: replace. */
	{.path = "kmsKeyId", .flags = COHD_REC_F_REPLACE},
};

const struct cohd_rec_type cohd_resource_logs_log_group = {
	.name = "logs.log_group",
	.service = "logs",
	.tier = 3,
	.unique_name = true,

	.describe_op = "DescribeLogGroups",
	.observe_params = group_observe,
	.list_path = "logGroups",
	.id_path = "logGroupName", /* Logs addresses groups by name */
	.name_path = "logGroupName",
	.tags_path = "tags",
	.tag_style = COHD_REC_TAGS_MAP,
	.details = group_details,
	.n_details = ELEMENTSOF(group_details),

	.fields = group_fields,
	.n_fields = ELEMENTSOF(group_fields),

	.create_op = "CreateLogGroup",
	.create_params = group_create,
	.create_tag_style = COHD_REC_TAGS_MAP,

	.id_member = "logGroupName",
	.tag_op = "TagLogGroup",
	.tag_params = group_tag,
	.delete_op = "DeleteLogGroup",
	/* ResourceNotFoundException is in the NOT_FOUND class already. */
};
