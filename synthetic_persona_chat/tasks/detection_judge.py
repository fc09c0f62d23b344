"""AI-detection judge: shown two conversations, one real and one synthetic, the LLM names the synthetic one.

Row: {a, b} (rendered conversations, in the order drawn with the seed). Value: "A", "B" or None
when the answer names neither (the caller counts that as a coin flip).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from .base import user_chat
from .templates import render


@dataclass(frozen=True)
class DetectionJudge:
    template: str = "detection.j2"
    name: str = "detection_judge"
    inputs: tuple[str, ...] = ("a", "b")

    def render(self, row: Mapping[str, Any]) -> list[dict[str, str]]:
        return user_chat(render(self.template, a=row["a"], b=row["b"]))

    def parse(self, text: str, row: Mapping[str, Any]) -> str | None:
        m = re.search(r"\b([AB])\b", text.upper())
        return m.group(1) if m else None
