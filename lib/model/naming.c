/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Physical names (per-kind limits and alphabets, cut-with-hash) and the standard tags.
 * Pure; depends on util and OpenSSL's SHA-256.
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdarg.h>

#include "lib/model/naming.h"

struct kind_info {
	size_t max;
	bool slash;        /* '/' allowed (log groups, secrets) */
	bool letter_first; /* must start with a letter */
};

static const struct kind_info kinds[_COHD_NAME_KIND_MAX] = {
	[COHD_NAME_GENERIC] = { 255 },
	[COHD_NAME_EC2_TAG] = { 255 },
	[COHD_NAME_SECURITY_GROUP] = { 255 },
	[COHD_NAME_ALB] = { 32, false, true },
	[COHD_NAME_TARGET_GROUP] = { 32, false, true },
	[COHD_NAME_IAM_ROLE] = { 64 },
	[COHD_NAME_IAM_POLICY] = { 128 },
	[COHD_NAME_S3_BUCKET] = { 63 },
	[COHD_NAME_LOG_GROUP] = { 512, true },
	[COHD_NAME_RDS] = { 63, false, true },
	[COHD_NAME_RDS_PROXY] = { 60, false, true },
	/* database user names: MySQL allows 16 chars (32 on 8.0), PostgreSQL 63; use the
	 * smaller so one rule fits every engine; '_' instead of '-' is applied by the caller */
	[COHD_NAME_DB_NAME] = { 16, false, true },
	[COHD_NAME_ELASTICACHE] = { 40, false, true },
	[COHD_NAME_ECS] = { 255 },
	[COHD_NAME_ECR] = { 256 },
	[COHD_NAME_LAMBDA] = { 64 },
	[COHD_NAME_CODEBUILD] = { 255 },
	[COHD_NAME_CODEPIPELINE] = { 100 },
	[COHD_NAME_SECRET] = { 512, true },
	[COHD_NAME_EVENTS_RULE] = { 64 },
	[COHD_NAME_ALARM] = { 255 },
	[COHD_NAME_SCALING_POLICY] = { 256 },
	[COHD_NAME_CLOUDFRONT] = { 128 },
	[COHD_NAME_SUBNET_GROUP] = { 255 },
	[COHD_NAME_INSTANCE_PROFILE] = { 128 },
};

size_t cohd_naming_max(enum cohd_name_kind k)
{
	return k >= 0 && k < _COHD_NAME_KIND_MAX ? kinds[k].max : 0;
}

bool cohd_naming_valid(enum cohd_name_kind k, const char *s)
{
	size_t n;

	if (k < 0 || k >= _COHD_NAME_KIND_MAX || isempty(s))
		return false;
	n = strlen(s);
	if (n > kinds[k].max || (k == COHD_NAME_S3_BUCKET && n < 3))
		return false;
	if (kinds[k].letter_first && !islower((unsigned char)s[0]))
		return false;
	if (s[0] == '-' || s[n - 1] == '-' || strstr(s, "--"))
		return false;
	if (k == COHD_NAME_ALB && strncmp(s, "internal-", 9) == 0)
		return false;
	for (const char *p = s; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' ||
		      (*p == '/' && kinds[k].slash)))
			return false;
	return true;
}

static char *sanitize(const char *s, bool slash)
{
	size_t n = strlen(s), j = 0;
	char *out = malloc(n + 2);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)s[i]);

		if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || (slash && c == '/')))
			c = '-';
		if (c == '-' && (j == 0 || out[j - 1] == '-' || out[j - 1] == '/'))
			continue;
		if (c == '/' && j > 0 && out[j - 1] == '-')
			j--;
		out[j++] = c;
	}
	while (j > 0 && (out[j - 1] == '-' || (out[j - 1] == '/' && j > 1)))
		j--;
	out[j] = 0;
	return out;
}

