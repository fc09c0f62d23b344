"""Persona-Chat / ConvAI2 in ParlAI text format -> `Conversation` records.

Each line: `<n> <text>` where n restarts at 1 for a new episode. Persona lines are
`your persona: ...` (and `partner's persona: ...` in the *both* variants);
dialogue lines are `partner utterance<TAB>self response<TAB><TAB>cand1|cand2|...`.
The partner is "user 1", the model's own side ("your persona") is "user 2".
The candidates of each self response are kept in `meta["candidates"]`
(turn index -> 20 candidates, gold last in ParlAI's files) for NUP evaluation.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from ..records import Conversation, RecordError, Skip, Turn
from .textfile import read_text, split_lines
from ..errors import InputError

# ASCII digits, at most 9: `\d` also takes other scripts' digits, and int() of a 5000-digit run raises.
_LINE = re.compile(r"^([0-9]{1,9}) (.*)$")
SILENCE = "__SILENCE__"


class ParlAIFormatError(InputError, ValueError):
    """The file is not in ParlAI Persona-Chat format."""


def read_parlai(path: str | Path, split: str | None = None, source: str = "persona-chat"
                ) -> tuple[list[Conversation], list[Skip]]:
    path = Path(path)
    if not path.is_file():
        raise ParlAIFormatError(f"ParlAI file not found: {path}")
    return read_parlai_lines(split_lines(read_text(path, ParlAIFormatError)), str(path), split, source)


def read_parlai_lines(lines: Iterable[str], origin: str, split: str | None = None, source: str = "persona-chat"
                      ) -> tuple[list[Conversation], list[Skip]]:
    """The same parse over lines from anywhere (a file, or a Hub dataset holding the file's lines);
    `origin` names them in errors and skips."""
    path = origin
    episodes: list[list[tuple[int, str]]] = []
    for line_no, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        m = _LINE.match(raw)
        if not m:
            raise ParlAIFormatError(f"{path}:{line_no}: expected '<number> <text>', got {raw[:60]!r}")
        if int(m.group(1)) == 1 or not episodes:
            episodes.append([])
        episodes[-1].append((line_no, m.group(2)))
    conversations, skips = [], []
    for index, episode in enumerate(episodes):
        try:
            conversations.append(_episode(episode, index, split, source))
        except RecordError as exc:
            skips.append(Skip(str(path), f"episode {index} (line {episode[0][0]})", str(exc)))
    return conversations, skips


def _episode(lines: list[tuple[int, str]], index: int, split: str | None, source: str) -> Conversation:
    self_persona, partner_persona, turns = [], [], []
    candidates: dict[str, list[str]] = {}
    for _, text in lines:
        if text.startswith("your persona:"):
            self_persona.append(text.split(":", 1)[1].strip())
        elif text.startswith("partner's persona:"):
            partner_persona.append(text.split(":", 1)[1].strip())
        else:
            fields = text.split("\t")
            if len(fields) < 2:
                raise RecordError(f"dialogue line without a response: {text[:60]!r}")
            if fields[0].strip() and fields[0].strip() != SILENCE:
                turns.append(Turn("user 1", fields[0]))
            turns.append(Turn("user 2", fields[1]))
            if len(fields) >= 4 and fields[3].strip():
                candidates[str(len(turns) - 1)] = fields[3].split("|")
    if not turns:
        raise RecordError("episode has persona lines but no dialogue")
    return Conversation(user1_persona=partner_persona, user2_persona=self_persona, turns=turns,
                        source=f"{source}:{split}" if split else source, split=split,
                        meta={"episode": index, "candidates": candidates})
