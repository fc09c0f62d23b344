"""The run directory: everything a run produced, and everything needed to reproduce or resume it.

    RUN/
      config.yaml          the merged configuration
      manifest.json        package versions, python, platform, created/updated times
      models.json          identity of every model used (backend, path, size, device)
      prompts/             the prompt templates as rendered for this run
      cache/llm.sqlite     every LLM answer paid for (resume never pays twice)
      <stage>/             a stage's Parquet outputs + `_done.json` with its summary
      skips.jsonl          every record a stage could not use, with the reason

Stage outputs are written to a temporary file and renamed, so a killed run never
leaves a half-written Parquet file behind.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from .config import Config
from .records import Skip

TRACKED_PACKAGES = ("synthetic-persona-chat", "torch", "transformers", "sentence-transformers", "datasets",
                    "huggingface_hub", "evaluate", "accelerate", "llama_cpp_python", "openai",
                    "alt-profanity-check", "scikit-learn", "numpy", "pyarrow", "ray")


class RunDirError(RuntimeError):
    """The directory holds another run, or a file in it is damaged."""


def package_versions() -> dict[str, str]:
    out = {}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


class RunDir:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    # -- lifecycle ---------------------------------------------------------------------------
    def init(self, config: Config, allow_config_change: bool = False) -> "RunDir":
        """Create the run, or reopen it for resuming; a different config is refused unless allowed."""
        self.path.mkdir(parents=True, exist_ok=True)
        cfg_path = self.path / "config.yaml"
        new = config.to_dict()
        if cfg_path.exists():
            old = yaml.safe_load(cfg_path.read_text(encoding="utf-8")) or {}
            if old != new and not allow_config_change:
                raise RunDirError(
                    f"{self.path} holds a run with another config; use a new run directory, "
                    f"or pass --allow-config-change to resume it with the new settings")
        write_text_atomic(cfg_path, yaml.safe_dump(new, sort_keys=False))
        manifest = self.manifest()
        now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        manifest.setdefault("created", now)
        manifest.update(updated=now, python=sys.version.split()[0], platform=platform.platform(),
                        packages=package_versions(), seed=config.seed)
        self.write_json("manifest.json", manifest)
        return self

    def config(self) -> Config:
        return Config.from_dict(yaml.safe_load((self.path / "config.yaml").read_text(encoding="utf-8")))

    def manifest(self) -> dict[str, Any]:
        return self.read_json("manifest.json", default={})

    # -- provenance ------------------------------------------------------------------------
    def record_model(self, role: str, description: dict[str, Any]) -> None:
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

    def write_records(self, stage: str, name: str, rows: list[dict[str, Any]],
                      schema: pa.Schema | None = None) -> Path:
        path = self.stage_dir(stage) / f"{name}.parquet"
        write_parquet_atomic(path, pa.Table.from_pylist(rows, schema=schema))
        return path

    def read_records(self, stage: str, name: str) -> list[dict[str, Any]]:
        path = self.path / stage / f"{name}.parquet"
        if not path.exists():
            raise RunDirError(f"{path} is missing: run the '{stage}' stage first")
        try:
            return pq.read_table(path).to_pylist()
        except (pa.ArrowInvalid, OSError) as exc:
            raise RunDirError(f"{path} is damaged ({exc}); delete it and rerun the '{stage}' stage") from exc

    def has_records(self, stage: str, name: str) -> bool:
        return (self.path / stage / f"{name}.parquet").exists()

    def mark_done(self, stage: str, summary: dict[str, Any]) -> None:
        self.write_json(f"{stage}/_done.json", {"finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **summary})

    def is_done(self, stage: str) -> bool:
        return (self.path / stage / "_done.json").exists()

    def stage_summary(self, stage: str) -> dict[str, Any]:
        return self.read_json(f"{stage}/_done.json", default={})

    # -- skips -----------------------------------------------------------------------------
    def add_skips(self, stage: str, skips: Iterable[Skip]) -> int:
        lines = [json.dumps({"stage": stage, **s.to_dict()}, ensure_ascii=False) for s in skips]
        if lines:
            with open(self.path / "skips.jsonl", "a", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        return len(lines)

    def skips(self, stage: str | None = None) -> list[dict[str, Any]]:
        path = self.path / "skips.jsonl"
        if not path.exists():
            return []
        rows = [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
        return [r for r in rows if stage is None or r["stage"] == stage]

    # -- small JSON helpers ----------------------------------------------------------------
    def read_json(self, rel: str, default: Any = None) -> Any:
        path = self.path / rel
        if not path.exists():
            return default
        return json.loads(path.read_text(encoding="utf-8"))

    def write_json(self, rel: str, data: Any) -> Path:
        path = self.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, default=str))
        return path


def _temporary(path: Path) -> Path:
    """A per-process temporary name beside `path`: several workers (e.g. Ray actors) may write at once."""
    return path.with_name(f"{path.name}.{os.getpid()}.tmp")


def write_text_atomic(path: Path, text: str) -> None:
    """Write then rename: readers and resumed runs never see a half-written file."""
    tmp = _temporary(path)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_parquet_atomic(path: Path, table: pa.Table) -> None:
    tmp = _temporary(path)
    pq.write_table(table, tmp)
    os.replace(tmp, path)
