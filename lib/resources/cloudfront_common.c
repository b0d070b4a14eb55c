/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the CloudFront types (distribution, cache policy, origin request policy) share:
 *   - the normaliser of CloudFront configurations: {Quantity, Items} lists compared by their
 *     items (string items as sets), members AWS fills in with their defaults dropped on both
 *     sides (the compiler never sets them, so dropping them from the desired value changes
 *     nothing the correction writes), the legacy TTLs and ForwardedValues of a behaviour that
 *     uses a cache policy, and the deprecated ViewerCertificate members AWS still returns;
 *   - tags: ListTagsForResource (read before matching), TagResource and UntagResource in
 *     CloudFront's {"Items": [...]} shape;
 *   - the policies' API, which is the same for both kinds: List (Type=custom, one page of up to
 *     100: the account quota is 20), Get for the ETag, Create, Update and Delete with If-Match.
 * Policies have no tags: the deterministic name is the ownership (owned_by_name). Every
 * Update/Delete needs the ETag of the last read (If-Match); an ETag gone stale meanwhile answers
 * PreconditionFailed, and the next pass reads it again. Pure; no I/O.
 */
#include <stdlib.h>

#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

/* Members AWS fills in when a configuration leaves them out, with the value it fills in (NULL:
 * dropped whatever the value: deprecated members AWS derives from others). */
static const struct {
	const char *key, *value_json;
} defaults[] = {
	{"SmoothStreaming", "false"},
	{"FieldLevelEncryptionId", "\"\""},
	{"RealtimeLogConfigArn", "\"\""},
	{"ResponseHeadersPolicyId", "\"\""},
	{"OriginRequestPolicyId", "\"\""},
	{"TrustedSigners", "{\"Enabled\": false, \"Quantity\": 0}"},
	{"TrustedKeyGroups", "{\"Enabled\": false, \"Quantity\": 0}"},
	{"OriginShield", "{\"Enabled\": false}"},
	{"ConnectionAttempts", "3"},
	{"ConnectionTimeout", "10"},
	{"OriginPath", "\"\""},
	{"OriginAccessControlId", "\"\""},
	{"IAMCertificateId", "\"\""},
	{"Staging", "false"},
	{"EnableAcceptEncodingBrotli",
	 "false"}, /* (Gzip is required: always sent, never dropped) */
	{"ContinuousDeploymentPolicyId", "\"\""},
	{"Certificate", NULL},
	{"CertificateSource", NULL},
};

/* A cache behaviour with a cache policy: AWS ignores (and may return) the legacy members. */
static const char *const legacy_with_policy[] = {"ForwardedValues", "MinTTL", "DefaultTTL",
						 "MaxTTL"};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

static bool all_strings(const json_t *l)
{
	const json_t *v;
	size_t i;

	json_array_foreach (l, i, v)
		if (!json_is_string(v))
			return false;
	return true;
}

static json_t *sorted_strings(const json_t *l)
{
	size_t n = json_array_size(l);
	_cleanup_free_ json_t **v = calloc(n + 1, sizeof(json_t *));
	json_t *out = json_array();

	if (!v || !out) {
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(l, i);
	qsort(v, n, sizeof(json_t *), cmp_str);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	return out;
}

static bool is_default(const char *key, const json_t *v)
{
	for (size_t i = 0; i < ELEMENTSOF(defaults); i++) {
		json_t *d;
		bool eq;

		if (!streq(key, defaults[i].key))
			continue;
		if (!defaults[i].value_json)
			return true;
		d = json_loads(defaults[i].value_json, JSON_DECODE_ANY, NULL);
		eq = d && json_equal(d, v);
		json_decref(d);
		return eq;
	}
	return false;
}

/* Only {"Quantity": 0}: an empty list AWS spells either way (or leaves out). */
static bool empty_list(const json_t *v)
{
	return json_is_object(v) && json_object_size(v) == 1 &&
	       json_integer_value(json_object_get(v, "Quantity")) == 0 &&
	       json_is_integer(json_object_get(v, "Quantity"));
}

json_t *cohd_cloudfront_normalise(const json_t *v)
{
	const char *key;
	json_t *item, *out;
	size_t i;

	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach (v, i, item)
			json_array_append_new(out, cohd_cloudfront_normalise(item));
		return out;
	}
	if (!json_is_object(v))
		return json_incref((json_t *)v);
	out = json_object();
	if (!out)
		return NULL;
	json_object_foreach ((json_t *)v, key, item) {
		json_t *n;

		if (streq(key, "Items") && json_is_array(item) && json_array_size(item) == 0)
			continue;
		if (json_object_get(v, "CachePolicyId")) {
			bool legacy = false;

			for (size_t k = 0; k < ELEMENTSOF(legacy_with_policy); k++)
				legacy |= streq(key, legacy_with_policy[k]);
			if (legacy)
				continue;
		}
		if (streq(key, "Items") && json_is_array(item) && all_strings(item))
			n = sorted_strings(item);
		else
			n = cohd_cloudfront_normalise(item);
		if (!n) {
			json_decref(out);
			return NULL;
		}
		if (empty_list(n) || is_default(key, n)) {
			json_decref(n);
			continue;
		}
		json_object_set_new(out, key, n);
	}
	return out;
}

