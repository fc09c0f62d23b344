"""Text units every stage shares: word tokens, template placeholders and the `User 1: ...` rendering.

They live in one module because the numbers built on them must agree across the package: the
dataset card's "vocabulary" and the eval's, the Critic's placeholder rejections and the eval's
template-leftover count, the Generator's few-shot examples and what a judge reads. A second
definition anywhere would let two reports disagree about the same data.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

_TOKEN = re.compile(r"[a-z0-9']+")

# What a template slot says: a bracketed phrase is a placeholder only when it names such a thing, so
# stage directions like "[laughs]" are dialogue, while "[User 1's name]", "{name}", "<insert city>" are not.
_SLOT_WORDS = (r"name|username|user ?\d|persona|insert|placeholder|your|his|her|their|city|town|country|location|"
               r"place|address|number|date|age|job|company|school|team|pet|hobby|food|child|favorite|link|url|"
               r"email|redacted")


def _slot(open_: str, close: str) -> str:
    """A bracketed phrase (one line, up to ~80 characters) with a slot word in it."""
    inside = rf"[^{re.escape(open_ + close)}\n]{{0,40}}"
    return rf"{re.escape(open_)}{inside}\b(?:{_SLOT_WORDS})\b{inside}{re.escape(close)}"


PLACEHOLDER = re.compile(
    "|".join(_slot(o, c) for o, c in ("[]", "{}", "<>"))
    # snake_case slots: "[user1_location]", "{first_name}"
    + r"|[\[{<][a-z0-9]+(?:_[a-z0-9]+)+[\]}>]"
    # SPC's parenthesised names: "(name)", "(User 2's name)", "(user 1 name)"
    + r"|\((?:[^()\n]{0,30}\b(?:user|person|speaker)\s*\d?'?s?\s+)?(?:first\s+|last\s+)?name\)",
    re.IGNORECASE)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (letters, digits, apostrophes): the unit of distinct-n, vocabulary and degeneracy."""
    return _TOKEN.findall(text.lower())


def distinct_n(texts: Iterable[str], n: int) -> float:
    """Distinct n-grams / all n-grams over the texts (Li et al. 2016); 0.0 when there is no n-gram."""
    grams: list[tuple[str, ...]] = []
    for text in texts:
        toks = tokens(text)
        grams.extend(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))
    return len(set(grams)) / len(grams) if grams else 0.0


def placeholders(text: str) -> list[str]:
    """Template text left unfilled, e.g. "[User 1's name]" (a third of the released SPC has some)."""
    return [m.group(0) for m in PLACEHOLDER.finditer(text)]


def speaker_label(speaker: str) -> str:
    """"user 1" -> "User 1": how the Generator is asked to tag lines."""
    return speaker.title()


def render_conversation(turns: Iterable[Any]) -> str:
    """The `User 1: ...` lines the Generator writes, few-shot examples show and judges read.

    Turns are dicts ({"speaker", "text"}) or objects with `.speaker` / `.text` (`records.Turn`).
    """
    out = []
    for t in turns:
        speaker, text = (t["speaker"], t["text"]) if isinstance(t, dict) else (t.speaker, t.text)
        out.append(f"{speaker_label(speaker)}: {text}")
    return "\n".join(out)
