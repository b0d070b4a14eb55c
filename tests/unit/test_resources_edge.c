/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the edge resource types (lib/resources: cloudfront.distribution,
 * cloudfront.cache_policy, cloudfront.origin_request_policy,
 * cloudfront.response_headers_policy, lambda.function) and the deterministic zip of the Zip
 * placeholder (lambda_zip.c):
 *   - every params document the types build, from what the real compiler emits for the golden
 *     apps with a frontend in every environment type (and the real app whose frontend has CORS
 *     rules: its response headers policy), serialises against the embedded botocore model
 *     (create, each field's update, tag, untag, delete in its steps, details, observe);
 *   - observe parsing: a function's versions -> $LATEST + VersionArn + Published; a policy's list
 *     entry and Get answer -> {Id, Config, ETag};
 *   - the diff: a distribution as AWS returns it (defaults filled in, methods reordered, empty
 *     lists spelled out) matches its desired configuration, a changed Comment is the one drift;
 *     a function's CodeSha256 against the zip of its source;
 *   - a response headers policy driven through the engine against a fake CloudFront: created,
 *     left alone, a drift corrected by one Update with If-Match, deleted (after InUse) once it
 *     leaves the file.
 * No network, no database, no libuv.
 */
#include <jansson.h>
#include <openssl/evp.h>

#include "lib/config/app.h"
#include "lib/model/compile.h"
#include "lib/reconcile/diff.h"
#include "lib/reconcile/reconcile.h"
#include "lib/resources/resources.h"
#include "compile_app.h"
#include "rec_fake.h"
#include "test.h"

static const struct cohd_rec_type *const my_types[] = {
	&cohd_resource_cloudfront_distribution,
	&cohd_resource_cloudfront_cache_policy,
	&cohd_resource_cloudfront_origin_request_policy,
	&cohd_resource_cloudfront_response_headers_policy,
	&cohd_resource_lambda_function,
	NULL,
};

static const struct cohd_rec_type *my_type(const char *name)
{
	for (size_t i = 0; my_types[i]; i++)
		if (streq(my_types[i]->name, name))
			return my_types[i];
	return NULL;
}

/* ---- the zip ---- */

START_TEST(test_zip_deterministic)
{
	json_auto_t *a = json_pack("{s:s, s:s}", "index.js", "exports.handler = 1;\n", "lib/x.js",
				   "module.exports = 2;\n");
	json_auto_t *b = json_pack("{s:s, s:s}", "lib/x.js", "module.exports = 2;\n", "index.js",
				   "exports.handler = 1;\n");
	json_auto_t *c = json_pack("{s:s}", "index.js", "exports.handler = 3;\n");
	json_auto_t *empty = json_object();
	_cleanup_free_ unsigned char *za = NULL, *zb = NULL;
	_cleanup_free_ char *sha_a = NULL, *sha_b = NULL, *sha_c = NULL, *want = NULL;
	unsigned char md[32], *tmp = NULL;
	size_t na, nb, n;

	ck_assert_int_eq(cohd_lambda_zip_build(a, &za, &na), 0);
	ck_assert_int_eq(cohd_lambda_zip_build(b, &zb, &nb), 0);
	/* the same files, in any order, give the same bytes */
	ck_assert_uint_eq(na, nb);
	ck_assert_int_eq(memcmp(za, zb, na), 0);
	ck_assert_int_eq(memcmp(za, "PK\3\4", 4), 0);
	/* stored, so both files' contents are in the archive as they are */
	ck_assert_ptr_nonnull(memmem(za, na, "exports.handler = 1;\n", 21));
	/* CodeSha256: base64 of the SHA-256 of the bytes */
	ck_assert_int_eq(EVP_Digest(za, na, md, NULL, EVP_sha256(), NULL), 1);
	want = calloc(1, 45);
	EVP_EncodeBlock((unsigned char *)want, md, 32);
	sha_a = cohd_lambda_zip_sha256(a);
	sha_b = cohd_lambda_zip_sha256(b);
	sha_c = cohd_lambda_zip_sha256(c);
	ck_assert_str_eq(sha_a, want);
	ck_assert_str_eq(sha_a, sha_b);
	ck_assert_str_ne(sha_a, sha_c);
	ck_assert_int_eq(cohd_lambda_zip_build(empty, &tmp, &n), -EINVAL);
	ck_assert_ptr_null(cohd_lambda_zip_sha256(empty));
}
END_TEST

/* ---- builders against the real model, from the real compiler's output ---- */

static json_t *fake_attrs; /* logical id -> attributes made up for every referenced one */

static int collect_ref(const char *id, const char *attr, void *u)
{
	json_t *o = json_object_get(fake_attrs, id);
	char v[512];

	if (!o) {
		o = json_object();
		json_object_set_new(fake_attrs, id, o);
	}
	if (streq(attr, "VersionArn"))
		snprintf(v, sizeof v, "arn:aws:lambda:us-east-1:123456789012:function:f:3");
	else if (strstr(attr, "Arn") || strstr(attr, "ARN"))
		snprintf(v, sizeof v, "arn:aws:svc:us-east-1:123456789012:thing/%s", id);
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

/* The generate port as the daemon has it for Zip (daemon/cohd/zip.c): the archive's bytes. */
static int gen(void *u, const char *id, const json_t *ph, json_t **ret)
{
	_cleanup_free_ unsigned char *zip = NULL;
	size_t n;

	if (!json_object_get(ph, "Zip")) {
		*ret = json_object_get(ph, "Allocate") ? json_integer(7) : json_string("s3cr3t");
		return 0;
	}
	ck_assert_int_eq(cohd_lambda_zip_build(json_object_get(ph, "Zip"), &zip, &n), 0);
	*ret = json_stringn_nocheck((const char *)zip, n);
	return 0;
}

/* A builder's result: the params of op, or a sequence of calls [{Operation, Params}]. */
static void check_call_or_steps(const char *service, const char *op, const json_t *params,
				const char *what)
{
	const json_t *st;
	size_t i;

	if (!json_is_array(params)) {
		rec_fake_check_serialises(service, op, params, what);
		return;
	}
	json_array_foreach (params, i, st)
		rec_fake_check_serialises(service,
					  json_string_value(json_object_get(st, "Operation")),
					  json_object_get(st, "Params"), what);
}

/* What observe would have made of the resource: the desired values, plus what AWS adds. */
static json_t *live_attrs_for(const struct cohd_rec_type *t, const json_t *props)
{
	json_t *a = json_deep_copy(props);

	if (t == &cohd_resource_cloudfront_distribution) {
		json_t *cfg = json_deep_copy(json_object_get(props, "DistributionConfig"));

		json_object_set_new(cfg, "CallerReference", json_string("tok-1"));
		json_object_set_new(a, "Config",
				    json_pack("{s:o, s:s}", "DistributionConfig", cfg, "ETag",
					      "E2QWRUHAPOMQZL"));
		json_object_set_new(a, "ARN",
				    json_string("arn:aws:cloudfront::123456789012:"
						"distribution/EDFDVBD6EXAMPLE"));
		json_object_set_new(a, "Status", json_string("Deployed"));
	} else if (t == &cohd_resource_lambda_function)
		json_object_set_new(
			a, "FunctionArn",
			json_string("arn:aws:lambda:us-east-1:123456789012:function:f"));
	else
		json_object_set_new(a, "ETag", json_string("E3UN6WX5RRO2AG"));
	return a;
}

static void check_resource(const struct cohd_rec_type *t, const struct cohd_resource *res,
			   const char *env_type)
{
	struct cohd_rec_resolve_ctx rc = {.account = "123456789012",
					  .partition = "aws",
					  .image_tag = "v1",
					  .attrs = attrs_of,
					  .generate = gen,
					  .self = res->id};
	json_auto_t *props = NULL, *params = NULL, *live_attrs = NULL;
	json_auto_t *token = json_string("tok00000000000000000000000000001");
	const struct cohd_resource *wanted[] = {res};
	const json_t *wanted_props[1] = {NULL};
	struct cohd_rec_observe_ctx octx = {.app = "shop",
					    .environment = "production",
					    .region = "eu-west-1",
					    .name_prefix = res->name,
					    .wanted = wanted,
					    .props = wanted_props,
					    .n_wanted = 1};
	struct cohd_rec_item live = {.physical_id = (char *)"ID-OR-NAME"};
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
	ctx.token = t->token_member ? token : NULL;

	snprintf(what, sizeof what, "%s %s create", t->name, res->id);
	ck_assert_int_eq((t->create_params ?: cohd_rec_default_create_params)(&ctx, &params), 0);
	rec_fake_check_serialises(t->service, t->create_op, params, what);
	json_decref(params);
	params = NULL;

	live_attrs = live_attrs_for(t, props);
	live.attrs = live_attrs;
	ctx.live = &live;
	ctx.token = NULL;
	for (size_t i = 0; i < t->n_fields; i++) {
		const struct cohd_rec_field *f = &t->fields[i];
		const char *fields[] = {f->path};
		cohd_rec_update_fn fn = f->update_params ?: t->update_params;

		if ((f->flags & (COHD_REC_F_REPLACE | COHD_REC_F_OBSERVE_ONLY)) ||
		    !cohd_rec_json_path(res->properties, f->path))
			continue;
		snprintf(what, sizeof what, "%s %s update %s", t->name, res->id, f->path);
		ck_assert_ptr_nonnull(fn);
		ck_assert_int_eq(fn(&ctx, fields, 1, &params), 0);
		ck_assert(!json_is_array(params) || json_array_size(params) > 0);
		check_call_or_steps(t->service, f->update_op ?: t->update_op, params, what);
		json_decref(params);
		params = NULL;
	}
	if (t->tag_op) {
		snprintf(what, sizeof what, "%s %s tag", t->name, res->id);
		ck_assert_int_eq(t->tag_params(&ctx, &params), 0);
		rec_fake_check_serialises(t->service, t->tag_op, params, what);
		json_decref(params);
		params = NULL;
		ck_assert_int_eq(t->untag_params(&ctx, &params), 0);
		rec_fake_check_serialises(t->service, t->untag_op, params, what);
		json_decref(params);
		params = NULL;
	}
	snprintf(what, sizeof what, "%s %s delete", t->name, res->id);
	ck_assert_int_eq(t->delete_params ? t->delete_params(&ctx, &params) : 0, 0);
	if (!t->delete_params)
		params = json_pack("{s:s}", t->id_member, live.physical_id);
	check_call_or_steps(t->service, t->delete_op, params, what);
	json_decref(params);
	params = NULL;
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
	rec_fake_check_serialises(t->service, t->describe_op, params, what);
	json_decref(params);
	params = NULL;
	if (t->by_id_params) {
		ck_assert_int_eq(t->by_id_params(&ctx, &params), 0);
		rec_fake_check_serialises(t->service, t->describe_op, params, what);
	}
}

START_TEST(test_builders_serialize)
{
	static const char *const files[] = {"plans/backend-frontend.yml", "plans/frontend-only.yml",
					    "plans/custom-domain.yml",
					    /* a frontend with CORS rules: a response headers policy */
					    "real-apps/ExiqonBot__LionBotv2__coherence.yml"};
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
				/* Lambda@Edge lives in us-east-1 whatever the app's region */
				if (t == &cohd_resource_lambda_function)
					ck_assert_str_eq(res->region, "us-east-1");
			}
			json_decref(fake_attrs);
			fake_attrs = NULL;
		}
	for (size_t k = 0; my_types[k]; k++)
		ck_assert_msg(seen[k] > 0, "no golden app compiles to a %s", my_types[k]->name);
}
END_TEST

