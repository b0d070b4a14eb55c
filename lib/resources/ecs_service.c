/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ecs.service: one Fargate service per backend and per worker (compile_ecs.c): FARGATE in static
 * and production environments, a FARGATE_SPOT capacity provider strategy in previews. ECS has no
 * tag-filtered list: observe is one DescribeServices (include TAGS) per ten wanted services on
 * the app's cluster (the most one call takes), which is also the look-up before create.
 * Services ECS still lists after a delete (INACTIVE) are dropped. CreateService takes clientToken.
 * UpdateService corrects the task definition, the desired count (kept inside the autoscaling band
 * by the engine), the capacity strategy (with forceNewDeployment, which ECS demands), the network
 * and deployment settings in one call. Delete is DeleteService with force (no scale-to-0 call
 * first), then a bounded wait until ECS reports it INACTIVE, so the target group is not deleted
 * under it. Pure; no I/O.
 */
#include "lib/model/naming.h"
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

#define DESCRIBE_SERVICES_MAX 10

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

/* One batch of at most ten wanted services (observe_batch): DescribeServices names them, which
 * is also the look-up before create (an untagged service with our name is found here). */
static int service_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	_cleanup_free_ char *cluster = NULL;
	json_t *names;

	if (ctx->n_wanted == 0) {
		*ret = NULL; /* nothing to ask: DescribeServices needs names */
		return 0;
	}
	/* The cluster as resolved from what was observed before (the cluster type is observed
	 * first), else as the compiler names it. */
	for (size_t i = 0; ctx->props && i < ctx->n_wanted && !cluster; i++) {
		const char *c = json_string_value(json_object_get(ctx->props[i], "cluster"));

		if (c)
			cluster = strdup(c);
	}
	if (!cluster)
		cluster = app_cluster_name(ctx->app, ctx->name_prefix);
	names = json_array();
	if (!cluster || !names) {
		json_decref(names);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ctx->n_wanted && i < DESCRIBE_SERVICES_MAX; i++)
		json_array_append_new(names, json_string(ctx->wanted[i]->name));
	*ret = json_pack("{s:s, s:o, s:[s]}", "cluster", cluster, "services", names, "include",
			 "TAGS");
	return *ret ? 0 : -ENOMEM;
}

/* "arn:aws:ecs:<region>:<account>:service/<cluster>/<name>" -> "<cluster>" (new-style ARNs;
 * NULL for the old ones without the cluster). */
static char *cluster_of_arn(const char *arn)
{
	const char *s = arn ? strstr(arn, ":service/") : NULL, *e;

	if (!s)
		return NULL;
	s += STRLEN(":service/");
	e = strchr(s, '/');
	return e ? strndup(s, (size_t)(e - s)) : NULL;
}

static json_t *service_project(const json_t *raw)
{
	if (streq_ptr(json_string_value(json_object_get(raw, "status")), "INACTIVE"))
		return NULL;
	return json_deep_copy(raw);
}

static const char *live_cluster(const struct cohd_rec_item *live)
{
	const char *c = json_string_value(json_object_get(live->attrs, "clusterArn"));

	return c;
}

/* UpdateService: every drifted field's top-level member from the desired properties. */
static int service_update(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			  size_t n_fields, json_t **ret)
{
	_cleanup_free_ char *arn_cluster = NULL;
	const char *cluster;
	json_t *p;

	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	cluster = live_cluster(ctx->live);
	if (!cluster)
		cluster = arn_cluster = cluster_of_arn(ctx->live->physical_id);
	if (!cluster)
		return -EINVAL;
	p = json_pack("{s:s, s:s}", "cluster", cluster, "service", ctx->live->physical_id);
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n_fields; i++) {
		_cleanup_free_ char *top = strndup(fields[i], strcspn(fields[i], "."));
		const json_t *v = top ? json_object_get(ctx->props, top) : NULL;

		if (!top) {
			json_decref(p);
			return -ENOMEM;
		}
		if (v)
			json_object_set(p, top, (json_t *)v);
		/* ECS refuses a new capacity provider strategy without a new deployment. */
		if (streq(top, "capacityProviderStrategy"))
			json_object_set_new(p, "forceNewDeployment", json_true());
	}
	*ret = p;
	return 0;
}

