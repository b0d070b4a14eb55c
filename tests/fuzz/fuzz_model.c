/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for lib/model: YAML -> app parser -> compiler -> plan, on the same input,
 * as a preview and as a production environment. Every app the parser accepts must either
 * compile into a graph that passes cohd_model_check() (dependencies exist, no cycle, tags,
 * names within AWS limits, no secrets on "*") and prints as a plan, or be refused with -EINVAL
 * and a message. Anything else (crash, leak, sanitizer report, internal -ENOENT/-ELOOP) is a
 * bug. Seed corpus: tests/data/real-apps, tests/data/plans, examples.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/config/app.h"
#include "lib/model/check.h"
#include "lib/model/compile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cohd_diag_list diags = {};
	struct cohd_app *app = NULL;

	if (cohd_app_parse("fuzz.pr-1.yml", (const char *)data, size, &diags, &app) == 0) {
		static const int types[] = { -1, COHD_APP_ENV_PRODUCTION, COHD_APP_ENV_PREVIEW };

		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
			struct cohd_model_options opts = COHD_MODEL_OPTIONS_INIT;
			struct cohd_error err = {};
			struct cohd_graph *g = NULL;
			json_t *plan = NULL;
			char *s;
			int r;

			opts.region = "eu-west-1";
			opts.env_type = types[t];
			r = cohd_model_compile(app, &opts, &g, &err);
			if (r == -EINVAL && err.message) {
				cohd_error_done(&err);
				continue;
			}
			if (r < 0)
				__builtin_trap();
			if (cohd_model_check(g, &err) < 0)
				__builtin_trap();
			if (cohd_model_plan_json(g, &plan, &err) < 0)
				__builtin_trap();
			s = json_dumps(plan, JSON_SORT_KEYS | JSON_COMPACT);
			if (!s)
				__builtin_trap();
			free(s);
			json_decref(plan);
			cohd_graph_free(g);
			cohd_error_done(&err);
		}
		app = cohd_app_free(app);
	}
	cohd_diag_list_done(&diags);
	return 0;
}
