/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Environment-level data: one RDS instance (+ RDS Proxy where supported) and one Redis per
 * environment (seed; the v1 docs said Redis was shared, cnc and the seed make one per env), the
 * credentials and app secrets in Secrets Manager, and the object-storage buckets. Also the
 * environment variables and secret references each of them gives the services that use it
 * (coherence-resources.md §1.7). Encryption: AWS-managed KMS keys (seed) for RDS, S3, secrets.
 */
#include <ctype.h>

#include "lib/model/compile_internal.h"

static const char *db_port(const struct cohd_app_resource *res)
{
	return res->engine == COHD_APP_ENGINE_MYSQL ? "3306" : "5432";
}

static const char *res_slug(struct model_ctx *c, const struct cohd_app_resource *res)
{
	_cleanup_free_ char *s = cohd_naming_slug(res->name, 40);

	if (!s)
		return model_fail(c, -ENOMEM, "out of memory");
	return model_str(c, "%s", s);
}

/* The logical id of the thing that answers connections: proxy or instance. */
static const char *db_id(struct model_ctx *c, const struct cohd_app_resource *res)
{
	return model_str(c, "env/%s/rds/%s", c->env_slug, res_slug(c, res));
}

static const char *db_name(struct model_ctx *c)
{
	/* cnc: the environment name with '-' -> '_', "db" in front if it starts with a digit */
	char *s = (char *)model_str(c, "%s%s", isdigit((unsigned char)c->env_slug[0]) ? "db" : "",
				    c->env_slug);

	for (char *p = s; p && *p; p++)
		if (*p == '-')
			*p = '_';
	return s;
}

static const char *db_user(struct model_ctx *c)
{
	/* cnc: the app name with '-' -> '_'; cut to 16 (MySQL's limit for user names) */
	_cleanup_free_ char *slug = cohd_naming_slug(c->app->name, 16);
	char *s;

	if (!slug)
		return model_fail(c, -ENOMEM, "out of memory");
	s = (char *)model_str(c, "%s%s", isalpha((unsigned char)slug[0]) ? "" : "u", slug);
	for (char *p = s; p && *p; p++)
		if (*p == '-')
			*p = '_';
	return s;
}

/* Host of a database as the apps see it: the proxy endpoint when there is one. */
static json_t *db_host(struct model_ctx *c, const struct cohd_app_resource *res)
{
	const char *id = db_id(c, res);

	if (model_db_proxy(res))
		return model_ref(model_str(c, "%s/proxy", id), "Endpoint");
	if (res->use_existing && res->existing_cluster_mode)
		return model_ref(id, "Endpoint");
	return model_ref(id, "Endpoint.Address");
}

static const char *db_host_sub(struct model_ctx *c, const struct cohd_app_resource *res)
{
	const char *id = db_id(c, res);

	if (model_db_proxy(res))
		return model_str(c, "${%s/proxy.Endpoint}", id);
	if (res->use_existing && res->existing_cluster_mode)
		return model_str(c, "${%s.Endpoint}", id);
	return model_str(c, "${%s.Endpoint.Address}", id);
}

static const char *creds_id(struct model_ctx *c, const struct cohd_app_resource *res)
{
	return model_str(c, "%s/credentials", db_id(c, res));
}

