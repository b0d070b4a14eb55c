/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS service models and the five wire protocols (query, ec2, json, rest-json, rest-xml): turn an
 * operation's parameters (a JSON object in AWS member names, like botocore's params) into an HTTP
 * request, turn an HTTP response into a JSON document or a struct cohd_aws_error, and page through
 * list operations. The models are botocore's (Debian python3-botocore), trimmed and embedded at
 * build time, loaded lazily per service. Pure: no network, no loop; depends on lib/util,
 * lib/aws/error.h, jansson, expat and OpenSSL (base64, MD5, random). Not thread-safe (the model
 * cache is a process-wide table; cohd has one thread).
 *
 * Conventions of the JSON documents (params in, results out):
 *   - member names are the model's member names (never wire names);
 *   - timestamps: in params an ISO 8601 string or a number (epoch seconds); in results always a
 *     number of epoch seconds (integer when whole, real when fractional);
 *   - blobs: in params the raw bytes as a string (encoded as needed on the wire); in results the
 *     decoded bytes as a string when they are valid UTF-8, else base64 of the bytes;
 *   - floats: NaN and infinities as the strings "NaN", "Infinity", "-Infinity";
 *   - jsonvalue members (e.g. JSON documents in headers) are JSON values in both directions.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/aws/error.h"
#include "lib/util/buf.h"
#include "lib/util/error.h"

enum cohd_aws_protocol {
	COHD_AWS_PROTOCOL_QUERY,
	COHD_AWS_PROTOCOL_EC2,
	COHD_AWS_PROTOCOL_JSON,
	COHD_AWS_PROTOCOL_REST_JSON,
	COHD_AWS_PROTOCOL_REST_XML,
	_COHD_AWS_PROTOCOL_MAX,
	_COHD_AWS_PROTOCOL_INVALID = -EINVAL,
};

/* "query", "ec2", "json", "rest-json", "rest-xml" <-> enum. */
int cohd_aws_protocol_from_string(const char *s);
const char *cohd_aws_protocol_to_string(enum cohd_aws_protocol p);

/* ---- the embedded service models ---- */

/* One entry of the built-in table. Strings are static; NULL when the model has no such field. */
struct cohd_aws_service {
	const char *cli_name;        /* "ec2", "elbv2", "resourcegroupstaggingapi" (aws CLI names) */
	const char *service_id;      /* metadata.serviceId "Elastic Load Balancing v2"; for
				      * AWS_ENDPOINT_URL_<SERVICE_ID> upper-case it, spaces -> '_' */
	const char *endpoint_prefix; /* "elasticloadbalancing" */
	const char *signing_name;    /* metadata.signingName, else endpointPrefix */
	const char *protocol_name;   /* "query" ... */
	enum cohd_aws_protocol protocol;
	const char *api_version;     /* "2015-12-01" */
	const char *target_prefix;   /* json: "TrentService" */
	const char *json_version;    /* json: "1.1" */
	const char *global_endpoint; /* "iam.amazonaws.com" for global services */
	const char *xml_namespace;   /* metadata.xmlNamespace (rest-xml) */
	/* private: the trimmed model, compact JSON (not NUL-terminated) */
	const unsigned char *_model;
	size_t _model_len;
	const unsigned char *_paginators;
	size_t _paginators_len;
};

/* The built-in services, NULL-free array of *ret_n entries sorted by cli_name. */
const struct cohd_aws_service *cohd_aws_services(size_t *ret_n);

/* By CLI name ("ec2"), also accepting the endpointPrefix ("elasticloadbalancing", "monitoring",
 * "tagging"); NULL when unknown. */
const struct cohd_aws_service *cohd_aws_service_find(const char *name);

/* A parsed service model: botocore's service-2.json layout plus the paginators. The same codecs
 * run on the embedded models and on hand-built ones (tests). All json_t are owned by the model. */
struct cohd_aws_service_model {
	enum cohd_aws_protocol protocol;
	json_t *doc;        /* {"metadata":{..}, "operations":{..}, "shapes":{..}} */
	json_t *metadata;   /* borrowed from doc */
	json_t *operations; /* borrowed from doc */
	json_t *shapes;     /* borrowed from doc */
	json_t *paginators; /* {"<Operation>": {input_token, output_token, ...}}; never NULL */
	const char *api_version;   /* borrowed; NULL if absent */
	const char *target_prefix; /* borrowed; NULL if absent */
	const char *json_version;  /* borrowed; "1.0" if absent */
};

/* Build a model from a service-2.json document and an optional paginators-1.json document
 * (either its top level {"pagination": {...}} or the inner object). Takes new references.
 * Fails with -EINVAL (+ message) when metadata.protocol is missing or unknown. */
int cohd_aws_service_model_new(json_t *service_doc, json_t *paginators_doc,
			       struct cohd_aws_service_model **ret, struct cohd_error *reterr);
struct cohd_aws_service_model *cohd_aws_service_model_free(struct cohd_aws_service_model *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cohd_aws_service_model *, cohd_aws_service_model_free);

/* The model of a built-in service, parsed on first use and cached for the process lifetime
 * (never free it). Returns 0, or -ENOMEM/-EBADMSG. */
int cohd_aws_service_model(const struct cohd_aws_service *svc,
			   const struct cohd_aws_service_model **ret);

/* Free every cached model (for leak checkers at exit). */
void cohd_aws_service_models_flush(void);

/* The operation definition (botocore "operations.<Name>": name, http, input, output, errors...),
 * borrowed from the model. Returns 0 or -ENOENT. */
