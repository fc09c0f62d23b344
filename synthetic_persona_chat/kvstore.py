"""One SQLite key-value table, shared by the caches that must survive a kill -9 (LLM answers, embeddings).

WAL journal and a long busy timeout, because several worker processes (Ray actors, a second command) may
write the same file; every `put_many` is one transaction, so a value is either fully stored or absent.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path
from typing import Iterable, Iterator, Union
from .errors import StorageError

# What sqlite3 stores in a value column and gives back (the LLM cache's JSON text, the embedding cache's bytes)
StoredValue = Union[str, bytes, int, float, None]
DAMAGED = ("file is not a database", "malformed")  # sqlite's words for a file that is not (or no longer) valid


class StoreError(StorageError, RuntimeError):
    """A cache file is damaged; the message names it and the fix (delete it: only cached work is lost)."""


def named_error(exc: sqlite3.DatabaseError, path: Path, table: str) -> Exception:
    """`exc` with the file named: a `StoreError` for a damaged file, else the same sqlite class (a full disk,
    a read-only folder, a lock held too long), so the CLI's error boundary still tells those apart."""
    if any(word in str(exc).lower() for word in DAMAGED):
        return StoreError(f"{path} is damaged ({exc}); delete it and rerun the same command: only cached "
                          f"{table} are lost, and they are computed again")
    return type(exc)(f"{exc}: {path}")


class KeyValueStore:
    """`table(key TEXT PRIMARY KEY, <value_column> <value_type>)` with batched reads and writes."""

    def __init__(self, path: str | Path, table: str, value_column: str = "value", value_type: str = "TEXT") -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path, self._table, self._column = Path(path), table, value_column
        self._lock = threading.Lock()
        with self._named():  # sqlite connects lazily: a damaged file shows on the first statement
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None,
                                       timeout=120)  # other workers may hold the write lock
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, {value_column} {value_type})")

    @contextlib.contextmanager
    def _named(self) -> Iterator[None]:
        """sqlite's errors name no file: the user must learn which file is damaged or sits on a full disk."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise named_error(exc, self.path, self._table) from exc

    def get_many(self, keys: Iterable[str]) -> dict[str, StoredValue]:
        """The stored values of `keys` that exist (SQLite caps bound parameters: 500 a query)."""
        unique = list(dict.fromkeys(keys))
        found: dict[str, StoredValue] = {}
        with self._lock, self._named():
            for start in range(0, len(unique), 500):
                chunk = unique[start:start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(self._db.execute(
                    f"SELECT key, {self._column} FROM {self._table} WHERE key IN ({marks})", chunk))
        return found

    def put_many(self, items: dict[str, StoredValue]) -> None:
        with self._lock, self._named():
            self._db.execute("BEGIN")
            try:
                self._db.executemany(f"INSERT OR REPLACE INTO {self._table} VALUES (?, ?)", list(items.items()))
                self._db.execute("COMMIT")
            except sqlite3.Error:
                if self._db.in_transaction:  # a full disk mid-write: leave the connection usable
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                raise

    def __len__(self) -> int:
        with self._lock, self._named():
            return self._db.execute(f"SELECT COUNT(*) FROM {self._table}").fetchone()[0]

    def close(self) -> None:
        self._db.close()
