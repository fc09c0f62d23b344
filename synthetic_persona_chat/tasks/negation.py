"""Attribute negation: the LLM writes the opposite of a persona attribute (the paper's profile check).

Row: {attribute}. Value: (negation or None, why not). An answer that repeats the attribute, asks a
question or holds no sentence is no negation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..usergen.parsing import parse_attributes
from ..usergen.seeds import LineRules, dedupe_key
from .base import user_chat
from .templates import render


@dataclass(frozen=True)
class Negation:
    rules: LineRules
    template: str = "negation.j2"
    name: str = "negation"
    inputs: tuple[str, ...] = ("attribute",)

    def render(self, row: Mapping[str, Any]) -> list[dict[str, str]]:
        return user_chat(render(self.template, attribute=row["attribute"]))

    def parse(self, text: str, row: Mapping[str, Any]) -> tuple[str | None, str | None]:
        kept, drops = parse_attributes(text, self.rules)
        kept = [k for k in kept if dedupe_key(k) != dedupe_key(row["attribute"])]
        if kept:
            return kept[0], None
        return None, f"no negation in the output ({', '.join(sorted(drops)) or 'repeated the attribute'})"
