"""Typed figures of the eval result files: an estimate with its 95% interval, and a paired comparison.

Why: `nup.json`, `generative.json` and `quality.json` all carry these two shapes (`stats.estimate` /
`stats.proportion` and `stats.paired_test` write them); the renderers read them through these classes
instead of each looking up `"ci"` and `"flags"` itself. `stats` keeps producing plain dicts (its callers
compute with them); the result builders wrap them here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synthetic_persona_chat.jsonrow import JsonRow, optional

from . import stats as S


@dataclass(kw_only=True)
class Estimate(JsonRow):
    """A mean or a rate with its interval: `value [lo, hi]`, the counts behind it and its flags
    (value and ci are null where there was nothing to measure)."""

    value: float | None
    ci: list[float | None]
    n: int | None = optional()
    item: str | None = optional()
    clusters: int | None = optional()
    method: str | None = optional()
    confidence: float | None = optional()
    flags: list[str] | None = optional()

    def text(self, digits: int = 3, with_flags: bool = True) -> str:
        """"0.542 [0.480, 0.601] ⚠ flags", as every table prints it."""
        return S.fmt(self.to_json(), digits, with_flags)


@dataclass(kw_only=True)
class Comparison(JsonRow):
    """Two systems on the same test examples (`stats.paired_test`): `a − b` with its paired interval and
    permutation p-value, over conversations. `better` (+1/−1) says which sign is an improvement, where the
    metric has one (generative table)."""

    test: str
    a: str
    b: str
    metric: str
    better: int | None = optional()
    diff: float | None
    ci: list[float | None]
    p_value: float | None
    n: int
    clusters: int
    method: str | None = optional()
    flags: list[str] = field(default_factory=list)

    def text(self, digits: int = 3) -> str:
        return S.fmt(self.to_json(), digits, with_flags=False)
