/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What one AWS resource type gives the reconcile engine so the engine stays generic: how to find
 * every managed resource of the type in one bulk describe, how to read one described item, which
 * fields are managed and how to compare them, and how to create, update, tag, delete and wait.
 * A type is mostly a static const table plus a few small callbacks (lib/resources/<type>.c).
 *
 * Pure data and pure callbacks: no I/O, no clock. Callbacks run on the loop thread, from inside
 * the engine, and must not call back into it. Every json_t * argument is borrowed; every
 * json_t ** out-parameter is a new reference the engine owns.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/model/graph.h"
#include "lib/util/time.h"

/* One resource as observe found it. Owned by the engine. */
struct cohd_rec_item {
	char *logical_id;  /* the cohd:id tag; NULL when untagged */
	char *physical_id; /* "vpc-0abc", an ARN, a name: what delete/update/tag address */
	char *name;	   /* the deterministic physical name, NULL when the type has none */
	json_t *attrs;	   /* the describe item as AWS returned it (after `project`) */
	json_t *tags;	   /* object: key -> string */
};

/* What builders see; everything borrowed for the duration of the call. */
struct cohd_rec_type_ctx {
	const struct cohd_rec_type *type;
	const char *app, *environment, *env_type, *region, *account, *partition;
	const struct cohd_resource *resource; /* desired resource; NULL when deleting an orphan */
	const json_t *props;		      /* resolved desired properties; NULL for deletes */
	const struct cohd_rec_item *live;     /* observed item; NULL when missing */
	const json_t *tags;		      /* desired tags, object (ManagedBy, cohd:id, ...) */
	const json_t *token; /* idempotency token (string) for creates, else NULL */
};

/* The bulk observe call sees the set of resources the engine wants to find. */
struct cohd_rec_observe_ctx {
	const char *app, *environment, *region, *name_prefix;
	const struct cohd_resource *const *wanted; /* desired resources of this type */
	/* Their properties resolved against what is observed so far (types whose resources
	 * depend on other types' are observed after those: a listener rule's ListenerArn is
	 * known). A member whose placeholders wait for something not observed yet is left out
	 * (NULL when nothing resolves). Generated values stay placeholders. */
	const json_t *const *props;
	size_t n_wanted;
};

/* Params builders return the params of the type's operation for the action, or a sequence of
 * calls when one is not enough: a list [{"Operation": op, "Params": {...}, "IgnoreCodes":
 * [codes that count as success]}] run in order inside the action, each journalled (detach, then
 * delete; authorize some rules, revoke others). "Already gone" at any step completes a delete.
 * An empty list: nothing can be sent for this change (the action is skipped, the drift shown). */
typedef int (*cohd_rec_params_fn)(const struct cohd_rec_type_ctx *ctx, json_t **ret_params);
typedef int (*cohd_rec_update_fn)(const struct cohd_rec_type_ctx *ctx, const char *const *fields,
				  size_t n_fields, json_t **ret_params);

/* How tags appear in describe output and in create/tag calls. */
enum cohd_rec_tag_style {
	COHD_REC_TAGS_KEY_VALUE,       /* [{"Key": k, "Value": v}] (EC2, ELBv2, RDS, IAM...) */
	COHD_REC_TAGS_KEY_VALUE_LOWER, /* [{"key": k, "value": v}] (ECS) */
	COHD_REC_TAGS_MAP,	/* {"k": "v"} (Lambda, Logs, SecretsManager uses KEY_VALUE) */
	COHD_REC_TAGS_EC2_SPEC, /* create only: TagSpecifications=[{ResourceType, Tags}] */
	COHD_REC_TAGS_NONE,
};

/* Per-field flags of the diff spec. */
enum {
	COHD_REC_F_REPLACE = 1u << 0,	 /* AWS cannot change it in place: replace the resource */
	COHD_REC_F_SORT = 1u << 1,	 /* an unordered list: compare sorted */
	COHD_REC_F_LOWER = 1u << 2,	 /* case-insensitive string */
	COHD_REC_F_JSON_DOC = 1u << 3,	 /* JSON document carried in a string (maybe URL-encoded) */
	COHD_REC_F_WRITE_ONLY = 1u << 4, /* never returned by AWS (passwords): never compared */
	COHD_REC_F_ONE_PER_CALL = 1u << 5, /* the update op changes one field per call */
	COHD_REC_F_OBSERVE_ONLY = 1u << 6, /* reported, never corrected (no update op exists) */
	/* The create call does not take it: the default create builder leaves it out and the
	 * plan sets it with its update op right after the create (VPC DNS attributes). */
	COHD_REC_F_AFTER_CREATE = 1u << 7,
};

