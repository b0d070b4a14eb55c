"""tests/aws-up: start moto's server and the proxy on loopback, run or serve.

  aws-up [OPTIONS] -- COMMAND [ARGS...]
      run COMMAND with AWS_ENDPOINT_URL, COHD_AWSPROXY_URL, test credentials
      and us-east-1 in its environment only (plus AWS_CA_BUNDLE with --https);
      stop both servers when it exits; exit with its status.
  aws-up [OPTIONS]
      print the endpoint URL as the first line of stdout, then serve until
      SIGTERM or SIGINT.

Both servers listen on 127.0.0.1 only, on free ports.  Temporary files and
children are cleaned up on any exit (children also get SIGTERM if aws-up is
killed outright).
"""

import argparse
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from . import options
from .tls import make_certificates

STARTUP_TIMEOUT = 30.0
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tests/aws-up",
        usage="%(prog)s [OPTIONS] [-- COMMAND [ARGS...]]",
        description="Start moto's server behind the checking proxy (tests/awsproxy) on "
                    "127.0.0.1. With a COMMAND: run it against them and exit with its "
                    "status. Without: print the endpoint URL and serve until SIGTERM/SIGINT.")
    parser.add_argument("--https", action="store_true",
                        help="serve HTTPS with a test CA made now with openssl; COMMAND gets "
                             "AWS_CA_BUNDLE pointing at the CA")
    parser.add_argument("--port", type=int, default=0,
                        help="proxy port on 127.0.0.1 (default: a free one)")
    options.add_shared(parser)
    return parser


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    """In the child: get SIGTERM when aws-up dies (Linux), and ignore ^C."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _tail(path, lines=20):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


class Stack:
    """moto + proxy as child processes."""

    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.children = []
        self.ca = None

    def start(self):
        moto_port = _free_port()
        moto_log = os.path.join(self.tmp, "moto.log")
        # AWS managed IAM policies exist in every account (the bastion's role attaches
        # AmazonSSMManagedInstanceCore); moto knows them but loads them only when asked.
        env = dict(os.environ, MOTO_ACM_VALIDATION_WAIT="0", MOTO_IAM_LOAD_MANAGED_POLICIES="true")
        with open(moto_log, "wb") as log:
            self.moto = self._spawn([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                     "-p", str(moto_port)], env, log)
        ready = os.path.join(self.tmp, "ready")
        cmd = [sys.executable, "-m", "awsproxy", "--moto-url", f"http://127.0.0.1:{moto_port}",
               "--port", str(self.args.port), "--ready-file", ready, *options.to_argv(self.args)]
        if self.args.https:
            self.ca, cert, key = make_certificates(self.tmp)
            cmd += ["--tls-cert", cert, "--tls-key", key]
        pythonpath = os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))
        self.proxy = self._spawn(cmd, dict(os.environ, PYTHONPATH=pythonpath), None)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        moto_up = False
        while time.monotonic() < deadline:
            for name, child, log in (("moto", self.moto, moto_log), ("awsproxy", self.proxy, None)):
                if child.poll() is not None:
                    raise RuntimeError(f"{name} exited with status {child.returncode} while "
                                       f"starting\n{_tail(log) if log else ''}")
            if not moto_up:
                try:
                    socket.create_connection(("127.0.0.1", moto_port), timeout=0.5).close()
                    moto_up = True
                except OSError:
                    pass
            if moto_up and os.path.exists(ready):
                with open(ready, encoding="utf-8") as f:
                    self.url = f.read().strip()
                return self.url
            time.sleep(0.02)
        raise RuntimeError(f"moto and awsproxy did not start within {STARTUP_TIMEOUT:.0f} s")

    def _spawn(self, cmd, env, log):
        child = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                 stdout=log if log else subprocess.DEVNULL,
                                 stderr=log if log else None, preexec_fn=_die_with_parent)
        self.children.append(child)
        return child

    def alive(self):
        return all(c.poll() is None for c in self.children)

    def stop(self):
        for child in reversed(self.children):
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 3
        for child in self.children:
            try:
                child.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _command_env(url, ca):
    # The interpreter running us has moto and botocore, and usually the aws CLI beside it:
    # put its directory first on PATH so COMMAND finds `aws` even from a clean environment
    # (env -i has only /usr/bin, where neither is).
    bindir = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")
    env = dict(os.environ, AWS_ENDPOINT_URL=url, COHD_AWSPROXY_URL=url,
               AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
               PATH=bindir + os.pathsep + path)
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    if ca:
        env["AWS_CA_BUNDLE"] = ca
    return env


def _run(command, env):
    """Run COMMAND in the foreground; forward SIGTERM/SIGHUP; return its exit status."""
    child = subprocess.Popen(command, env=env)

    def forward(signum, _frame):
        if child.poll() is None:
            child.send_signal(signum)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGHUP, forward)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C reaches COMMAND itself
    status = child.wait()
    return 128 - status if status < 0 else status


def _serve(stack):
    """Print the URL and wait for SIGTERM/SIGINT (or a child's death)."""
    stopping = []
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda signum, _f: stopping.append(signum))
    print(stack.url, flush=True)
    while not stopping:
        if not stack.alive():
            print("aws-up: moto or awsproxy exited unexpectedly", file=sys.stderr)
            return 1
        time.sleep(0.2)
    return 0


def main(argv):
    if "--" in argv:
        i = argv.index("--")
        argv, command = argv[:i], argv[i + 1:]
    else:
        command = []
    args = build_parser().parse_args(argv)
    try:
        options.parse_keys(args.keys)
        options.fault_spec(args)
    except (argparse.ArgumentTypeError, ValueError, OSError) as e:
        sys.exit(f"aws-up: {e}")
    tmp = tempfile.mkdtemp(prefix="aws-up.")
    stack = Stack(args, tmp)
    try:
        try:
            url = stack.start()
        except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
            detail = getattr(e, "stderr", b"") or b""
            print(f"aws-up: {e}\n{detail.decode(errors='replace')}".rstrip(), file=sys.stderr)
            return 1
        if command:
            try:
                return _run(command, _command_env(url, stack.ca))
            except OSError as e:
                print(f"aws-up: cannot run {command[0]}: {e}", file=sys.stderr)
                return 127
        return _serve(stack)
    finally:
        stack.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
