/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bounded YAML loader on libyaml's event API (see yaml.h). A stack of open containers receives
 * nodes as events arrive; every limit is checked before memory grows. Depends on libyaml and
 * lib/util only; no I/O, no loop context.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <yaml.h>

#include "lib/config/yaml.h"
#include "lib/util/log.h"

const struct cohd_yaml_limits cohd_yaml_default_limits = {
	.max_bytes = 1024 * 1024,
	.max_depth = 64,
	.max_nodes = 100000,
	.max_map_keys = 1000,
	.max_seq_items = 10000,
	.max_scalar = 64 * 1024,
};

#define MAX_ANCHORS 1000

struct frame {
	struct cohd_yaml_node *node;
	char *anchor;		    /* registered when the node ends */
	struct cohd_yaml_node *key; /* mapping: the key waiting for its value */
	bool drop_value;	    /* mapping: the next value belongs to a rejected key */
	bool merge_value;	    /* mapping: the next value is a merge source (<<) */
	struct cohd_yaml_node **merges;
	size_t n_merges;
};

struct anchor {
	char *name;
	struct cohd_yaml_node *node;
};

struct state {
	const char *file;
	const char *data;
	size_t len;
	const struct cohd_yaml_limits *lim;
	struct cohd_diag_list *diags;
	struct cohd_yaml_doc *doc;
	struct frame *frames;
	unsigned depth;
	size_t nodes;
	struct anchor *anchors;
	size_t n_anchors;
	unsigned documents;
	bool fatal;
};

static int err(struct state *s, unsigned line, unsigned col, const char *fmt, ...) _printf_(4, 5);
static int err(struct state *s, unsigned line, unsigned col, const char *fmt, ...)
{
	_cleanup_free_ char *m = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&m, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = cohd_diag_add(s->diags, COHD_DIAG_ERROR, s->file, line, col, "%s", m);
	return r < 0 ? r : -EINVAL;
}

