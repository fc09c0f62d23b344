"""Persona bootstrapping (the paper's): a random persona answers one category's query in one sentence.

Row: {persona, query}. Value: (the answer or None, Counter of dropped lines by reason). The paper
asks for one answer per prompt, so only the first usable line counts; any further line is counted
as `extra_answer`, never kept.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Mapping

from ..usergen.parsing import parse_attributes
from ..usergen.seeds import LineRules
from .base import user_chat
from .templates import render


@dataclass(frozen=True)
class PersonaBootstrap:
    rules: LineRules
    template: str = "persona_bootstrap.j2"
    name: str = "persona_bootstrap"
    inputs: tuple[str, ...] = ("persona", "query")

    def render(self, row: Mapping[str, Any]) -> list[dict[str, str]]:
        return user_chat(render(self.template, persona=row["persona"], query=row["query"]))

    def parse(self, text: str, row: Mapping[str, Any]) -> tuple[str | None, Counter]:
        kept, drops = parse_attributes(text, self.rules, echoes=[row["query"], *row["persona"]])
        if len(kept) > 1:
            drops["extra_answer"] += len(kept) - 1
        return (kept[0] if kept else None), drops
