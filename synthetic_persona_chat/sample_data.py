"""The SPC sample that ships inside the package, addressed as `spc-sample:valid` / `spc-sample:test`.

A user who ran `pip install` has no copy of the release, yet the tiny preset, the main job and the
small eval preset must run offline. The sample (150 conversations per split, CC BY 4.0, attribution in
`data/spc_sample/README.md`) travels as package data; a symbolic name instead of an absolute path keeps
`config.yaml` the same on every machine, so a run directory resumes after the package moves.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PREFIX = "spc-sample:"
SPLITS = ("valid", "test")


def sample_path(split: str) -> Path:
    """The packaged CSV of one split of the sample."""
    if split not in SPLITS:
        raise FileNotFoundError(f"no packaged SPC sample split {split!r}; choose {PREFIX}valid or {PREFIX}test")
    path = Path(str(resources.files("synthetic_persona_chat.data") / "spc_sample"
                    / f"Synthetic-Persona-Chat_{split}.csv"))
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall synthetic-persona-chat (the sample is package data)")
    return path


def sample_dir() -> Path:
    """The folder that holds both sample splits (SPC's file names, so directory readers take it)."""
    return sample_path("valid").parent


def is_sample(spec: object) -> bool:
    return isinstance(spec, str) and spec.startswith(PREFIX)


def resolve_path(spec: "str | Path") -> Path:
    """`spc-sample:SPLIT` (or `spc-sample:` for the folder) -> packaged file; anything else -> a user path."""
    if is_sample(spec):
        split = str(spec)[len(PREFIX):]
        return sample_dir() if split in ("", "dir") else sample_path(split)
    return Path(spec).expanduser()
