/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the data resource types (lib/resources: rds.db_subnet_group, rds.db_instance,
 * rds.db_proxy, rds.db_proxy_target, elasticache.cache_subnet_group,
 * elasticache.replication_group). Two halves:
 *   - every params document the types build, from what the real compiler emits for the golden
 *     data app in every environment type, serialises against the embedded botocore model;
 *   - the types driven through the engine against an in-memory fake of RDS, ElastiCache and
 *     Secrets Manager that serialises every call against the real model: converge from nothing
 *     (the instance gets the secret's generated password, which never reaches the journal),
 *     zero mutations on a second pass, the instance class accepted as drift while another
 *     field is corrected, observe parsing (projected members, proxy targets), delete.
 * No network, no database, no libuv.
 */
#include <jansson.h>

#include "lib/aws/protocols/protocols.h"
#include "lib/config/app.h"
#include "lib/model/compile.h"
#include "lib/reconcile/reconcile.h"
#include "lib/resources/resources.h"
#include "compile_app.h"
#include "rec_fake.h"
#include "test.h"

static const struct cohd_rec_type *const my_types[] = {
	&cohd_resource_rds_db_subnet_group,
	&cohd_resource_rds_db_instance,
	&cohd_resource_rds_db_proxy,
	&cohd_resource_rds_db_proxy_target,
	&cohd_resource_elasticache_cache_subnet_group,
	&cohd_resource_elasticache_replication_group,
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

/* A builder's result: the params of op, or a sequence of calls [{Operation, Params}] whose
 * last step is op (none at all: nothing to send). */
static void check_call_or_steps(const char *service, const char *op, const json_t *params,
				const char *what)
{
	const json_t *st;
	size_t i;

	if (!json_is_array(params)) {
		rec_fake_check_serialises(service, op, params, what);
		return;
	}
	json_array_foreach (params, i, st)
		rec_fake_check_serialises(service, str(st, "Operation"),
					  json_object_get(st, "Params"), what);
	if (json_array_size(params) > 0)
		ck_assert_str_eq(
			str(json_array_get(params, json_array_size(params) - 1), "Operation"), op);
}

/* ---------------------------------------------------------------------------------------- */
/* Builders against the real model, from the real compiler's output.                        */
/* ---------------------------------------------------------------------------------------- */

static json_t *fake_attrs; /* logical id -> attributes made up for every referenced one */

static int collect_ref(const char *id, const char *attr, void *u)
{
	json_t *o = json_object_get(fake_attrs, id);
	char v[512];

	if (!o) {
		o = json_object();
		json_object_set_new(fake_attrs, id, o);
	}
	if (strstr(attr, "Arn") || strstr(attr, "ARN"))
		snprintf(v, sizeof v, "arn:aws:svc:eu-west-1:123456789012:thing/%s", id);
	else
		snprintf(v, sizeof v, "%s-%s", attr, "0abc");
	if (!cohd_rec_json_path(o, attr))
		cohd_rec_json_set_path(o, attr, json_string(v));
	return 0;
}

static const json_t *attrs_of(void *u, const char *id)
{
	return json_object_get(fake_attrs, id);
}

static int gen(void *u, const char *id, const json_t *ph, json_t **ret)
{
	*ret = json_string("s3cr3t-generated");
	return 0;
}

/* Every builder of t for one compiled resource: create, each field's update, tag, untag,
 * delete (as wanted and as an orphan), details, observe and describe-by-id. */
static void check_resource(const struct cohd_rec_type *t, const struct cohd_resource *res,
			   const char *env_type)
{
	struct cohd_rec_resolve_ctx rc = {.account = "123456789012",
					  .partition = "aws",
					  .attrs = attrs_of,
					  .generate = gen,
					  .self = res->id};
	json_auto_t *props = NULL, *params = NULL, *live_attrs = NULL, *untag = NULL;
	const struct cohd_resource *wanted[] = {res};
	const json_t *wanted_props[1] = {NULL};
	struct cohd_rec_observe_ctx octx = {.app = "ledger",
					    .environment = "production",
					    .region = "eu-west-1",
					    .name_prefix = res->name,
					    .wanted = wanted,
					    .n_wanted = 1};
	struct cohd_rec_item live = {};
	struct cohd_rec_type_ctx ctx = {
		.type = t,
		.app = "ledger",
		.environment = "production",
		.env_type = env_type,
		.region = "eu-west-1",
		.account = "123456789012",
		.partition = "aws",
		.resource = res,
		.tags = res->tags,
	};
	char what[512];

	ck_assert_int_eq(cohd_json_foreach_ref(res->properties, collect_ref, NULL), 0);
	ck_assert_int_eq(cohd_rec_resolve(&rc, res->properties, &props, NULL), 0);
	ctx.props = props;
	wanted_props[0] = props;
	octx.props = wanted_props;

	snprintf(what, sizeof what, "%s %s create", t->name, res->id);
	if (json_is_true(json_object_get(props, "cohd:Existing"))) {
		ck_assert_int_lt(t->create_params(&ctx, &params), 0);
		return;
	}
	ck_assert_int_eq((t->create_params ?: cohd_rec_default_create_params)(&ctx, &params), 0);
	check_call_or_steps(t->service, t->create_op, params, what);
	if (streq(t->name, "rds.db_instance")) {
		ck_assert(json_is_string(json_object_get(params, "MasterUserPassword")));
		ck_assert_ptr_null(json_object_get(params, "AllowMajorVersionUpgrade"));
		ck_assert_ptr_null(json_object_get(params, "cohd:FinalSnapshot"));
		ck_assert_str_eq(str(json_array_get(json_object_get(params, "Tags"), 0), "Key"),
				 "ManagedBy");
	}
	json_decref(params);
	params = NULL;

	/* the live item: as if observed (attributes = desired, plus the ARN AWS adds) */
	live_attrs = json_deep_copy(props);
	json_object_set_new(live_attrs, "DBInstanceArn",
			    json_string("arn:aws:rds:eu-west-1:123456789012:db:x"));
	json_object_set_new(live_attrs, "DeletionProtection", json_true());
	live.physical_id = (char *)res->name;
	live.attrs = live_attrs;
	ctx.live = &live;

	for (size_t i = 0; i < t->n_fields; i++) {
		const struct cohd_rec_field *f = &t->fields[i];
		const char *op = f->update_op ?: t->update_op;
		const char *fields[] = {f->path};

		if ((f->flags & (COHD_REC_F_REPLACE | COHD_REC_F_OBSERVE_ONLY)) || !op ||
		    !cohd_rec_json_path(props, f->path))
			continue;
		snprintf(what, sizeof what, "%s %s update %s", t->name, res->id, f->path);
		if (f->update_params)
			ck_assert_int_eq(f->update_params(&ctx, fields, 1, &params), 0);
		else if (t->update_params)
			ck_assert_int_eq(t->update_params(&ctx, fields, 1, &params), 0);
		else {
			params = json_pack("{s:s}", t->id_member, live.physical_id);
			cohd_rec_json_set_path(params, f->path,
					       json_deep_copy(cohd_rec_json_path(props, f->path)));
		}
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
	}
	if (t->untag_op) {
		snprintf(what, sizeof what, "%s %s untag", t->name, res->id);
		untag = json_pack("{s:s}", "cohd:old", "x");
		ctx.tags = untag;
		ck_assert_int_eq(t->untag_params(&ctx, &params), 0);
		rec_fake_check_serialises(t->service, t->untag_op, params, what);
		json_decref(params);
		params = NULL;
		ctx.tags = res->tags;
	}

	snprintf(what, sizeof what, "%s %s delete", t->name, res->id);
	if (t->delete_params)
		ck_assert_int_eq(t->delete_params(&ctx, &params), 0);
	else
		params = json_pack("{s:s}", t->id_member, live.physical_id);
	check_call_or_steps(t->service, t->delete_op, params, what);
	json_decref(params);
	params = NULL;
	ctx.resource = NULL; /* an orphan: the resource is gone from the graph */
	ctx.props = NULL;
	if (t->delete_params) {
		ck_assert_int_eq(t->delete_params(&ctx, &params), 0);
		check_call_or_steps(t->service, t->delete_op, params, what);
		json_decref(params);
		params = NULL;
	}
	ctx.resource = res;
	ctx.props = props;

	for (size_t i = 0; i < t->n_details; i++) {
		snprintf(what, sizeof what, "%s %s detail %s", t->name, res->id,
			 t->details[i].operation);
		ck_assert_int_eq(t->details[i].params(&live, &params), 0);
		rec_fake_check_serialises(t->service, t->details[i].operation, params, what);
		json_decref(params);
		params = NULL;
	}

	snprintf(what, sizeof what, "%s %s observe", t->name, res->id);
	ck_assert_int_eq(t->observe_params(&octx, &params), 0);
	ck_assert_ptr_nonnull(params);
	rec_fake_check_serialises(t->service, t->describe_op, params, what);
	json_decref(params);
	params = NULL;
	if (t->by_id_params) {
		snprintf(what, sizeof what, "%s %s by id", t->name, res->id);
		ck_assert_int_eq(t->by_id_params(&ctx, &params), 0);
		rec_fake_check_serialises(t->service, t->describe_op, params, what);
	}
}

START_TEST(test_builders_serialize)
{
	static const char *const env_names[] = {"production", "static", "preview"};
	unsigned seen[ELEMENTSOF(my_types)] = {};

	for (int et = 0; et < 3; et++) {
		_cleanup_(cohd_graph_freep) struct cohd_graph *g =
			test_compile_app("plans/data.yml", et);

		fake_attrs = json_object();
		for (size_t i = 0; i < cohd_graph_size(g); i++) {
			const struct cohd_resource *res = cohd_graph_get(g, i);
			const struct cohd_rec_type *t = my_type(res->type);

			if (!t)
				continue;
			check_resource(t, res, env_names[et]);
			for (size_t k = 0; my_types[k]; k++)
				seen[k] += my_types[k] == t;
		}
		json_decref(fake_attrs);
		fake_attrs = NULL;
	}
	for (size_t k = 0; my_types[k]; k++)
		ck_assert_msg(seen[k] > 0, "the golden data app compiles to no %s",
			      my_types[k]->name);
}
END_TEST

/* The proxy target's observe: by the resolved proxy name; nothing while the proxy is missing;
 * by the last name once the resource left the graph. */
START_TEST(test_proxy_target_observe)
{
	const struct cohd_rec_type *t = &cohd_resource_rds_db_proxy_target;
	json_auto_t *wanted_props =
		json_pack("{s:s, s:s, s:[s]}", "DBProxyName", "p1", "TargetGroupName", "default",
			  "DBInstanceIdentifiers", "db1");
	json_auto_t *unresolved = json_pack("{s:{s:s, s:s}}", "DBProxyName", "Ref", "env/x/proxy",
					    "Attr", "DBProxyName");
	struct cohd_resource res = {.id = (char *)"env/x/target",
				    .name = (char *)"p1/default",
				    .properties = unresolved};
	const struct cohd_resource *wanted[] = {&res};
	const json_t *props[1] = {wanted_props};
	struct cohd_rec_observe_ctx octx = {
		.app = "a", .wanted = wanted, .props = props, .n_wanted = 1};
	json_auto_t *p = NULL, *p2 = NULL, *p3 = NULL, *raw = NULL, *item = NULL, *targets = NULL,
		    *norm = NULL;
	const struct cohd_rec_field *f = NULL;

	ck_assert_int_eq(t->observe_params(&octx, &p), 0);
	ck_assert_str_eq(str(p, "DBProxyName"), "p1");
	ck_assert_str_eq(str(p, "TargetGroupName"), "default");
	props[0] = NULL; /* the proxy is not there yet */
	ck_assert_int_eq(t->observe_params(&octx, &p2), 0);
	ck_assert_ptr_null(p2);
	res.properties = NULL; /* remembered by its last name */
	ck_assert_int_eq(t->observe_params(&octx, &p3), 0);
	ck_assert_str_eq(str(p3, "DBProxyName"), "p1");

	/* the item's name is "<proxy>/<group>"; targets compare as the instance ids */
	raw = json_pack("{s:s, s:s, s:b}", "DBProxyName", "p1", "TargetGroupName", "default",
			"IsDefault", 1);
	item = t->project(raw);
	ck_assert_str_eq(str(item, "cohd:Name"), "p1/default");
	for (size_t i = 0; i < t->n_fields; i++)
		if (streq(t->fields[i].path, "DBInstanceIdentifiers"))
			f = &t->fields[i];
	ck_assert_ptr_nonnull(f);
	targets = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "RdsResourceId", "db2", "Type",
			    "RDS_INSTANCE", "RdsResourceId", "c1", "Type", "TRACKED_CLUSTER",
			    "RdsResourceId", "db1", "Type", "RDS_INSTANCE");
	norm = cohd_rec_normalise(f, targets, true);
	ck_assert_str_eq(json_string_value(json_array_get(norm, 0)), "db1");
	ck_assert_str_eq(json_string_value(json_array_get(norm, 1)), "db2");
	ck_assert_uint_eq(json_array_size(norm), 2);
}
END_TEST

/* The instance's projection and normalisers: members as CreateDBInstance spells them. */
START_TEST(test_instance_observe)
{
	const struct cohd_rec_type *t = &cohd_resource_rds_db_instance;
	json_auto_t *raw = json_pack(
		"{s:s, s:s, s:{s:s, s:i}, s:{s:s}, s:[{s:s, s:s}, {s:s, s:s}]}",
		"DBInstanceIdentifier", "db1", "EngineVersion", "16.3", "Endpoint", "Address",
		"db1.x.rds.amazonaws.com", "Port", 5432, "DBSubnetGroup", "DBSubnetGroupName",
		"sg1", "VpcSecurityGroups", "VpcSecurityGroupId", "sg-b", "Status", "active",
		"VpcSecurityGroupId", "sg-a", "Status", "active");
	json_auto_t *item = t->project(raw), *want = NULL, *have = NULL, *v9w = NULL, *v9h = NULL,
		    *v16 = json_string("16"), *v96 = json_string("9.6"),
		    *v9624 = json_string("9.6.24");
	const struct cohd_rec_field *ver = NULL;

	ck_assert_str_eq(str(item, "DBSubnetGroupName"), "sg1");
	ck_assert_int_eq(json_integer_value(json_object_get(item, "Port")), 5432);
	ck_assert_str_eq(
		json_string_value(json_array_get(json_object_get(item, "VpcSecurityGroupIds"), 0)),
		"sg-a");
	for (size_t i = 0; i < t->n_fields; i++)
		if (streq(t->fields[i].path, "EngineVersion"))
			ver = &t->fields[i];
	ck_assert_ptr_nonnull(ver);
	want = cohd_rec_normalise(ver, v16, false);
	have = cohd_rec_normalise(ver, json_object_get(raw, "EngineVersion"), true);
	ck_assert(json_equal(want, have));
	/* no ModifyDBInstance while the instance is being created: nothing sent, drift shown */
	{
		json_auto_t *props = json_pack("{s:i}", "Port", 5432), *steps = NULL,
			    *attrs = json_pack("{s:s}", "DBInstanceStatus", "creating");
		struct cohd_rec_item live = {.physical_id = (char *)"db1", .attrs = attrs};
		struct cohd_rec_type_ctx ctx = {.type = t, .props = props, .live = &live};
		const char *fields[] = {"Port"};

		ck_assert_int_eq(t->update_params(&ctx, fields, 1, &steps), 0);
		ck_assert(json_is_array(steps) && json_array_size(steps) == 0);
		json_decref(steps);
		json_object_set_new(attrs, "DBInstanceStatus", json_string("available"));
		ck_assert_int_eq(t->update_params(&ctx, fields, 1, &steps), 0);
		ck_assert_int_eq(json_integer_value(json_object_get(steps, "DBPortNumber")), 5432);
		ck_assert(json_is_true(json_object_get(steps, "ApplyImmediately")));
	}
	v9w = cohd_rec_normalise(ver, v96, false);
	v9h = cohd_rec_normalise(ver, v9624, true);
	ck_assert(json_equal(v9w, v9h));
}
END_TEST

/* ---------------------------------------------------------------------------------------- */
/* The fake world: RDS, ElastiCache and Secrets Manager in memory.                           */
/* ---------------------------------------------------------------------------------------- */

static struct world {
	json_t *secrets, *dbsg, *dbi, *proxies, *csg, *rg; /* lists of AWS-shaped items */
	json_t *targets;				   /* proxy name -> [targets] */
	json_t *tags;					   /* ARN -> TagList */
	json_t *passwords;				   /* instance id -> password */
	unsigned next_id;
} W;

static int aws_fail(struct cohd_aws_error *err, const char *code)
{
	err->code = strdup(code);
	err->message = strdup("fake AWS says no");
	err->http_status = 400;
	err->class = cohd_aws_error_classify(code, 400, NULL);
	return -EREMOTEIO;
}

static json_t *find_by(json_t *list, const char *key, const char *value)
{
	json_t *it;
	size_t i;

	json_array_foreach (list, i, it)
		if (streq_ptr(str(it, key), value))
			return it;
	return NULL;
}

static void remove_from(json_t *list, const json_t *item)
{
	json_t *it;
	size_t i;

	json_array_foreach (list, i, it)
		if (it == item) {
			json_array_remove(list, i);
			return;
		}
}

static json_t *tag_list(const char *arn)
{
	json_t *l = json_object_get(W.tags, arn);

	if (!l) {
		l = json_array();
		json_object_set_new(W.tags, arn, l);
	}
	return l;
}

static void merge_tags(const char *arn, const json_t *add)
{
	json_t *have = tag_list(arn), *t;
	size_t i;

	json_array_foreach (add, i, t) {
		json_t *old = find_by(have, "Key", str(t, "Key"));

		if (old)
			json_object_set(old, "Value", json_object_get(t, "Value"));
		else
			json_array_append_new(have, json_deep_copy(t));
	}
}

static const char *tag_of(const char *arn, const char *key)
{
	return str(find_by(tag_list(arn), "Key", key), "Value");
}

/* Items "creating" in a describe answer are "available" from the next one on. */
static json_t *answer_list(json_t *list, const char *status_key, const char *name_key,
			   const char *only)
{
	json_t *out = json_array(), *it;
	size_t i;

	json_array_foreach (list, i, it) {
		if (only && !streq_ptr(str(it, name_key), only))
			continue;
		json_array_append_new(out, json_deep_copy(it));
		if (status_key && streq_ptr(str(it, status_key), "creating"))
			json_object_set_new(it, status_key, json_string("available"));
	}
	return out;
}

static json_t *subnets_of(const json_t *ids)
{
	json_t *out = json_array(), *id;
	size_t i;

	json_array_foreach (ids, i, id)
		json_array_append_new(out,
				      json_pack("{s:O, s:{s:s}}", "SubnetIdentifier", id,
						"SubnetAvailabilityZone", "Name", "eu-west-1a"));
	return out;
}

static int fake_secrets(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	char arn[256];
	json_t *s;

	if (streq(op, "ListSecrets")) {
		*ret = json_pack("{s:O}", "SecretList", W.secrets);
		return 0;
	}
	if (streq(op, "CreateSecret")) {
		snprintf(arn, sizeof arn,
			 "arn:aws:secretsmanager:eu-west-1:123456789012:secret:%s-%06u",
			 str(p, "Name"), ++W.next_id);
		s = json_pack("{s:s, s:O, s:O?, s:O}", "ARN", arn, "Name",
			      json_object_get(p, "Name"), "Description",
			      json_object_get(p, "Description"), "Tags",
			      json_object_get(p, "Tags") ?: json_array());
		json_array_append_new(W.secrets, s);
		*ret = json_pack("{s:s, s:O, s:s}", "ARN", arn, "Name", json_object_get(p, "Name"),
				 "VersionId", "v1");
		return 0;
	}
	return aws_fail(err, "UnknownOperationException");
}

static int fake_tags(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	const char *arn = str(p, "ResourceName");
	const json_t *k;
	size_t i;

	if (streq(op, "ListTagsForResource")) {
		*ret = json_pack("{s:O}", "TagList", tag_list(arn));
		return 0;
	}
	if (streq(op, "AddTagsToResource")) {
		merge_tags(arn, json_object_get(p, "Tags"));
		*ret = json_object();
		return 0;
	}
	if (streq(op, "RemoveTagsFromResource")) {
		json_array_foreach (json_object_get(p, "TagKeys"), i, k)
			remove_from(tag_list(arn),
				    find_by(tag_list(arn), "Key", json_string_value(k)));
		*ret = json_object();
		return 0;
	}
	return 1; /* not a tag call */
}

static int fake_rds(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	char arn[256];
	json_t *it, *out;
	size_t i;
	int r = fake_tags(op, p, ret, err);

	if (r <= 0)
		return r;
	if (streq(op, "DescribeDBSubnetGroups")) {
		*ret = json_pack("{s:o}", "DBSubnetGroups", answer_list(W.dbsg, NULL, NULL, NULL));
		return 0;
	}
	if (streq(op, "CreateDBSubnetGroup")) {
		if (find_by(W.dbsg, "DBSubnetGroupName", str(p, "DBSubnetGroupName")))
			return aws_fail(err, "DBSubnetGroupAlreadyExists");
		snprintf(arn, sizeof arn, "arn:aws:rds:eu-west-1:123456789012:subgrp:%s",
			 str(p, "DBSubnetGroupName"));
		it = json_pack("{s:O, s:O, s:s, s:s, s:o, s:s}", "DBSubnetGroupName",
			       json_object_get(p, "DBSubnetGroupName"), "DBSubnetGroupDescription",
			       json_object_get(p, "DBSubnetGroupDescription"), "VpcId", "vpc-1",
			       "SubnetGroupStatus", "Complete", "Subnets",
			       subnets_of(json_object_get(p, "SubnetIds")), "DBSubnetGroupArn",
			       arn);
		merge_tags(arn, json_object_get(p, "Tags"));
		json_array_append_new(W.dbsg, it);
		*ret = json_pack("{s:O}", "DBSubnetGroup", it);
		return 0;
	}
	if (streq(op, "ModifyDBSubnetGroup")) {
		it = find_by(W.dbsg, "DBSubnetGroupName", str(p, "DBSubnetGroupName"));
		if (!it)
			return aws_fail(err, "DBSubnetGroupNotFoundFault");
		ck_assert_ptr_nonnull(json_object_get(p, "SubnetIds")); /* required */
		json_object_set_new(it, "Subnets", subnets_of(json_object_get(p, "SubnetIds")));
		if (json_object_get(p, "DBSubnetGroupDescription"))
			json_object_set(it, "DBSubnetGroupDescription",
					json_object_get(p, "DBSubnetGroupDescription"));
		*ret = json_pack("{s:O}", "DBSubnetGroup", it);
		return 0;
	}
	if (streq(op, "DescribeDBInstances")) {
		const char *only = str(p, "DBInstanceIdentifier");

		if (only && !find_by(W.dbi, "DBInstanceIdentifier", only))
			return aws_fail(err, "DBInstanceNotFound");
		out = answer_list(W.dbi, "DBInstanceStatus", "DBInstanceIdentifier", only);
		json_array_foreach (out, i, it)
			json_object_set(it, "TagList", tag_list(str(it, "DBInstanceArn")));
		*ret = json_pack("{s:o}", "DBInstances", out);
		return 0;
	}
	if (streq(op, "CreateDBInstance")) {
		const char *id = str(p, "DBInstanceIdentifier");

		if (find_by(W.dbi, "DBInstanceIdentifier", id))
			return aws_fail(err, "DBInstanceAlreadyExists");
		snprintf(arn, sizeof arn, "arn:aws:rds:eu-west-1:123456789012:db:%s", id);
		it = json_pack(
			"{s:s, s:O, s:O, s:s, s:s, s:O, s:O, s:O, s:{s:s, s:O}, s:{s:O}, s:[{s:O, "
			"s:s}], s:O, s:O, s:O, s:s, s:O, s:O, s:O, s:s, s:s, s:i, s:s}",
			"DBInstanceIdentifier", id, "DBInstanceClass",
			json_object_get(p, "DBInstanceClass"), "Engine",
			json_object_get(p, "Engine"), "EngineVersion", "16.3", "DBInstanceStatus",
			"creating", "MasterUsername", json_object_get(p, "MasterUsername"),
			"DBName", json_object_get(p, "DBName"), "AllocatedStorage",
			json_object_get(p, "AllocatedStorage"), "Endpoint", "Address",
			"db.x.eu-west-1.rds.amazonaws.com", "Port", json_object_get(p, "Port"),
			"DBSubnetGroup", "DBSubnetGroupName",
			json_object_get(p, "DBSubnetGroupName"), "VpcSecurityGroups",
			"VpcSecurityGroupId",
			json_array_get(json_object_get(p, "VpcSecurityGroupIds"), 0), "Status",
			"active", "MultiAZ", json_object_get(p, "MultiAZ"), "PubliclyAccessible",
			json_object_get(p, "PubliclyAccessible"), "StorageEncrypted",
			json_object_get(p, "StorageEncrypted"), "KmsKeyId",
			"arn:aws:kms:eu-west-1:123456789012:key/abcd", "CopyTagsToSnapshot",
			json_object_get(p, "CopyTagsToSnapshot"), "DeletionProtection",
			json_object_get(p, "DeletionProtection"), "AutoMinorVersionUpgrade",
			json_object_get(p, "AutoMinorVersionUpgrade"), "DBInstanceArn", arn,
			"DbiResourceId", "db-ABC123", "BackupRetentionPeriod", 1,
			"PreferredMaintenanceWindow", "sun:05:00-sun:05:30");
		ck_assert_ptr_nonnull(it);
		json_object_set(W.passwords, id, json_object_get(p, "MasterUserPassword"));
		merge_tags(arn, json_object_get(p, "Tags"));
		json_array_append_new(W.dbi, it);
		*ret = json_pack("{s:O}", "DBInstance", it);
		return 0;
	}
	if (streq(op, "ModifyDBInstance")) {
		const char *key;
		json_t *v;

		it = find_by(W.dbi, "DBInstanceIdentifier", str(p, "DBInstanceIdentifier"));
		if (!it)
			return aws_fail(err, "DBInstanceNotFound");
		ck_assert(json_is_true(json_object_get(p, "ApplyImmediately")));
		json_object_foreach ((json_t *)p, key, v)
			if (!streq(key, "ApplyImmediately") && !streq(key, "DBInstanceIdentifier"))
				json_object_set(it, key, v);
		*ret = json_pack("{s:O}", "DBInstance", it);
		return 0;
	}
	if (streq(op, "DeleteDBInstance")) {
		it = find_by(W.dbi, "DBInstanceIdentifier", str(p, "DBInstanceIdentifier"));
		if (!it)
			return aws_fail(err, "DBInstanceNotFound");
		if (json_is_true(json_object_get(it, "DeletionProtection")))
			return aws_fail(err, "InvalidParameterCombination");
		*ret = json_pack("{s:O}", "DBInstance", it);
		remove_from(W.dbi, it);
		return 0;
	}
	if (streq(op, "DescribeDBProxies")) {
		const char *only = str(p, "DBProxyName");

		if (only && !find_by(W.proxies, "DBProxyName", only))
			return aws_fail(err, "DBProxyNotFoundFault");
		*ret = json_pack("{s:o}", "DBProxies",
				 answer_list(W.proxies, "Status", "DBProxyName", only));
		return 0;
	}
	if (streq(op, "CreateDBProxy")) {
		json_t *auth = json_deep_copy(json_object_get(p, "Auth"));

		snprintf(arn, sizeof arn, "arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-%u",
			 ++W.next_id);
		/* AWS adds a description and the user name to each auth entry */
		json_array_foreach (auth, i, it)
			json_object_set_new(it, "UserName", json_string("app"));
		it = json_pack("{s:O, s:s, s:s, s:O, s:o, s:O, s:O, s:O, s:O, s:O, s:O, s:s}",
			       "DBProxyName", json_object_get(p, "DBProxyName"), "DBProxyArn", arn,
			       "Status", "creating", "EngineFamily",
			       json_object_get(p, "EngineFamily"), "Auth", auth, "RoleArn",
			       json_object_get(p, "RoleArn"), "VpcSubnetIds",
			       json_object_get(p, "VpcSubnetIds"), "VpcSecurityGroupIds",
			       json_object_get(p, "VpcSecurityGroupIds"), "RequireTLS",
			       json_object_get(p, "RequireTLS"), "IdleClientTimeout",
			       json_object_get(p, "IdleClientTimeout"), "DebugLogging",
			       json_object_get(p, "DebugLogging"), "Endpoint",
			       "p.proxy-x.eu-west-1.rds.amazonaws.com");
		ck_assert_ptr_nonnull(it);
		merge_tags(arn, json_object_get(p, "Tags"));
		json_array_append_new(W.proxies, it);
		json_object_set_new(W.targets, str(p, "DBProxyName"), json_array());
		*ret = json_pack("{s:O}", "DBProxy", it);
		return 0;
	}
	if (streq(op, "DescribeDBProxyTargetGroups")) {
		if (!find_by(W.proxies, "DBProxyName", str(p, "DBProxyName")))
			return aws_fail(err, "DBProxyNotFoundFault");
		*ret = json_pack("{s:[{s:O, s:s, s:b, s:s}]}", "TargetGroups", "DBProxyName",
				 json_object_get(p, "DBProxyName"), "TargetGroupName", "default",
				 "IsDefault", 1, "Status", "available");
		return 0;
	}
	if (streq(op, "DescribeDBProxyTargets")) {
		json_t *t = json_object_get(W.targets, str(p, "DBProxyName"));

		if (!t)
			return aws_fail(err, "DBProxyNotFoundFault");
		*ret = json_pack("{s:O}", "Targets", t);
		return 0;
	}
	if (streq(op, "RegisterDBProxyTargets") || streq(op, "DeregisterDBProxyTargets")) {
		json_t *t = json_object_get(W.targets, str(p, "DBProxyName")), *id;

		if (!t)
			return aws_fail(err, "DBProxyNotFoundFault");
		ck_assert_str_eq(str(p, "TargetGroupName"), "default");
		json_array_foreach (json_object_get(p, "DBInstanceIdentifiers"), i, id) {
			json_t *old = find_by(t, "RdsResourceId", json_string_value(id));

			if (streq(op, "DeregisterDBProxyTargets"))
				remove_from(t, old);
			else if (old)
				return aws_fail(err, "DBProxyTargetAlreadyRegisteredFault");
			else
				json_array_append_new(t, json_pack("{s:O, s:s, s:i}",
								   "RdsResourceId", id, "Type",
								   "RDS_INSTANCE", "Port", 5432));
		}
		*ret = json_object();
		return 0;
	}
	return aws_fail(err, "InvalidAction");
}

static int fake_elasticache(const char *op, const json_t *p, json_t **ret,
			    struct cohd_aws_error *err)
{
	char arn[256];
	json_t *it;
	int r = fake_tags(op, p, ret, err);

	if (r <= 0)
		return r;
	if (streq(op, "DescribeCacheSubnetGroups")) {
		*ret = json_pack("{s:o}", "CacheSubnetGroups",
				 answer_list(W.csg, NULL, NULL, NULL));
		return 0;
	}
	if (streq(op, "CreateCacheSubnetGroup")) {
		if (find_by(W.csg, "CacheSubnetGroupName", str(p, "CacheSubnetGroupName")))
			return aws_fail(err, "CacheSubnetGroupAlreadyExists");
		snprintf(arn, sizeof arn,
			 "arn:aws:elasticache:eu-west-1:123456789012:subnetgroup:%s",
			 str(p, "CacheSubnetGroupName"));
		it = json_pack("{s:O, s:O, s:s, s:o, s:s}", "CacheSubnetGroupName",
			       json_object_get(p, "CacheSubnetGroupName"),
			       "CacheSubnetGroupDescription",
			       json_object_get(p, "CacheSubnetGroupDescription"), "VpcId", "vpc-1",
			       "Subnets", subnets_of(json_object_get(p, "SubnetIds")), "ARN", arn);
		merge_tags(arn, json_object_get(p, "Tags"));
		json_array_append_new(W.csg, it);
		*ret = json_pack("{s:O}", "CacheSubnetGroup", it);
		return 0;
	}
	if (streq(op, "DescribeReplicationGroups")) {
		const char *only = str(p, "ReplicationGroupId");

		if (only && !find_by(W.rg, "ReplicationGroupId", only))
			return aws_fail(err, "ReplicationGroupNotFoundFault");
		*ret = json_pack("{s:o}", "ReplicationGroups",
				 answer_list(W.rg, "Status", "ReplicationGroupId", only));
		return 0;
	}
	if (streq(op, "CreateReplicationGroup")) {
		const char *id = str(p, "ReplicationGroupId");
		char member[128];

		if (find_by(W.rg, "ReplicationGroupId", id))
			return aws_fail(err, "ReplicationGroupAlreadyExists");
		snprintf(arn, sizeof arn,
			 "arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:%s", id);
		snprintf(member, sizeof member, "%s-001", id);
		it = json_pack(
			"{s:s, s:O, s:s, s:[s], s:[{s:s, s:{s:s, s:O}}], s:s, s:s, s:O, "
			"s:O, s:O, s:s, s:b}",
			"ReplicationGroupId", id, "Description",
			json_object_get(p, "ReplicationGroupDescription"), "Status", "creating",
			"MemberClusters", member, "NodeGroups", "NodeGroupId", "0001",
			"PrimaryEndpoint", "Address", "r.cache.amazonaws.com", "Port",
			json_object_get(p, "Port"), "AutomaticFailover", "disabled", "MultiAZ",
			"disabled", "CacheNodeType", json_object_get(p, "CacheNodeType"),
			"AtRestEncryptionEnabled", json_object_get(p, "AtRestEncryptionEnabled"),
			"TransitEncryptionEnabled", json_object_get(p, "TransitEncryptionEnabled"),
			"ARN", arn, "ClusterEnabled", 0);
		ck_assert_ptr_nonnull(it);
		merge_tags(arn, json_object_get(p, "Tags"));
		json_array_append_new(W.rg, it);
		*ret = json_pack("{s:O}", "ReplicationGroup", it);
		return 0;
	}
	if (streq(op, "ModifyReplicationGroup")) {
		it = find_by(W.rg, "ReplicationGroupId", str(p, "ReplicationGroupId"));
		if (!it)
			return aws_fail(err, "ReplicationGroupNotFoundFault");
		if (json_object_get(p, "ReplicationGroupDescription"))
			json_object_set(it, "Description",
					json_object_get(p, "ReplicationGroupDescription"));
		if (json_object_get(p, "CacheNodeType"))
			json_object_set(it, "CacheNodeType", json_object_get(p, "CacheNodeType"));
		*ret = json_pack("{s:O}", "ReplicationGroup", it);
		return 0;
	}
	return aws_fail(err, "InvalidAction");
}

static int fake_call(const struct cohd_rec_call *call, json_t **ret, struct cohd_aws_error *err)
{
	if (streq(call->service, "secretsmanager"))
		return fake_secrets(call->operation, call->params, ret, err);
	if (streq(call->service, "rds"))
		return fake_rds(call->operation, call->params, ret, err);
	if (streq(call->service, "elasticache"))
		return fake_elasticache(call->operation, call->params, ret, err);
	ck_abort_msg("unexpected service %s", call->service);
	return -EINVAL;
}

static const char *const fake_reads[] = {"Describe", "List", NULL};

static const struct rec_fake_service fake_service = {
	.exec = fake_call,
	.serialise = true,
	.read_prefixes = fake_reads,
	.secret_never_observed = true,
};

static void world_init(void)
{
	rec_fake_init(&fake_service);
	W = (struct world){};
	W.secrets = json_array();
	W.dbsg = json_array();
	W.dbi = json_array();
	W.proxies = json_array();
	W.csg = json_array();
	W.rg = json_array();
	W.targets = json_object();
	W.tags = json_object();
	W.passwords = json_object();
}

static void world_done(void)
{
	json_decref(W.secrets);
	json_decref(W.dbsg);
	json_decref(W.dbi);
	json_decref(W.proxies);
	json_decref(W.csg);
	json_decref(W.rg);
	json_decref(W.targets);
	json_decref(W.tags);
	json_decref(W.passwords);
	rec_fake_done();
}

static struct cohd_rec_engine *engine(int env_type)
{
	struct cohd_rec_config cfg = {
		.app = "shop",
		.environment = "pr-1",
		.env_type = env_type,
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

static const json_t *status_res(const json_t *st, const char *id)
{
	const json_t *r;
	size_t i;

	json_array_foreach (json_object_get(st, "resources"), i, r)
		if (streq(str(r, "id"), id))
			return r;
	ck_abort_msg("%s not in status", id);
	return NULL;
}

static const json_t *field_diff(const json_t *st, const char *id, const char *field)
{
	const json_t *f;
	size_t i;

	json_array_foreach (json_object_get(json_object_get(status_res(st, id), "diff"), "fields"),
			    i, f)
		if (streq(str(f, "field"), field))
			return f;
	ck_abort_msg("%s: no field %s in the diff", id, field);
	return NULL;
}

static struct cohd_resource *add(struct cohd_graph *g, const char *type, const char *id,
				 const char *name, json_t *props)
{
	struct cohd_resource *r = NULL;

	ck_assert_int_eq(cohd_graph_add(g, type, id, name, COHD_SCOPE_ENVIRONMENT, props, &r), 0);
	ck_assert_int_eq(cohd_resource_tag(r, "ManagedBy", "coherence"), 0);
	ck_assert_int_eq(cohd_resource_tag(r, "Application", "shop"), 0);
	ck_assert_int_eq(cohd_resource_tag(r, "Environment", "review"), 0);
	ck_assert_int_eq(cohd_resource_tag(r, "cohd:id", id), 0);
	return r;
}

#define DB "shop-a1b2c3-pr-1-db"
#define CREDS "env/pr-1/rds/db/credentials"

/* What the compiler emits for one Postgres database with its proxy and one Redis (shapes
 * copied from compile_data.c and compile_network.c; other types' ids as literals). */
static struct cohd_graph *graph_data(void)
{
	struct cohd_graph *g = cohd_graph_new();

	ck_assert_ptr_nonnull(g);
	add(g, "secretsmanager.secret", CREDS, "cohd/shop-a1b2c3/pr-1/db-credentials",
	    json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:i}}, s:i}", "Name",
		      "cohd/shop-a1b2c3/pr-1/db-credentials", "Description",
		      "cohd: master credentials", "SecretString", "username", "shop", "password",
		      "Generate", "password", "Length", 40, "cohd:RecoveryWindowInDays", 0));
	add(g, "rds.db_subnet_group", "app/rds/subnet-group", "shop-a1b2c3",
	    json_pack("{s:s, s:s, s:[s, s]}", "DBSubnetGroupName", "shop-a1b2c3",
		      "DBSubnetGroupDescription", "cohd: private subnets for RDS", "SubnetIds",
		      "subnet-2", "subnet-1"));
	add(g, "rds.db_instance", "env/pr-1/rds/db", DB,
	    json_pack("{s:s, s:s, s:s, s:s, s:i, s:b, s:s, s:b, s:b, s:s, s:s, s:o, s:o, s:[s], "
		      "s:b, s:b, s:b, s:b, s:i, s:b}",
		      "DBInstanceIdentifier", DB, "Engine", "postgres", "EngineVersion", "16",
		      "DBInstanceClass", "db.t3.micro", "AllocatedStorage", 20, "StorageEncrypted",
		      1, "KmsKeyId", "alias/aws/rds", "MultiAZ", 0, "PubliclyAccessible", 0,
		      "DBName", "pr_1", "MasterUsername", "shop", "MasterUserPassword",
		      cohd_ref(CREDS, "SecretString.password"), "DBSubnetGroupName",
		      cohd_ref("app/rds/subnet-group", "DBSubnetGroupName"), "VpcSecurityGroupIds",
		      "sg-db", "DeletionProtection", 0, "CopyTagsToSnapshot", 1,
		      "AutoMinorVersionUpgrade", 1, "AllowMajorVersionUpgrade", 1, "Port", 5432,
		      "cohd:FinalSnapshot", 0));
	add(g, "rds.db_proxy", "env/pr-1/rds/db/proxy", DB,
	    json_pack("{s:s, s:s, s:[{s:s, s:o, s:s}], s:s, s:[s, s], s:[s], s:b, s:i, s:b}",
		      "DBProxyName", DB, "EngineFamily", "POSTGRESQL", "Auth", "AuthScheme",
		      "SECRETS", "SecretArn", cohd_ref(CREDS, "Arn"), "IAMAuth", "DISABLED",
		      "RoleArn", "arn:aws:iam::123456789012:role/cohd/proxy", "VpcSubnetIds",
		      "subnet-2", "subnet-1", "VpcSecurityGroupIds", "sg-db", "RequireTLS", 0,
		      "IdleClientTimeout", 1800, "DebugLogging", 0));
	add(g, "rds.db_proxy_target", "env/pr-1/rds/db/proxy-target", DB "/default",
	    json_pack("{s:o, s:s, s:[o]}", "DBProxyName",
		      cohd_ref("env/pr-1/rds/db/proxy", "DBProxyName"), "TargetGroupName",
		      "default", "DBInstanceIdentifiers",
		      cohd_ref("env/pr-1/rds/db", "DBInstanceIdentifier")));
	add(g, "elasticache.cache_subnet_group", "app/elasticache/subnet-group", "shop-a1b2c3",
	    json_pack("{s:s, s:s, s:[s, s]}", "CacheSubnetGroupName", "shop-a1b2c3",
		      "CacheSubnetGroupDescription", "cohd: private subnets for ElastiCache",
		      "SubnetIds", "subnet-1", "subnet-2"));
	add(g, "elasticache.replication_group", "env/pr-1/elasticache/cache",
	    "shop-a1b2c3-pr-1-cache",
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:b, s:o, s:[s], s:i, s:b, s:b}",
		      "ReplicationGroupId", "shop-a1b2c3-pr-1-cache", "ReplicationGroupDescription",
		      "cohd: cache of shop/pr-1", "Engine", "redis", "EngineVersion", "7.0",
		      "CacheNodeType", "cache.t3.micro", "NumCacheClusters", 1,
		      "AutomaticFailoverEnabled", 0, "MultiAZEnabled", 0, "CacheSubnetGroupName",
		      cohd_ref("app/elasticache/subnet-group", "CacheSubnetGroupName"),
		      "SecurityGroupIds", "sg-cache", "Port", 6379, "AtRestEncryptionEnabled", 1,
		      "TransitEncryptionEnabled", 0));
	/* the environment's app secret: connection strings built from the credentials */
	add(g, "secretsmanager.secret", "env/pr-1/secrets", "cohd/shop-a1b2c3/pr-1/secrets",
	    json_pack("{s:s, s:{s:{s:s}}}", "Name", "cohd/shop-a1b2c3/pr-1/secrets", "SecretString",
		      "DB_DATABASE_URL", "Sub",
		      "postgres://${" CREDS ".SecretString.username}:${" CREDS
		      ".SecretString.password}@${env/pr-1/rds/db/proxy.Endpoint}:5432/pr_1"));
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	return g;
}

