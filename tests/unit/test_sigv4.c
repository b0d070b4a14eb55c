/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for lib/aws/sigv4 against the official suites in tests/data/sigv4 (see its README):
 *  - aws-c-auth/v4/<case>/: every case, header and query (presigned) signing, comparing the
 *    canonical request, string to sign, signature and signed request byte for byte;
 *  - botocore/aws4_testsuite/ (all sub-folders): every case (.creq .sts .authz .sreq). botocore's own runner
 *    skips normalize-path/get-space and get-vanilla-query-order-key/-value/-key-case; we run
 *    them too (they pass), so nothing is skipped. One data fix: the .sreq of
 *    get-vanilla-with-session-token contradicts its own .authz (see test_botocore).
 * Plus the signing-key cache, redaction, S3 rules and argument errors.
 */
#include <dirent.h>
#include <jansson.h>
#include <strings.h>

#include "lib/aws/sigv4/sigv4.h"
#include "lib/util/time.h"
#include "test.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define STS_TOKEN                                                                                  \
	"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmx" \
	"fpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0" \
	"KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZ" \
	"bqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

/* ---- a tiny raw-request splitter (test code only) ---- */

struct raw_req {
	char *method;
	char *target; /* path[?query] */
	char *path;
	char *query;  /* NULL when none */
	char *head;   /* request line + header lines, each ending in '\n' */
	struct cohd_http_header *h;
	size_t n;
	char *body;
	size_t body_len;
	bool had_blank; /* a blank line separated head and body */
};

static void raw_req_done(struct raw_req *r)
{
	free(r->method);
	free(r->target);
	free(r->path);
	free(r->query);
	free(r->head);
	cohd_http_headers_free(r->h, r->n);
	free(r->body);
}

static void raw_req_parse(const char *text, struct raw_req *r)
{
	const char *eol = strchr(text, '\n'), *sp1, *sp2, *p, *q;
	size_t head_len;

	*r = (struct raw_req){};
	ck_assert_ptr_nonnull(eol);
	sp1 = memchr(text, ' ', (size_t)(eol - text));
	ck_assert_ptr_nonnull(sp1);
	sp2 = eol;
	while (sp2 > sp1 && sp2[-1] != ' ')
		sp2--;
	sp2--; /* the space before HTTP/1.1 */
	r->method = strndup(text, (size_t)(sp1 - text));
	r->target = strndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	q = strchr(r->target, '?');
	r->path = q ? strndup(r->target, (size_t)(q - r->target)) : strdup(r->target);
	r->query = q ? strdup(q + 1) : NULL;
	r->h = calloc(64, sizeof *r->h);

	p = eol + 1;
	while (*p) {
		const char *e = strchr(p, '\n'), *colon;
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == 0) {
			r->had_blank = true;
			p = e + 1;
			break;
		}
		if (p[0] == ' ' || p[0] == '\t') {
			/* obs-fold continuation: keep it in the value, the signer folds it */
			struct cohd_http_header *last = &r->h[r->n - 1];
			char *v;

			ck_assert_int_ge(asprintf(&v, "%s\n%.*s", last->value, (int)len, p), 0);
			free(last->value);
			last->value = v;
		} else {
			colon = memchr(p, ':', len);
			ck_assert_ptr_nonnull(colon);
			r->h[r->n].name = strndup(p, (size_t)(colon - p));
			r->h[r->n].value = strndup(colon + 1, len - (size_t)(colon - p) - 1);
			r->n++;
			ck_assert_uint_lt(r->n, 64);
		}
		p = e ? e + 1 : p + len;
	}
	head_len = (size_t)(p - text);
	if (r->had_blank)
		head_len--; /* drop the blank line from head */
	r->head = strndup(text, head_len);
	if (r->head[0] && r->head[strlen(r->head) - 1] != '\n') {
		char *h2;

		ck_assert_int_ge(asprintf(&h2, "%s\n", r->head), 0);
		free(r->head);
		r->head = h2;
	}
	r->body_len = strlen(p);
	r->body = strdup(p);
}

