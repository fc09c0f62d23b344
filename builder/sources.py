"""Where a dataset comes from: the official SPC release CSVs, or one of our run directories.

Both are read into the record model (`Conversation`, persona attribute rows) grouped by split, together
with everything the card reports about them (skips with reasons, generation config, models, critic pass
rates). The builder turns a `Source` into rows; the card describes it.

- SPC release: a local folder holding any of the release files (splits present only), or a mapping
  split -> path/URL (URLs are fetched by the `datasets` download manager, for users with network).
- Run directory: `conversations/conversations.parquet` (+ `_done.json`), optional
  `expand/attributes.parquet` (+ `_done.json`), `config.yaml`, `models.json`, `skips.jsonl`.
"""

from __future__ import annotations

import functools
import logging
import os
from importlib import resources
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, TypedDict, cast

import yaml

from synthetic_persona_chat.generation.run_summary import STAGE, ConversationsSummary
from synthetic_persona_chat.iterations import one_based
from synthetic_persona_chat.readers.spc_csv import SPLIT_FILES, conversations_from_rows, read_spc_rows
from synthetic_persona_chat.records import Conversation, PersonaAttribute, RecordError, Skip
from synthetic_persona_chat.readers.sources import is_run_dir
from synthetic_persona_chat.rundir import RunDir, RunDirError
from synthetic_persona_chat.sample_data import PREFIX, resolve_path
from synthetic_persona_chat.errors import InputError
from synthetic_persona_chat.jsontypes import JsonObject

from .export_manifest import SourceSummary
from .preferences import CandidateRow
from .skips import SkipRecord

log = logging.getLogger(__name__)

# The paper every SPC-derived dataset cites (card and builder info); a packaged BibTeX file, so the
# standalone Hub metric (eval/nup_ranking) is the only other place it is written out.
CITATION = resources.files("synthetic_persona_chat.data").joinpath("paper.bib").read_text(encoding="utf-8")

# The one place the release's locations are written down: its GitHub files and its Hub repo (same CSVs).
SPC_URL = "https://raw.githubusercontent.com/google-research-datasets/Synthetic-Persona-Chat/main/data/"
SPC_HUB_REPO = "google/Synthetic-Persona-Chat"
SPC_HUB_FOLDER = "data"
# The release's files by split; `synthetic` is the new-personas part (the `full` config only).
SPC_FILES = {**SPLIT_FILES, "synthetic": "New-Persona-New-Conversations.csv"}


def spc_urls(prefix: str = SPC_URL) -> dict[str, str]:
    """The release's files by split under a URL prefix (the GitHub release, a mirror, a local server)."""
    return {split: prefix.rstrip("/") + "/" + name for split, name in SPC_FILES.items()}


# Persona-Chat's own splits; everything else a run generated is the `synthetic` split.
PERSONA_CHAT_SPLITS = ("train", "validation", "test")


class AttributeRow(TypedDict):
    """One persona attribute of a run's pool: `PersonaAttribute.to_dict()` and the size of its category (the
    `personas` config's columns, `features.PERSONA_FEATURES`). A TypedDict: the rows go to the builder as dicts."""

    text: str
    category: int | None  # cluster id from query induction
    query: str | None
    origin: str  # "seed" or "generated"
    round: int
    id: str
    category_size: int | None  # attributes in its category (None: the run wrote no categories)


class SourceError(InputError, ValueError):
    """The input is not a usable SPC release or run directory; the message names the file and the fix."""


@dataclass
class Source:
    """Conversations by split, persona attributes, and the provenance the dataset card reports."""

    kind: str  # "spc" or "run"
    location: str
    conversations: dict[str, list[Conversation]]
    attributes: list[AttributeRow] | None = None  # the run's attribute pool, if it has one
    skips: list[SkipRecord] = field(default_factory=list)
    config: JsonObject | None = None  # the run's config.yaml, verbatim (free-form: the card prints it)
    models: JsonObject | None = None  # the run's models.json, verbatim (role -> the backend's own description)
    release: dict[str, list[dict[str, str]]] | None = None  # the release CSVs' raw rows by split (SPC only)
    summary: ConversationsSummary | None = None  # the conversations stage's `_done.json` (runs only)
    candidates: list[CandidateRow] | None = None  # every Generator candidate with its verdicts (runs only)
    files: dict[str, str] = field(default_factory=dict)  # the release CSV read for each split (SPC only)

    @property
    def pass_rates(self) -> dict[str, float | dict[str, float]]:
        """Each Critic expert's pass rate from the conversation stage's summary (the card also prints a
        nested {name: rate} mapping as it finds it)."""
        return dict(self.summary.pass_rates or {}) if self.summary else {}

    @property
    def critic_counts(self) -> dict[str, int]:
        """Candidates each Critic expert judged (the denominators of `pass_rates`); empty for older runs."""
        return dict(self.summary.evaluated or {}) if self.summary else {}


