/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route53.hosted_zone: the public zone of the app's base domain and of each custom domain
 * (compile_edge.c). Route 53 is global (rest-xml, signed for us-east-1; the client knows). Observe
 * is one paginated ListHostedZones; it carries no tags, so they come from ListTagsForResources
 * (ten zones a call), read before matching. Ids come back as "/hostedzone/Z..." and names with a
 * trailing dot: `project` strips both (the REST paths and the compiler's references take the bare
 * id). CreateHostedZone takes CallerReference, the engine's idempotency token, but no tags: the
 * comment and the tags are set right after the create (the comment is an AFTER_CREATE field whose
 * update also writes the tags while the zone has none). Should that step be lost, an untagged zone
 * whose comment is "cohd: <app>" (what the compiler writes) counts as the app's and is adopted
 * (tagged) rather than called foreign. The comment is corrected with UpdateHostedZoneComment; name
 * and privacy cannot change. Deleting needs the zone empty but for SOA and NS: the app's records
 * are deleted first (they depend on it); anyone else's make HostedZoneNotEmpty, shown as an error.
 * Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int zone_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	(void)ctx;
	*ret = json_object();
	return *ret ? 0 : -ENOMEM;
}

int cohd_route53_tags_params(const struct cohd_rec_item *const *items, size_t n, json_t **ret)
{
	json_t *ids = json_array();

	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < n && i < COHD_ROUTE53_TAGS_MAX; i++)
		if (items[i]->physical_id)
			json_array_append_new(ids, json_string(items[i]->physical_id));
	if (json_array_size(ids) == 0) {
		json_decref(ids);
		return -EINVAL;
	}
	*ret = json_pack("{s:s, s:o}", "ResourceType", "hostedzone", "ResourceIds", ids);
	return *ret ? 0 : -ENOMEM;
}

static int tags_params(const struct cohd_rec_item *item, json_t **ret)
{
	return cohd_route53_tags_params(&item, 1, ret);
}

static const struct cohd_rec_detail zone_details[] = {
	{.operation = "ListTagsForResources",
	 .params = tags_params,
	 .result_path = "Tags",
	 .merge_as = "Tags",
	 .batch_max = COHD_ROUTE53_TAGS_MAX,
	 .batch_params = cohd_route53_tags_params,
	 .batch_list_path = "ResourceTagSets",
	 .batch_id_path = "ResourceId"},
};

static bool has_tag(const json_t *tags, const char *key)
{
	const json_t *t;
	size_t i;

	json_array_foreach (tags, i, t)
		if (streq_ptr(json_string_value(json_object_get(t, "Key")), key))
			return true;
	return false;
}

/* "/hostedzone/Z1" -> "Z1", "acme.example.com." -> "acme.example.com" (as "cohd:Name"); an
 * untagged zone with the compiler's comment "cohd: <app>" gets the ownership tags back. */
static json_t *zone_project(const json_t *raw)
{
	const char *id = json_string_value(json_object_get(raw, "Id"));
	const char *comment = json_string_value(cohd_rec_json_path(raw, "Config.Comment"));
	json_t *o = json_deep_copy(raw), *tags;

	if (!o)
		return NULL;
	if (id)
		json_object_set_new(o, "Id", json_string(cohd_route53_zone_id(id)));
	if (json_object_get(raw, "Name"))
		json_object_set_new(o, "cohd:Name",
				    cohd_route53_name_normalise(json_object_get(raw, "Name")));
	tags = json_object_get(o, "Tags");
	if (comment && strncmp(comment, "cohd: ", 6) == 0 && comment[6] &&
	    (!tags || (json_is_array(tags) && !has_tag(tags, "ManagedBy")))) {
		if (!json_is_array(tags)) {
			tags = json_array();
			json_object_set_new(o, "Tags", tags);
		}
		json_array_append_new(
			tags, json_pack("{s:s, s:s}", "Key", "ManagedBy", "Value", "coherence"));
		json_array_append_new(
			tags, json_pack("{s:s, s:s}", "Key", "Application", "Value", comment + 6));
	}
	return o;
}

static const char *zone_id(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live ? ctx->live->physical_id : NULL;
}

