"""A contradiction checker's calibration: the record `spc critic calibrate` measures and writes, the
shipped `contradiction_calibration.json` holds per checker, and a checker's `describe()` carries.

Why a type: the threshold the Critic uses, the calibration line the reports print beside every
contradiction rate, and the interval estimates of AUROC and F1 all read the same record; each reads
named fields here instead of its own `.get("tp")`. `JsonRow`: written in the order `calibrate` writes
it, and an older or newer record's other keys are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from ..jsonrow import JsonRow, optional
from ..jsontypes import JsonValue


@dataclass(kw_only=True)
class Calibration(JsonRow):
    """Threshold chosen on the calibration part, figures at it on the held-aside part (`evaluated_on`), with
    the confusion counts behind them; `calibration_part` and `strict` (a precision-first threshold) are
    the same figures as nested records. Every field is optional: hand-written and older records hold fewer."""

    checker: dict[str, JsonValue] | None = optional()  # the checker's describe() when calibrate wrote the record
    threshold: float | None = optional()
    min_precision: float | None = optional()
    n: int | None = optional()
    n_contradiction: int | None = optional()
    auroc: float | None = optional()
    precision: float | None = optional()
    recall: float | None = optional()
    f1: float | None = optional()
    tp: int | None = optional()
    fp: int | None = optional()
    fn: int | None = optional()
    tn: int | None = optional()
    evaluated_on: str | None = optional()
    split: dict[str, float] | None = optional()  # seed, calibration_fraction, calibration_n, held_aside_n
    calibration_part: Calibration | None = optional()
    strict: Calibration | None = optional()
    by_label_mean_score: dict[str, float] | None = optional()
    labels: dict[str, JsonValue] | None = optional()  # the labelled file it was measured on

    def confusion(self) -> tuple[int, int, int, int] | None:
        """(tp, fp, fn, tn) when all four were recorded (the F1 interval needs them), else None."""
        cells = (self.tp, self.fp, self.fn, self.tn)
        return cells if all(isinstance(c, int) for c in cells) else None  # type: ignore[return-value]
