/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for lib/aws/http against a tiny HTTP/1.1 server on 127.0.0.1 that the test forks
 * (poll() over a handful of sockets; keep-alive; routes /ok /big /hang /echo /conns). Every
 * case ends with cohd_http_free(), running the loop dry and uv_loop_close() == 0.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "lib/aws/http/http-internal.h"
#include "lib/util/log.h"
#include "test.h"

/* ---- the server (child process) ---- */

#define MAX_CONNS 256

struct conn {
	int fd;
	char buf[65536];
	size_t len;
};

static void respond(int fd, const char *status, const char *extra, const char *body, size_t len)
{
	char head[512];
	int n = snprintf(head, sizeof head, "HTTP/1.1 %s\r\nContent-Length: %zu\r\n%s\r\n", status,
			 len, extra);

	(void)!write(fd, head, (size_t)n);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, body + off, len - off);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
}

/* Handle every complete request in c; returns false when the connection should close. */
static bool serve_requests(struct conn *c, unsigned accepted)
{
	for (;;) {
		char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
		char path[256] = "", method[16] = "", *cl;
		size_t hlen, blen = 0, total;

		if (!end)
			return true;
		hlen = (size_t)(end - c->buf) + 4;
		cl = memmem(c->buf, hlen, "Content-Length: ", 16);
		if (cl)
			blen = strtoul(cl + 16, NULL, 10);
		total = hlen + blen;
		if (c->len < total)
			return true;
		(void)sscanf(c->buf, "%15s %255s", method, path);
		if (streq(path, "/ok"))
			respond(c->fd, "200 OK", "X-Test: Yes\r\nx-test: last\r\n", "hello", 5);
		else if (streq(path, "/conns")) {
			char b[32];
			int n = snprintf(b, sizeof b, "%u", accepted);

			respond(c->fd, "200 OK", "", b, (size_t)n);
		} else if (streq(path, "/big")) {
			static char big[100000];

			memset(big, 'x', sizeof big);
			respond(c->fd, "200 OK", "", big, sizeof big);
		} else if (streq(path, "/echo"))
			respond(c->fd, "200 OK", "", c->buf, total);
		else if (streq(path, "/hang"))
			; /* never answer */
		else if (streq(path, "/close")) {
			respond(c->fd, "503 Service Unavailable", "Connection: close\r\n", "no", 2);
			return false;
		} else
			respond(c->fd, "404 Not Found", "", "", 0);
		memmove(c->buf, c->buf + total, c->len - total);
		c->len -= total;
	}
}

_noreturn_ static void server_run(int lfd)
{
	static struct conn conns[MAX_CONNS];
	struct pollfd pfd[MAX_CONNS + 1];
	unsigned accepted = 0;
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
			r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
			if (r > 0) {
				c->len += (size_t)r;
				if (serve_requests(c, accepted))
					continue;
			}
			close(c->fd);
			conns[i - 1] = conns[--n];
		}
		if (pfd[0].revents && n < MAX_CONNS) {
			int fd = accept(lfd, NULL, NULL);

			if (fd >= 0) {
				accepted++;
				conns[n].fd = fd;
				conns[n++].len = 0;
			}
		}
	}
}

static pid_t server_pid;
static int server_port;

static void server_start(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(lfd, 128), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
	server_port = ntohs(a.sin_port);
	server_pid = fork();
	ck_assert_int_ge(server_pid, 0);
	if (server_pid == 0)
		server_run(lfd);
	close(lfd);
}

static void server_stop(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
		server_pid = 0;
	}
}

static char *url(const char *path)
{
	static char u[256];

	snprintf(u, sizeof u, "http://127.0.0.1:%d%s", server_port, path);
	return u;
}

/* ---- client-side helpers ---- */

static uv_loop_t loop;
static struct cohd_http *http;

struct result {
	int calls;
	int r;
	long status;
	bool reused;
	size_t body_len;
	char body[256];
	char header[64];
	char error[CURL_ERROR_SIZE];
};

static void on_done(int r, struct cohd_http_response *resp, void *userdata)
{
	struct result *res = userdata;
	const char *h = cohd_http_response_header(resp, "x-TEST");

	res->calls++;
	res->r = r;
	res->status = resp->status;
	res->reused = resp->reused_connection;
	res->body_len = resp->body.len;
	snprintf(res->body, sizeof res->body, "%s", cohd_buf_str(&resp->body));
	snprintf(res->header, sizeof res->header, "%s", strempty(h));
	snprintf(res->error, sizeof res->error, "%s", strempty(resp->error));
}

static void setup(void)
{
	struct cohd_http_config cfg = {.max_host_connections = 4};

	server_start();
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	ck_assert_int_eq(cohd_http_new(&loop, &cfg, &http), 0);
}

