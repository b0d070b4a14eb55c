/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cloudfront.cache_policy: the app's two cache policies, "<app prefix>-frontend" (assets set
 * their own Cache-Control: default TTL 0, cookies and query strings in the key) and
 * "<app prefix>-backend" (no caching) (compile_edge.c). CloudFront is global (us-east-1).
 *
 * Observe is one ListCachePolicies (Type=custom); the list carries no ETag, so GetCachePolicy
 * reads it for each policy we manage (a detail): UpdateCachePolicy and DeleteCachePolicy need
 * it in If-Match. Policies have no tags: the deterministic name, which embeds the app's hashed
 * prefix, is the ownership (owned_by_name), and the list by name is the look-up before create.
 * Every field is corrected by one UpdateCachePolicy with the whole desired configuration.
 * DeleteCachePolicy answers CachePolicyInUse while a distribution uses the policy: the delete
 * waits for the distribution to let go of it (the next passes try again). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static const struct cohd_cf_policy kind = {.kind = "CachePolicy", .config = "CachePolicyConfig"};

static json_t *cp_project(const json_t *raw)
{
	return cohd_cf_policy_project(&kind, raw);
}

static int cp_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	return cohd_cf_policy_create(&kind, ctx, ret);
}

static int cp_update(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
		     size_t n_fields, json_t **ret)
{
	return cohd_cf_policy_update(&kind, ctx, fields, n_fields, ret);
}

static int cp_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	return cohd_cf_policy_delete(&kind, ctx, ret);
}

static const struct cohd_rec_detail cp_details[] = {
	{.operation = "GetCachePolicy",
	 .params = cohd_cf_policy_etag_params,
	 .result_path = "ETag",
	 .merge_as = "ETag"},
};

static const struct cohd_rec_field cp_fields[] = {
	{.path = "CachePolicyConfig.Comment", .default_json = "\"\""},
	{.path = "CachePolicyConfig.DefaultTTL", .default_json = "86400"},
	{.path = "CachePolicyConfig.MaxTTL", .default_json = "31536000"},
	{.path = "CachePolicyConfig.MinTTL"},
	{.path = "CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin",
	 .normalise = cohd_cloudfront_normalise},
};

const struct cohd_rec_type cohd_resource_cloudfront_cache_policy = {
	.name = "cloudfront.cache_policy",
	.service = "cloudfront",
	.tier = 2,
	.unique_name = true, /* names are unique in the account */

	.describe_op = "ListCachePolicies",
	.observe_params = cohd_cf_policy_observe,
	.list_path = "CachePolicyList.Items",
	.id_path = "Id",
	.name_path = "CachePolicyConfig.Name",
	.tag_style = COHD_REC_TAGS_NONE,
	.owned_by_name = true,
	.project = cp_project,
	.details = cp_details,
	.n_details = ELEMENTSOF(cp_details),

	.fields = cp_fields,
	.n_fields = ELEMENTSOF(cp_fields),

	.create_op = "CreateCachePolicy",
	.create_params = cp_create,
	.create_tag_style = COHD_REC_TAGS_NONE,

	.update_op = "UpdateCachePolicy",
	.update_params = cp_update,
	.id_member = "Id",
	.delete_op = "DeleteCachePolicy",
	.delete_params = cp_delete,
	/* NoSuchCachePolicy is in the NOT_FOUND class. */
};
