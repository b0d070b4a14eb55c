/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the storage, build and schedule resource types (lib/resources: s3.bucket,
 * ecr.repository, codebuild.project, codepipeline.pipeline, events.rule, events.target). Two
 * halves:
 *   - every params document the types build, from what the real compiler emits for the golden
 *     apps in every environment type, serialises against the embedded botocore model;
 *   - the types driven through the engine against an in-memory fake of S3, ECR, CodeBuild,
 *     CodePipeline and EventBridge that serialises every call against the real model too:
 *     converge from nothing, zero mutations on a second pass, drift corrected (and only the
 *     drifted setting), an untagged bucket of ours adopted, deletes.
 * No network, no database, no libuv.
 */
#include <jansson.h>

#include "lib/aws/protocols/protocols.h"
#include "lib/config/app.h"
#include "lib/model/compile.h"
#include "lib/reconcile/diff.h"
#include "lib/reconcile/reconcile.h"
#include "lib/resources/resources.h"
#include "compile_app.h"
#include "rec_fake.h"
#include "test.h"

static const struct cohd_rec_type *const my_types[] = {
	&cohd_resource_s3_bucket,
	&cohd_resource_ecr_repository,
	&cohd_resource_codebuild_project,
	&cohd_resource_codepipeline_pipeline,
	&cohd_resource_events_rule,
	&cohd_resource_events_target,
	NULL,
};