static int database(struct model_ctx *c, const struct cohd_app_resource *res, json_t *app_secret)
{
	const char *id = db_id(c, res), *slug = res_slug(c, res), *cid = creds_id(c, res);
	bool postgres = res->engine == COHD_APP_ENGINE_POSTGRES;
	const char *user = res->existing_username ? res->existing_username : db_user(c);
	const char *dbname = res->existing_db_name ? res->existing_db_name : db_name(c);
	const char *prefix = model_env_prefix(c, res->name);
	struct cohd_resource *r;

	if (c->r < 0)
		return c->r;
	if (res->use_existing) {
		/* Bound to an instance/cluster and secret cohd does not own: observed (for the
		 * endpoint), never changed, tagged or deleted. */
		if (isempty(res->existing_instance_name) || isempty(res->existing_secret_id))
			return model_fail(c, -EINVAL,
					  "database '%s': use_existing needs an instance name and "
					  "a secret id", res->name),
			       c->r;
		r = model_add(c, res->existing_cluster_mode ? "rds.db_cluster" : "rds.db_instance",
			      COHD_SCOPE_ENVIRONMENT, id, strempty(res->existing_instance_name),
			      res->existing_cluster_mode
				      ? json_pack("{s:s, s:b}", "DBClusterIdentifier",
						  strempty(res->existing_instance_name),
						  "cohd:Existing", 1)
				      : json_pack("{s:s, s:b}", "DBInstanceIdentifier",
						  strempty(res->existing_instance_name),
						  "cohd:Existing", 1));
		if (r)
			json_object_clear(r->tags);
		r = model_add(c, "secretsmanager.secret", COHD_SCOPE_ENVIRONMENT, cid,
			      strempty(res->existing_secret_id),
			      json_pack("{s:s, s:b}", "SecretId", strempty(res->existing_secret_id),
					"cohd:Existing", 1));
		if (r)
			json_object_clear(r->tags);
	} else {
		const char *ident = model_name(c, COHD_NAME_RDS, "%s-%s", c->eprefix, slug);
		bool minor = res->version && strchr(res->version, '.') &&
			     !(res->engine == COHD_APP_ENGINE_MYSQL &&
			       strchr(res->version, '.') == strrchr(res->version, '.'));

		/* cnc keeps the generated password in the E-secrets JSON only; cohd keeps a
		 * {username, password} secret per database, which RDS Proxy needs anyway.
		 * Previews delete secrets without a recovery window (cnc). */
		r = model_add(c, "secretsmanager.secret", COHD_SCOPE_ENVIRONMENT, cid,
			      model_name(c, COHD_NAME_SECRET, "cohd/%s/%s/%s-credentials", c->prefix,
					 c->env_slug, slug),
			      json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:i}}, s:i}", "Name",
					model_name(c, COHD_NAME_SECRET, "cohd/%s/%s/%s-credentials",
						   c->prefix, c->env_slug, slug),
					"Description",
					model_str(c, "cohd: master credentials of database %s",
						  res->name),
					"SecretString", "username", user, "password", "Generate",
					"password", "Length", 40, "cohd:RecoveryWindowInDays",
					c->preview ? 0 : 30));
		if (r && c->protect)
			r->deletion = COHD_DELETION_CONFIRM;

		/* db.t3.micro and 20 GiB in every environment type (coherence-resources.md §4);
		 * size, storage, backups, Multi-AZ and maintenance are the owner's (accepted
		 * drift, seed), so cohd sets none of them beyond the create-time minimum.
		 * AWS-managed KMS key (seed). Auto minor upgrades follow the version: a major
		 * only ("15") lets AWS move minors, a pinned minor ("15.4") does not. */
		r = model_add(
			c, "rds.db_instance", COHD_SCOPE_ENVIRONMENT, id, ident,
			json_pack("{s:s, s:s, s:s, s:s, s:i, s:b, s:s, s:b, s:b, s:s, s:s, s:o, "
				  "s:o, s:o, s:b, s:b, s:b, s:b, s:i, s:b}",
				  "DBInstanceIdentifier", ident, "Engine",
				  postgres ? "postgres" : "mysql", "EngineVersion",
				  res->engine_version ? res->engine_version : strempty(res->version),
				  "DBInstanceClass", "db.t3.micro", "AllocatedStorage", 20,
				  "StorageEncrypted", 1, "KmsKeyId", "alias/aws/rds", "MultiAZ", 0,
				  "PubliclyAccessible", 0, "DBName", dbname, "MasterUsername", user,
				  "MasterUserPassword", model_ref(cid, "SecretString.password"),
				  "DBSubnetGroupName",
				  model_ref("app/rds/subnet-group", "DBSubnetGroupName"),
				  "VpcSecurityGroupIds",
				  json_pack("[o]", model_ref("app/sg/db", "GroupId")),
				  "DeletionProtection", c->protect, "CopyTagsToSnapshot", 1,
				  "AutoMinorVersionUpgrade", !minor, "AllowMajorVersionUpgrade", 1,
				  "Port", atoi(db_port(res)), "cohd:FinalSnapshot", c->protect));
		if (r && c->protect)
			r->deletion = COHD_DELETION_CONFIRM;
	}

	if (model_db_proxy(res)) {
		const char *pname = model_name(c, COHD_NAME_RDS_PROXY, "%s-%s", c->eprefix, slug);

		/* cnc puts the proxy in public and private subnets; it is only ever reached from
		 * inside the VPC, so cohd uses the private ones. */
		model_add(c, "rds.db_proxy", COHD_SCOPE_ENVIRONMENT, model_str(c, "%s/proxy", id),
			  pname,
			  json_pack("{s:s, s:s, s:[{s:s, s:o, s:s}], s:o, s:o, s:[o], s:b, s:i, "
				    "s:b}",
				    "DBProxyName", pname, "EngineFamily", "POSTGRESQL", "Auth",
				    "AuthScheme", "SECRETS", "SecretArn", model_ref(cid, "Arn"),
				    "IAMAuth", "DISABLED", "RoleArn",
				    model_ref(model_str(c, "env/%s/iam/db-proxy-role", c->env_slug),
					      "Arn"),
				    "VpcSubnetIds", model_subnet_refs(c, false),
				    "VpcSecurityGroupIds", model_ref("app/sg/db", "GroupId"),
				    "RequireTLS", 0, "IdleClientTimeout", 1800, "DebugLogging", 0));
		model_add(c, "rds.db_proxy_target", COHD_SCOPE_ENVIRONMENT,
			  model_str(c, "%s/proxy-target", id), model_str(c, "%s/default", pname),
			  res->use_existing && res->existing_cluster_mode
				  ? json_pack("{s:o, s:s, s:[o]}", "DBProxyName",
					      model_ref(model_str(c, "%s/proxy", id), "DBProxyName"),
					      "TargetGroupName", "default", "DBClusterIdentifiers",
					      model_ref(id, "DBClusterIdentifier"))
				  : json_pack("{s:o, s:s, s:[o]}", "DBProxyName",
					      model_ref(model_str(c, "%s/proxy", id), "DBProxyName"),
					      "TargetGroupName", "default", "DBInstanceIdentifiers",
					      model_ref(id, "DBInstanceIdentifier")));
	}

	/* DATABASE_URL: <adapter>://<user>:<password>@<host>:<port>/<db>, "?sslmode=disable"
	 * for Postgres before 15 (cnc). The generated password has no punctuation, so it needs
	 * no URL encoding. */
	if (app_secret && prefix) {
		json_t *url = model_sub(
			c, "%s://${%s.SecretString.username}:${%s.SecretString.password}@%s:%s/%s%s",
			res->adapter ? res->adapter : (postgres ? "postgres" : "mysql"), cid, cid,
			db_host_sub(c, res), db_port(res), dbname,
			postgres && res->major < 15 ? "?sslmode=disable" : "");

		json_object_set_new(app_secret, model_str(c, "%s_DATABASE_URL", prefix), url);
		json_object_set_new(app_secret, model_str(c, "%s_DB_PASSWORD", prefix),
				    model_sub(c, "${%s.SecretString.password}", cid));
	}
	return c->r;
}

