"""The type of a JSON document before it is given a shape.

Why a type and not `dict[str, Any]`: at the few places where a document is still open-ended (a YAML file
read before validation, a backend's `describe()` whose keys differ per backend, a JSON line from an LLM
before its parser runs) `Any` says nothing, while `JsonValue` says the values are what `json.dumps` writes
and nothing else (no arrays, no objects of ours). Where a document has a fixed shape it is a `JsonRow`
(`jsonrow.py`) or a `Row` (`rowtypes.py`) instead.
"""

from __future__ import annotations

from typing import ForwardRef, Union

# The inner reference names this module: `typing.get_type_hints` on a dataclass elsewhere with a JsonObject
# field resolves it here (a bare "JsonValue" was looked up in the dataclass's module and failed there).
_INNER = ForwardRef("JsonValue", module=__name__)
JsonValue = Union[None, bool, int, float, str, list[_INNER], dict[str, _INNER]]
JsonObject = dict[str, JsonValue]
