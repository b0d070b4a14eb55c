/* SPDX-License-Identifier: Apache-2.0 */
/*
 * App file -> struct cohd_app (see app.h). Both forms found in real repositories, told apart by
 * content: v2 ("compose") when the root has x-cnc, or a `services` mapping that is not itself a
 * v1 service stanza (no `type`); v1 ("flat") otherwise. v2 is mapped per
 * coherence-resources.md §1.4 onto the same structs. Real files are messier than the docs and
 * Coherence accepted them, so this does too, with warnings: empty strings mean "default";
 * commands come as lists, strings, lists with `&&` or `VAR=value` items; `system.cpu` and
 * `system.cpus` are both read; blocks of other types (integration_test) are skipped; unknown
 * keys are warnings, wrong types are errors.
 * Depends on lib/util and lib/config. No I/O except cohd_app_load_file(); no loop context.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>

#include "lib/config/app.h"
#include "lib/config/file.h"
#include "lib/config/normalise.h"
#include "lib/config/schema.h"
#include "lib/config/yaml.h"
#include "lib/util/buf.h"
#include "lib/util/log.h"

#define SLUG_MAX 40
#define MAX_SERVICES 100

struct app_ctx {
	struct cohd_config_ctx c;
	struct cohd_app *app;
	/* per-service and per-resource nodes for post-pass diagnostics (parallel arrays) */
	const struct cohd_yaml_node **svc_nodes;
	const struct cohd_yaml_node **svc_system; /* the system block, or NULL */
	const struct cohd_yaml_node **res_nodes;
	const struct cohd_yaml_node ***worker_nodes;
	const struct cohd_yaml_node ***task_nodes;
	const struct cohd_yaml_node *x_cohd;
};

#define ERR(a, n, ...) cohd_config_error(&(a)->c, (n), __VA_ARGS__)
#define WARN(a, n, ...) cohd_config_warn(&(a)->c, (n), __VA_ARGS__)

static struct cohd_config_loc loc_of(const struct cohd_yaml_node *n)
{
	return n ? (struct cohd_config_loc){n->line, n->column} : (struct cohd_config_loc){};
}

/* ---- freeing ------------------------------------------------------------------------------ */

static void cmd_done(struct cohd_app_cmd *c)
{
	cohd_config_strv_free(c->argv);
	free(c->shell);
	*c = (struct cohd_app_cmd){};
}

static void cors_free(struct cohd_app_cors *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		cohd_config_strv_free(c[i].allowed_methods);
		cohd_config_strv_free(c[i].allowed_origins);
	}
	free(c);
}

static void headers_free(struct cohd_app_header *h, size_t n)
{
	for (size_t i = 0; h && i < n; i++) {
		free(h[i].name);
		free(h[i].value);
		free(h[i].type);
	}
	free(h);
}

static void vars_free(struct cohd_app_variable *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].value);
		free(v[i].secret_id);
	}
	free(v);
}

static void service_done(struct cohd_app_service *s)
{
	free(s->name);
	free(s->url_path);
	free(s->repo_path);
	free(s->dockerfile);
	free(s->image);
	cmd_done(&s->start);
	cmd_done(&s->migration);
	cmd_done(&s->seed);
	cmd_done(&s->install);
	cmd_done(&s->build);
	for (size_t i = 0; i < s->n_test; i++)
		cmd_done(&s->test[i]);
	free(s->test);
	free(s->health_check_path);
	free(s->health_check_matcher);
	headers_free(s->custom_headers, s->n_custom_headers);
	free(s->assets_path);
	free(s->index_file_name);
	cors_free(s->cors, s->n_cors);
	cohd_config_strv_free(s->included_paths);
	cohd_config_strv_free(s->excluded_paths);
	for (size_t i = 0; i < s->n_workers; i++) {
		free(s->workers[i].name);
		free(s->workers[i].slug);
		cmd_done(&s->workers[i].command);
	}
	free(s->workers);
	for (size_t i = 0; i < s->n_tasks; i++) {
		free(s->tasks[i].name);
		free(s->tasks[i].slug);
		free(s->tasks[i].schedule);
		free(s->tasks[i].schedule_expression);
		cmd_done(&s->tasks[i].command);
	}
	free(s->tasks);
	vars_free(s->variables, s->n_variables);
}

static void resource_done(struct cohd_app_resource *r)
{
	free(r->name);
	free(r->service);
	free(r->version);
	free(r->engine_version);
	free(r->adapter);
	free(r->snapshot_file_path);
	free(r->sibling_service);
	free(r->sibling_resource);
	free(r->existing_instance_name);
	free(r->existing_secret_id);
	free(r->existing_db_name);
	free(r->existing_username);
	cors_free(r->cors, r->n_cors);
}

struct cohd_app *cohd_app_free(struct cohd_app *app)
{
	if (!app)
		return NULL;
	free(app->source_file);
	free(app->name);
	free(app->environment);
	free(app->region);
	free(app->role_arn);
	free(app->base_domain);
	cohd_config_strv_free(app->custom_domains);
	vars_free(app->variables, app->n_variables);
	cohd_drift_rules_free(app->accept_drift, app->n_accept_drift);
	free(app->build_machine_type);
	free(app->vpc_sharing_app);
	for (size_t i = 0; i < app->n_services; i++)
		service_done(&app->services[i]);
	free(app->services);
	for (size_t i = 0; i < app->n_resources; i++)
		resource_done(&app->resources[i]);
	free(app->resources);
	free(app);
	return NULL;
}

/* ---- enums -------------------------------------------------------------------------------- */

const char *cohd_app_format_to_string(enum cohd_app_format f)
{
	static const char *const t[_COHD_APP_FORMAT_MAX] = {"v1", "v2"};

	return f >= 0 && f < _COHD_APP_FORMAT_MAX ? t[f] : NULL;
}

static const char *const env_types[_COHD_APP_ENV_TYPE_MAX] = {"production", "static", "preview"};

const char *cohd_app_env_type_to_string(enum cohd_app_env_type t)
{
	return t >= 0 && t < _COHD_APP_ENV_TYPE_MAX ? env_types[t] : NULL;
}

int cohd_app_env_type_from_string(const char *s)
{
	for (int i = 0; i < _COHD_APP_ENV_TYPE_MAX; i++)
		if (streq_ptr(s, env_types[i]))
			return i;
	return -EINVAL;
}

const char *cohd_app_service_kind_to_string(enum cohd_app_service_kind k)
{
	static const char *const t[_COHD_APP_SERVICE_KIND_MAX] = {"backend", "frontend"};

	return k >= 0 && k < _COHD_APP_SERVICE_KIND_MAX ? t[k] : NULL;
}

const char *cohd_app_resource_kind_to_string(enum cohd_app_resource_kind k)
{
	static const char *const t[_COHD_APP_RESOURCE_KIND_MAX] = {"database", "cache",
								   "object_storage"};

	return k >= 0 && k < _COHD_APP_RESOURCE_KIND_MAX ? t[k] : NULL;
}

const char *cohd_app_engine_to_string(enum cohd_app_engine e)
{
	static const char *const t[_COHD_APP_ENGINE_MAX] = {"none", "postgres", "mysql", "redis",
							    "memcached"};

	return e >= 0 && e < _COHD_APP_ENGINE_MAX ? t[e] : NULL;
}

static enum cohd_app_engine engine_from_string(const char *s)
{
	for (int i = 1; i < _COHD_APP_ENGINE_MAX; i++)
		if (streq(s, cohd_app_engine_to_string(i)))
			return i;
	return COHD_APP_ENGINE_NONE;
}

const struct cohd_app_service *cohd_app_find_service(const struct cohd_app *app, const char *name)
{
	for (size_t i = 0; app && i < app->n_services; i++)
		if (streq_ptr(app->services[i].name, name))
			return &app->services[i];
	return NULL;
}

const struct cohd_app_resource *cohd_app_find_resource(const struct cohd_app *app, const char *name)
{
	for (size_t i = 0; app && i < app->n_resources; i++)
		if (streq_ptr(app->resources[i].name, name) && !app->resources[i].sibling_service)
			return &app->resources[i];
	return NULL;
}

const struct cohd_app_resource *cohd_app_resource_target(const struct cohd_app *app,
							 const struct cohd_app_resource *r)
{
	if (!r || !r->sibling_service)
		return r;
	for (size_t i = 0; app && i < app->n_resources; i++) {
		const struct cohd_app_resource *t = &app->resources[i];

		if (!t->sibling_service && streq_ptr(t->name, r->sibling_resource) &&
		    streq_ptr(t->service, r->sibling_service))
			return t;
	}
	return NULL;
}

/* ---- small helpers -------------------------------------------------------------------------- */

static int oom(struct app_ctx *a)
{
	a->c.oom = true;
	return -ENOMEM;
}

static char *xstrdup(struct app_ctx *a, const char *s)
{
	char *d = strdup(s);

	if (!d)
		a->c.oom = true;
	return d;
}

/* Grow *arr (of n elements of size sz) by one zeroed element; returns it or NULL (OOM). */
static void *append(struct app_ctx *a, void *arrp, size_t *n, size_t sz)
{
	void **arr = arrp;
	char *na = reallocarray(*arr, *n + 1, sz);

	if (!na) {
		a->c.oom = true;
		return NULL;
	}
	*arr = na;
	memset(na + *n * sz, 0, sz);
	return na + (*n)++ * sz;
}

static bool has_typographic_quotes(const char *s)
{
	/* U+2018, U+2019, U+201C, U+201D: E2 80 98/99/9C/9D */
	for (const char *p = s; (p = strstr(p, "\xe2\x80")); p += 2)
		if (p[2] == '\x98' || p[2] == '\x99' || p[2] == '\x9c' || p[2] == '\x9d')
			return true;
	return false;
}

/* A command: a list of words (strings, numbers), a plain string, or null/"" (= unset).
 * Returns 1 set, 0 unset, < 0 error. */
static int parse_cmd(struct app_ctx *a, const struct cohd_yaml_node *n, const char *what,
		     struct cohd_app_cmd *ret)
{
	_cleanup_(cohd_buf_done) struct cohd_buf b;
	struct cohd_app_cmd c = {.loc = loc_of(n)};
	bool warned = false;
	int r;

