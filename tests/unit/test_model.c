/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of lib/model: the graph (lookup, order, cycles), names and tags, the invariant
 * checker, golden plans (tests/data/plans/cases.txt; regenerate deliberately with
 * tests/data/plans/regen and review the diff), every real-world app file, determinism, and the
 * differences between preview and production environments.
 */
#include <dirent.h>

#include "lib/config/app.h"
#include "lib/model/check.h"
#include "lib/model/compile.h"
#include "lib/model/naming.h"
#include "test.h"

static struct cohd_app *load(const char *path)
{
	struct cohd_diag_list diags = {};
	struct cohd_app *app = NULL;
	int r;

	r = cohd_app_load_file(path, &diags, &app);
	if (r < 0)
		cohd_diag_list_print(&diags, stderr, true);
	cohd_diag_list_done(&diags);
	ck_assert_msg(r == 0, "%s does not parse", path);
	return app;
}

static struct cohd_graph *compile(const struct cohd_app *app, int env_type)
{
	struct cohd_model_options opts = COHD_MODEL_OPTIONS_INIT;
	struct cohd_error err = {};
	struct cohd_graph *g = NULL;
	int r;

	opts.region = "us-east-1";
	opts.env_type = env_type;
	r = cohd_model_compile(app, &opts, &g, &err);
	ck_assert_msg(r == 0, "%s: compile: %s", app->source_file, cohd_error_str(&err));
	r = cohd_model_check(g, &err);
	ck_assert_msg(r == 0, "%s: check: %s", app->source_file, cohd_error_str(&err));
	cohd_error_done(&err);
	return g;
}

static char *plan_text(const struct cohd_graph *g)
{
	json_t *plan = NULL;
	char *s;

	ck_assert_int_eq(cohd_model_plan_json(g, &plan, NULL), 0);
	s = json_dumps(plan, JSON_SORT_KEYS | JSON_INDENT(2));
	ck_assert_ptr_nonnull(s);
	json_decref(plan);
	return s;
}

static char *plan_of_file(const char *path, int env_type)
{
	_cleanup_(cohd_app_freep) struct cohd_app *app = load(path);
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = compile(app, env_type);

	return plan_text(g);
}

/* A property by dotted path ("a.b.0.c"); NULL if absent. */
static json_t *prop(const struct cohd_graph *g, const char *id, const char *path)
{
	const struct cohd_resource *r = cohd_graph_find(g, id);
	_cleanup_free_ char *copy = strdup(path);
	json_t *v;
	char *save = NULL;

	ck_assert_msg(r, "no resource %s", id);
	v = r->properties;
	for (char *t = strtok_r(copy, ".", &save); v && t; t = strtok_r(NULL, ".", &save))
		v = json_is_array(v) ? json_array_get(v, (size_t)atoi(t)) : json_object_get(v, t);
	return v;
}

static const char *prop_str(const struct cohd_graph *g, const char *id, const char *path)
{
	return json_string_value(prop(g, id, path));
}

static json_int_t prop_int(const struct cohd_graph *g, const char *id, const char *path)
{
	json_t *v = prop(g, id, path);

	ck_assert_msg(json_is_integer(v), "%s %s is not an integer", id, path);
	return json_integer_value(v);
}

/* ---- graph ---- */

START_TEST(test_graph_basics)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_free_ size_t *order = NULL;
	struct cohd_resource *r;
	struct cohd_error err = {};

	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(cohd_graph_add(g, "ec2.subnet", "app/subnet", "s", COHD_SCOPE_APPLICATION,
					json_pack("{s:o}", "VpcId", cohd_ref("app/vpc", "VpcId")),
					&r),
			 0);
	ck_assert_int_eq(cohd_graph_add(g, "ec2.vpc", "app/vpc", "v", COHD_SCOPE_APPLICATION, NULL,
					NULL),
			 0);
	ck_assert_int_eq(cohd_graph_add(g, "ec2.vpc", "app/vpc", "v", COHD_SCOPE_APPLICATION, NULL,
					NULL),
			 -EEXIST);
	ck_assert_int_eq(cohd_graph_add(g, "", "x", "v", COHD_SCOPE_APPLICATION, NULL, NULL),
			 -EINVAL);
	ck_assert_ptr_eq(cohd_graph_find(g, "app/subnet"), r);
	ck_assert_ptr_null(cohd_graph_find(g, "app/nope"));
	ck_assert_int_eq(cohd_graph_finalize(g, &err), 0);
	ck_assert_uint_eq(r->n_depends_on, 1);
	ck_assert_str_eq(r->depends_on[0], "app/vpc");
	ck_assert_int_eq(cohd_graph_toposort(g, &order, NULL), 0);
	ck_assert_str_eq(cohd_graph_get(g, order[0])->id, "app/vpc");
	ck_assert_str_eq(cohd_graph_get(g, order[1])->id, "app/subnet");
}
END_TEST

