/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Benchmark of the compiler: parse an app file once, then compile it and render the JSON plan
 * (what `cohd plan --json` does after parsing) N times; report CPU time per plan (getrusage,
 * user+system) and wall time, plus the parse time. Peak memory: run under /usr/bin/time -v or
 * valgrind massif (see ./run). Usage: bench_plan FILE [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "lib/config/app.h"
#include "lib/model/compile.h"

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int plan_once(const struct cohd_app *app, size_t *ret_len, size_t *ret_n)
{
	struct cohd_model_options opts = COHD_MODEL_OPTIONS_INIT;
	struct cohd_graph *g = NULL;
	struct cohd_error err = {};
	json_t *plan = NULL;
	char *s;
	int r;

	opts.region = "us-east-1";
	r = cohd_model_compile(app, &opts, &g, &err);
	if (r < 0) {
		fprintf(stderr, "compile: %s\n", cohd_error_str(&err));
		cohd_error_done(&err);
		return r;
	}
	r = cohd_model_plan_json(g, &plan, &err);
	if (r < 0) {
		cohd_graph_free(g);
		return r;
	}
	s = json_dumps(plan, JSON_SORT_KEYS | JSON_INDENT(2));
	*ret_len = s ? strlen(s) : 0;
	*ret_n = cohd_graph_size(g);
	free(s);
	json_decref(plan);
	cohd_graph_free(g);
	return 0;
}

int main(int argc, char **argv)
{
	struct cohd_diag_list diags = {};
	struct cohd_app *app = NULL;
	size_t len = 0, n_res = 0;
	double c0, w0, parse_cpu, cpu, wall;
	long n = argc > 2 ? atol(argv[2]) : 1000;

	if (argc < 2 || n <= 0) {
		fprintf(stderr, "usage: bench_plan FILE [N]\n");
		return 64;
	}
	c0 = cpu_seconds();
	if (cohd_app_load_file(argv[1], &diags, &app) < 0) {
		cohd_diag_list_print(&diags, stderr, true);
		return 1;
	}
	parse_cpu = cpu_seconds() - c0;
	cohd_diag_list_done(&diags);

	if (plan_once(app, &len, &n_res) < 0) /* warm-up */
		return 1;
	c0 = cpu_seconds();
	w0 = wall_seconds();
	for (long i = 0; i < n; i++)
		if (plan_once(app, &len, &n_res) < 0)
			return 1;
	cpu = cpu_seconds() - c0;
	wall = wall_seconds() - w0;
	printf("file:             %s\n", argv[1]);
	printf("resources:        %zu\n", n_res);
	printf("plan JSON bytes:  %zu\n", len);
	printf("parse (once):     %.3f ms CPU\n", parse_cpu * 1e3);
	printf("iterations:       %ld\n", n);
	printf("compile+render:   %.3f ms CPU per plan, %.3f ms wall per plan\n", cpu * 1e3 / (double)n,
	       wall * 1e3 / (double)n);
	cohd_app_free(app);
	return 0;
}
