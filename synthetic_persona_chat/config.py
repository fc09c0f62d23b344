"""Run configuration: a YAML/TOML file, presets, and `--set a.b=value` overrides.

The top level holds what every stage shares (seed, models). Each stage owns its
section: it declares a dataclass with documented defaults and reads it with
`config.section("name", StageConfig)`, so stages are added without touching this
module and unknown keys are an error, not a silent typo.
"""

from __future__ import annotations

import copy
import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .models.embedder import DEFAULT_EMBEDDER
from .models.llm import DEFAULT_LLM
from .models.toxicity import DEFAULT_TOXICITY

T = TypeVar("T")


class ConfigError(ValueError):
    """A config file or override is malformed; the message names the key."""


@dataclass
class ModelsConfig:
    """Which model serves each role; strings as in `ModelSpec` ("backend:model[@url]") or dicts."""

    llm: Any = DEFAULT_LLM  # generator and LLM judges
    embedder: str = DEFAULT_EMBEDDER  # sentence-transformers id or path; "minilm" = bundled
    nli: Any = "llm-judge"  # "cross-encoder:MODEL" or "llm-judge" (uses `llm`)
    toxicity: Any = DEFAULT_TOXICITY  # "profanity-check" or "transformers:MODEL"


@dataclass
class Config:
    seed: int = 0
    models: ModelsConfig = field(default_factory=ModelsConfig)
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)

    def section(self, name: str, cls: type[T]) -> T:
        """The stage section `name` as dataclass `cls`, defaults filled in, unknown keys rejected."""
        values = dict(self.sections.get(name) or {})
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown key(s) in [{name}]: {', '.join(unknown)}; "
                              f"known: {', '.join(sorted(known))}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "models": dataclasses.asdict(self.models), **copy.deepcopy(self.sections)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        data = copy.deepcopy(data or {})
        seed = data.pop("seed", 0)
        models = data.pop("models", {}) or {}
        known = {f.name for f in dataclasses.fields(ModelsConfig)}
        if set(models) - known:
            raise ConfigError(f"unknown key(s) in [models]: {', '.join(sorted(set(models) - known))}")
        for name, value in data.items():
            if not isinstance(value, dict):
                raise ConfigError(f"section {name!r} must be a mapping, got {type(value).__name__}")
        return cls(seed=int(seed), models=ModelsConfig(**models), sections=data)


def load_config(path: str | Path | None = None, overrides: list[str] | None = None,
                base: dict[str, Any] | None = None) -> Config:
    """`base` (e.g. a preset) <- file <- overrides, merged key by key."""
    data: dict[str, Any] = copy.deepcopy(base or {})
    if path:
        _merge(data, read_config_file(path))
    for item in overrides or []:
        _merge(data, parse_override(item))
    return Config.from_dict(data)


def read_config_file(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot parse {path}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping at the top level")
    return data


def parse_override(item: str) -> dict[str, Any]:
    """`generation.iterations=3` -> {"generation": {"iterations": 3}} (value parsed as YAML)."""
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {item!r} must look like section.key=value")
    value = yaml.safe_load(raw) if raw.strip() else ""
    out: dict[str, Any] = {}
    node = out
    parts = key.strip().split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)
