"""Toxicity scorers: a scikit-learn classifier that ships offline, or any transformers classifier."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from .spec import ModelSpec

DEFAULT_TOXICITY = "profanity-check"


class ToxicityScorer(Protocol):
    kind: str

    def scores(self, texts: list[str]) -> np.ndarray:
        """Probability in [0, 1] that each text is toxic."""
        ...

    def describe(self) -> dict[str, Any]:
        ...


class ProfanityCheckScorer:
    """alt-profanity-check: a linear SVM over TF-IDF that ships its model in the wheel."""

    kind = "profanity-check"

    def __init__(self) -> None:
        from profanity_check import predict_prob

        self._predict_prob = predict_prob

    def scores(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self._predict_prob(list(texts)), dtype=np.float32)

    def describe(self) -> dict[str, Any]:
        from importlib.metadata import version

        return {"kind": self.kind, "model": f"alt-profanity-check {version('alt-profanity-check')}"}


class TransformersToxicityScorer:
    """A text-classification model (e.g. `unitary/toxic-bert`); the toxic label's probability."""

    kind = "transformers"

    def __init__(self, model: str, toxic_label: str = "toxic", device: str | None = None,
                 batch_size: int = 32) -> None:
        from transformers import pipeline

        self.model, self.toxic_label = model, toxic_label.lower()
        self._pipe = pipeline("text-classification", model=model, top_k=None, device=device)
        self.batch_size = batch_size

    def scores(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float32)
        out = self._pipe(list(texts), batch_size=self.batch_size, truncation=True)
        return np.array([max((d["score"] for d in row if d["label"].lower() == self.toxic_label),
                             default=0.0) for row in out], dtype=np.float32)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "model": self.model, "toxic_label": self.toxic_label}


def load_toxicity_scorer(spec: "str | dict[str, Any] | None" = DEFAULT_TOXICITY) -> ToxicityScorer:
    s = ModelSpec.parse(spec or DEFAULT_TOXICITY)
    if s.backend == "profanity-check":
        return ProfanityCheckScorer()
    if s.backend == "transformers":
        return TransformersToxicityScorer(s.model, **s.options)
    raise ValueError(f"unknown toxicity scorer {spec!r}; use profanity-check or transformers:MODEL")