static int cache(struct model_ctx *c, const struct cohd_app_resource *res)
{
	const char *slug = res_slug(c, res);
	const char *id = model_str(c, "env/%s/elasticache/%s", c->env_slug, slug);
	const char *rid = model_name(c, COHD_NAME_ELASTICACHE, "%s-%s", c->eprefix, slug);

	if (res->engine == COHD_APP_ENGINE_MEMCACHED) {
		model_add(c, "elasticache.cache_cluster", COHD_SCOPE_ENVIRONMENT, id, rid,
			  json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:[o], s:i}", "CacheClusterId",
				    rid, "Engine", "memcached", "EngineVersion",
				    strempty(res->engine_version), "CacheNodeType", "cache.t3.micro",
				    "NumCacheNodes", 1, "CacheSubnetGroupName",
				    model_ref("app/elasticache/subnet-group", "CacheSubnetGroupName"),
				    "SecurityGroupIds", model_ref("app/sg/cache", "GroupId"), "Port",
				    11211));
		return c->r;
	}
	/* cnc creates a single-node aws_elasticache_cluster. cohd creates a one-node
	 * replication group instead: the same cache.t3.micro node, but it supports at-rest
	 * encryption and later scaling to replicas in place. No TLS in transit: it would change
	 * REDIS_URL to rediss:// and break apps written for Coherence's plain redis://. */
	model_add(c, "elasticache.replication_group", COHD_SCOPE_ENVIRONMENT, id, rid,
		  json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:b, s:o, s:[o], s:i, s:b, s:b}",
			    "ReplicationGroupId", rid, "ReplicationGroupDescription",
			    model_str(c, "cohd: %s of %s/%s", res->name, c->app->name, c->env),
			    "Engine", "redis", "EngineVersion", strempty(res->engine_version),
			    "CacheNodeType", "cache.t3.micro", "NumCacheClusters", 1,
			    "AutomaticFailoverEnabled", 0, "MultiAZEnabled", 0,
			    "CacheSubnetGroupName",
			    model_ref("app/elasticache/subnet-group", "CacheSubnetGroupName"),
			    "SecurityGroupIds", model_ref("app/sg/cache", "GroupId"), "Port", 6379,
			    "AtRestEncryptionEnabled", 1, "TransitEncryptionEnabled", 0));
	return c->r;
}

