/* SPDX-License-Identifier: Apache-2.0 */
/*
 * acm.certificate: the wildcard of the base domain for the ALB, each environment's certificate
 * for its distribution (pinned to us-east-1: CloudFront takes no other) and, for an app outside
 * us-east-1, each environment's ALB copy (compile_edge.c). Observe is one paginated
 * ListCertificates of every status and key type; it carries no tags, so they come from
 * ListTagsForCertificate (one per certificate, read before matching, reused for a few passes),
 * and no validation records, so DescribeCertificate is read for each certificate of ours (a
 * detail): its DomainValidationOptions[].ResourceRecord are what the validation record sets
 * refer to. RequestCertificate takes IdempotencyToken (the engine's token) and the tags.
 *
 * Waiting for ISSUED spans passes, not one action: the validation record can only be written
 * once the next pass has read the certificate's detail, and AWS validates minutes later. While
 * the certificate is not ISSUED its health is progressing (failed states degraded) and its
 * "CertificateArn" is not published to the graph (the id is read from "cohd:Arn"): what refers
 * to it (the ALB listener, listener certificates, distributions; ELB and CloudFront refuse a
 * pending certificate) waits for it, which is the bounded wait, shown as "waiting for
 * <id>.CertificateArn". Domain names, SANs, key algorithm and validation method cannot change
 * (replace); the SANs compare as a set without the domain name, which AWS lists among them. The
 * transparency logging option is set on create and not compared (only DescribeCertificate has
 * it). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int cert_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	(void)ctx;
	/* Without Includes.keyTypes ListCertificates lists RSA_1024 and RSA_2048 only. */
	*ret = json_pack("{s:[sssssss], s:{s:[sssssss]}}", "CertificateStatuses",
			 "PENDING_VALIDATION", "ISSUED", "INACTIVE", "EXPIRED",
			 "VALIDATION_TIMED_OUT", "REVOKED", "FAILED", "Includes", "keyTypes",
			 "RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1",
			 "EC_secp384r1", "EC_secp521r1");
	return *ret ? 0 : -ENOMEM;
}

static int arn_params(const struct cohd_rec_item *item, json_t **ret)
{
	if (!item->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s}", "CertificateArn", item->physical_id);
	return *ret ? 0 : -ENOMEM;
}

static const struct cohd_rec_detail cert_details[] = {
	{.operation = "ListTagsForCertificate",
	 .params = arn_params,
	 .result_path = "Tags",
	 .merge_as = "Tags"},
	{.operation = "DescribeCertificate",
	 .params = arn_params,
	 .result_path = "Certificate.DomainValidationOptions",
	 .merge_as = "DomainValidationOptions"},
};

/* "cohd:Arn" always; "CertificateArn" only once ISSUED (what refers to it waits until then). */
static json_t *cert_project(const json_t *raw)
{
	const json_t *arn = json_object_get(raw, "CertificateArn");
	json_t *o = json_deep_copy(raw);

	if (!o)
		return NULL;
	if (arn)
		json_object_set(o, "cohd:Arn", (json_t *)arn);
	if (!streq_ptr(json_string_value(json_object_get(raw, "Status")), "ISSUED"))
		json_object_del(o, "CertificateArn");
	return o;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names, lower case, sorted, without duplicates and without `skip`. */
static json_t *name_set(const json_t *names, const char *member, const char *skip)
{
	size_t n = json_array_size(names), k = 0;
	_cleanup_free_ char **s = calloc(n + 1, sizeof(char *));
	json_t *out = json_array(), *v;
	size_t i;

	if (!s || !out) {
		json_decref(out);
		return NULL;
	}
	json_array_foreach (names, i, v) {
		const json_t *x = member ? json_object_get(v, member) : v;
		char *name = json_is_string(x) ? cohd_route53_name(json_string_value(x)) : NULL;

		if (name && !streq_ptr(name, skip))
			s[k++] = name;
		else
			free(name);
	}
	qsort(s, k, sizeof(char *), cmp_str);
	for (i = 0; i < k; i++)
		if (i == 0 || !streq(s[i], s[i - 1]))
			json_array_append_new(out, json_string(s[i]));
	for (i = 0; i < k; i++)
		free(s[i]);
	return out;
}

/* The names besides the domain name. Desired: the list as the compiler writes it. Live (the
 * whole item): AWS lists the domain name among the certificate's names, in
 * SubjectAlternativeNameSummaries (ListCertificates), DomainValidationOptions[].DomainName or
 * SubjectAlternativeNames (DescribeCertificate). */
static json_t *sans_normalise(const json_t *v)
{
	_cleanup_free_ char *domain = NULL;
	const json_t *l;

	if (json_is_array(v))
		return name_set(v, NULL, NULL);
	if (!json_is_object(v))
		return json_deep_copy(v);
	domain = cohd_route53_name(json_string_value(json_object_get(v, "DomainName")));
	if ((l = json_object_get(v, "SubjectAlternativeNameSummaries")) && json_array_size(l))
		return name_set(l, NULL, domain);
	if ((l = json_object_get(v, "DomainValidationOptions")) && json_array_size(l))
		return name_set(l, "DomainName", domain);
	return name_set(json_object_get(v, "SubjectAlternativeNames"), NULL, domain);
}

/* DescribeCertificate says "RSA-2048", RequestCertificate and the summary "RSA_2048". */
static json_t *key_normalise(const json_t *v)
{
	_cleanup_free_ char *s = json_is_string(v) ? strdup(json_string_value(v)) : NULL;

	if (!s)
		return json_deep_copy(v);
	for (char *p = s; *p; p++)
		if (*p == '-')
			*p = '_';
	return json_string(s);
}

static enum cohd_rec_health cert_health(const struct cohd_rec_item *item)
{
	const char *s = json_string_value(json_object_get(item->attrs, "Status"));

	if (streq_ptr(s, "ISSUED"))
		return COHD_REC_HEALTH_HEALTHY;
	if (streq_ptr(s, "PENDING_VALIDATION"))
		return COHD_REC_HEALTH_PROGRESSING;
	return s ? COHD_REC_HEALTH_DEGRADED : COHD_REC_HEALTH_UNKNOWN;
}

static int cert_tag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->live || !ctx->live->physical_id)
		return -EINVAL;
	*ret = json_pack("{s:s, s:o}", "CertificateArn", ctx->live->physical_id, "Tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	return *ret ? 0 : -ENOMEM;
}

