"""Typed pieces every eval result file shares: an estimate with its 95% interval, a paired comparison, and
the description of a data set as used.

Why: `nup.json`, `generative.json` and `quality.json` carry these shapes (`stats.estimate` /
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

    def note(self) -> str:
        """The table-notes line: the difference, its p-value, what it rests on and its flags."""
        flags = f" ⚠ {'; '.join(self.flags)}" if self.flags else ""
        return (f"- {self.test}: {self.a} − {self.b} {self.metric} = {self.text()}, p = {self.p_value:.4f} "
                f"({self.n} examples, {self.clusters} conversations; paired permutation test over conversations)"
                f"{flags}")


@dataclass(kw_only=True)
class DataSetInfo(JsonRow):
    """A training or test set as a table used it: where it came from and how much of it (records skipped
    while reading it, examples skipped while building prompts), or why it was not used."""

    source: str | None = optional()
    conversations: int | None = optional()
    of: int | None = optional()
    examples: int | None = optional()
    skipped_records: int | None = optional()
    skipped_examples: int | None = optional()
    skip_reasons: list[str] | None = optional()
    not_run: str | None = optional()