static const char *bucket_name(struct model_ctx *c, const struct cohd_app_resource *res)
{
	if (res->use_existing && res->existing_instance_name)
		return res->existing_instance_name;
	return model_name(c, COHD_NAME_S3_BUCKET, "%s-%s", c->eprefix, res_slug(c, res));
}

/* The common part of every bucket cohd makes: private, owner-enforced, encrypted. */
json_t *model_bucket_props(struct model_ctx *c, const char *name, bool kms)
{
	json_t *p = json_pack(
		"{s:s, s:s, s:{s:b, s:b, s:b, s:b}, s:{s:[{s:{s:s}, s:b}]}}", "Bucket", name,
		"ObjectOwnership", "BucketOwnerEnforced", "PublicAccessBlockConfiguration",
		"BlockPublicAcls", 1, "IgnorePublicAcls", 1, "BlockPublicPolicy", 1,
		"RestrictPublicBuckets", 1, "ServerSideEncryptionConfiguration", "Rules",
		"ApplyServerSideEncryptionByDefault", "SSEAlgorithm", kms ? "aws:kms" : "AES256",
		"BucketKeyEnabled", kms ? 1 : 0);

	/* us-east-1 is the one region CreateBucket refuses a LocationConstraint for */
	if (p && !streq(c->region, "us-east-1"))
		json_object_set_new(p, "CreateBucketConfiguration",
				    json_pack("{s:s}", "LocationConstraint", c->region));
	return p;
}

