"""A real OpenAI-compatible chat server for the tests: the bundled SmolLM2 through transformers on 127.0.0.1.

Run as a script (`python transformers_server.py PORT`) so a test can kill it mid-batch like a crashed
endpoint. Requests are answered one at a time (the model is not thread-safe), like a single-slot server.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from synthetic_persona_chat.models import GenerationParams, load_llm

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: make `tests` importable
from tests.generation.fake_openai import send_json  # noqa: E402

LLM = None
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self._send(200, {"object": "list", "data": [{"id": "smollm2", "object": "model"}]})

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        params = GenerationParams(max_tokens=int(body.get("max_tokens") or 64),
                                  temperature=float(body.get("temperature", 0.7)), top_k=int(body.get("top_k", 40)),
                                  top_p=float(body.get("top_p", 1.0)), n=int(body.get("n") or 1),
                                  seed=int(body.get("seed") or 0))
        with LOCK:
            out = LLM.generate([body["messages"]], params)[0]
        self._send(200, {"id": "x", "object": "chat.completion", "created": 0, "model": body.get("model", "smollm2"),
                         "choices": [{"index": i, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": text}}
                                     for i, text in enumerate(out.texts)],
                         "usage": {"prompt_tokens": out.prompt_tokens, "completion_tokens": out.completion_tokens,
                                   "total_tokens": out.prompt_tokens + out.completion_tokens}})

    def _send(self, status: int, payload: dict) -> None:
        send_json(self, status, payload)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    LLM = load_llm("transformers:smollm2")
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.serve_forever()
