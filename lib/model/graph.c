/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The resource graph: an insertion-ordered array of resources, an open-addressing index by
 * logical id, placeholder scanning for implicit dependencies, and Kahn's topological sort with
 * insertion order as the tie-breaker. Pure; depends on util and jansson only.
 */
#include <stdarg.h>
#include <stdint.h>

#include "lib/model/graph.h"

struct cohd_graph {
	struct cohd_resource **res;
	size_t n, alloc;
	uint32_t *index; /* slot -> resource index + 1, 0 = empty */
	size_t n_slots;  /* power of two, kept at least 2 * n */
	json_t *meta;
};

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static struct cohd_resource *resource_free(struct cohd_resource *r)
{
	if (!r)
		return NULL;
	free(r->type);
	free(r->id);
	free(r->name);
	free(r->region);
	json_decref(r->properties);
	json_decref(r->tags);
	for (size_t i = 0; i < r->n_depends_on; i++)
		free(r->depends_on[i]);
	free(r->depends_on);
	free(r);
	return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cohd_resource *, resource_free);

struct cohd_graph *cohd_graph_new(void)
{
	struct cohd_graph *g = calloc(1, sizeof(struct cohd_graph));

	if (!g)
		return NULL;
	g->meta = json_object();
	if (!g->meta) {
		free(g);
		return NULL;
	}
	return g;
}

json_t *cohd_graph_meta(const struct cohd_graph *g)
{
	return g ? g->meta : NULL;
}

struct cohd_graph *cohd_graph_free(struct cohd_graph *g)
{
	if (!g)
		return NULL;
	for (size_t i = 0; i < g->n; i++)
		resource_free(g->res[i]);
	free(g->res);
	free(g->index);
	json_decref(g->meta);
	free(g);
	return NULL;
}

static size_t slot_of(const struct cohd_graph *g, const char *id)
{
	size_t mask = g->n_slots - 1, s = hash_str(id) & mask;

	for (;;) {
		uint32_t v = g->index[s];

		if (v == 0 || streq(g->res[v - 1]->id, id))
			return s;
		s = (s + 1) & mask;
	}
}

static int index_grow(struct cohd_graph *g)
{
	size_t n_slots = g->n_slots ? g->n_slots * 2 : 64;
	uint32_t *index = calloc(n_slots, sizeof(uint32_t));

	if (!index)
		return -ENOMEM;
	free(g->index);
	g->index = index;
	g->n_slots = n_slots;
	for (size_t i = 0; i < g->n; i++)
		g->index[slot_of(g, g->res[i]->id)] = (uint32_t)(i + 1);
	return 0;
}

int cohd_graph_add(struct cohd_graph *g, const char *type, const char *id, const char *name,
		   enum cohd_resource_scope scope, json_t *properties, struct cohd_resource **ret)
{
	_cleanup_(resource_freep) struct cohd_resource *r = NULL;
	size_t s;
	int k;

	if (!g || isempty(type) || isempty(id) || isempty(name) || scope < 0 ||
	    scope >= _COHD_SCOPE_MAX) {
		json_decref(properties);
		return -EINVAL;
	}
	if (properties && !json_is_object(properties)) {
		json_decref(properties);
		return -EINVAL;
	}

	r = calloc(1, sizeof(*r));
	if (!r) {
		json_decref(properties);
		return -ENOMEM;
	}
	r->properties = properties ? properties : json_object();
	r->scope = scope;
	r->type = strdup(type);
	r->id = strdup(id);
	r->name = strdup(name);
	r->tags = json_object();
	if (!r->properties || !r->type || !r->id || !r->name || !r->tags)
		return -ENOMEM;

	if (2 * (g->n + 1) > g->n_slots) {
		k = index_grow(g);
		if (k < 0)
			return k;
	}
	s = slot_of(g, id);
	if (g->index[s] != 0)
		return -EEXIST;
	if (g->n == g->alloc) {
		size_t alloc = g->alloc ? g->alloc * 2 : 64;
		struct cohd_resource **res = reallocarray(g->res, alloc, sizeof(*res));

		if (!res)
			return -ENOMEM;
		g->res = res;
		g->alloc = alloc;
	}
	g->res[g->n] = TAKE_PTR(r);
	g->index[s] = (uint32_t)(g->n + 1);
	if (ret)
		*ret = g->res[g->n];
	g->n++;
	return 0;
}

