"""The typed summary of `spc critic judge` (DIR/summary.json): pass rates overall and per expert, the
experts that could not run and why, and the contradiction checker that judged with its threshold and
calibration.

Why a type: `judge.py` writes it and the command's table prints it; both use these named fields
(`JsonRow`: the file format is unchanged, key order included).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...jsontypes import JsonValue
from ...jsonrow import JsonRow, optional
from ...models.calibration_record import Calibration


@dataclass(kw_only=True)
class CheckerSummary(JsonRow):
    """The contradiction checker, the threshold used and where it came from (its calibration or the config)."""

    checker: dict[str, JsonValue]  # the checker's describe(), verbatim
    threshold: float
    threshold_source: str
    calibration: Calibration | None
    max_contradictions: int
    max_nli_pairs: int | str  # "all" when every pair is checked

    def figures(self) -> str:
        """"auroc 0.95, f1 0.78" from the calibration, or "" when it has none."""
        cal = self.calibration
        values = (("auroc", cal.auroc), ("f1", cal.f1)) if cal is not None else ()
        return ", ".join(f"{k} {v:.2f}" for k, v in values if isinstance(v, (int, float)))


@dataclass(kw_only=True)
class JudgeSummary(JsonRow):
    """What `spc critic judge` measured on one source."""

    input: str | None = optional()
    split: str | None = optional()
    conversations: int
    passed: int
    pass_rate: float | None
    pass_rates: dict[str, float] = field(default_factory=dict)
    experts: list[str] = field(default_factory=list)
    not_run: dict[str, str] = field(default_factory=dict)
    faithfulness: CheckerSummary | None = optional()
    skipped_records: int | None = optional()
