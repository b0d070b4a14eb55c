/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the DNS and certificate resource types (lib/resources: route53.hosted_zone,
 * route53.record_set, acm.certificate, elbv2.listener_certificate). Three parts:
 *   - the pure pieces: Route 53 names and ids, record and certificate projections, the match
 *     names, the normalisers of alias targets, record values and certificate names;
 *   - every params document the types build for what the real compiler emits (golden apps, every
 *     environment type) serialises against the embedded botocore model;
 *   - the types driven through the engine against an in-memory Route 53, ACM and ELBv2 listener
 *     (which serialises every call against the real model): a zone, a certificate that AWS issues
 *     once its validation record exists, the validation record, a wildcard alias record and the
 *     listener certificate converge over passes, a further pass sends nothing, a TTL changed by
 *     hand is corrected, and a record removed from the file is deleted as it is.
 * No network, no database, no libuv.
 */
#include <ctype.h>
#include <jansson.h>

#include "lib/aws/protocols/protocols.h"
#include "lib/config/app.h"
#include "lib/model/compile.h"
#include "lib/reconcile/diff.h"
#include "lib/reconcile/reconcile.h"
#include "lib/resources/resources.h"
#include "compile_app.h"
#include "rec_fake.h"
#include "test.h"

static const struct cohd_rec_type *const my_types[] = {
	&cohd_resource_route53_hosted_zone,
	&cohd_resource_route53_record_set,
	&cohd_resource_acm_certificate,
	&cohd_resource_elbv2_listener_certificate,
	NULL,
};

