"""Our own JSONL / Parquet files of records, chosen by file suffix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..records import RecordError, Skip
from ..rowtypes import ArrowRow, ArrowValue
from .textfile import read_text, split_lines

R = TypeVar("R")


class RecordsFormatError(InputError, ValueError):
    """A records file that cannot be read at all (not UTF-8, a line that is not JSON, not Parquet); the message
    names the file and the line."""


def read_records(path: str | Path, factory: Callable[[ArrowRow], R]) -> tuple[list[R], list[Skip]]:
    """Rows -> records with `factory` (e.g. `Conversation.from_dict`); bad rows become skips."""
    path = Path(path)
    rows = _read_rows(path)
    records, skips = [], []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            skips.append(Skip(str(path), f"row {i}", f"invalid record: a JSON {type(row).__name__}, not an object"))
            continue
        try:
            records.append(factory(row))
        except (RecordError, TypeError, KeyError, ValueError) as exc:
            skips.append(Skip(str(path), f"row {i}", f"invalid record: {exc}"))
    return records, skips


def _read_rows(path: Path) -> list[ArrowValue]:
    """Parquet rows, or JSON lines (any JSON value: a line that is not an object becomes a skip)."""
    if not path.is_file():
        raise FileNotFoundError(f"records file not found: {path}")
    if path.suffix == ".parquet":
        try:
            return pq.read_table(path).to_pylist()
        except (pa.ArrowException, OSError) as exc:
            if isinstance(exc, OSError) and exc.errno:  # the disk, not the file's content: the filesystem class
                raise
            raise RecordsFormatError(f"{path}: not a readable Parquet file ({exc}); write it again") from exc
    if path.suffix in (".jsonl", ".json"):
        rows = []
        for n, line in enumerate(split_lines(read_text(path, RecordsFormatError)), start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except (json.JSONDecodeError, RecursionError) as exc:
                    raise RecordsFormatError(f"{path}:{n}: not JSON ({_short(exc)}); one JSON object a line") from exc
        return rows
    raise ValueError(f"{path}: unsupported suffix {path.suffix!r}; use .jsonl or .parquet")


def _short(exc: Exception) -> str:
    return str(exc) if isinstance(exc, json.JSONDecodeError) else "nested too deep"


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