	cohd_buf_init(&b, 64 * 1024);
	if (!n || cohd_yaml_is_null(n) || (n->kind == COHD_YAML_SCALAR && n->len == 0))
		return 0;
	if (n->kind == COHD_YAML_MAP) {
		ERR(a, n, "%s must be a command (a list of words or a string), not a mapping",
		    what);
		return -EINVAL;
	}
	if (n->kind == COHD_YAML_SCALAR) {
		/* A shell line: argv is its words, shell the line itself. */
		const char *p = n->value;
		size_t k = 0;

		c.argv = calloc(n->len / 2 + 2, sizeof *c.argv);
		if (!c.argv)
			return oom(a);
		while (*p) {
			size_t l;

			while (*p && isspace((unsigned char)*p))
				p++;
			if (!*p)
				break;
			l = strcspn(p, " \t\r\n\f\v");
			c.argv[k] = strndup(p, l);
			if (!c.argv[k]) {
				cmd_done(&c);
				return oom(a);
			}
			k++;
			p += l;
		}
		if (k == 0) {
			cmd_done(&c);
			return 0;
		}
		c.argc = k;
		c.shell = xstrdup(a, n->value);
		if (!c.shell) {
			cmd_done(&c);
			return -ENOMEM;
		}
		if (has_typographic_quotes(n->value))
			WARN(a, n,
			     "%s contains typographic quotes (“ ” ‘ ’); they are passed to "
			     "the shell literally, not as quotes",
			     what);
		cmd_done(ret);
		*ret = c;
		return 1;
	}
	if (n->n_items == 0)
		return 0;
	c.argv = calloc(n->n_items + 1, sizeof *c.argv);
	if (!c.argv)
		return oom(a);
	for (size_t i = 0; i < n->n_items; i++) {
		const struct cohd_yaml_node *it = n->items[i];

		if (it->kind != COHD_YAML_SCALAR) {
			ERR(a, it, "words of %s must be strings, not a %s", what,
			    cohd_yaml_describe(it));
			cmd_done(&c);
			return -EINVAL;
		}
		c.argv[c.argc] = xstrdup(a, it->value);
		if (!c.argv[c.argc]) {
			cmd_done(&c);
			return -ENOMEM;
		}
		c.argc++;
		r = cohd_buf_printf(&b, "%s%s", i ? " " : "", it->value);
		if (r < 0) {
			cmd_done(&c);
			if (r == -ENOMEM)
				return oom(a);
			ERR(a, n, "%s is longer than 64 KiB", what);
			return -EINVAL;
		}
		if (!warned && has_typographic_quotes(it->value)) {
			WARN(a, it,
			     "%s word '%s' contains typographic quotes (“ ” ‘ ’); they are "
			     "passed literally, not as quotes",
			     what, it->value);
			warned = true;
		}
	}
	c.shell = cohd_buf_steal(&b);
	if (!c.shell) {
		cmd_done(&c);
		return oom(a);
	}
	/* Coherence joins the words into one `sh -c` line (real files rely on it: `&&` items,
	 * "VAR=x cmd" words), so a script given as one word after "sh -c" is split again. */
	if (c.argc >= 3 && streq(c.argv[1], "-c") && strpbrk(c.argv[2], " \t") &&
	    (streq(c.argv[0], "sh") || streq(c.argv[0], "bash") || streq(c.argv[0], "/bin/sh") ||
	     streq(c.argv[0], "/bin/bash")))
		WARN(a, n->items[2],
		     "%s: the words are joined into one shell line, so '%s -c' gets only '%.*s' as "
		     "its script; write the whole command as one string instead",
		     what, c.argv[0], (int)MIN(strcspn(c.argv[2], " \t"), 64u), c.argv[2]);
	cmd_done(ret);
	*ret = c;
	return 1;
}

/* `test`: one command (list of words / string) or a list of commands. */
static int parse_tests(struct app_ctx *a, const struct cohd_yaml_node *n,
		       struct cohd_app_service *s)
{
	bool nested = n && n->kind == COHD_YAML_SEQ && n->n_items > 0 &&
		      n->items[0]->kind == COHD_YAML_SEQ;

	if (!nested) {
		struct cohd_app_cmd c = {};
		int r = parse_cmd(a, n, "test", &c);

		if (r <= 0)
			return r;
		s->test = calloc(1, sizeof *s->test);
		if (!s->test) {
			cmd_done(&c);
			return oom(a);
		}
		s->test[0] = c;
		s->n_test = 1;
		return 1;
	}
	for (size_t i = 0; i < n->n_items; i++) {
		struct cohd_app_cmd c = {}, *slot;
		int r;

		if (n->items[i]->kind != COHD_YAML_SEQ) {
			ERR(a, n->items[i],
			    "test: mix of commands and words; write a list of "
			    "commands, each a list of words");
			continue;
		}
		r = parse_cmd(a, n->items[i], "test command", &c);
		if (r <= 0)
			continue;
		slot = append(a, &s->test, &s->n_test, sizeof *s->test);
		if (!slot) {
			cmd_done(&c);
			return -ENOMEM;
		}
		*slot = c;
	}
	return 1;
}

/* CPU/memory scalars into raw units (0 = unset); fitted later. */
static void parse_cpu(struct app_ctx *a, const struct cohd_yaml_node *n, unsigned *ret)
{
	char why[COHD_NORM_WHY_MAX];
	bool rounded;
	unsigned u;

	if (!n || cohd_yaml_is_null(n) || (n->kind == COHD_YAML_SCALAR && n->len == 0))
		return;
	if (n->kind != COHD_YAML_SCALAR) {
		ERR(a, n, "cpu must be a number of vCPUs, not a %s", cohd_yaml_describe(n));
		return;
	}
	if (cohd_norm_cpu(n->value, &u, &rounded, why) < 0) {
		ERR(a, n, "%s", why);
		return;
	}
	if (rounded)
		WARN(a, n, "cpu %s is not a Fargate size; using %g vCPU", n->value, u / 1024.0);
	*ret = u;
}

static void parse_memory(struct app_ctx *a, const struct cohd_yaml_node *n, unsigned *ret)
{
	char why[COHD_NORM_WHY_MAX];
	unsigned m;

	if (!n || cohd_yaml_is_null(n) || (n->kind == COHD_YAML_SCALAR && n->len == 0))
		return;
	if (n->kind != COHD_YAML_SCALAR) {
		ERR(a, n, "memory must be a size like 512M or 2G, not a %s", cohd_yaml_describe(n));
		return;
	}
	if (cohd_norm_memory(n->value, &m, why) < 0) {
		ERR(a, n, "%s", why);
		return;
	}
	*ret = m;
}

/* `system` of a worker/task: cpu|cpus, memory. */
static void parse_small_system(struct app_ctx *a, const struct cohd_yaml_node *n, unsigned *cpu,
			       unsigned *mem, const char *where)
{
	if (!cohd_config_expect_map(&a->c, n, "system", true))
		return;
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct cohd_yaml_node *k = n->pairs[i].key, *v = n->pairs[i].value;

		if (streq(k->value, "cpu") || streq(k->value, "cpus"))
			parse_cpu(a, v, cpu);
		else if (streq(k->value, "memory"))
			parse_memory(a, v, mem);
		else
			cohd_config_unknown_key(&a->c, k, where);
	}
}

