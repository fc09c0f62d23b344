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