static int service_tag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "resourceArn", ctx->live->physical_id, "tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE_LOWER));
	return *ret ? 0 : -ENOMEM;
}

/* force: no scale-to-0 UpdateService first (one call; ECS stops the tasks itself). */
static int service_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	_cleanup_free_ char *arn_cluster = NULL;
	const char *cluster;

	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	cluster = ctx->live->attrs ? live_cluster(ctx->live) : NULL;
	if (!cluster)
		cluster = arn_cluster = cluster_of_arn(ctx->live->physical_id);
	if (!cluster)
		return -EINVAL;
	*ret = json_pack("{s:s, s:s, s:b}", "cluster", cluster, "service", ctx->live->physical_id,
			 "force", 1);
	return *ret ? 0 : -ENOMEM;
}

/* Waits poll by ARN: the cluster is part of it. */
static int service_by_id(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	_cleanup_free_ char *cluster = NULL;

	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	cluster = cluster_of_arn(ctx->live->physical_id);
	if (!cluster)
		return -EINVAL;
	*ret = json_pack("{s:s, s:[s], s:[s]}", "cluster", cluster, "services",
			 ctx->live->physical_id, "include", "TAGS");
	return *ret ? 0 : -ENOMEM;
}

static json_t *sort_strings(json_t *a)
{
	size_t n = json_array_size(a);

	/* insertion sort: a handful of subnet and group ids */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0; k--) {
			json_t *x = json_array_get(a, k - 1), *y = json_array_get(a, k);

			if (strcmp(strempty(json_string_value(x)),
				   strempty(json_string_value(y))) <= 0)
				break;
			json_incref(x);
			json_array_set(a, k - 1, y);
			json_array_set_new(a, k, x);
		}
	return a;
}

/* Subnets and security groups are sets; ECS fills assignPublicIp DISABLED. */
static json_t *network_normalise(const json_t *v)
{
	json_t *o = json_deep_copy(v), *aws = json_object_get(o, "awsvpcConfiguration");

	if (!json_is_object(aws))
		return o;
	sort_strings(json_object_get(aws, "subnets"));
	sort_strings(json_object_get(aws, "securityGroups"));
	if (!json_object_get(aws, "assignPublicIp"))
		json_object_set_new(aws, "assignPublicIp", json_string("DISABLED"));
	return o;
}

/* Strategy items: ECS fills base 0 and weight 0 when they were not given. */
static json_t *strategy_normalise(const json_t *v)
{
	json_t *o = json_deep_copy(v), *it;
	size_t i;

	json_array_foreach (o, i, it) {
		if (json_is_object(it) && !json_object_get(it, "base"))
			json_object_set_new(it, "base", json_integer(0));
		if (json_is_object(it) && !json_object_get(it, "weight"))
			json_object_set_new(it, "weight", json_integer(0));
	}
	return o;
}

/* Load balancer entries: ECS echoes what it was given, in the order given; compare as a set. */
static json_t *lbs_normalise(const json_t *v)
{
	json_t *o = json_array(), *it;
	size_t i;
	_cleanup_free_ char **keys = calloc(json_array_size(v) + 1, sizeof(char *));

	if (!o || !keys) {
		json_decref(o);
		return NULL;
	}
	json_array_foreach (v, i, it)
		keys[i] = json_dumps(it, JSON_COMPACT | JSON_SORT_KEYS);
	json_array_foreach (v, i, it)
		json_array_append_new(o, json_string(keys[i] ? keys[i] : ""));
	for (i = 0; i < json_array_size(v); i++)
		free(keys[i]);
	return sort_strings(o);
}

