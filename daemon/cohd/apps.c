/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The app registry: every *.yml / *.yaml in the watch directory is one environment of one app.
 * A scan reads each new or changed file, validates it (lib/config), compiles it (lib/model), and
 * records the accepted version and its desired graph in the store. A file that fails either
 * step is rejected with its file:line:column errors; the previous good version of that app stays
 * in force, in memory and in the store, and so survives a restart. A file that disappears starts
 * the deletion path (DESIGN.md §6): its app environment is marked deleting, never torn down here.
 */
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include "daemon/cohd/daemon.h"
#include "lib/config/app.h"
#include "lib/model/compile.h"
#include "lib/util/buf.h"
#include "lib/util/log.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

static struct app_entry *entry_free(struct app_entry *a)
{
	if (!a)
		return NULL;
	rec_entry_done(a);
	free(a->path);
	free(a->app);
	free(a->environment);
	free(a->env_type);
	json_decref(a->errors);
	free(a);
	return NULL;
}

void apps_free(struct cohd_daemon *d)
{
	for (size_t i = 0; i < d->n_apps; i++)
		entry_free(d->apps[i]);
	free(d->apps);
	d->apps = NULL;
	d->n_apps = 0;
}

static struct app_entry *find_path(struct cohd_daemon *d, const char *path)
{
	for (size_t i = 0; i < d->n_apps; i++)
		if (streq(d->apps[i]->path, path))
			return d->apps[i];
	return NULL;
}

static struct app_entry *find_app(struct cohd_daemon *d, const char *app, const char *env)
{
	for (size_t i = 0; i < d->n_apps; i++)
		if (streq_ptr(d->apps[i]->app, app) && streq_ptr(d->apps[i]->environment, env))
			return d->apps[i];
	return NULL;
}

struct app_entry *apps_find(struct cohd_daemon *d, const char *target)
{
	const char *dot = strrchr(target, '.');
	_cleanup_free_ char *app = NULL;

	if (!dot)
		return NULL;
	app = strndup(target, (size_t)(dot - target));
	return app ? find_app(d, app, dot + 1) : NULL;
}

static struct app_entry *add_entry(struct cohd_daemon *d, const char *path)
{
	struct app_entry **v = reallocarray(d->apps, d->n_apps + 1, sizeof *v), *a;

	if (!v)
		return NULL;
	d->apps = v;
	a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->d = d;
	a->path = strdup(path);
	a->errors = json_array();
	if (!a->path || !a->errors)
		return entry_free(a);
	d->apps[d->n_apps++] = a;
	return a;
}

/* Compile the last accepted version the store kept, so that it is what gets reconciled even if
 * the file on disk is broken now. */
static void restore_desired(struct cohd_daemon *d, struct app_entry *a, const char *document)
{
	_cleanup_(cohd_app_freep) struct cohd_app *app = NULL;
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = NULL;
	struct cohd_model_options opts = COHD_MODEL_OPTIONS_INIT;
	struct cohd_diag_list diags = { 0 };
	struct cohd_error e = { 0 };

	opts.region = d->config->region;
	if (cohd_app_parse(a->path, document, strlen(document), &diags, &app) < 0 ||
	    cohd_model_compile(app, &opts, &g, &e) < 0)
		log_warning(CONFIG, "%s.%s: the stored version no longer compiles (%s), "
				    "waiting for a new file",
			    a->app, a->environment,
			    diags.n_errors ? "invalid with this cohd" : cohd_error_str(&e));
	else {
		a->n_resources = cohd_graph_size(g);
		rec_set_desired(a, TAKE_PTR(app), TAKE_PTR(g));
	}
	cohd_diag_list_done(&diags);
	cohd_error_done(&e);
}

int apps_load(struct cohd_daemon *d)
{
	struct cohd_store_app_env *list = NULL;
	size_t n = 0;
	int r;

	r = cohd_store_app_env_list(d->store, &list, &n);
	if (r < 0)
		return log_error_errno(STORE, r, "cannot list app environments: %m");
	for (size_t i = 0; i < n; i++) {
		struct app_entry *a;

		if (streq(list[i].state, "deleted"))
			continue;
		a = add_entry(d, list[i].source_path);
		if (!a) {
			cohd_store_app_env_list_free(list, n);
			return log_error_errno(MAIN, ENOMEM, "out of memory");
		}
		a->app = TAKE_PTR(list[i].app);
		a->environment = TAKE_PTR(list[i].environment);
		a->env_type = TAKE_PTR(list[i].env_type);
		a->store_id = list[i].id;
		a->generation = list[i].generation;
		memcpy(a->sha256, list[i].source_sha256,
		       MIN(strlen(list[i].source_sha256), sizeof a->sha256 - 1));
		a->removed = !streq(list[i].state, "active");
		a->delete_confirmed = list[i].delete_confirmed;
		/* what the last pass found, for cohd-status until the next one ends */
		a->rec_status = list[i].status ? json_loads(list[i].status, 0, NULL) : NULL;
		a->present = !a->removed; /* until a scan says otherwise */
		restore_desired(d, a, list[i].document);
		if (a->removed)
			rec_removed(a); /* its deletion path goes on */
	}
	cohd_store_app_env_list_free(list, n);
	log_info(MAIN, "%zu app environments known from the state database", d->n_apps);
	return 0;
}

