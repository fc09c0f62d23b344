"""Packaged presets: YAML config files in a package folder, chosen by name (`--preset NAME`).

Why one mechanism: `spc generate --preset` reads whole configs from `generation/presets/*.yaml`, and the
cross tables (`spc eval nup | sft --preset`) read one section each from `eval/presets/<table>/*.yaml`.
A preset is a config file a user can read and copy into their own config, so every preset is loaded
and checked the way a user's file is (`read_config_file`, then the section's dataclass).
"""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any, Union

from .config import ConfigError, check_section, read_config_file
from .jsontypes import JsonObject, JsonValue

# A preset section's value as its dataclass takes it: the YAML value, a list made a tuple where the field is one
PresetValue = Union[JsonValue, tuple[JsonValue, ...]]


def preset_names(folder: Path) -> list[str]:
    """The presets in `folder`: its `*.yaml` files by stem, sorted."""
    return sorted(p.stem for p in folder.glob("*.yaml"))


def read_preset(folder: Path, name: str) -> JsonObject:
    """The config mapping of preset `name`; an unknown name is a ConfigError listing the ones there are."""
    path = folder / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"unknown preset {name!r}; available: {', '.join(preset_names(folder))}")
    return read_config_file(path)


def section_presets(folder: Path, section: str, cls: type) -> dict[str, dict[str, PresetValue]]:
    """{preset name: its `[section]` settings} of every preset in `folder`, each checked against `cls`.

    A preset file holds the one section (`eval_nup:` ...) and nothing else, so a typo in a packaged preset
    fails here, naming the file, rather than at the end of a long run. Sequences are given back as tuples
    where `cls` declares a tuple, so a preset's values equal the dataclass's own.
    """
    out = {}
    for name in preset_names(folder):
        data = read_preset(folder, name)
        if set(data) - {section}:
            raise ConfigError(f"{folder / name}.yaml: a {section} preset holds only the [{section}] section, "
                              f"found {', '.join(sorted(data))}")
        values = data.get(section) or {}
        try:
            check_section(section, values, cls)
        except ConfigError as exc:
            raise ConfigError(f"{folder / name}.yaml: {exc}") from exc
        out[name] = _as_declared(values, cls)
    return out


def _as_declared(values: JsonObject, cls: type) -> dict[str, PresetValue]:
    """`values` with YAML lists turned into tuples where the field of `cls` is a tuple."""
    hints = typing.get_type_hints(cls)
    tuples = {f.name for f in dataclasses.fields(cls) if _is_tuple(hints[f.name])}
    return {k: tuple(v) if k in tuples and isinstance(v, list) else v for k, v in values.items()}


def _is_tuple(hint: Any) -> bool:
    """`tuple[...]` or `tuple[...] | None`."""
    if typing.get_origin(hint) is tuple:
        return True
    return any(typing.get_origin(a) is tuple for a in typing.get_args(hint))
