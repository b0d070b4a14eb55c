/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <strings.h>

#include "lib/aws/error.h"
#include "lib/util/macro.h"

/* aws-api.md §4, "Throttling set used by the SDKs" (botocore retries/standard.py). */
static const char *const throttling_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
	"TooManyRequestsException", "ProvisionedThroughputExceededException",
	"TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
	"LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
	"EC2ThrottledException", "APICallRateForCustomerExceeded",
};

static const char *const transient_codes[] = {
	"RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
	"ServiceUnavailable", "InternalServerError", "InternalServiceError",
};

static const char *const skew_codes[] = {
	"RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture",
};

/* These mean skew only when the message says so (the signature's time window). */
static const char *const possible_skew_codes[] = {
	"InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure",
};

static const char *const expired_token_codes[] = {
	"ExpiredToken", "ExpiredTokenException", "RequestExpiredException",
};

static const char *const auth_codes[] = {
	"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "InvalidClientTokenId",
	"UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidSignatureException",
	"IncompleteSignature", "MissingAuthenticationToken", "MissingAuthenticationTokenException",
	"AuthFailure", "OptInRequired", "InvalidAccessKeyId", "AuthorizationHeaderMalformed",
};

static const char *const validation_codes[] = {
	"ValidationError", "ValidationException", "InvalidParameterValue",
	"InvalidParameterValueException", "InvalidParameterException", "InvalidParameter",
	"MissingParameter", "InvalidParameterCombination", "InvalidAction", "MalformedXML",
	"InvalidArgument", "InvalidRequest", "InvalidInput", "SerializationException",
	"UnknownOperationException", "InvalidQueryParameter", "MalformedPolicyDocument",
	"InvalidChangeBatch", "IdempotentParameterMismatch",
};

static const char *const already_exists_codes[] = {
	"EntityAlreadyExists", "ResourceAlreadyExistsException", "ResourceExistsException",
	"AlreadyExistsException", "BucketAlreadyOwnedByYou", "BucketAlreadyExists",
	"HostedZoneAlreadyExists", "DistributionAlreadyExists", "CNAMEAlreadyExists",
	"DuplicateLoadBalancerName", "DuplicateTargetGroupName", "DuplicateListener",
	"DBInstanceAlreadyExists", "DBSubnetGroupAlreadyExists", "DBParameterGroupAlreadyExists",
	"DBProxyAlreadyExistsFault", "ReplicationGroupAlreadyExists", "CacheClusterAlreadyExists",
	"CacheSubnetGroupAlreadyExists", "CacheParameterGroupAlreadyExists",
	"InvalidGroup.Duplicate", "InvalidPermission.Duplicate", "RouteAlreadyExists",
	"InvalidKeyPair.Duplicate", "Resource.AlreadyAssociated", "PipelineNameInUseException",
	"OriginAccessControlAlreadyExists", "CachePolicyAlreadyExists", "ResourceConflictException",
	"ResponseHeadersPolicyAlreadyExists",
};

static const char *const conflict_codes[] = {
	"DependencyViolation", "InvalidGroup.InUse", "InvalidIPAddress.InUse", "Gateway.NotAttached",
	"IncorrectState", "IncorrectInstanceState", "ResourceInUse", "ResourceInUseException",
	"OperationNotPermitted", "UpdateInProgressException", "ConcurrentUpdateException",
	"ConcurrentModificationException", "ConcurrentModification", "DeleteConflict",
	"EntityTemporarilyUnmodifiable", "OperationAborted", "OperationAbortedException",
	"BucketNotEmpty", "HostedZoneNotEmpty", "DistributionNotDisabled", "PreconditionFailed",
	"InvalidIfMatchVersion", "KMSInvalidStateException", "InvalidStateException",
	"RequestInProgressException", "ResourceNotReadyException", "ConflictException",
	"ClusterContainsServicesException", "ClusterContainsTasksException",
	"InvalidDBInstanceState", "InvalidDBSubnetGroupStateFault", "InvalidReplicationGroupState",
	"InvalidCacheClusterState", "CacheSubnetGroupInUse", "TooManyInvalidationsInProgress",
	"ResponseHeadersPolicyInUse",
};

static bool in(const char *code, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (streq(code, list[i]))
			return true;
	return false;
}
#define IN(code, list) in(code, list, ELEMENTSOF(list))

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && streq(s + a - b, suffix);
}