/* ---- the distribution's delete: disable, wait for Deployed, delete ---- */

START_TEST(test_distribution_delete_steps)
{
	const struct cohd_rec_type *t = &cohd_resource_cloudfront_distribution;
	json_auto_t *attrs = json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:b, s:s}}}", "ARN",
				       "arn:aws:cloudfront::1:distribution/E1", "Status",
				       "Deployed", "Config", "ETag", "ETAG1", "DistributionConfig",
				       "CallerReference", "tok", "Enabled", true, "Comment", "x");
	struct cohd_rec_item live = {.physical_id = (char *)"E1", .attrs = attrs};
	struct cohd_rec_type_ctx ctx = {.type = t, .live = &live};
	json_t *params = NULL, *st;

	/* enabled: one step, UpdateDistribution with Enabled=false and the ETag */
	ck_assert_int_eq(t->delete_params(&ctx, &params), 0);
	ck_assert(json_is_array(params));
	ck_assert_uint_eq(json_array_size(params), 1);
	st = json_array_get(params, 0);
	ck_assert_str_eq(json_string_value(json_object_get(st, "Operation")), "UpdateDistribution");
	ck_assert_str_eq(json_string_value(cohd_rec_json_path(st, "Params.IfMatch")), "ETAG1");
	ck_assert(json_is_false(cohd_rec_json_path(st, "Params.DistributionConfig.Enabled")));
	ck_assert_str_eq(json_string_value(cohd_rec_json_path(
				 st, "Params.DistributionConfig.CallerReference")),
			 "tok");
	json_decref(params);

	/* disabled, still deploying: nothing yet */
	json_object_set_new(
		json_object_get(cohd_rec_json_path(attrs, "Config"), "DistributionConfig"),
		"Enabled", json_false());
	json_object_set_new(attrs, "Status", json_string("InProgress"));
	ck_assert_int_eq(t->delete_params(&ctx, &params), 0);
	ck_assert(json_is_array(params));
	ck_assert_uint_eq(json_array_size(params), 0);
	json_decref(params);

	/* disabled and deployed: DeleteDistribution with If-Match */
	json_object_set_new(attrs, "Status", json_string("Deployed"));
	ck_assert_int_eq(t->delete_params(&ctx, &params), 0);
	ck_assert_str_eq(json_string_value(json_object_get(params, "IfMatch")), "ETAG1");
	ck_assert_str_eq(json_string_value(json_object_get(params, "Id")), "E1");
	rec_fake_check_serialises("cloudfront", "DeleteDistribution", params, "delete");
	json_decref(params);

	/* configuration not read (an orphan: no details): nothing can be sent */
	json_object_del(attrs, "Config");
	ck_assert_int_eq(t->delete_params(&ctx, &params), 0);
	ck_assert_uint_eq(json_array_size(params), 0);
	json_decref(params);
}
END_TEST

/* ---- observe parsing ---- */

START_TEST(test_lambda_project)
{
	const struct cohd_rec_type *t = &cohd_resource_lambda_function;
	const char *base = "arn:aws:lambda:us-east-1:123456789012:function:shop-spa";
	json_auto_t *raw = json_pack(
		"{s:[{s:s, s:s, s:s, s:s, s:i, s:s}, {s:s, s:s, s:s, s:s, s:i, s:s},"
		" {s:s, s:s, s:s, s:s, s:i, s:s}], s:{s:s}}",
		"Versions", "FunctionName", "shop-spa", "FunctionArn",
		"arn:aws:lambda:us-east-1:123456789012:function:shop-spa:$LATEST", "Version",
		"$LATEST", "CodeSha256", "SHA-B", "Timeout", 5, "State", "Active", "FunctionName",
		"shop-spa", "FunctionArn",
		"arn:aws:lambda:us-east-1:123456789012:function:shop-spa:1", "Version", "1",
		"CodeSha256", "SHA-A", "Timeout", 5, "State", "Active", "FunctionName", "shop-spa",
		"FunctionArn", "arn:aws:lambda:us-east-1:123456789012:function:shop-spa:2",
		"Version", "2", "CodeSha256", "SHA-B", "Timeout", 5, "State", "Active", "Tags",
		"cohd:id", "x");
	json_auto_t *o = t->project(raw), *created = NULL, *c = NULL, *none = NULL;

	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "FunctionArn")), base);
	ck_assert_str_eq(json_string_value(json_object_get(o, "VersionArn")),
			 "arn:aws:lambda:us-east-1:123456789012:function:shop-spa:2");
	ck_assert_str_eq(json_string_value(json_object_get(o, "CodeSha256")), "SHA-B");
	ck_assert(json_is_true(json_object_get(o, "Published")));
	ck_assert_str_eq(json_string_value(cohd_rec_json_path(o, "Tags.cohd:id")), "x");
	json_decref(o);

	/* $LATEST changed since the newest version: not published */
	json_object_set_new(json_array_get(json_object_get(raw, "Versions"), 0), "Timeout",
			    json_integer(9));
	o = t->project(raw);
	ck_assert(json_is_false(json_object_get(o, "Published")));

	/* a create's answer (Publish=true): version 1 */
	created = json_pack("{s:s, s:s, s:s, s:s}", "FunctionName", "shop-spa", "FunctionArn", base,
			    "Version", "1", "State", "Pending");
	c = t->project(created);
	ck_assert_str_eq(json_string_value(json_object_get(c, "VersionArn")),
			 "arn:aws:lambda:us-east-1:123456789012:function:shop-spa:1");
	ck_assert_str_eq(json_string_value(json_object_get(c, "FunctionArn")), base);

	/* no $LATEST in the answer: nothing there */
	none = json_pack("{s:[]}", "Versions");
	ck_assert_ptr_null(t->project(none));
}
END_TEST

