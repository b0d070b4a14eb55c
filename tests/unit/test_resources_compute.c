/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the compute, IAM and secrets resource types (lib/resources: secretsmanager.secret,
 * iam.role, ecs.cluster, ecs.service). Two halves:
 *   - every params document the types build, from what the real compiler emits for the golden
 *     apps in every environment type, serialises against the embedded botocore model (the client
 *     rejects unknown members, so a wrong member name is a real bug);
 *   - the types driven through the engine against an in-memory fake of Secrets Manager, IAM and
 *     ECS that also serialises every call it receives against the real model: converge from
 *     nothing, zero mutations on a second pass, drift corrected, deletes.
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
	&cohd_resource_secretsmanager_secret,
	&cohd_resource_iam_role,
	&cohd_resource_ecs_cluster,
	&cohd_resource_ecs_service,
	&cohd_resource_logs_log_group,
	&cohd_resource_elbv2_target_group,
	&cohd_resource_elbv2_load_balancer,
	&cohd_resource_autoscaling_scalable_target,
	&cohd_resource_autoscaling_scaling_policy,
	&cohd_resource_cloudwatch_alarm,
	&cohd_resource_ecs_task_definition,
	&cohd_resource_elbv2_listener,
	&cohd_resource_elbv2_listener_rule,
	&cohd_resource_iam_instance_profile,
	NULL,
};

static const struct cohd_rec_type *my_type(const char *name)
{
	for (size_t i = 0; my_types[i]; i++)
		if (streq(my_types[i]->name, name))
			return my_types[i];
	return NULL;
}

/* A builder's result: the params of op, or a sequence of calls [{Operation, Params}]. */
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
	/* the type's own operation is the last step */
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(params, json_array_size(params) - 1), "Operation")),
			 op);
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
	*ret = json_object_get(ph, "Allocate") ? json_integer(7) : json_string("s3cr3t-generated");
	return 0;
}

/* Every builder of t for one compiled resource: create, each field's update, tag, delete,
 * observe and look-up. */
static unsigned check_resource(const struct cohd_rec_type *t, const struct cohd_resource *res,
			       const char *env_type)
{
	struct cohd_rec_resolve_ctx rc = {.account = "123456789012",
					  .partition = "aws",
					  .image_tag = "v1",
					  .attrs = attrs_of,
					  .generate = gen,
					  .self = res->id};
	json_auto_t *props = NULL, *params = NULL, *live_attrs = NULL;
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
	json_auto_t *token = json_string("tok00000000000000000000000000001");
	char what[512];
	unsigned n = 0;

	ck_assert_int_eq(cohd_json_foreach_ref(res->properties, collect_ref, NULL), 0);
	ck_assert_int_eq(cohd_rec_resolve(&rc, res->properties, &props, NULL), 0);
	ctx.props = props;
	wanted_props[0] = props;
	octx.props = wanted_props;
	ctx.token = t->token_member ? token : NULL;

	/* create */
	snprintf(what, sizeof what, "%s %s create", t->name, res->id);
	if (json_is_true(json_object_get(props, "cohd:Existing"))) {
		ck_assert_int_lt(t->create_params(&ctx, &params), 0);
		return 0;
	}
	ck_assert_int_eq((t->create_params ?: cohd_rec_default_create_params)(&ctx, &params), 0);
	rec_fake_check_serialises(t->service, t->create_op, params, what);
	n++;
	/* the generated secret is in the create call, once */
	if (streq(t->name, "secretsmanager.secret") &&
	    json_object_get(json_object_get(res->properties, "SecretString"), "password"))
		ck_assert_ptr_nonnull(
			strstr(json_string_value(json_object_get(params, "SecretString")),
			       "s3cr3t-generated"));
	json_decref(params);
	params = NULL;

	/* the live item: as if observed (attributes = desired, plus what AWS adds) */
	live_attrs = json_deep_copy(props);
	json_object_set_new(live_attrs, "AlarmArn",
			    json_string("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x"));
	json_object_set_new(
		live_attrs, "clusterArn",
		json_string("arn:aws:ecs:eu-west-1:123456789012:cluster/ledger-abc123"));
	live.physical_id = streq(t->name, "ecs.service")
				   ? (char *)"arn:aws:ecs:eu-west-1:123456789012:service/"
					     "ledger-abc123/svc"
				   : (char *)"arn-or-name-of-it";
	live.attrs = live_attrs;
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
		if (f->update_params)
			ck_assert_int_eq(f->update_params(&ctx, fields, 1, &params), 0);
		else if (t->update_params)
			ck_assert_int_eq(t->update_params(&ctx, fields, 1, &params), 0);
		else {
			params = json_pack("{s:s}", t->id_member, live.physical_id);
			cohd_rec_json_set_path(params, f->path,
					       json_deep_copy(cohd_rec_json_path(props, f->path)));
		}
		/* write-only fields are set via their op like any other */
		rec_fake_check_serialises(t->service, op, params, what);
		json_decref(params);
		params = NULL;
		n++;
	}

	snprintf(what, sizeof what, "%s %s tag", t->name, res->id);
	if (t->tag_op) { /* Application Auto Scaling has no tags in this API version */
		ck_assert_ptr_nonnull(t->tag_params);
		ck_assert_int_eq(t->tag_params(&ctx, &params), 0);
		rec_fake_check_serialises(t->service, t->tag_op, params, what);
		json_decref(params);
		params = NULL;
	}

	snprintf(what, sizeof what, "%s %s delete", t->name, res->id);
	if (t->delete_params)
		ck_assert_int_eq(t->delete_params(&ctx, &params), 0);
	else
		params = json_pack("{s:s}", t->id_member, live.physical_id);
	check_call_or_steps(t->service, t->delete_op, params, what);
	json_decref(params);
	params = NULL;
	/* an orphan: the resource is gone from the graph */
	ctx.resource = NULL;
	ctx.props = NULL;
	if (t->delete_params) {
		ck_assert_int_eq(t->delete_params(&ctx, &params), 0);
		check_call_or_steps(t->service, t->delete_op, params, what);
		json_decref(params);
		params = NULL;
	}
	ctx.resource = res;

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
	rec_fake_check_serialises(t->service, t->describe_op, params, what);
	json_decref(params);
	params = NULL;
	octx.n_wanted = 0; /* nothing wanted: NULL = nothing to ask, or a valid call */
	ck_assert_int_eq(t->observe_params(&octx, &params), 0);
	if (params)
		rec_fake_check_serialises(t->service, t->describe_op, params, what);
	json_decref(params);
	params = NULL;
	if (t->lookup_params) {
		snprintf(what, sizeof what, "%s %s lookup", t->name, res->id);
		ck_assert_int_eq(t->lookup_params(&ctx, &params), 0);
		rec_fake_check_serialises(t->service, t->describe_op, params, what);
		json_decref(params);
		params = NULL;
	}
	if (t->by_id_params) {
		snprintf(what, sizeof what, "%s %s by id", t->name, res->id);
		ck_assert_int_eq(t->by_id_params(&ctx, &params), 0);
		rec_fake_check_serialises(t->service, t->describe_op, params, what);
	}
	return n;
}

