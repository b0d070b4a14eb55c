/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per backend service of one environment (coherence-resources.md §2.7): log group, target
 * group and listener rules, task role, task definitions (web, migrate, seed), the ECS service
 * (Spot for previews, seed), autoscaling target + step policies + CPU alarm; each worker (task
 * definition, service, autoscaling) and each scheduled task (task definition, EventBridge rule
 * and target). Environment variables and secret references are wired into the container
 * definitions here.
 */
#include "lib/model/compile_internal.h"

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* {name: value} -> [{"name": k, <valuekey>: v}] sorted by name (ECS keeps them as given, and a
 * stable order keeps the plan byte-identical). */
static json_t *name_value_list(json_t *obj, const char *valuekey)
{
	_cleanup_free_ const char **keys = NULL;
	size_t n = json_object_size(obj), i = 0;
	const char *k;
	json_t *v, *a;

	keys = calloc(n + 1, sizeof(char *));
	a = json_array();
	if (!keys || !a) {
		json_decref(a);
		return NULL;
	}
	json_object_foreach(obj, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(char *), cmp_keys);
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:O}", "name", keys[i], valuekey,
						   json_object_get(obj, keys[i])));
	return a;
}

struct svc_env {
	json_t *environment; /* name -> value (string or placeholder) */
	json_t *secrets;     /* name -> valueFrom */
	json_t *buckets;     /* ARNs for the task role */
	bool uses_db, uses_cache;
};

static void svc_env_done(struct svc_env *e)
{
	json_decref(e->environment);
	json_decref(e->secrets);
	json_decref(e->buckets);
}

static void add_variables(struct svc_env *e, const struct cohd_app_variable *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].secret_id)
			json_object_set_new(e->secrets, v[i].name, json_string(v[i].secret_id));
		else
			json_object_set_new(e->environment, v[i].name, json_string(strempty(v[i].value)));
	}
}

static int svc_env_build(struct model_ctx *c, const struct cohd_app_service *s, struct svc_env *e)
{
	bool first_db = true, first_cache = true;

	e->environment = json_object();
	e->secrets = json_object();
	e->buckets = json_array();
	if (!e->environment || !e->secrets || !e->buckets)
		return model_fail(c, -ENOMEM, "out of memory"), c->r;

	/* managed variables: cnc's and Coherence v1's names */
	json_object_set_new(e->environment, "PORT", json_sprintf("%u", s->port));
	json_object_set_new(e->environment, "CNC_APPLICATION_NAME", json_string(c->app->name));
	json_object_set_new(e->environment, "CNC_ENVIRONMENT_NAME", json_string(c->env));
	json_object_set_new(e->environment, "CNC_ENVIRONMENT_DOMAIN", json_string(c->env_domain));
	json_object_set_new(e->environment, "CNC_ENVIRONMENT_REGION", json_string(c->region));
	json_object_set_new(e->environment, "COHERENCE_ENVIRONMENT_NAME", json_string(c->env));
	json_object_set_new(e->environment, "COHERENCE_ENVIRONMENT_DOMAIN",
			    json_string(c->env_domain));

	for (size_t i = 0; i < c->app->n_resources; i++) {
		const struct cohd_app_resource *entry = &c->app->resources[i];
		const struct cohd_app_resource *res = model_resolve_resource(c->app, entry);

		/* v1: the entries this service declares (its own or use_sibling ones);
		 * v2: the app-wide ones */
		if (!res || !(entry->service ? streq(entry->service, s->name)
					     : s->kind == COHD_APP_SERVICE_BACKEND))
			continue;
		e->uses_db |= res->kind == COHD_APP_RESOURCE_DATABASE;
		e->uses_cache |= res->kind == COHD_APP_RESOURCE_CACHE;
		model_resource_env(c, entry, e->environment, e->secrets, e->buckets, &first_db,
				   &first_cache);
	}
	/* user variables last: an explicit variable wins over a managed one */
	add_variables(e, c->app->variables, c->app->n_variables);
	add_variables(e, s->variables, s->n_variables);
	return c->r;
}

