"""The rows the stages hand each other, declared once: `Pair` -> `Job` -> `Candidate` (with its `Verdict`s).

Stages pass plain dicts (they are Arrow/Parquet rows and Ray Data batches), but what a row holds is
declared here, and the Parquet schemas that store them are derived from these dataclasses
(`arrow_schema`), so a field added to a contract reaches every file that stores it. Each producer
(`usergen.stages.run_pairs`, `generation.plan.make_jobs`, `generation.stages.generate_batch`, the
critic's experts) builds the contract and hands on its `to_row()`. `to_row` and
`from_row` convert between a contract and its dict row; `from_row` ignores unknown keys and fills
fields that older rows lack with their defaults, so runs written before a field existed still read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pyarrow as pa

from .rowtypes import ArrowRow, Row, arrow_schema, arrow_type, from_row, to_row

__all__ = ["TurnRow", "Pair", "Job", "Candidate", "Verdict", "Row", "arrow_schema", "from_row", "to_row"]


@dataclass
class Verdict:
    expert: str  # "structural", "faithfulness", "toxicity", "quality:depth", "parser", "vote"
    passed: bool | None = None  # filters: kept or dropped
    choice: int | None = None  # selectors: the candidate index picked (None: no usable answer)
    reason: str = ""
    score: float | None = None  # the number that decided (worst contradiction / toxicity score), if any
    compared: list[int] | None = None  # a pairwise comparison: the two candidate indices, in A/B order
    consistent: bool | None = None  # a pairwise comparison: both orders (A/B, B/A) named the same candidate

    def to_row(self) -> ArrowRow:
        return dataclasses.asdict(self)

    @classmethod
    def from_row(cls, row: ArrowRow) -> "Verdict":
        """A stored row; fields missing in rows written before they existed take their defaults."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in row.items() if k in names}
        if values.get("compared") is not None:
            values["compared"] = [int(c) for c in values["compared"]]
        return cls(**values)

    @classmethod
    def arrow_type(cls) -> pa.StructType:
        """The Parquet struct of a verdict, field for field from the dataclass."""
        return arrow_type(cls)


@dataclass
class TurnRow(Row):
    speaker: str  # "user 1" | "user 2"
    text: str


@dataclass
class Pair(Row):
    """Two user profiles that share persona categories (`pairs/pairs.parquet`)."""

    pair_id: str
    user1_id: str | None
    user2_id: str | None
    user1_persona: list[str]
    user2_persona: list[str]
    similarity: int | None = None  # shared persona categories


@dataclass
class Job(Row):
    """One pair in one iteration, with its few-shot examples drawn (`plan.make_jobs`)."""

    job_id: str
    pair_id: str
    iteration: int
    user1_id: str | None
    user2_id: str | None
    user1_persona: list[str]
    user2_persona: list[str]
    similarity: float | None
    fewshot_ids: list[str]
    fewshot_texts: list[str]


@dataclass
class Candidate(Row):
    """One generated conversation of a job, parsed, judged and voted on (`conversations/candidates.parquet`)."""

    candidate_id: str
    job_id: str
    pair_id: str
    iteration: int
    candidate_index: int
    user1_id: str | None
    user2_id: str | None
    user1_persona: list[str]
    user2_persona: list[str]
    similarity: float | None
    fewshot_ids: list[str]
    generator: str
    raw_text: str | None
    turns: list[TurnRow]
    parse_error: str | None
    parse_notes: list[str]
    prompt_tokens: int
    completion_tokens: int
    verdicts: list[Verdict] = field(default_factory=list)
    passed: bool | None = None
    votes: int | None = None
    selected: bool | None = None
