/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/aws/http requests: URL policy (https only; http:// to loopback for tests and to the
 * link-local credential endpoints for credential fetches), per-request curl options (timeouts,
 * capped body and headers, CA bundle, no signals), the curl error mapping (style.md §2.3) and the
 * one completion per request. Tracing goes to log_debug(HTTP) with credentials redacted.
 * Loop thread only; see http_uv.c for the libuv side.
 */
#include <ctype.h>
#include <stdlib.h>
#include <strings.h>

#include "lib/aws/http/http-internal.h"
#include "lib/util/log.h"
#include "lib/util/macro.h"

#define DEFAULT_MAX_HOST_CONNECTIONS 16
#define DEFAULT_CONNECT_TIMEOUT (5 * USEC_PER_SEC)
#define DEFAULT_TIMEOUT (60 * USEC_PER_SEC)
#define DEFAULT_MAX_BODY (16u << 20)
#define MAX_RESPONSE_HEADERS (64u << 10)

static int curl_global_state; /* 0 untried, 1 ok, <0 failed */

int http_errno_from_curl(CURLcode c)
{
	switch (c) {
	case CURLE_OK:
		return 0;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_PEER_FAILED_VERIFICATION:
		return -EPERM;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

int cohd_http_new(struct uv_loop_s *loop, const struct cohd_http_config *config,
		  struct cohd_http **ret)
{
	struct cohd_http *h;
	const char *ca;
	int r;

	cohd_assert_return(loop && ret, -EINVAL);
	if (curl_global_state == 0)
		curl_global_state = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 1 : -EIO;
	if (curl_global_state < 0)
		return curl_global_state;

	h = calloc(1, sizeof *h);
	if (!h)
		return -ENOMEM;
	h->loop = loop;
	if (config)
		h->cfg = *config;
	if (!h->cfg.max_host_connections)
		h->cfg.max_host_connections = DEFAULT_MAX_HOST_CONNECTIONS;
	if (!h->cfg.connect_timeout)
		h->cfg.connect_timeout = DEFAULT_CONNECT_TIMEOUT;
	if (!h->cfg.timeout)
		h->cfg.timeout = DEFAULT_TIMEOUT;
	if (!h->cfg.max_body)
		h->cfg.max_body = DEFAULT_MAX_BODY;
	ca = h->cfg.ca_bundle ? h->cfg.ca_bundle : getenv("AWS_CA_BUNDLE");
	if (!isempty(ca) && !(h->ca_bundle = strdup(ca)))
		goto oom;
	h->user_agent = strdup(h->cfg.user_agent ? h->cfg.user_agent : "cohd/" COHD_VERSION);
	if (!h->user_agent)
		goto oom;
	h->cfg.ca_bundle = h->ca_bundle;
	h->cfg.user_agent = h->user_agent;

	h->multi = curl_multi_init();
	if (!h->multi) {
		r = -EIO;
		goto fail;
	}
	(void)curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
				(long)h->cfg.max_host_connections);
	/* keep enough idle connections around for keep-alive reuse across hosts */
	(void)curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS,
				(long)h->cfg.max_host_connections * 4);
	r = http_uv_init(h);
	if (r < 0) {
		/* the timer was never initialised if uv_timer_init failed; nothing to close */
		curl_multi_cleanup(h->multi);
		goto fail;
	}
	*ret = h;
	return 0;
oom:
	r = -ENOMEM;
fail:
	free(h->ca_bundle);
	free(h->user_agent);
	free(h);
	return r;
}

static inline void curl_freep(char **p)
{
	curl_free(*p);
}

static bool host_in(const char *host, const char *const *list)
{
	for (; *list; list++)
		if (strcasecmp(host, *list) == 0)
			return true;
	return false;
}

static int check_curlu(CURLU *u, unsigned flags)
{
	static const char *const loopback[] = {"127.0.0.1", "[::1]", "::1", "localhost", NULL};
	static const char *const metadata[] = {"169.254.169.254", "169.254.170.2", "169.254.170.23",
					       "[fd00:ec2::254]", "fd00:ec2::254", NULL};
	_cleanup_(curl_freep) char *scheme = NULL, *host = NULL;

	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		return -EINVAL;
	if (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0)
		return -EPERM;
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		return -EINVAL;
	if (strcasecmp(scheme, "https") == 0)
		return 0;
	if (host_in(host, loopback))
		return 0;
	if ((flags & COHD_HTTP_METADATA) && host_in(host, metadata))
		return 0;
	return -EPERM;
}

