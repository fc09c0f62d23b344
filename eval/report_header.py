"""The report's header: which results, from which sources, written when.

A report read later (or pushed beside a dataset) otherwise does not say what it measured: the tables name
datasets ("spc", "run") but not the run folder or Hub id behind them, nor how old the figures are. The
header lists every source the result files name and each file's modification time, in UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def sources(nup: dict[str, Any] | None, quality: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(role, dataset name, source) for every dataset the results name, in file order."""
    rows = []
    for role, key in (("NUP train", "train_sets"), ("NUP test", "test_sets")):
        for name, info in ((nup or {}).get(key) or {}).items():
            rows.append((role, name, (info or {}).get("source") or (info or {}).get("not_run") or "?"))
    for name, q in ((quality or {}).get("datasets") or {}).items():
        rows.append(("quality", name, q.get("source") or (f"not run: {q['not_run']}" if q.get("not_run") else "?")))
    return rows


def header_markdown(out_dir: Path, files: list[str], nup: dict[str, Any] | None,
                    quality: dict[str, Any] | None, now: float | None = None) -> str:
    """The lines under the title: when, from which result files (with their times) and which sources."""
    now = datetime.now(timezone.utc).timestamp() if now is None else now
    present = [f for f in files if (out_dir / f).is_file()]
    made = ", ".join(f"`{f}` ({_when((out_dir / f).stat().st_mtime)})" for f in present)
    lines = [f"Written {_when(now)} from the results in `{out_dir.name}`: {made or 'none'}.\n"]
    found = sources(nup, quality)
    if found:
        lines += ["| used for | dataset | source |", "|---|---|---|"]
        lines += [f"| {role} | {name} | `{src}` |" for role, name, src in found]
    return "\n".join(lines) + "\n"
