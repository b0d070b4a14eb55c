/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The static half of the AWS SDK credential chain: from an environment (given, never the process
 * env directly) and the files it names, decide *where* credentials come from and return a
 * descriptor (struct cohd_aws_credential_source). The network fetchers (STS AssumeRole /
 * AssumeRoleWithWebIdentity, ECS container endpoint, IMDSv2) live in lib/aws/http's users and
 * execute that descriptor; the JSON they receive is parsed here. Also the region lookup and
 * the refresh policy for temporary credentials.
 *
 * Depends on lib/util, jansson and OpenSSL (OPENSSL_cleanse) only; reads small files, no network,
 * no libuv. Single-threaded; may run inside a loop callback (file reads are tiny and capped).
 * Secrets are wiped on free and never logged or put into error messages.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/util/error.h"
#include "lib/util/macro.h"
#include "lib/util/time.h"

/* ---- credentials ---- */

struct cohd_aws_credentials {
	char *access_key_id;
	char *secret_access_key; /* secret */
	char *session_token;     /* secret; NULL for long-term keys */
	usec_t expiration;       /* wall clock; 0 = never expires */
};

/* Wipe and free the strings (the struct itself stays, zeroed); c may be NULL. */
void cohd_aws_credentials_done(struct cohd_aws_credentials *c);
/* cohd_aws_credentials_done() + free(c). Returns NULL. */
struct cohd_aws_credentials *cohd_aws_credentials_free(struct cohd_aws_credentials *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cohd_aws_credentials *, cohd_aws_credentials_free);

/* Deep copy into new memory owned by the caller. Returns 0, -EINVAL (src or its access key /
 * secret missing), -ENOMEM. */
int cohd_aws_credentials_copy(const struct cohd_aws_credentials *src,
			      struct cohd_aws_credentials **ret);

/* Parse the JSON the ECS container endpoint and IMDS return:
 *   {"Code":"Success", "AccessKeyId":"…", "SecretAccessKey":"…", "Token":"…",
 *    "Expiration":"2026-11-26T18:00:00Z", ...}
 * "Code" is optional (IMDS only) but must be "Success" when present; Token and Expiration are
 * optional. Returns 0 and new credentials, or -EBADMSG with a message in reterr (never
 * containing secret values). */
int cohd_aws_credentials_from_json(const char *json, size_t len,
				   struct cohd_aws_credentials **ret, struct cohd_error *reterr);

/* Refresh policy for temporary credentials (botocore refreshes 15 min ahead "advisory" and
 * 10 min "mandatory"; we spread it): refresh is due from expiration - lead, where lead is
 * between 5 and 15 minutes, picked from a hash of the access key id (stable for one credential
 * set, different between sets and processes, so many cohd instances do not refresh together).
 * Requests keep using the old credentials while a refresh runs, until
 * cohd_aws_credentials_expired(). Never-expiring credentials (expiration 0) are never due.
 * Credentials that live 15 minutes or less are due as soon as they arrive: fetchers must
 * rate-limit themselves (no more than one fetch a minute). refresh_at returns USEC_INFINITY
 * for never-expiring credentials. */
usec_t cohd_aws_credentials_refresh_at(const struct cohd_aws_credentials *c);
bool cohd_aws_credentials_refresh_due(const struct cohd_aws_credentials *c, usec_t now);
/* True once now is within 10 s of expiration (a request signed now could arrive expired). */
bool cohd_aws_credentials_expired(const struct cohd_aws_credentials *c, usec_t now);

/* ---- the environment ---- */

/* How the resolver reads environment variables. get() returns the value or NULL (borrowed;
 * must stay valid for the duration of the call that uses it). */
struct cohd_aws_env {
	const char *(*get)(void *userdata, const char *name);
	void *userdata;
};

/* The process environment through secure_getenv() (production). */
extern const struct cohd_aws_env cohd_aws_env_process;
/* An environment backed by a NULL-terminated "NAME=value" array (tests). envp is borrowed. */
struct cohd_aws_env cohd_aws_env_from_envp(char **envp);
/* env->get(name), but "" counts as unset (returns NULL). */
const char *cohd_aws_env_get(const struct cohd_aws_env *env, const char *name);

/* ---- the chain ---- */

enum cohd_aws_credential_kind {
	COHD_AWS_CREDENTIALS_STATIC,       /* creds is set */
	COHD_AWS_CREDENTIALS_ASSUME_ROLE,  /* STS AssumeRole with the creds of ->source */
	COHD_AWS_CREDENTIALS_WEB_IDENTITY, /* STS AssumeRoleWithWebIdentity, token from token_file */
	COHD_AWS_CREDENTIALS_ECS,          /* GET endpoint [Authorization: auth token] */
	COHD_AWS_CREDENTIALS_IMDS,         /* IMDSv2 at endpoint */
	_COHD_AWS_CREDENTIALS_KIND_MAX,
	_COHD_AWS_CREDENTIALS_KIND_INVALID = -EINVAL,
};

