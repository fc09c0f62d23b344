"""Faithfulness expert: an utterance that contradicts its own speaker's persona drops the candidate.

Every (attribute, utterance) pair of the same speaker is a premise/hypothesis pair for the
contradiction checker (`ctx.nli`). All pairs of all candidates in a batch go to the checker in one
call, and by default every pair is checked: a cap would leave most of a long conversation unread
(8 turns × 5 attributes is already 40 pairs). `critic.max_nli_pairs` can still cap it for a slow
checker; the pairs sharing the most content words go first and the reason says how many were skipped.

The threshold comes from the checker's calibration unless `critic.contradiction_threshold` sets one
(a guessed 0.5 means nothing for a score that is not a probability). It is the calibration's
conversation-level point where the calibration has one (`conversation`: at most 4% of clean SPC
conversations, spc-sample:valid, rejected), else its high-precision point (`strict`: precision >= 0.8 on
the labelled calibration part), never its best-F1 point: a conversation is rejected on its worst of dozens
of pairs, so a per-pair false-alarm rate that F1 tolerates would reject most faithful conversations
(measured: the F1 cut kept 60% of clean SPC ones; the strict point still rejected 7.3% of the packaged test
sample, 9 of its 11 rejections checker errors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ...models.clauses import self_statements
from ...models.contradiction import calibration_of, default_threshold
from ...text import tokens
from .base import Verdict
from ...rowtypes import ArrowRow

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.generation.config import CriticConfig

NAME, KIND = "faithfulness", "filter"
_STOP = frozenset("i me my we our you your he she it they a an the and or but to of in on at for with is am are "
                  "was were be been do does did have has had not no so that this what how just really too very "
                  "like love".split())


def judge(rows: list[ArrowRow], ctx: RunContext, cfg: CriticConfig) -> list[Verdict]:
    plans = [candidate_pairs(row, cfg.max_nli_pairs) for row in rows]
    premises = [p for pairs, _ in plans for p, _h in pairs]
    hypotheses = [h for pairs, _ in plans for _p, h in pairs]
    scores = [float(s) for s in ctx.nli.scores(premises, hypotheses)] if premises else []
    cut, _source = threshold(ctx.nli, cfg.contradiction_threshold) if premises else (0.0, "")
    out, pos = [], 0
    for pairs, total in plans:
        mine = scores[pos:pos + len(pairs)]
        pos += len(pairs)
        out.append(_verdict(pairs, mine, total, cut, cfg.max_contradictions))
    return out


def threshold(checker: Any, configured: float | None) -> tuple[float, str]:
    """(threshold, where it came from): the configured value, else the checker's calibrated one."""
    if configured is not None:
        return float(configured), "configured"
    cal = calibration_of(checker) or {}
    clean = cal.get("conversation") or {}
    if "threshold" in clean:
        return float(clean["threshold"]), f"calibrated, at most {clean.get('max_fpr', 0):.0%} of clean " \
                                          f"conversations ({clean.get('conversations') or '?'}) rejected"
    strict = cal.get("strict") or {}
    if "threshold" in strict:
        return float(strict["threshold"]), f"calibrated, precision >= {strict.get('min_precision', 0.8)} point"
    return default_threshold(checker), "calibrated, best-F1 point" if "threshold" in cal else "uncalibrated default"


def candidate_pairs(row: ArrowRow, cap: int) -> tuple[list[tuple[str, str]], int]:
    """(attribute, statement) pairs of the same speaker, most word-overlapping first, capped; and the total.

    The statement is the utterance less its questions and remarks to the partner (`self_statements`): only
    what the speaker says of themselves can contradict their persona. An utterance with nothing of the
    kind ("Do you have any siblings?") has no pair; the total still counts it, so the reason says so.
    """
    personas = {"user 1": row.get("user1_persona") or [], "user 2": row.get("user2_persona") or []}
    total = sum(len(personas.get(t["speaker"], [])) for t in row["turns"])
    pairs = [(attr, said) for t in row["turns"] if (said := self_statements(t["text"]))
             for attr in personas.get(t["speaker"], [])]
    if cap and len(pairs) > cap:
        ranked = sorted(range(len(pairs)), key=lambda i: (-_overlap(*pairs[i]), i))
        pairs = [pairs[i] for i in sorted(ranked[:cap])]
    return pairs, total


def worst_scores(checker: Any, plans: list[list[tuple[str, str]]]) -> np.ndarray:
    """Each conversation's highest pair score (0 with no pair), all pairs scored in one call."""
    flat = [p for pairs in plans for p in pairs]
    scores = np.asarray(checker.scores([a for a, _ in flat], [h for _, h in flat]) if flat else [], dtype=np.float64)
    ends = np.cumsum([len(p) for p in plans])
    return np.array([scores[e - len(p):e].max() if p else 0.0 for p, e in zip(plans, ends)])


def _verdict(pairs: list[tuple[str, str]], scores: list[float], total: int, cut: float,
             tolerated: int) -> Verdict:
    checked = f"{len(pairs)} of {total} utterance×attribute pairs checked (questions and remarks to the " \
              "partner assert nothing; critic.max_nli_pairs caps the rest)" if len(pairs) < total \
        else f"{total} utterance×attribute pairs checked"
    if not pairs:
        return Verdict(NAME, passed=True, reason="no persona attribute to check against")
    worst = max(range(len(scores)), key=scores.__getitem__)
    bad = [i for i, s in enumerate(scores) if s > cut]
    if len(bad) > tolerated:
        attr, utt = pairs[worst]
        return Verdict(NAME, passed=False, score=scores[worst],
                       reason=f"{len(bad)} contradiction(s) (score > {cut:.2f}), {checked}; worst: "
                              f"{utt[:100]!r} contradicts persona {attr!r} (score {scores[worst]:.2f})")
    return Verdict(NAME, passed=True, score=scores[worst],
                   reason=f"{len(bad)} contradiction(s) (score > {cut:.2f}), {checked}")


def _words(text: str) -> set[str]:
    return {w for w in tokens(text) if w not in _STOP and len(w) > 2}


def _overlap(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    return len(wa & wb) / (len(wa | wb) or 1)
