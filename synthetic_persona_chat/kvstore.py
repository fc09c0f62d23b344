"""One SQLite key-value table, shared by the caches that must survive a kill -9 (LLM answers, embeddings).

WAL journal and a long busy timeout, because several worker processes (Ray actors, a second command) may
write the same file; every `put_many` is one transaction, so a value is either fully stored or absent.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterable


class KeyValueStore:
    """`table(key TEXT PRIMARY KEY, <value_column> <value_type>)` with batched reads and writes."""

    def __init__(self, path: str | Path, table: str, value_column: str = "value", value_type: str = "TEXT") -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path, self._table, self._column = Path(path), table, value_column
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None,
                                   timeout=120)  # other workers may hold the write lock
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, {value_column} {value_type})")
        self._lock = threading.Lock()

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The stored values of `keys` that exist (SQLite caps bound parameters: 500 a query)."""
        unique = list(dict.fromkeys(keys))
        found: dict[str, Any] = {}
        with self._lock:
            for start in range(0, len(unique), 500):
                chunk = unique[start:start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(self._db.execute(
                    f"SELECT key, {self._column} FROM {self._table} WHERE key IN ({marks})", chunk))
        return found

    def put_many(self, items: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(f"INSERT OR REPLACE INTO {self._table} VALUES (?, ?)", list(items.items()))
            self._db.execute("COMMIT")

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute(f"SELECT COUNT(*) FROM {self._table}").fetchone()[0]

    def close(self) -> None:
        self._db.close()
