/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cloudwatch.alarm: the CPU alarm of each ECS service that calls its step scaling policies
 * (compile_ecs.c). Observe is one paginated DescribeAlarms by the app's name prefix
 * (MetricAlarms); tags come from a ListTagsForResource detail. PutMetricAlarm is an upsert that
 * takes Tags on create: it creates and corrects (the whole alarm per call).
 *
 * The tag read runs before matching (the engine reads a detail whose merge_as is tags_path for
 * each described item first). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int alarm_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	*ret = json_pack("{s:s, s:[s]}", "AlarmNamePrefix", strempty(ctx->name_prefix),
			 "AlarmTypes", "MetricAlarm");
	return *ret ? 0 : -ENOMEM;
}

static int tags_params(const struct cohd_rec_item *item, json_t **ret)
{
	const json_t *arn = json_object_get(item->attrs, "AlarmArn");

	if (!json_is_string(arn))
		return -EINVAL;
	*ret = json_pack("{s:O}", "ResourceARN", arn);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_detail alarm_details[] = {
	{.operation = "ListTagsForResource",
	 .params = tags_params,
	 .result_path = "Tags",
	 .merge_as = "Tags"},
};

static int alarm_put(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
		     size_t n_fields, json_t **ret)
{
	const char *key;
	json_t *p = json_object(), *v;

	if (!p || !ctx->props) {
		json_decref(p);
		return -EINVAL;
	}
	json_object_foreach ((json_t *)ctx->props, key, v)
		if (strncmp(key, "cohd:", 5) != 0)
			json_object_set(p, key, v);
	*ret = p;
	return 0;
}

static int alarm_tag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const json_t *arn = ctx->live ? json_object_get(ctx->live->attrs, "AlarmArn") : NULL;

	if (!json_is_string(arn))
		return -EINVAL;
	*ret = json_pack("{s:O, s:o}", "ResourceARN", arn, "Tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	return *ret ? 0 : -ENOMEM;
}

static int alarm_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:[s]}", "AlarmNames", ctx->live->physical_id);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_field alarm_fields[] = {
	{.path = "AlarmDescription"},
	{.path = "Namespace"},
	{.path = "MetricName"},
	{.path = "Dimensions", .flags = COHD_REC_F_SORT},
	{.path = "Statistic"},
	{.path = "Period"},
	{.path = "EvaluationPeriods"},
	{.path = "Threshold"},
	{.path = "ComparisonOperator"},
	{.path = "AlarmActions", .flags = COHD_REC_F_SORT},
	{.path = "OKActions", .flags = COHD_REC_F_SORT},
	{.path = "TreatMissingData", .default_json = "\"missing\""},
	{.path = "ActionsEnabled", .default_json = "true"},
};

const struct cohd_rec_type cohd_resource_cloudwatch_alarm = {
	.name = "cloudwatch.alarm",
	.service = "cloudwatch",
	.tier = 7,

	.describe_op = "DescribeAlarms",
	.observe_params = alarm_observe,
	.list_path = "MetricAlarms",
	.id_path = "AlarmName",
	.name_path = "AlarmName",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.id_list_member = "AlarmNames",
	.details = alarm_details,
	.n_details = ELEMENTSOF(alarm_details),

	.fields = alarm_fields,
	.n_fields = ELEMENTSOF(alarm_fields),

	.create_op = "PutMetricAlarm",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,

	.update_op = "PutMetricAlarm", /* an upsert */
	.update_params = alarm_put,
	.id_member = "AlarmName",
	.tag_op = "TagResource",
	.tag_params = alarm_tag,
	.delete_op = "DeleteAlarms",
	.delete_params = alarm_delete,
};
