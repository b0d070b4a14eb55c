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
#include "lib/util/time.h"
#include "test.h"

/* Cases cohd skips on top of botocore's ignore list: suite file, case id (or legacy
 * "<description>#<n>"), reason. */
static const struct {
	const char *file;
	const char *id;
	const char *reason;
} skip_cases[] = {
	{"protocols/botocore/input/ec2.json", "Ec2QueryHostWithPath",
	 "endpoint URL paths are the HTTP layer's: the serialiser emits the path relative to the "
	 "endpoint"},
	{"protocols/botocore/input/ec2.json", "SDKAppliedContentEncoding_ec2Query",
	 "request compression (Smithy requestCompression) is not implemented: no call cohd makes "
	 "needs it"},
	{"protocols/botocore/input/ec2.json",
	 "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_ec2Query",
	 "request compression (Smithy requestCompression) is not implemented: no call cohd makes "
	 "needs it"},
	{"protocols/botocore/input/query.json", "QueryHostWithPath",
	 "endpoint URL paths are the HTTP layer's: the serialiser emits the path relative to the "
	 "endpoint"},
	{"protocols/botocore/input/query.json", "SDKAppliedContentEncoding_awsQuery",
	 "request compression (Smithy requestCompression) is not implemented: no call cohd makes "
	 "needs it"},
	{"protocols/botocore/input/query.json",
	 "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsQuery",
	 "request compression (Smithy requestCompression) is not implemented: no call cohd makes "
	 "needs it"},
	{"protocols/botocore/input/query.json", "QueryFlattenedListArgWithXmlName",
	 "botocore's rule (the list member locationName renames a flattened list) is kept; no "
	 "model cohd embeds has such a list; botocore skips it too"},
	{"protocols/botocore/input/json.json", "AwsJson11HostWithPath",
	 "endpoint URL paths are the HTTP layer's: the serialiser emits the path relative to the "
	 "endpoint"},
	{"protocols/botocore/input/json.json", "SDKAppliedContentEncoding_awsJson1_1",
	 "request compression (Smithy requestCompression) is not implemented: no call cohd makes "
	 "needs it"},
	{"protocols/botocore/input/json.json",
	 "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsJson1_1",
	 "request compression (Smithy requestCompression) is not implemented: no call cohd makes "
	 "needs it"},
	{"protocols/botocore/input/rest-json.json", "RestJsonHostWithPath",
	 "endpoint URL paths are the HTTP layer's: the serialiser emits the path relative to the "
	 "endpoint"},
	{"protocols/botocore/input/rest-json.json", "SDKAppliedContentEncoding_restJson1",
	 "request compression (Smithy requestCompression) is not implemented: no call cohd makes "
	 "needs it"},
	{"protocols/botocore/input/rest-json.json",
	 "SDKAppendedGzipAfterProvidedEncoding_restJson1",
	 "request compression (Smithy requestCompression) is not implemented: no call cohd makes "
	 "needs it"},
	{"protocols/botocore/input/rest-json.json", "MediaTypeHeaderInputBase64",
	 "Smithy @mediaType string headers (base64 of the raw string) do not exist in botocore "
	 "model files (jsonvalue = a JSON document); botocore skips it too"},
	{"protocols/botocore/input/rest-json.json", "RestJsonNullAndEmptyHeaders",
	 "an empty list header is omitted (legacy \"List in header#1\" requires that); botocore "
	 "skips it too"},
	{"protocols/botocore/input/rest-xml.json", "SDKAppliedContentEncoding_restXml",
	 "request compression (Smithy requestCompression) is not implemented: no call cohd makes "
	 "needs it"},
	{"protocols/botocore/input/rest-xml.json", "SDKAppendedGzipAfterProvidedEncoding_restXml",
	 "request compression (Smithy requestCompression) is not implemented: no call cohd makes "
	 "needs it"},
	{"protocols/botocore/input/rest-xml.json", "NullAndEmptyHeaders",
	 "an empty list header is omitted (legacy \"List in header#1\" requires that); botocore "
	 "skips it too"},
	{"protocols/botocore/input/rest-xml.json", "RestXmlHttpPayloadWithUnion",
	 "converted model sets the payload member locationName to the member name; the member's "
	 "locationName must win for real S3 models (LifecycleConfiguration targets "
	 "BucketLifecycleConfiguration)"},
	{"protocols/botocore/input/rest-xml.json", "HttpPayloadWithXmlName",
	 "converted model sets the payload member locationName to the member name; the member's "
	 "locationName must win for real S3 models (LifecycleConfiguration targets "
	 "BucketLifecycleConfiguration)"},
	{"protocols/botocore/input/rest-xml.json", "HttpPayloadWithXmlNamespace",
	 "converted model sets the payload member locationName to the member name; the member's "
	 "locationName must win for real S3 models (LifecycleConfiguration targets "
	 "BucketLifecycleConfiguration)"},
	{"protocols/botocore/input/rest-xml.json", "HttpPayloadWithXmlNamespaceAndPrefix",
	 "converted model sets the payload member locationName to the member name; the member's "
	 "locationName must win for real S3 models (LifecycleConfiguration targets "
	 "BucketLifecycleConfiguration)"},
	{"protocols/botocore/input/rest-xml.json", "XmlAttributesOnPayload",
	 "converted model sets the payload member locationName to the member name; the member's "
	 "locationName must win for real S3 models (LifecycleConfiguration targets "
	 "BucketLifecycleConfiguration)"},
	{"protocols/botocore/output/rest-json.json", "MediaTypeHeaderOutputBase64",
	 "Smithy @mediaType string headers (base64 of the raw string) do not exist in botocore "
	 "model files (jsonvalue = a JSON document); botocore skips it too"},
	{"protocols/botocore/legacy/input/rest-json.json", "List in header#0",
	 "legacy expects \"a,b,c\"; the Smithy suites (InputAndOutputWithHeaders) require \"a, b, "
	 "c\", which cohd sends"},
	{"protocols/botocore/legacy/input/rest-xml.json", "List in header#0",
	 "legacy expects \"a,b,c\"; the Smithy suites (InputAndOutputWithHeaders) require \"a, b, "
	 "c\", which cohd sends"},
	{"protocols/botocore/legacy/output/json.json", "RPC JSON Event Stream#0",
	 "event streams: no operation cohd uses streams events"},
	{"protocols/botocore/legacy/output/rest-xml.json", "REST XML Event Stream#0",
	 "event streams: no operation cohd uses streams events"},
	{"protocols/botocore/legacy/output/rest-xml.json", "REST XML Event Stream#1",
	 "event streams: no operation cohd uses streams events"},
	{"protocols/botocore/legacy/output/rest-xml.json", "REST XML Event Stream#2",
	 "event streams: no operation cohd uses streams events"},
	{"protocols/botocore/legacy/output/rest-json.json", "Tagged Unions#2",
	 "botocore-specific SDK_UNKNOWN_MEMBER placeholder for unknown union members; cohd drops "
	 "unknown members"},
	{"protocols/botocore/legacy/output/rest-xml.json", "Unions#2",
	 "botocore-specific SDK_UNKNOWN_MEMBER placeholder for unknown union members; cohd drops "
	 "unknown members"},
};

