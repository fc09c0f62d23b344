"""The turn-level Generator: one speaker's next line, given that speaker's persona and the history so far.

Row: {speaker, partner, persona, focus, history, fewshot_texts}. Value: the line's text ("" when the
answer holds nothing usable). The speaker tag is not the model's to choose: the caller decides who
speaks, and `force_tag` also starts the assistant's answer with "User 2:" so a chat model continues
that line instead of opening with "Sure! Here is ..." (the transformers backend continues a trailing
assistant message; other backends get the plain chat, and the parser strips any tag that comes back).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..generation.parser import clean_line
from .templates import render


@dataclass(frozen=True)
class Turn:
    template: str = "turn.j2"
    system_template: str | None = "turn_system.j2"
    force_tag: bool = True
    name: str = "turn"
    inputs: tuple[str, ...] = ("speaker", "partner", "persona", "focus", "history", "fewshot_texts")

    def render(self, row: Mapping[str, Any]) -> list[dict[str, str]]:
        system = [{"role": "system", "content": render(self.system_template)}] if self.system_template else []
        user = render(self.template, speaker=row["speaker"], partner=row["partner"], persona=list(row["persona"]),
                      focus=row["focus"], history=row["history"], examples=list(row["fewshot_texts"]))
        prefix = [{"role": "assistant", "content": f"{row['speaker']}:"}] if self.force_tag else []
        return system + [{"role": "user", "content": user}] + prefix

    def parse(self, text: str, row: Mapping[str, Any]) -> str:
        return clean_line(text)