START_TEST(test_policy_project_update)
{
	const struct cohd_rec_type *t = &cohd_resource_cloudfront_cache_policy;
	json_auto_t *entry =
		json_pack("{s:s, s:{s:s, s:{s:s, s:i}}}", "Type", "custom", "CachePolicy", "Id",
			  "p-1", "CachePolicyConfig", "Name", "shop-abc123-frontend", "MinTTL", 0);
	json_auto_t *o = t->project(entry), *props = NULL, *params = NULL;
	struct cohd_rec_item live = {.physical_id = (char *)"p-1"};
	struct cohd_rec_type_ctx ctx = {.type = t, .live = &live};
	const char *fields[] = {"CachePolicyConfig.MinTTL"};

	ck_assert_str_eq(json_string_value(json_object_get(o, "Id")), "p-1");
	ck_assert_str_eq(json_string_value(cohd_rec_json_path(o, "CachePolicyConfig.Name")),
			 "shop-abc123-frontend");
	/* without the ETag (GetCachePolicy not read) nothing can be sent */
	props = json_pack("{s:{s:s, s:i}}", "CachePolicyConfig", "Name", "shop-abc123-frontend",
			  "MinTTL", 1);
	ctx.props = props;
	live.attrs = o;
	ck_assert_int_eq(t->update_params(&ctx, fields, 1, &params), 0);
	ck_assert_uint_eq(json_array_size(params), 0);
	json_decref(params);
	json_object_set_new(o, "ETag", json_string("E1"));
	ck_assert_int_eq(t->update_params(&ctx, fields, 1, &params), 0);
	ck_assert_str_eq(json_string_value(json_object_get(params, "IfMatch")), "E1");
	ck_assert_str_eq(json_string_value(json_object_get(params, "Id")), "p-1");
	rec_fake_check_serialises("cloudfront", "UpdateCachePolicy", params, "update");
}
END_TEST

/* ---- the diff ---- */

static const struct cohd_rec_accept no_rules = {0};

static const struct cohd_rec_field_diff *field(const struct cohd_rec_res_diff *d, const char *path)
{
	for (size_t i = 0; i < d->n_fields; i++)
		if (streq(d->fields[i].spec->path, path))
			return &d->fields[i];
	return NULL;
}

/* What AWS (and moto) fill in around a behaviour that uses a cache policy. */
static void aws_fill_behaviour(json_t *b)
{
	json_t *m = json_object_get(b, "AllowedMethods");

	json_object_set_new(b, "SmoothStreaming", json_false());
	json_object_set_new(b, "FieldLevelEncryptionId", json_string(""));
	json_object_set_new(b, "TrustedSigners",
			    json_pack("{s:b, s:i, s:[]}", "Enabled", 0, "Quantity", 0, "Items"));
	json_object_set_new(b, "TrustedKeyGroups",
			    json_pack("{s:b, s:i}", "Enabled", 0, "Quantity", 0));
	json_object_set_new(
		b, "ForwardedValues",
		json_pack("{s:b, s:{s:s}}", "QueryString", 0, "Cookies", "Forward", "none"));
	json_object_set_new(b, "MinTTL", json_integer(0));
	json_object_set_new(b, "DefaultTTL", json_integer(86400));
	json_object_set_new(b, "RealtimeLogConfigArn", json_string(""));
	json_object_set_new(b, "FunctionAssociations",
			    json_pack("{s:i, s:[]}", "Quantity", 0, "Items"));
	/* AWS answers the methods in its own order */
	if (m && json_array_size(json_object_get(m, "Items")) == 7)
		json_object_set_new(m, "Items",
				    json_pack("[s,s,s,s,s,s,s]", "HEAD", "DELETE", "POST", "GET",
					      "OPTIONS", "PUT", "PATCH"));
}

START_TEST(test_distribution_diff)
{
	const struct cohd_rec_type *t = &cohd_resource_cloudfront_distribution;
	_cleanup_(cohd_graph_freep) struct cohd_graph *g =
		test_compile_app("plans/backend-frontend.yml", 0);
	struct cohd_rec_resolve_ctx rc = {.account = "123456789012",
					  .partition = "aws",
					  .attrs = attrs_of,
					  .keep_generated = true};
	const struct cohd_resource *res = NULL;
	json_auto_t *props = NULL, *attrs = NULL, *tags = NULL;
	struct cohd_rec_res_diff d = {};
	struct cohd_rec_item live = {.physical_id = (char *)"E1"};
	json_t *cfg, *b, *o;
	size_t i;

	for (i = 0; i < cohd_graph_size(g) && !res; i++)
		if (streq(cohd_graph_get(g, i)->type, "cloudfront.distribution"))
			res = cohd_graph_get(g, i);
	ck_assert_ptr_nonnull(res);
	fake_attrs = json_object();
	ck_assert_int_eq(cohd_json_foreach_ref(res->properties, collect_ref, NULL), 0);
	rc.self = res->id;
	ck_assert_int_eq(cohd_rec_resolve(&rc, res->properties, &props, NULL), 0);

	/* the configuration as GetDistributionConfig answers it */
	cfg = json_deep_copy(json_object_get(props, "DistributionConfig"));
	json_object_set_new(cfg, "CallerReference", json_string("tok"));
	json_object_set_new(cfg, "OriginGroups", json_pack("{s:i}", "Quantity", 0));
	json_object_set_new(cfg, "Staging", json_false());
	aws_fill_behaviour(json_object_get(cfg, "DefaultCacheBehavior"));
	json_array_foreach (cohd_rec_json_path(cfg, "CacheBehaviors.Items"), i, b)
		aws_fill_behaviour(b);
	json_array_foreach (cohd_rec_json_path(cfg, "Origins.Items"), i, o) {
		json_object_set_new(o, "OriginPath", json_string(""));
		json_object_set_new(o, "ConnectionAttempts", json_integer(3));
		json_object_set_new(o, "ConnectionTimeout", json_integer(10));
		json_object_set_new(o, "OriginShield", json_pack("{s:b}", "Enabled", 0));
		json_object_set_new(o, "CustomHeaders",
				    json_pack("{s:i, s:[]}", "Quantity", 0, "Items"));
	}
	json_object_set_new(json_object_get(cfg, "ViewerCertificate"), "CertificateSource",
			    json_string("acm"));
	json_object_set_new(json_object_get(cfg, "ViewerCertificate"), "Certificate",
			    json_string("arn:aws:acm:us-east-1:1:certificate/x"));
	attrs = json_pack("{s:s, s:{s:o, s:s}}", "Status", "Deployed", "Config",
			  "DistributionConfig", cfg, "ETag", "E1");
	live.attrs = attrs;
	live.tags = res->tags;

	ck_assert_int_eq(cohd_rec_diff_resource(t, &no_rules, res->id, props, res->tags, &live, &d),
			 0);
	for (i = 0; i < d.n_fields; i++) {
		_cleanup_free_ char *dv = json_dumps(d.fields[i].desired, JSON_ENCODE_ANY);
		_cleanup_free_ char *lv = json_dumps(d.fields[i].live, JSON_ENCODE_ANY);

		ck_assert_msg(d.fields[i].state == COHD_REC_FIELD_MATCH, "%s drifted: %s vs %s",
			      d.fields[i].spec->path, dv, lv);
	}
	ck_assert_uint_gt(d.n_fields, 10);
	cohd_rec_res_diff_done(&d);

	/* someone changed the comment: that one field drifts, and the correction is the
	 * desired comment */
	json_object_set_new(cfg, "Comment", json_string("changed by hand"));
	ck_assert_int_eq(cohd_rec_diff_resource(t, &no_rules, res->id, props, res->tags, &live, &d),
			 0);
	ck_assert_uint_eq(d.n_drift, 1);
	ck_assert_int_eq(field(&d, "DistributionConfig.Comment")->state, COHD_REC_FIELD_DRIFT);
	ck_assert(json_equal(field(&d, "DistributionConfig.Comment")->target,
			     cohd_rec_json_path(props, "DistributionConfig.Comment")));
	cohd_rec_res_diff_done(&d);

	/* a Lambda@Edge association dropped: the default behaviour drifts */
	json_object_set_new(
		cfg, "Comment",
		json_deep_copy(cohd_rec_json_path(props, "DistributionConfig.Comment")));
	json_object_set_new(json_object_get(cfg, "DefaultCacheBehavior"),
			    "LambdaFunctionAssociations", json_pack("{s:i}", "Quantity", 0));
	ck_assert_int_eq(cohd_rec_diff_resource(t, &no_rules, res->id, props, res->tags, &live, &d),
			 0);
	ck_assert_uint_eq(d.n_drift, 1);
	ck_assert_int_eq(field(&d, "DistributionConfig.DefaultCacheBehavior")->state,
			 COHD_REC_FIELD_DRIFT);
	cohd_rec_res_diff_done(&d);
	json_decref(fake_attrs);
	fake_attrs = NULL;
}
END_TEST

