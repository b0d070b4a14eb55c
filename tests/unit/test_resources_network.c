/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the EC2 network resource types (lib/resources/ec2_*.c) driven through the real
 * reconcile engine against an in-memory fake EC2 that behaves like AWS where it matters (tags,
 * filters, ClientToken, NAT gateway states, default egress rule, local route, DependencyViolation,
 * duplicate rules and routes). The desired graph is the real compiler's output for
 * tests/data/plans/data.yml, so the types are tested on exactly the properties the compiler
 * emits. Every call the engine makes is also serialised against the embedded botocore EC2 model
 * (cohd_aws_serialize), so a wrong member name in any builder fails the test. No network, no
 * libuv, a fake clock.
 */
#include <jansson.h>

#include "lib/aws/protocols/protocols.h"
#include "lib/config/app.h"
#include "lib/model/compile.h"
#include "lib/reconcile/reconcile.h"
#include "lib/resources/ec2_common.h"
#include "lib/resources/resources.h"
#include "rec_fake.h"
#include "test.h"

/* ---- the fake world (the ports: tests/helpers/rec_fake.h) ---- */

static struct {
	json_t *aws;	/* {"Vpcs": [...], "Subnets": [...], ...} */
	json_t *tokens; /* ClientToken -> NatGatewayId */
	unsigned next_id;
} W;

/* Every params document must serialise against botocore's EC2 model. */
static void assert_serialises(const char *op, const json_t *params)
{
	rec_fake_check_serialises("ec2", op, params, "fake EC2");
}

static json_t *list_of(const char *key)
{
	json_t *l = json_object_get(W.aws, key);

	if (!l) {
		l = json_array();
		json_object_set_new(W.aws, key, l);
	}
	return l;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_t *find(const char *list, const char *id_key, const char *id)
{
	json_t *it;
	size_t i;

	json_array_foreach(list_of(list), i, it)
		if (streq_ptr(str(it, id_key), id))
			return it;
	return NULL;
}

static void drop(const char *list, const char *id_key, const char *id)
{
	json_t *l = list_of(list), *it;
	size_t i;

	json_array_foreach(l, i, it)
		if (streq_ptr(str(it, id_key), id)) {
			json_array_remove(l, i);
			return;
		}
}

static const char *tag_of(const json_t *item, const char *key)
{
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(item, "Tags"), i, t)
		if (streq_ptr(str(t, "Key"), key))
			return str(t, "Value");
	return NULL;
}

/* Item by its cohd:id tag (tests look resources up the way cohd does). */
static json_t *by_lid(const char *list, const char *lid)
{
	json_t *it;
	size_t i;

	json_array_foreach(list_of(list), i, it)
		if (streq_ptr(tag_of(it, "cohd:id"), lid))
			return it;
	return NULL;
}

static int ec2_fail(struct cohd_aws_error *err, const char *code)
{
	err->code = strdup(code);
	err->message = strdup("fake EC2 says no");
	err->http_status = 400;
	err->class = cohd_aws_error_classify(code, 400, NULL);
	return -EREMOTEIO;
}

static char *new_id(const char *prefix)
{
	char *s;

	ck_assert_int_ge(asprintf(&s, "%s-%08x", prefix, ++W.next_id), 0);
	return s;
}

static json_t *tags_of_create(const json_t *params)
{
	const json_t *t = json_object_get(json_array_get(json_object_get(params,
									  "TagSpecifications"),
							 0),
					  "Tags");

	return t ? json_deep_copy(t) : json_array();
}

/* The families of describe calls: list key, id key, id-list member, filter member. */
static const struct {
	const char *op, *list, *id_key, *ids, *filter;
} describes[] = {
	{ "DescribeVpcs", "Vpcs", "VpcId", "VpcIds", "Filters" },
	{ "DescribeSubnets", "Subnets", "SubnetId", "SubnetIds", "Filters" },
	{ "DescribeInternetGateways", "InternetGateways", "InternetGatewayId", "InternetGatewayIds",
	  "Filters" },
	{ "DescribeAddresses", "Addresses", "AllocationId", "AllocationIds", "Filters" },
	{ "DescribeNatGateways", "NatGateways", "NatGatewayId", "NatGatewayIds", "Filter" },
	{ "DescribeRouteTables", "RouteTables", "RouteTableId", "RouteTableIds", "Filters" },
	{ "DescribeSecurityGroups", "SecurityGroups", "GroupId", "GroupIds", "Filters" },
};

static bool filter_ok(const json_t *item, const json_t *filters)
{
	const json_t *f;
	size_t i;

	json_array_foreach(filters, i, f) {
		const char *name = str(f, "Name"), *have;
		const json_t *v;
		size_t k;
		bool hit = false;

		if (strncmp(name, "tag:", 4) == 0)
			have = tag_of(item, name + 4);
		else if (streq(name, "group-name"))
			have = str(item, "GroupName");
		else if (streq(name, "state"))
			have = str(item, "State");
		else
			ck_abort_msg("fake EC2: unknown filter %s", name);
		json_array_foreach(json_object_get(f, "Values"), k, v)
			hit |= streq_ptr(have, json_string_value(v));
		if (!hit)
			return false;
	}
	return true;
}

static int describe(size_t d, const json_t *params, json_t **ret)
{
	const json_t *ids = json_object_get(params, describes[d].ids);
	json_t *out = json_array(), *it;
	size_t i;

	json_array_foreach(list_of(describes[d].list), i, it) {
		const json_t *x;
		size_t k;
		bool hit = !ids;

		json_array_foreach(ids, k, x)
			hit |= streq_ptr(json_string_value(x), str(it, describes[d].id_key));
		if (!hit || !filter_ok(it, json_object_get(params, describes[d].filter)))
			continue;
		/* NAT gateways move on by themselves: pending -> available, deleting -> deleted
		 * (which stay listed, as on AWS). */
		if (streq_ptr(str(it, "State"), "pending"))
			json_object_set_new(it, "State", json_string("available"));
		else if (streq_ptr(str(it, "State"), "deleting"))
			json_object_set_new(it, "State", json_string("deleted"));
		json_array_append_new(out, json_deep_copy(it));
	}
	*ret = json_pack("{s:o}", describes[d].list, out);
	return 0;
}

static bool nat_uses(const char *key, const char *value)
{
	json_t *n;
	size_t i;

	json_array_foreach(list_of("NatGateways"), i, n) {
		const char *s = str(n, "State");

		if (streq_ptr(s, "deleted"))
			continue;
		if (streq(key, "AllocationId") &&
		    streq_ptr(json_string_value(json_object_get(
				      json_array_get(json_object_get(n, "NatGatewayAddresses"), 0),
				      "AllocationId")),
			      value))
			return true;
		if (streq(key, "SubnetId") && streq_ptr(str(n, "SubnetId"), value))
			return true;
	}
	return false;
}

static json_t *find_route(json_t *rtb, const json_t *params)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(rtb, "Routes"), i, r)
		if (json_equal(json_object_get(r, "DestinationCidrBlock"),
			       json_object_get(params, "DestinationCidrBlock")))
			return r;
	return NULL;
}

static void set_route_target(json_t *route, const json_t *params)
{
	static const char *const targets[] = { "GatewayId", "NatGatewayId" };

	for (size_t i = 0; i < ELEMENTSOF(targets); i++) {
		json_object_del(route, targets[i]);
		if (json_object_get(params, targets[i]))
			json_object_set(route, targets[i], json_object_get(params, targets[i]));
	}
}

/* A rule as the fake keeps it, for comparison: no account ids, no empty lists. */
static json_t *rule_key(const json_t *perm)
{
	json_t *k = json_deep_copy(perm), *v, *pair;
	const char *key;
	void *tmp;
	size_t i;

	json_object_foreach_safe(k, tmp, key, v)
		if (json_is_array(v) && json_array_size(v) == 0)
			json_object_del(k, key);
	json_array_foreach(json_object_get(k, "UserIdGroupPairs"), i, pair)
		json_object_del(pair, "UserId");
	return k;
}

