"""Several batches of LLM work at once, when the backend can serve them at once.

An HTTP backend (vLLM, TGI, a hosted API) is fast only with many requests in flight, and one batch
alternates between LLM calls and CPU work (parsing, filters), so callers overlap batches in threads
and let the backend's limit (`models.max_concurrency`) cap what is really sent. A local model is
one process-wide model: its batches run one after another.
"""

from __future__ import annotations

import contextvars
import math
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any, Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")
MAX_BATCHES_IN_FLIGHT = 64


def batches_in_flight(llm: Any, batch_size: int, requests_per_item: int = 1) -> int:
    """1 for a local model; for a concurrent backend, enough batches to fill its cap twice over."""
    inner = getattr(llm, "inner", llm)
    if not getattr(inner, "concurrent", False):
        return 1
    cap = int(getattr(inner, "concurrency", 1))
    return max(2, min(MAX_BATCHES_IN_FLIGHT, math.ceil(2 * cap / max(batch_size * requests_per_item, 1))))


def run_in_flight(fn: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """`fn` over `items` (results in input order) on `workers` threads, started in order.

    The first error cancels what has not started and waits for what has (a finished batch writes its
    checkpoint, so nothing paid is lost), then propagates. Each task runs in a copy of the caller's
    context, so usage scopes (`scope.py`) see the calls made for them.
    """
    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(min(workers, len(items)), thread_name_prefix="spc-batch") as pool:
        futures = [pool.submit(contextvars.copy_context().run, fn, item) for item in items]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = [f for f in done if not f.cancelled() and f.exception() is not None]
        if failed:
            for f in futures:
                f.cancel()
            wait(futures)
            raise failed[0].exception()
        return [f.result() for f in futures]