START_TEST(test_builders_serialize)
{
	static const char *const files[] = {"plans/data.yml", "plans/backend-only.yml",
					    "plans/backend-frontend.yml",
					    "plans/custom-domain.yml"};
	static const char *const env_names[] = {"production", "static", "preview"};
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
				check_resource(t, res, env_names[et]);
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
/* The fake world: Secrets Manager, IAM, ECS and Logs in memory (ports: helpers/rec_fake).  */
/* ---------------------------------------------------------------------------------------- */

static struct world {
	json_t *secrets, *roles, *clusters, *services, *groups; /* lists of AWS-shaped items */
	json_t *secret_values; /* ARN -> SecretString (never observed) */
	json_t *tokens;	       /* token -> ARN */
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
		if (streq_ptr(json_string_value(json_object_get(it, key)), value))
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

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Tags: merge a [{Key, Value}] (or lower-case) list into an item's list. */
static void merge_tags(json_t *item, const char *tags_key, const json_t *add, bool lower)
{
	const char *k = lower ? "key" : "Key", *v = lower ? "value" : "Value";
	json_t *have = json_object_get(item, tags_key), *t;
	size_t i;

	if (!have) {
		have = json_array();
		json_object_set_new(item, tags_key, have);
	}
	json_array_foreach (add, i, t) {
		json_t *old = find_by(have, k, str(t, k));

		if (old)
			json_object_set(old, v, json_object_get(t, v));
		else
			json_array_append_new(have, json_deep_copy(t));
	}
}

static const char *tag_of(const json_t *item, const char *tags_key, const char *key)
{
	const json_t *t;
	size_t i;

	json_array_foreach (json_object_get(item, tags_key), i, t) {
		const char *k = str(t, "Key") ?: str(t, "key");

		if (streq_ptr(k, key))
			return str(t, "Value") ?: str(t, "value");
	}
	return NULL;
}

/* IAM returns policy documents RFC 3986 percent-encoded. */
static json_t *url_encoded(const char *s)
{
	size_t n = strlen(s);
	_cleanup_free_ char *out = malloc(3 * n + 1);
	char *o = out;

	ck_assert_ptr_nonnull(out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~')
			*o++ = (char)c;
		else
			o += sprintf(o, "%%%02X", c);
	}
	*o = 0;
	return json_string(out);
}

/* ---- Secrets Manager ---- */

static int fake_secrets(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	json_t *s;

	if (streq(op, "ListSecrets")) {
		json_t *out = json_array(), *f;
		size_t i, k;

		json_array_foreach (W.secrets, i, s) {
			bool ok = true;

			json_array_foreach (json_object_get(p, "Filters"), k, f) {
				const char *key = str(f, "Key");
				const char *v = json_string_value(
					json_array_get(json_object_get(f, "Values"), 0));

				if (streq(key, "name"))
					ok &= strncmp(str(s, "Name"), v, strlen(v)) == 0;
				else if (streq(key, "tag-key"))
					ok &= tag_of(s, "Tags", v) != NULL;
				else if (streq(key, "tag-value")) {
					const json_t *t;
					size_t j;
					bool any = false;

					json_array_foreach (json_object_get(s, "Tags"), j, t)
						any |= streq_ptr(str(t, "Value"), v);
					ok &= any;
				}
			}
			if (ok)
				json_array_append(out, s);
		}
		*ret = json_pack("{s:o}", "SecretList", out);
		return 0;
	}
	if (streq(op, "CreateSecret")) {
		const char *tok = str(p, "ClientRequestToken");
		char arn[256];

		if (tok && json_object_get(W.tokens, tok)) {
			s = find_by(W.secrets, "ARN", str(W.tokens, tok));
			*ret = json_pack("{s:O, s:O}", "ARN", json_object_get(s, "ARN"), "Name",
					 json_object_get(s, "Name"));
			return 0;
		}
		if (find_by(W.secrets, "Name", str(p, "Name")))
			return aws_fail(err, "ResourceExistsException");
		snprintf(arn, sizeof arn,
			 "arn:aws:secretsmanager:eu-west-1:123456789012:secret:%s-%06u",
			 str(p, "Name"), ++W.next_id);
		s = json_pack("{s:s, s:O, s:O?, s:O}", "ARN", arn, "Name",
			      json_object_get(p, "Name"), "Description",
			      json_object_get(p, "Description"), "Tags",
			      json_object_get(p, "Tags") ?: json_array());
		json_array_append_new(W.secrets, s);
		json_object_set(W.secret_values, arn, json_object_get(p, "SecretString"));
		if (tok)
			json_object_set_new(W.tokens, tok, json_string(arn));
		*ret = json_pack("{s:s, s:O, s:s}", "ARN", arn, "Name", json_object_get(p, "Name"),
				 "VersionId", "v1");
		return 0;
	}
	s = find_by(W.secrets, "ARN", str(p, "SecretId"))
		    ?: find_by(W.secrets, "Name", str(p, "SecretId"));
	if (!s)
		return aws_fail(err, "ResourceNotFoundException");
	*ret = json_object();
	if (streq(op, "UpdateSecret")) {
		if (json_object_get(p, "Description"))
			json_object_set(s, "Description", json_object_get(p, "Description"));
		ck_assert_ptr_null(json_object_get(p, "SecretString")); /* never rewritten */
		return 0;
	}
	if (streq(op, "TagResource")) {
		merge_tags(s, "Tags", json_object_get(p, "Tags"), false);
		return 0;
	}
	if (streq(op, "DeleteSecret")) {
		json_object_del(W.secret_values, str(s, "ARN"));
		remove_from(W.secrets, s);
		return 0;
	}
	return aws_fail(err, "UnknownOperationException");
}

/* ---- IAM ---- */

static int fake_iam(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	json_t *role;

	if (streq(op, "GetAccountAuthorizationDetails")) {
		ck_assert_str_eq(json_string_value(json_array_get(json_object_get(p, "Filter"), 0)),
				 "Role");
		*ret = json_pack("{s:O, s:b}", "RoleDetailList", W.roles, "IsTruncated", 0);
		return 0;
	}
	if (streq(op, "CreateRole")) {
		char arn[256];

		if (find_by(W.roles, "RoleName", str(p, "RoleName")))
			return aws_fail(err, "EntityAlreadyExists");
		snprintf(arn, sizeof arn, "arn:aws:iam::123456789012:role%s%s",
			 str(p, "Path") ?: "/", str(p, "RoleName"));
		role = json_pack("{s:s, s:O, s:s, s:s, s:o, s:[], s:[], s:[], s:O}", "Path",
				 str(p, "Path") ?: "/", "RoleName", json_object_get(p, "RoleName"),
				 "RoleId", "AROAFAKE", "Arn", arn, "AssumeRolePolicyDocument",
				 url_encoded(str(p, "AssumeRolePolicyDocument")), "RolePolicyList",
				 "AttachedManagedPolicies", "InstanceProfileList", "Tags",
				 json_object_get(p, "Tags") ?: json_array());
		json_array_append_new(W.roles, role);
		*ret = json_pack("{s:{s:O, s:O, s:O, s:s}}", "Role", "RoleName",
				 json_object_get(role, "RoleName"), "Arn",
				 json_object_get(role, "Arn"), "Path",
				 json_object_get(role, "Path"), "RoleId", "AROAFAKE");
		return 0;
	}
	role = find_by(W.roles, "RoleName", str(p, "RoleName"));
	if (!role)
		return aws_fail(err, "NoSuchEntity");
	*ret = json_object();
	if (streq(op, "UpdateAssumeRolePolicy"))
		json_object_set_new(role, "AssumeRolePolicyDocument",
				    url_encoded(str(p, "PolicyDocument")));
	else if (streq(op, "PutRolePolicy")) {
		json_t *l = json_object_get(role, "RolePolicyList");
		json_t *old = find_by(l, "PolicyName", str(p, "PolicyName"));

		if (old)
			remove_from(l, old);
		json_array_append_new(
			l, json_pack("{s:O, s:o}", "PolicyName", json_object_get(p, "PolicyName"),
				     "PolicyDocument", url_encoded(str(p, "PolicyDocument"))));
	} else if (streq(op, "AttachRolePolicy")) {
		json_t *l = json_object_get(role, "AttachedManagedPolicies");

		if (!find_by(l, "PolicyArn", str(p, "PolicyArn")))
			json_array_append_new(l, json_pack("{s:s, s:O}", "PolicyName", "x",
							   "PolicyArn",
							   json_object_get(p, "PolicyArn")));
	} else if (streq(op, "TagRole"))
		merge_tags(role, "Tags", json_object_get(p, "Tags"), false);
	else if (streq(op, "DeleteRole")) {
		if (json_array_size(json_object_get(role, "RolePolicyList")) > 0 ||
		    json_array_size(json_object_get(role, "AttachedManagedPolicies")) > 0)
			return aws_fail(err, "DeleteConflict");
		remove_from(W.roles, role);
	} else if (streq(op, "DetachRolePolicy")) {
		json_t *l = json_object_get(role, "AttachedManagedPolicies");
		json_t *old = find_by(l, "PolicyArn", str(p, "PolicyArn"));

		if (!old)
			return aws_fail(err, "NoSuchEntity");
		remove_from(l, old);
	} else if (streq(op, "DeleteRolePolicy")) {
		json_t *l = json_object_get(role, "RolePolicyList");
		json_t *old = find_by(l, "PolicyName", str(p, "PolicyName"));

		if (old)
			remove_from(l, old);
	} else
		return aws_fail(err, "UnknownOperation");
	return 0;
}

/* ---- ECS ---- */

static json_t *find_cluster(const char *name_or_arn)
{
	return find_by(W.clusters, "clusterArn", name_or_arn)
		       ?: find_by(W.clusters, "clusterName", name_or_arn);
}

static json_t *find_service(const json_t *cluster, const char *name_or_arn)
{
	json_t *s;
	size_t i;

	json_array_foreach (W.services, i, s)
		if (streq(str(s, "clusterArn"), str(cluster, "clusterArn")) &&
		    (streq(str(s, "serviceArn"), name_or_arn) ||
		     streq(str(s, "serviceName"), name_or_arn)))
			return s;
	return NULL;
}

static int fake_ecs(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	json_t *c, *s, *v;
	size_t i;

	if (streq(op, "DescribeClusters")) {
		json_t *out = json_array(), *failures = json_array();

		json_array_foreach (json_object_get(p, "clusters"), i, v) {
			c = find_cluster(json_string_value(v));
			if (c)
				json_array_append(out, c);
			else
				json_array_append_new(failures, json_pack("{s:O, s:s}", "arn", v,
									  "reason", "MISSING"));
		}
		*ret = json_pack("{s:o, s:o}", "clusters", out, "failures", failures);
		return 0;
	}
	if (streq(op, "CreateCluster")) {
		char arn[256];

		c = find_cluster(str(p, "clusterName"));
		if (c) { /* idempotent by name */
			*ret = json_pack("{s:O}", "cluster", c);
			return 0;
		}
		snprintf(arn, sizeof arn, "arn:aws:ecs:eu-west-1:123456789012:cluster/%s",
			 str(p, "clusterName"));
		c = json_pack("{s:s, s:O, s:s, s:O, s:O, s:O}", "clusterArn", arn, "clusterName",
			      json_object_get(p, "clusterName"), "status", "ACTIVE",
			      "capacityProviders", json_object_get(p, "capacityProviders"),
			      "defaultCapacityProviderStrategy",
			      json_object_get(p, "defaultCapacityProviderStrategy"), "tags",
			      json_object_get(p, "tags") ?: json_array());
		json_array_append_new(W.clusters, c);
		*ret = json_pack("{s:O}", "cluster", c);
		return 0;
	}
	if (streq(op, "TagResource")) {
		const char *arn = str(p, "resourceArn");

		c = find_cluster(arn);
		s = find_by(W.services, "serviceArn", arn);
		if (!c && !s)
			return aws_fail(err, "ResourceNotFoundException");
		merge_tags(c ? c : s, "tags", json_object_get(p, "tags"), true);
		*ret = json_object();
		return 0;
	}
	if (streq(op, "PutClusterCapacityProviders") || streq(op, "DeleteCluster")) {
		c = find_cluster(str(p, "cluster"));
		if (!c)
			return aws_fail(err, "ClusterNotFoundException");
		if (streq(op, "DeleteCluster")) {
			json_array_foreach (W.services, i, s)
				if (streq(str(s, "clusterArn"), str(c, "clusterArn")) &&
				    !streq(str(s, "status"), "INACTIVE"))
					return aws_fail(err, "ClusterContainsServicesException");
			json_object_set_new(c, "status", json_string("INACTIVE"));
		} else {
			json_object_set(c, "capacityProviders",
					json_object_get(p, "capacityProviders"));
			json_object_set(c, "defaultCapacityProviderStrategy",
					json_object_get(p, "defaultCapacityProviderStrategy"));
		}
		*ret = json_pack("{s:O}", "cluster", c);
		return 0;
	}
	c = find_cluster(str(p, "cluster") ?: "default");
	if (!c)
		return aws_fail(err, "ClusterNotFoundException");
	if (streq(op, "DescribeServices")) {
		json_t *out = json_array(), *failures = json_array();

		ck_assert_uint_le(json_array_size(json_object_get(p, "services")), 10);
		json_array_foreach (json_object_get(p, "services"), i, v) {
			s = find_service(c, json_string_value(v));
			if (s) {
				json_array_append(out, s);
				/* draining ends by the next look */
				if (streq(str(s, "status"), "DRAINING"))
					json_object_set_new(s, "status", json_string("INACTIVE"));
			} else
				json_array_append_new(failures, json_pack("{s:O, s:s}", "arn", v,
									  "reason", "MISSING"));
		}
		*ret = json_pack("{s:o, s:o}", "services", out, "failures", failures);
		return 0;
	}
	if (streq(op, "CreateService")) {
		const char *tok = str(p, "clientToken");
		char arn[256];

		s = find_service(c, str(p, "serviceName"));
		if (s && !streq(str(s, "status"), "INACTIVE")) {
			if (tok && streq_ptr(str(W.tokens, tok), str(s, "serviceArn"))) {
				*ret = json_pack("{s:O}", "service", s);
				return 0;
			}
			return aws_fail(err, "InvalidParameterException");
		}
		if (s)
			remove_from(W.services, s);
		snprintf(arn, sizeof arn, "arn:aws:ecs:eu-west-1:123456789012:service/%s/%s",
			 str(c, "clusterName"), str(p, "serviceName"));
		s = json_deep_copy(p);
		json_object_del(s, "cluster");
		json_object_del(s, "clientToken");
		json_object_set_new(s, "serviceArn", json_string(arn));
		json_object_set(s, "clusterArn", json_object_get(c, "clusterArn"));
		json_object_set_new(s, "status", json_string("ACTIVE"));
		json_object_set_new(s, "runningCount", json_integer(0));
		if (!json_object_get(s, "tags"))
			json_object_set_new(s, "tags", json_array());
		/* what ECS fills in */
		if (!json_object_get(s, "healthCheckGracePeriodSeconds"))
			json_object_set_new(s, "healthCheckGracePeriodSeconds", json_integer(0));
		json_object_set_new(s, "deployments",
				    json_pack("[{s:s}]", "rolloutState", "IN_PROGRESS"));
		json_array_append_new(W.services, s);
		if (tok)
			json_object_set_new(W.tokens, tok, json_string(arn));
		*ret = json_pack("{s:O}", "service", s);
		return 0;
	}
	s = find_service(c, str(p, "service"));
	if (!s)
		return aws_fail(err, "ServiceNotFoundException");
	if (streq(str(s, "status"), "INACTIVE"))
		return aws_fail(err, "ServiceNotActiveException");
	if (streq(op, "UpdateService")) {
		const char *key;

		json_object_foreach ((json_t *)p, key, v)
			if (!streq(key, "cluster") && !streq(key, "service") &&
			    !streq(key, "forceNewDeployment"))
				json_object_set(s, key, v);
		if (json_object_get(p, "capacityProviderStrategy"))
			ck_assert(json_is_true(json_object_get(p, "forceNewDeployment")));
		*ret = json_pack("{s:O}", "service", s);
		return 0;
	}
	if (streq(op, "DeleteService")) {
		json_object_set_new(s, "status", json_string("DRAINING"));
		*ret = json_pack("{s:O}", "service", s);
		return 0;
	}
	return aws_fail(err, "UnknownOperation");
}

/* ---- CloudWatch Logs ---- */

static int fake_logs(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	json_t *g, *v;
	size_t i;

	if (streq(op, "DescribeLogGroups")) {
		const char *prefix = str(p, "logGroupNamePrefix") ?: "";
		json_t *out = json_array();

		json_array_foreach (W.groups, i, g)
			if (strncmp(str(g, "logGroupName"), prefix, strlen(prefix)) == 0) {
				/* no tags in DescribeLogGroups */
				v = json_deep_copy(g);
				json_object_del(v, "tags");
				json_array_append_new(out, v);
			}
		*ret = json_pack("{s:o}", "logGroups", out);
		return 0;
	}
	if (streq(op, "CreateLogGroup")) {
		if (find_by(W.groups, "logGroupName", str(p, "logGroupName")))
			return aws_fail(err, "ResourceAlreadyExistsException");
		json_array_append_new(W.groups,
				      json_pack("{s:O, s:O, s:i}", "logGroupName",
						json_object_get(p, "logGroupName"), "tags",
						json_object_get(p, "tags") ?: json_object(),
						"metricFilterCount", 0));
		*ret = json_object();
		return 0;
	}
	g = find_by(W.groups, "logGroupName", str(p, "logGroupName"));
	if (!g)
		return aws_fail(err, "ResourceNotFoundException");
	if (streq(op, "ListTagsLogGroup")) {
		*ret = json_pack("{s:O}", "tags", json_object_get(g, "tags"));
		return 0;
	}
	*ret = json_object();
	if (streq(op, "PutRetentionPolicy"))
		json_object_set(g, "retentionInDays", json_object_get(p, "retentionInDays"));
	else if (streq(op, "TagLogGroup"))
		json_object_update(json_object_get(g, "tags"), json_object_get(p, "tags"));
	else if (streq(op, "DeleteLogGroup"))
		remove_from(W.groups, g);
	else
		return aws_fail(err, "UnknownOperation");
	return 0;
}

/* ---- the ports ---- */

static int fake_call(const struct cohd_rec_call *call, json_t **ret, struct cohd_aws_error *err)
{
	if (streq(call->service, "secretsmanager"))
		return fake_secrets(call->operation, call->params, ret, err);
	if (streq(call->service, "iam"))
		return fake_iam(call->operation, call->params, ret, err);
	if (streq(call->service, "ecs"))
		return fake_ecs(call->operation, call->params, ret, err);
	if (streq(call->service, "logs"))
		return fake_logs(call->operation, call->params, ret, err);
	ck_abort_msg("unexpected service %s", call->service);
	return -EINVAL;
}

static const char *const fake_reads[] = {"Describe", "List", "Get", NULL};

/* What the real client would send: every member of every call must exist in the real model;
 * the generated password is never observed. */
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
	W.roles = json_array();
	W.clusters = json_array();
	W.services = json_array();
	W.groups = json_array();
	W.secret_values = json_object();
	W.tokens = json_object();
}

static void world_done(void)
{
	json_decref(W.secrets);
	json_decref(W.roles);
	json_decref(W.clusters);
	json_decref(W.services);
	json_decref(W.groups);
	json_decref(W.secret_values);
	json_decref(W.tokens);
	rec_fake_done();
}

/* Passes until one makes no call (at most 3: see test_converge_from_nothing). */
static void converge(struct cohd_rec_engine *e, const struct cohd_graph *g)
{
	for (int i = 0; i < 3; i++)
		if (rec_fake_run_pass(e, g, NULL) == 0)
			return;
	ck_abort_msg("did not converge in 3 passes");
}

static const char *name_prefix_override; /* tests of the naming fallback */

static struct cohd_rec_engine *engine_with(int env_type, const struct cohd_rec_type *const *types)
{
	struct cohd_rec_config cfg = {
		.app = "shop",
		.environment = "pr-1",
		.env_type = env_type,
		.region = "eu-west-1",
		.account = "123456789012",
		.partition = "aws",
		.name_prefix = name_prefix_override ? name_prefix_override : "shop-a1b2c3-pr-1",
		.types = types,
	};
	struct cohd_rec_engine *e = NULL;

	ck_assert_int_eq(cohd_rec_engine_new(&rec_fake_ops, &cfg, &e), 0);
	return e;
}

static struct cohd_rec_engine *engine(int env_type)
{
	return engine_with(env_type, cohd_resource_types);
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

static int mut_index(const char *op)
{
	const json_t *v;
	size_t i;

	json_array_foreach (RF.mut_log, i, v)
		if (streq(str(v, "op"), op))
			return (int)i;
	return -1;
}

static const json_t *status_res(const json_t *st, const char *id)
{
	const json_t *r;
	size_t i;

	json_array_foreach (json_object_get(st, "resources"), i, r)
		if (streq(str(r, "id"), id))
			return r;
	return NULL;
}

static const char *res_sync(const json_t *st, const char *id)
{
	const json_t *r = status_res(st, id);

	ck_assert_msg(r, "%s not in status", id);
	return str(r, "sync");
}

/* ---- desired graph: what the compiler emits for one backend (shapes copied from
 * compile_ecs.c, compile_iam.c, compile_data.c, compile_network.c) ---- */

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

static json_t *trust(const char *service)
{
	return json_pack("{s:s, s:[{s:s, s:{s:[s]}, s:s}]}", "Version", "2012-10-17", "Statement",
			 "Effect", "Allow", "Principal", "Service", service, "Action",
			 "sts:AssumeRole");
}

static struct cohd_graph *graph_backend(bool with_secret_policy, int desired, bool spot)
{
	struct cohd_graph *g = cohd_graph_new();
	json_t *svc;

	ck_assert_ptr_nonnull(g);
	add(g, "secretsmanager.secret", "env/pr-1/db/credentials", "cohd/shop-a1b2c3/pr-1/db-creds",
	    json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:i}}, s:i}", "Name",
		      "cohd/shop-a1b2c3/pr-1/db-creds", "Description", "cohd: master credentials",
		      "SecretString", "username", "app", "password", "Generate", "password",
		      "Length", 40, "cohd:RecoveryWindowInDays", 0));
	add(g, "iam.role", "env/pr-1/iam/execution-role", "shop-a1b2c3-pr-1-exec",
	    json_pack(
		    "{s:s, s:s, s:s, s:o, s:i, s:[], s:[{s:s, s:{s:s, s:[{s:s, s:[s], s:[o]}]}}]}",
		    "RoleName", "shop-a1b2c3-pr-1-exec", "Path", "/cohd/", "Description",
		    "cohd: pulls images", "AssumeRolePolicyDocument",
		    trust("ecs-tasks.amazonaws.com"), "MaxSessionDuration", 3600,
		    "ManagedPolicyArns", "Policies", "PolicyName", "shop-a1b2c3-pr-1-exec",
		    "PolicyDocument", "Version", "2012-10-17", "Statement", "Effect", "Allow",
		    "Action", "secretsmanager:GetSecretValue", "Resource",
		    with_secret_policy
			    ? cohd_ref("env/pr-1/db/credentials", "Arn")
			    : json_string(
				      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x")));
	add(g, "iam.role", "app/iam/bastion-role", "shop-a1b2c3-bastion",
	    json_pack("{s:s, s:s, s:s, s:o, s:[s], s:[]}", "RoleName", "shop-a1b2c3-bastion",
		      "Path", "/cohd/", "Description", "cohd: SSM session host",
		      "AssumeRolePolicyDocument", trust("ec2.amazonaws.com"), "ManagedPolicyArns",
		      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", "Policies"));
	add(g, "ecs.cluster", "app/ecs-cluster", "shop-a1b2c3",
	    json_pack("{s:s, s:[s, s], s:[{s:s, s:i, s:i}]}", "clusterName", "shop-a1b2c3",
		      "capacityProviders", "FARGATE", "FARGATE_SPOT",
		      "defaultCapacityProviderStrategy", "capacityProvider", "FARGATE", "base", 1,
		      "weight", 100));
	svc = json_pack("{s:o, s:s, s:s, s:i, s:s, s:{s:{s:[s, s], s:[s], s:s}}, "
			"s:{s:{s:b, s:b}, s:i, s:i}, s:b, s:s, s:b, s:s}",
			"cluster", cohd_ref("app/ecs-cluster", "clusterArn"), "serviceName",
			"shop-a1b2c3-pr-1-api", "taskDefinition",
			"arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-a1b2c3-pr-1-api:1",
			"desiredCount", desired, "platformVersion", "LATEST",
			"networkConfiguration", "awsvpcConfiguration", "subnets", "subnet-2",
			"subnet-1", "securityGroups", "sg-1", "assignPublicIp", "DISABLED",
			"deploymentConfiguration", "deploymentCircuitBreaker", "enable", 1,
			"rollback", 1, "maximumPercent", 200, "minimumHealthyPercent", 100,
			"enableECSManagedTags", 1, "propagateTags", "SERVICE",
			"enableExecuteCommand", 0, "schedulingStrategy", "REPLICA");
	if (spot)
		json_object_set_new(svc, "capacityProviderStrategy",
				    json_pack("[{s:s, s:i, s:i}]", "capacityProvider",
					      "FARGATE_SPOT", "weight", 100, "base", 0));
	else
		json_object_set_new(svc, "launchType", json_string("FARGATE"));
	add(g, "ecs.service", "svc/api/ecs-service", "shop-a1b2c3-pr-1-api", svc);
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	return g;
}

START_TEST(test_converge_from_nothing)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_backend(true, 1, true);
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL, *st2 = NULL, *st3 = NULL;
	const json_t *p, *role;

	world_init();
	e = engine(2);
	/* Pass 1: everything. The execution role's policy names the secret's "Arn", which the
	 * CreateSecret answer spells "ARN" (the type's `project` applies to create results too);
	 * DescribeServices on a cluster that does not exist yet (ClusterNotFoundException) means
	 * "no services there", so the service is created on the pass that creates the cluster. */
	rec_fake_run_pass(e, g, &st);
	if (getenv("DEBUG_STATUS"))
		json_dumpf(st, stderr, JSON_INDENT(1));
	ck_assert_uint_eq(op_count("CreateSecret"), 1);
	ck_assert_uint_eq(op_count("CreateRole"), 2);
	ck_assert_uint_eq(op_count("AttachRolePolicy"), 1);
	ck_assert_uint_eq(op_count("PutRolePolicy"), 1);
	ck_assert_uint_eq(op_count("CreateCluster"), 1);
	ck_assert_uint_eq(op_count("CreateService"), 1);
	ck_assert_str_eq(res_sync(st, "env/pr-1/iam/execution-role"), "synced");
	ck_assert_str_eq(res_sync(st, "svc/api/ecs-service"), "synced");

	p = mut_params("CreateSecret", 0);
	ck_assert_uint_eq(strlen(str(p, "ClientRequestToken")), 32);
	ck_assert_ptr_null(json_object_get(p, "cohd:RecoveryWindowInDays"));
	ck_assert_ptr_nonnull(strstr(str(p, "SecretString"), "\"password\":\"s3cr3t-password\""));
	p = mut_params("CreateRole", 0);
	ck_assert_ptr_null(json_object_get(p, "Policies"));
	ck_assert_ptr_null(json_object_get(p, "ManagedPolicyArns"));
	ck_assert(json_is_string(json_object_get(p, "AssumeRolePolicyDocument")));
	ck_assert_str_eq(str(json_array_get(json_object_get(p, "Tags"), 0), "Key"), "ManagedBy");
	ck_assert_int_gt(mut_index("AttachRolePolicy"), mut_index("CreateRole"));

	/* Pass 2: nothing more. */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st2), 0);
	if (getenv("DEBUG_STATUS"))
		json_dumpf(st2, stderr, JSON_INDENT(1));
	ck_assert_uint_eq(op_count("CreateRole"), 2);
	ck_assert_uint_eq(op_count("PutRolePolicy"), 1);
	ck_assert_uint_eq(op_count("CreateService"), 1);
	ck_assert_uint_eq(op_count("CreateSecret"), 1);
	ck_assert_uint_eq(op_count("CreateCluster"), 1);
	p = mut_params("PutRolePolicy", 0);
	ck_assert_ptr_nonnull(strstr(str(p, "PolicyDocument"), "secret:cohd/shop-a1b2c3"));
	ck_assert_int_gt(mut_index("PutRolePolicy"), mut_index("CreateRole"));
	p = mut_params("CreateService", 0);
	ck_assert_str_eq(str(p, "cluster"),
			 "arn:aws:ecs:eu-west-1:123456789012:cluster/shop-a1b2c3");
	ck_assert_uint_eq(strlen(str(p, "clientToken")), 32);
	ck_assert_str_eq(str(json_array_get(json_object_get(p, "tags"), 0), "key"), "ManagedBy");
	ck_assert_str_eq(str(st2, "sync"), "synced");
	ck_assert_uint_eq(RF.mutations, 7);

	role = find_by(W.roles, "RoleName", "shop-a1b2c3-pr-1-exec");
	ck_assert_uint_eq(json_array_size(json_object_get(role, "RolePolicyList")), 1);

	/* Pass 3: nothing to do, one describe per type (no per-role reads). */
	json_array_clear(RF.log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st3), 0);
	ck_assert_str_eq(str(st3, "sync"), "synced");
	ck_assert_uint_eq(json_array_size(RF.log), 4);
	world_done();
}
END_TEST

