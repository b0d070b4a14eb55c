/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cohd: the entry point. Parses the command line, then runs either an offline subcommand
 * (validate, plan, aws) or the daemon.
 */
#include <stdio.h>
#include <stdlib.h>

#include "daemon/cohd/args.h"
#include "daemon/cohd/commands.h"
#include "lib/util/log.h"

int main(int argc, char **argv)
{
	struct cohd_args args;
	int r;

	r = cohd_args_parse(argc, argv, &args);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
	if (args.log_level >= 0)
		cohd_log_set_max_level(args.log_level);

	if (args.command)
		return cohd_command_find(args.command)->run(args.sub_argc, args.sub_argv);

	/* The daemon proper (loop, watcher, reconcile engine, control socket) is the reconcile
	 * issue's work; until it lands, say so plainly rather than pretend to run. */
	log_error(MAIN, "the reconcile daemon is not part of this build yet; "
			"use 'cohd validate', 'cohd plan' or 'cohd aws'");
	return EXIT_FAILURE;
}
