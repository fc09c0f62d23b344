"""Run configuration: a YAML/TOML file, presets, and `--set a.b=value` overrides.

The top level holds what every stage shares (seed, models). Each stage owns its
section: it declares a dataclass with documented defaults and reads it with
`config.section("name", StageConfig)`, so stages are added without touching this
module and unknown keys are an error, not a silent typo.

Every value is type-checked against its dataclass field when the config is loaded (the
known sections are listed in `SECTIONS`), so a bad value is refused with the key, the
expected type and the value received before any run directory is touched.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import json
import logging
import math
import reprlib
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from . import strict_yaml
from .model_defaults import DEFAULT_EMBEDDER, DEFAULT_LLM, DEFAULT_NLI, DEFAULT_TOXICITY
from .model_spec import ROLE_BACKENDS, ModelSpec, ModelSpecError
from .errors import UsageError
from .jsontypes import JsonObject, JsonValue

T = TypeVar("T")
log = logging.getLogger(__name__)

# Known stage sections -> their dataclass ("module:Class"), checked at load time. Imported lazily: the
# classes live next to the stages that own them. A section not listed here is checked when read.
SECTIONS = {
    "expand": "synthetic_persona_chat.usergen.config:ExpandConfig",
    "profiles": "synthetic_persona_chat.usergen.config:ProfilesConfig",
    "pairs": "synthetic_persona_chat.usergen.config:PairsConfig",
    "generation": "synthetic_persona_chat.generation.config:GenerationConfig",
    "generator": "synthetic_persona_chat.generation.modes:GeneratorConfig",
    "critic": "synthetic_persona_chat.generation.config:CriticConfig",
    "ray": "synthetic_persona_chat.generation.ray_engine:RayConfig",
    "eval_quality": "synthetic_persona_chat.eval.quality:QualityConfig",
    "eval_nup": "synthetic_persona_chat.eval.crosstable:NUPRunConfig",
    "eval_sft": "synthetic_persona_chat.eval.sft:SFTRunConfig",
    "estimate": "synthetic_persona_chat.generation.estimate:EstimateConfig",
}

# Sections renamed since a release, old name -> new: configs and run directories written with the old name
# keep working (with a deprecation line), and a resumed run stores the new name.
RENAMED_SECTIONS = {"pairing": "pairs"}


class ConfigError(UsageError, ValueError):
    """A config file or override is malformed; the message names the key."""


def _spec(default: str) -> Any:
    return field(default_factory=lambda: ModelSpec.parse(default))


@dataclass
class ModelsConfig:
    """Which model serves each role: "backend:model[@url]" strings or mappings with `backend`, `model` and
    options, checked at load against the backends of each role (`model_spec.py`)."""

    llm: ModelSpec = _spec(DEFAULT_LLM)  # generator and LLM judges
    embedder: str = DEFAULT_EMBEDDER  # sentence-transformers id or path; "minilm" = bundled
    nli: ModelSpec = _spec(DEFAULT_NLI)  # offline default; "llm-judge" (uses `llm`) or "cross-encoder:MODEL"
    toxicity: ModelSpec = _spec(DEFAULT_TOXICITY)  # "toxicity-ensemble", "minilm-lora-toxicity", "minilm-toxicity", "profanity-check", "transformers:MODEL"
    # requests in flight to an HTTP LLM (openai:...) across the whole run; None: the spec's `concurrency` (8)
    max_concurrency: int | None = None

    def __post_init__(self) -> None:
        """Each role's spec parsed and validated, whether it came from a config file or from code."""
        for role in ROLE_BACKENDS:
            setattr(self, role, model_spec(role, getattr(self, role)))

    def to_json(self) -> JsonObject:
        """The `models` section as written in a config file (each spec in the spelling it was given)."""
        return {f.name: _plain_spec(getattr(self, f.name)) for f in dataclasses.fields(self)}