START_TEST(test_graph_many)
{
	/* more resources than the first index size: lookups stay right after growing */
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	char id[32];

	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof id, "r/%d", i);
		ck_assert_int_eq(cohd_graph_add(g, "t.t", id, "n", COHD_SCOPE_SERVICE,
						i ? json_pack("{s:o}", "p",
							      cohd_sub("${r/%d.Attr}", i - 1))
						  : NULL,
						NULL),
				 0);
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof id, "r/%d", i);
		ck_assert_ptr_nonnull(cohd_graph_find(g, id));
	}
	ck_assert_int_eq(cohd_graph_finalize(g, NULL), 0);
	ck_assert_str_eq(cohd_graph_find(g, "r/999")->depends_on[0], "r/998");
}
END_TEST

START_TEST(test_graph_errors)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_graph_freep) struct cohd_graph *h = cohd_graph_new();
	struct cohd_resource *a, *b;
	struct cohd_error err = {};

	ck_assert_int_eq(cohd_graph_add(g, "t.a", "a", "a", COHD_SCOPE_APPLICATION, NULL, &a), 0);
	ck_assert_int_eq(cohd_graph_add(g, "t.b", "b", "b", COHD_SCOPE_APPLICATION, NULL, &b), 0);
	ck_assert_int_eq(cohd_resource_depend(a, "b"), 0);
	ck_assert_int_eq(cohd_resource_depend(b, "a"), 0);
	ck_assert_int_eq(cohd_graph_finalize(g, &err), -ELOOP);
	ck_assert_ptr_nonnull(strstr(err.message, "cycle"));
	cohd_error_done(&err);

	ck_assert_int_eq(cohd_graph_add(h, "t.a", "a", "a", COHD_SCOPE_APPLICATION,
					json_pack("{s:o}", "x", cohd_ref("gone", "Id")), NULL),
			 0);
	ck_assert_int_eq(cohd_graph_finalize(h, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.message, "gone"));
	cohd_error_done(&err);
}
END_TEST

/* ---- naming ---- */

START_TEST(test_naming)
{
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *p = NULL, *s = NULL;

	s = cohd_naming_slug("Default Queue_Worker 1!", 0);
	ck_assert_str_eq(s, "default-queue-worker-1");
	p = cohd_naming_app_prefix("", "acme-shop");
	ck_assert_str_eq(p, "acme-shop-a3823a");

	a = cohd_naming_make(COHD_NAME_TARGET_GROUP, "%s-%s", p, "production-api");
	ck_assert_uint_le(strlen(a), 32);
	ck_assert(cohd_naming_valid(COHD_NAME_TARGET_GROUP, a));
	b = cohd_naming_make(COHD_NAME_TARGET_GROUP, "%s-%s", p, "production-apx");
	ck_assert_str_ne(a, b); /* cut the same way, but different hashes */

	c = cohd_naming_make(COHD_NAME_RDS, "1st--db__");
	ck_assert_str_eq(c, "c1st-db");
	ck_assert(cohd_naming_valid(COHD_NAME_RDS, c));
	ck_assert(!cohd_naming_valid(COHD_NAME_RDS, "1st-db"));
	ck_assert(!cohd_naming_valid(COHD_NAME_RDS, "a--b"));
	ck_assert(!cohd_naming_valid(COHD_NAME_S3_BUCKET, "ab"));
	ck_assert(!cohd_naming_valid(COHD_NAME_S3_BUCKET, "Upper"));

	d = cohd_naming_make(COHD_NAME_ELASTICACHE, "%s-%s", "a-very-long-application-name-1234ab",
			     "preview-environment-cache");
	ck_assert_uint_eq(strlen(d), 40);
	ck_assert(cohd_naming_valid(COHD_NAME_ELASTICACHE, d));
	ck_assert_uint_eq(cohd_naming_max(COHD_NAME_IAM_ROLE), 64);
	free(d);
	d = cohd_naming_make(COHD_NAME_ALB, "internal-tools-123456");
	ck_assert_str_eq(d, "cinternal-tools-123456");
	ck_assert(!cohd_naming_valid(COHD_NAME_ALB, "internal-tools-123456"));
	ck_assert_uint_eq(cohd_naming_max(COHD_NAME_S3_BUCKET), 63);
}
END_TEST

