/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route53.record_set: the certificates' DNS validation CNAMEs and the alias records of each
 * environment's names (compile_edge.c). Records have neither ids nor tags: a record is its zone,
 * name and type (and set identifier), and the app owns the records of its desired names in its
 * own zone (owned_by_name). Observe is ListResourceRecordSets of the record's zone, asked per
 * wanted record (the engine batches by count, not by zone; the daemon sends identical reads once),
 * paginated by StartRecordName/StartRecordType/StartRecordIdentifier (lib/aws follows
 * NextRecord* while IsTruncated). The engine copies HostedZoneId into each item (observe_keep),
 * so that a record no longer wanted can still be deleted. Names come back absolute and escaped
 * ("\052.env.example.com."): the match name is the normalised name, for A and CNAME records (the
 * types the compiler writes). An ACM validation CNAME ("_<hash>.<domain>" ->
 * "...acm-validations.aws") is matched as the compiler names it, "_validation.<domain>": its
 * real name is only known from the certificate's detail, read after every describe. Create and
 * every correction are one ChangeResourceRecordSets UPSERT of the whole desired record; delete is
 * a DELETE of the exact live record. Alias targets compare case-insensitively, without the
 * trailing dot and without the "dualstack." Route 53 adds to ELB targets. Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int record_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	const char *zone = NULL;

	for (size_t i = 0; ctx->props && i < ctx->n_wanted && !zone; i++)
		zone = json_string_value(json_object_get(ctx->props[i], "HostedZoneId"));
	*ret = zone ? json_pack("{s:s}", "HostedZoneId", cohd_route53_zone_id(zone)) : NULL;
	return zone && !*ret ? -ENOMEM : 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && streq(s + n - k, suffix);
}

/* "_<hash>.<domain>" CNAME -> "<hash>.<x>.acm-validations.aws": "_validation.<domain>". */
static char *validation_name(const char *name, const json_t *raw)
{
	const json_t *v = cohd_rec_json_path(raw, "ResourceRecords.0.Value");
	_cleanup_free_ char *value =
		json_is_string(v) ? cohd_route53_name(json_string_value(v)) : NULL;
	const char *dot = strchr(name, '.');
	char *s = NULL;

	if (name[0] != '_' || !dot || !value || !ends_with(value, ".acm-validations.aws") ||
	    !streq_ptr(json_string_value(json_object_get(raw, "Type")), "CNAME"))
		return NULL;
	if (asprintf(&s, "_validation%s", dot) < 0)
		return NULL;
	return s;
}

/* The types the compiler writes; a record of another type, or with a set identifier, is
 * nobody's the app wants (it keeps no match name). Route 53 lists a name's records by type, and
 * A sorts before every other type (CNAME has its name alone), so an A record of ours is matched
 * before an AAAA or TXT someone else put beside it. */
static const char *const matched_types[] = {"A", "CNAME", NULL};

static bool matched_type(const char *type)
{
	for (size_t i = 0; type && matched_types[i]; i++)
		if (streq(type, matched_types[i]))
			return true;
	return false;
}

static json_t *record_project(const json_t *raw)
{
	const json_t *n = json_object_get(raw, "Name");
	const char *type = json_string_value(json_object_get(raw, "Type"));
	const json_t *set_id = json_object_get(raw, "SetIdentifier");
	const char *zone = json_string_value(json_object_get(raw, "HostedZoneId"));
	_cleanup_free_ char *name = NULL, *vname = NULL, *id = NULL;
	json_t *o = json_deep_copy(raw);

	if (!o || !json_is_string(n) || !type)
		return o; /* a create's answer (ChangeInfo) */
	name = cohd_route53_name(json_string_value(n));
	if (!name ||
	    asprintf(&id, "%s%s%s %s%s%s", strempty(zone), zone ? ":" : "", name, type,
		     set_id ? " " : "", set_id ? strempty(json_string_value(set_id)) : "") < 0) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "cohd:Id", json_string(id));
	if (matched_type(type) && !set_id) {
		vname = validation_name(name, raw);
		json_object_set_new(o, "cohd:Name", json_string(vname ? vname : name));
	}
	return o;
}

/* The compiler's name as Route 53 compares it (case, escapes). */
static char *record_match_name(const struct cohd_resource *res, const json_t *props)
{
	(void)props;
	return cohd_route53_name(res->name);
}

/* A record value as DNS compares it: host names case-insensitively, without the trailing dot;
 * anything with a space or a quote (TXT) as it is. */
static json_t *value_normalise(const json_t *v)
{
	const char *s = json_string_value(v);

	if (!s || strpbrk(s, " \"\t"))
		return json_deep_copy(v);
	return cohd_route53_name_normalise(v);
}

static int cmp_value(const void *a, const void *b)
{
	return strcmp(strempty(json_string_value(json_object_get(*(json_t *const *)a, "Value"))),
		      strempty(json_string_value(json_object_get(*(json_t *const *)b, "Value"))));
}