/* ---- tags ---- */

int cohd_cloudfront_tags_params(const struct cohd_rec_item *item, json_t **ret)
{
	const char *arn = json_string_value(json_object_get(item->attrs, "ARN"));

	if (!arn)
		return -EINVAL;
	*ret = json_pack("{s:s}", "Resource", arn);
	return *ret ? 0 : -ENOMEM;
}

json_t *cohd_cloudfront_tag_items(const json_t *tags)
{
	return json_pack("{s:o}", "Items", cohd_rec_tags_to_list(tags, COHD_REC_TAGS_KEY_VALUE));
}

static const char *live_arn(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live ? json_string_value(json_object_get(ctx->live->attrs, "ARN")) : NULL;
}

int cohd_cloudfront_tag_params(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *arn = live_arn(ctx);

	if (!arn)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "Resource", arn, "Tags",
			 cohd_cloudfront_tag_items(ctx->tags));
	return *ret ? 0 : -ENOMEM;
}

int cohd_cloudfront_untag_params(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *arn = live_arn(ctx), *key;
	json_t *keys, *v;

	if (!arn)
		return -EINVAL;
	keys = json_array();
	json_object_foreach ((json_t *)ctx->tags, key, v)
		json_array_append_new(keys, json_string(key));
	*ret = json_pack("{s:s, s:{s:o}}", "Resource", arn, "TagKeys", "Items", keys);
	return *ret ? 0 : -ENOMEM;
}

/* ---- cache and origin request policies ---- */

int cohd_cf_policy_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	*ret = json_pack("{s:s, s:s}", "Type", "custom", "MaxItems", "100");
	return *ret ? 0 : -ENOMEM;
}

/* A list entry {Type, CachePolicy: {Id, LastModifiedTime, CachePolicyConfig}}, a Get/Create/
 * Update answer {CachePolicy: {...}, ETag} -> {Id, LastModifiedTime, CachePolicyConfig, ETag}. */
json_t *cohd_cf_policy_project(const struct cohd_cf_policy *k, const json_t *raw)
{
	const json_t *p = json_object_get(raw, k->kind);
	json_t *o = json_deep_copy(p ? p : raw);

	if (o && json_object_get(raw, "ETag"))
		json_object_set(o, "ETag", json_object_get(raw, "ETag"));
	return o;
}

int cohd_cf_policy_etag_params(const struct cohd_rec_item *item, json_t **ret)
{
	if (!item->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "Id", item->physical_id);
	return *ret ? 0 : -ENOMEM;
}

int cohd_cf_policy_create(const struct cohd_cf_policy *k, const struct cohd_rec_type_ctx *ctx,
			  json_t **ret)
{
	const json_t *cfg = json_object_get(ctx->props, k->config);

	if (!json_is_object(cfg))
		return -EINVAL;
	*ret = json_pack("{s:O}", k->config, cfg);
	return *ret ? 0 : -ENOMEM;
}

static const char *live_etag(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live ? json_string_value(json_object_get(ctx->live->attrs, "ETag")) : NULL;
}

/* The whole configuration, as desired (Update replaces it), with the ETag read this pass. */
int cohd_cf_policy_update(const struct cohd_cf_policy *k, const struct cohd_rec_type_ctx *ctx,
			  const char *const *fields, size_t n_fields, json_t **ret)
{
	const json_t *cfg = json_object_get(ctx->props, k->config);
	const char *etag = live_etag(ctx);

	if (!json_is_object(cfg) || !ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	if (!etag) {
		*ret = json_array(); /* no ETag read: nothing can be sent (shown) */
		return *ret ? 0 : -ENOMEM;
	}
	*ret = json_pack("{s:s, s:s, s:O}", "Id", ctx->live->physical_id, "IfMatch", etag,
			 k->config, cfg);
	return *ret ? 0 : -ENOMEM;
}

int cohd_cf_policy_delete(const struct cohd_cf_policy *k, const struct cohd_rec_type_ctx *ctx,
			  json_t **ret)
{
	const char *etag = live_etag(ctx);

	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	if (!etag) {
		*ret = json_array(); /* the ETag is read for wanted policies only (details) */
		return *ret ? 0 : -ENOMEM;
	}
	*ret = json_pack("{s:s, s:s}", "Id", ctx->live->physical_id, "IfMatch", etag);
	return *ret ? 0 : -ENOMEM;
}