static int cert_untag(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	json_t *keys = json_array(), *v;
	const char *key;

	if (!ctx->live || !ctx->live->physical_id || !keys) {
		json_decref(keys);
		return keys ? -EINVAL : -ENOMEM;
	}
	json_object_foreach ((json_t *)ctx->tags, key, v)
		json_array_append_new(keys, json_pack("{s:s}", "Key", key));
	*ret = json_pack("{s:s, s:o}", "CertificateArn", ctx->live->physical_id, "Tags", keys);
	return *ret ? 0 : -ENOMEM;
}

static int options_update(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			  size_t n_fields, json_t **ret)
{
	const json_t *o = json_object_get(ctx->props, "Options");

	(void)fields;
	(void)n_fields;
	if (!ctx->live || !ctx->live->physical_id || !json_is_object(o))
		return -EINVAL;
	*ret = json_pack("{s:s, s:O}", "CertificateArn", ctx->live->physical_id, "Options", o);
	return *ret ? 0 : -ENOMEM;
}

/* The default builder (properties, tags, IdempotencyToken), without Options when they are
 * AWS's defaults (transparency logging ENABLED): the request says the same, and moto 5.2 cannot
 * list a certificate requested with Options lacking "Export" (which this build's model does not
 * have yet). */
static int cert_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const json_t *o;
	int r = cohd_rec_default_create_params(ctx, ret);

	if (r < 0)
		return r;
	o = json_object_get(*ret, "Options");
	if (json_is_object(o) && json_object_size(o) == 1 &&
	    streq_ptr(json_string_value(
			      json_object_get(o, "CertificateTransparencyLoggingPreference")),
		      "ENABLED"))
		json_object_del(*ret, "Options");
	return 0;
}

static int cert_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	return ctx->live ? arn_params(ctx->live, ret) : -EINVAL;
}

static const struct cohd_rec_field cert_fields[] = {
	{.path = "DomainName",
	 .flags = COHD_REC_F_REPLACE,
	 .normalise = cohd_route53_name_normalise},
	{.path = "SubjectAlternativeNames",
	 .live_path = "", /* the whole item: see sans_normalise */
	 .flags = COHD_REC_F_REPLACE,
	 .normalise = sans_normalise},
	{.path = "ValidationMethod",
	 .live_path = "DomainValidationOptions.0.ValidationMethod",
	 .flags = COHD_REC_F_REPLACE,
	 .default_json = "\"DNS\""}, /* not listed yet right after the request */
	{.path = "KeyAlgorithm",
	 .flags = COHD_REC_F_REPLACE,
	 .default_json = "\"RSA_2048\"",
	 .normalise = key_normalise},
	/* Only DescribeCertificate has it (a second read per certificate and pass): set on
	 * create, never compared. */
	{.path = "Options",
	 .flags = COHD_REC_F_WRITE_ONLY,
	 .update_op = "UpdateCertificateOptions",
	 .update_params = options_update},
};

const struct cohd_rec_type cohd_resource_acm_certificate = {
	.name = "acm.certificate",
	.service = "acm",
	.tier = 1,

	.describe_op = "ListCertificates",
	.observe_params = cert_observe,
	.list_path = "CertificateSummaryList",
	.id_path = "cohd:Arn",
	/* No name_path: many certificates may share a domain (someone's own, untagged, is not
	 * "ours under another name"); only the tags say which is ours. */
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.project = cert_project,
	.details = cert_details,
	.n_details = ELEMENTSOF(cert_details),
	.health = cert_health,

	.fields = cert_fields,
	.n_fields = ELEMENTSOF(cert_fields),

	.create_op = "RequestCertificate",
	.create_params = cert_create,
	.token_member = "IdempotencyToken",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,

	.id_member = "CertificateArn",
	.tag_op = "AddTagsToCertificate",
	.tag_params = cert_tag,
	.untag_op = "RemoveTagsFromCertificate",
	.untag_params = cert_untag,
	.delete_op = "DeleteCertificate",
	.delete_params = cert_delete,
};
