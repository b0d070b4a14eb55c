/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS Signature Version 4 (aws-api.md §7): canonical request, string to sign, signing key,
 * Authorization header or presigned query string. Pure computation on caller-provided inputs:
 * OpenSSL libcrypto (SHA-256, HMAC) and lib/util only; no I/O, no libuv, no curl, no jansson.
 * Never logs secrets (secret key, derived keys, session token); secret material is wiped with
 * OPENSSL_cleanse() as soon as it is no longer needed. Single-threaded like the rest of cohd;
 * any function may run inside a loop callback (nothing blocks).
 *
 * Typical use (the HTTP client):
 *
 *	struct cohd_sigv4_params p;
 *	struct cohd_sigv4_result res = {};
 *
 *	cohd_sigv4_params_init(&p, "ec2", "eu-west-1", cohd_now_realtime() + skew);
 *	p.access_key_id = creds->access_key_id; ...; p.cache = client->key_cache;
 *	r = cohd_sigv4_sign(&req, &p, &res);       // req.headers must contain Host
 *	... append res.headers[0 .. res.n_headers) to the outgoing request ...
 *	cohd_sigv4_result_done(&res);
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util/macro.h"
#include "lib/util/time.h"

/* One HTTP header: name and value as sent (the value may contain obs-fold line breaks; the
 * signer folds them). Owned by whoever owns the array it sits in. */
struct cohd_http_header {
	char *name;
	char *value;
};

/* Free every name and value of h[0..n) and the array itself; h may be NULL. Returns NULL. */
struct cohd_http_header *cohd_http_headers_free(struct cohd_http_header *h, size_t n);

#define COHD_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define COHD_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define COHD_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* hex SHA-256 / HMAC-SHA-256 plus NUL */
#define COHD_SIGV4_HEX_MAX 65
/* Presigned URLs: X-Amz-Expires must be 1 .. 7 days. */
#define COHD_SIGV4_EXPIRES_MAX 604800u
/* Cap on any canonical request / presigned query we build (bytes). */
#define COHD_SIGV4_CANONICAL_MAX (1024u * 1024u)

/* The request to sign. Everything is borrowed for the duration of the call. */
struct cohd_sigv4_request {
	const char *method;                    /* "GET", "POST", ... (required) */
	const char *path;                      /* the raw path exactly as sent on the wire ("/a/b%20c");
						* NULL or "" means "/" */
	const char *query;                     /* the raw query as sent, without '?'; NULL = none */
	const struct cohd_http_header *headers; /* as sent; must contain Host */
	size_t n_headers;
	const void *body;                      /* payload bytes (may be NULL when body_len == 0) */
	size_t body_len;
	const char *payload_hash;              /* if set, used verbatim instead of hashing body:
						* a hex SHA-256 or COHD_SIGV4_UNSIGNED_PAYLOAD */
};

struct cohd_sigv4_key_cache;

/* Signing parameters. Strings are borrowed. Start from cohd_sigv4_params_init(). */
struct cohd_sigv4_params {
	const char *access_key_id;     /* required */
	const char *secret_access_key; /* required; never copied except into wiped scratch */
	const char *session_token;     /* NULL for long-term credentials */
	const char *region;            /* credential scope region (us-east-1 for global services) */
	const char *service;           /* signing name ("ec2", "s3", ...) */
	usec_t time;                   /* wall clock (already corrected for clock skew) */

	/* Path rules. Non-S3 services: both true (RFC 3986 dot-segment removal and "//" collapse,
	 * then the wire path is URI-encoded once more). S3: both false (no normalisation; the wire
	 * path is re-encoded canonically, i.e. percent-decoded and encoded exactly once). */
	bool normalize_path;
	bool double_encode_path;
	/* Add and sign x-amz-content-sha256 (S3 requires it). Its value is the payload hash. */
	bool sign_body;
	/* Add X-Amz-Security-Token after signing instead of signing it (the "header-after" style
	 * of the test suites; no current AWS service needs it). Default false: token is signed. */
	bool omit_session_token;
	/* Presigned URL instead of an Authorization header; expires in seconds (1..7 days).
	 * S3 presigned URLs normally set req.payload_hash = COHD_SIGV4_UNSIGNED_PAYLOAD. */
	bool presign;
	unsigned expires;

	/* Optional signing-key cache (may be NULL): saves the 4 HMACs per request. */
	struct cohd_sigv4_key_cache *cache;
};

/* Fill p with defaults for service/region/time: path normalisation and double encoding on,
 * except for "s3" (off, and sign_body on). Credentials are left NULL, presign off,
 * expires 3600. service and region are borrowed. */
void cohd_sigv4_params_init(struct cohd_sigv4_params *p, const char *service, const char *region,
			    usec_t time);