/* Attributes the bulk describe does not return, read per observed resource after it
 * (DescribeVpcAttribute, GetBucketPolicy...): one call each, bounded like observe. */
struct cohd_rec_detail {
	const char *operation; /* "DescribeVpcAttribute" */
	/* Params for one item: {"VpcId": id, "Attribute": "enableDnsHostnames"}. */
	int (*params)(const struct cohd_rec_item *item, json_t **ret_params);
	const char *result_path;	 /* what to take from the response; NULL = all */
	const char *merge_as;		 /* where it goes in the item: "EnableDnsHostnames" */
	const char *const *absent_codes; /* error codes meaning "not set" (NoSuchBucketPolicy) */
	/* A detail whose merge_as is the type's tags_path reads the tags the describe lacks: it
	 * runs for every described item *before* matching (ownership and cohd:id come from it).
	 * An API that reads many resources per call (ELBv2 DescribeTags: 20 ARNs) sets batch_max
	 * and batch_params (one call for up to batch_max items); the response's batch_list_path
	 * holds one entry per resource, batch_id_path its physical id, and result_path applies to
	 * the entry. 0 = one call per item with params. */
	size_t batch_max;
	int (*batch_params)(const struct cohd_rec_item *const *items, size_t n,
			    json_t **ret_params);
	const char *batch_list_path, *batch_id_path;
};

/* One managed field: a dotted path in AWS's names ("EnableDnsHostnames", "Endpoint.Port"). A
 * desired resource that does not set the field does not manage it. */
struct cohd_rec_field {
	const char *path;	  /* in the desired properties */
	const char *live_path;	  /* in the observed item; NULL = path */
	unsigned flags;		  /* COHD_REC_F_* */
	const char *default_json; /* AWS's value when the item omits the field ("false"), or NULL */
	const char *update_op;	  /* operation that changes it; NULL with neither REPLACE nor
				   * OBSERVE_ONLY = the type's default update_op */
	cohd_rec_update_fn update_params; /* NULL = type's update_params, else default builder */
	json_t *(*normalise)(
		const json_t *v); /* extra normaliser (new ref), applied to both sides */
};

/* A bounded, non-blocking wait: poll a describe until the item's state is done or failed. */
struct cohd_rec_wait {
	const char *what;	   /* "NAT gateway available" (shown in status while waiting) */
	const char *state_path;	   /* in the observed item: "State", "DBInstanceStatus" */
	const char *const *done;   /* NULL-terminated states that end the wait successfully */
	const char *const *failed; /* NULL-terminated states that fail it; may be NULL */
	bool gone_is_done;	   /* deletes: the item no longer listed = done */
	usec_t interval;	   /* between polls (botocore waiter delay) */
	unsigned max_polls;	   /* the bound: after that many polls -> progressing */
};

enum cohd_rec_health {
	COHD_REC_HEALTH_HEALTHY,
	COHD_REC_HEALTH_PROGRESSING,
	COHD_REC_HEALTH_DEGRADED,
	COHD_REC_HEALTH_UNKNOWN,
	_COHD_REC_HEALTH_MAX,
	_COHD_REC_HEALTH_INVALID = -EINVAL,
};

struct cohd_rec_type {
	const char *name;    /* "ec2.vpc": the graph's resource type */
	const char *service; /* "ec2" as the aws CLI names it */
	unsigned tier;	     /* rough position in the stack (VPC 0 < subnet 1 < ...): orders deletes
			      * of orphans whose dependencies the engine no longer knows */
	bool stateful;	  /* data lives in it: deletion needs confirmation in static/production */
	bool unique_name; /* two cannot share the name: replace = delete, then create */

