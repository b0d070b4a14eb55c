/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for lib/config: the bounded YAML loader, app files (every real-world file in
 * tests/data/real-apps, the example app, bad files against golden diagnostics, hostile input),
 * each normalisation (Fargate sizes, cron, slugs, engines), accept_drift rules and the daemon
 * config.
 */
#include <dirent.h>
#include <fcntl.h>

#include "lib/config/app.h"
#include "lib/config/daemon.h"
#include "lib/config/normalise.h"
#include "lib/config/yaml.h"
#include "lib/util/buf.h"
#include "lib/util/log.h"
#include "test.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static void closedirp_(DIR **d)
{
	if (*d)
		(void)closedir(*d);
}

static char *diags_text(struct cohd_diag_list *d)
{
	struct cohd_buf b;

	cohd_buf_init(&b, 1024 * 1024);
	cohd_diag_list_sort(d);
	for (size_t i = 0; i < d->n; i++) {
		_cleanup_free_ char *s = cohd_diag_format(&d->items[i]);

		ck_assert_ptr_nonnull(s);
		ck_assert_int_eq(cohd_buf_printf(&b, "%s\n", s), 0);
	}
	return cohd_buf_steal(&b);
}

/* Parse a file under tests/data, named in diagnostics by `name`. */
static int parse_data(const char *rel, const char *name, struct cohd_diag_list *d,
		      struct cohd_app **ret)
{
	_cleanup_free_ char *data = NULL;
	size_t len;

	data = test_read_file(test_data_path(rel), &len);
	return cohd_app_parse(name, data, len, d, ret);
}

static struct cohd_app *parse_ok(const char *rel)
{
	struct cohd_diag_list d = {};
	struct cohd_app *app = NULL;
	int r;

	r = parse_data(rel, rel, &d, &app);
	if (r < 0) {
		_cleanup_free_ char *t = diags_text(&d);

		ck_abort_msg("%s: %d\n%s", rel, r, t);
	}
	ck_assert_uint_eq(d.n_errors, 0);
	cohd_diag_list_done(&d);
	return app;
}

static struct cohd_app *parse_str(const char *name, const char *yaml, struct cohd_diag_list *d)
{
	struct cohd_app *app = NULL;

	(void)cohd_app_parse(name, yaml, strlen(yaml), d, &app);
	return app;
}

static const struct cohd_app_service *svc(const struct cohd_app *app, const char *name)
{
	const struct cohd_app_service *s = cohd_app_find_service(app, name);

	ck_assert_msg(s, "no service %s", name);
	return s;
}

static const struct cohd_app_resource *res(const struct cohd_app *app, const char *name)
{
	const struct cohd_app_resource *r = cohd_app_find_resource(app, name);

	ck_assert_msg(r, "no resource %s", name);
	return r;
}

/* ---- real-world files ----------------------------------------------------------------------- */

START_TEST(test_real_apps_all_valid)
{
	_cleanup_(closedirp_) DIR *dir = NULL;
	struct dirent *de;
	unsigned n = 0;

	dir = opendir(test_data_path("real-apps"));
	ck_assert_ptr_nonnull(dir);
	while ((de = readdir(dir))) {
		char rel[512];
		struct cohd_app *app;
		size_t l = strlen(de->d_name);

		if (l < 5 ||
		    (strcmp(de->d_name + l - 4, ".yml") && strcmp(de->d_name + l - 5, ".yaml")))
			continue;
		snprintf(rel, sizeof rel, "real-apps/%s", de->d_name);
		app = parse_ok(rel);
		ck_assert_uint_ge(app->n_services, 1);
		for (size_t i = 0; i < app->n_services; i++)
			ck_assert(
				cohd_fargate_valid(app->services[i].cpu, app->services[i].memory));
		cohd_app_free(app);
		n++;
	}
	ck_assert_uint_eq(n, 10);
}
END_TEST

START_TEST(test_real_lionbot)
{
	_cleanup_(cohd_app_freep) struct cohd_app *app =
		parse_ok("real-apps/ExiqonBot__LionBotv2__coherence.yml");
	const struct cohd_app_service *fe = svc(app, "frontend"), *be = svc(app, "backend");
	static const char *const slugs[] = {"dev-workspace", "preview-environment",
					    "default-queue-worker-1", "default-queue-worker-2"};

	ck_assert_int_eq(app->format, COHD_APP_FORMAT_V1);
	ck_assert_uint_eq(app->n_services, 2); /* integration_test is not a service */
	ck_assert_int_eq(fe->kind, COHD_APP_SERVICE_FRONTEND);
	ck_assert_str_eq(fe->assets_path, "build");
	ck_assert_str_eq(fe->repo_path, "frontend");
	ck_assert_str_eq(fe->build.shell, "yarn build");
	ck_assert_uint_eq(fe->n_test, 2);
	ck_assert_str_eq(fe->test[1].shell, "lint 1");
	ck_assert_uint_eq(fe->n_cors, 1);
	ck_assert_str_eq(fe->cors[0].allowed_origins[0], "www.example.com");

	ck_assert_int_eq(be->kind, COHD_APP_SERVICE_BACKEND);
	ck_assert_str_eq(be->url_path, "/api");
	ck_assert_str_eq(be->dockerfile, "backend/Dockerfile.prod");
	ck_assert_str_eq(be->start.shell, "run command");
	ck_assert_str_eq(be->migration.shell, "migration command");
	ck_assert_str_eq(be->seed.shell, "seed command");
	ck_assert_uint_eq(be->cpu, 1024);
	ck_assert_uint_eq(be->memory, 2048);
	ck_assert_uint_eq(be->min_scale, 2);
	ck_assert_uint_eq(be->max_scale, 6);
	ck_assert_uint_eq(be->n_workers, 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_str_eq(be->workers[i].slug, slugs[i]);
		ck_assert_uint_eq(be->workers[i].cpu, 1024); /* inherited */
		ck_assert_uint_eq(be->workers[i].memory, 2048);
		ck_assert_uint_eq(be->workers[i].replicas, 1);
	}
	ck_assert_str_eq(be->workers[2].name, "default queue worker 1");
	ck_assert_uint_eq(be->n_tasks, 1);
	ck_assert_str_eq(be->tasks[0].slug, "task-1");
	/* [“sleep”] loads as the string with the curly quotes in it */
	ck_assert_uint_eq(be->tasks[0].command.argc, 1);
	ck_assert_str_eq(be->tasks[0].command.argv[0], "\xe2\x80\x9csleep\xe2\x80\x9d");
	ck_assert_str_eq(be->tasks[0].schedule_expression, "cron(* * * * ? *)");

	ck_assert_uint_eq(app->n_resources, 2);
	ck_assert_int_eq(res(app, "db1")->engine, COHD_APP_ENGINE_POSTGRES);
	ck_assert_str_eq(res(app, "db1")->engine_version, "13");
	ck_assert_str_eq(res(app, "db1")->service, "backend");
	ck_assert_int_eq(res(app, "redis")->kind, COHD_APP_RESOURCE_CACHE);
	ck_assert_str_eq(res(app, "redis")->engine_version, "4.0.10");
	ck_assert_uint_eq(app->preview_inactivity_timeout_hours, 72);
	ck_assert_str_eq(app->build_machine_type, "N1_HIGHCPU_8");
	ck_assert(app->allow_vpc_sharing);
	ck_assert_str_eq(app->vpc_sharing_app, "my-first-app");
}
END_TEST