START_TEST(test_check_catches)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	_cleanup_(cohd_graph_freep) struct cohd_graph *h = cohd_graph_new();
	_cleanup_(cohd_graph_freep) struct cohd_graph *k = cohd_graph_new();
	struct cohd_resource *r;
	struct cohd_error err = {};

	/* a policy with secretsmanager on "*" */
	ck_assert_int_eq(cohd_graph_add(g, "iam.role", "app/role", "r", COHD_SCOPE_APPLICATION,
					json_pack("{s:s, s:[{s:{s:[{s:s, s:s, s:s}]}}]}", "RoleName",
						  "r", "Policies", "PolicyDocument", "Statement",
						  "Effect", "Allow", "Action",
						  "secretsmanager:GetSecretValue", "Resource", "*"),
					&r),
			 0);
	ck_assert_int_eq(cohd_naming_tag(r, "a", "e", true), 0);
	ck_assert_int_eq(cohd_model_check(g, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "secretsmanager"));
	cohd_error_done(&err);

	/* a name over the limit */
	ck_assert_int_eq(cohd_graph_add(h, "elbv2.target_group", "env/e/svc/x/target-group",
					"a-name-that-is-much-longer-than-32-characters",
					COHD_SCOPE_SERVICE, NULL, &r),
			 0);
	ck_assert_int_eq(cohd_naming_tag(r, "a", "e", true), 0);
	ck_assert_int_eq(cohd_model_check(h, &err), -EINVAL);
	cohd_error_done(&err);

	/* untagged */
	ck_assert_int_eq(cohd_graph_add(k, "ec2.vpc", "app/vpc", "v", COHD_SCOPE_APPLICATION, NULL,
					NULL),
			 0);
	ck_assert_int_eq(cohd_model_check(k, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "tag"));
	cohd_error_done(&err);
}
END_TEST

/* A one-resource graph (plus optionally a second) must fail the check with `why` in the
 * message, or pass when why is NULL. */
static void check_ids(enum cohd_resource_scope scope, const char *id, const char *id2,
		      const char *why)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = cohd_graph_new();
	const char *ids[] = { id, id2 };
	struct cohd_error err = {};

	for (size_t i = 0; i < ELEMENTSOF(ids) && ids[i]; i++) {
		struct cohd_resource *r;

		ck_assert_int_eq(cohd_graph_add(g, "test.thing", ids[i], "x", scope, NULL, &r),
				 0);
		ck_assert_int_eq(cohd_naming_tag(r, "a", "e", true), 0);
	}
	if (!why) {
		ck_assert_msg(cohd_model_check(g, &err) == 0, "%s: %s", id, cohd_error_str(&err));
		return;
	}
	ck_assert_int_eq(cohd_model_check(g, &err), -EINVAL);
	ck_assert_msg(strstr(err.message, why), "%s: '%s' lacks '%s'", id, err.message, why);
	cohd_error_done(&err);
}

START_TEST(test_check_ids)
{
	/* every id but app/ names its environment: each environment claims its ids alone */
	check_ids(COHD_SCOPE_SERVICE, "env/pr-42/svc/api/log-group", NULL, NULL);
	check_ids(COHD_SCOPE_ENVIRONMENT, "env/pr-42/rds/db", NULL, NULL);
	check_ids(COHD_SCOPE_APPLICATION, "app/vpc", NULL, NULL);
	check_ids(COHD_SCOPE_SERVICE, "svc/api/log-group", NULL, "env/<environment>/svc/");
	check_ids(COHD_SCOPE_SERVICE, "env/pr-42/api/log-group", NULL, "env/<environment>/svc/");
	check_ids(COHD_SCOPE_SERVICE, "env/pr-42/svc/api", NULL, "env/<environment>/svc/");
	check_ids(COHD_SCOPE_ENVIRONMENT, "env/pr-42", NULL, "env/<environment>/");
	check_ids(COHD_SCOPE_ENVIRONMENT, "env//rds/db", NULL, "env/<environment>/");
	check_ids(COHD_SCOPE_ENVIRONMENT, "app/rds/db", NULL, "env/<environment>/");
	check_ids(COHD_SCOPE_APPLICATION, "env/pr-42/vpc", NULL, "app/");
	check_ids(COHD_SCOPE_ENVIRONMENT, "env/pr-42/rds/db", "env/production/rds/db",
		  "another environment");
}
END_TEST