static int bucket(struct model_ctx *c, const struct cohd_app_resource *res)
{
	const char *name = bucket_name(c, res);
	struct cohd_resource *r;
	json_t *p;

	if (res->use_existing)
		return c->r; /* only wired into env vars and the task role */
	p = model_bucket_props(c, name, true);
	if (p && res->n_cors > 0) {
		json_t *rules = json_array();

		for (size_t i = 0; rules && i < res->n_cors; i++) {
			json_t *m = json_array(), *o = json_array();

			for (size_t j = 0; m && j < res->cors[i].n_allowed_methods; j++)
				json_array_append_new(m, json_string(res->cors[i].allowed_methods[j]));
			for (size_t j = 0; o && j < res->cors[i].n_allowed_origins; j++)
				json_array_append_new(o, json_string(res->cors[i].allowed_origins[j]));
			json_array_append_new(rules,
					      json_pack("{s:o, s:o, s:[s], s:i}", "AllowedMethods", m,
							"AllowedOrigins", o, "AllowedHeaders", "*",
							"MaxAgeSeconds", 3000));
		}
		json_object_set_new(p, "CORSConfiguration", json_pack("{s:o}", "CORSRules", rules));
	}
	if (p)
		json_object_set_new(p, "cohd:ForceDestroy", json_boolean(c->preview));
	r = model_add(c, "s3.bucket", COHD_SCOPE_ENVIRONMENT,
		      model_str(c, "env/%s/s3/%s", c->env_slug, res_slug(c, res)), name, p);
	if (r && c->protect)
		r->deletion = COHD_DELETION_CONFIRM;
	return c->r;
}

/* Environment variables (plaintext, as {name: value} in `environment`) and secret references
 * ({name: valueFrom} in `secrets`) that one resource entry gives a service. Names follow cnc
 * (coherence-resources.md §1.7), the prefix from the entry's own name. */
int model_resource_env(struct model_ctx *c, const struct cohd_app_resource *entry,
		       json_t *environment, json_t *secrets, json_t *bucket_arns, bool *first_db,
		       bool *first_cache)
{
	const struct cohd_app_resource *res = model_resolve_resource(c->app, entry);
	const char *p = model_env_prefix(c, entry->name);
	const char *sec = model_str(c, "env/%s/secrets", c->env_slug);

	if (!res || !p || c->r < 0)
		return c->r;
	switch (res->kind) {
	case COHD_APP_RESOURCE_DATABASE: {
		const char *rp = model_env_prefix(c, res->name);
		const char *user = res->existing_username ? res->existing_username : db_user(c);
		const char *dbname = res->existing_db_name ? res->existing_db_name : db_name(c);

		json_object_set_new(environment, model_str(c, "%s_HOST", p), db_host(c, res));
		json_object_set_new(environment, model_str(c, "%s_PORT", p),
				    json_string(db_port(res)));
		json_object_set_new(secrets, model_str(c, "%s_DATABASE_URL", p),
				    model_sub(c, "${%s.Arn}:%s_DATABASE_URL::", sec, rp));
		json_object_set_new(secrets, model_str(c, "%s_DB_PASSWORD", p),
				    model_sub(c, "${%s.Arn}:%s_DB_PASSWORD::", sec, rp));
		if (*first_db) {
			*first_db = false;
			json_object_set_new(environment, "DB_NAME", json_string(dbname));
			json_object_set_new(environment, "DB_USER", json_string(user));
			json_object_set_new(environment, "DB_ENGINE",
					    json_string(cohd_app_engine_to_string(res->engine)));
			json_object_set_new(secrets, "DATABASE_URL",
					    model_sub(c, "${%s.Arn}:%s_DATABASE_URL::", sec, rp));
			json_object_set_new(secrets, "DB_PASSWORD",
					    model_sub(c, "${%s.Arn}:%s_DB_PASSWORD::", sec, rp));
		}
		break;
	}
	case COHD_APP_RESOURCE_CACHE: {
		const char *id = model_str(c, "env/%s/elasticache/%s", c->env_slug,
					   res_slug(c, res));
		bool memcached = res->engine == COHD_APP_ENGINE_MEMCACHED;
		const char *attr = memcached ? "ConfigurationEndpoint.Address"
					     : "NodeGroups.0.PrimaryEndpoint.Address";
		const char *port = memcached ? "11211" : "6379";

		json_object_set_new(environment, model_str(c, "%s_HOST", p), model_ref(id, attr));
		json_object_set_new(environment, model_str(c, "%s_PORT", p), json_string(port));
		json_object_set_new(environment, model_str(c, "%s_URL", p),
				    model_sub(c, "%s://${%s.%s}:%s", memcached ? "memcached" : "redis",
					      id, attr, port));
		if (*first_cache && !memcached) {
			*first_cache = false;
			json_object_set_new(environment, "REDIS_URL",
					    model_sub(c, "redis://${%s.%s}:%s", id, attr, port));
		}
		break;
	}
	case COHD_APP_RESOURCE_OBJECT_STORAGE: {
		const char *name = bucket_name(c, res);

		json_object_set_new(environment, model_str(c, "%s_NAME", p), json_string(name));
		json_object_set_new(environment, model_str(c, "%s_URL", p), json_string(name));
		if (bucket_arns) {
			json_array_append_new(bucket_arns, model_arn(c, "s3", "", "%s", name));
			json_array_append_new(bucket_arns, model_arn(c, "s3", "", "%s/*", name));
		}
		break;
	}
	default:
		break;
	}
	return c->r;
}

