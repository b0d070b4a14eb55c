/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credentials: the struct, the ECS/IMDS JSON shape, the refresh policy, and the environment
 * abstraction. The chain itself is in chain.c. lib/util, jansson, OpenSSL (cleanse) only.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdint.h>

#include "lib/aws/credentials/credentials.h"
#include "lib/util/log.h"

#define REFRESH_LEAD_MIN (5 * USEC_PER_MINUTE)
#define REFRESH_LEAD_SPREAD (10 * USEC_PER_MINUTE)
#define EXPIRY_MARGIN (10 * USEC_PER_SEC)

static char *wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
	return NULL;
}

void cohd_aws_credentials_done(struct cohd_aws_credentials *c)
{
	if (!c)
		return;
	free(c->access_key_id);
	wipe_free(c->secret_access_key);
	wipe_free(c->session_token);
	*c = (struct cohd_aws_credentials){};
}

struct cohd_aws_credentials *cohd_aws_credentials_free(struct cohd_aws_credentials *c)
{
	if (!c)
		return NULL;
	cohd_aws_credentials_done(c);
	free(c);
	return NULL;
}

int cohd_aws_credentials_copy(const struct cohd_aws_credentials *src,
			      struct cohd_aws_credentials **ret)
{
	_cleanup_(cohd_aws_credentials_freep) struct cohd_aws_credentials *c = NULL;

	cohd_assert_return(ret, -EINVAL);
	if (!src || isempty(src->access_key_id) || isempty(src->secret_access_key))
		return -EINVAL;
	c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->access_key_id = strdup(src->access_key_id);
	c->secret_access_key = strdup(src->secret_access_key);
	if (src->session_token)
		c->session_token = strdup(src->session_token);
	if (!c->access_key_id || !c->secret_access_key || (src->session_token && !c->session_token))
		return -ENOMEM;
	c->expiration = src->expiration;
	*ret = TAKE_PTR(c);
	return 0;
}

static const char *json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int cohd_aws_credentials_from_json(const char *json, size_t len,
				   struct cohd_aws_credentials **ret, struct cohd_error *reterr)
{
	_cleanup_(cohd_aws_credentials_freep) struct cohd_aws_credentials *c = NULL;
	json_auto_t *o = NULL;
	json_error_t jerr;
	const char *code, *akid, *secret, *token, *exp;

	cohd_assert_return(ret && (json || len == 0), -EINVAL);
	o = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		/* jerr.text quotes no input bytes for syntax errors */
		return cohd_error_set(reterr, -EBADMSG, "credentials JSON:%d:%d: %s", jerr.line,
				      jerr.column, jerr.text);
	if (!json_is_object(o))
		return cohd_error_set(reterr, -EBADMSG, "credentials JSON: not an object");
	code = json_str(o, "Code");
	if (json_object_get(o, "Code") && !streq_ptr(code, "Success"))
		return cohd_error_set(reterr, -EBADMSG, "credentials endpoint says Code=%s%s%s",
				      code ? code : "(not a string)",
				      json_str(o, "Message") ? ": " : "",
				      strempty(json_str(o, "Message")));
	akid = json_str(o, "AccessKeyId");
	secret = json_str(o, "SecretAccessKey");
	token = json_str(o, "Token");
	exp = json_str(o, "Expiration");
	if (isempty(akid) || isempty(secret))
		return cohd_error_set(reterr, -EBADMSG,
				      "credentials JSON: AccessKeyId or SecretAccessKey missing");
	if (json_object_get(o, "Token") && !json_is_string(json_object_get(o, "Token")) &&
	    !json_is_null(json_object_get(o, "Token")))
		return cohd_error_set(reterr, -EBADMSG, "credentials JSON: Token is not a string");
	c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	if (exp) {
		if (cohd_parse_iso8601(exp, &c->expiration) < 0 || c->expiration == 0)
			return cohd_error_set(reterr, -EBADMSG,
					      "credentials JSON: bad Expiration '%s'", exp);
	} else if (json_object_get(o, "Expiration") && !json_is_null(json_object_get(o, "Expiration")))
		return cohd_error_set(reterr, -EBADMSG,
				      "credentials JSON: Expiration is not a string");
	c->access_key_id = strdup(akid);
	c->secret_access_key = strdup(secret);
	if (!isempty(token))
		c->session_token = strdup(token);
	if (!c->access_key_id || !c->secret_access_key || (!isempty(token) && !c->session_token))
		return -ENOMEM;
	/* jansson's copies of the secrets are freed (not wiped) with o; jansson offers only a
	 * process-wide allocator hook, which a library must not take over. */
	*ret = TAKE_PTR(c);
	return 0;
}

