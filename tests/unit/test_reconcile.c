/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for lib/reconcile with fake ports: an in-memory fake AWS that serves five fake
 * resource types (a network, a subnet that refers to it, a stateful database named like RDS, an
 * ECS-like service and an autoscaling target that governs its count), a fake clock and timers
 * the test advances, and a fake journal. No network, no database, no libuv.
 */
#include <jansson.h>

#include "lib/reconcile/reconcile.h"
#include "lib/resources/resources.h"
#include "rec_fake.h"
#include "test.h"

/* ---------------------------------------------------------------------------------------- */
/* The fake world: AWS state and faults (the ports: tests/helpers/rec_fake.h).              */
/* ---------------------------------------------------------------------------------------- */

struct world {
	json_t *aws; /* {"Nets": [...], "Subs": [...], ...} */
	unsigned next_id;
	json_t *tokens; /* ClientToken -> id */

	/* Faults. */
	const char *fight_field; /* after every ModifyNetAttribute, someone sets it back */
	json_t *fight_value;
	unsigned pending_polls; /* nets stay "pending" this many describes (UINT_MAX: forever) */
	const char *delete_says_gone;  /* this delete finds the resource already gone */
	const char *fail_op;	       /* this operation fails (after the client's retries) */
	unsigned sub_observe_resolved; /* subnet observes that saw their network's id */
};

static struct world W;

static json_t *list_of(const char *key)
{
	json_t *l = json_object_get(W.aws, key);

	if (!l) {
		l = json_array();
		json_object_set_new(W.aws, key, l);
	}
	return l;
}

static const char *tag_of(const json_t *item, const char *key)
{
	const json_t *t;
	size_t i;

	json_array_foreach (json_object_get(item, "Tags"), i, t)
		if (streq(json_string_value(json_object_get(t, "Key")), key))
			return json_string_value(json_object_get(t, "Value"));
	return NULL;
}

static json_t *find_item(const char *list, const char *id_key, const char *id)
{
	json_t *it;
	size_t i;

	json_array_foreach (list_of(list), i, it)
		if (streq_ptr(json_string_value(json_object_get(it, id_key)), id))
			return it;
	return NULL;
}

static void remove_item(const char *list, const char *id_key, const char *id)
{
	json_t *l = list_of(list), *it;
	size_t i;

	json_array_foreach (l, i, it)
		if (streq_ptr(json_string_value(json_object_get(it, id_key)), id)) {
			json_array_remove(l, i);
			return;
		}
}

/* The list key, id key and id prefix of each fake describe/create family. */
struct family {
	const char *noun, *list, *id_key, *prefix;
};
static const struct family families[] = {
	{"Net", "Nets", "NetId", "net"},
	{"Sub", "Subs", "SubId", "sub"},
	{"Db", "Dbs", "DbName", NULL},
	{"Service", "Services", "ServiceName", NULL},
	{"Target", "Targets", "TargetId", "tgt"},
	{"Vpc", "Vpcs", "VpcId", "vpc"}, /* the real ec2.vpc type (lib/resources) */
};

static const struct family *family_of(const char *op, const char *verb)
{
	for (size_t i = 0; i < ELEMENTSOF(families); i++) {
		char name[64];

		snprintf(name, sizeof name, "%s%s", verb, families[i].noun);
		if (streq(op, name))
			return &families[i];
		snprintf(name, sizeof name, "%s%ss", verb, families[i].noun);
		if (streq(op, name))
			return &families[i];
		snprintf(name, sizeof name, "%s%sAttribute", verb, families[i].noun);
		if (streq(op, name))
			return &families[i];
	}
	return NULL;
}

static bool filters_match(const json_t *params, const json_t *item)
{
	const json_t *f;
	size_t i;

	json_array_foreach (json_object_get(params, "Filters"), i, f) {
		const char *name = json_string_value(json_object_get(f, "Name"));
		const char *want =
			json_string_value(json_array_get(json_object_get(f, "Values"), 0));

		if (strncmp(name, "tag:", 4) == 0 && !streq_ptr(tag_of(item, name + 4), want))
			return false;
	}
	return true;
}

static int aws_fail(struct cohd_aws_error *err, const char *code, enum cohd_aws_error_class class)
{
	err->code = strdup(code);
	err->message = strdup("fake AWS says no");
	err->http_status = 400;
	err->class = class;
	return -EREMOTEIO;
}

static int extra_exec(const char *op, const json_t *params, json_t **ret,
		      struct cohd_aws_error *err);

/* Execute one call against the fake AWS state. */
static int fake_exec(const char *op, const json_t *params, json_t **ret, struct cohd_aws_error *err)
{
	const struct family *fam;
	int handled = extra_exec(op, params, ret, err);

	if (handled != -ENOSYS)
		return handled;

	if (W.fail_op && streq(op, W.fail_op))
		return aws_fail(err, "InternalError", COHD_AWS_ERROR_TRANSIENT);
	if (streq(op, "DetachNet")) {
		const char *id = json_string_value(json_object_get(params, "NetId"));
		json_t *it = find_item("Nets", "NetId", id);

		if (!it)
			return aws_fail(err, "NotFound", COHD_AWS_ERROR_NOT_FOUND);
		if (!json_is_true(json_object_get(it, "Attached")))
			return aws_fail(err, "NotAttached", COHD_AWS_ERROR_CONFLICT);
		json_object_set_new(it, "Attached", json_false());
		*ret = json_object();
		return 0;
	}
	if (streq(op, "DescribeNetAttribute")) {
		/* A detail read: the bulk describe does not return it; AWS's default is false. */
		json_t *it = find_item("Nets", "NetId",
				       json_string_value(json_object_get(params, "NetId")));
		json_t *v;

		if (!it)
			return aws_fail(err, "NotFound", COHD_AWS_ERROR_NOT_FOUND);
		v = json_object_get(it, "EnableDns");
		*ret = json_pack("{s:{s:O}}", "EnableDns", "Value", v ? v : json_false());
		return 0;
	}
	if (streq(op, "DescribeVpcAttribute")) {
		json_t *it = find_item("Vpcs", "VpcId",
				       json_string_value(json_object_get(params, "VpcId")));
		const char *attr = json_string_value(json_object_get(params, "Attribute"));
		const char *key = streq_ptr(attr, "enableDnsHostnames") ? "EnableDnsHostnames"
									: "EnableDnsSupport";
		json_t *v;

		if (!it)
			return aws_fail(err, "InvalidVpcID.NotFound", COHD_AWS_ERROR_NOT_FOUND);
		v = json_object_get(it, key);
		*ret = json_pack("{s:O, s:O}", "VpcId", json_object_get(it, "VpcId"), key,
				 v ? v
				   : json_pack("{s:b}", "Value", streq(key, "EnableDnsSupport")));
		if (!v)
			json_decref(
				json_object_get(*ret, key)); /* the pack above took a reference */
		return 0;
	}
	if ((fam = family_of(op, "Describe"))) {
		json_t *out = json_array(), *it;
		const json_t *ids = json_object_get(params, "Ids");
		const json_t *names = json_object_get(params, "Names");
		const char *prefix = json_string_value(json_object_get(params, "Prefix"));
		const char *name = json_string_value(json_object_get(params, "Name"));
		size_t i;

		json_array_foreach (list_of(fam->list), i, it) {
			const char *id = json_string_value(json_object_get(it, fam->id_key));

			if (ids) {
				bool hit = false;
				const json_t *x;
				size_t k;

				json_array_foreach (ids, k, x)
					hit |= streq_ptr(json_string_value(x), id);
				if (!hit)
					continue;
			}
			if (prefix && strncmp(id, prefix, strlen(prefix)) != 0)
				continue;
			if (names) {
				bool hit = false;
				const json_t *x;
				size_t k;

				json_array_foreach (names, k, x)
					hit |= streq_ptr(json_string_value(x), id);
				if (!hit)
					continue;
			}
			if (name && !streq(id, name))
				continue;
			if (!filters_match(params, it))
				continue;
			if (streq(fam->noun, "Net") && W.pending_polls > 0 &&
			    streq_ptr(json_string_value(json_object_get(it, "State")), "pending")) {
				if (W.pending_polls != UINT_MAX)
					W.pending_polls--;
			} else if (json_object_get(it, "State"))
				json_object_set_new(it, "State", json_string("available"));
			it = json_deep_copy(it);
			json_object_del(it, "EnableDns"); /* only DescribeNetAttribute tells */
			json_object_del(it, "EnableDnsHostnames");
			json_object_del(it, "EnableDnsSupport");
			json_array_append_new(out, it);
		}
		*ret = json_pack("{s:o}", fam->list, out);
		return 0;
	}
	if ((fam = family_of(op, "Create"))) {
		const char *token = json_string_value(json_object_get(params, "ClientToken"));
		json_t *item = json_object(), *v;
		const char *key;
		char id[64];

		if (token && json_object_get(W.tokens, token)) {
			/* Idempotent retry: the same resource. */
			json_t *old =
				find_item(fam->list, fam->id_key,
					  json_string_value(json_object_get(W.tokens, token)));

			*ret = json_pack("{s:O}", fam->noun, old);
			return 0;
		}
		if (fam->prefix)
			snprintf(id, sizeof id, "%s-%04u", fam->prefix, ++W.next_id);
		else
			snprintf(id, sizeof id, "%s",
				 json_string_value(json_object_get(params, fam->id_key)));
		if (!fam->prefix && find_item(fam->list, fam->id_key, id)) {
			json_decref(item);
			return aws_fail(err, "AlreadyExists", COHD_AWS_ERROR_ALREADY_EXISTS);
		}
		json_object_foreach ((json_t *)params, key, v)
			if (!streq(key, "TagSpecifications") && !streq(key, "ClientToken") &&
			    !streq(key, "Tags"))
				json_object_set(item, key, v);
		json_object_set_new(item, fam->id_key, json_string(id));
		v = json_object_get(params, "Tags");
		if (!v)
			v = json_object_get(
				json_array_get(json_object_get(params, "TagSpecifications"), 0),
				"Tags");
		json_object_set_new(item, "Tags", v ? json_deep_copy(v) : json_array());
		if (streq(fam->noun, "Net") || streq(fam->noun, "Vpc"))
			json_object_set_new(item, "State", json_string("pending"));
		if (token)
			json_object_set_new(W.tokens, token, json_string(id));
		json_array_append(list_of(fam->list), item);
		*ret = json_pack("{s:o}", fam->noun, item);
		return 0;
	}
	if ((fam = family_of(op, "Delete"))) {
		const char *id = json_string_value(json_object_get(params, fam->id_key));

		if (W.delete_says_gone && streq(op, W.delete_says_gone))
			remove_item(fam->list, fam->id_key, id);
		if (streq(fam->noun, "Net")) {
			const json_t *sub;
			size_t i;

			json_array_foreach (list_of("Subs"), i, sub)
				if (streq_ptr(json_string_value(json_object_get(sub, "NetId")), id))
					return aws_fail(err, "DependencyViolation",
							COHD_AWS_ERROR_CONFLICT);
		}
		if (!find_item(fam->list, fam->id_key, id))
			return aws_fail(err, "NotFound", COHD_AWS_ERROR_NOT_FOUND);
		remove_item(fam->list, fam->id_key, id);
		*ret = json_object();
		return 0;
	}
	if ((fam = family_of(op, "Modify")) || (fam = family_of(op, "Update"))) {
		const char *id = json_string_value(json_object_get(params, fam->id_key));
		json_t *it = find_item(fam->list, fam->id_key, id), *v;
		const char *key;

		if (!it)
			return aws_fail(err, "NotFound", COHD_AWS_ERROR_NOT_FOUND);
		json_object_foreach ((json_t *)params, key, v)
			if (!streq(key, fam->id_key))
				json_object_set(it, key, v);
		if (W.fight_field && json_object_get(it, W.fight_field))
			json_object_set(it, W.fight_field, W.fight_value);
		*ret = json_object();
		return 0;
	}
	if (streq(op, "DeleteTags")) {
		const char *id =
			json_string_value(json_array_get(json_object_get(params, "Resources"), 0));
		const json_t *t;
		size_t i;

		for (size_t f = 0; f < ELEMENTSOF(families); f++) {
			json_t *it = find_item(families[f].list, families[f].id_key, id);

			if (!it)
				continue;
			json_array_foreach (json_object_get(params, "Tags"), i, t) {
				json_t *tags = json_object_get(it, "Tags");
				const json_t *old;
				size_t k;

				json_array_foreach (tags, k, old)
					if (json_equal(json_object_get(old, "Key"),
						       json_object_get(t, "Key"))) {
						json_array_remove(tags, k);
						break;
					}
			}
			*ret = json_object();
			return 0;
		}
		return aws_fail(err, "NotFound", COHD_AWS_ERROR_NOT_FOUND);
	}
	if (streq(op, "CreateTags")) {
		const char *id =
			json_string_value(json_array_get(json_object_get(params, "Resources"), 0));
		const json_t *t;
		size_t i;

		for (size_t f = 0; f < ELEMENTSOF(families); f++) {
			json_t *it = find_item(families[f].list, families[f].id_key, id);

			if (!it)
				continue;
			json_array_foreach (json_object_get(params, "Tags"), i, t) {
				json_t *tags = json_object_get(it, "Tags");
				const json_t *old;
				size_t k;

				json_array_foreach (tags, k, old)
					if (json_equal(json_object_get(old, "Key"),
						       json_object_get(t, "Key"))) {
						json_array_remove(tags, k);
						break;
					}
				json_array_append(tags, (json_t *)t);
			}
			*ret = json_object();
			return 0;
		}
		return aws_fail(err, "NotFound", COHD_AWS_ERROR_NOT_FOUND);
	}
	return aws_fail(err, "UnknownOperation", COHD_AWS_ERROR_VALIDATION);
}

