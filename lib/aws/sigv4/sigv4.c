/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SigV4 signing (aws-api.md §7). Canonicalisation follows the two official suites byte for byte
 * (tests/data/sigv4): aws-c-auth's v4 suite (header and query signing, normalised and S3-style
 * paths) and botocore's aws4_testsuite. Depends on OpenSSL libcrypto and lib/util only; no I/O.
 * Secret material (the "AWS4"+secret key, intermediate and final derived keys) lives only in
 * stack/heap scratch that is wiped with OPENSSL_cleanse() before return.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <strings.h>

#include "lib/aws/sigv4/sigv4.h"
#include "lib/util/buf.h"
#include "lib/util/log.h"

#define SCOPE_TERMINATOR "aws4_request"
#define KEY_LEN SHA256_DIGEST_LENGTH
#define CACHE_SLOTS 16

/* ---- small helpers ---- */

struct cohd_http_header *cohd_http_headers_free(struct cohd_http_header *h, size_t n)
{
	if (!h)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
	return NULL;
}

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = 0;
}

void cohd_sigv4_sha256_hex(const void *data, size_t len, char ret[static COHD_SIGV4_HEX_MAX])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(len ? data : (const void *)"", len, md);
	hex_encode(md, sizeof md, ret);
}

static int hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
		       unsigned char out[static KEY_LEN])
{
	unsigned int outlen = KEY_LEN;

	if (!HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &outlen) || outlen != KEY_LEN)
		return -EIO;
	return 0;
}

static bool is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Append byte c URI-encoded (aws-api.md §7.2): unreserved kept, '/' kept when keep_slash. */
static int append_encoded_byte(struct cohd_buf *b, unsigned char c, bool keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	char esc[3] = { '%', digits[c >> 4], digits[c & 0xf] };

	if (is_unreserved(c) || (keep_slash && c == '/'))
		return cohd_buf_append(b, &c, 1);
	return cohd_buf_append(b, esc, 3);
}

/* Append s[0..n) encoded. With decode_first, valid %XX escapes are decoded before encoding
 * (so already-encoded and raw input give the same canonical form); an encoded '/' stays
 * "%2F" even when keep_slash. */
static int append_encoded(struct cohd_buf *b, const char *s, size_t n, bool keep_slash,
			  bool decode_first)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool escaped = false;
		int r;

		if (decode_first && c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			c = (unsigned char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
			escaped = true;
		}
		r = append_encoded_byte(b, c, keep_slash && !escaped);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* ---- path ---- */

/* RFC 3986 §5.2.4 dot-segment removal plus collapsing of empty segments ("//"), as the
 * *-normalized vectors expect. Writes a path starting with '/' into out. */
static int normalize_path(const char *path, struct cohd_buf *out)
{
	size_t n = strlen(path), nseg = 0, *starts = NULL, *lens = NULL, i = 0;
	bool trailing = false;
	int r = 0;

	/* at most n/2 + 1 segments */
	starts = calloc(n / 2 + 2, sizeof *starts);
	lens = calloc(n / 2 + 2, sizeof *lens);
	if (!starts || !lens) {
		r = -ENOMEM;
		goto out;
	}
	while (i < n) {
		size_t s, l;

		while (i < n && path[i] == '/')
			i++;
		if (i >= n) {
			trailing = true; /* ended with '/' */
			break;
		}
		s = i;
		while (i < n && path[i] != '/')
			i++;
		l = i - s;
		trailing = false;
		if (l == 1 && path[s] == '.') {
			trailing = true;
			continue;
		}
		if (l == 2 && path[s] == '.' && path[s + 1] == '.') {
			if (nseg > 0)
				nseg--;
			trailing = true;
			continue;
		}
		starts[nseg] = s;
		lens[nseg] = l;
		nseg++;
	}
	r = cohd_buf_append_str(out, "/");
	for (size_t k = 0; r >= 0 && k < nseg; k++) {
		r = cohd_buf_append(out, path + starts[k], lens[k]);
		if (r >= 0 && (k + 1 < nseg || trailing))
			r = cohd_buf_append_str(out, "/");
	}
out:
	free(starts);
	free(lens);
	return r;
}

static int append_canonical_path(struct cohd_buf *b, const char *path, bool normalize,
				 bool double_encode)
{
	_cleanup_(cohd_buf_done) struct cohd_buf norm = {};
	const char *p;
	int r;

	cohd_buf_init(&norm, COHD_SIGV4_CANONICAL_MAX);
	if (isempty(path))
		path = "/";
	if (normalize) {
		r = normalize_path(path, &norm);
		if (r < 0)
			return r;
		p = cohd_buf_str(&norm);
	} else if (path[0] != '/') {
		r = cohd_buf_printf(&norm, "/%s", path);
		if (r < 0)
			return r;
		p = cohd_buf_str(&norm);
	} else
		p = path;
	return append_encoded(b, p, strlen(p), true, !double_encode);
}

int cohd_sigv4_canonical_path(const char *path, bool normalize, bool double_encode, char **ret)
{
	_cleanup_(cohd_buf_done) struct cohd_buf b = {};
	int r;

	cohd_assert_return(ret, -EINVAL);
	cohd_buf_init(&b, COHD_SIGV4_CANONICAL_MAX);
	r = append_canonical_path(&b, path, normalize, double_encode);
	if (r < 0)
		return r;
	*ret = cohd_buf_steal(&b);
	return *ret ? 0 : -ENOMEM;
}

/* ---- query ---- */

struct qparam {
	char *name; /* canonical (encoded) */
	char *value;
};

static int qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

struct qlist {
	struct qparam *items;
	size_t n, alloc;
	size_t bytes;
};

static void qlist_done(struct qlist *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->items[i].name);
		free(q->items[i].value);
	}
	free(q->items);
	*q = (struct qlist){};
}

