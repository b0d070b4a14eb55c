/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One environment of one app, as the compiler (lib/model) consumes it: the typed, validated and
 * normalised result of parsing an app file (v1 flat coherence.yml or v2 compose/cnc.yml, told
 * apart by content, plus the optional `x-cohd:` block; DESIGN.md §3, coherence-resources.md §1).
 *
 * Everything here is already normalised: CPU in Fargate CPU units, memory in MiB forming a valid
 * Fargate pair, schedules in EventBridge syntax, engines as enums, empty strings replaced by
 * their defaults. No YAML type leaks out. All strings and arrays are owned by the struct and
 * freed by cohd_app_free(). Arrays are (pointer, count) pairs; string vectors (char **) are
 * additionally NULL-terminated. A NULL string means "not set" where the comment says so.
 *
 * Stability: the compiler is written against this header. Fields are only ever added.
 * Depends on lib/util and lib/config/{diag,drift}.h. Pure: no I/O except cohd_app_load_file().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/config/diag.h"
#include "lib/config/drift.h"
#include "lib/util/macro.h"

/* Where something was written in the source file (file = cohd_app.source_file). 1-based; 0:0
 * for values that were defaulted rather than written. */
struct cohd_config_loc {
	unsigned line;
	unsigned column;
};

enum cohd_app_format {
	COHD_APP_FORMAT_V1, /* flat coherence.yml: top-level keys are services */
	COHD_APP_FORMAT_V2, /* docker-compose superset: services.<name>.x-cnc */
	_COHD_APP_FORMAT_MAX,
	_COHD_APP_FORMAT_INVALID = -EINVAL,
};

enum cohd_app_env_type {
	COHD_APP_ENV_PRODUCTION, /* production account, min_scale/max_scale apply, FARGATE */
	COHD_APP_ENV_STATIC,	 /* staging etc.: FARGATE, deletion protection, no seed skip */
	COHD_APP_ENV_PREVIEW,	 /* branch/PR previews: FARGATE_SPOT, seeds run, force_destroy */
	_COHD_APP_ENV_TYPE_MAX,
	_COHD_APP_ENV_TYPE_INVALID = -EINVAL,
};

enum cohd_app_service_kind {
	COHD_APP_SERVICE_BACKEND,  /* ECS service behind the ALB (+ workers, scheduled tasks) */
	COHD_APP_SERVICE_FRONTEND, /* static assets built in a container, served from S3 + CDN */
	_COHD_APP_SERVICE_KIND_MAX,
	_COHD_APP_SERVICE_KIND_INVALID = -EINVAL,
};

enum cohd_app_resource_kind {
	COHD_APP_RESOURCE_DATABASE,	  /* RDS instance (+ proxy) per environment */
	COHD_APP_RESOURCE_CACHE,	  /* ElastiCache cluster per environment */
	COHD_APP_RESOURCE_OBJECT_STORAGE, /* S3 bucket per environment */
	_COHD_APP_RESOURCE_KIND_MAX,
	_COHD_APP_RESOURCE_KIND_INVALID = -EINVAL,
};

enum cohd_app_engine {
	COHD_APP_ENGINE_NONE,	   /* object storage */
	COHD_APP_ENGINE_POSTGRES,  /* database; also written "postgresql" */
	COHD_APP_ENGINE_MYSQL,	   /* database */
	COHD_APP_ENGINE_REDIS,	   /* cache (default cache engine) */
	COHD_APP_ENGINE_MEMCACHED, /* cache */
	_COHD_APP_ENGINE_MAX,
	_COHD_APP_ENGINE_INVALID = -EINVAL,
};

/* A command. `shell` is what runs: the deployed container gets entryPoint ["sh"], command
 * ["-c", shell] (cnc's convention), so `&&`, `VAR=value` prefixes and `$PORT` work. `argv` is
 * the same command as written, word by word (a YAML list as is; a plain string split on
 * whitespace), for display and for images without a shell. Unset: argv == NULL, shell == NULL. */
