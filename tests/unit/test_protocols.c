/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for lib/aws/protocols: botocore's protocol compliance suites
 * (tests/data/protocols/botocore, five protocols, input and output, current and legacy) run
 * through the same codecs as the embedded models, plus tests with the embedded real models
 * (serialising, parsing, errors, paginators). Bodies are compared semantically: JSON as parsed
 * JSON, XML canonicalised with expat, form bodies as parameter sets.
 *
 * Skipped cases: everything botocore's protocol-tests-ignore-list.json skips, plus the list in
 * skip_cases[] below, each with its reason. Every run prints passed/skipped/failed per file.
 */
#include <math.h>
#include <strings.h>

#include "lib/aws/protocols/protocols.h"
#include "lib/aws/protocols/xml.h"
#include "test.h"

/* Cases cohd skips on top of botocore's ignore list: suite file, case id (or legacy
 * "<description>#<n>"), reason. */
static const struct {
	const char *file;
	const char *id;
	const char *reason;
} skip_cases[] = {
	{ "protocols/botocore/input/ec2.json",
	  "Ec2QueryHostWithPath",
	  "endpoint URL paths are the HTTP layer's: the serialiser emits the path relative to the endpoint" },
	{ "protocols/botocore/input/ec2.json",
	  "SDKAppliedContentEncoding_ec2Query",
	  "request compression (Smithy requestCompression) is not implemented: no call cohd makes needs it" },
	{ "protocols/botocore/input/ec2.json",
	  "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_ec2Query",
	  "request compression (Smithy requestCompression) is not implemented: no call cohd makes needs it" },
	{ "protocols/botocore/input/query.json",
	  "QueryHostWithPath",
	  "endpoint URL paths are the HTTP layer's: the serialiser emits the path relative to the endpoint" },
	{ "protocols/botocore/input/query.json",
	  "SDKAppliedContentEncoding_awsQuery",
	  "request compression (Smithy requestCompression) is not implemented: no call cohd makes needs it" },
	{ "protocols/botocore/input/query.json",
	  "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsQuery",
	  "request compression (Smithy requestCompression) is not implemented: no call cohd makes needs it" },
	{ "protocols/botocore/input/query.json",
	  "QueryFlattenedListArgWithXmlName",
	  "botocore's rule (the list member locationName renames a flattened list) is kept; no model cohd embeds has such a list; botocore skips it too" },
	{ "protocols/botocore/input/json.json",
	  "AwsJson11HostWithPath",
	  "endpoint URL paths are the HTTP layer's: the serialiser emits the path relative to the endpoint" },
	{ "protocols/botocore/input/json.json",
	  "SDKAppliedContentEncoding_awsJson1_1",
	  "request compression (Smithy requestCompression) is not implemented: no call cohd makes needs it" },
	{ "protocols/botocore/input/json.json",
	  "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsJson1_1",
	  "request compression (Smithy requestCompression) is not implemented: no call cohd makes needs it" },
	{ "protocols/botocore/input/rest-json.json",
	  "RestJsonHostWithPath",
	  "endpoint URL paths are the HTTP layer's: the serialiser emits the path relative to the endpoint" },
	{ "protocols/botocore/input/rest-json.json",
	  "SDKAppliedContentEncoding_restJson1",
	  "request compression (Smithy requestCompression) is not implemented: no call cohd makes needs it" },
	{ "protocols/botocore/input/rest-json.json",
	  "SDKAppendedGzipAfterProvidedEncoding_restJson1",
	  "request compression (Smithy requestCompression) is not implemented: no call cohd makes needs it" },
	{ "protocols/botocore/input/rest-json.json",
	  "MediaTypeHeaderInputBase64",
	  "Smithy @mediaType string headers (base64 of the raw string) do not exist in botocore model files (jsonvalue = a JSON document); botocore skips it too" },
	{ "protocols/botocore/input/rest-json.json",
	  "RestJsonNullAndEmptyHeaders",
	  "an empty list header is omitted (legacy \"List in header#1\" requires that); botocore skips it too" },
	{ "protocols/botocore/input/rest-xml.json",
	  "SDKAppliedContentEncoding_restXml",
	  "request compression (Smithy requestCompression) is not implemented: no call cohd makes needs it" },
	{ "protocols/botocore/input/rest-xml.json",
	  "SDKAppendedGzipAfterProvidedEncoding_restXml",
	  "request compression (Smithy requestCompression) is not implemented: no call cohd makes needs it" },
	{ "protocols/botocore/input/rest-xml.json",
	  "NullAndEmptyHeaders",
	  "an empty list header is omitted (legacy \"List in header#1\" requires that); botocore skips it too" },
	{ "protocols/botocore/input/rest-xml.json",
	  "RestXmlHttpPayloadWithUnion",
	  "converted model sets the payload member locationName to the member name; the member's locationName must win for real S3 models (LifecycleConfiguration targets BucketLifecycleConfiguration)" },
	{ "protocols/botocore/input/rest-xml.json",
	  "HttpPayloadWithXmlName",
	  "converted model sets the payload member locationName to the member name; the member's locationName must win for real S3 models (LifecycleConfiguration targets BucketLifecycleConfiguration)" },
	{ "protocols/botocore/input/rest-xml.json",
	  "HttpPayloadWithXmlNamespace",
	  "converted model sets the payload member locationName to the member name; the member's locationName must win for real S3 models (LifecycleConfiguration targets BucketLifecycleConfiguration)" },
	{ "protocols/botocore/input/rest-xml.json",
	  "HttpPayloadWithXmlNamespaceAndPrefix",
	  "converted model sets the payload member locationName to the member name; the member's locationName must win for real S3 models (LifecycleConfiguration targets BucketLifecycleConfiguration)" },
	{ "protocols/botocore/input/rest-xml.json",
	  "XmlAttributesOnPayload",
	  "converted model sets the payload member locationName to the member name; the member's locationName must win for real S3 models (LifecycleConfiguration targets BucketLifecycleConfiguration)" },
	{ "protocols/botocore/output/rest-json.json",
	  "MediaTypeHeaderOutputBase64",
	  "Smithy @mediaType string headers (base64 of the raw string) do not exist in botocore model files (jsonvalue = a JSON document); botocore skips it too" },
	{ "protocols/botocore/legacy/input/rest-json.json",
	  "List in header#0",
	  "legacy expects \"a,b,c\"; the Smithy suites (InputAndOutputWithHeaders) require \"a, b, c\", which cohd sends" },
	{ "protocols/botocore/legacy/input/rest-xml.json",
	  "List in header#0",
	  "legacy expects \"a,b,c\"; the Smithy suites (InputAndOutputWithHeaders) require \"a, b, c\", which cohd sends" },
	{ "protocols/botocore/legacy/output/json.json",
	  "RPC JSON Event Stream#0",
	  "event streams: no operation cohd uses streams events" },
	{ "protocols/botocore/legacy/output/rest-xml.json",
	  "REST XML Event Stream#0",
	  "event streams: no operation cohd uses streams events" },
	{ "protocols/botocore/legacy/output/rest-xml.json",
	  "REST XML Event Stream#1",
	  "event streams: no operation cohd uses streams events" },
	{ "protocols/botocore/legacy/output/rest-xml.json",
	  "REST XML Event Stream#2",
	  "event streams: no operation cohd uses streams events" },
	{ "protocols/botocore/legacy/output/rest-json.json",
	  "Tagged Unions#2",
	  "botocore-specific SDK_UNKNOWN_MEMBER placeholder for unknown union members; cohd drops unknown members" },
	{ "protocols/botocore/legacy/output/rest-xml.json",
	  "Unions#2",
	  "botocore-specific SDK_UNKNOWN_MEMBER placeholder for unknown union members; cohd drops unknown members" },
};

