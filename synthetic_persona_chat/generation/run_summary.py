"""The typed summary of the conversations stage (RUN/conversations/_done.json, beside the vouched files).

Why a type: the stage writes it once, and the command's table, the Hub card's source, the benchmarks and
`spc eval` read it; as a dict each of them re-read the keys (`summary["seconds_per_stage"]["generate"]`).
The file format is unchanged, key order included (`JsonRow`, tested on a file a run wrote before the
type existed: tests/fixtures/summaries/). Only the counts every release wrote are required; the rest is optional
(None: a run written before the key existed), so an older run reads and round-trips unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..jsonrow import JsonRow, optional
from ..rundir import RunDir

STAGE = "conversations"


@dataclass
class Consistency(JsonRow):
    """A quality expert's pairwise comparisons asked in both orders, and how many agreed."""

    comparisons: int
    consistent: int
    rate: float


@dataclass
class PairOutcomes(JsonRow):
    """How each pair ended (retry.py): won at once, won after a redraw, or no winner."""

    pairs: int
    won_first_attempt: int
    won_after_retry: int
    no_winner: int
    attempts: int


@dataclass
class SeedPool(JsonRow):
    """The seed conversations the few-shot pool read, kept and dropped (with the reasons counted)."""

    read: int
    kept: int
    dropped: int
    dropped_by_reason: dict[str, int] | None = optional()


@dataclass(kw_only=True)
class ConversationsSummary(JsonRow):
    """Totals over every batch of the stage (resumed ones too); `*_this_run`: this process only."""

    finished: str | None = optional()  # written by `RunDir.mark_done`, read back with the summary
    candidates: int
    parsed: int
    winners: int
    winners_per_iteration: dict[str, int] | None = optional()
    pass_rates: dict[str, float]
    evaluated: dict[str, int] | None = optional()
    unparsable_quality_answers: dict[str, int] | None = optional()
    position_consistency: dict[str, Consistency] | None = optional()
    placeholder_rejections: int | None = optional()
    tokens: dict[str, int] | None = optional()
    tokens_per_stage: dict[str, dict[str, int]] | None = optional()
    seconds_per_stage: dict[str, float] | None = optional()
    cpu_seconds_per_stage: dict[str, float] | None = optional()
    llm_calls_this_run: int | None = optional()
    cache_hits_this_run: int | None = optional()
    pair_outcomes: PairOutcomes | None = optional()
    generator_mode: str | None = optional()
    seed_pool: SeedPool | None = optional()
    pairs: int | None = optional()
    pairs_available: int | None = optional()
    skipped_pairs: int | None = optional()
    wall_seconds_this_run: float | None = optional()
    # an HTTP backend's client figures (cap, 429 back-offs, CPU seconds): numbers, under the client's own names
    llm_client_this_run: dict[str, float] | None = optional()

    @classmethod
    def of_run(cls, run: RunDir) -> "ConversationsSummary":
        """The finished stage's summary; a `ValueError` naming the missing key when it is not one."""
        return cls.from_json(run.stage_summary(STAGE))
