"""AWS error responses in each protocol's real wire shape.

A ProxyError carries a code, message and HTTP status; render() turns it into
the (status, headers, body) a real AWS endpoint of that protocol would send
(aws-api.md section 5).  The per-service tables hold the codes AWS uses for
throttling and internal failures, and the per-protocol tables those for
authentication and validation failures.
"""

import email.utils
import json
import uuid
from xml.sax.saxutils import escape


class ProxyError(Exception):
    """An error the proxy answers itself instead of forwarding to moto.

    ``kind`` is the stats outcome the error counts as ("rejected",
    "throttled" or "fault5xx").
    """

    def __init__(self, code, message, status=400, kind="rejected", sender=True):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.kind = kind
        self.sender = sender
        self.headers = []


class Dialect:
    """How one service speaks errors: its protocol and a few quirks."""

    __slots__ = ("service", "protocol", "query_compatible", "xmlns")

    def __init__(self, service, protocol, query_compatible=False, xmlns=None):
        self.service = service
        self.protocol = protocol
        self.query_compatible = query_compatible
        self.xmlns = xmlns


# service -> (code, status, message) for throttling; default by protocol.
_THROTTLE = {
    "ec2": ("RequestLimitExceeded", 503, "Request limit exceeded."),
    "s3": ("SlowDown", 503, "Please reduce your request rate."),
    "lambda": ("TooManyRequestsException", 429, "Rate exceeded"),
    "resourcegroupstaggingapi": ("ThrottledException", 400, "Rate exceeded"),
}
_THROTTLE_BY_PROTOCOL = {
    "query": ("Throttling", 400, "Rate exceeded"),
    "ec2": ("RequestLimitExceeded", 503, "Request limit exceeded."),
    "json": ("ThrottlingException", 400, "Rate exceeded"),
    "rest-json": ("ThrottlingException", 400, "Rate exceeded"),
    "rest-xml": ("Throttling", 400, "Rate exceeded"),
}

# protocol -> {status: code} for injected server faults.
_INTERNAL = {
    "query": {500: "InternalFailure", 503: "ServiceUnavailable"},
    "ec2": {500: "InternalError", 503: "Unavailable"},
    "json": {500: "InternalFailure", 503: "ServiceUnavailable"},
    "rest-json": {500: "ServiceException", 503: "ServiceException"},
    "rest-xml": {500: "InternalFailure", 503: "ServiceUnavailable"},
}
_INTERNAL_S3 = {500: "InternalError", 503: "ServiceUnavailable"}

# Authentication failures: meaning -> protocol -> (code, status).
_AUTH = {
    "missing": {
        "query": ("MissingAuthenticationToken", 403),
        "ec2": ("MissingAuthenticationToken", 401),
        "json": ("MissingAuthenticationTokenException", 400),
        "rest-json": ("MissingAuthenticationTokenException", 403),
        "rest-xml": ("MissingAuthenticationToken", 403),
        "s3": ("AccessDenied", 403),
    },
    "incomplete": {
        "query": ("IncompleteSignature", 400),
        "ec2": ("IncompleteSignature", 400),
        "json": ("IncompleteSignatureException", 400),
        "rest-json": ("IncompleteSignatureException", 403),
        "rest-xml": ("IncompleteSignature", 400),
        "s3": ("AuthorizationHeaderMalformed", 400),
    },
    "content_sha256": {  # S3 only: x-amz-content-sha256 absent
        "s3": ("InvalidRequest", 400),
    },
    "content_sha256_mismatch": {  # S3 only: x-amz-content-sha256 is not the body's
        "s3": ("XAmzContentSHA256Mismatch", 400),
    },
    "unknown_key": {
        "query": ("InvalidClientTokenId", 403),
        "ec2": ("AuthFailure", 401),
        "json": ("UnrecognizedClientException", 400),
        "rest-json": ("UnrecognizedClientException", 403),
        "rest-xml": ("InvalidClientTokenId", 403),
        "s3": ("InvalidAccessKeyId", 403),
    },
    "bad_token": {
        "query": ("InvalidClientTokenId", 403),
        "ec2": ("AuthFailure", 401),
        "json": ("UnrecognizedClientException", 400),
        "rest-json": ("UnrecognizedClientException", 403),
        "rest-xml": ("InvalidClientTokenId", 403),
        "s3": ("InvalidToken", 400),
    },
    "signature": {
        "query": ("SignatureDoesNotMatch", 403),
        "ec2": ("SignatureDoesNotMatch", 403),
        "json": ("InvalidSignatureException", 400),
        "rest-json": ("InvalidSignatureException", 403),
        "rest-xml": ("SignatureDoesNotMatch", 403),
        "s3": ("SignatureDoesNotMatch", 403),
    },
    "skew": {
        "query": ("SignatureDoesNotMatch", 403),
        "ec2": ("RequestExpired", 400),
        "json": ("InvalidSignatureException", 400),
        "rest-json": ("InvalidSignatureException", 403),
        "rest-xml": ("SignatureDoesNotMatch", 403),
        "s3": ("RequestTimeTooSkewed", 403),
    },
}

