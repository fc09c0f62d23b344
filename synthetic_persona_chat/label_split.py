"""A seeded, stratified split of labelled items into a calibration part and a held-aside part.

A leaf module: the checker's calibration (generation/critic/calibrate.py) and the toxicity head's
training (models/toxicity_head.py) cut their labelled files the same way, and the model layer must not
import the Critic to do it.
"""

from __future__ import annotations

import math
import random
from typing import Any

NLI_LABELS = ("contradiction", "entailment", "neutral")


def split_labels(items: list[Any], seed: int = 0, fraction: float = 0.5, labels: tuple[str, ...] = NLI_LABELS
                 ) -> tuple[list[Any], list[Any]]:
    """(calibration, held-aside): each label shuffled with `seed` and cut at `fraction`, file order kept.

    Stratified so both parts keep the file's label balance; fraction 1.0 (or a tiny file) calibrates
    and reports on the same items, which the result then says. Any items with a `.label` in `labels`
    (the toxicity expert's labelled utterances and SPC conversations use it too).
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"calibration fraction must be in (0, 1], got {fraction}")
    rng = random.Random(seed)
    chosen: set[int] = set()
    for label in labels:
        idx = [i for i, it in enumerate(items) if it.label == label]
        rng.shuffle(idx)
        chosen.update(idx[:math.ceil(len(idx) * fraction)])
    calibration = [it for i, it in enumerate(items) if i in chosen]
    held = [it for i, it in enumerate(items) if i not in chosen]
    return calibration, held
