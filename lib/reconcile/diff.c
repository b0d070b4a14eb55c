/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-resource, per-field diff (DESIGN.md §5.3) and the JSON helpers the engine shares: dotted
 * paths, text forms, digests, normalisers for values AWS fills in or reformats (defaults, order of
 * unordered lists, case, JSON documents carried in strings, URL-encoded IAM policies). Pure: no
 * I/O, no clock. Loop thread only, like the rest of lib/reconcile.
 */
#include <ctype.h>
#include <stdlib.h>

#include "lib/reconcile/diff.h"
#include "lib/util/macro.h"

/* ---- JSON helpers ---- */

static json_t *tag_value(const json_t *tags, const char *key)
{
	const json_t *t;
	size_t i;

	if (json_is_object(tags))
		return json_object_get(tags, key);
	json_array_foreach (tags, i, t) {
		const char *k = json_string_value(json_object_get(t, "Key"));

		if (!k)
			k = json_string_value(json_object_get(t, "key"));
		if (k && streq(k, key)) {
			json_t *v = json_object_get(t, "Value");

			return v ? v : json_object_get(t, "value");
		}
	}
	return NULL;
}

json_t *cohd_rec_json_path(const json_t *v, const char *path)
{
	const char *p = path, *dot;

	if (!v || !path)
		return NULL;
	if (strncmp(path, "tag:", 4) == 0)
		return tag_value(json_object_get(v, "Tags"), path + 4);
	while (v && *p) {
		char key[256];
		size_t l;

		dot = strchr(p, '.');
		l = dot ? (size_t)(dot - p) : strlen(p);
		if (l >= sizeof key)
			return NULL;
		memcpy(key, p, l);
		key[l] = 0;
		if (json_is_array(v)) {
			char *end;
			unsigned long i = strtoul(key, &end, 10);

			v = *end || end == key ? NULL : json_array_get(v, i);
		} else
			v = json_object_get(v, key);
		p += l + (dot ? 1 : 0);
	}
	return (json_t *)v;
}

static bool index_of(const char *key, size_t *ret)
{
	char *end;
	unsigned long i;

	if (!*key || *key < '0' || *key > '9')
		return false;
	i = strtoul(key, &end, 10);
	if (*end)
		return false;
	*ret = i;
	return true;
}

/* Is the first dotted segment of s a number? */
static bool segment_is_index(const char *s)
{
	if (*s < '0' || *s > '9')
		return false;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == 0 || *s == '.';
}

/* Put value (stolen) under key in container o: an object member, or a list element when o is a
 * list and key a number (the size of the list appends). */
static int put(json_t *o, const char *key, json_t *value)
{
	size_t i;

	if (json_is_array(o)) {
		if (!index_of(key, &i) || i > json_array_size(o)) {
			json_decref(value);
			return -EINVAL;
		}
		return (i == json_array_size(o) ? json_array_append_new(o, value)
						: json_array_set_new(o, i, value)) < 0
			       ? -ENOMEM
			       : 0;
	}
	return json_object_set_new(o, key, value) < 0 ? -EINVAL : 0;
}

int cohd_rec_json_set_path(json_t *root, const char *path, json_t *value)
{
	_cleanup_free_ char *copy = strdup(path);
	char *p, *dot;
	json_t *o = root;
	int r;

	if (!copy || !value) {
		json_decref(value);
		return -ENOMEM;
	}
	/* Walk existing objects and lists ("Routes.0.GatewayId" indexes the list); create what
	 * is missing: a list when the next key is a number, else an object. */
	for (p = copy; (dot = strchr(p, '.')); p = dot + 1) {
		json_t *next;
		size_t i;

		*dot = 0;
		next = json_is_array(o) ? (index_of(p, &i) ? json_array_get(o, i) : NULL)
					: json_object_get(o, p);
		if (!json_is_object(next) && !json_is_array(next)) {
			next = segment_is_index(dot + 1) ? json_array() : json_object();
			r = put(o, p, json_incref(next));
			json_decref(next);
			if (r < 0) {
				json_decref(value);
				return r;
			}
		}
		o = next;
	}
	return put(o, p, value);
}

char *cohd_rec_json_text(const json_t *v)
{
	char *s;

	if (!v)
		return strdup("");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v))
		return asprintf(&s, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) < 0 ? NULL : s;
	if (json_is_real(v))
		return asprintf(&s, "%.17g", json_real_value(v)) < 0 ? NULL : s;
	return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