START_TEST(test_real_burnedchris)
{
	_cleanup_(cohd_app_freep) struct cohd_app *app =
		parse_ok("real-apps/BurnedChris__monorepo-demo__coherence.yml");
	static const char *const names[] = {"payments", "webhooks", "organizations", "uppy"};
	const struct cohd_app_resource *sib;

	ck_assert_uint_eq(app->n_services, 4);
	for (size_t i = 0; i < 4; i++) {
		const struct cohd_app_service *s = &app->services[i];

		ck_assert_str_eq(s->name, names[i]);
		ck_assert_int_eq(s->kind, COHD_APP_SERVICE_BACKEND);
		ck_assert_int_eq(s->url_path[0], '/');
		ck_assert_str_eq(s->url_path + 1, names[i]);
		ck_assert(s->health_check_set);
		ck_assert_str_eq(s->health_check_matcher, "200-399");
	}
	ck_assert_str_eq(app->services[0].health_check_path, "/health");
	ck_assert_str_eq(app->services[3].health_check_path, "/uppy");
	ck_assert_str_eq(app->services[0].dockerfile, "payments.dockerfile");
	ck_assert_str_eq(app->services[0].start.shell, "cd services/payments && yarn serve");
	ck_assert_uint_eq(app->services[0].start.argc, 5);
	ck_assert_str_eq(app->services[0].start.argv[2], "&&");
	ck_assert_uint_eq(app->services[2].cpu, 1024); /* organizations: defaults */
	ck_assert_uint_eq(app->services[2].memory, 2048);

	ck_assert_uint_eq(app->n_resources, 2);
	ck_assert_str_eq(res(app, "payment-db")->version, "15");
	sib = &app->resources[1];
	ck_assert_str_eq(sib->sibling_service, "payments");
	ck_assert_str_eq(sib->sibling_resource, "payment-db");
	ck_assert_str_eq(sib->version, "15"); /* the owner's version wins */
	ck_assert_ptr_eq(cohd_app_resource_target(app, sib), res(app, "payment-db"));
	ck_assert_ptr_eq(cohd_app_resource_target(app, &app->resources[0]), &app->resources[0]);
	ck_assert_uint_eq(app->preview_inactivity_timeout_hours, 72);
}
END_TEST

START_TEST(test_real_flask_tf)
{
	_cleanup_(cohd_app_freep) struct cohd_app *app =
		parse_ok("real-apps/coherencedemo__flask-tf__cnc.yml");
	const struct cohd_app_service *s = svc(app, "backend");

	ck_assert_int_eq(app->format, COHD_APP_FORMAT_V2);
	/* empty strings mean "default" */
	ck_assert_str_eq(s->url_path, "/");
	ck_assert_str_eq(s->repo_path, ".");
	ck_assert_str_eq(s->health_check_path, "/");
	ck_assert(!s->health_check_set);
	ck_assert_str_eq(s->health_check_matcher, "200-499");
	ck_assert_ptr_null(s->start.shell);
	ck_assert_str_eq(s->dockerfile, "Dockerfile");
	ck_assert_uint_eq(s->cpu, 1024);
	ck_assert_uint_eq(s->memory, 2048);
	ck_assert_uint_eq(s->port, 8080);
}
END_TEST

START_TEST(test_real_v2_detection)
{
	_cleanup_(cohd_app_freep) struct cohd_app *ritza = parse_ok(
		"real-apps/ritza-co__ruby-on-rails-postgres-employees-demo__coherence.yml");
	_cleanup_(cohd_app_freep) struct cohd_app *django =
		parse_ok("real-apps/coherenceplatformdemos__django-gke-cnc-demo-1__cnc.yml");
	_cleanup_(cohd_app_freep) struct cohd_app *octo =
		parse_ok("real-apps/adamaziz15__reimagined-octo-pancake__coherence.yml");
	const struct cohd_app_service *s;

	/* named coherence.yml, v2 by content */
	ck_assert_int_eq(ritza->format, COHD_APP_FORMAT_V2);
	s = svc(ritza, "rails");
	ck_assert_uint_eq(s->cpu, 2048); /* x-cnc.system.cpu: the v1 spelling */
	ck_assert_uint_eq(s->memory, 4096);
	ck_assert_str_eq(s->migration.argv[0], ".");
	ck_assert_str_eq(s->migration.shell, ". /root/.profile && bundle exec rails db:migrate");
	ck_assert_uint_eq(ritza->n_resources, 1);
	ck_assert_int_eq(res(ritza, "db1")->engine, COHD_APP_ENGINE_POSTGRES);
	ck_assert_uint_eq(res(ritza, "db1")->major, 13);
	ck_assert_ptr_null(res(ritza, "db1")->service);

	ck_assert_int_eq(django->format, COHD_APP_FORMAT_V2);
	s = svc(django, "app");
	ck_assert_str_eq(s->start.shell, "python manage.py runserver 0.0.0.0:$PORT");
	ck_assert_uint_eq(s->start.argc, 4);
	ck_assert_uint_eq(s->n_workers, 1);
	ck_assert_str_eq(s->workers[0].slug, "default-queue-worker");
	ck_assert_uint_eq(s->workers[0].cpu, 1024);    /* system.cpu where cnc says cpus */
	ck_assert_uint_eq(s->workers[0].memory, 2048); /* 1G raised to 1 vCPU's minimum */
	ck_assert_str_eq(res(django, "db")->version, "15");
	ck_assert_int_eq(res(django, "db")->engine, COHD_APP_ENGINE_POSTGRES);
	ck_assert_int_eq(res(django, "redis")->engine, COHD_APP_ENGINE_REDIS);
	ck_assert_str_eq(res(django, "redis")->engine_version, "6.2");

	ck_assert_int_eq(octo->format, COHD_APP_FORMAT_V2);
	s = svc(octo, "backend");
	ck_assert_str_eq(s->url_path, "/api");
	ck_assert_str_eq(s->dockerfile, "backend/Dockerfile");
	ck_assert_uint_eq(s->port, 8080);
	s = svc(octo, "frontend");
	ck_assert_str_eq(s->assets_path, "dist");
	ck_assert_str_eq(s->dockerfile, "frontend/Dockerfile");
	ck_assert_str_eq(s->build.shell, "npm run build");
}
END_TEST

START_TEST(test_real_odd_v1)
{
	_cleanup_(cohd_app_freep) struct cohd_app *rw =
		parse_ok("real-apps/coherenceplatform__redwoodjs-template__coherence.yml");
	_cleanup_(cohd_app_freep) struct cohd_app *vf =
		parse_ok("real-apps/vfarcic__coherence-demo__coherence.yml");
	_cleanup_(cohd_app_freep) struct cohd_app *rj =
		parse_ok("real-apps/adamaziz15__react-jest-template__coherence.yml");
	_cleanup_(cohd_app_freep) struct cohd_app *ib =
		parse_ok("real-apps/ibraheem4__redwood-template__coherence.yml");
	const struct cohd_app_service *s;

	/* two services on "/" in an official template */
	ck_assert_str_eq(svc(rw, "frontend")->url_path, "/");
	ck_assert_str_eq(svc(rw, "backend")->url_path, "/");
	s = svc(rw, "backend");
	ck_assert_str_eq(s->start.argv[0], "DATABASE_URL=file:./dev.db LOG_LEVEL=debug yarn");
	ck_assert_str_eq(
		s->start.shell,
		"DATABASE_URL=file:./dev.db LOG_LEVEL=debug yarn rw-server api --port $PORT");

	/* prod holding only a Dockerfile */
	s = svc(vf, "frontend");
	ck_assert_int_eq(s->kind, COHD_APP_SERVICE_FRONTEND);
	ck_assert_str_eq(s->dockerfile, "Dockerfile");
	ck_assert_ptr_null(s->start.shell);
	ck_assert_str_eq(res(vf, "silly-demo")->service, "frontend");

	s = svc(rj, "frontend");
	ck_assert_int_eq(s->kind, COHD_APP_SERVICE_BACKEND);
	ck_assert_str_eq(s->repo_path, ".");
	ck_assert_uint_eq(s->n_test, 1);
	ck_assert_str_eq(s->test[0].shell, "npm run test");
	ck_assert_str_eq(s->start.shell, "npm run start");

	s = svc(ib, "api");
	ck_assert_str_eq(res(ib, "redwood-stencil-db")->adapter, "postgresql");
	ck_assert_uint_eq(s->cpu, 2048);
	ck_assert_uint_eq(s->memory, 4096);
	ck_assert_str_eq(s->migration.shell, "yarn rw prisma migrate deploy");
	ck_assert_uint_eq(s->seed.argc, 11);
	ck_assert_str_eq(svc(ib, "web")->assets_path, "web/dist");
	ck_assert_str_eq(svc(ib, "web")->start.argv[3], "web");
}
END_TEST

