/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iam.role: the app's build, deploy, pipeline, events and bastion roles, each environment's task
 * execution role and each service's task role (compile_iam.c). Observe is one paginated
 * GetAccountAuthorizationDetails filtered to roles: unlike ListRoles it carries the tags, the
 * trust policy, the inline policies with their documents and the attached managed policies, so
 * the whole account's roles cost one call (plus pages) instead of one GetRole/ListRolePolicies/
 * GetRolePolicy per role. It omits Description and MaxSessionDuration, so those are set on
 * create and not compared. Policy documents come back URL-encoded: the JSON_DOC normaliser
 * decodes and canonicalises them. CreateRole takes no idempotency token: the bulk describe
 * sees every role of the account, so an untagged role with our name is found before any create.
 * The inline policy and the managed policy are set right after the create (PutRolePolicy,
 * AttachRolePolicy) and corrected the same way. Deleting takes the inline policies, managed
 * policies and instance profiles off first, in the same action (DeleteRole refuses otherwise).
 * Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int role_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	*ret = json_pack("{s:[s]}", "Filter", "Role");
	return *ret ? 0 : -ENOMEM;
}

static int cmp_policy(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "PolicyName"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "PolicyName"));

	return strcmp(strempty(x), strempty(y));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(strempty(json_string_value(*(json_t *const *)a)),
		      strempty(json_string_value(*(json_t *const *)b)));
}