START_TEST(test_lambda_code_diff)
{
	const struct cohd_rec_type *t = &cohd_resource_lambda_function;
	json_auto_t *files = json_pack("{s:s}", "index.js", "exports.handler = async e => e;\n");
	json_auto_t *props = json_pack("{s:s, s:s, s:i, s:{s:{s:O}}, s:b}", "FunctionName", "f",
				       "Runtime", "nodejs20.x", "Timeout", 5, "Code", "ZipFile",
				       "Zip", files, "Publish", 1);
	json_auto_t *tags = json_pack("{s:s}", "cohd:id", "env/production/edge-lambda");
	_cleanup_free_ char *sha = cohd_lambda_zip_sha256(files);
	json_auto_t *attrs =
		json_pack("{s:s, s:s, s:i, s:s, s:b}", "FunctionName", "f", "Runtime", "nodejs20.x",
			  "Timeout", 5, "CodeSha256", sha, "Published", 1);
	struct cohd_rec_item live = {.physical_id = (char *)"f", .attrs = attrs, .tags = tags};
	struct cohd_rec_res_diff d = {};

	ck_assert_ptr_nonnull(sha);
	ck_assert_int_eq(cohd_rec_diff_resource(t, &no_rules, "x", props, tags, &live, &d), 0);
	ck_assert_uint_eq(d.n_drift, 0);
	ck_assert_int_eq(field(&d, "Code.ZipFile.Zip")->state, COHD_REC_FIELD_MATCH);
	cohd_rec_res_diff_done(&d);

	/* code uploaded by hand */
	json_object_set_new(attrs, "CodeSha256", json_string("AAAA"));
	ck_assert_int_eq(cohd_rec_diff_resource(t, &no_rules, "x", props, tags, &live, &d), 0);
	ck_assert_uint_eq(d.n_drift, 1);
	ck_assert_int_eq(field(&d, "Code.ZipFile.Zip")->state, COHD_REC_FIELD_DRIFT);
	cohd_rec_res_diff_done(&d);

	/* the newest version lags $LATEST: publish */
	json_object_set_new(attrs, "CodeSha256", json_string(sha));
	json_object_set_new(attrs, "Published", json_false());
	ck_assert_int_eq(cohd_rec_diff_resource(t, &no_rules, "x", props, tags, &live, &d), 0);
	ck_assert_uint_eq(d.n_drift, 1);
	ck_assert_int_eq(field(&d, "Publish")->state, COHD_REC_FIELD_DRIFT);
	cohd_rec_res_diff_done(&d);
}
END_TEST

/* The engine writes a field's target (the CodeSha256) over Code.ZipFile.Zip in the update's
 * properties: the upload is the same archive, built from the placeholder's files. */
START_TEST(test_lambda_update_steps)
{
	const struct cohd_rec_type *t = &cohd_resource_lambda_function;
	json_auto_t *files = json_pack("{s:s}", "index.js", "exports.handler = async e => e;\n");
	json_auto_t *graph_props = json_pack("{s:s, s:i, s:{s:{s:O}}}", "FunctionName", "f",
					     "Timeout", 5, "Code", "ZipFile", "Zip", files);
	_cleanup_free_ char *sha = cohd_lambda_zip_sha256(files);
	json_auto_t *props = json_pack("{s:s, s:i, s:{s:{s:s}}}", "FunctionName", "f", "Timeout", 9,
				       "Code", "ZipFile", "Zip", sha);
	json_auto_t *attrs =
		json_pack("{s:s}", "FunctionArn", "arn:aws:lambda:us-east-1:1:function:f");
	struct cohd_resource res = {.type = (char *)"lambda.function",
				    .id = (char *)"env/production/edge-lambda",
				    .name = (char *)"f",
				    .properties = graph_props};
	struct cohd_rec_item live = {.physical_id = (char *)"f", .attrs = attrs};
	struct cohd_rec_type_ctx ctx = {.type = t, .resource = &res, .props = props, .live = &live};
	const char *fields[] = {"Timeout", "Code.ZipFile.Zip"};
	_cleanup_free_ unsigned char *zip = NULL;
	json_auto_t *steps = NULL;
	const json_t *code;
	size_t n;

	ck_assert_int_eq(t->update_params(&ctx, fields, 2, &steps), 0);
	ck_assert_uint_eq(json_array_size(steps), 3);
	ck_assert_str_eq(json_string_value(cohd_rec_json_path(steps, "0.Operation")),
			 "UpdateFunctionConfiguration");
	ck_assert_int_eq(json_integer_value(cohd_rec_json_path(steps, "0.Params.Timeout")), 9);
	ck_assert_str_eq(json_string_value(cohd_rec_json_path(steps, "1.Operation")),
			 "UpdateFunctionCode");
	ck_assert_str_eq(json_string_value(cohd_rec_json_path(steps, "2.Operation")),
			 "PublishVersion");
	code = cohd_rec_json_path(steps, "1.Params.ZipFile");
	ck_assert_int_eq(cohd_lambda_zip_build(files, &zip, &n), 0);
	ck_assert_uint_eq(json_string_length(code), n);
	ck_assert_int_eq(memcmp(json_string_value(code), zip, n), 0);
	for (size_t i = 0; i < 3; i++)
		rec_fake_check_serialises(
			"lambda",
			json_string_value(json_object_get(json_array_get(steps, i), "Operation")),
			json_object_get(json_array_get(steps, i), "Params"), "update");
}
END_TEST

/* ---- the types driven through the engine, against a fake CloudFront and Lambda ---- */

static struct edge_world {
	json_t *policies;  /* id -> {"Kind", "Config", "ETag"} */
	json_t *dists;	   /* id -> {"Config", "ETag", "Tags", "Status"} */
	json_t *functions; /* name -> {"Versions": [$LATEST, 1...], "Tags"} */
	json_t *files;	   /* the function's source, as in the graph */
	unsigned next;
	unsigned in_use; /* policy deletes still answered <Kind>InUse */
} EW;

static int edge_fail(struct cohd_aws_error *err, const char *code, int status)
{
	err->code = strdup(code);
	err->message = strdup("fake AWS says no");
	err->http_status = status;
	err->class = cohd_aws_error_classify(code, status, NULL);
	return -EREMOTEIO;
}

static const char *s_of(const json_t *o, const char *path)
{
	return json_string_value(cohd_rec_json_path(o, path));
}

static void new_etag(json_t *o)
{
	char e[32];

	snprintf(e, sizeof e, "E%010u", ++EW.next);
	json_object_set_new(o, "ETag", json_string(e));
}

