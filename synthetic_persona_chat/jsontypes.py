"""The type of a JSON document before it is given a shape.

Why a type and not `dict[str, Any]`: at the few places where a document is still open-ended (a YAML file
read before validation, a backend's `describe()` whose keys differ per backend, a JSON line from an LLM
before its parser runs) `Any` says nothing, while `JsonValue` says the values are what `json.dumps` writes
and nothing else (no arrays, no objects of ours). Where a document has a fixed shape it is a `JsonRow`
(`jsonrow.py`) or a `Row` (`rowtypes.py`) instead.
"""

from __future__ import annotations

from typing import Union

JsonValue = Union[None, bool, int, float, str, list["JsonValue"], dict[str, "JsonValue"]]
JsonObject = dict[str, JsonValue]