START_TEST(test_drift_corrected)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_backend(false, 1, false);
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_t *role, *svc, *sec, *cl;
	const json_t *p;

	world_init();
	e = engine(0);
	converge(e, g);

	/* someone edits the trust policy, the inline policy, the service, the cluster, tags */
	role = find_by(W.roles, "RoleName", "shop-a1b2c3-pr-1-exec");
	json_object_set_new(
		role, "AssumeRolePolicyDocument",
		url_encoded("{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":"
			    "\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},"
			    "\"Action\":\"sts:AssumeRole\"}}"));
	json_object_set_new(json_array_get(json_object_get(role, "RolePolicyList"), 0),
			    "PolicyDocument",
			    url_encoded("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
					"\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"));
	svc = json_array_get(W.services, 0);
	json_object_set_new(svc, "taskDefinition",
			    json_string("arn:aws:ecs:eu-west-1:123456789012:task-definition/x:9"));
	json_object_set_new(json_object_get(json_object_get(svc, "networkConfiguration"),
					    "awsvpcConfiguration"),
			    "subnets", json_pack("[s]", "subnet-9"));
	cl = json_array_get(W.clusters, 0);
	json_object_set_new(cl, "capacityProviders", json_pack("[s]", "FARGATE"));
	sec = json_array_get(W.secrets, 0);
	json_object_set_new(sec, "Description", json_string("changed by hand"));
	json_array_clear(json_object_get(sec, "Tags"));
	json_array_append_new(
		json_object_get(sec, "Tags"),
		json_pack("{s:s, s:s}", "Key", "cohd:id", "Value", "env/pr-1/db/credentials"));
	json_array_append_new(json_object_get(sec, "Tags"),
			      json_pack("{s:s, s:s}", "Key", "Application", "Value", "shop"));
	json_array_append_new(json_object_get(sec, "Tags"),
			      json_pack("{s:s, s:s}", "Key", "ManagedBy", "Value", "coherence"));
	json_array_clear(RF.mut_log);

	/* UpdateAssumeRolePolicy, PutRolePolicy, one UpdateService, PutClusterCapacityProviders,
	 * UpdateSecret, TagResource (the Environment tag) */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 6);
	p = mut_params("UpdateAssumeRolePolicy", 0);
	ck_assert_ptr_nonnull(strstr(str(p, "PolicyDocument"), "ecs-tasks.amazonaws.com"));
	ck_assert_uint_eq(op_count("PutRolePolicy"), 1);
	p = mut_params("UpdateService", 0);
	ck_assert_ptr_nonnull(json_object_get(p, "taskDefinition"));
	ck_assert_ptr_nonnull(json_object_get(p, "networkConfiguration"));
	ck_assert_ptr_null(json_object_get(p, "desiredCount"));
	p = mut_params("PutClusterCapacityProviders", 0);
	ck_assert_uint_eq(json_array_size(json_object_get(p, "capacityProviders")), 2);
	ck_assert_uint_eq(json_array_size(json_object_get(p, "defaultCapacityProviderStrategy")),
			  1);
	p = mut_params("UpdateSecret", 0);
	ck_assert_ptr_null(json_object_get(p, "SecretString"));
	p = mut_params("TagResource", 0);
	ck_assert_str_eq(str(json_array_get(json_object_get(p, "Tags"), 0), "Key"), "Environment");
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);

	/* A policy added by hand whose name sorts first is left alone; ours is still compared. */
	json_array_append_new(
		json_object_get(role, "RolePolicyList"),
		json_pack("{s:s, s:s}", "PolicyName", "aaa-by-hand", "PolicyDocument", "%7B%7D"));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	world_done();
}
END_TEST

