"""Synthetic-Persona-Chat release CSVs -> `Conversation` records.

Columns: `user 1 personas`, `user 2 personas` (one attribute per line) and
`Best Generated Conversation` (one utterance per line, `User 1: ` / `User 2: `).
The release has rows with an empty conversation and lines that are stage
directions ("[Later]", "* * *"): the first become recorded skips, the second
are kept in the conversation's `meta["unparsed_lines"]`, never dropped silently.

A turn may span several lines (a recipe after "Here it is:", the second line of a long
answer). An untagged line continues the previous turn when it follows that turn with no blank
line, or when the turn announced more with a trailing colon (then until the next speaker tag).
Stage directions (bracketed, starred, "User 1 and user 2 ...") never continue a turn.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

from ..records import SPEAKERS, Conversation, RecordError, Skip, Turn
from .textfile import read_text
from ..errors import InputError

SPC_COLUMNS = ("user 1 personas", "user 2 personas", "Best Generated Conversation")
SPLIT_FILES = {"train": "Synthetic-Persona-Chat_train.csv", "validation": "Synthetic-Persona-Chat_valid.csv",
               "test": "Synthetic-Persona-Chat_test.csv"}
# "User 1:", "**User 1:**", "* * User 1: * *", "user 2 :" ...
_SPEAKER = re.compile(r"^[\s*_#>-]*user\s*([12])\s*[*_]*\s*:\s*[*_\s]*(.*)$", re.IGNORECASE)


class SPCFormatError(InputError, ValueError):
    """The file is not an SPC CSV; the message names the file and what is missing."""


# "[Later]", "(They walk.)", "*At the bar*", "* * *", "User 1 and user 2 go ...", "Adam: You too."
_DIRECTION = re.compile(r"^\s*(\[.*\]?|\(.*\)?|\*[^*]*\*|[*\s]+|user\s*[12]\b.*|[A-Z][\w.' ]{0,30}:\s+\S.*)\s*$",
                        re.IGNORECASE)


def parse_spc_lines(text: str) -> tuple[list[Turn], list[str]]:
    """Speaker-tagged turns (continuation lines joined), and the lines that carry no speaker tag."""
    turns, unparsed = [], []
    lines: list[str] = []  # the current turn's lines
    speaker, open_turn, announced = None, False, False
    for line in text.splitlines():
        if not line.strip():
            open_turn = announced  # a blank line ends a turn, unless it announced more ("Here it is:")
            continue
        m = _SPEAKER.match(line)
        if m and m.group(2).strip(" *"):
            if speaker:
                turns.append(Turn(speaker=speaker, text="\n".join(lines)))
            speaker, lines = f"user {m.group(1)}", [m.group(2).strip(" *")]
            open_turn, announced = True, lines[0].endswith(":")
        elif speaker and open_turn and not _DIRECTION.match(line):
            lines.append(line.strip())
        else:
            unparsed.append(line.strip())
            open_turn = announced = False
    if speaker:
        turns.append(Turn(speaker=speaker, text="\n".join(lines)))
    return turns, unparsed


def split_personas(cell: str) -> list[str]:
    return [line.strip() for line in (cell or "").splitlines() if line.strip()]


def read_spc_rows(path: str | Path) -> list[dict[str, str]]:
    """The release's raw rows (its three columns, verbatim): the `release` config republishes them as they are."""
    path = Path(path)
    if not path.is_file():
        raise SPCFormatError(f"SPC file not found: {path}")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.DictReader(io.StringIO(read_text(path, SPCFormatError), newline=""))
    try:
        missing = [c for c in SPC_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise SPCFormatError(f"{path} lacks column(s) {missing}; an SPC CSV has columns "
                                 f"{list(SPC_COLUMNS)} (found {reader.fieldnames})")
        return [{c: _cell(row.get(c)) for c in SPC_COLUMNS} for row in reader]
    except csv.Error as exc:
        raise SPCFormatError(f"{path}:{reader.line_num}: not valid CSV ({exc}); an SPC CSV quotes its "
                             f"multi-line cells with double quotes") from exc


def _cell(value: str | list | None) -> str:
    """A cell as text; a row with more cells than the header puts the extra ones under `None`, never here,
    and a short row leaves its missing cells None: empty then."""
    return value if isinstance(value, str) else ""


def conversations_from_rows(rows: list[dict[str, str]], path: str | Path, split: str | None = None,
                            source: str = "spc") -> tuple[list[Conversation], list[Skip]]:
    """Raw release rows -> conversations, and a recorded skip for every row that holds none."""
    conversations, skips = [], []
    for row_no, row in enumerate(rows):
        conv, skip = _row_to_conversation(row, row_no, Path(path), split, source)
        if conv:
            conversations.append(conv)
        else:
            skips.append(skip)
    return conversations, skips


def read_spc_csv(path: str | Path, split: str | None = None, source: str = "spc"
                 ) -> tuple[list[Conversation], list[Skip]]:
    return conversations_from_rows(read_spc_rows(path), path, split, source)


def _row_to_conversation(row: dict, row_no: int, path: Path, split: str | None, source: str
                         ) -> tuple[Conversation | None, Skip | None]:
    where = f"row {row_no}"
    text = row.get("Best Generated Conversation") or ""
    if not text.strip():
        return None, Skip(str(path), where, "empty conversation")
    try:
        turns, unparsed = parse_spc_lines(text)
        meta: dict = {"row": row_no}
        if not turns and len(unparsed) >= 2:
            # The release has a conversation with no speaker tags at all: its lines alternate.
            turns = [Turn(SPEAKERS[i % 2], line) for i, line in enumerate(unparsed)]
            unparsed, meta["speakers_inferred"] = [], True
        if not turns:
            return None, Skip(str(path), where, "no 'User 1:'/'User 2:' line in conversation")
        if unparsed:
            meta["unparsed_lines"] = unparsed
        conv = Conversation(user1_persona=split_personas(row.get("user 1 personas", "")),
                            user2_persona=split_personas(row.get("user 2 personas", "")),
                            turns=turns, source=f"{source}:{split}" if split else source,
                            split=split, meta=meta)
    except RecordError as exc:
        return None, Skip(str(path), where, f"invalid record: {exc}")
    return conv, None


def read_spc_dir(directory: str | Path, splits: tuple[str, ...] = ("train", "validation", "test")
                 ) -> tuple[dict[str, list[Conversation]], list[Skip]]:
    """Every split file present in a release `data/` directory (missing splits are left out)."""
    directory = Path(directory)
    found: dict[str, list[Conversation]] = {}
    skips: list[Skip] = []
    for split in splits:
        path = directory / SPLIT_FILES[split]
        if path.exists():
            found[split], s = read_spc_csv(path, split=split)
            skips.extend(s)
    if not found:
        raise SPCFormatError(f"{directory} holds none of {sorted(SPLIT_FILES.values())}")
    return found, skips
