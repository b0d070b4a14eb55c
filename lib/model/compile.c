/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cohd_model_compile(): sets up one compilation (names, domains, what the app needs), runs the
 * areas (network, IAM, data, edge, ECS, build) and finalises the graph. Also the helpers shared
 * by the areas. Pure and deterministic; depends on lib/config's structs, util and jansson.
 */
#include <ctype.h>
#include <stdarg.h>

#include "lib/model/compile_internal.h"

const char *model_str(struct model_ctx *c, const char *fmt, ...)
{
	char *s;
	va_list ap;
	int k;

	if (c->r < 0)
		return NULL;
	if (c->n_strings == c->alloc_strings) {
		size_t alloc = c->alloc_strings ? c->alloc_strings * 2 : 256;
		char **strings = reallocarray(c->strings, alloc, sizeof(char *));

		if (!strings)
			return model_fail(c, -ENOMEM, "out of memory");
		c->strings = strings;
		c->alloc_strings = alloc;
	}
	va_start(ap, fmt);
	k = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (k < 0)
		return model_fail(c, -ENOMEM, "out of memory");
	c->strings[c->n_strings++] = s;
	return s;
}

const char *model_name(struct model_ctx *c, enum cohd_name_kind k, const char *fmt, ...)
{
	_cleanup_free_ char *raw = NULL;
	char *s;
	va_list ap;
	int q;

	if (c->r < 0)
		return NULL;
	va_start(ap, fmt);
	q = vasprintf(&raw, fmt, ap);
	va_end(ap);
	if (q < 0)
		return model_fail(c, -ENOMEM, "out of memory");
	s = cohd_naming_make(k, "%s", raw);
	if (!s)
		return model_fail(c, -ENOMEM, "out of memory");
	/* hand it to the arena */
	if (!model_str(c, "%s", s)) {
		free(s);
		return NULL;
	}
	free(s);
	return c->strings[c->n_strings - 1];
}

void *model_fail(struct model_ctx *c, int r, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	if (c->r < 0)
		return NULL;
	c->r = r;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	cohd_error_set(c->reterr, r, "%s", msg ? msg : "out of memory");
	return NULL;
}

struct cohd_resource *model_add(struct model_ctx *c, const char *type,
				enum cohd_resource_scope scope, const char *id, const char *name,
				json_t *props)
{
	struct cohd_resource *res;
	int k;

	if (c->r < 0 || !id || !name) {
		json_decref(props);
		if (c->r >= 0)
			model_fail(c, -ENOMEM, "out of memory");
		return NULL;
	}
	/* a NULL here is a bug (a NULL string given to json_pack) or OOM, never bad input */
	if (!props)
		return model_fail(c, -EPROTO, "internal error: cannot build the properties of %s (%s)",
				  id, type);
	k = cohd_graph_add(c->g, type, id, name, scope, props, &res);
	if (k == -EEXIST) /* from the input: names that differ only in what slugging drops */
		return model_fail(c, -EINVAL, "two resources would have the logical id %s "
				  "(service, worker or domain names that differ only in "
				  "punctuation?)", id);
	if (k < 0)
		return model_fail(c, k, "%s: cannot add to the graph", id);
	k = cohd_naming_tag(res, c->app->name, c->env, c->production);
	if (k < 0)
		return model_fail(c, k, "%s: cannot tag", id);
	return res;
}

void model_depend(struct model_ctx *c, struct cohd_resource *r, const char *id)
{
	if (!r || !id || c->r < 0)
		return;
	if (cohd_resource_depend(r, id) < 0)
		model_fail(c, -ENOMEM, "out of memory");
}

json_t *model_ref(const char *id, const char *attr)
{
	if (!id)
		return NULL;
	return cohd_ref(id, attr);
}

json_t *model_sub(struct model_ctx *c, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int k;

	if (c->r < 0)
		return NULL;
	va_start(ap, fmt);
	k = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (k < 0)
		return NULL;
	return json_pack("{s:s}", "Sub", s);
}