START_TEST(test_equivalent_forms_match)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_backend(false, 1, true);
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_t *role, *svc;

	world_init();
	e = engine(2);
	converge(e, g);
	/* AWS's own spellings: a statement as a one-item list, actions as a string, subnets in
	 * another order, strategy without base. None of it is drift. */
	role = find_by(W.roles, "RoleName", "shop-a1b2c3-bastion");
	json_object_set_new(role, "AssumeRolePolicyDocument",
			    url_encoded("{\"Statement\":[{\"Action\":[\"sts:AssumeRole\"],"
					"\"Principal\":{\"Service\":[\"ec2.amazonaws.com\"]},"
					"\"Effect\":\"Allow\"}],\"Version\":\"2012-10-17\"}"));
	svc = json_array_get(W.services, 0);
	json_object_set_new(json_object_get(json_object_get(svc, "networkConfiguration"),
					    "awsvpcConfiguration"),
			    "subnets", json_pack("[s, s]", "subnet-1", "subnet-2"));
	json_object_set_new(
		svc, "capacityProviderStrategy",
		json_pack("[{s:s, s:i}]", "capacityProvider", "FARGATE_SPOT", "weight", 100));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	world_done();
}
END_TEST

START_TEST(test_desired_count_and_adopt)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_backend(false, 2, true);
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL, *e2 = NULL;
	const json_t *p;

	world_init();
	e = engine(2);
	converge(e, g);
	json_object_set_new(json_array_get(W.services, 0), "desiredCount", json_integer(5));
	json_array_clear(RF.mut_log);
	/* no autoscaling target governs it in this graph: corrected */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 1);
	p = mut_params("UpdateService", 0);
	ck_assert_int_eq(json_integer_value(json_object_get(p, "desiredCount")), 2);
	ck_assert_ptr_null(json_object_get(p, "forceNewDeployment"));

	/* The database is lost: a new engine finds everything by tags and makes nothing. */
	e2 = engine(2);
	ck_assert_uint_eq(rec_fake_run_pass(e2, g, NULL), 0);

	/* A role with our name and our tags but no cohd:id (made by a crashed create before it
	 * could be tagged? CreateRole tags atomically, so by hand): adopted with TagRole. */
	json_array_clear(
		json_object_get(find_by(W.roles, "RoleName", "shop-a1b2c3-bastion"), "Tags"));
	json_array_append_new(
		json_object_get(find_by(W.roles, "RoleName", "shop-a1b2c3-bastion"), "Tags"),
		json_pack("{s:s, s:s}", "Key", "ManagedBy", "Value", "coherence"));
	json_array_append_new(
		json_object_get(find_by(W.roles, "RoleName", "shop-a1b2c3-bastion"), "Tags"),
		json_pack("{s:s, s:s}", "Key", "Application", "Value", "shop"));
	json_array_clear(RF.mut_log);
	ck_assert_uint_eq(rec_fake_run_pass(e2, g, NULL), 1);
	ck_assert_uint_eq(op_count("TagRole"), 1);
	ck_assert_uint_eq(rec_fake_run_pass(e2, g, NULL), 0);
	world_done();
}
END_TEST

