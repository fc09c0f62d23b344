"""Persona-leakage expert: a speaker who claims the *partner's* attribute as their own drops the candidate.

The faithfulness expert checks each utterance against its own speaker's persona only, so "I'm also
interested in working in labor and delivery" from the user whose *partner* has that attribute passed.
Small generators mix the two profiles up this way. An utterance leaks when it is a first-person
statement (not a question, not about "you"), its closest attribute of the partner reaches
`critic.leakage_threshold` (MiniLM cosine), and that is clearly closer than any of its speaker's own
attributes (by `critic.leakage_margin`), so "Me too, I love dogs!" from a dog owner is not a leak.
A candidate with more than `critic.max_leaks` leaking utterances is dropped; the reason quotes the
worst one and the attribute it took.

Opt-in (add `leakage` to `critic.experts`). Measured on the 150 SPC test conversations: at cosine 0.8, 20%
are flagged, mostly speakers agreeing ("I love running too!"); at the default 0.9, 4% (6), and those read
as real leaks of the release ("I'm a pediatrician." from the pediatrician's partner; "I have a cat named
Arizona." likewise). "also"/"too" cannot be exempted: "I'm also interested in labor and delivery" is the
leak this expert was asked for.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from .base import Verdict
from .expression import personas as _personas
from ...rowtypes import ArrowRow

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.generation.config import CriticConfig

NAME, KIND = "leakage", "filter"
_FIRST_PERSON = re.compile(r"\b(i|i'm|i've|i'd|my|me|mine)\b", re.I)
_SECOND_PERSON = re.compile(r"\b(you|your|you're|yours)\b", re.I)
PARTNER = {"user 1": "user 2", "user 2": "user 1"}


def claims(text: str) -> bool:
    """A statement about oneself: first person, no question mark, no "you"."""
    return "?" not in text and bool(_FIRST_PERSON.search(text)) and not _SECOND_PERSON.search(text)


def judge(rows: list[ArrowRow], ctx: RunContext, cfg: CriticConfig) -> list[Verdict]:
    texts = list(dict.fromkeys(t for r in rows for t in (*_personas(r)["user 1"], *_personas(r)["user 2"],
                                                         *(u["text"] for u in r["turns"]))))
    if not texts:
        return [Verdict(NAME, passed=True, reason="nothing to check") for _ in rows]
    index = {t: i for i, t in enumerate(texts)}
    emb = np.asarray(ctx.embedder.encode(texts), dtype=np.float32)
    return [_verdict(r, emb, index, cfg) for r in rows]


def leaks(row: ArrowRow, emb: np.ndarray, index: dict[str, int], cfg: CriticConfig
          ) -> list[tuple[float, str, str]]:
    """(partner cosine, utterance, partner attribute) per leaking utterance."""
    personas = _personas(row)
    out = []
    for turn in row["turns"]:
        partner = personas.get(PARTNER.get(turn["speaker"], ""), [])
        if not partner or not claims(turn["text"]):
            continue
        u = emb[index[turn["text"]]]
        theirs = emb[[index[a] for a in partner]] @ u
        own = personas.get(turn["speaker"], [])
        mine = float((emb[[index[a] for a in own]] @ u).max()) if own else -1.0
        best = int(theirs.argmax())
        if theirs[best] >= cfg.leakage_threshold and theirs[best] > mine + cfg.leakage_margin:
            out.append((float(theirs[best]), turn["text"], partner[best]))
    return out


def _verdict(row: ArrowRow, emb: np.ndarray, index: dict[str, int], cfg: CriticConfig) -> Verdict:
    found = leaks(row, emb, index, cfg)
    if len(found) > cfg.max_leaks:
        score, text, attr = max(found)
        return Verdict(NAME, passed=False, score=round(score, 4),
                       reason=f"{len(found)} utterance(s) claim the partner's attribute (> {cfg.max_leaks} allowed); "
                              f"worst: {text[:100]!r} ~ partner's {attr!r} (cosine {score:.2f})")
    return Verdict(NAME, passed=True, score=round(max(found)[0], 4) if found else None,
                   reason=f"{len(found)} utterance(s) claim the partner's attribute ({cfg.max_leaks} allowed)")

