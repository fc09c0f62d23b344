"""JsonValue / ArrowValue are recursive: their inner reference must resolve from any module.

`typing.get_type_hints` (JsonRow.from_json, rowtypes.from_row, the config checker) used to look the inner
"JsonValue" / "ArrowValue" up in the module of the dataclass being read, where it is not defined: a
NameError for every dataclass with a JsonObject or ArrowRow field whose module imported only the alias.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass

import pytest

from synthetic_persona_chat.annotate.items import Item
from synthetic_persona_chat.checkpoint import Unit
from synthetic_persona_chat.config import matches
from synthetic_persona_chat.jsonrow import JsonRow, optional
from synthetic_persona_chat.jsontypes import JsonObject
from synthetic_persona_chat.model_spec import ModelSpec
from synthetic_persona_chat.records import Conversation
from synthetic_persona_chat.rowtypes import ArrowRow


@dataclass
class _Doc(JsonRow):
    """A JSON object with open-ended values, declared in a module that never imports JsonValue."""

    name: str
    values: JsonObject
    row: ArrowRow | None = optional()


@pytest.mark.parametrize("cls", [_Doc, Conversation, Item, Unit, ModelSpec])
def test_hints_resolve_outside_the_defining_module(cls):
    assert typing.get_type_hints(cls)


def test_a_json_object_field_round_trips_and_is_checked_as_json():
    data = {"name": "x", "values": {"a": [1, 2.5, None, {"b": "c"}], "d": True}}
    assert _Doc.from_json(data).to_json() == data
    hint = typing.get_type_hints(_Doc)["values"]
    assert matches(data["values"], hint) and not matches({"a": [object()]}, hint)