/* Not-found codes are too many to list (aws-api.md §4 has forty): match their shapes. */
static bool is_not_found(const char *code)
{
	return ends_with(code, "NotFound") || ends_with(code, "NotFoundFault") ||
	       ends_with(code, "NotFoundException") || ends_with(code, ".NotFound") ||
	       strncmp(code, "NoSuch", 6) == 0 || streq(code, "ObjectNotFoundException") ||
	       streq(code, "NotFoundException") || streq(code, "ServiceNotActiveException");
}

enum cohd_aws_error_class cohd_aws_error_classify(const char *code, int http_status,
						  const char *message)
{
	if (!isempty(code)) {
		if (IN(code, throttling_codes))
			return COHD_AWS_ERROR_THROTTLING;
		if (IN(code, skew_codes))
			return COHD_AWS_ERROR_CLOCK_SKEW;
		if (IN(code, possible_skew_codes) && message &&
		    (strcasestr(message, "signature expired") ||
		     strcasestr(message, "signature not yet current")))
			return COHD_AWS_ERROR_CLOCK_SKEW;
		if (IN(code, expired_token_codes))
			return COHD_AWS_ERROR_EXPIRED_TOKEN;
		if (IN(code, transient_codes))
			return COHD_AWS_ERROR_TRANSIENT;
		if (IN(code, auth_codes))
			return COHD_AWS_ERROR_AUTH;
		if (IN(code, validation_codes))
			return COHD_AWS_ERROR_VALIDATION;
		if (IN(code, already_exists_codes))
			return COHD_AWS_ERROR_ALREADY_EXISTS;
		if (IN(code, conflict_codes))
			return COHD_AWS_ERROR_CONFLICT;
		if (is_not_found(code))
			return COHD_AWS_ERROR_NOT_FOUND;
	}
	if (http_status == 429)
		return COHD_AWS_ERROR_THROTTLING;
	if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504)
		return COHD_AWS_ERROR_TRANSIENT;
	if (isempty(code) && http_status == 404)
		return COHD_AWS_ERROR_NOT_FOUND; /* bodiless HEAD answers */
	if (isempty(code) && http_status == 403)
		return COHD_AWS_ERROR_AUTH;
	return COHD_AWS_ERROR_OTHER;
}

int cohd_aws_error_transport(struct cohd_aws_error *e, int r, const char *message)
{
	if (!e)
		return r;
	cohd_aws_error_done(e);
	e->class = COHD_AWS_ERROR_TRANSIENT;
	e->message = message ? strdup(message) : NULL;
	return r;
}

bool cohd_aws_error_retryable(const struct cohd_aws_error *e)
{
	return e->class == COHD_AWS_ERROR_THROTTLING || e->class == COHD_AWS_ERROR_TRANSIENT;
}

const char *cohd_aws_error_class_to_string(enum cohd_aws_error_class c)
{
	static const char *const names[_COHD_AWS_ERROR_CLASS_MAX] = {
		[COHD_AWS_ERROR_OTHER] = "other",
		[COHD_AWS_ERROR_THROTTLING] = "throttling",
		[COHD_AWS_ERROR_TRANSIENT] = "transient",
		[COHD_AWS_ERROR_CLOCK_SKEW] = "clock-skew",
		[COHD_AWS_ERROR_EXPIRED_TOKEN] = "expired-token",
		[COHD_AWS_ERROR_AUTH] = "auth",
		[COHD_AWS_ERROR_VALIDATION] = "validation",
		[COHD_AWS_ERROR_NOT_FOUND] = "not-found",
		[COHD_AWS_ERROR_ALREADY_EXISTS] = "already-exists",
		[COHD_AWS_ERROR_CONFLICT] = "conflict",
	};

	if (c < 0 || c >= _COHD_AWS_ERROR_CLASS_MAX)
		return NULL;
	return names[c];
}

char *cohd_aws_error_format(const struct cohd_aws_error *e)
{
	char *s = NULL;
	char status[32] = "";

	if (e->http_status)
		snprintf(status, sizeof status, "HTTP %d", e->http_status);
	else
		snprintf(status, sizeof status, "no response");
	if (asprintf(&s, "%s%s%s (%s%s%s)", e->code ? e->code : "", e->code && e->message ? ": " : "",
		     e->message ? e->message : (e->code ? "" : "unknown error"), status,
		     e->request_id ? ", request id " : "", e->request_id ? e->request_id : "") < 0)
		return NULL;
	return s;
}

void cohd_aws_error_done(struct cohd_aws_error *e)
{
	if (!e)
		return;
	free(e->code);
	free(e->message);
	free(e->request_id);
	*e = (struct cohd_aws_error){ 0 };
}