/* A new array of src's items sorted with cmp (new references). */
static json_t *sorted_copy(const json_t *src, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(src);
	_cleanup_free_ json_t **v = calloc(n + 1, sizeof(json_t *));
	json_t *out = json_array();

	if (!v || !out) {
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(src, i);
	qsort(v, n, sizeof(json_t *), cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	return out;
}

/* RoleDetail -> the role in CreateRole's terms: "Policies" (inline, sorted by name) and
 * "ManagedPolicyArns" (sorted) as the graph spells them. */
static json_t *role_project(const json_t *raw)
{
	json_t *o = json_deep_copy(raw), *arns = json_array(), *p;
	const json_t *v;
	size_t i;

	if (!o || !arns) {
		json_decref(o);
		json_decref(arns);
		return NULL;
	}
	json_array_foreach (json_object_get(raw, "AttachedManagedPolicies"), i, v)
		if (json_is_string(json_object_get(v, "PolicyArn")))
			json_array_append(arns, json_object_get(v, "PolicyArn"));
	json_object_set_new(o, "ManagedPolicyArns", sorted_copy(arns, cmp_str));
	json_decref(arns);
	p = sorted_copy(json_object_get(raw, "RolePolicyList"), cmp_policy); /* NULL: [] */
	if (!p) {
		json_decref(o);
		return NULL;
	}
	/* The compiler names a role's inline policy after the role: that one is "Policies.0",
	 * whatever else someone attached by hand. */
	for (size_t k = 1; k < json_array_size(p); k++)
		if (streq_ptr(
			    json_string_value(json_object_get(json_array_get(p, k), "PolicyName")),
			    json_string_value(json_object_get(raw, "RoleName")))) {
			json_t *own = json_incref(json_array_get(p, k));

			json_array_remove(p, k);
			json_array_insert_new(p, 0, own);
			break;
		}
	json_object_set_new(o, "Policies", p);
	return o;
}

/* A policy document (object, or string as AWS returns it) -> compact JSON text. */
static char *doc_text(const json_t *doc)
{
	if (json_is_string(doc))
		return strdup(json_string_value(doc));
	return json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
}

static const struct cohd_rec_field doc_spec = {.path = "PolicyDocument",
					       .flags = COHD_REC_F_JSON_DOC};

/* {PolicyName, PolicyDocument}: the document decoded and canonicalised like any JSON_DOC. */
static json_t *policy_normalise(const json_t *v)
{
	json_t *o = json_deep_copy(v), *doc;

	if (!json_is_object(o))
		return o;
	doc = cohd_rec_normalise(&doc_spec, json_object_get(o, "PolicyDocument"), false);
	if (doc)
		json_object_set_new(o, "PolicyDocument", doc);
	return o;
}

static const char *role_name(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live && ctx->live->physical_id ? ctx->live->physical_id
	       : ctx->resource			   ? ctx->resource->name
						   : NULL;
}

/* CreateRole: the role itself; its policies are set right after (AFTER_CREATE fields). */
static int role_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	static const char *const keys[] = {"RoleName", "Path", "Description", "MaxSessionDuration",
					   "PermissionsBoundary"};
	_cleanup_free_ char *trust = NULL;
	json_t *p = json_object();

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (json_object_get(ctx->props, keys[i]))
			json_object_set(p, keys[i], json_object_get(ctx->props, keys[i]));
	trust = doc_text(json_object_get(ctx->props, "AssumeRolePolicyDocument"));
	if (!trust) {
		json_decref(p);
		return -EINVAL;
	}
	json_object_set_new(p, "AssumeRolePolicyDocument", json_string(trust));
	json_object_set_new(p, "Tags", cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	*ret = p;
	return 0;
}

static int trust_update(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			size_t n_fields, json_t **ret)
{
	_cleanup_free_ char *doc = NULL;
	const char *name = role_name(ctx);

	if (n_fields != 1 || !name)
		return -EINVAL;
	doc = doc_text(cohd_rec_json_path(ctx->props, fields[0]));
	if (!doc)
		return -EINVAL;
	*ret = json_pack("{s:s, s:s}", "RoleName", name, "PolicyDocument", doc);
	return *ret ? 0 : -ENOMEM;
}

/* PutRolePolicy: an upsert of one inline policy by name. */
static int put_policy(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
		      size_t n_fields, json_t **ret)
{
	const json_t *pol = n_fields == 1 ? cohd_rec_json_path(ctx->props, fields[0]) : NULL;
	const char *pname = json_string_value(json_object_get(pol, "PolicyName"));
	_cleanup_free_ char *doc = NULL;
	const char *name = role_name(ctx);

	if (!pname || !name)
		return -EINVAL;
	doc = doc_text(json_object_get(pol, "PolicyDocument"));
	if (!doc)
		return -EINVAL;
	*ret = json_pack("{s:s, s:s, s:s}", "RoleName", name, "PolicyName", pname, "PolicyDocument",
			 doc);
	return *ret ? 0 : -ENOMEM;
}

static int attach_policy(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			 size_t n_fields, json_t **ret)
{
	const json_t *arn = n_fields == 1 ? cohd_rec_json_path(ctx->props, fields[0]) : NULL;
	const char *name = role_name(ctx);

	if (!json_is_string(arn) || !name)
		return -EINVAL;
	*ret = json_pack("{s:s, s:O}", "RoleName", name, "PolicyArn", arn);
	return *ret ? 0 : -ENOMEM;
}

static int role_tag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *name = role_name(ctx);

	if (!name)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "RoleName", name, "Tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	return *ret ? 0 : -ENOMEM;
}

/* The compiler gives each role at most one inline policy and one managed policy
 * (compile_iam.c model_role, compile_network.c bastion), so the first of each is managed: an
 * extra policy someone adds by hand is left alone. */
static const struct cohd_rec_field role_fields[] = {
	{.path = "Path", .flags = COHD_REC_F_REPLACE, .default_json = "\"/\""},
	{.path = "AssumeRolePolicyDocument",
	 .flags = COHD_REC_F_JSON_DOC,
	 .update_op = "UpdateAssumeRolePolicy",
	 .update_params = trust_update},
	/* Not in GetAccountAuthorizationDetails (only GetRole has them, one call per role):
	 * set on create, never compared. */
	{.path = "Description", .flags = COHD_REC_F_WRITE_ONLY, .update_op = "UpdateRole"},
	{.path = "MaxSessionDuration", .flags = COHD_REC_F_WRITE_ONLY, .update_op = "UpdateRole"},
	{.path = "Policies.0",
	 .flags = COHD_REC_F_AFTER_CREATE | COHD_REC_F_ONE_PER_CALL,
	 .update_op = "PutRolePolicy",
	 .update_params = put_policy,
	 .normalise = policy_normalise},
	{.path = "ManagedPolicyArns.0",
	 .flags = COHD_REC_F_AFTER_CREATE | COHD_REC_F_ONE_PER_CALL,
	 .update_op = "AttachRolePolicy",
	 .update_params = attach_policy},
};

static json_t *step(const char *op, json_t *params)
{
	return json_pack("{s:s, s:o, s:[s]}", "Operation", op, "Params", params, "IgnoreCodes",
			 "NoSuchEntity");
}

/* IAM refuses to delete a role that still has policies or sits in an instance profile
 * (DeleteConflict): one action, the calls in order, from what was observed. */
static int role_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const json_t *attrs = ctx->live ? ctx->live->attrs : NULL, *v;
	const char *name = ctx->live ? ctx->live->physical_id : NULL;
	json_t *steps;
	size_t i;

	if (!name)
		return -EINVAL;
	steps = json_array();
	if (!steps)
		return -ENOMEM;
	json_array_foreach (json_object_get(attrs, "Policies"), i, v)
		json_array_append_new(steps,
				      step("DeleteRolePolicy",
					   json_pack("{s:s, s:O}", "RoleName", name, "PolicyName",
						     json_object_get(v, "PolicyName"))));
	json_array_foreach (json_object_get(attrs, "ManagedPolicyArns"), i, v)
		json_array_append_new(
			steps, step("DetachRolePolicy",
				    json_pack("{s:s, s:O}", "RoleName", name, "PolicyArn", v)));
	json_array_foreach (json_object_get(attrs, "InstanceProfileList"), i, v)
		json_array_append_new(steps,
				      step("RemoveRoleFromInstanceProfile",
					   json_pack("{s:O, s:s}", "InstanceProfileName",
						     json_object_get(v, "InstanceProfileName"),
						     "RoleName", name)));
	json_array_append_new(steps, json_pack("{s:s, s:{s:s}}", "Operation", "DeleteRole",
					       "Params", "RoleName", name));
	*ret = steps;
	return 0;
}

static const char *const role_gone[] = {"NoSuchEntity", NULL};

const struct cohd_rec_type cohd_resource_iam_role = {
	.name = "iam.role",
	.service = "iam",
	.tier = 1,
	.unique_name = true,

	.describe_op = "GetAccountAuthorizationDetails",
	.observe_params = role_observe,
	.list_path = "RoleDetailList",
	.id_path = "RoleName", /* IAM addresses roles by name */
	.name_path = "RoleName",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.project = role_project,

	.fields = role_fields,
	.n_fields = ELEMENTSOF(role_fields),

	.create_op = "CreateRole",
	.create_params = role_create,
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "Role",

	.id_member = "RoleName",
	.tag_op = "TagRole",
	.tag_params = role_tag,
	.delete_op = "DeleteRole",
	.delete_params = role_delete,
	.gone_codes = role_gone,
};