START_TEST(test_foreign_role_untouched)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_backend(false, 1, true);
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;

	world_init();
	/* someone else's role carries our deterministic name */
	json_array_append_new(W.roles,
			      json_pack("{s:s, s:s, s:s, s:s, s:[], s:[], s:[]}", "Path", "/",
					"RoleName", "shop-a1b2c3-bastion", "Arn",
					"arn:aws:iam::123456789012:role/shop-a1b2c3-bastion",
					"AssumeRolePolicyDocument", "%7B%7D", "RolePolicyList",
					"AttachedManagedPolicies", "Tags"));
	e = engine(2);
	rec_fake_run_pass(e, g, &st);
	ck_assert_str_eq(res_sync(st, "app/iam/bastion-role"), "error");
	ck_assert_uint_eq(op_count("CreateRole"), 1); /* only the other role */
	ck_assert_uint_eq(op_count("TagRole"), 0);
	ck_assert_uint_eq(op_count("AttachRolePolicy"), 0);
	world_done();
}
END_TEST

START_TEST(test_delete)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_backend(false, 1, true);
	_cleanup_(cohd_graph_freep) struct cohd_graph *empty = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;
	const json_t *p;

	world_init();
	e = engine(2);
	converge(e, g);
	ck_assert_int_eq(cohd_graph_finalize(empty, NULL), 0);

	/* Everything leaves the file and goes in one pass (deletion grace 0, preview: no
	 * confirmation). DescribeServices needs names: observe is told the remembered services
	 * too (by their last name), so the orphaned service is found and deleted before the
	 * cluster. */
	json_array_clear(RF.mut_log);
	rec_fake_run_pass(e, empty, &st);
	if (getenv("DEBUG_STATUS")) {
		json_dumpf(st, stderr, JSON_INDENT(1));
		json_dumpf(RF.log, stderr, 0);
	}
	/* previews delete secrets at once (no recovery window) */
	p = mut_params("DeleteSecret", 0);
	ck_assert(json_is_true(json_object_get(p, "ForceDeleteWithoutRecovery")));
	ck_assert_uint_eq(json_array_size(W.secrets), 0);
	ck_assert_uint_eq(op_count("DeleteService"), 1);
	ck_assert_uint_eq(op_count("DeleteCluster"), 1);
	ck_assert_int_lt(mut_index("DeleteService"), mut_index("DeleteCluster"));
	ck_assert_ptr_null(status_res(st, "app/ecs-cluster"));
	/* roles: their inline and managed policies off first, then DeleteRole, in one action */
	ck_assert_uint_eq(op_count("DeleteRolePolicy"), 1);
	ck_assert_uint_eq(op_count("DetachRolePolicy"), 1);
	ck_assert_uint_eq(op_count("DeleteRole"), 2);
	ck_assert_int_lt(mut_index("DeleteRolePolicy"), mut_index("DeleteRole"));
	ck_assert_uint_eq(json_array_size(W.roles), 0);
	ck_assert_ptr_null(status_res(st, "app/iam/bastion-role"));

	/* INACTIVE leftovers are not resources: the pass after deletes nothing. */
	ck_assert_str_eq(str(json_array_get(W.clusters, 0), "status"), "INACTIVE");
	json_array_clear(RF.mut_log);
	ck_assert_uint_eq(rec_fake_run_pass(e, empty, NULL), 0);
	world_done();
}
END_TEST

