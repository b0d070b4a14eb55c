/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ecr.repository: one image repository per built service, shared by the app's environments
 * (compile_build.c), with scan on push, KMS encryption and a lifecycle policy keeping the last
 * 100 images. Observe is one paginated DescribeRepositories of the registry (1000 a page) of
 * which only names under the app's prefix are read further (tag_read_prefix): naming the
 * wanted repositories instead would fail the whole call (RepositoryNotFoundException) as soon
 * as one of them is missing. DescribeRepositories carries no tags: ListTagsForResource per
 * repository of ours, before matching. The lifecycle policy is a detail (GetLifecyclePolicy;
 * LifecyclePolicyNotFoundException = none), set by PutLifecyclePolicy right after the create
 * and on drift; tag mutability and scanning have their own Put* calls; the encryption cannot
 * change (replace). CreateRepository has no token: the bulk describe is the look-up. Images are
 * data: the type is stateful, and a confirmed delete removes the images with it (force).
 * Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int repo_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	*ret = json_pack("{s:i}", "maxResults", 1000); /* the whole registry, 1000 a page */
	return *ret ? 0 : -ENOMEM;
}

/* Task definitions refer to "RepositoryUri" (compile_ecs.c); ECR spells it "repositoryUri". */
static json_t *repo_project(const json_t *raw)
{
	json_t *o = json_deep_copy(raw);

	if (o && json_object_get(o, "repositoryUri"))
		json_object_set(o, "RepositoryUri", json_object_get(o, "repositoryUri"));
	if (o && json_object_get(o, "repositoryArn"))
		json_object_set(o, "Arn", json_object_get(o, "repositoryArn"));
	return o;
}

static int tags_params(const struct cohd_rec_item *item, json_t **ret)
{
	const json_t *arn = json_object_get(item->attrs, "repositoryArn");

	if (!json_is_string(arn))
		return -EINVAL;
	*ret = json_pack("{s:O}", "resourceArn", arn);
	return *ret ? 0 : -ENOMEM;
}

static int lifecycle_params(const struct cohd_rec_item *item, json_t **ret)
{
	if (!item->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "repositoryName", item->physical_id);
	return *ret ? 0 : -ENOMEM;
}

static const char *const lifecycle_absent[] = {"LifecyclePolicyNotFoundException", NULL};

static const struct cohd_rec_detail repo_details[] = {
	{.operation = "ListTagsForResource",
	 .params = tags_params,
	 .result_path = "tags",
	 .merge_as = "tags"},
	{.operation = "GetLifecyclePolicy",
	 .params = lifecycle_params,
	 .result_path = "lifecyclePolicyText",
	 .merge_as = "lifecyclePolicyText",
	 .absent_codes = lifecycle_absent},
};

static const char *repo_name(const struct cohd_rec_type_ctx *ctx)
{
	const char *n = json_string_value(json_object_get(ctx->props, "repositoryName"));

	if (ctx->live && ctx->live->physical_id)
		return ctx->live->physical_id;
	return n ? n : ctx->resource ? ctx->resource->name : NULL;
}

/* The ARN TagResource needs: as observed, else as ECR makes it. */
static char *repo_arn(const struct cohd_rec_type_ctx *ctx)
{
	const char *a =
		ctx->live ? json_string_value(json_object_get(ctx->live->attrs, "repositoryArn"))
			  : NULL;
	const char *name = repo_name(ctx);
	char *s = NULL;

	if (a)
		return strdup(a);
	if (!name || !ctx->account)
		return NULL;
	if (asprintf(&s, "arn:%s:ecr:%s:%s:repository/%s", strempty(ctx->partition),
		     strempty(ctx->region), ctx->account, name) < 0)
		return NULL;
	return s;
}

static int repo_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	static const char *const keys[] = {"repositoryName", "imageTagMutability",
					   "imageScanningConfiguration", "encryptionConfiguration"};
	json_t *p = json_object();

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (json_object_get(ctx->props, keys[i]))
			json_object_set(p, keys[i], json_object_get(ctx->props, keys[i]));
	json_object_set_new(p, "tags", cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	*ret = p;
	return 0;
}