static json_t *ignore_list;

static bool in_array(const json_t *a, const char *s)
{
	const json_t *x;
	size_t i;

	json_array_foreach (a, i, x)
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
			test_data_path("protocols/botocore/protocol-tests-ignore-list.json"), 0,
			NULL);
		ck_assert_ptr_nonnull(ignore_list);
	}
	if (in_array(json_object_get(json_object_get(json_object_get(ignore_list, "general"), io),
				     "suites"),
		     suite))
		return true;
	return id && in_array(json_object_get(
				      json_object_get(json_object_get(json_object_get(ignore_list,
										      "protocols"),
								      proto),
						      io),
				      "cases"),
			      id);
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
		json_object_foreach ((json_t *)a, k, v)
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
			ck_assert_int_ge(
				asprintf(&pairs[i], "%s=%s", n->attrs[2 * i], n->attrs[2 * i + 1]),
				0);
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
		if (s[i] == '%' && i + 2 < n) {
			char h[3] = {s[i + 1], s[i + 2], 0};

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
	if (n > 0)
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

	if (!s)
		return;
	for (size_t i = 0; i + 36 <= n; i++) {
		bool uuid = true;

		for (size_t j = 0; j < 36 && uuid; j++) {
			char c = s[i + j];

			if (j == 8 || j == 13 || j == 18 || j == 23)
				uuid = c == '-';
			else
				uuid = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
		}
		if (uuid) {
			char cand[37];

			memcpy(cand, s + i, 36);
			cand[36] = 0;
			if (!strstr(params_dump, cand))
				memcpy(s + i, zero, 36);
		}
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
				b ?: g),
		       false;
	}
	{
		json_auto_t *a = json_loads(exp, JSON_DECODE_ANY, NULL);
		json_auto_t *b = json_loadb(g, got->len, JSON_DECODE_ANY, NULL);

		if (a && b && json_sem_equal(a, b))
			return true;
		return asprintf(why, "json body differs:\nexpected %s\ngot      %s", exp, g), false;
	}
}

