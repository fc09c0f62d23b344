"""Resumable work as atomic units: the one checkpoint mechanism of every stage that may be killed.

A stage splits its work into named *units* (an expansion round, a chunk of profiles, a batch of
conversations). A unit is one folder, however many tables and values it holds:

    DIR/NAME/TABLE.parquet   each table of the unit
    DIR/NAME/unit.json       its JSON values, the skips it met, and what it cost (`meta`)

It is written under a temporary name beside its final one and renamed when complete: a rename is
atomic, so after a kill -9 a unit is there whole or not at all, never as one file of three. A
resumed stage reads the units that exist and computes the missing ones (`Checkpoints.get`).

The records a step could not use (skips) are part of its unit instead of a log appended beside it:
a stage publishes the skips of its units with `RunDir.set_skips`, which replaces that stage's lines.
Publishing again after a resume is then harmless, so a skip is recorded exactly once wherever the
kill landed.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pyarrow as pa
import pyarrow.parquet as pq

from .models.llm.scope import usage_scope
from .pause_points import pause_at
from .jsontypes import JsonObject
from .records import Skip
from .rowtypes import ArrowRow
from .rundir import RunDirError, read_rows

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from .context import RunContext

log = logging.getLogger(__name__)
UNIT_FILE = "unit.json"
Rows = list[ArrowRow]
StageFn = Callable[..., JsonObject]  # a stage function returns its summary (`_done.json`)


def resumable_stage(name: str) -> Callable[[StageFn], StageFn]:
    """A stage function `fn(ctx, ...) -> summary` that is a no-op returning the stored summary once stage
    `name` is done: the first rule of resuming, the same for every stage, so rerunning a command is safe."""

    def wrap(fn: StageFn) -> StageFn:
        @functools.wraps(fn)
        def run(ctx: RunContext, *args: Any, **kwargs: Any) -> JsonObject:
            if ctx.run.is_done(name):
                return ctx.run.stage_summary(name)
            return fn(ctx, *args, **kwargs)
        return run
    return wrap


@dataclass
class Unit:
    """One finished step: its tables (rows, or an Arrow table to store as is), JSON values, skips, cost."""

    tables: dict[str, Rows | pa.Table] = field(default_factory=dict)
    values: JsonObject = field(default_factory=dict)
    skips: list[Skip] = field(default_factory=list)
    meta: JsonObject = field(default_factory=dict)


class Checkpoints:
    """The units of one folder. `schemas` fixes the Arrow schema of a table by name (others are inferred),
    so an empty table still stores its columns and a resumed run reads the types a fresh one wrote."""

    def __init__(self, directory: str | Path, schemas: dict[str, pa.Schema] | None = None) -> None:
        self.directory = Path(directory)
        self.schemas = dict(schemas or {})

    def path(self, name: str) -> Path:
        return self.directory / name

    def done(self, name: str) -> bool:
        """Whether unit `name` exists: its folder only ever appears complete."""
        return (self.path(name) / UNIT_FILE).is_file()

    def get(self, name: str, compute: Callable[[], Unit]) -> Unit:
        """The stored unit, else `compute()`'s, stored first (with its seconds and LLM usage in `meta`).

        Either way the unit is read back from its files, so a fresh run and a resumed one continue
        from exactly the same rows (the types Parquet gives back, not the ones computed in memory).
        """
        if self.done(name):
            log.info("%s: resumed from its checkpoint", self.path(name))
        else:
            start = time.perf_counter()
            with usage_scope() as scope:
                unit = compute()
            self.write(name, Unit(unit.tables, unit.values, unit.skips,
                                  {"seconds": round(time.perf_counter() - start, 4), "usage": scope.to_dict(),
                                   **unit.meta}))
        return self.read(name)

    def write(self, name: str, unit: Unit) -> None:
        """Store `unit` atomically: every file goes into a temporary folder, which is renamed last."""
        final = self.path(name)
        self.directory.mkdir(parents=True, exist_ok=True)
        for stale in self.directory.glob(f".{name}.*.tmp"):  # left by a killed writer: one writer per unit
            shutil.rmtree(stale, ignore_errors=True)
        tmp = self.directory / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
        tmp.mkdir()
        try:
            for table, rows in unit.tables.items():
                data = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=self.schemas.get(table))
                pq.write_table(data, tmp / f"{table}.parquet")
                pause_at("checkpoint:table-written")  # a kill -9 test's moment: a unit half-written
            record = {"tables": list(unit.tables), "values": unit.values,
                      "skips": [s.to_dict() for s in unit.skips], "meta": unit.meta}
            (tmp / UNIT_FILE).write_text(json.dumps(record, ensure_ascii=False, default=str), encoding="utf-8")
            if final.exists():  # a unit is only written again when its caller chose to recompute it
                shutil.rmtree(final)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def read(self, name: str) -> Unit:
        """A stored unit; a damaged or missing file is a `RunDirError` naming it and the folder to delete."""
        folder = self.path(name)
        fix = f"delete {folder} and rerun the same command: that unit is computed again"
        if not (folder / UNIT_FILE).is_file():
            raise RunDirError(f"{folder / UNIT_FILE} is missing: that checkpoint unit was never finished")
        try:
            record = json.loads((folder / UNIT_FILE).read_text(encoding="utf-8"))
            tables = {t: read_rows(folder / f"{t}.parquet", f" from its checkpoint unit; {fix}", fix)
                      for t in record["tables"]}
            return Unit(tables, record["values"], [Skip(**s) for s in record["skips"]], record["meta"])
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
            raise RunDirError(f"{folder / UNIT_FILE} is damaged ({type(exc).__name__}: {exc}); {fix}") from exc
