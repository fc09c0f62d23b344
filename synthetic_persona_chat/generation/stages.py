"""The conversation stage as three pure batch maps over rows (lists of dicts).

    jobs --generate_batch--> candidates --critic_batch--> judged --select_batch--> selected

A *job* is one pair in one iteration, with its few-shot examples already drawn (see `plan.py`);
`generate_batch` fans it out into m *candidate* rows. Each function reads only its arguments and
the models on `ctx`, returns new rows and never touches the run directory, so the local engine
(`engine.py`) and a distributed one (Ray Data `map_batches`) run the very same code:

- `generate_batch(jobs, ctx, gen_cfg)`: any batch of jobs (LLM-bound);
- `critic_batch(candidates, ctx, critic_cfg)`: any batch of candidates (the filter experts);
- `select_batch(judged, ctx, critic_cfg)`: batches that hold *every* candidate of each pair they
  touch (group by `job_id`), since the quality experts compare a pair's candidates.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from typing import TYPE_CHECKING

from ..models.llm import GenerationParams
from ..models.llm.shape import ConversationShape
from ..records import Conversation, stable_id
from ..row_contracts import Candidate, TurnRow
from ..tasks import ask, generator as generator_task
from ..text import render_conversation, speaker_label
from .critic import Verdict, resolve
from .critic.quality import majority
from .modes import generator_config, resolve_mode
from .stage_rows import CandidateRow, JobRow
from .turns import SPEAKERS, Draft, turn_row, turn_task, write_drafts

log = logging.getLogger(__name__)
_warned: dict[str, bool] = {}

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.generation.config import CriticConfig, GenerationConfig
    from synthetic_persona_chat.generation.modes import GeneratorConfig


def generator_params(gen: GenerationConfig, seed: int) -> GenerationParams:
    return GenerationParams(n=gen.candidates, max_tokens=gen.max_tokens, temperature=gen.temperature,
                            top_k=gen.top_k, top_p=gen.top_p, seed=seed)


def generator_chat(job: JobRow, gen: GenerationConfig) -> list[dict[str, str]]:
    """The chat the Generator is shown for a job (what RUN/prompts/ records and the benchmark sends)."""
    return generator_task.Generator.from_config(gen).render(job)


def conversation_shape(gen: GenerationConfig, cfg: GeneratorConfig) -> ConversationShape:
    """The form the constrained mode enforces: the run's turn bounds, the generator section's line settings."""
    return ConversationShape(speakers=(speaker_label(SPEAKERS[0]), speaker_label(SPEAKERS[1])),
                             min_turns=gen.min_turns, max_turns=gen.max_turns, soft_line_tokens=cfg.line_tokens,
                             max_line_tokens=2 * cfg.line_tokens, no_repeat_ngram=cfg.no_repeat_ngram,
                             persona_headers=tuple(f"{speaker_label(s)}'s persona:" for s in SPEAKERS),
                             persona_bias=cfg.persona_bias, line_ngram=cfg.line_ngram,
                             greeting_turns=cfg.greeting_turns, fresh_openers=cfg.fresh_openers)


def constrained_task(gen: GenerationConfig) -> generator_task.Generator:
    """The paper's Generator prompt, its answer opened with the first speaker's tag."""
    return dataclasses.replace(generator_task.Generator.from_config(gen), prefix=f"{speaker_label(SPEAKERS[0])}:",
                               drop_truncated=False)


def generator_prompt(job: JobRow, ctx: RunContext, gen: GenerationConfig) -> list[dict[str, str]]:
    """The chat of a job's first Generator call in this run's mode (what RUN/prompts/generator.txt shows)."""
    mode = generator_mode(ctx)
    if mode == "constrained":
        return constrained_task(gen).render(job)
    if mode != "turns":
        return generator_chat(job, gen)
    cfg = generator_config(ctx.config)
    return turn_task(ctx, cfg).render(turn_row(Draft(job, 0, gen.max_turns, gen.min_turns), cfg))


def generate_batch(jobs: list[JobRow], ctx: RunContext, gen: GenerationConfig) -> list[CandidateRow]:
    """m `Candidate` rows per job, in the Generator's mode (`modes.py`): one call for the whole batch, or
    one call per turn over the batch's live conversations."""
    if not jobs:
        return []
    mode = generator_mode(ctx)
    if mode == "turns":
        return [_candidate(d.job, d.index, ctx, render_conversation(d.turns), d.turns, d.error, d.notes,
                           d.prompt_tokens, d.completion_tokens)
                for d in write_drafts(jobs, ctx, gen, generator_config(ctx.config))]
    task, params = generator_task.Generator.from_config(gen), generator_params(gen, ctx.config.seed)
    if mode == "constrained":
        shape = conversation_shape(gen, generator_config(ctx.config))
        task, params = constrained_task(gen), params.replace(shape=shape, max_tokens=shape.max_new_tokens())
        _check_persona_headers(task.prompt(jobs[0]), shape)
    answers = ask(ctx.llm, task, jobs, params)
    rows = []
    for job, comp in zip(jobs, answers):
        shares = _split_tokens(comp.completion_tokens, list(comp.texts))
        for i, (text, parsed) in enumerate(zip(comp.texts, comp.values)):
            rows.append(_candidate(job, i, ctx, text, parsed.turns, parsed.error, parsed.notes,
                                   comp.prompt_tokens // max(len(comp.texts), 1), shares[i]))
    return rows


def _check_persona_headers(prompt: str, shape: ConversationShape) -> None:
    """The persona bias finds each speaker's words under its header in the prompt; a custom template without
    the headers would silently get no bias, so say so (once per process)."""
    missing = [h for h in shape.persona_headers if h not in prompt]
    if shape.persona_bias and missing and not _warned.get("headers"):
        _warned["headers"] = True
        log.warning("generator.persona_bias is set but the Generator prompt has no %s line(s): no persona words "
                    "are raised; keep the packaged generator.j2's \"User N's persona:\" lists or set "
                    "generator.persona_bias: 0", " / ".join(repr(h) for h in missing))


def generator_mode(ctx: RunContext) -> str:
    """The mode this run's Generator writes in, `auto` resolved against the run's LLM backend."""
    return resolve_mode(generator_config(ctx.config), ctx.llm.backend)


def _candidate(job: JobRow, i: int, ctx: RunContext, text: str, turns: list[dict[str, str]],
               error: str | None, notes: list[str], prompt_tokens: int, completion_tokens: int) -> CandidateRow:
    return Candidate(
        candidate_id=stable_id(job["job_id"], str(i)), job_id=job["job_id"],
        pair_id=job["pair_id"], iteration=job["iteration"], candidate_index=i,
        user1_id=job.get("user1_id"), user2_id=job.get("user2_id"),
        user1_persona=list(job["user1_persona"]), user2_persona=list(job["user2_persona"]),
        similarity=job.get("similarity"), fewshot_ids=list(job["fewshot_ids"]),
        generator=f"{ctx.llm.backend}:{ctx.llm.model}", raw_text=text, turns=[TurnRow(**t) for t in turns],
        parse_error=error, parse_notes=list(notes), prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens).to_row()


def critic_batch(rows: list[CandidateRow], ctx: RunContext, critic: CriticConfig, every_expert: bool = False
                 ) -> list[CandidateRow]:
    """Every filter expert in config order; a dropped candidate is not shown to later experts.

    `every_expert` shows every candidate to every filter (what `spc critic judge` needs to report
    each expert's own pass rate); `passed` is then the conjunction of all verdicts.
    """
    filters, _ = resolve(critic.experts)
    out: list[CandidateRow] = [{**r, "verdicts": [], "passed": True} for r in rows]
    for r in out:
        if r.get("parse_error"):
            r["verdicts"].append(Verdict("parser", passed=False, reason=r["parse_error"]).to_row())
            r["passed"] = False
    for expert in filters:
        shown = [r for r in out if every_expert or r["passed"]]
        if not shown:
            break
        for r, verdict in zip(shown, expert.fn(shown, ctx, critic)):
            r["verdicts"].append(verdict.to_row())
            r["passed"] = r["passed"] and bool(verdict.passed)
    return out


def select_batch(rows: list[CandidateRow], ctx: RunContext, critic: CriticConfig) -> list[CandidateRow]:
    """Per job, the selector experts vote among the survivors; the majority winner is `selected`.

    With no selector configured the winner is a seeded draw among the survivors. Every candidate of a
    job gets the job's selector verdicts, `votes` (how many experts chose it) and `selected`.
    """
    _, selectors = resolve(critic.experts)
    out: list[CandidateRow] = [{**r, "verdicts": list(r["verdicts"]), "votes": 0, "selected": False} for r in rows]
    groups: dict[str, list[CandidateRow]] = defaultdict(list)
    for r in out:
        groups[r["job_id"]].append(r)
    survivors = {j: sorted((r for r in g if r["passed"]), key=lambda r: r["candidate_index"])
                 for j, g in groups.items()}
    contested = [j for j in groups if survivors[j]]
    verdicts: dict[str, list] = {j: [] for j in contested}
    for expert in selectors:
        for j, vs in zip(contested, expert.fn([survivors[j] for j in contested], ctx, critic)):
            verdicts[j].extend(vs)
    seed = getattr(getattr(ctx, "config", None), "seed", 0)
    for j in contested:
        indices = [r["candidate_index"] for r in survivors[j]]
        winner, votes, reason = majority(verdicts[j], indices, key=f"{seed}:{j}")
        summary = Verdict("vote", choice=winner, reason=reason).to_row()
        for r in groups[j]:
            r["verdicts"].extend(v.to_row() for v in verdicts[j])
            r["verdicts"].append(summary)
            r["votes"] = votes.get(r["candidate_index"], 0)
            r["selected"] = r["candidate_index"] == winner
    return out


def to_conversation(row: CandidateRow, run_name: str) -> Conversation:
    """A selected candidate as the dataset record, with its provenance in `meta`."""
    return Conversation(
        user1_persona=list(row["user1_persona"]), user2_persona=list(row["user2_persona"]),
        turns=[dict(t) for t in row["turns"]], source=f"run:{run_name}", iteration=int(row["iteration"]),
        meta={"pair_id": row["pair_id"], "pair_similarity": row.get("similarity"), "generator": row["generator"],
              "verdicts": [dict(v) for v in row["verdicts"]], "candidate_index": int(row["candidate_index"]),
              "candidate_id": row["candidate_id"], "user1_id": row.get("user1_id"),
              "user2_id": row.get("user2_id"), "fewshot_ids": list(row["fewshot_ids"]),
              "parse_notes": list(row.get("parse_notes") or []), "votes": int(row["votes"])})


def _split_tokens(total: int, texts: list[str]) -> list[int]:
    """A completion's tokens cover all n samples: share them by text length (exact per pair)."""
    lengths = [len(t) for t in texts]
    whole = sum(lengths)
    if not whole:
        return [total // max(len(texts), 1)] * len(texts)
    shares = [total * n // whole for n in lengths]
    shares[0] += total - sum(shares)
    return shares
