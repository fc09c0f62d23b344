"""Contradiction judge: can two statements by the same person both be true?

Row: {premise, hypothesis}. Two templates, one per scoring of `models.contradiction.LLMJudgeNLI`:
`contradiction_judge.j2` is answered in words and `parse` reads the first word (1.0: they
contradict, 0.0: they do not, None: neither word); `contradiction_fewshot.j2` ends at
"Contradict?" so that the next-token probabilities of yes/no are the score (no parsing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from .base import user_chat
from .templates import render

GREEDY_TEMPLATE = "contradiction_judge.j2"
FEWSHOT_TEMPLATE = "contradiction_fewshot.j2"


@dataclass(frozen=True)
class ContradictionJudge:
    template: str = GREEDY_TEMPLATE
    name: str = "contradiction_judge"
    inputs: tuple[str, ...] = ("premise", "hypothesis")

    def render(self, row: Mapping[str, Any]) -> list[dict[str, str]]:
        return user_chat(render(self.template, premise=row["premise"], hypothesis=row["hypothesis"]))

    def parse(self, text: str, row: Mapping[str, Any]) -> float | None:
        # The question is "can both be true?", so "no" is the contradiction.
        words = re.findall(r"[a-z]+", text.lower())
        if words and words[0] in ("no", "false"):
            return 1.0
        if words and words[0] in ("yes", "true"):
            return 0.0
        return None
