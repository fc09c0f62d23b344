"""Export a built dataset to a folder stock `datasets` (and the Hub) can load with no code of ours.

    OUT/
      README.md                          card: YAML `configs:` + generated description (card.py)
      spc_export.json                    version, source, rows, content fingerprint
      <config>/<split>-00000-of-00001.parquet

The folder is written next to OUT and swapped in when complete, so an interrupted build never leaves a
half-written export. An OUT that holds another version (or files we did not write) is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets

from synthetic_persona_chat import __version__

from . import card
from .nup import NUM_CANDIDATES
from .sources import SPC_FILES, Source, SourceError, describe, load_source, read_spc_files
from .spc_builder import SyntheticPersonaChat

MANIFEST = "spc_export.json"
CONFIGS = ("full", "persona-chat-compatible", "conversations", "personas", "nup")


class ExportError(RuntimeError):
    """The output folder cannot take this export; the message names the file and the fix."""


@dataclass
class ExportResult:
    folder: Path
    version: str
    rows: dict[str, dict[str, int]]  # config -> split -> rows
    skipped_configs: dict[str, str] = field(default_factory=dict)
    skips: list[dict[str, Any]] = field(default_factory=list)


def spc_urls(prefix: str) -> dict[str, str]:
    """The release's files under a URL prefix (e.g. sources.SPC_URL)."""
    return {split: prefix.rstrip("/") + "/" + name for split, name in SPC_FILES.items()}


def export(source: str | Path, out: str | Path, *, version: str = "1.0.0", configs: tuple[str, ...] = CONFIGS,
           nup_seed: int = 0, num_candidates: int = NUM_CANDIDATES, license: str = "cc-by-4.0",
           overwrite: bool = False, repo_hint: str = "NAMESPACE/NAME") -> ExportResult:
    """Build every config from `source` (a run dir, an SPC folder, or a URL prefix) and write OUT atomically."""
    out = Path(out).expanduser().resolve()
    check_target(out, version, overwrite)
    is_url = str(source).startswith(("http://", "https://"))
    builder_input = {"data_files": spc_urls(str(source))} if is_url else {"data_dir": str(Path(source).resolve())}
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        with tempfile.TemporaryDirectory(prefix="spc-build-cache-") as cache:
            rows, skipped, loaded, persona_rows = {}, {}, None, None
            for name in configs:
                builder = SyntheticPersonaChat(config_name=name, cache_dir=cache, nup_seed=nup_seed,
                                               num_candidates=num_candidates, **builder_input)
                try:
                    builder.download_and_prepare()
                except SourceError as exc:
                    if name in ("full", "conversations"):
                        raise
                    skipped[name] = str(exc)  # e.g. a run with no persona stage: said in the card and the log
                    continue
                loaded = builder.source
                built = builder.as_dataset()
                rows[name] = {split: _write_split(built[split], staging / name / split) for split in built}
                if name == "personas":
                    persona_rows = built["train"].to_list()
            source_obj: Source = loaded or (read_spc_files(builder_input["data_files"]) if is_url
                                           else load_source(builder_input["data_dir"]))
        configs_ctx = [{"name": n, "description": SyntheticPersonaChat.builder_configs[n].description,
                        "rows": rows[n]} for n in configs if n in rows]
        ctx = card.card_context(source_obj, version=version, license=license, configs=configs_ctx,
                                skipped_configs=skipped, persona_rows=persona_rows,
                                nup_seed=nup_seed, num_candidates=num_candidates, repo_hint=repo_hint)
        existing = (out / "README.md").read_text(encoding="utf-8") if (out / "README.md").exists() else None
        (staging / "README.md").write_text(card.compose(ctx, existing), encoding="utf-8")
        manifest = {"version": version, "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "builder": __version__,
                    "datasets": datasets.__version__, "source": describe(source_obj), "rows": rows,
                    "skipped_configs": skipped, "nup_seed": nup_seed, "num_candidates": num_candidates,
                    "fingerprint": fingerprint(staging)}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _swap_in(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ExportResult(out, version, rows, skipped, list(source_obj.skips))


def check_target(out: Path, version: str, overwrite: bool) -> None:
    """OUT must be new, empty, hold only a user's README.md, or hold this same version."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ExportError(f"{out} is a file: pass a folder to --out")
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


def read_manifest(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise ExportError(f"{path} is missing: {folder} is not an export; create one with `spc build SOURCE --out "
                          f"{folder}`")
    return json.loads(path.read_text(encoding="utf-8"))


def _write_split(ds: datasets.Dataset, stem: Path) -> int:
    stem.parent.mkdir(parents=True, exist_ok=True)
    ds.to_parquet(str(stem) + "-00000-of-00001.parquet")
    return len(ds)


def _swap_in(staging: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        os.replace(staging, out)
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.replace(out, old)
    os.replace(staging, out)
    shutil.rmtree(old, ignore_errors=True)
