"""A persistent cache of LLM answers: what was paid for once is never generated again.

Every finished prompt is committed to SQLite before the caller sees it, so a run
killed with -9 and restarted re-uses every answer it already had. Keys cover the
model identity, the full chat and the sampling parameters.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ...kvstore import KeyValueStore
from .base import LLM, Chat, Completion, GenerationParams
from .scope import record


class CachedLLM(LLM):
    """Wraps any backend; `usage` counts only calls that really reached the model."""

    def __init__(self, inner: LLM, path: str | Path) -> None:
        super().__init__(inner.model)
        self.inner, self.backend = inner, inner.backend
        self.usage = inner.usage
        self.hits = 0
        self._store_kv = KeyValueStore(path, "answers")

    def generate(self, chats: list[Chat], params: GenerationParams | None = None) -> list[Completion]:
        params = params or GenerationParams()
        keys = [self._key(c, params) for c in chats]
        found = self._lookup(keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(chats) - len(missing)
        record(cache_hits=len(chats) - len(missing))
        if missing:
            fresh = self.inner.generate([chats[i] for i in missing], params)
            self._store({keys[i]: c for i, c in zip(missing, fresh)})
            found.update({keys[i]: c for i, c in zip(missing, fresh)})
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

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def close_cache(self) -> None:
        """Close the answer store only: the wrapped model may be shared (a test session's model)."""
        self._store_kv.close()

    def close(self) -> None:
        self.close_cache()
        self.inner.close()
