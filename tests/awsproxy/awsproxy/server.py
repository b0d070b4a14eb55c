"""The HTTP(S) front end: threads, keep-alive, TCP_NODELAY, one write per reply.

Requests under /_proxy/ go to the control API; everything else through the
Proxy pipeline.  Replies are written as one buffer (status line, headers and
body together) so Nagle and delayed ACKs never add latency.
"""

import email.utils
import http.server
import json
import socket
import ssl
import struct
import sys

from .control import PREFIX
from .proxy import DROP, Request


class Server(http.server.ThreadingHTTPServer):
    """A threading HTTP server on loopback that sets TCP_NODELAY on accept."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, proxy, control, tls_context=None):
        self.proxy = proxy
        self.control = control
        self.tls_context = tls_context
        super().__init__(address, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, addr

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError, socket.timeout)):
            super().handle_error(request, client_address)

    def url(self):
        scheme = "https" if self.tls_context else "http"
        host, port = self.server_address[:2]
        return f"{scheme}://{host}:{port}"


class Handler(http.server.BaseHTTPRequestHandler):
    """One client connection; HTTP/1.1 keep-alive."""

    protocol_version = "HTTP/1.1"
    timeout = 300

    def setup(self):
        if self.server.tls_context is not None:
            self.request = self.server.tls_context.wrap_socket(self.request, server_side=True)
            self.connection = self.request
        super().setup()

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ssl.SSLError, ConnectionError, socket.timeout):
            self.close_connection = True

    def log_message(self, format, *args):  # noqa: A002 - quiet; --log records calls
        pass

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self):
        body = self._read_body()
        if self.path.startswith(PREFIX):
            status, doc = self.server.control.handle(self.command, self.path, body)
            payload = json.dumps(doc, indent=1).encode() + b"\n"
            self._send(status, [("Content-Type", "application/json"),
                                ("Date", email.utils.formatdate(usegmt=True))], payload)
            return
        request = Request(self.command, self.path, self.headers.items(), body)
        reply = self.server.proxy.handle(request)
        if reply is DROP:
            self._drop()
            return
        self._send(reply.status, reply.headers, reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _dispatch

    def _send(self, status, headers, body):
        lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}"]
        keep_length = self.command == "HEAD" or status in (204, 304)
        for name, value in headers:
            if name.lower() == "content-length" and not keep_length:
                continue
            lines.append(f"{name}: {value}")
        if not keep_length:
            lines.append(f"Content-Length: {len(body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        self.wfile.write(head if self.command == "HEAD" else head + body)

    def _drop(self):
        """Close the connection abruptly (RST), as a lost connection looks."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