static void teardown(void)
{
	http = cohd_http_free(http);
	(void)uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	server_stop();
}

static int submit(const char *path, struct result *res)
{
	struct cohd_http_request req = {.method = "GET", .url = url(path)};

	return cohd_http_submit(http, &req, on_done, res);
}

static void run(void)
{
	(void)uv_run(&loop, UV_RUN_DEFAULT);
}

/* ---- cases ---- */

START_TEST(test_get_and_headers)
{
	struct result res = {};

	ck_assert_int_eq(submit("/ok", &res), 0);
	ck_assert_int_eq(res.calls, 0); /* never from inside submit */
	run();
	ck_assert_int_eq(res.calls, 1);
	ck_assert_int_eq(res.r, 0);
	ck_assert_int_eq(res.status, 200);
	ck_assert_str_eq(res.body, "hello");
	ck_assert_str_eq(res.header, "last"); /* case-insensitive, last one wins */
}
END_TEST

static struct result chain[3];
static int chain_i;

static void on_chain(int r, struct cohd_http_response *resp, void *userdata)
{
	on_done(r, resp, userdata);
	/* completions may submit: the next request reuses the connection */
	if (++chain_i < (int)ELEMENTSOF(chain))
		ck_assert_int_eq(cohd_http_submit(http,
						  &(struct cohd_http_request){.method = "GET",
									      .url = url("/ok")},
						  on_chain, &chain[chain_i]),
				 0);
}

START_TEST(test_keepalive_reuse)
{
	struct result conns = {};

	chain_i = 0;
	ck_assert_int_eq(
		cohd_http_submit(http,
				 &(struct cohd_http_request){.method = "GET", .url = url("/ok")},
				 on_chain, &chain[0]),
		0);
	run();
	ck_assert_int_eq(chain_i, 3);
	ck_assert(!chain[0].reused);
	ck_assert(chain[1].reused);
	ck_assert(chain[2].reused);
	ck_assert_int_eq(submit("/conns", &conns), 0);
	run();
	ck_assert_str_eq(conns.body, "1");
}
END_TEST

START_TEST(test_many_in_flight)
{
	static struct result res[60];
	struct result conns = {};

	for (size_t i = 0; i < ELEMENTSOF(res); i++)
		ck_assert_int_eq(submit("/ok", &res[i]), 0);
	ck_assert_uint_eq(cohd_http_in_flight(http), ELEMENTSOF(res));
	run();
	for (size_t i = 0; i < ELEMENTSOF(res); i++) {
		ck_assert_int_eq(res[i].calls, 1);
		ck_assert_int_eq(res[i].status, 200);
	}
	ck_assert_uint_eq(cohd_http_in_flight(http), 0);
	/* CURLMOPT_MAX_HOST_CONNECTIONS = 4: at most 4 connections for 60 requests */
	ck_assert_int_eq(submit("/conns", &conns), 0);
	run();
	ck_assert_int_le(atoi(conns.body), 4);
}
END_TEST

START_TEST(test_body_cap)
{
	struct result res = {}, ok = {};
	struct cohd_http_request req = {.method = "GET", .url = url("/big"), .max_body = 1000};

	ck_assert_int_eq(cohd_http_submit(http, &req, on_done, &res), 0);
	run();
	ck_assert_int_eq(res.calls, 1);
	ck_assert_int_eq(res.r, -EMSGSIZE);
	ck_assert_uint_le(res.body_len, 1000);
	ck_assert_ptr_nonnull(strstr(res.error, "cap"));
	/* the default cap lets it through */
	req.max_body = 0;
	ck_assert_int_eq(cohd_http_submit(http, &req, on_done, &ok), 0);
	run();
	ck_assert_int_eq(ok.r, 0);
	ck_assert_uint_eq(ok.body_len, 100000);
}
END_TEST

START_TEST(test_timeout)
{
	struct result res = {};
	struct cohd_http_request req = {
		.method = "GET", .url = url("/hang"), .timeout = 200 * USEC_PER_MSEC};
	usec_t t0 = cohd_now_monotonic();

	ck_assert_int_eq(cohd_http_submit(http, &req, on_done, &res), 0);
	run();
	ck_assert_int_eq(res.calls, 1);
	ck_assert_int_eq(res.r, -ETIMEDOUT);
	ck_assert_str_ne(res.error, "");
	ck_assert_uint_lt(cohd_now_monotonic() - t0, 5 * USEC_PER_SEC);
}
END_TEST

START_TEST(test_connection_refused)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct result res = {};
	char u[64];

	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd); /* nobody listens there now */
	snprintf(u, sizeof u, "http://127.0.0.1:%d/", ntohs(a.sin_port));
	ck_assert_int_eq(cohd_http_submit(http,
					  &(struct cohd_http_request){.method = "GET", .url = u},
					  on_done, &res),
			 0);
	run();
	ck_assert_int_eq(res.calls, 1);
	ck_assert_int_eq(res.r, -ECONNREFUSED);
}
END_TEST

