"""Ranking and diversity metrics, computed locally.

Ranking metrics take a score matrix (examples x candidates) and the gold column of each row.
Ties are broken against the gold candidate (a ranker that scores everything equal gets rank =
number of candidates tied with the gold), so a constant ranker never looks better than random.

The cross table's hits@k/MRR come from the package's `evaluate` metric module (`eval/nup_ranking/`),
loaded offline by path (`nup_metric`): the figures a user gets from `evaluate.load(...)`, here or from
the Hub once the folder is pushed, are the figures of our tables. `gold_ranks` (per-example ranks, which
the intervals and paired tests need and a metric module does not return) applies the same tie rule; a
test checks that the two agree.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable, Sequence

import numpy as np

from synthetic_persona_chat.text import distinct_n, tokens  # noqa: F401  (re-exported)


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


def ranking_metrics(scores: np.ndarray, labels: Sequence[int]) -> dict[str, float]:
    """hits@1/N, hits@5/N and MRR, N = number of candidates per row (20 for Persona-Chat).

    Computed by the `evaluate` metric module (`nup_metric`); inputs are checked here first so a bad label
    gets our clear error, not an IndexError from inside the module.
    """
    scores = np.asarray(scores, dtype=np.float64)  # float32 -> float64 is exact: ties stay ties
    ranks = gold_ranks(scores, labels)
    n = scores.shape[1]
    if not ranks.size:  # the module cannot hold zero rows; say "no figure", never 0
        return {f"hits@1/{n}": float("nan"), f"hits@5/{n}": float("nan"), "mrr": float("nan"), "examples": 0}
    return nup_metric().compute(predictions=scores.tolist(), references=[int(x) for x in labels])


@lru_cache(maxsize=1)
def nup_metric() -> Any:
    """The packaged NUP metric, `evaluate.load(<package folder>)`: offline, no Hub; loaded once per process."""
    import evaluate

    from .nup_ranking import metric_path  # with `evaluate` above: heavy, only the NUP metric needs it

    return evaluate.load(metric_path())


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
