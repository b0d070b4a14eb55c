/* SPDX-License-Identifier: Apache-2.0 */
/*
 * elbv2.listener_certificate: an environment's certificate (and each custom domain's) added to
 * the app's shared :443 listener beside its default certificate (compile_edge.c). Observe is one
 * DescribeListenerCertificates of the listener the resolved properties name (the listener and the
 * certificates are observed first); nothing is asked while the listener does not exist. The
 * listener's default certificate is listed too, with IsDefault=true: it is the listener's, not a
 * listener certificate, and `project` drops it. A listener certificate has neither tags nor a
 * name: it is ours when it is the certificate a wanted listener certificate names (match_name:
 * the resolved CertificateArn, which the certificate publishes only once ISSUED, so nothing is
 * added before ELB would take it), on the app's own listener. The engine copies ListenerArn into
 * each item (observe_keep) so that one no longer wanted can be removed. Nothing can change in
 * place: another certificate is another listener certificate (replace). Add and remove are
 * AddListenerCertificates / RemoveListenerCertificates. Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int lc_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	const char *l = NULL;

	for (size_t i = 0; ctx->props && i < ctx->n_wanted && !l; i++)
		l = json_string_value(json_object_get(ctx->props[i], "ListenerArn"));
	*ret = l ? json_pack("{s:s}", "ListenerArn", l) : NULL;
	return l && !*ret ? -ENOMEM : 0;
}

/* The default certificate is the listener's: dropped. The rest in the graph's terms. */
static json_t *lc_project(const json_t *raw)
{
	const json_t *arn = json_object_get(raw, "CertificateArn");
	json_t *o;

	if (json_is_true(json_object_get(raw, "IsDefault")))
		return NULL;
	o = json_deep_copy(raw);
	if (o && arn)
		json_object_set_new(o, "Certificates", json_pack("[{s:O}]", "CertificateArn", arn));
	return o;
}

static char *lc_match_name(const struct cohd_resource *res, const json_t *props)
{
	const char *arn =
		json_string_value(cohd_rec_json_path(props, "Certificates.0.CertificateArn"));

	(void)res;
	return arn ? strdup(arn) : NULL;
}

static int lc_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *l =
		ctx->live ? json_string_value(json_object_get(ctx->live->attrs, "ListenerArn"))
			  : NULL;

	if (!l || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s, s:[{s:s}]}", "ListenerArn", l, "Certificates", "CertificateArn",
			 ctx->live->physical_id);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_field lc_fields[] = {
	{.path = "Certificates", .flags = COHD_REC_F_REPLACE},
};

static const char *const lc_keep[] = {"ListenerArn", NULL};

const struct cohd_rec_type cohd_resource_elbv2_listener_certificate = {
	.name = "elbv2.listener_certificate",
	.service = "elbv2",
	.tier = 4,

	.describe_op = "DescribeListenerCertificates",
	.observe_params = lc_observe,
	.list_path = "Certificates",
	.id_path = "CertificateArn",
	.name_path = "CertificateArn",
	.tag_style = COHD_REC_TAGS_NONE,
	.owned_by_name = true,
	.match_name = lc_match_name,
	.observe_keep = lc_keep,
	.project = lc_project,
	/* ListenerNotFound: the listener went away with its certificates. */
	.observe_absent_codes = (const char *const[]){"ListenerNotFound", NULL},

	.fields = lc_fields,
	.n_fields = ELEMENTSOF(lc_fields),

	/* Default builder: {ListenerArn, Certificates}. The answer lists the listener's
	 * certificates (the default one first): nothing to take from it. */
	.create_op = "AddListenerCertificates",
	.create_tag_style = COHD_REC_TAGS_NONE,

	.delete_op = "RemoveListenerCertificates",
	.delete_params = lc_delete,
	.gone_codes = (const char *const[]){"ListenerNotFound", "CertificateNotFound", NULL},
};
