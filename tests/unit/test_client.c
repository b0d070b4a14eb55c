/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for lib/aws/client against a fake AWS the test forks on 127.0.0.1: EC2-protocol
 * answers chosen by the request (success, throttling, clock skew, expired token, errors,
 * pages, no answer at all) and fake ECS / IMDSv2 credential endpoints. The retry jitter is
 * injected as 0 so retries are immediate. Every case ends with uv_loop_close() == 0.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "lib/aws/client/client.h"
#include "lib/aws/protocols/protocols.h"
#include "test.h"

#include <uv.h> /* after lib/util: its MIN/MAX before <sys/param.h> */

/* ---- the fake AWS (child process) ---- */

struct shared {
	unsigned requests;
	unsigned throttled;
	unsigned creds_fetches;
	unsigned imds_steps;
	unsigned expired_sent;
	char last_auth[512];
	char last_date[32];
};
static struct shared *sh; /* MAP_SHARED: the child writes, the test reads */

#define XMLNS "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\""

static void reply(int fd, const char *status, const char *extra, const char *body)
{
	char head[1024];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %s\r\nContent-Length: %zu\r\nContent-Type: text/xml\r\n%s\r\n",
			 status, strlen(body), extra);

	(void)!write(fd, head, (size_t)n);
	(void)!write(fd, body, strlen(body));
}

static void ec2_error(int fd, const char *status, const char *code, const char *extra)
{
	char body[512];

	snprintf(body, sizeof body,
		 "<?xml version=\"1.0\"?><Response><Errors><Error><Code>%s</Code><Message>%s "
		 "message</Message></Error></Errors><RequestID>req-%s</RequestID></Response>",
		 code, code, code);
	reply(fd, status, extra, body);
}

static void header_value(const char *req, const char *name, char *out, size_t n)
{
	const char *p = strcasestr(req, name);
	size_t l;

	out[0] = 0;
	if (!p)
		return;
	p += strlen(name);
	l = strcspn(p, "\r\n");
	snprintf(out, n, "%.*s", (int)l, p);
}

