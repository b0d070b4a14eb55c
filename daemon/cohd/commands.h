/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The offline subcommands of cohd. Each takes (argc, argv) with argv[0] its own name, prints
 * its results on stdout and its errors on stderr, and returns the process exit code
 * (0, 1, or EXIT_USAGE for bad arguments).
 */
#pragma once

struct cohd_command {
	const char *name;
	const char *synopsis;
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* Terminated by an entry with name NULL. */
extern const struct cohd_command cohd_commands[];

const struct cohd_command *cohd_command_find(const char *name);