static int fake_call(const struct cohd_rec_call *call, json_t **ret, struct cohd_aws_error *err)
{
	return fake_exec(call->operation, call->params, ret, err);
}

static const char *const fake_reads[] = {"Describe", NULL};

/* The fake types' operations are not in any botocore model: no serialisation. */
static const struct rec_fake_service fake_service = {
	.exec = fake_call,
	.read_prefixes = fake_reads,
};

static void world_init(void)
{
	rec_fake_init(&fake_service);
	W = (struct world){};
	W.aws = json_object();
	W.tokens = json_object();
}

static void world_done(void)
{
	json_decref(W.aws);
	json_decref(W.tokens);
	json_decref(W.fight_value);
	rec_fake_done();
}

/* ---------------------------------------------------------------------------------------- */
/* Fake resource types: static tables, as lib/resources/<type>.c will be.                    */
/* ---------------------------------------------------------------------------------------- */

static const char *const available[] = {"available", NULL};
static const char *const failed_states[] = {"failed", NULL};

static const struct cohd_rec_wait net_available = {
	.what = "network available",
	.state_path = "State",
	.done = available,
	.failed = failed_states,
	.interval = 15 * USEC_PER_SEC,
	.max_polls = 40,
};

static const struct cohd_rec_field net_fields[] = {
	{.path = "CidrBlock", .flags = COHD_REC_F_REPLACE},
	{.path = "EnableDns",
	 .live_path = "EnableDns.Value",
	 .update_op = "ModifyNetAttribute",
	 .flags = COHD_REC_F_ONE_PER_CALL | COHD_REC_F_AFTER_CREATE},
	{.path = "Mode", .update_op = "ModifyNetAttribute", .flags = COHD_REC_F_ONE_PER_CALL},
	{.path = "Policy", .flags = COHD_REC_F_JSON_DOC, .update_op = "ModifyNetAttribute"},
};

static int net_dns_params(const struct cohd_rec_item *item, json_t **ret)
{
	*ret = json_pack("{s:s, s:s}", "NetId", item->physical_id, "Attribute", "enableDns");
	return 0;
}

static const struct cohd_rec_detail net_details[] = {
	{.operation = "DescribeNetAttribute",
	 .params = net_dns_params,
	 .result_path = "EnableDns",
	 .merge_as = "EnableDns"},
};

/* Deleting a network takes two calls: detach it (an error saying it is not attached is fine),
 * then delete it. */
static int net_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const char *id = ctx->live->physical_id;

	*ret = json_pack("[{s:s, s:{s:s}, s:[s]}, {s:s, s:{s:s}}]", "Operation", "DetachNet",
			 "Params", "NetId", id, "IgnoreCodes", "NotAttached", "Operation",
			 "DeleteNet", "Params", "NetId", id);
	return 0;
}

static const struct cohd_rec_type fake_net = {
	.delete_params = net_delete,
	.details = net_details,
	.n_details = ELEMENTSOF(net_details),
	.name = "fake.net",
	.service = "fake",
	.tier = 0,
	.describe_op = "DescribeNets",
	.list_path = "Nets",
	.id_path = "NetId",
	.tags_path = "Tags",
	.name_path = "tag:Name",
	.id_list_member = "Ids",
	.fields = net_fields,
	.n_fields = ELEMENTSOF(net_fields),
	.create_op = "CreateNet",
	.token_member = "ClientToken",
	.create_tag_style = COHD_REC_TAGS_EC2_SPEC,
	.tag_resource_type = "net",
	.create_result_path = "Net",
	.create_wait = &net_available,
	.id_member = "NetId",
	.tag_op = "CreateTags",
	.untag_op = "DeleteTags",
	.delete_op = "DeleteNet",
};

static const struct cohd_rec_field sub_fields[] = {
	{.path = "NetId", .flags = COHD_REC_F_REPLACE},
	{.path = "Cidr", .flags = COHD_REC_F_REPLACE},
	{.path = "Arn", .flags = COHD_REC_F_OBSERVE_ONLY},
	{.path = "Zone", .flags = COHD_REC_F_REPLACE},
};

/* Subnets are observed after networks: their properties arrive resolved (the NetId). */
static int sub_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	for (size_t i = 0; i < ctx->n_wanted; i++)
		if (ctx->props[i] && json_is_string(json_object_get(ctx->props[i], "NetId")))
			W.sub_observe_resolved++;
	return cohd_rec_default_observe_params(ctx, ret);
}

static const struct cohd_rec_type fake_sub = {
	.observe_params = sub_observe,
	.name = "fake.sub",
	.service = "fake",
	.tier = 1,
	.describe_op = "DescribeSubs",
	.list_path = "Subs",
	.id_path = "SubId",
	.tags_path = "Tags",
	.name_path = "tag:Name",
	.id_list_member = "Ids",
	.fields = sub_fields,
	.n_fields = ELEMENTSOF(sub_fields),
	.create_op = "CreateSub",
	.create_tag_style = COHD_REC_TAGS_EC2_SPEC,
	.tag_resource_type = "subnet",
	.create_result_path = "Sub",
	.id_member = "SubId",
	.tag_op = "CreateTags",
	.delete_op = "DeleteSub",
};

/* RDS-like: found by name prefix (sees untagged resources too), stateful, unique names. */
static int db_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	*ret = json_pack("{s:s}", "Prefix", ctx->name_prefix);
	return 0;
}

static const char *const gone_codes[] = {"DbGone", NULL};
static const struct cohd_rec_wait db_gone = {
	.what = "database deleted",
	.state_path = "Status",
	.done = NULL,
	.gone_is_done = true,
	.interval = 30 * USEC_PER_SEC,
	.max_polls = 60,
};

static const struct cohd_rec_field db_fields[] = {
	{.path = "DBInstanceClass", .update_op = "ModifyDb"},
	{.path = "AllocatedStorage", .update_op = "ModifyDb"},
	{.path = "EngineVersion", .update_op = "ModifyDb", .flags = COHD_REC_F_LOWER},
	{.path = "MasterUserPassword", .flags = COHD_REC_F_WRITE_ONLY, .update_op = "ModifyDb"},
	{.path = "Engine", .flags = COHD_REC_F_REPLACE, .default_json = "\"postgres\""},
};

static const struct cohd_rec_type fake_db = {
	.name = "rds.db_instance",
	.service = "fake",
	.tier = 2,
	.stateful = true,
	.unique_name = true,
	.describe_op = "DescribeDbs",
	.observe_params = db_observe,
	.list_path = "Dbs",
	.id_path = "DbName",
	.name_path = "DbName",
	.tags_path = "Tags",
	.id_list_member = "Ids",
	.fields = db_fields,
	.n_fields = ELEMENTSOF(db_fields),
	.create_op = "CreateDb",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "Db",
	.id_member = "DbName",
	.tag_op = "CreateTags",
	.delete_op = "DeleteDb",
	.gone_codes = gone_codes,
	.delete_wait = &db_gone,
};

static const struct cohd_rec_field svc_fields[] = {
	{.path = "DesiredCount", .update_op = "UpdateService"},
	{.path = "Net", .update_op = "UpdateService"}, /* test_replace_dependents_follow */
};

/* DescribeServices takes at most ten names: observe in batches (five here). */
static int svc_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	json_t *names;

	if (ctx->n_wanted == 0) {
		*ret = NULL;
		return 0;
	}
	ck_assert_uint_le(ctx->n_wanted, 5);
	names = json_array();
	for (size_t i = 0; i < ctx->n_wanted; i++)
		json_array_append_new(names, json_string(ctx->wanted[i]->name));
	*ret = json_pack("{s:o}", "Names", names);
	return 0;
}

static const struct cohd_rec_type fake_svc = {
	.observe_params = svc_observe,
	.observe_batch = 5,
	.name = "ecs.service",
	.service = "fake",
	.tier = 3,
	.describe_op = "DescribeServices",
	.list_path = "Services",
	.id_path = "ServiceName",
	.name_path = "ServiceName",
	.tags_path = "Tags",
	.fields = svc_fields,
	.n_fields = ELEMENTSOF(svc_fields),
	.create_op = "CreateService",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "Service",
	.id_member = "ServiceName",
	.tag_op = "CreateTags",
	.delete_op = "DeleteService",
};

static const struct cohd_rec_field tgt_fields[] = {
	{.path = "MinCapacity", .update_op = "ModifyTarget"},
	{.path = "MaxCapacity", .update_op = "ModifyTarget"},
};

static const struct cohd_rec_type fake_tgt = {
	.name = "aas.target",
	.service = "fake",
	.tier = 4,
	.describe_op = "DescribeTargets",
	.list_path = "Targets",
	.id_path = "TargetId",
	.tags_path = "Tags",
	.fields = tgt_fields,
	.n_fields = ELEMENTSOF(tgt_fields),
	.create_op = "CreateTarget",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "Target",
	.id_member = "TargetId",
	.delete_op = "DeleteTarget",
	.governs_type = "ecs.service",
	.governs_field = "DesiredCount",
	.min_path = "MinCapacity",
	.max_path = "MaxCapacity",
};

static const struct cohd_rec_type *const fake_types[] = {
	&fake_net, &fake_sub, &fake_db, &fake_svc, &fake_tgt, NULL,
};

static const char *const azs[] = {"eu-west-1a", "eu-west-1b", NULL};

static struct cohd_rec_config base_config(void)
{
	return (struct cohd_rec_config){
		.app = "shop",
		.environment = "pr-1",
		.env_type = 2,
		.region = "eu-west-1",
		.account = "123456789012",
		.partition = "aws",
		.name_prefix = "shop-",
		.azs = azs,
		.types = fake_types,
	};
}

static struct cohd_rec_engine *engine(const struct cohd_rec_config *cfg)
{
	struct cohd_rec_engine *e = NULL;

	ck_assert_int_eq(cohd_rec_engine_new(&rec_fake_ops, cfg, &e), 0);
	return e;
}

/* ---- desired graphs ---- */

static struct cohd_resource *add(struct cohd_graph *g, const char *type, const char *id,
				 const char *name, json_t *props)
{
	struct cohd_resource *r = NULL;

	ck_assert_int_eq(cohd_graph_add(g, type, id, name, COHD_SCOPE_ENVIRONMENT, props, &r), 0);
	ck_assert_int_eq(cohd_resource_tag(r, "ManagedBy", "coherence"), 0);
	ck_assert_int_eq(cohd_resource_tag(r, "Application", "shop"), 0);
	ck_assert_int_eq(cohd_resource_tag(r, "cohd:id", id), 0);
	ck_assert_int_eq(cohd_resource_tag(r, "Name", name), 0);
	return r;
}

static void add_net(struct cohd_graph *g, const char *mode)
{
	add(g, "fake.net", "app/net", "shop-net",
	    json_pack("{s:s, s:b, s:s, s:{s:s, s:{s:s, s:s}}}", "CidrBlock", "10.0.0.0/16",
		      "EnableDns", 1, "Mode", mode, "Policy", "Version", "2012-10-17", "Statement",
		      "Effect", "Allow", "Action", "x:Get"));
}

static void add_sub(struct cohd_graph *g)
{
	add(g, "fake.sub", "app/sub", "shop-sub",
	    json_pack("{s:o, s:s, s:o, s:o}", "NetId", cohd_ref("app/net", "NetId"), "Cidr",
		      "10.0.1.0/24", "Arn",
		      cohd_sub("arn:${AWS::Partition}:fake:eu-west-1:${AWS::AccountId}:sub/"
			       "${app/net.NetId}"),
		      "Zone", json_pack("{s:i}", "Az", 1)));
}

static struct cohd_resource *add_db(struct cohd_graph *g, const char *cls)
{
	return add(g, "rds.db_instance", "env/pr-1/db", "shop-db",
		   json_pack("{s:s, s:s, s:i, s:s, s:s, s:{s:s, s:i}}", "DbName", "shop-db",
			     "DBInstanceClass", cls, "AllocatedStorage", 20, "Engine", "postgres",
			     "EngineVersion", "16.3", "MasterUserPassword", "Generate", "password",
			     "Length", 32));
}

static struct cohd_graph *graph_net_sub_db(void)
{
	struct cohd_graph *g = cohd_graph_new();

	ck_assert_ptr_nonnull(g);
	add_net(g, "fast");
	add_sub(g);
	add_db(g, "db.t3.micro");
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	return g;
}

static int op_index(const char *op, unsigned nth)
{
	const json_t *v;
	size_t i;

	json_array_foreach (RF.log, i, v)
		if (streq(json_string_value(v), op) && nth-- == 0)
			return (int)i;
	return -1;
}

