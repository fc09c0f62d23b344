"""Generation iterations are counted from 1, as the paper counts them ("iteration 1: 17.2% losing rate").

A run writes `conversations/iter-1/`, `iter-2/`, ... and `iteration: 1, 2, ...` in its records, so the run,
its progress bar ("iter 1/2") and the eval report's columns beside the paper's figures all say the same
number. Run directories written before counted from 0 (`iter-0/`, `iteration: 0`): a resume of one keeps
its own numbering (its finished batches live under `iter-0/`), and every reader of its records shifts them
to the one base (`one_based`), so an old run reads exactly like a new one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, TypeVar

FIRST = 1
LEGACY_FIRST = 0  # runs written before iterations were counted from 1
T = TypeVar("T")


def first_iteration(stage_dir: Path) -> int:
    """The base a run's conversation stage counts from: its old one when it already holds `iter-0/`."""
    return LEGACY_FIRST if (Path(stage_dir) / f"iter-{LEGACY_FIRST}").is_dir() else FIRST


def one_based(records: Iterable[T]) -> list[T]:
    """Records (`Conversation`s or candidate row dicts) with 1-based iterations: a run that counted from 0
    (its smallest iteration is 0) is shifted by one; a 1-based run is returned as it is."""
    records = list(records)
    numbers = [n for n in map(_iteration, records) if n is not None]
    if not numbers or min(numbers) != LEGACY_FIRST:
        return records
    for record in records:
        if _iteration(record) is not None:
            _set_iteration(record, _iteration(record) + FIRST - LEGACY_FIRST)
    return records


def _iteration(record: Any) -> int | None:
    value = record.get("iteration") if isinstance(record, dict) else getattr(record, "iteration", None)
    return None if value is None else int(value)


def _set_iteration(record: Any, value: int) -> None:
    if isinstance(record, dict):
        record["iteration"] = value
    else:
        record.iteration = value