/* FNV-1a: a stable per-credential-set spread, not a security measure. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

usec_t cohd_aws_credentials_refresh_at(const struct cohd_aws_credentials *c)
{
	usec_t lead;

	if (!c || c->expiration == 0)
		return USEC_INFINITY;
	lead = REFRESH_LEAD_MIN + fnv1a(c->access_key_id) % (REFRESH_LEAD_SPREAD + 1);
	return c->expiration > lead ? c->expiration - lead : 0;
}

bool cohd_aws_credentials_refresh_due(const struct cohd_aws_credentials *c, usec_t now)
{
	usec_t at = cohd_aws_credentials_refresh_at(c);

	return at != USEC_INFINITY && now >= at;
}

bool cohd_aws_credentials_expired(const struct cohd_aws_credentials *c, usec_t now)
{
	if (!c)
		return true;
	if (c->expiration == 0)
		return false;
	return now >= c->expiration || c->expiration - now <= EXPIRY_MARGIN;
}

/* ---- environment ---- */

static const char *process_get(void *userdata, const char *name)
{
	return secure_getenv(name);
}

const struct cohd_aws_env cohd_aws_env_process = { .get = process_get };

static const char *envp_get(void *userdata, const char *name)
{
	size_t n = strlen(name);

	for (char **e = userdata; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

struct cohd_aws_env cohd_aws_env_from_envp(char **envp)
{
	return (struct cohd_aws_env){ .get = envp_get, .userdata = envp };
}

const char *cohd_aws_env_get(const struct cohd_aws_env *env, const char *name)
{
	const char *v;

	if (!env || !env->get || !name)
		return NULL;
	v = env->get(env->userdata, name);
	return isempty(v) ? NULL : v;
}

/* ---- descriptor ---- */

struct cohd_aws_credential_source *
cohd_aws_credential_source_free(struct cohd_aws_credential_source *s)
{
	if (!s)
		return NULL;
	free(s->origin);
	free(s->profile);
	free(s->region);
	cohd_aws_credentials_free(s->creds);
	free(s->role_arn);
	free(s->external_id);
	free(s->session_name);
	cohd_aws_credential_source_free(s->source);
	free(s->token_file);
	free(s->endpoint);
	wipe_free(s->auth_token);
	free(s->auth_token_file);
	free(s);
	return NULL;
}

static const char *const kind_names[_COHD_AWS_CREDENTIALS_KIND_MAX] = {
	[COHD_AWS_CREDENTIALS_STATIC] = "static",
	[COHD_AWS_CREDENTIALS_ASSUME_ROLE] = "assume-role",
	[COHD_AWS_CREDENTIALS_WEB_IDENTITY] = "web-identity",
	[COHD_AWS_CREDENTIALS_ECS] = "ecs",
	[COHD_AWS_CREDENTIALS_IMDS] = "imds",
};

const char *cohd_aws_credential_kind_to_string(enum cohd_aws_credential_kind k)
{
	if (k < 0 || k >= _COHD_AWS_CREDENTIALS_KIND_MAX)
		return NULL;
	return kind_names[k];
}
