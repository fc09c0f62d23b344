"""The tests' one picture of a finished run: a run directory written as `spc generate` leaves it.

Why one factory: the builder, eval, annotate and Critic tests each hand-wrote a run (rows, a marker with a
made-up summary) and each drifted from what the conversations stage writes. Here the Critic's candidates are
`Candidate` contracts stored with the stage's schema, the winners are made from them by the stage's own
`to_conversation`, the pair outcomes by `retry.outcome_rows`, and the marker holds a `ConversationsSummary`
counted from those candidates; a format change in the stage reaches every test that reads a run.

The conversations are real (SPC rows, by default the packaged sample, so no test needs ../shared for a run);
only the Critic's decisions are made up, the same for every pair: the winner (candidate 1) passed the
faithfulness filter and won a position-consistent depth comparison against candidate 0 (the next
conversation's turns); every fourth pair also had a candidate 2 (the previous conversation's turns) that the
faithfulness filter dropped.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

from synthetic_persona_chat.config import Config
from synthetic_persona_chat.generation.engine import CANDIDATE_SCHEMA
from synthetic_persona_chat.generation.iterate import conversation_schema
from synthetic_persona_chat.generation.retry import outcome_rows, outcome_summary
from synthetic_persona_chat.generation.run_summary import STAGE, ConversationsSummary
from synthetic_persona_chat.generation.stages import to_conversation
from synthetic_persona_chat.readers import read_spc_csv
from synthetic_persona_chat.records import Conversation, PersonaAttribute, Skip
from synthetic_persona_chat.row_contracts import Candidate, TurnRow, Verdict
from synthetic_persona_chat.rundir import RunDir
from synthetic_persona_chat.sample_data import sample_path
from synthetic_persona_chat.text import render_conversation
from synthetic_persona_chat.usergen.stages import ATTRIBUTE_SCHEMA, CATEGORY_SCHEMA

GENERATOR = "llama-cpp:smollm2"
MODELS = {"llm": {"backend": "llama-cpp", "model": "smollm2", "device": "cpu"},
          "embedder": {"backend": "sentence-transformers", "model": "all-MiniLM-L6-v2"}}
WINNER, LOSER, FILTERED = 1, 0, 2  # candidate indices of a pair


def sample_conversations(split: str = "test", n: int | None = None) -> list[Conversation]:
    """The first `n` conversations of the packaged SPC sample (150 per split): real text without ../shared,
    the very conversations (ids, split names) that the release's first rows read as."""
    convs, _ = read_spc_csv(sample_path(split), split={"valid": "validation"}.get(split, split))
    if n is not None and n > len(convs):
        raise ValueError(f"the packaged sample holds {len(convs)} {split} conversations, {n} were asked for")
    return convs[:n]


def finished_run(path: Path, conversations: Sequence[Conversation], *, seeds: int = 0, iterations: int = 3,
                 expand: bool = False, skips: Sequence[Skip] = (), summary: dict[str, Any] | None = None,
                 settings: dict[str, Any] | None = None, done: bool = True) -> RunDir:
    """A run whose Critic chose `conversations[seeds:]`, each the winner of its own pair.

    Conversation k (counted over all of them) is pair `p{k}`, iteration `k % iterations + 1`, similarity
    `2 + k % 3`. The first `seeds` conversations are carried over as Persona-Chat-split rows (`split`
    "train", as a run that kept its seed conversations holds them): no candidates, never judged.
    `expand`: also the persona expansion's attribute and category tables. `summary`: fields of the
    `ConversationsSummary` a test needs at other values than counted (e.g. pass rates a card test reads).
    `done=False` leaves the stage unfinished (no marker), as a killed run does.
    """
    run = RunDir(path).init(Config.from_dict(settings or {"seed": 3, "generation": {"iterations": iterations,
                                                                                  "candidates": 2}}))
    for role, description in MODELS.items():
        run.record_model(role, description)
    generated = list(conversations[seeds:])
    candidates = candidate_rows(generated, first=seeds, iterations=iterations)
    winners = [to_conversation(r, run.path.name).to_dict() for r in candidates if r["selected"]]
    rows = [_seed_row(c) for c in conversations[:seeds]] + winners
    run.write_records(STAGE, "candidates", candidates, schema=CANDIDATE_SCHEMA)
    outcomes = outcome_rows(candidates, _jobs(candidates), {r["pair_id"]: 1 for r in candidates},
                            "every pair has a winner")
    if outcomes:
        run.write_records(STAGE, "pair_outcomes", outcomes)
    run.write_records(STAGE, "conversations", rows, schema=None if rows else conversation_schema())
    if expand:
        write_expansion(run, conversations)
    run.set_skips(STAGE, skips)
    if done:
        counted = counted_summary(candidates, outcomes, pairs=len(generated), skipped=len(skips))
        run.mark_done(STAGE, dataclasses.replace(counted, **(summary or {})).to_json())
    return run


