"""The `preferences` config: DPO pairs (TRL's `prompt` / `chosen` / `rejected`) from the Critic's own votes.

Each quality expert of the Critic compares the surviving candidates of a pair two at a time, in both
orders, and a comparison counts only when both orders name the same candidate (`critic/quality.py`). Those
recorded, position-consistent comparisons are preference labels: one row is the pair's winner against a
candidate it beat, with the experts that preferred it and the margin (experts for the winner minus experts
for the other candidate). A pair of candidates no consistent comparison separated gives no row: a guess is
not a preference.

The Critic's filters (structure, faithfulness, toxicity) are votes too: a candidate a filter dropped was
never compared, but the winner passed the very check it failed. One row is the winner against each dropped
candidate that has turns, with the filters that dropped it as `experts` and the same margin (each filter
votes for the candidate it passed; one that passed both is a tie). A small model's pairwise judge is rarely
position-consistent, so on such runs these are most of the rows. A candidate the parser could not read
(no turns) gives no row: there is no conversation to reject.

The prompt is the task the Generator was given, in a form any chat model reads: both personas and the
instruction in one user message (no system message, which some chat templates refuse). `chosen` and
`rejected` are the two conversations as one assistant message each, in the Generator's `User 1: ...` lines.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Iterator, TypedDict

from synthetic_persona_chat.jsontypes import JsonObject
from synthetic_persona_chat.row_contracts import Verdict
from synthetic_persona_chat.text import render_conversation

INSTRUCTION = ("Write a conversation between User 1 and User 2 that stays faithful to their personas, one "
               "'User 1: ...' or 'User 2: ...' line per turn, the two users taking turns.")
SPLIT = "train"
FILTERS = ("structural", "faithfulness", "toxicity")  # the Critic's filter experts (`generation/config.py`)


class CandidateRow(TypedDict, total=False):
    """The keys of a `conversations/candidates.parquet` row (`Candidate.to_row()`) that the preferences read.
    Not total, and a TypedDict rather than the `Candidate` contract: the row is read as Parquet gives it, the
    other keys stay, and a row of an older run may lack one the contract has since gained."""

    candidate_id: str
    job_id: str
    pair_id: str
    iteration: int
    candidate_index: int
    user1_persona: list[str]
    user2_persona: list[str]
    turns: list[dict[str, str]]  # {"speaker", "text"}; empty when the parser read nothing
    verdicts: list[JsonObject] | None  # `Verdict.to_row()` each
    passed: bool | None
    selected: bool | None  # the pair's winner


class PreferenceRow(TypedDict):
    """One DPO pair of the `preferences` config (`features.PREFERENCE_FEATURES`), TRL's conversational format."""

    id: str  # "<winner candidate id>><loser candidate id>"
    pair_id: str
    iteration: int
    prompt: list[dict[str, str]]  # the Generator's task as one user message
    chosen: list[dict[str, str]]  # the winner as one assistant message
    rejected: list[dict[str, str]]
    experts: list[str]  # the experts (or filters) that preferred `chosen`
    margin: int  # experts for `chosen` minus experts for `rejected`


def prompt_messages(user1_persona: list[str], user2_persona: list[str]) -> list[dict[str, str]]:
    """The Generator's task as one user message: both personas, then the instruction."""
    personas = "\n".join([
        "User 1's persona:", *(f"- {a}" for a in user1_persona), "User 2's persona:", *(f"- {a}" for a in user2_persona)])
    return [{"role": "user", "content": f"{personas}\n\n{INSTRUCTION}"}]


def beaten(verdicts: Iterable[JsonObject], winner: int) -> dict[int, tuple[list[str], list[str]]]:
    """Per candidate the winner was compared with: (experts preferring the winner, experts preferring it),
    from position-consistent comparisons only."""
    out: dict[int, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for row in verdicts:
        v = Verdict.from_row(row)
        if v.compared is None or not v.consistent or v.choice is None or winner not in v.compared:
            continue
        first, second = v.compared
        other = second if first == winner else first
        out[other][0 if v.choice == winner else 1].append(v.expert.removeprefix("quality:"))
    return dict(out)


def preference_rows(candidates: list[CandidateRow]) -> Iterator[PreferenceRow]:
    """DPO rows of one run's candidates (`conversations/candidates.parquet` rows), in candidate order."""
    jobs: dict[str, list[CandidateRow]] = defaultdict(list)
    for row in candidates:
        jobs[row["job_id"]].append(row)
    for job_id, rows in jobs.items():
        winner = next((r for r in rows if r.get("selected")), None)
        if winner is None:
            continue
        by_index = {int(r["candidate_index"]): r for r in rows}
        index = int(winner["candidate_index"])
        compared = beaten(winner["verdicts"] or [], index)
        for other, row in sorted(by_index.items()):
            pro, contra = compared.get(other, (sorted(filtered_by(row)), []))
            if other != index and len(pro) > len(contra):
                yield preference_row(winner, row, sorted(pro), len(pro) - len(contra))


def filtered_by(candidate: CandidateRow) -> set[str]:
    """The filter experts that dropped `candidate` (empty for a kept one, or one with no turns to show)."""
    if not candidate.get("turns"):
        return set()
    return {v.expert for v in map(Verdict.from_row, candidate.get("verdicts") or [])
            if v.expert in FILTERS and v.passed is False}


def preference_row(winner: CandidateRow, loser: CandidateRow, experts: list[str], margin: int
                   ) -> PreferenceRow:
    return PreferenceRow(id=f"{winner['candidate_id']}>{loser['candidate_id']}", pair_id=winner["pair_id"],
                         iteration=int(winner["iteration"]),
                         prompt=prompt_messages(list(winner["user1_persona"]), list(winner["user2_persona"])),
                         chosen=[{"role": "assistant", "content": render_conversation(winner["turns"])}],
                         rejected=[{"role": "assistant", "content": render_conversation(loser["turns"])}],
                         experts=experts, margin=margin)
