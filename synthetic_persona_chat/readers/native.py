"""Our own JSONL / Parquet files of records, chosen by file suffix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from ..records import RecordError, Skip

R = TypeVar("R")


def read_records(path: str | Path, factory: Callable[[dict[str, Any]], R]) -> tuple[list[R], list[Skip]]:
    """Rows -> records with `factory` (e.g. `Conversation.from_dict`); bad rows become skips."""
    path = Path(path)
    rows = _read_rows(path)
    records, skips = [], []
    for i, row in enumerate(rows):
        try:
            records.append(factory(row))
        except (RecordError, TypeError, KeyError, ValueError) as exc:
            skips.append(Skip(str(path), f"row {i}", f"invalid record: {exc}"))
    return records, skips


def _read_rows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise FileNotFoundError(f"records file not found: {path}")
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    if path.suffix in (".jsonl", ".json"):
        rows = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not JSON ({exc})") from exc
        return rows
    raise ValueError(f"{path}: unsupported suffix {path.suffix!r}; use .jsonl or .parquet")


def write_records(path: str | Path, records: list[Any]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [r.to_dict() if hasattr(r, "to_dict") else dict(r) for r in records]
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    else:
        raise ValueError(f"{path}: unsupported suffix {path.suffix!r}; use .jsonl or .parquet")
    return path
