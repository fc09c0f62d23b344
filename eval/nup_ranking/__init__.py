"""The `evaluate` metric module of next-utterance prediction: `evaluate.load(metric_path())`."""

from pathlib import Path


def metric_path() -> str:
    """The folder `evaluate.load` takes (offline, no Hub): it holds `nup_ranking.py`."""
    return str(Path(__file__).parent)