static int zone_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const json_t *cfg = json_object_get(ctx->props, "HostedZoneConfig");

	if (!ctx->token || !json_is_string(json_object_get(ctx->props, "Name")))
		return -EINVAL;
	*ret = json_pack("{s:O, s:O}", "Name", json_object_get(ctx->props, "Name"),
			 "CallerReference", ctx->token);
	if (*ret && cfg)
		json_object_set(*ret, "HostedZoneConfig", (json_t *)cfg);
	return *ret ? 0 : -ENOMEM;
}

static int zone_tag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *id = zone_id(ctx);

	if (!id)
		return -EINVAL;
	*ret = json_pack("{s:s, s:s, s:o}", "ResourceType", "hostedzone", "ResourceId", id,
			 "AddTags", cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	return *ret ? 0 : -ENOMEM;
}

static int zone_untag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *id = zone_id(ctx), *key;
	json_t *keys = json_array(), *v;

	if (!id || !keys) {
		json_decref(keys);
		return id ? -ENOMEM : -EINVAL;
	}
	json_object_foreach ((json_t *)ctx->tags, key, v)
		json_array_append_new(keys, json_string(key));
	*ret = json_pack("{s:s, s:s, s:o}", "ResourceType", "hostedzone", "ResourceId", id,
			 "RemoveTagKeys", keys);
	return *ret ? 0 : -ENOMEM;
}

/* UpdateHostedZoneComment; right after the create (the zone has no tags yet) the tags too. */
static int comment_update(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			  size_t n_fields, json_t **ret)
{
	const json_t *c = cohd_rec_json_path(ctx->props, "HostedZoneConfig.Comment");
	const char *id = zone_id(ctx);
	json_t *steps, *tags = NULL;

	(void)fields;
	(void)n_fields;
	if (!id || !json_is_string(c))
		return -EINVAL;
	steps = json_pack("[{s:s, s:{s:s, s:O}}]", "Operation", "UpdateHostedZoneComment", "Params",
			  "Id", id, "Comment", c);
	if (steps && !json_object_get(ctx->live->tags, "cohd:id") && ctx->tags &&
	    zone_tag(ctx, &tags) >= 0)
		json_array_append_new(steps, json_pack("{s:s, s:o}", "Operation",
						       "ChangeTagsForResource", "Params", tags));
	*ret = steps;
	return steps ? 0 : -ENOMEM;
}

static const struct cohd_rec_field zone_fields[] = {
	{.path = "Name", .flags = COHD_REC_F_REPLACE, .normalise = cohd_route53_name_normalise},
	{.path = "HostedZoneConfig.Comment",
	 .live_path = "Config.Comment",
	 .flags = COHD_REC_F_AFTER_CREATE,
	 .default_json = "\"\"",
	 .update_op = "UpdateHostedZoneComment",
	 .update_params = comment_update},
	{.path = "HostedZoneConfig.PrivateZone",
	 .live_path = "Config.PrivateZone",
	 .flags = COHD_REC_F_REPLACE,
	 .default_json = "false"},
};

static int zone_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *id = zone_id(ctx);

	if (!id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "Id", id);
	return *ret ? 0 : -ENOMEM;
}

static const char *const zone_gone[] = {"NoSuchHostedZone", NULL};

const struct cohd_rec_type cohd_resource_route53_hosted_zone = {
	.name = "route53.hosted_zone",
	.service = "route53",
	.tier = 0,

	.describe_op = "ListHostedZones",
	.observe_params = zone_observe,
	.list_path = "HostedZones",
	.id_path = "Id",
	.name_path = "cohd:Name",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.project = zone_project,
	.details = zone_details,
	.n_details = ELEMENTSOF(zone_details),

	.fields = zone_fields,
	.n_fields = ELEMENTSOF(zone_fields),

	.create_op = "CreateHostedZone",
	.create_params = zone_create,
	.token_member = "CallerReference",
	.create_tag_style = COHD_REC_TAGS_NONE,
	.create_result_path = "HostedZone",

	.id_member = "Id",
	.tag_op = "ChangeTagsForResource",
	.tag_params = zone_tag,
	.untag_op = "ChangeTagsForResource",
	.untag_params = zone_untag,
	.delete_op = "DeleteHostedZone",
	.delete_params = zone_delete,
	.gone_codes = zone_gone,
};