static bool run_input(const struct cohd_aws_service_model *m, const json_t *suite, const json_t *c,
		      char **why)
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
		ck_assert_int_ge(
			asprintf(why, "query '%s', expected '%s'", req.query, q ? q + 1 : ""), 0);
		ok = false;
		goto out;
	}
	if (json_object_get(ser, "body") &&
	    !check_body(m, json_string_value(json_object_get(ser, "body")), &req.body, why)) {
		ok = false;
		goto out;
	}
	json_object_foreach (json_object_get(ser, "headers"), k, v) {
		const char *h = cohd_aws_header_get(req.headers, req.n_headers, k);

		/* botocore's Content-Type for query omits "; charset=utf-8" */
		if (h && strcasecmp(k, "Content-Type") == 0 &&
		    strncmp(h, json_string_value(v), strlen(json_string_value(v))) == 0)
			continue;
		if (!h || !streq(h, json_string_value(v))) {
			ck_assert_int_ge(asprintf(why, "header %s: '%s', expected '%s'", k,
						  strempty(h), json_string_value(v)),
					 0);
			ok = false;
			goto out;
		}
	}
	json_array_foreach (json_object_get(ser, "forbidHeaders"), i, v)
		if (cohd_aws_header_get(req.headers, req.n_headers, json_string_value(v))) {
			ck_assert_int_ge(asprintf(why, "forbidden header %s", json_string_value(v)),
					 0);
			ok = false;
			goto out;
		}
	json_array_foreach (json_object_get(ser, "requireHeaders"), i, v)
		if (strcasecmp(json_string_value(v), "Content-Length") != 0 && /* HTTP layer */
		    !cohd_aws_header_get(req.headers, req.n_headers, json_string_value(v))) {
			ck_assert_int_ge(asprintf(why, "missing header %s", json_string_value(v)),
					 0);
			ok = false;
			goto out;
		}
	if (json_object_get(ser, "host")) {
		const char *ep = json_string_value(json_object_get(suite, "clientEndpoint"))
					 ?: "https://example.com";
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

	json_object_foreach (json_object_get(resp, "headers"), k, v)
		if (nh < ELEMENTSOF(hdrs))
			hdrs[nh++] =
				(struct cohd_aws_header){(char *)k, (char *)json_string_value(v)};
	r = cohd_aws_parse_response(m, op,
				    (int)json_integer_value(json_object_get(resp, "status_code")),
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
		_cleanup_free_ char *b =
			json_dumps(json_object_get(c, "result"), JSON_SORT_KEYS | JSON_COMPACT);

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
	json_array_foreach (suites, si, suite) {
		const char *desc = json_string_value(json_object_get(suite, "description"));
		const json_t *c;
		size_t ci;

		json_array_foreach (json_object_get(suite, "cases"), ci, c) {
			const json_t *given = json_object_get(c, "given");
			const char *cid = json_string_value(json_object_get(c, "id"));
			char legacy_id[512];
			const char *reason;
			_cleanup_(cohd_aws_service_model_freep) struct cohd_aws_service_model *m =
				NULL;
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
	printf("protocols: %-48s passed %3u (%u on botocore's ignore list) skipped %3u failed "
	       "%3u\n",
	       rel, n.passed, n.botocore_ignored, n.skipped, n.failed);
	return n;
}

static const char *const protos[] = {"ec2", "query", "json", "rest-json", "rest-xml"};

static void run_set(const char *dir, bool input, bool legacy)
{
	struct counts total = {};

	for (size_t i = 0; i < ELEMENTSOF(protos); i++) {
		char rel[256];
		struct counts n;

		snprintf(rel, sizeof rel, "protocols/botocore/%s%s/%s.json",
			 legacy ? "legacy/" : "", dir, protos[i]);
		n = run_file(rel, protos[i], input);
		total.passed += n.passed;
		total.skipped += n.skipped;
		total.failed += n.failed;
		total.botocore_ignored += n.botocore_ignored;
	}
	printf("protocols: %s%s total: passed %u (%u on botocore's ignore list) skipped %u failed "
	       "%u\n",
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

/* ---- the embedded real models ---- */

static const struct cohd_aws_service_model *model(const char *svc)
{
	const struct cohd_aws_service *sv = cohd_aws_service_find(svc);
	const struct cohd_aws_service_model *m = NULL;

	ck_assert_msg(sv, "no service %s", svc);
	ck_assert_int_eq(cohd_aws_service_model(sv, &m), 0);
	return m;
}

/* Serialise op with params given as JSON text; aborts on failure. */
static void ser(const char *svc, const char *op, const char *params,
		struct cohd_aws_http_request *req)
{
	json_auto_t *p = json_loads(params, 0, NULL);
	struct cohd_error err = {};
	int r;

	ck_assert_msg(p, "bad test JSON for %s", op);
	r = cohd_aws_serialize(model(svc), op, p, req, &err);
	ck_assert_msg(r == 0, "%s: %s", op, cohd_error_str(&err));
}

static void assert_contains(const char *hay, const char *needle)
{
	ck_assert_msg(strstr(hay, needle), "'%s' not in:\n%s", needle, hay);
}

START_TEST(test_services)
{
	const struct cohd_aws_service *all, *s;
	size_t n, total = 0;

	all = cohd_aws_services(&n);
	ck_assert_uint_eq(n, 22); /* aws-api.md §1 and ECR */
	for (size_t i = 0; i < n; i++) {
		const struct cohd_aws_service_model *m = NULL;
		json_auto_t *ops = NULL;
		usec_t t0 = cohd_now_monotonic(), dt;

		ck_assert_int_eq(cohd_aws_service_model(&all[i], &m), 0);
		dt = cohd_now_monotonic() - t0;
		ops = cohd_aws_operation_list(m);
		ck_assert_uint_gt(json_array_size(ops), 0);
		ck_assert_int_eq((int)m->protocol, (int)all[i].protocol);
		printf("protocols: model %-25s %-9s %8zu bytes, %4zu operations, loaded in %6.2f "
		       "ms\n",
		       all[i].cli_name, all[i].protocol_name,
		       all[i]._model_len + all[i]._paginators_len, json_array_size(ops),
		       (double)dt / 1000.0);
		total += all[i]._model_len + all[i]._paginators_len;
	}
	printf("protocols: embedded models total %zu bytes\n", total);

	s = cohd_aws_service_find("elbv2");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->service_id, "Elastic Load Balancing v2");
	ck_assert_str_eq(s->endpoint_prefix, "elasticloadbalancing");
	ck_assert_str_eq(s->signing_name, "elasticloadbalancing");
	ck_assert_ptr_eq(cohd_aws_service_find("elasticloadbalancing"), s);
	ck_assert_ptr_eq(cohd_aws_service_find("tagging"),
			 cohd_aws_service_find("resourcegroupstaggingapi"));
	s = cohd_aws_service_find("kms");
	ck_assert_str_eq(s->target_prefix, "TrentService");
	ck_assert_str_eq(s->json_version, "1.1");
	ck_assert_int_eq(s->protocol, COHD_AWS_PROTOCOL_JSON);
	s = cohd_aws_service_find("iam");
	ck_assert_str_eq(s->global_endpoint, "iam.amazonaws.com");
	ck_assert_str_eq(s->api_version, "2010-05-08");
	s = cohd_aws_service_find("ec2");
	ck_assert_str_eq(s->api_version, "2016-11-15");
	ck_assert_int_eq(s->protocol, COHD_AWS_PROTOCOL_EC2);
	ck_assert_str_eq(cohd_aws_service_find("cloudfront")->api_version, "2020-05-31");
	ck_assert_ptr_null(cohd_aws_service_find("nope"));
	{
		const json_t *op;

		ck_assert_int_eq(cohd_aws_operation_find(model("ec2"), "DescribeVpcs", &op), 0);
		ck_assert_int_eq(cohd_aws_operation_find(model("ec2"), "DescribeNothing", &op),
				 -ENOENT);
	}
}
END_TEST

START_TEST(test_serialize_ec2_describe_vpcs)
{
	struct cohd_aws_http_request req = {};

	ser("ec2", "DescribeVpcs",
	    "{\"Filters\": [{\"Name\": \"tag:Name\", \"Values\": [\"x y\"]},"
	    " {\"Name\": \"vpc-id\", \"Values\": [\"vpc-1\", \"vpc-2\"]}], \"MaxResults\": 5}",
	    &req);
	ck_assert_str_eq(req.method, "POST");
	ck_assert_str_eq(req.path, "/");
	ck_assert_str_eq(cohd_buf_str(&req.body),
			 "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag%3AName&"
			 "Filter.1.Value.1=x%20y&Filter.2.Name=vpc-id&Filter.2.Value.1=vpc-1&"
			 "Filter.2.Value.2=vpc-2&MaxResults=5");
	assert_contains(cohd_aws_header_get(req.headers, req.n_headers, "content-type"),
			"application/x-www-form-urlencoded");
	cohd_aws_http_request_done(&req);

	/* TagSpecification on create, empty lists omitted in ec2 */
	ser("ec2", "CreateVpc",
	    "{\"CidrBlock\": \"10.0.0.0/16\", \"TagSpecifications\": [{\"ResourceType\": \"vpc\","
	    " \"Tags\": [{\"Key\": \"Name\", \"Value\": \"a\"}]}], "
	    "\"Ipv6CidrBlockNetworkBorderGroup\": \"\"}",
	    &req);
	assert_contains(cohd_buf_str(&req.body), "TagSpecification.1.ResourceType=vpc");
	assert_contains(cohd_buf_str(&req.body), "TagSpecification.1.Tag.1.Key=Name");
	assert_contains(cohd_buf_str(&req.body), "CidrBlock=10.0.0.0%2F16");
	cohd_aws_http_request_done(&req);
}
END_TEST

START_TEST(test_serialize_elbv2_rds)
{
	struct cohd_aws_http_request req = {};

	ser("elbv2", "CreateLoadBalancer",
	    "{\"Name\": \"lb\", \"Subnets\": [\"s-1\", \"s-2\"], \"Tags\": [{\"Key\": \"k\","
	    " \"Value\": \"v\"}], \"Type\": \"application\"}",
	    &req);
	ck_assert_str_eq(
		cohd_buf_str(&req.body),
		"Action=CreateLoadBalancer&Version=2015-12-01&Name=lb&Subnets.member.1=s-1&"
		"Subnets.member.2=s-2&Tags.member.1.Key=k&Tags.member.1.Value=v&Type=application");
	cohd_aws_http_request_done(&req);

	ser("rds", "CreateDBSubnetGroup",
	    "{\"DBSubnetGroupName\": \"g\", \"DBSubnetGroupDescription\": \"d\", \"SubnetIds\":"
	    " [\"s-1\"], \"Tags\": [{\"Key\": \"k\", \"Value\": \"v\"}]}",
	    &req);
	assert_contains(cohd_buf_str(&req.body), "SubnetIds.SubnetIdentifier.1=s-1");
	assert_contains(cohd_buf_str(&req.body), "Tags.Tag.1.Key=k");
	cohd_aws_http_request_done(&req);
}
END_TEST

START_TEST(test_serialize_json_ecs_secrets)
{
	struct cohd_aws_http_request req = {};
	json_auto_t *body = NULL;
	const char *tok;

	ser("ecs", "CreateService",
	    "{\"cluster\": \"c\", \"serviceName\": \"web\", \"taskDefinition\": \"td:3\","
	    " \"desiredCount\": 2, \"launchType\": \"FARGATE\", \"networkConfiguration\":"
	    " {\"awsvpcConfiguration\": {\"subnets\": [\"s-1\"], \"assignPublicIp\": "
	    "\"DISABLED\"}},"
	    " \"tags\": [{\"key\": \"k\", \"value\": \"v\"}], \"clientToken\": \"tok-1\"}",
	    &req);
	ck_assert_str_eq(cohd_aws_header_get(req.headers, req.n_headers, "X-Amz-Target"),
			 "AmazonEC2ContainerServiceV20141113.CreateService");
	ck_assert_str_eq(cohd_aws_header_get(req.headers, req.n_headers, "Content-Type"),
			 "application/x-amz-json-1.1");
	body = json_loads(cohd_buf_str(&req.body), 0, NULL);
	ck_assert_ptr_nonnull(body);
	ck_assert_int_eq(json_integer_value(json_object_get(body, "desiredCount")), 2);
	ck_assert_str_eq(
		json_string_value(json_array_get(
			json_object_get(
				json_object_get(json_object_get(body, "networkConfiguration"),
						"awsvpcConfiguration"),
				"subnets"),
			0)),
		"s-1");
	cohd_aws_http_request_done(&req);

	/* idempotency token filled in when left out */
	ser("secretsmanager", "CreateSecret", "{\"Name\": \"s\", \"SecretString\": \"x\"}", &req);
	json_decref(body);
	body = json_loads(cohd_buf_str(&req.body), 0, NULL);
	tok = json_string_value(json_object_get(body, "ClientRequestToken"));
	ck_assert_ptr_nonnull(tok);
	ck_assert_uint_eq(strlen(tok), 36);
	ck_assert_int_eq(tok[14], '4');
	cohd_aws_http_request_done(&req);
	ser("secretsmanager", "CreateSecret",
	    "{\"Name\": \"s\", \"ClientRequestToken\": \"mine-0123456789-0123456789-0123456789\"}",
	    &req);
	assert_contains(cohd_buf_str(&req.body), "mine-0123456789");
	cohd_aws_http_request_done(&req);

	/* tokens filled into params for the caller to persist */
	{
		json_auto_t *p = json_loads("{\"Name\": \"s\"}", 0, NULL);
		const char *t1;

		ck_assert_int_eq(cohd_aws_fill_idempotency_tokens(model("secretsmanager"),
								  "CreateSecret", p),
				 1);
		t1 = json_string_value(json_object_get(p, "ClientRequestToken"));
		ck_assert_uint_eq(strlen(t1), 36);
		ck_assert_int_eq(cohd_aws_fill_idempotency_tokens(model("secretsmanager"),
								  "CreateSecret", p),
				 0);
		ck_assert_str_eq(json_string_value(json_object_get(p, "ClientRequestToken")), t1);
		ck_assert_int_eq(cohd_aws_fill_idempotency_tokens(model("ec2"), "RunInstances", p),
				 1);
	}

	/* empty input: {} */
	ser("kms", "ListKeys", "{}", &req);
	ck_assert_str_eq(cohd_buf_str(&req.body), "{}");
	ck_assert_str_eq(cohd_aws_header_get(req.headers, req.n_headers, "X-Amz-Target"),
			 "TrentService.ListKeys");
	cohd_aws_http_request_done(&req);
}
END_TEST

START_TEST(test_serialize_route53)
{
	struct cohd_aws_http_request req = {};

	ser("route53", "ChangeResourceRecordSets",
	    "{\"HostedZoneId\": \"Z123\", \"ChangeBatch\": {\"Comment\": \"a&b\", \"Changes\": ["
	    "{\"Action\": \"UPSERT\", \"ResourceRecordSet\": {\"Name\": \"www.example.com.\","
	    " \"Type\": \"A\", \"TTL\": 60, \"ResourceRecords\": [{\"Value\": \"192.0.2.1\"}]}}]}}",
	    &req);
	ck_assert_str_eq(req.method, "POST");
	ck_assert_str_eq(req.path, "/2013-04-01/hostedzone/Z123/rrset/");
	ck_assert_str_eq(req.query, "");
	ck_assert_str_eq(
		cohd_buf_str(&req.body),
		"<ChangeResourceRecordSetsRequest "
		"xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
		"<ChangeBatch><Comment>a&amp;b</Comment><Changes><Change><Action>UPSERT</Action>"
		"<ResourceRecordSet><Name>www.example.com.</Name><Type>A</Type><TTL>60</TTL>"
		"<ResourceRecords><ResourceRecord><Value>192.0.2.1</Value></ResourceRecord>"
		"</ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch>"
		"</ChangeResourceRecordSetsRequest>");
	cohd_aws_http_request_done(&req);

	ser("route53", "ListResourceRecordSets",
	    "{\"HostedZoneId\": \"Z1\", \"StartRecordName\": \"a b.\", \"StartRecordType\": \"A\","
	    " \"MaxItems\": \"10\"}",
	    &req);
	ck_assert_str_eq(req.method, "GET");
	ck_assert_str_eq(req.path, "/2013-04-01/hostedzone/Z1/rrset");
	ck_assert_str_eq(req.query, "name=a%20b.&type=A&maxitems=10");
	ck_assert_uint_eq(req.body.len, 0);
	cohd_aws_http_request_done(&req);
}
END_TEST

START_TEST(test_serialize_cloudfront)
{
	struct cohd_aws_http_request req = {};

	ser("cloudfront", "CreateDistribution",
	    "{\"DistributionConfig\": {\"CallerReference\": \"ref-1\","
	    " \"Aliases\": {\"Items\": [\"www.example.com\"]},"
	    " \"Origins\": {\"Quantity\": 1, \"Items\": [{\"Id\": \"o1\", \"DomainName\": "
	    "\"b.s3.amazonaws.com\","
	    "   \"S3OriginConfig\": {\"OriginAccessIdentity\": \"\"}}]},"
	    " \"DefaultCacheBehavior\": {\"TargetOriginId\": \"o1\", \"ViewerProtocolPolicy\": "
	    "\"redirect-to-https\","
	    "   \"CachePolicyId\": \"658327ea\"},"
	    " \"Comment\": \"\", \"Enabled\": true}}",
	    &req);
	ck_assert_str_eq(req.method, "POST");
	ck_assert_str_eq(req.path, "/2020-05-31/distribution");
	ck_assert_str_eq(cohd_aws_header_get(req.headers, req.n_headers, "Content-Type"),
			 "application/xml");
	ck_assert_str_eq(
		cohd_buf_str(&req.body),
		"<DistributionConfig xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">"
		"<CallerReference>ref-1</CallerReference>"
		"<Aliases><Quantity>1</Quantity><Items><CNAME>www.example.com</CNAME></Items></"
		"Aliases>"
		"<Origins><Quantity>1</Quantity><Items><Origin><Id>o1</Id>"
		"<DomainName>b.s3.amazonaws.com</DomainName><S3OriginConfig><OriginAccessIdentity>"
		"</OriginAccessIdentity></S3OriginConfig></Origin></Items></Origins>"
		"<DefaultCacheBehavior><TargetOriginId>o1</TargetOriginId>"
		"<ViewerProtocolPolicy>redirect-to-https</ViewerProtocolPolicy>"
		"<CachePolicyId>658327ea</CachePolicyId></DefaultCacheBehavior>"
		"<Comment></Comment><Enabled>true</Enabled></DistributionConfig>");
	cohd_aws_http_request_done(&req);

	/* If-Match header, uri label */
	ser("cloudfront", "DeleteDistribution", "{\"Id\": \"E1\", \"IfMatch\": \"ETAG\"}", &req);
	ck_assert_str_eq(req.method, "DELETE");
	ck_assert_str_eq(req.path, "/2020-05-31/distribution/E1");
	ck_assert_str_eq(cohd_aws_header_get(req.headers, req.n_headers, "If-Match"), "ETAG");
	cohd_aws_http_request_done(&req);
}
END_TEST

START_TEST(test_serialize_lambda_s3)
{
	struct cohd_aws_http_request req = {};
	json_auto_t *body = NULL;

	ser("lambda", "CreateFunction",
	    "{\"FunctionName\": \"f\", \"Role\": \"arn:aws:iam::1:role/r\", \"Runtime\": "
	    "\"python3.11\","
	    " \"Handler\": \"h.main\", \"Code\": {\"ZipFile\": \"PK\\u0003\\u0004\"}, \"Timeout\": "
	    "30,"
	    " \"Environment\": {\"Variables\": {\"A\": \"1\"}}, \"Tags\": {\"k\": \"v\"}}",
	    &req);
	ck_assert_str_eq(req.method, "POST");
	ck_assert_str_eq(req.path, "/2015-03-31/functions");
	ck_assert_str_eq(cohd_aws_header_get(req.headers, req.n_headers, "Content-Type"),
			 "application/json");
	body = json_loads(cohd_buf_str(&req.body), 0, NULL);
	ck_assert_str_eq(
		json_string_value(json_object_get(json_object_get(body, "Code"), "ZipFile")),
		"UEsDBA==");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(body, "Tags"), "k")),
			 "v");
	cohd_aws_http_request_done(&req);

	ser("lambda", "UntagResource",
	    "{\"Resource\": \"arn:aws:lambda:eu-west-1:1:function:f\","
	    " \"TagKeys\": [\"a\", \"b c\"]}",
	    &req);
	ck_assert_str_eq(req.method, "DELETE");
	ck_assert_str_eq(req.path,
			 "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aeu-west-1%3A1%3Afunction%3Af");
	ck_assert_str_eq(req.query, "tagKeys=a&tagKeys=b%20c");
	cohd_aws_http_request_done(&req);

	/* S3: greedy key, Content-MD5 where required, static query */
	ser("s3", "PutObject",
	    "{\"Bucket\": \"b\", \"Key\": \"dir/a b.txt\", \"Body\": \"hello\","
	    " \"ContentType\": \"text/plain\"}",
	    &req);
	ck_assert_str_eq(req.method, "PUT");
	ck_assert_str_eq(req.path, "/b/dir/a%20b.txt");
	ck_assert_str_eq(cohd_buf_str(&req.body), "hello");
	ck_assert_str_eq(cohd_aws_header_get(req.headers, req.n_headers, "Content-Type"),
			 "text/plain");
	cohd_aws_http_request_done(&req);

	ser("s3", "PutBucketVersioning",
	    "{\"Bucket\": \"b\", \"VersioningConfiguration\": {\"Status\": \"Enabled\"}}", &req);
	ck_assert_str_eq(req.path, "/b");
	ck_assert_str_eq(req.query, "versioning");
	ck_assert_str_eq(
		cohd_buf_str(&req.body),
		"<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Status>Enabled</Status></VersioningConfiguration>");
	ck_assert_ptr_nonnull(cohd_aws_header_get(req.headers, req.n_headers, "Content-MD5"));
	cohd_aws_http_request_done(&req);

	ser("s3", "ListObjectsV2",
	    "{\"Bucket\": \"b\", \"Prefix\": \"a/\", \"ContinuationToken\": \"t+1\"}", &req);
	ck_assert_str_eq(req.method, "GET");
	ck_assert_str_eq(req.path, "/b");
	ck_assert_str_eq(req.query, "list-type=2&prefix=a%2F&continuation-token=t%2B1");
	cohd_aws_http_request_done(&req);
}
END_TEST

START_TEST(test_serialize_validation)
{
	struct cohd_aws_http_request req = {};
	struct cohd_error err = {};
	json_auto_t *p = NULL;

	p = json_loads("{\"Filters\": [{\"Nme\": \"x\"}]}", 0, NULL);
	ck_assert_int_eq(cohd_aws_serialize(model("ec2"), "DescribeVpcs", p, &req, &err), -EINVAL);
	assert_contains(cohd_error_str(&err), "DescribeVpcs");
	assert_contains(cohd_error_str(&err), "\"Nme\"");
	assert_contains(cohd_error_str(&err), "Filters[0]");
	json_decref(p);

	p = json_loads("{\"serviceName\": 5}", 0, NULL);
	ck_assert_int_eq(cohd_aws_serialize(model("ecs"), "CreateService", p, &req, &err), -EINVAL);
	assert_contains(cohd_error_str(&err), "params.serviceName must be a string");
	json_decref(p);

	p = json_loads("{\"cluster\": \"c\"}", 0, NULL);
	ck_assert_int_eq(cohd_aws_serialize(model("ecs"), "CreateService", p, &req, &err), -EINVAL);
	assert_contains(cohd_error_str(&err), "missing required parameter \"serviceName\"");
	json_decref(p);

	p = json_loads("{\"MaxResults\": \"5\"}", 0, NULL);
	ck_assert_int_eq(cohd_aws_serialize(model("ec2"), "DescribeVpcs", p, &req, &err), -EINVAL);
	assert_contains(cohd_error_str(&err), "must be an integer");
	json_decref(p);
	p = NULL;

	/* header injection, empty URI labels, bad header names */
	p = json_loads("{\"Id\": \"E1\", \"IfMatch\": \"x\\r\\nX-Evil: 1\"}", 0, NULL);
	ck_assert_int_eq(
		cohd_aws_serialize(model("cloudfront"), "DeleteDistribution", p, &req, &err),
		-EINVAL);
	assert_contains(cohd_error_str(&err), "If-Match");
	json_decref(p);
	p = json_loads("{\"Bucket\": \"b\", \"Key\": \"\"}", 0, NULL);
	ck_assert_int_eq(cohd_aws_serialize(model("s3"), "GetObject", p, &req, &err), -EINVAL);
	assert_contains(cohd_error_str(&err), "must not be empty");
	json_decref(p);
	p = json_loads("{\"Bucket\": \"b\", \"Key\": \"k\", \"Metadata\": {\"a b\": \"c\"}}", 0,
		       NULL);
	ck_assert_int_eq(cohd_aws_serialize(model("s3"), "PutObject", p, &req, &err), -EINVAL);
	json_decref(p);
	p = NULL;

	ck_assert_int_eq(cohd_aws_serialize(model("ec2"), "DescribeVpcz", NULL, &req, &err),
			 -ENOENT);
	cohd_error_done(&err);
}
END_TEST

static int parse(const char *svc, const char *op, int status, const struct cohd_aws_header *h,
		 size_t nh, const char *body, json_t **ret, struct cohd_aws_error *err)
{
	return cohd_aws_parse_response(model(svc), op, status, h, nh, body, strlen(body), ret, err);
}

START_TEST(test_parse_ec2_describe_vpcs)
{
	static const char body[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
		"    <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>\n"
		"    <vpcSet>\n"
		"        <item>\n"
		"            <vpcId>vpc-0a60eb65b4EXAMPLE</vpcId>\n"
		"            <ownerId>111122223333</ownerId>\n"
		"            <state>available</state>\n"
		"            <cidrBlock>10.0.0.0/16</cidrBlock>\n"
		"            <cidrBlockAssociationSet><item><cidrBlock>10.0.0.0/16</cidrBlock>"
		"<associationId>vpc-cidr-assoc-1</associationId><cidrBlockState><state>associated</"
		"state>"
		"</cidrBlockState></item></cidrBlockAssociationSet>\n"
		"            <dhcpOptionsId>dopt-19edf471</dhcpOptionsId>\n"
		"            <tagSet><item><key>Name</key><value>acme &amp; co</value></item>"
		"<item><key>cohd:app</key><value>shop</value></item></tagSet>\n"
		"            <instanceTenancy>default</instanceTenancy>\n"
		"            <isDefault>false</isDefault>\n"
		"        </item>\n"
		"    </vpcSet>\n"
		"    <nextToken>tok-2</nextToken>\n"
		"</DescribeVpcsResponse>";
	struct cohd_aws_error err = {};
	json_auto_t *out = NULL;
	const json_t *vpc;

	ck_assert_int_eq(parse("ec2", "DescribeVpcs", 200, NULL, 0, body, &out, &err), 0);
	vpc = json_array_get(json_object_get(out, "Vpcs"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(vpc, "VpcId")), "vpc-0a60eb65b4EXAMPLE");
	ck_assert_str_eq(json_string_value(json_object_get(vpc, "CidrBlock")), "10.0.0.0/16");
	ck_assert(json_is_false(json_object_get(vpc, "IsDefault")));
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(vpc, "Tags"), 0), "Value")),
			 "acme & co");
	ck_assert_uint_eq(json_array_size(json_object_get(vpc, "Tags")), 2);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(
				json_array_get(json_object_get(vpc, "CidrBlockAssociationSet"), 0),
				"CidrBlockState"),
			"State")),
		"associated");
	ck_assert_str_eq(json_string_value(json_object_get(out, "NextToken")), "tok-2");

	/* query with resultWrapper: STS GetCallerIdentity */
	json_decref(out);
	out = NULL;
	ck_assert_int_eq(parse("sts", "GetCallerIdentity", 200, NULL, 0,
			       "<GetCallerIdentityResponse "
			       "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
			       "<GetCallerIdentityResult><Arn>arn:aws:iam::123:user/u</"
			       "Arn><UserId>AID</UserId>"
			       "<Account>123</Account></"
			       "GetCallerIdentityResult><ResponseMetadata><RequestId>r"
			       "</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
			       &out, &err),
			 0);
	ck_assert_str_eq(json_string_value(json_object_get(out, "Account")), "123");

	/* rest-xml payload + header members: CloudFront GetDistribution, timestamps as epoch */
	json_decref(out);
	out = NULL;
	{
		struct cohd_aws_header h[] = {{(char *)"ETag", (char *)"E2QWRUHEXAMPLE"}};

		ck_assert_int_eq(
			parse("cloudfront", "GetDistribution", 200, h, 1,
			      "<Distribution "
			      "xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">"
			      "<Id>EDFDVBD6EXAMPLE</Id><Status>Deployed</Status>"
			      "<LastModifiedTime>2019-12-16T23:48:18.123Z</LastModifiedTime>"
			      "<DomainName>d111111abcdef8.cloudfront.net</DomainName></"
			      "Distribution>",
			      &out, &err),
			0);
		ck_assert_str_eq(json_string_value(json_object_get(out, "ETag")), "E2QWRUHEXAMPLE");
		vpc = json_object_get(out, "Distribution");
		ck_assert_str_eq(json_string_value(json_object_get(vpc, "Status")), "Deployed");
		ck_assert(fabs(json_number_value(json_object_get(vpc, "LastModifiedTime")) -
			       1576540098.123) < 1e-6);
	}
}
END_TEST