/* One flattened rule per peer, as AWS keeps them; duplicates are refused. */
static int authorize(json_t *sg, const char *list, const json_t *params,
		     struct cohd_aws_error *err)
{
	json_t *rules = json_object_get(sg, list);
	const json_t *p, *pair;
	size_t i, k;

	json_array_foreach(json_object_get(params, "IpPermissions"), i, p) {
		json_auto_t *stored = json_deep_copy(p);
		json_t *have;
		size_t j;

		json_array_foreach(json_object_get(stored, "UserIdGroupPairs"), k, pair)
			json_object_set_new((json_t *)pair, "UserId", json_string("123456789012"));
		json_array_foreach(rules, j, have) {
			json_auto_t *a = rule_key(have), *b = rule_key(stored);

			if (json_equal(a, b))
				return ec2_fail(err, "InvalidPermission.Duplicate");
		}
		json_array_append(rules, stored);
	}
	return 0;
}

/* The bastion: reservations holding one instance each, as RunInstances makes them. */
static json_t *reservation_of(const char *instance_id)
{
	json_t *r;
	size_t i;

	json_array_foreach(list_of("Reservations"), i, r)
		if (streq_ptr(str(json_array_get(json_object_get(r, "Instances"), 0), "InstanceId"),
			      instance_id))
			return r;
	return NULL;
}

static int fake_revoke(json_t *sg, const char *list, const json_t *params,
		       struct cohd_aws_error *err)
{
	json_t *rules = json_object_get(sg, list);
	const json_t *p;
	size_t i;

	json_array_foreach(json_object_get(params, "IpPermissions"), i, p) {
		json_auto_t *want = rule_key(p);
		json_t *have;
		size_t j;
		bool found = false;

		json_array_foreach(rules, j, have) {
			json_auto_t *k = rule_key(have);

			if (json_equal(k, want)) {
				json_array_remove(rules, j);
				found = true;
				break;
			}
		}
		if (!found)
			return ec2_fail(err, "InvalidPermission.NotFound");
	}
	return 0;
}

static int exec_instance(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	json_t *res, *inst;

	if (streq(op, "DescribeInstances")) {
		const json_t *ids = json_object_get(p, "InstanceIds");
		json_t *out = json_array();
		size_t i;

		json_array_foreach(list_of("Reservations"), i, res) {
			const char *state;
			const json_t *f;
			size_t k;
			bool hit = !ids;

			inst = json_array_get(json_object_get(res, "Instances"), 0);
			json_array_foreach(ids, k, f)
				hit |= streq_ptr(json_string_value(f), str(inst, "InstanceId"));
			state = json_string_value(cohd_rec_json_path(inst, "State.Name"));
			json_array_foreach(json_object_get(p, "Filters"), k, f) {
				const char *name = str(f, "Name");
				const char *have = streq(name, "instance-state-name")
							   ? state
							   : tag_of(inst, name + 4);
				const json_t *v;
				size_t j;
				bool any = false;

				json_array_foreach(json_object_get(f, "Values"), j, v)
					any |= streq_ptr(have, json_string_value(v));
				hit &= any;
			}
			if (!hit)
				continue;
			if (streq_ptr(state, "pending"))
				json_object_set_new(json_object_get(inst, "State"), "Name",
						    json_string("running"));
			else if (streq_ptr(state, "shutting-down"))
				json_object_set_new(json_object_get(inst, "State"), "Name",
						    json_string("terminated"));
			json_array_append_new(out, json_deep_copy(res));
		}
		*ret = json_pack("{s:o}", "Reservations", out);
		return 0;
	}
	*ret = json_object();
	if (streq(op, "RunInstances")) {
		const char *token = str(p, "ClientToken");
		_cleanup_free_ char *id = NULL, *rid = NULL;
		const json_t *g;
		json_t *groups = json_array();
		size_t i;

		ck_assert_ptr_nonnull(token);
		ck_assert_uint_eq(json_array_size(json_object_get(p, "TagSpecifications")), 2);
		if (json_object_get(W.tokens, token)) {
			json_decref(groups);
			json_decref(*ret);
			*ret = json_deep_copy(reservation_of(
				json_string_value(json_object_get(W.tokens, token))));
			return 0;
		}
		json_array_foreach(json_object_get(p, "SecurityGroupIds"), i, g)
			json_array_append_new(groups, json_pack("{s:O, s:s}", "GroupId", g,
								"GroupName", "x"));
		id = new_id("i");
		rid = new_id("r");
		inst = json_pack("{s:s, s:s, s:O, s:O, s:{s:i, s:s}, s:o, s:{s:s}, s:O, s:o}",
				 "InstanceId", id, "ImageId", "ami-0123456789abcdef0", "InstanceType",
				 json_object_get(p, "InstanceType"), "SubnetId",
				 json_object_get(p, "SubnetId"), "State", "Code", 0, "Name",
				 "pending", "SecurityGroups", groups, "IamInstanceProfile", "Arn",
				 str(json_object_get(p, "IamInstanceProfile"), "Arn"),
				 "MetadataOptions", json_object_get(p, "MetadataOptions"), "Tags",
				 tags_of_create(p));
		ck_assert_ptr_nonnull(inst);
		res = json_pack("{s:s, s:[o]}", "ReservationId", rid, "Instances", inst);
		json_array_append(list_of("Reservations"), res);
		json_object_set_new(W.tokens, token, json_string(id));
		json_decref(*ret);
		*ret = json_deep_copy(res);
		json_decref(res);
		return 0;
	}
	if (streq(op, "TerminateInstances")) {
		res = reservation_of(json_string_value(json_array_get(json_object_get(p,
										      "InstanceIds"),
								      0)));
		if (!res)
			return ec2_fail(err, "InvalidInstanceID.NotFound");
		inst = json_array_get(json_object_get(res, "Instances"), 0);
		json_object_set_new(json_object_get(inst, "State"), "Name",
				    json_string("shutting-down"));
		return 0;
	}
	res = reservation_of(str(p, "InstanceId"));
	if (!res)
		return ec2_fail(err, "InvalidInstanceID.NotFound");
	inst = json_array_get(json_object_get(res, "Instances"), 0);
	if (streq(op, "ModifyInstanceAttribute")) {
		json_t *groups = json_array();
		const json_t *g;
		size_t i;

		json_array_foreach(json_object_get(p, "Groups"), i, g)
			json_array_append_new(groups, json_pack("{s:O, s:s}", "GroupId", g,
								"GroupName", "x"));
		json_object_set_new(inst, "SecurityGroups", groups);
		return 0;
	}
	if (streq(op, "ModifyInstanceMetadataOptions")) {
		const char *key;
		json_t *v;

		json_object_foreach((json_t *)p, key, v)
			if (!streq(key, "InstanceId"))
				json_object_set(json_object_get(inst, "MetadataOptions"), key, v);
		return 0;
	}
	ck_abort_msg("fake EC2: unexpected operation %s", op);
	return -EINVAL;
}

