"""Target-count driver: a pair whose candidates all fell is generated again, and every pair's end is recorded.

Once the Critic gates on persona expression, a pair whose m candidates all fail used to vanish
from the dataset without a word. Here, after each round of an iteration, the jobs without a winner
are asked again with a new few-shot draw (so a new prompt, hence new sampling seeds: see
`models/llm/seeding.py`) up to `generation.retries` more times; with `generation.target_winners`
set, retrying stops as soon as the run holds that many winners. Each retry round is its own engine
run in its own plan directory (`iter-N-retry-A`), so it checkpoints and resumes like the first round,
and which jobs are retried is a pure function of the stored rows: a resumed run retries the same ones.

`outcome_rows` says for every pair of the iteration how it ended: a winner at attempt A, no survivor
after A attempts (with the experts that dropped its last candidates), or not retried because the
target was reached or the prompt cannot change (no few-shot examples to redraw).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Callable

from ..records import stable_id
from ..row_contracts import Job
from .fewshot import sample_examples
from .run_summary import PairOutcomes
from .stage_rows import BatchMeta, CandidateRow, JobRow, OutcomeRow

Rows = list[CandidateRow]
RunRound = Callable[[list[JobRow], str], tuple[Rows, list[BatchMeta]]]  # (jobs, directory suffix) -> (rows, metas)


@dataclass(frozen=True)
class Budget:
    """How far to retry: `retries` more attempts per pair, stopping at `target` winners in the run (0: no target)."""

    retries: int
    target: int = 0
    fewshot: int = 0


def run_with_retries(run_round: RunRound, jobs: list[JobRow], budget: Budget, redraw: Callable[[JobRow, int], JobRow],
                     winners_before: int = 0) -> tuple[Rows, list[BatchMeta], list[OutcomeRow]]:
    """Every round's candidate rows and metas, and one outcome row per pair of `jobs`."""
    rows, metas = run_round(jobs, "")
    attempts = {j["pair_id"]: 1 for j in jobs}
    won = _won(rows)
    pending = [j for j in jobs if j["job_id"] not in won]
    stop = ""
    for attempt in range(1, budget.retries + 1):
        stop = _stop_reason(budget, winners_before + _winners(rows), pending)
        if stop:
            break
        again = [redraw(j, attempt) for j in pending]
        got, got_metas = run_round(again, f"-retry-{attempt}")
        rows, metas = rows + got, metas + got_metas
        for j in again:
            attempts[j["pair_id"]] = attempt + 1
        won = _won(got)
        pending = [j for j in again if j["job_id"] not in won]
    else:
        stop = f"retry budget of {budget.retries} spent" if budget.retries else "retries off (generation.retries 0)"
    return rows, metas, outcome_rows(rows, jobs, attempts, stop)


def redraw_job(job: JobRow, attempt: int, pool: list[dict[str, str]], seeds: list[dict[str, str]], k: int, seed: int
               ) -> JobRow:
    """The same pair again with a new few-shot draw (its own RNG key per attempt) and its own job id."""
    examples = sample_examples(pool, k, seed, job["iteration"], f"{job['pair_id']}#retry-{attempt}", fallback=seeds)
    return Job(**{**{f: job[f] for f in Job.__dataclass_fields__},
                  "job_id": stable_id("job", job["pair_id"], str(job["iteration"]), f"retry-{attempt}"),
                  "fewshot_ids": [e["id"] for e in examples], "fewshot_texts": [e["text"] for e in examples]}).to_row()


def outcome_rows(rows: Rows, jobs: list[JobRow], attempts: dict[str, int], stop: str) -> list[OutcomeRow]:
    """One row per pair: how many attempts, whether it won, and why it ended."""
    by_pair: dict[str, Rows] = defaultdict(list)
    for r in rows:
        by_pair[r["pair_id"]].append(r)
    out = []
    for j in jobs:
        mine = by_pair[j["pair_id"]]
        won = [r for r in mine if r["selected"]]
        if won:
            reason = f"winner at attempt {attempts[j['pair_id']]}: candidate {won[0]['candidate_id']}"
        else:
            reason = (f"no surviving candidate in {attempts[j['pair_id']]} attempt(s) ({_dropped_by(mine)}); "
                      f"stopped: {stop}")
        out.append(OutcomeRow(pair_id=j["pair_id"], iteration=int(j["iteration"]), attempts=attempts[j["pair_id"]],
                              winner=bool(won), reason=reason))
    return out


def _stop_reason(budget: Budget, winners: int, pending: list[JobRow]) -> str:
    if not pending:
        return "every pair has a winner"
    if budget.target and winners >= budget.target:
        return f"target of {budget.target} winners reached"
    if budget.fewshot <= 0:
        return "no few-shot examples to redraw (generation.fewshot 0): a retry would repeat the same prompt"
    return ""


def _won(rows: Rows) -> set[str]:
    """The jobs with a winner: a set, so finding the pending jobs is linear (a scan per job was 7k x 22k at 20k pairs)."""
    return {r["job_id"] for r in rows if r["selected"]}


def _winners(rows: Rows) -> int:
    return sum(1 for r in rows if r["selected"])


def _dropped_by(rows: Rows) -> str:
    """Which expert dropped each candidate (its first failing verdict), counted over every attempt."""
    first = Counter(next((v["expert"] for v in r["verdicts"] if v.get("passed") is False), "none") for r in rows)
    return ", ".join(f"{n} by {e}" for e, n in sorted(first.items())) or "no candidates"


def outcome_summary(outcomes: list[OutcomeRow]) -> PairOutcomes:
    """Counts for the stage summary: pairs won at the first attempt, won after retries, and ended without a winner."""
    first = sum(1 for o in outcomes if o["winner"] and o["attempts"] == 1)
    later = sum(1 for o in outcomes if o["winner"] and o["attempts"] > 1)
    return PairOutcomes(pairs=len(outcomes), won_first_attempt=first, won_after_retry=later,
                        no_winner=len(outcomes) - first - later, attempts=sum(o["attempts"] for o in outcomes))
