/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon config, /etc/cohd/cohd.yaml (DESIGN.md §3), read through the same bounded YAML
 * loader and diagnostics as app files. Every key is optional; see examples/cohd.yaml.
 *
 *   region: eu-west-1             # default: AWS_REGION / AWS_DEFAULT_REGION / shared config
 *   account_id: "123456789012"    # checked against STS GetCallerIdentity at start
 *   watch_dir: /etc/cohd/apps.d
 *   state_dir: /var/lib/cohd
 *   socket: /run/cohd/cohd.sock
 *   sweep: {interval: 5m, jitter: 30s}
 *   dry_run: false
 *   api_budget_share: 0.5         # fraction of each AWS API's throttle bucket cohd may use
 *   accept_drift: [...]           # drift.h
 *   deletion_grace: {preview: 1h, static: 24h, production: 7d}
 *   log_level: notice
 *
 * Command-line options override these (daemon/cohd/args.c). Depends on lib/util and
 * lib/config. No I/O except cohd_daemon_config_load_file().
 */
#pragma once

#include <stdbool.h>

#include "lib/config/diag.h"
#include "lib/config/drift.h"
#include "lib/util/macro.h"
#include "lib/util/time.h"

#define COHD_DAEMON_CONFIG_MAX (256u * 1024u) /* bytes */

struct cohd_daemon_config {
	char *source_file;		      /* NULL when only defaults */
	char *region;			      /* NULL = from the AWS environment */
	char *account_id;		      /* 12 digits or NULL (not checked) */
	char *watch_dir;		      /* default COHD_SYSCONFDIR "/apps.d" */
	char *state_dir;		      /* default COHD_STATEDIR */
	char *socket_path;		      /* default COHD_RUNDIR "/cohd.sock" */
	usec_t sweep_interval;		      /* default 5 min; 10 s .. 1 day */
	usec_t sweep_jitter;		      /* default 30 s; < sweep_interval */
	bool dry_run;			      /* observe and plan only */
	double api_budget_share;	      /* (0, 1], default 0.5 */
	struct cohd_drift_rule *accept_drift; /* global rules, applied to every app */
	size_t n_accept_drift;
	/* how long a removed app/resource waits in `deleting` before cohd deletes it, per
	 * environment type (stateful resources of static/production also need a confirm) */
	usec_t deletion_grace_preview;	  /* default 1 h */
	usec_t deletion_grace_static;	  /* default 24 h */
	usec_t deletion_grace_production; /* default 7 days */
	int log_level;			  /* LOG_ERR..LOG_DEBUG, default LOG_NOTICE */
};

/* Fill with defaults (allocates the default paths). Returns 0 or -ENOMEM. */
int cohd_daemon_config_init(struct cohd_daemon_config *c);
void cohd_daemon_config_done(struct cohd_daemon_config *c);

/* Parse over the defaults already in *c (call cohd_daemon_config_init() first). Errors and
 * warnings go to diags. Returns 0, -EINVAL (diags hold the errors; *c keeps what parsed), or
 * -ENOMEM. */
int cohd_daemon_config_parse(const char *file, const char *data, size_t len,
			     struct cohd_diag_list *diags, struct cohd_daemon_config *c);

/* Read and parse path. A missing file returns -ENOENT without a diagnostic when missing_ok
 * (the defaults stand), else with one. */
int cohd_daemon_config_load_file(const char *path, bool missing_ok, struct cohd_diag_list *diags,
				 struct cohd_daemon_config *c);