static int parse_url(const char *url, unsigned flags, CURLU **ret)
{
	CURLU *u;
	int r;

	if (isempty(url))
		return -EINVAL;
	u = curl_url();
	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return -EINVAL;
	}
	r = check_curlu(u, flags);
	if (r < 0) {
		curl_url_cleanup(u);
		return r;
	}
	*ret = u;
	return 0;
}

int cohd_http_check_url(const char *url, unsigned flags)
{
	CURLU *u;
	int r = parse_url(url, flags, &u);

	if (r < 0)
		return r;
	curl_url_cleanup(u);
	return 0;
}

unsigned cohd_http_in_flight(const struct cohd_http *h)
{
	return h ? h->n_in_flight : 0;
}

struct uv_loop_s *cohd_http_loop(const struct cohd_http *h)
{
	return h->loop;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct cohd_http_req *req = userdata;
	size_t n = size * nmemb;
	int r = cohd_buf_append(&req->resp.body, ptr, n);

	if (r < 0) {
		req->write_error = r;
		return 0; /* CURLE_WRITE_ERROR ends the transfer */
	}
	return n;
}

static size_t header_cb(char *ptr, size_t size, size_t nitems, void *userdata)
{
	struct cohd_http_req *req = userdata;
	size_t n = size * nitems;
	int r;

	/* a new status line starts a new response (1xx, or after auth/redirect): keep the last */
	if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0)
		cohd_buf_reset(&req->head);
	r = cohd_buf_append(&req->head, ptr, n);
	if (r < 0) {
		req->write_error = r;
		return 0;
	}
	return n;
}

static bool header_is_secret(const char *line, size_t len)
{
	static const char *const secret[] = {
		"authorization:", "x-amz-security-token:", "x-aws-ec2-metadata-token:", NULL};

	for (const char *const *s = secret; *s; s++) {
		size_t l = strlen(*s);

		if (len >= l && strncasecmp(line, *s, l) == 0)
			return true;
	}
	return false;
}

void http_redact_line(const char *line, size_t len, struct cohd_buf *out)
{
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (header_is_secret(line, len)) {
		const char *colon = memchr(line, ':', len);

		(void)cohd_buf_append(out, line, (size_t)(colon - line));
		(void)cohd_buf_append_str(out, ": <redacted>");
	} else
		(void)cohd_buf_append(out, line, len);
}

static int debug_cb(CURL *easy, curl_infotype type, char *data, size_t size, void *userp)
{
	struct cohd_http_req *req = userp;
	const char *dir;

	switch (type) {
	case CURLINFO_TEXT:
		dir = "*";
		break;
	case CURLINFO_HEADER_IN:
		dir = "<";
		break;
	case CURLINFO_HEADER_OUT:
		dir = ">";
		break;
	default:
		return 0; /* bodies are never traced: they may hold credentials */
	}
	while (size) {
		const char *nl = memchr(data, '\n', size);
		size_t l = nl ? (size_t)(nl - data) + 1 : size;
		struct cohd_buf line;

		cohd_buf_init(&line, 8192);
		http_redact_line(data, l, &line);
		if (line.len)
			log_debug(HTTP, "%p %s %s", (void *)req, dir, cohd_buf_str(&line));
		cohd_buf_done(&line);
		data += l;
		size -= l;
	}
	return 0;
}

static void req_free(struct cohd_http_req *req)
{
	struct cohd_http *h = req->http;

	if (req->easy && !h->closing && h->n_pool < HTTP_EASY_POOL) {
		curl_easy_reset(req->easy);
		h->pool[h->n_pool++] = req->easy;
	} else if (req->easy)
		curl_easy_cleanup(req->easy);
	curl_url_cleanup(req->url);
	curl_slist_free_all(req->headers);
	cohd_buf_done(&req->resp.body);
	cohd_buf_done(&req->head);
	free(req->resp.headers);
	free(req);
}

static int add_header(struct curl_slist **l, const char *name, const char *value)
{
	_cleanup_free_ char *line = NULL;
	struct curl_slist *n;

	/* "Name;" sends an empty header, "Name:" removes one of curl's own */
	if (value && !*value) {
		if (asprintf(&line, "%s;", name) < 0)
			return -ENOMEM;
	} else if (asprintf(&line, "%s:%s%s", name, value ? " " : "", strempty(value)) < 0)
		return -ENOMEM;
	n = curl_slist_append(*l, line);
	if (!n)
		return -ENOMEM;
	*l = n;
	return 0;
}

static bool has_header(const struct cohd_http_request *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return true;
	return false;
}

