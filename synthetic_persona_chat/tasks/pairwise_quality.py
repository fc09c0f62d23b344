"""One FED-style quality expert comparing two conversations, shown as A and B.

Row: {quality, question, first, second} (the question is the quality's, from `qualities.yaml` or
critic.quality_questions; first/second are rendered conversations). Value: 0 (A), 1 (B) or None.
The Critic asks each comparison in both orders and counts it only when both answers agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from .base import user_chat
from .templates import render


@dataclass(frozen=True)
class PairwiseQuality:
    template: str = "pairwise.j2"
    name: str = "pairwise_quality"
    inputs: tuple[str, ...] = ("quality", "question", "first", "second")

    def render(self, row: Mapping[str, Any]) -> list[dict[str, str]]:
        # The trailing newline is how every run so far asked: the answer cache is keyed on the exact prompt.
        return user_chat(render(self.template, quality=row["quality"], question=row["question"],
                                first=row["first"], second=row["second"]) + "\n")

    def parse(self, text: str, row: Mapping[str, Any]) -> int | None:
        return parse_choice(text, 2)


def parse_choice(answer: str, n: int) -> int | None:
    """'B', 'Conversation B.', '**B**', '(b)', 'Option 2' -> index; None when no single candidate is named."""
    labels = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:n]
    text = answer.strip()
    m = re.search(rf"(?:conversation|option|answer|candidate)\s*[:\-]?\s*\(?([{labels}])\b", text, re.IGNORECASE)
    if m:
        return labels.index(m.group(1).upper())
    m = re.match(rf"^[\s*_(\[\"']*([{labels}])(?![a-z])", text, re.IGNORECASE)
    if m and (m.group(1).isupper() or len(text.strip("*_()[]\"'. ")) == 1):
        return labels.index(m.group(1).upper())
    # At most 3 ASCII digits: "12345" names no candidate, and int() of a 5000-digit run raises.
    m = re.match(r"^[\s*_(\[]*([0-9]{1,3})\b", text)
    if m and 1 <= int(m.group(1)) <= n:
        return int(m.group(1)) - 1
    return None
