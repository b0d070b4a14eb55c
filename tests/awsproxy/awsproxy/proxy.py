"""The per-request pipeline: identify, authenticate, validate, fault, forward.

Proxy.handle() takes one parsed client request and returns a Reply (or DROP
to close the connection without answering).  Order: SigV4 claims -> service
and operation -> signature -> model validation -> CloudFront If-Match ->
faults -> moto -> credentials learned, ETags and pending states applied ->
counted.
"""

import json
import re
import time
import traceback
from urllib.parse import parse_qs

from . import emulate, errors, sigv4, validate
from .errors import Dialect, ProxyError
from .pending import LAMBDA_UPDATES

DROP = object()
_XML_CODE = re.compile(rb"<Code>([^<]+)</Code>")
# Operations whose answers carry credentials the proxy must then accept.
_CREDENTIAL_OPS = {("sts", "AssumeRole"), ("sts", "AssumeRoleWithWebIdentity"),
                   ("sts", "AssumeRoleWithSAML"), ("sts", "GetSessionToken"),
                   ("sts", "GetFederationToken"), ("iam", "CreateAccessKey")}


class Headers:
    """Request headers: case-insensitive look-ups, original pairs kept for forwarding."""

    __slots__ = ("pairs", "_map")

    def __init__(self, pairs):
        self.pairs = list(pairs)
        self._map = {}
        for name, value in self.pairs:
            self._map.setdefault(name.lower(), []).append(value)

    def get(self, name, default=None):
        values = self._map.get(name.lower())
        return values[0] if values else default

    def get_all(self, name):
        return self._map.get(name.lower(), [])

    def keys(self):
        return self._map.keys()

    def __contains__(self, name):
        return name.lower() in self._map


class Request:
    """A client request as read off the socket (``headers``: name/value pairs)."""

    __slots__ = ("method", "host", "path", "query", "query_pairs", "headers", "body", "raw_path")

    def __init__(self, method, raw_path, headers, body):
        self.method = method
        self.raw_path = raw_path
        self.path, _, query_string = raw_path.partition("?")
        self.query = parse_qs(query_string, keep_blank_values=True)
        self.query_pairs = [(k, v) for k, vs in self.query.items() for v in vs]
        self.headers = Headers(headers)
        self.body = body
        self.host = self.headers.get("Host", "")


class Reply:
    """An answer for the client."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        """The first value of header ``name`` (any case), or None."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class Call:
    """What the pipeline learned about one request (for stats and logs)."""

    __slots__ = ("service", "operation", "protocol", "dialect", "op", "candidates", "params",
                 "akid", "region")

    def __init__(self):
        self.service = "unknown"
        self.operation = "unknown"
        self.protocol = None
        self.dialect = Dialect("unknown", "query")
        self.op = None
        self.candidates = ()
        self.params = None
        self.akid = "test"  # the caller's access key and region (SigV4 scope)
        self.region = "us-east-1"