static bool is_app_file(const char *name)
{
	/* hidden files and editor/rsync temporaries are not app files */
	if (name[0] == '.' || fnmatch("*~", name, 0) == 0)
		return false;
	return fnmatch("*.yml", name, 0) == 0 || fnmatch("*.yaml", name, 0) == 0;
}

/* Read a file into buf, whose cap (COHD_APP_FILE_MAX + 1) detects "too big". */
static int read_file(const char *path, struct cohd_buf *buf)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	char chunk[16384];
	ssize_t n;
	int r;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		r = cohd_buf_append(buf, chunk, (size_t)n);
		if (r < 0)
			return r == -EMSGSIZE ? -EFBIG : r;
	}
	return 0;
}

static void sha256_hex(const void *data, size_t len, char out[static 65])
{
	unsigned char md[32];
	unsigned mdlen = 0;

	(void)EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Replace a->errors with the error diagnostics (warnings go to the log only). */
static void set_errors(struct app_entry *a, const struct cohd_diag_list *diags)
{
	json_array_clear(a->errors);
	for (size_t i = 0; i < diags->n; i++) {
		const struct cohd_diag *dg = &diags->items[i];
		_cleanup_free_ char *msg = cohd_diag_format(dg);

		if (!msg)
			continue;
		if (dg->severity != COHD_DIAG_ERROR) {
			log_warning(CONFIG, "%s", msg);
			continue;
		}
		json_array_append_new(a->errors,
				      json_pack("{s:s, s:s, s:i, s:i}", "message", msg, "file",
						dg->file, "line", dg->line, "column", dg->column));
	}
}

/* Log a->errors and record the rejection; the previous good version, if any, stays. */
static void reject(struct cohd_daemon *d, struct app_entry *a)
{
	for (size_t i = 0; i < json_array_size(a->errors); i++)
		log_error(CONFIG, "%s",
			  json_string_value(json_object_get(json_array_get(a->errors, i), "message")));
	daemon_event(d, a, NULL, LOG_ERR, "file-rejected", "%s rejected with %zu errors%s", a->path,
		     json_array_size(a->errors),
		     a->app ? "; the previous version stays in force" : "");
}

static void reject_message(struct cohd_daemon *d, struct app_entry *a, const char *fmt, ...)
	_printf_(3, 4);
static void reject_message(struct cohd_daemon *d, struct app_entry *a, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	json_array_clear(a->errors);
	if (msg)
		json_array_append_new(a->errors, json_pack("{s:s, s:s}", "message", msg, "file",
							   a->path));
	reject(d, a);
}

/* Store the accepted file and its desired graph as one new generation. */
static int record_accepted(struct cohd_daemon *d, struct app_entry *a, const struct cohd_app *app,
			   const struct cohd_graph *g, const struct cohd_buf *data)
{
	struct cohd_store_app_env in = {
		.app = app->name,
		.environment = app->environment,
		.env_type = (char *)cohd_app_env_type_to_string(app->env_type),
		.source_path = a->path,
		.source_sha256 = a->sha256,
		.document = data->data,
	};
	_cleanup_free_ struct cohd_store_resource *res = NULL;
	_cleanup_free_ char **texts = NULL;
	size_t n = cohd_graph_size(g);
	int64_t id, gen;
	bool changed;
	int r;

	r = cohd_store_app_env_accept(d->store, &in, &id, &gen, &changed);
	if (r < 0)
		return r;
	res = calloc(n ? n : 1, sizeof *res);
	texts = calloc(2 * (n ? n : 1), sizeof *texts);
	if (!res || !texts)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct cohd_resource *rs = cohd_graph_get(g, i);
		json_auto_t *deps = json_array();

		for (size_t k = 0; deps && k < rs->n_depends_on; k++)
			json_array_append_new(deps, json_string(rs->depends_on[k]));
		texts[2 * i] = json_dumps(rs->properties, JSON_COMPACT | JSON_SORT_KEYS);
		texts[2 * i + 1] = deps ? json_dumps(deps, JSON_COMPACT) : NULL;
		res[i] = (struct cohd_store_resource){
			.logical_id = rs->id,
			.type = rs->type,
			.physical_name = rs->name,
			.properties = texts[2 * i],
			.depends_on = texts[2 * i + 1],
			.deletion = cohd_deletion_to_string(rs->deletion),
			.region = rs->region,
		};
		if (!texts[2 * i] || !texts[2 * i + 1])
			r = -ENOMEM;
	}
	if (r >= 0)
		r = cohd_store_desired_replace(d->store, id, gen, res, n);
	for (size_t i = 0; i < 2 * n; i++)
		free(texts[i]);
	if (r < 0)
		return r;

	/* the name never changes (renames are refused): engines keep pointing at these */
	if (!a->app) {
		a->app = strdup(app->name);
		a->environment = strdup(app->environment);
	}
	free(a->env_type);
	a->env_type = strdup(in.env_type);
	if (!a->app || !a->environment || !a->env_type)
		return -ENOMEM;
	a->store_id = id;
	a->generation = gen;
	a->n_resources = n;
	json_array_clear(a->errors);
	if (changed)
		daemon_event(d, a, NULL, LOG_NOTICE, "file-accepted",
			     "%s accepted as generation %" PRId64 ": %zu resources desired", a->path,
			     gen, n);
	return 0;
}

