"""Answers committed as they arrive, in as few transactions as arrive together (the answer cache's writer).

Committing each answer in its own SQLite transaction, from the HTTP client's event loop, made a call of
512 prompts ~15-36% slower than one transaction at its end (benchmarks/answer_cache.py): every commit syncs
the disk. Here any thread queues an answer and returns at once; one writer thread commits whatever is
queued in one transaction, then whatever queued meanwhile, and so on. Under load a commit carries many
answers; when answers trickle in, each is committed within one disk sync of arriving. A kill -9 therefore
loses only the answers queued during the commit in progress, and a call still returns only after all of
its answers are committed (`flush`).
"""

from __future__ import annotations

import threading
from typing import Callable, Generic, TypeVar

V = TypeVar("V")  # what is committed per key (the answer cache: an answer's stored form)


class GroupCommit(Generic[V]):
    """`put(key, value)` from any thread; `flush()` waits until everything put so far is committed."""

    def __init__(self, commit: Callable[[dict[str, V]], None]) -> None:
        self._commit = commit
        self._cond = threading.Condition()
        self._queue: dict[str, V] = {}
        self._queued = self._done = 0  # puts so far / puts whose commit finished (or failed)
        self._in_queue = 0  # puts waiting in `_queue` (a key put twice is one row but two puts)
        self._error: BaseException | None = None
        self._writer: threading.Thread | None = None

    def put(self, key: str, value: V) -> None:
        with self._cond:
            self._queue[key] = value
            self._queued += 1
            self._in_queue += 1
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._write, daemon=True, name="spc-answer-commit")
                self._writer.start()
            self._cond.notify_all()

    def flush(self) -> None:
        """Return once every answer put before this call is committed; a failed commit (a full disk) raises."""
        with self._cond:
            target = self._queued
            while self._done < target:
                self._cond.wait()
            if self._error is not None:
                error, self._error = self._error, None
                raise error

    def _write(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    if not self._cond.wait(timeout=5):  # idle: let the thread go, `put` starts another
                        if not self._queue:
                            self._writer = None
                            return
                batch, self._queue = self._queue, {}
                puts, self._in_queue = self._in_queue, 0
            try:
                self._commit(batch)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller waiting in flush()
                with self._cond:
                    self._error = exc
            with self._cond:
                self._done += puts
                self._cond.notify_all()
