"""The persona's effect on next-utterance prediction: the paper's "None" vs "Persona" condition and its Δ%.

The paper's key NUP finding (arXiv:2312.10007v1 §4.2, Table 2) is not a hits@1 alone but how much the persona
adds: each model is trained and tested once without the persona ("None") and once with it ("Persona"), and
the relative change is read as evidence that the conversations use their personas. `eval_nup.no_persona`
runs our rows in the "None" condition too (`crosstable.no_persona_condition`); this module measures the
effect row by row.

Why paired, and why over conversations: both conditions rank the same test examples against the same
candidates, so their hits are compared example by example; the examples of one conversation are
correlated, so the bootstrap and the permutation test resample conversations (`stats.paired_test`).
Δ% is a ratio of two sums (hits with / hits without − 1), so its interval comes from the same paired
bootstrap of that ratio; with no hit at all without the persona it is undefined ("—"), never infinite.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthetic_persona_chat.builder.nup import NUPExample

from . import stats as S
from .figures import Comparison, Estimate
from .nup_result import NUPCell, PersonaEffect
from .paper_nup import PAPER_NUP_FIGURES, REFERENCE_MODEL


def without_persona(rows: list[NUPExample]) -> list[NUPExample]:
    """The same NUP examples with no persona: `context_text` then shows the history alone."""
    return [{**r, "persona": []} for r in rows]


def relative_change(with_: np.ndarray, without: np.ndarray, groups: list[Any], seed: int = 0,
                    n_boot: int = S.N_BOOT) -> Estimate:
    """100 x (sum(with_) / sum(without) − 1) with a paired 95% bootstrap over conversations (each replicate
    resamples whole conversations, both conditions together)."""
    s_with, counts = S.cluster_sums(with_, groups)
    s_without, _ = S.cluster_sums(without, groups)
    n, clusters = int(counts.sum()), len(counts)
    value = 100 * (s_with.sum() / s_without.sum() - 1) if s_without.sum() > 0 else math.nan
    ci = [math.nan, math.nan]
    if clusters >= 2:
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, clusters, size=(n_boot, clusters))
        num, den = s_with[idx].sum(axis=1), s_without[idx].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            reps = np.where(den > 0, 100 * (num / np.where(den > 0, den, 1) - 1), np.nan)
        ci = list(S._percentiles(reps, S.CONFIDENCE))
    flags = S.flags(n, "examples", None, clusters)
    if not math.isfinite(value):
        flags.append("no hit without the persona: Δ% undefined")
    return Estimate(value=value, ci=ci, n=n, item="examples", clusters=clusters,
                    method="paired bootstrap over conversations (ratio of sums)", confidence=S.CONFIDENCE,
                    flags=flags)


def persona_effect(cell: NUPCell, none: NUPCell, ranks_with: np.ndarray, ranks_without: np.ndarray,
                   rows: list[NUPExample], seed: int = 0) -> PersonaEffect:
    """One row on one test set, both conditions measured on the same examples (gold ranks, 1 = first)."""
    groups = [r["conversation_id"] for r in rows]
    metric = f"hits@1/{len(rows[0]['candidates'])}"
    hit_with, hit_without = (ranks_with <= 1).astype(np.float64), (ranks_without <= 1).astype(np.float64)
    diff = S.paired_test(hit_with, hit_without, groups, seed=seed)
    return PersonaEffect(
        ranker=cell.ranker, train=cell.train, test=cell.test, metric=metric,
        none=float(hit_without.mean()), persona=float(hit_with.mean()),
        delta_pct=relative_change(hit_with, hit_without, groups, seed),
        difference=Comparison.from_json({"test": cell.test, "a": "persona", "b": "none", "metric": metric,
                                         **diff}))


def paper_delta_pct(ranker: str, train: str | None, test: str) -> float | None:
    """The paper's own Δ% of its Transformer (Ranker) for a fine-tuned row (Table 2 None -> Persona), if printed."""
    if ranker != "fine-tuned":
        return None
    by_persona = {f.persona: f.hits_at_1 for f in PAPER_NUP_FIGURES
                  if f.model == REFERENCE_MODEL and f.train == train and f.test == test}
    if set(by_persona) != {True, False} or not by_persona[False]:
        return None
    return 100 * (by_persona[True] / by_persona[False] - 1)
