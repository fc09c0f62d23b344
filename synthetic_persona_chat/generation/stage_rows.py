"""The dict rows the conversation stage hands from function to function, as `TypedDict`s.

Why dicts and not the dataclasses of `row_contracts.py`: the rows travel as Arrow tables, Parquet batch units
and Ray Data batches (JSON strings), and the critic's experts add keys to them in place; a dict is what each of
those hands back. Why typed: each stage function reads them by key (`job["pair_id"]`, `row["selected"]`), so
the keys it may read are named here, once, and a reader sees what a row holds without finding its producer.

Each shape mirrors its contract field for field (`Pair`, `Job`, `Candidate`, `Verdict`; a test keeps them
equal), so the Parquet schema derived from the contract and the dict read by key cannot drift apart. Rows
that are not a contract (a batch's cost, a pair's outcome, a turn prompt's inputs) are declared here too,
because their only producer and their readers are the stage's modules.
"""

# No `from __future__ import annotations` here: TypedDict reads `NotRequired` from evaluated annotations only.
from typing import NotRequired, TypedDict


class PairRow(TypedDict):
    """A `Pair` row (`plan.load_pairs`, `seed_pairs`); the estimate's stand-in pairs hold the personas only."""

    pair_id: str
    user1_id: NotRequired[str | None]
    user2_id: NotRequired[str | None]
    user1_persona: list[str]
    user2_persona: list[str]
    similarity: NotRequired[float | None]


class JobRow(TypedDict):
    """A `Job` row: one pair in one iteration, its few-shot examples drawn (`plan.make_jobs`, `retry.redraw_job`)."""

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


class VerdictRow(TypedDict):
    """A `Verdict` row, as `Verdict.to_row()` gives it and a candidate's `verdicts` list holds it."""

    expert: str
    passed: bool | None
    choice: int | None
    reason: str
    score: float | None
    compared: list[int] | None
    consistent: bool | None


class CandidateRow(TypedDict):
    """A `Candidate` row: generated (`stages.generate_batch`), judged (`critic_batch`: `verdicts`, `passed`)
    and voted on (`select_batch`: `votes`, `selected`). The texts are `NotRequired` because the stage keeps
    a candidate *slim* in memory after its round (`engine.slim`): those keys stay on disk only."""

    candidate_id: str
    job_id: str
    pair_id: str
    iteration: int
    candidate_index: int
    user1_id: str | None
    user2_id: str | None
    user1_persona: NotRequired[list[str]]
    user2_persona: NotRequired[list[str]]
    similarity: float | None
    fewshot_ids: NotRequired[list[str]]
    generator: str
    raw_text: NotRequired[str | None]
    turns: NotRequired[list[dict[str, str]]]
    parse_error: str | None
    parse_notes: NotRequired[list[str]]
    prompt_tokens: int
    completion_tokens: int
    verdicts: list[VerdictRow]
    passed: bool | None
    votes: int | None
    selected: bool | None


class BatchMeta(TypedDict):
    """What one batch cost, per step (`engine._run_batch`): kept as the batch unit's `unit.json` meta."""

    usage: dict[str, dict[str, int]]  # step -> LLM usage of this batch alone (calls, tokens, cache hits)
    seconds: dict[str, float]
    cpu_seconds: dict[str, float]
    jobs: int


class OutcomeRow(TypedDict):
    """How one pair of an iteration ended (`retry.outcome_rows`; `conversations/pair_outcomes.parquet`)."""

    pair_id: str
    iteration: int
    attempts: int
    winner: bool
    reason: str


class TurnPromptRow(TypedDict):
    """The inputs of one turn's prompt in `generator.mode: turns` (`turns.turn_row`; the `Turn` task renders it)."""

    speaker: str
    partner: str
    persona: list[str]
    focus: str
    history: str
    fewshot_texts: list[str]
