/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IAM: distinct least-privilege roles for building, deploying and running the app (seed), in
 * place of cnc's single `C-ecs-task` role that reads every secret of the account. Application
 * level: build (CodeBuild image builds), deploy (CodeBuild deploy steps: task definitions,
 * migrations, service updates, asset upload), pipeline (CodePipeline), events (scheduled tasks).
 * Environment level: the task execution role (image pull, logs, and exactly this environment's
 * secrets). Service level: one task role per backend (its own buckets only).
 * Resources are scoped to the app prefix (which carries a hash, so "acme" never matches
 * "acme-shop") or to exact ARNs; "*" only where AWS has no resource-level permission for the
 * action (ecr:GetAuthorizationToken, ecs:RegisterTaskDefinition and friends), never on
 * secretsmanager.
 */
#include "lib/model/compile_internal.h"

static json_t *stmt(json_t *actions, json_t *resources)
{
	return json_pack("{s:s, s:o, s:o}", "Effect", "Allow", "Action", actions, "Resource",
			 resources);
}

static json_t *stmt_cond(json_t *actions, json_t *resources, json_t *condition)
{
	return json_pack("{s:s, s:o, s:o, s:o}", "Effect", "Allow", "Action", actions, "Resource",
			 resources, "Condition", condition);
}

struct cohd_resource *model_role(struct model_ctx *c, enum cohd_resource_scope scope,
				 const char *id, const char *name, const char *service,
				 const char *description, json_t *statements)
{
	json_t *policies;

	/* CreateRole fields, plus the inline policies (PutRolePolicy: PolicyName +
	 * PolicyDocument) and managed policies (AttachRolePolicy) the role must have. */
	if (statements && json_array_size(statements) > 0)
		policies = json_pack("[{s:s, s:o}]", "PolicyName",
				     model_name(c, COHD_NAME_IAM_POLICY, "%s", name),
				     "PolicyDocument", model_policy(statements));
	else {
		json_decref(statements);
		policies = statements ? json_array() : NULL;
	}
	return model_add(c, "iam.role", scope, id, name,
			 json_pack("{s:s, s:s, s:s, s:o, s:i, s:[], s:o}", "RoleName", name,
				   "Path", "/cohd/", "Description", description,
				   "AssumeRolePolicyDocument", model_trust(service, NULL),
				   "MaxSessionDuration", 3600, "ManagedPolicyArns", "Policies",
				   policies));
}

/* CodeBuild's own log groups (/aws/codebuild/<project>) of the app's projects. */
static json_t *codebuild_logs_stmt(struct model_ctx *c)
{
	return stmt(json_pack("[s, s, s]", "logs:CreateLogGroup", "logs:CreateLogStream",
			      "logs:PutLogEvents"),
		    json_pack("[o, o]",
			      model_arn(c, "logs", c->region, "log-group:/aws/codebuild/%s-*",
					c->prefix),
			      model_arn(c, "logs", c->region, "log-group:/aws/codebuild/%s-*:*",
					c->prefix)));
}

static json_t *source_read_stmt(struct model_ctx *c)
{
	return stmt(json_pack("[s, s, s, s]", "s3:GetObject", "s3:GetObjectVersion",
			      "s3:GetBucketLocation", "s3:ListBucket"),
		    json_pack("[o, o]", model_ref("app/s3/source", "Arn"),
			      model_sub(c, "${app/s3/source.Arn}/*")));
}

static json_t *cluster_arn(struct model_ctx *c)
{
	return model_arn(c, "ecs", c->region, "cluster/%s", c->prefix);
}

