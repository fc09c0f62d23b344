"""Evaluation datasets: where conversations come from, and the NUP examples built from them.

A *source* string names a dataset:

| source                         | read with                                            |
|--------------------------------|------------------------------------------------------|
| `PATH.csv`                     | an SPC release CSV (`readers.read_spc_csv`)          |
| `DIR` holding SPC CSVs          | the split file for the role (train/validation/test)  |
| `PATH.txt`                     | Persona-Chat in ParlAI format (`readers.read_parlai`; its own 20 candidates are kept) |
| `RUN` (holds `conversations/`)  | a generated run: `RUN/conversations/conversations.parquet` |
| `hub:ID[@split]`               | a Hub dataset in a layout `hub_layouts` detects: SPC, or Persona-Chat/ConvAI2 as rows (`bavard/personachat_truecased`), dialogs (`personality` + `utterances`) or ParlAI text |

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
from typing import Any

from synthetic_persona_chat.builder.nup import NUM_CANDIDATES, nup_examples
from synthetic_persona_chat.readers import read_parlai, read_spc_csv
from synthetic_persona_chat.sample_data import resolve_path
from synthetic_persona_chat.readers.spc_csv import SPLIT_FILES
from synthetic_persona_chat.records import Conversation, Skip

RUN_CONVERSATIONS = Path("conversations") / "conversations.parquet"
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


@dataclass
class Unavailable:
    """A dataset that is not there; `reason` is shown to the user instead of a number."""

    name: str
    reason: str


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
        if text.startswith("hub:"):
            convs, skips = read_hub(text[4:], split)
        else:
            path = resolve_path(text)
            if not path.exists():
                return Unavailable(name, f"{path} does not exist")
            convs, skips = _read_path(path, split)
    except FileNotFoundError as exc:
        return Unavailable(name, str(exc))
    except Exception as exc:  # a reader or the Hub failed: say why, do not invent the cell
        return Unavailable(name, f"cannot read {text}: {type(exc).__name__}: {exc}")
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


def _read_path(path: Path, split: str) -> tuple[list[Conversation], list[Skip]]:
    if path.is_dir():
        if (path / RUN_CONVERSATIONS).exists():
            return read_run(path)
        file = path / SPLIT_FILES.get(split, f"Synthetic-Persona-Chat_{split}.csv")
        if not file.exists():
            raise FileNotFoundError(f"{path} has no {file.name} (SPC {split} split) and no {RUN_CONVERSATIONS}")
        return read_spc_csv(file, split=split)
    if path.suffix == ".csv":
        return read_spc_csv(path, split=split)
    if path.suffix == ".txt":
        return read_parlai(path, split=split)
    if path.name.endswith(".parquet"):
        return read_run_file(path)
    raise ValueError(f"{path}: unknown dataset format; give an SPC .csv/dir, a ParlAI .txt, a run dir or hub:ID")


def read_run(run_dir: str | Path) -> tuple[list[Conversation], list[Skip]]:
    """A generated run's selected conversations (rows = `Conversation.to_dict()`)."""
    from synthetic_persona_chat.rundir import RunDir

    path = Path(run_dir) / RUN_CONVERSATIONS
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run conversation generation first")
    RunDir(run_dir).require_complete(("conversations",))  # the rule `spc build` applies
    return read_run_file(path)


def read_run_file(path: Path) -> tuple[list[Conversation], list[Skip]]:
    from synthetic_persona_chat.readers import read_records

    return read_records(path, Conversation.from_dict)


def read_hub(spec: str, split: str) -> tuple[list[Conversation], list[Skip]]:
    """`ID[@split]` from the Hub through `datasets.load_dataset` (needs network or a local HF cache), in any
    layout `hub_layouts` knows (SPC, and Persona-Chat/ConvAI2 as rows, dialogs or ParlAI text)."""
    import datasets

    from .hub_layouts import read_rows

    repo, _, hub_split = spec.partition("@")
    rows = datasets.load_dataset(repo, split=hub_split or _hub_split(split))
    return read_rows(rows, split, f"hub:{repo}")


def _hub_split(split: str) -> str:
    return {"valid": "validation"}.get(split, split)


def hub_row_to_conversation(row: dict[str, Any], split: str | None = None, source: str = "hub"
                            ) -> Conversation:
    """One Hub row that holds a whole conversation (SPC or Persona-Chat dialog layout) -> `Conversation`."""
    from .hub_layouts import row_to_conversation

    return row_to_conversation(row, split=split, source=source)


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


def examples(ds: Dataset, config: NUPConfig) -> list[dict[str, Any]]:
    """NUP rows for a dataset (per-dataset distractor pool: never mixes train and test)."""
    return nup_examples(ds.conversations, seed=config.seed, num_candidates=config.num_candidates,
                        speakers=config.speakers)


def context_text(example: dict[str, Any], max_history: int = 3) -> str:
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