int cohd_aws_operation_find(const struct cohd_aws_service_model *m, const char *operation,
			    const json_t **ret_op);

/* Operation names of the model, sorted; a new JSON array of strings. NULL on OOM. */
json_t *cohd_aws_operation_list(const struct cohd_aws_service_model *m);

/* ---- requests ---- */

struct cohd_aws_header {
	char *name;
	char *value;
};

/* What to send; the HTTP layer adds Host, X-Amz-Date, Authorization, Content-Length, User-Agent.
 * path and query are raw: already percent-encoded exactly as they go on the wire (SigV4
 * canonicalises from them). */
struct cohd_aws_http_request {
	char *method;           /* "POST" */
	char *path;             /* "/", "/2015-03-31/functions/my-fn" */
	char *query;            /* "list-type=2&prefix=a%2Fb" without '?', "" when none */
	struct cohd_aws_header *headers; /* Content-Type, X-Amz-Target, Content-MD5, bound members */
	size_t n_headers;
	struct cohd_buf body;   /* may be empty (len 0); capped at COHD_AWS_REQUEST_BODY_MAX */
	char *host_prefix;      /* endpoint.hostPrefix with labels filled ("abc." ), or NULL */
};

#define COHD_AWS_REQUEST_BODY_MAX (64U * 1024U * 1024U)

void cohd_aws_http_request_done(struct cohd_aws_http_request *r);

/* Case-insensitive header lookup in a list; NULL when absent. */
const char *cohd_aws_header_get(const struct cohd_aws_header *h, size_t n, const char *name);

/* Serialise the operation's input. params: a JSON object (NULL = {}), validated against the input
 * shape first: unknown member, missing required member or wrong JSON type -> -EINVAL with a
 * message naming the member path and the operation. Members with idempotencyToken left unset
 * are filled with a random UUID; rest-xml {Quantity, Items} pairs (CloudFront) get Quantity =
 * the number of Items when Quantity is unset. Empty URI labels and header values with CR/LF
 * are refused (-EINVAL). Unknown operation -> -ENOENT. *ret is written only on success
 * and must be released with cohd_aws_http_request_done(). */
int cohd_aws_serialize(const struct cohd_aws_service_model *m, const char *operation,
		       const json_t *params, struct cohd_aws_http_request *ret,
		       struct cohd_error *reterr);

/* Fill the operation's unset top-level idempotencyToken members of params (an object, modified
 * in place) with random UUIDs, so that a caller can persist them and resend the same tokens
 * after a restart (aws-api.md §3). Returns the number of members filled, -ENOENT for an unknown
 * operation, -EINVAL if params is not an object. */
int cohd_aws_fill_idempotency_tokens(const struct cohd_aws_service_model *m,
				     const char *operation, json_t *params);

/* ---- responses ---- */

/* Parse a response. On success (a status the protocol counts as success and no error body)
 * returns 0 and *ret: a new JSON object of the output members (header-, status- and
 * payload-bound members included; {} when the operation has no output). On an AWS error returns
 * -EREMOTEIO with *reterr filled (http_status, code, message, request_id, class via
 * cohd_aws_error_classify(); retry_after is left for the HTTP layer). A success status whose
 * body is malformed returns -EBADMSG with reterr->message saying why. reterr may be NULL.
 * Bodies are parsed with expat/jansson; XML depth and element counts are capped. */
int cohd_aws_parse_response(const struct cohd_aws_service_model *m, const char *operation,
			    int http_status, const struct cohd_aws_header *headers,
			    size_t n_headers, const void *body, size_t body_len, json_t **ret,
			    struct cohd_aws_error *reterr);

/* Parse only an error (the HTTP layer may call it for any status >= 300 without an operation;
 * S3's "200 with <Error>" is handled by cohd_aws_parse_response). Always fills *reterr and
 * returns -EREMOTEIO (or -ENOMEM). */
int cohd_aws_parse_error(const struct cohd_aws_service_model *m, int http_status,
			 const struct cohd_aws_header *headers, size_t n_headers,
			 const void *body, size_t body_len, struct cohd_aws_error *reterr);

/* ---- pagination (paginators-1.json) ---- */

/* The paginator of an operation, borrowed: {"input_token": "NextToken" | [..], "output_token":
 * "NextToken" | [..] (dotted paths such as "DistributionList.NextMarker"), "more_results",
 * "limit_key", "result_key": str | [..]}. Returns 0, or -ENOENT when the operation is unpaged. */
int cohd_aws_paginator_find(const struct cohd_aws_service_model *m, const char *operation,
			    const json_t **ret_paginator);

/* Given the params of the request just sent and its parsed response, build the params of the
 * next page: returns 1 and *ret_next (a new object: params with the input token(s) set from the
 * output token(s)), 0 when this was the last page (more_results false, or no/empty/unchanged
 * output token), -ENOENT when the operation is unpaged. */
int cohd_aws_paginate_next(const struct cohd_aws_service_model *m, const char *operation,
			   const json_t *params, const json_t *response, json_t **ret_next);

/* Merge a page into an accumulated result: the result_key lists of page are appended to those
 * of acc (created when absent); other members of page overwrite acc's, output tokens and
 * more_results are removed from acc. acc must be an object. Returns 0, -ENOENT (unpaged) or
 * -ENOMEM. */
int cohd_aws_paginate_merge(const struct cohd_aws_service_model *m, const char *operation,
			    json_t *acc, const json_t *page);
