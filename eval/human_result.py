"""The typed human-evaluation result: what `spc annotate results` computes, `human.json` stores and the
report's "Human evaluation" section renders.

One class per JSON object of `human.json` (`JsonRow`: the file format is unchanged, key order included),
so the writer (`annotate/results.py`) and the reader (`eval/human_report.py`) share one picture of the file
instead of each spelling its keys. The rates are `Estimate`s (Wilson intervals over judgements).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synthetic_persona_chat.jsonrow import JsonRow, optional
# JsonRow fields say dict[str, JsonValue], not JsonObject: `get_type_hints` resolves the alias's inner
# "JsonValue" in the module that declares the field (as usergen/pairing.py does)
from synthetic_persona_chat.jsontypes import JsonValue

from .figures import Estimate


@dataclass(kw_only=True)
class TuringRate(JsonRow):
    """One synthetic dataset at one iteration in the Turing task: how often the synthetic conversation was
    named machine-written (`losing_rate`, the paper's), the human one (`fooled_rate`), or neither."""

    dataset: str
    iteration: int | None
    judgements: int
    losing_rate: Estimate
    fooled_rate: Estimate
    unsure_rate: Estimate
    same_users: int | None = optional()  # judgements of pairs on the same two users (absent before #28)


@dataclass(kw_only=True)
class AspectRate(JsonRow):
    """One quality aspect over every pairwise judgement: synthetic wins, ties, real wins and "cannot tell"
    (`unsure_rate` is absent from files written before that answer existed)."""

    aspect: str
    judgements: int
    win_rate: Estimate
    tie_rate: Estimate
    lose_rate: Estimate
    unsure_rate: Estimate | None = optional()


@dataclass(kw_only=True)
class ContradictionRate(JsonRow):
    """One dataset at one iteration in the faithfulness task: how often the speaker was judged to
    contradict their persona (the human-written dataset included, as the baseline)."""

    dataset: str
    iteration: int | None
    judgements: int
    contradiction_rate: Estimate


@dataclass(kw_only=True)
class AttributeRate(JsonRow):
    """One dataset at one iteration in the paper's eight-option faithfulness question (`annotate/attributes.py`):
    the share of picked attributes that are the speaker's (`precision`, the paper's figure), the share of the
    speaker's shown attributes picked (`recall`), and how often each distractor kind was picked."""

    dataset: str
    iteration: int | None
    judgements: int
    precision: Estimate
    recall: Estimate
    negated_picked: Estimate
    other_picked: Estimate


@dataclass(kw_only=True)
class Agreement(JsonRow):
    """Inter-annotator agreement of one task on the raw answers (null where it is undefined)."""

    fleiss_kappa: float | None
    krippendorff_alpha: float | None
    units: int
    judgements: int


@dataclass(kw_only=True)
class HumanResult(JsonRow):
    """`human.json`: the study, its design, the definitions in words, how many answers are in, and the
    figures of each task (agreement only for tasks with answers)."""

    study: str
    config: dict[str, JsonValue] = field(default_factory=dict)  # StudyConfig.to_dict(): the design as run, verbatim
    definitions: dict[str, str] = field(default_factory=dict)
    answers: int
    expected_answers: int
    items: int
    turing: list[TuringRate] = field(default_factory=list)
    quality: list[AspectRate] = field(default_factory=list)
    faithfulness: list[ContradictionRate] = field(default_factory=list)
    agreement: dict[str, Agreement] = field(default_factory=dict)
    attributes: list[AttributeRate] | None = optional()  # the eight-option question, where the study asked it
