"""What every Critic expert shares: the verdict it gives and how it plugs in.

Two kinds of experts:
- a *filter* judges each candidate on its own and passes or drops it (structural, faithfulness,
  toxicity): `judge(rows, ctx, cfg) -> [Verdict per row]`;
- a *selector* looks at the surviving candidates of one pair and picks one (the quality experts):
  `choose(groups, ctx, cfg) -> [[Verdict, ...] per group]`.
Rows are the candidate rows of the stage functions (dicts); experts batch their model calls over
all rows they are given, so a bigger batch means fewer, larger model calls.

`Verdict` (declared in `row_contracts.py` with the other rows) is the one contract for a verdict row: the
stage writes `to_row()`, readers (run summaries, `spc critic judge`, the dataset builder) read `from_row()`,
and the Parquet column's Arrow type is derived from the dataclass, so a new field cannot be forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ...row_contracts import Verdict  # noqa: F401  (declared with the other row contracts; experts import it here)


@dataclass(frozen=True)
class Expert:
    name: str
    kind: str  # "filter" or "selector"
    fn: Callable[..., Any]
    doc: str = ""