/* ---- golden plans ---- */

START_TEST(test_golden_plans)
{
	_cleanup_free_ char *cases = test_read_file(test_data_path("plans/cases.txt"), NULL);
	char *save = NULL;
	size_t n = 0;

	for (char *line = strtok_r(cases, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char file[256], type[32], golden[256], path[PATH_MAX], gpath[PATH_MAX];
		_cleanup_free_ char *want = NULL, *got = NULL;
		int env_type = -1;

		if (line[0] == '#' || sscanf(line, "%255s %31s %255s", file, type, golden) != 3)
			continue;
		if (!streq(type, "-"))
			env_type = cohd_app_env_type_from_string(type);
		ck_assert_int_ge(env_type, -1);
		snprintf(path, sizeof path, "%s/plans/%s", COHD_TEST_DATA_DIR, file);
		snprintf(gpath, sizeof gpath, "%s/plans/%s", COHD_TEST_DATA_DIR, golden);
		got = plan_of_file(path, env_type);
		want = test_read_file(gpath, NULL);
		/* the golden file is `cohd plan --json` output: the dump plus a newline */
		if (strlen(want) > 0 && want[strlen(want) - 1] == '\n')
			want[strlen(want) - 1] = 0;
		if (!streq(got, want)) {
			FILE *f = fopen("/tmp/cohd-test-model.plan.json", "we");

			if (f) {
				fputs(got, f);
				fclose(f);
			}
			ck_abort_msg("%s (%s) differs from %s; actual plan in "
				     "/tmp/cohd-test-model.plan.json (tests/data/plans/regen "
				     "regenerates, review the diff)",
				     file, type, golden);
		}
		n++;
	}
	ck_assert_uint_ge(n, 8);
}
END_TEST

/* ---- real apps, determinism ---- */

START_TEST(test_real_apps)
{
	_cleanup_free_ char *dir = strdup(test_data_path("real-apps"));
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		_cleanup_free_ char *path = NULL, *a = NULL, *b = NULL, *p = NULL;
		size_t len = strlen(de->d_name);

		if (len < 4 || !streq(de->d_name + len - 4, ".yml"))
			continue;
		ck_assert_int_ge(asprintf(&path, "%s/%s", dir, de->d_name), 0);
		for (int t = -1; t < _COHD_APP_ENV_TYPE_MAX; t++) {
			free(a);
			free(b);
			a = plan_of_file(path, t);
			b = plan_of_file(path, t);
			ck_assert_msg(streq(a, b), "%s: two compilations differ", path);
		}
		n++;
	}
	closedir(d);
	ck_assert_uint_eq(n, 10);
}
END_TEST

START_TEST(test_example_deterministic)
{
	_cleanup_free_ char *path = NULL, *a = NULL, *b = NULL;

	ck_assert_int_ge(asprintf(&path, "%s/../../examples/acme-shop.yml", COHD_TEST_DATA_DIR), 0);
	a = plan_of_file(path, -1);
	b = plan_of_file(path, -1);
	ck_assert_str_eq(a, b);
}
END_TEST

/* ---- what the plans must say ---- */

