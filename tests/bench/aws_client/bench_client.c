/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Benchmark of lib/aws/client (not a test): CPU time per call (endpoint + serialise + sign +
 * HTTP + parse + completion) and calls per second with IN_FLIGHT calls outstanding, measured
 * with getrusage(RUSAGE_SELF) around the run. The endpoint is a canned EC2 DescribeVpcs
 * responder forked on 127.0.0.1 (its CPU is not counted), or ENDPOINT_URL if given (e.g. the
 * test AWS from tests/aws-up). Also times the pure stages alone (serialise, sign, parse).
 *
 *   bench_client [N [IN_FLIGHT [ENDPOINT_URL]]]      defaults: 20000 100
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "lib/aws/client/client.h"
#include "lib/aws/protocols/protocols.h"
#include "lib/aws/sigv4/sigv4.h"
#include "lib/util/macro.h"
#include "lib/util/time.h"

#include <uv.h>

static const char response_body[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
	"<requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId><vpcSet><item>"
	"<vpcId>vpc-0a60eb65b4EXAMPLE</vpcId><ownerId>111122223333</ownerId><state>available</"
	"state>"
	"<cidrBlock>10.0.0.0/16</cidrBlock><cidrBlockAssociationSet><item>"
	"<associationId>vpc-cidr-assoc-0b4b3d0dEXAMPLE</associationId><cidrBlock>10.0.0.0/16"
	"</cidrBlock><cidrBlockState><state>associated</state></cidrBlockState></item>"
	"</cidrBlockAssociationSet><dhcpOptionsId>dopt-19edf471</dhcpOptionsId>"
	"<instanceTenancy>default</instanceTenancy><isDefault>false</isDefault><tagSet><item>"
	"<key>Name</key><value>acme-shop-production</value></item></tagSet></item></vpcSet>"
	"</DescribeVpcsResponse>";

/* ---- the canned endpoint (child) ---- */

struct conn {
	int fd;
	char buf[16384];
	size_t len;
};

_noreturn_ static void server_run(int lfd)
{
	static struct conn conns[512];
	static struct pollfd pfd[513];
	char head[256];
	int hl = snprintf(head, sizeof head,
			  "HTTP/1.1 200 OK\r\nContent-Type: text/xml;charset=UTF-8\r\n"
			  "Content-Length: %zu\r\nx-amzn-RequestId: 7a62c49f\r\n\r\n",
			  sizeof response_body - 1);
	static char resp[4096];
	size_t rl = (size_t)hl + sizeof response_body - 1, n = 0;

	memcpy(resp, head, (size_t)hl);
	memcpy(resp + hl, response_body, sizeof response_body - 1);
	for (;;) {
		pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (size_t i = 0; i < n; i++)
			pfd[i + 1] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
		if (poll(pfd, n + 1, -1) < 0)
			continue;
		for (size_t i = n; i > 0; i--) {
			struct conn *c = &conns[i - 1];
			ssize_t r;

			if (!pfd[i].revents)
				continue;
			r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len - 1);
			if (r <= 0) {
				close(c->fd);
				conns[i - 1] = conns[--n];
				continue;
			}
			c->len += (size_t)r;
			c->buf[c->len] = 0;
			for (;;) {
				char *end = strstr(c->buf, "\r\n\r\n"), *cl;
				size_t hlen, blen = 0;

				if (!end)
					break;
				hlen = (size_t)(end - c->buf) + 4;
				cl = strcasestr(c->buf, "\r\nContent-Length: ");
				if (cl && cl < end)
					blen = strtoul(cl + 18, NULL, 10);
				if (c->len < hlen + blen)
					break;
				(void)!write(c->fd, resp, rl);
				memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen + 1);
				c->len -= hlen + blen;
			}
		}
		if (pfd[0].revents && n < ELEMENTSOF(conns)) {
			int fd = accept(lfd, NULL, NULL);

			if (fd >= 0) {
				conns[n].fd = fd;
				conns[n++].len = 0;
			}
		}
	}
}

