"""The contradiction checker's calibration as the reports print it: AUROC and F1 with intervals and flags.

Its own module because every table that shows a rate measured by the checker (the quality table, the
generative track's persona-consistency row) prints the checker's calibration beside it.
"""

from __future__ import annotations

import math
from typing import Any, TypedDict

from synthetic_persona_chat.jsontypes import JsonObject
from synthetic_persona_chat.models.calibration_record import Calibration

from . import stats as S

AUROC_WARNING = 0.7


class CalibrationEstimate(TypedDict):
    """The checker's AUROC and F1 with their intervals (`{value, ci, method}`), the labelled pairs behind them,
    flags and warnings: report.json's `derived.checker_calibration` entries."""

    auroc: S.EstimateJson
    f1: S.EstimateJson
    n: int | None
    n_contradiction: int | None
    flags: list[str]
    warnings: list[str]


def calibration_estimate(checker: JsonObject | None, seed: int = 0) -> CalibrationEstimate | None:
    """The checker's AUROC and F1 with 95% intervals, flags and warnings; None when it was never calibrated.

    The calibration is itself an estimate on a few labelled pairs, so it gets intervals (Hanley–McNeil for
    AUROC from the class counts, a bootstrap of the confusion matrix for F1) and flags; a warning when the
    AUROC, or its interval, falls below 0.7."""
    record = (checker or {}).get("calibration")
    cal = Calibration.from_json(record) if record else None
    if cal is None or cal.auroc is None:
        return None
    n, pos = cal.n, cal.n_contradiction
    auroc_ci = S.auroc_interval(cal.auroc, pos, n - pos) if n is not None and pos is not None else None
    cells = cal.confusion()
    f1_ci = S.f1_interval(*cells, seed=seed) if cells else None
    warnings = []
    if cal.auroc < AUROC_WARNING:
        warnings.append(f"AUROC < {AUROC_WARNING}: the contradiction rate is not reliable")
    elif auroc_ci and math.isfinite(auroc_ci[0]) and auroc_ci[0] < AUROC_WARNING:
        warnings.append(f"the AUROC's interval reaches below {AUROC_WARNING}")
    return CalibrationEstimate(
        auroc={"value": cal.auroc, "ci": list(auroc_ci) if auroc_ci else None,
               "method": "Hanley-McNeil normal approximation"},
        f1={"value": cal.f1, "ci": list(f1_ci) if f1_ci else None, "method": "bootstrap of the confusion matrix"},
        n=n, n_contradiction=pos, flags=S.flags(n, "labelled pairs", auroc_ci) if n is not None else [],
        warnings=warnings)


def calibration_text(checker: JsonObject | None, seed: int = 0) -> str:
    """"AUROC 0.756 [0.649, 0.863], F1 0.639 [0.492, 0.761] (n = 99 labelled pairs, 33 contradictions) ⚠ ..."
    or "checker not calibrated" (`calibration_estimate`)."""
    est = calibration_estimate(checker, seed)
    if est is None:
        return "checker not calibrated"
    auroc, f1 = est["auroc"], est["f1"]
    text = f"AUROC {_with_ci(auroc['value'], auroc['ci'])}, F1 {_with_ci(f1['value'], f1['ci'])}"
    if est["n"] is not None:
        pos = est["n_contradiction"]
        text += f" (n = {est['n']} labelled pairs" + (f", {pos} contradictions)" if pos is not None else ")")
    text += f" ⚠ {'; '.join(est['flags'])}" if est["flags"] else ""
    return text + "".join(f" ⚠ {w}" for w in est["warnings"])


def _with_ci(value: Any, ci: Any) -> str:
    """"0.756 [0.652, 0.860]", or the value with "[no interval: counts not recorded]"."""
    if value is None:
        return "—"
    if ci and all(math.isfinite(x) for x in ci):
        return f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"
    return f"{value:.3f} [no interval: counts not recorded]"
