"""Toxicity expert: a candidate with any utterance the toxicity scorer rates above the threshold is dropped,
and its measurement (`spc critic calibrate --expert toxicity`).

The expert rejects a conversation on its *worst* utterance, so the figure that matters is the share of
clean conversations rejected, not of utterances: at ~27 utterances a conversation, a 1% per-utterance
false alarm rate rejects a quarter of them. The calibration therefore chooses the threshold on clean SPC
conversations (a seeded calibration half: the lowest cut that rejects at most `max_fpr` of them) and
reports, on the held-aside half, the conversations rejected and the offensive lines caught when one is
inserted into a clean conversation. The offensive lines are the package's labelled ones that the scorer's
head never saw in training (`data/toxicity_labels.txt`); lines it saw are reported apart, as such.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import numpy as np

from ...models.toxicity import calibrated_threshold
from ...jsontypes import JsonObject
from ...label_split import split_labels
from .base import Verdict
from .calibrate import auroc, clean_conversation_threshold
from .calibrate_llm import wilson_rate
from ...rowtypes import ArrowRow

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.generation.config import CriticConfig
    from synthetic_persona_chat.models.toxicity_head import LabelledUtterance
    from synthetic_persona_chat.records import Conversation

NAME, KIND = "toxicity", "filter"
MAX_FPR = 0.01  # calibration: at most this share of clean calibration conversations rejected


def judge(rows: list[ArrowRow], ctx: RunContext, cfg: CriticConfig) -> list[Verdict]:
    texts = [t["text"] for row in rows for t in row["turns"]]
    scores = ctx.toxicity.scores(texts) if texts else []
    cut = threshold(ctx.toxicity, cfg.toxicity_threshold) if texts else 0.0
    out, pos = [], 0
    for row in rows:
        n = len(row["turns"])
        mine = [float(s) for s in scores[pos:pos + n]]
        pos += n
        worst = max(range(n), key=lambda i: mine[i]) if n else None
        if worst is None:
            out.append(Verdict(NAME, passed=True, reason="no utterances"))
        elif mine[worst] > cut:
            out.append(Verdict(NAME, passed=False, reason=f"toxic utterance (score {mine[worst]:.2f} > "
                               f"{cut:.2f}): {row['turns'][worst]['text'][:120]!r}", score=mine[worst]))
        else:
            out.append(Verdict(NAME, passed=True, reason=f"max toxicity {mine[worst]:.2f}", score=mine[worst]))
    return out


def threshold(scorer: Any, configured: float | None) -> float:
    """`critic.toxicity_threshold` when set, else the scorer's calibrated cut (0.5 for an unmeasured one)."""
    return float(configured) if configured is not None else calibrated_threshold(scorer)[0]


def fpr_threshold(clean_maxima: np.ndarray, max_fpr: float) -> float:
    """The lowest cut that rejects at most `max_fpr` of the clean conversations (scored by their worst line),
    midway between neighbouring maxima so a small score shift does not move a conversation across it."""
    if not len(clean_maxima):
        raise ValueError("no clean conversations to calibrate the toxicity threshold on")
    return clean_conversation_threshold(clean_maxima, max_fpr)


def _rate(hits: int, n: int) -> JsonObject:
    return wilson_rate(hits, n).to_json()


def _inserted_recall(lines: list[LabelledUtterance], line_scores: dict[str, float], host_maxima: np.ndarray,
                     cut: float, seed: int) -> JsonObject:
    """Each offensive line put into a seeded clean host conversation: caught when the host is rejected."""
    rng = random.Random(f"toxicity-insert:{seed}")
    caught = [max(line_scores[it.text], float(host_maxima[rng.randrange(len(host_maxima))])) > cut for it in lines]
    by_kind = {k: _rate(sum(c for c, it in zip(caught, lines) if it.kind == k), sum(it.kind == k for it in lines))
               for k in sorted({it.kind for it in lines})}
    return {**_rate(sum(caught), len(lines)), "by_kind": by_kind,
            "missed": [it.text for c, it in zip(caught, lines) if not c]}


