"""Uncertainty for every reported figure: intervals, paired tests, differences and sample-size flags.

Why these choices:
- The unit of resampling is the *conversation*: the NUP examples, utterances and persona
  attributes of one conversation are correlated, so resampling them one by one would give
  intervals that are too narrow. `cluster_bootstrap` resamples conversations with replacement
  and recomputes the ratio estimator sum(values) / sum(items) (hits@k, MRR, rates, coverage).
- With few independent trials (the AI-detection pairs) the bootstrap is unreliable; the Wilson
  score interval keeps its coverage there and never leaves [0, 1].
- Two rankers scored on the same test examples are compared *paired*: a sign-flip permutation
  test over conversations (swap the two rankers' results per conversation) gives the p-value,
  a paired cluster bootstrap the interval of the difference.
- Two datasets' figures are independent samples: the difference gets an interval from
  independent bootstraps of both.
- A figure resting on few items or with a wide interval carries a flag ("too few pairs: 3"),
  so the report never shows it as a bare number.

Every function is seeded; all take plain numbers / arrays so they serve NUP, quality and detection.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any, Sequence, TypedDict

import numpy as np

CONFIDENCE = 0.95
N_BOOT = 2000
N_PERM = 10_000
MAX_WIDTH = 0.2  # a 95% interval wider than this (on a 0-1 figure) is flagged
MIN_ITEMS = {"pairs": 30, "examples": 100, "utterances": 30, "attributes": 30, "conversations": 10}
_CHUNK = 250  # bootstrap replicates per vectorised chunk: bounds memory to _CHUNK x clusters


class PerConversation(TypedDict):
    """Per-conversation sums and counts behind an estimate, so `difference` can work from the JSON alone."""

    sums: list[float]
    counts: list[int]


class EstimateJson(TypedDict, total=False):
    """A figure with its interval, as `estimate` and `proportion` return it and the result files store it
    (`figures.Estimate` is its typed reader there). Not total: a proportion has no clusters, a figure with
    nothing to measure only value/ci/flags, and callers drop `per_conversation` before storing."""

    value: float | None  # None: nothing to measure (the flags say why)
    ci: list[float]
    n: int
    item: str
    clusters: int
    method: str
    confidence: float
    flags: list[str]
    per_conversation: PerConversation


class DifferenceJson(TypedDict, total=False):
    """a − b of two datasets' estimates (`difference`)."""

    value: float
    ci: list[float]
    method: str
    excludes_zero: bool
    flags: list[str]


class PairedTestJson(TypedDict, total=False):
    """Two systems on the same examples (`paired_test`; `figures.Comparison` reads it with its labels)."""

    diff: float
    ci: list[float]
    p_value: float
    n: int
    clusters: int
    method: str
    flags: list[str]


class SpreadJson(TypedDict):
    """mean ± sd over seeded draws (`spread`)."""

    mean: float
    sd: float
    ci: list[float]
    draws: int