static const char *raw_header(const struct raw_req *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcasecmp(r->h[i].name, name) == 0)
			return r->h[i].value;
	return NULL;
}

static usec_t vector_time(const char *iso)
{
	usec_t t;

	ck_assert_int_eq(cohd_parse_iso8601(iso, &t), 0);
	return t;
}

static void assert_file_eq(const char *path, const char *got)
{
	_cleanup_free_ char *want = test_read_file(path, NULL);

	ck_assert_msg(streq(want, got), "%s differs:\n--- want\n%s\n--- got\n%s", path, want, got);
}

/* ---- aws-c-auth v4 ---- */

static const char *const c_auth_cases[] = {
	"get-header-key-duplicate",
	"get-header-value-multiline",
	"get-header-value-order",
	"get-header-value-trim",
	"get-relative-normalized",
	"get-relative-relative-normalized",
	"get-relative-relative-unnormalized",
	"get-relative-unnormalized",
	"get-slash-dot-slash-normalized",
	"get-slash-dot-slash-unnormalized",
	"get-slash-normalized",
	"get-slash-pointless-dot-normalized",
	"get-slash-pointless-dot-unnormalized",
	"get-slash-unnormalized",
	"get-slashes-normalized",
	"get-slashes-unnormalized",
	"get-space-normalized",
	"get-space-unnormalized",
	"get-unreserved",
	"get-utf8",
	"get-vanilla",
	"get-vanilla-empty-query-key",
	"get-vanilla-query",
	"get-vanilla-query-order-encoded",
	"get-vanilla-query-order-key-case",
	"get-vanilla-query-unreserved",
	"get-vanilla-utf8-query",
	"get-vanilla-with-session-token",
	"post-header-key-case",
	"post-header-key-sort",
	"post-header-value-case",
	"post-sts-header-after",
	"post-sts-header-before",
	"post-vanilla",
	"post-vanilla-empty-query-value",
	"post-vanilla-query",
	"post-x-www-form-urlencoded",
	"post-x-www-form-urlencoded-parameters",
};

static void c_auth_file(char *buf, size_t n, const char *c, const char *f)
{
	snprintf(buf, n, "%s", test_data_path("sigv4/aws-c-auth/v4/"));
	strncat(buf, c, n - strlen(buf) - 1);
	strncat(buf, "/", n - strlen(buf) - 1);
	strncat(buf, f, n - strlen(buf) - 1);
}