static const struct cohd_rec_type *my_type(const char *name)
{
	for (size_t i = 0; my_types[i]; i++)
		if (streq(my_types[i]->name, name))
			return my_types[i];
	return NULL;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const struct cohd_rec_field *field(const struct cohd_rec_type *t, const char *path)
{
	for (size_t i = 0; i < t->n_fields; i++)
		if (streq(t->fields[i].path, path))
			return &t->fields[i];
	ck_abort_msg("%s has no field %s", t->name, path);
	return NULL;
}

/* Do desired d and live l compare equal through t's field `path`? */
static bool same(const struct cohd_rec_type *t, const char *path, json_t *d, json_t *l)
{
	const struct cohd_rec_field *f = field(t, path);
	json_auto_t *a = cohd_rec_normalise(f, d, false), *b = cohd_rec_normalise(f, l, true);
	bool eq = a && b && json_equal(a, b);

	json_decref(d);
	json_decref(l);
	return eq;
}

/* ---------------------------------------------------------------------------------------- */
/* Pure pieces.                                                                             */
/* ---------------------------------------------------------------------------------------- */

START_TEST(test_route53_names)
{
	char *s;

	s = cohd_route53_name("\\052.Production.ACME.example.com.");
	ck_assert_str_eq(s, "*.production.acme.example.com");
	free(s);
	s = cohd_route53_name("a\\100b.example.com"); /* '@' */
	ck_assert_str_eq(s, "a@b.example.com");
	free(s);
	s = cohd_route53_name("."); /* the root stays */
	ck_assert_str_eq(s, ".");
	free(s);
	s = cohd_route53_name("x\\05"); /* a cut escape is kept as it is */
	ck_assert_str_eq(s, "x\\05");
	free(s);
	ck_assert_str_eq(cohd_route53_zone_id("/hostedzone/Z123"), "Z123");
	ck_assert_str_eq(cohd_route53_zone_id("Z123"), "Z123");
}
END_TEST

START_TEST(test_record_project_and_match)
{
	const struct cohd_rec_type *t = &cohd_resource_route53_record_set;
	json_auto_t *validation = json_pack("{s:s, s:s, s:i, s:[{s:s}], s:s}", "Name",
					    "_3f9a.Production.acme.example.com.", "Type", "CNAME",
					    "TTL", 300, "ResourceRecords", "Value",
					    "_77c1.xyz.acm-validations.aws.", "HostedZoneId", "Z1");
	json_auto_t *wild = json_pack(
		"{s:s, s:s, s:{s:s, s:s, s:b}, s:s}", "Name", "\\052.production.acme.example.com.",
		"Type", "A", "AliasTarget", "HostedZoneId", "Z2FDTNDATAQYW2", "DNSName",
		"d1.cloudfront.net.", "EvaluateTargetHealth", 0, "HostedZoneId", "Z1");
	json_auto_t *txt =
		json_pack("{s:s, s:s, s:i, s:[{s:s}]}", "Name", "production.acme.example.com.",
			  "Type", "TXT", "TTL", 60, "ResourceRecords", "Value", "\"v=spf1 -all\"");
	json_auto_t *cname =
		json_pack("{s:s, s:s, s:i, s:[{s:s}]}", "Name", "_x.acme.example.com.", "Type",
			  "CNAME", "TTL", 60, "ResourceRecords", "Value", "elsewhere.example.net.");
	json_auto_t *p1 = t->project(validation), *p2 = t->project(wild), *p3 = t->project(txt);
	json_auto_t *p4 = t->project(cname),
		    *answer = json_pack("{s:{s:s}}", "ChangeInfo", "Id", "/change/C1");
	json_auto_t *p5 = t->project(answer);
	struct cohd_resource res = {.name = (char *)"*.Production.acme.example.com"};
	char *m;

	/* an ACM validation CNAME is matched as the compiler names it */
	ck_assert_str_eq(str(p1, "cohd:Name"), "_validation.production.acme.example.com");
	ck_assert_str_eq(str(p1, "cohd:Id"), "Z1:_3f9a.production.acme.example.com CNAME");
	/* escapes, case and the trailing dot do not matter */
	ck_assert_str_eq(str(p2, "cohd:Name"), "*.production.acme.example.com");
	m = t->match_name(&res, NULL);
	ck_assert_str_eq(m, str(p2, "cohd:Name"));
	free(m);
	/* the raw record stays as it is: DELETE must name it exactly */
	ck_assert_str_eq(str(p2, "Name"), "\\052.production.acme.example.com.");
	/* other types, and CNAMEs that are no ACM validation, keep their own name or none */
	ck_assert_ptr_null(json_object_get(p3, "cohd:Name"));
	ck_assert_str_eq(str(p4, "cohd:Name"), "_x.acme.example.com");
	ck_assert_ptr_nonnull(p5); /* a ChangeResourceRecordSets answer is no record */
	ck_assert_ptr_null(json_object_get(p5, "cohd:Name"));
}
END_TEST

START_TEST(test_record_normalise)
{
	const struct cohd_rec_type *t = &cohd_resource_route53_record_set;

	/* alias targets: case, trailing dot, ELB's "dualstack." */
	ck_assert(same(t, "AliasTarget",
		       json_pack("{s:s, s:s, s:b}", "HostedZoneId", "Z35SXDOTRQ7X7K", "DNSName",
				 "my-alb-1.us-east-1.elb.amazonaws.com", "EvaluateTargetHealth", 1),
		       json_pack("{s:s, s:s, s:b}", "HostedZoneId", "Z35SXDOTRQ7X7K", "DNSName",
				 "dualstack.My-ALB-1.us-east-1.elb.amazonaws.com.",
				 "EvaluateTargetHealth", 1)));
	ck_assert(!same(t, "AliasTarget",
			json_pack("{s:s, s:s, s:b}", "HostedZoneId", "Z2FDTNDATAQYW2", "DNSName",
				  "d1.cloudfront.net", "EvaluateTargetHealth", 0),
			json_pack("{s:s, s:s, s:b}", "HostedZoneId", "Z2FDTNDATAQYW2", "DNSName",
				  "d2.cloudfront.net.", "EvaluateTargetHealth", 0)));
	/* host name values: case, dot, order; TXT values as they are */
	ck_assert(same(t, "ResourceRecords",
		       json_pack("[{s:s}, {s:s}]", "Value", "b.example.com", "Value",
				 "_A.acm-validations.aws."),
		       json_pack("[{s:s}, {s:s}]", "Value", "_a.acm-validations.aws", "Value",
				 "B.example.com.")));
	ck_assert(!same(t, "ResourceRecords", json_pack("[{s:s}]", "Value", "\"V=x\""),
			json_pack("[{s:s}]", "Value", "\"v=x\"")));
	ck_assert(same(t, "Name", json_string("*.a.example.com"),
		       json_string("\\052.a.example.com.")));
}
END_TEST

START_TEST(test_certificate_project)
{
	const struct cohd_rec_type *t = &cohd_resource_acm_certificate;
	json_auto_t *pending =
		json_pack("{s:s, s:s, s:s, s:[s, s]}", "CertificateArn", "arn:c1", "DomainName",
			  "a.example.com", "Status", "PENDING_VALIDATION",
			  "SubjectAlternativeNameSummaries", "a.example.com", "*.a.example.com");
	json_auto_t *issued = json_pack("{s:s, s:s, s:s}", "CertificateArn", "arn:c1", "DomainName",
					"a.example.com", "Status", "ISSUED");
	json_auto_t *created = json_pack("{s:s}", "CertificateArn", "arn:c2");
	json_auto_t *p1 = t->project(pending), *p2 = t->project(issued), *p3 = t->project(created);
	struct cohd_rec_item it = {.attrs = p1};

	/* not ISSUED: the id is there, the ARN the graph refers to is not (dependents wait) */
	ck_assert_str_eq(str(p1, "cohd:Arn"), "arn:c1");
	ck_assert_ptr_null(json_object_get(p1, "CertificateArn"));
	ck_assert_str_eq(str(p2, "CertificateArn"), "arn:c1");
	ck_assert_str_eq(str(p3, "cohd:Arn"), "arn:c2"); /* a RequestCertificate answer */
	ck_assert_ptr_null(json_object_get(p3, "CertificateArn"));
	ck_assert_int_eq(t->health(&it), COHD_REC_HEALTH_PROGRESSING);
	it.attrs = p2;
	ck_assert_int_eq(t->health(&it), COHD_REC_HEALTH_HEALTHY);

	/* the SANs besides the domain name, from the summary, the validation options or the
	 * description; key algorithms as RequestCertificate spells them */
	ck_assert(same(t, "SubjectAlternativeNames", json_pack("[s]", "*.A.example.com"),
		       json_incref(pending)));
	ck_assert(same(t, "SubjectAlternativeNames", json_pack("[s]", "*.a.example.com"),
		       json_pack("{s:s, s:[{s:s}, {s:s}]}", "DomainName", "a.example.com",
				 "DomainValidationOptions", "DomainName", "*.a.example.com",
				 "DomainName", "a.example.com")));
	ck_assert(!same(t, "SubjectAlternativeNames", json_pack("[s]", "*.a.example.com"),
			json_pack("{s:s, s:[s, s, s]}", "DomainName", "a.example.com",
				  "SubjectAlternativeNames", "a.example.com", "*.a.example.com",
				  "b.example.com")));
	ck_assert(same(t, "KeyAlgorithm", json_string("RSA_2048"), json_string("RSA-2048")));
}
END_TEST

START_TEST(test_listener_certificate_project)
{
	const struct cohd_rec_type *t = &cohd_resource_elbv2_listener_certificate;
	json_auto_t *def = json_pack("{s:s, s:b}", "CertificateArn", "arn:default", "IsDefault", 1);
	json_auto_t *other = json_pack("{s:s, s:b}", "CertificateArn", "arn:c1", "IsDefault", 0);
	json_auto_t *p = t->project(other),
		    *props = json_pack("{s:s, s:[{s:s}]}", "ListenerArn", "arn:l", "Certificates",
				       "CertificateArn", "arn:c1");
	struct cohd_resource res = {.name = (char *)"shop:443:a.example.com"};
	char *m;

	ck_assert_ptr_null(t->project(def)); /* the listener's own certificate */
	ck_assert_str_eq(
		str(json_array_get(json_object_get(p, "Certificates"), 0), "CertificateArn"),
		"arn:c1");
	m = t->match_name(&res, props);
	ck_assert_str_eq(m, "arn:c1");
	free(m);
	json_object_del(props, "Certificates"); /* not resolvable yet: the compiler's name */
	ck_assert_ptr_null(t->match_name(&res, props));
}
END_TEST

/* ---------------------------------------------------------------------------------------- */
/* Builders against the real model, from the real compiler's output.                        */
/* ---------------------------------------------------------------------------------------- */

static json_t *fake_attrs;

static int collect_ref(const char *id, const char *attr, void *u)
{
	json_t *o = json_object_get(fake_attrs, id);
	char v[512];

	(void)u;
	if (!o) {
		o = json_object();
		json_object_set_new(fake_attrs, id, o);
	}
	if (strstr(attr, "Arn"))
		snprintf(v, sizeof v, "arn:aws:acm:us-east-1:123456789012:certificate/%s", id);
	else
		snprintf(v, sizeof v, "%s-%s", attr, "0abc");
	if (!cohd_rec_json_path(o, attr))
		cohd_rec_json_set_path(o, attr, json_string(v));
	return 0;
}

static const json_t *attrs_of(void *u, const char *id)
{
	(void)u;
	return json_object_get(fake_attrs, id);
}

static void check_call_or_steps(const char *service, const char *op, const json_t *params,
				const char *what)
{
	const json_t *st;
	size_t i;

	if (!json_is_array(params)) {
		rec_fake_check_serialises(service, op, params, what);
		return;
	}
	ck_assert_uint_gt(json_array_size(params), 0);
	json_array_foreach (params, i, st)
		rec_fake_check_serialises(service,
					  json_string_value(json_object_get(st, "Operation")),
					  json_object_get(st, "Params"), what);
}

static void check_resource(const struct cohd_rec_type *t, const struct cohd_resource *res)
{
	struct cohd_rec_resolve_ctx rc = {.account = "123456789012", .attrs = attrs_of};
	json_auto_t *props = NULL, *params = NULL, *raw = NULL, *token = NULL;
	const struct cohd_resource *wanted[] = {res};
	const json_t *wanted_props[1] = {NULL};
	struct cohd_rec_observe_ctx octx = {.app = "shop",
					    .environment = "production",
					    .region = "eu-west-1",
					    .wanted = wanted,
					    .props = wanted_props,
					    .n_wanted = 1};
	struct cohd_rec_item live = {.physical_id = (char *)"Z0LIVE"};
	struct cohd_rec_type_ctx ctx = {.type = t,
					.app = "shop",
					.environment = "production",
					.region = "eu-west-1",
					.resource = res,
					.tags = res->tags};
	char what[512];

	ck_assert_int_eq(cohd_json_foreach_ref(res->properties, collect_ref, NULL), 0);
	ck_assert_int_eq(cohd_rec_resolve(&rc, res->properties, &props, NULL), 0);
	ctx.props = wanted_props[0] = props;
	token = json_string("tok00000000000000000000000000001");
	ctx.token = t->token_member ? token : NULL;

	snprintf(what, sizeof what, "%s %s create", t->name, res->id);
	ck_assert_int_eq((t->create_params ?: cohd_rec_default_create_params)(&ctx, &params), 0);
	check_call_or_steps(t->service, t->create_op, params, what);
	json_decref(params);
	params = NULL;

	/* the live item: what observe makes of the desired record (plus the zone the engine
	 * copies into records) */
	raw = json_deep_copy(props);
	if (streq(t->name, "acm.certificate")) {
		json_object_set_new(raw, "Status", json_string("ISSUED"));
		json_object_set_new(raw, "CertificateArn", json_string("arn:aws:acm:c"));
	} else if (streq(t->name, "elbv2.listener_certificate"))
		json_object_set_new(raw, "CertificateArn", json_string("arn:aws:acm:c"));
	live.attrs = t->project ? t->project(raw) : json_incref(raw);
	ck_assert_ptr_nonnull(live.attrs);
	ctx.live = &live;
	ctx.token = NULL;
	for (size_t i = 0; i < t->n_fields; i++) {
		const struct cohd_rec_field *f = &t->fields[i];
		const char *op = f->update_op ?: t->update_op;
		const char *fields[] = {f->path};

		if ((f->flags & (COHD_REC_F_REPLACE | COHD_REC_F_OBSERVE_ONLY)) || !op ||
		    !cohd_rec_json_path(props, f->path))
			continue;
		snprintf(what, sizeof what, "%s %s update %s", t->name, res->id, f->path);
		ck_assert_int_eq((f->update_params ?: t->update_params)(&ctx, fields, 1, &params),
				 0);
		check_call_or_steps(t->service, op, params, what);
		json_decref(params);
		params = NULL;
	}
	if (t->tag_op) {
		snprintf(what, sizeof what, "%s %s tag", t->name, res->id);
		ck_assert_int_eq(t->tag_params(&ctx, &params), 0);
		rec_fake_check_serialises(t->service, t->tag_op, params, what);
		json_decref(params);
		params = NULL;
		ck_assert_int_eq(t->untag_params(&ctx, &params), 0);
		rec_fake_check_serialises(t->service, t->untag_op, params, what);
		json_decref(params);
		params = NULL;
	}
	/* delete, also of an orphan (no desired resource, no props: what observe kept) */
	snprintf(what, sizeof what, "%s %s delete", t->name, res->id);
	ctx.resource = NULL;
	ctx.props = NULL;
	ck_assert_int_eq(t->delete_params(&ctx, &params), 0);
	check_call_or_steps(t->service, t->delete_op, params, what);
	json_decref(params);
	params = NULL;
	for (size_t i = 0; i < t->n_details; i++) {
		const struct cohd_rec_item *one = &live;

		snprintf(what, sizeof what, "%s %s detail %s", t->name, res->id,
			 t->details[i].operation);
		ck_assert_int_eq(t->details[i].batch_params
					 ? t->details[i].batch_params(&one, 1, &params)
					 : t->details[i].params(&live, &params),
				 0);
		rec_fake_check_serialises(t->service, t->details[i].operation, params, what);
		json_decref(params);
		params = NULL;
	}
	snprintf(what, sizeof what, "%s %s observe", t->name, res->id);
	ck_assert_int_eq(t->observe_params(&octx, &params), 0);
	ck_assert_ptr_nonnull(params);
	rec_fake_check_serialises(t->service, t->describe_op, params, what);
	json_decref(live.attrs);
}

START_TEST(test_builders_serialize)
{
	static const char *const files[] = {"plans/backend-frontend.yml", "plans/custom-domain.yml",
					    "plans/frontend-only.yml"};
	unsigned seen[ELEMENTSOF(my_types)] = {};

	for (size_t f = 0; f < ELEMENTSOF(files); f++)
		for (int et = 0; et < 3; et++) {
			_cleanup_(cohd_graph_freep) struct cohd_graph *g =
				test_compile_app(files[f], et);

			fake_attrs = json_object();
			for (size_t i = 0; i < cohd_graph_size(g); i++) {
				const struct cohd_resource *res = cohd_graph_get(g, i);
				const struct cohd_rec_type *t = my_type(res->type);

				if (!t)
					continue;
				check_resource(t, res);
				for (size_t k = 0; my_types[k]; k++)
					seen[k] += my_types[k] == t;
			}
			json_decref(fake_attrs);
			fake_attrs = NULL;
		}
	for (size_t k = 0; my_types[k]; k++)
		ck_assert_msg(seen[k] > 0, "no golden app compiles to a %s", my_types[k]->name);
}
END_TEST

/* ---------------------------------------------------------------------------------------- */
/* The fake world: Route 53, ACM and one ALB listener in memory (ports: helpers/rec_fake).   */
/* ---------------------------------------------------------------------------------------- */

#define LISTENER "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/1/2"
#define DEFAULT_CERT "arn:aws:acm:eu-west-1:123456789012:certificate/default"

static struct world {
	json_t *zones;	 /* [{Id, Name, CallerReference, Config}] */
	json_t *tags;	 /* zone id or certificate ARN -> [{Key, Value}] */
	json_t *records; /* zone id -> [record as Route 53 lists it] */
	json_t *certs;	 /* [{CertificateArn, DomainName, SANs, Status, ...}] */
	json_t *tokens;	 /* ACM token -> ARN */
	json_t *lcerts;	 /* the listener's [{CertificateArn, IsDefault}] */
	unsigned next;
} W;

static int aws_fail(struct cohd_aws_error *err, const char *code)
{
	err->code = strdup(code);
	err->message = strdup("fake AWS says no");
	err->http_status = 400;
	err->class = cohd_aws_error_classify(code, 400, NULL);
	return -EREMOTEIO;
}

static json_t *find_by(const json_t *list, const char *key, const char *value)
{
	json_t *it;
	size_t i;

	json_array_foreach (list, i, it)
		if (streq_ptr(str(it, key), value))
			return it;
	return NULL;
}

static json_t *tags_of(const char *id)
{
	json_t *t = json_object_get(W.tags, id);

	if (!t) {
		t = json_array();
		json_object_set_new(W.tags, id, t);
	}
	return t;
}

static void add_tags(const char *id, const json_t *add)
{
	json_t *have = tags_of(id), *t, *old;
	size_t i;

	json_array_foreach (add, i, t)
		if ((old = find_by(have, "Key", str(t, "Key"))))
			json_object_set(old, "Value", json_object_get(t, "Value"));
		else
			json_array_append_new(have, json_deep_copy(t));
}

/* Route 53 spells names absolute, escaped, in lower case. */
static json_t *r53_name(const char *name)
{
	char buf[512], *o = buf;

	for (const char *s = name; *s && o < buf + sizeof buf - 8; s++)
		if (*s == '*')
			o += sprintf(o, "\\052");
		else
			*o++ = (char)tolower((unsigned char)*s);
	if (o == buf || o[-1] != '.')
		*o++ = '.';
	*o = 0;
	return json_string(buf);
}

static json_t *zone_records(const char *zone)
{
	json_t *l = json_object_get(W.records, zone);

	if (!l) {
		l = json_array();
		json_object_set_new(W.records, zone, l);
	}
	return l;
}

static json_t *find_record(const char *zone, const char *name, const char *type)
{
	json_auto_t *n = r53_name(name);
	json_t *r;
	size_t i;

	json_array_foreach (zone_records(zone), i, r)
		if (streq(str(r, "Name"), json_string_value(n)) && streq(str(r, "Type"), type))
			return r;
	return NULL;
}

static int fake_route53(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	json_t *z, *v;
	size_t i;

	if (streq(op, "ListHostedZones")) {
		*ret = json_pack("{s:O, s:b, s:s}", "HostedZones", W.zones, "IsTruncated", 0,
				 "MaxItems", "100");
		return 0;
	}
	if (streq(op, "ListTagsForResources")) {
		json_t *sets = json_array();

		json_array_foreach (json_object_get(p, "ResourceIds"), i, v)
			json_array_append_new(sets, json_pack("{s:s, s:O, s:O}", "ResourceType",
							      "hostedzone", "ResourceId", v, "Tags",
							      tags_of(json_string_value(v))));
		*ret = json_pack("{s:o}", "ResourceTagSets", sets);
		return 0;
	}
	if (streq(op, "CreateHostedZone")) {
		char id[32];

		ck_assert_ptr_nonnull(str(p, "CallerReference"));
		if (find_by(W.zones, "CallerReference", str(p, "CallerReference")))
			return aws_fail(err, "HostedZoneAlreadyExists");
		snprintf(id, sizeof id, "/hostedzone/Z%04u", ++W.next);
		z = json_pack("{s:s, s:o, s:O, s:O, s:i}", "Id", id, "Name",
			      r53_name(str(p, "Name")), "CallerReference",
			      json_object_get(p, "CallerReference"), "Config",
			      json_object_get(p, "HostedZoneConfig"), "ResourceRecordSetCount", 2);
		json_array_append_new(W.zones, z);
		*ret = json_pack("{s:O, s:{s:s, s:s, s:s}, s:{s:[s]}, s:s}", "HostedZone", z,
				 "ChangeInfo", "Id", "/change/C1", "Status", "PENDING",
				 "SubmittedAt", "2026-11-26T00:00:00Z", "DelegationSet",
				 "NameServers", "ns-1.awsdns-00.com", "Location", id);
		return 0;
	}
	if (streq(op, "ListResourceRecordSets")) {
		*ret = json_pack("{s:O, s:b, s:s}", "ResourceRecordSets",
				 zone_records(str(p, "HostedZoneId")), "IsTruncated", 0, "MaxItems",
				 "300");
		return 0;
	}
	if (streq(op, "ChangeResourceRecordSets")) {
		const char *zone = str(p, "HostedZoneId");
		json_t *c;

		ck_assert_ptr_null(strchr(zone, '/')); /* the bare id in the path */
		json_array_foreach (cohd_rec_json_path(p, "ChangeBatch.Changes"), i, c) {
			json_t *rr = json_deep_copy(json_object_get(c, "ResourceRecordSet"));
			json_t *json_name = r53_name(str(rr, "Name"));
			json_t *old =
				find_record(zone, json_string_value(json_name), str(rr, "Type"));
			json_t *list = zone_records(zone);

			json_object_set_new(rr, "Name", json_name);
			if (streq(str(c, "Action"), "DELETE")) {
				/* only the exact record */
				if (!old || !json_equal(old, rr)) {
					json_decref(rr);
					return aws_fail(err, "InvalidChangeBatch");
				}
				for (size_t k = 0; k < json_array_size(list); k++)
					if (json_array_get(list, k) == old)
						json_array_remove(list, k);
				json_decref(rr);
				continue;
			}
			ck_assert_str_eq(str(c, "Action"), "UPSERT");
			if (old)
				json_object_update(old, rr), json_decref(rr);
			else
				json_array_append_new(list, rr);
		}
		*ret = json_pack("{s:{s:s, s:s, s:s}}", "ChangeInfo", "Id", "/change/C2", "Status",
				 "PENDING", "SubmittedAt", "2026-11-26T00:00:00Z");
		return 0;
	}
	z = NULL;
	json_array_foreach (W.zones, i, v)
		if (streq(str(v, "Id") + strlen("/hostedzone/"),
			  str(p, "Id") ?: str(p, "ResourceId") ?: ""))
			z = v;
	if (!z)
		return aws_fail(err, "NoSuchHostedZone");
	if (streq(op, "UpdateHostedZoneComment")) {
		json_object_set(json_object_get(z, "Config"), "Comment",
				json_object_get(p, "Comment"));
		*ret = json_pack("{s:O}", "HostedZone", z);
		return 0;
	}
	if (streq(op, "ChangeTagsForResource")) {
		add_tags(str(p, "ResourceId"), json_object_get(p, "AddTags"));
		*ret = json_object();
		return 0;
	}
	return aws_fail(err, "UnknownOperation");
}

/* DescribeCertificate's validation options: one CNAME per name, the wildcard's is its
 * apex's. */
static json_t *dvo(const json_t *cert)
{
	json_t *out = json_array(), *n;
	size_t i;

	json_array_foreach (json_object_get(cert, "SubjectAlternativeNameSummaries"), i, n) {
		const char *d = json_string_value(n), *base = strncmp(d, "*.", 2) ? d : d + 2;
		char name[300];

		snprintf(name, sizeof name, "_5e1f.%s.", base);
		json_array_append_new(
			out, json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "DomainName", d,
				       "ValidationMethod", "DNS", "ValidationStatus",
				       "PENDING_VALIDATION", "ResourceRecord", "Name", name, "Type",
				       "CNAME", "Value", "_9c2d.jkddzztszm.acm-validations.aws."));
	}
	return out;
}