static int app_roles(struct model_ctx *c)
{
	bool frontend = c->has_frontend;
	json_t *st;

	/* build: read the source bundle, push images, write build logs, pass artifacts on */
	st = json_pack(
		"[o, o, o, o, o]", codebuild_logs_stmt(c),
		source_read_stmt(c),
		stmt(json_pack("[s]", "s3:PutObject"),
		     json_pack("[o]", model_sub(c, "${app/s3/source.Arn}/*"))),
		/* GetAuthorizationToken has no resource-level permissions */
		stmt(json_pack("[s]", "ecr:GetAuthorizationToken"), json_pack("[s]", "*")),
		stmt(json_pack("[s, s, s, s, s, s, s]", "ecr:BatchCheckLayerAvailability",
			       "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
			       "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
			       "ecr:CompleteLayerUpload", "ecr:PutImage"),
		     json_pack("[o]", model_arn(c, "ecr", c->region, "repository/%s-*", c->prefix))));
	model_role(c, COHD_SCOPE_APPLICATION, "app/iam/build-role",
		   model_name(c, COHD_NAME_IAM_ROLE, "%s-build", c->prefix),
		   "codebuild.amazonaws.com", "cohd: builds images and assets of the app", st);

	/* deploy: register task definitions, run migrations/seeds, update services, upload
	 * frontend assets, invalidate the CDN, repoint scheduled tasks */
	st = json_pack(
		"[o, o, o, o, o, o, o]", codebuild_logs_stmt(c),
		source_read_stmt(c),
		/* these ECS calls have no resource-level permissions */
		stmt(json_pack("[s, s, s]", "ecs:RegisterTaskDefinition",
			       "ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitions"),
		     json_pack("[s]", "*")),
		stmt_cond(json_pack("[s]", "ecs:RunTask"),
			  json_pack("[o]", model_arn(c, "ecs", c->region, "task-definition/%s-*",
						     c->prefix)),
			  json_pack("{s:{s:o}}", "ArnEquals", "ecs:cluster", cluster_arn(c))),
		stmt(json_pack("[s, s, s]", "ecs:UpdateService", "ecs:DescribeServices",
			       "ecs:DescribeTasks"),
		     json_pack("[o, o]",
			       model_arn(c, "ecs", c->region, "service/%s/%s-*", c->prefix,
					 c->prefix),
			       model_arn(c, "ecs", c->region, "task/%s/*", c->prefix))),
		stmt_cond(json_pack("[s]", "iam:PassRole"),
			  json_pack("[o]", model_arn(c, "iam", "", "role/cohd/%s-*", c->prefix)),
			  json_pack("{s:{s:[s, s]}}", "StringEquals", "iam:PassedToService",
				    "ecs-tasks.amazonaws.com", "events.amazonaws.com")),
		stmt(json_pack("[s, s]", "events:PutTargets", "events:ListTargetsByRule"),
		     json_pack("[o]", model_arn(c, "events", c->region, "rule/%s-*", c->prefix))));
	if (st && frontend) {
		json_array_append_new(
			st, stmt(json_pack("[s, s, s, s]", "s3:PutObject", "s3:DeleteObject",
					   "s3:GetObject", "s3:ListBucket"),
				 json_pack("[o, o]", model_arn(c, "s3", "", "%s-*", c->prefix),
					   model_arn(c, "s3", "", "%s-*/*", c->prefix))));
		/* distribution ids are random: scope by the Application tag instead */
		json_array_append_new(
			st, stmt_cond(json_pack("[s]", "cloudfront:CreateInvalidation"),
				      json_pack("[o]", model_arn(c, "cloudfront", "",
								 "distribution/*")),
				      json_pack("{s:{s:s}}", "StringEquals",
						"aws:ResourceTag/Application", c->app->name)));
	}
	model_role(c, COHD_SCOPE_APPLICATION, "app/iam/deploy-role",
		   model_name(c, COHD_NAME_IAM_ROLE, "%s-deploy", c->prefix),
		   "codebuild.amazonaws.com", "cohd: deploys the app (migrations, services, assets)",
		   st);

	/* pipeline: move artifacts, start the two build projects */
	model_role(c, COHD_SCOPE_APPLICATION, "app/iam/pipeline-role",
		   model_name(c, COHD_NAME_IAM_ROLE, "%s-pipeline", c->prefix),
		   "codepipeline.amazonaws.com", "cohd: runs the app's pipelines",
		   json_pack("[o, o, o]", source_read_stmt(c),
			     stmt(json_pack("[s]", "s3:PutObject"),
				  json_pack("[o]", model_sub(c, "${app/s3/source.Arn}/*"))),
			     stmt(json_pack("[s, s]", "codebuild:StartBuild",
					    "codebuild:BatchGetBuilds"),
				  json_pack("[o]", model_arn(c, "codebuild", c->region,
							     "project/%s-*", c->prefix)))));

	/* events: run the scheduled tasks. cnc attaches the managed
	 * AmazonEC2ContainerServiceEventsRole (RunTask on "*"); cohd scopes it to the app's task
	 * definitions on its cluster. */
	if (c->has_tasks)
		model_role(c, COHD_SCOPE_APPLICATION, "app/iam/events-role",
			   model_name(c, COHD_NAME_IAM_ROLE, "%s-events", c->prefix),
			   "events.amazonaws.com", "cohd: starts the app's scheduled tasks",
			   json_pack("[o, o]",
				     stmt_cond(json_pack("[s]", "ecs:RunTask"),
					       json_pack("[o]", model_arn(c, "ecs", c->region,
									  "task-definition/%s-*",
									  c->prefix)),
					       json_pack("{s:{s:o}}", "ArnEquals", "ecs:cluster",
							 cluster_arn(c))),
				     stmt_cond(json_pack("[s]", "iam:PassRole"),
					       json_pack("[o]", model_arn(c, "iam", "",
									  "role/cohd/%s-*",
									  c->prefix)),
					       json_pack("{s:{s:s}}", "StringEquals",
							 "iam:PassedToService",
							 "ecs-tasks.amazonaws.com"))));
	return c->r;
}

