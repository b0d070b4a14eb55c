"""A keep-alive connection pool toward moto.

Connections set TCP_NODELAY and send headers and body in one write (as
http.client does for a bytes body).  Werkzeug, which serves moto, answers
every request with "Connection: close"; such connections are dropped instead
of pooled, so against moto each request opens a fresh loopback connection.
"""

import http.client
import queue
import socket

# Hop-by-hop headers never forwarded in either direction.
HOP_BY_HOP = frozenset(("connection", "keep-alive", "proxy-connection", "transfer-encoding",
                        "te", "trailer", "upgrade", "expect"))


class _Connection(http.client.HTTPConnection):
    def connect(self):
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Response:
    """moto's answer: status, headers (list of pairs) and body bytes."""

    __slots__ = ("status", "reason", "headers", "body")

    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None


class Pool:
    """Up to ``size`` idle keep-alive connections to host:port."""

    def __init__(self, host, port, size=32, timeout=120):
        self.host = host
        self.port = port
        self.timeout = timeout
        self._idle = queue.LifoQueue(size)

    def _get(self):
        try:
            return self._idle.get_nowait(), True
        except queue.Empty:
            return _Connection(self.host, self.port, timeout=self.timeout), False

    def _put(self, conn):
        try:
            self._idle.put_nowait(conn)
        except queue.Full:
            conn.close()

    def request(self, method, path, headers, body):
        """Send one request and return a Response; retry once on a stale
        pooled connection."""
        for _ in range(2):
            conn, reused = self._get()
            try:
                conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                        conn.putheader(name, value)
                conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body)
                resp = conn.getresponse()
                data = resp.read()
            except (ConnectionError, http.client.BadStatusLine, http.client.IncompleteRead):
                conn.close()
                if reused:
                    continue
                raise
            except BaseException:
                conn.close()
                raise
            if resp.will_close:
                conn.close()
            else:
                self._put(conn)
            return Response(resp.status, resp.reason,
                            [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP],
                            data)
        raise ConnectionError("moto closed the connection")
