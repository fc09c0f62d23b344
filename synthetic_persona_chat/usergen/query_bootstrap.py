"""Query bootstrapping (the paper's §3.1): grow the bank of category questions beyond the seed clusters.

The paper ran 100 steps and ended with 188 queries. Each step shows `shots` questions sampled from
the bank (seeded by step) and the LLM, sampling, writes one question about another part of a
person's life. A new question joins the bank unless it is unusable, a copy of a bank question, or
a near-duplicate of one (embedding cosine > threshold): each of those is a recorded failure with
its reason. Steps go to the LLM in batches of `batch` prompts that all sample from the bank as it
stood when the batch began, so a batching backend sees them at once; batch = 1 is the strictly
sequential procedure.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..models.llm import LLM, GenerationParams
from ..tasks import ask, query_bootstrap
from .bootstrap import max_similarity
from .seeds import dedupe_key

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class BootQuery:
    """A question the bootstrapping added: the step that wrote it, the questions it was shown, the raw answer."""

    query: str
    step: int
    examples: list[str]
    raw: str


@dataclass
class QueryBank:
    """The outcome of query bootstrapping: added questions and one failure reason per failed step."""

    added: list[BootQuery] = field(default_factory=list)
    failures: list[tuple[int, str]] = field(default_factory=list)  # (step, reason)
    stopped: str | None = None


def bootstrap_queries(bank: list[str], llm: LLM, params: GenerationParams, embed: Embed, steps: int,
                      shots: int, threshold: float, seed: int, max_queries: int | None = None,
                      batch: int = 8) -> QueryBank:
    """Run `steps` query bootstrapping steps over `bank` (the induced questions); the bank is not mutated."""
    out = QueryBank()
    texts = list(bank)
    if not texts:
        out.stopped = "no induced query to start from"
        return out
    vecs = embed(texts)
    for start in range(0, steps, batch):
        if max_queries is not None and len(texts) >= max_queries:
            out.stopped = f"the bank reached expand.max_queries={max_queries}"
            break
        rows = [{"step": s, "examples": random.Random(f"{seed}:query-step:{s}").sample(texts, min(shots, len(texts)))}
                for s in range(start, min(start + batch, steps))]
        answers = ask(llm, query_bootstrap.QueryBootstrap(), rows, params.replace(seed=params.seed + start))
        for row, answer in zip(rows, answers):
            query, why = answer.value
            if query is not None:
                why, vec = _novelty(query, texts, vecs, embed, threshold)
            if why is not None:
                out.failures.append((row["step"], why))
                continue
            if max_queries is not None and len(texts) >= max_queries:
                out.failures.append((row["step"], f"the bank is full (expand.max_queries={max_queries})"))
                continue
            texts.append(query)
            vecs = np.vstack([vecs, vec])
            out.added.append(BootQuery(query, row["step"], row["examples"], answer.text))
    return out


def _novelty(query: str, texts: list[str], vecs: np.ndarray, embed: Embed, threshold: float
             ) -> tuple[str | None, np.ndarray]:
    """(None, its vector) for a new question; (why it is not new, vector) for a copy or near-duplicate."""
    vec = embed([query])
    if dedupe_key(query) in {dedupe_key(t) for t in texts}:
        return "repeats a question of the bank", vec
    best = float(max_similarity(vec, vecs)[0])
    if best > threshold:
        return f"near-duplicate of a bank question (cosine {best:.3f} > {threshold})", vec
    return None, vec