static pid_t server_start(char *url, size_t n)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 512) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &al) < 0) {
		perror("bench: listen");
		exit(EXIT_FAILURE);
	}
	snprintf(url, n, "http://127.0.0.1:%d", ntohs(a.sin_port));
	pid = fork();
	if (pid == 0)
		server_run(lfd);
	close(lfd);
	return pid;
}

/* ---- the run ---- */

static struct cohd_aws_client *client;
static unsigned long total, issued, done, failed;
static int first_error;
static char first_error_text[256];

static usec_t cpu_split(usec_t *ret_sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	if (ret_sys)
		*ret_sys = (usec_t)ru.ru_stime.tv_sec * USEC_PER_SEC + (usec_t)ru.ru_stime.tv_usec;
	return (usec_t)ru.ru_utime.tv_sec * USEC_PER_SEC + (usec_t)ru.ru_utime.tv_usec +
	       (usec_t)ru.ru_stime.tv_sec * USEC_PER_SEC + (usec_t)ru.ru_stime.tv_usec;
}

static usec_t cpu_now(void)
{
	return cpu_split(NULL);
}

static void issue(void);

static void on_done(int r, json_t *result, const struct cohd_aws_error *err, void *userdata)
{
	done++;
	if (r < 0) {
		if (!failed++) {
			first_error = r;
			snprintf(first_error_text, sizeof first_error_text, "%s: %s",
				 strempty(err ? err->code : NULL),
				 strempty(err ? err->message : NULL));
		}
	} else if (!json_object_get(result, "Vpcs"))
		failed++;
	if (issued < total)
		issue();
}

static void issue(void)
{
	issued++;
	if (cohd_aws_call(client, "ec2", "DescribeVpcs", NULL, on_done, NULL) < 0) {
		fprintf(stderr, "bench: cohd_aws_call failed\n");
		exit(EXIT_FAILURE);
	}
}

/* The pure stages alone, n times each: serialise, sign (key cache on), parse. */
static void stages(unsigned long n)
{
	const struct cohd_aws_service *svc = cohd_aws_service_find("ec2");
	const struct cohd_aws_service_model *m;
	struct cohd_sigv4_key_cache *cache = cohd_sigv4_key_cache_new();
	struct cohd_http_header h[3] = {
		{(char *)"Host", (char *)"ec2.eu-west-1.amazonaws.com"},
		{(char *)"Content-Type",
		 (char *)"application/x-www-form-urlencoded; charset=utf-8"}};
	usec_t t0, t1, t2, t3;

	if (cohd_aws_service_model(svc, &m) < 0)
		return;
	t0 = cpu_now();
	for (unsigned long i = 0; i < n; i++) {
		struct cohd_aws_http_request req;

		if (cohd_aws_serialize(m, "DescribeVpcs", NULL, &req, NULL) == 0)
			cohd_aws_http_request_done(&req);
	}
	t1 = cpu_now();
	for (unsigned long i = 0; i < n; i++) {
		struct cohd_sigv4_params p;
		struct cohd_sigv4_result res = {};

		cohd_sigv4_params_init(&p, "ec2", "eu-west-1", cohd_now_realtime());
		p.access_key_id = "AKIDEXAMPLE";
		p.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
		p.cache = cache;
		(void)cohd_sigv4_sign(
			&(struct cohd_sigv4_request){
				.method = "POST",
				.path = "/",
				.headers = h,
				.n_headers = 2,
				.body = "Action=DescribeVpcs&Version=2016-11-15",
				.body_len = 38},
			&p, &res);
		cohd_sigv4_result_done(&res);
	}
	t2 = cpu_now();
	for (unsigned long i = 0; i < n; i++) {
		json_t *out = NULL;

		(void)cohd_aws_parse_response(m, "DescribeVpcs", 200, NULL, 0, response_body,
					      sizeof response_body - 1, &out, NULL);
		json_decref(out);
	}
	t3 = cpu_now();
	printf("stages (CPU per call): serialise %.1f us, sign %.1f us, parse %.1f us\n",
	       (double)(t1 - t0) / (double)n, (double)(t2 - t1) / (double)n,
	       (double)(t3 - t2) / (double)n);
	cohd_sigv4_key_cache_free(cache);
}