static int encode_dup(const char *s, size_t n, bool decode_first, char **ret)
{
	_cleanup_(cohd_buf_done) struct cohd_buf b = {};
	int r;

	cohd_buf_init(&b, COHD_SIGV4_CANONICAL_MAX);
	r = append_encoded(&b, s, n, false, decode_first);
	if (r < 0)
		return r;
	*ret = cohd_buf_steal(&b);
	return *ret ? 0 : -ENOMEM;
}

static int qlist_add(struct qlist *q, const char *name, size_t nlen, const char *value,
		     size_t vlen, bool decode_first)
{
	struct qparam p = {};
	int r;

	if (q->n == q->alloc) {
		size_t na = q->alloc ? q->alloc * 2 : 16;
		struct qparam *ni = reallocarray(q->items, na, sizeof *ni);

		if (!ni)
			return -ENOMEM;
		q->items = ni;
		q->alloc = na;
	}
	r = encode_dup(name, nlen, decode_first, &p.name);
	if (r < 0)
		return r;
	r = encode_dup(value, vlen, decode_first, &p.value);
	if (r < 0) {
		free(p.name);
		return r;
	}
	q->bytes += strlen(p.name) + strlen(p.value) + 2;
	if (q->bytes > COHD_SIGV4_CANONICAL_MAX) {
		free(p.name);
		free(p.value);
		return -EMSGSIZE;
	}
	q->items[q->n++] = p;
	return 0;
}

static int qlist_parse(struct qlist *q, const char *query)
{
	const char *s = query;

	if (isempty(query))
		return 0;
	if (strlen(query) > COHD_SIGV4_CANONICAL_MAX)
		return -EMSGSIZE;
	while (*s) {
		size_t len = strcspn(s, "&");
		const char *eq = memchr(s, '=', len);
		int r = 0;

		if (len > 0) {
			if (eq)
				r = qlist_add(q, s, (size_t)(eq - s), eq + 1, len - (size_t)(eq - s) - 1,
					      true);
			else
				r = qlist_add(q, s, len, "", 0, true);
		}
		if (r < 0)
			return r;
		s += len;
		if (*s == '&')
			s++;
	}
	return 0;
}

static int qlist_append_sorted(struct qlist *q, struct cohd_buf *b)
{
	if (q->n > 1)
		qsort(q->items, q->n, sizeof *q->items, qparam_cmp);
	for (size_t i = 0; i < q->n; i++) {
		int r = cohd_buf_printf(b, "%s%s=%s", i ? "&" : "", q->items[i].name,
					q->items[i].value);
		if (r < 0)
			return r;
	}
	return 0;
}