static json_t *task_sgs(struct model_ctx *c, const struct svc_env *e)
{
	/* cnc attaches db-access and cache-access to every task; cohd only to the services
	 * that use a database / cache */
	json_t *a = json_pack("[o, o]", model_ref("app/sg/default", "GroupId"),
			      model_ref("app/sg/ecs", "GroupId"));

	if (a && e->uses_db)
		json_array_append_new(a, model_ref("app/sg/db-access", "GroupId"));
	if (a && e->uses_cache)
		json_array_append_new(a, model_ref("app/sg/cache-access", "GroupId"));
	return a;
}

static json_t *network_config(struct model_ctx *c, const struct svc_env *e, bool pascal)
{
	if (pascal) /* EventBridge's EcsParameters spell it in PascalCase */
		return json_pack("{s:{s:o, s:o, s:s}}", "awsvpcConfiguration", "Subnets",
				 model_subnet_refs(c, false), "SecurityGroups", task_sgs(c, e),
				 "AssignPublicIp", "DISABLED");
	return json_pack("{s:{s:o, s:o, s:s}}", "awsvpcConfiguration", "subnets",
			 model_subnet_refs(c, false), "securityGroups", task_sgs(c, e),
			 "assignPublicIp", "DISABLED");
}

struct task_spec {
	const char *id;
	const char *family;
	const char *container;     /* container name */
	const char *stream_prefix;
	const struct cohd_app_cmd *cmd;
	unsigned cpu, memory;
	bool web;                  /* maps the port */
};

static void task_definition(struct model_ctx *c, const struct cohd_app_service *s,
			    const char *slug, const struct svc_env *e, const struct task_spec *t)
{
	json_t *cd, *image;

	image = s->image ? json_string(s->image)
			 : model_sub(c, "${app/ecr/%s.RepositoryUri}:${cohd::ImageTag}", slug);
	/* cnc's deploy-time task JSON: entryPoint ["sh"], command ["-c", cmd], nofile 65535,
	 * awslogs; plaintext env + Secrets Manager references */
	cd = json_pack("{s:s, s:o, s:b, s:o, s:o, s:[{s:s, s:i, s:i}], s:{s:s, s:{s:s, s:s, s:s}}}",
		       "name", t->container, "image", image, "essential", 1, "environment",
		       name_value_list(e->environment, "value"), "secrets",
		       name_value_list(e->secrets, "valueFrom"), "ulimits", "name", "nofile",
		       "softLimit", 65535, "hardLimit", 65535, "logConfiguration", "logDriver",
		       "awslogs", "options", "awslogs-group",
		       model_str(c, "/ecs/%s/%s/%s", c->prefix, c->env_slug, slug), "awslogs-region",
		       c->region, "awslogs-stream-prefix", t->stream_prefix);
	if (cd && t->cmd && t->cmd->shell) {
		json_object_set_new(cd, "entryPoint", json_pack("[s]", "sh"));
		json_object_set_new(cd, "command", json_pack("[s, s]", "-c", t->cmd->shell));
	}
	if (cd && t->web)
		json_object_set_new(cd, "portMappings",
				    json_pack("[{s:i, s:i, s:s}]", "containerPort", (int)s->port,
					      "hostPort", (int)s->port, "protocol", "tcp"));

	model_add(c, "ecs.task_definition", COHD_SCOPE_SERVICE, t->id, t->family,
		  json_pack("{s:s, s:o, s:o, s:s, s:[s], s:s, s:s, s:{s:s, s:s}, s:[o]}", "family",
			    t->family, "taskRoleArn",
			    model_ref(model_str(c, "%s/iam/task-role", model_svc_id(c, slug)),
				      "Arn"),
			    "executionRoleArn",
			    model_ref(model_str(c, "env/%s/iam/execution-role", c->env_slug), "Arn"),
			    "networkMode", "awsvpc", "requiresCompatibilities", "FARGATE", "cpu",
			    model_str(c, "%u", t->cpu), "memory", model_str(c, "%u", t->memory),
			    "runtimePlatform", "cpuArchitecture", "X86_64", "operatingSystemFamily",
			    "LINUX", "containerDefinitions", cd));
}