static int fake_policies(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	const char *kind = strstr(op, "CachePolic")	      ? "CachePolicy"
			   : strstr(op, "OriginRequestPolic") ? "OriginRequestPolicy"
							      : "ResponseHeadersPolicy";
	char cfg_key[64], list_key[64], code[64];
	const char *id = s_of(p, "Id"), *key;
	json_t *pol = id ? json_object_get(EW.policies, id) : NULL, *v;

	snprintf(cfg_key, sizeof cfg_key, "%sConfig", kind);
	snprintf(list_key, sizeof list_key, "%sList", kind);

	if (strncmp(op, "List", 4) == 0) {
		json_t *items = json_array();

		json_object_foreach (EW.policies, key, v)
			if (streq(s_of(v, "Kind"), kind))
				json_array_append_new(items,
						      json_pack("{s:s, s:{s:s, s:O}}", "Type",
								"custom", kind, "Id", key, cfg_key,
								json_object_get(v, "Config")));
		*ret = json_pack("{s:{s:i, s:o}}", list_key, "Quantity",
				 (int)json_array_size(items), "Items", items);
		return 0;
	}
	if (strncmp(op, "Create", 6) == 0) {
		char nid[32];

		json_object_foreach (EW.policies, key, v)
			if (streq(s_of(v, "Kind"), kind) &&
			    streq_ptr(s_of(v, "Config.Name"), s_of(json_object_get(p, cfg_key), "Name"))) {
				snprintf(code, sizeof code, "%sAlreadyExists", kind);
				return edge_fail(err, code, 409);
			}
		snprintf(nid, sizeof nid, "pol-%u", ++EW.next);
		/* a copy: the fake's state must not share the engine's desired values */
		pol = json_pack("{s:s, s:o}", "Kind", kind, "Config",
				json_deep_copy(json_object_get(p, cfg_key)));
		new_etag(pol);
		json_object_set_new(EW.policies, nid, pol);
		*ret = json_pack("{s:{s:s, s:O}, s:O}", kind, "Id", nid, cfg_key,
				 json_object_get(pol, "Config"), "ETag",
				 json_object_get(pol, "ETag"));
		return 0;
	}
	if (!pol) {
		snprintf(code, sizeof code, "NoSuch%s", kind);
		return edge_fail(err, code, 404);
	}
	if (strncmp(op, "Get", 3) == 0) {
		*ret = json_pack("{s:{s:s, s:O}, s:O}", kind, "Id", id, cfg_key,
				 json_object_get(pol, "Config"), "ETag",
				 json_object_get(pol, "ETag"));
		return 0;
	}
	/* Update and Delete: If-Match */
	if (!s_of(p, "IfMatch"))
		return edge_fail(err, "InvalidIfMatchVersion", 400);
	if (!streq(s_of(p, "IfMatch"), s_of(pol, "ETag")))
		return edge_fail(err, "PreconditionFailed", 412);
	if (strncmp(op, "Delete", 6) == 0) {
		if (EW.in_use > 0) { /* a distribution still refers to it */
			EW.in_use--;
			snprintf(code, sizeof code, "%sInUse", kind);
			return edge_fail(err, code, 409);
		}
		json_object_del(EW.policies, id);
		*ret = json_object();
		return 0;
	}
	json_object_set_new(pol, "Config", json_deep_copy(json_object_get(p, cfg_key)));
	new_etag(pol);
	*ret = json_pack("{s:{s:s, s:O}, s:O}", kind, "Id", id, cfg_key,
			 json_object_get(pol, "Config"), "ETag", json_object_get(pol, "ETag"));
	return 0;
}

static json_t *dist_view(const char *id, const json_t *d)
{
	char arn[128];

	snprintf(arn, sizeof arn, "arn:aws:cloudfront::123456789012:distribution/%s", id);
	return json_pack("{s:s, s:s, s:O, s:s, s:O}", "Id", id, "ARN", arn, "Status",
			 json_object_get(d, "Status"), "DomainName", "d1.cloudfront.net",
			 "DistributionConfig", json_object_get(d, "Config"));
}

static int fake_cloudfront(const char *op, const json_t *p, json_t **ret,
			   struct cohd_aws_error *err)
{
	const char *id = s_of(p, "Id"), *key;
	json_t *d = id ? json_object_get(EW.dists, id) : NULL, *v;

	if (strstr(op, "CachePolic") || strstr(op, "OriginRequestPolic") ||
	    strstr(op, "ResponseHeadersPolic"))
		return fake_policies(op, p, ret, err);
	if (streq(op, "ListDistributions")) {
		json_t *items = json_array();

		json_object_foreach (EW.dists, key, v) {
			json_t *sum = dist_view(key, v);

			/* a summary: the config's members at the top, no CallerReference */
			json_object_update(sum, json_object_get(sum, "DistributionConfig"));
			json_object_del(sum, "DistributionConfig");
			json_object_del(sum, "CallerReference");
			json_object_del(sum, "Logging");
			json_array_append_new(items, sum);
			/* deployed from the next read on */
			json_object_set_new(v, "Status", json_string("Deployed"));
		}
		*ret = json_pack("{s:{s:i, s:o}}", "DistributionList", "Quantity",
				 (int)json_array_size(items), "Items", items);
		return 0;
	}
	if (streq(op, "CreateDistributionWithTags")) {
		char nid[32];

		snprintf(nid, sizeof nid, "EDIST%u", ++EW.next);
		d = json_pack(
			"{s:O, s:O, s:s}", "Config",
			cohd_rec_json_path(p, "DistributionConfigWithTags.DistributionConfig"),
			"Tags", cohd_rec_json_path(p, "DistributionConfigWithTags.Tags.Items"),
			"Status", "InProgress");
		/* what AWS fills in */
		json_object_set_new(cohd_rec_json_path(d, "Config.DefaultCacheBehavior"),
				    "SmoothStreaming", json_false());
		json_object_set_new(json_object_get(d, "Config"), "OriginGroups",
				    json_pack("{s:i}", "Quantity", 0));
		new_etag(d);
		json_object_set_new(EW.dists, nid, d);
		*ret = json_pack("{s:o, s:O}", "Distribution", dist_view(nid, d), "ETag",
				 json_object_get(d, "ETag"));
		return 0;
	}
	if (streq(op, "ListTagsForResource")) {
		const char *arn = s_of(p, "Resource");

		json_object_foreach (EW.dists, key, v)
			if (strstr(arn, key)) {
				*ret = json_pack("{s:{s:O}}", "Tags", "Items",
						 json_object_get(v, "Tags"));
				return 0;
			}
		return edge_fail(err, "NoSuchResource", 404);
	}
	if (!d)
		return edge_fail(err, "NoSuchDistribution", 404);
	if (streq(op, "GetDistributionConfig")) {
		*ret = json_pack("{s:O, s:O}", "DistributionConfig", json_object_get(d, "Config"),
				 "ETag", json_object_get(d, "ETag"));
		return 0;
	}
	if (!streq_ptr(s_of(p, "IfMatch"), s_of(d, "ETag")))
		return edge_fail(err, "PreconditionFailed", 412);
	if (streq(op, "DeleteDistribution")) {
		if (json_is_true(cohd_rec_json_path(d, "Config.Enabled")))
			return edge_fail(err, "DistributionNotDisabled", 409);
		json_object_del(EW.dists, id);
		*ret = json_object();
		return 0;
	}
	if (streq(op, "UpdateDistribution")) {
		json_object_set(d, "Config", json_object_get(p, "DistributionConfig"));
		json_object_set_new(d, "Status", json_string("InProgress"));
		new_etag(d);
		*ret = json_pack("{s:o, s:O}", "Distribution", dist_view(id, d), "ETag",
				 json_object_get(d, "ETag"));
		return 0;
	}
	ck_abort_msg("unexpected CloudFront %s", op);
	return -EINVAL;
}

static json_t *latest_of(json_t *fn)
{
	return json_array_get(json_object_get(fn, "Versions"), 0);
}

static json_t *publish(json_t *fn)
{
	json_t *versions = json_object_get(fn, "Versions"), *v = json_deep_copy(latest_of(fn));
	char n[16], arn[256];

	snprintf(n, sizeof n, "%zu", json_array_size(versions));
	snprintf(arn, sizeof arn, "%s:%s", json_string_value(json_object_get(fn, "Arn")), n);
	json_object_set_new(v, "Version", json_string(n));
	json_object_set_new(v, "FunctionArn", json_string(arn));
	json_array_append_new(versions, v);
	return v;
}

