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
 * is AWS's). Corrections: a route whose target drifted (a replaced NAT gateway leaves a
 * blackhole) is moved with ReplaceRoute; a desired subnet that is not associated is associated.
 *
 * The engine plans one operation per drifted field, so what needs a second operation (create a
 * route that is missing altogether, delete or disassociate an extra one) is reported as drift
 * and the correction fails with EOPNOTSUPP; and the table's delete is a single call, so the
 * associations that make AWS refuse DeleteRouteTable (DependencyViolation) are not removed
 * first. Both are interface gaps, not choices. Pure; no I/O.
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

/* Drift: move the first desired route whose destination exists with another target. */
static int replace_route_params(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
				size_t n_fields, json_t **ret)
{
	json_auto_t *want = routes_normalise(cohd_ec2_prop(ctx, "Routes"));
	json_auto_t *have = routes_normalise(cohd_rec_json_path(ctx->live ? ctx->live->attrs : NULL,
								"Routes"));
	const json_t *w, *h;
	size_t i, k;

	if (!table_id(ctx) || !want || !have)
		return -EINVAL;
	json_array_foreach(want, i, w) {
		if (cohd_ec2_set_has(have, w))
			continue;
		json_array_foreach(have, k, h) {
			const json_t *d4 = json_object_get(w, "DestinationCidrBlock");
			const json_t *d6 = json_object_get(w, "DestinationIpv6CidrBlock");

			if ((d4 && json_equal(d4, json_object_get(h, "DestinationCidrBlock"))) ||
			    (d6 && json_equal(d6, json_object_get(h, "DestinationIpv6CidrBlock")))) {
				*ret = route_call(table_id(ctx), w);
				return *ret ? 0 : -ENOMEM;
			}
		}
	}
	/* Missing destinations (CreateRoute) and extra routes (DeleteRoute) are other
	 * operations than the one this correction was planned with. */
	return -EOPNOTSUPP;
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

/* Drift: associate the first desired subnet that is not associated (one per call). */
static int associate_params(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
			    size_t n_fields, json_t **ret)
{
	json_auto_t *want = associations_normalise(cohd_ec2_prop(ctx, "Associations"));
	json_auto_t *have = associations_normalise(
		cohd_rec_json_path(ctx->live ? ctx->live->attrs : NULL, "Associations"));
	const json_t *w;
	size_t i;

	if (!table_id(ctx) || !want || !have)
		return -EINVAL;
	json_array_foreach(want, i, w)
		if (!cohd_ec2_set_has(have, w)) {
			*ret = json_pack("{s:s, s:O}", "RouteTableId", table_id(ctx), "SubnetId",
					 json_object_get(w, "SubnetId"));
			return *ret ? 0 : -ENOMEM;
		}
	return -EOPNOTSUPP; /* only extra associations: DisassociateRouteTable */
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
 * AssociateRouteTable take one each); they always compare equal. The whole lists are compared
 * and corrected by the "Routes" and "Associations" fields. The compiler emits at most one route
 * and one association per zone (at most 4 zones); more elements are set by the drift
 * correction on later passes. */
static const struct cohd_rec_field rtb_fields[] = {
	{ .path = "VpcId", .flags = COHD_REC_F_REPLACE },
	{ .path = "Routes", .normalise = routes_normalise, .update_op = "ReplaceRoute",
	  .update_params = replace_route_params, .flags = COHD_REC_F_ONE_PER_CALL },
	{ .path = "Associations", .normalise = associations_normalise,
	  .update_op = "AssociateRouteTable", .update_params = associate_params,
	  .flags = COHD_REC_F_ONE_PER_CALL },
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
	.delete_op = "DeleteRouteTable",
	.gone_codes = rtb_gone,
};
