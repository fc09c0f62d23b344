"""Per-task LLM usage when several tasks share one LLM at once.

The engine runs batches concurrently on one shared LLM (a batching server wants many requests in
flight), but each batch file must still record what *it* cost, so that the run summary adds up
across resumes. Global counters taken before and after a step would include the other batches'
calls; instead a step opens `usage_scope()` and every `generate` in that context (this thread, or a
task started with `contextvars.copy_context()`) adds its calls, tokens and cache hits there too.
"""

from __future__ import annotations

import contextvars
import threading
from contextlib import contextmanager
from typing import Iterator

_SCOPES: contextvars.ContextVar[tuple["UsageScope", ...]] = contextvars.ContextVar("spc_usage_scopes", default=())


class UsageScope:
    """Calls that reached the model, their tokens, and answers served from the cache, within one scope."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cache_hits": 0}

    def add(self, **amounts: int) -> None:
        with self._lock:
            for k, v in amounts.items():
                self.counts[k] = self.counts.get(k, 0) + int(v)

    def to_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)


@contextmanager
def usage_scope() -> Iterator[UsageScope]:
    scope = UsageScope()
    token = _SCOPES.set(_SCOPES.get() + (scope,))
    try:
        yield scope
    finally:
        _SCOPES.reset(token)


def record(**amounts: int) -> None:
    """Add to every open scope of the current context (no scope open: nothing to do)."""
    for scope in _SCOPES.get():
        scope.add(**amounts)