/* A descriptor of where credentials come from. All strings owned by the struct; free with
 * cohd_aws_credential_source_free(). Fields not listed for a kind are NULL/0. */
struct cohd_aws_credential_source {
	enum cohd_aws_credential_kind kind;
	/* For status output and debug logs, never secret: "environment",
	 * "/run/credentials/cohd.service/aws [default]", "profile prod (~/.aws/config)". */
	char *origin;
	char *profile; /* the profile this came from, or NULL */
	char *region;  /* the profile's "region", or NULL */

	/* STATIC */
	struct cohd_aws_credentials *creds;

	/* ASSUME_ROLE (role_arn, external_id, session_name, duration_seconds, source) and
	 * WEB_IDENTITY (role_arn, session_name, duration_seconds, token_file). session_name NULL:
	 * the fetcher chooses one (e.g. "cohd-<unix time>"); duration_seconds 0: STS default
	 * (3600). source is another descriptor (STATIC, ASSUME_ROLE, WEB_IDENTITY, ECS, IMDS) whose
	 * credentials sign the AssumeRole call. */
	char *role_arn;
	char *external_id;
	char *session_name;
	unsigned duration_seconds;
	struct cohd_aws_credential_source *source;
	char *token_file; /* WEB_IDENTITY: read it at every fetch (it is rotated) */

	/* ECS: full URL to GET. IMDS: base URL ("http://169.254.169.254"). */
	char *endpoint;
	/* ECS: value for the Authorization header (secret), or the file to read it from at every
	 * fetch (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE wins when both are set). */
	char *auth_token;
	char *auth_token_file;
};

struct cohd_aws_credential_source *
cohd_aws_credential_source_free(struct cohd_aws_credential_source *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cohd_aws_credential_source *, cohd_aws_credential_source_free);

const char *cohd_aws_credential_kind_to_string(enum cohd_aws_credential_kind k);

/* Resolve the chain, first match wins:
 *  1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)          -> STATIC
 *  2. $CREDENTIALS_DIRECTORY/aws (systemd LoadCredential=aws:...), INI like the shared
 *     credentials file, section AWS_PROFILE or "default"; used with AWS_CONFIG_FILE for
 *     role_arn/source_profile chains                                           -> any kind
 *  3. shared files AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) + AWS_CONFIG_FILE
 *     (~/.aws/config), profile AWS_PROFILE (default "default"): role_arn (+ source_profile,
 *     recursively, or credential_source Environment / Ec2InstanceMetadata / EcsContainer),
 *     web_identity_token_file + role_arn, or static keys                        -> any kind
 *  4. AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME)      -> WEB_IDENTITY
 *  5. AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2 + uri) or _FULL_URI
 *     (loopback, 169.254.170.2, 169.254.170.23 or https only), with
 *     AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)                                  -> ECS
 *  6. IMDSv2 at AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254, or
 *     http://[fd00:ec2::254] with AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6) unless
 *     AWS_EC2_METADATA_DISABLED=true (which does not apply to an explicit profile
 *     "credential_source = Ec2InstanceMetadata")                               -> IMDS
 * Returns 0 and a new descriptor; -ENOENT when nothing applies (IMDS disabled);
 * -EINVAL / -EBADMSG / -ELOOP / -EFBIG / -errno with a message in reterr ("file:line: message"
 * for file errors) for a partial or broken configuration (e.g. only AWS_ACCESS_KEY_ID set, an
 * explicit AWS_PROFILE that exists nowhere, a source_profile loop, a disallowed full URI);
 * -EOPNOTSUPP for a profile that only has credential_process or SSO settings.
 * Missing default files are not errors. */
int cohd_aws_credentials_resolve(const struct cohd_aws_env *env,
				 struct cohd_aws_credential_source **ret, struct cohd_error *reterr);

/* The region to use: AWS_REGION, AWS_DEFAULT_REGION, then "region" of the profile (AWS_PROFILE
 * or "default") in AWS_CONFIG_FILE (~/.aws/config). Returns 0 and a new string, -ENOENT when
 * none is configured, or another -errno with reterr for a broken config file. */
int cohd_aws_config_region(const struct cohd_aws_env *env, char **ret, struct cohd_error *reterr);

/* Caps for the INI reader. */
#define COHD_AWS_INI_FILE_MAX (1024u * 1024u)
#define COHD_AWS_INI_LINE_MAX 4096u
/* Cap on source_profile chains (also catches loops early). */
#define COHD_AWS_PROFILE_CHAIN_MAX 16u
