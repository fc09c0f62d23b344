"""Utterances cut into clauses, so the contradiction checker reads the part that is about the attribute.

Real talk packs several statements into one line: "I'm allergic to shellfish, so I can't eat seafood."
scored 1.00 against "I am allergic to shellfish." as a whole, because the polarity rules count every
negation of the line (`nli_features.is_negative` is a parity). Cut at sentence ends and at the
conjunctions that join independent statements (", so", ", but", "; "), the clause most related to the
attribute ("I'm allergic to shellfish") is the one whose polarity matters.
"""

from __future__ import annotations

import re

_CUT = re.compile(r"(?<=[.!?;])\s+|,\s*(?:so|but|and|because|though|although|which)\s+|\s+(?:but|so)\s+(?=i\b|i'm\b)",
                  re.IGNORECASE)
MIN_WORDS = 2  # shorter pieces ("Yes,", "Oh!") stay attached: they say nothing of their own


def split_clauses(text: str) -> list[str]:
    """The clauses of `text` (at least one: the text itself when nothing splits it)."""
    pieces = [p.strip(" ,") for p in _CUT.split(text) if p and p.strip(" ,")]
    out: list[str] = []
    for piece in pieces:
        if out and len(out[-1].split()) < MIN_WORDS:
            out[-1] = f"{out[-1]} {piece}"
        elif len(piece.split()) < MIN_WORDS and out:
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out or [text]
