"""The typed NUP cross-table result: what `crosstable` computes, `nup.json` stores, and the report, the
plots and the model cards render.

One class per JSON object of `nup.json` (`JsonRow`: the file format is unchanged, key order included):
a fine-tuned model, a cell (one ranker on one test set) and the whole result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synthetic_persona_chat.jsonrow import JsonRow, optional
# JsonRow fields say dict[str, JsonValue], not JsonObject: `get_type_hints` resolves the alias's inner
# "JsonValue" in the module that declares the field (as usergen/pairing.py does)
from synthetic_persona_chat.jsontypes import JsonValue

from .figures import Comparison, DataSetInfo, Estimate
from .paper_nup import PaperReferenceJson


@dataclass(kw_only=True)
class FineTunedModel(JsonRow):
    """A bi-encoder fine-tuned on one training set: its folder and what the training cost."""

    path: str
    train_examples: int | None = optional()
    seconds: float | None = optional()
    train_loss: float | None = optional()
    examples_per_second: float | None = optional()


@dataclass(kw_only=True)
class NUPCell(JsonRow):
    """One ranker (a baseline, or fine-tuned on `train`) on one test set: point metrics and their 95%
    intervals, or `not_run` with the reason. `train` is null for the baselines."""

    ranker: str
    train: str | None
    test: str
    metrics: dict[str, float] | None = optional()
    embedder_backend: str | None = optional()
    fallback: str | None = optional()
    intervals: dict[str, Estimate] | None = optional()
    not_run: str | None = optional()

    @property
    def row(self) -> tuple[str, str]:
        """The table row this cell sits in: (ranker, training set or "—")."""
        return self.ranker, self.train or "—"

    def label(self) -> str:
        """"fine-tuned (SPC)", or the baseline's name: how comparisons and plots name the row."""
        return f"{self.ranker} ({self.train})" if self.train else self.ranker


@dataclass(kw_only=True)
class PersonaEffect(JsonRow):
    """What the persona adds to one row on one test set (the paper's Table 2 "None" vs "Persona" and its Δ%):
    `delta_pct` = 100 x (hits@1 with persona / hits@1 without − 1), `difference` = with − without; both paired
    over the same test examples, intervals from a bootstrap over conversations."""

    ranker: str
    train: str | None
    test: str
    metric: str
    none: float | None
    persona: float | None
    delta_pct: Estimate
    difference: Comparison | None = optional()


@dataclass(kw_only=True)
class NoPersonaCondition(JsonRow):
    """The paper's "None" condition: every row again with the persona removed from training and test contexts
    (baselines first, then rankers fine-tuned without it), and each row's persona effect."""

    cells: list[NUPCell] = field(default_factory=list)
    models: dict[str, FineTunedModel] = field(default_factory=dict)
    effects: list[PersonaEffect] = field(default_factory=list)


@dataclass(kw_only=True)
class NUPResult(JsonRow):
    """`nup.json`: the configuration, the data sets, the cells (fine-tuned then baselines), the models and
    the paired comparisons; `eval nup` adds the preset, the paper's reference figures, the cards written and
    what was pushed."""

    config: dict[str, JsonValue] = field(default_factory=dict)  # asdict(NUPRunConfig): the settings as run
    train_sets: dict[str, DataSetInfo] = field(default_factory=dict)
    test_sets: dict[str, DataSetInfo] = field(default_factory=dict)
    cells: list[NUPCell] = field(default_factory=list)
    baselines: list[NUPCell] = field(default_factory=list)
    models: dict[str, FineTunedModel] = field(default_factory=dict)
    comparisons: list[Comparison] = field(default_factory=list)
    preset: str | None = optional()
    paper_reference: PaperReferenceJson | None = optional()  # paper_nup.as_json(): the published table
    cards: dict[str, str] | None = optional()
    pushed: dict[str, str] | None = optional()  # train set -> the commit URL the Hub answered the push with
    no_persona: NoPersonaCondition | None = optional()  # `eval_nup.no_persona`: the paper's "None" condition

    def all_cells(self) -> list[NUPCell]:
        """Baselines first, then the fine-tuned cells: the table's row order."""
        return self.baselines + self.cells
