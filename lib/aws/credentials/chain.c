/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The static credential chain (credentials.h, cohd_aws_credentials_resolve) and the region
 * lookup. Reads the environment through struct cohd_aws_env and at most three small INI files;
 * no network. The order is the one in credentials.h. Note on SDK differences: botocore and the
 * Java SDK try AWS_WEB_IDENTITY_TOKEN_FILE before static keys of the shared credentials file;
 * cohd follows its own documented order (shared files first), so an explicit profile always
 * wins over ambient variables.
 */
#include <arpa/inet.h>
#include <strings.h>

#include "lib/aws/credentials/credentials.h"
#include "lib/aws/credentials/ini.h"
#include "lib/util/log.h"

#define ECS_RELATIVE_HOST "http://169.254.170.2"
#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define IMDS_IPV6_ENDPOINT "http://[fd00:ec2::254]"
#define DURATION_MIN 900u
#define DURATION_MAX 43200u

/* The two shared files (either may be NULL) and how to name them in messages. */
struct files {
	struct ini_file *creds;
	struct ini_file *config;
};

static void files_done(struct files *f)
{
	f->creds = ini_free(f->creds);
	f->config = ini_free(f->config);
}

static struct cohd_aws_credential_source *source_new(enum cohd_aws_credential_kind kind)
{
	struct cohd_aws_credential_source *s = calloc(1, sizeof *s);

	if (s)
		s->kind = kind;
	return s;
}

