/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cohd aws SERVICE OPERATION [--param NAME=VALUE]... [--input JSON]: call one AWS operation
 * through cohd's own client (same credentials chain, endpoints, retries and budgets as the
 * daemon) and print the parsed response as JSON on stdout (indented, keys sorted). AWS errors:
 * "cohd aws: CODE: message (HTTP status, request id ID)" on stderr, exit 1; usage errors exit
 * EXIT_USAGE with a hint. Runs its own libuv loop until the call completes.
 */
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/cohd/args.h"
#include "daemon/cohd/commands.h"
#include "lib/aws/client/client.h"
#include "lib/aws/protocols/protocols.h"
#include "lib/util/log.h"
#include "lib/util/macro.h"

#include <uv.h>

int cmd_aws(int argc, char **argv);

static void help(void)
{
	printf("Usage: cohd aws SERVICE OPERATION [OPTIONS]\n"
	       "\n"
	       "Call one AWS operation through cohd's client and print the response as JSON.\n"
	       "SERVICE as the aws CLI names it (ec2, elbv2, ecs, s3, route53, ...), OPERATION in\n"
	       "AWS's spelling (DescribeVpcs). Credentials, region and endpoints come from the\n"
	       "usual AWS_* environment and ~/.aws files.\n"
	       "\n"
	       "Options:\n"
	       "  -p, --param NAME=VALUE  set a top-level input member; VALUE is parsed as JSON "
	       "if\n"
	       "                          it parses, else taken as a string (--param "
	       "Filters='[...]')\n"
	       "  -i, --input JSON        the whole input object, in AWS member names\n"
	       "  -r, --region REGION     instead of AWS_REGION / AWS_DEFAULT_REGION / the "
	       "profile\n"
	       "      --endpoint-url URL  instead of AWS_ENDPOINT_URL[_<SERVICE>]\n"
	       "      --paginate          follow the paginator and merge every page\n"
	       "      --no-paginate       one request only (the default)\n"
	       "  -h, --help              show this help; with SERVICE, list its operations\n"
	       "\n"
	       "Exit status: 0 success, 1 the call failed, %d usage error.\n",
	       EXIT_USAGE);
}

