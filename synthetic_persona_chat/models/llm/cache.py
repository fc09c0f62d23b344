"""A persistent cache of LLM answers: what was paid for once is never generated again.

Every finished prompt is committed to SQLite before the caller sees it, so a run
killed with -9 and restarted re-uses every answer it already had. Keys cover the
model identity, the full chat and the sampling parameters.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from .base import LLM, Chat, Completion, GenerationParams


class CachedLLM(LLM):
    """Wraps any backend; `usage` counts only calls that really reached the model."""

    def __init__(self, inner: LLM, path: str | Path) -> None:
        super().__init__(inner.model)
        self.inner, self.backend = inner, inner.backend
        self.usage = inner.usage
        self.hits = 0
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None,
                                   timeout=120)  # other workers may hold the write lock
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT)")
        self._lock = threading.Lock()

    def generate(self, chats: list[Chat], params: GenerationParams | None = None) -> list[Completion]:
        params = params or GenerationParams()
        keys = [self._key(c, params) for c in chats]
        found = self._lookup(keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(chats) - len(missing)
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
        found: dict[str, Completion] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, value in self._db.execute(
                        f"SELECT key, value FROM answers WHERE key IN ({marks})", chunk):
                    found[key] = Completion(**json.loads(value))
        return found

    def _store(self, items: dict[str, Completion]) -> None:
        rows = [(k, json.dumps(c.__dict__)) for k, c in items.items()]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?)", rows)
            self._db.execute("COMMIT")

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def close(self) -> None:
        self._db.close()
        self.inner.close()