static json_t *ignore_list;

static bool in_array(const json_t *a, const char *s)
{
	const json_t *x;
	size_t i;

	json_array_foreach(a, i, x)
		if (streq_ptr(json_string_value(x), s))
			return true;
	return false;
}

/* Whether botocore's ignore list names the case (those still run here; see run_file). */
static bool botocore_ignores(const char *proto, bool input, const char *suite, const char *id)
{
	const char *io = input ? "input" : "output";

	if (!ignore_list) {
		ignore_list = json_load_file(
			test_data_path("protocols/botocore/protocol-tests-ignore-list.json"), 0, NULL);
		ck_assert_ptr_nonnull(ignore_list);
	}
	if (in_array(json_object_get(json_object_get(json_object_get(ignore_list, "general"), io),
				     "suites"), suite))
		return true;
	return id && in_array(json_object_get(json_object_get(json_object_get(json_object_get(
								      ignore_list, "protocols"), proto), io),
					      "cases"), id);
}

/* Why cohd skips a case, or NULL. */
static const char *skip_reason(const char *file, const char *id)
{
	for (size_t i = 0; i < ELEMENTSOF(skip_cases); i++)
		if (skip_cases[i].file && streq(skip_cases[i].file, file) && id &&
		    streq(skip_cases[i].id, id))
			return skip_cases[i].reason;
	return NULL;
}

