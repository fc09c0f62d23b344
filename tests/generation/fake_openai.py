"""A tiny OpenAI-compatible chat server on 127.0.0.1 that plays Generator, NLI judge and quality experts.

Deterministic: the answer depends only on the request (prompt and seed), so an interrupted run and
an uninterrupted one must produce the same records. `dead = True` makes it drop every connection,
like a crashed endpoint. Also runnable as a script (`python fake_openai.py PORT [DELAY]`).
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def answer(messages: list[dict], seed: int) -> str:
    text = messages[-1]["content"]
    if text.startswith("Statement A:"):
        return "yes"
    if "Question about" in text:
        return "AB"[int(hashlib.sha1(text.encode()).hexdigest(), 16) % 2]
    h = int(hashlib.sha1(f"{text}{seed}".encode()).hexdigest(), 16) % 1000
    if h % 7 == 0:
        return "Sorry, I cannot write that."  # an unparsable candidate now and then
    lines = []
    for i in range(8):
        lines.append(f"User {i % 2 + 1}: Message {i} number {h} about my hobby {h * (i + 1) % 97}.")
    return "Here you go:\n" + "\n".join(lines) + "\nHope you like it!"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        server = self.server
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        with server.lock:
            server.requests += 1
        if server.dead:
            self.close_connection = True
            return
        time.sleep(server.delay)
        content = answer(body.get("messages", []), int(body.get("seed") or 0))
        payload = {"id": "x", "object": "chat.completion", "created": 0, "model": body.get("model", "fake"),
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": len(json.dumps(body.get("messages")).split()),
                             "completion_tokens": len(content.split()),
                             "total_tokens": 0}}
        send_json(self, 200, payload)

    def log_message(self, *args):
        pass


def send_json(handler: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
    """One JSON response with its length (the test servers of this suite all answer this way)."""
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class FakeOpenAI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = 0, delay: float = 0.0):
        super().__init__(("127.0.0.1", port), Handler)
        self.delay, self.dead, self.requests, self.lock = delay, False, 0, threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


if __name__ == "__main__":
    srv = FakeOpenAI(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
    srv.serve_forever()