int cohd_sigv4_canonical_query(const char *query, char **ret)
{
	_cleanup_(cohd_buf_done) struct cohd_buf b = {};
	_cleanup_(qlist_done) struct qlist q = {};
	int r;

	cohd_assert_return(ret, -EINVAL);
	cohd_buf_init(&b, COHD_SIGV4_CANONICAL_MAX);
	r = qlist_parse(&q, query);
	if (r >= 0)
		r = qlist_append_sorted(&q, &b);
	if (r < 0)
		return r;
	*ret = cohd_buf_steal(&b);
	return *ret ? 0 : -ENOMEM;
}

/* ---- headers ---- */

struct chdr {
	char *name;  /* lower-case, trimmed */
	char *value; /* trimmed, whitespace runs folded into one space */
	size_t order;
};

struct hlist {
	struct chdr *items;
	size_t n, alloc;
	size_t bytes;
};

static void hlist_done(struct hlist *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->items[i].name);
		if (h->items[i].value) {
			/* values may hold the session token */
			OPENSSL_cleanse(h->items[i].value, strlen(h->items[i].value));
			free(h->items[i].value);
		}
	}
	free(h->items);
	*h = (struct hlist){};
}

static char *canonical_name(const char *s)
{
	size_t n;
	char *p;

	while (is_ws(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_ws(s[n - 1]))
		n--;
	p = strndup(s, n);
	if (!p)
		return NULL;
	for (char *c = p; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return p;
}

/* Trim, and fold every whitespace run (including obs-fold line breaks) into one space. */
static char *canonical_value(const char *s)
{
	size_t n = strlen(s), o = 0;
	bool pending = false;
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	while (is_ws(*s))
		s++;
	for (; *s; s++) {
		if (is_ws(*s)) {
			pending = true;
			continue;
		}
		if (pending && o > 0)
			p[o++] = ' ';
		pending = false;
		p[o++] = *s;
	}
	p[o] = 0;
	return p;
}

static int hlist_add(struct hlist *h, const char *name, const char *value)
{
	struct chdr c = { .order = h->n };

	if (h->n == h->alloc) {
		size_t na = h->alloc ? h->alloc * 2 : 16;
		struct chdr *ni = reallocarray(h->items, na, sizeof *ni);

		if (!ni)
			return -ENOMEM;
		h->items = ni;
		h->alloc = na;
	}
	c.name = canonical_name(name);
	c.value = canonical_value(strempty(value));
	if (!c.name || !c.value) {
		free(c.name);
		free(c.value);
		return -ENOMEM;
	}
	h->bytes += strlen(c.name) + strlen(c.value) + 3;
	h->items[h->n++] = c;
	if (h->bytes > COHD_SIGV4_CANONICAL_MAX)
		return -EMSGSIZE;
	return 0;
}

static int chdr_cmp(const void *a, const void *b)
{
	const struct chdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* botocore's SIGNATURE_HEADERS_TO_IGNORE (user-agent, expect, x-amzn-trace-id), plus
 * authorization: an old signature must never be signed. */
static bool never_signed(const char *lname)
{
	return streq(lname, "user-agent") || streq(lname, "expect") ||
	       streq(lname, "x-amzn-trace-id") || streq(lname, "authorization");
}

/* Sort h and write "name:v1,v2\n" lines into block and "a;b" into signed_headers. */
static int hlist_render(struct hlist *h, struct cohd_buf *block, struct cohd_buf *signed_headers)
{
	int r = 0;

	if (h->n > 1)
		qsort(h->items, h->n, sizeof *h->items, chdr_cmp);
	for (size_t i = 0; i < h->n && r >= 0; i++) {
		bool same = i > 0 && streq(h->items[i].name, h->items[i - 1].name);

		if (same) {
			r = cohd_buf_printf(block, ",%s", h->items[i].value);
			continue;
		}
		if (i > 0)
			r = cohd_buf_append_str(block, "\n");
		if (r >= 0)
			r = cohd_buf_printf(block, "%s:%s", h->items[i].name, h->items[i].value);
		if (r >= 0 && signed_headers)
			r = cohd_buf_printf(signed_headers, "%s%s", i ? ";" : "",
					    h->items[i].name);
	}
	if (r >= 0 && h->n > 0)
		r = cohd_buf_append_str(block, "\n");
	return r;
}

int cohd_sigv4_canonical_headers(const struct cohd_http_header *h, size_t n, char **ret_block,
				 char **ret_signed_headers)
{
	_cleanup_(cohd_buf_done) struct cohd_buf block = {}, sh = {};
	_cleanup_(hlist_done) struct hlist l = {};
	char *a, *b;
	int r;

	cohd_assert_return(h || n == 0, -EINVAL);
	cohd_assert_return(ret_block, -EINVAL);
	cohd_buf_init(&block, COHD_SIGV4_CANONICAL_MAX);
	cohd_buf_init(&sh, COHD_SIGV4_CANONICAL_MAX);
	block.secret = true;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *lname = NULL;

		if (!h[i].name)
			return -EINVAL;
		lname = canonical_name(h[i].name);
		if (!lname)
			return -ENOMEM;
		if (never_signed(lname))
			continue;
		r = hlist_add(&l, h[i].name, h[i].value);
		if (r < 0)
			return r;
	}
	r = hlist_render(&l, &block, &sh);
	if (r < 0)
		return r;
	a = cohd_buf_steal(&block);
	b = cohd_buf_steal(&sh);
	if (!a || !b) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	*ret_block = a;
	if (ret_signed_headers)
		*ret_signed_headers = b;
	else
		free(b);
	return 0;
}

/* ---- parameters, scope ---- */

void cohd_sigv4_params_init(struct cohd_sigv4_params *p, const char *service, const char *region,
			    usec_t time)
{
	bool s3 = streq_ptr(service, "s3");

	*p = (struct cohd_sigv4_params){
		.service = service,
		.region = region,
		.time = time,
		.normalize_path = !s3,
		.double_encode_path = !s3,
		.sign_body = s3,
		.expires = 3600,
	};
}

static int check_params(const struct cohd_sigv4_params *p)
{
	cohd_assert_return(p, -EINVAL);
	if (isempty(p->access_key_id) || isempty(p->secret_access_key) || isempty(p->region) ||
	    isempty(p->service))
		return -EINVAL;
	if (p->presign && (p->expires < 1 || p->expires > COHD_SIGV4_EXPIRES_MAX))
		return -EINVAL;
	return 0;
}

/* amz date "20150830T123600Z" and the scope "20150830/region/service/aws4_request". */
static int make_scope(const struct cohd_sigv4_params *p, char amzdate[static COHD_AMZ_DATE_MAX],
		      char **ret_scope)
{
	cohd_format_amz_date(amzdate, p->time);
	if (strlen(amzdate) != COHD_AMZ_DATE_MAX - 1)
		return -EINVAL;
	if (asprintf(ret_scope, "%.8s/%s/%s/" SCOPE_TERMINATOR, amzdate, p->region, p->service) <
	    0)
		return -ENOMEM;
	return 0;
}

static bool adds_token_header(const struct cohd_sigv4_params *p)
{
	return !isempty(p->session_token) && !p->presign;
}

/* Whether an input header is replaced by one the signer adds. */
static bool replaced_by_signer(const char *lname, const struct cohd_sigv4_params *p)
{
	if (streq(lname, "x-amz-date"))
		return true;
	if (streq(lname, "x-amz-security-token") && adds_token_header(p))
		return true;
	if (streq(lname, "x-amz-content-sha256") && p->sign_body && !p->presign)
		return true;
	return false;
}

static int payload_hash(const struct cohd_sigv4_request *req, char ret[static COHD_SIGV4_HEX_MAX])
{
	if (req->payload_hash) {
		if (strlen(req->payload_hash) >= COHD_SIGV4_HEX_MAX || !*req->payload_hash)
			return -EINVAL;
		strcpy(ret, req->payload_hash);
		return 0;
	}
	if (!req->body && req->body_len > 0)
		return -EINVAL;
	cohd_sigv4_sha256_hex(req->body, req->body_len, ret);
	return 0;
}

/* Everything the canonical request needs, computed once and shared by sign(). */
struct creq_parts {
	char amzdate[COHD_AMZ_DATE_MAX];
	char *scope;
	char *signed_headers;
	char *creq;
	char hash[COHD_SIGV4_HEX_MAX];
};

static void creq_parts_done(struct creq_parts *c)
{
	free(c->scope);
	free(c->signed_headers);
	if (c->creq) {
		OPENSSL_cleanse(c->creq, strlen(c->creq)); /* may hold the session token */
		free(c->creq);
	}
	*c = (struct creq_parts){};
}

static int build_canonical_request(const struct cohd_sigv4_request *req,
				   const struct cohd_sigv4_params *p, struct creq_parts *c)
{
	_cleanup_(cohd_buf_done) struct cohd_buf b = {}, sh = {};
	_cleanup_(hlist_done) struct hlist hl = {};
	_cleanup_(qlist_done) struct qlist ql = {};
	bool have_host = false;
	int r;

	cohd_assert_return(req && !isempty(req->method), -EINVAL);
	cohd_assert_return(req->headers || req->n_headers == 0, -EINVAL);
	r = check_params(p);
	if (r < 0)
		return r;
	r = make_scope(p, c->amzdate, &c->scope);
	if (r < 0)
		return r;
	r = payload_hash(req, c->hash);
	if (r < 0)
		return r;

	cohd_buf_init(&b, COHD_SIGV4_CANONICAL_MAX);
	cohd_buf_init(&sh, COHD_SIGV4_CANONICAL_MAX);
	b.secret = true;

	/* headers: the caller's, minus never-signed and signer-owned ones, plus ours */
	for (size_t i = 0; i < req->n_headers; i++) {
		_cleanup_free_ char *lname = NULL;

		if (!req->headers[i].name)
			return -EINVAL;
		lname = canonical_name(req->headers[i].name);
		if (!lname)
			return -ENOMEM;
		if (never_signed(lname) || replaced_by_signer(lname, p))
			continue;
		if (streq(lname, "host"))
			have_host = true;
		r = hlist_add(&hl, req->headers[i].name, req->headers[i].value);
		if (r < 0)
			return r;
	}
	if (!have_host)
		return -EINVAL;
	if (!p->presign) {
		r = hlist_add(&hl, "x-amz-date", c->amzdate);
		if (r >= 0 && adds_token_header(p) && !p->omit_session_token)
			r = hlist_add(&hl, "x-amz-security-token", p->session_token);
		if (r >= 0 && p->sign_body)
			r = hlist_add(&hl, "x-amz-content-sha256", c->hash);
		if (r < 0)
			return r;
	}

	/* method, path */
	r = cohd_buf_printf(&b, "%s\n", req->method);
	if (r >= 0)
		r = append_canonical_path(&b, req->path, p->normalize_path, p->double_encode_path);
	if (r >= 0)
		r = cohd_buf_append_str(&b, "\n");
	if (r < 0)
		return r;

	/* the block needs the header list sorted first (presign puts SignedHeaders in the query) */
	{
		_cleanup_(cohd_buf_done) struct cohd_buf block = {};

		cohd_buf_init(&block, COHD_SIGV4_CANONICAL_MAX);
		block.secret = true;
		r = hlist_render(&hl, &block, &sh);
		if (r < 0)
			return r;

		r = qlist_parse(&ql, req->query);
		if (r < 0)
			return r;
		if (p->presign) {
			_cleanup_free_ char *cred = NULL;
			char exp[16];

			if (asprintf(&cred, "%s/%s", p->access_key_id, c->scope) < 0)
				return -ENOMEM;
			snprintf(exp, sizeof exp, "%u", p->expires);
#define ADD(n, v) qlist_add(&ql, n, strlen(n), v, strlen(v), false)
			r = ADD("X-Amz-Algorithm", COHD_SIGV4_ALGORITHM);
			if (r >= 0)
				r = ADD("X-Amz-Credential", cred);
			if (r >= 0)
				r = ADD("X-Amz-Date", c->amzdate);
			if (r >= 0)
				r = ADD("X-Amz-Expires", exp);
			if (r >= 0 && !isempty(p->session_token) && !p->omit_session_token)
				r = ADD("X-Amz-Security-Token", p->session_token);
			if (r >= 0)
				r = ADD("X-Amz-SignedHeaders", cohd_buf_str(&sh));
#undef ADD
			if (r < 0)
				return r;
		}
		r = qlist_append_sorted(&ql, &b);
		if (r >= 0)
			r = cohd_buf_printf(&b, "\n%s\n%s\n%s", cohd_buf_str(&block),
					    cohd_buf_str(&sh), c->hash);
		if (r < 0)
			return r;
	}

	c->signed_headers = cohd_buf_steal(&sh);
	c->creq = cohd_buf_steal(&b);
	if (!c->signed_headers || !c->creq)
		return -ENOMEM;
	return 0;
}

int cohd_sigv4_canonical_request(const struct cohd_sigv4_request *req,
				 const struct cohd_sigv4_params *p, char **ret_creq,
				 char **ret_signed_headers)
{
	_cleanup_(creq_parts_done) struct creq_parts c = {};
	int r;

	cohd_assert_return(ret_creq, -EINVAL);
	r = build_canonical_request(req, p, &c);
	if (r < 0)
		return r;
	*ret_creq = TAKE_PTR(c.creq);
	if (ret_signed_headers)
		*ret_signed_headers = TAKE_PTR(c.signed_headers);
	return 0;
}

static int string_to_sign(const char *creq, const char *amzdate, const char *scope, char **ret)
{
	char h[COHD_SIGV4_HEX_MAX];

	cohd_sigv4_sha256_hex(creq, strlen(creq), h);
	if (asprintf(ret, COHD_SIGV4_ALGORITHM "\n%s\n%s\n%s", amzdate, scope, h) < 0)
		return -ENOMEM;
	return 0;
}

int cohd_sigv4_string_to_sign(const char *creq, const struct cohd_sigv4_params *p, char **ret)
{
	_cleanup_free_ char *scope = NULL;
	char amzdate[COHD_AMZ_DATE_MAX];
	int r;

	cohd_assert_return(creq && ret, -EINVAL);
	r = check_params(p);
	if (r < 0)
		return r;
	r = make_scope(p, amzdate, &scope);
	if (r < 0)
		return r;
	return string_to_sign(creq, amzdate, scope, ret);
}

/* ---- signing key and its cache ---- */

struct key_slot {
	bool used;
	char date[9];
	char *region;
	char *service;
	char *access_key_id;
	unsigned char secret_fp[SHA256_DIGEST_LENGTH]; /* SHA-256 of the secret: detects rotation */
	unsigned char key[KEY_LEN];
	uint64_t last_used;
};

struct cohd_sigv4_key_cache {
	struct key_slot slots[CACHE_SLOTS];
	uint64_t tick;
	uint64_t hits, misses;
};

static void slot_clear(struct key_slot *s)
{
	free(s->region);
	free(s->service);
	free(s->access_key_id);
	OPENSSL_cleanse(s, sizeof *s);
}

struct cohd_sigv4_key_cache *cohd_sigv4_key_cache_new(void)
{
	return calloc(1, sizeof(struct cohd_sigv4_key_cache));
}

struct cohd_sigv4_key_cache *cohd_sigv4_key_cache_free(struct cohd_sigv4_key_cache *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		slot_clear(&c->slots[i]);
	free(c);
	return NULL;
}

void cohd_sigv4_key_cache_stats(const struct cohd_sigv4_key_cache *c, uint64_t *ret_hits,
				uint64_t *ret_misses)
{
	if (ret_hits)
		*ret_hits = c ? c->hits : 0;
	if (ret_misses)
		*ret_misses = c ? c->misses : 0;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request") */
static int derive_key(const char *secret, const char *date, const char *region,
		      const char *service, unsigned char out[static KEY_LEN])
{
	size_t slen = strlen(secret);
	unsigned char k1[KEY_LEN], k2[KEY_LEN];
	char *seed = malloc(slen + 5);
	int r;

	if (!seed)
		return -ENOMEM;
	memcpy(seed, "AWS4", 4);
	memcpy(seed + 4, secret, slen + 1);
	r = hmac_sha256(seed, slen + 4, date, strlen(date), k1);
	if (r >= 0)
		r = hmac_sha256(k1, KEY_LEN, region, strlen(region), k2);
	if (r >= 0)
		r = hmac_sha256(k2, KEY_LEN, service, strlen(service), k1);
	if (r >= 0)
		r = hmac_sha256(k1, KEY_LEN, SCOPE_TERMINATOR, strlen(SCOPE_TERMINATOR), out);
	OPENSSL_cleanse(seed, slen + 4);
	free(seed);
	OPENSSL_cleanse(k1, sizeof k1);
	OPENSSL_cleanse(k2, sizeof k2);
	return r;
}

static int signing_key(const struct cohd_sigv4_params *p, const char *date,
		       unsigned char out[static KEY_LEN])
{
	struct cohd_sigv4_key_cache *c = p->cache;
	unsigned char fp[SHA256_DIGEST_LENGTH];
	struct key_slot *victim = NULL;
	int r;

	if (!c)
		return derive_key(p->secret_access_key, date, p->region, p->service, out);

	SHA256((const unsigned char *)p->secret_access_key, strlen(p->secret_access_key), fp);
	c->tick++;
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct key_slot *s = &c->slots[i];

		if (s->used && streq(s->date, date) && streq(s->region, p->region) &&
		    streq(s->service, p->service) && streq(s->access_key_id, p->access_key_id) &&
		    CRYPTO_memcmp(s->secret_fp, fp, sizeof fp) == 0) {
			memcpy(out, s->key, KEY_LEN);
			s->last_used = c->tick;
			c->hits++;
			OPENSSL_cleanse(fp, sizeof fp);
			return 0;
		}
	}
	c->misses++;
	r = derive_key(p->secret_access_key, date, p->region, p->service, out);
	if (r < 0) {
		OPENSSL_cleanse(fp, sizeof fp);
		return r;
	}
	/* victim: a free slot, else one for another day, else the least recently used */
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct key_slot *s = &c->slots[i];

		if (!s->used) {
			victim = s;
			break;
		}
		if (!streq(s->date, date)) {
			if (!victim || streq(victim->date, date) || s->last_used < victim->last_used)
				victim = s;
		} else if (!victim || (streq(victim->date, date) &&
				       s->last_used < victim->last_used))
			victim = s;
	}
	slot_clear(victim);
	victim->region = strdup(p->region);
	victim->service = strdup(p->service);
	victim->access_key_id = strdup(p->access_key_id);
	if (!victim->region || !victim->service || !victim->access_key_id) {
		slot_clear(victim); /* caching is best effort; the key is still good */
	} else {
		memcpy(victim->date, date, 8);
		victim->date[8] = 0;
		memcpy(victim->secret_fp, fp, sizeof fp);
		memcpy(victim->key, out, KEY_LEN);
		victim->last_used = c->tick;
		victim->used = true;
	}
	OPENSSL_cleanse(fp, sizeof fp);
	return 0;
}

static int signature_with_date(const char *sts, const struct cohd_sigv4_params *p,
			       const char *amzdate, char ret[static COHD_SIGV4_HEX_MAX])
{
	unsigned char key[KEY_LEN], sig[KEY_LEN];
	char date[9];
	int r;

	memcpy(date, amzdate, 8);
	date[8] = 0;
	r = signing_key(p, date, key);
	if (r >= 0)
		r = hmac_sha256(key, KEY_LEN, sts, strlen(sts), sig);
	OPENSSL_cleanse(key, sizeof key);
	if (r < 0)
		return r;
	hex_encode(sig, sizeof sig, ret);
	return 0;
}

int cohd_sigv4_signature(const char *sts, const struct cohd_sigv4_params *p,
			 char ret[static COHD_SIGV4_HEX_MAX])
{
	char amzdate[COHD_AMZ_DATE_MAX];
	int r;

	cohd_assert_return(sts && ret, -EINVAL);
	r = check_params(p);
	if (r < 0)
		return r;
	cohd_format_amz_date(amzdate, p->time);
	if (strlen(amzdate) != COHD_AMZ_DATE_MAX - 1)
		return -EINVAL;
	return signature_with_date(sts, p, amzdate, ret);
}

/* ---- sign ---- */

void cohd_sigv4_result_done(struct cohd_sigv4_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_headers; i++)
		if (r->headers[i].value)
			OPENSSL_cleanse(r->headers[i].value, strlen(r->headers[i].value));
	cohd_http_headers_free(r->headers, r->n_headers);
	if (r->query) {
		OPENSSL_cleanse(r->query, strlen(r->query)); /* may hold the session token */
		free(r->query);
	}
	*r = (struct cohd_sigv4_result){};
}