/* ---- example app, names from the file ------------------------------------------------------- */

START_TEST(test_example_app)
{
	_cleanup_free_ char *data = NULL;
	_cleanup_(cohd_app_freep) struct cohd_app *app = NULL;
	struct cohd_diag_list d = {};
	const struct cohd_app_service *api, *web;
	char path[4096];
	size_t len;

	snprintf(path, sizeof path, "%s/../../examples/acme-shop.yml", COHD_TEST_DATA_DIR);
	data = test_read_file(path, &len);
	ck_assert_int_eq(cohd_app_parse("examples/acme-shop.yml", data, len, &d, &app), 0);
	ck_assert_uint_eq(d.n, 0); /* not even a warning */
	cohd_diag_list_done(&d);

	ck_assert_str_eq(app->name, "acme-shop");
	ck_assert_str_eq(app->environment, "production");
	ck_assert_int_eq(app->env_type, COHD_APP_ENV_PRODUCTION);
	ck_assert_str_eq(app->base_domain, "acme.example.com");
	ck_assert_ptr_null(app->region);
	ck_assert_uint_eq(app->n_variables, 1);
	ck_assert_str_eq(app->variables[0].name, "SHOP_CURRENCY");
	ck_assert_uint_eq(app->n_accept_drift, 1);
	ck_assert_str_eq(app->accept_drift[0].resource, "rds.db_instance");

	api = svc(app, "api");
	ck_assert_uint_eq(api->n_variables, 1);
	ck_assert_str_eq(api->variables[0].name, "STRIPE_SECRET_KEY");
	ck_assert_ptr_null(api->variables[0].value);
	ck_assert_ptr_nonnull(api->variables[0].secret_id);
	ck_assert_str_eq(api->dockerfile, "services/api/Dockerfile");
	ck_assert_uint_eq(api->cpu, 1024);
	ck_assert_uint_eq(api->memory, 2048);
	ck_assert_uint_eq(api->n_workers, 1);
	ck_assert_str_eq(api->workers[0].slug, "order-emails");
	ck_assert_uint_eq(api->workers[0].cpu, 512);
	ck_assert_uint_eq(api->workers[0].memory, 1024);
	ck_assert_uint_eq(api->n_tasks, 1);
	ck_assert_str_eq(api->tasks[0].schedule_expression, "cron(30 2 ? * 2-6 *)");
	ck_assert_uint_eq(api->tasks[0].cpu, 1024);
	ck_assert_uint_eq(api->tasks[0].memory, 2048);
	ck_assert_uint_eq(app->n_resources, 3);
	ck_assert_str_eq(res(app, "db")->engine_version, "16");
	ck_assert_str_eq(res(app, "cache")->engine_version, "7.0");
	ck_assert_uint_eq(res(app, "uploads")->n_cors, 1);
	ck_assert_str_eq(res(app, "uploads")->cors[0].allowed_methods[1], "PUT");

	web = svc(app, "web");
	ck_assert_str_eq(web->assets_path, "dist");
	ck_assert_str_eq(web->install.shell, "npm ci");
	ck_assert(web->cdn_enabled);
	ck_assert(!api->cdn_enabled);
}
END_TEST

START_TEST(test_names_from_file)
{
	static const struct {
		const char *file, *app, *env;
		enum cohd_app_env_type type;
	} t[] = {
		{"/etc/cohd/apps.d/acme-shop.pr-42.yml", "acme-shop", "pr-42",
		 COHD_APP_ENV_PREVIEW},
		{"acme-shop.staging.yaml", "acme-shop", "staging", COHD_APP_ENV_STATIC},
		{"acme-shop.prod.yml", "acme-shop", "prod", COHD_APP_ENV_PRODUCTION},
		{"acme-shop.yml", "acme-shop", "production", COHD_APP_ENV_PRODUCTION},
		{"Acme_Shop.Feature.X.yml", "acme-shop", "feature-x", COHD_APP_ENV_PREVIEW},
		{"42shop.main.yml", "a-42shop", "main", COHD_APP_ENV_PREVIEW},
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		struct cohd_diag_list d = {};
		_cleanup_(cohd_app_freep) struct cohd_app *app =
			parse_str(t[i].file, "api: {type: backend}\n", &d);

		ck_assert_ptr_nonnull(app);
		ck_assert_str_eq(app->name, t[i].app);
		ck_assert_str_eq(app->environment, t[i].env);
		ck_assert_int_eq(app->env_type, t[i].type);
		cohd_diag_list_done(&d);
	}

	/* x-cohd wins over the file name */
	{
		struct cohd_diag_list d = {};
		_cleanup_(cohd_app_freep) struct cohd_app *app = parse_str(
			"x.pr-1.yml",
			"x-cohd: {app: shop, environment: main, type: static, region: us-east-1,\n"
			"  role_arn: 'arn:aws:iam::210987654321:role/cohd', custom_domains: "
			"[a.b.c]}\n"
			"api: {type: backend}\n",
			&d);

		ck_assert_ptr_nonnull(app);
		ck_assert_str_eq(app->name, "shop");
		ck_assert_str_eq(app->environment, "main");
		ck_assert_int_eq(app->env_type, COHD_APP_ENV_STATIC);
		ck_assert_str_eq(app->region, "us-east-1");
		ck_assert_str_eq(app->role_arn, "arn:aws:iam::210987654321:role/cohd");
		ck_assert_uint_eq(app->n_custom_domains, 1);
		ck_assert_ptr_null(app->custom_domains[1]);
		cohd_diag_list_done(&d);
	}
}
END_TEST

START_TEST(test_commands)
{
	struct cohd_diag_list d = {};
	_cleanup_(cohd_app_freep) struct cohd_app *app =
		parse_str("c.yml",
			  "api:\n"
			  "  type: backend\n"
			  "  prod: \"  gunicorn   app:wsgi  \"\n"
			  "  migration: [python, manage.py, migrate, 3, true]\n"
			  "  seed: ''\n"
			  "  test: [[a, b], [c]]\n"
			  "web:\n"
			  "  type: frontend\n"
			  "  url_path: /app/\n"
			  "  build: npm run build\n",
			  &d);
	const struct cohd_app_service *s;

	ck_assert_ptr_nonnull(app);
	s = svc(app, "api");
	ck_assert_uint_eq(s->start.argc, 2);
	ck_assert_str_eq(s->start.argv[1], "app:wsgi");
	ck_assert_str_eq(s->start.shell, "  gunicorn   app:wsgi  ");
	ck_assert_str_eq(s->migration.shell, "python manage.py migrate 3 true");
	ck_assert_ptr_null(s->seed.argv);
	ck_assert_uint_eq(s->n_test, 2);
	ck_assert_uint_eq(s->migration.loc.line, 4);
	ck_assert_uint_eq(s->migration.loc.column, 14);
	s = svc(app, "web");
	ck_assert_str_eq(s->url_path, "/app");
	ck_assert_str_eq(s->build.argv[2], "build");
	ck_assert_uint_eq(s->loc.line, 7);
	ck_assert_uint_eq(s->loc.column, 1);
	cohd_diag_list_done(&d);
}
END_TEST