static int parse_cors(struct app_ctx *a, const struct cohd_yaml_node *n, struct cohd_app_cors **ret,
		      size_t *ret_n)
{
	const struct cohd_yaml_node *one[1] = {n};
	const struct cohd_yaml_node *const *items = one;
	size_t count = 1;

	if (!n || cohd_yaml_is_null(n))
		return 0;
	if (n->kind == COHD_YAML_SEQ) {
		items = (const struct cohd_yaml_node *const *)n->items;
		count = n->n_items;
	} else if (n->kind != COHD_YAML_MAP) {
		ERR(a, n,
		    "cors must be a mapping (allowed_origins, allowed_methods) or a list of "
		    "them, not a %s",
		    cohd_yaml_describe(n));
		return -EINVAL;
	}
	for (size_t i = 0; i < count; i++) {
		const struct cohd_yaml_node *m = items[i];
		struct cohd_app_cors *c;

		if (!cohd_config_expect_map(&a->c, m, "a cors rule", false))
			continue;
		c = append(a, ret, ret_n, sizeof **ret);
		if (!c)
			return -ENOMEM;
		for (size_t j = 0; j < m->n_pairs; j++) {
			const struct cohd_yaml_node *k = m->pairs[j].key, *v = m->pairs[j].value;

			if (streq(k->value, "allowed_origins"))
				(void)cohd_config_strv(&a->c, v, "allowed_origins",
						       &c->allowed_origins, &c->n_allowed_origins);
			else if (streq(k->value, "allowed_methods"))
				(void)cohd_config_strv(&a->c, v, "allowed_methods",
						       &c->allowed_methods, &c->n_allowed_methods);
			else
				cohd_config_unknown_key(&a->c, k, "a cors rule");
		}
		if (!c->allowed_methods &&
		    cohd_config_strv(&a->c,
				     &(struct cohd_yaml_node){.kind = COHD_YAML_SCALAR,
							      .value = (char *)"GET",
							      .len = 3},
				     "", &c->allowed_methods, &c->n_allowed_methods) < 0)
			return -ENOMEM;
		if (!c->allowed_origins &&
		    cohd_config_strv(&a->c,
				     &(struct cohd_yaml_node){.kind = COHD_YAML_SCALAR,
							      .value = (char *)"*",
							      .len = 1},
				     "", &c->allowed_origins, &c->n_allowed_origins) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int parse_headers(struct app_ctx *a, const struct cohd_yaml_node *n,
			 struct cohd_app_header **ret, size_t *ret_n)
{
	if (!cohd_config_expect_seq(&a->c, n, "custom_headers", true))
		return 0;
	for (size_t i = 0; i < n->n_items; i++) {
		const struct cohd_yaml_node *m = n->items[i];
		struct cohd_app_header *h;

		if (!cohd_config_expect_map(&a->c, m, "a custom header", false))
			continue;
		h = append(a, ret, ret_n, sizeof **ret);
		if (!h)
			return -ENOMEM;
		for (size_t j = 0; j < m->n_pairs; j++) {
			const struct cohd_yaml_node *k = m->pairs[j].key, *v = m->pairs[j].value;

			if (streq(k->value, "name"))
				(void)cohd_config_string(&a->c, v, "header name", &h->name);
			else if (streq(k->value, "value"))
				(void)cohd_config_string(&a->c, v, "header value", &h->value);
			else if (streq(k->value, "type"))
				(void)cohd_config_string(&a->c, v, "header type", &h->type);
			else
				cohd_config_unknown_key(&a->c, k, "a custom header");
		}
		if (!h->name)
			ERR(a, m, "a custom header needs a name");
		if (!h->value && !(h->value = xstrdup(a, "")))
			return -ENOMEM;
		if (!h->type && !(h->type = xstrdup(a, "response")))
			return -ENOMEM;
	}
	return 0;
}

/* ---- workers, scheduled tasks ------------------------------------------------------------- */

static int parse_workers(struct app_ctx *a, size_t si, const struct cohd_yaml_node *n)
{
	struct cohd_app_service *s = &a->app->services[si];

	if (!cohd_config_expect_seq(&a->c, n, "workers", true))
		return 0;
	for (size_t i = 0; i < n->n_items; i++) {
		const struct cohd_yaml_node *m = n->items[i];
		const struct cohd_yaml_node **wn;
		struct cohd_app_worker *w;

		if (!cohd_config_expect_map(&a->c, m, "a worker", false))
			continue;
		w = append(a, &s->workers, &s->n_workers, sizeof *w);
		wn = reallocarray(a->worker_nodes[si], s->n_workers, sizeof *wn);
		if (!w || !wn)
			return oom(a);
		a->worker_nodes[si] = wn;
		wn[s->n_workers - 1] = m;
		w->loc = loc_of(m);
		w->replicas = 1;
		w->extended_duration = true;
		for (size_t j = 0; j < m->n_pairs; j++) {
			const struct cohd_yaml_node *k = m->pairs[j].key, *v = m->pairs[j].value;

			if (streq(k->value, "name"))
				(void)cohd_config_string(&a->c, v, "worker name", &w->name);
			else if (streq(k->value, "command"))
				(void)parse_cmd(a, v, "worker command", &w->command);
			else if (streq(k->value, "replicas"))
				(void)cohd_config_uint(&a->c, v, "replicas", 1, 100, &w->replicas);
			else if (streq(k->value, "system"))
				parse_small_system(a, v, &w->cpu, &w->memory, "a worker's system");
			else if (streq(k->value, "extended_duration"))
				(void)cohd_config_bool(&a->c, v, "extended_duration",
						       &w->extended_duration);
			else
				cohd_config_unknown_key(&a->c, k, "a worker");
		}
		if (!w->name)
			ERR(a, m, "a worker needs a name");
		if (!w->command.shell)
			ERR(a, m, "worker '%s' needs a command", strempty(w->name));
	}
	return 0;
}

static int parse_tasks(struct app_ctx *a, size_t si, const struct cohd_yaml_node *n)
{
	struct cohd_app_service *s = &a->app->services[si];

	if (!cohd_config_expect_seq(&a->c, n, "scheduled_tasks", true))
		return 0;
	for (size_t i = 0; i < n->n_items; i++) {
		const struct cohd_yaml_node *m = n->items[i], *sched = NULL;
		const struct cohd_yaml_node **tn;
		struct cohd_app_task *t;

		if (!cohd_config_expect_map(&a->c, m, "a scheduled task", false))
			continue;
		t = append(a, &s->tasks, &s->n_tasks, sizeof *t);
		tn = reallocarray(a->task_nodes[si], s->n_tasks, sizeof *tn);
		if (!t || !tn)
			return oom(a);
		a->task_nodes[si] = tn;
		tn[s->n_tasks - 1] = m;
		t->loc = loc_of(m);
		for (size_t j = 0; j < m->n_pairs; j++) {
			const struct cohd_yaml_node *k = m->pairs[j].key, *v = m->pairs[j].value;

			if (streq(k->value, "name")) {
				(void)cohd_config_string(&a->c, v, "task name", &t->name);
			} else if (streq(k->value, "command")) {
				(void)parse_cmd(a, v, "task command", &t->command);
			} else if (streq(k->value, "schedule")) {
				if (cohd_config_string(&a->c, v, "schedule", &t->schedule) > 0)
					sched = v;
			} else if (streq(k->value, "system")) {
				parse_small_system(a, v, &t->cpu, &t->memory,
						   "a scheduled task's system");
			} else {
				cohd_config_unknown_key(&a->c, k, "a scheduled task");
			}
		}
		if (!t->name)
			ERR(a, m, "a scheduled task needs a name");
		if (!t->command.shell)
			ERR(a, m, "scheduled task '%s' needs a command", strempty(t->name));
		if (!t->schedule) {
			ERR(a, m, "scheduled task '%s' needs a schedule (5-field cron, UTC)",
			    strempty(t->name));
		} else {
			char why[COHD_NORM_WHY_MAX];
			int r = cohd_norm_cron(t->schedule, &t->schedule_expression, why);

			if (r == -ENOMEM)
				return oom(a);
			if (r < 0)
				ERR(a, sched, "%s", why);
		}
	}
	return 0;
}

/* ---- resources ------------------------------------------------------------------------------ */

static int resource_kind_from(const char *s)
{
	for (int i = 0; i < _COHD_APP_RESOURCE_KIND_MAX; i++)
		if (streq(s, cohd_app_resource_kind_to_string(i)))
			return i;
	return -EINVAL;
}

static bool unsupported_type(const char *t)
{
	return streq(t, "dynamodb") || streq(t, "serverless") || streq(t, "filesystem") ||
	       streq(t, "message_queue");
}

static int parse_use_existing(struct app_ctx *a, const struct cohd_yaml_node *n,
			      struct cohd_app_resource *r)
{
	if (cohd_yaml_is_null(n))
		return 0;
	if (n->kind == COHD_YAML_SCALAR) {
		/* a bare name: the instance (or bucket) to use */
		r->use_existing = true;
		return cohd_config_string(&a->c, n, "use_existing", &r->existing_instance_name);
	}
	if (!cohd_config_expect_map(&a->c, n, "use_existing", true))
		return 0;
	r->use_existing = true;
	r->existing_manage_databases = true;
	for (size_t j = 0; j < n->n_pairs; j++) {
		const struct cohd_yaml_node *k = n->pairs[j].key, *v = n->pairs[j].value;

		if (streq(k->value, "instance_name") || streq(k->value, "bucket_name") ||
		    streq(k->value, "name"))
			(void)cohd_config_string(&a->c, v, k->value, &r->existing_instance_name);
		else if (streq(k->value, "secret_id"))
			(void)cohd_config_string(&a->c, v, "secret_id", &r->existing_secret_id);
		else if (streq(k->value, "db_name"))
			(void)cohd_config_string(&a->c, v, "db_name", &r->existing_db_name);
		else if (streq(k->value, "username"))
			(void)cohd_config_string(&a->c, v, "username", &r->existing_username);
		else if (streq(k->value, "cluster_mode"))
			(void)cohd_config_bool(&a->c, v, "cluster_mode", &r->existing_cluster_mode);
		else if (streq(k->value, "manage_databases"))
			(void)cohd_config_bool(&a->c, v, "manage_databases",
					       &r->existing_manage_databases);
		else if (streq(k->value, "project_type"))
			; /* cnc's hint for GCP; no AWS meaning */
		else
			cohd_config_unknown_key(&a->c, k, "use_existing");
	}
	if (!r->existing_instance_name)
		ERR(a, n, "use_existing needs instance_name");
	return 0;
}

/* One resource from a mapping (v1 resources[] item, v2 x-cnc of a database/cache/bucket
 * service, or root x-cnc.resources[] item). name may be given (v2 service key). */
static int parse_resource(struct app_ctx *a, const struct cohd_yaml_node *m, const char *name,
			  const struct cohd_yaml_node *name_node, const char *service)
{
	const struct cohd_yaml_node *type_node = cohd_yaml_map_get(m, "type"), *ver_node = NULL;
	const struct cohd_yaml_node *eng_node = NULL, **rn;
	_cleanup_free_ char *type = NULL, *engine = NULL;
	struct cohd_app_resource *r;
	int kind;

	if (cohd_config_string(&a->c, type_node, "resource type", &type) <= 0) {
		if (!type_node || cohd_yaml_is_null(type_node))
			ERR(a, m, "a resource needs a type (database, cache or object_storage)");
		return 0;
	}
	kind = resource_kind_from(type);
	if (kind < 0) {
		if (unsupported_type(type))
			ERR(a, type_node,
			    "resource type '%s' is not supported by cohd (database, "
			    "cache and object_storage are)",
			    type);
		else
			ERR(a, type_node,
			    "unknown resource type '%s' (database, cache or "
			    "object_storage)",
			    type);
		return 0;
	}
	r = append(a, &a->app->resources, &a->app->n_resources, sizeof *r);
	rn = reallocarray(a->res_nodes, a->app->n_resources, sizeof *rn);
	if (!r || !rn)
		return oom(a);
	a->res_nodes = rn;
	rn[a->app->n_resources - 1] = name_node ?: m;
	r->kind = kind;
	r->loc = loc_of(name_node ?: m);
	r->use_db_proxy = true;
	if (name && !(r->name = xstrdup(a, name)))
		return -ENOMEM;
	if (service && !(r->service = xstrdup(a, service)))
		return -ENOMEM;

	for (size_t j = 0; j < m->n_pairs; j++) {
		const struct cohd_yaml_node *k = m->pairs[j].key, *v = m->pairs[j].value;
		const char *key = k->value;

		if (streq(key, "type")) {
			continue;
		} else if (streq(key, "name") && !name) {
			(void)cohd_config_string(&a->c, v, "resource name", &r->name);
		} else if (streq(key, "engine") && kind != COHD_APP_RESOURCE_OBJECT_STORAGE) {
			if (cohd_config_string(&a->c, v, "engine", &engine) > 0)
				eng_node = v;
		} else if (streq(key, "version") && kind != COHD_APP_RESOURCE_OBJECT_STORAGE) {
			if (cohd_config_string(&a->c, v, "version", &r->version) > 0)
				ver_node = v;
		} else if (streq(key, "adapter") && kind == COHD_APP_RESOURCE_DATABASE) {
			(void)cohd_config_string(&a->c, v, "adapter", &r->adapter);
		} else if (streq(key, "use_db_proxy") && kind == COHD_APP_RESOURCE_DATABASE) {
			(void)cohd_config_bool(&a->c, v, "use_db_proxy", &r->use_db_proxy);
		} else if (streq(key, "snapshot_file_path") && kind == COHD_APP_RESOURCE_DATABASE) {
			(void)cohd_config_string(&a->c, v, "snapshot_file_path",
						 &r->snapshot_file_path);
		} else if (streq(key, "snapshot_type") && kind == COHD_APP_RESOURCE_DATABASE) {
			_cleanup_free_ char *st = NULL;

			if (cohd_config_string(&a->c, v, "snapshot_type", &st) > 0 &&
			    !streq(st, "data") && !streq(st, "schema"))
				ERR(a, v, "snapshot_type must be data or schema, not '%s'", st);
		} else if (streq(key, "use_existing")) {
			if (parse_use_existing(a, v, r) == -ENOMEM)
				return -ENOMEM;
		} else if (streq(key, "use_sibling")) {
			if (!cohd_config_expect_map(&a->c, v, "use_sibling", false))
				continue;
			for (size_t q = 0; q < v->n_pairs; q++) {
				const struct cohd_yaml_node *k2 = v->pairs[q].key;

				if (streq(k2->value, "service_name"))
					(void)cohd_config_string(&a->c, v->pairs[q].value,
								 "service_name",
								 &r->sibling_service);
				else if (streq(k2->value, "resource_name"))
					(void)cohd_config_string(&a->c, v->pairs[q].value,
								 "resource_name",
								 &r->sibling_resource);
				else
					cohd_config_unknown_key(&a->c, k2, "use_sibling");
			}
			if (!r->sibling_service || !r->sibling_resource)
				ERR(a, v, "use_sibling needs service_name and resource_name");
		} else if (streq(key, "cors") && kind == COHD_APP_RESOURCE_OBJECT_STORAGE) {
			if (parse_cors(a, v, &r->cors, &r->n_cors) == -ENOMEM)
				return -ENOMEM;
		} else if (streq(key, "custom_headers") &&
			   kind == COHD_APP_RESOURCE_OBJECT_STORAGE) {
			WARN(a, k,
			     "custom_headers on a bucket are not supported by cohd, ignoring");
		} else {
			_cleanup_free_ char *where = NULL;

			if (asprintf(&where, "%s '%s'", type, strempty(r->name)) < 0)
				return oom(a);
			cohd_config_unknown_key(&a->c, k, where);
		}
	}
	if (!r->name) {
		ERR(a, m, "a resource needs a name");
	} else if (!cohd_norm_name_valid(r->name) && !r->sibling_service) {
		/* Names go into env var prefixes and AWS names; cnc accepts `_` too. */
		bool ok = isalpha((unsigned char)r->name[0]) && strlen(r->name) <= 63;

		for (const char *p = r->name; ok && *p; p++)
			ok = isalnum((unsigned char)*p) || *p == '-' || *p == '_';
		if (!ok)
			ERR(a, name_node ?: cohd_yaml_map_get(m, "name") ?: m,
			    "resource name '%s' must start with a letter and hold only letters, "
			    "digits, '-' and '_' (at most 63)", r->name);
	}

	if (kind == COHD_APP_RESOURCE_OBJECT_STORAGE)
		return 0;
	if (engine) {
		const char *e = kind == COHD_APP_RESOURCE_DATABASE ? cohd_norm_db_engine(engine)
								   : cohd_norm_cache_engine(engine);

		if (!e) {
			if (kind == COHD_APP_RESOURCE_DATABASE &&
			    strncmp(engine, "sqlserver", 9) == 0)
				ERR(a, eng_node,
				    "engine '%s' is not supported by cohd (postgres or "
				    "mysql)",
				    engine);
			else
				ERR(a, eng_node, "unknown %s engine '%s' (%s)", type, engine,
				    kind == COHD_APP_RESOURCE_DATABASE ? "postgres or mysql"
								       : "redis or memcached");
			return 0;
		}
		r->engine = engine_from_string(e);
	} else {
		r->engine = kind == COHD_APP_RESOURCE_DATABASE ? COHD_APP_ENGINE_POSTGRES
							       : COHD_APP_ENGINE_REDIS;
	}
	if (!r->version) {
		if (kind == COHD_APP_RESOURCE_DATABASE && !r->sibling_service) {
			ERR(a, name_node ?: m, "database '%s' needs a version (like 15)",
			    strempty(r->name));
			return 0;
		}
		if (kind == COHD_APP_RESOURCE_CACHE &&
		    !(r->version = xstrdup(a, r->engine == COHD_APP_ENGINE_REDIS ? "6" : "1.6")))
			return -ENOMEM;
	}
	if (r->version) {
		char why[COHD_NORM_WHY_MAX];
		int q = cohd_norm_engine_version(cohd_app_engine_to_string(r->engine), r->version,
						 &r->major, &r->engine_version, why);

		if (q == -ENOMEM)
			return oom(a);
		if (q < 0)
			ERR(a, ver_node ?: m, "%s", why);
	}
	if (kind == COHD_APP_RESOURCE_DATABASE && !r->adapter &&
	    !(r->adapter = xstrdup(a, cohd_app_engine_to_string(r->engine))))
		return -ENOMEM;
	return 0;
}

static int parse_resource_list(struct app_ctx *a, const struct cohd_yaml_node *n,
			       const char *service)
{
	if (!cohd_config_expect_seq(&a->c, n, "resources", true))
		return 0;
	for (size_t i = 0; i < n->n_items; i++) {
		if (!cohd_config_expect_map(&a->c, n->items[i], "a resource", false))
			continue;
		if (parse_resource(a, n->items[i], NULL, NULL, service) == -ENOMEM)
			return -ENOMEM;
	}
	return 0;
}

/* ---- services ------------------------------------------------------------------------------- */

static void parse_platform_settings(struct app_ctx *a, const struct cohd_yaml_node *n,
				    struct cohd_app_service *s)
{
	if (!cohd_config_expect_map(&a->c, n, "platform_settings", true))
		return;
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct cohd_yaml_node *k = n->pairs[i].key, *v = n->pairs[i].value;

		if (streq(k->value, "min_scale"))
			(void)cohd_config_uint(&a->c, v, "min_scale", 1, 1000, &s->min_scale);
		else if (streq(k->value, "max_scale"))
			(void)cohd_config_uint(&a->c, v, "max_scale", 1, 1000, &s->max_scale);
		else if (streq(k->value, "throttle_cpu")) {
			bool b;

			(void)cohd_config_bool(&a->c, v, "throttle_cpu", &b); /* GCP only */
		} else
			cohd_config_unknown_key(&a->c, k, "platform_settings");
	}
}

static void parse_system(struct app_ctx *a, size_t si, const struct cohd_yaml_node *n)
{
	struct cohd_app_service *s = &a->app->services[si];

	if (!cohd_config_expect_map(&a->c, n, "system", true))
		return;
	a->svc_system[si] = n;
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct cohd_yaml_node *k = n->pairs[i].key, *v = n->pairs[i].value;

		if (streq(k->value, "cpu") || streq(k->value, "cpus")) {
			parse_cpu(a, v, &s->cpu);
		} else if (streq(k->value, "memory")) {
			parse_memory(a, v, &s->memory);
		} else if (streq(k->value, "health_check")) {
			if (cohd_config_string(&a->c, v, "health_check", &s->health_check_path) >
			    0) {
				s->health_check_set = true;
				if (s->health_check_path[0] != '/')
					ERR(a, v,
					    "health_check must be a path starting with '/', "
					    "not '%s'",
					    s->health_check_path);
			}
		} else if (streq(k->value, "platform_settings")) {
			parse_platform_settings(a, v, s);
		} else if (streq(k->value, "dev")) {
			(void)cohd_config_expect_map(&a->c, v, "system.dev", true); /* workspace */
		} else {
			cohd_config_unknown_key(&a->c, k, "system");
		}
	}
}

static void parse_build_config(struct app_ctx *a, const struct cohd_yaml_node *n,
			       struct cohd_app_service *s)
{
	if (!cohd_config_expect_map(&a->c, n, "build_config", true))
		return;
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct cohd_yaml_node *k = n->pairs[i].key, *v = n->pairs[i].value;

		if (streq(k->value, "included_paths"))
			(void)cohd_config_strv(&a->c, v, "included_paths", &s->included_paths,
					       &s->n_included_paths);
		else if (streq(k->value, "excluded_paths"))
			(void)cohd_config_strv(&a->c, v, "excluded_paths", &s->excluded_paths,
					       &s->n_excluded_paths);
		else if (streq(k->value, "existing_image_tag_mode")) {
			_cleanup_free_ char *m = NULL;

			if (cohd_config_string(&a->c, v, k->value, &m) > 0 && !streq(m, "static") &&
			    !streq(m, "sha"))
				ERR(a, v, "existing_image_tag_mode must be static or sha");
		} else
			cohd_config_unknown_key(&a->c, k, "build_config");
	}
}

