"""`toxicity-ensemble` (the default toxicity scorer): the mean logit of several toxicity scorers.

Why: a single scorer's false alarms on clean SPC conversations are everyday second-person lines it happens to score
high ("I bet your house is full of love.", "Are you afraid of heights?"), and which lines differ from one scorer to
the next, while an offensive line scores high under all of them. Since the cut must clear the clean tail, those
idiosyncratic lines are what cost recall; averaging logits keeps what the scorers agree on and shrinks what only
one of them believes. Measured side by side (docs/performance.md, "Toxicity expert calibration", round 6): the
default three members at a 1% budget catch more unseen offensive lines than any one of them at the same or a wider
budget, and reject no more clean conversations.

Default members, all on the bundled MiniLM: the round-6 LoRA adapter (`minilm-lora-toxicity`), the same recipe
trained with mined SPC hard negatives too (`minilm-lora-toxicity:mined`), and the frozen-vector head with its
n-gram model (`minilm-toxicity`): two fine-tuned encoders and one linear reader of another kind.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..jsontypes import JsonObject

DEFAULT_MEMBERS = ("minilm-lora-toxicity", "minilm-lora-toxicity:mined", "minilm-toxicity")
_EPS = 1e-7  # members' probabilities are clipped before the logit: a saturated 1.0 would be infinite


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


class EnsembleToxicityScorer:
    """Scores a line as the sigmoid of its members' mean logit."""

    kind = "toxicity-ensemble"

    def __init__(self, members: "list[Any] | None" = None, member_specs: "tuple[str, ...] | None" = None) -> None:
        if not members:
            raise ValueError("a toxicity ensemble needs at least one member scorer")
        self.members = list(members)
        specs = tuple(member_specs or ())
        # the shipped calibration belongs to the default members; any other set is keyed by its specs
        self.members_key = None if specs in ((), DEFAULT_MEMBERS) else "+".join(specs)

    @property
    def trained_on(self) -> JsonObject:
        """Every labelled line any member learnt from: the calibration's recall counts only the others."""
        keys = sorted({k for m in self.members for k in getattr(m, "trained_on", {}).get("labelled_keys", ())})
        return {"labelled_keys": keys}

    def scores(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        mean = np.mean([logit(m.scores(texts)) for m in self.members], axis=0)
        return (1.0 / (1.0 + np.exp(-mean))).astype(np.float32)

    def describe(self) -> JsonObject:
        return {"kind": self.kind, "combination": "sigmoid of the members' mean logit",
                "members": [m.describe() for m in self.members]}
