"""The control API under /_proxy/ (same port as the AWS endpoint).

  GET  /_proxy/health          {"ok": true, ...}
  GET  /_proxy/stats           counters (add ?recent=1 for call timestamps)
  POST /_proxy/stats/reset     zero the counters
  GET  /_proxy/faults          the current faults
  POST /_proxy/faults          replace the faults (JSON body, see faults.py)
  GET  /_proxy/pending         {"seconds": N}
  POST /_proxy/pending         set {"seconds": N}

Answers are JSON; errors are {"error": "..."} with status 400, 404 or 405.
"""

import json
from urllib.parse import parse_qs

from .faults import FaultSpecError

PREFIX = "/_proxy/"


class Control:
    """Dispatches /_proxy/ requests to the proxy's parts."""

    def __init__(self, proxy, moto_url):
        self.proxy = proxy
        self.moto_url = moto_url

    def handle(self, method, raw_path, body):
        """Return (status, JSON-ready document)."""
        path, _, query = raw_path.partition("?")
        name = path[len(PREFIX):].strip("/")
        routes = {
            ("GET", "health"): self._health,
            ("GET", "stats"): lambda: (200, self.proxy.stats.snapshot(
                recent=parse_qs(query).get("recent", ["0"])[0] not in ("0", ""))),
            ("POST", "stats/reset"): self._reset,
            ("GET", "faults"): lambda: (200, self.proxy.faults.get()),
            ("POST", "faults"): lambda: self._set_faults(body),
            ("GET", "pending"): lambda: (200, {"seconds": self.proxy.pending.seconds}),
            ("POST", "pending"): lambda: self._set_pending(body),
        }
        handler = routes.get((method, name))
        if handler is None:
            if any(n == name for _, n in routes):
                return 405, {"error": f"{method} not allowed on {path}"}
            return 404, {"error": f"no such control endpoint: {path}"}
        return handler()

    def _health(self):
        return 200, {"ok": True, "moto": self.moto_url,
                     "services": sorted(self.proxy.catalog.services)}

    def _reset(self):
        self.proxy.stats.reset()
        return 200, {"ok": True}

    def _set_faults(self, body):
        try:
            self.proxy.faults.set(json.loads(body or b"{}"))
        except (ValueError, FaultSpecError) as e:
            return 400, {"error": str(e)}
        return 200, self.proxy.faults.get()

    def _set_pending(self, body):
        try:
            seconds = float(json.loads(body)["seconds"])
        except (ValueError, KeyError, TypeError) as e:
            return 400, {"error": f"expected {{\"seconds\": N}}: {e}"}
        self.proxy.pending.seconds = seconds
        return 200, {"seconds": seconds}
