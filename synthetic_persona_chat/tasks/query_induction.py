"""Query induction: the LLM writes one question that a persona category's attributes answer.

Row: {examples: the attributes nearest the category's centroid}. Value: (query or None, why not).
The template quotes an example question; an answer that merely repeats it is no query, so the
parser is told to reject it as an echo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..usergen.parsing import parse_query
from .base import user_chat
from .templates import render

EXAMPLE_QUESTION = "What do you do for a living?"


@dataclass(frozen=True)
class QueryInduction:
    template: str = "query.j2"
    example_question: str = EXAMPLE_QUESTION
    name: str = "query_induction"
    inputs: tuple[str, ...] = ("examples",)

    def render(self, row: Mapping[str, Any]) -> list[dict[str, str]]:
        return user_chat(render(self.template, examples=row["examples"], example_question=self.example_question))

    def parse(self, text: str, row: Mapping[str, Any]) -> tuple[str | None, str | None]:
        return parse_query(text, echoes=(self.example_question,))