static int exec(const char *op, const json_t *p, json_t **ret, struct cohd_aws_error *err)
{
	_cleanup_free_ char *id = NULL;
	json_t *it;

	for (size_t d = 0; d < ELEMENTSOF(describes); d++)
		if (streq(op, describes[d].op))
			return describe(d, p, ret);
	if (strstr(op, "Instance"))
		return exec_instance(op, p, ret, err);
	*ret = json_object();
	if (streq(op, "DescribeVpcAttribute")) {
		const char *a = str(p, "Attribute");
		const char *key = streq(a, "enableDnsHostnames") ? "EnableDnsHostnames"
								  : "EnableDnsSupport";

		it = find("Vpcs", "VpcId", str(p, "VpcId"));
		if (!it)
			return ec2_fail(err, "InvalidVpcID.NotFound");
		json_object_set_new(*ret, key, json_pack("{s:O}", "Value",
							 json_object_get(it, key)));
		return 0;
	}
	if (streq(op, "CreateVpc")) {
		id = new_id("vpc");
		it = json_pack("{s:s, s:O, s:s, s:s, s:b, s:b, s:o}", "VpcId", id, "CidrBlock",
			       json_object_get(p, "CidrBlock"), "State", "available",
			       "InstanceTenancy", "default", "EnableDnsHostnames", 0,
			       "EnableDnsSupport", 1, "Tags", tags_of_create(p));
		json_array_append_new(list_of("Vpcs"), it);
		json_object_set_new(*ret, "Vpc", json_deep_copy(it));
		return 0;
	}
	if (streq(op, "ModifyVpcAttribute")) {
		const char *key;
		json_t *v;

		it = find("Vpcs", "VpcId", str(p, "VpcId"));
		if (!it)
			return ec2_fail(err, "InvalidVpcID.NotFound");
		json_object_foreach((json_t *)p, key, v)
			if (!streq(key, "VpcId"))
				json_object_set(it, key, json_object_get(v, "Value"));
		return 0;
	}
	if (streq(op, "DeleteVpc")) {
		const char *vpc = str(p, "VpcId");
		const char *lists[] = { "Subnets", "RouteTables", "SecurityGroups" };
		json_t *x;
		size_t i;

		if (!find("Vpcs", "VpcId", vpc))
			return ec2_fail(err, "InvalidVpcID.NotFound");
		for (size_t l = 0; l < ELEMENTSOF(lists); l++)
			json_array_foreach(list_of(lists[l]), i, x)
				if (streq_ptr(str(x, "VpcId"), vpc))
					return ec2_fail(err, "DependencyViolation");
		json_array_foreach(list_of("InternetGateways"), i, x)
			if (json_array_size(json_object_get(x, "Attachments")) > 0)
				return ec2_fail(err, "DependencyViolation");
		drop("Vpcs", "VpcId", vpc);
		return 0;
	}
	if (streq(op, "CreateSubnet")) {
		if (!find("Vpcs", "VpcId", str(p, "VpcId")))
			return ec2_fail(err, "InvalidVpcID.NotFound");
		ck_assert_ptr_nonnull(json_object_get(p, "AvailabilityZone"));
		id = new_id("subnet");
		it = json_pack("{s:s, s:O, s:O, s:O, s:s, s:b, s:o}", "SubnetId", id, "VpcId",
			       json_object_get(p, "VpcId"), "CidrBlock",
			       json_object_get(p, "CidrBlock"), "AvailabilityZone",
			       json_object_get(p, "AvailabilityZone"), "State", "available",
			       "MapPublicIpOnLaunch", 0, "Tags", tags_of_create(p));
		json_array_append_new(list_of("Subnets"), it);
		json_object_set_new(*ret, "Subnet", json_deep_copy(it));
		return 0;
	}
	if (streq(op, "ModifySubnetAttribute")) {
		it = find("Subnets", "SubnetId", str(p, "SubnetId"));
		if (!it)
			return ec2_fail(err, "InvalidSubnetID.NotFound");
		json_object_set(it, "MapPublicIpOnLaunch",
				json_object_get(json_object_get(p, "MapPublicIpOnLaunch"), "Value"));
		return 0;
	}
	if (streq(op, "DeleteSubnet")) {
		const char *s = str(p, "SubnetId");
		json_t *rtb;
		size_t i;

		if (!find("Subnets", "SubnetId", s))
			return ec2_fail(err, "InvalidSubnetID.NotFound");
		if (nat_uses("SubnetId", s))
			return ec2_fail(err, "DependencyViolation");
		/* AWS drops the subnet's route table association with it. */
		json_array_foreach(list_of("RouteTables"), i, rtb) {
			json_t *assocs = json_object_get(rtb, "Associations"), *a;
			size_t k;

			json_array_foreach(assocs, k, a)
				if (streq_ptr(str(a, "SubnetId"), s)) {
					json_array_remove(assocs, k);
					break;
				}
		}
		drop("Subnets", "SubnetId", s);
		return 0;
	}
	if (streq(op, "CreateInternetGateway")) {
		id = new_id("igw");
		it = json_pack("{s:s, s:[], s:o}", "InternetGatewayId", id, "Attachments", "Tags",
			       tags_of_create(p));
		json_array_append_new(list_of("InternetGateways"), it);
		json_object_set_new(*ret, "InternetGateway", json_deep_copy(it));
		return 0;
	}
	if (streq(op, "AttachInternetGateway")) {
		it = find("InternetGateways", "InternetGatewayId", str(p, "InternetGatewayId"));
		if (!it)
			return ec2_fail(err, "InvalidInternetGatewayID.NotFound");
		if (json_array_size(json_object_get(it, "Attachments")) > 0)
			return ec2_fail(err, "Resource.AlreadyAssociated");
		json_array_append_new(json_object_get(it, "Attachments"),
				      json_pack("{s:O, s:s}", "VpcId", json_object_get(p, "VpcId"),
						"State", "available"));
		return 0;
	}
	if (streq(op, "DetachInternetGateway")) {
		it = find("InternetGateways", "InternetGatewayId", str(p, "InternetGatewayId"));
		if (!it)
			return ec2_fail(err, "InvalidInternetGatewayID.NotFound");
		if (!streq_ptr(str(json_array_get(json_object_get(it, "Attachments"), 0), "VpcId"),
			       str(p, "VpcId")))
			return ec2_fail(err, "Gateway.NotAttached");
		json_array_clear(json_object_get(it, "Attachments"));
		return 0;
	}
	if (streq(op, "DeleteInternetGateway")) {
		it = find("InternetGateways", "InternetGatewayId", str(p, "InternetGatewayId"));
		if (!it)
			return ec2_fail(err, "InvalidInternetGatewayID.NotFound");
		if (json_array_size(json_object_get(it, "Attachments")) > 0)
			return ec2_fail(err, "DependencyViolation");
		drop("InternetGateways", "InternetGatewayId", str(p, "InternetGatewayId"));
		return 0;
	}
	if (streq(op, "AllocateAddress")) {
		ck_assert_str_eq(str(p, "Domain"), "vpc");
		id = new_id("eipalloc");
		it = json_pack("{s:s, s:s, s:s, s:o}", "AllocationId", id, "PublicIp",
			       "203.0.113.7", "Domain", "vpc", "Tags", tags_of_create(p));
		json_array_append_new(list_of("Addresses"), it);
		json_decref(*ret);
		*ret = json_pack("{s:s, s:s, s:s}", "AllocationId", id, "PublicIp", "203.0.113.7",
				 "Domain", "vpc");
		return 0;
	}
	if (streq(op, "ReleaseAddress")) {
		if (!find("Addresses", "AllocationId", str(p, "AllocationId")))
			return ec2_fail(err, "InvalidAllocationID.NotFound");
		if (nat_uses("AllocationId", str(p, "AllocationId")))
			return ec2_fail(err, "InvalidIPAddress.InUse");
		drop("Addresses", "AllocationId", str(p, "AllocationId"));
		return 0;
	}
	if (streq(op, "CreateNatGateway")) {
		const char *token = str(p, "ClientToken");

		ck_assert_ptr_nonnull(token);
		if (json_object_get(W.tokens, token)) {
			it = find("NatGateways", "NatGatewayId",
				  json_string_value(json_object_get(W.tokens, token)));
			json_object_set_new(*ret, "NatGateway", json_deep_copy(it));
			return 0;
		}
		it = find("Subnets", "SubnetId", str(p, "SubnetId"));
		if (!it)
			return ec2_fail(err, "InvalidSubnetID.NotFound");
		if (!find("Addresses", "AllocationId", str(p, "AllocationId")))
			return ec2_fail(err, "InvalidAllocationID.NotFound");
		id = new_id("nat");
		it = json_pack("{s:s, s:O, s:O, s:s, s:O, s:[{s:O, s:s}], s:o}", "NatGatewayId", id,
			       "SubnetId", json_object_get(p, "SubnetId"), "VpcId",
			       json_object_get(it, "VpcId"), "State", "pending",
			       "ConnectivityType", json_object_get(p, "ConnectivityType"),
			       "NatGatewayAddresses", "AllocationId",
			       json_object_get(p, "AllocationId"), "PublicIp", "203.0.113.7", "Tags",
			       tags_of_create(p));
		json_object_set_new(W.tokens, token, json_string(id));
		json_array_append_new(list_of("NatGateways"), it);
		json_object_set_new(*ret, "NatGateway", json_deep_copy(it));
		return 0;
	}
	if (streq(op, "DeleteNatGateway")) {
		it = find("NatGateways", "NatGatewayId", str(p, "NatGatewayId"));
		if (!it || streq_ptr(str(it, "State"), "deleted"))
			return ec2_fail(err, "NatGatewayNotFound");
		json_object_set_new(it, "State", json_string("deleting"));
		return 0;
	}
	if (streq(op, "CreateRouteTable")) {
		json_t *vpc = find("Vpcs", "VpcId", str(p, "VpcId"));

		if (!vpc)
			return ec2_fail(err, "InvalidVpcID.NotFound");
		id = new_id("rtb");
		it = json_pack("{s:s, s:O, s:[{s:O, s:s, s:s, s:s}], s:[], s:o}", "RouteTableId", id,
			       "VpcId", json_object_get(p, "VpcId"), "Routes",
			       "DestinationCidrBlock", json_object_get(vpc, "CidrBlock"),
			       "GatewayId", "local", "Origin", "CreateRouteTable", "State",
			       "active", "Associations", "Tags", tags_of_create(p));
		json_array_append_new(list_of("RouteTables"), it);
		json_object_set_new(*ret, "RouteTable", json_deep_copy(it));
		return 0;
	}
	if (streq(op, "CreateRoute") || streq(op, "ReplaceRoute")) {
		json_t *route;

		it = find("RouteTables", "RouteTableId", str(p, "RouteTableId"));
		if (!it)
			return ec2_fail(err, "InvalidRouteTableID.NotFound");
		route = find_route(it, p);
		if (streq(op, "CreateRoute")) {
			if (route)
				return ec2_fail(err, "RouteAlreadyExists");
			route = json_pack("{s:O, s:s, s:s}", "DestinationCidrBlock",
					  json_object_get(p, "DestinationCidrBlock"), "Origin",
					  "CreateRoute", "State", "active");
			json_array_append_new(json_object_get(it, "Routes"), route);
		} else if (!route)
			return ec2_fail(err, "InvalidParameterValue");
		set_route_target(route, p);
		json_object_set_new(route, "State", json_string("active"));
		return 0;
	}
	if (streq(op, "AssociateRouteTable")) {
		json_t *rtb;
		size_t i;

		it = find("RouteTables", "RouteTableId", str(p, "RouteTableId"));
		if (!it)
			return ec2_fail(err, "InvalidRouteTableID.NotFound");
		if (!find("Subnets", "SubnetId", str(p, "SubnetId")))
			return ec2_fail(err, "InvalidSubnetID.NotFound");
		json_array_foreach(list_of("RouteTables"), i, rtb) {
			const json_t *a;
			size_t k;

			json_array_foreach(json_object_get(rtb, "Associations"), k, a)
				if (streq_ptr(str(a, "SubnetId"), str(p, "SubnetId")))
					return ec2_fail(err, "Resource.AlreadyAssociated");
		}
		id = new_id("rtbassoc");
		json_array_append_new(json_object_get(it, "Associations"),
				      json_pack("{s:b, s:s, s:O, s:O, s:{s:s}}", "Main", 0,
						"RouteTableAssociationId", id, "RouteTableId",
						json_object_get(p, "RouteTableId"), "SubnetId",
						json_object_get(p, "SubnetId"), "AssociationState",
						"State", "associated"));
		json_object_set_new(*ret, "AssociationId", json_string(id));
		return 0;
	}
	if (streq(op, "DeleteRoute")) {
		json_t *routes;
		size_t i;

		it = find("RouteTables", "RouteTableId", str(p, "RouteTableId"));
		if (!it)
			return ec2_fail(err, "InvalidRouteTableID.NotFound");
		routes = json_object_get(it, "Routes");
		json_array_foreach(routes, i, it)
			if (json_equal(json_object_get(it, "DestinationCidrBlock"),
				       json_object_get(p, "DestinationCidrBlock"))) {
				json_array_remove(routes, i);
				return 0;
			}
		return ec2_fail(err, "InvalidRoute.NotFound");
	}
	if (streq(op, "DisassociateRouteTable")) {
		json_t *rtb;
		size_t i;

		json_array_foreach(list_of("RouteTables"), i, rtb) {
			json_t *assocs = json_object_get(rtb, "Associations"), *a;
			size_t k;

			json_array_foreach(assocs, k, a)
				if (streq_ptr(str(a, "RouteTableAssociationId"),
					      str(p, "AssociationId"))) {
					json_array_remove(assocs, k);
					return 0;
				}
		}
		return ec2_fail(err, "InvalidAssociationID.NotFound");
	}
	if (streq(op, "DeleteRouteTable")) {
		it = find("RouteTables", "RouteTableId", str(p, "RouteTableId"));
		if (!it)
			return ec2_fail(err, "InvalidRouteTableID.NotFound");
		if (json_array_size(json_object_get(it, "Associations")) > 0)
			return ec2_fail(err, "DependencyViolation");
		drop("RouteTables", "RouteTableId", str(p, "RouteTableId"));
		return 0;
	}
	if (streq(op, "CreateSecurityGroup")) {
		json_t *sg;
		size_t i;

		json_array_foreach(list_of("SecurityGroups"), i, sg)
			if (streq_ptr(str(sg, "GroupName"), str(p, "GroupName")) &&
			    streq_ptr(str(sg, "VpcId"), str(p, "VpcId")))
				return ec2_fail(err, "InvalidGroup.Duplicate");
		id = new_id("sg");
		/* AWS adds the all-traffic egress rule to every new group. */
		it = json_pack("{s:s, s:O, s:O, s:O, s:[], s:[{s:s, s:[{s:s}], s:[], s:[], s:[]}], "
			       "s:o}",
			       "GroupId", id, "GroupName", json_object_get(p, "GroupName"),
			       "Description", json_object_get(p, "Description"), "VpcId",
			       json_object_get(p, "VpcId"), "IpPermissions", "IpPermissionsEgress",
			       "IpProtocol", "-1", "IpRanges", "CidrIp", "0.0.0.0/0", "Ipv6Ranges",
			       "PrefixListIds", "UserIdGroupPairs", "Tags", tags_of_create(p));
		json_array_append_new(list_of("SecurityGroups"), it);
		json_object_set_new(*ret, "GroupId", json_string(id));
		json_object_set_new(*ret, "Tags", json_deep_copy(json_object_get(it, "Tags")));
		return 0;
	}
	if (streq(op, "AuthorizeSecurityGroupIngress") || streq(op, "AuthorizeSecurityGroupEgress")) {
		it = find("SecurityGroups", "GroupId", str(p, "GroupId"));
		if (!it)
			return ec2_fail(err, "InvalidGroup.NotFound");
		return authorize(it, strstr(op, "Egress") ? "IpPermissionsEgress" : "IpPermissions",
				 p, err);
	}
	if (streq(op, "RevokeSecurityGroupIngress") || streq(op, "RevokeSecurityGroupEgress")) {
		it = find("SecurityGroups", "GroupId", str(p, "GroupId"));
		if (!it)
			return ec2_fail(err, "InvalidGroup.NotFound");
		return fake_revoke(it, strstr(op, "Egress") ? "IpPermissionsEgress" : "IpPermissions", p,
			      err);
	}
	if (streq(op, "DeleteSecurityGroup")) {
		json_t *sg;
		size_t i;

		if (!find("SecurityGroups", "GroupId", str(p, "GroupId")))
			return ec2_fail(err, "InvalidGroup.NotFound");
		/* Referenced by another group's rules: AWS refuses. */
		json_array_foreach(list_of("SecurityGroups"), i, sg) {
			_cleanup_free_ char *rules = json_dumps(json_object_get(sg, "IpPermissions"),
								 0);

			if (!streq_ptr(str(sg, "GroupId"), str(p, "GroupId")) &&
			    strstr(rules, str(p, "GroupId")))
				return ec2_fail(err, "DependencyViolation");
		}
		drop("SecurityGroups", "GroupId", str(p, "GroupId"));
		return 0;
	}
	if (streq(op, "DeleteTags")) {
		const char *rid = json_string_value(json_array_get(json_object_get(p, "Resources"), 0));
		const json_t *k;
		size_t i;

		for (size_t d = 0; d < ELEMENTSOF(describes); d++)
			if ((it = find(describes[d].list, describes[d].id_key, rid))) {
				json_t *tags = json_object_get(it, "Tags");

				json_array_foreach(json_object_get(p, "Tags"), i, k)
					for (size_t t = json_array_size(tags); t-- > 0;)
						if (streq_ptr(str(json_array_get(tags, t), "Key"),
							      str(k, "Key")))
							json_array_remove(tags, t);
				return 0;
			}
		return ec2_fail(err, "InvalidID");
	}
	if (streq(op, "CreateTags")) {
		const char *rid = json_string_value(json_array_get(json_object_get(p, "Resources"), 0));

		for (size_t d = 0; d < ELEMENTSOF(describes); d++)
			if ((it = find(describes[d].list, describes[d].id_key, rid))) {
				json_array_extend(json_object_get(it, "Tags"),
						  json_object_get(p, "Tags"));
				return 0;
			}
		return ec2_fail(err, "InvalidID");
	}
	ck_abort_msg("fake EC2: unexpected operation %s", op);
	return -EINVAL;
}

