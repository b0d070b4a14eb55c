/* SPDX-License-Identifier: Apache-2.0 */
/* The compiled graph of a test app file (compile_app.h). */
#include <check.h>

#include "compile_app.h"
#include "lib/config/app.h"
#include "lib/model/compile.h"
#include "lib/util/error.h"
#include "test.h"

struct cohd_graph *test_compile_app(const char *rel, int env_type)
{
	struct cohd_diag_list diags = {};
	struct cohd_model_options opts = COHD_MODEL_OPTIONS_INIT;
	_cleanup_(cohd_app_freep) struct cohd_app *app = NULL;
	struct cohd_graph *g = NULL;
	struct cohd_error err = {};
	int r;

	r = cohd_app_load_file(test_data_path(rel), &diags, &app);
	cohd_diag_list_done(&diags);
	ck_assert_msg(r == 0, "%s does not parse", rel);
	opts.region = "eu-west-1";
	opts.env_type = env_type;
	r = cohd_model_compile(app, &opts, &g, &err);
	ck_assert_msg(r == 0, "%s: %s", rel, cohd_error_str(&err));
	cohd_error_done(&err);
	return g;
}
