"""Shared by the benchmarks: write results as JSON plus a Markdown table, with the machine they ran on."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
# Real data for benchmarks (never shipped): ../shared/data beside the checkout, or $SPC_SHARED_DATA, as in the tests.
SHARED_DATA = Path(os.environ.get("SPC_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def write_results(name: str, rows: list[dict[str, Any]], columns: list[str], extra: dict[str, Any] | None = None,
                  out_dir: Path = RESULTS) -> tuple[Path, Path]:
    """`name`.json (machine + rows + extra) and `name`.md (a table of `columns`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "machine": machine(), "rows": rows, **(extra or {})}
    json_path = out_dir / f"{name}.json"
    json_path.write_text(json.dumps(payload, indent=2, default=str))
    lines = [f"# {name}", "", f"{payload['machine']['platform']}, {payload['machine']['cpus']} CPUs, "
             f"{payload['machine']['time']}", "", "| " + " | ".join(columns) + " |",
             "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(row.get(c, "")) for c in columns) + " |")
    for key, value in (extra or {}).items():
        lines += ["", f"**{key}**: {json.dumps(value, default=str)}"]
    md_path = out_dir / f"{name}.md"
    md_path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return json_path, md_path


def _fmt(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