static bool handle(int fd, const char *method, const char *path, const char *req, const char *body)
{
	char auth[512];

	if (streq(path, "/creds") || streq(path, "/creds-short")) {
		char b[512], exp[32] = "2099-01-01T00:00:00Z";
		time_t soon = time(NULL) + 240; /* 4 minutes: refresh is due at once */
		struct tm tm;

		sh->creds_fetches++;
		header_value(req, "\r\nAuthorization: ", auth, sizeof auth);
		if (!streq(auth, "ecs-token")) {
			reply(fd, "401 Unauthorized", "", "no");
			return true;
		}
		if (streq(path, "/creds-short"))
			strftime(exp, sizeof exp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&soon, &tm));
		snprintf(b, sizeof b,
			 "{\"AccessKeyId\":\"ASIAECS%u\",\"SecretAccessKey\":\"s\",\"Token\":\"t%"
			 "u\","
			 "\"Expiration\":\"%s\"}",
			 sh->creds_fetches, sh->creds_fetches, exp);
		reply(fd, "200 OK", "", b);
		return true;
	}
	if (strncmp(path, "/latest/", 8) == 0) {
		char tok[64];

		sh->imds_steps++;
		if (streq(method, "PUT") && streq(path, "/latest/api/token")) {
			header_value(req, "\r\nX-aws-ec2-metadata-token-ttl-seconds: ", tok,
				     sizeof tok);
			reply(fd, "200 OK", "", tok[0] ? "imds-token" : "");
			return true;
		}
		header_value(req, "\r\nX-aws-ec2-metadata-token: ", tok, sizeof tok);
		if (!streq(tok, "imds-token"))
			reply(fd, "401 Unauthorized", "", "");
		else if (streq(path, "/latest/meta-data/iam/security-credentials/"))
			reply(fd, "200 OK", "", "my-role\n");
		else if (streq(path, "/latest/meta-data/iam/security-credentials/my-role"))
			reply(fd, "200 OK", "",
			      "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIAIMDS\","
			      "\"SecretAccessKey\":"
			      "\"s\",\"Token\":\"t\",\"Expiration\":\"2099-01-01T00:00:00Z\"}");
		else
			reply(fd, "404 Not Found", "", "");
		return true;
	}

	sh->requests++;
	header_value(req, "\r\nAuthorization: ", sh->last_auth, sizeof sh->last_auth);
	header_value(req, "\r\nX-Amz-Date: ", sh->last_date, sizeof sh->last_date);
	if (strstr(body, "Action=DescribeSubnets"))
		return true; /* never answered: for cancellation */
	if (strstr(body, "Action=DescribeInternetGateways")) {
		if (sh->throttled++ < 2) {
			ec2_error(fd, "503 Service Unavailable", "RequestLimitExceeded", "");
			return true;
		}
		reply(fd, "200 OK", "",
		      "<DescribeInternetGatewaysResponse " XMLNS "><requestId>r</requestId>"
		      "<internetGatewaySet/></DescribeInternetGatewaysResponse>");
		return true;
	}
	if (strstr(body, "Action=DescribeRouteTables")) {
		/* RequestExpired until X-Amz-Date is about an hour ahead (the skew we announce) */
		char date[64];
		time_t later = time(NULL) + 3600;
		struct tm tm;

		if (strncmp(sh->last_date, "2099", 4) != 0) {
			struct tm amz = {};

			if (strptime(sh->last_date, "%Y%m%dT%H%M%SZ", &amz) &&
			    timegm(&amz) >= later - 60) {
				reply(fd, "200 OK", "",
				      "<DescribeRouteTablesResponse " XMLNS "><routeTableSet/>"
				      "</DescribeRouteTablesResponse>");
				return true;
			}
		}
		gmtime_r(&later, &tm);
		strftime(date, sizeof date, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
		ec2_error(fd, "400 Bad Request", "RequestExpired", date);
		return true;
	}
	if (strstr(body, "Action=DescribeSecurityGroups")) {
		/* ExpiredToken for the first set of container credentials */
		if (strstr(sh->last_auth, "Credential=ASIAECS1/")) {
			sh->expired_sent++;
			ec2_error(fd, "400 Bad Request", "ExpiredToken", "");
			return true;
		}
		reply(fd, "200 OK", "",
		      "<DescribeSecurityGroupsResponse " XMLNS "><securityGroupInfo/>"
		      "</DescribeSecurityGroupsResponse>");
		return true;
	}
	if (strstr(body, "Action=DescribeVpcs")) {
		const char *page = strstr(body, "NextToken=t2")	  ? "3"
				   : strstr(body, "NextToken=t1") ? "2"
								  : "1";
		const char *next = streq(page, "1")   ? "<nextToken>t1</nextToken>"
				   : streq(page, "2") ? "<nextToken>t2</nextToken>"
						      : "";
		char b[1024];

		if (strstr(body, "VpcId.1=vpc-missing")) {
			ec2_error(fd, "400 Bad Request", "InvalidVpcID.NotFound", "");
			return true;
		}
		snprintf(b, sizeof b,
			 "<DescribeVpcsResponse " XMLNS "><requestId>r%s</requestId><vpcSet><item>"
			 "<vpcId>vpc-%s</vpcId><cidrBlock>10.0.0.0/16</cidrBlock></item></vpcSet>%s"
			 "</DescribeVpcsResponse>",
			 page, page, next);
		reply(fd, "200 OK", "", b);
		return true;
	}
	ec2_error(fd, "400 Bad Request", "InvalidAction", "");
	return true;
}

struct conn {
	int fd;
	char buf[65536];
	size_t len;
};