START_TEST(test_preview_vs_production)
{
	_cleanup_(cohd_app_freep) struct cohd_app *app = load(test_data_path("plans/shop.yml"));
	_cleanup_(cohd_graph_freep) struct cohd_graph *pv = compile(app, COHD_APP_ENV_PREVIEW);
	_cleanup_(cohd_graph_freep) struct cohd_graph *pr = compile(app, COHD_APP_ENV_PRODUCTION);
	_cleanup_(cohd_graph_freep) struct cohd_graph *st = compile(app, COHD_APP_ENV_STATIC);
	const char *svc = "env/pr-42/svc/api/ecs-service";
	const char *wsvc = "env/pr-42/svc/api/worker/tasks/ecs-service";

	/* Spot for previews, FARGATE otherwise (web and workers) */
	ck_assert_str_eq(prop_str(pv, svc, "capacityProviderStrategy.0.capacityProvider"),
			 "FARGATE_SPOT");
	ck_assert_ptr_null(prop(pv, svc, "launchType"));
	ck_assert_str_eq(prop_str(pv, wsvc, "capacityProviderStrategy.0.capacityProvider"),
			 "FARGATE_SPOT");
	ck_assert_str_eq(prop_str(pr, svc, "launchType"), "FARGATE");
	ck_assert_ptr_null(prop(pr, svc, "capacityProviderStrategy"));
	ck_assert_str_eq(prop_str(st, svc, "launchType"), "FARGATE");

	/* deletion protection and confirmed deletes outside previews */
	ck_assert(json_is_false(prop(pv, "env/pr-42/rds/db", "DeletionProtection")));
	ck_assert(json_is_true(prop(pr, "env/pr-42/rds/db", "DeletionProtection")));
	ck_assert(json_is_true(prop(st, "env/pr-42/rds/db", "DeletionProtection")));
	ck_assert_int_eq(cohd_graph_find(pv, "env/pr-42/rds/db")->deletion, COHD_DELETION_DEFAULT);
	ck_assert_int_eq(cohd_graph_find(pr, "env/pr-42/rds/db")->deletion, COHD_DELETION_CONFIRM);
	ck_assert_int_eq(cohd_graph_find(pr, "env/pr-42/s3/media")->deletion,
			 COHD_DELETION_CONFIRM);
	ck_assert(json_is_true(prop(pv, "env/pr-42/s3/media", "cohd:ForceDestroy")));
	ck_assert(json_is_false(prop(pr, "env/pr-42/s3/media", "cohd:ForceDestroy")));
	ck_assert_int_eq(prop_int(pv, "env/pr-42/secrets", "cohd:RecoveryWindowInDays"), 0);
	ck_assert_int_eq(prop_int(pr, "env/pr-42/secrets", "cohd:RecoveryWindowInDays"), 30);

	/* sizes: identical instance classes, autoscaling bounds differ */
	ck_assert_str_eq(prop_str(pv, "env/pr-42/rds/db", "DBInstanceClass"), "db.t3.micro");
	ck_assert_str_eq(prop_str(pr, "env/pr-42/rds/db", "DBInstanceClass"), "db.t3.micro");
	ck_assert_int_eq(prop_int(pv, "env/pr-42/svc/api/scaling-target", "MinCapacity"), 1);
	ck_assert_int_eq(prop_int(pv, "env/pr-42/svc/api/scaling-target", "MaxCapacity"), 4);
	ck_assert_int_eq(prop_int(pr, "env/pr-42/svc/api/scaling-target", "MinCapacity"), 3);
	ck_assert_int_eq(prop_int(pr, "env/pr-42/svc/api/scaling-target", "MaxCapacity"), 8);
	ck_assert_int_eq(prop_int(pr, svc, "desiredCount"), 3);
	ck_assert_int_eq(prop_int(pv, "env/pr-42/svc/api/task-definition",
				  "containerDefinitions.0.portMappings.0.containerPort"),
			 8080);
	ck_assert_str_eq(prop_str(pv, "env/pr-42/svc/api/task-definition", "cpu"),
			 prop_str(pr, "env/pr-42/svc/api/task-definition", "cpu"));

	/* seeds only outside production; log retention; tags */
	ck_assert_ptr_nonnull(cohd_graph_find(pv, "env/pr-42/svc/api/task-definition/seed"));
	ck_assert_ptr_null(cohd_graph_find(pr, "env/pr-42/svc/api/task-definition/seed"));
	ck_assert_int_eq(prop_int(pv, "env/pr-42/svc/api/log-group", "retentionInDays"), 7);
	ck_assert_int_eq(prop_int(st, "env/pr-42/svc/api/log-group", "retentionInDays"), 30);
	ck_assert_int_eq(prop_int(pr, "env/pr-42/svc/api/log-group", "retentionInDays"), 90);
	ck_assert_str_eq(json_string_value(json_object_get(cohd_graph_find(pv, "app/vpc")->tags,
							   "Environment")),
			 "review");
	ck_assert_str_eq(json_string_value(json_object_get(cohd_graph_find(st, "app/vpc")->tags,
							   "Environment")),
			 "review");
	ck_assert_str_eq(json_string_value(json_object_get(cohd_graph_find(pr, "app/vpc")->tags,
							   "Environment")),
			 "production");
}
END_TEST

