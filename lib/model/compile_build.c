/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The build pipeline (seed: CodeBuild builds images and assets and runs the migrate/seed
 * tasks, CodePipeline drives it, S3 holds the source bundle; cnc builds locally instead, so
 * none of this is in cnc and the names and properties are cohd's own, §2.9): one ECR
 * repository per service (application level), the source-bundle bucket (application level,
 * versioned, SSE-KMS), and per environment a build project, a deploy project and a pipeline
 * Source (S3 bundle <env>/source.zip) -> Build -> Deploy.
 */
#include "lib/model/compile_internal.h"
#include "lib/util/buf.h"

#define BUILDSPEC_MAX (256u * 1024u)

static const char *compute_type(struct model_ctx *c)
{
	const char *m = c->app->build_machine_type;

	/* build_settings.platform_settings.machine_type: CodeBuild's own names are taken as
	 * they are; other values (GCP's N1_HIGHCPU_8 in real files) mean nothing on AWS and
	 * get the medium size. */
	if (m && strncmp(m, "BUILD_GENERAL1_", 15) == 0)
		return m;
	return "BUILD_GENERAL1_MEDIUM";
}

static int ecr_repos(struct model_ctx *c)
{
	for (size_t i = 0; i < c->app->n_services; i++) {
		const struct cohd_app_service *s = &c->app->services[i];
		const char *slug = model_svc_slug(c, s);
		const char *name;

		if (s->image)
			continue; /* a prebuilt image: nothing to build or store */
		name = model_name(c, COHD_NAME_ECR, "%s-%s", c->prefix, slug);
		/* cnc: one repository per service and environment, force-deleted; cohd: one per
		 * service shared by the environments (images are tagged per build), KMS. */
		model_add(c, "ecr.repository", COHD_SCOPE_APPLICATION,
			  model_str(c, "app/ecr/%s", slug), name,
			  json_pack("{s:s, s:s, s:{s:b}, s:{s:s}, s:{s:[{s:i, s:s, s:{s:s, s:s, "
				    "s:i}, s:{s:s}}]}}",
				    "repositoryName", name, "imageTagMutability", "MUTABLE",
				    "imageScanningConfiguration", "scanOnPush", 1,
				    "encryptionConfiguration", "encryptionType", "KMS",
				    "lifecyclePolicyText", "rules", "rulePriority", 1, "description",
				    "keep the last 100 images", "selection", "tagStatus", "any",
				    "countType", "imageCountMoreThan", "countNumber", 100, "action",
				    "type", "expire"));
	}
	return c->r;
}

static int source_bucket(struct model_ctx *c)
{
	const char *name = model_name(c, COHD_NAME_S3_BUCKET, "%s-source", c->prefix);
	json_t *p = model_bucket_props(c, name, true);

	/* CodePipeline's S3 source needs versioning; old bundles go after 30 days */
	if (p) {
		json_object_set_new(p, "VersioningConfiguration",
				    json_pack("{s:s}", "Status", "Enabled"));
		json_object_set_new(p, "LifecycleConfiguration",
				    json_pack("{s:[{s:s, s:s, s:{s:s}, s:{s:i}}]}", "Rules", "ID",
					      "old-bundles", "Status", "Enabled", "Filter", "Prefix",
					      "", "NoncurrentVersionExpiration", "NoncurrentDays",
					      30));
		json_object_set_new(p, "cohd:ForceDestroy", json_true());
	}
	model_add(c, "s3.bucket", COHD_SCOPE_APPLICATION, "app/s3/source", name, p);
	return c->r;
}

static void q(struct cohd_buf *b, const char *s)
{
	/* a YAML double-quoted scalar */
	cohd_buf_append_str(b, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			cohd_buf_append(b, "\\", 1);
		if (*s == '\n')
			cohd_buf_append_str(b, "\\n");
		else
			cohd_buf_append(b, s, 1);
	}
	cohd_buf_append_str(b, "\"");
}

static void cmd_line(struct cohd_buf *b, const char *fmt, ...) _printf_(2, 3);
static void cmd_line(struct cohd_buf *b, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	cohd_buf_append_str(b, "      - ");
	q(b, s);
	cohd_buf_append_str(b, "\n");
}

/* Shell single-quoting for a command embedded in a buildspec line. */
static char *shq(const char *s)
{
	struct cohd_buf b;

	cohd_buf_init(&b, BUILDSPEC_MAX);
	cohd_buf_append_str(&b, "'");
	for (; *s; s++)
		if (*s == '\'')
			cohd_buf_append_str(&b, "'\\''");
		else
			cohd_buf_append(&b, s, 1);
	cohd_buf_append_str(&b, "'");
	return cohd_buf_steal(&b);
}

static char *build_spec(struct model_ctx *c)
{
	struct cohd_buf b;

	cohd_buf_init(&b, BUILDSPEC_MAX);
	cohd_buf_append_str(&b, "version: 0.2\nphases:\n  pre_build:\n    commands:\n");
	/* the image tag: the S3 version of the source bundle unless the pipeline sets one */
	cmd_line(&b, "export IMAGE_TAG=${IMAGE_TAG:-$CODEBUILD_RESOLVED_SOURCE_VERSION}");
	cmd_line(&b, "aws ecr get-login-password | docker login --username AWS "
		     "--password-stdin $ECR_REGISTRY");
	cohd_buf_append_str(&b, "  build:\n    commands:\n");
	for (size_t i = 0; i < c->app->n_services; i++) {
		const struct cohd_app_service *s = &c->app->services[i];
		const char *slug = model_svc_slug(c, s);
		const char *repo = model_name(c, COHD_NAME_ECR, "%s-%s", c->prefix, slug);
		_cleanup_free_ char *df = NULL;

		if (s->image || !slug || !repo)
			continue;
		if (s->dockerfile)
			df = strdup(s->dockerfile);
		else if (asprintf(&df, "%s/Dockerfile", s->repo_path) < 0)
			df = NULL;
		cmd_line(&b, "docker build -t $ECR_REGISTRY/%s:$IMAGE_TAG -f %s %s", repo,
			 strempty(df), s->repo_path);
		cmd_line(&b, "docker push $ECR_REGISTRY/%s:$IMAGE_TAG", repo);
		for (size_t t = 0; t < s->n_test; t++)
			if (s->test[t].shell) {
				_cleanup_free_ char *cmd = shq(s->test[t].shell);

				cmd_line(&b, "docker run --rm $ECR_REGISTRY/%s:$IMAGE_TAG sh -c %s",
					 repo, strempty(cmd));
			}
		if (s->kind == COHD_APP_SERVICE_FRONTEND) {
			_cleanup_free_ char *steps = NULL, *cmd = NULL;

			if (asprintf(&steps, "%s%s%s%s cp -r %s/. /out/%s/",
				     s->install.shell ? s->install.shell : "",
				     s->install.shell ? " && " : "",
				     s->build.shell ? s->build.shell : "",
				     s->build.shell ? " &&" : "", s->assets_path, slug) < 0)
				steps = NULL;
			cmd = shq(strempty(steps));
			cmd_line(&b, "mkdir -p out/%s && docker run --rm -v $PWD/out:/out "
				     "$ECR_REGISTRY/%s:$IMAGE_TAG sh -c %s",
				 slug, repo, strempty(cmd));
		}
	}
	cohd_buf_append_str(&b, "artifacts:\n  files:\n    - \"out/**/*\"\n");
	return cohd_buf_steal(&b);
}

/* A one-off task (migrate, seed) on the private subnets; the step fails if the task does. */
static void run_task(struct model_ctx *c, struct cohd_buf *b, const char *cluster,
		     const char *family)
{
	cmd_line(b, "TASK=$(aws ecs run-task --cluster %s --task-definition %s --launch-type "
		    "FARGATE --network-configuration "
		    "\"awsvpcConfiguration={subnets=[$SUBNETS],securityGroups=[$SECURITY_GROUPS]}\" "
		    "--query 'tasks[0].taskArn' --output text) && aws ecs wait tasks-stopped "
		    "--cluster %s --tasks $TASK && test \"$(aws ecs describe-tasks --cluster %s "
		    "--tasks $TASK --query 'tasks[0].containers[0].exitCode' --output text)\" = 0",
		 cluster, family, cluster, cluster);
}

static char *deploy_spec(struct model_ctx *c)
{
	const char *cluster = model_name(c, COHD_NAME_ECS, "%s", c->prefix);
	struct cohd_buf b;

	/* cnc's order (deploy/base.sh.j2): migrate -> seed (not production) -> services ->
	 * workers -> wait; frontends: sync assets, invalidate. Task definitions are registered
	 * by cohd itself (they are resources of the plan) before the pipeline deploys. */
	cohd_buf_init(&b, BUILDSPEC_MAX);
	cohd_buf_append_str(&b, "version: 0.2\nphases:\n  build:\n    commands:\n");
	for (size_t i = 0; i < c->app->n_services; i++) {
		const struct cohd_app_service *s = &c->app->services[i];
		const char *slug = model_svc_slug(c, s);
		const char *name = model_name(c, COHD_NAME_ECS, "%s-%s", c->eprefix, slug);

		if (!slug || !name)
			continue;
		if (s->kind == COHD_APP_SERVICE_FRONTEND) {
			cmd_line(&b, "aws s3 sync out/%s/ s3://%s/ --delete", slug,
				 model_name(c, COHD_NAME_S3_BUCKET, "%s-%s-assets", c->eprefix, slug));
			continue;
		}
		if (s->migration.shell)
			run_task(c, &b, cluster, model_name(c, COHD_NAME_ECS, "%s-migrate", name));
		if (s->seed.shell && !c->production)
			run_task(c, &b, cluster, model_name(c, COHD_NAME_ECS, "%s-seed", name));
		cmd_line(&b, "aws ecs update-service --cluster %s --service %s --task-definition %s "
			     "--force-new-deployment",
			 cluster, name, name);
		for (size_t w = 0; w < s->n_workers; w++) {
			const char *wn = model_name(c, COHD_NAME_ECS, "%s-worker-%s", name,
						    s->workers[w].slug);

			cmd_line(&b, "aws ecs update-service --cluster %s --service %s "
				     "--task-definition %s --force-new-deployment",
				 cluster, wn, wn);
		}
		cmd_line(&b, "aws ecs wait services-stable --cluster %s --services %s", cluster, name);
	}
	if (c->has_frontend)
		cmd_line(&b, "aws cloudfront create-invalidation --distribution-id $DISTRIBUTION_ID "
			     "--paths '/*'");
	return cohd_buf_steal(&b);
}

static json_t *subnets_csv(struct model_ctx *c)
{
	struct cohd_buf b;
	json_t *v;

	cohd_buf_init(&b, 4096);
	for (unsigned i = 0; i < c->n_az; i++)
		cohd_buf_printf(&b, "%s${app/subnet/private-%u.SubnetId}", i ? "," : "", i);
	v = model_sub(c, "%s", cohd_buf_str(&b));
	cohd_buf_done(&b);
	return v;
}

static json_t *security_groups_csv(struct model_ctx *c)
{
	return model_sub(c, "${app/sg/default.GroupId},${app/sg/ecs.GroupId}%s%s",
			 c->has_database ? ",${app/sg/db-access.GroupId}" : "",
			 c->has_cache ? ",${app/sg/cache-access.GroupId}" : "");
}

static void project(struct model_ctx *c, const char *what, const char *role_id, char *spec,
		    json_t *env_vars)
{
	const char *name = model_name(c, COHD_NAME_CODEBUILD, "%s-%s", c->eprefix, what);
	unsigned timeout = 20;

	for (size_t i = 0; i < c->app->n_services; i++)
		timeout = MAX(timeout, c->app->services[i].timeout_minutes);
	if (!spec) {
		json_decref(env_vars);
		model_fail(c, -ENOMEM, "out of memory");
		return;
	}
	model_add(c, "codebuild.project", COHD_SCOPE_ENVIRONMENT,
		  model_str(c, "env/%s/codebuild/%s", c->env_slug, what), name,
		  json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}, s:{s:s, s:s, s:s, s:b, s:o}, s:o, "
			    "s:i, s:i, s:s, s:{s:{s:s}}}",
			    "name", name, "description",
			    model_str(c, "cohd: %s %s/%s", what, c->app->name, c->env), "source",
			    "type", "CODEPIPELINE", "buildspec", spec, "artifacts", "type",
			    "CODEPIPELINE", "environment", "type", "LINUX_CONTAINER", "image",
			    "aws/codebuild/standard:7.0", "computeType", compute_type(c),
			    "privilegedMode", 1, "environmentVariables", env_vars, "serviceRole",
			    model_ref(role_id, "Arn"), "timeoutInMinutes", (int)MIN(timeout, 480u),
			    "queuedTimeoutInMinutes", 60, "encryptionKey", "alias/aws/s3",
			    "logsConfig", "cloudWatchLogs", "status", "ENABLED"));
	free(spec);
}

