/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lambda.function: the Lambda@Edge function of an environment's distribution (compile_edge.c:
 * "<prefix>-spa", origin-response, us-east-1, published). CloudFront takes only a numbered
 * version's ARN, so what the graph refers to is "VersionArn", the newest published version.
 *
 * Observe is one paginated ListVersionsByFunction per wanted function (by its deterministic
 * name; a name that does not exist is ResourceNotFoundException = nothing there). The whole
 * answer is one item, which `project` turns into the $LATEST configuration plus VersionArn and
 * "Published" (the newest version has $LATEST's code and configuration). Tags come from
 * ListTags before matching. Code is compared by CodeSha256 against the SHA-256 of the
 * deterministic zip of the Zip placeholder (lambda_zip.c), so a change of the function's source
 * in the compiler, or code uploaded by hand, is corrected.
 *
 * Every change is one action: UpdateFunctionConfiguration (configuration fields),
 * UpdateFunctionCode (code, architectures), then PublishVersion, so the version CloudFront uses
 * carries the change. AWS refuses an update while the previous one is in progress
 * (ResourceConflictException): such a step fails and the next pass finishes the job ("Published"
 * stays false until a version has it all). CreateFunction takes no token: the bulk describe by
 * name is the look-up before create. Region: us-east-1 (the resource's region). Pure; no I/O.
 */
#include <stdlib.h>

#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

/* Configuration members the compiler sets, compared with the newest version for "Published". */
static const char *const config_keys[] = {"Runtime", "Handler",	   "Role",
					  "Timeout", "MemorySize", "Description"};

/* One function per call: the name is the identity (batch of one wanted resource). */
static int fn_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	if (ctx->n_wanted == 0 || !ctx->wanted[0]->name) {
		*ret = NULL;
		return 0;
	}
	*ret = json_pack("{s:s}", "FunctionName", ctx->wanted[0]->name);
	return *ret ? 0 : -ENOMEM;
}

static int fn_by_id(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *name = ctx->live ? ctx->live->physical_id : NULL;

	if (!name)
		return -EINVAL;
	*ret = json_pack("{s:s}", "FunctionName", name);
	return *ret ? 0 : -ENOMEM;
}

/* "arn:aws:lambda:r:a:function:name:7" -> "arn:aws:lambda:r:a:function:name" (new string). */
static char *unqualified(const char *arn)
{
	const char *fn = arn ? strstr(arn, ":function:") : NULL;
	const char *colon = fn ? strchr(fn + strlen(":function:"), ':') : NULL;

	if (!arn)
		return NULL;
	return colon ? strndup(arn, (size_t)(colon - arn)) : strdup(arn);
}

/* The version number of a configuration, -1 for $LATEST or none. */
static long version_of(const json_t *cfg)
{
	const char *v = json_string_value(json_object_get(cfg, "Version"));
	char *end;
	long n;

	if (!v || *v < '0' || *v > '9')
		return -1;
	n = strtol(v, &end, 10);
	return *end ? -1 : n;
}

/* The ARN of a numbered version: the qualified FunctionArn ListVersionsByFunction gives, or
 * FunctionArn + ":" + Version (CreateFunction, PublishVersion answers). New string. */
static char *version_arn(const json_t *cfg)
{
	const char *arn = json_string_value(json_object_get(cfg, "FunctionArn"));
	const char *ver = json_string_value(json_object_get(cfg, "Version"));
	_cleanup_free_ char *base = unqualified(arn);
	char *s;

	if (!base || version_of(cfg) < 0)
		return NULL;
	if (!streq(base, arn))
		return strdup(arn);
	return asprintf(&s, "%s:%s", base, ver) < 0 ? NULL : s;
}

/* Does the newest version carry $LATEST's code and configuration? */
static bool published(const json_t *latest, const json_t *newest)
{
	if (!newest)
		return false;
	if (!json_equal(json_object_get(latest, "CodeSha256"),
			json_object_get(newest, "CodeSha256")))
		return false;
	for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
		const json_t *a = json_object_get(latest, config_keys[i]),
			     *b = json_object_get(newest, config_keys[i]);

		if (!(a == b || (a && b && json_equal(a, b))))
			return false;
	}
	return true;
}

/* ListVersionsByFunction ({"Versions": [$LATEST, 1, 2...]}, with "Tags" merged by the tag read)
 * -> $LATEST's configuration + VersionArn (newest version) + Published; a single configuration
 * (a create's answer, Publish=true) -> itself + VersionArn. FunctionArn always unqualified. */
