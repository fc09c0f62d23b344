"""The one YAML reader for files a user hands to spc (configs, presets, study files).

`yaml.safe_load` runs no code, but it still lets a small file cost a lot: a 453-byte "billion laughs"
file of nested aliases expands to gigabytes when a value is copied or printed, and a duplicated key
silently keeps the last value (a config that says `iterations: 3` twice with different values ran
one of them without a word). A config never needs either, so both are refused here, as is nesting
deeper than any config needs (PyYAML recurses once per level). The errors are `yaml.YAMLError`s with
the position in the file, so every caller's existing "cannot parse FILE" handling names them.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode

MAX_DEPTH = 64  # levels of nested mappings/lists: configs use 3 or 4


class StrictYAMLError(ConstructorError):
    """An alias, a duplicated key or nesting too deep: refused, with where it is."""


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (`*name`), duplicate mapping keys and deep nesting."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise StrictYAMLError(None, None, f"alias *{event.anchor} is not allowed in spc files (aliases can "
                                  "expand a small file into gigabytes): write the value out",
                                  event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise StrictYAMLError(None, None, f"nesting deeper than {MAX_DEPTH} levels is not allowed",
                                      self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue  # the base class names an unhashable key itself
            if key in seen:
                raise StrictYAMLError(f"while reading the mapping that starts here", node.start_mark,
                                      f"key {key!r} appears twice (first {seen[key]}); keep one of them",
                                      key_node.start_mark)
            seen[key] = f"line {key_node.start_mark.line + 1}"
        return super().construct_mapping(node, deep=deep)


def load(text: str) -> Any:
    """Parse YAML text strictly (see the module docstring); raises `yaml.YAMLError` with the position."""
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