/* Production: a secret leaving the file waits for `cohd-status delete --confirm`, then goes
 * with AWS's longest recovery window (the orphan's resource is gone from the graph). */
START_TEST(test_secret_delete_needs_confirmation)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_backend(false, 1, false);
	_cleanup_(cohd_graph_freep) struct cohd_graph *empty = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;
	const json_t *p;

	world_init();
	e = engine(0);
	converge(e, g);
	ck_assert_int_eq(cohd_graph_finalize(empty, NULL), 0);
	json_array_clear(RF.mut_log);
	rec_fake_run_pass(e, empty, &st);
	ck_assert_uint_eq(op_count("DeleteSecret"), 0);
	ck_assert_str_eq(res_sync(st, "env/pr-1/db/credentials"), "deleting");
	cohd_rec_engine_confirm_delete(e);
	rec_fake_run_pass(e, empty, NULL);
	p = mut_params("DeleteSecret", 0);
	ck_assert_int_eq(json_integer_value(json_object_get(p, "RecoveryWindowInDays")), 30);
	ck_assert_ptr_null(json_object_get(p, "ForceDeleteWithoutRecovery"));
	world_done();
}
END_TEST

/* logs.log_group: the first pass creates the group with its tags and sets the retention right
 * after. DescribeLogGroups has no tags: the engine reads them (ListTagsLogGroup) for each
 * described group before matching, so the second pass finds it ours and synced. */
