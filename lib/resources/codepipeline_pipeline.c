/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codepipeline.pipeline: each environment's Source (S3 bundle) -> Build -> Deploy pipeline
 * (compile_build.c). CodePipeline has no batch read and ListPipelines carries neither the ARN
 * nor the tags, so observe is one GetPipeline per wanted pipeline (one per environment; the
 * whole answer is the item, PipelineNotFoundException = not there), which is also the look-up
 * before create. Tags come from ListTagsForResource on the ARN GetPipeline's metadata gives,
 * before matching. The declaration is corrected by one UpdatePipeline with the whole desired
 * declaration; "version" is CodePipeline's own counter and never compared. Normalised for what
 * CodePipeline fills in (runOrder 1, empty artifact lists and configuration).
 *
 * The embedded botocore models (1.29) predate pipeline types: "pipelineType" is left out of
 * the calls (the client refuses members the model lacks) and not compared. Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int pipeline_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	*ret = ctx->n_wanted > 0 ? json_pack("{s:s}", "name", ctx->wanted[0]->name) : NULL;
	return ctx->n_wanted > 0 && !*ret ? -ENOMEM : 0;
}

static json_t *pipeline_project(const json_t *raw)
{
	json_t *o = json_deep_copy(raw);
	const json_t *arn = cohd_rec_json_path(raw, "metadata.pipelineArn");

	if (o && arn)
		json_object_set(o, "Arn", (json_t *)arn);
	return o;
}

static int tags_params(const struct cohd_rec_item *item, json_t **ret)
{
	const json_t *arn = cohd_rec_json_path(item->attrs, "metadata.pipelineArn");

	if (!json_is_string(arn))
		return -EINVAL;
	*ret = json_pack("{s:O}", "resourceArn", arn);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_detail pipeline_details[] = {
	{.operation = "ListTagsForResource",
	 .params = tags_params,
	 .result_path = "tags",
	 .merge_as = "tags"},
};

static const char *pipeline_name(const struct cohd_rec_type_ctx *ctx)
{
	const char *n = json_string_value(cohd_rec_json_path(ctx->props, "pipeline.name"));

	if (ctx->live && ctx->live->physical_id)
		return ctx->live->physical_id;
	return n ? n : ctx->resource ? ctx->resource->name : NULL;
}

static char *pipeline_arn(const struct cohd_rec_type_ctx *ctx)
{
	const char *a = ctx->live ? json_string_value(cohd_rec_json_path(ctx->live->attrs,
									 "metadata.pipelineArn"))
				  : NULL;
	const char *name = pipeline_name(ctx);
	char *s = NULL;

	if (a)
		return strdup(a);
	if (!name || !ctx->account)
		return NULL;
	if (asprintf(&s, "arn:%s:codepipeline:%s:%s:%s", strempty(ctx->partition),
		     strempty(ctx->region), ctx->account, name) < 0)
		return NULL;
	return s;
}

/* The desired declaration as this model knows it. */
static json_t *declaration(const struct cohd_rec_type_ctx *ctx)
{
	json_t *d = json_deep_copy(json_object_get(ctx->props, "pipeline"));

	if (d)
		json_object_del(d, "pipelineType");
	return d;
}

static int pipeline_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	json_t *d = declaration(ctx);

	if (!d)
		return -EINVAL;
	*ret = json_pack("{s:o, s:o}", "pipeline", d, "tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE_LOWER));
	return *ret ? 0 : -ENOMEM;
}

static int pipeline_update(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			   size_t n_fields, json_t **ret)
{
	json_t *d = declaration(ctx);

	if (!d)
		return -EINVAL;
	*ret = json_pack("{s:o}", "pipeline", d);
	return *ret ? 0 : -ENOMEM;
}

static int pipeline_tag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	_cleanup_free_ char *arn = pipeline_arn(ctx);

	if (!arn)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "resourceArn", arn, "tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE_LOWER));
	return *ret ? 0 : -ENOMEM;
}

static int pipeline_untag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	_cleanup_free_ char *arn = pipeline_arn(ctx);
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

static int pipeline_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "name", ctx->live->physical_id);
	return *ret ? 0 : -ENOMEM;
}

static void set_default(json_t *o, const char *key, json_t *v)
{
	if (json_is_object(o) && !json_object_get(o, key))
		json_object_set(o, key, v);
	json_decref(v);
}

/* Actions: runOrder 1, no artifacts and no configuration unless given. */
static json_t *stages_normalise(const json_t *v)
{
	json_t *o = json_deep_copy(v), *st, *a;
	size_t i, k;

	json_array_foreach (o, i, st) {
		json_array_foreach (json_object_get(st, "actions"), k, a) {
			set_default(a, "runOrder", json_integer(1));
			set_default(a, "inputArtifacts", json_array());
			set_default(a, "outputArtifacts", json_array());
			set_default(a, "configuration", json_object());
		}
	}
	return o;
}

static const struct cohd_rec_field pipeline_fields[] = {
	{.path = "pipeline.roleArn"},
	{.path = "pipeline.artifactStore"},
	{.path = "pipeline.stages", .normalise = stages_normalise},
};

static const char *const pipeline_absent[] = {"PipelineNotFoundException", NULL};

const struct cohd_rec_type cohd_resource_codepipeline_pipeline = {
	.name = "codepipeline.pipeline",
	.service = "codepipeline",
	.tier = 6,
	.unique_name = true,

	.describe_op = "GetPipeline",
	.observe_params = pipeline_observe,
	.observe_batch = 1,
	.list_path = NULL, /* the whole response is one item */
	.observe_absent_codes = pipeline_absent,
	.id_path = "pipeline.name", /* CodePipeline addresses pipelines by name */
	.name_path = "pipeline.name",
	.tags_path = "tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE_LOWER,
	.project = pipeline_project,
	.details = pipeline_details,
	.n_details = ELEMENTSOF(pipeline_details),

	.fields = pipeline_fields,
	.n_fields = ELEMENTSOF(pipeline_fields),

	.create_op = "CreatePipeline",
	.create_params = pipeline_create,
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE_LOWER,

	.update_op = "UpdatePipeline",
	.update_params = pipeline_update,
	.id_member = "name",
	.tag_op = "TagResource",
	.tag_params = pipeline_tag,
	.untag_op = "UntagResource",
	.untag_params = pipeline_untag,
	.delete_op = "DeletePipeline",
	.delete_params = pipeline_delete,
	/* PipelineNotFoundException is in the NOT_FOUND class already. */
};