static int ec2_call(const struct cohd_rec_call *call, json_t **ret, struct cohd_aws_error *err)
{
	ck_assert_str_eq(call->service, "ec2");
	return exec(call->operation, call->params, ret, err);
}

/* Every call the engine makes is serialised against the real EC2 model. */
static const struct rec_fake_service fake_ec2 = {
	.exec = ec2_call,
	.serialise = true,
};

static void world_init(void)
{
	rec_fake_init(&fake_ec2);
	W = (typeof(W)){};
	W.aws = json_object();
	W.tokens = json_object();
}

static void world_done(void)
{
	json_decref(W.aws);
	json_decref(W.tokens);
	rec_fake_done();
}

/* ---- the desired graph: the compiler's network resources for data.yml ---- */

static const struct cohd_rec_type *const net_types[] = {
	&cohd_resource_ec2_instance,
	&cohd_resource_ec2_vpc,
	&cohd_resource_ec2_subnet,
	&cohd_resource_ec2_internet_gateway,
	&cohd_resource_ec2_eip,
	&cohd_resource_ec2_nat_gateway,
	&cohd_resource_ec2_route_table,
	&cohd_resource_ec2_security_group,
	NULL,
};

static bool is_net_type(const char *t)
{
	for (size_t i = 0; net_types[i]; i++)
		if (streq(net_types[i]->name, t))
			return true;
	return false;
}