static int setup_easy(struct cohd_http *h, struct cohd_http_req *req,
		      const struct cohd_http_request *r)
{
	CURL *e = req->easy;
	CURLcode c = CURLE_OK;
	usec_t ct = r->connect_timeout ? r->connect_timeout : h->cfg.connect_timeout;
	usec_t tt = r->timeout ? r->timeout : h->cfg.timeout;
	bool body = r->body_len > 0 || streq(r->method, "PUT") || streq(r->method, "POST") ||
		    streq(r->method, "PATCH");

	for (size_t i = 0; i < r->n_headers; i++)
		if (add_header(&req->headers, r->headers[i].name, r->headers[i].value) < 0)
			return -ENOMEM;
	/* curl's own defaults that AWS does not want: Expect: 100-continue on large bodies, the
	 * form Content-Type on POST bodies, Accept */
	if (add_header(&req->headers, "Expect", NULL) < 0 ||
	    add_header(&req->headers, "Accept", NULL) < 0 ||
	    (body && !has_header(r, "Content-Type") &&
	     add_header(&req->headers, "Content-Type", NULL) < 0))
		return -ENOMEM;

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (c == CURLE_OK)                                                                 \
			c = curl_easy_setopt(e, opt, val);                                         \
	} while (0)
	SET(CURLOPT_PRIVATE, req);
	SET(CURLOPT_CURLU, req->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https"); /* http only as check_curlu() allowed */
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, req->errbuf);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)(ct / USEC_PER_MSEC));
	SET(CURLOPT_TIMEOUT_MS, (long)(tt / USEC_PER_MSEC));
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, req);
	SET(CURLOPT_HEADERFUNCTION, header_cb);
	SET(CURLOPT_HEADERDATA, req);
	SET(CURLOPT_HTTPHEADER, req->headers);
	SET(CURLOPT_USERAGENT, h->user_agent);
	SET(CURLOPT_ACCEPT_ENCODING, NULL);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	/* verification stays on: there is deliberately no option to turn it off */
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_bundle)
		SET(CURLOPT_CAINFO, h->ca_bundle);
	/* checked per request: the level can change at run time (cohd-status log-level) */
	if (cohd_log_enabled(LOG_DEBUG, COHD_LOG_HTTP)) {
		SET(CURLOPT_VERBOSE, 1L);
		SET(CURLOPT_DEBUGFUNCTION, debug_cb);
		SET(CURLOPT_DEBUGDATA, req);
	}

	if (streq(r->method, "GET"))
		SET(CURLOPT_HTTPGET, 1L);
	else if (streq(r->method, "HEAD"))
		SET(CURLOPT_NOBODY, 1L);
	else if (!streq(r->method, "POST"))
		SET(CURLOPT_CUSTOMREQUEST, r->method);
	if (body) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		SET(CURLOPT_COPYPOSTFIELDS, r->body_len ? (const char *)r->body : "");
	}
#undef SET
	if (c == CURLE_OK)
		c = http_uv_setup_easy(h, e);
	if (c != CURLE_OK)
		return c == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
	return 0;
}

static bool method_ok(const char *m)
{
	static const char *const ok[] = {"GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", NULL};

	for (const char *const *s = ok; *s; s++)
		if (streq_ptr(m, *s))
			return true;
	return false;
}

int cohd_http_submit(struct cohd_http *h, const struct cohd_http_request *r, cohd_http_cb cb,
		     void *userdata)
{
	struct cohd_http_req *req;
	int ret;

	cohd_assert_return(h && r && cb, -EINVAL);
	if (h->closing)
		return -ESHUTDOWN;
	if (!method_ok(r->method))
		return -EINVAL;

	req = calloc(1, sizeof *req);
	if (!req)
		return -ENOMEM;
	req->http = h;
	req->cb = cb;
	req->userdata = userdata;
	req->flags = r->flags;
	cohd_buf_init(&req->resp.body, r->max_body ? r->max_body : h->cfg.max_body);
	req->resp.body.secret = r->flags & COHD_HTTP_SECRET;
	cohd_buf_init(&req->head, MAX_RESPONSE_HEADERS);
	req->head.secret = r->flags & COHD_HTTP_SECRET;

	ret = parse_url(r->url, r->flags, &req->url);
	if (ret < 0)
		goto fail;
	req->easy = h->n_pool ? h->pool[--h->n_pool] : curl_easy_init();
	if (!req->easy) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = setup_easy(h, req, r);
	if (ret < 0)
		goto fail;
	/* add_handle only arms the timer (cb_timeout with 0 -> 1 ms): the transfer and its
	 * completion happen later, from the loop */
	if (curl_multi_add_handle(h->multi, req->easy) != CURLM_OK) {
		ret = -ENOMEM;
		goto fail;
	}
	req->next = h->reqs;
	if (h->reqs)
		h->reqs->prev = req;
	h->reqs = req;
	h->n_in_flight++;
	return 0;
fail:
	req_free(req);
	return ret;
}