static const struct cohd_rec_type *my_type(const char *name)
{
	for (size_t i = 0; my_types[i]; i++)
		if (streq(my_types[i]->name, name))
			return my_types[i];
	return NULL;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A builder's result: the params of op, or a sequence of calls [{Operation, Params}] whose last
 * step is op. */
static void check_call_or_steps(const char *service, const char *op, const json_t *params,
				const char *what)
{
	const json_t *st;
	size_t i;

	if (!json_is_array(params)) {
		rec_fake_check_serialises(service, op, params, what);
		return;
	}
	ck_assert_uint_gt(json_array_size(params), 0);
	json_array_foreach (params, i, st)
		rec_fake_check_serialises(service, str(st, "Operation"),
					  json_object_get(st, "Params"), what);
	ck_assert_str_eq(str(json_array_get(params, json_array_size(params) - 1), "Operation"), op);
}

/* ---------------------------------------------------------------------------------------- */
/* Builders against the real model, from the real compiler's output.                        */
/* ---------------------------------------------------------------------------------------- */

static json_t *fake_attrs; /* logical id -> attributes made up for every referenced one */

static int collect_ref(const char *id, const char *attr, void *u)
{
	json_t *o = json_object_get(fake_attrs, id);
	char v[512];

	if (!o) {
		o = json_object();
		json_object_set_new(fake_attrs, id, o);
	}
	if (strstr(attr, "Arn") || strstr(attr, "ARN"))
		snprintf(v, sizeof v, "arn:aws:iam::123456789012:role/%s", id);
	else
		snprintf(v, sizeof v, "%s-%s", attr, "0abc");
	if (!cohd_rec_json_path(o, attr))
		cohd_rec_json_set_path(o, attr, json_string(v));
	return 0;
}

static const json_t *attrs_of(void *u, const char *id)
{
	return json_object_get(fake_attrs, id);
}

static int gen(void *u, const char *id, const json_t *ph, json_t **ret)
{
	*ret = json_string("generated");
	return 0;
}

/* Every builder of t for one compiled resource: create, each field's update, tag, untag,
 * delete (also of an orphan), details, observe. */
static void check_resource(const struct cohd_rec_type *t, const struct cohd_resource *res,
			   const char *env_type)
{
	struct cohd_rec_resolve_ctx rc = {.account = "123456789012",
					  .partition = "aws",
					  .image_tag = "v1",
					  .attrs = attrs_of,
					  .generate = gen,
					  .self = res->id};
	json_auto_t *props = NULL, *params = NULL, *live_attrs = NULL, *live_tags = NULL;
	const struct cohd_resource *wanted[] = {res};
	const json_t *wanted_props[1] = {NULL};
	struct cohd_rec_observe_ctx octx = {.app = "shop",
					    .environment = "production",
					    .region = "eu-west-1",
					    .name_prefix = "shop-a1b2c3-production",
					    .wanted = wanted,
					    .n_wanted = 1};
	struct cohd_rec_item live = {};
	struct cohd_rec_type_ctx ctx = {
		.type = t,
		.app = "shop",
		.environment = "production",
		.env_type = env_type,
		.region = "eu-west-1",
		.account = "123456789012",
		.partition = "aws",
		.resource = res,
		.tags = res->tags,
	};
	char what[512];

	ck_assert_int_eq(cohd_json_foreach_ref(res->properties, collect_ref, NULL), 0);
	ck_assert_int_eq(cohd_rec_resolve(&rc, res->properties, &props, NULL), 0);
	ctx.props = props;
	wanted_props[0] = props;
	octx.props = wanted_props;

	snprintf(what, sizeof what, "%s %s create", t->name, res->id);
	ck_assert_int_eq((t->create_params ?: cohd_rec_default_create_params)(&ctx, &params), 0);
	if (!json_is_array(params))
		rec_fake_check_serialises(t->service, t->create_op, params, what);
	else { /* S3: CreateBucket, then the tags */
		const json_t *st;
		size_t i;

		json_array_foreach (params, i, st)
			rec_fake_check_serialises(t->service, str(st, "Operation"),
						  json_object_get(st, "Params"), what);
		ck_assert_str_eq(str(json_array_get(params, 0), "Operation"), t->create_op);
	}
	json_decref(params);
	params = NULL;

	/* the live item: as if observed */
	live_attrs = json_deep_copy(props);
	json_object_set_new(live_attrs, "repositoryArn",
			    json_string("arn:aws:ecr:eu-west-1:123456789012:repository/x"));
	json_object_set_new(live_attrs, "Arn",
			    json_string("arn:aws:events:eu-west-1:123456789012:rule/x"));
	cohd_rec_json_set_path(live_attrs, "metadata.pipelineArn",
			       json_string("arn:aws:codepipeline:eu-west-1:123456789012:x"));
	live_tags = json_pack("{s:s, s:s}", "Owner", "someone", "Environment", "old");
	live.physical_id = (char *)"shop-a1b2c3-production-x";
	live.attrs = live_attrs;
	live.tags = live_tags;
	ctx.live = &live;

	for (size_t i = 0; i < t->n_fields; i++) {
		const struct cohd_rec_field *f = &t->fields[i];
		const char *op = f->update_op ?: t->update_op;
		const char *fields[] = {f->path};
		cohd_rec_update_fn fn = f->update_params ?: t->update_params;

		if ((f->flags & (COHD_REC_F_REPLACE | COHD_REC_F_OBSERVE_ONLY)) || !op ||
		    !cohd_rec_json_path(props, f->path))
			continue;
		snprintf(what, sizeof what, "%s %s update %s", t->name, res->id, f->path);
		ck_assert_ptr_nonnull(fn);
		ck_assert_int_eq(fn(&ctx, fields, 1, &params), 0);
		check_call_or_steps(t->service, op, params, what);
		json_decref(params);
		params = NULL;
	}

	if (t->tag_op) {
		snprintf(what, sizeof what, "%s %s tag", t->name, res->id);
		ck_assert_int_eq(t->tag_params(&ctx, &params), 0);
		rec_fake_check_serialises(t->service, t->tag_op, params, what);
		json_decref(params);
		params = NULL;
	}
	if (t->untag_op) {
		json_auto_t *drop = json_pack("{s:s}", "Environment", "old");
		const json_t *keep = ctx.tags;

		snprintf(what, sizeof what, "%s %s untag", t->name, res->id);
		ctx.tags = drop;
		ck_assert_int_eq(t->untag_params(&ctx, &params), 0);
		ctx.tags = keep;
		rec_fake_check_serialises(t->service, t->untag_op, params, what);
		json_decref(params);
		params = NULL;
	}

	snprintf(what, sizeof what, "%s %s delete", t->name, res->id);
	ck_assert_int_eq(t->delete_params(&ctx, &params), 0);
	check_call_or_steps(t->service, t->delete_op, params, what);
	json_decref(params);
	params = NULL;
	ctx.resource = NULL; /* an orphan: the resource is gone from the graph */
	ctx.props = NULL;
	ck_assert_int_eq(t->delete_params(&ctx, &params), 0);
	check_call_or_steps(t->service, t->delete_op, params, what);
	json_decref(params);
	params = NULL;
	ctx.resource = res;
	ctx.props = props;

	for (size_t i = 0; i < t->n_details; i++) {
		snprintf(what, sizeof what, "%s %s detail %s", t->name, res->id,
			 t->details[i].operation);
		ck_assert_int_eq(t->details[i].params(&live, &params), 0);
		rec_fake_check_serialises(t->service, t->details[i].operation, params, what);
		json_decref(params);
		params = NULL;
	}

	snprintf(what, sizeof what, "%s %s observe", t->name, res->id);
	ck_assert_int_eq(t->observe_params(&octx, &params), 0);
	ck_assert_ptr_nonnull(params);
	rec_fake_check_serialises(t->service, t->describe_op, params, what);
	json_decref(params);
	params = NULL;
}

START_TEST(test_builders_serialize)
{
	static const char *const files[] = {"plans/shop.yml", "plans/workers-tasks.yml",
					    "plans/backend-frontend.yml", "plans/data.yml"};
	static const char *const env_names[] = {"production", "static", "preview"};
	unsigned seen[ELEMENTSOF(my_types)] = {};

	for (size_t f = 0; f < ELEMENTSOF(files); f++)
		for (int et = 0; et < 3; et++) {
			_cleanup_(cohd_graph_freep) struct cohd_graph *g =
				test_compile_app(files[f], et);

			fake_attrs = json_object();
			for (size_t i = 0; i < cohd_graph_size(g); i++) {
				const struct cohd_resource *res = cohd_graph_get(g, i);
				const struct cohd_rec_type *t = my_type(res->type);

				if (!t)
					continue;
				check_resource(t, res, env_names[et]);
				for (size_t k = 0; my_types[k]; k++)
					seen[k] += my_types[k] == t;
			}
			json_decref(fake_attrs);
			fake_attrs = NULL;
		}
	for (size_t k = 0; my_types[k]; k++)
		ck_assert_msg(seen[k] > 0, "no golden app compiles to a %s", my_types[k]->name);
}
END_TEST

/* ---------------------------------------------------------------------------------------- */
/* The fake world: S3, ECR, CodeBuild, CodePipeline and EventBridge in memory.              */
/* ---------------------------------------------------------------------------------------- */

static struct world {
	json_t *buckets; /* name -> {"tags": [...] or absent, "cfg": {member: value}, "objects"} */
	json_t *repos;	 /* list of DescribeRepositories items */
	json_t *repo_tags;	/* ARN -> [{Key, Value}] */
	json_t *repo_lifecycle; /* name -> text */
	json_t *projects;	/* list of BatchGetProjects items (tags inside) */
	json_t *pipelines;	/* name -> {"pipeline", "tags"} */
	json_t *rules;		/* list of ListRules items */
	json_t *rule_tags;	/* ARN -> [{Key, Value}] */
	json_t *targets;	/* rule name -> [targets] */
} W;

static int aws_fail(struct cohd_aws_error *err, const char *code)
{
	err->code = strdup(code);
	err->message = strdup("fake AWS says no");
	err->http_status = 400;
	err->class = cohd_aws_error_classify(code, 400, NULL);
	return -EREMOTEIO;
}

static json_t *find_by(json_t *list, const char *key, const char *value)
{
	json_t *it;
	size_t i;

	json_array_foreach (list, i, it)
		if (streq_ptr(str(it, key), value))
			return it;
	return NULL;
}

static void remove_from(json_t *list, const json_t *item)
{
	json_t *it;
	size_t i;

	json_array_foreach (list, i, it)
		if (it == item) {
			json_array_remove(list, i);
			return;
		}
}

static const char *tag_of(const json_t *tags, const char *key)
{
	const json_t *t;
	size_t i;

	json_array_foreach (tags, i, t) {
		const char *k = str(t, "Key") ?: str(t, "key");

		if (streq_ptr(k, key))
			return str(t, "Value") ?: str(t, "value");
	}
	return NULL;
}

static void merge_tags(json_t *have, const json_t *add, bool lower)
{
	const char *k = lower ? "key" : "Key", *v = lower ? "value" : "Value";
	json_t *t;
	size_t i;

	json_array_foreach (add, i, t) {
		json_t *old = find_by(have, k, str(t, k));

		if (old)
			json_object_set(old, v, json_object_get(t, v));
		else
			json_array_append_new(have, json_deep_copy(t));
	}
}

static void drop_tags(json_t *have, const json_t *keys, bool lower)
{
	json_t *k;
	size_t i;

	json_array_foreach (keys, i, k) {
		json_t *old = find_by(have, lower ? "key" : "Key", json_string_value(k));

		if (old)
			remove_from(have, old);
	}
}

/* ---- S3 ---- */

/* Get/Put/Delete op -> the stored member, the answer's shape, the "not set" code. */
static const struct s3_setting {
	const char *get, *put, *del, *member, *absent;
	bool whole; /* the answer is the stored value itself (its members at the top) */
} s3_settings[] = {
	{"GetBucketOwnershipControls", "PutBucketOwnershipControls", NULL, "OwnershipControls",
	 "OwnershipControlsNotFoundError", false},
	{"GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock",
	 "PublicAccessBlockConfiguration", "NoSuchPublicAccessBlockConfiguration", false},
	{"GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption",
	 "ServerSideEncryptionConfiguration", "ServerSideEncryptionConfigurationNotFoundError",
	 false},
	{"GetBucketVersioning", "PutBucketVersioning", NULL, "VersioningConfiguration", NULL, true},
	{"GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration",
	 "DeleteBucketLifecycle", "LifecycleConfiguration", "NoSuchLifecycleConfiguration", true},
	{"GetBucketCors", "PutBucketCors", "DeleteBucketCors", "CORSConfiguration",
	 "NoSuchCORSConfiguration", true},
	{"GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite", "WebsiteConfiguration",
	 "NoSuchWebsiteConfiguration", true},
	{"GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy", "Policy", "NoSuchBucketPolicy",
	 false},
};

static int fake_s3(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	const char *name = str(p, "Bucket");
	json_t *b = name ? json_object_get(W.buckets, name) : NULL, *cfg;

	if (streq(op, "ListBuckets")) {
		json_t *out = json_array(), *v;
		const char *k;

		json_object_foreach (W.buckets, k, v)
			json_array_append_new(out,
					      json_pack("{s:s, s:s}", "Name", k, "CreationDate",
							"2026-01-01T00:00:00Z"));
		*ret = json_pack("{s:o}", "Buckets", out);
		return 0;
	}
	if (streq(op, "CreateBucket")) {
		if (b)
			return aws_fail(err, "BucketAlreadyOwnedByYou");
		b = json_pack("{s:{}}", "cfg");
		/* AWS's defaults for a new bucket (since April 2023) */
		json_object_set_new(json_object_get(b, "cfg"), "OwnershipControls",
				    json_pack("{s:[{s:s}]}", "Rules", "ObjectOwnership",
					      str(p, "ObjectOwnership") ?: "BucketOwnerEnforced"));
		json_object_set_new(json_object_get(b, "cfg"), "ServerSideEncryptionConfiguration",
				    json_pack("{s:[{s:{s:s}, s:b}]}", "Rules",
					      "ApplyServerSideEncryptionByDefault", "SSEAlgorithm",
					      "AES256", "BucketKeyEnabled", 0));
		json_object_set_new(W.buckets, name, b);
		*ret = json_pack("{s:s+}", "Location", "/", name);
		return 0;
	}
	if (!b)
		return aws_fail(err, "NoSuchBucket");
	cfg = json_object_get(b, "cfg");
	if (streq(op, "GetBucketTagging")) {
		if (!json_object_get(b, "tags"))
			return aws_fail(err, "NoSuchTagSet");
		*ret = json_pack("{s:O}", "TagSet", json_object_get(b, "tags"));
		return 0;
	}
	if (streq(op, "PutBucketTagging")) {
		json_object_set(b, "tags", cohd_rec_json_path(p, "Tagging.TagSet"));
		*ret = json_object();
		return 0;
	}
	if (streq(op, "DeleteBucket")) {
		if (json_is_true(json_object_get(b, "objects")))
			return aws_fail(err, "BucketNotEmpty");
		json_object_del(W.buckets, name);
		*ret = json_object();
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(s3_settings); i++) {
		const struct s3_setting *s = &s3_settings[i];
		json_t *v = json_object_get(cfg, s->member);

		if (streq(op, s->get)) {
			if (!v && s->absent)
				return aws_fail(err, s->absent);
			*ret = !v	  ? json_object()
			       : s->whole ? json_deep_copy(v)
					  : json_pack("{s:O}", s->member, v);
			return 0;
		}
		if (streq(op, s->put)) {
			json_object_set(cfg, s->member, json_object_get(p, s->member));
			/* lifecycle rules that empty the bucket: the objects go (a day later) */
			if (streq(s->member, "LifecycleConfiguration") &&
			    streq_ptr(str(cohd_rec_json_path(p, "LifecycleConfiguration.Rules.0"),
					  "ID"),
				      "cohd-empty-before-delete"))
				json_object_set_new(b, "objects", json_false());
			*ret = json_object();
			return 0;
		}
		if (s->del && streq(op, s->del)) {
			json_object_del(cfg, s->member);
			*ret = json_object();
			return 0;
		}
	}
	return aws_fail(err, "MethodNotAllowed");
}

/* ---- ECR ---- */

static int fake_ecr(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	const char *name = str(p, "repositoryName");
	json_t *r = name ? find_by(W.repos, "repositoryName", name) : NULL;

	if (streq(op, "DescribeRepositories")) {
		ck_assert_ptr_null(json_object_get(p, "repositoryNames")); /* the whole registry */
		*ret = json_pack("{s:O}", "repositories", W.repos);
		return 0;
	}
	if (streq(op, "CreateRepository")) {
		char arn[256], uri[256];

		if (r)
			return aws_fail(err, "RepositoryAlreadyExistsException");
		snprintf(arn, sizeof arn, "arn:aws:ecr:eu-west-1:123456789012:repository/%s", name);
		snprintf(uri, sizeof uri, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/%s", name);
		r = json_pack(
			"{s:s, s:s, s:s, s:s, s:O?, s:O?, s:O?}", "repositoryName", name,
			"repositoryArn", arn, "repositoryUri", uri, "registryId", "123456789012",
			"imageTagMutability", json_object_get(p, "imageTagMutability"),
			"imageScanningConfiguration",
			json_object_get(p, "imageScanningConfiguration"), "encryptionConfiguration",
			json_object_get(p, "encryptionConfiguration"));
		if (!json_object_get(r, "encryptionConfiguration"))
			json_object_set_new(r, "encryptionConfiguration",
					    json_pack("{s:s}", "encryptionType", "AES256"));
		json_array_append_new(W.repos, r);
		json_object_set_new(W.repo_tags, arn,
				    json_object_get(p, "tags")
					    ? json_deep_copy(json_object_get(p, "tags"))
					    : json_array());
		*ret = json_pack("{s:O}", "repository", r);
		return 0;
	}
	if (streq(op, "ListTagsForResource") || streq(op, "TagResource") ||
	    streq(op, "UntagResource")) {
		json_t *tags = json_object_get(W.repo_tags, str(p, "resourceArn"));

		if (!tags)
			return aws_fail(err, "RepositoryNotFoundException");
		if (streq(op, "TagResource"))
			merge_tags(tags, json_object_get(p, "tags"), false);
		else if (streq(op, "UntagResource"))
			drop_tags(tags, json_object_get(p, "tagKeys"), false);
		*ret = streq(op, "ListTagsForResource") ? json_pack("{s:O}", "tags", tags)
							: json_object();
		return 0;
	}
	if (!r)
		return aws_fail(err, "RepositoryNotFoundException");
	if (streq(op, "GetLifecyclePolicy")) {
		const char *text = str(W.repo_lifecycle, name);

		if (!text)
			return aws_fail(err, "LifecyclePolicyNotFoundException");
		*ret = json_pack("{s:s, s:s}", "repositoryName", name, "lifecyclePolicyText", text);
		return 0;
	}
	*ret = json_object();
	if (streq(op, "PutLifecyclePolicy")) {
		ck_assert(json_is_string(json_object_get(p, "lifecyclePolicyText")));
		json_object_set(W.repo_lifecycle, name, json_object_get(p, "lifecyclePolicyText"));
	} else if (streq(op, "PutImageTagMutability"))
		json_object_set(r, "imageTagMutability", json_object_get(p, "imageTagMutability"));
	else if (streq(op, "PutImageScanningConfiguration"))
		json_object_set(r, "imageScanningConfiguration",
				json_object_get(p, "imageScanningConfiguration"));
	else if (streq(op, "DeleteRepository")) {
		ck_assert(json_is_true(json_object_get(p, "force")));
		json_object_del(W.repo_tags, str(r, "repositoryArn"));
		remove_from(W.repos, r);
	} else
		return aws_fail(err, "UnknownOperationException");
	return 0;
}

/* ---- CodeBuild ---- */

static int fake_codebuild(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	const char *name = str(p, "name");
	json_t *pr = name ? find_by(W.projects, "name", name) : NULL, *v;
	const char *k;
	size_t i;

	if (streq(op, "BatchGetProjects")) {
		json_t *out = json_array(), *nf = json_array();

		ck_assert_uint_le(json_array_size(json_object_get(p, "names")), 100);
		json_array_foreach (json_object_get(p, "names"), i, v) {
			json_t *x = find_by(W.projects, "name", json_string_value(v));

			json_array_append(x ? out : nf, x ? x : v);
		}
		*ret = json_pack("{s:o, s:o}", "projects", out, "projectsNotFound", nf);
		return 0;
	}
	if (streq(op, "CreateProject")) {
		char arn[256];

		if (pr)
			return aws_fail(err, "ResourceAlreadyExistsException");
		pr = json_deep_copy(p);
		snprintf(arn, sizeof arn, "arn:aws:codebuild:eu-west-1:123456789012:project/%s",
			 name);
		json_object_set_new(pr, "arn", json_string(arn));
		/* what CodeBuild fills in */
		json_object_set_new(json_object_get(pr, "environment"), "imagePullCredentialsType",
				    json_string("CODEBUILD"));
		json_object_set_new(json_object_get(pr, "source"), "insecureSsl", json_false());
		if (str(pr, "encryptionKey") && strncmp(str(pr, "encryptionKey"), "alias/", 6) == 0)
			json_object_set_new(pr, "encryptionKey",
					    json_sprintf("arn:aws:kms:eu-west-1:123456789012:%s",
							 str(pr, "encryptionKey")));
		json_array_append_new(W.projects, pr);
		*ret = json_pack("{s:O}", "project", pr);
		return 0;
	}
	if (!pr)
		return aws_fail(err, "ResourceNotFoundException");
	if (streq(op, "UpdateProject")) {
		json_object_foreach ((json_t *)p, k, v)
			json_object_set(pr, k, v);
		*ret = json_pack("{s:O}", "project", pr);
		return 0;
	}
	if (streq(op, "DeleteProject")) {
		remove_from(W.projects, pr);
		*ret = json_object();
		return 0;
	}
	return aws_fail(err, "UnknownOperationException");
}

/* ---- CodePipeline ---- */

static void pipeline_defaults(json_t *decl)
{
	json_t *st, *a;
	size_t i, k;

	json_array_foreach (json_object_get(decl, "stages"), i, st)
		json_array_foreach (json_object_get(st, "actions"), k, a) {
			if (!json_object_get(a, "runOrder"))
				json_object_set_new(a, "runOrder", json_integer(1));
			if (!json_object_get(a, "inputArtifacts"))
				json_object_set_new(a, "inputArtifacts", json_array());
			if (!json_object_get(a, "outputArtifacts"))
				json_object_set_new(a, "outputArtifacts", json_array());
			if (!json_object_get(a, "configuration"))
				json_object_set_new(a, "configuration", json_object());
		}
}

static json_t *pipeline_by_arn(const char *arn)
{
	const char *s = arn ? strrchr(arn, ':') : NULL;

	return s ? json_object_get(W.pipelines, s + 1) : NULL;
}

static int fake_codepipeline(const char *op, const json_t *p, json_t **ret,
			     struct cohd_aws_error *err)
{
	const char *name = str(p, "name") ?: str(json_object_get(p, "pipeline"), "name");
	json_t *pl = name ? json_object_get(W.pipelines, name) : NULL;

	if (streq(op, "CreatePipeline")) {
		json_t *decl = json_deep_copy(json_object_get(p, "pipeline"));

		if (pl)
			return aws_fail(err, "PipelineNameInUseException");
		ck_assert_ptr_null(json_object_get(decl, "version"));
		json_object_set_new(decl, "version", json_integer(1));
		pipeline_defaults(decl);
		json_object_set_new(W.pipelines, name,
				    json_pack("{s:o, s:o}", "pipeline", decl, "tags",
					      json_object_get(p, "tags")
						      ? json_deep_copy(json_object_get(p, "tags"))
						      : json_array()));
		*ret = json_pack(
			"{s:O, s:O}", "pipeline", decl, "tags",
			cohd_rec_json_path(W.pipelines, name)
				? json_object_get(json_object_get(W.pipelines, name), "tags")
				: NULL);
		return 0;
	}
	if (streq(op, "ListTagsForResource") || streq(op, "TagResource") ||
	    streq(op, "UntagResource")) {
		pl = pipeline_by_arn(str(p, "resourceArn"));
		if (!pl)
			return aws_fail(err, "ResourceNotFoundException");
		if (streq(op, "TagResource"))
			merge_tags(json_object_get(pl, "tags"), json_object_get(p, "tags"), true);
		else if (streq(op, "UntagResource"))
			drop_tags(json_object_get(pl, "tags"), json_object_get(p, "tagKeys"), true);
		*ret = streq(op, "ListTagsForResource")
			       ? json_pack("{s:O}", "tags", json_object_get(pl, "tags"))
			       : json_object();
		return 0;
	}
	if (!pl)
		return aws_fail(err, "PipelineNotFoundException");
	if (streq(op, "GetPipeline")) {
		*ret = json_pack("{s:O, s:{s:s+}}", "pipeline", json_object_get(pl, "pipeline"),
				 "metadata", "pipelineArn",
				 "arn:aws:codepipeline:eu-west-1:123456789012:", name);
		return 0;
	}
	if (streq(op, "UpdatePipeline")) {
		json_t *decl = json_deep_copy(json_object_get(p, "pipeline"));

		json_object_set_new(decl, "version",
				    json_integer(json_integer_value(cohd_rec_json_path(
							 pl, "pipeline.version")) +
						 1));
		pipeline_defaults(decl);
		json_object_set_new(pl, "pipeline", decl);
		*ret = json_pack("{s:O}", "pipeline", decl);
		return 0;
	}
	if (streq(op, "DeletePipeline")) {
		json_object_del(W.pipelines, name);
		*ret = json_object();
		return 0;
	}
	return aws_fail(err, "UnknownOperationException");
}

/* ---- EventBridge ---- */

static int fake_events(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	const char *name = str(p, "Name") ?: str(p, "Rule");
	json_t *r = name ? find_by(W.rules, "Name", name) : NULL, *v, *t;
	size_t i;

	if (streq(op, "ListRules")) {
		json_t *out = json_array();
		const char *pre = str(p, "NamePrefix") ?: "";

		json_array_foreach (W.rules, i, v)
			if (strncmp(str(v, "Name"), pre, strlen(pre)) == 0)
				json_array_append(out, v);
		*ret = json_pack("{s:o}", "Rules", out);
		return 0;
	}
	if (streq(op, "PutRule")) {
		char arn[256];

		snprintf(arn, sizeof arn, "arn:aws:events:eu-west-1:123456789012:rule/%s", name);
		if (!r) {
			r = json_pack("{s:s, s:s, s:s}", "Name", name, "Arn", arn, "EventBusName",
				      "default");
			json_array_append_new(W.rules, r);
			json_object_set_new(W.rule_tags, arn,
					    json_object_get(p, "Tags")
						    ? json_deep_copy(json_object_get(p, "Tags"))
						    : json_array());
		}
		/* PutRule replaces what it is not given */
		json_object_del(r, "ScheduleExpression");
		json_object_del(r, "Description");
		json_object_set_new(r, "State", json_string(str(p, "State") ?: "ENABLED"));
		if (json_object_get(p, "ScheduleExpression"))
			json_object_set(r, "ScheduleExpression",
					json_object_get(p, "ScheduleExpression"));
		if (json_object_get(p, "Description"))
			json_object_set(r, "Description", json_object_get(p, "Description"));
		*ret = json_pack("{s:s}", "RuleArn", arn);
		return 0;
	}
	if (streq(op, "ListTagsForResource") || streq(op, "TagResource") ||
	    streq(op, "UntagResource")) {
		json_t *tags = json_object_get(W.rule_tags, str(p, "ResourceARN"));

		if (!tags)
			return aws_fail(err, "ResourceNotFoundException");
		if (streq(op, "TagResource"))
			merge_tags(tags, json_object_get(p, "Tags"), false);
		else if (streq(op, "UntagResource"))
			drop_tags(tags, json_object_get(p, "TagKeys"), false);
		*ret = streq(op, "ListTagsForResource") ? json_pack("{s:O}", "Tags", tags)
							: json_object();
		return 0;
	}
	if (!r)
		return aws_fail(err, "ResourceNotFoundException");
	t = json_object_get(W.targets, name);
	if (!t) {
		t = json_array();
		json_object_set_new(W.targets, name, t);
	}
	if (streq(op, "ListTargetsByRule")) {
		*ret = json_pack("{s:O}", "Targets", t);
		return 0;
	}
	if (streq(op, "PutTargets")) {
		json_array_foreach (json_object_get(p, "Targets"), i, v) {
			json_t *old = find_by(t, "Id", str(v, "Id"));

			if (old)
				remove_from(t, old);
			json_array_append(t, v);
		}
		*ret = json_pack("{s:i, s:[]}", "FailedEntryCount", 0, "FailedEntries");
		return 0;
	}
	if (streq(op, "RemoveTargets")) {
		json_array_foreach (json_object_get(p, "Ids"), i, v) {
			json_t *old = find_by(t, "Id", json_string_value(v));

			if (old)
				remove_from(t, old);
		}
		*ret = json_pack("{s:i, s:[]}", "FailedEntryCount", 0, "FailedEntries");
		return 0;
	}
	if (streq(op, "DeleteRule")) {
		if (json_array_size(t) > 0)
			return aws_fail(err, "ValidationException");
		json_object_del(W.rule_tags, str(r, "Arn"));
		json_object_del(W.targets, name);
		remove_from(W.rules, r);
		*ret = json_object();
		return 0;
	}
	return aws_fail(err, "UnknownOperationException");
}

/* ---- the ports ---- */

static int fake_call(const struct cohd_rec_call *call, json_t **ret, struct cohd_aws_error *err)
{
	if (streq(call->service, "s3"))
		return fake_s3(call->operation, call->params, ret, err);
	if (streq(call->service, "ecr"))
		return fake_ecr(call->operation, call->params, ret, err);
	if (streq(call->service, "codebuild"))
		return fake_codebuild(call->operation, call->params, ret, err);
	if (streq(call->service, "codepipeline"))
		return fake_codepipeline(call->operation, call->params, ret, err);
	if (streq(call->service, "events"))
		return fake_events(call->operation, call->params, ret, err);
	ck_abort_msg("unexpected service %s", call->service);
	return -EINVAL;
}

static const char *const fake_reads[] = {"Describe", "List", "Get", "BatchGet", NULL};

static const struct rec_fake_service fake_service = {
	.exec = fake_call,
	.serialise = true,
	.read_prefixes = fake_reads,
};

static void world_init(void)
{
	rec_fake_init(&fake_service);
	W = (struct world){
		.buckets = json_object(),
		.repos = json_array(),
		.repo_tags = json_object(),
		.repo_lifecycle = json_object(),
		.projects = json_array(),
		.pipelines = json_object(),
		.rules = json_array(),
		.rule_tags = json_object(),
		.targets = json_object(),
	};
}

static void world_done(void)
{
	json_decref(W.buckets);
	json_decref(W.repos);
	json_decref(W.repo_tags);
	json_decref(W.repo_lifecycle);
	json_decref(W.projects);
	json_decref(W.pipelines);
	json_decref(W.rules);
	json_decref(W.rule_tags);
	json_decref(W.targets);
	rec_fake_done();
}

static struct cohd_rec_engine *engine(int env_type)
{
	struct cohd_rec_config cfg = {
		.app = "shop",
		.environment = "pr-1",
		.env_type = env_type,
		.region = "eu-west-1",
		.account = "123456789012",
		.partition = "aws",
		.name_prefix = "shop-a1b2c3-pr-1",
		.types = cohd_resource_types,
	};
	struct cohd_rec_engine *e = NULL;

	ck_assert_int_eq(cohd_rec_engine_new(&rec_fake_ops, &cfg, &e), 0);
	return e;
}

static unsigned op_count(const char *op)
{
	const json_t *v;
	unsigned n = 0;
	size_t i;

	json_array_foreach (RF.mut_log, i, v)
		n += streq(str(v, "op"), op);
	return n;
}

static const json_t *mut_params(const char *op, unsigned nth)
{
	const json_t *v;
	size_t i;

	json_array_foreach (RF.mut_log, i, v)
		if (streq(str(v, "op"), op) && nth-- == 0)
			return json_object_get(v, "params");
	ck_abort_msg("no %s call", op);
	return NULL;
}

static const char *res_sync(const json_t *st, const char *id)
{
	const json_t *r;
	size_t i;

	json_array_foreach (json_object_get(st, "resources"), i, r)
		if (streq(str(r, "id"), id))
			return str(r, "sync");
	ck_abort_msg("%s not in status", id);
	return NULL;
}

/* ---- desired graph: shapes copied from compile_build.c, compile_data.c, compile_ecs.c ---- */

static struct cohd_resource *add(struct cohd_graph *g, const char *type, const char *id,
				 const char *name, json_t *props)
{
	struct cohd_resource *r = NULL;

	ck_assert_int_eq(cohd_graph_add(g, type, id, name, COHD_SCOPE_ENVIRONMENT, props, &r), 0);
	ck_assert_int_eq(cohd_resource_tag(r, "ManagedBy", "coherence"), 0);
	ck_assert_int_eq(cohd_resource_tag(r, "Application", "shop"), 0);
	ck_assert_int_eq(cohd_resource_tag(r, "Environment", "pr-1"), 0);
	ck_assert_int_eq(cohd_resource_tag(r, "cohd:id", id), 0);
	return r;
}

#define BUCKET "shop-a1b2c3-pr-1-uploads"
#define RULE "shop-a1b2c3-pr-1-api-nightly"

static struct cohd_graph *graph_build(void)
{
	struct cohd_graph *g = cohd_graph_new();

	ck_assert_ptr_nonnull(g);
	add(g, "s3.bucket", "env/pr-1/s3/uploads", BUCKET,
	    json_pack("{s:s, s:s, s:{s:b, s:b, s:b, s:b}, s:{s:[{s:{s:s}, s:b}]}, s:{s:s}, "
		      "s:{s:[{s:s, s:s, s:{s:s}, s:{s:i}}]}, s:{s:[{s:[s], s:[s, s], s:[s], "
		      "s:i}]}, s:{s:s, s:[{s:s, s:s, s:s, s:s, s:s}]}, s:b}",
		      "Bucket", BUCKET, "ObjectOwnership", "BucketOwnerEnforced",
		      "PublicAccessBlockConfiguration", "BlockPublicAcls", 1, "IgnorePublicAcls", 1,
		      "BlockPublicPolicy", 0, "RestrictPublicBuckets", 0,
		      "ServerSideEncryptionConfiguration", "Rules",
		      "ApplyServerSideEncryptionByDefault", "SSEAlgorithm", "aws:kms",
		      "BucketKeyEnabled", 1, "VersioningConfiguration", "Status", "Enabled",
		      "LifecycleConfiguration", "Rules", "ID", "old", "Status", "Enabled", "Filter",
		      "Prefix", "", "NoncurrentVersionExpiration", "NoncurrentDays", 30,
		      "CORSConfiguration", "CORSRules", "AllowedHeaders", "*", "AllowedMethods",
		      "GET", "PUT", "AllowedOrigins", "https://*.example.com", "MaxAgeSeconds",
		      3000, "Policy", "Version", "2012-10-17", "Statement", "Sid", "PublicRead",
		      "Effect", "Allow", "Principal", "*", "Action", "s3:GetObject", "Resource",
		      "arn:aws:s3:::" BUCKET "/*", "cohd:ForceDestroy", 1));
	add(g, "ecr.repository", "app/ecr/api", "shop-a1b2c3-api",
	    json_pack("{s:s, s:s, s:{s:b}, s:{s:s}, s:{s:[{s:i, s:s, s:{s:s, s:s, s:i}, "
		      "s:{s:s}}]}}",
		      "repositoryName", "shop-a1b2c3-api", "imageTagMutability", "MUTABLE",
		      "imageScanningConfiguration", "scanOnPush", 1, "encryptionConfiguration",
		      "encryptionType", "KMS", "lifecyclePolicyText", "rules", "rulePriority", 1,
		      "description", "keep 100", "selection", "tagStatus", "any", "countType",
		      "imageCountMoreThan", "countNumber", 100, "action", "type", "expire"));
	add(g, "codebuild.project", "env/pr-1/codebuild/build", "shop-a1b2c3-pr-1-build",
	    json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}, s:{s:s, s:s, s:s, s:b, s:[{s:s, s:s, "
		      "s:s}]}, s:s, s:i, s:i, s:s, s:{s:{s:s}}}",
		      "name", "shop-a1b2c3-pr-1-build", "description", "cohd: build", "source",
		      "type", "CODEPIPELINE", "buildspec", "version: 0.2\n", "artifacts", "type",
		      "CODEPIPELINE", "environment", "type", "LINUX_CONTAINER", "image",
		      "aws/codebuild/standard:7.0", "computeType", "BUILD_GENERAL1_MEDIUM",
		      "privilegedMode", 1, "environmentVariables", "name", "ECR_REGISTRY", "value",
		      "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "type", "PLAINTEXT",
		      "serviceRole", "arn:aws:iam::123456789012:role/cohd/shop-a1b2c3-build",
		      "timeoutInMinutes", 20, "queuedTimeoutInMinutes", 60, "encryptionKey",
		      "alias/aws/s3", "logsConfig", "cloudWatchLogs", "status", "ENABLED"));
	add(g, "codepipeline.pipeline", "env/pr-1/pipeline", "shop-a1b2c3-pr-1",
	    json_pack("{s:{s:s, s:s, s:{s:s, s:o}, s:s, s:[{s:s, s:[{s:s, s:{s:s, s:s, s:s, "
		      "s:s}, s:{s:o, s:s}, s:[{s:s}]}]}, {s:s, s:[{s:s, s:{s:s, s:s, s:s, s:s}, "
		      "s:{s:o}, s:[{s:s}]}]}]}}",
		      "pipeline", "name", "shop-a1b2c3-pr-1", "roleArn",
		      "arn:aws:iam::123456789012:role/cohd/shop-a1b2c3-pipeline", "artifactStore",
		      "type", "S3", "location", cohd_ref("env/pr-1/s3/uploads", "Bucket"),
		      "pipelineType", "V2", "stages", "name", "Source", "actions", "name", "Source",
		      "actionTypeId", "category", "Source", "owner", "AWS", "provider", "S3",
		      "version", "1", "configuration", "S3Bucket",
		      cohd_ref("env/pr-1/s3/uploads", "Bucket"), "S3ObjectKey", "pr-1/source.zip",
		      "outputArtifacts", "name", "source", "name", "Build", "actions", "name",
		      "Build", "actionTypeId", "category", "Build", "owner", "AWS", "provider",
		      "CodeBuild", "version", "1", "configuration", "ProjectName",
		      cohd_ref("env/pr-1/codebuild/build", "name"), "inputArtifacts", "name",
		      "source"));
	add(g, "events.rule", "svc/api/task/nightly/rule", RULE,
	    json_pack("{s:s, s:s, s:s, s:s}", "Name", RULE, "ScheduleExpression",
		      "cron(30 2 ? * 2-6 *)", "State", "ENABLED", "Description", "cohd: nightly"));
	add(g, "events.target", "svc/api/task/nightly/target", RULE "/task",
	    json_pack("{s:o, s:[{s:s, s:s, s:s, s:{s:s, s:i, s:s, s:s, s:{s:{s:[s, s], "
		      "s:[s, s], s:s}}}}]}",
		      "Rule", cohd_ref("svc/api/task/nightly/rule", "Name"), "Targets", "Id",
		      "task", "Arn", "arn:aws:ecs:eu-west-1:123456789012:cluster/shop-a1b2c3",
		      "RoleArn", "arn:aws:iam::123456789012:role/cohd/shop-a1b2c3-events",
		      "EcsParameters", "TaskDefinitionArn",
		      "arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-nightly:3",
		      "TaskCount", 1, "LaunchType", "FARGATE", "PlatformVersion", "LATEST",
		      "NetworkConfiguration", "awsvpcConfiguration", "Subnets", "subnet-2",
		      "subnet-1", "SecurityGroups", "sg-2", "sg-1", "AssignPublicIp", "DISABLED"));
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	return g;
}

static const char *const ids[] = {"env/pr-1/s3/uploads",       "app/ecr/api",
				  "env/pr-1/codebuild/build",  "env/pr-1/pipeline",
				  "svc/api/task/nightly/rule", "svc/api/task/nightly/target"};

START_TEST(test_converge_from_nothing)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_build();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL, *st2 = NULL, *st3 = NULL;
	const json_t *p, *b;

	world_init();
	e = engine(2);
	/* Pass 1: everything, in one pass (the pipeline and the target refer to what the
	 * bucket, project and rule creates answered). */
	rec_fake_run_pass(e, g, &st);
	if (getenv("DEBUG_STATUS"))
		json_dumpf(st, stderr, JSON_INDENT(1));
	for (size_t i = 0; i < ELEMENTSOF(ids); i++)
		ck_assert_str_eq(res_sync(st, ids[i]), "synced");

	/* S3: the bucket with its ownership, then the tags, then each setting once */
	p = mut_params("CreateBucket", 0);
	ck_assert_str_eq(str(p, "ObjectOwnership"), "BucketOwnerEnforced");
	ck_assert_ptr_null(json_object_get(p, "PublicAccessBlockConfiguration"));
	ck_assert_ptr_null(json_object_get(p, "cohd:ForceDestroy"));
	ck_assert_str_eq(
		tag_of(cohd_rec_json_path(mut_params("PutBucketTagging", 0), "Tagging.TagSet"),
		       "cohd:id"),
		"env/pr-1/s3/uploads");
	ck_assert_uint_eq(op_count("PutBucketOwnershipControls"), 0); /* the create set it */
	ck_assert_uint_eq(op_count("PutBucketEncryption"), 1);
	ck_assert_uint_eq(op_count("PutBucketVersioning"), 1);
	ck_assert_uint_eq(op_count("PutBucketLifecycleConfiguration"), 1);
	ck_assert_uint_eq(op_count("PutBucketCors"), 1);
	/* the public policy goes after the block that allows it, in one action */
	ck_assert_uint_eq(op_count("PutPublicAccessBlock"), 2);
	ck_assert(json_is_string(json_object_get(mut_params("PutBucketPolicy", 0), "Policy")));
	/* ECR: tags on create, the lifecycle policy as text right after */
	p = mut_params("CreateRepository", 0);
	ck_assert_str_eq(tag_of(json_object_get(p, "tags"), "cohd:id"), "app/ecr/api");
	ck_assert_ptr_null(json_object_get(p, "lifecyclePolicyText"));
	ck_assert_uint_eq(op_count("PutLifecyclePolicy"), 1);
	/* CodeBuild: tags in the project */
	p = mut_params("CreateProject", 0);
	ck_assert_str_eq(tag_of(json_object_get(p, "tags"), "cohd:id"), "env/pr-1/codebuild/build");
	/* CodePipeline: the bucket's name from the create's Location; no pipelineType */
	p = mut_params("CreatePipeline", 0);
	ck_assert_str_eq(str(cohd_rec_json_path(p, "pipeline.artifactStore"), "location"), BUCKET);
	ck_assert_ptr_null(cohd_rec_json_path(p, "pipeline.pipelineType"));
	ck_assert_str_eq(str(json_array_get(json_object_get(p, "tags"), 0), "key"), "ManagedBy");
	/* EventBridge: the rule with its tags, the target on it */
	ck_assert_str_eq(tag_of(json_object_get(mut_params("PutRule", 0), "Tags"), "cohd:id"),
			 "svc/api/task/nightly/rule");
	ck_assert_str_eq(str(mut_params("PutTargets", 0), "Rule"), RULE);
	b = json_object_get(W.buckets, BUCKET);
	ck_assert_ptr_nonnull(cohd_rec_json_path(b, "cfg.CORSConfiguration.CORSRules"));

	/* Pass 2: nothing more. */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st2), 0);
	if (getenv("DEBUG_STATUS"))
		json_dumpf(st2, stderr, JSON_INDENT(1));
	for (size_t i = 0; i < ELEMENTSOF(ids); i++)
		ck_assert_str_eq(res_sync(st2, ids[i]), "synced");

	/* Pass 3: nothing either; tags come from the cache: the bucket's settings and the
	 * targets and lifecycle policy are the only per-item reads. */
	json_array_clear(RF.log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st3), 0);
	ck_assert_str_eq(str(st3, "sync"), "synced");
	world_done();
}
END_TEST

