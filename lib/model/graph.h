/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The desired-state resource graph: what one environment of one app needs on AWS. Each node is a
 * resource with a type ("ec2.vpc"), a stable logical id ("app/vpc"), a deterministic physical
 * name, a scope, its desired properties in AWS's own field names (as the create/update call takes
 * them), the logical ids it depends on, and its tags. The graph keeps insertion order, finds a
 * resource by id in O(1), and orders resources topologically (dependencies first) with cycle
 * detection. Pure data: depends on util and jansson only, no I/O, no clock; single-threaded.
 *
 * Placeholders. Values that only exist once something has been created (a VPC id, an ARN with the
 * account id) appear in `properties` as small JSON objects that the reconcile engine resolves at
 * apply time. Every placeholder that names another resource also makes it a dependency
 * (cohd_graph_finalize() adds them to depends_on):
 *
 *   {"Ref": "<logical id>", "Attr": "<attribute>"}
 *        the attribute of another resource as AWS returns it after create/describe: "VpcId",
 *        "SubnetId", "GroupId", "Arn", "DnsName", "CanonicalHostedZoneId", "Endpoint.Address",
 *        "DomainValidationOptions.0.ResourceRecord.Name"... A dotted Attr walks the describe
 *        output (numbers index lists). A reference to the resource itself is not a dependency.
 *   {"Sub": "text ${AWS::AccountId} ${AWS::Partition} ${cohd::ImageTag} ${<logical id>.<Attr>}"}
 *        a string with substitutions: the account id (cohd's compile step is account-independent),
 *        the partition, the image tag being deployed, or an attribute as in Ref. The region is
 *        known at compile time and is written out literally.
 *   {"Az": <n>}
 *        the n-th availability zone of the region, zones sorted by name (known only to the account).
 *   {"Generate": "password", "Length": <n>}
 *        a random secret made once by the engine (e.g. SecretsManager GetRandomPassword with
 *        ExcludePunctuation) and kept: never regenerated while the secret exists, never logged.
 *   {"Allocate": "Priority", "Listener": "<logical id>", "Group": "<text>", "Rank": <n>}
 *        an ELBv2 rule priority that is free on that (shared) listener; within one Group the
 *        engine keeps the priorities in ascending Rank order (longer url_path first).
 *   {"Zip": {"<file name>": "<contents>", ...}}
 *        a zip archive built by the engine from the given files (Lambda Code.ZipFile).
 *
 * Fields whose AWS type is a JSON document carried in a string (IAM PolicyDocument and
 * AssumeRolePolicyDocument, SecretString, ECR lifecycle policy text) are given here as JSON
 * objects; the engine serialises them, after resolving placeholders, just before the call.
 * Properties with a "cohd:" prefix are not AWS fields but instructions to the engine
 * (e.g. "cohd:ForceDestroy": empty an S3 bucket before deleting it).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lib/util/error.h"
#include "lib/util/macro.h"

enum cohd_resource_scope {
	COHD_SCOPE_APPLICATION, /* shared by every environment of the app (VPC, ALB, cluster...) */
	COHD_SCOPE_ENVIRONMENT, /* one per environment (RDS, secrets, distribution...) */
	COHD_SCOPE_SERVICE,     /* one per service of one environment (task defs, ECS service...) */
	_COHD_SCOPE_MAX,
	_COHD_SCOPE_INVALID = -EINVAL,
};

/* What deleting the resource needs (DESIGN.md §6). */
enum cohd_deletion {
	COHD_DELETION_DEFAULT, /* delete after the grace period */
	COHD_DELETION_CONFIRM, /* stateful in static/production: only after `cohd-status delete --confirm` */
	_COHD_DELETION_MAX,
	_COHD_DELETION_INVALID = -EINVAL,
};

struct cohd_resource {
	char *type;                  /* "<service>.<kind>": "ec2.vpc", "ecs.service", ... */
	char *id;                    /* logical id: "app/vpc" (application scope),
				      * "env/pr-42/rds/maindb" (environment scope),
				      * "env/pr-42/svc/api/ecs-service" (service scope); the tag
				      * cohd:id. Everything but app/ names its environment: each
				      * environment is reconciled alone and claims its ids */
	char *name;                  /* physical name, within the type's AWS limit */
	char *region;                /* NULL = the app's region; "us-east-1" for CloudFront certs, Lambda@Edge */
	enum cohd_resource_scope scope;
	enum cohd_deletion deletion;
	json_t *properties;          /* object: desired properties in AWS's field names */
	json_t *tags;                /* object: key -> string value */
	char **depends_on;           /* logical ids, sorted and unique after cohd_graph_finalize() */
	size_t n_depends_on;
};

struct cohd_graph;

/* A new empty graph; NULL on OOM. */
struct cohd_graph *cohd_graph_new(void);
struct cohd_graph *cohd_graph_free(struct cohd_graph *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cohd_graph *, cohd_graph_free);

/* Add a resource; `properties` is stolen (also on failure; NULL means {}). The strings are
 * copied. Returns 0 and, if ret is not NULL, the new resource (owned by the graph, valid until
 * the graph is freed), -EEXIST if the logical id is taken, -EINVAL for an empty type/id/name,
 * -ENOMEM. */
int cohd_graph_add(struct cohd_graph *g, const char *type, const char *id, const char *name,
		   enum cohd_resource_scope scope, json_t *properties, struct cohd_resource **ret);

/* Add an explicit dependency (ordering without a data reference). Duplicates are ignored. */
int cohd_resource_depend(struct cohd_resource *r, const char *id);
/* Set one tag (replacing a previous value). */
int cohd_resource_tag(struct cohd_resource *r, const char *key, const char *value);
int cohd_resource_set_region(struct cohd_resource *r, const char *region);

/* Facts about the whole graph (app, environment, region...): a mutable object owned by the
 * graph, NULL only if g is NULL. */
json_t *cohd_graph_meta(const struct cohd_graph *g);

size_t cohd_graph_size(const struct cohd_graph *g);
/* The i-th resource in insertion order; NULL when out of range. */
const struct cohd_resource *cohd_graph_get(const struct cohd_graph *g, size_t i);
/* NULL if no resource has that id. */
const struct cohd_resource *cohd_graph_find(const struct cohd_graph *g, const char *id);
struct cohd_resource *cohd_graph_find_mut(struct cohd_graph *g, const char *id);

/* Collect every placeholder reference into depends_on, sort and dedupe depends_on, then check
 * that each dependency exists (-ENOENT) and that there is no cycle (-ELOOP), with the offending
 * ids in reterr. Call once after the last add. */
int cohd_graph_finalize(struct cohd_graph *g, struct cohd_error *reterr);

/* Topological order: *ret_order (caller frees) lists resource indexes, dependencies first;
 * among resources that are ready at the same time, insertion order wins, so the order is
 * deterministic. -ENOENT for a dangling dependency, -ELOOP on a cycle (reterr names one resource
 * on it). */
int cohd_graph_toposort(const struct cohd_graph *g, size_t **ret_order,
			struct cohd_error *reterr);

/* Call f for every placeholder reference ({"Ref"} objects and ${id.Attr} in {"Sub"} strings)
 * found in v. Stops at and returns the first negative value f returns. */
int cohd_json_foreach_ref(const json_t *v, int (*f)(const char *id, const char *attr, void *u),
			  void *userdata);

const char *cohd_resource_scope_to_string(enum cohd_resource_scope s) _pure_;
const char *cohd_deletion_to_string(enum cohd_deletion d) _pure_;

/* Placeholder builders (new references; NULL on OOM, which jansson's packers then report). */
json_t *cohd_ref(const char *id, const char *attr);
json_t *cohd_sub(const char *fmt, ...) _printf_(1, 2);