static json_t *fn_project(const json_t *raw)
{
	const json_t *versions = json_object_get(raw, "Versions"), *latest = raw, *newest = NULL,
		     *v;
	_cleanup_free_ char *arn = NULL, *varn = NULL;
	json_t *o;
	size_t i;

	if (versions) {
		latest = NULL;
		json_array_foreach (versions, i, v) {
			if (version_of(v) < 0 &&
			    streq_ptr(json_string_value(json_object_get(v, "Version")), "$LATEST"))
				latest = v;
			else if (version_of(v) >= 0 &&
				 (!newest || version_of(v) > version_of(newest)))
				newest = v;
		}
		if (!latest)
			return NULL; /* nothing there (dropped) */
	} else if (version_of(raw) >= 0)
		newest = raw;
	o = json_deep_copy(latest);
	if (!o)
		return NULL;
	arn = unqualified(json_string_value(json_object_get(latest, "FunctionArn")));
	if (arn)
		json_object_set_new(o, "FunctionArn", json_string(arn));
	varn = newest ? version_arn(newest) : NULL;
	if (varn)
		json_object_set_new(o, "VersionArn", json_string(varn));
	if (newest)
		json_object_set(o, "Version", json_object_get(newest, "Version"));
	json_object_set_new(o, "Published",
			    json_boolean(versions ? published(latest, newest) : newest != NULL));
	if (json_object_get(raw, "Tags"))
		json_object_set(o, "Tags", json_object_get(raw, "Tags"));
	return o;
}