/* ---- comparison helpers ---- */

static bool json_sem_equal(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b)) {
		double x = json_number_value(a), y = json_number_value(b);

		return fabs(x - y) <= 1e-6 * fmax(1.0, fabs(y));
	}
	if (json_is_object(a) && json_is_object(b)) {
		const char *k;
		json_t *v;

		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach((json_t *)a, k, v)
			if (!json_sem_equal(v, json_object_get(b, k)))
				return false;
		return true;
	}
	if (json_is_array(a) && json_is_array(b)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!json_sem_equal(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	}
	return a && b && json_equal((json_t *)a, (json_t *)b);
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void xml_canon(const struct xml_node *n, FILE *f)
{
	size_t na = 0;
	char **pairs = NULL;
	bool has_children = n->first != NULL;

	fprintf(f, "<%s", n->name);
	if (n->attrs) {
		while (n->attrs[na * 2])
			na++;
		pairs = calloc(na + 1, sizeof(char *));
		for (size_t i = 0; i < na; i++)
			ck_assert_int_ge(asprintf(&pairs[i], "%s=%s", n->attrs[2 * i],
						  n->attrs[2 * i + 1]), 0);
		qsort(pairs, na, sizeof(char *), cmp_cstr);
		for (size_t i = 0; i < na; i++) {
			fprintf(f, " %s", pairs[i]);
			free(pairs[i]);
		}
		free(pairs);
	}
	fputc('>', f);
	if (!has_children)
		fputs(n->text ?: "", f);
	else {
		/* mixed whitespace between elements is not significant */
		const char *t = n->text ?: "";

		while (*t && strchr(" \t\r\n", *t))
			t++;
		fputs(t, f);
	}
	for (const struct xml_node *c = n->first; c; c = c->next)
		xml_canon(c, f);
	fprintf(f, "</%s>", n->name);
}

/* Canonical text of an XML document, or NULL if it is not XML. */
static char *xml_canonical(const char *s, size_t n)
{
	_cleanup_(xml_freep) struct xml_node *root = NULL;
	const char *why;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (xml_parse(s, n, &root, &why) < 0)
		return NULL;
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	xml_canon(root, f);
	fclose(f);
	return out;
}

static char *pct_decode(const char *s, size_t n)
{
	char *o = malloc(n + 1), *p = o;

	ck_assert_ptr_nonnull(o);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n + 0 + 1 && i + 2 <= n - 1 + 1 && i + 2 < n + 1) {
			char h[3] = { s[i + 1], s[i + 2], 0 };

			*p++ = (char)strtol(h, NULL, 16);
			i += 2;
		} else if (s[i] == '+')
			*p++ = ' ';
		else
			*p++ = s[i];
	}
	*p = 0;
	return o;
}

/* "a=1&b=2" -> sorted, decoded, "\n"-joined. */
static char *form_canonical(const char *s)
{
	char **v = NULL;
	size_t n = 0, len = 0;
	char *out = NULL;
	FILE *f;

	while (s && *s) {
		const char *amp = strchr(s, '&');
		size_t l = amp ? (size_t)(amp - s) : strlen(s);
		const char *eq = memchr(s, '=', l);
		_cleanup_free_ char *k = pct_decode(s, eq ? (size_t)(eq - s) : l);
		_cleanup_free_ char *val = eq ? pct_decode(eq + 1, l - (size_t)(eq - s) - 1) : NULL;

		v = reallocarray(v, n + 1, sizeof(char *));
		ck_assert_ptr_nonnull(v);
		ck_assert_int_ge(asprintf(&v[n++], "%s=%s", k, val ?: ""), 0);
		s = amp ? amp + 1 : NULL;
	}
	qsort(v, n, sizeof(char *), cmp_cstr);
	f = open_memstream(&out, &len);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s\n", v[i]);
		free(v[i]);
	}
	free(v);
	fclose(f);
	return out;
}