START_TEST(test_drift_corrected)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_build();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_t *b, *r, *pr, *pl;
	const json_t *p, *set;

	world_init();
	e = engine(2);
	rec_fake_run_pass(e, g, NULL);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);

	/* By hand: CORS deleted, encryption changed, a tag of someone else's added to the
	 * bucket; the schedule changed; the targets removed; tag mutability; the build
	 * project's timeout and variables; the pipeline's stages. */
	b = json_object_get(W.buckets, BUCKET);
	json_object_del(json_object_get(b, "cfg"), "CORSConfiguration");
	json_object_set_new(json_object_get(b, "cfg"), "ServerSideEncryptionConfiguration",
			    json_pack("{s:[{s:{s:s}}]}", "Rules",
				      "ApplyServerSideEncryptionByDefault", "SSEAlgorithm",
				      "AES256"));
	json_array_append_new(json_object_get(b, "tags"),
			      json_pack("{s:s, s:s}", "Key", "Owner", "Value", "alice"));
	r = find_by(W.rules, "Name", RULE);
	json_object_set_new(r, "ScheduleExpression", json_string("rate(5 minutes)"));
	json_array_clear(json_object_get(W.targets, RULE));
	json_object_set_new(json_array_get(W.repos, 0), "imageTagMutability",
			    json_string("IMMUTABLE"));
	pr = json_array_get(W.projects, 0);
	json_object_set_new(pr, "timeoutInMinutes", json_integer(33));
	json_array_clear(cohd_rec_json_path(pr, "environment.environmentVariables"));
	pl = json_object_get(W.pipelines, "shop-a1b2c3-pr-1");
	json_array_remove(cohd_rec_json_path(pl, "pipeline.stages"), 1);
	json_array_clear(RF.mut_log);

	/* PutBucketCors, PutBucketEncryption, PutRule, PutTargets, PutImageTagMutability,
	 * UpdateProject (both fields in one), UpdatePipeline */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 7);
	ck_assert_uint_eq(op_count("PutBucketCors"), 1);
	ck_assert_uint_eq(op_count("PutBucketEncryption"), 1);
	ck_assert_uint_eq(op_count("PutBucketTagging"), 0); /* their tag is no drift of ours */
	p = mut_params("PutRule", 0);
	ck_assert_str_eq(str(p, "ScheduleExpression"), "cron(30 2 ? * 2-6 *)");
	ck_assert_str_eq(str(p, "Description"), "cohd: nightly"); /* PutRule resets the rest */
	ck_assert_ptr_null(json_object_get(p, "Tags"));
	ck_assert_uint_eq(op_count("PutTargets"), 1);
	ck_assert_str_eq(str(mut_params("PutImageTagMutability", 0), "imageTagMutability"),
			 "MUTABLE");
	p = mut_params("UpdateProject", 0);
	ck_assert_int_eq(json_integer_value(json_object_get(p, "timeoutInMinutes")), 20);
	ck_assert_ptr_nonnull(json_object_get(p, "environment"));
	ck_assert_ptr_null(json_object_get(p, "source")); /* not drifted */
	p = mut_params("UpdatePipeline", 0);
	ck_assert_uint_eq(json_array_size(cohd_rec_json_path(p, "pipeline.stages")), 2);
	ck_assert_ptr_null(cohd_rec_json_path(p, "pipeline.pipelineType"));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);

	/* Our Environment tag changed on the bucket: PutBucketTagging replaces the whole set,
	 * so Alice's tag is sent back with ours. */
	json_object_set_new(find_by(json_object_get(b, "tags"), "Key", "Environment"), "Value",
			    json_string("staging"));
	json_array_clear(RF.mut_log);
	/* tags read before matching are cached: forget them by running enough passes */
	for (int i = 0; i < 12 && op_count("PutBucketTagging") == 0; i++)
		rec_fake_run_pass(e, g, NULL);
	set = cohd_rec_json_path(mut_params("PutBucketTagging", 0), "Tagging.TagSet");
	ck_assert_str_eq(tag_of(set, "Environment"), "pr-1");
	ck_assert_str_eq(tag_of(set, "Owner"), "alice");
	ck_assert_str_eq(tag_of(set, "cohd:id"), "env/pr-1/s3/uploads");
	world_done();
}
END_TEST

