/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An element tree from expat (never hand-parsed XML), bounded in depth and element count. Used
 * only by the response parsers in this directory. Pure; no loop.
 */
#include <expat.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/aws/protocols/xml.h"
#include "lib/util/macro.h"

struct xml_ctx {
	XML_Parser parser;
	struct xml_node *root, *cur;
	size_t depth, count;
	int error;
	const char *why;
};

static void stop(struct xml_ctx *c, int r, const char *why)
{
	if (!c->error) {
		c->error = r;
		c->why = why;
	}
	XML_StopParser(c->parser, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xml_ctx *c = ud;
	struct xml_node *n;
	const char *colon = strchr(name, ':');
	size_t na = 0;

	if (c->error)
		return;
	if (c->depth >= COHD_XML_MAX_DEPTH)
		return stop(c, -EBADMSG, "XML nested too deeply");
	if (++c->count > COHD_XML_MAX_ELEMENTS)
		return stop(c, -EBADMSG, "too many XML elements");
	if (!c->cur && c->root)
		return stop(c, -EBADMSG, "more than one root element");
	n = calloc(1, sizeof(*n));
	if (!n)
		return stop(c, -ENOMEM, "out of memory");
	n->name = strdup(colon ? colon + 1 : name);
	while (atts[na])
		na++;
	bool oom = !n->name;
	if (na > 0) {
		n->attrs = calloc(na + 1, sizeof(char *));
		oom = oom || !n->attrs;
		for (size_t i = 0; n->attrs && i < na; i++)
			if (!(n->attrs[i] = strdup(atts[i]))) {
				oom = true;
				break;
			}
	}
	n->parent = c->cur;
	if (c->cur) {
		if (c->cur->last)
			c->cur->last->next = n;
		else
			c->cur->first = n;
		c->cur->last = n;
	} else
		c->root = n;
	c->cur = n;
	c->depth++;
	if (oom)
		return stop(c, -ENOMEM, "out of memory");
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct xml_ctx *c = ud;

	if (c->error || !c->cur)
		return;
	if (!c->cur->text) {
		c->cur->text = strdup("");
		if (!c->cur->text)
			return stop(c, -ENOMEM, "out of memory");
	}
	c->cur = c->cur->parent;
	c->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct xml_ctx *c = ud;
	struct xml_node *n = c->cur;
	char *t;

	if (c->error || !n || len <= 0)
		return;
	t = realloc(n->text, n->text_len + (size_t)len + 1);
	if (!t)
		return stop(c, -ENOMEM, "out of memory");
	memcpy(t + n->text_len, s, (size_t)len);
	n->text_len += (size_t)len;
	t[n->text_len] = 0;
	n->text = t;
}

/* No DTDs: refuse entity declarations (billion laughs) outright. */
static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_pe, const XML_Char *value,
				   int value_len, const XML_Char *base, const XML_Char *system_id,
				   const XML_Char *public_id, const XML_Char *notation)
{
	stop(ud, -EBADMSG, "XML entity declarations are not accepted");
}

int xml_parse(const void *data, size_t len, struct xml_node **ret, const char **ret_why)
{
	struct xml_ctx c = {};
	int r = 0;

	if (len > INT32_MAX) {
		*ret_why = "XML document too large";
		return -EBADMSG;
	}
	c.parser = XML_ParserCreate("UTF-8");
	if (!c.parser)
		return -ENOMEM;
	XML_SetUserData(c.parser, &c);
	XML_SetElementHandler(c.parser, on_start, on_end);
	XML_SetCharacterDataHandler(c.parser, on_text);
	XML_SetEntityDeclHandler(c.parser, on_entity_decl);
	if (XML_Parse(c.parser, data, (int)len, XML_TRUE) != XML_STATUS_OK && !c.error) {
		c.error = -EBADMSG;
		c.why = XML_ErrorString(XML_GetErrorCode(c.parser));
	}
	XML_ParserFree(c.parser);
	if (!c.error && !c.root) {
		c.error = -EBADMSG;
		c.why = "empty XML document";
	}
	if (c.error) {
		xml_free(c.root);
		if (ret_why)
			*ret_why = c.why;
		return c.error;
	}
	*ret = c.root;
	return r;
}

struct xml_node *xml_free(struct xml_node *n)
{
	/* iterative, so that deep trees cannot exhaust the stack */
	while (n) {
		struct xml_node *sib, *par;

		if (n->first) {
			struct xml_node *c = n->first;

			n->first = NULL;
			n = c;
			continue;
		}
		sib = n->next;
		par = n->parent;
		free(n->name);
		if (n->attrs)
			for (char **a = n->attrs; *a; a++)
				free(*a);
		free(n->attrs);
		free(n->text);
		free(n);
		n = sib ?: par;
	}
	return NULL;
}

struct xml_node *xml_child(const struct xml_node *n, const char *name)
{
	for (struct xml_node *c = n ? n->first : NULL; c; c = c->next)
		if (streq(c->name, name))
			return c;
	return NULL;
}

const char *xml_child_text(const struct xml_node *n, const char *name)
{
	struct xml_node *c = xml_child(n, name);

	return c ? c->text : NULL;
}

const char *xml_attr(const struct xml_node *n, const char *name)
{
	if (!n || !n->attrs)
		return NULL;
	for (char **a = n->attrs; a[0] && a[1]; a += 2)
		if (streq(a[0], name))
			return a[1];
	for (char **a = n->attrs; a[0] && a[1]; a += 2) {
		const char *l = strchr(a[0], ':'), *nl = strchr(name, ':');

		if (streq(l ? l + 1 : a[0], nl ? nl + 1 : name))
			return a[1];
	}
	return NULL;
}
