/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ec2.security_group: the application's security groups and their rules, which the compiler
 * models as part of the group ("IpPermissions", "IpPermissionsEgress" in
 * AuthorizeSecurityGroupIngress's shapes; coherence-resources.md §2.4). CreateSecurityGroup takes
 * name, description and VPC; right after it, one AuthorizeSecurityGroupIngress with every desired
 * ingress rule, and one action that makes the egress rules what they should be: AWS gives every
 * new group an all-traffic egress rule to 0.0.0.0/0, which is revoked unless wanted. Observe is
 * one DescribeSecurityGroups by our tags (rules come embedded); look-up-before-create by group
 * name (unique per VPC; CreateSecurityGroup takes no token).
 *
 * Rules are compared as unordered sets of atoms: one protocol/port range/peer each (AWS merges
 * and splits IpPermissions as it likes), protocol names and numbers unified, ports dropped for
 * "-1", descriptions and the peer's account id ignored. A correction is one action of up to two
 * calls: Authorize what is missing, Revoke what is extra (a duplicate or an already revoked rule
 * counts as done, so a retried correction converges).
 *
 * Description cannot change in place and replacing a group in use cannot work (AWS refuses to
 * delete it while ENIs carry it), so a changed description is reported, never corrected.
 * A group whose rules name the group itself (the compiler's default, db and cache groups) needs
 * its own GroupId, known only after the create: the engine creates the group without the rule
 * fields that refer to it and sets them right after, with the new GroupId
 * (tests/unit/test_resources_network.c test_self_reference). Pure; no I/O.
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
static void rule_atoms(const json_t *perm, json_t *out)
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
static json_t *atoms_of(const json_t *perms)
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
		rule_atoms(p, l);
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

static json_t *rules_normalise(const json_t *v)
{
	return atoms_of(v);
}

static const char *group_id(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live ? ctx->live->physical_id : NULL;
}

/* A group created in this pass: the item is CreateSecurityGroup's answer ({"GroupId", "Tags"}),
 * and the group holds only what AWS gives every new group. */
static bool just_created(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live && !json_object_get(ctx->live->attrs, "GroupName");
}

static json_t *aws_default_egress(void)
{
	return json_pack("[{s:s, s:[{s:s}]}]", "IpProtocol", "-1", "IpRanges", "CidrIp",
			 "0.0.0.0/0");
}

static json_t *rule_step(const char *op, const char *group, json_t *perms, const char *ignore)
{
	return json_pack("{s:s, s:{s:s, s:o}, s:[s]}", "Operation", op, "Params", "GroupId", group,
			 "IpPermissions", perms, "IgnoreCodes", ignore);
}

/* The steps that turn the live rules of one direction into want: Authorize the missing atoms,
 * Revoke the extra ones. Nothing differs only at create time, for a group whose egress rules are
 * exactly AWS's default: the first wanted atom is authorized again, a duplicate that counts as
 * done (an empty sequence would be shown as drift the type cannot correct). */
static int rules_steps(const struct cohd_rec_type_ctx *ctx, const json_t *want_rules,
		       const char *live_path, bool egress, json_t **ret)
{
	const char *authorize = egress ? "AuthorizeSecurityGroupEgress"
				       : "AuthorizeSecurityGroupIngress";
	const char *revoke = egress ? "RevokeSecurityGroupEgress" : "RevokeSecurityGroupIngress";
	json_auto_t *defaults = egress && just_created(ctx) ? aws_default_egress() : json_array();
	json_auto_t *want = atoms_of(want_rules);
	json_auto_t *have = atoms_of(just_created(ctx) ? defaults
						       : cohd_rec_json_path(ctx->live->attrs,
									    live_path));
	json_auto_t *add = json_array(), *del = json_array(), *steps = json_array();
	const json_t *x;
	size_t i;

	if (!group_id(ctx) || !want || !have || !add || !del || !steps)
		return -EINVAL;
	json_array_foreach(want, i, x)
		if (!cohd_ec2_set_has(have, x))
			json_array_append(add, (json_t *)x);
	json_array_foreach(have, i, x)
		if (!cohd_ec2_set_has(want, x))
			json_array_append(del, (json_t *)x);
	if (json_array_size(add) == 0 && json_array_size(del) == 0) {
		if (json_array_size(want) == 0)
			return -EINVAL;
		json_array_append(add, json_array_get(want, 0));
	}
	if (json_array_size(add) > 0)
		json_array_append_new(steps, rule_step(authorize, group_id(ctx), json_incref(add),
						       "InvalidPermission.Duplicate"));
	if (json_array_size(del) > 0)
		json_array_append_new(steps, rule_step(revoke, group_id(ctx), json_incref(del),
						       "InvalidPermission.NotFound"));
	*ret = TAKE_PTR(steps);
	return 0;
}

/* The rules an update names: the whole list ("IpPermissions", a drift correction) or
 * create-time slots ("IpPermissions.0", ...), read from the update's resolved properties. */
static json_t *named_rules(const struct cohd_rec_type_ctx *ctx, const char *list,
			   const char *const *fields, size_t n_fields)
{
	json_t *rules = json_array();
	size_t l = strlen(list);

	for (size_t i = 0; rules && i < n_fields; i++) {
		const char *f = fields[i];
		const json_t *v = cohd_ec2_prop(ctx, f);

		if (strncmp(f, list, l) != 0 || !v)
			continue;
		if (f[l] == 0)
			json_array_extend(rules, (json_t *)v);
		else if (f[l] == '.' && !strchr(f + l + 1, '.'))
			json_array_append(rules, (json_t *)v);
	}
	return rules;
}

static int ingress_params(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			  size_t n_fields, json_t **ret)
{
	json_auto_t *rules = named_rules(ctx, "IpPermissions", fields, n_fields);

	return rules ? rules_steps(ctx, rules, "IpPermissions", false, ret) : -ENOMEM;
}

static int egress_params(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			 size_t n_fields, json_t **ret)
{
	const json_t *rules = cohd_ec2_prop(ctx, "IpPermissionsEgress");

	return rules_steps(ctx, rules, "IpPermissionsEgress", true, ret);
}

#define IN_SLOT(i)                                                                             \
	{ .path = "IpPermissions." #i, .live_path = "GroupId", .default_json = "true",            \
	  .normalise = cohd_ec2_always_equal, .update_op = "AuthorizeSecurityGroupIngress",        \
	  .update_params = ingress_params,                                                         \
	  .flags = COHD_REC_F_AFTER_CREATE | COHD_REC_F_OBSERVE_ONLY }

/* Ingress slots exist only to make the create-time call (grouped into one Authorize; a slot
 * exists only when its rule does, so a group without ingress rules makes no call); they always
 * compare equal, the whole list is compared by "IpPermissions". Egress is set after the create
 * by its whole-list field: AWS's default rule has to be revoked or kept. */
static const struct cohd_rec_field sg_fields[] = {
	{ .path = "VpcId", .flags = COHD_REC_F_REPLACE },
	{ .path = "Description", .flags = COHD_REC_F_OBSERVE_ONLY },
	{ .path = "IpPermissions", .normalise = rules_normalise,
	  .update_op = "AuthorizeSecurityGroupIngress", .update_params = ingress_params },
	{ .path = "IpPermissionsEgress", .normalise = rules_normalise,
	  .update_op = "AuthorizeSecurityGroupEgress", .update_params = egress_params,
	  .flags = COHD_REC_F_AFTER_CREATE },
	IN_SLOT(0), IN_SLOT(1), IN_SLOT(2), IN_SLOT(3), IN_SLOT(4), IN_SLOT(5), IN_SLOT(6),
	IN_SLOT(7),
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
	.untag_op = "DeleteTags", /* cohd-owned tags no longer desired */
	.delete_op = "DeleteSecurityGroup",
	.gone_codes = sg_gone,
};
