"""Times every store call for /metrics. A proxy rather than a subclass, so methods that backends
add to the interface later are timed too without touching this file."""

from __future__ import annotations

import time
import types
from collections.abc import Callable, Iterator
from typing import Any

from ..observability import Metrics


class InstrumentedStore:
    def __init__(self, inner: Any, metrics: Metrics) -> None:
        self.inner = inner
        self._metrics = metrics

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name.startswith("_") or not callable(attr):
            return attr
        return self._timed(name, attr)

    def _timed(self, operation: str, call: Callable[..., Any]) -> Callable[..., Any]:
        metrics = self._metrics

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = call(*args, **kwargs)
            except Exception:
                metrics.store_call(operation, time.perf_counter() - started, True)
                raise
            if isinstance(result, types.GeneratorType):  # lazy rows: time until they are all read
                return _timed_iteration(result, operation, metrics, started)
            metrics.store_call(operation, time.perf_counter() - started, False)
            return result

        return timed


def _timed_iteration(rows: Iterator[Any], operation: str, metrics: Metrics, started: float) -> Iterator[Any]:
    failed = True
    try:
        yield from rows
        failed = False
    finally:
        metrics.store_call(operation, time.perf_counter() - started, failed)