_printf_(1, 2) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("cohd aws: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'cohd aws --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

static void list_services(void)
{
	size_t n;
	const struct cohd_aws_service *s = cohd_aws_services(&n);

	printf("\nServices:\n");
	for (size_t i = 0; i < n; i++)
		printf("  %-26s %s (%s)\n", s[i].cli_name, strempty(s[i].service_id),
		       strempty(s[i].protocol_name));
}

static int list_operations(const struct cohd_aws_service *svc)
{
	const struct cohd_aws_service_model *m;
	json_auto_t *ops = NULL;
	size_t i;
	json_t *v;

	if (cohd_aws_service_model(svc, &m) < 0)
		return EXIT_FAILURE;
	ops = cohd_aws_operation_list(m);
	printf("Operations of %s (%s, %s):\n", svc->cli_name, strempty(svc->service_id),
	       strempty(svc->protocol_name));
	json_array_foreach (ops, i, v)
		printf("  %s\n", json_string_value(v));
	return EXIT_SUCCESS;
}

/* The type ("string", "list", ...) of top-level input member name, or NULL. */
static const char *member_type(const struct cohd_aws_service_model *m, const json_t *op,
			       const char *name)
{
	const char *in = json_string_value(json_object_get(json_object_get(op, "input"), "shape"));
	json_t *ref = json_object_get(
		json_object_get(json_object_get(m->shapes, in ? in : ""), "members"), name);
	const char *sn = json_string_value(json_object_get(ref, "shape"));

	return json_string_value(json_object_get(json_object_get(m->shapes, sn ? sn : ""), "type"));
}

static int set_param(const struct cohd_aws_service_model *m, const json_t *op, json_t *input,
		     const char *arg)
{
	const char *eq = strchr(arg, '=');
	_cleanup_free_ char *name = NULL;
	json_t *v;

	if (!eq || eq == arg)
		return usage_error("--param needs NAME=VALUE, not '%s'", arg);
	name = strndup(arg, (size_t)(eq - arg));
	if (!name)
		return EXIT_FAILURE;
	/* JSON if it parses, else a string; but a string member (a policy document, say)
	 * always takes the text as it is */
	v = streq_ptr(member_type(m, op, name), "string")
		    ? NULL
		    : json_loads(eq + 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	if (!v)
		v = json_string(eq + 1);
	if (!v || json_object_set_new(input, name, v) < 0)
		return usage_error("--param %s: the value is not valid UTF-8", name);
	return 0;
}

struct outcome {
	bool done;
	int r;
	json_t *result;
	struct cohd_aws_error err;
};

static void on_done(int r, json_t *result, const struct cohd_aws_error *err, void *userdata)
{
	struct outcome *o = userdata;

	o->done = true;
	o->r = r;
	if (r >= 0)
		o->result = json_incref(result);
	else if (err) {
		o->err.http_status = err->http_status;
		o->err.code = err->code ? strdup(err->code) : NULL;
		o->err.message = err->message ? strdup(err->message) : NULL;
		o->err.request_id = err->request_id ? strdup(err->request_id) : NULL;
		o->err.class = err->class;
	}
}

static void print_error(const struct outcome *o)
{
	const struct cohd_aws_error *e = &o->err;

	if (o->r == -EREMOTEIO) {
		fprintf(stderr, "cohd aws: %s: %s (HTTP %d, request id %s)\n",
			e->code ? e->code : "UnknownError", e->message ? e->message : "-",
			e->http_status, e->request_id ? e->request_id : "-");
		return;
	}
	fprintf(stderr, "cohd aws: %s\n", e->message ? e->message : strerror(-o->r));
}

int cmd_aws(int argc, char **argv)
{
	enum { ARG_ENDPOINT_URL = 0x100, ARG_PAGINATE, ARG_NO_PAGINATE };
	static const struct option options[] = {
		{"param", required_argument, NULL, 'p'},
		{"input", required_argument, NULL, 'i'},
		{"region", required_argument, NULL, 'r'},
		{"endpoint-url", required_argument, NULL, ARG_ENDPOINT_URL},
		{"paginate", no_argument, NULL, ARG_PAGINATE},
		{"no-paginate", no_argument, NULL, ARG_NO_PAGINATE},
		{"help", no_argument, NULL, 'h'},
		{}};
	json_auto_t *input = json_object(), *base = NULL;
	const char *region = NULL, *endpoint_url = NULL, *service, *operation;
	const struct cohd_aws_service *svc;
	const struct cohd_aws_service_model *model;
	const json_t *op;
	bool paginate = false, want_help = false;
	struct cohd_aws_client *client = NULL;
	struct cohd_error e = {};
	struct outcome o = {};
	uv_loop_t loop;
	int c, r, ret;
	char **params = calloc((size_t)argc + 1, sizeof *params);
	size_t n_params = 0;

	if (!input || !params) {
		free(params);
		return EXIT_FAILURE;
	}
	opterr = 0;
	optind = 0;
	/* permute: options may follow SERVICE OPERATION */
	while ((c = getopt_long(argc, argv, ":p:i:r:h", options, NULL)) >= 0) {
		switch (c) {
		case 'p':
			params[n_params++] = optarg;
			break;
		case 'i':
			json_decref(base);
			base = json_loads(optarg, JSON_REJECT_DUPLICATES, NULL);
			if (!json_is_object(base)) {
				free(params);
				return usage_error("--input needs a JSON object");
			}
			break;
		case 'r':
			region = optarg;
			break;
		case ARG_ENDPOINT_URL:
			endpoint_url = optarg;
			break;
		case ARG_PAGINATE:
			paginate = true;
			break;
		case ARG_NO_PAGINATE:
			paginate = false;
			break;
		case 'h':
			want_help = true;
			break;
		case ':':
			free(params);
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			free(params);
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	service = optind < argc ? argv[optind] : NULL;
	operation = optind + 1 < argc ? argv[optind + 1] : NULL;
	svc = service ? cohd_aws_service_find(service) : NULL;
	if (want_help) {
		free(params);
		if (svc)
			return list_operations(svc);
		help();
		list_services();
		return EXIT_SUCCESS;
	}
	if (!service || !operation) {
		free(params);
		return usage_error("need SERVICE and OPERATION (e.g. 'cohd aws ec2 DescribeVpcs')");
	}
	if (optind + 2 < argc) {
		free(params);
		return usage_error("unexpected argument '%s'", argv[optind + 2]);
	}
	if (!svc) {
		free(params);
		return usage_error("unknown service '%s' (see 'cohd aws --help')", service);
	}
	if (cohd_aws_service_model(svc, &model) < 0 ||
	    cohd_aws_operation_find(model, operation, &op) < 0) {
		free(params);
		return usage_error("%s has no operation '%s' (see 'cohd aws %s --help')",
				   svc->cli_name, operation, svc->cli_name);
	}
	if (base && json_object_update(input, base) < 0) {
		free(params);
		return EXIT_FAILURE;
	}
	for (size_t i = 0; i < n_params; i++) {
		r = set_param(model, op, input, params[i]);
		if (r) {
			free(params);
			return r;
		}
	}
	free(params);

	r = uv_loop_init(&loop);
	if (r < 0) {
		fprintf(stderr, "cohd aws: cannot create the event loop: %s\n", uv_strerror(r));
		return EXIT_FAILURE;
	}
	r = cohd_aws_client_new(
		&loop,
		&(struct cohd_aws_client_config){.region = region, .endpoint_url = endpoint_url},
		&client, &e);
	if (r < 0) {
		fprintf(stderr, "cohd aws: %s\n", cohd_error_str(&e));
		cohd_error_done(&e);
		(void)uv_loop_close(&loop);
		return EXIT_FAILURE;
	}
	r = cohd_aws_call_ex(client,
			     &(struct cohd_aws_call_options){.max_pages = paginate ? UINT_MAX : 1},
			     svc->cli_name, operation, input, on_done, &o);
	if (r < 0) {
		o.done = true;
		o.r = r;
	}
	while (!o.done && uv_run(&loop, UV_RUN_ONCE))
		;
	client = cohd_aws_client_free(client);
	(void)uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) < 0)
		log_debug(MAIN, "event loop not empty at exit");
	cohd_aws_service_models_flush();

	if (!o.done) {
		fprintf(stderr, "cohd aws: the call never completed\n");
		return EXIT_FAILURE;
	}
	if (o.r < 0) {
		print_error(&o);
		ret = o.r == -EINVAL && o.err.class == COHD_AWS_ERROR_VALIDATION &&
				      !o.err.http_status
			      ? EXIT_USAGE
			      : EXIT_FAILURE;
		if (ret == EXIT_USAGE)
			fprintf(stderr, "Try 'cohd aws %s --help' for its operations.\n",
				svc->cli_name);
		cohd_aws_error_done(&o.err);
		return ret;
	}
	r = json_dumpf(o.result, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o.result);
	if (r < 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0)
		return EXIT_FAILURE;
	return EXIT_SUCCESS;
}
