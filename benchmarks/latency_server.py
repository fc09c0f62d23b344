"""An OpenAI-compatible chat server on 127.0.0.1 that behaves like a busy batching server (vLLM, TGI).

Why: a real batching server is fast only when many requests are in flight, so what we must measure is
whether the pipeline keeps it busy. This server answers every request after a fixed latency (plus a
per-token delay), serves any number of requests at once (asyncio, no thread per request), and records
when each request started and ended, so `stats()` can say how many were in flight on average and for
what share of the time none was (idle). It can refuse a set share of requests with 429 or 500, to
exercise back-off.

Answers are canned but parseable by our own parsers, and depend only on the request (prompt, seed), so
an interrupted run and an uninterrupted one produce the same records:

- Generator prompts ("User 1's persona:") get an alternating `User 1:`/`User 2:` conversation built
  from the two personas (faithful by construction, distinct per seed);
- quality experts ("Conversation A:" ... "Question about") get "A" or "B", the conversation whose text
  hashes higher, so both orders agree (position-consistent, as a good judge is);
- the contradiction judge ("Statement A:") gets "yes" (both can be true), the AI-detection judge A or B;
- usergen query induction ("Write one short question") gets a question; bootstrapping ("Question:" ...
  "Write N new") gets N first-person sentences.

Another answer function can be plugged in (`LatencyServer(answer_fn=...)`): `benchmarks/spc_replay.py`
replays real SPC conversations with seeded corruptions, so the Critic has real work to do.

Used by tests (in a thread: `LatencyServer(...)` as a context manager) and by the benchmarks (as a process:
`python -m benchmarks.latency_server --latency 0.2`, which prints its URL, and answers `GET /stats` and
`POST /reset`). It lives under benchmarks/ because benchmarks must not import from tests/;
`tests/latency_server.py` re-exports it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

WORDS = ("garden", "river", "piano", "bakery", "soccer", "novel", "mountain", "camera", "violin", "kitchen",
         "science", "puzzle", "ocean", "museum", "bicycle", "theater", "coffee", "forest", "history", "robot",
         "painting", "market", "festival", "library", "tennis", "harbor", "poetry", "jazz", "desert", "island")
OPENERS = ("Hi there!", "Hello!", "Hey, nice to meet you.", "Good morning!", "Hi, how is your day going?")
# No negations: a "not" beside a restated persona line reads as a contradiction to a polarity checker.
REPLIES = ("That sounds great.", "Oh, really?", "How interesting.", "I love hearing that.", "Tell me more!",
           "Nice, I like that.", "Wow, good for you.", "That is so cool.")


def _hash(*parts: Any) -> int:
    return int(hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()[:12], 16)


def _bullets(text: str, heading: str) -> list[str]:
    m = re.search(re.escape(heading) + r"\n((?:- .*\n?)+)", text)
    return [line[2:].strip() for line in m.group(1).splitlines() if line.startswith("- ")] if m else []


def conversation(prompt: str, seed: int) -> str:
    """Alternating turns: each user restates their persona lines, with varied small talk in between."""
    rng = random.Random(_hash(prompt, seed))
    p1 = _bullets(prompt, "User 1's persona:") or ["I like to read."]
    p2 = _bullets(prompt, "User 2's persona:") or ["I like to cook."]
    lines = [f"User 1: {rng.choice(OPENERS)} {p1[0]}"]
    for i in range(1, 10):
        speaker, persona = (2, p2) if i % 2 else (1, p1)
        fact = persona[(i // 2) % len(persona)]
        topic = rng.choice(WORDS)
        lines.append(f"User {speaker}: {REPLIES[(i + rng.randrange(8)) % 8]} {fact} "
                     f"Have you ever been to a {topic} {rng.choice(WORDS)} event number {rng.randrange(90) + 10}?")
    return "\n".join(lines)


def pairwise(prompt: str) -> str:
    m = re.search(r"Conversation A:\n(.*?)\n\nConversation B:\n(.*?)\n\nQuestion about", prompt, re.S)
    if not m:
        return "A"
    return "A" if _hash(m.group(1)) >= _hash(m.group(2)) else "B"


def query(prompt: str) -> str:
    first = _bullets(prompt, "Here are facts that different people said about themselves:") or ["things"]
    word = max(re.findall(r"[A-Za-z]+", first[0]) or ["things"], key=len).lower()
    return f"What can you tell me about your {word}?"


def attributes(prompt: str, seed: int) -> str:
    m = re.search(r"Write (\d+) new", prompt)
    rng = random.Random(_hash(prompt, seed))
    return "\n".join(f"I have a {rng.choice(WORDS)} and a {rng.choice(WORDS)} near my {rng.choice(WORDS)} "
                     f"since {1950 + rng.randrange(70)}." for _ in range(int(m.group(1)) if m else 5))


def answer(messages: list[dict[str, Any]], seed: int) -> str:
    """The canned answer for the prompt kind of the last message (see the module docstring)."""
    text = str(messages[-1].get("content", "")) if messages else ""
    if text.startswith("Statement A:"):
        return "yes"
    if "Question about" in text and "Conversation A:" in text:
        return pairwise(text)
    if "Which conversation was written by the AI" in text:  # the eval's AI-detection judge
        return "AB"[_hash(text) % 2]
    if "Write one short question" in text:
        return query(text)
    if text.startswith("Question:") and "new, different answers" in text:
        return attributes(text, seed)
    return conversation(text, seed)


@dataclass
class Settings:
    latency: float = 0.2  # seconds before every answer, like a server's time per request
    per_token: float = 0.0  # extra seconds per completion token
    error_rate: float = 0.0  # share of requests refused (deterministic: seeded per request number)
    error_status: int = 429  # 429 (rate limit) or a 5xx
    retry_after: float | None = None  # sent with 429 as Retry-After (seconds)
    seed: int = 0


@dataclass
class Recorder:
    """When each request was in flight; enough to integrate the in-flight count over any window."""

    spans: list[tuple[float, float]] = field(default_factory=list)
    refused: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    arrived: int = 0
    seen: set[str] = field(default_factory=set)  # digests of the requests answered
    repeated: int = 0  # requests answered whose body (messages, seed, sampling) was answered before: paid twice

    def note(self, req: dict[str, Any]) -> None:
        """Count a request whose body was answered before: a client that resumes without repeating a paid
        call sends each body once (a rerun after kill -9 may repeat only the answers lost in flight)."""
        digest = hashlib.sha1(json.dumps(req, sort_keys=True).encode()).hexdigest()
        if digest in self.seen:
            self.repeated += 1
        self.seen.add(digest)

    def stats(self) -> dict[str, Any]:
        """Requests answered, mean in flight and idle share over [first start, last end], and the CPU
        seconds this process has used (the server's own cost, when it runs as its own process)."""
        return {**self._spans_stats(), "process_cpu_s": round(time.process_time(), 2)}

    def _spans_stats(self) -> dict[str, Any]:
        if not self.spans:
            return {"requests": 0, "refused": self.refused, "repeated": 0, "mean_in_flight": 0.0, "idle_share": 1.0,
                    "max_in_flight": self.max_in_flight, "window_s": 0.0}
        events = sorted([(s, 1) for s, _ in self.spans] + [(e, -1) for _, e in self.spans])
        start, end = events[0][0], events[-1][0]
        area = idle = 0.0
        level, last = 0, start
        for t, step in events:
            area += level * (t - last)
            idle += (t - last) if level == 0 else 0.0
            level, last = level + step, t
        window = max(end - start, 1e-9)
        return {"requests": len(self.spans), "refused": self.refused, "repeated": self.repeated,
                "mean_in_flight": round(area / window, 2),
                "idle_share": round(idle / window, 4), "max_in_flight": self.max_in_flight,
                "window_s": round(window, 3), "first_start": start, "last_end": end}


class LatencyApp:
    """The HTTP/1.1 keep-alive protocol over asyncio streams: small, and cheap on a loaded CPU."""

    def __init__(self, settings: Settings, answer_fn: Callable[[list[dict[str, Any]], int], str] | None = None
                 ) -> None:
        self.settings, self.rec = settings, Recorder()
        self.answer_fn = answer_fn or answer
        self.dead = False  # drop every connection, like a crashed endpoint

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, path, headers = _parse_head(head)
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                if self.dead:
                    break
                status, payload, extra = await self.route(method, path, body)
                writer.write(_response(status, payload, extra))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def route(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        if method == "GET" and path.endswith("/stats"):
            return 200, self.rec.stats(), {}
        if method == "POST" and path.endswith("/reset"):
            self.rec = Recorder()
            return 200, {"ok": True}, {}
        if method == "POST" and path.endswith("/chat/completions"):
            return await self.complete(json.loads(body or b"{}"))
        return 404, {"error": {"message": f"no route {method} {path}"}}, {}

    async def complete(self, req: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        s, rec = self.settings, self.rec
        number = rec.arrived
        rec.arrived += 1
        if s.error_rate and random.Random(_hash(s.seed, number)).random() < s.error_rate:
            rec.refused += 1
            extra = {"retry-after": str(s.retry_after)} if s.retry_after is not None and s.error_status == 429 else {}
            return s.error_status, {"error": {"message": "injected", "type": "rate_limit"}}, extra
        rec.note(req)
        started = time.perf_counter()
        rec.in_flight += 1
        rec.max_in_flight = max(rec.max_in_flight, rec.in_flight)
        content = self.answer_fn(req.get("messages") or [], int(req.get("seed") or 0))
        completion = len(content.split())
        try:
            await asyncio.sleep(s.latency + s.per_token * completion)
        finally:
            rec.in_flight -= 1
            rec.spans.append((started, time.perf_counter()))
        prompt = sum(len(str(m.get("content", "")).split()) for m in req.get("messages") or [])
        return 200, {"id": f"cmpl-{number}", "object": "chat.completion", "created": 0,
                     "model": req.get("model", "latency"),
                     "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                  "finish_reason": "stop"}],
                     "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                               "total_tokens": prompt + completion}}, {}


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    return method, path, headers


def _response(status: int, payload: dict[str, Any], extra: dict[str, str]) -> bytes:
    data = json.dumps(payload).encode()
    reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests"}.get(status, "Error")
    head = [f"HTTP/1.1 {status} {reason}", "content-type: application/json", f"content-length: {len(data)}",
            *(f"{k}: {v}" for k, v in extra.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


class LatencyServer:
    """The app on its own event loop in a daemon thread (tests): `with LatencyServer(latency=0.05) as srv`."""

    def __init__(self, port: int = 0, answer_fn: Callable[[list[dict[str, Any]], int], str] | None = None,
                 **settings: Any) -> None:
        self.app = LatencyApp(Settings(**settings), answer_fn)
        self._port, self._ready = port, threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        server = self._loop.run_until_complete(
            asyncio.start_server(self.app.handle, "127.0.0.1", self._port, backlog=4096))
        self._port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())
        self._loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/v1"

    @property
    def dead(self) -> bool:
        return self.app.dead

    @dead.setter
    def dead(self, value: bool) -> None:
        self.app.dead = value

    def stats(self) -> dict[str, Any]:
        return self.app.rec.stats()

    def __enter__(self) -> "LatencyServer":
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("latency server did not start")
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def main(make_answer: Callable[[argparse.Namespace], Callable[[list[dict[str, Any]], int], str]] | None = None,
         ap: argparse.ArgumentParser | None = None) -> None:
    """Serve until killed, printing the URL first; `ap` may carry the caller's own arguments, from which
    `make_answer` builds the answer function (default: the canned answers)."""
    ap = ap or argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--per-token", type=float, default=0.0)
    ap.add_argument("--error-rate", type=float, default=0.0)
    ap.add_argument("--error-status", type=int, default=429)
    ap.add_argument("--retry-after", type=float, default=None)
    args = ap.parse_args()
    server = LatencyServer(args.port, make_answer(args) if make_answer else None, latency=args.latency,
                           per_token=args.per_token, error_rate=args.error_rate,
                           error_status=args.error_status, retry_after=args.retry_after)
    server.__enter__()
    print(server.url, flush=True)
    try:
        server._thread.join()
    except KeyboardInterrupt:
        server.__exit__()


if __name__ == "__main__":
    main()
