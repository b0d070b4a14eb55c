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
	&cohd_resource_ecs_task_definition,
	&cohd_resource_logs_log_group,
	&cohd_resource_iam_instance_profile,
	&cohd_resource_elbv2_load_balancer,
	&cohd_resource_elbv2_target_group,
	&cohd_resource_elbv2_listener,
	&cohd_resource_elbv2_listener_rule,
	&cohd_resource_autoscaling_scalable_target,
	&cohd_resource_autoscaling_scaling_policy,
	&cohd_resource_cloudwatch_alarm,
	&cohd_resource_s3_bucket,
	&cohd_resource_ecr_repository,
	&cohd_resource_codebuild_project,
	&cohd_resource_codepipeline_pipeline,
	&cohd_resource_events_rule,
	&cohd_resource_events_target,
	&cohd_resource_cloudfront_cache_policy,
	&cohd_resource_cloudfront_origin_request_policy,
	&cohd_resource_lambda_function,
	&cohd_resource_cloudfront_distribution,
	NULL,
};