static void parse_timeouts(struct app_ctx *a, const struct cohd_yaml_node *n,
			   struct cohd_app_service *s)
{
	if (!cohd_config_expect_map(&a->c, n, "timeouts", true))
		return;
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct cohd_yaml_node *k = n->pairs[i].key, *v = n->pairs[i].value;
		unsigned t = 0;

		if (streq(k->value, "default") || streq(k->value, "deploy")) {
			if (cohd_config_uint(&a->c, v, k->value, 1, 1440, &t) > 0 &&
			    (streq(k->value, "deploy") || s->timeout_minutes == 20))
				s->timeout_minutes = t;
		} else if (streq(k->value, "test") || streq(k->value, "migrate") ||
			   streq(k->value, "snapshot") || streq(k->value, "seed")) {
			(void)cohd_config_uint(&a->c, v, k->value, 1, 1440, &t);
		} else {
			cohd_config_unknown_key(&a->c, k, "timeouts");
		}
	}
}

static char *path_clean(struct app_ctx *a, const struct cohd_yaml_node *n, const char *p)
{
	/* repo-relative: drop leading "/" and "./", trailing "/"; "" -> "."; no "..". */
	size_t l;

	while (*p == '/' || (p[0] == '.' && p[1] == '/'))
		p += *p == '/' ? 1 : 2;
	l = strlen(p);
	while (l > 0 && p[l - 1] == '/')
		l--;
	if (l == 0)
		return xstrdup(a, ".");
	for (const char *q = p; q < p + l; q++)
		if (q[0] == '.' && q[1] == '.' && (q == p || q[-1] == '/') &&
		    (q + 2 == p + l || q[2] == '/')) {
			ERR(a, n, "path '%s' leaves the repository ('..')", p);
			break;
		}
	return strndup(p, l) ?: (a->c.oom = true, NULL);
}

enum svc_form {
	FORM_V1,      /* a v1 service stanza */
	FORM_V2_XCNC, /* the x-cnc block of a v2 service */
};

/* A key of a v1 stanza or of a v2 x-cnc block. Returns false if unknown. */
static bool service_key(struct app_ctx *a, size_t si, const struct cohd_yaml_node *k,
			const struct cohd_yaml_node *v, enum svc_form form)
{
	struct cohd_app_service *s = &a->app->services[si];
	const char *key = k->value;
	bool fe = s->kind == COHD_APP_SERVICE_FRONTEND;

	if (streq(key, "type")) {
		/* handled by the caller */
	} else if (streq(key, "url_path")) {
		(void)cohd_config_string(&a->c, v, "url_path", &s->url_path);
	} else if (streq(key, "repo_path") && form == FORM_V1) {
		_cleanup_free_ char *p = NULL;

		if (cohd_config_string(&a->c, v, "repo_path", &p) > 0) {
			free(s->repo_path);
			s->repo_path = path_clean(a, v, p);
		}
	} else if (streq(key, "prod") && form == FORM_V1) {
		if (v->kind == COHD_YAML_MAP) {
			for (size_t i = 0; i < v->n_pairs; i++) {
				const struct cohd_yaml_node *k2 = v->pairs[i].key;
				const struct cohd_yaml_node *v2 = v->pairs[i].value;

				if (streq(k2->value, "command"))
					(void)parse_cmd(a, v2, "prod.command", &s->start);
				else if (streq(k2->value, "dockerfile"))
					(void)cohd_config_string(&a->c, v2, "dockerfile",
								 &s->dockerfile);
				else
					cohd_config_unknown_key(&a->c, k2, "prod");
			}
		} else {
			(void)parse_cmd(a, v, "prod", &s->start);
		}
	} else if (streq(key, "dev") && form == FORM_V1) {
		/* workspace (cloud IDE) only: checked for shape, no AWS effect */
		if (v->kind == COHD_YAML_MAP) {
			for (size_t i = 0; i < v->n_pairs; i++) {
				const struct cohd_yaml_node *k2 = v->pairs[i].key;

				if (!streq(k2->value, "command") && !streq(k2->value, "dockerfile"))
					cohd_config_unknown_key(&a->c, k2, "dev");
			}
		}
	} else if (streq(key, "local_packages") || streq(key, "install_packages")) {
		/* workspace only */
	} else if (streq(key, "test")) {
		(void)parse_tests(a, v, s);
	} else if ((streq(key, "migration") && form == FORM_V1) ||
		   (streq(key, "migrate") && form == FORM_V2_XCNC)) {
		(void)parse_cmd(a, v, key, &s->migration);
		if (fe && s->migration.shell)
			WARN(a, k, "%s on a frontend is ignored", key);
	} else if (streq(key, "migration") || streq(key, "migrate")) {
		WARN(a, k, "'%s' is spelled '%s' in this format; using it anyway", key,
		     form == FORM_V1 ? "migration" : "migrate");
		(void)parse_cmd(a, v, key, &s->migration);
	} else if (streq(key, "seed")) {
		(void)parse_cmd(a, v, "seed", &s->seed);
	} else if (streq(key, "install")) {
		(void)parse_cmd(a, v, "install", &s->install);
	} else if (streq(key, "build") && (fe || v->kind != COHD_YAML_MAP)) {
		(void)parse_cmd(a, v, "build", &s->build);
		if (!fe && s->build.shell)
			WARN(a, k, "'build' is a frontend key; ignored on backend '%s'", s->name);
	} else if (streq(key, "assets_path") || streq(key, "build_path")) {
		_cleanup_free_ char *p = NULL;

		if (cohd_config_string(&a->c, v, key, &p) > 0) {
			free(s->assets_path);
			s->assets_path = path_clean(a, v, p);
		}
		if (!fe)
			WARN(a, k, "'%s' is a frontend key; ignored on backend '%s'", key, s->name);
	} else if (streq(key, "index_file_name")) {
		(void)cohd_config_string(&a->c, v, "index_file_name", &s->index_file_name);
		if (!fe)
			WARN(a, k, "'index_file_name' is a frontend key; ignored on backend '%s'",
			     s->name);
	} else if (streq(key, "spa")) {
		(void)cohd_config_bool(&a->c, v, "spa", &s->spa);
	} else if (streq(key, "cors")) {
		(void)parse_cors(a, v, &s->cors, &s->n_cors);
	} else if (streq(key, "custom_headers")) {
		(void)parse_headers(a, v, &s->custom_headers, &s->n_custom_headers);
	} else if (streq(key, "cdn")) {
		if (cohd_config_expect_map(&a->c, v, "cdn", true))
			for (size_t i = 0; i < v->n_pairs; i++) {
				if (streq(v->pairs[i].key->value, "enabled"))
					(void)cohd_config_bool(&a->c, v->pairs[i].value,
							       "cdn.enabled", &s->cdn_enabled);
				else
					cohd_config_unknown_key(&a->c, v->pairs[i].key, "cdn");
			}
	} else if (streq(key, "internal")) {
		(void)cohd_config_bool(&a->c, v, "internal", &s->internal);
	} else if (streq(key, "system")) {
		parse_system(a, si, v);
	} else if (streq(key, "build_config")) {
		parse_build_config(a, v, s);
	} else if (streq(key, "timeouts")) {
		parse_timeouts(a, v, s);
	} else if (streq(key, "resources") && form == FORM_V1) {
		if (fe && v->kind == COHD_YAML_SEQ && v->n_items > 0)
			WARN(a, k,
			     "frontend '%s' declares resources; they are created for the app, "
			     "but a frontend runs no container that could use them",
			     s->name);
		(void)parse_resource_list(a, v, s->name);
	} else if (streq(key, "workers")) {
		if (fe)
			WARN(a, k, "workers on a frontend are ignored");
		else
			(void)parse_workers(a, si, v);
	} else if (streq(key, "scheduled_tasks")) {
		if (fe)
			WARN(a, k, "scheduled_tasks on a frontend are ignored");
		else
			(void)parse_tasks(a, si, v);
	} else if (streq(key, "compile")) {
		WARN(a, k,
		     "'compile' (a separate compile container) is not supported by cohd, "
		     "ignoring");
	} else {
		return false;
	}
	return true;
}