def calibrate_toxicity(scorer: Any, conversations: list[Conversation], labelled: list[LabelledUtterance],
                       seed: int = 0, fraction: float = 0.5, max_fpr: float = MAX_FPR) -> JsonObject:
    """Threshold on the calibration half of the clean conversations; every figure on the held-aside half."""
    texts = sorted({t.text for c in conversations for t in c.turns} | {it.text for it in labelled})
    score_of = dict(zip(texts, (float(s) for s in scorer.scores(texts))))
    maxima = np.array([max((score_of[t.text] for t in c.turns), default=0.0) for c in conversations])
    items = [_Clean(i) for i in range(len(conversations))]
    cal, held = split_labels(items, seed, fraction, labels=("clean",))
    cal_idx, held_idx = [it.index for it in cal], [it.index for it in held] or [it.index for it in cal]
    cut = fpr_threshold(maxima[cal_idx], max_fpr)
    seen = set(getattr(scorer, "trained_on", {}).get("labelled_keys", ()))  # lines a trained scorer learnt from
    toxic = [it for it in labelled if it.label == "toxic"]
    unseen = [it for it in toxic if it.key not in seen]
    hard = [it for it in labelled if it.label == "clean" and it.key not in seen]
    held_max = maxima[held_idx]
    held_utts = [score_of[t.text] for i in held_idx for t in conversations[i].turns]
    result = {
        "threshold": round(cut, 6), "max_conversation_fpr": max_fpr,
        "evaluated_on": "held-aside" if held else "calibration (nothing held aside)",
        "split": {"seed": seed, "calibration_fraction": fraction, "calibration_n": len(cal_idx),
                  "held_aside_n": len(held)},
        "conversation_fpr": _rate(int((held_max > cut).sum()), len(held_idx)),
        "inserted_recall": _inserted_recall(unseen, score_of, held_max, cut, seed),
        "hard_negative_fpr": _rate(sum(score_of[it.text] > cut for it in hard), len(hard)),
        "auroc": round(auroc(np.array([True] * len(unseen) + [False] * len(held_utts)),
                             np.array([score_of[it.text] for it in unseen] + held_utts)), 4),
        "calibration_part": {"conversation_fpr": _rate(int((maxima[cal_idx] > cut).sum()), len(cal_idx))},
        "at_0.5": {"conversation_fpr": _rate(int((held_max > 0.5).sum()), len(held_idx)),
                   "inserted_recall": {k: v for k, v in _inserted_recall(unseen, score_of, held_max, 0.5, seed).items()
                                       if k not in ("by_kind", "missed")}},
    }
    if len(unseen) < len(toxic):
        result["seen_in_training_recall"] = _rate(sum(score_of[it.text] > cut for it in toxic if it.key in seen),
                                                  len(toxic) - len(unseen))
    return {"expert": NAME, "scorer": scorer.describe(), **result}


class _Clean:
    """A clean conversation's index, labelled for the calibration's stratified split."""

    label = "clean"

    def __init__(self, index: int) -> None:
        self.index = index


def format_calibration(result: JsonObject) -> str:
    """The same lines as the checker's: threshold and where it was chosen, then the held-aside figures (counts and
    per kind with intervals: a kind's recall can be far below the total's, as threats' is)."""
    s, fpr, rec = result["scorer"], result["conversation_fpr"], result["inserted_recall"]
    lines = [f"toxicity {s.get('kind', '?')}: threshold {result['threshold']:.4f} (at most "
             f"{result['max_conversation_fpr']:.1%} of {result['split']['calibration_n']} clean calibration "
             f"conversations rejected), measured on {fpr['n']} {result['evaluated_on']} conversations",
             f"  clean conversations rejected {fpr['rate']:.3f} {fpr['ci95']}  inserted offensive lines caught "
             f"{rec['rate']:.3f} {rec['ci95']} ({rec['n']} unseen lines)  utterance AUROC {result['auroc']:.3f}",
             f"  clean conversations rejected {fpr['hits']}/{fpr['n']}; lines caught by kind: " + ", ".join(
                 f"{k} {v['hits']}/{v['n']} {v['ci95']}" for k, v in rec["by_kind"].items()),
             f"  at the old 0.5: clean rejected {result['at_0.5']['conversation_fpr']['rate']:.3f}, lines caught "
             f"{result['at_0.5']['inserted_recall']['rate']:.3f}"]
    if rec["rate"] is not None and rec["rate"] < 0.95:
        lines.append("  WARNING: fewer than 95% of the offensive lines are caught at this threshold")
    return "\n".join(lines)
