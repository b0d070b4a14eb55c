/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cohd_model_check(): the graph invariants (see check.h). Pure; depends on util and jansson.
 */
#include "lib/model/check.h"

static const struct {
	const char *type;
	enum cohd_name_kind kind;
	const char *field; /* the property that must equal the name, or NULL */
} type_kinds[] = {
	{ "application_autoscaling.scaling_policy", COHD_NAME_SCALING_POLICY, "PolicyName" },
	{ "cloudfront.cache_policy", COHD_NAME_CLOUDFRONT, NULL },
	{ "cloudfront.origin_request_policy", COHD_NAME_CLOUDFRONT, NULL },
	{ "cloudfront.response_headers_policy", COHD_NAME_CLOUDFRONT, NULL },
	{ "cloudwatch.alarm", COHD_NAME_ALARM, "AlarmName" },
	{ "codebuild.project", COHD_NAME_CODEBUILD, "name" },
	{ "codepipeline.pipeline", COHD_NAME_CODEPIPELINE, NULL },
	{ "ec2.eip", COHD_NAME_EC2_TAG, NULL },
	{ "ec2.instance", COHD_NAME_EC2_TAG, NULL },
	{ "ec2.internet_gateway", COHD_NAME_EC2_TAG, NULL },
	{ "ec2.nat_gateway", COHD_NAME_EC2_TAG, NULL },
	{ "ec2.route_table", COHD_NAME_EC2_TAG, NULL },
	{ "ec2.security_group", COHD_NAME_SECURITY_GROUP, "GroupName" },
	{ "ec2.subnet", COHD_NAME_EC2_TAG, NULL },
	{ "ec2.vpc", COHD_NAME_EC2_TAG, NULL },
	{ "ecr.repository", COHD_NAME_ECR, "repositoryName" },
	{ "ecs.cluster", COHD_NAME_ECS, "clusterName" },
	{ "ecs.service", COHD_NAME_ECS, "serviceName" },
	{ "ecs.task_definition", COHD_NAME_ECS, "family" },
	{ "elasticache.cache_cluster", COHD_NAME_ELASTICACHE, "CacheClusterId" },
	{ "elasticache.cache_subnet_group", COHD_NAME_SUBNET_GROUP, "CacheSubnetGroupName" },
	{ "elasticache.replication_group", COHD_NAME_ELASTICACHE, "ReplicationGroupId" },
	{ "elbv2.load_balancer", COHD_NAME_ALB, "Name" },
	{ "elbv2.target_group", COHD_NAME_TARGET_GROUP, "Name" },
	{ "events.rule", COHD_NAME_EVENTS_RULE, "Name" },
	{ "iam.instance_profile", COHD_NAME_INSTANCE_PROFILE, "InstanceProfileName" },
	{ "iam.role", COHD_NAME_IAM_ROLE, "RoleName" },
	{ "lambda.function", COHD_NAME_LAMBDA, "FunctionName" },
	{ "logs.log_group", COHD_NAME_LOG_GROUP, "logGroupName" },
	{ "rds.db_instance", COHD_NAME_RDS, "DBInstanceIdentifier" },
	{ "rds.db_proxy", COHD_NAME_RDS_PROXY, "DBProxyName" },
	{ "rds.db_subnet_group", COHD_NAME_SUBNET_GROUP, "DBSubnetGroupName" },
	{ "s3.bucket", COHD_NAME_S3_BUCKET, "Bucket" },
	{ "secretsmanager.secret", COHD_NAME_SECRET, "Name" },
};

static int find_kind(const char *type)
{
	for (size_t i = 0; i < ELEMENTSOF(type_kinds); i++)
		if (streq(type_kinds[i].type, type))
			return (int)i;
	return -EINVAL;
}

int cohd_model_name_kind(const char *type)
{
	int i = find_kind(type);

	return i < 0 ? i : (int)type_kinds[i].kind;
}

static bool is_secrets_action(const json_t *a)
{
	const char *s = json_string_value(a);

	return s && (strncasecmp(s, "secretsmanager:", 15) == 0 || streq(s, "*"));
}

static bool has_star(const json_t *resources)
{
	size_t i;
	json_t *v;

	if (json_is_string(resources))
		return streq(json_string_value(resources), "*");
	json_array_foreach(resources, i, v)
		if (json_is_string(v) && streq(json_string_value(v), "*"))
			return true;
	return false;
}

