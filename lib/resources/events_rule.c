/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events.rule: one EventBridge schedule rule per scheduled task of a backend (compile_ecs.c),
 * on the default event bus. Observe is one paginated ListRules by the app's name prefix
 * (NamePrefix "<app slug>-<6 hex>"); ListRules carries no tags, so ListTagsForResource per rule
 * of ours runs before matching. PutRule is an upsert by name: it creates (with the tags, which
 * it applies only then) and corrects the schedule, state and description in one call that
 * carries all three (PutRule replaces what it is not given). Tags are corrected by TagResource /
 * UntagResource. DeleteRule refuses a rule with targets: the rule's events.target depends on it
 * and is removed first. Pure; no I/O.
 */
#include "lib/model/naming.h"
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

/* The app prefix "<app slug>-<6 hex>" that begins every rule name of the app. */
static int rule_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	_cleanup_free_ char *slug = cohd_naming_slug(strempty(ctx->app), 20);
	const char *np = strempty(ctx->name_prefix);
	size_t n = slug ? strlen(slug) + 7 : 0;

	if (!slug)
		return -ENOMEM;
	if (strlen(np) >= n && strncmp(np, slug, strlen(slug)) == 0 && np[n - 7] == '-')
		*ret = json_pack("{s:s%, s:i}", "NamePrefix", np, n, "Limit", 100);
	else
		*ret = json_pack("{s:s, s:i}", "NamePrefix", np, "Limit", 100);
	return *ret ? 0 : -ENOMEM;
}

/* PutRule answers only the ARN: the name (which the rule's target refers to) is its last part
 * ("arn:aws:events:<region>:<account>:rule/<name>" on the default bus). */
static json_t *rule_project(const json_t *raw)
{
	json_t *o = json_deep_copy(raw);
	const char *arn = json_string_value(json_object_get(raw, "RuleArn"));
	const char *s = arn ? strstr(arn, ":rule/") : NULL;

	if (!o)
		return NULL;
	if (arn && !json_object_get(o, "Arn"))
		json_object_set_new(o, "Arn", json_string(arn));
	if (s && !json_object_get(o, "Name") && !strchr(s + STRLEN(":rule/"), '/'))
		json_object_set_new(o, "Name", json_string(s + STRLEN(":rule/")));
	return o;
}

static int tags_params(const struct cohd_rec_item *item, json_t **ret)
{
	const json_t *arn = json_object_get(item->attrs, "Arn");

	if (!json_is_string(arn))
		return -EINVAL;
	*ret = json_pack("{s:O}", "ResourceARN", arn);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_detail rule_details[] = {
	{.operation = "ListTagsForResource",
	 .params = tags_params,
	 .result_path = "Tags",
	 .merge_as = "Tags"},
};

static const char *rule_name(const struct cohd_rec_type_ctx *ctx)
{
	const char *n = json_string_value(json_object_get(ctx->props, "Name"));

	if (ctx->live && ctx->live->physical_id)
		return ctx->live->physical_id;
	return n ? n : ctx->resource ? ctx->resource->name : NULL;
}

static char *rule_arn(const struct cohd_rec_type_ctx *ctx)
{
	const char *a =
		ctx->live ? json_string_value(json_object_get(ctx->live->attrs, "Arn")) : NULL;
	const char *name = rule_name(ctx);
	char *s = NULL;

	if (a)
		return strdup(a);
	if (!name || !ctx->account)
		return NULL;
	if (asprintf(&s, "arn:%s:events:%s:%s:rule/%s", strempty(ctx->partition),
		     strempty(ctx->region), ctx->account, name) < 0)
		return NULL;
	return s;
}

/* PutRule: the whole rule (what it is not given it resets), without tags. */
static json_t *put_rule(const struct cohd_rec_type_ctx *ctx)
{
	static const char *const keys[] = {"ScheduleExpression", "EventPattern", "State",
					   "Description",	 "RoleArn",	 "EventBusName"};
	const char *name = rule_name(ctx);
	json_t *p = name ? json_pack("{s:s}", "Name", name) : NULL;

	for (size_t i = 0; p && i < ELEMENTSOF(keys); i++) {
		const json_t *v = json_object_get(ctx->props, keys[i]);

		if (json_is_object(v) && streq(keys[i], "EventPattern")) {
			char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

			json_object_set_new(p, keys[i], json_string(strempty(s)));
			free(s);
		} else if (v)
			json_object_set(p, keys[i], (json_t *)v);
	}
	return p;
}

static int rule_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	json_t *p = put_rule(ctx);

	if (!p)
		return -EINVAL;
	json_object_set_new(p, "Tags", cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	*ret = p;
	return 0;
}

static int rule_update(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
		       size_t n_fields, json_t **ret)
{
	*ret = put_rule(ctx);
	return *ret ? 0 : -EINVAL;
}

static int rule_tag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	_cleanup_free_ char *arn = rule_arn(ctx);

	if (!arn)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "ResourceARN", arn, "Tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	return *ret ? 0 : -ENOMEM;
}

static int rule_untag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	_cleanup_free_ char *arn = rule_arn(ctx);
	json_t *keys = json_array();
	const char *k;
	json_t *v;

	if (!arn || !keys) {
		json_decref(keys);
		return arn ? -ENOMEM : -EINVAL;
	}
	json_object_foreach ((json_t *)ctx->tags, k, v)
		json_array_append_new(keys, json_string(k));
	*ret = json_pack("{s:s, s:o}", "ResourceARN", arn, "TagKeys", keys);
	return *ret ? 0 : -ENOMEM;
}

static int rule_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "Name", ctx->live->physical_id);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_field rule_fields[] = {
	{.path = "ScheduleExpression"},
	{.path = "EventPattern", .flags = COHD_REC_F_JSON_DOC},
	{.path = "State", .default_json = "\"ENABLED\""},
	{.path = "Description", .default_json = "\"\""},
	{.path = "EventBusName", .flags = COHD_REC_F_REPLACE, .default_json = "\"default\""},
};

const struct cohd_rec_type cohd_resource_events_rule = {
	.name = "events.rule",
	.service = "events",
	.tier = 5,
	.unique_name = true,

	.describe_op = "ListRules",
	.observe_params = rule_observe,
	.list_path = "Rules",
	.id_path = "Name", /* EventBridge addresses rules by name */
	.name_path = "Name",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.project = rule_project,
	.details = rule_details,
	.n_details = ELEMENTSOF(rule_details),

	.fields = rule_fields,
	.n_fields = ELEMENTSOF(rule_fields),

	.create_op = "PutRule",
	.create_params = rule_create,
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,

	.update_op = "PutRule", /* an upsert */
	.update_params = rule_update,
	.id_member = "Name",
	.tag_op = "TagResource",
	.tag_params = rule_tag,
	.untag_op = "UntagResource",
	.untag_params = rule_untag,
	.delete_op = "DeleteRule",
	.delete_params = rule_delete,
	/* ResourceNotFoundException is in the NOT_FOUND class already. */
};