static unsigned op_count(const char *op)
{
	unsigned n = 0;
	const json_t *v;
	size_t i;

	json_array_foreach (RF.mut_log, i, v)
		n += streq(json_string_value(json_object_get(v, "op")), op);
	return n;
}

static const json_t *mut_params(const char *op, unsigned nth)
{
	const json_t *v;
	size_t i;

	json_array_foreach (RF.mut_log, i, v)
		if (streq(json_string_value(json_object_get(v, "op")), op) && nth-- == 0)
			return json_object_get(v, "params");
	return NULL;
}

static const json_t *status_res(const json_t *st, const char *id)
{
	const json_t *r;
	size_t i;

	json_array_foreach (json_object_get(st, "resources"), i, r)
		if (streq(json_string_value(json_object_get(r, "id")), id))
			return r;
	return NULL;
}

static const char *res_sync(const json_t *st, const char *id)
{
	return json_string_value(json_object_get(status_res(st, id), "sync"));
}

static const json_t *field_of(const json_t *st, const char *id, const char *field)
{
	const json_t *f;
	size_t i;

	json_array_foreach (json_object_get(json_object_get(status_res(st, id), "diff"), "fields"),
			    i, f)
		if (streq(json_string_value(json_object_get(f, "field")), field))
			return f;
	return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Tests                                                                                     */
/* ---------------------------------------------------------------------------------------- */

START_TEST(test_converge_from_nothing)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_net_sub_db();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL, *st2 = NULL;
	const json_t *p;
	char arn[128];

	world_init();
	e = engine(&cfg);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 4);

	/* What the create call does not take is set right after it. */
	p = mut_params("CreateNet", 0);
	ck_assert_ptr_null(json_object_get(p, "EnableDns"));
	ck_assert_int_gt(op_index("ModifyNetAttribute", 0), op_index("CreateNet", 0));
	ck_assert(json_is_true(json_object_get(mut_params("ModifyNetAttribute", 0), "EnableDns")));

	/* Dependency order: the subnet is created after the network is available. */
	ck_assert_int_ge(op_index("CreateNet", 0), 0);
	ck_assert_int_gt(op_index("CreateSub", 0), op_index("CreateNet", 0));
	ck_assert_int_gt(op_index("CreateSub", 0), op_index("DescribeNets", 1));

	/* Placeholders: Ref, Sub with account/partition/attribute, Az. */
	p = mut_params("CreateSub", 0);
	ck_assert_str_eq(json_string_value(json_object_get(p, "NetId")), "net-0001");
	snprintf(arn, sizeof arn, "arn:aws:fake:eu-west-1:123456789012:sub/net-0001");
	ck_assert_str_eq(json_string_value(json_object_get(p, "Arn")), arn);
	ck_assert_str_eq(json_string_value(json_object_get(p, "Zone")), "eu-west-1b");
	/* JSON documents are serialised just before the call; tags on create; a token. */
	p = mut_params("CreateNet", 0);
	ck_assert(json_is_string(json_object_get(p, "Policy")));
	ck_assert_str_eq(json_string_value(json_object_get(p, "ClientToken")), RF.journal[0].token);
	ck_assert_str_eq(
		tag_of(json_array_get(json_object_get(p, "TagSpecifications"), 0), "cohd:id"),
		"app/net");
	/* Generated secrets go to AWS but never into the journal (checked by the fake). */
	p = mut_params("CreateDb", 0);
	ck_assert_str_eq(json_string_value(json_object_get(p, "MasterUserPassword")),
			 "s3cr3t-password");

	/* Journal: intent before each call, all completed. */
	ck_assert_uint_eq(RF.n_journal, 4);
	for (size_t i = 0; i < RF.n_journal; i++)
		ck_assert(!RF.journal[i].open && RF.journal[i].ok);

	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "synced");
	ck_assert_str_eq(json_string_value(json_object_get(st, "health")), "healthy");
	ck_assert_int_eq(
		json_integer_value(json_object_get(json_object_get(st, "counts"), "synced")), 3);

	/* The second pass changes nothing. Subnets were observed after their network. */
	ck_assert_uint_eq(W.sub_observe_resolved, 0);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st2), 0);
	ck_assert_uint_eq(W.sub_observe_resolved, 1);
	ck_assert_str_eq(json_string_value(json_object_get(st2, "sync")), "synced");
	ck_assert_str_eq(
		json_string_value(json_object_get(field_of(st2, "app/net", "Policy"), "state")),
		"match");
	ck_assert_str_eq(json_string_value(json_object_get(
				 field_of(st2, "env/pr-1/db", "MasterUserPassword"), "state")),
			 "unchecked");
	ck_assert_ptr_null(
		json_object_get(field_of(st2, "env/pr-1/db", "MasterUserPassword"), "live"));
	world_done();
}
END_TEST

START_TEST(test_drift_corrected)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_net_sub_db();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;
	json_t *net;

	world_init();
	e = engine(&cfg);
	rec_fake_run_pass(e, g, NULL);
	/* Someone changes two attributes and removes a tag behind cohd's back. */
	net = find_item("Nets", "NetId", "net-0001");
	json_object_set_new(net, "EnableDns", json_false());
	json_object_set_new(net, "Mode", json_string("slow"));
	json_array_remove(json_object_get(net, "Tags"), 3); /* Name */

	/* One call per attribute (ONE_PER_CALL), plus the tag fix. */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 3);
	ck_assert_uint_eq(op_count("ModifyNetAttribute"), 3); /* 1 after create + 2 */
	ck_assert_uint_eq(op_count("CreateTags"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "synced");
	ck_assert(
		json_is_true(json_object_get(find_item("Nets", "NetId", "net-0001"), "EnableDns")));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	world_done();
}
END_TEST

START_TEST(test_accepted_drift)
{
	struct cohd_rec_config cfg = base_config();
	struct cohd_drift_rule app_rule = {
		.resource = (char *)"fake.*",
		.field = (char *)"Mode",
		.op = COHD_DRIFT_OP_MATCH,
		.operand = (char *)"sl*",
		.env_mask = COHD_DRIFT_ENV_ALL,
		.reason = (char *)"ops may slow it",
		.source = (char *)"shop.pr-1.yml:9:7",
	};
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_net_sub_db();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL, *st2 = NULL;
	const json_t *f;

	world_init();
	cfg.app_rules = &app_rule;
	cfg.n_app_rules = 1;
	e = engine(&cfg);
	rec_fake_run_pass(e, g, NULL);
	/* A DBA resizes the database; an operator slows the network. Both allowed. */
	json_object_set_new(find_item("Dbs", "DbName", "shop-db"), "DBInstanceClass",
			    json_string("db.r6g.large"));
	json_object_set_new(find_item("Nets", "NetId", "net-0001"), "Mode", json_string("slow"));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 0);
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "synced");
	f = field_of(st, "env/pr-1/db", "DBInstanceClass");
	ck_assert_str_eq(json_string_value(json_object_get(f, "state")), "accepted");
	ck_assert_str_eq(json_string_value(json_object_get(f, "live")), "db.r6g.large");
	ck_assert_str_eq(json_string_value(json_object_get(f, "rule")),
			 "built-in: rds.db_instance:DBInstanceClass");
	f = field_of(st, "app/net", "Mode");
	ck_assert_str_eq(json_string_value(json_object_get(f, "state")), "accepted");
	ck_assert_str_eq(json_string_value(json_object_get(f, "rule")), "shop.pr-1.yml:9:7");

	/* The rule's condition fails for another value: corrected (one engine for all). */
	json_object_set_new(find_item("Nets", "NetId", "net-0001"), "Mode", json_string("odd"));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st2), 1);
	ck_assert_uint_eq(op_count("ModifyNetAttribute"), 2); /* 1 after create + 1 */
	/* Case normaliser: "16.3" vs "16.3" in another case is not drift. */
	json_object_set_new(find_item("Dbs", "DbName", "shop-db"), "EngineVersion",
			    json_string("16.3"));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	world_done();
}
END_TEST

static struct cohd_graph *graph_svc(int desired, int min, int max)
{
	struct cohd_graph *g = cohd_graph_new();

	add(g, "ecs.service", "svc/api/service", "shop-api",
	    json_pack("{s:s, s:i}", "ServiceName", "shop-api", "DesiredCount", desired));
	add(g, "aas.target", "svc/api/scaling", "shop-api-scaling",
	    json_pack("{s:o, s:i, s:i}", "Service", cohd_ref("svc/api/service", "ServiceName"),
		      "MinCapacity", min, "MaxCapacity", max));
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	return g;
}

START_TEST(test_autoscaling_band)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_svc(1, 1, 4);
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL, *st2 = NULL;
	const json_t *f;

	world_init();
	e = engine(&cfg);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 2);
	/* The autoscaler moved it to 3: inside 1..4, accepted. */
	json_object_set_new(find_item("Services", "ServiceName", "shop-api"), "DesiredCount",
			    json_integer(3));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 0);
	f = field_of(st, "svc/api/service", "DesiredCount");
	ck_assert_str_eq(json_string_value(json_object_get(f, "state")), "accepted");
	ck_assert_str_eq(json_string_value(json_object_get(f, "rule")),
			 "autoscaling target svc/api/scaling: 1..4");
	/* Someone set 9: outside, corrected into the band (4), not reset to 1. */
	json_object_set_new(find_item("Services", "ServiceName", "shop-api"), "DesiredCount",
			    json_integer(9));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st2), 1);
	ck_assert_int_eq(
		json_integer_value(json_object_get(mut_params("UpdateService", 0), "DesiredCount")),
		4);
	ck_assert_str_eq(res_sync(st2, "svc/api/service"), "synced");
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	world_done();
}
END_TEST

START_TEST(test_quarantine)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_net_sub_db();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g2 = NULL;
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL, *st2 = NULL;

	world_init();
	e = engine(&cfg);
	rec_fake_run_pass(e, g, NULL);
	/* Something else keeps writing Mode=slow right after every correction. */
	W.fight_field = "Mode";
	W.fight_value = json_string("slow");
	json_object_set(find_item("Nets", "NetId", "net-0001"), "Mode", W.fight_value);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 1);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 0);
	ck_assert_uint_eq(op_count("ModifyNetAttribute"), 4); /* 1 after create + 3 */
	ck_assert_str_eq(res_sync(st, "app/net"), "quarantined");
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "quarantined");
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);

	/* A restart keeps the quarantine when the daemon restores the counter. */
	{
		const json_t *c = json_object_get(status_res(st, "app/net"), "corrections");
		struct cohd_rec_engine *e2 = engine(&cfg);
		uint64_t digest =
			strtoull(json_string_value(json_object_get(c, "digest")), NULL, 16);

		ck_assert(json_is_true(json_object_get(c, "quarantined")));
		ck_assert_int_eq(cohd_rec_engine_restore_corrections(
					 e2, "app/net", "fake.net", digest,
					 (unsigned)json_integer_value(json_object_get(c, "count")),
					 true),
				 0);
		ck_assert_uint_eq(rec_fake_run_pass(e2, g, NULL), 0);
		cohd_rec_engine_free(e2);
	}

	/* Released by request: corrections resume (and count again from one). */
	ck_assert_int_eq(cohd_rec_engine_release(e, "app/net"), 0);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 1);

	/* Released when the desired value changes. */
	W.fight_field = NULL;
	g2 = cohd_graph_new();
	add_net(g2, "medium");
	add_sub(g2);
	add_db(g2, "db.t3.micro");
	ck_assert_int_eq(cohd_graph_finalize(g2, NULL), 0);
	ck_assert_uint_eq(rec_fake_run_pass(e, g2, &st2), 1);
	ck_assert_str_eq(res_sync(st2, "app/net"), "synced");

	/* Nothing left to release. */
	ck_assert_int_eq(cohd_rec_engine_release(e, "app/net"), -ENOENT);
	world_done();
}
END_TEST

START_TEST(test_crash_recovery_adopts)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_net_sub_db();
	struct cohd_rec_engine *e;
	struct cohd_rec_intent open[8];
	size_t n_open = 0;
	json_auto_t *st = NULL;

	world_init();
	e = engine(&cfg);
	/* Start a pass and run the loop until the first creates were sent, then "crash": the
	 * engine goes away, answers never reach it. */
	ck_assert_int_eq(cohd_rec_engine_run(e, g, rec_fake_pass_cb, NULL), 0);
	while (op_count("CreateNet") == 0)
		ck_assert(rec_fake_step());
	ck_assert_uint_eq(op_count("CreateNet"), 1);
	e = cohd_rec_engine_free(e);
	RF.drop_completions = true;
	rec_fake_run_loop(); /* in-flight answers go to the tombstone, which then frees itself */
	RF.drop_completions = false;
	for (size_t i = 0; i < RF.n_journal; i++)
		if (RF.journal[i].open)
			open[n_open++] = (struct cohd_rec_intent){
				.id = RF.journal[i].id,
				.logical_id = RF.journal[i].logical_id,
				.service = RF.journal[i].service,
				.operation = RF.journal[i].operation,
				.token = RF.journal[i].token,
			};
	ck_assert_uint_ge(n_open, 1);

	/* Restart: a new engine, the open intents from the journal. */
	e = engine(&cfg);
	ck_assert_int_eq(cohd_rec_engine_recover(e, open, n_open), 0);
	rec_fake_run_pass(e, g, &st);
	ck_assert_uint_eq(op_count("CreateNet"), 1); /* adopted, not duplicated */
	ck_assert_uint_eq(json_array_size(list_of("Nets")), 1);
	ck_assert_uint_eq(json_array_size(list_of("Subs")), 1);
	ck_assert_uint_eq(json_array_size(list_of("Dbs")), 1);
	for (size_t i = 0; i < RF.n_journal; i++)
		ck_assert_msg(!RF.journal[i].open, "intent %zu still open", i);
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "synced");
	cohd_rec_engine_free(e);
	world_done();
}
END_TEST

