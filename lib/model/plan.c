/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plan of a compiled graph in three forms: the JSON document of schema/plan.schema.json,
 * a text listing for humans, and a Graphviz digraph. All in topological order and with sorted
 * keys, so the same graph always prints the same bytes. Depends on util and jansson.
 */
#include "lib/model/compile.h"

#define PLAN_SCHEMA_ID "cohd-plan/1"

static json_t *resource_json(const struct cohd_resource *r)
{
	json_t *deps = json_array(), *o;

	for (size_t i = 0; deps && i < r->n_depends_on; i++)
		json_array_append_new(deps, json_string(r->depends_on[i]));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:o}", "type", r->type, "id", r->id,
		      "name", r->name, "scope", cohd_resource_scope_to_string(r->scope), "deletion",
		      cohd_deletion_to_string(r->deletion), "properties", r->properties, "tags",
		      r->tags, "depends_on", deps);
	if (o && r->region)
		json_object_set_new(o, "region", json_string(r->region));
	return o;
}

int cohd_model_plan_json(const struct cohd_graph *g, json_t **ret, struct cohd_error *reterr)
{
	_cleanup_free_ size_t *order = NULL;
	json_t *doc, *list;
	int r;

	cohd_assert_return(g && ret, -EINVAL);
	r = cohd_graph_toposort(g, &order, reterr);
	if (r < 0)
		return r;
	doc = json_deep_copy(cohd_graph_meta(g));
	list = json_array();
	if (!doc || !list || json_object_set_new(doc, "schema", json_string(PLAN_SCHEMA_ID)) < 0) {
		json_decref(doc);
		json_decref(list);
		return cohd_error_set(reterr, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < cohd_graph_size(g); i++)
		if (json_array_append_new(list, resource_json(cohd_graph_get(g, order[i]))) < 0) {
			json_decref(doc);
			json_decref(list);
			return cohd_error_set(reterr, -ENOMEM, "out of memory");
		}
	json_object_set_new(doc, "resource_count", json_integer((json_int_t)cohd_graph_size(g)));
	json_object_set_new(doc, "resources", list);
	*ret = doc;
	return 0;
}

int cohd_model_plan_text(const struct cohd_graph *g, FILE *f)
{
	_cleanup_free_ size_t *order = NULL;
	json_t *meta = cohd_graph_meta(g);
	int r;

	r = cohd_graph_toposort(g, &order, NULL);
	if (r < 0)
		return r;
	fprintf(f, "# %s/%s (%s) in %s: %zu resources\n",
		strempty(json_string_value(json_object_get(meta, "app"))),
		strempty(json_string_value(json_object_get(meta, "environment"))),
		strempty(json_string_value(json_object_get(meta, "environment_type"))),
		strempty(json_string_value(json_object_get(meta, "region"))), cohd_graph_size(g));
	for (size_t i = 0; i < cohd_graph_size(g); i++) {
		const struct cohd_resource *res = cohd_graph_get(g, order[i]);
		_cleanup_free_ char *props = NULL;

		fprintf(f, "\n%s %s\n  name:       %s\n  scope:      %s%s%s\n", res->type, res->id,
			res->name, cohd_resource_scope_to_string(res->scope),
			res->region ? "\n  region:     " : "", strempty(res->region));
		if (res->deletion != COHD_DELETION_DEFAULT)
			fprintf(f, "  deletion:   %s\n", cohd_deletion_to_string(res->deletion));
		if (res->n_depends_on > 0) {
			fputs("  depends on:", f);
			for (size_t j = 0; j < res->n_depends_on; j++)
				fprintf(f, " %s", res->depends_on[j]);
			fputc('\n', f);
		}
		props = json_dumps(res->properties, JSON_SORT_KEYS | JSON_INDENT(2));
		if (!props)
			return -ENOMEM;
		fputs("  properties: ", f);
		for (const char *p = props; *p; p++) {
			fputc(*p, f);
			if (*p == '\n')
				fputs("  ", f);
		}
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

static void dot_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void dot_str(FILE *f, const char *s)
{
	fputc('"', f);
	dot_escaped(f, s);
	fputc('"', f);
}

int cohd_model_plan_dot(const struct cohd_graph *g, FILE *f)
{
	_cleanup_free_ size_t *order = NULL;
	static const char *const fill[_COHD_SCOPE_MAX] = {
		[COHD_SCOPE_APPLICATION] = "#dde8f5",
		[COHD_SCOPE_ENVIRONMENT] = "#e3f2dd",
		[COHD_SCOPE_SERVICE] = "#f7ecd9",
	};
	int r;

	r = cohd_graph_toposort(g, &order, NULL);
	if (r < 0)
		return r;
	fputs("digraph plan {\n\trankdir=LR;\n\tnode [shape=box, style=filled, fontsize=10];\n", f);
	for (size_t i = 0; i < cohd_graph_size(g); i++) {
		const struct cohd_resource *res = cohd_graph_get(g, order[i]);

		fputc('\t', f);
		dot_str(f, res->id);
		fputs(" [label=\"", f);
		dot_escaped(f, res->type);
		fputs("\\n", f);
		dot_escaped(f, res->id);
		fputs("\\n", f);
		dot_escaped(f, res->name);
		fprintf(f, "\", fillcolor=\"%s\"];\n", fill[res->scope]);
	}
	for (size_t i = 0; i < cohd_graph_size(g); i++) {
		const struct cohd_resource *res = cohd_graph_get(g, order[i]);

		for (size_t j = 0; j < res->n_depends_on; j++) {
			fputc('\t', f);
			dot_str(f, res->id);
			fputs(" -> ", f);
			dot_str(f, res->depends_on[j]);
			fputs(";\n", f);
		}
	}
	fputs("}\n", f);
	return ferror(f) ? -EIO : 0;
}
