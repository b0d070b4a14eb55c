"""The services cohd uses, their botocore models, and request identification.

A Catalog loads each service's model once (botocore's loader; no hand-written
shapes) and answers, for an incoming request, which service and operation it
is and in which protocol it is spoken: the SigV4 credential scope names the
service (all services share one endpoint here), X-Amz-Target names json
operations, Action/Version name query and ec2 ones, and method + path are
matched against each REST operation's requestUri.
"""

import re
from urllib.parse import parse_qsl, unquote

import botocore.loaders
import botocore.model

from .errors import Dialect

# botocore (aws CLI) service name -> SigV4 signing name, for aws-api.md section 1.
SERVICES = {
    "ec2": "ec2",
    "elbv2": "elasticloadbalancing",
    "ecs": "ecs",
    "ecr": "ecr",
    "application-autoscaling": "application-autoscaling",
    "cloudwatch": "monitoring",
    "logs": "logs",
    "events": "events",
    "secretsmanager": "secretsmanager",
    "iam": "iam",
    "sts": "sts",
    "s3": "s3",
    "kms": "kms",
    "rds": "rds",
    "elasticache": "elasticache",
    "route53": "route53",
    "acm": "acm",
    "cloudfront": "cloudfront",
    "lambda": "lambda",
    "codebuild": "codebuild",
    "codepipeline": "codepipeline",
    "resourcegroupstaggingapi": "tagging",
}

# Signing names some operations of a service use instead of its own.
SIGNING_ALIASES = {"s3express": "s3", "s3-object-lambda": "s3"}

# Error-response namespaces of the rest-xml services that use <ErrorResponse>.
_REST_XMLNS = {
    "route53": "https://route53.amazonaws.com/doc/2013-04-01/",
    "cloudfront": "http://cloudfront.amazonaws.com/doc/2020-05-31/",
}

_LABEL = re.compile(r"\{([^}]+)\}")


class Route:
    """One REST operation's requestUri compiled for matching."""

    __slots__ = ("operation", "regex", "labels", "query", "score", "required", "deprecated")

    def __init__(self, operation):
        self.operation = operation
        uri = operation.http["requestUri"]
        path, _, literal_query = uri.partition("?")
        # Literal query keys select the operation (?tagging, ?list-type=2);
        # x-id is informational (older models and clients omit it).
        self.query = [(k, v) for k, v in parse_qsl(literal_query, keep_blank_values=True)
                      if k != "x-id"]
        self.labels = {}
        pattern, pos, literal_chars = [], 0, 0
        for i, m in enumerate(_LABEL.finditer(path)):
            pattern.append(re.escape(path[pos:m.start()]))
            literal_chars += m.start() - pos
            name = m.group(1)
            greedy = name.endswith("+")
            name = name.rstrip("+")
            self.labels[f"l{i}"] = name
            pattern.append(f"(?P<l{i}>.+)" if greedy else f"(?P<l{i}>[^/]+)")
            pos = m.end()
        pattern.append(re.escape(path[pos:].rstrip("/")))
        literal_chars += len(path) - pos
        self.regex = re.compile("".join(pattern) + "/?$")
        self.score = (len(self.query), literal_chars, -len(self.labels))
        # Operations sharing a requestUri (S3 PutObject/CopyObject/UploadPart...)
        # differ in their required query parameters and headers.
        shape = operation.input_shape
        self.required = []
        for name in shape.required_members if shape is not None else ():
            ser = shape.members[name].serialization
            if ser.get("location") in ("querystring", "header"):
                self.required.append((ser["location"], ser.get("name", name)))
        self.deprecated = bool(operation.deprecated)

    def rank(self, query, headers):
        """Sort key among routes matching the same request: all required query
        parameters and headers present, then the most of them, then not deprecated."""
        present = all((query if loc == "querystring" else headers).get(name) is not None
                      for loc, name in self.required)
        return (self.score, present, len(self.required), not self.deprecated)

    def match(self, path, query):
        """Return {label: decoded value} if the request fits, else None."""
        m = self.regex.match(path)
        if not m:
            return None
        for k, v in self.query:
            if k not in query or (v and v not in query[k]):
                return None
        return {self.labels[g]: unquote(val) for g, val in m.groupdict().items()}


