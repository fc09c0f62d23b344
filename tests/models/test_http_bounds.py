"""The lean HTTP client obeys Retry-After and bounds what it reads, against real servers on 127.0.0.1 (#27, 3 and 6).

The throttling server refuses with 429 until a real deadline passes; the client's own backoff (0.1 s,
doubling) would give up long before it, so only a client that waits what the server asked succeeds.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from synthetic_persona_chat.models import LLMError, load_llm

from ..generation.fake_openai import send_json

OK = {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
      "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}],
      "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}


class Throttling(BaseHTTPRequestHandler):
    """429 with the configured header until `open_at`; records when each request came."""

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        server = self.server
        server.times.append(time.monotonic())
        if time.monotonic() < server.open_at:
            self.send_response(429)
            self.send_header(*server.header)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
            return
        send_json(self, 200, OK)

    def log_message(self, *args):
        pass


class Huge(BaseHTTPRequestHandler):
    """200 with a body of `size` bytes framed as `mode`: declared length, chunked, or until the close."""

    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        mode, size = self.server.mode, self.server.size
        self.send_response(200)
        self.server.sent = 0
        if mode == "length":
            self.send_header("content-length", str(size))
        elif mode == "chunked":
            self.send_header("transfer-encoding", "chunked")
        else:
            self.send_header("connection", "close")
        self.end_headers()
        block = b" " * 65536
        try:
            while self.server.sent < size:
                piece = block[:size - self.server.sent]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if mode == "chunked" else piece)
                self.server.sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: what it must do
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture()
def serve():
    servers = []

    def start(handler, **attrs):
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        for key, value in attrs.items():
            setattr(server, key, value)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server, f"http://127.0.0.1:{server.server_address[1]}/v1"

    yield start
    for server in servers:
        server.shutdown()


@pytest.mark.parametrize("header", [("Retry-After", "2"), ("retry-after-ms", "2000")])
def test_retry_after_longer_than_the_backoff_is_waited_for(serve, header):
    server, url = serve(Throttling, times=[], header=header, open_at=time.monotonic() + 2.0)
    llm = load_llm({"backend": "openai", "model": "m", "base_url": url, "backoff": 0.1, "max_retries": 3})
    assert llm.chat("hi") == "ok"  # backoff alone: retries at ~0.1, 0.3, 0.7 s, all refused, then an error
    assert len(server.times) == 2 and server.times[1] - server.times[0] >= 1.9


def test_a_retry_after_beyond_the_cap_waits_only_the_cap(serve):
    server, url = serve(Throttling, times=[], header=("Retry-After", "3600"), open_at=time.monotonic() + 0.5)
    llm = load_llm({"backend": "openai", "model": "m", "base_url": url, "backoff": 0.05, "max_retries": 2,
                    "max_retry_after": 0.7})
    assert llm.chat("hi") == "ok"
    assert len(server.times) == 2 and 0.6 <= server.times[1] - server.times[0] < 5


@pytest.mark.parametrize("mode", ["length", "chunked", "close"])
def test_a_response_over_the_cap_is_a_clear_error_without_reading_it_all(serve, mode):
    server, url = serve(Huge, mode=mode, size=64 << 20, sent=0)
    llm = load_llm({"backend": "openai", "model": "m", "base_url": url, "max_retries": 0,
                    "max_response_bytes": 1 << 20})
    with pytest.raises(LLMError, match=r"larger than max_response_bytes=1048576.*raise max_response_bytes"):
        llm.chat("hi")
    llm.close()
    assert server.sent < 32 << 20  # the client stopped reading near the cap, not at 64 MiB


def test_an_answer_within_the_cap_still_arrives(serve):
    _, url = serve(Throttling, times=[], header=("x", "y"), open_at=0)
    llm = load_llm({"backend": "openai", "model": "m", "base_url": url, "max_response_bytes": 4096})
    assert llm.chat("hi") == "ok" and json.dumps(OK)


def test_the_default_cap_stops_an_endless_answer(serve):
    """#27.6 as the probe found it: no option set, no Content-Length, a body far beyond any answer. The old
    client read it all into memory (1.5 GB took 6.5 GB) before failing; now the default cap stops it."""
    default = 64 << 20  # the documented default of max_response_bytes
    server, url = serve(Huge, mode="close", size=default + (32 << 20), sent=0)
    llm = load_llm({"backend": "openai", "model": "m", "base_url": url, "max_retries": 0})
    with pytest.raises(LLMError, match="max_response_bytes"):
        llm.chat("hi")
    llm.close()
    assert server.sent < default + (16 << 20)  # stopped near the cap (socket buffers aside), not at the end