struct cohd_app_cmd {
	char **argv; /* NULL-terminated; NULL = not set */
	size_t argc;
	char *shell; /* list items joined with single spaces, or the string as written */
	struct cohd_config_loc loc;
};

/* An environment variable given in the x-cohd block (or compose `environment:`). Exactly one of
 * value / secret_id is set. */
struct cohd_app_variable {
	char *name;	 /* [A-Za-z_][A-Za-z0-9_]*, at most 255 chars */
	char *value;	 /* plaintext value; NULL when secret_id is set */
	char *secret_id; /* Secrets Manager name or ARN (optionally "arn:...:json-key::") to read
			  * at task start; never created or read by cohd itself */
	struct cohd_config_loc loc;
};

/* A worker: a long-running ECS service without a load balancer. */
struct cohd_app_worker {
	char *name;		     /* as written ("default queue worker 1") */
	char *slug;		     /* lowercase [a-z0-9-], <= 40 chars, unique within the service
				      * ("default-queue-worker-1"); use this in AWS names */
	struct cohd_app_cmd command; /* required */
	unsigned cpu;	   /* Fargate CPU units (256 = 0.25 vCPU); inherited from the service */
	unsigned memory;   /* MiB, valid Fargate pair with cpu; inherited from the service */
	unsigned replicas; /* >= 1, default 1: autoscaling min */
	bool extended_duration; /* cnc's flag, default true (no AWS effect yet) */
	struct cohd_config_loc loc;
};

/* A scheduled task: an EventBridge rule that runs a Fargate task. */
struct cohd_app_task {
	char *name; /* as written ("task 1") */
	char *slug; /* lowercase [a-z0-9-], <= 40 chars, unique within the service */
	struct cohd_app_cmd command; /* required */
	char *schedule;		     /* as written, e.g. "30 4 * * 1" (UTC) */
	char *schedule_expression;   /* EventBridge ScheduleExpression, e.g. "cron(30 4 ? * 2 *)"
				      * (day-of-week translated to AWS numbering 1 = Sunday) or a
				      * "rate(...)"/"cron(...)" written as such */
	unsigned cpu;		     /* Fargate CPU units; inherited from the service */
	unsigned memory;	     /* MiB; inherited from the service */
	struct cohd_config_loc loc;
};

/* One CORS rule of a bucket or frontend. */
struct cohd_app_cors {
	char **allowed_methods; /* NULL-terminated; default {"GET", NULL} */
	size_t n_allowed_methods;
	char **allowed_origins; /* NULL-terminated; default {"*", NULL} */
	size_t n_allowed_origins;
};

/* A custom response header (cnc `custom_headers`). */
struct cohd_app_header {
	char *name;
	char *value;
	char *type; /* "response" (default) */
};

/* A managed resource: database, cache or bucket. v1 declares them under a backend's
 * `resources:`; v2 as their own compose service (or root x-cnc.resources). Names are unique per
 * app (except use_sibling entries, which refer to another one and create nothing). */
struct cohd_app_resource {
	char *name; /* logical name ("db1"); drives env var prefixes DB1_HOST... */
	enum cohd_app_resource_kind kind;
	char *service; /* v1: the service that declared it; v2: NULL (app-wide) */
	struct cohd_config_loc loc;

	/* database / cache */
	enum cohd_app_engine engine; /* database default POSTGRES, cache default REDIS */
	char *version;		     /* as written, normalised to text: "13", "15.4", "7" */
	unsigned major;		     /* 13, 8 (mysql 8.0 -> 8), 7 (redis) */
	char *engine_version; /* what to pass to AWS: postgres/mysql as written ("13", "8.0");
			       * redis 4 -> "4.0.10", 5 -> "5.0.6", 6 -> "6.2", 7 -> "7.0" (cnc) */
	char *adapter;	      /* DATABASE_URL scheme; default "postgres"/"mysql" (engine name) */
	bool use_db_proxy;    /* cnc default true; the compiler only honours it where RDS Proxy
			       * supports the engine version */
	char *snapshot_file_path; /* non-production seed snapshot or NULL */

