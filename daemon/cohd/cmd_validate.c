/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `cohd validate FILE...`: parse each app file (lib/config) and print every diagnostic as
 * file:line:column: message on stderr. Exit 0 when all are valid (warnings allowed), 1 when
 * any is invalid, EXIT_USAGE for bad arguments. Offline: no AWS, no state, no loop.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/cohd/args.h"
#include "daemon/cohd/commands.h"
#include "lib/config/app.h"
#include "lib/util/macro.h"

int cmd_validate(int argc, char **argv);

static void help(void)
{
	printf("Usage: cohd validate [--quiet] FILE...\n"
	       "\n"
	       "Check app files (coherence.yml in the v1 or v2/cnc form, with an optional x-cohd\n"
	       "block). Every error and warning is printed on stderr as file:line:column: "
	       "message.\n"
	       "\n"
	       "Options:\n"
	       "  -q, --quiet   print errors only, not warnings\n"
	       "  -h, --help    show this help\n"
	       "\n"
	       "Exit status: 0 all files valid, 1 any file invalid, 64 usage error.\n");
}

int cmd_validate(int argc, char **argv)
{
	static const struct option options[] = {
		{"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'}, {}};
	bool quiet = false;
	int c, ret = EXIT_SUCCESS;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+qh", options, NULL)) >= 0)
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'h':
			help();
			return EXIT_SUCCESS;
		default:
			fputs("Try 'cohd validate --help' for more information.\n", stderr);
			return EXIT_USAGE;
		}
	if (optind >= argc) {
		fputs("cohd validate: no FILE given\n"
		      "Try 'cohd validate --help' for more information.\n",
		      stderr);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		struct cohd_diag_list diags = {};
		struct cohd_app *app = NULL;
		int r;

		r = cohd_app_load_file(argv[i], &diags, &app);
		if (r == -ENOMEM) {
			fprintf(stderr, "cohd validate: %s: out of memory\n", argv[i]);
			cohd_diag_list_done(&diags);
			return EXIT_FAILURE;
		}
		cohd_diag_list_sort(&diags);
		cohd_diag_list_print(&diags, stderr, quiet);
		if (r < 0)
			ret = EXIT_FAILURE;
		app = cohd_app_free(app);
		cohd_diag_list_done(&diags);
	}
	return ret;
}