/* [{"Value": v}]: values normalised, in a stable order (Route 53 keeps its own). */
static json_t *records_normalise(const json_t *v)
{
	size_t n = json_array_size(v);
	_cleanup_free_ json_t **items = calloc(n + 1, sizeof(json_t *));
	json_t *out = json_array(), *x;
	size_t i;

	if (!json_is_array(v) || !items || !out) {
		json_decref(out);
		return json_deep_copy(v);
	}
	json_array_foreach (v, i, x) {
		items[i] = json_deep_copy(x);
		if (json_is_object(items[i]) && json_object_get(x, "Value"))
			json_object_set_new(items[i], "Value",
					    value_normalise(json_object_get(x, "Value")));
	}
	qsort(items, n, sizeof(json_t *), cmp_value);
	for (i = 0; i < n; i++)
		json_array_append_new(out, items[i]);
	return out;
}

/* {HostedZoneId, DNSName, EvaluateTargetHealth}: the DNS name without the trailing dot, in lower
 * case, without the "dualstack." prefix Route 53 shows for ELB targets. */
static json_t *alias_normalise(const json_t *v)
{
	json_t *o = json_deep_copy(v), *dns;
	const char *s;

	if (!json_is_object(o))
		return o;
	dns = cohd_route53_name_normalise(json_object_get(o, "DNSName"));
	s = json_string_value(dns);
	if (s && strncmp(s, "dualstack.", STRLEN("dualstack.")) == 0) {
		json_t *d = json_string(s + STRLEN("dualstack."));

		json_decref(dns);
		dns = d;
	}
	if (dns)
		json_object_set_new(o, "DNSName", dns);
	if (!json_object_get(o, "EvaluateTargetHealth"))
		json_object_set_new(o, "EvaluateTargetHealth", json_false());
	return o;
}

static const char *record_zone(const struct cohd_rec_type_ctx *ctx)
{
	const char *z = json_string_value(json_object_get(ctx->props, "HostedZoneId"));

	if (!z && ctx->live)
		z = json_string_value(json_object_get(ctx->live->attrs, "HostedZoneId"));
	return z ? cohd_route53_zone_id(z) : NULL;
}

/* The record itself: everything but the zone and cohd's own members. */
static json_t *record_set(const json_t *src)
{
	json_t *o = json_object(), *v;
	const char *key;

	if (!o)
		return NULL;
	json_object_foreach ((json_t *)src, key, v)
		if (!streq(key, "HostedZoneId") && strncmp(key, "cohd:", 5) != 0)
			json_object_set(o, key, v);
	return o;
}

static int change(const char *zone, const char *action, json_t *rrset, json_t **ret)
{
	if (!rrset)
		return -ENOMEM;
	*ret = json_pack("{s:s, s:{s:s, s:[{s:s, s:o}]}}", "HostedZoneId", zone, "ChangeBatch",
			 "Comment", "cohd", "Changes", "Action", action, "ResourceRecordSet",
			 rrset);
	return *ret ? 0 : -ENOMEM;
}

/* Create and every correction: UPSERT the whole desired record. */
static int record_upsert(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *zone = record_zone(ctx);

	if (!zone || !ctx->props)
		return -EINVAL;
	return change(zone, "UPSERT", record_set(ctx->props), ret);
}

static int record_update(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			 size_t n_fields, json_t **ret)
{
	(void)fields;
	(void)n_fields;
	return record_upsert(ctx, ret);
}

/* DELETE must name the record exactly as it is. */
static int record_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *zone = record_zone(ctx);

	if (!zone || !ctx->live || !ctx->live->attrs)
		return -EINVAL;
	return change(zone, "DELETE", record_set(ctx->live->attrs), ret);
}

static const struct cohd_rec_field record_fields[] = {
	{.path = "Name", .flags = COHD_REC_F_REPLACE, .normalise = cohd_route53_name_normalise},
	{.path = "Type", .flags = COHD_REC_F_REPLACE},
	{.path = "SetIdentifier", .flags = COHD_REC_F_REPLACE},
	{.path = "TTL"},
	{.path = "ResourceRecords", .normalise = records_normalise},
	{.path = "AliasTarget", .normalise = alias_normalise},
};

static const char *const record_keep[] = {"HostedZoneId", NULL};
static const char *const record_gone[] = {"NoSuchHostedZone", NULL};

const struct cohd_rec_type cohd_resource_route53_record_set = {
	.name = "route53.record_set",
	.service = "route53",
	.tier = 4,

	.describe_op = "ListResourceRecordSets",
	.observe_params = record_observe,
	.observe_batch = 1,
	.list_path = "ResourceRecordSets",
	.id_path = "cohd:Id",
	.name_path = "cohd:Name",
	.tag_style = COHD_REC_TAGS_NONE,
	.owned_by_name = true,
	.match_name = record_match_name,
	.observe_keep = record_keep,
	.project = record_project,

	.fields = record_fields,
	.n_fields = ELEMENTSOF(record_fields),

	.create_op = "ChangeResourceRecordSets",
	.create_params = record_upsert,
	.create_tag_style = COHD_REC_TAGS_NONE,

	.update_op = "ChangeResourceRecordSets",
	.update_params = record_update,
	.delete_op = "ChangeResourceRecordSets",
	.delete_params = record_delete,
	.gone_codes = record_gone,
};
