"""Operations AWS has and moto lacks, answered by the proxy itself.

moto 5.2 leaves out a few operations cohd needs (CloudFront cache and origin
request policies, CodeBuild UpdateProject, ElastiCache ModifyReplicationGroup
...).  Rather than teach cohd to avoid them, the proxy answers them: a module
per service in this package registers handlers with ``@operation``, and the
proxy sends a checked request (signature, model, faults already applied) to the
handler instead of to moto.

A handler takes a ``Context`` and returns the operation's output as a dict in
the model's member names (the proxy serialises it in the service's protocol
with moto's serializer), or raises ``ctx.error(code, message, status)``.  It
keeps its state in module globals guarded by ``LOCK`` (one proxy process per
test AWS), or reads and writes moto's own state through ``ctx.moto(service)``,
a botocore client to moto signed with the caller's access key (so moto files
it under the same account).  Answers must be what AWS answers: shapes, error
codes and statuses of aws-api.md section 4.
"""

import importlib
import pkgutil
import threading
import uuid

import botocore.session
from botocore.config import Config
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.serialize import get_serializer_class
from moto.core.utils import get_service_model
from werkzeug.datastructures import Headers, MultiDict

from ..errors import ProxyError

LOCK = threading.RLock()
_HANDLERS = {}
_LOADED = False


def operation(service, name):
    """Register the decorated function as the answer to ``service:name``."""
    def register(fn):
        _HANDLERS[(service, name)] = fn
        return fn
    return register


def _load():
    global _LOADED
    if _LOADED:
        return
    with LOCK:
        if not _LOADED:
            for mod in pkgutil.iter_modules(__path__):
                importlib.import_module(f"{__name__}.{mod.name}")
            _LOADED = True


def handler(service, name):
    """The emulation of ``service:name``, or None when moto answers it."""
    _load()
    return _HANDLERS.get((service, name))


class Context:
    """What a handler sees of one request."""

    def __init__(self, call, req, moto_url, access_key, region):
        self.call = call
        self.req = req
        self.operation = call.operation
        self.access_key = access_key
        self.region = region
        self._moto_url = moto_url
        self._params = None

    @property
    def params(self):
        """The request read into the operation's input shape (model member names)."""
        if self._params is None:
            op = _moto_operation(self.call.op)
            parser = PROTOCOL_PARSERS[op.metadata["protocol"]](op)
            values = MultiDict(self.req.query_pairs)
            if op.metadata["protocol"] in ("query", "ec2"):
                values = MultiDict([(k, v) for k, vs in self.call.params.items() for v in vs])
            headers = Headers(list(self.req.headers.pairs))
            self._params = parser.parse({
                "body": self.req.body, "headers": headers, "method": self.req.method,
                "url_params": self.call.params if isinstance(self.call.params, dict) else {},
                "url_path": self.req.path, "values": values})
        return self._params

    def error(self, code, message, status=400):
        """An AWS error answer in the service's shape: ``raise ctx.error(...)``."""
        return ProxyError(code, message, status, kind="error")

    def moto(self, service):
        """A botocore client talking to moto directly, as the caller's account."""
        session = botocore.session.get_session()
        return session.create_client(
            service, region_name=self.region, endpoint_url=self._moto_url,
            aws_access_key_id=self.access_key, aws_secret_access_key="unused",
            config=Config(retries={"max_attempts": 1}))


def _moto_operation(op):
    """The operation in moto's own model classes (moto.core.model), which its parser and
    serializer expect (botocore's shapes lack what they read, e.g. is_flattened)."""
    return get_service_model(op.service_model.service_name).operation_model(op.name)


def answer(fn, ctx):
    """Run handler ``fn``; return (status, headers, body) serialised for the protocol."""
    result = fn(ctx) or {}
    op = _moto_operation(ctx.call.op)
    serializer = get_serializer_class(op.service_model.service_name,
                                      op.metadata["protocol"])(op)
    out = serializer.serialize(result)
    headers = dict(out.get("headers") or {})
    headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))
    body = out.get("body") or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return out.get("status_code", 200), list(headers.items()), body