def load_source(location: str | Path) -> Source:
    """A run directory or an SPC release folder, told apart by their files."""
    path = resolve_path(str(location))
    split = next((split for split, name in SPC_FILES.items() if name == path.name), None)
    if path.is_file() and split is not None:  # one release CSV, e.g. the packaged `spc-sample:test`
        source = read_spc_files({split: str(path)})
        source.location = str(location) if str(location).startswith(PREFIX) else str(path)
        return source
    if not path.is_dir():
        raise SourceError(f"{location} is not a directory: pass an SPC release folder (holding "
                          f"{', '.join(SPC_FILES.values())}), one of those files, `spc-sample:SPLIT` (the packaged "
                          f"sample) or a run directory")
    if is_run_dir(path):
        return read_run_dir(path)
    files = {split: str(path / name) for split, name in SPC_FILES.items() if (path / name).exists()}
    if not files:
        raise SourceError(f"{path} holds neither a run (config.yaml, conversations/) nor any SPC release file "
                          f"({', '.join(SPC_FILES.values())}); point at the folder that holds them")
    return read_spc_files(files, location=str(path))


def read_spc_files(files: Mapping[str, str], location: str = "") -> Source:
    """SPC release CSVs (local paths) by split; each file is read once, raw rows kept for the `release` config."""
    unknown = sorted(set(files) - set(SPC_FILES))
    if unknown:
        raise SourceError(f"unknown SPC split(s) {unknown}; the release has {sorted(SPC_FILES)}")
    conversations, raw, skips = {}, {}, []
    for split in SPC_FILES:  # release order, whatever order the caller used
        if split not in files:
            continue
        raw[split], conversations[split], split_skips = _parsed_csv(files[split], split, *_stamp(files[split]))
        skips += [{"stage": "read", **s.to_dict()} for s in split_skips]
    return Source(kind="spc", location=location or ", ".join(files.values()), conversations=conversations,
                  skips=skips, release=raw, files={split: files[split] for split in raw})


def _stamp(path: str) -> tuple[int, int]:
    """Size and modification time: a file rewritten in place is parsed again."""
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


@functools.lru_cache(maxsize=8)
def _parsed_csv(path: str, split: str, size: int, mtime_ns: int) -> tuple[list[dict[str, str]], list[Conversation],
                                                                           tuple[Skip, ...]]:
    """One release CSV parsed once per version of the file in this process (its callers only read the result):
    the builder reads a split's files once to plan the splits and again to make the rows, once per config, and
    parsing dominated the time of an export of all configs."""
    rows = read_spc_rows(path)
    conversations, skips = conversations_from_rows(rows, path, split=split)
    return rows, conversations, tuple(skips)


def read_run_dir(path: str | Path) -> Source:
    """A finished run directory; a half-written one is an error naming the missing file."""
    run = RunDir(path)
    conversations = _by_split(one_based(_read_conversations(run)))  # an old run's 0-based iterations too
    return Source(kind="run", location=str(run.path), conversations=conversations,
                  attributes=_read_attributes(run), skips=run.skips(), config=_read_yaml(run.path / "config.yaml"),
                  models=run.read_json("models.json", default={}), summary=_read_summary(run),
                  candidates=_read_candidates(run))


def _read_summary(run: RunDir) -> ConversationsSummary | None:
    """The conversations stage's typed summary; None (logged) when the stage is not done or its marker lacks the
    counts every release writes (a hand-made run): the card then reports no pass rates."""
    if not run.is_done(STAGE):
        return None
    try:
        return ConversationsSummary.of_run(run)
    except ValueError as exc:
        log.warning("%s: %s; the card reports no Critic pass rates", run.path / STAGE / "_done.json", exc)
        return None


