/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Response parsing for the five protocols, driven by the operation's output shape: XML through
 * the expat tree of xml.c (query with resultWrapper, ec2 without, rest-xml root or payload),
 * JSON through jansson, plus header-, headers- and statusCode-bound members of the REST
 * protocols. Output conventions are those of protocols.h (timestamps = epoch seconds). Pure.
 */
#include <ctype.h>
#include <math.h>
#include <strings.h>

#include "lib/aws/protocols/models.h"
#include "lib/aws/protocols/xml.h"

#define MAX_DEPTH 80

struct par {
	const struct cohd_aws_service_model *m;
};

static json_t *blob_json(const unsigned char *p, size_t n)
{
	json_t *j = json_stringn((const char *)p, n);

	if (j)
		return j;
	{
		_cleanup_free_ char *e = b64_encode(p, n);

		return e ? json_string(e) : NULL;
	}
}

/* A scalar from its wire text; NULL if it cannot be parsed (the member is then left out). */
static json_t *scalar_from_text(struct par *s, const json_t *ref, const char *txt, size_t len,
				bool header)
{
	const char *t = shape_type(shape_of(s->m, ref));
	char *end;

	if (streq(t, "string")) {
		if (header && ref_trait_bool(s->m, ref, "jsonvalue")) {
			_cleanup_free_ unsigned char *d = NULL;
			size_t dn;

			if (b64_decode(txt, len, &d, &dn) < 0)
				return NULL;
			return json_loadb((const char *)d, dn, JSON_DECODE_ANY, NULL);
		}
		return json_stringn(txt, len);
	}
	if (streq(t, "integer") || streq(t, "long")) {
		long long v;

		errno = 0;
		v = strtoll(txt, &end, 10);
		if (errno || end == txt)
			return NULL;
		return json_integer(v);
	}
	if (streq(t, "float") || streq(t, "double")) {
		double d;

		if (streq(txt, "NaN") || streq(txt, "Infinity") || streq(txt, "-Infinity"))
			return json_string(txt);
		errno = 0;
		d = strtod(txt, &end);
		if (errno || end == txt)
			return NULL;
		return json_real(d);
	}
	if (streq(t, "boolean")) {
		while (*txt == ' ')
			txt++;
		if (strncasecmp(txt, "true", 4) == 0)
			return json_true();
		if (strncasecmp(txt, "false", 5) == 0)
			return json_false();
		return NULL;
	}
	if (streq(t, "timestamp")) {
		double d;

		if (ts_from_text(txt, &d) < 0)
			return NULL;
		return ts_to_json(d);
	}
	if (streq(t, "blob")) {
		_cleanup_free_ unsigned char *d = NULL;
		size_t dn;

		if (b64_decode(txt, len, &d, &dn) < 0)
			return NULL;
		return blob_json(d, dn);
	}
	return json_stringn(txt, len);
}

/* Members the REST protocols take from the status line or headers, not from the body. */
static bool is_bound(struct par *s, const json_t *mref)
{
	const char *loc = ref_trait_str(s->m, mref, "location");

	return loc && (streq(loc, "header") || streq(loc, "headers") || streq(loc, "statusCode"));
}

/* ---- XML ---- */

static json_t *xml_value(struct par *s, const json_t *ref, const struct xml_node *n, int depth);

/* The element name of a structure member: the member's locationName, else its name (Smithy
 * xmlName semantics: the target shape's name never renames a member). */
static const char *member_xml_name(struct par *s, const json_t *mref, const char *k)
{
	return json_string_value(json_object_get(mref, "locationName")) ?: k;
}

/* botocore's older rule for flattened lists: the list member's locationName. */
static const char *flat_item_name(struct par *s, const json_t *mref)
{
	return json_string_value(
		json_object_get(json_object_get(shape_of(s->m, mref), "member"), "locationName"));
}

