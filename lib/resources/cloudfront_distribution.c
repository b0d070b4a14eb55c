/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cloudfront.distribution: one per environment (coherence-resources.md §2.5, §2.6): the ALB and
 * the frontends' S3 website endpoints as origins, a behaviour pair per backend url_path, the
 * Lambda@Edge version on the frontend behaviours, the app's cache and origin request policies,
 * logs to the app's log bucket. CloudFront is global (rest-xml, signed for us-east-1).
 *
 * Observe is one paginated ListDistributions (the account's distributions: no filter exists).
 * The list has no tags: ListTagsForResource reads them before matching, for every distribution
 * (reused for tag_reread_passes passes; ownership is ManagedBy/Application/cohd:id). The list
 * has no ETag and not the whole configuration (Logging, DefaultRootObject, CallerReference):
 * GetDistributionConfig reads both for each distribution we manage ("Config": {DistributionConfig,
 * ETag}), and the diff compares the top-level members of DistributionConfig there, through the
 * CloudFront normaliser (cloudfront_common.c). Any drift is corrected by one UpdateDistribution
 * with the whole desired configuration, the CallerReference it was created with and If-Match.
 *
 * CreateDistributionWithTags takes CallerReference, the idempotency token (journalled by the
 * engine, resent unchanged: a repeat answers DistributionAlreadyExists). The distribution is
 * InProgress for minutes after a create or update (progressing), Deployed when done; the create
 * waits for it (botocore's DistributionDeployed: 60 s x 35).
 *
 * Deleting takes three steps over passes, as AWS demands: an enabled distribution is disabled
 * (UpdateDistribution Enabled=false), a disabled one waits until Deployed, then
 * DeleteDistribution, each with the ETag read this pass. Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int dist_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	*ret = json_object();
	return *ret ? 0 : -ENOMEM;
}

/* Waits poll the list and find the distribution in it by Id. */
static int dist_by_id(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	*ret = json_object();
	return *ret ? 0 : -ENOMEM;
}

static int config_params(const struct cohd_rec_item *item, json_t **ret)
{
	if (!item->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "Id", item->physical_id);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_detail dist_details[] = {
	/* Before matching: the tags (merge_as = tags_path). */
	COHD_CLOUDFRONT_TAGS_DETAIL,
	{.operation = "GetDistributionConfig", .params = config_params, .merge_as = "Config"},
};

static const json_t *live_config(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live ? cohd_rec_json_path(ctx->live->attrs, "Config.DistributionConfig") : NULL;
}

static const char *live_etag(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live ? json_string_value(cohd_rec_json_path(ctx->live->attrs, "Config.ETag"))
			 : NULL;
}

static int dist_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const json_t *cfg = json_object_get(ctx->props, "DistributionConfig");
	json_t *c;

	if (!json_is_object(cfg) || !json_is_string(ctx->token))
		return -EINVAL;
	c = json_deep_copy(cfg);
	if (!c)
		return -ENOMEM;
	json_object_set(c, "CallerReference", (json_t *)ctx->token);
	*ret = json_pack("{s:{s:o, s:o}}", "DistributionConfigWithTags", "DistributionConfig", c,
			 "Tags", cohd_cloudfront_tag_items(ctx->tags));
	return *ret ? 0 : -ENOMEM;
}

/* The whole desired configuration (UpdateDistribution replaces it), with the CallerReference
 * the distribution was created with and the ETag read this pass. */
static int dist_update(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
		       size_t n_fields, json_t **ret)
{
	const json_t *cfg = json_object_get(ctx->props, "DistributionConfig");
	const json_t *ref = json_object_get(live_config(ctx), "CallerReference");
	const char *etag = live_etag(ctx);
	json_t *c;

	if (!json_is_object(cfg) || !ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	if (!etag || !json_is_string(ref)) {
		*ret = json_array(); /* configuration not read: nothing can be sent (shown) */
		return *ret ? 0 : -ENOMEM;
	}
	c = json_deep_copy(cfg);
	if (!c)
		return -ENOMEM;
	json_object_set(c, "CallerReference", (json_t *)ref);
	*ret = json_pack("{s:s, s:s, s:o}", "Id", ctx->live->physical_id, "IfMatch", etag,
			 "DistributionConfig", c);
	return *ret ? 0 : -ENOMEM;
}

/* Enabled -> disable it; disabled but not Deployed -> nothing yet; disabled and Deployed ->
 * delete it. Each with the ETag this pass read. */
static int dist_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const json_t *cfg = live_config(ctx);
	const char *etag = live_etag(ctx), *id = ctx->live ? ctx->live->physical_id : NULL;
	const char *status =
		ctx->live ? json_string_value(json_object_get(ctx->live->attrs, "Status")) : NULL;
	json_t *c;

	if (!id)
		return -EINVAL;
	if (!etag || !json_is_object(cfg)) {
		*ret = json_array(); /* configuration not read (details are read for wanted
				      * distributions): nothing can be sent */
		return *ret ? 0 : -ENOMEM;
	}
	if (json_is_true(json_object_get(cfg, "Enabled"))) {
		c = json_deep_copy(cfg);
		if (!c)
			return -ENOMEM;
		json_object_set_new(c, "Enabled", json_false());
		*ret = json_pack("[{s:s, s:{s:s, s:s, s:o}}]", "Operation", "UpdateDistribution",
				 "Params", "Id", id, "IfMatch", etag, "DistributionConfig", c);
		return *ret ? 0 : -ENOMEM;
	}
	if (!streq_ptr(status, "Deployed")) {
		*ret = json_array(); /* disabling is being deployed: the next pass deletes */
		return *ret ? 0 : -ENOMEM;
	}
	*ret = json_pack("{s:s, s:s}", "Id", id, "IfMatch", etag);
	return *ret ? 0 : -ENOMEM;
}

/* A top-level member of DistributionConfig, with AWS's value when an answer leaves it out (an
 * empty list may be spelled {"Quantity": 0} or not at all). */
#define F(m, def)                                                                                  \
	{                                                                                          \
		.path = "DistributionConfig." m, .live_path = "Config.DistributionConfig." m,      \
		.normalise = cohd_cloudfront_normalise, .default_json = def,                       \
	}
#define EMPTY "{\"Quantity\": 0}"

static const struct cohd_rec_field dist_fields[] = {
	F("Aliases", EMPTY),
	F("Origins", NULL),
	F("DefaultCacheBehavior", NULL),
	F("CacheBehaviors", EMPTY),
	F("CustomErrorResponses", EMPTY),
	F("Comment", NULL),
	F("DefaultRootObject", "\"\""),
	F("Logging", NULL),
	F("PriceClass", "\"PriceClass_All\""),
	F("Enabled", NULL),
	F("ViewerCertificate", NULL),
	F("Restrictions", NULL),
	F("WebACLId", "\"\""),
	F("HttpVersion", "\"http2\""),
	F("IsIPV6Enabled", NULL),
};

#undef EMPTY
#undef F

static const char *const deployed[] = {"Deployed", NULL};

/* botocore's DistributionDeployed waiter: 60 s x 35. */
static const struct cohd_rec_wait dist_wait = {
	.what = "distribution deployed",
	.state_path = "Status",
	.done = deployed,
	.interval = 60 * USEC_PER_SEC,
	.max_polls = 35,
};

static enum cohd_rec_health dist_health(const struct cohd_rec_item *item)
{
	const char *status = json_string_value(json_object_get(item->attrs, "Status"));

	return streq_ptr(status, "Deployed") ? COHD_REC_HEALTH_HEALTHY
					     : COHD_REC_HEALTH_PROGRESSING;
}

const struct cohd_rec_type cohd_resource_cloudfront_distribution = {
	.name = "cloudfront.distribution",
	.service = "cloudfront",
	.tier = 6,

	.describe_op = "ListDistributions",
	.observe_params = dist_observe,
	.list_path = "DistributionList.Items",
	.id_path = "Id",
	.name_path = "Aliases.Items.0",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.by_id_params = dist_by_id,
	.details = dist_details,
	.n_details = ELEMENTSOF(dist_details),
	.health = dist_health,

	.fields = dist_fields,
	.n_fields = ELEMENTSOF(dist_fields),

	.create_op = "CreateDistributionWithTags",
	.create_params = dist_create,
	.token_member = "CallerReference",
	.create_tag_style = COHD_REC_TAGS_NONE, /* in create_params */
	.create_result_path = "Distribution",
	.create_wait = &dist_wait,

	.update_op = "UpdateDistribution",
	.update_params = dist_update,
	.id_member = "Id",
	.tag_op = "TagResource",
	.tag_params = cohd_cloudfront_tag_params,
	.untag_op = "UntagResource",
	.untag_params = cohd_cloudfront_untag_params,
	.delete_op = "DeleteDistribution",
	.delete_params = dist_delete,
	/* NoSuchDistribution is in the NOT_FOUND class. */
};