static void run_c_auth_case(const char *name, bool presign)
{
	char path[PATH_MAX];
	_cleanup_free_ char *text = NULL, *creq = NULL, *sts = NULL, *signed_req = NULL;
	json_auto_t *ctx = NULL;
	json_error_t jerr;
	struct raw_req rr;
	struct cohd_sigv4_params p;
	struct cohd_sigv4_request req;
	struct cohd_sigv4_result res = {};
	char sig[COHD_SIGV4_HEX_MAX];
	const char *pre = presign ? "query-" : "header-";
	char fname[64];

	c_auth_file(path, sizeof path, name, "context.json");
	ctx = json_load_file(path, 0, &jerr);
	ck_assert_msg(ctx, "%s: %s", path, jerr.text);
	c_auth_file(path, sizeof path, name, "request.txt");
	text = test_read_file(path, NULL);
	raw_req_parse(text, &rr);

	cohd_sigv4_params_init(&p, json_string_value(json_object_get(ctx, "service")),
			       json_string_value(json_object_get(ctx, "region")),
			       vector_time(json_string_value(json_object_get(ctx, "timestamp"))));
	{
		json_t *cr = json_object_get(ctx, "credentials");

		p.access_key_id = json_string_value(json_object_get(cr, "access_key_id"));
		p.secret_access_key = json_string_value(json_object_get(cr, "secret_access_key"));
		p.session_token = json_string_value(json_object_get(cr, "token"));
	}
	p.normalize_path = json_is_true(json_object_get(ctx, "normalize"));
	p.double_encode_path = true; /* the suite always encodes the wire path once more */
	p.sign_body = json_is_true(json_object_get(ctx, "sign_body"));
	p.omit_session_token = json_is_true(json_object_get(ctx, "omit_session_token"));
	p.presign = presign;
	p.expires = (unsigned)json_integer_value(json_object_get(ctx, "expiration_in_seconds"));

	req = (struct cohd_sigv4_request){
		.method = rr.method,
		.path = rr.path,
		.query = rr.query,
		.headers = rr.h,
		.n_headers = rr.n,
		.body = rr.body,
		.body_len = rr.body_len,
	};

	ck_assert_int_eq(cohd_sigv4_canonical_request(&req, &p, &creq, NULL), 0);
	snprintf(fname, sizeof fname, "%scanonical-request.txt", pre);
	c_auth_file(path, sizeof path, name, fname);
	assert_file_eq(path, creq);

	ck_assert_int_eq(cohd_sigv4_string_to_sign(creq, &p, &sts), 0);
	snprintf(fname, sizeof fname, "%sstring-to-sign.txt", pre);
	c_auth_file(path, sizeof path, name, fname);
	assert_file_eq(path, sts);

	ck_assert_int_eq(cohd_sigv4_signature(sts, &p, sig), 0);
	snprintf(fname, sizeof fname, "%ssignature.txt", pre);
	c_auth_file(path, sizeof path, name, fname);
	assert_file_eq(path, sig);

	ck_assert_int_eq(cohd_sigv4_sign(&req, &p, &res), 0);
	ck_assert_str_eq(res.signature, sig);
	if (presign) {
		const char *nl = strchr(rr.head, '\n');

		ck_assert_uint_eq(res.n_headers, 0);
		ck_assert_ptr_nonnull(res.query);
		ck_assert_int_ge(asprintf(&signed_req, "%s %s?%s HTTP/1.1%s\n%s", rr.method, rr.path,
					  res.query, nl, rr.body),
				 0);
	} else {
		_cleanup_free_ char *added = strdup("");

		ck_assert_ptr_null(res.query);
		for (size_t i = 0; i < res.n_headers; i++) {
			char *a;

			ck_assert_int_ge(asprintf(&a, "%s%s:%s\n", added, res.headers[i].name,
						  res.headers[i].value),
					 0);
			free(added);
			added = a;
		}
		ck_assert_int_ge(asprintf(&signed_req, "%s%s\n%s", rr.head, added, rr.body), 0);
	}
	snprintf(fname, sizeof fname, "%ssigned-request.txt", pre);
	c_auth_file(path, sizeof path, name, fname);
	assert_file_eq(path, signed_req);

	cohd_sigv4_result_done(&res);
	raw_req_done(&rr);
}

START_TEST(test_c_auth_header)
{
	run_c_auth_case(c_auth_cases[_i], false);
}
END_TEST

START_TEST(test_c_auth_query)
{
	run_c_auth_case(c_auth_cases[_i], true);
}
END_TEST

START_TEST(test_c_auth_all_listed)
{
	/* every directory of the suite is in c_auth_cases (nothing silently skipped) */
	DIR *d = opendir(test_data_path("sigv4/aws-c-auth/v4"));
	struct dirent *de;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		bool found = false;

		if (de->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < ELEMENTSOF(c_auth_cases); i++)
			found = found || streq(c_auth_cases[i], de->d_name);
		ck_assert_msg(found, "case %s not run", de->d_name);
		n++;
	}
	closedir(d);
	ck_assert_uint_eq(n, ELEMENTSOF(c_auth_cases));
}
END_TEST

/* ---- botocore aws4_testsuite ---- */