static int result_add(struct cohd_sigv4_result *res, const char *name, const char *value)
{
	struct cohd_http_header *h = &res->headers[res->n_headers];

	h->name = strdup(name);
	h->value = strdup(value);
	res->n_headers++;
	return h->name && h->value ? 0 : -ENOMEM;
}

static int presigned_query(const struct cohd_sigv4_request *req,
			   const struct cohd_sigv4_params *p, const struct creq_parts *c,
			   const char *signature, char **ret)
{
	_cleanup_(cohd_buf_done) struct cohd_buf b = {};
	int r;

	cohd_buf_init(&b, COHD_SIGV4_CANONICAL_MAX);
	b.secret = true;
	if (!isempty(req->query))
		r = cohd_buf_printf(&b, "%s&", req->query);
	else
		r = 0;
	if (r >= 0)
		r = cohd_buf_append_str(&b, "X-Amz-Algorithm=" COHD_SIGV4_ALGORITHM
					    "&X-Amz-Credential=");
	if (r >= 0)
		r = append_encoded(&b, p->access_key_id, strlen(p->access_key_id), false, false);
	if (r >= 0)
		r = cohd_buf_append_str(&b, "%2F");
	if (r >= 0)
		r = append_encoded(&b, c->scope, strlen(c->scope), false, false);
	if (r >= 0)
		r = cohd_buf_printf(&b, "&X-Amz-Date=%s&X-Amz-SignedHeaders=", c->amzdate);
	if (r >= 0)
		r = append_encoded(&b, c->signed_headers, strlen(c->signed_headers), false, false);
	if (r >= 0)
		r = cohd_buf_printf(&b, "&X-Amz-Expires=%u", p->expires);
	if (r >= 0 && !isempty(p->session_token)) {
		r = cohd_buf_append_str(&b, "&X-Amz-Security-Token=");
		if (r >= 0)
			r = append_encoded(&b, p->session_token, strlen(p->session_token), false,
					   false);
	}
	if (r >= 0)
		r = cohd_buf_printf(&b, "&X-Amz-Signature=%s", signature);
	if (r < 0)
		return r;
	*ret = cohd_buf_steal(&b);
	return *ret ? 0 : -ENOMEM;
}