START_TEST(test_compose_extras)
{
	struct cohd_diag_list d = {};
	_cleanup_(cohd_app_freep) struct cohd_app *app = parse_str(
		"c.yml",
		"x-base: &base\n"
		"  deploy: {replicas: 3, resources: {limits: {cpus: '0.5', memory: 512M}}}\n"
		"services:\n"
		"  api:\n"
		"    <<: *base\n"
		"    image: acme/api:1.2\n"
		"    ports: ['127.0.0.1:80:3000/tcp']\n"
		"    environment: [A=1, B=two=2]\n"
		"    x-cnc:\n"
		"      type: backend\n"
		"      system: {platform_settings: {min_scale: 2, max_scale: 5}}\n"
		"  web:\n"
		"    build: web\n"
		"    environment: {C: 3}\n"
		"    x-cnc: {type: frontend, cdn: {enabled: false}}\n"
		"x-cnc:\n"
		"  resources: [{name: files, type: object_storage}]\n",
		&d);
	const struct cohd_app_service *s;

	if (!app) {
		_cleanup_free_ char *t = diags_text(&d);

		ck_abort_msg("%s", t);
	}
	ck_assert_int_eq(app->format, COHD_APP_FORMAT_V2);
	s = svc(app, "api");
	ck_assert_str_eq(s->image, "acme/api:1.2");
	ck_assert_uint_eq(s->port, 3000);
	ck_assert_uint_eq(s->replicas, 3);
	ck_assert_uint_eq(s->cpu, 512);
	ck_assert_uint_eq(s->memory, 1024);
	ck_assert_uint_eq(s->min_scale, 2);
	ck_assert_uint_eq(s->max_scale, 5);
	ck_assert_uint_eq(s->n_variables, 2);
	ck_assert_str_eq(s->variables[1].value, "two=2");
	s = svc(app, "web");
	ck_assert_str_eq(s->repo_path, "web");
	ck_assert(!s->cdn_enabled);
	ck_assert_str_eq(s->variables[0].value, "3");
	ck_assert_int_eq(res(app, "files")->kind, COHD_APP_RESOURCE_OBJECT_STORAGE);
	cohd_diag_list_done(&d);
}
END_TEST

/* The reference example in both forms (coherence-resources.md §3) maps to the same structs. */
START_TEST(test_reference_v1_v2_same)
{
	_cleanup_(cohd_app_freep) struct cohd_app *v1 = NULL, *v2 = NULL;
	struct cohd_diag_list d = {};

	ck_assert_int_eq(parse_data("config/good/reference-v1.yml", "x.yml", &d, &v1), 0);
	ck_assert_int_eq(parse_data("config/good/reference-v2.yml", "x.yml", &d, &v2), 0);
	ck_assert_uint_eq(d.n_errors, 0);
	cohd_diag_list_done(&d);
	ck_assert_int_eq(v1->format, COHD_APP_FORMAT_V1);
	ck_assert_int_eq(v2->format, COHD_APP_FORMAT_V2);
	ck_assert_uint_eq(v1->preview_inactivity_timeout_hours, 72);
	ck_assert_uint_eq(v2->preview_inactivity_timeout_hours, 72);
	ck_assert_uint_eq(v1->n_services, v2->n_services);
	for (size_t i = 0; i < v1->n_services; i++) {
		const struct cohd_app_service *a = &v1->services[i];
		const struct cohd_app_service *b = cohd_app_find_service(v2, a->name);

		ck_assert_msg(b, "%s missing in v2", a->name);
		ck_assert_int_eq(a->kind, b->kind);
		ck_assert_str_eq(a->url_path, b->url_path);
		ck_assert_str_eq(a->repo_path, b->repo_path);
		ck_assert_str_eq(strempty(a->dockerfile), strempty(b->dockerfile));
		ck_assert_uint_eq(a->cpu, b->cpu);
		ck_assert_uint_eq(a->memory, b->memory);
		ck_assert_uint_eq(a->min_scale, b->min_scale);
		ck_assert_uint_eq(a->max_scale, b->max_scale);
		ck_assert_str_eq(a->health_check_path, b->health_check_path);
		ck_assert_str_eq(a->health_check_matcher, b->health_check_matcher);
		ck_assert_str_eq(strempty(a->migration.shell), strempty(b->migration.shell));
		ck_assert_str_eq(strempty(a->seed.shell), strempty(b->seed.shell));
		ck_assert_str_eq(strempty(a->build.shell), strempty(b->build.shell));
		ck_assert_str_eq(strempty(a->assets_path), strempty(b->assets_path));
		ck_assert_uint_eq(a->n_workers, b->n_workers);
		for (size_t j = 0; j < a->n_workers; j++) {
			ck_assert_str_eq(a->workers[j].slug, b->workers[j].slug);
			ck_assert_uint_eq(a->workers[j].cpu, b->workers[j].cpu);
			ck_assert_uint_eq(a->workers[j].memory, b->workers[j].memory);
			ck_assert_uint_eq(a->workers[j].replicas, b->workers[j].replicas);
		}
		ck_assert_uint_eq(a->n_tasks, b->n_tasks);
		for (size_t j = 0; j < a->n_tasks; j++) {
			ck_assert_str_eq(a->tasks[j].schedule_expression,
					 b->tasks[j].schedule_expression);
			ck_assert_uint_eq(a->tasks[j].memory, b->tasks[j].memory);
		}
	}
	ck_assert_str_eq(svc(v1, "api")->dockerfile, "services/api/Dockerfile.prod");
	ck_assert_str_eq(svc(v1, "api")->tasks[0].schedule_expression, "cron(0 3 * * ? *)");
	ck_assert_uint_eq(svc(v1, "api")->workers[0].cpu, 512);
	ck_assert_uint_eq(svc(v1, "api")->workers[0].memory, 1024);
	ck_assert_uint_eq(svc(v2, "api")->replicas, 2);
	ck_assert_uint_eq(v1->n_resources, v2->n_resources);
	for (size_t i = 0; i < v1->n_resources; i++) {
		const struct cohd_app_resource *a = &v1->resources[i];
		const struct cohd_app_resource *b = cohd_app_find_resource(v2, a->name);

		ck_assert_msg(b, "%s missing in v2", a->name);
		ck_assert_int_eq(a->kind, b->kind);
		ck_assert_int_eq(a->engine, b->engine);
		ck_assert_str_eq(strempty(a->engine_version), strempty(b->engine_version));
		ck_assert_str_eq(strempty(a->adapter), strempty(b->adapter));
	}
	ck_assert_str_eq(res(v1, "cache")->engine_version, "7.0");
	ck_assert_str_eq(res(v1, "maindb")->adapter, "postgresql");
}
END_TEST

/* ---- bad files: golden diagnostics ---------------------------------------------------------- */

START_TEST(test_bad_golden)
{
	_cleanup_(closedirp_) DIR *dir = NULL;
	struct dirent *de;
	unsigned n = 0;

	dir = opendir(test_data_path("config/bad"));
	ck_assert_ptr_nonnull(dir);
	while ((de = readdir(dir))) {
		_cleanup_free_ char *got = NULL, *want = NULL;
		struct cohd_diag_list d = {};
		struct cohd_app *app = NULL;
		char rel[512], name[512], err[512];
		size_t l = strlen(de->d_name);

		if (l < 5 || strcmp(de->d_name + l - 4, ".yml"))
			continue;
		snprintf(rel, sizeof rel, "config/bad/%s", de->d_name);
		snprintf(name, sizeof name, "bad/%s", de->d_name);
		snprintf(err, sizeof err, "config/bad/%.*s.err", (int)(l - 4), de->d_name);
		(void)parse_data(rel, name, &d, &app);
		got = diags_text(&d);
		want = test_read_file(test_data_path(err), NULL);
		ck_assert_msg(streq(got, want), "%s: diagnostics differ.\n--- want\n%s--- got\n%s",
			      rel, want, got);
		/* every diagnostic is located */
		for (size_t i = 0; i < d.n; i++)
			ck_assert_uint_gt(d.items[i].line, 0);
		ck_assert_int_eq(app == NULL, d.n_errors > 0);
		cohd_app_free(app);
		cohd_diag_list_done(&d);
		n++;
	}
	ck_assert_uint_ge(n, 10);
}
END_TEST

/* ---- hostile input -------------------------------------------------------------------------- */

