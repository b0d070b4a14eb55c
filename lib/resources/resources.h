/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/resources: one file per AWS resource type, each a struct cohd_rec_type (lib/reconcile/
 * type.h): a static table plus a few small callbacks. Pure data; no I/O (the engine makes every
 * call through its ports). The daemon hands cohd_resource_types to the engine.
 */
#pragma once

#include "lib/reconcile/type.h"

extern const struct cohd_rec_type cohd_resource_ec2_vpc;
extern const struct cohd_rec_type cohd_resource_ec2_subnet;
extern const struct cohd_rec_type cohd_resource_ec2_internet_gateway;
extern const struct cohd_rec_type cohd_resource_ec2_eip;
extern const struct cohd_rec_type cohd_resource_ec2_nat_gateway;
extern const struct cohd_rec_type cohd_resource_ec2_route_table;
extern const struct cohd_rec_type cohd_resource_ec2_security_group;
extern const struct cohd_rec_type cohd_resource_ec2_instance;
extern const struct cohd_rec_type cohd_resource_secretsmanager_secret;
extern const struct cohd_rec_type cohd_resource_iam_role;
extern const struct cohd_rec_type cohd_resource_ecs_cluster;
extern const struct cohd_rec_type cohd_resource_ecs_service;
/* Not in cohd_resource_types yet: needs the engine to read tags (a detail) before matching. */
extern const struct cohd_rec_type cohd_resource_logs_log_group;
extern const struct cohd_rec_type cohd_resource_elbv2_target_group;
extern const struct cohd_rec_type cohd_resource_elbv2_load_balancer;
extern const struct cohd_rec_type cohd_resource_autoscaling_scalable_target;
extern const struct cohd_rec_type cohd_resource_autoscaling_scaling_policy;
extern const struct cohd_rec_type cohd_resource_cloudwatch_alarm;
extern const struct cohd_rec_type cohd_resource_ecs_task_definition;
extern const struct cohd_rec_type cohd_resource_elbv2_listener;
extern const struct cohd_rec_type cohd_resource_elbv2_listener_rule;
extern const struct cohd_rec_type cohd_resource_iam_instance_profile;
extern const struct cohd_rec_type cohd_resource_s3_bucket;
extern const struct cohd_rec_type cohd_resource_ecr_repository;
extern const struct cohd_rec_type cohd_resource_codebuild_project;
extern const struct cohd_rec_type cohd_resource_codepipeline_pipeline;
extern const struct cohd_rec_type cohd_resource_events_rule;
extern const struct cohd_rec_type cohd_resource_events_target;

/* What every elbv2 type shares (elbv2_common.c): the tag read, DescribeTags for up to 20
 * resources at a time ({"ResourceArns": [...]}), and AddTags for corrections. */
#define COHD_ELBV2_TAGS_MAX 20
int cohd_elbv2_tags_params(const struct cohd_rec_item *const *items, size_t n, json_t **ret);
extern const struct cohd_rec_detail cohd_elbv2_tags_detail;
int cohd_elbv2_tag_params(const struct cohd_rec_type_ctx *ctx, json_t **ret);

extern const struct cohd_rec_type cohd_resource_cloudfront_distribution;
extern const struct cohd_rec_type cohd_resource_cloudfront_cache_policy;
extern const struct cohd_rec_type cohd_resource_cloudfront_origin_request_policy;
extern const struct cohd_rec_type cohd_resource_cloudfront_response_headers_policy;
extern const struct cohd_rec_type cohd_resource_lambda_function;

/* What the CloudFront types share (cloudfront_common.c). The normaliser of configurations
 * ({Quantity, Items} lists, members AWS fills in with defaults); the tag read before matching
 * (ListTagsForResource by the item's "ARN", {"Tags": {"Items": [...]}}), TagResource and
 * UntagResource params; the API of cache and origin request policies. */
json_t *cohd_cloudfront_normalise(const json_t *v);
int cohd_cloudfront_tags_params(const struct cohd_rec_item *item, json_t **ret);
#define COHD_CLOUDFRONT_TAGS_DETAIL                                                    \
	{                                                                              \
		.operation = "ListTagsForResource", .params = cohd_cloudfront_tags_params, \
		.result_path = "Tags.Items", .merge_as = "Tags",                       \
	}