static json_t *env_var(const char *name, json_t *value)
{
	return json_pack("{s:s, s:o, s:s}", "name", name, "value", value, "type", "PLAINTEXT");
}

static int pipeline(struct model_ctx *c)
{
	const char *name = model_name(c, COHD_NAME_CODEPIPELINE, "%s", c->eprefix);
	const char *build = model_str(c, "env/%s/codebuild/build", c->env_slug);
	const char *deploy = model_str(c, "env/%s/codebuild/deploy", c->env_slug);
	json_t *benv, *denv;

	benv = json_pack("[o]", env_var("ECR_REGISTRY",
					model_sub(c, "${AWS::AccountId}.dkr.ecr.%s.amazonaws.com",
						  c->region)));
	project(c, "build", "app/iam/build-role", build_spec(c), benv);

	denv = json_array();
	if (denv && c->has_backend) {
		json_array_append_new(denv, env_var("SUBNETS", subnets_csv(c)));
		json_array_append_new(denv, env_var("SECURITY_GROUPS", security_groups_csv(c)));
	}
	if (denv && c->has_frontend && cohd_graph_find(c->g, model_str(c, "env/%s/cdn", c->env_slug)))
		json_array_append_new(
			denv, env_var("DISTRIBUTION_ID",
				      model_ref(model_str(c, "env/%s/cdn", c->env_slug), "Id")));
	project(c, "deploy", "app/iam/deploy-role", deploy_spec(c), denv);

	model_add(
		c, "codepipeline.pipeline", COHD_SCOPE_ENVIRONMENT,
		model_str(c, "env/%s/pipeline", c->env_slug), name,
		json_pack(
			"{s:{s:s, s:o, s:{s:s, s:o}, s:s, s:[{s:s, s:[{s:s, s:{s:s, s:s, "
			"s:s, s:s}, s:{s:o, s:s, s:s}, s:[{s:s}]}]}, {s:s, s:[{s:s, s:{s:s, s:s, "
			"s:s, s:s}, s:{s:o}, s:[{s:s}], s:[{s:s}]}]}, {s:s, s:[{s:s, s:{s:s, s:s, "
			"s:s, s:s}, s:{s:o}, s:[{s:s}]}]}]}}",
			"pipeline", "name", name, "roleArn",
			model_ref("app/iam/pipeline-role", "Arn"), "artifactStore", "type", "S3",
			"location", model_ref("app/s3/source", "Bucket"), "pipelineType", "V2",
			"stages",
			/* Source; artifacts are encrypted with the bucket's default (SSE-KMS,
			 * AWS-managed key) */
			"name", "Source", "actions", "name", "Source", "actionTypeId", "category",
			"Source", "owner", "AWS", "provider", "S3", "version", "1", "configuration",
			"S3Bucket", model_ref("app/s3/source", "Bucket"), "S3ObjectKey",
			model_str(c, "%s/source.zip", c->env_slug), "PollForSourceChanges", "false",
			"outputArtifacts", "name", "source",
			/* Build */
			"name", "Build", "actions", "name", "Build", "actionTypeId", "category",
			"Build", "owner", "AWS", "provider", "CodeBuild", "version", "1",
			"configuration", "ProjectName", model_ref(build, "name"), "inputArtifacts",
			"name", "source", "outputArtifacts", "name", "built",
			/* Deploy */
			"name", "Deploy", "actions", "name", "Deploy", "actionTypeId", "category",
			"Build", "owner", "AWS", "provider", "CodeBuild", "version", "1",
			"configuration", "ProjectName", model_ref(deploy, "name"), "inputArtifacts",
			"name", "built"));
	return c->r;
}

int model_compile_build(struct model_ctx *c)
{
	if (c->app->n_services == 0)
		return c->r;
	if (ecr_repos(c) < 0 || source_bucket(c) < 0 || pipeline(c) < 0)
		return c->r;
	return c->r;
}
