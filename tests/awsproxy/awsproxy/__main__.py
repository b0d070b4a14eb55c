"""python3 -m awsproxy: run the checking proxy in front of a running moto server."""

import argparse
import os
import signal
import ssl
import sys
import threading
from urllib.parse import urlsplit

from . import options
from .control import Control
from .cloudfront import CloudFront
from .faults import FaultPlan, FaultSpecError
from .pending import Pending
from .proxy import Proxy
from .server import Server
from .services import Catalog
from .sigv4 import KeyStore, Verifier
from .stats import Stats
from .upstream import Pool


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python3 -m awsproxy",
        description="Strict, measurable proxy in front of moto's server: checks SigV4 and "
                    "the botocore model of every call, injects faults, counts calls. "
                    "Usually started by tests/aws-up.")
    parser.add_argument("--moto-url", required=True, help="moto's server, http://127.0.0.1:PORT")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on, on 127.0.0.1 (default: any free port)")
    parser.add_argument("--ready-file", default="",
                        help="write the endpoint URL to this file once listening")
    parser.add_argument("--tls-cert", default="", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", default="", help="... and this private key (PEM)")
    options.add_shared(parser)
    return parser


def _logger(path):
    if not path:
        return None
    f = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - open while serving
    lock = threading.Lock()

    def log(line):
        with lock:
            f.write(line + "\n")
    return log


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        keys = options.parse_keys(args.keys)
        faults = FaultPlan(options.fault_spec(args), seed=args.seed)
    except (argparse.ArgumentTypeError, FaultSpecError, ValueError, OSError) as e:
        sys.exit(f"awsproxy: {e}")
    moto = urlsplit(args.moto_url)
    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key or None)
    proxy = Proxy(Catalog(), Verifier(KeyStore(keys)), faults, Stats(),
                  Pending(args.pending_seconds), CloudFront(), Pool(moto.hostname, moto.port),
                  _logger(args.log))
    server = Server(("127.0.0.1", args.port), proxy, None, tls)
    server.control = Control(proxy, args.moto_url)
    url = server.url()
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(url + "\n")
        os.replace(tmp, args.ready_file)
    else:
        print(url, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
