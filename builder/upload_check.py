"""What every file `spc push` would upload is checked for before anything leaves the machine (the dry-run too).

A published export must not show where it was built: an absolute path of this machine in the card, the
manifest, the skip list or a Parquet string is a leak and makes the card useless elsewhere. The check reads
each file as the Hub would serve it: text files whole, Parquet files as the text of their string columns
(nested lists and structs included), other files as UTF-8 where they decode.

A check is a named function from text to findings; `CHECKS` holds the ones `push` runs. Another check (a
secret-pattern scan, for one) plugs in by appending a `Check` there, or by passing `checks=` to `scan`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from synthetic_persona_chat.redact import secret_findings

# An absolute path under a root that only a machine has (not a URL: no scheme, host or dot before the slash).
MACHINE_PATH = re.compile(r"(?<![\w.:/~-])/(?:home|root|tmp|Users|work|mnt|media|scratch|private|var/folders|"
                          r"srv|opt|data)/[^\s`'\"),;|\]]+")
TEXT_SUFFIXES = {".md", ".json", ".jsonl", ".txt", ".yaml", ".yml", ".csv"}


@dataclass(frozen=True)
class Check:
    name: str
    find: Callable[[str], list[str]]  # text -> what it found (each a short excerpt)


def machine_paths(text: str) -> list[str]:
    """Absolute paths of this (or any build) machine in `text`; the home folder is caught wherever it lives."""
    found = set(MACHINE_PATH.findall(text))
    home = str(Path.home())
    if len(home) > 1 and home in text:
        found.add(home)
    return sorted(found)


# secrets: the token shapes the Hub's own scanner rejects, credentials in URLs (synthetic_persona_chat/redact.py)
CHECKS: list[Check] = [Check("machine path", machine_paths), Check("secret", secret_findings)]


@dataclass
class ScanReport:
    checked: list[str] = field(default_factory=list)  # paths in the repo, in upload order
    findings: list[str] = field(default_factory=list)  # "<file>: <check>: <excerpt>"

    @property
    def ok(self) -> bool:
        return not self.findings


def scan(folder: str | Path, paths: Iterable[str], overrides: dict[str, str] | None = None,
         checks: Iterable[Check] | None = None) -> ScanReport:
    """Run every check over every file; `overrides` gives the text uploaded instead of a file (the card as
    pushed, with the repo id filled in)."""
    folder, overrides, checks = Path(folder), overrides or {}, list(CHECKS if checks is None else checks)
    report = ScanReport()
    for rel in paths:
        report.checked.append(rel)
        texts = [overrides[rel]] if rel in overrides else file_texts(folder / rel)
        for text in texts:
            for check in checks:
                report.findings += [f"{rel}: {check.name}: {hit}" for hit in check.find(text)]
    report.findings = list(dict.fromkeys(report.findings))
    return report


def file_texts(path: Path) -> Iterator[str]:
    """The text a reader of the uploaded file sees, in pieces (one per Parquet string column)."""
    if path.suffix == ".parquet":
        yield from parquet_texts(path)
    elif path.suffix in TEXT_SUFFIXES:
        yield path.read_text(encoding="utf-8", errors="replace")
    else:
        yield path.read_bytes().decode("utf-8", errors="ignore")


def parquet_texts(path: Path) -> Iterator[str]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    for column in table.columns:
        for chunk in column.chunks:
            for strings in _string_arrays(chunk):
                values = [v for v in strings.to_pylist() if v]
                if values:
                    yield "\n".join(values)


def _string_arrays(array) -> Iterator:
    """Every string array inside `array`, through lists, structs and dictionaries."""
    import pyarrow as pa

    kind = array.type
    if pa.types.is_dictionary(kind):
        yield from _string_arrays(array.dictionary)
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        yield array
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        yield from _string_arrays(array.flatten())
    elif pa.types.is_struct(kind):
        for i in range(kind.num_fields):
            yield from _string_arrays(array.field(i))
