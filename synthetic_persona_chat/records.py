"""The typed record model every stage reads and writes.

Stages exchange plain dataclasses that convert to and from flat dicts, so the
same records go to JSONL, Parquet (Arrow) and `datasets` without adapters, and a
distributed engine can ship them between processes as rows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING

from .errors import InputError
from .jsontypes import JsonObject

if TYPE_CHECKING:  # annotations only: records stay importable without pyarrow loaded
    from .rowtypes import ArrowRow

SPEAKERS = ("user 1", "user 2")


class RecordError(InputError, ValueError):
    """A record failed validation; the message says which field and why."""


def stable_id(*parts: str) -> str:
    """Short content hash: the same content always gets the same id across runs."""
    h = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()
    return h[:16]


def _clean(text: str) -> str:
    return " ".join(str(text).split())


@dataclass
class PersonaAttribute:
    """One persona sentence ("I have two dogs.") and where it came from."""

    text: str
    category: int | None = None  # cluster id from query induction
    query: str | None = None  # the LLM-written question the category answers
    origin: str = "seed"  # "seed" or "generated"
    round: int = 0  # bootstrapping round that produced it (0 = seed)
    id: str = ""

    def __post_init__(self) -> None:
        self.text = _clean(self.text)
        if not self.text:
            raise RecordError("persona attribute text is empty")
        if not self.id:
            self.id = stable_id("attr", self.text)

    def to_dict(self) -> ArrowRow:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: ArrowRow) -> "PersonaAttribute":
        return cls(**_known(cls, row))


@dataclass
class Profile:
    """A user: a small set of persona attributes that do not contradict each other."""

    attributes: list[str]
    categories: list[int | None] = field(default_factory=list)
    id: str = ""

    def __post_init__(self) -> None:
        self.attributes = [_clean(a) for a in self.attributes if _clean(a)]
        if not self.attributes:
            raise RecordError("profile has no persona attributes")
        if self.categories and len(self.categories) != len(self.attributes):
            raise RecordError("profile categories and attributes differ in length")
        if not self.id:
            self.id = stable_id("profile", *self.attributes)

    def to_dict(self) -> ArrowRow:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: ArrowRow) -> "Profile":
        return cls(**_known(cls, row))


@dataclass
class Turn:
    """One utterance tagged with its speaker ("user 1" or "user 2")."""

    speaker: str
    text: str

    def __post_init__(self) -> None:
        self.speaker = self.speaker.strip().lower()
        if self.speaker not in SPEAKERS:
            raise RecordError(f"unknown speaker {self.speaker!r}; expected one of {SPEAKERS}")
        self.text = _clean(self.text)
        if not self.text:
            raise RecordError("turn text is empty")


@dataclass
class Conversation:
    """A dialogue between two profiled users, with provenance.

    `meta` carries stage-specific provenance (critic verdicts, pair similarity,
    generator model ...) as JSON-serialisable values.
    """

    user1_persona: list[str]
    user2_persona: list[str]
    turns: list[Turn]
    source: str = ""  # e.g. "spc:test", "persona-chat:valid", "run:<name>"
    split: str | None = None
    iteration: int | None = None
    meta: JsonObject = field(default_factory=dict)
    id: str = ""

    def __post_init__(self) -> None:
        self.user1_persona = [_clean(a) for a in self.user1_persona if _clean(a)]
        self.user2_persona = [_clean(a) for a in self.user2_persona if _clean(a)]
        self.turns = [t if isinstance(t, Turn) else Turn(**t) for t in self.turns]
        if not self.turns:
            raise RecordError("conversation has no turns")
        if not self.id:
            body = [f"{t.speaker}:{t.text}" for t in self.turns]
            self.id = stable_id("conv", *self.user1_persona, "|", *self.user2_persona, "|", *body)

    def persona_of(self, speaker: str) -> list[str]:
        return self.user1_persona if speaker == "user 1" else self.user2_persona

    @property
    def utterances(self) -> list[str]:
        return [t.text for t in self.turns]

    def to_dict(self) -> ArrowRow:
        """Flat row; `meta` is JSON text so every row shares one Arrow schema."""
        row = asdict(self)
        row["meta"] = json.dumps(self.meta, sort_keys=True, ensure_ascii=False)
        return row

    @classmethod
    def from_dict(cls, row: ArrowRow) -> "Conversation":
        row = _known(cls, row)
        meta = row.get("meta") or {}
        row["meta"] = json.loads(meta) if isinstance(meta, str) else dict(meta)
        return cls(**row)


@dataclass
class Skip:
    """A record a stage could not use, kept with the reason instead of silently dropped."""

    source: str  # file, stage or input that held it
    locator: str  # row number, id, ... enough to find it again
    reason: str

    def to_dict(self) -> ArrowRow:
        return asdict(self)


def _known(cls: type, row: ArrowRow) -> ArrowRow:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in row.items() if k in names}
