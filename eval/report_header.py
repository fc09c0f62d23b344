"""The report's header: which results, from which sources, written when.

A report read later (or pushed beside a dataset) otherwise does not say what it measured: the tables name
datasets ("spc", "run") but not the run folder or Hub id behind them, nor how old the figures are. The
header lists every source the result files name and each file's modification time, in UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from .nup_result import NUPResult
from .quality_result import QualityResult


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def sources(nup: NUPResult | None, quality: QualityResult | None) -> list[tuple[str, str, str]]:
    """(role, dataset name, source) for every dataset the results name, in file order."""
    rows = []
    for role, sets in (("NUP train", nup.train_sets if nup else {}), ("NUP test", nup.test_sets if nup else {})):
        for name, info in sets.items():
            rows.append((role, name, (info.source or info.not_run if info else None) or "?"))
    for name, q in (quality.datasets if quality else {}).items():
        rows.append(("quality", name, q.source or (f"not run: {q.not_run}" if q.not_run else "?")))
    return rows


def header_markdown(out_dir: Path, files: list[str], nup: NUPResult | dict | None,
                    quality: QualityResult | dict | None, now: float | None = None) -> str:
    """The lines under the title: when, from which result files (with their times) and which sources
    (`nup.json` and `quality.json` as read, or their types)."""
    nup = NUPResult.from_json(nup) if nup is not None else None
    quality = QualityResult.from_json(quality) if quality is not None else None
    now = datetime.now(timezone.utc).timestamp() if now is None else now
    present = [f for f in files if (out_dir / f).is_file()]
    made = ", ".join(f"`{f}` ({_when((out_dir / f).stat().st_mtime)})" for f in present)
    lines = [f"Written {_when(now)} from the results in `{out_dir.name}`: {made or 'none'}.\n"]
    found = sources(nup, quality)
    if found:
        lines += ["| used for | dataset | source |", "|---|---|---|"]
        lines += [f"| {role} | {name} | `{src}` |" for role, name, src in found]
    return "\n".join(lines) + "\n"
