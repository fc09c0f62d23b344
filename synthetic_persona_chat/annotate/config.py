"""What a human study asks, of whom, and how much: `StudyConfig`.

The numbers are tied together on purpose: `annotators x items_per_annotator` judgements are spread so
that every item gets exactly `overlap` judges, hence `items = annotators x items_per_annotator / overlap`.
Equal overlap on every item is what Fleiss' kappa needs, and it makes each item's verdict a majority
of the same number of people. The seed fixes which conversations are shown and on which side; the
invite tokens are secrets and never come from it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from synthetic_persona_chat import strict_yaml
from synthetic_persona_chat.config import ConfigError, check_section
from synthetic_persona_chat.jsontypes import JsonObject

# "attributes": the paper's eight-option faithfulness question (annotate/attributes.py); opt-in, beside the
# yes/no contradiction question "faithfulness"
TASKS = ("turing", "quality", "faithfulness", "attributes")
DEFAULT_TASKS = ("turing", "quality", "faithfulness")
# The paper's human quality criteria (pairwise, FED-style).
PAPER_ASPECTS = ("depth", "coherency", "consistency", "diversity", "likability")
# What each paper aspect asks, shown to the annotator beside its question: without them "depth" or
# "diversity" meant whatever each annotator guessed, and their answers did not measure one thing.
ASPECT_DEFINITIONS = {
    "depth": "Does the conversation go into its topics (details, reasons, follow-up questions) rather than "
             "skimming from one to the next?",
    "coherency": "Does each turn follow sensibly from the one before it, so the whole reads as one "
                 "conversation?",
    "consistency": "Does each speaker stay consistent with what they said earlier and with their own persona?",
    "diversity": "Do the speakers vary what they say and how they say it, rather than repeating words, "
                 "phrases or questions?",
    "likability": "Would you enjoy talking with these speakers: are they engaging, friendly and natural?",
}
# What an annotator may be shown besides the dialogue. The dialogue itself is always shown; the
# faithfulness task always shows the judged speaker's persona (that is its question).
SHOWABLE = ("personas", "source", "iteration", "conversation_id")


@dataclass
class StudyConfig:
    """A study's design. `real` holds human-written conversations (Persona-Chat, or a stand-in); `synthetic`
    maps a name to a reader source (run dir, export, `hub:ID`, SPC csv), iterations kept per conversation."""

    name: str = "study"
    real: str = "spc-sample:test"
    synthetic: dict[str, str] = field(default_factory=dict)
    split: str = "test"  # split read from folder/Hub sources
    tasks: tuple[str, ...] = DEFAULT_TASKS
    aspects: tuple[str, ...] = PAPER_ASPECTS
    annotators: int = 3
    items_per_annotator: int = 12
    overlap: int = 2
    seed: int = 0
    show: tuple[str, ...] = ()  # subset of SHOWABLE; hidden by default so nothing hints at the answer
    max_turns: int = 0  # 0 = whole conversation
    aspect_definitions: dict[str, str] = field(default_factory=dict)  # your own aspects' questions (or new wording)

    def __post_init__(self) -> None:
        self.tasks = tuple(self.tasks)
        self.aspects = tuple(self.aspects)
        self.show = tuple(self.show)
        self.synthetic = dict(self.synthetic)
        self.aspect_definitions = dict(self.aspect_definitions)

    def definition(self, aspect: str) -> str:
        """The question an aspect asks the annotator: the study's own wording, else the paper aspect's."""
        return self.aspect_definitions.get(aspect) or ASPECT_DEFINITIONS.get(aspect, "")

    @property
    def total_items(self) -> int:
        return self.annotators * self.items_per_annotator // self.overlap

    def validate(self) -> "StudyConfig":
        """Refuse a design that cannot be carried out, naming the key and the fix."""
        bad_tasks = sorted(set(self.tasks) - set(TASKS))
        if not self.tasks or bad_tasks:
            raise ConfigError(f"tasks {list(self.tasks)}: choose one or more of {list(TASKS)}")
        bad_show = sorted(set(self.show) - set(SHOWABLE))
        if bad_show:
            raise ConfigError(f"show {bad_show}: unknown metadata; choose from {list(SHOWABLE)}")
        if "quality" in self.tasks and not self.aspects:
            raise ConfigError("aspects is empty but the quality task is on: name at least one aspect")
        undefined = [a for a in self.aspects if "quality" in self.tasks and not self.definition(a)]
        if undefined:
            raise ConfigError(f"aspects {undefined} have no definition for the annotators: add them to "
                              f"aspect_definitions ({{aspect: question}}) in the study YAML")
        if not self.synthetic:
            raise ConfigError("synthetic is empty: give at least one NAME=SOURCE of generated conversations")
        if "real" in self.synthetic:
            raise ConfigError("'real' is reserved for the human side; rename that synthetic dataset")
        if self.annotators < 1 or self.items_per_annotator < 1 or self.overlap < 1:
            raise ConfigError("annotators, items_per_annotator and overlap must all be at least 1")
        if self.overlap > self.annotators:
            raise ConfigError(f"overlap {self.overlap} > annotators {self.annotators}: an item cannot be judged "
                              f"by more people than the study has")
        if (self.annotators * self.items_per_annotator) % self.overlap:
            raise ConfigError(f"annotators x items_per_annotator ({self.annotators * self.items_per_annotator}) "
                              f"must be a multiple of overlap ({self.overlap}) so every item gets exactly "
                              f"{self.overlap} judges")
        if self.total_items < len(self.tasks):
            raise ConfigError(f"{self.total_items} item(s) cannot cover {len(self.tasks)} tasks: raise "
                              f"items_per_annotator or annotators")
        return self

    def to_dict(self) -> JsonObject:
        d = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, data: JsonObject) -> "StudyConfig":
        """Unknown keys and wrong types refused; a lone string where a list is expected (`tasks: turing`)
        is that one item, not its letters (`tuple("turing")` used to make six unknown tasks)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown study key(s) {unknown}; known: {sorted(known)}")
        lists = {"tasks", "aspects", "show"}
        data = {k: [v] if k in lists and isinstance(v, str) else v for k, v in data.items()}
        check_section("study", data, cls)
        return cls(**data)

    @classmethod
    def from_file(cls, path: str | Path) -> "StudyConfig":
        try:
            data = strict_yaml.load(Path(path).read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"cannot parse {path}: {' '.join(str(exc).split())}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: a study config is a YAML mapping")
        try:
            return cls.from_dict(data.get("study", data))
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from exc
