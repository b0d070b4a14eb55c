/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ecs.task_definition: the web, migrate, seed, worker and scheduled-task definitions of each
 * backend service (compile_ecs.c). A task definition cannot be changed: every difference is a
 * new revision (RegisterTaskDefinition), and the old revision is deregistered once nothing uses
 * it, which is the engine's replacement (create, then delete the superseded one) with every
 * field REPLACE. The diff is against the latest ACTIVE revision of the family
 * (DescribeTaskDefinition by family, include TAGS), normalised for what ECS fills in (cpu 0,
 * empty mountPoints/volumesFrom, hostPort = containerPort under awsvpc, sorted environment and
 * secrets).
 *
 * DescribeTaskDefinition answers one object ({"taskDefinition", "tags"}), not a list
 * (list_path NULL: the whole response is one item), and an unknown family is a ClientException
 * "Unable to describe task definition" (observe_absent_codes: nothing there). observe_batch = 1
 * asks one family per call and `project` flattens the response. Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int td_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	if (ctx->n_wanted == 0) {
		*ret = NULL;
		return 0;
	}
	*ret = json_pack("{s:s, s:[s]}", "taskDefinition", ctx->wanted[0]->name, "include", "TAGS");
	return *ret ? 0 : -ENOMEM;
}

/* {"taskDefinition": {...}, "tags": [...]} -> the task definition with its tags; INACTIVE
 * revisions are not the resource. */
static json_t *td_project(const json_t *raw)
{
	const json_t *td = json_object_get(raw, "taskDefinition");
	json_t *o;

	if (!td)
		td = raw;
	if (streq_ptr(json_string_value(json_object_get(td, "status")), "INACTIVE"))
		return NULL;
	o = json_deep_copy(td);
	if (o && json_object_get(raw, "tags"))
		json_object_set(o, "tags", json_object_get(raw, "tags"));
	return o;
}

static int td_by_id(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s, s:[s]}", "taskDefinition", ctx->live->physical_id, "include",
			 "TAGS");
	return *ret ? 0 : -ENOMEM;
}

static int cmp_name(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "name"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "name"));

	return strcmp(x ? x : "", y ? y : "");
}

static json_t *sorted_by_name(const json_t *list)
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
	qsort(v, n, sizeof(json_t *), cmp_name);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	return out;
}

/* A container as the compiler writes it: the members it sets, with ECS's fill-ins removed. */
static json_t *container_normalise(const json_t *c)
{
	static const char *const keep[] = {"name",
					   "image",
					   "essential",
					   "entryPoint",
					   "command",
					   "ulimits",
					   "logConfiguration",
					   "cpu",
					   "memory",
					   "memoryReservation"};
	json_t *o = json_object(), *pm, *m;
	size_t i;

	if (!o)
		return NULL;
	for (size_t k = 0; k < ELEMENTSOF(keep); k++)
		if (json_object_get(c, keep[k]))
			json_object_set(o, keep[k], json_object_get(c, keep[k]));
	if (json_integer_value(json_object_get(o, "cpu")) == 0)
		json_object_del(o, "cpu"); /* ECS fills 0 */
	if (!json_object_get(o, "essential"))
		json_object_set_new(o, "essential", json_true());
	/* absent (NULL) and [] both sort to [] */
	json_object_set_new(o, "environment", sorted_by_name(json_object_get(c, "environment")));
	json_object_set_new(o, "secrets", sorted_by_name(json_object_get(c, "secrets")));
	pm = json_array();
	json_array_foreach (json_object_get(c, "portMappings"), i, m) {
		json_t *x = json_deep_copy(m);

		/* awsvpc: hostPort is containerPort; protocol defaults to tcp */
		if (x && !json_object_get(x, "hostPort"))
			json_object_set(x, "hostPort", json_object_get(x, "containerPort"));
		if (x && !json_object_get(x, "protocol"))
			json_object_set_new(x, "protocol", json_string("tcp"));
		json_array_append_new(pm, x);
	}
	json_object_set_new(o, "portMappings", pm);
	return o;
}

static json_t *containers_normalise(const json_t *v)
{
	json_t *out = json_array(), *c, *s;
	size_t i;

	if (!out)
		return NULL;
	json_array_foreach (v, i, c)
		json_array_append_new(out, container_normalise(c));
	s = sorted_by_name(out);
	json_decref(out);
	return s;
}

static int td_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "taskDefinition", ctx->live->physical_id);
	return *ret ? 0 : -ENOMEM;
}

static int td_tag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "resourceArn", ctx->live->physical_id, "tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE_LOWER));
	return *ret ? 0 : -ENOMEM;
}

/* Every field is a new revision. */
static const struct cohd_rec_field td_fields[] = {
	{.path = "containerDefinitions",
	 .flags = COHD_REC_F_REPLACE,
	 .normalise = containers_normalise},
	{.path = "taskRoleArn", .flags = COHD_REC_F_REPLACE},
	{.path = "executionRoleArn", .flags = COHD_REC_F_REPLACE},
	{.path = "networkMode", .flags = COHD_REC_F_REPLACE, .default_json = "\"bridge\""},
	{.path = "requiresCompatibilities", .flags = COHD_REC_F_REPLACE | COHD_REC_F_SORT},
	{.path = "cpu", .flags = COHD_REC_F_REPLACE},
	{.path = "memory", .flags = COHD_REC_F_REPLACE},
	{.path = "runtimePlatform", .flags = COHD_REC_F_REPLACE},
};

/* An unknown family: nothing there (not a failed describe). */
static const char *const td_absent[] = {"ClientException:Unable to describe task definition", NULL};

const struct cohd_rec_type cohd_resource_ecs_task_definition = {
	.name = "ecs.task_definition",
	.service = "ecs",
	.tier = 3,

	.describe_op = "DescribeTaskDefinition",
	.observe_params = td_observe,
	.observe_batch = 1,
	.list_path = NULL, /* the whole response is one item */
	.observe_absent_codes = td_absent,
	.id_path = "taskDefinitionArn",
	.name_path = "family",
	.tags_path = "tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE_LOWER,
	.project = td_project,
	.by_id_params = td_by_id,

	.fields = td_fields,
	.n_fields = ELEMENTSOF(td_fields),

	.create_op = "RegisterTaskDefinition",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE_LOWER,
	.create_result_path = "taskDefinition",

	.id_member = "taskDefinition",
	.tag_op = "TagResource",
	.tag_params = td_tag,
	.delete_op = "DeregisterTaskDefinition",
	.delete_params = td_delete,
};
