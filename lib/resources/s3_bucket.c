/* SPDX-License-Identifier: Apache-2.0 */
/*
 * s3.bucket: the app's source-bundle and CloudFront-log buckets, each environment's object
 * storage and each frontend's website bucket (compile_build.c, compile_data.c, compile_edge.c).
 * ListBuckets names every bucket of the account and nothing else, so observe is one ListBuckets;
 * only names under the app's prefix are read further (tag_read_prefix), and the deterministic
 * name (it embeds the app's hashed prefix) with the cohd:id tag from GetBucketTagging is the
 * ownership. Every other setting is a detail read per bucket (Get*; "not set" codes such as
 * NoSuchCORSConfiguration are absent values, not failures) and corrected by its own Put* call;
 * CreateBucket takes only the location and the object ownership, so the rest is set right after
 * the create (AFTER_CREATE). Only the settings the compiler emits are read: a no-change pass costs
 * one call per detail and bucket.
 *
 * CreateBucket has no token: the bulk listing is the look-up, and BucketAlreadyOwnedByYou (ours
 * already, untagged) counts as success, followed by PutBucketTagging in the same action.
 * PutBucketTagging replaces the whole set: corrections merge the live tags nobody here owns.
 * Buckets hold data (stateful). DeleteBucket refuses a non-empty bucket (BucketNotEmpty); for
 * buckets the compiler marks "cohd:ForceDestroy" the delete first sets lifecycle rules that
 * expire every object, version and delete marker, so a refused delete succeeds on a later pass
 * once S3 has emptied it (a day or two; emptying at once needs ListObjectVersions +
 * DeleteObjects in a loop, which a static list of steps cannot express). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int bucket_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	*ret = json_object(); /* ListBuckets takes nothing */
	return *ret ? 0 : -ENOMEM;
}

/* The graph refers to a bucket's name as "Bucket" (compile_build.c: the pipeline's artifact
 * store). ListBuckets spells it "Name"; a CreateBucket answer only has "Location" ("/name" in
 * us-east-1, "http://name.s3.amazonaws.com/" elsewhere). */
static json_t *bucket_project(const json_t *raw)
{
	json_t *o = json_deep_copy(raw);
	const char *loc = json_string_value(json_object_get(raw, "Location"));

	if (!o)
		return NULL;
	if (json_is_string(json_object_get(o, "Name")))
		json_object_set(o, "Bucket", json_object_get(o, "Name"));
	else if (loc && loc[0] == '/' && loc[1]) {
		json_object_set_new(o, "Bucket", json_string(loc + 1));
		json_object_set_new(o, "Name", json_string(loc + 1));
	} else if (loc && strstr(loc, "://") && strstr(loc, ".s3")) {
		const char *h = strstr(loc, "://") + 3;
		json_t *n = json_stringn(h, (size_t)(strstr(h, ".s3") - h));

		json_object_set(o, "Bucket", n);
		json_object_set_new(o, "Name", n);
	}
	/* IAM policies refer to "Arn" (compile_iam.c). S3 returns no ARN; the partition is not
	 * known here: the aws partition's form. */
	if (json_is_string(json_object_get(o, "Bucket")))
		json_object_set_new(o, "Arn",
				    json_sprintf("arn:aws:s3:::%s",
						 json_string_value(json_object_get(o, "Bucket"))));
	return o;
}

static int bucket_params(const struct cohd_rec_item *item, json_t **ret)
{
	if (!item->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "Bucket", item->physical_id);
	return *ret ? 0 : -ENOMEM;
}

static const char *const tags_absent[] = {"NoSuchTagSet", NULL};
static const char *const ownership_absent[] = {"OwnershipControlsNotFoundError", NULL};
static const char *const pab_absent[] = {"NoSuchPublicAccessBlockConfiguration", NULL};
static const char *const sse_absent[] = {"ServerSideEncryptionConfigurationNotFoundError", NULL};
static const char *const cors_absent[] = {"NoSuchCORSConfiguration", NULL};
static const char *const lifecycle_absent[] = {"NoSuchLifecycleConfiguration", NULL};
static const char *const website_absent[] = {"NoSuchWebsiteConfiguration", NULL};
static const char *const policy_absent[] = {"NoSuchBucketPolicy", NULL};

