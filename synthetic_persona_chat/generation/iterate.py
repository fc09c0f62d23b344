"""The conversation stage: I iterations of Generator -> Critic, winners feeding the next few-shot pool.

    conversations/iter-N/...        per-iteration plan and batch checkpoints (see engine.py)
    conversations/candidates.parquet    every candidate of every iteration, with every verdict
    conversations/conversations.parquet the winners as `Conversation.to_dict()` rows
    conversations/_done.json        the summary, a `ConversationsSummary` (run_summary.py): pairs, candidates,
                                    winners, pass rates, tokens, time

Resumable at any moment: finished batches are skipped, the interrupted one re-uses the cached LLM
answers. The engine is a parameter: the local loop (engine.py) or Ray Data (ray_engine.py), same stage code.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import pyarrow as pa

from ..checkpoint import resumable_stage
from ..models.contradiction import needs_llm
from ..models.llm import LLMError
from ..iterations import first_iteration
from ..jsontypes import JsonObject
from ..records import Skip
from ..row_contracts import TurnRow
from ..rundir import write_parquet_atomic
from .config import critic_config, generation_config
from .critic import resolve
from .critic import quality as quality_expert
from .engine import STAGES, chunks, run_local, write_candidates
from .fewshot import clean_seeds, load_seed_conversations, pool_entries
from .modes import generator_config
from .plan import load_pairs, make_jobs, schedule, usable_pairs
from .seed_pairs import seed_profile_pairs
from .retry import Budget, outcome_summary, redraw_job, run_with_retries
from .run_summary import Consistency, ConversationsSummary, SeedPool
from .stage_rows import BatchMeta, CandidateRow, JobRow, OutcomeRow, PairRow
from .stages import (critic_batch, generate_batch, generator_mode, generator_prompt, select_batch,
                     to_conversation)

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.generation.config import CriticConfig, GenerationConfig

log = logging.getLogger(__name__)
STAGE = "conversations"


def stage_steps(ctx: RunContext, gen: GenerationConfig, critic: CriticConfig) -> list[tuple[str, Callable]]:
    """The three batch maps bound to their settings, in order: what any engine runs per batch.

    When the engine overlaps batches, the critic runs one batch at a time unless its contradiction
    checker is the LLM judge: local models (MiniLM, tokenizers, classifiers) are CPU-bound, so running
    two at once gains nothing on the cores, and a fast tokenizer shared by two threads may refuse
    ("Already borrowed"). Generation and selection are LLM calls and overlap freely.
    """
    critic_step = partial(_call, critic_batch, ctx=ctx, cfg=critic)
    if not needs_llm(ctx.config.models.nli):
        critic_step = partial(_exclusive, critic_step, threading.Lock())
    return [("generate", partial(_call, generate_batch, ctx=ctx, cfg=gen)),
            ("critic", critic_step),
            ("select", partial(_call, select_batch, ctx=ctx, cfg=critic))]


def pairs_path(ctx: RunContext, gen: GenerationConfig) -> Path:
    return Path(gen.pairs_file).expanduser() if gen.pairs_file else ctx.run.path / "pairs" / "pairs.parquet"


@resumable_stage(STAGE)
def run_conversations(ctx: RunContext, engine: Callable = run_local) -> JsonObject:
    """The whole stage; a no-op returning the stored summary when it is done."""
    run = ctx.run
    gen, critic = generation_config(ctx.config), critic_config(ctx.config)
    _, selectors = resolve(critic.experts)  # unknown experts fail here, before any model loads
    if any(s.name == "quality" for s in selectors):
        quality_expert.questions(critic)
    started, usage_start = time.perf_counter(), dict(ctx.usage())
    pairs = seed_profile_pairs(gen) + load_pairs(pairs_path(ctx, gen))  # SPC's two parts (seed_pairs.py)
    pairs, skips = usable_pairs(pairs[:gen.max_pairs] if gen.max_pairs else pairs, str(pairs_path(ctx, gen)))
    stage_dir = run.stage_dir(STAGE)
    run.set_skips(STAGE, skips)  # the same pairs give the same skips: publishing again on a resume is a no-op
    profiles = generator_config(ctx.config).fewshot_profiles
    seed_convs, seed_pool = clean_seeds(load_seed_conversations(gen.seed_conversations, gen.max_seed_conversations),
                                        critic, gen.fewshot_max_turns)
    seeds = pool_entries(seed_convs, gen.fewshot_max_turns, profiles)
    shares = schedule(pairs, gen.iterations, gen.pair_schedule, ctx.config.seed)
    steps = stage_steps(ctx, gen, critic)
    _load_critic_models(ctx, critic)
    metas, winners_pool, outcomes, winners, rounds = [], [], [], [], []
    budget = Budget(gen.retries, gen.target_winners, gen.fewshot)
    first = first_iteration(stage_dir)  # 1, as the paper counts; 0 in a run begun before (iterations.py)
    for it, share in enumerate(shares, start=first):
        jobs = make_jobs(share, it, winners_pool, seeds, gen.fewshot, ctx.config.seed)
        if it == first and jobs:
            _record_prompts(ctx, gen, jobs[0])
        run_round = partial(_run_round, engine, stage_dir / f"iter-{it}", steps, ctx, gen.batch_size,
                            f"conversations iter {it - first + 1}/{gen.iterations}", rounds)
        got, got_meta, ended = run_with_retries(
            run_round, jobs, budget, partial(redraw_job, pool=list(winners_pool), seeds=seeds, k=gen.fewshot,
                                             seed=ctx.config.seed),
            winners_before=sum(t.num_rows for t in winners))
        won = [to_conversation(r, run.path.name) for r in got if r["selected"]]
        del got  # no candidate is held past its iteration: _finish reads them back from disk (#23)
        metas.extend(got_meta)
        outcomes.extend(ended)
        if won:  # held as Arrow until the stage writes them: ~4x less than Python rows (paper scale, #23)
            winners.append(pa.Table.from_pylist([c.to_dict() for c in won], schema=conversation_schema()))
        winners_pool += pool_entries(won, gen.fewshot_max_turns, profiles)
    return _finish(ctx, metas, pairs, skips, time.perf_counter() - started, usage_start, outcomes,
                   generator_mode(ctx), SeedPool.from_json(seed_pool), winners, rounds)


def _run_round(engine: Callable, directory: Path, steps: list, ctx: RunContext, batch_size: int, desc: str,
               rounds: list[tuple[Path, int]], jobs: list[JobRow],
               suffix: str) -> tuple[list[CandidateRow], list[BatchMeta]]:
    """One engine run over `jobs` in its own plan directory (`iter-N` + suffix, e.g. `-retry-1`); `rounds` gets
    (that directory, its batches), in run order: where `_finish` reads the candidates back from."""
    folder = directory.with_name(directory.name + suffix)
    try:
        got, metas = engine(jobs, folder, batch_size, steps, ctx, desc=desc + suffix)
    except LLMError as exc:
        raise LLMError(f"{exc}\nfinished batches are saved under {directory.parent}: "
                       f"rerun the same command to resume") from exc
    rounds.append((folder, len(chunks(jobs, batch_size))))
    return got, metas  # losers come back slim from the engine (engine.read_batches); a winner's texts are kept


def _call(fn: Callable, rows: list[JobRow] | list[CandidateRow], ctx: RunContext, cfg: Any) -> list[CandidateRow]:
    return fn(rows, ctx, cfg)


def _exclusive(fn: Callable, lock: threading.Lock, rows: list[CandidateRow]) -> list[CandidateRow]:
    with lock:
        return fn(rows)


def _load_critic_models(ctx: RunContext, critic: CriticConfig) -> None:
    """Load the critic's models before batches overlap, so that no two threads load one model twice."""
    filters, _ = resolve(critic.experts)
    names = {f.name for f in filters}
    if "faithfulness" in names:
        ctx.nli  # noqa: B018 - cached_property: loads it
    if "toxicity" in names:
        ctx.toxicity  # noqa: B018
    if "expression" in names:
        ctx.embedder  # noqa: B018


