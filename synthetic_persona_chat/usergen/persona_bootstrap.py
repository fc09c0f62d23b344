"""Persona bootstrapping (the paper's §3.1): random personas answer the category queries, one answer each.

A round asks every query once. Each prompt shows a persona of `size` attributes drawn at random
from the pool (distinct categories where the pool has them, seeded by round and category) and the
query; the answer is a new attribute of the query's category. Only the first usable line of an
answer counts (the paper asks for one answer per prompt). The rows this module returns have the
shape `bootstrap.filter_candidates` reads, so both algorithms share the duplicate filter.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import TypedDict

from ..models.llm import LLM, GenerationParams
from ..rowtypes import ArrowRow
from ..tasks import ask, persona_bootstrap
from .bootstrap import CandidateRow
from .seeds import LineRules


class PersonaRow(TypedDict):
    """A `PersonaPrompt` as the prompt template reads it."""

    category: int
    query: str
    persona: list[str]
    round: int


@dataclass(frozen=True)
class PersonaPrompt:
    """One prompt of a round: the query's category, the query, the random persona that answers it."""

    category: int
    query: str
    persona: list[str]
    round: int

    def to_row(self) -> PersonaRow:
        return PersonaRow(category=self.category, query=self.query, persona=self.persona, round=self.round)


def random_persona(pool: list[ArrowRow], size: int, rng: random.Random) -> list[str]:
    """`size` pool attributes of distinct categories (fewer categories than `size`: distinct texts)."""
    order = rng.sample(range(len(pool)), len(pool))
    chosen, cats = [], set()
    for i in order:
        if pool[i]["category"] not in cats:
            chosen.append(i)
            cats.add(pool[i]["category"])
            if len(chosen) == size:
                break
    taken = set(chosen)
    rest = [i for i in order if i not in taken]
    chosen += rest[: size - len(chosen)]
    return [pool[i]["text"] for i in chosen]


def persona_requests(pool: list[ArrowRow], queries: dict[int, str], size: int, round_no: int,
                     seed: int) -> list[PersonaPrompt]:
    """One prompt per queried category, each with its own seeded random persona."""
    if not pool:
        return []
    return [PersonaPrompt(cat, queries[cat], random_persona(pool, size, random.Random(f"{seed}:{round_no}:{cat}:p")),
                          round_no) for cat in sorted(queries)]


def persona_batch(prompts: list[PersonaPrompt], llm: LLM, params: GenerationParams, rules: LineRules
                  ) -> list[CandidateRow]:
    """Prompts -> rows {category, query, persona, round, candidates: [at most one], drops}. A pure batch map."""
    if params.n != 1:
        raise ValueError(f"persona bootstrapping asks one answer per prompt; got n={params.n}")
    rows = [p.to_row() for p in prompts]
    answers = ask(llm, persona_bootstrap.PersonaBootstrap(rules), rows, params)
    out = []
    for row, answer in zip(rows, answers):
        text, drops = answer.value
        out.append({**row, "candidates": [text] if text else [], "drops": dict(Counter(drops))})
    return out
