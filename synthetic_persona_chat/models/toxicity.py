"""Toxicity scorers: an ensemble of the ones below (the default, toxicity_ensemble.py), MiniLM fine-tuned with LoRA
(toxicity_lora.py), MiniLM vectors + a trained head, profanity-check, or any transformers classifier.

Each scorer's threshold is measured, not guessed: `spc critic calibrate --expert toxicity` picks it on
clean SPC conversations and inserted offensive lines, and the release's measurements ship in
`toxicity_calibration.json`, keyed by `toxicity_key` (docs/critic.md has the figures).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..jsontypes import JsonObject
from .bundled import DEFAULT_TOXICITY
from .embedder import Embedder
from .spec import ModelSpec
from .toxicity_ensemble import DEFAULT_MEMBERS, EnsembleToxicityScorer
from .toxicity_features import PooledEncoder
from .toxicity_head import features, head_scores, load_head
from .toxicity_lora import LoraToxicityScorer


class ToxicityScorer(Protocol):
    kind: str

    def scores(self, texts: list[str]) -> np.ndarray:
        """Probability in [0, 1] that each text is toxic."""
        ...

    def describe(self) -> JsonObject:
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

    def describe(self) -> JsonObject:
        from importlib.metadata import version

        return {"kind": self.kind, "model": f"alt-profanity-check {version('alt-profanity-check')}"}


class MiniLMToxicityScorer:
    """`minilm-toxicity`: the bundled MiniLM's pooled token vectors, profanity-check's probability and hashed
    n-grams, weighed by logistic models trained on the package's labelled lines (toxicity_head.py says why)."""

    kind = "minilm-toxicity"

    def __init__(self, head: "str | None" = None, embedder: Any = None) -> None:
        from profanity_check import predict_prob  # optional heavy: scikit-learn, loaded on use

        self.head_file = head
        self._head = load_head(head)
        self._embedder = head_encoder(self._head, embedder or Embedder("minilm"))
        self._predict_prob = predict_prob

    @property
    def trained_on(self) -> JsonObject:
        return self._head["trained_on"]

    def scores(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float32)
        texts = list(texts)
        return head_scores(self._head, features(texts, self._embedder, self._predict_prob), texts)

    def describe(self) -> JsonObject:
        from importlib.metadata import version

        trained = {k: v for k, v in self._head["trained_on"].items() if k != "labelled_keys"}
        return {"kind": self.kind, "model": f"{self._embedder.model} + alt-profanity-check "
                f"{version('alt-profanity-check')} + logistic head", "head": self.head_file or "shipped",
                "trained_on": trained}


def head_encoder(head: JsonObject, embedder: Any) -> Any:
    """What a head reads: the sentence vector alone (a head of rounds 1-3: one weight a dimension, plus one), or
    the pooled token vectors (the shipped head since round 4)."""
    return embedder if len(head["weights"]) == embedder.dim + 1 else PooledEncoder(embedder)


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

    def describe(self) -> JsonObject:
        return {"kind": self.kind, "model": self.model, "toxic_label": self.toxic_label}


CALIBRATION_FILE = "toxicity_calibration.json"


def load_toxicity_scorer(spec: "str | JsonObject | None" = DEFAULT_TOXICITY,
                         vector_cache: "str | Path | None" = None) -> ToxicityScorer:
    """`vector_cache`: minilm-toxicity keeps its MiniLM vectors there (the run's embedding cache file: its
    keys name the model and backend, so the embedder's own vectors of the same texts are shared)."""
    s = ModelSpec.parse(spec or DEFAULT_TOXICITY)
    if s.backend == "toxicity-ensemble":
        members = s.options.get("members") or DEFAULT_MEMBERS
        if isinstance(members, str) or not isinstance(members, (list, tuple)):
            raise ValueError(f"toxicity-ensemble members must be a list of toxicity specs, got {members!r}")
        specs = tuple(members)
        return EnsembleToxicityScorer([load_toxicity_scorer(m, vector_cache) for m in specs], member_specs=specs)
    if s.backend == "minilm-lora-toxicity":
        options = dict(s.options)
        return LoraToxicityScorer(adapter=s.model or options.pop("adapter", None), **options)
    if s.backend == "minilm-toxicity":
        return MiniLMToxicityScorer(head=s.model or s.options.get("head"),
                                    embedder=Embedder("minilm", cache_path=vector_cache))
    if s.backend == "profanity-check":
        return ProfanityCheckScorer()
    if s.backend == "transformers":
        return TransformersToxicityScorer(s.model, **s.options)
    raise ValueError(f"unknown toxicity scorer {spec!r}; use toxicity-ensemble, minilm-lora-toxicity, minilm-toxicity, "
                     "profanity-check or transformers:MODEL")


def toxicity_key(scorer: Any) -> str:
    """Which shipped calibration belongs to a scorer: its kind, and its model or head file."""
    model = getattr(scorer, "model", None) if scorer.kind == "transformers" else \
        getattr(scorer, "head_file", None) or getattr(scorer, "adapter_file", None) or getattr(scorer, "members_key", None)
    return f"{scorer.kind}:{model}" if model else scorer.kind


def shipped_toxicity_calibration(key: str) -> JsonObject | None:
    path = resources.files("synthetic_persona_chat.models") / CALIBRATION_FILE
    return json.loads(path.read_text(encoding="utf-8")).get(key) if path.is_file() else None


def ship_calibration(key: str, result: JsonObject) -> Path:
    """Store a `spc critic calibrate --expert toxicity` result as scorer `key`'s release calibration
    (the figures that matter, without the missed lines or machine-specific paths)."""
    path = Path(__file__).with_name(CALIBRATION_FILE)
    shipped = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    keep = {k: result[k] for k in ("threshold", "max_conversation_fpr", "evaluated_on", "split", "conversation_fpr",
                                   "hard_negative_fpr", "auroc", "calibration_part", "at_0.5") if k in result}
    keep["inserted_recall"] = {k: v for k, v in result["inserted_recall"].items() if k != "missed"}
    data = result.get("data", {})
    keep["data"] = {**data, "labels": Path(data["labels"]).name} if "labels" in data else data
    shipped[key] = keep
    path.write_text(json.dumps(shipped, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def calibrated_threshold(scorer: Any) -> tuple[float, str]:
    """(threshold, where it came from): the release's measured cut for this scorer, else an uncalibrated 0.5."""
    cal = shipped_toxicity_calibration(toxicity_key(scorer))
    if cal and "threshold" in cal:
        return float(cal["threshold"]), (f"calibrated: clean-conversation false positives <= "
                                         f"{cal.get('max_conversation_fpr')}")
    return 0.5, "uncalibrated default"
