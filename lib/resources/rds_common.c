/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the RDS and ElastiCache types share (both query APIs with the same tagging calls): the
 * tag read before matching (ListTagsForResource by ARN, one call per item: neither API reads
 * tags in bulk, and DBSubnetGroup, DBProxy, CacheSubnetGroup and ReplicationGroup carry none),
 * AddTagsToResource / RemoveTagsFromResource for corrections, the region-wide observe and a
 * normaliser that turns a list of ids or of {<Id member>: ...} objects into a sorted id list.
 * Pure; no I/O.
 */
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

/* Every ARN member the types here describe: the item carries exactly one of them. */
static const char *const arn_members[] = {"DBInstanceArn", "DBSubnetGroupArn", "DBProxyArn", "ARN"};

const char *cohd_rds_arn(const json_t *attrs)
{
	for (size_t i = 0; i < ELEMENTSOF(arn_members); i++) {
		const char *s = json_string_value(json_object_get(attrs, arn_members[i]));

		if (s)
			return s;
	}
	return NULL;
}

int cohd_rds_observe_all(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	*ret = json_object(); /* no filter: paginated over the region (Marker) */
	return *ret ? 0 : -ENOMEM;
}

static int tags_params(const struct cohd_rec_item *item, json_t **ret)
{
	const char *arn = cohd_rds_arn(item->attrs);

	if (!arn)
		return -EINVAL;
	*ret = json_pack("{s:s}", "ResourceName", arn);
	return *ret ? 0 : -ENOMEM;
}

const struct cohd_rec_detail cohd_rds_tags_detail = {
	.operation = "ListTagsForResource",
	.params = tags_params,
	.result_path = "TagList",
	.merge_as = "TagList",
};

int cohd_rds_tag_params(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *arn = ctx->live ? cohd_rds_arn(ctx->live->attrs) : NULL;

	if (!arn)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "ResourceName", arn, "Tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	return *ret ? 0 : -ENOMEM;
}

int cohd_rds_untag_params(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *arn = ctx->live ? cohd_rds_arn(ctx->live->attrs) : NULL;
	const char *key;
	json_t *keys, *v;

	if (!arn)
		return -EINVAL;
	keys = json_array();
	if (!keys)
		return -ENOMEM;
	json_object_foreach ((json_t *)ctx->tags, key, v)
		json_array_append_new(keys, json_string(key));
	*ret = json_pack("{s:s, s:o}", "ResourceName", arn, "TagKeys", keys);
	return *ret ? 0 : -ENOMEM;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(strempty(json_string_value(*(json_t *const *)a)),
		      strempty(json_string_value(*(json_t *const *)b)));
}

json_t *cohd_rds_id_list(const json_t *v, const char *member)
{
	size_t n = json_array_size(v), k = 0, i;
	_cleanup_free_ json_t **ids = NULL;
	json_t *out, *item;

	if (!json_is_array(v))
		return json_incref((json_t *)v);
	ids = calloc(n + 1, sizeof(json_t *));
	out = json_array();
	if (!ids || !out) {
		json_decref(out);
		return NULL;
	}
	json_array_foreach (v, i, item) {
		const json_t *id = json_is_object(item) ? json_object_get(item, member) : item;

		if (json_is_string(id))
			ids[k++] = (json_t *)id;
	}
	qsort(ids, k, sizeof(json_t *), cmp_str);
	for (i = 0; i < k; i++)
		json_array_append(out, ids[i]);
	return out;
}