START_TEST(test_crash_recovery_resends_same_token)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	struct cohd_rec_engine *e;
	struct cohd_rec_intent in;
	json_auto_t *st = NULL;

	world_init();
	add_net(g, "fast");
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	/* The create never reached AWS, and the engine died before hearing so. */
	RF.lose_mutations = true;
	e = engine(&cfg);
	ck_assert_int_eq(cohd_rec_engine_run(e, g, rec_fake_pass_cb, NULL), 0);
	while (op_count("CreateNet") == 0)
		ck_assert(rec_fake_step());
	ck_assert_uint_eq(op_count("CreateNet"), 1);
	e = cohd_rec_engine_free(e);
	RF.drop_completions = true;
	rec_fake_run_loop();
	RF.drop_completions = false;
	RF.lose_mutations = false;
	ck_assert(RF.journal[0].open);

	in = (struct cohd_rec_intent){.id = 1,
				      .logical_id = "app/net",
				      .service = "fake",
				      .operation = "CreateNet",
				      .token = RF.journal[0].token};
	e = engine(&cfg);
	ck_assert_int_eq(cohd_rec_engine_recover(e, &in, 1), 0);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 2); /* CreateNet + ModifyNetAttribute */
	/* Re-sent under the same intent with the same token. */
	ck_assert_uint_eq(RF.n_journal, 2);
	ck_assert(!RF.journal[0].open && RF.journal[0].ok);
	ck_assert_str_eq(
		json_string_value(json_object_get(mut_params("CreateNet", 1), "ClientToken")),
		RF.journal[0].token);
	ck_assert_uint_eq(json_array_size(list_of("Nets")), 1);
	cohd_rec_engine_free(e);
	world_done();
}
END_TEST

/* A create that got no answer (timeout after the client's retries) may have happened: the
 * intent stays open and the next pass looks first, then re-sends with the same token. */
START_TEST(test_create_outcome_unknown)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;

	world_init();
	add_net(g, "fast");
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	e = engine(&cfg);
	RF.lose_mutations = true;
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 1);
	ck_assert_str_eq(res_sync(st, "app/net"), "error");
	ck_assert_ptr_nonnull(
		strstr(json_string_value(json_object_get(status_res(st, "app/net"), "message")),
		       "outcome unknown"));
	ck_assert(RF.journal[0].open);
	RF.lose_mutations = false;
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 2); /* CreateNet again + its DNS */
	ck_assert_str_eq(
		json_string_value(json_object_get(mut_params("CreateNet", 1), "ClientToken")),
		RF.journal[0].token);
	ck_assert(!RF.journal[0].open && RF.journal[0].ok);
	ck_assert_uint_eq(json_array_size(list_of("Nets")), 1);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	world_done();
}
END_TEST

START_TEST(test_adoption_after_database_loss)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_net_sub_db();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL, *e2 = NULL;
	json_auto_t *st = NULL;
	json_t *db;
	const json_t *t;
	size_t i;

	world_init();
	e = engine(&cfg);
	rec_fake_run_pass(e, g, NULL);
	/* The database is lost: a brand-new engine with no state and no journal. The DB also
	 * lost its cohd:id tag (someone cleaned tags) but keeps ManagedBy/Application. */
	db = find_item("Dbs", "DbName", "shop-db");
	json_array_foreach (json_object_get(db, "Tags"), i, t)
		if (streq(json_string_value(json_object_get(t, "Key")), "cohd:id")) {
			json_array_remove(json_object_get(db, "Tags"), i);
			break;
		}
	e2 = engine(&cfg);
	ck_assert_uint_eq(rec_fake_run_pass(e2, g, &st), 1); /* only the tag that adopts the DB */
	ck_assert_uint_eq(op_count("CreateTags"), 1);
	ck_assert_uint_eq(op_count("CreateNet") + op_count("CreateSub") + op_count("CreateDb"), 3);
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "synced");
	ck_assert_uint_eq(rec_fake_run_pass(e2, g, NULL), 0);
	world_done();
}
END_TEST

START_TEST(test_foreign_never_touched)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;

	world_init();
	add_db(g, "db.t3.micro");
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	/* Someone else's database has our deterministic name. */
	json_array_append_new(list_of("Dbs"),
			      json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "DbName", "shop-db",
					"DBInstanceClass", "db.m5.large", "Tags", "Key", "Owner",
					"Value", "someone"));
	e = engine(&cfg);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 0);
	ck_assert_str_eq(res_sync(st, "env/pr-1/db"), "error");
	ck_assert_ptr_nonnull(
		strstr(json_string_value(json_object_get(status_res(st, "env/pr-1/db"), "message")),
		       "exists and is not ours"));
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "error");
	ck_assert_str_eq(json_string_value(json_object_get(find_item("Dbs", "DbName", "shop-db"),
							   "DBInstanceClass")),
			 "db.m5.large");
	world_done();
}
END_TEST

START_TEST(test_dry_run)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_net_sub_db();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;
	const json_t *plan, *a;
	size_t i;

	world_init();
	cfg.dry_run = true;
	e = engine(&cfg);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 0);
	ck_assert_uint_eq(RF.mutations, 0);
	ck_assert_uint_eq(RF.n_journal, 0);
	ck_assert_uint_eq(cohd_rec_engine_mutations(e), 0);
	plan = json_object_get(json_object_get(st, "plan"), "actions");
	ck_assert_uint_eq(json_array_size(plan), 4);
	json_array_foreach (plan, i, a)
		ck_assert_str_eq(json_string_value(json_object_get(a, "state")), "skipped");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(plan, 1), "kind")),
			 "update");
	/* The subnet's create comes after the network's (net and db are ready first). */
	a = json_array_get(plan, 3);
	ck_assert_str_eq(json_string_value(json_object_get(a, "resource")), "app/sub");
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(a, "after"), 0)), 0);
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "drifted");
	/* Recorded: the diffs, the plan (as data), the status; no action ran. */
	ck_assert_uint_eq(RF.n_rec_diff, 3);
	ck_assert_uint_eq(RF.n_rec_plan, 1);
	ck_assert_uint_eq(json_array_size(json_object_get(RF.last_plan, "actions")), 4);
	ck_assert_uint_eq(RF.n_rec_status, 1);
	ck_assert_uint_eq(RF.n_rec_action, 0);

	/* With the resources there, a dry run still observes and records them and changes
	 * nothing: drift is shown, not corrected. */
	{
		struct cohd_rec_config live = base_config();
		_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e2 = engine(&live);
		json_auto_t *st2 = NULL;
		unsigned before;

		rec_fake_run_pass(e2, g, NULL);
		json_object_set_new(find_item("Nets", "NetId", "net-0001"), "Mode",
				    json_string("slow"));
		before = RF.mutations;
		RF.n_rec_observed = 0;
		ck_assert_uint_eq(rec_fake_run_pass(e, g, &st2), 0);
		ck_assert_uint_eq(RF.mutations, before);
		ck_assert_uint_eq(RF.n_rec_observed, 3);
		ck_assert_str_eq(res_sync(st2, "app/net"), "drifted");
		ck_assert_str_eq(json_string_value(json_object_get(field_of(st2, "app/net", "Mode"),
								   "state")),
				 "drift");
	}
	world_done();
}
END_TEST

START_TEST(test_wait_timeout)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_net_sub_db();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL, *st2 = NULL;
	usec_t t0;
	const char *msg;

	world_init();
	W.pending_polls = UINT_MAX; /* the network never becomes available */
	e = engine(&cfg);
	t0 = RF.now;
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 2); /* net and db; the rest waits */
	ck_assert_uint_eq(RF.now - t0, 40 * 15 * USEC_PER_SEC);
	ck_assert_str_eq(res_sync(st, "app/net"), "progressing");
	msg = json_string_value(json_object_get(status_res(st, "app/net"), "message"));
	ck_assert_ptr_nonnull(strstr(msg, "gave up waiting for network available of app/net "
					  "after 40 polls (600 s): last state pending"));
	ck_assert_str_eq(res_sync(st, "app/sub"), "progressing");
	ck_assert_ptr_nonnull(
		strstr(json_string_value(json_object_get(status_res(st, "app/sub"), "message")),
		       "waiting for app/net"));
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "progressing");
	/* Next pass: it became available; its DNS setting and the subnet follow; no second
	 * network. */
	W.pending_polls = 0;
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st2), 2);
	ck_assert_uint_eq(op_count("CreateNet"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(st2, "sync")), "synced");
	world_done();
}
END_TEST

START_TEST(test_delete_reverse_order_and_confirm)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_net_sub_db();
	_cleanup_(cohd_graph_freep) struct cohd_graph *empty = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL, *st2 = NULL, *st3 = NULL;

	world_init();
	cfg.env_type = 0; /* production: the database needs confirmation */
	cfg.deletion_grace = 60 * USEC_PER_SEC;
	e = engine(&cfg);
	rec_fake_run_pass(e, g, NULL);
	ck_assert_int_eq(cohd_graph_finalize(empty, NULL), 0);

	/* Someone attached the network to something: its delete must detach it first. */
	json_object_set_new(find_item("Nets", "NetId", "net-0001"), "Attached", json_true());

	/* The file is gone: grace period first. */
	ck_assert_uint_eq(rec_fake_run_pass(e, empty, &st), 0);
	ck_assert_str_eq(res_sync(st, "app/net"), "deleting");
	ck_assert_ptr_nonnull(
		strstr(json_string_value(json_object_get(status_res(st, "app/net"), "message")),
		       "grace period"));
	RF.now += 61 * USEC_PER_SEC;
	ck_assert_uint_eq(rec_fake_run_pass(e, empty, &st2), 3);
	/* Dependents first: the subnet goes before the network, which is detached first. */
	ck_assert_int_lt(op_index("DeleteSub", 0), op_index("DetachNet", 0));
	ck_assert_int_lt(op_index("DetachNet", 0), op_index("DeleteNet", 0));
	ck_assert_uint_eq(op_count("DeleteDb"), 0);
	ck_assert_str_eq(res_sync(st2, "env/pr-1/db"), "deleting");
	ck_assert_ptr_nonnull(strstr(
		json_string_value(json_object_get(status_res(st2, "env/pr-1/db"), "message")),
		"--confirm"));
	ck_assert_ptr_null(status_res(st2, "app/net"));

	/* Confirmed: deleted, and the wait sees it gone. */
	cohd_rec_engine_confirm_delete(e);
	ck_assert_uint_eq(rec_fake_run_pass(e, empty, &st3), 1);
	ck_assert_uint_eq(json_array_size(list_of("Dbs")), 0);
	ck_assert_str_eq(json_string_value(json_object_get(st3, "sync")), "synced");
	world_done();
}
END_TEST

START_TEST(test_delete_already_gone)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_net_sub_db();
	_cleanup_(cohd_graph_freep) struct cohd_graph *empty = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;

	world_init();
	e = engine(&cfg);
	rec_fake_run_pass(e, g, NULL);
	ck_assert_int_eq(cohd_graph_finalize(empty, NULL), 0);
	/* Preview: no confirmation, no grace. The subnet vanishes between observe and delete:
	 * DeleteSub answers NotFound, which counts as deleted, and the network follows. */
	W.delete_says_gone = "DeleteSub";
	ck_assert_uint_eq(rec_fake_run_pass(e, empty, &st), 4); /* DetachNet + 3 deletes */
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "synced");
	ck_assert_uint_eq(json_array_size(list_of("Nets")) + json_array_size(list_of("Subs")) +
				  json_array_size(list_of("Dbs")),
			  0);
	ck_assert_uint_eq(json_array_size(json_object_get(st, "resources")), 0);
	world_done();
}
END_TEST