/* Idempotency tokens are random: replace every UUID in s that the params do not contain by
 * the all-zero one the suites expect. */
static void normalize_uuids(char *s, size_t n, const char *params_dump)
{
	static const char zero[] = "00000000-0000-4000-8000-000000000000";

	for (size_t i = 0; s && i + 36 <= n; i++) {
		bool uuid = true;

		for (size_t j = 0; j < 36 && uuid; j++) {
			char c = s[i + j];

			if (j == 8 || j == 13 || j == 18 || j == 23)
				uuid = c == '-';
			else
				uuid = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
		}
		if (uuid && !memmem(params_dump, strlen(params_dump), s + i, 36))
			memcpy(s + i, zero, 36);
	}
}

/* ---- running the suites ---- */

struct counts {
	unsigned passed, skipped, failed;
	unsigned botocore_ignored; /* on botocore's ignore list, run (and passed) here anyway */
};

static struct cohd_aws_service_model *suite_model(const json_t *suite, const json_t *given)
{
	json_auto_t *doc = json_object(), *ops = json_object();
	struct cohd_aws_service_model *m = NULL;
	struct cohd_error err = {};

	json_object_set(doc, "metadata", json_object_get(suite, "metadata"));
	json_object_set(doc, "shapes", json_object_get(suite, "shapes"));
	json_object_set(ops, json_string_value(json_object_get(given, "name")), (json_t *)given);
	json_object_set(doc, "operations", ops);
	ck_assert_int_eq(cohd_aws_service_model_new(doc, NULL, &m, &err), 0);
	return m;
}

static bool check_body(const struct cohd_aws_service_model *m, const char *exp,
		       const struct cohd_buf *got, char **why)
{
	const char *g = cohd_buf_str(got);

	if (m->protocol == COHD_AWS_PROTOCOL_QUERY || m->protocol == COHD_AWS_PROTOCOL_EC2) {
		_cleanup_free_ char *a = form_canonical(exp), *b = form_canonical(g);

		if (streq(a, b))
			return true;
		return asprintf(why, "form body differs:\nexpected:\n%sgot:\n%s", a, b), false;
	}
	if (streq(exp, g))
		return true;
	if (m->protocol == COHD_AWS_PROTOCOL_REST_XML) {
		_cleanup_free_ char *a = xml_canonical(exp, strlen(exp));
		_cleanup_free_ char *b = a ? xml_canonical(g, got->len) : NULL;

		if (a && b && streq(a, b))
			return true;
		return asprintf(why, "xml body differs:\nexpected %s\ngot      %s", a ?: exp,
				b ?: g), false;
	}
	{
		json_auto_t *a = json_loads(exp, JSON_DECODE_ANY, NULL);
		json_auto_t *b = json_loadb(g, got->len, JSON_DECODE_ANY, NULL);

		if (a && b && json_sem_equal(a, b))
			return true;
		return asprintf(why, "json body differs:\nexpected %s\ngot      %s", exp, g), false;
	}
}