def model_spec(role: str, value: Any) -> ModelSpec:
    """`models.<role>` as a validated `ModelSpec`; a bad one is a `ConfigError` naming the field."""
    if not isinstance(value, ModelSpec):
        check_value(f"models.{role}", value, str | dict[str, Any])
    try:
        return ModelSpec.for_role(role, value)
    except ModelSpecError as exc:
        raise ConfigError(f"models.{role}: {exc}") from None


def _plain_spec(value: Any) -> Any:
    return value.to_config() if isinstance(value, ModelSpec) else copy.deepcopy(value)


@dataclass
class Config:
    seed: int = 0
    models: ModelsConfig = field(default_factory=ModelsConfig)
    sections: dict[str, JsonObject] = field(default_factory=dict)
    # what the user asked for (preset <- file <- --set, merged), before defaults are filled in
    requested: JsonObject = field(default_factory=dict, compare=False, repr=False)

    def section(self, name: str, cls: type[T]) -> T:
        """The stage section `name` as dataclass `cls`, defaults filled in, unknown keys and wrong types rejected."""
        values = dict(self.sections.get(name) or {})
        check_section(name, values, cls)
        return cls(**values)

    def to_dict(self) -> JsonObject:
        return {"seed": self.seed, "models": self.models.to_json(), **copy.deepcopy(self.sections)}

    def asked(self) -> JsonObject:
        """What this config asks for beyond the code's defaults, canonical: see `asked_settings`."""
        return asked_settings(self.requested)

    @classmethod
    def from_dict(cls, data: JsonObject) -> "Config":
        """Validate everything, then build: nothing downstream ever sees a value of the wrong type."""
        if not isinstance(data or {}, dict):
            raise ConfigError(f"a config must be a mapping of sections, got {_shown(data)}")
        data = renamed_sections(copy.deepcopy(data or {}))
        seed = data.pop("seed", 0)
        check_value("seed", seed, int)
        models = data.pop("models", None) or {}
        if not isinstance(models, dict):
            raise ConfigError(f"models: expected a mapping of role -> model ({', '.join(_field_names(ModelsConfig))}), "
                              f"got {_shown(models)}")
        check_section("models", {k: v for k, v in models.items() if k not in ROLE_BACKENDS}, ModelsConfig)
        specs = {role: model_spec(role, spec) for role, spec in models.items() if role in ROLE_BACKENDS}
        for name, value in data.items():
            if not isinstance(value, dict) and value is not None:
                raise ConfigError(f"{name}: expected a mapping of settings (section [{name}]), got {_shown(value)}")
        for name, value in data.items():
            section_class = _section_class(name)
            if section_class is None:
                log.warning("config section [%s] is not one spc knows (%s): is it a typo?", name, ", ".join(SECTIONS))
            elif value:
                check_section(name, value, section_class)
        return cls(seed=seed, models=ModelsConfig(**{**models, **specs}), sections={k: v or {} for k, v in data.items()},
                   requested=_plain({"seed": seed, "models": models, **data}))


def asked_settings(data: JsonObject) -> JsonObject:
    """The settings of a config mapping that differ from the code's defaults, as plain sorted JSON values.

    A run directory compares this, not the resolved config, with what a resume asks for: a config file
    that spells out a default equals one that leaves it out, and a default changed in the code (a new
    release, a new key) does not turn an unchanged command into "another config". Only top-level keys of
    a section are compared against their dataclass default; nested values are compared whole.
    """
    data = renamed_sections(_plain(data or {}), quiet=True)
    out: JsonObject = {}
    if data.get("seed", 0) != 0:
        out["seed"] = data["seed"]
    for name, values in data.items():
        if name == "seed" or not values:
            continue
        cls = ModelsConfig if name == "models" else _section_class_or_none(name)
        if not isinstance(values, dict):
            out[name] = values
            continue
        defaults = _defaults(cls) if cls is not None else {}
        kept = {k: v for k, v in sorted(values.items()) if k not in defaults or v != defaults[k]}
        if kept:
            out[name] = kept
    return dict(sorted(out.items()))