START_TEST(test_replace)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_net_sub_db();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL, *st2 = NULL;
	const json_t *p;

	world_init();
	e = engine(&cfg);
	rec_fake_run_pass(e, g, NULL);
	json_object_set_new(find_item("Nets", "NetId", "net-0001"), "CidrBlock",
			    json_string("10.9.0.0/16"));
	/* A field AWS cannot change in place drifted: replace, the new one first. The subnet
	 * refers to it by a field that cannot change in place either: it follows in the same
	 * pass (created against the new network's id), and each old half goes only after
	 * everything that depended on it moved: create, its DNS, the new subnet, the old subnet,
	 * then the old network (detach: not attached, fine; delete). */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 6);
	ck_assert_int_lt(op_index("CreateNet", 1), op_index("CreateSub", 1));
	ck_assert_int_lt(op_index("CreateSub", 1), op_index("DeleteSub", 0));
	ck_assert_int_lt(op_index("DeleteSub", 0), op_index("DeleteNet", 0));
	p = mut_params("CreateSub", 1);
	ck_assert_str_eq(
		json_string_value(json_object_get(p, "NetId")),
		json_string_value(json_object_get(json_array_get(list_of("Nets"), 0), "NetId")));
	ck_assert_str_ne(json_string_value(json_object_get(p, "NetId")), "net-0001");
	p = mut_params("DeleteNet", 0);
	ck_assert_str_eq(json_string_value(json_object_get(p, "NetId")), "net-0001");
	ck_assert_str_eq(json_string_value(json_object_get(mut_params("DeleteSub", 0), "SubId")),
			 "sub-0002");
	ck_assert_uint_eq(json_array_size(list_of("Nets")), 1);
	ck_assert_uint_eq(json_array_size(list_of("Subs")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "synced");
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st2), 0);
	ck_assert_str_eq(json_string_value(json_object_get(st2, "sync")), "synced");
	world_done();
}
END_TEST

/* A dependent whose reference can change in place follows a replacement with an update in the
 * same pass, resolved against the successor, before the old half is deleted (no dangling
 * reference in between); a dependent it does not concern is left alone. */
START_TEST(test_replace_dependents_follow)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;
	const json_t *f;

	world_init();
	add_net(g, "fast");
	/* The service names the network in a field its update changes. */
	add(g, "ecs.service", "env/pr-1/svc", "shop-api",
	    json_pack("{s:s, s:i, s:o}", "ServiceName", "shop-api", "DesiredCount", 1, "Net",
		      cohd_ref("app/net", "NetId")));
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	e = engine(&cfg);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 3);
	ck_assert_str_eq(json_string_value(json_object_get(
				 find_item("Services", "ServiceName", "shop-api"), "Net")),
			 "net-0001");
	json_object_set_new(find_item("Nets", "NetId", "net-0001"), "CidrBlock",
			    json_string("10.9.0.0/16"));
	/* CreateNet, its DNS, UpdateService (to net-0002), DetachNet, DeleteNet. */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 5);
	ck_assert_str_eq(json_string_value(json_object_get(mut_params("UpdateService", 0), "Net")),
			 "net-0002");
	ck_assert_int_lt(op_index("CreateNet", 1), op_index("UpdateService", 0));
	ck_assert_int_lt(op_index("UpdateService", 0), op_index("DeleteNet", 0));
	ck_assert_str_eq(json_string_value(json_object_get(mut_params("DeleteNet", 0), "NetId")),
			 "net-0001");
	f = field_of(st, "env/pr-1/svc", "Net");
	ck_assert_str_eq(json_string_value(json_object_get(f, "state")), "drift");
	ck_assert_ptr_nonnull(json_object_get(f, "reason"));
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "synced");
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	world_done();
}
END_TEST

/* A replaced resource's old half stays while a dependent that uses it is held (here not
 * observed: its describe failed): it is deleted on a later pass, once that dependent moved. */
START_TEST(test_replace_keeps_old_for_held_dependent)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_net_sub_db();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;

	world_init();
	e = engine(&cfg);
	rec_fake_run_pass(e, g, NULL);
	json_object_set_new(find_item("Nets", "NetId", "net-0001"), "CidrBlock",
			    json_string("10.9.0.0/16"));
	W.fail_op = "DescribeSubs";
	/* CreateNet, its DNS; the old one stays */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 2);
	ck_assert_uint_eq(op_count("DetachNet") + op_count("DeleteNet"), 0);
	ck_assert_uint_eq(json_array_size(list_of("Nets")), 2);
	W.fail_op = NULL;
	/* The subnet moves (replaced onto the new network), then the old network goes. */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 4);
	ck_assert_int_lt(op_index("DeleteSub", 0), op_index("DeleteNet", 0));
	ck_assert_str_eq(json_string_value(json_object_get(mut_params("DeleteNet", 0), "NetId")),
			 "net-0001");
	ck_assert_uint_eq(json_array_size(list_of("Nets")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "synced");
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	world_done();
}
END_TEST

START_TEST(test_bounded_concurrency)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;

	world_init();
	for (int i = 0; i < 12; i++) {
		char id[32], name[32];

		snprintf(id, sizeof id, "env/pr-1/svc-%d", i);
		snprintf(name, sizeof name, "shop-svc-%d", i);
		add(g, "ecs.service", id, name,
		    json_pack("{s:s, s:i}", "ServiceName", name, "DesiredCount", 1));
	}
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	cfg.max_inflight = 3;
	e = engine(&cfg);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 12);
	ck_assert_uint_eq(RF.max_outstanding, 3);
	ck_assert_int_ge(op_index("DescribeServices", 2), 0); /* 12 in batches of 5: 3 calls */
	ck_assert_int_lt(op_index("DescribeServices", 3), 0);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	world_done();
}
END_TEST

/* The real ec2.vpc type against the fake EC2: the pattern of lib/resources. */
START_TEST(test_ec2_vpc_type)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL, *e2 = NULL;
	json_auto_t *st = NULL, *st2 = NULL;
	const json_t *p;

	world_init();
	cfg.types = cohd_resource_types;
	add(g, "ec2.vpc", "app/vpc", "shop-vpc",
	    json_pack("{s:s, s:b, s:b, s:s}", "CidrBlock", "10.0.0.0/16", "EnableDnsHostnames", 1,
		      "EnableDnsSupport", 1, "InstanceTenancy", "default"));
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	e = engine(&cfg);
	/* CreateVpc + one ModifyVpcAttribute each */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 3);
	p = mut_params("CreateVpc", 0);
	ck_assert_ptr_null(json_object_get(p, "EnableDnsHostnames"));
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(p, "TagSpecifications"), 0),
				 "ResourceType")),
			 "vpc");
	p = mut_params("ModifyVpcAttribute", 0);
	ck_assert(json_is_true(json_object_get(json_object_get(p, "EnableDnsHostnames"), "Value")));
	ck_assert_str_eq(json_string_value(json_object_get(p, "VpcId")), "vpc-0001");
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "synced");
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);

	/* Someone turns DNS hostnames off: one call puts it back. */
	json_object_set_new(find_item("Vpcs", "VpcId", "vpc-0001"), "EnableDnsHostnames",
			    json_pack("{s:b}", "Value", 0));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 1);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);

	/* Another app's file compiles to our name, but that VPC is not ours: the look-up before
	 * create finds it by name and nothing is done. */
	world_done();
	world_init();
	json_array_append_new(list_of("Vpcs"),
			      json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "VpcId", "vpc-other",
					"CidrBlock", "10.0.0.0/16", "Tags", "Key", "Name", "Value",
					"shop-vpc"));
	e2 = engine(&cfg);
	ck_assert_uint_eq(rec_fake_run_pass(e2, g, &st2), 0);
	ck_assert_str_eq(res_sync(st2, "app/vpc"), "error");
	world_done();
}
END_TEST

/* A type whose describe fails is not planned at all: a missing item must never look like
 * "create" (that is how duplicates are made). */
START_TEST(test_observe_failure)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_net_sub_db();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;

	world_init();
	W.fail_op = "DescribeNets";
	e = engine(&cfg);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 1); /* only the database */
	ck_assert_uint_eq(op_count("CreateNet"), 0);
	ck_assert_uint_eq(op_count("CreateSub"), 0);
	ck_assert_str_eq(res_sync(st, "app/net"), "error");
	ck_assert_ptr_nonnull(
		strstr(json_string_value(json_object_get(status_res(st, "app/net"), "message")),
		       "not observed: fake DescribeNets failed: InternalError"));
	ck_assert_str_eq(res_sync(st, "app/sub"), "progressing"); /* waits for app/net.NetId */
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "error");
	W.fail_op = NULL;
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 3);
	world_done();
}
END_TEST

/* A stateful resource in production is never replaced without confirmation; a resource of a
 * type this build does not know is reported, not ignored. */
START_TEST(test_replace_needs_confirmation_and_unknown_type)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL, *st2 = NULL;

	world_init();
	cfg.env_type = 0;
	add_db(g, "db.t3.micro");
	add(g, "fake.unknown", "env/pr-1/mystery", "shop-mystery", NULL);
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	e = engine(&cfg);
	rec_fake_run_pass(e, g, &st);
	ck_assert_str_eq(res_sync(st, "env/pr-1/mystery"), "error");
	ck_assert_ptr_nonnull(strstr(
		json_string_value(json_object_get(status_res(st, "env/pr-1/mystery"), "message")),
		"no resource type 'fake.unknown'"));
	json_object_set_new(find_item("Dbs", "DbName", "shop-db"), "Engine", json_string("mysql"));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st2), 0);
	ck_assert_str_eq(res_sync(st2, "env/pr-1/db"), "drifted");
	ck_assert_ptr_nonnull(strstr(
		json_string_value(json_object_get(status_res(st2, "env/pr-1/db"), "message")),
		"needs `cohd-status delete --confirm`"));
	world_done();
}
END_TEST

/* A resource whose desired properties refer to its own attributes (graph.h: not a dependency) is
 * created without those fields, which are then set in the same pass through their update path,
 * resolved against what the create returned. Generic: here a network whose policy names its own
 * id (not an after-create field of the type). */
START_TEST(test_self_reference)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL, *st2 = NULL;
	const json_t *p, *pol = NULL;
	const json_t *x;
	size_t i;

	world_init();
	add(g, "fake.net", "app/net", "shop-net",
	    json_pack("{s:s, s:b, s:{s:s, s:{s:s, s:o}}}", "CidrBlock", "10.0.0.0/16", "EnableDns",
		      1, "Policy", "Version", "2012-10-17", "Statement", "Effect", "Allow",
		      "Resource", cohd_sub("arn:aws:fake:::net/${app/net.NetId}")));
	add_sub(g);
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	ck_assert_uint_eq(cohd_graph_find(g, "app/net")->n_depends_on, 0);
	e = engine(&cfg);
	/* CreateNet (without the policy), its DNS (one per call), its policy, the subnet. */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 4);
	p = mut_params("CreateNet", 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(json_object_get(p, "Policy"));
	ck_assert_str_eq(json_string_value(json_object_get(p, "CidrBlock")), "10.0.0.0/16");
	ck_assert_uint_eq(op_count("ModifyNetAttribute"), 2);
	json_array_foreach (RF.mut_log, i, x)
		if (json_object_get(json_object_get(x, "params"), "Policy")) {
			pol = json_object_get(json_object_get(x, "params"), "Policy");
			/* Not folded into the DNS call: that operation changes one field. */
			ck_assert_ptr_null(
				json_object_get(json_object_get(x, "params"), "EnableDns"));
		}
	ck_assert_ptr_nonnull(pol);
	ck_assert_str_eq(
		json_string_value(json_object_get(json_object_get(pol, "Statement"), "Resource")),
		"arn:aws:fake:::net/net-0001");
	ck_assert_int_gt(op_index("ModifyNetAttribute", 1), op_index("CreateNet", 0));
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "synced");
	/* Converged: the policy found with its own id is what is wanted. */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st2), 0);
	ck_assert_str_eq(
		json_string_value(json_object_get(field_of(st2, "app/net", "Policy"), "state")),
		"match");
	world_done();
}
END_TEST

static void set_tag(json_t *item, const char *key, const char *value)
{
	json_t *tags = json_object_get(item, "Tags"), *t;
	size_t i;

	json_array_foreach (tags, i, t)
		if (streq(json_string_value(json_object_get(t, "Key")), key)) {
			json_array_remove(tags, i);
			break;
		}
	if (value)
		json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", key, "Value", value));
}

/* Each environment is its own engine: an item whose cohd:environment names another one is never
 * adopted, corrected or deleted here, even where the ids would let this engine own it. */
START_TEST(test_environment_guard)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;
	json_t *other, *twin;

	world_init();
	/* pr-2's network (its engine's to manage), and a subnet of pr-2 that carries our wanted
	 * subnet's name but no cohd:id (adoption by name must not take it). */
	other = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}",
			  "NetId", "net-9001", "CidrBlock", "10.9.0.0/16", "State", "available",
			  "Tags", "Key", "ManagedBy", "Value", "coherence", "Key", "Application",
			  "Value", "shop", "Key", "cohd:id", "Value", "env/pr-2/net", "Key",
			  "cohd:environment", "Value", "pr-2");
	json_array_append_new(list_of("Nets"), other);
	twin = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}",
			 "SubId", "sub-9002", "Cidr", "10.9.1.0/24", "NetId", "net-9999", "Tags",
			 "Key", "ManagedBy", "Value", "coherence", "Key", "Application", "Value",
			 "shop", "Key", "Name", "Value", "shop-sub", "Key", "cohd:environment",
			 "Value", "pr-2");
	json_array_append_new(list_of("Subs"), twin);
	add_net(g, "fast");
	add_sub(g);
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	cfg.owned_prefixes = NULL; /* every id would be ours: only the guard protects pr-2 */
	cfg.deletion_grace = 0;
	e = engine(&cfg);
	/* Ours is created; pr-2's are neither deleted nor tagged (adopted), and no subnet is
	 * created beside the one that carries its name: held, with the reason. */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 2); /* CreateNet, its DNS */
	ck_assert_uint_eq(op_count("DeleteNet") + op_count("DetachNet") + op_count("CreateTags") +
				  op_count("CreateSub"),
			  0);
	ck_assert_ptr_nonnull(find_item("Nets", "NetId", "net-9001"));
	ck_assert_ptr_null(tag_of(find_item("Subs", "SubId", "sub-9002"), "cohd:id"));
	ck_assert_ptr_null(status_res(st, "env/pr-2/net"));
	ck_assert_str_eq(res_sync(st, "app/net"), "synced");
	ck_assert_str_eq(res_sync(st, "app/sub"), "error");
	ck_assert_ptr_nonnull(
		strstr(json_string_value(json_object_get(status_res(st, "app/sub"), "message")),
		       "belongs to environment 'pr-2'"));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);

	/* The same item, were it this environment's, would be deleted (no longer desired). */
	set_tag(find_item("Nets", "NetId", "net-9001"), "cohd:environment", "pr-1");
	/* DetachNet (not attached: fine), DeleteNet */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 2);
	ck_assert_ptr_null(find_item("Nets", "NetId", "net-9001"));
	world_done();
}
END_TEST