START_TEST(test_converge_drift_delete)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_data();
	_cleanup_(cohd_graph_freep) struct cohd_graph *empty = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL, *st2 = NULL, *st3 = NULL;
	const json_t *p, *f;
	json_t *db, *sg;

	world_init();
	e = engine(COHD_APP_ENV_PREVIEW);

	/* Pass 1: everything, in dependency order, each create waiting for "available". */
	rec_fake_run_pass(e, g, &st);
	if (getenv("DEBUG_STATUS"))
		json_dumpf(st, stderr, JSON_INDENT(1));
	ck_assert_uint_eq(op_count("CreateDBSubnetGroup"), 1);
	ck_assert_uint_eq(op_count("CreateDBInstance"), 1);
	ck_assert_uint_eq(op_count("CreateDBProxy"), 1);
	ck_assert_uint_eq(op_count("RegisterDBProxyTargets"), 1);
	ck_assert_uint_eq(op_count("CreateCacheSubnetGroup"), 1);
	ck_assert_uint_eq(op_count("CreateReplicationGroup"), 1);
	ck_assert_str_eq(str(status_res(st, "env/pr-1/rds/db"), "sync"), "synced");
	ck_assert_str_eq(str(status_res(st, "env/pr-1/rds/db/proxy-target"), "sync"), "synced");
	ck_assert_str_eq(str(status_res(st, "env/pr-1/elasticache/cache"), "sync"), "synced");

	/* the instance got the secret's generated password (the journal never saw it: rec_fake
	 * fails the test otherwise); CreateDBInstance has no AllowMajorVersionUpgrade */
	p = mut_params("CreateDBInstance", 0);
	ck_assert_str_eq(str(p, "MasterUserPassword"), "s3cr3t-password");
	ck_assert_ptr_nonnull(strstr(
		json_string_value(json_object_get(mut_params("CreateSecret", 0), "SecretString")),
		"s3cr3t-password"));
	ck_assert_ptr_null(json_object_get(p, "AllowMajorVersionUpgrade"));
	ck_assert_str_eq(str(p, "DBSubnetGroupName"), "shop-a1b2c3");
	/* the username the secret was written with (AWS never shows it), the same password and
	 * the proxy's endpoint, in the app secret's connection string */
	p = mut_params("CreateSecret", 1);
	ck_assert_ptr_nonnull(strstr(str(p, "SecretString"),
				     "postgres://shop:s3cr3t-password@p.proxy-x.eu-west-1.rds."
				     "amazonaws.com:5432/pr_1"));
	ck_assert_str_eq(tag_of("arn:aws:rds:eu-west-1:123456789012:subgrp:shop-a1b2c3", "cohd:id"),
			 "app/rds/subnet-group");
	p = mut_params("RegisterDBProxyTargets", 0);
	ck_assert_str_eq(str(p, "DBProxyName"), DB);
	ck_assert_str_eq(
		json_string_value(json_array_get(json_object_get(p, "DBInstanceIdentifiers"), 0)),
		DB);
	p = mut_params("CreateDBProxy", 0);
	ck_assert_ptr_nonnull(
		strstr(str(json_array_get(json_object_get(p, "Auth"), 0), "SecretArn"),
		       "secret:cohd/shop-a1b2c3/pr-1/db-credentials"));

	/* Pass 2: nothing to do; the password is never compared, the rest all match */
	json_array_clear(RF.mut_log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st2), 0);
	ck_assert_str_eq(str(field_diff(st2, "env/pr-1/rds/db", "MasterUserPassword"), "state"),
			 "unchecked");
	ck_assert_str_eq(str(field_diff(st2, "env/pr-1/rds/db", "EngineVersion"), "state"),
			 "match");
	ck_assert_str_eq(str(field_diff(st2, "env/pr-1/rds/db", "VpcSecurityGroupIds"), "state"),
			 "match");
	ck_assert_str_eq(
		str(field_diff(st2, "env/pr-1/rds/db/proxy-target", "DBInstanceIdentifiers"),
		    "state"),
		"match");

	/* Drift: the owner resizes the instance (accepted, left alone), someone turns off
	 * CopyTagsToSnapshot and edits the subnet group's description (both corrected). */
	db = find_by(W.dbi, "DBInstanceIdentifier", DB);
	json_object_set_new(db, "DBInstanceClass", json_string("db.r6g.large"));
	json_object_set_new(db, "AllocatedStorage", json_integer(100));
	json_object_set_new(db, "CopyTagsToSnapshot", json_false());
	sg = json_array_get(W.dbsg, 0);
	json_object_set_new(sg, "DBSubnetGroupDescription", json_string("by hand"));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st3), 2);
	f = field_diff(st3, "env/pr-1/rds/db", "DBInstanceClass");
	ck_assert_str_eq(str(f, "state"), "accepted");
	ck_assert_str_eq(str(f, "live"), "db.r6g.large");
	ck_assert_str_eq(str(field_diff(st3, "env/pr-1/rds/db", "AllocatedStorage"), "state"),
			 "accepted");
	p = mut_params("ModifyDBInstance", 0);
	ck_assert(json_is_true(json_object_get(p, "CopyTagsToSnapshot")));
	ck_assert_ptr_null(json_object_get(p, "DBInstanceClass"));
	ck_assert_ptr_null(json_object_get(p, "MasterUserPassword"));
	p = mut_params("ModifyDBSubnetGroup", 0);
	ck_assert_str_eq(str(p, "DBSubnetGroupDescription"), "cohd: private subnets for RDS");
	ck_assert_uint_eq(json_array_size(json_object_get(p, "SubnetIds")), 2);
	ck_assert_str_eq(str(db, "DBInstanceClass"), "db.r6g.large");
	json_array_clear(RF.mut_log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);

	/* A target deregistered by hand comes back. */
	json_array_clear(json_object_get(W.targets, DB));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 1);
	ck_assert_uint_eq(op_count("RegisterDBProxyTargets"), 1);

	/* Everything leaves the file (a preview: no confirmation, no final snapshot). */
	ck_assert_int_eq(cohd_graph_finalize(empty, NULL), 0);
	json_array_clear(RF.mut_log);
	for (int i = 0; i < 4; i++) {
		json_auto_t *sd = NULL;

		rec_fake_run_pass(e, empty, &sd);
		if (getenv("DEBUG_STATUS")) {
			json_dumpf(sd, stderr, JSON_INDENT(1));
			json_dumpf(RF.log, stderr, 0);
		}
	}
	ck_assert_uint_eq(json_array_size(W.dbi), 0);
	p = mut_params("DeleteDBInstance", 0);
	ck_assert(json_is_true(json_object_get(p, "SkipFinalSnapshot")));
	ck_assert_uint_eq(op_count("DeregisterDBProxyTargets"), 1);
	world_done();
}
END_TEST

static Suite *resources_data_suite(void)
{
	Suite *s = suite_create("resources_data");
	const struct {
		const char *name;
		const TTest *fn;
	} cases[] = {
		{"builders_serialize", test_builders_serialize},
		{"proxy_target_observe", test_proxy_target_observe},
		{"instance_observe", test_instance_observe},
		{"converge_drift_delete", test_converge_drift_delete},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_test(tc, cases[i].fn);
		tcase_set_timeout(tc, 60);
		suite_add_tcase(s, tc);
	}
	return s;
}

COHD_TEST_MAIN(resources_data_suite)