# Model validation failures: meaning -> protocol -> code (status 400 unless noted).
_VALIDATION = {
    "unknown_operation": {
        "query": "InvalidAction", "ec2": "InvalidAction",
        "json": "UnknownOperationException", "rest-json": "UnknownOperationException",
        "rest-xml": "InvalidAction", "s3": "MethodNotAllowed",
    },
    "missing": {
        "query": "ValidationError", "ec2": "MissingParameter",
        "json": "ValidationException", "rest-json": "ValidationException",
        "route53": "InvalidInput", "cloudfront": "InvalidArgument",
        "s3": "InvalidRequest",
    },
    "unknown": {
        "query": "ValidationError", "ec2": "UnknownParameter",
        "json": "ValidationException", "rest-json": "ValidationException",
        "route53": "InvalidInput", "cloudfront": "MalformedInput",
        "s3": "MalformedXML",
    },
    "invalid": {
        "query": "ValidationError", "ec2": "InvalidParameterValue",
        "json": "ValidationException", "rest-json": "ValidationException",
        "route53": "InvalidInput", "cloudfront": "InvalidArgument",
        "s3": "InvalidArgument",
    },
    "type": {
        "query": "ValidationError", "ec2": "InvalidParameterValue",
        "json": "SerializationException", "rest-json": "SerializationException",
        "route53": "InvalidInput", "cloudfront": "MalformedInput",
        "s3": "InvalidArgument",
    },
}


def _key(dialect):
    return "s3" if dialect.service == "s3" else dialect.protocol


def auth_error(dialect, meaning, message):
    """The error AWS sends for an authentication failure of this meaning."""
    code, status = _AUTH[meaning][_key(dialect)]
    return ProxyError(code, message, status)


def validation_error(dialect, meaning, message):
    """The error AWS sends when a request breaks its service model."""
    table = _VALIDATION[meaning]
    code = table.get(dialect.service) or table[_key(dialect)]
    status = 405 if code == "MethodNotAllowed" else 400
    if meaning == "unknown_operation" and dialect.protocol == "rest-json":
        status = 404
    return ProxyError(code, message, status)


def throttling_error(dialect):
    """The throttling error this service really returns."""
    code, status, message = (_THROTTLE.get(dialect.service)
                             or _THROTTLE_BY_PROTOCOL[dialect.protocol])
    err = ProxyError(code, message, status, kind="throttled")
    if dialect.service == "lambda":
        err.headers.append(("Retry-After", "1"))
    return err


def internal_error(dialect, status):
    """An injected server-side failure with the service's code for ``status``."""
    table = _INTERNAL_S3 if dialect.service == "s3" else _INTERNAL[dialect.protocol]
    code = table.get(status, table[500])
    return ProxyError(code, "We encountered an internal error. Please try again.",
                      status, kind="fault5xx", sender=False)


def new_request_id():
    """A fresh request id in AWS's UUID form."""
    return str(uuid.uuid4())


def render(dialect, err):
    """Return (status, headers, body) for ``err`` in the dialect's wire shape."""
    rid = new_request_id()
    msg = escape(err.message)
    code = escape(err.code)
    kind = "Sender" if err.sender else "Receiver"
    headers = [("Date", email.utils.formatdate(usegmt=True))]
    proto = dialect.protocol
    if dialect.service == "s3":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{code}</Code><Message>{msg}</Message>"
                f"<RequestId>{rid}</RequestId><HostId>{rid}</HostId></Error>")
        headers += [("Content-Type", "application/xml"), ("x-amz-request-id", rid),
                    ("x-amz-id-2", rid)]
    elif proto == "ec2":
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                f"<Code>{code}</Code><Message>{msg}</Message></Error></Errors>"
                f"<RequestID>{rid}</RequestID></Response>")
        headers += [("Content-Type", "text/xml;charset=UTF-8")]
    elif proto in ("query", "rest-xml"):
        xmlns = f' xmlns="{dialect.xmlns}"' if dialect.xmlns else ""
        body = (f'<?xml version="1.0"?>\n<ErrorResponse{xmlns}><Error><Type>{kind}</Type>'
                f"<Code>{code}</Code><Message>{msg}</Message></Error>"
                f"<RequestId>{rid}</RequestId></ErrorResponse>")
        headers += [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)]
    elif proto == "json":
        body = json.dumps({"__type": err.code, "message": err.message})
        headers += [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", rid)]
        if dialect.query_compatible:
            headers.append(("x-amzn-query-error", f"{err.code};{kind}"))
    else:  # rest-json
        body = json.dumps({"Type": "User" if err.sender else "Service", "message": err.message})
        headers += [("Content-Type", "application/json"), ("x-amzn-RequestId", rid),
                    ("X-Amzn-ErrorType", err.code)]
    return err.status, headers + err.headers, body.encode()
