"""Persona-expression gate: a candidate must show each speaker's persona, not merely avoid contradicting it.

The paper calls a conversation faithful when it makes its personas more likely, P(π|D) >= P(π). The
other filters only reject what contradicts a persona, and the quality experts only rank survivors, so
without this gate "Hi, I'm Sarah's partner." won a pair with six attributes and coverage 0.0.

Each speaker with attributes must *express* at least `critic.min_expressed_share` of them (rounded
up, so 0.2 of 3 or 5 attributes is one): an attribute is expressed when some utterance of its speaker
has embedding cosine >= `critic.expression_threshold` with it. That is the eval's persona-coverage
measure (`coverage.py`) at the eval's threshold, so a winner's coverage is above the gate in the
report too. The threshold is measured, not chosen: 0.5 is the eval's cut (on 20 SPC test conversations
39% of a speaker's own attributes reach it, 9% of a mismatched persona's), and share 0.2 keeps 73% of the
150 packaged SPC test conversations (0.4 keeps 33%; `tests/generation/test_critic_expression.py`).
A share of 0 turns the gate off (every candidate passes, the counts are still recorded).

Opt-in in the default config: `critic.experts: [structural, faithfulness, toxicity, expression, quality]`.
The `tiny` preset runs it, so every tiny winner expresses both personas. The constrained Generator (the
default on transformers) writes well-formed candidates, so it is this gate, not the structural expert,
that decides what the bundled model's conversations lose: in the main job's run (demo preset, 64 pairs,
one candidate each, no retries) 13 of its 59 winners were small talk with a speaker who expresses none of
their attributes ("How about you? How about you."), which the gate would drop (46 left).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ...config import ConfigError
from ...coverage import attribute_similarities, speaker_groups
from .base import Verdict
from .expression_llm import lifts
from ...rowtypes import ArrowRow

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.generation.config import CriticConfig

NAME, KIND = "expression", "filter"


def required(attributes: int, share: float) -> int:
    """Attributes a speaker with `attributes` of them must express: ceil(share x n), exact for 0.2 x 5."""
    return max(0, math.ceil(share * attributes - 1e-9))


def judge(rows: list[ArrowRow], ctx: RunContext, cfg: CriticConfig) -> list[Verdict]:
    plans = [speaker_groups(personas(row), row["turns"]) for row in rows]
    if cfg.expression_measure == "llm":  # the paper's P(π|D) >= P(π): a lift >= 0 counts (expression_llm.py)
        sims, cut, what = lifts(rows, plans, ctx, cfg), 0.0, f"P(yes|D) - P(yes) >= {cfg.expression_margin}"
    elif cfg.expression_measure == "embedding":
        sims = attribute_similarities([g for plan in plans for _, g in plan], ctx.embedder)
        cut, what = cfg.expression_threshold, f"cosine >= {cfg.expression_threshold}"
    else:
        raise ConfigError(f"critic.expression_measure must be embedding or llm, got {cfg.expression_measure!r}")
    out, pos = [], 0
    for plan in plans:
        mine = sims[pos:pos + len(plan)]
        pos += len(plan)
        out.append(verdict([(speaker, attrs, s) for (speaker, (attrs, _)), s in zip(plan, mine)], cfg, cut, what))
    return out


def personas(row: ArrowRow) -> dict[str, list[str]]:
    return {"user 1": list(row.get("user1_persona") or []), "user 2": list(row.get("user2_persona") or [])}


def verdict(speakers: list[tuple[str, list[str], Any]], cfg: CriticConfig, cut: float | None = None,
            what: str = "") -> Verdict:
    """Pass when every speaker expresses enough attributes (score >= cut); the reason counts each speaker's."""
    cut = cfg.expression_threshold if cut is None else cut
    what = what or f"cosine >= {cut}"
    if not speakers:
        return Verdict(NAME, passed=True, reason="no persona attribute to express")
    parts, short, shares = [], [], []
    for speaker, attrs, sims in speakers:
        hit = int((sims >= cut).sum())
        need = required(len(attrs), cfg.min_expressed_share)
        shares.append(hit / len(attrs))
        parts.append(f"{speaker} {hit}/{len(attrs)} (need {need})")
        if hit < need:
            best = int(sims.argmax())
            short.append(f"{speaker}'s closest attribute {attrs[best]!r} scores {float(sims[best]):.2f}")
    reason = (f"attributes expressed at {what}: " + ", ".join(parts)
              + ("; " + "; ".join(short) if short else ""))
    return Verdict(NAME, passed=not short, score=round(min(shares), 4), reason=reason)