/* Service + scalable target + step policies + CPU alarm. */
static void ecs_service(struct model_ctx *c, const char *id_prefix, const char *name,
			const char *task_id, const struct svc_env *e, unsigned min, unsigned max,
			json_t *load_balancers, const char *after)
{
	const char *cluster = model_name(c, COHD_NAME_ECS, "%s", c->prefix);
	const char *sid = model_str(c, "%s/ecs-service", id_prefix);
	const char *resource_id = model_str(c, "service/%s/%s", cluster, name);
	const char *up = model_name(c, COHD_NAME_SCALING_POLICY, "%s-scale-up", name);
	const char *down = model_name(c, COHD_NAME_SCALING_POLICY, "%s-scale-down", name);
	const char *alarm = model_name(c, COHD_NAME_ALARM, "%s-cpu-high", name);
	struct cohd_resource *r;
	json_t *p;

	/* Spot for previews (seed, cnc); static and production run on FARGATE. Desired count
	 * starts at the autoscaling minimum; afterwards it is the autoscaler's (accepted
	 * drift while a scalable target governs it). */
	p = json_pack("{s:o, s:s, s:o, s:i, s:s, s:o, s:{s:{s:b, s:b}, s:i, s:i}, s:b, s:s, "
		      "s:b, s:s}",
		      "cluster", model_ref("app/ecs-cluster", "clusterArn"), "serviceName", name,
		      "taskDefinition", model_ref(task_id, "taskDefinitionArn"), "desiredCount",
		      (int)min, "platformVersion", "LATEST", "networkConfiguration",
		      network_config(c, e, false), "deploymentConfiguration",
		      "deploymentCircuitBreaker", "enable", 1, "rollback", 1, "maximumPercent", 200,
		      "minimumHealthyPercent", 100, "enableECSManagedTags", 1, "propagateTags",
		      "SERVICE", "enableExecuteCommand", 0, "schedulingStrategy", "REPLICA");
	if (p && c->preview)
		json_object_set_new(p, "capacityProviderStrategy",
				    json_pack("[{s:s, s:i, s:i}]", "capacityProvider",
					      "FARGATE_SPOT", "weight", 100, "base", 0));
	else if (p)
		json_object_set_new(p, "launchType", json_string("FARGATE"));
	if (p && load_balancers) {
		json_object_set_new(p, "loadBalancers", load_balancers);
		json_object_set_new(p, "healthCheckGracePeriodSeconds", json_integer(60));
	} else
		json_decref(load_balancers);
	r = model_add(c, "ecs.service", COHD_SCOPE_SERVICE, sid, name, p);
	model_depend(c, r, after);

	/* The ECS service-linked role does what cnc's C-ecs-service and C-autoscaling roles
	 * did; no RoleARN is given, so Application Auto Scaling uses its own. */
	model_depend(c, model_add(c, "application_autoscaling.scalable_target", COHD_SCOPE_SERVICE,
				  model_str(c, "%s/scaling-target", id_prefix), resource_id,
				  json_pack("{s:s, s:s, s:s, s:i, s:i}", "ServiceNamespace", "ecs",
					    "ResourceId", resource_id, "ScalableDimension",
					    "ecs:service:DesiredCount", "MinCapacity", (int)min,
					    "MaxCapacity", (int)max)),
		     sid);
	for (int dir = 0; dir <= 1; dir++) {
		const char *pn = dir ? down : up;

		model_depend(
			c,
			model_add(c, "application_autoscaling.scaling_policy", COHD_SCOPE_SERVICE,
				  model_str(c, "%s/scale-%s", id_prefix, dir ? "down" : "up"), pn,
				  json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:i, s:s, s:[{s:i, "
					    "s:i}]}}",
					    "PolicyName", pn, "ServiceNamespace", "ecs",
					    "ResourceId", resource_id, "ScalableDimension",
					    "ecs:service:DesiredCount", "PolicyType", "StepScaling",
					    "StepScalingPolicyConfiguration", "AdjustmentType",
					    "ChangeInCapacity", "Cooldown", 60,
					    "MetricAggregationType", "Maximum", "StepAdjustments",
					    dir ? "MetricIntervalUpperBound" : "MetricIntervalLowerBound",
					    0, "ScalingAdjustment", dir ? -1 : 1)),
			model_str(c, "%s/scaling-target", id_prefix));
	}
	model_add(c, "cloudwatch.alarm", COHD_SCOPE_SERVICE, model_str(c, "%s/cpu-alarm", id_prefix),
		  alarm,
		  json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}], s:s, s:i, s:i, s:f, "
			    "s:s, s:[o], s:[o], s:s}",
			    "AlarmName", alarm, "AlarmDescription",
			    model_str(c, "cohd: scale %s on CPU", name), "Namespace", "AWS/ECS",
			    "MetricName", "CPUUtilization", "Dimensions", "Name", "ClusterName",
			    "Value", cluster, "Name", "ServiceName", "Value", name, "Statistic",
			    "Maximum", "Period", 60, "EvaluationPeriods", 3, "Threshold", 70.0,
			    "ComparisonOperator", "GreaterThanOrEqualToThreshold", "AlarmActions",
			    model_ref(model_str(c, "%s/scale-up", id_prefix), "PolicyARN"),
			    "OKActions",
			    model_ref(model_str(c, "%s/scale-down", id_prefix), "PolicyARN"),
			    "TreatMissingData", "missing"));
}