static void expect_fail(const char *name, const char *data, size_t len, const char *needle,
			bool located)
{
	struct cohd_diag_list d = {};
	struct cohd_app *app = NULL;
	_cleanup_free_ char *t = NULL;
	int r;

	r = cohd_app_parse(name, data, len, &d, &app);
	t = diags_text(&d);
	ck_assert_msg(r == -EINVAL, "%s: r=%d\n%s", name, r, t);
	ck_assert_ptr_null(app);
	ck_assert_uint_gt(d.n_errors, 0);
	ck_assert_msg(strstr(t, needle), "%s: '%s' not in:\n%s", name, needle, t);
	if (located)
		for (size_t i = 0; i < d.n; i++)
			ck_assert_msg(d.items[i].line > 0, "%s: unlocated: %s", name,
				      d.items[i].message);
	cohd_diag_list_done(&d);
}

START_TEST(test_hostile_files)
{
	static const struct {
		const char *file, *needle;
	} t[] = {
		{"alias-bomb.yml", "more than 100000 nodes"},
		{"alias-bomb-map.yml", "more than 100000 nodes"},
		{"binary.yml", "invalid input"},
		{"complex-key.yml", "mapping keys must be plain strings"},
		{"control-chars.yml", "control characters are not allowed"},
		{"duplicate-keys.yml", "duplicate key 'type' (first at 2:3)"},
		{"invalid-utf8.yml", "not valid UTF-8"},
		{"nul-bytes.yml", "control characters"},
		{"nul-escape.yml", "NUL character"},
		{"recursive-alias.yml", "has no complete anchor"},
		{"two-documents.yml", "a second YAML document"},
		{"undefined-alias.yml", "has no complete anchor"},
		{"unterminated.yml", "syntax error"},
		{"utf16-bom.yml", "UTF-16"},
		{"wrong-types-everywhere.yml", "must be a mapping, not a list"},
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_free_ char *data = NULL;
		char rel[256];
		size_t len;

		snprintf(rel, sizeof rel, "config/hostile/%s", t[i].file);
		data = test_read_file(test_data_path(rel), &len);
		expect_fail(t[i].file, data, len, t[i].needle, true);
	}
}
END_TEST

START_TEST(test_hostile_generated)
{
	struct cohd_buf b;
	char *s;

	/* 10,000-deep nesting, block and flow */
	cohd_buf_init(&b, 64 * 1024 * 1024);
	ck_assert_int_eq(cohd_buf_append_str(&b, "a: "), 0);
	for (int i = 0; i < 10000; i++)
		ck_assert_int_eq(cohd_buf_append_str(&b, "["), 0);
	for (int i = 0; i < 10000; i++)
		ck_assert_int_eq(cohd_buf_append_str(&b, "]"), 0);
	expect_fail("deep-flow.yml", b.data, b.len, "nesting deeper than 64 levels", true);
	cohd_buf_reset(&b);
	for (int i = 0; i < 10000; i++)
		ck_assert_int_eq(cohd_buf_append_str(&b, "- "), 0);
	ck_assert_int_eq(cohd_buf_append_str(&b, "x\n"), 0);
	expect_fail("deep-block.yml", b.data, b.len, "nesting deeper than 64 levels", true);

	/* 10 MB file */
	cohd_buf_reset(&b);
	ck_assert_int_eq(cohd_buf_append_str(&b, "api:\n  type: backend\n  x: \""), 0);
	while (b.len < 10 * 1024 * 1024)
		ck_assert_int_eq(cohd_buf_append_str(&b, "0123456789abcdef"), 0);
	ck_assert_int_eq(cohd_buf_append_str(&b, "\"\n"), 0);
	expect_fail("big.yml", b.data, b.len, "file too large", false);

	/* 900 KB scalar: under the file limit, over the scalar limit */
	cohd_buf_reset(&b);
	ck_assert_int_eq(cohd_buf_append_str(&b, "api:\n  type: backend\n  url_path: "), 0);
	while (b.len < 900 * 1024)
		ck_assert_int_eq(cohd_buf_append_str(&b, "aaaaaaaaaaaaaaaa"), 0);
	expect_fail("long-scalar.yml", b.data, b.len, "value longer than", true);

	/* keys per mapping, items per list */
	cohd_buf_reset(&b);
	for (int i = 0; i < 1500; i++)
		ck_assert_int_eq(cohd_buf_printf(&b, "k%d: 1\n", i), 0);
	expect_fail("many-keys.yml", b.data, b.len, "more than 1000 keys", true);
	cohd_buf_reset(&b);
	ck_assert_int_eq(cohd_buf_append_str(&b, "a: ["), 0);
	for (int i = 0; i < 20000; i++)
		ck_assert_int_eq(cohd_buf_append_str(&b, "1,"), 0);
	ck_assert_int_eq(cohd_buf_append_str(&b, "1]\n"), 0);
	expect_fail("long-list.yml", b.data, b.len, "more than 10000 items", true);

	/* many anchors */
	cohd_buf_reset(&b);
	for (int i = 0; i < 1200; i++)
		ck_assert_int_eq(cohd_buf_printf(&b, "- &a%d x\n", i), 0);
	expect_fail("anchors.yml", b.data, b.len, "anchors", true);

	/* wrong root types, empty */
	expect_fail("list.yml", "- a\n- b\n", 8, "must be a mapping", true);
	expect_fail("scalar.yml", "hello\n", 6, "must be a mapping", true);
	expect_fail("empty.yml", "", 0, "empty file", true);
	expect_fail("comment.yml", "# nothing\n", 10, "empty file", true);

	s = cohd_buf_steal(&b);
	free(s);
	cohd_buf_done(&b);
}
END_TEST

/* ---- YAML loader -------------------------------------------------------------------------- */

START_TEST(test_yaml_loader)
{
	static const char y[] = "a: &x {k: v}\n"
				"b:\n"
				"  <<: *x\n"
				"  k: mine\n"
				"  j: 'quoted'\n"
				"c: [1, ~, true, \"s\"]\n";
	_cleanup_(cohd_yaml_doc_freep) struct cohd_yaml_doc *doc = NULL;
	struct cohd_diag_list d = {};
	const struct cohd_yaml_node *b, *c;
	bool v;

	ck_assert_int_eq(cohd_yaml_parse("y.yml", y, strlen(y), NULL, &d, &doc), 0);
	ck_assert_uint_eq(d.n, 0);
	b = cohd_yaml_map_get(doc->root, "b");
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(b->line, 3);
	ck_assert_uint_eq(b->column, 3);
	ck_assert_uint_eq(b->n_pairs, 2); /* explicit k wins over the merged one */
	ck_assert_str_eq(cohd_yaml_map_get(b, "k")->value, "mine");
	ck_assert(cohd_yaml_map_get(b, "j")->quoted);
	c = cohd_yaml_map_get(doc->root, "c");
	ck_assert_uint_eq(c->n_items, 4);
	ck_assert_str_eq(cohd_yaml_describe(c->items[0]), "number");
	ck_assert(cohd_yaml_is_null(c->items[1]));
	ck_assert_int_eq(cohd_yaml_get_bool(c->items[2], &v), 0);
	ck_assert(v);
	ck_assert_str_eq(cohd_yaml_describe(c->items[3]), "string");
	ck_assert_uint_eq(c->items[3]->column, 17);
	cohd_diag_list_done(&d);
}
END_TEST

/* ---- normalisation -------------------------------------------------------------------------- */

START_TEST(test_norm_cpu)
{
	static const struct {
		const char *in;
		unsigned units;
		bool rounded;
	} ok[] = {
		{"0.25", 256, false},	 {"0.5", 512, false},	  {"1", 1024, false},
		{"2", 2048, false},	 {"4", 4096, false},	  {"8", 8192, false},
		{"16", 16384, false},	 {"3", 4096, true},	  {"0.3", 512, true},
		{"1 vCPU", 1024, false}, {"0.5vcpu", 512, false}, {"256", 256, false},
		{"1024", 1024, false},	 {"500m", 512, false},	  {"300m", 512, true},
		{" 2 ", 2048, false},	 {"1.0", 1024, false},
	};
	static const char *const bad[] = {"0", "-1",  "17",	 "32",	  "lots",
					  "",  "1e3", "2 cores", "20000", "1..2"};
	char why[COHD_NORM_WHY_MAX];

	for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
		unsigned u = 0;
		bool rounded = !ok[i].rounded;

		ck_assert_msg(cohd_norm_cpu(ok[i].in, &u, &rounded, why) == 0, "%s: %s", ok[i].in,
			      why);
		ck_assert_msg(u == ok[i].units, "%s -> %u", ok[i].in, u);
		ck_assert_int_eq(rounded, ok[i].rounded);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		unsigned u;
		bool rounded;

		ck_assert_msg(cohd_norm_cpu(bad[i], &u, &rounded, why) == -EINVAL, "%s", bad[i]);
		ck_assert(why[0]);
	}
}
END_TEST

