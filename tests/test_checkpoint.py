"""The checkpoint helper on real files: a unit appears whole or not at all (also across a real kill -9 of
the writing process), done units are read and missing ones computed, skips are published exactly once,
and a damaged unit is named with the folder to delete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthetic_persona_chat.checkpoint import UNIT_FILE, Checkpoints, Unit
from synthetic_persona_chat.config import load_config
from synthetic_persona_chat.records import Skip
from synthetic_persona_chat.rundir import RunDir, RunDirError

SCHEMA = pa.schema([("text", pa.string()), ("n", pa.int64())])


def _unit(tag: str = "a") -> Unit:
    return Unit(tables={"rows": [{"text": tag, "n": 1}], "empty": []}, values={"info": {"tag": tag}},
                skips=[Skip("seeds.txt", "line 3", "too short")], meta={"source": tag})


def test_a_unit_round_trips_every_part(tmp_path):
    units = Checkpoints(tmp_path / "c", {"rows": SCHEMA, "empty": SCHEMA})
    assert not units.done("u")
    units.write("u", _unit())
    assert units.done("u")
    got = units.read("u")
    assert got.tables == {"rows": [{"text": "a", "n": 1}], "empty": []}
    assert pq.read_schema(tmp_path / "c" / "u" / "empty.parquet").names == ["text", "n"]  # typed although empty
    assert got.values == {"info": {"tag": "a"}} and got.meta == {"source": "a"}
    assert got.skips == [Skip("seeds.txt", "line 3", "too short")]
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["u"]  # no temporary folder left


def test_a_crash_while_writing_leaves_no_unit(tmp_path, monkeypatch):
    units = Checkpoints(tmp_path / "c", {"rows": SCHEMA})
    real = pq.write_table

    def second_table_fails(table, where, *a, **kw):
        if str(where).endswith("empty.parquet"):
            raise OSError(28, "No space left on device")
        return real(table, where, *a, **kw)

    monkeypatch.setattr(pq, "write_table", second_table_fails)
    with pytest.raises(OSError, match="No space"):
        units.write("u", _unit())
    assert not units.done("u") and list((tmp_path / "c").iterdir()) == []  # neither the unit nor its parts


WRITER = textwrap.dedent("""
    import sys, time
    import pyarrow.parquet as pq
    from synthetic_persona_chat.checkpoint import Checkpoints, Unit
    real = pq.write_table
    def slow(table, where, *a, **kw):
        real(table, where, *a, **kw)
        print("wrote", where, flush=True)
        time.sleep(60)  # killed here: one table of two is on disk
    pq.write_table = slow
    Checkpoints(sys.argv[1]).write("u", Unit(tables={"rows": [{"text": "a"}], "more": [{"text": "b"}]}))
""")


def test_kill_9_mid_write_leaves_no_unit_and_the_next_write_cleans_up(tmp_path):
    directory = tmp_path / "c"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(directory)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.stdout.readline().startswith("wrote")  # the first table is written, the process sleeps
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    units = Checkpoints(directory)
    leftovers = [p.name for p in directory.iterdir()]
    assert not units.done("u") and len(leftovers) == 1 and leftovers[0].startswith(".u.")  # only the temp folder
    got = units.get("u", lambda: _unit("resumed"))
    assert got.values["info"]["tag"] == "resumed" and [p.name for p in directory.iterdir()] == ["u"]


def test_done_units_are_read_and_missing_ones_computed(tmp_path):
    units = Checkpoints(tmp_path / "c", {"rows": SCHEMA, "empty": SCHEMA})
    calls = []

    def compute():
        calls.append(1)
        time.sleep(0.01)
        return _unit()

    first = units.get("u", compute)
    again = Checkpoints(tmp_path / "c", {"rows": SCHEMA, "empty": SCHEMA}).get("u", compute)  # a resumed run
    assert len(calls) == 1 and again == first
    assert first.meta["seconds"] >= 0.01 and first.meta["usage"]["calls"] == 0  # what it cost, kept with it
    assert first.meta["source"] == "a"  # the caller's own meta is kept beside the cost


def test_skips_of_units_are_published_exactly_once_across_a_kill(tmp_path):
    run = RunDir(tmp_path / "run").init(load_config())
    units = Checkpoints(run.path / "stage" / "chunks")

    def stage(kill_after: int | None = None) -> None:
        skips = []
        for i in range(3):
            unit = units.get(f"chunk_{i}", lambda i=i: Unit(skips=[Skip("stage", f"user {i}", "too few")]))
            skips.extend(unit.skips)
            run.set_skips("stage", skips)  # published as it goes, as a stage may
            if kill_after == i:
                return
        run.set_skips("stage", skips)

    stage(kill_after=1)  # killed after chunk 1 was written and its skips published
    stage()  # resumed: chunks 0 and 1 are read, chunk 2 computed, every skip published again
    assert [s["locator"] for s in run.skips("stage")] == ["user 0", "user 1", "user 2"]


@pytest.mark.parametrize("part, problem", [("rows.parquet", "is damaged"), (UNIT_FILE, "is damaged"),
                                           ("rows.parquet", "is missing")])
def test_a_damaged_unit_names_the_file_and_the_folder_to_delete(tmp_path, part, problem):
    units = Checkpoints(tmp_path / "c", {"rows": SCHEMA, "empty": SCHEMA})
    units.write("u", _unit())
    path = tmp_path / "c" / "u" / part
    if problem == "is missing":
        path.unlink()
    else:
        path.write_bytes(b"\x00\xffnot a checkpoint{[")
    with pytest.raises(RunDirError) as err:
        units.get("u", _unit)
    assert f"{path} {problem}" in str(err.value) and f"delete {tmp_path / 'c' / 'u'} and rerun" in str(err.value)


def test_reading_a_unit_never_written_says_so(tmp_path):
    with pytest.raises(RunDirError, match=r"u/unit\.json is missing: that checkpoint unit was never finished"):
        Checkpoints(tmp_path / "c").read("u")
