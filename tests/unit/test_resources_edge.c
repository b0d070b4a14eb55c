/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the edge resource types (lib/resources: cloudfront.distribution,
 * cloudfront.cache_policy, cloudfront.origin_request_policy, lambda.function) and the
 * deterministic zip of the Zip placeholder (lambda_zip.c):
 *   - every params document the types build, from what the real compiler emits for the golden
 *     apps with a frontend in every environment type, serialises against the embedded botocore
 *     model (create, each field's update, tag, untag, delete in its steps, details, observe);
 *   - observe parsing: a function's versions -> $LATEST + VersionArn + Published; a policy's list
 *     entry and Get answer -> {Id, Config, ETag};
 *   - the diff: a distribution as AWS returns it (defaults filled in, methods reordered, empty
 *     lists spelled out) matches its desired configuration, a changed Comment is the one drift;
 *     a function's CodeSha256 against the zip of its source.
 * No network, no database, no libuv.
 */
#include <jansson.h>
#include <openssl/evp.h>

#include "lib/config/app.h"
#include "lib/model/compile.h"
#include "lib/reconcile/diff.h"
#include "lib/reconcile/reconcile.h"
#include "lib/resources/resources.h"
#include "rec_fake.h"
#include "test.h"

static const struct cohd_rec_type *const my_types[] = {
	&cohd_resource_cloudfront_distribution,
	&cohd_resource_cloudfront_cache_policy,
	&cohd_resource_cloudfront_origin_request_policy,
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

static struct cohd_graph *compile_file(const char *rel, int env_type)
{
	struct cohd_diag_list diags = {};
	struct cohd_model_options opts = COHD_MODEL_OPTIONS_INIT;
	_cleanup_(cohd_app_freep) struct cohd_app *app = NULL;
	struct cohd_graph *g = NULL;
	struct cohd_error err = {};
	int r;

	r = cohd_app_load_file(test_data_path(rel), &diags, &app);
	cohd_diag_list_done(&diags);
	ck_assert_msg(r == 0, "%s does not parse", rel);
	opts.region = "eu-west-1";
	opts.env_type = env_type;
	r = cohd_model_compile(app, &opts, &g, &err);
	ck_assert_msg(r == 0, "%s: %s", rel, cohd_error_str(&err));
	cohd_error_done(&err);
	return g;
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
					    "plans/custom-domain.yml"};
	static const char *const env_names[] = {"production", "static", "preview"};
	unsigned seen[ELEMENTSOF(my_types)] = {};

	for (size_t f = 0; f < ELEMENTSOF(files); f++)
		for (int et = 0; et < 3; et++) {
			_cleanup_(cohd_graph_freep) struct cohd_graph *g =
				compile_file(files[f], et);

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
		compile_file("plans/backend-frontend.yml", 0);
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