/* Another environment's item that carries the id of a resource this one wants: never taken,
 * and nothing is created beside it; the resource is held with the reason in status. */
START_TEST(test_environment_clash)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;

	world_init();
	json_array_append_new(
		list_of("Nets"),
		json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}",
			  "NetId", "net-9001", "CidrBlock", "10.9.0.0/16", "State", "available",
			  "Tags", "Key", "ManagedBy", "Value", "coherence", "Key", "Application",
			  "Value", "shop", "Key", "cohd:id", "Value", "app/net", "Key",
			  "cohd:environment", "Value", "pr-2"));
	add_net(g, "fast");
	add_sub(g);
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	e = engine(&cfg);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 0);
	ck_assert_uint_eq(json_array_size(list_of("Nets")), 1);
	ck_assert_str_eq(res_sync(st, "app/net"), "error");
	ck_assert_ptr_nonnull(
		strstr(json_string_value(json_object_get(status_res(st, "app/net"), "message")),
		       "belongs to environment 'pr-2'"));
	ck_assert_str_eq(res_sync(st, "app/sub"), "progressing"); /* waits for app/net.NetId */
	world_done();
}
END_TEST

/* The Environment tag of application-wide resources is whatever environment wrote it last (each
 * environment's file compiles its own): accepted, shown with its rule; an environment's own
 * resources are still corrected, and a missing tag is still added. */
START_TEST(test_app_environment_tag)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;
	const json_t *acc;

	world_init();
	add_net(g, "fast");
	ck_assert_int_eq(
		cohd_resource_tag(cohd_graph_find_mut(g, "app/net"), "Environment", "review"), 0);
	ck_assert_int_eq(cohd_resource_tag(add_db(g, "db.t3.micro"), "Environment", "review"), 0);
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	e = engine(&cfg);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 3);
	/* The production environment's engine wrote its own value on both. */
	set_tag(find_item("Nets", "NetId", "net-0001"), "Environment", "production");
	set_tag(find_item("Dbs", "DbName", "shop-db"), "Environment", "production");
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 1);
	ck_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(mut_params("CreateTags", 0), "Resources"), 0)),
			 "shop-db");
	ck_assert_str_eq(tag_of(find_item("Nets", "NetId", "net-0001"), "Environment"),
			 "production");
	ck_assert_str_eq(res_sync(st, "app/net"), "synced");
	acc = json_object_get(json_object_get(json_object_get(status_res(st, "app/net"), "diff"),
					      "tags_accepted"),
			      "Environment");
	ck_assert_str_eq(json_string_value(json_object_get(acc, "live")), "production");
	ck_assert_str_eq(json_string_value(json_object_get(acc, "desired")), "review");
	ck_assert_str_eq(json_string_value(json_object_get(acc, "rule")),
			 "built-in: app/*:Tags.Environment");
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	/* Removed: added back. */
	set_tag(find_item("Nets", "NetId", "net-0001"), "Environment", NULL);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 1);
	ck_assert_str_eq(tag_of(find_item("Nets", "NetId", "net-0001"), "Environment"), "review");
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	world_done();
}
END_TEST

/* A tag cohd owns that the desired set no longer has is removed (where the type can); nobody
 * else's tags are touched, nor the identity tags. A type without an untag operation shows it. */
START_TEST(test_tag_removal)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g2 = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;
	const json_t *p;
	json_t *net, *sub;

	world_init();
	add_net(g, "fast");
	ck_assert_int_eq(
		cohd_resource_tag(cohd_graph_find_mut(g, "app/net"), "cohd:environment", "pr-1"),
		0);
	add_sub(g);
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	e = engine(&cfg);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 3);
	net = find_item("Nets", "NetId", "net-0001");
	sub = find_item("Subs", "SubId", "sub-0002");
	ck_assert_str_eq(tag_of(net, "cohd:environment"), "pr-1");
	/* Someone else tags both; an old cohd tag lingers on the subnet. */
	set_tag(net, "Owner", "team-a");
	set_tag(sub, "cohd:old", "x");

	/* The network is now application-wide: no cohd:environment in the desired set. */
	add_net(g2, "fast");
	add_sub(g2);
	ck_assert_int_eq(cohd_graph_finalize(g2, NULL), 0);
	ck_assert_uint_eq(rec_fake_run_pass(e, g2, &st), 1);
	p = mut_params("DeleteTags", 0);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(p, "Resources"), 0)),
			 "net-0001");
	ck_assert_uint_eq(json_array_size(json_object_get(p, "Tags")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(p, "Tags"), 0), "Key")),
			 "cohd:environment");
	ck_assert_ptr_null(tag_of(net, "cohd:environment"));
	ck_assert_str_eq(tag_of(net, "Owner"), "team-a");
	ck_assert_str_eq(tag_of(net, "ManagedBy"), "coherence");
	ck_assert_str_eq(tag_of(net, "cohd:id"), "app/net");
	/* The subnet's type cannot untag: shown, not counted as drift nobody can correct. */
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(json_object_get(status_res(st, "app/sub"), "diff"),
						 "tags_extra"),
				 "cohd:old")),
			 "x");
	ck_assert_str_eq(tag_of(sub, "cohd:old"), "x");
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "synced");
	ck_assert_uint_eq(rec_fake_run_pass(e, g2, NULL), 0);
	world_done();
}
END_TEST

/* The rule engine on its own: built-in, config and app rules, conditions, environments,
 * bands. */
START_TEST(test_accept_rules)
{
	struct cohd_drift_rule cfg_rule = {
		.resource = (char *)"ecs.*",
		.field = (char *)"DesiredCount",
		.op = COHD_DRIFT_OP_GE,
		.operand = (char *)"2",
		.env_mask = 1u << 0,
		.source = (char *)"cohd.yaml:3:5",
	};
	struct cohd_drift_rule app_rule = {
		.resource = (char *)"fake.net",
		.field = (char *)"Tags.*",
		.id = (char *)"app/*",
		.env_mask = COHD_DRIFT_ENV_ALL,
		.source = (char *)"shop.yml:2:3",
	};
	struct cohd_rec_band band = {
		.logical_id = "svc/x",
		.field = "DesiredCount",
		.min = 1,
		.max = 4,
		.by = "svc/x-as",
		.text = "autoscaling target svc/x-as: 1..4",
	};
	struct cohd_rec_accept a = {
		.config_rules = &cfg_rule,
		.n_config_rules = 1,
		.app_rules = &app_rule,
		.n_app_rules = 1,
		.env_bit = 1u << 2,
		.bands = &band,
		.n_bands = 1,
	};
	json_auto_t *three = json_integer(3), *one = json_integer(1), *nine = json_integer(9);
	json_auto_t *yes = json_true(), *tag = json_string("x");
	const struct cohd_rec_band *b;
	const char *rule, *reason;

	ck_assert_int_eq(cohd_rec_accept_check(&a, "rds.db_instance", "env/db", "MultiAZ", yes,
					       &rule, &reason, &b),
			 COHD_REC_VERDICT_ACCEPTED);
	ck_assert_str_eq(rule, "built-in: rds.db_instance:MultiAZ");
	/* Preview: the production-only config rule does not apply. */
	ck_assert_int_eq(cohd_rec_accept_check(&a, "ecs.service", "svc/y", "DesiredCount", three,
					       &rule, &reason, &b),
			 COHD_REC_VERDICT_DRIFT);
	a.env_bit = 1u << 0;
	ck_assert_int_eq(cohd_rec_accept_check(&a, "ecs.service", "svc/y", "DesiredCount", three,
					       &rule, &reason, &b),
			 COHD_REC_VERDICT_ACCEPTED);
	ck_assert_str_eq(rule, "cohd.yaml:3:5");
	ck_assert_int_eq(cohd_rec_accept_check(&a, "ecs.service", "svc/y", "DesiredCount", one,
					       &rule, &reason, &b),
			 COHD_REC_VERDICT_DRIFT); /* condition ">= 2" fails */
	/* A governed field: the band decides, whatever the rules say. */
	ck_assert_int_eq(cohd_rec_accept_check(&a, "ecs.service", "svc/x", "DesiredCount", three,
					       &rule, &reason, &b),
			 COHD_REC_VERDICT_ACCEPTED);
	ck_assert_str_eq(rule, "autoscaling target svc/x-as: 1..4");
	ck_assert_int_eq(cohd_rec_accept_check(&a, "ecs.service", "svc/x", "DesiredCount", nine,
					       &rule, &reason, &b),
			 COHD_REC_VERDICT_OUTSIDE_BAND);
	ck_assert_ptr_eq(b, &band);
	/* Globs over tags and ids. */
	ck_assert_int_eq(cohd_rec_accept_check(&a, "fake.net", "app/net", "Tags.Owner", tag, &rule,
					       &reason, &b),
			 COHD_REC_VERDICT_ACCEPTED);
	ck_assert_int_eq(cohd_rec_accept_check(&a, "fake.net", "env/net", "Tags.Owner", tag, &rule,
					       &reason, &b),
			 COHD_REC_VERDICT_DRIFT);
}
END_TEST

START_TEST(test_normalise)
{
	struct cohd_rec_field doc = {.path = "P", .flags = COHD_REC_F_JSON_DOC};
	struct cohd_rec_field sorted = {.path = "S", .flags = COHD_REC_F_SORT};
	struct cohd_rec_field dflt = {.path = "D", .default_json = "false"};
	/* IAM returns policies URL-encoded, with single values where lists were written. */
	json_auto_t *enc =
		json_string("%7B%22Statement%22%3A%7B%22Action%22%3A%22s3%3AGet%22%7D%7D");
	json_auto_t *obj = json_pack("{s:[{s:[s]}]}", "Statement", "Action", "s3:Get");
	json_auto_t *l1 = json_pack("[s,s]", "b", "a"), *l2 = json_pack("[s,s]", "a", "b");
	json_auto_t *a = cohd_rec_normalise(&doc, enc, true);
	json_auto_t *b = cohd_rec_normalise(&doc, obj, false);
	json_auto_t *c = cohd_rec_normalise(&sorted, l1, true);
	json_auto_t *d = cohd_rec_normalise(&sorted, l2, false);
	json_auto_t *f = cohd_rec_normalise(&dflt, NULL, true);

	ck_assert(json_equal(a, b));
	ck_assert(json_equal(c, d));
	ck_assert(json_is_false(f));
	ck_assert_ptr_null(cohd_rec_normalise(&dflt, NULL, false));

	/* Paths through lists stay lists. */
	{
		json_auto_t *routes = json_pack("{s:[{s:s}]}", "Routes", "GatewayId", "igw-1");
		json_auto_t *want = json_pack("{s:[{s:s},{s:s}], s:{s:[i]}}", "Routes", "GatewayId",
					      "nat-2", "GatewayId", "igw-3", "New", "List", 7);

		ck_assert_int_eq(
			cohd_rec_json_set_path(routes, "Routes.0.GatewayId", json_string("nat-2")),
			0);
		ck_assert_int_eq(cohd_rec_json_set_path(routes, "Routes.1",
							json_pack("{s:s}", "GatewayId", "igw-3")),
				 0);
		ck_assert_int_eq(cohd_rec_json_set_path(routes, "New.List.0", json_integer(7)), 0);
		ck_assert(json_equal(routes, want));
		ck_assert_int_eq(cohd_rec_json_set_path(routes, "Routes.5", json_integer(1)),
				 -EINVAL);
	}
}
END_TEST

static const json_t *one_attrs(void *ud, const char *id)
{
	return streq(id, "n") ? ud : NULL;
}