/* A bucket of ours whose create answer was lost and that got no tags: the create's
 * BucketAlreadyOwnedByYou means it is ours; it gets the tags and the settings. */
START_TEST(test_bucket_already_owned)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_build();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;

	world_init();
	json_object_set_new(W.buckets, BUCKET, json_pack("{s:{}}", "cfg"));
	e = engine(2);
	rec_fake_run_pass(e, g, &st);
	ck_assert_str_eq(res_sync(st, "env/pr-1/s3/uploads"), "synced");
	ck_assert_uint_eq(op_count("CreateBucket"), 1);
	ck_assert_uint_eq(op_count("PutBucketTagging"), 1);
	ck_assert_uint_eq(op_count("PutBucketCors"), 1);
	/* Pass 2: the ownership the ignored create did not set, and the pipeline, which waited
	 * for the bucket's name (no create answer to read it from). */
	json_array_clear(RF.mut_log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 2);
	ck_assert_uint_eq(op_count("PutBucketOwnershipControls"), 1);
	ck_assert_uint_eq(op_count("CreatePipeline"), 1);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	world_done();
}
END_TEST

/* Gone from the graph: the target before its rule; a non-empty force-destroy bucket gets the
 * expire-everything rule before DeleteBucket (refused until S3 has emptied it). */