/* One Get* per setting the compiler emits (lib/model: model_bucket_props and its callers). */
static const struct cohd_rec_detail bucket_details[] = {
	{.operation = "GetBucketTagging",
	 .params = bucket_params,
	 .result_path = "TagSet",
	 .merge_as = "TagSet",
	 .absent_codes = tags_absent},
	{.operation = "GetBucketOwnershipControls",
	 .params = bucket_params,
	 .result_path = "OwnershipControls.Rules.0.ObjectOwnership",
	 .merge_as = "ObjectOwnership",
	 .absent_codes = ownership_absent},
	{.operation = "GetPublicAccessBlock",
	 .params = bucket_params,
	 .result_path = "PublicAccessBlockConfiguration",
	 .merge_as = "PublicAccessBlockConfiguration",
	 .absent_codes = pab_absent},
	{.operation = "GetBucketEncryption",
	 .params = bucket_params,
	 .result_path = "ServerSideEncryptionConfiguration",
	 .merge_as = "ServerSideEncryptionConfiguration",
	 .absent_codes = sse_absent},
	{.operation = "GetBucketVersioning",
	 .params = bucket_params,
	 .merge_as = "VersioningConfiguration"},
	{.operation = "GetBucketLifecycleConfiguration",
	 .params = bucket_params,
	 .merge_as = "LifecycleConfiguration",
	 .absent_codes = lifecycle_absent},
	{.operation = "GetBucketCors",
	 .params = bucket_params,
	 .merge_as = "CORSConfiguration",
	 .absent_codes = cors_absent},
	{.operation = "GetBucketWebsite",
	 .params = bucket_params,
	 .merge_as = "WebsiteConfiguration",
	 .absent_codes = website_absent},
	{.operation = "GetBucketPolicy",
	 .params = bucket_params,
	 .result_path = "Policy",
	 .merge_as = "Policy",
	 .absent_codes = policy_absent},
};

static const char *bucket_name(const struct cohd_rec_type_ctx *ctx)
{
	const char *n = json_string_value(json_object_get(ctx->props, "Bucket"));

	if (ctx->live && ctx->live->physical_id)
		return ctx->live->physical_id;
	return n ? n : ctx->resource ? ctx->resource->name : NULL;
}

/* The whole tag set PutBucketTagging gets: the live tags, with `set` (key -> value) applied
 * and the keys of `drop` removed. Nobody else's tags are lost. */
static json_t *tag_set(const struct cohd_rec_type_ctx *ctx, const json_t *set, const json_t *drop)
{
	json_t *m = json_object(), *out;
	const json_t *live = ctx->live ? ctx->live->tags : NULL, *v;
	const char *k;

	if (!m)
		return NULL;
	json_object_foreach ((json_t *)live, k, v)
		if (!json_object_get(drop, k))
			json_object_set(m, k, (json_t *)v);
	json_object_foreach ((json_t *)set, k, v)
		json_object_set(m, k, (json_t *)v);
	out = json_pack("{s:o}", "TagSet", cohd_rec_tags_to_list(m, COHD_REC_TAGS_KEY_VALUE));
	json_decref(m);
	return out;
}

static json_t *step(const char *op, json_t *params, const char *ignore)
{
	if (!params)
		return NULL;
	return ignore ? json_pack("{s:s, s:o, s:[s]}", "Operation", op, "Params", params,
				  "IgnoreCodes", ignore)
		      : json_pack("{s:s, s:o}", "Operation", op, "Params", params);
}

/* CreateBucket (location and object ownership only), then the tags. BucketAlreadyOwnedByYou: an
 * untagged bucket of ours (a create whose answer was lost): it gets the tags. */
static int bucket_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *name = bucket_name(ctx);
	const json_t *loc = json_object_get(ctx->props, "CreateBucketConfiguration");
	const json_t *own = json_object_get(ctx->props, "ObjectOwnership");
	json_t *p, *steps;

	if (!name)
		return -EINVAL;
	p = json_pack("{s:s}", "Bucket", name);
	steps = json_array();
	if (!p || !steps) {
		json_decref(p);
		json_decref(steps);
		return -ENOMEM;
	}
	if (json_is_object(loc))
		json_object_set(p, "CreateBucketConfiguration", (json_t *)loc);
	if (json_is_string(own))
		json_object_set(p, "ObjectOwnership", (json_t *)own);
	json_array_append_new(steps, step("CreateBucket", p, "BucketAlreadyOwnedByYou"));
	json_array_append_new(steps, step("PutBucketTagging",
					  json_pack("{s:s, s:o}", "Bucket", name, "Tagging",
						    tag_set(ctx, ctx->tags, NULL)),
					  NULL));
	if (json_array_size(steps) != 2) {
		json_decref(steps);
		return -ENOMEM;
	}
	*ret = steps;
	return 0;
}

/* Put* {Bucket, <member>: the desired value}: the field's path names the member. */
static int put_setting(const struct cohd_rec_type_ctx *ctx, const char *member, const json_t *v,
		       json_t **ret)
{
	const char *name = bucket_name(ctx);

	if (!name || !v)
		return -EINVAL;
	*ret = json_pack("{s:s, s:O}", "Bucket", name, member, v);
	return *ret ? 0 : -ENOMEM;
}