START_TEST(test_topology_rules)
{
	_cleanup_(cohd_app_freep) struct cohd_app *be = load(test_data_path("plans/backend-only.yml"));
	_cleanup_(cohd_app_freep) struct cohd_app *fe = load(test_data_path("plans/frontend-only.yml"));
	_cleanup_(cohd_app_freep) struct cohd_app *bf =
		load(test_data_path("plans/backend-frontend.yml"));
	_cleanup_(cohd_app_freep) struct cohd_app *dt = load(test_data_path("plans/data.yml"));
	_cleanup_(cohd_graph_freep) struct cohd_graph *gbe = compile(be, -1);
	_cleanup_(cohd_graph_freep) struct cohd_graph *gfe = compile(fe, -1);
	_cleanup_(cohd_graph_freep) struct cohd_graph *gbf = compile(bf, -1);
	_cleanup_(cohd_graph_freep) struct cohd_graph *gdt = compile(dt, -1);

	/* Lambda@Edge only with a backend and a frontend (seed) */
	ck_assert_ptr_null(cohd_graph_find(gbe, "env/production/edge-lambda"));
	ck_assert_ptr_null(cohd_graph_find(gfe, "env/main/edge-lambda"));
	ck_assert_ptr_nonnull(cohd_graph_find(gbf, "env/staging/edge-lambda"));
	/* a frontend alone needs no network; no bastion without db/cache */
	ck_assert_ptr_null(cohd_graph_find(gfe, "app/vpc"));
	ck_assert_ptr_null(cohd_graph_find(gbe, "app/bastion"));
	ck_assert_ptr_nonnull(cohd_graph_find(gdt, "app/bastion"));
	/* behaviours ordered by url_path, longest first; default = the frontend */
	ck_assert_str_eq(prop_str(gbf, "env/staging/cdn",
				  "DistributionConfig.CacheBehaviors.Items.0.PathPattern"),
			 "/api");
	ck_assert_str_eq(prop_str(gbf, "env/staging/cdn",
				  "DistributionConfig.DefaultCacheBehavior.TargetOriginId"),
			 "s3-web");
	/* RDS Proxy for Postgres only */
	ck_assert_ptr_nonnull(cohd_graph_find(gdt, "env/production/rds/maindb/proxy"));
	ck_assert_ptr_null(cohd_graph_find(gdt, "env/production/rds/legacy/proxy"));
	/* KMS on RDS and data buckets */
	ck_assert(json_is_true(prop(gdt, "env/production/rds/maindb", "StorageEncrypted")));
	ck_assert_str_eq(prop_str(gdt, "env/production/s3/documents",
				  "ServerSideEncryptionConfiguration.Rules.0."
				  "ApplyServerSideEncryptionByDefault.SSEAlgorithm"),
			 "aws:kms");
	/* distinct build, deploy and run roles */
	ck_assert_ptr_nonnull(cohd_graph_find(gdt, "app/iam/build-role"));
	ck_assert_ptr_nonnull(cohd_graph_find(gdt, "app/iam/deploy-role"));
	ck_assert_ptr_nonnull(cohd_graph_find(gdt, "env/production/iam/execution-role"));
	ck_assert_ptr_nonnull(cohd_graph_find(gdt, "env/production/svc/app/iam/task-role"));
}
END_TEST

/* Every non-"app/" id and physical name of g, into the set (object) ids / names: fails on a
 * duplicate within g. Checks that each names the environment and carries its tags. */