START_TEST(test_delete)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_build();
	_cleanup_(cohd_graph_freep) struct cohd_graph *empty = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	const json_t *v;
	int remove_at = -1, delete_at = -1;
	size_t i;

	world_init();
	e = engine(2); /* preview: no confirmation */
	rec_fake_run_pass(e, g, NULL);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	json_object_set_new(json_object_get(W.buckets, BUCKET), "objects", json_true());
	ck_assert_int_eq(cohd_graph_finalize(empty, NULL), 0);
	json_array_clear(RF.mut_log);
	for (int k = 0; k < 4; k++) {
		json_auto_t *st = NULL;

		rec_fake_run_pass(e, empty, &st);
		if (getenv("DEBUG_STATUS"))
			json_dumpf(st, stderr, JSON_INDENT(1));
	}
	if (getenv("DEBUG_STATUS"))
		json_dumpf(RF.mut_log, stderr, JSON_INDENT(1));
	json_array_foreach (RF.mut_log, i, v) {
		if (streq(str(v, "op"), "RemoveTargets") && remove_at < 0)
			remove_at = (int)i;
		if (streq(str(v, "op"), "DeleteRule") && delete_at < 0)
			delete_at = (int)i;
	}
	ck_assert_int_ge(remove_at, 0);
	ck_assert_int_gt(delete_at, remove_at);
	ck_assert_uint_eq(json_array_size(W.rules), 0);
	ck_assert_uint_eq(json_array_size(W.repos), 0);
	ck_assert_uint_eq(json_array_size(W.projects), 0);
	ck_assert_uint_eq(json_object_size(W.pipelines), 0);
	ck_assert_uint_ge(op_count("PutBucketLifecycleConfiguration"), 1);
	ck_assert_str_eq(str(cohd_rec_json_path(mut_params("PutBucketLifecycleConfiguration", 0),
						"LifecycleConfiguration.Rules.0"),
			     "ID"),
			 "cohd-empty-before-delete");
	ck_assert_uint_eq(json_object_size(W.buckets), 0);
	world_done();
}
END_TEST