int cohd_resource_depend(struct cohd_resource *r, const char *id)
{
	char **d, *copy;

	cohd_assert_return(r && !isempty(id), -EINVAL);
	for (size_t i = 0; i < r->n_depends_on; i++)
		if (streq(r->depends_on[i], id))
			return 0;
	copy = strdup(id);
	if (!copy)
		return -ENOMEM;
	d = reallocarray(r->depends_on, r->n_depends_on + 1, sizeof(char *));
	if (!d) {
		free(copy);
		return -ENOMEM;
	}
	r->depends_on = d;
	r->depends_on[r->n_depends_on++] = copy;
	return 0;
}

int cohd_resource_tag(struct cohd_resource *r, const char *key, const char *value)
{
	cohd_assert_return(r && !isempty(key) && value, -EINVAL);
	return json_object_set_new(r->tags, key, json_string(value)) < 0 ? -ENOMEM : 0;
}

int cohd_resource_set_region(struct cohd_resource *r, const char *region)
{
	char *copy = NULL;

	cohd_assert_return(r, -EINVAL);
	if (region) {
		copy = strdup(region);
		if (!copy)
			return -ENOMEM;
	}
	free(r->region);
	r->region = copy;
	return 0;
}

size_t cohd_graph_size(const struct cohd_graph *g)
{
	return g ? g->n : 0;
}

const struct cohd_resource *cohd_graph_get(const struct cohd_graph *g, size_t i)
{
	return g && i < g->n ? g->res[i] : NULL;
}

struct cohd_resource *cohd_graph_find_mut(struct cohd_graph *g, const char *id)
{
	uint32_t v;

	if (!g || !id || g->n == 0)
		return NULL;
	v = g->index[slot_of(g, id)];
	return v ? g->res[v - 1] : NULL;
}

const struct cohd_resource *cohd_graph_find(const struct cohd_graph *g, const char *id)
{
	return cohd_graph_find_mut((struct cohd_graph *)g, id);
}

/* ${name} inside a Sub string: pseudo parameters contain "::", references are "<id>.<Attr>"
 * where the id is everything up to the last '.' that precedes the attribute... ids contain no
 * '.', so the first '.' splits. */
static int foreach_sub_ref(const char *s, int (*f)(const char *, const char *, void *), void *u)
{
	for (const char *p = strstr(s, "${"); p; p = strstr(p, "${")) {
		const char *end = strchr(p + 2, '}');
		_cleanup_free_ char *inner = NULL;
		char *dot;
		int r;

		if (!end)
			return 0;
		inner = strndup(p + 2, (size_t)(end - p - 2));
		if (!inner)
			return -ENOMEM;
		p = end + 1;
		if (strstr(inner, "::"))
			continue;
		dot = strchr(inner, '.');
		if (!dot)
			continue;
		*dot = 0;
		r = f(inner, dot + 1, u);
		if (r < 0)
			return r;
	}
	return 0;
}

