/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ec2.route_table: the public and private route tables of the application's VPC with their
 * routes and subnet associations, which the compiler models as part of the table ("Routes",
 * "Associations"; coherence-resources.md §2.4). CreateRouteTable takes only the VPC; right
 * after it, one CreateRoute per desired route and one AssociateRouteTable per desired subnet.
 * Observe is one DescribeRouteTables by our tags; routes and associations come embedded in it.
 *
 * Diff: the routes cohd made (Origin CreateRoute, a CIDR destination) compared as a set of
 * {destination, target}; the local route and propagated or endpoint routes are AWS's and never
 * compared. Associations are compared as the set of associated subnets (the main association
 * is AWS's). A correction is a sequence of calls in one action: CreateRoute for a missing
 * destination, ReplaceRoute for one whose target drifted (a replaced NAT gateway leaves a
 * blackhole), DeleteRoute for one cohd no longer wants; AssociateRouteTable for a missing subnet,
 * DisassociateRouteTable for an extra one. The delete disassociates every subnet first (AWS
 * refuses DeleteRouteTable while subnets are associated). A desired subnet associated with
 * another table (ReplaceRouteTableAssociation) is not handled: the associate fails with
 * Resource.AlreadyAssociated, shown in status. Pure; no I/O.
 */
#include <stdio.h>

#include "lib/reconcile/diff.h"
#include "lib/resources/ec2_common.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

/* Route targets CreateRoute/ReplaceRoute take, in the Route shape's member names. */
static const char *const route_targets[] = {
	"GatewayId", "NatGatewayId", "NetworkInterfaceId", "InstanceId", "TransitGatewayId",
	"VpcPeeringConnectionId", "EgressOnlyInternetGatewayId", "LocalGatewayId",
	"CarrierGatewayId", "VpcEndpointId", "CoreNetworkArn",
};

/* One route as {DestinationCidrBlock | DestinationIpv6CidrBlock, <target>}, or NULL when it
 * is not one cohd manages (local, propagated, prefix-list destinations). */
static json_t *route_canon(const json_t *r)
{
	const char *origin = json_string_value(json_object_get(r, "Origin"));
	const char *gw = json_string_value(json_object_get(r, "GatewayId"));
	const json_t *d4 = json_object_get(r, "DestinationCidrBlock");
	const json_t *d6 = json_object_get(r, "DestinationIpv6CidrBlock");
	json_t *out;

	if ((origin && !streq(origin, "CreateRoute")) || streq_ptr(gw, "local") ||
	    (!json_is_string(d4) && !json_is_string(d6)))
		return NULL;
	out = json_object();
	if (!out)
		return NULL;
	if (json_is_string(d4))
		json_object_set_new(out, "DestinationCidrBlock", cohd_ec2_cidr_normalise(d4));
	else
		json_object_set_new(out, "DestinationIpv6CidrBlock", cohd_ec2_cidr_normalise(d6));
	for (size_t i = 0; i < ELEMENTSOF(route_targets); i++) {
		json_t *t = json_object_get(r, route_targets[i]);

		if (json_is_string(t)) {
			json_object_set(out, route_targets[i], t);
			break;
		}
	}
	return out;
}

static int cmp_text(const void *a, const void *b)
{
	_cleanup_free_ char *x = json_dumps(*(json_t *const *)a, JSON_COMPACT | JSON_SORT_KEYS);
	_cleanup_free_ char *y = json_dumps(*(json_t *const *)b, JSON_COMPACT | JSON_SORT_KEYS);

	return strcmp(strempty(x), strempty(y));
}

/* Sort an array (new reference) by canonical text, dropping duplicates. */
static json_t *sorted_set(json_t *l)
{
	size_t n = json_array_size(l), i;
	_cleanup_free_ json_t **v = calloc(n + 1, sizeof(json_t *));
	json_t *out = json_array();

	if (!v || !out) {
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

static json_t *routes_normalise(const json_t *v)
{
	json_auto_t *l = json_array();
	const json_t *r;
	size_t i;

	if (!l)
		return NULL;
	json_array_foreach(v, i, r) {
		json_t *c = route_canon(r);

		if (c)
			json_array_append_new(l, c);
	}
	return sorted_set(l);
}

/* [{"SubnetId": s}] of the subnets associated (or being associated) with the table. */
static json_t *associations_normalise(const json_t *v)
{
	json_auto_t *l = json_array();
	const json_t *a;
	size_t i;

	if (!l)
		return NULL;
	json_array_foreach(v, i, a) {
		const json_t *subnet = json_object_get(a, "SubnetId");
		const char *state = json_string_value(cohd_rec_json_path(a,
									  "AssociationState.State"));

		if (json_is_true(json_object_get(a, "Main")) || !json_is_string(subnet))
			continue;
		if (state && !streq(state, "associated") && !streq(state, "associating"))
			continue;
		json_array_append_new(l, json_pack("{s:O}", "SubnetId", subnet));
	}
	return sorted_set(l);
}

static const char *table_id(const struct cohd_rec_type_ctx *ctx)
{
	return ctx->live ? ctx->live->physical_id : NULL;
}

/* {"RouteTableId": id} + the route's destination and target. */
static json_t *route_call(const char *rtb, const json_t *route)
{
	json_t *c = route_canon(route), *p;

	if (!c)
		return NULL;
	p = json_pack("{s:s}", "RouteTableId", rtb);
	if (p)
		json_object_update(p, c);
	json_decref(c);
	return p;
}

/* Right after the create: CreateRoute for the one desired route the slot names. */
static int create_route_params(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			       size_t n_fields, json_t **ret)
{
	const json_t *route = n_fields == 1 ? cohd_ec2_prop(ctx, fields[0]) : NULL;

	if (!table_id(ctx) || !route)
		return -EINVAL;
	*ret = route_call(table_id(ctx), route);
	return *ret ? 0 : -EINVAL;
}

static json_t *step(const char *op, json_t *params, const char *ignore)
{
	json_t *st = json_pack("{s:s, s:o}", "Operation", op, "Params", params);

	if (st && ignore)
		json_object_set_new(st, "IgnoreCodes", json_pack("[s]", ignore));
	return st;
}

static const json_t *same_destination(const json_t *routes, const json_t *r)
{
	static const char *const keys[] = { "DestinationCidrBlock", "DestinationIpv6CidrBlock" };
	const json_t *h;
	size_t i;

	json_array_foreach(routes, i, h)
		for (size_t k = 0; k < ELEMENTSOF(keys); k++)
			if (json_object_get(r, keys[k]) &&
			    json_equal(json_object_get(r, keys[k]), json_object_get(h, keys[k])))
				return h;
	return NULL;
}

/* Drift: the steps that turn the live routes into the desired ones. */
static int routes_params(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			 size_t n_fields, json_t **ret)
{
	json_auto_t *want = routes_normalise(cohd_ec2_prop(ctx, "Routes"));
	json_auto_t *have = routes_normalise(cohd_rec_json_path(ctx->live ? ctx->live->attrs : NULL,
								"Routes"));
	json_auto_t *steps = json_array();
	const json_t *w, *h;
	size_t i;

	if (!table_id(ctx) || !want || !have || !steps)
		return -EINVAL;
	json_array_foreach(want, i, w) {
		if (cohd_ec2_set_has(have, w))
			continue;
		json_array_append_new(steps, step(same_destination(have, w) ? "ReplaceRoute"
									    : "CreateRoute",
						  route_call(table_id(ctx), w), NULL));
	}
	json_array_foreach(have, i, h) {
		json_t *del;

		if (same_destination(want, h))
			continue;
		del = json_pack("{s:s}", "RouteTableId", table_id(ctx));
		if (del && json_object_get(h, "DestinationCidrBlock"))
			json_object_set(del, "DestinationCidrBlock",
					json_object_get(h, "DestinationCidrBlock"));
		else if (del)
			json_object_set(del, "DestinationIpv6CidrBlock",
					json_object_get(h, "DestinationIpv6CidrBlock"));
		json_array_append_new(steps, step("DeleteRoute", del, "InvalidRoute.NotFound"));
	}
	if (json_array_size(steps) == 0)
		return -EINVAL; /* no drift: the engine does not plan this */
	*ret = TAKE_PTR(steps);
	return 0;
}

/* AssociateRouteTable for one slot (right after the create). */
static int associate_slot_params(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
				 size_t n_fields, json_t **ret)
{
	const json_t *a = n_fields == 1 ? cohd_ec2_prop(ctx, fields[0]) : NULL;
	const char *subnet = json_string_value(json_object_get(a, "SubnetId"));

	if (!table_id(ctx) || !subnet)
		return -EINVAL;
	*ret = json_pack("{s:s, s:s}", "RouteTableId", table_id(ctx), "SubnetId", subnet);
	return *ret ? 0 : -ENOMEM;
}

/* Drift: associate the missing subnets, disassociate the extra ones. */
static int associations_params(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			       size_t n_fields, json_t **ret)
{
	const json_t *live = cohd_rec_json_path(ctx->live ? ctx->live->attrs : NULL,
						"Associations");
	json_auto_t *want = associations_normalise(cohd_ec2_prop(ctx, "Associations"));
	json_auto_t *have = associations_normalise(live);
	json_auto_t *steps = json_array();
	const json_t *w, *a;
	size_t i;

	if (!table_id(ctx) || !want || !have || !steps)
		return -EINVAL;
	json_array_foreach(want, i, w)
		if (!cohd_ec2_set_has(have, w))
			json_array_append_new(steps,
					      step("AssociateRouteTable",
						   json_pack("{s:s, s:O}", "RouteTableId",
							     table_id(ctx), "SubnetId",
							     json_object_get(w, "SubnetId")),
						   NULL));
	json_array_foreach(live, i, a) {
		json_auto_t *one = json_pack("[{s:O}]", "SubnetId", json_object_get(a, "SubnetId"));
		const json_t *assoc = json_object_get(a, "RouteTableAssociationId");

		if (json_is_true(json_object_get(a, "Main")) || !json_is_string(assoc) ||
		    !json_object_get(a, "SubnetId") ||
		    cohd_ec2_set_has(want, json_array_get(one, 0)))
			continue;
		json_array_append_new(steps, step("DisassociateRouteTable",
						  json_pack("{s:O}", "AssociationId", assoc),
						  "InvalidAssociationID.NotFound"));
	}
	if (json_array_size(steps) == 0)
		return -EINVAL;
	*ret = TAKE_PTR(steps);
	return 0;
}

/* [DisassociateRouteTable for every subnet, DeleteRouteTable]. */
static int rtb_delete(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	json_auto_t *steps = json_array();
	const json_t *a;
	size_t i;

	if (!table_id(ctx) || !steps)
		return -EINVAL;
	json_array_foreach(json_object_get(ctx->live->attrs, "Associations"), i, a) {
		const json_t *assoc = json_object_get(a, "RouteTableAssociationId");

		if (json_is_true(json_object_get(a, "Main")) || !json_is_string(assoc))
			continue;
		json_array_append_new(steps, step("DisassociateRouteTable",
						  json_pack("{s:O}", "AssociationId", assoc),
						  "InvalidAssociationID.NotFound"));
	}
	json_array_append_new(steps, step("DeleteRouteTable",
					  json_pack("{s:s}", "RouteTableId", table_id(ctx)), NULL));
	*ret = TAKE_PTR(steps);
	return 0;
}

#define ROUTE_SLOT(i)                                                                          \
	{ .path = "Routes." #i, .live_path = "RouteTableId", .default_json = "true",             \
	  .normalise = cohd_ec2_always_equal, .update_op = "CreateRoute",                          \
	  .update_params = create_route_params,                                                    \
	  .flags = COHD_REC_F_AFTER_CREATE | COHD_REC_F_OBSERVE_ONLY | COHD_REC_F_ONE_PER_CALL }
#define ASSOC_SLOT(i)                                                                          \
	{ .path = "Associations." #i, .live_path = "RouteTableId", .default_json = "true",       \
	  .normalise = cohd_ec2_always_equal, .update_op = "AssociateRouteTable",                  \
	  .update_params = associate_slot_params,                                                  \
	  .flags = COHD_REC_F_AFTER_CREATE | COHD_REC_F_OBSERVE_ONLY | COHD_REC_F_ONE_PER_CALL }

/* The slots make the create-time calls (one per desired element: CreateRoute and
 * AssociateRouteTable take one each; a slot exists only when its element does, so an empty list
 * makes no call); they always compare equal. The whole lists are compared and corrected by the
 * "Routes" and "Associations" fields. The compiler emits at most one route and one association
 * per zone (at most 4 zones); more elements are set by the drift correction on the next pass. */
static const struct cohd_rec_field rtb_fields[] = {
	{ .path = "VpcId", .flags = COHD_REC_F_REPLACE },
	{ .path = "Routes", .normalise = routes_normalise, .update_op = "ReplaceRoute",
	  .update_params = routes_params },
	{ .path = "Associations", .normalise = associations_normalise,
	  .update_op = "AssociateRouteTable", .update_params = associations_params },
	ROUTE_SLOT(0), ROUTE_SLOT(1), ROUTE_SLOT(2), ROUTE_SLOT(3),
	ASSOC_SLOT(0), ASSOC_SLOT(1), ASSOC_SLOT(2), ASSOC_SLOT(3), ASSOC_SLOT(4), ASSOC_SLOT(5),
};

/* CreateRouteTable: {"VpcId", "TagSpecifications"} (routes and associations come after). */
static int rtb_create(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	const json_t *vpc = json_object_get(ctx->props, "VpcId");

	if (!json_is_string(vpc))
		return -EINVAL;
	*ret = json_pack("{s:O, s:[{s:s, s:o}]}", "VpcId", vpc, "TagSpecifications",
			 "ResourceType", "route-table", "Tags",
			 cohd_rec_tags_to_list(ctx->tags, COHD_REC_TAGS_KEY_VALUE));
	return *ret ? 0 : -ENOMEM;
}

static enum cohd_rec_health rtb_health(const struct cohd_rec_item *item)
{
	const json_t *r;
	size_t i;

	/* A route whose target is gone (a deleted NAT gateway) drops traffic. */
	json_array_foreach(json_object_get(item->attrs, "Routes"), i, r)
		if (streq_ptr(json_string_value(json_object_get(r, "State")), "blackhole"))
			return COHD_REC_HEALTH_DEGRADED;
	return COHD_REC_HEALTH_HEALTHY;
}

static const char *const rtb_gone[] = { "InvalidRouteTableID.NotFound", NULL };

const struct cohd_rec_type cohd_resource_ec2_route_table = {
	.name = "ec2.route_table",
	.service = "ec2",
	.tier = 3,

	.describe_op = "DescribeRouteTables", /* default params: our tags */
	.list_path = "RouteTables",
	.id_path = "RouteTableId",
	.name_path = "tag:Name",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.lookup_params = cohd_ec2_lookup_by_name,
	.id_list_member = "RouteTableIds",
	.health = rtb_health,

	.fields = rtb_fields,
	.n_fields = ELEMENTSOF(rtb_fields),

	.create_op = "CreateRouteTable",
	.create_params = rtb_create,
	.create_tag_style = COHD_REC_TAGS_EC2_SPEC,
	.tag_resource_type = "route-table",
	.create_result_path = "RouteTable",

	.id_member = "RouteTableId",
	.tag_op = "CreateTags",
	.untag_op = "DeleteTags", /* cohd-owned tags no longer desired */
	.delete_op = "DeleteRouteTable",
	.delete_params = rtb_delete,
	.gone_codes = rtb_gone,
};