static int service_new(struct app_ctx *a, const struct cohd_yaml_node *key,
		       enum cohd_app_service_kind kind, size_t *ret_index)
{
	struct cohd_app_service *s;
	size_t n = a->app->n_services;
	void *p;

	if (n >= MAX_SERVICES) {
		ERR(a, key, "more than %d services", MAX_SERVICES);
		return -EINVAL;
	}
	s = append(a, &a->app->services, &a->app->n_services, sizeof *s);
	if (!s)
		return -ENOMEM;
#define GROW(arr)                                                                                  \
	do {                                                                                       \
		p = reallocarray((void *)(arr), n + 1, sizeof *(arr));                             \
		if (!p)                                                                            \
			return oom(a);                                                             \
		(arr) = p;                                                                         \
		(arr)[n] = NULL;                                                                   \
	} while (0)
	GROW(a->svc_nodes);
	GROW(a->svc_system);
	GROW(a->worker_nodes);
	GROW(a->task_nodes);
#undef GROW
	a->svc_nodes[n] = key;
	s->name = xstrdup(a, key->value);
	if (!s->name)
		return -ENOMEM;
	s->kind = kind;
	s->loc = loc_of(key);
	s->replicas = 1;
	s->min_scale = 1;
	s->max_scale = 4;
	s->port = 8080;
	s->timeout_minutes = 20;
	s->cdn_enabled = kind == COHD_APP_SERVICE_FRONTEND;
	s->spa = true;
	for (const char *c = key->value; *c; c++)
		if (isspace((unsigned char)*c) || !isprint((unsigned char)*c & 0x7f)) {
			ERR(a, key,
			    "service name '%s' must not contain spaces or control "
			    "characters",
			    key->value);
			break;
		}
	if (key->len == 0)
		ERR(a, key, "service name must not be empty");
	*ret_index = n;
	return 0;
}

/* `type` of a block: returns the kind, or -ENOENT for a known non-service type (already
 * reported), -EINVAL for garbage (reported). */
static int block_type(struct app_ctx *a, const struct cohd_yaml_node *key,
		      const struct cohd_yaml_node *block, char **ret_type)
{
	const struct cohd_yaml_node *t = cohd_yaml_map_get(block, "type");
	int r;

	r = cohd_config_string(&a->c, t, "type", ret_type);
	if (r < 0)
		return r;
	if (r == 0) {
		ERR(a, t ?: key, "'%s' needs a type (backend or frontend)", key->value);
		return -EINVAL;
	}
	if (streq(*ret_type, "backend"))
		return COHD_APP_SERVICE_BACKEND;
	if (streq(*ret_type, "frontend"))
		return COHD_APP_SERVICE_FRONTEND;
	return -ENOENT;
}

static int parse_v1(struct app_ctx *a, const struct cohd_yaml_node *root)
{
	for (size_t i = 0; i < root->n_pairs; i++) {
		const struct cohd_yaml_node *k = root->pairs[i].key, *v = root->pairs[i].value;
		_cleanup_free_ char *type = NULL;
		const char *key = k->value;
		size_t si;
		int kind;

		if (streq(key, "x-cohd")) {
			continue;
		} else if (streq(key, "preview_inactivity_timeout_hours")) {
			(void)cohd_config_uint(&a->c, v, key, 1, 24 * 365,
					       &a->app->preview_inactivity_timeout_hours);
			continue;
		} else if (streq(key, "build_settings")) {
			const struct cohd_yaml_node *ps;

			if (!cohd_config_expect_map(&a->c, v, key, true))
				continue;
			for (size_t j = 0; j < v->n_pairs; j++)
				if (!streq(v->pairs[j].key->value, "platform_settings"))
					cohd_config_unknown_key(&a->c, v->pairs[j].key,
								"build_settings");
			ps = cohd_yaml_map_get(v, "platform_settings");
			if (!cohd_config_expect_map(&a->c, ps, "platform_settings", true))
				continue;
			for (size_t j = 0; j < ps->n_pairs; j++)
				if (streq(ps->pairs[j].key->value, "machine_type"))
					(void)cohd_config_string(&a->c, ps->pairs[j].value,
								 "machine_type",
								 &a->app->build_machine_type);
				else
					cohd_config_unknown_key(&a->c, ps->pairs[j].key,
								"platform_settings");
			continue;
		} else if (streq(key, "allow_vpc_sharing")) {
			(void)cohd_config_bool(&a->c, v, key, &a->app->allow_vpc_sharing);
			continue;
		} else if (streq(key, "vpc_sharing")) {
			if (!cohd_config_expect_map(&a->c, v, key, true))
				continue;
			for (size_t j = 0; j < v->n_pairs; j++)
				if (streq(v->pairs[j].key->value, "app_name"))
					(void)cohd_config_string(&a->c, v->pairs[j].value,
								 "app_name",
								 &a->app->vpc_sharing_app);
				else if (!streq(v->pairs[j].key->value, "fallback_environment"))
					cohd_config_unknown_key(&a->c, v->pairs[j].key,
								"vpc_sharing");
			WARN(a, k, "vpc_sharing is accepted but cohd gives every app its own VPC");
			continue;
		}

		if (v->kind != COHD_YAML_MAP) {
			cohd_config_warn(&a->c, k,
					 "unknown top-level key '%s' (not a service), "
					 "ignoring",
					 key);
			continue;
		}
		if (!cohd_yaml_map_get(v, "type")) {
			cohd_config_warn(&a->c, k,
					 "top-level block '%s' has no type, so it is not a "
					 "service; ignoring",
					 key);
			continue;
		}
		kind = block_type(a, k, v, &type);
		if (kind == -ENOENT) {
			if (resource_kind_from(type) >= 0)
				WARN(a, cohd_yaml_map_get(v, "type"),
				     "top-level block '%s' has type %s; in this format resources "
				     "go "
				     "under a backend's 'resources', ignoring",
				     key, type);
			else
				WARN(a, cohd_yaml_map_get(v, "type"),
				     "top-level block '%s' has type '%s', not backend or frontend; "
				     "not a service, ignoring",
				     key, type);
			continue;
		}
		if (kind < 0)
			continue;
		if (service_new(a, k, kind, &si) < 0) {
			if (a->c.oom)
				return -ENOMEM;
			continue;
		}
		for (size_t j = 0; j < v->n_pairs; j++)
			if (!service_key(a, si, v->pairs[j].key, v->pairs[j].value, FORM_V1)) {
				_cleanup_free_ char *where = NULL;

				if (asprintf(&where, "service '%s'", key) < 0)
					return oom(a);
				cohd_config_unknown_key(&a->c, v->pairs[j].key, where);
			}
		if (a->c.oom)
			return -ENOMEM;
	}
	return 0;
}

/* ---- v2 (compose) ---------------------------------------------------------------------------- */

static bool compose_ignored_key(const char *k)
{
	static const char *const keys[] = {
		"depends_on",	  "volumes",	 "networks",
		"restart",	  "healthcheck", "env_file",
		"container_name", "expose",	 "labels",
		"working_dir",	  "stdin_open",	 "tty",
		"platform",	  "profiles",	 "hostname",
		"logging",	  "extra_hosts", "links",
		"user",		  "init",	 "stop_grace_period",
		"ulimits",	  "cap_add",	 "cap_drop",
		"secrets",	  "configs",	 "develop",
		"pull_policy",	  "shm_size",	 "tmpfs",
		"security_opt",	  "dns",
	};

	if (strncmp(k, "x-", 2) == 0)
		return true;
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (streq(k, keys[i]))
			return true;
	return false;
}

static void parse_ports(struct app_ctx *a, const struct cohd_yaml_node *n,
			struct cohd_app_service *s)
{
	const struct cohd_yaml_node *first;
	unsigned port = 0;

	if (!cohd_config_expect_seq(&a->c, n, "ports", true) || n->n_items == 0)
		return;
	first = n->items[0];
	if (first->kind == COHD_YAML_MAP) {
		(void)cohd_config_uint(&a->c, cohd_yaml_map_get(first, "target"), "ports target", 1,
				       65535, &port);
	} else if (first->kind == COHD_YAML_SCALAR) {
		/* "[ip:]host:container[/proto]" or "container": the container side */
		const char *c = strrchr(first->value, ':');
		char buf[16];
		size_t l;
		char *e;
		unsigned long v;

		c = c ? c + 1 : first->value;
		l = strcspn(c, "/");
		if (l == 0 || l >= sizeof buf || strchr(c, '-')) {
			ERR(a, first, "ports entry '%s' must name one container port",
			    first->value);
			return;
		}
		memcpy(buf, c, l);
		buf[l] = 0;
		errno = 0;
		v = strtoul(buf, &e, 10);
		if (errno || *e || v == 0 || v > 65535) {
			ERR(a, first, "ports entry '%s': container port must be 1-65535",
			    first->value);
			return;
		}
		port = (unsigned)v;
	} else {
		ERR(a, first, "ports entries must be strings or mappings");
	}
	if (port)
		s->port = port;
	if (n->n_items > 1)
		WARN(a, n->items[1], "only the first ports entry is used");
}

static void parse_compose_build(struct app_ctx *a, const struct cohd_yaml_node *n,
				struct cohd_app_service *s)
{
	_cleanup_free_ char *ctx = NULL, *df = NULL;

