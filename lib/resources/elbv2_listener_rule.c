/* SPDX-License-Identifier: Apache-2.0 */
/*
 * elbv2.listener_rule: one host + path rule per public backend service, environment and domain
 * on the shared HTTPS listener (compile_ecs.c), forwarding to the service's target group. The
 * priority comes from the Allocate placeholder the daemon resolves (a free one on the listener,
 * in Rank order within the environment): generated, so never compared. Observe is one
 * paginated DescribeRules on the listener the resolved properties name (the listener type is
 * observed first); nothing is asked while the listener does not exist. Rules have no name:
 * identity is the cohd:id tag only, from a DescribeTags detail. Conditions and actions are
 * corrected by one ModifyRule, normalised for what ELB fills in (Values beside the *Config,
 * Order, ForwardConfig).
 *
 * The tag read runs before matching (the engine reads a detail whose merge_as is tags_path for
 * each described item first). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int rule_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	const char *l = NULL;

	for (size_t i = 0; ctx->props && i < ctx->n_wanted && !l; i++)
		l = json_string_value(json_object_get(ctx->props[i], "ListenerArn"));
	*ret = l ? json_pack("{s:s}", "ListenerArn", l) : NULL;
	return l && !*ret ? -ENOMEM : 0;
}

/* The listener's default rule is not a rule of ours. */
static json_t *rule_project(const json_t *raw)
{
	if (json_is_true(json_object_get(raw, "IsDefault")))
		return NULL;
	return json_deep_copy(raw);
}

static int cmp_json(const void *a, const void *b)
{
	_cleanup_free_ char *x =
		json_dumps(*(json_t *const *)a, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	_cleanup_free_ char *y =
		json_dumps(*(json_t *const *)b, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	return strcmp(x ? x : "", y ? y : "");
}

static json_t *sorted(const json_t *list)
{
	size_t n = json_array_size(list);
	_cleanup_free_ json_t **v = calloc(n + 1, sizeof(json_t *));
	json_t *out = json_array();

	if (!v || !out) {
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(list, i);
	qsort(v, n, sizeof(json_t *), cmp_json);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	return out;
}

/* ELB answers each condition with both "Values" and its *Config: keep the *Config, values as
 * sets; conditions as a set. */
static json_t *conditions_normalise(const json_t *v)
{
	json_t *o = json_array(), *c, *out;
	const char *key;
	json_t *val;
	size_t i;

	json_array_foreach (v, i, c) {
		json_t *x = json_object();
		bool has_config = false;

		json_object_foreach ((json_t *)c, key, val)
			has_config |= strstr(key, "Config") != NULL;
		json_object_foreach ((json_t *)c, key, val) {
			if (streq(key, "Values") && has_config)
				continue;
			if (json_is_object(val) && json_is_array(json_object_get(val, "Values"))) {
				json_t *cfg = json_deep_copy(val);

				json_object_set_new(cfg, "Values",
						    sorted(json_object_get(val, "Values")));
				json_object_set_new(x, key, cfg);
			} else
				json_object_set(x, key, val);
		}
		json_array_append_new(o, x);
	}
	out = sorted(o);
	json_decref(o);
	return out;
}

static json_t *actions_normalise(const json_t *v)
{
	json_t *o = json_deep_copy(v), *a;
	size_t i;

	json_array_foreach (o, i, a) {
		json_object_del(a, "Order");
		if (json_object_get(a, "TargetGroupArn"))
			json_object_del(a, "ForwardConfig");
	}
	return o;
}

static const struct cohd_rec_field rule_fields[] = {
	/* ListenerArn: not in the describe item; the rule is found by describing that listener. */
	/* Allocated by the daemon: never compared (a generated value); SetRulePriorities would
	 * move it. */
	{.path = "Priority", .flags = COHD_REC_F_OBSERVE_ONLY},
	{.path = "Conditions", .normalise = conditions_normalise},
	{.path = "Actions", .normalise = actions_normalise},
};

const struct cohd_rec_type cohd_resource_elbv2_listener_rule = {
	.name = "elbv2.listener_rule",
	.service = "elbv2",
	.tier = 4,

	.describe_op = "DescribeRules",
	.observe_params = rule_observe,
	.list_path = "Rules",
	.id_path = "RuleArn",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.project = rule_project,
	.id_list_member = "RuleArns",
	.details = &cohd_elbv2_tags_detail,
	.n_details = 1,

	.fields = rule_fields,
	.n_fields = ELEMENTSOF(rule_fields),

	.create_op = "CreateRule",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "Rules.0",

	.update_op = "ModifyRule", /* default builder: {RuleArn, Conditions, Actions} */
	.id_member = "RuleArn",
	.tag_op = "AddTags",
	.tag_params = cohd_elbv2_tag_params,
	.delete_op = "DeleteRule",
};
