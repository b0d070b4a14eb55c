/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ecs.cluster: the application's Fargate cluster (coherence-resources.md §2.5) with the FARGATE
 * and FARGATE_SPOT capacity providers (Spot for previews). ECS has no tag-filtered list: observe
 * is one DescribeClusters naming the wanted clusters (include TAGS), and since the name is our
 * deterministic one, that is also the look-up before create. Clusters deleted a moment ago stay
 * listed as INACTIVE for a while: they are not the cluster (they are dropped in `project`).
 * CreateCluster takes no token; it is idempotent by name for ACTIVE clusters. Pure; no I/O.
 */
#include "lib/model/naming.h"
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

/* The app's cluster name is the app prefix "<app slug>-<6 hex>" (compile.c, compile_network.c)
 * that begins every name of the app (name is the environment's name prefix or one of its
 * names). The observe call cannot resolve the "cluster" placeholder, so it derives it. */
static char *app_cluster_name(const char *app, const char *name)
{
	_cleanup_free_ char *slug = cohd_naming_slug(strempty(app), 20);
	size_t n;

	if (!slug || !name)
		return NULL;
	n = strlen(slug) + 7;
	if (strlen(name) < n || strncmp(name, slug, strlen(slug)) != 0 || name[n - 7] != '-')
		return strdup(name); /* not one of ours: ask for it as is (finds nothing) */
	return strndup(name, n);
}

static int cluster_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	json_t *names = json_array();

	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < ctx->n_wanted; i++)
		json_array_append_new(names, json_string(ctx->wanted[i]->name));
	/* Nothing wanted (only a remembered orphan): ask for the app's cluster by the name the
	 * compiler gives it, never for the account's default cluster (what an empty list means). */
	if (json_array_size(names) == 0) {
		_cleanup_free_ char *c = app_cluster_name(ctx->app, ctx->name_prefix);

		if (!c) {
			json_decref(names);
			return -ENOMEM;
		}
		json_array_append_new(names, json_string(c));
	}
	*ret = json_pack("{s:o, s:[s, s]}", "clusters", names, "include", "TAGS", "SETTINGS");
	return *ret ? 0 : -ENOMEM;
}

/* INACTIVE: deleted, listed for a while; dropping it here (NULL) means "not observed". */
static json_t *cluster_project(const json_t *raw)
{
	if (streq_ptr(json_string_value(json_object_get(raw, "status")), "INACTIVE"))
		return NULL;
	return json_deep_copy(raw);
}

/* PutClusterCapacityProviders replaces both lists at once. */
static int put_providers(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			 size_t n_fields, json_t **ret)
{
	const json_t *cp = json_object_get(ctx->props, "capacityProviders");
	const json_t *st = json_object_get(ctx->props, "defaultCapacityProviderStrategy");

	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s, s:O, s:O}", "cluster", ctx->live->physical_id, "capacityProviders",
			 cp ? cp : json_array(), "defaultCapacityProviderStrategy",
			 st ? st : json_array());
	return *ret ? 0 : -ENOMEM;
}

static int cluster_tag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "resourceArn", ctx->live->physical_id, "tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE_LOWER));
	return *ret ? 0 : -ENOMEM;
}

static int cluster_by_id(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:[s], s:[s]}", "clusters", ctx->live->physical_id, "include", "TAGS");
	return *ret ? 0 : -ENOMEM;
}

/* Strategy items: ECS fills base 0 when it was not given. */
static json_t *strategy_normalise(const json_t *v)
{
	json_t *o = json_deep_copy(v), *it;
	size_t i;

	json_array_foreach (o, i, it)
		if (json_is_object(it) && !json_object_get(it, "base"))
			json_object_set_new(it, "base", json_integer(0));
	return o;
}

static const struct cohd_rec_field cluster_fields[] = {
	{.path = "capacityProviders",
	 .flags = COHD_REC_F_SORT,
	 .default_json = "[]",
	 .update_op = "PutClusterCapacityProviders",
	 .update_params = put_providers},
	{.path = "defaultCapacityProviderStrategy",
	 .default_json = "[]",
	 .update_op = "PutClusterCapacityProviders",
	 .update_params = put_providers,
	 .normalise = strategy_normalise},
};

static enum cohd_rec_health cluster_health(const struct cohd_rec_item *item)
{
	const char *s = json_string_value(json_object_get(item->attrs, "status"));

	return streq_ptr(s, "ACTIVE")	? COHD_REC_HEALTH_HEALTHY
	       : streq_ptr(s, "FAILED") ? COHD_REC_HEALTH_DEGRADED
					: COHD_REC_HEALTH_PROGRESSING;
}

const struct cohd_rec_type cohd_resource_ecs_cluster = {
	.name = "ecs.cluster",
	.service = "ecs",
	.tier = 1,
	.unique_name = true,

	.describe_op = "DescribeClusters",
	.observe_params = cluster_observe,
	.list_path = "clusters",
	.id_path = "clusterArn",
	.name_path = "clusterName",
	.tags_path = "tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE_LOWER,
	.project = cluster_project,
	.by_id_params = cluster_by_id,
	.health = cluster_health,

	.fields = cluster_fields,
	.n_fields = ELEMENTSOF(cluster_fields),

	.create_op = "CreateCluster",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE_LOWER,
	.create_result_path = "cluster",

	.id_member = "cluster",
	.tag_op = "TagResource",
	.tag_params = cluster_tag,
	.delete_op = "DeleteCluster",
	/* ClusterNotFoundException is in the NOT_FOUND class already. */
};
