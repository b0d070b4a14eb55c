/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Physical names and tags of the resources cohd creates. A name is deterministic (same app,
 * environment and seed -> same name), fits the AWS limit and alphabet of its kind, and carries a
 * short SHA-256 hash wherever it had to be cut. Every name of an app starts with the app prefix
 * "<app slug>-<6 hex>" where the hex is a hash of an installation seed (daemon config, not the
 * account id, so compiling stays offline) and the app name: S3 bucket names are then globally
 * unique, and IAM policies can scope to "<prefix>-*" without matching another app whose name
 * merely starts the same way. Pure; depends on util and OpenSSL's SHA-256 only.
 */
#pragma once

#include <stddef.h>

#include "lib/model/graph.h"
#include "lib/util/macro.h"

enum cohd_name_kind {
	COHD_NAME_GENERIC,        /* 255, [a-z0-9-] */
	COHD_NAME_EC2_TAG,        /* Name tag of VPCs, subnets...: 255 */
	COHD_NAME_SECURITY_GROUP, /* GroupName 255 */
	COHD_NAME_ALB,            /* 32, alphanumerics and '-', no leading/trailing '-' */
	COHD_NAME_TARGET_GROUP,   /* 32, same */
	COHD_NAME_IAM_ROLE,       /* 64 */
	COHD_NAME_IAM_POLICY,     /* inline policy name 128 */
	COHD_NAME_S3_BUCKET,      /* 3-63, lowercase, letter or digit first, globally unique */
	COHD_NAME_LOG_GROUP,      /* 512, '/' allowed */
	COHD_NAME_RDS,            /* 63, letter first, no "--", no trailing '-' */
	COHD_NAME_RDS_PROXY,      /* 60, same alphabet */
	COHD_NAME_DB_NAME,        /* PostgreSQL/MySQL database or user name: 63/16 -> 16... see .c */
	COHD_NAME_ELASTICACHE,    /* replication group id 40, letter first, no "--" */
	COHD_NAME_ECS,            /* cluster, service, task family: 255 */
	COHD_NAME_ECR,            /* 256, lowercase */
	COHD_NAME_LAMBDA,         /* 64 */
	COHD_NAME_CODEBUILD,      /* 255, letter or digit first */
	COHD_NAME_CODEPIPELINE,   /* 100 */
	COHD_NAME_SECRET,         /* 512, '/' allowed */
	COHD_NAME_EVENTS_RULE,    /* 64 */
	COHD_NAME_ALARM,          /* 255 */
	COHD_NAME_SCALING_POLICY, /* 256 */
	COHD_NAME_CLOUDFRONT,     /* cache / origin request policy names: 128 */
	COHD_NAME_SUBNET_GROUP,   /* DB / cache subnet group: 255 */
	COHD_NAME_INSTANCE_PROFILE, /* 128 */
	_COHD_NAME_KIND_MAX,
	_COHD_NAME_KIND_INVALID = -EINVAL,
};

/* The longest name AWS accepts for the kind. */
size_t cohd_naming_max(enum cohd_name_kind k) _pure_;

/* Whether s is a valid name of kind k (length and alphabet). */
bool cohd_naming_valid(enum cohd_name_kind k, const char *s);

/* "acme Shop_2" -> "acme-shop-2": lowercase, [a-z0-9-] only, no "--", no leading or trailing
 * '-'. Never longer than max (0 = no limit). Returns a new string (caller frees), NULL on OOM;
 * "x" if nothing is left. */
char *cohd_naming_slug(const char *s, size_t max);

/* The first 2*n_bytes hex digits of SHA-256 over the parts, each followed by a NUL byte, into
 * out (size >= 2*n_bytes + 1). n_bytes <= 32. */
void cohd_naming_hash(char *out, size_t n_bytes, const char *const *parts, size_t n_parts);

/* The app prefix "<app slug (<= 20)>-<6 hex of SHA-256(seed, app)>". Caller frees. */
char *cohd_naming_app_prefix(const char *seed, const char *app);

/* Build a name of kind k from printf-style text: sanitised for the kind, and if it is longer
 * than the limit, cut and ended with "-" + 6 hex of SHA-256 of the uncut text, so that two
 * different long inputs keep different names. Returns a new string (caller frees), NULL on OOM. */
char *cohd_naming_make(enum cohd_name_kind k, const char *fmt, ...) _printf_(2, 3);

/* The standard tags: ManagedBy=coherence, Application=<app>, Environment=<production|review>,
 * cohd:id=<logical id>, and cohd:environment=<environment> on environment/service resources;
 * EC2 resources also get Name=<physical name>. */
int cohd_naming_tag(struct cohd_resource *r, const char *app, const char *environment,
		    bool production);