int cohd_json_foreach_ref(const json_t *v, int (*f)(const char *id, const char *attr, void *u),
			  void *userdata)
{
	const char *key;
	json_t *item;
	size_t i;
	int r;

	if (json_is_object(v)) {
		const json_t *ref = json_object_get(v, "Ref"), *sub = json_object_get(v, "Sub");

		if (json_is_string(ref))
			return f(json_string_value(ref),
				 strempty(json_string_value(json_object_get(v, "Attr"))), userdata);
		if (json_is_string(sub))
			return foreach_sub_ref(json_string_value(sub), f, userdata);
		json_object_foreach((json_t *)v, key, item) {
			r = cohd_json_foreach_ref(item, f, userdata);
			if (r < 0)
				return r;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item) {
			r = cohd_json_foreach_ref(item, f, userdata);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int add_ref_dep(const char *id, const char *attr, void *u)
{
	struct cohd_resource *r = u;

	if (streq(id, r->id))
		return 0;
	return cohd_resource_depend(r, id);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cohd_graph_toposort(const struct cohd_graph *g, size_t **ret_order,
			struct cohd_error *reterr)
{
	_cleanup_free_ size_t *indeg = NULL, *order = NULL, *dep_idx_start = NULL,
			      *users = NULL, *n_users = NULL;
	size_t n_edges = 0, head = 0, tail = 0;

	cohd_assert_return(g && ret_order, -EINVAL);

	/* Reverse adjacency (dependency -> users) in CSR form. */
	indeg = calloc(g->n + 1, sizeof(size_t));
	n_users = calloc(g->n + 1, sizeof(size_t));
	dep_idx_start = calloc(g->n + 1, sizeof(size_t));
	order = calloc(g->n + 1, sizeof(size_t));
	if (!indeg || !n_users || !dep_idx_start || !order)
		return -ENOMEM;
	for (size_t i = 0; i < g->n; i++) {
		const struct cohd_resource *r = g->res[i];

		for (size_t j = 0; j < r->n_depends_on; j++) {
			const struct cohd_resource *d = cohd_graph_find(g, r->depends_on[j]);

			if (!d)
				return cohd_error_set(reterr, -ENOENT,
						      "%s depends on %s, which is not in the graph",
						      r->id, r->depends_on[j]);
			n_users[g->index[slot_of(g, d->id)] - 1]++;
			indeg[i]++;
			n_edges++;
		}
	}
	for (size_t i = 0; i < g->n; i++)
		dep_idx_start[i + 1] = dep_idx_start[i] + n_users[i];
	users = calloc(n_edges + 1, sizeof(size_t));
	if (!users)
		return -ENOMEM;
	memset(n_users, 0, (g->n + 1) * sizeof(size_t));
	for (size_t i = 0; i < g->n; i++) {
		const struct cohd_resource *r = g->res[i];

		for (size_t j = 0; j < r->n_depends_on; j++) {
			size_t d = g->index[slot_of(g, r->depends_on[j])] - 1;

			users[dep_idx_start[d] + n_users[d]++] = i;
		}
	}

	/* Kahn with a FIFO seeded in insertion order: deterministic. Users of one resource are
	 * listed in insertion order, so the output depends only on the graph. */
	for (size_t i = 0; i < g->n; i++)
		if (indeg[i] == 0)
			order[tail++] = i;
	while (head < tail) {
		size_t v = order[head++];

		for (size_t k = dep_idx_start[v]; k < dep_idx_start[v + 1]; k++)
			if (--indeg[users[k]] == 0)
				order[tail++] = users[k];
	}
	if (tail < g->n) {
		for (size_t i = 0; i < g->n; i++)
			if (indeg[i] > 0)
				return cohd_error_set(reterr, -ELOOP,
						      "dependency cycle through %s", g->res[i]->id);
	}
	*ret_order = TAKE_PTR(order);
	return 0;
}

int cohd_graph_finalize(struct cohd_graph *g, struct cohd_error *reterr)
{
	_cleanup_free_ size_t *order = NULL;
	int r;

	cohd_assert_return(g, -EINVAL);
	for (size_t i = 0; i < g->n; i++) {
		struct cohd_resource *res = g->res[i];

		r = cohd_json_foreach_ref(res->properties, add_ref_dep, res);
		if (r < 0)
			return cohd_error_set(reterr, r, "%s: cannot collect references", res->id);
		if (res->n_depends_on > 1)
			qsort(res->depends_on, res->n_depends_on, sizeof(char *), cmp_str);
	}
	return cohd_graph_toposort(g, &order, reterr);
}

const char *cohd_resource_scope_to_string(enum cohd_resource_scope s)
{
	static const char *const table[_COHD_SCOPE_MAX] = {
		[COHD_SCOPE_APPLICATION] = "application",
		[COHD_SCOPE_ENVIRONMENT] = "environment",
		[COHD_SCOPE_SERVICE] = "service",
	};

	return s >= 0 && s < _COHD_SCOPE_MAX ? table[s] : NULL;
}

const char *cohd_deletion_to_string(enum cohd_deletion d)
{
	static const char *const table[_COHD_DELETION_MAX] = {
		[COHD_DELETION_DEFAULT] = "default",
		[COHD_DELETION_CONFIRM] = "confirm",
	};

	return d >= 0 && d < _COHD_DELETION_MAX ? table[d] : NULL;
}

json_t *cohd_ref(const char *id, const char *attr)
{
	return json_pack("{s:s, s:s}", "Ref", id, "Attr", attr);
}

json_t *cohd_sub(const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return NULL;
	return json_pack("{s:s}", "Sub", s);
}
