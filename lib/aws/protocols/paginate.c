/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pagination from botocore's paginators-1.json (aws-api.md §2): next-page params from the last
 * response (single and multi-token styles, more_results flags such as IsTruncated/Truncated,
 * dotted output paths like DistributionList.NextMarker, "A || B" alternatives and [-1]
 * indexes), and merging of the result_key lists across pages. Pure.
 */
#include "lib/aws/protocols/models.h"

int cohd_aws_paginator_find(const struct cohd_aws_service_model *m, const char *operation,
			    const json_t **ret_paginator)
{
	const json_t *p;

	cohd_assert_return(m && operation, -EINVAL);
	p = json_object_get(m->paginators, operation);
	if (!json_is_object(p) || !json_object_get(p, "input_token"))
		return -ENOENT;
	if (ret_paginator)
		*ret_paginator = p;
	return 0;
}

/* One path "A.B[-1].C" (no alternatives). */
static const json_t *path_get1(const json_t *doc, const char *path, size_t len)
{
	const json_t *cur = doc;
	const char *p = path, *end = path + len;

	while (p < end && cur) {
		const char *seg_end = p;
		char key[256];
		size_t n;

		while (seg_end < end && *seg_end != '.' && *seg_end != '[')
			seg_end++;
		n = (size_t)(seg_end - p);
		if (n >= sizeof key)
			return NULL;
		memcpy(key, p, n);
		key[n] = 0;
		while (n > 0 && key[n - 1] == ' ')
			key[--n] = 0;
		if (n > 0)
			cur = json_object_get(cur, key);
		p = seg_end;
		while (p < end && *p == '[' && cur) {
			long idx = strtol(p + 1, NULL, 10);
			size_t sz = json_array_size(cur);

			if (!json_is_array(cur))
				return NULL;
			if (idx < 0)
				idx += (long)sz;
			cur = idx >= 0 && (size_t)idx < sz ? json_array_get(cur, (size_t)idx)
							   : NULL;
			p = memchr(p, ']', (size_t)(end - p));
			if (!p)
				return NULL;
			p++;
		}
		if (p < end && *p == '.')
			p++;
	}
	return cur;
}

/* "A.B || C.D": the first alternative that is set. */
static const json_t *path_get(const json_t *doc, const char *expr)
{
	const char *p = expr;

	while (p && *p) {
		const char *bar = strstr(p, "||");
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		const json_t *v;

		while (*p == ' ' && n > 0) {
			p++;
			n--;
		}
		v = path_get1(doc, p, n);
		if (v && !json_is_null(v))
			return v;
		p = bar ? bar + 2 : NULL;
	}
	return NULL;
}

static bool token_set(const json_t *v)
{
	return v && !json_is_null(v) && !(json_is_string(v) && json_string_length(v) == 0);
}

#define AS_LIST(v, i)                                                                              \
	(json_is_array(v) ? json_string_value(json_array_get(v, i))                                \
	 : (i) == 0	  ? json_string_value(v)                                                   \
			  : NULL)
#define LIST_N(v) (json_is_array(v) ? json_array_size(v) : json_is_string(v) ? 1u : 0u)