static int fatal(struct state *s, unsigned line, unsigned col, const char *fmt, ...) _printf_(4, 5);
static int fatal(struct state *s, unsigned line, unsigned col, const char *fmt, ...)
{
	_cleanup_free_ char *m = NULL;
	va_list ap;
	int r;

	s->fatal = true;
	va_start(ap, fmt);
	r = vasprintf(&m, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = cohd_diag_add(s->diags, COHD_DIAG_ERROR, s->file, line, col, "%s", m);
	return r < 0 ? r : -EINVAL;
}

static int grow(void **p, size_t *alloc, size_t need, size_t size)
{
	size_t na;
	void *np;

	if (need <= *alloc)
		return 0;
	na = *alloc ? *alloc * 2 : 4;
	while (na < need)
		na *= 2;
	np = reallocarray(*p, na, size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*alloc = na;
	return 0;
}

static struct cohd_yaml_node *node_new(struct state *s, enum cohd_yaml_kind kind,
				       const yaml_mark_t *m)
{
	struct cohd_yaml_doc *d = s->doc;
	struct cohd_yaml_node *n;

	if (grow((void **)&d->all, &d->alloc_all, d->n_all + 1, sizeof *d->all) < 0)
		return NULL;
	n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (unsigned)m->line + 1;
	n->column = (unsigned)m->column + 1;
	n->weight = 1;
	d->all[d->n_all++] = n;
	return n;
}

static void node_free(struct cohd_yaml_node *n)
{
	free(n->value);
	free(n->pairs);
	free(n->items);
	free(n);
}

struct cohd_yaml_doc *cohd_yaml_doc_free(struct cohd_yaml_doc *doc)
{
	if (!doc)
		return NULL;
	for (size_t i = 0; i < doc->n_all; i++)
		node_free(doc->all[i]);
	free(doc->all);
	free(doc);
	return NULL;
}

static bool key_eq(const struct cohd_yaml_node *a, const struct cohd_yaml_node *b)
{
	return a->len == b->len && memcmp(a->value, b->value, a->len) == 0;
}

static struct cohd_yaml_pair *map_find(const struct cohd_yaml_node *map,
				       const struct cohd_yaml_node *key)
{
	for (size_t i = 0; i < map->n_pairs; i++)
		if (key_eq(map->pairs[i].key, key))
			return &map->pairs[i];
	return NULL;
}

static int map_append(struct state *s, struct cohd_yaml_node *map, struct cohd_yaml_node *key,
		      struct cohd_yaml_node *value)
{
	struct cohd_yaml_pair *np;

	if (map->n_pairs >= s->lim->max_map_keys)
		return fatal(s, key->line, key->column, "more than %zu keys in one mapping",
			     s->lim->max_map_keys);
	/* Grow by doubling; capacity is implied by n_pairs (powers of two from 4). */
	if (map->n_pairs == 0 || (map->n_pairs >= 4 && (map->n_pairs & (map->n_pairs - 1)) == 0)) {
		size_t na = map->n_pairs ? map->n_pairs * 2 : 4;

		np = reallocarray(map->pairs, na, sizeof *np);
		if (!np)
			return -ENOMEM;
		map->pairs = np;
	}
	map->pairs[map->n_pairs++] = (struct cohd_yaml_pair){key, value};
	return 0;
}

static int seq_append(struct state *s, struct cohd_yaml_node *seq, struct cohd_yaml_node *item)
{
	struct cohd_yaml_node **ni;

	if (seq->n_items >= s->lim->max_seq_items)
		return fatal(s, item->line, item->column, "more than %zu items in one sequence",
			     s->lim->max_seq_items);
	if (seq->n_items == 0 || (seq->n_items >= 4 && (seq->n_items & (seq->n_items - 1)) == 0)) {
		size_t na = seq->n_items ? seq->n_items * 2 : 4;

		ni = reallocarray(seq->items, na, sizeof *ni);
		if (!ni)
			return -ENOMEM;
		seq->items = ni;
	}
	seq->items[seq->n_items++] = item;
	return 0;
}

static int add_merge(struct state *s, struct frame *f, struct cohd_yaml_node *v)
{
	struct cohd_yaml_node **nm;

	if (v->kind == COHD_YAML_SEQ) {
		for (size_t i = 0; i < v->n_items; i++) {
			int r = add_merge(s, f, v->items[i]);

			if (r < 0)
				return r;
		}
		return 0;
	}
	if (v->kind != COHD_YAML_MAP)
		return err(s, v->line, v->column,
			   "merge key '<<' needs a mapping or a list of mappings, not a %s",
			   cohd_yaml_describe(v));
	if (f->n_merges >= 64)
		return fatal(s, v->line, v->column, "too many merge sources");
	nm = reallocarray(f->merges, f->n_merges + 1, sizeof *nm);
	if (!nm)
		return -ENOMEM;
	f->merges = nm;
	f->merges[f->n_merges++] = v;
	return 0;
}

/* Hand a finished node to the innermost open container (or make it the root). */
static int attach(struct state *s, struct cohd_yaml_node *n)
{
	struct frame *f;
	int r;

	if (s->depth == 0) {
		s->doc->root = n;
		return 0;
	}
	f = &s->frames[s->depth - 1];
	f->node->weight += n->weight;
	if (f->node->kind == COHD_YAML_SEQ)
		return seq_append(s, f->node, n);

	if (!f->key) {
		struct cohd_yaml_pair *dup;

		if (n->kind != COHD_YAML_SCALAR) {
			f->key = n;
			f->drop_value = true;
			return err(s, n->line, n->column,
				   "mapping keys must be plain strings, not a %s",
				   cohd_yaml_describe(n));
		}
		f->key = n;
		if (!n->quoted && streq(n->value, "<<")) {
			f->merge_value = true;
			return 0;
		}
		dup = map_find(f->node, n);
		if (dup) {
			f->drop_value = true;
			return err(s, n->line, n->column, "duplicate key '%s' (first at %u:%u)",
				   n->value, dup->key->line, dup->key->column);
		}
		return 0;
	}

	/* The value of f->key. */
	if (f->drop_value) {
		r = 0;
	} else if (f->merge_value) {
		r = add_merge(s, f, n);
	} else {
		r = map_append(s, f->node, f->key, n);
	}
	f->key = NULL;
	f->drop_value = f->merge_value = false;
	return r;
}

static int register_anchor(struct state *s, const char *name, struct cohd_yaml_node *n)
{
	struct anchor *na;

	if (!name)
		return 0;
	if (s->n_anchors >= MAX_ANCHORS)
		return fatal(s, n->line, n->column, "more than %d anchors", MAX_ANCHORS);
	na = reallocarray(s->anchors, s->n_anchors + 1, sizeof *na);
	if (!na)
		return -ENOMEM;
	s->anchors = na;
	s->anchors[s->n_anchors].name = strdup(name);
	if (!s->anchors[s->n_anchors].name)
		return -ENOMEM;
	s->anchors[s->n_anchors++].node = n;
	return 0;
}

static int count_nodes(struct state *s, size_t n, const yaml_mark_t *m)
{
	if (n > s->lim->max_nodes || s->nodes > s->lim->max_nodes - n)
		return fatal(s, (unsigned)m->line + 1, (unsigned)m->column + 1,
			     "document too large: more than %zu nodes (counting alias expansions)",
			     s->lim->max_nodes);
	s->nodes += n;
	return 0;
}

static int on_scalar(struct state *s, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	struct cohd_yaml_node *n;
	size_t len = ev->data.scalar.length;
	int r;

	r = count_nodes(s, 1, m);
	if (r < 0)
		return r;
	if (len > s->lim->max_scalar)
		return fatal(s, (unsigned)m->line + 1, (unsigned)m->column + 1,
			     "value longer than %zu bytes", s->lim->max_scalar);
	n = node_new(s, COHD_YAML_SCALAR, m);
	if (!n)
		return -ENOMEM;
	n->value = malloc(len + 1);
	if (!n->value)
		return -ENOMEM;
	memcpy(n->value, ev->data.scalar.value, len);
	n->value[len] = 0;
	n->len = len;
	n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	if (memchr(n->value, 0, len)) {
		r = err(s, n->line, n->column, "NUL character in a value");
		n->len = strlen(n->value);
		if (r == -ENOMEM)
			return r;
	}
	r = register_anchor(s, (const char *)ev->data.scalar.anchor, n);
	if (r < 0)
		return r;
	return attach(s, n);
}

static int on_alias(struct state *s, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	const yaml_mark_t *m = &ev->start_mark;
	struct cohd_yaml_node *target = NULL;
	int r;

	for (size_t i = s->n_anchors; i > 0; i--)
		if (streq(s->anchors[i - 1].name, name)) {
			target = s->anchors[i - 1].node;
			break;
		}
	if (!target)
		return fatal(s, (unsigned)m->line + 1, (unsigned)m->column + 1,
			     "alias '*%s' has no complete anchor '&%s' before it", name, name);
	r = count_nodes(s, target->weight, m);
	if (r < 0)
		return r;
	return attach(s, target);
}

static int on_start(struct state *s, const yaml_event_t *ev, enum cohd_yaml_kind kind)
{
	const yaml_mark_t *m = &ev->start_mark;
	const yaml_char_t *anchor = kind == COHD_YAML_MAP ? ev->data.mapping_start.anchor
							  : ev->data.sequence_start.anchor;
	struct cohd_yaml_node *n;
	int r;

	if (s->depth >= s->lim->max_depth)
		return fatal(s, (unsigned)m->line + 1, (unsigned)m->column + 1,
			     "nesting deeper than %u levels", s->lim->max_depth);
	r = count_nodes(s, 1, m);
	if (r < 0)
		return r;
	n = node_new(s, kind, m);
	if (!n)
		return -ENOMEM;
	s->frames[s->depth] = (struct frame){.node = n};
	if (anchor) {
		s->frames[s->depth].anchor = strdup((const char *)anchor);
		if (!s->frames[s->depth].anchor)
			return -ENOMEM;
	}
	s->depth++;
	return 0;
}

static int apply_merges(struct state *s, struct frame *f)
{
	/* Earlier sources win over later ones; explicit keys win over all. */
	for (size_t i = 0; i < f->n_merges; i++) {
		const struct cohd_yaml_node *src = f->merges[i];

		for (size_t j = 0; j < src->n_pairs; j++) {
			int r;

			if (map_find(f->node, src->pairs[j].key))
				continue;
			r = map_append(s, f->node, src->pairs[j].key, src->pairs[j].value);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int on_end(struct state *s)
{
	struct frame *f = &s->frames[s->depth - 1];
	struct cohd_yaml_node *n = f->node;
	_cleanup_free_ char *anchor = TAKE_PTR(f->anchor);
	int r = 0;

	if (n->kind == COHD_YAML_MAP && f->n_merges > 0)
		r = apply_merges(s, f);
	free(f->merges);
	*f = (struct frame){};
	s->depth--;
	if (r < 0)
		return r;
	r = register_anchor(s, anchor, n);
	if (r < 0)
		return r;
	return attach(s, n);
}

/* libyaml's reader errors carry a byte offset only: turn it into line:column (characters). */
static void offset_to_mark(const struct state *s, size_t off, unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;

	if (off > s->len)
		off = s->len;
	for (size_t i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)s->data[i];

		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static int parser_error(struct state *s, const yaml_parser_t *p)
{
	unsigned line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return -ENOMEM;
	case YAML_READER_ERROR: {
		size_t off = p->problem_offset;

		/* a bad trailing octet: point at the character it belongs to */
		if (strstr(strempty(p->problem), "trailing") && off <= s->len)
			for (int k = 0; k < 3 && off > 0; k++)
				if ((unsigned char)s->data[--off] >= 0xC0)
					break;
		offset_to_mark(s, off, &line, &col);
		if (p->problem_value != -1 && strstr(strempty(p->problem), "UTF-8"))
			return fatal(s, line, col, "not valid UTF-8: %s (byte 0x%02x)",
				     strempty(p->problem), (unsigned)p->problem_value & 0xffu);
		if (p->problem_value != -1)
			return fatal(s, line, col, "invalid input: %s (byte 0x%02x)",
				     strempty(p->problem), (unsigned)p->problem_value & 0xffu);
		if (strstr(strempty(p->problem), "UTF-8"))
			return fatal(s, line, col, "not valid UTF-8: %s", strempty(p->problem));
		return fatal(s, line, col, "invalid input: %s", strempty(p->problem));
	}
	default:
		line = (unsigned)p->problem_mark.line + 1;
		col = (unsigned)p->problem_mark.column + 1;
		if (p->context)
			return fatal(s, line, col, "syntax error: %s (%s at %u:%u)",
				     strempty(p->problem), p->context,
				     (unsigned)p->context_mark.line + 1,
				     (unsigned)p->context_mark.column + 1);
		return fatal(s, line, col, "syntax error: %s", strempty(p->problem));
	}
}

static int run(struct state *s, yaml_parser_t *p)
{
	for (;;) {
		yaml_event_t ev;
		int r = 0;
		bool done = false;

		if (!yaml_parser_parse(p, &ev))
			return parser_error(s, p);

		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
			/* libyaml also decodes UTF-16 (with a BOM); app files are UTF-8 only */
			if (ev.data.stream_start.encoding != YAML_UTF8_ENCODING)
				r = fatal(s, 1, 1,
					  "not valid UTF-8: the file is UTF-16 (byte order "
					  "mark); save it as UTF-8");
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++s->documents > 1)
				r = fatal(s, (unsigned)ev.start_mark.line + 1,
					  (unsigned)ev.start_mark.column + 1,
					  "a second YAML document: only one document per file is "
					  "allowed");
			break;
		case YAML_SCALAR_EVENT:
			r = on_scalar(s, &ev);
			break;
		case YAML_ALIAS_EVENT:
			r = on_alias(s, &ev);
			break;
		case YAML_MAPPING_START_EVENT:
			r = on_start(s, &ev, COHD_YAML_MAP);
			break;
		case YAML_SEQUENCE_START_EVENT:
			r = on_start(s, &ev, COHD_YAML_SEQ);
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			r = on_end(s);
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (r == -ENOMEM)
			return r;
		if (s->fatal)
			return -EINVAL;
		if (done)
			return 0;
	}
}

int cohd_yaml_parse(const char *file, const char *data, size_t len,
		    const struct cohd_yaml_limits *limits, struct cohd_diag_list *diags,
		    struct cohd_yaml_doc **ret_doc)
{
	_cleanup_(cohd_yaml_doc_freep) struct cohd_yaml_doc *doc = NULL;
	struct state s = {
		.file = file,
		.data = data,
		.len = len,
		.lim = limits ?: &cohd_yaml_default_limits,
		.diags = diags,
	};
	yaml_parser_t p;
	int r;

	cohd_assert_return(diags && ret_doc && (data || len == 0), -EINVAL);

	if (len > s.lim->max_bytes) {
		r = cohd_diag_add(diags, COHD_DIAG_ERROR, file, 0, 0,
				  "file too large: %zu bytes (the limit is %zu)", len,
				  s.lim->max_bytes);
		return r < 0 ? r : -EINVAL;
	}
	doc = calloc(1, sizeof *doc);
	if (!doc)
		return -ENOMEM;
	s.doc = doc;
	s.frames = calloc(s.lim->max_depth + 1, sizeof *s.frames);
	if (!s.frames)
		return -ENOMEM;
	if (!yaml_parser_initialize(&p)) {
		free(s.frames);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)(data ? data : ""), len);
	r = run(&s, &p);
	yaml_parser_delete(&p);

	for (unsigned i = 0; i < s.depth; i++) {
		free(s.frames[i].anchor);
		free(s.frames[i].merges);
	}
	free(s.frames);
	for (size_t i = 0; i < s.n_anchors; i++)
		free(s.anchors[i].name);
	free(s.anchors);
	if (r < 0) {
		log_debug(CONFIG, "%s: YAML rejected: %s", strempty(file), strerror(-r));
		return r;
	}
	*ret_doc = TAKE_PTR(doc);
	return 0;
}

struct cohd_yaml_node *cohd_yaml_map_get(const struct cohd_yaml_node *map, const char *key)
{
	if (!map || map->kind != COHD_YAML_MAP)
		return NULL;
	for (size_t i = 0; i < map->n_pairs; i++)
		if (streq(map->pairs[i].key->value, key))
			return map->pairs[i].value;
	return NULL;
}

bool cohd_yaml_is_null(const struct cohd_yaml_node *n)
{
	if (!n)
		return true;
	if (n->kind != COHD_YAML_SCALAR || n->quoted)
		return false;
	return n->len == 0 || streq(n->value, "~") || streq(n->value, "null") ||
	       streq(n->value, "Null") || streq(n->value, "NULL");
}

int cohd_yaml_get_bool(const struct cohd_yaml_node *n, bool *ret)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};

	if (!n || n->kind != COHD_YAML_SCALAR || n->quoted)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(n->value, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(n->value, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static bool looks_numeric(const char *v)
{
	const char *p = v;
	bool digits = false;

	if (*p == '-' || *p == '+')
		p++;
	while (isdigit((unsigned char)*p)) {
		p++;
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			p++;
			digits = true;
		}
	}
	if (digits && (*p == 'e' || *p == 'E')) {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return digits && *p == 0;
}

const char *cohd_yaml_describe(const struct cohd_yaml_node *n)
{
	bool b;

	if (!n)
		return "null";
	switch (n->kind) {
	case COHD_YAML_MAP:
		return "mapping";
	case COHD_YAML_SEQ:
		return "list";
	default:
		break;
	}
	if (n->quoted)
		return "string";
	if (cohd_yaml_is_null(n))
		return "null";
	if (cohd_yaml_get_bool(n, &b) == 0)
		return "boolean";
	if (looks_numeric(n->value))
		return "number";
	return "string";
}
