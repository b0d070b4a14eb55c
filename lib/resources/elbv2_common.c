/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the four ELBv2 types (load balancer, target group, listener, listener rule) share: tags
 * read with DescribeTags (batched, 20 ARNs a call) before matching, and written with AddTags.
 * Pure; no I/O.
 */
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int tags_params(const struct cohd_rec_item *item, json_t **ret)
{
	if (!item->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:[s]}", "ResourceArns", item->physical_id);
	return *ret ? 0 : -ENOMEM;
}

int cohd_elbv2_tags_params(const struct cohd_rec_item *const *items, size_t n, json_t **ret)
{
	json_t *arns = json_array();

	if (!arns)
		return -ENOMEM;
	for (size_t i = 0; i < n && i < COHD_ELBV2_TAGS_MAX; i++)
		if (items[i]->physical_id)
			json_array_append_new(arns, json_string(items[i]->physical_id));
	if (json_array_size(arns) == 0) {
		json_decref(arns);
		return -EINVAL;
	}
	*ret = json_pack("{s:o}", "ResourceArns", arns);
	return *ret ? 0 : -ENOMEM;
}

const struct cohd_rec_detail cohd_elbv2_tags_detail = {
	.operation = "DescribeTags",
	.params = tags_params,
	.result_path = "Tags",
	.merge_as = "Tags",
	.batch_max = COHD_ELBV2_TAGS_MAX,
	.batch_params = cohd_elbv2_tags_params,
	.batch_list_path = "TagDescriptions",
	.batch_id_path = "ResourceArn",
};

int cohd_elbv2_tag_params(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:[s], s:o}", "ResourceArns", ctx->live->physical_id, "Tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	return *ret ? 0 : -ENOMEM;
}