/* AWS issues a certificate once its validation CNAME is in a zone. */
static void acm_validate(void)
{
	json_t *c, *zone, *d;
	const char *key;
	size_t i;

	json_array_foreach (W.certs, i, c) {
		json_auto_t *opts = dvo(c);
		const char *name =
			str(json_object_get(json_array_get(opts, 0), "ResourceRecord"), "Name");

		json_object_foreach (W.records, key, zone) {
			(void)zone;
			d = find_record(key, name, "CNAME");
			if (d && streq(str(c, "Status"), "PENDING_VALIDATION"))
				json_object_set_new(c, "Status", json_string("ISSUED"));
		}
	}
}

static int fake_acm(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	json_t *c;

	acm_validate();
	if (streq(op, "ListCertificates")) {
		*ret = json_pack("{s:O}", "CertificateSummaryList", W.certs);
		return 0;
	}
	if (streq(op, "RequestCertificate")) {
		const char *tok = str(p, "IdempotencyToken");
		json_t *names = json_pack("[O]", json_object_get(p, "DomainName"));
		char arn[128];

		ck_assert_ptr_nonnull(tok);
		if (str(W.tokens, tok)) {
			json_decref(names);
			*ret = json_pack("{s:s}", "CertificateArn", str(W.tokens, tok));
			return 0;
		}
		json_array_extend(names, json_object_get(p, "SubjectAlternativeNames"));
		snprintf(arn, sizeof arn, "arn:aws:acm:eu-west-1:123456789012:certificate/c%u",
			 ++W.next);
		json_array_append_new(W.certs,
				      json_pack("{s:s, s:O, s:o, s:s, s:s, s:s}", "CertificateArn",
						arn, "DomainName", json_object_get(p, "DomainName"),
						"SubjectAlternativeNameSummaries", names, "Status",
						"PENDING_VALIDATION", "Type", "AMAZON_ISSUED",
						"KeyAlgorithm", "RSA_2048"));
		add_tags(arn, json_object_get(p, "Tags"));
		json_object_set_new(W.tokens, tok, json_string(arn));
		*ret = json_pack("{s:s}", "CertificateArn", arn);
		return 0;
	}
	c = find_by(W.certs, "CertificateArn", str(p, "CertificateArn"));
	if (!c)
		return aws_fail(err, "ResourceNotFoundException");
	if (streq(op, "ListTagsForCertificate")) {
		*ret = json_pack("{s:O}", "Tags", tags_of(str(c, "CertificateArn")));
		return 0;
	}
	if (streq(op, "DescribeCertificate")) {
		json_t *d = json_deep_copy(c);

		/* DescribeCertificate's own spellings */
		json_object_set_new(d, "KeyAlgorithm", json_string("RSA-2048"));
		json_object_set(d, "SubjectAlternativeNames",
				json_object_get(c, "SubjectAlternativeNameSummaries"));
		json_object_del(d, "SubjectAlternativeNameSummaries");
		json_object_set_new(d, "DomainValidationOptions", dvo(c));
		*ret = json_pack("{s:o}", "Certificate", d);
		return 0;
	}
	return aws_fail(err, "UnknownOperation");
}