static void serve(struct conn *c)
{
	for (;;) {
		char *end = memmem(c->buf, c->len, "\r\n\r\n", 4), *cl;
		char method[16] = "", path[256] = "", body[8192];
		size_t hlen, blen = 0;

		if (!end)
			return;
		hlen = (size_t)(end - c->buf) + 4;
		cl = strcasestr(c->buf, "\r\nContent-Length: ");
		if (cl && cl < end)
			blen = strtoul(cl + 18, NULL, 10);
		if (c->len < hlen + blen)
			return;
		(void)sscanf(c->buf, "%15s %255s", method, path);
		snprintf(body, sizeof body, "%.*s", (int)blen, c->buf + hlen);
		c->buf[hlen - 2] = 0;
		handle(c->fd, method, path, c->buf, body);
		memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen);
		c->len -= hlen + blen;
	}
}

_noreturn_ static void server_run(int lfd)
{
	static struct conn conns[64];
	struct pollfd pfd[65];
	size_t n = 0;

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
			if (r > 0) {
				c->len += (size_t)r;
				c->buf[c->len] = 0;
				serve(c);
				continue;
			}
			close(c->fd);
			conns[i - 1] = conns[--n];
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

static pid_t server_pid;
static char base_url[64], creds_url[96], creds_short_url[96];

static void server_start(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(sh, MAP_FAILED);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(lfd, 64), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
	snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", ntohs(a.sin_port));
	snprintf(creds_url, sizeof creds_url, "%s/creds", base_url);
	snprintf(creds_short_url, sizeof creds_short_url, "%s/creds-short", base_url);
	server_pid = fork();
	ck_assert_int_ge(server_pid, 0);
	if (server_pid == 0)
		server_run(lfd);
	close(lfd);
}

static void server_stop(void)
{
	kill(server_pid, SIGKILL);
	waitpid(server_pid, NULL, 0);
	munmap(sh, sizeof *sh);
}

/* ---- the client side ---- */

static uv_loop_t loop;
static struct cohd_aws_client *client;
static struct cohd_aws_credentials static_creds = {.access_key_id = (char *)"AKIDTEST",
						   .secret_access_key = (char *)"secret"};
static struct cohd_aws_credential_source source;

static const char *no_env(void *userdata, const char *name)
{
	return NULL;
}
static const struct cohd_aws_env empty_env = {no_env, NULL};

static double zero_random(void *userdata)
{
	return 0.0;
}

static double budget_share;

static void client_start_ex(enum cohd_aws_credential_kind kind, const char *ecs_url,
			    usec_t min_refresh_interval)
{
	struct cohd_error e = {};

	source = (struct cohd_aws_credential_source){.kind = kind, .origin = (char *)"test"};
	if (kind == COHD_AWS_CREDENTIALS_STATIC)
		source.creds = &static_creds;
	else if (kind == COHD_AWS_CREDENTIALS_ECS) {
		source.endpoint = (char *)ecs_url;
		source.auth_token = (char *)"ecs-token";
	} else
		source.endpoint = base_url;
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	ck_assert_msg(cohd_aws_client_new(&loop,
					  &(struct cohd_aws_client_config){
						  .region = "eu-west-1",
						  .endpoint_url = base_url,
						  .env = &empty_env,
						  .credentials = &source,
						  .random = zero_random,
						  .min_refresh_interval = min_refresh_interval,
						  .budget_share = budget_share,
					  },
					  &client, &e) == 0,
		      "%s", cohd_error_str(&e));
}

static void client_start(enum cohd_aws_credential_kind kind)
{
	client_start_ex(kind, creds_url, 0);
}

static void setup(void)
{
	budget_share = 0;
	server_start();
}

static void teardown(void)
{
	client = cohd_aws_client_free(client);
	(void)uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	server_stop();
}

struct outcome {
	int calls;
	int r;
	json_t *result;
	char code[64], message[256], request_id[64];
	int status;
};

static void on_done(int r, json_t *result, const struct cohd_aws_error *err, void *userdata)
{
	struct outcome *o = userdata;

	o->calls++;
	o->r = r;
	if (r >= 0)
		o->result = json_incref(result);
	else {
		snprintf(o->code, sizeof o->code, "%s", strempty(err->code));
		snprintf(o->message, sizeof o->message, "%s", strempty(err->message));
		snprintf(o->request_id, sizeof o->request_id, "%s", strempty(err->request_id));
		o->status = err->http_status;
	}
}

static void call(const char *op, const char *params_json, unsigned max_pages, struct outcome *o)
{
	json_auto_t *params = params_json ? json_loads(params_json, 0, NULL) : NULL;

	ck_assert_int_eq(cohd_aws_call_ex(client,
					  &(struct cohd_aws_call_options){.max_pages = max_pages},
					  "ec2", op, params, on_done, o),
			 0);
	ck_assert_int_eq(o->calls, 0); /* never from inside the call */
	(void)uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(o->calls, 1);
}

START_TEST(test_success)
{
	struct outcome o = {};
	json_t *vpcs;

	client_start(COHD_AWS_CREDENTIALS_STATIC);
	call("DescribeVpcs", NULL, 1, &o);
	ck_assert_msg(o.r == 0, "%d %s %s", o.r, o.code, o.message);
	vpcs = json_object_get(o.result, "Vpcs");
	ck_assert_uint_eq(json_array_size(vpcs), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(vpcs, 0), "VpcId")),
			 "vpc-1");
	ck_assert_str_eq(json_string_value(json_object_get(o.result, "NextToken")), "t1");
	ck_assert_ptr_nonnull(strstr(sh->last_auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/"));
	ck_assert_ptr_nonnull(strstr(sh->last_auth, "/eu-west-1/ec2/aws4_request"));
	json_decref(o.result);
}
END_TEST

START_TEST(test_error)
{
	struct outcome o = {};

	client_start(COHD_AWS_CREDENTIALS_STATIC);
	call("DescribeVpcs", "{\"VpcIds\": [\"vpc-missing\"]}", 1, &o);
	ck_assert_int_eq(o.r, -EREMOTEIO);
	ck_assert_str_eq(o.code, "InvalidVpcID.NotFound");
	ck_assert_str_eq(o.request_id, "req-InvalidVpcID.NotFound");
	ck_assert_int_eq(o.status, 400);
	ck_assert_uint_eq(sh->requests, 1); /* not retried */
}
END_TEST

START_TEST(test_validation_and_unknown)
{
	struct outcome o = {}, u = {};

	client_start(COHD_AWS_CREDENTIALS_STATIC);
	call("DescribeVpcs", "{\"NoSuchMember\": 1}", 1, &o);
	ck_assert_int_eq(o.r, -EINVAL);
	ck_assert_ptr_nonnull(strstr(o.message, "NoSuchMember"));
	call("NoSuchOperation", NULL, 1, &u);
	ck_assert_int_eq(u.r, -ENOENT);
	ck_assert_uint_eq(sh->requests, 0);
}
END_TEST

START_TEST(test_pagination)
{
	struct outcome o = {};
	json_t *vpcs;
	struct cohd_aws_client_stats st;

	client_start(COHD_AWS_CREDENTIALS_STATIC);
	call("DescribeVpcs", NULL, UINT_MAX, &o);
	ck_assert_msg(o.r == 0, "%d %s", o.r, o.message);
	vpcs = json_object_get(o.result, "Vpcs");
	ck_assert_uint_eq(json_array_size(vpcs), 3);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(vpcs, 2), "VpcId")),
			 "vpc-3");
	ck_assert_ptr_null(json_object_get(o.result, "NextToken"));
	cohd_aws_client_stats(client, &st);
	ck_assert_uint_eq(st.attempts, 3);
	json_decref(o.result);
}
END_TEST