START_TEST(test_parse_errors)
{
	struct cohd_aws_error err = {};
	json_auto_t *out = NULL;

	/* query (ELBv2) */
	ck_assert_int_eq(
		parse("elbv2", "DescribeLoadBalancers", 400, NULL, 0,
		      "<ErrorResponse "
		      "xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\">"
		      "<Error><Type>Sender</Type><Code>LoadBalancerNotFound</Code><Message>One or "
		      "more "
		      "load balancers not "
		      "found</Message></Error><RequestId>req-1</RequestId></ErrorResponse>",
		      &out, &err),
		-EREMOTEIO);
	ck_assert_int_eq(err.http_status, 400);
	ck_assert_str_eq(err.code, "LoadBalancerNotFound");
	ck_assert_str_eq(err.message, "One or more load balancers not found");
	ck_assert_str_eq(err.request_id, "req-1");
	ck_assert_int_eq(err.class, COHD_AWS_ERROR_NOT_FOUND);
	ck_assert_ptr_null(out);

	/* ec2 */
	ck_assert_int_eq(
		parse("ec2", "DescribeVpcs", 400, NULL, 0,
		      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error>"
		      "<Code>InvalidVpcID.NotFound</Code><Message>The vpc ID 'vpc-1' does not exist"
		      "</Message></Error></Errors><RequestID>ec2-req</RequestID></Response>",
		      &out, &err),
		-EREMOTEIO);
	ck_assert_str_eq(err.code, "InvalidVpcID.NotFound");
	ck_assert_str_eq(err.request_id, "ec2-req");
	ck_assert_int_eq(err.class, COHD_AWS_ERROR_NOT_FOUND);

	/* json: namespaced __type, lower-case message, x-amzn-RequestId */
	{
		struct cohd_aws_header h[] = {{(char *)"x-amzn-RequestId", (char *)"json-req"}};

		ck_assert_int_eq(parse("ecs", "DescribeClusters", 400, h, 1,
				       "{\"__type\":\"com.amazonaws.ecs#ThrottlingException\","
				       "\"message\":\"Rate exceeded\"}",
				       &out, &err),
				 -EREMOTEIO);
		ck_assert_str_eq(err.code, "ThrottlingException");
		ck_assert_str_eq(err.message, "Rate exceeded");
		ck_assert_str_eq(err.request_id, "json-req");
		ck_assert_int_eq(err.class, COHD_AWS_ERROR_THROTTLING);
	}

	/* rest-json (Lambda): X-Amzn-ErrorType wins, Message */
	{
		struct cohd_aws_header h[] = {
			{(char *)"X-Amzn-ErrorType",
			 (char *)"ResourceNotFoundException:http://internal"}};

		ck_assert_int_eq(parse("lambda", "GetFunction", 404, h, 1,
				       "{\"Type\":\"User\",\"Message\":\"Function not found: f\"}",
				       &out, &err),
				 -EREMOTEIO);
		ck_assert_str_eq(err.code, "ResourceNotFoundException");
		ck_assert_str_eq(err.message, "Function not found: f");
	}

	/* S3: bodiless 404 on HEAD, bare <Error>, 200 with <Error> on CopyObject */
	{
		struct cohd_aws_header h[] = {{(char *)"x-amz-request-id", (char *)"s3-req"}};

		ck_assert_int_eq(parse("s3", "HeadBucket", 404, h, 1, "", &out, &err), -EREMOTEIO);
		ck_assert_str_eq(err.code, "NotFound");
		ck_assert_int_eq(err.http_status, 404);
		ck_assert_str_eq(err.request_id, "s3-req");
		ck_assert_int_eq(err.class, COHD_AWS_ERROR_NOT_FOUND);
	}
	ck_assert_int_eq(
		parse("s3", "GetObject", 404, NULL, 0,
		      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
		      "<Message>The specified key does not exist.</Message><Key>k</Key>"
		      "<RequestId>r3</RequestId><HostId>h</HostId></Error>",
		      &out, &err),
		-EREMOTEIO);
	ck_assert_str_eq(err.code, "NoSuchKey");
	ck_assert_str_eq(err.request_id, "r3");
	ck_assert_int_eq(parse("s3", "CopyObject", 200, NULL, 0,
			       "<Error><Code>InternalError</Code><Message>m</Message></Error>",
			       &out, &err),
			 -EREMOTEIO);
	ck_assert_str_eq(err.code, "InternalError");
	ck_assert_int_eq(err.class, COHD_AWS_ERROR_TRANSIENT);

	/* malformed success body */
	ck_assert_int_eq(parse("ec2", "DescribeVpcs", 200, NULL, 0, "<a><b></a>", &out, &err),
			 -EBADMSG);
	ck_assert_ptr_nonnull(err.message);
	cohd_aws_error_done(&err);
}
END_TEST