static int fake_elbv2(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	json_t *c;
	size_t i;

	if (!streq_ptr(str(p, "ListenerArn"), LISTENER))
		return aws_fail(err, "ListenerNotFound");
	if (streq(op, "DescribeListenerCertificates")) {
		*ret = json_pack("{s:O}", "Certificates", W.lcerts);
		return 0;
	}
	json_array_foreach (json_object_get(p, "Certificates"), i, c) {
		json_t *have = find_by(W.lcerts, "CertificateArn", str(c, "CertificateArn"));

		if (streq(op, "AddListenerCertificates")) {
			json_t *cert = find_by(W.certs, "CertificateArn", str(c, "CertificateArn"));

			/* ELB takes issued certificates only */
			if (!cert || !streq(str(cert, "Status"), "ISSUED"))
				return aws_fail(err, "CertificateNotFound");
			if (!have)
				json_array_append_new(
					W.lcerts, json_pack("{s:O, s:b}", "CertificateArn",
							    json_object_get(c, "CertificateArn"),
							    "IsDefault", 0));
		} else if (streq(op, "RemoveListenerCertificates")) {
			for (size_t k = 0; have && k < json_array_size(W.lcerts); k++)
				if (json_array_get(W.lcerts, k) == have)
					json_array_remove(W.lcerts, k);
		} else
			return aws_fail(err, "UnknownOperation");
	}
	*ret = json_pack("{s:O}", "Certificates", W.lcerts);
	return 0;
}

