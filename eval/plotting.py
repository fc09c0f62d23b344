"""matplotlib for the report's PNG plots: headless, loaded on first use, saved one way.

matplotlib is imported inside `pyplot()` because it is heavy and only `spc eval report` draws.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any


def pyplot() -> Any:
    """`matplotlib.pyplot` on the Agg backend (no display needed)."""
    import matplotlib  # heavy: only the report draws

    matplotlib.use("Agg")
    logging.getLogger("matplotlib.category").setLevel(logging.WARNING)  # iteration labels are categories
    import matplotlib.pyplot as plt  # heavy: only the report draws

    return plt


def save_figure(fig: Any, path: Path) -> Path:
    """Lay out, write at 100 dpi (parents made) and close the figure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot().close(fig)
    return path


def bar_labels(values: list[float | None]) -> list[str]:
    """The text above each bar: a zero bar has no height, so without its "0" it reads as missing data;
    a missing value says "n/a" instead of drawing a zero."""
    return ["n/a" if v is None or v != v else "0" if v == 0 else f"{v:.2f}" for v in values]


def histogram_steps(bins: list[float], counts: list[int]) -> tuple[list[float], list[float], float]:
    """(edges, share per unit of x, share beyond the last closed bin) of a histogram with unequal bins.

    Drawn at equal widths, a 50-wide bin looked like a 5-wide one holding ten times as much; as share per
    unit on a real axis each bar's area is its share. The last bin is open-ended (up to a sentinel such as
    10,000) and is reported as a number, not drawn 9,900 units wide."""
    total = sum(counts) or 1
    edges = list(bins[:-1])
    density = [c / total / (hi - lo) for c, lo, hi in zip(counts[:-1], bins[:-2], bins[1:-1])]
    return edges, density, counts[-1] / total if counts else 0.0