static const struct cohd_rec_field service_fields[] = {
	{.path = "cluster", .live_path = "clusterArn", .flags = COHD_REC_F_REPLACE},
	{.path = "taskDefinition"},
	{.path = "desiredCount"}, /* governed by the autoscaling target: the engine's band */
	/* A launch type cannot become a strategy in place (and back) without a replacement. */
	{.path = "launchType", .flags = COHD_REC_F_REPLACE},
	{.path = "capacityProviderStrategy", .normalise = strategy_normalise},
	{.path = "platformVersion", .default_json = "\"LATEST\""},
	{.path = "networkConfiguration", .normalise = network_normalise},
	{.path = "deploymentConfiguration.maximumPercent"},
	{.path = "deploymentConfiguration.minimumHealthyPercent"},
	{.path = "deploymentConfiguration.deploymentCircuitBreaker.enable",
	 .default_json = "false"},
	{.path = "deploymentConfiguration.deploymentCircuitBreaker.rollback",
	 .default_json = "false"},
	{.path = "loadBalancers", .normalise = lbs_normalise, .default_json = "[]"},
	{.path = "healthCheckGracePeriodSeconds", .default_json = "0"},
	{.path = "enableECSManagedTags", .default_json = "false"},
	{.path = "propagateTags", .default_json = "\"NONE\""},
	{.path = "enableExecuteCommand", .default_json = "false"},
	{.path = "schedulingStrategy", .flags = COHD_REC_F_REPLACE, .default_json = "\"REPLICA\""},
};

static const char *const service_inactive[] = {"INACTIVE", NULL};

/* botocore's ServicesInactive waiter: 15 s x 40. */
static const struct cohd_rec_wait service_gone_wait = {
	.what = "ECS service inactive",
	.state_path = "status",
	.done = service_inactive,
	.gone_is_done = true,
	.interval = 15 * USEC_PER_SEC,
	.max_polls = 40,
};

static enum cohd_rec_health service_health(const struct cohd_rec_item *item)
{
	const json_t *d;
	size_t i;

	if (!streq_ptr(json_string_value(json_object_get(item->attrs, "status")), "ACTIVE"))
		return COHD_REC_HEALTH_PROGRESSING;
	json_array_foreach (json_object_get(item->attrs, "deployments"), i, d)
		if (streq_ptr(json_string_value(json_object_get(d, "rolloutState")), "FAILED"))
			return COHD_REC_HEALTH_DEGRADED;
	if (json_integer_value(json_object_get(item->attrs, "runningCount")) <
	    json_integer_value(json_object_get(item->attrs, "desiredCount")))
		return COHD_REC_HEALTH_PROGRESSING;
	return COHD_REC_HEALTH_HEALTHY;
}

static const char *const service_gone[] = {"ServiceNotFoundException", "ServiceNotActiveException",
					   "ClusterNotFoundException", NULL};

/* DescribeServices on a cluster that does not exist yet: no services there (a new app's
 * services are created on the pass that creates the cluster). */
static const char *const service_absent[] = {"ClusterNotFoundException", NULL};

const struct cohd_rec_type cohd_resource_ecs_service = {
	.name = "ecs.service",
	.service = "ecs",
	.tier = 4,
	.unique_name = true, /* one ACTIVE or DRAINING service per name and cluster */

	.describe_op = "DescribeServices",
	.observe_params = service_observe,
	.observe_batch = DESCRIBE_SERVICES_MAX,
	.list_path = "services",
	.observe_absent_codes = service_absent,
	.id_path = "serviceArn",
	.name_path = "serviceName",
	.tags_path = "tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE_LOWER,
	.project = service_project,
	.by_id_params = service_by_id,
	.health = service_health,

	.fields = service_fields,
	.n_fields = ELEMENTSOF(service_fields),

	.create_op = "CreateService",
	.token_member = "clientToken",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE_LOWER,
	.create_result_path = "service",

	.update_op = "UpdateService",
	.update_params = service_update,
	.id_member = "service",
	.tag_op = "TagResource",
	.tag_params = service_tag,
	.delete_op = "DeleteService",
	.delete_params = service_delete,
	.gone_codes = service_gone,
	.delete_wait = &service_gone_wait,
};
