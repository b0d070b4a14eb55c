/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed node access with located diagnostics (see schema.h) and the accept_drift parser
 * (drift.h). Internal to lib/config; no I/O.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>

#include "lib/config/app.h"
#include "lib/config/schema.h"

_printf_(4, 0) static void vdiag(struct cohd_config_ctx *c, enum cohd_diag_severity sev,
				 const struct cohd_yaml_node *n, const char *fmt, va_list ap)
{
	_cleanup_free_ char *m = NULL;

	if (vasprintf(&m, fmt, ap) < 0) {
		c->oom = true;
		return;
	}
	if (cohd_diag_add(c->diags, sev, c->file, n ? n->line : 0, n ? n->column : 0, "%s", m) < 0)
		c->oom = true;
}

void cohd_config_error(struct cohd_config_ctx *c, const struct cohd_yaml_node *n, const char *fmt,
		       ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(c, COHD_DIAG_ERROR, n, fmt, ap);
	va_end(ap);
}

void cohd_config_warn(struct cohd_config_ctx *c, const struct cohd_yaml_node *n, const char *fmt,
		      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(c, COHD_DIAG_WARNING, n, fmt, ap);
	va_end(ap);
}

void cohd_config_unknown_key(struct cohd_config_ctx *c, const struct cohd_yaml_node *key,
			     const char *where)
{
	cohd_config_warn(c, key, "unknown key '%s' in %s, ignoring", key->value, where);
}

bool cohd_config_expect_map(struct cohd_config_ctx *c, const struct cohd_yaml_node *n,
			    const char *what, bool allow_null)
{
	if (n && n->kind == COHD_YAML_MAP)
		return true;
	if (allow_null && cohd_yaml_is_null(n))
		return false;
	cohd_config_error(c, n, "%s must be a mapping, not a %s", what, cohd_yaml_describe(n));
	return false;
}

bool cohd_config_expect_seq(struct cohd_config_ctx *c, const struct cohd_yaml_node *n,
			    const char *what, bool allow_null)
{
	if (n && n->kind == COHD_YAML_SEQ)
		return true;
	if (allow_null && cohd_yaml_is_null(n))
		return false;
	cohd_config_error(c, n, "%s must be a list, not a %s", what, cohd_yaml_describe(n));
	return false;
}

int cohd_config_string(struct cohd_config_ctx *c, const struct cohd_yaml_node *n, const char *what,
		       char **ret)
{
	char *s;

	if (!n || (n->kind == COHD_YAML_SCALAR && (cohd_yaml_is_null(n) || n->len == 0)))
		return 0;
	if (n->kind != COHD_YAML_SCALAR) {
		cohd_config_error(c, n, "%s must be a string, not a %s", what,
				  cohd_yaml_describe(n));
		return -EINVAL;
	}
	s = strdup(n->value);
	if (!s) {
		c->oom = true;
		return -ENOMEM;
	}
	free(*ret);
	*ret = s;
	return 1;
}