int cohd_aws_paginate_next(const struct cohd_aws_service_model *m, const char *operation,
			   const json_t *params, const json_t *response, json_t **ret_next)
{
	const json_t *pag, *in, *out, *more;
	json_auto_t *next = NULL;
	bool any = false, changed = false;
	size_t n;
	int r;

	cohd_assert_return(m && operation && response && ret_next, -EINVAL);
	r = cohd_aws_paginator_find(m, operation, &pag);
	if (r < 0)
		return r;
	in = json_object_get(pag, "input_token");
	out = json_object_get(pag, "output_token");
	more = json_object_get(pag, "more_results");
	if (json_is_string(more)) {
		const json_t *mv = path_get(response, json_string_value(more));

		if (!json_is_true(mv))
			return 0;
	}
	next = params ? json_deep_copy(params) : json_object();
	if (!next)
		return -ENOMEM;
	if (!json_is_object(next))
		return -EINVAL;
	n = LIST_N(in);
	for (size_t i = 0; i < n; i++) {
		const char *ik = AS_LIST(in, i), *ok = AS_LIST(out, i);
		const json_t *v = ok ? path_get(response, ok) : NULL;

		if (!ik)
			continue;
		if (token_set(v)) {
			const json_t *old = json_object_get(next, ik);

			any = true;
			if (!old || !json_equal((json_t *)old, (json_t *)v))
				changed = true;
			if (json_object_set_new(next, ik, json_deep_copy(v)) < 0)
				return -ENOMEM;
		} else
			json_object_del(next, ik);
	}
	if (!any || !changed)
		return 0;
	*ret_next = TAKE_PTR(next);
	return 1;
}

/* Set doc[path] (dotted, no indexes) = v, creating intermediate objects. Steals v. */
static int path_set(json_t *doc, const char *path, json_t *v)
{
	_cleanup_free_ char *dup = strdup(path);
	char *p = dup, *dot;
	json_t *cur = doc;

	if (!dup) {
		json_decref(v);
		return -ENOMEM;
	}
	while ((dot = strchr(p, '.'))) {
		json_t *nx;

		*dot = 0;
		nx = json_object_get(cur, p);
		if (!json_is_object(nx)) {
			nx = json_object();
			if (!nx || json_object_set_new(cur, p, nx) < 0) {
				json_decref(v);
				return -ENOMEM;
			}
		}
		cur = nx;
		p = dot + 1;
	}
	return json_object_set_new(cur, p, v) < 0 ? -ENOMEM : 0;
}

static void path_del(json_t *doc, const char *path)
{
	_cleanup_free_ char *dup = strdup(path);
	char *p = dup, *dot;
	json_t *cur = doc;

	if (!dup || strpbrk(path, "[|"))
		return;
	while (cur && (dot = strchr(p, '.'))) {
		*dot = 0;
		cur = json_object_get(cur, p);
		p = dot + 1;
	}
	if (json_is_object(cur))
		json_object_del(cur, p);
}

int cohd_aws_paginate_merge(const struct cohd_aws_service_model *m, const char *operation,
			    json_t *acc, const json_t *page)
{
	const json_t *pag, *rk, *x;
	json_auto_t *merged = NULL;
	int r;

	cohd_assert_return(m && operation && json_is_object(acc) && json_is_object(page), -EINVAL);
	r = cohd_aws_paginator_find(m, operation, &pag);
	if (r < 0)
		return r;
	merged = json_deep_copy(page);
	if (!merged)
		return -ENOMEM;
	rk = json_object_get(pag, "result_key");
	for (size_t i = 0; i < LIST_N(rk); i++) {
		const char *k = AS_LIST(rk, i);
		const json_t *a, *b;
		json_t *c;
		size_t j;

		if (!k || strpbrk(k, "[|"))
			continue;
		a = path_get(acc, k);
		b = path_get(page, k);
		if (!json_is_array(a) && !json_is_array(b))
			continue;
		c = json_is_array(a) ? json_deep_copy(a) : json_array();
		if (!c)
			return -ENOMEM;
		if (json_is_array(b))
			json_array_foreach (b, j, x)
				if (json_array_append(c, (json_t *)x) < 0) {
					json_decref(c);
					return -ENOMEM;
				}
		r = path_set(merged, k, c);
		if (r < 0)
			return r;
	}
	x = json_object_get(pag, "output_token");
	for (size_t i = 0; i < LIST_N(x); i++)
		if (AS_LIST(x, i))
			path_del(merged, AS_LIST(x, i));
	if (json_is_string(json_object_get(pag, "more_results")))
		path_del(merged, json_string_value(json_object_get(pag, "more_results")));
	json_object_clear(acc);
	return json_object_update(acc, merged) < 0 ? -ENOMEM : 0;
}