/* Split the raw header block in place into name/value pairs (values trimmed). */
static int parse_headers(struct cohd_http_req *req)
{
	char *p = req->head.data, *end;
	size_t n = 0, alloc = 0;

	if (!p)
		return 0;
	end = p + req->head.len;
	while (p < end) {
		char *eol = memchr(p, '\n', (size_t)(end - p));
		char *line = p, *colon, *v, *ve;

		if (!eol)
			eol = end;
		p = eol + 1;
		ve = eol;
		while (ve > line && (ve[-1] == '\r' || ve[-1] == '\n'))
			ve--;
		*ve = 0;
		colon = strchr(line, ':');
		if (!colon || colon == line)
			continue; /* status line, blank line, or junk */
		*colon = 0;
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			*--ve = 0;
		if (n == alloc) {
			size_t na = alloc ? alloc * 2 : 16;
			struct cohd_http_field *nh = realloc(req->resp.headers, na * sizeof *nh);

			if (!nh)
				return -ENOMEM;
			req->resp.headers = nh;
			alloc = na;
		}
		req->resp.headers[n++] = (struct cohd_http_field){line, v};
		req->resp.n_headers = n;
	}
	return 0;
}

const char *cohd_http_response_header(const struct cohd_http_response *resp, const char *name)
{
	if (!resp || !name)
		return NULL;
	for (size_t i = resp->n_headers; i > 0; i--)
		if (strcasecmp(resp->headers[i - 1].name, name) == 0)
			return resp->headers[i - 1].value;
	return NULL;
}

static void req_unlink(struct cohd_http_req *req)
{
	struct cohd_http *h = req->http;

	if (req->prev)
		req->prev->next = req->next;
	else
		h->reqs = req->next;
	if (req->next)
		req->next->prev = req->prev;
	req->prev = req->next = NULL;
	h->n_in_flight--;
}

/* Complete one request: map the result once, call back, free. Runs from check_multi_info()
 * or, with CURLE_ABORTED_BY_CALLBACK standing for -ECANCELED, from cohd_http_free(). */
static void req_finish(struct cohd_http_req *req, int r)
{
	struct cohd_http *h = req->http;
	long status = 0, connects = 0;

	(void)curl_multi_remove_handle(h->multi, req->easy);
	req_unlink(req);
	if (r == 0) {
		(void)curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
		(void)curl_easy_getinfo(req->easy, CURLINFO_NUM_CONNECTS, &connects);
		req->resp.status = status;
		req->resp.reused_connection = connects == 0;
		r = parse_headers(req);
	}
	req->resp.error = r < 0 && r != -ECANCELED ? req->errbuf : "";
	if (r < 0 && r != -ECANCELED && !req->errbuf[0])
		snprintf(req->errbuf, sizeof req->errbuf, "%s", strerror(-r));
	if (r < 0)
		log_debug(HTTP, "%p failed: %s", (void *)req,
			  r == -ECANCELED ? "cancelled" : req->errbuf);
	req->cb(r, &req->resp, req->userdata);
	req_free(req);
}

void http_req_done(struct cohd_http_req *req, CURLcode result)
{
	int r;

	if (req->write_error && (result == CURLE_WRITE_ERROR || result == CURLE_OK)) {
		r = req->write_error;
		snprintf(req->errbuf, sizeof req->errbuf, "response %s over the size cap",
			 req->resp.body.len >= req->resp.body.cap ? "body" : "headers");
		if (r == -ENOMEM)
			snprintf(req->errbuf, sizeof req->errbuf, "out of memory");
	} else
		r = http_errno_from_curl(result);
	if (r < 0 && !req->errbuf[0])
		snprintf(req->errbuf, sizeof req->errbuf, "%s", curl_easy_strerror(result));
	req_finish(req, r);
}

void http_free_final(struct cohd_http *h)
{
	free(h->ca_bundle);
	free(h->user_agent);
	free(h);
}

struct cohd_http *cohd_http_free(struct cohd_http *h)
{
	if (!h || h->closing)
		return NULL;
	/* fix 4: refuse submits, cancel what is in flight, then tear curl down with uv alive */
	h->closing = true;
	while (h->reqs)
		req_finish(h->reqs, -ECANCELED);
	while (h->n_pool)
		curl_easy_cleanup(h->pool[--h->n_pool]);
	http_uv_shutdown(h);
	http_uv_maybe_free(h);
	return NULL;
}