static int fake_call(const struct cohd_rec_call *call, json_t **ret, struct cohd_aws_error *err)
{
	if (streq(call->service, "route53"))
		return fake_route53(call->operation, call->params, ret, err);
	if (streq(call->service, "acm"))
		return fake_acm(call->operation, call->params, ret, err);
	if (streq(call->service, "elbv2"))
		return fake_elbv2(call->operation, call->params, ret, err);
	ck_abort_msg("unexpected service %s", call->service);
	return -EINVAL;
}

static const char *const fake_reads[] = {"Describe", "List", "Get", NULL};

static const struct rec_fake_service fake_service = {
	.exec = fake_call,
	.serialise = true,
	.read_prefixes = fake_reads,
};

static void world_init(void)
{
	rec_fake_init(&fake_service);
	W = (struct world){};
	W.zones = json_array();
	W.tags = json_object();
	W.records = json_object();
	W.certs = json_array();
	W.tokens = json_object();
	W.lcerts = json_pack("[{s:s, s:b}]", "CertificateArn", DEFAULT_CERT, "IsDefault", 1);
}

static void world_done(void)
{
	json_decref(W.zones);
	json_decref(W.tags);
	json_decref(W.records);
	json_decref(W.certs);
	json_decref(W.tokens);
	json_decref(W.lcerts);
	rec_fake_done();
}