static json_t *path_patterns(struct model_ctx *c, const char *url_path)
{
	if (streq(url_path, "/"))
		return json_pack("[s]", "/*");
	return json_pack("[s, s]", url_path, model_str(c, "%s/*", url_path));
}

static void listener_rule(struct model_ctx *c, const char *id, const char *name,
			  const struct cohd_app_service *s, const char *tg_id, const char *host)
{
	/* longer url_path first: the engine keeps priorities of one environment in Rank
	 * order on the listener shared by all environments */
	int rank = 1024 - (int)MIN(strlen(s->url_path), (size_t)1023);

	/* cnc: host-header [ALB DNS name, *.<env domain>, <env domain>]. The ALB is shared by
	 * every environment of the app, so its DNS name cannot pick one: cohd matches the
	 * environment's names only (CloudFront forwards the viewer's Host). */
	model_add(c, "elbv2.listener_rule", COHD_SCOPE_SERVICE, id, name,
		  json_pack("{s:o, s:{s:s, s:s, s:s, s:i}, s:[{s:s, s:{s:[s, s]}}, {s:s, s:{s:o}}], "
			    "s:[{s:s, s:o}]}",
			    "ListenerArn", model_ref("app/alb/listener-https", "ListenerArn"),
			    "Priority", "Allocate", "Priority", "Listener", "app/alb/listener-https",
			    "Group", model_str(c, "env/%s", c->env_slug), "Rank", rank, "Conditions",
			    "Field", "host-header", "HostHeaderConfig", "Values", host,
			    model_str(c, "*.%s", host), "Field", "path-pattern", "PathPatternConfig",
			    "Values", path_patterns(c, s->url_path), "Actions", "Type", "forward",
			    "TargetGroupArn", model_ref(tg_id, "TargetGroupArn")));
}