class Service:
    """One AWS service: its model, wire protocol and how to find operations."""

    def __init__(self, name, model):
        self.name = name
        self.model = model
        meta = model.metadata
        self.signing_name = SERVICES[name]
        self.api_version = meta["apiVersion"]
        protocols = meta.get("protocols") or [meta["protocol"]]
        # CloudWatch lists smithy-rpc-v2-cbor first; cohd speaks query and the
        # aws CLI json 1.0, so the proxy accepts both of those.
        self.protocols = [p for p in protocols if p != "smithy-rpc-v2-cbor"]
        self.protocol = "query" if "query" in self.protocols else self.protocols[0]
        self.target_prefix = meta.get("targetPrefix")
        self.query_compatible = "awsQueryCompatible" in meta
        self.operations = {n: model.operation_model(n) for n in model.operation_names}
        self.routes = {}
        if self.protocol.startswith("rest"):
            for op in self.operations.values():
                self.routes.setdefault(op.http["method"], []).append(Route(op))
            for routes in self.routes.values():
                routes.sort(key=lambda r: r.score, reverse=True)
        xmlns = _REST_XMLNS.get(name) or meta.get("xmlNamespace")
        self.dialects = {p: Dialect(name, p, self.query_compatible and p == "json", xmlns)
                         for p in self.protocols}

    def dialect(self, protocol=None):
        """The error dialect for ``protocol`` (default: the service's main one)."""
        return self.dialects[protocol or self.protocol]

    def route(self, method, path, query, headers):
        """Find the REST operations a request may be; return ([op...], labels).

        Usually one; more when operations are indistinguishable on the wire
        (S3 PutBucketNotification and PutBucketNotificationConfiguration), best
        first.  An x-id query parameter (newer botocore S3 requests) names the
        operation outright.  ([], None) if nothing matches.
        """
        matches = []
        x_id = query.get("x-id", [None])[0]
        for r in self.routes.get(method, ()):
            if matches and r.score < matches[0][0][0]:
                break
            labels = r.match(path, query)
            if labels is None:
                continue
            if r.operation.name == x_id:
                return [r.operation], labels
            matches.append((r.rank(query, headers), r, labels))
        if not matches:
            return [], None
        matches.sort(key=lambda m: m[0], reverse=True)
        top = matches[0][0][:3]
        return [r.operation for rank, r, _ in matches if rank[:3] == top], matches[0][2]


class Catalog:
    """All services the proxy knows, indexed the ways requests name them."""

    def __init__(self, names=None):
        loader = botocore.loaders.Loader()
        self.services = {}
        for name in names or SERVICES:
            data = loader.load_service_model(name, "service-2")
            self.services[name] = Service(name, botocore.model.ServiceModel(data, name))
        self.by_signing_name = {s.signing_name: s for s in self.services.values()}
        for alias, name in SIGNING_ALIASES.items():
            if name in self.services:
                self.by_signing_name[alias] = self.services[name]
        self.by_target_prefix = {s.target_prefix: s for s in self.services.values()
                                 if s.target_prefix}
        self.by_query_version = {s.api_version: s for s in self.services.values()
                                 if s.protocol in ("query", "ec2")}
        # First path segments of the non-S3 REST services ("2015-03-31", ...).
        self.by_path_prefix = {op.http["requestUri"].split("/")[1]: s
                               for s in self.services.values()
                               if s.protocol.startswith("rest") and s.name != "s3"
                               for op in s.operations.values()}

    def guess(self, target, form, path):
        """Best guess at the service of a request that names none (unsigned).

        Used only to answer in the right error shape.
        """
        if target:
            svc = self.by_target_prefix.get(target.partition(".")[0])
            if svc:
                return svc
        if form and "Version" in form:
            svc = self.by_query_version.get(form["Version"][0])
            if svc:
                return svc
        svc = self.by_path_prefix.get(path.split("/")[1] if path.count("/") > 1 else "")
        return svc or self.services.get("s3")
