/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal: a small element tree built with expat, with depth and element-count caps, for the
 * XML response parsers. Element names have their namespace prefix removed; attributes keep
 * their raw names. Text is the concatenated character data directly inside the element.
 */
#pragma once

#include <stddef.h>

#include "lib/util/macro.h"

#define COHD_XML_MAX_DEPTH 64
#define COHD_XML_MAX_ELEMENTS 1000000

struct xml_node {
	char *name;   /* local name */
	char **attrs; /* name, value, ..., NULL; NULL if none */
	char *text;   /* NUL-terminated, never NULL after parsing */
	size_t text_len;
	struct xml_node *parent, *first, *last, *next;
};

/* Parse a document. Returns 0 and the root, -EBADMSG (with a static reason in *ret_why) or
 * -ENOMEM. */
int xml_parse(const void *data, size_t len, struct xml_node **ret, const char **ret_why);
struct xml_node *xml_free(struct xml_node *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct xml_node *, xml_free);

/* The first child element named name, or NULL. */
struct xml_node *xml_child(const struct xml_node *n, const char *name);
/* The text of the first child named name, or NULL. */
const char *xml_child_text(const struct xml_node *n, const char *name);
/* An attribute by raw name, or by local name when name has no prefix match. */
const char *xml_attr(const struct xml_node *n, const char *name);
