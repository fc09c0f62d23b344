"""`spc critic calibrate`: measure a contradiction checker on hand-labelled pairs and pick its threshold.

A checker's raw score means nothing until it is measured: the faithfulness expert drops candidates
whose score passes a threshold, and a guessed 0.5 on an uncalibrated score is noise. The labelled file
is split, with a fixed seed and per label, into a *calibration* part (the threshold is chosen there,
maximising contradiction F1) and a *held-aside* part (the figures reported are measured there, at
that threshold), so the published numbers are never the ones the threshold was tuned on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from ...jsontypes import JsonObject
from ...label_split import NLI_LABELS, split_labels  # split_labels: re-exported for the tests and benchmarks
from ...models.calibration_record import Calibration
from ...rowtypes import ArrowRow
from .faithfulness import candidate_pairs, worst_scores

LABELS = NLI_LABELS
POSITIVE = "contradiction"
STRICT_PRECISION = 0.8  # the pair-level high-precision point (see strict_threshold)
CONVERSATION_MAX_FPR = 0.04  # the Critic's point: at most this share of clean conversations rejected (see below)


@dataclass(frozen=True)
class LabelledPair:
    persona: str
    utterance: str
    label: str
    id: str = ""


def load_labels(path: str | Path) -> list[LabelledPair]:
    """Read `{"persona", "utterance", "label"}` lines; a malformed line is an error naming its number."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"labels file not found: {path}")
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from exc
        missing = [k for k in ("persona", "utterance", "label") if not isinstance(row.get(k), str)]
        if missing:
            raise ValueError(f"{path}:{n}: missing or non-text field(s) {', '.join(missing)}")
        if row["label"] not in LABELS:
            raise ValueError(f"{path}:{n}: label {row['label']!r} is not one of {', '.join(LABELS)}")
        items.append(LabelledPair(row["persona"], row["utterance"], row["label"], str(row.get("id", n))))
    if not items:
        raise ValueError(f"{path}: no labelled pairs")
    return items


