"""General-quality experts: one LLM judge per FED-style quality picks the best surviving candidate.

Each quality (critic.qualities; paper: depth, coherency, consistency, diversity, likability) is asked,
greedily, which of the surviving candidates (labelled A, B, ...) is best for it. All questions of a
batch go to the LLM in one call. A pair with one survivor needs no question. An answer naming no
candidate is recorded as unparsable (choice None) and does not vote. `majority` turns the votes into
the winner.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Any

from ...config import ConfigError
from ...models.llm import GenerationParams
from ..parser import render_conversation
from ..templates import quality_questions, render
from .base import Verdict

NAME, KIND = "quality", "selector"
LABELS = string.ascii_uppercase


def questions(cfg: Any) -> dict[str, str]:
    """The question per configured quality; an unknown quality without a question is a config error."""
    known = {**quality_questions(), **(cfg.quality_questions or {})}
    missing = [q for q in cfg.qualities if q not in known]
    if missing:
        raise ConfigError(f"critic.qualities has {missing} with no question; known: {sorted(known)}; "
                          f"add one with critic.quality_questions: {{{missing[0]}: 'Which conversation ...?'}}")
    return {q: known[q] for q in cfg.qualities}


def choose(groups: list[list[dict[str, Any]]], ctx: Any, cfg: Any) -> list[list[Verdict]]:
    asked = questions(cfg)
    out: list[list[Verdict]] = [[] for _ in groups]
    chats, slots = [], []
    for g, group in enumerate(groups):
        for quality, question in asked.items():
            if len(group) == 1:
                out[g].append(Verdict(f"quality:{quality}", choice=group[0]["candidate_index"],
                                      reason="only surviving candidate"))
                continue
            prompt = render(cfg.quality_template, quality=quality, question=question, candidates=[
                {"label": LABELS[i], "text": render_conversation(r["turns"])} for i, r in enumerate(group)])
            chats.append([{"role": "user", "content": prompt}])
            slots.append((g, quality, len(out[g])))
            out[g].append(Verdict(f"quality:{quality}"))  # filled below
    if chats:
        params = GenerationParams(max_tokens=cfg.quality_max_tokens, temperature=0.0, top_k=1, n=1)
        answers = [c.texts[0] for c in ctx.llm.generate(chats, params)]
        for (g, quality, pos), answer in zip(slots, answers):
            group = groups[g]
            label = parse_choice(answer, len(group))
            if label is None:
                out[g][pos] = Verdict(f"quality:{quality}", reason=f"unparsable answer {answer.strip()[:60]!r}")
            else:
                out[g][pos] = Verdict(f"quality:{quality}", choice=group[label]["candidate_index"],
                                      reason=f"answered {answer.strip()[:40]!r}")
    return out


def parse_choice(answer: str, n: int) -> int | None:
    """'B', 'Conversation B.', '**B**', '(b)', 'Option 2' -> index; None when no single candidate is named."""
    labels = LABELS[:n]
    text = answer.strip()
    m = re.search(rf"(?:conversation|option|answer|candidate)\s*[:\-]?\s*\(?([{labels}])\b", text, re.IGNORECASE)
    if m:
        return labels.index(m.group(1).upper())
    m = re.match(rf"^[\s*_(\[\"']*([{labels}])(?![a-z])", text, re.IGNORECASE)
    if m and (m.group(1).isupper() or len(text.strip("*_()[]\"'. ")) == 1):
        return labels.index(m.group(1).upper())
    m = re.match(r"^[\s*_(\[]*(\d+)\b", text)
    if m and 1 <= int(m.group(1)) <= n:
        return int(m.group(1)) - 1
    return None


def majority(verdicts: list[Verdict], candidates: list[int]) -> tuple[int, Counter, str]:
    """Most votes wins; a tie goes to the lowest candidate index (deterministic); no vote -> lowest index."""
    votes = Counter(v.choice for v in verdicts if v.choice is not None)
    if not votes:
        return min(candidates), votes, "no quality vote parsed: first surviving candidate"
    top = max(votes.values())
    tied = sorted(c for c, n in votes.items() if n == top)
    reason = f"{top} of {len(verdicts)} quality votes" + (f" (tie among {tied}: lowest index)" if len(tied) > 1 else "")
    return tied[0], votes, reason
