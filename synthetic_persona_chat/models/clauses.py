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
_FIRST_PERSON = re.compile(r"\b(i|i'm|i've|i'd|i'll|my|me|mine|myself)\b", re.IGNORECASE)
_SECOND_PERSON = re.compile(r"\b(you|your|you're|you've|yours|yourself)\b", re.IGNORECASE)


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


def is_self_statement(clause: str) -> bool:
    """Whether a clause can assert something about its speaker: not a question, and not a sentence about the
    partner or people in general ("You don't have to be artistic to quilt.") unless the speaker is in it too."""
    if clause.rstrip().endswith("?"):
        return False
    return not _SECOND_PERSON.search(clause) or bool(_FIRST_PERSON.search(clause))


def self_statements(text: str) -> str:
    """The clauses of `text` that say something about the speaker, rejoined ("" when none does).

    On 967 SPC test conversations, a third of the faithfulness expert's rejections quoted a question
    ("Oh, you're not vegan?", "Do you have any siblings?") or a remark to the partner as the speaker
    contradicting their own persona: the polarity rules read "not"/"any" in a question as a denial. A
    question asks, it asserts nothing. Clauses are rejoined so `split_clauses` cuts them where they were.
    """
    kept = [c for c in split_clauses(text) if is_self_statement(c)]
    return " ".join(c if c[-1] in ".!;" else f"{c};" for c in kept)