START_TEST(test_throttle_then_success)
{
	struct outcome o = {};
	struct cohd_aws_client_stats st;

	client_start(COHD_AWS_CREDENTIALS_STATIC);
	call("DescribeInternetGateways", NULL, 1, &o);
	ck_assert_msg(o.r == 0, "%d %s", o.r, o.message);
	cohd_aws_client_stats(client, &st);
	ck_assert_uint_eq(st.attempts, 3);
	ck_assert_uint_eq(st.retries, 2);
	json_decref(o.result);
}
END_TEST

START_TEST(test_clock_skew)
{
	struct outcome o = {};
	struct cohd_aws_client_stats st;

	client_start(COHD_AWS_CREDENTIALS_STATIC);
	call("DescribeRouteTables", NULL, 1, &o);
	ck_assert_msg(o.r == 0, "%d %s %s", o.r, o.code, o.message);
	cohd_aws_client_stats(client, &st);
	ck_assert_uint_eq(st.skew_corrections, 1);
	ck_assert_uint_eq(st.attempts, 2);
	ck_assert_int_gt(st.clock_skew_usec, 3500 * (long long)USEC_PER_SEC);
	json_decref(o.result);
}
END_TEST

START_TEST(test_ecs_credentials_and_expired_token)
{
	struct outcome o = {}, o2 = {};

	client_start(COHD_AWS_CREDENTIALS_ECS);
	call("DescribeVpcs", NULL, 1, &o);
	ck_assert_msg(o.r == 0, "%d %s", o.r, o.message);
	ck_assert_uint_eq(sh->creds_fetches, 1);
	ck_assert_ptr_nonnull(strstr(sh->last_auth, "Credential=ASIAECS1/"));
	/* AWS says the token expired: refresh once and retry with the new credentials */
	call("DescribeSecurityGroups", NULL, 1, &o2);
	ck_assert_msg(o2.r == 0, "%d %s %s", o2.r, o2.code, o2.message);
	ck_assert_uint_eq(sh->expired_sent, 1);
	ck_assert_uint_eq(sh->creds_fetches, 2);
	ck_assert_ptr_nonnull(strstr(sh->last_auth, "Credential=ASIAECS2/"));
	json_decref(o.result);
	json_decref(o2.result);
}
END_TEST