def auroc(positive: np.ndarray, scores: np.ndarray) -> float:
    """Probability that a random positive outscores a random negative (ties count half); NaN if one class."""
    positive = np.asarray(positive, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):  # average ranks over ties
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def prf(positive: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """Precision, recall, F1 of "contradiction" when a score above `threshold` predicts it."""
    positive = np.asarray(positive, dtype=bool)
    predicted = np.asarray(scores, dtype=np.float64) > threshold
    tp = int((predicted & positive).sum())
    fp = int((predicted & ~positive).sum())
    fn = int((~predicted & positive).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn,
            "tn": int((~predicted & ~positive).sum())}


def best_threshold(positive: np.ndarray, scores: np.ndarray) -> float:
    """The cut maximising F1, placed midway between neighbouring scores (robust to small score shifts).

    Among equal F1s the middle candidate wins, so a plateau does not push the cut to an edge item.
    """
    values = np.unique(np.asarray(scores, dtype=np.float64))
    cuts = np.concatenate([[values[0] - 1e-6], (values[:-1] + values[1:]) / 2]) if len(values) else [0.5]
    f1s = np.array([prf(positive, scores, float(c))["f1"] for c in cuts])
    best = np.flatnonzero(np.isclose(f1s, f1s.max()))
    return float(cuts[best[len(best) // 2]])


def strict_threshold(positive: np.ndarray, scores: np.ndarray, min_precision: float = STRICT_PRECISION) -> float:
    """The lowest cut whose precision reaches `min_precision` (the most recall at that precision).

    The Critic's operating point: it rejects a conversation on its worst of ~70 utterance x attribute
    pairs, so a per-pair false alarm rate that F1 tolerates rejects most faithful conversations. With no
    cut reaching the precision, the cut sits above every score (nothing is flagged).
    """
    values = np.unique(np.asarray(scores, dtype=np.float64))
    if not len(values):
        return 0.5
    cuts = np.concatenate([[values[0] - 1e-6], (values[:-1] + values[1:]) / 2])
    for cut in cuts:
        m = prf(positive, scores, float(cut))
        if m["tp"] and m["precision"] >= min_precision:
            return float(cut)
    return float(values[-1] + 1e-6)


def clean_conversation_threshold(worst: np.ndarray, max_fpr: float = CONVERSATION_MAX_FPR) -> float:
    """The lowest cut that rejects at most `max_fpr` of clean conversations, given each one's worst pair score.

    Why a conversation-level point (#28): the Critic rejects a conversation on its worst of ~100 pairs, so
    the pair-level strict point (precision >= 0.8 on labelled pairs) still rejected 7.3% of the packaged SPC
    test sample, nearly all checker errors. Calibrated on clean conversations the cut says what it costs.
    Placed midway between the last rejected and the first kept score (robust to small score shifts). The
    toxicity expert's point is the same cut over each conversation's worst line (`toxicity.fpr_threshold`).
    """
    values = np.sort(np.asarray(worst, dtype=np.float64))[::-1]
    if not len(values):
        return 0.5
    k = int(np.floor(max_fpr * len(values) + 1e-9))  # conversations we may reject
    if k >= len(values):
        return float(values[-1] - 1e-6)
    return float((values[k] + values[k - 1]) / 2) if k else float(values[0] + 1e-6)


class ConversationPoint(TypedDict):
    """The faithfulness expert's threshold at a rate of clean conversations rejected, and what it rejects."""

    threshold: float
    max_fpr: float
    conversations: str  # where the clean conversations came from
    n: int
    rejected: int


def conversation_point(checker: Any, rows: list[ArrowRow], max_fpr: float = CONVERSATION_MAX_FPR,
                       source: str = "") -> ConversationPoint:
    """The faithfulness expert's threshold from clean conversations (candidate rows), with what it rejects."""
    worst = worst_scores(checker, [candidate_pairs(r, 0)[0] for r in rows])
    cut = clean_conversation_threshold(worst, max_fpr)
    return ConversationPoint(threshold=round(cut, 6), max_fpr=max_fpr, conversations=source, n=len(rows),
                             rejected=int((worst > cut).sum()))


def measure(positive: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """AUROC and P/R/F1 at `threshold`, with the counts behind them."""
    positive = np.asarray(positive, dtype=bool)
    m = prf(positive, scores, threshold)
    return {"n": int(len(positive)), "n_contradiction": int(positive.sum()),
            "auroc": round(auroc(positive, scores), 4),
            **{k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}}


def calibrate_scores(items: list[LabelledPair], scores: np.ndarray, seed: int = 0,
                     fraction: float = 0.5) -> JsonObject:
    """The calibration record (`Calibration` reads it): threshold from the calibration part, figures on the
    held-aside part (or on all when nothing is held)."""
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) != len(items):
        raise ValueError(f"{len(scores)} scores for {len(items)} labelled pairs")
    calibration, held = split_labels(items, seed, fraction)
    index = {id(it): i for i, it in enumerate(items)}
    cal_idx = [index[id(it)] for it in calibration]
    held_idx = [index[id(it)] for it in held] or cal_idx
    positive = np.array([it.label == POSITIVE for it in items])
    threshold = best_threshold(positive[cal_idx], scores[cal_idx])
    report = measure(positive[held_idx], scores[held_idx], threshold)
    strict = strict_threshold(positive[cal_idx], scores[cal_idx])
    return {"threshold": round(threshold, 6), **report,
            "evaluated_on": "held-aside" if held else "calibration (nothing held aside)",
            "split": {"seed": seed, "calibration_fraction": fraction, "calibration_n": len(cal_idx),
                      "held_aside_n": len(held)},
            "calibration_part": measure(positive[cal_idx], scores[cal_idx], threshold),
            "strict": {"threshold": round(strict, 6), "min_precision": STRICT_PRECISION,
                       **measure(positive[held_idx], scores[held_idx], strict)},
            "by_label_mean_score": {lab: round(float(scores[[i for i, it in enumerate(items)
                                                             if it.label == lab]].mean()), 4)
                                    for lab in LABELS if any(it.label == lab for it in items)}}


def calibrate_checker(checker: Any, items: list[LabelledPair], seed: int = 0,
                      fraction: float = 0.5) -> JsonObject:
    """Score every pair in one batch (persona = premise, utterance = hypothesis) and calibrate."""
    scores = checker.scores([it.persona for it in items], [it.utterance for it in items])
    result = calibrate_scores(items, scores, seed, fraction)
    info = checker.describe()
    info.pop("calibration", None)  # the old calibration is not part of what was measured
    return {"checker": info, **result}


def format_result(result: Calibration | dict) -> str:
    """One readable line per figure, with a warning when the checker is close to chance. `result` may be
    the record as `calibrate_checker` returns it (the `--out` JSON object)."""
    r = Calibration.from_json(result)
    c = r.checker or {}
    name = c.get("kind", "?") + (f":{c['model']}" if c.get("model") else "")
    lines = [f"checker {name}: threshold {r.threshold:.4f} (chosen on {r.split['calibration_n']} "
             f"calibration pairs), measured on {r.n} {r.evaluated_on} pairs",
             f"  AUROC {r.auroc:.3f}  F1 {r.f1:.3f}  precision {r.precision:.3f}  "
             f"recall {r.recall:.3f}  ({r.n_contradiction} contradictions)"]
    if not r.auroc >= 0.7:
        lines.append("  WARNING: AUROC below 0.7: this checker's contradiction verdicts are close to noise")
    return "\n".join(lines)
