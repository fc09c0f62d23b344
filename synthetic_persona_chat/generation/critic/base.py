"""What every Critic expert shares: the verdict it gives and how it plugs in.

Two kinds of experts:
- a *filter* judges each candidate on its own and passes or drops it (structural, faithfulness,
  toxicity): `judge(rows, ctx, cfg) -> [Verdict per row]`;
- a *selector* looks at the surviving candidates of one pair and picks one (the quality experts):
  `choose(groups, ctx, cfg) -> [[Verdict, ...] per group]`, one verdict per sub-expert.
Rows are the candidate rows of the stage functions (dicts); experts batch their model calls over
all rows they are given, so a bigger batch means fewer, larger model calls.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable


@dataclass
class Verdict:
    expert: str  # "structural", "faithfulness", "toxicity", "quality:depth", "parser"
    passed: bool | None = None  # filters: kept or dropped
    choice: int | None = None  # selectors: the candidate index picked (None: no usable answer)
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Expert:
    name: str
    kind: str  # "filter" or "selector"
    fn: Callable[..., Any]
    doc: str = ""
