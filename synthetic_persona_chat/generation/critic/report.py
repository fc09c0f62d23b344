"""The quality experts' position consistency, for reports that show a generated dataset.

A quality expert whose answer flips when the two conversations swap places is judging slots, not
conversations; its rate (comparisons where both orders agreed) says how far its votes can be
trusted. The conversation stage stores the rates in its summary (`conversations/_done.json`); the
eval report (`eval/report.py: expert_consistency`) reads them here and shows them with their intervals.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypedDict

DONE = Path("conversations") / "_done.json"


class ConsistencyCounts(TypedDict):
    """One quality expert's comparisons asked in both orders, how many agreed, and the rate: the object
    `quality.position_consistency` makes and `_done.json` stores (`run_summary.Consistency` reads it)."""

    comparisons: int
    consistent: int
    rate: float


def run_consistency(source: str | None) -> dict[str, ConsistencyCounts] | None:
    """The stored position-consistency rates of a run directory's conversation stage; None if not a run."""
    if not source or str(source).startswith("hub:"):
        return None
    done = Path(source).expanduser() / DONE
    if not done.is_file():
        return None
    return json.loads(done.read_text(encoding="utf-8")).get("position_consistency")

