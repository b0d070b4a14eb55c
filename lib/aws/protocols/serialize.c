/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request serialisation for the five protocols (aws-api.md §5), driven by a botocore-format
 * model: validation of the caller's params against the input shape, idempotency tokens, then
 * query/ec2 form bodies, json bodies with X-Amz-Target, and rest-json/rest-xml URI, query string,
 * header and payload binding. Pure; no loop.
 */
#include <ctype.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <strings.h>

#include "lib/aws/protocols/models.h"
#include "lib/util/time.h"

#define PATH_MAX_DEPTH 64

struct ser {
	const struct cohd_aws_service_model *m;
	const char *opname;
	struct cohd_error *reterr;
	struct cohd_aws_header *headers;
	size_t n_headers;
};

/* ---- validation ---- */

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "list";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

static int make_uuid(char out[static 37])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof b) != 1)
		return -EIO;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}

static bool is_special_float(const char *s)
{
	return s && (streq(s, "NaN") || streq(s, "Infinity") || streq(s, "-Infinity"));
}

/* Walk value v of shape ref at path, checking types, unknown and required members; fill unset
 * idempotency tokens (v is the caller's deep copy). */
static int validate(struct ser *s, const json_t *ref, json_t *v, const char *path, int depth)
{
	const json_t *shape = shape_of(s->m, ref);
	const char *t = shape_type(shape);
	char sub[512];
	double d;

	if (!shape)
		return cohd_error_set(s->reterr, -EINVAL, "%s: model has no shape for %s",
				      s->opname, path);
	if (depth > PATH_MAX_DEPTH)
		return cohd_error_set(s->reterr, -EINVAL, "%s: parameters nested too deeply at %s",
				      s->opname, path);
	if (json_is_true(json_object_get(shape, "document")) ||
	    ref_trait_bool(s->m, ref, "jsonvalue"))
		return 0;

#define WRONG(what)                                                                                \
	cohd_error_set(s->reterr, -EINVAL, "%s: %s must be %s, not %s", s->opname, path, what,     \
		       json_type_name(v))

	if (streq(t, "structure")) {
		const json_t *members = json_object_get(shape, "members"), *req, *mref;
		const char *k;
		json_t *mv;
		size_t i;
		int r;

		if (!json_is_object(v))
			return WRONG("an object");
		/* idempotency tokens first, so that they count as set */
		json_object_foreach ((json_t *)members, k, mref) {
			mv = json_object_get(v, k);
			if (json_is_true(json_object_get(mref, "idempotencyToken")) &&
			    (!mv || json_is_null(mv) ||
			     (json_is_string(mv) && json_string_length(mv) == 0))) {
				char u[37];

				r = make_uuid(u);
				if (r < 0)
					return cohd_error_set(s->reterr, r, "%s: no randomness",
							      s->opname);
				if (json_object_set_new(v, k, json_string(u)) < 0)
					return -ENOMEM;
			}
		}
		/* CloudFront lists are {Quantity, Items}: fill Quantity from Items if unset */
		if (s->m->protocol == COHD_AWS_PROTOCOL_REST_XML &&
		    json_object_get(members, "Quantity") && json_object_get(members, "Items") &&
		    !json_object_get(v, "Quantity") &&
		    streq(shape_type(shape_of(s->m, json_object_get(members, "Quantity"))),
			  "integer") &&
		    json_object_set_new(v, "Quantity",
					json_integer((json_int_t)json_array_size(
						json_object_get(v, "Items")))) < 0)
			return -ENOMEM;
		json_object_foreach (v, k, mv) {
			mref = json_object_get(members, k);
			if (!mref) {
				_cleanup_free_ char *names = NULL;
				size_t len = 0;
				FILE *f = open_memstream(&names, &len);
				const char *mk;
				const json_t *x;
				bool first = true;

				if (!f)
					return -ENOMEM;
				json_object_foreach ((json_t *)members, mk, x) {
					fprintf(f, "%s%s", first ? "" : ", ", mk);
					first = false;
				}
				fclose(f);
				return cohd_error_set(
					s->reterr, -EINVAL,
					"%s: unknown parameter \"%s\" in %s; valid: %s", s->opname,
					k, path, names ?: "");
			}
			if (json_is_null(mv))
				continue;
			if ((size_t)snprintf(sub, sizeof sub, "%s.%s", path, k) >= sizeof sub)
				return cohd_error_set(s->reterr, -EINVAL,
						      "%s: parameters nested too deeply",
						      s->opname);
			r = validate(s, mref, mv, sub, depth + 1);
			if (r < 0)
				return r;
		}
		req = json_object_get(shape, "required");
		json_array_foreach (req, i, mv) {
			const char *rk = json_string_value(mv);
			json_t *x = rk ? json_object_get(v, rk) : NULL;

			if (rk && (!x || json_is_null(x)))
				return cohd_error_set(s->reterr, -EINVAL,
						      "%s: missing required parameter \"%s\" in %s",
						      s->opname, rk, path);
		}
		return 0;
	}
	if (streq(t, "list")) {
		const json_t *mref = json_object_get(shape, "member");
		json_t *x;
		size_t i;
		int r;

		if (!json_is_array(v))
			return WRONG("a list");
		json_array_foreach (v, i, x) {
			if ((size_t)snprintf(sub, sizeof sub, "%s[%zu]", path, i) >= sizeof sub)
				return cohd_error_set(s->reterr, -EINVAL,
						      "%s: parameters nested too deeply",
						      s->opname);
			r = validate(s, mref, x, sub, depth + 1);
			if (r < 0)
				return r;
		}
		return 0;
	}
	if (streq(t, "map")) {
		const json_t *vref = json_object_get(shape, "value");
		const char *k;
		json_t *x;
		int r;

		if (!json_is_object(v))
			return WRONG("an object (map)");
		json_object_foreach (v, k, x) {
			if ((size_t)snprintf(sub, sizeof sub, "%s[\"%s\"]", path, k) >= sizeof sub)
				return cohd_error_set(s->reterr, -EINVAL,
						      "%s: parameters nested too deeply",
						      s->opname);
			r = validate(s, vref, x, sub, depth + 1);
			if (r < 0)
				return r;
		}
		return 0;
	}
	if (streq(t, "string") || streq(t, "blob"))
		return json_is_string(v) ? 0 : WRONG("a string");
	if (streq(t, "boolean"))
		return json_is_boolean(v) ? 0 : WRONG("true or false");
	if (streq(t, "integer") || streq(t, "long")) {
		if (json_is_integer(v))
			return 0;
		if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)))
			return 0;
		return WRONG("an integer");
	}
	if (streq(t, "float") || streq(t, "double")) {
		if (json_is_number(v) ||
		    (json_is_string(v) && is_special_float(json_string_value(v))))
			return 0;
		return WRONG("a number");
	}
	if (streq(t, "timestamp"))
		return ts_from_json(v, &d) == 0 ? 0
						: WRONG("a timestamp (epoch seconds or ISO 8601)");