def wilson(successes: float, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval for a proportion; (nan, nan) with no trials. `successes` may be fractional
    (a tie counted as half a loss)."""
    if n <= 0:
        return (math.nan, math.nan)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = min(1.0, max(0.0, successes / n))
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _ratio_replicates(sums: np.ndarray, counts: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """sum(sums[idx]) / sum(counts[idx]) for n_boot resamples of the clusters (with replacement)."""
    g = len(sums)
    out = np.empty(n_boot)
    for start in range(0, n_boot, _CHUNK):
        stop = min(n_boot, start + _CHUNK)
        idx = rng.integers(0, g, size=(stop - start, g))
        c = counts[idx].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start:stop] = np.where(c > 0, sums[idx].sum(axis=1) / np.where(c > 0, c, 1), np.nan)
    return out


def _percentiles(reps: np.ndarray, confidence: float) -> tuple[float, float]:
    reps = reps[np.isfinite(reps)]
    if not reps.size:
        return (math.nan, math.nan)
    alpha = 1 - confidence
    lo, hi = np.percentile(reps, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return (float(lo), float(hi))


def cluster_sums(values: Sequence[float], groups: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster (sum of values, item count), clusters in first-seen order."""
    keys: dict[Any, int] = {}
    idx = np.fromiter((keys.setdefault(g, len(keys)) for g in groups), dtype=np.int64, count=len(groups))
    v = np.asarray(values, dtype=np.float64)
    return (np.bincount(idx, weights=v, minlength=len(keys)) if v.size else np.zeros(0),
            np.bincount(idx, minlength=len(keys)).astype(np.float64) if v.size else np.zeros(0))


def cluster_bootstrap(sums: Sequence[float], counts: Sequence[float], seed: int = 0, n_boot: int = N_BOOT,
                      confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Percentile interval of sum(values)/sum(items), resampling clusters; (nan, nan) below 2 clusters."""
    s, c = np.asarray(sums, dtype=np.float64), np.asarray(counts, dtype=np.float64)
    if len(s) < 2 or c.sum() <= 0:
        return (math.nan, math.nan)
    return _percentiles(_ratio_replicates(s, c, n_boot, np.random.default_rng(seed)), confidence)


def flags(n: int, item: str, ci: Sequence[float] | None = None, clusters: int | None = None,
          min_items: int | None = None, max_width: float | None = MAX_WIDTH) -> list[str]:
    """Why a figure must not be read as a bare number: too few items/conversations, or a wide interval."""
    out = []
    need = MIN_ITEMS.get(item, 30) if min_items is None else min_items
    if n < need:
        out.append(f"too few {item}: {n}")
    if clusters is not None and item != "conversations" and clusters < MIN_ITEMS["conversations"]:
        out.append(f"too few conversations: {clusters}")
    if ci is not None and max_width is not None and all(isinstance(x, (int, float)) and math.isfinite(x) for x in ci):
        if ci[1] - ci[0] > max_width:
            out.append(f"wide interval: ±{(ci[1] - ci[0]) / 2:.2f}")
    return out


def estimate(values: Sequence[float], groups: Sequence[Any], item: str, seed: int = 0,
             n_boot: int = N_BOOT, max_width: float | None = MAX_WIDTH) -> EstimateJson:
    """Mean of per-item values with a cluster-bootstrap 95% interval, the counts behind it and flags.

    `per_conversation` (sums, counts) is kept so that two datasets' figures can be compared later
    (`difference`) from the JSON alone. `max_width=None` for figures not on a 0-1 scale (lengths).
    """
    sums, counts = cluster_sums(values, groups)
    n = int(counts.sum())
    value = float(sums.sum() / n) if n else math.nan
    ci = cluster_bootstrap(sums, counts, seed, n_boot)
    method = "bootstrap over conversations"
    v = np.asarray(values, dtype=np.float64)
    if n and np.isin(v, (0.0, 1.0)).all():
        # 0/1 items: a rate of 0 or 1 (or very few clusters) collapses the bootstrap to one point;
        # the Wilson interval over the items keeps an honest width there, the bootstrap the clustering.
        w = wilson(float(v.sum()), n)
        ci = (w if not all(math.isfinite(x) for x in ci) else (min(ci[0], w[0]), max(ci[1], w[1])))
        method += " ∪ Wilson over items"
    return {"value": value, "ci": list(ci), "n": n, "item": item, "clusters": int(len(sums)),
            "method": method, "confidence": CONFIDENCE,
            "flags": flags(n, item, ci, len(sums), max_width=max_width),
            "per_conversation": {"sums": [round(float(x), 6) for x in sums], "counts": [int(x) for x in counts]}}


def proportion(successes: float, n: int, item: str) -> EstimateJson:
    """A proportion over independent trials with its Wilson 95% interval and flags."""
    ci = wilson(successes, n)
    return {"value": successes / n if n else math.nan, "ci": list(ci), "n": int(n), "item": item,
            "method": "Wilson score interval", "confidence": CONFIDENCE, "flags": flags(n, item, ci)}


def difference(a: EstimateJson, b: EstimateJson, seed: int = 0, n_boot: int = N_BOOT) -> DifferenceJson:
    """a - b for two independent `estimate`s (two datasets), with a 95% interval from independent bootstraps."""
    pa, pb = a.get("per_conversation"), b.get("per_conversation")
    if not pa or not pb:
        return {"value": math.nan, "ci": [math.nan, math.nan], "flags": ["no per-conversation data"]}
    sa, ca = np.asarray(pa["sums"], float), np.asarray(pa["counts"], float)
    sb, cb = np.asarray(pb["sums"], float), np.asarray(pb["counts"], float)
    value = float(sa.sum() / ca.sum() - sb.sum() / cb.sum()) if ca.sum() and cb.sum() else math.nan
    if len(sa) < 2 or len(sb) < 2:
        ci = (math.nan, math.nan)
    else:
        rng = np.random.default_rng(seed)
        ci = _percentiles(_ratio_replicates(sa, ca, n_boot, rng) - _ratio_replicates(sb, cb, n_boot, rng), CONFIDENCE)
    ci = _union(ci, mover(value, a, b))
    out_flags = [f for f in a.get("flags", []) + b.get("flags", []) if not f.startswith("wide")]
    return {"value": value, "ci": list(ci), "method": "independent bootstraps over conversations ∪ MOVER",
            "excludes_zero": bool(math.isfinite(ci[0]) and (ci[0] > 0 or ci[1] < 0)), "flags": sorted(set(out_flags))}


def mover(diff: float, a: EstimateJson, b: EstimateJson) -> tuple[float, float]:
    """Interval of a - b from the two figures' own intervals (MOVER, Zou & Donner 2008; Newcombe's method
    when both are Wilson): keeps a width where a bootstrap collapses (a rate of 0 in a small sample)."""
    (pa, (la, ua)), (pb, (lb, ub)) = (a.get("value"), a.get("ci") or (None, None)), (b.get("value"), b.get("ci") or (None, None))
    vals = [pa, la, ua, pb, lb, ub]
    if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in vals):
        return (math.nan, math.nan)
    return (diff - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2), diff + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2))


def _union(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    ok = [v for v in (x, y) if all(isinstance(e, (int, float)) and math.isfinite(e) for e in v)]
    return (min(v[0] for v in ok), max(v[1] for v in ok)) if ok else (math.nan, math.nan)


def paired_test(a: Sequence[float], b: Sequence[float], groups: Sequence[Any], seed: int = 0,
                n_perm: int = N_PERM, n_boot: int = N_BOOT) -> PairedTestJson:
    """Two systems on the same examples: mean(a - b), its paired-bootstrap 95% interval and a two-sided
    sign-flip permutation p-value, both over conversations."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.shape[0] != len(groups):
        raise ValueError(f"paired test needs equal-length results, got {a.shape}, {b.shape}, {len(groups)} groups")
    sums, counts = cluster_sums(a - b, groups)
    n = int(counts.sum())
    if n == 0:
        return {"diff": math.nan, "ci": [math.nan, math.nan], "p_value": math.nan, "n": 0, "clusters": 0,
                "flags": ["no shared examples"]}
    observed = float(sums.sum() / n)
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, n_perm, _CHUNK):
        signs = rng.choice(np.array([-1.0, 1.0]), size=(min(_CHUNK, n_perm - start), len(sums)))
        hits += int((np.abs(signs @ sums / n) >= abs(observed) - 1e-12).sum())
    ci = cluster_bootstrap(sums, counts, seed, n_boot)
    return {"diff": observed, "ci": list(ci), "p_value": (hits + 1) / (n_perm + 1), "n": n,
            "clusters": int(len(sums)), "method": "sign-flip permutation test + paired bootstrap over conversations",
            "flags": flags(n, "examples", None, len(sums))}