char *cohd_naming_slug(const char *s, size_t max)
{
	char *out = sanitize(strempty(s), false);

	if (!out)
		return NULL;
	if (max > 0 && strlen(out) > max) {
		out[max] = 0;
		while (max > 0 && out[max - 1] == '-')
			out[--max] = 0;
	}
	if (!*out) {
		free(out);
		return strdup("x");
	}
	return out;
}

void cohd_naming_hash(char *out, size_t n_bytes, const char *const *parts, size_t n_parts)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;
	EVP_MD_CTX *ctx;

	n_bytes = MIN(n_bytes, (size_t)32);
	memset(md, 0, sizeof md);
	ctx = EVP_MD_CTX_new();
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		for (size_t i = 0; i < n_parts; i++)
			EVP_DigestUpdate(ctx, strempty(parts[i]), strlen(strempty(parts[i])) + 1);
		EVP_DigestFinal_ex(ctx, md, &md_len);
	}
	EVP_MD_CTX_free(ctx);
	for (size_t i = 0; i < n_bytes; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * n_bytes] = 0;
}

char *cohd_naming_app_prefix(const char *seed, const char *app)
{
	_cleanup_free_ char *slug = cohd_naming_slug(app, 20);
	const char *parts[] = { strempty(seed), strempty(app) };
	char h[7], *ret;

	if (!slug)
		return NULL;
	cohd_naming_hash(h, 3, parts, ELEMENTSOF(parts));
	if (asprintf(&ret, "%s-%s", slug, h) < 0)
		return NULL;
	return ret;
}

char *cohd_naming_make(enum cohd_name_kind k, const char *fmt, ...)
{
	_cleanup_free_ char *raw = NULL;
	const struct kind_info *ki;
	char *s, h[7];
	size_t n;
	va_list ap;
	int r;

	if (k < 0 || k >= _COHD_NAME_KIND_MAX)
		return NULL;
	ki = &kinds[k];
	va_start(ap, fmt);
	r = vasprintf(&raw, fmt, ap);
	va_end(ap);
	if (r < 0)
		return NULL;
	s = sanitize(raw, ki->slash);
	if (!s)
		return NULL;
	if (ki->letter_first && !islower((unsigned char)s[0])) {
		char *t;

		if (asprintf(&t, "c%s", s) < 0) {
			free(s);
			return NULL;
		}
		free(s);
		s = t;
	}
	if (k == COHD_NAME_ALB && strncmp(s, "internal-", 9) == 0) {
		/* ELB refuses load balancer names that start with "internal-" */
		char *t;

		if (asprintf(&t, "c%s", s) < 0) {
			free(s);
			return NULL;
		}
		free(s);
		s = t;
	}
	n = strlen(s);
	if (n < 3) {
		/* pad very short names (S3 needs 3); cannot happen with an app prefix */
		char *t;

		if (asprintf(&t, "%s-%s", s, "cohd") < 0) {
			free(s);
			return NULL;
		}
		free(s);
		s = t;
		n = strlen(s);
	}
	if (n > ki->max) {
		const char *parts[] = { raw };
		size_t keep = ki->max - 7;

		cohd_naming_hash(h, 3, parts, 1);
		while (keep > 0 && (s[keep - 1] == '-' || s[keep - 1] == '/'))
			keep--;
		memcpy(s + keep, "-", 1);
		memcpy(s + keep + 1, h, 7);
	}
	return s;
}

int cohd_naming_tag(struct cohd_resource *r, const char *app, const char *environment,
		    bool production)
{
	int k;

	k = cohd_resource_tag(r, "ManagedBy", "coherence");
	if (k >= 0)
		k = cohd_resource_tag(r, "Application", app);
	if (k >= 0)
		k = cohd_resource_tag(r, "Environment", production ? "production" : "review");
	if (k >= 0)
		k = cohd_resource_tag(r, "cohd:id", r->id);
	if (k >= 0 && r->scope != COHD_SCOPE_APPLICATION)
		k = cohd_resource_tag(r, "cohd:environment", environment);
	if (k >= 0 && strncmp(r->type, "ec2.", 4) == 0)
		k = cohd_resource_tag(r, "Name", r->name);
	return k;
}
