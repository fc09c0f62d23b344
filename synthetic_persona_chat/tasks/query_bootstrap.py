"""Query bootstrapping: from a few questions of the bank, the LLM writes one question about another topic.

Row: {examples: the bank's questions shown}. Value: (query or None, why not). A copy of a question
shown is the prompt echoed back, not a new category.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..usergen.parsing import parse_query
from .base import user_chat
from .templates import render


@dataclass(frozen=True)
class QueryBootstrap:
    template: str = "query_bootstrap.j2"
    name: str = "query_bootstrap"
    inputs: tuple[str, ...] = ("examples",)

    def render(self, row: Mapping[str, Any]) -> list[dict[str, str]]:
        return user_chat(render(self.template, examples=row["examples"]))

    def parse(self, text: str, row: Mapping[str, Any]) -> tuple[str | None, str | None]:
        return parse_query(text, echoes=tuple(row["examples"]))