START_TEST(test_norm_memory)
{
	static const struct {
		const char *in;
		unsigned mib;
	} ok[] = {
		{"2G", 2048},	{"2g", 2048},	 {"2GB", 2048},	       {"2Gi", 2048},
		{"2GiB", 2048}, {"2048M", 2048}, {"2048m", 2048},      {"512Mi", 512},
		{"512MB", 512}, {"512M", 512},	 {"1.5G", 1536},       {"2", 2048},
		{"0.5", 512},	{"4096", 4096},	 {"2147483648", 2048}, {"1048576K", 1024},
		{"3 G", 3072},
	};
	static const char *const bad[] = {"",  "lots", "-1G",	    "200G", "2T",
					  "0", "0M",   "123456789", "G2",   "2 bananas"};
	char why[COHD_NORM_WHY_MAX];

	for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
		unsigned m = 0;

		ck_assert_msg(cohd_norm_memory(ok[i].in, &m, why) == 0, "%s: %s", ok[i].in, why);
		ck_assert_msg(m == ok[i].mib, "%s -> %u", ok[i].in, m);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		unsigned m;

		ck_assert_msg(cohd_norm_memory(bad[i], &m, why) == -EINVAL, "%s", bad[i]);
		ck_assert(why[0]);
	}
}
END_TEST

START_TEST(test_norm_fargate)
{
	/* cpu, mem in -> cpu, mem out, changed? */
	static const struct {
		unsigned cpu, mem, rcpu, rmem;
		bool note;
	} t[] = {
		{0, 0, 1024, 2048, false},	/* no config: 1 vCPU / 2 GiB */
		{2048, 2048, 2048, 4096, true}, /* cpu 2, memory 2G: raised to 4 GiB */
		{256, 0, 256, 1024, false},	/* cnc: 1 GB default, fits 0.25 */
		{256, 512, 256, 512, false},	    {256, 1536, 256, 2048, true},
		{512, 0, 512, 1024, false},	    {512, 3000, 512, 3072, true},
		{0, 512, 1024, 2048, true},    /* 512M with the default 1 vCPU */
		{0, 16384, 2048, 16384, true}, /* memory raises the CPU */
		{1024, 30720, 4096, 30720, true},   {4096, 30720, 4096, 30720, false},
		{8192, 20000, 8192, 20480, true},   /* 4 GiB steps */
		{16384, 40000, 16384, 40960, true}, /* 8 GiB steps */
		{0, 122880, 16384, 122880, true},
	};
	char why[COHD_NORM_WHY_MAX];

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		unsigned c, m;

		ck_assert_int_eq(cohd_norm_fargate(t[i].cpu, t[i].mem, &c, &m, why), 0);
		ck_assert_msg(c == t[i].rcpu && m == t[i].rmem, "%u/%u -> %u/%u", t[i].cpu,
			      t[i].mem, c, m);
		ck_assert_int_eq(why[0] != 0, t[i].note);
		ck_assert(cohd_fargate_valid(c, m));
	}
	ck_assert(!cohd_fargate_valid(256, 4096));
	ck_assert(!cohd_fargate_valid(1024, 1024));
	ck_assert(!cohd_fargate_valid(8192, 17408));
	ck_assert(cohd_fargate_valid(8192, 20480));
	ck_assert(!cohd_fargate_valid(300, 1024));
	ck_assert_int_eq(cohd_norm_fargate(300, 1024, &(unsigned){0}, &(unsigned){0}, why),
			 -EINVAL);
}
END_TEST

START_TEST(test_norm_cron)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{"* * * * *", "cron(* * * * ? *)"},
		{"*/2 * * * *", "cron(0/2 * * * ? *)"},
		{"0 3 * * *", "cron(0 3 * * ? *)"},
		{"30 4 * * 1", "cron(30 4 ? * 2 *)"}, /* cron Monday = EventBridge 2 */
		{"30 4 * * 0", "cron(30 4 ? * 1 *)"}, /* Sunday */
		{"30 4 * * 7", "cron(30 4 ? * 1 *)"}, /* Sunday again */
		{"0 9 * * 1-5", "cron(0 9 ? * 2-6 *)"},
		{"0 9 * * MON-FRI", "cron(0 9 ? * 2-6 *)"},
		{"0 9 * * sat,sun", "cron(0 9 ? * 1,7 *)"},
		{"0 9 * * 5-7", "cron(0 9 ? * 1,6,7 *)"},   /* Fri..Sun wraps */
		{"0 9 * * */2", "cron(0 9 ? * 1,3,5,7 *)"}, /* steps expanded for EventBridge */
		{"0 9 * * 1-5/2", "cron(0 9 ? * 2,4,6 *)"},
		{"0 9 * * 0-6", "cron(0 9 * * ? *)"}, /* every day */
		{"0 0 1 * *", "cron(0 0 1 * ? *)"},
		{"0 0 1,15 * *", "cron(0 0 1,15 * ? *)"},
		{"0 0 */5 * *", "cron(0 0 1/5 * ? *)"},
		{"0 0 1 JAN *", "cron(0 0 1 1 ? *)"},
		{"0 0 1 jun-aug *", "cron(0 0 1 6-8 ? *)"},
		{"0-10/5 * * * *", "cron(0,5,10 * * * ? *)"},
		{"5/15 * * * *", "cron(5,20,35,50 * * * ? *)"},
		{"0 8-18 * * *", "cron(0 8-18 * * ? *)"},
		{"0 0 ? * 1", "cron(0 0 ? * 2 *)"},
		{"@daily", "cron(0 0 * * ? *)"},
		{"@hourly", "cron(0 * * * ? *)"},
		{"@weekly", "cron(0 0 ? * 1 *)"},
		{"@monthly", "cron(0 0 1 * ? *)"},
		{"@yearly", "cron(0 0 1 1 ? *)"},
		{"  15   2 * *  *  ", "cron(15 2 * * ? *)"},
		{"rate(5 minutes)", "rate(5 minutes)"},
		{"rate(1 hour)", "rate(1 hour)"},
		{"cron(0 12 * * ? *)", "cron(0 12 * * ? *)"},
	};
	static const char *const bad[] = {
		"",
		"* * * *",
		"* * * * * *",
		"60 * * * *",
		"* 24 * * *",
		"* * 0 * *",
		"* * 32 * *",
		"* * * 13 *",
		"* * * * 8",
		"0 0 1 * 1",
		"* * * * 5-1",
		"* * L * *",
		"* * * * 1#2",
		"*/0 * * * *",
		"@reboot",
		"rate(0 minutes)",
		"rate(5 minute)",
		"rate(1 hours)",
		"cron(0 0 * * * *)",
		"cron(0 0 * *)",
		"a b c d e",
		"1,,2 * * * *",
		"*/x * * * *",
		"* * * * FUN",
		"1-2-3 * * * *",
	};
	char why[COHD_NORM_WHY_MAX];

	for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
		_cleanup_free_ char *e = NULL;

		ck_assert_msg(cohd_norm_cron(ok[i].in, &e, why) == 0, "%s: %s", ok[i].in, why);
		ck_assert_msg(streq(e, ok[i].out), "%s -> %s, want %s", ok[i].in, e, ok[i].out);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char *e = NULL;

		ck_assert_msg(cohd_norm_cron(bad[i], &e, why) == -EINVAL, "'%s' -> %s", bad[i],
			      strempty(e));
		ck_assert(why[0]);
	}
}
END_TEST

