"""`spc critic calibrate --expert llm-faithfulness|llm-toxicity`: measure a conversation-level LLM judge.

A judge's yes/no means nothing until measured on conversations whose answer is known. Negatives are clean
real conversations (SPC); positives are the same conversations with one line replaced: a denial of one of
the speaker's own attributes (`nli_features.negate`) for faithfulness, an offensive line from the package's
labelled toxicity lines for toxicity. Each labelled conversation is one judge call, as in a run. The judge
has no threshold to tune (a yes drops the candidate), so the record is its precision, recall and false-positive
rate with Wilson 95% intervals, and how many answers were neither yes nor no (kept, as in a run).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...eval.stats import wilson
from ...jsonrow import JsonRow, optional
from ...jsontypes import JsonValue
from ...models.nli_features import negate
from ..config import CriticConfig
from .llm_judges import EXPERTS
from ...rowtypes import ArrowRow

if TYPE_CHECKING:  # annotations only
    from synthetic_persona_chat.context import RunContext

JUDGES = {e.name: e for e in EXPERTS}


@dataclass
class Rate(JsonRow):
    """hits of n with its Wilson 95% interval; `rate` and `ci95` are None when n is 0 (nothing to measure)."""

    rate: float | None
    hits: int
    n: int
    ci95: list[float] | None


@dataclass
class JudgeData(JsonRow):
    """Which clean conversations were labelled (the command fills it in: it knows the source)."""

    conversations: str
    n_clean: int


@dataclass
class JudgeCalibration(JsonRow):
    """The record `--out` writes: one judge's figures on labelled conversations, and what they were."""

    expert: str
    llm: dict[str, JsonValue]  # the backend's own description (LLM.describe()): free-form, per backend
    calls: int
    n_positive: int
    n_negative: int
    precision: Rate
    recall: Rate
    fpr: Rate
    unparsable: int
    seed: int
    positives: str
    data: JudgeData | None = optional()


def with_denial(row: ArrowRow, rng: random.Random) -> ArrowRow:
    """`row` with one line of one speaker replaced by a denial of one of that speaker's attributes."""
    speaker = rng.choice([s for s in ("user 1", "user 2") if _persona(row, s)] or ["user 1"])
    return _replace_line(row, speaker, negate(rng.choice(_persona(row, speaker))), rng)


def with_line(row: ArrowRow, text: str, rng: random.Random) -> ArrowRow:
    """`row` with one line of a random speaker replaced by `text`."""
    return _replace_line(row, rng.choice(["user 1", "user 2"]), text, rng)


def _persona(row: ArrowRow, speaker: str) -> list[str]:
    return list(row.get("user1_persona" if speaker == "user 1" else "user2_persona") or [])


def _replace_line(row: ArrowRow, speaker: str, text: str, rng: random.Random) -> ArrowRow:
    lines = [i for i, t in enumerate(row["turns"]) if t["speaker"] == speaker] or [0]
    turns = [dict(t) for t in row["turns"]]
    turns[rng.choice(lines)]["text"] = text
    return {**row, "turns": turns}


def labelled_rows(expert: str, clean: list[ArrowRow], toxic_lines: list[str], seed: int
                  ) -> tuple[list[ArrowRow], list[bool]]:
    """Clean rows (negatives) and one corrupted copy of each (positives), seeded."""
    rng = random.Random(f"{expert}:{seed}")
    if expert == "llm-toxicity":
        if not toxic_lines:
            raise ValueError("llm-toxicity calibration needs offensive lines (the toxicity labels file)")
        positives = [with_line(r, rng.choice(toxic_lines), rng) for r in clean]
    else:
        positives = [with_denial(r, rng) for r in clean if r.get("user1_persona") or r.get("user2_persona")]
    return clean + positives, [False] * len(clean) + [True] * len(positives)


def wilson_rate(hits: int, n: int) -> Rate:
    """`hits` of `n` with its Wilson interval (the toxicity expert's calibration writes the same objects)."""
    low, high = wilson(hits, n)
    return Rate(rate=round(hits / n, 4) if n else None, hits=int(hits), n=int(n),
                ci95=[round(low, 4), round(high, 4)] if n else None)


def calibrate_judge(expert: str, ctx: RunContext, clean: list[ArrowRow], toxic_lines: list[str],
                    seed: int = 0) -> JudgeCalibration:
    """Run the judge once per labelled conversation; precision / recall / FPR with intervals."""
    if expert not in JUDGES:
        raise ValueError(f"unknown LLM expert {expert!r}; one of {', '.join(JUDGES)}")
    rows, positive = labelled_rows(expert, clean, toxic_lines, seed)
    verdicts = JUDGES[expert].fn(rows, ctx, CriticConfig())
    flagged = [not v.passed for v in verdicts]
    tp = sum(f and p for f, p in zip(flagged, positive))
    fp = sum(f and not p for f, p in zip(flagged, positive))
    unparsable = sum(v.reason.startswith("unparsable") for v in verdicts)
    return JudgeCalibration(
        expert=expert, llm=ctx.llm.describe(), calls=len(rows), n_positive=sum(positive),
        n_negative=len(positive) - sum(positive), precision=wilson_rate(tp, tp + fp), recall=wilson_rate(tp, sum(positive)),
        fpr=wilson_rate(fp, len(positive) - sum(positive)), unparsable=unparsable, seed=seed,
        positives="a denial of one own attribute" if expert == "llm-faithfulness" else "one offensive labelled line")


def format_judge(result: JudgeCalibration) -> str:
    """Readable figures; a warning when the judge could not follow the yes/no format."""
    def fig(name: str, r: Rate) -> str:
        return f"{name} {r.rate:.3f} [{r.ci95[0]:.3f}, {r.ci95[1]:.3f}]" if r.n else f"{name} n/a"
    lines = [f"{result.expert}: {result.calls} calls ({result.n_positive} positives: "
             f"{result.positives}; {result.n_negative} clean)",
             "  " + "  ".join(fig(k, getattr(result, k)) for k in ("precision", "recall", "fpr"))]
    if result.unparsable:
        lines.append(f"  WARNING: {result.unparsable} of {result.calls} answers were neither yes nor no "
                     "(kept, as in a run)")
    return "\n".join(lines)