static struct cohd_graph *network_graph(void)
{
	_cleanup_(cohd_app_freep) struct cohd_app *app = NULL;
	_cleanup_(cohd_graph_freep) struct cohd_graph *full = NULL;
	struct cohd_model_options opts = COHD_MODEL_OPTIONS_INIT;
	struct cohd_diag_list diags = {};
	struct cohd_error err = {};
	struct cohd_graph *g = cohd_graph_new();

	ck_assert_int_eq(cohd_app_load_file(test_data_path("plans/data.yml"), &diags, &app), 0);
	cohd_diag_list_done(&diags);
	opts.region = "eu-west-1";
	ck_assert_int_eq(cohd_model_compile(app, &opts, &full, &err), 0);
	for (size_t i = 0; i < cohd_graph_size(full); i++) {
		const struct cohd_resource *r = cohd_graph_get(full, i);
		struct cohd_resource *n;
		const char *k;
		json_t *v;

		if (!is_net_type(r->type))
			continue;
		ck_assert_int_eq(cohd_graph_add(g, r->type, r->id, r->name, r->scope,
						json_deep_copy(r->properties), &n),
				 0);
		/* The instance profile is another type's (iam.instance_profile): a fixed ARN. */
		if (streq(r->type, "ec2.instance"))
			json_object_set_new(json_object_get(n->properties, "IamInstanceProfile"),
					    "Arn",
					    json_string("arn:aws:iam::123456789012:instance-profile/"
							"cohd/ledger-bastion"));
		json_object_foreach(r->tags, k, v)
			cohd_resource_tag(n, k, json_string_value(v));
		for (size_t d = 0; d < r->n_depends_on; d++) {
			const struct cohd_resource *dep = cohd_graph_find(full, r->depends_on[d]);

			if (dep && is_net_type(dep->type) &&
			    !(streq(r->type, "ec2.instance") && streq(dep->type, "ec2.instance")))
				cohd_resource_depend(n, r->depends_on[d]);
		}
	}
	ck_assert_int_eq(cohd_graph_finalize(g, &err), 0);
	cohd_error_done(&err);
	return g;
}

static const char *const azs[] = { "eu-west-1a", "eu-west-1b", "eu-west-1c", NULL };

static struct cohd_rec_engine *engine(void)
{
	struct cohd_rec_config cfg = {
		.app = "ledger", .environment = "production", .env_type = 0,
		.region = "eu-west-1", .account = "123456789012", .partition = "aws",
		.azs = azs, .types = net_types,
	};
	struct cohd_rec_engine *e = NULL;

	ck_assert_int_eq(cohd_rec_engine_new(&rec_fake_ops, &cfg, &e), 0);
	return e;
}

static unsigned count_ops(const char *op)
{
	const json_t *x;
	unsigned n = 0;
	size_t i;

	json_array_foreach (RF.mut_log, i, x)
		n += streq(str(x, "op"), op);
	return n;
}

static void assert_synced(struct cohd_rec_engine *e)
{
	json_auto_t *st = cohd_rec_engine_status(e);
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(st, "resources"), i, r) {
		_cleanup_free_ char *d = json_dumps(r, JSON_COMPACT);

		ck_assert_msg(streq_ptr(str(r, "sync"), "synced"), "not synced: %s", d);
	}
}

/* ---- tests ---- */

static void converge(struct cohd_rec_engine *e, struct cohd_graph *g)
{
	unsigned n = rec_fake_run_pass(e, g, NULL);

	ck_assert_uint_gt(n, 0);
}