START_TEST(test_resolve_placeholders)
{
	json_auto_t *net = json_pack("{s:s, s:{s:s}, s:[{s:s}]}", "NetId", "net-1", "Endpoint",
				     "Address", "db.example", "L", "K", "deep");
	json_auto_t *v =
		json_pack("{s:o, s:o, s:[o], s:{s:i}, s:o}", "A", cohd_ref("n", "NetId"), "B",
			  cohd_sub("x-${n.Endpoint.Address}-${AWS::AccountId}"), "C",
			  json_pack("{s:i}", "Az", 1), "D", "Az", 7, "E", cohd_ref("n", "L.0.K"));
	json_auto_t *out = NULL;
	struct cohd_rec_resolve_ctx ctx = {
		.account = "123",
		.azs = azs,
		.attrs = one_attrs,
		.userdata = net,
	};

	ck_assert_int_eq(cohd_rec_resolve(&ctx, v, &out, NULL), -EAGAIN); /* Az 7 */
	json_object_del(v, "D");
	ck_assert_int_eq(cohd_rec_resolve(&ctx, v, &out, NULL), 0);
	ck_assert_str_eq(json_string_value(json_object_get(out, "A")), "net-1");
	ck_assert_str_eq(json_string_value(json_object_get(out, "B")), "x-db.example-123");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(out, "C"), 0)),
			 "eu-west-1b");
	ck_assert_str_eq(json_string_value(json_object_get(out, "E")), "deep");

	{
		json_auto_t *m = json_pack("{s:[o]}", "X", cohd_ref("m", "Arn")), *o2 = NULL;
		_cleanup_free_ char *missing = NULL;

		ck_assert_int_eq(cohd_rec_resolve(&ctx, m, &o2, &missing), -EAGAIN);
		ck_assert_str_eq(missing, "m.Arn");
	}
}
END_TEST

/* ---------------------------------------------------------------------------------------- */
/* Types the engine gaps kept out: tags read before matching (batched, prefiltered by name), */
/* ownership by name, one-object describes and "nothing there" codes, project on creates.   */
/* ---------------------------------------------------------------------------------------- */

static bool family_fails;   /* DescribeFamily fails with a ClientException that is an error */
static json_t *tag_read_arns; /* every ARN a DescribeLbTags asked for */

static json_t *lb_public(const json_t *it)
{
	json_t *o = json_deep_copy(it);

	json_object_del(o, "Tags"); /* like DescribeLoadBalancers: no tags */
	return o;
}

/* Fake ELBv2-like load balancers, Application Auto Scaling-like scalers and ECS-like task
 * families. -ENOSYS: not one of theirs. */
static int extra_exec(const char *op, const json_t *params, json_t **ret,
		      struct cohd_aws_error *err)
{
	const char *name = json_string_value(json_object_get(params, "Name"));
	json_t *it, *out;
	const json_t *x;
	size_t i, k;

	if (streq(op, "DescribeLbs")) {
		out = json_array();
		json_array_foreach (list_of("Lbs"), i, it)
			json_array_append_new(out, lb_public(it));
		*ret = json_pack("{s:o}", "Lbs", out);
		return 0;
	}
	if (streq(op, "DescribeLbTags")) {
		ck_assert_uint_le(json_array_size(json_object_get(params, "Arns")), 2);
		out = json_array();
		json_array_foreach (json_object_get(params, "Arns"), k, x) {
			json_array_append(tag_read_arns, (json_t *)x);
			it = find_item("Lbs", "Arn", json_string_value(x));
			if (!it)
				return aws_fail(err, "LoadBalancerNotFound",
						COHD_AWS_ERROR_NOT_FOUND);
			json_array_append_new(out, json_pack("{s:O, s:O}", "Arn", x, "Tags",
							     json_object_get(it, "Tags")));
		}
		*ret = json_pack("{s:o}", "TagDescriptions", out);
		return 0;
	}
	if (streq(op, "CreateLb")) {
		it = json_deep_copy(params);
		json_object_set_new(it, "Arn", json_sprintf("arn:fake:lb/%s", name));
		json_array_append(list_of("Lbs"), it);
		*ret = json_pack("{s:o}", "Lb", it);
		return 0;
	}
	if (streq(op, "ModifyLb")) {
		it = find_item("Lbs", "Arn", json_string_value(json_object_get(params, "Arn")));
		if (!it)
			return aws_fail(err, "LoadBalancerNotFound", COHD_AWS_ERROR_NOT_FOUND);
		json_object_update(it, (json_t *)params);
		*ret = json_object();
		return 0;
	}
	if (streq(op, "DescribeScalers")) {
		out = json_array();
		json_array_foreach (json_object_get(params, "Names"), k, x)
			if ((it = find_item("Scalers", "ScalerId", json_string_value(x))))
				json_array_append(out, it);
		*ret = json_pack("{s:o}", "Scalers", out);
		return 0;
	}
	if (streq(op, "CreateScaler") || streq(op, "ModifyScaler")) {
		it = find_item("Scalers", "ScalerId",
			       json_string_value(json_object_get(params, "ScalerId")));
		if (!it) {
			it = json_object();
			json_array_append_new(list_of("Scalers"), it);
		}
		json_object_update(it, (json_t *)params);
		*ret = json_object();
		return 0;
	}
	if (streq(op, "DeleteScaler")) {
		const char *id = json_string_value(json_object_get(params, "ScalerId"));

		if (!find_item("Scalers", "ScalerId", id))
			return aws_fail(err, "ObjectNotFoundException", COHD_AWS_ERROR_NOT_FOUND);
		remove_item("Scalers", "ScalerId", id);
		*ret = json_object();
		return 0;
	}
	if (streq(op, "DescribeFamily")) {
		const char *fam = json_string_value(json_object_get(params, "Family"));
		int r;

		if (family_fails || !(it = find_item("Families", "Family", fam))) {
			r = aws_fail(err, "ClientException", COHD_AWS_ERROR_VALIDATION);
			free(err->message);
			err->message = family_fails ? strdup("Access to the family is denied")
						    : strdup("Unable to describe task definition.");
			return r;
		}
		*ret = json_pack("{s:o, s:O}", "Def", json_deep_copy(it), "Tags",
				 json_object_get(it, "Tags"));
		json_object_del(json_object_get(*ret, "Def"), "Tags");
		return 0;
	}
	if (streq(op, "RegisterFamily")) {
		it = json_deep_copy(params);
		json_object_set_new(it, "ARN", json_sprintf("arn:fake:family/%s:1", name));
		json_object_set(it, "Family", json_object_get(params, "Name"));
		json_array_append(list_of("Families"), it);
		*ret = json_pack("{s:o}", "Def", json_deep_copy(it));
		json_object_del(json_object_get(*ret, "Def"), "Tags");
		json_decref(it);
		return 0;
	}
	return -ENOSYS;
}

static int lb_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	*ret = json_object(); /* the whole region */
	return 0;
}

static int lb_tags_one(const struct cohd_rec_item *item, json_t **ret)
{
	*ret = json_pack("{s:[s]}", "Arns", item->physical_id);
	return 0;
}

static int lb_tags_batch(const struct cohd_rec_item *const *items, size_t n, json_t **ret)
{
	json_t *arns = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arns, json_string(items[i]->physical_id));
	*ret = json_pack("{s:o}", "Arns", arns);
	return 0;
}

static const struct cohd_rec_detail lb_details[] = {
	{.operation = "DescribeLbTags",
	 .params = lb_tags_one,
	 .result_path = "Tags",
	 .merge_as = "Tags",
	 .batch_max = 2,
	 .batch_params = lb_tags_batch,
	 .batch_list_path = "TagDescriptions",
	 .batch_id_path = "Arn"},
};

static const struct cohd_rec_field lb_fields[] = {
	{.path = "Size", .update_op = "ModifyLb"},
	{.path = "Family", .flags = COHD_REC_F_REPLACE},
};

/* Like a listener's default rule: listed, but not a resource. */
static json_t *lb_project(const json_t *raw)
{
	return json_is_true(json_object_get(raw, "IsDefault")) ? NULL : json_deep_copy(raw);
}

static const struct cohd_rec_type fake_lb = {
	.project = lb_project,
	.name = "fake.lb",
	.service = "fake",
	.tier = 2,
	.describe_op = "DescribeLbs",
	.observe_params = lb_observe,
	.list_path = "Lbs",
	.id_path = "Arn",
	.name_path = "Name",
	.tags_path = "Tags",
	.tag_read_prefix = true,
	.details = lb_details,
	.n_details = ELEMENTSOF(lb_details),
	.fields = lb_fields,
	.n_fields = ELEMENTSOF(lb_fields),
	.create_op = "CreateLb",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "Lb",
	.id_member = "Arn",
	.delete_op = "DeleteLb",
};

static int scaler_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	json_t *names = json_array();

	for (size_t i = 0; i < ctx->n_wanted; i++)
		json_array_append_new(names, json_string(ctx->wanted[i]->name));
	*ret = ctx->n_wanted ? json_pack("{s:o}", "Names", names) : NULL;
	if (!ctx->n_wanted)
		json_decref(names);
	return 0;
}

static const struct cohd_rec_field scaler_fields[] = {
	{.path = "Min", .update_op = "ModifyScaler"},
};

static const struct cohd_rec_type fake_scaler = {
	.name = "fake.scaler",
	.service = "fake",
	.tier = 4,
	.describe_op = "DescribeScalers",
	.observe_params = scaler_observe,
	.observe_batch = 50,
	.list_path = "Scalers",
	.id_path = "ScalerId",
	.name_path = "ScalerId",
	.tag_style = COHD_REC_TAGS_NONE,
	.owned_by_name = true,
	.fields = scaler_fields,
	.n_fields = ELEMENTSOF(scaler_fields),
	.create_op = "CreateScaler",
	.create_tag_style = COHD_REC_TAGS_NONE,
	.id_member = "ScalerId",
	.delete_op = "DeleteScaler",
};

static int family_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	*ret = ctx->n_wanted ? json_pack("{s:s}", "Family", ctx->wanted[0]->name) : NULL;
	return 0;
}

/* {"Def": {...}, "Tags": [...]} -> the definition with its tags; "ARN" also as "Arn". */
static json_t *family_project(const json_t *raw)
{
	const json_t *def = json_object_get(raw, "Def");
	json_t *o = json_deep_copy(def ? def : raw);

	if (json_object_get(raw, "Tags"))
		json_object_set(o, "Tags", json_object_get(raw, "Tags"));
	if (json_object_get(o, "ARN"))
		json_object_set(o, "Arn", json_object_get(o, "ARN"));
	return o;
}

static const char *const family_absent[] = {"ClientException:Unable to describe task definition",
					    NULL};

static const struct cohd_rec_field family_fields[] = {
	{.path = "Image", .flags = COHD_REC_F_REPLACE},
};

static const struct cohd_rec_type fake_family = {
	.name = "fake.family",
	.service = "fake",
	.tier = 1,
	.describe_op = "DescribeFamily",
	.observe_params = family_observe,
	.observe_batch = 1,
	.observe_absent_codes = family_absent,
	.list_path = NULL,
	.id_path = "Arn",
	.name_path = "Family",
	.tags_path = "Tags",
	.project = family_project,
	.fields = family_fields,
	.n_fields = ELEMENTSOF(family_fields),
	.create_op = "RegisterFamily",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "Def",
	.id_member = "Arn",
	.delete_op = "DeregisterFamily",
};

static const struct cohd_rec_type *const gap_types[] = {
	&fake_lb, &fake_scaler, &fake_family, NULL,
};

static struct cohd_rec_engine *gap_engine(void)
{
	struct cohd_rec_config cfg = base_config();

	cfg.types = gap_types;
	cfg.name_prefix = "shop-a1b2c3-pr-1";
	cfg.tag_reread_passes = 3;
	return engine(&cfg);
}

static unsigned log_count(const char *op)
{
	unsigned n = 0;
	const json_t *v;
	size_t i;

	json_array_foreach (RF.log, i, v)
		n += streq(json_string_value(v), op);
	return n;
}

/* A describe without tags: the tag read runs before matching, one call per two items (the
 * batch), and only for names under the app's prefix (the describe lists the whole region). */
START_TEST(test_tag_reads_before_matching)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;
	const json_t *x;
	size_t i;

	world_init();
	tag_read_arns = json_array();
	/* another app's load balancer in the same region, tagged as cohd's */
	json_array_append_new(list_of("Lbs"),
			      json_pack("{s:s, s:s, s:i, s:[{s:s, s:s}, {s:s, s:s}]}", "Arn",
					"arn:fake:lb/other-ffffff-alb", "Name", "other-ffffff-alb",
					"Size", 1, "Tags", "Key", "ManagedBy", "Value", "coherence",
					"Key", "Application", "Value", "other"));
	/* and an item the type's project drops: neither read nor a reason to hold the type */
	json_array_append_new(list_of("Lbs"), json_pack("{s:s, s:s, s:b}", "Arn",
							"arn:fake:lb/shop-a1b2c3-default", "Name",
							"shop-a1b2c3-default", "IsDefault", 1));
	for (int k = 1; k <= 5; k++) {
		char id[32], name[32];

		snprintf(id, sizeof id, "env/pr-1/lb/%d", k);
		snprintf(name, sizeof name, "shop-a1b2c3-pr-1-lb%d", k);
		add(g, "fake.lb", id, name, json_pack("{s:s, s:i}", "Name", name, "Size", 1));
	}
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	e = gap_engine();

	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 5);
	ck_assert_uint_eq(log_count("DescribeLbTags"), 0); /* nothing of ours yet */

	/* Found by their tags: nothing to do; 1 describe + 3 tag reads for 5 resources. */
	json_array_clear(RF.log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 0);
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "synced");
	ck_assert_str_eq(res_sync(st, "env/pr-1/lb/3"), "synced");
	ck_assert_uint_eq(log_count("DescribeLbs"), 1);
	ck_assert_uint_eq(log_count("DescribeLbTags"), 3);
	json_array_foreach (tag_read_arns, i, x) {
		ck_assert_ptr_null(strstr(json_string_value(x), "other-"));
		ck_assert_ptr_null(strstr(json_string_value(x), "default"));
	}

	/* The tags just read are reused (tag_reread_passes 3): a no-change pass is 1 call. */
	json_array_clear(RF.log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	ck_assert_uint_eq(json_array_size(RF.log), 1);

	/* Drift is corrected on the item matched through the tag read. */
	json_object_set_new(find_item("Lbs", "Arn", "arn:fake:lb/shop-a1b2c3-pr-1-lb4"), "Size",
			    json_integer(7));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 1);
	ck_assert_str_eq(json_string_value(json_object_get(mut_params("ModifyLb", 0), "Arn")),
			 "arn:fake:lb/shop-a1b2c3-pr-1-lb4");
	/* Three passes after they were read, the tags are read again (tags changed by hand
	 * are seen): 3 batches. */
	json_array_clear(RF.log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	ck_assert_uint_eq(log_count("DescribeLbTags"), 3);
	json_decref(tag_read_arns);
	tag_read_arns = NULL;
	world_done();
}
END_TEST