static int fake_lambda(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	const char *name = s_of(p, "FunctionName");
	json_t *fn = name ? json_object_get(EW.functions, name) : NULL;

	if (!name && s_of(p, "Resource")) {
		const char *key;
		json_t *v;

		json_object_foreach (EW.functions, key, v)
			if (streq(s_of(v, "Arn"), s_of(p, "Resource")))
				fn = v;
	}
	if (streq(op, "CreateFunction")) {
		_cleanup_free_ char *sha = NULL;
		char arn[256];
		json_t *cfg = json_deep_copy(p);

		ck_assert_ptr_null(fn);
		/* the fake generator's value stands for the archive the daemon's port builds */
		ck_assert_str_eq(s_of(p, "Code.ZipFile"), "s3cr3t-password");
		sha = cohd_lambda_zip_sha256(EW.files);
		snprintf(arn, sizeof arn, "arn:aws:lambda:us-east-1:123456789012:function:%s",
			 name);
		json_object_del(cfg, "Code");
		json_object_del(cfg, "Tags");
		json_object_del(cfg, "Publish");
		json_object_set_new(cfg, "CodeSha256", json_string(sha));
		json_object_set_new(cfg, "Version", json_string("$LATEST"));
		json_object_set_new(cfg, "State", json_string("Active"));
		json_object_set_new(cfg, "FunctionArn", json_string(arn));
		fn = json_pack("{s:s, s:[o], s:O}", "Arn", arn, "Versions", cfg, "Tags",
			       json_object_get(p, "Tags"));
		json_object_set_new(EW.functions, name, fn);
		*ret = json_deep_copy(publish(fn));
		return 0;
	}
	if (!fn)
		return edge_fail(err, "ResourceNotFoundException", 404);
	if (streq(op, "ListVersionsByFunction")) {
		*ret = json_pack("{s:O}", "Versions", json_object_get(fn, "Versions"));
		return 0;
	}
	if (streq(op, "ListTags")) {
		*ret = json_pack("{s:O}", "Tags", json_object_get(fn, "Tags"));
		return 0;
	}
	if (streq(op, "UpdateFunctionConfiguration")) {
		json_t *cfg = json_deep_copy(p);

		json_object_del(cfg, "FunctionName");
		json_object_update(latest_of(fn), cfg);
		json_decref(cfg);
		*ret = json_deep_copy(latest_of(fn));
		return 0;
	}
	if (streq(op, "PublishVersion")) {
		*ret = json_deep_copy(publish(fn));
		return 0;
	}
	ck_abort_msg("unexpected Lambda %s", op);
	return -EINVAL;
}

static int edge_call(const struct cohd_rec_call *call, json_t **ret, struct cohd_aws_error *err)
{
	if (streq(call->service, "lambda")) {
		ck_assert_str_eq(call->region, "us-east-1"); /* Lambda@Edge, whatever the app's */
		return fake_lambda(call->operation, call->params, ret, err);
	}
	if (streq(call->service, "cloudfront"))
		return fake_cloudfront(call->operation, call->params, ret, err);
	ck_abort_msg("unexpected service %s", call->service);
	return -EINVAL;
}

static const char *const edge_reads[] = {"List", "Get", NULL};

static const struct rec_fake_service edge_service = {
	.exec = edge_call,
	.serialise = true,
	.read_prefixes = edge_reads,
};

static struct cohd_resource *edge_add(struct cohd_graph *g, const char *type, const char *id,
				      const char *name, json_t *props, bool tagged)
{
	struct cohd_resource *r = NULL;

	ck_assert_int_eq(cohd_graph_add(g, type, id, name, COHD_SCOPE_ENVIRONMENT, props, &r), 0);
	if (tagged) {
		ck_assert_int_eq(cohd_resource_tag(r, "ManagedBy", "coherence"), 0);
		ck_assert_int_eq(cohd_resource_tag(r, "Application", "shop"), 0);
		ck_assert_int_eq(cohd_resource_tag(r, "cohd:id", id), 0);
	}
	return r;
}

/* What compile_edge.c emits, cut down: a cache policy, an origin request policy, the
 * Lambda@Edge function and a distribution referring to all three. */
static bool without_distribution;

static struct cohd_graph *edge_graph(const char *comment, int ttl)
{
	struct cohd_graph *g = cohd_graph_new();
	struct cohd_resource *fn;
	json_t *lfa;

	edge_add(g, "cloudfront.cache_policy", "app/cloudfront/cache-policy/frontend",
		 "shop-a1b2c3-frontend",
		 json_pack("{s:{s:s, s:s, s:i, s:i, s:i, s:{s:b, s:{s:s}, s:{s:s}, s:{s:s}}}}",
			   "CachePolicyConfig", "Name", "shop-a1b2c3-frontend", "Comment", "cohd",
			   "DefaultTTL", ttl, "MaxTTL", 31536000, "MinTTL", 0,
			   "ParametersInCacheKeyAndForwardedToOrigin", "EnableAcceptEncodingGzip",
			   1, "HeadersConfig", "HeaderBehavior", "none", "CookiesConfig",
			   "CookieBehavior", "all", "QueryStringsConfig", "QueryStringBehavior",
			   "all"),
		 false);
	edge_add(g, "cloudfront.origin_request_policy", "app/cloudfront/origin-request-policy/fe",
		 "shop-a1b2c3-frontend",
		 json_pack("{s:{s:s, s:{s:s, s:{s:i, s:[s]}}, s:{s:s}, s:{s:s}}}",
			   "OriginRequestPolicyConfig", "Name", "shop-a1b2c3-frontend",
			   "HeadersConfig", "HeaderBehavior", "allViewerAndWhitelistCloudFront",
			   "Headers", "Quantity", 1, "Items", "CloudFront-Viewer-Country",
			   "CookiesConfig", "CookieBehavior", "all", "QueryStringsConfig",
			   "QueryStringBehavior", "all"),
		 false);
	fn = edge_add(g, "lambda.function", "env/pr-1/edge-lambda", "shop-a1b2c3-pr-1-spa",
		      json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:{s:{s:O}}, s:b, s:[s]}",
				"FunctionName", "shop-a1b2c3-pr-1-spa", "Runtime", "nodejs20.x",
				"Handler", "index.handler", "Role",
				"arn:aws:iam::123456789012:role/edge", "Timeout", 5, "MemorySize",
				128, "Code", "ZipFile", "Zip", EW.files, "Publish", 1,
				"Architectures", "x86_64"),
		      true);
	ck_assert_int_eq(cohd_resource_set_region(fn, "us-east-1"), 0);
	lfa = json_pack("{s:i, s:[{s:s, s:b, s:o}]}", "Quantity", 1, "Items", "EventType",
			"origin-response", "IncludeBody", 0, "LambdaFunctionARN",
			cohd_ref("env/pr-1/edge-lambda", "VersionArn"));
	if (without_distribution) {
		json_decref(lfa);
		ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
		return g;
	}
	edge_add(g, "cloudfront.distribution", "env/pr-1/cdn", "pr-1.shop.example.com",
		 json_pack("{s:{s:{s:i, s:[s]}, s:s, s:b, s:s, s:{s:i, s:[{s:s, s:s, s:{s:i, "
			   "s:i, s:s}}]}, s:{s:s, s:s, s:o, s:o, s:{s:i, s:[s,s], s:{s:i, "
			   "s:[s,s]}}, s:b, s:o}, s:{s:i}}}",
			   "DistributionConfig", "Aliases", "Quantity", 1, "Items",
			   "pr-1.shop.example.com", "Comment", comment, "Enabled", 1, "PriceClass",
			   "PriceClass_100", "Origins", "Quantity", 1, "Items", "Id", "web",
			   "DomainName", "web.example.com", "CustomOriginConfig", "HTTPPort", 80,
			   "HTTPSPort", 443, "OriginProtocolPolicy", "http-only",
			   "DefaultCacheBehavior", "TargetOriginId", "web", "ViewerProtocolPolicy",
			   "redirect-to-https", "CachePolicyId",
			   cohd_ref("app/cloudfront/cache-policy/frontend", "Id"),
			   "OriginRequestPolicyId",
			   cohd_ref("app/cloudfront/origin-request-policy/fe", "Id"),
			   "AllowedMethods", "Quantity", 2, "Items", "GET", "HEAD", "CachedMethods",
			   "Quantity", 2, "Items", "GET", "HEAD", "Compress", 1,
			   "LambdaFunctionAssociations", lfa, "CustomErrorResponses", "Quantity",
			   0),
		 true);
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	return g;
}