/* Credentials due for refresh (4 minutes left): the next call starts a background fetch and
 * goes out at once with the current credentials; later calls use the new ones. */
START_TEST(test_refresh_ahead_without_stalling)
{
	struct outcome a = {}, b = {}, c = {};
	struct cohd_aws_client_stats st;

	client_start_ex(COHD_AWS_CREDENTIALS_ECS, creds_short_url, 1);
	call("DescribeVpcs", NULL, 1, &a); /* no credentials yet: waits for fetch 1 */
	ck_assert_msg(a.r == 0, "%d %s", a.r, a.message);
	ck_assert_uint_eq(sh->creds_fetches, 1);
	ck_assert_ptr_nonnull(strstr(sh->last_auth, "Credential=ASIAECS1/"));

	call("DescribeVpcs", NULL, 1, &b); /* due: fetch 2 in the background, b not held */
	ck_assert_msg(b.r == 0, "%d %s", b.r, b.message);
	ck_assert_uint_eq(sh->creds_fetches, 2);
	ck_assert_ptr_nonnull(strstr(sh->last_auth, "Credential=ASIAECS1/"));

	call("DescribeVpcs", NULL, 1, &c); /* the refreshed credentials */
	ck_assert_msg(c.r == 0, "%d %s", c.r, c.message);
	ck_assert_ptr_nonnull(strstr(sh->last_auth, "Credential=ASIAECS2/"));
	cohd_aws_client_stats(client, &st);
	ck_assert_uint_ge(st.credential_fetches, 2);
	json_decref(a.result);
	json_decref(b.result);
	json_decref(c.result);
}
END_TEST

