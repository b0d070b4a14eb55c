/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bounded YAML loader: libyaml's event parser (not its document API, so every limit is ours)
 * building a small node tree where every node keeps its 1-based line and column. Hostile input
 * is bounded: input size, nesting depth, node count (aliases count with their whole expansion,
 * so "billion laughs" fails cleanly), keys per mapping, items per sequence, scalar length.
 * Duplicate keys are errors naming both places; invalid UTF-8 and other syntax errors are
 * located errors from libyaml's marks. Only the first document is accepted: a second one is an
 * error (app and config files are single documents; a stray `---` usually means a paste).
 *
 * Aliases share the anchored node (the tree is a DAG): treat nodes as read-only. Merge keys
 * (`<<: *base`, YAML 1.1, common in compose files) are applied: the merged pairs are copied in
 * unless the mapping sets that key itself.
 *
 * Depends on libyaml and lib/util; reports through lib/config/diag.h. No I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/config/diag.h"
#include "lib/util/macro.h"

enum cohd_yaml_kind {
	COHD_YAML_SCALAR,
	COHD_YAML_MAP,
	COHD_YAML_SEQ,
	_COHD_YAML_KIND_MAX,
	_COHD_YAML_KIND_INVALID = -EINVAL,
};

struct cohd_yaml_node;

struct cohd_yaml_pair {
	struct cohd_yaml_node *key; /* always a scalar */
	struct cohd_yaml_node *value;
};

struct cohd_yaml_node {
	enum cohd_yaml_kind kind;
	unsigned line, column; /* 1-based start of the node (of the alias, for aliases) */
	/* scalar */
	char *value; /* NUL-terminated UTF-8, no embedded NULs */
	size_t len;
	bool quoted; /* quoted or block scalar: never null/bool/number */
	/* mapping (pairs in document order) */
	struct cohd_yaml_pair *pairs;
	size_t n_pairs;
	/* sequence */
	struct cohd_yaml_node **items;
	size_t n_items;
	size_t weight; /* internal: nodes in the full expansion of this node */
};

struct cohd_yaml_limits {
	size_t max_bytes;     /* input size */
	unsigned max_depth;   /* nesting of mappings/sequences */
	size_t max_nodes;     /* nodes, counting every alias as its whole expansion */
	size_t max_map_keys;  /* pairs per mapping */
	size_t max_seq_items; /* items per sequence */
	size_t max_scalar;    /* bytes per scalar */
};

/* Limits for app files and the daemon config. */
extern const struct cohd_yaml_limits cohd_yaml_default_limits;

struct cohd_yaml_doc {
	struct cohd_yaml_node *root; /* NULL for an empty document/stream */
	/* every node, for freeing (aliases are not copies) */
	struct cohd_yaml_node **all;
	size_t n_all, alloc_all;
};

/* Parse data (len bytes; need not be NUL-terminated). Errors and warnings go to diags with
 * `file` as their prefix. limits may be NULL for defaults. Returns:
 *   0 and *ret_doc (root NULL for empty input) when the tree is complete. Errors the parse could
 *     continue past (duplicate keys: the first one wins; NUL bytes in scalars; non-scalar keys:
 *     the pair is dropped) may still have been added, so that a caller can report the schema
 *     errors of the same file in the same run: check cohd_diag_list_has_errors().
 *   -EINVAL (no doc) after a fatal error (syntax, encoding, a limit, second document).
 *   -ENOMEM. */
int cohd_yaml_parse(const char *file, const char *data, size_t len,
		    const struct cohd_yaml_limits *limits, struct cohd_diag_list *diags,
		    struct cohd_yaml_doc **ret_doc);

struct cohd_yaml_doc *cohd_yaml_doc_free(struct cohd_yaml_doc *doc);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cohd_yaml_doc *, cohd_yaml_doc_free);

/* The value for key in a mapping (NULL if absent or node is not a mapping). */
struct cohd_yaml_node *cohd_yaml_map_get(const struct cohd_yaml_node *map, const char *key);

/* Scalar classification under YAML 1.2's core schema (plain scalars only; quoted ones are
 * always strings): null is "", "~", "null", "Null", "NULL". */
bool cohd_yaml_is_null(const struct cohd_yaml_node *n);
/* "true"/"false" (any case), also YAML 1.1's yes/no/on/off. Returns 0 or -EINVAL. */
int cohd_yaml_get_bool(const struct cohd_yaml_node *n, bool *ret);

/* "mapping", "sequence", "string", "number", "boolean", "null": for type error messages. */
const char *cohd_yaml_describe(const struct cohd_yaml_node *n);