int cohd_sigv4_sign(const struct cohd_sigv4_request *req, const struct cohd_sigv4_params *p,
		    struct cohd_sigv4_result *ret)
{
	_cleanup_(creq_parts_done) struct creq_parts c = {};
	_cleanup_(cohd_sigv4_result_done) struct cohd_sigv4_result res = {};
	_cleanup_free_ char *sts = NULL, *auth = NULL;
	int r;

	cohd_assert_return(ret, -EINVAL);
	r = build_canonical_request(req, p, &c);
	if (r < 0)
		return r;
	r = string_to_sign(c.creq, c.amzdate, c.scope, &sts);
	if (r < 0)
		return r;
	r = signature_with_date(sts, p, c.amzdate, res.signature);
	if (r < 0)
		return r;

	if (p->presign) {
		r = presigned_query(req, p, &c, res.signature, &res.query);
		if (r < 0)
			return r;
	} else {
		res.headers = calloc(4, sizeof *res.headers);
		if (!res.headers)
			return -ENOMEM;
		if (asprintf(&auth,
			     COHD_SIGV4_ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
			     p->access_key_id, c.scope, c.signed_headers, res.signature) < 0)
			return -ENOMEM;
		r = 0;
		if (adds_token_header(p))
			r = result_add(&res, "X-Amz-Security-Token", p->session_token);
		if (r >= 0)
			r = result_add(&res, "X-Amz-Date", c.amzdate);
		if (r >= 0 && p->sign_body)
			r = result_add(&res, "x-amz-content-sha256", c.hash);
		if (r >= 0)
			r = result_add(&res, "Authorization", auth);
		if (r < 0)
			return r;
	}
	log_debug(AWS, "sigv4: signed %s %s for %s/%s (%s)", req->method, strempty(req->path),
		  p->service, p->region, p->presign ? "presigned" : "header");
	*ret = res;
	res = (struct cohd_sigv4_result){};
	return 0;
}

/* ---- tracing ---- */

char *cohd_sigv4_redact_authorization(const char *value)
{
	static const char marker[] = "Signature=";
	const char *s, *e;
	char *out;

	if (!value || strncmp(value, COHD_SIGV4_ALGORITHM " ", STRLEN(COHD_SIGV4_ALGORITHM " ")))
		return strdup("<redacted>");
	s = strstr(value, marker);
	if (!s)
		return strdup("<redacted>");
	s += sizeof(marker) - 1;
	e = s + strcspn(s, ", ");
	if (asprintf(&out, "%.*s<redacted>%s", (int)(s - value), value, e) < 0)
		return NULL;
	return out;
}
