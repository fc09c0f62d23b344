"""Re-judge existing conversations with the Critic's filter experts (`spc critic judge` and its Python API).

A dataset someone else made (the released SPC), one of our runs, or a corrupted copy made to test
the Critic: each conversation is shown to *every* configured filter expert (structural,
faithfulness, toxicity), not only until the first rejection as in generation, so each expert's
pass rate is its own. The output keeps input order:

    DIR/verdicts.jsonl   {"index": i, "id": ..., "passed": bool, "verdicts": [Verdict rows]} per conversation
    DIR/summary.json     pass rate overall and per expert, the contradiction checker and its calibration

DIR is also a run directory (config.yaml, models.json, cache/llm.sqlite), so judging again with
the same LLM judge costs nothing. Selector experts (quality) compare candidates of one pair and
have nothing to compare here; they are listed in the summary as not run.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from ...jsontypes import JsonObject
from ...config import Config
from ...context import RunContext
from ...eval.data import Unavailable, load_dataset
from ...models.calibration_record import Calibration
from ...models.contradiction import calibration_of
from ...readers import read_spc_csv
from ...records import Conversation, Skip
from ...rundir import RunDir, write_text_atomic
from ...sample_data import resolve_path
from ..config import CriticConfig, critic_config
from ..stages import critic_batch
from . import faithfulness
from .base import Verdict
from .summary import CheckerSummary, JudgeSummary
from . import resolve
from ...rowtypes import ArrowRow

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.context import RunContext

VERDICTS, SUMMARY = "verdicts.jsonl", "summary.json"


class JudgedConversation(TypedDict):
    """One line of `verdicts.jsonl`: the conversation's place in the input, its id, and every expert's verdict."""

    index: int
    id: str
    passed: bool
    verdicts: list[ArrowRow]  # Verdict rows, as the Critic's batch hands them on


def conversation_row(conv: Conversation, index: int) -> ArrowRow:
    """A conversation as the candidate row the experts read."""
    return {"job_id": conv.id, "pair_id": conv.id, "candidate_index": index, "parse_error": None,
            "user1_persona": list(conv.user1_persona), "user2_persona": list(conv.user2_persona),
            "turns": [{"speaker": t.speaker, "text": t.text} for t in conv.turns]}


def clean_rows(source: str) -> list[ArrowRow]:
    """Real conversations as candidate rows (an SPC CSV, or spc-sample:test|valid): the clean side of a
    calibration (critic/calibrate.py's conversation point, critic/calibrate_llm.py's judges)."""
    conversations, _ = read_spc_csv(resolve_path(source))
    return [conversation_row(c, i) for i, c in enumerate(conversations)]


def judge_conversations(convs: list[Conversation], ctx: RunContext, critic: CriticConfig,
                        batch_size: int = 256) -> list[JudgedConversation]:
    """One verdict record per conversation, in input order; each batch is one call per model."""
    records = []
    for start in range(0, len(convs), batch_size):
        chunk = convs[start:start + batch_size]
        rows = critic_batch([conversation_row(c, start + i) for i, c in enumerate(chunk)], ctx, critic,
                            every_expert=True)
        records += [JudgedConversation(index=start + i, id=c.id, passed=bool(r["passed"]), verdicts=r["verdicts"])
                    for i, (c, r) in enumerate(zip(chunk, rows))]
    return records


def summarize(records: list[JudgedConversation], ctx: RunContext, critic: CriticConfig, source: str | None = None,
              split: str | None = None) -> JudgeSummary:
    """Pass rates (overall and per expert) and what judged: experts, checker, threshold, calibration."""
    filters, selectors = resolve(critic.experts)
    evaluated, passed = Counter(), Counter()
    for rec in records:
        for v in map(Verdict.from_row, rec["verdicts"]):
            evaluated[v.expert] += 1
            passed[v.expert] += bool(v.passed)
    out = JudgeSummary(
        input=source, split=split, conversations=len(records), passed=sum(r["passed"] for r in records),
        pass_rate=round(sum(r["passed"] for r in records) / len(records), 4) if records else None,
        pass_rates={e: round(passed[e] / evaluated[e], 4) for e in evaluated},
        experts=[e.name for e in filters],
        not_run={e.name: "a selector compares candidates of one pair; judged conversations have none"
                 for e in selectors})
    if any(e.name == faithfulness.NAME for e in filters) and records:
        out.faithfulness = checker_summary(ctx.nli, critic)
    return out


def checker_summary(checker: Any, critic: CriticConfig) -> CheckerSummary:
    """The contradiction checker, the threshold used and where it came from (calibration or config)."""
    cut, source = faithfulness.threshold(checker, critic.contradiction_threshold)
    cal = calibration_of(checker)
    return CheckerSummary(checker=checker.describe(), threshold=cut, threshold_source=source,
                          calibration=Calibration.from_json(cal) if cal else None,
                          max_contradictions=critic.max_contradictions,
                          max_nli_pairs=critic.max_nli_pairs or "all")


def read_conversations(source: str, split: str = "test") -> tuple[list[Conversation], list[Skip]]:
    """Anything the readers take (`readers.sources.open_source`), with overlong utterances clipped as the eval does."""
    ds = load_dataset(source, split, name=source, min_conversations=1)
    if isinstance(ds, Unavailable):
        ds.fail("cannot judge")
    return ds.conversations, ds.skips


def judge_source(source: str, out_dir: str | Path, config: Config, split: str = "test",
                 limit: int | None = None) -> JsonObject:
    """`judge` with its summary as the summary.json object."""
    return judge(source, out_dir, config, split, limit).to_json()


def judge(source: str, out_dir: str | Path, config: Config, split: str = "test",
          limit: int | None = None) -> JudgeSummary:
    """`spc critic judge` as a function: read, judge, write verdicts.jsonl and summary.json; the summary."""
    critic = critic_config(config)
    resolve(critic.experts)  # an unknown expert fails before anything is read or loaded
    convs, skips = read_conversations(source, split)
    convs = convs[:limit] if limit else convs
    run = RunDir(out_dir).init(config, allow_config_change=True)
    ctx = RunContext(config, run)
    try:
        records = judge_conversations(convs, ctx, critic)
        summary = summarize(records, ctx, critic, source, split)
        summary.skipped_records = len(skips)
    finally:
        ctx.close()
    write_text_atomic(run.path / VERDICTS, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    write_text_atomic(run.path / SUMMARY, json.dumps(summary.to_json(), indent=2, ensure_ascii=False, default=str)
                      + "\n")
    return summary
