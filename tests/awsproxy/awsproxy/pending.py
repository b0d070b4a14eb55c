"""Hold slow resources in their pending states for a while.

moto creates NAT gateways, RDS instances and clusters, ElastiCache groups,
CloudFront distributions, ACM certificates and Lambda functions in their
final state at once; AWS takes minutes (seconds for Lambda).  For
``seconds`` after the proxy sees a resource created (or, for NAT gateways,
deleted) it rewrites the status in moto's answers to the pending value AWS
would show, so that cohd's waits are exercised.  Only resources created
through the proxy are affected.  busy() tells whether a
Lambda function is still Pending or being updated: AWS refuses further
updates then (ResourceConflictException), and so does the proxy.
"""

import json
import threading
import time
import xml.etree.ElementTree as ET


class _Rule:
    """A resource: the id and status members of its elements, pending value, ops."""

    def __init__(self, service, id_field, status_field, pending, create_ops, read_ops,
                 delete_ops=(), deleted=None, deleting=None):
        self.service = service
        self.id_field = id_field
        self.status_field = status_field
        self.pending = pending
        self.create_ops = frozenset(create_ops)
        self.delete_ops = frozenset(delete_ops)
        self.ops = self.create_ops | self.delete_ops | frozenset(read_ops)
        self.deleted = deleted
        self.deleting = deleting


RULES = [
    _Rule("ec2", "natGatewayId", "state", "pending", ["CreateNatGateway"],
          ["DescribeNatGateways"], ["DeleteNatGateway"], deleted="deleted", deleting="deleting"),
    _Rule("rds", "DBInstanceIdentifier", "DBInstanceStatus", "creating", ["CreateDBInstance"],
          ["DescribeDBInstances"]),
    _Rule("rds", "DBClusterIdentifier", "Status", "creating", ["CreateDBCluster"],
          ["DescribeDBClusters"]),
    _Rule("rds", "DBProxyName", "Status", "creating", ["CreateDBProxy"], ["DescribeDBProxies"]),
    _Rule("elasticache", "ReplicationGroupId", "Status", "creating",
          ["CreateReplicationGroup"], ["DescribeReplicationGroups"]),
    _Rule("elasticache", "CacheClusterId", "CacheClusterStatus", "creating",
          ["CreateCacheCluster"], ["DescribeCacheClusters"]),
    _Rule("cloudfront", "Id", "Status", "InProgress",
          ["CreateDistribution", "CreateDistributionWithTags", "UpdateDistribution"],
          ["GetDistribution", "ListDistributions"]),
    _Rule("acm", "CertificateArn", "Status", "PENDING_VALIDATION", ["RequestCertificate"],
          ["DescribeCertificate", "ListCertificates"]),
    _Rule("lambda", "FunctionName", "State", "Pending", ["CreateFunction"],
          ["GetFunction", "GetFunctionConfiguration", "ListFunctions"]),
    _Rule("lambda", "FunctionName", "LastUpdateStatus", "InProgress",
          ["UpdateFunctionCode", "UpdateFunctionConfiguration"],
          ["GetFunction", "GetFunctionConfiguration", "ListFunctions"]),
]

# Lambda refuses these while the function is Pending or an update InProgress.
LAMBDA_UPDATES = frozenset(("UpdateFunctionCode", "UpdateFunctionConfiguration",
                            "PublishVersion", "PutFunctionConcurrency"))

class Pending:
    """Rewrites statuses of young resources in moto's responses."""

    def __init__(self, seconds):
        self.seconds = seconds
        self._born = {}
        self._dying = {}
        self._lock = threading.Lock()
        self._rules = {}
        for rule in RULES:
            for op in rule.ops:
                self._rules.setdefault((rule.service, op), []).append(rule)

    def applies(self, service, operation):
        """Whether responses of this operation may need rewriting."""
        return self.seconds > 0 and (service, operation) in self._rules

    def rewrite(self, service, operation, body):
        """Return ``body`` with pending statuses applied (the same bytes if none)."""
        rules = self._rules.get((service, operation), ())
        if not rules or not body:
            return body
        now = time.monotonic()
        if body.lstrip().startswith(b"{"):
            doc = json.loads(body)
            changed = self._walk_json(doc, rules, operation, now)
            return json.dumps(doc).encode() if changed else body
        root = ET.fromstring(body)
        changed = False
        for elem in root.iter():
            for rule in rules:
                ident = _child(elem, rule.id_field)
                if ident is not None:
                    changed |= self._apply(rule, operation, ident.text,
                                           _child(elem, rule.status_field), now)
        if not changed:
            return body
        ns = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else None
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, default_namespace=ns)

    def _walk_json(self, doc, rules, operation, now):
        changed = False
        if isinstance(doc, dict):
            for rule in rules:
                if rule.id_field in doc:
                    box = _JsonField(doc, rule.status_field) if rule.status_field in doc else None
                    if self._apply(rule, operation, doc[rule.id_field], box, now):
                        changed = True
                        for option in doc.get("DomainValidationOptions", ()):
                            if "ValidationStatus" in option:
                                option["ValidationStatus"] = rule.pending
            for value in doc.values():
                changed |= self._walk_json(value, rules, operation, now)
        elif isinstance(doc, list):
            for value in doc:
                changed |= self._walk_json(value, rules, operation, now)
        return changed

    def busy(self, service, ident):
        """The pending status ``ident`` is held in (any rule of ``service``), or None."""
        now = time.monotonic()
        with self._lock:
            for (svc, _id_field, status_field, key_ident), born in self._born.items():
                if svc == service and key_ident == ident and now - born < self.seconds:
                    return status_field, next(r.pending for r in RULES if r.service == service
                                              and r.status_field == status_field)
        return None

    def _apply(self, rule, operation, ident, status, now):
        key = (rule.service, rule.id_field, rule.status_field, ident)
        with self._lock:
            if operation in rule.create_ops:
                self._born[key] = now
            if operation in rule.delete_ops:
                self._dying[key] = now
            born = self._born.get(key)
            dying = self._dying.get(key)
        if status is None:
            return False
        if dying is not None and now - dying < self.seconds and status.text == rule.deleted:
            status.text = rule.deleting
            return True
        if born is not None and now - born < self.seconds and status.text != rule.pending \
                and dying is None:
            status.text = rule.pending
            return True
        return False


def _child(elem, name):
    for child in elem:
        if child.tag == name or child.tag.endswith("}" + name):
            return child
    return None


class _JsonField:
    """Gives a JSON member the .text interface of an XML element."""

    __slots__ = ("doc", "key")

    def __init__(self, doc, key):
        self.doc = doc
        self.key = key

    @property
    def text(self):
        return self.doc[self.key]

    @text.setter
    def text(self, value):
        self.doc[self.key] = value
