"""The annotation server against hostile requests, over real HTTP to `spc annotate serve` (#27, 4 and 10).

No browser: the requests are what a script (or an attacker) sends. Gradio serves an unauthenticated upload
route on every app, so a large upload must be refused and nothing stored; a token that is not even valid
UTF-8, or values of the wrong type, are refused like any bad link (no traceback, a normal answer); and a
malformed call, whose error Gradio prints with the values it received, leaves no token in the server's output.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from synthetic_persona_chat.annotate.commands import create_study
from synthetic_persona_chat.annotate.config import StudyConfig

from .conftest import write_run

pytest.importorskip("gradio", reason="the annotation app needs the [annotate] extra (bash scripts/setup-browser.sh)")


@contextmanager
def serving(study: Path, tmp_path: Path) -> Iterator[str]:
    """`spc annotate serve STUDY` on a free port (stderr in tmp_path/stderr.txt, uploads under it); its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TEMP_DIR": str(tmp_path / "uploads")}
    stderr = (tmp_path / "stderr.txt").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "synthetic_persona_chat.cli", "annotate", "serve",
                             str(study), "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()
        stderr.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for the module (it starts in tens of seconds on a busy machine)."""
    tmp_path = tmp_path_factory.mktemp("hostile")
    config = StudyConfig(name="hostile", real="spc-sample:test", synthetic={"run": str(write_run(tmp_path / "run"))},
                         annotators=3, items_per_annotator=6, overlap=2, seed=7).validate()
    tokens = create_study(tmp_path / "study", config)
    with serving(tmp_path / "study", tmp_path) as base:
        yield base, tokens, tmp_path


def call_submit(base: str, data: list) -> dict:
    """The app's submit event through Gradio's queue, as its page would call it; the final message."""
    config = json.load(urllib.request.urlopen(base + "/config", timeout=30))
    index = next(i for i, d in enumerate(config["dependencies"]) if d.get("api_name") == "submit")
    session = uuid.uuid4().hex
    body = json.dumps({"data": data, "fn_index": index, "session_hash": session}).encode()
    urllib.request.urlopen(urllib.request.Request(base + "/gradio_api/queue/join", body,
                                                  {"content-type": "application/json"}), timeout=30)
    with urllib.request.urlopen(f"{base}/gradio_api/queue/data?session_hash={session}", timeout=60) as stream:
        for raw in stream:
            line = raw.decode().strip()
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") in ("process_completed", "unexpected_error"):
                    return message
    raise AssertionError("the event never completed")


def test_a_large_upload_is_refused_and_nothing_is_stored(server):
    base, _, tmp = server
    boundary = "spcboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.bin\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + b"A" * 100_000 + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(base + "/gradio_api/upload", body,
                                     {"content-type": f"multipart/form-data; boundary={boundary}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    assert refused.value.code == 413
    stored = [p for p in (tmp / "uploads").rglob("*") if p.is_file()] if (tmp / "uploads").exists() else []
    assert sum(p.stat().st_size for p in stored) < 100


@pytest.mark.parametrize("token", ["\udc80", "x" * 100_000, ["a", "list"], 12])
def test_a_token_of_any_encoding_or_type_is_refused_like_a_bad_link(server, token):
    base, _, tmp = server
    message = call_submit(base, [token, "item-1", None, None, [], None, None, None, None, None])
    assert message["msg"] == "process_completed" and message.get("success", True), message
    assert "this link is not valid" in message["output"]["data"][0]
    time.sleep(0.5)
    assert "Traceback" not in (tmp / "stderr.txt").read_text()


def test_a_malformed_call_leaves_no_token_in_the_server_output(server):
    base, tokens, tmp = server
    token = tokens["annotator-1"]
    assert urllib.request.urlopen(f"{base}/?token={token}", timeout=60).status == 200  # the invite link itself
    message = call_submit(base, [token])  # one input where the event takes ten
    assert "didn't receive enough input values" in json.dumps(message)
    time.sleep(0.5)
    assert token not in (tmp / "stderr.txt").read_text()