	if (n->kind == COHD_YAML_SCALAR) {
		(void)cohd_config_string(&a->c, n, "build", &ctx);
	} else if (cohd_config_expect_map(&a->c, n, "build", true)) {
		for (size_t i = 0; i < n->n_pairs; i++) {
			const struct cohd_yaml_node *k = n->pairs[i].key, *v = n->pairs[i].value;

			if (streq(k->value, "context"))
				(void)cohd_config_string(&a->c, v, "build.context", &ctx);
			else if (streq(k->value, "dockerfile"))
				(void)cohd_config_string(&a->c, v, "build.dockerfile", &df);
			else if (streq(k->value, "args") || streq(k->value, "target") ||
				 streq(k->value, "cache_from") || streq(k->value, "labels"))
				WARN(a, k, "build.%s is not used by cohd, ignoring", k->value);
			else
				cohd_config_unknown_key(&a->c, k, "build");
		}
	}
	if (ctx) {
		free(s->repo_path);
		s->repo_path = path_clean(a, n, ctx);
	}
	if (df) {
		free(s->dockerfile);
		s->dockerfile = TAKE_PTR(df);
	}
}

static void parse_compose_deploy(struct app_ctx *a, const struct cohd_yaml_node *n, size_t si)
{
	struct cohd_app_service *s = &a->app->services[si];

	if (!cohd_config_expect_map(&a->c, n, "deploy", true))
		return;
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct cohd_yaml_node *k = n->pairs[i].key, *v = n->pairs[i].value;

		if (streq(k->value, "replicas")) {
			(void)cohd_config_uint(&a->c, v, "deploy.replicas", 1, 1000, &s->replicas);
		} else if (streq(k->value, "resources")) {
			if (!cohd_config_expect_map(&a->c, v, "deploy.resources", true))
				continue;
			for (size_t j = 0; j < v->n_pairs; j++) {
				const struct cohd_yaml_node *k2 = v->pairs[j].key;
				const struct cohd_yaml_node *v2 = v->pairs[j].value;

				if (streq(k2->value, "limits")) {
					if (!a->svc_system[si])
						a->svc_system[si] = v2;
					parse_small_system(a, v2, &s->cpu, &s->memory,
							   "deploy.resources.limits");
				} else if (streq(k2->value, "reservations")) {
					/* Fargate has no reservations; limits size the task */
				} else {
					cohd_config_unknown_key(&a->c, k2, "deploy.resources");
				}
			}
		} else if (streq(k->value, "restart_policy") || streq(k->value, "update_config") ||
			   streq(k->value, "placement") || streq(k->value, "mode") ||
			   streq(k->value, "labels") || streq(k->value, "rollback_config")) {
			/* compose-only */
		} else {
			cohd_config_unknown_key(&a->c, k, "deploy");
		}
	}
}

static int add_variable(struct app_ctx *a, struct cohd_app_variable **arr, size_t *n,
			const struct cohd_yaml_node *at, const char *name, const char *value,
			const char *secret_id);

static void parse_compose_environment(struct app_ctx *a, const struct cohd_yaml_node *n,
				      struct cohd_app_service *s)
{
	if (cohd_yaml_is_null(n))
		return;
	if (n->kind == COHD_YAML_MAP) {
		for (size_t i = 0; i < n->n_pairs; i++) {
			const struct cohd_yaml_node *v = n->pairs[i].value;

			if (v->kind != COHD_YAML_SCALAR) {
				ERR(a, v, "environment values must be strings, not a %s",
				    cohd_yaml_describe(v));
				continue;
			}
			(void)add_variable(a, &s->variables, &s->n_variables, n->pairs[i].key,
					   n->pairs[i].key->value, v->value, NULL);
		}
	} else if (n->kind == COHD_YAML_SEQ) {
		for (size_t i = 0; i < n->n_items; i++) {
			const struct cohd_yaml_node *it = n->items[i];
			_cleanup_free_ char *name = NULL;
			const char *eq;

			if (it->kind != COHD_YAML_SCALAR) {
				ERR(a, it, "environment entries must be NAME=value strings");
				continue;
			}
			eq = strchr(it->value, '=');
			if (!eq) {
				WARN(a, it,
				     "environment entry '%s' has no value (taken from the "
				     "host in compose), ignoring",
				     it->value);
				continue;
			}
			name = strndup(it->value, (size_t)(eq - it->value));
			if (!name) {
				a->c.oom = true;
				return;
			}
			(void)add_variable(a, &s->variables, &s->n_variables, it, name, eq + 1,
					   NULL);
		}
	} else {
		ERR(a, n, "environment must be a mapping or a list of NAME=value");
	}
}

static int parse_v2_service(struct app_ctx *a, const struct cohd_yaml_node *k,
			    const struct cohd_yaml_node *v)
{
	const struct cohd_yaml_node *x = cohd_yaml_map_get(v, "x-cnc");
	_cleanup_free_ char *type = NULL;
	size_t si;
	int kind;

	if (!x) {
		WARN(a, k, "service '%s' has no x-cnc block, so cohd does not deploy it; ignoring",
		     k->value);
		return 0;
	}
	if (!cohd_config_expect_map(&a->c, x, "x-cnc", false))
		return 0;
	kind = block_type(a, k, x, &type);
	if (kind == -ENOENT) {
		if (resource_kind_from(type) >= 0) {
			for (size_t i = 0; i < v->n_pairs; i++) {
				const char *key = v->pairs[i].key->value;

				if (!streq(key, "x-cnc") && !streq(key, "image") &&
				    !streq(key, "environment") && !streq(key, "ports") &&
				    !compose_ignored_key(key))
					WARN(a, v->pairs[i].key,
					     "'%s' of %s service '%s' is not "
					     "used (cohd creates a managed %s), ignoring",
					     key, type, k->value, type);
			}
			return parse_resource(a, x, k->value, k, NULL);
		}
		if (unsupported_type(type))
			ERR(a, cohd_yaml_map_get(x, "type"),
			    "service type '%s' is not supported by "
			    "cohd",
			    type);
		else
			ERR(a, cohd_yaml_map_get(x, "type"),
			    "unknown service type '%s' (backend, "
			    "frontend, database, cache or object_storage)",
			    type);
		return 0;
	}
	if (kind < 0)
		return 0;
	if (service_new(a, k, kind, &si) < 0)
		return a->c.oom ? -ENOMEM : 0;

	for (size_t i = 0; i < x->n_pairs; i++) {
		const struct cohd_yaml_node *xk = x->pairs[i].key, *xv = x->pairs[i].value;

		if (!service_key(a, si, xk, xv, FORM_V2_XCNC)) {
			_cleanup_free_ char *where = NULL;

			if (asprintf(&where, "x-cnc of service '%s'", k->value) < 0)
				return oom(a);
			cohd_config_unknown_key(&a->c, xk, where);
		}
	}
	for (size_t i = 0; i < v->n_pairs; i++) {
		const struct cohd_yaml_node *ck = v->pairs[i].key, *cv = v->pairs[i].value;
		struct cohd_app_service *s = &a->app->services[si];
		const char *key = ck->value;

		if (streq(key, "x-cnc") || compose_ignored_key(key)) {
			continue;
		} else if (streq(key, "build")) {
			parse_compose_build(a, cv, s);
		} else if (streq(key, "image")) {
			(void)cohd_config_string(&a->c, cv, "image", &s->image);
		} else if (streq(key, "command")) {
			(void)parse_cmd(a, cv, "command", &s->start);
		} else if (streq(key, "entrypoint")) {
			WARN(a, ck,
			     "entrypoint is not used: cohd runs 'sh -c <command>', ignoring");
		} else if (streq(key, "ports")) {
			parse_ports(a, cv, s);
		} else if (streq(key, "deploy")) {
			parse_compose_deploy(a, cv, si);
		} else if (streq(key, "environment")) {
			parse_compose_environment(a, cv, s);
		} else {
			_cleanup_free_ char *where = NULL;

			if (asprintf(&where, "service '%s'", k->value) < 0)
				return oom(a);
			cohd_config_unknown_key(&a->c, ck, where);
		}
	}
	return a->c.oom ? -ENOMEM : 0;
}

static int parse_v2(struct app_ctx *a, const struct cohd_yaml_node *root)
{
	for (size_t i = 0; i < root->n_pairs; i++) {
		const struct cohd_yaml_node *k = root->pairs[i].key, *v = root->pairs[i].value;
		const char *key = k->value;

		if (streq(key, "services")) {
			if (!cohd_config_expect_map(&a->c, v, "services", true))
				continue;
			for (size_t j = 0; j < v->n_pairs; j++) {
				if (!cohd_config_expect_map(&a->c, v->pairs[j].value, "a service",
							    false))
					continue;
				if (parse_v2_service(a, v->pairs[j].key, v->pairs[j].value) ==
				    -ENOMEM)
					return -ENOMEM;
			}
		} else if (streq(key, "x-cnc")) {
			if (!cohd_config_expect_map(&a->c, v, "x-cnc", true))
				continue;
			for (size_t j = 0; j < v->n_pairs; j++) {
				const struct cohd_yaml_node *xk = v->pairs[j].key;
				const struct cohd_yaml_node *xv = v->pairs[j].value;

				if (streq(xk->value, "resources")) {
					if (parse_resource_list(a, xv, NULL) == -ENOMEM)
						return -ENOMEM;
				} else if (streq(xk->value, "preview_inactivity_timeout_hours")) {
					(void)cohd_config_uint(
						&a->c, xv, xk->value, 1, 24 * 365,
						&a->app->preview_inactivity_timeout_hours);
				} else if (streq(xk->value, "build_settings")) {
					const struct cohd_yaml_node *ps =
						cohd_yaml_map_get(xv, "platform_settings");

					(void)cohd_config_string(
						&a->c, cohd_yaml_map_get(ps, "machine_type"),
						"machine_type", &a->app->build_machine_type);
				} else {
					cohd_config_unknown_key(&a->c, xk, "x-cnc");
				}
			}
		} else if (streq(key, "x-cohd") || streq(key, "version") || streq(key, "name") ||
			   streq(key, "volumes") || streq(key, "networks") ||
			   streq(key, "secrets") || streq(key, "configs") ||
			   strncmp(key, "x-", 2) == 0) {
			continue;
		} else {
			cohd_config_unknown_key(&a->c, k, "the file (compose form)");
		}
	}
	return 0;
}

/* ---- x-cohd --------------------------------------------------------------------------------- */

