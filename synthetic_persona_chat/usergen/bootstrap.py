"""Persona bootstrapping: grow each category from its query and a few sampled attributes.

One round = `bootstrap_requests` (which examples each query shows, seeded per round and
category) -> `bootstrap_batch` (pure batch map: prompt, parse, per-line filters) ->
`filter_candidates` (a reduce over the round: exact and near duplicates against the pool
and each other by embedding cosine). Every dropped line is counted by reason.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import TypedDict

import numpy as np

from ..models.llm import LLM, GenerationParams
from ..rowtypes import ArrowRow
from ..tasks import ask, attribute_bootstrap
from .seeds import LineRules, dedupe_key


class BootstrapRequest(TypedDict):
    """A compact-algorithm prompt's fields: a category's query and `k` of its attributes as examples."""

    category: int
    query: str
    examples: list[str]
    round: int


class CandidateRow(TypedDict):
    """A prompt's answer as `filter_candidates` reads it, in both algorithms (the prompt's own fields come
    with it): the sentences the line filters kept, and the lines they dropped, counted by reason."""

    category: int
    query: str
    candidates: list[str]
    drops: dict[str, int]


class Survivor(TypedDict):
    """A candidate that passed the round's duplicate filters: a new attribute of the query's category."""

    text: str
    category: int
    query: str


def bootstrap_requests(pool: list[ArrowRow], queries: dict[int, str], k: int, round_no: int,
                       seed: int) -> list[BootstrapRequest]:
    """One row per queried category: {category, query, examples (k sampled attributes), round}."""
    by_cat: dict[int, list[str]] = {}
    for row in pool:
        by_cat.setdefault(row["category"], []).append(row["text"])
    rows = []
    for cat in sorted(queries):
        members = by_cat.get(cat, [])
        if not members:
            continue
        rng = random.Random(f"{seed}:{round_no}:{cat}")
        examples = rng.sample(members, min(k, len(members)))
        rows.append(BootstrapRequest(category=cat, query=queries[cat], examples=examples, round=round_no))
    return rows


def bootstrap_batch(rows: list[BootstrapRequest], llm: LLM, params: GenerationParams, rules: LineRules,
                    num_new: int) -> list[CandidateRow]:
    """Rows from `bootstrap_requests` -> + {candidates: [sentences], drops: {reason: count}}. A pure batch map."""
    answers = ask(llm, attribute_bootstrap.AttributeBootstrap(rules, num_new), rows, params)
    out = []
    for row, answer in zip(rows, answers):
        candidates, drops = [], Counter()
        for kept, dropped in answer.values:
            candidates.extend(kept)
            drops.update(dropped)
        out.append({**row, "candidates": candidates, "drops": dict(drops)})
    return out


def filter_candidates(rows: list[CandidateRow], pool_texts: list[str], pool_vecs: np.ndarray,
                      embed, threshold: float, room: int | None = None
                      ) -> tuple[list[Survivor], Counter]:
    """Survivors {text, category, query} of a round's candidates, and drops by reason.

    A candidate is dropped when its text repeats a pool attribute ("duplicate"), when its
    cosine to a pool attribute or to an earlier survivor of this round is > `threshold`
    ("near_duplicate"), or when the pool already holds `room` more attributes ("pool_cap").
    `embed(texts) -> unit vectors`.
    """
    drops: Counter = Counter()
    seen = {dedupe_key(t) for t in pool_texts}
    cands: list[Survivor] = []
    for row in rows:
        for text in row["candidates"]:
            key = dedupe_key(text)
            if key in seen:
                drops["duplicate"] += 1
                continue
            seen.add(key)
            cands.append(Survivor(text=text, category=row["category"], query=row["query"]))
    if not cands:
        return [], drops
    vecs = embed([c["text"] for c in cands])
    near_pool = max_similarity(vecs, pool_vecs) > threshold
    drops["near_duplicate"] += int(near_pool.sum())
    idx = np.flatnonzero(~near_pool)
    keep = greedy_unique(vecs[idx], threshold)
    drops["near_duplicate"] += int(len(idx) - keep.sum())
    survivors = [cands[i] for i in idx[keep]]
    if room is not None and len(survivors) > room:
        drops["pool_cap"] += len(survivors) - max(room, 0)
        survivors = survivors[: max(room, 0)]
    return survivors, +drops


def max_similarity(a: np.ndarray, b: np.ndarray, block: int = 4096) -> np.ndarray:
    """For each row of `a`, its highest cosine to any row of `b` (-1 when `b` is empty)."""
    out = np.full(len(a), -1.0, dtype=np.float32)
    if len(b) == 0 or len(a) == 0:
        return out
    for s in range(0, len(b), block):
        np.maximum(out, (a @ b[s:s + block].T).max(axis=1), out=out)
    return out


def greedy_unique(vecs: np.ndarray, threshold: float) -> np.ndarray:
    """Mask of rows kept when each row is dropped if its cosine to an earlier kept row is > threshold."""
    keep = np.zeros(len(vecs), dtype=bool)
    if len(vecs) == 0:
        return keep
    sims = vecs @ vecs.T
    for i in range(len(vecs)):
        keep[i] = not (sims[i, :i][keep[:i]] > threshold).any()
    return keep
