/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Application-level networking and compute shared by every environment of the app (seed: "a
 * unique VPC is configured for each application"): VPC, public/private subnets, internet
 * gateway, one NAT gateway + EIP, route tables, security groups, DB/cache subnet groups, the ECS
 * cluster, the ALB and its listeners, and the bastion host. coherence-resources.md §2.4.
 */
#include "lib/model/compile_internal.h"

static json_t *sg_ref(const char *id)
{
	return json_pack("{s:o}", "GroupId", model_ref(id, "GroupId"));
}

/* One rule: protocol "-1"/"tcp"/"icmp", ports (-1 = none), and a peer: group id or CIDR. */
static json_t *rule_group(const char *proto, int from, int to, const char *group_id)
{
	if (streq(proto, "-1"))
		return json_pack("{s:s, s:[o]}", "IpProtocol", proto, "UserIdGroupPairs",
				 sg_ref(group_id));
	return json_pack("{s:s, s:i, s:i, s:[o]}", "IpProtocol", proto, "FromPort", from,
			 "ToPort", to, "UserIdGroupPairs", sg_ref(group_id));
}

static json_t *rule_cidr(const char *proto, int from, int to, const char *cidr)
{
	if (streq(proto, "-1"))
		return json_pack("{s:s, s:[{s:s}]}", "IpProtocol", proto, "IpRanges", "CidrIp",
				 cidr);
	return json_pack("{s:s, s:i, s:i, s:[{s:s}]}", "IpProtocol", proto, "FromPort", from,
			 "ToPort", to, "IpRanges", "CidrIp", cidr);
}

static void security_group(struct model_ctx *c, const char *what, const char *description,
			   json_t *ingress, json_t *egress)
{
	const char *id = model_str(c, "app/sg/%s", what);
	const char *name = model_name(c, COHD_NAME_SECURITY_GROUP, "%s-%s", c->prefix, what);

	model_add(c, "ec2.security_group", COHD_SCOPE_APPLICATION, id, name,
		  json_pack("{s:s, s:s, s:o, s:o, s:o}", "GroupName", name, "Description",
			    description, "VpcId", model_ref("app/vpc", "VpcId"), "IpPermissions",
			    ingress, "IpPermissionsEgress", egress));
}

static int security_groups(struct model_ctx *c)
{
	bool mysql = false, postgres = false, memcached = false, redis = false;

	security_group(c, "default", "cohd: members talk to each other (ALB, tasks, bastion)",
		       json_pack("[o]", rule_group("-1", 0, 0, "app/sg/default")),
		       json_pack("[o]", rule_group("-1", 0, 0, "app/sg/default")));
	/* cnc also opens ICMP from 0.0.0.0/0 to the tasks; they sit in private subnets behind
	 * the NAT, so nothing could reach them that way: cohd leaves it out. */
	security_group(c, "ecs", "cohd: outbound access of tasks and bastion", json_array(),
		       json_pack("[o]", rule_cidr("-1", 0, 0, "0.0.0.0/0")));
	if (c->alb)
		security_group(c, "inbound", "cohd: public HTTP(S) to the load balancer",
			       json_pack("[o, o]", rule_cidr("tcp", 80, 80, "0.0.0.0/0"),
					 rule_cidr("tcp", 443, 443, "0.0.0.0/0")),
			       json_pack("[o]", rule_cidr("-1", 0, 0, "0.0.0.0/0")));

	for (size_t i = 0; i < c->app->n_resources; i++) {
		const struct cohd_app_resource *res = &c->app->resources[i];

		if (res->sibling_service)
			continue;
		mysql |= res->engine == COHD_APP_ENGINE_MYSQL;
		postgres |= res->engine == COHD_APP_ENGINE_POSTGRES;
		redis |= res->engine == COHD_APP_ENGINE_REDIS;
		memcached |= res->engine == COHD_APP_ENGINE_MEMCACHED;
	}
	if (c->has_database) {
		json_t *in = json_pack("[o]", rule_group("-1", 0, 0, "app/sg/db"));

		/* "membership" group: whoever carries it may reach the databases */
		security_group(c, "db-access", "cohd: may connect to the databases", json_array(),
			       json_array());
		if (in && postgres)
			json_array_append_new(in, rule_group("tcp", 5432, 5432, "app/sg/db-access"));
		if (in && mysql)
			json_array_append_new(in, rule_group("tcp", 3306, 3306, "app/sg/db-access"));
		security_group(c, "db", "cohd: RDS instances and proxies", in,
			       json_pack("[o]", rule_cidr("-1", 0, 0, "0.0.0.0/0")));
	}
	if (c->has_cache) {
		json_t *in = json_pack("[o]", rule_group("-1", 0, 0, "app/sg/cache"));

		security_group(c, "cache-access", "cohd: may connect to the caches", json_array(),
			       json_array());
		if (in && redis)
			json_array_append_new(in, rule_group("tcp", 6379, 6379, "app/sg/cache-access"));
		if (in && memcached)
			json_array_append_new(in,
					      rule_group("tcp", 11211, 11211, "app/sg/cache-access"));
		security_group(c, "cache", "cohd: ElastiCache", in,
			       json_pack("[o]", rule_cidr("-1", 0, 0, "0.0.0.0/0")));
	}
	return c->r;
}

static int vpc_and_routes(struct model_ctx *c)
{
	json_t *pub_assoc, *priv_assoc;

	model_add(c, "ec2.vpc", COHD_SCOPE_APPLICATION, "app/vpc",
		  model_name(c, COHD_NAME_EC2_TAG, "%s", c->prefix),
		  json_pack("{s:s, s:b, s:b, s:s}", "CidrBlock", MODEL_VPC_CIDR,
			    "EnableDnsHostnames", 1, "EnableDnsSupport", 1, "InstanceTenancy",
			    "default"));

	/* cnc: n = min(#AZs, 4). The number of zones is only known to the account, and the
	 * compile step is offline, so cohd takes a fixed count (default 2: enough for the ALB
	 * and the DB subnet group, which both need two zones) and leaves which zones to the
	 * engine ({"Az": i}, zones sorted by name as in cnc). */
	for (unsigned i = 0; i < c->n_az; i++) {
		model_add(c, "ec2.subnet", COHD_SCOPE_APPLICATION,
			  model_str(c, "app/subnet/public-%u", i),
			  model_name(c, COHD_NAME_EC2_TAG, "%s-public-%u", c->prefix, i),
			  json_pack("{s:o, s:s, s:{s:i}, s:b}", "VpcId",
				    model_ref("app/vpc", "VpcId"), "CidrBlock",
				    model_str(c, "10.0.%u.0/24", MODEL_PUBLIC_SUBNET_BASE + i),
				    "AvailabilityZone", "Az", (int)i, "MapPublicIpOnLaunch", 1));
		model_add(c, "ec2.subnet", COHD_SCOPE_APPLICATION,
			  model_str(c, "app/subnet/private-%u", i),
			  model_name(c, COHD_NAME_EC2_TAG, "%s-private-%u", c->prefix, i),
			  json_pack("{s:o, s:s, s:{s:i}, s:b}", "VpcId",
				    model_ref("app/vpc", "VpcId"), "CidrBlock",
				    model_str(c, "10.0.%u.0/24", MODEL_PRIVATE_SUBNET_BASE + i),
				    "AvailabilityZone", "Az", (int)i, "MapPublicIpOnLaunch", 0));
	}

	model_add(c, "ec2.internet_gateway", COHD_SCOPE_APPLICATION, "app/igw",
		  model_name(c, COHD_NAME_EC2_TAG, "%s", c->prefix),
		  json_pack("{s:o}", "VpcId", model_ref("app/vpc", "VpcId")));
	model_add(c, "ec2.eip", COHD_SCOPE_APPLICATION, "app/nat-eip",
		  model_name(c, COHD_NAME_EC2_TAG, "%s-nat", c->prefix),
		  json_pack("{s:s}", "Domain", "vpc"));
	/* One NAT gateway in the first public subnet, as cnc: cost over zone redundancy
	 * (coherence-resources.md §5.13). The IGW must be attached before the NAT can work. */
	model_depend(c, model_add(c, "ec2.nat_gateway", COHD_SCOPE_APPLICATION, "app/nat",
				  model_name(c, COHD_NAME_EC2_TAG, "%s", c->prefix),
				  json_pack("{s:o, s:o, s:s}", "SubnetId",
					    model_ref("app/subnet/public-0", "SubnetId"),
					    "AllocationId", model_ref("app/nat-eip", "AllocationId"),
					    "ConnectivityType", "public")),
		     "app/igw");

	pub_assoc = json_array();
	priv_assoc = json_array();
	for (unsigned i = 0; pub_assoc && priv_assoc && i < c->n_az; i++) {
		json_array_append_new(pub_assoc,
				      json_pack("{s:o}", "SubnetId",
						model_ref(model_str(c, "app/subnet/public-%u", i),
							  "SubnetId")));
		json_array_append_new(priv_assoc,
				      json_pack("{s:o}", "SubnetId",
						model_ref(model_str(c, "app/subnet/private-%u", i),
							  "SubnetId")));
	}
	/* Routes and associations are part of the route table's desired state (CreateRoute,
	 * AssociateRouteTable after CreateRouteTable). */
	model_add(c, "ec2.route_table", COHD_SCOPE_APPLICATION, "app/route-table/public",
		  model_name(c, COHD_NAME_EC2_TAG, "%s-public", c->prefix),
		  json_pack("{s:o, s:[{s:s, s:o}], s:o}", "VpcId", model_ref("app/vpc", "VpcId"),
			    "Routes", "DestinationCidrBlock", "0.0.0.0/0", "GatewayId",
			    model_ref("app/igw", "InternetGatewayId"), "Associations", pub_assoc));
	model_add(c, "ec2.route_table", COHD_SCOPE_APPLICATION, "app/route-table/private",
		  model_name(c, COHD_NAME_EC2_TAG, "%s-private", c->prefix),
		  json_pack("{s:o, s:[{s:s, s:o}], s:o}", "VpcId", model_ref("app/vpc", "VpcId"),
			    "Routes", "DestinationCidrBlock", "0.0.0.0/0", "NatGatewayId",
			    model_ref("app/nat", "NatGatewayId"), "Associations", priv_assoc));
	return c->r;
}

static int subnet_groups(struct model_ctx *c)
{
	const char *name = model_name(c, COHD_NAME_SUBNET_GROUP, "%s", c->prefix);

	if (c->has_database)
		model_add(c, "rds.db_subnet_group", COHD_SCOPE_APPLICATION, "app/rds/subnet-group",
			  name,
			  json_pack("{s:s, s:s, s:o}", "DBSubnetGroupName", name,
				    "DBSubnetGroupDescription", "cohd: private subnets for RDS",
				    "SubnetIds", model_subnet_refs(c, false)));
	if (c->has_cache)
		model_add(c, "elasticache.cache_subnet_group", COHD_SCOPE_APPLICATION,
			  "app/elasticache/subnet-group", name,
			  json_pack("{s:s, s:s, s:o}", "CacheSubnetGroupName", name,
				    "CacheSubnetGroupDescription",
				    "cohd: private subnets for ElastiCache", "SubnetIds",
				    model_subnet_refs(c, false)));
	return c->r;
}

static int cluster_and_alb(struct model_ctx *c)
{
	const char *alb_name;

	if (c->has_backend)
		model_add(c, "ecs.cluster", COHD_SCOPE_APPLICATION, "app/ecs-cluster",
			  model_name(c, COHD_NAME_ECS, "%s", c->prefix),
			  json_pack("{s:s, s:[s, s], s:[{s:s, s:i, s:i}]}", "clusterName",
				    model_name(c, COHD_NAME_ECS, "%s", c->prefix),
				    "capacityProviders", "FARGATE", "FARGATE_SPOT",
				    "defaultCapacityProviderStrategy", "capacityProvider",
				    "FARGATE", "base", 1, "weight", 100));
	if (!c->alb)
		return c->r;

	alb_name = model_name(c, COHD_NAME_ALB, "%s", c->prefix);
	model_add(c, "elbv2.load_balancer", COHD_SCOPE_APPLICATION, "app/alb", alb_name,
		  json_pack("{s:s, s:s, s:s, s:s, s:o, s:[o, o]}", "Name", alb_name, "Type",
			    "application", "Scheme", "internet-facing", "IpAddressType", "ipv4",
			    "Subnets", model_subnet_refs(c, true), "SecurityGroups",
			    model_ref("app/sg/default", "GroupId"),
			    model_ref("app/sg/inbound", "GroupId")));
	/* cnc forwards :80 to the first backend's target group. With one ALB shared by all
	 * environments there is no "first backend", and CloudFront reaches the ALB over HTTPS
	 * only: cohd redirects :80 to HTTPS. */
	model_add(c, "elbv2.listener", COHD_SCOPE_APPLICATION, "app/alb/listener-http",
		  model_str(c, "%s:80", alb_name),
		  json_pack("{s:o, s:s, s:i, s:[{s:s, s:{s:s, s:s, s:s}}]}", "LoadBalancerArn",
			    model_ref("app/alb", "LoadBalancerArn"), "Protocol", "HTTP", "Port", 80,
			    "DefaultActions", "Type", "redirect", "RedirectConfig", "Protocol",
			    "HTTPS", "Port", "443", "StatusCode", "HTTP_301"));
	/* cnc's default action forwards to the first backend; cohd answers 404 for hosts and
	 * paths no environment claims, so an unknown Host never reaches some random service. */
	model_add(c, "elbv2.listener", COHD_SCOPE_APPLICATION, "app/alb/listener-https",
		  model_str(c, "%s:443", alb_name),
		  json_pack("{s:o, s:s, s:i, s:s, s:[{s:o}], s:[{s:s, s:{s:s, s:s, s:s}}]}",
			    "LoadBalancerArn", model_ref("app/alb", "LoadBalancerArn"), "Protocol",
			    "HTTPS", "Port", 443, "SslPolicy", "ELBSecurityPolicy-TLS13-1-2-2021-06",
			    "Certificates", "CertificateArn",
			    model_ref("app/acm/wildcard", "CertificateArn"), "DefaultActions",
			    "Type", "fixed-response", "FixedResponseConfig", "StatusCode", "404",
			    "ContentType", "text/plain", "MessageBody", "not found"));
	/* ELB takes only issued certificates */
	model_depend(c, cohd_graph_find_mut(c->g, "app/alb/listener-https"),
		     "app/acm/wildcard/validation");
	return c->r;
}

static int bastion(struct model_ctx *c)
{
	const char *role_name, *profile_name;
	json_t *sgs;

	/* cnc: only when a database or cache exists. */
	if (!c->has_database && !c->has_cache)
		return c->r;
	role_name = model_name(c, COHD_NAME_IAM_ROLE, "%s-bastion", c->prefix);
	profile_name = model_name(c, COHD_NAME_INSTANCE_PROFILE, "%s-bastion", c->prefix);
	model_add(c, "iam.role", COHD_SCOPE_APPLICATION, "app/iam/bastion-role", role_name,
		  json_pack("{s:s, s:s, s:s, s:o, s:[s], s:[]}", "RoleName", role_name, "Path",
			    "/cohd/", "Description", "cohd: SSM session host for database access",
			    "AssumeRolePolicyDocument", model_trust("ec2.amazonaws.com", NULL),
			    "ManagedPolicyArns",
			    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", "Policies"));
	model_add(c, "iam.instance_profile", COHD_SCOPE_APPLICATION, "app/iam/bastion-profile",
		  profile_name,
		  json_pack("{s:s, s:s, s:[o]}", "InstanceProfileName", profile_name, "Path",
			    "/cohd/", "Roles", model_ref("app/iam/bastion-role", "RoleName")));

	sgs = json_pack("[o, o]", model_ref("app/sg/default", "GroupId"),
			model_ref("app/sg/ecs", "GroupId"));
	if (sgs && c->has_database)
		json_array_append_new(sgs, model_ref("app/sg/db-access", "GroupId"));
	if (sgs && c->has_cache)
		json_array_append_new(sgs, model_ref("app/sg/cache-access", "GroupId"));
	/* cnc puts the bastion in a public subnet with a public IP. It is only ever used through
	 * SSM Session Manager (port forwarding), which works outbound through the NAT, so cohd
	 * places it in a private subnet with no public address and IMDSv2 only. The AMI is
	 * resolved by EC2 itself from the public SSM parameter (RunInstances accepts
	 * "resolve:ssm:"), which keeps the compile step offline. */
	model_add(c, "ec2.instance", COHD_SCOPE_APPLICATION, "app/bastion",
		  model_name(c, COHD_NAME_EC2_TAG, "%s-bastion", c->prefix),
		  json_pack("{s:s, s:s, s:i, s:i, s:o, s:o, s:{s:o}, s:{s:s, s:s}, "
			    "s:[{s:s, s:{s:b, s:s, s:i, s:b}}]}",
			    "ImageId",
			    "resolve:ssm:/aws/service/ami-amazon-linux-latest/"
			    "al2023-ami-kernel-default-x86_64",
			    "InstanceType", "t3.micro", "MinCount", 1, "MaxCount", 1, "SubnetId",
			    model_ref("app/subnet/private-0", "SubnetId"), "SecurityGroupIds", sgs,
			    "IamInstanceProfile", "Arn",
			    model_ref("app/iam/bastion-profile", "Arn"), "MetadataOptions",
			    "HttpTokens", "required", "HttpEndpoint", "enabled",
			    "BlockDeviceMappings", "DeviceName", "/dev/xvda", "Ebs", "Encrypted", 1,
			    "VolumeType", "gp3", "VolumeSize", 8, "DeleteOnTermination", 1));
	return c->r;
}

int model_compile_network(struct model_ctx *c)
{
	if (!c->network)
		return c->r;
	if (vpc_and_routes(c) < 0 || security_groups(c) < 0 || subnet_groups(c) < 0 ||
	    cluster_and_alb(c) < 0 || bastion(c) < 0)
		return c->r;
	return c->r;
}