static struct result cancelled[3];

static void stop_loop(uv_timer_t *t)
{
	uv_stop(t->loop);
}

START_TEST(test_cancel_on_shutdown)
{
	uv_timer_t t;
	struct result late = {};

	memset(cancelled, 0, sizeof cancelled);
	for (size_t i = 0; i < ELEMENTSOF(cancelled); i++)
		ck_assert_int_eq(submit("/hang", &cancelled[i]), 0);
	ck_assert_int_eq(uv_timer_init(&loop, &t), 0);
	ck_assert_int_eq(uv_timer_start(&t, stop_loop, 300, 0), 0);
	run(); /* until the timer stops it: the requests are on the wire, unanswered */
	uv_close((uv_handle_t *)&t, NULL);
	for (size_t i = 0; i < ELEMENTSOF(cancelled); i++)
		ck_assert_int_eq(cancelled[i].calls, 0);

	http = cohd_http_free(http);
	for (size_t i = 0; i < ELEMENTSOF(cancelled); i++) {
		ck_assert_int_eq(cancelled[i].calls, 1);
		ck_assert_int_eq(cancelled[i].r, -ECANCELED);
	}
	run();
	for (size_t i = 0; i < ELEMENTSOF(cancelled); i++)
		ck_assert_int_eq(cancelled[i].calls, 1); /* exactly once */
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	ck_assert_int_eq(uv_loop_init(&loop), 0); /* for teardown */
	(void)late;
}
END_TEST

START_TEST(test_url_policy)
{
	struct result res = {};

	ck_assert_int_eq(cohd_http_check_url("https://ec2.us-east-1.amazonaws.com/", 0), 0);
	ck_assert_int_eq(cohd_http_check_url("http://ec2.us-east-1.amazonaws.com/", 0), -EPERM);
	ck_assert_int_eq(cohd_http_check_url("http://127.0.0.1:5000/", 0), 0);
	ck_assert_int_eq(cohd_http_check_url("http://[::1]:5000/", 0), 0);
	ck_assert_int_eq(cohd_http_check_url("http://localhost/", 0), 0);
	ck_assert_int_eq(cohd_http_check_url("http://127.0.0.1@evil.example/", 0), -EPERM);
	ck_assert_int_eq(cohd_http_check_url("ftp://127.0.0.1/", 0), -EPERM);
	ck_assert_int_eq(cohd_http_check_url("file:///etc/passwd", 0), -EPERM);
	ck_assert_int_eq(cohd_http_check_url("http://169.254.169.254/latest/api/token", 0), -EPERM);
	ck_assert_int_eq(
		cohd_http_check_url("http://169.254.169.254/latest/api/token", COHD_HTTP_METADATA),
		0);
	ck_assert_int_eq(cohd_http_check_url("http://169.254.170.2/v2/creds", COHD_HTTP_METADATA),
			 0);
	ck_assert_int_eq(cohd_http_check_url("http://169.254.170.23/v1/creds", COHD_HTTP_METADATA),
			 0);
	ck_assert_int_eq(cohd_http_check_url("http://[fd00:ec2::254]/", COHD_HTTP_METADATA), 0);
	ck_assert_int_eq(cohd_http_check_url("http://169.254.169.253/", COHD_HTTP_METADATA),
			 -EPERM);
	ck_assert_int_eq(cohd_http_check_url("not a url", 0), -EINVAL);

	ck_assert_int_eq(cohd_http_submit(http,
					  &(struct cohd_http_request){.method = "GET",
								      .url = "http://example.com/"},
					  on_done, &res),
			 -EPERM);
	ck_assert_int_eq(
		cohd_http_submit(http,
				 &(struct cohd_http_request){.method = "BREW", .url = url("/ok")},
				 on_done, &res),
		-EINVAL);
	run();
	ck_assert_int_eq(res.calls, 0); /* refused submits never call back */
}
END_TEST