static struct cohd_graph *graph_scalers(bool both)
{
	struct cohd_graph *g = cohd_graph_new();
	struct cohd_resource *r = NULL;

	ck_assert_int_eq(cohd_graph_add(g, "fake.scaler", "env/pr-1/svc/api/scaler",
					"service/shop-a1b2c3/shop-a1b2c3-pr-1-api",
					COHD_SCOPE_ENVIRONMENT,
					json_pack("{s:s, s:i}", "ScalerId",
						  "service/shop-a1b2c3/shop-a1b2c3-pr-1-api", "Min", 1),
					&r),
			 0);
	if (both)
		ck_assert_int_eq(
			cohd_graph_add(g, "fake.scaler", "env/pr-1/svc/web/scaler",
				       "service/shop-a1b2c3/shop-a1b2c3-pr-1-web",
				       COHD_SCOPE_ENVIRONMENT,
				       json_pack("{s:s, s:i}", "ScalerId",
						 "service/shop-a1b2c3/shop-a1b2c3-pr-1-web", "Min", 2),
				       &r),
			0);
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	return g;
}

/* An API without tags: the deterministic name is the ownership (not "exists and is not
 * ours"); one removed from the file is asked for by its last name, found and deleted. */
START_TEST(test_owned_by_name)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_scalers(true);
	_cleanup_(cohd_graph_freep) struct cohd_graph *g1 = graph_scalers(false);
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;

	world_init();
	e = gap_engine();
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 2);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 0);
	ck_assert_str_eq(res_sync(st, "env/pr-1/svc/web/scaler"), "synced");
	json_object_set_new(find_item("Scalers", "ScalerId",
				      "service/shop-a1b2c3/shop-a1b2c3-pr-1-web"),
			    "Min", json_integer(5));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 1);
	ck_assert_uint_eq(op_count("ModifyScaler"), 1);

	/* web leaves the file: found by its last name, deleted (preview, no grace). */
	json_array_clear(RF.mut_log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g1, NULL), 1);
	ck_assert_str_eq(
		json_string_value(json_object_get(mut_params("DeleteScaler", 0), "ScalerId")),
		"service/shop-a1b2c3/shop-a1b2c3-pr-1-web");
	ck_assert_uint_eq(json_array_size(list_of("Scalers")), 1);
	ck_assert_uint_eq(rec_fake_run_pass(e, g1, NULL), 0);
	world_done();
}
END_TEST

/* The compiler tags every resource, also those of an API without tags: a type that cannot see
 * tags (no tags_path) has none to compare, so its resources are synced, not drifted forever. */
START_TEST(test_untaggable_type_ignores_tags)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	struct cohd_resource *r = NULL;
	json_auto_t *st = NULL;

	ck_assert_int_eq(cohd_graph_add(g, "fake.scaler", "env/pr-1/svc/api/scaler",
					"service/shop-a1b2c3/shop-a1b2c3-pr-1-api",
					COHD_SCOPE_ENVIRONMENT,
					json_pack("{s:s, s:i}", "ScalerId",
						  "service/shop-a1b2c3/shop-a1b2c3-pr-1-api", "Min", 1),
					&r),
			 0);
	ck_assert_int_eq(cohd_resource_tag(r, "ManagedBy", "coherence"), 0);
	ck_assert_int_eq(cohd_resource_tag(r, "cohd:id", "env/pr-1/svc/api/scaler"), 0);
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	world_init();
	e = gap_engine();
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 1);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 0);
	ck_assert_str_eq(res_sync(st, "env/pr-1/svc/api/scaler"), "synced");
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "synced");
	world_done();
}
END_TEST

/* After a restart the daemon hands back the names of what the last graph had: a resource of a
 * name-list type removed from the file while cohd was down is still asked for, and deleted. */
START_TEST(test_remembered_name_after_restart)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_scalers(true);
	_cleanup_(cohd_graph_freep) struct cohd_graph *g1 = graph_scalers(false);
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL, *e2 = NULL;

	world_init();
	e = gap_engine();
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 2);
	e2 = gap_engine();
	ck_assert_int_eq(cohd_rec_engine_remember(e2, "env/pr-1/svc/web/scaler", "fake.scaler",
						  COHD_DELETION_DEFAULT, NULL, 0),
			 0);
	ck_assert_int_eq(cohd_rec_engine_remember_name(e2, "env/pr-1/svc/web/scaler",
						       "service/shop-a1b2c3/shop-a1b2c3-pr-1-web", NULL),
			 0);
	ck_assert_int_eq(cohd_rec_engine_remember_name(e2, "env/pr-1/nothing", "x", NULL), -ENOENT);
	json_array_clear(RF.mut_log);
	ck_assert_uint_eq(rec_fake_run_pass(e2, g1, NULL), 1);
	ck_assert_str_eq(
		json_string_value(json_object_get(mut_params("DeleteScaler", 0), "ScalerId")),
		"service/shop-a1b2c3/shop-a1b2c3-pr-1-web");
	world_done();
}
END_TEST

/* A describe that answers one object, and an error code that means "nothing there": a new
 * family is created on pass 1; another ClientException is a failed describe (nothing done). */
START_TEST(test_one_object_and_absent_codes)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL, *st2 = NULL;

	world_init();
	add(g, "fake.family", "env/pr-1/svc/api/task", "shop-a1b2c3-pr-1-api",
	    json_pack("{s:s, s:s}", "Name", "shop-a1b2c3-pr-1-api", "Image", "api:1"));
	add(g, "fake.family", "env/pr-1/svc/web/task", "shop-a1b2c3-pr-1-web",
	    json_pack("{s:s, s:s}", "Name", "shop-a1b2c3-pr-1-web", "Image", "web:1"));
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	e = gap_engine();
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 2);
	ck_assert_uint_eq(op_count("RegisterFamily"), 2);
	json_array_clear(RF.log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 0);
	ck_assert_str_eq(res_sync(st, "env/pr-1/svc/api/task"), "synced");
	ck_assert_uint_eq(log_count("DescribeFamily"), 2);

	family_fails = true;
	list_of("Families");
	json_array_clear(json_object_get(W.aws, "Families"));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st2), 0);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
					     status_res(st2, "env/pr-1/svc/api/task"), "message")),
				     "not observed"));
	family_fails = false;
	world_done();
}
END_TEST

/* `project` applies to what a create answers: a resource created this pass is referred to by
 * the attribute name the type gives it ("Arn" for AWS's "ARN") in the same pass. */
START_TEST(test_project_create_result)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;

	world_init();
	tag_read_arns = json_array();
	add(g, "fake.family", "env/pr-1/svc/api/task", "shop-a1b2c3-pr-1-api",
	    json_pack("{s:s, s:s}", "Name", "shop-a1b2c3-pr-1-api", "Image", "api:1"));
	add(g, "fake.lb", "env/pr-1/lb/1", "shop-a1b2c3-pr-1-lb1",
	    json_pack("{s:s, s:i, s:o}", "Name", "shop-a1b2c3-pr-1-lb1", "Size", 1, "Family",
		      cohd_ref("env/pr-1/svc/api/task", "Arn")));
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	e = gap_engine();
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 2);
	ck_assert_str_eq(json_string_value(json_object_get(mut_params("CreateLb", 0), "Family")),
			 "arn:fake:family/shop-a1b2c3-pr-1-api:1");
	ck_assert_str_eq(res_sync(st, "env/pr-1/lb/1"), "synced");
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	json_decref(tag_read_arns);
	tag_read_arns = NULL;
	world_done();
}
END_TEST

/* A network that does not manage its DNS attribute: nothing reads it. */
START_TEST(test_detail_only_when_managed)
{
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;

	world_init();
	add(g, "fake.net", "app/net", "shop-net",
	    json_pack("{s:s, s:s}", "CidrBlock", "10.0.0.0/16", "Mode", "fast"));
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	e = engine(&cfg);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 1);
	json_array_clear(RF.log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	ck_assert_uint_eq(log_count("DescribeNets"), 1);
	ck_assert_uint_eq(log_count("DescribeNetAttribute"), 0);
	world_done();
}
END_TEST

/* An application-wide resource an environment no longer wants, but does not own (the app's
 * other environments still use it): left alone. Owned, it is deleted. */
START_TEST(test_unowned_never_deleted)
{
	static const char *const env_only[] = {"env/pr-1/", NULL};
	static const char *const with_app[] = {"env/pr-1/", "app/", NULL};
	struct cohd_rec_config cfg = base_config();
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new(),
						      *empty = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL, *e2 = NULL;
	json_auto_t *st = NULL;

	world_init();
	add(g, "fake.net", "app/net", "shop-net",
	    json_pack("{s:s, s:s}", "CidrBlock", "10.0.0.0/16", "Mode", "fast"));
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	ck_assert_int_eq(cohd_graph_finalize(empty, NULL), 0);
	cfg.owned_prefixes = env_only;
	e = engine(&cfg);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 1);
	ck_assert_uint_eq(rec_fake_run_pass(e, empty, &st), 0);
	ck_assert_uint_eq(op_count("DeleteNet"), 0);
	ck_assert_ptr_null(status_res(st, "app/net"));
	ck_assert_str_eq(json_string_value(json_object_get(st, "sync")), "synced");

	cfg.owned_prefixes = with_app;
	e2 = engine(&cfg);
	ck_assert_int_eq(cohd_rec_engine_remember(e2, "app/net", "fake.net", COHD_DELETION_DEFAULT,
						  NULL, 0),
			 0);
	rec_fake_run_pass(e2, empty, NULL);
	ck_assert_uint_eq(op_count("DeleteNet"), 1);
	world_done();
}
END_TEST

static Suite *reconcile_suite(void)
{
	Suite *s = suite_create("reconcile");
	struct {
		const char *name;
		const TTest *fn;
	} cases[] = {
		{"converge", test_converge_from_nothing},
		{"drift", test_drift_corrected},
		{"accepted_drift", test_accepted_drift},
		{"autoscaling_band", test_autoscaling_band},
		{"quarantine", test_quarantine},
		{"crash_adopt", test_crash_recovery_adopts},
		{"crash_resend", test_crash_recovery_resends_same_token},
		{"outcome_unknown", test_create_outcome_unknown},
		{"adoption", test_adoption_after_database_loss},
		{"foreign", test_foreign_never_touched},
		{"dry_run", test_dry_run},
		{"wait_timeout", test_wait_timeout},
		{"delete", test_delete_reverse_order_and_confirm},
		{"delete_gone", test_delete_already_gone},
		{"replace", test_replace},
		{"replace_follow", test_replace_dependents_follow},
		{"replace_keep_old", test_replace_keeps_old_for_held_dependent},
		{"concurrency", test_bounded_concurrency},
		{"ec2_vpc", test_ec2_vpc_type},
		{"observe_failure", test_observe_failure},
		{"replace_confirm", test_replace_needs_confirmation_and_unknown_type},
		{"accept_rules", test_accept_rules},
		{"normalise", test_normalise},
		{"resolve", test_resolve_placeholders},
		{"self_reference", test_self_reference},
		{"environment_guard", test_environment_guard},
		{"environment_clash", test_environment_clash},
		{"app_environment_tag", test_app_environment_tag},
		{"tag_reads", test_tag_reads_before_matching},
		{"owned_by_name", test_owned_by_name},
		{"untaggable_tags", test_untaggable_type_ignores_tags},
		{"one_object_absent", test_one_object_and_absent_codes},
		{"project_create", test_project_create_result},
		{"remembered_name", test_remembered_name_after_restart},
		{"tag_removal", test_tag_removal},
		{"detail_only_when_managed", test_detail_only_when_managed},
		{"unowned_never_deleted", test_unowned_never_deleted},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_test(tc, cases[i].fn);
		tcase_set_timeout(tc, 30);
		suite_add_tcase(s, tc);
	}
	return s;
}

COHD_TEST_MAIN(reconcile_suite)