START_TEST(test_log_group)
{
	static const struct cohd_rec_type *const types[] = {&cohd_resource_logs_log_group, NULL};
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;
	const json_t *p;

	world_init();
	add(g, "logs.log_group", "svc/api/log-group", "/ecs/shop-a1b2c3/pr-1/api",
	    json_pack("{s:s, s:i}", "logGroupName", "/ecs/shop-a1b2c3/pr-1/api", "retentionInDays",
		      7));
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	e = engine_with(2, types);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 2);
	p = mut_params("CreateLogGroup", 0);
	ck_assert_str_eq(str(json_object_get(p, "tags"), "cohd:id"), "svc/api/log-group");
	ck_assert_ptr_null(json_object_get(p, "retentionInDays"));
	p = mut_params("PutRetentionPolicy", 0);
	ck_assert_int_eq(json_integer_value(json_object_get(p, "retentionInDays")), 7);
	ck_assert_int_eq(
		json_integer_value(json_object_get(json_array_get(W.groups, 0), "retentionInDays")),
		7);

	/* Found by its tags: synced, one describe and one tag read. */
	json_array_clear(RF.mut_log);
	json_array_clear(RF.log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 0);
	ck_assert_str_eq(res_sync(st, "svc/api/log-group"), "synced");
	ck_assert_uint_eq(json_array_size(RF.log), 2);
	/* A retention changed by hand is corrected. */
	json_object_set_new(json_array_get(W.groups, 0), "retentionInDays", json_integer(30));
	json_decref(st); /* the next pass's status replaces it */
	st = NULL;
	ck_assert_uint_eq(rec_fake_run_pass(e, g, &st), 1);
	ck_assert_uint_eq(op_count("PutRetentionPolicy"), 1);
	world_done();
}
END_TEST

/* Task definitions: what ECS fills in is not drift. */
START_TEST(test_task_definition_normalise)
{
	const struct cohd_rec_type *t = &cohd_resource_ecs_task_definition;
	const struct cohd_rec_field *f = NULL;
	json_auto_t *want = NULL, *have = NULL, *a = NULL, *b = NULL;

	for (size_t i = 0; i < t->n_fields; i++)
		if (streq(t->fields[i].path, "containerDefinitions"))
			f = &t->fields[i];
	ck_assert_ptr_nonnull(f);
	want = json_pack("[{s:s, s:s, s:b, s:[{s:s, s:s}, {s:s, s:s}], s:[], "
			 "s:[{s:i, s:i, s:s}]}]",
			 "name", "api", "image", "x:1", "essential", 1, "environment", "name", "A",
			 "value", "1", "name", "B", "value", "2", "secrets", "portMappings",
			 "containerPort", 3000, "hostPort", 3000, "protocol", "tcp");
	have = json_pack("[{s:s, s:s, s:i, s:b, s:[{s:s, s:s}, {s:s, s:s}], s:[], s:[], s:[], "
			 "s:[{s:i}]}]",
			 "name", "api", "image", "x:1", "cpu", 0, "essential", 1, "environment",
			 "name", "B", "value", "2", "name", "A", "value", "1", "mountPoints",
			 "volumesFrom", "systemControls", "portMappings", "containerPort", 3000);
	a = cohd_rec_normalise(f, want, false);
	b = cohd_rec_normalise(f, have, true);
	ck_assert(json_equal(a, b));
	/* a new image is a difference */
	json_object_set_new(json_array_get(have, 0), "image", json_string("x:2"));
	json_decref(b);
	b = cohd_rec_normalise(f, have, true);
	ck_assert(!json_equal(a, b));
}
END_TEST