static const char *bench_env_get(void *userdata, const char *name)
{
	return NULL; /* nothing from the environment: fixed keys and endpoint */
}

int main(int argc, char **argv)
{
	unsigned long in_flight;
	char url[128];
	pid_t server = 0;
	uv_loop_t loop;
	struct cohd_error e = {};
	struct cohd_aws_credentials creds = {.access_key_id = (char *)"test",
					     .secret_access_key = (char *)"test"};
	struct cohd_aws_credential_source src = {
		.kind = COHD_AWS_CREDENTIALS_STATIC, .origin = (char *)"bench", .creds = &creds};
	struct cohd_aws_env env = {bench_env_get, NULL};
	usec_t cpu0, cpu1, sys0, sys1, wall0, wall1;

	total = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	in_flight = argc > 2 ? strtoul(argv[2], NULL, 10) : 100;
	if (!total || !in_flight) {
		fprintf(stderr, "usage: bench_client [N [IN_FLIGHT [ENDPOINT_URL]]]\n");
		return 64;
	}
	if (argc > 3)
		snprintf(url, sizeof url, "%s", argv[3]);
	else
		server = server_start(url, sizeof url);
	signal(SIGPIPE, SIG_IGN);

	if (!getenv("COHD_BENCH_NO_STAGES"))
		stages(total);

	if (uv_loop_init(&loop) < 0)
		return EXIT_FAILURE;
	if (cohd_aws_client_new(
		    &loop,
		    &(struct cohd_aws_client_config){
			    .region = "us-east-1",
			    .endpoint_url = url,
			    .env = &env,
			    .credentials = &src,
			    .budget_share = -1, /* measure the client, not our budgets */
			    .http = {.max_host_connections = (unsigned)in_flight},
		    },
		    &client, &e) < 0) {
		fprintf(stderr, "bench: %s\n", cohd_error_str(&e));
		return EXIT_FAILURE;
	}
	/* warm up: connections, model, key cache */
	issued = 0;
	{
		unsigned long t = total;

		total = MIN(in_flight, t);
		for (unsigned long i = 0; i < total; i++)
			issue();
		(void)uv_run(&loop, UV_RUN_DEFAULT);
		total = t;
	}
	issued = done = failed = 0;

	cpu0 = cpu_split(&sys0);
	wall0 = cohd_now_monotonic();
	for (unsigned long i = 0; i < in_flight && issued < total; i++)
		issue();
	(void)uv_run(&loop, UV_RUN_DEFAULT);
	cpu1 = cpu_split(&sys1);
	wall1 = cohd_now_monotonic();

	printf("client: %lu calls, %lu in flight, %lu failed%s%s\n", done, in_flight, failed,
	       failed ? ": first " : "", failed ? first_error_text : "");
	printf("client: CPU %.1f us per call (user %.1f + sys %.1f; sign + send + parse), "
	       "%.0f calls/s\n",
	       (double)(cpu1 - cpu0) / (double)done,
	       (double)(cpu1 - cpu0 - (sys1 - sys0)) / (double)done,
	       (double)(sys1 - sys0) / (double)done,
	       (double)done / ((double)(wall1 - wall0) / (double)USEC_PER_SEC));

	client = cohd_aws_client_free(client);
	(void)uv_run(&loop, UV_RUN_DEFAULT);
	(void)uv_loop_close(&loop);
	cohd_aws_service_models_flush();
	if (server) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	(void)first_error;
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