static json_t *xml_flat_list(struct par *s, const json_t *ref, const struct xml_node *parent,
			     const char *name, int depth)
{
	const json_t *shape = shape_of(s->m, ref);
	const json_t *mref = json_object_get(shape, "member");
	json_auto_t *a = json_array();

	if (!a)
		return NULL;
	for (const struct xml_node *c = parent->first; c; c = c->next) {
		json_t *x;

		if (!streq(c->name, name))
			continue;
		x = xml_value(s, mref, c, depth + 1);
		if (x && json_array_append_new(a, x) < 0)
			return NULL;
	}
	return json_incref(a);
}

static json_t *xml_flat_map(struct par *s, const json_t *ref, const struct xml_node *parent,
			    const char *name, int depth);

/* Members of a structure from the children (and attributes) of n. */
static int xml_struct_into(struct par *s, const json_t *shape, const struct xml_node *n, json_t *o,
			   bool skip_located, int depth)
{
	const json_t *members = json_object_get(shape, "members"), *mref;
	const char *k;

	json_object_foreach ((json_t *)members, k, mref) {
		const json_t *mshape = shape_of(s->m, mref);
		const char *mt = shape_type(mshape);
		const char *name;
		json_t *v = NULL;

		if (skip_located && is_bound(s, mref))
			continue;
		name = member_xml_name(s, mref, k);
		if (ref_trait_bool(s->m, mref, "xmlAttribute")) {
			const char *a = xml_attr(n, name);

			if (!a)
				continue;
			v = scalar_from_text(s, mref, a, strlen(a), false);
		} else if (streq(mt, "list") && ref_trait_bool(s->m, mref, "flattened")) {
			if (!xml_child(n, name)) {
				name = flat_item_name(s, mref);
				if (!name || !xml_child(n, name))
					continue;
			}
			v = xml_flat_list(s, mref, n, name, depth);
		} else if (streq(mt, "map") && ref_trait_bool(s->m, mref, "flattened")) {
			if (!xml_child(n, name))
				continue;
			v = xml_flat_map(s, mref, n, name, depth);
		} else {
			const struct xml_node *c = xml_child(n, name);

			if (!c)
				continue;
			v = xml_value(s, mref, c, depth + 1);
		}
		if (v && json_object_set_new(o, k, v) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int xml_map_entry(struct par *s, const json_t *shape, const struct xml_node *e, json_t *o,
			 int depth)
{
	const json_t *kref = json_object_get(shape, "key"), *vref = json_object_get(shape, "value");
	const char *ks = ref_trait_str(s->m, kref, "locationName") ?: "key";
	const char *vs = ref_trait_str(s->m, vref, "locationName") ?: "value";
	const char *key = xml_child_text(e, ks);
	const struct xml_node *vn = xml_child(e, vs);
	json_t *v;

	if (!key || !vn)
		return 0;
	v = xml_value(s, vref, vn, depth + 1);
	if (v && json_object_set_new(o, key, v) < 0)
		return -ENOMEM;
	return 0;
}

static json_t *xml_flat_map(struct par *s, const json_t *ref, const struct xml_node *parent,
			    const char *name, int depth)
{
	const json_t *shape = shape_of(s->m, ref);
	json_auto_t *o = json_object();

	if (!o)
		return NULL;
	for (const struct xml_node *c = parent->first; c; c = c->next)
		if (streq(c->name, name) && xml_map_entry(s, shape, c, o, depth) < 0)
			return NULL;
	return json_incref(o);
}

static json_t *xml_value(struct par *s, const json_t *ref, const struct xml_node *n, int depth)
{
	const json_t *shape = shape_of(s->m, ref);
	const char *t = shape_type(shape);

	if (!shape || depth > MAX_DEPTH)
		return NULL;
	if (streq(t, "structure")) {
		json_auto_t *o = json_object();

		if (!o || xml_struct_into(s, shape, n, o, false, depth) < 0)
			return NULL;
		return json_incref(o);
	}
	if (streq(t, "list")) {
		const json_t *mref = json_object_get(shape, "member");
		json_auto_t *a = json_array();

		if (!a)
			return NULL;
		for (const struct xml_node *c = n->first; c; c = c->next) {
			json_t *x = xml_value(s, mref, c, depth + 1);

			if (x && json_array_append_new(a, x) < 0)
				return NULL;
		}
		return json_incref(a);
	}
	if (streq(t, "map")) {
		json_auto_t *o = json_object();

		if (!o)
			return NULL;
		for (const struct xml_node *c = n->first; c; c = c->next)
			if (streq(c->name, "entry") && xml_map_entry(s, shape, c, o, depth) < 0)
				return NULL;
		return json_incref(o);
	}
	return scalar_from_text(s, ref, n->text, n->text_len, false);
}

/* ---- JSON ---- */

static json_t *json_out(struct par *s, const json_t *ref, const json_t *v, bool skip_located,
			int depth)
{
	const json_t *shape = shape_of(s->m, ref);
	const char *t = shape_type(shape);

	if (!shape || depth > MAX_DEPTH || json_is_null(v))
		return NULL;
	if (json_is_true(json_object_get(shape, "document")) ||
	    ref_trait_bool(s->m, ref, "jsonvalue"))
		return json_deep_copy(v);
	if (streq(t, "structure")) {
		const json_t *members = json_object_get(shape, "members"), *mref;
		json_auto_t *o = json_object();
		const char *k;

		if (!o || !json_is_object(v))
			return NULL;
		json_object_foreach ((json_t *)members, k, mref) {
			const json_t *mv;
			json_t *x;

			if (skip_located && is_bound(s, mref))
				continue;
			mv = json_object_get(v, ref_trait_str(s->m, mref, "locationName") ?: k);
			if (!mv)
				continue;
			x = json_out(s, mref, mv, false, depth + 1);
			if (x && json_object_set_new(o, k, x) < 0)
				return NULL;
		}
		return json_incref(o);
	}
	if (streq(t, "list")) {
		const json_t *mref = json_object_get(shape, "member"), *x;
		json_auto_t *a = json_array();
		size_t i;

		if (!a || !json_is_array(v))
			return NULL;
		json_array_foreach (v, i, x) {
			json_t *y = json_is_null(x) ? json_null()
						    : json_out(s, mref, x, false, depth + 1);

			if (y && json_array_append_new(a, y) < 0)
				return NULL;
		}
		return json_incref(a);
	}
	if (streq(t, "map")) {
		const json_t *vref = json_object_get(shape, "value"), *x;
		json_auto_t *o = json_object();
		const char *k;

		if (!o || !json_is_object(v))
			return NULL;
		json_object_foreach ((json_t *)v, k, x) {
			json_t *y = json_out(s, vref, x, false, depth + 1);

			if (y && json_object_set_new(o, k, y) < 0)
				return NULL;
		}
		return json_incref(o);
	}
	if (streq(t, "timestamp")) {
		double d;

		if (ts_from_json(v, &d) < 0)
			return NULL;
		return ts_to_json(d);
	}
	if (streq(t, "blob")) {
		_cleanup_free_ unsigned char *d = NULL;
		size_t dn;

		if (!json_is_string(v) ||
		    b64_decode(json_string_value(v), json_string_length(v), &d, &dn) < 0)
			return NULL;
		return blob_json(d, dn);
	}
	return json_deep_copy(v);
}

/* ---- REST bindings ---- */

static json_t *header_list(struct par *s, const json_t *ref, const char *txt)
{
	const json_t *iref = json_object_get(shape_of(s->m, ref), "member");
	bool is_ts = streq(shape_type(shape_of(s->m, iref)), "timestamp");
	json_auto_t *a = json_array();
	const char *p = txt;

	if (!a)
		return NULL;
	while (*p) {
		_cleanup_free_ char *item = NULL;
		const char *start, *end;
		json_t *x;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"') {
			struct cohd_buf b;

			cohd_buf_init(&b, strlen(txt) + 1);
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (cohd_buf_append(&b, p, 1) < 0)
					break;
			}
			item = cohd_buf_steal(&b);
			cohd_buf_done(&b);
			if (*p == '"')
				p++;
			while (*p && *p != ',')
				p++;
		} else {
			start = p;
			if (is_ts) {
				/* HTTP dates contain one comma: "Mon, 16 Dec 2019 23:48:18 GMT" */
				const char *c = strchr(p, ',');

				if (c && c - p <= 3)
					c = strchr(c + 1, ',');
				p = c ?: p + strlen(p);
			} else
				p += strcspn(p, ",");
			end = p;
			while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			item = strndup(start, (size_t)(end - start));
		}
		if (!item)
			return NULL;
		x = scalar_from_text(s, iref, item, strlen(item), true);
		if (x && json_array_append_new(a, x) < 0)
			return NULL;
		if (*p == ',')
			p++;
	}
	return json_incref(a);
}

static int rest_bound(struct par *s, const json_t *shape, int status,
		      const struct cohd_aws_header *h, size_t nh, json_t *o)
{
	const json_t *members = json_object_get(shape, "members"), *mref;
	const char *k;

	json_object_foreach ((json_t *)members, k, mref) {
		const char *loc = ref_trait_str(s->m, mref, "location");
		const char *ln = ref_trait_str(s->m, mref, "locationName") ?: k;
		json_t *v = NULL;

		if (!loc)
			continue;
		if (streq(loc, "statusCode"))
			v = json_integer(status);
		else if (streq(loc, "header")) {
			const char *txt = cohd_aws_header_get(h, nh, ln);

			if (!txt)
				continue;
			if (streq(shape_type(shape_of(s->m, mref)), "list"))
				v = header_list(s, mref, txt);
			else
				v = scalar_from_text(s, mref, txt, strlen(txt), true);
		} else if (streq(loc, "headers")) {
			const char *pfx = ref_trait_str(s->m, mref, "locationName") ?: "";
			size_t pl = strlen(pfx);
			json_auto_t *map = json_object();

			if (!map)
				return -ENOMEM;
			for (size_t i = 0; i < nh; i++)
				if (h[i].name && strncasecmp(h[i].name, pfx, pl) == 0 &&
				    json_object_set_new(map, h[i].name + pl,
							json_string(h[i].value ?: "")) < 0)
					return -ENOMEM;
			v = json_incref(map);
		}
		if (v && json_object_set_new(o, k, v) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int bad(struct cohd_aws_error *e, int status, const char *why)
{
	if (e) {
		cohd_aws_error_done(e);
		e->http_status = status;
		e->message = strdup(why);
		e->class = COHD_AWS_ERROR_OTHER;
	}
	return -EBADMSG;
}

static bool s3_error_in_200(const char *op, const void *body, size_t len)
{
	static const char *const ops[] = {"CopyObject", "UploadPartCopy",
					  "CompleteMultipartUpload"};
	struct xml_node *root = NULL;
	const char *why;
	bool yes = false, match = false;

	for (size_t i = 0; i < ELEMENTSOF(ops); i++)
		match = match || streq(op, ops[i]);
	if (!match || len == 0)
		return false;
	if (xml_parse(body, len, &root, &why) == 0)
		yes = streq(root->name, "Error");
	xml_free(root);
	return yes;
}

static bool body_blank(const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)b[i]))
			return false;
	return true;
}

int cohd_aws_parse_response(const struct cohd_aws_service_model *m, const char *operation,
			    int http_status, const struct cohd_aws_header *headers,
			    size_t n_headers, const void *body, size_t body_len, json_t **ret,
			    struct cohd_aws_error *reterr)
{
	struct par s = {.m = m};
	const json_t *op, *out_ref, *shape;
	json_auto_t *o = NULL;
	const char *b = body ?: "";
	_cleanup_(xml_freep) struct xml_node *root = NULL;
	const char *why = NULL;
	int r = 0;

	cohd_assert_return(m && operation && ret, -EINVAL);
	if (cohd_aws_operation_find(m, operation, &op) < 0)
		return -ENOENT;
	if (http_status >= 300 || http_status < 100 ||
	    (m->protocol == COHD_AWS_PROTOCOL_REST_XML && s3_error_in_200(operation, b, body_len)))
		return cohd_aws_parse_error(m, http_status, headers, n_headers, b, body_len,
					    reterr);

	o = json_object();
	if (!o)
		return -ENOMEM;
	out_ref = json_object_get(op, "output");
	shape = out_ref ? shape_of(m, out_ref) : NULL;
	if (!shape) {
		*ret = TAKE_PTR(o);
		return 0;
	}

	switch (m->protocol) {
	case COHD_AWS_PROTOCOL_QUERY:
	case COHD_AWS_PROTOCOL_EC2: {
		const struct xml_node *n;
		const char *wrapper = ref_trait_str(m, out_ref, "resultWrapper");

		if (body_blank(b, body_len))
			break;
		r = xml_parse(b, body_len, &root, &why);
		if (r < 0)
			return r == -ENOMEM ? r : bad(reterr, http_status, why);
		n = root;
		if (m->protocol == COHD_AWS_PROTOCOL_QUERY) {
			char def[256];

			/* models always name the wrapper; "<Operation>Result" is the convention */
			if (!wrapper) {
				snprintf(def, sizeof def, "%sResult", operation);
				wrapper = def;
			}
			n = xml_child(root, wrapper);
			if (!n)
				break;
		}
		r = xml_struct_into(&s, shape, n, o, false, 0);
		break;
	}
	case COHD_AWS_PROTOCOL_JSON: {
		json_auto_t *j = NULL, *x = NULL;
		json_error_t jerr;

		if (body_blank(b, body_len))
			break;
		j = json_loadb(b, body_len, JSON_DECODE_ANY, &jerr);
		if (!j || !json_is_object(j))
			return bad(reterr, http_status, "malformed JSON response");
		x = json_out(&s, out_ref, j, false, 0);
		if (x)
			json_object_update(o, x);
		break;
	}
	case COHD_AWS_PROTOCOL_REST_JSON:
	case COHD_AWS_PROTOCOL_REST_XML: {
		bool xml = m->protocol == COHD_AWS_PROTOCOL_REST_XML;
		const char *payload =
			json_string_value(json_object_get(out_ref, "payload"))
				?: json_string_value(json_object_get(shape, "payload"));

		r = rest_bound(&s, shape, http_status, headers, n_headers, o);
		if (r < 0)
			return r;
		if (payload) {
			const json_t *pref =
				json_object_get(json_object_get(shape, "members"), payload);
			const char *pt = shape_type(shape_of(m, pref));
			json_t *v = NULL;

			if (streq(pt, "blob")) {
				if (body_len == 0)
					break;
				v = blob_json((const unsigned char *)b, body_len);
			} else if (streq(pt, "string")) {
				if (body_len == 0)
					break;
				v = json_stringn(b, body_len);
			} else if (body_blank(b, body_len))
				break;
			else if (xml) {
				r = xml_parse(b, body_len, &root, &why);
				if (r < 0)
					return r == -ENOMEM ? r : bad(reterr, http_status, why);
				v = xml_value(&s, pref, root, 0);
			} else {
				json_auto_t *j = json_loadb(b, body_len, JSON_DECODE_ANY, NULL);

				if (!j)
					return bad(reterr, http_status, "malformed JSON response");
				v = json_out(&s, pref, j, false, 0);
			}
			if (v && json_object_set_new(o, payload, v) < 0)
				return -ENOMEM;
			break;
		}
		if (body_blank(b, body_len))
			break;
		if (xml) {
			r = xml_parse(b, body_len, &root, &why);
			if (r < 0)
				return r == -ENOMEM ? r : bad(reterr, http_status, why);
			r = xml_struct_into(&s, shape, root, o, true, 0);
		} else {
			json_auto_t *j = json_loadb(b, body_len, JSON_DECODE_ANY, NULL), *x = NULL;

			if (!j || !json_is_object(j))
				return bad(reterr, http_status, "malformed JSON response");
			x = json_out(&s, out_ref, j, true, 0);
			if (x)
				json_object_update_missing(o, x);
		}
		break;
	}
	default:
		return -EINVAL;
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(o);
	return 0;
}
