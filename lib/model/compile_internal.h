/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared state of one compilation and the helpers the compile_*.c areas use. Errors are sticky:
 * the first failure is kept in ctx->r / ctx->reterr and every later helper call becomes a no-op
 * returning NULL, so the area code reads as a list of resources. Internal to lib/model.
 */
#pragma once

#include "lib/model/compile.h"
#include "lib/model/naming.h"

/* Constants with a reason (coherence-resources.md §2; cohd's own choices say why). */
#define MODEL_VPC_CIDR "10.0.0.0/16"
#define MODEL_PUBLIC_SUBNET_BASE 0  /* public subnet i = 10.0.i.0/24 (cnc) */
#define MODEL_PRIVATE_SUBNET_BASE 4 /* private subnet i = 10.0.(4+i).0/24: cnc's layout for
				     * 4 AZs, fixed so that adding AZs later moves nothing */
#define MODEL_CLOUDFRONT_ZONE_ID "Z2FDTNDATAQYW2" /* alias target zone of every distribution */

struct model_ctx {
	const struct cohd_app *app;
	const struct cohd_model_options *opts;
	struct cohd_graph *g;
	struct cohd_error *reterr;
	int r;                      /* first error, sticky */

	const char *region;
	const char *env;            /* environment name */
	enum cohd_app_env_type type;
	bool production;            /* type == PRODUCTION */
	bool preview;               /* type == PREVIEW */
	bool protect;               /* static or production: deletion protection, confirm deletes */
	unsigned n_az;

	char *prefix;               /* "<app>-<6 hex>": start of every physical name */
	char *env_slug;             /* environment slug */
	char *eprefix;              /* "<prefix>-<env slug>" */
	const char *base_domain;
	const char *env_domain;     /* "<env>.<base_domain>" */

	bool has_backend, has_frontend, has_database, has_cache, has_bucket, has_tasks;
	bool network;               /* VPC and friends are needed */
	bool alb;                   /* ALB needed: a public backend */

	/* arena of strings owned by the compilation */
	char **strings;
	size_t n_strings, alloc_strings;
};

/* An arena string (freed with the context); NULL on OOM (error recorded). */
const char *model_str(struct model_ctx *c, const char *fmt, ...) _printf_(2, 3);
/* A physical name of kind k with the arena's lifetime; NULL on OOM (error recorded). */
const char *model_name(struct model_ctx *c, enum cohd_name_kind k, const char *fmt, ...)
	_printf_(3, 4);
/* Record an error (first one wins); returns NULL for convenience. */
void *model_fail(struct model_ctx *c, int r, const char *fmt, ...) _printf_(3, 4);

/* Add a resource with the standard tags; `props` is stolen (NULL = the properties could not be
 * built: recorded as an error naming the id). Returns the resource or NULL (error recorded). */
struct cohd_resource *model_add(struct model_ctx *c, const char *type,
				enum cohd_resource_scope scope, const char *id, const char *name,
				json_t *props);
/* Explicit dependency; no-op when r is NULL. */
void model_depend(struct model_ctx *c, struct cohd_resource *r, const char *id);

/* Placeholders (new references). */
json_t *model_ref(const char *id, const char *attr);
/* {"Sub": ...} */
json_t *model_sub(struct model_ctx *c, const char *fmt, ...) _printf_(2, 3);
/* A list of refs to the subnets: public (true) or private. */
json_t *model_subnet_refs(struct model_ctx *c, bool public);
/* The ARN (Sub) of a resource in this region/account: "arn:${AWS::Partition}:<svc>:<region>:
 * ${AWS::AccountId}:<rest>". Region "" for global services (IAM, S3 buckets). */
json_t *model_arn(struct model_ctx *c, const char *service, const char *region,
		  const char *rest_fmt, ...) _printf_(4, 5);
/* An IAM policy document {Version, Statement: [stmts...]}; stmts stolen. */
json_t *model_policy(json_t *statements);
/* A trust policy for one service principal ("ecs-tasks.amazonaws.com"). */
json_t *model_trust(const char *service, const char *service2);

/* An iam.role with trust for `service` and one inline policy of `statements` (stolen; an
 * empty array = no inline policy). */
struct cohd_resource *model_role(struct model_ctx *c, enum cohd_resource_scope scope,
				 const char *id, const char *name, const char *service,
				 const char *description, json_t *statements);

/* The common properties of a private bucket cohd makes (owner-enforced, public access
 * blocked, SSE-KMS with the AWS-managed key, or SSE-S3 when !kms). */
json_t *model_bucket_props(struct model_ctx *c, const char *name, bool kms);
/* Environment variables ({name: value} into `environment`) and secret references
 * ({name: valueFrom} into `secrets`) one resource entry gives a service; bucket ARNs the
 * service may use are appended to bucket_arns. first_db/first_cache: the first database/cache
 * of the service also sets DATABASE_URL, DB_*, REDIS_URL. */
int model_resource_env(struct model_ctx *c, const struct cohd_app_resource *entry,
		       json_t *environment, json_t *secrets, json_t *bucket_arns, bool *first_db,
		       bool *first_cache);

/* Env-var name prefix of a resource name: "payment-db" -> "PAYMENT_DB". Arena string. */
const char *model_env_prefix(struct model_ctx *c, const char *name);
/* The resource an entry means (follows use_sibling); NULL if it points nowhere. */
const struct cohd_app_resource *model_resolve_resource(const struct cohd_app *app,
							const struct cohd_app_resource *res);
/* Whether a resource is visible to a service (v1: declared by it or by a sibling entry of it;
 * v2: app-wide resources are visible to every backend). */
bool model_service_uses(const struct cohd_app *app, const struct cohd_app_service *svc,
			const struct cohd_app_resource *res);
/* Whether RDS Proxy is created for this database (seed: supported Postgres versions only). */
bool model_db_proxy(const struct cohd_app_resource *res);
/* Slug of a service name for ids and names (unique per app, checked in compile.c). */
const char *model_svc_slug(struct model_ctx *c, const struct cohd_app_service *svc);
/* The logical id prefix of a service's resources: "env/<env slug>/svc/<service slug>". Service
 * resources belong to one environment: each environment is reconciled on its own and finds its
 * resources by the cohd:id tag, so an id without the environment would let one environment
 * claim (and delete as superseded) another's. Arena string. */
const char *model_svc_id(struct model_ctx *c, const char *svc_slug);

/* The areas, in dependency order. Each returns c->r. */
int model_compile_network(struct model_ctx *c);
int model_compile_iam(struct model_ctx *c);
int model_compile_data(struct model_ctx *c);
int model_compile_edge(struct model_ctx *c);
int model_compile_ecs(struct model_ctx *c);
int model_compile_build(struct model_ctx *c);
