/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cohd: the entry point. Parses the command line, then runs either an offline subcommand
 * (validate, plan, aws) or the daemon: load the config (fatal on error), apply the command-line
 * overrides, and hand over to daemon_run().
 */
#include <stdio.h>
#include <stdlib.h>

#include "daemon/cohd/args.h"
#include "daemon/cohd/commands.h"
#include "daemon/cohd/daemon.h"
#include "lib/aws/credentials/credentials.h"
#include "lib/config/daemon.h"
#include "lib/util/log.h"

static int replace(char **field, const char *value)
{
	char *v;

	if (!value)
		return 0;
	v = strdup(value);
	if (!v)
		return -ENOMEM;
	free(*field);
	*field = v;
	return 0;
}

/* The config file (the default path may be absent), then the command line over it. */
static int load_config(const struct cohd_args *args, struct cohd_daemon_config *c)
{
	const char *path = args->config ? args->config : COHD_SYSCONFDIR "/cohd.yaml";
	struct cohd_diag_list diags = { 0 };
	int r;

	r = cohd_daemon_config_init(c);
	if (r < 0)
		return log_error_errno(CONFIG, r, "out of memory");
	r = cohd_daemon_config_load_file(path, !args->config, &diags, c);
	cohd_diag_list_print(&diags, stderr, false);
	cohd_diag_list_done(&diags);
	if (r < 0 && r != -ENOENT)
		return log_error_errno(CONFIG, r, "%s is not valid, not starting", path);
	if (r == -ENOENT && args->config)
		return r;
	if (replace(&c->watch_dir, args->watch_dir) < 0 ||
	    replace(&c->state_dir, args->state_dir) < 0 ||
	    replace(&c->socket_path, args->socket) < 0)
		return log_error_errno(CONFIG, ENOMEM, "out of memory");
	if (args->interval)
		c->sweep_interval = args->interval;
	if (c->sweep_jitter >= c->sweep_interval)
		c->sweep_jitter = c->sweep_interval / 10;
	if (args->dry_run)
		c->dry_run = true;
	if (args->log_level >= 0)
		c->log_level = args->log_level;
	if (!c->region) {
		/* as the SDKs do: AWS_REGION, AWS_DEFAULT_REGION, the profile; apps may name their
		 * own, so having none is not fatal */
		struct cohd_error e = { 0 };

		r = cohd_aws_config_region(&cohd_aws_env_process, &c->region, &e);
		if (r < 0 && r != -ENOENT)
			log_warning(CONFIG, "cannot read the AWS region: %s, ignoring",
				    cohd_error_str(&e));
		cohd_error_done(&e);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cohd_daemon_config config;
	struct cohd_args args;
	int r;

	r = cohd_args_parse(argc, argv, &args);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
	if (args.log_level >= 0)
		cohd_log_set_max_level(args.log_level);

	if (args.command)
		return cohd_command_find(args.command)->run(args.sub_argc, args.sub_argv);

	r = load_config(&args, &config);
	if (r < 0) {
		cohd_daemon_config_done(&config);
		return EXIT_FAILURE;
	}
	cohd_log_set_max_level(config.log_level);
	r = daemon_run(&config, args.once);
	cohd_daemon_config_done(&config);
	return r;
}
