"""A GGUF file converted once into a transformers folder (safetensors + tokenizer), kept in the user cache.

Why: transformers reads a GGUF by parsing its whole metadata in Python (the tokenizer's 49k-entry vocabulary
and merges as GGUF fields) and dequantising every tensor, each time the model is loaded: about 12 s for the
bundled 135M SmolLM2 on 2 CPU cores (25 s under load), a tenth of the main job. The dequantised float32
weights and the converted tokenizer, saved once with `save_pretrained`, load in about a second and hold the
very same numbers (tests/models/llm/test_gguf_cache.py compares every tensor and the tokenizer's output).

The folder's key is the GGUF file's content hash and the versions of the libraries that convert it, so a new
model file or a new transformers never reuses an old conversion. It is built in a temporary folder beside
its place and renamed into it (atomic: a killed build leaves no half folder; two processes may both build,
the first rename wins). `SPC_GGUF_CACHE=0` turns it off (the GGUF is then read as before).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from ...paths import user_cache_dir
from .gguf_dense import dense_gguf_kwargs, detach_gguf_quantizer
from ...versions import installed_versions

log = logging.getLogger(__name__)

# Bump when the conversion recipe changes: old folders are then never served.
RECIPE = 1
_VERSIONED = ("transformers", "gguf", "torch", "tokenizers")
MARKER = "spc_converted.json"


def gguf_cache_enabled() -> bool:
    return os.environ.get("SPC_GGUF_CACHE", "1") != "0"


def converted_cache_dir() -> Path:
    return user_cache_dir() / "gguf-converted"


def file_digest(path: Path, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    return installed_versions(_VERSIONED, missing="absent")


def cache_key(gguf: Path) -> str:
    """The conversion's identity: the GGUF's bytes, the converting libraries' versions, the recipe."""
    versions = json.dumps(_versions(), sort_keys=True)
    tail = hashlib.sha256(f"{versions}|{RECIPE}".encode()).hexdigest()[:12]
    return f"{gguf.stem}-{file_digest(gguf)[:16]}-{tail}"


def converted_folder(gguf: Path, cache_dir: Path | None = None) -> Path:
    """The transformers folder of `gguf`, converted on a cache miss (see the module docstring)."""
    cache_dir = cache_dir or converted_cache_dir()
    key = cache_key(gguf)
    target = cache_dir / key
    if (target / MARKER).is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".build-") as tmp:
        build = Path(tmp) / key
        start = time.perf_counter()
        _convert(gguf, build)
        meta = {"source": str(gguf), "recipe": RECIPE, "versions": _versions(),
                "seconds": round(time.perf_counter() - start, 2)}
        (build / MARKER).write_text(json.dumps(meta, indent=2))
        try:
            build.rename(target)
        except OSError:  # another process renamed its conversion first: as good as ours
            if not (target / MARKER).is_file():
                raise
    log.info("converted %s to a transformers folder in %s (once per model file and library versions)",
             gguf.name, target)
    return target


def _convert(gguf: Path, build: Path) -> None:
    """Dequantise the GGUF as transformers does on every load, and save model and tokenizer as they are."""
    import torch  # heavy library: only with the transformers backend
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32,
                                                 **dense_gguf_kwargs(gguf.name))
    detach_gguf_quantizer(model).save_pretrained(build)
    tokenizer.save_pretrained(build)


def load_location(location: str, gguf_file: str | None) -> tuple[str, dict[str, str]]:
    """Where transformers should load from, and the `from_pretrained` keyword for it: the converted folder
    for a GGUF when the cache is on, else the GGUF itself."""
    if not gguf_file:
        return location, {}
    if not gguf_cache_enabled():
        return location, {"gguf_file": gguf_file}
    return str(converted_folder(Path(location) / gguf_file)), {}
