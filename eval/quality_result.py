"""The typed quality result: one `DatasetQuality` per dataset of `quality.json` (the "quality rows"), as
`quality.py` measures them, `eval quality` writes them, and the report's tables and checks read them
(`JsonRow`: the file format is unchanged, key order included).

The size-matched diversity is typed in `diversity_result.py`; the AI-detection test is a `DetectionJson`
(a TypedDict: `detection.detection_test` and the tests index it as the dict it is); the models' descriptions
stay verbatim JSON objects (each backend describes itself with its own keys).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

from synthetic_persona_chat.builder.skips import SkipRecord
from synthetic_persona_chat.jsonrow import JsonRow, keyed, optional
# JsonRow fields say dict[str, JsonValue], not JsonObject: `get_type_hints` resolves the alias's inner
# "JsonValue" in the module that declares the field (as usergen/pairing.py does)
from synthetic_persona_chat.jsontypes import JsonObject, JsonValue

from .diversity_result import SizeMatched
from .figures import Estimate


class IterationLosses(TypedDict):
    """The AI-detection test over one iteration's synthetic conversations."""

    pairs: int
    losing_rate: float
    same_users: int  # pairs whose real conversation has the synthetic one's two users


class DetectionJson(TypedDict, total=False):
    """`quality.json`'s `detection`: `detection.detection_test`'s result, the datasets `eval quality` compared
    (`real`, `synthetic`, `real_source`), or only `not_run` when the test could not run."""

    judge: JsonObject  # the judge's describe()
    pairs: int
    losing_rate: float | None
    by_iteration: dict[str, IterationLosses]  # iteration ("1", ..., or "none") -> its pairs
    pairing: dict[str, int]  # how the pairs were made (`same_users.pairing_summary`)
    undecided: int  # LLM-judge answers that named neither conversation (counted as a tie)
    reference: str  # the paper's human figures, as the report cites them
    real: str
    synthetic: str
    real_source: str | None
    not_run: str


class _Rate:
    """A rate of a dataset (contradiction, coverage, toxicity): its point figure, its interval, or why not."""

    estimate: Estimate | None
    not_run: str | None

    def point(self) -> float | None:
        raise NotImplementedError

    def text(self) -> str:
        """"0.120 [0.080, 0.170] ⚠ flags", "0.120 (no interval)" or "not run: <why>"."""
        if self.not_run is not None:
            return f"not run: {self.not_run}"
        if self.estimate is not None:
            return self.estimate.text()
        value = self.point()
        return f"{'—' if value is None or value != value else f'{value:.3f}'} (no interval)"


@dataclass(kw_only=True)
class Diversity(JsonRow):
    """Whole-corpus lexical diversity (size-dependent: compare datasets with the size-matched figures)."""

    distinct_1: float = keyed("distinct-1")
    distinct_2: float = keyed("distinct-2")
    vocabulary: int
    utterances: int
    conversations: int


@dataclass(kw_only=True)
class Lengths(JsonRow):
    """Words per utterance and turns per conversation: summaries (`metrics.describe`), histograms and
    means with intervals."""

    utterance_words: dict[str, float]
    turns: dict[str, float]
    utterance_words_histogram: dict[str, list[int]]
    turns_histogram: dict[str, list[int]]
    estimates: dict[str, Estimate] | None = optional()


@dataclass(kw_only=True)
class TemplateLeftovers(JsonRow):
    count: int
    conversations: int
    conversation_rate: Estimate | None = optional()
    examples: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class Toxicity(_Rate, JsonRow):
    rate: float | None = optional()
    toxic_utterances: int | None = optional()
    conversations_with_toxic: int | None = optional()
    threshold: float | None = optional()
    estimate: Estimate | None = optional()
    scorer: Any = optional()  # the scorer's describe(), verbatim
    not_run: str | None = optional()

    def point(self) -> float | None:
        return self.rate


@dataclass(kw_only=True)
class Faithfulness(_Rate, JsonRow):
    """Contradiction rate of utterances against their speaker's own persona, and the checker that judged."""

    contradiction_rate: float | None = optional()
    checked: int | None = optional()
    of: int | None = optional()
    undecided: int | None = optional()
    threshold: float | None = optional()
    estimate: Estimate | None = optional()
    checker: dict[str, JsonValue] | None = optional()  # describe() + its calibration record, verbatim
    not_run: str | None = optional()

    def point(self) -> float | None:
        return self.contradiction_rate


@dataclass(kw_only=True)
class PersonaCoverage(_Rate, JsonRow):
    coverage: float | None = optional()
    attributes: int | None = optional()
    threshold: float | None = optional()
    embedder: str | None = optional()
    estimate: Estimate | None = optional()
    not_run: str | None = optional()

    def point(self) -> float | None:
        return self.coverage


@dataclass(kw_only=True)
class IterationQuality(JsonRow):
    """One Critic iteration's conversations of a run: diversity, leftovers and mean utterance length."""

    diversity: Diversity
    template_leftovers: int
    mean_utterance_words: float | None


@dataclass(kw_only=True)
class DatasetQuality(JsonRow):
    """Every quality figure of one dataset (`quality.dataset_quality`), where it came from, or why not."""

    diversity: Diversity | None = optional()
    lengths: Lengths | None = optional()
    template_leftovers: TemplateLeftovers | None = optional()
    toxicity: Toxicity | None = optional()
    faithfulness: Faithfulness | None = optional()
    persona_coverage: PersonaCoverage | None = optional()
    by_iteration: dict[str, IterationQuality] | None = optional()
    source: str | None = optional()
    skipped_records: int | None = optional()
    skip_reasons: list[SkipRecord] | None = optional()  # the first Skip.to_dict() records, verbatim
    not_run: str | None = optional()

    def rates(self) -> dict[str, _Rate | None]:
        """The three rates the difference table compares, by their table names."""
        return {"contradiction rate": self.faithfulness, "persona coverage": self.persona_coverage,
                "toxicity rate": self.toxicity}


@dataclass(kw_only=True)
class QualityResult(JsonRow):
    """`quality.json`: the settings, one `DatasetQuality` per dataset, then the size-matched diversity, the
    AI-detection test and the models used."""

    config: dict[str, JsonValue] = field(default_factory=dict)  # asdict(QualityConfig): the settings as run
    datasets: dict[str, DatasetQuality] = field(default_factory=dict)
    size_matched_diversity: SizeMatched | None = optional()
    size_matched_by_iteration: dict[str, SizeMatched] | None = optional()  # generated dataset -> its iterations
    detection: DetectionJson | None = optional()
    models: dict[str, JsonValue] | None = optional()  # role -> the model's describe() (None: not used)

    def seed(self) -> int:
        return int(self.config.get("seed", 0))