static bool run_input(const struct cohd_aws_service_model *m, const json_t *suite,
		      const json_t *c, char **why)
{
	const json_t *given = json_object_get(c, "given"), *ser = json_object_get(c, "serialized");
	const char *op = json_string_value(json_object_get(given, "name"));
	struct cohd_aws_http_request req = {};
	struct cohd_error err = {};
	_cleanup_free_ char *uri = NULL, *exp_path = NULL, *got_q = NULL, *exp_q = NULL;
	const char *exp_uri = json_string_value(json_object_get(ser, "uri")) ?: "/", *q, *k;
	const json_t *v;
	size_t i;
	int r;
	bool ok = true;

	r = cohd_aws_serialize(m, op, json_object_get(c, "params"), &req, &err);
	if (r < 0) {
		ck_assert_int_ge(asprintf(why, "serialize failed: %s", cohd_error_str(&err)), 0);
		cohd_error_done(&err);
		return false;
	}
	{
		_cleanup_free_ char *pd = json_dumps(json_object_get(c, "params"), JSON_ENCODE_ANY);

		normalize_uuids(req.body.data, req.body.len, pd ?: "");
		normalize_uuids(req.query, strlen(req.query), pd ?: "");
	}
	if (json_object_get(ser, "method") &&
	    !streq(json_string_value(json_object_get(ser, "method")), req.method)) {
		ck_assert_int_ge(asprintf(why, "method %s", req.method), 0);
		ok = false;
		goto out;
	}
	q = strchr(exp_uri, '?');
	exp_path = strndup(exp_uri, q ? (size_t)(q - exp_uri) : strlen(exp_uri));
	if (!streq(exp_path, req.path)) {
		ck_assert_int_ge(asprintf(why, "path %s, expected %s", req.path, exp_path), 0);
		ok = false;
		goto out;
	}
	exp_q = form_canonical(q ? q + 1 : "");
	got_q = form_canonical(req.query);
	if (!streq(exp_q, got_q)) {
		ck_assert_int_ge(asprintf(why, "query '%s', expected '%s'", req.query, q ? q + 1 : ""), 0);
		ok = false;
		goto out;
	}
	if (json_object_get(ser, "body") &&
	    !check_body(m, json_string_value(json_object_get(ser, "body")), &req.body, why)) {
		ok = false;
		goto out;
	}
	json_object_foreach(json_object_get(ser, "headers"), k, v) {
		const char *h = cohd_aws_header_get(req.headers, req.n_headers, k);

		/* botocore's Content-Type for query omits "; charset=utf-8" */
		if (h && strcasecmp(k, "Content-Type") == 0 &&
		    strncmp(h, json_string_value(v), strlen(json_string_value(v))) == 0)
			continue;
		if (!h || !streq(h, json_string_value(v))) {
			ck_assert_int_ge(asprintf(why, "header %s: '%s', expected '%s'", k,
						  strempty(h), json_string_value(v)), 0);
			ok = false;
			goto out;
		}
	}
	json_array_foreach(json_object_get(ser, "forbidHeaders"), i, v)
		if (cohd_aws_header_get(req.headers, req.n_headers, json_string_value(v))) {
			ck_assert_int_ge(asprintf(why, "forbidden header %s", json_string_value(v)), 0);
			ok = false;
			goto out;
		}
	json_array_foreach(json_object_get(ser, "requireHeaders"), i, v)
		if (strcasecmp(json_string_value(v), "Content-Length") != 0 && /* HTTP layer */
		    !cohd_aws_header_get(req.headers, req.n_headers, json_string_value(v))) {
			ck_assert_int_ge(asprintf(why, "missing header %s", json_string_value(v)), 0);
			ok = false;
			goto out;
		}
	if (json_object_get(ser, "host")) {
		const char *ep = json_string_value(json_object_get(suite, "clientEndpoint")) ?: "https://example.com";
		const char *host = strstr(ep, "://") ? strstr(ep, "://") + 3 : ep;
		_cleanup_free_ char *full = NULL;

		ck_assert_int_ge(asprintf(&full, "%s%s", strempty(req.host_prefix), host), 0);
		if (!streq(full, json_string_value(json_object_get(ser, "host")))) {
			ck_assert_int_ge(asprintf(why, "host %s", full), 0);
			ok = false;
		}
	}
out:
	cohd_aws_http_request_done(&req);
	return ok;
}

static bool run_output(const struct cohd_aws_service_model *m, const json_t *c, char **why)
{
	const json_t *given = json_object_get(c, "given"), *resp = json_object_get(c, "response");
	const char *op = json_string_value(json_object_get(given, "name"));
	const char *body = json_string_value(json_object_get(resp, "body")) ?: "";
	struct cohd_aws_header hdrs[64];
	struct cohd_aws_error err = {};
	json_auto_t *out = NULL;
	size_t nh = 0;
	const char *k;
	json_t *v;
	int r;
	bool ok = true;

	json_object_foreach(json_object_get(resp, "headers"), k, v)
		if (nh < ELEMENTSOF(hdrs))
			hdrs[nh++] = (struct cohd_aws_header){ (char *)k,
							       (char *)json_string_value(v) };
	r = cohd_aws_parse_response(m, op, (int)json_integer_value(json_object_get(resp, "status_code")),
				    hdrs, nh, body, strlen(body), &out, &err);
	if (json_object_get(c, "errorCode")) {
		const char *msg = json_string_value(json_object_get(c, "errorMessage"));

		if (r != -EREMOTEIO)
			ok = asprintf(why, "expected an error, got r=%d", r) < 0;
		else if (!streq_ptr(err.code, json_string_value(json_object_get(c, "errorCode"))))
			ok = asprintf(why, "error code %s", strempty(err.code)) < 0;
		else if (msg && !streq_ptr(err.message, msg))
			ok = asprintf(why, "error message %s", strempty(err.message)) < 0;
		cohd_aws_error_done(&err);
		return ok;
	}
	if (r < 0) {
		ok = asprintf(why, "parse failed r=%d %s %s", r, strempty(err.code),
			      strempty(err.message)) < 0;
		cohd_aws_error_done(&err);
		return ok;
	}
	if (!json_sem_equal(out, json_object_get(c, "result"))) {
		_cleanup_free_ char *a = json_dumps(out, JSON_SORT_KEYS | JSON_COMPACT);
		_cleanup_free_ char *b = json_dumps(json_object_get(c, "result"), JSON_SORT_KEYS | JSON_COMPACT);

		return asprintf(why, "result differs:\nexpected %s\ngot      %s", b, a) < 0;
	}
	return true;
}