static unsigned edge_ops(const char *op)
{
	const json_t *v;
	unsigned n = 0;
	size_t i;

	json_array_foreach (RF.mut_log, i, v)
		n += streq(s_of(v, "op"), op);
	return n;
}

START_TEST(test_engine_converge_drift)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = NULL, *g2 = NULL;
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	struct cohd_rec_config cfg = {
		.app = "shop",
		.environment = "pr-1",
		.env_type = 2,
		.region = "eu-west-1",
		.account = "123456789012",
		.partition = "aws",
		.name_prefix = "shop-a1b2c3-pr-1",
		.types = my_types,
	};
	json_auto_t *st = NULL;
	const json_t *d, *r;
	const char *key;
	json_t *dist = NULL, *v;
	size_t i;
	unsigned n;

	rec_fake_init(&edge_service);
	EW = (struct edge_world){.policies = json_object(),
				 .dists = json_object(),
				 .functions = json_object(),
				 .files = json_pack("{s:s}", "index.js", "exports.handler = 1;\n")};
	g = edge_graph("cohd: shop/pr-1", 0);
	ck_assert_int_eq(cohd_rec_engine_new(&rec_fake_ops, &cfg, &e), 0);

	/* from nothing: policies and function first, then the distribution referring to them
	 * (their Ids, the function's version ARN), created with its CallerReference token */
	n = rec_fake_run_pass(e, g, &st);
	ck_assert_uint_eq(edge_ops("CreateCachePolicy"), 1);
	ck_assert_uint_eq(edge_ops("CreateOriginRequestPolicy"), 1);
	ck_assert_uint_eq(edge_ops("CreateFunction"), 1);
	ck_assert_uint_eq(edge_ops("CreateDistributionWithTags"), 1);
	ck_assert_uint_eq(n, 4);
	json_object_foreach (EW.dists, key, v)
		dist = v;
	ck_assert_ptr_nonnull(dist);
	d = cohd_rec_json_path(dist, "Config.DefaultCacheBehavior");
	ck_assert_str_eq(s_of(d, "LambdaFunctionAssociations.Items.0.LambdaFunctionARN"),
			 "arn:aws:lambda:us-east-1:123456789012:function:shop-a1b2c3-pr-1-spa:1");
	ck_assert(json_object_get(EW.policies, s_of(d, "CachePolicyId")));
	ck_assert(json_object_get(EW.policies, s_of(d, "OriginRequestPolicyId")));
	ck_assert_uint_eq(strlen(s_of(dist, "Config.CallerReference")), 32);
	json_array_foreach (json_object_get(st, "resources"), i, r)
		ck_assert_msg(streq(s_of(r, "sync"), "synced"), "%s: %s", s_of(r, "id"),
			      s_of(r, "sync"));
	json_decref(st);
	st = NULL;

	/* nothing more to do */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);

	/* drift made by hand: the comment, and the function's timeout */
	json_object_set_new(json_object_get(dist, "Config"), "Comment", json_string("by hand"));
	new_etag(dist);
	json_object_set_new(latest_of(json_object_get(EW.functions, "shop-a1b2c3-pr-1-spa")),
			    "Timeout", json_integer(30));
	json_array_clear(RF.mut_log);
	n = rec_fake_run_pass(e, g, NULL);
	ck_assert_uint_eq(edge_ops("UpdateDistribution"), 1);
	ck_assert_uint_eq(edge_ops("UpdateFunctionConfiguration"), 1);
	ck_assert_uint_eq(edge_ops("PublishVersion"), 1);
	ck_assert_str_eq(s_of(dist, "Config.Comment"), "cohd: shop/pr-1");
	/* the whole configuration went back, with the distribution's CallerReference */
	ck_assert_uint_eq(strlen(s_of(dist, "Config.CallerReference")), 32);
	/* the new version reaches the distribution on the next pass */
	json_array_clear(RF.mut_log);
	rec_fake_run_pass(e, g, NULL);
	ck_assert_uint_eq(edge_ops("UpdateDistribution"), 1);
	ck_assert_str_eq(s_of(dist,
			      "Config.DefaultCacheBehavior.LambdaFunctionAssociations.Items.0."
			      "LambdaFunctionARN"),
			 "arn:aws:lambda:us-east-1:123456789012:function:shop-a1b2c3-pr-1-spa:2");
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);

	/* a new desired TTL: one UpdateCachePolicy with the whole configuration and If-Match */
	g2 = edge_graph("cohd: shop/pr-1", 60);
	json_array_clear(RF.mut_log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g2, NULL), 1);
	ck_assert_uint_eq(edge_ops("UpdateCachePolicy"), 1);
	ck_assert_uint_eq(rec_fake_run_pass(e, g2, NULL), 0);

	/* the distribution leaves the file: disabled (whole config, Enabled=false, If-Match),
	 * then, once deployed, deleted with the ETag read that pass */
	without_distribution = true;
	g2 = (cohd_graph_free(g2), edge_graph("cohd: shop/pr-1", 60));
	without_distribution = false;
	json_array_clear(RF.mut_log);
	for (int k = 0; k < 4 && json_object_size(EW.dists) > 0; k++)
		rec_fake_run_pass(e, g2, NULL);
	ck_assert_uint_eq(json_object_size(EW.dists), 0);
	ck_assert_uint_eq(edge_ops("UpdateDistribution"), 1);
	ck_assert_uint_eq(edge_ops("DeleteDistribution"), 1);

	json_decref(EW.policies);
	json_decref(EW.dists);
	json_decref(EW.functions);
	json_decref(EW.files);
	rec_fake_done();
}
END_TEST

/* ---- the response headers policy: builders, then through the engine ---- */

/* The properties the compiler gives the real app's frontend response headers policy (new ref),
 * and its id and name. */
static json_t *rhp_compiled(char **ret_id, char **ret_name)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g =
		test_compile_app("real-apps/ExiqonBot__LionBotv2__coherence.yml", 0);

	for (size_t i = 0; i < cohd_graph_size(g); i++) {
		const struct cohd_resource *res = cohd_graph_get(g, i);

		if (!streq(res->type, "cloudfront.response_headers_policy"))
			continue;
		*ret_id = strdup(res->id);
		*ret_name = strdup(res->name);
		return json_deep_copy(res->properties);
	}
	ck_abort_msg("the app compiles to no response headers policy");
	return NULL;
}

