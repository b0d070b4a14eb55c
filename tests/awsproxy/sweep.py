"""Soundness sweep: every request botocore makes must pass the proxy's checks.

For every operation of every service the proxy serves, a botocore client
(the same code the aws CLI runs) is called twice with generated input, once
with only the required members and once with every member (nesting
limited).  The signed request is caught before it is sent and run through
the proxy's SigV4 and model checks in process (no network, no moto).  Any
refusal is a false rejection, a bug in the proxy.

    python3 tests/awsproxy/sweep.py [--models DIR] [SERVICE...]

--models generates the requests from another botocore data directory, such
as Debian's python3-botocore 1.29 (the models cohd is built from), while the
proxy keeps checking against its own (newer) models.
"""

import datetime
import os
import sys
from urllib.parse import urlsplit

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from awsproxy.errors import ProxyError  # noqa: E402
from awsproxy.proxy import Call, Proxy, Request  # noqa: E402
from awsproxy.services import SERVICES, Catalog  # noqa: E402
from awsproxy.sigv4 import KeyStore, Verifier  # noqa: E402

ENDPOINT = "http://127.0.0.1:9"
_COMPUTED = {"ContentMD5"}
MAX_DEPTH = 4


def sample(shape, depth=0, full=False):
    """A value valid for ``shape`` (botocore's client-side rules)."""
    t = shape.type_name
    meta = shape.metadata
    if depth > 3 * MAX_DEPTH and t in ("structure", "list", "map"):
        return [] if t == "list" else {}  # a recursive shape: stop here
    if t == "structure":
        if shape.is_document_type:
            return {"a": 1}
        names = list(shape.members) if full and depth < MAX_DEPTH else shape.required_members
        # An empty structure puts nothing on the wire: give it one member.
        names = names or list(shape.members)[:1]
        if shape.is_tagged_union:
            names = names[:1]
        # Checksums are botocore's to compute; sample values would be wrong.
        names = [n for n in names if n not in _COMPUTED and not (
            n.startswith("Checksum") and n != "ChecksumAlgorithm")
            and not shape.members[n].serialization.get("eventstream")]
        value = {n: sample(shape.members[n], depth + 1, full) for n in names}
        if "Quantity" in shape.members:  # CloudFront: Quantity counts Items
            value["Quantity"] = len(value.get("Items", []))
        return value
    if t == "list":
        return [sample(shape.member, depth + 1, full) for _ in range(max(1, meta.get("min", 1)))]
    if t == "map":
        if depth >= MAX_DEPTH:
            return {}
        key = sample(shape.key, depth + 1, full)
        return {key: sample(shape.value, depth + 1, full)}
    if t == "string":
        if shape.enum:
            return shape.enum[0]
        return "x" * max(1, int(meta.get("min", 1)))
    if t in ("integer", "long"):
        return max(1, int(meta.get("min", 1)))
    if t in ("float", "double"):
        return max(1.5, float(meta.get("min", 1.5)))
    if t == "boolean":
        return True
    if t == "timestamp":
        return datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    if t == "blob":
        return b"x" * max(1, int(meta.get("min", 1)))
    raise ValueError(f"unexpected shape type {t}")


class Sweep:
    """Runs operations through a botocore client and the proxy's checks."""

    def __init__(self, services, models=None):
        self.proxy = Proxy(Catalog(), Verifier(KeyStore([("test", "test")])),
                           None, None, None, None, None)
        self.session = botocore.session.get_session()
        if models:
            self.session.get_component("data_loader").search_paths.insert(0, models)
        self.services = services
        self.rejected = []
        self.checked = 0
        self.skipped = 0

    def _intercept(self, request, **_):
        url = urlsplit(request.url)
        headers = [("Host", url.netloc)] + [
            (k, v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()]
        body = request.body or b""
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode()
        raw_path = url.path + ("?" + url.query if url.query else "")
        call = Call()
        try:
            self.proxy.check(Request(request.method, raw_path, headers, body), call)
            self.checked += 1
        except ProxyError as err:
            self.rejected.append(f"{self._current}: {err.code}: {err.message} "
                                 f"[{request.method} {raw_path}]")
        return AWSResponse(request.url, 599, {}, None)

    def run(self):
        for name in self.services:
            client = self.session.create_client(
                name, region_name="us-east-1", endpoint_url=ENDPOINT,
                aws_access_key_id="test", aws_secret_access_key="test",
                config=Config(retries={"max_attempts": 0}, parameter_validation=True))
            client.meta.events.register_first("before-send", self._intercept)
            model = client.meta.service_model
            for op_name in model.operation_names:
                op = model.operation_model(op_name)
                method = getattr(client, client.meta.method_to_api_mapping and
                                 _method_name(client, op_name))
                for full in (False, True):
                    self._current = f"{name}:{op_name}{' (all members)' if full else ''}"
                    params = sample(op.input_shape, full=full) if op.input_shape else {}
                    before = self.checked + len(self.rejected)
                    try:
                        method(**params)
                    except Exception:  # noqa: BLE001 - the fake 599 answer fails parsing
                        pass
                    if self.checked + len(self.rejected) == before:
                        self.skipped += 1
        return self.rejected


def _method_name(client, op_name):
    for method, api in client.meta.method_to_api_mapping.items():
        if api == op_name:
            return method
    raise KeyError(op_name)


def main(argv):
    models = None
    if argv[:1] == ["--models"]:
        models, argv = argv[1], argv[2:]
    sweep = Sweep(argv or list(SERVICES), models)
    rejected = sweep.run()
    for line in rejected:
        print("REJECTED", line)
    print(f"{sweep.checked} requests accepted, {len(rejected)} rejected, "
          f"{sweep.skipped} not sent by botocore")
    return 1 if rejected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
