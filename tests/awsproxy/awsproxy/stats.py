"""Call counters per service / operation / outcome, and call-rate records.

Outcomes: ok (moto answered < 400), error (moto answered >= 400), rejected
(the proxy refused it: signature or model), throttled, fault5xx and dropped
(faults injected by the proxy).  For rate budgets each operation also keeps
the highest number of calls seen in any 1-second window and the monotonic
timestamps of its most recent calls.
"""

import collections
import threading
import time

OUTCOMES = ("ok", "error", "rejected", "throttled", "fault5xx", "dropped")
RECENT = 100


class _Counter:
    __slots__ = ("outcomes", "codes", "window", "max_1s", "recent")

    def __init__(self):
        self.outcomes = dict.fromkeys(OUTCOMES, 0)
        self.codes = {}
        self.window = collections.deque()
        self.max_1s = 0
        self.recent = collections.deque(maxlen=RECENT)

    def add(self, outcome, code, now):
        self.outcomes[outcome] += 1
        if code:
            self.codes[code] = self.codes.get(code, 0) + 1
        self.window.append(now)
        while self.window[0] <= now - 1.0:
            self.window.popleft()
        self.max_1s = max(self.max_1s, len(self.window))
        self.recent.append(now)

    def as_dict(self, recent):
        d = dict(self.outcomes)
        d["total"] = sum(self.outcomes.values())
        d["max_per_1s"] = self.max_1s
        d["codes"] = dict(self.codes)
        if recent:
            d["recent"] = [round(t, 6) for t in self.recent]
        return d


class Stats:
    """Thread-safe counters; see README "Control API" for the JSON shape."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self._ops = {}
            self._services = {}
            self._total = _Counter()
            self._since = time.monotonic()

    def record(self, service, operation, outcome, code=None):
        """Count one call.  ``code`` is the AWS error code, if any."""
        now = time.monotonic()
        with self._lock:
            key = (service, operation)
            op = self._ops.get(key)
            if op is None:
                op = self._ops[key] = _Counter()
                self._services.setdefault(service, _Counter())
            op.add(outcome, code, now)
            self._services[service].add(outcome, code, now)
            self._total.add(outcome, code, now)

    def snapshot(self, recent=False):
        """The counters as a JSON-ready dict."""
        with self._lock:
            calls = {}
            for (service, operation), counter in sorted(self._ops.items()):
                calls.setdefault(service, {})[operation] = counter.as_dict(recent)
            return {
                "calls": calls,
                "services": {s: c.as_dict(False) for s, c in sorted(self._services.items())},
                "total": self._total.as_dict(False),
                "seconds": round(time.monotonic() - self._since, 3),
                "clock": round(time.monotonic(), 6),
            }