def spread(values: Sequence[float], bounds: tuple[float, float] = (-math.inf, math.inf)) -> SpreadJson:
    """mean ± sd over seeded draws, with the normal 95% range mean ± 1.96 sd as the interval, clipped to the
    figure's `bounds` (a distinct-n range reaching 1.08 would read as a possible value)."""
    v = np.asarray(values, dtype=np.float64)
    if not v.size:
        return {"mean": math.nan, "sd": math.nan, "ci": [math.nan, math.nan], "draws": 0}
    sd = float(v.std(ddof=1)) if v.size > 1 else 0.0
    z = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)
    lo, hi = float(v.mean() - z * sd), float(v.mean() + z * sd)
    return {"mean": float(v.mean()), "sd": sd, "ci": [max(bounds[0], lo), min(bounds[1], hi)], "draws": int(v.size)}


def auroc_interval(auroc: float, n_pos: int, n_neg: int) -> tuple[float, float]:
    """95% interval of an AUROC from the Hanley–McNeil (1982) standard error, clipped to [0, 1].

    Why this one: a checker's calibration record keeps the AUROC and its class counts, not the scores, so
    a bootstrap is impossible after the fact; Hanley–McNeil needs only those three numbers."""
    if not (n_pos > 0 and n_neg > 0) or auroc is None or not math.isfinite(auroc):
        return (math.nan, math.nan)
    q1, q2 = auroc / (2 - auroc), 2 * auroc * auroc / (1 + auroc)
    var = (auroc * (1 - auroc) + (n_pos - 1) * (q1 - auroc ** 2) + (n_neg - 1) * (q2 - auroc ** 2)) / (n_pos * n_neg)
    half = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2) * math.sqrt(max(var, 0.0))
    return (max(0.0, auroc - half), min(1.0, auroc + half))


def f1_interval(tp: int, fp: int, fn: int, tn: int, seed: int = 0, n_boot: int = N_BOOT) -> tuple[float, float]:
    """95% bootstrap interval of F1 from a confusion matrix: the labelled pairs are independent items, so
    resampling them is a multinomial draw over the four cells (F1 of a resample with no positives is 0)."""
    counts = np.array([tp, fp, fn, tn], dtype=np.int64)
    n = int(counts.sum())
    if n <= 0:
        return (math.nan, math.nan)
    draws = np.random.default_rng(seed).multinomial(n, counts / n, size=n_boot)
    denom = 2 * draws[:, 0] + draws[:, 1] + draws[:, 2]
    f1 = np.where(denom > 0, 2 * draws[:, 0] / np.where(denom > 0, denom, 1), 0.0)
    return _percentiles(f1, CONFIDENCE)


def fmt(block: Any, digits: int = 3, with_flags: bool = True) -> str:
    """"0.542 [0.480, 0.601]" (+ " ⚠ too few pairs: 3"); "—" where there is no number."""
    if not isinstance(block, dict):
        return "—" if block is None or (isinstance(block, float) and not math.isfinite(block)) else str(block)
    value = block.get("value", block.get("diff", block.get("mean")))
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        text = "—"
    else:
        text = f"{value:.{digits}f}"
        ci = block.get("ci") or []
        if len(ci) == 2 and all(isinstance(x, (int, float)) and math.isfinite(x) for x in ci):
            text += f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"
        elif "ci" in block:
            text += " [no interval]"
    if with_flags and block.get("flags"):
        text += " ⚠ " + "; ".join(block["flags"])
    return text