/* What AWS fills in compares equal to what the compiler wrote. */
START_TEST(test_normalisers)
{
	const struct cohd_rec_type *cb = &cohd_resource_codebuild_project;
	const struct cohd_rec_type *tg = &cohd_resource_events_target;
	const struct cohd_rec_type *s3 = &cohd_resource_s3_bucket;
	json_auto_t *a = NULL, *b = NULL, *na = NULL, *nb = NULL;

	for (size_t i = 0; i < cb->n_fields; i++)
		if (streq(cb->fields[i].path, "encryptionKey")) {
			a = json_string("arn:aws:kms:eu-west-1:123456789012:alias/aws/s3");
			na = cb->fields[i].normalise(a);
			ck_assert_str_eq(json_string_value(na), "alias/aws/s3");
			json_decref(a);
			json_decref(na);
			a = json_string("arn:aws:kms:eu-west-1:123456789012:key/abc");
			na = cb->fields[i].normalise(a);
			ck_assert_str_eq(json_string_value(na), json_string_value(a));
			json_decref(a);
			json_decref(na);
			a = na = NULL;
		}
	a = json_pack("[{s:s, s:{s:s, s:{s:{s:[s, s], s:[s]}}}}]", "Id", "task", "EcsParameters",
		      "LaunchType", "FARGATE", "NetworkConfiguration", "awsvpcConfiguration",
		      "Subnets", "subnet-2", "subnet-1", "SecurityGroups", "sg-1");
	b = json_pack("[{s:s, s:{s:s, s:i, s:b, s:b, s:{s:{s:[s, s], s:[s], s:s}}}}]", "Id", "task",
		      "EcsParameters", "LaunchType", "FARGATE", "TaskCount", 1,
		      "EnableECSManagedTags", 0, "EnableExecuteCommand", 0, "NetworkConfiguration",
		      "awsvpcConfiguration", "Subnets", "subnet-1", "subnet-2", "SecurityGroups",
		      "sg-1", "AssignPublicIp", "DISABLED");
	na = tg->fields[1].normalise(a);
	nb = tg->fields[1].normalise(b);
	ck_assert(json_equal(na, nb));
	json_decref(a);
	json_decref(b);
	json_decref(na);
	json_decref(nb);
	/* S3 SSE: BucketKeyEnabled false when not given */
	a = json_pack("{s:[{s:{s:s}}]}", "Rules", "ApplyServerSideEncryptionByDefault",
		      "SSEAlgorithm", "AES256");
	b = json_pack("{s:[{s:{s:s}, s:b}]}", "Rules", "ApplyServerSideEncryptionByDefault",
		      "SSEAlgorithm", "AES256", "BucketKeyEnabled", 0);
	na = s3->fields[2].normalise(a);
	nb = s3->fields[2].normalise(b);
	ck_assert(json_equal(na, nb));
}
END_TEST

static Suite *resources_build_suite(void)
{
	Suite *s = suite_create("resources_build");
	const struct {
		const char *name;
		const TTest *fn;
	} cases[] = {
		{"builders_serialize", test_builders_serialize},
		{"converge", test_converge_from_nothing},
		{"drift", test_drift_corrected},
		{"bucket_already_owned", test_bucket_already_owned},
		{"delete", test_delete},
		{"normalisers", test_normalisers},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_test(tc, cases[i].fn);
		tcase_set_timeout(tc, 60);
		suite_add_tcase(s, tc);
	}
	return s;
}

COHD_TEST_MAIN(resources_build_suite)
