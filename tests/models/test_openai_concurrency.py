"""The OpenAI-compatible backend under load: one cap across threads, back-off on 429, retries on 5xx.

Against tests/latency_server.py (real HTTP on 127.0.0.1, asyncio, any number of requests at once).
"""

import asyncio
import threading

import pytest

from synthetic_persona_chat.generation.critic.quality import parse_choice
from synthetic_persona_chat.generation.parser import parse_conversation
from synthetic_persona_chat.models import GenerationParams, LLMError, load_llm
from synthetic_persona_chat.models.llm.limiter import AdaptiveLimit
from synthetic_persona_chat.usergen.parsing import parse_attributes, parse_query
from synthetic_persona_chat.usergen.seeds import LineRules
from synthetic_persona_chat.tasks.templates import render as usergen_render
from tests.latency_server import LatencyServer, answer

from synthetic_persona_chat.tasks.templates import render


def chats(n, tag="x"):
    return [[{"role": "user", "content": f"Statement A: {tag} {i}"}] for i in range(n)]


def test_canned_answers_parse_for_every_prompt_kind():
    gen = render("generator.j2", examples=[], user1_persona=["I have two dogs.", "I love hiking."],
                 user2_persona=["I am a nurse."], min_turns=8, max_turns=16)
    conv = parse_conversation(answer([{"role": "user", "content": gen}], 1))
    assert not conv.to_dict()["parse_error"] and len(conv.turns) == 10
    assert "I have two dogs." in conv.turns[0]["text"] and "I am a nurse." in conv.turns[1]["text"]
    assert answer([{"role": "user", "content": gen}], 2) != answer([{"role": "user", "content": gen}], 1)
    ab = render("pairwise.j2", quality="depth", question="Which is deeper?", first="User 1: a", second="User 1: b")
    ba = render("pairwise.j2", quality="depth", question="Which is deeper?", first="User 1: b", second="User 1: a")
    a, b = parse_choice(answer([{"role": "user", "content": ab}], 0), 2), \
        parse_choice(answer([{"role": "user", "content": ba}], 0), 2)
    assert {a, b} == {0, 1}  # the same conversation in both orders: position-consistent
    q = usergen_render("query.j2", examples=["I work as a baker.", "I am a teacher."],
                       example_question="What do you do for a living?")
    assert parse_query(answer([{"role": "user", "content": q}], 0))[0]
    boot = usergen_render("bootstrap.j2", query="What do you do?", examples=["I am a baker."], num_new=5)
    kept, drops = parse_attributes(answer([{"role": "user", "content": boot}], 3), LineRules(2, 30, 300))
    assert len(kept) == 5, drops
    assert answer([{"role": "user", "content": "Statement A: x\nStatement B: y"}], 0) == "yes"


