"""The OpenAI-compatible backend over real HTTP on 127.0.0.1.

One server is a real OpenAI-compatible server on the bundled SmolLM2 (transformers_server.py, run as a
process so it can be killed mid-batch); a second, tiny one answers 500 / 429 on purpose to exercise retries.
"""

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from synthetic_persona_chat.models import GenerationParams, LLMError, load_llm

from ..generation.fake_openai import send_json

SERVER = Path(__file__).with_name("transformers_server.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, log, seconds: float = 300) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


@pytest.fixture()
def llama_server(tmp_path):
    port = free_port()
    log = tmp_path / "server.log"
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), str(port)],
        stdout=log.open("w"), stderr=subprocess.STDOUT)  # a file: a full pipe would block the server
    try:
        wait_until_up(f"http://127.0.0.1:{port}/v1/models", proc, log)
        yield proc, f"http://127.0.0.1:{port}/v1"
    finally:
        proc.kill()
        proc.wait()


def test_real_server_batch_with_candidates(llama_server):
    _, url = llama_server
    llm = load_llm({"backend": "openai", "model": "smollm2", "base_url": url, "concurrency": 2})
    chat = [{"role": "user", "content": "What is the capital of France? One word."}]
    out = llm.generate([chat, chat], GenerationParams(max_tokens=8, n=2, temperature=0.0))
    assert len(out) == 2 and len(out[0].texts) == 2
    assert "paris" in out[0].texts[0].lower()
    assert llm.usage.calls == 2 and llm.usage.completion_tokens > 0


def test_server_killed_mid_batch_retries_then_clear_error(llama_server, caplog):
    proc, url = llama_server
    llm = load_llm({"backend": "openai", "model": "smollm2", "base_url": url, "concurrency": 1,
                    "max_retries": 2, "backoff": 0.1, "timeout": 30})
    chats = [[{"role": "user", "content": f"Write a long story about a dog named {i}."}] for i in range(12)]
    killer = threading.Timer(2.0, proc.kill)
    killer.start()
    with pytest.raises(LLMError, match=r"failed after 3 attempts"):
        llm.generate(chats, GenerationParams(max_tokens=64))
    killer.join()
    assert "retry 1/2" in caplog.text and "retry 2/2" in caplog.text


def test_dead_endpoint_is_a_clear_error():
    url = f"http://127.0.0.1:{free_port()}/v1"
    llm = load_llm({"backend": "openai", "model": "m", "base_url": url, "max_retries": 1, "backoff": 0.01})
    with pytest.raises(LLMError, match=rf"{url}.*failed after 2 attempts.*APIConnectionError"):
        llm.chat("hi")


class FlakyHandler(BaseHTTPRequestHandler):
    script: list[int] = []
    seen: list[dict] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FlakyHandler.seen.append(body)
        status = FlakyHandler.script.pop(0) if FlakyHandler.script else 200
        payload = {"error": {"message": "busy"}} if status != 200 else {
            "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "ok"}}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}
        send_json(self, status, payload)

    def log_message(self, *args):
        pass


def test_429_and_5xx_are_retried_and_top_k_is_sent():
    FlakyHandler.script, FlakyHandler.seen = [429, 503], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        llm = load_llm({"backend": "openai", "model": "m", "base_url": url, "backoff": 0.01})
        assert llm.chat("hi", GenerationParams(top_k=40)) == "ok"
        assert len(FlakyHandler.seen) == 3 and FlakyHandler.seen[-1]["top_k"] == 40
        assert llm.usage.prompt_tokens == 5
        FlakyHandler.script = [400]
        with pytest.raises(LLMError, match="rejected"):
            llm.chat("hi")
    finally:
        server.shutdown()