START_TEST(test_converge_from_nothing)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = NULL;
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_t *pub0, *priv1, *igw, *nat, *rtb_pub, *rtb_priv, *sg, *eip;
	const json_t *x;
	size_t i;

	world_init();
	g = network_graph();
	e = engine();
	converge(e, g);
	if (getenv("DEBUG_STATUS")) {
		json_auto_t *st = cohd_rec_engine_status(e);
		json_dumpf(st, stderr, JSON_INDENT(1));
	}
	/* Converged in one pass. A group whose egress is AWS's default re-authorizes it once (a
	 * duplicate that counts as done: the engine makes at least one call per action). */
	assert_synced(e);
	/* ecs, inbound, db, cache, default */
	ck_assert_uint_eq(count_ops("AuthorizeSecurityGroupEgress"), 5);
	ck_assert_uint_eq(count_ops("RevokeSecurityGroupEgress"), 3); /* default, db-/cache-access */

	ck_assert_uint_eq(json_array_size(list_of("Vpcs")), 1);
	ck_assert_uint_eq(json_array_size(list_of("Subnets")), 4);
	pub0 = by_lid("Subnets", "app/subnet/public-0");
	priv1 = by_lid("Subnets", "app/subnet/private-1");
	ck_assert_ptr_nonnull(pub0);
	ck_assert_ptr_nonnull(priv1);
	ck_assert_str_eq(str(pub0, "AvailabilityZone"), "eu-west-1a");
	ck_assert_str_eq(str(priv1, "AvailabilityZone"), "eu-west-1b");
	ck_assert(json_is_true(json_object_get(pub0, "MapPublicIpOnLaunch")));
	ck_assert(json_is_false(json_object_get(priv1, "MapPublicIpOnLaunch")));
	ck_assert_str_eq(tag_of(pub0, "ManagedBy"), "coherence");
	ck_assert_str_eq(tag_of(pub0, "Name"), "ledger-b6ce48-public-0");

	igw = by_lid("InternetGateways", "app/igw");
	ck_assert_str_eq(str(json_array_get(json_object_get(igw, "Attachments"), 0), "VpcId"),
			 str(json_array_get(list_of("Vpcs"), 0), "VpcId"));

	eip = by_lid("Addresses", "app/nat-eip");
	nat = by_lid("NatGateways", "app/nat");
	ck_assert_str_eq(str(nat, "State"), "available");
	ck_assert_str_eq(str(nat, "SubnetId"), str(pub0, "SubnetId"));
	ck_assert_str_eq(str(json_array_get(json_object_get(nat, "NatGatewayAddresses"), 0),
			     "AllocationId"),
			 str(eip, "AllocationId"));
	ck_assert_uint_eq(count_ops("CreateNatGateway"), 1);

	rtb_pub = by_lid("RouteTables", "app/route-table/public");
	rtb_priv = by_lid("RouteTables", "app/route-table/private");
	ck_assert_uint_eq(json_array_size(json_object_get(rtb_pub, "Routes")), 2); /* + local */
	ck_assert_str_eq(str(json_array_get(json_object_get(rtb_pub, "Routes"), 1), "GatewayId"),
			 str(igw, "InternetGatewayId"));
	ck_assert_str_eq(str(json_array_get(json_object_get(rtb_priv, "Routes"), 1),
			     "NatGatewayId"),
			 str(nat, "NatGatewayId"));
	ck_assert_uint_eq(json_array_size(json_object_get(rtb_pub, "Associations")), 2);
	ck_assert_uint_eq(json_array_size(json_object_get(rtb_priv, "Associations")), 2);

	ck_assert_uint_eq(json_array_size(list_of("SecurityGroups")), 7);
	sg = by_lid("SecurityGroups", "app/sg/db");
	ck_assert_str_eq(str(sg, "GroupName"), "ledger-b6ce48-db");
	/* 5432 and 3306 from db-access, and the rule naming the group itself (test_self_reference) */
	ck_assert_uint_eq(json_array_size(json_object_get(sg, "IpPermissions")), 3);
	json_array_foreach(json_object_get(sg, "IpPermissions"), i, x) {
		const char *peer = str(json_array_get(json_object_get(x, "UserIdGroupPairs"), 0),
				       "GroupId");

		ck_assert(streq_ptr(peer, str(by_lid("SecurityGroups", "app/sg/db-access"),
					      "GroupId")) ||
			  streq_ptr(peer, str(sg, "GroupId")));
	}
	/* Egress equal to AWS's default: never re-authorized (it would be a duplicate). */
	sg = by_lid("SecurityGroups", "app/sg/ecs");
	ck_assert_uint_eq(json_array_size(json_object_get(sg, "IpPermissionsEgress")), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(sg, "IpPermissions")), 0);

	/* The bastion: one RunInstances (with its token), running, in private-0, IMDSv2. */
	{
		json_t *res = json_array_get(list_of("Reservations"), 0);
		json_t *inst = json_array_get(json_object_get(res, "Instances"), 0);

		ck_assert_uint_eq(json_array_size(list_of("Reservations")), 1);
		ck_assert_uint_eq(count_ops("RunInstances"), 1);
		ck_assert_str_eq(json_string_value(cohd_rec_json_path(inst, "State.Name")),
				 "running");
		ck_assert_str_eq(str(inst, "SubnetId"), str(by_lid("Subnets",
								 "app/subnet/private-0"),
							  "SubnetId"));
		ck_assert_str_eq(json_string_value(cohd_rec_json_path(inst,
								      "MetadataOptions.HttpTokens")),
				 "required");
		ck_assert_str_eq(tag_of(inst, "cohd:id"), "app/bastion");
	}

	/* The second pass finds everything as wanted: not one mutating call. */
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	assert_synced(e);
	world_done();
}
END_TEST

START_TEST(test_drift_corrected)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = NULL;
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_t *pub1, *igw, *rtb_priv, *route, *sg, *assocs, *inst;
	size_t before;

	world_init();
	g = network_graph();
	e = engine();
	converge(e, g);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);

	/* Someone: turns off public IPs, detaches the IGW, points the private default route at
	 * the IGW, disassociates a public subnet, and removes the db group's rules. */
	pub1 = by_lid("Subnets", "app/subnet/public-1");
	json_object_set_new(pub1, "MapPublicIpOnLaunch", json_false());
	igw = by_lid("InternetGateways", "app/igw");
	json_array_clear(json_object_get(igw, "Attachments"));
	rtb_priv = by_lid("RouteTables", "app/route-table/private");
	route = json_array_get(json_object_get(rtb_priv, "Routes"), 1);
	json_object_del(route, "NatGatewayId");
	json_object_set_new(route, "GatewayId", json_string(str(igw, "InternetGatewayId")));
	assocs = json_object_get(by_lid("RouteTables", "app/route-table/public"), "Associations");
	json_array_remove(assocs, 1);
	sg = by_lid("SecurityGroups", "app/sg/db");
	json_array_remove(json_object_get(sg, "IpPermissions"), 0);
	/* ... and on the bastion: drops a group, allows IMDSv1. */
	inst = json_array_get(json_object_get(json_array_get(list_of("Reservations"), 0),
					      "Instances"),
			      0);
	json_array_remove(json_object_get(inst, "SecurityGroups"), 0);
	json_object_set_new(json_object_get(inst, "MetadataOptions"), "HttpTokens",
			    json_string("optional"));

	before = json_array_size(RF.mut_log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 7);
	ck_assert_uint_eq(count_ops("ModifySubnetAttribute"), 4 + 1);
	ck_assert_uint_eq(count_ops("AttachInternetGateway"), 1 + 1);
	ck_assert_uint_eq(count_ops("ReplaceRoute"), 1);
	ck_assert_uint_eq(count_ops("AssociateRouteTable"), 4 + 1);
	ck_assert_uint_eq(count_ops("AuthorizeSecurityGroupIngress"), 4 + 1);
	ck_assert_uint_eq(count_ops("ModifyInstanceAttribute"), 1);
	ck_assert_uint_eq(count_ops("ModifyInstanceMetadataOptions"), 1);
	ck_assert_uint_eq(json_array_size(RF.mut_log) - before, 7);
	ck_assert_uint_eq(json_array_size(json_object_get(inst, "SecurityGroups")), 4);
	ck_assert_str_eq(json_string_value(cohd_rec_json_path(inst, "MetadataOptions.HttpTokens")),
			 "required");

	ck_assert(json_is_true(json_object_get(pub1, "MapPublicIpOnLaunch")));
	ck_assert_uint_eq(json_array_size(json_object_get(igw, "Attachments")), 1);
	ck_assert_str_eq(str(route, "NatGatewayId"),
			 str(by_lid("NatGateways", "app/nat"), "NatGatewayId"));
	ck_assert_ptr_null(json_object_get(route, "GatewayId"));
	ck_assert_uint_eq(json_array_size(assocs), 2);
	ck_assert_uint_eq(json_array_size(json_object_get(sg, "IpPermissions")), 3);

	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	assert_synced(e);
	world_done();
}
END_TEST

/* A rule AWS stores merged (two peers in one IpPermission, different order, descriptions,
 * a protocol number) is the same rule set: no correction. */