static const char *const botocore_cases[] = {
	"get-header-key-duplicate/get-header-key-duplicate",
	"get-header-value-multiline/get-header-value-multiline",
	"get-header-value-order/get-header-value-order",
	"get-header-value-trim/get-header-value-trim",
	"get-unreserved/get-unreserved",
	"get-utf8/get-utf8",
	"get-vanilla/get-vanilla",
	"get-vanilla-empty-query-key/get-vanilla-empty-query-key",
	"get-vanilla-query/get-vanilla-query",
	"get-vanilla-query-order-encoded/get-vanilla-query-order-encoded",
	"get-vanilla-query-order-key/get-vanilla-query-order-key",     /* botocore skips */
	"get-vanilla-query-order-key-case/get-vanilla-query-order-key-case", /* botocore skips */
	"get-vanilla-query-order-value/get-vanilla-query-order-value", /* botocore skips */
	"get-vanilla-query-unreserved/get-vanilla-query-unreserved",
	"get-vanilla-utf8-query/get-vanilla-utf8-query",
	"get-vanilla-with-session-token/get-vanilla-with-session-token",
	"normalize-path/get-relative/get-relative",
	"normalize-path/get-relative-relative/get-relative-relative",
	"normalize-path/get-slash/get-slash",
	"normalize-path/get-slash-dot-slash/get-slash-dot-slash",
	"normalize-path/get-slash-pointless-dot/get-slash-pointless-dot",
	"normalize-path/get-slashes/get-slashes",
	"normalize-path/get-space/get-space", /* botocore skips */
	"normalize-path/get-special-character/get-special-character",
	"post-header-key-case/post-header-key-case",
	"post-header-key-sort/post-header-key-sort",
	"post-header-value-case/post-header-value-case",
	"post-sts-token/post-sts-header-after/post-sts-header-after",
	"post-sts-token/post-sts-header-before/post-sts-header-before",
	"post-vanilla/post-vanilla",
	"post-vanilla-empty-query-value/post-vanilla-empty-query-value",
	"post-vanilla-query/post-vanilla-query",
	"post-x-www-form-urlencoded/post-x-www-form-urlencoded",
	"post-x-www-form-urlencoded-parameters/post-x-www-form-urlencoded-parameters",
};

static char *botocore_read(const char *c, const char *ext)
{
	char rel[512];

	snprintf(rel, sizeof rel, "sigv4/botocore/aws4_testsuite/%s.%s", c, ext);
	return test_read_file(test_data_path(rel), NULL);
}

START_TEST(test_botocore)
{
	const char *name = botocore_cases[_i];
	_cleanup_free_ char *text = botocore_read(name, "req");
	_cleanup_free_ char *want_creq = botocore_read(name, "creq");
	_cleanup_free_ char *want_sts = botocore_read(name, "sts");
	_cleanup_free_ char *want_authz = botocore_read(name, "authz");
	_cleanup_free_ char *want_sreq = botocore_read(name, "sreq");
	_cleanup_free_ char *creq = NULL, *sts = NULL, *sreq = NULL, *extra = NULL;
	struct cohd_sigv4_params p;
	struct cohd_sigv4_request req;
	struct cohd_sigv4_result res = {};
	struct raw_req rr;
	const char *auth = NULL;

	raw_req_parse(text, &rr);
	cohd_sigv4_params_init(&p, "service", "us-east-1", vector_time("2015-08-30T12:36:00Z"));
	p.access_key_id = AKID;
	p.secret_access_key = SECRET;
	p.session_token = raw_header(&rr, "X-Amz-Security-Token");
	if (strstr(name, "get-vanilla-with-session-token"))
		p.session_token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
	if (strstr(name, "post-sts-header-after")) {
		p.session_token = STS_TOKEN;
		p.omit_session_token = true;
	}
	req = (struct cohd_sigv4_request){
		.method = rr.method,
		.path = rr.path,
		.query = rr.query,
		.headers = rr.h,
		.n_headers = rr.n,
		.body = rr.body,
		.body_len = rr.body_len,
	};
	ck_assert_int_eq(cohd_sigv4_canonical_request(&req, &p, &creq, NULL), 0);
	ck_assert_msg(streq(creq, want_creq), "%s creq:\n%s\n---\n%s", name, want_creq, creq);
	ck_assert_int_eq(cohd_sigv4_string_to_sign(creq, &p, &sts), 0);
	ck_assert_str_eq(sts, want_sts);
	ck_assert_int_eq(cohd_sigv4_sign(&req, &p, &res), 0);

	/* the signed request: the raw head, plus what the signer added that the request did
	 * not already carry (X-Amz-Date is in every .req), then the body */
	extra = strdup("");
	for (size_t i = 0; i < res.n_headers; i++) {
		char *e;

		if (streq(res.headers[i].name, "Authorization")) {
			auth = res.headers[i].value;
			continue;
		}
		if (raw_header(&rr, res.headers[i].name))
			continue;
		ck_assert_int_ge(asprintf(&e, "%s%s:%s\n", extra, res.headers[i].name,
					  res.headers[i].value),
				 0);
		free(extra);
		extra = e;
	}
	ck_assert_ptr_nonnull(auth);
	ck_assert_str_eq(auth, want_authz);
	ck_assert_int_ge(asprintf(&sreq, "%s%sAuthorization: %s%s%s", rr.head, extra, auth,
				  rr.body_len ? "\n\n" : "", rr.body),
			 0);
	if (strstr(name, "get-vanilla-with-session-token")) {
		/* Data bug in the suite: this .sreq carries Signature=5fa00fa3... (which is not the
		 * signature of this request) while its own .authz, and aws-c-auth's copy of the case,
		 * say 07ec1639...: compare the .sreq with the .authz signature put in. */
		char *bad = strstr(want_sreq, "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2");

		ck_assert_ptr_nonnull(bad);
		memcpy(bad + STRLEN("Signature="), res.signature, COHD_SIGV4_HEX_MAX - 1);
	}
	ck_assert_msg(streq(sreq, want_sreq), "%s sreq:\n%s\n---\n%s", name, want_sreq, sreq);
	cohd_sigv4_result_done(&res);
	raw_req_done(&rr);
}
END_TEST