static unsigned umax(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

static int backend(struct model_ctx *c, const struct cohd_app_service *s)
{
	_cleanup_(svc_env_done) struct svc_env e = {};
	const char *slug = model_svc_slug(c, s);
	const char *sp = model_svc_id(c, slug);
	const char *name = model_name(c, COHD_NAME_ECS, "%s-%s", c->eprefix, slug);
	const char *tg_id = model_str(c, "%s/target-group", sp);
	const char *log_group = model_str(c, "/ecs/%s/%s/%s", c->prefix, c->env_slug, slug);
	const char *last_rule = NULL;
	json_t *st, *lbs = NULL;
	unsigned min, max;

	if (svc_env_build(c, s, &e) < 0)
		return c->r;

	/* cnc sets no retention (logs kept forever); cohd keeps 90 days in production, 30 in
	 * static and 7 in preview environments */
	model_add(c, "logs.log_group", COHD_SCOPE_SERVICE, model_str(c, "%s/log-group", sp),
		  log_group,
		  json_pack("{s:s, s:i}", "logGroupName", log_group, "retentionInDays",
			    c->production ? 90 : c->preview ? 7 : 30));

	/* the service's own buckets, nothing else */
	st = json_array();
	if (st && json_array_size(e.buckets) > 0)
		json_array_append_new(st, json_pack("{s:s, s:[s, s, s, s], s:O}", "Effect", "Allow",
						    "Action", "s3:GetObject", "s3:PutObject",
						    "s3:DeleteObject", "s3:ListBucket", "Resource",
						    e.buckets));
	model_role(c, COHD_SCOPE_SERVICE, model_str(c, "%s/iam/task-role", sp),
		   model_name(c, COHD_NAME_IAM_ROLE, "%s-%s-task", c->eprefix, slug),
		   "ecs-tasks.amazonaws.com",
		   model_str(c, "cohd: what the code of %s may do", s->name), st);

	if (!s->internal) {
		/* cnc: port 80; the target type is ip, so the port that matters is the
		 * container's, and cohd uses that one value end to end (§5.17) */
		const char *tg = model_name(c, COHD_NAME_TARGET_GROUP, "%s-%s", c->eprefix, slug);

		model_add(c, "elbv2.target_group", COHD_SCOPE_SERVICE, tg_id, tg,
			  json_pack("{s:s, s:s, s:s, s:i, s:o, s:s, s:b, s:s, s:s, s:i, s:i, s:i, "
				    "s:i, s:{s:s}}",
				    "Name", tg, "Protocol", "HTTP", "ProtocolVersion", "HTTP1",
				    "Port", (int)s->port, "VpcId", model_ref("app/vpc", "VpcId"),
				    "TargetType", "ip", "HealthCheckEnabled", 1,
				    "HealthCheckProtocol", "HTTP", "HealthCheckPath",
				    s->health_check_path, "HealthCheckIntervalSeconds", 10,
				    "HealthCheckTimeoutSeconds", 5, "HealthyThresholdCount", 2,
				    "UnhealthyThresholdCount", 9, "Matcher", "HttpCode",
				    s->health_check_matcher));
		last_rule = model_str(c, "%s/listener-rule", sp);
		listener_rule(c, last_rule, name, s, tg_id, c->env_domain);
		for (size_t i = 0; i < c->app->n_custom_domains; i++) {
			_cleanup_free_ char *ds = cohd_naming_slug(c->app->custom_domains[i], 60);

			if (!ds)
				return model_fail(c, -ENOMEM, "out of memory"), c->r;
			listener_rule(c, model_str(c, "%s/listener-rule/%s", sp, ds),
				      model_str(c, "%s-%s", name, ds), s, tg_id,
				      c->app->custom_domains[i]);
		}
		lbs = json_pack("[{s:o, s:s, s:i}]", "targetGroupArn",
				model_ref(tg_id, "TargetGroupArn"), "containerName", slug,
				"containerPort", (int)s->port);
	}

	task_definition(c, s, slug, &e,
			&(struct task_spec){ .id = model_str(c, "%s/task-definition", sp),
					     .family = name, .container = slug,
					     .stream_prefix = "web", .cmd = &s->start,
					     .cpu = s->cpu, .memory = s->memory, .web = true });
	if (s->migration.shell)
		task_definition(c, s, slug, &e,
				&(struct task_spec){
					.id = model_str(c, "%s/task-definition/migrate", sp),
					.family = model_name(c, COHD_NAME_ECS, "%s-migrate", name),
					.container = slug, .stream_prefix = "migrate",
					.cmd = &s->migration, .cpu = s->cpu, .memory = s->memory });
	/* seeds never run in production (cnc) */
	if (s->seed.shell && !c->production)
		task_definition(c, s, slug, &e,
				&(struct task_spec){
					.id = model_str(c, "%s/task-definition/seed", sp),
					.family = model_name(c, COHD_NAME_ECS, "%s-seed", name),
					.container = slug, .stream_prefix = "seed", .cmd = &s->seed,
					.cpu = s->cpu, .memory = s->memory });

	/* production: max(replicas, min_scale)..max_scale; static and preview: 1..4 (cnc) */
	min = c->production ? umax(umax(s->replicas, s->min_scale), 1) : 1;
	max = c->production ? umax(s->max_scale, min) : 4;
	/* the target group must be attached to the ALB (by the rule) before a service uses it */
	ecs_service(c, sp, name, model_str(c, "%s/task-definition", sp), &e, min, max, lbs,
		    last_rule);

	for (size_t i = 0; i < s->n_workers; i++) {
		const struct cohd_app_worker *w = &s->workers[i];
		const char *wp = model_str(c, "%s/worker/%s", sp, w->slug);
		const char *wname = model_name(c, COHD_NAME_ECS, "%s-worker-%s", name, w->slug);
		unsigned wmin = umax(w->replicas, 1);

		task_definition(c, s, slug, &e,
				&(struct task_spec){ .id = model_str(c, "%s/task-definition", wp),
						     .family = wname, .container = slug,
						     .stream_prefix = model_str(c, "worker-%s",
										w->slug),
						     .cmd = &w->command, .cpu = w->cpu,
						     .memory = w->memory });
		/* cnc: min = replicas; max = max(replicas, max_scale) in production, else
		 * max(replicas, 4) */
		ecs_service(c, wp, wname, model_str(c, "%s/task-definition", wp), &e, wmin,
			    umax(wmin, c->production ? s->max_scale : 4), NULL, NULL);
	}

	for (size_t i = 0; i < s->n_tasks; i++) {
		const struct cohd_app_task *t = &s->tasks[i];
		const char *tp = model_str(c, "%s/task/%s", sp, t->slug);
		const char *family = model_name(c, COHD_NAME_ECS, "%s-task-%s", name, t->slug);
		const char *rule = model_name(c, COHD_NAME_EVENTS_RULE, "%s-%s-%s", c->eprefix,
					      slug, t->slug);

		task_definition(c, s, slug, &e,
				&(struct task_spec){ .id = model_str(c, "%s/task-definition", tp),
						     .family = family, .container = slug,
						     .stream_prefix = model_str(c, "task-%s", t->slug),
						     .cmd = &t->command, .cpu = t->cpu,
						     .memory = t->memory });
		/* scheduled tasks run on FARGATE in every environment type (cnc) */
		model_add(c, "events.rule", COHD_SCOPE_SERVICE, model_str(c, "%s/rule", tp), rule,
			  json_pack("{s:s, s:s, s:s, s:s}", "Name", rule, "ScheduleExpression",
				    strempty(t->schedule_expression), "State", "ENABLED",
				    "Description",
				    model_str(c, "cohd: %s of %s (%s UTC)", t->name, s->name,
					      strempty(t->schedule))));
		model_add(c, "events.target", COHD_SCOPE_SERVICE, model_str(c, "%s/target", tp),
			  model_str(c, "%s/task", rule),
			  json_pack("{s:o, s:[{s:s, s:o, s:o, s:{s:o, s:i, s:s, s:s, s:o}}]}",
				    "Rule", model_ref(model_str(c, "%s/rule", tp), "Name"),
				    "Targets", "Id", "task", "Arn",
				    model_ref("app/ecs-cluster", "clusterArn"), "RoleArn",
				    model_ref("app/iam/events-role", "Arn"), "EcsParameters",
				    "TaskDefinitionArn",
				    model_ref(model_str(c, "%s/task-definition", tp),
					      "taskDefinitionArn"),
				    "TaskCount", 1, "LaunchType", "FARGATE", "PlatformVersion",
				    "LATEST", "NetworkConfiguration", network_config(c, &e, true)));
	}
	return c->r;
}

int model_compile_ecs(struct model_ctx *c)
{
	for (size_t i = 0; i < c->app->n_services; i++)
		if (c->app->services[i].kind == COHD_APP_SERVICE_BACKEND &&
		    backend(c, &c->app->services[i]) < 0)
			return c->r;
	return c->r;
}
