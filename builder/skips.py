"""Skipped input records in an export: grouped by reason class for the card, one line each in a file.

A skip's reason often names the record it refers to ("duplicate of row 5 user 2 personas line 4"), so
grouping by the reason string groups nothing: a run with 900 skips gave a card of 342 table rows. The
card groups by *reason class*, the reason with its numbers and its detail after ": " or " (" taken out,
and shows a count and one example per class; every record, with its file and position, goes to
`SKIP_FILE` in the export, so the card stays short however many records were skipped.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from pathlib import Path
from typing import Iterable, TypedDict

SKIP_FILE = "skipped_records.jsonl"
MAX_CLASSES = 15  # card rows; the rest are counted in one line, and all are in SKIP_FILE
_QUOTED_OR_NUMBER = re.compile(r"'[^']*'|\"[^\"]*\"|\d+(?:\.\d+)?")
_DETAIL = re.compile(r"'[^']*'|\"[^\"]*\"|: | \(")


class SkipRecord(TypedDict, total=False):
    """A skipped record as a run's skips and the readers give it: `records.Skip.to_dict()` and the stage
    that skipped it. Not total: files written by older code may lack a key, so readers use `.get`."""

    stage: str
    source: str  # the file or input that held it (a path on the build machine until `public_skip`)
    locator: str  # row number, id, ...: enough to find it again
    reason: str


class SkipClass(TypedDict):
    """One row of the card's table of skipped records: a stage's reason class, its count, one example."""

    stage: str
    reason: str
    count: int
    example: str


def reason_class(reason: str) -> str:
    """The reason without what names one record: numbers become N (quoted text is kept as written), and
    the detail after the first ': ' or ' (' outside quotes goes."""
    text = _QUOTED_OR_NUMBER.sub(lambda m: m.group(0) if m.group(0)[0] in "'\"" else "N", " ".join(reason.split()))
    for match in _DETAIL.finditer(text):
        if match.group(0) in (": ", " ("):
            return text[:match.start()].strip() or text
    return text


def public_skip(skip: SkipRecord) -> SkipRecord:
    """A skip as published: its source file by name, never by its path on the build machine."""
    source = str(skip.get("source", ""))
    return SkipRecord(skip, source=os.path.basename(source.rstrip("/")) if os.path.isabs(source) else source)


def skip_groups(skips: Iterable[SkipRecord], limit: int = MAX_CLASSES) -> tuple[list[SkipClass], int]:
    """Card rows (stage, reason class, count, one example), largest first, at most `limit`; and how many
    classes were left out of the card."""
    groups: dict[tuple[str, str], list[SkipRecord]] = defaultdict(list)
    for skip in skips:
        groups[(str(skip.get("stage", "")), reason_class(str(skip.get("reason", ""))))].append(skip)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    rows = [SkipClass(stage=stage, reason=cls, count=len(members), example=_example(members[0]))
            for (stage, cls), members in ordered[:limit]]
    return rows, max(len(ordered) - limit, 0)


def write_skip_file(folder: Path, skips: Iterable[SkipRecord]) -> str | None:
    """`SKIP_FILE` in `folder` (one JSON object a line), or None when nothing was skipped."""
    lines = [json.dumps(public_skip(s), ensure_ascii=False, sort_keys=True) for s in skips]
    if not lines:
        return None
    (folder / SKIP_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return SKIP_FILE


def _example(skip: SkipRecord) -> str:
    where = f"{public_skip(skip)['source']} {skip.get('locator', '')}".strip()
    return f"{where}: {skip.get('reason', '')}"[:160]