static void env_owned(const struct cohd_graph *g, const char *env, json_t *ids, json_t *names)
{
	_cleanup_free_ char *prefix = NULL;

	/* what the daemon gives the engine as the environment's own ids */
	ck_assert_int_eq(cohd_model_env_id_prefix(env, &prefix), 0);
	for (size_t i = 0; i < cohd_graph_size(g); i++) {
		const struct cohd_resource *r = cohd_graph_get(g, i);
		_cleanup_free_ char *key = NULL;

		if (r->scope == COHD_SCOPE_APPLICATION) {
			ck_assert_msg(strncmp(r->id, "app/", 4) == 0, "%s is not app/", r->id);
			continue;
		}
		ck_assert_msg(strncmp(r->id, prefix, strlen(prefix)) == 0, "%s: not %s...", r->id,
			      prefix);
		if (r->scope == COHD_SCOPE_SERVICE)
			ck_assert_msg(strncmp(r->id + strlen(prefix), "svc/", 4) == 0,
				      "%s: not %ssvc/...", r->id, prefix);
		ck_assert_str_eq(json_string_value(json_object_get(r->tags, "cohd:id")), r->id);
		ck_assert_str_eq(json_string_value(json_object_get(r->tags, "cohd:environment")),
				 env);
		ck_assert_int_eq(json_object_set_new(ids, r->id, json_true()), 0);
		/* a physical name is unique per type and region (a listener rule is labelled
		 * with its ECS service's name, the CloudFront and the ALB certificate with
		 * the same domain) */
		ck_assert_int_ge(asprintf(&key, "%s %s %s", r->type, strempty(r->region), r->name),
				 0);
		ck_assert_msg(!json_object_get(names, key), "%s: %s twice", r->id, key);
		ck_assert_int_eq(json_object_set_new(names, key, json_string(r->id)), 0);
	}
}

static void check_environments_disjoint(const char *path)
{
	static const struct {
		const char *env;
		int type;
	} envs[] = {
		{ "production", COHD_APP_ENV_PRODUCTION },
		{ "pr-42", COHD_APP_ENV_PREVIEW },
	};
	_cleanup_(cohd_app_freep) struct cohd_app *app = load(path);
	struct cohd_graph *g[ELEMENTSOF(envs)] = {};
	json_t *ids[ELEMENTSOF(envs)], *names[ELEMENTSOF(envs)];

	for (size_t e = 0; e < ELEMENTSOF(envs); e++) {
		struct cohd_model_options opts = COHD_MODEL_OPTIONS_INIT;
		struct cohd_error err = {};
		int r;

		opts.region = "us-east-1";
		opts.environment = envs[e].env;
		opts.env_type = envs[e].type;
		r = cohd_model_compile(app, &opts, &g[e], &err);
		ck_assert_msg(r == 0, "%s: compile: %s", path, cohd_error_str(&err));
		r = cohd_model_check(g[e], &err);
		ck_assert_msg(r == 0, "%s: check: %s", path, cohd_error_str(&err));
		ids[e] = json_object();
		names[e] = json_object();
		env_owned(g[e], envs[e].env, ids[e], names[e]);
	}
	/* what one environment's engine claims, the other's never sees as its own */
	for (size_t e = 1; e < ELEMENTSOF(envs); e++) {
		const char *k;
		json_t *v;

		json_object_foreach(ids[e], k, v)
			ck_assert_msg(!json_object_get(ids[0], k), "%s: id %s in %s and %s", path, k,
				      envs[0].env, envs[e].env);
		json_object_foreach(names[e], k, v)
			ck_assert_msg(!json_object_get(names[0], k),
				      "%s: %s and %s both name '%s' (%s, %s)", path, envs[0].env,
				      envs[e].env, k, json_string_value(json_object_get(names[0], k)),
				      json_string_value(v));
	}
	/* the application's resources are the same ones in both (shared by design) */
	for (size_t i = 0; i < cohd_graph_size(g[0]); i++) {
		const struct cohd_resource *r = cohd_graph_get(g[0], i), *o;

		if (r->scope != COHD_SCOPE_APPLICATION)
			continue;
		o = cohd_graph_find(g[1], r->id);
		if (o)
			ck_assert_str_eq(o->name, r->name);
	}
	for (size_t e = 0; e < ELEMENTSOF(envs); e++) {
		json_decref(ids[e]);
		json_decref(names[e]);
		cohd_graph_free(g[e]);
	}
}

START_TEST(test_env_id_prefix)
{
	_cleanup_free_ char *a = NULL, *b = NULL;
	char *x = NULL;

	ck_assert_int_eq(cohd_model_env_id_prefix("pr-42", &a), 0);
	ck_assert_str_eq(a, "env/pr-42/");
	ck_assert_int_eq(cohd_model_env_id_prefix("production", &b), 0);
	ck_assert_str_eq(b, "env/production/");
	ck_assert_int_eq(cohd_model_env_id_prefix("", &x), -EINVAL);
	ck_assert_int_eq(cohd_model_env_id_prefix(NULL, &x), -EINVAL);
	ck_assert_ptr_null(x);
}
END_TEST

