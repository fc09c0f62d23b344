"""Faithfulness expert: an utterance that contradicts its own speaker's persona drops the candidate.

Every (attribute, utterance) pair of the same speaker is a premise/hypothesis pair for the
contradiction checker (`ctx.nli`: an NLI cross-encoder, or the LLM judge). All pairs of all
candidates in a batch go to the checker in one call. With long conversations the pairs grow as
turns × attributes, so at most `critic.max_nli_pairs` per candidate are checked — those sharing
the most content words, the likeliest to contradict — and the reason says how many were skipped.
"""

from __future__ import annotations

import re
from typing import Any

from .base import Verdict

NAME, KIND = "faithfulness", "filter"
_STOP = frozenset("i me my we our you your he she it they a an the and or but to of in on at for with is am are "
                  "was were be been do does did have has had not no so that this what how just really too very "
                  "like love".split())


def judge(rows: list[dict[str, Any]], ctx: Any, cfg: Any) -> list[Verdict]:
    plans = [candidate_pairs(row, cfg.max_nli_pairs) for row in rows]
    premises = [p for pairs, _ in plans for p, _h in pairs]
    hypotheses = [h for pairs, _ in plans for _p, h in pairs]
    scores = [float(s) for s in ctx.nli.scores(premises, hypotheses)] if premises else []
    out, pos = [], 0
    for pairs, total in plans:
        mine = scores[pos:pos + len(pairs)]
        pos += len(pairs)
        out.append(_verdict(pairs, mine, total, cfg))
    return out


def candidate_pairs(row: dict[str, Any], cap: int) -> tuple[list[tuple[str, str]], int]:
    """(attribute, utterance) pairs of the same speaker, most word-overlapping first, capped; and the total."""
    personas = {"user 1": row.get("user1_persona") or [], "user 2": row.get("user2_persona") or []}
    pairs = [(attr, t["text"]) for t in row["turns"] for attr in personas.get(t["speaker"], [])]
    total = len(pairs)
    if cap and total > cap:
        ranked = sorted(range(total), key=lambda i: (-_overlap(*pairs[i]), i))
        pairs = [pairs[i] for i in sorted(ranked[:cap])]
    return pairs, total


def _verdict(pairs: list[tuple[str, str]], scores: list[float], total: int, cfg: Any) -> Verdict:
    checked = f"{len(pairs)} of {total} utterance×attribute pairs checked" if len(pairs) < total \
        else f"{total} utterance×attribute pairs checked"
    if not pairs:
        return Verdict(NAME, passed=True, reason="no persona attribute to check against")
    bad = [i for i, s in enumerate(scores) if s > cfg.contradiction_threshold]
    if len(bad) > cfg.max_contradictions:
        attr, utt = pairs[bad[0]]
        return Verdict(NAME, passed=False, reason=f"{len(bad)} contradiction(s), {checked}; e.g. "
                       f"{utt[:100]!r} contradicts persona {attr!r} (score {scores[bad[0]]:.2f})")
    return Verdict(NAME, passed=True, reason=f"{len(bad)} contradiction(s), {checked}")


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z']+", text.lower()) if w not in _STOP and len(w) > 2}


def _overlap(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    return len(wa & wb) / (len(wa | wb) or 1)
