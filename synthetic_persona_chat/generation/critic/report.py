"""The quality experts' position consistency, for reports that show a generated dataset.

A quality expert whose answer flips when the two conversations swap places is judging slots, not
conversations; its rate (comparisons where both orders agreed) says how far its votes can be
trusted. The conversation stage stores the rates in its summary (`conversations/_done.json`); the
eval report calls `consistency_markdown` to show them for every dataset that is a run directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DONE = Path("conversations") / "_done.json"


def run_consistency(source: str | None) -> dict[str, dict[str, Any]] | None:
    """The stored position-consistency rates of a run directory's conversation stage; None if not a run."""
    if not source or str(source).startswith("hub:"):
        return None
    done = Path(source).expanduser() / DONE
    if not done.is_file():
        return None
    return json.loads(done.read_text(encoding="utf-8")).get("position_consistency")


def consistency_markdown(quality: dict[str, Any]) -> str:
    """A table (dataset × quality expert: rate, consistent/comparisons); "" when no dataset is a run."""
    rows = []
    for name, q in (quality.get("datasets") or {}).items():
        rates = run_consistency(q.get("source"))
        for expert, r in (rates or {}).items():
            rows.append(f"| {name} | {expert} | {r['rate']:.2f} | {r['consistent']}/{r['comparisons']} |")
    if not rows:
        return ""
    return ("\n### Critic quality experts: position consistency\n\nEach pairwise comparison was asked with the "
            "conversations in both orders; a vote counts only when both answers agree.\n\n"
            "| dataset | expert | rate | consistent / comparisons |\n|---|---|---|---|\n" + "\n".join(rows) + "\n")