int model_compile_data(struct model_ctx *c)
{
	json_t *app_secret = NULL;
	json_t *proxy_secrets = NULL;

	if (c->has_database) {
		app_secret = json_object();
		proxy_secrets = json_array();
		if (!app_secret || !proxy_secrets) {
			json_decref(app_secret);
			json_decref(proxy_secrets);
			return model_fail(c, -ENOMEM, "out of memory"), c->r;
		}
	}
	for (size_t i = 0; i < c->app->n_resources; i++) {
		const struct cohd_app_resource *res = &c->app->resources[i];

		if (res->sibling_service)
			continue;
		switch (res->kind) {
		case COHD_APP_RESOURCE_DATABASE:
			database(c, res, app_secret);
			if (model_db_proxy(res))
				json_array_append_new(proxy_secrets,
						      model_ref(creds_id(c, res), "Arn"));
			break;
		case COHD_APP_RESOURCE_CACHE:
			cache(c, res);
			break;
		case COHD_APP_RESOURCE_OBJECT_STORAGE:
			bucket(c, res);
			break;
		default:
			break;
		}
	}

	if (app_secret) {
		/* cnc's E-secrets: the composed connection strings, one JSON secret per env. */
		struct cohd_resource *r = model_add(
			c, "secretsmanager.secret", COHD_SCOPE_ENVIRONMENT,
			model_str(c, "env/%s/secrets", c->env_slug),
			model_name(c, COHD_NAME_SECRET, "cohd/%s/%s/app", c->prefix, c->env_slug),
			json_pack("{s:s, s:s, s:O, s:i}", "Name",
				  model_name(c, COHD_NAME_SECRET, "cohd/%s/%s/app", c->prefix,
					     c->env_slug),
				  "Description",
				  model_str(c, "cohd: connection strings of %s/%s", c->app->name,
					    c->env),
				  "SecretString", app_secret, "cohd:RecoveryWindowInDays",
				  c->preview ? 0 : 30));

		if (r && c->protect)
			r->deletion = COHD_DELETION_CONFIRM;
		json_decref(app_secret);
	}
	if (proxy_secrets && json_array_size(proxy_secrets) > 0)
		model_role(c, COHD_SCOPE_ENVIRONMENT,
			   model_str(c, "env/%s/iam/db-proxy-role", c->env_slug),
			   model_name(c, COHD_NAME_IAM_ROLE, "%s-db-proxy", c->eprefix),
			   "rds.amazonaws.com",
			   "cohd: lets RDS Proxy read the database credentials",
			   json_pack("[{s:s, s:[s], s:O}]", "Effect", "Allow", "Action",
				     "secretsmanager:GetSecretValue", "Resource", proxy_secrets));
	json_decref(proxy_secrets);
	return c->r;
}