/* ---- unit behaviour ---- */

static const struct cohd_http_header host_only[] = {
	{ (char *)"Host", (char *)"example.amazonaws.com" },
};

static void base_params(struct cohd_sigv4_params *p, const char *service)
{
	cohd_sigv4_params_init(p, service, "us-east-1", vector_time("2015-08-30T12:36:00Z"));
	p->access_key_id = AKID;
	p->secret_access_key = SECRET;
}

START_TEST(test_canonical_path)
{
	static const struct {
		const char *in;
		bool normalize, dbl;
		const char *out;
	} t[] = {
		{ NULL, true, true, "/" },
		{ "", false, false, "/" },
		{ "/a/./b/../c//d/", true, true, "/a/c/d/" },
		{ "/a/b/..", true, true, "/a/" },
		{ "/..", true, true, "/" },
		{ "/a%20b", true, true, "/a%2520b" },       /* double encoding */
		{ "/a%20b", false, false, "/a%20b" },       /* S3: once */
		{ "/a b/$x", false, false, "/a%20b/%24x" }, /* S3: raw input encoded once */
		{ "/a%2Fb", false, false, "/a%2Fb" },       /* encoded slash stays encoded */
		{ "/a%2fb%zz", false, false, "/a%2Fb%25zz" },
		{ "//a//b//", false, false, "//a//b//" },   /* S3 keeps empty segments */
		{ "relative", true, true, "/relative" },
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_free_ char *s = NULL;

		ck_assert_int_eq(cohd_sigv4_canonical_path(t[i].in, t[i].normalize, t[i].dbl, &s), 0);
		ck_assert_msg(streq(s, t[i].out), "%zu: %s -> %s, want %s", i, strempty(t[i].in), s,
			      t[i].out);
	}
}
END_TEST

START_TEST(test_canonical_query)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ NULL, "" },
		{ "", "" },
		{ "b=2&a=1", "a=1&b=2" },
		{ "a=2&a=1&a", "a=&a=1&a=2" },
		{ "x=a b+c", "x=a%20b%2Bc" },
		{ "x=a%20b", "x=a%20b" },
		{ "&&k=v&", "k=v" },
		{ "k=v=w", "k=v%3Dw" },
		{ "%7e=%7E", "~=~" },
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_free_ char *s = NULL;

		ck_assert_int_eq(cohd_sigv4_canonical_query(t[i].in, &s), 0);
		ck_assert_msg(streq(s, t[i].out), "%zu: %s -> %s", i, strempty(t[i].in), s);
	}
}
END_TEST