START_TEST(test_rhp_project_update)
{
	const struct cohd_rec_type *t = &cohd_resource_cloudfront_response_headers_policy;
	_cleanup_free_ char *id = NULL, *name = NULL;
	json_auto_t *props = rhp_compiled(&id, &name), *entry = NULL, *o = NULL, *got = NULL;
	json_auto_t *params = NULL;
	struct cohd_rec_item live = {.physical_id = (char *)"rhp-1"};
	struct cohd_rec_type_ctx ctx = {.type = t, .live = &live, .props = props};
	const char *fields[] = {"ResponseHeadersPolicyConfig.CorsConfig"};
	const json_t *cfg = json_object_get(props, "ResponseHeadersPolicyConfig");

	/* what the compiler sets: the name, the CORS answer of the frontend's rules */
	ck_assert_str_eq(id, "env/production/svc/frontend/response-headers-policy");
	ck_assert_str_eq(s_of(cfg, "Name"), name);
	ck_assert_str_eq(s_of(cfg, "CorsConfig.AccessControlAllowOrigins.Items.0"),
			 "www.example.com");
	ck_assert(json_is_true(cohd_rec_json_path(cfg, "CorsConfig.OriginOverride")));

	/* a list entry and a Get answer -> {Id, LastModifiedTime, Config (, ETag)} */
	entry = json_pack("{s:s, s:{s:s, s:s, s:O}}", "Type", "custom", "ResponseHeadersPolicy",
			  "Id", "rhp-1", "LastModifiedTime", "2026-11-26T10:00:00Z",
			  "ResponseHeadersPolicyConfig", cfg);
	o = t->project(entry);
	ck_assert_str_eq(s_of(o, "Id"), "rhp-1");
	ck_assert_str_eq(s_of(o, "ResponseHeadersPolicyConfig.Name"), name);
	ck_assert_ptr_null(json_object_get(o, "ETag"));
	json_decref(entry);
	entry = json_pack("{s:{s:s, s:O}, s:s}", "ResponseHeadersPolicy", "Id", "rhp-1",
			  "ResponseHeadersPolicyConfig", cfg, "ETag", "E2");
	got = t->project(entry);
	ck_assert_str_eq(s_of(got, "ETag"), "E2");

	/* without the ETag (Get not read) neither Update nor Delete can be sent */
	live.attrs = o;
	ck_assert_int_eq(t->update_params(&ctx, fields, 1, &params), 0);
	ck_assert_uint_eq(json_array_size(params), 0);
	json_decref(params);
	ck_assert_int_eq(t->delete_params(&ctx, &params), 0);
	ck_assert_uint_eq(json_array_size(params), 0);
	json_decref(params);

	/* with it: the whole desired configuration, If-Match */
	live.attrs = got;
	ck_assert_int_eq(t->update_params(&ctx, fields, 1, &params), 0);
	ck_assert_str_eq(s_of(params, "IfMatch"), "E2");
	ck_assert_str_eq(s_of(params, "Id"), "rhp-1");
	ck_assert(json_equal(json_object_get(params, "ResponseHeadersPolicyConfig"), cfg));
	rec_fake_check_serialises("cloudfront", "UpdateResponseHeadersPolicy", params, "update");
	json_decref(params);
	ck_assert_int_eq(t->delete_params(&ctx, &params), 0);
	ck_assert_str_eq(s_of(params, "IfMatch"), "E2");
	rec_fake_check_serialises("cloudfront", "DeleteResponseHeadersPolicy", params, "delete");
	json_decref(params);
	ck_assert_int_eq(t->create_params(&ctx, &params), 0);
	ck_assert(json_equal(json_object_get(params, "ResponseHeadersPolicyConfig"), cfg));
	rec_fake_check_serialises("cloudfront", "CreateResponseHeadersPolicy", params, "create");
}
END_TEST

/* What AWS returns for a response headers policy it stored: the empty lists spelled out, the
 * CORS origins in its own order. */
static void aws_fill_rhp(json_t *cfg)
{
	json_t *cors = json_object_get(cfg, "CorsConfig");
	json_t *items = cohd_rec_json_path(cors, "AccessControlAllowOrigins.Items");
	json_t *first = json_incref(json_array_get(items, 0));

	json_object_set_new(cors, "AccessControlExposeHeaders",
			    json_pack("{s:i, s:[]}", "Quantity", 0, "Items"));
	json_array_remove(items, 0);
	json_array_append_new(items, first);
}

START_TEST(test_rhp_engine_converge_drift)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = NULL, *g2 = NULL;
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	_cleanup_free_ char *id = NULL, *name = NULL, *etag = NULL;
	json_auto_t *props = rhp_compiled(&id, &name), *st = NULL;
	static const struct cohd_rec_type *const types[] = {
		&cohd_resource_cloudfront_response_headers_policy, NULL};
	struct cohd_rec_config cfg = {
		.app = "exiqonbot-lionbotv2-coherence",
		.environment = "production",
		.env_type = 0,
		.region = "eu-west-1",
		.account = "123456789012",
		.partition = "aws",
		.name_prefix = "exiqonbot-lionbotv2-402baa-production",
		.types = types,
	};
	const char *key;
	json_t *pol = NULL, *v, *origins;

	rec_fake_init(&edge_service);
	EW = (struct edge_world){.policies = json_object(),
				 .dists = json_object(),
				 .functions = json_object(),
				 .files = json_object()};
	/* the app's two origins, so that AWS's reordering is seen */
	origins = cohd_rec_json_path(props,
				     "ResponseHeadersPolicyConfig.CorsConfig."
				     "AccessControlAllowOrigins");
	json_array_append_new(json_object_get(origins, "Items"), json_string("app.example.com"));
	json_object_set_new(origins, "Quantity", json_integer(2));
	g = cohd_graph_new();
	edge_add(g, "cloudfront.response_headers_policy", id, name, json_deep_copy(props), false);
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	ck_assert_int_eq(cohd_rec_engine_new(&rec_fake_ops, &cfg, &e), 0);

	/* from nothing: one Create with the compiled configuration; synced */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 1);
	ck_assert_uint_eq(edge_ops("CreateResponseHeadersPolicy"), 1);
	ck_assert_uint_eq(json_object_size(EW.policies), 1);
	json_object_foreach (EW.policies, key, v)
		pol = v;
	ck_assert_str_eq(s_of(pol, "Kind"), "ResponseHeadersPolicy");
	ck_assert(json_equal(json_object_get(pol, "Config"),
			     json_object_get(props, "ResponseHeadersPolicyConfig")));
	ck_assert_str_eq(s_of(json_array_get(json_object_get(st, "resources"), 0), "sync"),
			 "synced");

	/* as AWS gives it back (empty lists spelled out, origins reordered): nothing to do */
	aws_fill_rhp(json_object_get(pol, "Config"));
	ck_assert_str_eq(s_of(pol, "Config.CorsConfig.AccessControlAllowOrigins.Items.0"),
			 "app.example.com");
	json_array_clear(RF.mut_log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	ck_assert_uint_eq(json_array_size(RF.mut_log), 0);

	/* a drift made by hand (a new ETag): one Update, the whole configuration, If-Match */
	json_object_set_new(json_object_get(pol, "Config"), "Comment", json_string("by hand"));
	json_object_set_new(cohd_rec_json_path(pol, "Config.CorsConfig"),
			    "AccessControlAllowCredentials", json_true());
	new_etag(pol);
	etag = strdup(s_of(pol, "ETag"));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 1);
	ck_assert_uint_eq(edge_ops("UpdateResponseHeadersPolicy"), 1);
	ck_assert_str_eq(s_of(json_array_get(RF.mut_log, 0), "params.IfMatch"), etag);
	ck_assert_str_eq(s_of(pol, "Config.Comment"), "cohd: headers of frontend");
	ck_assert(json_is_false(
		cohd_rec_json_path(pol, "Config.CorsConfig.AccessControlAllowCredentials")));
	ck_assert_uint_eq(
		json_array_size(cohd_rec_json_path(
			pol, "Config.CorsConfig.AccessControlAllowOrigins.Items")),
		2);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);

	/* the policy leaves the file: deleted with If-Match, after the distribution lets go of it
	 * (ResponseHeadersPolicyInUse: tried again by the next pass) */
	g2 = cohd_graph_new();
	ck_assert_int_eq(cohd_graph_finalize(g2, NULL), 0);
	EW.in_use = 1;
	json_array_clear(RF.mut_log);
	for (int k = 0; k < 4 && json_object_size(EW.policies) > 0; k++)
		rec_fake_run_pass(e, g2, NULL);
	ck_assert_uint_eq(json_object_size(EW.policies), 0);
	ck_assert_uint_eq(edge_ops("DeleteResponseHeadersPolicy"), 2);
	ck_assert_uint_eq(EW.in_use, 0);

	json_decref(EW.policies);
	json_decref(EW.dists);
	json_decref(EW.functions);
	json_decref(EW.files);
	rec_fake_done();
}
END_TEST

static Suite *resources_edge_suite(void)
{
	Suite *s = suite_create("resources_edge");
	const struct {
		const char *name;
		const TTest *fn;
	} cases[] = {
		{"zip_deterministic", test_zip_deterministic},
		{"builders_serialize", test_builders_serialize},
		{"distribution_delete_steps", test_distribution_delete_steps},
		{"lambda_project", test_lambda_project},
		{"policy_project_update", test_policy_project_update},
		{"distribution_diff", test_distribution_diff},
		{"lambda_code_diff", test_lambda_code_diff},
		{"lambda_update_steps", test_lambda_update_steps},
		{"engine_converge_drift", test_engine_converge_drift},
		{"rhp_project_update", test_rhp_project_update},
		{"rhp_engine_converge_drift", test_rhp_engine_converge_drift},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_test(tc, cases[i].fn);
		tcase_set_timeout(tc, 60);
		suite_add_tcase(s, tc);
	}
	return s;
}

COHD_TEST_MAIN(resources_edge_suite)