/* The service's cluster comes from its resolved "cluster" (the cluster type is observed first),
 * not only from the naming scheme. */
START_TEST(test_service_cluster_from_props)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_backend(false, 1, true);
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;

	world_init();
	name_prefix_override = "not-the-naming-scheme";
	e = engine(2);
	converge(e, g);
	ck_assert_uint_eq(op_count("CreateService"), 1);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	name_prefix_override = NULL;
	world_done();
}
END_TEST

static const struct cohd_rec_field *field_of_type(const struct cohd_rec_type *t, const char *path)
{
	for (size_t i = 0; i < t->n_fields; i++)
		if (streq(t->fields[i].path, path))
			return &t->fields[i];
	ck_abort_msg("%s has no field %s", t->name, path);
	return NULL;
}

/* ELBv2: what ELB fills into rules and listeners is not drift. */
START_TEST(test_elbv2_normalise)
{
	const struct cohd_rec_field *cond =
		field_of_type(&cohd_resource_elbv2_listener_rule, "Conditions");
	const struct cohd_rec_field *act =
		field_of_type(&cohd_resource_elbv2_listener, "DefaultActions");
	json_auto_t *want = NULL, *have = NULL, *a = NULL, *b = NULL;

	want = json_pack("[{s:s, s:{s:[s, s]}}, {s:s, s:{s:[s]}}]", "Field", "host-header",
			 "HostHeaderConfig", "Values", "pr-1.shop.example", "*.pr-1.shop.example",
			 "Field", "path-pattern", "PathPatternConfig", "Values", "/*");
	have = json_pack("[{s:s, s:[s], s:{s:[s]}}, {s:s, s:[s, s], s:{s:[s, s]}}]", "Field",
			 "path-pattern", "Values", "/*", "PathPatternConfig", "Values", "/*",
			 "Field", "host-header", "Values", "*.pr-1.shop.example",
			 "pr-1.shop.example", "HostHeaderConfig", "Values", "*.pr-1.shop.example",
			 "pr-1.shop.example");
	a = cohd_rec_normalise(cond, want, false);
	b = cohd_rec_normalise(cond, have, true);
	ck_assert(json_equal(a, b));
	json_decref(want), json_decref(have), json_decref(a), json_decref(b);

	want = json_pack("[{s:s, s:{s:s, s:s, s:s}}]", "Type", "redirect", "RedirectConfig",
			 "Protocol", "HTTPS", "Port", "443", "StatusCode", "HTTP_301");
	have = json_pack("[{s:s, s:i, s:{s:s, s:s, s:s, s:s, s:s, s:s}}]", "Type", "redirect",
			 "Order", 1, "RedirectConfig", "Protocol", "HTTPS", "Port", "443", "Host",
			 "#{host}", "Path", "/#{path}", "Query", "#{query}", "StatusCode",
			 "HTTP_301");
	a = cohd_rec_normalise(act, want, false);
	b = cohd_rec_normalise(act, have, true);
	ck_assert(json_equal(a, b));
}
END_TEST

/* Twelve workers: DescribeServices takes ten names, so observe is two calls. */
START_TEST(test_services_in_tens)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = graph_backend(false, 1, true);
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	const json_t *v;
	unsigned n = 0;
	size_t i;

	world_init();
	for (int k = 0; k < 11; k++) {
		char id[64], name[64];
		json_t *p = json_deep_copy(cohd_graph_find(g, "svc/api/ecs-service")->properties);

		snprintf(id, sizeof id, "svc/api/worker/w%d/ecs-service", k);
		snprintf(name, sizeof name, "shop-a1b2c3-pr-1-api-worker-w%d", k);
		json_object_set_new(p, "serviceName", json_string(name));
		add(g, "ecs.service", id, name, p);
	}
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	e = engine(2);
	converge(e, g);
	ck_assert_uint_eq(op_count("CreateService"), 12);
	json_array_clear(RF.log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	json_array_foreach (RF.log, i, v)
		n += streq(json_string_value(v), "DescribeServices");
	ck_assert_uint_eq(n, 2);
	world_done();
}
END_TEST

/* Preview -> production: a Spot strategy cannot become a launch type in place. The name is
 * unique on the cluster: delete (forced), wait until ECS says INACTIVE, then create. */
START_TEST(test_service_replace)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *spot = graph_backend(false, 1, true);
	_cleanup_(cohd_graph_freep) struct cohd_graph *fargate = graph_backend(false, 1, false);
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_auto_t *st = NULL;
	const json_t *p;

	world_init();
	e = engine(2);
	converge(e, spot);
	json_array_clear(RF.mut_log);
	rec_fake_run_pass(e, fargate, &st);
	if (getenv("DEBUG_STATUS"))
		json_dumpf(st, stderr, JSON_INDENT(1));
	p = mut_params("DeleteService", 0);
	ck_assert(json_is_true(json_object_get(p, "force")));
	ck_assert_str_eq(str(p, "cluster"),
			 "arn:aws:ecs:eu-west-1:123456789012:cluster/shop-a1b2c3");
	ck_assert_int_lt(mut_index("DeleteService"), mut_index("CreateService"));
	p = mut_params("CreateService", 0);
	ck_assert_str_eq(str(p, "launchType"), "FARGATE");
	ck_assert_str_eq(str(st, "sync"), "synced");
	ck_assert_uint_eq(rec_fake_run_pass(e, fargate, NULL), 0);
	world_done();
}
END_TEST

START_TEST(test_existing_secret_never_created)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	struct cohd_resource *r = NULL;

	world_init();
	ck_assert_int_eq(cohd_graph_add(g, "secretsmanager.secret", "env/pr-1/db/credentials",
					"their/secret", COHD_SCOPE_ENVIRONMENT,
					json_pack("{s:s, s:b}", "SecretId", "their/secret",
						  "cohd:Existing", 1),
					&r),
			 0);
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	e = engine(0);
	rec_fake_run_pass(e, g, NULL);
	ck_assert_uint_eq(op_count("CreateSecret"), 0);
	world_done();
}
END_TEST

static Suite *resources_compute_suite(void)
{
	Suite *s = suite_create("resources_compute");
	const struct {
		const char *name;
		const TTest *fn;
	} cases[] = {
		{"builders_serialize", test_builders_serialize},
		{"converge", test_converge_from_nothing},
		{"drift", test_drift_corrected},
		{"equivalent_forms", test_equivalent_forms_match},
		{"desired_count_adopt", test_desired_count_and_adopt},
		{"foreign", test_foreign_role_untouched},
		{"delete", test_delete},
		{"service_replace", test_service_replace},
		{"services_in_tens", test_services_in_tens},
		{"service_cluster_from_props", test_service_cluster_from_props},
		{"secret_confirm", test_secret_delete_needs_confirmation},
		{"log_group", test_log_group},
		{"task_definition_normalise", test_task_definition_normalise},
		{"elbv2_normalise", test_elbv2_normalise},
		{"existing_secret", test_existing_secret_never_created},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_test(tc, cases[i].fn);
		tcase_set_timeout(tc, 60);
		suite_add_tcase(s, tc);
	}
	return s;
}

COHD_TEST_MAIN(resources_compute_suite)
