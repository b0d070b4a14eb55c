"""CloudFront rules moto does not keep: ETags, If-Match, deleting only disabled.

moto gives each CloudFront resource one ETag for life, accepts any If-Match
value and deletes enabled distributions.  The proxy keeps a version per
resource instead: the ETag it shows is derived from (resource, version),
every successful update bumps the version, and Update*/Delete* calls must
send the current ETag in If-Match (missing: InvalidIfMatchVersion 400; stale:
PreconditionFailed 412), as on AWS.  It also remembers each distribution's
Enabled flag from moto's answers and refuses DeleteDistribution of an enabled
one (DistributionNotDisabled 409).  Resources are named by the path after the
API version, e.g. "distribution/E123".
"""

import hashlib
import re
import threading
import xml.etree.ElementTree as ET

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


class CloudFront:
    """Versions and Enabled flags of CloudFront resources seen through the proxy."""

    def __init__(self):
        self._versions = {}
        self._enabled = {}
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
            enabled = self._enabled.get((kind, ident))
        if sent.strip() != self._etag((kind, ident), version):
            raise ProxyError("PreconditionFailed", "The request failed because it didn't "
                             "meet the preconditions in one or more request-header fields.", 412)
        if op.name == "DeleteDistribution" and enabled:
            raise ProxyError("DistributionNotDisabled", "The distribution you are trying to "
                             "delete has not been disabled.", 409)

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
        if kind == "distribution":
            enabled = _distribution_enabled(response.body)
            if enabled is not None:
                with self._lock:
                    self._enabled[key] = enabled


def _distribution_enabled(body):
    """The Enabled flag of the DistributionConfig in a response body, if any."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    for config in root.iter():
        if config.tag.rpartition("}")[2] == "DistributionConfig" or config is root:
            for child in config:
                if child.tag.rpartition("}")[2] == "Enabled":
                    return (child.text or "").strip() == "true"
    return None
