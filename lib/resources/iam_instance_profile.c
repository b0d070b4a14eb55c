/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iam.instance_profile: the bastion's instance profile holding the bastion role
 * (compile_network.c). Observe is one paginated ListInstanceProfiles under the compiler's path
 * "/cohd/"; AWS's list omits tags (documented for ListInstanceProfiles), so they come from a
 * ListInstanceProfileTags detail. CreateInstanceProfile takes no role: the role is added right
 * after the create (AddRoleToInstanceProfile, "Roles.0"; a profile holds one role).
 *
 * The tag read runs before matching, only for profiles under the app's name prefix (the path
 * "/cohd/" is shared by every app of the account). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int profile_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	*ret = json_pack("{s:s}", "PathPrefix", "/cohd/");
	return *ret ? 0 : -ENOMEM;
}

/* "Roles" as the graph spells them: role names (AWS lists Role objects). */
static json_t *profile_project(const json_t *raw)
{
	json_t *o = json_deep_copy(raw), *names = json_array(), *r;
	size_t i;

	if (!o || !names) {
		json_decref(o);
		json_decref(names);
		return NULL;
	}
	json_array_foreach (json_object_get(raw, "Roles"), i, r)
		if (json_is_string(json_object_get(r, "RoleName")))
			json_array_append(names, json_object_get(r, "RoleName"));
	json_object_set_new(o, "Roles", names);
	return o;
}

static int tags_params(const struct cohd_rec_item *item, json_t **ret)
{
	if (!item->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "InstanceProfileName", item->physical_id);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_detail profile_details[] = {
	{.operation = "ListInstanceProfileTags",
	 .params = tags_params,
	 .result_path = "Tags",
	 .merge_as = "Tags"},
};

static const char *profile_name(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live && ctx->live->physical_id ? ctx->live->physical_id
	       : ctx->resource			   ? ctx->resource->name
						   : NULL;
}

static int profile_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const json_t *path = json_object_get(ctx->props, "Path");

	*ret = json_pack("{s:O, s:o}", "InstanceProfileName",
			 json_object_get(ctx->props, "InstanceProfileName"), "Tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	if (*ret && path)
		json_object_set(*ret, "Path", (json_t *)path);
	return *ret ? 0 : -ENOMEM;
}

static int add_role(const struct cohd_rec_type_ctx *ctx, const char *const *fields, size_t n_fields,
		    json_t **ret)
{
	const json_t *role = n_fields == 1 ? cohd_rec_json_path(ctx->props, fields[0]) : NULL;
	const char *name = profile_name(ctx);

	if (!json_is_string(role) || !name)
		return -EINVAL;
	*ret = json_pack("{s:s, s:O}", "InstanceProfileName", name, "RoleName", role);
	return *ret ? 0 : -ENOMEM;
}

static int profile_tag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *name = profile_name(ctx);

	if (!name)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "InstanceProfileName", name, "Tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_field profile_fields[] = {
	{.path = "Path", .flags = COHD_REC_F_REPLACE, .default_json = "\"/\""},
	{.path = "Roles.0",
	 .flags = COHD_REC_F_AFTER_CREATE | COHD_REC_F_ONE_PER_CALL,
	 .update_op = "AddRoleToInstanceProfile",
	 .update_params = add_role},
};

/* DeleteInstanceProfile refuses while a role is in it: remove it first, in the same action. */
static int profile_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *name = ctx->live ? ctx->live->physical_id : NULL;
	const json_t *role;
	json_t *steps;
	size_t i;

	if (!name)
		return -EINVAL;
	steps = json_array();
	if (!steps)
		return -ENOMEM;
	json_array_foreach (json_object_get(ctx->live->attrs, "Roles"), i, role)
		json_array_append_new(steps, json_pack("{s:s, s:{s:s, s:O}, s:[s]}", "Operation",
						       "RemoveRoleFromInstanceProfile", "Params",
						       "InstanceProfileName", name, "RoleName",
						       role, "IgnoreCodes", "NoSuchEntity"));
	json_array_append_new(steps,
			      json_pack("{s:s, s:{s:s}}", "Operation", "DeleteInstanceProfile",
					"Params", "InstanceProfileName", name));
	*ret = steps;
	return 0;
}

static const char *const profile_gone[] = {"NoSuchEntity", NULL};

const struct cohd_rec_type cohd_resource_iam_instance_profile = {
	.name = "iam.instance_profile",
	.service = "iam",
	.tier = 2,
	.unique_name = true,

	.describe_op = "ListInstanceProfiles",
	.observe_params = profile_observe,
	.list_path = "InstanceProfiles",
	.id_path = "InstanceProfileName", /* IAM addresses profiles by name */
	.name_path = "InstanceProfileName",
	.tags_path = "Tags",
	.tag_read_prefix = true, /* "/cohd/" holds every app's profiles */
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.project = profile_project,
	.details = profile_details,
	.n_details = ELEMENTSOF(profile_details),

	.fields = profile_fields,
	.n_fields = ELEMENTSOF(profile_fields),

	.create_op = "CreateInstanceProfile",
	.create_params = profile_create,
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "InstanceProfile",

	.id_member = "InstanceProfileName",
	.tag_op = "TagInstanceProfile",
	.tag_params = profile_tag,
	.delete_op = "DeleteInstanceProfile",
	.delete_params = profile_delete,
	.gone_codes = profile_gone,
};