static int set_str(char **dst, const char *v)
{
	if (!v)
		return 0;
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

static char *expand_home(const struct cohd_aws_env *env, const char *path)
{
	const char *home;
	char *p;

	if (path[0] != '~' || (path[1] && path[1] != '/'))
		return strdup(path);
	home = cohd_aws_env_get(env, "HOME");
	if (!home)
		return strdup(path);
	if (asprintf(&p, "%s%s", home, path + 1) < 0)
		return NULL;
	return p;
}

/* Load path (NULL: nothing). Missing files are fine unless must_exist. */
static int load_optional(const struct cohd_aws_env *env, const char *path, bool must_exist,
			 struct ini_file **ret, struct cohd_error *reterr)
{
	_cleanup_free_ char *p = NULL;
	int r;

	*ret = NULL;
	if (!path)
		return 0;
	p = expand_home(env, path);
	if (!p)
		return -ENOMEM;
	r = ini_load(p, ret, reterr);
	if (r == -ENOENT) {
		if (must_exist)
			return cohd_error_set(reterr, -ENOENT, "%s: no such file", p);
		log_debug(AWS, "credentials: %s does not exist, skipping", p);
		return 0;
	}
	return r;
}

static int default_path(const struct cohd_aws_env *env, const char *var, const char *rel,
			char **ret)
{
	const char *v = cohd_aws_env_get(env, var), *home;

	*ret = NULL;
	if (v) {
		*ret = strdup(v);
		return *ret ? 0 : -ENOMEM;
	}
	home = cohd_aws_env_get(env, "HOME");
	if (!home)
		return 0; /* no HOME: no default file */
	if (asprintf(ret, "%s/%s", home, rel) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int load_config_file(const struct cohd_aws_env *env, struct ini_file **ret,
			    struct cohd_error *reterr)
{
	_cleanup_free_ char *path = NULL;
	int r = default_path(env, "AWS_CONFIG_FILE", ".aws/config", &path);

	if (r < 0)
		return r;
	return load_optional(env, path, false, ret, reterr);
}

/* The config file section of a profile: "[default]" (or "[profile default]") for default,
 * else "[profile name]" (botocore ignores bare "[name]" sections there). */
static const struct ini_section *config_section(const struct ini_file *config, const char *name)
{
	_cleanup_free_ char *s = NULL;
	const struct ini_section *sec;

	if (!config)
		return NULL;
	if (asprintf(&s, "profile %s", name) < 0)
		return NULL;
	sec = ini_section(config, s);
	if (!sec && streq(name, "default"))
		sec = ini_section(config, "default");
	return sec;
}

static bool profile_exists(const struct files *f, const char *name)
{
	return ini_section(f->creds, name) || config_section(f->config, name);
}

/* A profile key: the credentials file wins over the config file (botocore). */
static const struct ini_kv *profile_kv(const struct files *f, const char *name, const char *key)
{
	const struct ini_kv *kv = ini_get(ini_section(f->creds, name), key);

	return kv ? kv : ini_get(config_section(f->config, name), key);
}

static const char *profile_get(const struct files *f, const char *name, const char *key)
{
	const struct ini_kv *kv = profile_kv(f, name, key);

	return kv && *kv->value ? kv->value : NULL;
}

/* Where a profile key was read, for messages: "path:line". */
static void kv_where(const struct files *f, const char *name, const char *key, char *buf,
		     size_t n)
{
	const struct ini_kv *kv = ini_get(ini_section(f->creds, name), key);
	const struct ini_file *file = f->creds;

	if (!kv) {
		kv = ini_get(config_section(f->config, name), key);
		file = f->config;
	}
	if (kv && file)
		snprintf(buf, n, "%s:%u", file->path, kv->line);
	else
		snprintf(buf, n, "profile %s", name);
}

static const char *profile_file(const struct files *f, const char *name)
{
	if (ini_section(f->creds, name))
		return f->creds->path;
	if (config_section(f->config, name))
		return f->config->path;
	return "?";
}

static int static_from_profile(const struct files *f, const char *name,
			       struct cohd_aws_credential_source **ret, struct cohd_error *reterr)
{
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s = NULL;
	const char *akid = profile_get(f, name, "aws_access_key_id");
	const char *secret = profile_get(f, name, "aws_secret_access_key");
	const char *token = profile_get(f, name, "aws_session_token");
	char where[512];

	if (!akid && !secret)
		return -ENOENT;
	if (!akid || !secret) {
		kv_where(f, name, akid ? "aws_access_key_id" : "aws_secret_access_key", where,
			 sizeof where);
		return cohd_error_set(reterr, -EINVAL, "%s: profile %s has %s but not %s", where,
				      name, akid ? "aws_access_key_id" : "aws_secret_access_key",
				      akid ? "aws_secret_access_key" : "aws_access_key_id");
	}
	s = source_new(COHD_AWS_CREDENTIALS_STATIC);
	if (!s)
		return -ENOMEM;
	s->creds = calloc(1, sizeof *s->creds);
	if (!s->creds || set_str(&s->creds->access_key_id, akid) < 0 ||
	    set_str(&s->creds->secret_access_key, secret) < 0 ||
	    set_str(&s->creds->session_token, token) < 0)
		return -ENOMEM;
	if (asprintf(&s->origin, "profile %s (%s)", name, profile_file(f, name)) < 0) {
		s->origin = NULL;
		return -ENOMEM;
	}
	*ret = TAKE_PTR(s);
	return 0;
}

static int env_static(const struct cohd_aws_env *env, struct cohd_aws_credential_source **ret,
		      struct cohd_error *reterr);
static int ecs_from_env(const struct cohd_aws_env *env, struct cohd_aws_credential_source **ret,
			struct cohd_error *reterr);
static int imds_from_env(const struct cohd_aws_env *env, bool force,
			 struct cohd_aws_credential_source **ret, struct cohd_error *reterr);

static int parse_duration(const struct files *f, const char *name, unsigned *ret,
			  struct cohd_error *reterr)
{
	const char *v = profile_get(f, name, "duration_seconds");
	unsigned long d;
	char *end, where[512];

	*ret = 0;
	if (!v)
		return 0;
	errno = 0;
	d = strtoul(v, &end, 10);
	if (errno || *end || v[0] < '0' || v[0] > '9' || d < DURATION_MIN || d > DURATION_MAX) {
		kv_where(f, name, "duration_seconds", where, sizeof where);
		return cohd_error_set(reterr, -EINVAL,
				      "%s: duration_seconds must be %u..%u, got '%s'", where,
				      DURATION_MIN, DURATION_MAX, v);
	}
	*ret = (unsigned)d;
	return 0;
}

/* Resolve profile name. chain[0..depth) are the profiles that led here (loop detection).
 * -ENOENT: the profile exists but holds no credentials at all (the chain moves on). */
static int resolve_profile(const struct cohd_aws_env *env, const struct files *f,
			   const char *name, const char **chain, unsigned depth,
			   struct cohd_aws_credential_source **ret, struct cohd_error *reterr)
{
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s = NULL;
	const char *role_arn, *source_profile, *credential_source, *token_file;
	char where[512];
	int r;

	for (unsigned i = 0; i < depth; i++)
		if (streq(chain[i], name)) {
			char path[1024] = "";

			for (unsigned k = 0; k < depth; k++) {
				strncat(path, chain[k], sizeof path - strlen(path) - 1);
				strncat(path, " -> ", sizeof path - strlen(path) - 1);
			}
			strncat(path, name, sizeof path - strlen(path) - 1);
			return cohd_error_set(reterr, -ELOOP, "source_profile loop: %s", path);
		}
	if (depth >= COHD_AWS_PROFILE_CHAIN_MAX)
		return cohd_error_set(reterr, -ELOOP, "source_profile chain longer than %u",
				      COHD_AWS_PROFILE_CHAIN_MAX);
	if (!profile_exists(f, name))
		return cohd_error_set(reterr, -EINVAL, "profile %s not found in %s%s%s", name,
				      f->creds ? f->creds->path : "",
				      f->creds && f->config ? " or " : "",
				      f->config ? f->config->path : "");

	role_arn = profile_get(f, name, "role_arn");
	source_profile = profile_get(f, name, "source_profile");
	credential_source = profile_get(f, name, "credential_source");
	token_file = profile_get(f, name, "web_identity_token_file");

	if (!role_arn) {
		if (source_profile || credential_source || token_file) {
			kv_where(f, name,
				 source_profile      ? "source_profile"
				 : credential_source ? "credential_source"
						     : "web_identity_token_file",
				 where, sizeof where);
			return cohd_error_set(reterr, -EINVAL, "%s: profile %s has no role_arn",
					      where, name);
		}
		r = static_from_profile(f, name, ret, reterr);
		if (r == -ENOENT) {
			/* say so rather than falling through to IMDS, which would only time out */
			static const char *const unsupported[] = { "credential_process",
								   "sso_session", "sso_start_url" };

			for (size_t i = 0; i < ELEMENTSOF(unsupported); i++)
				if (profile_get(f, name, unsupported[i])) {
					kv_where(f, name, unsupported[i], where, sizeof where);
					return cohd_error_set(reterr, -EOPNOTSUPP,
							      "%s: profile %s uses %s, which cohd "
							      "does not support",
							      where, name, unsupported[i]);
				}
		}
		return r;
	}

	if (source_profile && credential_source) {
		kv_where(f, name, "credential_source", where, sizeof where);
		return cohd_error_set(reterr, -EINVAL,
				      "%s: profile %s sets both source_profile and credential_source",
				      where, name);
	}

	if (!source_profile && !credential_source) {
		if (!token_file) {
			kv_where(f, name, "role_arn", where, sizeof where);
			return cohd_error_set(reterr, -EINVAL,
					      "%s: profile %s has role_arn but no source_profile, "
					      "credential_source or web_identity_token_file",
					      where, name);
		}
		s = source_new(COHD_AWS_CREDENTIALS_WEB_IDENTITY);
		if (!s)
			return -ENOMEM;
		if (set_str(&s->token_file, token_file) < 0)
			return -ENOMEM;
	} else {
		s = source_new(COHD_AWS_CREDENTIALS_ASSUME_ROLE);
		if (!s)
			return -ENOMEM;
		if (set_str(&s->external_id, profile_get(f, name, "external_id")) < 0)
			return -ENOMEM;
		if (source_profile && streq(source_profile, name)) {
			/* self reference: the profile's own static keys are the source (botocore) */
			r = static_from_profile(f, name, &s->source, reterr);
			if (r == -ENOENT) {
				kv_where(f, name, "source_profile", where, sizeof where);
				return cohd_error_set(reterr, -EINVAL,
						      "%s: profile %s is its own source_profile "
						      "but has no keys", where, name);
			}
		} else if (source_profile) {
			chain[depth] = name;
			r = resolve_profile(env, f, source_profile, chain, depth + 1, &s->source,
					    reterr);
			if (r == -ENOENT) {
				kv_where(f, name, "source_profile", where, sizeof where);
				return cohd_error_set(reterr, -EINVAL,
						      "%s: source profile %s has no credentials",
						      where, source_profile);
			}
		} else if (strcasecmp(credential_source, "Environment") == 0) {
			r = env_static(env, &s->source, reterr);
			if (r == -ENOENT)
				return cohd_error_set(reterr, -EINVAL,
						      "profile %s: credential_source Environment "
						      "but AWS_ACCESS_KEY_ID is not set", name);
		} else if (strcasecmp(credential_source, "Ec2InstanceMetadata") == 0) {
			r = imds_from_env(env, true, &s->source, reterr);
		} else if (strcasecmp(credential_source, "EcsContainer") == 0) {
			r = ecs_from_env(env, &s->source, reterr);
			if (r == -ENOENT)
				return cohd_error_set(reterr, -EINVAL,
						      "profile %s: credential_source EcsContainer "
						      "but no AWS_CONTAINER_CREDENTIALS_* variable",
						      name);
		} else {
			kv_where(f, name, "credential_source", where, sizeof where);
			return cohd_error_set(reterr, -EINVAL,
					      "%s: unknown credential_source '%s' (Environment, "
					      "Ec2InstanceMetadata, EcsContainer)",
					      where, credential_source);
		}
		if (r < 0)
			return r;
	}
	if (set_str(&s->role_arn, role_arn) < 0 ||
	    set_str(&s->session_name, profile_get(f, name, "role_session_name")) < 0)
		return -ENOMEM;
	r = parse_duration(f, name, &s->duration_seconds, reterr);
	if (r < 0)
		return r;
	if (asprintf(&s->origin, "profile %s (%s)", name, profile_file(f, name)) < 0) {
		s->origin = NULL;
		return -ENOMEM;
	}
	*ret = TAKE_PTR(s);
	return 0;
}

/* Resolve the top profile and stamp profile name and region on the result. */
static int resolve_top_profile(const struct cohd_aws_env *env, const struct files *f,
			       const char *name, struct cohd_aws_credential_source **ret,
			       struct cohd_error *reterr)
{
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s = NULL;
	const char *chain[COHD_AWS_PROFILE_CHAIN_MAX + 1];
	const char *region = ini_get(config_section(f->config, name), "region") ?
				     ini_get(config_section(f->config, name), "region")->value :
				     NULL;
	int r;

	r = resolve_profile(env, f, name, chain, 0, &s, reterr);
	if (r < 0)
		return r;
	if (set_str(&s->profile, name) < 0 || set_str(&s->region, isempty(region) ? NULL : region))
		return -ENOMEM;
	*ret = TAKE_PTR(s);
	return 0;
}

/* ---- environment sources ---- */

static int env_static(const struct cohd_aws_env *env, struct cohd_aws_credential_source **ret,
		      struct cohd_error *reterr)
{
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s = NULL;
	const char *akid = cohd_aws_env_get(env, "AWS_ACCESS_KEY_ID");
	const char *secret = cohd_aws_env_get(env, "AWS_SECRET_ACCESS_KEY");
	const char *token = cohd_aws_env_get(env, "AWS_SESSION_TOKEN");

	if (!akid && !secret)
		return -ENOENT;
	if (!akid || !secret)
		return cohd_error_set(reterr, -EINVAL, "%s is set but %s is not",
				      akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
				      akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	s = source_new(COHD_AWS_CREDENTIALS_STATIC);
	if (!s)
		return -ENOMEM;
	s->creds = calloc(1, sizeof *s->creds);
	if (!s->creds || set_str(&s->creds->access_key_id, akid) < 0 ||
	    set_str(&s->creds->secret_access_key, secret) < 0 ||
	    set_str(&s->creds->session_token, token) < 0 || set_str(&s->origin, "environment") < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(s);
	return 0;
}

static bool has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* Allowed for http:// full URIs: loopback, the ECS and EKS pod identity link-local hosts. */
static bool full_uri_host_allowed(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127 || streq(host, "169.254.170.2") ||
		       streq(host, "169.254.170.23");
	if (inet_pton(AF_INET6, host, &a6) == 1) {
		struct in6_addr eks;

		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return true;
		return inet_pton(AF_INET6, "fd00:ec2::23", &eks) == 1 && !memcmp(&a6, &eks, sizeof eks);
	}
	return false;
}

/* "http://host[:port]/..." -> whether allowed. https is always allowed. */
static int check_full_uri(const char *uri, struct cohd_error *reterr)
{
	const char *h, *e;
	char host[256];
	size_t n;

	if (has_crlf(uri) || strchr(uri, ' '))
		return cohd_error_set(reterr, -EINVAL,
				      "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a valid URL");
	if (strncasecmp(uri, "https://", 8) == 0)
		return uri[8] ? 0 : cohd_error_set(reterr, -EINVAL,
						   "AWS_CONTAINER_CREDENTIALS_FULL_URI has no host");
	if (strncasecmp(uri, "http://", 7) != 0)
		return cohd_error_set(reterr, -EINVAL,
				      "AWS_CONTAINER_CREDENTIALS_FULL_URI must be http:// or https://");
	h = uri + 7;
	if (strchr(h, '@') && strchr(h, '@') < h + strcspn(h, "/?#"))
		return cohd_error_set(reterr, -EINVAL,
				      "AWS_CONTAINER_CREDENTIALS_FULL_URI must not carry userinfo");
	if (*h == '[') {
		h++;
		e = strchr(h, ']');
		if (!e)
			return cohd_error_set(reterr, -EINVAL,
					      "AWS_CONTAINER_CREDENTIALS_FULL_URI: bad IPv6 host");
	} else
		e = h + strcspn(h, ":/?#");
	n = (size_t)(e - h);
	if (n == 0 || n >= sizeof host)
		return cohd_error_set(reterr, -EINVAL,
				      "AWS_CONTAINER_CREDENTIALS_FULL_URI has no valid host");
	memcpy(host, h, n);
	host[n] = 0;
	if (!full_uri_host_allowed(host))
		return cohd_error_set(reterr, -EPERM,
				      "AWS_CONTAINER_CREDENTIALS_FULL_URI: http:// is allowed only "
				      "for loopback, 169.254.170.2 and 169.254.170.23, not '%s'",
				      host);
	return 0;
}

static int ecs_from_env(const struct cohd_aws_env *env, struct cohd_aws_credential_source **ret,
			struct cohd_error *reterr)
{
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s = NULL;
	const char *rel = cohd_aws_env_get(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = cohd_aws_env_get(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *tok = cohd_aws_env_get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
	const char *tok_file = cohd_aws_env_get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	int r;

	if (!rel && !full)
		return -ENOENT;
	s = source_new(COHD_AWS_CREDENTIALS_ECS);
	if (!s)
		return -ENOMEM;
	if (rel) {
		/* the relative form wins when both are set (botocore) */
		if (rel[0] != '/' || has_crlf(rel) || strchr(rel, ' '))
			return cohd_error_set(reterr, -EINVAL,
					      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path "
					      "starting with '/'");
		if (asprintf(&s->endpoint, ECS_RELATIVE_HOST "%s", rel) < 0) {
			s->endpoint = NULL;
			return -ENOMEM;
		}
	} else {
		r = check_full_uri(full, reterr);
		if (r < 0)
			return r;
		if (set_str(&s->endpoint, full) < 0)
			return -ENOMEM;
	}
	if (tok_file) {
		if (set_str(&s->auth_token_file, tok_file) < 0)
			return -ENOMEM;
	} else if (tok) {
		if (has_crlf(tok))
			return cohd_error_set(reterr, -EINVAL,
					      "AWS_CONTAINER_AUTHORIZATION_TOKEN contains a line "
					      "break");
		if (set_str(&s->auth_token, tok) < 0)
			return -ENOMEM;
	}
	if (set_str(&s->origin, rel ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
				    : "AWS_CONTAINER_CREDENTIALS_FULL_URI") < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(s);
	return 0;
}

/* force: used as a credential_source, where AWS_EC2_METADATA_DISABLED does not apply. */
static int imds_from_env(const struct cohd_aws_env *env, bool force,
			 struct cohd_aws_credential_source **ret, struct cohd_error *reterr)
{
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s = NULL;
	const char *disabled = cohd_aws_env_get(env, "AWS_EC2_METADATA_DISABLED");
	const char *ep = cohd_aws_env_get(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
	size_t n;

	if (!force && disabled && strcasecmp(disabled, "true") == 0)
		return cohd_error_set(reterr, -ENOENT,
				      "no AWS credentials found (environment, credential files, "
				      "web identity, container) and AWS_EC2_METADATA_DISABLED=true");
	if (!ep) {
		const char *mode = cohd_aws_env_get(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");

		ep = mode && strcasecmp(mode, "IPv6") == 0 ? IMDS_IPV6_ENDPOINT
							   : IMDS_DEFAULT_ENDPOINT;
	}
	if (has_crlf(ep) || (strncasecmp(ep, "http://", 7) && strncasecmp(ep, "https://", 8)))
		return cohd_error_set(reterr, -EINVAL,
				      "AWS_EC2_METADATA_SERVICE_ENDPOINT must be an http(s) URL");
	s = source_new(COHD_AWS_CREDENTIALS_IMDS);
	if (!s)
		return -ENOMEM;
	n = strlen(ep);
	while (n > 0 && ep[n - 1] == '/')
		n--;
	s->endpoint = strndup(ep, n);
	if (!s->endpoint || set_str(&s->origin, "instance metadata (IMDSv2)") < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(s);
	return 0;
}

static int web_identity_from_env(const struct cohd_aws_env *env,
				 struct cohd_aws_credential_source **ret,
				 struct cohd_error *reterr)
{
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s = NULL;
	const char *file = cohd_aws_env_get(env, "AWS_WEB_IDENTITY_TOKEN_FILE");
	const char *role = cohd_aws_env_get(env, "AWS_ROLE_ARN");

	if (!file && !role)
		return -ENOENT;
	if (!file || !role)
		return cohd_error_set(reterr, -EINVAL, "%s is set but %s is not",
				      file ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN",
				      file ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE");
	s = source_new(COHD_AWS_CREDENTIALS_WEB_IDENTITY);
	if (!s)
		return -ENOMEM;
	if (set_str(&s->token_file, file) < 0 || set_str(&s->role_arn, role) < 0 ||
	    set_str(&s->session_name, cohd_aws_env_get(env, "AWS_ROLE_SESSION_NAME")) < 0 ||
	    set_str(&s->origin, "AWS_WEB_IDENTITY_TOKEN_FILE") < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(s);
	return 0;
}

/* ---- the chain ---- */

static const char *profile_name(const struct cohd_aws_env *env, bool *ret_explicit)
{
	const char *p = cohd_aws_env_get(env, "AWS_PROFILE");

	*ret_explicit = p != NULL;
	return p ? p : "default";
}

int cohd_aws_credentials_resolve(const struct cohd_aws_env *env,
				 struct cohd_aws_credential_source **ret, struct cohd_error *reterr)
{
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s = NULL;
	_cleanup_(files_done) struct files credstore = {}, shared = {};
	_cleanup_free_ char *creds_path = NULL;
	const char *dir;
	bool explicit_profile;
	const char *profile = profile_name(env, &explicit_profile);
	int r;

	cohd_assert_return(env && ret, -EINVAL);

	/* 1. environment keys */
	r = env_static(env, &s, reterr);
	if (r != -ENOENT)
		goto done;

	/* the config file serves steps 2 and 3 */
	r = load_config_file(env, &shared.config, reterr);
	if (r < 0)
		return r;

	/* 2. systemd credential "aws" */
	dir = cohd_aws_env_get(env, "CREDENTIALS_DIRECTORY");
	if (dir) {
		_cleanup_free_ char *p = NULL;

		if (asprintf(&p, "%s/aws", dir) < 0)
			return -ENOMEM;
		r = load_optional(env, p, false, &credstore.creds, reterr);
		if (r < 0)
			return r;
		credstore.config = shared.config; /* borrowed; see below */
		if (ini_section(credstore.creds, profile)) {
			r = resolve_top_profile(env, &credstore, profile, &s, reterr);
			credstore.config = NULL;
			if (r != -ENOENT)
				goto done;
		}
		credstore.config = NULL;
	}

	/* 3. shared credentials and config files */
	r = default_path(env, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", &creds_path);
	if (r < 0)
		return r;
	r = load_optional(env, creds_path, false, &shared.creds, reterr);
	if (r < 0)
		return r;
	if (profile_exists(&shared, profile)) {
		r = resolve_top_profile(env, &shared, profile, &s, reterr);
		if (r != -ENOENT)
			goto done;
	} else if (explicit_profile && !ini_section(credstore.creds, profile))
		return cohd_error_set(reterr, -EINVAL,
				      "AWS_PROFILE=%s: no such profile in %s%s%s", profile,
				      shared.creds ? shared.creds->path : "(no credentials file)",
				      " or ",
				      shared.config ? shared.config->path : "(no config file)");

	/* 4. web identity from the environment */
	r = web_identity_from_env(env, &s, reterr);
	if (r != -ENOENT)
		goto done;

	/* 5. container endpoint */
	r = ecs_from_env(env, &s, reterr);
	if (r != -ENOENT)
		goto done;

	/* 6. instance metadata */
	r = imds_from_env(env, false, &s, reterr);

done:
	if (r < 0)
		return r;
	log_debug(AWS, "credentials: using %s (%s)", s->origin,
		  cohd_aws_credential_kind_to_string(s->kind));
	*ret = TAKE_PTR(s);
	return 0;
}

int cohd_aws_config_region(const struct cohd_aws_env *env, char **ret, struct cohd_error *reterr)
{
	_cleanup_(ini_freep) struct ini_file *config = NULL;
	const struct ini_kv *kv;
	const char *v;
	bool explicit_profile;
	int r;

	cohd_assert_return(env && ret, -EINVAL);
	v = cohd_aws_env_get(env, "AWS_REGION");
	if (!v)
		v = cohd_aws_env_get(env, "AWS_DEFAULT_REGION");
	if (v) {
		*ret = strdup(v);
		return *ret ? 0 : -ENOMEM;
	}
	r = load_config_file(env, &config, reterr);
	if (r < 0)
		return r;
	kv = ini_get(config_section(config, profile_name(env, &explicit_profile)), "region");
	if (!kv || !*kv->value)
		return -ENOENT;
	*ret = strdup(kv->value);
	return *ret ? 0 : -ENOMEM;
}
