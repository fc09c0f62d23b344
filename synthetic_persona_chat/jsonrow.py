"""Typed JSON objects of the result files (`nup.json`, `quality.json`, `generative.json`, summaries).

Why: several readers (the Markdown report, the plots, the model cards, the Hub card) read the same result
file. As plain dicts each reader re-interpreted the keys; as a `JsonRow` dataclass the shape is written
once and each reader sees named fields. The file format must not change, so `from_json` followed by
`to_json` gives back the same object, key order included:

- fields are written in declaration order (declare them in the order the producer writes them);
- a field made with `optional()` is left out while it is None (a key the producer adds only sometimes,
  e.g. a cell's `not_run`); any other field is always written, None included (NaN is stored as null);
- a key that is not a Python name ("distinct-1") is declared with `keyed(...)` or `optional(key=...)`;
- keys the class does not declare are kept in `extra` and written after the declared ones, so a newer
  writer's additions survive an older reader's round trip.

The `Row` pattern of `rowtypes.py` is the same idea for Parquet rows; this one is for JSON objects, whose
optional keys and open-ended extras Arrow rows do not have.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, TypeVar

T = TypeVar("T", bound="JsonRow")
_OMIT, _KEY = "omit_if_none", "json_key"


def optional(default: Any = None, key: str | None = None) -> Any:
    """A field left out of the JSON object while it is None (present only when the producer set it);
    `key`: the JSON key where it is not a Python name ("distinct-1")."""
    return dataclasses.field(default=default, metadata={_OMIT: True, _KEY: key})


def keyed(key: str) -> Any:
    """A required field whose JSON key is not a Python name ("distinct-1")."""
    return dataclasses.field(metadata={_KEY: key})


def _key(f: dataclasses.Field) -> str:
    return f.metadata.get(_KEY) or f.name


@dataclasses.dataclass
class JsonRow:
    """Base of a typed JSON object: subclasses are dataclasses whose fields mirror the object's keys."""

    extra: dict[str, Any] = dataclasses.field(default_factory=dict, kw_only=True, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The JSON object this row was read from (or will be written as): declared keys, then extras."""
        out = {}
        for f in dataclasses.fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            if value is None and f.metadata.get(_OMIT):
                continue
            out[_key(f)] = _dump(value)
        return {**out, **_dump(self.extra)}

    @classmethod
    def from_json(cls: type[T], data: Any) -> T:
        """Read one JSON object; nested rows (lists and dicts of them too) are rebuilt by their own class.
        A non-object or a missing required key raises ValueError naming the class and the key."""
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            raise ValueError(f"{cls.__name__}: expected a JSON object, got {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        declared = [f for f in dataclasses.fields(cls) if f.name != "extra"]
        missing = [_key(f) for f in declared if _key(f) not in data and _required(f)]
        if missing:
            raise ValueError(f"{cls.__name__}: the JSON object lacks {', '.join(missing)} (has {', '.join(data)})")
        values = {f.name: _load(hints[f.name], data[_key(f)]) for f in declared if _key(f) in data}
        names = {_key(f) for f in declared}
        return cls(**values, extra={k: v for k, v in data.items() if k not in names})


def _required(f: dataclasses.Field) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _dump(value: Any) -> Any:
    if isinstance(value, JsonRow):
        return value.to_json()
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


def _load(hint: Any, value: Any) -> Any:
    """`value` as `hint` says: rows rebuilt, containers walked, anything else (scalars, blobs) kept as is."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if origin is list and args and isinstance(value, list):
        return [_load(args[0], v) for v in value]
    if origin is dict and len(args) == 2 and isinstance(value, dict):
        return {k: _load(args[1], v) for k, v in value.items()}
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _load(args[0], value)
    if isinstance(hint, type) and issubclass(hint, JsonRow):
        return hint.from_json(value)
    return value
