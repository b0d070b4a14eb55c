/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Default builders for resource types (type.h): the EC2-style tag filter for bulk observe, the
 * create call from the resolved desired properties (with tags and the idempotency token), and
 * tag lists in each AWS style. Pure; loop thread only.
 */
#include "lib/reconcile/diff.h"
#include "lib/reconcile/type.h"
#include "lib/util/macro.h"

json_t *cohd_rec_tags_to_list(const json_t *tags, enum cohd_rec_tag_style style)
{
	const char *k = style == COHD_REC_TAGS_KEY_VALUE_LOWER ? "key" : "Key";
	const char *v = style == COHD_REC_TAGS_KEY_VALUE_LOWER ? "value" : "Value";
	json_t *out, *val;
	const char *key;

	if (style == COHD_REC_TAGS_MAP)
		return json_deep_copy(tags ? tags : json_object());
	out = json_array();
	json_object_foreach ((json_t *)tags, key, val)
		json_array_append_new(out, json_pack("{s:s, s:O}", k, key, v, val));
	return out;
}

int cohd_rec_default_observe_params(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	/* Every app's resources, not only ctx->app's: the same call for every engine of the
	 * account, which the daemon sends once (cohd_rec_call.shared). Ingest keeps the app's. */
	(void)ctx;
	*ret = json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Name", "tag:ManagedBy", "Values",
			 "coherence");
	return *ret ? 0 : -ENOMEM;
}

int cohd_rec_default_create_params(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const struct cohd_rec_type *t = ctx->type;
	json_t *p = json_object(), *v;
	const char *key;

	if (!p)
		return -ENOMEM;
	json_object_foreach ((json_t *)ctx->props, key, v)
		if (strncmp(key, "cohd:", 5) != 0)
			json_object_set_new(p, key, json_deep_copy(v));
	/* Fields the create call does not take are set by an update right after it. */
	for (size_t i = 0; i < t->n_fields; i++)
		if ((t->fields[i].flags & COHD_REC_F_AFTER_CREATE) &&
		    !strchr(t->fields[i].path, '.'))
			json_object_del(p, t->fields[i].path);
	/* JSON documents are given as objects (graph.h): serialise them for the wire. */
	for (size_t i = 0; i < t->n_fields; i++) {
		json_t *doc;
		char *s;

		if (!(t->fields[i].flags & COHD_REC_F_JSON_DOC))
			continue;
		doc = cohd_rec_json_path(p, t->fields[i].path);
		if (!doc || json_is_string(doc))
			continue;
		s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
		if (!s || cohd_rec_json_set_path(p, t->fields[i].path, json_string(s)) < 0) {
			free(s);
			json_decref(p);
			return -ENOMEM;
		}
		free(s);
	}
	if (t->token_member && ctx->token)
		json_object_set(p, t->token_member, (json_t *)ctx->token);
	switch (t->create_tag_style) {
	case COHD_REC_TAGS_EC2_SPEC:
		json_object_set_new(
			p, "TagSpecifications",
			json_pack("[{s:s, s:o}]", "ResourceType", strempty(t->tag_resource_type),
				  "Tags",
				  cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE)));
		break;
	case COHD_REC_TAGS_KEY_VALUE:
		json_object_set_new(p, "Tags",
				    cohd_rec_tags_to_list(ctx->tags, t->create_tag_style));
		break;
	case COHD_REC_TAGS_KEY_VALUE_LOWER:
		json_object_set_new(p, "tags",
				    cohd_rec_tags_to_list(ctx->tags, t->create_tag_style));
		break;
	case COHD_REC_TAGS_MAP:
		json_object_set_new(p, "Tags",
				    cohd_rec_tags_to_list(ctx->tags, t->create_tag_style));
		break;
	default:
		break;
	}
	*ret = p;
	return 0;
}
