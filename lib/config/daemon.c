/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Daemon config (see daemon.h): defaults, then the YAML file over them. Same loader, same
 * diagnostics, same accept_drift syntax as app files. No loop context.
 */
#include <ctype.h>
#include <stdlib.h>

#include "lib/config/daemon.h"
#include "lib/config/file.h"
#include "lib/config/schema.h"
#include "lib/config/yaml.h"
#include "lib/util/log.h"

int cohd_daemon_config_init(struct cohd_daemon_config *c)
{
	*c = (struct cohd_daemon_config){
		.watch_dir = strdup(COHD_SYSCONFDIR "/apps.d"),
		.state_dir = strdup(COHD_STATEDIR),
		.socket_path = strdup(COHD_RUNDIR "/cohd.sock"),
		.sweep_interval = 5 * USEC_PER_MINUTE,
		.sweep_jitter = 30 * USEC_PER_SEC,
		.api_budget_share = 0.5,
		.deletion_grace_preview = USEC_PER_HOUR,
		.deletion_grace_static = 24 * USEC_PER_HOUR,
		.deletion_grace_production = 7 * USEC_PER_DAY,
		.log_level = LOG_NOTICE,
	};
	if (!c->watch_dir || !c->state_dir || !c->socket_path) {
		cohd_daemon_config_done(c);
		return -ENOMEM;
	}
	return 0;
}

void cohd_daemon_config_done(struct cohd_daemon_config *c)
{
	if (!c)
		return;
	free(c->source_file);
	free(c->region);
	free(c->account_id);
	free(c->watch_dir);
	free(c->state_dir);
	free(c->socket_path);
	cohd_drift_rules_free(c->accept_drift, c->n_accept_drift);
	*c = (struct cohd_daemon_config){};
}

static void abs_path(struct cohd_config_ctx *x, const struct cohd_yaml_node *v, const char *what,
		     char **dst)
{
	_cleanup_free_ char *p = NULL;

	if (cohd_config_string(x, v, what, &p) <= 0)
		return;
	if (p[0] != '/' || strlen(p) > 1024) {
		cohd_config_error(x, v, "%s must be an absolute path, not '%s'", what, p);
		return;
	}
	free(*dst);
	*dst = TAKE_PTR(p);
}

static void duration(struct cohd_config_ctx *x, const struct cohd_yaml_node *v, const char *what,
		     unsigned long min_s, unsigned long max_s, usec_t *dst)
{
	unsigned long s;

	if (cohd_config_duration(x, v, what, min_s, max_s, &s) > 0)
		*dst = (usec_t)s * USEC_PER_SEC;
}

int cohd_daemon_config_parse(const char *file, const char *data, size_t len,
			     struct cohd_diag_list *diags, struct cohd_daemon_config *c)
{
	_cleanup_(cohd_yaml_doc_freep) struct cohd_yaml_doc *doc = NULL;
	struct cohd_yaml_limits lim = cohd_yaml_default_limits;
	struct cohd_config_ctx x = {.file = file, .diags = diags};
	const struct cohd_yaml_node *root;
	size_t errors0 = diags->n_errors;
	int r;

	lim.max_bytes = COHD_DAEMON_CONFIG_MAX;
	r = cohd_yaml_parse(file, data, len, &lim, diags, &doc);
	if (r < 0)
		return r;
	free(c->source_file);
	c->source_file = strdup(file);
	if (!c->source_file)
		return -ENOMEM;
	root = doc->root;
	if (!root || cohd_yaml_is_null(root))
		return diags->n_errors > errors0 ? -EINVAL : 0; /* empty: all defaults */
	if (!cohd_config_expect_map(&x, root, "the daemon config", false))
		return -EINVAL;

