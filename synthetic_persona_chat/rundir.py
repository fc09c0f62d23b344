"""The run directory: everything a run produced, and everything needed to reproduce or resume it.

    RUN/
      config.yaml          the merged configuration, defaults filled in (what the run used), secrets redacted
      requested.yaml       what the user asked for (preset, file and --set merged): a resume must ask the same
      manifest.json        package versions, python, platform, created/updated times
      models.json          identity of every model used (backend, path, size, device)
      prompts/             the prompt templates as rendered for this run
      cache/llm.sqlite     every LLM answer paid for (resume never pays twice)
      <stage>/             a stage's Parquet outputs + `_done.json` with its summary; its checkpoint
                           units (checkpoint.py) in sub-folders (expand/rounds/, conversations/iter-N/...)
      skips.jsonl          every record a stage could not use, with the reason
      .lock                who holds the run (lock.py): one process per run directory

Stage outputs are written to a temporary file and renamed, so a killed run never
leaves a half-written Parquet file behind. A stage's `_done.json` vouches for the files
beside it by name, size and sha256: a file deleted or changed after the stage finished
makes the stage not done (it reruns, from its checkpoints and the LLM cache), and
`require_complete` is the one "is this run complete" rule that `spc build` and `spc eval` share.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import platform
import sys
import time
from glob import escape as glob_escape
from pathlib import Path
from typing import Any, Iterable, TypedDict

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from . import lock
from . import config as config_module
from .config import Config, ConfigError, asked_settings
from .jsontypes import JsonObject
from .records import Skip
from .redact import redact
from .rowtypes import ArrowRow
from .versions import installed_versions
from .errors import RunStateError

log = logging.getLogger(__name__)
DONE = "_done.json"
REQUESTED = "requested.yaml"  # what the user asked for: a resume is compared against it
VOUCHED = "_files"  # the key of _done.json listing {name: {size, sha256}} of the stage's files

TRACKED_PACKAGES = ("synthetic-persona-chat", "torch", "transformers", "sentence-transformers", "datasets",
                    "huggingface_hub", "evaluate", "accelerate", "llama_cpp_python", "openai",
                    "alt-profanity-check", "scikit-learn", "numpy", "pyarrow", "ray")


class RunDirError(RunStateError, RuntimeError):
    """The directory holds another run, or a file in it is damaged."""


class FileDigest(TypedDict):
    """What a stage marker vouches for about one file beside it (`_done.json` -> `_files` -> name)."""

    size: int
    sha256: str


def package_versions() -> dict[str, str]:
    return installed_versions(TRACKED_PACKAGES)


class RunDir:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    # -- lifecycle ---------------------------------------------------------------------------
    def init(self, config: Config, allow_config_change: bool = False) -> "RunDir":
        """Lock the run, then create it or reopen it for resuming; a different config is refused unless allowed.

        The lock comes first (two processes never race on config.yaml) and is held until the process
        exits. A different config is only refused once a stage has produced something: a run that
        failed before any work (say, on a config value a stage rejected) takes the corrected config.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        self.lock = lock.acquire(self.path)
        cfg_path = self.path / "config.yaml"
        if cfg_path.exists():
            self._stored_config()  # a damaged config.yaml is named, never silently replaced
            asked = asked_settings(redact(config.requested))  # stored redacted: a key is not a setting
            changed = _changed_keys(asked_settings(self._stored_requested()), asked)
            if changed and not allow_config_change and self.has_work():
                raise RunDirError(
                    f"{self.path} holds a run with another config ({'; '.join(changed[:4])}"
                    f"{'; ...' if len(changed) > 4 else ''}); use a new run directory, "
                    f"or pass --allow-config-change to resume it with the new settings")
        # secrets (an api_key, a URL's password) are redacted: the run directory is shared and its card published
        write_text_atomic(cfg_path, yaml.safe_dump(redact(config.to_dict()), sort_keys=False))
        write_text_atomic(self.path / REQUESTED, yaml.safe_dump(redact(config.requested), sort_keys=True))
        manifest = self.manifest()
        now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        manifest.setdefault("created", now)
        manifest.update(updated=now, python=sys.version.split()[0], platform=platform.platform(),
                        packages=package_versions(), seed=config.seed)
        self.write_json("manifest.json", manifest)
        return self

    def has_work(self) -> bool:
        """Whether any stage has written output (a folder other than prompts/ and cache/)."""
        return any(p.is_dir() and p.name not in ("prompts", "cache") for p in self.path.iterdir())

    def _stored_config(self) -> JsonObject:
        return self._stored_yaml("config.yaml")

    def _stored_yaml(self, name: str) -> JsonObject:
        path = self.path / name
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise RunDirError(f"{path} is damaged ({_first_line(exc)}); restore it, or delete it to resume with "
                              f"the config you pass now") from exc
        if not isinstance(data, dict):
            raise RunDirError(f"{path} does not hold a mapping; restore it, or delete it to resume with the "
                              f"config you pass now")
        return data

    def _stored_requested(self) -> JsonObject:
        """What the run's user asked for; runs made before requested.yaml existed: their resolved config."""
        if (self.path / REQUESTED).exists():
            try:
                return self._stored_yaml(REQUESTED)
            except RunDirError as exc:  # only a comparison aid: the resolved config still says what ran
                log.warning("%s; comparing with config.yaml instead", exc)
        return self._stored_config()

    def config(self) -> Config:
        """The run's own config (resolved as stored), asking for what the run's user asked for."""
        try:
            config = Config.from_dict(self._stored_config())
        except ConfigError as exc:
            raise RunDirError(f"{self.path / 'config.yaml'}: {exc}") from exc
        config.requested = self._stored_requested()
        return config

    def manifest(self) -> JsonObject:
        return self.read_json("manifest.json", default={})

    # -- provenance ------------------------------------------------------------------------
    def record_model(self, role: str, description: JsonObject) -> None:
        models = self.read_json("models.json", default={})
        models[role] = description
        self.write_json("models.json", models)

    def record_prompt(self, name: str, text: str) -> None:
        path = self.path / "prompts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text)

    @property
    def llm_cache_path(self) -> Path:
        return self.path / "cache" / "llm.sqlite"

    # -- stage outputs ---------------------------------------------------------------------
    def stage_dir(self, stage: str) -> Path:
        d = self.path / stage
        d.mkdir(parents=True, exist_ok=True)
        return d

    def write_records(self, stage: str, name: str, rows: list[ArrowRow],
                      schema: pa.Schema | None = None) -> Path:
        path = self.stage_dir(stage) / f"{name}.parquet"
        write_parquet_atomic(path, pa.Table.from_pylist(rows, schema=schema))
        return path

    def read_records(self, stage: str, name: str) -> list[ArrowRow]:
        return read_rows(self.path / stage / f"{name}.parquet", f": run the '{stage}' stage first",
                         f"delete it and rerun the '{stage}' stage")

    def has_records(self, stage: str, name: str) -> bool:
        return (self.path / stage / f"{name}.parquet").exists()

    def mark_done(self, stage: str, summary: JsonObject) -> None:
        """Finish `stage`: the marker records its summary and vouches for every file beside it."""
        self.write_json(f"{stage}/{DONE}", {"finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **summary,
                                            VOUCHED: stage_files(self.path / stage)})

    def done_problem(self, stage: str) -> str | None:
        """None when `stage` finished and its files are as it left them; else what is wrong, naming the file."""
        marker = self.path / stage / DONE
        if not marker.exists():
            return (f"{marker} is missing: the '{stage}' stage of {self.path} did not finish (the run is "
                    f"half-written); rerun the same command on that run directory to resume it")
        try:
            data = self.read_json(f"{stage}/{DONE}")
        except RunDirError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get(VOUCHED, {}), dict):
            return f"{marker} is damaged (not the JSON object a finished stage writes)"
        vouched = data.get(VOUCHED)
        if vouched is None:  # written before markers vouched for files: trust it as before
            return None
        for name, want in sorted(vouched.items()):
            path, want = self.path / stage / name, want if isinstance(want, dict) else {}
            if not path.is_file():
                return f"{path} is missing but {marker} vouches for it"
            size = path.stat().st_size
            if size != want.get("size"):
                return f"{path} has {size} bytes, {marker} vouches for {want.get('size')}: it changed after the stage finished"
            if file_sha256(path) != want.get("sha256"):
                return f"{path} changed after the stage finished (its sha256 differs from {marker})"
        return None

    def is_done(self, stage: str) -> bool:
        """Done = marker present and every vouched file intact; a damaged stage is logged and reruns."""
        problem = self.done_problem(stage)
        if problem and (self.path / stage / DONE).exists():
            log.warning("%s; the '%s' stage runs again (from its checkpoints and cached answers)", problem, stage)
        return problem is None

    def require_complete(self, stages: Iterable[str] = ("conversations",)) -> None:
        """The one rule `spc build` and `spc eval` share: each of `stages` done, and every stage that says it
        is done still holding the files it vouched for. Raises `RunDirError` naming the file."""
        if not (self.path / "config.yaml").exists() and not any(self.path.glob(f"*/{DONE}")):
            raise RunDirError(f"{self.path} is not a run directory (no config.yaml, no stage output); "
                              f"create one with `spc generate --run-dir {self.path}`")
        marked = sorted(p.parent.name for p in self.path.glob(f"*/{DONE}"))
        for stage in list(dict.fromkeys([*stages, *marked])):
            self.require_done(stage)

    def require_done(self, stage: str) -> None:
        """`RunDirError` with `done_problem`'s words and the fix, when `stage` is not done (one stage)."""
        problem = self.done_problem(stage)
        if problem is None:
            return
        if not (self.path / stage / DONE).exists():  # the missing-marker problem already says what to do
            raise RunDirError(problem)
        raise RunDirError(f"{problem}; rerun the command that made {self.path} to repair it")

    def stage_summary(self, stage: str) -> JsonObject:
        summary = dict(self.read_json(f"{stage}/{DONE}", default={}))
        summary.pop(VOUCHED, None)
        return summary

    # -- skips -----------------------------------------------------------------------------
    def set_skips(self, stage: str, skips: Iterable[Skip]) -> None:
        """Make `skips` the records of `stage` in skips.jsonl, each once, in place of what it recorded before.

        Replaced, not appended: a stage's skips live in its checkpoint units (`checkpoint.py`), written
        with the step that met them, and the stage publishes all of them again whenever it runs. A kill
        and a resume then re-publish the same list, so no skip is ever recorded twice or lost.
        """
        mine = list(dict.fromkeys(json.dumps({"stage": stage, **s.to_dict()}, ensure_ascii=False) for s in skips))
        old = self.skips()
        if [json.dumps(r, ensure_ascii=False) for r in old if r.get("stage") == stage] == mine:
            return  # already published: a resumed or repeated stage rewrites nothing
        lines = [json.dumps(r, ensure_ascii=False) for r in old if r.get("stage") != stage] + mine
        write_text_atomic(self.path / "skips.jsonl", "".join(line + "\n" for line in lines))

    def skips(self, stage: str | None = None) -> list[JsonObject]:
        path = self.path / "skips.jsonl"
        if not path.exists():
            return []
        rows = []
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut by a kill or a full disk: the rest still counts
                log.warning("%s line %d is damaged and ignored", path, n)
        return [r for r in rows if isinstance(r, dict) and (stage is None or r.get("stage") == stage)]

    # -- small JSON helpers ----------------------------------------------------------------
    def read_json(self, rel: str, default: Any = None) -> Any:
        path = self.path / rel
        if not path.exists():
            return default
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:  # nested too deep: damaged too
            raise RunDirError(f"{path} is damaged ({_first_line(exc)}); delete it and rerun the same command "
                              f"(a stage marker or checkpoint is rebuilt; for manifest.json/models.json only the "
                              f"provenance record is lost)") from exc

    def write_json(self, rel: str, data: Any) -> Path:
        path = self.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(redact(data), indent=2, ensure_ascii=False, default=str))
        return path