static int tags_params(const struct cohd_rec_item *item, json_t **ret)
{
	const char *arn = json_string_value(json_object_get(item->attrs, "FunctionArn"));

	if (!arn)
		return -EINVAL;
	*ret = json_pack("{s:s}", "Resource", arn);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_detail fn_details[] = {
	{.operation = "ListTags", .params = tags_params, .result_path = "Tags", .merge_as = "Tags"},
};

/* The Zip placeholder's files -> the CodeSha256 their archive has; live values stay. */
static json_t *code_sha(const json_t *v)
{
	_cleanup_free_ char *sha = NULL;

	if (!json_is_object(v))
		return json_incref((json_t *)v);
	sha = cohd_lambda_zip_sha256(v);
	return sha ? json_string(sha) : NULL;
}

static bool has_field(const char *const *fields, size_t n, const char *f)
{
	for (size_t i = 0; i < n; i++)
		if (streq(fields[i], f))
			return true;
	return false;
}

static json_t *step(const char *op, json_t *params)
{
	return json_pack("{s:s, s:o}", "Operation", op, "Params", params);
}

/* The package to upload: what the generate port built, or (the engine writes the field's
 * target, the CodeSha256, over Code.ZipFile.Zip) the same deterministic archive built from the
 * placeholder's files. New reference. */
static json_t *zip_bytes(const struct cohd_rec_type_ctx *ctx)
{
	const json_t *built = cohd_rec_json_path(ctx->props, "Code.ZipFile");
	_cleanup_free_ unsigned char *zip = NULL;
	size_t n;

	if (json_is_string(built))
		return json_incref((json_t *)built);
	if (!ctx->resource ||
	    cohd_lambda_zip_build(cohd_rec_json_path(ctx->resource->properties, "Code.ZipFile.Zip"),
				  &zip, &n) < 0)
		return NULL;
	return json_stringn_nocheck((const char *)zip, n);
}

/* Configuration, then code, then a new version that has them (CloudFront runs versions). */
static int fn_update(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
		     size_t n_fields, json_t **ret)
{
	const char *name = ctx->live ? ctx->live->physical_id : NULL;
	json_t *steps, *cfg;

	if (!name)
		return -EINVAL;
	steps = json_array();
	cfg = json_pack("{s:s}", "FunctionName", name);
	if (!steps || !cfg) {
		json_decref(steps);
		json_decref(cfg);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
		if (has_field(fields, n_fields, config_keys[i]) &&
		    json_object_get(ctx->props, config_keys[i]))
			json_object_set(cfg, config_keys[i],
					json_object_get(ctx->props, config_keys[i]));
	if (json_object_size(cfg) > 1)
		json_array_append_new(steps, step("UpdateFunctionConfiguration", cfg));
	else
		json_decref(cfg);
	if (has_field(fields, n_fields, "Code.ZipFile.Zip") ||
	    has_field(fields, n_fields, "Architectures")) {
		json_t *zip = zip_bytes(ctx), *code;

		if (!zip) {
			json_decref(steps);
			return -EINVAL;
		}
		code = json_pack("{s:s, s:o}", "FunctionName", name, "ZipFile", zip);
		if (code && json_object_get(ctx->props, "Architectures"))
			json_object_set(code, "Architectures",
					json_object_get(ctx->props, "Architectures"));
		json_array_append_new(steps, step("UpdateFunctionCode", code));
	}
	json_array_append_new(steps,
			      step("PublishVersion", json_pack("{s:s}", "FunctionName", name)));
	*ret = steps;
	return 0;
}

static const char *fn_arn(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live ? json_string_value(json_object_get(ctx->live->attrs, "FunctionArn"))
			 : NULL;
}

static int fn_tag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *arn = fn_arn(ctx);

	if (!arn)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "Resource", arn, "Tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_MAP));
	return *ret ? 0 : -ENOMEM;
}

static int fn_untag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *arn = fn_arn(ctx), *key;
	json_t *keys, *v;

	if (!arn)
		return -EINVAL;
	keys = json_array();
	json_object_foreach ((json_t *)ctx->tags, key, v)
		json_array_append_new(keys, json_string(key));
	*ret = json_pack("{s:s, s:o}", "Resource", arn, "TagKeys", keys);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_field fn_fields[] = {
	{.path = "Runtime"},
	{.path = "Handler"},
	{.path = "Role"},
	{.path = "Timeout", .default_json = "3"},
	{.path = "MemorySize", .default_json = "128"},
	{.path = "Description", .default_json = "\"\""},
	{.path = "Architectures", .flags = COHD_REC_F_SORT, .default_json = "[\"x86_64\"]"},
	/* The files of the Zip placeholder, compared as the CodeSha256 of their archive. */
	{.path = "Code.ZipFile.Zip", .live_path = "CodeSha256", .normalise = code_sha},
	/* true: the newest version has $LATEST's code and configuration. */
	{.path = "Publish", .live_path = "Published", .default_json = "false"},
};

static enum cohd_rec_health fn_health(const struct cohd_rec_item *item)
{
	const char *state = json_string_value(json_object_get(item->attrs, "State"));
	const char *update = json_string_value(json_object_get(item->attrs, "LastUpdateStatus"));

	if (streq_ptr(state, "Failed") || streq_ptr(update, "Failed"))
		return COHD_REC_HEALTH_DEGRADED;
	if ((state && !streq(state, "Active")) || streq_ptr(update, "InProgress"))
		return COHD_REC_HEALTH_PROGRESSING;
	return COHD_REC_HEALTH_HEALTHY;
}

static const char *const fn_absent[] = {"ResourceNotFoundException", NULL};

const struct cohd_rec_type cohd_resource_lambda_function = {
	.name = "lambda.function",
	.service = "lambda",
	.tier = 2,
	.unique_name = true,

	.describe_op = "ListVersionsByFunction",
	.observe_params = fn_observe,
	.observe_batch = 1,
	.list_path = NULL,	   /* the answer (all pages) is one function */
	.id_path = "FunctionName", /* Lambda addresses functions by name */
	.name_path = "FunctionName",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_MAP,
	.observe_absent_codes = fn_absent,
	.project = fn_project,
	.by_id_params = fn_by_id,
	.details = fn_details,
	.n_details = ELEMENTSOF(fn_details),
	.health = fn_health,

	.fields = fn_fields,
	.n_fields = ELEMENTSOF(fn_fields),

	/* Default builder: the properties (Code.ZipFile built by the generate port, Publish
	 * true) + Tags as a map. A function is Pending for seconds after it: health says
	 * progressing until Active (no create wait: the wait reads list items, and this
	 * describe answers one item). */
	.create_op = "CreateFunction",
	.create_tag_style = COHD_REC_TAGS_MAP,

	.update_op = "UpdateFunctionConfiguration",
	.update_params = fn_update,
	.id_member = "FunctionName",
	.tag_op = "TagResource",
	.tag_params = fn_tag,
	.untag_op = "UntagResource",
	.untag_params = fn_untag,
	.delete_op = "DeleteFunction",
	/* ResourceNotFoundException is in the NOT_FOUND class. A replicated Lambda@Edge
	 * function cannot be deleted for hours after its distribution let go of it
	 * (InvalidParameterValueException): the delete fails and the next passes try again. */
};
