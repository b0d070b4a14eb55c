/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `cohd plan FILE [--json | --dot]`: parse one app file (lib/config), compile it (lib/model)
 * and print the desired resources: text (one block per resource), JSON per
 * schema/plan.schema.json, or a Graphviz digraph. Offline: no AWS, no state, no loop. The same
 * file and options always print the same bytes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/cohd/args.h"
#include "daemon/cohd/commands.h"
#include "lib/config/app.h"
#include "lib/model/check.h"
#include "lib/model/compile.h"
#include "lib/util/macro.h"

int cmd_plan(int argc, char **argv);

static void help(void)
{
	printf("Usage: cohd plan [OPTIONS] FILE\n"
	       "\n"
	       "Print the AWS resources one app file needs: type, logical id, physical name,\n"
	       "dependencies and desired properties (in AWS's field names). Offline.\n"
	       "\n"
	       "Options:\n"
	       "      --json               the plan as JSON (schema/plan.schema.json)\n"
	       "      --dot                the dependency graph for Graphviz\n"
	       "  -e, --environment NAME   override the environment name\n"
	       "  -t, --type TYPE          override the environment type: production|static|preview\n"
	       "  -r, --region REGION      region when the file names none (default: $AWS_REGION,\n"
	       "                           else us-east-1)\n"
	       "      --name-seed TEXT     installation seed of the name hashes (default: empty)\n"
	       "  -h, --help               show this help\n"
	       "\n"
	       "Exit status: 0 planned, 1 invalid file or plan, 64 usage error.\n");
}

enum { ARG_JSON = 0x100, ARG_DOT, ARG_SEED };

int cmd_plan(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, ARG_JSON },
		{ "dot", no_argument, NULL, ARG_DOT },
		{ "environment", required_argument, NULL, 'e' },
		{ "type", required_argument, NULL, 't' },
		{ "region", required_argument, NULL, 'r' },
		{ "name-seed", required_argument, NULL, ARG_SEED },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct cohd_model_options opts = COHD_MODEL_OPTIONS_INIT;
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = NULL;
	_cleanup_(cohd_app_freep) struct cohd_app *app = NULL;
	struct cohd_diag_list diags = {};
	struct cohd_error err = {};
	bool json = false, dot = false;
	int c, r, ret = EXIT_FAILURE;

	opts.region = getenv("AWS_REGION");
	if (isempty(opts.region))
		opts.region = "us-east-1";
	optind = 0;
	while ((c = getopt_long(argc, argv, "+e:t:r:h", options, NULL)) >= 0)
		switch (c) {
		case ARG_JSON:
			json = true;
			break;
		case ARG_DOT:
			dot = true;
			break;
		case 'e':
			opts.environment = optarg;
			break;
		case 't':
			opts.env_type = cohd_app_env_type_from_string(optarg);
			if (opts.env_type < 0) {
				fprintf(stderr, "cohd plan: --type must be production, static or "
						"preview, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'r':
			opts.region = optarg;
			break;
		case ARG_SEED:
			opts.name_seed = optarg;
			break;
		case 'h':
			help();
			return EXIT_SUCCESS;
		default:
			fputs("Try 'cohd plan --help' for more information.\n", stderr);
			return EXIT_USAGE;
		}
	if (json && dot) {
		fputs("cohd plan: --json and --dot exclude each other\n", stderr);
		return EXIT_USAGE;
	}
	if (optind + 1 != argc) {
		fputs("cohd plan: exactly one FILE is needed\n"
		      "Try 'cohd plan --help' for more information.\n", stderr);
		return EXIT_USAGE;
	}

	r = cohd_app_load_file(argv[optind], &diags, &app);
	cohd_diag_list_sort(&diags);
	cohd_diag_list_print(&diags, stderr, false);
	cohd_diag_list_done(&diags);
	if (r < 0)
		return EXIT_FAILURE;

	r = cohd_model_compile(app, &opts, &g, &err);
	if (r < 0) {
		fprintf(stderr, "cohd plan: %s: %s\n", argv[optind], cohd_error_str(&err));
		goto out;
	}
	r = cohd_model_check(g, &err);
	if (r < 0) {
		fprintf(stderr, "cohd plan: %s: internal error: %s\n", argv[optind],
			cohd_error_str(&err));
		goto out;
	}

	if (json) {
		json_t *plan = NULL;

		r = cohd_model_plan_json(g, &plan, &err);
		if (r >= 0) {
			r = json_dumpf(plan, stdout, JSON_SORT_KEYS | JSON_INDENT(2)) < 0 ? -EIO : 0;
			json_decref(plan);
			if (r >= 0)
				fputc('\n', stdout);
		}
	} else if (dot)
		r = cohd_model_plan_dot(g, stdout);
	else
		r = cohd_model_plan_text(g, stdout);
	if (r < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "cohd plan: cannot print the plan: %s\n",
			err.message ? err.message : strerror(r < 0 ? -r : EIO));
		goto out;
	}
	ret = EXIT_SUCCESS;
out:
	cohd_error_done(&err);
	return ret;
}