static const json_t *top(const struct cohd_rec_type_ctx *ctx, const char *key)
{
	return json_object_get(ctx->props, key);
}

static int put_ownership(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			 size_t n_fields, json_t **ret)
{
	const json_t *v = top(ctx, "ObjectOwnership");
	json_auto_t *oc = v ? json_pack("{s:[{s:O}]}", "Rules", "ObjectOwnership", v) : NULL;

	return put_setting(ctx, "OwnershipControls", oc, ret);
}

static int put_pab(const struct cohd_rec_type_ctx *ctx, const char *const *fields, size_t n_fields,
		   json_t **ret)
{
	return put_setting(ctx, "PublicAccessBlockConfiguration",
			   top(ctx, "PublicAccessBlockConfiguration"), ret);
}

static int put_sse(const struct cohd_rec_type_ctx *ctx, const char *const *fields, size_t n_fields,
		   json_t **ret)
{
	return put_setting(ctx, "ServerSideEncryptionConfiguration",
			   top(ctx, "ServerSideEncryptionConfiguration"), ret);
}

static int put_versioning(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			  size_t n_fields, json_t **ret)
{
	return put_setting(ctx, "VersioningConfiguration", top(ctx, "VersioningConfiguration"),
			   ret);
}

static int put_lifecycle(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			 size_t n_fields, json_t **ret)
{
	return put_setting(ctx, "LifecycleConfiguration", top(ctx, "LifecycleConfiguration"), ret);
}

static int put_cors(const struct cohd_rec_type_ctx *ctx, const char *const *fields, size_t n_fields,
		    json_t **ret)
{
	return put_setting(ctx, "CORSConfiguration", top(ctx, "CORSConfiguration"), ret);
}

static int put_website(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
		       size_t n_fields, json_t **ret)
{
	return put_setting(ctx, "WebsiteConfiguration", top(ctx, "WebsiteConfiguration"), ret);
}

/* A public policy is refused while the public access block blocks public policies: the desired
 * block goes first, in the same action (the after-create updates run side by side). */
static int put_policy(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
		      size_t n_fields, json_t **ret)
{
	const json_t *doc = top(ctx, "Policy"), *pab = top(ctx, "PublicAccessBlockConfiguration");
	_cleanup_free_ char *text = NULL;
	const char *name = bucket_name(ctx);
	json_t *steps;

	if (!name || !doc)
		return -EINVAL;
	text = json_is_string(doc) ? strdup(json_string_value(doc))
				   : json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	steps = text ? json_array() : NULL;
	if (!steps)
		return -ENOMEM;
	if (json_is_object(pab))
		json_array_append_new(steps, step("PutPublicAccessBlock",
						  json_pack("{s:s, s:O}", "Bucket", name,
							    "PublicAccessBlockConfiguration", pab),
						  NULL));
	json_array_append_new(steps,
			      step("PutBucketPolicy",
				   json_pack("{s:s, s:s}", "Bucket", name, "Policy", text), NULL));
	*ret = steps;
	return 0;
}

static int bucket_tag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *name = bucket_name(ctx);

	if (!name)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "Bucket", name, "Tagging", tag_set(ctx, ctx->tags, NULL));
	return *ret ? 0 : -ENOMEM;
}

/* ctx->tags: the keys to remove (with their live values). */
static int bucket_untag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *name = bucket_name(ctx);

	if (!name)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "Bucket", name, "Tagging", tag_set(ctx, NULL, ctx->tags));
	return *ret ? 0 : -ENOMEM;
}

static bool force_destroy(const struct cohd_rec_type_ctx *ctx)
{
	const json_t *f = ctx->resource
				  ? json_object_get(ctx->resource->properties, "cohd:ForceDestroy")
				  : NULL;

	/* An orphan whose resource is gone from the graph: only in previews. */
	return f ? json_is_true(f) : streq_ptr(ctx->env_type, "preview");
}

static int bucket_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *name = ctx->live ? ctx->live->physical_id : NULL;
	json_t *steps;

	if (!name)
		return -EINVAL;
	steps = json_array();
	if (!steps)
		return -ENOMEM;
	if (force_destroy(ctx))
		json_array_append_new(
			steps,
			step("PutBucketLifecycleConfiguration",
			     json_pack("{s:s, s:{s:[{s:s, s:s, s:{s:s}, s:{s:i}, s:{s:i}, "
				       "s:{s:i}}, {s:s, s:s, s:{s:s}, s:{s:b}}]}}",
				       "Bucket", name, "LifecycleConfiguration", "Rules", "ID",
				       "cohd-empty-before-delete", "Status", "Enabled", "Filter",
				       "Prefix", "", "Expiration", "Days", 1,
				       "NoncurrentVersionExpiration", "NoncurrentDays", 1,
				       "AbortIncompleteMultipartUpload", "DaysAfterInitiation", 1,
				       /* versioned buckets: the delete markers left behind
					* (not allowed in a rule that expires by days) */
				       "ID", "cohd-empty-delete-markers", "Status", "Enabled",
				       "Filter", "Prefix", "", "Expiration",
				       "ExpiredObjectDeleteMarker", 1),
			     NULL));
	json_array_append_new(steps,
			      step("DeleteBucket", json_pack("{s:s}", "Bucket", name), NULL));
	*ret = steps;
	return 0;
}