START_TEST(test_norm_slug_names)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{"default queue worker 1", "default-queue-worker-1"},
		{"dev_workspace", "dev-workspace"},
		{"  Task   1!! ", "task-1"},
		{"Nightly-Cleanup", "nightly-cleanup"},
		{"---", ""},
		{"caf\xc3\xa9 worker", "caf-worker"},
		{"a very long worker name that goes on and on and on forever",
		 "a-very-long-worker-name-that-goes-on-and"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
	};
	bool changed;
	char *p;

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_free_ char *s = cohd_norm_slug(t[i].in, 40);

		ck_assert_msg(streq(s, t[i].out), "'%s' -> '%s'", t[i].in, s);
		ck_assert_uint_le(strlen(s), 40);
	}
	ck_assert(cohd_norm_name_valid("acme-shop"));
	ck_assert(cohd_norm_name_valid("pr-42"));
	ck_assert(!cohd_norm_name_valid("Acme"));
	ck_assert(!cohd_norm_name_valid("42"));
	ck_assert(!cohd_norm_name_valid("a-"));
	ck_assert(!cohd_norm_name_valid(""));
	ck_assert(!cohd_norm_name_valid("a_b"));

	p = cohd_norm_url_path("api/", &changed);
	ck_assert_str_eq(p, "/api");
	ck_assert(changed);
	free(p);
	p = cohd_norm_url_path("/", &changed);
	ck_assert_str_eq(p, "/");
	ck_assert(!changed);
	free(p);
	p = cohd_norm_url_path("", &changed);
	ck_assert_str_eq(p, "/");
	free(p);
	ck_assert_str_eq(cohd_norm_health_matcher(true), "200-399");
	ck_assert_str_eq(cohd_norm_health_matcher(false), "200-499");
}
END_TEST

START_TEST(test_norm_engines)
{
	static const struct {
		const char *engine, *version, *ev;
		unsigned major;
	} ok[] = {
		{"postgres", "13", "13", 13}, {"postgres", "15.4", "15.4", 15},
		{"postgres", "16", "16", 16}, {"mysql", "8.0", "8.0", 8},
		{"mysql", "8", "8.0", 8},     {"mysql", "5.7", "5.7", 5},
		{"redis", "4", "4.0.10", 4},  {"redis", "5", "5.0.6", 5},
		{"redis", "6", "6.2", 6},     {"redis", "7", "7.0", 7},
		{"redis", "7.1", "7.1", 7},   {"memcached", "1.6", "1.6.22", 1},
	};
	static const struct {
		const char *engine, *version;
	} bad[] = {
		{"postgres", "9.6"},	{"postgres", "18"}, {"postgres", "x"}, {"postgres", ""},
		{"postgres", "15.4.1"}, {"mysql", "5.6"},   {"mysql", "9"},    {"redis", "3"},
		{"redis", "8"},		{"memcached", "2"}, {"oracle", "19"},
	};
	char why[COHD_NORM_WHY_MAX];

	for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
		_cleanup_free_ char *ev = NULL;
		unsigned major = 0;

		ck_assert_msg(cohd_norm_engine_version(ok[i].engine, ok[i].version, &major, &ev,
						       why) == 0,
			      "%s %s: %s", ok[i].engine, ok[i].version, why);
		ck_assert_str_eq(ev, ok[i].ev);
		ck_assert_uint_eq(major, ok[i].major);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char *ev = NULL;
		unsigned major;

		ck_assert_msg(cohd_norm_engine_version(bad[i].engine, bad[i].version, &major, &ev,
						       why) == -EINVAL,
			      "%s %s", bad[i].engine, bad[i].version);
	}
	ck_assert_str_eq(cohd_norm_db_engine("PostgreSQL"), "postgres");
	ck_assert_str_eq(cohd_norm_db_engine("mysql"), "mysql");
	ck_assert_ptr_null(cohd_norm_db_engine("sqlserver-ex"));
	ck_assert_str_eq(cohd_norm_cache_engine("redis"), "redis");
	ck_assert_ptr_null(cohd_norm_cache_engine("valkey"));
}
END_TEST

/* ---- accept_drift, daemon config ----------------------------------------------------------- */

START_TEST(test_drift_rules)
{
	struct cohd_diag_list d = {};
	_cleanup_(cohd_app_freep) struct cohd_app *app = parse_str(
		"d.yml",
		"x-cohd:\n"
		"  accept_drift:\n"
		"    - rds.db_instance:Backup*\n"
		"    - {resource: 'ecs.*', field: DesiredCount, id: 'api*', when: '>= 2',\n"
		"       environments: [production], reason: autoscaler}\n"
		"    - {resource: s3.bucket, field: 'Tags.*', when: '~ team-*'}\n"
		"api: {type: backend}\n",
		&d);
	const struct cohd_drift_rule *r;
	enum cohd_drift_op op;
	char *operand;

	ck_assert_ptr_nonnull(app);
	ck_assert_uint_eq(app->n_accept_drift, 3);
	r = &app->accept_drift[0];
	ck_assert_str_eq(r->source, "d.yml:3:7");
	ck_assert(cohd_drift_rule_matches(r, "rds.db_instance", "BackupRetentionPeriod", "db", 1));
	ck_assert(!cohd_drift_rule_matches(r, "rds.db_instance", "MultiAZ", "db", 1));
	ck_assert(cohd_drift_rule_value_ok(r, "anything"));
	r = &app->accept_drift[1];
	ck_assert_int_eq(r->op, COHD_DRIFT_OP_GE);
	ck_assert_str_eq(r->reason, "autoscaler");
	ck_assert_uint_eq(r->env_mask, 1u << COHD_APP_ENV_PRODUCTION);
	ck_assert(cohd_drift_rule_matches(r, "ecs.service", "DesiredCount", "api-web",
					  1u << COHD_APP_ENV_PRODUCTION));
	ck_assert(!cohd_drift_rule_matches(r, "ecs.service", "DesiredCount", "api-web",
					   1u << COHD_APP_ENV_PREVIEW));
	ck_assert(!cohd_drift_rule_matches(r, "ecs.service", "DesiredCount", "web", 1));
	ck_assert(cohd_drift_rule_value_ok(r, "10")); /* numeric, not string, compare */
	ck_assert(!cohd_drift_rule_value_ok(r, "1"));
	r = &app->accept_drift[2];
	ck_assert(cohd_drift_rule_matches(r, "s3.bucket", "Tags.Owner", NULL, 4));
	ck_assert(cohd_drift_rule_value_ok(r, "team-shop"));
	ck_assert(!cohd_drift_rule_value_ok(r, "other"));

	ck_assert_int_eq(cohd_drift_parse_condition("!= abc ", &op, &operand), 0);
	ck_assert_int_eq(op, COHD_DRIFT_OP_NE);
	ck_assert_str_eq(operand, "abc");
	free(operand);
	ck_assert_int_eq(cohd_drift_parse_condition("about 3", &op, &operand), -EINVAL);
	ck_assert_int_eq(cohd_drift_parse_condition(">=", &op, &operand), -EINVAL);
	cohd_diag_list_done(&d);
}
END_TEST

