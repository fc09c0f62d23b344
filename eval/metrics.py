"""Ranking and diversity metrics, computed locally (no `evaluate.load`, which needs the Hub).

Ranking metrics take a score matrix (examples x candidates) and the gold column of each row.
Ties are broken against the gold candidate (a ranker that scores everything equal gets rank =
number of candidates tied with the gold), so a constant ranker never looks better than random.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, Sequence

import numpy as np

_TOKEN = re.compile(r"[a-z0-9']+")


def gold_ranks(scores: np.ndarray, labels: Sequence[int]) -> np.ndarray:
    """1-based rank of the gold candidate in each row (pessimistic on ties)."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if scores.ndim != 2 or scores.shape[0] != labels.shape[0]:
        raise ValueError(f"scores must be (examples, candidates) matching {labels.shape[0]} labels, "
                         f"got {scores.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= scores.shape[1]):
        raise ValueError("a label points outside the candidate list")
    gold = scores[np.arange(len(labels)), labels][:, None]
    return (scores >= gold).sum(axis=1)


def hits_at_k(scores: np.ndarray, labels: Sequence[int], k: int) -> float:
    """Share of rows whose gold candidate ranks in the top k."""
    ranks = gold_ranks(scores, labels)
    return float((ranks <= k).mean()) if ranks.size else float("nan")


def mrr(scores: np.ndarray, labels: Sequence[int]) -> float:
    """Mean reciprocal rank of the gold candidate."""
    ranks = gold_ranks(scores, labels)
    return float((1.0 / ranks).mean()) if ranks.size else float("nan")


def ranking_metrics(scores: np.ndarray, labels: Sequence[int]) -> dict[str, float]:
    """hits@1/N, hits@5/N and MRR, N = number of candidates per row (20 for Persona-Chat)."""
    n = np.asarray(scores).shape[1] if np.asarray(scores).ndim == 2 else 0
    ranks = gold_ranks(scores, labels)
    return {f"hits@1/{n}": float((ranks <= 1).mean()), f"hits@5/{n}": float((ranks <= 5).mean()),
            "mrr": float((1.0 / ranks).mean()), "examples": int(ranks.size)}


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (letters, digits, apostrophes): the unit of distinct-n and vocabulary."""
    return _TOKEN.findall(text.lower())


def distinct_n(texts: Iterable[str], n: int) -> float:
    """Distinct n-grams / all n-grams over the corpus (Li et al. 2016); 0.0 for an empty corpus."""
    grams: Counter = Counter()
    for text in texts:
        toks = tokens(text)
        grams.update(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))
    total = sum(grams.values())
    return len(grams) / total if total else 0.0


def vocabulary_size(texts: Iterable[str]) -> int:
    return len({t for text in texts for t in tokens(text)})


def describe(values: Sequence[float]) -> dict[str, float]:
    """Summary of a distribution (mean, sd, quartiles, min, max) for lengths and counts."""
    a = np.asarray(list(values), dtype=np.float64)
    if not a.size:
        return {"count": 0}
    q = np.percentile(a, [25, 50, 75])
    return {"count": int(a.size), "mean": float(a.mean()), "std": float(a.std()), "min": float(a.min()),
            "p25": float(q[0]), "median": float(q[1]), "p75": float(q[2]), "max": float(a.max())}