static int put_mutability(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			  size_t n_fields, json_t **ret)
{
	const json_t *v = json_object_get(ctx->props, "imageTagMutability");
	const char *name = repo_name(ctx);

	if (!name || !json_is_string(v))
		return -EINVAL;
	*ret = json_pack("{s:s, s:O}", "repositoryName", name, "imageTagMutability", v);
	return *ret ? 0 : -ENOMEM;
}

static int put_scanning(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			size_t n_fields, json_t **ret)
{
	const json_t *v = json_object_get(ctx->props, "imageScanningConfiguration");
	const char *name = repo_name(ctx);

	if (!name || !json_is_object(v))
		return -EINVAL;
	*ret = json_pack("{s:s, s:O}", "repositoryName", name, "imageScanningConfiguration", v);
	return *ret ? 0 : -ENOMEM;
}

static int put_lifecycle(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			 size_t n_fields, json_t **ret)
{
	const json_t *doc = json_object_get(ctx->props, "lifecyclePolicyText");
	_cleanup_free_ char *text = NULL;
	const char *name = repo_name(ctx);

	if (!name || !doc)
		return -EINVAL;
	text = json_is_string(doc) ? strdup(json_string_value(doc))
				   : json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return -ENOMEM;
	*ret = json_pack("{s:s, s:s}", "repositoryName", name, "lifecyclePolicyText", text);
	return *ret ? 0 : -ENOMEM;
}

static int repo_tag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	_cleanup_free_ char *arn = repo_arn(ctx);

	if (!arn)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "resourceArn", arn, "tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	return *ret ? 0 : -ENOMEM;
}

static int repo_untag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	_cleanup_free_ char *arn = repo_arn(ctx);
	json_t *keys = json_array();
	const char *k;
	json_t *v;

	if (!arn || !keys) {
		json_decref(keys);
		return arn ? -ENOMEM : -EINVAL;
	}
	json_object_foreach ((json_t *)ctx->tags, k, v)
		json_array_append_new(keys, json_string(k));
	*ret = json_pack("{s:s, s:o}", "resourceArn", arn, "tagKeys", keys);
	return *ret ? 0 : -ENOMEM;
}

/* Deletion of a stateful type is confirmed first (static/production): the images go with it. */
static int repo_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s, s:b}", "repositoryName", ctx->live->physical_id, "force", 1);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_field repo_fields[] = {
	{.path = "imageTagMutability",
	 .default_json = "\"MUTABLE\"",
	 .update_op = "PutImageTagMutability",
	 .update_params = put_mutability},
	{.path = "imageScanningConfiguration.scanOnPush",
	 .default_json = "false",
	 .update_op = "PutImageScanningConfiguration",
	 .update_params = put_scanning},
	{.path = "encryptionConfiguration.encryptionType",
	 .flags = COHD_REC_F_REPLACE,
	 .default_json = "\"AES256\""},
	{.path = "encryptionConfiguration.kmsKey", .flags = COHD_REC_F_REPLACE},
	{.path = "lifecyclePolicyText",
	 .flags = COHD_REC_F_AFTER_CREATE | COHD_REC_F_JSON_DOC,
	 .update_op = "PutLifecyclePolicy",
	 .update_params = put_lifecycle},
};

static const char *const repo_gone[] = {"RepositoryNotFoundException", NULL};

const struct cohd_rec_type cohd_resource_ecr_repository = {
	.name = "ecr.repository",
	.service = "ecr",
	.tier = 2,
	.stateful = true, /* images are data */
	.unique_name = true,

	.describe_op = "DescribeRepositories",
	.observe_params = repo_observe,
	.list_path = "repositories",
	.id_path = "repositoryName", /* ECR addresses repositories by name */
	.name_path = "repositoryName",
	.tags_path = "tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.tag_read_prefix = true,
	.project = repo_project,
	.details = repo_details,
	.n_details = ELEMENTSOF(repo_details),

	.fields = repo_fields,
	.n_fields = ELEMENTSOF(repo_fields),

	.create_op = "CreateRepository",
	.create_params = repo_create,
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "repository",

	.id_member = "repositoryName",
	.tag_op = "TagResource",
	.tag_params = repo_tag,
	.untag_op = "UntagResource",
	.untag_params = repo_untag,
	.delete_op = "DeleteRepository",
	.delete_params = repo_delete,
	.gone_codes = repo_gone,
};