START_TEST(test_rules_normalised)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = NULL;
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_t *sg, *rules, *merged, *x;
	const char *access;
	size_t i;

	world_init();
	g = network_graph();
	e = engine();
	converge(e, g);
	sg = by_lid("SecurityGroups", "app/sg/db");
	access = str(by_lid("SecurityGroups", "app/sg/db-access"), "GroupId");
	merged = json_pack("[{s:s, s:i, s:i, s:[{s:s, s:s, s:s}]}, "
			   "{s:s, s:i, s:i, s:[{s:s, s:s}], s:[]}]",
			   "IpProtocol", "6", "FromPort", 3306, "ToPort", 3306, "UserIdGroupPairs",
			   "GroupId", access, "UserId", "123456789012", "Description", "mysql",
			   "IpProtocol", "TCP", "FromPort", 5432, "ToPort", 5432,
			   "UserIdGroupPairs", "GroupId", access, "UserId", "123456789012",
			   "IpRanges");
	ck_assert_ptr_nonnull(merged);
	/* The group's rule naming itself stays as AWS stored it. */
	json_array_foreach(json_object_get(sg, "IpPermissions"), i, x)
		if (streq_ptr(str(json_array_get(json_object_get(x, "UserIdGroupPairs"), 0),
				  "GroupId"),
			      str(sg, "GroupId")))
			json_array_append(merged, x);
	ck_assert_uint_eq(json_array_size(merged), 3);
	json_object_set_new(sg, "IpPermissions", merged);
	rules = json_object_get(by_lid("SecurityGroups", "app/sg/inbound"), "IpPermissions");
	json_object_set_new(json_array_get(json_object_get(json_array_get(rules, 0), "IpRanges"), 0),
			    "Description", json_string("web"));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	assert_synced(e);
	world_done();
}
END_TEST

/* Someone opens SSH on the tasks' group and removes the ALB's port 80: one action, two calls
 * (Authorize what is missing, Revoke what is extra). AWS's default egress rule, revoked at
 * create where not wanted, is revoked again when someone adds it back. */
START_TEST(test_rules_corrected)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = NULL;
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_t *ecs, *inbound, *access;

	world_init();
	g = network_graph();
	e = engine();
	converge(e, g);
	access = by_lid("SecurityGroups", "app/sg/db-access");
	ck_assert_uint_eq(json_array_size(json_object_get(access, "IpPermissionsEgress")), 0);
	ecs = by_lid("SecurityGroups", "app/sg/ecs");
	json_array_append_new(json_object_get(ecs, "IpPermissions"),
			      json_pack("{s:s, s:i, s:i, s:[{s:s}]}", "IpProtocol", "tcp",
					"FromPort", 22, "ToPort", 22, "IpRanges", "CidrIp",
					"0.0.0.0/0"));
	inbound = by_lid("SecurityGroups", "app/sg/inbound");
	json_array_append_new(json_object_get(inbound, "IpPermissions"),
			      json_pack("{s:s, s:i, s:i, s:[{s:s}]}", "IpProtocol", "tcp",
					"FromPort", 8080, "ToPort", 8080, "IpRanges", "CidrIp",
					"10.0.0.0/8"));
	json_array_remove(json_object_get(inbound, "IpPermissions"), 0);
	json_array_append_new(json_object_get(access, "IpPermissionsEgress"),
			      json_pack("{s:s, s:[{s:s}]}", "IpProtocol", "-1", "IpRanges",
					"CidrIp", "0.0.0.0/0"));
	json_array_clear(RF.mut_log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 4);
	ck_assert_uint_eq(count_ops("RevokeSecurityGroupIngress"), 2);
	ck_assert_uint_eq(count_ops("AuthorizeSecurityGroupIngress"), 1);
	ck_assert_uint_eq(count_ops("RevokeSecurityGroupEgress"), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(ecs, "IpPermissions")), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(inbound, "IpPermissions")), 2);
	ck_assert_uint_eq(json_array_size(json_object_get(access, "IpPermissionsEgress")), 0);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	assert_synced(e);
	world_done();
}
END_TEST

/* The internet gateway found attached to another VPC: detached from it, attached to ours. */
START_TEST(test_igw_moved_back)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = NULL;
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_t *igw, *att;

	world_init();
	g = network_graph();
	e = engine();
	converge(e, g);
	igw = by_lid("InternetGateways", "app/igw");
	att = json_array_get(json_object_get(igw, "Attachments"), 0);
	json_object_set_new(att, "VpcId", json_string("vpc-elsewhere"));
	json_array_clear(RF.mut_log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 2);
	ck_assert_str_eq(str(json_array_get(RF.mut_log, 0), "op"), "DetachInternetGateway");
	ck_assert_str_eq(str(json_array_get(RF.mut_log, 1), "op"), "AttachInternetGateway");
	ck_assert_str_eq(str(json_array_get(json_object_get(igw, "Attachments"), 0), "VpcId"),
			 str(by_lid("Vpcs", "app/vpc"), "VpcId"));
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	world_done();
}
END_TEST

/* Replacing the NAT gateway (its subnet changed): the new one is created first, the private
 * route moves to it in the same pass (resolved against the new gateway), and only then is the old
 * one deleted: no blackhole route in between, nothing left for the next pass. */
START_TEST(test_nat_replaced)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = NULL;
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_t *nat, *route;
	_cleanup_free_ char *old = NULL;
	size_t i, created = SIZE_MAX, moved = SIZE_MAX, deleted = SIZE_MAX;
	const json_t *x;

	world_init();
	g = network_graph();
	e = engine();
	converge(e, g);
	nat = by_lid("NatGateways", "app/nat");
	old = strdup(str(nat, "NatGatewayId"));
	/* Someone recreated it elsewhere by hand, with our tags: SubnetId drifted. */
	json_object_set(nat, "SubnetId",
			json_object_get(by_lid("Subnets", "app/subnet/public-1"), "SubnetId"));
	json_array_clear(RF.mut_log);
	rec_fake_run_pass(e, g, NULL);
	ck_assert_uint_eq(count_ops("CreateNatGateway"), 1);
	ck_assert_uint_eq(count_ops("ReplaceRoute"), 1);
	ck_assert_uint_eq(count_ops("DeleteNatGateway"), 1);
	json_array_foreach (RF.mut_log, i, x) {
		if (streq(str(x, "op"), "CreateNatGateway"))
			created = i;
		else if (streq(str(x, "op"), "ReplaceRoute"))
			moved = i;
		else if (streq(str(x, "op"), "DeleteNatGateway"))
			deleted = i;
	}
	ck_assert_uint_lt(created, moved);
	ck_assert_uint_lt(moved, deleted);
	ck_assert_str_eq(str(find("NatGateways", "NatGatewayId", old), "State"), "deleted");
	route = json_array_get(json_object_get(by_lid("RouteTables", "app/route-table/private"),
					       "Routes"),
			       1);
	ck_assert_str_ne(str(route, "NatGatewayId"), old);
	ck_assert_str_eq(str(route, "NatGatewayId"),
			 str(json_array_get(list_of("NatGateways"), 1), "NatGatewayId"));
	assert_synced(e);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	assert_synced(e);
	world_done();
}
END_TEST

/* Removing everything: deletes run dependents first; the NAT gateway's delete waits for
 * "deleted" before its address is released; the internet gateway is detached before it is
 * deleted and the route tables' subnets are disassociated before they are (AWS refuses
 * otherwise); the VPC goes last. */
