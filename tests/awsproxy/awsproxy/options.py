"""Command-line options shared by the proxy and tests/aws-up.

Options that configure checking and faults are defined once here; the proxy
parses them, and aws-up accepts the same ones and passes them through.
"""

import argparse
import json

# (flags, dest, type, default, help) of every pass-through option.
SHARED = [
    (["--keys"], "keys", str, "",
     "extra accepted credentials, AKID:SECRET[,AKID:SECRET...] (test:test is always "
     "accepted, and so are credentials moto hands out through STS and IAM)"),
    (["--pending-seconds"], "pending_seconds", float, 0.0,
     "hold NAT gateways, RDS, ElastiCache, CloudFront and ACM resources in their "
     "pending state this long after creation (default 0: off)"),
    (["--latency-ms"], "latency_ms", float, 0.0, "add this latency to every forwarded call"),
    (["--jitter-ms"], "jitter_ms", float, 0.0, "plus a uniform random 0..N ms"),
    (["--throttle-rate"], "throttle_rate", float, 0.0,
     "fraction of calls answered with the service's throttling error"),
    (["--error5xx-rate"], "error5xx_rate", float, 0.0,
     "fraction of calls answered with an internal error"),
    (["--error5xx-status"], "error5xx_status", int, 500, "status of those errors (5xx)"),
    (["--drop-rate"], "drop_rate", float, 0.0,
     "fraction of calls whose connection is dropped without an answer"),
    (["--drop-when"], "drop_when", str, "before",
     "drop 'before' forwarding to moto or 'after' moto acted (default before)"),
    (["--fault-operations"], "fault_operations", str, "",
     "limit the faults above to these calls: service:Operation,service:*,... "
     "(default all)"),
    (["--faults"], "faults", str, "",
     "a complete faults document (JSON, or @FILE), as POST /_proxy/faults takes; "
     "overrides the single fault options"),
    (["--seed"], "seed", int, None, "seed the fault dice (reproducible runs)"),
    (["--log"], "log", str, "", "append one line per call to FILE"),
]


def add_shared(parser):
    """Add the pass-through options to ``parser``."""
    group = parser.add_argument_group("checking and faults")
    for flags, dest, typ, default, help_text in SHARED:
        group.add_argument(*flags, dest=dest, type=typ, default=default, help=help_text,
                           metavar=dest.upper().split("_")[-1] if typ is not str else "VALUE")


def to_argv(ns):
    """The pass-through options of ``ns`` as command-line arguments."""
    argv = []
    for flags, dest, _typ, default, _help in SHARED:
        value = getattr(ns, dest)
        if value != default:
            argv += [flags[0], str(value)]
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