/* S3 reports BucketKeyEnabled false when it was never set. */
static json_t *sse_normalise(const json_t *v)
{
	json_t *o = json_deep_copy(v), *r;
	size_t i;

	json_array_foreach (json_object_get(o, "Rules"), i, r)
		if (json_is_object(r) && !json_object_get(r, "BucketKeyEnabled"))
			json_object_set_new(r, "BucketKeyEnabled", json_false());
	return o;
}

/* An empty prefix filter is "every object", however S3 spells it back. */
static json_t *lifecycle_normalise(const json_t *v)
{
	json_t *o = json_deep_copy(v), *r, *f;
	size_t i;

	json_array_foreach (o, i, r) {
		f = json_object_get(r, "Filter");
		if (json_is_object(f) &&
		    streq_ptr(json_string_value(json_object_get(f, "Prefix")), ""))
			json_object_del(f, "Prefix");
		if (streq_ptr(json_string_value(json_object_get(r, "Prefix")), ""))
			json_object_del(r, "Prefix");
	}
	return o;
}

static const struct cohd_rec_field bucket_fields[] = {
	/* CreateBucket takes it; PutBucketOwnershipControls corrects it. */
	{.path = "ObjectOwnership",
	 .update_op = "PutBucketOwnershipControls",
	 .update_params = put_ownership},
	{.path = "PublicAccessBlockConfiguration",
	 .flags = COHD_REC_F_AFTER_CREATE,
	 .update_op = "PutPublicAccessBlock",
	 .update_params = put_pab},
	{.path = "ServerSideEncryptionConfiguration",
	 .flags = COHD_REC_F_AFTER_CREATE,
	 .update_op = "PutBucketEncryption",
	 .update_params = put_sse,
	 .normalise = sse_normalise},
	{.path = "VersioningConfiguration.Status",
	 .flags = COHD_REC_F_AFTER_CREATE,
	 .update_op = "PutBucketVersioning",
	 .update_params = put_versioning},
	{.path = "LifecycleConfiguration.Rules",
	 .flags = COHD_REC_F_AFTER_CREATE,
	 .update_op = "PutBucketLifecycleConfiguration",
	 .update_params = put_lifecycle,
	 .normalise = lifecycle_normalise},
	{.path = "CORSConfiguration.CORSRules",
	 .flags = COHD_REC_F_AFTER_CREATE,
	 .update_op = "PutBucketCors",
	 .update_params = put_cors},
	{.path = "WebsiteConfiguration",
	 .flags = COHD_REC_F_AFTER_CREATE,
	 .update_op = "PutBucketWebsite",
	 .update_params = put_website},
	{.path = "Policy",
	 .flags = COHD_REC_F_AFTER_CREATE | COHD_REC_F_JSON_DOC,
	 .update_op = "PutBucketPolicy",
	 .update_params = put_policy},
};

const struct cohd_rec_type cohd_resource_s3_bucket = {
	.name = "s3.bucket",
	.service = "s3",
	.tier = 2,
	.stateful = true,
	.unique_name = true, /* bucket names are global */

	.describe_op = "ListBuckets",
	.observe_params = bucket_observe,
	.list_path = "Buckets",
	.id_path = "Name", /* S3 addresses buckets by name */
	.name_path = "Name",
	.tags_path = "TagSet",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.tag_read_prefix = true, /* the account's every bucket: only the app's are read */
	.project = bucket_project,
	.details = bucket_details,
	.n_details = ELEMENTSOF(bucket_details),

	.fields = bucket_fields,
	.n_fields = ELEMENTSOF(bucket_fields),

	.create_op = "CreateBucket",
	.create_params = bucket_create,
	.create_tag_style = COHD_REC_TAGS_NONE,

	.id_member = "Bucket",
	.tag_op = "PutBucketTagging",
	.tag_params = bucket_tag,
	.untag_op = "PutBucketTagging",
	.untag_params = bucket_untag,
	.delete_op = "DeleteBucket",
	.delete_params = bucket_delete,
	/* NoSuchBucket is in the NOT_FOUND class already. */
};
