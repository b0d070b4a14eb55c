/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cloudfront.response_headers_policy: one per frontend service with custom_headers or CORS
 * rules, "<app prefix>-<env>-<service>" (compile_edge.c): the custom headers (override true)
 * and the CORS answer (the rules' origins, any header, GET/HEAD/OPTIONS), used by that
 * service's behaviours (ResponseHeadersPolicyId). CloudFront is global (us-east-1).
 *
 * The same API as cache and origin request policies (cloudfront_common.c): one
 * ListResponseHeadersPolicies (Type=custom), GetResponseHeadersPolicy per managed policy for
 * the ETag that Update and Delete need in If-Match, ownership by the deterministic name (no
 * tags; the list by name is the look-up before create), one UpdateResponseHeadersPolicy with
 * the whole configuration for any field. A name already used answers
 * ResponseHeadersPolicyAlreadyExists; deleting answers ResponseHeadersPolicyInUse while a
 * distribution's behaviour uses the policy (the next passes try again). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static const struct cohd_cf_policy kind = {.kind = "ResponseHeadersPolicy",
					   .config = "ResponseHeadersPolicyConfig"};

static json_t *rhp_project(const json_t *raw)
{
	return cohd_cf_policy_project(&kind, raw);
}

static int rhp_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	return cohd_cf_policy_create(&kind, ctx, ret);
}

static int rhp_update(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
		      size_t n_fields, json_t **ret)
{
	return cohd_cf_policy_update(&kind, ctx, fields, n_fields, ret);
}

static int rhp_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	return cohd_cf_policy_delete(&kind, ctx, ret);
}

static const struct cohd_rec_detail rhp_details[] = {
	{.operation = "GetResponseHeadersPolicy",
	 .params = cohd_cf_policy_etag_params,
	 .result_path = "ETag",
	 .merge_as = "ETag"},
};

/* The configuration's parts the compiler sets; the others (SecurityHeadersConfig,
 * ServerTimingHeadersConfig, RemoveHeadersConfig) are managed once the compiler sets them,
 * and any correction sends the whole desired configuration, which leaves them out. */
static const struct cohd_rec_field rhp_fields[] = {
	{.path = "ResponseHeadersPolicyConfig.Comment", .default_json = "\"\""},
	{.path = "ResponseHeadersPolicyConfig.CustomHeadersConfig",
	 .normalise = cohd_cloudfront_normalise},
	{.path = "ResponseHeadersPolicyConfig.CorsConfig", .normalise = cohd_cloudfront_normalise},
	{.path = "ResponseHeadersPolicyConfig.SecurityHeadersConfig",
	 .normalise = cohd_cloudfront_normalise},
	{.path = "ResponseHeadersPolicyConfig.ServerTimingHeadersConfig",
	 .normalise = cohd_cloudfront_normalise},
	{.path = "ResponseHeadersPolicyConfig.RemoveHeadersConfig",
	 .normalise = cohd_cloudfront_normalise},
};

const struct cohd_rec_type cohd_resource_cloudfront_response_headers_policy = {
	.name = "cloudfront.response_headers_policy",
	.service = "cloudfront",
	.tier = 2,
	.unique_name = true, /* names are unique in the account */

	.describe_op = "ListResponseHeadersPolicies",
	.observe_params = cohd_cf_policy_observe,
	.list_path = "ResponseHeadersPolicyList.Items",
	.id_path = "Id",
	.name_path = "ResponseHeadersPolicyConfig.Name",
	.tag_style = COHD_REC_TAGS_NONE,
	.owned_by_name = true,
	.project = rhp_project,
	.details = rhp_details,
	.n_details = ELEMENTSOF(rhp_details),

	.fields = rhp_fields,
	.n_fields = ELEMENTSOF(rhp_fields),

	.create_op = "CreateResponseHeadersPolicy",
	.create_params = rhp_create,
	.create_tag_style = COHD_REC_TAGS_NONE,

	.update_op = "UpdateResponseHeadersPolicy",
	.update_params = rhp_update,
	.id_member = "Id",
	.delete_op = "DeleteResponseHeadersPolicy",
	.delete_params = rhp_delete,
	/* NoSuchResponseHeadersPolicy is in the NOT_FOUND class (NoSuch*); the AlreadyExists and
	 * InUse codes are classified in lib/aws/error.c. */
};
