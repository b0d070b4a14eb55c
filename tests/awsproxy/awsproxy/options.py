"""Command-line options shared by the proxy and tests/aws-up.

Options that configure checking and faults are defined once here; the proxy
parses them, and aws-up accepts the same ones and passes them through.
"""

import argparse
import json

# (flag, dest, type, default, metavar, help) of every pass-through option.
SHARED = [
    ("--keys", "keys", str, "", "AKID:SECRET,...",
     "more accepted credentials (test:test is always accepted, and so are the "
     "credentials moto hands out through STS and IAM)"),
    ("--pending-seconds", "pending_seconds", float, 0.0, "N",
     "hold NAT gateways, RDS, ElastiCache, CloudFront, ACM and Lambda resources in "
     "their pending state for N seconds after creation (default 0: off)"),
    ("--latency-ms", "latency_ms", float, 0.0, "MS", "add MS of latency to every call"),
    ("--jitter-ms", "jitter_ms", float, 0.0, "MS", "plus a uniform random 0..MS"),
    ("--throttle-rate", "throttle_rate", float, 0.0, "P",
     "answer this fraction of calls with the service's throttling error"),
    ("--error5xx-rate", "error5xx_rate", float, 0.0, "P",
     "answer this fraction of calls with an internal error"),
    ("--error5xx-status", "error5xx_status", int, 500, "STATUS",
     "HTTP status of those errors (5xx, default 500)"),
    ("--drop-rate", "drop_rate", float, 0.0, "P",
     "drop the connection of this fraction of calls without an answer"),
    ("--drop-when", "drop_when", str, "before", "WHEN",
     "drop 'before' forwarding to moto (default) or 'after' moto acted"),
    ("--fault-operations", "fault_operations", str, "", "OPS",
     "limit the faults above to these calls, service:Operation or service:* "
     "separated by commas (default: all calls)"),
    ("--faults", "faults", str, "", "JSON",
     "a whole faults document (or @FILE holding one), as POST /_proxy/faults takes; "
     "replaces the single fault options"),
    ("--seed", "seed", int, None, "N", "seed the fault dice (reproducible runs)"),
    ("--log", "log", str, "", "FILE", "append one line per call to FILE"),
]


def add_shared(parser):
    """Add the pass-through options to ``parser``."""
    group = parser.add_argument_group("checking and faults")
    for flag, dest, typ, default, metavar, help_text in SHARED:
        group.add_argument(flag, dest=dest, type=typ, default=default, metavar=metavar,
                           help=help_text)


def to_argv(ns):
    """The pass-through options of ``ns`` as command-line arguments."""
    argv = []
    for flag, dest, _typ, default, _metavar, _help in SHARED:
        value = getattr(ns, dest)
        if value != default:
            argv += [flag, str(value)]
    return argv


def parse_keys(text):
    """"AKID:SECRET,..." -> [(akid, secret)], always including test/test."""
    pairs = [("test", "test")]
    for item in filter(None, (t.strip() for t in text.split(","))):
        akid, sep, secret = item.partition(":")
        if not sep or not akid or not secret:
            raise argparse.ArgumentTypeError(f"--keys: expected AKID:SECRET, got {item!r}")
        pairs.append((akid, secret))
    return pairs


def fault_spec(ns):
    """The faults document the options describe."""
    if ns.faults:
        text = ns.faults
        if text.startswith("@"):
            with open(text[1:], encoding="utf-8") as f:
                text = f.read()
        return json.loads(text)
    ops = [o.strip() for o in ns.fault_operations.split(",") if o.strip()] or ["*"]
    spec = {}
    if ns.latency_ms or ns.jitter_ms:
        spec["latency"] = {"ms": ns.latency_ms, "jitter_ms": ns.jitter_ms, "operations": ops}
    if ns.throttle_rate:
        spec["throttle"] = {"rate": ns.throttle_rate, "operations": ops}
    if ns.error5xx_rate:
        spec["error5xx"] = {"rate": ns.error5xx_rate, "status": ns.error5xx_status,
                            "operations": ops}
    if ns.drop_rate:
        spec["drop"] = {"rate": ns.drop_rate, "when": ns.drop_when, "operations": ops}
    return spec
