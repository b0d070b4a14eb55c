"""CloudFront ETags that change on every update, and If-Match enforcement.

moto gives each CloudFront resource one ETag for life and accepts any
If-Match value.  The proxy keeps a version per resource instead: the ETag it
shows is derived from (resource, version), every successful update bumps the
version, and Update*/Delete* calls must send the current ETag in If-Match
(missing: InvalidIfMatchVersion 400; stale: PreconditionFailed 412), as on
AWS.  Resources are named by the path after the API version, e.g.
"distribution/E123".
"""

import hashlib
import re
import threading

from .errors import ProxyError

_ID = re.compile(rb"<Id>([^<]+)</Id>")


def _resource(path):
    """("distribution", "E123") for /2020-05-31/distribution/E123/config."""
    parts = path.split("?")[0].strip("/").split("/")
    if len(parts) >= 3:
        return parts[1], parts[2]
    if len(parts) == 2:
        return parts[1], None
    return None, None


class ETags:
    """Versions of CloudFront resources seen through the proxy."""

    def __init__(self):
        self._versions = {}
        self._lock = threading.Lock()

    def _etag(self, key, version):
        digest = hashlib.sha256(f"{key[0]}/{key[1]}/{version}".encode()).hexdigest()
        return "E" + digest[:13].upper()

    def check(self, op, path, headers):
        """Before forwarding: enforce If-Match on operations that take one."""
        if op.input_shape is None or "IfMatch" not in op.input_shape.members:
            return
        kind, ident = _resource(path)
        sent = headers.get("If-Match")
        if not sent:
            raise ProxyError("InvalidIfMatchVersion", "The If-Match version is missing or "
                             "not valid for the resource.", 400)
        with self._lock:
            version = self._versions.setdefault((kind, ident), 0)
        if sent.strip() != self._etag((kind, ident), version):
            raise ProxyError("PreconditionFailed", "The request failed because it didn't "
                             "meet the preconditions in one or more request-header fields.", 412)

    def answer(self, op, path, response):
        """After moto answered: replace its ETag header with the tracked one."""
        etag = response.header("ETag")
        if etag is None or response.status >= 300:
            return
        kind, ident = _resource(path)
        if ident is None:  # a create: the id is in the body
            m = _ID.search(response.body)
            if not m:
                return
            ident = m.group(1).decode()
        key = (kind, ident)
        with self._lock:
            version = self._versions.get(key, 0)
            if op.name.startswith("Update"):
                version += 1
            self._versions[key] = version
        new = self._etag(key, version)
        response.headers = [(k, new if k.lower() == "etag" else v) for k, v in response.headers]