/* What cohd_sigv4_sign() produces. Owned by the caller; release with cohd_sigv4_result_done(). */
struct cohd_sigv4_result {
	/* Header mode: the headers to add to the request, in this order (each only when it
	 * applies): "X-Amz-Security-Token", "X-Amz-Date", "x-amz-content-sha256",
	 * "Authorization". Presign mode: none (n_headers == 0; sign_body is ignored). */
	struct cohd_http_header *headers;
	size_t n_headers;
	/* Presign mode: the complete query string to send (no '?'): the caller's raw query, then
	 * X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders, X-Amz-Expires,
	 * [X-Amz-Security-Token], X-Amz-Signature. NULL in header mode. */
	char *query;
	/* Hex signature (not secret). */
	char signature[COHD_SIGV4_HEX_MAX];
};

/* Sign req. On success fills *ret (which must be zero-initialised or done) and returns 0.
 * Errors: -EINVAL (missing method/credentials/region/service, no Host header, bad expires,
 * time outside 1970..9999), -EMSGSIZE (canonical request over COHD_SIGV4_CANONICAL_MAX),
 * -ENOMEM. Input headers named Authorization, X-Amz-Date, and (when the signer adds them)
 * X-Amz-Security-Token / x-amz-content-sha256 are ignored: the signer's own values win.
 * user-agent, expect and x-amzn-trace-id are never signed (botocore's list). */
int cohd_sigv4_sign(const struct cohd_sigv4_request *req, const struct cohd_sigv4_params *p,
		    struct cohd_sigv4_result *ret);

/* Free what a result holds and zero it; r may be NULL. */
void cohd_sigv4_result_done(struct cohd_sigv4_result *r);

/* ---- intermediate stages (for tests, tracing and the fuzzer) ---- */

/* The canonical request (aws-api.md §7.1) for req/p, exactly the bytes that get hashed, and the
 * SignedHeaders list ("host;x-amz-date"). Includes the headers/query parameters the signer adds
 * (x-amz-date, token, content hash, or the X-Amz-* presign parameters). Both strings are
 * returned in new memory owned by the caller (ret_signed_headers may be NULL). The canonical
 * request may contain the session token: never log it. Returns 0, -EINVAL, -EMSGSIZE, -ENOMEM. */
int cohd_sigv4_canonical_request(const struct cohd_sigv4_request *req,
				 const struct cohd_sigv4_params *p, char **ret_creq,
				 char **ret_signed_headers);

/* "AWS4-HMAC-SHA256\n<amzdate>\n<scope>\n<hex sha256(creq)>" in new memory. */
int cohd_sigv4_string_to_sign(const char *creq, const struct cohd_sigv4_params *p, char **ret);

/* hex(HMAC(kSigning, sts)) into ret (COHD_SIGV4_HEX_MAX bytes). Uses p->cache if set. */
int cohd_sigv4_signature(const char *sts, const struct cohd_sigv4_params *p,
			 char ret[static COHD_SIGV4_HEX_MAX]);

/* The canonicalisers, exported for the fuzzer and tests. Each returns 0 and a new string, or
 * -EMSGSIZE / -ENOMEM. Path: "/" for NULL or "". Query: sorted "k=v&..." (NULL/"" -> ""),
 * names and values percent-decoded then encoded (space %20, '+' is a literal plus). */
int cohd_sigv4_canonical_path(const char *path, bool normalize, bool double_encode, char **ret);
int cohd_sigv4_canonical_query(const char *query, char **ret);
/* Canonical header block ("name:value\n" each, sorted, duplicates joined with ',') and the
 * SignedHeaders list, from h[0..n) filtered by the never-sign list. */
int cohd_sigv4_canonical_headers(const struct cohd_http_header *h, size_t n, char **ret_block,
				 char **ret_signed_headers);

/* Hex SHA-256 of data into ret. */
void cohd_sigv4_sha256_hex(const void *data, size_t len, char ret[static COHD_SIGV4_HEX_MAX]);

/* ---- signing-key cache ---- */

/* A small cache of derived signing keys (kSigning) per (day, region, service, access key id,
 * secret fingerprint); entries for another day are never used and are evicted first. Keys are
 * wiped on eviction and on free. One per process (or per client) is enough. */
struct cohd_sigv4_key_cache *cohd_sigv4_key_cache_new(void);
struct cohd_sigv4_key_cache *cohd_sigv4_key_cache_free(struct cohd_sigv4_key_cache *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cohd_sigv4_key_cache *, cohd_sigv4_key_cache_free);
/* Number of hits and misses so far (tests, status output). */
void cohd_sigv4_key_cache_stats(const struct cohd_sigv4_key_cache *c, uint64_t *ret_hits,
				uint64_t *ret_misses);

/* ---- tracing ---- */

/* A copy of an Authorization header value with the signature hidden:
 * "AWS4-HMAC-SHA256 Credential=AKID/..., SignedHeaders=..., Signature=<redacted>". Anything that
 * does not look like a SigV4 value becomes "<redacted>". NULL only on OOM; caller frees. */
char *cohd_sigv4_redact_authorization(const char *value);