START_TEST(test_environments_disjoint)
{
	_cleanup_free_ char *example = NULL;
	static const char *const plans[] = {
		"plans/shop.yml", "plans/backend-frontend.yml", "plans/data.yml",
		"plans/workers-tasks.yml", "plans/frontend-only.yml", "plans/backend-only.yml",
	};
	/* not custom-domain.yml: a custom domain belongs to one environment's file, and two
	 * environments given the same one would both name its zone and certificates after it
	 * (their ids still differ) */

	/* acme-shop.production.yml and acme-shop.pr-42.yml */
	ck_assert_int_ge(asprintf(&example, "%s/../../examples/acme-shop.yml", COHD_TEST_DATA_DIR),
			 0);
	check_environments_disjoint(example);
	for (size_t i = 0; i < ELEMENTSOF(plans); i++)
		check_environments_disjoint(test_data_path(plans[i]));
}
END_TEST

START_TEST(test_long_names)
{
	/* the longest names the parser lets through: every physical name still fits */
	static const char yml[] =
		"x-cohd:\n"
		"  app: a123456789-123456789-123456789-123456789-123456789-123456789-12\n"
		"  environment: e123456789-123456789-123456789-123456789-123456789-123456789-12\n"
		"  type: preview\n"
		"  region: ap-southeast-2\n"
		"  custom_domains: [a-very-long-subdomain-name.of-a-rather-long-domain.example.com]\n"
		"the-service-with-a-really-long-name-that-goes-on-and-on-and-on:\n"
		"  type: backend\n"
		"  url_path: /a/long/url/path/for/this/service\n"
		"  prod: [run]\n"
		"  resources:\n"
		"    - {name: database-with-a-long-name-too, type: database, engine: postgres, "
		"version: 16}\n"
		"    - {name: cache-with-a-long-name-too, type: cache}\n"
		"    - {name: bucket-with-a-long-name-too-long-long-long, type: object_storage}\n"
		"  workers:\n"
		"    - {name: a worker with a very long name indeed it is, command: [w]}\n"
		"  scheduled_tasks:\n"
		"    - {name: a task with a very long name indeed it is, command: [t], "
		"schedule: '0 * * * *'}\n"
		"the-frontend-with-a-really-long-name-that-goes-on-and-on-and-on:\n"
		"  type: frontend\n"
		"  build: [b]\n";
	struct cohd_diag_list diags = {};
	struct cohd_app *app = NULL;
	struct cohd_graph *g;
	int r;

	r = cohd_app_parse("long.yml", yml, sizeof yml - 1, &diags, &app);
	if (r < 0)
		cohd_diag_list_print(&diags, stderr, true);
	cohd_diag_list_done(&diags);
	ck_assert_int_eq(r, 0);
	g = compile(app, -1); /* compile() runs cohd_model_check(): names within limits */
	for (size_t i = 0; i < cohd_graph_size(g); i++) {
		const struct cohd_resource *res = cohd_graph_get(g, i);
		int k = cohd_model_name_kind(res->type);

		if (k >= 0 && json_object_size(res->tags) > 0)
			ck_assert_uint_le(strlen(res->name), cohd_naming_max(k));
	}
	cohd_graph_free(g);
	cohd_app_free(app);
}
END_TEST

static Suite *model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc;

	tc = tcase_create("graph");
	tcase_add_test(tc, test_graph_basics);
	tcase_add_test(tc, test_graph_many);
	tcase_add_test(tc, test_graph_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("naming");
	tcase_add_test(tc, test_naming);
	tcase_add_test(tc, test_check_catches);
	tcase_add_test(tc, test_check_ids);
	suite_add_tcase(s, tc);

	tc = tcase_create("compile");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_golden_plans);
	tcase_add_test(tc, test_real_apps);
	tcase_add_test(tc, test_example_deterministic);
	tcase_add_test(tc, test_preview_vs_production);
	tcase_add_test(tc, test_topology_rules);
	tcase_add_test(tc, test_env_id_prefix);
	tcase_add_test(tc, test_environments_disjoint);
	tcase_add_test(tc, test_long_names);
	suite_add_tcase(s, tc);
	return s;
}

COHD_TEST_MAIN(model_suite)
