/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cohd's command line (DESIGN.md §7): the daemon options, and the offline subcommands that
 * share the binary (validate, plan, aws). Parsing only; main.c acts on the result.
 */
#pragma once

#include <stdbool.h>

#include "lib/util/time.h"

/* Exit codes shared by cohd and cohd-status (sysexits.h's EX_USAGE for bad arguments). */
#define EXIT_USAGE 64

struct cohd_args {
	const char *config;    /* --config FILE; NULL = the default path, if it exists */
	const char *watch_dir; /* NULL = from the config, else the default */
	const char *state_dir;
	const char *socket;
	usec_t interval;       /* 0 = from the config */
	bool once;
	bool dry_run;
	int log_level;         /* -1 = from the config */

	/* a subcommand, or NULL for the daemon; argv[0] of sub_argv is its name */
	const char *command;
	int sub_argc;
	char **sub_argv;
};

/* Parse argv. Returns 1 to go on, 0 when --help or --version was handled (exit 0), or
 * -EINVAL after printing a one-line error and a hint to stderr (exit EXIT_USAGE). */
int cohd_args_parse(int argc, char **argv, struct cohd_args *ret);