static struct cohd_rec_engine *engine(void)
{
	struct cohd_rec_config cfg = {
		.app = "shop",
		.environment = "pr-1",
		.env_type = 2,
		.region = "eu-west-1",
		.account = "123456789012",
		.partition = "aws",
		.name_prefix = "shop-a1b2c3-pr-1",
		.types = cohd_resource_types,
	};
	struct cohd_rec_engine *e = NULL;

	ck_assert_int_eq(cohd_rec_engine_new(&rec_fake_ops, &cfg, &e), 0);
	return e;
}

static unsigned op_count(const char *op)
{
	const json_t *v;
	unsigned n = 0;
	size_t i;

	json_array_foreach (RF.mut_log, i, v)
		n += streq(str(v, "op"), op);
	return n;
}

static const json_t *mut_params(const char *op, unsigned nth)
{
	const json_t *v;
	size_t i;

	json_array_foreach (RF.mut_log, i, v)
		if (streq(str(v, "op"), op) && nth-- == 0)
			return json_object_get(v, "params");
	ck_abort_msg("no %s call", op);
	return NULL;
}

static const char *res_sync(const json_t *st, const char *id)
{
	const json_t *r;
	size_t i;

	json_array_foreach (json_object_get(st, "resources"), i, r)
		if (streq(str(r, "id"), id))
			return str(r, "sync");
	ck_abort_msg("%s not in status", id);
	return NULL;
}