START_TEST(test_delete_order)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = NULL;
	_cleanup_(cohd_graph_freep) struct cohd_graph *empty = cohd_graph_new();
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	struct cohd_error err = {};
	const json_t *x;
	size_t i, nat_del = SIZE_MAX, eip_rel = SIZE_MAX, vpc_del = SIZE_MAX, rtb_del = 0;
	size_t detach = SIZE_MAX, igw_del = SIZE_MAX, disassoc = SIZE_MAX, term = SIZE_MAX;
	size_t sg_del = SIZE_MAX;

	world_init();
	g = network_graph();
	e = engine();
	converge(e, g);
	ck_assert_int_eq(cohd_graph_finalize(empty, &err), 0);
	json_array_clear(RF.mut_log);

	rec_fake_run_pass(e, empty, NULL);
	ck_assert_uint_eq(json_array_size(list_of("Vpcs")), 0);
	ck_assert_uint_eq(json_array_size(list_of("Subnets")), 0);
	ck_assert_uint_eq(json_array_size(list_of("SecurityGroups")), 0);
	ck_assert_uint_eq(json_array_size(list_of("Addresses")), 0);
	ck_assert_uint_eq(json_array_size(list_of("InternetGateways")), 0);
	ck_assert_uint_eq(json_array_size(list_of("RouteTables")), 0);
	json_array_foreach (RF.mut_log, i, x) {
		const char *op = str(x, "op");

		if (streq(op, "DeleteNatGateway"))
			nat_del = i;
		else if (streq(op, "ReleaseAddress") && eip_rel == SIZE_MAX)
			eip_rel = i;
		else if (streq(op, "DeleteVpc"))
			vpc_del = i;
		else if (streq(op, "DeleteRouteTable"))
			rtb_del = i;
		else if (streq(op, "DisassociateRouteTable") && disassoc == SIZE_MAX)
			disassoc = i;
		else if (streq(op, "DetachInternetGateway"))
			detach = i;
		else if (streq(op, "DeleteInternetGateway"))
			igw_del = i;
		else if (streq(op, "TerminateInstances"))
			term = i;
		else if (streq(op, "DeleteSecurityGroup") && sg_del == SIZE_MAX)
			sg_del = i;
	}
	ck_assert_uint_lt(nat_del, eip_rel);
	ck_assert_uint_lt(disassoc, rtb_del);
	ck_assert_uint_lt(rtb_del, vpc_del);
	ck_assert_uint_lt(detach, igw_del);
	ck_assert_uint_lt(igw_del, vpc_del);
	ck_assert_uint_lt(term, sg_del);
	ck_assert_uint_eq(count_ops("ReleaseAddress"), 1); /* after the NAT wait: no InUse */
	ck_assert_uint_eq(count_ops("DisassociateRouteTable"), 4);
	ck_assert_uint_eq(count_ops("DeleteVpc"), 1);
	ck_assert_str_eq(json_string_value(cohd_rec_json_path(
				 json_array_get(json_object_get(json_array_get(list_of("Reservations"),
									       0),
								"Instances"),
						0),
				 "State.Name")),
			 "terminated");
	world_done();
}
END_TEST

/* Groups whose rules name the group itself (the compiler's default, db and cache groups): each is
 * created without its ingress rules, which are authorized right after the create with the new
 * group's own GroupId, in the same pass; a second pass finds them as wanted. */
START_TEST(test_self_reference)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = NULL;
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	static const char *const selfish[] = { "app/sg/default", "app/sg/db", "app/sg/cache" };

	world_init();
	g = network_graph();
	e = engine();
	converge(e, g);
	assert_synced(e);
	ck_assert_uint_eq(json_array_size(list_of("SecurityGroups")), 7);
	for (size_t k = 0; k < ELEMENTSOF(selfish); k++) {
		json_t *sg = by_lid("SecurityGroups", selfish[k]);
		const char *own = str(sg, "GroupId");
		bool self_rule = false;
		const json_t *rule;
		size_t j;

		ck_assert_ptr_nonnull(sg);
		json_array_foreach(json_object_get(sg, "IpPermissions"), j, rule) {
			const json_t *pair;
			size_t p;

			json_array_foreach(json_object_get(rule, "UserIdGroupPairs"), p, pair)
				self_rule |= streq_ptr(str(pair, "GroupId"), own);
		}
		ck_assert_msg(self_rule, "%s has no rule naming itself", selfish[k]);
	}
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	assert_synced(e);
	world_done();
}
END_TEST

/* A tag cohd owns that the desired set no longer has is removed (DeleteTags); the tags of
 * others and the identity tags stay. */
START_TEST(test_stale_tag_removed)
{
	_cleanup_(cohd_graph_freep) struct cohd_graph *g = NULL;
	_cleanup_(cohd_rec_engine_freep) struct cohd_rec_engine *e = NULL;
	json_t *vpc, *tags;

	world_init();
	g = network_graph();
	e = engine();
	converge(e, g);
	vpc = by_lid("Vpcs", "app/vpc");
	tags = json_object_get(vpc, "Tags");
	json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", "cohd:environment", "Value",
					      "production"));
	json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", "Owner", "Value", "ops"));
	json_array_clear(RF.mut_log);
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 1);
	ck_assert_uint_eq(count_ops("DeleteTags"), 1);
	ck_assert_ptr_null(tag_of(vpc, "cohd:environment"));
	ck_assert_str_eq(tag_of(vpc, "Owner"), "ops");
	ck_assert_str_eq(tag_of(vpc, "cohd:id"), "app/vpc");
	ck_assert_uint_eq(rec_fake_run_pass(e, g, NULL), 0);
	assert_synced(e);
	world_done();
}
END_TEST

/* Builders checked one by one against the EC2 model, and the normalisers. */
START_TEST(test_builders_and_normalisers)
{
	json_auto_t *a = json_string("10.0.1.7/24"), *b = NULL, *c = json_string("2001:DB8::1/64");
	json_auto_t *d = NULL, *bare = json_string("10.0.0.1"), *e = NULL;
	struct cohd_resource res = { .name = (char *)"ledger-b6ce48-db", .type = (char *)"x" };
	struct cohd_rec_type_ctx ctx = { .resource = &res };
	json_auto_t *params = NULL;

	b = cohd_ec2_cidr_normalise(a);
	ck_assert_str_eq(json_string_value(b), "10.0.1.0/24");
	d = cohd_ec2_cidr_normalise(c);
	ck_assert_str_eq(json_string_value(d), "2001:db8::/64");
	e = cohd_ec2_cidr_normalise(bare);
	ck_assert_str_eq(json_string_value(e), "10.0.0.1/32");

	ck_assert_int_eq(cohd_resource_ec2_nat_gateway.lookup_params(&ctx, &params), 0);
	assert_serialises("DescribeNatGateways", params);
	json_decref(params);
	params = NULL;
	ck_assert_int_eq(cohd_resource_ec2_security_group.lookup_params(&ctx, &params), 0);
	assert_serialises("DescribeSecurityGroups", params);
	json_decref(params);
	params = NULL;
	ck_assert_int_eq(cohd_resource_ec2_subnet.lookup_params(&ctx, &params), 0);
	assert_serialises("DescribeSubnets", params);

	/* The local route and a propagated one are AWS's: never compared. */
	{
		const struct cohd_rec_field *f = &cohd_resource_ec2_route_table.fields[1];
		json_auto_t *live = json_pack(
			"[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]",
			"DestinationCidrBlock", "10.0.0.0/16", "GatewayId", "local", "Origin",
			"CreateRouteTable", "DestinationCidrBlock", "192.168.0.0/16", "GatewayId",
			"vgw-1", "Origin", "EnableVgwRoutePropagation", "DestinationCidrBlock",
			"0.0.0.0/0", "GatewayId", "igw-1", "Origin", "CreateRoute", "State",
			"active");
		json_auto_t *want = json_pack("[{s:s, s:s}]", "DestinationCidrBlock", "0.0.0.0/0",
					      "GatewayId", "igw-1");
		json_auto_t *nl = cohd_rec_normalise(f, live, true);
		json_auto_t *nw = cohd_rec_normalise(f, want, false);

		ck_assert_str_eq(f->path, "Routes");
		ck_assert(json_equal(nl, nw));
	}
}
END_TEST

static Suite *network_suite(void)
{
	Suite *s = suite_create("resources_network");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_converge_from_nothing);
	tcase_add_test(tc, test_drift_corrected);
	tcase_add_test(tc, test_rules_normalised);
	tcase_add_test(tc, test_rules_corrected);
	tcase_add_test(tc, test_nat_replaced);
	tcase_add_test(tc, test_igw_moved_back);
	tcase_add_test(tc, test_delete_order);
	tcase_add_test(tc, test_builders_and_normalisers);
	tcase_add_test(tc, test_self_reference);
	tcase_add_test(tc, test_stale_tag_removed);
	suite_add_tcase(s, tc);
	return s;
}

COHD_TEST_MAIN(network_suite)