	/* use_sibling: share another service's resource; nothing is created for this entry */
	char *sibling_service; /* NULL unless use_sibling */
	char *sibling_resource;

	/* use_existing: bind to something that exists instead of creating it */
	bool use_existing;
	char *existing_instance_name; /* DB instance/cluster id, or bucket name */
	char *existing_secret_id;     /* DB credentials secret */
	char *existing_db_name;
	char *existing_username;
	bool existing_cluster_mode;	/* Aurora cluster instead of instance */
	bool existing_manage_databases; /* default true */

	/* object storage */
	struct cohd_app_cors *cors;
	size_t n_cors;
};

struct cohd_app_service {
	char *name; /* the YAML key; matches ^\S+$ */
	enum cohd_app_service_kind kind;
	struct cohd_config_loc loc; /* the key */

	char *url_path;	  /* starts with '/', no trailing '/' except "/" itself; default "/" */
	char *repo_path;  /* docker build context relative to the repo root; default "." */
	char *dockerfile; /* relative to the repo root; NULL = "<repo_path>/Dockerfile" (nixpacks
			   * when absent) */
	char *image;	  /* v2 `image:` prebuilt image to deploy instead of building; or NULL */

	/* commands (unset = image default / step skipped) */
	struct cohd_app_cmd start;     /* v1 `prod` / `prod.command`, v2 `command` */
	struct cohd_app_cmd migration; /* before each deploy, in the service image */
	struct cohd_app_cmd seed;      /* after migration, non-production only */
	struct cohd_app_cmd install;   /* frontend dependency install */
	struct cohd_app_cmd build;     /* frontend asset build */
	struct cohd_app_cmd *test;     /* CI test steps, in order */
	size_t n_test;

	/* sizing (Fargate; defaults 1024 / 2048) */
	unsigned cpu;	    /* CPU units: 256, 512, 1024, 2048, 4096, 8192, 16384 */
	unsigned memory;    /* MiB, valid for cpu (Fargate table) */
	unsigned replicas;  /* compose deploy.replicas, default 1 */
	unsigned min_scale; /* production autoscaling min = max(replicas, min_scale); default 1 */
	unsigned max_scale; /* production autoscaling max; default 4; >= min_scale */

	/* backend HTTP */
	unsigned port;		    /* container port, default 8080 (v2 `ports` container side) */
	char *health_check_path;    /* ALB health check path; default "/" */
	bool health_check_set;	    /* written explicitly (non-empty) */
	char *health_check_matcher; /* "200-399" if health_check_set else "200-499" */
	bool internal;		    /* cnc x-cnc.internal: no public route */
	unsigned timeout_minutes;   /* deploy/migrate/seed step timeout, default 20 */

	/* CDN */
	bool cdn_enabled; /* cache at CloudFront; default true frontend, false backend */
	struct cohd_app_header *custom_headers;
	size_t n_custom_headers;

	/* frontend */
	char *assets_path;	    /* built assets dir, relative to repo_path; default "build" */
	char *index_file_name;	    /* default "index.html" */
	bool spa;		    /* rewrite 404 -> index (Lambda@Edge); default true */
	struct cohd_app_cors *cors; /* frontend `cors` (allowed_origins) */
	size_t n_cors;

	/* build triggers (CI) */
	char **included_paths; /* NULL-terminated globs or NULL */
	size_t n_included_paths;
	char **excluded_paths;
	size_t n_excluded_paths;

	/* backend children */
	struct cohd_app_worker *workers;
	size_t n_workers;
	struct cohd_app_task *tasks;
	size_t n_tasks;

	/* variables scoped to this service (x-cohd variables with `service:`, compose
	 * `environment:`); app-wide ones are in cohd_app.variables */
	struct cohd_app_variable *variables;
	size_t n_variables;
};