def _record_prompts(ctx: RunContext, gen: GenerationConfig, job: JobRow) -> None:
    """The first rendered prompt goes to RUN/prompts/ so a reader sees exactly what the model saw."""
    chat = generator_prompt(job, ctx, gen)
    ctx.run.record_prompt("generator.txt", "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in chat))


def _finish(ctx: RunContext, metas: list[BatchMeta], pairs: list[PairRow],
            skips: list[Skip], seconds: float, usage_start: dict[str, int],
            outcomes: list[OutcomeRow], mode: str, seed_pool: SeedPool, winners: list[pa.Table],
            rounds: list[tuple[Path, int]]) -> JsonObject:
    """Write the stage's tables and summary. candidates.parquet is streamed from the batch units of `rounds`, and
    the summary from that file (`stored_rows`), so no candidate row is held for the whole run; `winners` are the
    winning conversations, one Arrow table per iteration."""
    run = ctx.run
    path = run.stage_dir(STAGE) / "candidates.parquet"
    write_candidates(rounds, path)
    if outcomes:  # why each pair ended (retry.py): a pair without a winner is a recorded outcome, not a silent drop
        run.write_records(STAGE, "pair_outcomes", outcomes)
    write_parquet_atomic(run.stage_dir(STAGE) / "conversations.parquet",
                         pa.concat_tables(winners) if winners else conversation_schema().empty_table())
    summary = summarize(stored_rows(path), metas, ctx, usage_start)
    summary.pair_outcomes = outcome_summary(outcomes)
    summary.generator_mode, summary.seed_pool = mode, seed_pool  # the seeds the few-shot pool kept, dropped (why)
    summary.pairs_available = len(pairs)
    summary.skipped_pairs, summary.wall_seconds_this_run = len(skips), round(seconds, 2)
    client = getattr(getattr(ctx.llm, "inner", None), "stats", None) if "llm" in vars(ctx) else None
    if client is not None:  # an HTTP backend: its cap, how far 429s pushed it down, its own CPU time
        summary.llm_client_this_run = client()
    run.mark_done(STAGE, summary.to_json())
    return run.stage_summary(STAGE)


def summarize(rows: Iterable[CandidateRow], metas: list[BatchMeta], ctx: RunContext,
              usage_start: dict[str, int] | None = None) -> ConversationsSummary:
    """Totals over every batch (also those finished before a resume); `*_this_run`: this process only.
    One pass over `rows`, any iterable (`stored_rows` streams them from disk): nothing per candidate is kept."""
    evaluated, passed, unparsable, by_iter = Counter(), Counter(), Counter(), Counter()
    candidates = parsed = placeholders = 0
    pair_ids: set[str] = set()
    compared: dict[str, list[dict[str, Any]]] = {}  # per job, its last row's comparisons (copied onto every row)
    for r in rows:
        candidates, parsed = candidates + 1, parsed + (not r["parse_error"])
        pair_ids.add(r["pair_id"])
        by_iter[r["iteration"]] += bool(r["selected"])
        compared[r["job_id"]] = [v for v in r["verdicts"] if v.get("compared") is not None]
        for v in r["verdicts"]:
            if v["passed"] is not None and v["expert"] != "parser":
                evaluated[v["expert"]] += 1
                passed[v["expert"]] += bool(v["passed"])
            elif v["expert"].startswith("quality:") and v["choice"] is None and r["candidate_index"] == 0 \
                    and v.get("compared") is None:
                unparsable[v["expert"]] += 1
            placeholders += v["expert"] == "structural" and "placeholder" in (v["reason"] or "")
    evaluated["parser"], passed["parser"] = candidates, parsed  # the parser records only its rejections
    tokens = Counter()
    per_stage_tokens: dict[str, Counter] = {s: Counter() for s in STAGES}
    seconds, cpu = Counter(), Counter()
    for m in metas:
        cpu.update(m.get("cpu_seconds") or {})
        for stage, u in (m.get("usage") or {}).items():
            tokens.update(u)
            per_stage_tokens.setdefault(stage, Counter()).update(u)
        seconds.update(m.get("seconds") or {})
    usage_now, usage_start = ctx.usage(), usage_start or {}
    consistency = quality_expert.position_consistency(v for vs in compared.values() for v in vs)
    summary = ConversationsSummary(
        candidates=candidates, parsed=parsed, winners=sum(by_iter.values()),
        winners_per_iteration={str(k): v for k, v in sorted(by_iter.items()) if v},
        pass_rates={e: round(passed[e] / evaluated[e], 4) for e in evaluated},
        evaluated=dict(evaluated), unparsable_quality_answers=dict(unparsable),
        position_consistency={e: Consistency.from_json(c) for e, c in consistency.items()},
        placeholder_rejections=placeholders,
        tokens={k: int(tokens.get(k, 0)) for k in ("prompt_tokens", "completion_tokens", "calls", "cache_hits")},
        tokens_per_stage={s: dict(c) for s, c in per_stage_tokens.items()},
        seconds_per_stage={s: round(seconds.get(s, 0.0), 2) for s in STAGES},
        cpu_seconds_per_stage={s: round(cpu.get(s, 0.0), 2) for s in STAGES},
        llm_calls_this_run=int(usage_now["calls"] - usage_start.get("calls", 0)),
        cache_hits_this_run=int(usage_now["cache_hits"] - usage_start.get("cache_hits", 0)))
    summary.pairs = len(pair_ids)
    return summary


# The columns `summarize` reads: a candidate without its texts, read back a row group (one batch) at a time.
SUMMARY_COLUMNS = ["pair_id", "job_id", "iteration", "candidate_index", "selected", "parse_error", "verdicts"]


def stored_rows(path: Path) -> Iterator[CandidateRow]:
    """The stage's candidates as `summarize` reads them, streamed from candidates.parquet (held for the whole run,
    their verdicts alone grew the driver by ~7 KB a candidate: 150 MB between 1k and 5k pairs)."""
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches(batch_size=512, columns=SUMMARY_COLUMNS):
        yield from batch.to_pylist()


def conversation_schema() -> pa.Schema:
    """The columns of `Conversation.to_dict()` rows, given rather than inferred: every iteration's winners then
    share one schema (and a run without winners still has its columns)."""
    return pa.schema([("user1_persona", pa.list_(pa.string())), ("user2_persona", pa.list_(pa.string())),
                      ("turns", pa.list_(TurnRow.arrow_type())),
                      ("source", pa.string()), ("split", pa.string()), ("iteration", pa.int64()),
                      ("meta", pa.string()), ("id", pa.string())])
