"""Toxicity expert: a candidate with any utterance the toxicity scorer rates above the threshold is dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Verdict

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.generation.config import CriticConfig

NAME, KIND = "toxicity", "filter"


def judge(rows: list[dict[str, Any]], ctx: RunContext, cfg: CriticConfig) -> list[Verdict]:
    texts = [t["text"] for row in rows for t in row["turns"]]
    scores = ctx.toxicity.scores(texts) if texts else []
    out, pos = [], 0
    for row in rows:
        n = len(row["turns"])
        mine = [float(s) for s in scores[pos:pos + n]]
        pos += n
        worst = max(range(n), key=lambda i: mine[i]) if n else None
        if worst is None:
            out.append(Verdict(NAME, passed=True, reason="no utterances"))
        elif mine[worst] > cfg.toxicity_threshold:
            out.append(Verdict(NAME, passed=False, reason=f"toxic utterance (score {mine[worst]:.2f} > "
                               f"{cfg.toxicity_threshold}): {row['turns'][worst]['text'][:120]!r}"))
        else:
            out.append(Verdict(NAME, passed=True, reason=f"max toxicity {mine[worst]:.2f}"))
    return out
