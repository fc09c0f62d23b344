"""Whether an evaluation measured anything: a report whose every cell is "not run" is a failure.

`spc eval quality` and `spc eval nup` used to exit 0 with a table of "not run" cells (every
source missing or unreadable), which a script or CI job reads as success. The report files are
still written, so the reasons can be read; the command then exits with `NothingMeasuredError`'s
code (README, "Exit codes").
"""

from __future__ import annotations

from synthetic_persona_chat.errors import NothingMeasuredError

from .nup_result import NUPResult
from .quality_result import QualityResult


def require_quality_measured(result: QualityResult) -> None:
    """At least one dataset measured (`spc eval quality`)."""
    datasets = result.datasets
    if datasets and all(d.not_run is not None for d in datasets.values()):
        reasons = "; ".join(f"{name}: {d.not_run}" for name, d in datasets.items())
        raise NothingMeasuredError(f"no dataset could be measured ({reasons}); fix the --dataset sources")


def require_nup_measured(result: NUPResult) -> None:
    """At least one cell of the NUP table (a baseline or a fine-tuned ranker) measured (`spc eval nup`)."""
    cells = result.all_cells()
    if all(c.not_run is not None for c in cells):
        reasons = sorted({c.not_run for c in cells}) or ["no test set"]
        raise NothingMeasuredError(f"every NUP cell is 'not run' ({'; '.join(reasons[:3])}); fix the "
                                   f"--spc/--persona-chat-*/--run sources")
