"""Inter-annotator agreement on nominal answers: Fleiss' kappa and Krippendorff's alpha.

Both are reported because they answer slightly different questions in practice: Fleiss' kappa needs
every item judged by the same number of people, so it only counts completed items; Krippendorff's
alpha accepts any number of judgements per item (a study that is still running, an annotator who
stopped), so it uses every pair of answers given. Both correct for agreement expected by chance from
the pooled answer distribution. A value is NaN (shown as "—") where it is undefined: fewer than two
judgements per item, or every answer identical (no variation to agree on).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Hashable, Iterable

Unit = Hashable


def _units(ratings: Iterable[tuple[Unit, Hashable]]) -> dict[Unit, list[Hashable]]:
    out: dict[Unit, list[Hashable]] = defaultdict(list)
    for unit, value in ratings:
        out[unit].append(value)
    return out


def fleiss_kappa(ratings: Iterable[tuple[Unit, Hashable]], raters: int | None = None) -> float:
    """Fleiss' kappa over the units judged exactly `raters` times (default: the most common count >= 2).
    `ratings` = (unit, category) pairs, one per judgement."""
    units = _units(ratings)
    if raters is None:
        counts = Counter(len(v) for v in units.values() if len(v) >= 2)
        if not counts:
            return math.nan
        raters = counts.most_common(1)[0][0]
    full = [Counter(v) for v in units.values() if len(v) == raters]
    if raters < 2 or not full:
        return math.nan
    n, total = raters, len(full) * raters
    p_bar = sum((sum(c * c for c in cnt.values()) - n) / (n * (n - 1)) for cnt in full) / len(full)
    pooled = Counter()
    for cnt in full:
        pooled.update(cnt)
    p_e = sum((c / total) ** 2 for c in pooled.values())
    return math.nan if p_e >= 1 else (p_bar - p_e) / (1 - p_e)


def krippendorff_alpha(ratings: Iterable[tuple[Unit, Hashable]]) -> float:
    """Krippendorff's alpha for nominal data, any number of judgements per unit (units with one are ignored)."""
    coincidence: dict[tuple[Hashable, Hashable], float] = defaultdict(float)
    for values in _units(ratings).values():
        m = len(values)
        if m < 2:
            continue
        for i, a in enumerate(values):
            for j, b in enumerate(values):
                if i != j:
                    coincidence[(a, b)] += 1 / (m - 1)
    marginals: dict[Hashable, float] = defaultdict(float)
    for (a, _), w in coincidence.items():
        marginals[a] += w
    n = sum(marginals.values())
    if n <= 1:
        return math.nan
    observed = sum(w for (a, b), w in coincidence.items() if a != b) / n
    expected = sum(marginals[a] * marginals[b] for a in marginals for b in marginals if a != b) / (n * (n - 1))
    return math.nan if expected == 0 else 1 - observed / expected