uint64_t cohd_rec_json_digest(const json_t *v)
{
	_cleanup_free_ char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *p = s ? s : ""; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ---- normalisers ---- */

static int cmp_json(const void *a, const void *b)
{
	_cleanup_free_ char *x =
		json_dumps(*(json_t *const *)a, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	_cleanup_free_ char *y =
		json_dumps(*(json_t *const *)b, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	return strcmp(strempty(x), strempty(y));
}

static json_t *sorted(json_t *v)
{
	json_t **items, *out;
	size_t n = json_array_size(v), i;

	items = calloc(n + 1, sizeof(json_t *));
	if (!items)
		return NULL;
	for (i = 0; i < n; i++)
		items[i] = json_array_get(v, i);
	qsort(items, n, sizeof(json_t *), cmp_json);
	out = json_array();
	for (i = 0; out && i < n; i++)
		json_array_append(out, items[i]);
	free(items);
	return out;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* IAM returns policy documents URL-encoded (RFC 3986) inside the XML. */
static char *url_decode(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
		} else
			*o++ = *s == '+' ? ' ' : *s;
	}
	*o = 0;
	return out;
}

static json_t *json_doc(const json_t *v)
{
	const char *s = json_string_value(v);
	_cleanup_free_ char *dec = NULL;
	json_t *doc;

	if (!s)
		return json_incref((json_t *)v);
	if (s[0] == '%') {
		dec = url_decode(s);
		if (!dec)
			return NULL;
		s = dec;
	}
	doc = json_loads(s, JSON_DECODE_ANY, NULL);
	return doc ? doc : json_incref((json_t *)v);
}

/* IAM policy documents: "Statement" may be one object or a list, Action/Resource a string or a
 * list; AWS returns what was written, but writers differ. Canonicalise to lists, sorted. */
static json_t *canon_doc(json_t *v)
{
	const char *key;
	json_t *item, *out;
	size_t i;

	if (json_is_array(v)) {
		json_t *tmp = json_array();

		json_array_foreach (v, i, item)
			json_array_append_new(tmp, canon_doc(item));
		out = sorted(tmp);
		json_decref(tmp);
		return out;
	}
	if (!json_is_object(v))
		return json_incref(v);
	out = json_object();
	json_object_foreach (v, key, item) {
		if ((streq(key, "Statement") || streq(key, "Action") || streq(key, "Resource") ||
		     streq(key, "NotAction")) &&
		    !json_is_array(item)) {
			json_t *l = json_array();

			json_array_append_new(l, canon_doc(item));
			json_object_set_new(out, key, l);
		} else
			json_object_set_new(out, key, canon_doc(item));
	}
	return out;
}

json_t *cohd_rec_normalise(const struct cohd_rec_field *f, const json_t *v, bool live)
{
	json_t *cur;

	if (!v && live && f->default_json)
		cur = json_loads(f->default_json, JSON_DECODE_ANY, NULL);
	else if (!v)
		return NULL;
	else
		cur = json_incref((json_t *)v);
	if (!cur)
		return NULL;
	if (f->flags & COHD_REC_F_JSON_DOC) {
		json_t *d = json_doc(cur), *c;

		json_decref(cur);
		if (!d)
			return NULL;
		c = canon_doc(d);
		json_decref(d);
		cur = c;
	}
	if ((f->flags & COHD_REC_F_LOWER) && json_is_string(cur)) {
		char *s = strdup(json_string_value(cur));

		for (char *p = s; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
		json_decref(cur);
		cur = s ? json_string(s) : NULL;
		free(s);
	}
	if ((f->flags & COHD_REC_F_SORT) && json_is_array(cur)) {
		json_t *s = sorted(cur);

		json_decref(cur);
		cur = s;
	}
	if (f->normalise && cur) {
		json_t *n = f->normalise(cur);

		json_decref(cur);
		cur = n;
	}
	return cur;
}

/* Numbers and strings AWS reformats ("20" vs 20, 1.0 vs 1, "true" vs true). */
static bool values_equal(const json_t *a, const json_t *b)
{
	_cleanup_free_ char *x = NULL, *y = NULL;

	if (json_equal(a, b))
		return true;
	if (!a || !b || json_is_object(a) || json_is_object(b) || json_is_array(a) ||
	    json_is_array(b))
		return false;
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	x = cohd_rec_json_text(a);
	y = cohd_rec_json_text(b);
	return x && y && streq(x, y);
}

/* ---- diff ---- */

void cohd_rec_res_diff_done(struct cohd_rec_res_diff *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_fields; i++) {
		json_decref(d->fields[i].desired);
		json_decref(d->fields[i].live);
		json_decref(d->fields[i].target);
	}
	free(d->fields);
	json_decref(d->tags_wrong);
	json_decref(d->tags_accepted);
	json_decref(d->tags_extra);
	*d = (struct cohd_rec_res_diff){};
}

/* Outside a governed band, correct to the nearest bound (9 with 1..4 -> 4), not back to the
 * desired value: the autoscaler owns the field, cohd only keeps it inside the band. */
static json_t *band_target(const json_t *live, const struct cohd_rec_band *b)
{
	double v = json_is_number(live) ? json_number_value(live) : b->min;

	v = v < b->min ? b->min : v > b->max ? b->max : v;
	return json_integer((json_int_t)v);
}

static bool removable_tag(const char *key)
{
	return streq(key, "Environment") ||
	       (strncmp(key, "cohd:", 5) == 0 && !streq(key, "cohd:id"));
}

int cohd_rec_diff_resource(const struct cohd_rec_type *t, const struct cohd_rec_accept *a,
			   const char *logical_id, const json_t *props, const json_t *tags,
			   const struct cohd_rec_item *live, struct cohd_rec_res_diff *ret)
{
	struct cohd_rec_res_diff d = {.state = COHD_REC_RES_PRESENT};
	const char *key;
	json_t *v;

	d.fields = calloc(t->n_fields + 1, sizeof(*d.fields));
	if (!d.fields)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_fields; i++) {
		const struct cohd_rec_field *f = &t->fields[i];
		struct cohd_rec_field_diff *fd;
		const json_t *want = props ? cohd_rec_json_path(props, f->path) : NULL;
		const struct cohd_rec_band *band = NULL;

		/* Not set in the desired properties (and resolvable): not managed here. */
		if (props && !want)
			continue;
		fd = &d.fields[d.n_fields++];
		fd->spec = f;
		fd->live = cohd_rec_normalise(
			f, cohd_rec_json_path(live->attrs, f->live_path ?: f->path), true);
		if (!props || (f->flags & COHD_REC_F_WRITE_ONLY) || cohd_rec_has_generated(want)) {
			fd->state = COHD_REC_FIELD_UNCHECKED;
			d.n_unchecked++;
			continue;
		}
		fd->desired = cohd_rec_normalise(f, want, false);
		if (values_equal(fd->desired, fd->live)) {
			fd->state = COHD_REC_FIELD_MATCH;
			continue;
		}
		switch (cohd_rec_accept_check(a, t->name, logical_id, f->path, fd->live, &fd->rule,
					      &fd->reason, &band)) {
		case COHD_REC_VERDICT_ACCEPTED:
			fd->state = COHD_REC_FIELD_ACCEPTED;
			d.n_accepted++;
			continue;
		case COHD_REC_VERDICT_OUTSIDE_BAND:
			fd->target = band_target(fd->live, band);
			break;
		case COHD_REC_VERDICT_DRIFT:
			fd->target = json_incref(fd->desired);
			break;
		}
		fd->state = COHD_REC_FIELD_DRIFT;
		d.n_drift++;
		if (f->flags & COHD_REC_F_REPLACE)
			d.replace = true;
	}

	/* A type whose items carry no tags (no tags_path: Application Auto Scaling targets and
	 * policies, owned by name) has none to compare: they can be neither seen nor set. */
	if (!t->tags_path) {
		*ret = d;
		return 0;
	}
	/* Tags: every desired tag must be on the resource with its value; extra tags (added by
	 * people or by AWS) are left alone. */
	json_object_foreach ((json_t *)tags, key, v) {
		const json_t *have = json_object_get(live->tags, key);
		_cleanup_free_ char *field = NULL;
		const char *rule, *reason;
		const struct cohd_rec_band *band;

		if (have && json_equal(have, v))
			continue;
		if (asprintf(&field, "Tags.%s", key) < 0) {
			cohd_rec_res_diff_done(&d);
			return -ENOMEM;
		}
		if (cohd_rec_accept_check(a, t->name, logical_id, field, have, &rule, &reason,
					  &band) == COHD_REC_VERDICT_ACCEPTED) {
			/* Shown with its value and rule, like accepted fields. */
			if (!d.tags_accepted)
				d.tags_accepted = json_object();
			json_object_set_new(d.tags_accepted, key,
					    json_pack("{s:O, s:O?, s:s, s:s?}", "desired", v,
						      "live", have, "rule", rule, "reason",
						      reason));
			d.n_accepted++;
			continue;
		}
		if (!d.tags_wrong)
			d.tags_wrong = json_object();
		json_object_set(d.tags_wrong, key, v);
		d.n_drift++;
	}
	/* Tags cohd owns that the desired set no longer has (a resource that left an environment's
	 * scope keeps its cohd:environment): removed where the type can. Only Environment and
	 * cohd:* (not cohd:id, not ManagedBy/Application: they are how cohd finds its own). */
	json_object_foreach (live->tags, key, v) {
		_cleanup_free_ char *field = NULL;
		const char *rule, *reason;
		const struct cohd_rec_band *band;

		if (json_object_get(tags, key) || !removable_tag(key))
			continue;
		if (asprintf(&field, "Tags.%s", key) < 0) {
			cohd_rec_res_diff_done(&d);
			return -ENOMEM;
		}
		if (cohd_rec_accept_check(a, t->name, logical_id, field, v, &rule, &reason,
					  &band) == COHD_REC_VERDICT_ACCEPTED)
			continue;
		if (!d.tags_extra)
			d.tags_extra = json_object();
		json_object_set(d.tags_extra, key, v);
		if (t->untag_op)
			d.n_drift++;
	}
	*ret = d;
	return 0;
}

const char *cohd_rec_field_state_to_string(enum cohd_rec_field_state s)
{
	static const char *const t[_COHD_REC_FIELD_STATE_MAX] = {
		[COHD_REC_FIELD_MATCH] = "match",
		[COHD_REC_FIELD_DRIFT] = "drift",
		[COHD_REC_FIELD_ACCEPTED] = "accepted",
		[COHD_REC_FIELD_UNCHECKED] = "unchecked",
	};

	return s >= 0 && s < _COHD_REC_FIELD_STATE_MAX ? t[s] : NULL;
}

const char *cohd_rec_res_state_to_string(enum cohd_rec_res_state s)
{
	static const char *const t[_COHD_REC_RES_STATE_MAX] = {
		[COHD_REC_RES_PRESENT] = "present",
		[COHD_REC_RES_MISSING] = "missing",
		[COHD_REC_RES_UNMANAGED] = "unmanaged",
		[COHD_REC_RES_FOREIGN] = "foreign",
	};

	return s >= 0 && s < _COHD_REC_RES_STATE_MAX ? t[s] : NULL;
}

json_t *cohd_rec_res_diff_to_json(const struct cohd_rec_res_diff *d)
{
	json_t *o = json_object(), *fields = json_array();

	if (!o || !fields) {
		json_decref(o);
		json_decref(fields);
		return NULL;
	}
	json_object_set_new(o, "state", json_string(cohd_rec_res_state_to_string(d->state)));
	for (size_t i = 0; i < d->n_fields; i++) {
		const struct cohd_rec_field_diff *f = &d->fields[i];
		bool secret = f->spec->flags & COHD_REC_F_WRITE_ONLY;
		json_t *e = json_pack("{s:s, s:s}", "field", f->spec->path, "state",
				      cohd_rec_field_state_to_string(f->state));

		if (!e)
			continue;
		if (!secret && f->desired)
			json_object_set(e, "desired", f->desired);
		if (!secret && f->live)
			json_object_set(e, "live", f->live);
		if (f->rule)
			json_object_set_new(e, "rule", json_string(f->rule));
		if (f->reason)
			json_object_set_new(e, "reason", json_string(f->reason));
		if (f->target && !json_equal(f->target, f->desired))
			json_object_set(e, "target", f->target);
		json_array_append_new(fields, e);
	}
	json_object_set_new(o, "fields", fields);
	if (d->tags_wrong)
		json_object_set(o, "tags_drift", d->tags_wrong);
	if (d->tags_accepted)
		json_object_set(o, "tags_accepted", d->tags_accepted);
	if (d->tags_extra)
		json_object_set(o, "tags_extra", d->tags_extra);
	json_object_set_new(o, "drift", json_integer((json_int_t)d->n_drift));
	json_object_set_new(o, "accepted", json_integer((json_int_t)d->n_accepted));
	json_object_set_new(o, "unchecked", json_integer((json_int_t)d->n_unchecked));
	return o;
}