START_TEST(test_canonical_headers_skip)
{
	static const struct cohd_http_header h[] = {
		{ (char *)"Host", (char *)"h" },
		{ (char *)"User-Agent", (char *)"cohd/1" },
		{ (char *)"Expect", (char *)"100-continue" },
		{ (char *)"X-Amzn-Trace-Id", (char *)"Root=1" },
		{ (char *)"Authorization", (char *)"old" },
		{ (char *)" X-B ", (char *)"\t  two\r\n   words  " },
		{ (char *)"x-a", (char *)"" },
	};
	_cleanup_free_ char *block = NULL, *sh = NULL;

	ck_assert_int_eq(cohd_sigv4_canonical_headers(h, ELEMENTSOF(h), &block, &sh), 0);
	ck_assert_str_eq(block, "host:h\nx-a:\nx-b:two words\n");
	ck_assert_str_eq(sh, "host;x-a;x-b");
}
END_TEST

START_TEST(test_s3_payload)
{
	struct cohd_sigv4_params p;
	struct cohd_sigv4_request req = { .method = "PUT", .path = "/bucket/my key",
					  .headers = host_only, .n_headers = 1,
					  .body = "hello", .body_len = 5 };
	struct cohd_sigv4_result res = {};
	_cleanup_free_ char *creq = NULL;
	char h[COHD_SIGV4_HEX_MAX];

	base_params(&p, "s3");
	ck_assert(p.sign_body && !p.normalize_path && !p.double_encode_path);
	cohd_sigv4_sha256_hex("hello", 5, h);
	ck_assert_int_eq(cohd_sigv4_sign(&req, &p, &res), 0);
	ck_assert_uint_eq(res.n_headers, 3);
	ck_assert_str_eq(res.headers[0].name, "X-Amz-Date");
	ck_assert_str_eq(res.headers[1].name, "x-amz-content-sha256");
	ck_assert_str_eq(res.headers[1].value, h);
	ck_assert_ptr_nonnull(strstr(res.headers[2].value,
				     "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "));
	cohd_sigv4_result_done(&res);

	req.payload_hash = COHD_SIGV4_UNSIGNED_PAYLOAD;
	ck_assert_int_eq(cohd_sigv4_canonical_request(&req, &p, &creq, NULL), 0);
	ck_assert_ptr_nonnull(strstr(creq, "/bucket/my%20key\n"));
	ck_assert_ptr_nonnull(strstr(creq, "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"));
	ck_assert_ptr_nonnull(strstr(creq, "\nUNSIGNED-PAYLOAD"));
}
END_TEST

/* The worked examples of the S3 API reference ("Signature Calculations for the Authorization
 * Header" and "Query String Authentication"): S3 rules, x-amz-content-sha256, presigned URL with
 * UNSIGNED-PAYLOAD. */
