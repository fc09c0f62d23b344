"""The fault-injection suite's tools: the real `spc` CLI in a child process, a fake OpenAI-compatible
server that can die or answer 429/5xx storms, a small disk, and read-only folders.

Every scenario checks the same promises: nothing already finished is lost, a rerun completes, rows
are never duplicated, and a failure is one clear line (`spc: <class> error: ...`) with its class's
exit code (synthetic_persona_chat/errors.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from synthetic_persona_chat.pause_points import ENV as PAUSE_ENV
from tests.generation.determinism import differences
from tests.generation.fake_openai import FakeOpenAI, Handler
from tests.generation.helpers import config_dict, spc_pairs, write_pairs

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def spc(args: list[str], cwd: Path, timeout: int = 180, fsize: int | None = None) -> subprocess.CompletedProcess:
    """`spc ARGS` to completion; `fsize` caps the bytes any file may grow to (a disk that fills up)."""
    return subprocess.run([sys.executable, "-m", "synthetic_persona_chat.cli", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=timeout,
                          preexec_fn=(lambda: _limit_file_size(fsize)) if fsize else None)


def start(args: list[str], cwd: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "synthetic_persona_chat.cli", *args], cwd=cwd, env={**ENV, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def kill_at_pause(args: list[str], cwd: Path, point: str, timeout: float = 240) -> str:
    """Run `spc ARGS` held at the named point (`NAME@N`: its N-th pass, synthetic_persona_chat/pause_points.py)
    and kill it there with -9; returns what it printed. Fails if it ends without reaching the point."""
    proc = start(args, cwd, **{PAUSE_ENV: point})
    seen: list[str] = []
    timer = threading.Timer(timeout, proc.kill)  # a run that never gets there must not hang the suite
    timer.start()
    try:
        for line in proc.stdout:
            seen.append(line)
            if f"spc: paused at {point} " in line:  # after a progress bar's \r, maybe
                os.kill(proc.pid, signal.SIGKILL)
                break
    finally:
        timer.cancel()
        proc.wait()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL and "spc: paused at" in seen[-1], "".join(seen)[-3000:]
    return "".join(seen)


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


class PersonaHandler(Handler):
    """Plays the user-generation LLM: every prompt gets persona-like lines that depend only on the prompt
    and the seed, so an interrupted run and an undisturbed one grow the same pool."""

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        time.sleep(self.server.delay)
        text = f"{body.get('messages', [{}])[-1].get('content', '')}{body.get('seed')}"
        h = int(hashlib.sha1(text.encode()).hexdigest(), 16)
        lines = [f"I {VERBS[(h >> (4 * i)) % len(VERBS)]} {NOUNS[(h >> (4 * i + 2)) % len(NOUNS)]} number {h % 89 + i}."
                 for i in range(5)]
        content = "What do you like to do?\n" + "\n".join(lines)  # a query, or a line the bootstrap filter drops
        data = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                        "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": len(text.split()), "completion_tokens": len(content.split()),
                                     "total_tokens": 0}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


VERBS = ["collect", "repair", "paint", "grow", "study", "photograph", "bake", "sell"]
NOUNS = ["old clocks", "bicycles", "orchids", "tomatoes", "rare coins", "model trains", "sourdough", "guitars"]


class PersonaServer(FakeOpenAI):
    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(delay=delay)
        self.RequestHandlerClass = PersonaHandler


def usergen_files(tmp: Path, url: str, seeds: list[str]) -> tuple[Path, Path]:
    """(config, seed file) of a small user-generation run: several bootstrapping rounds, many profile
    chunks, and seed lines that must become recorded skips (too short, duplicate, overlong)."""
    bad = ["Hi", seeds[0], "I like " + "very " * 40 + "long sentences."]
    seed_file = tmp / "seeds.txt"
    seed_file.write_text("\n".join([*seeds[:8], *bad, *seeds[8:]]) + "\n", encoding="utf-8")
    data = {"seed": 0,
            "models": {"llm": {"backend": "openai", "model": "fake", "base_url": url, "concurrency": 2,
                               "max_retries": 3, "backoff": 0.01, "timeout": 5.0}},
            "expand": {"rounds": 3, "k": 3, "num_new": 5, "max_queries": 6, "distance_threshold": 0.7},
            "profiles": {"num_users": 36, "chunk_size": 3, "profile_size": 4, "min_size": 4, "max_tries": 6}}
    config = tmp / "usergen.yaml"
    config.write_text(yaml.safe_dump(data))
    return config, seed_file


def expand(config: Path, run: Path, cwd: Path, seeds: Path | None = None, **kw) -> subprocess.CompletedProcess:
    return spc(["personas", "expand", "--config", str(config), "--run-dir", str(run),
                *(["--seeds", str(seeds)] if seeds else [])], cwd, **kw)


def profiles(config: Path, run: Path, cwd: Path, **kw) -> subprocess.CompletedProcess:
    return spc(["profiles", "--config", str(config), "--run-dir", str(run)], cwd, **kw)


def same_usergen(run: Path, reference: Path) -> None:
    """The pool and the profiles of an undisturbed run, and every skip recorded exactly once."""
    for rel in ("expand/attributes.parquet", "expand/categories.parquet", "profiles/profiles.parquet"):
        assert rows(run / rel) == rows(reference / rel), rel
    skips = skip_records(run)
    assert len(skips) == len(set(skips)), "a skip was recorded twice"
    assert sorted(skips) == sorted(skip_records(reference))


def skip_records(run: Path) -> list[tuple[str, str, str]]:
    """(stage, locator, reason) of every line of RUN/skips.jsonl (the source names a per-test folder)."""
    lines = (run / "skips.jsonl").read_text(encoding="utf-8").splitlines()
    return [(r["stage"], r["locator"], r["reason"]) for r in map(json.loads, filter(str.strip, lines))]


def write_config(tmp: Path, url: str, pairs: int = 6, **gen) -> Path:
    """A conversation-stage config on real SPC persona pairs, the LLM being the fake server at `url`."""
    data = config_dict(write_pairs(tmp / "pairs.parquet", spc_pairs(pairs)),
                       **{"batch_size": 1, "candidates": 2, "iterations": 2, **gen})
    data["models"]["llm"] = {"backend": "openai", "model": "fake", "base_url": url, "concurrency": 2,
                             "max_retries": 3, "backoff": 0.01, "timeout": 5.0}
    data["models"]["nli"] = "llm-judge"  # the fake server judges: no local model to load in every child process
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
    """The bytes of an undisturbed run's candidates.parquet and conversations.parquet (both runs are folders
    named `run`: a winner's `source` names it); a failure lists the rows and fields that differ."""
    assert differences(reference, run) == []
    assert outputs(run)[1], "no conversation was kept: the comparison would prove nothing"


def unit_tables(run: Path, stage_glob: str) -> int:
    """How many checkpoint tables an undisturbed run wrote under `stage_glob`: the passes of the pause point
    `checkpoint:table-written` a kill can be drawn among."""
    return len(list(run.glob(f"{stage_glob}/*.parquet")))


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
