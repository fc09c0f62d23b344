"""Export a built dataset to a folder stock `datasets` (and the Hub) can load with no code of ours.

    OUT/
      README.md                          card: YAML `configs:` + generated description (card.py)
      spc_export.json                    version, source, rows, content fingerprint
      <config>/<split>-00000-of-00001.parquet   (a file identical to another config's is stored once)

The folder is written next to OUT and swapped in when complete, so an interrupted build never leaves a
half-written export. An OUT that holds another version (or files we did not write) is refused, and so
is one we may not write (it is never silently replaced). The export gets the permissions of a new
folder (the umask), not the private mode of a temporary one. A run directory is built only when it is
complete by the rule `spc eval` uses too (`RunDir.require_complete`).

The rows come from the `datasets` builder (`spc_builder.py`), run with `download_and_prepare` once per config:
the export holds exactly what `load_dataset("synthetic_persona_chat", CONFIG, data_dir=SOURCE)` gives, by
construction, since there is no second path that makes rows.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import shutil
import socket
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, TypedDict

import datasets

from synthetic_persona_chat import __version__
from synthetic_persona_chat.lock import process_alive
from synthetic_persona_chat.readers.sources import is_run_dir
from synthetic_persona_chat.rundir import RunDir, file_sha256
from synthetic_persona_chat.sample_data import resolve_path

from . import card
from .export_manifest import MANIFEST, ExportManifest
from .features import FEATURES
from .nup import NUM_CANDIDATES
from .rows import persona_rows
from .skips import SkipRecord, write_skip_file
from .sources import AttributeRow, Source, SourceError, describe, load_source, read_spc_files, spc_urls
from .spc_builder import SyntheticPersonaChat
from .spc_builder import logger as builder_log
from synthetic_persona_chat.errors import ExportFolderError

log = logging.getLogger(__name__)
CONFIGS = ("full", "persona-chat-compatible", "release", "conversations", "messages", "personas", "nup",
           "preferences")
REQUIRED = ("full", "conversations")  # every source fills these; a failure there is the source's, not skippable


class ExportError(ExportFolderError, RuntimeError):
    """The output folder cannot take this export; the message names the file and the fix."""


class BuilderInputs(TypedDict, total=False):
    """Where the builder reads its input: a run or release folder, or the release CSVs by split."""

    data_dir: str
    data_files: dict[str, list[str]]


class BuildOptions(BuilderInputs):
    """The builder's keyword arguments for one export: its input and `SyntheticPersonaChatConfig`'s settings."""

    nup_seed: int
    num_candidates: int
    partner_persona: bool


@dataclass
class ExportResult:
    folder: Path
    version: str
    rows: dict[str, dict[str, int]]  # config -> split -> rows
    skipped_configs: dict[str, str] = field(default_factory=dict)
    skips: list[SkipRecord] = field(default_factory=list)
    files: dict[str, dict[str, str]] = field(default_factory=dict)  # config -> split -> Parquet path in OUT


def read_build_source(source: str | Path) -> tuple[Source, BuilderInputs]:
    """The input read for the card, and the arguments that point the builder at the same files: a URL prefix of
    the release (downloaded once, the builder reads the local copies), a run directory or a release folder."""
    if str(source).startswith(("http://", "https://")):
        urls = spc_urls(str(source))
        local = datasets.DownloadManager(dataset_name="synthetic_persona_chat").download(urls)
        src = read_spc_files(local)
        src.location = str(source)
        return src, BuilderInputs(data_files={split: [path] for split, path in src.files.items()})
    if is_run_dir(resolve_path(str(source))):
        RunDir(source).require_complete(("conversations",))  # a run: complete by the rule eval uses too
    return load_source(source), BuilderInputs(data_dir=str(source))


def export(source: str | Path, out: str | Path, *, version: str = "1.0.0",
           configs: tuple[str, ...] = CONFIGS, nup_seed: int = 0, num_candidates: int = NUM_CANDIDATES,
           license: str = "cc-by-4.0", overwrite: bool = False, repo_hint: str | None = None,
           partner_persona: bool = False) -> ExportResult:
    """Build every config from `source` (a run dir, an SPC folder or file, `spc-sample:SPLIT`, a URL prefix) with
    the builder and write OUT atomically; the card describes the same input."""
    out = Path(out).expanduser().resolve()
    recover_interrupted(out)
    check_target(out, version, overwrite)
    src, data = read_build_source(source)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{_leftover_prefix(out, 'staging')}{os.getpid()}-", dir=out.parent))
    try:
        options = BuildOptions(**data, nup_seed=nup_seed, num_candidates=num_candidates,
                               partner_persona=partner_persona)
        rows, files, skipped, nbytes = _write_configs(options, staging, configs)
        configs_ctx = [{"name": n, "description": SyntheticPersonaChat.builder_configs[n].description,
                        "rows": rows[n], "bytes": nbytes[n], "files": files[n], "features": FEATURES[n]}
                       for n in configs if n in rows]
        write_skip_file(staging, src.skips)  # every skipped record; the card shows their classes
        ctx = card.card_context(src, version=version, license=license, configs=configs_ctx,
                                skipped_configs=skipped, persona_rows=_persona_rows(src, rows),
                                nup_seed=nup_seed, num_candidates=num_candidates, repo_hint=repo_hint)
        existing = (out / "README.md").read_text(encoding="utf-8") if (out / "README.md").exists() else None
        (staging / "README.md").write_text(card.compose(ctx, existing), encoding="utf-8")
        ExportManifest(version=version, built=time.strftime("%Y-%m-%dT%H:%M:%S%z"), builder=__version__,
                       datasets=datasets.__version__, source=describe(src), rows=rows, files=files,
                       skipped_configs=skipped, nup_seed=nup_seed, num_candidates=num_candidates,
                       fingerprint=fingerprint(staging)).write(staging)
        _open_permissions(staging)
        _swap_in(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ExportResult(out, version, rows, skipped, list(src.skips), files)


def _write_configs(options: BuildOptions, staging: Path, configs: tuple[str, ...]
                   ) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, str]], dict[str, str],
                              dict[str, dict[str, int]]]:
    """Parquet per config and split, from the builder; a file identical to one already written is not stored
    twice, its config points at the first copy (e.g. `persona-chat-compatible` at `full`'s files). Also returns
    each split's Arrow size in bytes, the `num_bytes` that `dataset_info` reports (as `push_to_hub` computes it).
    The builder's Arrow cache lives in the staging folder and is gone before the export is swapped in."""
    rows: dict[str, dict[str, int]] = {}
    nbytes: dict[str, dict[str, int]] = {}
    files: dict[str, dict[str, str]] = {}
    skipped: dict[str, str] = {}
    by_digest: dict[str, str] = {}
    cache = staging / ".builder-cache"
    for name in configs:
        try:
            built = build_config(name, options, cache)
        except ValueError as exc:  # SourceError too: the source cannot fill this config
            if name in REQUIRED:
                raise
            skipped[name] = str(exc)  # e.g. a run with no persona stage, or too small to draw 19 NUP distractors
            continue
        rows[name], files[name], nbytes[name] = {}, {}, {}
        for split, ds in built.items():
            rel = f"{name}/{split}-00000-of-00001.parquet"
            rows[name][split] = _write_split(ds, staging / rel)
            nbytes[name][split] = int(ds.data.nbytes)
            digest = file_sha256(staging / rel)
            if digest in by_digest:
                (staging / rel).unlink()
                rel = by_digest[digest]
            by_digest.setdefault(digest, rel)
            files[name][split] = rel
        if not any((staging / name).glob("*")) and (staging / name).is_dir():
            (staging / name).rmdir()
    shutil.rmtree(cache, ignore_errors=True)
    return rows, files, skipped, nbytes


def build_config(name: str, options: BuildOptions, cache: Path) -> datasets.DatasetDict:
    """One config's splits through `download_and_prepare`, in `cache` (fresh per export: never a stale one).

    A failure while rows are made reaches `datasets` inside its `DatasetGenerationError`; the source's own
    error under it is what the caller handles and the user reads."""
    builder = SyntheticPersonaChat(config_name=name, cache_dir=str(cache), **options)
    with _quiet():
        try:
            builder.download_and_prepare()
        except datasets.exceptions.DatasetGenerationError as exc:
            raise (exc.__cause__ or exc) from None
        return builder.as_dataset()


@contextmanager
def _quiet() -> Iterator[None]:
    """No progress bar per config and split, and no skip summary per config: the export reports its skips once,
    in the card and skips.jsonl."""
    bars_were_off = datasets.are_progress_bars_disabled()
    level = builder_log.level
    datasets.disable_progress_bars()
    builder_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        builder_log.setLevel(level)
        if not bars_were_off:
            datasets.enable_progress_bars()


def _persona_rows(src: Source, rows: dict[str, dict[str, int]]) -> list[AttributeRow] | None:
    return persona_rows(src) if "personas" in rows else None


def _leftover_prefix(out: Path, kind: str) -> str:
    """`.OUT.staging-HOST.` / `.OUT.old-HOST.`, then the PID: a later export can tell whose folder it is."""
    return f".{out.name}.{kind}-{socket.gethostname()}."


def recover_interrupted(out: Path) -> None:
    """Clean up after exports of this host killed mid-way (kill -9, power loss), whose process is gone.

    A staging folder of a dead export is half-written: removed. An `.OUT.old-*` folder is the previous
    export, moved aside just before the new one was renamed into place: removed when OUT exists, renamed
    back to OUT when the kill came between the two renames. Folders of live processes, and of other
    hosts sharing the disk, are left alone.
    """
    if not out.parent.is_dir():
        return
    for kind in ("staging", "old"):
        prefix = _leftover_prefix(out, kind)
        for folder in sorted(out.parent.glob(f"{glob.escape(prefix)}*")):
            pid = folder.name[len(prefix):].split("-", 1)[0]
            if not pid.isdigit() or process_alive(int(pid)) or not folder.is_dir():
                continue
            if kind == "old" and not out.exists():
                os.replace(folder, out)
                log.warning("%s: restored the previous export from %s (an export was killed mid-swap)", out, folder)
                continue
            shutil.rmtree(folder, ignore_errors=True)
            log.info("removed %s, left by an export (PID %s) that no longer runs", folder, pid)


def check_target(out: Path, version: str, overwrite: bool) -> None:
    """OUT must be new, empty, hold only a user's README.md, or hold this same version."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ExportError(f"{out} is a file: pass a folder to --out")
    if not os.access(out, os.W_OK | os.X_OK):
        raise ExportError(f"{out} is not writable (read-only folder or file system): make it writable "
                          f"(chmod u+w {out}) or choose another --out folder; it was left untouched")
    manifest_path = out / MANIFEST
    if manifest_path.exists():
        try:
            held = json.loads(manifest_path.read_text(encoding="utf-8")).get("version")
        except json.JSONDecodeError as exc:
            raise ExportError(f"{manifest_path} is damaged ({exc}); delete {out} and build again") from exc
        if held != version and not overwrite:
            raise ExportError(f"{manifest_path} says {out} already holds version {held}; build version {version} "
                              f"into a new --out folder, or pass --overwrite to replace it")
        return
    foreign = sorted(p.name for p in out.iterdir() if p.name != "README.md")
    if foreign and not overwrite:
        raise ExportError(f"{out} holds files not written by `spc build` ({', '.join(foreign[:5])}) and no "
                          f"{MANIFEST}; use an empty or new --out folder, or pass --overwrite to replace it")


def fingerprint(folder: Path) -> str:
    """sha256 over the data files' names and bytes: the same data gives the same fingerprint."""
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*.parquet")):
        h.update(path.relative_to(folder).as_posix().encode())
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def read_manifest(folder: str | Path) -> ExportManifest:
    """The export's manifest; `ExportError` naming the file and the fix when it is missing or damaged."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise ExportError(f"{path} is missing: {folder} is not an export; create one with `spc build SOURCE --out "
                          f"{folder}`")
    try:
        return ExportManifest.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:  # not JSON, or no version in it
        raise ExportError(f"{path} is damaged ({exc}); rebuild the export with `spc build SOURCE --out {folder}`") from exc


def _write_split(ds: datasets.Dataset, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.to_parquet(str(path))
    return len(ds)


def _open_permissions(folder: Path) -> None:
    """mkdtemp makes the staging folder 0700; the export gets what a new folder would (0777 & ~umask)."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir():
            path.chmod(0o777 & ~umask)


def _swap_in(staging: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        os.replace(staging, out)
        return
    old = out.with_name(f"{_leftover_prefix(out, 'old')}{os.getpid()}")
    os.replace(out, old)
    os.replace(staging, out)
    try:
        shutil.rmtree(old)
    except OSError as exc:
        log.warning("the previous export was moved aside to %s but could not be removed (%s); delete it", old, exc)