def test_one_cap_holds_across_threads_and_is_filled():
    with LatencyServer(latency=0.05) as srv:
        llm = load_llm({"backend": "openai", "model": "m", "base_url": srv.url}, max_concurrency=16)
        threads = [threading.Thread(target=llm.generate, args=(chats(40, t),)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stats = srv.stats()
        llm.close()
    assert stats["requests"] == 160 and stats["max_in_flight"] == 16
    assert llm.usage.calls == 160


def test_429s_shrink_the_limit_and_every_request_still_succeeds():
    with LatencyServer(latency=0.02, error_rate=0.2, error_status=429, retry_after=0.05) as srv:
        llm = load_llm({"backend": "openai", "model": "m", "base_url": srv.url, "backoff": 0.02,
                        "max_retries": 8}, max_concurrency=32)
        out = llm.generate(chats(300), GenerationParams(max_tokens=4))
        stats, limits = srv.stats(), llm.stats()
        llm.close()
    assert [o.texts[0] for o in out] == ["yes"] * 300
    assert stats["refused"] > 20 and limits["throttled"] == stats["refused"]
    assert limits["lowest_limit"] < 32


def test_5xx_are_retried_and_a_dead_server_is_a_clear_error():
    with LatencyServer(latency=0.01, error_rate=0.3, error_status=503) as srv:
        llm = load_llm({"backend": "openai", "model": "m", "base_url": srv.url, "backoff": 0.01,
                        "max_retries": 8}, max_concurrency=8)
        assert len(llm.generate(chats(50))) == 50
        assert srv.stats()["refused"] > 5
        srv.dead = True
        with pytest.raises(LLMError, match="failed after 9 attempts"):
            llm.generate(chats(1, "dead"))
        llm.close()


def test_sdk_client_option_talks_to_the_same_server():
    with LatencyServer(latency=0.0) as srv:
        llm = load_llm({"backend": "openai", "model": "m", "base_url": srv.url, "client": "sdk"})
        assert llm.chat("Statement A: a\nStatement B: b") == "yes"
        llm.close()


def test_adaptive_limit_halves_once_per_window_and_grows_back():
    async def scenario():
        lim = AdaptiveLimit(8)
        for _ in range(8):
            await lim.acquire()
        assert lim.in_flight == 8
        waiter = asyncio.ensure_future(lim.acquire())
        await asyncio.sleep(0)
        assert not waiter.done()  # the ninth waits
        lim.release(throttled=True, pause=0.05)
        lim.release(throttled=True, pause=0.05)  # same burst: halved once
        assert lim.allowed == 4 and not waiter.done()
        for _ in range(6):
            lim.release()
        await asyncio.sleep(0.08)
        assert waiter.done() and lim.in_flight == 1
        lim.release()
        for _ in range(200):
            await lim.acquire()
            lim.release()
        return lim

    lim = asyncio.run(scenario())
    assert lim.allowed == 8 and lim.stats()["lowest_limit"] == 4 and lim.throttled == 2


def test_lean_client_reads_chunked_answers_and_reconnects_after_close():
    """A server that answers with Transfer-Encoding: chunked, and closes every other connection."""
    import json as _json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Chunked(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        served = 0

        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            Chunked.served += 1
            data = _json.dumps({"choices": [{"message": {"content": "chunked ok"}}],
                                "usage": {"prompt_tokens": 3, "completion_tokens": 2}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            if Chunked.served % 2:
                self.send_header("Connection", "close")
            self.end_headers()
            for part in (data[:10], data[10:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Chunked)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        llm = load_llm({"backend": "openai", "model": "m", "base_url": url, "max_retries": 0}, max_concurrency=2)
        out = llm.generate(chats(6))
        assert [o.texts[0] for o in out] == ["chunked ok"] * 6 and llm.usage.completion_tokens == 12
        llm.close()
    finally:
        server.shutdown()


def test_the_same_prompt_from_concurrent_batches_is_paid_once(tmp_path):
    from synthetic_persona_chat.models.llm import CachedLLM

    with LatencyServer(latency=0.1) as srv:
        llm = CachedLLM(load_llm({"backend": "openai", "model": "m", "base_url": srv.url}, max_concurrency=64),
                        tmp_path / "llm.sqlite")
        same = chats(20, "shared") + chats(20, "shared")  # repeated within a call, and across 4 threads
        threads = [threading.Thread(target=llm.generate, args=(same,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        requests = srv.stats()["requests"]
        llm.close()
    assert requests == 20 and llm.usage.calls == 20 and llm.hits == 4 * 40 - 20


def test_closing_with_batches_still_in_flight_leaves_nothing_pending(caplog):
    """A run that stops on one failed batch closes the backend while other engine threads' batches are
    still in flight: their tasks are cancelled and cleaned up on the loop, not destroyed after it closed
    (CI once printed "Event loop is closed" and "Task was destroyed but it is pending" at exit)."""
    import gc
    import sys

    unraisable = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        with LatencyServer(latency=5.0) as srv:
            llm = load_llm({"backend": "openai", "model": "m", "base_url": srv.url}, max_concurrency=8)
            errors = []
            worker = threading.Thread(target=lambda: _record(errors, llm.generate, chats(6, "slow")))
            worker.start()
            while srv.stats()["max_in_flight"] < 6 and worker.is_alive():
                threading.Event().wait(0.02)
            llm.close()
            worker.join(10)
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert not worker.is_alive() and len(errors) == 1  # the in-flight batch ended, with an error
    ours = [u for u in unraisable if "LatencyApp" not in repr(u.object)]  # the test server's handlers aside
    assert not ours, [(u.object, u.exc_value) for u in ours]
    client_leftovers = [r.getMessage() for r in caplog.records if "destroyed but it is pending" in r.getMessage()
                        and "synthetic_persona_chat" in r.getMessage()]  # the test server's own handlers aside
    assert not client_leftovers, client_leftovers


def _record(errors, fn, *args):
    try:
        fn(*args)
    except BaseException as exc:  # noqa: BLE001 - the test reads what the batch ended with
        errors.append(exc)
