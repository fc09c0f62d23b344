"""How many requests may be in flight to one endpoint right now: a cap that backs off on 429s.

A batching server (vLLM, TGI, a hosted API) is fastest with many requests in flight, up to the
point where it answers 429 "too many requests". So the limit starts at the configured cap
(`models.max_concurrency`), is halved at most once per back-off window when the server says 429 (and
new requests wait for its Retry-After, or the back-off delay), and grows back by one slot per
`limit` successful answers (additive increase, multiplicative decrease, as TCP does).

Waiters queue FIFO on futures and a released slot wakes exactly one of them: with thousands of
requests queued behind a cap of 256, waking all of them on every answer would burn the CPU the
pipeline needs. Lives on one event loop (the client's; see `openai_compat.py`).
"""

from __future__ import annotations

import asyncio
from collections import deque


class AdaptiveLimit:
    """`await acquire()` / `release(throttled=...)` around every request."""

    def __init__(self, cap: int, floor: int = 1) -> None:
        if cap < 1:
            raise ValueError(f"concurrency must be >= 1, got {cap}")
        self.cap, self.floor = int(cap), max(1, min(int(floor), int(cap)))
        self.limit = float(cap)
        self.in_flight = 0
        self.throttled = 0  # 429 answers seen
        self.lowest = self.cap  # the smallest limit reached (reported)
        self._paused_until = 0.0
        self._window_end = 0.0
        self._waiters: deque[asyncio.Future] = deque()
        self._wake_scheduled = False

    @property
    def allowed(self) -> int:
        return max(self.floor, int(self.limit))

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        if not self._waiters and self.in_flight < self.allowed and loop.time() >= self._paused_until:
            self.in_flight += 1
            return
        fut = loop.create_future()
        self._waiters.append(fut)
        try:
            await fut  # the slot is counted for us before the future resolves
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release()
            else:
                self._waiters.remove(fut)
            raise

    def release(self, throttled: bool = False, pause: float = 0.0) -> None:
        """Give the slot back; `throttled`: the server said 429, so shrink and pause for `pause` seconds."""
        loop = asyncio.get_running_loop()
        self.in_flight -= 1
        now = loop.time()
        if throttled:
            self.throttled += 1
            if now >= self._window_end:  # one halving per window: a burst of 429s is one signal
                self.limit = max(float(self.floor), self.limit / 2)
                self.lowest = min(self.lowest, self.allowed)
                self._window_end = now + max(pause, 0.05) * 2
            self._paused_until = max(self._paused_until, now + pause)
        else:
            self.limit = min(float(self.cap), self.limit + 1.0 / max(self.limit, 1.0))
        self._wake(loop)

    def _wake(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        if now < self._paused_until:
            if not self._wake_scheduled:
                self._wake_scheduled = True
                loop.call_at(self._paused_until, self._scheduled_wake, loop)
            return
        while self._waiters and self.in_flight < self.allowed:
            fut = self._waiters.popleft()
            if not fut.done():
                self.in_flight += 1
                fut.set_result(None)

    def _scheduled_wake(self, loop: asyncio.AbstractEventLoop) -> None:
        self._wake_scheduled = False
        self._wake(loop)

    def stats(self) -> dict[str, int]:
        return {"cap": self.cap, "limit": self.allowed, "lowest_limit": self.lowest, "throttled": self.throttled}
