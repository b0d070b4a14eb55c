/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for lib/config: the bounded YAML loader, the app file parser (both forms,
 * x-cohd, every normalisation) and the daemon config parser, on the same input. Any crash,
 * leak, sanitizer report or unbounded time is a bug: hostile files must fail with diagnostics.
 * Seed corpus: tests/data/real-apps, tests/data/config, examples.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/config/app.h"
#include "lib/config/daemon.h"
#include "lib/config/normalise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cohd_diag_list diags = {};
	struct cohd_daemon_config dc;
	struct cohd_app *app = NULL;

	if (cohd_app_parse("fuzz.pr-1.yml", (const char *)data, size, &diags, &app) == 0) {
		/* the result must be internally consistent */
		for (size_t i = 0; i < app->n_services; i++) {
			const struct cohd_app_service *s = &app->services[i];

			if (!cohd_fargate_valid(s->cpu, s->memory) || !s->url_path ||
			    s->url_path[0] != '/')
				__builtin_trap();
			for (size_t j = 0; j < s->n_workers; j++)
				if (!cohd_fargate_valid(s->workers[j].cpu, s->workers[j].memory))
					__builtin_trap();
			for (size_t j = 0; j < s->n_tasks; j++)
				if (!s->tasks[j].schedule_expression)
					__builtin_trap();
		}
		if (cohd_diag_list_has_errors(&diags))
			__builtin_trap();
		app = cohd_app_free(app);
	}
	for (size_t i = 0; i < diags.n; i++) {
		char *s = cohd_diag_format(&diags.items[i]);

		free(s);
	}
	cohd_diag_list_done(&diags);

	if (cohd_daemon_config_init(&dc) == 0) {
		(void)cohd_daemon_config_parse("fuzz.yaml", (const char *)data, size, &diags, &dc);
		cohd_daemon_config_done(&dc);
	}
	cohd_diag_list_done(&diags);
	return 0;
}
