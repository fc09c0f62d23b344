"""Seed persona attributes from a .txt / .csv / .jsonl file or a list: clean lines in, counted skips out.

A bad line (empty, duplicate, garbage, overlong) is a recorded skip with its reason; a
file of the wrong shape (unknown extension, a CSV without the attribute column, a JSONL
file with no usable line) is a `SeedFormatError` that names the file and the fix.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..records import Skip
from ..sample_data import resolve_path
from ..errors import InputError

SPC_PERSONA_COLUMNS = ("user 1 personas", "user 2 personas")
TEXT_FIELDS = ("text", "attribute", "persona", "sentence")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
# NUL and the other C0/C1 controls (tabs and newlines are spacing, already normalised away), and lone
# surrogates: never part of a persona sentence, and they flowed into attributes, prompts and Parquet files.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class SeedFormatError(InputError, ValueError):
    """The seed file cannot be read as attribute sentences; the message says how to fix it."""


@dataclass
class LineRules:
    """What counts as an attribute sentence (shared with the bootstrapping filter)."""

    min_words: int = 2
    max_words: int = 30
    max_chars: int = 300


def normalise(text: str) -> str:
    return " ".join(str(text).split())


def dedupe_key(text: str) -> str:
    """Case, spacing and end punctuation do not make a new attribute."""
    return re.sub(r"[^\w ]", "", normalise(text).lower()).strip()


def line_problem(text: str, rules: LineRules) -> str | None:
    """Why `text` is not a usable attribute sentence, or None when it is."""
    text = normalise(text)
    if not text:
        return "empty"
    if _CONTROL.search(text):
        return "control_characters"
    if len(text) > rules.max_chars or len(text.split()) > rules.max_words:
        return "overlong"
    letters = len(_LETTER.findall(text))
    if letters < 3 or letters < 0.5 * len(text.replace(" ", "")):
        return "garbage"
    if len(text.split()) < rules.min_words:
        return "too_short"
    return None


def clean_seeds(lines: Iterable[tuple[str, str]], source: str, rules: LineRules
                ) -> tuple[list[str], list[Skip]]:
    """(locator, text) pairs -> unique usable texts in input order, plus a skip per bad line."""
    kept, skips, seen = [], [], {}
    for locator, text in lines:
        problem = line_problem(text, rules)
        if problem:
            skips.append(Skip(source, locator, problem))
            continue
        key = dedupe_key(text)
        if key in seen:
            skips.append(Skip(source, locator, f"duplicate of {seen[key]}"))
            continue
        seen[key] = locator
        kept.append(normalise(text))
    return kept, skips


def read_seed_file(path: str | Path, column: str | None = None, rules: LineRules | None = None
                   ) -> tuple[list[str], list[Skip]]:
    """Attributes of a .txt (one per line), .csv (`column`, or SPC's persona columns) or .jsonl file."""
    path = resolve_path(path)
    if not path.is_file():
        raise SeedFormatError(f"seed file not found: {path}")
    rules = rules or LineRules()
    suffix = path.suffix.lower()
    if suffix in (".txt", ".text", ""):
        lines = _txt_lines(path)
    elif suffix == ".csv":
        lines, bad = _csv_lines(path, column)
        texts, skips = clean_seeds(lines, str(path), rules)
        return texts, bad + skips
    elif suffix in (".jsonl", ".ndjson"):
        try:
            lines, bad = _jsonl_lines(path, column)
        except UnicodeDecodeError as exc:
            raise SeedFormatError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
                                  ) from exc
        texts, skips = clean_seeds(lines, str(path), rules)
        return texts, bad + skips
    else:
        raise SeedFormatError(f"{path}: unsupported seed file type {suffix!r}; use .txt (one attribute per "
                              f"line), .csv (with --set expand.seed_column=NAME or SPC persona columns) or .jsonl")
    return clean_seeds(lines, str(path), rules)


def _txt_lines(path: Path) -> list[tuple[str, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SeedFormatError(f"{path} is not UTF-8 text ({exc}); save it as UTF-8, one attribute per line") from exc
    return [(f"line {i + 1}", line) for i, line in enumerate(text.splitlines())]


def _csv_lines(path: Path, column: str | None) -> tuple[list[tuple[str, str]], list[Skip]]:
    """The attribute cells of a CSV; a malformed row (wrong number of fields, a quote never closed) is a
    recorded skip, never an attribute made of a row's pieces."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return _csv_rows(path, fh, column)
    except UnicodeDecodeError as exc:
        raise SeedFormatError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
                              ) from exc


def _csv_rows(path: Path, fh: Any, column: str | None) -> tuple[list[tuple[str, str]], list[Skip]]:
    reader = csv.reader(fh, strict=True)
    names = next(reader, None) or []
    if column:
        if column not in names:
            raise SeedFormatError(f"{path} has no column {column!r} (columns: {names}); "
                                  f"set expand.seed_column to one of them")
        columns = [column]
    elif all(c in names for c in SPC_PERSONA_COLUMNS):
        columns = list(SPC_PERSONA_COLUMNS)
    else:
        found = [n for n in names if n.strip().lower() in TEXT_FIELDS]
        if not found:
            raise SeedFormatError(f"{path}: no attribute column among {names}; name it with "
                                  f"--set expand.seed_column=NAME (or use SPC's {list(SPC_PERSONA_COLUMNS)})")
        columns = found[:1]
    out, bad = [], []
    for row_no, values in enumerate(_safe_rows(reader, path, bad)):
        if len(values) != len(names):
            bad.append(Skip(str(path), f"row {row_no} (line {reader.line_num})",
                            f"malformed row: {len(values)} field(s), the header has {len(names)}"))
            continue
        row = dict(zip(names, values))
        for col in columns:
            cell = row.get(col) or ""
            split = cell.splitlines() if col in SPC_PERSONA_COLUMNS else [cell]
            out.extend((f"row {row_no} {col} line {j}", s) for j, s in enumerate(split) if s.strip()
                       or col not in SPC_PERSONA_COLUMNS)
    return out, bad


def _safe_rows(reader: Any, path: Path, bad: list[Skip]) -> Iterator[list[str]]:
    """Rows until the end; a row the csv module cannot parse (a quote never closed) is a skip."""
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            bad.append(Skip(str(path), f"line {reader.line_num}", f"malformed row: {exc}"))
            continue
        if values:
            yield values


def _jsonl_lines(path: Path, column: str | None) -> tuple[list[tuple[str, str]], list[Skip]]:
    fields = (column,) if column else TEXT_FIELDS
    lines, bad = [], []
    with open(path, encoding="utf-8") as fh:
        for i, raw in enumerate(fh):
            if not raw.strip():
                bad.append(Skip(str(path), f"line {i + 1}", "empty"))
                continue
            try:
                value = json.loads(raw)
            except (json.JSONDecodeError, RecursionError):  # nesting deeper than the parser's stack: not a seed
                bad.append(Skip(str(path), f"line {i + 1}", "not JSON"))
                continue
            text = value if isinstance(value, str) else next(
                (value[f] for f in fields if isinstance(value, dict) and isinstance(value.get(f), str)), None)
            if text is None:
                bad.append(Skip(str(path), f"line {i + 1}", f"no string field {'/'.join(fields)}"))
                continue
            lines.append((f"line {i + 1}", text))
    if not lines and bad:
        raise SeedFormatError(f"{path}: no line holds an attribute; each line must be a JSON string or an "
                              f"object with a string field {' / '.join(fields)} (set expand.seed_column=NAME)")
    return lines, bad
