"""The typed generative-track result: what `generative_table` computes, `generative.json` stores, and the
report and the SFT model cards render (`JsonRow`: the file format is unchanged, key order included).

A cell's `metrics` stays the object `generative_metrics` writes: its keys follow the candidate count
(`hits@1/20`) and it carries per-example arrays for the paired tests; `GenerativeCell.estimate` reads the
figures out of it by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synthetic_persona_chat.jsonrow import JsonRow, optional
# JsonRow fields say dict[str, JsonValue], not JsonObject: `get_type_hints` resolves the alias's inner
# "JsonValue" in the module that declares the field (as usergen/pairing.py does)
from synthetic_persona_chat.jsontypes import JsonValue

from .figures import Comparison, DataSetInfo, Estimate
from .generative_metrics import hits_key

BASE = "none"  # the row of the base model, trained on nothing


@dataclass(kw_only=True)
class SFTModel(JsonRow):
    """A causal LM of the table: the base model (its name only) or one fine-tuned with TRL and what the
    training cost; `card` is the model card written beside it."""

    path: str | None = optional()
    rows: int | None = optional()
    steps: int | None = optional()
    train_tokens: int | None = optional()
    seconds: float | None = optional()
    train_loss: float | None = optional()
    tokens_per_second: float | None = optional()
    card: str | None = optional()
    not_run: str | None = optional()


@dataclass(kw_only=True)
class GenerativeCell(JsonRow):
    """One model (`train`: the training set, or "none" for the base model) on one test set: ConvAI2's
    generative metrics, or `not_run` with the reason."""

    train: str
    test: str
    metrics: dict[str, JsonValue] | None = optional()  # generative_metrics(): figures + per-example arrays, verbatim
    not_run: str | None = optional()

    def estimate(self, key: str) -> Estimate | None:
        """"perplexity", "f1", "hits@1" (whatever the candidate count) or "contradiction" (the persona
        checker's flag rate) as an Estimate; None where the cell has no such figure."""
        m = self.metrics or {}
        if key == "contradiction":
            block = (m.get("persona_consistency") or {}).get("estimate")
        else:
            block = m.get(hits_key(m) if key == "hits@1" else key)
        return Estimate.from_json(block) if block is not None else None


@dataclass(kw_only=True)
class GenerativeResult(JsonRow):
    """`generative.json`: the configuration, the data sets, the models, the cells, the paired comparisons
    against the base model, the contradiction checker's description (with its calibration) and the preset."""

    config: dict[str, JsonValue] = field(default_factory=dict)  # asdict(SFTRunConfig): the settings as run
    train_sets: dict[str, DataSetInfo] = field(default_factory=dict)
    test_sets: dict[str, DataSetInfo] = field(default_factory=dict)
    models: dict[str, SFTModel] = field(default_factory=dict)
    cells: list[GenerativeCell] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    checker: dict[str, JsonValue] | None = None  # the checker's describe(): kind, model, calibration record, verbatim
    preset: str | None = optional()
