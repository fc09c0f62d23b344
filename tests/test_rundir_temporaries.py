"""No `RUN/skips.jsonl.<pid>.tmp` outlives a full disk or the successful rerun after it (#27, 10)."""

import subprocess
import sys
import textwrap

from synthetic_persona_chat.config import Config
from synthetic_persona_chat.records import Skip
from synthetic_persona_chat.rundir import RunDir

CHILD = textwrap.dedent("""
    import resource, signal, sys
    from synthetic_persona_chat.config import Config
    from synthetic_persona_chat.records import Skip
    from synthetic_persona_chat.rundir import RunDir
    run = RunDir(sys.argv[1]).init(Config())
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # a disk that fills up at 4 KiB per file
    run.set_skips("expand", [Skip("seeds", f"line {i}", "too short " * 20) for i in range(100)])
""")


def test_a_failed_write_leaves_no_temporary_file(tmp_path):
    run = tmp_path / "run"
    r = subprocess.run([sys.executable, "-c", CHILD, str(run)], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "File too large" in r.stderr, r.stderr[-2000:]
    assert not list(run.glob("*.tmp")) and not (run / "skips.jsonl").exists()


def test_a_successful_write_removes_what_a_dead_process_left(tmp_path):
    run = RunDir(tmp_path / "run").init(Config())
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / "run" / f"skips.jsonl.{int(dead.stdout)}.tmp"
    stale.write_text('{"stage": "expand", "loca')  # what a kill or a full disk cut short
    live = tmp_path / "run" / f"skips.jsonl.{1}.tmp"  # PID 1 is alive: a writer at work is left alone
    live.write_text("")
    run.set_skips("expand", [Skip("seeds", "line 1", "too short")])
    assert not stale.exists() and live.exists()
    assert [s["locator"] for s in run.skips()] == ["line 1"]