static struct cohd_resource *add(struct cohd_graph *g, const char *type, const char *id,
				 const char *name, json_t *props)
{
	struct cohd_resource *r = NULL;

	ck_assert_int_eq(cohd_graph_add(g, type, id, name, COHD_SCOPE_ENVIRONMENT, props, &r), 0);
	ck_assert_int_eq(cohd_resource_tag(r, "ManagedBy", "coherence"), 0);
	ck_assert_int_eq(cohd_resource_tag(r, "Application", "shop"), 0);
	ck_assert_int_eq(cohd_resource_tag(r, "cohd:id", id), 0);
	return r;
}

/* What compile_edge.c emits for one environment, with the listener as a plain ARN. */
static struct cohd_graph *graph_edge(bool with_wildcard, bool with_listener_cert)
{
	struct cohd_graph *g = cohd_graph_new();
	struct cohd_resource *r;

	ck_assert_ptr_nonnull(g);
	add(g, "route53.hosted_zone", "app/dns/zone", "example.com",
	    json_pack("{s:s, s:{s:s, s:b}}", "Name", "example.com", "HostedZoneConfig", "Comment",
		      "cohd: shop", "PrivateZone", 0));
	add(g, "acm.certificate", "env/pr-1/acm/cdn", "pr-1.example.com",
	    json_pack("{s:s, s:[s], s:s, s:s, s:{s:s}}", "DomainName", "pr-1.example.com",
		      "SubjectAlternativeNames", "*.pr-1.example.com", "ValidationMethod", "DNS",
		      "KeyAlgorithm", "RSA_2048", "Options",
		      "CertificateTransparencyLoggingPreference", "ENABLED"));
	add(g, "route53.record_set", "env/pr-1/acm/cdn/validation", "_validation.pr-1.example.com",
	    json_pack("{s:o, s:o, s:s, s:i, s:[{s:o}]}", "HostedZoneId",
		      cohd_ref("app/dns/zone", "Id"), "Name",
		      cohd_ref("env/pr-1/acm/cdn", "DomainValidationOptions.0.ResourceRecord.Name"),
		      "Type", "CNAME", "TTL", 300, "ResourceRecords", "Value",
		      cohd_ref("env/pr-1/acm/cdn",
			       "DomainValidationOptions.0.ResourceRecord.Value")));
	if (with_wildcard)
		add(g, "route53.record_set", "env/pr-1/dns/wildcard", "*.pr-1.example.com",
		    json_pack("{s:o, s:s, s:s, s:{s:s, s:s, s:b}}", "HostedZoneId",
			      cohd_ref("app/dns/zone", "Id"), "Name", "*.pr-1.example.com", "Type",
			      "A", "AliasTarget", "HostedZoneId", "Z2FDTNDATAQYW2", "DNSName",
			      "d111.cloudfront.net", "EvaluateTargetHealth", 0));
	if (!with_listener_cert)
		goto done;
	r = add(g, "elbv2.listener_certificate", "env/pr-1/acm/listener-certificate",
		"shop-a1b2c3:443:pr-1.example.com",
		json_pack("{s:s, s:[{s:o}]}", "ListenerArn", LISTENER, "Certificates",
			  "CertificateArn", cohd_ref("env/pr-1/acm/cdn", "CertificateArn")));
	ck_assert_int_eq(cohd_resource_depend(r, "env/pr-1/acm/cdn/validation"), 0);
done:
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	return g;
}