def _defaults(cls: type) -> JsonObject:
    """{field: default} of a dataclass, as plain JSON values (fields without a default are left out)."""
    out = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.default is not dataclasses.MISSING:
            out[f.name] = _plain(f.default)
        elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            out[f.name] = _plain(f.default_factory())  # type: ignore[misc]
    return out


def _plain(value: Any) -> JsonValue:
    """JSON's view of a value (tuples are lists, dataclasses are dicts): YAML round trips compare equal."""
    if isinstance(value, ModelSpec):
        value = value.to_config()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return json.loads(json.dumps(value, default=str, sort_keys=True))  # nested mappings compare in any key order


def _section_class_or_none(name: str) -> type | None:
    """The dataclass of a known section, or None when unknown or its module cannot be imported here."""
    try:
        return _section_class(name)
    except ImportError:
        return None


def _section_class(name: str) -> type | None:
    target = SECTIONS.get(name)
    if target is None:
        return None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def _field_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]


def check_section(name: str, values: JsonObject, cls: type) -> None:
    """Unknown keys and values of the wrong type are a `ConfigError` naming `section.key`."""
    known = _field_names(cls)
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"unknown key(s) in [{name}]: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    hints = typing.get_type_hints(cls)
    ranges = {f.name: f.metadata.get("range") for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key, value in values.items():
        check_value(f"{name}.{key}", value, hints.get(key, Any))
        check_range(f"{name}.{key}", value, ranges.get(key))


def check_value(key: str, value: Any, expected: Any) -> None:
    if not matches(value, expected):
        raise ConfigError(f"{key}: expected {type_name(expected)}, got {_shown(value)}")
    bad = _non_finite(value)
    if bad is not None:
        raise ConfigError(f"{key}: {bad} is not a usable number (a comparison with it is always false, so a "
                          f"threshold or weight of {bad} silently switches its check off); give a finite number")


def check_range(key: str, value: Any, bounds: "tuple[float | None, float | None] | None") -> None:
    """A number outside the field's `metadata={"range": (low, high)}` (inclusive; None = open) is refused."""
    if bounds is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    low, high = bounds
    if (low is not None and value < low) or (high is not None and value > high):
        span = f"from {low if low is not None else '-inf'} to {high if high is not None else 'inf'}"
        raise ConfigError(f"{key}: {value!r} is out of range; give a number {span}")


def _non_finite(value: Any) -> float | None:
    """The first NaN or infinity in a value (nested lists and mappings included), else None."""
    if isinstance(value, float) and not math.isfinite(value):
        return value
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    return next((bad for bad in map(_non_finite, items) if bad is not None), None)


def matches(value: Any, expected: Any) -> bool:
    """Whether a YAML/TOML value fits a dataclass annotation (int, float, str, X | None, list[X], dict[K, V]...)."""
    if expected is Any or expected is object:
        return True
    origin, args = typing.get_origin(expected), typing.get_args(expected)
    if origin in (typing.Union, types.UnionType):
        return any(matches(value, a) for a in args)
    if expected is type(None):
        return value is None
    if expected is bool:
        return isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if origin in (list, tuple, set, frozenset):
        if not isinstance(value, (list, tuple)):
            return False
        inner = [a for a in args if a is not Ellipsis] or [Any]
        return all(matches(v, inner[0] if len(inner) == 1 or origin is not tuple else t)
                   for v, t in zip(value, inner * len(value)))
    if origin is dict:
        if not isinstance(value, dict):
            return False
        kt, vt = args or (Any, Any)
        return all(matches(k, kt) and matches(v, vt) for k, v in value.items())
    if isinstance(expected, type):
        return isinstance(value, expected)
    return True  # an annotation we do not model (a Literal, a Protocol): accepted as before


def type_name(expected: Any, article: bool = True) -> str:
    """'an integer', 'a list of strings', 'an integer or null': the words a config error uses."""
    if expected is type(None):
        return "null"
    origin, args = typing.get_origin(expected), typing.get_args(expected)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a, article) for a in args)
    if origin in (list, tuple, set, frozenset):
        inner = type_name(next((a for a in args if a is not Ellipsis), Any), article=False)
        return ("a " if article else "") + f"list of {inner}s"
    if origin is dict:
        return ("a " if article else "") + "mapping"
    nouns = {int: ("an", "integer"), float: ("a", "number"), str: ("a", "string"), bool: ("a", "boolean")}
    a, noun = nouns.get(expected, ("a", getattr(expected, "__name__", str(expected))))
    return f"{a} {noun}" if article else noun


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 60, 60
_REPR.maxlist = _REPR.maxdict = _REPR.maxtuple = _REPR.maxset = 6