/* IAM resource of a user-given secret: a full ARN loses any ":json-key:stage:version" tail;
 * a bare name becomes an ARN with Secrets Manager's random "-??????" suffix. */
static json_t *user_secret_resource(struct model_ctx *c, const char *secret_id)
{
	if (strncmp(secret_id, "arn:", 4) == 0) {
		const char *p = secret_id;

		for (int colons = 0; *p; p++)
			if (*p == ':' && ++colons == 7)
				break;
		return json_stringn(secret_id, (size_t)(p - secret_id));
	}
	return model_arn(c, "secretsmanager", c->region, "secret:%s-??????", secret_id);
}

static int add_unique(json_t *list, json_t *item)
{
	size_t i;
	json_t *v;

	if (!item)
		return -ENOMEM;
	json_array_foreach(list, i, v)
		if (json_equal(v, item)) {
			json_decref(item);
			return 0;
		}
	return json_array_append_new(list, item);
}

static int env_roles(struct model_ctx *c)
{
	json_t *secrets, *st;

	if (!c->has_backend)
		return c->r;

	/* the secrets the task definitions reference, and nothing else */
	secrets = json_array();
	if (secrets && c->has_database)
		add_unique(secrets, model_ref(model_str(c, "env/%s/secrets", c->env_slug), "Arn"));
	for (size_t i = 0; secrets && i < c->app->n_variables; i++)
		if (c->app->variables[i].secret_id)
			add_unique(secrets,
				   user_secret_resource(c, c->app->variables[i].secret_id));
	for (size_t s = 0; secrets && s < c->app->n_services; s++)
		for (size_t i = 0; i < c->app->services[s].n_variables; i++)
			if (c->app->services[s].variables[i].secret_id)
				add_unique(secrets,
					   user_secret_resource(
						   c, c->app->services[s].variables[i].secret_id));

	st = json_pack(
		"[o, o, o]",
		stmt(json_pack("[s]", "ecr:GetAuthorizationToken"), json_pack("[s]", "*")),
		stmt(json_pack("[s, s, s]", "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
			       "ecr:GetDownloadUrlForLayer"),
		     json_pack("[o]", model_arn(c, "ecr", c->region, "repository/%s-*", c->prefix))),
		stmt(json_pack("[s, s]", "logs:CreateLogStream", "logs:PutLogEvents"),
		     json_pack("[o]", model_arn(c, "logs", c->region, "log-group:/ecs/%s/%s/*",
						c->prefix, c->env_slug))));
	if (st && secrets && json_array_size(secrets) > 0)
		json_array_append_new(st, stmt(json_pack("[s]", "secretsmanager:GetSecretValue"),
					       json_incref(secrets)));
	json_decref(secrets);
	model_role(c, COHD_SCOPE_ENVIRONMENT, model_str(c, "env/%s/iam/execution-role", c->env_slug),
		   model_name(c, COHD_NAME_IAM_ROLE, "%s-exec", c->eprefix),
		   "ecs-tasks.amazonaws.com",
		   "cohd: pulls images, writes logs and reads the secrets of one environment", st);
	return c->r;
}

int model_compile_iam(struct model_ctx *c)
{
	if (app_roles(c) < 0 || env_roles(c) < 0)
		return c->r;
	return c->r;
}