	for (size_t i = 0; i < root->n_pairs; i++) {
		const struct cohd_yaml_node *k = root->pairs[i].key, *v = root->pairs[i].value;
		const char *key = k->value;

		if (streq(key, "region")) {
			(void)cohd_config_string(&x, v, "region", &c->region);
		} else if (streq(key, "account_id")) {
			_cleanup_free_ char *id = NULL;
			bool ok;

			if (cohd_config_string(&x, v, "account_id", &id) <= 0)
				continue;
			ok = strlen(id) == 12;
			for (const char *p = id; ok && *p; p++)
				ok = isdigit((unsigned char)*p);
			if (!ok) {
				cohd_config_error(&x, v,
						  "account_id must be 12 digits (quote it so "
						  "leading zeros stay), not '%s'",
						  id);
				continue;
			}
			free(c->account_id);
			c->account_id = TAKE_PTR(id);
		} else if (streq(key, "watch_dir")) {
			abs_path(&x, v, "watch_dir", &c->watch_dir);
		} else if (streq(key, "state_dir")) {
			abs_path(&x, v, "state_dir", &c->state_dir);
		} else if (streq(key, "socket")) {
			abs_path(&x, v, "socket", &c->socket_path);
		} else if (streq(key, "sweep")) {
			if (!cohd_config_expect_map(&x, v, "sweep", true))
				continue;
			for (size_t j = 0; j < v->n_pairs; j++) {
				const struct cohd_yaml_node *k2 = v->pairs[j].key;

				if (streq(k2->value, "interval"))
					duration(&x, v->pairs[j].value, "sweep.interval", 10, 86400,
						 &c->sweep_interval);
				else if (streq(k2->value, "jitter"))
					duration(&x, v->pairs[j].value, "sweep.jitter", 0, 3600,
						 &c->sweep_jitter);
				else
					cohd_config_unknown_key(&x, k2, "sweep");
			}
			if (c->sweep_jitter >= c->sweep_interval)
				cohd_config_error(&x, v,
						  "sweep.jitter must be less than "
						  "sweep.interval");
		} else if (streq(key, "dry_run")) {
			(void)cohd_config_bool(&x, v, "dry_run", &c->dry_run);
		} else if (streq(key, "api_budget_share")) {
			char *e;
			double d;

			if (v->kind != COHD_YAML_SCALAR || cohd_yaml_is_null(v)) {
				cohd_config_error(&x, v,
						  "api_budget_share must be a number between "
						  "0 and 1");
				continue;
			}
			errno = 0;
			d = strtod(v->value, &e);
			if (errno || *e || !(d > 0 && d <= 1))
				cohd_config_error(&x, v,
						  "api_budget_share must be a number above 0 "
						  "and at most 1, not '%s'",
						  v->value);
			else
				c->api_budget_share = d;
		} else if (streq(key, "accept_drift")) {
			(void)cohd_config_drift_rules(&x, v, &c->accept_drift, &c->n_accept_drift);
		} else if (streq(key, "deletion_grace")) {
			if (!cohd_config_expect_map(&x, v, "deletion_grace", true))
				continue;
			for (size_t j = 0; j < v->n_pairs; j++) {
				const struct cohd_yaml_node *k2 = v->pairs[j].key;
				const struct cohd_yaml_node *v2 = v->pairs[j].value;

				if (streq(k2->value, "preview"))
					duration(&x, v2, "deletion_grace.preview", 0, 90 * 86400,
						 &c->deletion_grace_preview);
				else if (streq(k2->value, "static"))
					duration(&x, v2, "deletion_grace.static", 0, 90 * 86400,
						 &c->deletion_grace_static);
				else if (streq(k2->value, "production"))
					duration(&x, v2, "deletion_grace.production", 0, 90 * 86400,
						 &c->deletion_grace_production);
				else
					cohd_config_unknown_key(&x, k2, "deletion_grace");
			}
		} else if (streq(key, "log_level")) {
			_cleanup_free_ char *l = NULL;
			int lv;

			if (cohd_config_string(&x, v, "log_level", &l) <= 0)
				continue;
			lv = cohd_log_level_from_string(l);
			if (lv < 0)
				cohd_config_error(&x, v,
						  "log_level must be err, warning, notice, "
						  "info or debug, not '%s'",
						  l);
			else
				c->log_level = lv;
		} else {
			cohd_config_unknown_key(&x, k, "the daemon config");
		}
	}
	if (x.oom)
		return -ENOMEM;
	return diags->n_errors > errors0 ? -EINVAL : 0;
}

int cohd_daemon_config_load_file(const char *path, bool missing_ok, struct cohd_diag_list *diags,
				 struct cohd_daemon_config *c)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r;

	r = cohd_config_read_file(path, COHD_DAEMON_CONFIG_MAX,
				  missing_ok ? COHD_CONFIG_READ_MISSING_OK : 0, diags, &data, &len);
	if (r < 0)
		return r;
	return cohd_daemon_config_parse(path, data, len, diags, c);
}