/* Read, validate, compile and record one app file that may have changed. */
static void intake(struct cohd_daemon *d, struct app_entry *a)
{
	_cleanup_(cohd_app_freep) struct cohd_app *app = NULL;
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = NULL;
	struct cohd_model_options opts = COHD_MODEL_OPTIONS_INIT;
	struct cohd_diag_list diags = { 0 };
	struct cohd_error e = { 0 };
	struct cohd_buf data;
	struct app_entry *other;
	char sha[65];
	int r;

	cohd_buf_init(&data, COHD_APP_FILE_MAX + 1);
	r = read_file(a->path, &data);
	if (r < 0) {
		if (r == -EFBIG)
			reject_message(d, a, "%s: larger than %u bytes", a->path, COHD_APP_FILE_MAX);
		else
			reject_message(d, a, "%s: cannot read: %s", a->path, strerror(-r));
		cohd_buf_done(&data);
		return;
	}
	sha256_hex(cohd_buf_str(&data), data.len, sha);
	if (streq(sha, a->sha256) && (a->graph || json_array_size(a->errors))) {
		cohd_buf_done(&data); /* unchanged since we last looked */
		return;
	}
	memcpy(a->sha256, sha, sizeof sha);

	r = cohd_app_parse(a->path, cohd_buf_str(&data), data.len, &diags, &app);
	set_errors(a, &diags);
	cohd_diag_list_done(&diags);
	if (r < 0) {
		if (json_array_size(a->errors) == 0)
			reject_message(d, a, "%s: cannot parse: %s", a->path, strerror(-r));
		else
			reject(d, a);
		goto out;
	}
	other = find_app(d, app->name, app->environment);
	if (other && other != a) {
		reject_message(d, a, "%s: app environment %s.%s is already defined by %s", a->path,
			       app->name, app->environment, other->path);
		goto out;
	}
	if (a->app && (!streq(a->app, app->name) || !streq(a->environment, app->environment))) {
		reject_message(d, a,
			       "%s: renames app environment %s.%s to %s.%s; remove the file and add "
			       "a new one to move an app",
			       a->path, a->app, a->environment, app->name, app->environment);
		goto out;
	}
	opts.region = d->config->region;
	r = cohd_model_compile(app, &opts, &g, &e);
	if (r < 0) {
		reject_message(d, a, "%s: %s", a->path, cohd_error_str(&e));
		goto out;
	}
	r = record_accepted(d, a, app, g, &data);
	if (r < 0) {
		log_error_errno(STORE, r, "%s: cannot record the accepted file: %m", a->path);
		goto out;
	}
	rec_set_desired(a, TAKE_PTR(app), TAKE_PTR(g));
	rec_kick(a);
out:
	cohd_error_done(&e);
	cohd_buf_done(&data);
}