START_TEST(test_daemon_config)
{
	struct cohd_daemon_config c;
	struct cohd_diag_list d = {};
	_cleanup_free_ char *t = NULL;
	char path[4096];
	static const char bad[] = "region: 5\n"
				  "account_id: 12345\n"
				  "watch_dir: relative/dir\n"
				  "sweep: {interval: 5s, jitter: 1h}\n"
				  "dry_run: perhaps\n"
				  "api_budget_share: 1.5\n"
				  "deletion_grace: {preview: soon, forever: 1d}\n"
				  "log_level: loud\n"
				  "accept_drift: [x]\n"
				  "colour: blue\n";

	/* defaults */
	ck_assert_int_eq(cohd_daemon_config_init(&c), 0);
	ck_assert_str_eq(c.socket_path, "/run/cohd/cohd.sock");
	ck_assert_uint_eq(c.sweep_interval, 5 * USEC_PER_MINUTE);
	ck_assert_int_eq(c.log_level, LOG_NOTICE);
	ck_assert_int_eq(cohd_daemon_config_load_file("/nonexistent/cohd.yaml", true, &d, &c),
			 -ENOENT);
	ck_assert_uint_eq(d.n, 0);

	/* the commented example */
	snprintf(path, sizeof path, "%s/../../examples/cohd.yaml", COHD_TEST_DATA_DIR);
	ck_assert_int_eq(cohd_daemon_config_load_file(path, false, &d, &c), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(c.region, "eu-west-1");
	ck_assert_str_eq(c.account_id, "123456789012");
	ck_assert_str_eq(c.watch_dir, "/etc/cohd/apps.d");
	ck_assert_str_eq(c.state_dir, "/var/lib/cohd");
	ck_assert_uint_eq(c.sweep_jitter, 30 * USEC_PER_SEC);
	ck_assert(!c.dry_run);
	ck_assert(c.api_budget_share == 0.5);
	ck_assert_uint_eq(c.n_accept_drift, 2);
	ck_assert_int_eq(c.accept_drift[1].op, COHD_DRIFT_OP_GE);
	ck_assert_uint_eq(c.deletion_grace_production, 7 * USEC_PER_DAY);
	cohd_daemon_config_done(&c);

	/* durations and errors */
	ck_assert_int_eq(cohd_daemon_config_init(&c), 0);
	ck_assert_int_eq(
		cohd_daemon_config_parse("c.yaml", "sweep: {interval: 1m30s}\n", 25, &d, &c), 0);
	ck_assert_uint_eq(c.sweep_interval, 90 * USEC_PER_SEC);
	ck_assert_int_eq(cohd_daemon_config_parse("c.yaml", bad, strlen(bad), &d, &c), -EINVAL);
	t = diags_text(&d);
	ck_assert_str_eq(
		t,
		"c.yaml:2:13: account_id must be 12 digits (quote it so leading zeros stay), not "
		"'12345'\n"
		"c.yaml:3:12: watch_dir must be an absolute path, not 'relative/dir'\n"
		"c.yaml:4:8: sweep.jitter must be less than sweep.interval\n"
		"c.yaml:4:19: sweep.interval must be between 10s and 86400s, not 5s\n"
		"c.yaml:5:10: dry_run must be true or false, not a string\n"
		"c.yaml:6:19: api_budget_share must be a number above 0 and at most 1, not '1.5'\n"
		"c.yaml:7:27: deletion_grace.preview must be a duration like 30s, 5m, 1h or 1d, "
		"not 'soon'\n"
		"c.yaml:7:33: warning: unknown key 'forever' in deletion_grace, ignoring\n"
		"c.yaml:8:12: log_level must be err, warning, notice, info or debug, not 'loud'\n"
		"c.yaml:9:16: accept_drift rule 'x' must be RESOURCE:FIELD or a mapping with "
		"resource and field\n"
		"c.yaml:10:1: warning: unknown key 'colour' in the daemon config, ignoring\n");
	cohd_daemon_config_done(&c);
	cohd_diag_list_done(&d);
}
END_TEST

START_TEST(test_diag_cap)
{
	struct cohd_diag_list d = {};
	_cleanup_free_ char *s = NULL;

	for (int i = 0; i < COHD_DIAG_MAX + 50; i++)
		ck_assert_int_eq(
			cohd_diag_add(&d, COHD_DIAG_ERROR, "f", (unsigned)i + 1, 1, "e%d", i), 0);
	ck_assert_uint_eq(d.n, COHD_DIAG_MAX + 1);
	ck_assert_uint_eq(d.n_errors, COHD_DIAG_MAX + 50);
	ck_assert(d.truncated);
	s = cohd_diag_format(&d.items[0]);
	ck_assert_str_eq(s, "f:1:1: e0");
	cohd_diag_list_done(&d);
}
END_TEST

/* ---- cohd validate ----------------------------------------------------------------------- */

int cmd_validate(int argc, char **argv);

/* Run cmd_validate with stdout and stderr captured into *ret_out. */
static int run_validate(char **ret_out, ...)
{
	char *argv[16] = {(char *)"validate"};
	int argc = 1, saved_out, saved_err, fd, r;
	_cleanup_free_ char *dir = test_mkdtemp(), *path = NULL;
	va_list ap;

	va_start(ap, ret_out);
	for (const char *a; (a = va_arg(ap, const char *)) && argc < 15;)
		argv[argc++] = (char *)a;
	va_end(ap);
	ck_assert_int_ge(asprintf(&path, "%s/out", dir), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	ck_assert_int_ge(dup2(fd, 1), 0);
	ck_assert_int_ge(dup2(fd, 2), 0);
	r = cmd_validate(argc, argv);
	fflush(stdout);
	fflush(stderr);
	ck_assert_int_ge(dup2(saved_out, 1), 0);
	ck_assert_int_ge(dup2(saved_err, 2), 0);
	close(saved_out);
	close(saved_err);
	close(fd);
	*ret_out = test_read_file(path, NULL);
	test_rm_rf(dir);
	return r;
}

START_TEST(test_cmd_validate)
{
	char real[PATH_MAX], bad[PATH_MAX];
	char *out;

	snprintf(real, sizeof real, "%s",
		 test_data_path("real-apps/ExiqonBot__LionBotv2__coherence.yml"));
	snprintf(bad, sizeof bad, "%s", test_data_path("config/bad/sizes.yml"));

	ck_assert_int_eq(run_validate(&out, real, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, ":151:9: warning: top-level block 'integration_test'"));
	free(out);
	ck_assert_int_eq(run_validate(&out, "--quiet", real, NULL), 0);
	ck_assert_str_eq(out, "");
	free(out);
	ck_assert_int_eq(run_validate(&out, "-q", real, bad, NULL), 1);
	ck_assert_ptr_nonnull(strstr(out, "sizes.yml:5:17: cpu '32' is more than"));
	ck_assert_ptr_null(strstr(out, "warning"));
	free(out);
	ck_assert_int_eq(run_validate(&out, "/nonexistent.yml", NULL), 1);
	ck_assert_ptr_nonnull(strstr(out, "/nonexistent.yml:0:0: cannot read"));
	free(out);
	ck_assert_int_eq(run_validate(&out, NULL), 64);
	free(out);
	ck_assert_int_eq(run_validate(&out, "--frobnicate", real, NULL), 64);
	free(out);
	ck_assert_int_eq(run_validate(&out, "--help", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "Usage: cohd validate"));
	free(out);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("real_apps");
	tcase_add_test(tc, test_real_apps_all_valid);
	tcase_add_test(tc, test_real_lionbot);
	tcase_add_test(tc, test_real_burnedchris);
	tcase_add_test(tc, test_real_flask_tf);
	tcase_add_test(tc, test_real_v2_detection);
	tcase_add_test(tc, test_real_odd_v1);
	suite_add_tcase(s, tc);

	tc = tcase_create("app");
	tcase_add_test(tc, test_example_app);
	tcase_add_test(tc, test_names_from_file);
	tcase_add_test(tc, test_commands);
	tcase_add_test(tc, test_compose_extras);
	tcase_add_test(tc, test_reference_v1_v2_same);
	tcase_add_test(tc, test_bad_golden);
	tcase_add_test(tc, test_cmd_validate);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hostile_files);
	tcase_add_test(tc, test_hostile_generated);
	tcase_add_test(tc, test_yaml_loader);
	tcase_add_test(tc, test_diag_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("normalise");
	tcase_add_test(tc, test_norm_cpu);
	tcase_add_test(tc, test_norm_memory);
	tcase_add_test(tc, test_norm_fargate);
	tcase_add_test(tc, test_norm_cron);
	tcase_add_test(tc, test_norm_slug_names);
	tcase_add_test(tc, test_norm_engines);
	suite_add_tcase(s, tc);

	tc = tcase_create("drift_daemon");
	tcase_add_test(tc, test_drift_rules);
	tcase_add_test(tc, test_daemon_config);
	suite_add_tcase(s, tc);
	return s;
}

COHD_TEST_MAIN(config_suite)
