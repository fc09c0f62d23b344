"""The constrained Generator mode (#24.1): the paper's one-call prompt, its answer decoded inside a shape.

On the bundled SmolLM2 (transformers, a logits processor) and on an OpenAI-compatible server on
127.0.0.1 that is sent the shape as a guided-decoding regex.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from synthetic_persona_chat.generation.config import GenerationConfig
from synthetic_persona_chat.generation.iterate import run_conversations
from synthetic_persona_chat.generation.modes import GeneratorConfig
from synthetic_persona_chat.generation.stages import conversation_shape
from synthetic_persona_chat.models.llm import LLMError
from synthetic_persona_chat.text import placeholders

from .fake_openai import send_json
from .helpers import config_dict, make_ctx, spc_pairs, write_pairs
from .test_turns import alternates_within, candidates


def constrained_data(tmp_path, pairs=2, candidates=1, low=4, high=6, **generator):
    data = config_dict(write_pairs(tmp_path / "pairs.jsonl", spc_pairs(pairs)), iterations=1, candidates=candidates,
                       min_turns=low, max_turns=high, fewshot=1, fewshot_max_turns=4)
    data.pop("models")  # structural only: no toxicity scorer needed
    data["generator"] = {"mode": "constrained", "line_tokens": 12, **generator}
    data["critic"]["experts"] = ["structural"]
    data["critic"]["min_turns"] = low
    return data


def test_bundled_model_writes_the_shape_and_repeats_itself_per_seed(tmp_path, smollm):
    data = constrained_data(tmp_path)
    turns = []
    for name in ("first", "second"):  # two run directories, two empty answer caches
        ctx = make_ctx(tmp_path, data, smollm, run_name=name)
        summary = run_conversations(ctx)
        rows = candidates(ctx)
        turns.append([r["turns"] for r in rows])
        assert summary["generator_mode"] == "constrained" and len(rows) == 2
        alternates_within(rows, 4, 6)
        assert all(not r["parse_error"] for r in rows)
        assert not [t for r in rows for t in r["turns"] if placeholders(t["text"]) or not t["text"].isascii()]
        assert all(v["passed"] for r in rows for v in r["verdicts"] if v["expert"] == "structural")
        prompt = (ctx.run.path / "prompts" / "generator.txt").read_text()
        assert "[assistant]\nUser 1:" in prompt and "User 1's persona:" in prompt
        ctx.close = lambda: None  # the session fixture owns the model
    assert turns[0] == turns[1]


class GuidedServer(BaseHTTPRequestHandler):
    """Answers every request with a conversation that fits the request's `guided_regex` (a real guided
    server would decode inside it); records the bodies."""

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        self.server.bodies.append(body)
        lines = [f"User {i % 2 + 1}: Line {i} about my hobby, gardening." for i in range(5)]
        content = "\n".join(lines)
        send_json(self, 200, {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                              "choices": [{"index": 0, "finish_reason": "stop",
                                           "message": {"role": "assistant", "content": content}}],
                              "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}})

    def log_message(self, *args):
        pass


@pytest.fixture()
def guided_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), GuidedServer)
    server.bodies = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def test_a_server_gets_the_shape_as_a_guided_regex(tmp_path, guided_server):
    data = constrained_data(tmp_path, low=4, high=6)
    url = f"http://127.0.0.1:{guided_server.server_address[1]}/v1"
    data["models"] = {"llm": {"backend": "openai", "model": "m", "base_url": url, "guided": "regex"}}
    ctx = make_ctx(tmp_path, data)
    run_conversations(ctx)
    rows = candidates(ctx)
    alternates_within(rows, 5, 5)
    body = guided_server.bodies[0]
    assert body["guided_regex"] == body["regex"]
    assert body["messages"][-1]["role"] == "user"  # no forced opening: the regex holds the first tag
    answer = "\n".join(f"User {i % 2 + 1}: Line {i} about my hobby, gardening." for i in range(5))
    assert re.fullmatch(body["guided_regex"], answer)
    assert not re.fullmatch(body["guided_regex"], answer.replace("User 2", "User 1", 1))


def test_a_server_without_guided_decoding_is_a_clear_error(tmp_path, guided_server):
    data = constrained_data(tmp_path)
    url = f"http://127.0.0.1:{guided_server.server_address[1]}/v1"
    data["models"] = {"llm": f"openai:m@{url}"}
    ctx = make_ctx(tmp_path, data)
    with pytest.raises(LLMError, match="guided"):
        run_conversations(ctx)
    assert not guided_server.bodies  # refused before any request is paid for


def test_a_template_without_persona_lists_is_told_it_gets_no_bias(caplog):
    from synthetic_persona_chat.generation import stages
    from synthetic_persona_chat.models.llm.shape import ConversationShape

    shape = ConversationShape(persona_headers=("User 1's persona:", "User 2's persona:"), persona_bias=4.0)
    stages._warned.clear()
    with caplog.at_level("WARNING"):
        stages._check_persona_headers("User 1's persona:\n- I knit.\n\nUser 2's persona:\n- I row.", shape)
        assert not caplog.records
        stages._check_persona_headers("Profiles: I knit / I row", shape)
    assert "no persona words are raised" in caplog.text and "User 2's persona:" in caplog.text


def test_the_generator_sections_tic_rules_reach_the_shape_and_are_off_by_default():
    off = conversation_shape(GenerationConfig(), GeneratorConfig())
    assert (off.line_ngram, off.greeting_turns, off.fresh_openers) == (0, 0, False)
    on = conversation_shape(GenerationConfig(), GeneratorConfig(line_ngram=3, greeting_turns=2, fresh_openers=True))
    assert (on.line_ngram, on.greeting_turns, on.fresh_openers) == (3, 2, True)