def candidate_rows(conversations: list[Conversation], first: int = 0, iterations: int = 3) -> list[dict[str, Any]]:
    """`conversations/candidates.parquet` rows (`Candidate.to_row()`): per conversation its pair's candidates,
    the conversation itself the selected winner (see the module docstring for the Critic's decisions)."""
    rows = []
    for i, conv in enumerate(conversations):
        k = first + i
        job = dict(job_id=f"job{k}", pair_id=f"p{k}", iteration=k % iterations + 1, similarity=2.0 + k % 3,
                   user1_persona=list(conv.user1_persona), user2_persona=list(conv.user2_persona))
        depth = Verdict("quality:depth", choice=WINNER, compared=[LOSER, WINNER], consistent=True,
                        reason="asks follow-up questions")
        kept = Verdict("faithfulness", passed=True, reason="no contradiction")
        rows.append(_candidate(job, WINNER, conv.turns, [kept, depth], passed=True, votes=1, selected=True))
        rows.append(_candidate(job, LOSER, conversations[(i + 1) % len(conversations)].turns, [kept],
                               passed=True, votes=0, selected=False))
        if i % 4 == 0:
            dropped = Verdict("faithfulness", passed=False, score=0.97, reason="contradicts 'i have a dog'")
            rows.append(_candidate(job, FILTERED, conversations[i - 1].turns, [dropped], passed=False, votes=None,
                                   selected=False))
    return rows


def _candidate(job: dict[str, Any], index: int, turns: Sequence[Any], verdicts: list[Verdict], *, passed: bool,
               votes: int | None, selected: bool) -> dict[str, Any]:
    lines = [TurnRow(t.speaker, t.text) for t in turns]
    return Candidate(candidate_id=f"{job['job_id']}-{index}", candidate_index=index, user1_id=None, user2_id=None,
                     fewshot_ids=[], generator=GENERATOR, raw_text=render_conversation([dataclasses.asdict(t)
                                                                                        for t in lines]),
                     turns=lines, parse_error=None, parse_notes=[], prompt_tokens=400, completion_tokens=120,
                     verdicts=verdicts, passed=passed, votes=votes, selected=selected, **job).to_row()


def _jobs(candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One job per pair, what `outcome_rows` reads of a job."""
    jobs = {r["pair_id"]: {"pair_id": r["pair_id"], "iteration": r["iteration"]} for r in candidates}
    return list(jobs.values())


def _seed_row(conv: Conversation) -> dict[str, Any]:
    seed = dataclasses.replace(conv, split="train", source="spc:test", iteration=None)
    return seed.to_dict()


def counted_summary(candidates: list[dict[str, Any]], outcomes: list[Any], pairs: int,
                    skipped: int) -> ConversationsSummary:
    """The stage's summary counted from the candidates as `iterate.summarize` counts them (filters' pass rates
    over the candidates they judged)."""
    evaluated, passed = Counter(), Counter()
    for row in candidates:
        for v in row["verdicts"]:
            if v["passed"] is not None:
                evaluated[v["expert"]] += 1
                passed[v["expert"]] += bool(v["passed"])
    winners = [r for r in candidates if r["selected"]]
    return ConversationsSummary(
        candidates=len(candidates), parsed=len(candidates), winners=len(winners),
        winners_per_iteration={str(it): n for it, n in sorted(Counter(r["iteration"] for r in winners).items())},
        pass_rates={e: round(passed[e] / n, 4) for e, n in evaluated.items()}, evaluated=dict(evaluated),
        pair_outcomes=outcome_summary(outcomes), generator_mode="constrained", pairs=pairs,
        pairs_available=pairs, skipped_pairs=skipped)


def write_expansion(run: RunDir, conversations: Sequence[Conversation]) -> None:
    """The persona expansion's tables (`expand/`): the conversations' attributes in 7 categories, every
    other one a seed attribute, the rest generated in round 1."""
    attrs = sorted({a for c in conversations for a in (*c.user1_persona, *c.user2_persona)})
    run.write_records("expand", "attributes", [
        PersonaAttribute(text=a, category=i % 7, query=f"query {i % 7}?", origin="seed" if i % 2 else "generated",
                         round=0 if i % 2 else 1).to_dict() for i, a in enumerate(attrs)], schema=ATTRIBUTE_SCHEMA)
    run.write_records("expand", "categories", [{"category": k, "query": f"query {k}?", "size": 10, "seed_size": 5}
                                               for k in range(7)], schema=CATEGORY_SCHEMA)
    run.mark_done("expand", {"attributes": len(attrs)})
