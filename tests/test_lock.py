"""One process per run directory, even when `RUN/.lock` is deleted during the run (#27, 10)."""

import subprocess
import sys
import textwrap

import pytest

from synthetic_persona_chat import lock
from synthetic_persona_chat.lock import RunLockedError

HOLDER = textwrap.dedent("""
    import sys, time
    from synthetic_persona_chat import lock
    lock.acquire(sys.argv[1], command="spc generate (test holder)")
    print("locked", flush=True)
    time.sleep(120)
""")


@pytest.fixture
def held(tmp_path):
    """A run directory locked by another live process."""
    run = tmp_path / "run"
    run.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(run)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    yield run
    proc.kill()
    proc.wait()
    proc.stdout.close()


def test_a_second_process_is_refused(held):
    with pytest.raises(RunLockedError, match=r"in use by PID \d+ .*spc generate \(test holder\)"):
        lock.acquire(held)


def test_deleting_the_lock_file_during_a_run_does_not_let_a_second_process_in(held):
    (held / lock.LOCK_NAME).unlink()
    with pytest.raises(RunLockedError, match="in use by another process"):
        lock.acquire(held)
    assert not (held / lock.LOCK_NAME).exists()  # the refused process wrote nothing



EXIT = """
import os, sys
from synthetic_persona_chat import lock
lock.acquire(sys.argv[1], "spc generate")
if sys.argv[2] == "killed":
    os._exit(0)  # no exit handlers run, as after kill -9
"""


@pytest.mark.parametrize("how, warned", [("clean", False), ("killed", True)])
def test_only_a_lock_left_by_a_dead_process_is_reported_as_taken_over(tmp_path, caplog, how, warned):
    subprocess.run([sys.executable, "-c", EXIT, str(tmp_path), how], check=True, timeout=60)
    with caplog.at_level("WARNING", logger="synthetic_persona_chat.lock"):
        mine = lock.acquire(tmp_path)
        mine.release()
    assert any("taking over the lock" in r.getMessage() for r in caplog.records) is warned