START_TEST(test_xml_caps)
{
	struct cohd_aws_error err = {};
	json_auto_t *out = NULL;
	char *deep = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&deep, &len);

	for (int i = 0; i < 200; i++)
		fputs("<a>", f);
	for (int i = 0; i < 200; i++)
		fputs("</a>", f);
	fclose(f);
	ck_assert_int_eq(parse("ec2", "DescribeVpcs", 200, NULL, 0, deep, &out, &err), -EBADMSG);
	assert_contains(err.message, "deep");
	free(deep);
	ck_assert_int_eq(parse("ec2", "DescribeVpcs", 200, NULL, 0,
			       "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>", &out, &err),
			 -EBADMSG);
	cohd_aws_error_done(&err);
}
END_TEST

static json_t *J(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);

	ck_assert_msg(j, "bad JSON %s", s);
	return j;
}

START_TEST(test_paginators)
{
	const json_t *pag;
	json_t *next = NULL;

	/* EC2 NextToken -> NextToken */
	{
		json_auto_t *p = J("{\"Filters\": []}"),
			    *resp = J("{\"Vpcs\": [{\"VpcId\": \"a\"}], \"NextToken\": \"t2\"}");
		json_auto_t *last = J("{\"Vpcs\": [{\"VpcId\": \"b\"}]}"), *acc = json_object();

		ck_assert_int_eq(cohd_aws_paginator_find(model("ec2"), "DescribeVpcs", &pag), 0);
		ck_assert_str_eq(json_string_value(json_object_get(pag, "limit_key")),
				 "MaxResults");
		ck_assert_int_eq(
			cohd_aws_paginate_next(model("ec2"), "DescribeVpcs", p, resp, &next), 1);
		ck_assert_str_eq(json_string_value(json_object_get(next, "NextToken")), "t2");
		ck_assert_ptr_nonnull(json_object_get(next, "Filters"));
		json_decref(next);
		ck_assert_int_eq(
			cohd_aws_paginate_next(model("ec2"), "DescribeVpcs", p, last, &next), 0);
		ck_assert_int_eq(cohd_aws_paginate_merge(model("ec2"), "DescribeVpcs", acc, resp),
				 0);
		ck_assert_int_eq(cohd_aws_paginate_merge(model("ec2"), "DescribeVpcs", acc, last),
				 0);
		ck_assert_uint_eq(json_array_size(json_object_get(acc, "Vpcs")), 2);
		ck_assert_ptr_null(json_object_get(acc, "NextToken"));
		ck_assert_int_eq(cohd_aws_paginator_find(model("ec2"), "DescribeAddresses", &pag),
				 -ENOENT);
	}
	/* Route 53: three tokens, IsTruncated; a null identifier is dropped */
	{
		json_auto_t *p =
			J("{\"HostedZoneId\": \"Z1\", \"StartRecordIdentifier\": \"old\"}");
		json_auto_t *resp =
			J("{\"ResourceRecordSets\": [], \"IsTruncated\": true,"
			  " \"NextRecordName\": \"b.example.com.\", \"NextRecordType\": \"A\"}");
		json_auto_t *done = J("{\"ResourceRecordSets\": [], \"IsTruncated\": false,"
				      " \"NextRecordName\": \"c.\"}");

		ck_assert_int_eq(cohd_aws_paginate_next(model("route53"), "ListResourceRecordSets",
							p, resp, &next),
				 1);
		ck_assert_str_eq(json_string_value(json_object_get(next, "StartRecordName")),
				 "b.example.com.");
		ck_assert_str_eq(json_string_value(json_object_get(next, "StartRecordType")), "A");
		ck_assert_ptr_null(json_object_get(next, "StartRecordIdentifier"));
		ck_assert_str_eq(json_string_value(json_object_get(next, "HostedZoneId")), "Z1");
		json_decref(next);
		ck_assert_int_eq(cohd_aws_paginate_next(model("route53"), "ListResourceRecordSets",
							p, done, &next),
				 0);
	}
	/* IAM: Marker -> Marker with IsTruncated */
	{
		json_auto_t *p = J("{}");
		json_auto_t *resp = J("{\"Roles\": [{\"RoleName\": \"r\"}], \"IsTruncated\": true, "
				      "\"Marker\": \"m2\"}");
		json_auto_t *done =
			J("{\"Roles\": [], \"IsTruncated\": false, \"Marker\": \"m3\"}");

		ck_assert_int_eq(cohd_aws_paginate_next(model("iam"), "ListRoles", p, resp, &next),
				 1);
		ck_assert_str_eq(json_string_value(json_object_get(next, "Marker")), "m2");
		json_decref(next);
		ck_assert_int_eq(cohd_aws_paginate_next(model("iam"), "ListRoles", p, done, &next),
				 0);
	}
	/* S3 ListObjectsV2: ContinuationToken <- NextContinuationToken */
	{
		json_auto_t *p = J("{\"Bucket\": \"b\"}");
		json_auto_t *resp = J("{\"Contents\": [{\"Key\": \"a\"}], \"IsTruncated\": true,"
				      " \"NextContinuationToken\": \"ct\"}");
		json_auto_t *acc = json_object();

		ck_assert_int_eq(
			cohd_aws_paginate_next(model("s3"), "ListObjectsV2", p, resp, &next), 1);
		ck_assert_str_eq(json_string_value(json_object_get(next, "ContinuationToken")),
				 "ct");
		/* the same token again means no progress: stop */
		ck_assert_int_eq(
			cohd_aws_paginate_next(model("s3"), "ListObjectsV2", next, resp, &next), 0);
		json_decref(next);
		ck_assert_int_eq(cohd_aws_paginate_merge(model("s3"), "ListObjectsV2", acc, resp),
				 0);
		ck_assert_int_eq(cohd_aws_paginate_merge(model("s3"), "ListObjectsV2", acc, resp),
				 0);
		ck_assert_uint_eq(json_array_size(json_object_get(acc, "Contents")), 2);
	}
	/* CloudFront: nested output token and flag */
	{
		json_auto_t *p = J("{}");
		json_auto_t *resp = J("{\"DistributionList\": {\"Items\": [{\"Id\": \"E1\"}], "
				      "\"IsTruncated\": true,"
				      " \"NextMarker\": \"nm\"}}");
		json_auto_t *acc = json_object();

		ck_assert_int_eq(cohd_aws_paginate_next(model("cloudfront"), "ListDistributions", p,
							resp, &next),
				 1);
		ck_assert_str_eq(json_string_value(json_object_get(next, "Marker")), "nm");
		json_decref(next);
		ck_assert_int_eq(cohd_aws_paginate_merge(model("cloudfront"), "ListDistributions",
							 acc, resp),
				 0);
		ck_assert_int_eq(cohd_aws_paginate_merge(model("cloudfront"), "ListDistributions",
							 acc, resp),
				 0);
		ck_assert_uint_eq(json_array_size(json_object_get(
					  json_object_get(acc, "DistributionList"), "Items")),
				  2);
		ck_assert_ptr_null(
			json_object_get(json_object_get(acc, "DistributionList"), "NextMarker"));
	}
	/* KMS Truncated, tagging PaginationToken, S3 ListObjects "NextMarker || Contents[-1].Key"
	 */
	{
		json_auto_t *p = J("{}");
		json_auto_t *kms = J("{\"Keys\": [], \"Truncated\": true, \"NextMarker\": \"k2\"}");
		json_auto_t *tag =
			J("{\"ResourceTagMappingList\": [], \"PaginationToken\": \"pt\"}");
		json_auto_t *tag_end =
			J("{\"ResourceTagMappingList\": [], \"PaginationToken\": \"\"}");
		json_auto_t *s3 = J("{\"IsTruncated\": true, \"Contents\": [{\"Key\": \"a\"}, "
				    "{\"Key\": \"z\"}]}");

		ck_assert_int_eq(cohd_aws_paginate_next(model("kms"), "ListKeys", p, kms, &next),
				 1);
		ck_assert_str_eq(json_string_value(json_object_get(next, "Marker")), "k2");
		json_decref(next);
		ck_assert_int_eq(cohd_aws_paginate_next(model("resourcegroupstaggingapi"),
							"GetResources", p, tag, &next),
				 1);
		ck_assert_str_eq(json_string_value(json_object_get(next, "PaginationToken")), "pt");
		json_decref(next);
		ck_assert_int_eq(cohd_aws_paginate_next(model("resourcegroupstaggingapi"),
							"GetResources", p, tag_end, &next),
				 0);
		ck_assert_int_eq(cohd_aws_paginate_next(model("s3"), "ListObjects", p, s3, &next),
				 1);
		ck_assert_str_eq(json_string_value(json_object_get(next, "Marker")), "z");
		json_decref(next);
	}
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

	tc = tcase_create("models");
	tcase_add_test(tc, test_services);
	tcase_add_test(tc, test_serialize_ec2_describe_vpcs);
	tcase_add_test(tc, test_serialize_elbv2_rds);
	tcase_add_test(tc, test_serialize_json_ecs_secrets);
	tcase_add_test(tc, test_serialize_route53);
	tcase_add_test(tc, test_serialize_cloudfront);
	tcase_add_test(tc, test_serialize_lambda_s3);
	tcase_add_test(tc, test_serialize_validation);
	tcase_add_test(tc, test_parse_ec2_describe_vpcs);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_xml_caps);
	tcase_add_test(tc, test_paginators);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

COHD_TEST_MAIN(protocols_suite)
