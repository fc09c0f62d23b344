"""A persistent cache of LLM answers: what was paid for once is never generated again.

Every finished prompt is committed to SQLite as soon as the backend has it (through `LLM.generate`'s
`on_answer` and a group-committing writer, group_commit.py), not when the whole call returns: a run killed with
-9 in the middle of a 256-prompt call to a paid endpoint and restarted re-pays only the requests
that were in flight, not the answers it had already received. Keys cover the model identity, the
full chat and the sampling parameters.
"""

from __future__ import annotations

import hashlib
import json
import threading
from concurrent.futures import Future
from pathlib import Path

from ...jsontypes import JsonObject
from ...kvstore import KeyValueStore
from .base import LLM, Chat, Completion, GenerationParams
from .group_commit import GroupCommit
from .scope import record


class CachedLLM(LLM):
    """Wraps any backend; `usage` counts only calls that really reached the model."""

    def __init__(self, inner: LLM, path: str | Path) -> None:
        super().__init__(inner.model)
        self.inner, self.backend = inner, inner.backend
        self.usage = inner.usage
        self.hits = 0
        self._store_kv = KeyValueStore(path, "answers")
        self._commits = GroupCommit(self._store)
        self._pending: dict[str, Future] = {}
        self._pending_lock = threading.Lock()

    def generate(self, chats: list[Chat], params: GenerationParams | None = None) -> list[Completion]:
        """Answers from the store; the rest asked once each, even when repeated or already being asked.

        Batches run concurrently on HTTP backends (engine.py), and two of them may need the same prompt
        (a contradiction-judge pair, say): the second waits for the first's answer instead of paying again.
        """
        params = params or GenerationParams()
        keys = [self._key(c, params) for c in chats]
        found = self._lookup(keys)
        mine: dict[str, int] = {}  # key -> index of the chat this call asks the model
        theirs: dict[str, Future] = {}  # keys another thread is asking right now
        with self._pending_lock:
            for i, k in enumerate(keys):
                if k in found or k in mine or k in theirs:
                    continue
                if k in self._pending:
                    theirs[k] = self._pending[k]
                else:
                    mine[k], self._pending[k] = i, Future()
        self.hits += len(chats) - len(mine)
        record(cache_hits=len(chats) - len(mine))
        try:
            if mine:
                asked = list(mine)

                def arrived(index: int, completion: Completion) -> None:
                    self._commits.put(asked[index], completion)  # committed within a disk sync: kill -9 keeps it

                try:
                    fresh = self.inner.generate([chats[i] for i in mine.values()], params, on_answer=arrived)
                finally:
                    self._commits.flush()  # a failed call keeps the answers it did receive
                found.update(zip(asked, fresh))
        finally:
            with self._pending_lock:
                for k in mine:
                    future = self._pending.pop(k)
                    if k in found:
                        future.set_result(found[k])
                    else:  # our call failed: a waiter asks again itself
                        future.set_result(None)
        for k, future in theirs.items():
            answer = future.result()
            found[k] = answer if answer is not None else self.generate([chats[keys.index(k)]], params)[0]
        return [found[k] for k in keys]

    def _generate(self, chats: list[Chat], params: GenerationParams) -> list[Completion]:
        raise NotImplementedError("CachedLLM overrides generate()")

    def _key(self, chat: Chat, params: GenerationParams) -> str:
        ident = {"backend": self.inner.backend, "model": self.inner.model}
        payload = json.dumps([ident, chat, params.to_dict()], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def _lookup(self, keys: list[str]) -> dict[str, Completion]:
        return {k: Completion(**json.loads(v)) for k, v in self._store_kv.get_many(keys).items()}

    def _store(self, items: dict[str, Completion]) -> None:
        self._store_kv.put_many({k: json.dumps(c.__dict__) for k, c in items.items()})

    def __len__(self) -> int:
        return len(self._store_kv)

    def describe(self) -> JsonObject:
        return self.inner.describe()

    def close_cache(self) -> None:
        """Close the answer store only: the wrapped model may be shared (a test session's model)."""
        self._store_kv.close()

    def close(self) -> None:
        self.close_cache()
        self.inner.close()
