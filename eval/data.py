"""Evaluation datasets: where conversations come from, and the NUP examples built from them.

A *source* string names a dataset the way every command names one (`readers.sources.open_source`: an SPC
CSV or folder, a ParlAI .txt, our .jsonl/.parquet records, a run directory, `spc-sample:SPLIT`, `hub:ID[@split]`).

A source that cannot be read gives an `Unavailable` with the reason, which the cross table
shows as "not run: <why>"; nothing is ever invented in its place. A run directory is read only
when it is complete by the rule `spc build` uses too (`RunDir.require_complete`).

An utterance longer than `MAX_UTTERANCE_CHARS` is cut to that length at load time, with a
recorded skip saying which conversation and turn and how long it was: one 5 MB record used to
abort a whole `spc eval quality` inside the model ("requested tokens exceed context window")
without naming the record. The limit is ~2x the longest utterance of SPC's test split (1,073).

NUP examples come from `synthetic_persona_chat.builder.nup.nup_examples` (one definition
for the `nup` dataset config and for evaluation). The ranker sees them as text through
`context_text`, documented there.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from synthetic_persona_chat import errors
from synthetic_persona_chat.builder.nup import NUM_CANDIDATES, NUPExample, nup_examples
from synthetic_persona_chat.readers.sources import open_source
from synthetic_persona_chat.records import Conversation, Skip

MAX_UTTERANCE_CHARS = 2000


@dataclass
class Dataset:
    """Conversations of one evaluation dataset, with the records that could not be read."""

    name: str
    conversations: list[Conversation]
    source: str = ""
    skips: list[Skip] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.conversations)


class MissingDatasetError(errors.InputError, FileNotFoundError):
    """The file or folder a command must read is not there (bad input, exit 3; still a FileNotFoundError)."""


@dataclass
class Unavailable:
    """A dataset that is not there; `reason` is shown to the user instead of a number."""

    name: str
    reason: str
    error: Exception | None = field(default=None, compare=False, repr=False)  # what the reader raised, if any

    def fail(self, doing: str) -> NoReturn:
        """Raise for a command that cannot go on without the dataset (an eval table shows `reason` instead).

        The reader's own failure keeps its class where that says more than "bad input" (the Hub was
        unreachable: exit 7; the disk failed: exit 8); anything else, a missing file included, is bad
        input (exit 3), with the reason naming the file."""
        if self.error is not None and errors.classify(self.error)[0].code not in (
                errors.GENERIC.code, errors.UNEXPECTED.code, errors.InputError.exit_code):
            raise self.error
        missing = isinstance(self.error, FileNotFoundError)
        raise (MissingDatasetError if missing else errors.InputError)(f"{doing} {self.name}: {self.reason}") \
            from self.error


def load_dataset(source: str | Path | None, split: str = "test", name: str | None = None,
                 min_conversations: int = 2) -> Dataset | Unavailable:
    """The conversations a source string names (see the module table), or why there are none.

    NUP needs 2 conversations (distractors come from other conversations); quality metrics need 1.
    """
    name = name or f"{source}:{split}"
    if source is None or str(source).strip() == "":
        return Unavailable(name, "no source given")
    text = str(source)
    try:
        convs, skips = open_source(text, split)
    except FileNotFoundError as exc:
        return Unavailable(name, str(exc), exc)
    except Exception as exc:  # a reader or the Hub failed: say why, do not invent the cell
        return Unavailable(name, f"cannot read {text}: {type(exc).__name__}: {exc}", exc)
    if len(convs) < min_conversations:
        need = "NUP needs at least 2" if min_conversations == 2 else f"need at least {min_conversations}"
        return Unavailable(name, f"{text} holds {len(convs)} usable conversation(s); {need}")
    return Dataset(name, convs, text, skips + clip_overlong(convs, text))


def clip_overlong(convs: list[Conversation], source: str, limit: int = MAX_UTTERANCE_CHARS) -> list[Skip]:
    """Cut utterances longer than `limit` characters in place; one recorded reason per cut turn."""
    notes = []
    for conv in convs:
        for i, turn in enumerate(conv.turns):
            if len(turn.text) > limit:
                notes.append(Skip(source, f"conversation {conv.id} turn {i}",
                                  f"truncated: utterance of {len(turn.text):,} characters cut to {limit:,}"))
                turn.text = turn.text[:limit]
    return notes


def subsample(ds: Dataset, max_conversations: int | None, seed: int) -> Dataset:
    """A seeded sample of conversations (order by id first, so the sample does not depend on file order)."""
    if not max_conversations or len(ds) <= max_conversations:
        return ds
    ordered = sorted(ds.conversations, key=lambda c: c.id)
    picked = random.Random(f"subsample:{seed}:{ds.name}").sample(ordered, max_conversations)
    return Dataset(ds.name, picked, ds.source, ds.skips)


def combine(name: str, *parts: Dataset) -> Dataset:
    return Dataset(name, [c for p in parts for c in p.conversations], "+".join(p.source for p in parts),
                   [s for p in parts for s in p.skips])


@dataclass
class NUPConfig:
    """How NUP examples are built and shown to rankers.

    seed/num_candidates are passed to `builder.nup.nup_examples` (19 distractors from other
    conversations of the same split, or Persona-Chat's own candidates). `speakers` limits the
    responding side (ParlAI's "self original" tasks use "user 2" only).
    `max_history` = how many previous turns enter the context text (see `context_text`).
    """

    seed: int = 0
    num_candidates: int = NUM_CANDIDATES
    speakers: tuple[str, ...] = ("user 1", "user 2")
    max_history: int = 3


def examples(ds: Dataset, config: NUPConfig) -> list[NUPExample]:
    """NUP rows for a dataset (per-dataset distractor pool: never mixes train and test)."""
    return nup_examples(ds.conversations, seed=config.seed, num_candidates=config.num_candidates,
                        speakers=config.speakers)


def context_text(example: NUPExample, max_history: int = 3) -> str:
    """What a ranker reads as the query: recent history, most recent turn FIRST, then the persona.

        "<turn t-1>\\n<turn t-2>\\n<turn t-3>\\npersona: <attr 1> <attr 2> ..."

    Most-recent-first means a bi-encoder that right-truncates long inputs drops the oldest
    context, never the turn being answered. The persona is the responding speaker's.
    """
    history = list(example["history"])[-max_history:] if max_history > 0 else []
    parts = list(reversed(history))
    if example.get("persona"):
        parts.append("persona: " + " ".join(example["persona"]))
    return "\n".join(parts)