json_t *model_subnet_refs(struct model_ctx *c, bool public)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < c->n_az; i++) {
		const char *id = model_str(c, "app/subnet/%s-%u", public ? "public" : "private", i);

		if (!id || json_array_append_new(a, model_ref(id, "SubnetId")) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *model_arn(struct model_ctx *c, const char *service, const char *region,
		  const char *rest_fmt, ...)
{
	_cleanup_free_ char *rest = NULL;
	va_list ap;
	int k;

	va_start(ap, rest_fmt);
	k = vasprintf(&rest, rest_fmt, ap);
	va_end(ap);
	if (k < 0)
		return NULL;
	if (streq(service, "s3"))
		return model_sub(c, "arn:${AWS::Partition}:s3:::%s", rest);
	return model_sub(c, "arn:${AWS::Partition}:%s:%s:${AWS::AccountId}:%s", service, region,
			 rest);
}

json_t *model_policy(json_t *statements)
{
	if (!statements)
		return NULL;
	return json_pack("{s:s, s:o}", "Version", "2012-10-17", "Statement", statements);
}

json_t *model_trust(const char *service, const char *service2)
{
	json_t *principals = service2 ? json_pack("[s, s]", service, service2)
				      : json_pack("[s]", service);

	return model_policy(json_pack("[{s:s, s:{s:o}, s:s}]", "Effect", "Allow", "Principal",
				      "Service", principals, "Action", "sts:AssumeRole"));
}

const char *model_env_prefix(struct model_ctx *c, const char *name)
{
	const char *s = model_str(c, "%s", name);
	char *p;

	if (!s)
		return NULL;
	for (p = (char *)s; *p; p++)
		*p = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
	return s;
}

const struct cohd_app_resource *model_resolve_resource(const struct cohd_app *app,
							const struct cohd_app_resource *res)
{
	if (!res->sibling_service)
		return res;
	/* the entry declared by sibling_service with name sibling_resource */
	for (size_t i = 0; i < app->n_resources; i++) {
		const struct cohd_app_resource *o = &app->resources[i];

		if (o != res && !o->sibling_service && streq_ptr(o->service, res->sibling_service) &&
		    streq_ptr(o->name, res->sibling_resource))
			return o;
	}
	for (size_t i = 0; i < app->n_resources; i++) {
		const struct cohd_app_resource *o = &app->resources[i];

		if (o != res && !o->sibling_service && streq_ptr(o->name, res->sibling_resource))
			return o;
	}
	return NULL;
}

bool model_service_uses(const struct cohd_app *app, const struct cohd_app_service *svc,
			const struct cohd_app_resource *res)
{
	if (!res->service)
		return svc->kind == COHD_APP_SERVICE_BACKEND;
	for (size_t i = 0; i < app->n_resources; i++) {
		const struct cohd_app_resource *o = &app->resources[i];

		if (streq_ptr(o->service, svc->name) && model_resolve_resource(app, o) == res)
			return true;
	}
	return false;
}

bool model_db_proxy(const struct cohd_app_resource *res)
{
	/* Seed: "RDS Proxy is used for supported Postgres versions" (cnc: every engine, by
	 * default). RDS Proxy supports RDS for PostgreSQL 11 and later (10 and older were never
	 * supported; 11-17 are today); MySQL and others get no proxy from cohd. An existing
	 * (use_existing) instance gets one too when supported, as in cnc. */
	return res->kind == COHD_APP_RESOURCE_DATABASE && res->use_db_proxy &&
	       res->engine == COHD_APP_ENGINE_POSTGRES && res->major >= 11 && res->major <= 17;
}

const char *model_svc_slug(struct model_ctx *c, const struct cohd_app_service *svc)
{
	_cleanup_free_ char *s = cohd_naming_slug(svc->name, 40);

	if (!s)
		return model_fail(c, -ENOMEM, "out of memory");
	return model_str(c, "%s", s);
}

const char *model_svc_id(struct model_ctx *c, const char *svc_slug)
{
	if (!svc_slug)
		return NULL;
	return model_str(c, "env/%s/svc/%s", c->env_slug, svc_slug);
}

/* The environment's slug in logical ids and physical names. */
static char *env_slug(const char *environment)
{
	return cohd_naming_slug(environment, 24);
}

int cohd_model_env_id_prefix(const char *environment, char **ret)
{
	_cleanup_free_ char *slug = NULL;
	char *p;

	cohd_assert_return(ret, -EINVAL);
	if (isempty(environment))
		return -EINVAL;
	slug = env_slug(environment);
	if (!slug || asprintf(&p, "env/%s/", slug) < 0)
		return -ENOMEM;
	*ret = p;
	return 0;
}

static void ctx_done(struct model_ctx *c)
{
	for (size_t i = 0; i < c->n_strings; i++)
		free(c->strings[i]);
	free(c->strings);
	free(c->prefix);
	free(c->env_slug);
	free(c->eprefix);
}

static int check_slugs(struct model_ctx *c)
{
	/* Service slugs are used in ids and names: two services must not share one. */
	for (size_t i = 0; i < c->app->n_services; i++)
		for (size_t j = i + 1; j < c->app->n_services; j++) {
			const char *a = model_svc_slug(c, &c->app->services[i]);
			const char *b = model_svc_slug(c, &c->app->services[j]);

			if (a && b && streq(a, b))
				return model_fail(c, -EINVAL,
						  "services '%s' and '%s' have the same AWS name '%s'",
						  c->app->services[i].name,
						  c->app->services[j].name, a),
				       c->r;
		}
	return c->r;
}

static int set_meta(struct model_ctx *c)
{
	json_t *meta = cohd_graph_meta(c->g);

	if (json_object_set_new(meta, "app", json_string(c->app->name)) < 0 ||
	    json_object_set_new(meta, "environment", json_string(c->env)) < 0 ||
	    json_object_set_new(meta, "environment_type",
				json_string(cohd_app_env_type_to_string(c->type))) < 0 ||
	    json_object_set_new(meta, "region", json_string(c->region)) < 0 ||
	    json_object_set_new(meta, "name_prefix", json_string(c->eprefix)) < 0 ||
	    json_object_set_new(meta, "base_domain", json_string(c->base_domain)) < 0 ||
	    json_object_set_new(meta, "environment_domain", json_string(c->env_domain)) < 0)
		return model_fail(c, -ENOMEM, "out of memory"), c->r;
	return 0;
}

int cohd_model_compile(const struct cohd_app *app, const struct cohd_model_options *opts,
		       struct cohd_graph **ret, struct cohd_error *reterr)
{
	static const struct cohd_model_options default_opts = COHD_MODEL_OPTIONS_INIT;
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = NULL;
	struct model_ctx c = {};
	int r;

	cohd_assert_return(app && ret, -EINVAL);
	if (!opts)
		opts = &default_opts;

	if (isempty(app->name))
		return cohd_error_set(reterr, -EINVAL, "the app has no name");
	g = cohd_graph_new();
	if (!g)
		return cohd_error_set(reterr, -ENOMEM, "out of memory");

	c.app = app;
	c.opts = opts;
	c.g = g;
	c.reterr = reterr;
	c.region = !isempty(app->region) ? app->region : opts->region;
	c.env = !isempty(opts->environment) ? opts->environment
					    : (!isempty(app->environment) ? app->environment
									  : "production");
	c.type = opts->env_type >= 0 && opts->env_type < _COHD_APP_ENV_TYPE_MAX
			 ? (enum cohd_app_env_type)opts->env_type
			 : app->env_type;
	c.production = c.type == COHD_APP_ENV_PRODUCTION;
	c.preview = c.type == COHD_APP_ENV_PREVIEW;
	c.protect = !c.preview;
	c.n_az = opts->az_count >= 2 && opts->az_count <= 4 ? opts->az_count : 2;
	if (isempty(c.region)) {
		r = cohd_error_set(reterr, -EINVAL,
				   "no region: set x-cohd.region or the daemon's region");
		goto out;
	}

	c.prefix = cohd_naming_app_prefix(opts->name_seed, app->name);
	c.env_slug = env_slug(c.env);
	if (!c.prefix || !c.env_slug || asprintf(&c.eprefix, "%s-%s", c.prefix, c.env_slug) < 0) {
		c.eprefix = NULL;
		r = cohd_error_set(reterr, -ENOMEM, "out of memory");
		goto out;
	}
	c.base_domain = !isempty(app->base_domain)
				? model_str(&c, "%s", app->base_domain)
				: model_str(&c, "%s.%s", app->name,
					    opts->default_domain ? opts->default_domain
								 : "coherencesites.com");
	c.env_domain = model_str(&c, "%s.%s", c.env_slug, c.base_domain);

	for (size_t i = 0; i < app->n_services; i++) {
		const struct cohd_app_service *s = &app->services[i];

		if (s->kind == COHD_APP_SERVICE_BACKEND) {
			c.has_backend = true;
			if (!s->internal)
				c.alb = true;
			if (s->n_tasks > 0)
				c.has_tasks = true;
		} else
			c.has_frontend = true;
	}
	for (size_t i = 0; i < app->n_resources; i++) {
		const struct cohd_app_resource *res = &app->resources[i];

		if (res->sibling_service)
			continue;
		if (res->kind == COHD_APP_RESOURCE_DATABASE)
			c.has_database = true;
		else if (res->kind == COHD_APP_RESOURCE_CACHE)
			c.has_cache = true;
		else if (res->kind == COHD_APP_RESOURCE_OBJECT_STORAGE)
			c.has_bucket = true;
	}
	/* cnc builds the network only for backends; a database or cache also needs one (a file
	 * with only a frontend and a database -- vfarcic's -- would otherwise have nowhere to
	 * put it). */
	c.network = c.has_backend || c.has_database || c.has_cache;

	if (check_slugs(&c) < 0 || set_meta(&c) < 0)
		goto fail;

	if (model_compile_network(&c) < 0 || model_compile_iam(&c) < 0 ||
	    model_compile_data(&c) < 0 || model_compile_edge(&c) < 0 ||
	    model_compile_ecs(&c) < 0 || model_compile_build(&c) < 0)
		goto fail;

	r = cohd_graph_finalize(g, reterr);
	if (r < 0)
		goto out;
	*ret = TAKE_PTR(g);
	r = 0;
	goto out;
fail:
	r = c.r;
out:
	ctx_done(&c);
	return r;
}