json_t *cohd_cloudfront_tag_items(const json_t *tags);
int cohd_cloudfront_tag_params(const struct cohd_rec_type_ctx *ctx, json_t **ret);
int cohd_cloudfront_untag_params(const struct cohd_rec_type_ctx *ctx, json_t **ret);
struct cohd_cf_policy {
	const char *kind;   /* "CachePolicy": the answers' member */
	const char *config; /* "CachePolicyConfig" */
};
int cohd_cf_policy_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret);
json_t *cohd_cf_policy_project(const struct cohd_cf_policy *k, const json_t *raw);
int cohd_cf_policy_etag_params(const struct cohd_rec_item *item, json_t **ret);
int cohd_cf_policy_create(const struct cohd_cf_policy *k, const struct cohd_rec_type_ctx *ctx,
			  json_t **ret);
int cohd_cf_policy_update(const struct cohd_cf_policy *k, const struct cohd_rec_type_ctx *ctx,
			  const char *const *fields, size_t n_fields, json_t **ret);
int cohd_cf_policy_delete(const struct cohd_cf_policy *k, const struct cohd_rec_type_ctx *ctx,
			  json_t **ret);

/* The deterministic zip of a Zip placeholder's files ({"name": "contents"}: name order, stored,
 * dated 1980-01-01, mode 0644; lambda_zip.c). *ret: malloc'd bytes (NUL-terminated beyond
 * *ret_len). -EINVAL for an empty or malformed file map, -ENOMEM, -EIO (libzip). */
int cohd_lambda_zip_build(const json_t *files, unsigned char **ret, size_t *ret_len);
/* The base64 of the SHA-256 of that archive (Lambda's CodeSha256); NULL on failure. */
char *cohd_lambda_zip_sha256(const json_t *files);

extern const struct cohd_rec_type cohd_resource_rds_db_subnet_group;
extern const struct cohd_rec_type cohd_resource_rds_db_instance;
extern const struct cohd_rec_type cohd_resource_rds_db_proxy;
extern const struct cohd_rec_type cohd_resource_rds_db_proxy_target;
extern const struct cohd_rec_type cohd_resource_elasticache_cache_subnet_group;
extern const struct cohd_rec_type cohd_resource_elasticache_replication_group;

/* What the RDS and ElastiCache types share (rds_common.c): the ARN of a described item, an
 * unfiltered region-wide observe, the tag read (ListTagsForResource by ARN, merged as
 * "TagList"), AddTagsToResource / RemoveTagsFromResource params, and a normaliser helper: a
 * list of ids or of {member: id} objects -> a new sorted list of the ids. */
const char *cohd_rds_arn(const json_t *attrs);
int cohd_rds_observe_all(const struct cohd_rec_observe_ctx *ctx, json_t **ret);
extern const struct cohd_rec_detail cohd_rds_tags_detail;
int cohd_rds_tag_params(const struct cohd_rec_type_ctx *ctx, json_t **ret);
int cohd_rds_untag_params(const struct cohd_rec_type_ctx *ctx, json_t **ret);
json_t *cohd_rds_id_list(const json_t *v, const char *member);

extern const struct cohd_rec_type cohd_resource_route53_hosted_zone;
extern const struct cohd_rec_type cohd_resource_route53_record_set;
extern const struct cohd_rec_type cohd_resource_acm_certificate;
extern const struct cohd_rec_type cohd_resource_elbv2_listener_certificate;

/* What the Route 53 types share (route53_common.c): a DNS name as the compiler writes it
 * ("\052.a.example.com." -> "*.a.example.com": escapes decoded, lower case, no trailing dot;
 * new string, NULL on OOM), the same as a normaliser, the bare zone id ("/hostedzone/Z1" ->
 * "Z1", borrowed), and the zones' tag read (ListTagsForResources, ten zones a call). */
char *cohd_route53_name(const char *s);
json_t *cohd_route53_name_normalise(const json_t *v);
const char *cohd_route53_zone_id(const char *id);
#define COHD_ROUTE53_TAGS_MAX 10
int cohd_route53_tags_params(const struct cohd_rec_item *const *items, size_t n, json_t **ret);

/* Every type this build knows, NULL-terminated. */
extern const struct cohd_rec_type *const cohd_resource_types[];
