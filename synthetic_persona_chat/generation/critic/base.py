"""What every Critic expert shares: the verdict it gives and how it plugs in.

Two kinds of experts:
- a *filter* judges each candidate on its own and passes or drops it (structural, faithfulness,
  toxicity): `judge(rows, ctx, cfg) -> [Verdict per row]`;
- a *selector* looks at the surviving candidates of one pair and picks one (the quality experts):
  `choose(groups, ctx, cfg) -> [[Verdict, ...] per group]`.
Rows are the candidate rows of the stage functions (dicts); experts batch their model calls over
all rows they are given, so a bigger batch means fewer, larger model calls.

`Verdict` is the one contract for a verdict row: the stage writes `to_row()`, readers (run
summaries, `spc critic judge`, the dataset builder) read `from_row()`, and the Parquet column's
Arrow type is derived from the dataclass, so a new field cannot be forgotten in one of them.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, Callable

import pyarrow as pa

_ARROW = {str: pa.string(), bool: pa.bool_(), int: pa.int64(), float: pa.float64()}


@dataclass
class Verdict:
    expert: str  # "structural", "faithfulness", "toxicity", "quality:depth", "parser", "vote"
    passed: bool | None = None  # filters: kept or dropped
    choice: int | None = None  # selectors: the candidate index picked (None: no usable answer)
    reason: str = ""
    score: float | None = None  # the number that decided (worst contradiction / toxicity score), if any
    compared: list[int] | None = None  # a pairwise comparison: the two candidate indices, in A/B order
    consistent: bool | None = None  # a pairwise comparison: both orders (A/B, B/A) named the same candidate

    def to_row(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Verdict":
        """A stored row; fields missing in rows written before they existed take their defaults."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in row.items() if k in names}
        if values.get("compared") is not None:
            values["compared"] = [int(c) for c in values["compared"]]
        return cls(**values)

    @classmethod
    def arrow_type(cls) -> pa.StructType:
        """The Parquet struct of a verdict, field for field from the dataclass."""
        hints = typing.get_type_hints(cls)
        return pa.struct([(f.name, _arrow(hints[f.name])) for f in dataclasses.fields(cls)])


def _arrow(hint: Any) -> pa.DataType:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin is list:
        return pa.list_(_arrow(args[0]))
    if args and origin is not list:  # X | None
        return _arrow(args[0])
    return _ARROW[hint]


@dataclass(frozen=True)
class Expert:
    name: str
    kind: str  # "filter" or "selector"
    fn: Callable[..., Any]
    doc: str = ""