START_TEST(test_converge)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_edge(true, true);
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;
	const json_t *p, *zone;
	json_t *rec;

	world_init();
	e = engine();

	/* Pass 1: the zone (its comment and tags right after: CreateHostedZone takes no tags),
	 * the certificate, and the alias record in the new zone. The validation record waits for
	 * the certificate's validation options (a detail of the next pass), the listener
	 * certificate for the certificate to be issued. */
	rec_fake_run_pass(e, g, &st);
	if (getenv("DEBUG_STATUS"))
		json_dumpf(st, stderr, JSON_INDENT(1));
	ck_assert_uint_eq(op_count("CreateHostedZone"), 1);
	p = mut_params("CreateHostedZone", 0);
	ck_assert_ptr_nonnull(str(p, "CallerReference"));
	ck_assert_uint_eq(op_count("ChangeTagsForResource"), 1);
	ck_assert_ptr_nonnull(find_by(tags_of("Z0001"), "Key", "cohd:id"));
	ck_assert_uint_eq(op_count("RequestCertificate"), 1);
	p = mut_params("RequestCertificate", 0);
	ck_assert_ptr_nonnull(str(p, "IdempotencyToken"));
	ck_assert_ptr_nonnull(find_by(json_object_get(p, "Tags"), "Key", "cohd:id"));
	ck_assert_uint_eq(op_count("ChangeResourceRecordSets"), 1);
	zone = json_array_get(W.zones, 0);
	ck_assert_str_eq(str(zone, "Name"), "example.com.");
	ck_assert_ptr_nonnull(find_record("Z0001", "*.pr-1.example.com", "A"));
	ck_assert_uint_eq(op_count("AddListenerCertificates"), 0);
	ck_assert_str_ne(res_sync(st, "env/pr-1/acm/listener-certificate"), "synced");
	json_decref(st);
	st = NULL;

	/* Pass 2: the validation record (its name and value from DescribeCertificate); the
	 * certificate is issued after it, so the listener certificate still waits. */
	json_array_clear(RF.mut_log);
	rec_fake_run_pass(e, g, &st);
	ck_assert_uint_eq(op_count("ChangeResourceRecordSets"), 1);
	p = json_array_get(cohd_rec_json_path(mut_params("ChangeResourceRecordSets", 0),
					      "ChangeBatch.Changes"),
			   0);
	ck_assert_str_eq(str(p, "Action"), "UPSERT");
	ck_assert_str_eq(str(json_object_get(p, "ResourceRecordSet"), "Name"),
			 "_5e1f.pr-1.example.com.");
	ck_assert_uint_eq(op_count("AddListenerCertificates"), 0);
	ck_assert_uint_eq(op_count("RequestCertificate"), 0);
	json_decref(st);
	st = NULL;

	/* Pass 3: issued: the listener certificate is added. */
	json_array_clear(RF.mut_log);
	rec_fake_run_pass(e, g, &st);
	ck_assert_uint_eq(RF.mutations > 0, true);
	ck_assert_uint_eq(op_count("AddListenerCertificates"), 1);
	ck_assert_uint_eq(json_array_size(W.lcerts), 2);
	ck_assert_str_eq(res_sync(st, "env/pr-1/acm/listener-certificate"), "synced");
	json_decref(st);
	st = NULL;

	/* Pass 4: nothing to do; everything synced (the escaped wildcard, the validation record
	 * under its real name and the listener certificate beside the default one are found). */
	json_array_clear(RF.mut_log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 0);
	ck_assert_str_eq(res_sync(st, "app/dns/zone"), "synced");
	ck_assert_str_eq(res_sync(st, "env/pr-1/acm/cdn"), "synced");
	ck_assert_str_eq(res_sync(st, "env/pr-1/acm/cdn/validation"), "synced");
	ck_assert_str_eq(res_sync(st, "env/pr-1/dns/wildcard"), "synced");
	ck_assert_str_eq(res_sync(st, "env/pr-1/acm/listener-certificate"), "synced");

	/* Route 53 answers alias names in its own spelling: still no drift. */
	rec = find_record("Z0001", "*.pr-1.example.com", "A");
	json_object_set_new(json_object_get(rec, "AliasTarget"), "DNSName",
			    json_string("D111.CloudFront.net."));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	world_done();
}
END_TEST

START_TEST(test_drift_and_orphan)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_edge(true, true);
	_cleanup_(cohd_graph_freep) struct cohd_graph *g2 = graph_edge(false, false);
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	const json_t *p;
	json_t *rec;

	world_init();
	e = engine();
	for (int i = 0; i < 4; i++)
		rec_fake_run_pass(e, g, NULL);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);

	/* A TTL changed by hand: one UPSERT of the whole record brings it back. */
	rec = find_record("Z0001", "_5e1f.pr-1.example.com", "CNAME");
	ck_assert_ptr_nonnull(rec);
	json_object_set_new(rec, "TTL", json_integer(60));
	json_array_clear(RF.mut_log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 1);
	p = json_array_get(cohd_rec_json_path(mut_params("ChangeResourceRecordSets", 0),
					      "ChangeBatch.Changes"),
			   0);
	ck_assert_str_eq(str(p, "Action"), "UPSERT");
	ck_assert_int_eq(json_integer_value(cohd_rec_json_path(p, "ResourceRecordSet.TTL")), 300);
	ck_assert_int_eq(json_integer_value(json_object_get(rec, "TTL")), 300);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);

	/* The alias record and the listener certificate leave the file: the record is deleted as
	 * it is (DELETE of the exact live record, in the zone observe kept), the certificate taken
	 * off the listener observe kept; the rest untouched. */
	json_array_clear(RF.mut_log);
	rec_fake_run_pass(e, g2, NULL);
	ck_assert_uint_eq(op_count("RemoveListenerCertificates"), 1);
	p = mut_params("RemoveListenerCertificates", 0);
	ck_assert_str_eq(str(p, "ListenerArn"), LISTENER);
	ck_assert_uint_eq(json_array_size(W.lcerts), 1);
	ck_assert_str_eq(str(json_array_get(W.lcerts, 0), "CertificateArn"), DEFAULT_CERT);
	ck_assert_uint_eq(op_count("ChangeResourceRecordSets"), 1);
	p = json_array_get(cohd_rec_json_path(mut_params("ChangeResourceRecordSets", 0),
					      "ChangeBatch.Changes"),
			   0);
	ck_assert_str_eq(str(p, "Action"), "DELETE");
	ck_assert_str_eq(str(mut_params("ChangeResourceRecordSets", 0), "HostedZoneId"), "Z0001");
	ck_assert_ptr_null(find_record("Z0001", "*.pr-1.example.com", "A"));
	ck_assert_ptr_nonnull(find_record("Z0001", "_5e1f.pr-1.example.com", "CNAME"));
	ck_assert_uint_eq(rec_fake_run_pass(e, g2, NULL), 0);
	world_done();
}
END_TEST

static Suite *resources_dns_suite(void)
{
	Suite *s = suite_create("resources_dns");
	const struct {
		const char *name;
		const TTest *fn;
	} cases[] = {
		{"route53_names", test_route53_names},
		{"record_project", test_record_project_and_match},
		{"record_normalise", test_record_normalise},
		{"certificate_project", test_certificate_project},
		{"listener_certificate_project", test_listener_certificate_project},
		{"builders_serialize", test_builders_serialize},
		{"converge", test_converge},
		{"drift_and_orphan", test_drift_and_orphan},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_test(tc, cases[i].fn);
		tcase_set_timeout(tc, 60);
		suite_add_tcase(s, tc);
	}
	return s;
}

COHD_TEST_MAIN(resources_dns_suite)