static struct counts run_file(const char *rel, const char *proto, bool input)
{
	json_auto_t *suites = json_load_file(test_data_path(rel), 0, NULL);
	struct counts n = {};
	const json_t *suite;
	size_t si;

	ck_assert_msg(suites, "cannot load %s", rel);
	json_array_foreach(suites, si, suite) {
		const char *desc = json_string_value(json_object_get(suite, "description"));
		const json_t *c;
		size_t ci;

		json_array_foreach(json_object_get(suite, "cases"), ci, c) {
			const json_t *given = json_object_get(c, "given");
			const char *cid = json_string_value(json_object_get(c, "id"));
			char legacy_id[512];
			const char *reason;
			_cleanup_(cohd_aws_service_model_freep) struct cohd_aws_service_model *m = NULL;
			_cleanup_free_ char *why = NULL;
			bool ok;

			if (!cid) {
				snprintf(legacy_id, sizeof legacy_id, "%s#%zu", desc, ci);
				cid = legacy_id;
			}
			reason = skip_reason(rel, cid);
			if (reason) {
				n.skipped++;
				continue;
			}
			if (botocore_ignores(proto, input, desc, cid))
				n.botocore_ignored++;
			m = suite_model(suite, given);
			ok = input ? run_input(m, suite, c, &why) : run_output(m, c, &why);
			if (ok)
				n.passed++;
			else {
				n.failed++;
				fprintf(stderr, "FAIL %s [%s]: %s\n", rel, cid, why ?: "?");
			}
		}
	}
	printf("protocols: %-48s passed %3u (%u on botocore's ignore list) skipped %3u failed %3u\n",
	       rel, n.passed, n.botocore_ignored, n.skipped, n.failed);
	return n;
}

static const char *const protos[] = { "ec2", "query", "json", "rest-json", "rest-xml" };

static void run_set(const char *dir, bool input, bool legacy)
{
	struct counts total = {};

	for (size_t i = 0; i < ELEMENTSOF(protos); i++) {
		char rel[256];
		struct counts n;

		snprintf(rel, sizeof rel, "protocols/botocore/%s%s/%s.json", legacy ? "legacy/" : "",
			 dir, protos[i]);
		n = run_file(rel, protos[i], input);
		total.passed += n.passed;
		total.skipped += n.skipped;
		total.failed += n.failed;
		total.botocore_ignored += n.botocore_ignored;
	}
	printf("protocols: %s%s total: passed %u (%u on botocore's ignore list) skipped %u failed %u\n",
	       legacy ? "legacy/" : "", dir, total.passed, total.botocore_ignored, total.skipped,
	       total.failed);
	ck_assert_uint_eq(total.failed, 0);
}

START_TEST(test_suite_input)
{
	run_set("input", true, false);
}
END_TEST

START_TEST(test_suite_output)
{
	run_set("output", false, false);
}
END_TEST

START_TEST(test_suite_legacy_input)
{
	run_set("input", true, true);
}
END_TEST

START_TEST(test_suite_legacy_output)
{
	run_set("output", false, true);
}
END_TEST

static Suite *protocols_suite(void)
{
	Suite *s = suite_create("protocols");
	TCase *tc = tcase_create("botocore_suites");

	tcase_add_test(tc, test_suite_input);
	tcase_add_test(tc, test_suite_output);
	tcase_add_test(tc, test_suite_legacy_input);
	tcase_add_test(tc, test_suite_legacy_output);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

COHD_TEST_MAIN(protocols_suite)