START_TEST(test_s3_doc_examples)
{
	static const struct cohd_http_header h[] = {
		{ (char *)"Host", (char *)"examplebucket.s3.amazonaws.com" },
		{ (char *)"Range", (char *)"bytes=0-9" },
	};
	static const struct {
		const char *query;
		size_t n_headers;
		const char *sig;
	} t[] = {
		{ NULL, 2, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41" },
		{ "lifecycle", 1, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543" },
		{ "max-keys=2&prefix=J", 1,
		  "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7" },
	};
	struct cohd_sigv4_params p;
	struct cohd_sigv4_result res = {};

	cohd_sigv4_params_init(&p, "s3", "us-east-1", vector_time("2013-05-24T00:00:00Z"));
	p.access_key_id = "AKIAIOSFODNN7EXAMPLE";
	p.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		struct cohd_sigv4_request req = { .method = "GET",
						  .path = i == 0 ? "/test.txt" : "/",
						  .query = t[i].query,
						  .headers = h,
						  .n_headers = t[i].n_headers };

		ck_assert_int_eq(cohd_sigv4_sign(&req, &p, &res), 0);
		ck_assert_str_eq(res.signature, t[i].sig);
		cohd_sigv4_result_done(&res);
	}
	{
		struct cohd_sigv4_request req = { .method = "GET", .path = "/test.txt", .headers = h,
						  .n_headers = 1,
						  .payload_hash = COHD_SIGV4_UNSIGNED_PAYLOAD };

		p.presign = true;
		p.expires = 86400;
		ck_assert_int_eq(cohd_sigv4_sign(&req, &p, &res), 0);
		ck_assert_str_eq(res.query,
				 "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE"
				 "%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z"
				 "&X-Amz-SignedHeaders=host&X-Amz-Expires=86400&X-Amz-Signature="
				 "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
		cohd_sigv4_result_done(&res);
	}
}
END_TEST

START_TEST(test_signer_headers_replace_input)
{
	/* a stale X-Amz-Date / Authorization / token in the input must not be signed */
	static const struct cohd_http_header h[] = {
		{ (char *)"Host", (char *)"example.amazonaws.com" },
		{ (char *)"X-Amz-Date", (char *)"19990101T000000Z" },
		{ (char *)"Authorization", (char *)"AWS4-HMAC-SHA256 old" },
		{ (char *)"X-Amz-Security-Token", (char *)"stale" },
	};
	struct cohd_sigv4_params p;
	struct cohd_sigv4_request req = { .method = "GET", .path = "/", .headers = h,
					  .n_headers = ELEMENTSOF(h) };
	_cleanup_free_ char *creq = NULL;

	base_params(&p, "service");
	p.session_token = "fresh";
	ck_assert_int_eq(cohd_sigv4_canonical_request(&req, &p, &creq, NULL), 0);
	ck_assert_str_eq(creq, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
			       "x-amz-security-token:fresh\n\nhost;x-amz-date;x-amz-security-token\n"
			       COHD_SIGV4_EMPTY_SHA256);
}
END_TEST

START_TEST(test_errors)
{
	struct cohd_sigv4_params p;
	struct cohd_sigv4_request req = { .method = "GET", .path = "/" };
	struct cohd_sigv4_result res = {};
	static const struct cohd_http_header big_h[] = {
		{ (char *)"Host", (char *)"h" },
	};

	base_params(&p, "service");
	ck_assert_int_eq(cohd_sigv4_sign(&req, &p, &res), -EINVAL); /* no Host */
	req.headers = big_h;
	req.n_headers = 1;
	ck_assert_int_eq(cohd_sigv4_sign(&req, &p, &res), 0);
	cohd_sigv4_result_done(&res);
	p.secret_access_key = NULL;
	ck_assert_int_eq(cohd_sigv4_sign(&req, &p, &res), -EINVAL);
	p.secret_access_key = SECRET;
	p.presign = true;
	p.expires = 0;
	ck_assert_int_eq(cohd_sigv4_sign(&req, &p, &res), -EINVAL);
	p.expires = COHD_SIGV4_EXPIRES_MAX + 1;
	ck_assert_int_eq(cohd_sigv4_sign(&req, &p, &res), -EINVAL);
	p.expires = COHD_SIGV4_EXPIRES_MAX;
	ck_assert_int_eq(cohd_sigv4_sign(&req, &p, &res), 0);
	cohd_sigv4_result_done(&res);
	p.presign = false;
	req.method = NULL;
	ck_assert_int_eq(cohd_sigv4_sign(&req, &p, &res), -EINVAL);
	req.method = "GET";
	{
		/* over the canonical-request cap */
		size_t n = COHD_SIGV4_CANONICAL_MAX + 10;
		_cleanup_free_ char *q = malloc(n + 1);

		memset(q, 'a', n);
		q[n] = 0;
		req.query = q;
		ck_assert_int_eq(cohd_sigv4_sign(&req, &p, &res), -EMSGSIZE);
		req.query = NULL;
	}
	ck_assert_ptr_null(res.headers);
}
END_TEST

START_TEST(test_key_cache)
{
	_cleanup_(cohd_sigv4_key_cache_freep) struct cohd_sigv4_key_cache *c =
		cohd_sigv4_key_cache_new();
	struct cohd_sigv4_params p;
	char a[COHD_SIGV4_HEX_MAX], b[COHD_SIGV4_HEX_MAX], d[COHD_SIGV4_HEX_MAX];
	uint64_t hits, misses;

	ck_assert_ptr_nonnull(c);
	base_params(&p, "service");
	ck_assert_int_eq(cohd_sigv4_signature("sts", &p, a), 0); /* uncached reference */
	p.cache = c;
	ck_assert_int_eq(cohd_sigv4_signature("sts", &p, b), 0);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(cohd_sigv4_signature("sts", &p, b), 0);
	ck_assert_str_eq(a, b);
	cohd_sigv4_key_cache_stats(c, &hits, &misses);
	ck_assert_uint_eq(hits, 1);
	ck_assert_uint_eq(misses, 1);

	/* another secret for the same key id (rotation) must not reuse the key */
	p.secret_access_key = "another";
	ck_assert_int_eq(cohd_sigv4_signature("sts", &p, d), 0);
	ck_assert_str_ne(a, d);
	/* another day, region, service: misses */
	p.secret_access_key = SECRET;
	p.time += USEC_PER_DAY;
	ck_assert_int_eq(cohd_sigv4_signature("sts", &p, d), 0);
	ck_assert_str_ne(a, d);
	p.time -= USEC_PER_DAY;
	p.region = "eu-west-1";
	ck_assert_int_eq(cohd_sigv4_signature("sts", &p, d), 0);
	ck_assert_str_ne(a, d);
	cohd_sigv4_key_cache_stats(c, &hits, &misses);
	ck_assert_uint_eq(hits, 1);
	ck_assert_uint_eq(misses, 4);
	/* fill beyond the slots: still correct */
	for (int i = 0; i < 40; i++) {
		char region[32];

		snprintf(region, sizeof region, "r-%d", i);
		p.region = region;
		ck_assert_int_eq(cohd_sigv4_signature("sts", &p, d), 0);
	}
	p.region = "us-east-1";
	ck_assert_int_eq(cohd_sigv4_signature("sts", &p, b), 0);
	ck_assert_str_eq(a, b);
}
END_TEST

START_TEST(test_redact)
{
	_cleanup_free_ char *a = cohd_sigv4_redact_authorization(
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
		"SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	_cleanup_free_ char *b = cohd_sigv4_redact_authorization("Basic dXNlcjpwYXNz");
	_cleanup_free_ char *c = cohd_sigv4_redact_authorization(NULL);

	ck_assert_str_eq(a, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
			    "aws4_request, SignedHeaders=host;x-amz-date, Signature=<redacted>");
	ck_assert_str_eq(b, "<redacted>");
	ck_assert_str_eq(c, "<redacted>");
}
END_TEST

static Suite *sigv4_suite(void)
{
	Suite *s = suite_create("sigv4");
	TCase *tc;

	tc = tcase_create("aws_c_auth");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_c_auth_header, 0, (int)ELEMENTSOF(c_auth_cases));
	tcase_add_loop_test(tc, test_c_auth_query, 0, (int)ELEMENTSOF(c_auth_cases));
	tcase_add_test(tc, test_c_auth_all_listed);
	suite_add_tcase(s, tc);

	tc = tcase_create("botocore");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_botocore, 0, (int)ELEMENTSOF(botocore_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("canonical");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_canonical_path);
	tcase_add_test(tc, test_canonical_query);
	tcase_add_test(tc, test_canonical_headers_skip);
	suite_add_tcase(s, tc);

	tc = tcase_create("sign");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_s3_payload);
	tcase_add_test(tc, test_s3_doc_examples);
	tcase_add_test(tc, test_signer_headers_replace_input);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_key_cache);
	tcase_add_test(tc, test_redact);
	suite_add_tcase(s, tc);
	return s;
}

COHD_TEST_MAIN(sigv4_suite)