class Proxy:
    """Checks requests and forwards the valid ones to moto."""

    def __init__(self, catalog, verifier, faults, stats, pending, cloudfront, pool, log=None):
        self.catalog = catalog
        self.verifier = verifier
        self.faults = faults
        self.stats = stats
        self.pending = pending
        self.cloudfront = cloudfront
        self.pool = pool
        self.moto_url = f"http://{pool.host}:{pool.port}" if pool else None
        self.log = log

    def handle(self, req):
        """Run the pipeline for ``req``; return a Reply or DROP."""
        start = time.monotonic()
        call = Call()
        outcome, code = "ok", None
        try:
            reply = self._pipeline(req, call)
            if reply is DROP:
                outcome = "dropped"
            elif reply.status >= 400:
                outcome, code = "error", _error_code(reply)
        except ProxyError as err:
            outcome, code = err.kind, err.code
            reply = Reply(*errors.render(call.dialect, err))
        except Exception as exc:  # a proxy bug must not look like a network fault
            traceback.print_exc()
            err = ProxyError("InternalFailure", f"awsproxy failed: {exc!r}", 500, "error", False)
            outcome, code = "error", err.code
            reply = Reply(*errors.render(call.dialect, err))
        self.stats.record(call.service, call.operation, outcome, code)
        if self.log:
            status = "-" if reply is DROP else reply.status
            self.log(f"{call.service} {call.operation} {outcome} {status} {code or '-'} "
                     f"{(time.monotonic() - start) * 1000:.2f}ms")
        return reply

    def _pipeline(self, req, call):
        svc = self.check(req, call)
        if svc.name == "cloudfront":
            self.cloudfront.check(call.op, req.path, req.headers)
        if svc.name == "lambda" and call.operation in LAMBDA_UPDATES:
            self._lambda_conflict(call)
        decision = self.faults.decide(call.service, call.operation)
        if decision.delay:
            time.sleep(decision.delay)
        if decision.fault == "throttle":
            raise errors.throttling_error(call.dialect)
        if decision.fault == "error5xx":
            raise errors.internal_error(call.dialect, decision.status)
        if decision.fault == "drop" and decision.drop_when == "before":
            return DROP
        emulated = emulate.handler(call.service, call.operation)
        if emulated is not None:  # an operation moto lacks (emulate/__init__.py)
            ctx = emulate.Context(call, req, self.moto_url, call.akid, call.region)
            reply = Reply(*emulate.answer(emulated, ctx))
            self._after(call, req, reply)  # ETags, pending states: as for moto's answers
            return DROP if decision.fault == "drop" else reply
        try:
            resp = self.pool.request(req.method, req.raw_path, req.headers.pairs, req.body)
        except OSError as e:
            raise ProxyError("InternalFailure", f"awsproxy could not reach moto: {e}", 502,
                             kind="error", sender=False) from None
        self._after(call, req, resp)  # moto acted: track it even if the answer is lost
        if decision.fault == "drop":
            return DROP
        return Reply(resp.status, resp.headers, resp.body)

    def check(self, req, call):
        """Identify, authenticate and validate ``req`` (filling in ``call``).

        Return the Service; raise ProxyError if AWS would refuse the request.
        """
        form = {}
        ctype = req.headers.get("Content-Type", "")
        if req.method == "POST" and ctype.startswith("application/x-www-form-urlencoded"):
            form = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
        target = req.headers.get("X-Amz-Target")
        try:
            info = sigv4.parse(req.headers, req.query)
        except sigv4.AuthFailure as failure:
            svc = self.catalog.guess(target, form, req.path)
            self._identify(req, call, form, target, svc)
            if failure.meaning != "missing" or not _unsigned_allowed(call.op):
                raise errors.auth_error(call.dialect, failure.meaning, failure.message) from None
            self._validate(req, call, form, svc)
            return svc
        call.akid, call.region = info.akid, info.region
        svc = self.catalog.by_signing_name.get(info.service)
        if svc is None:
            raise ProxyError("UnknownService", f"awsproxy does not serve service "
                             f"'{info.service}' (see tests/awsproxy/README.md)")
        self._identify(req, call, form, target, svc)
        try:
            self.verifier.verify(info, req, s3=svc.name == "s3")
        except sigv4.AuthFailure as failure:
            raise errors.auth_error(call.dialect, failure.meaning, failure.message) from None
        self._validate(req, call, form, svc)
        return svc

    def _identify(self, req, call, form, target, svc):
        """Fill in service, protocol and operation of ``call`` (op None if unknown)."""
        call.service = svc.name
        if target and "json" in svc.protocols:
            call.protocol = "json"
            call.dialect = svc.dialect("json")
            prefix, _, name = target.partition(".")
            call.operation = name or target
            if prefix == svc.target_prefix:
                call.op = svc.operations.get(name)
        elif svc.protocol in ("query", "ec2"):
            call.protocol = svc.protocol
            call.dialect = svc.dialect()
            params = dict(req.query)
            params.update(form)
            call.params = params
            action = params.get("Action", [""])[0]
            call.operation = action or "unknown"
            call.op = svc.operations.get(action)
        elif svc.protocol == "json":
            call.protocol = "json"
            call.dialect = svc.dialect()
        else:
            call.protocol = svc.protocol
            call.dialect = svc.dialect()
            call.candidates, call.params = svc.route(req.method, req.path, req.query, req.headers)
            if call.candidates:
                call.op = call.candidates[0]
                call.operation = call.op.name

    def _validate(self, req, call, form, svc):
        if call.op is None:
            raise errors.validation_error(call.dialect, "unknown_operation",
                                          f"Could not find operation {call.operation} "
                                          f"for {svc.name} ({req.method} {req.path})")
        try:
            if call.protocol in ("query", "ec2"):
                params = {k: v for k, v in call.params.items() if k not in ("Action", "Version")}
                version = call.params.get("Version", [None])[0]
                if version != svc.api_version:
                    raise ProxyError("NoSuchVersion", f"The requested version ({version}) of "
                                     f"service {svc.name} does not exist")
                validate.check_query(call.op, params, call.protocol == "ec2")
            elif call.protocol == "json":
                doc = validate.parse_json(req.body)
                if call.op.input_shape is not None:
                    validate.check_json(call.op.input_shape, doc)
                elif doc:
                    raise validate.Invalid("unknown", f"{call.operation} takes no input")
            else:
                self._validate_rest(req, call, svc)
        except validate.Invalid as bad:
            err = errors.validation_error(call.dialect, bad.meaning, bad.message)
            if bad.code:
                err.code = bad.code
            raise err from None

    def _validate_rest(self, req, call, svc):
        """Validate against the first candidate operation the request fits."""
        first = None
        for op in call.candidates:
            try:
                validate.check_rest(svc, op, call.params, req.query, req.headers, req.body)
            except validate.Invalid as bad:
                first = first or bad
                continue
            call.op, call.operation = op, op.name
            return
        raise first

    def _lambda_conflict(self, call):
        name = call.params.get("FunctionName", "")
        if name.startswith("arn:"):  # arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
            name = name.split(":")[6]
        busy = self.pending.busy("lambda", name.split(":")[0])
        if busy:
            field, value = busy
            message = (f"The function is currently in the following state: {value}"
                       if field == "State" else "The operation cannot be performed at this "
                       f"time. An update is in progress for resource: {name}")
            raise ProxyError("ResourceConflictException", message, 409)

    def _after(self, call, req, resp):
        key = (call.service, call.operation)
        if resp.status < 300 and key in _CREDENTIAL_OPS:
            self.verifier.keys.learn(resp.body)
        if call.service == "cloudfront":
            self.cloudfront.answer(call.op, req.path, resp)
        if resp.status < 300 and self.pending.applies(*key):
            resp.body = self.pending.rewrite(call.service, call.operation, resp.body)


def _unsigned_allowed(op):
    """Whether AWS takes this operation unsigned (STS AssumeRoleWithWebIdentity...)."""
    if op is None:
        return False
    return op.auth_type == "none" or op.auth == ["smithy.api#noAuth"]


def _error_code(reply):
    """The AWS error code of an error answer from moto, for the counters."""
    for k, v in reply.headers:
        if k.lower() == "x-amzn-errortype":
            return v.partition(":")[0]
    m = _XML_CODE.search(reply.body)
    if m:
        return m.group(1).decode("utf-8", "replace")
    try:
        doc = json.loads(reply.body)
        code = doc.get("__type") or doc.get("code") or doc.get("Code")
        return code.rpartition("#")[2] if code else None
    except (ValueError, AttributeError):
        return None