struct cohd_app {
	char *source_file; /* path given to the parser; prefix of every diagnostic */
	enum cohd_app_format format;

	/* identity (x-cohd, else from the file name "acme-shop.pr-42.yml") */
	char *name;	   /* app: ^[a-z][a-z0-9-]*$, <= 63 chars ("acme-shop") */
	char *environment; /* env: same charset, <= 63 chars ("pr-42"); default "production" */
	enum cohd_app_env_type env_type; /* default from the env name: production|prod ->
					  * PRODUCTION, staging -> STATIC, else PREVIEW */
	char *region;			 /* e.g. "eu-west-1"; NULL = the daemon's region */
	char *role_arn;			 /* IAM role to assume for this app, or NULL */
	char *base_domain;     /* e.g. "acme.example.com"; NULL = none (the compiler decides) */
	char **custom_domains; /* NULL-terminated or NULL */
	size_t n_custom_domains;

	struct cohd_app_variable *variables; /* app-wide */
	size_t n_variables;
	struct cohd_drift_rule *accept_drift; /* x-cohd.accept_drift, added to the daemon's */
	size_t n_accept_drift;

	/* app-level v1 keys (v2: root x-cnc) */
	unsigned preview_inactivity_timeout_hours; /* default 2160 (90 days) */
	char *build_machine_type; /* build_settings.platform_settings.machine_type or NULL */
	bool allow_vpc_sharing;	  /* accepted for compatibility; cohd has one VPC per app */
	char *vpc_sharing_app;	  /* vpc_sharing.app_name or NULL */

	/* services in file order; backends and frontends only */
	struct cohd_app_service *services;
	size_t n_services;
	/* resources in file order (v1: in service order) */
	struct cohd_app_resource *resources;
	size_t n_resources;
};

/* Limits for app files (hostile input is bounded; see yaml.h for the loader limits). */
#define COHD_APP_FILE_MAX (1024u * 1024u) /* bytes */

/* Parse and validate an app file from memory. `file` names it in diagnostics and gives the
 * defaults for app/environment (its basename). Every error and warning is appended to diags.
 * Returns 0 and *ret_app when there were no errors (warnings allowed); -EINVAL when the file is
 * invalid (diags say why; *ret_app untouched); -ENOMEM. */
int cohd_app_parse(const char *file, const char *data, size_t len, struct cohd_diag_list *diags,
		   struct cohd_app **ret_app);

/* Same, reading the file (refused with a diagnostic above COHD_APP_FILE_MAX). -ENOENT etc. are
 * also reported as a diagnostic at 0:0. */
int cohd_app_load_file(const char *path, struct cohd_diag_list *diags, struct cohd_app **ret_app);

struct cohd_app *cohd_app_free(struct cohd_app *app);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cohd_app *, cohd_app_free);

/* Lookups by name; NULL when absent. cohd_app_find_resource() returns the owning entry, never a
 * use_sibling reference. */
const struct cohd_app_service *cohd_app_find_service(const struct cohd_app *app, const char *name);
const struct cohd_app_resource *cohd_app_find_resource(const struct cohd_app *app,
						       const char *name);

/* The resource a use_sibling entry refers to (validated by the parser, so never NULL for a
 * parsed app); r itself when r is not a reference. */
const struct cohd_app_resource *cohd_app_resource_target(const struct cohd_app *app,
							 const struct cohd_app_resource *r);

/* Stable lowercase names: "v1", "production", "backend", "database", "postgres"... */
const char *cohd_app_format_to_string(enum cohd_app_format f);
const char *cohd_app_env_type_to_string(enum cohd_app_env_type t);
int cohd_app_env_type_from_string(const char *s);
const char *cohd_app_service_kind_to_string(enum cohd_app_service_kind k);
const char *cohd_app_resource_kind_to_string(enum cohd_app_resource_kind k);
const char *cohd_app_engine_to_string(enum cohd_app_engine e);
