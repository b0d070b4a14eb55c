/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codebuild.project: each environment's build project (images, assets, tests) and deploy
 * project (migrate/seed tasks, service updates, asset sync), both driven by the environment's
 * pipeline (compile_build.c). Observe is one BatchGetProjects naming up to 100 wanted projects
 * (unknown names come back in projectsNotFound, not as an error), which is also the look-up
 * before create: CreateProject takes no token. The tags are in the project and CodeBuild has no
 * tag API: tags are corrected through UpdateProject, which replaces the whole set, so the live
 * tags nobody here owns are sent back with ours. Every drifted field is corrected by one
 * UpdateProject carrying the drifted top-level members whole (environment, source...).
 * Normalised for what CodeBuild fills in: the KMS alias comes back as an alias ARN, variables
 * get type PLAINTEXT, timeouts and log settings have defaults. Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

#define BATCH_GET_PROJECTS_MAX 100

static int project_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	json_t *names;

	if (ctx->n_wanted == 0) {
		*ret = NULL;
		return 0;
	}
	names = json_array();
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < ctx->n_wanted && i < BATCH_GET_PROJECTS_MAX; i++)
		json_array_append_new(names, json_string(ctx->wanted[i]->name));
	*ret = json_pack("{s:o}", "names", names);
	return *ret ? 0 : -ENOMEM;
}

static json_t *project_project(const json_t *raw)
{
	json_t *o = json_deep_copy(raw);

	if (o && json_object_get(o, "arn"))
		json_object_set(o, "Arn", json_object_get(o, "arn"));
	return o;
}

static const char *project_name(const struct cohd_rec_type_ctx *ctx)
{
	const char *n = json_string_value(json_object_get(ctx->props, "name"));

	if (ctx->live && ctx->live->physical_id)
		return ctx->live->physical_id;
	return n ? n : ctx->resource ? ctx->resource->name : NULL;
}

/* The live tags with `set` applied and the keys of `drop` removed, as CodeBuild's list. */
static json_t *tag_list(const struct cohd_rec_type_ctx *ctx, const json_t *set, const json_t *drop)
{
	json_t *m = json_object(), *out;
	const json_t *v;
	const char *k;

	if (!m)
		return NULL;
	json_object_foreach ((json_t *)(ctx->live ? ctx->live->tags : NULL), k, v)
		if (!json_object_get(drop, k))
			json_object_set(m, k, (json_t *)v);
	json_object_foreach ((json_t *)set, k, v)
		json_object_set(m, k, (json_t *)v);
	out = cohd_rec_tags_to_list(m, COHD_REC_TAGS_KEY_VALUE_LOWER);
	json_decref(m);
	return out;
}

/* UpdateProject: the drifted fields' top-level members, whole, from the desired properties. */
static int project_update(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			  size_t n_fields, json_t **ret)
{
	const char *name = project_name(ctx);
	json_t *p;

	if (!name)
		return -EINVAL;
	p = json_pack("{s:s}", "name", name);
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n_fields; i++) {
		_cleanup_free_ char *top = strndup(fields[i], strcspn(fields[i], "."));
		const json_t *v = top ? json_object_get(ctx->props, top) : NULL;

		if (!top) {
			json_decref(p);
			return -ENOMEM;
		}
		if (v)
			json_object_set(p, top, (json_t *)v);
	}
	*ret = p;
	return 0;
}

static int project_tag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *name = project_name(ctx);

	if (!name)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "name", name, "tags", tag_list(ctx, ctx->tags, NULL));
	return *ret ? 0 : -ENOMEM;
}

static int project_untag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *name = project_name(ctx);

	if (!name)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "name", name, "tags", tag_list(ctx, NULL, ctx->tags));
	return *ret ? 0 : -ENOMEM;
}

static int project_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "name", ctx->live->physical_id);
	return *ret ? 0 : -ENOMEM;
}

/* "arn:aws:kms:<region>:<account>:alias/aws/s3" -> "alias/aws/s3" (CodeBuild answers the
 * alias it was given as an ARN). Key ARNs stay as they are. */
static json_t *key_normalise(const json_t *v)
{
	const char *s = json_string_value(v), *a = s ? strstr(s, ":alias/") : NULL;

	if (a && strncmp(s, "arn:", 4) == 0)
		return json_string(a + 1);
	return json_deep_copy(v);
}

/* Variables default to PLAINTEXT. */
static json_t *vars_normalise(const json_t *v)
{
	json_t *o = json_deep_copy(v), *it;
	size_t i;

	json_array_foreach (o, i, it)
		if (json_is_object(it) && !json_object_get(it, "type"))
			json_object_set_new(it, "type", json_string("PLAINTEXT"));
	return o;
}

static const struct cohd_rec_field project_fields[] = {
	{.path = "description", .default_json = "\"\""},
	{.path = "source.type"},
	{.path = "source.buildspec"},
	{.path = "artifacts.type"},
	{.path = "environment.type"},
	{.path = "environment.image"},
	{.path = "environment.computeType"},
	{.path = "environment.privilegedMode", .default_json = "false"},
	{.path = "environment.environmentVariables",
	 .default_json = "[]",
	 .normalise = vars_normalise},
	{.path = "serviceRole"},
	{.path = "timeoutInMinutes", .default_json = "60"},
	{.path = "queuedTimeoutInMinutes", .default_json = "480"},
	{.path = "encryptionKey", .normalise = key_normalise},
	{.path = "logsConfig.cloudWatchLogs.status", .default_json = "\"ENABLED\""},
};

const struct cohd_rec_type cohd_resource_codebuild_project = {
	.name = "codebuild.project",
	.service = "codebuild",
	.tier = 5,
	.unique_name = true,

	.describe_op = "BatchGetProjects",
	.observe_params = project_observe,
	.observe_batch = BATCH_GET_PROJECTS_MAX,
	.list_path = "projects",
	.id_path = "name", /* CodeBuild addresses projects by name */
	.name_path = "name",
	.tags_path = "tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE_LOWER,
	.project = project_project,

	.fields = project_fields,
	.n_fields = ELEMENTSOF(project_fields),

	.create_op = "CreateProject",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE_LOWER,
	.create_result_path = "project",

	.update_op = "UpdateProject",
	.update_params = project_update,
	.id_member = "name",
	.tag_op = "UpdateProject",
	.tag_params = project_tag,
	.untag_op = "UpdateProject",
	.untag_params = project_untag,
	.delete_op = "DeleteProject",
	.delete_params = project_delete,
	/* ResourceNotFoundException is in the NOT_FOUND class already. */
};
