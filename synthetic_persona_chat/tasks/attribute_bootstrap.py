"""Attribute bootstrapping: from a category's query and a few of its attributes, the LLM writes new ones.

Row: {query, examples}. Value: (kept attribute sentences, Counter of dropped lines by reason).
A line equal to the query or to an example shown is the prompt echoed back, not a new attribute.
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
class AttributeBootstrap:
    rules: LineRules
    num_new: int
    template: str = "bootstrap.j2"
    name: str = "attribute_bootstrap"
    inputs: tuple[str, ...] = ("query", "examples")

    def render(self, row: Mapping[str, Any]) -> list[dict[str, str]]:
        return user_chat(render(self.template, query=row["query"], examples=row["examples"], num_new=self.num_new))

    def parse(self, text: str, row: Mapping[str, Any]) -> tuple[list[str], Counter]:
        return parse_attributes(text, self.rules, echoes=[row["query"], *row["examples"]])