def _read_candidates(run: RunDir) -> list[CandidateRow] | None:
    """`conversations/candidates.parquet` (the Critic's every verdict), or None for a run without it."""
    if not (run.path / "conversations" / "candidates.parquet").exists():
        return None
    return cast("list[CandidateRow]", one_based(_read_records(run, "conversations", "candidates")))


def _read_conversations(run: RunDir) -> list[Conversation]:
    parquet = run.path / "conversations" / "conversations.parquet"
    if not parquet.exists():
        raise SourceError(f"{parquet} is missing: this run has no conversations yet; run the generation stage "
                          f"on {run.path} first")
    _require_done(run, "conversations")
    rows = _read_records(run, "conversations", "conversations")
    out = []
    for i, row in enumerate(rows):
        try:
            out.append(Conversation.from_dict(row))
        except (RecordError, TypeError, ValueError) as exc:
            raise SourceError(f"{parquet} row {i} is not a conversation record ({exc}); "
                              f"rerun the generation stage on {run.path}") from exc
    return out


def _read_attributes(run: RunDir) -> list[AttributeRow] | None:
    parquet = run.path / "expand" / "attributes.parquet"
    if not parquet.exists():
        return None
    _require_done(run, "expand")
    sizes = {}
    if run.has_records("expand", "categories"):
        sizes = {r["category"]: r.get("size") for r in _read_records(run, "expand", "categories")}
    rows = []
    for i, row in enumerate(_read_records(run, "expand", "attributes")):
        try:
            attr = PersonaAttribute.from_dict(row).to_dict()
        except (RecordError, TypeError) as exc:
            raise SourceError(f"{parquet} row {i} is not a persona attribute ({exc}); "
                              f"rerun the user generation stage on {run.path}") from exc
        rows.append(AttributeRow(**attr, category_size=sizes.get(attr["category"])))
    return rows


def _require_done(run: RunDir, stage: str) -> None:
    """The one run-complete rule (`RunDir.require_done`), which `spc eval` and `export.read_build_source` use too."""
    try:
        run.require_done(stage)
    except RunDirError as exc:
        raise SourceError(str(exc)) from exc


def _read_records(run: RunDir, stage: str, name: str) -> list[JsonObject]:
    """A stage's Parquet rows (`to_pylist`: scalars, lists and structs, the values JSON has)."""
    try:
        return run.read_records(stage, name)
    except RunDirError as exc:
        raise SourceError(str(exc)) from exc


def _read_yaml(path: Path) -> JsonObject | None:
    if not path.exists():
        return None
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SourceError(f"{path} is not valid YAML ({exc}); restore the run's config.yaml") from exc


def _by_split(conversations: list[Conversation]) -> dict[str, list[Conversation]]:
    """Persona-Chat splits keep their name; everything a run generated without one is `synthetic`."""
    out: dict[str, list[Conversation]] = {}
    for conv in conversations:
        split = conv.split if conv.split in PERSONA_CHAT_SPLITS else "synthetic"
        out.setdefault(split, []).append(conv)
    return {s: out[s] for s in (*PERSONA_CHAT_SPLITS, "synthetic") if s in out}


def public_name(source: Source) -> str:
    """Where the data came from, as a reader elsewhere can use it: URLs, Hub ids and the packaged sample stay;
    a path of the build machine becomes the names of its files (a release) or its folder name (a run).

    Everything an export writes names its source by this, never by `location`: an export is published, and a
    path of the build machine means nothing elsewhere (and tells where and under whose account it was built)."""
    where = source.location
    if where.startswith(("http://", "https://", "hf://", "spc-sample:")):
        return where
    if source.kind == "spc":
        return ", ".join(sorted(SPC_FILES[s] for s in source.conversations))
    return os.path.basename(where.rstrip("/")) or "run"


def describe(source: Source) -> SourceSummary:
    """A JSON-able summary for the export manifest (which is published: the run's name, never its path)."""
    return SourceSummary(kind=source.kind, name=public_name(source),
                         conversations={s: len(c) for s, c in source.conversations.items()},
                         attributes=None if source.attributes is None else len(source.attributes),
                         skips=len(source.skips))