START_TEST(test_post_body_and_headers_sent)
{
	struct result res = {};
	const struct cohd_http_field hdr[] = {
		{"Authorization", "AWS4-HMAC-SHA256 Credential=AKID/x, Signature=abc"},
		{"X-Amz-Target", "Foo.Bar"},
	};
	struct cohd_http_request req = {.method = "POST",
					.url = url("/echo"),
					.headers = hdr,
					.n_headers = ELEMENTSOF(hdr),
					.body = "{\"a\":1}",
					.body_len = 7};

	ck_assert_int_eq(cohd_http_submit(http, &req, on_done, &res), 0);
	run();
	ck_assert_int_eq(res.r, 0);
	ck_assert_ptr_nonnull(strstr(res.body, "POST /echo HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(res.body, "X-Amz-Target: Foo.Bar\r\n"));
	ck_assert_ptr_nonnull(strstr(res.body, "Content-Length: 7\r\n"));
	ck_assert_ptr_nonnull(strstr(res.body, "{\"a\":1}"));
	ck_assert_ptr_null(strstr(res.body, "Expect:"));
	ck_assert_ptr_null(strstr(res.body, "Content-Type:")); /* curl's form default removed */
	ck_assert_ptr_null(strstr(res.body, "Accept:"));
}
END_TEST

START_TEST(test_redact)
{
	struct cohd_buf b;

	cohd_buf_init(&b, 1024);
	http_redact_line("Authorization: AWS4-HMAC-SHA256 Credential=AKID, Signature=f00\r\n", 64,
			 &b);
	ck_assert_str_eq(cohd_buf_str(&b), "Authorization: <redacted>");
	cohd_buf_reset(&b);
	http_redact_line("x-amz-security-token: SECRET\r\n", 30, &b);
	ck_assert_str_eq(cohd_buf_str(&b), "x-amz-security-token: <redacted>");
	cohd_buf_reset(&b);
	http_redact_line("X-aws-ec2-metadata-token: T\n", 28, &b);
	ck_assert_str_eq(cohd_buf_str(&b), "X-aws-ec2-metadata-token: <redacted>");
	cohd_buf_reset(&b);
	http_redact_line("Host: x\r\n", 9, &b);
	ck_assert_str_eq(cohd_buf_str(&b), "Host: x");
	cohd_buf_done(&b);
}
END_TEST

/* With tracing on, the Authorization value never reaches the log (stderr captured to a file). */
START_TEST(test_trace_redacted)
{
	char path[] = "/tmp/cohd-test-trace.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	struct result res = {};
	const struct cohd_http_field hdr[] = {{"Authorization", "SUPERSECRETSIG"}};
	struct cohd_http *h2;
	_cleanup_free_ char *log = NULL;

	ck_assert_int_ge(fd, 0);
	cohd_log_set_target(COHD_LOG_TARGET_STDERR);
	cohd_log_set_group_debug(COHD_LOG_HTTP, true);
	ck_assert_int_eq(cohd_http_new(&loop, NULL, &h2), 0);
	dup2(fd, STDERR_FILENO);
	ck_assert_int_eq(cohd_http_submit(h2,
					  &(struct cohd_http_request){.method = "GET",
								      .url = url("/ok"),
								      .headers = hdr,
								      .n_headers = 1},
					  on_done, &res),
			 0);
	run();
	dup2(saved, STDERR_FILENO);
	h2 = cohd_http_free(h2);
	run();
	ck_assert_int_eq(res.status, 200);
	log = test_read_file(path, NULL);
	unlink(path);
	ck_assert_ptr_nonnull(strstr(log, "Authorization: <redacted>"));
	ck_assert_ptr_null(strstr(log, "SUPERSECRETSIG"));
	cohd_log_set_group_debug(COHD_LOG_HTTP, false);
}
END_TEST

static int timer_fired;
static void on_timer(struct cohd_http_timer *t, void *userdata)
{
	timer_fired++;
	*(struct cohd_http_timer **)userdata = cohd_http_timer_free(t);
}

START_TEST(test_timer)
{
	struct cohd_http_timer *t = NULL, *t2 = NULL;

	timer_fired = 0;
	ck_assert_int_eq(cohd_http_timer_new(http, on_timer, &t, &t), 0);
	ck_assert_int_eq(cohd_http_timer_start(t, 10 * USEC_PER_MSEC), 0);
	ck_assert(cohd_http_timer_active(t));
	ck_assert_int_eq(cohd_http_timer_new(http, on_timer, &t2, &t2), 0);
	ck_assert_int_eq(cohd_http_timer_start(t2, 10 * USEC_PER_SEC), 0);
	cohd_http_timer_stop(t2);
	t2 = cohd_http_timer_free(t2);
	run();
	ck_assert_int_eq(timer_fired, 1);
	ck_assert_ptr_null(t);
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("http");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_get_and_headers);
	tcase_add_test(tc, test_keepalive_reuse);
	tcase_add_test(tc, test_many_in_flight);
	tcase_add_test(tc, test_body_cap);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_connection_refused);
	tcase_add_test(tc, test_cancel_on_shutdown);
	tcase_add_test(tc, test_url_policy);
	tcase_add_test(tc, test_post_body_and_headers_sent);
	tcase_add_test(tc, test_redact);
	tcase_add_test(tc, test_trace_redacted);
	tcase_add_test(tc, test_timer);
	suite_add_tcase(s, tc);
	return s;
}

COHD_TEST_MAIN(http_suite)
