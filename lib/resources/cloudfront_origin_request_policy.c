/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cloudfront.origin_request_policy: the app's two origin request policies,
 * "<app prefix>-frontend" (all cookies and query strings, no headers) and "<app prefix>-backend"
 * (also every viewer header, Host included, and CloudFront's geo/device/protocol headers)
 * (compile_edge.c). CloudFront is global (us-east-1).
 *
 * The same API as cache policies (cloudfront_common.c): one ListOriginRequestPolicies
 * (Type=custom), GetOriginRequestPolicy per managed policy for the ETag that Update and Delete
 * need in If-Match, ownership by the deterministic name (no tags), one
 * UpdateOriginRequestPolicy with the whole configuration for any field. Deleting answers
 * OriginRequestPolicyInUse while a distribution uses the policy. Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static const struct cohd_cf_policy kind = {.kind = "OriginRequestPolicy",
					   .config = "OriginRequestPolicyConfig"};

static json_t *orp_project(const json_t *raw)
{
	return cohd_cf_policy_project(&kind, raw);
}

static int orp_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	return cohd_cf_policy_create(&kind, ctx, ret);
}

static int orp_update(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
		      size_t n_fields, json_t **ret)
{
	return cohd_cf_policy_update(&kind, ctx, fields, n_fields, ret);
}

static int orp_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	return cohd_cf_policy_delete(&kind, ctx, ret);
}

static const struct cohd_rec_detail orp_details[] = {
	{.operation = "GetOriginRequestPolicy",
	 .params = cohd_cf_policy_etag_params,
	 .result_path = "ETag",
	 .merge_as = "ETag"},
};

static const struct cohd_rec_field orp_fields[] = {
	{.path = "OriginRequestPolicyConfig.Comment", .default_json = "\"\""},
	{.path = "OriginRequestPolicyConfig.HeadersConfig", .normalise = cohd_cloudfront_normalise},
	{.path = "OriginRequestPolicyConfig.CookiesConfig", .normalise = cohd_cloudfront_normalise},
	{.path = "OriginRequestPolicyConfig.QueryStringsConfig",
	 .normalise = cohd_cloudfront_normalise},
};

const struct cohd_rec_type cohd_resource_cloudfront_origin_request_policy = {
	.name = "cloudfront.origin_request_policy",
	.service = "cloudfront",
	.tier = 2,
	.unique_name = true,

	.describe_op = "ListOriginRequestPolicies",
	.observe_params = cohd_cf_policy_observe,
	.list_path = "OriginRequestPolicyList.Items",
	.id_path = "Id",
	.name_path = "OriginRequestPolicyConfig.Name",
	.tag_style = COHD_REC_TAGS_NONE,
	.owned_by_name = true,
	.project = orp_project,
	.details = orp_details,
	.n_details = ELEMENTSOF(orp_details),

	.fields = orp_fields,
	.n_fields = ELEMENTSOF(orp_fields),

	.create_op = "CreateOriginRequestPolicy",
	.create_params = orp_create,
	.create_tag_style = COHD_REC_TAGS_NONE,

	.update_op = "UpdateOriginRequestPolicy",
	.update_params = orp_update,
	.id_member = "Id",
	.delete_op = "DeleteOriginRequestPolicy",
	.delete_params = orp_delete,
	/* NoSuchOriginRequestPolicy is in the NOT_FOUND class. */
};
