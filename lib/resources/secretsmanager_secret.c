/* SPDX-License-Identifier: Apache-2.0 */
/*
 * secretsmanager.secret: database credentials ({username, password} with a generated password)
 * and the environment's connection strings (coherence-resources.md §2.8). Observe is one
 * ListSecrets filtered by our tags (Tags come back in the list). CreateSecret takes
 * ClientRequestToken, so a create after a crash is re-sent with the same token. SecretString is
 * write-only: never compared, logged or recorded (the engine redacts it); only the description
 * and the tags are corrected. Deleting uses the recovery window the compiler chose
 * ("cohd:RecoveryWindowInDays": 0 = at once, for previews). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

/* Secret names and tag values are prefix matches in ListSecrets filters; the engine checks the
 * exact tags and name of what comes back. */
static int secret_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	/* every app's secrets: one call the daemon shares between the account's engines */
	(void)ctx;
	*ret = json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Key", "tag-key", "Values", "cohd:id");
	return *ret ? 0 : -ENOMEM;
}

static int secret_lookup(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	*ret = json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Key", "name", "Values",
			 ctx->resource->name);
	return *ret ? 0 : -ENOMEM;
}

/* The graph refers to a secret's ARN as "Arn" (compile_iam.c, compile_data.c); AWS spells it
 * "ARN". */
static json_t *secret_project(const json_t *raw)
{
	json_t *o = json_deep_copy(raw);

	if (o && json_object_get(o, "ARN"))
		json_object_set(o, "Arn", json_object_get(o, "ARN"));
	return o;
}

static int secret_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	/* A secret cohd binds to but does not own (use_existing): never created here. */
	if (json_is_true(json_object_get(ctx->props, "cohd:Existing")))
		return -EPERM;
	return cohd_rec_default_create_params(ctx, ret);
}

static int secret_tag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "SecretId", ctx->live->physical_id, "Tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	return *ret ? 0 : -ENOMEM;
}

/* The recovery window the compiler chose (0 = delete at once); for an orphan whose resource is
 * gone from the graph: at once in previews, else AWS's longest window. */
static int secret_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const json_t *w = ctx->resource ? json_object_get(ctx->resource->properties,
							  "cohd:RecoveryWindowInDays")
					: NULL;
	json_int_t days = json_is_integer(w)			? json_integer_value(w)
			  : streq_ptr(ctx->env_type, "preview") ? 0
								: 30;

	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	if (days <= 0)
		*ret = json_pack("{s:s, s:b}", "SecretId", ctx->live->physical_id,
				 "ForceDeleteWithoutRecovery", 1);
	else
		*ret = json_pack("{s:s, s:I}", "SecretId", ctx->live->physical_id,
				 "RecoveryWindowInDays",
				 MIN(MAX(days, (json_int_t)7), (json_int_t)30));
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_field secret_fields[] = {
	{.path = "Description", .update_op = "UpdateSecret"},
	/* Never returned by ListSecrets; the generated password is kept, not regenerated (and
	 * never rewritten: a new value would be a new password nobody else knows). */
	{.path = "SecretString",
	 .flags = COHD_REC_F_JSON_DOC | COHD_REC_F_WRITE_ONLY | COHD_REC_F_OBSERVE_ONLY},
	{.path = "KmsKeyId", .flags = COHD_REC_F_OBSERVE_ONLY},
};

static enum cohd_rec_health secret_health(const struct cohd_rec_item *item)
{
	/* Scheduled for deletion: readers get errors until it is restored. */
	return json_object_get(item->attrs, "DeletedDate") ? COHD_REC_HEALTH_DEGRADED
							   : COHD_REC_HEALTH_HEALTHY;
}

/* Scheduled for deletion already ("marked for deletion") is as good as gone for a delete. */
static const char *const secret_gone[] = {"ResourceNotFoundException", NULL};

const struct cohd_rec_type cohd_resource_secretsmanager_secret = {
	.name = "secretsmanager.secret",
	.service = "secretsmanager",
	.tier = 2,
	.stateful = true,
	.unique_name = true,

	.describe_op = "ListSecrets",
	.observe_params = secret_observe,
	.list_path = "SecretList",
	.id_path = "ARN",
	.name_path = "Name",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.project = secret_project,
	.lookup_params = secret_lookup,
	.health = secret_health,

	.fields = secret_fields,
	.n_fields = ELEMENTSOF(secret_fields),

	.create_op = "CreateSecret",
	.create_params = secret_create,
	.token_member = "ClientRequestToken",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,

	.update_op = "UpdateSecret",
	.id_member = "SecretId",
	.tag_op = "TagResource",
	.tag_params = secret_tag,
	.delete_op = "DeleteSecret",
	.delete_params = secret_delete,
	.gone_codes = secret_gone,
};