#undef WRONG
	return 0;
}

/* ---- scalar text ---- */

static int fmt_double(char *buf, size_t n, double d)
{
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, n, "%.*g", p, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	/* keep an integral double integral-looking only if it came as one */
	return 0;
}

static char *ts_text(double t, const char *format)
{
	usec_t u = t <= 0 ? 0 : (usec_t)llround(t * 1e6);
	char buf[64];

	if (streq_ptr(format, "unixTimestamp")) {
		if (t == floor(t))
			snprintf(buf, sizeof buf, "%lld", (long long)t);
		else
			fmt_double(buf, sizeof buf, round(t * 1000.0) / 1000.0);
		return strdup(buf);
	}
	if (streq_ptr(format, "rfc822")) {
		char h[COHD_HTTP_DATE_MAX];

		return strdup(cohd_format_http_date(h, u));
	} else {
		char i[COHD_ISO8601_MAX];

		cohd_format_iso8601(i, u, u % USEC_PER_SEC != 0);
		if (u % USEC_PER_SEC != 0) {
			/* milliseconds, as botocore and the SDKs send */
			char *dot = strchr(i, '.');

			if (dot && strlen(dot) > 4)
				strcpy(dot + 4, "Z");
		}
		return strdup(i);
	}
}

/* Text form of a scalar for query, URI, query string, header and XML; NULL on OOM/-EINVAL. */
static char *scalar_text(struct ser *s, const json_t *ref, const json_t *v, const char *def_ts)
{
	const json_t *shape = shape_of(s->m, ref);
	const char *t = shape_type(shape);
	char buf[64];

	if (streq(t, "timestamp")) {
		double d;

		if (ts_from_json(v, &d) < 0)
			return NULL;
		return ts_text(d, ref_trait_str(s->m, ref, "timestampFormat") ?: def_ts);
	}
	if (streq(t, "blob"))
		return b64_encode(json_string_value(v), json_string_length(v));
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_boolean(v))
		return strdup(json_is_true(v) ? "true" : "false");
	if (json_is_integer(v)) {
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return strdup(buf);
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);

		if ((streq(t, "integer") || streq(t, "long")) && d == floor(d))
			snprintf(buf, sizeof buf, "%lld", (long long)d);
		else
			fmt_double(buf, sizeof buf, d);
		return strdup(buf);
	}
	return NULL;
}

/* ---- encoding helpers ---- */

static int pct_encode(struct cohd_buf *b, const char *p, size_t n, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	int r;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
			r = cohd_buf_append(b, &p[i], 1);
		else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};

			r = cohd_buf_append(b, e, 3);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_pair(struct cohd_buf *b, const char *k, const char *v)
{
	int r;

	if (b->len > 0 && (r = cohd_buf_append(b, "&", 1)) < 0)
		return r;
	r = pct_encode(b, k, strlen(k), false);
	if (r >= 0 && v) {
		r = cohd_buf_append(b, "=", 1);
		if (r >= 0)
			r = pct_encode(b, v, strlen(v), false);
	}
	return r;
}