/* Walk every {"Statement": [...]} below v. */
static int check_policies(const json_t *v, const char *id, struct cohd_error *reterr)
{
	const char *key;
	json_t *item;
	size_t i;
	int r;

	if (json_is_object(v)) {
		json_t *st = json_object_get(v, "Statement");

		json_array_foreach(st, i, item) {
			json_t *actions = json_object_get(item, "Action"), *a;
			size_t j;
			bool secrets = is_secrets_action(actions);

			json_array_foreach(actions, j, a)
				secrets |= is_secrets_action(a);
			if (secrets && has_star(json_object_get(item, "Resource")))
				return cohd_error_set(reterr, -EINVAL,
						      "%s: a policy grants secretsmanager on \"*\"", id);
		}
		json_object_foreach((json_t *)v, key, item) {
			r = check_policies(item, id, reterr);
			if (r < 0)
				return r;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item) {
			r = check_policies(item, id, reterr);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* "env/<env>/..." -> <env> (*ret_len bytes), or NULL. */
static const char *id_env(const char *id, size_t *ret_len)
{
	const char *e, *end;

	if (strncmp(id, "env/", 4) != 0)
		return NULL;
	e = id + 4;
	end = strchr(e, '/');
	if (!end || end == e || !end[1])
		return NULL;
	*ret_len = (size_t)(end - e);
	return e;
}

/* The id says the scope: "app/..." (application), "env/<env>/..." (environment),
 * "env/<env>/svc/<service>/..." (service), with one <env> in the whole graph. Each environment
 * is reconciled on its own and claims the resources tagged with its ids: an id that does not
 * name its environment would be claimed by every environment of the app (and the extra items
 * deleted as superseded). */
static int check_id(const struct cohd_resource *res, const char **env, size_t *env_len,
		    struct cohd_error *reterr)
{
	const char *e;
	size_t n = 0;

	if (res->scope == COHD_SCOPE_APPLICATION) {
		if (strncmp(res->id, "app/", 4) != 0 || !res->id[4])
			return cohd_error_set(reterr, -EINVAL,
					      "%s: an application resource's id must start with app/",
					      res->id);
		return 0;
	}
	e = id_env(res->id, &n);
	if (res->scope == COHD_SCOPE_SERVICE &&
	    (!e || strncmp(e + n, "/svc/", 5) != 0 || e[n + 5] == '/' || !strchr(e + n + 5, '/')))
		return cohd_error_set(reterr, -EINVAL,
				      "%s: a service resource's id must start with "
				      "env/<environment>/svc/<service>/",
				      res->id);
	if (!e)
		return cohd_error_set(reterr, -EINVAL,
				      "%s: an environment resource's id must start with "
				      "env/<environment>/",
				      res->id);
	if (!*env) {
		*env = e;
		*env_len = n;
	} else if (*env_len != n || strncmp(*env, e, n) != 0)
		return cohd_error_set(reterr, -EINVAL,
				      "%s: another environment than the graph's %.*s", res->id,
				      (int)*env_len, *env);
	return 0;
}

int cohd_model_check(const struct cohd_graph *g, struct cohd_error *reterr)
{
	static const char *const tags[] = { "ManagedBy", "Application", "Environment", "cohd:id" };
	_cleanup_free_ size_t *order = NULL;
	const char *env = NULL;
	size_t env_len = 0;
	int r;

	cohd_assert_return(g, -EINVAL);
	r = cohd_graph_toposort(g, &order, reterr);
	if (r < 0)
		return r;
	for (size_t i = 0; i < cohd_graph_size(g); i++) {
		const struct cohd_resource *res = cohd_graph_get(g, i);
		bool existing = json_is_true(json_object_get(res->properties, "cohd:Existing"));
		int k = find_kind(res->type);

		if (!existing) {
			for (size_t t = 0; t < ELEMENTSOF(tags); t++)
				if (!json_is_string(json_object_get(res->tags, tags[t])))
					return cohd_error_set(reterr, -EINVAL, "%s: no tag %s",
							      res->id, tags[t]);
			if (!streq(json_string_value(json_object_get(res->tags, "cohd:id")), res->id) ||
			    !streq(json_string_value(json_object_get(res->tags, "ManagedBy")),
				   "coherence"))
				return cohd_error_set(reterr, -EINVAL, "%s: wrong standard tags",
						      res->id);
		}
		if (k >= 0 && !existing) {
			const char *field = type_kinds[k].field;

			if (!cohd_naming_valid(type_kinds[k].kind, res->name))
				return cohd_error_set(reterr, -EINVAL,
						      "%s: name '%s' is not a valid %s name", res->id,
						      res->name, res->type);
			if (field && !streq_ptr(json_string_value(json_object_get(res->properties,
										  field)),
						res->name))
				return cohd_error_set(reterr, -EINVAL,
						      "%s: %s differs from the physical name", res->id,
						      field);
		}
		r = check_id(res, &env, &env_len, reterr);
		if (r < 0)
			return r;
		r = check_policies(res->properties, res->id, reterr);
		if (r < 0)
			return r;
	}
	return 0;
}
