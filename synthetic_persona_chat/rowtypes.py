"""Dataclass <-> Arrow/dict rows: the schema of a stored row derived from its dataclass, and back.

Shared by every row contract (`row_contracts.py`, the Critic's `Verdict`), so a Parquet schema is never
written by hand next to the dataclass it stores.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import typing
from typing import Any, ForwardRef, TypeVar, Union

import pyarrow as pa

T = TypeVar("T")

# A stored row's values as Arrow takes them (`Table.from_pylist`) and gives them back (`Table.to_pylist`):
# scalars, lists and structs, nested. Not `JsonValue`: a Parquet column may also hold bytes, dates,
# timestamps and decimals, which JSON has no word for. The inner reference names this module, so
# `typing.get_type_hints` resolves it for a dataclass of another module with an ArrowRow field.
_INNER = ForwardRef("ArrowValue", module=__name__)
ArrowValue = Union[None, bool, int, float, str, bytes, decimal.Decimal, datetime.date, datetime.time,
                   datetime.timedelta, list[_INNER], dict[str, _INNER]]
ArrowRow = dict[str, ArrowValue]
_ARROW = {str: pa.string(), bool: pa.bool_(), int: pa.int64(), float: pa.float64()}


def arrow_type(hint: Any) -> pa.DataType:
    """Arrow type of a field's annotation: scalars, `X | None`, `list[X]` and nested dataclasses (structs)."""
    origin = typing.get_origin(hint)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if origin is list:
        return pa.list_(arrow_type(args[0]))
    if args:  # X | None
        return arrow_type(args[0])
    if dataclasses.is_dataclass(hint):
        return pa.struct(list(arrow_schema(hint)))
    return _ARROW[hint]


def arrow_schema(cls: type) -> pa.Schema:
    """The Parquet schema of a contract, field for field in declaration order."""
    hints = typing.get_type_hints(cls)
    return pa.schema([(f.name, arrow_type(hints[f.name])) for f in dataclasses.fields(cls)])


def to_row(obj: Any) -> ArrowRow:
    return dataclasses.asdict(obj)


class Row:
    """Base of a row contract (a dataclass): its producer builds it and hands on `to_row()`, a plain dict,
    because rows travel between stages as Arrow tables and Ray batches, not as objects."""

    def to_row(self) -> ArrowRow:
        return to_row(self)

    @classmethod
    def from_row(cls: type[T], row: ArrowRow) -> T:
        return from_row(cls, row)

    @classmethod
    def arrow_schema(cls) -> pa.Schema:
        return arrow_schema(cls)

    @classmethod
    def arrow_type(cls) -> pa.StructType:
        """The contract as a nested Arrow struct (a row inside another row's list column)."""
        return arrow_type(cls)


def from_row(cls: type[T], row: ArrowRow) -> T:
    """The contract of a stored row; nested contracts (turns, verdicts) are rebuilt too."""
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in row:
            values[f.name] = _convert(hints[f.name], row[f.name])
    return cls(**values)


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if origin is list:
        return [_convert(args[0], v) for v in value]
    if args:
        return _convert(args[0], value)
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return hint.from_row(value) if hasattr(hint, "from_row") else from_row(hint, value)
    return value