static int add_header(struct ser *s, const char *name, const char *value)
{
	struct cohd_aws_header *h;

	/* no header injection: names are tokens, values single-line */
	if (!*name || strpbrk(name, " \t\r\n:()<>@,;\\\"/[]?={}") || strpbrk(value, "\r\n"))
		return cohd_error_set(s->reterr, -EINVAL, "%s: invalid HTTP header %s", s->opname,
				      name);

	for (size_t i = 0; i < s->n_headers; i++)
		if (strcasecmp(s->headers[i].name, name) == 0) {
			char *v = strdup(value);

			if (!v)
				return -ENOMEM;
			free(s->headers[i].value);
			s->headers[i].value = v;
			return 0;
		}
	h = reallocarray(s->headers, s->n_headers + 1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	s->headers = h;
	h[s->n_headers].name = strdup(name);
	h[s->n_headers].value = strdup(value);
	if (!h[s->n_headers].name || !h[s->n_headers].value) {
		free(h[s->n_headers].name);
		free(h[s->n_headers].value);
		return -ENOMEM;
	}
	s->n_headers++;
	return 0;
}

static bool has_header(struct ser *s, const char *name)
{
	return cohd_aws_header_get(s->headers, s->n_headers, name) != NULL;
}

/* ---- query and ec2 ---- */

/* Format a parameter name; names longer than the buffer are an error, never truncated. */
#define NAMEF(buf, ...)                                                                            \
	do {                                                                                       \
		if ((size_t)snprintf(buf, sizeof buf, __VA_ARGS__) >= sizeof buf)                  \
			return cohd_error_set(s->reterr, -EINVAL, "%s: parameter name too long",   \
					      s->opname);                                          \
	} while (0)

static int query_value(struct ser *s, struct cohd_buf *b, const json_t *ref, const json_t *v,
		       const char *prefix, bool ec2);

static const char *query_name(struct ser *s, const json_t *ref, const char *def, bool ec2,
			      char *tmp, size_t tmpn)
{
	const char *n;

	if (ec2) {
		n = ref_trait_str(s->m, ref, "queryName");
		if (n)
			return n;
		n = ref_trait_str(s->m, ref, "locationName");
		if (n && *n) {
			snprintf(tmp, tmpn, "%c%s", (char)toupper((unsigned char)n[0]), n + 1);
			return tmp;
		}
		/* the member name, capitalised (EC2's own members already are) */
		if (def && *def) {
			snprintf(tmp, tmpn, "%c%s", (char)toupper((unsigned char)def[0]), def + 1);
			return tmp;
		}
		return def;
	}
	n = ref_trait_str(s->m, ref, "locationName");
	return n ?: def;
}

static int query_value(struct ser *s, struct cohd_buf *b, const json_t *ref, const json_t *v,
		       const char *prefix, bool ec2)
{
	const json_t *shape = shape_of(s->m, ref);
	const char *t = shape_type(shape);
	char p[1024], tmp[256];
	int r;

	if (json_is_null(v))
		return 0;
	if (streq(t, "structure")) {
		const json_t *members = json_object_get(shape, "members"), *mref;
		const char *k;

		json_object_foreach ((json_t *)members, k, mref) {
			const json_t *mv = json_object_get(v, k);
			const char *n;

			if (!mv || json_is_null(mv))
				continue;
			n = query_name(s, mref, k, ec2, tmp, sizeof tmp);
			if (*prefix)
				NAMEF(p, "%s.%s", prefix, n);
			else
				NAMEF(p, "%s", n);
			r = query_value(s, b, mref, mv, p, ec2);
			if (r < 0)
				return r;
		}
		return 0;
	}
	if (streq(t, "list")) {
		const json_t *mref = json_object_get(shape, "member");
		const json_t *x;
		char lp[1024];
		size_t i;

		if (json_array_size(v) == 0)
			return ec2 ? 0 : add_pair(b, prefix, "");
		if (ec2)
			NAMEF(lp, "%s", prefix);
		else if (ref_trait_bool(s->m, ref, "flattened")) {
			const char *mn = ref_trait_str(s->m, mref, "locationName");

			NAMEF(lp, "%s", prefix);
			if (mn) {
				char *dot = strrchr(lp, '.');

				if (dot) {
					if ((size_t)snprintf(
						    dot + 1, sizeof lp - (size_t)(dot + 1 - lp),
						    "%s", mn) >= sizeof lp - (size_t)(dot + 1 - lp))
						return -EINVAL;
				} else
					NAMEF(lp, "%s", mn);
			}
		} else
			NAMEF(lp, "%s.%s", prefix,
			      ref_trait_str(s->m, mref, "locationName") ?: "member");
		json_array_foreach (v, i, x) {
			NAMEF(p, "%s.%zu", lp, i + 1);
			r = query_value(s, b, mref, x, p, ec2);
			if (r < 0)
				return r;
		}
		return 0;
	}
	if (streq(t, "map")) {
		const json_t *kref = json_object_get(shape, "key"),
			     *vref = json_object_get(shape, "value");
		const char *ks = ref_trait_str(s->m, kref, "locationName") ?: "key";
		const char *vs = ref_trait_str(s->m, vref, "locationName") ?: "value";
		bool flat = ref_trait_bool(s->m, ref, "flattened");
		const char *k;
		const json_t *x;
		size_t i = 0;

		json_object_foreach ((json_t *)v, k, x) {
			i++;
			if (flat)
				NAMEF(p, "%s.%zu.%s", prefix, i, ks);
			else
				NAMEF(p, "%s.entry.%zu.%s", prefix, i, ks);
			r = add_pair(b, p, k);
			if (r < 0)
				return r;
			if (flat)
				NAMEF(p, "%s.%zu.%s", prefix, i, vs);
			else
				NAMEF(p, "%s.entry.%zu.%s", prefix, i, vs);
			r = query_value(s, b, vref, x, p, ec2);
			if (r < 0)
				return r;
		}
		return 0;
	}
	{
		_cleanup_free_ char *txt = scalar_text(s, ref, v, "iso8601");

		if (!txt)
			return cohd_error_set(s->reterr, -EINVAL, "%s: cannot serialise %s",
					      s->opname, prefix);
		return add_pair(b, prefix, txt);
	}
}

/* ---- json bodies ---- */

static json_t *json_value(struct ser *s, const json_t *ref, const json_t *v, bool skip_located)
{
	const json_t *shape = shape_of(s->m, ref);
	const char *t = shape_type(shape);

	if (json_is_true(json_object_get(shape, "document")) ||
	    ref_trait_bool(s->m, ref, "jsonvalue"))
		return json_deep_copy(v);
	if (streq(t, "structure")) {
		const json_t *members = json_object_get(shape, "members"), *mref;
		json_auto_t *o = json_object();
		const char *k;

		if (!o)
			return NULL;
		json_object_foreach ((json_t *)members, k, mref) {
			const json_t *mv = json_object_get(v, k);
			json_t *x;

			if (!mv || json_is_null(mv))
				continue;
			if (skip_located && ref_trait(s->m, mref, "location"))
				continue;
			x = json_value(s, mref, mv, false);
			if (!x ||
			    json_object_set_new(
				    o,
				    json_string_value(json_object_get(mref, "locationName")) ?: k,
				    x) < 0)
				return NULL;
		}
		return json_incref(o);
	}
	if (streq(t, "list")) {
		const json_t *mref = json_object_get(shape, "member"), *x;
		json_auto_t *a = json_array();
		size_t i;

		if (!a)
			return NULL;
		json_array_foreach (v, i, x) {
			json_t *y = json_is_null(x) ? json_null() : json_value(s, mref, x, false);

			if (!y || json_array_append_new(a, y) < 0)
				return NULL;
		}
		return json_incref(a);
	}
	if (streq(t, "map")) {
		const json_t *vref = json_object_get(shape, "value"), *x;
		json_auto_t *o = json_object();
		const char *k;

		if (!o)
			return NULL;
		json_object_foreach ((json_t *)v, k, x) {
			json_t *y = json_is_null(x) ? json_null() : json_value(s, vref, x, false);

			if (!y || json_object_set_new(o, k, y) < 0)
				return NULL;
		}
		return json_incref(o);
	}
	if (streq(t, "timestamp")) {
		const char *f = ref_trait_str(s->m, ref, "timestampFormat");
		double d;

		if (ts_from_json(v, &d) < 0)
			return NULL;
		if (f && !streq(f, "unixTimestamp")) {
			_cleanup_free_ char *txt = ts_text(d, f);

			return txt ? json_string(txt) : NULL;
		}
		return ts_to_json(d);
	}
	if (streq(t, "blob")) {
		_cleanup_free_ char *e = b64_encode(json_string_value(v), json_string_length(v));

		return e ? json_string(e) : NULL;
	}
	if ((streq(t, "integer") || streq(t, "long")) && json_is_real(v))
		return json_integer((json_int_t)json_real_value(v));
	return json_deep_copy(v);
}

static int dump_json(struct cohd_buf *b, const json_t *v)
{
	_cleanup_free_ char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (!d)
		return -ENOMEM;
	return cohd_buf_append_str(b, d);
}

/* ---- xml bodies ---- */

static int xml_escape(struct cohd_buf *b, const char *p, size_t n, bool attr)
{
	int r = 0;

	for (size_t i = 0; i < n && r >= 0; i++) {
		switch (p[i]) {
		case '&':
			r = cohd_buf_append_str(b, "&amp;");
			break;
		case '<':
			r = cohd_buf_append_str(b, "&lt;");
			break;
		case '>':
			r = cohd_buf_append_str(b, "&gt;");
			break;
		case '"':
			r = attr ? cohd_buf_append_str(b, "&quot;") : cohd_buf_append(b, "\"", 1);
			break;
		case '\r':
			r = cohd_buf_append_str(b, "&#xD;");
			break;
		case '\n':
			r = attr ? cohd_buf_append_str(b, "&#xA;") : cohd_buf_append(b, "\n", 1);
			break;
		default:
			r = cohd_buf_append(b, &p[i], 1);
		}
	}
	return r;
}

static int xml_ns_attr(struct ser *s, struct cohd_buf *b, const json_t *ns)
{
	const char *uri = json_is_string(ns) ? json_string_value(ns)
					     : json_string_value(json_object_get(ns, "uri"));
	const char *pfx = json_string_value(json_object_get(ns, "prefix"));
	int r;

	if (!uri)
		return 0;
	r = cohd_buf_printf(b, " xmlns%s%s=\"", pfx ? ":" : "", pfx ?: "");
	if (r >= 0)
		r = xml_escape(b, uri, strlen(uri), true);
	if (r >= 0)
		r = cohd_buf_append(b, "\"", 1);
	return r;
}

static int xml_value(struct ser *s, struct cohd_buf *b, const json_t *ref, const json_t *v,
		     const char *name, bool skip_located);

static int xml_struct_children(struct ser *s, struct cohd_buf *b, const json_t *shape,
			       const json_t *v, bool skip_located)
{
	const json_t *members = json_object_get(shape, "members"), *mref;
	const char *k;
	int r;

	json_object_foreach ((json_t *)members, k, mref) {
		const json_t *mv = json_object_get(v, k);

		if (!mv || json_is_null(mv) || ref_trait_bool(s->m, mref, "xmlAttribute"))
			continue;
		if (skip_located && ref_trait(s->m, mref, "location"))
			continue;
		/* element names come from the member, never from the target shape (Smithy xmlName)
		 */
		r = xml_value(s, b, mref, mv,
			      json_string_value(json_object_get(mref, "locationName")) ?: k, false);
		if (r < 0)
			return r;
	}
	return 0;
}

static int xml_open(struct ser *s, struct cohd_buf *b, const json_t *ref, const json_t *shape,
		    const json_t *v, const char *name)
{
	const json_t *members = json_object_get(shape, "members"), *mref;
	const char *k;
	int r;

	r = cohd_buf_printf(b, "<%s", name);
	if (r >= 0)
		r = xml_ns_attr(s, b, ref_trait(s->m, ref, "xmlNamespace"));
	if (r < 0)
		return r;
	if (streq(shape_type(shape), "structure") && json_is_object(v))
		json_object_foreach ((json_t *)members, k, mref) {
			const json_t *mv = json_object_get(v, k);
			_cleanup_free_ char *txt = NULL;

			if (!mv || json_is_null(mv) || !ref_trait_bool(s->m, mref, "xmlAttribute"))
				continue;
			txt = scalar_text(s, mref, mv, "iso8601");
			if (!txt)
				return -ENOMEM;
			r = cohd_buf_printf(b, " %s=\"",
					    ref_trait_str(s->m, mref, "locationName") ?: k);
			if (r >= 0)
				r = xml_escape(b, txt, strlen(txt), true);
			if (r >= 0)
				r = cohd_buf_append(b, "\"", 1);
			if (r < 0)
				return r;
		}
	return cohd_buf_append(b, ">", 1);
}

static int xml_value(struct ser *s, struct cohd_buf *b, const json_t *ref, const json_t *v,
		     const char *name, bool skip_located)
{
	const json_t *shape = shape_of(s->m, ref);
	const char *t = shape_type(shape);
	int r;

	if (streq(t, "structure")) {
		r = xml_open(s, b, ref, shape, v, name);
		if (r >= 0)
			r = xml_struct_children(s, b, shape, v, skip_located);
		if (r >= 0)
			r = cohd_buf_printf(b, "</%s>", name);
		return r;
	}
	if (streq(t, "list")) {
		const json_t *mref = json_object_get(shape, "member"), *x;
		const char *iname;
		bool flat = ref_trait_bool(s->m, ref, "flattened");
		size_t i;

		if (flat)
			iname = name;
		else {
			iname = ref_trait_str(s->m, mref, "locationName") ?: "member";
			r = xml_open(s, b, ref, shape, NULL, name);
			if (r < 0)
				return r;
		}
		json_array_foreach (v, i, x) {
			r = xml_value(s, b, mref, x, iname, false);
			if (r < 0)
				return r;
		}
		return flat ? 0 : cohd_buf_printf(b, "</%s>", name);
	}
	if (streq(t, "map")) {
		const json_t *kref = json_object_get(shape, "key"),
			     *vref = json_object_get(shape, "value");
		const char *ks = ref_trait_str(s->m, kref, "locationName") ?: "key";
		const char *vs = ref_trait_str(s->m, vref, "locationName") ?: "value";
		bool flat = ref_trait_bool(s->m, ref, "flattened");
		const char *k;
		const json_t *x;

		if (!flat && (r = xml_open(s, b, ref, shape, NULL, name)) < 0)
			return r;
		json_object_foreach ((json_t *)v, k, x) {
			json_auto_t *kv = json_string(k);

			r = cohd_buf_printf(b, "<%s>", flat ? name : "entry");
			if (r >= 0)
				r = xml_value(s, b, kref, kv, ks, false);
			if (r >= 0)
				r = xml_value(s, b, vref, x, vs, false);
			if (r >= 0)
				r = cohd_buf_printf(b, "</%s>", flat ? name : "entry");
			if (r < 0)
				return r;
		}
		return flat ? 0 : cohd_buf_printf(b, "</%s>", name);
	}
	{
		_cleanup_free_ char *txt = scalar_text(s, ref, v, "iso8601");

		if (!txt)
			return cohd_error_set(s->reterr, -EINVAL, "%s: cannot serialise %s",
					      s->opname, name);
		r = xml_open(s, b, ref, shape, v, name);
		if (r >= 0)
			r = xml_escape(b, txt, strlen(txt), false);
		if (r >= 0)
			r = cohd_buf_printf(b, "</%s>", name);
		return r;
	}
}

/* ---- rest: uri, query string, headers ---- */

static int rest_uri(struct ser *s, const json_t *op, const json_t *in_shape, const json_t *p,
		    struct cohd_buf *path, struct cohd_buf *query)
{
	const char *uri =
		json_string_value(json_object_get(json_object_get(op, "http"), "requestUri"))
			?: "/";
	const char *q = strchr(uri, '?');
	const char *end = q ?: uri + strlen(uri);
	int r;

	for (const char *c = uri; c < end;) {
		const char *close;
		char label[256];
		bool greedy = false;
		const json_t *members, *mref, *mv = NULL;
		const char *k;
		_cleanup_free_ char *txt = NULL;

		if (*c != '{') {
			r = cohd_buf_append(path, c, 1);
			if (r < 0)
				return r;
			c++;
			continue;
		}
		close = memchr(c, '}', (size_t)(end - c));
		if (!close || (size_t)(close - c) >= sizeof label)
			return cohd_error_set(s->reterr, -EINVAL, "%s: bad requestUri in model",
					      s->opname);
		memcpy(label, c + 1, (size_t)(close - c - 1));
		label[close - c - 1] = 0;
		if (label[0] && label[strlen(label) - 1] == '+') {
			greedy = true;
			label[strlen(label) - 1] = 0;
		}
		members = json_object_get(in_shape, "members");
		json_object_foreach ((json_t *)members, k, mref) {
			if (!streq_ptr(json_string_value(ref_trait(s->m, mref, "location")), "uri"))
				continue;
			if (streq(ref_trait_str(s->m, mref, "locationName") ?: k, label)) {
				mv = json_object_get(p, k);
				txt = mv && !json_is_null(mv) ? scalar_text(s, mref, mv, "iso8601")
							      : NULL;
				break;
			}
		}
		if (txt && !*txt)
			return cohd_error_set(
				s->reterr, -EINVAL,
				"%s: the parameter for URI label {%s} must not be empty", s->opname,
				label);
		if (!txt)
			return cohd_error_set(s->reterr, -EINVAL,
					      "%s: missing required parameter for URI label {%s}",
					      s->opname, label);
		if (greedy && txt[0] == '/')
			r = pct_encode(path, txt + 1, strlen(txt) - 1, true);
		else
			r = pct_encode(path, txt, strlen(txt), greedy);
		if (r < 0)
			return r;
		c = close + 1;
	}
	if (q && q[1]) {
		r = cohd_buf_append_str(query, q + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool query_has_key(struct cohd_buf *q, const char *k)
{
	struct cohd_buf e;
	const char *p = cohd_buf_str(q);
	bool found = false;
	size_t n;

	cohd_buf_init(&e, 4096);
	if (pct_encode(&e, k, strlen(k), false) < 0) {
		cohd_buf_done(&e);
		return false;
	}
	n = e.len;
	while (p && *p) {
		if (strncmp(p, cohd_buf_str(&e), n) == 0 && (p[n] == '=' || p[n] == '&' || !p[n])) {
			found = true;
			break;
		}
		p = strchr(p, '&');
		if (p)
			p++;
	}
	cohd_buf_done(&e);
	return found;
}

static int rest_bound(struct ser *s, const json_t *in_shape, const json_t *p,
		      struct cohd_buf *query)
{
	const json_t *members = json_object_get(in_shape, "members"), *mref;
	const char *k;
	int r;

	/* named query string members first: they take precedence over querystring maps */
	for (int pass = 0; pass < 2; pass++)
		json_object_foreach ((json_t *)members, k, mref) {
			const char *loc = json_string_value(ref_trait(s->m, mref, "location"));
			const char *ln = ref_trait_str(s->m, mref, "locationName") ?: k;
			const json_t *mv = json_object_get(p, k), *shape = shape_of(s->m, mref);
			const char *t = shape_type(shape);

			if (!loc || !mv || json_is_null(mv))
				continue;
			if (streq(loc, "querystring") && streq(t, "map")) {
				const json_t *x;
				const char *mk;

				if (pass == 0)
					continue;
				json_object_foreach ((json_t *)mv, mk, x) {
					if (query_has_key(query, mk))
						continue;
					if (json_is_array(x)) {
						const json_t *y;
						size_t i;

						json_array_foreach (x, i, y)
							if ((r = add_pair(query, mk,
									  json_string_value(y))) <
							    0)
								return r;
					} else if ((r = add_pair(query, mk, json_string_value(x))) <
						   0)
						return r;
				}
			} else if (streq(loc, "querystring")) {
				if (pass == 1)
					continue;
				if (streq(t, "list")) {
					const json_t *y, *iref = json_object_get(shape, "member");
					size_t i;

					json_array_foreach (mv, i, y) {
						_cleanup_free_ char *txt =
							scalar_text(s, iref, y, "iso8601");

						if (!txt)
							return -EINVAL;
						if ((r = add_pair(query, ln, txt)) < 0)
							return r;
					}
				} else {
					_cleanup_free_ char *txt =
						scalar_text(s, mref, mv, "iso8601");

					if (!txt)
						return -EINVAL;
					if ((r = add_pair(query, ln, txt)) < 0)
						return r;
				}
			} else if (streq(loc, "header") && pass == 0) {
				_cleanup_free_ char *txt = NULL;

				if (streq(t, "list") && json_array_size(mv) == 0)
					continue;
				if (streq(t, "list")) {
					const json_t *y, *iref = json_object_get(shape, "member");
					struct cohd_buf hb;
					size_t i;

					cohd_buf_init(&hb, 65536);
					json_array_foreach (mv, i, y) {
						_cleanup_free_ char *it =
							scalar_text(s, iref, y, "rfc822");
						bool quote = it &&
							     streq(shape_type(shape_of(s->m, iref)),
								   "string") &&
							     strpbrk(it, ",\"");

						r = it ? 0 : -EINVAL;
						if (r >= 0 && i > 0)
							r = cohd_buf_append_str(&hb, ", ");
						if (r >= 0 && quote) {
							r = cohd_buf_append(&hb, "\"", 1);
							for (char *c = it; r >= 0 && *c; c++)
								r = cohd_buf_printf(
									&hb, "%s%c",
									*c == '"' || *c == '\\'
										? "\\"
										: "",
									*c);
							if (r >= 0)
								r = cohd_buf_append(&hb, "\"", 1);
						} else if (r >= 0)
							r = cohd_buf_append_str(&hb, it);
						if (r < 0) {
							cohd_buf_done(&hb);
							return r;
						}
					}
					txt = cohd_buf_steal(&hb);
					cohd_buf_done(&hb);
				} else if (ref_trait_bool(s->m, mref, "jsonvalue")) {
					_cleanup_free_ char *d =
						json_dumps(mv, JSON_COMPACT | JSON_ENCODE_ANY);

					txt = d ? b64_encode(d, strlen(d)) : NULL;
				} else
					txt = scalar_text(s, mref, mv, "rfc822");
				if (!txt)
					return -ENOMEM;
				if ((r = add_header(s, ln, txt)) < 0)
					return r;
			} else if (streq(loc, "headers") && pass == 0) {
				const json_t *x;
				const char *mk;

				json_object_foreach ((json_t *)mv, mk, x) {
					_cleanup_free_ char *hn = NULL;

					if (asprintf(&hn, "%s%s",
						     ref_trait_str(s->m, mref, "locationName")
							     ?: "",
						     mk) < 0)
						return -ENOMEM;
					if ((r = add_header(s, hn, json_string_value(x) ?: "")) < 0)
						return r;
				}
			}
		}
	return 0;
}

static bool has_body_members(struct ser *s, const json_t *shape)
{
	const json_t *mref;
	const char *k;

	json_object_foreach (json_object_get(shape, "members"), k, mref)
		if (!ref_trait(s->m, mref, "location"))
			return true;
	return false;
}

static bool body_members_set(struct ser *s, const json_t *shape, const json_t *p)
{
	const json_t *mref;
	const char *k;

	json_object_foreach (json_object_get(shape, "members"), k, mref) {
		const json_t *v = json_object_get(p, k);

		if (!ref_trait(s->m, mref, "location") && v && !json_is_null(v))
			return true;
	}
	return false;
}

static int rest_body(struct ser *s, const json_t *op, const json_t *in_ref, const json_t *in_shape,
		     const json_t *p, struct cohd_buf *body, bool xml)
{
	const char *payload = json_string_value(json_object_get(in_ref, "payload"))
				      ?: json_string_value(json_object_get(in_shape, "payload"));
	int r;

	if (payload) {
		const json_t *mref = json_object_get(json_object_get(in_shape, "members"), payload);
		const json_t *mv = json_object_get(p, payload), *shape = shape_of(s->m, mref);
		const char *t = shape_type(shape);

		if (streq(t, "blob") || streq(t, "string")) {
			if (!mv || json_is_null(mv)) {
				if (!xml && streq(t, "blob") && !has_header(s, "Content-Type"))
					return add_header(s, "Content-Type",
							  "application/octet-stream");
				return 0;
			}
			r = cohd_buf_append(body, json_string_value(mv), json_string_length(mv));
			if (r >= 0 && !has_header(s, "Content-Type"))
				r = add_header(s, "Content-Type",
					       streq(t, "blob") ? "application/octet-stream"
								: "text/plain");
			return r;
		}
		if (xml) {
			if (!mv || json_is_null(mv))
				return 0;
			/* payload element: the member's locationName (S3 LifecycleConfiguration
			 * targets shape BucketLifecycleConfiguration), the target's, its name */
			r = xml_value(s, body, mref, mv,
				      json_string_value(json_object_get(mref, "locationName")) ?:
				      json_string_value(json_object_get(shape, "locationName")) ?:
				      json_string_value(json_object_get(mref, "shape")),
				      false);
			if (r >= 0 && !has_header(s, "Content-Type"))
				r = add_header(s, "Content-Type", "application/xml");
			return r;
		}
		if (mv && !json_is_null(mv)) {
			json_auto_t *j = json_value(s, mref, mv, false);

			if (!j)
				return -ENOMEM;
			r = dump_json(body, j);
		} else if (streq(t, "structure") && !json_is_true(json_object_get(shape, "union")))
			r = cohd_buf_append_str(body, "{}");
		else
			return 0;
		if (r >= 0 && !has_header(s, "Content-Type"))
			r = add_header(s, "Content-Type", "application/json");
		return r;
	}
	if (xml) {
		const char *root;

		if (!body_members_set(s, in_shape, p))
			return 0;
		root = json_string_value(json_object_get(in_shape, "locationName")) ?:
		       json_string_value(json_object_get(in_ref, "locationName")) ?:
		       json_string_value(json_object_get(in_ref, "shape"));
		r = xml_open(s, body, in_ref, in_shape, p, root);
		if (r >= 0)
			r = xml_struct_children(s, body, in_shape, p, true);
		if (r >= 0)
			r = cohd_buf_printf(body, "</%s>", root);
		if (r >= 0 && !has_header(s, "Content-Type"))
			r = add_header(s, "Content-Type", "application/xml");
		return r;
	}
	if (!has_body_members(s, in_shape))
		return 0;
	{
		json_auto_t *j = json_value(s, in_ref, p, true);

		if (!j)
			return -ENOMEM;
		r = dump_json(body, j);
		if (r >= 0 && !has_header(s, "Content-Type"))
			r = add_header(s, "Content-Type", "application/json");
		return r;
	}
}

static int host_prefix(struct ser *s, const json_t *op, const json_t *in_shape, const json_t *p,
		       char **ret)
{
	const char *hp =
		json_string_value(json_object_get(json_object_get(op, "endpoint"), "hostPrefix"));
	struct cohd_buf b;
	int r = 0;

	*ret = NULL;
	if (!hp)
		return 0;
	cohd_buf_init(&b, 1024);
	for (const char *c = hp; *c && r >= 0;) {
		const char *close;
		const json_t *v;
		char label[128];

		if (*c != '{') {
			r = cohd_buf_append(&b, c++, 1);
			continue;
		}
		close = strchr(c, '}');
		if (!close || (size_t)(close - c) >= sizeof label) {
			r = -EINVAL;
			break;
		}
		memcpy(label, c + 1, (size_t)(close - c - 1));
		label[close - c - 1] = 0;
		v = json_object_get(p, label);
		if (!json_is_string(v) || json_string_length(v) == 0) {
			r = cohd_error_set(s->reterr, -EINVAL,
					   "%s: missing parameter %s for the endpoint host",
					   s->opname, label);
			break;
		}
		for (const char *x = json_string_value(v); *x; x++)
			if (!(isalnum((unsigned char)*x) || *x == '-')) {
				r = cohd_error_set(s->reterr, -EINVAL,
						   "%s: %s is not a valid host label", s->opname,
						   label);
				break;
			}
		if (r >= 0)
			r = cohd_buf_append_str(&b, json_string_value(v));
		c = close + 1;
	}
	if (r >= 0) {
		*ret = cohd_buf_steal(&b);
		if (!*ret)
			r = -ENOMEM;
	}
	cohd_buf_done(&b);
	(void)in_shape;
	return r;
}

static int content_md5(struct ser *s, const struct cohd_buf *body)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	_cleanup_free_ char *e = NULL;

	if (EVP_Digest(body->data ?: "", body->len, md, &n, EVP_md5(), NULL) != 1)
		return -EIO;
	e = b64_encode(md, n);
	if (!e)
		return -ENOMEM;
	return add_header(s, "Content-MD5", e);
}

int cohd_aws_serialize(const struct cohd_aws_service_model *m, const char *operation,
		       const json_t *params, struct cohd_aws_http_request *ret,
		       struct cohd_error *reterr)
{
	struct ser s = {.m = m, .opname = operation, .reterr = reterr};
	struct cohd_aws_http_request req = {};
	const json_t *op, *in_ref, *in_shape = NULL, *http;
	json_auto_t *p = NULL;
	struct cohd_buf path, query;
	int r;

	cohd_assert_return(m && operation && ret, -EINVAL);
	if (cohd_aws_operation_find(m, operation, &op) < 0)
		return cohd_error_set(reterr, -ENOENT, "unknown operation %s", operation);
	if (params && !json_is_object(params))
		return cohd_error_set(reterr, -EINVAL, "%s: parameters must be a JSON object",
				      operation);
	p = params ? json_deep_copy(params) : json_object();
	if (!p)
		return -ENOMEM;

	in_ref = json_object_get(op, "input");
	if (in_ref) {
		in_shape = shape_of(m, in_ref);
		if (!in_shape)
			return cohd_error_set(reterr, -EINVAL, "%s: model lacks the input shape",
					      operation);
		r = validate(&s, in_ref, p, "params", 0);
		if (r < 0)
			goto fail;
	} else if (json_object_size(p) > 0) {
		r = cohd_error_set(reterr, -EINVAL, "%s takes no parameters", operation);
		goto fail;
	}

	cohd_buf_init(&req.body, COHD_AWS_REQUEST_BODY_MAX);
	cohd_buf_init(&path, 64 * 1024);
	cohd_buf_init(&query, 1024 * 1024);
	http = json_object_get(op, "http");

	switch (m->protocol) {
	case COHD_AWS_PROTOCOL_QUERY:
	case COHD_AWS_PROTOCOL_EC2:
		r = add_pair(&req.body, "Action", operation);
		if (r >= 0)
			r = add_pair(&req.body, "Version", m->api_version ?: "");
		if (r >= 0 && in_ref)
			r = query_value(&s, &req.body, in_ref, p, "",
					m->protocol == COHD_AWS_PROTOCOL_EC2);
		if (r >= 0)
			r = add_header(&s, "Content-Type",
				       "application/x-www-form-urlencoded; charset=utf-8");
		if (r >= 0)
			r = cohd_buf_append_str(&path, "/");
		req.method = strdup("POST");
		break;
	case COHD_AWS_PROTOCOL_JSON: {
		_cleanup_free_ char *target = NULL, *ct = NULL;

		if (in_ref) {
			json_auto_t *j = json_value(&s, in_ref, p, false);

			r = j ? dump_json(&req.body, j) : -ENOMEM;
		} else
			r = cohd_buf_append_str(&req.body, "{}");
		if (r >= 0 && m->target_prefix &&
		    asprintf(&target, "%s.%s", m->target_prefix, operation) < 0)
			r = -ENOMEM;
		if (r >= 0 && target)
			r = add_header(&s, "X-Amz-Target", target);
		if (r >= 0 && asprintf(&ct, "application/x-amz-json-%s", m->json_version) < 0)
			r = -ENOMEM;
		if (r >= 0)
			r = add_header(&s, "Content-Type", ct);
		if (r >= 0)
			r = cohd_buf_append_str(&path, "/");
		req.method = strdup("POST");
		break;
	}
	case COHD_AWS_PROTOCOL_REST_JSON:
	case COHD_AWS_PROTOCOL_REST_XML: {
		static const json_t *empty;
		bool xml = m->protocol == COHD_AWS_PROTOCOL_REST_XML;

		if (!in_shape) {
			if (!empty)
				empty = json_pack("{s:s,s:{}}", "type", "structure", "members");
			in_shape = empty;
		}
		r = rest_uri(&s, op, in_shape, p, &path, &query);
		if (r >= 0)
			r = rest_bound(&s, in_shape, p, &query);
		if (r >= 0 && in_ref)
			r = rest_body(&s, op, in_ref, in_shape, p, &req.body, xml);
		req.method = strdup(json_string_value(json_object_get(http, "method")) ?: "POST");
		break;
	}
	default:
		r = -EINVAL;
	}
	if (r >= 0 && !req.method)
		r = -ENOMEM;
	if (r >= 0 && (json_is_true(json_object_get(op, "httpChecksumRequired")) ||
		       json_is_true(json_object_get(json_object_get(op, "httpChecksum"),
						    "requestChecksumRequired"))))
		r = content_md5(&s, &req.body);
	if (r >= 0)
		r = host_prefix(&s, op, in_shape, p, &req.host_prefix);
	if (r >= 0) {
		req.path = cohd_buf_steal(&path);
		req.query = cohd_buf_steal(&query);
		if (!req.path || !req.query)
			r = -ENOMEM;
	}
	cohd_buf_done(&path);
	cohd_buf_done(&query);
	req.headers = s.headers;
	req.n_headers = s.n_headers;
	s.headers = NULL;
	if (r < 0) {
		cohd_aws_http_request_done(&req);
		if (r == -EMSGSIZE)
			return cohd_error_set(reterr, r, "%s: request too large", operation);
		if (reterr && reterr->code == r)
			return r;
		return cohd_error_set(reterr, r, "%s: cannot serialise the request", operation);
	}
	*ret = req;
	return 0;
fail:
	return r;
}

int cohd_aws_fill_idempotency_tokens(const struct cohd_aws_service_model *m, const char *operation,
				     json_t *params)
{
	const json_t *op, *shape, *mref;
	const char *k;
	int n = 0, r;

	cohd_assert_return(m && operation, -EINVAL);
	if (!json_is_object(params))
		return -EINVAL;
	if (cohd_aws_operation_find(m, operation, &op) < 0)
		return -ENOENT;
	shape = shape_of(m, json_object_get(op, "input"));
	json_object_foreach ((json_t *)json_object_get(shape, "members"), k, mref) {
		const json_t *v = json_object_get(params, k);
		char u[37];

		if (!json_is_true(json_object_get(mref, "idempotencyToken")) ||
		    (json_is_string(v) && json_string_length(v) > 0))
			continue;
		r = make_uuid(u);
		if (r < 0)
			return r;
		if (json_object_set_new(params, k, json_string(u)) < 0)
			return -ENOMEM;
		n++;
	}
	return n;
}
