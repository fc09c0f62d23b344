"""An export killed mid-way leaves a staging folder (or the previous export moved aside); the next export of
the same OUT cleans up after dead processes only. The CLI-level kill -9 is in tests/faults."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys

from synthetic_persona_chat.builder.export import recover_interrupted


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _folder(path, text="x"):
    path.mkdir()
    (path / "part.parquet").write_text(text)
    return path


def test_leftovers_of_dead_exports_are_removed_and_live_ones_kept(tmp_path, caplog):
    host, dead = socket.gethostname(), _dead_pid()
    out = _folder(tmp_path / "out", "current export")
    stale = _folder(tmp_path / f".out.staging-{host}.{dead}-k2j4")
    stale_old = _folder(tmp_path / f".out.old-{host}.{dead}", "previous export")
    live = _folder(tmp_path / f".out.staging-{host}.{os.getpid()}-aa11")
    elsewhere = _folder(tmp_path / f".out.staging-another-host.{dead}-bb22")  # a disk shared with another host
    other_out = _folder(tmp_path / f".outer.staging-{host}.{dead}-cc33")  # another export folder's
    with caplog.at_level(logging.INFO, logger="synthetic_persona_chat.builder.export"):
        recover_interrupted(out)
    assert not stale.exists() and not stale_old.exists()
    assert live.exists() and elsewhere.exists() and other_out.exists()
    assert (out / "part.parquet").read_text() == "current export"
    assert f"left by an export (PID {dead}) that no longer runs" in caplog.text


def test_a_kill_between_the_two_renames_gets_the_previous_export_back(tmp_path):
    out = tmp_path / "out"
    _folder(tmp_path / f".out.old-{socket.gethostname()}.{_dead_pid()}", "previous export")
    recover_interrupted(out)
    assert (out / "part.parquet").read_text() == "previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_nothing_to_do_when_the_parent_is_missing(tmp_path):
    recover_interrupted(tmp_path / "not" / "here" / "out")
