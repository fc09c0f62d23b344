"""The fault-injection suite's tools: the real `spc` CLI in a child process, a fake OpenAI-compatible
server that can die or answer 429/5xx storms, a small disk, and read-only folders.

Every scenario checks the same promises: nothing already finished is lost, a rerun completes, rows
are never duplicated, and a failure is one clear line (`spc: <class> error: ...`) with its class's
exit code (synthetic_persona_chat/errors.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from tests.generation.fake_openai import FakeOpenAI, Handler
from tests.generation.helpers import config_dict, spc_pairs, write_pairs

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def spc(args: list[str], cwd: Path, timeout: int = 180, fsize: int | None = None) -> subprocess.CompletedProcess:
    """`spc ARGS` to completion; `fsize` caps the bytes any file may grow to (a disk that fills up)."""
    return subprocess.run([sys.executable, "-m", "synthetic_persona_chat.cli", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=timeout,
                          preexec_fn=(lambda: _limit_file_size(fsize)) if fsize else None)


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "synthetic_persona_chat.cli", *args], cwd=cwd, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _limit_file_size(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes then fail with EFBIG instead of killing the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def failure_line(r: subprocess.CompletedProcess, code: int) -> str:
    """The failure is one `spc:` line, no traceback, with the expected exit code; returns the line."""
    assert r.returncode == code, (r.returncode, r.stderr[-3000:])
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    lines = [line for line in r.stderr.splitlines() if line.startswith("spc: ")]
    assert len(lines) == 1, r.stderr[-3000:]
    return lines[0]


class StormHandler(Handler):
    """Answers `server.storm` requests with `server.status` (429/5xx) before serving normally again."""

    def do_POST(self):  # noqa: N802
        server = self.server
        with server.lock:
            failing = server.storm > 0
            server.storm -= failing
        if failing:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            body = json.dumps({"error": {"message": "storm", "type": "server_error"}}).encode()
            self.send_response(server.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            if server.status == 429:
                self.send_header("retry-after", "0")
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_POST()


class StormServer(FakeOpenAI):
    def __init__(self, status: int = 429, storm: int = 0) -> None:
        super().__init__()
        self.RequestHandlerClass = StormHandler
        self.status, self.storm = status, storm


def write_config(tmp: Path, url: str, pairs: int = 6, **gen) -> Path:
    """A conversation-stage config on real SPC persona pairs, the LLM being the fake server at `url`."""
    data = config_dict(write_pairs(tmp / "pairs.parquet", spc_pairs(pairs)),
                       **{"batch_size": 1, "candidates": 2, "iterations": 2, **gen})
    data["models"]["llm"] = {"backend": "openai", "model": "fake", "base_url": url, "concurrency": 2,
                             "max_retries": 3, "backoff": 0.01, "timeout": 5.0}
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def generate(config: Path, run: Path, cwd: Path, **kw) -> subprocess.CompletedProcess:
    return spc(["generate", "--config", str(config), "--run-dir", str(run)], cwd, **kw)


def rows(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()


def outputs(run: Path) -> tuple[list[dict], list[dict]]:
    return rows(run / "conversations" / "candidates.parquet"), rows(run / "conversations" / "conversations.parquet")


def same_outputs(run: Path, reference: Path) -> None:
    """Identical records to an undisturbed run: none lost, none twice."""
    cands, wins = outputs(run)
    ref_cands, ref_wins = outputs(reference)
    ids = [c["candidate_id"] for c in cands]
    assert len(ids) == len(set(ids)) and sorted(ids) == sorted(c["candidate_id"] for c in ref_cands)
    assert sorted(w["id"] for w in wins) == sorted(w["id"] for w in ref_wins) and wins


def llm_calls(run: Path) -> int:
    return json.loads((run / "conversations" / "_done.json").read_text())["llm_calls_this_run"]


@contextlib.contextmanager
def read_only(path: Path):
    """`path` read-only for this user: chmod for a normal user; root ignores modes, so a read-only bind mount."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    subprocess.run(["mount", "--bind", str(path), str(path)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(path)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(path)], check=True)


def can_mount() -> bool:
    if os.geteuid() != 0:
        return False
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"spc-mount-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)], capture_output=True)
    if ok.returncode == 0:
        subprocess.run(["umount", str(probe)], check=True)
    probe.rmdir()
    return ok.returncode == 0


def kill_when(proc: subprocess.Popen, ready, timeout: float = 120) -> None:
    """kill -9 `proc` as soon as `ready()` is true (it must still be running then)."""
    import time

    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None and not ready():
        time.sleep(0.01)
    assert proc.poll() is None, proc.stdout.read()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()


__all__ = ["FakeOpenAI", "StormServer", "threading"]