def _temporary(path: Path) -> Path:
    """A per-process temporary name beside `path`: several workers (e.g. Ray actors) may write at once."""
    return path.with_name(f"{path.name}.{os.getpid()}.tmp")


def write_text_atomic(path: Path, text: str) -> None:
    """Write then rename: readers and resumed runs never see a half-written file."""
    _replace_from_temporary(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_parquet_atomic(path: Path, table: pa.Table) -> None:
    _replace_from_temporary(path, lambda tmp: pq.write_table(table, tmp))


def write_parquet_stream_atomic(path: Path, schema: pa.Schema, tables: Iterable[pa.Table]) -> int:
    """`tables` appended one row group each, atomically: a file far larger than memory is never held whole
    (the conversation stage's candidates at paper scale). Returns the rows written."""
    rows = 0

    def write(tmp: Path) -> None:
        nonlocal rows
        with pq.ParquetWriter(tmp, schema) as out:
            for table in tables:
                out.write_table(table)
                rows += table.num_rows

    _replace_from_temporary(path, write)
    return rows


def _replace_from_temporary(path: Path, write: Any) -> None:
    """`write(tmp)` then rename it over `path`. A write that fails (a full disk) removes its temporary file,
    and a successful one removes those that processes killed mid-write left beside `path`: a half-written
    `skips.jsonl.<pid>.tmp` used to outlive the failure and the successful rerun alike."""
    tmp = _temporary(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    for stale in path.parent.glob(f"{glob_escape(path.name)}.*.tmp"):
        pid = stale.name[len(path.name) + 1:-len(".tmp")]
        if pid.isdigit() and not lock.process_alive(int(pid)):
            stale.unlink(missing_ok=True)


def read_rows(path: Path, missing: str, fix: str) -> list[ArrowRow]:
    """The rows of a Parquet file; missing or damaged, a `RunDirError` naming it (`missing` / `fix` say what to do)."""
    if not path.is_file():
        raise RunDirError(f"{path} is missing{missing}")
    try:
        return pq.read_table(path).to_pylist()
    except (pa.ArrowInvalid, OSError) as exc:
        raise RunDirError(f"{path} is damaged ({exc}); {fix}") from exc


def stage_files(directory: Path) -> dict[str, FileDigest]:
    """{name: {size, sha256}} of the regular files directly in a stage folder (not the marker, not temp files)."""
    return {p.name: {"size": p.stat().st_size, "sha256": file_sha256(p)} for p in sorted(directory.iterdir())
            if p.is_file() and p.name != DONE and not p.name.endswith(".tmp")}


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _changed_keys(old: JsonObject, new: JsonObject) -> list[str]:
    """`section.key: old -> new` for every setting two `asked_settings` mappings disagree on."""
    def flat(data: JsonObject) -> JsonObject:
        return {f"{name}.{k}" if isinstance(v, dict) else name: x
                for name, v in data.items() for k, x in (v.items() if isinstance(v, dict) else [(None, v)])}
    def shown(values: JsonObject, key: str) -> str:
        return repr(values[key]) if key in values else "(default)"

    a, b = flat(old), flat(new)
    # the new side's default is today's code's, so it can be named; the run's was its own code's
    return [f"{key}: {shown(a, key)} -> {repr(b[key]) if key in b else _default_shown(key)}"
            for key in sorted(set(a) | set(b)) if shown(a, key) != shown(b, key)]


def _default_shown(key: str) -> str:
    """`3 (the default)` for a setting left at its default: "2 -> (default)" read as if the new value were
    unknown, when `--set generation.iterations=3` had asked for exactly the default."""
    section, _, name = key.partition(".")
    cls = config_module.ModelsConfig if section == "models" else config_module._section_class_or_none(section)
    field = next((f for f in dataclasses.fields(cls) if f.name == name), None) if cls else None
    if field is None:
        return "(default)"
    value = field.default if field.default is not dataclasses.MISSING else (
        field.default_factory() if field.default_factory is not dataclasses.MISSING else None)
    return f"{config_module._plain(value)!r} (the default)"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