static bool var_name_ok(const char *s)
{
	if (isempty(s) || strlen(s) > 255 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (const char *p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_'))
			return false;
	return true;
}

static int add_variable(struct app_ctx *a, struct cohd_app_variable **arr, size_t *n,
			const struct cohd_yaml_node *at, const char *name, const char *value,
			const char *secret_id)
{
	struct cohd_app_variable *v;

	if (!var_name_ok(name)) {
		ERR(a, at, "variable name '%s' must match [A-Za-z_][A-Za-z0-9_]*", name);
		return -EINVAL;
	}
	for (size_t i = 0; i < *n; i++)
		if (streq((*arr)[i].name, name)) {
			ERR(a, at, "variable '%s' is set twice (first at %u:%u)", name,
			    (*arr)[i].loc.line, (*arr)[i].loc.column);
			return -EINVAL;
		}
	v = append(a, arr, n, sizeof *v);
	if (!v)
		return -ENOMEM;
	v->loc = loc_of(at);
	v->name = xstrdup(a, name);
	if (value)
		v->value = xstrdup(a, value);
	if (secret_id)
		v->secret_id = xstrdup(a, secret_id);
	return a->c.oom ? -ENOMEM : 0;
}

/* One variable: NAME -> scalar | {value|secret_id, service}. */
static int parse_one_variable(struct app_ctx *a, const struct cohd_yaml_node *at, const char *name,
			      const struct cohd_yaml_node *v)
{
	_cleanup_free_ char *value = NULL, *secret = NULL, *service = NULL;
	struct cohd_app_variable **arr = &a->app->variables;
	size_t *n = &a->app->n_variables;

	if (v->kind == COHD_YAML_SCALAR) {
		if (cohd_yaml_is_null(v)) {
			ERR(a, v, "variable '%s' has no value", name);
			return -EINVAL;
		}
		return add_variable(a, arr, n, at, name, v->value, NULL);
	}
	if (!cohd_config_expect_map(&a->c, v, "a variable", false))
		return -EINVAL;
	for (size_t i = 0; i < v->n_pairs; i++) {
		const struct cohd_yaml_node *k = v->pairs[i].key, *val = v->pairs[i].value;

		if (streq(k->value, "value")) {
			if (val->kind == COHD_YAML_SCALAR && !cohd_yaml_is_null(val)) {
				free(value);
				value = xstrdup(a, val->value);
			} else {
				ERR(a, val, "variable value must be a string, not a %s",
				    cohd_yaml_describe(val));
			}
		} else if (streq(k->value, "secret_id")) {
			(void)cohd_config_string(&a->c, val, "secret_id", &secret);
		} else if (streq(k->value, "service")) {
			(void)cohd_config_string(&a->c, val, "service", &service);
		} else if (streq(k->value, "name")) {
			/* list form, handled by the caller */
		} else {
			cohd_config_unknown_key(&a->c, k, "a variable");
		}
	}
	if (!value == !secret) {
		ERR(a, v, "variable '%s' needs exactly one of value and secret_id", name);
		return -EINVAL;
	}
	if (service) {
		struct cohd_app_service *s = NULL;

		for (size_t i = 0; i < a->app->n_services; i++)
			if (streq(a->app->services[i].name, service))
				s = &a->app->services[i];
		if (!s) {
			ERR(a, v, "variable '%s': no service '%s' in this file", name, service);
			return -EINVAL;
		}
		arr = &s->variables;
		n = &s->n_variables;
	}
	return add_variable(a, arr, n, at, name, value, secret);
}

static void parse_variables(struct app_ctx *a, const struct cohd_yaml_node *n)
{
	if (cohd_yaml_is_null(n))
		return;
	if (n->kind == COHD_YAML_MAP) {
		for (size_t i = 0; i < n->n_pairs; i++)
			(void)parse_one_variable(a, n->pairs[i].key, n->pairs[i].key->value,
						 n->pairs[i].value);
		return;
	}
	if (!cohd_config_expect_seq(&a->c, n, "variables", false))
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		const struct cohd_yaml_node *it = n->items[i];
		const struct cohd_yaml_node *nm = cohd_yaml_map_get(it, "name");

		if (!cohd_config_expect_map(&a->c, it, "a variable", false))
			continue;
		if (!nm || nm->kind != COHD_YAML_SCALAR || nm->len == 0) {
			ERR(a, it, "a variable needs a name");
			continue;
		}
		(void)parse_one_variable(a, nm, nm->value, it);
	}
}

static bool hostname_ok(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 253 || !strchr(s, '.') || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
			return false;
		if (label == 0 && *p == '-')
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

static bool region_ok(const char *s)
{
	/* e.g. eu-west-1, us-gov-west-1, ap-southeast-3 */
	const char *p = s;
	int parts = 0;

	for (;;) {
		size_t l = strspn(p, "abcdefghijklmnopqrstuvwxyz");

		if (l == 0)
			break;
		p += l;
		parts++;
		if (*p != '-')
			return false;
		p++;
	}
	if (parts < 2 || !isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	return *p == 0 && strlen(s) <= 32;
}

static bool role_arn_ok(const char *s)
{
	const char *p;

	if (strncmp(s, "arn:aws:iam::", 13) == 0)
		p = s + 13;
	else if (strncmp(s, "arn:aws-us-gov:iam::", 20) == 0)
		p = s + 20;
	else if (strncmp(s, "arn:aws-cn:iam::", 16) == 0)
		p = s + 16;
	else
		return false;
	for (int i = 0; i < 12; i++)
		if (!isdigit((unsigned char)p[i]))
			return false;
	return strncmp(p + 12, ":role/", 6) == 0 && p[18] && strlen(s) <= 2048;
}

static void parse_x_cohd(struct app_ctx *a, const struct cohd_yaml_node *n, bool *ret_type_set)
{
	struct cohd_app *app = a->app;

	if (!cohd_config_expect_map(&a->c, n, "x-cohd", true))
		return;
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct cohd_yaml_node *k = n->pairs[i].key, *v = n->pairs[i].value;
		const char *key = k->value;

		if (streq(key, "app")) {
			if (cohd_config_string(&a->c, v, "x-cohd.app", &app->name) > 0 &&
			    !cohd_norm_name_valid(app->name))
				ERR(a, v,
				    "app name '%s' must be lowercase letters, digits and '-', "
				    "start with a letter, at most 63 characters",
				    app->name);
		} else if (streq(key, "environment")) {
			if (cohd_config_string(&a->c, v, "x-cohd.environment", &app->environment) >
				    0 &&
			    !cohd_norm_name_valid(app->environment))
				ERR(a, v,
				    "environment name '%s' must be lowercase letters, digits "
				    "and '-', start with a letter, at most 63 characters",
				    app->environment);
		} else if (streq(key, "type")) {
			_cleanup_free_ char *t = NULL;
			int et;

			if (cohd_config_string(&a->c, v, "x-cohd.type", &t) <= 0)
				continue;
			et = cohd_app_env_type_from_string(t);
			if (et < 0)
				ERR(a, v,
				    "environment type '%s' must be production, static or "
				    "preview",
				    t);
			else {
				app->env_type = et;
				*ret_type_set = true;
			}
		} else if (streq(key, "region")) {
			if (cohd_config_string(&a->c, v, "x-cohd.region", &app->region) > 0 &&
			    !region_ok(app->region))
				ERR(a, v, "region '%s' is not an AWS region name (like eu-west-1)",
				    app->region);
		} else if (streq(key, "role_arn")) {
			if (cohd_config_string(&a->c, v, "x-cohd.role_arn", &app->role_arn) > 0 &&
			    !role_arn_ok(app->role_arn))
				ERR(a, v,
				    "role_arn '%s' is not an IAM role ARN "
				    "(arn:aws:iam::123456789012:role/NAME)",
				    app->role_arn);
		} else if (streq(key, "base_domain")) {
			if (cohd_config_string(&a->c, v, "x-cohd.base_domain", &app->base_domain) >
				    0 &&
			    !hostname_ok(app->base_domain))
				ERR(a, v, "base_domain '%s' is not a lowercase DNS name",
				    app->base_domain);
		} else if (streq(key, "custom_domains")) {
			if (cohd_config_strv(&a->c, v, "x-cohd.custom_domains",
					     &app->custom_domains, &app->n_custom_domains) > 0)
				for (size_t j = 0; j < app->n_custom_domains; j++)
					if (!hostname_ok(app->custom_domains[j]))
						ERR(a, v->kind == COHD_YAML_SEQ ? v->items[j] : v,
						    "custom domain '%s' is not a lowercase DNS "
						    "name",
						    app->custom_domains[j]);
		} else if (streq(key, "variables")) {
			/* after services are known: see cohd_app_parse() */
		} else if (streq(key, "accept_drift")) {
			(void)cohd_config_drift_rules(&a->c, v, &app->accept_drift,
						      &app->n_accept_drift);
		} else {
			cohd_config_unknown_key(&a->c, k, "x-cohd");
		}
	}
}

/* ---- defaults from the file name, format detection, post-pass --------------------------- */

static char *name_from(const char *s, size_t len)
{
	/* Lowercase, anything outside [a-z0-9] -> '-', must start with a letter. */
	_cleanup_free_ char *raw = strndup(s, len);
	char *slug;

	if (!raw)
		return NULL;
	slug = cohd_norm_slug(raw, 63);
	if (slug && slug[0] && !(slug[0] >= 'a' && slug[0] <= 'z')) {
		char *p;

		if (asprintf(&p, "a-%s", slug) < 0)
			p = NULL;
		free(slug);
		slug = p;
		if (slug && strlen(slug) > 63)
			slug[63] = 0;
	}
	return slug;
}

static int names_from_file(struct app_ctx *a, const char *file)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t len = strlen(base), l;
	const char *dot;

	if (len > 5 && streq(base + len - 5, ".yaml"))
		len -= 5;
	else if (len > 4 && streq(base + len - 4, ".yml"))
		len -= 4;
	dot = memchr(base, '.', len);
	l = dot ? (size_t)(dot - base) : len;
	if (!a->app->name) {
		a->app->name = name_from(base, l);
		if (!a->app->name)
			return oom(a);
		if (!a->app->name[0])
			cohd_config_error(&a->c, NULL,
					  "no app name: set x-cohd.app (the file name "
					  "'%s' gives none)",
					  base);
	}
	if (!a->app->environment) {
		a->app->environment =
			dot && len > l + 1 ? name_from(dot + 1, len - l - 1) : strdup("production");
		if (!a->app->environment)
			return oom(a);
		if (!a->app->environment[0])
			cohd_config_error(&a->c, NULL,
					  "no environment name: set x-cohd.environment");
	}
	return 0;
}

static enum cohd_app_format detect_format(const struct cohd_yaml_node *root)
{
	const struct cohd_yaml_node *svcs = cohd_yaml_map_get(root, "services");

	if (cohd_yaml_map_get(root, "x-cnc"))
		return COHD_APP_FORMAT_V2;
	if (svcs && svcs->kind == COHD_YAML_MAP && !cohd_yaml_map_get(svcs, "type"))
		return COHD_APP_FORMAT_V2;
	/* compose's `version`/`volumes`/`networks` alone do not decide: a compose file without
	 * services deploys nothing, and a v1 file may carry such keys */
	return COHD_APP_FORMAT_V1;
}

static int fit(struct app_ctx *a, const struct cohd_yaml_node *at, const char *what, unsigned cpu,
	       unsigned mem, unsigned *ret_cpu, unsigned *ret_mem)
{
	char why[COHD_NORM_WHY_MAX];

	if (cohd_norm_fargate(cpu, mem, ret_cpu, ret_mem, why) < 0) {
		ERR(a, at, "%s: %s", what, why);
		*ret_cpu = COHD_FARGATE_CPU_DEFAULT;
		*ret_mem = COHD_FARGATE_MEM_DEFAULT;
		return -EINVAL;
	}
	if (why[0])
		WARN(a, at, "%s: %s", what, why);
	return 0;
}

static int post_service(struct app_ctx *a, size_t si)
{
	struct cohd_app_service *s = &a->app->services[si];
	const struct cohd_yaml_node *at = a->svc_system[si] ?: a->svc_nodes[si];
	unsigned raw_cpu = s->cpu, raw_mem = s->memory;
	_cleanup_free_ char *what = NULL;
	bool changed;
	char *p;

	/* url_path: "" means "/" */
	p = cohd_norm_url_path(s->url_path ?: "/", &changed);
	if (!p)
		return oom(a);
	free(s->url_path);
	s->url_path = p;
	for (const char *c = p; *c; c++)
		if (!isgraph((unsigned char)*c) || *c == '*' || *c == '?' ||
		    (unsigned char)*c > 0x7e) {
			ERR(a, a->svc_nodes[si],
			    "service '%s': url_path '%s' may hold only "
			    "printable ASCII without '*' and '?'",
			    s->name, p);
			break;
		}
	if (!s->repo_path && !(s->repo_path = xstrdup(a, ".")))
		return -ENOMEM;
	if (s->dockerfile) {
		_cleanup_free_ char *df = path_clean(a, a->svc_nodes[si], s->dockerfile);
		size_t rl = strlen(s->repo_path);

		if (!df)
			return -ENOMEM;
		free(s->dockerfile);
		s->dockerfile = NULL;
		/* relative to repo_path, unless already written with it in front (seen in v2) */
		if (streq(s->repo_path, ".") ||
		    (strncmp(df, s->repo_path, rl) == 0 && df[rl] == '/'))
			s->dockerfile = TAKE_PTR(df);
		else if (asprintf(&s->dockerfile, "%s/%s", s->repo_path, df) < 0)
			return oom(a);
	}
	if (!s->health_check_path && !(s->health_check_path = xstrdup(a, "/")))
		return -ENOMEM;
	s->health_check_matcher = xstrdup(a, cohd_norm_health_matcher(s->health_check_set));
	if (!s->health_check_matcher)
		return -ENOMEM;
	if (s->kind == COHD_APP_SERVICE_FRONTEND) {
		if (!s->assets_path && !(s->assets_path = xstrdup(a, "build")))
			return -ENOMEM;
		if (!s->index_file_name && !(s->index_file_name = xstrdup(a, "index.html")))
			return -ENOMEM;
		if (!s->build.shell && !s->start.shell && !s->dockerfile)
			WARN(a, a->svc_nodes[si],
			     "frontend '%s' has no build command; the "
			     "image's default command must put the assets into '%s'",
			     s->name, s->assets_path);
	}
	if (s->min_scale > s->max_scale)
		ERR(a, a->svc_nodes[si], "service '%s': min_scale %u is more than max_scale %u",
		    s->name, s->min_scale, s->max_scale);

	if (asprintf(&what, "service '%s'", s->name) < 0)
		return oom(a);
	(void)fit(a, at, what, raw_cpu, raw_mem, &s->cpu, &s->memory);

	for (size_t i = 0; i < s->n_workers; i++) {
		struct cohd_app_worker *w = &s->workers[i];
		const struct cohd_yaml_node *wn = a->worker_nodes[si][i];
		_cleanup_free_ char *ww = NULL;

		if (w->name) {
			w->slug = cohd_norm_slug(w->name, SLUG_MAX);
			if (!w->slug)
				return oom(a);
			if (!w->slug[0])
				ERR(a, wn, "worker name '%s' has no letters or digits", w->name);
			for (size_t j = 0; j < i; j++)
				if (s->workers[j].slug && w->slug[0] &&
				    streq(s->workers[j].slug, w->slug))
					ERR(a, wn,
					    "worker '%s' has the same name as '%s' once "
					    "written for AWS ('%s')",
					    w->name, s->workers[j].name, w->slug);
		}
		if (asprintf(&ww, "worker '%s'", strempty(w->name)) < 0)
			return oom(a);
		(void)fit(a, wn, ww, w->cpu ?: raw_cpu, w->memory ?: raw_mem, &w->cpu, &w->memory);
	}
	for (size_t i = 0; i < s->n_tasks; i++) {
		struct cohd_app_task *t = &s->tasks[i];
		const struct cohd_yaml_node *tn = a->task_nodes[si][i];
		_cleanup_free_ char *tw = NULL;

		if (t->name) {
			t->slug = cohd_norm_slug(t->name, SLUG_MAX);
			if (!t->slug)
				return oom(a);
			if (!t->slug[0])
				ERR(a, tn, "task name '%s' has no letters or digits", t->name);
			for (size_t j = 0; j < i; j++)
				if (s->tasks[j].slug && t->slug[0] &&
				    streq(s->tasks[j].slug, t->slug))
					ERR(a, tn,
					    "scheduled task '%s' has the same name as '%s' once "
					    "written for AWS ('%s')",
					    t->name, s->tasks[j].name, t->slug);
		}
		if (asprintf(&tw, "scheduled task '%s'", strempty(t->name)) < 0)
			return oom(a);
		(void)fit(a, tn, tw, t->cpu ?: raw_cpu, t->memory ?: raw_mem, &t->cpu, &t->memory);
	}
	return 0;
}

static int post_app(struct app_ctx *a)
{
	struct cohd_app *app = a->app;

	for (size_t i = 0; i < app->n_services; i++) {
		int r = post_service(a, i);

		if (r < 0)
			return r;
	}
	/* url_path: documented as unique, but official templates share "/" */
	for (size_t i = 0; i < app->n_services; i++)
		for (size_t j = 0; j < i; j++)
			if (streq(app->services[i].url_path, app->services[j].url_path)) {
				WARN(a, a->svc_nodes[i],
				     "services '%s' and '%s' both use url_path "
				     "'%s'; CloudFront sends it to one of them only (a frontend "
				     "first, else the first in the file)",
				     app->services[j].name, app->services[i].name,
				     app->services[i].url_path);
				break;
			}
	for (size_t i = 0; i < app->n_services; i++)
		for (size_t j = 0; j < i; j++)
			if (streq(app->services[i].name, app->services[j].name))
				ERR(a, a->svc_nodes[i],
				    "service '%s' is defined twice (first at "
				    "%u:%u)",
				    app->services[i].name, app->services[j].loc.line,
				    app->services[j].loc.column);

	for (size_t i = 0; i < app->n_resources; i++) {
		struct cohd_app_resource *r = &app->resources[i];
		const struct cohd_app_resource *t;

		if (!r->name)
			continue;
		if (!r->sibling_service) {
			for (size_t j = 0; j < i; j++)
				if (app->resources[j].name && !app->resources[j].sibling_service &&
				    streq(app->resources[j].name, r->name)) {
					ERR(a, a->res_nodes[i],
					    "resource '%s' is defined twice (first "
					    "at %u:%u); use use_sibling to share one",
					    r->name, app->resources[j].loc.line,
					    app->resources[j].loc.column);
					break;
				}
			continue;
		}
		if (!r->sibling_resource)
			continue; /* already reported */
		t = NULL;
		for (size_t j = 0; j < app->n_resources; j++)
			if (!app->resources[j].sibling_service &&
			    streq_ptr(app->resources[j].name, r->sibling_resource) &&
			    streq_ptr(app->resources[j].service, r->sibling_service))
				t = &app->resources[j];
		if (!t) {
			ERR(a, a->res_nodes[i], "use_sibling: service '%s' has no resource '%s'",
			    strempty(r->sibling_service), strempty(r->sibling_resource));
			continue;
		}
		if (t->kind != r->kind) {
			ERR(a, a->res_nodes[i], "use_sibling: '%s' of '%s' is a %s, not a %s",
			    t->name, t->service, cohd_app_resource_kind_to_string(t->kind),
			    cohd_app_resource_kind_to_string(r->kind));
			continue;
		}
		if (r->version && t->version && !streq(r->version, t->version))
			WARN(a, a->res_nodes[i],
			     "use_sibling: version %s differs from %s of '%s' in "
			     "service '%s'; the shared resource keeps %s",
			     r->version, t->version, t->name, t->service, t->version);
		/* the reference carries the shared resource's settings */
		r->engine = t->engine;
		r->major = t->major;
		free(r->version);
		free(r->engine_version);
		r->version = t->version ? xstrdup(a, t->version) : NULL;
		r->engine_version = t->engine_version ? xstrdup(a, t->engine_version) : NULL;
		if (!r->adapter && t->adapter)
			r->adapter = xstrdup(a, t->adapter);
	}
	return a->c.oom ? -ENOMEM : 0;
}

static enum cohd_app_env_type type_from_env_name(const char *env)
{
	if (streq_ptr(env, "production") || streq_ptr(env, "prod"))
		return COHD_APP_ENV_PRODUCTION;
	if (streq_ptr(env, "staging"))
		return COHD_APP_ENV_STATIC;
	return COHD_APP_ENV_PREVIEW;
}

int cohd_app_parse(const char *file, const char *data, size_t len, struct cohd_diag_list *diags,
		   struct cohd_app **ret_app)
{
	_cleanup_(cohd_yaml_doc_freep) struct cohd_yaml_doc *doc = NULL;
	_cleanup_(cohd_app_freep) struct cohd_app *app = NULL;
	struct cohd_yaml_limits lim = cohd_yaml_default_limits;
	struct app_ctx a = {.c = {.file = file, .diags = diags}};
	const struct cohd_yaml_node *root, *xc;
	size_t errors0;
	bool type_set = false;
	int r;

	cohd_assert_return(file && diags && ret_app, -EINVAL);
	errors0 = diags->n_errors;
	lim.max_bytes = COHD_APP_FILE_MAX;
	r = cohd_yaml_parse(file, data, len, &lim, diags, &doc);
	if (r < 0)
		return r;
	root = doc->root;
	if (!root || cohd_yaml_is_null(root)) {
		r = cohd_diag_add(diags, COHD_DIAG_ERROR, file, 1, 1,
				  "empty file: no services defined");
		return r < 0 ? r : -EINVAL;
	}
	if (root->kind != COHD_YAML_MAP) {
		r = cohd_diag_add(diags, COHD_DIAG_ERROR, file, root->line, root->column,
				  "an app file must be a mapping of services, not a %s",
				  cohd_yaml_describe(root));
		return r < 0 ? r : -EINVAL;
	}

	app = calloc(1, sizeof *app);
	if (!app)
		return -ENOMEM;
	a.app = app;
	app->source_file = strdup(file);
	if (!app->source_file)
		return -ENOMEM;
	app->preview_inactivity_timeout_hours = 2160;
	app->format = detect_format(root);

	xc = cohd_yaml_map_get(root, "x-cohd");
	if (xc)
		parse_x_cohd(&a, xc, &type_set);
	if (app->format == COHD_APP_FORMAT_V2)
		r = parse_v2(&a, root);
	else
		r = parse_v1(&a, root);
	if (r >= 0 && xc && xc->kind == COHD_YAML_MAP)
		parse_variables(&a, cohd_yaml_map_get(xc, "variables"));
	if (r >= 0 && !a.c.oom)
		r = names_from_file(&a, file);
	if (r >= 0 && !a.c.oom) {
		if (!type_set)
			app->env_type = type_from_env_name(app->environment);
		if (app->n_services == 0)
			cohd_config_error(
				&a.c, root, "no services: %s",
				app->format == COHD_APP_FORMAT_V2
					? "no entry of 'services' has an x-cnc block with "
					  "type backend or frontend"
					: "no top-level block has type backend or frontend");
		r = post_app(&a);
	}
	for (size_t i = 0; i < app->n_services; i++) {
		free(a.worker_nodes ? a.worker_nodes[i] : NULL);
		free(a.task_nodes ? a.task_nodes[i] : NULL);
	}
	free(a.svc_nodes);
	free(a.svc_system);
	free(a.res_nodes);
	free(a.worker_nodes);
	free(a.task_nodes);
	if (a.c.oom)
		return -ENOMEM;
	if (r < 0)
		return r;
	if (diags->n_errors > errors0)
		return -EINVAL;
	log_debug(CONFIG, "%s: %s app %s.%s, %zu services, %zu resources", file,
		  cohd_app_format_to_string(app->format), app->name, app->environment,
		  app->n_services, app->n_resources);
	*ret_app = TAKE_PTR(app);
	return 0;
}

int cohd_app_load_file(const char *path, struct cohd_diag_list *diags, struct cohd_app **ret_app)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r;

	cohd_assert_return(path && diags && ret_app, -EINVAL);
	r = cohd_config_read_file(path, COHD_APP_FILE_MAX, COHD_CONFIG_READ_SIZE_FIRST, diags,
				  &data, &len);
	if (r < 0)
		return r;
	return cohd_app_parse(path, data, len, diags, ret_app);
}