int cohd_config_uint(struct cohd_config_ctx *c, const struct cohd_yaml_node *n, const char *what,
		     unsigned min, unsigned max, unsigned *ret)
{
	unsigned long v;
	char *e;

	if (!n || (n->kind == COHD_YAML_SCALAR && (cohd_yaml_is_null(n) || n->len == 0)))
		return 0;
	if (n->kind != COHD_YAML_SCALAR) {
		cohd_config_error(c, n, "%s must be a number, not a %s", what,
				  cohd_yaml_describe(n));
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(n->value, &e, 10);
	if (!isdigit((unsigned char)n->value[0]) || errno || *e) {
		cohd_config_error(c, n, "%s must be a whole number, not '%s'", what, n->value);
		return -EINVAL;
	}
	if (v < min || v > max) {
		cohd_config_error(c, n, "%s must be between %u and %u, not %s", what, min, max,
				  n->value);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 1;
}

int cohd_config_bool(struct cohd_config_ctx *c, const struct cohd_yaml_node *n, const char *what,
		     bool *ret)
{
	if (!n || (n->kind == COHD_YAML_SCALAR && (cohd_yaml_is_null(n) || n->len == 0)))
		return 0;
	if (n->kind == COHD_YAML_SCALAR && n->quoted) {
		if (strcasecmp(n->value, "true") == 0) {
			*ret = true;
			return 1;
		}
		if (strcasecmp(n->value, "false") == 0) {
			*ret = false;
			return 1;
		}
	}
	if (cohd_yaml_get_bool(n, ret) < 0) {
		cohd_config_error(c, n, "%s must be true or false, not a %s", what,
				  cohd_yaml_describe(n));
		return -EINVAL;
	}
	return 1;
}

char **cohd_config_strv_free(char **v)
{
	if (!v)
		return NULL;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
	return NULL;
}

int cohd_config_strv(struct cohd_config_ctx *c, const struct cohd_yaml_node *n, const char *what,
		     char ***ret, size_t *ret_n)
{
	char **v;
	size_t k = 0;
	int bad = 0;

	if (!n || cohd_yaml_is_null(n))
		return 0;
	if (n->kind == COHD_YAML_MAP) {
		cohd_config_error(c, n, "%s must be a list, not a mapping", what);
		return -EINVAL;
	}
	if (n->kind == COHD_YAML_SCALAR) {
		if (n->len == 0)
			return 0;
		v = calloc(2, sizeof *v);
		if (!v || !(v[0] = strdup(n->value))) {
			free(v);
			c->oom = true;
			return -ENOMEM;
		}
		k = 1;
	} else {
		if (n->n_items == 0)
			return 0;
		v = calloc(n->n_items + 1, sizeof *v);
		if (!v) {
			c->oom = true;
			return -ENOMEM;
		}
		for (size_t i = 0; i < n->n_items; i++) {
			const struct cohd_yaml_node *it = n->items[i];

			if (it->kind != COHD_YAML_SCALAR) {
				cohd_config_error(c, it, "items of %s must be strings, not a %s",
						  what, cohd_yaml_describe(it));
				bad = -EINVAL;
				continue;
			}
			v[k] = strdup(it->value);
			if (!v[k]) {
				c->oom = true;
				cohd_config_strv_free(v);
				return -ENOMEM;
			}
			k++;
		}
		if (bad < 0 || k == 0) {
			cohd_config_strv_free(v);
			return bad;
		}
	}
	cohd_config_strv_free(*ret);
	*ret = v;
	*ret_n = k;
	return 1;
}

int cohd_config_duration(struct cohd_config_ctx *c, const struct cohd_yaml_node *n,
			 const char *what, unsigned long min_s, unsigned long max_s,
			 unsigned long *ret)
{
	unsigned long total = 0;
	const char *p;

	if (!n || (n->kind == COHD_YAML_SCALAR && (cohd_yaml_is_null(n) || n->len == 0)))
		return 0;
	if (n->kind != COHD_YAML_SCALAR) {
		cohd_config_error(c, n, "%s must be a duration like 30s, 5m or 1h, not a %s", what,
				  cohd_yaml_describe(n));
		return -EINVAL;
	}
	p = n->value;
	while (*p) {
		unsigned long v = 0, mult = 1;
		int digits = 0;

		while (isdigit((unsigned char)*p) && digits < 9) {
			v = v * 10 + (unsigned long)(*p++ - '0');
			digits++;
		}
		if (!digits)
			goto bad;
		switch (*p) {
		case 0:
			break;
		case 's':
			p++;
			break;
		case 'm':
			mult = 60;
			p++;
			break;
		case 'h':
			mult = 3600;
			p++;
			break;
		case 'd':
			mult = 86400;
			p++;
			break;
		default:
			goto bad;
		}
		total += v * mult;
		if (total > max_s)
			break;
	}
	if (total < min_s || total > max_s) {
		cohd_config_error(c, n, "%s must be between %lus and %lus, not %s", what, min_s,
				  max_s, n->value);
		return -EINVAL;
	}
	*ret = total;
	return 1;
bad:
	cohd_config_error(c, n, "%s must be a duration like 30s, 5m, 1h or 1d, not '%s'", what,
			  n->value);
	return -EINVAL;
}

/* ---- accept_drift ---------------------------------------------------------------------- */

void cohd_drift_rule_done(struct cohd_drift_rule *r)
{
	if (!r)
		return;
	free(r->resource);
	free(r->field);
	free(r->id);
	free(r->operand);
	free(r->reason);
	free(r->source);
	*r = (struct cohd_drift_rule){};
}

struct cohd_drift_rule *cohd_drift_rules_free(struct cohd_drift_rule *rules, size_t n)
{
	for (size_t i = 0; rules && i < n; i++)
		cohd_drift_rule_done(&rules[i]);
	free(rules);
	return NULL;
}

int cohd_drift_parse_condition(const char *s, enum cohd_drift_op *ret_op, char **ret_operand)
{
	static const struct {
		const char *tok;
		enum cohd_drift_op op;
	} ops[] = {
		{"==", COHD_DRIFT_OP_EQ},   {"!=", COHD_DRIFT_OP_NE}, {"<=", COHD_DRIFT_OP_LE},
		{">=", COHD_DRIFT_OP_GE},   {"<", COHD_DRIFT_OP_LT},  {">", COHD_DRIFT_OP_GT},
		{"~", COHD_DRIFT_OP_MATCH}, {"=", COHD_DRIFT_OP_EQ},
	};
	const char *p = strempty(s);
	size_t l;
	char *v;

	while (isspace((unsigned char)*p))
		p++;
	for (size_t i = 0; i < ELEMENTSOF(ops); i++) {
		size_t tl = strlen(ops[i].tok);

		if (strncmp(p, ops[i].tok, tl) != 0)
			continue;
		p += tl;
		while (isspace((unsigned char)*p))
			p++;
		l = strlen(p);
		while (l > 0 && isspace((unsigned char)p[l - 1]))
			l--;
		if (l == 0)
			return -EINVAL;
		v = strndup(p, l);
		if (!v)
			return -ENOMEM;
		*ret_op = ops[i].op;
		*ret_operand = v;
		return 0;
	}
	return -EINVAL;
}

const char *cohd_drift_op_to_string(enum cohd_drift_op op)
{
	static const char *const t[_COHD_DRIFT_OP_MAX] = {
		[COHD_DRIFT_OP_NONE] = "", [COHD_DRIFT_OP_EQ] = "==",	[COHD_DRIFT_OP_NE] = "!=",
		[COHD_DRIFT_OP_LT] = "<",  [COHD_DRIFT_OP_LE] = "<=",	[COHD_DRIFT_OP_GT] = ">",
		[COHD_DRIFT_OP_GE] = ">=", [COHD_DRIFT_OP_MATCH] = "~",
	};

	if (op < 0 || op >= _COHD_DRIFT_OP_MAX)
		return NULL;
	return t[op];
}

bool cohd_drift_rule_matches(const struct cohd_drift_rule *r, const char *resource_type,
			     const char *field, const char *logical_id, unsigned env_bit)
{
	if (!(r->env_mask & env_bit))
		return false;
	if (fnmatch(r->resource, strempty(resource_type), 0) != 0)
		return false;
	if (fnmatch(r->field, strempty(field), 0) != 0)
		return false;
	if (r->id && fnmatch(r->id, strempty(logical_id), 0) != 0)
		return false;
	return true;
}

static bool parse_num(const char *s, double *ret)
{
	char *e;

	if (isempty(s))
		return false;
	errno = 0;
	*ret = strtod(s, &e);
	return !errno && *e == 0;
}

bool cohd_drift_rule_value_ok(const struct cohd_drift_rule *r, const char *live)
{
	double a, b;
	int cmp;

	if (r->op == COHD_DRIFT_OP_NONE)
		return true;
	if (r->op == COHD_DRIFT_OP_MATCH)
		return fnmatch(r->operand, strempty(live), 0) == 0;
	if (parse_num(live, &a) && parse_num(r->operand, &b))
		cmp = a < b ? -1 : a > b ? 1 : 0;
	else
		cmp = strcmp(strempty(live), r->operand);
	switch (r->op) {
	case COHD_DRIFT_OP_EQ:
		return cmp == 0;
	case COHD_DRIFT_OP_NE:
		return cmp != 0;
	case COHD_DRIFT_OP_LT:
		return cmp < 0;
	case COHD_DRIFT_OP_LE:
		return cmp <= 0;
	case COHD_DRIFT_OP_GT:
		return cmp > 0;
	case COHD_DRIFT_OP_GE:
		return cmp >= 0;
	default:
		return false;
	}
}

static bool glob_ok(const char *s)
{
	if (isempty(s) || strlen(s) > 256)
		return false;
	for (const char *p = s; *p; p++)
		if (!isgraph((unsigned char)*p))
			return false;
	return true;
}

static int parse_rule(struct cohd_config_ctx *c, const struct cohd_yaml_node *n,
		      struct cohd_drift_rule *r)
{
	int ok = 0;

	r->env_mask = COHD_DRIFT_ENV_ALL;
	if (asprintf(&r->source, "%s:%u:%u", c->file, n->line, n->column) < 0) {
		r->source = NULL;
		c->oom = true;
		return -ENOMEM;
	}
	if (n->kind == COHD_YAML_SCALAR) {
		const char *colon = strrchr(n->value, ':');

		if (!colon || colon == n->value || !colon[1]) {
			cohd_config_error(c, n,
					  "accept_drift rule '%s' must be RESOURCE:FIELD or a "
					  "mapping with resource and field",
					  n->value);
			return -EINVAL;
		}
		r->resource = strndup(n->value, (size_t)(colon - n->value));
		r->field = strdup(colon + 1);
		if (!r->resource || !r->field) {
			c->oom = true;
			return -ENOMEM;
		}
		if (!glob_ok(r->resource) || !glob_ok(r->field)) {
			cohd_config_error(c, n,
					  "accept_drift rule '%s': patterns must not contain "
					  "spaces",
					  n->value);
			return -EINVAL;
		}
		return 0;
	}
	if (!cohd_config_expect_map(c, n, "an accept_drift rule", false))
		return -EINVAL;
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct cohd_yaml_node *k = n->pairs[i].key, *v = n->pairs[i].value;
		const char *key = k->value;

		if (streq(key, "resource")) {
			if (cohd_config_string(c, v, "accept_drift resource", &r->resource) > 0 &&
			    !glob_ok(r->resource)) {
				cohd_config_error(c, v,
						  "accept_drift resource must be a glob "
						  "without spaces");
				ok = -EINVAL;
			}
		} else if (streq(key, "field")) {
			if (cohd_config_string(c, v, "accept_drift field", &r->field) > 0 &&
			    !glob_ok(r->field)) {
				cohd_config_error(c, v,
						  "accept_drift field must be a glob without "
						  "spaces");
				ok = -EINVAL;
			}
		} else if (streq(key, "id")) {
			(void)cohd_config_string(c, v, "accept_drift id", &r->id);
		} else if (streq(key, "reason")) {
			(void)cohd_config_string(c, v, "accept_drift reason", &r->reason);
		} else if (streq(key, "when")) {
			_cleanup_free_ char *w = NULL;
			int q;

			if (cohd_config_string(c, v, "accept_drift when", &w) <= 0)
				continue;
			q = cohd_drift_parse_condition(w, &r->op, &r->operand);
			if (q == -ENOMEM) {
				c->oom = true;
				return q;
			}
			if (q < 0) {
				cohd_config_error(c, v,
						  "accept_drift when '%s' must be OP VALUE "
						  "with OP one of == != < <= > >= ~",
						  w);
				ok = -EINVAL;
			}
		} else if (streq(key, "environments")) {
			char **envs = NULL;
			size_t ne = 0;

			if (cohd_config_strv(c, v, "accept_drift environments", &envs, &ne) <= 0)
				continue;
			r->env_mask = 0;
			for (size_t j = 0; j < ne; j++) {
				int t = cohd_app_env_type_from_string(envs[j]);

				if (t < 0) {
					cohd_config_error(c, v,
							  "accept_drift environments: '%s' is "
							  "not production, static or preview",
							  envs[j]);
					ok = -EINVAL;
				} else {
					r->env_mask |= 1u << t;
				}
			}
			cohd_config_strv_free(envs);
		} else {
			cohd_config_unknown_key(c, k, "an accept_drift rule");
		}
	}
	if (!r->resource || !r->field) {
		cohd_config_error(c, n, "an accept_drift rule needs both 'resource' and 'field'");
		return -EINVAL;
	}
	return ok;
}

int cohd_config_drift_rules(struct cohd_config_ctx *c, const struct cohd_yaml_node *n,
			    struct cohd_drift_rule **rules, size_t *n_rules)
{
	struct cohd_drift_rule *nr;
	int ret = 0;

	if (!cohd_config_expect_seq(c, n, "accept_drift", true))
		return cohd_yaml_is_null(n) ? 0 : -EINVAL;
	nr = reallocarray(*rules, *n_rules + n->n_items + 1, sizeof *nr);
	if (!nr) {
		c->oom = true;
		return -ENOMEM;
	}
	*rules = nr;
	for (size_t i = 0; i < n->n_items; i++) {
		struct cohd_drift_rule r = {};
		int q = parse_rule(c, n->items[i], &r);

		if (q < 0) {
			cohd_drift_rule_done(&r);
			ret = q;
			continue;
		}
		(*rules)[(*n_rules)++] = r;
	}
	return ret;
}
