"""Fault injection: latency, throttling, 5xx and dropped connections.

A FaultPlan is built from a JSON-style dict (the body of POST /_proxy/faults,
or the command-line options) and decides, per call, what happens to it:

    {"latency": {"ms": 5, "jitter_ms": 2, "operations": ["ec2:*"]},
     "throttle": {"rate": 0.1, "operations": ["ec2:DescribeVpcs"]},
     "error5xx": {"rate": 0.05, "status": 503},
     "drop": {"rate": 0.01, "when": "before"}}

Each fault applies to every call, or only to the listed operations
("service:Operation", "service:*" or "*"; service names as the aws CLI spells
them, signing names also accepted).  "rate" is a probability; "count" fails
exactly the next N matching calls instead (deterministic tests).  The
shorthand top-level "latency_ms"/"jitter_ms" set a global latency.
"""

import random
import threading

from .services import SERVICES

_SIGNING_TO_NAME = {v: k for k, v in SERVICES.items()}
FAULTS = ("throttle", "error5xx", "drop")


class FaultSpecError(ValueError):
    """The faults document is malformed."""


class _Rule:
    __slots__ = ("rate", "count", "patterns", "extra")

    def __init__(self, spec, name):
        if not isinstance(spec, dict):
            raise FaultSpecError(f"{name}: expected an object")
        unknown = set(spec) - {"rate", "count", "operations", "ms", "jitter_ms", "status", "when"}
        if unknown:
            raise FaultSpecError(f"{name}: unknown field(s) {sorted(unknown)}")
        self.rate = float(spec.get("rate", 0 if "count" in spec or name == "latency" else 1))
        if not 0 <= self.rate <= 1:
            raise FaultSpecError(f"{name}.rate must be between 0 and 1")
        self.count = spec.get("count")
        if self.count is not None and (not isinstance(self.count, int) or self.count < 0):
            raise FaultSpecError(f"{name}.count must be a non-negative integer")
        ops = spec.get("operations") or ["*"]
        if not isinstance(ops, list) or not all(isinstance(o, str) for o in ops):
            raise FaultSpecError(f"{name}.operations must be a list of strings")
        self.patterns = [_pattern(o) for o in ops]
        self.extra = {k: spec[k] for k in ("ms", "jitter_ms", "status", "when") if k in spec}

    def matches(self, service, operation):
        return any(s in ("*", service) and o in ("*", operation) for s, o in self.patterns)

    def as_dict(self):
        d = dict(self.extra)
        d["operations"] = [f"{s}:{o}" if s != "*" else "*" for s, o in self.patterns]
        if self.count is not None:
            d["count"] = self.count
        else:
            d["rate"] = self.rate
        return d


def _pattern(text):
    service, _, operation = text.partition(":")
    service = _SIGNING_TO_NAME.get(service, service)
    return service, operation or "*"


class Decision:
    """What to do to one call: delay (seconds) and at most one failure."""

    __slots__ = ("delay", "fault", "status", "drop_when")

    def __init__(self):
        self.delay = 0.0
        self.fault = None
        self.status = 500
        self.drop_when = "before"


class FaultPlan:
    """The current faults; replaced as a whole by set()."""

    def __init__(self, spec=None, seed=None):
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.set(spec or {})

    def set(self, spec):
        """Replace all faults with ``spec``; raise FaultSpecError if malformed."""
        if not isinstance(spec, dict):
            raise FaultSpecError("expected a JSON object")
        spec = dict(spec)
        if "latency_ms" in spec or "jitter_ms" in spec:
            spec.setdefault("latency", {})
            spec["latency"] = dict(spec["latency"], ms=spec.pop("latency_ms", 0),
                                   jitter_ms=spec.pop("jitter_ms", 0))
        unknown = set(spec) - {"latency", *FAULTS}
        if unknown:
            raise FaultSpecError(f"unknown fault(s) {sorted(unknown)}")
        rules = {name: _Rule(spec[name], name) for name in spec}
        for name, rule in rules.items():
            if name == "error5xx" and rule.extra.get("status", 500) not in range(500, 600):
                raise FaultSpecError("error5xx.status must be 5xx")
            if name == "drop" and rule.extra.get("when", "before") not in ("before", "after"):
                raise FaultSpecError("drop.when must be \"before\" or \"after\"")
        with self._lock:
            self._rules = rules

    def get(self):
        """The current faults as a dict (remaining counts included)."""
        with self._lock:
            return {name: rule.as_dict() for name, rule in self._rules.items()}

    def decide(self, service, operation):
        """Roll the dice for one call and return a Decision."""
        d = Decision()
        with self._lock:
            rules = self._rules
            lat = rules.get("latency")
            if lat and lat.matches(service, operation):
                jitter = float(lat.extra.get("jitter_ms", 0))
                d.delay = (float(lat.extra.get("ms", 0)) + self._random.uniform(0, jitter)) / 1000
            for name in FAULTS:
                rule = rules.get(name)
                if rule is None or not rule.matches(service, operation):
                    continue
                if rule.count is not None:
                    if rule.count == 0:
                        continue
                    rule.count -= 1
                elif self._random.random() >= rule.rate:
                    continue
                d.fault = name
                d.status = int(rule.extra.get("status", 500))
                d.drop_when = rule.extra.get("when", "before")
                break
        return d
