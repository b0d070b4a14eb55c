/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ec2.security_group: the application's security groups and their rules, which the compiler
 * models as part of the group ("IpPermissions", "IpPermissionsEgress" in
 * AuthorizeSecurityGroupIngress's shapes; coherence-resources.md §2.4). CreateSecurityGroup takes
 * name, description and VPC; right after it, one AuthorizeSecurityGroupIngress with every desired
 * ingress rule and one AuthorizeSecurityGroupEgress with the desired egress rules that name
 * groups. Observe is one DescribeSecurityGroups by our tags (rules come embedded); look-up-before-
 * create by group name (unique per VPC; CreateSecurityGroup takes no token).
 *
 * Rules are compared as unordered sets of atoms: one protocol/port range/peer each (AWS merges
 * and splits IpPermissions as it likes), protocol names and numbers unified, ports dropped for
 * "-1", descriptions and the peer's account id ignored. AWS's default egress rule (all traffic to
 * 0.0.0.0/0, added to every new group) is left out of the comparison on both sides: every group
 * the compiler gives another egress rule also sits on ENIs whose other groups allow all egress,
 * and without a way to revoke it in the same correction (below) it would be drift forever.
 * Corrections authorize the missing atoms. Extra rules need a Revoke call, which is another
 * operation than the Authorize the engine planned for the field (one operation per field): they
 * are reported as drift and the correction fails with EOPNOTSUPP (interface gap).
 *
 * Description cannot change in place and replacing a group in use cannot work (AWS refuses to
 * delete it while ENIs carry it), so a changed description is reported, never corrected.
 * Pure; no I/O.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "lib/reconcile/diff.h"
#include "lib/resources/ec2_common.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static const char *proto_name(const char *p)
{
	static const struct {
		const char *num, *name;
	} map[] = { { "6", "tcp" }, { "17", "udp" }, { "1", "icmp" }, { "58", "icmpv6" },
		    { "all", "-1" } };

	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (strcasecmp(p, map[i].num) == 0)
			return map[i].name;
	return p;
}

/* Append the atoms of one IpPermission to out. */
static void rule_atoms(const json_t *perm, bool drop_default_egress, json_t *out)
{
	const char *proto_in = json_string_value(json_object_get(perm, "IpProtocol"));
	static const struct {
		const char *list, *key;
	} peers[] = { { "IpRanges", "CidrIp" }, { "Ipv6Ranges", "CidrIpv6" },
		      { "UserIdGroupPairs", "GroupId" }, { "PrefixListIds", "PrefixListId" } };
	_cleanup_free_ char *proto = NULL;

	if (!proto_in)
		return;
	proto = strdup(proto_name(proto_in));
	if (!proto)
		return;
	for (char *c = proto; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	for (size_t p = 0; p < ELEMENTSOF(peers); p++) {
		const json_t *e;
		size_t i;

		json_array_foreach(json_object_get(perm, peers[p].list), i, e) {
			const json_t *peer = json_object_get(e, peers[p].key);
			json_t *atom, *norm;

			if (!json_is_string(peer))
				continue;
			norm = p < 2 ? cohd_ec2_cidr_normalise(peer) : json_incref((json_t *)peer);
			if (drop_default_egress && streq(proto, "-1") && p == 0 &&
			    streq_ptr(json_string_value(norm), "0.0.0.0/0")) {
				json_decref(norm);
				continue;
			}
			atom = json_pack("{s:s, s:[{s:o}]}", "IpProtocol", proto, peers[p].list,
					 peers[p].key, norm);
			if (atom && !streq(proto, "-1")) {
				const json_t *from = json_object_get(perm, "FromPort");
				const json_t *to = json_object_get(perm, "ToPort");

				json_object_set_new(atom, "FromPort",
						    json_integer(json_is_integer(from)
									 ? json_integer_value(from)
									 : -1));
				json_object_set_new(atom, "ToPort",
						    json_integer(json_is_integer(to)
									 ? json_integer_value(to)
									 : -1));
			}
			if (atom)
				json_array_append_new(out, atom);
		}
	}
}

static int cmp_text(const void *a, const void *b)
{
	_cleanup_free_ char *x = json_dumps(*(json_t *const *)a, JSON_COMPACT | JSON_SORT_KEYS);
	_cleanup_free_ char *y = json_dumps(*(json_t *const *)b, JSON_COMPACT | JSON_SORT_KEYS);

	return strcmp(strempty(x), strempty(y));
}

/* The rule list as a sorted set of atoms (each itself a valid IpPermission). */
static json_t *atoms_of(const json_t *perms, bool egress)
{
	json_auto_t *l = json_array();
	_cleanup_free_ json_t **v = NULL;
	json_t *out = json_array();
	const json_t *p;
	size_t i, n;

	if (!l || !out) {
		json_decref(out);
		return NULL;
	}
	json_array_foreach(perms, i, p)
		rule_atoms(p, egress, l);
	n = json_array_size(l);
	v = calloc(n + 1, sizeof(json_t *));
	if (!v) {
		json_decref(out);
		return NULL;
	}
	for (i = 0; i < n; i++)
		v[i] = json_array_get(l, i);
	qsort(v, n, sizeof(json_t *), cmp_text);
	for (i = 0; i < n; i++)
		if (i == 0 || !json_equal(v[i], v[i - 1]))
			json_array_append(out, v[i]);
	return out;
}

static json_t *ingress_normalise(const json_t *v)
{
	return atoms_of(v, false);
}

static json_t *egress_normalise(const json_t *v)
{
	return atoms_of(v, true);
}

static const char *group_id(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live ? ctx->live->physical_id : NULL;
}

/* {"GroupId": id, "IpPermissions": want - have}; -EOPNOTSUPP when nothing is missing. */
static int authorize(const struct cohd_rec_type_ctx *ctx, const json_t *want_rules,
		     const char *live_path, bool egress, json_t **ret)
{
	json_auto_t *want = atoms_of(want_rules, egress);
	json_auto_t *have = atoms_of(cohd_rec_json_path(ctx->live ? ctx->live->attrs : NULL,
							live_path),
				     egress);
	json_auto_t *add = json_array();
	const json_t *w;
	size_t i;

	if (!group_id(ctx) || !want || !have || !add)
		return -EINVAL;
	json_array_foreach(want, i, w)
		if (!cohd_ec2_set_has(have, w))
			json_array_append(add, (json_t *)w);
	if (json_array_size(add) == 0)
		return -EOPNOTSUPP; /* only extra rules: RevokeSecurityGroup{Ingress,Egress} */
	*ret = json_pack("{s:s, s:O}", "GroupId", group_id(ctx), "IpPermissions", add);
	return *ret ? 0 : -ENOMEM;
}

/* The rules an update names: the whole list ("IpPermissions"), or create-time slots
 * ("IpPermissions.0", "IpPermissionsEgress.1.UserIdGroupPairs"). A slot into a rule's peers
 * takes the rest of the rule from the unresolved desired properties (protocol and ports are
 * never placeholders) and the peers, resolved, from the update's properties. */
static json_t *named_rules(const struct cohd_rec_type_ctx *ctx, const char *list,
			   const char *const *fields, size_t n_fields)
{
	json_t *rules = json_array();
	size_t l = strlen(list);

	for (size_t i = 0; rules && i < n_fields; i++) {
		const char *f = fields[i], *rest;
		const json_t *v = cohd_ec2_prop(ctx, f);
		_cleanup_free_ char *rule_path = NULL;
		json_t *rule;

		if (strncmp(f, list, l) != 0 || (f[l] != 0 && f[l] != '.') || !v)
			continue;
		if (f[l] == 0) {
			json_array_extend(rules, (json_t *)v);
			continue;
		}
		rest = strchr(f + l + 1, '.');
		if (!rest) {
			json_array_append(rules, (json_t *)v);
			continue;
		}
		rule_path = strndup(f, (size_t)(rest - f));
		rule = rule_path && ctx->resource
			       ? json_deep_copy(cohd_rec_json_path(ctx->resource->properties,
								   rule_path))
			       : NULL;
		if (!rule || cohd_rec_json_set_path(rule, rest + 1, json_deep_copy(v)) < 0) {
			json_decref(rule);
			continue;
		}
		json_array_append_new(rules, rule);
	}
	return rules;
}

static int ingress_params(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			  size_t n_fields, json_t **ret)
{
	json_auto_t *rules = named_rules(ctx, "IpPermissions", fields, n_fields);

	return rules ? authorize(ctx, rules, "IpPermissions", false, ret) : -ENOMEM;
}

static int egress_params(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			 size_t n_fields, json_t **ret)
{
	json_auto_t *rules = named_rules(ctx, "IpPermissionsEgress", fields, n_fields);

	return rules ? authorize(ctx, rules, "IpPermissionsEgress", true, ret) : -ENOMEM;
}

#define SLOT(p, op, fn)                                                                        \
	{ .path = p, .live_path = "GroupId", .default_json = "true",                              \
	  .normalise = cohd_ec2_always_equal, .update_op = op, .update_params = fn,                \
	  .flags = COHD_REC_F_AFTER_CREATE | COHD_REC_F_OBSERVE_ONLY }
#define IN_SLOT(i) SLOT("IpPermissions." #i, "AuthorizeSecurityGroupIngress", ingress_params)
#define EG_SLOT(i)                                                                             \
	SLOT("IpPermissionsEgress." #i ".UserIdGroupPairs", "AuthorizeSecurityGroupEgress",     \
	     egress_params)

/* Slots exist only to make the create-time calls (grouped: one call per direction); they always
 * compare equal. Ingress: every rule (a new group has none). Egress: only rules that name groups,
 * which can never be AWS's default rule (authorizing that one again would fail with
 * InvalidPermission.Duplicate); CIDR egress rules other than the default are authorized by the
 * drift correction on the next pass. */
static const struct cohd_rec_field sg_fields[] = {
	{ .path = "VpcId", .flags = COHD_REC_F_REPLACE },
	{ .path = "Description", .flags = COHD_REC_F_OBSERVE_ONLY },
	{ .path = "IpPermissions", .normalise = ingress_normalise,
	  .update_op = "AuthorizeSecurityGroupIngress", .update_params = ingress_params },
	{ .path = "IpPermissionsEgress", .normalise = egress_normalise,
	  .update_op = "AuthorizeSecurityGroupEgress", .update_params = egress_params },
	IN_SLOT(0), IN_SLOT(1), IN_SLOT(2), IN_SLOT(3), IN_SLOT(4), IN_SLOT(5), IN_SLOT(6),
	IN_SLOT(7),
	EG_SLOT(0), EG_SLOT(1), EG_SLOT(2), EG_SLOT(3),
};

/* CreateSecurityGroup: {"GroupName", "Description", "VpcId", "TagSpecifications"}. */
static int sg_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const json_t *desc = json_object_get(ctx->props, "Description");
	const json_t *vpc = json_object_get(ctx->props, "VpcId");

	if (!ctx->resource || !ctx->resource->name || !json_is_string(desc) ||
	    !json_is_string(vpc))
		return -EINVAL;
	*ret = json_pack("{s:s, s:O, s:O, s:[{s:s, s:o}]}", "GroupName", ctx->resource->name,
			 "Description", desc, "VpcId", vpc, "TagSpecifications", "ResourceType",
			 "security-group", "Tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	return *ret ? 0 : -ENOMEM;
}

/* Look-up-before-create: the group name is unique per VPC and is the deterministic name. */
static int sg_lookup(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->resource || !ctx->resource->name)
		return -EINVAL;
	*ret = json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Name", "group-name", "Values",
			 ctx->resource->name);
	return *ret ? 0 : -ENOMEM;
}

static const char *const sg_gone[] = { "InvalidGroup.NotFound", "InvalidSecurityGroupID.NotFound",
				       NULL };

const struct cohd_rec_type cohd_resource_ec2_security_group = {
	.name = "ec2.security_group",
	.service = "ec2",
	.tier = 1,

	.describe_op = "DescribeSecurityGroups", /* default params: our tags */
	.list_path = "SecurityGroups",
	.id_path = "GroupId",
	.name_path = "GroupName",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.lookup_params = sg_lookup,
	.id_list_member = "GroupIds",

	.fields = sg_fields,
	.n_fields = ELEMENTSOF(sg_fields),

	.create_op = "CreateSecurityGroup",
	.create_params = sg_create,
	.create_tag_style = COHD_REC_TAGS_EC2_SPEC,
	.tag_resource_type = "security-group",
	.create_result_path = NULL, /* {"GroupId", "Tags"} */

	.id_member = "GroupId",
	.tag_op = "CreateTags",
	.delete_op = "DeleteSecurityGroup",
	.gone_codes = sg_gone,
};
