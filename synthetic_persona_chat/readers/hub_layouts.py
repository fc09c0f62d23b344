"""The Hub layouts of Persona-Chat / ConvAI2 (and SPC) that `hub:ID` sources read, told apart by their columns.

Persona-Chat has no one canonical Hub copy; the common ones store it in one of these layouts:

| layout                  | columns                                                   | e.g.                            |
|-------------------------|-----------------------------------------------------------|---------------------------------|
| `spc-release`           | `user 1 personas`, `user 2 personas`, `Best Generated Conversation` | google/Synthetic-Persona-Chat |
| `personachat-rows`      | `personality`, `candidates`, `history`, `utterance_idx`, `conv_id` (one row per response) | bavard/personachat_truecased |
| `personachat-dialogs`   | `personality`, `utterances` (list of `{candidates, history}`) | AlekseyKorshuk/persona-chat  |
| `parlai-text`           | `text` only: the lines of a ParlAI `*_self_original.txt`  | a repo holding ParlAI's files   |

All become `Conversation` records as the local readers make them: the side whose persona is given is "user 2"
(ParlAI's "self"), its candidates (gold last) are kept in `meta["candidates"]` for NUP. A row that cannot be
converted is a recorded skip; a dataset in no known layout is an error naming its columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from synthetic_persona_chat.records import Conversation, RecordError, Skip, Turn
from synthetic_persona_chat.rowtypes import ArrowRow, ArrowValue
from synthetic_persona_chat.readers.parlai import read_parlai_lines
from synthetic_persona_chat.readers.spc_csv import parse_spc_lines, split_personas

LAYOUTS: dict[str, tuple[str, ...]] = {
    "spc-release": ("user 1 personas", "user 2 personas", "Best Generated Conversation"),
    "personachat-rows": ("personality", "candidates", "history", "utterance_idx", "conv_id"),
    "personachat-dialogs": ("personality", "utterances"),
    "parlai-text": ("text",),
}
SILENCE = ("__ SILENCE __", "__SILENCE__")


def detect_layout(columns: Iterable[str]) -> str:
    """The first layout whose columns are all present (most specific first)."""
    have = set(columns)
    for name, needed in LAYOUTS.items():
        if set(needed) <= have:
            return name
    known = "; ".join(f"{n}: {', '.join(c)}" for n, c in LAYOUTS.items())
    raise ValueError(f"unknown Hub dataset layout with columns {sorted(have)}; known layouts: {known}")


def read_rows(rows: Any, split: str | None, source: str) -> tuple[list[Conversation], list[Skip]]:
    """A loaded Hub split (`datasets.Dataset`) -> conversations, in its detected layout."""
    layout = detect_layout(rows.column_names)
    if layout == "personachat-rows":
        return _grouped_rows(rows, split, source)
    if layout == "parlai-text":
        return read_parlai_lines((r["text"] or "" for r in rows), source, split, source)
    convs, skips = [], []
    for i, row in enumerate(rows):
        try:
            convs.append(row_to_conversation(row, split=split, source=source))
        except (RecordError, KeyError, ValueError, IndexError, TypeError) as exc:
            skips.append(Skip(source, f"row {i}", str(exc)))
    return convs, skips


def row_to_conversation(row: ArrowRow, split: str | None = None, source: str = "hub") -> Conversation:
    """One row of the `spc-release` or `personachat-dialogs` layout -> `Conversation`."""
    layout = detect_layout(row)
    if layout == "spc-release":
        return _spc_row(row, split, source)
    if layout == "personachat-dialogs":
        return dialog_to_conversation(row["personality"], row["utterances"], split, source)
    raise ValueError(f"a {layout} row is not one conversation; read the split with read_rows")


def _spc_row(row: ArrowRow, split: str | None, source: str) -> Conversation:
    turns, _ = parse_spc_lines(row["Best Generated Conversation"] or "")
    if not turns:
        raise RecordError("no 'User 1:'/'User 2:' line in conversation")
    return Conversation(split_personas(row.get("user 1 personas", "")),
                        split_personas(row.get("user 2 personas", "")), turns, source=source, split=split)


def dialog_to_conversation(personality: list[str], utterances: list[ArrowRow], split: str | None,
                           source: str) -> Conversation:
    """Persona-Chat's dialog form: the last utterance entry's history + its gold is the whole conversation;
    the last line is the persona's side ("user 2") and speakers alternate backwards from there."""
    if not utterances:
        raise RecordError("row has no utterances")
    utterances = [{"history": _texts(u.get("history"), "history"), "candidates": _texts(u.get("candidates"),
                                                                                          "candidates")}
                  for u in utterances]
    if not all(u["candidates"] for u in utterances):
        raise RecordError("an utterance entry has no candidates (its gold response is the last one)")
    history = [h for h in utterances[-1]["history"] if h and h.strip() not in SILENCE]
    lines = history + [utterances[-1]["candidates"][-1]]
    turns = [Turn("user 2" if (len(lines) - 1 - i) % 2 == 0 else "user 1", t) for i, t in enumerate(lines)]
    candidates: dict[str, list[str]] = {}
    for u in utterances:
        gold = " ".join(u["candidates"][-1].split())
        for t in range(len(turns) - 1, -1, -1):
            if turns[t].speaker == "user 2" and turns[t].text == gold:
                candidates[str(t)] = list(u["candidates"])
                break
    return Conversation([], _texts(personality, "personality"), turns, source=source, split=split,
                        meta={"candidates": candidates})


def _texts(value: Any, column: str) -> list[str]:
    """A column that must be a list of strings; a null or a null item is a `RecordError` naming the column
    (the row becomes a recorded skip) instead of an AttributeError deep in the conversion."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RecordError(f"column {column!r} must be a list of strings, got {str(value)[:80]}")
    return value


@dataclass
class _Dialog:
    """The rows of one `conv_id` gathered so far: its persona, its utterance entries by index, and what
    makes it unusable (an `utterance_idx` that is not a number)."""

    personality: Any  # the column as stored; dialog_to_conversation checks it is a list of strings
    entries: dict[int, ArrowRow] = field(default_factory=dict)
    problem: str | None = None


def _grouped_rows(rows: Any, split: str | None, source: str) -> tuple[list[Conversation], list[Skip]]:
    """`personachat-rows`: one row per response; rows of a `conv_id`, ordered by `utterance_idx`, are the
    utterance entries of one dialog (a repeated index keeps its first row)."""
    dialogs: dict[ArrowValue, _Dialog] = {}
    cols = list(LAYOUTS["personachat-rows"])
    for batch in rows.select_columns(cols).iter(batch_size=1000):
        for persona, cands, hist, idx, conv in zip(*(batch[c] for c in cols)):
            d = dialogs.setdefault(conv, _Dialog(persona))
            try:
                d.entries.setdefault(int(idx), {"history": hist, "candidates": cands})
            except (TypeError, ValueError):  # the order of the dialog's entries is unknown: the dialog is a skip
                d.problem = f"utterance_idx is {str(idx)[:40]!r}, not a number"
    convs, skips = [], []
    for conv_id, d in dialogs.items():
        if d.problem:
            skips.append(Skip(source, f"conv_id {conv_id}", d.problem))
            continue
        entries = [d.entries[k] for k in sorted(d.entries)]
        try:
            conv = dialog_to_conversation(d.personality, entries, split, source)
        except (RecordError, KeyError, ValueError, IndexError, TypeError) as exc:
            skips.append(Skip(source, f"conv_id {conv_id}", str(exc)))
            continue
        conv.meta["conv_id"] = conv_id
        convs.append(conv)
    return convs, skips