START_TEST(test_imds_credentials)
{
	struct outcome o = {};

	client_start(COHD_AWS_CREDENTIALS_IMDS);
	call("DescribeVpcs", NULL, 1, &o);
	ck_assert_msg(o.r == 0, "%d %s", o.r, o.message);
	ck_assert_uint_eq(sh->imds_steps, 3);
	ck_assert_ptr_nonnull(strstr(sh->last_auth, "Credential=ASIAIMDS/"));
	json_decref(o.result);
}
END_TEST

/* A tiny budget (5% of EC2's describe bucket: 5 tokens, 1 a second): the sixth call waits on a
 * timer for a token instead of going out, and still succeeds. */
START_TEST(test_budget_wait)
{
	struct outcome o[6] = {};
	struct cohd_aws_client_stats st;
	usec_t t0;

	budget_share = 0.05;
	client_start(COHD_AWS_CREDENTIALS_STATIC);
	t0 = cohd_now_monotonic();
	for (size_t i = 0; i < ELEMENTSOF(o); i++)
		ck_assert_int_eq(cohd_aws_call(client, "ec2", "DescribeVpcs", NULL, on_done, &o[i]),
				 0);
	(void)uv_run(&loop, UV_RUN_DEFAULT);
	for (size_t i = 0; i < ELEMENTSOF(o); i++) {
		ck_assert_int_eq(o[i].calls, 1);
		ck_assert_int_eq(o[i].r, 0);
		json_decref(o[i].result);
	}
	cohd_aws_client_stats(client, &st);
	ck_assert_uint_ge(st.budget_waits, 1);
	ck_assert_uint_eq(st.attempts, ELEMENTSOF(o));
	ck_assert_uint_ge(cohd_now_monotonic() - t0, 800 * USEC_PER_MSEC);
}
END_TEST

static struct outcome pending[3];

static void stop_loop(uv_timer_t *t)
{
	uv_stop(t->loop);
}

START_TEST(test_cancel_on_shutdown)
{
	uv_timer_t t;

	client_start(COHD_AWS_CREDENTIALS_ECS);
	memset(pending, 0, sizeof pending);
	/* one waits for credentials, the others for AWS */
	for (size_t i = 0; i < ELEMENTSOF(pending); i++)
		ck_assert_int_eq(
			cohd_aws_call(client, "ec2", "DescribeSubnets", NULL, on_done, &pending[i]),
			0);
	ck_assert_int_eq(uv_timer_init(&loop, &t), 0);
	ck_assert_int_eq(uv_timer_start(&t, stop_loop, 300, 0), 0);
	(void)uv_run(&loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&t, NULL);
	for (size_t i = 0; i < ELEMENTSOF(pending); i++)
		ck_assert_int_eq(pending[i].calls, 0);
	client = cohd_aws_client_free(client);
	for (size_t i = 0; i < ELEMENTSOF(pending); i++) {
		ck_assert_int_eq(pending[i].calls, 1);
		ck_assert_int_eq(pending[i].r, -ECANCELED);
	}
	(void)uv_run(&loop, UV_RUN_DEFAULT);
	for (size_t i = 0; i < ELEMENTSOF(pending); i++)
		ck_assert_int_eq(pending[i].calls, 1);
	ck_assert_int_eq(cohd_aws_call(NULL, "ec2", "DescribeVpcs", NULL, on_done, NULL), -EINVAL);
}
END_TEST

static Suite *client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("call");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_success);
	tcase_add_test(tc, test_error);
	tcase_add_test(tc, test_validation_and_unknown);
	tcase_add_test(tc, test_pagination);
	tcase_add_test(tc, test_throttle_then_success);
	tcase_add_test(tc, test_clock_skew);
	tcase_add_test(tc, test_ecs_credentials_and_expired_token);
	tcase_add_test(tc, test_refresh_ahead_without_stalling);
	tcase_add_test(tc, test_imds_credentials);
	tcase_add_test(tc, test_budget_wait);
	tcase_add_test(tc, test_cancel_on_shutdown);
	suite_add_tcase(s, tc);
	return s;
}

COHD_TEST_MAIN(client_suite)
