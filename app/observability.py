"""Request ids, JSON access logs and Prometheus metrics — per worker, safe to lose on restart."""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import time
from collections import defaultdict
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id: ContextVar[str] = ContextVar("request_id", default="-")
access_log = logging.getLogger("pvb.access")
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Histogram:
    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.total = 0.0
        self.n = 0

    def observe(self, seconds: float) -> None:
        index = next((i for i, bound in enumerate(BUCKETS) if seconds <= bound), len(BUCKETS))
        self.counts[index] += 1
        self.total += seconds
        self.n += 1


class Metrics:
    """Counters and latency histograms, rendered in the Prometheus text format."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.request_seconds: dict[tuple[str, str], Histogram] = defaultdict(Histogram)
        self.store_seconds: dict[str, Histogram] = defaultdict(Histogram)
        self.store_errors: dict[str, int] = defaultdict(int)

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, status)] += 1
            self.request_seconds[(method, route)].observe(seconds)

    def store_call(self, operation: str, seconds: float, failed: bool) -> None:
        with self._lock:
            self.store_seconds[operation].observe(seconds)
            if failed:
                self.store_errors[operation] += 1

    def render(self, gauges: dict[str, tuple[str, float]] | None = None) -> str:
        """`gauges`: name → (help, value), read by the caller from this worker's state."""
        lines = ["# HELP pvb_requests_total HTTP requests by method, route and status.",
                 "# TYPE pvb_requests_total counter"]
        for name, (help_text, value) in sorted((gauges or {}).items()):
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value:g}"]
        with self._lock:
            for (method, route, status), n in sorted(self.requests.items()):
                lines.append(f'pvb_requests_total{{method="{method}",route="{_esc(route)}",status="{status}"}} {n}')
            lines += _histogram("pvb_request_duration_seconds", "HTTP request latency by route.",
                                {f'method="{m}",route="{_esc(r)}"': h for (m, r), h in self.request_seconds.items()})
            lines += _histogram("pvb_store_duration_seconds", "Store call latency by operation.",
                                {f'operation="{op}"': h for op, h in self.store_seconds.items()})
            lines += ["# HELP pvb_store_errors_total Store calls that failed.", "# TYPE pvb_store_errors_total counter"]
            lines += [f'pvb_store_errors_total{{operation="{op}"}} {n}' for op, n in sorted(self.store_errors.items())]
        return "\n".join(lines) + "\n"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _histogram(name: str, help_text: str, series: dict[str, Histogram]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
    for labels, hist in sorted(series.items()):
        cumulative = 0
        for bound, count in zip((*BUCKETS, float("inf")), hist.counts, strict=True):
            cumulative += count
            le = "+Inf" if bound == float("inf") else f"{bound:g}"
            lines.append(f'{name}_bucket{{{labels},le="{le}"}} {cumulative}')
        lines.append(f"{name}_sum{{{labels}}} {hist.total:.6f}")
        lines.append(f"{name}_count{{{labels}}} {hist.n}")
    return lines


class JsonFormatter(logging.Formatter):
    """One JSON object a line, with the request id of the request being served."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname.lower(),
                 "logger": record.name, "message": record.getMessage(), "request_id": request_id.get()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


_ID_PREFIX = os.urandom(6).hex()  # per process: ids stay unique across workers and restarts
_id_counter = itertools.count(1)


def _new_request_id() -> str:
    """No system call per request: uuid4's getrandom() releases the GIL, and the event loop then
    waits up to a switch interval to get it back from the threads computing responses."""
    return f"{_ID_PREFIX}{next(_id_counter):020x}"  # 32 hex digits, like a uuid4 hex


class RequestContext:
    """ASGI middleware: a request id (X-Request-ID, echoed), an access log line and metrics.

    Logs carry method, route and status, never headers or bodies (tokens and passwords stay out)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if 0 < len(incoming) <= 64 and incoming.replace("-", "").isalnum() else _new_request_id()
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.request(scope["method"], template, status, seconds)
            access_log.info("%s %s %s", scope["method"], template, status, extra={"fields": {
                "method": scope["method"], "route": template, "path": scope["path"], "status": status,
                "duration_ms": round(seconds * 1000, 2)}})
            request_id.reset(token)
