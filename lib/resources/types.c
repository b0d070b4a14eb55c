/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry of resource types (resources.h). Add one line per type file.
 */
#include "lib/resources/resources.h"

const struct cohd_rec_type *const cohd_resource_types[] = {
	&cohd_resource_ec2_vpc,
	&cohd_resource_ec2_subnet,
	&cohd_resource_ec2_internet_gateway,
	&cohd_resource_ec2_eip,
	&cohd_resource_ec2_nat_gateway,
	&cohd_resource_ec2_route_table,
	&cohd_resource_ec2_security_group,
	&cohd_resource_ec2_instance,
	&cohd_resource_secretsmanager_secret,
	&cohd_resource_iam_role,
	&cohd_resource_ecs_cluster,
	&cohd_resource_ecs_service,
	NULL,
};