def _shown(value: Any) -> str:
    """A bounded view of a bad value: reprlib stops after a few items and levels, so a value built by
    a YAML bomb (or just a huge list) costs microseconds to show, not gigabytes."""
    text = _REPR.repr(value)
    return f"{text[:80] + '...' if len(text) > 80 else text} ({type(value).__name__})"


def load_config(path: str | Path | None = None, overrides: list[str] | None = None,
                base: JsonObject | None = None) -> Config:
    """`base` (e.g. a preset) <- file <- overrides, merged key by key."""
    return Config.from_dict(config_data(path, overrides, base))


def config_data(path: str | Path | None = None, overrides: list[str] | None = None,
                base: JsonObject | None = None) -> JsonObject:
    """The merged mapping `load_config` validates: for a command that checks parts of it on its own
    (`spc models check` reports a bad model spec as that role's row)."""
    data: JsonObject = renamed_sections(copy.deepcopy(base or {}))
    if path:
        _merge(data, renamed_sections(read_config_file(path)))
    for item in overrides or []:
        _merge(data, renamed_sections(parse_override(item)))
    return data


def renamed_sections(data: JsonObject, quiet: bool = False) -> JsonObject:
    """`data` with every renamed section under its new name; where both names appear, the new one's keys win.

    Applied to each layer (preset, file, each --set) before they merge, so `--set pairing.x=1` still
    overrides a preset's `pairs` section, and to stored configs, so an old run directory resumes.
    """
    if not isinstance(data, dict) or not any(old in data for old in RENAMED_SECTIONS):
        return data
    data = dict(data)
    for old, new in RENAMED_SECTIONS.items():
        if old not in data:
            continue
        if not quiet:
            log.warning("config section [%s] is now called [%s]; the old name still works but is deprecated",
                        old, new)
        values, current = data.pop(old), data.get(new)
        if isinstance(values, dict) and isinstance(current, dict):
            data[new] = {**values, **current}
        elif current is None:
            data[new] = values
    return data


def read_config_file(path: str | Path) -> JsonObject:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from exc
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else strict_yaml.load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot parse {path}: {' '.join(str(exc).split())}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping at the top level")
    return data


def parse_override(item: str) -> JsonObject:
    """`generation.iterations=3` -> {"generation": {"iterations": 3}} (value parsed as YAML)."""
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {item!r} must look like section.key=value")
    try:
        value = strict_yaml.load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        problem = " ".join(str(getattr(exc, "problem", "") or exc).split())
        raise ConfigError(f"--set {item!r}: the value {raw!r} is not valid YAML ({problem}); quote it as a "
                          f"string (--set '{key.strip()}=\"...\"') or fix the brackets") from exc
    out: JsonObject = {}
    node = out
    parts = key.strip().split(".")
    if any(not p for p in parts):
        raise ConfigError(f"override {item!r}: empty part in key {key.strip()!r}; write section.key=value")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def _merge(into: JsonObject, new: JsonObject) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)