	/* Observe: one describe for all managed resources of this type (all pages merged). */
	const char *describe_op; /* "DescribeVpcs" */
	int (*observe_params)(const struct cohd_rec_observe_ctx *ctx, json_t **ret_params);
	/* NULL = EC2 filter tag:ManagedBy (every app's: shared);
	 * *ret_params NULL = nothing to ask */
	size_t observe_batch;  /* > 0: one describe per this many wanted resources
				* (ECS DescribeServices: 10); observe_params then
				* sees one batch, and may return NULL params for none */
	const char *list_path; /* "Vpcs"; NULL = the whole response is one item (or none) */
	const char *id_path;   /* "VpcId" */
	const char *name_path; /* "DBInstanceIdentifier", "tag:Name", or NULL */
	const char *tags_path; /* "Tags", NULL when describe carries no tags */
	enum cohd_rec_tag_style tag_style;
	/* Describes that list the whole region (ELBv2): only items whose name starts with the app's
	 * name prefix ("<app slug>-<6 hex>") are tag-read and matched; the rest are not ours. */
	bool tag_read_prefix;
	/* The API has no tags (Application Auto Scaling): an item whose name is a wanted resource's
	 * deterministic name (which embeds the app's hashed prefix) is ours, never "foreign". */
	bool owned_by_name;
	/* Items with neither tags nor the compiler's name (Route 53 records, listener certificates):
	 * the name (name_path) an observed item must have to be this wanted resource's, from its
	 * properties as resolved at observe. NULL return (or NULL hook) = the resource's name. New
	 * string. */
	char *(*match_name)(const struct cohd_resource *res, const json_t *props);
	/* Members of the observe params copied into every described item before matching and
	 * `project`: what the describe was asked about but does not echo (ListResourceRecordSets'
	 * HostedZoneId, DescribeListenerCertificates' ListenerArn), so that a delete of an item no
	 * longer wanted can address it. NULL-terminated; NULL = none. */
	const char *const *observe_keep;
	/* Observe error codes that mean "nothing there", not a failed describe: "Code" or
	 * "Code:message prefix" (ECS ClusterNotFoundException; ClientException "Unable to describe
	 * task definition" for an unknown family). NULL-terminated; NULL = none. */
	const char *const *observe_absent_codes;
	/* Turn a raw describe item into the item the diff reads (merge extra attributes, rename);
	 * NULL = the raw item. Returns a new reference. */
	json_t *(*project)(const json_t *raw);
	/* Look-up-before-create by deterministic name (params for describe_op), NULL = none. */
	cohd_rec_params_fn lookup_params;
	/* Describe just one (waits); NULL = {id_list_member: [physical id]}. */
	cohd_rec_params_fn by_id_params;
	const char *id_list_member;	       /* "VpcIds" */
	const struct cohd_rec_detail *details; /* per-item reads after the bulk describe */
	size_t n_details;
	enum cohd_rec_health (*health)(const struct cohd_rec_item *item); /* NULL = healthy */

	/* Diff. */
	const struct cohd_rec_field *fields;
	size_t n_fields;

	/* Create. */
	const char *create_op;		  /* "CreateVpc" */
	cohd_rec_params_fn create_params; /* NULL = properties minus "cohd:*" + tags + token */
	const char *token_member;	  /* "ClientToken", NULL when AWS takes none */
	enum cohd_rec_tag_style create_tag_style;
	const char *tag_resource_type;	/* EC2 TagSpecifications ResourceType: "vpc" */
	const char *create_result_path; /* "Vpc": the new item in the response */
	const struct cohd_rec_wait *create_wait;

	/* Update: default op and builder for fields that name none. */
	const char *update_op;
	cohd_rec_update_fn update_params; /* NULL = {id_member: id, <field>: value ...} */
	const char *id_member;		  /* "VpcId": how update/delete address the resource */

	/* Tag (add or change tags); NULL op = tags cannot be corrected. */
	const char *tag_op;	       /* "CreateTags" */
	cohd_rec_params_fn tag_params; /* NULL = {"Resources": [id], "Tags": [{Key, Value}]} */
	/* Untag: remove tags cohd owns that are no longer desired (ctx->tags: key -> live value);
	 * NULL op = they are shown, never removed. */
	const char *untag_op;		 /* "DeleteTags" */
	cohd_rec_params_fn untag_params; /* NULL = {"Resources": [id], "Tags": [{Key}]} */

	/* Delete. */
	const char *delete_op;
	cohd_rec_params_fn delete_params; /* NULL = {id_member: id} */
	const char *const *gone_codes;	  /* NULL-terminated codes meaning "already gone" (besides
					   * the NOT_FOUND class) */
	const struct cohd_rec_wait *delete_wait;

	/* Band folding: a resource of this type governs `governs_field` of the resource of type
	 * `governs_type` it depends on, between its [min_path, max_path] (an Application Auto
	 * Scaling target governs ecs.service DesiredCount). NULL governs_type = none. */
	const char *governs_type, *governs_field, *min_path, *max_path;
};

/* The engine's default builders, for types that wrap them. */
int cohd_rec_default_observe_params(const struct cohd_rec_observe_ctx *ctx, json_t **ret);
int cohd_rec_default_create_params(const struct cohd_rec_type_ctx *ctx, json_t **ret);
json_t *cohd_rec_tags_to_list(const json_t *tags, enum cohd_rec_tag_style style);
