"""Benchmark of moto + awsproxy (run by tests/bench/awsproxy/bench).

Measures how long tests/aws-up takes to have both servers answering, then,
for a few calls of different protocols, the latency of sequential requests
(median, p99) and the requests/s of concurrent clients, each through the
proxy and straight to moto.  "added" is what the proxy costs per request as
a client sees it (moto closes every connection, the proxy keeps the
client's open, which hides part of the cost); "checks" is the CPU time of
the proxy's SigV4 and model checks alone, measured in process.  Requests
are signed ahead of time so the client's own cost stays small.
"""

import argparse
import hashlib
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import threading
import time
import urllib.request
from urllib.parse import urlsplit

import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.abspath(__file__))
AWS_UP = os.path.join(HERE, "..", "..", "aws-up")
sys.path.insert(0, os.path.join(HERE, "..", "..", "awsproxy"))

# (label, signing name, method, path, headers, body)
CALLS = [
    ("sts GetCallerIdentity (query)", "sts", "POST", "/",
     {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
     b"Action=GetCallerIdentity&Version=2011-06-15"),
    ("ec2 DescribeVpcs (ec2)", "ec2", "POST", "/",
     {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
     b"Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag%3Aapp&Filter.1.Value.1=bench"),
    ("logs DescribeLogGroups (json)", "logs", "POST", "/",
     {"Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": "Logs_20140328.DescribeLogGroups"}, b'{"limit": 5}'),
    ("s3 ListObjectsV2 (rest-xml)", "s3", "GET", "/bench-bucket?list-type=2", {}, b""),
]


def sign(url, service, method, path, headers, body):
    """A signed request for ``url`` as (method, path, headers, body)."""
    request = AWSRequest(method=method, url=url + path, data=body, headers=dict(headers))
    request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
    SigV4Auth(Credentials("test", "test"), service, "us-east-1").add_auth(request)
    request.headers["Host"] = urlsplit(url).netloc
    return method, path, dict(request.headers), body


class Client:
    """A keep-alive HTTP client with TCP_NODELAY that reconnects when told to close."""

    def __init__(self, url):
        u = urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.conn = None

    def send(self, method, path, headers, body):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.conn.connect()
            self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn.request(method, path, body, headers)
        resp = self.conn.getresponse()
        resp.read()
        if resp.will_close:
            self.conn.close()
            self.conn = None
        if resp.status >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {resp.status}")


def latencies(url, call, n):
    """Sequential requests: per-request seconds."""
    label, service, method, path, headers, body = call
    requests = [sign(url, service, method, path, headers, body) for _ in range(n)]
    client = Client(url)
    for req in requests[:20]:  # warm up (moto imports its backends lazily)
        client.send(*req)
    out = []
    for req in requests:
        t0 = time.perf_counter()
        client.send(*req)
        out.append(time.perf_counter() - t0)
    return out


def throughput(url, call, threads, seconds):
    """Concurrent clients for ``seconds``: requests per second."""
    label, service, method, path, headers, body = call
    req = sign(url, service, method, path, headers, body)
    done = [0] * threads
    stop = time.monotonic() + seconds

    def worker(i):
        client = Client(url)
        while time.monotonic() < stop:
            client.send(*req)
            done[i] += 1
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    t0 = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(done) / (time.monotonic() - t0)


def check_cost(call, n=500):
    """Seconds of the proxy's checks (SigV4 + model) per request, in process."""
    from awsproxy.proxy import Call, Proxy, Request
    from awsproxy.services import Catalog
    from awsproxy.sigv4 import KeyStore, Verifier
    proxy = Proxy(Catalog(), Verifier(KeyStore([("test", "test")])),
                  None, None, None, None, None)
    label, service, method, path, headers, body = call
    _, _, signed, _ = sign("http://127.0.0.1:1", service, method, path, headers, body)
    pairs = list(signed.items())
    t0 = time.perf_counter()
    for _ in range(n):
        proxy.check(Request(method, path, pairs, body), Call())
    return (time.perf_counter() - t0) / n


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300,
                        help="sequential requests per call and target (default 300)")
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--seconds", type=float, default=3, help="throughput run length")
    parser.add_argument("--starts", type=int, default=3, help="aws-up start-ups to time")
    args = parser.parse_args()

    starts = []
    for _ in range(args.starts):
        t0 = time.monotonic()
        up = subprocess.Popen([AWS_UP], stdout=subprocess.PIPE, text=True)
        if not up.stdout.readline().startswith("http"):
            raise SystemExit("bench: tests/aws-up did not start")
        starts.append(time.monotonic() - t0)
        up.send_signal(signal.SIGTERM)
        up.wait()

    up = subprocess.Popen([AWS_UP], stdout=subprocess.PIPE, text=True)
    proxy = up.stdout.readline().strip()
    try:
        with urllib.request.urlopen(proxy + "/_proxy/health") as r:
            moto = json.loads(r.read())["moto"]
        Client(proxy).send(*sign(proxy, "s3", "PUT", "/bench-bucket", {}, b""))
        print(f"aws-up start (moto + proxy answering): median {statistics.median(starts):.2f} s, "
              f"max {max(starts):.2f} s over {len(starts)} runs")
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
        head = (f"{'call':32} {'moto p50':>9} {'proxy p50':>9} {'added p50':>9} "
                f"{'moto p99':>9} {'proxy p99':>9} {'moto req/s':>10} {'proxy req/s':>11} "
                f"{'checks':>8}")
        print(head)
        print("-" * len(head))
        added = []
        for call in CALLS:
            direct = latencies(moto, call, args.requests)
            through = latencies(proxy, call, args.requests)
            rps_direct = throughput(moto, call, args.threads, args.seconds)
            rps_proxy = throughput(proxy, call, args.threads, args.seconds)
            d50, p50 = statistics.median(direct), statistics.median(through)
            added.append(p50 - d50)
            print(f"{call[0]:32} {d50 * 1000:7.2f}ms {p50 * 1000:7.2f}ms "
                  f"{(p50 - d50) * 1000:7.2f}ms {pct(direct, .99) * 1000:7.2f}ms "
                  f"{pct(through, .99) * 1000:7.2f}ms {rps_direct:10.0f} {rps_proxy:11.0f} "
                  f"{check_cost(call) * 1000:6.2f}ms")
        print(f"\nlatency the proxy adds per request (median over calls): "
              f"{statistics.median(added) * 1000:.2f} ms")
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait()


if __name__ == "__main__":
    main()
