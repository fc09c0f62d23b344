"""The paper's profile consistency check: an LLM-written negation and NLI in both directions.

The checker scores contradiction with a premise and a hypothesis, and NLI is not symmetric, so a
held attribute `a` and a candidate `c` are scored as (a, c) and (c, a); the worse counts. The LLM
writes the negation `¬c` of each candidate once (cached per text): a checker that finds `a` and
`¬c` contradicting (either way) says `a` already implies `c`, a redundancy the embedding cosine
misses ("I am a nurse" vs "I work in a hospital"). A negation the LLM could not write is recorded
and that candidate gets the contradiction check only.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable

import numpy as np

from ..models.llm import LLM, GenerationParams
from ..tasks import ask, negation
from .seeds import LineRules

ScoreFn = Callable[[list[str], list[str]], np.ndarray]  # (premises, hypotheses) -> contradiction scores


def both_ways(scores: ScoreFn, premises: list[str], hypotheses: list[str]) -> np.ndarray:
    """Per pair, the larger contradiction score of (premise, hypothesis) and (hypothesis, premise): one call."""
    if not premises:
        return np.zeros(0)
    s = np.asarray(scores(premises + hypotheses, hypotheses + premises), dtype=float)
    n = len(premises)
    return np.maximum(s[:n], s[n:])


class Negations:
    """LLM-written negations, asked once per attribute text; failures kept with their reasons."""

    def __init__(self, llm: LLM, params: GenerationParams, rules: LineRules) -> None:
        self.llm, self.params, self.task = llm, params, negation.Negation(rules)
        self.known: dict[str, str | None] = {}
        self.failures: Counter = Counter()

    def of(self, texts: list[str]) -> list[str | None]:
        """The negation of each text (None where the LLM wrote none)."""
        new = list(dict.fromkeys(t for t in texts if t not in self.known))
        for text, answer in zip(new, ask(self.llm, self.task, [{"attribute": t} for t in new], self.params)):
            neg, why = answer.value
            self.known[text] = neg
            if neg is None:
                self.failures[why] += 1
        return [self.known[t] for t in texts]


def implied_scores(scores: ScoreFn, negations: Negations) -> ScoreFn:
    """(held, candidate) -> how strongly `held` contradicts the candidate's negation, both ways (0 without one)."""
    def score(premises: list[str], hypotheses: list[str]) -> np.ndarray:
        negs = negations.of(hypotheses)
        has = [i for i, n in enumerate(negs) if n is not None]
        out = np.zeros(len(premises))
        out[has] = both_ways(scores, [premises[i] for i in has], [negs[i] for i in has])
        return out
    return score