void apps_scan(struct cohd_daemon *d)
{
	_cleanup_(closedirp) DIR *dir = opendir(d->config->watch_dir);
	struct dirent *de;

	if (!dir) {
		log_error_errno(MAIN, errno, "cannot read watch directory %s: %m",
				d->config->watch_dir);
		return;
	}
	for (size_t i = 0; i < d->n_apps; i++)
		d->apps[i]->present = false;

	while ((de = readdir(dir))) {
		_cleanup_free_ char *path = NULL;
		struct app_entry *a;
		struct stat st;

		if (!is_app_file(de->d_name))
			continue;
		if (asprintf(&path, "%s/%s", d->config->watch_dir, de->d_name) < 0)
			return;
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		a = find_path(d, path);
		if (!a)
			a = add_entry(d, path);
		if (!a) {
			log_error(MAIN, "out of memory");
			return;
		}
		a->present = true;
		if (a->removed)
			a->sha256[0] = '\0'; /* back after removal: accepted again, even unchanged */
		a->removed = a->deleted = false;
		intake(d, a);
	}

	/* files that went away: their apps start the deletion path, once */
	for (size_t i = 0; i < d->n_apps; i++) {
		struct app_entry *a = d->apps[i];

		if (a->present || !a->app || a->removed)
			continue;
		if (cohd_store_app_env_set_status(d->store, a->store_id, "deleting", "deleting",
						  "unknown", NULL) < 0)
			log_warning(STORE, "cannot mark %s.%s deleting, ignoring", a->app,
				    a->environment);
		daemon_event(d, a, NULL, LOG_WARNING, "file-removed",
			     "%s removed: %s.%s enters the deletion path", a->path, a->app,
			     a->environment);
		a->removed = true;
		rec_removed(a);
		rec_kick(a);
	}
}

/* For a file never accepted: APP.ENV from its name, as the parser would default it. */
static void name_from_file(const char *path, char **ret_app, char **ret_env)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *dot = strchr(base, '.'), *ext = strrchr(base, '.');

	*ret_app = strndup(base, (size_t)(dot - base));
	*ret_env = dot && ext > dot ? strndup(dot + 1, (size_t)(ext - dot - 1)) :
				      strdup("production");
}

/* Resources of the last pass whose only drift a rule accepted (ctl-v1 resources.accepted): they
 * count as synced too, and cohd-status says "N accepted drift". */
static json_int_t accepted_only(const json_t *rec_status)
{
	const json_t *r;
	json_int_t n = 0;
	size_t i;

	json_array_foreach (json_object_get(rec_status, "resources"), i, r) {
		const json_t *diff = json_object_get(r, "diff");

		if (json_integer_value(json_object_get(diff, "accepted")) > 0 &&
		    json_integer_value(json_object_get(diff, "drift")) == 0)
			n++;
	}
	return n;
}

static json_t *app_status(struct cohd_daemon *d, const struct app_entry *a, bool detail)
{
	json_t *counts;
	_cleanup_free_ char *app = NULL, *env = NULL;
	struct cohd_store_app_env st = { 0 };
	const char *sync = "error", *health = "unknown", *state = "active";
	json_t *o;

	if (a->app && cohd_store_app_env_get(d->store, a->app, a->environment, &st) == 0) {
		sync = st.sync;
		health = st.health;
		state = st.state;
	}
	if (!a->app)
		name_from_file(a->path, &app, &env);
	/* a rejected file leaves the last good version in force, but the app needs attention */
	if (json_array_size(a->errors))
		health = "degraded";
	counts = json_deep_copy(json_object_get(a->rec_status, "counts"));
	if (!counts)
		counts = json_object();
	json_object_set_new(counts, "total", json_integer((json_int_t)a->n_resources));
	json_object_set_new(counts, "accepted", json_integer(accepted_only(a->rec_status)));
	o = json_pack("{s:s, s:s, s:s?, s:s, s:I, s:s, s:s, s:o, s:O}", "app",
		      a->app ? a->app : strempty(app), "environment",
		      a->environment ? a->environment : strempty(env), "type", a->env_type, "file",
		      a->path, "generation", (json_int_t)a->generation, "sync",
		      json_array_size(a->errors) && !a->app ? "error" : sync, "health", health,
		      "resources", counts, "errors", a->errors);
	if (o && (json_object_set_new(o, "state", json_string(state)) < 0 ||
		  json_object_set_new(o, "passes", json_integer(a->passes)) < 0 ||
		  json_object_set_new(o, "reconciling", json_boolean(a->running)) < 0))
		o = (json_decref(o), NULL);
	/* one app asked for: every resource's status from the last pass */
	if (o && detail && a->rec_status)
		json_object_set(o, "resource_status", json_object_get(a->rec_status, "resources"));
	cohd_store_app_env_done(&st);
	return o;
}

json_t *apps_status(struct cohd_daemon *d, const char *target)
{
	json_t *apps = json_array();

	for (size_t i = 0; apps && i < d->n_apps; i++) {
		const struct app_entry *a = d->apps[i];

		if (!a->present && !a->app)
			continue;
		if (target && a != apps_find(d, target))
			continue;
		json_array_append_new(apps, app_status(d, a, target != NULL));
	}
	return json_pack("{s:s, s:o}", "watch_dir", d->config->watch_dir, "apps", apps);
}
