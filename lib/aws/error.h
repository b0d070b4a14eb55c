/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One shape for every AWS failure, whatever the wire protocol said (aws-api.md §4, §5): the HTTP
 * status, AWS's error code and message, the request id, and a class that tells the retry logic
 * and the engine what kind of failure it is. Pure; depends only on lib/util.
 *
 * AWS API failures are returned as -EREMOTEIO with a filled struct cohd_aws_error (style.md §2.3);
 * transport failures (no HTTP response) as other negative errnos with class TRANSIENT set by the
 * caller through cohd_aws_error_transport().
 */
#pragma once

#include <errno.h>
#include <stdbool.h>

#include "lib/util/time.h"

enum cohd_aws_error_class {
	COHD_AWS_ERROR_OTHER,          /* anything not below: not retried */
	COHD_AWS_ERROR_THROTTLING,     /* back off and retry (costs retry quota) */
	COHD_AWS_ERROR_TRANSIENT,      /* 5xx, timeouts, connection errors: retry */
	COHD_AWS_ERROR_CLOCK_SKEW,     /* correct the clock offset from Date, retry once */
	COHD_AWS_ERROR_EXPIRED_TOKEN,  /* refresh temporary credentials, retry once */
	COHD_AWS_ERROR_AUTH,           /* never retried */
	COHD_AWS_ERROR_VALIDATION,     /* never retried */
	COHD_AWS_ERROR_NOT_FOUND,      /* the engine treats it as "gone" */
	COHD_AWS_ERROR_ALREADY_EXISTS, /* the engine checks ownership, then adopts */
	COHD_AWS_ERROR_CONFLICT,       /* in use / dependency / in progress: try again later */
	_COHD_AWS_ERROR_CLASS_MAX,
	_COHD_AWS_ERROR_CLASS_INVALID = -EINVAL,
};

struct cohd_aws_error {
	int http_status;        /* 0 when no response arrived */
	char *code;             /* AWS's code ("ThrottlingException"), or NULL */
	char *message;          /* AWS's message, or a transport error text; NULL if none */
	char *request_id;       /* x-amzn-RequestId / x-amz-request-id / body RequestId, or NULL */
	enum cohd_aws_error_class class;
	usec_t retry_after;     /* from x-amz-retry-after (ms) or Retry-After (s); 0 = none */
};

/* Fill class from code and http_status (both may be absent). The lists are aws-api.md §4 and
 * the SDKs' standard retry mode; "possible skew" codes count as skew only when the message says
 * the signature expired or is not yet current. */
enum cohd_aws_error_class cohd_aws_error_classify(const char *code, int http_status,
						  const char *message);

/* Set e to a transport failure (no HTTP response): class TRANSIENT, message copied. Returns r. */
int cohd_aws_error_transport(struct cohd_aws_error *e, int r, const char *message);

/* Whether the standard retry mode retries this class. */
bool cohd_aws_error_retryable(const struct cohd_aws_error *e);

const char *cohd_aws_error_class_to_string(enum cohd_aws_error_class c);

/* "Code: message (HTTP 400, request id abc)" into a new string for logs and status; NULL on OOM. */
char *cohd_aws_error_format(const struct cohd_aws_error *e);

/* Free the strings and zero the struct; e may be NULL. */
void cohd_aws_error_done(struct cohd_aws_error *e);
